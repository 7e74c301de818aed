/* Evaluation never touches the heap (DESIGN.md §7: documents parsed once,
 * evaluated without allocation). The test executable forwards malloc and
 * friends to glibc and counts calls while evaluating. Under a sanitizer the
 * runtime owns malloc, so the check is skipped there (the plain build runs
 * it). */
#include <stdio.h>
#include <string.h>

#include "test_policy.h"

#if defined(__SANITIZE_ADDRESS__)
#define TP_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define TP_SANITIZED 1
#endif
#endif
#ifndef TP_SANITIZED
#define TP_SANITIZED 0
#endif

#if !TP_SANITIZED && defined(__GLIBC__)
#define TP_COUNT_ALLOCS 1
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
#else
#define TP_COUNT_ALLOCS 0
#endif

#define DOC(stmts) "{\"Version\":\"1\",\"Statement\":[" stmts "]}"

static void evaluation_does_not_allocate(void **state)
{
    (void)state;
#if TP_COUNT_ALLOCS
    const policy_doc_t *perm = tp_doc(
        DOC("{\"Effect\":\"Allow\",\"Action\":[\"ots:Get*\",\"sts:AssumeRole\"],\"Resource\":"
            "[\"acs:ots:*:12345:instance/cap1/table/*\",\"acs:ram:*:12345:role/X\"],\"Condition\":{"
            "\"IpAddress\":{\"acs:SourceIp\":[\"10.0.0.0/8\",\"2001:db8::/32\"]},"
            "\"DateLessThan\":{\"acs:CurrentTime\":\"2030-01-01T00:00:00+08:00\"},"
            "\"NumericGreaterThan\":{\"x:n\":1},\"Bool\":{\"acs:SecureTransport\":true},"
            "\"StringLike\":{\"acs:ResourceTag/env\":\"p*\"},"
            "\"StringNotEquals\":{\"acs:SourceVpc\":\"vpc-1\"}}},"
            "{\"Effect\":\"Deny\",\"NotAction\":\"ots:*\",\"NotResource\":\"acs:ram:*:*:role/*\"}"),
        POLICY_KIND_PERMISSION);
    const policy_doc_t *trust =
        tp_doc(DOC("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"RAM\":"
                   "[\"acs:ram::56789:root\",\"acs:ram::56789:role/etl\"],\"Service\":"
                   "\"odps.aliyuncs.com\"},\"Condition\":{\"StringEquals\":{\"sts:ExternalId\":"
                   "\"abcd1234\"}}}"),
               POLICY_KIND_TRUST);
    const policy_doc_t *inst = tp_doc(
        DOC("{\"Effect\":\"Deny\",\"Principal\":[\"*\"],\"Action\":\"ots:*\",\"Resource\":"
            "\"acs:ots:*:*:instance/cap1*\",\"Condition\":{\"NotIpAddress\":{\"acs:SourceIp\":"
            "\"10.0.0.0/8\"}}},{\"Effect\":\"Allow\",\"Principal\":{\"RAM\":[\"56789\"]},"
            "\"Action\":\"ots:Get*\",\"Resource\":\"*\"}"),
        POLICY_KIND_RESOURCE);
    const policy_doc_t *ids[] = {perm, policy_system_find("AliyunOTSReadOnlyAccess")};
    const char *ips[] = {"10.1.2.3", "2001:db8::5"};
    policy_ckey keys[] = {
        {"acs:SourceIp", ips, 2},
        POLICY_CKEY1("acs:SecureTransport", "true"),
        POLICY_CKEY1("acs:CurrentTime", "2026-01-15T00:00:00Z"),
        POLICY_CKEY1("x:n", "42.5"),
        POLICY_CKEY1("acs:ResourceTag/env", "prod"),
        POLICY_CKEY1("sts:ExternalId", "abcd1234"),
    };
    policy_ctx ctx = {.action = "sts:AssumeRole",
                      .resource = "acs:ram::12345:role/x",
                      .principal = {POLICY_PRINCIPAL_RAM, "acs:ram::56789:assumed-role/etl/s"},
                      .keys = keys,
                      .n_keys = 6};
    policy_authz in = {.caller = POLICY_CALLER_ROLE_SESSION,
                       .caller_account = "56789",
                       .resource_account = "12345",
                       .identity = ids,
                       .n_identity = 2,
                       .session = perm,
                       .trust = trust,
                       .ctx = &ctx};
    static policy_trace t;
    char reason[512];
    policy_result a, b;

    counting = 1;
    policy_trace_init(&t);
    a = policy_assume_role(&in, &t);
    policy_trace_reason(&t, reason, sizeof reason);
    in.resource_account = "56789";
    ctx.action = "ots:GetRow";
    ctx.resource = "acs:ots:cn-hangzhou:56789:instance/cap1/table/t";
    policy_trace_init(&t);
    b = policy_authorize(&in, &t);
    policy_trace_reason(&t, reason, sizeof reason);
    /* An instance policy of another account's instance (cross-account). */
    in.resource_account = "12345";
    in.session = NULL;
    in.resource_policy = inst;
    in.presented = (policy_principal){POLICY_PRINCIPAL_RAM, "acs:ram::56789:assumed-role/etl/s"};
    ctx.resource = "acs:ots:cn-hangzhou:12345:instance/cap1/table/t";
    policy_trace_init(&t);
    policy_result c = policy_authorize(&in, &t);
    policy_trace_reason(&t, reason, sizeof reason);
    counting = 0;

    assert_int_equal(allocs, 0);
    /* And the evaluations did real work. */
    assert_int_equal(a.decision, POLICY_ALLOW);
    assert_int_equal(b.decision, POLICY_IMPLICIT_DENY); /* cap1 is in 12345, not 56789 */
    assert_int_equal(b.layer, POLICY_LAYER_SESSION);
    assert_int_equal(c.decision, POLICY_ALLOW);
    assert_int_equal(c.layer, POLICY_LAYER_INSTANCE_POLICY);
#else
    skip();
#endif
}

int tp_run_noalloc(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(evaluation_does_not_allocate, tp_free_all),
    };
    return cmocka_run_group_tests_name("policy_noalloc", tests, NULL, NULL);
}
