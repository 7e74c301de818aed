/* Fuzzes the Tablestore x-ots-* canonicaliser, request verification (V2
 * and V4) and the response signature. Input: first line = operation, then
 * "name: value" header lines. */
#include <stdint.h>
#include <string.h>

#include "emu/arena.h"
#include "emu/sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_H 128

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    emu_http_header h[MAX_H];
    size_t n = 0;
    emu_str op = EMU_STR_NULL;
    bool first = true;

    while (p < end && n < MAX_H) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        emu_str line = {p, (size_t)((nl ? nl : end) - p)};
        p = nl ? nl + 1 : end;
        if (first) {
            op = line;
            first = false;
            continue;
        }
        const char *colon = memchr(line.p, ':', line.len);
        if (!colon)
            continue;
        h[n].name = (emu_str){line.p, (size_t)(colon - line.p)};
        h[n].value = (emu_str){colon + 1, line.len - h[n].name.len - 1};
        n++;
    }

    emu_arena *a = emu_arena_new(0);
    emu_err err = {0};
    emu_str sts, authz;
    sig_ots_result r;
    (void)sig_ots_string_to_sign(a, op, h, n, &sts, &err);
    if (sig_ots_verify(a, op, h, n, EMU_STR_LIT("emulator-secret-a"), &r, &err) != EMU_E_INVALID)
        (void)sig_ots_response_authorization(a, op, h, n, EMU_STR_LIT("ak"), r.response_key, &authz,
                                             &err);
    (void)sig_ots_check_content_md5(op.p, op.len, op, &err);
    emu_arena_free(a);
    return 0;
}
