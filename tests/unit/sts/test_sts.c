/* STS without the network: the AssumeRole parameter checks (sts_params.c)
 * and the AssumeRole decision (sts__assume_authorize) for every trust
 * principal form of ram-policy.md §3.4 against every kind of caller, on
 * tests/fixtures/worlds/sts.json. */
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
#include "emu/sts.h"
#include "sts_int.h"

/* --- parameters ------------------------------------------------------------ */

static void role_arn_forms(void **state)
{
    (void)state;
    sts_role_arn a;

    assert_true(sts__parse_role_arn("acs:ram::12345:role/aliyunodpsroleforotheruser", &a));
    assert_string_equal(a.account, "12345");
    assert_string_equal(a.role, "aliyunodpsroleforotheruser");
    assert_true(sts__parse_role_arn("acs:ram::1:role/Mixed.Case@x_y-z", &a));
    assert_string_equal(a.role, "Mixed.Case@x_y-z");
    char longest[128];
    snprintf(longest, sizeof longest, "acs:ram::12345:role/%064d", 0);
    assert_true(sts__parse_role_arn(longest, &a));
    assert_int_equal(strlen(a.role), 64);

    static const char *const bad[] = {
        "",
        "acs:ram::12345:role/",
        "acs:ram::12345:role/a/b",
        "acs:ram::12345:role/a b",
        "acs:ram::12345:user/alice",
        "acs:ram::12345:root",
        "acs:ram:cn-hangzhou:12345:role/x",
        "acs:ram::abc:role/x",
        "acs:ram:::role/x",
        "acs:ram::-1:role/x",
        "ACS:RAM::12345:role/x",
        "acs:ram::12345:Role/x",
        "acs:ram::123456789012345678901234567890123:role/x", /* 33 digits */
        "acs:ram::12345:role/x\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (sts__parse_role_arn(bad[i], &a))
            fail_msg("accepted %s", bad[i]);
    }
    snprintf(longest, sizeof longest, "acs:ram::12345:role/%065d", 0);
    assert_false(sts__parse_role_arn(longest, &a));
    assert_false(sts__parse_role_arn(NULL, &a));
}

static void session_name_external_id_duration(void **state)
{
    (void)state;
    char s[1300];

    assert_true(sts__valid_session_name("ab"));
    assert_true(sts__valid_session_name("a.b@c_d-E9"));
    assert_false(sts__valid_session_name("a"));
    assert_false(sts__valid_session_name(""));
    assert_false(sts__valid_session_name("a b"));
    assert_false(sts__valid_session_name("a/b"));
    assert_false(sts__valid_session_name("a:b"));
    assert_false(sts__valid_session_name(NULL));
    memset(s, 'x', 64);
    s[64] = '\0';
    assert_true(sts__valid_session_name(s));
    s[64] = 'x';
    s[65] = '\0';
    assert_false(sts__valid_session_name(s));

    assert_true(sts__valid_external_id("abcd1234"));
    assert_true(sts__valid_external_id("a_b+c=d,e.f@g:h/i-j"));
    assert_false(sts__valid_external_id("a"));
    assert_false(sts__valid_external_id("a b"));
    assert_false(sts__valid_external_id("a!b"));
    memset(s, 'x', 1224);
    s[1224] = '\0';
    assert_true(sts__valid_external_id(s));
    s[1224] = 'x';
    s[1225] = '\0';
    assert_false(sts__valid_external_id(s));

    long d = 0;
    assert_true(sts__parse_duration("900", &d));
    assert_int_equal(d, 900);
    assert_true(sts__parse_duration("000043200", &d));
    assert_int_equal(d, 43200);
    assert_false(sts__parse_duration("", &d));
    assert_false(sts__parse_duration("-900", &d));
    assert_false(sts__parse_duration("+900", &d));
    assert_false(sts__parse_duration("9e2", &d));
    assert_false(sts__parse_duration(" 900", &d));
    assert_false(sts__parse_duration("1234567890", &d)); /* more than 9 digits */
    assert_false(sts__parse_duration(NULL, &d));
}

/* --- decisions ------------------------------------------------------------- */

typedef struct fixture {
    world_t *world;
    emu_arena *arena;
    emu_server server;
} fixture;

