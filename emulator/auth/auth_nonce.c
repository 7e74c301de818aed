/* The replay cache: two generations of 128-bit digests in open-addressing
 * sets (see emu/auth.h for the retention contract).
 *
 * A pair is digested as SHA-256(ak "\n" nonce) truncated to 16 bytes, so
 * the cache holds no request text and a set slot is a fixed 16 bytes; an
 * all-zero digest (probability 2^-128) is nudged to mark empty slots. Each
 * generation's set grows by doubling up to its share of max_entries and
 * is kept at most half full, so probes stay short. */
#include <stdlib.h>
#include <string.h>

#include "emu/arena.h"
#include "emu/auth.h"
#include "emu/crypto.h"

typedef struct nonce_key {
    uint64_t a, b; /* a == 0 && b == 0: empty slot */
} nonce_key;

typedef struct nonce_gen {
    nonce_key *slots;
    size_t cap; /* power of two, or 0 before the first insert */
    size_t n;
    int64_t started_ms;
} nonce_gen;

struct auth_nonce_cache {
    nonce_gen cur, prev;
    size_t max_per_gen;
    int64_t ttl_ms;
};

auth_nonce_cache *auth_nonce_cache_new(size_t max_entries, int64_t ttl_ms)
{
    auth_nonce_cache *c = emu_xcalloc(1, sizeof *c);
    size_t m = 64;
    while (m < max_entries)
        m *= 2;
    c->max_per_gen = m / 2;
    c->ttl_ms = ttl_ms;
    c->cur.started_ms = c->prev.started_ms = INT64_MIN / 2;
    return c;
}

static void gen_dispose(nonce_gen *g)
{
    free(g->slots);
    memset(g, 0, sizeof *g);
}

void auth_nonce_cache_free(auth_nonce_cache *c)
{
    if (!c)
        return;
    gen_dispose(&c->cur);
    gen_dispose(&c->prev);
    free(c);
}

void auth_nonce_cache_clear(auth_nonce_cache *c)
{
    gen_dispose(&c->cur);
    gen_dispose(&c->prev);
    c->cur.started_ms = c->prev.started_ms = INT64_MIN / 2;
}

size_t auth_nonce_cache_size(const auth_nonce_cache *c)
{
    return c->cur.n + c->prev.n;
}

static nonce_key digest(emu_str ak, emu_str nonce)
{
    uint8_t h[EMU_SHA256_LEN];
    nonce_key k;
    /* Length-prefixed, so ("a\n", "b") and ("a", "\nb") differ. */
    size_t n = 16 + ak.len + nonce.len;
    uint8_t small[512];
    uint8_t *buf = n <= sizeof small ? small : emu_xmalloc(n);
    uint64_t la = ak.len, ln = nonce.len;
    memcpy(buf, &la, 8);
    memcpy(buf + 8, &ln, 8);
    if (ak.len)
        memcpy(buf + 16, ak.p, ak.len);
    if (nonce.len)
        memcpy(buf + 16 + ak.len, nonce.p, nonce.len);
    emu_sha256(buf, n, h);
    if (buf != small)
        free(buf);
    memcpy(&k.a, h, 8);
    memcpy(&k.b, h + 8, 8);
    if (!k.a && !k.b)
        k.b = 1;
    return k;
}

static bool gen_has(const nonce_gen *g, nonce_key k)
{
    if (!g->cap)
        return false;
    size_t mask = g->cap - 1, i = (size_t)k.a & mask;
    while (g->slots[i].a || g->slots[i].b) {
        if (g->slots[i].a == k.a && g->slots[i].b == k.b)
            return true;
        i = (i + 1) & mask;
    }
    return false;
}

static void gen_put_slot(nonce_key *slots, size_t cap, nonce_key k)
{
    size_t mask = cap - 1, i = (size_t)k.a & mask;
    while (slots[i].a || slots[i].b)
        i = (i + 1) & mask;
    slots[i] = k;
}

static void gen_put(nonce_gen *g, nonce_key k)
{
    if ((g->n + 1) * 2 > g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 256;
        nonce_key *s = emu_xcalloc(cap, sizeof *s);
        for (size_t i = 0; i < g->cap; i++)
            if (g->slots[i].a || g->slots[i].b)
                gen_put_slot(s, cap, g->slots[i]);
        free(g->slots);
        g->slots = s;
        g->cap = cap;
    }
    gen_put_slot(g->slots, g->cap, k);
    g->n++;
}

static void rotate(auth_nonce_cache *c, int64_t now_ms)
{
    gen_dispose(&c->prev);
    c->prev = c->cur;
    memset(&c->cur, 0, sizeof c->cur);
    c->cur.started_ms = now_ms;
}

bool auth_nonce_check_and_record(auth_nonce_cache *c, emu_str ak, emu_str nonce, int64_t now_ms)
{
    /* Both generations too old: everything is outside the window. */
    if (now_ms - c->cur.started_ms >= 2 * c->ttl_ms) {
        auth_nonce_cache_clear(c);
        c->cur.started_ms = now_ms;
    } else if (now_ms - c->cur.started_ms >= c->ttl_ms) {
        rotate(c, now_ms);
    }
    nonce_key k = digest(ak, nonce);
    if (gen_has(&c->cur, k) || gen_has(&c->prev, k))
        return true;
    if (c->cur.n >= c->max_per_gen)
        rotate(c, now_ms);
    gen_put(&c->cur, k);
    return false;
}
