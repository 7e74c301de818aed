/* Matching (§3), conditions (§4), basic evaluation (§5.1), traces and the
 * built-in System policies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/json.h"
#include "policy_int.h"
#include "test_policy.h"

#define P POLICY_KIND_PERMISSION
#define T POLICY_KIND_TRUST

static policy_decision ev(const policy_doc_t *d, const char *action, const char *res,
                          const policy_ckey *keys, size_t n_keys)
{
    policy_ctx ctx = {.action = action, .resource = res, .keys = keys, .n_keys = n_keys};
    return policy_eval(&d, 1, &ctx, POLICY_LAYER_IDENTITY, NULL).decision;
}

static const policy_doc_t *allow(const char *action_json, const char *resource_json)
{
    char buf[1024];
    snprintf(buf, sizeof buf,
             "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":%s,"
             "\"Resource\":%s}]}",
             action_json, resource_json);
    return tp_doc(buf, P);
}

static void glob_rules(void **state)
{
    (void)state;
#define G(p, s) policy__glob(p, strlen(p), s, strlen(s), SIZE_MAX)
    assert_true(G("*", ""));
    assert_true(G("*", "acs:ots:x:1:instance/a/table/b"));
    assert_true(G("a*", "a"));
    assert_true(G("a*c", "abbbc"));
    assert_true(G("a*c", "ac"));
    assert_false(G("a*c", "acb"));
    assert_true(G("a?c", "abc"));
    assert_false(G("a?c", "ac"));
    assert_false(G("a?c", "abbc"));
    assert_true(G("a?c", "a\xc3\xa9"
                         "c")); /* ? is one character, even a two-byte one */
    assert_false(G("abc", "ab"));
    assert_false(G("ab", "abc")); /* anchored at the end */
    assert_false(G("bc", "abc")); /* anchored at the start */
    assert_true(G("**", "x"));
    assert_true(G("*:*", "a:b:c"));
    assert_false(G("", "x"));
    assert_true(G("", ""));
    /* Pathological backtracking stays linear-ish and terminates. */
    char big[4097];
    memset(big, 'a', 4096);
    big[4096] = '\0';
    assert_false(G("a*a*a*a*a*a*a*a*a*a*a*a*b", big));
    assert_true(G("*a*a*a*a*a*a*a*a*a*a*a*a", big));
#undef G
    /* Folding starts at the given index only. */
    assert_true(policy__glob("ab", 2, "aB", 2, 1));
    assert_false(policy__glob("ab", 2, "AB", 2, 1));
    const char *r = "acs:ram::12345:role/Xy";
    assert_int_equal(policy__role_fold_from(r, strlen(r)), 20);
    r = "acs:ram::12345:user/Xy";
    assert_int_equal(policy__role_fold_from(r, strlen(r)), SIZE_MAX);
}

static void actions_are_case_insensitive_and_anchored(void **state)
{
    (void)state;
    const policy_doc_t *d = allow("\"ots:getrow\"", "\"*\"");
    assert_int_equal(ev(d, "ots:GetRow", "x", NULL, 0), POLICY_ALLOW);
    assert_int_equal(ev(d, "OTS:GETROW", "x", NULL, 0), POLICY_ALLOW);
    assert_int_equal(ev(d, "ots:GetRowX", "x", NULL, 0), POLICY_IMPLICIT_DENY);
    assert_int_equal(ev(d, NULL, "x", NULL, 0), POLICY_IMPLICIT_DENY);

    d = allow("[\"ots:Get*\",\"ots:Describe?able\"]", "\"*\"");
    assert_int_equal(ev(d, "ots:GetRange", "x", NULL, 0), POLICY_ALLOW);
    assert_int_equal(ev(d, "ots:DescribeTable", "x", NULL, 0), POLICY_ALLOW);
    assert_int_equal(ev(d, "ots:BatchGetRow", "x", NULL, 0), POLICY_IMPLICIT_DENY);
    assert_int_equal(ev(d, "ram:GetRole", "x", NULL, 0), POLICY_IMPLICIT_DENY);

    d = allow("\"*\"", "\"*\"");
    assert_int_equal(ev(d, "anything:AtAll", "acs:x", NULL, 0), POLICY_ALLOW);
}

