/* The console's static files, embedded at build time by
 * console_embed.cmake (generated console_assets.c). Module-private. */
#ifndef EMU_ADMIN_CONSOLE_INT_H
#define EMU_ADMIN_CONSOLE_INT_H

#include <stddef.h>

typedef struct admin_console_asset {
    const char *name;          /* file name: "index.html", "console.js" */
    const unsigned char *data; /* the file's bytes (NUL-terminated for convenience) */
    size_t len;                /* byte count without the NUL */
} admin_console_asset;

extern const admin_console_asset admin_console_assets[];
extern const size_t admin_console_n_assets;

#endif
