/* JWT (compact JWS) decoding for AssumeRoleWithOIDC.
 *
 * Contract: the text is three base64url parts joined by '.', at most
 * FED_MAX_TOKEN_BYTES in all. The header must be a JSON object whose "alg"
 * is RS256, RS384 or RS512 (what OIDC issuers such as GitHub Actions and
 * ACK RRSA use); "none" and the HMAC algorithms are refused as the cloud
 * refuses them ("The algorithm HS256 that be specified in Jwt header is
 * unknown."). The payload must be a JSON object; iss/sub must be strings,
 * aud a string or an array of strings, exp/nbf/iat numbers. Padding '='
 * is tolerated at the end of a part (some encoders add it). Decoded parts
 * live in the arena; nothing reads past the given length. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "emu/fed.h"
#include "emu/json.h"

static int b64url_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decodes base64url in[0..n) into the arena (NUL-terminated for JSON);
 * false on a bad character or a dangling sextet. */
static bool b64url_decode(emu_arena *a, const char *in, size_t n, uint8_t **out, size_t *out_len)
{
    while (n > 0 && in[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return false;
    uint8_t *d = emu_arena_alloc(a, n / 4 * 3 + 3 + 1);
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_val((unsigned char)in[i]);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            d[o++] = (uint8_t)(acc >> bits);
        }
    }
    d[o] = 0;
    *out = d;
    *out_len = o;
    return true;
}

char *fed_b64url(emu_arena *a, const uint8_t *in, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = emu_arena_alloc(a, (n + 2) / 3 * 4 + 1);
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = tab[w >> 18];
        out[o++] = tab[(w >> 12) & 63];
        out[o++] = tab[(w >> 6) & 63];
        out[o++] = tab[w & 63];
    }
    if (i < n) {
        uint32_t w = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = tab[w >> 18];
        out[o++] = tab[(w >> 12) & 63];
        if (i + 1 < n)
            out[o++] = tab[(w >> 6) & 63];
    }
    out[o] = 0;
    return out;
}

