/* Federation: what AssumeRoleWithOIDC needs below the services.
 *
 *  - fed_jwt_decode: a compact JWS (header.payload.signature) decoded and
 *    its registered claims read, strictly and within caps (pure; fuzzed by
 *    tests/fuzz/fuzz_jwt.c);
 *  - fed_key: RSA public keys from a JWKS, RS256/RS384/RS512 verification
 *    (OpenSSL), and the signing keys of acsemu's own test issuers;
 *  - the "OIDCProviders" world section of an account (IMS 2019-08-15's
 *    OIDC providers), which IMS changes and STS reads.
 *
 * The module sits beside auth (it needs only world and core), so IMS and
 * STS both use it without reaching each other (STYLE.md §2). */
#ifndef EMU_FED_H
#define EMU_FED_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/arena.h"
#include "emu/err.h"
#include "emu/world.h"

/* Caps (the cloud's where it publishes them). */
#define FED_MAX_TOKEN_BYTES 20000 /* OIDCToken: 4-20,000 characters (AssumeRoleWithOIDC) */
#define FED_MAX_AUDIENCES 32      /* "aud" entries read from one token [acsemu choice] */
#define FED_MAX_CLIENT_IDS 50     /* ClientIds of one provider [inferred] */
#define FED_MAX_FINGERPRINTS 5    /* Fingerprints of one provider [inferred] */
#define FED_MAX_PROVIDERS 100     /* OIDC providers per account [inferred] */
#define FED_MAX_KEYS 16           /* keys of one provider's JWKS [acsemu choice] */
#define FED_MAX_ISSUERS 16        /* test issuers acsemu signs for [acsemu choice] */
#define FED_MAX_CLAIMS_BYTES 8192 /* extra claims of a minted token [acsemu choice] */
#define FED_VERIFIED_CACHE 64     /* tokens a key remembers verifying [acsemu choice] */

/* ---------------------------------------------------------------------------------------------
 * JWT
 * ------------------------------------------------------------------------------------------- */

typedef enum fed_alg { FED_ALG_NONE = 0, FED_ALG_RS256, FED_ALG_RS384, FED_ALG_RS512 } fed_alg;

/* A decoded token. Strings live in the arena given to fed_jwt_decode;
 * `signing_input` points into the token text itself. Absent string claims
 * are NULL; absent time claims have has_* false. */
typedef struct fed_jwt {
    fed_alg alg;
    const char *alg_name; /* as written in the header */
    const char *kid;      /* NULL when the header has none */
    const char *iss, *sub;
    const char **aud; /* "aud" as a string or an array of strings */
    size_t n_aud;
    bool has_exp, has_nbf, has_iat;
    int64_t exp, nbf, iat;     /* NumericDate, seconds */
    const char *signing_input; /* header "." payload, in the token text */
    size_t signing_input_len;
    const uint8_t *sig;
    size_t sig_len;
} fed_jwt;

/* Why a token could not be decoded (each has its own wire message,
 * fed_jwt_message). */
typedef enum fed_jwt_fault {
    FED_JWT_OK = 0,
    FED_JWT_EMPTY,   /* no token at all */
    FED_JWT_PARTS,   /* not three '.'-separated parts */
    FED_JWT_BASE64,  /* a part is not base64url */
    FED_JWT_ALG,     /* alg missing or not one acsemu verifies (HS256, none, ...) */
    FED_JWT_CONTENT, /* header or payload not a JSON object, or a claim of the wrong type */
} fed_jwt_fault;

/* Decodes tok[0..len) (at most FED_MAX_TOKEN_BYTES; longer is FED_JWT_PARTS
 * [inferred]: the API refuses it as a parameter first). Accepts base64url
 * without padding (RFC 7515 §2), header fields alg (RS256/384/512), kid,
 * typ; payload claims iss, sub (strings), aud (string or array of at most
 * FED_MAX_AUDIENCES strings), exp, nbf, iat (numbers; fractions are cut).
 * Other claims are ignored. Returns FED_JWT_OK and fills *out, or the
 * fault; never reads past len; allocates only from `a`. */
fed_jwt_fault fed_jwt_decode(const char *tok, size_t len, emu_arena *a, fed_jwt *out);

/* The STS message of a fault (AuthenticationFail.OIDCToken.Invalid), with
 * alg_name for FED_JWT_ALG, into out[cap]. Returns out. */
const char *fed_jwt_message(fed_jwt_fault f, const char *alg_name, char *out, size_t cap);

/* base64url (no padding) of in[0..n) into the arena. */
char *fed_b64url(emu_arena *a, const uint8_t *in, size_t n);

/* ---------------------------------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------------------------------- */

/* An RSA public key with its key id. Owned by whoever holds it; shared by
 * reference count (fed_key_ref / fed_key_free), since checkpoints copy. */
typedef struct fed_key fed_key;

