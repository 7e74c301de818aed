/* Tablestore request and response signatures (tablestore-protocol.md §3,
 * §4). The captured Node SDK requests of ots-test-vectors.json, the V4
 * example and the response example pin the code (tests/unit/auth).
 *
 * Contract of the x-ots-* canonicaliser (collect_ots):
 *   - header names are matched and sorted ASCII case-insensitively (Go sends
 *     "X-Ots-Date", the others lower case) and emitted lower-cased;
 *   - x-ots-signature and x-ots-signaturev4 are never signed; for requests
 *     every other x-ots-* header is ("sign what you received", §3.1);
 *   - a name that occurs twice is rejected rather than guessed;
 *   - at most EMU_MAX_HEADERS x-ots-* headers. */
#include <stdlib.h>
#include <string.h>

#include "emu/crypto.h"
#include "emu/limits.h"
#include "emu/sig.h"
#include "sig_int.h"

/* Insertion sort on the names past their common "x-ots-": a signed
 * request has half a dozen of them, where qsort's setup dominates. */
static void sort_ots(const emu_http_header **v, size_t k)
{
    for (size_t i = 1; i < k; i++) {
        const emu_http_header *x = v[i];
        emu_str xn = {x->name.p + 6, x->name.len - 6};
        size_t j = i;
        for (; j > 0; j--) {
            emu_str yn = {v[j - 1]->name.p + 6, v[j - 1]->name.len - 6};
            if (sig__icmp(yn, xn) <= 0)
                break;
            v[j] = v[j - 1];
        }
        v[j] = x;
    }
}

/* The signature headers a request walk passes on its way (never signed). */
typedef struct ots_sigs {
    const emu_http_header *sig, *sig4; /* the first of each */
} ots_sigs;

/* Sorted pointers to the x-ots-* headers of h[0..n) (minus the signature
 * headers when `sigs` is given: those it records), in `arena`. */
static emu_rc collect_ots(emu_arena *arena, const emu_http_header *h, size_t n, ots_sigs *sigs,
                          const emu_http_header ***out, size_t *out_n, emu_err *err)
{
    const emu_http_header **v = emu_arena_alloc(arena, EMU_MAX_HEADERS * sizeof *v);
    size_t k = 0;
    static const emu_str sig = {"x-ots-signature", 15}, sig4 = {"x-ots-signaturev4", 17};
    for (size_t i = 0; i < n; i++) {
        emu_str name = h[i].name;
        if (!emu_str_istarts(name, "x-ots-"))
            continue;
        if (sigs && emu_str_ieq(name, sig)) {
            if (!sigs->sig)
                sigs->sig = &h[i];
            continue;
        }
        if (sigs && emu_str_ieq(name, sig4)) {
            if (!sigs->sig4)
                sigs->sig4 = &h[i];
            continue;
        }
        if (k == EMU_MAX_HEADERS)
            return emu_err_set(err, EMU_E_LIMIT, NULL, "more than %d x-ots-* headers",
                               EMU_MAX_HEADERS);
        v[k++] = &h[i];
    }
    sort_ots(v, k);
    for (size_t i = 1; i < k; i++) /* sorted: a repeat sits next to its twin */
        if (emu_str_ieq(v[i - 1]->name, v[i]->name))
            return emu_err_set(err, EMU_E_INVALID, NULL, "Repeated header: %.*s.",
                               (int)(v[i]->name.len > 64 ? 64 : v[i]->name.len), v[i]->name.p);
    *out = v;
    *out_n = k;
    return EMU_OK;
}

/* The request's string to sign from its collected x-ots-* headers. */
static emu_rc request_sts(emu_arena *arena, emu_str operation, const emu_http_header *const *v,
                          size_t n, emu_str *out, emu_err *err)
{
    sig__sb sb;
    sig__sb_init(&sb, arena);
    sig__sb_putc(&sb, '/');
    sig__sb_str(&sb, operation);
    /* Method line is the literal POST (the service rejects other methods
     * before signing, §3.3 step 1), then the always-empty query line. */
    sig__sb_puts(&sb, "\nPOST\n\n");
    for (size_t i = 0; i < n; i++) {
        sig__sb_lower(&sb, v[i]->name);
        sig__sb_putc(&sb, ':');
        sig__sb_str(&sb, emu_str_trim(v[i]->value));
        sig__sb_putc(&sb, '\n');
    }
    return sig__sb_finish(&sb, "string to sign", out, err);
}

