/* Principal resolution, the STS token store and the replay cache
 * (emulator/auth/auth_*.c, emulator/world/world_session.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/auth.h"
#include "emu/clock.h"
#include "emu/json.h"

#define S(lit) ((emu_str){(lit), sizeof(lit) - 1})

/* Two accounts: root keys, a user with an active and an inactive key, a
 * role, and a service credential. */
static const char WORLD[] =
    "{\"Accounts\":[{\"AccountId\":\"12345\",\"AccountAlias\":\"a\","
    "\"AccessKeys\":[{\"AccessKeyId\":\"LTAIroot1\",\"AccessKeySecret\":\"s-root\"}],"
    "\"Users\":[{\"UserName\":\"etl\",\"AccessKeys\":["
    "{\"AccessKeyId\":\"LTAIuser1\",\"AccessKeySecret\":\"s-user\"},"
    "{\"AccessKeyId\":\"LTAIoff1\",\"AccessKeySecret\":\"s-off\",\"Status\":\"Inactive\"}]}],"
    "\"Roles\":[{\"RoleName\":\"Reader\",\"AssumeRolePolicyDocument\":{\"Version\":\"1\","
    "\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"RAM\":"
    "[\"acs:ram::56789:root\"]}}]}}]},"
    "{\"AccountId\":\"56789\",\"ServiceCredentials\":[{\"Service\":\"odps.aliyuncs.com\","
    "\"AccessKeyId\":\"LTAIodps1\",\"AccessKeySecret\":\"s-odps\"}]}]}";

typedef struct fixture {
    world_t *w;
    emu_arena *arena;
} fixture;

