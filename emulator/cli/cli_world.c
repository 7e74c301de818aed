/* The default world file, and `acsemu world check|import` (cli_int.h). */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "cli_int.h"

#ifndef ACSEMU_DATADIR
#define ACSEMU_DATADIR "/usr/local/share/acsemu"
#endif

const char *cli_default_world(void)
{
    static char path[PATH_MAX + 64];
    char exe[PATH_MAX];
    size_t n = sizeof exe;
    /* An installed layout, wherever its prefix: <prefix>/bin/acsemu next to
     * <prefix>/share/acsemu/world.json (cmake --install, the .deb, the
     * container image). */
    if (uv_exepath(exe, &n) == 0) {
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(path, sizeof path, "%s/../share/acsemu/world.json", exe);
            if (access(path, R_OK) == 0)
                return path;
        }
    }
    /* A checkout: scripts/run and the README's examples run from its root. */
    if (access("data/world.json", R_OK) == 0)
        return "data/world.json";
    /* The prefix this binary was built for (a copied binary). */
    snprintf(path, sizeof path, "%s/world.json", ACSEMU_DATADIR);
    if (access(path, R_OK) == 0)
        return path;
    return "data/world.json"; /* the error then names what was looked for */
}
