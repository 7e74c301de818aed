/* libuv listener and connections.
 *
 * One connection = one TCP handle, one timer and one request assembler.
 * A connection holds at most one request with the handler at a time; bytes
 * that arrive meanwhile (pipelining) wait in `pending` and are parsed after
 * the response went out, so responses leave in request order.
 *
 * Timer phases (limits.h): idle between requests (close quietly), header
 * (first byte to end of headers: 408), body (end of headers to end of
 * body: 408). The header timer is not re-armed per chunk, so a client that
 * dribbles one byte a second cannot keep a connection forever.
 *
 * TLS: the first byte of a connection decides. 0x16 (a handshake record)
 * gives the connection a net_tls_conn; from then on ciphertext from the
 * socket goes into its read BIO and is decrypted into `pending` by
 * tls_pump (only while pending has room, so a fast sender is throttled by
 * TCP as with plain HTTP), and every write is encrypted before uv_write.
 * The handshake runs under the header timeout; a failed handshake closes
 * only that connection.
 *
 * Back-pressure: answers that do not fit in the socket buffer wait in
 * libuv's write queue (`unsent` bytes, `writes` answers). Above the caps of
 * limits.h the connection is *held*: it stops reading and drain() parses
 * nothing more (pipelined requests wait unparsed in `pending`, TLS records
 * undecrypted in the read BIO), so a client that pipelines thousands of
 * requests and never reads costs a bounded amount of memory and no loop
 * time. Completed writes release the hold at half the caps. A held
 * connection whose client reads nothing for EMU_SEND_TIMEOUT_MS is closed.
 *
 * Connection cap (--max-connections): connections with no request in
 * progress and nothing left to send sit on an LRU list in the order they
 * became idle (intrusive, O(1) per change). At the cap a new connection
 * closes the longest-idle one and takes its place, so idle keep-alive
 * connections can never lock out a new client; slow header senders are
 * not idle and are cut by the header timeout instead.
 *
 * Body budget (--max-buffered-bytes): `buffered` counts request body bytes
 * held on all connections (a Content-Length reserved whole when the
 * headers end). Past the budget the parser drops the body and the request
 * reaches the handler marked over_budget. A connection gives its share
 * back when its answer is written or when it is freed. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "emu/clock.h"
#include "emu/limits.h"
#include "emu/log.h"
#include "net_int.h"

typedef struct net_conn net_conn;

struct emu_net {
    uv_loop_t *loop;
    uv_tcp_t server;
    uv_timer_t grace;
    emu_net_config cfg;
    int port;
    net_conn *conns;                 /* doubly linked list of open connections */
    net_conn *idle_head, *idle_tail; /* idle connections, longest idle first */
    unsigned max_conns;
    size_t unsent;                   /* bytes queued in uv_write on all connections */
    uint64_t buffered, max_buffered; /* request body bytes held, and the budget */
    bool shutting_down;
    int handles_open; /* server + grace timer */
    void (*done)(void *ud);
    void *done_ud;
    emu_net_stats stats;
};

typedef enum conn_phase { PH_IDLE, PH_HEADERS, PH_BODY, PH_BUSY, PH_SEND } conn_phase;

struct net_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    emu_net *net;
    net_parser parser;
    emu_buf pending;
    conn_phase phase;
    uint64_t deadline; /* uv_now() when the phase times out; 0 = never */
    uint64_t due;      /* when the timer fires; 0 = not running */
    bool busy;         /* a request is with the handler */
    bool draining;     /* inside drain(): respond() must not recurse */
    bool closing;
    bool close_after_write;
    bool dead;         /* handles closed while a request was with the handler */
    int handles;       /* tcp + timer still open */
    int writes;        /* writes in flight (one per answer) */
    size_t unsent;     /* bytes of those writes */
    bool held;         /* reading and parsing stopped on unsent answers */
    bool sniffed;      /* first byte seen: TLS or not decided */
    net_tls_conn *tls; /* NULL for plain HTTP */
    char peer[64];
    net_conn *prev, *next;
    uint64_t charged; /* body bytes of the current request in n->buffered */
    bool idle;        /* on the idle list */
    net_conn *idle_prev, *idle_next;
};