static world_t *load(const char *text)
{
    emu_err err = {0};
    world_t *w = NULL;
    cJSON *doc = emu_json_parse(text, strlen(text), &err);
    assert_non_null(doc);
    emu_rc rc = world_load_json(doc, "t.json", "/tmp", &w, &err);
    cJSON_Delete(doc);
    if (rc)
        fail_msg("%s", err.msg);
    return w;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->w = load(WORLD);
    f->arena = emu_arena_new(0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    world_free(f->w);
    emu_arena_free(f->arena);
    free(f);
    return 0;
}

static const world_session *issue(fixture *f, const char *session, int64_t now, int64_t dur)
{
    world_account *a = world_account_find(f->w, "12345");
    auth_session_request req = {
        a, world_role_find(a, "reader"), session, "acs:ram::56789:root", NULL, now, dur};
    const world_session *s = NULL;
    emu_err err = {0};
    assert_int_equal(auth_session_issue(f->w, &req, &s, &err), EMU_OK);
    return s;
}

/* --- principals ------------------------------------------------------------ */

static void resolves_long_term_keys(void **state)
{
    fixture *f = *state;
    emu_principal p = {0};
    auth_failure why;
    emu_err err = {0};

    assert_int_equal(auth_resolve(f->w, S("LTAIroot1"), EMU_STR_NULL, 0, f->arena, &p, &why, &err),
                     EMU_OK);
    assert_int_equal(p.kind, EMU_PRINCIPAL_ROOT);
    assert_string_equal(p.arn, "acs:ram::12345:root");
    assert_string_equal(p.secret, "s-root");

    memset(&p, 0, sizeof p);
    assert_int_equal(auth_resolve(f->w, S("LTAIuser1"), EMU_STR_NULL, 0, f->arena, &p, &why, &err),
                     EMU_OK);
    assert_int_equal(p.kind, EMU_PRINCIPAL_USER);
    assert_string_equal(p.arn, "acs:ram::12345:user/etl");
    assert_string_equal(p.user->name, "etl");

    memset(&p, 0, sizeof p);
    assert_int_equal(auth_resolve(f->w, S("LTAIodps1"), EMU_STR_NULL, 0, f->arena, &p, &why, &err),
                     EMU_OK);
    assert_int_equal(p.kind, EMU_PRINCIPAL_SERVICE);
    assert_string_equal(p.arn, "56789@odps.aliyuncs.com");

    assert_int_equal(auth_resolve(f->w, S("LTAInone"), EMU_STR_NULL, 0, f->arena, &p, &why, &err),
                     EMU_E_AUTH);
    assert_int_equal(why, AUTH_KEY_NOT_FOUND);
    assert_int_equal(auth_resolve(f->w, S("LTAIoff1"), EMU_STR_NULL, 0, f->arena, &p, &why, &err),
                     EMU_E_AUTH);
    assert_int_equal(why, AUTH_KEY_INACTIVE);
    /* An empty token is no token. */
    assert_int_equal(auth_resolve(f->w, S("LTAIuser1"), S(""), 0, f->arena, &p, &why, &err),
                     EMU_OK);
    assert_int_equal(auth_resolve(f->w, S("LTAIuser1"), S("CAISjunk"), 0, f->arena, &p, &why, &err),
                     EMU_E_AUTH);
    assert_int_equal(why, AUTH_TOKEN_MALFORMED);
}

static void resolves_sessions_and_checks_tokens(void **state)
{
    fixture *f = *state;
    int64_t now = 1800000000000LL;
    const world_session *s1 = issue(f, "one", now, 3600 * 1000);
    const world_session *s2 = issue(f, "two", now, 900 * 1000);
    emu_principal p = {0};
    auth_failure why;
    emu_err err = {0};
    char ak1[64], tok1[128], ak2[64], tok2[128];

    snprintf(ak1, sizeof ak1, "%s", s1->access_key_id);
    snprintf(tok1, sizeof tok1, "%s", s1->token);
    snprintf(ak2, sizeof ak2, "%s", s2->access_key_id);
    snprintf(tok2, sizeof tok2, "%s", s2->token);
    assert_int_equal(strncmp(ak1, "STS.", 4), 0);
    assert_int_equal(strlen(ak1), 28);
    assert_int_equal(strncmp(tok1, "CAIS", 4), 0);
    assert_int_equal(strlen(s1->secret), 40);
    assert_int_equal(s1->expire_ms % 1000, 0);

    assert_int_equal(
        auth_resolve(f->w, emu_str_c(ak1), emu_str_c(tok1), now + 1000, f->arena, &p, &why, &err),
        EMU_OK);
    assert_int_equal(p.kind, EMU_PRINCIPAL_SESSION);
    assert_string_equal(p.arn, "acs:ram::12345:assumed-role/reader/one");
    assert_string_equal(p.session_name, "one");
    assert_string_equal(p.source_arn, "acs:ram::56789:root");
    assert_string_equal(p.role->name, "Reader");

    struct {
        const char *ak, *tok;
        int64_t at;
        auth_failure want;
    } cases[] = {
        {ak1, "", now, AUTH_TOKEN_MISSING},
        {ak1, tok2, now, AUTH_TOKEN_MISMATCH},
        {"LTAIuser1", tok1, now, AUTH_TOKEN_MISMATCH},
        {ak1, "CAISnot-a-token", now, AUTH_TOKEN_MALFORMED},
        {"STS.unknown", "", now, AUTH_KEY_NOT_FOUND},
        {"STS.unknown", tok1, now, AUTH_TOKEN_MISMATCH},
        {ak2, tok2, now + 900 * 1000, AUTH_TOKEN_EXPIRED},
        {ak1, tok1, now + 3600 * 1000 + 1000, AUTH_TOKEN_EXPIRED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        why = AUTH_OK;
        assert_int_equal(auth_resolve(f->w, emu_str_c(cases[i].ak), emu_str_c(cases[i].tok),
                                      cases[i].at, f->arena, &p, &why, &err),
                         EMU_E_AUTH);
        if (why != cases[i].want)
            fail_msg("case %zu: %s, want %s", i, auth_failure_name(why),
                     auth_failure_name(cases[i].want));
    }
    /* A tampered token: one character changed. */
    tok1[10] = tok1[10] == 'A' ? 'B' : 'A';
    assert_int_equal(
        auth_resolve(f->w, emu_str_c(ak1), emu_str_c(tok1), now, f->arena, &p, &why, &err),
        EMU_E_AUTH);
    assert_int_equal(why, AUTH_TOKEN_MALFORMED);
}

/* issue 15: expired sessions are collected; their tokens still say
 * "expired" (the expiry is sealed in the token), a changed byte does not. */
static void collected_session_token_still_expired(void **state)
{
    fixture *f = *state;
    const world_session *s = issue(f, "gone", 0, 900 * 1000);
    char ak[64], tok[128];
    emu_principal p = {0};
    auth_failure why;
    emu_err err = {0};
    snprintf(ak, sizeof ak, "%s", s->access_key_id);
    snprintf(tok, sizeof tok, "%s", s->token);
    assert_int_equal(auth_token_expiry(emu_str_c(tok)), 900 * 1000);
    assert_true(world_session_expire(f->w, 900 * 1000 + 1) >= 1);
    assert_null(world_session_find(f->w, ak, strlen(ak)));
    assert_int_equal(
        auth_resolve(f->w, emu_str_c(ak), emu_str_c(tok), 901 * 1000, f->arena, &p, &why, &err),
        EMU_E_AUTH);
    assert_int_equal(why, AUTH_TOKEN_EXPIRED);
    for (size_t i = 4; i < strlen(tok) - 2; i += 7) {
        char t[128];
        snprintf(t, sizeof t, "%s", tok);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        assert_int_equal(auth_token_expiry(emu_str_c(t)), -1);
        assert_int_equal(
            auth_resolve(f->w, emu_str_c(ak), emu_str_c(t), 901 * 1000, f->arena, &p, &why, &err),
            EMU_E_AUTH);
        assert_int_equal(why, AUTH_TOKEN_MALFORMED);
    }
}

static void deleted_role_invalidates_sessions(void **state)
{
    fixture *f = *state;
    const world_session *s = issue(f, "x", 0, 3600 * 1000);
    char ak[64], tok[128];
    emu_principal p = {0};
    auth_failure why;
    emu_err err = {0};
    snprintf(ak, sizeof ak, "%s", s->access_key_id);
    snprintf(tok, sizeof tok, "%s", s->token);

    /* Pretend the role was re-created: same name, another id. */
    world_role *r = world_role_find(world_account_find(f->w, "12345"), "Reader");
    char *old = r->id;
    r->id = (char *)"999";
    assert_int_equal(auth_resolve(f->w, emu_str_c(ak), emu_str_c(tok), 1, f->arena, &p, &why, &err),
                     EMU_E_AUTH);
    assert_int_equal(why, AUTH_TOKEN_MALFORMED);
    r->id = old;
    assert_int_equal(auth_resolve(f->w, emu_str_c(ak), emu_str_c(tok), 1, f->arena, &p, &why, &err),
                     EMU_OK);
    /* DeleteRole revokes. */
    assert_int_equal(world_session_revoke_role(f->w, "12345", "READER"), 1);
    assert_null(world_session_find(f->w, ak, strlen(ak)));
    assert_null(world_session_find_token(f->w, tok, strlen(tok)));
}

/* --- token store ----------------------------------------------------------- */

static void store_adds_finds_expires_and_round_trips(void **state)
{
    fixture *f = *state;
    emu_err err = {0};
    char name[16];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "s%d", i);
        issue(f, name, 1000000, (i + 1) * 1000);
    }
    assert_int_equal(world_session_count(f->w), 100);
    for (size_t i = 0; i < 100; i++) {
        const world_session *s = world_session_at(f->w, i);
        assert_ptr_equal(world_session_find(f->w, s->access_key_id, strlen(s->access_key_id)), s);
        assert_ptr_equal(world_session_find_token(f->w, s->token, strlen(s->token)), s);
    }
    /* Duplicates are refused. */
    world_session dup = *world_session_at(f->w, 0);
    assert_int_equal(world_session_add(f->w, &dup, NULL, &err), EMU_E_EXISTS);
    dup.access_key_id = (char *)"LTAIuser1";
    assert_int_equal(world_session_add(f->w, &dup, NULL, &err), EMU_E_INVALID);
    dup.access_key_id = (char *)"STS.fresh";
    assert_int_equal(world_session_add(f->w, &dup, NULL, &err), EMU_E_EXISTS); /* token */

    /* Export → load gives the same sessions. */
    cJSON *doc = world_export(f->w);
    char *text = cJSON_PrintUnformatted(doc);
    world_t *copy = load(text);
    assert_int_equal(world_session_count(copy), 100);
    cJSON *doc2 = world_export(copy);
    char *text2 = cJSON_PrintUnformatted(doc2);
    assert_string_equal(text, text2);
    world_t *clone = world_clone(copy);
    assert_int_equal(world_session_count(clone), 100);
    world_free(clone);
    world_free(copy);
    cJSON_Delete(doc);
    cJSON_Delete(doc2);
    free(text);
    free(text2);

    /* Expiry: sessions that ended before the cut-off go, the rest stay
     * findable. (Expirations are 1000000 + (i+1)*1000 ms.) */
    assert_int_equal(world_session_expire(f->w, 1000000 + 50500), 50);
    assert_int_equal(world_session_count(f->w), 50);
    for (size_t i = 0; i < 50; i++) {
        const world_session *s = world_session_at(f->w, i);
        assert_true(s->expire_ms >= 1000000 + 50500);
        assert_ptr_equal(world_session_find(f->w, s->access_key_id, strlen(s->access_key_id)), s);
    }
    /* More adds after removals still index correctly. */
    const world_session *n = issue(f, "late", 2000000, 1000);
    assert_ptr_equal(world_session_find(f->w, n->access_key_id, strlen(n->access_key_id)), n);
}

