/* Growable byte buffer with a hard cap. Always NUL-terminated (the NUL is not
 * counted in len) so text can be used as a C string. */
#ifndef EMU_BUF_H
#define EMU_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct emu_buf {
    char *p;
    size_t len;
    size_t cap;
    size_t max; /* appends that would exceed max fail and leave buf unchanged */
} emu_buf;

void emu_buf_init(emu_buf *b, size_t max);
void emu_buf_dispose(emu_buf *b);
void emu_buf_reset(emu_buf *b);
/* Returns false (and appends nothing) when the result would exceed max. */
bool emu_buf_append_slow(emu_buf *b, const void *p, size_t n);
static inline bool emu_buf_append(emu_buf *b, const void *p, size_t n)
{
    /* Fast path: room already there (responses are built of many small
     * appends). */
    if (n < b->cap - b->len && b->len + n <= b->max) {
        if (n) /* p may be NULL when n is 0 */
            memcpy(b->p + b->len, p, n);
        b->len += n;
        b->p[b->len] = '\0';
        return true;
    }
    return emu_buf_append_slow(b, p, n);
}
/* Makes room for n more bytes in one allocation; false beyond max. */
bool emu_buf_reserve(emu_buf *b, size_t n);
bool emu_buf_puts(emu_buf *b, const char *s);
bool emu_buf_putc(emu_buf *b, char c);
bool emu_buf_printf(emu_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Decimal digits of v, two at a time from a table (no printf). */
bool emu_buf_put_i64(emu_buf *b, long long v);
/* Appends s[0..len) with &, <, >, " and ' escaped for XML text and
 * attributes (RPC Format=XML answers and ODPS XML share it). */
bool emu_buf_xml_escape(emu_buf *b, const char *s, size_t len);
/* Removes the first n bytes. */
void emu_buf_consume(emu_buf *b, size_t n);
/* Hands the bytes to the caller (free() them); the buffer becomes empty. */
char *emu_buf_take(emu_buf *b, size_t *len);

#endif
