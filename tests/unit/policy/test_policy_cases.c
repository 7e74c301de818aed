/* The 35 decision cases of ram-policy.md §6, table-driven.
 *
 * World: account A = 12345 owns Tablestore instance cap1 (cn-hangzhou) and
 * role AliyunODPSRoleForOtherUser whose policy allows ots:* on instance/cap1
 * and on every table of cap1. Account B = 56789 has RAM users alice and carol.
 * Unless a row says otherwise alice has AliyunSTSAssumeRoleAccess, the request
 * is HTTPS from 10.1.2.3, and the trust policy allows sts:AssumeRole for the
 * listed principal.
 *
 * Some rows are not policy decisions in the real flow (17 parameter range,
 * 19 missing role, 28 expired token, 34 deleted role): those failures happen
 * before authorization. Their rows assert what the policy layer says for the
 * same inputs, which shows that the refusal must (and does) come from the
 * earlier phase: e.g. row 17 is ALLOW here although the call is a 400. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_policy.h"

#define ROLE_ARN "acs:ram::12345:role/aliyunodpsroleforotheruser"
#define TABLE(t) "acs:ots:cn-hangzhou:12345:instance/cap1/table/" t
#define ALICE "acs:ram::56789:user/alice"
#define CAROL "acs:ram::56789:user/carol"
#define NOW "2026-01-15T00:00:00Z"

/* Documents used by the rows. "sys:Name" in a row means the System policy. */
#define DOC(stmts) "{\"Version\":\"1\",\"Statement\":[" stmts "]}"
#define ROLE_POLICY                                                                                \
    DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:*\",\"Resource\":[\"acs:ots:*:12345:instance/"     \
        "cap1\","                                                                                  \
        "\"acs:ots:*:12345:instance/cap1/table/*\"]}")
#define TRUST_P(kind, value)                                                                       \
    DOC("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"" kind "\":\"" value \
        "\"}}")
#define TRUST_ROOT_B TRUST_P("RAM", "acs:ram::56789:root")
#define TRUST_ROOT_B_COND(cond)                                                                    \
    DOC("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"RAM\":"              \
        "\"acs:ram::56789:root\"},\"Condition\":" cond "}")

typedef enum op { OP_ASSUME, OP_AUTHZ } op;
typedef enum which { W_NONE, W_ID0, W_ID1, W_SESSION, W_TRUST } which;

typedef struct dcase {
    const char *no; /* "14b" */
    op op;
    policy_caller caller;
    const char *caller_account;
    policy_principal_type ptype; /* presented principal (AssumeRole) */
    const char *pvalue;
    const char *identity[2]; /* texts or "sys:Name" */
    const char *session;
    const char *trust;
    const char *action;
    const char *resource;
    const char *resource_account;
    /* Request keys; NULL = absent. Defaults applied: ip 10.1.2.3, tls true. */
    const char *ip;
    const char *tls;
    const char *external_id;
    const char *vpc;
    /* Expected. */
    policy_decision decision;
    policy_layer layer;
    which doc;
    int stmt;
    const char *reason; /* substring of policy_trace_reason, or NULL */
} dcase;

#define STS_ACCESS "sys:AliyunSTSAssumeRoleAccess"
#define ALICE_ASSUMES OP_ASSUME, POLICY_CALLER_USER, "56789", POLICY_PRINCIPAL_RAM, ALICE
#define CAROL_ASSUMES OP_ASSUME, POLICY_CALLER_USER, "56789", POLICY_PRINCIPAL_RAM, CAROL
#define ODPS_FOR(uid)                                                                              \
    OP_ASSUME, POLICY_CALLER_SERVICE, uid, POLICY_PRINCIPAL_SERVICE, uid "@odps.aliyuncs.com"
#define SESSION_A OP_AUTHZ, POLICY_CALLER_ROLE_SESSION, "12345", POLICY_PRINCIPAL_NONE, NULL
#define ASSUME_ROLE "sts:AssumeRole", ROLE_ARN, "12345"

