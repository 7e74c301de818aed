/* The world: every account, its RAM entities, STS sessions, and the state
 * services keep through section hooks. One in-memory instance, changed only
 * by API calls on the loop thread; lookups return borrowed pointers valid
 * until the next change of the world.
 *
 * Field names follow the RAM API (UserName, RoleName, PolicyDocument...) so
 * users can paste what the real GetRole/GetPolicyVersion return into a
 * world file. */
#ifndef EMU_WORLD_H
#define EMU_WORLD_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/err.h"
#include "emu/policy.h"
#include "emu/world_section.h"

#define WORLD_MAX_SECTIONS 8

typedef struct world_access_key {
    char *id;
    char *secret;
    bool active;
    int64_t create_ms;
} world_access_key;

typedef struct world_policy_ref {
    char *name;
    bool system; /* PolicyType System (built in) or Custom (account) */
    int64_t attach_ms;
} world_policy_ref;

typedef struct world_user {
    char *name;
    char *id;
    char *display_name;
    char *email;
    char *mobile_phone;
    char *comments;
    int64_t create_ms, update_ms;
    world_access_key *keys;
    size_t n_keys;
    world_policy_ref *policies;
    size_t n_policies;
} world_user;

typedef struct world_group {
    char *name;
    char *id;
    char *comments;
    int64_t create_ms, update_ms;
    world_policy_ref *policies;
    size_t n_policies;
    char **members; /* user names */
    size_t n_members;
} world_group;

typedef struct world_policy_version {
    char *id;       /* "v1" */
    char *document; /* the JSON text as given */
    int64_t create_ms;
    /* `document` compiled once (at load or by the RAM API) and owned by the
     * world; labelled (policy name, "Custom", id) for traces. Never NULL in
     * a loaded world. */
    policy_doc_t *compiled;
} world_policy_version;

/* The tags of a RAM role or custom policy (RAM TagResources), in the order
 * they were added; keys are unique (case-sensitive) and at most
 * EMU_MAX_RAM_TAGS. `ckey` is "acs:ResourceTag/<key>", built once so the
 * authorization of a request on the entity fills its condition context
 * without allocating. */
typedef struct world_tag {
    char *key;
    char *value;
    char *ckey;
} world_tag;

typedef struct world_tags {
    world_tag *v;
    size_t n;
} world_tags;

typedef struct world_policy {
    char *name;
    char *description;
    int64_t create_ms, update_ms;
    world_policy_version *versions;
    size_t n_versions;
    size_t default_version; /* index into versions */
    int next_version;       /* number of the next "vN" */
    world_tags tags;
} world_policy;

typedef struct world_role {
    char *name;
    char *id;
    char *description;
    int max_session_duration;
    char *trust_document; /* AssumeRolePolicyDocument text */
    policy_doc_t *trust;  /* trust_document compiled (POLICY_KIND_TRUST), owned */
    int64_t create_ms, update_ms;
    world_policy_ref *policies;
    size_t n_policies;
    world_tags tags;
} world_role;

typedef struct world_service_cred {
    char *service; /* "odps.aliyuncs.com" */
    char *id;
    char *secret;
} world_service_cred;

typedef struct world_account {
    char *id; /* digits */
    char *alias;
    world_access_key *keys; /* root keys */
    size_t n_keys;
    world_user **users;
    size_t n_users;
    world_group **groups;
    size_t n_groups;
    world_policy **policies;
    size_t n_policies;
    world_role **roles;
    size_t n_roles;
    world_service_cred *service_creds;
    size_t n_service_creds;
    void *sections[WORLD_MAX_SECTIONS]; /* state per registered section */
} world_account;

typedef enum world_key_owner {
    WORLD_KEY_ROOT,
    WORLD_KEY_USER,
    WORLD_KEY_SERVICE,
} world_key_owner;

