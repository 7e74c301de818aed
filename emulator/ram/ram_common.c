/* Helpers shared by the RAM handlers: the error table, parameter checks,
 * pagination and small array edits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/log.h"
#include "emu/str.h"
#include "ram_int.h"

static const struct {
    const char *code;
    emu_rc rc;
    int status;
    const char *msg;
} ram_errors[] = {
#define RAM_ERROR(id, code, rc, status, msg) {code, rc, status, msg},
#include "ram_errors.def"
#undef RAM_ERROR
};

emu_rc ram__fail(emu_call *call, ram_err id)
{
    emu_err_set(&call->err, ram_errors[id].rc, ram_errors[id].code, "%s", ram_errors[id].msg);
    call->err.status = ram_errors[id].status;
    return ram_errors[id].rc;
}

emu_rc ram__bad_param(emu_call *call, const char *name)
{
    emu_err_set(&call->err, EMU_E_INVALID, "InvalidParameter",
                "The specified parameter \"%s\" is not valid.", name);
    call->err.status = 400;
    return EMU_E_INVALID;
}

emu_rc ram__malformed(emu_call *call, const emu_err *perr)
{
    /* rpc-api.md §7: "free text describing the problem"; the engine's text
     * names the JSON location. */
    emu_err_set(&call->err, EMU_E_INVALID, "MalformedPolicyDocument", "%s", perr->msg);
    call->err.status = 400;
    return EMU_E_INVALID;
}

world_account *ram__account(emu_call *call)
{
    return call->principal.account_id ? world_account_find(call->world, call->principal.account_id)
                                      : NULL;
}

emu_rc ram__no_account(emu_call *call)
{
    /* Can't happen: authentication resolved the caller inside the world. */
    emu_err_set(&call->err, EMU_E_INTERNAL, "InternalError", "An internal error occurred.");
    call->err.status = 500;
    return EMU_E_INTERNAL;
}

const char *ram__date(emu_call *call, int64_t ms)
{
    char *out = emu_arena_alloc(call->arena, 21);
    emu_time_iso(ms, out);
    return out;
}

static bool chars_ok(const char *s, const char *extra)
{
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr(extra, c)))
            return false;
    }
    return true;
}

static emu_rc check_name(emu_call *call, const char *name, size_t max, const char *extra,
                         ram_err too_long, ram_err bad_chars)
{
    if (strlen(name) > max)
        return ram__fail(call, too_long);
    if (!*name || !chars_ok(name, extra))
        return ram__fail(call, bad_chars);
    return EMU_OK;
}

/* rpc-api.md §9.2: UserName letters, digits, ".", "_", "-"; GroupName
 * letters, digits, "-"; RoleName letters, digits, ".", "-"; PolicyName
 * letters, digits, "-". The world loader applies the same sets. */
emu_rc ram__check_user_name(emu_call *call, const char *name)
{
    return check_name(call, name, 64, "._-", RAM_ERR_USER_NAME_LENGTH, RAM_ERR_USER_NAME_CHARS);
}

emu_rc ram__check_group_name(emu_call *call, const char *name)
{
    return check_name(call, name, 64, "-", RAM_ERR_GROUP_NAME_LENGTH, RAM_ERR_GROUP_NAME_CHARS);
}

emu_rc ram__check_role_name(emu_call *call, const char *name)
{
    return check_name(call, name, 64, ".-", RAM_ERR_ROLE_NAME_LENGTH, RAM_ERR_ROLE_NAME_CHARS);
}

emu_rc ram__check_policy_name(emu_call *call, const char *name)
{
    return check_name(call, name, 128, "-", RAM_ERR_POLICY_NAME_LENGTH, RAM_ERR_POLICY_NAME_CHARS);
}

emu_rc ram__check_text(emu_call *call, const char *param, const char *value, size_t max)
{
    if (!value || strlen(value) <= max)
        return EMU_OK;
    if (strstr(param, "Description"))
        return ram__fail(call, RAM_ERR_DESCRIPTION_LENGTH);
    return ram__bad_param(call, param);
}

emu_rc ram__bool_param(emu_call *call, const char *name, bool dflt, bool *out)
{
    const char *v = emu_rpc_param(call, name);
    *out = dflt;
    if (!v || !*v)
        return EMU_OK;
    if (emu_strcasecmp(v, "true") == 0)
        *out = true;
    else if (emu_strcasecmp(v, "false") == 0)
        *out = false;
    else
        return ram__bad_param(call, name);
    return EMU_OK;
}

emu_rc ram__policy_type(emu_call *call, bool required, bool *system, bool *present)
{
    const char *t = emu_rpc_param(call, "PolicyType");
    *system = false;
    if (present)
        *present = t && *t;
    if (!t || !*t) {
        if (required)
            return emu_rpc_require(call, "PolicyType", &t);
        return EMU_OK;
    }
    if (strcmp(t, "System") == 0)
        *system = true;
    else if (strcmp(t, "Custom") != 0)
        return ram__fail(call, RAM_ERR_POLICY_TYPE);
    return EMU_OK;
}

