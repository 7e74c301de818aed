/* ODPS (MaxCompute REST) request signatures, v2 and v4
 * (maxcompute-external-table.md §8.2, which restates pyodps's
 * BaseAccount._build_canonical_str and AliyunAccount.calc_auth_str).
 *
 * Contract of the canonical resource builder:
 *   - path: percent-decoded without form semantics ('+' stays, as Python's
 *     unquote), "/api" prefix segment stripped;
 *   - query: split on '&', form-decoded ('+' → space, as parse_qsl), empty
 *     pieces skipped, EMU_MAX_PARAMS pieces at most, repeated names
 *     rejected; "?" appears whenever the raw query is non-empty;
 *   - parameters are sorted by decoded name in byte order (= Python's
 *     code-point order for UTF-8) and emitted decoded, not re-encoded. */
#include <stdlib.h>
#include <string.h>

#include "emu/crypto.h"
#include "emu/limits.h"
#include "emu/sig.h"
#include "sig_int.h"

/* [inferred] The real message text is not recorded in the spec (§8.3 only
 * names the code, SignatureNotMatch); we follow the RPC habit of appending
 * the server's string to sign so a client author can diff it. */
static const char ODPS_MISMATCH[] = "ODPS signature mismatch. server string to sign is:";

emu_rc sig_odps_parse_auth(emu_str a, sig_odps_auth *out, emu_err *err)
{
    memset(out, 0, sizeof *out);
    if (a.len > SIG_MAX_AUTH_BYTES)
        return emu_err_set(err, EMU_E_INVALID, NULL, "Authorization longer than %d bytes",
                           SIG_MAX_AUTH_BYTES);
    a = emu_str_trim(a);
    if (!emu_str_starts(a, "ODPS "))
        return emu_err_set(err, EMU_E_INVALID, NULL, "Authorization is not ODPS");
    emu_str rest = {a.p + 5, a.len - 5};
    size_t colon = rest.len;
    while (colon > 0 && rest.p[colon - 1] != ':')
        colon--;
    if (colon == 0)
        return emu_err_set(err, EMU_E_INVALID, NULL, "Authorization has no ':'");
    emu_str cred = {rest.p, colon - 1};
    emu_str sig = {rest.p + colon, rest.len - colon};
    if (cred.len == 0 || sig.len == 0)
        return emu_err_set(err, EMU_E_INVALID, NULL, "empty AccessKeyId or signature");

    const char *slash = memchr(cred.p, '/', cred.len);
    if (!slash) {
        out->version = 2;
        out->access_key_id = cred;
        out->signature = sig;
        return EMU_OK;
    }
    /* v4: ak/yyyymmdd/region/odps/aliyun_v4_request */
    emu_str parts[5];
    size_t n = 0, i = 0;
    while (n < 5) {
        size_t start = i;
        while (i < cred.len && cred.p[i] != '/')
            i++;
        parts[n++] = (emu_str){cred.p + start, i - start};
        if (i >= cred.len)
            break;
        i++;
    }
    if (n != 5 || i < cred.len)
        return emu_err_set(err, EMU_E_INVALID, NULL, "v4 credential needs five parts");
    bool date_ok = parts[1].len == 8;
    for (size_t k = 0; k < parts[1].len && date_ok; k++)
        date_ok = parts[1].p[k] >= '0' && parts[1].p[k] <= '9';
    if (parts[0].len == 0 || !date_ok || parts[2].len == 0 || !emu_str_eq_c(parts[3], "odps") ||
        !emu_str_eq_c(parts[4], "aliyun_v4_request"))
        return emu_err_set(err, EMU_E_INVALID, NULL, "malformed v4 credential");
    out->version = 4;
    out->access_key_id = parts[0];
    out->date = parts[1];
    out->region = parts[2];
    out->signature = sig;
    return EMU_OK;
}

static int cmp_param_ptr(const void *a, const void *b)
{
    const sig_param *x = *(const sig_param *const *)a;
    const sig_param *y = *(const sig_param *const *)b;
    return sig__cmp(x->name, y->name);
}

