#ifndef EMU_CLI_INT_H
#define EMU_CLI_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "emu/admin.h"
#include "emu/dispatch.h"
#include "emu/log.h"

typedef struct cli_options {
    const char *bind;
    int port;
    const char *world;
    bool world_given; /* --world or ACSEMU_WORLD, not cli_default_world() */
    const char *region;
    const char *ready_file;
    emu_log_level log_level;
    bool log_json;
    emu_authz_mode authz;
    uint64_t seed;
    bool seed_set;
    unsigned header_timeout_ms; /* 0 = default */
    unsigned idle_timeout_ms;
    unsigned max_connections;    /* --max-connections; 0 = EMU_MAX_CONNECTIONS */
    uint64_t max_buffered_bytes; /* --max-buffered-bytes; 0 = EMU_MAX_BUFFERED_BYTES */
    const char *state_dir;       /* generated CA and certificate; NULL = default */
    const char *tls_cert;        /* --tls-cert/--tls-key instead of generating */
    const char *tls_key;
    const char *data_dir;    /* --data-dir: durable world (emu/persist.h); NULL = memory only */
    uint64_t snapshot_bytes; /* --snapshot-bytes; 0 = default */
    bool data_dir_repair;    /* --data-dir-repair: set a damaged log tail aside */
    size_t nonce_cache;      /* --nonce-cache: replay cache capacity; 0 = default */
    size_t decisions;        /* --decisions: ring size (0 = keep none) */
    size_t max_checkpoints;  /* --max-checkpoints; 0 = default */
    bool decisions_set;
    /* --allow-host NAME (repeatable; ACSEMU_ALLOW_HOST takes NAME,NAME...)
     * and --admin-token: the admin API's guard (emu/admin.h). */
    char allow_hosts[EMU_ADMIN_MAX_ALLOW_HOSTS][256];
    size_t n_allow_hosts;
    bool allow_hosts_from_env; /* the command line replaces the env list */
    const char *admin_token;
    /* --metadata-listen ADDR:PORT: a second listener for the ECS metadata
     * service only (emu/ecs.h); metadata_bind NULL = none. */
    char metadata_bind[64];
    int metadata_port;
    bool metadata_set;
} cli_options;

/* Parses argv and ACSEMU_* environment variables (argv wins). Returns 0 to
 * run, 1 after --help/--version (exit 0), 2 on a usage error (printed). */
int cli_parse_options(int argc, char **argv, cli_options *o);
void cli_usage(FILE *f);

/* The world file used when --world is not given: the seed of an installed
 * layout (<prefix>/share/acsemu/world.json beside <prefix>/bin/acsemu), else
 * data/world.json of a checkout (the working directory), else the seed of
 * the prefix the binary was built for. Never NULL; the path may not exist. */
const char *cli_default_world(void);

/* Reads a whole file of at most cap bytes, NUL-terminated (caller frees);
 * NULL with the reason in err. */
char *cli_read_file(const char *path, size_t cap, size_t *len, emu_err *err);

/* `acsemu world check FILE` and `acsemu world import [options] INPUT...`
 * (cli_world.c). argv[0] is "world". Exit 0 ok, 1 invalid input, 2 usage. */
int cli_world_main(int argc, char **argv);

/* `acsemu sql --endpoint URL --project P --access-key-id ID
 * --access-key-secret S [--csv] "SELECT ..."`: runs one SQL task through
 * the MaxCompute REST API of a running acsemu (cli_sql.c). argv[0] is
 * "sql". Returns the process exit code: 0 success, 1 failed task or HTTP
 * error, 2 usage error. */
int cli_sql_main(int argc, char **argv);

/* `acsemu simulate --world FILE --principal ARN --action A [--resource ARN]
 * [--context KEY=VALUE ...] [--policy FILE] [--session-policy FILE]`: one
 * decision against a world, no server (cli_simulate.c). argv[0] is
 * "simulate". Prints the decision record as JSON. Exit 0 allowed, 1 denied,
 * 2 usage, world or input error. */
int cli_simulate_main(int argc, char **argv);

/* `acsemu replay [--world FILE] BUNDLE.json`: re-evaluates a replay bundle
 * (GET /_emu/decisions/ID/bundle) offline, or against a world's current
 * policies (cli_replay.c). Exit codes as simulate. */
int cli_replay_main(int argc, char **argv);

#endif
