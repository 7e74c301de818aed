/* RPC signatures: V1 (HMAC-SHA1, rpc-api.md §3) and V3 (ACS3-HMAC-SHA256,
 * rpc-api.md §4). Vectors V1-1..5 and V3-1..3 of signature-vectors.json
 * pin both (tests/unit/auth/test_sig.c).
 *
 * Contract of the V3 Authorization parser (sig_v3_parse_auth):
 *   accepted   ALGO SP part ("," part)*, part = key "=" value, optional
 *              spaces/tabs around parts; keys Credential, SignedHeaders,
 *              Signature each exactly once, others ignored;
 *   limits     SIG_MAX_AUTH_BYTES bytes, EMU_MAX_HEADERS signed headers;
 *   rejected   everything else, with EMU_E_INVALID (IncompleteSignature),
 *              except a well-formed but different algorithm name, which is
 *              EMU_E_UNSUPPORTED. */
#include <stdlib.h>
#include <string.h>

#include "emu/crypto.h"
#include "emu/limits.h"
#include "emu/sig.h"
#include "sig_int.h"

/* The cloud's SignatureDoesNotMatch text; the string to sign follows it
 * directly, without a space (rpc-api.md §6.4). */
static const char MISMATCH_TEXT[] =
    "Specified signature is not matched with our calculation. server string to sign is:";

/* ---- V1 ---------------------------------------------------------------- */

static int cmp_param_ptr(const void *a, const void *b)
{
    const sig_param *x = *(const sig_param *const *)a;
    const sig_param *y = *(const sig_param *const *)b;
    return sig__cmp(x->name, y->name);
}

/* Appends the sorted pct(name)=pct(value)&... of `p`, skipping `skip` (may
 * be NULL). Names are unique after sig_params_parse, so the sort needs no
 * tie-break. */
static void put_canonical_query(sig__sb *sb, emu_arena *arena, const sig_params *p,
                                const char *skip)
{
    const sig_param **order = emu_arena_alloc(arena, (p->n ? p->n : 1) * sizeof *order);
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++)
        if (!skip || !emu_str_eq_c(p->v[i].name, skip))
            order[n++] = &p->v[i];
    if (n > 1)
        qsort(order, n, sizeof *order, cmp_param_ptr);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sig__sb_putc(sb, '&');
        sig__sb_pct(sb, order[i]->name);
        sig__sb_putc(sb, '=');
        sig__sb_pct(sb, order[i]->value);
    }
}

emu_rc sig_v1_canonical_query(emu_arena *arena, const sig_params *p, emu_str *out, emu_err *err)
{
    sig__sb sb;
    sig__sb_init(&sb, arena);
    put_canonical_query(&sb, arena, p, "Signature");
    return sig__sb_finish(&sb, "canonicalized query", out, err);
}

emu_rc sig_v1_string_to_sign(emu_arena *arena, emu_str method, const sig_params *p, emu_str *out,
                             emu_err *err)
{
    emu_str cq;
    emu_rc rc = sig_v1_canonical_query(arena, p, &cq, err);
    if (rc)
        return rc;
    sig__sb sb;
    sig__sb_init(&sb, arena);
    sig__sb_str(&sb, method);
    sig__sb_puts(&sb, "&%2F&");
    sig__sb_pct(&sb, cq);
    return sig__sb_finish(&sb, "string to sign", out, err);
}

void sig_v1_sign(emu_str secret, emu_str string_to_sign, char out[SIG_B64_SHA1_LEN + 1])
{
    /* Key = secret + "&" (§3.2 step 5). Secrets are short; a heap copy
     * keeps this free of VLAs and of any length assumption. */
    char *key = emu_xmalloc(secret.len + 1);
    if (secret.len)
        memcpy(key, secret.p, secret.len);
    key[secret.len] = '&';
    uint8_t mac[EMU_SHA1_LEN];
    emu_hmac_sha1(key, secret.len + 1, SIG__P(string_to_sign), string_to_sign.len, mac);
    free(key);
    emu_base64_encode(mac, sizeof mac, out);
}

