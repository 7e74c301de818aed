/* Request signatures of the four wire protocols acsemu speaks, as pure
 * functions: no world, no sockets, no clock. Callers pass the request pieces
 * (or the emu_http_req view) and a secret they looked up themselves; these
 * functions canonicalise, sign and compare.
 *
 *   - percent codec and RPC parameter collection   rpc-api.md §2.5, §3.1
 *   - RPC signature V1 (HMAC-SHA1)                  rpc-api.md §3
 *   - RPC signature V3 (ACS3-HMAC-SHA256)           rpc-api.md §4
 *   - Tablestore x-ots-signature (V2, V4) and the response signature
 *                                                   tablestore-protocol.md §3, §4
 *   - ODPS "ODPS ak:sig" v2 and v4                  maxcompute-external-table.md §8.2
 *
 * Conventions shared by every function below:
 *   - Outputs (strings, arrays) are allocated from the `arena` argument and
 *     live until that arena is reset or freed. Text outputs are always
 *     NUL-terminated too (the NUL is not counted in emu_str.len), so they can
 *     be handed to printf-like code, but they may contain NUL bytes when the
 *     input was percent-decoded from "%00"; trust .len.
 *   - Inputs are borrowed; nothing here keeps a pointer to them after return,
 *     except that result structs point into the inputs or the arena as stated.
 *   - Errors: EMU_E_INVALID = malformed input (err->msg says what and where),
 *     EMU_E_LIMIT = a cap below or in emu/limits.h was exceeded,
 *     EMU_E_UNSUPPORTED = well-formed but an algorithm we do not implement,
 *     EMU_E_AUTH = the signature (or a digest) does not match.
 *     err->code is always left NULL: the service knows which cloud code
 *     (SignatureDoesNotMatch, OTSAuthFailed, SignatureNotMatch, ...) to use.
 *   - Every comparison of a secret-derived value is constant-time
 *     (emu_ct_equal). */
#ifndef EMU_SIG_H
#define EMU_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/arena.h"
#include "emu/err.h"
#include "emu/http.h"
#include "emu/str.h"

/* Caps private to signature parsing. They belong with the others in
 * emu/limits.h; they live here until that file is next edited. */
#define SIG_MAX_AUTH_BYTES 8192                 /* one Authorization header */
#define SIG_MAX_CANON_BYTES (64u * 1024 * 1024) /* any built canonical string */

/* ---------------------------------------------------------------------------
 * Percent codec (rpc-api.md §3.1)
 * ------------------------------------------------------------------------- */

/* "pct": bytes in A-Z a-z 0-9 - _ . ~ stay literal, every other byte becomes
 * %XX with upper-case hex (space → %20, '*' → %2A, UTF-8 bytes one by one).
 * Never fails. The result is exactly sized and lives in `arena`. */
emu_str sig_pct_encode(emu_arena *arena, emu_str in);

/* Decodes %XX escapes (either hex case); with `plus_is_space` a '+' becomes
 * a space (form semantics, rpc-api.md §2.5), otherwise it stays '+'. A '%'
 * not followed by two hex digits gives EMU_E_INVALID (err->msg names the
 * offset) and *out is left untouched. The result lives in `arena`; it may
 * contain any byte (no UTF-8 validation: signing works on bytes). */
emu_rc sig_pct_decode(emu_arena *arena, emu_str in, bool plus_is_space, emu_str *out, emu_err *err);

/* ---------------------------------------------------------------------------
 * RPC parameter collection (rpc-api.md §2.5)
 * ------------------------------------------------------------------------- */

typedef struct sig_param {
    emu_str name;   /* decoded, never empty */
    emu_str value;  /* decoded, may be empty */
    unsigned count; /* occurrences of this exact name in query + body */
    bool from_body; /* the kept value came from the form body */
} sig_param;

typedef struct sig_params {
    sig_param *v; /* unique names, in order of first appearance (arena) */
    size_t n;
    size_t n_dup; /* names that occurred more than once (anywhere) */
} sig_params;

/* True when a Content-Type value announces a form body
 * ("application/x-www-form-urlencoded", any case, parameters allowed). */
bool sig_is_form_content_type(emu_str content_type);

