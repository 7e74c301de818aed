/* The replay cache: two generations of 128-bit digests in open-addressing
 * sets (see emu/auth.h for the retention contract).
 *
 * Eviction never opens a door to a replay: each generation remembers the
 * newest signed timestamp it holds, and dropping a generation raises the
 * cache's floor to it. A request signed at or before the floor is refused
 * (the caller answers InvalidTimeStamp.Expired), since its nonce may be one
 * of those forgotten. Timestamps have whole seconds on the wire, so "at"
 * counts: a replay of the newest evicted request carries the floor itself.
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
#include "emu/clock.h"
#include "emu/crypto.h"
#include "emu/log.h"

typedef struct nonce_key {
    uint64_t a, b; /* a == 0 && b == 0: empty slot */
} nonce_key;

typedef struct nonce_gen {
    nonce_key *slots;
    size_t cap; /* power of two, or 0 before the first insert */
    size_t n;
    int64_t started_ms;
    int64_t newest_ts_ms; /* newest signed timestamp recorded; INT64_MIN = none */
} nonce_gen;

struct auth_nonce_cache {
    nonce_gen cur, prev;
    size_t max_per_gen;
    int64_t ttl_ms;
    int64_t floor_ms;  /* newest timestamp ever evicted; INT64_MIN = none */
    int64_t warned_ms; /* when the shrinking window was last logged */
};

auth_nonce_cache *auth_nonce_cache_new(size_t max_entries, int64_t ttl_ms)
{
    auth_nonce_cache *c = emu_xcalloc(1, sizeof *c);
    size_t m = AUTH_NONCE_MIN_ENTRIES;
    while (m < max_entries)
        m *= 2;
    c->max_per_gen = m / 2;
    c->ttl_ms = ttl_ms;
    c->cur.started_ms = c->prev.started_ms = INT64_MIN / 2;
    c->cur.newest_ts_ms = c->prev.newest_ts_ms = INT64_MIN;
    c->floor_ms = INT64_MIN;
    c->warned_ms = INT64_MIN / 2;
    return c;
}

static void gen_dispose(nonce_gen *g)
{
    free(g->slots);
    memset(g, 0, sizeof *g);
    g->newest_ts_ms = INT64_MIN;
}

/* Forgets g, raising the floor to what it held. */
static void gen_evict(auth_nonce_cache *c, nonce_gen *g)
{
    if (g->newest_ts_ms > c->floor_ms)
        c->floor_ms = g->newest_ts_ms;
    gen_dispose(g);
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
    c->floor_ms = INT64_MIN;
}

int64_t auth_nonce_cache_floor_ms(const auth_nonce_cache *c)
{
    return c->floor_ms;
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
    gen_evict(c, &c->prev);
    c->prev = c->cur;
    memset(&c->cur, 0, sizeof c->cur);
    c->cur.started_ms = now_ms;
    c->cur.newest_ts_ms = INT64_MIN;
}

/* The cache filled up before its generation's time: the accepted window
 * is now narrower than the date check's, which is worth a line (at most
 * one a minute, as a flood would repeat it). */
static void warn_pressure(auth_nonce_cache *c, int64_t ts_ms, int64_t now_ms)
{
    char floor[21];
    if (now_ms - c->warned_ms < 60000)
        return;
    c->warned_ms = now_ms;
    emu_time_iso(c->floor_ms, floor);
    emu_log(EMU_LOG_WARN,
            "replay cache full (%zu nonces): requests signed at or before %s (%llds before the "
            "newest) are refused with InvalidTimeStamp.Expired, a narrower window than the date "
            "check's; --nonce-cache N remembers more",
            2 * c->max_per_gen, floor, (long long)((ts_ms - c->floor_ms) / 1000));
}

auth_nonce_verdict auth_nonce_check_and_record(auth_nonce_cache *c, emu_str ak, emu_str nonce,
                                               int64_t ts_ms, int64_t now_ms)
{
    /* Both generations too old: everything is outside the window. */
    if (now_ms - c->cur.started_ms >= 2 * c->ttl_ms) {
        gen_evict(c, &c->cur);
        gen_evict(c, &c->prev);
        c->prev.started_ms = INT64_MIN / 2;
        c->cur.started_ms = now_ms;
    } else if (now_ms - c->cur.started_ms >= c->ttl_ms) {
        rotate(c, now_ms);
    }
    nonce_key k = digest(ak, nonce);
    if (gen_has(&c->cur, k) || gen_has(&c->prev, k))
        return AUTH_NONCE_REPLAY;
    if (ts_ms <= c->floor_ms)
        return AUTH_NONCE_TOO_OLD;
    if (c->cur.n >= c->max_per_gen) {
        int64_t floor = c->floor_ms;
        rotate(c, now_ms);
        if (c->floor_ms != floor)
            warn_pressure(c, ts_ms, now_ms);
        if (ts_ms <= c->floor_ms)
            return AUTH_NONCE_TOO_OLD;
    }
    gen_put(&c->cur, k);
    if (ts_ms > c->cur.newest_ts_ms)
        c->cur.newest_ts_ms = ts_ms;
    return AUTH_NONCE_NEW;
}