static void load_rejects_bad_sessions(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"\"Sessions\":[{\"AccessKeyId\":\"LTAIx\",\"AccessKeySecret\":\"s\",\"SecurityToken\":"
         "\"t\",\"AccountId\":\"1\",\"RoleName\":\"r\",\"RoleSessionName\":\"n\",\"Expiration\":"
         "\"2030-01-01T00:00:00Z\"}]",
         "$.Sessions[0]: session AccessKeyId \"LTAIx\" does not start with \"STS.\""},
        {"\"Sessions\":[{\"AccessKeyId\":\"STS.x\",\"AccessKeySecret\":\"s\",\"SecurityToken\":"
         "\"t\",\"AccountId\":\"2\",\"RoleName\":\"r\",\"RoleSessionName\":\"n\",\"Expiration\":"
         "\"2030-01-01T00:00:00Z\"}]",
         "$.Sessions[0]: \"AccountId\" names no account of this world"},
        {"\"Sessions\":[{\"AccessKeyId\":\"STS.x\",\"Bogus\":\"1\"}]",
         "$.Sessions[0]: unknown field \"Bogus\""},
        {"\"Sessions\":[{\"AccessKeyId\":\"STS.x\"}]",
         "$.Sessions[0]: \"Expiration\" must be an ISO-8601 UTC time like 2026-01-01T00:00:00Z"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, "{\"Accounts\":[{\"AccountId\":\"1\"}],%s}", bad[i][0]);
        emu_err err = {0};
        world_t *w = NULL;
        cJSON *doc = emu_json_parse(text, strlen(text), &err);
        assert_int_equal(world_load_json(doc, NULL, "/tmp", &w, &err), EMU_E_INVALID);
        cJSON_Delete(doc);
        assert_null(w);
        assert_string_equal(err.msg, bad[i][1]);
    }
}

