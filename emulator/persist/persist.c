/* The data dir at run time: journaling calls, group commit, background
 * snapshots (see emu/persist.h).
 *
 * The loop appends records to `buf` while it runs calls; at the end of the
 * loop turn (a uv_check handle) the batch moves to `fbuf` and one threadpool
 * job writes it and fdatasyncs the log, so the loop never waits for the
 * disk. Answers of calls that wrote records wait in a FIFO and go out once
 * the flush that carried their last record is done. A snapshot is a
 * fork()ed child writing the world the parent had at fork time, while the
 * parent's new records go to a new log [redis BGSAVE]; a timer reaps the
 * child, then the logs and snapshots before it are deleted. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emu/clock.h"
#include "emu/faults.h"
#include "emu/limits.h"
#include "emu/log.h"
#include "emu/persist.h"
#include "persist_int.h"

#define REAP_INTERVAL_MS 5

typedef struct held {
    emu_exchange *x;
    uint64_t lsn;  /* durable_lsn must reach it */
    uint64_t snap; /* snaps_done must reach it (0 = no snapshot wait) */
    unsigned delay_ms;
} held;

struct emu_persist {
    char *dir;
    char *world_path; /* of the first start, recorded in snapshots */
    int lock_fd, dir_fd;
    uint64_t snapshot_bytes;
    emu_server *server;
    uv_loop_t *loop;
    uv_check_t check;
    uv_timer_t reaper;
    bool started, stopping, reaper_closed;
    int ots_section;

    /* The log. The loop appends to buf; a flush owns fbuf and hbuf (the HEAD
     * of a new log file) on the threadpool until flush_done. */
    emu_buf buf, fbuf, hbuf;
    uint64_t next_lsn;      /* of the next record appended */
    uint64_t buf_first_lsn; /* of the first record in buf */
    uint64_t flush_lsn;     /* last record of the batch in flight */
    uint64_t durable_lsn;
    uint64_t call_mark; /* next_lsn when the previous call was journaled */
    uint64_t log_bytes; /* appended since the last snapshot started */
    unsigned log_gen;   /* the log file new batches go to */
    unsigned want_gen;  /* the log file of the batch in flight */
    unsigned open_gen;  /* the log file fd is open on (worker's) */
    int fd;
    int work_err; /* errno of a failed flush (worker's) */
    uv_work_t work;
    bool flushing;

    /* Snapshots: generations count up; sequence numbers count snapshots. */
    unsigned max_gen;
    unsigned snap_gen; /* the newest complete snapshot */
    pid_t child;
    unsigned child_gen;
    uint64_t snaps_started, snaps_done;
    bool snap_wanted;

    /* Answers waiting for the disk, in call order. */
    held *q;
    size_t q_head, q_len, q_cap;
};

/* A log or snapshot that cannot be written leaves nothing safe to answer
 * with: stop rather than acknowledge a change that is not on disk. */
static void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fatal(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    emu_log(EMU_LOG_ERROR, "ERR persist: %s; stopping", msg);
    _exit(1);
}

/* ---- Appending records ------------------------------------------------------ */

static size_t record_begin(emu_persist *p)
{
    if (!p->buf.len)
        p->buf_first_lsn = p->next_lsn;
    p->next_lsn++;
    return p->buf.len;
}

static void record_end(emu_persist *p, size_t at)
{
    p->log_bytes += p->buf.len - at;
}

static void append_meta(emu_persist *p)
{
    size_t at = record_begin(p);
    persist__put_meta(&p->buf, p->server->world, emu_clock_offset_ms());
    record_end(p, at);
}

static void append_session(emu_persist *p, const world_session *s)
{
    size_t at = record_begin(p);
    persist__put_session(&p->buf, s);
    record_end(p, at);
}

static void append_swap(emu_persist *p)
{
    size_t at = record_begin(p);
    persist__frame(&p->buf, PERSIST_SWAP, NULL, 0);
    record_end(p, at);
}

