/* The authorize phase shared by every service (DESIGN.md §3).
 *
 * After authentication has named the caller (call->principal), this module
 * builds the request context (action, resource ARN, condition keys), gathers
 * the caller's compiled documents from the world and asks the policy engine
 * (policy_authorize) for a decision:
 *
 *   root            its own account: everything (ROOT_RULE); nothing elsewhere
 *   RAM user        policies attached to the user and to each of its groups
 *   role session    the role's attached policies ∩ the session policy
 *   service         nothing by itself (a service works through roles)
 *
 * System policies come from policy_system_find, Custom ones from the default
 * version of the account's policy. Every document was compiled when it
 * entered the world (load or RAM API), so evaluation parses nothing and
 * allocates nothing but the trace; a session policy (text in the STS token)
 * is compiled once and kept in a small cache keyed by its exact text.
 *
 * The server's --authz mode applies: `enforce` refuses a denial, `audit`
 * records it (call->decision = "audit-deny", call->reason) and lets the
 * request through, `off` skips evaluation. */
#ifndef EMU_AUTHZ_H
#define EMU_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/dispatch.h"
#include "emu/policy.h"

/* What an enforced denial reports (AccessDeniedDetail, rpc-api.md §6.2).
 * Strings are static or live in the call arena. */
typedef struct emu_authz_denial {
    const char *no_permission_type; /* "ImplicitDeny" | "ExplicitDeny" */
    const char *auth_action;        /* "ram:CreateUser" */
    const char *principal_type;     /* "SubUser" | "AssumedRoleUser" | "Account" | "Service" */
    const char *principal_owner_id; /* the caller's account */
    const char *principal_name;     /* user name, "role/session", alias, service */
    /* "AccountLevelIdentityBasedPolicy" | "SessionPolicy" | "AssumeRolePolicy" |
     * "ControlPolicy" | "ResourceBasedPolicy" (a Tablestore instance policy) */
    const char *policy_type;
    /* EncodedDiagnosticMessage: opaque to clients, decoded by RAM
     * DecodeDiagnosticMessage (emu_authz_diagnostic_decode). */
    const char *encoded_diagnostic_message;
} emu_authz_denial;

/* One decision. Every pointer is borrowed for the duration of the call. */
typedef struct emu_authz_req {
    const char *action;   /* "ram:CreateUser"; NULL = call->action->policy_action */
    const char *resource; /* canonical ARN; NULL = "*" */
    /* Owner of the resource. NULL = the account field of `resource` when it
     * is all digits, else the caller's own account. */
    const char *resource_account;
    /* Service-specific condition keys, added to the global ones; a key named
     * like a global one (acs:SourceIp...) replaces it (the simulator and
     * replay pin the context that way). */
    const policy_ckey *keys;
    size_t n_keys;
    /* AssumeRole (ram-policy.md §5.4): the target role's compiled trust
     * policy. When set, the decision is policy_assume_role (the caller's own
     * permission AND the trust policy, with the caller presented as
     * emu_authz_presented says) instead of policy_authorize. */
    const policy_doc_t *trust;
    /* With `trust`: the caller as the trust policy sees it, instead of
     * emu_authz_presented(call->principal) — a Federated principal
     * ("acs:ram::<uid>:oidc-provider/<name>") for AssumeRoleWithOIDC, whose
     * caller has no RAM identity, so only the trust policy decides.
     * NULL = the authenticated caller. */
    const policy_principal *presented;
    /* Simulation only (POST /_emu/simulate, acsemu simulate): a document
     * evaluated as one more identity policy of the caller, and a session
     * policy used instead of the session's own. NULL = none. */
    const policy_doc_t *extra_identity;
    const policy_doc_t *session_override;
    /* A Tablestore data-plane request: the network it came over (type, 0 =
     * the owner's default network; trust_proxy; source_vpc). The instance's
     * ACL is filled in from the world (emu_authz_set_network_source) and
     * checked first (NETWORK_ACL). NULL = not such a request. */
    const policy_network *network;
} emu_authz_req;

/* What emu_authz_check hands the decision recorder (server->decision_hooks)
 * after each decision, before it returns. Everything is borrowed for the
 * duration of the hook: copy what must outlive it. */
typedef struct emu_authz_note {
    const policy_authz *in; /* inputs as given to the engine (documents, context) */
    policy_result res;
    bool assume;         /* policy_assume_role (req->trust set) */
    bool broken_session; /* the session policy did not compile: nothing allowed */
    bool enforced;       /* a denial refused the request (enforce mode) */
    size_t first_eval;   /* this decision's entries in call->trace->evals */
    const char *reason;  /* one-line reason of a denial (the call's arena), else NULL */
    const char *input;   /* a rule layer's inputs as JSON text (replay), else NULL */
} emu_authz_note;

