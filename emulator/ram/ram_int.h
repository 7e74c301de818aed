/* RAM internals shared by the per-resource files (ram_user.c, ram_group.c,
 * ram_role.c, ram_policy.c, ram_attach.c, ram_access_key.c).
 *
 * Handlers change the world directly: one request runs to completion on the
 * loop thread, so a change is visible to the next request (DESIGN.md §1).
 * Every string put into the world is a heap copy (emu_xstrdup); removed
 * entities go through world_*_free. */
#ifndef EMU_RAM_INT_H
#define EMU_RAM_INT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "emu/authz.h"
#include "emu/ram.h"
#include "emu/rpc.h"

/* Limits (rpc-api.md §9.3, "older published table"; the document cap is the
 * current 6144 characters). */
#define RAM_MAX_USERS 100
#define RAM_MAX_GROUPS 50
#define RAM_MAX_ROLES 100
#define RAM_MAX_POLICIES 200
#define RAM_MAX_VERSIONS 5
#define RAM_MAX_KEYS_PER_USER 2
#define RAM_MAX_GROUPS_PER_USER 5
#define RAM_MAX_CUSTOM_ATTACHED 5
#define RAM_MAX_SYSTEM_ATTACHED 20
#define RAM_MAX_DESCRIPTION 1024
#define RAM_MAX_COMMENTS 128

/* Error ids from ram_errors.def. */
typedef enum ram_err {
#define RAM_ERROR(id, code, rc, status, msg) RAM_ERR_##id,
#include "ram_errors.def"
#undef RAM_ERROR
    RAM_ERR_COUNT
} ram_err;

/* Fills call->err with the row's code, status and message; returns its rc. */
emu_rc ram__fail(emu_call *call, ram_err id);
/* InvalidParameter: `The specified parameter "<name>" is not valid.` */
emu_rc ram__bad_param(emu_call *call, const char *name);
/* MalformedPolicyDocument with the engine's located message (400). */
emu_rc ram__malformed(emu_call *call, const emu_err *perr);

/* Handlers, one per row of ram_actions.def. */
#define RAM_ACTION(name, handler, policy_action, flags, res) emu_rc handler(emu_call *call);
#include "ram_actions.def"
#undef RAM_ACTION

/* The caller's account (RAM always acts on it). Never NULL once
 * authenticated; handlers still check and answer InternalError. */
world_account *ram__account(emu_call *call);
emu_rc ram__no_account(emu_call *call);

/* "YYYY-MM-DDThh:mm:ssZ" in the call arena. */
const char *ram__date(emu_call *call, int64_t ms);

/* Name rules (rpc-api.md §9.2). Each returns EMU_OK or fills the name's
 * .Length / .InvalidChars error. */
emu_rc ram__check_user_name(emu_call *call, const char *name);
emu_rc ram__check_group_name(emu_call *call, const char *name);
emu_rc ram__check_role_name(emu_call *call, const char *name);
emu_rc ram__check_policy_name(emu_call *call, const char *name);
/* Optional free-text parameter of at most `max` characters: InvalidParameter
 * (or Description.Length for "Description"/"NewDescription"). */
emu_rc ram__check_text(emu_call *call, const char *param, const char *value, size_t max);

/* Booleans arrive as "true"/"false" (rpc-api.md §9.1). Absent = dflt;
 * anything else fills InvalidParameter. */
emu_rc ram__bool_param(emu_call *call, const char *name, bool dflt, bool *out);

/* PolicyType: "System" or "Custom" → *system. `required` decides whether an
 * absent value is MissingParameter or leaves *present false. */
emu_rc ram__policy_type(emu_call *call, bool required, bool *system, bool *present);

/* Pagination: Marker (opaque; acsemu uses the decimal index of the next
 * item) and MaxItems (1-1000, default 100) over `total` items. */
typedef struct ram_page {
    size_t start, end;
    bool truncated;
} ram_page;
emu_rc ram__page(emu_call *call, size_t total, ram_page *out);
/* Adds IsTruncated and, when truncated, Marker to `r`. */
void ram__page_put(emu_call *call, cJSON *r, const ram_page *pg);

/* Appends p to *arr (a heap array of n pointers). */
void ram__push(void ***arr, size_t *n, void *p);
/* Removes element i of a heap array of n elements of `size` bytes. */
void ram__remove_at(void *arr, size_t *n, size_t size, size_t i);

/* "acs:ram::<uid>:role/<lower(name)>" in the arena. */
const char *ram__role_arn(emu_call *call, const world_account *a, const char *name);

/* Is user `name` a member of g (case-insensitive)? Index or -1. */
long ram__member_index(const world_group *g, const char *name);

/* Compiles a document for the RAM API: length cap first (the id's .Length
 * error), then the engine (MalformedPolicyDocument). */
emu_rc ram__compile(emu_call *call, const char *text, policy_kind kind, ram_err too_long,
                    policy_doc_t **out);

/* Returns the policy JSON text of a System policy or a Custom version. */
const char *ram__doc_text(const policy_doc_t *doc);

/* Attachments of one policy across the account (for AttachmentCount and the
 * delete conflicts). */
typedef struct ram_attach_count {
    size_t users, groups, roles;
} ram_attach_count;
ram_attach_count ram__count_attachments(const world_account *a, const char *policy, bool system);

/* Removes every attachment of a policy (CascadingDelete). */
void ram__detach_everywhere(world_account *a, const char *policy, bool system);

/* Tags (ram_tag.c). A list parameter, as a JSON array in one parameter or
 * flat (<param>.1, <param>.2...): at most cap non-empty strings (more =
 * too_many), into out (arena or request strings). */
emu_rc ram__names_param(emu_call *call, const char *param, size_t cap, ram_err too_many,
                        const char **out, size_t *n);
typedef struct ram_tag_kv {
    const char *key, *value;
} ram_tag_kv;
/* The Tag parameter (JSON or Tag.N.Key / Tag.N.Value): at most
 * EMU_MAX_RAM_TAGS tags, each checked (InvalidParameter.TagKey/TagValue). */
emu_rc ram__tags_param(emu_call *call, ram_tag_kv *out, size_t *n);
/* Adds the tags to t, or LimitExceeded.Tag when t would hold more than
 * EMU_MAX_RAM_TAGS (then nothing changes). */
emu_rc ram__apply_tags(emu_call *call, world_tags *t, const ram_tag_kv *kv, size_t n);
/* {"Tag": [{"TagKey", "TagValue"}]}, as ListRoles and ListPolicies show. */
cJSON *ram__tags_json(const world_tags *t);
/* Does t hold every filter tag (its value too, when given)? */
bool ram__tags_match(const world_tags *t, const ram_tag_kv *filter, size_t n);
/* The RAM authorize phase: the action on `resource`, with the request's
 * tags as acs:RequestTag/<key> and acs:TagKeys; the tag calls once per
 * named role or policy. */
emu_rc ram__authorize(emu_call *call, const char *resource);

#endif
