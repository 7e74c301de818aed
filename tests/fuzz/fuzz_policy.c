/* Fuzz harness for the policy compiler and evaluator: compile the input as
 * each document kind (an instance policy too) and, when it compiles, evaluate it against a few
 * request contexts (with traces, reasons and JSON rendering), then free. Any crash, sanitizer
 * report or broken invariant is a finding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu/json.h"
#include "emu/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    emu_json_init();
    return 0;
}

static const char *const ips[] = {"10.1.2.3", "::ffff:192.168.1.5"};
static const char *const tags[] = {"prod", "dev", "vpc-1"};

static void check(const policy_doc_t *doc, const policy_ctx *ctx, policy_layer layer)
{
    static policy_trace t;
    char reason[512];
    const policy_doc_t *docs[] = {doc, policy_system_find("AliyunOTSReadOnlyAccess"), doc};

    policy_trace_init(&t);
    policy_result r = policy_eval(docs, 3, ctx, layer, &t);
    /* Invariants: a decision with a deciding statement names a real one. */
    if (r.decision != POLICY_IMPLICIT_DENY &&
        (!r.doc || r.stmt < 0 || (size_t)r.stmt >= policy_doc_statement_count(r.doc)))
        abort();
    if (r.decision == POLICY_IMPLICIT_DENY && (r.doc || r.stmt != -1))
        abort();
    size_t n = policy_trace_reason(&t, reason, sizeof reason);
    if (n < sizeof reason && strlen(reason) != n)
        abort();
    cJSON *j = policy_trace_to_json(&t);
    char *s = cJSON_PrintUnformatted(j);
    free(s);
    cJSON_Delete(j);

    /* The same documents through the layered helpers. */
    policy_authz in = {.caller = POLICY_CALLER_ROLE_SESSION,
                       .caller_account = "12345",
                       .resource_account = "12345",
                       .identity = docs,
                       .n_identity = 2,
                       .session = doc,
                       .trust = doc,
                       .ctx = ctx};
    policy_trace_init(&t);
    policy_authorize(&in, &t);
    policy_trace_reason(&t, reason, sizeof reason);
    policy_trace_init(&t);
    policy_assume_role(&in, &t);
    policy_trace_reason(&t, reason, sizeof reason);
    /* As a Tablestore instance policy: the owner's root, another account's
     * user and a service face it. */
    if (policy_doc_kind(doc) == POLICY_KIND_RESOURCE) {
        static const policy_principal who[] = {
            {POLICY_PRINCIPAL_RAM, "acs:ram::12345:root"},
            {POLICY_PRINCIPAL_RAM, "acs:ram::56789:user/alice"},
            {POLICY_PRINCIPAL_SERVICE, "56789@odps.aliyuncs.com"}};
        static const policy_caller callers[] = {POLICY_CALLER_ROOT, POLICY_CALLER_USER,
                                                POLICY_CALLER_SERVICE};
        in.session = NULL;
        in.trust = NULL;
        in.resource_policy = doc;
        for (size_t i = 0; i < 3; i++) {
            in.caller = callers[i];
            in.caller_account = i ? "56789" : "12345";
            in.presented = who[i];
            policy_trace_init(&t);
            policy_result r2 = policy_authorize(&in, &t);
            if (r2.layer == POLICY_LAYER_INSTANCE_POLICY && r2.decision != POLICY_IMPLICIT_DENY &&
                r2.doc != doc)
                abort(); /* an instance-policy decision names the instance policy */
            policy_trace_reason(&t, reason, sizeof reason);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const policy_kind kinds[] = {POLICY_KIND_PERMISSION, POLICY_KIND_SESSION,
                                        POLICY_KIND_TRUST, POLICY_KIND_RESOURCE};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        policy_doc_t *doc = NULL;
        emu_err err = {0};
        if (policy_compile((const char *)data, size, kinds[k], &doc, &err) != EMU_OK) {
            if (doc || err.msg[0] == '\0')
                abort(); /* failure must leave no document and say why */
            continue;
        }
        policy_ckey keys[] = {
            {"acs:SourceIp", ips, 2},
            POLICY_CKEY1("acs:SecureTransport", "true"),
            POLICY_CKEY1("acs:CurrentTime", "2026-01-15T00:00:00Z"),
            POLICY_CKEY1("sts:ExternalId", "abcd1234"),
            {"acs:ResourceTag/env", tags, 3},
            POLICY_CKEY1("x:n", "42.5"),
        };
        policy_ctx ots = {.action = "ots:GetRow",
                          .resource = "acs:ots:cn-hangzhou:12345:instance/cap1/table/vehicle_track",
                          .keys = keys,
                          .n_keys = 6};
        policy_ctx sts = {.action = "sts:AssumeRole",
                          .resource = "acs:ram::12345:role/AliyunODPSRoleForOtherUser",
                          .principal = {POLICY_PRINCIPAL_SERVICE, "56789@odps.aliyuncs.com"},
                          .keys = keys,
                          .n_keys = 3};
        policy_ctx user = {
            .action = "sts:AssumeRole",
            .resource = "acs:ram::12345:role/x",
            .principal = {POLICY_PRINCIPAL_RAM, "acs:ram::56789:assumed-role/etl/s"}};
        policy_ctx bare = {.action = NULL, .resource = NULL};
        check(doc, &ots, POLICY_LAYER_IDENTITY);
        check(doc, &sts, POLICY_LAYER_TRUST);
        check(doc, &user, POLICY_LAYER_TRUST);
        check(doc, &bare, POLICY_LAYER_SESSION);

        /* The compact rendering compiles to the same shape. */
        size_t len;
        const char *text = policy_doc_text(doc, &len);
        if (len != size || memcmp(text, data, size) != 0)
            abort();
        policy_doc_free(doc);
    }
    return 0;
}