/* The calling principal as a trust policy sees it (ram-policy.md §3.4):
 * RAM users as "acs:ram::<uid>:user/<name>", role sessions as
 * "acs:ram::<uid>:assumed-role/<role>/<session>", root as
 * "acs:ram::<uid>:root" (never matches), service credentials as the
 * Service "<uid>@<service>". Only the kind that authentication gave decides
 * the type: a RAM user is never presented as a service. `value` borrows
 * p->arn. */
policy_principal emu_authz_presented(const emu_principal *p);

/* The phase itself: plug into emu_service.authorize. Action from the action
 * table's policy_action, resource from emu_service.resource (NULL hook =
 * "*"). Same result as emu_authz_check. */
emu_rc emu_authz_phase(emu_call *call);

/* Takes one decision for the calling principal and records it:
 *  - call->trace (allocated from the arena on first use, then appended to,
 *    so a handler's second decision lands in the same trace);
 *  - call->decision = "allow" | "deny" | "audit-deny" (unchanged with
 *    --authz off), call->reason = the one-line policy_trace_reason of a
 *    denial.
 * Returns EMU_OK when allowed (or denied in audit mode, or authz off);
 * EMU_E_DENIED when denied in enforce mode, with call->err set to
 * NoPermission / 403 / "You are not authorized to do this action." (STS:
 * "... You should be authorized by RAM.", rpc-api.md §7) and call->denial
 * filled. Global condition keys: acs:SourceIp, acs:SecureTransport,
 * acs:CurrentTime (virtual clock, ISO-8601 UTC), acs:MFAPresent ("false":
 * API calls never carry MFA) and acs:AccessId. With req->trust, a root
 * caller's denial reads "Roles may not be assumed by root accounts."
 * (rpc-api.md §7). */
emu_rc emu_authz_check(emu_call *call, const emu_authz_req *req);

/* A decision made by a service's own permission model rather than by RAM
 * policies (MaxCompute's project members and ACL grants: `layer`
 * POLICY_LAYER_MAXCOMPUTE_ACL), recorded like emu_authz_check's (decision
 * record, call->decision/reason; `reason` must live as long as the call).
 * The --authz mode applies: `off` records nothing and allows, `audit`
 * records a would-be denial and allows. Returns EMU_E_DENIED when the
 * denial is enforced (the caller renders its service's error), else EMU_OK.
 * `input` (may be NULL; must live as long as the call) is the JSON text of
 * everything the service's model looked at: replay bundles carry it as
 * "ruleInput" and replay decides again from it (emu/decision.h,
 * emu_decision_set_rule_replayer). */
emu_rc emu_authz_note_rule(emu_call *call, const char *action, const char *resource,
                           const char *resource_account, bool allowed, policy_layer layer,
                           const char *reason, const char *input);

/* Records a refusal that no --authz mode lifts (a federated token that
 * failed a check is an authentication failure, not a policy decision): a
 * decision record in `layer` with `reason` (must live as long as the call),
 * call->decision "deny" and call->reason set, even with --authz off. The
 * caller renders its service's error. */
void emu_authz_note_refusal(emu_call *call, const char *action, const char *resource,
                            const char *resource_account, policy_layer layer, const char *reason);

/* The constant strings emu_authz_check puts into every context: the global
 * key names and the Bool values. */
typedef struct emu_authz_strings {
    char current_time[16];
    char secure_transport[20];
    char mfa_present[15];
    char source_ip[13];
    char access_id[13];
    char source_vpc[14];  /* acs:SourceVpc (Tablestore requests from a VPC) */
    char trust_proxy[21]; /* ots:IsFromTrustProxy (Tablestore requests) */
    char v_true[5];
    char v_false[6];
} emu_authz_strings;
extern const emu_authz_strings emu_authz_consts;

/* True when s points into emu_authz_consts: it lives for the process, so a
 * recorder need not copy it. An address range check, for the hot path. */
static inline bool emu_authz_static_string(const char *s)
{
    uintptr_t p = (uintptr_t)s, b = (uintptr_t)&emu_authz_consts;
    return p >= b && p < b + sizeof emu_authz_consts;
}

/* The one-line reason of the trace's final decision, in arena a: the
 * engine's policy_trace_reason, plus — for AssumeRole (assume) when the
 * caller's own permission failed and the trust policy refused as well — the
 * trust policy's refusal, so "a RAM user without permission on a
 * service-only role" does not read as if granting the permission were
 * enough; broken_session prefixes "session policy does not compile". Used
 * by enforcement and by offline replay, so both say the same. */
char *emu_authz_reason(emu_arena *a, const policy_trace *t, bool assume, bool broken_session);

/* EncodedDiagnosticMessage (rpc-api.md §6.2): Base64 of a version prefix
 * and a JSON object shaped like RAM's DecodedDiagnosticMessage
 * (AuthAction, AuthResource, AuthPrincipal{...}, ExplicitDeny,
 * NoPermissionPolicyType, AuthConditions[], MatchedPolicies[]) plus
 * EmuDecisionId and EmuReason. Self-contained, so it decodes after the
 * decision ring has moved on. decode returns a new cJSON object (caller
 * deletes) or NULL when text is not such a message. */
