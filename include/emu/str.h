/* Length-delimited string slices. A slice never owns its bytes. */
#ifndef EMU_STR_H
#define EMU_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct emu_str {
    const char *p;
    size_t len;
} emu_str;

#define EMU_STR_LIT(s) ((emu_str){(s), sizeof(s) - 1})
#define EMU_STR_NULL ((emu_str){NULL, 0})

static inline emu_str emu_str_c(const char *s)
{
    return (emu_str){s, s ? strlen(s) : 0};
}

/* Eight ASCII bytes lower-cased at once: per byte, bit 7 marks 'A'..'Z'
 * (a byte with bit 7 set is never a letter), and adds 0x20 there. */
static inline uint64_t emu_ascii_lower8(uint64_t x)
{
    uint64_t low7 = x & 0x7f7f7f7f7f7f7f7fULL;
    uint64_t upper = (low7 + 0x3f3f3f3f3f3f3f3fULL) & ~(low7 + 0x2525252525252525ULL) & ~x &
                     0x8080808080808080ULL;
    return x | (upper >> 2);
}

bool emu_str_eq(emu_str a, emu_str b);
bool emu_str_eq_c(emu_str a, const char *b);
/* ASCII case-insensitive comparisons. emu_str_ieq is inline for its length
 * test, so header lookups over many names of other lengths make no call. */
bool emu__str_ieq_same_len(const char *a, const char *b, size_t len);
static inline bool emu_str_ieq(emu_str a, emu_str b)
{
    return a.len == b.len && emu__str_ieq_same_len(a.p, b.p, a.len);
}
bool emu_str_ieq_c(emu_str a, const char *b);
/* Inline so that a literal prefix's strlen folds to a constant and the
 * exact-bytes test (most senders use the case looked for) to a compare. */
static inline bool emu_str_istarts(emu_str a, const char *prefix)
{
    size_t n = strlen(prefix);
    return a.len >= n &&
           (memcmp(a.p, prefix, n) == 0 || emu_str_ieq((emu_str){a.p, n}, (emu_str){prefix, n}));
}
bool emu_str_starts(emu_str a, const char *prefix);
/* Trims ASCII spaces and tabs from both ends. */
emu_str emu_str_trim(emu_str s);
/* ASCII case-insensitive C-string compare (locale independent). */
int emu_strcasecmp(const char *a, const char *b);
/* Offset of the first byte of p[0..n) that does not begin a well-formed
 * UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF; a sequence cut short by n counts as bad), or n when all of it
 * is well-formed. NUL is well-formed UTF-8: callers that keep C strings
 * check for it themselves. libunistring's u8_check underneath. */
size_t emu_utf8_bad_at(const void *p, size_t n);

/* The decimal digits of v into out (no NUL, no sign), two per division;
 * returns how many (1 to 20). */
size_t emu_u64_dec(uint64_t v, char out[20]);

#endif
