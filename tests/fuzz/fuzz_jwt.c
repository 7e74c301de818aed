/* Fuzz harness for the federation decoders (emulator/fed): the input is
 * decoded as a compact JWT (fed_jwt_decode, then signature verification
 * with a test issuer's key and the STS message of any fault) and, when it
 * parses as JSON, read as a JWKS (fed_jwks_read, as the world loader
 * does). Any crash, sanitizer report or broken invariant is a finding. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu/fed.h"
#include "emu/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static fed_key *key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    emu_json_init();
    key = fed_issuer_key("https://fuzz.example.com", true, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    emu_arena *a = emu_arena_new(0);
    fed_jwt t;
    char msg[160];
    fed_jwt_fault f = fed_jwt_decode((const char *)data, size, a, &t);
    if (f == FED_JWT_OK) {
        assert(t.alg != FED_ALG_NONE && t.signing_input_len < size);
        assert(t.n_aud <= FED_MAX_AUDIENCES);
        (void)fed_key_verify(key, &t);
    } else {
        fed_jwt_message(f, t.alg_name, msg, sizeof msg);
    }
    emu_err err = {0};
    cJSON *j = size < 65536 ? emu_json_parse((const char *)data, size, &err) : NULL;
    if (j) {
        fed_key *keys[FED_MAX_KEYS];
        size_t n = 0;
        if (fed_jwks_read(j, "$.JWKS", keys, &n, &err) == EMU_OK) {
            for (size_t i = 0; i < n; i++) {
                cJSON_Delete(fed_key_jwk(keys[i]));
                fed_key_free(keys[i]);
            }
        }
        cJSON_Delete(j);
    }
    emu_arena_free(a);
    return 0;
}
