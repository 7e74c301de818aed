#ifndef EMU_CLI_INT_H
#define EMU_CLI_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "emu/dispatch.h"
#include "emu/log.h"

typedef struct cli_options {
    const char *bind;
    int port;
    const char *world;
    const char *region;
    const char *ready_file;
    emu_log_level log_level;
    bool log_json;
    emu_authz_mode authz;
    uint64_t seed;
    bool seed_set;
    unsigned header_timeout_ms; /* 0 = default */
    unsigned idle_timeout_ms;
    const char *state_dir; /* generated CA and certificate; NULL = default */
    const char *tls_cert;  /* --tls-cert/--tls-key instead of generating */
    const char *tls_key;
} cli_options;

/* Parses argv and ACSEMU_* environment variables (argv wins). Returns 0 to
 * run, 1 after --help/--version (exit 0), 2 on a usage error (printed). */
int cli_parse_options(int argc, char **argv, cli_options *o);
void cli_usage(FILE *f);

#endif