/* Splits the raw query string (without '?') and the raw form body on '&',
 * each piece on its first '=', and percent-decodes names and values with '+'
 * as space. Pass EMU_STR_NULL as `form_body` when the body is not a form
 * (see sig_is_form_content_type). Empty pieces ("a=1&&b=2") and pieces with
 * an empty name ("=x") are skipped [inferred: no client sends them]. A
 * piece without '=' is a name with an empty value.
 *
 * Merge rule: one entry per exact (case-sensitive) name. A body value
 * replaces a query value (§2.5 step 2 [inferred]); inside one source the
 * first occurrence wins [inferred]. Every repeat is still counted in
 * `count` / `n_dup` so callers can reject a duplicated Signature,
 * AccessKeyId, ... instead of guessing.
 *
 * Returns EMU_OK; EMU_E_INVALID on a malformed escape (err->msg names the
 * source and offset); EMU_E_LIMIT when query + body hold more than
 * EMU_MAX_PARAMS pieces. On error *out is zeroed. Names and values live in
 * `arena`. */
emu_rc sig_params_parse(emu_arena *arena, emu_str query, emu_str form_body, sig_params *out,
                        emu_err *err);

/* The parameter with exactly this name, or NULL. The pointer stays valid as
 * long as `p`. */
const sig_param *sig_params_find(const sig_params *p, const char *name);
/* Its value, or EMU_STR_NULL ({NULL, 0}) when absent. */
emu_str sig_params_get(const sig_params *p, const char *name);

/* ---------------------------------------------------------------------------
 * RPC signature V1: SignatureMethod=HMAC-SHA1, SignatureVersion=1.0 (§3.2)
 * ------------------------------------------------------------------------- */

#define SIG_B64_SHA1_LEN 28   /* Base64 of a 20-byte digest, without NUL */
#define SIG_B64_SHA256_LEN 44 /* Base64 of a 32-byte digest, without NUL */

/* Canonicalized query: every parameter except "Signature", sorted by the
 * byte order of the decoded name, as pct(name) "=" pct(value) joined by '&'.
 * Returns EMU_OK or EMU_E_LIMIT (> SIG_MAX_CANON_BYTES). */
emu_rc sig_v1_canonical_query(emu_arena *arena, const sig_params *p, emu_str *out, emu_err *err);

/* StringToSign = method "&%2F&" pct(canonical query). `method` is used as
 * given (the caller passes the request method, already upper case).
 * Returns EMU_OK or EMU_E_LIMIT. */
emu_rc sig_v1_string_to_sign(emu_arena *arena, emu_str method, const sig_params *p, emu_str *out,
                             emu_err *err);

/* Base64(HMAC-SHA1(secret + "&", sts)) into out (29 bytes incl. NUL). */
void sig_v1_sign(emu_str secret, emu_str string_to_sign, char out[SIG_B64_SHA1_LEN + 1]);

/* Verifies the decoded "Signature" parameter of `p` against `secret`.
 * *sts_out (optional) receives the server's StringToSign, in `arena`, on
 * every path that got far enough to build it (EMU_OK and EMU_E_AUTH).
 * Returns:
 *   EMU_OK         match;
 *   EMU_E_INVALID  no Signature parameter (caller: MissingParameter);
 *   EMU_E_AUTH     mismatch; err->msg is the cloud's text "Specified
 *                  signature is not matched with our calculation. server
 *                  string to sign is:" and err->msg_tail is the StringToSign
 *                  (rpc-api.md §6.4), so the caller only sets err->code;
 *   EMU_E_LIMIT    canonical string too large. */
emu_rc sig_v1_verify(emu_arena *arena, emu_str method, const sig_params *p, emu_str secret,
                     emu_str *sts_out, emu_err *err);

/* ---------------------------------------------------------------------------
 * RPC signature V3: ACS3-HMAC-SHA256 (rpc-api.md §4.1)
 * ------------------------------------------------------------------------- */

#define SIG_V3_ALGORITHM "ACS3-HMAC-SHA256"