/* --- nonce cache ----------------------------------------------------------- */

#define NEW AUTH_NONCE_NEW
#define REPLAY AUTH_NONCE_REPLAY
#define TOO_OLD AUTH_NONCE_TOO_OLD

/* Signed timestamps are "now" here: only the window is under test. */
static auth_nonce_verdict seen(auth_nonce_cache *c, const char *ak, const char *nonce, int64_t now)
{
    return auth_nonce_check_and_record(c, emu_str_c(ak), emu_str_c(nonce), now, now);
}

static void nonce_replay_window(void **state)
{
    (void)state;
    auth_nonce_cache *c = auth_nonce_cache_new(1024, 1000);
    assert_int_equal(seen(c, "ak", "n1", 0), NEW);
    assert_int_equal(seen(c, "ak", "n1", 10), REPLAY);
    /* Per key: the same nonce under another key is new. */
    assert_int_equal(seen(c, "ak2", "n1", 10), NEW);
    /* ("a", "kn1") is not ("ak", "n1"). */
    assert_int_equal(seen(c, "a", "kn1", 10), NEW);
    /* Still remembered until at least ttl after recording... */
    assert_int_equal(seen(c, "ak", "n1", 999), REPLAY);
    assert_int_equal(seen(c, "ak", "n1", 1500), REPLAY);
    /* ...and forgotten after 2 ttl, with a floor at what was forgotten: the
     * old request stays refused, a new one with the same nonce is taken. */
    assert_int_equal(auth_nonce_check_and_record(c, S("ak"), S("n1"), 10, 2500), TOO_OLD);
    assert_int_equal(auth_nonce_cache_floor_ms(c), 10);
    assert_int_equal(seen(c, "ak", "n1", 2500), NEW);
    assert_int_equal(seen(c, "ak", "n1", 2600), REPLAY);
    auth_nonce_cache_clear(c);
    assert_int_equal(auth_nonce_cache_size(c), 0);
    assert_int_equal(seen(c, "ak", "n1", 2700), NEW);
    auth_nonce_cache_free(c);
}

