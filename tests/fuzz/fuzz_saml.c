/* Fuzz harness for the SAML decoders (emulator/fed/fed_saml.c): the input is
 * taken as the XML of a SAMLResponse, base64-encoded as STS receives it,
 * and verified (fed_saml_verify: parse, signature shape, C14N, digest and
 * RSA checks, claims) against a test IdP's key; and as IdP metadata
 * (fed_saml_metadata_read). Any crash, sanitizer report or broken
 * invariant is a finding. The seeds include a valid signed response. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu/crypto.h"
#include "emu/fed.h"
#include "emu/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const fed_key *keys[1];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    emu_json_init();
    keys[0] = fed_issuer_key("https://idp.example.com/saml", true, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FED_MAX_SAML_ASSERTION_BYTES)
        return 0;
    emu_arena *a = emu_arena_new(0);
    char *b64 = emu_arena_alloc(a, (size + 2) / 3 * 4 + 1);
    size_t n = emu_base64_encode(data, size, b64);
    b64[n] = 0;
    fed_saml s;
    char why[256];
    fed_saml_fault f = fed_saml_verify(b64, n, keys, 1, a, &s, why, sizeof why);
    if (f == FED_SAML_OK) {
        assert(s.n_audiences <= FED_MAX_SAML_VALUES && s.n_roles <= FED_MAX_SAML_VALUES);
    } else {
        assert(why[0] != 0);
    }
    fed_saml_provider *p = calloc(1, sizeof *p);
    if (n <= FED_MAX_SAML_METADATA_BYTES && !fed_saml_metadata_read(p, b64))
        assert(p->entity_id && p->n_keys >= 1 && p->n_keys <= FED_MAX_SAML_CERTS);
    fed_saml_provider_free(p);
    emu_arena_free(a);
    return 0;
}
