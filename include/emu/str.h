/* Length-delimited string slices. A slice never owns its bytes. */
#ifndef EMU_STR_H
#define EMU_STR_H

#include <stdbool.h>
#include <stddef.h>
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

bool emu_str_eq(emu_str a, emu_str b);
bool emu_str_eq_c(emu_str a, const char *b);
/* ASCII case-insensitive comparisons. */
bool emu_str_ieq(emu_str a, emu_str b);
bool emu_str_ieq_c(emu_str a, const char *b);
bool emu_str_istarts(emu_str a, const char *prefix);
bool emu_str_starts(emu_str a, const char *prefix);
/* Trims ASCII spaces and tabs from both ends. */
emu_str emu_str_trim(emu_str s);
/* ASCII case-insensitive C-string compare (locale independent). */
int emu_strcasecmp(const char *a, const char *b);

#endif