static const dcase cases[] = {
    {"1",
     ALICE_ASSUMES,
     {STS_ACCESS},
     NULL,
     TRUST_ROOT_B,
     ASSUME_ROLE,
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_ALLOW,
     POLICY_LAYER_TRUST,
     W_TRUST,
     0,
     "trust policy of " ROLE_ARN " allows RAM " ALICE " to sts:AssumeRole (/Statement/0)"},
    {"2",
     ALICE_ASSUMES,
     {NULL},
     NULL,
     TRUST_ROOT_B,
     ASSUME_ROLE,
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_IDENTITY,
     W_NONE,
     -1,
     "no identity policy allows sts:AssumeRole on " ROLE_ARN " (the caller has no policies)"},
    {"3",
     ALICE_ASSUMES,
     {STS_ACCESS},
     NULL,
     TRUST_P("RAM", "acs:ram::99999:root"),
     ASSUME_ROLE,
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_TRUST,
     W_NONE,
     -1,
     "trust policy of " ROLE_ARN " allows RAM acs:ram::99999:root; caller is RAM " ALICE},
    {"4",
     CAROL_ASSUMES,
     {STS_ACCESS},
     NULL,
     TRUST_P("RAM", ALICE),
     ASSUME_ROLE,
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_TRUST,
     W_NONE,
     -1,
     "allows RAM " ALICE "; caller is RAM " CAROL},
    {"5",
     ALICE_ASSUMES,
     {STS_ACCESS},
     NULL,
     TRUST_P("Service", "56789@odps.aliyuncs.com"),
     ASSUME_ROLE,
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_TRUST,
     W_NONE,
     -1,
     "allows service 56789@odps.aliyuncs.com; caller is RAM " ALICE},
    {"6",
     ODPS_FOR("56789"),
     {NULL},
     NULL,
     TRUST_P("Service", "56789@odps.aliyuncs.com"),
     ASSUME_ROLE,
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_ALLOW,
     POLICY_LAYER_TRUST,
     W_TRUST,
     0,
     "allows 56789@odps.aliyuncs.com to sts:AssumeRole"},
    {"7",
     ODPS_FOR("56789"),
     {NULL},
     NULL,
     TRUST_P("Service", "1xxxx@odps.aliyuncs.com"),
     ASSUME_ROLE,
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_TRUST,
     W_NONE,
     -1,
     "trust policy of " ROLE_ARN
     " allows service 1xxxx@odps.aliyuncs.com; caller is 56789@odps.aliyuncs.com"},
    {"8",
     ODPS_FOR("56789"),
     {NULL},
     NULL,
     TRUST_P("Service", "odps.aliyuncs.com"),
     ASSUME_ROLE,
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_TRUST,
     W_NONE,
     -1,
     "allows service odps.aliyuncs.com; caller is 56789@odps.aliyuncs.com"},
    {"9",
     ODPS_FOR("12345"),
     {NULL},
     NULL,
     TRUST_P("Service", "odps.aliyuncs.com"),
     ASSUME_ROLE,
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_ALLOW,
     POLICY_LAYER_TRUST,
     W_TRUST,
     0,
     NULL},
    {"10",
     OP_ASSUME,
     POLICY_CALLER_ROOT,
     "56789",
     POLICY_PRINCIPAL_RAM,
     "acs:ram::56789:root",
     {STS_ACCESS},
     NULL,
     TRUST_ROOT_B,
     ASSUME_ROLE,
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_EXPLICIT_DENY,
     POLICY_LAYER_ROOT_RULE,
     W_NONE,
     -1,
     "Roles may not be assumed by root accounts."},
    {"11",
     ALICE_ASSUMES,
     {DOC("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":"
          "\"acs:ram:*:12345:role/otherrole\"}")},
     NULL,
     TRUST_ROOT_B,
     ASSUME_ROLE,
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_IDENTITY,
     W_NONE,
     -1,
     "resource " ROLE_ARN " is not in Resource [acs:ram:*:12345:role/otherrole]"},
    {"12",
     ALICE_ASSUMES,
     {DOC("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"},"
          "{\"Effect\":\"Deny\",\"Action\":\"sts:AssumeRole\",\"Resource\":"
          "\"acs:ram:*:12345:role/*\"}")},
     NULL,
     TRUST_ROOT_B,
     ASSUME_ROLE,
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_EXPLICIT_DENY,
     POLICY_LAYER_IDENTITY,
     W_ID0,
     1,
     "explicit deny of sts:AssumeRole"},
    {"13a",
     ALICE_ASSUMES,
     {STS_ACCESS},
     NULL,
     DOC("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"RAM\":"
         "\"acs:ram::56789:root\"}},{\"Sid\":\"no-alice\",\"Effect\":\"Deny\",\"Action\":"
         "\"sts:AssumeRole\",\"Principal\":{\"RAM\":\"" ALICE "\"}}"),
     ASSUME_ROLE,
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_EXPLICIT_DENY,
     POLICY_LAYER_TRUST,
     W_TRUST,
     1,
     "explicit deny of sts:AssumeRole in trust policy of " ROLE_ARN
     " /Statement/1 (Sid no-alice); caller is RAM " ALICE},
    {"13b",
     CAROL_ASSUMES,
     {STS_ACCESS},
     NULL,
     DOC("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"RAM\":"
         "\"acs:ram::56789:root\"}},{\"Sid\":\"no-alice\",\"Effect\":\"Deny\",\"Action\":"
         "\"sts:AssumeRole\",\"Principal\":{\"RAM\":\"" ALICE "\"}}"),
     ASSUME_ROLE,
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_ALLOW,
     POLICY_LAYER_TRUST,
     W_TRUST,
     0,
     NULL},
    {"14a",
     ALICE_ASSUMES,
     {STS_ACCESS},
     NULL,
     TRUST_ROOT_B_COND("{\"IpAddress\":{\"acs:SourceIp\":\"10.0.0.0/8\"}}"),
     ASSUME_ROLE,
     "192.168.1.5",
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_TRUST,
     W_NONE,
     -1,
     "condition IpAddress acs:SourceIp [10.0.0.0/8] failed: request has [192.168.1.5]"},
    {"14b",
     ALICE_ASSUMES,
     {STS_ACCESS},
     NULL,
     TRUST_ROOT_B_COND("{\"IpAddress\":{\"acs:SourceIp\":\"10.0.0.0/8\"}}"),
     ASSUME_ROLE,
     "10.1.2.3",
     NULL,
     NULL,
     NULL,
     POLICY_ALLOW,
     POLICY_LAYER_TRUST,
     W_TRUST,
     0,
     NULL},
    {"15a",
     ALICE_ASSUMES,
     {STS_ACCESS},
     NULL,
     TRUST_ROOT_B_COND("{\"StringEquals\":{\"sts:ExternalId\":\"abcd1234\"}}"),
     ASSUME_ROLE,
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_TRUST,
     W_NONE,
     -1,
     "condition StringEquals sts:ExternalId [abcd1234] failed: key missing from the request"},
    {"15b",
     ALICE_ASSUMES,
     {STS_ACCESS},
     NULL,
     TRUST_ROOT_B_COND("{\"StringEquals\":{\"sts:ExternalId\":\"abcd1234\"}}"),
     ASSUME_ROLE,
     NULL,
     NULL,
     "abcd1234",
     NULL,
     POLICY_ALLOW,
     POLICY_LAYER_TRUST,
     W_TRUST,
     0,
     NULL},
    {"16",
     ALICE_ASSUMES,
     {STS_ACCESS},
     NULL,
     TRUST_ROOT_B_COND("{\"Bool\":{\"acs:SecureTransport\":\"true\"}}"),
     ASSUME_ROLE,
     NULL,
     "false",
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_TRUST,
     W_NONE,
     -1,
     "condition Bool acs:SecureTransport [true] failed: request has [false]"},
    /* 17: the 400 InvalidParameter.DurationSeconds is a parameter check; the
     * policy layer on its own would allow. */
    {"17",
     ALICE_ASSUMES,
     {STS_ACCESS},
     NULL,
     TRUST_ROOT_B,
     ASSUME_ROLE,
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_ALLOW,
     POLICY_LAYER_TRUST,
     W_TRUST,
     0,
     NULL},
    /* 18: the caller canonicalises the ARN to lower case; the matcher also
     * folds the role-name part, so even the raw mixed-case ARN matches. */
    {"18",
     ALICE_ASSUMES,
     {DOC("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":"
          "\"acs:ram:*:12345:role/aliyunodpsroleforotheruser\"}")},
     NULL,
     TRUST_ROOT_B,
     "sts:AssumeRole",
     "acs:ram::12345:role/AliyunODPSRoleForOtherUser",
     "12345",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_ALLOW,
     POLICY_LAYER_TRUST,
     W_TRUST,
     0,
     NULL},
    /* 19: EntityNotExist.Role comes from the world lookup first; with no
     * trust policy the policy layer denies. */
    {"19",
     ALICE_ASSUMES,
     {STS_ACCESS},
     NULL,
     NULL,
     "sts:AssumeRole",
     "acs:ram::12345:role/nosuchrole",
     "12345",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_TRUST,
     W_NONE,
     -1,
     "the role has no trust policy"},
    {"20",
     SESSION_A,
     {ROLE_POLICY},
     NULL,
     NULL,
     "ots:GetRow",
     TABLE("vehicle_track"),
     "12345",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_ALLOW,
     POLICY_LAYER_IDENTITY,
     W_ID0,
     0,
     "identity policy allows ots:GetRow"},
    {"21",
     SESSION_A,
     {ROLE_POLICY},
     DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":"
         "\"acs:ots:*:12345:instance/cap1/table/vehicle_track\"}"),
     NULL,
     "ots:PutRow",
     TABLE("vehicle_track"),
     "12345",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_SESSION,
     W_NONE,
     -1,
     "no session policy allows ots:PutRow on " TABLE("vehicle_track")},
    {"22",
     SESSION_A,
     {DOC("{\"Effect\":\"Allow\",\"Action\":[\"ots:Get*\",\"ots:BatchGet*\"],\"Resource\":"
          "[\"acs:ots:*:12345:instance/cap1\",\"acs:ots:*:12345:instance/cap1/table/*\"]}")},
     DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:*\",\"Resource\":\"*\"}"),
     NULL,
     "ots:PutRow",
     TABLE("vehicle_track"),
     "12345",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_IDENTITY,
     W_NONE,
     -1,
     "action ots:PutRow is not in Action [ots:Get*, ots:BatchGet*]"},
    {"23",
     SESSION_A,
     {DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:*\",\"Resource\":"
          "\"acs:ots:*:12345:instance/cap1\"}")},
     NULL,
     NULL,
     "ots:GetRow",
     TABLE("vehicle_track"),
     "12345",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_IDENTITY,
     W_NONE,
     -1,
     NULL},
    /* 24: the request ARN uses lower(instance) for both "cap1" and "CAP1". */
    {"24a",
     SESSION_A,
     {DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:*\",\"Resource\":"
          "\"acs:ots:*:12345:instance/Cap1/table/*\"}")},
     NULL,
     NULL,
     "ots:GetRow",
     "lower:cap1",
     "12345",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_IDENTITY,
     W_NONE,
     -1,
     NULL},
    {"24b",
     SESSION_A,
     {DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:*\",\"Resource\":"
          "\"acs:ots:*:12345:instance/Cap1/table/*\"}")},
     NULL,
     NULL,
     "ots:GetRow",
     "lower:CAP1",
     "12345",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_IDENTITY,
     W_NONE,
     -1,
     NULL},
    {"25",
     SESSION_A,
     {DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:getrow\",\"Resource\":"
          "\"acs:ots:*:12345:instance/cap1/table/*\"}")},
     NULL,
     NULL,
     "ots:GetRow",
     TABLE("vehicle_track"),
     "12345",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_ALLOW,
     POLICY_LAYER_IDENTITY,
     W_ID0,
     0,
     NULL},
    {"26a",
     SESSION_A,
     {DOC("{\"Effect\":\"Allow\",\"NotAction\":\"ram:*\",\"Resource\":\"*\"}")},
     NULL,
     NULL,
     "ots:PutRow",
     TABLE("vehicle_track"),
     "12345",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_ALLOW,
     POLICY_LAYER_IDENTITY,
     W_ID0,
     0,
     NULL},
    {"26b",
     SESSION_A,
     {DOC("{\"Effect\":\"Allow\",\"NotAction\":\"ram:*\",\"Resource\":\"*\"}")},
     NULL,
     NULL,
     "ram:CreateRole",
     "acs:ram::12345:role/newrole",
     "12345",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_IDENTITY,
     W_NONE,
     -1,
     "action ram:CreateRole is excluded by NotAction [ram:*]"},
    {"27",
     OP_AUTHZ,
     POLICY_CALLER_USER,
     "56789",
     POLICY_PRINCIPAL_NONE,
     NULL,
     {DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:*\",\"Resource\":\"*\"}")},
     NULL,
     NULL,
     "ots:GetRow",
     TABLE("vehicle_track"),
     "12345",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_CROSS_ACCOUNT,
     W_NONE,
     -1,
     "user of account 56789 cannot use its identity policies on resources of account 12345"},
    /* 28: InvalidSecurityToken.Expired is an authentication failure; the
     * policy layer for the same session would allow. */
    {"28",
     SESSION_A,
     {ROLE_POLICY},
     NULL,
     NULL,
     "ots:GetRow",
     TABLE("vehicle_track"),
     "12345",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_ALLOW,
     POLICY_LAYER_IDENTITY,
     W_ID0,
     0,
     NULL},
    {"29",
     SESSION_A,
     {DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:*\",\"Resource\":\"*\",\"Condition\":"
          "{\"DateLessThan\":{\"acs:CurrentTime\":\"2016-01-01T00:00:00+08:00\"}}}")},
     NULL,
     NULL,
     "ots:GetRow",
     TABLE("vehicle_track"),
     "12345",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_IDENTITY,
     W_NONE,
     -1,
     "condition DateLessThan acs:CurrentTime [2016-01-01T00:00:00+08:00] failed: request has "
     "[" NOW "]"},
    /* 30: per-table decisions; row "30" is the disallowed table, and
     * batch_all_or_nothing() checks the combination. */
    {"30",
     SESSION_A,
     {DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:BatchGetRow\",\"Resource\":"
          "\"acs:ots:*:12345:instance/cap1/table/vehicle_track\"}")},
     NULL,
     NULL,
     "ots:BatchGetRow",
     TABLE("secret_table"),
     "12345",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_IDENTITY,
     W_NONE,
     -1,
     NULL},
    {"31",
     SESSION_A,
     {DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:*\",\"Resource\":\"*\",\"Condition\":"
          "{\"StringLike\":{\"acs:SourceVpc\":\"vpc-*\"}}}")},
     NULL,
     NULL,
     "ots:GetRow",
     TABLE("vehicle_track"),
     "12345",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_IDENTITY,
     W_NONE,
     -1,
     "key missing from the request"},
    {"32",
     SESSION_A,
     {DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:*\",\"Resource\":\"*\",\"Condition\":"
          "{\"StringNotEquals\":{\"acs:SourceVpc\":\"vpc-123\"}}}")},
     NULL,
     NULL,
     "ots:GetRow",
     TABLE("vehicle_track"),
     "12345",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_ALLOW,
     POLICY_LAYER_IDENTITY,
     W_ID0,
     0,
     NULL},
    {"33",
     OP_AUTHZ,
     POLICY_CALLER_USER,
     "56789",
     POLICY_PRINCIPAL_NONE,
     NULL,
     {STS_ACCESS},
     NULL,
     NULL,
     "ram:CreateRole",
     "acs:ram::56789:role/newrole",
     "56789",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_IDENTITY,
     W_NONE,
     -1,
     "no identity policy allows ram:CreateRole on acs:ram::56789:role/newrole (closest System "
     "policy AliyunSTSAssumeRoleAccess v1 /Statement/0: action ram:CreateRole is not in Action "
     "[sts:AssumeRole])"},
    /* 34: the deleted role's token is rejected by authentication; if it got
     * this far the role has no policies left and the layer denies anyway. */
    {"34",
     SESSION_A,
     {NULL},
     NULL,
     NULL,
     "ots:GetRow",
     TABLE("vehicle_track"),
     "12345",
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_IMPLICIT_DENY,
     POLICY_LAYER_IDENTITY,
     W_NONE,
     -1,
     NULL},
    {"35",
     OP_ASSUME,
     POLICY_CALLER_ROLE_SESSION,
     "56789",
     POLICY_PRINCIPAL_RAM,
     "acs:ram::56789:assumed-role/etl/etl-session",
     {DOC("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"}")},
     NULL,
     TRUST_P("RAM", "acs:ram::56789:role/etl"),
     ASSUME_ROLE,
     NULL,
     NULL,
     NULL,
     NULL,
     POLICY_ALLOW,
     POLICY_LAYER_TRUST,
     W_TRUST,
     0,
     NULL},
};

