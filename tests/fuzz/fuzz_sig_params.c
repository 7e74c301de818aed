/* Fuzzes RPC parameter collection and the V1 canonical forms: the input is
 * "query\0body" (no NUL: all query); every parsed set is canonicalised and
 * verified, and the percent codec must round-trip each name. */
#include <stdint.h>
#include <string.h>

#include "emu/arena.h"
#include "emu/sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    emu_arena *a = emu_arena_new(0);
    const char *p = (const char *)data;
    const char *nul = memchr(p, '\0', size);
    emu_str query = {p, nul ? (size_t)(nul - p) : size};
    emu_str body = nul ? (emu_str){nul + 1, size - query.len - 1} : EMU_STR_NULL;
    sig_params params;
    emu_err err = {0};

    if (sig_params_parse(a, query, body, &params, &err) == EMU_OK) {
        emu_str sts;
        (void)sig_v1_verify(a, EMU_STR_LIT("GET"), &params, EMU_STR_LIT("emulator-secret-b"), &sts,
                            &err);
        for (size_t i = 0; i < params.n; i++) {
            emu_str enc = sig_pct_encode(a, params.v[i].name);
            emu_str dec;
            if (sig_pct_decode(a, enc, false, &dec, &err) != EMU_OK ||
                !emu_str_eq(dec, params.v[i].name))
                __builtin_trap(); /* pct must round-trip */
            /* Names are unique, so lookup by a NUL-free name finds this one. */
            if (!memchr(params.v[i].name.p, 0, params.v[i].name.len) &&
                sig_params_find(&params, params.v[i].name.p) != &params.v[i])
                __builtin_trap();
        }
    }
    emu_arena_free(a);
    return 0;
}
