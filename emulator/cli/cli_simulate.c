/* `acsemu simulate`: one authorization decision against a world file, with
 * no server, through the same emu_authz_check that enforces requests
 * (emu_decision_simulate). Prints the decision record as JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "emu/clock.h"
#include "emu/decision.h"
#include "emu/ecs.h"
#include "emu/fed.h"
#include "emu/json.h"
#include "emu/limits.h"
#include "emu/odps.h"
#include "emu/ots.h"
#include "emu/ots_store.h"
#include "emu/resourcemanager.h"

#define SIM_MAX_KEYS 24

static void usage(FILE *f)
{
    fprintf(
        f, "Usage: acsemu simulate --world FILE --principal ARN --action ACTION\n"
           "                       [--resource ARN] [--context KEY=VALUE ...]\n"
           "                       [--policy FILE] [--session-policy FILE]\n"
           "                       [--network internet|vpc|classic|trust-proxy] [--source-vpc ID]\n"
           "\n"
           "Evaluates one request against the world's policies exactly as the server would\n"
           "(same code path, no server needed) and prints the decision record as JSON.\n"
           "\n"
           "  --principal ARN      acs:ram::<uid>:root, acs:ram::<uid>:user/<name>,\n"
           "                       acs:ram::<uid>:assumed-role/<role>/<session> (or role/<role>),\n"
           "                       or <uid>@<service> (a cloud service acting for <uid>)\n"
           "  --action ACTION      e.g. ots:GetRow, ram:CreateRole, sts:AssumeRole (then the\n"
           "                       resource is the role ARN and its trust policy is evaluated)\n"
           "  --resource ARN       e.g. acs:ots:cn-hangzhou:12345:instance/cap1/table/t\n"
           "                       (default *)\n"
           "  --context KEY=VALUE  a condition key (repeatable; repeat a key for several\n"
           "                       values): acs:SourceIp=10.1.2.3, acs:SecureTransport=true,\n"
           "                       acs:CurrentTime=2026-01-01T00:00:00Z, sts:ExternalId=abc.\n"
           "                       Defaults: CurrentTime now, SecureTransport and MFAPresent\n"
           "                       false, no SourceIp\n"
           "  --policy FILE        a policy document evaluated as one more identity policy of\n"
           "                       the principal (\"would this policy fix it?\")\n"
           "  --session-policy FILE  the session policy of an assumed-role principal\n"
           "  --network NET        ots:* actions: the network the request comes over, checked\n"
           "                       against the instance's NetworkTypeACL / NetworkSourceACL\n"
           "                       (default: the owner's Tablestore DefaultNetwork, INTERNET)\n"
           "  --source-vpc ID      ots:* actions: the VPC the request comes from (implies vpc)\n"
           "\n"
           "Exit status: 0 allowed, 1 denied (implicit or explicit), 2 usage error, world\n"
           "or policy file error, or unknown principal.\n");
}

static int load_doc(const char *path, policy_kind kind, policy_doc_t **out)
{
    size_t len;
    emu_err err = {0};
    char *text = cli_read_file(path, EMU_MAX_WORLD_BYTES, &len, &err);
    if (!text) {
        fprintf(stderr, "acsemu simulate: %s\n", err.msg);
        return 2;
    }
    emu_rc rc = policy_compile(text, len, kind, out, &err);
    free(text);
    if (rc) {
        fprintf(stderr, "acsemu simulate: %s: %s\n", path, err.msg);
        return 2;
    }
    policy_doc_set_label(*out, kind == POLICY_KIND_SESSION ? "session" : path,
                         kind == POLICY_KIND_SESSION ? "Session" : "Custom", NULL);
    return 0;
}

int cli_simulate_main(int argc, char **argv)
{
    static const struct option longopts[] = {{"world", required_argument, NULL, 'w'},
                                             {"principal", required_argument, NULL, 'p'},
                                             {"action", required_argument, NULL, 'a'},
                                             {"resource", required_argument, NULL, 'r'},
                                             {"context", required_argument, NULL, 'c'},
                                             {"policy", required_argument, NULL, 'P'},
                                             {"session-policy", required_argument, NULL, 'S'},
                                             {"network", required_argument, NULL, 'n'},
                                             {"source-vpc", required_argument, NULL, 'v'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *world_path = cli_default_world(), *policy_path = NULL, *session_path = NULL;
    emu_sim_req req = {0};
    policy_ckey keys[SIM_MAX_KEYS];
    const char *values[SIM_MAX_KEYS][8];
    int c, rc = 2;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'w':
            world_path = optarg;
            break;
        case 'p':
            req.principal = optarg;
            break;
        case 'a':
            req.action = optarg;
            break;
        case 'r':
            req.resource = optarg;
            break;
        case 'P':
            policy_path = optarg;
            break;
        case 'S':
            session_path = optarg;
            break;
        case 'n':
            req.network = optarg;
            break;
        case 'v':
            req.source_vpc = optarg;
            break;
        case 'c': {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) {
                fprintf(stderr, "acsemu simulate: --context wants KEY=VALUE, not \"%s\"\n", optarg);
                return 2;
            }
            size_t kl = (size_t)(eq - optarg), k = 0;
            while (k < req.n_keys &&
                   !(strlen(keys[k].key) == kl && strncmp(keys[k].key, optarg, kl) == 0))
                k++;
            if (k == req.n_keys) {
                if (k == SIM_MAX_KEYS) {
                    fprintf(stderr, "acsemu simulate: too many --context keys\n");
                    return 2;
                }
                keys[k] = (policy_ckey){strndup(optarg, kl), values[k], 0};
                req.n_keys++;
            }
            if (keys[k].n_values == 8) {
                fprintf(stderr, "acsemu simulate: too many values for %s\n", keys[k].key);
                return 2;
            }
            values[k][keys[k].n_values++] = eq + 1;
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, "acsemu simulate: %s: unknown option or missing value\n\n",
                    argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc || !req.principal || !req.action) {
        fprintf(stderr, "acsemu simulate: --principal and --action are required\n\n");
        usage(stderr);
        return 2;
    }
    req.keys = keys;

    emu_json_init();
    world_register_section(&ots_world_section);
    world_register_section(&odps_world_section);
    emu_rm_register();
    fed_register();
    ecs_register();
    emu_ots_register_authz();
    emu_odps_register_authz();
    world_t *w = NULL;
    policy_doc_t *policy = NULL, *session = NULL;
    emu_err err = {0};
    if (world_load_file(world_path, &w, &err) != EMU_OK) {
        fprintf(stderr, "%s\n", err.msg);
        goto out;
    }
    if (policy_path && load_doc(policy_path, POLICY_KIND_PERMISSION, &policy))
        goto out;
    if (session_path && load_doc(session_path, POLICY_KIND_SESSION, &session))
        goto out;
    req.policy = policy;
    req.session_policy = session;
    bool allowed = false;
    cJSON *rec = emu_decision_simulate(w, &req, &allowed, &err);
    if (!rec) {
        fprintf(stderr, "acsemu simulate: %s\n", err.msg);
        goto out;
    }
    char *text = cJSON_Print(rec);
    printf("%s\n", text);
    free(text);
    cJSON_Delete(rec);
    rc = allowed ? 0 : 1;
out:
    policy_doc_free(policy);
    policy_doc_free(session);
    world_free(w);
    emu_authz_shutdown();
    for (size_t i = 0; i < req.n_keys; i++)
        free((char *)(uintptr_t)keys[i].key);
    return rc;
}
