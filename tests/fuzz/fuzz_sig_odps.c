/* Fuzzes the ODPS canonical resource, string to sign and Authorization
 * parser. Input lines: method, path, query, Authorization, then
 * "name: value" headers. */
#include <stdint.h>
#include <string.h>

#include "emu/arena.h"
#include "emu/sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_H 64

static emu_str next_line(const char **p, const char *end)
{
    const char *s = *p;
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    const char *e = nl ? nl : end;
    *p = nl ? nl + 1 : end;
    return (emu_str){s, (size_t)(e - s)};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    emu_http_header h[MAX_H];
    emu_http_req req = {0};
    size_t n = 0;

    req.method = next_line(&p, end);
    req.path = next_line(&p, end);
    req.query = next_line(&p, end);
    emu_str authz = next_line(&p, end);
    while (p < end && n < MAX_H) {
        emu_str line = next_line(&p, end);
        const char *colon = memchr(line.p, ':', line.len);
        if (!colon)
            continue;
        h[n].name = (emu_str){line.p, (size_t)(colon - line.p)};
        h[n].value = (emu_str){colon + 1, line.len - h[n].name.len - 1};
        n++;
    }
    req.headers = h;
    req.n_headers = n;

    emu_arena *a = emu_arena_new(0);
    emu_err err = {0};
    emu_str out;
    sig_odps_auth auth;
    (void)sig_odps_canonical_resource(a, req.path, req.query, &out, &err);
    if (sig_odps_parse_auth(authz, &auth, &err) == EMU_OK)
        (void)sig_odps_verify(a, &req, &auth, EMU_STR_LIT("emulator-secret-a"), &out, &err);
    else
        (void)sig_odps_string_to_sign(a, &req, &out, &err);
    emu_arena_free(a);
    return 0;
}
