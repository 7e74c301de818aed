/* The credentials URI (ALIBABA_CLOUD_CREDENTIALS_URI): GET
 * /_emu/credentials/ACCOUNT/ROLE[?duration=SECONDS] answers what the SDKs'
 * URI credentials providers read,
 *   {"Code": "Success", "AccessKeyId": "STS.…", "AccessKeySecret": "…",
 *    "SecurityToken": "CAIS…", "Expiration": "2026-…Z", "LastUpdated": "…"}
 * with a real STS session of that role, minted into the world's token store
 * (so it authenticates every service and expires on the virtual clock).
 *
 * Authorization: the route is part of the admin plane and behind its guard
 * (loopback Host, no foreign Origin, the --admin-token when one is set).
 * Whoever passes that guard can already read every secret of the world
 * (GET /_emu/world), so minting a session of any role is no new power;
 * the trust policy is not consulted, as an ECS instance's metadata service
 * does not ask the role's trust policy per request either [acsemu choice].
 * The session names "acsemu:credentials-uri" as who assumed the role. A
 * failure answers the same JSON with Code set to the cloud-style code
 * (EntityNotExist.Role, InvalidParameter.DurationSeconds), which the SDKs
 * surface, and a non-200 status, which they refuse. Sessions minted here are
 * not journaled by --data-dir [limitation]. */
#include <stdlib.h>
#include <string.h>

#include "emu/admin.h"
#include "emu/auth.h"
#include "emu/clock.h"
#include "emu/json.h"
#include "emu/log.h"
#include "emu/sig.h"

static emu_rc answer(emu_call *call, int status, const char *code, const char *message)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "Code", code);
    cJSON_AddStringToObject(j, "Message", message);
    return emu_admin_json(call, status, j);
}

static emu_rc credentials_uri(emu_call *call, emu_str rest)
{
    /* rest: "/ACCOUNT/ROLE" */
    if (rest.len < 2 || rest.p[0] != '/')
        return answer(call, 404, "NotFound",
                      "GET /_emu/credentials/ACCOUNT/ROLE: name the account and the role");
    emu_str r = {rest.p + 1, rest.len - 1};
    const char *slash = memchr(r.p, '/', r.len);
    if (!slash || slash == r.p || (size_t)(slash - r.p) + 1 >= r.len || r.len > 200)
        return answer(call, 404, "NotFound",
                      "GET /_emu/credentials/ACCOUNT/ROLE: name the account and the role");
    char *account = emu_arena_strndup(call->arena, r.p, (size_t)(slash - r.p));
    char *role_name = emu_arena_strndup(call->arena, slash + 1, r.len - (size_t)(slash - r.p) - 1);
    world_account *a = world_account_find(call->world, account);
    world_role *role = a ? world_role_find(a, role_name) : NULL;
    if (!role)
        return answer(call, 404, "EntityNotExist.Role",
                      emu_arena_sprintf(call->arena,
                                        "The role acs:ram::%.40s:role/%.64s is not in the world.",
                                        account, role_name));
    long duration = role->max_session_duration < 3600 ? role->max_session_duration : 3600;
    if (call->req->query.len) {
        sig_params q;
        emu_err err = {0};
        if (sig_params_parse(call->arena, call->req->query, (emu_str){0}, &q, &err) != EMU_OK)
            return answer(call, 400, "InvalidParameter", err.msg);
        emu_str d = sig_params_get(&q, "duration");
        if (d.p) {
            char *text = emu_arena_strndup(call->arena, d.p, d.len), *end;
            duration = strtol(text, &end, 10);
            if (*end || end == text || duration < 900 || duration > role->max_session_duration)
                return answer(call, 400, "InvalidParameter.DurationSeconds",
                              emu_arena_sprintf(call->arena,
                                                "duration is seconds, 900 to the role's "
                                                "MaxSessionDuration (%d).",
                                                role->max_session_duration));
        }
    }
    const world_session *s = NULL;
    emu_err ierr = {0};
    int64_t now = emu_clock_now_ms();
    auth_session_request sreq = {
        .account = a,
        .role = role,
        .session_name = "credentials-uri",
        .source_arn = "acsemu:credentials-uri",
        .now_ms = now,
        .duration_ms = (int64_t)duration * 1000,
    };
    if (auth_session_issue(call->world, &sreq, &s, &ierr) != EMU_OK) {
        emu_log(EMU_LOG_ERROR, "ERR InternalError credentials-uri: %s", ierr.msg);
        return answer(call, 500, "InternalError", "issuing a session failed");
    }
    char exp[21], upd[21];
    emu_time_iso(s->expire_ms, exp);
    emu_time_iso(now, upd);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "Code", "Success");
    cJSON_AddStringToObject(j, "AccessKeyId", s->access_key_id);
    cJSON_AddStringToObject(j, "AccessKeySecret", s->secret);
    cJSON_AddStringToObject(j, "SecurityToken", s->token);
    cJSON_AddStringToObject(j, "Expiration", exp);
    cJSON_AddStringToObject(j, "LastUpdated", upd);
    return emu_admin_json(call, 200, j);
}

void emu_admin_credentials_register(void)
{
    static const emu_admin_route route = {"GET", "/_emu/credentials", credentials_uri};
    emu_admin_add_route(&route);
}