/* Only tables of the live world are journaled (not a checkpoint's copy). */
static bool table_is_live(const emu_persist *p, const ots_table_t *t)
{
    const char *account = ots_table_account_id(t);
    const char *instance = ots_table_instance_name(t);
    if (!account || !instance || p->ots_section < 0)
        return false;
    const world_account *a = world_account_find(p->server->world, account);
    ots_instance_t *in = a ? ots_section_instance(a->sections[p->ots_section], instance) : NULL;
    return in && ots_store_table_find(in, ots_table_schema_of(t)->name) == t;
}

static void on_row(void *ud, const ots_table_t *t, const uint8_t *image, size_t len)
{
    emu_persist *p = ud;
    if (!table_is_live(p, t))
        return;
    size_t at = record_begin(p);
    size_t rows = persist__rows_open(&p->buf, t);
    persist__rows_add(&p->buf, image, len);
    persist__rows_close(&p->buf, rows, 1);
    record_end(p, at);
}

/* ---- Group commit ------------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return errno;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Threadpool: plain blocking calls on what the loop handed over. A new log
 * file's directory entry is made durable too. */
static void flush_work(uv_work_t *req)
{
    emu_persist *p = req->data;
    bool fresh = p->open_gen != p->want_gen;
    p->work_err = 0;
    if (fresh) {
        char path[4096];
        if (p->fd >= 0)
            close(p->fd);
        persist__path(path, sizeof path, p->dir, "wal", p->want_gen);
        p->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
        p->open_gen = p->fd >= 0 ? p->want_gen : 0;
        if (p->fd < 0 || (p->work_err = write_all(p->fd, p->hbuf.p, p->hbuf.len))) {
            p->work_err = p->work_err ? p->work_err : errno;
            return;
        }
    }
    if ((p->work_err = write_all(p->fd, p->fbuf.p, p->fbuf.len)))
        return;
    if (fdatasync(p->fd) != 0 || (fresh && fsync(p->dir_fd) != 0))
        p->work_err = errno;
}

static void release(emu_persist *p)
{
    while (p->q_len) {
        held h = p->q[p->q_head];
        if (h.lsn > p->durable_lsn || h.snap > p->snaps_done)
            break;
        p->q_head = (p->q_head + 1) % p->q_cap;
        p->q_len--;
        if (h.delay_ms && p->server->fault_hooks)
            p->server->fault_hooks->delay(p->server, h.x, h.delay_ms);
        else
            emu_net_respond(h.x);
    }
}

static void snapshot_start(emu_persist *p);

static void maybe_snapshot(emu_persist *p)
{
    if (!p->child && !p->stopping && (p->snap_wanted || p->log_bytes >= p->snapshot_bytes))
        snapshot_start(p);
}

static void flush_start(emu_persist *p);

static void flush_done(uv_work_t *req, int status)
{
    emu_persist *p = req->data;
    (void)status;
    p->flushing = false;
    if (p->work_err)
        fatal("%s/wal-%06u.log: %s", p->dir, p->want_gen, strerror(p->work_err));
    p->durable_lsn = p->flush_lsn;
    emu_buf_reset(&p->fbuf);
    release(p);
    flush_start(p); /* what arrived meanwhile */
    maybe_snapshot(p);
}

static void flush_start(emu_persist *p)
{
    if (p->flushing || !p->buf.len)
        return;
    emu_buf batch = p->buf;
    p->buf = p->fbuf;
    p->fbuf = batch;
    p->flush_lsn = p->next_lsn - 1;
    p->want_gen = p->log_gen;
    if (p->want_gen != p->open_gen) {
        emu_buf_reset(&p->hbuf);
        persist__put_head(&p->hbuf, "acsemu-wal", p->buf_first_lsn, NULL);
    }
    p->flushing = true;
    p->work.data = p;
    uv_queue_work(p->loop, &p->work, flush_work, flush_done);
}

static void on_check(uv_check_t *h)
{
    flush_start(h->data);
}

/* ---- Snapshots ------------------------------------------------------------------- */

