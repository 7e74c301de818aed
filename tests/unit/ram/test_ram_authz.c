/* The authorize phase (emulator/dispatch/dispatch_authz.c) against a loaded
 * world, without the network: who gets which documents, the layered
 * decision (root rule, cross-account, session intersection), the --authz
 * modes and what a denial leaves in the call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/authz.h"
#include "emu/json.h"

typedef struct fixture {
    world_t *world;
    emu_arena *arena;
    emu_server server;
} fixture;

static int setup(void **state)
{
    static char path[1024];
    const char *src = getenv("EMU_SOURCE_DIR");
    emu_err err = {0};
    fixture *f = calloc(1, sizeof *f);

    snprintf(path, sizeof path, "%s/tests/fixtures/worlds/ram.json", src ? src : ".");
    if (world_load_file(path, &f->world, &err) != EMU_OK) {
        fprintf(stderr, "%s\n", err.msg);
        free(f);
        return -1;
    }
    f->arena = emu_arena_new(0);
    f->server.world = f->world;
    f->server.authz = EMU_AUTHZ_ENFORCE;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    world_free(f->world);
    emu_arena_free(f->arena);
    free(f);
    emu_authz_shutdown();
    return 0;
}

/* A call as authentication would leave it. */
static emu_call call_as(fixture *f, emu_principal_kind kind, const char *account, const char *name)
{
    emu_call c;
    memset(&c, 0, sizeof c);
    c.arena = f->arena;
    c.server = &f->server;
    c.world = f->world;
    c.principal.kind = kind;
    c.principal.account_id = account;
    c.principal.source_ip = "10.1.2.3";
    c.principal.access_key_id = "LTAIunit";
    world_account *a = world_account_find(f->world, account);
    if (kind == EMU_PRINCIPAL_USER) {
        c.principal.user = world_user_find(a, name);
        c.principal.display_name = name;
    } else if (kind == EMU_PRINCIPAL_SESSION) {
        c.principal.role = world_role_find(a, name);
        c.principal.display_name = name;
    }
    return c;
}

static emu_rc check(emu_call *c, const char *action, const char *resource)
{
    emu_authz_req req = {.action = action, .resource = resource};
    return emu_authz_check(c, &req);
}

static void root_rule_and_cross_account(void **state)
{
    fixture *f = *state;
    emu_call c = call_as(f, EMU_PRINCIPAL_ROOT, "12345", NULL);
    assert_int_equal(check(&c, "ram:CreateUser", "acs:ram::12345:user/x"), EMU_OK);
    assert_string_equal(c.decision, "allow");
    assert_int_equal(c.trace->layer, POLICY_LAYER_ROOT_RULE);

    /* Root of 12345 has no rights on account 56789's resources. */
    c = call_as(f, EMU_PRINCIPAL_ROOT, "12345", NULL);
    assert_int_equal(check(&c, "ots:GetRow", "acs:ots:cn-hangzhou:56789:instance/i/table/t"),
                     EMU_E_DENIED);
    assert_int_equal(c.trace->layer, POLICY_LAYER_CROSS_ACCOUNT);

    /* etl (56789) holds AdministratorAccess, which still never reaches 12345. */
    c = call_as(f, EMU_PRINCIPAL_USER, "56789", "etl");
    assert_int_equal(check(&c, "ots:GetRow", "acs:ots:cn-hangzhou:56789:instance/i/table/t"),
                     EMU_OK);
    c = call_as(f, EMU_PRINCIPAL_USER, "56789", "etl");
    assert_int_equal(check(&c, "ots:GetRow", "acs:ots:cn-hangzhou:12345:instance/i/table/t"),
                     EMU_E_DENIED);
    assert_int_equal(c.trace->layer, POLICY_LAYER_CROSS_ACCOUNT);
    assert_string_equal(c.err.code, "NoPermission");
    assert_int_equal(c.err.status, 403);
    assert_non_null(c.reason);
}

