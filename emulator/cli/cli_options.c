/* Command line and environment. Every option NAME is also ACSEMU_NAME in the
 * environment (dashes become underscores, upper case); the command line
 * wins. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "emu/limits.h"

#ifndef ACSEMU_VERSION
#define ACSEMU_VERSION "0.0.0"
#endif

void cli_usage(FILE *f)
{
    fprintf(
        f,
        "acsemu %s - a local emulator of Alibaba Cloud RAM, STS, Tablestore and MaxCompute\n"
        "\n"
        "Usage: acsemu [options]\n"
        "       acsemu simulate --world FILE --principal ARN --action A [--resource ARN]\n"
        "                       [--context KEY=VALUE ...] [--policy FILE] [--session-policy FILE]\n"
        "       acsemu replay [--world FILE] BUNDLE.json\n"
        "       acsemu world check FILE | acsemu world import [options] INPUT...\n"
        "                       (validate a world file without starting; make one from aliyun\n"
        "                        CLI/API JSON or a Terraform state: acsemu world import --help)\n"
        "       (simulate/replay: no server; print the decision as JSON; exit 0 allowed,\n"
        "        1 denied, 2 usage or input error; see acsemu simulate --help)\n"
        "\n"
        "  --bind ADDR          address to listen on (default 127.0.0.1). Any address but\n"
        "                       loopback needs --admin-token, and prints a warning:\n"
        "                       acsemu is for tests and sandboxes, use a trusted network\n"
        "  --port N             port for HTTP and HTTPS alike (default 8780; 0 = any free port)\n"
        "  --world FILE         world file to load (default: the seed world, PREFIX/share/\n"
        "                       acsemu/world.json of an installed acsemu, else data/world.json)\n"
        "  --region ID          region of the emulated cloud (default: the world's Region,\n"
        "                       else cn-hangzhou)\n"
        "  --ready-file FILE    once serving, write the ready JSON line here (atomically)\n"
        "  --log-level LEVEL    debug, info, warn, error or off (default info)\n"
        "  --log-format FMT     text or json (default text); logs go to stderr\n"
        "  --authz MODE         enforce (default), audit (allow, but record would-be denials)\n"
        "                       or off\n"
        "  --seed N             seed for ids, keys and tokens (default: from the clock)\n"
        "  --decisions N        keep the last N decision records (default 1000; 0 = none):\n"
        "                       GET /_emu/decisions[/ID[/bundle]], x-emu-decision header\n"
        "  --header-timeout MS  a client must send its request headers (and then its body)\n"
        "                       within MS milliseconds, else 408 (default 10000 / 30000)\n"
        "  --idle-timeout MS    close keep-alive connections idle for MS ms (default 60000)\n"
        "  --nonce-cache N      remember the nonces of the last N signed RPC requests\n"
        "                       (default 524288, at least 64) to refuse replays\n"
        "                       (SignatureNonceUsed). When it is full the oldest are\n"
        "                       forgotten, and requests signed at or before the newest\n"
        "                       forgotten one get InvalidTimeStamp.Expired (a warning says\n"
        "                       so): the accepted window shrinks, no replay gets in\n"
        "  --max-connections N  open connections at most (default 4096); at the cap a new\n"
        "                       client closes the longest-idle keep-alive connection\n"
        "  --max-buffered-bytes N  request body bytes held at once, all connections\n"
        "                       together (default 268435456 = 256 MB); past it a new body\n"
        "                       is read and dropped, and its request gets its service's own\n"
        "                       503 busy error (Tablestore OTSServerBusy, RPC and\n"
        "                       MaxCompute ServiceUnavailable), which SDKs retry\n"
        "  --state-dir DIR      where the local CA and HTTPS certificate are kept (default\n"
        "                       $XDG_CACHE_HOME/acsemu or ~/.cache/acsemu); the ready line\n"
        "                       names the CA file as \"ca_file\" (NODE_EXTRA_CA_CERTS)\n"
        "  --tls-cert FILE      serve HTTPS with this certificate chain (PEM) instead\n"
        "  --tls-key FILE       and this private key (PEM)\n"
        "  --data-dir DIR       keep the world in DIR: every change is on disk before its\n"
        "                       answer, and a restart comes back where it stopped (the world\n"
        "                       file is only read on the first start, and by /_emu/reset);\n"
        "                       default: in memory only, nothing is written\n"
        "  --snapshot-bytes N   with --data-dir: write a snapshot (in the background) and\n"
        "                       drop the log once it has grown by N bytes (default 64 MB)\n"
        "  --data-dir-repair    with --data-dir: when a log record was damaged after it was\n"
        "                       written (acsemu stops with exit 2 naming the file, record\n"
        "                       and byte), move it and all logged after it to\n"
        "                       DIR/damaged-<time>.log and start without those changes\n"
        "                       (command line only)\n"
        "  --allow-host NAME    the admin API (/_emu/) also answers requests whose Host is\n"
        "                       NAME (repeatable; ACSEMU_ALLOW_HOST=NAME,NAME). By default\n"
        "                       only localhost, *.localhost, 127.x.x.x, [::1] and the --bind\n"
        "                       address, so that no DNS-rebinding web page can reach it\n"
        "  --metadata-listen ADDR:PORT  also serve the ECS instance metadata service\n"
        "                       (/latest/..., and nothing else) on ADDR:PORT, for SDKs that\n"
        "                       hard-code http://100.100.100.200: e.g. inside a network\n"
        "                       namespace, ip addr add 100.100.100.200/32 dev lo, then\n"
        "                       --metadata-listen 100.100.100.200:80. It answers the\n"
        "                       world's ECS instances (by caller address) with their RAM\n"
        "                       role's credentials; the main port serves /latest/ too\n"
        "  --admin-token TOKEN  admin calls need Authorization: Bearer TOKEN (required with\n"
        "                       a non-loopback --bind; prefer ACSEMU_ADMIN_TOKEN, which\n"
        "                       other local users cannot read in the process list)\n"
        "  --max-checkpoints N  keep at most N checkpoints at once (default 64, 1-4096);\n"
        "                       a checkpoint costs what changes after it (copy-on-write)\n"
        "  --help               this text\n"
        "  --version            print the version\n"
        "\n"
        "Every option can also be set in the environment as ACSEMU_<NAME>, for example\n"
        "ACSEMU_PORT=0 or ACSEMU_READY_FILE=/tmp/acsemu.ready; the command line wins.\n"
        "\n"
        "Once the port accepts and the world is loaded, acsemu prints one JSON line on stdout:\n"
        "  {\"event\":\"ready\",\"port\":8780,\"pid\":1234,...}\n"
        "Admin API: GET /_emu/health, POST /_emu/reset, POST /_emu/checkpoints/NAME[/restore],\n"
        "GET /_emu/world, GET|POST /_emu/clock, GET /_emu/decisions?denied=1&would_deny=1&\n"
        "principal=ARN&action=A&limit=N, GET /_emu/decisions/ID[/bundle], POST /_emu/simulate,\n"
        "GET /_emu/coverage. Calls that change state (POST, PUT, DELETE) need\n"
        "Content-Type: application/json; a request with a foreign Host or Origin gets 403.\n"
        "SIGINT/SIGTERM stop it gracefully (exit 0).\n",
        ACSEMU_VERSION);
}

enum {
    OPT_BIND = 1000,
    OPT_PORT,
    OPT_WORLD,
    OPT_REGION,
    OPT_READY,
    OPT_LOGLEVEL,
    OPT_LOGFMT,
    OPT_AUTHZ,
    OPT_SEED,
    OPT_STATE_DIR,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_HEADER_TIMEOUT,
    OPT_IDLE_TIMEOUT,
    OPT_DECISIONS,
    OPT_DATA_DIR,
    OPT_SNAPSHOT_BYTES,
    OPT_DATA_DIR_REPAIR,
    OPT_NONCE_CACHE,
    OPT_ALLOW_HOST,
    OPT_METADATA_LISTEN,
    OPT_ADMIN_TOKEN,
    OPT_MAX_CHECKPOINTS,
    OPT_MAX_CONNECTIONS,
    OPT_MAX_BUFFERED_BYTES,
    OPT_HELP,
    OPT_VERSION
};

static const struct option longopts[] = {
    {"bind", required_argument, NULL, OPT_BIND},
    {"port", required_argument, NULL, OPT_PORT},
    {"world", required_argument, NULL, OPT_WORLD},
    {"region", required_argument, NULL, OPT_REGION},
    {"ready-file", required_argument, NULL, OPT_READY},
    {"log-level", required_argument, NULL, OPT_LOGLEVEL},
    {"log-format", required_argument, NULL, OPT_LOGFMT},
    {"authz", required_argument, NULL, OPT_AUTHZ},
    {"seed", required_argument, NULL, OPT_SEED},
    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"decisions", required_argument, NULL, OPT_DECISIONS},
    {"data-dir", required_argument, NULL, OPT_DATA_DIR},
    {"snapshot-bytes", required_argument, NULL, OPT_SNAPSHOT_BYTES},
    {"data-dir-repair", no_argument, NULL, OPT_DATA_DIR_REPAIR},
    {"nonce-cache", required_argument, NULL, OPT_NONCE_CACHE},
    {"allow-host", required_argument, NULL, OPT_ALLOW_HOST},
    {"metadata-listen", required_argument, NULL, OPT_METADATA_LISTEN},
    {"admin-token", required_argument, NULL, OPT_ADMIN_TOKEN},
    {"max-checkpoints", required_argument, NULL, OPT_MAX_CHECKPOINTS},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
    {"max-buffered-bytes", required_argument, NULL, OPT_MAX_BUFFERED_BYTES},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "acsemu: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n\n");
    cli_usage(stderr);
    return 2;
}

/* One --allow-host NAME: a host name or an IP literal, no port, no scheme. */
static int add_allow_host(cli_options *o, const char *name, const char *v, size_t n)
{
    if (n == 0)
        return bad("%s: empty host name", name);
    if (n >= sizeof o->allow_hosts[0])
        return bad("%s: \"%.40s...\" is longer than %zu bytes", name, v,
                   sizeof o->allow_hosts[0] - 1);
    size_t colons = 0;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']'))
            return bad("%s: \"%.*s\" is not a host name or IP address (give the name alone, "
                       "without scheme, port or path)",
                       name, (int)n, v);
        colons += c == ':';
    }
    if (colons == 1)
        return bad("%s: \"%.*s\": give the host name without a port", name, (int)n, v);
    if (o->n_allow_hosts >= EMU_ADMIN_MAX_ALLOW_HOSTS)
        return bad("%s: at most %d names", name, EMU_ADMIN_MAX_ALLOW_HOSTS);
    memcpy(o->allow_hosts[o->n_allow_hosts], v, n);
    o->allow_hosts[o->n_allow_hosts++][n] = '\0';
    return 0;
}

