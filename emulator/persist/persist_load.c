/* Start-up from a data dir: the newest snapshot, then every log after it
 * (see emu/persist.h). Blocking file I/O, before the loop runs.
 *
 * What counts as a torn tail, and is cut off with a warning: in the newest
 * log, a record that does not read back whole and valid with no valid
 * record anywhere after it. Such bytes were written by the flush that a
 * crash interrupted, so no response depended on them. Everything else (a
 * bad record followed by good ones, any damage in an older log or in a
 * snapshot, a gap in the log sequence numbers) stops start-up with the
 * file, record number and byte offset. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/log.h"
#include "persist_int.h"

typedef struct mapped {
    const uint8_t *p;
    size_t len;
} mapped;

static emu_rc map_file(const char *path, mapped *m, emu_err *err)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    m->p = NULL;
    m->len = 0;
    if (fd < 0 || fstat(fd, &st) != 0) {
        emu_rc rc = emu_err_set(err, EMU_E_INTERNAL, NULL, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    if (st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            close(fd);
            return emu_err_set(err, EMU_E_INTERNAL, NULL, "%s: mmap: %s", path, strerror(errno));
        }
        m->p = p;
        m->len = (size_t)st.st_size;
    }
    close(fd);
    return EMU_OK;
}

static void unmap(mapped *m)
{
    if (m->p)
        munmap((void *)m->p, m->len);
}

static emu_rc located(emu_err *err, const char *path, uint64_t rec, size_t off, const char *fmt,
                      ...) __attribute__((format(printf, 5, 6)));

static emu_rc located(emu_err *err, const char *path, uint64_t rec, size_t off, const char *fmt,
                      ...)
{
    char what[EMU_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return emu_err_set(err, EMU_E_INVALID, NULL, "%s: record %" PRIu64 " at byte %zu: %s", path,
                       rec, off, what);
}

/* One good record of a snapshot: HEAD first, END last, the rest applied. */
static emu_rc snap_record(persist_state *st, const persist_rec *r, uint64_t rec, uint64_t *lsn,
                          char **world_path, bool *ended, emu_err *err)
{
    uint64_t n = 0;
    if (rec == 1)
        return persist__get_head(r, "acsemu-snapshot", lsn, world_path, err);
    if (r->type != PERSIST_END)
        return persist__apply(st, r, err);
    if (r->len == 8)
        memcpy(&n, r->p, 8);
    *ended = true;
    if (n != rec - 1)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "END counts %" PRIu64 " records, found %" PRIu64, n, rec - 1);
    return EMU_OK;
}

static emu_rc load_snapshot(const char *path, persist_state *st, uint64_t *lsn, char **world_path,
                            emu_err *err)
{
    mapped m;
    size_t off = 0;
    uint64_t rec = 0;
    bool ended = false;
    emu_rc rc = map_file(path, &m, err);
    while (!rc && off < m.len) {
        persist_rec r;
        const char *why;
        rec++;
        if (ended)
            rc = located(err, path, rec, off, "data after the END record");
        else if (!persist__read(m.p, m.len, off, &r, &why))
            rc = located(err, path, rec, off, "%s", why);
        else if ((rc = snap_record(st, &r, rec, lsn, world_path, &ended, err)))
            emu_err_prefix(err, "%s: record %" PRIu64 " at byte %zu: ", path, rec, off);
        else
            off = r.end;
    }
    if (!rc && !ended)
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "%s: cut short (no END record after %zu bytes)",
                         path, m.len);
    unmap(&m);
    return rc;
}

/* Cuts a torn tail off the newest log (or removes a log left empty). */
static emu_rc cut_tail(const char *path, size_t off, size_t len, emu_err *err)
{
    emu_log(EMU_LOG_WARN,
            "%s: dropping a torn last write (%zu bytes at byte %zu, never "
            "acknowledged)",
            path, len - off, off);
    int rc = off ? truncate(path, (off_t)off) : unlink(path);
    if (rc != 0)
        return emu_err_set(err, EMU_E_INTERNAL, NULL, "%s: cannot cut the torn tail: %s", path,
                           strerror(errno));
    return EMU_OK;
}

typedef struct log_pass {
    persist_state *st;
    uint64_t snap_lsn; /* records up to it are in the snapshot */
    uint64_t expect;   /* the next LSN to apply */
    bool stopped;      /* an unfinished SWAP: nothing after it counts */
} log_pass;

/* Handles one good record of a log; *lsn is its sequence number. */
static emu_rc log_record(log_pass *lp, const char *path, const persist_rec *r, uint64_t rec,
                         uint64_t lsn, emu_err *err)
{
    if (r->type == PERSIST_HEAD || r->type == PERSIST_END)
        return located(err, path, rec, r->off, "unexpected %s record",
                       r->type == PERSIST_HEAD ? "HEAD" : "END");
    if (lsn < lp->expect)
        return EMU_OK; /* already in the snapshot */
    if (r->type == PERSIST_SWAP) {
        /* The world was replaced here and the snapshot that would have
         * recorded it never completed: the reset's answer (and every later
         * write's) was still held. */
        lp->stopped = true;
        return EMU_OK;
    }
    if (persist__apply(lp->st, r, err)) {
        emu_err_prefix(err, "%s: record %" PRIu64 " at byte %zu: ", path, rec, r->off);
        return EMU_E_INVALID;
    }
    lp->expect = lsn + 1;
    return EMU_OK;
}

