/* `acsemu sql`: run one SQL statement against a running acsemu through the
 * same MaxCompute REST API pyodps uses (maxcompute-external-table.md §8.4):
 * POST an instance, poll ?taskstatus, GET ?result, print the CSV as a
 * table (or as CSV with --csv, or the text of DDL/SHOW/DESC).
 *
 * A deliberately tiny blocking HTTP/1.1 client (one connection per call,
 * Connection: close, plain http:// only): this runs in its own process,
 * never on the server's loop. Requests are signed with the ODPS v2 scheme;
 * the string to sign comes from sig_odps_string_to_sign over the request
 * we are about to send, so the client and the server agree by
 * construction (the integration tests sign independently, in JS). */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli_int.h"
#include "emu/clock.h"
#include "emu/crypto.h"
#include "emu/odps.h"
#include "emu/sig.h"

typedef struct sql_opts {
    char host[256];
    char port[16];
    char base[512]; /* endpoint path, e.g. "/api" or "" */
    const char *project, *ak, *secret, *query;
    bool csv;
} sql_opts;

typedef struct http_resp {
    int status;
    char *head; /* header block (heap) */
    char *body; /* heap, NUL-terminated */
    size_t body_len;
} http_resp;

static void resp_free(http_resp *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

static void usage(FILE *f)
{
    fputs("Usage: acsemu sql --endpoint URL --project P --access-key-id ID\n"
          "                  --access-key-secret SECRET [--csv] \"SQL\"\n"
          "Runs one SQL task through acsemu's MaxCompute REST API and prints the result.\n"
          "URL is the service endpoint, e.g. http://127.0.0.1:8780/api (http only).\n"
          "Environment: ACSEMU_ODPS_ENDPOINT, ALIBABA_CLOUD_ACCESS_KEY_ID,\n"
          "ALIBABA_CLOUD_ACCESS_KEY_SECRET stand in for the options.\n",
          f);
}

static bool parse_endpoint(const char *url, sql_opts *o)
{
    static const char http[] = "http://";
    if (strncmp(url, http, sizeof http - 1) != 0)
        return false;
    const char *h = url + sizeof http - 1;
    const char *slash = strchr(h, '/');
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    const char *colon = memchr(h, ':', hl);
    size_t nl = colon ? (size_t)(colon - h) : hl;
    if (!nl || nl >= sizeof o->host)
        return false;
    memcpy(o->host, h, nl);
    o->host[nl] = '\0';
    snprintf(o->port, sizeof o->port, "%.*s", colon ? (int)(hl - nl - 1) : 2,
             colon ? colon + 1 : "80");
    snprintf(o->base, sizeof o->base, "%s", slash ? slash : "");
    size_t bl = strlen(o->base);
    while (bl && o->base[bl - 1] == '/')
        o->base[--bl] = '\0';
    return true;
}

/* Sends one request and reads the whole answer (Connection: close). */
static int http_do(const sql_opts *o, const char *method, const char *path, const char *query,
                   const char *ctype, const char *body, http_resp *out)
{
    memset(out, 0, sizeof *out);
    char date[30];
    emu_time_http(emu_clock_real_ms(), date);
    char hostport[300];
    snprintf(hostport, sizeof hostport, "%s:%s", o->host, o->port);

    /* Sign: the request view the server will see. */
    emu_arena *a = emu_arena_new(0);
    emu_http_header h[5];
    size_t nh = 0;
    h[nh++] = (emu_http_header){EMU_STR_LIT("Date"), emu_str_c(date)};
    h[nh++] = (emu_http_header){EMU_STR_LIT("Host"), emu_str_c(hostport)};
    h[nh++] = (emu_http_header){EMU_STR_LIT("x-odps-user-agent"), EMU_STR_LIT("acsemu-sql")};
    if (ctype)
        h[nh++] = (emu_http_header){EMU_STR_LIT("Content-Type"), emu_str_c(ctype)};
    emu_http_req req = {0};
    req.method = emu_str_c(method);
    req.path = emu_str_c(path);
    req.query = emu_str_c(query);
    req.headers = h;
    req.n_headers = nh;
    emu_str sts;
    emu_err e = {0};
    if (sig_odps_string_to_sign(a, &req, &sts, &e) != EMU_OK) {
        fprintf(stderr, "acsemu sql: cannot sign: %s\n", e.msg);
        emu_arena_free(a);
        return -1;
    }
    uint8_t mac[EMU_SHA1_LEN];
    char sig[64];
    emu_hmac_sha1(o->secret, strlen(o->secret), sts.p, sts.len, mac);
    emu_base64_encode(mac, sizeof mac, sig);
    emu_arena_free(a);

    size_t blen = body ? strlen(body) : 0;
    char *msg = NULL;
    size_t msg_len = 0;
    FILE *m = open_memstream(&msg, &msg_len);
    fprintf(m,
            "%s %s%s%s HTTP/1.1\r\nHost: %s\r\nDate: %s\r\nx-odps-user-agent: acsemu-sql\r\n"
            "Authorization: ODPS %s:%s\r\nContent-Length: %zu\r\nConnection: close\r\n",
            method, path, *query ? "?" : "", query, hostport, date, o->ak, sig, blen);
    if (ctype)
        fprintf(m, "Content-Type: %s\r\n", ctype);
    fputs("\r\n", m);
    if (blen)
        fwrite(body, 1, blen, m);
    fclose(m);

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int fd = -1, gai = getaddrinfo(o->host, o->port, &hints, &ai);
    if (gai) {
        fprintf(stderr, "acsemu sql: %s: %s\n", o->host, gai_strerror(gai));
        free(msg);
        return -1;
    }
    for (struct addrinfo *p = ai; p && fd < 0; p = p->ai_next) {
        fd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
        if (fd >= 0 && connect(fd, p->ai_addr, p->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        fprintf(stderr, "acsemu sql: connect %s: %s\n", hostport, strerror(errno));
        free(msg);
        return -1;
    }
    struct timeval tv = {60, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    size_t sent = 0;
    while (sent < msg_len) {
        ssize_t n = write(fd, msg + sent, msg_len - sent);
        if (n <= 0) {
            fprintf(stderr, "acsemu sql: write: %s\n", strerror(errno));
            close(fd);
            free(msg);
            return -1;
        }
        sent += (size_t)n;
    }
    free(msg);
    size_t cap = 65536, len = 0;
    char *buf = emu_xmalloc(cap + 1);
    for (;;) {
        if (len == cap) {
            cap *= 2;
            buf = emu_xrealloc(buf, cap + 1);
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    if (!end || sscanf(buf, "HTTP/1.%*d %d", &out->status) != 1) {
        fprintf(stderr, "acsemu sql: malformed HTTP response from %s\n", hostport);
        free(buf);
        return -1;
    }
    out->head = emu_xstrndup(buf, (size_t)(end - buf));
    out->body_len = len - (size_t)(end + 4 - buf);
    out->body = emu_xstrndup(end + 4, out->body_len);
    free(buf);
    return 0;
}

/* A response header's value (case-insensitive name), in a static buffer. */
static const char *header(const http_resp *r, const char *name)
{
    static char value[1024];
    size_t nl = strlen(name);
    for (const char *p = strstr(r->head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            snprintf(value, sizeof value, "%.*s", (int)(e ? (size_t)(e - v) : strlen(v)), v);
            return value;
        }
    }
    return NULL;
}

static int http_error(const http_resp *r, const char *what)
{
    emu_arena *a = emu_arena_new(0);
    const char *code = NULL, *msg = NULL;
    emu_err e = {0};
    odps_xml_parse_error(r->body, r->body_len, a, &code, &msg, &e);
    fprintf(stderr, "acsemu sql: %s: HTTP %d %s: %s\n", what, r->status, code ? code : "",
            msg ? msg : r->body);
    emu_arena_free(a);
    return 1;
}

/* ---- printing ------------------------------------------------------------------ */

typedef struct csv {
    char **cells;
    size_t n, cap;
    size_t cols;
} csv;

/* Splits RFC 4180 text into cells (row-major); every row must have the
 * header's width. */
static bool csv_parse(const char *s, csv *c)
{
    size_t row_cells = 0;
    memset(c, 0, sizeof *c);
    while (*s) {
        char *cell = emu_xmalloc(strlen(s) + 1);
        size_t k = 0;
        if (*s == '"') {
            s++;
            while (*s && !(*s == '"' && s[1] != '"')) {
                if (*s == '"')
                    s++;
                cell[k++] = *s++;
            }
            if (*s == '"')
                s++;
        } else {
            while (*s && *s != ',' && *s != '\n')
                cell[k++] = *s++;
        }
        cell[k] = '\0';
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 64;
            c->cells = emu_xrealloc(c->cells, c->cap * sizeof *c->cells);
        }
        c->cells[c->n++] = cell;
        row_cells++;
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == '\n')
            s++;
        if (!c->cols)
            c->cols = row_cells;
        else if (row_cells != c->cols)
            return false;
        row_cells = 0;
    }
    return c->cols > 0;
}

static void csv_free(csv *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->cells[i]);
    free(c->cells);
}

static void rule(const size_t *w, size_t cols)
{
    for (size_t j = 0; j < cols; j++) {
        putchar('+');
        for (size_t k = 0; k < w[j] + 2; k++)
            putchar('-');
    }
    puts("+");
}

static void print_table(const char *text)
{
    csv c;
    if (!csv_parse(text, &c)) {
        fputs(text, stdout);
        csv_free(&c);
        return;
    }
    size_t *w = emu_xcalloc(c.cols, sizeof *w);
    for (size_t i = 0; i < c.n; i++) {
        size_t l = strlen(c.cells[i]);
        if (l > w[i % c.cols])
            w[i % c.cols] = l;
    }
    rule(w, c.cols);
    for (size_t i = 0; i < c.n; i++) {
        printf("| %-*s ", (int)w[i % c.cols], c.cells[i]);
        if (i % c.cols == c.cols - 1) {
            puts("|");
            if (i == c.cols - 1)
                rule(w, c.cols);
        }
    }
    rule(w, c.cols);
    free(w);
    csv_free(&c);
}

/* ---- main ---------------------------------------------------------------------------- */

static char *job_xml(const char *sql)
{
    char *x = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&x, &n);
    fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Instance><Job><Priority>9</Priority>"
          "<Tasks><SQL><Name>AnonymousSQLTask</Name><Config><Property><Name>settings</Name>"
          "<Value>{}</Value></Property></Config><Query><![CDATA[",
          m);
    for (const char *p = sql; *p; p++) {
        if (p[0] == ']' && p[1] == ']' && p[2] == '>') {
            fputs("]]]]><![CDATA[>", m);
            p += 2;
        } else {
            fputc(*p, m);
        }
    }
    fputs(";]]></Query></SQL></Tasks><DAG><RunMode>Sequence</RunMode></DAG></Job></Instance>", m);
    fclose(m);
    return x;
}

int cli_sql_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"project", required_argument, NULL, 'p'},
        {"access-key-id", required_argument, NULL, 'i'},
        {"access-key-secret", required_argument, NULL, 's'},
        {"csv", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    sql_opts o = {0};
    const char *endpoint = getenv("ACSEMU_ODPS_ENDPOINT");
    o.ak = getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
    o.secret = getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'e':
            endpoint = optarg;
            break;
        case 'p':
            o.project = optarg;
            break;
        case 'i':
            o.ak = optarg;
            break;
        case 's':
            o.secret = optarg;
            break;
        case 'c':
            o.csv = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind == argc - 1)
        o.query = argv[optind];
    if (!endpoint || !o.project || !o.ak || !o.secret || !o.query) {
        usage(stderr);
        return 2;
    }
    if (!parse_endpoint(endpoint, &o)) {
        fprintf(stderr, "acsemu sql: --endpoint must be http://host[:port][/path]\n");
        return 2;
    }
    char path[1024], query[512];
    snprintf(query, sizeof query, "curr_project=%s", o.project);
    snprintf(path, sizeof path, "%s/projects/%s/instances", o.base, o.project);
    char *body = job_xml(o.query);
    http_resp r;
    int rc = http_do(&o, "POST", path, query, "application/xml", body, &r);
    free(body);
    if (rc)
        return 1;
    if (r.status != 201) {
        rc = http_error(&r, "create instance");
        resp_free(&r);
        return rc;
    }
    const char *loc = header(&r, "Location");
    const char *id = loc ? strrchr(loc, '/') : NULL;
    if (!id) {
        fprintf(stderr, "acsemu sql: create instance: no Location\n");
        resp_free(&r);
        return 1;
    }
    char instance[128];
    snprintf(instance, sizeof instance, "%s", id + 1);
    resp_free(&r);

    snprintf(path, sizeof path, "%s/projects/%s/instances/%s", o.base, o.project, instance);
    for (int tries = 0;; tries++) {
        snprintf(query, sizeof query, "curr_project=%s&taskstatus", o.project);
        if (http_do(&o, "GET", path, query, NULL, NULL, &r))
            return 1;
        if (r.status != 200) {
            rc = http_error(&r, "task status");
            resp_free(&r);
            return rc;
        }
        bool done = strstr(r.body, "<Status>Terminated</Status>") != NULL;
        resp_free(&r);
        if (done)
            break;
        if (tries > 600) {
            fprintf(stderr, "acsemu sql: instance %s did not terminate\n", instance);
            return 1;
        }
        usleep(100 * 1000);
    }
    snprintf(query, sizeof query, "curr_project=%s&result", o.project);
    if (http_do(&o, "GET", path, query, NULL, NULL, &r))
        return 1;
    if (r.status != 200) {
        rc = http_error(&r, "result");
        resp_free(&r);
        return rc;
    }
    emu_arena *a = emu_arena_new(0);
    odps_xml_result res;
    emu_err e = {0};
    if (odps_xml_parse_result(r.body, r.body_len, a, &res, &e) != EMU_OK) {
        fprintf(stderr, "acsemu sql: result: %s\n", e.msg);
        rc = 1;
    } else if (!res.status || strcmp(res.status, "Success") != 0) {
        fprintf(stderr, "FAILED: %s\n", res.text ? res.text : "");
        rc = 1;
    } else if (strcmp(res.format, "csv") == 0 && !o.csv) {
        print_table(res.text);
    } else {
        fputs(res.text, stdout);
        size_t l = strlen(res.text);
        if (l && res.text[l - 1] != '\n')
            putchar('\n');
    }
    emu_arena_free(a);
    resp_free(&r);
    return rc;
}