typedef struct sig_v3_auth {
    emu_str algorithm;      /* "ACS3-HMAC-SHA256" (points into the input) */
    emu_str credential;     /* AccessKeyId (points into the input) */
    emu_str signed_headers; /* the list as sent, e.g. "host;x-acs-action" */
    emu_str *headers;       /* that list split, lower-cased, sorted (arena) */
    size_t n_headers;
    emu_str signature; /* 64 lower-case hex digits (points into input) */
    /* The query's parameters when the caller already parsed the query on
     * its own (no form body merged in); NULL: sig_v3_canonicalize parses
     * req->query itself. sig_v3_parse_auth leaves it NULL. */
    const sig_params *query;
} sig_v3_auth;

/* Parses "ACS3-HMAC-SHA256 Credential=<ak>,SignedHeaders=<h1;h2>,Signature=<hex>".
 * Accepted: the three parts in any order, separated by ',' with optional
 * spaces around them [inferred: the SDK sends none]; unknown key=value
 * parts are ignored [inferred]. Rejected with EMU_E_INVALID (caller:
 * IncompleteSignature): longer than SIG_MAX_AUTH_BYTES, no space after the
 * algorithm, a part without '=', a missing or repeated part, an empty
 * Credential, a Signature that is not 64 lower-case hex digits, an empty or
 * repeated SignedHeaders element, a header name outside the token charset,
 * more than EMU_MAX_HEADERS names. Returns EMU_E_UNSUPPORTED when the
 * algorithm is some other well-formed name (ACS3-HMAC-SM3, ACS3-RSA-SHA256,
 * ACS4-HMAC-SHA256, ...). Slices point into `authorization`, which must
 * outlive *out; the header array lives in `arena`. */
emu_rc sig_v3_parse_auth(emu_arena *arena, emu_str authorization, sig_v3_auth *out, emu_err *err);

/* The first header of the policy set (host, x-acs-action, x-acs-version,
 * x-acs-date, x-acs-signature-nonce, x-acs-content-sha256 — rpc-api.md §4.1
 * step 5 [inferred policy]) that is not in auth->headers or not present in
 * the request, as a static string; NULL when all are there. */
const char *sig_v3_missing_header(const sig_v3_auth *auth, const emu_http_req *req);

typedef struct sig_v3_canon {
    emu_str canonical_request; /* the six lines of §4.1 step 6 (arena) */
    emu_str string_to_sign;    /* "ACS3-HMAC-SHA256\n" + hex sha256 (arena) */
    char payload_hash[65];     /* lower hex SHA-256 of the body */
    bool payload_mismatch;     /* x-acs-content-sha256 sent and != payload_hash */
} sig_v3_canon;

/* Builds the canonical request and string-to-sign of `req` (method, path,
 * query, headers, body are read; emu_http_req_header is not called) for the
 * SignedHeaders of `auth`:
 *   - CanonicalURI is the raw path ("/" when empty) [inferred: RPC only
 *     ever uses "/", ROA-style re-encoding is not implemented];
 *   - the query is decoded with sig_params_parse and re-encoded sorted
 *     (never the raw text, see vector V3-2);
 *   - each signed header's value is the first request header of that name
 *     (case-insensitive), trimmed of spaces/tabs; a signed header missing
 *     from the request contributes "name:" [inferred: the signature then
 *     fails, sig_v3_missing_header reports the policy set];
 *   - HashedPayload is computed from the body, never copied from
 *     x-acs-content-sha256; payload_mismatch records the comparison.
 * Returns EMU_OK; EMU_E_INVALID on a malformed query escape; EMU_E_LIMIT
 * on too many query parameters or an oversized canonical request. */
emu_rc sig_v3_canonicalize(emu_arena *arena, const emu_http_req *req, const sig_v3_auth *auth,
                           sig_v3_canon *out, emu_err *err);

/* Lower hex HMAC-SHA256(secret, string_to_sign) into out (65 bytes). */
void sig_v3_sign(emu_str secret, emu_str string_to_sign, char out[65]);

/* sig_v3_canonicalize, then checks in this order:
 *   1. payload: x-acs-content-sha256 differs from the body's hash →
 *      EMU_E_AUTH with out->payload_mismatch set [inferred: the real error
 *      code is unknown, the caller picks one];
 *   2. signature: mismatch → EMU_E_AUTH, err->msg = the cloud's
 *      "Specified signature is not matched ... is:" and err->msg_tail = the
 *      string-to-sign (rpc-api.md §6.4 [inferred for V3]).
 * Other errors as for sig_v3_canonicalize. *out (optional: may be NULL) is
 * filled whenever canonicalisation succeeded. */