static void user_gets_own_and_group_documents(void **state)
{
    fixture *f = *state;
    world_account *a = world_account_find(f->world, "12345");
    const policy_doc_t *docs[8];

    /* boss: DenyDeleteUser (own, Custom) + AliyunRAMFullAccess (group admins). */
    size_t n = emu_authz_user_docs(a, world_user_find(a, "boss"), docs, 8);
    assert_int_equal(n, 2);
    assert_string_equal(policy_doc_name(docs[0]), "DenyDeleteUser");
    assert_string_equal(policy_doc_type(docs[0]), "Custom");
    assert_string_equal(policy_doc_version(docs[0]), "v1");
    assert_string_equal(policy_doc_name(docs[1]), "AliyunRAMFullAccess");
    /* The cap is respected. */
    assert_int_equal(emu_authz_user_docs(a, world_user_find(a, "boss"), docs, 1), 1);

    emu_call c = call_as(f, EMU_PRINCIPAL_USER, "12345", "boss");
    assert_int_equal(check(&c, "ram:CreateUser", "acs:ram::12345:user/x"), EMU_OK);
    c = call_as(f, EMU_PRINCIPAL_USER, "12345", "boss");
    assert_int_equal(check(&c, "ram:DeleteUser", "acs:ram::12345:user/x"), EMU_E_DENIED);
    assert_string_equal(c.denial->no_permission_type, "ExplicitDeny");
    assert_string_equal(c.denial->principal_type, "SubUser");
    assert_string_equal(c.denial->auth_action, "ram:DeleteUser");
    assert_string_equal(c.decision, "deny");
    assert_non_null(strstr(c.reason, "DenyDeleteUser"));
}

static void conditions_see_the_request(void **state)
{
    fixture *f = *state;
    world_account *a = world_account_find(f->world, "12345");
    world_user *alice = world_user_find(a, "alice");
    policy_doc_t *doc = NULL;
    emu_err err = {0};
    const char *text = "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
                       "\"ram:GetUser\",\"Resource\":\"*\",\"Condition\":{\"IpAddress\":{"
                       "\"acs:SourceIp\":\"10.0.0.0/8\"},\"Bool\":{\"acs:SecureTransport\":"
                       "\"true\"}}}]}";

    /* Give alice a Custom policy through the world, as the RAM API does. */
    assert_int_equal(policy_compile(text, strlen(text), POLICY_KIND_PERMISSION, &doc, &err),
                     EMU_OK);
    world_policy *p = calloc(1, sizeof *p);
    p->name = strdup("ip-bound");
    p->description = strdup("");
    p->versions = calloc(1, sizeof *p->versions);
    p->n_versions = 1;
    p->versions[0].id = strdup("v1");
    p->versions[0].document = strdup(text);
    p->versions[0].compiled = doc;
    a->policies = realloc(a->policies, (a->n_policies + 1) * sizeof *a->policies);
    a->policies[a->n_policies++] = p;
    alice->policies = realloc(alice->policies, (alice->n_policies + 1) * sizeof *alice->policies);
    alice->policies[alice->n_policies++] = (world_policy_ref){strdup("ip-bound"), false, 0};

    emu_call c = call_as(f, EMU_PRINCIPAL_USER, "12345", "alice");
    assert_int_equal(check(&c, "ram:GetUser", "acs:ram::12345:user/alice"), EMU_E_DENIED);
    c = call_as(f, EMU_PRINCIPAL_USER, "12345", "alice");
    c.principal.tls = true;
    assert_int_equal(check(&c, "ram:GetUser", "acs:ram::12345:user/alice"), EMU_OK);
    c = call_as(f, EMU_PRINCIPAL_USER, "12345", "alice");
    c.principal.tls = true;
    c.principal.source_ip = "192.168.1.1";
    assert_int_equal(check(&c, "ram:GetUser", "acs:ram::12345:user/alice"), EMU_E_DENIED);
}