static const policy_doc_t *load(const char *text, policy_kind kind)
{
    if (!text)
        return NULL;
    if (strncmp(text, "sys:", 4) == 0) {
        const policy_doc_t *d = policy_system_find(text + 4);
        assert_non_null(d);
        return d;
    }
    return tp_doc(text, kind);
}

/* "lower:<Instance>" builds the Tablestore request ARN the way the authorize
 * phase must (§3.3): lower-cased instance name, table as sent. */
static const char *resource_of(const char *r, char *buf, size_t cap)
{
    if (strncmp(r, "lower:", 6) != 0)
        return r;
    char inst[64];
    size_t n = strlen(r + 6);
    assert_true(n < sizeof inst);
    for (size_t i = 0; i <= n; i++)
        inst[i] = (char)tolower((unsigned char)r[6 + i]);
    snprintf(buf, cap, "acs:ots:cn-hangzhou:12345:instance/%s/table/vehicle_track", inst);
    return buf;
}

static policy_result run_case(const dcase *c, policy_trace *t)
{
    const policy_doc_t *identity[2] = {NULL, NULL};
    size_t n_identity = 0;
    char rbuf[256];
    const char *ip = c->ip ? c->ip : "10.1.2.3";
    const char *tls = c->tls ? c->tls : "true";
    policy_ckey keys[6];
    size_t n_keys = 0;

    for (size_t i = 0; i < 2; i++)
        if (c->identity[i])
            identity[n_identity++] = load(c->identity[i], POLICY_KIND_PERMISSION);
    keys[n_keys++] = POLICY_CKEY1("acs:SourceIp", ip);
    keys[n_keys++] = POLICY_CKEY1("acs:SecureTransport", tls);
    keys[n_keys++] = POLICY_CKEY1("acs:CurrentTime", NOW);
    keys[n_keys++] = POLICY_CKEY1("acs:MFAPresent", "false");
    /* Not POLICY_CKEY1 here: a compound literal in an unbraced if body dies
     * with that body. */
    const char *ext[] = {c->external_id}, *vpc[] = {c->vpc};
    if (c->external_id)
        keys[n_keys++] = (policy_ckey){"sts:ExternalId", ext, 1};
    if (c->vpc)
        keys[n_keys++] = (policy_ckey){"acs:SourceVpc", vpc, 1};

    policy_ctx ctx = {.action = c->action,
                      .resource = resource_of(c->resource, rbuf, sizeof rbuf),
                      .principal = {c->ptype, c->pvalue},
                      .keys = keys,
                      .n_keys = n_keys};
    policy_authz in = {.caller = c->caller,
                       .caller_account = c->caller_account,
                       .resource_account = c->resource_account,
                       .identity = identity,
                       .n_identity = n_identity,
                       .session = load(c->session, POLICY_KIND_SESSION),
                       .trust = load(c->trust, POLICY_KIND_TRUST),
                       .ctx = &ctx};
    policy_trace_init(t);
    policy_result r = c->op == OP_ASSUME ? policy_assume_role(&in, t) : policy_authorize(&in, t);

    /* Reason strings borrow ctx, so check them here. */
    char reason[768];
    policy_trace_reason(t, reason, sizeof reason);
    if (getenv("TP_VERBOSE"))
        printf("case %-3s %-12s %-13s %s\n", c->no, policy_decision_name(r.decision),
               policy_layer_name(r.layer), reason);
    if (c->reason && !strstr(reason, c->reason))
        fail_msg("case %s: reason\n  %s\ndoes not contain\n  %s", c->no, reason, c->reason);
    /* The JSON rendering must agree with the result. */
    cJSON *j = policy_trace_to_json(t);
    assert_string_equal(cJSON_GetObjectItem(j, "decision")->valuestring,
                        policy_decision_name(r.decision));
    assert_string_equal(cJSON_GetObjectItem(j, "layer")->valuestring, policy_layer_name(r.layer));
    cJSON_Delete(j);

    const policy_doc_t *want_doc = NULL;
    switch (c->doc) {
    case W_ID0:
        want_doc = identity[0];
        break;
    case W_ID1:
        want_doc = identity[1];
        break;
    case W_SESSION:
        want_doc = in.session;
        break;
    case W_TRUST:
        want_doc = in.trust;
        break;
    case W_NONE:
        break;
    }
    if (r.decision != c->decision || r.layer != c->layer || r.doc != want_doc || r.stmt != c->stmt)
        fail_msg("case %s: got %s/%s stmt %d (doc %s), want %s/%s stmt %d; reason: %s", c->no,
                 policy_decision_name(r.decision), policy_layer_name(r.layer), r.stmt,
                 r.doc == want_doc ? "as expected" : "differs", policy_decision_name(c->decision),
                 policy_layer_name(c->layer), c->stmt, reason);
    assert_int_equal(t->decision, r.decision);
    assert_int_equal(t->layer, r.layer);
    return r;
}