emu_rc sig_v1_verify(emu_arena *arena, emu_str method, const sig_params *p, emu_str secret,
                     emu_str *sts_out, emu_err *err)
{
    const sig_param *given = sig_params_find(p, "Signature");
    if (!given)
        return emu_err_set(err, EMU_E_INVALID, NULL, "missing parameter Signature");
    emu_str sts;
    emu_rc rc = sig_v1_string_to_sign(arena, method, p, &sts, err);
    if (rc)
        return rc;
    if (sts_out)
        *sts_out = sts;
    char want[SIG_B64_SHA1_LEN + 1];
    sig_v1_sign(secret, sts, want);
    if (emu_ct_equal(want, SIG_B64_SHA1_LEN, given->value.p, given->value.len))
        return EMU_OK;
    rc = emu_err_set(err, EMU_E_AUTH, NULL, "%s", MISMATCH_TEXT);
    if (err)
        err->msg_tail = sts.p;
    return rc;
}

/* ---- V3: Authorization ------------------------------------------------- */

static bool is_tchar(unsigned char c)
{
    /* RFC 9110 token characters: what a header name may be made of. */
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_algo_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

static int cmp_str(const void *a, const void *b)
{
    return sig__cmp(*(const emu_str *)a, *(const emu_str *)b);
}

static emu_rc split_signed_headers(emu_arena *arena, emu_str list, sig_v3_auth *out, emu_err *err)
{
    emu_str *v = emu_arena_alloc(arena, EMU_MAX_HEADERS * sizeof *v);
    size_t n = 0, i = 0;
    for (;;) {
        size_t start = i;
        while (i < list.len && list.p[i] != ';')
            i++;
        emu_str name = {list.p + start, i - start};
        if (name.len == 0)
            return emu_err_set(err, EMU_E_INVALID, NULL, "empty name in SignedHeaders");
        if (n == EMU_MAX_HEADERS)
            return emu_err_set(err, EMU_E_INVALID, NULL, "more than %d SignedHeaders",
                               EMU_MAX_HEADERS);
        char *low = emu_arena_alloc(arena, name.len + 1);
        for (size_t k = 0; k < name.len; k++) {
            unsigned char c = (unsigned char)name.p[k];
            if (!is_tchar(c))
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "bad character 0x%02x in SignedHeaders", c);
            low[k] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
        }
        low[name.len] = '\0';
        v[n++] = (emu_str){low, name.len};
        if (i >= list.len)
            break;
        i++; /* ';' */
    }
    /* The client sorts already (§4.1 step 5); sorting again is cheap and
     * makes the canonical form independent of its order. */
    qsort(v, n, sizeof *v, cmp_str);
    for (size_t k = 1; k < n; k++)
        if (emu_str_eq(v[k - 1], v[k]))
            return emu_err_set(err, EMU_E_INVALID, NULL, "repeated SignedHeaders name %.*s",
                               (int)(v[k].len > 64 ? 64 : v[k].len), v[k].p);
    out->headers = v;
    out->n_headers = n;
    return EMU_OK;
}

static bool is_lower_hex64(emu_str s)
{
    if (s.len != 64)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (!((s.p[i] >= '0' && s.p[i] <= '9') || (s.p[i] >= 'a' && s.p[i] <= 'f')))
            return false;
    return true;
}