static void sessions_intersect_and_cache(void **state)
{
    fixture *f = *state;
    const char *list_only = "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
                            "\"ram:List*\",\"Resource\":\"*\"}]}";

    for (int round = 0; round < 2; round++) {
        emu_call c = call_as(f, EMU_PRINCIPAL_SESSION, "12345", "Ops");
        c.principal.session_policy = list_only;
        assert_int_equal(check(&c, "ram:ListRoles", "acs:ram::12345:role/*"), EMU_OK);
        c = call_as(f, EMU_PRINCIPAL_SESSION, "12345", "Ops");
        c.principal.session_policy = list_only;
        assert_int_equal(check(&c, "ram:GetRole", "acs:ram::12345:role/ops"), EMU_E_DENIED);
        assert_int_equal(c.trace->layer, POLICY_LAYER_SESSION);
        assert_string_equal(c.denial->policy_type, "SessionPolicy");
        assert_string_equal(c.denial->principal_type, "AssumedRoleUser");
    }
    /* Without a session policy the role's AliyunRAMFullAccess decides. */
    emu_call c = call_as(f, EMU_PRINCIPAL_SESSION, "12345", "Ops");
    assert_int_equal(check(&c, "ram:GetRole", "acs:ram::12345:role/ops"), EMU_OK);
    /* A session policy that does not compile allows nothing. */
    c = call_as(f, EMU_PRINCIPAL_SESSION, "12345", "Ops");
    c.principal.session_policy = "{\"Version\":\"1\"";
    assert_int_equal(check(&c, "ram:ListRoles", "acs:ram::12345:role/*"), EMU_E_DENIED);
    assert_non_null(strstr(c.reason, "session policy does not compile"));
}

static void services_hold_no_permissions(void **state)
{
    fixture *f = *state;
    emu_call c = call_as(f, EMU_PRINCIPAL_SERVICE, "56789", NULL);
    assert_int_equal(check(&c, "ots:GetRow", "acs:ots:cn-hangzhou:56789:instance/i/table/t"),
                     EMU_E_DENIED);
    assert_string_equal(c.denial->principal_type, "Service");
}

static void audit_and_off_modes(void **state)
{
    fixture *f = *state;
    f->server.authz = EMU_AUTHZ_AUDIT;
    emu_call c = call_as(f, EMU_PRINCIPAL_USER, "12345", "auditor");
    assert_int_equal(check(&c, "ram:CreateUser", "acs:ram::12345:user/x"), EMU_OK);
    assert_string_equal(c.decision, "audit-deny");
    assert_non_null(strstr(c.reason, "AliyunRAMReadOnlyAccess"));
    assert_null(c.denial);

    f->server.authz = EMU_AUTHZ_OFF;
    c = call_as(f, EMU_PRINCIPAL_USER, "12345", "auditor");
    assert_int_equal(check(&c, "ram:CreateUser", "acs:ram::12345:user/x"), EMU_OK);
    assert_null(c.decision);
    assert_null(c.trace);
    f->server.authz = EMU_AUTHZ_ENFORCE;
}

static void second_decision_appends_to_the_trace(void **state)
{
    fixture *f = *state;
    emu_call c = call_as(f, EMU_PRINCIPAL_USER, "12345", "auditor");
    assert_int_equal(check(&c, "ram:ListUsers", "acs:ram::12345:user/*"), EMU_OK);
    policy_trace *first = c.trace;
    size_t evals = first->n_evals;
    assert_int_equal(check(&c, "ram:GetUser", "acs:ram::12345:user/alice"), EMU_OK);
    assert_ptr_equal(c.trace, first);
    assert_true(c.trace->n_evals > evals);
}

int main(void)
{
    emu_json_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(root_rule_and_cross_account),
        cmocka_unit_test(user_gets_own_and_group_documents),
        cmocka_unit_test(conditions_see_the_request),
        cmocka_unit_test(sessions_intersect_and_cache),
        cmocka_unit_test(services_hold_no_permissions),
        cmocka_unit_test(audit_and_off_modes),
        cmocka_unit_test(second_decision_appends_to_the_trace),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
