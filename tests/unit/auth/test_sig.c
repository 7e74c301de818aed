/* Unit tests of emulator/auth/sig_*.c: every vector of
 * tests/fixtures/vectors/signature-vectors.json (rpc-api.md §3.3, §4.2) and
 * every signature vector of tests/fixtures/vectors/ots-test-vectors.json
 * (tablestore-protocol.md §3, §4), hand-built ODPS vectors, and the
 * canonicalisation edge cases. The JSON files are read at run time from
 * $EMU_SOURCE_DIR (ctest sets it); a missing file fails the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first: keep it in its own block so
 * include sorting cannot move it. */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/arena.h"
#include "emu/crypto.h"
#include "emu/err.h"
#include "emu/json.h"
#include "emu/limits.h"
#include "emu/sig.h"

/* ---- fixtures ---------------------------------------------------------- */

static int setup(void **state)
{
    *state = emu_arena_new(0);
    return 0;
}

static int teardown(void **state)
{
    emu_arena_free(*state);
    return 0;
}

static cJSON *load_vectors(const char *name)
{
    const char *root = getenv("EMU_SOURCE_DIR");
    char path[4096];
    if (!root)
        fail_msg("EMU_SOURCE_DIR is not set (run through ctest)");
    snprintf(path, sizeof path, "%s/tests/fixtures/vectors/%s", root, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open vector file %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    emu_err err = {0};
    cJSON *j = emu_json_parse(text, (size_t)n, &err);
    free(text);
    if (!j)
        fail_msg("%s: %s", path, err.msg);
    return j;
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(x))
        fail_msg("vector field %s missing", key);
    return x->valuestring;
}

static emu_str S(const char *s)
{
    return emu_str_c(s);
}

static void assert_str_eq(emu_str got, const char *want)
{
    if (got.len != strlen(want) || memcmp(got.p, want, got.len) != 0)
        fail_msg("got  \"%.*s\"\nwant \"%s\"", (int)got.len, got.p ? got.p : "", want);
}

static uint8_t *unhex(emu_arena *a, const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2;
    uint8_t *o = emu_arena_alloc(a, n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        o[i] = (uint8_t)v;
    }
    *len = n;
    return o;
}

/* Node's querystring.stringify escaping: unreserved plus ! ' ( ) * raw,
 * space as %20 (rpc-api.md §2.1). The V3 SDK builds its URL this way. */
static void node_qs_escape(char *out, size_t cap, const char *s)
{
    size_t k = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        assert_true(k + 4 < cap);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr("-_.!~*'()", c))
            out[k++] = (char)c;
        else
            k += (size_t)sprintf(out + k, "%%%02X", c);
    }
    out[k] = '\0';
}

/* Builds a raw query "n=v&..." from a JSON object (values escaped Node-style). */
static char *query_from_json(emu_arena *a, const cJSON *obj, const char *extra)
{
    size_t cap = 65536;
    char *q = emu_arena_alloc(a, cap);
    char tmp[16384];
    size_t k = 0;
    q[0] = '\0';
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        node_qs_escape(tmp, sizeof tmp, it->string);
        k += (size_t)snprintf(q + k, cap - k, "%s%s=", k ? "&" : "", tmp);
        node_qs_escape(tmp, sizeof tmp, it->valuestring);
        k += (size_t)snprintf(q + k, cap - k, "%s", tmp);
    }
    if (extra)
        snprintf(q + k, cap - k, "%s%s", k ? "&" : "", extra);
    return q;
}

/* ---- percent codec ----------------------------------------------------- */

static void pct_encode_pins_every_rule(void **state)
{
    emu_arena *a = *state;
    /* rpc-api.md §3.1 and V1-3's Description. */
    assert_str_eq(sig_pct_encode(a, S("a b*c~d!e'f(g)h+i/j\xe4\xb8\xad")),
                  "a%20b%2Ac~d%21e%27f%28g%29h%2Bi%2Fj%E4%B8%AD");
    assert_str_eq(sig_pct_encode(a, S("AZaz09-_.~")), "AZaz09-_.~");
    assert_str_eq(sig_pct_encode(a, S(":=&%")), "%3A%3D%26%25");
    assert_str_eq(sig_pct_encode(a, S("")), "");
    assert_str_eq(sig_pct_encode(a, (emu_str){"\0\xff", 2}), "%00%FF");
}

static void pct_decode_plus_and_case(void **state)
{
    emu_arena *a = *state;
    emu_str out;
    emu_err err = {0};
    assert_int_equal(sig_pct_decode(a, S("a+b%2Bc%2bd%e4%B8%AD"), true, &out, &err), EMU_OK);
    assert_str_eq(out, "a b+c+d\xe4\xb8\xad");
    assert_int_equal(sig_pct_decode(a, S("a+b"), false, &out, &err), EMU_OK);
    assert_str_eq(out, "a+b");
    assert_int_equal(sig_pct_decode(a, S("%00"), true, &out, &err), EMU_OK);
    assert_int_equal(out.len, 1);
    assert_int_equal(out.p[0], '\0');
}

static void pct_decode_rejects_malformed(void **state)
{
    emu_arena *a = *state;
    const char *bad[] = {"%", "ab%", "%4", "x%4", "%G1", "%1G", "%%41", "ok%zz"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        emu_str out = S("untouched");
        emu_err err = {0};
        assert_int_equal(sig_pct_decode(a, S(bad[i]), true, &out, &err), EMU_E_INVALID);
        assert_non_null(strstr(err.msg, "offset"));
        assert_str_eq(out, "untouched");
    }
}

/* ---- parameters -------------------------------------------------------- */

