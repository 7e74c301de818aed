/* Writing a snapshot file: HEAD, META, SESSIONs, ROWS, END (see
 * emu/persist.h). It runs in a forked child (the parent's loop goes on) or
 * at the first start, and only reads the world. The file is built in a
 * buffer that goes to disk every few MB, then fsynced and renamed over, so a
 * half-written snapshot never has the name of a complete one
 * [redis rdbSave]. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "emu/limits.h"
#include "persist_int.h"

#define WRITE_CHUNK (4 * 1024 * 1024)

typedef struct snap_writer {
    int fd;
    emu_buf b;
    uint64_t records;
    int err; /* errno of the first failed write */
    /* The ROWS record being filled. */
    size_t rows_at;
    uint32_t rows_n;
} snap_writer;

static void drain(snap_writer *w)
{
    const char *p = w->b.p;
    size_t n = w->b.len;
    while (n && !w->err) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            w->err = errno;
            break;
        }
        p += k;
        n -= (size_t)k;
    }
    emu_buf_reset(&w->b);
}

/* Each finished record may send the buffer to disk; a ROWS record being
 * filled stays whole in the buffer. */
static void record_done(snap_writer *w)
{
    w->records++;
    if (w->b.len >= WRITE_CHUNK)
        drain(w);
}

static void rows_flush(snap_writer *w)
{
    if (!w->rows_n)
        return;
    persist__rows_close(&w->b, w->rows_at, w->rows_n);
    w->rows_n = 0;
    record_done(w);
}

static void on_image(void *ud, const ots_table_t *t, const uint8_t *image, size_t len)
{
    snap_writer *w = ud;
    if (w->rows_n && w->b.len - w->rows_at >= EMU_PERSIST_ROWS_RECORD_BYTES)
        rows_flush(w);
    if (!w->rows_n)
        w->rows_at = persist__rows_open(&w->b, t);
    persist__rows_add(&w->b, image, len);
    w->rows_n++;
}

static void put_tables(snap_writer *w, const world_t *world)
{
    int section = world_section_index(ots_world_section.name);
    for (size_t i = 0; section >= 0 && i < world_account_count(world); i++) {
        void *st = world_account_at(world, i)->sections[section];
        for (size_t j = 0; st && j < ots_store_instance_count(st); j++) {
            ots_instance_t *in = ots_store_instance_at(st, j);
            for (size_t k = 0; k < ots_store_table_count(in); k++) {
                ots_table_t *t = ots_store_table_at(in, k);
                ots_table_each_image(t, on_image, w);
                if (w->rows_n) {
                    rows_flush(w);
                    continue;
                }
                /* No rows: the record still carries the table's origin
                 * and auto-increment counter. */
                w->rows_at = persist__rows_open(&w->b, t);
                persist__rows_close(&w->b, w->rows_at, 0);
                record_done(w);
            }
        }
    }
}

static emu_rc sync_dir(const char *dir, emu_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || fsync(fd) != 0) {
        emu_rc rc = emu_err_set(err, EMU_E_INTERNAL, NULL, "fsync %s: %s", dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    close(fd);
    return EMU_OK;
}

emu_rc persist__snapshot_write(const char *dir, unsigned gen, uint64_t lsn, const world_t *world,
                               int64_t clock_offset_ms, const char *world_path, emu_err *err)
{
    char tmp[4096], path[4096];
    snap_writer w = {.fd = -1};
    emu_rc rc = EMU_OK;

    persist__path(path, sizeof path, dir, "snap", gen);
    snprintf(tmp, sizeof tmp, "%s/snap-%06u.tmp", dir, gen);
    emu_buf_init(&w.b, SIZE_MAX - 1);
    w.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (w.fd < 0) {
        rc = emu_err_set(err, EMU_E_INTERNAL, NULL, "create %s: %s", tmp, strerror(errno));
        goto out;
    }
    persist__put_head(&w.b, "acsemu-snapshot", lsn, world_path);
    record_done(&w);
    persist__put_meta(&w.b, world, clock_offset_ms);
    record_done(&w);
    for (size_t i = 0; i < world_session_count(world); i++) {
        persist__put_session(&w.b, world_session_at(world, i));
        record_done(&w);
    }
    put_tables(&w, world);
    persist__put_end(&w.b, w.records);
    drain(&w);
    if (w.err || fsync(w.fd) != 0) {
        rc = emu_err_set(err, EMU_E_INTERNAL, NULL, "write %s: %s", tmp,
                         strerror(w.err ? w.err : errno));
        goto out;
    }
    if (close(w.fd) != 0 || rename(tmp, path) != 0) {
        w.fd = -1;
        rc = emu_err_set(err, EMU_E_INTERNAL, NULL, "commit %s: %s", path, strerror(errno));
        goto out;
    }
    w.fd = -1;
    rc = sync_dir(dir, err);
out:
    if (w.fd >= 0)
        close(w.fd);
    if (rc)
        unlink(tmp);
    emu_buf_dispose(&w.b);
    return rc;
}