/* What an AccessKeyId resolves to. */
typedef struct world_key_ref {
    world_key_owner owner;
    world_account *account;
    world_user *user;            /* WORLD_KEY_USER */
    world_service_cred *service; /* WORLD_KEY_SERVICE */
    const char *secret;
    bool active;
} world_key_ref;

/* An STS assumed-role session (the token store, rpc-api.md §8.1). The world
 * owns every string; the STS AssumeRole handler creates sessions through
 * auth_session_issue, authentication finds them by AccessKeyId or token.
 * Sessions are world state: reset, checkpoints and GET /_emu/world cover
 * them (top-level "Sessions" of the world file). */
typedef struct world_session {
    char *access_key_id; /* "STS." + base62 */
    char *secret;
    char *token;        /* opaque: "CAIS" + Base64 of a random handle */
    char *account_id;   /* the role's account */
    char *role_name;    /* as stored in the role when issued */
    char *role_id;      /* the role's id when issued (a re-created role differs) */
    char *session_name; /* RoleSessionName */
    char *source_arn;   /* ARN of who assumed the role, or NULL */
    char *policy;       /* session policy text, or NULL */
    int64_t create_ms;  /* virtual clock */
    int64_t expire_ms;  /* virtual clock; whole seconds */
    /* Minted by acsemu: its token records its expiry (auth_token_expiry),
     * so world_session_expire may drop it and the token still reads as
     * expired. Sessions of a world file keep tokens of their own and stay. */
    bool collectable;
} world_session;

typedef struct world world_t;

/* Registers a section (before any load). Order of registration is the index
 * into world_account.sections. */
void world_register_section(const world_section *s);
/* Index of a registered section by name, or -1. */
int world_section_index(const char *name);

/* Loads a world file strictly. Errors read "FILE: $.Accounts[1].Roles[0]
 * .RoleName: what is wrong"; nothing stays allocated on error. */
emu_rc world_load_file(const char *path, world_t **out, emu_err *err);
/* Loads from an already parsed document (reset, checkpoints, tests).
 * `label` prefixes error messages; base_dir resolves relative RowsFile. */
emu_rc world_load_json(const cJSON *doc, const char *label, const char *base_dir, world_t **out,
                       emu_err *err);
void world_free(world_t *w);

/* Exports the state in the world-file shape (caller owns the result); loading
 * it gives the same state. */
cJSON *world_export(const world_t *w);
/* Deep copy (checkpoints). */
world_t *world_clone(const world_t *w);

/* Persistence (emu/persist.h). world_export_meta is world_export without
 * sessions and without the sections' bulk data (their save_meta hook:
 * Tablestore tables without rows). world_load_successor loads such a
 * document as the next state of `old`: RAM entities and section settings
 * come from doc; bulk data moves over from old (the sections' adopt hook:
 * rows stay with the table of the same name); sessions move over, except
 * those of roles that doc no longer has (DeleteRole revokes them). On
 * success old is freed; on error it is left as it was. */
cJSON *world_export_meta(const world_t *w);
emu_rc world_load_successor(const cJSON *doc, const char *label, world_t *old, world_t **out,
                            emu_err *err);

const char *world_region(const world_t *w);
/* Overrides the Region of the world file (--region). */
void world_set_region(world_t *w, const char *region);
const char *world_base_dir(const world_t *w);
size_t world_account_count(const world_t *w);
world_account *world_account_at(const world_t *w, size_t i);
world_account *world_account_find(const world_t *w, const char *id);

/* AccessKeyId lookup over root keys, user keys and service credentials.
 * Returns false when unknown. O(1) average. */
bool world_key_find(const world_t *w, const char *id, size_t id_len, world_key_ref *out);
/* Rebuilds the key index after a change to access keys. */
void world_reindex(world_t *w);

/* STS sessions. world_session_add copies *s (every string; source_arn and
 * policy may be NULL) and returns EMU_OK; EMU_E_INVALID when a required
 * string is missing or the key does not start with "STS."; EMU_E_EXISTS
 * when the AccessKeyId or the token is already in use (by a session or a
 * long-term key). *out (optional) gets the stored copy. */