static void params_split_merge_and_count(void **state)
{
    emu_arena *a = *state;
    sig_params p;
    emu_err err = {0};
    assert_int_equal(sig_params_parse(a, S("A=1&&B=&C&=x&Sig+n=%20v&A=2&Signature=q"),
                                      S("A=body&Signature=b&D=4"), &p, &err),
                     EMU_OK);
    /* A, B, C, "Sig n", Signature, D: "=x" and the empty piece are skipped. */
    assert_int_equal(p.n, 6);
    assert_str_eq(sig_params_get(&p, "A"), "body"); /* body beats query */
    assert_int_equal(sig_params_find(&p, "A")->count, 3);
    assert_true(sig_params_find(&p, "A")->from_body);
    assert_str_eq(sig_params_get(&p, "B"), "");
    assert_str_eq(sig_params_get(&p, "C"), "");
    assert_non_null(sig_params_find(&p, "C"));
    assert_str_eq(sig_params_get(&p, "Sig n"), " v");
    assert_int_equal(sig_params_find(&p, "Signature")->count, 2); /* duplicated Signature */
    assert_int_equal(p.n_dup, 2);
    assert_null(sig_params_find(&p, "a")); /* names are case-sensitive */
    assert_null(sig_params_get(&p, "Missing").p);
}

static void params_first_wins_inside_one_source(void **state)
{
    emu_arena *a = *state;
    sig_params p;
    assert_int_equal(sig_params_parse(a, S("X=1&X=2"), EMU_STR_NULL, &p, NULL), EMU_OK);
    assert_str_eq(sig_params_get(&p, "X"), "1");
    assert_int_equal(sig_params_find(&p, "X")->count, 2);
    assert_int_equal(p.n_dup, 1);
}

static void params_reject_bad_escape_and_cap(void **state)
{
    emu_arena *a = *state;
    sig_params p;
    emu_err err = {0};
    assert_int_equal(sig_params_parse(a, S("a=1"), S("b=%zz"), &p, &err), EMU_E_INVALID);
    assert_non_null(strstr(err.msg, "body"));
    assert_int_equal(p.n, 0);

    char *q = emu_arena_alloc(a, (EMU_MAX_PARAMS + 1) * 8);
    size_t k = 0;
    for (int i = 0; i < EMU_MAX_PARAMS; i++)
        k += (size_t)sprintf(q + k, "%sp%d", i ? "&" : "", i);
    assert_int_equal(sig_params_parse(a, S(q), EMU_STR_NULL, &p, &err), EMU_OK);
    assert_int_equal(p.n, EMU_MAX_PARAMS);
    assert_int_equal(sig_params_parse(a, S(q), S("one=more"), &p, &err), EMU_E_LIMIT);
}

static void form_content_type(void **state)
{
    (void)state;
    assert_true(sig_is_form_content_type(S("application/x-www-form-urlencoded")));
    assert_true(sig_is_form_content_type(S("Application/X-WWW-Form-Urlencoded; charset=UTF-8")));
    assert_false(sig_is_form_content_type(S("application/json")));
    assert_false(sig_is_form_content_type(S("application/x-www-form-urlencodedX")));
    assert_false(sig_is_form_content_type(EMU_STR_NULL));
}

/* ---- RPC V1 ------------------------------------------------------------ */

static void v1_vectors(void **state)
{
    emu_arena *a = *state;
    cJSON *j = load_vectors("signature-vectors.json");
    const cJSON *v;
    int count = 0;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(j, "v1"))
    {
        const char *id = jstr(v, "id");
        /* Round trip through the wire form: pct-encode, then collect; the
         * POST vectors put the business parameters in a form body (§2.4). */
        char *q = query_from_json(a, cJSON_GetObjectItemCaseSensitive(v, "params"), NULL);
        char sigbuf[SIG_B64_SHA1_LEN + 1];
        sig_params p;
        emu_err err = {0};
        assert_int_equal(sig_params_parse(a, S(q), EMU_STR_NULL, &p, &err), EMU_OK);

        emu_str cq, sts;
        assert_int_equal(sig_v1_canonical_query(a, &p, &cq, &err), EMU_OK);
        assert_str_eq(cq, jstr(v, "canonicalizedQuery"));
        assert_int_equal(sig_v1_string_to_sign(a, S(jstr(v, "method")), &p, &sts, &err), EMU_OK);
        assert_str_eq(sts, jstr(v, "stringToSign"));
        sig_v1_sign(S(jstr(v, "accessKeySecret")), sts, sigbuf);
        if (strcmp(sigbuf, jstr(v, "signature")) != 0)
            fail_msg("%s: signature %s, want %s", id, sigbuf, jstr(v, "signature"));

        /* Verify with Signature sent in the query (escaped: it has + / =). */
        char tmp[128];
        node_qs_escape(tmp, sizeof tmp, jstr(v, "signature"));
        char *q2 = emu_arena_sprintf(a, "%s&Signature=%s", q, tmp);
        assert_int_equal(sig_params_parse(a, S(q2), EMU_STR_NULL, &p, &err), EMU_OK);
        emu_str got_sts = EMU_STR_NULL;
        assert_int_equal(sig_v1_verify(a, S(jstr(v, "method")), &p, S(jstr(v, "accessKeySecret")),
                                       &got_sts, &err),
                         EMU_OK);
        assert_str_eq(got_sts, jstr(v, "stringToSign"));

        /* Wrong secret: SignatureDoesNotMatch text + server string to sign. */
        assert_int_equal(sig_v1_verify(a, S(jstr(v, "method")), &p, S("wrong"), NULL, &err),
                         EMU_E_AUTH);
        assert_null(err.code);
        assert_string_equal(err.msg, "Specified signature is not matched with our "
                                     "calculation. server string to sign is:");
        assert_string_equal(err.msg_tail, jstr(v, "stringToSign"));
        count++;
    }
    assert_int_equal(count, 5);
    cJSON_Delete(j);
}