static void resources_follow_section_3_3(void **state)
{
    (void)state;
    const char *table = "acs:ots:cn-hangzhou:12345:instance/abc/table/t1";
    const policy_doc_t *d = allow("\"ots:*\"", "\"acs:ots:*:*:instance/abc\"");
    assert_int_equal(ev(d, "ots:GetRow", table, NULL, 0), POLICY_IMPLICIT_DENY); /* no prefix */
    assert_int_equal(ev(d, "ots:GetInstance", "acs:ots:cn-hangzhou:12345:instance/abc", NULL, 0),
                     POLICY_ALLOW);
    d = allow("\"ots:*\"", "\"acs:ots:*:*:instance/*/\"");
    assert_int_equal(ev(d, "ots:GetInstance", "acs:ots:cn-hangzhou:12345:instance/abc", NULL, 0),
                     POLICY_IMPLICIT_DENY); /* trailing slash */
    d = allow("\"ots:*\"", "\"acs:ots:*:*:instance/abc*\"");
    assert_int_equal(ev(d, "ots:GetRow", table, NULL, 0), POLICY_ALLOW);
    /* Case-sensitive outside role names. */
    d = allow("\"ots:*\"", "\"acs:ots:*:12345:instance/abc/table/T1\"");
    assert_int_equal(ev(d, "ots:GetRow", table, NULL, 0), POLICY_IMPLICIT_DENY);
    /* "*" segment matches an empty region. */
    d = allow("\"sts:AssumeRole\"", "\"acs:ram:*:12345:role/x\"");
    assert_int_equal(ev(d, "sts:AssumeRole", "acs:ram::12345:role/x", NULL, 0), POLICY_ALLOW);
    assert_int_equal(ev(d, "sts:AssumeRole", "acs:ram::12345:role/xy", NULL, 0),
                     POLICY_IMPLICIT_DENY);
    /* Role names fold on both sides; user names do not. */
    d = allow("\"sts:AssumeRole\"", "\"acs:ram:*:12345:role/AliyunODPSRoleForOtherUser\"");
    assert_int_equal(
        ev(d, "sts:AssumeRole", "acs:ram::12345:role/aliyunodpsroleforotheruser", NULL, 0),
        POLICY_ALLOW);
    assert_int_equal(
        ev(d, "sts:AssumeRole", "acs:ram::12345:role/ALIYUNODPSROLEFOROTHERUSER", NULL, 0),
        POLICY_ALLOW);
    assert_int_equal(
        ev(d, "sts:AssumeRole", "acs:ram::99999:role/aliyunodpsroleforotheruser", NULL, 0),
        POLICY_IMPLICIT_DENY);
    d = allow("\"ram:GetUser\"", "\"acs:ram:*:12345:user/Alice\"");
    assert_int_equal(ev(d, "ram:GetUser", "acs:ram::12345:user/alice", NULL, 0),
                     POLICY_IMPLICIT_DENY);
    assert_int_equal(ev(d, "ram:GetUser", "acs:ram::12345:user/Alice", NULL, 0), POLICY_ALLOW);
    /* NotResource / NotAction. */
    d = tp_doc("{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"NotAction\":"
               "\"ram:*\",\"NotResource\":\"acs:ots:*:*:instance/secret*\"}]}",
               P);
    assert_int_equal(ev(d, "ots:GetRow", table, NULL, 0), POLICY_ALLOW);
    assert_int_equal(ev(d, "ram:GetRole", table, NULL, 0), POLICY_IMPLICIT_DENY);
    assert_int_equal(ev(d, "ots:GetRow", "acs:ots:r:1:instance/secret/table/t", NULL, 0),
                     POLICY_IMPLICIT_DENY);
}

static void explicit_deny_wins_regardless_of_order(void **state)
{
    (void)state;
    const policy_doc_t *a = allow("\"ots:*\"", "\"*\"");
    const policy_doc_t *d =
        tp_doc("{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"ots:PutRow\","
               "\"Resource\":\"*\"}]}",
               P);
    const policy_doc_t *docs1[] = {a, d};
    const policy_doc_t *docs2[] = {d, NULL, a};
    policy_ctx ctx = {.action = "ots:PutRow", .resource = "acs:ots:r:1:instance/i/table/t"};
    policy_result r1 = policy_eval(docs1, 2, &ctx, POLICY_LAYER_IDENTITY, NULL);
    policy_result r2 = policy_eval(docs2, 3, &ctx, POLICY_LAYER_IDENTITY, NULL);
    assert_int_equal(r1.decision, POLICY_EXPLICIT_DENY);
    assert_ptr_equal(r1.doc, d);
    assert_int_equal(r1.stmt, 0);
    assert_int_equal(r2.decision, POLICY_EXPLICIT_DENY);
    assert_ptr_equal(r2.doc, d);
    ctx.action = "ots:GetRow";
    r1 = policy_eval(docs1, 2, &ctx, POLICY_LAYER_IDENTITY, NULL);
    assert_int_equal(r1.decision, POLICY_ALLOW);
    assert_ptr_equal(r1.doc, a);
    r1 = policy_eval(docs1, 0, &ctx, POLICY_LAYER_IDENTITY, NULL);
    assert_int_equal(r1.decision, POLICY_IMPLICIT_DENY);
    assert_null(r1.doc);
    assert_int_equal(r1.stmt, -1);
}

/* ------------------------------------------------------------------------------------------- */
/* Conditions: one row = operator, key, policy values (JSON), request value
 * (NULL = key absent), expected satisfaction. */

typedef struct cond_case {
    const char *op;
    const char *key;
    const char *vals;
    const char *req;
    bool expect;
} cond_case;