static void decision_table(void **state)
{
    (void)state;
    static policy_trace t; /* ~20 KB; static keeps cmocka's stack small */
    char seen[64] = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_case(&cases[i], &t);
        int no = 0;
        sscanf(cases[i].no, "%d", &no);
        assert_true(no >= 1 && no <= 35);
        seen[no] = 1;
        tp_free_all(NULL);
    }
    /* Every §6 case is in the table. */
    for (int no = 1; no <= 35; no++)
        if (!seen[no])
            fail_msg("decision case %d missing from the table", no);
}

/* Case 30 in full: the batch is allowed only if every table is. */
static void batch_all_or_nothing(void **state)
{
    (void)state;
    static policy_trace t;
    dcase ok = cases[0], bad = cases[0];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (strcmp(cases[i].no, "30") == 0)
            ok = bad = cases[i];
    ok.resource = TABLE("vehicle_track");
    ok.decision = POLICY_ALLOW;
    ok.doc = W_ID0;
    ok.stmt = 0;
    const dcase *tables[] = {&ok, &bad};
    bool all = true;
    for (size_t i = 0; i < 2; i++)
        all = all && run_case(tables[i], &t).decision == POLICY_ALLOW;
    assert_false(all);
}

/* The layered helpers on their own: root, service and session specifics not
 * covered by a §6 row. */