static void v1_signature_split_between_query_and_body(void **state)
{
    emu_arena *a = *state;
    /* V1-2 as @alicloud/credentials sends it: common params in the query,
     * business params in the form body; the signature covers the union. */
    const char *query =
        "Version=2015-04-01&Action=AssumeRole&Format=JSON&Timestamp=2025-01-01T00%3A"
        "00%3A00Z&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&SignatureNonce="
        "00000000-0000-4000-8000-000000000002&AccessKeyId=LTAI5tEmulatorB56789&"
        "Signature=DZs3Al%2FIiAOvCaIFW7DGeqPiOJM%3D";
    const char *body = "RoleArn=acs%3Aram%3A%3A1234567890123456%3Arole%2Fots-reader&"
                       "RoleSessionName=sess-1&DurationSeconds=3600";
    sig_params p;
    emu_err err = {0};
    assert_int_equal(sig_params_parse(a, S(query), S(body), &p, &err), EMU_OK);
    assert_int_equal(sig_v1_verify(a, S("POST"), &p, S("emulator-secret-b"), NULL, &err), EMU_OK);
    assert_int_equal(sig_v1_verify(a, S("GET"), &p, S("emulator-secret-b"), NULL, &err),
                     EMU_E_AUTH);
}

static void v1_missing_signature(void **state)
{
    emu_arena *a = *state;
    sig_params p;
    emu_err err = {0};
    assert_int_equal(sig_params_parse(a, S("Action=X"), EMU_STR_NULL, &p, &err), EMU_OK);
    assert_int_equal(sig_v1_verify(a, S("GET"), &p, S("s"), NULL, &err), EMU_E_INVALID);
    /* An empty secret still signs (key "&"), it just never matches. */
    char out[SIG_B64_SHA1_LEN + 1];
    sig_v1_sign(EMU_STR_NULL, S("x"), out);
    assert_int_equal(strlen(out), SIG_B64_SHA1_LEN);
}

/* ---- RPC V3 ------------------------------------------------------------ */

typedef struct v3_case {
    emu_http_req req;
    emu_http_header h[32];
    const char *authorization;
} v3_case;

static void v3_load(emu_arena *a, const cJSON *v, v3_case *c)
{
    memset(c, 0, sizeof *c);
    const cJSON *it;
    size_t n = 0;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(v, "headers"))
    {
        c->h[n].name = S(it->string);
        c->h[n].value = S(it->valuestring);
        n++;
    }
    c->authorization = jstr(v, "authorization");
    c->h[n].name = S("Authorization");
    c->h[n].value = S(c->authorization);
    n++;
    c->req.method = S(jstr(v, "method"));
    c->req.path = S(jstr(v, "path"));
    c->req.query = S(query_from_json(a, cJSON_GetObjectItemCaseSensitive(v, "query"), NULL));
    c->req.headers = c->h;
    c->req.n_headers = n;
    c->req.body = (const uint8_t *)jstr(v, "body");
    c->req.body_len = strlen(jstr(v, "body"));
}

static void v3_vectors(void **state)
{
    emu_arena *a = *state;
    cJSON *j = load_vectors("signature-vectors.json");
    const cJSON *v;
    int count = 0;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(j, "v3"))
    {
        v3_case c;
        v3_load(a, v, &c);
        sig_v3_auth auth;
        sig_v3_canon canon;
        emu_err err = {0};
        assert_int_equal(sig_v3_parse_auth(a, S(c.authorization), &auth, &err), EMU_OK);
        assert_null(sig_v3_missing_header(&auth, &c.req));
        assert_int_equal(sig_v3_canonicalize(a, &c.req, &auth, &canon, &err), EMU_OK);
        assert_str_eq(canon.canonical_request, jstr(v, "canonicalRequest"));
        assert_str_eq(canon.string_to_sign, jstr(v, "stringToSign"));
        assert_false(canon.payload_mismatch);
        emu_str secret = S(jstr(v, "accessKeySecret"));
        assert_int_equal(sig_v3_verify(a, &c.req, &auth, secret, &canon, &err), EMU_OK);

        assert_int_equal(sig_v3_verify(a, &c.req, &auth, S("nope"), NULL, &err), EMU_E_AUTH);
        assert_non_null(strstr(err.msg, "server string to sign is:"));
        assert_string_equal(err.msg_tail, jstr(v, "stringToSign"));

        /* A body the hash header does not describe: reported separately. */
        c.req.body = (const uint8_t *)"x";
        c.req.body_len = 1;
        assert_int_equal(sig_v3_verify(a, &c.req, &auth, secret, &canon, &err), EMU_E_AUTH);
        assert_true(canon.payload_mismatch);
        assert_non_null(strstr(err.msg, "x-acs-content-sha256"));
        count++;
    }
    assert_int_equal(count, 3);
    cJSON_Delete(j);
}