static cJSON *json_part(emu_arena *a, const char *p, size_t n, bool *b64_ok)
{
    uint8_t *raw;
    size_t raw_len;
    *b64_ok = b64url_decode(a, p, n, &raw, &raw_len);
    if (!*b64_ok)
        return NULL;
    emu_err err = {0};
    cJSON *j = emu_json_parse((const char *)raw, raw_len, &err);
    if (j && !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* A NumericDate: a finite number within ±10^12 seconds (fractions cut). */
static bool time_claim(const cJSON *o, const char *name, bool *has, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    *has = v != NULL;
    if (!v)
        return true;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || fabs(v->valuedouble) > 1e12)
        return false;
    *out = (int64_t)v->valuedouble;
    return true;
}

static bool str_claim(emu_arena *a, const cJSON *o, const char *name, const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    *out = NULL;
    if (!v)
        return true;
    if (!cJSON_IsString(v))
        return false;
    *out = emu_arena_strdup(a, v->valuestring);
    return true;
}

static bool read_claims(emu_arena *a, const cJSON *pl, fed_jwt *t)
{
    if (!str_claim(a, pl, "iss", &t->iss) || !str_claim(a, pl, "sub", &t->sub))
        return false;
    const cJSON *aud = cJSON_GetObjectItemCaseSensitive(pl, "aud");
    if (cJSON_IsString(aud)) {
        t->aud = emu_arena_alloc(a, sizeof *t->aud);
        t->aud[0] = emu_arena_strdup(a, aud->valuestring);
        t->n_aud = 1;
    } else if (cJSON_IsArray(aud)) {
        int n = cJSON_GetArraySize(aud);
        if (n > FED_MAX_AUDIENCES)
            return false;
        t->aud = emu_arena_alloc(a, (size_t)(n ? n : 1) * sizeof *t->aud);
        const cJSON *e;
        cJSON_ArrayForEach(e, aud)
        {
            if (!cJSON_IsString(e))
                return false;
            t->aud[t->n_aud++] = emu_arena_strdup(a, e->valuestring);
        }
    } else if (aud) {
        return false;
    }
    return time_claim(pl, "exp", &t->has_exp, &t->exp) &&
           time_claim(pl, "nbf", &t->has_nbf, &t->nbf) &&
           time_claim(pl, "iat", &t->has_iat, &t->iat);
}

fed_jwt_fault fed_jwt_decode(const char *tok, size_t len, emu_arena *a, fed_jwt *out)
{
    memset(out, 0, sizeof *out);
    if (!tok || len == 0)
        return FED_JWT_EMPTY;
    if (len > FED_MAX_TOKEN_BYTES)
        return FED_JWT_PARTS;
    const char *d1 = memchr(tok, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok)) : NULL;
    if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)))
        return FED_JWT_PARTS;
    size_t hlen = (size_t)(d1 - tok), plen = (size_t)(d2 - d1 - 1);
    size_t slen = len - (size_t)(d2 + 1 - tok);
    if (hlen == 0 || plen == 0)
        return FED_JWT_PARTS;

    bool b64 = true;
    fed_jwt_fault f = FED_JWT_OK;
    cJSON *hdr = json_part(a, tok, hlen, &b64);
    cJSON *pl = NULL;
    if (!b64) {
        f = FED_JWT_BASE64;
        goto out;
    }
    pl = json_part(a, d1 + 1, plen, &b64);
    if (!b64) {
        f = FED_JWT_BASE64;
        goto out;
    }
    uint8_t *sig;
    size_t sig_len;
    if (!b64url_decode(a, d2 + 1, slen, &sig, &sig_len)) {
        f = FED_JWT_BASE64;
        goto out;
    }
    if (!hdr || !pl) {
        f = FED_JWT_CONTENT;
        goto out;
    }
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(hdr, "alg");
    const cJSON *kid = cJSON_GetObjectItemCaseSensitive(hdr, "kid");
    if (!cJSON_IsString(alg)) {
        f = cJSON_GetObjectItemCaseSensitive(hdr, "alg") ? FED_JWT_CONTENT : FED_JWT_ALG;
        out->alg_name = "(none)";
        goto out;
    }
    out->alg_name = emu_arena_strndup(a, alg->valuestring, strnlen(alg->valuestring, 32));
    out->alg = strcmp(alg->valuestring, "RS256") == 0   ? FED_ALG_RS256
               : strcmp(alg->valuestring, "RS384") == 0 ? FED_ALG_RS384
               : strcmp(alg->valuestring, "RS512") == 0 ? FED_ALG_RS512
                                                        : FED_ALG_NONE;
    if (out->alg == FED_ALG_NONE) {
        f = FED_JWT_ALG;
        goto out;
    }
    if (kid && !cJSON_IsString(kid)) {
        f = FED_JWT_CONTENT;
        goto out;
    }
    out->kid = kid ? emu_arena_strdup(a, kid->valuestring) : NULL;
    if (!read_claims(a, pl, out)) {
        f = FED_JWT_CONTENT;
        goto out;
    }
    out->signing_input = tok;
    out->signing_input_len = (size_t)(d2 - tok);
    out->sig = sig;
    out->sig_len = sig_len;
out:
    cJSON_Delete(hdr);
    cJSON_Delete(pl);
    return f;
}

const char *fed_jwt_message(fed_jwt_fault f, const char *alg_name, char *out, size_t cap)
{
    /* The texts of the STS error-code list (api-sts-2015-04-01-errorcodes),
     * spacing included. */
    switch (f) {
    case FED_JWT_EMPTY:
        snprintf(out, cap, "The OIDCToken can not empty.");
        break;
    case FED_JWT_PARTS:
        snprintf(out, cap, "The number of Jwt field should be divided into 3 parts with '.' .");
        break;
    case FED_JWT_BASE64:
        snprintf(out, cap, "Cannot decode base64 encoded response(format invalided).");
        break;
    case FED_JWT_ALG:
        snprintf(out, cap, "The algorithm %.32s that be specified in Jwt header is unknown.",
                 alg_name ? alg_name : "(none)");
        break;
    default:
        snprintf(out, cap, "The Jwt content is invalid that cannot be recognized.");
        break;
    }
    return out;
}
