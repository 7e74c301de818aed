/* Generic error space and the error carrier.
 *
 * Deep code (world, codecs, parsers) fills `rc` and `msg` and leaves `code`
 * NULL: it does not know which cloud service is asking. The service that
 * knows the context sets `code` (a static string such as
 * "EntityNotExist.User") and, where it matters, `status`; one renderer per
 * service turns the carrier into the wire shape. */
#ifndef EMU_ERR_H
#define EMU_ERR_H

#include <stddef.h>

#define EMU_ERRNO_MAP(X)                                                                           \
    X(OK, "ok")                                                                                    \
    X(E_INVALID, "invalid input")                                                                  \
    X(E_NOT_FOUND, "not found")                                                                    \
    X(E_EXISTS, "already exists")                                                                  \
    X(E_LIMIT, "limit exceeded")                                                                   \
    X(E_AUTH, "authentication failed")                                                             \
    X(E_DENIED, "access denied")                                                                   \
    X(E_UNSUPPORTED, "not supported")                                                              \
    X(E_CONFLICT, "conflict")                                                                      \
    X(E_INTERNAL, "internal error")

typedef enum emu_rc {
#define EMU_RC_ENUM(name, text) EMU_##name,
    EMU_ERRNO_MAP(EMU_RC_ENUM)
#undef EMU_RC_ENUM
        EMU_RC_COUNT
} emu_rc;

#define EMU_ERR_MSG_MAX 512

typedef struct emu_err {
    emu_rc rc;
    const char *code; /* cloud error code, static string; NULL = service default */
    int status;       /* HTTP status; 0 = the service's default for (rc, code) */
    char msg[EMU_ERR_MSG_MAX];
    /* Optional long tail appended verbatim to msg when rendered (for example
     * the server's string-to-sign in SignatureDoesNotMatch). It lives in the
     * call arena or is static; the carrier never frees it. */
    const char *msg_tail;
} emu_err;

/* An empty carrier without zeroing its message buffer (`= {0}` stores
 * half a kilobyte; request paths that rarely fail keep one or two). */
static inline void emu_err_init(emu_err *err)
{
    err->rc = EMU_OK;
    err->code = NULL;
    err->status = 0;
    err->msg[0] = '\0';
    err->msg_tail = NULL;
}

/* Fills *err (if not NULL) and returns rc, so callers can write
 * `return emu_err_set(err, EMU_E_INVALID, NULL, "bad %s", x);`.
 * code must be a static string or NULL. Clears status and msg_tail. */
emu_rc emu_err_set(emu_err *err, emu_rc rc, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prefixes the existing message with a location ("$.Accounts[1]: " + msg). */
void emu_err_prefix(emu_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears the carrier to "no error". */
void emu_err_clear(emu_err *err);

/* "E_INVALID" and "invalid input" for each rc. Static strings. */
const char *emu_rc_name(emu_rc rc);
const char *emu_rc_text(emu_rc rc);

#endif
