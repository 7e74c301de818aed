/* A FlatBuffers writer for the answers acsemu builds by hand: Tablestore's
 * SQL rows (ots_sql_fbs.c) and the Arrow IPC messages of MaxCompute's
 * instance tunnel (odps_arrow.c). Debian has no FlatBuffers library for C
 * (libflatbuffers is C++), and each schema is a few small tables.
 *
 * The buffer is written front to back: a parent (vtable just before its
 * table) first, with its offset slots patched once the children, which
 * follow it, are placed, so every uoffset points forward as the format
 * requires. Little-endian; scalars aligned to their size, vectors' lengths
 * to 4 with 8-byte elements at multiples of 8, tables at multiples of 8.
 * Positions are relative to where the writer started, so a buffer can
 * follow other bytes (an Arrow message prefix) as long as that start is
 * 8-aligned. A write past the buffer's cap sets `full` and stops. */
#ifndef EMU_FBS_H
#define EMU_FBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/buf.h"

typedef struct emu_fbs {
    emu_buf b;
    size_t base; /* where the FlatBuffer starts in b */
    bool full;
} emu_fbs;

/* One field of a table being written: an offset (its slot patched later
 * with emu_fbs_patch), or a scalar of `size` bytes (1, 2, 4 or 8). */
typedef struct emu_fbs_field {
    int id;      /* position in the schema's field list (< 8) */
    size_t size; /* 1, 2, 4 (offsets are 4) or 8 */
    bool offset;
    uint64_t value;
    size_t slot; /* out: where an offset field's uoffset is */
} emu_fbs_field;

void emu_fbs_put(emu_fbs *f, const void *p, size_t n);
void emu_fbs_le(emu_fbs *f, uint64_t v, size_t n);
/* Zeros until (position + extra) is a multiple of align. */
void emu_fbs_pad(emu_fbs *f, size_t align, size_t extra);
/* Points the uoffset slot at `slot` to `target` (a later position). */
void emu_fbs_patch(emu_fbs *f, size_t slot, size_t target);
/* Writes a vtable (n_ids entries) and its table; returns the table's
 * position. */
size_t emu_fbs_table(emu_fbs *f, emu_fbs_field *fl, size_t n, int n_ids);
/* A vector's length (its elements, of `elem` bytes, follow); returns the
 * vector's position. */
size_t emu_fbs_vec(emu_fbs *f, size_t count, size_t elem);
size_t emu_fbs_string(emu_fbs *f, const char *s, size_t n);

#endif
