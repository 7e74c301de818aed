/* Built-in System policies (rpc-api.md §9 "Policy types", ram-policy.md §7,
 * maxcompute-external-table.md §2/§6).
 *
 * The documents are reconstructed from Alibaba's published examples, as the
 * spec says ("[documents reconstructed, verify before relying on details]");
 * each entry notes where its statement list comes from. They are compiled on
 * first use through the ordinary compiler, so a typo here fails loudly in the
 * unit tests rather than silently granting nothing. */
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

typedef struct sys_policy {
    const char *name;
    const char *description;
    const char *text;
} sys_policy;

static const sys_policy sys_policies[] = {
    /* ram-policy.md §7: Allow * on *. */
    {"AdministratorAccess", "Provides full access to Alibaba Cloud services and resources.",
     "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]"
     "}"},
    /* ram-policy.md §7: Allow ram:* on *. */
    {"AliyunRAMFullAccess", "Provides full access to Resource Access Management (RAM).",
     "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ram:*\","
     "\"Resource\":\"*\"}]}"},
    /* Not in the spec's list of documents; reconstructed as the Get/List
     * actions, mirroring the OTS read-only pattern [inferred]. */
    {"AliyunRAMReadOnlyAccess", "Provides read-only access to Resource Access Management (RAM).",
     "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"ram:Get*\","
     "\"ram:List*\"],\"Resource\":\"*\"}]}"},
    /* ram-policy.md §5.4/§7: Allow sts:AssumeRole on *. */
    {"AliyunSTSAssumeRoleAccess", "Provides access to call AssumeRole of Security Token Service.",
     "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\","
     "\"Resource\":\"*\"}]}"},
    /* ram-policy.md §7: Allow ots:* on *. */
    {"AliyunOTSFullAccess", "Provides full access to Tablestore.",
     "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ots:*\","
     "\"Resource\":\"*\"}]}"},
    /* ram-policy.md §7 / maxcompute-external-table.md §6: the documented
     * read-only action set. */
    {"AliyunOTSReadOnlyAccess", "Provides read-only access to Tablestore.",
     "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"ots:BatchGet*\","
     "\"ots:Describe*\",\"ots:Get*\",\"ots:List*\",\"ots:Consume*\",\"ots:Search\","
     "\"ots:ComputeSplitPointsBySize\"],\"Resource\":\"*\"}]}"},
    /* Not in the spec's document list; reconstructed as the write-side verbs
     * of the Tablestore API (§3.3 table) [inferred]. */
    {"AliyunOTSWriteOnlyAccess", "Provides write-only access to Tablestore.",
     "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"ots:Create*\","
     "\"ots:Insert*\",\"ots:Put*\",\"ots:Update*\",\"ots:Delete*\",\"ots:BatchWrite*\","
     "\"ots:Drop*\",\"ots:StartLocalTransaction\",\"ots:CommitTransaction\","
     "\"ots:AbortTransaction\"],\"Resource\":\"*\"}]}"},
    /* maxcompute-external-table.md §2: the one-click authorization attaches a
     * System policy of this name, "broader (OSS + OTS and more)". Reconstructed
     * as the ten documented Tablestore actions plus OSS object reads
     * [inferred]; a Custom policy of the same name is a different entity. */
    {"AliyunODPSRolePolicy", "Default policy of the MaxCompute service role.",
     "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"ots:ListTable\","
     "\"ots:DescribeTable\",\"ots:GetRow\",\"ots:PutRow\",\"ots:UpdateRow\",\"ots:DeleteRow\","
     "\"ots:GetRange\",\"ots:BatchGetRow\",\"ots:BatchWriteRow\","
     "\"ots:ComputeSplitPointsBySize\"],\"Resource\":\"*\"},{\"Effect\":\"Allow\","
     "\"Action\":[\"oss:ListBuckets\",\"oss:GetObject\",\"oss:ListObjects\",\"oss:PutObject\","
     "\"oss:DeleteObject\",\"oss:AbortMultipartUpload\",\"oss:ListParts\"],\"Resource\":\"*\"}]}"},
};

#define N_SYS (sizeof sys_policies / sizeof sys_policies[0])

/* Compiled lazily, kept for the process lifetime (single event-loop thread,
 * STYLE.md §2; the library is not used from other threads). */
static policy_doc_t *compiled[N_SYS];

static const policy_doc_t *get(size_t i)
{
    if (!compiled[i]) {
        emu_err err = {0};
        policy_doc_t *doc;
        const char *t = sys_policies[i].text;
        if (policy_compile(t, strlen(t), POLICY_KIND_PERMISSION, &doc, &err) != EMU_OK) {
            /* can't happen: every entry is compiled by the unit tests. The
             * library does no I/O, so there is nothing to log to. */
            abort();
        }
        policy_doc_set_label(doc, sys_policies[i].name, "System", "v1");
        doc->system = true;
        compiled[i] = doc;
    }
    return compiled[i];
}

size_t policy_system_count(void)
{
    return N_SYS;
}

const policy_doc_t *policy_system_at(size_t i)
{
    return i < N_SYS ? get(i) : NULL;
}

const char *policy_system_description(size_t i)
{
    return i < N_SYS ? sys_policies[i].description : NULL;
}

const policy_doc_t *policy_system_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < N_SYS; i++)
        if (emu_strcasecmp(sys_policies[i].name, name) == 0)
            return get(i);
    return NULL;
}