static void snapshot_child(emu_persist *p, unsigned gen, uint64_t lsn, pid_t parent)
{
    emu_err err = {0};
    /* The parent alone holds the lock; a child outliving a killed parent
     * must not write into a directory a new process owns. */
    close(p->lock_fd);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    if (persist__snapshot_write(p->dir, gen, lsn, p->server->world, emu_clock_offset_ms(),
                                p->world_path, &err)) {
        emu_log(EMU_LOG_ERROR, "ERR persist: %s", err.msg);
        _exit(1);
    }
    _exit(0);
}

static void on_unlinked(uv_fs_t *req)
{
    uv_fs_req_cleanup(req);
    free(req);
}

static void remove_file(emu_persist *p, const char *kind, unsigned gen)
{
    char path[4096];
    uv_fs_t *req = emu_xmalloc(sizeof *req);
    persist__path(path, sizeof path, p->dir, kind, gen);
    if (uv_fs_unlink(p->loop, req, path, on_unlinked) != 0)
        free(req);
}

/* Everything before generation gen is in snapshot gen. Generations before
 * it with no file are harmless to unlink. */
static void remove_before(emu_persist *p, unsigned gen, unsigned prev_gen)
{
    for (unsigned g = prev_gen; g < gen; g++) {
        remove_file(p, "snap", g);
        remove_file(p, "wal", g);
    }
}