static const cond_case conds[] = {
    {"StringEquals", "acs:AccessId", "\"LTAI1\"", "LTAI1", true},
    {"StringEquals", "acs:AccessId", "\"LTAI1\"", "ltai1", false},
    {"StringEquals", "acs:AccessId", "\"LTAI1\"", NULL, false},
    {"StringEquals", "acs:AccessId", "[\"x\",\"LTAI1\"]", "LTAI1", true},
    {"StringEquals", "x:n", "5", "5", true}, /* number written as JSON number */
    {"StringNotEquals", "acs:SourceVpc", "\"vpc-123\"", "vpc-1", true},
    {"StringNotEquals", "acs:SourceVpc", "\"vpc-123\"", "vpc-123", false},
    {"StringNotEquals", "acs:SourceVpc", "[\"vpc-1\",\"vpc-123\"]", "vpc-123", false},
    {"StringNotEquals", "acs:SourceVpc", "\"vpc-123\"", NULL, true},
    {"StringEqualsIgnoreCase", "acs:UserAgent", "\"Hello\"", "hELLO", true},
    {"StringEqualsIgnoreCase", "acs:UserAgent", "\"Hello\"", "hell", false},
    {"StringEqualsIgnoreCase", "acs:UserAgent", "\"Hello\"", NULL, false},
    {"StringNotEqualsIgnoreCase", "acs:UserAgent", "\"Hello\"", "HELLO", false},
    {"StringNotEqualsIgnoreCase", "acs:UserAgent", "\"Hello\"", "x", true},
    {"StringNotEqualsIgnoreCase", "acs:UserAgent", "\"Hello\"", NULL, true},
    {"StringLike", "acs:SourceVpc", "\"vpc-*\"", "vpc-abc", true},
    {"StringLike", "acs:SourceVpc", "\"vpc-*\"", "VPC-abc", false},
    {"StringLike", "acs:SourceVpc", "\"vpc-*\"", "xvpc-1", false},
    {"StringLike", "acs:SourceVpc", "\"vpc-*\"", NULL, false},
    {"StringLike", "acs:AccessId", "\"STS.?1\"", "STS.x1", true},
    {"StringNotLike", "acs:RequestTag/env", "[\"t?\",\"p*\"]", "tx", false},
    {"StringNotLike", "acs:RequestTag/env", "[\"t?\",\"p*\"]", "prod", false},
    {"StringNotLike", "acs:RequestTag/env", "[\"t?\",\"p*\"]", "dev", true},
    {"StringNotLike", "acs:RequestTag/env", "[\"t?\",\"p*\"]", NULL, true},
    {"NumericEquals", "x:n", "5", "5", true},
    {"NumericEquals", "x:n", "5", "5.0", true},
    {"NumericEquals", "x:n", "\"5\"", "6", false},
    {"NumericEquals", "x:n", "5", "abc", false},
    {"NumericEquals", "x:n", "5", NULL, false},
    {"NumericNotEquals", "x:n", "\"6\"", "5", true},
    {"NumericNotEquals", "x:n", "\"6\"", "6", false},
    {"NumericNotEquals", "x:n", "\"6\"", NULL, true},
    {"NumericNotEquals", "x:n", "\"6\"", "abc", false}, /* garbage never opens a negation */
    {"NumericLessThan", "x:n", "1.5", "1", true},
    {"NumericLessThan", "x:n", "1.5", "1.5", false},
    {"NumericLessThan", "x:n", "1.5", "-3", true},
    {"NumericLessThanEquals", "x:n", "1.5", "1.5", true},
    {"NumericLessThanEquals", "x:n", "1.5", "2", false},
    {"NumericGreaterThan", "x:n", "1e3", "1001", true},
    {"NumericGreaterThan", "x:n", "1e3", "1000", false},
    {"NumericGreaterThanEquals", "x:n", "\"0.5\"", "0.5", true},
    {"NumericGreaterThanEquals", "x:n", "\"0.5\"", "0.4", false},
    {"DateEquals", "acs:CurrentTime", "\"2016-01-01T00:00:00+08:00\"", "2015-12-31T16:00:00Z",
     true},
    {"DateEquals", "acs:CurrentTime", "\"2016-01-01T00:00:00+08:00\"", "2016-01-01T00:00:00Z",
     false},
    {"DateNotEquals", "acs:CurrentTime", "\"2016-01-01T00:00:00Z\"", "2016-01-01T00:00:00Z", false},
    {"DateNotEquals", "acs:CurrentTime", "\"2016-01-01T00:00:00Z\"", "2017-01-01T00:00:00Z", true},
    {"DateNotEquals", "acs:CurrentTime", "\"2016-01-01T00:00:00Z\"", NULL, true},
    {"DateLessThan", "acs:CurrentTime", "\"2016-01-01T00:00:00+08:00\"", "2015-12-31T15:59:59Z",
     true},
    {"DateLessThan", "acs:CurrentTime", "\"2016-01-01T00:00:00+08:00\"", "2015-12-31T16:00:00Z",
     false},
    {"DateLessThan", "acs:CurrentTime", "\"2016-01-01T00:00:00+08:00\"", "2026-01-15T00:00:00Z",
     false},
    {"DateLessThan", "acs:CurrentTime", "\"2016-01-01T00:00:00Z\"", "yesterday", false},
    {"DateLessThan", "acs:CurrentTime", "\"2016-01-01T00:00:00Z\"", NULL, false},
    {"DateLessThanEquals", "acs:CurrentTime", "\"2016-01-01T00:00:00+08:00\"",
     "2015-12-31T16:00:00Z", true},
    {"DateGreaterThan", "acs:CurrentTime", "\"2016-01-01T00:00:00Z\"", "2016-01-01T00:00:00.001Z",
     true},
    {"DateGreaterThan", "acs:CurrentTime", "\"2016-01-01T00:00:00Z\"", "2016-01-01T00:00:00Z",
     false},
    {"DateGreaterThanEquals", "acs:CurrentTime", "\"2016-01-01T00:00:00Z\"", "2016-01-01T00:00:00Z",
     true},
    {"DateGreaterThanEquals", "acs:CurrentTime", "\"2016-01-01T00:00:00Z\"", "2015-01-01T00:00:00Z",
     false},
    {"Bool", "acs:SecureTransport", "\"true\"", "true", true},
    {"Bool", "acs:SecureTransport", "\"true\"", "TRUE", true},
    {"Bool", "acs:SecureTransport", "\"true\"", "false", false},
    {"Bool", "acs:SecureTransport", "\"true\"", "1", false},
    {"Bool", "acs:SecureTransport", "\"true\"", NULL, false},
    {"Bool", "acs:MFAPresent", "false", "false", true},
    {"Bool", "acs:MFAPresent", "false", "true", false},
    {"Bool", "acs:MFAPresent", "false", NULL, false}, /* Bool on an absent key: not satisfied */
    {"IpAddress", "acs:SourceIp", "[\"10.0.0.0/8\",\"192.168.1.5\"]", "10.1.2.3", true},
    {"IpAddress", "acs:SourceIp", "[\"10.0.0.0/8\",\"192.168.1.5\"]", "192.168.1.5", true},
    {"IpAddress", "acs:SourceIp", "[\"10.0.0.0/8\",\"192.168.1.5\"]", "192.168.1.6", false},
    {"IpAddress", "acs:SourceIp", "[\"10.0.0.0/8\",\"192.168.1.5\"]", "11.0.0.1", false},
    {"IpAddress", "acs:SourceIp", "\"10.0.0.0/8\"", "::ffff:10.1.2.3", true},
    {"IpAddress", "acs:SourceIp", "\"10.0.0.0/8\"", "bogus", false},
    {"IpAddress", "acs:SourceIp", "\"10.0.0.0/8\"", "10.0.0.0/8",
     false}, /* request is an address */
    {"IpAddress", "acs:SourceIp", "\"10.0.0.0/8\"", NULL, false},
    {"IpAddress", "acs:SourceIp", "\"10.1.2.128/25\"", "10.1.2.200", true},
    {"IpAddress", "acs:SourceIp", "\"10.1.2.128/25\"", "10.1.2.127", false},
    {"IpAddress", "acs:SourceIp", "\"0.0.0.0/0\"", "1.2.3.4", true},
    {"IpAddress", "acs:SourceIp", "\"2001:db8::/32\"", "2001:db8::1", true},
    {"IpAddress", "acs:SourceIp", "\"2001:db8::/32\"", "2001:db9::1", false},
    {"IpAddress", "acs:SourceIp", "\"2001:db8::/32\"", "10.1.2.3", false},
    {"NotIpAddress", "acs:SourceIp", "\"10.0.0.0/8\"", "10.1.2.3", false},
    {"NotIpAddress", "acs:SourceIp", "\"10.0.0.0/8\"", "192.168.1.5", true},
    {"NotIpAddress", "acs:SourceIp", "\"10.0.0.0/8\"", NULL, true},
    {"NotIpAddress", "acs:SourceIp", "\"10.0.0.0/8\"", "bogus", false},
    /* Key names compare case-insensitively. */
    {"StringEquals", "ACS:accessid", "\"LTAI1\"", "LTAI1", true},
};

