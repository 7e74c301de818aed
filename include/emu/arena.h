/* Per-request arena. Everything derived from one request is allocated here
 * and freed in one go when the response has been written. Allocation never
 * fails (out of memory aborts, see emu_xmalloc). */
#ifndef EMU_ARENA_H
#define EMU_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct emu_arena emu_arena;

/* New arena whose first chunk holds `first` bytes (0 = default 16 KiB). The
 * caller owns it and frees it with emu_arena_free. */
emu_arena *emu_arena_new(size_t first);
void emu_arena_free(emu_arena *a);
/* Frees everything allocated since creation but keeps the first chunk. */
void emu_arena_reset(emu_arena *a);

/* 16-byte aligned, uninitialised / zeroed memory valid until reset or free. */
void *emu_arena_alloc(emu_arena *a, size_t n);
void *emu_arena_zalloc(emu_arena *a, size_t n);
char *emu_arena_strndup(emu_arena *a, const char *s, size_t n);
char *emu_arena_strdup(emu_arena *a, const char *s);
char *emu_arena_sprintf(emu_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *emu_arena_vsprintf(emu_arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Room for element n of a growing arena array of `size`-byte elements at p
 * (capacity *cap): p itself, or a copy twice as big (the old copy stays in
 * the arena until it is reset). */
void *emu_arena_grow(emu_arena *a, void *p, size_t n, size_t *cap, size_t size);
/* The strings given, joined (the list ends with NULL): ARNs and headers on
 * the request path, where printf's format parsing costs more than the copy. */
char *emu_arena_concat(emu_arena *a, ...) __attribute__((sentinel));

/* Hints the CPU to fetch the arena's header and the first n bytes of its
 * first chunk for writing: for arenas reused round-robin (the decision
 * ring), which are cold by the time they are written again. */
void emu_arena_prefetch(const emu_arena *a, size_t n);

/* Bytes currently held (for tests and the health endpoint). */
size_t emu_arena_used(const emu_arena *a);

/* Heap allocation that aborts on out-of-memory (acsemu is a dev tool: there
 * is no NOMEM path to test). */
void *emu_xmalloc(size_t n);
void *emu_xcalloc(size_t n, size_t m);
void *emu_xrealloc(void *p, size_t n);
char *emu_xstrdup(const char *s);
char *emu_xstrndup(const char *s, size_t n);

#endif