/* Decoded, uniqueness-checked query parameters, sorted by name. */
static emu_rc sorted_query(emu_arena *arena, emu_str raw_query, const sig_param ***out,
                           size_t *out_n, emu_err *err)
{
    sig_params p;
    emu_rc rc = sig_params_parse(arena, raw_query, EMU_STR_NULL, &p, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < p.n; i++)
        if (p.v[i].count > 1)
            return emu_err_set(err, EMU_E_INVALID, NULL, "repeated query parameter %.*s",
                               (int)(p.v[i].name.len > 64 ? 64 : p.v[i].name.len), p.v[i].name.p);
    const sig_param **v = emu_arena_alloc(arena, (p.n ? p.n : 1) * sizeof *v);
    for (size_t i = 0; i < p.n; i++)
        v[i] = &p.v[i];
    if (p.n > 1)
        qsort(v, p.n, sizeof *v, cmp_param_ptr);
    *out = v;
    *out_n = p.n;
    return EMU_OK;
}

static emu_rc put_resource(sig__sb *sb, emu_arena *arena, emu_str raw_path, emu_str raw_query,
                           const sig_param **q, size_t nq, emu_err *err)
{
    emu_str path;
    emu_rc rc = sig_pct_decode(arena, raw_path, false, &path, err);
    if (rc) {
        emu_err_prefix(err, "path: ");
        return rc;
    }
    /* The "/api" of the endpoint is not part of the resource (§8.1). Only a
     * whole first segment counts: "/apis" stays. */
    if (emu_str_eq_c(path, "/api"))
        path = EMU_STR_LIT("/");
    else if (emu_str_starts(path, "/api/"))
        path = (emu_str){path.p + 4, path.len - 4};
    sig__sb_str(sb, path);
    if (raw_query.len == 0)
        return EMU_OK;
    sig__sb_putc(sb, '?');
    for (size_t i = 0; i < nq; i++) {
        if (i)
            sig__sb_putc(sb, '&');
        sig__sb_str(sb, q[i]->name);
        if (q[i]->value.len) {
            sig__sb_putc(sb, '=');
            sig__sb_str(sb, q[i]->value);
        }
    }
    return EMU_OK;
}

emu_rc sig_odps_canonical_resource(emu_arena *arena, emu_str raw_path, emu_str raw_query,
                                   emu_str *out, emu_err *err)
{
    const sig_param **q;
    size_t nq;
    emu_rc rc = sorted_query(arena, raw_query, &q, &nq, err);
    if (rc)
        return rc;
    sig__sb sb;
    sig__sb_init(&sb, arena);
    rc = put_resource(&sb, arena, raw_path, raw_query, q, nq, err);
    if (rc)
        return rc;
    return sig__sb_finish(&sb, "canonical resource", out, err);
}

/* One "x-odps-*" line: lower-cased header name or the parameter name as
 * sent, and its value. */
typedef struct odps_line {
    emu_str name;
    emu_str value;
} odps_line;

static int cmp_line(const void *a, const void *b)
{
    return sig__cmp(((const odps_line *)a)->name, ((const odps_line *)b)->name);
}

static emu_str header_value(const emu_http_req *req, const char *name)
{
    const emu_http_header *h = sig__header(req->headers, req->n_headers, name);
    return h ? emu_str_trim(h->value) : (emu_str){"", 0};
}

