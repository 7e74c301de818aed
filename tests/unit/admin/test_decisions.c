/* The decision ring (admin_decisions.c) without the network: records are
 * made by emu_authz_check through the hooks, as in the server; ids, wrap
 * around, capacity 0, clearing, filters, records that outlive the world,
 * a batch of checks, the bundle replaying to the same decision, the
 * simulator, and coverage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/decision.h"
#include "emu/json.h"

typedef struct fixture {
    world_t *world;
    emu_arena *arena;
    emu_server server;
} fixture;

static world_t *load(void)
{
    char path[1024];
    const char *src = getenv("EMU_SOURCE_DIR");
    emu_err err = {0};
    world_t *w = NULL;
    snprintf(path, sizeof path, "%s/tests/fixtures/worlds/ram.json", src ? src : ".");
    if (world_load_file(path, &w, &err) != EMU_OK)
        fprintf(stderr, "%s\n", err.msg);
    return w;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    emu_json_init();
    f->world = load();
    if (!f->world)
        return -1;
    f->arena = emu_arena_new(0);
    f->server.world = f->world;
    f->server.authz = EMU_AUTHZ_ENFORCE;
    f->server.decision_hooks = &emu_decision_hooks_default;
    f->server.decisions = emu_decisions_new(3);
    f->server.coverage = emu_coverage_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    emu_decisions_free(f->server.decisions);
    emu_coverage_free(f->server.coverage);
    world_free(f->world);
    emu_arena_free(f->arena);
    free(f);
    emu_authz_shutdown();
    return 0;
}

static emu_call call_as(fixture *f, const char *user)
{
    emu_call c;
    memset(&c, 0, sizeof c);
    c.arena = f->arena;
    c.server = &f->server;
    c.world = f->world;
    c.principal.kind = EMU_PRINCIPAL_USER;
    c.principal.account_id = "12345";
    c.principal.source_ip = "10.1.2.3";
    c.principal.access_key_id = "LTAIunit";
    c.principal.arn = emu_arena_sprintf(f->arena, "acs:ram::12345:user/%s", user);
    c.principal.user = world_user_find(world_account_find(f->world, "12345"), user);
    c.principal.display_name = user;
    snprintf(c.request_id, sizeof c.request_id, "req-%s", user);
    return c;
}

static emu_rc check(emu_call *c, const char *action, const char *resource)
{
    emu_authz_req req = {.action = action, .resource = resource};
    return emu_authz_check(c, &req);
}

static const char *jstr(const cJSON *o, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

static void ids_count_up_and_wrap(void **state)
{
    fixture *f = *state;
    emu_decisions *r = f->server.decisions;
    for (int i = 0; i < 5; i++) {
        emu_call c = call_as(f, "auditor");
        assert_int_equal(check(&c, "ram:GetUser", "acs:ram::12345:user/x"), EMU_OK);
        char want[16];
        snprintf(want, sizeof want, "d-%d", i + 1);
        assert_string_equal(c.decision_id, want);
    }
    assert_int_equal(emu_decisions_total(r), 5);
    assert_int_equal(emu_decisions_count(r), 3);
    assert_null(emu_decisions_find(r, "d-1"));
    assert_null(emu_decisions_find(r, "d-2"));
    assert_non_null(emu_decisions_find(r, "d-3"));
    assert_string_equal(emu_decision_id(emu_decisions_at(r, 0)), "d-5");
    assert_string_equal(emu_decision_id(emu_decisions_at(r, 2)), "d-3");
    assert_null(emu_decisions_at(r, 3));
    assert_null(emu_decisions_find(r, "d-6"));
    assert_null(emu_decisions_find(r, "x-3"));
    assert_null(emu_decisions_find(r, "d-3x"));

    emu_decisions_clear(r);
    assert_int_equal(emu_decisions_count(r), 0);
    assert_null(emu_decisions_find(r, "d-5"));
    emu_call c = call_as(f, "auditor");
    check(&c, "ram:GetUser", "acs:ram::12345:user/x");
    assert_string_equal(c.decision_id, "d-6"); /* ids keep counting */
    assert_int_equal(emu_decisions_count(r), 1);
}

static void capacity_zero_keeps_nothing(void **state)
{
    fixture *f = *state;
    emu_decisions *saved = f->server.decisions;
    f->server.decisions = emu_decisions_new(0);
    emu_call c = call_as(f, "alice");
    assert_int_equal(check(&c, "ram:CreateUser", "acs:ram::12345:user/x"), EMU_E_DENIED);
    assert_null(c.decision_id);
    assert_null(c.record);
    assert_int_equal(emu_decisions_count(f->server.decisions), 0);
    /* The denial still carries its self-contained diagnostic. */
    assert_non_null(c.denial->encoded_diagnostic_message);
    cJSON *m = emu_authz_diagnostic_decode(c.denial->encoded_diagnostic_message);
    assert_non_null(m);
    assert_string_equal(jstr(m, "AuthAction"), "ram:CreateUser");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "ExplicitDeny")));
    cJSON_Delete(m);
    assert_null(emu_authz_diagnostic_decode("not base64!"));
    assert_null(emu_authz_diagnostic_decode("AAAA"));
    emu_decisions_free(f->server.decisions);
    f->server.decisions = saved;
}