static void v3_query_is_reencoded_not_reused(void **state)
{
    emu_arena *a = *state;
    cJSON *j = load_vectors("signature-vectors.json");
    const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "v3"), 1); /* V3-2 */
    v3_case c;
    v3_load(a, v, &c);
    /* The wire query carries raw '*' (V3-2); any other spelling of the same
     * values ('+' for space, lower-case hex) must canonicalise the same. */
    assert_non_null(memchr(c.req.query.p, '*', c.req.query.len));
    char *alt = emu_arena_strndup(a, c.req.query.p, c.req.query.len);
    char *sp = strstr(alt, "read%20ots");
    assert_non_null(sp);
    memcpy(sp, "read+ots\0\0", 10);
    memmove(sp + 8, sp + 10, strlen(sp + 10) + 1);
    c.req.query = S(alt);
    sig_v3_auth auth;
    emu_err err = {0};
    assert_int_equal(sig_v3_parse_auth(a, S(c.authorization), &auth, &err), EMU_OK);
    assert_int_equal(sig_v3_verify(a, &c.req, &auth, S("emulator-secret-b"), NULL, &err), EMU_OK);
    cJSON_Delete(j);
}

static void v3_header_case_and_whitespace(void **state)
{
    emu_arena *a = *state;
    cJSON *j = load_vectors("signature-vectors.json");
    const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "v3"), 0);
    v3_case c;
    v3_load(a, v, &c);
    /* Header names in any case, values padded: same canonical request. */
    for (size_t i = 0; i < c.req.n_headers; i++) {
        if (emu_str_eq_c(c.h[i].name, "x-acs-action")) {
            c.h[i].name = S("X-Acs-Action");
            c.h[i].value = S("  AssumeRole\t");
        }
    }
    sig_v3_auth auth;
    emu_err err = {0};
    assert_int_equal(sig_v3_parse_auth(a, S(c.authorization), &auth, &err), EMU_OK);
    assert_int_equal(sig_v3_verify(a, &c.req, &auth, S("emulator-secret-b"), NULL, &err), EMU_OK);
    /* Dropping a required header: reported by name. */
    for (size_t i = 0; i < c.req.n_headers; i++)
        if (emu_str_eq_c(c.h[i].name, "x-acs-date"))
            c.h[i].name = S("x-acs-datx");
    assert_string_equal(sig_v3_missing_header(&auth, &c.req), "x-acs-date");
    assert_int_equal(sig_v3_verify(a, &c.req, &auth, S("emulator-secret-b"), NULL, &err),
                     EMU_E_AUTH);
    cJSON_Delete(j);
}

/* Copies fmt into out with each "SIG" replaced by sig (no printf: the
 * templates are data). */
static void subst_sig(char *out, size_t cap, const char *fmt, const char *sig)
{
    size_t k = 0;
    while (*fmt) {
        const char *add = fmt;
        size_t n = 1;
        if (strncmp(fmt, "SIG", 3) == 0) {
            add = sig;
            n = strlen(sig);
            fmt += 3;
        } else {
            fmt++;
        }
        assert_true(k + n < cap);
        memcpy(out + k, add, n);
        k += n;
    }
    out[k] = '\0';
}

static void v3_auth_parse_variants(void **state)
{
    emu_arena *a = *state;
    const char *sig = "d0a2a8a96cc39b8196345e27756e7fbb9fa88005c2fddbc3fda852ba74945f43";
    sig_v3_auth auth;
    emu_err err = {0};
    char buf[512];

    /* Spaces after commas, other order, unknown part, upper-case names. */
    subst_sig(buf, sizeof buf,
              "ACS3-HMAC-SHA256 Signature=SIG, Extra=1, SignedHeaders=X-Acs-Date;host, "
              "Credential=AK",
              sig);
    assert_int_equal(sig_v3_parse_auth(a, S(buf), &auth, &err), EMU_OK);
    assert_str_eq(auth.credential, "AK");
    assert_int_equal(auth.n_headers, 2);
    assert_str_eq(auth.headers[0], "host");
    assert_str_eq(auth.headers[1], "x-acs-date");
    assert_str_eq(auth.signature, sig);
    /* host is signed and x-acs-action is not: the policy set reports it. */
    emu_http_header hh[] = {{S("host"), S("h")}};
    emu_http_req r = {.headers = hh, .n_headers = 1};
    assert_string_equal(sig_v3_missing_header(&auth, &r), "x-acs-action");

    const char *unsupported[] = {"ACS3-HMAC-SM3 Credential=a,SignedHeaders=host,Signature=x",
                                 "ACS3-RSA-SHA256 Credential=a", "ACS4-HMAC-SHA256 x",
                                 "Bearer token"};
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
        assert_int_equal(sig_v3_parse_auth(a, S(unsupported[i]), &auth, &err), EMU_E_UNSUPPORTED);

    const char *fmt_bad[] = {
        "",
        "ACS3-HMAC-SHA256",
        "ACS3-HMAC-SHA256 ",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host",
        "ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=SIG",
        "ACS3-HMAC-SHA256 Credential=a,Credential=b,SignedHeaders=host,Signature=SIG",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;;x,Signature=SIG",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;host,Signature=SIG",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=,Signature=SIG",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=ho st,Signature=SIG",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=ABC",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=SIGff",
        "ACS3-HMAC-SHA256 Credential=a,,SignedHeaders=host,Signature=SIG",
        "ACS3-HMAC-SHA256 Credential=a SignedHeaders=host Signature=SIG",
        "ACS3-HMAC-SHA256,Credential=a,SignedHeaders=host,Signature=SIG",
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=SIG,",
        "=ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=SIG",
    };
    for (size_t i = 0; i < sizeof fmt_bad / sizeof fmt_bad[0]; i++) {
        subst_sig(buf, sizeof buf, fmt_bad[i], sig);
        if (sig_v3_parse_auth(a, S(buf), &auth, &err) != EMU_E_INVALID)
            fail_msg("accepted: SIG", buf);
        assert_null(auth.credential.p);
    }
    /* Upper-case hex is not what the SDK sends: malformed. */
    snprintf(buf, sizeof buf, "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=%s",
             "D0A2A8A96CC39B8196345E27756E7FBB9FA88005C2FDDBC3FDA852BA74945F43");
    assert_int_equal(sig_v3_parse_auth(a, S(buf), &auth, &err), EMU_E_INVALID);
}

