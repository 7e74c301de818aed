/* The admin plane's guard (emu/admin.h): who may call /_emu/.
 *
 * The admin API can wipe the world (reset, restore), move the clock and
 * read every AccessKeySecret (GET /_emu/world). Its callers are test
 * harnesses, curl and the console page; its attackers are web pages in the
 * user's browser, which can send requests to 127.0.0.1 from any origin:
 *  - cross-site requests (CSRF): a form POST or fetch(no-cors) with a
 *    text/plain body needs no preflight, so the server itself must refuse
 *    it. Browsers name the page in Origin; a non-JSON Content-Type is the
 *    other tell (415), since application/json is never "simple" and costs
 *    a preflight that acsemu never grants (it sends no CORS headers);
 *  - DNS rebinding: a page on evil.example re-resolves its own name to
 *    127.0.0.1 and reads the answers as same-origin. Its requests still say
 *    Host: evil.example, so the Host must be a name only this machine can
 *    mean: localhost, *.localhost (RFC 6761, which browsers resolve to
 *    loopback themselves), a 127.0.0.0/8 or [::1] literal, the address
 *    acsemu is bound to, or a name the user allowed (--allow-host);
 *  - other machines, once acsemu binds a non-loopback address: they need
 *    the --admin-token (Authorization: Bearer), compared in constant time.
 * Only /_emu/ is guarded: the cloud APIs answer SDKs whatever Host they send
 * (sts.aliyuncs.com, cap1.localhost...), and their requests are signed.
 *
 * Order of the checks: Host, Origin, Sec-Fetch-Site (403); token (401);
 * Content-Type of a state-changing call (415). Errors name the reason and
 * what to do, never the token. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "emu/admin.h"
#include "emu/crypto.h"

static const emu_admin_guard default_guard; /* loopback only, no token */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A dotted-quad IPv4 literal (each part 0-255, decimal, 1-3 digits) whose
 * first part is 127. Browsers normalise other spellings (127.1, 0x7f.1)
 * to this form before they send a Host. */
static bool is_ipv4_loopback(emu_str h)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        unsigned v = 0;
        size_t digits = 0;
        while (i < h.len && is_digit(h.p[i]) && digits < 4) {
            v = v * 10 + (unsigned)(h.p[i] - '0');
            i++;
            digits++;
        }
        if (digits == 0 || digits > 3 || v > 255 || (part == 0 && v != 127))
            return false;
        if (part < 3) {
            if (i >= h.len || h.p[i] != '.')
                return false;
            i++;
        }
    }
    return i == h.len;
}