static void every_condition_family(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof conds / sizeof conds[0]; i++) {
        const cond_case *c = &conds[i];
        char buf[1024];
        snprintf(buf, sizeof buf,
                 "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
                 "\"Resource\":\"*\",\"Condition\":{\"%s\":{\"%s\":%s}}}]}",
                 c->op, c->key, c->vals);
        const policy_doc_t *d = tp_doc(buf, P);
        /* The request always spells the key canonically. */
        const char *canon = strcmp(c->key, "ACS:accessid") == 0 ? "acs:AccessId" : c->key;
        policy_ckey k = POLICY_CKEY1(canon, c->req);
        policy_trace t;
        policy_trace_init(&t);
        policy_ctx ctx = {.action = "ots:GetRow",
                          .resource = "acs:ots:r:1:instance/i",
                          .keys = &k,
                          .n_keys = c->req ? 1 : 0};
        policy_result r = policy_eval(&d, 1, &ctx, POLICY_LAYER_IDENTITY, &t);
        policy_decision want = c->expect ? POLICY_ALLOW : POLICY_IMPLICIT_DENY;
        if (r.decision != want)
            fail_msg("row %zu: %s %s %s vs %s: got %s", i, c->op, c->key, c->vals,
                     c->req ? c->req : "(missing)", policy_decision_name(r.decision));
        /* The trace shows the comparison. */
        assert_int_equal(t.n_conds, 1);
        assert_string_equal(t.conds[0].op, c->op);
        assert_int_equal(t.conds[0].result, c->expect);
        if (c->req) {
            assert_non_null(t.conds[0].actual);
            assert_string_equal(t.conds[0].actual[0], c->req);
        } else {
            assert_null(t.conds[0].actual);
        }
        tp_free_all(NULL);
    }
}