typedef struct net_write {
    uv_write_t req;
    net_conn *conn;
    char *data;
    size_t len;
} net_write;

static void conn_close(net_conn *c);
static void on_timer(uv_timer_t *t);
static void on_server_closed(uv_handle_t *h);
static void drain(net_conn *c);
static void close_after_writes(net_conn *c);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void conn_release(net_conn *c)
{
    c->net->buffered -= c->charged;
    c->charged = 0;
}

static void conn_free(net_conn *c)
{
    conn_release(c);
    net__parser_dispose(&c->parser);
    emu_buf_dispose(&c->pending);
    net__tls_free(c->tls);
    free(c);
}

static uint64_t phase_ms(const net_conn *c, conn_phase ph)
{
    const emu_net_config *cfg = &c->net->cfg;
    switch (ph) {
    case PH_IDLE:
        return cfg->idle_timeout_ms ? cfg->idle_timeout_ms : EMU_IDLE_TIMEOUT_MS;
    case PH_HEADERS:
        return cfg->header_timeout_ms ? cfg->header_timeout_ms : EMU_HEADER_TIMEOUT_MS;
    case PH_BODY:
        return cfg->body_timeout_ms ? cfg->body_timeout_ms : EMU_BODY_TIMEOUT_MS;
    case PH_SEND:
        return EMU_SEND_TIMEOUT_MS;
    case PH_BUSY:
        break;
    }
    return 0;
}

/* Phases change several times per request, and a uv_timer_start/stop pair
 * each time costs more than parsing the request line. So the phase only
 * moves a deadline; the timer runs lazily and, when it fires early,
 * re-arms for what is left [nginx's lazy timer updates]. It is never
 * later than the deadline, and never further out than the header timeout,
 * so the common IDLE -> HEADERS step (a shorter timeout starting later)
 * needs no restart. */
static void timer_schedule(net_conn *c, uint64_t now)
{
    uint64_t wait = c->deadline - now, cap = phase_ms(c, PH_HEADERS);
    if (wait > cap)
        wait = cap;
    c->due = now + wait;
    uv_timer_start(&c->timer, on_timer, wait, 0);
}

/* Keeps the idle list in step with the connection: on it exactly while
 * it waits for a new request with nothing to send. Appending at the tail
 * keeps the list ordered by the time each connection became idle. */
static void idle_update(net_conn *c)
{
    emu_net *n = c->net;
    bool idle = c->phase == PH_IDLE && !c->writes && !c->closing && !c->close_after_write &&
                !c->parser.in_message;
    if (idle == c->idle)
        return;
    c->idle = idle;
    if (idle) {
        c->idle_prev = n->idle_tail;
        c->idle_next = NULL;
        if (n->idle_tail)
            n->idle_tail->idle_next = c;
        else
            n->idle_head = c;
        n->idle_tail = c;
        return;
    }
    if (c->idle_prev)
        c->idle_prev->idle_next = c->idle_next;
    else
        n->idle_head = c->idle_next;
    if (c->idle_next)
        c->idle_next->idle_prev = c->idle_prev;
    else
        n->idle_tail = c->idle_prev;
    c->idle_prev = c->idle_next = NULL;
}

static void timer_arm(net_conn *c, conn_phase ph)
{
    uint64_t now = uv_now(c->net->loop);
    c->phase = ph;
    if (c->idle || ph == PH_IDLE)
        idle_update(c);
    if (ph == PH_BUSY) {
        c->deadline = 0; /* a firing timer finds nothing to do */
        return;
    }
    c->deadline = now + phase_ms(c, ph);
    if (!c->due || c->due > c->deadline)
        timer_schedule(c, now);
}

/* Too much unsent to take another request: over a per-connection cap, or
 * holding something while all connections together are over theirs. */
static bool out_full(const net_conn *c)
{
    return c->unsent > EMU_MAX_UNSENT_BYTES || c->writes >= EMU_MAX_UNSENT_ANSWERS ||
           (c->writes && c->net->unsent > EMU_MAX_UNSENT_TOTAL_BYTES);
}