/* --metadata-listen ADDR:PORT, IPv6 as [ADDR]:PORT. */
static int set_metadata_listen(cli_options *o, const char *name, const char *v)
{
    const char *colon = strrchr(v, ':');
    const char *host = v;
    size_t hn = colon ? (size_t)(colon - v) : 0;
    if (hn >= 2 && v[0] == '[' && v[hn - 1] == ']') {
        host++;
        hn -= 2;
    }
    char *end;
    long p = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || hn == 0 || hn >= sizeof o->metadata_bind || !colon[1] || *end || p < 0 ||
        p > 65535)
        return bad("%s: \"%s\" is not ADDR:PORT (e.g. 100.100.100.200:80 or [::1]:8781)", name, v);
    memcpy(o->metadata_bind, host, hn);
    o->metadata_bind[hn] = '\0';
    o->metadata_port = (int)p;
    o->metadata_set = true;
    return 0;
}

static int apply(cli_options *o, int id, const char *name, const char *v)
{
    char *end;
    switch (id) {
    case OPT_METADATA_LISTEN:
        return set_metadata_listen(o, name, v);
    case OPT_BIND:
        o->bind = v;
        break;
    case OPT_PORT: {
        long p = strtol(v, &end, 10);
        if (!*v || *end || p < 0 || p > 65535)
            return bad("%s: \"%s\" is not a port number (0-65535)", name, v);
        o->port = (int)p;
        break;
    }
    case OPT_WORLD:
        o->world = v;
        o->world_given = true;
        break;
    case OPT_REGION:
        o->region = v;
        break;
    case OPT_READY:
        o->ready_file = v;
        break;
    case OPT_LOGLEVEL:
        if (!emu_log_parse_level(v, &o->log_level))
            return bad("%s: \"%s\" is not one of debug, info, warn, error, off", name, v);
        break;
    case OPT_LOGFMT:
        if (strcmp(v, "text") && strcmp(v, "json"))
            return bad("%s: \"%s\" is not text or json", name, v);
        o->log_json = strcmp(v, "json") == 0;
        break;
    case OPT_AUTHZ:
        if (!strcmp(v, "enforce"))
            o->authz = EMU_AUTHZ_ENFORCE;
        else if (!strcmp(v, "audit"))
            o->authz = EMU_AUTHZ_AUDIT;
        else if (!strcmp(v, "off"))
            o->authz = EMU_AUTHZ_OFF;
        else
            return bad("%s: \"%s\" is not enforce, audit or off", name, v);
        break;
    case OPT_SEED: {
        unsigned long long s = strtoull(v, &end, 10);
        if (!*v || *end)
            return bad("%s: \"%s\" is not a non-negative integer", name, v);
        o->seed = s;
        o->seed_set = true;
        break;
    }
    case OPT_STATE_DIR:
        o->state_dir = v;
        break;
    case OPT_TLS_CERT:
        o->tls_cert = v;
        break;
    case OPT_HEADER_TIMEOUT:
    case OPT_IDLE_TIMEOUT: {
        long ms = strtol(v, &end, 10);
        if (!*v || *end || ms < 1 || ms > 3600000)
            return bad("%s: \"%s\" is not a number of milliseconds (1-3600000)", name, v);
        if (id == OPT_HEADER_TIMEOUT)
            o->header_timeout_ms = (unsigned)ms;
        else
            o->idle_timeout_ms = (unsigned)ms;
        break;
    }
    case OPT_TLS_KEY:
        o->tls_key = v;
        break;
    case OPT_DATA_DIR:
        if (!*v)
            return bad("%s: the directory name is empty", name);
        o->data_dir = v;
        break;
    case OPT_SNAPSHOT_BYTES: {
        unsigned long long n = strtoull(v, &end, 10);
        if (!*v || *end || n < 1 || n > (1ULL << 40))
            return bad("%s: \"%s\" is not a number of bytes (1-2^40)", name, v);
        o->snapshot_bytes = n;
        break;
    }
    case OPT_DATA_DIR_REPAIR:
        o->data_dir_repair = true;
        break;
    case OPT_NONCE_CACHE: {
        unsigned long long n = strtoull(v, &end, 10);
        if (!*v || *end || n < 64 || n > (1ULL << 24))
            return bad("%s: \"%s\" is not a number of nonces (64-16777216)", name, v);
        o->nonce_cache = (size_t)n;
        break;
    }
    case OPT_ALLOW_HOST: {
        /* The environment holds a comma-separated list; the command line
         * repeats the option, and its first use replaces the env list. */
        bool from_env = strncmp(name, "--", 2) != 0;
        if (!from_env && o->allow_hosts_from_env) {
            o->n_allow_hosts = 0;
            o->allow_hosts_from_env = false;
        }
        for (const char *p = v;;) {
            const char *comma = from_env ? strchr(p, ',') : NULL;
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            int rc = add_allow_host(o, name, p, n);
            if (rc)
                return rc;
            if (!comma)
                break;
            p = comma + 1;
        }
        o->allow_hosts_from_env = from_env;
        break;
    }
    case OPT_ADMIN_TOKEN:
        /* Never echoed: not in errors, not in the log. */
        if (strlen(v) < 8)
            return bad("%s: the token must be at least 8 characters", name);
        for (const char *p = v; *p; p++)
            if (*p < 0x21 || *p > 0x7e)
                return bad("%s: the token must be printable ASCII without spaces (it travels "
                           "in an Authorization header)",
                           name);
        o->admin_token = v;
        break;
    case OPT_MAX_CONNECTIONS: {
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 1 || n > 1000000)
            return bad("%s: \"%s\" is not a number of connections (1-1000000)", name, v);
        o->max_connections = (unsigned)n;
        break;
    }
    case OPT_MAX_BUFFERED_BYTES: {
        unsigned long long n = strtoull(v, &end, 10);
        if (!*v || *end || n < 1 || n > (1ULL << 40))
            return bad("%s: \"%s\" is not a number of bytes (1-2^40)", name, v);
        o->max_buffered_bytes = n;
        break;
    }
    case OPT_DECISIONS: {
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 0 || n > 1000000)
            return bad("%s: \"%s\" is not a number of records (0-1000000)", name, v);
        o->decisions = (size_t)n;
        o->decisions_set = true;
        break;
    }
    case OPT_MAX_CHECKPOINTS: {
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 1 || n > EMU_MAX_CHECKPOINTS_CAP)
            return bad("%s: \"%s\" is not a number of checkpoints (1-%d)", name, v,
                       EMU_MAX_CHECKPOINTS_CAP);
        o->max_checkpoints = (size_t)n;
        break;
    }
    }
    return 0;
}

