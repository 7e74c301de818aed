/* The console page: GET /_emu/ answers index.html and GET /_emu/console/NAME
 * the other static files. The files live in emulator/admin/console/ as plain
 * HTML, CSS and JavaScript and are embedded into the binary at build time
 * (console_embed.cmake), so the page works offline and needs no build step.
 *
 * Every answer carries a strict Content-Security-Policy: scripts, styles and
 * fetches only from acsemu itself, no inline script or style, no frames, no
 * forms. The page only reads the admin API (/_emu/world, /_emu/tables,
 * /_emu/decisions) and renders text nodes, never markup built from data. */
#include <string.h>

#include "admin_console_int.h"
#include "emu/admin.h"

static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
                          "form-action 'none'; frame-ancestors 'none'";

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static const char *content_type(const char *name)
{
    if (ends_with(name, ".html"))
        return "text/html; charset=utf-8";
    if (ends_with(name, ".css"))
        return "text/css; charset=utf-8";
    if (ends_with(name, ".js"))
        return "text/javascript; charset=utf-8";
    if (ends_with(name, ".svg"))
        return "image/svg+xml";
    return "application/octet-stream";
}

static const admin_console_asset *asset_find(emu_str name)
{
    for (size_t i = 0; i < admin_console_n_assets; i++)
        if (emu_str_eq_c(name, admin_console_assets[i].name))
            return &admin_console_assets[i];
    return NULL;
}

static emu_rc send_asset(emu_call *call, const admin_console_asset *a)
{
    emu_http_resp *r = call->resp;
    if (!a) /* can't happen: module.cmake embeds index.html */
        return emu_admin_error(call, 500, "InternalError", "console asset missing");
    emu_http_resp_set(r, call->arena, 200, content_type(a->name), a->data, a->len);
    emu_http_resp_header(r, call->arena, "Content-Security-Policy", csp);
    emu_http_resp_header(r, call->arena, "X-Content-Type-Options", "nosniff");
    emu_http_resp_header(r, call->arena, "Referrer-Policy", "no-referrer");
    emu_http_resp_header(r, call->arena, "X-Frame-Options", "DENY");
    /* The files change with the binary; revalidating costs nothing locally. */
    emu_http_resp_header(r, call->arena, "Cache-Control", "no-cache");
    return EMU_OK;
}

/* GET /_emu/console[/NAME]: "" and "/" are the page itself. */
static emu_rc console_asset(emu_call *call, emu_str rest)
{
    if (rest.len <= 1)
        return send_asset(call, asset_find(EMU_STR_LIT("index.html")));
    const admin_console_asset *a = asset_find((emu_str){rest.p + 1, rest.len - 1});
    if (!a)
        return emu_admin_error(call, 404, "NotFound", "the console has no file %.*s",
                               (int)(rest.len > 100 ? 100 : rest.len), rest.p);
    return send_asset(call, a);
}

/* GET /_emu/ exactly. Admin routes match by prefix, so this one (prefix
 * "/_emu/") sees every GET that no earlier route took: anything but the
 * bare prefix gets the admin API's usual 404. */
static emu_rc console_index(emu_call *call, emu_str rest)
{
    if (rest.len == 0)
        return send_asset(call, asset_find(EMU_STR_LIT("index.html")));
    return emu_admin_error(
        call, 404, "NotFound",
        "no admin endpoint GET %.*s; see GET /_emu/ (console), GET /_emu/health, "
        "POST /_emu/reset, POST /_emu/checkpoints/NAME[/restore], GET /_emu/world, "
        "GET|POST /_emu/clock",
        (int)(call->req->path.len > 200 ? 200 : call->req->path.len), call->req->path.p);
}

void emu_admin_console_register(void)
{
    static const emu_admin_route assets = {"GET", "/_emu/console", console_asset};
    static const emu_admin_route index = {"GET", "/_emu/", console_index};
    emu_admin_add_route(&assets);
    emu_admin_add_route(&index);
}
