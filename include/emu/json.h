/* cJSON glue: allocator hooks, bounded parsing and small typed getters. */
#ifndef EMU_JSON_H
#define EMU_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "emu/err.h"

/* Points cJSON at emu_xmalloc; call once at start. */
void emu_json_init(void);

/* Parses exactly `len` bytes of JSON text; rejects trailing garbage and
 * nesting deeper than EMU_MAX_JSON_DEPTH. On error fills err with the line
 * and column. The caller owns the result (cJSON_Delete). */
cJSON *emu_json_parse(const char *text, size_t len, emu_err *err);

/* "a string", "a number", "an object"... for error messages. Static. */
const char *emu_json_type_name(const cJSON *j);

/* Returns a heap copy of the compact text (free()). */
char *emu_json_print(const cJSON *j);
/* Appends the compact text of j to b. Faster than cJSON's printer, which
 * formats every number with sprintf and checks it with sscanf: integral
 * numbers (the common case: counts, sizes, ms) are written directly.
 * Returns false if b's cap was reached. */
#include "emu/buf.h"
bool emu_json_write(emu_buf *b, const cJSON *j);
/* The members of object `obj`, comma-separated, without the braces (to
 * write them after fields of one's own). */
bool emu_json_write_members(emu_buf *b, const cJSON *obj);
/* Adds "key": "value" to obj copying neither, for an answer built and
 * rendered within one request (an RPC action's result): `key` must be a
 * string literal, `value` must outlive the tree (the call's arena, the
 * world). cJSON_Delete leaves both alone. */
void emu_json_add_str_ref(cJSON *obj, const char *key, const char *value);
/* Same, copied into an arena (valid until the arena is reset). */
#include "emu/arena.h"
char *emu_json_print_to_arena(emu_arena *a, const cJSON *j);

#endif
