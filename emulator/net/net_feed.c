/* emu_net_feed: the request assembler without a socket, for the HTTP fuzz
 * harness and unit tests. Same parser, same caps, same error answers. */
#include <string.h>

#include "emu/limits.h"
#include "net_int.h"

typedef struct feed_ctx {
    emu_buf *out;
    bool busy;
    bool closed;
} feed_ctx;

static void feed_on_request(net_parser *p)
{
    ((feed_ctx *)p->owner)->busy = true;
}

static void feed_on_error(net_parser *p, int status, const char *why)
{
    feed_ctx *f = p->owner;
    emu_http_resp resp;
    memset(&resp, 0, sizeof resp);
    emu_buf_init(&resp.body, 4096);
    resp.status = status;
    emu_buf_puts(&resp.body, why);
    net__serialize(&resp, false, f->out);
    emu_buf_dispose(&resp.body);
    f->closed = true;
}

static const net_parser_ops feed_ops = {.on_request = feed_on_request, .on_error = feed_on_error};

int emu_net_feed(const uint8_t *data, size_t len, emu_net_handler handler, void *ud, emu_buf *out)
{
    feed_ctx f = {.out = out};
    net_parser p;
    int n = 0;

    net__parser_init(&p, &feed_ops, &f);
    while (len && !f.closed) {
        size_t used = net__parser_feed(&p, (const char *)data, len);
        data += used;
        len -= used;
        if (f.busy) {
            p.x.req.peer_ip = "127.0.0.1";
            p.x.conn = NULL; /* emu_net_respond is a no-op without a conn */
            handler(ud, &p.x);
            net__serialize(&p.x.resp, p.keep_alive && !p.x.resp.close, out);
            n++;
            if (!p.keep_alive || p.x.resp.close)
                break;
            net__parser_next(&p);
            f.busy = false;
        } else if (used == 0) {
            break;
        }
    }
    net__parser_dispose(&p);
    return n;
}
