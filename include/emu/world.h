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
} world_policy_version;

typedef struct world_policy {
    char *name;
    char *description;
    int64_t create_ms, update_ms;
    world_policy_version *versions;
    size_t n_versions;
    size_t default_version; /* index into versions */
    int next_version;       /* number of the next "vN" */
} world_policy;

typedef struct world_role {
    char *name;
    char *id;
    char *description;
    int max_session_duration;
    char *trust_document; /* AssumeRolePolicyDocument text */
    int64_t create_ms, update_ms;
    world_policy_ref *policies;
    size_t n_policies;
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

/* Case-insensitive name lookups inside an account (RAM semantics). */
world_user *world_user_find(const world_account *a, const char *name);
world_group *world_group_find(const world_account *a, const char *name);
world_policy *world_policy_find(const world_account *a, const char *name);
world_role *world_role_find(const world_account *a, const char *name);

/* Deterministic numeric id for an entity ("<account>:<kind>:<name>" hashed
 * to `digits` digits, first non-zero), so ids survive reset and restart. */
void world_make_id(const char *account, const char *kind, const char *name, size_t digits,
                   char *out);

/* Summary numbers for /_emu/health. */
void world_stats(const world_t *w, cJSON *obj);

#endif