int cli_parse_options(int argc, char **argv, cli_options *o)
{
    int rc, c;
    memset(o, 0, sizeof *o);
    o->bind = "127.0.0.1";
    o->port = 8780;
    o->world = cli_default_world();
    o->log_level = EMU_LOG_INFO;
    o->authz = EMU_AUTHZ_ENFORCE;

    /* Environment first, so the command line overrides it. */
    for (const struct option *lo = longopts; lo->name; lo++) {
        char env[64] = "ACSEMU_";
        size_t n = strlen(env);
        for (const char *p = lo->name; *p && n < sizeof env - 1; p++)
            env[n++] = *p == '-' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        env[n] = '\0';
        const char *v = getenv(env);
        if (v && lo->has_arg == required_argument && (rc = apply(o, lo->val, env, v)))
            return rc;
    }
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == OPT_HELP) {
            cli_usage(stdout);
            return 1;
        }
        if (c == OPT_VERSION) {
            printf("acsemu %s\n", ACSEMU_VERSION);
            return 1;
        }
        if (c == '?' || c == ':')
            return bad("%s: unknown option or missing value", argv[optind - 1]);
        char name[64];
        snprintf(name, sizeof name, "--%s", longopts[c - OPT_BIND].name);
        if ((rc = apply(o, c, name, optarg)))
            return rc;
    }
    if (optind < argc)
        return bad("unexpected argument \"%s\"", argv[optind]);
    if (o->data_dir_repair && !o->data_dir)
        return bad(
            "--data-dir-repair: repairs the data dir given with --data-dir, and there is none");
    return 0;
}
