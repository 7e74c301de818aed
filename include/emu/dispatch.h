/* The request pipeline: route → decode → authenticate → authorize →
 * execute → render, in that fixed order for every service [nginx phases].
 * Handlers never check signatures or policies themselves, so none can
 * forget to.
 *
 * Services describe themselves with an emu_service vtable and an action
 * table (data, one row per API action). */
#ifndef EMU_DISPATCH_H
#define EMU_DISPATCH_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "emu/arena.h"
#include "emu/auth.h"
#include "emu/err.h"
#include "emu/http.h"
#include "emu/limits.h"
#include "emu/net.h"
#include "emu/world.h"

/* emu_principal (who is calling) is defined in emu/auth.h. */

typedef struct emu_call emu_call;
typedef struct emu_service emu_service;
struct policy_trace;     /* emu/policy.h */
struct emu_authz_denial; /* emu/authz.h */
struct emu_authz_note;   /* emu/authz.h */
struct emu_decision;     /* emu/decision.h */
struct emu_decisions;    /* emu/decision.h */
struct emu_coverage;     /* emu/decision.h */

/* Fault injection, emu/faults.h. */
typedef struct emu_fault_hooks emu_fault_hooks;
struct emu_faults;
struct emu_fault_rule;

enum {
    EMU_ACT_READ = 1u << 0,
    EMU_ACT_WRITE = 1u << 1,
    EMU_ACT_NO_AUTHZ = 1u << 2, /* authenticated but no policy check (GetCallerIdentity) */
    /* No authentication phase: the call carries no AccessKey signature
     * (AssumeRoleWithOIDC, rpc-api.md §8.3); the handler proves who calls. */
    EMU_ACT_ANONYMOUS = 1u << 3,
};

typedef struct emu_action {
    const char *name; /* API name: "CreateUser", "GetRange" */
    emu_rc (*handler)(emu_call *call);
    const char *policy_action; /* "ram:CreateUser" */
    unsigned flags;
} emu_action;

struct emu_service {
    const char *name; /* "ram", "sts", "ots", "odps", "admin" */
    /* Parses the request far enough to name the action (sets call->action_name)
     * and keeps what later phases need in call->svc_data. */
    emu_rc (*decode)(emu_call *call);
    const emu_action *actions;
    size_t n_actions;
    /* Verifies the caller and fills call->principal. NULL = no authentication
     * (admin API). Called through emu_dispatch_authenticate, which clears
     * what a failure left in call->principal. */
    emu_rc (*authenticate)(emu_call *call);
    /* Builds the request context and asks the policy engine. NULL = allow.
     * Services plug in emu_authz_phase (emu/authz.h). */
    emu_rc (*authorize)(emu_call *call);
    /* The resource ARN the current action targets, decided before the
     * handler runs (for emu_authz_phase), allocated in call->arena. NULL
     * hook or NULL result = "*". */
    const char *(*resource)(emu_call *call);
    /* Answer for an unknown action: fills call->err with the service's own
     * error naming it. */
    emu_rc (*unknown_action)(emu_call *call);
    /* Renderers write call->resp in the service's wire format; they own
     * call->result and free it. */
    void (*render_ok)(emu_call *call);
    void (*render_err)(emu_call *call);
    /* Optional: fills call->err for a request the HTTP layer could not
     * frame (`status` 400/408/413/431, `why`), so render_err answers in the
     * service's format; nothing was decoded (svc_data is NULL). NULL = the
     * HTTP layer answers plain text. */
    void (*framing_error)(emu_call *call, int status, const char *why);
    /* Optional: fills call->err with the service's own "server busy" error
     * (HTTP 503) for a request whose body the HTTP layer did not keep
     * (req->over_budget: request bodies over --max-buffered-bytes). It may
     * decode what the error's shape needs (the query), nothing more; the
     * request is not executed. NULL = a generic ServiceUnavailable. */
    void (*busy)(emu_call *call);
    void *data; /* service-global state */
    /* RPC products (emu/rpc.h): parameters whose bad bytes (NUL, invalid
     * UTF-8) the product reports under its own code; NULL = none. */
    const struct emu_rpc_param_rule *param_rules;
};

struct emu_call {
    const emu_http_req *req;
    emu_http_resp *resp;
    emu_arena *arena;
    struct emu_server *server;
    world_t *world;
    const emu_service *svc;
    const emu_action *action;
    const char *action_name;
    char request_id[37];
    emu_principal principal;
    emu_err err;
    void *svc_data;          /* decoded request, owned by the service, in the arena */
    void *result;            /* what the handler produced, for render_ok */
    const char *decision;    /* "allow", "deny", "audit-deny" or NULL (not evaluated) */
    const char *decision_id; /* id of the decision record, if any */
    const char *reason;      /* one-line reason of a denial */
    /* Every decision of this call (the authorize phase and any second
     * decision a handler asks for), in the arena; NULL = none taken. */
    struct policy_trace *trace;
    /* Set with an enforced denial: what the RPC error body reports as
     * AccessDeniedDetail (rpc-api.md §6.2). In the arena. */
    const struct emu_authz_denial *denial;
    /* The decision record this call fills (emu/decision.h), NULL = none. */
    struct emu_decision *record;
    /* The batch fault rule that fired for this call (emu/faults.h), NULL =
     * none. */
    const struct emu_fault_rule *fault;
    /* Milliseconds of virtual time this call's changes take to reach
     * Tablestore global indexes (fault rules' index_lag_ms); 0 = at once. */
    unsigned index_lag_ms;
    /* A handler of a read action changed world state (Tablestore SQL's
     * CREATE TABLE / DROP MAPPING TABLE, a mapping made on first use): the
     * durability hook journals it as it does write actions. */
    bool changed_world;
};