/* Drained enough to resume a held connection (hysteresis: half the caps,
 * so a held pipeline resumes in batches, not one answer at a time). */
static bool out_low(const net_conn *c)
{
    return c->unsent <= EMU_MAX_UNSENT_BYTES / 2 && c->writes <= EMU_MAX_UNSENT_ANSWERS / 2 &&
           (!c->writes || c->net->unsent <= EMU_MAX_UNSENT_TOTAL_BYTES);
}

static void on_write_done(uv_write_t *req, int status)
{
    net_write *w = (net_write *)req;
    net_conn *c = w->conn;
    (void)status;
    c->unsent -= w->len;
    c->net->unsent -= w->len;
    free(w->data);
    free(w);
    c->writes--;
    if (c->close_after_write && c->writes == 0) {
        conn_close(c);
    } else if (c->writes == 0 && c->phase == PH_IDLE) {
        idle_update(c); /* the last answer went out: now idle */
    } else if (c->held && !c->closing && !c->close_after_write) {
        if (out_low(c)) {
            c->held = false;
            timer_arm(c, PH_IDLE); /* the parser moves it on from here */
            if (!c->draining)
                drain(c);
        } else {
            timer_arm(c, PH_SEND); /* the client reads: give it more time */
        }
    }
}

/* Sends `data` (malloc'd; ownership passes) as is. When nothing is queued
 * it is first written synchronously (uv_try_write): most responses fit in
 * the socket buffer, and that skips the write request, its callback and
 * libuv's POLLOUT bookkeeping (an epoll_ctl per response). */
static void conn_write_raw(net_conn *c, char *data, size_t len)
{
    if (c->writes == 0 && len) {
        uv_buf_t ub = uv_buf_init(data, (unsigned)len);
        int n = uv_try_write((uv_stream_t *)&c->tcp, &ub, 1);
        if (n == (int)len) {
            free(data);
            return;
        }
        if (n > 0) {
            memmove(data, data + n, len - (size_t)n);
            len -= (size_t)n;
        } else if (n != UV_EAGAIN) {
            free(data);
            conn_close(c);
            return;
        }
    }
    if (!len) {
        free(data);
        return;
    }
    net_write *w = emu_xmalloc(sizeof *w);
    w->conn = c;
    w->data = data;
    w->len = len;
    uv_buf_t ub = uv_buf_init(w->data, (unsigned)len);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &ub, 1, on_write_done) != 0) {
        free(w->data);
        free(w);
        conn_close(c);
        return;
    }
    c->writes++;
    c->unsent += len;
    c->net->unsent += len;
    if (c->idle)
        idle_update(c); /* a TLS record while idle: not idle until sent */
}

/* Sends whatever ciphertext OpenSSL produced (handshake, records, alerts). */
static void tls_flush(net_conn *c)
{
    size_t len;
    char *data = net__tls_take_output(c->tls, &len);
    if (data)
        conn_write_raw(c, data, len);
}

static void conn_write(net_conn *c, emu_buf *b)
{
    size_t len;
    char *data = emu_buf_take(b, &len);
    if (!c->tls) {
        conn_write_raw(c, data, len);
        return;
    }
    int rc = net__tls_write(c->tls, data, len);
    free(data);
    if (rc != 0) {
        conn_close(c);
        return;
    }
    tls_flush(c);
}

/* Calls the shutdown callback once, when the listener, the grace timer and
 * every connection are closed. */
static void maybe_done(emu_net *n)
{
    if (n->shutting_down && !n->conns && n->handles_open == 0 && n->done) {
        void (*done)(void *) = n->done;
        n->done = NULL;
        done(n->done_ud);
    }
}

static void on_handle_closed(uv_handle_t *h)
{
    net_conn *c = h->data;
    if (--c->handles > 0)
        return;
    emu_net *n = c->net;
    if (c->busy) {
        /* The handler still holds the exchange (a delayed response): free
         * in emu_net_respond. */
        c->dead = true;
    } else {
        conn_free(c);
    }
    if (n->shutting_down && !n->conns) {
        if (!uv_is_closing((uv_handle_t *)&n->grace))
            uv_close((uv_handle_t *)&n->grace, on_server_closed);
        else
            maybe_done(n);
    }
}

