/* Start-up from a data dir: the newest snapshot, then every log after it
 * (see emu/persist.h). Blocking file I/O, before the loop runs.
 *
 * What counts as a torn tail, and is cut off with a warning: in the newest
 * log, a record cut short (its header, or the length it declares, runs past
 * the end of the file) with no valid record anywhere after it. Such bytes
 * were written by the flush that a crash interrupted, so no response
 * depended on them. A record that is all there but fails its checksum (or
 * declares an impossible length or type) is damage, even at the very end:
 * it was written whole, so its write may have been acknowledged. Damage,
 * like anything else wrong (a bad record followed by good ones, a bad
 * snapshot, a gap in the log sequence numbers), stops start-up with the
 * file, record number and byte offset. --data-dir-repair instead moves a
 * damaged log record and every byte logged after it to
 * DIR/damaged-<time>.log (fsynced before the log is cut) and starts
 * without them: nothing is cut without being kept. */
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
#include <time.h>
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
    const char *dir;
    bool repair;      /* --data-dir-repair: set damage aside, go on */
    int aside_fd;     /* the damaged-<time>.log written so far, or -1 */
    char aside[4096]; /* its path */
} log_pass;

static emu_rc write_all(int fd, const uint8_t *p, size_t n, const char *path, emu_err *err)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return emu_err_set(err, EMU_E_INTERNAL, NULL, "%s: write: %s", path,
                               w < 0 ? strerror(errno) : "no progress");
        p += w;
        n -= (size_t)w;
    }
    return EMU_OK;
}

/* Creates DIR/damaged-<UTC time>.log (never over an existing file: a
 * second repair in the same second gets a -2, -3... suffix) and makes its
 * name durable. */
static emu_rc open_aside(log_pass *lp, emu_err *err)
{
    char stamp[32];
    struct tm tm;
    time_t now = time(NULL);
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    for (int i = 1; i < 1000 && lp->aside_fd < 0; i++) {
        if (i == 1)
            snprintf(lp->aside, sizeof lp->aside, "%s/damaged-%s.log", lp->dir, stamp);
        else
            snprintf(lp->aside, sizeof lp->aside, "%s/damaged-%s-%d.log", lp->dir, stamp, i);
        lp->aside_fd = open(lp->aside, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (lp->aside_fd < 0 && errno != EEXIST)
            break;
    }
    if (lp->aside_fd < 0)
        return emu_err_set(err, EMU_E_INTERNAL, NULL, "%s: cannot create: %s", lp->aside,
                           strerror(errno));
    int dfd = open(lp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return EMU_OK;
}

/* Appends bytes to the damaged-<time>.log and makes them durable: only
 * then may the caller cut them from where they were. */
static emu_rc keep_aside(log_pass *lp, const uint8_t *p, size_t n, emu_err *err)
{
    emu_rc rc = lp->aside_fd < 0 ? open_aside(lp, err) : EMU_OK;
    if (!rc)
        rc = write_all(lp->aside_fd, p, n, lp->aside, err);
    if (!rc && fsync(lp->aside_fd) != 0)
        rc = emu_err_set(err, EMU_E_INTERNAL, NULL, "%s: fsync: %s", lp->aside, strerror(errno));
    return rc;
}

/* --data-dir-repair: the damaged record at `off` and the rest of the log go
 * to the damaged file, then the log is cut there (removed when nothing
 * before it is left). */
static emu_rc set_aside(log_pass *lp, const char *path, const uint8_t *p, size_t len, size_t off,
                        uint64_t rec, const char *why, emu_err *err)
{
    emu_rc rc = keep_aside(lp, p + off, len - off, err);
    if (rc)
        return rc;
    if ((off ? truncate(path, (off_t)off) : unlink(path)) != 0)
        return emu_err_set(err, EMU_E_INTERNAL, NULL, "%s: cannot cut the damaged tail: %s", path,
                           strerror(errno));
    emu_log(EMU_LOG_WARN,
            "%s: record %" PRIu64 " at byte %zu: %s: moved it and the rest of the log (%zu bytes) "
            "to %s (--data-dir-repair); the changes they held are not in the world",
            path, rec, off, why, len - off, lp->aside);
    return EMU_OK;
}

/* A whole log written after damage that was set aside: its records cannot
 * be replayed without the ones before them, so it joins the damaged file. */
static emu_rc log_aside(log_pass *lp, const char *path, emu_err *err)
{
    mapped m;
    emu_rc rc = map_file(path, &m, err);
    if (!rc && m.len)
        rc = keep_aside(lp, m.p, m.len, err);
    if (!rc && unlink(path) != 0)
        rc = emu_err_set(err, EMU_E_INTERNAL, NULL, "%s: %s", path, strerror(errno));
    if (!rc)
        emu_log(EMU_LOG_WARN, "%s: logged after the damage: moved whole (%zu bytes) to %s", path,
                m.len, lp->aside);
    unmap(&m);
    return rc;
}

/* What a load without --data-dir-repair says after a bad log record. */
static const char *damage_hint(const uint8_t *p, size_t len, size_t off)
{
    if (!persist__cut_short(p, len, off))
        return " (the record is all there, so its write may have been acknowledged: the log is "
               "damaged; start once with --data-dir-repair to move it and what follows to "
               "DIR/damaged-<time>.log and go on without them)";
    return " (valid records follow it or later logs exist, so it is not a torn last write; "
           "--data-dir-repair moves it and what follows to DIR/damaged-<time>.log)";
}

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
            if (last && persist__cut_short(m.p, m.len, off) &&
                !persist__valid_after(m.p, m.len, off + 1))
                rc = cut_tail(path, off, m.len, err);
            else if (lp->repair)
                rc = set_aside(lp, path, m.p, m.len, off, rec, why, err);
            else
                rc = located(err, path, rec, off, "%s%s", why, damage_hint(m.p, m.len, off));
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
        if (lp->aside_fd >= 0) {
            rc = log_aside(lp, path, err);
            continue;
        }
        rc = replay_log(lp, path, i + 1 == f->n_logs, &bytes, err);
        out->log_bytes += bytes;
        out->n_logs++;
    }
    return rc;
}

emu_rc persist__load_dir(const char *dir, bool repair, persist_loaded *out, emu_err *err)
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
    log_pass lp = {.st = &st,
                   .snap_lsn = snap_lsn,
                   .expect = snap_lsn + 1,
                   .dir = dir,
                   .repair = repair,
                   .aside_fd = -1};
    if (!rc)
        rc = replay_logs(dir, f, snap, &lp, out, err);
    if (lp.aside_fd >= 0)
        close(lp.aside_fd);
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
