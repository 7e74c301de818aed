#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/json.h"
#include "emu/odps.h"
#include "emu/world.h"

static const char *fixture(void)
{
    static char path[1024];
    const char *src = getenv("EMU_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/fixtures/worlds/basic.json", src ? src : ".");
    return path;
}

static world_t *load_text(const char *text, emu_err *err)
{
    world_t *w = NULL;
    cJSON *doc = emu_json_parse(text, strlen(text), err);
    assert_non_null(doc);
    world_load_json(doc, "t.json", "/tmp", &w, err);
    cJSON_Delete(doc);
    return w;
}

static void loads_fixture_and_indexes_keys(void **state)
{
    (void)state;
    emu_err err = {0};
    world_t *w = NULL;
    world_key_ref ref;

    assert_int_equal(world_load_file(fixture(), &w, &err), EMU_OK);
    assert_int_equal(world_account_count(w), 2);
    assert_string_equal(world_region(w), "cn-hangzhou");
    assert_true(world_key_find(w, "LTAIemuEtlUser56789", 19, &ref));
    assert_int_equal(ref.owner, WORLD_KEY_USER);
    assert_string_equal(ref.user->name, "etl");
    assert_string_equal(ref.account->id, "56789");
    assert_true(world_key_find(w, "LTAIemuOdpsFor56789", 19, &ref));
    assert_int_equal(ref.owner, WORLD_KEY_SERVICE);
    assert_string_equal(ref.service->service, "odps.aliyuncs.com");
    assert_true(world_key_find(w, "LTAIemuOffA12345", 16, &ref));
    assert_false(ref.active);
    assert_false(world_key_find(w, "LTAIemuEtlUser5678", 18, &ref));

    world_account *a = world_account_find(w, "12345");
    assert_non_null(a);
    /* Role names compare case-insensitively; the stored name keeps its case. */
    world_role *r = world_role_find(a, "aliyunodpsroleforotheruser");
    assert_non_null(r);
    assert_string_equal(r->name, "AliyunODPSRoleForOtherUser");
    assert_int_equal(r->max_session_duration, 3600);
    assert_int_equal(strlen(r->id), 19);
    assert_non_null(strstr(r->trust_document, "56789@odps.aliyuncs.com"));
    world_group *g = world_group_find(a, "readers");
    assert_int_equal(g->n_members, 1);
    assert_string_equal(g->members[0], "reader");
    world_free(w);
}

