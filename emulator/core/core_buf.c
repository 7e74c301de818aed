#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/arena.h"
#include "emu/buf.h"
#include "emu/str.h"

void emu_buf_init(emu_buf *b, size_t max)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void emu_buf_dispose(emu_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void emu_buf_reset(emu_buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

bool emu_buf_reserve(emu_buf *b, size_t n)
{
    if (n > b->max || b->len + n > b->max)
        return false;
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->p = emu_xrealloc(b->p, cap);
    b->cap = cap;
    return true;
}

bool emu_buf_append_slow(emu_buf *b, const void *p, size_t n)
{
    if (!emu_buf_reserve(b, n))
        return false;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return true;
}

bool emu_buf_puts(emu_buf *b, const char *s)
{
    return emu_buf_append(b, s, strlen(s));
}

bool emu_buf_putc(emu_buf *b, char c)
{
    return emu_buf_append(b, &c, 1);
}

bool emu_buf_put_i64(emu_buf *b, long long v)
{
    char tmp[21], *p = tmp;
    if (v < 0)
        *p++ = '-';
    p += emu_u64_dec(v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, p);
    return emu_buf_append(b, tmp, (size_t)(p - tmp));
}

bool emu_buf_printf(emu_buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];

    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return false;
    if ((size_t)n < sizeof small)
        return emu_buf_append(b, small, (size_t)n);
    if (!emu_buf_reserve(b, (size_t)n))
        return false;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return true;
}

void emu_buf_consume(emu_buf *b, size_t n)
{
    if (n >= b->len) {
        emu_buf_reset(b);
        return;
    }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
    b->p[b->len] = '\0';
}

char *emu_buf_take(emu_buf *b, size_t *len)
{
    char *p = b->p;
    if (len)
        *len = b->len;
    if (!p)
        p = emu_xstrdup("");
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

bool emu_buf_xml_escape(emu_buf *b, const char *s, size_t len)
{
    bool ok = true;
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        const char *ent = NULL;
        switch (s[i]) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '"':
            ent = "&quot;";
            break;
        case '\'':
            ent = "&apos;";
            break;
        default:
            continue;
        }
        ok &= emu_buf_append(b, s + run, i - run);
        ok &= emu_buf_puts(b, ent);
        run = i + 1;
    }
    return ok && emu_buf_append(b, s + run, len - run);
}
