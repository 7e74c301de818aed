/* The network front: one libuv TCP listener, HTTP/1.1 through llhttp,
 * keep-alive and pipelining, caps and timeouts from limits.h, graceful
 * shutdown. It knows nothing about clouds: it hands each complete request
 * to a handler and writes back the response the handler filled. */
#ifndef EMU_NET_H
#define EMU_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "emu/err.h"
#include "emu/http.h"

typedef struct emu_net emu_net;

/* One request/response pair. The handler fills `resp` and calls
 * emu_net_respond(x) exactly once, now or later from another loop callback
 * (for added latency, say). Until then the connection reads no further
 * request, so responses go out in request order (pipelining). */
typedef struct emu_exchange {
    emu_http_req req;
    emu_http_resp resp;
    uint64_t start_us; /* monotonic time the request was complete, when logged */
    void *conn;        /* net-private */
} emu_exchange;

typedef void (*emu_net_handler)(void *ud, emu_exchange *x);

/* TLS on the same port (DESIGN.md §1): a connection whose first byte is
 * 0x16 (a TLS handshake record) is served through OpenSSL memory BIOs on
 * the loop; anything else is plain HTTP. emu_tls is the server side: one
 * certificate and key, made once at start-up. */
typedef struct emu_tls emu_tls;

typedef struct emu_tls_config {
    /* Where the generated CA and leaf live; NULL = $XDG_CACHE_HOME/acsemu or
     * ~/.cache/acsemu. Created with mode 0700 when missing. */
    const char *state_dir;
    /* --tls-cert/--tls-key: use this certificate (chain, PEM) and key
     * instead of generating; both or neither. */
    const char *cert_file;
    const char *key_file;
    /* Region whose *.<region>.aliyuncs.com-style names the leaf must cover
     * (always with a built-in list of common regions). */
    const char *region;
} emu_tls_config;

/* Loads or creates the server certificate. Generated mode: on the first
 * start, makes a local CA (ca.pem, ca-key.pem) and a leaf for localhost,
 * 127.0.0.1, ::1, *.aliyuncs.com and per-region endpoint patterns
 * (cert.pem, key.pem; keys mode 0600) in the state dir, under an flock so
 * concurrent starts agree; later starts reuse them, and remake the leaf
 * (same CA) when it is near expiry or misses the region's names. Blocking
 * file I/O: call before the loop runs. Returns NULL with err filled on
 * failure (unreadable --tls-cert, unwritable state dir...). */
emu_tls *emu_tls_new(const emu_tls_config *cfg, emu_err *err);
/* The CA file clients should trust (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE), or
 * NULL with --tls-cert. Valid until emu_tls_free. */
const char *emu_tls_ca_file(const emu_tls *t);
void emu_tls_free(emu_tls *t);

typedef struct emu_net_config {
    const char *bind; /* "127.0.0.1", "::1", "0.0.0.0" */
    int port;         /* 0 = any free port */
    emu_net_handler handler;
    void *ud;
    /* Optional: a request whose header block arrived but whose body broke
     * the framing (declared over the cap, bad chunk, body too slow) is
     * offered here with `status` and `why`; returning true means x->resp
     * holds the answer (in the service's own format), false means net
     * answers plain text. Synchronous; the connection closes after. */
    bool (*reject)(void *ud, emu_exchange *x, int status, const char *why);
    emu_tls *tls; /* NULL: TLS handshakes get a plain 400 and are closed */
    /* Timeouts against slow clients; 0 = the defaults of limits.h. */
    unsigned header_timeout_ms; /* first byte to end of headers */
    unsigned body_timeout_ms;   /* end of headers to end of body */
    unsigned idle_timeout_ms;   /* between requests */
    /* Open connections at most; 0 = EMU_MAX_CONNECTIONS. At the cap a new
     * connection closes the longest-idle one (no request in progress,
     * nothing left to send); when none is idle, it is refused. */
    unsigned max_connections;
    /* Request body bytes buffered at once on all connections; 0 =
     * EMU_MAX_BUFFERED_BYTES. A body past it is read and dropped, and the
     * handler gets the request with req.over_budget set. */
    uint64_t max_buffered_bytes;
} emu_net_config;

/* Binds and listens. On failure returns NULL with err filled ("bind
 * 127.0.0.1:8780: address already in use"). */
emu_net *emu_net_start(uv_loop_t *loop, const emu_net_config *cfg, emu_err *err);
int emu_net_port(const emu_net *n);
void emu_net_respond(emu_exchange *x);

/* Stops accepting, lets in-flight requests finish (up to
 * EMU_SHUTDOWN_GRACE_MS), closes idle connections, then calls done. */
void emu_net_shutdown(emu_net *n, void (*done)(void *ud), void *ud);
void emu_net_free(emu_net *n);

typedef struct emu_net_stats {
    uint64_t connections_open;
    uint64_t connections_total;
    uint64_t requests_total;
    uint64_t bad_requests;
    uint64_t connections_evicted; /* idle ones closed at the cap for a new one */
    uint64_t connections_refused; /* at the cap with none idle */
    uint64_t bodies_over_budget;  /* bodies dropped on --max-buffered-bytes */
} emu_net_stats;
void emu_net_get_stats(const emu_net *n, emu_net_stats *out);

/* Feeds raw bytes through the request parser outside any socket, calling
 * the handler for each complete request and appending the serialized
 * responses to `out` (capped). Used by the HTTP fuzz harness and unit tests;
 * the handler must respond synchronously. Returns the number of requests. */
int emu_net_feed(const uint8_t *data, size_t len, emu_net_handler handler, void *ud, emu_buf *out);

#endif