static void conn_close(net_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    emu_net *n = c->net;
    idle_update(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        n->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    n->stats.connections_open--;
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    /* A request still with the handler keeps the connection memory alive
     * until it responds (on_handle_closed runs later, after this tick), and
     * emu_net_respond on a closing connection only frees. */
}

/* --- assembler callbacks ------------------------------------------------- */

static void on_first_byte(net_parser *p)
{
    timer_arm(p->owner, PH_HEADERS);
}

static void on_headers_done(net_parser *p)
{
    timer_arm(p->owner, PH_BODY);
}

static bool on_charge(net_parser *p, size_t len)
{
    net_conn *c = p->owner;
    emu_net *n = c->net;
    if (n->buffered + len > n->max_buffered) {
        n->stats.bodies_over_budget++;
        return false;
    }
    n->buffered += len;
    c->charged += len;
    return true;
}

static void on_release(net_parser *p)
{
    conn_release(p->owner);
}

static void on_request(net_parser *p)
{
    net_conn *c = p->owner;
    c->busy = true;
    timer_arm(c, PH_BUSY);
}

static void on_parse_error(net_parser *p, int status, const char *why)
{
    net_conn *c = p->owner;
    emu_buf out;
    emu_http_resp resp;

    c->net->stats.bad_requests++;
    emu_log(EMU_LOG_INFO, "ERR HTTP%d %s (connection from %s closed)", status, why, c->peer);
    if (c->net->cfg.reject && net__parser_header_view(p)) {
        emu_exchange *x = &p->x;
        x->req.tls = c->tls != NULL;
        x->req.peer_ip = c->peer;
        x->conn = c;
        x->start_us = emu_clock_mono_us();
        x->resp.status = 0;
        x->resp.n_headers = 0;
        emu_buf_reset(&x->resp.body);
        if (c->net->cfg.reject(c->net->cfg.ud, x, status, why)) {
            emu_buf_init(&out, EMU_MAX_BODY_BYTES);
            net__serialize(&x->resp, false, &out);
            conn_write(c, &out);
            emu_buf_dispose(&out);
            close_after_writes(c);
            return;
        }
    }
    memset(&resp, 0, sizeof resp);
    emu_buf_init(&resp.body, 4096);
    resp.status = status;
    emu_http_resp_header(&resp, p->x.req.arena, "Content-Type", "text/plain; charset=utf-8");
    emu_buf_printf(&resp.body, "%d %s: %s\n", status, emu_http_reason(status), why);
    emu_buf_init(&out, EMU_MAX_BODY_BYTES);
    net__serialize(&resp, false, &out);
    emu_buf_dispose(&resp.body);
    conn_write(c, &out);
    emu_buf_dispose(&out);
    close_after_writes(c);
}

/* Closes the connection once everything written so far has gone out. */
static void close_after_writes(net_conn *c)
{
    c->close_after_write = true;
    uv_read_stop((uv_stream_t *)&c->tcp);
    if (c->writes == 0)
        conn_close(c);
}

static const net_parser_ops conn_ops = {
    .on_request = on_request,
    .on_error = on_parse_error,
    .on_first_byte = on_first_byte,
    .on_headers_done = on_headers_done,
    .charge = on_charge,
    .release = on_release,
};

/* --- request flow ------------------------------------------------------- */

static void dispatch_request(net_conn *c)
{
    emu_exchange *x = &c->parser.x;
    x->req.tls = c->tls != NULL;
    x->req.peer_ip = c->peer;
    x->conn = c;
    /* Only the access log reads it (a clock read per request otherwise). */
    x->start_us = emu_log_enabled(EMU_LOG_INFO) ? emu_clock_mono_us() : 0;
    c->net->stats.requests_total++;
    c->net->cfg.handler(c->net->cfg.ud, x);
}

/* Decrypts buffered ciphertext into `pending` while it has room. Returns
 * false when the TLS session failed or ended (the connection is then
 * closing). */
static bool tls_pump(net_conn *c)
{
    const char *why = NULL;
    int r;
    do {
        size_t room = c->pending.max - c->pending.len;
        r = net__tls_read(c->tls, &c->pending, room, &why);
    } while (r > 0);
    tls_flush(c);
    if (r == 0)
        return true;
    if (r == -1)
        emu_log(EMU_LOG_INFO, "ERR TLS %s %s (connection from %s closed)",
                net__tls_handshake_done(c->tls) ? "error" : "handshake failed", why, c->peer);
    /* Let the alert (if any) go out, then close this connection only. */
    c->close_after_write = true;
    uv_read_stop((uv_stream_t *)&c->tcp);
    if (c->writes == 0)
        conn_close(c);
    return false;
}

/* Parses what is pending, one request at a time, while no request is with
 * the handler and the client keeps up with the answers. Holding happens
 * between requests only: a request begun is finished (one more answer at
 * most), so the slow-client timeouts never run while acsemu stopped
 * reading. */
static void drain(net_conn *c)
{
    c->draining = true;
    while (!c->closing && !c->busy && !c->parser.failed) {
        if (!c->parser.in_message && !c->close_after_write && out_full(c)) {
            c->held = true;
            timer_arm(c, PH_SEND);
            break;
        }
        if (c->tls && !c->close_after_write && !tls_pump(c))
            break;
        if (!c->pending.len)
            break;
        size_t used = net__parser_feed(&c->parser, c->pending.p, c->pending.len);
        emu_buf_consume(&c->pending, used);
        if (c->busy)
            dispatch_request(c);
        else if (used == 0)
            break;
    }
    c->draining = false;
    if (c->held) {
        uv_read_stop((uv_stream_t *)&c->tcp);
    } else if (!c->closing && !c->busy && !c->parser.failed && !c->close_after_write) {
        /* Room for more input again (reading may have stopped on a backlog;
         * starting an active stream again costs nothing in libuv). */
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    }
}

void emu_net_respond(emu_exchange *x)
{
    net_conn *c = x->conn;
    emu_buf out;
    bool keep;

    if (!c)
        return;
    if (c->closing) {
        c->busy = false;
        if (c->dead)
            conn_free(c);
        return;
    }
    keep = c->parser.keep_alive && !x->resp.close && !c->net->shutting_down;
    if (x->resp.status == 0)
        x->resp.status = 500;
    emu_buf_init(&out, EMU_MAX_BODY_BYTES * 2 + EMU_MAX_HEADER_BYTES);
    net__serialize(&x->resp, keep, &out);
    conn_write(c, &out);
    emu_buf_dispose(&out);
    conn_release(c);
    net__parser_next(&c->parser);
    c->busy = false;
    if (!keep) {
        if (c->tls) {
            net__tls_shutdown(c->tls);
            tls_flush(c);
        }
        close_after_writes(c);
        return;
    }
    timer_arm(c, c->pending.len ? PH_HEADERS : PH_IDLE);
    if (!c->draining)
        drain(c);
}

/* --- libuv callbacks ----------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    static char slab[64 * 1024]; /* single thread: one read at a time */
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(slab, sizeof slab);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    net_conn *c = s->data;
    if (nread < 0) {
        /* EOF or reset: a request still with the handler is answered into
         * the void; conn_close makes respond a no-op. */
        conn_close(c);
        return;
    }
    if (nread == 0)
        return;
    if (!c->sniffed) {
        c->sniffed = true;
        if ((unsigned char)buf->base[0] == 0x16) {
            if (!c->net->cfg.tls) {
                on_parse_error(&c->parser, 400, "TLS is not enabled on this port");
                c->parser.failed = true;
                return;
            }
            c->tls = net__tls_accept(c->net->cfg.tls);
            if (!c->tls) {
                on_parse_error(&c->parser, 400, "TLS is not available (see the log)");
                c->parser.failed = true;
                return;
            }
            timer_arm(c, PH_HEADERS); /* the handshake must finish in time */
        }
    }
    if (c->tls) {
        net__tls_put(c->tls, buf->base, (size_t)nread);
        if (c->busy || c->close_after_write) {
            /* Decrypted later, in drain; stop reading if it piles up. */
            if (net__tls_buffered(c->tls) > EMU_MAX_HEADER_BYTES)
                uv_read_stop(s);
            return;
        }
        if (!c->draining)
            drain(c);
        return;
    }
    if (!emu_buf_append(&c->pending, buf->base, (size_t)nread)) {
        /* More pipelined bytes than one maximal request: stop reading until
         * the backlog drains (TCP flow control pushes back on the client). */
        uv_read_stop(s);
        return;
    }
    if (c->busy) {
        if (c->pending.len > EMU_MAX_HEADER_BYTES)
            uv_read_stop(s);
        return;
    }
    if (!c->draining)
        drain(c);
}