static void v3_huge_authorization(void **state)
{
    emu_arena *a = *state;
    sig_v3_auth auth;
    emu_err err = {0};
    /* Past the byte cap. */
    size_t n = SIG_MAX_AUTH_BYTES + 1;
    char *big = emu_arena_alloc(a, n + 1);
    memset(big, 'h', n);
    memcpy(big, "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=", 44);
    big[n] = '\0';
    assert_int_equal(sig_v3_parse_auth(a, (emu_str){big, n}, &auth, &err), EMU_E_INVALID);
    assert_non_null(strstr(err.msg, "longer"));
    /* Under the byte cap but more than EMU_MAX_HEADERS names. */
    char *many = emu_arena_alloc(a, 4096);
    size_t k = (size_t)sprintf(many, "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=");
    for (int i = 0; i <= EMU_MAX_HEADERS; i++)
        k += (size_t)sprintf(many + k, "%sh%d", i ? ";" : "", i);
    sprintf(many + k, ",Signature=%064d", 0);
    assert_int_equal(sig_v3_parse_auth(a, S(many), &auth, &err), EMU_E_INVALID);
    assert_non_null(strstr(err.msg, "SignedHeaders"));
}

static void v3_empty_path_and_malformed_query(void **state)
{
    emu_arena *a = *state;
    emu_http_header h[] = {{S("host"), S("x")}};
    emu_http_req r = {.method = S("POST"), .query = S("a=%"), .headers = h, .n_headers = 1};
    emu_str list = S("host");
    sig_v3_auth auth = {.headers = &list,
                        .n_headers = 1,
                        .signature =
                            S("0000000000000000000000000000000000000000000000000000000000000000")};
    sig_v3_canon canon;
    emu_err err = {0};
    assert_int_equal(sig_v3_canonicalize(a, &r, &auth, &canon, &err), EMU_E_INVALID);
    r.query = EMU_STR_NULL;
    assert_int_equal(sig_v3_canonicalize(a, &r, &auth, &canon, &err), EMU_OK);
    assert_str_eq(canon.canonical_request,
                  "POST\n/\n\nhost:x\n\nhost\n"
                  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* ---- Tablestore -------------------------------------------------------- */

/* Loads one captured request: operation from the request line, headers in
 * wire order, body from hex. */
typedef struct ots_case {
    emu_str op;
    emu_http_header h[24];
    size_t n;
    const uint8_t *body;
    size_t body_len;
    emu_str signature;
} ots_case;

static void ots_load(emu_arena *a, const cJSON *v, ots_case *c)
{
    memset(c, 0, sizeof *c);
    const char *line = jstr(v, "request_line"); /* "POST /PutRow HTTP/1.1" */
    const char *op = strchr(line, '/');
    assert_non_null(op);
    op++;
    c->op = (emu_str){op, (size_t)(strchr(op, ' ') - op)};
    const cJSON *pair;
    cJSON_ArrayForEach(pair, cJSON_GetObjectItemCaseSensitive(v, "headers_in_wire_order"))
    {
        assert_true(c->n < 24);
        c->h[c->n].name = S(cJSON_GetArrayItem(pair, 0)->valuestring);
        c->h[c->n].value = S(cJSON_GetArrayItem(pair, 1)->valuestring);
        if (emu_str_eq_c(c->h[c->n].name, "x-ots-signature"))
            c->signature = c->h[c->n].value;
        c->n++;
    }
    c->body = unhex(a, jstr(v, "body_hex"), &c->body_len);
}

static void ots_check_request(emu_arena *a, const cJSON *v, const char *secret)
{
    ots_case c;
    ots_load(a, v, &c);
    emu_str sts;
    emu_err err = {0};
    assert_int_equal(sig_ots_string_to_sign(a, c.op, c.h, c.n, &sts, &err), EMU_OK);
    assert_str_eq(sts, jstr(v, "string_to_sign"));
    char sig[SIG_B64_SHA1_LEN + 1];
    sig_ots_sign(S(secret), sts, sig);
    assert_str_eq(c.signature, sig);
    const cJSON *re = cJSON_GetObjectItemCaseSensitive(v, "recomputed_signature");
    if (re)
        assert_string_equal(sig, re->valuestring);

    sig_ots_result r;
    assert_int_equal(sig_ots_verify(a, c.op, c.h, c.n, S(secret), &r, &err), EMU_OK);
    assert_int_equal(r.version, SIG_OTS_V2);
    assert_str_eq(r.response_key, secret);
    assert_int_equal(sig_ots_verify(a, c.op, c.h, c.n, S("wrong"), &r, &err), EMU_E_AUTH);
    assert_string_equal(err.msg, "Signature mismatch.");

    const emu_http_header *md5 = NULL;
    for (size_t i = 0; i < c.n; i++)
        if (emu_str_eq_c(c.h[i].name, "x-ots-contentmd5"))
            md5 = &c.h[i];
    assert_non_null(md5);
    assert_int_equal(sig_ots_check_content_md5(c.body, c.body_len, md5->value, &err), EMU_OK);
    if (c.body_len) {
        assert_int_equal(sig_ots_check_content_md5(c.body, c.body_len - 1, md5->value, &err),
                         EMU_E_AUTH);
        assert_string_equal(err.msg, "Mismatch between MD5 value of request body and "
                                     "x-ots-contentmd5 in header.");
    }
}

static void ots_request_vectors(void **state)
{
    emu_arena *a = *state;
    cJSON *j = load_vectors("ots-test-vectors.json");
    const char *secret =
        jstr(cJSON_GetObjectItemCaseSensitive(j, "credentials"), "access_key_secret");
    const cJSON *v;
    int count = 0;
    cJSON_ArrayForEach(v,
                       cJSON_GetObjectItemCaseSensitive(
                           cJSON_GetObjectItemCaseSensitive(j, "smoke_test_requests"), "requests"))
    {
        ots_check_request(a, v, secret);
        count++;
    }
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(j, "requests_extra"))
    {
        ots_check_request(a, v, secret);
        count++;
    }
    assert_int_equal(count, 16);
    cJSON_Delete(j);
}

static void ots_go_header_case_and_padding(void **state)
{
    emu_arena *a = *state;
    cJSON *j = load_vectors("ots-test-vectors.json");
    const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "requests_extra"), 3);
    ots_case c;
    ots_load(a, v, &c);
    /* Go sends canonical MIME case ("X-Ots-Date"); values may be padded. */
    for (size_t i = 0; i < c.n; i++) {
        char *up = emu_arena_strndup(a, c.h[i].name.p, c.h[i].name.len);
        for (char *p = up; *p; p++)
            if (p == up || p[-1] == '-')
                *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        c.h[i].name = S(up);
        c.h[i].value = S(emu_arena_sprintf(a, " %.*s ", (int)c.h[i].value.len, c.h[i].value.p));
    }
    emu_str sts;
    emu_err err = {0};
    assert_int_equal(sig_ots_string_to_sign(a, c.op, c.h, c.n, &sts, &err), EMU_OK);
    assert_str_eq(sts, jstr(v, "string_to_sign"));
    assert_int_equal(sig_ots_verify(a, c.op, c.h, c.n, S("emulator-secret-a"), NULL, &err), EMU_OK);

    /* A repeated x-ots-* name (in another case) is refused. */
    c.h[c.n].name = S("x-ots-DATE");
    c.h[c.n].value = S("2025-01-01T00:00:00.000Z");
    assert_int_equal(sig_ots_string_to_sign(a, c.op, c.h, c.n + 1, &sts, &err), EMU_E_INVALID);
    assert_non_null(strstr(err.msg, "Repeated header"));

    /* No signature header at all. */
    for (size_t i = 0; i < c.n; i++)
        if (emu_str_ieq_c(c.h[i].name, "x-ots-signature"))
            c.h[i].name = S("x-ots-signaturx");
    assert_int_equal(sig_ots_verify(a, c.op, c.h, c.n, S("emulator-secret-a"), NULL, &err),
                     EMU_E_INVALID);
    assert_string_equal(err.msg, "Missing header: x-ots-signature.");
    cJSON_Delete(j);
}