emu_rc world_session_add(world_t *w, const world_session *s, const world_session **out,
                         emu_err *err);
/* By AccessKeyId or by token (exact bytes), NULL when unknown. O(1)
 * average; the token lookup hashes the text, the caller still compares it
 * in constant time where that matters. Valid until the next change of the
 * world's sessions. */
const world_session *world_session_find(const world_t *w, const char *access_key_id, size_t len);
const world_session *world_session_find_token(const world_t *w, const char *token, size_t len);
/* Drops the collectable sessions whose expire_ms < before_ms; returns how
 * many. */
size_t world_session_expire(world_t *w, int64_t before_ms);
/* Drops every session of a role (DeleteRole calls it: deleting a role
 * invalidates its tokens). Role names compare case-insensitively. */
size_t world_session_revoke_role(world_t *w, const char *account_id, const char *role_name);
size_t world_session_count(const world_t *w);
const world_session *world_session_at(const world_t *w, size_t i);

/* Frees one entity and everything it owns (strings, keys, references,
 * versions, compiled documents). The caller has already unlinked it from
 * its account. NULL is ignored. */
void world_user_free(world_user *u);
void world_group_free(world_group *g);
void world_policy_free(world_policy *p);
void world_role_free(world_role *r);

/* Tags: set (adds, or replaces the value of an existing key; false when
 * the key is new and the set already holds EMU_MAX_RAM_TAGS), remove
 * (false when absent), find (NULL when absent), free. */
bool world_tags_set(world_tags *t, const char *key, const char *value);
bool world_tags_remove(world_tags *t, const char *key);
const world_tag *world_tags_find(const world_tags *t, const char *key);
void world_tags_free(world_tags *t);

/* The tag rules of the Alibaba Cloud tag service as RAM applies them:
 * WORLD_TAG_OK, or which rule the key or the value breaks. A key is 1-128
 * characters, does not start with "aliyun" or "acs:" (reserved for system
 * tags) and contains neither "http://" nor "https://"; a value is 0-256
 * characters (RAM's limit) with neither. */
typedef enum world_tag_check {
    WORLD_TAG_OK,
    WORLD_TAG_KEY_EMPTY,
    WORLD_TAG_KEY_LONG,
    WORLD_TAG_KEY_RESERVED,
    WORLD_TAG_KEY_URL,
    WORLD_TAG_VALUE_LONG,
    WORLD_TAG_VALUE_URL,
} world_tag_check;
world_tag_check world_tag_validate(const char *key, const char *value);

/* The tags of the RAM role or custom policy an ARN names
 * (acs:ram::<uid>:role/<name>, acs:ram::<uid>:policy/<name>; the region
 * may be empty or "*"), as acs:ResourceTag/<key> condition keys into
 * out[cap]; the strings are the world's. Returns how many were filled, 0
 * for any other ARN. No allocation: it runs on every RAM and sts:AssumeRole
 * authorization. */
size_t world_ram_resource_tags(const world_t *w, const char *arn, policy_ckey *out, size_t cap);

/* Case-insensitive name lookups inside an account (RAM semantics). */
world_user *world_user_find(const world_account *a, const char *name);
world_group *world_group_find(const world_account *a, const char *name);
world_policy *world_policy_find(const world_account *a, const char *name);
world_role *world_role_find(const world_account *a, const char *name);

/* Deterministic numeric id for an entity ("<account>:<kind>:<name>" hashed
 * to `digits` digits, first non-zero), so ids survive reset and restart. */
void world_make_id(const char *account, const char *kind, const char *name, size_t digits,
                   char *out);

/* Summary numbers for /_emu/health (accounts, users, ..., then each
 * section's numbers summed over accounts). Fills at most cap entries, returns
 * how many; no allocation. */
size_t world_stats(const world_t *w, world_stat *out, size_t cap);

#endif
