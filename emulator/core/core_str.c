#include <unistr.h>

#include "emu/str.h"

static inline unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

bool emu_str_eq(emu_str a, emu_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool emu_str_eq_c(emu_str a, const char *b)
{
    return emu_str_eq(a, emu_str_c(b));
}

/* Eight bytes at a time; equal words need no folding (header names mostly
 * arrive in the case they are looked up in). */
bool emu__str_ieq_same_len(const char *a, const char *b, size_t len)
{
    size_t i = 0;
    for (; len - i >= 8; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y && emu_ascii_lower8(x) != emu_ascii_lower8(y))
            return false;
    }
    for (; i < len; i++)
        if (a[i] != b[i] && lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
    return true;
}

/* Stops at the first differing byte (no strlen): header lookups call it for
 * every header of a request. */
bool emu_str_ieq_c(emu_str a, const char *b)
{
    size_t i = 0;
    for (; i < a.len; i++) {
        if (!b[i]) /* first: a may hold a NUL byte where b ends */
            return false;
        if (a.p[i] != b[i] && lower((unsigned char)a.p[i]) != lower((unsigned char)b[i]))
            return false;
    }
    return b[i] == '\0';
}

bool emu_str_starts(emu_str a, const char *prefix)
{
    size_t n = strlen(prefix);
    return a.len >= n && memcmp(a.p, prefix, n) == 0;
}

emu_str emu_str_trim(emu_str s)
{
    while (s.len && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.len--;
    }
    while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
        s.len--;
    return s;
}

int emu_strcasecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int d = lower((unsigned char)*a) - lower((unsigned char)*b);
        if (d || !*a)
            return d;
    }
}

size_t emu_u64_dec(uint64_t v, char out[20])
{
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
                                   "25262728293031323334353637383940414243444546474849"
                                   "50515253545556575859606162636465666768697071727374"
                                   "75767778798081828384858687888990919293949596979899";
    char tmp[20], *p = tmp + sizeof tmp;
    while (v >= 100) {
        unsigned d = (unsigned)(v % 100) * 2;
        v /= 100;
        *--p = pairs[d + 1];
        *--p = pairs[d];
    }
    if (v >= 10) {
        *--p = pairs[v * 2 + 1];
        *--p = pairs[v * 2];
    } else {
        *--p = (char)('0' + v);
    }
    size_t n = (size_t)(tmp + sizeof tmp - p);
    memcpy(out, p, n);
    return n;
}

size_t emu_utf8_bad_at(const void *p, size_t n)
{
    if (!n)
        return 0;
    const uint8_t *bad = u8_check(p, n);
    return bad ? (size_t)(bad - (const uint8_t *)p) : n;
}