emu_rc sig_v3_parse_auth(emu_arena *arena, emu_str a, sig_v3_auth *out, emu_err *err)
{
    memset(out, 0, sizeof *out);
    if (a.len > SIG_MAX_AUTH_BYTES)
        return emu_err_set(err, EMU_E_INVALID, NULL, "Authorization longer than %d bytes",
                           SIG_MAX_AUTH_BYTES);
    a = emu_str_trim(a);
    size_t i = 0;
    while (i < a.len && is_algo_char((unsigned char)a.p[i]))
        i++;
    emu_str algo = {a.p, i};
    if (algo.len == 0 || i >= a.len || a.p[i] != ' ')
        return emu_err_set(err, EMU_E_INVALID, NULL, "Authorization has no algorithm");
    if (!emu_str_eq_c(algo, SIG_V3_ALGORITHM))
        return emu_err_set(err, EMU_E_UNSUPPORTED, NULL, "unsupported algorithm %.*s",
                           (int)(algo.len > 64 ? 64 : algo.len), algo.p);

    emu_str cred = EMU_STR_NULL, sh = EMU_STR_NULL, sig = EMU_STR_NULL;
    bool have_cred = false, have_sh = false, have_sig = false;
    i++;
    while (i <= a.len) {
        size_t start = i;
        while (i < a.len && a.p[i] != ',')
            i++;
        emu_str part = emu_str_trim((emu_str){a.p + start, i - start});
        i++; /* ',' or past the end */
        const char *eq = part.len ? memchr(part.p, '=', part.len) : NULL;
        if (!eq)
            return emu_err_set(err, EMU_E_INVALID, NULL, "Authorization part without '='");
        emu_str key = {part.p, (size_t)(eq - part.p)};
        emu_str val = {eq + 1, part.len - key.len - 1};
        emu_str *slot = NULL;
        bool *seen = NULL;
        if (emu_str_eq_c(key, "Credential")) {
            slot = &cred;
            seen = &have_cred;
        } else if (emu_str_eq_c(key, "SignedHeaders")) {
            slot = &sh;
            seen = &have_sh;
        } else if (emu_str_eq_c(key, "Signature")) {
            slot = &sig;
            seen = &have_sig;
        } else {
            continue; /* unknown part: ignored [inferred] */
        }
        if (*seen)
            return emu_err_set(err, EMU_E_INVALID, NULL, "Authorization repeats %.*s", (int)key.len,
                               key.p);
        *seen = true;
        *slot = val;
    }
    if (!have_cred || !have_sh || !have_sig)
        return emu_err_set(err, EMU_E_INVALID, NULL, "Authorization lacks %s",
                           !have_cred ? "Credential"
                           : !have_sh ? "SignedHeaders"
                                      : "Signature");
    if (cred.len == 0)
        return emu_err_set(err, EMU_E_INVALID, NULL, "empty Credential");
    if (!is_lower_hex64(sig))
        return emu_err_set(err, EMU_E_INVALID, NULL, "Signature is not 64 lower-case hex digits");
    emu_rc rc = split_signed_headers(arena, sh, out, err);
    if (rc) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->algorithm = algo;
    out->credential = cred;
    out->signed_headers = sh;
    out->signature = sig;
    return EMU_OK;
}

/* ---- V3: canonical request --------------------------------------------- */

static const char *const V3_REQUIRED[] = {
    "host",       "x-acs-action",          "x-acs-version",
    "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256",
};

const char *sig_v3_missing_header(const sig_v3_auth *auth, const emu_http_req *req)
{
    for (size_t r = 0; r < sizeof V3_REQUIRED / sizeof V3_REQUIRED[0]; r++) {
        bool signed_it = false;
        for (size_t k = 0; k < auth->n_headers && !signed_it; k++)
            signed_it = emu_str_eq_c(auth->headers[k], V3_REQUIRED[r]);
        if (!signed_it || !sig__header(req->headers, req->n_headers, V3_REQUIRED[r]))
            return V3_REQUIRED[r];
    }
    return NULL;
}

/* First request header equal (case-insensitively) to the slice `name`. */
static const emu_http_header *header_by_slice(const emu_http_req *req, emu_str name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (emu_str_ieq(req->headers[i].name, name))
            return &req->headers[i];
    return NULL;
}

