/* `acsemu replay [--world FILE] BUNDLE.json`: re-evaluates a replay bundle
 * (GET /_emu/decisions/ID/bundle) with no server: offline with the
 * documents the bundle carries, or against a world file's current policies
 * to check a fix (emu_decision_replay). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "emu/decision.h"
#include "emu/ecs.h"
#include "emu/fed.h"
#include "emu/json.h"
#include "emu/limits.h"
#include "emu/odps.h"
#include "emu/ots.h"
#include "emu/ots_store.h"
#include "emu/resourcemanager.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: acsemu replay [--world FILE] BUNDLE.json\n"
               "\n"
               "Re-evaluates a decision saved with GET /_emu/decisions/ID/bundle and prints\n"
               "the decision and its reason as JSON, with \"recorded\" (what the server said)\n"
               "and \"sameDecision\" / \"sameReason\".\n"
               "\n"
               "  (no --world)   offline: the policy versions and context in the bundle\n"
               "  --world FILE   the principal and policies as FILE has them now (the\n"
               "                 bundle's context, clock included, and session policy stay)\n"
               "\n"
               "Exit status: 0 allowed, 1 denied, 2 usage error or unreadable bundle/world.\n");
}

int cli_replay_main(int argc, char **argv)
{
    static const struct option longopts[] = {{"world", required_argument, NULL, 'w'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *world_path = NULL;
    int c, rc = 2;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'w') {
            world_path = optarg;
        } else if (c == 'h') {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "acsemu replay: %s: unknown option or missing value\n\n",
                    argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "acsemu replay: name one bundle file\n\n");
        usage(stderr);
        return 2;
    }
    const char *path = argv[optind];

    emu_json_init();
    world_register_section(&ots_world_section);
    world_register_section(&odps_world_section);
    emu_rm_register();
    fed_register();
    ecs_register();
    emu_ots_register_authz();
    emu_odps_register_authz();
    world_t *w = NULL;
    cJSON *bundle = NULL;
    emu_err err = {0};
    size_t n;
    char *text = cli_read_file(path, EMU_MAX_WORLD_BYTES, &n, &err);
    if (!text) {
        fprintf(stderr, "acsemu replay: %s\n", err.msg);
        return 2;
    }
    bundle = emu_json_parse(text, n, &err);
    free(text);
    if (!bundle) {
        fprintf(stderr, "acsemu replay: %s: %s\n", path, err.msg);
        goto out;
    }
    if (world_path && world_load_file(world_path, &w, &err) != EMU_OK) {
        fprintf(stderr, "%s\n", err.msg);
        goto out;
    }
    bool allowed = false;
    cJSON *res = emu_decision_replay(bundle, w, &allowed, &err);
    if (!res) {
        fprintf(stderr, "acsemu replay: %s: %s\n", path, err.msg);
        goto out;
    }
    char *out = cJSON_Print(res);
    printf("%s\n", out);
    free(out);
    cJSON_Delete(res);
    rc = allowed ? 0 : 1;
out:
    cJSON_Delete(bundle);
    world_free(w);
    emu_authz_shutdown();
    return rc;
}
