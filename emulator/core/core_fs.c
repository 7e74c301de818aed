/* Published files and state directories (emu/fs.h). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu/crypto.h"
#include "emu/fs.h"
#include "emu/log.h"

/* Opens a fresh temporary file next to path; *tmp receives its name. */
static int open_tmp(const char *path, char *tmp, size_t n)
{
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    const char *base = slash ? slash + 1 : path;
    for (int tries = 0; tries < 16; tries++) {
        uint8_t r[8];
        char hex[17];
        /* The OS generator, not emu_rand: --seed makes emu_rand repeatable,
         * and a name someone can predict is a name someone can plant. */
        if (RAND_bytes(r, sizeof r) != 1) {
            errno = EIO;
            return -1;
        }
        emu_hex_lower(r, sizeof r, hex);
        if ((size_t)snprintf(tmp, n, "%.*s.%s.%s", dir_len, path, base, hex) >= n) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

emu_rc emu_fs_publish(const char *path, const char *data, size_t len, emu_err *err)
{
    char tmp[4096];
    int fd = open_tmp(path, tmp, sizeof tmp);
    if (fd < 0)
        return emu_err_set(err, EMU_E_INTERNAL, NULL, "%s: cannot create a temporary file: %s",
                           path, strerror(errno));
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        left -= (size_t)w;
    }
    bool ok = left == 0;
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = false;
        saved = errno;
    }
    if (!ok) {
        unlink(tmp);
        return emu_err_set(err, EMU_E_INTERNAL, NULL, "%s: %s", path, strerror(saved));
    }
    return EMU_OK;
}

void emu_fs_warn_unsafe_dir(const char *option, const char *path)
{
    struct stat st;
    if (!path || stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return;
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        emu_log(EMU_LOG_WARN,
                "%s %s can be written by %s (mode %03o): anyone who can write there can "
                "replace what acsemu keeps in it; chmod go-w it or pick a private directory",
                option, path, st.st_mode & S_IWOTH ? "every user" : "its group",
                (unsigned)(st.st_mode & 0777));
    if (st.st_uid != geteuid())
        emu_log(EMU_LOG_WARN,
                "%s %s is owned by another user (uid %u, acsemu runs as uid %u): that user "
                "can replace what acsemu keeps in it; pick a directory of your own",
                option, path, (unsigned)st.st_uid, (unsigned)geteuid());
}
