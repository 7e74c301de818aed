/* Chunked bump allocator. Chunks grow geometrically; a request whose single
 * allocation is larger than the next chunk size gets a chunk of its own. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/arena.h"
#include "emu/log.h"

#define ALIGN 16
#define DEFAULT_FIRST (16 * 1024)

typedef struct chunk {
    struct chunk *next;
    size_t size;
    size_t used;
    /* Data follows, aligned to ALIGN. */
} chunk;

struct emu_arena {
    chunk *head;  /* chunk being filled */
    chunk *first; /* kept across reset */
    size_t held;
};

#define CHUNK_HDR ((sizeof(chunk) + ALIGN - 1) & ~(size_t)(ALIGN - 1))

static chunk *chunk_new(size_t size)
{
    chunk *c = emu_xmalloc(CHUNK_HDR + size);
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

emu_arena *emu_arena_new(size_t first)
{
    emu_arena *a = emu_xmalloc(sizeof *a);
    a->first = a->head = chunk_new(first ? first : DEFAULT_FIRST);
    a->held = a->first->size;
    return a;
}

static void free_after_first(emu_arena *a)
{
    chunk *c = a->head;
    while (c && c != a->first) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
}

void emu_arena_prefetch(const emu_arena *a, size_t n)
{
    __builtin_prefetch(a, 1);
    const char *c = (const char *)a->first;
    if (n > a->first->size)
        n = a->first->size;
    for (size_t off = 0; off < CHUNK_HDR + n; off += 64)
        __builtin_prefetch(c + off, 1);
}

void emu_arena_free(emu_arena *a)
{
    if (!a)
        return;
    free_after_first(a);
    free(a->first);
    free(a);
}

void emu_arena_reset(emu_arena *a)
{
    free_after_first(a);
    a->head = a->first;
    a->first->used = 0;
    a->first->next = NULL;
    a->held = a->first->size;
}

void *emu_arena_alloc(emu_arena *a, size_t n)
{
    chunk *c = a->head;
    size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);

    if (need < n) /* overflow: can't happen with sane sizes */
        abort();
    if (c->size - c->used < need) {
        size_t size = c->size * 2;
        if (size < need)
            size = need;
        chunk *nc = chunk_new(size);
        nc->next = c;
        a->head = c = nc;
        a->held += size;
    }
    void *p = (char *)c + CHUNK_HDR + c->used;
    c->used += need;
    return p;
}

void *emu_arena_zalloc(emu_arena *a, size_t n)
{
    void *p = emu_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

void *emu_arena_grow(emu_arena *a, void *p, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return p;
    size_t nc = *cap ? *cap * 2 : 8;
    void *np = emu_arena_alloc(a, nc * size);
    if (n)
        memcpy(np, p, n * size);
    *cap = nc;
    return np;
}

char *emu_arena_strndup(emu_arena *a, const char *s, size_t n)
{
    char *p = emu_arena_alloc(a, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *emu_arena_strdup(emu_arena *a, const char *s)
{
    return emu_arena_strndup(a, s, strlen(s));
}

char *emu_arena_concat(emu_arena *a, ...)
{
    /* Each piece's length is measured once: ARNs and keys are built from
     * a dozen short pieces on every request. */
    enum { KEPT = 16 };
    size_t lens[KEPT], n = 0, i = 0;
    va_list ap;
    va_start(ap, a);
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *), i++) {
        size_t k = strlen(s);
        if (i < KEPT)
            lens[i] = k;
        n += k;
    }
    va_end(ap);
    char *out = emu_arena_alloc(a, n + 1), *p = out;
    i = 0;
    va_start(ap, a);
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *), i++) {
        size_t k = i < KEPT ? lens[i] : strlen(s);
        memcpy(p, s, k);
        p += k;
    }
    va_end(ap);
    *p = '\0';
    return out;
}

char *emu_arena_vsprintf(emu_arena *a, const char *fmt, va_list ap)
{
    /* One pass when the text fits in what is left of the current chunk
     * (nearly always): format in place, then claim the bytes used. */
    chunk *c = a->head;
    char *dst = (char *)c + CHUNK_HDR + c->used;
    size_t avail = c->size - c->used;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(dst, avail, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        n = 0;
    if ((size_t)n < avail) {
        size_t need = ((size_t)n + 1 + ALIGN - 1) & ~(size_t)(ALIGN - 1);
        c->used += need <= avail ? need : avail;
        return dst;
    }
    char *p = emu_arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *emu_arena_sprintf(emu_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = emu_arena_vsprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

size_t emu_arena_used(const emu_arena *a)
{
    return a->held;
}

static void oom(size_t n)
{
    emu_log(EMU_LOG_ERROR, "out of memory allocating %zu bytes", n);
    abort();
}

void *emu_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *emu_xcalloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);
    if (!p)
        oom(n * m);
    return p;
}

void *emu_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *emu_xstrndup(const char *s, size_t n)
{
    char *p = emu_xmalloc(n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *emu_xstrdup(const char *s)
{
    return emu_xstrndup(s, strlen(s));
}
