#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "emu/err.h"

static const char *const rc_names[] = {
#define EMU_RC_NAME(name, text) #name,
    EMU_ERRNO_MAP(EMU_RC_NAME)
#undef EMU_RC_NAME
};

static const char *const rc_texts[] = {
#define EMU_RC_TEXT(name, text) text,
    EMU_ERRNO_MAP(EMU_RC_TEXT)
#undef EMU_RC_TEXT
};

emu_rc emu_err_set(emu_err *err, emu_rc rc, const char *code, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return rc;
    err->rc = rc;
    err->code = code;
    err->status = 0;
    err->msg_tail = NULL;
    if (fmt) {
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    } else {
        snprintf(err->msg, sizeof err->msg, "%s", emu_rc_text(rc));
    }
    return rc;
}

void emu_err_prefix(emu_err *err, const char *fmt, ...)
{
    char head[EMU_ERR_MSG_MAX];
    char old[EMU_ERR_MSG_MAX];
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t h = strlen(head);
    if (h >= sizeof err->msg)
        h = sizeof err->msg - 1;
    memcpy(err->msg, head, h);
    size_t rest = strnlen(old, sizeof old - 1);
    if (rest > sizeof err->msg - 1 - h)
        rest = sizeof err->msg - 1 - h;
    memcpy(err->msg + h, old, rest);
    err->msg[h + rest] = '\0';
}

void emu_err_clear(emu_err *err)
{
    memset(err, 0, sizeof *err);
}

const char *emu_rc_name(emu_rc rc)
{
    return (unsigned)rc < EMU_RC_COUNT ? rc_names[rc] : "E_UNKNOWN";
}

const char *emu_rc_text(emu_rc rc)
{
    return (unsigned)rc < EMU_RC_COUNT ? rc_texts[rc] : "unknown error";
}