static void on_reap(uv_timer_t *h)
{
    emu_persist *p = h->data;
    int status = 0;
    pid_t r = waitpid(p->child, &status, WNOHANG);
    if (r == 0)
        return;
    uv_timer_stop(&p->reaper);
    if (r != p->child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fatal("snapshot %u failed (status %d)", p->child_gen, status);
    p->child = 0;
    p->snaps_done++;
    remove_before(p, p->child_gen, p->snap_gen);
    p->snap_gen = p->child_gen;
    release(p);
    if (p->stopping && !p->reaper_closed) {
        p->reaper_closed = true;
        uv_close((uv_handle_t *)&p->reaper, NULL);
    }
    maybe_snapshot(p);
}

/* Forks the snapshot child. New records go to a new log from now on. */
static void snapshot_start(emu_persist *p)
{
    unsigned gen = ++p->max_gen;
    uint64_t lsn = p->next_lsn - 1;
    pid_t parent = getpid();
    p->log_gen = gen;
    p->log_bytes = 0;
    p->snap_wanted = false;
    pid_t pid = fork();
    if (pid == 0)
        snapshot_child(p, gen, lsn, parent);
    if (pid < 0)
        fatal("fork for snapshot %u: %s", gen, strerror(errno));
    p->child = pid;
    p->child_gen = gen;
    p->snaps_started++;
    uv_timer_start(&p->reaper, on_reap, REAP_INTERVAL_MS, REAP_INTERVAL_MS);
}

/* A whole-world replacement: the sequence number of a snapshot that starts
 * after it (now, or once the one being written is done). */
static uint64_t snapshot_after_now(emu_persist *p)
{
    if (p->child) {
        p->snap_wanted = true;
        return p->snaps_started + 1;
    }
    snapshot_start(p);
    return p->snaps_started;
}

/* After the loop: the same as remove_before, blocking. */
static void remove_before_sync(emu_persist *p, unsigned gen)
{
    char path[4096];
    for (unsigned g = p->snap_gen; g < gen; g++) {
        persist__path(path, sizeof path, p->dir, "snap", g);
        unlink(path);
        persist__path(path, sizeof path, p->dir, "wal", g);
        unlink(path);
    }
}

/* ---- The dispatch hook -------------------------------------------------------------- */

/* Tablestore writes whose changes are rows only (a local transaction's
 * start and abort change none; its commit writes rows). */
static bool is_row_write(const char *action)
{
    return !strcmp(action, "PutRow") || !strcmp(action, "UpdateRow") ||
           !strcmp(action, "DeleteRow") || !strcmp(action, "BatchWriteRow") ||
           !strcmp(action, "StartLocalTransaction") || !strcmp(action, "CommitTransaction") ||
           !strcmp(action, "AbortTransaction");
}

/* Appends what a successful call changed, apart from rows (the store's
 * journal writes those as they change). Returns the snapshot to wait for,
 * 0 = none. */
static uint64_t journal_call(emu_persist *p, const emu_call *call)
{
    const emu_server *s = call->server;
    const char *name = call->action->name;
    if (call->svc == s->admin) {
        if (!strcmp(name, "reset") || !strcmp(name, "checkpoint_restore")) {
            append_swap(p);
            return snapshot_after_now(p);
        }
        if (!strcmp(name, "clock_set"))
            append_meta(p);
        return 0; /* checkpoints themselves live in memory only */
    }
    if (!(call->action->flags & EMU_ACT_WRITE) && !call->changed_world)
        return 0;
    if (!strcmp(call->svc->name, "sts")) {
        /* AssumeRole: world_session_add appends, so the new session is last. */
        size_t n = world_session_count(s->world);
        if (n)
            append_session(p, world_session_at(s->world, n - 1));
        return 0;
    }
    if (call->svc != s->ots || !is_row_write(name))
        append_meta(p);
    return 0;
}

static void enqueue(emu_persist *p, const held *h)
{
    if (p->q_len == p->q_cap) {
        size_t cap = p->q_cap ? p->q_cap * 2 : 64;
        held *q = emu_xmalloc(cap * sizeof *q);
        for (size_t i = 0; i < p->q_len; i++)
            q[i] = p->q[(p->q_head + i) % p->q_cap];
        free(p->q);
        p->q = q;
        p->q_head = 0;
        p->q_cap = cap;
    }
    p->q[(p->q_head + p->q_len++) % p->q_cap] = *h;
}

static bool persist_hold(emu_call *call, emu_exchange *x, emu_rc rc, unsigned delay_ms)
{
    emu_persist *p = call->server->persist;
    uint64_t snap = 0;
    if (rc == EMU_OK && call->svc && call->action)
        snap = journal_call(p, call);
    /* An exchange built in-process (odps_read.c) has no connection: its
     * caller reads the answer at once, and the outer call, which sees these
     * records as its own, waits for them. */
    if (!x->conn)
        return false;
    bool wrote = p->next_lsn != p->call_mark;
    p->call_mark = p->next_lsn;
    if (!wrote && !snap)
        return false; /* nothing to wait for: reads are never held */
    held h = {x, p->next_lsn - 1, snap, delay_ms};
    enqueue(p, &h);
    return true;
}

static const emu_persist_hooks persist_hooks = {.hold = persist_hold};

/* ---- Opening, starting, stopping ------------------------------------------------------ */

static emu_rc lock_dir(emu_persist *p, emu_err *err)
{
    char path[4096];
    if (mkdir(p->dir, 0700) != 0 && errno != EEXIST)
        return emu_err_set(err, EMU_E_INTERNAL, NULL, "--data-dir %s: %s", p->dir, strerror(errno));
    snprintf(path, sizeof path, "%s/LOCK", p->dir);
    p->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (p->lock_fd < 0)
        return emu_err_set(err, EMU_E_INTERNAL, NULL, "--data-dir %s: %s", path, strerror(errno));
    if (flock(p->lock_fd, LOCK_EX | LOCK_NB) != 0)
        return emu_err_set(err, EMU_E_CONFLICT, NULL,
                           "--data-dir %s is in use by another acsemu process", p->dir);
    p->dir_fd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (p->dir_fd < 0)
        return emu_err_set(err, EMU_E_INTERNAL, NULL, "--data-dir %s: %s", p->dir, strerror(errno));
    return EMU_OK;
}

/* First start: the world file, and its snapshot as generation 1. */
static emu_rc first_start(emu_persist *p, world_t **world, emu_err *err)
{
    emu_rc rc = world_load_file(p->world_path, world, err);
    if (!rc)
        rc = persist__snapshot_write(p->dir, 1, 0, *world, emu_clock_offset_ms(), p->world_path,
                                     err);
    if (rc)
        return rc;
    p->max_gen = p->log_gen = 1;
    p->next_lsn = 1;
    emu_log(EMU_LOG_INFO, "data dir %s: first start, from %s", p->dir, p->world_path);
    return EMU_OK;
}

static void resume(emu_persist *p, persist_loaded *l, const char *world_arg)
{
    emu_clock_set_offset_ms(l->clock_offset_ms);
    if (l->world_path) {
        free(p->world_path);
        p->world_path = l->world_path;
    }
    p->next_lsn = l->next_lsn;
    p->max_gen = l->max_gen;
    p->log_gen = ++p->max_gen; /* a fresh log: the old ones stay as they are */
    p->log_bytes = l->log_bytes;
    p->snap_gen = l->snap_gen;
    emu_log(EMU_LOG_INFO,
            "data dir %s: state of snapshot %u and %u log(s), %llu records (first started from "
            "%s); the world file %s is not loaded",
            p->dir, l->snap_gen, l->n_logs, (unsigned long long)(l->next_lsn - 1), p->world_path,
            world_arg);
}

emu_persist *emu_persist_open(const emu_persist_config *cfg, world_t **world, bool *from_dir,
                              emu_err *err)
{
    emu_persist *p = emu_xcalloc(1, sizeof *p);
    persist_loaded l;
    p->dir = emu_xstrdup(cfg->dir);
    p->world_path = emu_xstrdup(cfg->world_path);
    p->lock_fd = p->dir_fd = p->fd = -1;
    p->snapshot_bytes = cfg->snapshot_bytes ? cfg->snapshot_bytes : EMU_PERSIST_SNAPSHOT_BYTES;
    emu_buf_init(&p->buf, SIZE_MAX - 1);
    emu_buf_init(&p->fbuf, SIZE_MAX - 1);
    emu_buf_init(&p->hbuf, SIZE_MAX - 1);
    *world = NULL;
    *from_dir = false;
    emu_rc rc = lock_dir(p, err);
    if (!rc)
        rc = persist__load_dir(p->dir, cfg->repair, &l, err);
    if (rc == EMU_E_NOT_FOUND) {
        p->snap_gen = 1;
        rc = first_start(p, world, err);
    } else if (!rc) {
        *world = l.world;
        *from_dir = true;
        resume(p, &l, cfg->world_path);
    }
    if (rc) {
        emu_persist_free(p);
        return NULL;
    }
    p->durable_lsn = p->next_lsn - 1;
    p->call_mark = p->next_lsn;
    return p;
}

void emu_persist_start(emu_persist *p, emu_server *s, uv_loop_t *loop)
{
    p->server = s;
    p->loop = loop;
    p->ots_section = world_section_index(ots_world_section.name);
    s->persist = p;
    s->persist_hooks = &persist_hooks;
    ots_store_set_journal(on_row, p);
    uv_check_init(loop, &p->check);
    p->check.data = p;
    uv_check_start(&p->check, on_check);
    uv_timer_init(loop, &p->reaper);
    p->reaper.data = p;
    p->started = true;
    maybe_snapshot(p); /* a long replay is worth folding into a snapshot */
}

void emu_persist_stop(emu_persist *p)
{
    if (!p || !p->started || p->stopping)
        return;
    p->stopping = true;
    ots_store_set_journal(NULL, NULL);
    uv_close((uv_handle_t *)&p->check, NULL);
    if (!p->child) {
        p->reaper_closed = true;
        uv_close((uv_handle_t *)&p->reaper, NULL);
    }
}

void emu_persist_free(emu_persist *p)
{
    if (!p)
        return;
    if (p->child) {
        int status = 0;
        if (waitpid(p->child, &status, 0) == p->child && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0)
            remove_before_sync(p, p->child_gen);
    }
    if (p->fd >= 0)
        close(p->fd);
    if (p->dir_fd >= 0)
        close(p->dir_fd);
    if (p->lock_fd >= 0)
        close(p->lock_fd);
    emu_buf_dispose(&p->buf);
    emu_buf_dispose(&p->fbuf);
    emu_buf_dispose(&p->hbuf);
    free(p->q);
    free(p->dir);
    free(p->world_path);
    free(p);
}
