/* Request/response helpers and response serialization. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/http.h"
#include "net_int.h"

/* emu_str_ieq tests lengths inline: most header names differ in length
 * from the one looked for, so the case-folding compare runs about once. */
emu_str emu_http_req_header(const emu_http_req *req, const char *name)
{
    emu_str want = emu_str_c(name);
    for (size_t i = 0; i < req->n_headers; i++)
        if (emu_str_ieq(req->headers[i].name, want))
            return req->headers[i].value;
    return EMU_STR_NULL;
}

size_t emu_http_req_header_count(const emu_http_req *req, const char *name)
{
    emu_str want = emu_str_c(name);
    size_t n = 0;
    for (size_t i = 0; i < req->n_headers; i++)
        if (emu_str_ieq(req->headers[i].name, want))
            n++;
    return n;
}

void emu_http_resp_header_ref(emu_http_resp *resp, emu_str name, emu_str value)
{
    assert(resp->n_headers < EMU_HTTP_MAX_RESP_HEADERS);
    if (resp->n_headers >= EMU_HTTP_MAX_RESP_HEADERS)
        return;
    resp->headers[resp->n_headers++] = (emu_http_header){name, value};
}

void emu_http_resp_header(emu_http_resp *resp, emu_arena *arena, const char *name,
                          const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    emu_http_resp_header_ref(resp, (emu_str){emu_arena_strndup(arena, name, nl), nl},
                             (emu_str){emu_arena_strndup(arena, value, vl), vl});
}

emu_str emu_http_resp_get_header(const emu_http_resp *resp, const char *name)
{
    for (size_t i = 0; i < resp->n_headers; i++)
        if (emu_str_ieq_c(resp->headers[i].name, name))
            return resp->headers[i].value;
    return EMU_STR_NULL;
}

void emu_http_resp_set(emu_http_resp *resp, emu_arena *arena, int status, const char *ctype,
                       const void *body, size_t len)
{
    resp->status = status;
    if (ctype)
        emu_http_resp_header(resp, arena, "Content-Type", ctype);
    emu_buf_reset(&resp->body);
    if (len && !emu_buf_append(&resp->body, body, len)) {
        /* Can't happen: response bodies are capped far above anything we
         * produce; answer 500 rather than a truncated body. */
        resp->status = 500;
        emu_buf_reset(&resp->body);
    }
}

const char *emu_http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

/* The Date header changes once a second: format it once a second. */
static const char *http_date(size_t *len)
{
    static char date[30];
    static size_t date_len;
    static int64_t date_sec = -1;
    int64_t sec = emu_clock_real_ms() / 1000;
    if (sec != date_sec) {
        emu_time_http(sec * 1000, date);
        date_len = strlen(date);
        date_sec = sec;
    }
    *len = date_len;
    return date;
}

#define PUT_LIT(w, lit) (memcpy((w), (lit), sizeof(lit) - 1), (w) += sizeof(lit) - 1)

static char *put(char *w, const void *p, size_t n)
{
    if (n) /* p may be NULL when n is 0 */
        memcpy(w, p, n);
    return w + n;
}

void net__serialize(const emu_http_resp *resp, bool keep_alive, emu_buf *out)
{
    size_t date_len;
    const char *date = http_date(&date_len);
    const char *reason = emu_http_reason(resp->status);
    size_t reason_len = strlen(reason);
    bool has_date = false;

    /* One reservation, then plain stores: the status line's number and
     * separators, Date, Content-Length and Connection fit in 128 bytes;
     * headers take their text plus ": " and CRLF. */
    size_t need = 128 + reason_len + date_len + resp->body.len;
    for (size_t i = 0; i < resp->n_headers; i++)
        need += resp->headers[i].name.len + resp->headers[i].value.len + 4;
    if (!emu_buf_reserve(out, need)) {
        /* Past the cap (cannot happen: bodies are capped far below it). */
        emu_buf_puts(out, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n"
                          "Connection: close\r\n\r\n");
        return;
    }
    char *w = out->p + out->len;
    PUT_LIT(w, "HTTP/1.1 ");
    w += emu_u64_dec((uint64_t)resp->status, w);
    *w++ = ' ';
    w = put(w, reason, reason_len);
    PUT_LIT(w, "\r\n");
    for (size_t i = 0; i < resp->n_headers; i++) {
        const emu_http_header *h = &resp->headers[i];
        if (h->name.len == 4 && emu_str_ieq_c(h->name, "date"))
            has_date = true;
        w = put(w, h->name.p, h->name.len);
        PUT_LIT(w, ": ");
        w = put(w, h->value.p, h->value.len);
        PUT_LIT(w, "\r\n");
    }
    if (!has_date) {
        PUT_LIT(w, "Date: ");
        w = put(w, date, date_len);
        PUT_LIT(w, "\r\n");
    }
    PUT_LIT(w, "Content-Length: ");
    w += emu_u64_dec(resp->body.len, w);
    if (keep_alive)
        PUT_LIT(w, "\r\nConnection: keep-alive\r\n\r\n");
    else
        PUT_LIT(w, "\r\nConnection: close\r\n\r\n");
    w = put(w, resp->body.p, resp->body.len);
    *w = '\0';
    out->len = (size_t)(w - out->p);
}
