/* Durable sandboxes: --data-dir DIR (DESIGN.md §2 "Persistence is optional").
 *
 * Every acknowledged change is appended to a write-ahead log in DIR and is
 * on disk before its response goes out; a snapshot of the whole world is
 * written in the background now and then, after which older logs are
 * deleted. A start from DIR loads the newest snapshot and replays the logs
 * after it.
 *
 * Files (numbers are generations, six digits):
 *   snap-N.snap  the world as of the moment log N was started: a HEAD
 *                record, one META, the SESSIONs, the ROWS of every table
 *                and an END record. Written to snap-N.tmp, fsynced, renamed.
 *   wal-N.log    a HEAD record naming the LSN of its first record, then
 *                records; replayed after snapshot N (and N+1... after it).
 *   LOCK         flock()ed while a process uses DIR.
 *
 * Records are framed as [u32 length][u32 crc32c][u8 type][payload]
 * (little-endian; the CRC covers type and payload). Each record is the
 * after-image of what changed, so replay needs no service logic:
 *   META     the world without rows and sessions (world_export_meta) and the
 *            virtual clock offset, after any change that is not a row write
 *            or an AssumeRole: RAM writes, Tablestore table DDL, MaxCompute
 *            instances, POST /_emu/clock;
 *   SESSION  one STS session minted by AssumeRole;
 *   ROWS     account, instance, table, the auto-increment counter and row
 *            images (emu/ots_store.h), one per written row;
 *   SWAP     the whole world was replaced (POST /_emu/reset, a checkpoint
 *            restore): a snapshot starts at once and the response (and
 *            every later write's) waits until it is durable, so a log that
 *            holds a SWAP without the snapshot after it ends there.
 *
 * Group commit: records of one loop turn share one write + fdatasync on
 * libuv's threadpool (one flush in flight at a time); responses of calls
 * that wrote records are held and released in order once durable. Reads
 * are never held.
 *
 * Start-up: a record cut short (its length runs past the end of the file)
 * at the very end of the newest log, with no valid record after it, was
 * never acknowledged: it is cut off with a warning. A record that is all
 * there but fails its checksum is damage, wherever it is: like anything
 * else wrong it stops start-up with the file, record number and byte
 * offset ("DIR/wal-000003.log: record 1234 at byte 567890: checksum
 * mismatch ..."), unless `repair` (--data-dir-repair) moves that record
 * and everything logged after it to DIR/damaged-<time>.log, says so, and
 * starts without them. Nothing is cut without being kept, except a torn
 * tail. */
#ifndef EMU_PERSIST_H
#define EMU_PERSIST_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "emu/dispatch.h"
#include "emu/err.h"
#include "emu/world.h"

typedef struct emu_persist emu_persist;

typedef struct emu_persist_config {
    const char *dir;        /* created (mode 0700) when missing */
    const char *world_path; /* loaded on the first start; recorded in snapshots */
    /* Log bytes that start a snapshot; 0 = EMU_PERSIST_SNAPSHOT_BYTES. */
    uint64_t snapshot_bytes;
    /* --data-dir-repair: set a damaged log tail aside instead of stopping. */
    bool repair;
} emu_persist_config;

/* Opens cfg->dir, takes its lock and produces the world: the newest snapshot
 * plus the logs after it, or, on the first start (no snapshot), the world
 * file, of which it then writes the first snapshot. Sets the virtual clock
 * offset the data dir recorded. Blocking file I/O: call before the loop
 * runs. *world gets the world (caller owns it); *from_dir tells whether it
 * came from the data dir. Returns NULL with err filled on failure: a
 * located corruption, DIR in use by another process, an unloadable world
 * file. */
emu_persist *emu_persist_open(const emu_persist_config *cfg, world_t **world, bool *from_dir,
                              emu_err *err);

/* Starts journaling s's changes: sets s->persist and s->persist_hooks,
 * hooks the Tablestore row journal and adds its handles to `loop`. */
void emu_persist_start(emu_persist *p, emu_server *s, uv_loop_t *loop);

/* Shutdown, once the server answered its last request: closes the loop
 * handles after the flush in flight (if any) so that the loop can end. */
void emu_persist_stop(emu_persist *p);

/* After the loop ended: waits for a snapshot still being written, deletes
 * what it made obsolete, releases the lock and frees p. NULL is fine. */
void emu_persist_free(emu_persist *p);

#endif
