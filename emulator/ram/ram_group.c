/* RAM groups and membership: CreateGroup, GetGroup, UpdateGroup,
 * DeleteGroup, ListGroups, AddUserToGroup, RemoveUserFromGroup,
 * ListGroupsForUser, ListUsersForGroup (rpc-api.md §9.3).
 *
 * Membership is kept on the group as user names (world.h); the world does
 * not store when a user joined, so JoinDate is not reported. */
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "ram_int.h"

static cJSON *group_json(emu_call *call, const world_group *g, bool full)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "GroupId", g->id);
    cJSON_AddStringToObject(o, "GroupName", g->name);
    cJSON_AddStringToObject(o, "Comments", g->comments);
    cJSON_AddStringToObject(o, "CreateDate", ram__date(call, g->create_ms));
    if (full)
        cJSON_AddStringToObject(o, "UpdateDate", ram__date(call, g->update_ms));
    return o;
}

static emu_rc find_group(emu_call *call, world_account **a, world_group **g)
{
    const char *name;
    emu_rc rc;
    *a = ram__account(call);
    if (!*a)
        return ram__no_account(call);
    if ((rc = emu_rpc_require(call, "GroupName", &name)))
        return rc;
    *g = world_group_find(*a, name);
    if (!*g)
        return ram__fail(call, RAM_ERR_GROUP_NOT_EXIST);
    return EMU_OK;
}

static emu_rc find_member(emu_call *call, world_account *a, world_user **u)
{
    const char *name;
    emu_rc rc = emu_rpc_require(call, "UserName", &name);
    if (rc)
        return rc;
    *u = world_user_find(a, name);
    if (!*u)
        return ram__fail(call, RAM_ERR_USER_NOT_EXIST);
    return EMU_OK;
}

emu_rc ram_create_group(emu_call *call)
{
    world_account *a = ram__account(call);
    const char *name, *comments = emu_rpc_param(call, "Comments");
    emu_rc rc;
    if (!a)
        return ram__no_account(call);
    if ((rc = emu_rpc_require(call, "GroupName", &name)) ||
        (rc = ram__check_group_name(call, name)) ||
        (rc = ram__check_text(call, "Comments", comments, RAM_MAX_COMMENTS)))
        return rc;
    if (world_group_find(a, name))
        return ram__fail(call, RAM_ERR_GROUP_EXISTS);
    if (a->n_groups >= RAM_MAX_GROUPS)
        return ram__fail(call, RAM_ERR_GROUP_LIMIT);
    world_group *g = emu_xcalloc(1, sizeof *g);
    g->name = emu_xstrdup(name);
    g->id = emu_xmalloc(20);
    world_make_id(a->id, "group", name, 16, g->id);
    g->comments = emu_xstrdup(comments ? comments : "");
    g->create_ms = g->update_ms = emu_clock_now_ms();
    ram__push((void ***)&a->groups, &a->n_groups, g);

    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "Group", group_json(call, g, false));
    call->result = r;
    return EMU_OK;
}

emu_rc ram_get_group(emu_call *call)
{
    world_account *a;
    world_group *g;
    emu_rc rc = find_group(call, &a, &g);
    if (rc)
        return rc;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "Group", group_json(call, g, true));
    call->result = r;
    return EMU_OK;
}

emu_rc ram_update_group(emu_call *call)
{
    world_account *a;
    world_group *g;
    const char *new_name = emu_rpc_param(call, "NewGroupName");
    const char *comments = emu_rpc_param(call, "NewComments");
    emu_rc rc = find_group(call, &a, &g);
    if (rc || (rc = ram__check_text(call, "NewComments", comments, RAM_MAX_COMMENTS)))
        return rc;
    if (new_name && *new_name) {
        if ((rc = ram__check_group_name(call, new_name)))
            return rc;
        const world_group *other = world_group_find(a, new_name);
        if (other && other != g)
            return ram__fail(call, RAM_ERR_GROUP_EXISTS);
        free(g->name);
        g->name = emu_xstrdup(new_name);
    }
    if (comments) {
        free(g->comments);
        g->comments = emu_xstrdup(comments);
    }
    g->update_ms = emu_clock_now_ms();
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "Group", group_json(call, g, true));
    call->result = r;
    return EMU_OK;
}