static void conditions_combine_with_and_or(void **state)
{
    (void)state;
    const policy_doc_t *d = tp_doc(
        "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":"
        "\"*\",\"Condition\":{\"StringEquals\":{\"a:x\":\"1\",\"a:y\":[\"2\",\"3\"]},"
        "\"Bool\":{\"acs:SecureTransport\":\"true\"}}}]}",
        P);
    policy_ckey all[] = {POLICY_CKEY1("a:x", "1"), POLICY_CKEY1("a:y", "3"),
                         POLICY_CKEY1("acs:SecureTransport", "true")};
    assert_int_equal(ev(d, "s:a", "r", all, 3), POLICY_ALLOW);
    assert_int_equal(ev(d, "s:a", "r", all, 2), POLICY_IMPLICIT_DENY);     /* operator 2 fails */
    assert_int_equal(ev(d, "s:a", "r", all + 1, 2), POLICY_IMPLICIT_DENY); /* key a:x missing */
    policy_ckey wrong[] = {POLICY_CKEY1("a:x", "1"), POLICY_CKEY1("a:y", "4"),
                           POLICY_CKEY1("acs:SecureTransport", "true")};
    assert_int_equal(ev(d, "s:a", "r", wrong, 3), POLICY_IMPLICIT_DENY);

    /* Multi-valued request keys. */
    const policy_doc_t *eq = tp_doc(
        "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":"
        "\"*\",\"Condition\":{\"StringEquals\":{\"acs:RequestTag/env\":\"b\"}}}]}",
        P);
    const policy_doc_t *ne = tp_doc(
        "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":"
        "\"*\",\"Condition\":{\"StringNotEquals\":{\"acs:RequestTag/env\":\"b\"}}}]}",
        P);
    const char *cb[] = {"c", "b"}, *cd[] = {"c", "d"};
    policy_ckey k_cb = {"acs:RequestTag/env", cb, 2}, k_cd = {"acs:RequestTag/env", cd, 2};
    assert_int_equal(ev(eq, "s:a", "r", &k_cb, 1), POLICY_ALLOW);
    assert_int_equal(ev(eq, "s:a", "r", &k_cd, 1), POLICY_IMPLICIT_DENY);
    assert_int_equal(ev(ne, "s:a", "r", &k_cb, 1), POLICY_IMPLICIT_DENY);
    assert_int_equal(ev(ne, "s:a", "r", &k_cd, 1), POLICY_ALLOW);
    /* A key given with zero values counts as missing. */
    policy_ckey empty = {"acs:RequestTag/env", cb, 0};
    assert_int_equal(ev(eq, "s:a", "r", &empty, 1), POLICY_IMPLICIT_DENY);
    assert_int_equal(ev(ne, "s:a", "r", &empty, 1), POLICY_ALLOW);
}

/* ------------------------------------------------------------------------------------------- */
/* Trust principals (§3.4). */

static policy_decision trust_ev(const policy_doc_t *d, policy_principal_type type,
                                const char *value)
{
    policy_ctx ctx = {.action = "sts:AssumeRole",
                      .resource = "acs:ram::12345:role/r",
                      .principal = {type, value}};
    return policy_eval(&d, 1, &ctx, POLICY_LAYER_TRUST, NULL).decision;
}

static const policy_doc_t *trust(const char *principal_json)
{
    char buf[1024];
    snprintf(buf, sizeof buf,
             "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
             "\"sts:AssumeRole\",\"Principal\":%s}]}",
             principal_json);
    return tp_doc(buf, T);
}