/* localhost or LABEL(.LABEL)*.localhost, letters, digits and '-'. */
static bool is_localhost_name(emu_str h)
{
    static const char suffix[] = ".localhost";
    const size_t sl = sizeof suffix - 1;
    if (emu_str_ieq_c(h, "localhost"))
        return true;
    if (h.len <= sl || strncasecmp(h.p + h.len - sl, suffix, sl) != 0)
        return false;
    for (size_t i = 0; i < h.len - sl; i++) {
        char c = h.p[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
                  (c == '.' && i > 0 && h.p[i - 1] != '.');
        if (!ok)
            return false;
    }
    return h.p[h.len - sl - 1] != '.';
}

/* host without brackets vs a configured name, which may be bracketed. */
static bool name_matches(emu_str host, const char *name)
{
    size_t n = strlen(name);
    if (n >= 2 && name[0] == '[' && name[n - 1] == ']') {
        name++;
        n -= 2;
    }
    return n > 0 && host.len == n && strncasecmp(host.p, name, n) == 0;
}

bool emu_admin_bind_is_loopback(const char *bind)
{
    emu_str b = emu_str_c(bind);
    return is_ipv4_loopback(b) || name_matches(b, "::1") || emu_str_ieq_c(b, "localhost");
}

/* Splits a Host value into the host (without brackets) and checks the
 * port is digits. False on a malformed value. */
static bool split_host(emu_str v, emu_str *host)
{
    const char *port = NULL;
    if (v.len > 0 && v.p[0] == '[') {
        const char *close = memchr(v.p, ']', v.len);
        if (!close)
            return false;
        *host = (emu_str){v.p + 1, (size_t)(close - v.p - 1)};
        size_t after = (size_t)(close + 1 - v.p);
        if (after < v.len) {
            if (v.p[after] != ':')
                return false;
            port = v.p + after;
        }
    } else {
        const char *colon = memchr(v.p, ':', v.len);
        *host = (emu_str){v.p, colon ? (size_t)(colon - v.p) : v.len};
        port = colon;
    }
    if (port) {
        size_t n = (size_t)(v.p + v.len - port) - 1;
        if (n == 0 || n > 5)
            return false;
        for (size_t i = 1; i <= n; i++)
            if (!is_digit(port[i]))
                return false;
    }
    return host->len > 0;
}

static bool host_allowed(const emu_admin_guard *g, emu_str host)
{
    if (is_localhost_name(host) || is_ipv4_loopback(host) || emu_str_ieq_c(host, "::1"))
        return true;
    /* The bound address, unless it is a wildcard: 0.0.0.0 in a Host is how
     * pages reached loopback services before browsers blocked it. */
    if (g->bind && strcmp(g->bind, "0.0.0.0") != 0 && strcmp(g->bind, "::") != 0 &&
        name_matches(host, g->bind))
        return true;
    if (g->metadata_host && name_matches(host, g->metadata_host))
        return true;
    for (size_t i = 0; i < g->n_allow_hosts; i++)
        if (name_matches(host, g->allow_hosts[i]))
            return true;
    return false;
}

/* Origin must be http(s)://<the request's own Host>. */
static bool origin_is_own(emu_str origin, emu_str host_value)
{
    emu_str rest;
    if (emu_str_istarts(origin, "http://"))
        rest = (emu_str){origin.p + 7, origin.len - 7};
    else if (emu_str_istarts(origin, "https://"))
        rest = (emu_str){origin.p + 8, origin.len - 8};
    else
        return false;
    return rest.len == host_value.len && strncasecmp(rest.p, host_value.p, rest.len) == 0;
}

/* "application/json", any case, optionally followed by parameters. */
static bool is_json_type(emu_str ct)
{
    static const char want[] = "application/json";
    const size_t n = sizeof want - 1;
    while (ct.len && (*ct.p == ' ' || *ct.p == '\t')) {
        ct.p++;
        ct.len--;
    }
    if (ct.len < n || strncasecmp(ct.p, want, n) != 0)
        return false;
    return ct.len == n || ct.p[n] == ';' || ct.p[n] == ' ' || ct.p[n] == '\t';
}

/* Constant time in the token's content: both sides are hashed first, so
 * not even the length of the expected token leaks. */
static bool token_ok(const char *token, emu_str auth)
{
    static const char scheme[] = "Bearer ";
    const size_t sl = sizeof scheme - 1;
    if (auth.len <= sl || strncasecmp(auth.p, scheme, sl) != 0)
        return false;
    uint8_t want[EMU_SHA256_LEN], got[EMU_SHA256_LEN];
    emu_sha256(token, strlen(token), want);
    emu_sha256(auth.p + sl, auth.len - sl, got);
    return emu_ct_equal(want, sizeof want, got, sizeof got);
}

/* The console's own files and the health probe work without the token:
 * the page has to load before it can ask for it, and a container's health
 * check should not need a secret. Neither says anything about the world
 * beyond counts. */
static bool token_exempt(const emu_http_req *req, bool get)
{
    emu_str p = req->path;
    return get && (emu_str_eq_c(p, "/_emu/") || emu_str_eq_c(p, "/_emu/health") ||
                   emu_str_starts(p, "/_emu/console/") || emu_str_eq_c(p, "/_emu/console"));
}

/* The browser-facing checks: Host, Origin, Sec-Fetch-Site. */
typedef enum web_fault { WEB_OK, WEB_HOST, WEB_ORIGIN, WEB_FETCH_SITE } web_fault;

static web_fault web_check(const emu_admin_guard *g, const emu_http_req *req)
{
    emu_str host_value = emu_http_req_header(req, "host");
    emu_str host;
    /* HTTP/1.0 clients may leave Host out; no browser does. */
    if (host_value.p && (!split_host(host_value, &host) || !host_allowed(g, host)))
        return WEB_HOST;
    emu_str origin = emu_http_req_header(req, "origin");
    if (origin.p && (!host_value.p || !origin_is_own(origin, host_value)))
        return WEB_ORIGIN;
    bool get = emu_str_eq_c(req->method, "GET") || emu_str_eq_c(req->method, "HEAD");
    /* Browsers without Origin on a cross-site GET still say where it came
     * from; a link the user follows (a top-level navigation) can go. */
    emu_str site = emu_http_req_header(req, "sec-fetch-site");
    if ((emu_str_ieq_c(site, "cross-site") || emu_str_ieq_c(site, "same-site")) &&
        !(get && emu_str_ieq_c(emu_http_req_header(req, "sec-fetch-mode"), "navigate")))
        return WEB_FETCH_SITE;
    return WEB_OK;
}

const char *emu_admin_guard_web(const emu_admin_guard *g, const emu_http_req *req)
{
    switch (web_check(g ? g : &default_guard, req)) {
    case WEB_HOST:
        return "the Host is not a name of this machine (localhost, *.localhost, 127.0.0.1, "
               "[::1], the --bind or --metadata-listen address, an --allow-host name): a DNS "
               "rebinding web page would look like this";
    case WEB_ORIGIN:
    case WEB_FETCH_SITE:
        return "a web page of another origin sent it (Origin or Sec-Fetch-Site)";
    default:
        return NULL;
    }
}

emu_rc emu_admin_guard_check(const emu_admin_guard *g, emu_call *call)
{
    const emu_http_req *req = call->req;
    if (!g)
        g = &default_guard;
    emu_str host_value = emu_http_req_header(req, "host");
    emu_str origin = emu_http_req_header(req, "origin");
    emu_str site = emu_http_req_header(req, "sec-fetch-site");
    switch (web_check(g, req)) {
    case WEB_HOST:
        return emu_admin_error(
            call, 403, "ForbiddenHost",
            "the admin API answers only requests for this machine (Host localhost, *.localhost, "
            "127.0.0.1 or [::1], or the --bind address); Host \"%.*s\" is none of them (a DNS "
            "rebinding page would look like this). To allow that name, start acsemu with "
            "--allow-host NAME",
            (int)(host_value.len > 100 ? 100 : host_value.len), host_value.p);
    case WEB_ORIGIN:
        return emu_admin_error(
            call, 403, "ForbiddenOrigin",
            "the admin API does not answer requests from web pages of another origin (Origin "
            "\"%.*s\"); only the console page at /_emu/ may call it from a browser",
            (int)(origin.len > 100 ? 100 : origin.len), origin.p);
    case WEB_FETCH_SITE:
        return emu_admin_error(call, 403, "ForbiddenOrigin",
                               "the admin API does not answer requests from web pages of another "
                               "origin (Sec-Fetch-Site: %.*s)",
                               (int)site.len, site.p);
    case WEB_OK:
        break;
    }
    bool get = emu_str_eq_c(req->method, "GET") || emu_str_eq_c(req->method, "HEAD");

    if (g->token && !token_exempt(req, get) &&
        !token_ok(g->token, emu_http_req_header(req, "authorization")))
        return emu_admin_error(call, 401, "Unauthorized",
                               "the admin API needs the token acsemu was started with "
                               "(--admin-token or ACSEMU_ADMIN_TOKEN): send Authorization: Bearer "
                               "TOKEN");

    if (!get && !is_json_type(emu_http_req_header(req, "content-type")))
        return emu_admin_error(call, 415, "UnsupportedMediaType",
                               "admin calls that change state take Content-Type: "
                               "application/json (even with an empty body), so that no web page "
                               "can send them");
    return EMU_OK;
}
