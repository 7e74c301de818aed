#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "emu/limits.h"
#include "emu/net.h"

/* Echoes what the assembler saw, so tests can check the request view. */
static void echo(void *ud, emu_exchange *x)
{
    int *count = ud;
    (*count)++;
    emu_http_req *r = &x->req;
    emu_str host = emu_http_req_header(r, "HOST");
    x->resp.status = 200;
    emu_buf_printf(&x->resp.body, "%.*s|%.*s|%.*s|%.*s|%zu|%zu", (int)r->method.len, r->method.p,
                   (int)r->path.len, r->path.p, (int)r->query.len, r->query.p, (int)host.len,
                   host.p, r->body_len, r->n_headers);
}

static char *feed(const char *in, size_t len, int *count)
{
    static emu_buf out;
    emu_buf_dispose(&out);
    emu_buf_init(&out, 1 << 20);
    *count = 0;
    emu_net_feed((const uint8_t *)in, len, echo, count, &out);
    return out.p ? out.p : (char *)"";
}

static void request_view(void **state)
{
    (void)state;
    int n;
    const char *in =
        "POST /a/b?x=1&y=%20 HTTP/1.1\r\nHost:  h.example  \r\nContent-Length: 3\r\n\r\nabc";
    char *out = feed(in, strlen(in), &n);
    assert_int_equal(n, 1);
    assert_non_null(strstr(out, "POST|/a/b|x=1&y=%20|h.example|3|2"));
}

static void pipelined_in_order(void **state)
{
    (void)state;
    int n;
    const char *in = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
                     "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n";
    char *out = feed(in, strlen(in), &n);
    assert_int_equal(n, 3);
    char *a = strstr(out, "GET|/1"), *b = strstr(out, "GET|/2"), *c = strstr(out, "GET|/3");
    assert_true(a && b && c && a < b && b < c);
}

static void chunked_body(void **state)
{
    (void)state;
    int n;
    const char *in = "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n";
    char *out = feed(in, strlen(in), &n);
    assert_int_equal(n, 1);
    assert_non_null(strstr(out, "POST|/c||a|7|"));
}

static void caps_answer_before_close(void **state)
{
    (void)state;
    int n;
    char big[EMU_MAX_HEADER_BYTES + 200];
    int k = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX: ");
    memset(big + k, 'a', sizeof big - (size_t)k - 5);
    memcpy(big + sizeof big - 5, "\r\n\r\n", 4);
    char *out = feed(big, sizeof big - 1, &n);
    assert_int_equal(n, 0);
    assert_true(strncmp(out, "HTTP/1.1 431 ", 13) == 0);
    assert_non_null(strstr(out, "Connection: close"));

    const char *huge = "POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n";
    out = feed(huge, strlen(huge), &n);
    assert_true(strncmp(out, "HTTP/1.1 413 ", 13) == 0);

    const char *bad = "GET / HTTP/1.1\r\nBad Header\r\n\r\n";
    out = feed(bad, strlen(bad), &n);
    assert_true(strncmp(out, "HTTP/1.1 400 ", 13) == 0);
}

/* Answers with the status named by the path, two headers (one given by
 * reference), an empty body for "/431", and its own Date for "/date". */
static void answer(void *ud, emu_exchange *x)
{
    (void)ud;
    emu_http_req *r = &x->req;
    x->resp.status = r->path.len > 1 && r->path.p[1] == '4' ? 431 : 200;
    emu_http_resp_header(&x->resp, r->arena, "X-One", "1");
    emu_http_resp_header_ref(&x->resp, EMU_STR_LIT("x-two"), EMU_STR_LIT("two two"));
    if (emu_str_eq_c(r->path, "/date"))
        emu_http_resp_header(&x->resp, r->arena, "Date", "Thu, 01 Jan 2026 00:00:00 GMT");
    if (x->resp.status == 200)
        emu_buf_append(&x->resp.body, "hello", 5);
}

static void serializes_answers(void **state)
{
    (void)state;
    static const char in[] =
        "GET /431 HTTP/1.1\r\n\r\nGET /date HTTP/1.1\r\nConnection: close\r\n\r\n";
    emu_buf out;
    emu_buf_init(&out, 1 << 20);
    emu_net_feed((const uint8_t *)in, sizeof in - 1, answer, NULL, &out);
    /* The first answer, up to its Date (which is now), and after it. */
    static const char head[] = "HTTP/1.1 431 Request Header Fields Too Large\r\nX-One: 1\r\n"
                               "x-two: two two\r\nDate: ";
    assert_memory_equal(out.p, head, sizeof head - 1);
    const char *p = out.p + sizeof head - 1 + 29;
    static const char tail[] = " GMT"; /* the last bytes of the 29 */
    assert_memory_equal(p - 4, tail, 4);
    static const char rest[] = "\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"
                               "HTTP/1.1 200 OK\r\nX-One: 1\r\nx-two: two two\r\n"
                               "Date: Thu, 01 Jan 2026 00:00:00 GMT\r\nContent-Length: 5\r\n"
                               "Connection: close\r\n\r\nhello";
    assert_int_equal(strlen(p), sizeof rest - 1);
    assert_memory_equal(p, rest, sizeof rest - 1);
    emu_buf_dispose(&out);
}

static void connection_close_stops(void **state)
{
    (void)state;
    int n;
    const char *in = "GET /1 HTTP/1.1\r\nConnection: close\r\n\r\nGET /2 HTTP/1.1\r\n\r\n";
    char *out = feed(in, strlen(in), &n);
    assert_int_equal(n, 1);
    assert_non_null(strstr(out, "Connection: close"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_view),           cmocka_unit_test(pipelined_in_order),
        cmocka_unit_test(chunked_body),           cmocka_unit_test(caps_answer_before_close),
        cmocka_unit_test(connection_close_stops), cmocka_unit_test(serializes_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
