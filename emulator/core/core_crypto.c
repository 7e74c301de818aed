#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>

#include "emu/crypto.h"

/* OpenSSL 3 looks algorithms up by name on every one-shot call (SHA256(),
 * HMAC()), which costs more than hashing a short message. Fetch each
 * algorithm once and keep it for the life of the process (single thread). */
static const EVP_MD *md(EVP_MD **slot, const char *name)
{
    if (!*slot)
        *slot = EVP_MD_fetch(NULL, name, NULL);
    if (!*slot)
        abort(); /* can't happen: the default provider always has these */
    return *slot;
}

static EVP_MD *md_sha256, *md_md5;

/* A keyless HMAC context per digest, duplicated for each use. */
static EVP_MAC_CTX *hmac_template(EVP_MAC_CTX **slot, const char *digest)
{
    static EVP_MAC *mac;
    if (*slot)
        return *slot;
    if (!mac)
        mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    *slot = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)digest, 0),
                           OSSL_PARAM_construct_end()};
    if (!*slot || !EVP_MAC_CTX_set_params(*slot, params))
        abort(); /* can't happen with the default provider */
    return *slot;
}

static void hmac(EVP_MAC_CTX *tpl, const void *key, size_t key_len, const void *msg, size_t msg_len,
                 uint8_t *out, size_t out_len)
{
    static const uint8_t empty_key[1];
    size_t n = 0;
    EVP_MAC_CTX *c = EVP_MAC_CTX_dup(tpl);
    /* An empty key is legal HMAC; OpenSSL wants a non-NULL pointer. */
    if (!c || !EVP_MAC_init(c, key_len ? key : empty_key, key_len, NULL) ||
        !EVP_MAC_update(c, msg, msg_len) || !EVP_MAC_final(c, out, &n, out_len) || n != out_len)
        abort(); /* only on out of memory */
    EVP_MAC_CTX_free(c);
}

void emu_hmac_sha1(const void *key, size_t key_len, const void *msg, size_t msg_len,
                   uint8_t out[EMU_SHA1_LEN])
{
    static EVP_MAC_CTX *tpl;
    hmac(hmac_template(&tpl, "SHA1"), key, key_len, msg, msg_len, out, EMU_SHA1_LEN);
}

void emu_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                     uint8_t out[EMU_SHA256_LEN])
{
    static EVP_MAC_CTX *tpl;
    hmac(hmac_template(&tpl, "SHA256"), key, key_len, msg, msg_len, out, EMU_SHA256_LEN);
}

void emu_sha256(const void *msg, size_t len, uint8_t out[EMU_SHA256_LEN])
{
    unsigned int n = EMU_SHA256_LEN;
    EVP_Digest(msg, len, out, &n, md(&md_sha256, "SHA256"), NULL);
}

void emu_md5(const void *msg, size_t len, uint8_t out[EMU_MD5_LEN])
{
    unsigned int n = EMU_MD5_LEN;
    EVP_Digest(msg, len, out, &n, md(&md_md5, "MD5"), NULL);
}

void emu_hex_lower(const uint8_t *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t emu_base64_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = b64[(v >> 6) & 63];
        out[o++] = b64[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

bool emu_base64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap, size_t *out_len)
{
    size_t o = 0;
    if (n % 4)
        return false;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            if (in[i + k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
            } else {
                if (pad)
                    return false;
                v[k] = b64val(in[i + k]);
                if (v[k] < 0)
                    return false;
            }
        }
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        size_t take = 3 - (size_t)pad;
        if (o + take > out_cap)
            return false;
        out[o++] = (uint8_t)(w >> 16);
        if (take > 1)
            out[o++] = (uint8_t)(w >> 8);
        if (take > 2)
            out[o++] = (uint8_t)w;
    }
    *out_len = o;
    return true;
}

bool emu_ct_equal(const void *a, size_t a_len, const void *b, size_t b_len)
{
    const volatile unsigned char *x = a;
    const volatile unsigned char *y = b;
    unsigned char d = 0;
    if (a_len != b_len)
        return false;
    for (size_t i = 0; i < a_len; i++)
        d |= x[i] ^ y[i];
    return d == 0;
}
