/* RSA keys for OIDC tokens: JWKS in, JWK out, RS256/384/512 verification,
 * and the signing keys of acsemu's own test issuers (OpenSSL 3 EVP).
 *
 * A test issuer is any issuer URL a test asks acsemu to sign for
 * (POST /_emu/oidc/token): "https://token.actions.githubusercontent.com"
 * to play GitHub Actions, an RRSA-shaped URL to play ACK. Its key is made
 * on first use and lives for the process, outside the world, so a reset or
 * a checkpoint restore never invalidates a token a test already holds (as
 * a real IdP's key outlives the cloud account's state). A restart makes new
 * keys, as an IdP rotating its key would. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <string.h>

#include "emu/crypto.h"
#include "emu/fed.h"
#include "emu/json.h"
#include "emu/str.h"

struct fed_key {
    int refs;
    EVP_PKEY *pkey;
    char kid[64];
    /* Verification contexts per algorithm (RS256, RS384, RS512), set up on
     * first use and kept: OpenSSL 3's per-call initialisation (provider
     * fetches, context setup) cost more than the RSA operation itself. */
    EVP_PKEY_CTX *vctx[3];
    /* Tokens this key verified lately, by SHA-256 of (algorithm, digest of
     * the signing input, signature): a provider's token file is presented
     * again at every refresh until it rotates, and the same bytes verify
     * the same way, so the RSA operation runs once per token. */
    uint8_t verified[FED_VERIFIED_CACHE][EMU_SHA256_LEN];
    unsigned n_verified, next_verified;
};

void fed_key_ref(fed_key *k)
{
    if (k)
        k->refs++;
}

void fed_key_free(fed_key *k)
{
    if (!k || --k->refs > 0)
        return;
    for (int i = 0; i < 3; i++)
        EVP_PKEY_CTX_free(k->vctx[i]);
    EVP_PKEY_free(k->pkey);
    free(k);
}

const char *fed_key_kid(const fed_key *k)
{
    return k->kid;
}

/* base64url text → BIGNUM; NULL on bad text or an empty value. */
static BIGNUM *bn_b64url(const char *s)
{
    emu_arena *a = emu_arena_new(0);
    /* Reuse the JWT decoder's alphabet through a one-part "token" would be
     * odd; decode here with the same rules. */
    size_t n = strlen(s);
    while (n && s[n - 1] == '=')
        n--;
    BIGNUM *bn = NULL;
    if (n == 0 || n % 4 == 1 || n > 2048)
        goto out;
    uint8_t *d = emu_arena_alloc(a, n);
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int v = c >= 'A' && c <= 'Z'   ? c - 'A'
                : c >= 'a' && c <= 'z' ? c - 'a' + 26
                : c >= '0' && c <= '9' ? c - '0' + 52
                : c == '-'             ? 62
                : c == '_'             ? 63
                                       : -1;
        if (v < 0)
            goto out;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            d[o++] = (uint8_t)(acc >> bits);
        }
    }
    bn = BN_bin2bn(d, (int)o, NULL);
out:
    emu_arena_free(a);
    return bn;
}

static char *bn_to_b64url(emu_arena *a, const BIGNUM *bn)
{
    int n = BN_num_bytes(bn);
    uint8_t *buf = emu_arena_alloc(a, (size_t)(n ? n : 1));
    BN_bn2bin(bn, buf);
    return fed_b64url(a, buf, (size_t)n);
}

/* RFC 7638 thumbprint: SHA-256 of {"e":..,"kty":"RSA","n":..}, base64url. */
static void thumbprint(EVP_PKEY *pkey, char kid[64])
{
    emu_arena *a = emu_arena_new(0);
    BIGNUM *n = NULL, *e = NULL;
    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e);
    char *text = emu_arena_sprintf(a, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}",
                                   bn_to_b64url(a, e), bn_to_b64url(a, n));
    uint8_t h[EMU_SHA256_LEN];
    emu_sha256(text, strlen(text), h);
    snprintf(kid, 64, "%s", fed_b64url(a, h, sizeof h));
    BN_free(n);
    BN_free(e);
    emu_arena_free(a);
}

static fed_key *key_wrap(EVP_PKEY *pkey, const char *kid)
{
    fed_key *k = emu_xcalloc(1, sizeof *k);
    k->refs = 1;
    k->pkey = pkey;
    if (kid)
        snprintf(k->kid, sizeof k->kid, "%s", kid);
    else
        thumbprint(pkey, k->kid);
    return k;
}