static void trust_principals(void **state)
{
    (void)state;
    const policy_principal_type R = POLICY_PRINCIPAL_RAM, S = POLICY_PRINCIPAL_SERVICE,
                                F = POLICY_PRINCIPAL_FEDERATED;
    const policy_doc_t *d = trust("{\"RAM\":\"acs:ram::56789:root\"}");
    assert_int_equal(trust_ev(d, R, "acs:ram::56789:user/alice"), POLICY_ALLOW);
    assert_int_equal(trust_ev(d, R, "acs:ram::56789:assumed-role/etl/s1"), POLICY_ALLOW);
    assert_int_equal(trust_ev(d, R, "acs:ram::56789:root"), POLICY_IMPLICIT_DENY); /* root */
    assert_int_equal(trust_ev(d, R, "56789"), POLICY_IMPLICIT_DENY);
    assert_int_equal(trust_ev(d, R, "acs:ram::5678:user/alice"), POLICY_IMPLICIT_DENY);
    assert_int_equal(trust_ev(d, S, "56789@odps.aliyuncs.com"), POLICY_IMPLICIT_DENY);
    assert_int_equal(trust_ev(d, R, "garbage"), POLICY_IMPLICIT_DENY);
    assert_int_equal(trust_ev(d, R, NULL), POLICY_IMPLICIT_DENY);
    assert_int_equal(trust_ev(d, POLICY_PRINCIPAL_NONE, NULL), POLICY_IMPLICIT_DENY);

    d = trust("{\"RAM\":\"56789\"}"); /* bare UID = root form [inferred] */
    assert_int_equal(trust_ev(d, R, "acs:ram::56789:user/carol"), POLICY_ALLOW);

    d = trust("{\"RAM\":\"acs:ram::56789:user/Alice\"}");
    assert_int_equal(trust_ev(d, R, "acs:ram::56789:user/alice"), POLICY_ALLOW);
    assert_int_equal(trust_ev(d, R, "acs:ram::56789:user/carol"), POLICY_IMPLICIT_DENY);
    assert_int_equal(trust_ev(d, R, "acs:ram::56789:role/alice"), POLICY_IMPLICIT_DENY);

    d = trust("{\"RAM\":\"acs:ram::56789:role/ETL\"}");
    assert_int_equal(trust_ev(d, R, "acs:ram::56789:assumed-role/etl/s1"), POLICY_ALLOW);
    assert_int_equal(trust_ev(d, R, "acs:ram::56789:role/etl"), POLICY_ALLOW);
    assert_int_equal(trust_ev(d, R, "acs:ram::56789:assumed-role/etl2/s1"), POLICY_IMPLICIT_DENY);
    assert_int_equal(trust_ev(d, R, "acs:ram::56789:user/etl"), POLICY_IMPLICIT_DENY);

    d = trust("{\"Service\":\"odps.aliyuncs.com\"}");
    assert_int_equal(trust_ev(d, S, "12345@odps.aliyuncs.com"), POLICY_ALLOW);
    assert_int_equal(trust_ev(d, S, "odps.aliyuncs.com"), POLICY_ALLOW);
    assert_int_equal(trust_ev(d, S, "56789@odps.aliyuncs.com"), POLICY_IMPLICIT_DENY);
    assert_int_equal(trust_ev(d, S, "12345@ecs.aliyuncs.com"), POLICY_IMPLICIT_DENY);

    d = trust("{\"Service\":[\"ecs.aliyuncs.com\",\"56789@ODPS.aliyuncs.com\"]}");
    assert_int_equal(trust_ev(d, S, "56789@odps.aliyuncs.com"), POLICY_ALLOW);
    assert_int_equal(trust_ev(d, S, "12345@ecs.aliyuncs.com"), POLICY_ALLOW);
    assert_int_equal(trust_ev(d, S, "odps.aliyuncs.com"), POLICY_IMPLICIT_DENY);

    d = trust("{\"Federated\":\"acs:ram::12345:saml-provider/IdP\"}");
    assert_int_equal(trust_ev(d, F, "acs:ram::12345:saml-provider/idp"), POLICY_ALLOW);
    assert_int_equal(trust_ev(d, F, "acs:ram::12345:oidc-provider/idp"), POLICY_IMPLICIT_DENY);
    assert_int_equal(trust_ev(d, R, "acs:ram::12345:saml-provider/idp"), POLICY_IMPLICIT_DENY);

    /* The role owner can come from resource_account instead of the ARN. */
    d = trust("{\"Service\":\"odps.aliyuncs.com\"}");
    policy_ctx ctx = {.action = "sts:AssumeRole",
                      .resource = "not-an-arn",
                      .resource_account = "777",
                      .principal = {S, "777@odps.aliyuncs.com"}};
    assert_int_equal(policy_eval(&d, 1, &ctx, POLICY_LAYER_TRUST, NULL).decision, POLICY_ALLOW);
    ctx.resource_account = NULL; /* no owner known: a bare service name matches nobody */
    assert_int_equal(policy_eval(&d, 1, &ctx, POLICY_LAYER_TRUST, NULL).decision,
                     POLICY_IMPLICIT_DENY);
}

/* ------------------------------------------------------------------------------------------- */
/* Traces. */

static void trace_records_closest_and_renders(void **state)
{
    (void)state;
    policy_doc_t *d = NULL;
    emu_err err = {0};
    const char *text =
        "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ram:*\",\"Resource\":"
        "\"*\"},{\"Sid\":\"vpc-only\",\"Effect\":\"Allow\",\"Action\":\"ots:*\",\"Resource\":"
        "\"acs:ots:*:12345:instance/cap1/table/*\",\"Condition\":{\"StringLike\":"
        "{\"acs:SourceVpc\":\"vpc-*\"},\"IpAddress\":{\"acs:SourceIp\":\"10.0.0.0/8\"}}}]}";
    assert_int_equal(policy_compile(text, strlen(text), P, &d, &err), EMU_OK);
    policy_doc_set_label(d, "OtsFromVpc", "Custom", "v2");
    const policy_doc_t *docs[] = {d};
    policy_ckey k = POLICY_CKEY1("acs:SourceIp", "10.1.2.3");
    policy_ctx ctx = {.action = "ots:GetRow",
                      .resource = "acs:ots:cn-hangzhou:12345:instance/cap1/table/vehicle_track",
                      .keys = &k,
                      .n_keys = 1};
    policy_trace t;
    policy_trace_init(&t);
    policy_result r = policy_eval(docs, 1, &ctx, POLICY_LAYER_IDENTITY, &t);
    assert_int_equal(r.decision, POLICY_IMPLICIT_DENY);
    assert_int_equal(t.n_evals, 1);
    assert_int_equal(t.n_docs, 1);
    assert_int_equal(t.n_stmts, 2);
    assert_int_equal(t.n_conds, 2);
    assert_int_equal(t.stmts[0].action, POLICY_TRI_NO);
    assert_int_equal(t.stmts[1].action, POLICY_TRI_YES);
    assert_int_equal(t.stmts[1].resource, POLICY_TRI_YES);
    assert_int_equal(t.stmts[1].principal, POLICY_TRI_NA);
    assert_int_equal(t.stmts[1].condition, POLICY_TRI_NO);
    assert_string_equal(t.stmts[1].sid, "vpc-only");
    assert_ptr_equal(t.evals[0].closest_doc, d);
    assert_int_equal(t.evals[0].closest_stmt, 1);

    char reason[512];
    size_t n = policy_trace_reason(&t, reason, sizeof reason);
    assert_int_equal(n, strlen(reason));
    assert_string_equal(
        reason, "no identity policy allows ots:GetRow on "
                "acs:ots:cn-hangzhou:12345:instance/cap1/table/vehicle_track (closest Custom "
                "policy OtsFromVpc v2 /Statement/1 (Sid vpc-only): condition StringLike "
                "acs:SourceVpc [vpc-*] failed: key missing from the request)");
    /* Truncation reports the full length. */
    char small[16];
    assert_int_equal(policy_trace_reason(&t, small, sizeof small), n);
    assert_int_equal(strlen(small), 15);

    cJSON *j = policy_trace_to_json(&t);
    char *s = cJSON_PrintUnformatted(j);
    assert_non_null(strstr(s, "\"decision\":\"ImplicitDeny\""));
    assert_non_null(
        strstr(s, "\"closestStatement\":{\"policy\":\"OtsFromVpc\",\"type\":\"Custom\","
                  "\"version\":\"v2\",\"pointer\":\"/Statement/1\",\"sid\":\"vpc-only\"}"));
    assert_non_null(strstr(s, "{\"operator\":\"StringLike\",\"key\":\"acs:SourceVpc\",\"expected\":"
                              "[\"vpc-*\"],\"actual\":null,\"missing\":true,\"result\":false}"));
    assert_non_null(strstr(s, "{\"operator\":\"IpAddress\",\"key\":\"acs:SourceIp\",\"expected\":"
                              "[\"10.0.0.0/8\"],\"actual\":[\"10.1.2.3\"],\"missing\":false,"
                              "\"result\":true}"));
    free(s);
    cJSON_Delete(j);
    policy_doc_free(d);
}

