/* Unit tests of emulator/fed: fed_jwt_decode's accepted forms and faults,
 * a signed token's round trip through a test issuer's key and its JWKS,
 * and the checks of OIDC provider fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "emu/fed.h"
#include "emu/json.h"

static char *b64(emu_arena *a, const char *json)
{
    return fed_b64url(a, (const uint8_t *)json, strlen(json));
}

static fed_jwt_fault decode(emu_arena *a, const char *tok, fed_jwt *t)
{
    return fed_jwt_decode(tok, strlen(tok), a, t);
}

static void jwt_faults(void **state)
{
    (void)state;
    emu_arena *a = emu_arena_new(0);
    fed_jwt t;
    char msg[160];
    assert_int_equal(decode(a, "", &t), FED_JWT_EMPTY);
    assert_int_equal(decode(a, "a.b", &t), FED_JWT_PARTS);
    assert_int_equal(decode(a, "a.b.c.d", &t), FED_JWT_PARTS);
    assert_int_equal(decode(a, ".b.c", &t), FED_JWT_PARTS);
    assert_int_equal(decode(a, "a*.b.c", &t), FED_JWT_BASE64);
    char *tok = emu_arena_sprintf(a, "%s.%s.c2ln", b64(a, "{\"alg\":\"HS256\"}"), b64(a, "{}"));
    assert_int_equal(decode(a, tok, &t), FED_JWT_ALG);
    assert_string_equal(fed_jwt_message(FED_JWT_ALG, t.alg_name, msg, sizeof msg),
                        "The algorithm HS256 that be specified in Jwt header is unknown.");
    tok = emu_arena_sprintf(a, "%s.%s.c2ln", b64(a, "{\"alg\":\"RS256\"}"), b64(a, "{\"aud\":1}"));
    assert_int_equal(decode(a, tok, &t), FED_JWT_CONTENT);
    tok = emu_arena_sprintf(a, "%s.%s.c2ln", b64(a, "{\"alg\":\"RS256\"}"), b64(a, "[1]"));
    assert_int_equal(decode(a, tok, &t), FED_JWT_CONTENT);
    tok = emu_arena_sprintf(a, "%s.%s.c2ln", b64(a, "{\"alg\":\"RS256\"}"),
                            b64(a, "{\"exp\":\"tomorrow\"}"));
    assert_int_equal(decode(a, tok, &t), FED_JWT_CONTENT);
    emu_arena_free(a);
}

static void jwt_claims(void **state)
{
    (void)state;
    emu_arena *a = emu_arena_new(0);
    fed_jwt t;
    char *tok = emu_arena_sprintf(
        a, "%s.%s.c2ln==", b64(a, "{\"alg\":\"RS384\",\"kid\":\"k1\"}"),
        b64(a, "{\"iss\":\"https://i\",\"sub\":\"s\",\"aud\":[\"a\",\"b\"],\"exp\":2e9,"
               "\"nbf\":1.9,\"iat\":100,\"extra\":{\"x\":1}}"));
    assert_int_equal(decode(a, tok, &t), FED_JWT_OK);
    assert_int_equal(t.alg, FED_ALG_RS384);
    assert_string_equal(t.kid, "k1");
    assert_string_equal(t.iss, "https://i");
    assert_int_equal(t.n_aud, 2);
    assert_string_equal(t.aud[1], "b");
    assert_true(t.has_exp && t.has_nbf && t.has_iat);
    assert_int_equal(t.exp, 2000000000);
    assert_int_equal(t.nbf, 1);
    assert_int_equal(t.sig_len, 3);
    assert_int_equal(t.signing_input_len, (size_t)(strrchr(tok, '.') - tok));
    emu_arena_free(a);
}

static void sign_verify_jwks(void **state)
{
    (void)state;
    emu_arena *a = emu_arena_new(0);
    bool created;
    fed_key *k = fed_issuer_key("https://unit.example.com", true, &created);
    assert_non_null(k);
    assert_true(created);
    assert_ptr_equal(fed_issuer_key("https://unit.example.com", true, &created), k);
    assert_false(created);
    cJSON *h = cJSON_Parse("{\"alg\":\"RS256\"}");
    cJSON *p = cJSON_Parse("{\"sub\":\"me\",\"aud\":\"x\"}");
    char *tok = fed_issuer_sign("https://unit.example.com", h, p, a);
    assert_non_null(tok);
    assert_null(fed_issuer_sign("https://nobody.example.com", h, p, a));
    fed_jwt t;
    assert_int_equal(decode(a, tok, &t), FED_JWT_OK);
    assert_true(fed_key_verify(k, &t));

    /* The JWK read back verifies too; a changed payload does not. */
    cJSON *jwks = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(jwks, "keys"), fed_key_jwk(k));
    fed_key *keys[FED_MAX_KEYS];
    size_t n;
    emu_err err = {0};
    assert_int_equal(fed_jwks_read(jwks, "$.JWKS", keys, &n, &err), EMU_OK);
    assert_int_equal(n, 1);
    assert_string_equal(fed_key_kid(keys[0]), fed_key_kid(k));
    assert_true(fed_key_verify(keys[0], &t));
    /* The payload's first character changed (still base64url). */
    char *forged = emu_arena_strdup(a, tok);
    char *pl = strchr(forged, '.') + 1;
    pl[0] = pl[0] == 'e' ? 'f' : 'e';
    fed_jwt t2;
    if (decode(a, forged, &t2) == FED_JWT_OK)
        assert_false(fed_key_verify(keys[0], &t2));
    fed_key_free(keys[0]);

    cJSON *bad = cJSON_Parse("{\"keys\":[{\"kty\":\"EC\"}]}");
    assert_int_equal(fed_jwks_read(bad, "$.JWKS", keys, &n, &err), EMU_E_INVALID);
    assert_non_null(strstr(err.msg, "$.JWKS.keys[0]"));
    cJSON_Delete(bad);
    cJSON_Delete(jwks);
    cJSON_Delete(h);
    cJSON_Delete(p);
    fed_issuers_free();
    emu_arena_free(a);
}

static void provider_fields(void **state)
{
    (void)state;
    assert_null(fed_oidc_name_problem("ack-rrsa.c0123"));
    assert_non_null(fed_oidc_name_problem("bad name"));
    assert_non_null(fed_oidc_name_problem(""));
    assert_null(fed_oidc_issuer_problem("https://token.actions.githubusercontent.com"));
    assert_non_null(fed_oidc_issuer_problem("ftp://x"));
    assert_null(fed_oidc_fingerprint_problem("6938fd4d98bab03faadb97b34396831e3780aea1"));
    assert_non_null(fed_oidc_fingerprint_problem("6938fd4d"));
    assert_non_null(fed_oidc_client_id_problem("a b"));
    char **v;
    assert_int_equal(fed_split_list("a,b,c", &v, 5), 3);
    assert_string_equal(v[2], "c");
    fed_free_list(v, 3);
    assert_int_equal(fed_split_list("a,,c", &v, 5), -1);
    assert_int_equal(fed_split_list("a,b", &v, 1), -1);
}

int main(void)
{
    emu_json_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jwt_faults),
        cmocka_unit_test(jwt_claims),
        cmocka_unit_test(sign_verify_jwks),
        cmocka_unit_test(provider_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
