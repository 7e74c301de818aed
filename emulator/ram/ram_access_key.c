/* RAM access keys of users: CreateAccessKey, UpdateAccessKey,
 * DeleteAccessKey, ListAccessKeys (rpc-api.md §9.3).
 *
 * Every change rebuilds the world's key index (world_reindex), so the next
 * request authenticates with the new state: a new key works at once, an
 * Inactive or deleted one is refused at once. */
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "ram_int.h"

/* UserName, or the calling RAM user when omitted (rpc-api.md §9.3). A root
 * caller must name the user: acsemu does not mint root keys through the
 * API (departure: the cloud lets the root manage its own keys there). */
static emu_rc target_user(emu_call *call, world_account **a, world_user **u)
{
    const char *name = emu_rpc_param(call, "UserName");
    *a = ram__account(call);
    if (!*a)
        return ram__no_account(call);
    if (!name || !*name) {
        if (call->principal.kind == EMU_PRINCIPAL_USER && call->principal.user) {
            *u = call->principal.user;
            return EMU_OK;
        }
        return emu_rpc_require(call, "UserName", &name);
    }
    *u = world_user_find(*a, name);
    if (!*u)
        return ram__fail(call, RAM_ERR_USER_NOT_EXIST);
    return EMU_OK;
}

static emu_rc find_key(emu_call *call, world_user *u, size_t *index)
{
    const char *id;
    emu_rc rc = emu_rpc_require(call, "UserAccessKeyId", &id);
    if (rc)
        return rc;
    for (size_t i = 0; i < u->n_keys; i++) {
        if (strcmp(u->keys[i].id, id) == 0) {
            *index = i;
            return EMU_OK;
        }
    }
    return ram__fail(call, RAM_ERR_USER_KEY_NOT_EXIST);
}

emu_rc ram_create_access_key(emu_call *call)
{
    world_account *a;
    world_user *u;
    emu_rc rc = target_user(call, &a, &u);
    if (rc)
        return rc;
    if (u->n_keys >= RAM_MAX_KEYS_PER_USER)
        return ram__fail(call, RAM_ERR_USER_KEY_LIMIT);

    /* "LTAI" + 20 base62 (the real ones are 24 characters, LTAI5t...), a
     * 30-character secret; both from the seeded generator, so --seed makes
     * them repeatable. A clash with an existing id is retried. */
    char id[32], secret[31];
    world_key_ref ref;
    do {
        memcpy(id, "LTAI", 4);
        emu_rand_base62(id + 4, 20);
    } while (world_key_find(call->world, id, strlen(id), &ref) ||
             world_session_find(call->world, id, strlen(id)));
    emu_rand_base62(secret, 30);

    u->keys = emu_xrealloc(u->keys, (u->n_keys + 1) * sizeof *u->keys);
    world_access_key *k = &u->keys[u->n_keys++];
    k->id = emu_xstrdup(id);
    k->secret = emu_xstrdup(secret);
    k->active = true;
    k->create_ms = emu_clock_now_ms();
    world_reindex(call->world);

    cJSON *r = cJSON_CreateObject();
    cJSON *o = cJSON_AddObjectToObject(r, "AccessKey");
    cJSON_AddStringToObject(o, "AccessKeyId", k->id);
    cJSON_AddStringToObject(o, "AccessKeySecret", k->secret);
    cJSON_AddStringToObject(o, "Status", "Active");
    cJSON_AddStringToObject(o, "CreateDate", ram__date(call, k->create_ms));
    call->result = r;
    return EMU_OK;
}

emu_rc ram_update_access_key(emu_call *call)
{
    world_account *a;
    world_user *u;
    size_t i = 0;
    const char *status;
    emu_rc rc;
    if ((rc = target_user(call, &a, &u)) || (rc = find_key(call, u, &i)) ||
        (rc = emu_rpc_require(call, "Status", &status)))
        return rc;
    if (strcmp(status, "Active") && strcmp(status, "Inactive"))
        return ram__bad_param(call, "Status");
    u->keys[i].active = strcmp(status, "Active") == 0;
    world_reindex(call->world);
    return EMU_OK;
}

emu_rc ram_delete_access_key(emu_call *call)
{
    world_account *a;
    world_user *u;
    size_t i = 0;
    emu_rc rc;
    if ((rc = target_user(call, &a, &u)) || (rc = find_key(call, u, &i)))
        return rc;
    /* The caller may be deleting the key it signed with: keep arena copies
     * of what the rest of the call still reads. */
    if (call->principal.access_key_id == u->keys[i].id)
        call->principal.access_key_id = emu_arena_strdup(call->arena, u->keys[i].id);
    if (call->principal.secret == u->keys[i].secret)
        call->principal.secret = NULL;
    free(u->keys[i].id);
    memset(u->keys[i].secret, 0, strlen(u->keys[i].secret));
    free(u->keys[i].secret);
    ram__remove_at(u->keys, &u->n_keys, sizeof *u->keys, i);
    world_reindex(call->world);
    return EMU_OK;
}

emu_rc ram_list_access_keys(emu_call *call)
{
    world_account *a;
    world_user *u;
    emu_rc rc = target_user(call, &a, &u);
    if (rc)
        return rc;
    cJSON *r = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "AccessKeys"), "AccessKey");
    for (size_t i = 0; i < u->n_keys; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "AccessKeyId", u->keys[i].id);
        cJSON_AddStringToObject(o, "Status", u->keys[i].active ? "Active" : "Inactive");
        cJSON_AddStringToObject(o, "CreateDate", ram__date(call, u->keys[i].create_ms));
        cJSON_AddItemToArray(list, o);
    }
    call->result = r;
    return EMU_OK;
}
