#include <openssl/evp.h>
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

/* HMAC (RFC 2104) on top of EVP digests, with the keyed inner and outer
 * states cached per (digest, key): a server sees the same few secrets over
 * and over, and OpenSSL 3's EVP_MAC path costs ~12k instructions per call
 * (context dup and provider set-up) against ~2k for two digest copies. */
#define HMAC_BLOCK 64 /* SHA-1 and SHA-256 */
#define HMAC_CACHE 16

typedef struct hmac_slot {
    const EVP_MD *md;
    size_t key_len;
    uint8_t key[HMAC_BLOCK];
    EVP_MD_CTX *inner, *outer;
} hmac_slot;

static hmac_slot hmac_cache[HMAC_CACHE];
static unsigned hmac_next;

static void must(int ok)
{
    if (!ok)
        abort(); /* only on out of memory */
}

static hmac_slot *hmac_keyed(const EVP_MD *m, const void *key, size_t key_len)
{
    uint8_t k[HMAC_BLOCK] = {0}, pad[HMAC_BLOCK];
    unsigned int n;

    /* Keys longer than a block are hashed first (RFC 2104 §2). */
    if (key_len > HMAC_BLOCK) {
        must(EVP_Digest(key, key_len, k, &n, m, NULL));
        key = k;
        key_len = n;
    }
    for (unsigned i = 0; i < HMAC_CACHE; i++) {
        hmac_slot *s = &hmac_cache[i];
        if (s->md == m && s->key_len == key_len && memcmp(s->key, key, key_len) == 0)
            return s;
    }
    hmac_slot *s = &hmac_cache[hmac_next++ % HMAC_CACHE];
    if (!s->inner) {
        s->inner = EVP_MD_CTX_new();
        s->outer = EVP_MD_CTX_new();
        must(s->inner && s->outer);
    }
    memset(s->key, 0, sizeof s->key);
    if (key_len)
        memcpy(s->key, key, key_len);
    s->key_len = key_len;
    s->md = m;
    for (int i = 0; i < HMAC_BLOCK; i++)
        pad[i] = (uint8_t)(s->key[i] ^ 0x36);
    must(EVP_DigestInit_ex(s->inner, m, NULL) && EVP_DigestUpdate(s->inner, pad, HMAC_BLOCK));
    for (int i = 0; i < HMAC_BLOCK; i++)
        pad[i] = (uint8_t)(s->key[i] ^ 0x5c);
    must(EVP_DigestInit_ex(s->outer, m, NULL) && EVP_DigestUpdate(s->outer, pad, HMAC_BLOCK));
    return s;
}

static void hmac(const EVP_MD *m, const void *key, size_t key_len, const void *msg, size_t msg_len,
                 uint8_t *out)
{
    static EVP_MD_CTX *c;
    uint8_t ih[EVP_MAX_MD_SIZE];
    unsigned int n;
    hmac_slot *s = hmac_keyed(m, key, key_len);

    if (!c)
        must((c = EVP_MD_CTX_new()) != NULL);
    must(EVP_MD_CTX_copy_ex(c, s->inner) && EVP_DigestUpdate(c, msg, msg_len) &&
         EVP_DigestFinal_ex(c, ih, &n));
    must(EVP_MD_CTX_copy_ex(c, s->outer) && EVP_DigestUpdate(c, ih, n) &&
         EVP_DigestFinal_ex(c, out, &n));
}

static EVP_MD *md_sha1;

void emu_hmac_sha1(const void *key, size_t key_len, const void *msg, size_t msg_len,
                   uint8_t out[EMU_SHA1_LEN])
{
    hmac(md(&md_sha1, "SHA1"), key, key_len, msg, msg_len, out);
}

void emu_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                     uint8_t out[EMU_SHA256_LEN])
{
    hmac(md(&md_sha256, "SHA256"), key, key_len, msg, msg_len, out);
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
