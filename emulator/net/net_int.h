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

    emu_exchange x;
    emu_http_header views[EMU_MAX_HEADERS];
    char method[16];
};

void net__parser_init(net_parser *p, const net_parser_ops *ops, void *owner);
void net__parser_dispose(net_parser *p);
/* Feeds bytes. Returns the number consumed; fewer than len means the parser
 * paused on a complete request (the caller keeps the rest) or failed. */
size_t net__parser_feed(net_parser *p, const char *data, size_t len);
/* Prepares for the next request on the same connection. */
void net__parser_next(net_parser *p);

/* Serializes resp (status line, headers, Date, Content-Length, Connection)
 * into out. */
void net__serialize(const emu_http_resp *resp, bool keep_alive, emu_buf *out);

#endif
