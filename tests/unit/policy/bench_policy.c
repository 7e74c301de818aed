/* Decision-time microbenchmark (issue 4 figures): median time of one
 * policy_authorize for (a) the seed scenario's role policy and (b) twenty
 * condition-heavy policies, evaluated as enforcement does (trace included);
 * then both again with three levels of Resource Directory control policies
 * in front, and with a Tablestore network ACL and instance policy present
 * (issue 17).
 * A benchmark, not a test: scripts/bench runs it and prints the medians. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu/json.h"
#include "emu/policy.h"

#define ROUNDS 201
#define PER_ROUND 2000

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static policy_doc_t *compile_kind(const char *text, policy_kind kind)
{
    emu_err err = {0};
    policy_doc_t *d = NULL;
    if (policy_compile(text, strlen(text), kind, &d, &err) != EMU_OK) {
        fprintf(stderr, "bench_policy: %s\n", err.msg);
        exit(1);
    }
    return d;
}

static policy_doc_t *compile(const char *text)
{
    return compile_kind(text, POLICY_KIND_PERMISSION);
}

/* Median nanoseconds per decision; checks the decision is the expected one. */
static double run(const policy_doc_t *const *docs, size_t n, const policy_ctx *ctx,
                  const policy_control_level *control, size_t n_control, const policy_network *net,
                  const policy_doc_t *rp, policy_decision want)
{
    static policy_trace trace;
    double med[ROUNDS];
    policy_authz in = {.caller = POLICY_CALLER_ROLE_SESSION,
                       .caller_account = "12345",
                       .resource_account = "12345",
                       .identity = docs,
                       .n_identity = n,
                       .control = control,
                       .n_control = n_control,
                       .network = net,
                       .resource_policy = rp,
                       .presented = {POLICY_PRINCIPAL_RAM,
                                     "acs:ram::12345:assumed-role/aliyunodpsroleforotheruser/s"},
                       .ctx = ctx};
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t t0 = now_ns();
        for (int i = 0; i < PER_ROUND; i++) {
            policy_trace_init(&trace);
            policy_result res = policy_authorize(&in, &trace);
            if (res.decision != want) {
                fprintf(stderr, "bench_policy: unexpected decision %d\n", res.decision);
                exit(1);
            }
        }
        med[r] = (double)(now_ns() - t0) / PER_ROUND;
    }
    qsort(med, ROUNDS, sizeof med[0], cmp);
    return med[ROUNDS / 2];
}