/* OpenSSL's key type (openssl/types.h spells it the same way). */
typedef struct evp_pkey_st EVP_PKEY;

void fed_key_ref(fed_key *k);
/* Wraps an OpenSSL key (the fed_key takes it; kid = its RFC 7638
 * thumbprint), and the key inside one (borrowed). */
fed_key *fed_key_wrap(EVP_PKEY *pkey);
EVP_PKEY *fed_key_pkey(const fed_key *k);
void fed_key_free(fed_key *k);
const char *fed_key_kid(const fed_key *k);

/* Reads the RSA keys of a JWKS object ({"keys":[{"kty":"RSA","n":..,"e":..,
 * "kid":..}]}, at most FED_MAX_KEYS; other kty are refused). On success
 * *out (caller frees each with fed_key_free) and *n are set. Errors name
 * `jpath` and the key index. */
emu_rc fed_jwks_read(const cJSON *jwks, const char *jpath, fed_key **out, size_t *n, emu_err *err);
/* The public JWK of a key ({"kty","n","e","kid","alg":"RS256","use":"sig"}). */
cJSON *fed_key_jwk(const fed_key *k);

/* Verifies the token's signature with key k (RSASSA-PKCS1-v1_5 with the
 * token's hash). True when it verifies. */
bool fed_key_verify(const fed_key *k, const fed_jwt *t);

/* --- test issuers: keys acsemu holds and signs with ------------------------ */

/* The signing key of an issuer URL, made on first use (RSA 2048; kid = the
 * RFC 7638 thumbprint) and kept for the life of the process, so tokens
 * minted before a reset or a checkpoint restore still verify. NULL when
 * FED_MAX_ISSUERS issuers exist already. `created` (may be NULL) says it
 * was made by this call. */
fed_key *fed_issuer_key(const char *issuer, bool create, bool *created);
/* Signs header.payload (both JSON objects, not changed) with the issuer's
 * key as RS256: returns the compact token in the arena, or NULL when the
 * issuer has no key. */
char *fed_issuer_sign(const char *issuer, const cJSON *header, const cJSON *payload, emu_arena *a);
/* Drops every issuer key (tests; process exit). */
void fed_issuers_free(void);

/* ---------------------------------------------------------------------------------------------
 * OIDC providers (world section "OIDCProviders" of an account)
 * ------------------------------------------------------------------------------------------- */

typedef struct fed_oidc_provider {
    char *name; /* OIDCProviderName */
    char *description;
    char *issuer_url;  /* IssuerUrl: https://... */
    char **client_ids; /* ClientIds */
    size_t n_client_ids;
    char **fingerprints; /* Fingerprints: 40 hex digits (SHA-1 of the issuer's certificate) */
    size_t n_fingerprints;
    int issuance_limit_hours; /* IssuanceLimitTime: 1-168, default 12 */
    int64_t create_ms, update_ms;
    fed_key **keys; /* "JWKS" given in the world file (verification only) */
    size_t n_keys;
} fed_oidc_provider;

/* The world section, registered once at start-up (before any load). */
extern const world_section fed_oidc_section;
void fed_register(void);

/* The providers of an account (NULL when it has none yet): lookups are
 * case-insensitive on the name [inferred, as RAM names]. */
size_t fed_oidc_count(const world_t *w, const char *account_id);
fed_oidc_provider *fed_oidc_at(const world_t *w, const char *account_id, size_t i);
fed_oidc_provider *fed_oidc_find(const world_t *w, const char *account_id, const char *name);
/* Adds a provider (the section takes p and everything it owns) or removes
 * and frees one. add returns EMU_E_LIMIT at FED_MAX_PROVIDERS. */
emu_rc fed_oidc_add(world_t *w, const char *account_id, fed_oidc_provider *p);
bool fed_oidc_remove(world_t *w, const char *account_id, const char *name);
void fed_oidc_provider_free(fed_oidc_provider *p);

/* Checks the forms IMS and the world loader share. Each returns NULL when
 * valid, else a short reason. Names: 1-128 of [A-Za-z0-9.-]; IssuerUrl:
 * https:// and at most 255 characters; a client id: 1-128 printable
 * characters without ',' or blanks; a fingerprint: 40 hex digits. */
const char *fed_oidc_name_problem(const char *s);
const char *fed_oidc_issuer_problem(const char *s);
const char *fed_oidc_client_id_problem(const char *s);
const char *fed_oidc_fingerprint_problem(const char *s);

/* Splits a comma-separated list ("a,b") into NUL-terminated copies (heap),
 * at most cap entries, empty entries refused. Returns the count, or -1 when
 * too many or an entry is empty. */
int fed_split_list(const char *s, char ***out, size_t cap);
void fed_free_list(char **v, size_t n);