static void on_timer(uv_timer_t *t)
{
    net_conn *c = t->data;
    uint64_t now = uv_now(c->net->loop);
    c->due = 0;
    if (!c->deadline)
        return; /* busy with the handler: re-armed when it answers */
    if (now < c->deadline) {
        timer_schedule(c, now);
        return;
    }
    if (c->phase == PH_IDLE || c->phase == PH_SEND || c->busy ||
        (c->tls && !net__tls_handshake_done(c->tls))) {
        conn_close(c);
        return;
    }
    /* Slow client: answer 408 before closing. */
    c->parser.failed = false;
    on_parse_error(&c->parser, 408,
                   c->phase == PH_HEADERS ? "request headers not received in time"
                                          : "request body not received in time");
    c->parser.failed = true;
}

static void on_connection(uv_stream_t *server, int status)
{
    emu_net *n = server->data;
    if (status < 0)
        return;
    net_conn *c = emu_xcalloc(1, sizeof *c);
    c->net = n;
    uv_tcp_init(n->loop, &c->tcp);
    c->tcp.data = c;
    c->handles = 1;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 || n->shutting_down) {
        c->closing = true;
        uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
        return;
    }
    if (n->stats.connections_open >= n->max_conns) {
        if (!n->idle_head) {
            /* Every connection has a request in progress: refuse. */
            n->stats.connections_refused++;
            c->closing = true;
            uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
            return;
        }
        emu_log(EMU_LOG_DEBUG, "connection cap %u reached: closed the longest-idle one (from %s)",
                n->max_conns, n->idle_head->peer);
        n->stats.connections_evicted++;
        conn_close(n->idle_head);
    }
    uv_timer_init(n->loop, &c->timer);
    c->timer.data = c;
    c->handles = 2;
    uv_tcp_nodelay(&c->tcp, 1);
    net__parser_init(&c->parser, &conn_ops, c);
    emu_buf_init(&c->pending, EMU_MAX_PIPELINED_BYTES);

    struct sockaddr_storage ss;
    int len = sizeof ss;
    snprintf(c->peer, sizeof c->peer, "unknown");
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6)
            uv_ip6_name((struct sockaddr_in6 *)&ss, c->peer, sizeof c->peer);
        else
            uv_ip4_name((struct sockaddr_in *)&ss, c->peer, sizeof c->peer);
    }
    c->next = n->conns;
    if (n->conns)
        n->conns->prev = c;
    n->conns = c;
    n->stats.connections_open++;
    n->stats.connections_total++;
    timer_arm(c, PH_IDLE);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* File descriptors beside the connections: listener, loop, signals, logs,
 * data dir, certificates. */