static void ots_v4_vector(void **state)
{
    emu_arena *a = *state;
    cJSON *j = load_vectors("ots-test-vectors.json");
    const cJSON *v4 = cJSON_GetObjectItemCaseSensitive(j, "v4_signature_example");
    /* §3.4: the PutRow of requests_extra[1], signed V4 instead of V2. */
    ots_case c;
    ots_load(a, cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "requests_extra"), 1), &c);
    for (size_t i = 0; i < c.n; i++)
        if (emu_str_eq_c(c.h[i].name, "x-ots-signature"))
            c.h[i] = (emu_http_header){S("x-ots-signaturev4"), S(jstr(v4, "x-ots-signaturev4"))};
    c.h[c.n++] = (emu_http_header){S("x-ots-signdate"), S(jstr(v4, "sign_date"))};
    c.h[c.n++] = (emu_http_header){S("x-ots-signregion"), S(jstr(v4, "region"))};

    char key[SIG_B64_SHA256_LEN + 1];
    sig_ots_v4_signing_key(S("emulator-secret-a"), S(jstr(v4, "sign_date")), S(jstr(v4, "region")),
                           key);
    assert_string_equal(key, jstr(v4, "signing_key_base64"));

    sig_ots_result r;
    emu_err err = {0};
    assert_int_equal(sig_ots_verify(a, c.op, c.h, c.n, S("emulator-secret-a"), &r, &err), EMU_OK);
    assert_int_equal(r.version, SIG_OTS_V4);
    assert_str_eq(r.string_to_sign, jstr(v4, "string_to_sign"));
    assert_str_eq(r.response_key, jstr(v4, "signing_key_base64"));
    assert_int_equal(sig_ots_verify(a, c.op, c.h, c.n, S("emulator-secret-b"), &r, &err),
                     EMU_E_AUTH);

    /* V4 without its region header. */
    c.n--;
    assert_int_equal(sig_ots_verify(a, c.op, c.h, c.n, S("emulator-secret-a"), &r, &err),
                     EMU_E_INVALID);
    assert_string_equal(err.msg, "Missing header: x-ots-signregion.");
    cJSON_Delete(j);
}

