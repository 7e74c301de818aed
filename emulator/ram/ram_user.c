/* RAM users: CreateUser, GetUser, UpdateUser, DeleteUser, ListUsers
 * (rpc-api.md §9.3). */
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/str.h"
#include "ram_int.h"

/* The User object. `full` adds UpdateDate (GetUser, UpdateUser, ListUsers);
 * LastLoginDate is left out: API-only users never log in to the console. */
static cJSON *user_json(emu_call *call, const world_user *u, bool full)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "UserId", u->id);
    cJSON_AddStringToObject(o, "UserName", u->name);
    cJSON_AddStringToObject(o, "DisplayName", u->display_name);
    cJSON_AddStringToObject(o, "MobilePhone", u->mobile_phone);
    cJSON_AddStringToObject(o, "Email", u->email);
    cJSON_AddStringToObject(o, "Comments", u->comments);
    cJSON_AddStringToObject(o, "CreateDate", ram__date(call, u->create_ms));
    if (full)
        cJSON_AddStringToObject(o, "UpdateDate", ram__date(call, u->update_ms));
    return o;
}

static emu_rc find_user(emu_call *call, world_account **a, world_user **u)
{
    const char *name;
    emu_rc rc;
    *a = ram__account(call);
    if (!*a)
        return ram__no_account(call);
    if ((rc = emu_rpc_require(call, "UserName", &name)))
        return rc;
    *u = world_user_find(*a, name);
    if (!*u)
        return ram__fail(call, RAM_ERR_USER_NOT_EXIST);
    return EMU_OK;
}

/* Optional profile fields shared by CreateUser and UpdateUser ("New" prefix). */
static emu_rc check_profile(emu_call *call, const char *prefix)
{
    static const struct {
        const char *name;
        size_t max;
    } fields[] = {{"DisplayName", 128}, {"MobilePhone", 32}, {"Email", 128}, {"Comments", 128}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        char *param = emu_arena_sprintf(call->arena, "%s%s", prefix, fields[i].name);
        emu_rc rc = ram__check_text(call, param, emu_rpc_param(call, param), fields[i].max);
        if (rc)
            return rc;
    }
    return EMU_OK;
}

static void set_str(char **field, const char *value)
{
    if (!value)
        return;
    free(*field);
    *field = emu_xstrdup(value);
}

emu_rc ram_create_user(emu_call *call)
{
    world_account *a = ram__account(call);
    const char *name;
    emu_rc rc;

    if (!a)
        return ram__no_account(call);
    if ((rc = emu_rpc_require(call, "UserName", &name)) ||
        (rc = ram__check_user_name(call, name)) || (rc = check_profile(call, "")))
        return rc;
    if (world_user_find(a, name))
        return ram__fail(call, RAM_ERR_USER_EXISTS);
    if (a->n_users >= RAM_MAX_USERS)
        return ram__fail(call, RAM_ERR_USER_LIMIT);

    const char *dn = emu_rpc_param(call, "DisplayName");
    const char *phone = emu_rpc_param(call, "MobilePhone");
    const char *email = emu_rpc_param(call, "Email");
    const char *comments = emu_rpc_param(call, "Comments");
    world_user *u = emu_xcalloc(1, sizeof *u);
    u->name = emu_xstrdup(name);
    u->id = emu_xmalloc(20);
    world_make_id(a->id, "user", name, 16, u->id);
    u->display_name = emu_xstrdup(dn && *dn ? dn : name);
    u->mobile_phone = emu_xstrdup(phone ? phone : "");
    u->email = emu_xstrdup(email ? email : "");
    u->comments = emu_xstrdup(comments ? comments : "");
    u->create_ms = u->update_ms = emu_clock_now_ms();
    ram__push((void ***)&a->users, &a->n_users, u);

    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "User", user_json(call, u, false));
    call->result = r;
    return EMU_OK;
}

emu_rc ram_get_user(emu_call *call)
{
    world_account *a;
    world_user *u;
    emu_rc rc = find_user(call, &a, &u);
    if (rc)
        return rc;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "User", user_json(call, u, true));
    call->result = r;
    return EMU_OK;
}

emu_rc ram_update_user(emu_call *call)
{
    world_account *a;
    world_user *u;
    emu_rc rc = find_user(call, &a, &u);
    if (rc || (rc = check_profile(call, "New")))
        return rc;
    const char *new_name = emu_rpc_param(call, "NewUserName");
    if (new_name && *new_name) {
        if ((rc = ram__check_user_name(call, new_name)))
            return rc;
        const world_user *other = world_user_find(a, new_name);
        if (other && other != u)
            return ram__fail(call, RAM_ERR_USER_EXISTS);
        /* Group membership is stored by name: follow the rename. */
        for (size_t g = 0; g < a->n_groups; g++) {
            long m = ram__member_index(a->groups[g], u->name);
            if (m >= 0)
                set_str(&a->groups[g]->members[m], new_name);
        }
        set_str(&u->name, new_name);
    }
    set_str(&u->display_name, emu_rpc_param(call, "NewDisplayName"));
    set_str(&u->mobile_phone, emu_rpc_param(call, "NewMobilePhone"));
    set_str(&u->email, emu_rpc_param(call, "NewEmail"));
    set_str(&u->comments, emu_rpc_param(call, "NewComments"));
    u->update_ms = emu_clock_now_ms();

    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "User", user_json(call, u, true));
    call->result = r;
    return EMU_OK;
}

emu_rc ram_delete_user(emu_call *call)
{
    world_account *a;
    world_user *u;
    emu_rc rc = find_user(call, &a, &u);
    if (rc)
        return rc;
    /* rpc-api.md §7: a user goes only once it has no keys, no attached
     * policies and no groups. */
    if (u->n_keys)
        return ram__fail(call, RAM_ERR_USER_DELETE_KEY);
    if (u->n_policies)
        return ram__fail(call, RAM_ERR_USER_DELETE_POLICY);
    for (size_t g = 0; g < a->n_groups; g++)
        if (ram__member_index(a->groups[g], u->name) >= 0)
            return ram__fail(call, RAM_ERR_USER_DELETE_GROUP);
    for (size_t i = 0; i < a->n_users; i++) {
        if (a->users[i] == u) {
            ram__remove_at(a->users, &a->n_users, sizeof *a->users, i);
            break;
        }
    }
    /* The caller may have deleted itself: its principal keeps only arena
     * copies past this point (the access log reads principal.arn). */
    if (call->principal.user == u) {
        call->principal.user = NULL;
        call->principal.display_name = emu_arena_strdup(call->arena, u->name);
    }
    world_user_free(u);
    world_reindex(call->world);
    return EMU_OK;
}

emu_rc ram_list_users(emu_call *call)
{
    world_account *a = ram__account(call);
    ram_page pg;
    emu_rc rc;
    if (!a)
        return ram__no_account(call);
    if ((rc = ram__page(call, a->n_users, &pg)))
        return rc;
    cJSON *r = cJSON_CreateObject();
    ram__page_put(call, r, &pg);
    cJSON *list = cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "Users"), "User");
    for (size_t i = pg.start; i < pg.end; i++)
        cJSON_AddItemToArray(list, user_json(call, a->users[i], true));
    call->result = r;
    return EMU_OK;
}