emu_rc sig_ots_string_to_sign(emu_arena *arena, emu_str operation, const emu_http_header *headers,
                              size_t n_headers, emu_str *out, emu_err *err)
{
    const emu_http_header **v;
    size_t n;
    ots_sigs sigs = {0};
    emu_rc rc = collect_ots(arena, headers, n_headers, &sigs, &v, &n, err);
    return rc ? rc : request_sts(arena, operation, v, n, out, err);
}

void sig_ots_sign(emu_str key, emu_str msg, char out[SIG_B64_SHA1_LEN + 1])
{
    uint8_t mac[EMU_SHA1_LEN];
    emu_hmac_sha1(SIG__P(key), key.len, SIG__P(msg), msg.len, mac);
    emu_base64_encode(mac, sizeof mac, out);
}

void sig_ots_content_md5(const void *body, size_t len, char out[25])
{
    uint8_t d[EMU_MD5_LEN];
    emu_md5(body, len, d);
    emu_base64_encode(d, sizeof d, out);
}

emu_rc sig_ots_check_content_md5(const void *body, size_t len, emu_str header_value, emu_err *err)
{
    char want[25];
    sig_ots_content_md5(body, len, want);
    if (emu_str_eq(emu_str_trim(header_value), (emu_str){want, 24}))
        return EMU_OK;
    return emu_err_set(err, EMU_E_AUTH, NULL,
                       "Mismatch between MD5 value of request body and x-ots-contentmd5 in "
                       "header.");
}

void sig_ots_v4_signing_key(emu_str secret, emu_str sign_date, emu_str region,
                            char out[SIG_B64_SHA256_LEN + 1])
{
    static const char prefix[] = "aliyun_v4";
    uint8_t a[EMU_SHA256_LEN], k[EMU_SHA256_LEN];
    char *k0 = emu_xmalloc(sizeof prefix - 1 + secret.len);
    memcpy(k0, prefix, sizeof prefix - 1);
    if (secret.len)
        memcpy(k0 + sizeof prefix - 1, secret.p, secret.len);
    emu_hmac_sha256(k0, sizeof prefix - 1 + secret.len, SIG__P(sign_date), sign_date.len, k);
    free(k0);
    emu_hmac_sha256(k, sizeof k, SIG__P(region), region.len, a);
    emu_hmac_sha256(a, sizeof a, "ots", 3, k);
    emu_hmac_sha256(k, sizeof k, "aliyun_v4_request", 17, a);
    /* The Base64 TEXT, not the digest, keys the next HMAC (§3.4). */
    emu_base64_encode(a, sizeof a, out);
}

/* The trimmed value of a signed header among the collected v[0..n), or the
 * service's "Missing header" error (§3.3 step 3). */
static emu_rc need(const emu_http_header *const *v, size_t n, const char *name, emu_str *out,
                   emu_err *err)
{
    emu_str want = emu_str_c(name);
    for (size_t i = 0; i < n; i++)
        if (emu_str_ieq(v[i]->name, want)) {
            *out = emu_str_trim(v[i]->value);
            return EMU_OK;
        }
    return emu_err_set(err, EMU_E_INVALID, NULL, "Missing header: %s.", name);
}

