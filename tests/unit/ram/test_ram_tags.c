/* RAM tags in the world (world_tags_*, world_tag_validate) and as condition
 * keys: world_ram_resource_tags fills acs:ResourceTag/<key> for a role or
 * custom policy ARN without allocating, and emu_authz_check evaluates
 * them on RAM ARNs (a pinned context key replaces the world's, as the
 * simulator pins one). World: tests/fixtures/worlds/ram_tags.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/authz.h"
#include "emu/limits.h"

#if defined(__SANITIZE_ADDRESS__)
#define TT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define TT_SANITIZED 1
#endif
#endif
#ifndef TT_SANITIZED
#define TT_SANITIZED 0
#endif

#if !TT_SANITIZED && defined(__GLIBC__)
/* Counts heap calls while `counting` (see tests/unit/policy/test_policy_noalloc.c). */
#define TT_COUNT_ALLOCS 1
static int counting, allocs;
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);
void *malloc(size_t n)
{
    allocs += counting;
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t m)
{
    allocs += counting;
    return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n)
{
    allocs += counting;
    return __libc_realloc(p, n);
}
#endif

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
    snprintf(path, sizeof path, "%s/tests/fixtures/worlds/ram_tags.json", src ? src : ".");
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

static void tag_set_rules(void **state)
{
    (void)state;
    world_tags t = {0};
    assert_true(world_tags_set(&t, "env", "dev"));
    assert_true(world_tags_set(&t, "env", "prod")); /* replaces */
    assert_int_equal(t.n, 1);
    assert_string_equal(world_tags_find(&t, "env")->value, "prod");
    assert_string_equal(t.v[0].ckey, "acs:ResourceTag/env");
    assert_null(world_tags_find(&t, "ENV")); /* keys are case-sensitive */
    char k[8];
    for (int i = 1; i < EMU_MAX_RAM_TAGS; i++) {
        snprintf(k, sizeof k, "k%d", i);
        assert_true(world_tags_set(&t, k, ""));
    }
    assert_int_equal(t.n, EMU_MAX_RAM_TAGS);
    assert_false(world_tags_set(&t, "one-more", "x"));
    assert_true(world_tags_set(&t, "k3", "changed")); /* an existing key still may */
    assert_true(world_tags_remove(&t, "env"));
    assert_false(world_tags_remove(&t, "env"));
    assert_string_equal(t.v[0].key, "k1"); /* order kept */
    world_tags_free(&t);
    assert_int_equal(t.n, 0);

    char long_key[130], long_value[258];
    memset(long_key, 'k', 129);
    long_key[129] = '\0';
    memset(long_value, 'v', 257);
    long_value[257] = '\0';
    assert_int_equal(world_tag_validate("env", ""), WORLD_TAG_OK);
    assert_int_equal(world_tag_validate("", "x"), WORLD_TAG_KEY_EMPTY);
    assert_int_equal(world_tag_validate(long_key, "x"), WORLD_TAG_KEY_LONG);
    long_key[128] = '\0';
    assert_int_equal(world_tag_validate(long_key, "x"), WORLD_TAG_OK);
    assert_int_equal(world_tag_validate("acs:env", "x"), WORLD_TAG_KEY_RESERVED);
    assert_int_equal(world_tag_validate("Aliyun-env", "x"), WORLD_TAG_KEY_RESERVED);
    assert_int_equal(world_tag_validate("a http://x", "x"), WORLD_TAG_KEY_URL);
    assert_int_equal(world_tag_validate("env", long_value), WORLD_TAG_VALUE_LONG);
    assert_int_equal(world_tag_validate("env", "see https://x"), WORLD_TAG_VALUE_URL);
    /* Lengths count characters, not bytes: 128 two-byte characters pass. */
    char wide[257];
    for (int i = 0; i < 128; i++)
        memcpy(wide + 2 * i, "\xc3\xa9", 2);
    wide[256] = '\0';
    assert_int_equal(world_tag_validate(wide, "x"), WORLD_TAG_OK);
}