/* The decision recorder (emu/decision.h registers it): `note` runs after
 * every decision emu_authz_check takes, `finish` once the response is
 * rendered (before the access log line). */
typedef struct emu_decision_hooks {
    void (*note)(emu_call *call, const struct emu_authz_note *n);
    void (*finish)(emu_call *call);
} emu_decision_hooks;

/* Durability (emu/persist.h registers it): `hold` runs once the response
 * of a call is rendered, with the call's final rc and any fault delay. It
 * journals what the call changed and returns true when it took over the
 * exchange, to answer once the change is on disk (then it also applies
 * delay_ms). */
typedef struct emu_persist_hooks {
    bool (*hold)(emu_call *call, emu_exchange *x, emu_rc rc, unsigned delay_ms);
} emu_persist_hooks;

typedef enum emu_authz_mode { EMU_AUTHZ_ENFORCE, EMU_AUTHZ_AUDIT, EMU_AUTHZ_OFF } emu_authz_mode;

#define EMU_MAX_SERVICES 8

typedef struct emu_checkpoint {
    char name[65];
    world_t *world;
    int64_t clock_offset_ms;
    int64_t created_ms;
} emu_checkpoint;

/* The server context: world, configuration, services. One per process. */
typedef struct emu_server {
    world_t *world;
    world_t *pristine; /* the loaded world, for POST /_emu/reset; NULL = not yet loaded */
    /* Counts emu_server_set_world calls: state kept outside the world (open
     * Tablestore transactions) belongs to one generation. */
    uint64_t world_gen;
    const char *world_path;
    const char *version;
    const char *region;
    emu_authz_mode authz;
    uint64_t start_mono_ms;
    emu_net *net;
    const char *tls_ca_file;     /* for /_emu/health and the ready line */
    auth_nonce_cache *nonces;    /* RPC replay cache; created on first use */
    size_t nonce_cache;          /* --nonce-cache: its capacity; 0 = AUTH_NONCE_MAX_ENTRIES */
    int64_t max_skew_ms;         /* request-date tolerance; 0 = 15 minutes */
    emu_checkpoint *checkpoints; /* max_checkpoints slots, the first n in use */
    size_t n_checkpoints;
    size_t max_checkpoints;                   /* --max-checkpoints; 0 = EMU_MAX_CHECKPOINTS */
    const emu_service *rpc[EMU_MAX_SERVICES]; /* RPC products by version */
    const char *rpc_versions[EMU_MAX_SERVICES];
    size_t n_rpc;
    const emu_service *ots;
    const emu_service *odps;
    const emu_service *admin;
    /* The ECS instance metadata service (emu/ecs.h): /latest/...; NULL =
     * not served. */
    const emu_service *metadata;
    /* Who may call the admin API (emu/admin.h); NULL = loopback only, no
     * token. */
    const struct emu_admin_guard *admin_guard;
    uint64_t requests;
    /* Decision records and statement coverage (NULL = not kept). */
    const emu_decision_hooks *decision_hooks;
    struct emu_decisions *decisions;
    struct emu_coverage *coverage;
    /* Fault injection (emu/faults.h); NULL hooks = none. */
    const emu_fault_hooks *fault_hooks;
    struct emu_faults *faults;
    /* --data-dir (emu/persist.h); NULL hooks = in memory only. */
    const emu_persist_hooks *persist_hooks;
    struct emu_persist *persist;
} emu_server;

/* The net handler: runs the pipeline for one exchange. ud is the emu_server. */
void emu_dispatch(void *ud, emu_exchange *x);
/* The net reject hook (emu_net_config.reject): a framing error answered by
 * the service the header block was meant for, when it says how. */
bool emu_dispatch_reject(void *ud, emu_exchange *x, int status, const char *why);

/* Registration, at start-up. `version` is the RPC Version ("2015-04-01") and
 * host_label the first Host label ("sts") that select an RPC product. */
void emu_dispatch_add_rpc(emu_server *s, const emu_service *svc, const char *version);

/* The authenticate phase: svc->authenticate, and on failure a principal
 * reduced to its connection facts (TLS, source address). unknown_action
 * hooks that authenticate before answering call it too. */
emu_rc emu_dispatch_authenticate(emu_call *call);

/* Finds an action by exact name in a service's table, or NULL. */
const emu_action *emu_dispatch_find_action(const emu_service *svc, const char *name);

/* Replaces the live world (reset, restore). Frees the old one. */
void emu_server_set_world(emu_server *s, world_t *w);
/* Makes sure s->pristine is loaded: a start from a data dir (emu/persist.h)
 * leaves it NULL until the first reset asks for it, then loads world_path
 * (with the `region` override). Errors as world_load_file. */
emu_rc emu_server_load_pristine(emu_server *s, emu_err *err);

/* Helpers for renderers. */
const char *emu_principal_kind_name(emu_principal_kind k);

#endif