/* The keys a token from provider p may be signed with: the provider's own
 * JWKS keys, then the test issuer's key for its IssuerUrl when acsemu holds
 * one. Fills out[cap] (borrowed pointers) and returns how many. */
size_t fed_oidc_keys(const fed_oidc_provider *p, const fed_key **out, size_t cap);

/* ---------------------------------------------------------------------------------------------
 * SAML (fed_saml.c: the "SAMLProviders" world section, IdP metadata, the
 * SAMLResponse verifier and acsemu's own test IdPs)
 * ------------------------------------------------------------------------------------------- */

#define FED_MAX_SAML_ASSERTION_BYTES 100000 /* SAMLAssertion: 4-100,000 characters [inferred] */
#define FED_MAX_SAML_METADATA_BYTES 100000  /* EncodedSAMLMetadataDocument [inferred] */
#define FED_MAX_SAML_CERTS 4                /* signing certificates read from metadata */
#define FED_MAX_SAML_VALUES 32              /* audiences, role values read [acsemu choice] */

typedef struct fed_saml_provider {
    char *name; /* SAMLProviderName */
    char *description;
    char *metadata;  /* EncodedSAMLMetadataDocument, as given (base64) */
    char *entity_id; /* the metadata's entityID: the Issuer assertions must carry */
    int64_t create_ms, update_ms;
    fed_key **keys; /* the metadata's signing certificates' keys */
    size_t n_keys;
} fed_saml_provider;

extern const world_section fed_saml_section;

size_t fed_saml_count(const world_t *w, const char *account_id);
fed_saml_provider *fed_saml_at(const world_t *w, const char *account_id, size_t i);
fed_saml_provider *fed_saml_find(const world_t *w, const char *account_id, const char *name);
emu_rc fed_saml_add(world_t *w, const char *account_id, fed_saml_provider *p);
bool fed_saml_remove(world_t *w, const char *account_id, const char *name);
void fed_saml_provider_free(fed_saml_provider *p);

/* Reads base64 IdP metadata (an md:EntityDescriptor with an
 * IDPSSODescriptor whose KeyDescriptor holds X509 signing certificates)
 * into p->metadata, p->entity_id and p->keys. NULL when valid, else a short
 * reason (p unchanged). */
const char *fed_saml_metadata_read(fed_saml_provider *p, const char *b64);

/* What a verified SAMLResponse says (strings in the arena). Absent times
 * are 0 with has_* false. */
typedef struct fed_saml {
    const char *issuer;
    const char *subject, *subject_type; /* NameID and its Format */
    const char *recipient;              /* SubjectConfirmationData Recipient */
    const char *audiences[FED_MAX_SAML_VALUES];
    size_t n_audiences;
    const char *roles[FED_MAX_SAML_VALUES]; /* values of the Role attribute */
    size_t n_roles;
    const char *session_name; /* the RoleSessionName attribute */
    bool has_not_before, has_not_on_or_after, has_scd_not_on_or_after;
    int64_t not_before, not_on_or_after, scd_not_on_or_after; /* ms */
} fed_saml;

typedef enum fed_saml_fault {
    FED_SAML_OK = 0,
    FED_SAML_MALFORMED, /* not base64, not XML, a DTD, not a SAML 2.0 Response with one Assertion */
    FED_SAML_SIGNATURE, /* no signature, a misplaced or wrapped one, or it does not verify */
} fed_saml_fault;

/* Decodes the base64 SAMLResponse b64[0..len), parses it (no network, no
 * DTD), verifies its enveloped signature (exclusive C14N; RSA-SHA256 or
 * RSA-SHA1 over SignedInfo; the Reference's digest, compared in constant
 * time) with one of keys[0..n), the signed element being the Assertion or
 * the Response that holds it, and reads the assertion's claims into *out.
 * On a fault, why[cap] says what (never the assertion's content beyond
 * element names). Allocates only from `a` and libxml2 (freed). */
fed_saml_fault fed_saml_verify(const char *b64, size_t len, const fed_key *const *keys, size_t n,
                               emu_arena *a, fed_saml *out, char *why, size_t cap);

/* A signed SAMLResponse (base64) from acsemu's test IdP `issuer` (its key
 * is fed_issuer_key(issuer)), for AssumeRoleWithSAML tests. */
typedef struct fed_saml_mint_req {
    const char *issuer, *subject, *audience, *recipient;
    const char *const *roles; /* "RoleArn,SAMLProviderArn" values */
    size_t n_roles;
    const char *session_name; /* NULL: no RoleSessionName attribute */
    int64_t now_ms, lifetime_s;
} fed_saml_mint_req;
char *fed_saml_mint(const fed_saml_mint_req *r, emu_arena *a);
/* The test IdP's metadata XML (not base64), in the arena; NULL when acsemu
 * holds no key for it. */
char *fed_saml_idp_metadata(const char *issuer, emu_arena *a);

#endif