static void nonce_memory_is_bounded(void **state)
{
    (void)state;
    auth_nonce_cache *c = auth_nonce_cache_new(1000, 60000); /* rounds to 1024 */
    char n[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(n, sizeof n, "nonce-%d", i);
        assert_int_equal(auth_nonce_check_and_record(c, S("ak"), emu_str_c(n), 1000 + i, 5), NEW);
        assert_true(auth_nonce_cache_size(c) <= 1024);
    }
    /* The most recent ones are still known (the last half-capacity at
     * least). */
    for (int i = 100000 - 500; i < 100000; i++) {
        snprintf(n, sizeof n, "nonce-%d", i);
        assert_int_equal(auth_nonce_check_and_record(c, S("ak"), emu_str_c(n), 1000 + i, 6),
                         REPLAY);
    }
    auth_nonce_cache_free(c);
}

/* issue 15: a full cache evicted a 33-second-old request, which then
 * replayed. Every forgotten request must stay refused. */
static void nonce_pressure_never_admits_replay(void **state)
{
    (void)state;
    auth_nonce_cache *c = auth_nonce_cache_new(64, 60000);
    char n[32];
    assert_int_equal(auth_nonce_check_and_record(c, S("victim"), S("captured"), 1000, 1), NEW);
    for (int i = 0; i < 200; i++) {
        snprintf(n, sizeof n, "flood-%d", i);
        assert_int_equal(auth_nonce_check_and_record(c, S("ak"), emu_str_c(n), 2000 + i, 2), NEW);
    }
    assert_true(auth_nonce_cache_floor_ms(c) > 1000);
    assert_int_equal(auth_nonce_check_and_record(c, S("victim"), S("captured"), 1000, 3), TOO_OLD);
    /* Signed at the newest forgotten instant: possibly that very request. */
    int64_t floor = auth_nonce_cache_floor_ms(c);
    assert_int_equal(auth_nonce_check_and_record(c, S("ak"), S("fresh"), floor, 3), TOO_OLD);
    assert_int_equal(auth_nonce_check_and_record(c, S("ak"), S("fresh"), floor + 1, 3), NEW);
    assert_int_equal(auth_nonce_check_and_record(c, S("ak"), S("fresh"), floor + 1, 3), REPLAY);
    /* Every flood request is refused one way or the other. */
    for (int i = 0; i < 200; i++) {
        snprintf(n, sizeof n, "flood-%d", i);
        assert_int_not_equal(auth_nonce_check_and_record(c, S("ak"), emu_str_c(n), 2000 + i, 4),
                             NEW);
    }
    auth_nonce_cache_free(c);
}

int main(void)
{
    emu_json_init();
    emu_rand_seed(7);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(resolves_long_term_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(resolves_sessions_and_checks_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(deleted_role_invalidates_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(collected_session_token_still_expired, setup, teardown),
        cmocka_unit_test_setup_teardown(store_adds_finds_expires_and_round_trips, setup, teardown),
        cmocka_unit_test(load_rejects_bad_sessions),
        cmocka_unit_test(nonce_replay_window),
        cmocka_unit_test(nonce_memory_is_bounded),
        cmocka_unit_test(nonce_pressure_never_admits_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
