/* The admin API under /_emu/: health, reset, checkpoints, world export,
 * virtual clock. JSON in, JSON out. Guarded against web pages and other
 * hosts (emu_admin_guard below): loopback Host names only, no foreign
 * Origin, JSON bodies for calls that change state, and a bearer token when
 * acsemu was given one (required when it binds a non-loopback address). */
#ifndef EMU_ADMIN_H
#define EMU_ADMIN_H

#include "emu/dispatch.h"

extern const emu_service emu_admin_service;

#define EMU_ADMIN_MAX_ALLOW_HOSTS 16

/* Who may call /_emu/ (admin_guard.c has the reasoning). Borrowed strings
 * that outlive the server; emu_server.admin_guard NULL = all defaults. */
typedef struct emu_admin_guard {
    /* --allow-host: more Host names (or IP literals, IPv6 with or without
     * brackets) the admin API answers, compared case-insensitively and
     * exactly, besides localhost, *.localhost, 127.0.0.0/8 and [::1]. */
    const char *allow_hosts[EMU_ADMIN_MAX_ALLOW_HOSTS];
    size_t n_allow_hosts;
    const char *bind;  /* --bind; its address is an allowed Host unless a wildcard */
    const char *token; /* --admin-token; NULL = none needed. Never logged. */
    /* --metadata-listen's address: an allowed Host too (the SDKs send Host:
     * 100.100.100.200 to the metadata service); NULL = none. */
    const char *metadata_host;
} emu_admin_guard;

/* Checks one /_emu/ request against g (NULL = defaults), in this order:
 *  - 403 ForbiddenHost: a Host that is neither loopback, the bind address
 *    nor an allowed name (a missing Host, HTTP/1.0, passes);
 *  - 403 ForbiddenOrigin: an Origin other than http(s)://<Host>, or a
 *    Sec-Fetch-Site of cross-site/same-site (except a GET navigation);
 *  - 401 Unauthorized (with WWW-Authenticate): g->token set and no
 *    "Authorization: Bearer TOKEN" (GET of the console's files and of
 *    /_emu/health are exempt);
 *  - 415 UnsupportedMediaType: a method other than GET/HEAD without
 *    Content-Type: application/json.
 * Returns EMU_OK or the error set through emu_admin_error. */
emu_rc emu_admin_guard_check(const emu_admin_guard *g, emu_call *call);

/* The browser-facing half of that guard (Host, Origin, Sec-Fetch-Site; no
 * token, no content type), for the routes outside /_emu/ that hand secrets
 * to unsigned requests (the ECS metadata service, emu/ecs.h): NULL when
 * the request passes, else a static sentence saying why not. */
const char *emu_admin_guard_web(const emu_admin_guard *g, const emu_http_req *req);

/* True for 127.0.0.0/8 literals, ::1 and localhost: binding there keeps
 * the port on this machine; anything else needs an admin token. */
bool emu_admin_bind_is_loopback(const char *bind);

/* Admin routes added by later modules (decisions, simulate, faults...). A
 * route matches a method and a path prefix under /_emu/. */
typedef struct emu_admin_route {
    const char *method;
    const char *prefix;                              /* "/_emu/decisions" */
    emu_rc (*handler)(emu_call *call, emu_str rest); /* rest: path after prefix */
} emu_admin_route;
void emu_admin_add_route(const emu_admin_route *r);

/* Helpers for admin handlers: answer with a JSON document (takes ownership
 * of j) or an error {"error":{"code","message"}}. */
emu_rc emu_admin_json(emu_call *call, int status, cJSON *j);
emu_rc emu_admin_error(emu_call *call, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Parses the request body as a JSON object (NULL body → empty object). */
cJSON *emu_admin_body(emu_call *call);

/* The console page (admin_console.c): GET /_emu/ and GET /_emu/console/NAME,
 * static files embedded at build time. Its /_emu/ route is a prefix that
 * catches every GET no earlier route took (answering those with the usual
 * 404), so call this after every other emu_admin_add_route. */
void emu_admin_console_register(void);

/* acsemu as an OIDC test issuer (admin_oidc.c): POST /_emu/oidc/token
 * mints a signed token, GET /_emu/oidc[/NAME]/.well-known/openid-
 * configuration and /jwks serve the discovery document and the keys. */
void emu_admin_oidc_register(void);
/* acsemu as a SAML test IdP (admin_saml.c): POST /_emu/saml/assertion
 * mints a signed SAMLResponse, GET /_emu/saml/metadata?issuer=URL. */
void emu_admin_saml_register(void);
/* The credentials URI (admin_credentials.c): GET
 * /_emu/credentials/ACCOUNT/ROLE[?duration=S] mints a session of the role
 * and answers the JSON ALIBABA_CLOUD_CREDENTIALS_URI providers read. */
void emu_admin_credentials_register(void);

/* Tablestore rows for the console, read straight from the store
 * (admin_rows.c): GET /_emu/tables (instances and table schemas of every
 * account, with row counts) and GET /_emu/tables/ACCOUNT/INSTANCE/TABLE/rows
 * ?limit=N&start=TOKEN (one page in primary-key order; the answer's "Next"
 * is the TOKEN of the following page). */
void emu_admin_rows_register(void);

#endif