static emu_rc replay_log(log_pass *lp, const char *path, bool last, size_t *bytes, emu_err *err)
{
    mapped m;
    size_t off = 0;
    uint64_t rec = 0, lsn = 0;
    emu_rc rc = map_file(path, &m, err);
    *bytes = m.len;
    while (!rc && off < m.len && !lp->stopped) {
        persist_rec r;
        const char *why;
        rec++;
        if (!persist__read(m.p, m.len, off, &r, &why)) {
            if (last && !persist__valid_after(m.p, m.len, off + 1))
                rc = cut_tail(path, off, m.len, err);
            else
                rc = located(err, path, rec, off, "%s", why);
            break;
        }
        if (rec == 1) {
            if ((rc = persist__get_head(&r, "acsemu-wal", &lsn, NULL, err)))
                emu_err_prefix(err, "%s: record 1 at byte 0: ", path);
            else if (lsn > lp->expect)
                rc = located(err, path, rec, off, "records %" PRIu64 " to %" PRIu64 " are missing",
                             lp->expect, lsn - 1);
        } else {
            rc = log_record(lp, path, &r, rec, lsn++, err);
        }
        if (!rc && lp->stopped) {
            emu_log(EMU_LOG_WARN,
                    "%s: a reset at byte %zu never finished its snapshot; "
                    "dropping it and what follows (never acknowledged)",
                    path, off);
            if (truncate(path, (off_t)off) != 0)
                rc = emu_err_set(err, EMU_E_INTERNAL, NULL, "%s: truncate: %s", path,
                                 strerror(errno));
        }
        off = r.end;
    }
    unmap(&m);
    return rc;
}

static int gen_cmp(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

/* Generation numbers of snap-N.snap and wal-N.log files, sorted; leftovers
 * of unfinished snapshots (snap-N.tmp) are removed. */
static emu_rc scan_dir(const char *dir, persist_files *f, emu_err *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        return emu_err_set(err, EMU_E_INTERNAL, NULL, "%s: %s", dir, strerror(errno));
    while ((e = readdir(d))) {
        unsigned gen;
        char path[4096];
        const char *name = e->d_name;
        size_t n = strlen(name);
        if (n == 16 && sscanf(name, "snap-%6u", &gen) == 1 && !strcmp(name + 11, ".snap") &&
            f->n_snaps < PERSIST_MAX_FILES)
            f->snaps[f->n_snaps++] = gen;
        else if (n == 14 && sscanf(name, "wal-%6u", &gen) == 1 && !strcmp(name + 10, ".log") &&
                 f->n_logs < PERSIST_MAX_FILES)
            f->logs[f->n_logs++] = gen;
        else if (n == 15 && !strncmp(name, "snap-", 5) && !strcmp(name + 11, ".tmp")) {
            snprintf(path, sizeof path, "%s/%s", dir, name);
            unlink(path);
        }
    }
    closedir(d);
    qsort(f->snaps, f->n_snaps, sizeof *f->snaps, gen_cmp);
    qsort(f->logs, f->n_logs, sizeof *f->logs, gen_cmp);
    return EMU_OK;
}

/* Snapshots and logs older than the snapshot loaded are obsolete: a crash
 * came between a snapshot and their removal. */
static void remove_obsolete(const char *dir, const persist_files *f, unsigned snap)
{
    char path[4096];
    for (size_t i = 0; i < f->n_snaps && f->snaps[i] < snap; i++) {
        persist__path(path, sizeof path, dir, "snap", f->snaps[i]);
        unlink(path);
    }
    for (size_t i = 0; i < f->n_logs && f->logs[i] < snap; i++) {
        persist__path(path, sizeof path, dir, "wal", f->logs[i]);
        unlink(path);
    }
}

static emu_rc replay_logs(const char *dir, const persist_files *f, unsigned snap, log_pass *lp,
                          persist_loaded *out, emu_err *err)
{
    char path[4096];
    emu_rc rc = EMU_OK;
    for (size_t i = 0; !rc && i < f->n_logs; i++) {
        size_t bytes = 0;
        if (f->logs[i] < snap)
            continue;
        persist__path(path, sizeof path, dir, "wal", f->logs[i]);
        if (lp->stopped) {
            unlink(path); /* written after an unfinished reset */
            continue;
        }
        rc = replay_log(lp, path, i + 1 == f->n_logs, &bytes, err);
        out->log_bytes += bytes;
        out->n_logs++;
    }
    return rc;
}

emu_rc persist__load_dir(const char *dir, persist_loaded *out, emu_err *err)
{
    char path[4096];
    persist_files *f = emu_xcalloc(1, sizeof *f);
    persist_state st = {0};
    uint64_t snap_lsn = 0;
    unsigned snap = 0;
    emu_rc rc = scan_dir(dir, f, err);

    memset(out, 0, sizeof *out);
    if (!rc && !f->n_snaps && f->n_logs)
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "%s: logs without a snapshot (wal-%06u.log)",
                         dir, f->logs[0]);
    else if (!rc && !f->n_snaps)
        rc = EMU_E_NOT_FOUND; /* a first start */
    if (!rc) {
        snap = f->snaps[f->n_snaps - 1];
        persist__path(path, sizeof path, dir, "snap", snap);
        st.label = path;
        rc = load_snapshot(path, &st, &snap_lsn, &out->world_path, err);
    }
    log_pass lp = {&st, snap_lsn, snap_lsn + 1, false};
    if (!rc)
        rc = replay_logs(dir, f, snap, &lp, out, err);
    if (!rc) {
        remove_obsolete(dir, f, snap);
        out->world = st.world;
        out->clock_offset_ms = st.clock_offset_ms;
        out->next_lsn = lp.expect;
        out->snap_gen = snap;
        out->max_gen = snap;
        if (f->n_logs && f->logs[f->n_logs - 1] > snap)
            out->max_gen = f->logs[f->n_logs - 1];
    } else {
        world_free(st.world);
        free(out->world_path);
        out->world_path = NULL;
    }
    free(f);
    return rc;
}
