/* Unit tests of emulator/fed: fed_jwt_decode's accepted forms and faults,
 * a signed token's round trip through a test issuer's key and its JWKS,
 * and the checks of OIDC provider fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/crypto.h"
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

/* --- SAML ----------------------------------------------------------------- */

static char *b64_of(emu_arena *a, const char *s)
{
    char *o = emu_arena_alloc(a, (strlen(s) + 2) / 3 * 4 + 1);
    o[emu_base64_encode((const uint8_t *)s, strlen(s), o)] = 0;
    return o;
}

static char *xml_of(emu_arena *a, const char *b64)
{
    size_t n = strlen(b64), len = 0;
    uint8_t *o = emu_arena_alloc(a, n + 1);
    assert_true(emu_base64_decode(b64, n, o, n, &len));
    o[len] = 0;
    return (char *)o;
}

/* s with the first `from` replaced by `to`, in the arena. */
static char *replace(emu_arena *a, const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    assert_non_null(p);
    return emu_arena_sprintf(a, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
}

static void saml_verify(void **state)
{
    (void)state;
    emu_arena *a = emu_arena_new(0);
    const char *idp = "https://unit.example.com/saml";
    assert_non_null(fed_issuer_key(idp, true, NULL));
    const char *roles[1] = {"acs:ram::1:role/r,acs:ram::1:saml-provider/p"};
    fed_saml_mint_req r = {.issuer = idp,
                           .subject = "alice",
                           .audience = "urn:alibaba:cloudcomputing",
                           .recipient = "https://signin.aliyun.com/saml-role/sso",
                           .roles = roles,
                           .n_roles = 1,
                           .session_name = "alice",
                           .now_ms = 1700000000000,
                           .lifetime_s = 300};
    char *tok = fed_saml_mint(&r, a);
    assert_non_null(tok);

    fed_saml_provider *p = calloc(1, sizeof *p);
    assert_null(fed_saml_metadata_read(p, b64_of(a, fed_saml_idp_metadata(idp, a))));
    assert_string_equal(p->entity_id, idp);
    assert_int_equal(p->n_keys, 1);
    const fed_key *const *keys = (const fed_key *const *)p->keys;

    fed_saml s;
    char why[256];
    assert_int_equal(fed_saml_verify(tok, strlen(tok), keys, 1, a, &s, why, sizeof why),
                     FED_SAML_OK);
    assert_string_equal(s.issuer, idp);
    assert_string_equal(s.subject, "alice");
    assert_int_equal(s.n_roles, 1);
    assert_string_equal(s.roles[0], roles[0]);
    assert_string_equal(s.session_name, "alice");
    assert_int_equal(s.not_on_or_after, 1700000300000);

    const char *xml = xml_of(a, tok);
    /* Content changed after signing. */
    const char *bad = b64_of(a, replace(a, xml, ">alice<", ">mallory<"));
    assert_int_equal(fed_saml_verify(bad, strlen(bad), keys, 1, a, &s, why, sizeof why),
                     FED_SAML_SIGNATURE);
    assert_non_null(strstr(why, "digest"));
    /* No signature at all. */
    const char *sig_start = strstr(xml, "<ds:Signature"), *sig_end = strstr(xml, "</ds:Signature>");
    const char *nosig = b64_of(a, emu_arena_sprintf(a, "%.*s%s", (int)(sig_start - xml), xml,
                                                    sig_end + strlen("</ds:Signature>")));
    assert_int_equal(fed_saml_verify(nosig, strlen(nosig), keys, 1, a, &s, why, sizeof why),
                     FED_SAML_SIGNATURE);
    /* A duplicated ID (a second element claiming the signed ID). */
    const char *id_at = strstr(xml, "<saml:Assertion ID=\"") + strlen("<saml:Assertion ID=\"");
    char id[64];
    snprintf(id, sizeof id, "%.*s", (int)(strchr(id_at, '"') - id_at), id_at);
    const char *dup =
        b64_of(a, replace(a, xml, "<samlp:Status>",
                          emu_arena_sprintf(a, "<samlp:Extensions ID=\"%s\"/><samlp:Status>", id)));
    assert_int_equal(fed_saml_verify(dup, strlen(dup), keys, 1, a, &s, why, sizeof why),
                     FED_SAML_SIGNATURE);
    assert_non_null(strstr(why, "not unique"));
    /* Another key. */
    fed_key *other = fed_issuer_key("https://other.example.com", true, NULL);
    const fed_key *okeys[1] = {other};
    assert_int_equal(fed_saml_verify(tok, strlen(tok), okeys, 1, a, &s, why, sizeof why),
                     FED_SAML_SIGNATURE);
    /* Malformed: a DOCTYPE, not XML, not base64, oversize. */
    const char *dtd = b64_of(a, emu_arena_concat(a, "<!DOCTYPE x [<!ENTITY e \"v\">]>", xml, NULL));
    assert_int_equal(fed_saml_verify(dtd, strlen(dtd), keys, 1, a, &s, why, sizeof why),
                     FED_SAML_MALFORMED);
    const char *junk = b64_of(a, "<samlp:Response");
    assert_int_equal(fed_saml_verify(junk, strlen(junk), keys, 1, a, &s, why, sizeof why),
                     FED_SAML_MALFORMED);
    assert_int_equal(fed_saml_verify("!!!!", 4, keys, 1, a, &s, why, sizeof why),
                     FED_SAML_MALFORMED);
    assert_int_equal(
        fed_saml_verify(tok, FED_MAX_SAML_ASSERTION_BYTES + 1, keys, 1, a, &s, why, sizeof why),
        FED_SAML_MALFORMED);
    /* Metadata faults. */
    assert_non_null(fed_saml_metadata_read(p, b64_of(a, "<x/>")));
    assert_non_null(fed_saml_metadata_read(p, "not base64!"));
    assert_string_equal(p->entity_id, idp); /* unchanged by a refused read */
    fed_saml_provider_free(p);
    emu_arena_free(a);
}

int main(void)
{
    emu_json_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jwt_faults),       cmocka_unit_test(jwt_claims),
        cmocka_unit_test(sign_verify_jwks), cmocka_unit_test(provider_fields),
        cmocka_unit_test(saml_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
