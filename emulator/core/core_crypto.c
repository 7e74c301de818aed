/* The digest functions of libcrypto itself (SHA1_Init...), not EVP: a
 * signed request hashes a few hundred bytes three or four times, and EVP in
 * OpenSSL 3 wraps each in a provider context that is allocated, duplicated
 * and cleansed per call, costing more than the hashing. The low-level
 * contexts are plain structs (copying one is a memcpy) and run the same
 * assembly (SHA-NI where the CPU has it). Deprecated in 3.0, still built
 * by Debian; they are the right tool here. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/md5.h>
#include <openssl/sha.h>
#include <string.h>

#include "emu/crypto.h"

/* HMAC (RFC 2104) with the keyed inner and outer states cached per (digest,
 * key): a server sees the same few secrets over and over, so a MAC costs
 * two state copies and the message blocks. */
#define HMAC_BLOCK 64 /* SHA-1 and SHA-256 */
#define HMAC_CACHE 16

typedef enum hmac_kind { HMAC_NONE, HMAC_SHA1, HMAC_SHA256 } hmac_kind;

typedef union hash_ctx {
    SHA_CTX sha1;
    SHA256_CTX sha256;
} hash_ctx;

typedef struct hmac_slot {
    hmac_kind kind;
    size_t key_len;
    uint8_t key[HMAC_BLOCK];
    hash_ctx inner, outer;
} hmac_slot;

static hmac_slot hmac_cache[HMAC_CACHE];
static unsigned hmac_next;

static void hash_init(hmac_kind k, hash_ctx *c)
{
    if (k == HMAC_SHA1)
        SHA1_Init(&c->sha1);
    else
        SHA256_Init(&c->sha256);
}

static void hash_update(hmac_kind k, hash_ctx *c, const void *p, size_t n)
{
    if (k == HMAC_SHA1)
        SHA1_Update(&c->sha1, p, n);
    else
        SHA256_Update(&c->sha256, p, n);
}

/* Writes the digest and returns its length. */
static unsigned hash_final(hmac_kind k, hash_ctx *c, uint8_t *out)
{
    if (k == HMAC_SHA1) {
        SHA1_Final(out, &c->sha1);
        return EMU_SHA1_LEN;
    }
    SHA256_Final(out, &c->sha256);
    return EMU_SHA256_LEN;
}

static hmac_slot *hmac_keyed(hmac_kind kind, const void *key, size_t key_len)
{
    uint8_t k[EMU_SHA256_LEN], pad[HMAC_BLOCK];

    /* Keys longer than a block are hashed first (RFC 2104 §2). */
    if (key_len > HMAC_BLOCK) {
        hash_ctx c;
        hash_init(kind, &c);
        hash_update(kind, &c, key, key_len);
        key_len = hash_final(kind, &c, k);
        key = k;
    }
    for (unsigned i = 0; i < HMAC_CACHE; i++) {
        hmac_slot *s = &hmac_cache[i];
        if (s->kind == kind && s->key_len == key_len && memcmp(s->key, key, key_len) == 0)
            return s;
    }
    hmac_slot *s = &hmac_cache[hmac_next++ % HMAC_CACHE];
    memset(s->key, 0, sizeof s->key);
    if (key_len)
        memcpy(s->key, key, key_len);
    s->key_len = key_len;
    s->kind = kind;
    for (int i = 0; i < HMAC_BLOCK; i++)
        pad[i] = (uint8_t)(s->key[i] ^ 0x36);
    hash_init(kind, &s->inner);
    hash_update(kind, &s->inner, pad, HMAC_BLOCK);
    for (int i = 0; i < HMAC_BLOCK; i++)
        pad[i] = (uint8_t)(s->key[i] ^ 0x5c);
    hash_init(kind, &s->outer);
    hash_update(kind, &s->outer, pad, HMAC_BLOCK);
    return s;
}

static void hmac(hmac_kind kind, const void *key, size_t key_len, const void *msg, size_t msg_len,
                 uint8_t *out)
{
    uint8_t ih[EMU_SHA256_LEN];
    const hmac_slot *s = hmac_keyed(kind, key, key_len);
    hash_ctx c = s->inner;
    hash_update(kind, &c, msg, msg_len);
    unsigned n = hash_final(kind, &c, ih);
    c = s->outer;
    hash_update(kind, &c, ih, n);
    hash_final(kind, &c, out);
}

void emu_hmac_sha1(const void *key, size_t key_len, const void *msg, size_t msg_len,
                   uint8_t out[EMU_SHA1_LEN])
{
    hmac(HMAC_SHA1, key, key_len, msg, msg_len, out);
}

void emu_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                     uint8_t out[EMU_SHA256_LEN])
{
    hmac(HMAC_SHA256, key, key_len, msg, msg_len, out);
}

void emu_sha256(const void *msg, size_t len, uint8_t out[EMU_SHA256_LEN])
{
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, msg, len);
    SHA256_Final(out, &c);
}

void emu_md5(const void *msg, size_t len, uint8_t out[EMU_MD5_LEN])
{
    MD5_CTX c;
    MD5_Init(&c);
    MD5_Update(&c, msg, len);
    MD5_Final(out, &c);
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