fed_key *fed_key_wrap(EVP_PKEY *pkey)
{
    return key_wrap(pkey, NULL);
}

EVP_PKEY *fed_key_pkey(const fed_key *k)
{
    return k->pkey;
}

static EVP_PKEY *rsa_public(BIGNUM *n, BIGNUM *e)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (bld && ctx && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
        (params = OSSL_PARAM_BLD_to_param(bld)) && EVP_PKEY_fromdata_init(ctx) > 0 &&
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

static const char *jstr(const cJSON *o, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

emu_rc fed_jwks_read(const cJSON *jwks, const char *jpath, fed_key **out, size_t *n, emu_err *err)
{
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(jwks, "keys");
    *n = 0;
    if (!cJSON_IsObject(jwks) || !cJSON_IsArray(keys))
        return emu_err_set(err, EMU_E_INVALID, NULL, "%s: a JWKS object with a \"keys\" array",
                           jpath);
    if (cJSON_GetArraySize(keys) > FED_MAX_KEYS)
        return emu_err_set(err, EMU_E_LIMIT, NULL, "%s.keys: at most %d keys", jpath, FED_MAX_KEYS);
    const cJSON *k;
    size_t i = 0;
    cJSON_ArrayForEach(k, keys)
    {
        const char *kty = jstr(k, "kty"), *ns = jstr(k, "n"), *es = jstr(k, "e");
        const char *kid = jstr(k, "kid");
        BIGNUM *bn = NULL, *be = NULL;
        EVP_PKEY *pkey = NULL;
        if (!kty || strcmp(kty, "RSA") != 0 || !ns || !es || (kid && strlen(kid) > 63)) {
            emu_err_set(err, EMU_E_INVALID, NULL,
                        "%s.keys[%zu]: an RSA key needs \"kty\":\"RSA\", \"n\" and \"e\" "
                        "(base64url) and at most a 63-character \"kid\"",
                        jpath, i);
            goto fail;
        }
        bn = bn_b64url(ns);
        be = bn_b64url(es);
        if (bn && be && BN_num_bits(bn) >= 1024 && BN_num_bits(bn) <= 8192)
            pkey = rsa_public(bn, be);
        BN_free(bn);
        BN_free(be);
        if (!pkey) {
            emu_err_set(err, EMU_E_INVALID, NULL,
                        "%s.keys[%zu]: \"n\"/\"e\" are not a 1024-8192 bit RSA public key in "
                        "base64url",
                        jpath, i);
            goto fail;
        }
        out[(*n)++] = key_wrap(pkey, kid);
        i++;
    }
    return EMU_OK;
fail:
    while (*n)
        fed_key_free(out[--*n]);
    return err->rc;
}

cJSON *fed_key_jwk(const fed_key *k)
{
    emu_arena *a = emu_arena_new(0);
    BIGNUM *n = NULL, *e = NULL;
    EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, &e);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kty", "RSA");
    cJSON_AddStringToObject(j, "alg", "RS256");
    cJSON_AddStringToObject(j, "use", "sig");
    cJSON_AddStringToObject(j, "kid", k->kid);
    cJSON_AddStringToObject(j, "n", bn_to_b64url(a, n));
    cJSON_AddStringToObject(j, "e", bn_to_b64url(a, e));
    BN_free(n);
    BN_free(e);
    emu_arena_free(a);
    return j;
}

/* The digests, fetched once (EVP_sha256() and friends fetch on every use
 * in OpenSSL 3). Freed with fed_issuers_free. */
static EVP_MD *fetched_md[3];

static const EVP_MD *alg_md_fetched(int i)
{
    static const char *const names[3] = {"SHA256", "SHA384", "SHA512"};
    if (!fetched_md[i])
        fetched_md[i] = EVP_MD_fetch(NULL, names[i], NULL);
    return fetched_md[i];
}

/* SHA-256 of (alg, dgst, sig): what the verified-token cache holds. */
static void verified_id(int alg, const uint8_t *dgst, unsigned dlen, const fed_jwt *t,
                        uint8_t out[EMU_SHA256_LEN])
{
    uint8_t buf[1 + EVP_MAX_MD_SIZE + 1024];
    size_t n = 0;
    buf[n++] = (uint8_t)alg;
    memcpy(buf + n, dgst, dlen);
    n += dlen;
    memcpy(buf + n, t->sig, t->sig_len); /* <= 1024: the caller checked */
    n += t->sig_len;
    emu_sha256(buf, n, out);
}

bool fed_key_verify(const fed_key *k, const fed_jwt *t)
{
    if (!k || !t->sig || t->alg == FED_ALG_NONE)
        return false;
    int i = t->alg == FED_ALG_RS384 ? 1 : t->alg == FED_ALG_RS512 ? 2 : 0;
    const EVP_MD *md = alg_md_fetched(i);
    fed_key *mk = (fed_key *)k; /* the cached context is not part of the key's value */
    if (!mk->vctx[i] && md) {
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
        if (c && EVP_PKEY_verify_init(c) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
            EVP_PKEY_CTX_set_signature_md(c, md) == 1)
            mk->vctx[i] = c;
        else
            EVP_PKEY_CTX_free(c);
    }
    unsigned char dgst[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (!mk->vctx[i] ||
        EVP_Digest(t->signing_input, t->signing_input_len, dgst, &dlen, md, NULL) != 1)
        return false;
    bool cacheable = t->sig_len <= 1024; /* 8192-bit keys at most; larger ones always verify */
    uint8_t id[EMU_SHA256_LEN];
    if (cacheable) {
        verified_id(i, dgst, dlen, t, id);
        for (unsigned v = 0; v < mk->n_verified; v++)
            if (memcmp(mk->verified[v], id, sizeof id) == 0)
                return true;
    }
    if (EVP_PKEY_verify(mk->vctx[i], t->sig, t->sig_len, dgst, dlen) != 1)
        return false;
    if (!cacheable)
        return true;
    memcpy(mk->verified[mk->next_verified], id, sizeof id);
    mk->next_verified = (mk->next_verified + 1) % FED_VERIFIED_CACHE;
    if (mk->n_verified < FED_VERIFIED_CACHE)
        mk->n_verified++;
    return true;
}

/* --- test issuers ------------------------------------------------------------ */

static struct {
    char *issuer;
    fed_key *key;
} issuers[FED_MAX_ISSUERS];
static size_t n_issuers;

fed_key *fed_issuer_key(const char *issuer, bool create, bool *created)
{
    if (created)
        *created = false;
    for (size_t i = 0; i < n_issuers; i++)
        if (strcmp(issuers[i].issuer, issuer) == 0)
            return issuers[i].key;
    if (!create || n_issuers == FED_MAX_ISSUERS)
        return NULL;
    /* RSA-2048 generation takes tens of milliseconds on the loop, once per
     * issuer per process. */
    EVP_PKEY *pkey = EVP_RSA_gen(2048);
    if (!pkey)
        return NULL;
    issuers[n_issuers].issuer = emu_xstrdup(issuer);
    issuers[n_issuers].key = key_wrap(pkey, NULL);
    if (created)
        *created = true;
    return issuers[n_issuers++].key;
}

char *fed_issuer_sign(const char *issuer, const cJSON *header, const cJSON *payload, emu_arena *a)
{
    fed_key *k = fed_issuer_key(issuer, false, NULL);
    if (!k)
        return NULL;
    char *h = cJSON_PrintUnformatted(header), *p = cJSON_PrintUnformatted(payload);
    char *input = emu_arena_sprintf(a, "%s.%s", fed_b64url(a, (const uint8_t *)h, strlen(h)),
                                    fed_b64url(a, (const uint8_t *)p, strlen(p)));
    cJSON_free(h);
    cJSON_free(p);
    size_t sig_len = 0;
    char *out = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
        EVP_DigestSign(md, NULL, &sig_len, (const unsigned char *)input, strlen(input)) == 1) {
        uint8_t *sig = emu_arena_alloc(a, sig_len);
        if (EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)input, strlen(input)) == 1)
            out = emu_arena_sprintf(a, "%s.%s", input, fed_b64url(a, sig, sig_len));
    }
    EVP_MD_CTX_free(md);
    return out;
}

void fed_issuers_free(void)
{
    for (size_t i = 0; i < n_issuers; i++) {
        free(issuers[i].issuer);
        fed_key_free(issuers[i].key);
    }
    n_issuers = 0;
    for (int i = 0; i < 3; i++) {
        EVP_MD_free(fetched_md[i]);
        fetched_md[i] = NULL;
    }
}