static void ids_are_deterministic(void **state)
{
    (void)state;
    char a[20], b[20], c[20];
    world_make_id("12345", "role", "Admin", 19, a);
    world_make_id("12345", "role", "admin", 19, b);
    world_make_id("12345", "user", "admin", 19, c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_true(a[0] >= '1' && a[0] <= '9');
}

static void export_loads_back_identically(void **state)
{
    (void)state;
    emu_err err = {0};
    world_t *w = NULL, *w2 = NULL;
    assert_int_equal(world_load_file(fixture(), &w, &err), EMU_OK);
    cJSON *e1 = world_export(w);
    assert_int_equal(world_load_json(e1, "export", "/tmp", &w2, &err), EMU_OK);
    cJSON *e2 = world_export(w2);
    char *t1 = emu_json_print(e1), *t2 = emu_json_print(e2);
    assert_string_equal(t1, t2);
    free(t1);
    free(t2);
    cJSON_Delete(e1);
    cJSON_Delete(e2);
    world_free(w2);
    world_free(w);
}

static void clone_is_independent(void **state)
{
    (void)state;
    emu_err err = {0};
    world_t *w = NULL;
    assert_int_equal(world_load_file(fixture(), &w, &err), EMU_OK);
    world_t *c = world_clone(w);
    world_account *a = world_account_find(c, "12345");
    free(a->alias);
    a->alias = strdup("changed");
    assert_string_equal(world_account_find(w, "12345")->alias, "account-a");
    world_key_ref ref;
    assert_true(world_key_find(c, "LTAIemuAccountA12345", 20, &ref));
    assert_ptr_equal(ref.account, a);
    world_free(c);
    world_free(w);
}

static void located_errors(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *msg;
    } cases[] = {
        {"{\"Accounts\":[{\"AccountId\":\"1\",\"Users\":[{\"UserName\":\"a\"},{\"UserName\":\"A\"}]"
         "}]}",
         "$.Accounts[0].Users[1]: UserName \"A\": a user with this name already exists"},
        {"{\"Accounts\":[{\"AccountId\":\"1\",\"Policies\":[{\"PolicyName\":\"p\",\"Versions\":[{"
         "\"VersionId\":\"v1\",\"PolicyDocument\":{\"Version\":\"1\",\"Statement\":{"
         "\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}}]}]}]}",
         "$.Accounts[0].Policies[0]: no default version"},
        /* Documents go through the policy engine: its location follows the world's. */
        {"{\"Accounts\":[{\"AccountId\":\"1\",\"Policies\":[{\"PolicyName\":\"p\","
         "\"PolicyDocument\":{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Maybe\","
         "\"Action\":\"*\",\"Resource\":\"*\"}]}}]}]}",
         "$.Accounts[0].Policies[0].PolicyDocument: $.Statement[0].Effect"},
        {"{\"Accounts\":[{\"AccountId\":\"1\",\"Users\":[{\"UserName\":\"u\","
         "\"AttachedPolicies\":[{\"PolicyName\":\"NoSuchPolicy\",\"PolicyType\":\"System\"}]}]}]}",
         "$.Accounts[0].Users[0].AttachedPolicies[0]: no System policy \"NoSuchPolicy\""},
        {"{\"Accounts\":[{\"AccountId\":\"1\",\"Roles\":[{\"RoleName\":\"r\"}]}]}",
         "$.Accounts[0].Roles[0]: missing required field \"AssumeRolePolicyDocument\""},
        {"{\"Accounts\":[{\"AccountId\":\"1\",\"ServiceCredentials\":[{\"Service\":\"odps\","
         "\"AccessKeyId\":\"k\",\"AccessKeySecret\":\"s\"}]}]}",
         "$.Accounts[0].ServiceCredentials[0]: Service \"odps\" must be a service name"},
        {"{\"Accounts\":[{\"AccountId\":\"1\",\"AccountId\":\"2\"}]}",
         "$.Accounts[0]: field \"AccountId\" given twice"},
        {"{\"Accounts\":[{\"AccountId\":\"1\",\"Users\":[{\"UserName\":\"u\",\"AccessKeys\":[{"
         "\"AccessKeyId\":\"a\",\"AccessKeySecret\":\"s\"},{\"AccessKeyId\":\"b\","
         "\"AccessKeySecret\":\"s\"},{\"AccessKeyId\":\"c\",\"AccessKeySecret\":\"s\"}]}]}]}",
         "$.Accounts[0].Users[0].AccessKeys: a RAM user has at most 2 AccessKeys"},
        {"{\"Region\":\"cn hangzhou\",\"Accounts\":[{\"AccountId\":\"1\"}]}",
         "$: Region \"cn hangzhou\" is not a region id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        emu_err err = {0};
        world_t *w = load_text(cases[i].json, &err);
        assert_null(w);
        assert_int_equal(err.rc, EMU_E_INVALID);
        if (!strstr(err.msg, cases[i].msg))
            fail_msg("case %zu: got \"%s\"", i, err.msg);
        assert_true(strncmp(err.msg, "t.json: ", 8) == 0);
    }
}

int main(void)
{
    emu_json_init();
    world_register_section(&odps_world_section);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loads_fixture_and_indexes_keys),
        cmocka_unit_test(ids_are_deterministic),
        cmocka_unit_test(export_loads_back_identically),
        cmocka_unit_test(clone_is_independent),
        cmocka_unit_test(located_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