static void layered_rules(void **state)
{
    (void)state;
    static policy_trace t;
    const policy_doc_t *deny_put =
        tp_doc(DOC("{\"Effect\":\"Deny\",\"Action\":\"ots:PutRow\",\"Resource\":\"*\"}"),
               POLICY_KIND_SESSION);
    const policy_doc_t *role = tp_doc(ROLE_POLICY, POLICY_KIND_PERMISSION);
    const policy_doc_t *deny_all = tp_doc(
        DOC("{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}"), POLICY_KIND_PERMISSION);
    policy_ctx ctx = {.action = "ots:PutRow", .resource = TABLE("vehicle_track")};
    const policy_doc_t *ids[] = {role, deny_all};
    policy_authz in = {.caller = POLICY_CALLER_ROOT,
                       .caller_account = "12345",
                       .resource_account = "12345",
                       .identity = ids,
                       .n_identity = 2,
                       .ctx = &ctx};
    char reason[256];

    /* Root on its own account: allowed whatever the policies say. */
    policy_trace_init(&t);
    policy_result r = policy_authorize(&in, &t);
    assert_int_equal(r.decision, POLICY_ALLOW);
    assert_int_equal(r.layer, POLICY_LAYER_ROOT_RULE);
    policy_trace_reason(&t, reason, sizeof reason);
    assert_string_equal(reason, "root of account 12345 may do anything on its own account");
    /* Root elsewhere: nothing. */
    in.caller_account = "56789";
    r = policy_authorize(&in, NULL);
    assert_int_equal(r.decision, POLICY_IMPLICIT_DENY);
    assert_int_equal(r.layer, POLICY_LAYER_CROSS_ACCOUNT);
    /* Service principals hold no identity policies. */
    in.caller = POLICY_CALLER_SERVICE;
    r = policy_authorize(&in, NULL);
    assert_int_equal(r.decision, POLICY_IMPLICIT_DENY);
    assert_int_equal(r.layer, POLICY_LAYER_IDENTITY);

    /* Role session: explicit deny in the session policy wins, and is named. */
    in.caller = POLICY_CALLER_ROLE_SESSION;
    in.caller_account = "12345";
    in.n_identity = 1;
    in.session = deny_put;
    policy_trace_init(&t);
    r = policy_authorize(&in, &t);
    assert_int_equal(r.decision, POLICY_EXPLICIT_DENY);
    assert_int_equal(r.layer, POLICY_LAYER_SESSION);
    assert_ptr_equal(r.doc, deny_put);
    assert_int_equal(t.n_evals, 2); /* both layers evaluated for the trace */
    /* An explicit deny in the identity policies beats a session implicit deny. */
    in.session = tp_doc(DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\"}"),
                        POLICY_KIND_SESSION);
    in.n_identity = 2;
    r = policy_authorize(&in, NULL);
    assert_int_equal(r.decision, POLICY_EXPLICIT_DENY);
    assert_int_equal(r.layer, POLICY_LAYER_IDENTITY);
    assert_ptr_equal(r.doc, deny_all);
    /* A user's session field is ignored (only role sessions have one). */
    in.caller = POLICY_CALLER_USER;
    in.n_identity = 1;
    in.session = deny_put;
    r = policy_authorize(&in, NULL);
    assert_int_equal(r.decision, POLICY_ALLOW);
    assert_int_equal(r.layer, POLICY_LAYER_IDENTITY);

    /* AssumeRole by a service ignores identity documents entirely. */
    const policy_doc_t *tr =
        tp_doc(TRUST_P("Service", "56789@odps.aliyuncs.com"), POLICY_KIND_TRUST);
    policy_ctx actx = {.action = "sts:AssumeRole",
                       .resource = ROLE_ARN,
                       .principal = {POLICY_PRINCIPAL_SERVICE, "56789@odps.aliyuncs.com"}};
    const policy_doc_t *deny_ids[] = {deny_all};
    policy_authz a = {.caller = POLICY_CALLER_SERVICE,
                      .caller_account = "56789",
                      .resource_account = "12345",
                      .identity = deny_ids,
                      .n_identity = 1,
                      .trust = tr,
                      .ctx = &actx};
    r = policy_assume_role(&a, NULL);
    assert_int_equal(r.decision, POLICY_ALLOW);
    /* A trust policy whose statement has the wrong action does not allow. */
    const policy_doc_t *tr2 = tp_doc(DOC("{\"Effect\":\"Allow\",\"Action\":\"sts:"
                                         "AssumeRoleWithSAML\",\"Principal\":{\"Service\":"
                                         "\"56789@odps.aliyuncs.com\"}}"),
                                     POLICY_KIND_TRUST);
    a.trust = tr2;
    policy_trace_init(&t);
    r = policy_assume_role(&a, &t);
    assert_int_equal(r.decision, POLICY_IMPLICIT_DENY);
    assert_int_equal(r.layer, POLICY_LAYER_TRUST);
    policy_trace_reason(&t, reason, sizeof reason);
    assert_non_null(
        strstr(reason, "action sts:AssumeRole is not in Action [sts:AssumeRoleWithSAML]"));
}

