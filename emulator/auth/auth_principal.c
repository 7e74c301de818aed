/* Credentials → principal (see emu/auth.h for the contract). */
#include <string.h>

#include "emu/auth.h"
#include "emu/crypto.h"

const char *auth_failure_name(auth_failure f)
{
    switch (f) {
    case AUTH_OK:
        return "ok";
    case AUTH_KEY_NOT_FOUND:
        return "key-not-found";
    case AUTH_KEY_INACTIVE:
        return "key-inactive";
    case AUTH_TOKEN_MISSING:
        return "token-missing";
    case AUTH_TOKEN_MALFORMED:
        return "token-malformed";
    case AUTH_TOKEN_MISMATCH:
        return "token-mismatch";
    case AUTH_TOKEN_EXPIRED:
        return "token-expired";
    }
    return "unknown";
}

static emu_rc fail(auth_failure f, auth_failure *why, emu_err *err, const char *text)
{
    if (why)
        *why = f;
    return emu_err_set(err, EMU_E_AUTH, NULL, "%s", text);
}

/* Role names in ARNs are lower-cased (rpc-api.md §9.2). */
static char *lower_dup(emu_arena *a, const char *s)
{
    char *d = emu_arena_strdup(a, s);
    for (char *p = d; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    return d;
}

static emu_rc resolve_session(const world_t *w, emu_str ak, emu_str token, int64_t now_ms,
                              emu_arena *arena, emu_principal *out, auth_failure *why, emu_err *err)
{
    if (!token.len)
        return fail(AUTH_TOKEN_MISSING, why, err, "STS credentials need their SecurityToken");
    const world_session *s = world_session_find_token(w, token.p, token.len);
    const world_session *mine = world_session_find(w, ak.p, ak.len);
    if (!s) {
        /* A session collected after its expiry (its token says when), a
         * token of this key with a byte changed, or pure invention. */
        int64_t expiry = auth_token_expiry(token);
        if (expiry >= 0 && now_ms >= expiry)
            return fail(AUTH_TOKEN_EXPIRED, why, err, "security token expired");
        return fail(AUTH_TOKEN_MALFORMED, why, err, "unknown security token");
    }
    /* The hash lookup found s by its text; compare again in constant time
     * against the key's own session so timing says nothing about tokens. */
    if (s != mine || !emu_ct_equal(mine->token, strlen(mine->token), token.p, token.len))
        return fail(AUTH_TOKEN_MISMATCH, why, err, "security token of another access key");
    if (now_ms >= s->expire_ms)
        return fail(AUTH_TOKEN_EXPIRED, why, err, "security token expired");
    world_account *a = world_account_find(w, s->account_id);
    world_role *role = a ? world_role_find(a, s->role_name) : NULL;
    if (!role || (s->role_id && strcmp(role->id, s->role_id) != 0))
        return fail(AUTH_TOKEN_MALFORMED, why, err, "the session's role no longer exists");

    out->kind = EMU_PRINCIPAL_SESSION;
    out->account_id = a->id;
    out->role = role;
    out->session_name = s->session_name;
    out->source_arn = s->source_arn;
    out->session_policy = s->policy;
    out->expires_ms = s->expire_ms;
    out->access_key_id = s->access_key_id;
    out->secret = s->secret;
    out->arn = emu_arena_concat(arena, "acs:ram::", a->id, ":assumed-role/",
                                lower_dup(arena, role->name), "/", s->session_name, NULL);
    out->display_name = emu_arena_concat(arena, role->name, "/", s->session_name, NULL);
    return EMU_OK;
}

emu_rc auth_resolve(const world_t *w, emu_str ak, emu_str token, int64_t now_ms, emu_arena *arena,
                    emu_principal *out, auth_failure *why, emu_err *err)
{
    world_key_ref ref;

    if (why)
        *why = AUTH_OK;
    if (!ak.p || !ak.len)
        return fail(AUTH_KEY_NOT_FOUND, why, err, "no AccessKeyId");
    if (!token.p)
        token = (emu_str){"", 0};
    if (ak.len > 4 && memcmp(ak.p, AUTH_STS_KEY_PREFIX, 4) == 0 &&
        !world_key_find(w, ak.p, ak.len, &ref)) {
        if (!token.len && !world_session_find(w, ak.p, ak.len))
            return fail(AUTH_KEY_NOT_FOUND, why, err, "unknown access key");
        return resolve_session(w, ak, token, now_ms, arena, out, why, err);
    }
    if (!world_key_find(w, ak.p, ak.len, &ref))
        return fail(AUTH_KEY_NOT_FOUND, why, err, "unknown access key");
    if (!ref.active)
        return fail(AUTH_KEY_INACTIVE, why, err, "access key is disabled");
    if (token.len) {
        /* [inferred] A long-term key with a token: the token cannot belong
         * to it. */
        if (world_session_find_token(w, token.p, token.len))
            return fail(AUTH_TOKEN_MISMATCH, why, err, "security token of another access key");
        return fail(AUTH_TOKEN_MALFORMED, why, err, "unknown security token");
    }

    out->account_id = ref.account->id;
    out->access_key_id = emu_arena_strndup(arena, ak.p, ak.len);
    out->secret = ref.secret;
    switch (ref.owner) {
    case WORLD_KEY_ROOT:
        out->kind = EMU_PRINCIPAL_ROOT;
        out->arn = emu_arena_concat(arena, "acs:ram::", ref.account->id, ":root", NULL);
        out->display_name = ref.account->alias;
        break;
    case WORLD_KEY_USER:
        out->kind = EMU_PRINCIPAL_USER;
        out->user = ref.user;
        out->arn =
            emu_arena_concat(arena, "acs:ram::", ref.account->id, ":user/", ref.user->name, NULL);
        out->display_name = ref.user->name;
        break;
    case WORLD_KEY_SERVICE:
        out->kind = EMU_PRINCIPAL_SERVICE;
        out->service = ref.service->service;
        out->arn = emu_arena_concat(arena, ref.account->id, "@", ref.service->service, NULL);
        out->display_name = out->arn;
        break;
    }
    return EMU_OK;
}
