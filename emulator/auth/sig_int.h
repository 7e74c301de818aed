/* Helpers shared by the sig_*.c files of emulator/auth (module-private). */
#ifndef EMU_AUTH_SIG_INT_H
#define EMU_AUTH_SIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "emu/arena.h"
#include "emu/buf.h"
#include "emu/err.h"
#include "emu/http.h"
#include "emu/str.h"

/* A capped string builder in the request's arena (no malloc, and the
 * result needs no copy): appends never fail one by one; the first append
 * that would pass the cap sets `overflow` and later appends are ignored, so
 * builders can append freely and check once in sig__sb_finish. */
typedef struct sig__sb {
    emu_arena *a;
    char *p;
    size_t len, cap; /* cap counts the NUL's byte */
    bool overflow;
} sig__sb;

void sig__sb_init(sig__sb *sb, emu_arena *arena);
/* Makes room for n more bytes and the NUL; false (and overflow set) past
 * SIG_MAX_CANON_BYTES. */
bool sig__sb_grow(sig__sb *sb, size_t n);
/* Inline: a canonical string is built of dozens of small appends. Past an
 * overflow the text is discarded, so what is appended after it is moot. */
static inline void sig__sb_put(sig__sb *sb, const void *p, size_t n)
{
    if (!n || (n >= sb->cap - sb->len && !sig__sb_grow(sb, n)))
        return;
    memcpy(sb->p + sb->len, p, n);
    sb->len += n;
}
static inline void sig__sb_putc(sig__sb *sb, char c)
{
    if (sb->cap - sb->len <= 1 && !sig__sb_grow(sb, 1))
        return;
    sb->p[sb->len++] = c;
}
static inline void sig__sb_str(sig__sb *sb, emu_str s)
{
    sig__sb_put(sb, s.p, s.len);
}
void sig__sb_puts(sig__sb *sb, const char *s);
/* Appends pct(s) (see sig_pct_encode). */
void sig__sb_pct(sig__sb *sb, emu_str s);
/* Appends the lower-cased bytes of s. */
void sig__sb_lower(sig__sb *sb, emu_str s);
/* The NUL-terminated text as *out (in the arena). Returns EMU_OK, or
 * EMU_E_LIMIT (naming `what`) when the cap was passed. */
emu_rc sig__sb_finish(sig__sb *sb, const char *what, emu_str *out, emu_err *err);

/* Byte-order compare of two slices (shorter prefix sorts first). */
int sig__cmp(emu_str a, emu_str b);
/* Same, with ASCII letters folded to lower case. */
int sig__icmp(emu_str a, emu_str b);

/* First header named `name` (ASCII case-insensitive) or NULL. The library
 * reads headers itself rather than calling emu_http_req_header, which
 * belongs to the net module: emu_auth must link without it. */
const emu_http_header *sig__header(const emu_http_header *h, size_t n, const char *name);

/* A slice's bytes, never NULL (OpenSSL's one-shot HMAC treats a NULL key
 * specially, and memcpy/memcmp must not see NULL even for length 0). */
#define SIG__P(s) ((s).p ? (const void *)(s).p : (const void *)"")

/* Decodes a percent escape pair; -1 when c is not a hex digit. */
int sig__hexval(unsigned char c);

#endif