cJSON *emu_authz_diagnostic_decode(const char *text);

/* Collects the compiled identity documents of a RAM user (its own
 * attachments, then its groups') or of a role into out[0..cap). Returns how
 * many were found (at most cap); references that no longer resolve are
 * skipped. The documents belong to the world or the policy library. */
size_t emu_authz_user_docs(const world_account *a, const world_user *u, const policy_doc_t **out,
                           size_t cap);
size_t emu_authz_role_docs(const world_account *a, const world_role *r, const policy_doc_t **out,
                           size_t cap);

/* The compiled document of one attachment: System → the built-in policy,
 * Custom → the default version of the account's policy. NULL when it does
 * not resolve. */
const policy_doc_t *emu_authz_ref_doc(const world_account *a, const world_policy_ref *ref);

/* Resource Directory control policies (the CONTROL layer). The directory
 * belongs to the ResourceManager service, which registers the function that
 * fills, for a RAM user or role session of account_id, the control levels
 * from the account up to Root (policy_control_level) into levels[cap], with
 * their documents in docs[doc_cap]; it returns the number of levels, 0 when
 * the account is outside a directory, is its management account, or
 * control policies are not enabled. No allocation: it runs on every
 * request. NULL (the default) = no directory. Set once at start-up. */
typedef size_t (*emu_authz_control_fn)(const world_t *w, const char *account_id,
                                       policy_control_level *levels, size_t cap,
                                       const policy_doc_t **docs, size_t doc_cap);
void emu_authz_set_control_source(emu_authz_control_fn fn);

/* Tablestore instance network ACLs and instance policies (the NETWORK_ACL
 * and INSTANCE_POLICY layers). The Tablestore service registers the
 * function that, for a resource ARN naming one of the world's instances
 * (acs:ots:<region>:<uid>:instance/<name>[/table/...]), fills
 * net->instance, the instance's NetworkTypeACL / NetworkSourceACL and, when
 * net->type is 0, the owner's default network (the one a bare 127.0.0.1 /
 * localhost Host stands for), and sets out->policy to the instance's
 * compiled instance policy (NULL when it has none; owned by the world) and
 * out->tags[0..n_tags) to its tags as acs:ResourceTag/<key> condition keys
 * (at most out->cap; strings owned by the world);
 * false when the ARN names no instance. No allocation: it runs on every
 * data-plane request. */
typedef struct emu_authz_instance {
    const policy_doc_t *policy; /* the instance policy, NULL = none */
    policy_ckey *tags;          /* acs:ResourceTag/<key> keys, filled up to cap */
    size_t cap, n_tags;
} emu_authz_instance;
typedef bool (*emu_authz_network_fn)(const world_t *w, const char *resource, policy_network *net,
                                     emu_authz_instance *out);
void emu_authz_set_network_source(emu_authz_network_fn fn);

/* A service's own permission model (a rule layer such as MaxCompute's
 * project members and ACL grants, decided through emu_authz_note_rule),
 * registered so that the simulator and replay decide its actions the way
 * the service does rather than with RAM policies:
 *  - decide: live, against call->world for call->principal: one decision of
 *    `action` on `resource`, recorded with emu_authz_note_rule; EMU_OK or
 *    EMU_E_DENIED, another rc with err when the resource is not in the
 *    world or the action is not one of the model's;
 *  - replay: offline, from a bundle check's "ruleInput" (the note's input):
 *    *allowed and *reason (in a) as the live decision gave them;
 *  - first_action: decided before any other action of the model when the
 *    simulator is asked about it (MaxCompute: membership, "odps:Member").
 * Set at start-up; at most EMU_AUTHZ_MAX_RULE_MODELS. */
typedef struct emu_authz_rule_model {
    const char *action_prefix; /* "odps:" */
    policy_layer layer;
    const char *first_action;
    emu_rc (*decide)(emu_call *call, const char *action, const char *resource, emu_err *err);
    emu_rc (*replay)(const cJSON *input, const char *action, const char *resource, emu_arena *a,
                     bool *allowed, const char **reason, emu_err *err);
} emu_authz_rule_model;
#define EMU_AUTHZ_MAX_RULE_MODELS 4
void emu_authz_add_rule_model(const emu_authz_rule_model *m);
/* The model whose prefix starts `action` (case-insensitive), or NULL. */
const emu_authz_rule_model *emu_authz_rule_model_for(const char *action);
/* The model deciding in `layer`, or NULL. */
const emu_authz_rule_model *emu_authz_rule_model_of(policy_layer layer);

/* Frees the session-policy cache (at shutdown, so leak checkers stay
 * quiet). */
void emu_authz_shutdown(void);

#endif