/* Control policies (Resource Directory): a boundary evaluated level by level
 * before identity policies; an applying Deny at any level is final, a level
 * without an applying Allow refuses, and they never grant by themselves. */
static void control_levels(void **state)
{
    (void)state;
    static policy_trace t;
    const policy_doc_t *full = policy_system_control_find("FullAliyunAccess", NULL);
    const policy_doc_t *no_put = tp_doc(
        DOC("{\"Sid\":\"NoPut\",\"Effect\":\"Deny\",\"Action\":\"ots:Put*\",\"Resource\":\"*\"}"),
        POLICY_KIND_PERMISSION);
    const policy_doc_t *reads =
        tp_doc(DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:Get*\",\"Resource\":\"*\"}"),
               POLICY_KIND_PERMISSION);
    const policy_doc_t *role = tp_doc(ROLE_POLICY, POLICY_KIND_PERMISSION);
    const policy_doc_t *admin = policy_system_find("AdministratorAccess");
    const policy_doc_t *member_docs[] = {full};
    const policy_doc_t *folder_docs[] = {full, no_put};
    const policy_doc_t *root_docs[] = {reads};
    policy_control_level levels[] = {
        {"56789", member_docs, 1}, {"fd-prod", folder_docs, 2}, {"r-root", root_docs, 1}};
    policy_ctx ctx = {.action = "ots:PutRow",
                      .resource = "acs:ots:cn-hangzhou:56789:instance/i/table/t"};
    const policy_doc_t *ids[] = {admin};
    policy_authz in = {.caller = POLICY_CALLER_USER,
                       .caller_account = "56789",
                       .resource_account = "56789",
                       .identity = ids,
                       .n_identity = 1,
                       .control = levels,
                       .n_control = 3,
                       .ctx = &ctx};
    char reason[256];

    /* The folder's Deny is final, whatever the identity policies allow. */
    policy_trace_init(&t);
    policy_result r = policy_authorize(&in, &t);
    assert_int_equal(r.decision, POLICY_EXPLICIT_DENY);
    assert_int_equal(r.layer, POLICY_LAYER_CONTROL);
    assert_ptr_equal(r.doc, no_put);
    assert_int_equal(t.n_evals, 2); /* member, folder; identity never evaluated */
    assert_string_equal(t.evals[1].scope, "fd-prod");
    policy_trace_reason(&t, reason, sizeof reason);
    assert_non_null(strstr(reason, "a control policy attached to fd-prod"));
    assert_string_equal(policy_layer_name(POLICY_LAYER_CONTROL), "control");

    /* Reads pass every level, then identity decides. */
    ctx.action = "ots:GetRow";
    r = policy_authorize(&in, NULL);
    assert_int_equal(r.decision, POLICY_ALLOW);
    assert_int_equal(r.layer, POLICY_LAYER_IDENTITY);
    /* A boundary: the Root level allows only Get*, so a delete is refused
     * there although the lower levels allow everything. */
    ctx.action = "ots:DeleteRow";
    policy_trace_init(&t);
    r = policy_authorize(&in, &t);
    assert_int_equal(r.decision, POLICY_IMPLICIT_DENY);
    assert_int_equal(r.layer, POLICY_LAYER_CONTROL);
    policy_trace_reason(&t, reason, sizeof reason);
    assert_non_null(strstr(reason, "no control policy attached to r-root allows ots:DeleteRow"));
    /* Control policies never grant: an identity without the action is
     * still refused at the identity layer. */
    ctx.action = "ots:GetRow";
    ids[0] = role;
    ctx.action = "ots:GetRange";
    ctx.resource = "acs:ots:cn-hangzhou:56789:instance/other/table/t";
    r = policy_authorize(&in, NULL);
    assert_int_equal(r.layer, POLICY_LAYER_IDENTITY);
    assert_int_equal(r.decision, POLICY_IMPLICIT_DENY);
    /* Root callers are not bounded; AssumeRole is bounded like the rest. */
    in.caller = POLICY_CALLER_ROOT;
    ctx.action = "ots:PutRow";
    assert_int_equal(policy_authorize(&in, NULL).decision, POLICY_ALLOW);
    in.caller = POLICY_CALLER_USER;
    ids[0] = admin;
    ctx.action = "sts:AssumeRole";
    ctx.resource = "acs:ram::12345:role/r";
    root_docs[0] = no_put; /* Root now has a Deny on ots:Put* only: no Allow */
    r = policy_assume_role(&in, NULL);
    assert_int_equal(r.layer, POLICY_LAYER_CONTROL);
    assert_int_equal(r.decision, POLICY_IMPLICIT_DENY);
}