emu_rc sig_v3_canonicalize(emu_arena *arena, const emu_http_req *req, const sig_v3_auth *auth,
                           sig_v3_canon *out, emu_err *err)
{
    sig_params parsed;
    const sig_params *q = auth->query;
    emu_rc rc;
    if (!q) {
        if ((rc = sig_params_parse(arena, req->query, EMU_STR_NULL, &parsed, err)))
            return rc;
        q = &parsed;
    }

    memset(out, 0, sizeof *out);
    uint8_t d[EMU_SHA256_LEN];
    emu_sha256(req->body ? (const void *)req->body : "", req->body_len, d);
    emu_hex_lower(d, sizeof d, out->payload_hash);
    const emu_http_header *sent = sig__header(req->headers, req->n_headers, "x-acs-content-sha256");
    /* Compared as sent (trimmed): the SDK sends lower-case hex, and the
     * digest of a public body is no secret, so no constant-time compare. */
    if (sent)
        out->payload_mismatch =
            !emu_str_eq(emu_str_trim(sent->value), (emu_str){out->payload_hash, 64});

    sig__sb sb;
    sig__sb_init(&sb, arena);
    sig__sb_str(&sb, req->method);
    sig__sb_putc(&sb, '\n');
    if (req->path.len)
        sig__sb_str(&sb, req->path);
    else
        sig__sb_putc(&sb, '/');
    sig__sb_putc(&sb, '\n');
    put_canonical_query(&sb, arena, q, NULL);
    sig__sb_putc(&sb, '\n');
    for (size_t k = 0; k < auth->n_headers; k++) {
        const emu_http_header *h = header_by_slice(req, auth->headers[k]);
        sig__sb_str(&sb, auth->headers[k]);
        sig__sb_putc(&sb, ':');
        if (h)
            sig__sb_str(&sb, emu_str_trim(h->value));
        sig__sb_putc(&sb, '\n');
    }
    sig__sb_putc(&sb, '\n');
    for (size_t k = 0; k < auth->n_headers; k++) {
        if (k)
            sig__sb_putc(&sb, ';');
        sig__sb_str(&sb, auth->headers[k]);
    }
    sig__sb_putc(&sb, '\n');
    sig__sb_put(&sb, out->payload_hash, 64);
    rc = sig__sb_finish(&sb, "canonical request", &out->canonical_request, err);
    if (rc)
        return rc;

    emu_sha256(out->canonical_request.p, out->canonical_request.len, d);
    char *sts = emu_arena_alloc(arena, sizeof SIG_V3_ALGORITHM + 64 + 1);
    memcpy(sts, SIG_V3_ALGORITHM "\n", sizeof SIG_V3_ALGORITHM);
    emu_hex_lower(d, sizeof d, sts + sizeof SIG_V3_ALGORITHM);
    out->string_to_sign = (emu_str){sts, sizeof SIG_V3_ALGORITHM + 64};
    return EMU_OK;
}

void sig_v3_sign(emu_str secret, emu_str string_to_sign, char out[65])
{
    uint8_t mac[EMU_SHA256_LEN];
    emu_hmac_sha256(SIG__P(secret), secret.len, SIG__P(string_to_sign), string_to_sign.len, mac);
    emu_hex_lower(mac, sizeof mac, out);
}

emu_rc sig_v3_verify(emu_arena *arena, const emu_http_req *req, const sig_v3_auth *auth,
                     emu_str secret, sig_v3_canon *out, emu_err *err)
{
    sig_v3_canon local;
    sig_v3_canon *c = out ? out : &local;
    emu_rc rc = sig_v3_canonicalize(arena, req, auth, c, err);
    if (rc)
        return rc;
    if (c->payload_mismatch)
        return emu_err_set(err, EMU_E_AUTH, NULL,
                           "The x-acs-content-sha256 header does not match the request body.");
    char want[65];
    sig_v3_sign(secret, c->string_to_sign, want);
    if (emu_ct_equal(want, 64, auth->signature.p, auth->signature.len))
        return EMU_OK;
    rc = emu_err_set(err, EMU_E_AUTH, NULL, "%s", MISMATCH_TEXT);
    if (err)
        err->msg_tail = c->string_to_sign.p;
    return rc;
}
