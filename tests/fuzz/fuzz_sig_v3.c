/* Fuzzes the V3 Authorization parser and the canonical request. Input:
 * lines "authorization\nquery\nname: value\n...\n\nbody" — the first line is
 * the Authorization value, the second the raw query, then headers until an
 * empty line, then the body. */
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
    emu_http_req req = {.method = EMU_STR_LIT("POST"), .path = EMU_STR_LIT("/")};
    size_t n = 0;

    emu_str authz = next_line(&p, end);
    req.query = next_line(&p, end);
    while (p < end && n < MAX_H) {
        emu_str line = next_line(&p, end);
        if (line.len == 0)
            break;
        const char *colon = memchr(line.p, ':', line.len);
        if (!colon)
            continue;
        h[n].name = (emu_str){line.p, (size_t)(colon - line.p)};
        h[n].value = (emu_str){colon + 1, line.len - h[n].name.len - 1};
        n++;
    }
    req.headers = h;
    req.n_headers = n;
    req.body = (const uint8_t *)p;
    req.body_len = (size_t)(end - p);

    emu_arena *a = emu_arena_new(0);
    sig_v3_auth auth;
    sig_v3_canon canon;
    emu_err err = {0};
    if (sig_v3_parse_auth(a, authz, &auth, &err) == EMU_OK) {
        (void)sig_v3_missing_header(&auth, &req);
        if (sig_v3_verify(a, &req, &auth, EMU_STR_LIT("emulator-secret-b"), &canon, &err) !=
                EMU_OK &&
            err.rc == EMU_OK)
            __builtin_trap(); /* an error must fill the carrier */
    }
    emu_arena_free(a);
    return 0;
}