static int setup(void **state)
{
    char path[1024];
    const char *src = getenv("EMU_SOURCE_DIR");
    emu_err err = {0};
    fixture *f = calloc(1, sizeof *f);

    snprintf(path, sizeof path, "%s/tests/fixtures/worlds/sts.json", src ? src : ".");
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

static const emu_action assume_action = {"AssumeRole", sts_assume_role, "sts:AssumeRole",
                                         EMU_ACT_WRITE | EMU_ACT_NO_AUTHZ};

static emu_call base_call(fixture *f, emu_principal_kind kind, const char *account)
{
    emu_call c;
    memset(&c, 0, sizeof c);
    c.arena = f->arena;
    c.server = &f->server;
    c.world = f->world;
    c.svc = &emu_sts_service;
    c.action = &assume_action;
    c.principal.kind = kind;
    c.principal.account_id = account;
    c.principal.source_ip = "10.1.2.3";
    c.principal.access_key_id = "LTAIunit";
    return c;
}

static emu_call as_user(fixture *f, const char *account, const char *name)
{
    emu_call c = base_call(f, EMU_PRINCIPAL_USER, account);
    c.principal.user = world_user_find(world_account_find(f->world, account), name);
    assert_non_null(c.principal.user);
    c.principal.display_name = name;
    c.principal.arn = emu_arena_sprintf(f->arena, "acs:ram::%s:user/%s", account, name);
    return c;
}

static emu_call as_session(fixture *f, const char *account, const char *role, const char *policy)
{
    emu_call c = base_call(f, EMU_PRINCIPAL_SESSION, account);
    c.principal.role = world_role_find(world_account_find(f->world, account), role);
    assert_non_null(c.principal.role);
    c.principal.session_name = "unit";
    c.principal.session_policy = policy;
    c.principal.display_name = role;
    c.principal.arn =
        emu_arena_sprintf(f->arena, "acs:ram::%s:assumed-role/%s/unit", account, role);
    return c;
}

static emu_call as_service(fixture *f, const char *account)
{
    emu_call c = base_call(f, EMU_PRINCIPAL_SERVICE, account);
    c.principal.service = "odps.aliyuncs.com";
    c.principal.arn = emu_arena_sprintf(f->arena, "%s@odps.aliyuncs.com", account);
    c.principal.display_name = c.principal.arn;
    return c;
}

static emu_call as_root(fixture *f, const char *account)
{
    emu_call c = base_call(f, EMU_PRINCIPAL_ROOT, account);
    c.principal.arn = emu_arena_sprintf(f->arena, "acs:ram::%s:root", account);
    return c;
}

static emu_rc assume(fixture *f, emu_call *c, const char *role, const char *external_id)
{
    world_account *a = world_account_find(f->world, "12345");
    world_role *r = world_role_find(a, role);
    if (!r)
        r = world_role_find(world_account_find(f->world, "56789"), role);
    assert_non_null(r);
    if (!world_role_find(a, role))
        a = world_account_find(f->world, "56789");
    return sts__assume_authorize(c, a, r, external_id);
}

#define ALLOWED(call, role)                                                                        \
    do {                                                                                           \
        emu_call c_ = (call);                                                                      \
        if (assume(f, &c_, (role), NULL) != EMU_OK)                                                \
            fail_msg("%s refused for %s: %s", (role), c_.principal.arn, c_.reason);                \
        assert_string_equal(c_.decision, "allow");                                                 \
    } while (0)

#define REFUSED(call, role, needle)                                                                \
    do {                                                                                           \
        emu_call c_ = (call);                                                                      \
        if (assume(f, &c_, (role), NULL) != EMU_E_DENIED)                                          \
            fail_msg("%s allowed for %s", (role), c_.principal.arn);                               \
        assert_string_equal(c_.err.code, "NoPermission");                                          \
        assert_int_equal(c_.err.status, 403);                                                      \
        assert_null(c_.denial);                                                                    \
        assert_non_null(c_.reason);                                                                \
        if (!strstr(c_.reason, (needle)))                                                          \
            fail_msg("reason \"%s\" lacks \"%s\"", c_.reason, (needle));                           \
    } while (0)

static void ram_root_principal(void **state)
{
    fixture *f = *state;
    /* acs:ram::56789:root: any RAM user or role session of 56789... */
    ALLOWED(as_user(f, "56789", "alice"), "cross-reader");
    ALLOWED(as_session(f, "56789", "hop", NULL), "cross-reader");
    /* ...that holds sts:AssumeRole itself, */
    REFUSED(as_user(f, "56789", "nobody"), "cross-reader", "no identity policy allows");
    REFUSED(as_session(f, "56789", "no-assume", NULL), "cross-reader", "no identity policy allows");
    /* never a service of that account, never its root. */
    REFUSED(as_service(f, "56789"), "cross-reader",
            "allows RAM acs:ram::56789:root; caller is 56789@odps.aliyuncs.com");
    /* Another account's root in the trust policy. */
    REFUSED(as_user(f, "56789", "alice"), "wrong-account",
            "allows RAM acs:ram::99999:root; caller is RAM acs:ram::56789:user/alice");
}

static void bare_uid_user_and_role_principals(void **state)
{
    fixture *f = *state;
    ALLOWED(as_user(f, "56789", "alice"), "bare-uid");
    ALLOWED(as_session(f, "56789", "hop", NULL), "bare-uid");
    REFUSED(as_service(f, "56789"), "bare-uid", "caller is 56789@odps.aliyuncs.com");

    ALLOWED(as_user(f, "56789", "alice"), "alice-only");
    /* User names in principals compare case-insensitively [inferred]. */
    emu_call c = as_user(f, "56789", "alice");
    c.principal.arn = "acs:ram::56789:user/ALICE";
    ALLOWED(c, "alice-only");
    REFUSED(as_user(f, "56789", "carol"), "alice-only",
            "allows RAM acs:ram::56789:user/alice; caller is RAM acs:ram::56789:user/carol");

    /* Role principal: sessions of hop (chaining), nobody else. */
    ALLOWED(as_session(f, "56789", "hop", NULL), "chain-target");
    REFUSED(as_user(f, "56789", "alice"), "chain-target", "allows RAM acs:ram::56789:role/hop");
    /* no-assume: neither its permissions nor the trust policy admit it. */
    REFUSED(as_session(f, "56789", "no-assume", NULL), "chain-target",
            "; and trust policy of acs:ram::12345:role/chain-target allows RAM "
            "acs:ram::56789:role/hop; caller is RAM acs:ram::56789:assumed-role/no-assume/unit");
    /* The first session's own session policy must allow sts:AssumeRole too. */
    REFUSED(as_session(f, "56789", "hop",
                       "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
                       "\"ram:Get*\",\"Resource\":\"*\"}]}"),
            "chain-target", "no session policy allows sts:AssumeRole");
    ALLOWED(as_session(f, "56789", "hop",
                       "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
                       "\"sts:AssumeRole\",\"Resource\":\"acs:ram:*:12345:role/chain-*\"}]}"),
            "chain-target");
}

static void service_principals(void **state)
{
    fixture *f = *state;
    /* UID@service: the service working for that account only. */
    ALLOWED(as_service(f, "56789"), "AliyunODPSRoleForOtherUser");
    REFUSED(as_service(f, "12345"), "AliyunODPSRoleForOtherUser",
            "allows service 56789@odps.aliyuncs.com; caller is 12345@odps.aliyuncs.com");
    REFUSED(as_user(f, "56789", "alice"), "AliyunODPSRoleForOtherUser",
            "allows service 56789@odps.aliyuncs.com; caller is RAM acs:ram::56789:user/alice");
    /* The placeholder left in from the docs. */
    REFUSED(as_service(f, "56789"), "odps-placeholder",
            "allows service 1xxxx@odps.aliyuncs.com; caller is 56789@odps.aliyuncs.com");
    /* A bare service name: acting for the role's own account. */
    ALLOWED(as_service(f, "12345"), "odps-same-account");
    REFUSED(as_service(f, "56789"), "odps-same-account", "allows service odps.aliyuncs.com");
    /* Federated principals are for AssumeRoleWithSAML/OIDC, not AssumeRole. */
    REFUSED(as_user(f, "56789", "alice"), "federated-only", "federated");
    REFUSED(as_service(f, "56789"), "federated-only", "federated");
}

static void a_user_is_never_a_service(void **state)
{
    fixture *f = *state;
    /* Whatever its ARN text says, a RAM user is presented as RAM. */
    emu_call c = as_user(f, "56789", "alice");
    c.principal.arn = "56789@odps.aliyuncs.com";
    policy_principal pp = emu_authz_presented(&c.principal);
    assert_int_equal(pp.type, POLICY_PRINCIPAL_RAM);
    REFUSED(c, "AliyunODPSRoleForOtherUser", "caller is RAM 56789@odps.aliyuncs.com");

    emu_call s = as_service(f, "56789");
    assert_int_equal(emu_authz_presented(&s.principal).type, POLICY_PRINCIPAL_SERVICE);
    emu_call r = as_root(f, "56789");
    assert_int_equal(emu_authz_presented(&r.principal).type, POLICY_PRINCIPAL_RAM);
    emu_principal none = {0};
    assert_int_equal(emu_authz_presented(&none).type, POLICY_PRINCIPAL_NONE);
}

static void root_is_refused_in_every_mode(void **state)
{
    fixture *f = *state;
    static const emu_authz_mode modes[] = {EMU_AUTHZ_ENFORCE, EMU_AUTHZ_AUDIT, EMU_AUTHZ_OFF};
    for (size_t i = 0; i < 3; i++) {
        f->server.authz = modes[i];
        emu_call c = as_root(f, "56789");
        assert_int_equal(assume(f, &c, "cross-reader", NULL), EMU_E_DENIED);
        assert_string_equal(c.err.code, "NoPermission");
        assert_string_equal(c.err.msg, "Roles may not be assumed by root accounts.");
        assert_int_equal(c.err.status, 403);
        assert_non_null(strstr(c.reason, "Roles may not be assumed by root accounts."));
    }
    /* Audit lets an ordinary refusal through and records it. */
    f->server.authz = EMU_AUTHZ_AUDIT;
    emu_call c = as_user(f, "56789", "nobody");
    assert_int_equal(assume(f, &c, "cross-reader", NULL), EMU_OK);
    assert_string_equal(c.decision, "audit-deny");
    f->server.authz = EMU_AUTHZ_ENFORCE;
}

static void trust_conditions_and_explicit_deny(void **state)
{
    fixture *f = *state;
    emu_call c = as_user(f, "56789", "alice");
    assert_int_equal(assume(f, &c, "ext-id", NULL), EMU_E_DENIED);
    assert_non_null(strstr(c.reason, "sts:ExternalId [abcd1234] failed: key missing"));
    c = as_user(f, "56789", "alice");
    assert_int_equal(assume(f, &c, "ext-id", "nope-nope"), EMU_E_DENIED);
    c = as_user(f, "56789", "alice");
    assert_int_equal(assume(f, &c, "ext-id", "abcd1234"), EMU_OK);

    c = as_user(f, "56789", "alice");
    assert_int_equal(assume(f, &c, "tls-only", NULL), EMU_E_DENIED);
    c = as_user(f, "56789", "alice");
    c.principal.tls = true;
    assert_int_equal(assume(f, &c, "tls-only", NULL), EMU_OK);

    REFUSED(as_user(f, "56789", "alice"), "no-alice", "explicit deny of sts:AssumeRole in trust");
    ALLOWED(as_user(f, "56789", "carol"), "no-alice");
    REFUSED(as_user(f, "56789", "dave"), "cross-reader", "explicit deny of sts:AssumeRole on");
    REFUSED(as_user(f, "56789", "bob"), "cross-reader", "AssumeOtherRoleOnly");
}

static void both_decisions_are_in_the_trace(void **state)
{
    fixture *f = *state;
    emu_call c = as_user(f, "56789", "alice");
    assert_int_equal(assume(f, &c, "cross-reader", NULL), EMU_OK);
    bool identity = false, trust = false;
    for (size_t i = 0; i < c.trace->n_evals; i++) {
        identity |= c.trace->evals[i].layer == POLICY_LAYER_IDENTITY &&
                    c.trace->evals[i].decision == POLICY_ALLOW;
        trust |= c.trace->evals[i].layer == POLICY_LAYER_TRUST &&
                 c.trace->evals[i].decision == POLICY_ALLOW;
    }
    assert_true(identity);
    assert_true(trust);
    assert_string_equal(c.trace->evals[c.trace->n_evals - 1].resource,
                        "acs:ram::12345:role/cross-reader");
}

int main(void)
{
    emu_json_init();
    const struct CMUnitTest params[] = {
        cmocka_unit_test(role_arn_forms),
        cmocka_unit_test(session_name_external_id_duration),
    };
    const struct CMUnitTest decisions[] = {
        cmocka_unit_test(ram_root_principal),
        cmocka_unit_test(bare_uid_user_and_role_principals),
        cmocka_unit_test(service_principals),
        cmocka_unit_test(a_user_is_never_a_service),
        cmocka_unit_test(root_is_refused_in_every_mode),
        cmocka_unit_test(trust_conditions_and_explicit_deny),
        cmocka_unit_test(both_decisions_are_in_the_trace),
    };
    int failed = cmocka_run_group_tests(params, NULL, NULL);
    failed += cmocka_run_group_tests(decisions, setup, teardown);
    return failed;
}