int main(void)
{
    emu_json_init();
    /* (a) The seed: AliyunODPSRolePolicyForOtherUser, ten ots actions on "*". */
    const policy_doc_t *seed[1] = {compile(
        "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"ots:ListTable\","
        "\"ots:DescribeTable\",\"ots:GetRow\",\"ots:PutRow\",\"ots:UpdateRow\",\"ots:DeleteRow\","
        "\"ots:GetRange\",\"ots:BatchGetRow\",\"ots:BatchWriteRow\","
        "\"ots:ComputeSplitPointsBySize\"],\"Resource\":\"*\"}]}")};
    const policy_ckey keys[] = {
        POLICY_CKEY1("acs:SourceIp", "127.0.0.1"),
        POLICY_CKEY1("acs:SecureTransport", "false"),
        POLICY_CKEY1("acs:CurrentTime", "2026-11-28T05:00:00Z"),
        POLICY_CKEY1("acs:MFAPresent", "false"),
        POLICY_CKEY1("acs:AccessId", "STS.NbenchAccessKey0001"),
    };
    policy_ctx ctx = {.action = "ots:GetRange",
                      .resource = "acs:ots:cn-hangzhou:12345:instance/cap1/table/vehicle_track",
                      .keys = keys,
                      .n_keys = sizeof keys / sizeof keys[0]};
    double a = run(seed, 1, &ctx, NULL, 0, NULL, NULL, POLICY_ALLOW);

    /* (b) Twenty policies, each with several statements and conditions of
     * every family; only the last statement of the last policy allows. */
    const policy_doc_t *many[20];
    for (int i = 0; i < 20; i++) {
        char text[2048];
        snprintf(text, sizeof text,
                 "{\"Version\":\"1\",\"Statement\":["
                 "{\"Effect\":\"Allow\",\"Action\":[\"ots:Put*\",\"ots:Update*\"],"
                 "\"Resource\":\"acs:ots:*:12345:instance/cap%d/table/*\","
                 "\"Condition\":{\"IpAddress\":{\"acs:SourceIp\":[\"10.%d.0.0/16\","
                 "\"192.168.%d.0/24\"]},\"Bool\":{\"acs:SecureTransport\":\"true\"}}},"
                 "{\"Effect\":\"Deny\",\"Action\":\"ots:Delete*\",\"Resource\":\"*\","
                 "\"Condition\":{\"StringNotLike\":{\"acs:AccessId\":\"LTAI%d*\"}}},"
                 "{\"Effect\":\"Allow\",\"Action\":\"ots:Get*\","
                 "\"Resource\":\"acs:ots:cn-hangzhou:12345:instance/%s/table/vehicle_*\","
                 "\"Condition\":{\"DateLessThan\":{\"acs:CurrentTime\":\"2030-01-0%dT00:00:00Z\"},"
                 "\"IpAddress\":{\"acs:SourceIp\":\"127.0.0.0/8\"},"
                 "\"StringEquals\":{\"acs:MFAPresent\":[\"false\",\"true\"]}}}]}",
                 i, i, i, i, i == 19 ? "cap1" : "other", 1 + i % 9);
        many[i] = compile(text);
    }
    double b = run(many, 20, &ctx, NULL, 0, NULL, NULL, POLICY_ALLOW);

    /* (c) The same two with the control-policy layer present: a member
     * account in a folder under Root, FullAliyunAccess on each node and, on
     * the folder, a condition-heavy Deny that does not apply. */
    const policy_doc_t *full = policy_system_control_find("FullAliyunAccess", NULL);
    const policy_doc_t *guard = compile(
        "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":[\"ram:*\","
        "\"ots:Delete*\",\"ots:Drop*\"],\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Action\":\"*\","
        "\"Resource\":\"*\",\"Condition\":{\"NotIpAddress\":{\"acs:SourceIp\":[\"127.0.0.0/8\","
        "\"10.0.0.0/8\"]}}},{\"Effect\":\"Deny\",\"Action\":\"ots:*\",\"Resource\":\"*\","
        "\"Condition\":{\"DateGreaterThan\":{\"acs:CurrentTime\":\"2031-01-01T00:00:00Z\"}}}]}");
    const policy_doc_t *member[] = {full}, *folder[] = {full, guard}, *root[] = {full};
    const policy_control_level levels[] = {
        {"12345", member, 1}, {"fd-prod", folder, 2}, {"r-root", root, 1}};
    double c = run(seed, 1, &ctx, levels, 3, NULL, NULL, POLICY_ALLOW);
    double d = run(many, 20, &ctx, levels, 3, NULL, NULL, POLICY_ALLOW);
    /* (d) Every layer at once: the control levels, the instance's network
     * ACL (the request's VPC allowed) and an instance policy whose
     * condition-heavy Deny does not apply and whose Allow does not name the
     * caller (the identity policies decide). */
    const policy_network net = {.instance = "cap1",
                                .type = POLICY_NET_VPC,
                                .has_type_acl = true,
                                .type_acl = POLICY_NET_VPC | POLICY_NET_CLASSIC};
    const policy_doc_t *ip = compile_kind(
        "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":[\"*\"],"
        "\"Action\":\"ots:*\",\"Resource\":\"acs:ots:*:12345:instance/cap1*\",\"Condition\":{"
        "\"NotIpAddress\":{\"acs:SourceIp\":[\"127.0.0.0/8\",\"10.0.0.0/8\"]}}},{\"Effect\":"
        "\"Deny\",\"Principal\":[\"*\"],\"Action\":[\"ots:Put*\",\"ots:Delete*\"],\"Resource\":"
        "\"*\",\"Condition\":{\"StringNotEquals\":{\"acs:SourceVpc\":\"vpc-office\"}}},"
        "{\"Effect\":\"Allow\",\"Principal\":[\"56789\",\"acs:ram::12345:user/app\"],"
        "\"Action\":\"ots:Get*\",\"Resource\":\"acs:ots:*:12345:instance/cap1/table/*\"}]}",
        POLICY_KIND_RESOURCE);
    double e = run(seed, 1, &ctx, levels, 3, &net, ip, POLICY_ALLOW);
    double f = run(many, 20, &ctx, levels, 3, &net, ip, POLICY_ALLOW);
    /* (e) The seed role's policy plus RAM tag conditions: a Deny on
     * acs:ResourceTag/env that does not apply and an Allow on
     * acs:RequestTag/team, with the role's two tags in the context as
     * emu_authz_check fills them from the world. */
    const policy_doc_t *tagged[2] = {
        seed[0], compile("{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":"
                         "\"*\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{"
                         "\"acs:ResourceTag/env\":\"prod\"}}},{\"Effect\":\"Allow\",\"Action\":"
                         "\"ram:TagResources\",\"Resource\":\"*\",\"Condition\":{"
                         "\"StringEquals\":{\"acs:RequestTag/team\":\"data\"}}}]}")};
    const policy_ckey tag_keys[] = {
        POLICY_CKEY1("acs:SourceIp", "127.0.0.1"),
        POLICY_CKEY1("acs:SecureTransport", "false"),
        POLICY_CKEY1("acs:CurrentTime", "2026-11-28T05:00:00Z"),
        POLICY_CKEY1("acs:MFAPresent", "false"),
        POLICY_CKEY1("acs:AccessId", "STS.NbenchAccessKey0001"),
        POLICY_CKEY1("acs:ResourceTag/env", "dev"),
        POLICY_CKEY1("acs:ResourceTag/team", "data"),
    };
    policy_ctx tctx = ctx;
    tctx.keys = tag_keys;
    tctx.n_keys = sizeof tag_keys / sizeof tag_keys[0];
    double g = run(tagged, 2, &tctx, NULL, 0, NULL, NULL, POLICY_ALLOW);
    printf("{\"seed_ns\":%.0f,\"twenty_ns\":%.0f,\"seed_control_ns\":%.0f,"
           "\"twenty_control_ns\":%.0f,\"seed_all_layers_ns\":%.0f,"
           "\"twenty_all_layers_ns\":%.0f,\"seed_tags_ns\":%.0f}\n",
           a, b, c, d, e, f, g);
    return 0;
}