static void denial_record_explains(void **state)
{
    fixture *f = *state;
    emu_call c = call_as(f, "boss");
    assert_int_equal(check(&c, "ram:DeleteUser", "acs:ram::12345:user/x"), EMU_E_DENIED);
    const emu_decision *d = emu_decisions_find(f->server.decisions, c.decision_id);
    assert_non_null(d);
    assert_true(emu_decision_denied(d));
    assert_false(emu_decision_would_deny(d));
    assert_int_equal(emu_decision_result(d), POLICY_EXPLICIT_DENY);
    assert_true(emu_decision_matches(d, "acs:ram::12345:user/boss", "ram:deleteuser"));
    assert_true(emu_decision_matches(d, "LTAIunit", NULL));
    assert_false(emu_decision_matches(d, "acs:ram::12345:user/alice", NULL));
    assert_false(emu_decision_matches(d, NULL, "ram:CreateUser"));

    cJSON *j = emu_decision_to_json(d, true);
    assert_string_equal(jstr(j, "decision"), "ExplicitDeny");
    assert_string_equal(jstr(j, "decidingLayer"), "identity-policy");
    assert_string_equal(jstr(j, "outcome"), "deny");
    assert_string_equal(jstr(j, "requestId"), "req-boss");
    const cJSON *ds = cJSON_GetObjectItemCaseSensitive(j, "decidingStatement");
    assert_string_equal(jstr(ds, "policy"), "DenyDeleteUser");
    assert_string_equal(jstr(ds, "pointer"), "/Statement/0");
    assert_string_equal(jstr(ds, "effect"), "Deny");
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(j, "context");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(
                            cJSON_GetObjectItemCaseSensitive(ctx, "acs:SourceIp"), 0)),
                        "10.1.2.3");
    assert_non_null(strstr(jstr(j, "reason"), "DenyDeleteUser"));
    cJSON_Delete(j);

    /* An implicit deny names the closest statement and what did not match. */
    c = call_as(f, "builder");
    assert_int_equal(check(&c, "ram:CreateRole", "acs:ram::12345:role/db-admin"), EMU_E_DENIED);
    d = emu_decisions_find(f->server.decisions, c.decision_id);
    j = emu_decision_to_json(d, true);
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(j, "closestStatement");
    assert_string_equal(jstr(cs, "policy"), "CreateRolesOnly");
    const cJSON *mm = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cs, "mismatch"), 0);
    assert_string_equal(jstr(mm, "element"), "Resource");
    assert_string_equal(jstr(mm, "actual"), "acs:ram::12345:role/db-admin");
    cJSON_Delete(j);
}

/* Records hold their documents: the world may go away. */
static void records_outlive_the_world(void **state)
{
    fixture *f = *state;
    emu_call c = call_as(f, "boss");
    check(&c, "ram:DeleteUser", "acs:ram::12345:user/x");
    char id[24];
    snprintf(id, sizeof id, "%s", c.decision_id);
    world_free(f->world);
    f->world = load();
    f->server.world = f->world;
    const emu_decision *d = emu_decisions_find(f->server.decisions, id);
    assert_non_null(d);
    cJSON *j = emu_decision_to_json(d, true);
    assert_string_equal(jstr(cJSON_GetObjectItemCaseSensitive(j, "decidingStatement"), "policy"),
                        "DenyDeleteUser");
    cJSON_Delete(j);
    cJSON *b = emu_decision_bundle(d);
    bool allowed = true;
    emu_err err = {0};
    cJSON *r = emu_decision_replay(b, NULL, &allowed, &err);
    assert_non_null(r);
    assert_false(allowed);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "sameDecision")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "sameReason")));
    cJSON_Delete(r);
    /* Against the (reloaded) world: the same policies, the same answer. */
    r = emu_decision_replay(b, f->world, &allowed, &err);
    assert_non_null(r);
    assert_false(allowed);
    assert_string_equal(jstr(r, "decision"), "ExplicitDeny");
    cJSON_Delete(r);
    cJSON_Delete(b);
}

/* Audit mode: a batch whose first check would be denied stays a
 * would-deny even when a later check allows. */