static bool parse_size(const char *s, size_t *out)
{
    size_t v = 0;
    if (!*s || strlen(s) > 9)
        return false;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (size_t)(*p - '0');
    }
    *out = v;
    return true;
}

emu_rc ram__page(emu_call *call, size_t total, ram_page *out)
{
    const char *marker = emu_rpc_param(call, "Marker");
    const char *max = emu_rpc_param(call, "MaxItems");
    size_t start = 0, n = 100;

    if (max && *max && (!parse_size(max, &n) || n < 1 || n > 1000))
        return ram__bad_param(call, "MaxItems");
    if (marker && *marker && (!parse_size(marker, &start) || start > total))
        return ram__bad_param(call, "Marker");
    out->start = start;
    out->end = total - start > n ? start + n : total;
    out->truncated = out->end < total;
    return EMU_OK;
}

void ram__page_put(emu_call *call, cJSON *r, const ram_page *pg)
{
    cJSON_AddBoolToObject(r, "IsTruncated", pg->truncated);
    if (pg->truncated)
        cJSON_AddStringToObject(r, "Marker", emu_arena_sprintf(call->arena, "%zu", pg->end));
}

void ram__push(void ***arr, size_t *n, void *p)
{
    *arr = emu_xrealloc(*arr, (*n + 1) * sizeof **arr);
    (*arr)[(*n)++] = p;
}

void ram__remove_at(void *arr, size_t *n, size_t size, size_t i)
{
    char *base = arr;
    if (i + 1 < *n)
        memmove(base + i * size, base + (i + 1) * size, (*n - i - 1) * size);
    (*n)--;
}

const char *ram__role_arn(emu_call *call, const world_account *a, const char *name)
{
    char *arn = emu_arena_sprintf(call->arena, "acs:ram::%s:role/%s", a->id, name);
    /* rpc-api.md §9.2: the ARN carries the lower-cased role name. */
    for (char *p = strrchr(arn, '/') + 1; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    return arn;
}

long ram__member_index(const world_group *g, const char *name)
{
    for (size_t m = 0; m < g->n_members; m++)
        if (emu_strcasecmp(g->members[m], name) == 0)
            return (long)m;
    return -1;
}

emu_rc ram__compile(emu_call *call, const char *text, policy_kind kind, ram_err too_long,
                    policy_doc_t **out)
{
    emu_err perr = {0};
    *out = NULL;
    if (strlen(text) > EMU_MAX_POLICY_BYTES)
        return ram__fail(call, too_long);
    emu_rc rc = policy_compile(text, strlen(text), kind, out, &perr);
    if (rc == EMU_E_LIMIT)
        return ram__fail(call, too_long);
    if (rc)
        return ram__malformed(call, &perr);
    return EMU_OK;
}

const char *ram__doc_text(const policy_doc_t *doc)
{
    size_t len;
    return doc ? policy_doc_text(doc, &len) : "";
}

static bool refs_have(const world_policy_ref *r, size_t n, const char *policy, bool system)
{
    for (size_t i = 0; i < n; i++)
        if (r[i].system == system && emu_strcasecmp(r[i].name, policy) == 0)
            return true;
    return false;
}

ram_attach_count ram__count_attachments(const world_account *a, const char *policy, bool system)
{
    ram_attach_count c = {0, 0, 0};
    for (size_t i = 0; i < a->n_users; i++)
        c.users += refs_have(a->users[i]->policies, a->users[i]->n_policies, policy, system);
    for (size_t i = 0; i < a->n_groups; i++)
        c.groups += refs_have(a->groups[i]->policies, a->groups[i]->n_policies, policy, system);
    for (size_t i = 0; i < a->n_roles; i++)
        c.roles += refs_have(a->roles[i]->policies, a->roles[i]->n_policies, policy, system);
    return c;
}

static void refs_drop(world_policy_ref *r, size_t *n, const char *policy, bool system)
{
    for (size_t i = 0; i < *n; i++) {
        if (r[i].system == system && emu_strcasecmp(r[i].name, policy) == 0) {
            free(r[i].name);
            ram__remove_at(r, n, sizeof *r, i);
            return;
        }
    }
}

void ram__detach_everywhere(world_account *a, const char *policy, bool system)
{
    for (size_t i = 0; i < a->n_users; i++)
        refs_drop(a->users[i]->policies, &a->users[i]->n_policies, policy, system);
    for (size_t i = 0; i < a->n_groups; i++)
        refs_drop(a->groups[i]->policies, &a->groups[i]->n_policies, policy, system);
    for (size_t i = 0; i < a->n_roles; i++)
        refs_drop(a->roles[i]->policies, &a->roles[i]->n_policies, policy, system);
}