static void trace_truncates_without_changing_the_decision(void **state)
{
    (void)state;
    const policy_doc_t *docs[POLICY_TRACE_MAX_DOCS + 8];
    const policy_doc_t *no = allow("\"ram:*\"", "\"*\"");
    for (size_t i = 0; i < POLICY_TRACE_MAX_DOCS + 7; i++)
        docs[i] = no;
    docs[POLICY_TRACE_MAX_DOCS + 7] = allow("\"ots:GetRow\"", "\"*\"");
    policy_ctx ctx = {.action = "ots:GetRow", .resource = "acs:ots:r:1:instance/i/table/t"};
    policy_trace t;
    policy_trace_init(&t);
    policy_result r = policy_eval(docs, POLICY_TRACE_MAX_DOCS + 8, &ctx, POLICY_LAYER_IDENTITY, &t);
    assert_int_equal(r.decision, POLICY_ALLOW);
    assert_ptr_equal(r.doc, docs[POLICY_TRACE_MAX_DOCS + 7]);
    assert_true(t.truncated);
    assert_int_equal(t.n_docs, POLICY_TRACE_MAX_DOCS);
    assert_ptr_equal(t.evals[0].decider_doc, docs[POLICY_TRACE_MAX_DOCS + 7]);
    char reason[256];
    policy_trace_reason(&t, reason, sizeof reason);
    assert_non_null(strstr(reason, "identity policy allows ots:GetRow"));
}

/* ------------------------------------------------------------------------------------------- */
/* System policies. */

