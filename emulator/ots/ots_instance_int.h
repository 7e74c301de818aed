/* The Tablestore instance API's core, shared by its two versions: 2020-12-09
 * (ots_instance_api.c, ROA under /v2/openapi/) and 2016-06-20
 * (ots_instance_v1.c, RPC Action=InsertInstance ...). Both act on the same
 * instances of the caller's account (the Tablestore world section), so an
 * instance made through one is seen by the other and by the data plane. */
#ifndef EMU_OTS_INSTANCE_INT_H
#define EMU_OTS_INSTANCE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "emu/dispatch.h"
#include "emu/ots_store.h"

typedef enum ots__inst_err {
#define INST_ERROR(id, code, rc, status, msg) INST_ERR_##id,
#include "ots_instance_errors.def"
#undef INST_ERROR
    INST_ERR_COUNT
} ots__inst_err;

/* One tag a request gives (CreateInstance's Tags, InsertInstance's
 * TagInfo.N); strings in the call's arena. */
typedef struct ots__inst_tag {
    const char *key;
    const char *value;
} ots__inst_tag;

/* Fills call->err with the table's error (message %s = name). */
emu_rc ots__inst_fail(emu_call *call, ots__inst_err id, const char *name);
/* A string parameter from the JSON body (2020-12-09 POST) or the query /
 * form (GET, and every 2016-06-20 call), in the arena; NULL if absent. */
const char *ots__inst_arg(const emu_call *call, const char *name);
/* The same, required: MissingParameter when absent or empty. */
emu_rc ots__inst_need(emu_call *call, const char *name, const char **out);
/* The caller's Tablestore store (create: make it if the account has none). */
ots_store_t *ots__inst_store(emu_call *call, bool create);
/* The caller's instance of that name (case-insensitive), or NULL. */
ots_instance_t *ots__inst_find(emu_call *call, const char *name);
/* The caller's instance named by InstanceName, or NotFound. */
emu_rc ots__inst_own(emu_call *call, ots_instance_t **out);
/* Network (NORMAL / VPC / VPC_CONSOLE) and the 2020-12-09 ACL lists; *set
 * says whether the request named any. */
emu_rc ots__inst_read_acl(emu_call *call, ots_net_acl *acl, bool *set);
/* Validates and applies tags (1-128 character keys, values up to 128,
 * EMU_MAX_OTS_INSTANCE_TAGS per instance). */
emu_rc ots__inst_tag_set(emu_call *call, ots_instance_t *in, const ots__inst_tag *tags, size_t n);
/* Creates an instance: the name rules, the cluster type, uniqueness in the
 * region, the account quota, then Network/ACL, Policy, description and tags. */
emu_rc ots__inst_create(emu_call *call, const char *name, const char *cluster,
                        const char *description, const ots__inst_tag *tags, size_t n_tags);
/* Deletes the caller's instance named by InstanceName (it must hold no
 * tables). */
emu_rc ots__inst_delete(emu_call *call);
/* acs:ots:<region>:<caller's account>:instance/<lower-case name>; NULL or
 * "" = "*". */
const char *ots__inst_arn(emu_call *call, const char *name);
/* ots:<Action> (call->action's policy action) on each named instance (no
 * names: on the InstanceName parameter's ARN, or on every instance when `all`), with
 * the request's tags as acs:RequestTag/<key> condition keys. */
emu_rc ots__inst_authorize(emu_call *call, const ots__inst_tag *tags, size_t n_tags,
                           const char *const *names, size_t n_names, bool all);

#endif