static void ots_response_signature(void **state)
{
    emu_arena *a = *state;
    cJSON *j = load_vectors("ots-test-vectors.json");
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(j, "response_signature_example");
    emu_http_header h[8];
    size_t n = 0;
    const cJSON *it;
    /* Response headers in a shuffled order, plus non-x-ots ones that must
     * not be signed. */
    h[n++] = (emu_http_header){S("Content-Length"), S("8")};
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(ex, "headers"))
    {
        if (strcmp(it->string, "authorization") != 0)
            h[n++] = (emu_http_header){S(it->string), S(it->valuestring)};
    }
    emu_http_header tmp = h[1];
    h[1] = h[n - 1];
    h[n - 1] = tmp;

    emu_str sts, authz;
    emu_err err = {0};
    emu_str op = S(jstr(ex, "operation"));
    assert_int_equal(sig_ots_response_string_to_sign(a, op, h, n, &sts, &err), EMU_OK);
    assert_str_eq(sts, jstr(ex, "string_to_sign"));
    assert_int_equal(sig_ots_response_authorization(a, op, h, n, S("LTAI5tEmulatorA12345"),
                                                    S("emulator-secret-a"), &authz, &err),
                     EMU_OK);
    assert_str_eq(authz, jstr(cJSON_GetObjectItemCaseSensitive(ex, "headers"), "authorization"));
    /* V4-mode key for the same input (tablestore-protocol.md §4.2). */
    assert_int_equal(sig_ots_response_authorization(
                         a, op, h, n, S("LTAI5tEmulatorA12345"),
                         S(jstr(cJSON_GetObjectItemCaseSensitive(j, "v4_signature_example"),
                                "signing_key_base64")),
                         &authz, &err),
                     EMU_OK);
    assert_str_eq(authz, "OTS LTAI5tEmulatorA12345:hABEPXNtk+DdNDVjAFXTVlXSOr4=");

    /* The body's MD5 is the x-ots-contentmd5 of the example. */
    size_t blen;
    const uint8_t *body = unhex(a, jstr(ex, "body_hex"), &blen);
    char md5[25];
    sig_ots_content_md5(body, blen, md5);
    assert_string_equal(md5, "cGqcInR86zj/8Pah1LWaHg==");
    sig_ots_content_md5("", 0, md5);
    assert_string_equal(md5, "1B2M2Y8AsgTpgAmY7PhCfg==");
    cJSON_Delete(j);
}

/* ---- ODPS -------------------------------------------------------------- */

/* Hand-built vectors. Derivation: maxcompute-external-table.md §8.2 gives
 * the rule; it was re-implemented in Python exactly as pyodps 0.12
 * BaseAccount._build_canonical_str does it (unquote the URL after the
 * endpoint, parse_qsl with blank values, dict of content-type/content-md5/
 * date/x-odps-* headers plus x-odps-* query params, sorted, "name" alone for
 * empty values) and AliyunAccount.calc_auth_str (v2: base64 HMAC-SHA1 with
 * the secret; v4: HMAC-SHA256 chain "aliyun_v4"+secret → date → region →
 * "odps" → "aliyun_v4_request", then base64 HMAC-SHA1 with that raw key).
 * Inputs: secret emulator-secret-a; the Python printed the strings and
 * signatures copied below. ODPS-2 covers a decoded UTF-8 path, empty
 * values, an x-odps- query parameter, header case and the tunnel header. */
static void odps_vectors(void **state)
{
    emu_arena *a = *state;
    emu_err err = {0};
    emu_str sts;

    /* ODPS-1: pyodps creating an instance. */
    emu_http_header h1[] = {
        {S("Host"), S("127.0.0.1:9000")},
        {S("Content-Type"), S("application/xml")},
        {S("Date"), S("Sat, 28 Nov 2026 03:25:50 GMT")},
        {S("x-odps-user-agent"), S("pyodps/0.12.0 CPython/3.11.2")},
        {S("Authorization"), S("ODPS LTAI5tEmulatorA12345:3BqmaH0INiQ5Qdm1nDg7M3J3z/E=")},
    };
    emu_http_req r1 = {.method = S("POST"),
                       .path = S("/api/projects/demo/instances"),
                       .query = S("curr_project=demo"),
                       .headers = h1,
                       .n_headers = 5};
    const char *want1 = "POST\n\napplication/xml\nSat, 28 Nov 2026 03:25:50 GMT\n"
                        "x-odps-user-agent:pyodps/0.12.0 CPython/3.11.2\n"
                        "/projects/demo/instances?curr_project=demo";
    assert_int_equal(sig_odps_string_to_sign(a, &r1, &sts, &err), EMU_OK);
    assert_str_eq(sts, want1);
    sig_odps_auth auth;
    assert_int_equal(sig_odps_parse_auth(h1[4].value, &auth, &err), EMU_OK);
    assert_int_equal(auth.version, 2);
    assert_str_eq(auth.access_key_id, "LTAI5tEmulatorA12345");
    assert_int_equal(sig_odps_verify(a, &r1, &auth, S("emulator-secret-a"), NULL, &err), EMU_OK);
    assert_int_equal(sig_odps_verify(a, &r1, &auth, S("emulator-secret-b"), NULL, &err),
                     EMU_E_AUTH);
    assert_string_equal(err.msg_tail, want1);

    /* ODPS-1 signed v4 (region cn-hangzhou, date 20261128). */
    assert_int_equal(sig_odps_parse_auth(S("ODPS LTAI5tEmulatorA12345/20261128/cn-hangzhou/odps/"
                                           "aliyun_v4_request:FDfFLuZyRAheQvpGGCr90km25Y0="),
                                         &auth, &err),
                     EMU_OK);
    assert_int_equal(auth.version, 4);
    assert_str_eq(auth.date, "20261128");
    assert_str_eq(auth.region, "cn-hangzhou");
    assert_int_equal(sig_odps_verify(a, &r1, &auth, S("emulator-secret-a"), NULL, &err), EMU_OK);
    auth.region = S("cn-shanghai");
    assert_int_equal(sig_odps_verify(a, &r1, &auth, S("emulator-secret-a"), NULL, &err),
                     EMU_E_AUTH);

    /* ODPS-2: GET of table data through the tunnel-style headers. */
    emu_http_header h2[] = {
        {S("Date"), S("Sat, 28 Nov 2026 03:25:51 GMT")},
        {S("X-Odps-User-Agent"), S("pyodps/0.12.0")},
        {S("x-odps-tunnel-version"), S("5")},
    };
    emu_http_req r2 = {.method = S("GET"),
                       .path = S("/api/projects/demo/tables/%E4%B8%AD/data"),
                       .query = S("x-odps-foo=b%20c&instancestatus&curr_project=demo&data="),
                       .headers = h2,
                       .n_headers = 3};
    assert_int_equal(sig_odps_string_to_sign(a, &r2, &sts, &err), EMU_OK);
    assert_str_eq(sts, "GET\n\n\nSat, 28 Nov 2026 03:25:51 GMT\nx-odps-foo:b c\n"
                       "x-odps-tunnel-version:5\nx-odps-user-agent:pyodps/0.12.0\n"
                       "/projects/demo/tables/\xe4\xb8\xad/data?curr_project=demo&data&"
                       "instancestatus&x-odps-foo=b c");
    assert_int_equal(sig_odps_parse_auth(
                         S("ODPS LTAI5tEmulatorA12345:AxtAhP6Tnhsfu73mmVE5C+PTgmY="), &auth, &err),
                     EMU_OK);
    assert_int_equal(sig_odps_verify(a, &r2, &auth, S("emulator-secret-a"), NULL, &err), EMU_OK);
}

