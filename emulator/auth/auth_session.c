/* Minting STS session credentials (see emu/auth.h). */
#include <stdio.h>
#include <string.h>

#include "emu/auth.h"
#include "emu/clock.h"
#include "emu/crypto.h"

#define STS_KEY_RANDOM 24
#define STS_SECRET_LEN 40
#define STS_TOKEN_HANDLE 48

/* A token's 48 bytes: the expiry (u64 ms, little-endian), 32 random bytes,
 * then 8 bytes of SHA-256 over the 40 before, so a changed byte reads as
 * malformed, not as some other expiry (see auth_token_expiry). */
#define TOKEN_CHECK_AT 40

static void seal_expiry(uint8_t handle[STS_TOKEN_HANDLE], int64_t expire_ms)
{
    uint8_t h[EMU_SHA256_LEN];
    for (int i = 0; i < 8; i++)
        handle[i] = (uint8_t)((uint64_t)expire_ms >> (8 * i));
    emu_sha256(handle, TOKEN_CHECK_AT, h);
    memcpy(handle + TOKEN_CHECK_AT, h, STS_TOKEN_HANDLE - TOKEN_CHECK_AT);
}

emu_rc auth_session_issue(world_t *w, const auth_session_request *req, const world_session **out,
                          emu_err *err)
{
    char ak[4 + STS_KEY_RANDOM + 1];
    char secret[STS_SECRET_LEN + 1];
    uint8_t handle[STS_TOKEN_HANDLE];
    char token[4 + EMU_BASE64_LEN(STS_TOKEN_HANDLE) + 1];
    emu_rc rc = EMU_OK;

    world_session_expire(w, req->now_ms - AUTH_EXPIRED_SESSION_KEEP_MS);
    /* Whole seconds: the Expiration the client reads is the stored value. */
    int64_t now_s = req->now_ms / 1000 * 1000;
    world_session s = {
        .account_id = req->account->id,
        .role_name = req->role->name,
        .role_id = req->role->id,
        .session_name = (char *)req->session_name,
        .source_arn = (char *)req->source_arn,
        .policy = (char *)req->policy,
        .create_ms = now_s,
        .expire_ms = (req->now_ms + req->duration_ms) / 1000 * 1000,
        .collectable = true,
    };
    /* A clash of 24 base62 characters is practically impossible; retry a few
     * times anyway rather than fail an AssumeRole. */
    for (int attempt = 0; attempt < 4; attempt++) {
        memcpy(ak, AUTH_STS_KEY_PREFIX, 4);
        emu_rand_base62(ak + 4, STS_KEY_RANDOM);
        emu_rand_base62(secret, STS_SECRET_LEN);
        emu_rand_bytes(handle, sizeof handle);
        seal_expiry(handle, s.expire_ms);
        memcpy(token, "CAIS", 4);
        emu_base64_encode(handle, sizeof handle, token + 4);
        s.access_key_id = ak;
        s.secret = secret;
        s.token = token;
        rc = world_session_add(w, &s, out, err);
        if (rc != EMU_E_EXISTS)
            break;
    }
    memset(secret, 0, sizeof secret);
    memset(token, 0, sizeof token);
    return rc;
}

int64_t auth_token_expiry(emu_str token)
{
    uint8_t handle[STS_TOKEN_HANDLE + 3], h[EMU_SHA256_LEN];
    size_t n = 0;
    uint64_t e = 0;
    if (token.len != 4 + EMU_BASE64_LEN(STS_TOKEN_HANDLE) || memcmp(token.p, "CAIS", 4) != 0 ||
        !emu_base64_decode(token.p + 4, token.len - 4, handle, sizeof handle, &n) ||
        n != STS_TOKEN_HANDLE)
        return -1;
    emu_sha256(handle, TOKEN_CHECK_AT, h);
    if (memcmp(h, handle + TOKEN_CHECK_AT, STS_TOKEN_HANDLE - TOKEN_CHECK_AT) != 0)
        return -1;
    for (int i = 0; i < 8; i++)
        e |= (uint64_t)handle[i] << (8 * i);
    return e <= (uint64_t)EMU_TIME_MAX_MS ? (int64_t)e : -1;
}
