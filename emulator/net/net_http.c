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

/* Decimal digits of v into out (no NUL); returns the length. */
static size_t fmt_uint(char out[24], size_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

/* The Date header changes once a second: format it once a second. */
static const char *http_date(void)
{
    static char date[30];
    static int64_t date_sec = -1;
    int64_t sec = emu_clock_real_ms() / 1000;
    if (sec != date_sec) {
        emu_time_http(sec * 1000, date);
        date_sec = sec;
    }
    return date;
}

void net__serialize(const emu_http_resp *resp, bool keep_alive, emu_buf *out)
{
    const char *date = http_date();
    bool has_date = false;

    char num[24];
    /* One allocation: status line, Date, Content-Length and Connection fit
     * in 128 bytes; headers take their text plus ": " and CRLF. */
    size_t need = 128 + resp->body.len;
    for (size_t i = 0; i < resp->n_headers; i++)
        need += resp->headers[i].name.len + resp->headers[i].value.len + 4;
    emu_buf_reserve(out, need);
    emu_buf_append(out, "HTTP/1.1 ", 9);
    emu_buf_append(out, num, fmt_uint(num, (unsigned)resp->status));
    emu_buf_putc(out, ' ');
    emu_buf_puts(out, emu_http_reason(resp->status));
    emu_buf_append(out, "\r\n", 2);
    for (size_t i = 0; i < resp->n_headers; i++) {
        const emu_http_header *h = &resp->headers[i];
        if (h->name.len == 4 && emu_str_ieq_c(h->name, "date"))
            has_date = true;
        emu_buf_append(out, h->name.p, h->name.len);
        emu_buf_append(out, ": ", 2);
        emu_buf_append(out, h->value.p, h->value.len);
        emu_buf_append(out, "\r\n", 2);
    }
    if (!has_date) {
        emu_buf_append(out, "Date: ", 6);
        emu_buf_puts(out, date);
        emu_buf_append(out, "\r\n", 2);
    }
    emu_buf_append(out, "Content-Length: ", 16);
    emu_buf_append(out, num, fmt_uint(num, resp->body.len));
    emu_buf_puts(out, keep_alive ? "\r\nConnection: keep-alive\r\n\r\n"
                                 : "\r\nConnection: close\r\n\r\n");
    emu_buf_append(out, resp->body.p, resp->body.len);
}
