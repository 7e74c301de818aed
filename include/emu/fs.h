/* Files the process publishes and directories it keeps state in: written
 * so that another local user cannot redirect or read them. */
#ifndef EMU_FS_H
#define EMU_FS_H

#include <stddef.h>

#include "emu/err.h"

/* Writes data[0..len) to `path` atomically: a reader that sees the file sees
 * all of it. The temporary file lives in path's directory under an
 * unpredictable name (".NAME.XXXXXXXXXXXXXXXX", 64 random bits from the OS,
 * not the seeded generator) and is opened with O_CREAT|O_EXCL|O_NOFOLLOW
 * (mode 0644), so a symlink planted there is never followed; then it is
 * renamed over path (which replaces a symlink at path rather than writing
 * through it). Returns EMU_OK, or EMU_E_INTERNAL with err->msg naming the
 * file and the system error; nothing is left behind on failure. */
emu_rc emu_fs_publish(const char *path, const char *data, size_t len, emu_err *err);

/* Logs a warning when directory `path` (given as `option`, e.g.
 * "--data-dir") can be written by its group or by others, or is owned by
 * another user: whoever can write there can swap the CA key, the snapshot
 * or the log under the process. Silent when path does not exist (yet). */
void emu_fs_warn_unsafe_dir(const char *option, const char *path);

#endif