static void resource_tags_from_arns(void **state)
{
    fixture *f = *state;
    policy_ckey k[EMU_MAX_RAM_TAGS];
#ifdef TT_COUNT_ALLOCS
    counting = 1;
    allocs = 0;
#endif
    size_t n =
        world_ram_resource_tags(f->world, "acs:ram::12345:role/prod-app", k, EMU_MAX_RAM_TAGS);
    size_t n_any = world_ram_resource_tags(f->world, "acs:ram:*:12345:role/PROD-APP", k, 1);
    size_t n_pol =
        world_ram_resource_tags(f->world, "acs:ram::12345:policy/DevRolesOnly", k + 2, 1);
#ifdef TT_COUNT_ALLOCS
    counting = 0;
    assert_int_equal(allocs, 0);
#endif
    assert_int_equal(n, 2);
    assert_int_equal(n_any, 1); /* capped */
    assert_string_equal(k[0].key, "acs:ResourceTag/env");
    assert_int_equal(k[0].n_values, 1);
    assert_string_equal(k[0].values[0], "prod");
    assert_int_equal(n_pol, 1);
    assert_string_equal(k[2].key, "acs:ResourceTag/owner");
    assert_string_equal(k[2].values[0], "platform");
    /* No tags: other accounts, System policies, other kinds, other services. */
    assert_int_equal(world_ram_resource_tags(f->world, "acs:ram::99999:role/prod-app", k, 20), 0);
    assert_int_equal(
        world_ram_resource_tags(f->world, "acs:ram::*:policy/AdministratorAccess", k, 20), 0);
    assert_int_equal(world_ram_resource_tags(f->world, "acs:ram::12345:user/dev", k, 20), 0);
    assert_int_equal(world_ram_resource_tags(f->world, "acs:ram::12345:role/nosuch", k, 20), 0);
    assert_int_equal(
        world_ram_resource_tags(f->world, "acs:ots:cn-hangzhou:12345:instance/x", k, 20), 0);
    assert_int_equal(world_ram_resource_tags(f->world, "acs:ram:", k, 20), 0);
    assert_int_equal(world_ram_resource_tags(NULL, "acs:ram::12345:role/prod-app", k, 20), 0);
}

static emu_call call_as_dev(fixture *f)
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
    c.principal.user = world_user_find(world_account_find(f->world, "12345"), "dev");
    c.principal.display_name = "dev";
    return c;
}

static void authz_sees_the_role_tags(void **state)
{
    fixture *f = *state;
    world_role *prod = world_role_find(world_account_find(f->world, "12345"), "prod-app");
    emu_call c = call_as_dev(f);
    emu_authz_req dev = {.action = "ram:GetRole", .resource = "acs:ram::12345:role/dev-app"};
    emu_authz_req pr = {.action = "ram:GetRole", .resource = "acs:ram::12345:role/prod-app"};
    assert_int_equal(emu_authz_check(&c, &dev), EMU_OK);
    c = call_as_dev(f);
    assert_int_equal(emu_authz_check(&c, &pr), EMU_E_DENIED);
    /* A pinned key (the simulator's context) replaces the world's. */
    policy_ckey pin = POLICY_CKEY1("acs:ResourceTag/env", "dev");
    emu_authz_req pinned = pr;
    pinned.keys = &pin;
    pinned.n_keys = 1;
    c = call_as_dev(f);
    assert_int_equal(emu_authz_check(&c, &pinned), EMU_OK);
    /* The world's tags are read per request: retagging takes effect. */
    assert_true(world_tags_set(&prod->tags, "env", "dev"));
    c = call_as_dev(f);
    assert_int_equal(emu_authz_check(&c, &pr), EMU_OK);
    assert_true(world_tags_set(&prod->tags, "env", "prod"));
    c = call_as_dev(f);
    assert_int_equal(emu_authz_check(&c, &pr), EMU_E_DENIED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tag_set_rules),
        cmocka_unit_test(resource_tags_from_arns),
        cmocka_unit_test(authz_sees_the_role_tags),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