static void odps_canonical_resource_edges(void **state)
{
    emu_arena *a = *state;
    emu_str out;
    emu_err err = {0};
    assert_int_equal(sig_odps_canonical_resource(a, S("/api"), EMU_STR_NULL, &out, &err), EMU_OK);
    assert_str_eq(out, "/");
    assert_int_equal(sig_odps_canonical_resource(a, S("/apis/x"), EMU_STR_NULL, &out, &err),
                     EMU_OK);
    assert_str_eq(out, "/apis/x");
    assert_int_equal(sig_odps_canonical_resource(a, S("/projects/a+b"), S("&"), &out, &err),
                     EMU_OK);
    assert_str_eq(out, "/projects/a+b?"); /* pyodps: '?' whenever the query is non-empty */
    assert_int_equal(sig_odps_canonical_resource(a, S("/p"), S("b=1&a=x+y&c"), &out, &err), EMU_OK);
    assert_str_eq(out, "/p?a=x y&b=1&c");
    assert_int_equal(sig_odps_canonical_resource(a, S("/p"), S("a=1&a=2"), &out, &err),
                     EMU_E_INVALID);
    assert_int_equal(sig_odps_canonical_resource(a, S("/p%zz"), EMU_STR_NULL, &out, &err),
                     EMU_E_INVALID);
    assert_non_null(strstr(err.msg, "path"));
}

static void odps_auth_malformed(void **state)
{
    (void)state;
    sig_odps_auth auth;
    emu_err err = {0};
    const char *bad[] = {
        "",
        "ODPS",
        "ODPS ",
        "ODPS ak",
        "ODPS :sig",
        "ODPS ak:",
        "odps ak:sig",
        "ODPS ak/20261128/cn/odps:sig",
        "ODPS ak/2026112/cn/odps/aliyun_v4_request:sig",
        "ODPS ak/2026112x/cn/odps/aliyun_v4_request:sig",
        "ODPS ak/20261128//odps/aliyun_v4_request:sig",
        "ODPS ak/20261128/cn/ots/aliyun_v4_request:sig",
        "ODPS ak/20261128/cn/odps/aliyun_v4_request/x:sig",
        "ODPS /20261128/cn/odps/aliyun_v4_request:sig",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sig_odps_parse_auth(S(bad[i]), &auth, &err) != EMU_E_INVALID)
            fail_msg("accepted: \"%s\"", bad[i]);
    /* The signature is after the LAST ':' (an AK id never has one, but be
     * exact about which part is which). */
    assert_int_equal(sig_odps_parse_auth(S("ODPS a:b:c"), &auth, &err), EMU_OK);
    assert_str_eq(auth.access_key_id, "a:b");
    assert_str_eq(auth.signature, "c");
}

int main(void)
{
    emu_json_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pct_encode_pins_every_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(pct_decode_plus_and_case, setup, teardown),
        cmocka_unit_test_setup_teardown(pct_decode_rejects_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(params_split_merge_and_count, setup, teardown),
        cmocka_unit_test_setup_teardown(params_first_wins_inside_one_source, setup, teardown),
        cmocka_unit_test_setup_teardown(params_reject_bad_escape_and_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(form_content_type, setup, teardown),
        cmocka_unit_test_setup_teardown(v1_vectors, setup, teardown),
        cmocka_unit_test_setup_teardown(v1_signature_split_between_query_and_body, setup, teardown),
        cmocka_unit_test_setup_teardown(v1_missing_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(v3_vectors, setup, teardown),
        cmocka_unit_test_setup_teardown(v3_query_is_reencoded_not_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(v3_header_case_and_whitespace, setup, teardown),
        cmocka_unit_test_setup_teardown(v3_auth_parse_variants, setup, teardown),
        cmocka_unit_test_setup_teardown(v3_huge_authorization, setup, teardown),
        cmocka_unit_test_setup_teardown(v3_empty_path_and_malformed_query, setup, teardown),
        cmocka_unit_test_setup_teardown(ots_request_vectors, setup, teardown),
        cmocka_unit_test_setup_teardown(ots_go_header_case_and_padding, setup, teardown),
        cmocka_unit_test_setup_teardown(ots_v4_vector, setup, teardown),
        cmocka_unit_test_setup_teardown(ots_response_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(odps_vectors, setup, teardown),
        cmocka_unit_test_setup_teardown(odps_canonical_resource_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(odps_auth_malformed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
