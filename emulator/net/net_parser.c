/* HTTP/1.1 request assembly on top of llhttp.
 *
 * Contract: bytes in, complete requests out. The callbacks only collect
 * (header bytes into `head`, body bytes into `body`, offsets for slices).
 * Every cap of limits.h is checked as bytes arrive, so an oversized request
 * is refused before it is buffered: the URL (414), the header block (431),
 * the header count (431), the body from Content-Length or while chunks
 * arrive (413). Malformed syntax gives 400. In each case the owner is told
 * the status to answer before it closes the connection.
 *
 * Buffered bodies are charged to the owner's budget (ops->charge): the
 * whole Content-Length when the headers end, or each chunk as it arrives.
 * A refused body is read and dropped, not buffered, and the request goes
 * to the handler marked over_budget, to be answered "busy" by its service
 * on a connection that stays usable. */
#include <stdio.h>
#include <string.h>

#include "emu/limits.h"
#include "net_int.h"

#define P(h) ((net_parser *)(h)->data)

static int fail(net_parser *p, int status, const char *why)
{
    if (!p->failed) {
        p->failed = true;
        p->ops->on_error(p, status, why);
    }
    return HPE_USER;
}

static int on_message_begin(llhttp_t *h)
{
    net_parser *p = P(h);
    p->in_message = true;
    p->have_headers = false;
    if (p->ops->on_first_byte)
        p->ops->on_first_byte(p);
    return 0;
}

static int on_url(llhttp_t *h, const char *at, size_t len)
{
    net_parser *p = P(h);
    if (p->url_len + len > EMU_MAX_URL_BYTES)
        return fail(p, 414, "request-target too long");
    if (!emu_buf_append(&p->head, at, len))
        return fail(p, 431, "request header block too large");
    p->url_len += len;
    return 0;
}

static int on_header_field(llhttp_t *h, const char *at, size_t len)
{
    net_parser *p = P(h);
    /* llhttp may deliver one name in several pieces; a new header starts
     * after the previous value completed. */
    if (!p->in_value) {
        if (p->n_hdrs >= EMU_MAX_HEADERS)
            return fail(p, 431, "too many request headers");
        net_hdr_ofs *o = &p->hdrs[p->n_hdrs++];
        memset(o, 0, sizeof *o);
        o->name_off = p->head.len;
        p->in_value = true; /* "inside a header" until its value completes */
    }
    if (!emu_buf_append(&p->head, at, len))
        return fail(p, 431, "request header block too large");
    p->hdrs[p->n_hdrs - 1].name_len += len;
    return 0;
}

static int on_header_field_complete(llhttp_t *h)
{
    net_parser *p = P(h);
    net_hdr_ofs *o = &p->hdrs[p->n_hdrs - 1];
    o->value_off = p->head.len;
    o->value_len = 0;
    return 0;
}

static int on_header_value(llhttp_t *h, const char *at, size_t len)
{
    net_parser *p = P(h);
    if (!emu_buf_append(&p->head, at, len))
        return fail(p, 431, "request header block too large");
    p->hdrs[p->n_hdrs - 1].value_len += len;
    return 0;
}

static int on_header_value_complete(llhttp_t *h)
{
    P(h)->in_value = false;
    return 0;
}

static int on_headers_complete(llhttp_t *h)
{
    net_parser *p = P(h);
    p->have_headers = true;
    if (h->content_length > EMU_MAX_BODY_BYTES && !(h->flags & F_CHUNKED))
        return fail(p, 413, "request body too large");
    p->in_value = false;
    if (p->ops->charge && !(h->flags & F_CHUNKED) && h->content_length > 0) {
        p->reserved = true;
        if (!p->ops->charge(p, (size_t)h->content_length))
            p->over_budget = true;
    }
    if (p->ops->on_headers_done)
        p->ops->on_headers_done(p);
    return 0;
}

/* Stops buffering this request's body and gives back what it held. */
static void drop_body(net_parser *p)
{
    p->over_budget = true;
    p->dropped += p->body.len;
    emu_buf_reset(&p->body);
    p->ops->release(p);
}

static int on_body(llhttp_t *h, const char *at, size_t len)
{
    net_parser *p = P(h);
    if (!p->over_budget && !p->reserved && p->ops->charge && !p->ops->charge(p, len))
        drop_body(p);
    if (p->over_budget) {
        if (p->dropped + len > EMU_MAX_BODY_BYTES)
            return fail(p, 413, "request body too large");
        p->dropped += len;
        return 0;
    }
    if (!emu_buf_append(&p->body, at, len))
        return fail(p, 413, "request body too large");
    return 0;
}