emu_rc sig_v3_verify(emu_arena *arena, const emu_http_req *req, const sig_v3_auth *auth,
                     emu_str secret, sig_v3_canon *out, emu_err *err);

/* ---------------------------------------------------------------------------
 * Tablestore (tablestore-protocol.md §3, §4)
 * ------------------------------------------------------------------------- */

/* Request string-to-sign (§3.1):
 *   "/" operation "\nPOST\n\n" + for each header whose lower-cased name
 *   starts with "x-ots-", except x-ots-signature and x-ots-signaturev4,
 *   sorted by lower-cased name: lower(name) ":" trim(value) "\n".
 * `operation` is the path without its leading '/' ("PutRow"); it is taken
 * as is. Two headers whose names differ only by case count as one name
 * repeated and give EMU_E_INVALID [inferred: no SDK repeats a header; a
 * repeat would make the signed set ambiguous]. EMU_E_LIMIT when more than
 * EMU_MAX_HEADERS x-ots-* headers or the result is too large. */
emu_rc sig_ots_string_to_sign(emu_arena *arena, emu_str operation, const emu_http_header *headers,
                              size_t n_headers, emu_str *out, emu_err *err);

/* Base64 HMAC-SHA1(key, msg): the x-ots-signature of a request (key = the
 * AccessKeySecret) and the response signature (key = the signing key). */
void sig_ots_sign(emu_str key, emu_str msg, char out[SIG_B64_SHA1_LEN + 1]);

/* Base64(MD5(body)) for x-ots-contentmd5 (25 bytes incl. NUL). */
void sig_ots_content_md5(const void *body, size_t len, char out[25]);

/* Compares x-ots-contentmd5 with the body's MD5. EMU_OK or EMU_E_AUTH with
 * the service text "Mismatch between MD5 value of request body and
 * x-ots-contentmd5 in header." (§3.3 step 6). */
emu_rc sig_ots_check_content_md5(const void *body, size_t len, emu_str header_value, emu_err *err);

/* V4 signing key text (§3.4): Base64 of the HMAC-SHA256 chain over
 * sign_date, region, "ots", "aliyun_v4_request" from "aliyun_v4" + secret.
 * 45 bytes incl. NUL. */
void sig_ots_v4_signing_key(emu_str secret, emu_str sign_date, emu_str region,
                            char out[SIG_B64_SHA256_LEN + 1]);

typedef enum sig_ots_version { SIG_OTS_V2 = 2, SIG_OTS_V4 = 4 } sig_ots_version;

typedef struct sig_ots_result {
    sig_ots_version version; /* V4 when x-ots-signaturev4 was sent */
    emu_str string_to_sign;  /* as signed (V4: with the trailing "ots") */
    /* The key for the response signature (§4.2): the secret itself for V2,
     * the V4 signing key text for V4. Points to `secret` or the arena. */
    emu_str response_key;
} sig_ots_result;

/* Verifies a request: V4 when x-ots-signaturev4 is present (then
 * x-ots-signdate and x-ots-signregion are required), V2 otherwise.
 * Returns EMU_OK; EMU_E_INVALID "Missing header: x-ots-signature." (or the
 * missing V4 header; §3.3 step 3 text) and for what sig_ots_string_to_sign
 * rejects; EMU_E_AUTH "Signature mismatch." (§3.3 step 7). *out (optional)
 * is filled on EMU_OK and EMU_E_AUTH. */
emu_rc sig_ots_verify(emu_arena *arena, emu_str operation, const emu_http_header *headers,
                      size_t n_headers, emu_str secret, sig_ots_result *out, emu_err *err);

/* Response string-to-sign (§4.2): for each header whose lower-cased name
 * starts with "x-ots-", sorted: lower(name) ":" value "\n" (value NOT
 * trimmed: we never emit padded values), then "/" operation, no newline.
 * Returns EMU_OK, EMU_E_INVALID on a repeated name, EMU_E_LIMIT. */
emu_rc sig_ots_response_string_to_sign(emu_arena *arena, emu_str operation,
                                       const emu_http_header *headers, size_t n_headers,
                                       emu_str *out, emu_err *err);