emu_rc sig_odps_string_to_sign(emu_arena *arena, const emu_http_req *req, emu_str *out,
                               emu_err *err)
{
    const sig_param **q;
    size_t nq;
    emu_rc rc = sorted_query(arena, req->query, &q, &nq, err);
    if (rc)
        return rc;

    odps_line *lines = emu_arena_alloc(arena, (req->n_headers + nq + 1) * sizeof *lines);
    size_t n = 0;
    for (size_t i = 0; i < req->n_headers; i++) {
        const emu_http_header *h = &req->headers[i];
        if (!emu_str_istarts(h->name, "x-odps-"))
            continue;
        char *low = emu_arena_strndup(arena, h->name.p, h->name.len);
        for (size_t k = 0; k < h->name.len; k++)
            if (low[k] >= 'A' && low[k] <= 'Z')
                low[k] = (char)(low[k] + 32);
        emu_str name = {low, h->name.len};
        /* pyodps builds a dict: a later header of the same name replaces
         * the earlier one. */
        size_t k = 0;
        while (k < n && !emu_str_eq(lines[k].name, name))
            k++;
        lines[k] = (odps_line){name, emu_str_trim(h->value)};
        if (k == n)
            n++;
    }
    for (size_t i = 0; i < nq; i++) {
        if (!emu_str_starts(q[i]->name, "x-odps-"))
            continue;
        size_t k = 0;
        while (k < n && !emu_str_eq(lines[k].name, q[i]->name))
            k++;
        lines[k] = (odps_line){q[i]->name, q[i]->value};
        if (k == n)
            n++;
    }
    if (n > 1)
        qsort(lines, n, sizeof *lines, cmp_line);

    sig__sb sb;
    sig__sb_init(&sb, arena);
    /* content-md5 < content-type < date < x-odps-*: the one sorted list of
     * §8.2 always comes out in this order, so the fixed lines go first. */
    sig__sb_str(&sb, req->method);
    sig__sb_putc(&sb, '\n');
    sig__sb_str(&sb, header_value(req, "content-md5"));
    sig__sb_putc(&sb, '\n');
    sig__sb_str(&sb, header_value(req, "content-type"));
    sig__sb_putc(&sb, '\n');
    sig__sb_str(&sb, header_value(req, "date"));
    sig__sb_putc(&sb, '\n');
    for (size_t i = 0; i < n; i++) {
        sig__sb_str(&sb, lines[i].name);
        sig__sb_putc(&sb, ':');
        sig__sb_str(&sb, lines[i].value);
        sig__sb_putc(&sb, '\n');
    }
    rc = put_resource(&sb, arena, req->path, req->query, q, nq, err);
    if (rc)
        return rc;
    return sig__sb_finish(&sb, "string to sign", out, err);
}

void sig_odps_v4_key(emu_str secret, emu_str date, emu_str region, uint8_t out[32])
{
    static const char prefix[] = "aliyun_v4";
    uint8_t a[EMU_SHA256_LEN], b[EMU_SHA256_LEN];
    char *k0 = emu_xmalloc(sizeof prefix - 1 + secret.len);
    memcpy(k0, prefix, sizeof prefix - 1);
    if (secret.len)
        memcpy(k0 + sizeof prefix - 1, secret.p, secret.len);
    /* Separate buffers at each step: HMAC() makes no promise about its
     * output aliasing its key. */
    emu_hmac_sha256(k0, sizeof prefix - 1 + secret.len, SIG__P(date), date.len, a);
    free(k0);
    emu_hmac_sha256(a, sizeof a, SIG__P(region), region.len, b);
    emu_hmac_sha256(b, sizeof b, "odps", 4, a);
    /* Unlike Tablestore V4, the raw digest (not its Base64) is the key. */
    emu_hmac_sha256(a, sizeof a, "aliyun_v4_request", 17, out);
}

emu_rc sig_odps_verify(emu_arena *arena, const emu_http_req *req, const sig_odps_auth *auth,
                       emu_str secret, emu_str *sts_out, emu_err *err)
{
    emu_str sts;
    emu_rc rc = sig_odps_string_to_sign(arena, req, &sts, err);
    if (rc)
        return rc;
    if (sts_out)
        *sts_out = sts;
    uint8_t mac[EMU_SHA1_LEN];
    if (auth->version == 4) {
        uint8_t key[32];
        sig_odps_v4_key(secret, auth->date, auth->region, key);
        emu_hmac_sha1(key, sizeof key, sts.p, sts.len, mac);
    } else {
        emu_hmac_sha1(SIG__P(secret), secret.len, sts.p, sts.len, mac);
    }
    char want[SIG_B64_SHA1_LEN + 1];
    emu_base64_encode(mac, sizeof mac, want);
    if (emu_ct_equal(want, SIG_B64_SHA1_LEN, auth->signature.p, auth->signature.len))
        return EMU_OK;
    rc = emu_err_set(err, EMU_E_AUTH, NULL, "%s", ODPS_MISMATCH);
    if (err)
        err->msg_tail = sts.p;
    return rc;
}