#define FD_RESERVE 64

/* The connection cap only works below the open-file limit: past it,
 * accept() fails and libuv resets new clients whatever is idle. Raises the
 * soft limit towards the hard one when needed, else says what to do. */
static void fit_fd_limit(unsigned max_conns)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)max_conns + FD_RESERVE;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rlim_t old = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        rl.rlim_cur = old;
    if (rl.rlim_cur < want)
        emu_log(EMU_LOG_WARN,
                "the open-file limit (%llu) is below --max-connections %u + %d: new clients "
                "are refused before the cap; raise it (ulimit -n) or lower --max-connections",
                (unsigned long long)rl.rlim_cur, max_conns, FD_RESERVE);
}

emu_net *emu_net_start(uv_loop_t *loop, const emu_net_config *cfg, emu_err *err)
{
    struct sockaddr_storage addr;
    emu_net *n = emu_xcalloc(1, sizeof *n);
    int rc;

    n->loop = loop;
    n->cfg = *cfg;
    n->max_conns = cfg->max_connections ? cfg->max_connections : EMU_MAX_CONNECTIONS;
    fit_fd_limit(n->max_conns);
    n->max_buffered = cfg->max_buffered_bytes ? cfg->max_buffered_bytes : EMU_MAX_BUFFERED_BYTES;
    if (strchr(cfg->bind, ':'))
        rc = uv_ip6_addr(cfg->bind, cfg->port, (struct sockaddr_in6 *)&addr);
    else
        rc = uv_ip4_addr(cfg->bind, cfg->port, (struct sockaddr_in *)&addr);
    if (rc != 0) {
        emu_err_set(err, EMU_E_INVALID, NULL, "--bind %s: not an IP address", cfg->bind);
        free(n);
        return NULL;
    }
    uv_tcp_init(loop, &n->server);
    n->server.data = n;
    uv_timer_init(loop, &n->grace);
    n->grace.data = n;
    n->handles_open = 2;
    rc = uv_tcp_bind(&n->server, (struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&n->server, 511, on_connection);
    if (rc != 0) {
        emu_err_set(err, EMU_E_INVALID, NULL, "cannot listen on %s:%d: %s", cfg->bind, cfg->port,
                    uv_strerror(rc));
        /* Handles must be closed through the loop; the caller exits anyway. */
        n->shutting_down = true;
        uv_close((uv_handle_t *)&n->server, NULL);
        uv_close((uv_handle_t *)&n->grace, NULL);
        uv_run(loop, UV_RUN_NOWAIT);
        free(n);
        return NULL;
    }
    struct sockaddr_storage bound;
    int blen = sizeof bound;
    uv_tcp_getsockname(&n->server, (struct sockaddr *)&bound, &blen);
    n->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
    return n;
}

int emu_net_port(const emu_net *n)
{
    return n->port;
}

static void on_server_closed(uv_handle_t *h)
{
    emu_net *n = h->data;
    n->handles_open--;
    maybe_done(n);
}

static void close_all(emu_net *n, bool only_idle)
{
    net_conn *c = n->conns;
    while (c) {
        net_conn *next = c->next;
        if (!only_idle || (!c->busy && !c->parser.in_message && c->writes == 0))
            conn_close(c);
        else if (!c->busy && c->writes)
            c->close_after_write = true;
        c = next;
    }
}

static void on_grace(uv_timer_t *t)
{
    emu_net *n = t->data;
    emu_log(EMU_LOG_WARN, "shutdown grace period over: closing remaining connections");
    close_all(n, false);
    if (!uv_is_closing((uv_handle_t *)&n->grace))
        uv_close((uv_handle_t *)&n->grace, on_server_closed);
}

void emu_net_shutdown(emu_net *n, void (*done)(void *ud), void *ud)
{
    if (n->shutting_down)
        return;
    n->shutting_down = true;
    n->done = done;
    n->done_ud = ud;
    uv_close((uv_handle_t *)&n->server, on_server_closed);
    close_all(n, true);
    if (n->conns) {
        uv_timer_start(&n->grace, on_grace, EMU_SHUTDOWN_GRACE_MS, 0);
        uv_unref((uv_handle_t *)&n->grace);
    } else if (!uv_is_closing((uv_handle_t *)&n->grace)) {
        uv_close((uv_handle_t *)&n->grace, on_server_closed);
    }
}

void emu_net_free(emu_net *n)
{
    free(n);
}

void emu_net_get_stats(const emu_net *n, emu_net_stats *out)
{
    *out = n->stats;
}