emu_rc ram_delete_group(emu_call *call)
{
    world_account *a;
    world_group *g;
    emu_rc rc = find_group(call, &a, &g);
    if (rc)
        return rc;
    if (g->n_members)
        return ram__fail(call, RAM_ERR_GROUP_DELETE_USER);
    if (g->n_policies)
        return ram__fail(call, RAM_ERR_GROUP_DELETE_POLICY);
    for (size_t i = 0; i < a->n_groups; i++) {
        if (a->groups[i] == g) {
            ram__remove_at(a->groups, &a->n_groups, sizeof *a->groups, i);
            break;
        }
    }
    world_group_free(g);
    return EMU_OK;
}

emu_rc ram_list_groups(emu_call *call)
{
    world_account *a = ram__account(call);
    ram_page pg;
    emu_rc rc;
    if (!a)
        return ram__no_account(call);
    if ((rc = ram__page(call, a->n_groups, &pg)))
        return rc;
    cJSON *r = cJSON_CreateObject();
    ram__page_put(call, r, &pg);
    cJSON *list = cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "Groups"), "Group");
    for (size_t i = pg.start; i < pg.end; i++)
        cJSON_AddItemToArray(list, group_json(call, a->groups[i], true));
    call->result = r;
    return EMU_OK;
}

static size_t groups_of(const world_account *a, const world_user *u)
{
    size_t n = 0;
    for (size_t g = 0; g < a->n_groups; g++)
        n += ram__member_index(a->groups[g], u->name) >= 0;
    return n;
}

emu_rc ram_add_user_to_group(emu_call *call)
{
    world_account *a;
    world_group *g;
    world_user *u;
    emu_rc rc;
    if ((rc = find_group(call, &a, &g)) || (rc = find_member(call, a, &u)))
        return rc;
    if (ram__member_index(g, u->name) >= 0)
        return ram__fail(call, RAM_ERR_USER_GROUP_EXISTS);
    if (groups_of(a, u) >= RAM_MAX_GROUPS_PER_USER)
        return ram__fail(call, RAM_ERR_USER_GROUP_LIMIT);
    ram__push((void ***)&g->members, &g->n_members, emu_xstrdup(u->name));
    return EMU_OK;
}

emu_rc ram_remove_user_from_group(emu_call *call)
{
    world_account *a;
    world_group *g;
    world_user *u;
    emu_rc rc;
    if ((rc = find_group(call, &a, &g)) || (rc = find_member(call, a, &u)))
        return rc;
    long m = ram__member_index(g, u->name);
    if (m < 0)
        return ram__fail(call, RAM_ERR_USER_GROUP_NOT_EXIST);
    free(g->members[m]);
    ram__remove_at(g->members, &g->n_members, sizeof *g->members, (size_t)m);
    return EMU_OK;
}

emu_rc ram_list_groups_for_user(emu_call *call)
{
    world_account *a = ram__account(call);
    world_user *u;
    emu_rc rc;
    if (!a)
        return ram__no_account(call);
    if ((rc = find_member(call, a, &u)))
        return rc;
    cJSON *r = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "Groups"), "Group");
    for (size_t g = 0; g < a->n_groups; g++)
        if (ram__member_index(a->groups[g], u->name) >= 0)
            cJSON_AddItemToArray(list, group_json(call, a->groups[g], false));
    call->result = r;
    return EMU_OK;
}

emu_rc ram_list_users_for_group(emu_call *call)
{
    world_account *a;
    world_group *g;
    ram_page pg;
    emu_rc rc;
    if ((rc = find_group(call, &a, &g)) || (rc = ram__page(call, g->n_members, &pg)))
        return rc;
    cJSON *r = cJSON_CreateObject();
    ram__page_put(call, r, &pg);
    cJSON *list = cJSON_AddArrayToObject(cJSON_AddObjectToObject(r, "Users"), "User");
    for (size_t i = pg.start; i < pg.end; i++) {
        const world_user *u = world_user_find(a, g->members[i]);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "UserName", u ? u->name : g->members[i]);
        cJSON_AddStringToObject(o, "DisplayName", u ? u->display_name : g->members[i]);
        cJSON_AddItemToArray(list, o);
    }
    call->result = r;
    return EMU_OK;
}