emu_rc sig_ots_verify(emu_arena *arena, emu_str operation, const emu_http_header *headers,
                      size_t n_headers, emu_str secret, sig_ots_result *out, emu_err *err)
{
    sig_ots_result r = {0};
    emu_str given = EMU_STR_NULL, date = EMU_STR_NULL, region = EMU_STR_NULL;
    const emu_http_header **v;
    size_t n;
    ots_sigs sigs = {0};
    /* One walk over the headers finds the signature and collects what it
     * signs. */
    emu_rc rc = collect_ots(arena, headers, n_headers, &sigs, &v, &n, err);
    if (rc) {
        /* A missing signature is reported before what is wrong with the
         * rest (a walk that stopped early may not have reached it). */
        if (!sig__header(headers, n_headers, "x-ots-signaturev4") &&
            !sig__header(headers, n_headers, "x-ots-signature"))
            return emu_err_set(err, EMU_E_INVALID, NULL, "Missing header: x-ots-signature.");
        return rc;
    }
    bool v4 = sigs.sig4 != NULL;
    if (v4) {
        given = emu_str_trim(sigs.sig4->value);
        rc = need(v, n, "x-ots-signdate", &date, err);
        if (!rc)
            rc = need(v, n, "x-ots-signregion", &region, err);
    } else if (sigs.sig) {
        given = emu_str_trim(sigs.sig->value);
    } else {
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "Missing header: x-ots-signature.");
    }
    if (rc)
        return rc;
    rc = request_sts(arena, operation, v, n, &r.string_to_sign, err);
    if (rc)
        return rc;

    bool ok;
    if (v4) {
        /* StringToSignV4 = the V2 string (now with the signdate/signregion
         * lines) + "ots"; HMAC-SHA256 keyed by the signing key text. */
        char key[SIG_B64_SHA256_LEN + 1];
        sig_ots_v4_signing_key(secret, date, region, key);
        size_t len = r.string_to_sign.len + 3;
        char *s = emu_arena_alloc(arena, len + 1);
        memcpy(s, r.string_to_sign.p, r.string_to_sign.len);
        memcpy(s + r.string_to_sign.len, "ots", 4);
        r.string_to_sign = (emu_str){s, len};
        uint8_t mac[EMU_SHA256_LEN];
        emu_hmac_sha256(key, SIG_B64_SHA256_LEN, s, len, mac);
        char want[SIG_B64_SHA256_LEN + 1];
        emu_base64_encode(mac, sizeof mac, want);
        ok = emu_ct_equal(want, SIG_B64_SHA256_LEN, given.p, given.len);
        r.version = SIG_OTS_V4;
        r.response_key =
            (emu_str){emu_arena_strndup(arena, key, SIG_B64_SHA256_LEN), SIG_B64_SHA256_LEN};
    } else {
        char want[SIG_B64_SHA1_LEN + 1];
        sig_ots_sign(secret, r.string_to_sign, want);
        ok = emu_ct_equal(want, SIG_B64_SHA1_LEN, given.p, given.len);
        r.version = SIG_OTS_V2;
        r.response_key = secret;
    }
    if (out)
        *out = r;
    return ok ? EMU_OK : emu_err_set(err, EMU_E_AUTH, NULL, "Signature mismatch.");
}

emu_rc sig_ots_response_string_to_sign(emu_arena *arena, emu_str operation,
                                       const emu_http_header *headers, size_t n_headers,
                                       emu_str *out, emu_err *err)
{
    const emu_http_header **v;
    size_t n;
    emu_rc rc = collect_ots(arena, headers, n_headers, NULL, &v, &n, err);
    if (rc)
        return rc;
    sig__sb sb;
    sig__sb_init(&sb, arena);
    for (size_t i = 0; i < n; i++) {
        sig__sb_lower(&sb, v[i]->name);
        sig__sb_putc(&sb, ':');
        sig__sb_str(&sb, v[i]->value);
        sig__sb_putc(&sb, '\n');
    }
    sig__sb_putc(&sb, '/');
    sig__sb_str(&sb, operation);
    return sig__sb_finish(&sb, "response string to sign", out, err);
}

emu_rc sig_ots_response_authorization(emu_arena *arena, emu_str operation,
                                      const emu_http_header *headers, size_t n_headers,
                                      emu_str access_key_id, emu_str response_key, emu_str *out,
                                      emu_err *err)
{
    emu_str sts;
    emu_rc rc = sig_ots_response_string_to_sign(arena, operation, headers, n_headers, &sts, err);
    if (rc)
        return rc;
    char sig[SIG_B64_SHA1_LEN + 1];
    sig_ots_sign(response_key, sts, sig);
    /* Response signatures are HMAC-SHA1 in both modes (§4.2). */
    char *s = emu_arena_alloc(arena, 4 + access_key_id.len + 1 + sizeof sig);
    memcpy(s, "OTS ", 4);
    if (access_key_id.len)
        memcpy(s + 4, access_key_id.p, access_key_id.len);
    s[4 + access_key_id.len] = ':';
    memcpy(s + 5 + access_key_id.len, sig, sizeof sig);
    *out = emu_str_c(s);
    return EMU_OK;
}
