/* Authentication state shared by every protocol: who a set of credentials
 * names (principal resolution), the STS session tokens those credentials
 * may carry, and the replay (nonce) cache.
 *
 * The signature arithmetic itself is in emu/sig.h (pure functions); this
 * module adds what needs the world or memory across requests:
 *
 *   AccessKeyId (+ STS token) ──auth_resolve──► emu_principal
 *   (AccessKeyId, nonce)      ──auth_nonce_*──► seen before?
 *   AssumeRole                ──auth_session_issue──► new world session
 *
 * Error codes are protocol-specific (RPC says InvalidAccessKeyId.NotFound,
 * Tablestore says OTSAuthFailed), so auth reports an auth_failure and each
 * service maps it to its own wire code. Nothing here logs or copies a
 * secret or a token into a message. */
#ifndef EMU_AUTH_H
#define EMU_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/arena.h"
#include "emu/err.h"
#include "emu/str.h"
#include "emu/world.h"

typedef enum emu_principal_kind {
    EMU_PRINCIPAL_NONE,    /* not authenticated (admin API, anonymous) */
    EMU_PRINCIPAL_ROOT,    /* the Alibaba Cloud account itself */
    EMU_PRINCIPAL_USER,    /* a RAM user */
    EMU_PRINCIPAL_SESSION, /* an assumed-role session (STS credentials) */
    EMU_PRINCIPAL_SERVICE, /* a cloud service acting for an account */
} emu_principal_kind;

/* Who is calling. Strings live in the call arena or the world. */
typedef struct emu_principal {
    emu_principal_kind kind;
    const char *account_id;     /* the principal's own account */
    const char *arn;            /* acs:ram::12345:root, ...:user/etl, ...:assumed-role/r/s */
    const char *display_name;   /* user name, "role/session", account alias, service */
    const char *access_key_id;  /* never the secret */
    const char *secret;         /* signing key (borrowed; never logged) */
    world_user *user;           /* EMU_PRINCIPAL_USER */
    world_role *role;           /* EMU_PRINCIPAL_SESSION */
    const char *session_name;   /* EMU_PRINCIPAL_SESSION */
    const char *source_arn;     /* EMU_PRINCIPAL_SESSION: who assumed the role */
    const char *session_policy; /* EMU_PRINCIPAL_SESSION: session policy text or NULL */
    int64_t expires_ms;         /* EMU_PRINCIPAL_SESSION (virtual clock) */
    const char *service;        /* EMU_PRINCIPAL_SERVICE: "odps.aliyuncs.com" */
    bool tls;                   /* acs:SecureTransport */
    const char *source_ip;      /* acs:SourceIp */
} emu_principal;

/* ---------------------------------------------------------------------------
 * Principal resolution
 * ------------------------------------------------------------------------- */

/* Why credentials were refused, in the order auth_resolve checks. */
typedef enum auth_failure {
    AUTH_OK = 0,
    AUTH_KEY_NOT_FOUND,   /* no such AccessKeyId (RPC InvalidAccessKeyId.NotFound) */
    AUTH_KEY_INACTIVE,    /* key Status Inactive (InvalidAccessKeyId.Inactive) */
    AUTH_TOKEN_MISSING,   /* "STS." key without a token (MissingSecurityToken) */
    AUTH_TOKEN_MALFORMED, /* unknown or tampered token, or its role is gone
                             (InvalidSecurityToken.Malformed) */
    AUTH_TOKEN_MISMATCH,  /* a real token of another key
                             (InvalidSecurityToken.MismatchWithAccessKey) */
    AUTH_TOKEN_EXPIRED,   /* past its Expiration on the virtual clock
                             (InvalidSecurityToken.Expired) */
} auth_failure;

/* "key-not-found", "token-expired", ... for logs. Static strings. */
const char *auth_failure_name(auth_failure f);

/* Prefix of every STS session AccessKeyId. */
#define AUTH_STS_KEY_PREFIX "STS."

/* Resolves credentials to the principal they name, filling *out (kind,
 * account_id, arn, display_name, access_key_id, secret and the kind's own
 * fields; tls and source_ip are left as they were: the transport sets
 * them).
 *
 *   - A key in the world's key index (root, RAM user, service credential)
 *     must be Active. A token sent with such a key is checked too: a token
 *     of some session gives AUTH_TOKEN_MISMATCH, any other text
 *     AUTH_TOKEN_MALFORMED [inferred: the cloud rejects a token that does
 *     not belong to the key it came with].
 *   - A key starting with "STS." needs `token` (empty counts as absent:
 *     AUTH_TOKEN_MISSING). The token is looked up first: unknown →
 *     MALFORMED; a session of another key → MISMATCH; expired at `now_ms`
 *     (virtual clock) → EXPIRED; its role deleted (or deleted and created
 *     again: the RoleId stored at issue differs) → MALFORMED (rpc-api.md
 *     §8.1: deleting a role invalidates its tokens). Token comparison is
 *     constant-time.
 *
 * Returns EMU_OK, or EMU_E_AUTH with *why set and err->msg a short
 * neutral English text (err->code is left NULL: the service maps *why).
 * Strings in *out point into the world (valid until the next world change)
 * or `arena`. `why` may be NULL. */
emu_rc auth_resolve(const world_t *w, emu_str access_key_id, emu_str token, int64_t now_ms,
                    emu_arena *arena, emu_principal *out, auth_failure *why, emu_err *err);