/* The whole response `authorization` value, "OTS <access_key_id>:<sig>",
 * in `arena`. Add every x-ots-* header to the response before calling.
 * Same return values as sig_ots_response_string_to_sign. */
emu_rc sig_ots_response_authorization(emu_arena *arena, emu_str operation,
                                      const emu_http_header *headers, size_t n_headers,
                                      emu_str access_key_id, emu_str response_key, emu_str *out,
                                      emu_err *err);

/* ---------------------------------------------------------------------------
 * ODPS / MaxCompute (maxcompute-external-table.md §8.2)
 * ------------------------------------------------------------------------- */

typedef struct sig_odps_auth {
    int version; /* 2: "ODPS ak:sig"; 4: "ODPS ak/date/region/odps/aliyun_v4_request:sig" */
    emu_str access_key_id; /* slices point into the Authorization value */
    emu_str date;          /* v4: yyyymmdd; empty for v2 */
    emu_str region;        /* v4: region; empty for v2 */
    emu_str signature;     /* Base64 text as sent */
} sig_odps_auth;

/* Parses the Authorization value. The signature is the text after the last
 * ':'; a credential with '/' must be exactly the five v4 parts (8-digit
 * date, non-empty region, "odps", "aliyun_v4_request"). EMU_E_INVALID when
 * the value does not start with "ODPS ", is over SIG_MAX_AUTH_BYTES, or a
 * part is empty or malformed. */
emu_rc sig_odps_parse_auth(emu_str authorization, sig_odps_auth *out, emu_err *err);

/* Canonical resource (§8.2 line 6): the raw path percent-decoded ('+'
 * stays '+'), with a leading "/api" segment removed ("/api" → "/",
 * "/api/projects" → "/projects"); then, when the raw query is non-empty,
 * "?" and the decoded parameters sorted by name (byte order), each "name"
 * alone when its value is empty, else "name=value", joined by '&'.
 * Repeated query names give EMU_E_INVALID (pyodps asserts they are unique).
 * Departure: pyodps unquotes the whole URL once and then parse_qsl decodes
 * the query again (double decoding); we decode each part once, which is
 * what every value the SDKs actually send (no literal '%') needs.
 * Returns EMU_OK, EMU_E_INVALID (bad escape, repeat), EMU_E_LIMIT. */
emu_rc sig_odps_canonical_resource(emu_arena *arena, emu_str raw_path, emu_str raw_query,
                                   emu_str *out, emu_err *err);

/* String to sign (§8.2), lines joined by '\n' without a trailing newline:
 * method, Content-MD5, Content-Type, Date (each empty when absent),
 * then every header whose lower-cased name starts with "x-odps-" and every
 * query parameter whose (case-sensitive) name does, sorted by that name, as
 * name ":" value (header values trimmed), then the canonical resource. A
 * query parameter replaces a header of the same name, as in pyodps's dict.
 * Reads req->method/path/query/headers only. */
emu_rc sig_odps_string_to_sign(emu_arena *arena, const emu_http_req *req, emu_str *out,
                               emu_err *err);

/* v4 key: HMAC-SHA256 chain over date, region, "odps", "aliyun_v4_request"
 * from "aliyun_v4" + secret. The 32 raw bytes are the HMAC-SHA1 key. */
void sig_odps_v4_key(emu_str secret, emu_str date, emu_str region, uint8_t out[32]);

/* Verifies `req` against the parsed Authorization and the secret of
 * auth->access_key_id (v2: HMAC-SHA1 keyed by the secret; v4: keyed by
 * sig_odps_v4_key of auth->date and auth->region). Returns EMU_OK;
 * EMU_E_AUTH on mismatch, with err->msg "ODPS signature mismatch. server
 * string to sign is:" and err->msg_tail = the string to sign [inferred: the
 * real message text is unknown; the caller sets code SignatureNotMatch,
 * §8.3]; the errors of sig_odps_string_to_sign. *sts_out (optional) gets
 * the string to sign. */
emu_rc sig_odps_verify(emu_arena *arena, const emu_http_req *req, const sig_odps_auth *auth,
                       emu_str secret, emu_str *sts_out, emu_err *err);

#endif