static void build_view(net_parser *p)
{
    emu_http_req *r = &p->x.req;
    const char *base = p->head.p;

    r->method = emu_str_c(llhttp_method_name(p->http.method)); /* a static string */
    r->target = (emu_str){base + p->url_off, p->url_len};
    const char *q = memchr(r->target.p, '?', r->target.len);
    if (q) {
        r->path = (emu_str){r->target.p, (size_t)(q - r->target.p)};
        r->query = (emu_str){q + 1, r->target.len - r->path.len - 1};
    } else {
        r->path = r->target;
        r->query = (emu_str){r->target.p + r->target.len, 0};
    }
    for (size_t i = 0; i < p->n_hdrs; i++) {
        p->views[i].name = (emu_str){base + p->hdrs[i].name_off, p->hdrs[i].name_len};
        p->views[i].value =
            emu_str_trim((emu_str){base + p->hdrs[i].value_off, p->hdrs[i].value_len});
    }
    r->headers = p->views;
    r->n_headers = p->n_hdrs;
    r->body = (const uint8_t *)(p->body.p ? p->body.p : "");
    r->body_len = p->body.len;
    r->over_budget = p->over_budget;
}

bool net__parser_header_view(net_parser *p)
{
    if (!p->have_headers || !p->in_message)
        return false;
    build_view(p);
    p->x.req.body = (const uint8_t *)"";
    p->x.req.body_len = 0;
    return true;
}

static int on_message_complete(llhttp_t *h)
{
    net_parser *p = P(h);
    p->keep_alive = llhttp_should_keep_alive(h);
    p->in_message = false;
    build_view(p);
    p->ops->on_request(p);
    /* Stop here: the next pipelined request is parsed only after this
     * response has been sent. */
    return HPE_PAUSED;
}

void net__parser_init(net_parser *p, const net_parser_ops *ops, void *owner)
{
    memset(p, 0, sizeof *p);
    p->ops = ops;
    p->owner = owner;
    llhttp_settings_init(&p->settings);
    p->settings.on_message_begin = on_message_begin;
    p->settings.on_url = on_url;
    p->settings.on_header_field = on_header_field;
    p->settings.on_header_field_complete = on_header_field_complete;
    p->settings.on_header_value = on_header_value;
    p->settings.on_header_value_complete = on_header_value_complete;
    p->settings.on_headers_complete = on_headers_complete;
    p->settings.on_body = on_body;
    p->settings.on_message_complete = on_message_complete;
    llhttp_init(&p->http, HTTP_REQUEST, &p->settings);
    p->http.data = p;
    emu_buf_init(&p->head, EMU_MAX_HEADER_BYTES);
    emu_buf_init(&p->body, EMU_MAX_BODY_BYTES);
    emu_buf_init(&p->x.resp.body, EMU_MAX_BODY_BYTES * 2);
    p->x.req.arena = emu_arena_new(16 * 1024);
}

void net__parser_dispose(net_parser *p)
{
    emu_buf_dispose(&p->head);
    emu_buf_dispose(&p->body);
    emu_buf_dispose(&p->x.resp.body);
    emu_arena_free(p->x.req.arena);
    p->x.req.arena = NULL;
}

void net__parser_next(net_parser *p)
{
    emu_buf_reset(&p->head);
    emu_buf_reset(&p->body);
    emu_buf_reset(&p->x.resp.body);
    /* Give back memory a big request took, keep small buffers warm. */
    if (p->body.cap > 1024 * 1024)
        emu_buf_dispose(&p->body);
    if (p->x.resp.body.cap > 1024 * 1024)
        emu_buf_dispose(&p->x.resp.body);
    emu_arena_reset(p->x.req.arena);
    p->n_hdrs = 0;
    p->url_off = p->url_len = 0;
    p->in_value = false;
    p->reserved = p->over_budget = false;
    p->dropped = 0;
    p->x.resp.status = 0;
    p->x.resp.n_headers = 0;
    p->x.resp.close = false;
    if (llhttp_get_errno(&p->http) == HPE_PAUSED)
        llhttp_resume(&p->http);
}

size_t net__parser_feed(net_parser *p, const char *data, size_t len)
{
    if (p->failed)
        return 0;
    llhttp_errno_t e = llhttp_execute(&p->http, data, len);
    if (e == HPE_OK)
        return len;
    if (e == HPE_PAUSED) {
        const char *pos = llhttp_get_error_pos(&p->http);
        return pos ? (size_t)(pos - data) : len;
    }
    if (e == HPE_PAUSED_UPGRADE) {
        /* Upgrade/CONNECT: acsemu speaks plain HTTP/1.1 only. */
        fail(p, 400, "protocol upgrade is not supported");
        return 0;
    }
    if (!p->failed) {
        char why[160];
        snprintf(why, sizeof why, "malformed HTTP request: %s", llhttp_errno_name(e));
        fail(p, 400, why);
    }
    return 0;
}