/* Tablestore instance network ACL: checked first, for every caller; a
 * trusted proxy passes when the source list allows it. */
static void network_acl(void **state)
{
    (void)state;
    static policy_trace t;
    const policy_doc_t *admin = policy_system_find("AdministratorAccess");
    const policy_doc_t *ids[] = {admin};
    policy_ctx ctx = {.action = "ots:GetRow",
                      .resource = "acs:ots:cn-hangzhou:12345:instance/cap1/table/t"};
    policy_network net = {.instance = "cap1",
                          .type = POLICY_NET_INTERNET,
                          .has_type_acl = true,
                          .type_acl = POLICY_NET_VPC,
                          .has_source_acl = true,
                          .source_acl = POLICY_NETSRC_TRUST_PROXY};
    policy_authz in = {.caller = POLICY_CALLER_ROOT,
                       .caller_account = "12345",
                       .resource_account = "12345",
                       .identity = ids,
                       .n_identity = 1,
                       .network = &net,
                       .ctx = &ctx};
    char reason[256];

    policy_trace_init(&t);
    policy_result r = policy_authorize(&in, &t);
    assert_int_equal(r.decision, POLICY_EXPLICIT_DENY);
    assert_int_equal(r.layer, POLICY_LAYER_NETWORK_ACL);
    policy_trace_reason(&t, reason, sizeof reason);
    assert_string_equal(reason, "network INTERNET is not in the network type ACL [VPC] of instance "
                                "cap1, and no trusted proxy relayed the request: Request denied "
                                "by instance ACL policies.");
    /* VPC passes, then the usual layers decide. */
    net.type = POLICY_NET_VPC;
    assert_int_equal(policy_authorize(&in, NULL).layer, POLICY_LAYER_ROOT_RULE);
    /* The console (trusted proxy) passes while the source list allows it. */
    net.type = POLICY_NET_INTERNET;
    net.trust_proxy = true;
    in.caller = POLICY_CALLER_USER;
    assert_int_equal(policy_authorize(&in, NULL).decision, POLICY_ALLOW);
    net.source_acl = 0;
    assert_int_equal(policy_authorize(&in, NULL).layer, POLICY_LAYER_NETWORK_ACL);
    /* No type list: every network. */
    net.has_type_acl = false;
    assert_int_equal(policy_authorize(&in, NULL).decision, POLICY_ALLOW);
    assert_string_equal(policy_layer_name(POLICY_LAYER_NETWORK_ACL), "network");
    uint8_t bit = 0;
    assert_true(policy_network_type_parse("classic", 7, &bit));
    assert_int_equal(bit, POLICY_NET_CLASSIC);
    assert_false(policy_network_type_parse("lan", 3, &bit));
}

/* Tablestore instance policy (resource-based, INSTANCE_POLICY): Principal
 * and Resource both required; its Deny beats every Allow, the owner's root
 * included; its Allow grants within the owner's account alone and across
 * accounts together with the caller's identity policies. */
