/* acsemu: the composition root. It wires modules together and runs the loop;
 * it holds no logic of its own [h2o src/main.c on top of libh2o]. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "cli_int.h"
#include "emu/admin.h"
#include "emu/authz.h"
#include "emu/clock.h"
#include "emu/decision.h"
#include "emu/ecs.h"
#include "emu/faults.h"
#include "emu/fed.h"
#include "emu/fs.h"
#include "emu/ims.h"
#include "emu/json.h"
#include "emu/net.h"
#include "emu/odps.h"
#include "emu/ots.h"
#include "emu/ots_store.h"
#include "emu/persist.h"
#include "emu/ram.h"
#include "emu/resourcemanager.h"
#include "emu/sts.h"
#include "emu/world.h"

static emu_server server;
static uv_signal_t sig_int, sig_term;
static emu_net *metadata_net; /* --metadata-listen, or NULL */
static uv_loop_t *loop;

static void on_stopped(void *ud)
{
    (void)ud;
    emu_persist_stop(server.persist);
    uv_close((uv_handle_t *)&sig_int, NULL);
    uv_close((uv_handle_t *)&sig_term, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
    (void)h;
    emu_log(EMU_LOG_INFO, "%s: finishing in-flight requests, then exiting",
            signum == SIGINT ? "SIGINT" : "SIGTERM");
    emu_faults_flush(server.faults); /* delayed answers go out now */
    if (metadata_net)
        emu_net_shutdown(metadata_net, NULL, NULL);
    emu_net_shutdown(server.net, on_stopped, NULL);
}

/* The --metadata-listen listener serves the metadata service and nothing
 * else: the address the SDKs hard-code is not a cloud API endpoint. */
static void metadata_handler(void *ud, emu_exchange *x)
{
    emu_str path = x->req.path;
    if (emu_str_starts(path, "/latest/") || emu_str_eq_c(path, "/latest")) {
        emu_dispatch(ud, x);
        return;
    }
    static const char body[] = "404 - Not Found\nThis address serves the ECS instance metadata "
                               "service only (/latest/...).\n";
    emu_http_resp_set(&x->resp, x->req.arena, 404, "text/plain; charset=utf-8", body,
                      sizeof body - 1);
    emu_net_respond(x);
}

static void register_everything(void)
{
    world_register_section(&ots_world_section);
    world_register_section(&odps_world_section);
    emu_rm_register();
    fed_register();
    ecs_register();
    emu_ots_register_authz();
    emu_odps_register_authz();
    emu_dispatch_add_rpc(&server, &emu_sts_service, EMU_STS_VERSION);
    emu_dispatch_add_rpc(&server, &emu_ram_service, EMU_RAM_VERSION);
    emu_dispatch_add_rpc(&server, &emu_rm_service, EMU_RM_VERSION);
    emu_dispatch_add_rpc(&server, &emu_ims_service, EMU_IMS_VERSION);
    emu_dispatch_add_rpc(&server, &emu_ots_instance_service, EMU_OTS_INSTANCE_API_VERSION);
    emu_dispatch_add_rpc(&server, &emu_ots_instance_v1_service, EMU_OTS_INSTANCE_API_V1_VERSION);
    server.ots = &emu_ots_service;
    server.odps = &emu_odps_service;
    server.admin = &emu_admin_service;
    server.metadata = &emu_ecs_metadata_service;
    emu_decision_register_routes();
    emu_admin_rows_register();
    emu_faults_register_routes();
    emu_admin_oidc_register();
    emu_admin_saml_register();
    emu_admin_credentials_register();
    /* Keep last: the console's /_emu/ route catches every GET that no
     * earlier admin route took. */
    emu_admin_console_register();
}

int main(int argc, char **argv)
{
    cli_options o;
    emu_err err = {0};
    uint64_t t0 = emu_clock_mono_us();
    if (argc > 1 && strcmp(argv[1], "sql") == 0)
        return cli_sql_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "simulate") == 0)
        return cli_simulate_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "replay") == 0)
        return cli_replay_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "world") == 0)
        return cli_world_main(argc - 1, argv + 1);
    int rc = cli_parse_options(argc, argv, &o);

    if (rc)
        return rc == 1 ? 0 : 2;
    /* The admin API can wipe the world and read every secret in it: off
     * loopback, it needs a token (emu/admin.h). */
    bool open_bind = !emu_admin_bind_is_loopback(o.bind);
    if (open_bind && !o.admin_token) {
        fprintf(stderr,
                "acsemu: --bind %s is not a loopback address, so other machines could reach the "
                "admin API (/_emu/: reset, clock, every secret of the world). Give an admin "
                "token: --admin-token TOKEN or ACSEMU_ADMIN_TOKEN=TOKEN; admin calls then send "
                "Authorization: Bearer TOKEN.\n",
                o.bind);
        return 2;
    }
    static emu_admin_guard guard;
    guard.bind = o.bind;
    guard.token = o.admin_token;
    for (size_t i = 0; i < o.n_allow_hosts; i++)
        guard.allow_hosts[i] = o.allow_hosts[i];
    guard.n_allow_hosts = o.n_allow_hosts;
    guard.metadata_host = o.metadata_set ? o.metadata_bind : NULL;
    server.admin_guard = &guard;
    signal(SIGPIPE, SIG_IGN);
    emu_log_set_level(o.log_level);
    emu_log_set_json(o.log_json);
    emu_json_init();
    emu_rand_seed(o.seed_set ? o.seed : (uint64_t)emu_clock_real_us() ^ (uint64_t)getpid() << 32);

    register_everything();
    /* With --data-dir the world comes from DIR once it has state; the world
     * file then waits for the first reset (emu_server_load_pristine). */
    bool from_dir = false;
    emu_persist *persist = NULL;
    if (o.data_dir) {
        emu_persist_config pc = {.dir = o.data_dir,
                                 .world_path = o.world,
                                 .snapshot_bytes = o.snapshot_bytes,
                                 .repair = o.data_dir_repair};
        persist = emu_persist_open(&pc, &server.world, &from_dir, &err);
    } else {
        world_load_file(o.world, &server.world, &err);
    }
    if (!server.world) {
        fprintf(stderr, "%s\n", err.msg);
        if (!o.world_given)
            fprintf(stderr, "acsemu: no seed world beside the binary (PREFIX/share/acsemu/"
                            "world.json) nor in ./data/: pass --world FILE\n");
        return 2;
    }
    if (o.data_dir)
        emu_fs_warn_unsafe_dir("--data-dir", o.data_dir);
    if (o.region)
        world_set_region(server.world, o.region);
    server.pristine = from_dir ? NULL : world_clone(server.world);
    server.world_path = o.world;
    server.region = o.region;
    server.version = ACSEMU_VERSION;
    server.authz = o.authz;
    server.nonce_cache = o.nonce_cache;
    server.max_checkpoints = o.max_checkpoints ? o.max_checkpoints : EMU_MAX_CHECKPOINTS;
    /* Decision records and coverage (emu/decision.h): kept unless authz is
     * off, since then nothing is decided. */
    server.decision_hooks = &emu_decision_hooks_default;
    server.decisions = emu_decisions_new(o.decisions_set ? o.decisions : EMU_DECISIONS_DEFAULT);
    server.coverage = emu_coverage_new();
    server.start_mono_ms = emu_clock_mono_ms();

    loop = uv_default_loop();
    server.faults = emu_faults_new(loop);
    server.fault_hooks = &emu_fault_hooks_default;
    if (persist)
        emu_persist_start(persist, &server, loop);
    /* HTTPS on the same port (DESIGN.md §1). A certificate the user named
     * must work; a generated one that cannot be made (no writable state dir)
     * only costs HTTPS. */
    emu_tls_config tc = {.state_dir = o.state_dir,
                         .cert_file = o.tls_cert,
                         .key_file = o.tls_key,
                         .region = world_region(server.world)};
    emu_tls *tls = emu_tls_new(&tc, &err);
    if (!tls && (o.tls_cert || o.tls_key)) {
        fprintf(stderr, "acsemu: %s\n", err.msg);
        return 2;
    }
    if (!tls)
        emu_log(EMU_LOG_WARN, "HTTPS disabled: %s", err.msg);
    server.tls_ca_file = emu_tls_ca_file(tls);
    emu_net_config nc = {.bind = o.bind,
                         .port = o.port,
                         .handler = emu_dispatch,
                         .reject = emu_dispatch_reject,
                         .ud = &server,
                         .tls = tls,
                         .header_timeout_ms = o.header_timeout_ms,
                         .body_timeout_ms = o.header_timeout_ms,
                         .idle_timeout_ms = o.idle_timeout_ms,
                         .max_connections = o.max_connections,
                         .max_buffered_bytes = o.max_buffered_bytes};
    server.net = emu_net_start(loop, &nc, &err);
    if (!server.net) {
        fprintf(stderr, "acsemu: %s\n", err.msg);
        return 2;
    }
    if (o.metadata_set) {
        emu_net_config mc = nc;
        mc.bind = o.metadata_bind;
        mc.port = o.metadata_port;
        mc.handler = metadata_handler;
        mc.reject = NULL;
        mc.tls = NULL;
        metadata_net = emu_net_start(loop, &mc, &err);
        if (!metadata_net) {
            fprintf(stderr, "acsemu: --metadata-listen: %s\n", err.msg);
            return 2;
        }
    }
    uv_signal_init(loop, &sig_int);
    uv_signal_init(loop, &sig_term);
    uv_signal_start(&sig_int, on_signal, SIGINT);
    uv_signal_start(&sig_term, on_signal, SIGTERM);

    int port = emu_net_port(server.net);
    const char *host = strchr(o.bind, ':') ? "[::1]" : o.bind;
    if (!strcmp(o.bind, "0.0.0.0"))
        host = "127.0.0.1";
    cJSON *ready = cJSON_CreateObject();
    cJSON_AddStringToObject(ready, "event", "ready");
    cJSON_AddNumberToObject(ready, "port", port);
    cJSON_AddNumberToObject(ready, "pid", getpid());
    cJSON_AddStringToObject(ready, "bind", o.bind);
    char endpoint[128];
    snprintf(endpoint, sizeof endpoint, "http://%s:%d", host, port);
    cJSON_AddStringToObject(ready, "endpoint", endpoint);
    if (metadata_net) {
        char mep[128];
        snprintf(mep, sizeof mep, strchr(o.metadata_bind, ':') ? "http://[%s]:%d" : "http://%s:%d",
                 o.metadata_bind, emu_net_port(metadata_net));
        cJSON_AddStringToObject(ready, "metadata_endpoint", mep);
    }
    cJSON_AddStringToObject(ready, "world", o.world);
    if (o.data_dir)
        cJSON_AddStringToObject(ready, "data_dir", o.data_dir);
    cJSON_AddStringToObject(ready, "region", world_region(server.world));
    if (server.tls_ca_file)
        cJSON_AddStringToObject(ready, "ca_file", server.tls_ca_file);
    cJSON_AddBoolToObject(ready, "tls", tls != NULL);
    cJSON_AddStringToObject(ready, "version", ACSEMU_VERSION);
    cJSON_AddNumberToObject(ready, "startup_ms", (double)(emu_clock_mono_us() - t0) / 1000.0);
    char *line = emu_json_print(ready);
    cJSON_Delete(ready);
    printf("%s\n", line);
    fflush(stdout);
    if (o.ready_file) {
        /* The ready line plus its newline, published atomically (emu/fs.h). */
        size_t n = strlen(line);
        line[n] = '\n';
        emu_rc prc = emu_fs_publish(o.ready_file, line, n + 1, &err);
        line[n] = '\0';
        if (prc) {
            fprintf(stderr, "acsemu: cannot write --ready-file %s\n", err.msg);
            free(line);
            return 2;
        }
    }
    free(line);
    if (open_bind)
        emu_log(EMU_LOG_WARN,
                "listening on %s, which other machines can reach: the admin API needs the admin "
                "token, but the cloud APIs take any AccessKey of the world; use a trusted "
                "network",
                o.bind);
    emu_log(EMU_LOG_INFO, "acsemu %s serving %s on %s:%d (authz %s)", ACSEMU_VERSION, o.world,
            o.bind, port,
            o.authz == EMU_AUTHZ_ENFORCE ? "enforce"
            : o.authz == EMU_AUTHZ_AUDIT ? "audit"
                                         : "off");

    if (metadata_net && !emu_admin_bind_is_loopback(o.metadata_bind))
        emu_log(EMU_LOG_WARN,
                "--metadata-listen %s: whoever reaches this address gets the role credentials of "
                "the world's ECS instances; keep it on a loopback alias (ip addr add "
                "100.100.100.200/32 dev lo) or inside a network namespace",
                o.metadata_bind);

    uv_run(loop, UV_RUN_DEFAULT);

    emu_net_free(server.net);
    emu_net_free(metadata_net);
    for (size_t i = 0; i < server.n_checkpoints; i++)
        world_free(server.checkpoints[i].world);
    free(server.checkpoints);
    world_free(server.world);
    world_free(server.pristine);
    emu_decisions_free(server.decisions);
    fed_issuers_free();
    emu_coverage_free(server.coverage);
    emu_faults_free(server.faults);
    emu_persist_free(server.persist);
    auth_nonce_cache_free(server.nonces);
    emu_authz_shutdown();
    odps_service_shutdown();
    emu_tls_free(tls);
    uv_loop_close(loop);
    if (o.ready_file)
        unlink(o.ready_file);
    emu_log(EMU_LOG_INFO, "stopped");
    return 0;
}
