/* Internals of the persistence module shared by its files, its unit tests
 * and its fuzz harness. Not a module boundary: others include
 * emu/persist.h. */
#ifndef EMU_PERSIST_INT_H
#define EMU_PERSIST_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/buf.h"
#include "emu/err.h"
#include "emu/ots_store.h"
#include "emu/world.h"

/* ---- Framing (persist_frame.c) -------------------------------------------- */

/* [u32 length of payload][u32 crc32c of type + payload][u8 type][payload] */
#define PERSIST_HEADER_BYTES 9

typedef enum persist_type {
    PERSIST_HEAD = 1,
    PERSIST_META = 2,
    PERSIST_SESSION = 3,
    PERSIST_ROWS = 4,
    PERSIST_SWAP = 5,
    PERSIST_END = 6,
} persist_type;

/* CRC-32C (Castagnoli, reflected 0x82F63B78), table-driven, 8 bytes at a
 * time. Chain by passing the previous result; start with 0.
 * crc32c("123456789") = 0xE3069283. */
uint32_t persist__crc32c(uint32_t crc, const void *p, size_t n);

/* Appends a record: persist__frame_open reserves the header and returns its
 * offset, the caller appends the payload, persist__frame_close fills the
 * header in. persist__frame does all three for a payload at hand. */
size_t persist__frame_open(emu_buf *b);
void persist__frame_close(emu_buf *b, size_t at, persist_type type);
void persist__frame(emu_buf *b, persist_type type, const void *p, size_t n);

typedef struct persist_rec {
    persist_type type;
    const uint8_t *p; /* payload, inside the buffer read */
    size_t len;
    size_t off; /* byte offset of the header */
    size_t end; /* offset just past the payload */
} persist_rec;

/* Reads the record at buf[off..len). Returns false with *why (static text:
 * "record header cut short", "checksum mismatch", ...) when there is no
 * whole valid record there. Never reads past len. */
bool persist__read(const uint8_t *buf, size_t len, size_t off, persist_rec *out, const char **why);
/* Whether the record at buf[off..len) runs past len: its header is cut
 * short, or it declares a sane length (within the record limit) that the
 * file does not hold. That is what an interrupted append leaves; a record
 * that is all there but fails its checksum (or has an impossible length or
 * type) was damaged after it was written. */
bool persist__cut_short(const uint8_t *buf, size_t len, size_t off);
/* Whether a whole valid record starts at any offset in buf[from..len): tells
 * a torn tail (nothing valid after the bad bytes) from damage in the middle
 * of a log (valid records after them). */
bool persist__valid_after(const uint8_t *buf, size_t len, size_t from);

/* ---- Payloads (persist_codec.c) ------------------------------------------- */

/* HEAD: {"Format": "acsemu-wal" | "acsemu-snapshot", "Version": 1, "Lsn": n,
 * "World": path}. A log's Lsn is that of its first record, a snapshot's the
 * last one it includes. */
void persist__put_head(emu_buf *b, const char *format, uint64_t lsn, const char *world_path);
emu_rc persist__get_head(const persist_rec *r, const char *format, uint64_t *lsn, char **world_path,
                         emu_err *err);
/* META: {"ClockOffsetMs": n, "World": world_export_meta(w)}. */
void persist__put_meta(emu_buf *b, const world_t *w, int64_t clock_offset_ms);
void persist__put_session(emu_buf *b, const world_session *s);
/* ROWS: u16-prefixed account, instance and table names, the table's origin
 * (u32-prefixed rows file or 0xFFFFFFFF, i64 load ts, u8 dirty), i64
 * auto-increment counter, u32 n, then n times u32 length + row image.
 * rows_open writes all but the images and returns the record's offset for
 * rows_close, which patches n in. */
size_t persist__rows_open(emu_buf *b, const ots_table_t *t);
void persist__rows_add(emu_buf *b, const uint8_t *image, size_t len);
void persist__rows_close(emu_buf *b, size_t at, uint32_t n);
/* END: u64 number of records before it (HEAD included). */
void persist__put_end(emu_buf *b, uint64_t records);

/* ---- Replay (persist_apply.c) ---------------------------------------------- */

typedef struct persist_state {
    world_t *world;          /* NULL until the first META */
    int64_t clock_offset_ms; /* from the last META */
    const char *label;       /* file name, for world-load errors */
} persist_state;

/* Applies a META, SESSION or ROWS record to st. Errors (EMU_E_INVALID) say
 * what is wrong without the location, which the caller prefixes. */
emu_rc persist__apply(persist_state *st, const persist_rec *r, emu_err *err);

/* ---- Start-up (persist_load.c) --------------------------------------------- */

#define PERSIST_MAX_FILES 4096

typedef struct persist_files {
    unsigned snaps[PERSIST_MAX_FILES], logs[PERSIST_MAX_FILES];
    size_t n_snaps, n_logs;
} persist_files;

typedef struct persist_loaded {
    world_t *world; /* caller owns */
    int64_t clock_offset_ms;
    uint64_t next_lsn; /* of the next record to write */
    unsigned snap_gen; /* the snapshot loaded */
    unsigned max_gen;  /* highest generation in the directory */
    size_t log_bytes;  /* of the logs replayed */
    unsigned n_logs;   /* logs replayed */
    char *world_path;  /* the world file of the first start (caller frees) */
} persist_loaded;

/* Loads the newest snapshot of dir and replays the logs after it, cutting a
 * torn tail off the newest log and removing obsolete files. EMU_E_NOT_FOUND
 * when dir holds no state (a first start); other errors are located. With
 * `repair`, a damaged log record (and everything logged after it) is moved
 * to DIR/damaged-<time>.log instead of stopping the load. */
emu_rc persist__load_dir(const char *dir, bool repair, persist_loaded *out, emu_err *err);

/* ---- Snapshots (persist_snap.c) -------------------------------------------- */

/* Writes DIR/snap-GEN.snap from w: to snap-GEN.tmp, fsynced, renamed, the
 * directory fsynced. Blocking; runs in the snapshot child (or at the first
 * start). */
emu_rc persist__snapshot_write(const char *dir, unsigned gen, uint64_t lsn, const world_t *w,
                               int64_t clock_offset_ms, const char *world_path, emu_err *err);

/* "DIR/snap-000003.snap", "DIR/wal-000003.log" into out. */
void persist__path(char *out, size_t cap, const char *dir, const char *kind, unsigned gen);

#endif