static void system_policies(void **state)
{
    (void)state;
    /* The catalog (data/system-policies/catalog.json), in its order: every
     * document compiles and carries its catalog version. */
    static const char *const names[] = {"AdministratorAccess",
                                        "ReadOnlyAccess",
                                        "AliyunRAMFullAccess",
                                        "AliyunRAMReadOnlyAccess",
                                        "AliyunSTSAssumeRoleAccess",
                                        "AliyunOTSFullAccess",
                                        "AliyunOTSReadOnlyAccess",
                                        "AliyunOTSWriteOnlyAccess",
                                        "AliyunMaxComputeFullAccess",
                                        "AliyunMaxComputeReadOnlyAccess",
                                        "AliyunResourceManagerFullAccess",
                                        "AliyunResourceDirectoryReadOnlyAccess",
                                        "AliyunODPSRolePolicy",
                                        "AliyunServiceRolePolicyForOdpsMMS"};
    assert_int_equal(policy_system_count(), sizeof names / sizeof names[0]);
    for (size_t i = 0; i < policy_system_count(); i++) {
        const policy_doc_t *d = policy_system_at(i);
        const policy_system_info *in = policy_system_info_at(i);
        assert_non_null(d);
        assert_string_equal(policy_doc_name(d), names[i]);
        assert_string_equal(policy_doc_type(d), "System");
        assert_string_equal(policy_doc_version(d), in->version);
        assert_ptr_equal(policy_system_find(names[i]), d);
        assert_ptr_equal(policy_system_info_find(names[i]), in);
        assert_non_null(policy_system_description(i));
        assert_int_equal(strlen(in->create_date), 20);
        assert_non_null(in->source);
        /* Labels of System policies cannot be changed, nor can they be freed. */
        policy_doc_set_label((policy_doc_t *)d, "x", "y", "z");
        policy_doc_free((policy_doc_t *)d);
        assert_string_equal(policy_doc_name(policy_system_at(i)), names[i]);
    }
    /* Documents copied from the documentation keep its text and version. */
    const policy_system_info *ro_info = policy_system_info_find("AliyunOTSReadOnlyAccess");
    assert_string_equal(ro_info->version, "v2");
    assert_false(ro_info->inferred);
    assert_true(policy_system_info_find("ReadOnlyAccess")->inferred);
    assert_non_null(strstr(policy_doc_text(policy_system_find("AliyunOTSReadOnlyAccess"), NULL),
                           "\"ots:SplitTimeseriesScanTask\""));
    /* The System control policy attached by default. */
    const policy_system_info *cp = NULL;
    assert_int_equal(policy_system_control_count(), 1);
    const policy_doc_t *full = policy_system_control_find("FullAliyunAccess", &cp);
    assert_non_null(full);
    assert_string_equal(cp->policy_id, "cp-FullAliyunAccess");
    assert_ptr_equal(policy_system_control_find("cp-FullAliyunAccess", NULL), full);
    assert_ptr_equal(policy_system_control_at(0, NULL), full);
    assert_null(policy_system_control_find("AdministratorAccess", NULL));
    assert_null(policy_system_find("FullAliyunAccess"));
    assert_int_equal(ev(full, "ots:GetRow", "acs:ots:*:1:instance/x", NULL, 0), POLICY_ALLOW);
    assert_null(policy_system_at(policy_system_count()));
    assert_null(policy_system_find("NoSuchPolicy"));
    assert_null(policy_system_find(NULL));
    assert_ptr_equal(policy_system_find("aliyunotsreadonlyaccess"),
                     policy_system_find("AliyunOTSReadOnlyAccess"));

    const char *t = "acs:ots:cn-hangzhou:12345:instance/cap1/table/vehicle_track";
    const policy_doc_t *ro = policy_system_find("AliyunOTSReadOnlyAccess");
    const policy_doc_t *wo = policy_system_find("AliyunOTSWriteOnlyAccess");
    const policy_doc_t *admin = policy_system_find("AdministratorAccess");
    const policy_doc_t *ram_ro = policy_system_find("AliyunRAMReadOnlyAccess");
    const policy_doc_t *sts = policy_system_find("AliyunSTSAssumeRoleAccess");
    const policy_doc_t *odps = policy_system_find("AliyunODPSRolePolicy");
    assert_int_equal(ev(ro, "ots:GetRow", t, NULL, 0), POLICY_ALLOW);
    assert_int_equal(ev(ro, "ots:BatchGetRow", t, NULL, 0), POLICY_ALLOW);
    assert_int_equal(ev(ro, "ots:ComputeSplitPointsBySize", t, NULL, 0), POLICY_ALLOW);
    assert_int_equal(ev(ro, "ots:PutRow", t, NULL, 0), POLICY_IMPLICIT_DENY);
    assert_int_equal(ev(wo, "ots:PutRow", t, NULL, 0), POLICY_ALLOW);
    assert_int_equal(ev(wo, "ots:GetRow", t, NULL, 0), POLICY_IMPLICIT_DENY);
    assert_int_equal(ev(admin, "ram:CreateRole", "acs:ram::1:role/x", NULL, 0), POLICY_ALLOW);
    assert_int_equal(ev(ram_ro, "ram:GetRole", "acs:ram::1:role/x", NULL, 0), POLICY_ALLOW);
    assert_int_equal(ev(ram_ro, "ram:CreateRole", "acs:ram::1:role/x", NULL, 0),
                     POLICY_IMPLICIT_DENY);
    assert_int_equal(ev(sts, "sts:AssumeRole", "acs:ram::1:role/x", NULL, 0), POLICY_ALLOW);
    assert_int_equal(ev(sts, "sts:GetCallerIdentity", "*", NULL, 0), POLICY_IMPLICIT_DENY);
    assert_int_equal(ev(odps, "ots:GetRange", t, NULL, 0), POLICY_ALLOW);
    assert_int_equal(ev(odps, "ots:CreateTable", t, NULL, 0), POLICY_IMPLICIT_DENY);
    const policy_doc_t *mc_ro = policy_system_find("AliyunMaxComputeReadOnlyAccess");
    assert_int_equal(ev(mc_ro, "odps:GetTable", "acs:odps:*:1:projects/p", NULL, 0), POLICY_ALLOW);
    assert_int_equal(ev(mc_ro, "odps:CreateTable", "acs:odps:*:1:projects/p", NULL, 0),
                     POLICY_IMPLICIT_DENY);
    const policy_doc_t *ro_all = policy_system_find("ReadOnlyAccess");
    assert_int_equal(ev(ro_all, "ots:GetRow", t, NULL, 0), POLICY_ALLOW);
    assert_int_equal(ev(ro_all, "ots:PutRow", t, NULL, 0), POLICY_IMPLICIT_DENY);
}

int tp_run_match(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(glob_rules, tp_free_all),
        cmocka_unit_test_teardown(actions_are_case_insensitive_and_anchored, tp_free_all),
        cmocka_unit_test_teardown(resources_follow_section_3_3, tp_free_all),
        cmocka_unit_test_teardown(explicit_deny_wins_regardless_of_order, tp_free_all),
        cmocka_unit_test_teardown(every_condition_family, tp_free_all),
        cmocka_unit_test_teardown(conditions_combine_with_and_or, tp_free_all),
        cmocka_unit_test_teardown(trust_principals, tp_free_all),
        cmocka_unit_test_teardown(trace_records_closest_and_renders, tp_free_all),
        cmocka_unit_test_teardown(trace_truncates_without_changing_the_decision, tp_free_all),
        cmocka_unit_test_teardown(system_policies, tp_free_all),
    };
    return cmocka_run_group_tests_name("policy_match", tests, NULL, NULL);
}