static void instance_policy(void **state)
{
    (void)state;
    static policy_trace t;
    policy_doc_t *bad = NULL;
    emu_err err = {0};
    char reason[512];
    /* Grammar: both elements, the short Principal form, "*" alone. */
    static const char *const rejected[] = {
        DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:*\",\"Resource\":\"*\"}"),
        DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:*\",\"Principal\":[\"*\"]}"),
        DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:*\",\"Resource\":\"*\",\"Principal\":"
            "[\"acs:ram::56789:user/*\"]}"),
        DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:*\",\"Resource\":\"*\",\"Principal\":[]}"),
    };
    for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++) {
        assert_int_equal(
            policy_compile(rejected[i], strlen(rejected[i]), POLICY_KIND_RESOURCE, &bad, &err),
            EMU_E_INVALID);
        assert_null(bad);
    }
    assert_non_null(strstr(err.msg, "$.Statement[0].Principal"));
    /* A permission policy still may not name a Principal. */
    const char *perm_p = DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:*\",\"Resource\":\"*\","
                             "\"Principal\":[\"*\"]}");
    assert_int_equal(policy_compile(perm_p, strlen(perm_p), POLICY_KIND_PERMISSION, &bad, &err),
                     EMU_E_INVALID);
    /* 4 KB cap. */
    char big[4200];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, perm_p, strlen(perm_p));
    assert_int_equal(policy_compile(big, strlen(big), POLICY_KIND_RESOURCE, &bad, &err),
                     EMU_E_LIMIT);

    policy_doc_t *ip = (policy_doc_t *)(uintptr_t)tp_doc(
        DOC("{\"Sid\":\"OfficeOnly\",\"Effect\":\"Deny\",\"Principal\":[\"*\"],\"Action\":"
            "\"ots:*\",\"Resource\":\"acs:ots:*:12345:instance/cap1*\",\"Condition\":{"
            "\"NotIpAddress\":{\"acs:SourceIp\":\"10.0.0.0/8\"}}},"
            "{\"Sid\":\"Partner\",\"Effect\":\"Allow\",\"Principal\":{\"RAM\":[\"56789\"],"
            "\"Service\":[\"56789@odps.aliyuncs.com\"]},\"Action\":\"ots:GetRow\",\"Resource\":"
            "\"acs:ots:*:12345:instance/cap1/table/*\"},"
            "{\"Effect\":\"Allow\",\"Principal\":[\"acs:ram::12345:user/bob\"],\"Action\":"
            "\"ots:*\",\"Resource\":\"*\"}"),
        POLICY_KIND_RESOURCE);
    policy_doc_set_label(ip, "cap1", "Instance", NULL);
    const policy_doc_t *admin = policy_system_find("AdministratorAccess");
    const policy_doc_t *ids[] = {admin};
    const char *ip_out[] = {"192.0.2.7"}, *ip_in[] = {"10.1.2.3"};
    policy_ckey keys[] = {{"acs:SourceIp", ip_out, 1}};
    policy_ctx ctx = {.action = "ots:GetRow",
                      .resource = TABLE("t"),
                      .resource_account = "12345",
                      .keys = keys,
                      .n_keys = 1};
    policy_authz in = {.caller = POLICY_CALLER_USER,
                       .caller_account = "12345",
                       .resource_account = "12345",
                       .identity = ids,
                       .n_identity = 1,
                       .resource_policy = ip,
                       .presented = {POLICY_PRINCIPAL_RAM, "acs:ram::12345:user/ann"},
                       .ctx = &ctx};

    /* The Deny beats AdministratorAccess, and binds the owner's root. */
    policy_trace_init(&t);
    policy_result r = policy_authorize(&in, &t);
    assert_int_equal(r.decision, POLICY_EXPLICIT_DENY);
    assert_int_equal(r.layer, POLICY_LAYER_INSTANCE_POLICY);
    assert_ptr_equal(r.doc, ip);
    assert_int_equal(r.stmt, 0);
    policy_trace_reason(&t, reason, sizeof reason);
    assert_string_equal(reason, "explicit deny of ots:GetRow on " TABLE(
                                    "t") " in Instance policy "
                                         "cap1 /Statement/0 (Sid OfficeOnly); caller is RAM "
                                         "acs:ram::12345:user/ann");
    assert_string_equal(policy_layer_name(POLICY_LAYER_INSTANCE_POLICY), "instance-policy");
    in.caller = POLICY_CALLER_ROOT;
    in.presented.value = "acs:ram::12345:root";
    assert_int_equal(policy_authorize(&in, NULL).layer, POLICY_LAYER_INSTANCE_POLICY);
    /* From the office network the owner's root and its admins pass as before. */
    keys[0].values = ip_in;
    assert_int_equal(policy_authorize(&in, NULL).layer, POLICY_LAYER_ROOT_RULE);
    in.caller = POLICY_CALLER_USER;
    in.presented.value = "acs:ram::12345:user/ann";
    r = policy_authorize(&in, NULL);
    assert_int_equal(r.decision, POLICY_ALLOW);
    assert_int_equal(r.layer, POLICY_LAYER_IDENTITY);
    /* Same account: the instance policy's Allow grants alone. */
    in.n_identity = 0;
    assert_int_equal(policy_authorize(&in, NULL).layer, POLICY_LAYER_IDENTITY); /* ann: none */
    in.presented.value = "acs:ram::12345:user/bob";
    policy_trace_init(&t);
    r = policy_authorize(&in, &t);
    assert_int_equal(r.decision, POLICY_ALLOW);
    assert_int_equal(r.layer, POLICY_LAYER_INSTANCE_POLICY);
    assert_int_equal(r.stmt, 2);
    policy_trace_reason(&t, reason, sizeof reason);
    assert_string_equal(reason, "instance policy allows RAM acs:ram::12345:user/bob to ots:GetRow "
                                "on " TABLE("t") " (Instance policy cap1 /Statement/2)");
    /* Across accounts: the instance policy must name the caller (account
     * 56789 as a whole) and the caller's own policies must allow too. */
    in.caller_account = "56789";
    in.presented.value = ALICE;
    in.n_identity = 1;
    r = policy_authorize(&in, NULL);
    assert_int_equal(r.decision, POLICY_ALLOW);
    assert_int_equal(r.layer, POLICY_LAYER_INSTANCE_POLICY);
    assert_int_equal(r.stmt, 1);
    in.n_identity = 0;
    r = policy_authorize(&in, NULL);
    assert_int_equal(r.decision, POLICY_IMPLICIT_DENY);
    assert_int_equal(r.layer, POLICY_LAYER_IDENTITY);
    /* Another action than the one granted: the cross-account boundary. */
    in.n_identity = 1;
    ctx.action = "ots:PutRow";
    policy_trace_init(&t);
    r = policy_authorize(&in, &t);
    assert_int_equal(r.decision, POLICY_IMPLICIT_DENY);
    assert_int_equal(r.layer, POLICY_LAYER_CROSS_ACCOUNT);
    policy_trace_reason(&t, reason, sizeof reason);
    assert_string_equal(
        reason, "the instance policy of " TABLE(
                    "t") " does not allow RAM " ALICE
                         " to ots:PutRow (closest Instance policy cap1 /Statement/2: allows RAM "
                         "acs:ram::12345:user/bob; caller is RAM " ALICE "); user of account 56789 "
                         "reaches resources of account 12345 only through it");
    /* Another account's root, and a service acting for it. */
    ctx.action = "ots:GetRow";
    in.caller = POLICY_CALLER_ROOT;
    in.presented.value = "acs:ram::56789:root";
    assert_int_equal(policy_authorize(&in, NULL).layer, POLICY_LAYER_INSTANCE_POLICY);
    in.caller = POLICY_CALLER_SERVICE;
    in.presented = (policy_principal){POLICY_PRINCIPAL_SERVICE, "56789@odps.aliyuncs.com"};
    assert_int_equal(policy_authorize(&in, NULL).decision, POLICY_ALLOW);
    in.presented.value = "11111@odps.aliyuncs.com";
    assert_int_equal(policy_authorize(&in, NULL).layer, POLICY_LAYER_IDENTITY);
    /* A session policy still has to allow first. */
    const policy_doc_t *narrow =
        tp_doc(DOC("{\"Effect\":\"Allow\",\"Action\":\"ots:PutRow\",\"Resource\":\"*\"}"),
               POLICY_KIND_SESSION);
    in.caller = POLICY_CALLER_ROLE_SESSION;
    in.caller_account = "12345";
    in.presented = (policy_principal){POLICY_PRINCIPAL_RAM, "acs:ram::12345:assumed-role/r/s"};
    in.session = narrow;
    assert_int_equal(policy_authorize(&in, NULL).layer, POLICY_LAYER_SESSION);
}

int tp_run_cases(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(decision_table, tp_free_all),
        cmocka_unit_test_teardown(batch_all_or_nothing, tp_free_all),
        cmocka_unit_test_teardown(layered_rules, tp_free_all),
        cmocka_unit_test_teardown(control_levels, tp_free_all),
        cmocka_unit_test_teardown(network_acl, tp_free_all),
        cmocka_unit_test_teardown(instance_policy, tp_free_all),
    };
    return cmocka_run_group_tests_name("policy_cases", tests, NULL, NULL);
}
