/* The HTTP request view that `net` hands to the dispatcher, and the response
 * the dispatcher fills. net knows nothing about clouds; services know nothing
 * about sockets. */
#ifndef EMU_HTTP_H
#define EMU_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/arena.h"
#include "emu/buf.h"
#include "emu/str.h"

typedef struct emu_http_header {
    emu_str name; /* as received (case preserved) */
    emu_str value;
} emu_http_header;

/* A complete request. Every slice points into memory owned by the
 * connection and stays valid until the response has been sent. */
typedef struct emu_http_req {
    emu_str method; /* "GET", "POST", ... */
    emu_str target; /* raw request-target: "/path?query" */
    emu_str path;   /* raw path, not percent-decoded */
    emu_str query;  /* raw query after '?', empty if none */
    const emu_http_header *headers;
    size_t n_headers;
    const uint8_t *body;
    size_t body_len;
    bool tls;            /* arrived over TLS (acs:SecureTransport) */
    const char *peer_ip; /* textual peer address (acs:SourceIp) */
    uint64_t conn_id;    /* connection serial, for logs */
    /* The body was not kept (buffered request bodies were over
     * --max-buffered-bytes): body_len is 0 and dispatch answers the
     * service's own "server busy" error. */
    bool over_budget;
    emu_arena *arena; /* per-request arena, reset after the response */
} emu_http_req;

/* First header with this name (ASCII case-insensitive), or {NULL,0}. */
emu_str emu_http_req_header(const emu_http_req *req, const char *name);
/* Number of headers with this name (for duplicate checks). */
size_t emu_http_req_header_count(const emu_http_req *req, const char *name);

#define EMU_HTTP_MAX_RESP_HEADERS 32

typedef struct emu_http_resp {
    int status;
    emu_http_header headers[EMU_HTTP_MAX_RESP_HEADERS];
    size_t n_headers;
    emu_buf body;
    bool close; /* close the connection after sending */
} emu_http_resp;

/* Adds a response header; name and value are copied into `arena`. Headers
 * beyond EMU_HTTP_MAX_RESP_HEADERS are dropped (a programming error: asserts
 * in debug builds). Content-Length, Date and Connection are added by net. */
void emu_http_resp_header(emu_http_resp *resp, emu_arena *arena, const char *name,
                          const char *value);
/* Same with the lengths known and nothing copied: name and value must
 * outlive the response (static text, or the request's arena). For the
 * answer path, which adds several headers to every response. */
void emu_http_resp_header_ref(emu_http_resp *resp, emu_str name, emu_str value);
/* Value of a header already set on the response, or {NULL,0}. */
emu_str emu_http_resp_get_header(const emu_http_resp *resp, const char *name);
/* Sets status, a content type and a body in one call. */
void emu_http_resp_set(emu_http_resp *resp, emu_arena *arena, int status, const char *ctype,
                       const void *body, size_t len);
const char *emu_http_reason(int status);

#endif