/* ---------------------------------------------------------------------------
 * STS sessions (the token store lives in the world: world_session_*)
 * ------------------------------------------------------------------------- */

/* Sessions that expired more than this long ago (virtual clock) are
 * collected: before every request (emu_dispatch) and when a new one is
 * issued, so the world never grows with dead sessions. The grace lets a
 * test move the clock past an expiry and back. A collected session's
 * token still answers "expired", not "malformed": minted tokens carry
 * their expiry (auth_session_issue, auth_token_expiry). */
#define AUTH_EXPIRED_SESSION_KEEP_MS (15LL * 60 * 1000)

typedef struct auth_session_request {
    const world_account *account; /* the role's account */
    const world_role *role;
    const char *session_name; /* RoleSessionName, already validated */
    const char *source_arn;   /* ARN of the principal that assumed the role */
    const char *policy;       /* session policy text or NULL */
    int64_t now_ms;           /* virtual clock */
    int64_t duration_ms;      /* already validated against the role */
} auth_session_request;

/* Mints credentials for a new assumed-role session and adds it to the world:
 * AccessKeyId "STS." + 24 base62, a 40-char base62 secret, a token "CAIS"
 * + Base64 of 48 bytes (rpc-api.md §8.1: opaque to clients): the expiry
 * (u64 ms, little-endian), 32 random bytes and an 8-byte SHA-256 check of
 * the 40 before; all from the seeded
 * generator (so --seed makes them repeatable). Expiration is now + duration
 * truncated to whole seconds, so the Expiration the client sees is exactly
 * the stored one. Purges sessions expired more than
 * AUTH_EXPIRED_SESSION_KEEP_MS ago. *out points into the world. Returns
 * EMU_OK (a clash of random ids is retried) or what world_session_add
 * returns. */
emu_rc auth_session_issue(world_t *w, const auth_session_request *req, const world_session **out,
                          emu_err *err);

/* The expiry (epoch ms) a token minted by auth_session_issue carries, or -1
 * when `token` is not of that form (a world file's own tokens). Says
 * nothing about authenticity: only for telling "expired" from "malformed"
 * once the session is gone. */
int64_t auth_token_expiry(emu_str token);

/* ---------------------------------------------------------------------------
 * Replay cache
 * ------------------------------------------------------------------------- */

/* Remembers (AccessKeyId, nonce) pairs for at least `ttl_ms`, in bounded
 * memory. Pairs are stored as 128-bit digests in two generations: the
 * current one takes new pairs; when it is `ttl_ms` old it becomes the
 * previous one (and the previous one is dropped), so a pair is kept between
 * ttl_ms and 2*ttl_ms. When the current generation holds max_entries/2
 * pairs it rotates early: under a flood of requests the memory stays
 * bounded (departure: the cloud's window is not documented, rpc-api.md
 * §14).
 *
 * A forgotten pair must not become replayable, so the cache keeps a floor:
 * the newest signed timestamp among the pairs it ever dropped. A request
 * signed at or before the floor is refused as too old (the accepted window
 * shrinks under pressure; a warning says so, at most once a minute). With
 * ttl_ms at least twice the date check's skew, time-driven drops keep the
 * floor below that check's own limit, so only pressure moves it. Memory is
 * allocated as pairs arrive. */
typedef struct auth_nonce_cache auth_nonce_cache;

/* Twice the 15-minute date window (rpc-api.md §5): a request may be signed
 * up to 15 minutes ahead of the server and is then acceptable for 30. */
#define AUTH_NONCE_TTL_MS (30LL * 60 * 1000)
#define AUTH_NONCE_MAX_ENTRIES (512u * 1024)
#define AUTH_NONCE_MIN_ENTRIES 64u

/* New empty cache (caller frees with auth_nonce_cache_free). max_entries is
 * rounded up to a power of two, minimum AUTH_NONCE_MIN_ENTRIES. */
auth_nonce_cache *auth_nonce_cache_new(size_t max_entries, int64_t ttl_ms);
void auth_nonce_cache_free(auth_nonce_cache *c);
/* Forgets everything, the floor included (tests, fuzzing). */
void auth_nonce_cache_clear(auth_nonce_cache *c);

typedef enum auth_nonce_verdict {
    AUTH_NONCE_NEW,     /* recorded */
    AUTH_NONCE_REPLAY,  /* (ak, nonce) is remembered: SignatureNonceUsed */
    AUTH_NONCE_TOO_OLD, /* signed at or before the floor: InvalidTimeStamp.Expired */
} auth_nonce_verdict;

/* Checks and records in one step; only AUTH_NONCE_NEW records anything.
 * `ts_ms` is the request's signed timestamp (epoch ms), `now_ms` any
 * monotonic millisecond clock. Call only after the signature verified, so
 * a forged request can neither burn a nonce nor move the floor. */
auth_nonce_verdict auth_nonce_check_and_record(auth_nonce_cache *c, emu_str ak, emu_str nonce,
                                               int64_t ts_ms, int64_t now_ms);

/* Pairs currently remembered (both generations). */
size_t auth_nonce_cache_size(const auth_nonce_cache *c);
/* The newest signed timestamp dropped so far (epoch ms), INT64_MIN if none. */
int64_t auth_nonce_cache_floor_ms(const auth_nonce_cache *c);

#endif