static void audit_batch_keeps_the_first_refusal(void **state)
{
    fixture *f = *state;
    f->server.authz = EMU_AUTHZ_AUDIT;
    emu_call c = call_as(f, "builder");
    assert_int_equal(check(&c, "ram:CreateRole", "acs:ram::12345:role/db"), EMU_OK);
    assert_int_equal(check(&c, "ram:CreateRole", "acs:ram::12345:role/app-1"), EMU_OK);
    f->server.authz = EMU_AUTHZ_ENFORCE;
    assert_string_equal(c.decision, "audit-deny");
    assert_non_null(strstr(c.reason, "role/db"));
    const emu_decision *d = emu_decisions_find(f->server.decisions, c.decision_id);
    assert_true(emu_decision_would_deny(d));
    assert_false(emu_decision_denied(d));
    cJSON *j = emu_decision_to_json(d, true);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "checks")), 2);
    assert_string_equal(jstr(j, "outcome"), "would-deny");
    assert_string_equal(jstr(j, "resource"), "acs:ram::12345:role/db");
    cJSON_Delete(j);
}

static void simulator_agrees_with_enforcement(void **state)
{
    fixture *f = *state;
    emu_call c = call_as(f, "builder");
    check(&c, "ram:CreateRole", "acs:ram::12345:role/db-admin");
    const char *vals[] = {"10.1.2.3"};
    const char *ak[] = {"LTAIunit"};
    policy_ckey keys[] = {{"acs:SourceIp", vals, 1}, {"acs:AccessId", ak, 1}};
    emu_sim_req req = {.principal = "acs:ram::12345:user/builder",
                       .action = "ram:CreateRole",
                       .resource = "acs:ram::12345:role/db-admin",
                       .keys = keys,
                       .n_keys = 2};
    bool allowed = true;
    emu_err err = {0};
    cJSON *j = emu_decision_simulate(f->world, &req, &allowed, &err);
    assert_non_null(j);
    assert_false(allowed);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "simulated")));
    assert_string_equal(jstr(j, "reason"), c.reason);
    cJSON_Delete(j);

    /* A policy not in the world, evaluated as one more identity policy. */
    const char *text = "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\","
                       "\"Action\":\"ram:CreateRole\",\"Resource\":\"*\"}]}";
    policy_doc_t *doc = NULL;
    assert_int_equal(policy_compile(text, strlen(text), POLICY_KIND_PERMISSION, &doc, &err), 0);
    req.policy = doc;
    j = emu_decision_simulate(f->world, &req, &allowed, &err);
    assert_true(allowed);
    cJSON_Delete(j);
    policy_doc_free(doc);

    req.principal = "acs:ram::12345:user/nobody";
    assert_null(emu_decision_simulate(f->world, &req, &allowed, &err));
    assert_int_equal(err.rc, EMU_E_NOT_FOUND);
    req.principal = "bogus";
    assert_null(emu_decision_simulate(f->world, &req, &allowed, &err));
    assert_int_equal(err.rc, EMU_E_INVALID);
    /* Nothing simulated lands in the live ring. */
    assert_int_equal(emu_decisions_count(f->server.decisions), 1);
}

static void coverage_counts_statements(void **state)
{
    fixture *f = *state;
    emu_coverage_clear(f->server.coverage);
    emu_call c = call_as(f, "builder");
    check(&c, "ram:CreateRole", "acs:ram::12345:role/app-1");
    c = call_as(f, "builder");
    check(&c, "ram:CreateRole", "acs:ram::12345:role/app-2");
    cJSON *j = emu_coverage_to_json(f->server.coverage, f->world);
    const cJSON *p;
    bool seen = false;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(j, "policies"))
    {
        if (strcmp(jstr(p, "policy"), "CreateRolesOnly") != 0)
            continue;
        const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p, "statements"), 0);
        assert_int_equal(cJSON_GetObjectItemCaseSensitive(s, "matched")->valueint, 2);
        assert_int_equal(cJSON_GetObjectItemCaseSensitive(s, "decided")->valueint, 2);
        seen = true;
    }
    assert_true(seen);
    /* ram.json's role Ops trusts someone nobody presented. */
    assert_true(
        cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "trustPrincipalsNeverUsed")) > 0);
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(ids_count_up_and_wrap, setup, teardown),
        cmocka_unit_test_setup_teardown(capacity_zero_keeps_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(denial_record_explains, setup, teardown),
        cmocka_unit_test_setup_teardown(records_outlive_the_world, setup, teardown),
        cmocka_unit_test_setup_teardown(audit_batch_keeps_the_first_refusal, setup, teardown),
        cmocka_unit_test_setup_teardown(simulator_agrees_with_enforcement, setup, teardown),
        cmocka_unit_test_setup_teardown(coverage_counts_statements, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
