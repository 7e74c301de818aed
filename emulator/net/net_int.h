/* net internals: the HTTP/1.1 request assembler shared by the libuv
 * connections and by emu_net_feed (fuzzing, tests). */
#ifndef EMU_NET_INT_H
#define EMU_NET_INT_H

#include <llhttp.h>
#include <stdbool.h>

#include "emu/buf.h"
#include "emu/limits.h"
#include "emu/net.h"

typedef struct net_hdr_ofs {
    size_t name_off, name_len, value_off, value_len;
} net_hdr_ofs;

typedef struct net_parser net_parser;

/* What the assembler needs from its owner. */
typedef struct net_parser_ops {
    void (*on_request)(net_parser *p); /* request complete, parser paused */
    void (*on_error)(net_parser *p, int status, const char *why); /* answer status, then close */
    void (*on_first_byte)(net_parser *p);                         /* a new request started */
    void (*on_headers_done)(net_parser *p);
    /* Optional: n more body bytes are about to be buffered. Returns false
     * when the global budget refuses them; the parser then drops this
     * request's body (what it held is given back through release) and
     * marks the request over_budget. NULL = no budget. */
    bool (*charge)(net_parser *p, size_t n);
    void (*release)(net_parser *p); /* gives back what this request charged */
} net_parser_ops;

struct net_parser {
    llhttp_t http;
    llhttp_settings_t settings;
    const net_parser_ops *ops;
    void *owner;

    /* The llhttp callbacks only collect: bytes go into `head` and offsets
     * are recorded, so growing the buffer leaves nothing dangling. */
    emu_buf head;
    emu_buf body;
    net_hdr_ofs hdrs[EMU_MAX_HEADERS];
    size_t n_hdrs;
    size_t url_off, url_len;
    bool in_value;
    bool failed;
    bool keep_alive;
    bool in_message;
    bool have_headers; /* the header block of the current request is complete */
    bool reserved;     /* the body's Content-Length was charged at once */
    bool over_budget;  /* the body is being dropped (see charge) */
    size_t dropped;    /* body bytes dropped, for the body cap */

    emu_exchange x;
    emu_http_header views[EMU_MAX_HEADERS];
};

void net__parser_init(net_parser *p, const net_parser_ops *ops, void *owner);
void net__parser_dispose(net_parser *p);
/* Feeds bytes. Returns the number consumed; fewer than len means the parser
 * paused on a complete request (the caller keeps the rest) or failed. */
size_t net__parser_feed(net_parser *p, const char *data, size_t len);
/* Prepares for the next request on the same connection. */
void net__parser_next(net_parser *p);
/* After a framing error: when the failed request's header block was
 * complete, fills p->x.req with it (no body) and returns true, so the
 * service it was meant for can answer in its own format. */
bool net__parser_header_view(net_parser *p);

/* --- TLS (net_tls.c, net_tls_cert.c) ---------------------------------- */

typedef struct ssl_ctx_st SSL_CTX;
typedef struct net_tls_conn net_tls_conn;

SSL_CTX *net__tls_ctx(emu_tls *t);
/* A server-side TLS state for a new connection (memory BIOs). */
net_tls_conn *net__tls_accept(emu_tls *t);
void net__tls_free(net_tls_conn *tc);
/* Ciphertext from the socket. */
void net__tls_put(net_tls_conn *tc, const void *data, size_t n);
/* Ciphertext received but not yet decrypted. */
size_t net__tls_buffered(const net_tls_conn *tc);
bool net__tls_handshake_done(const net_tls_conn *tc);
/* Decrypts at most `room` bytes into out. Returns the count (> 0), 0 when
 * more ciphertext is needed (handshake messages may be waiting in the
 * output), -1 on a TLS error (*why: OpenSSL's reason, static) and -2 when
 * the peer closed the TLS session. */
int net__tls_read(net_tls_conn *tc, emu_buf *out, size_t room, const char **why);
/* Encrypts n bytes of plaintext into the output. 0 or -1. */
int net__tls_write(net_tls_conn *tc, const void *p, size_t n);
/* Ciphertext to send (malloc'd, caller frees) or NULL when none. */
char *net__tls_take_output(net_tls_conn *tc, size_t *len);
/* Queues a close_notify alert (after a completed handshake). */
void net__tls_shutdown(net_tls_conn *tc);

/* Serializes resp (status line, headers, Date, Content-Length, Connection)
 * into out. */
void net__serialize(const emu_http_resp *resp, bool keep_alive, emu_buf *out);

#endif
