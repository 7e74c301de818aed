/* RAM policy language: compile, evaluate, explain.
 *
 * A pure library (STYLE.md §2): it never reads the world, does no I/O and
 * keeps no global mutable state apart from the lazily compiled built-in
 * System policies. The authorize phase builds a request context, hands it a
 * list of compiled documents and gets back a decision plus, optionally, a
 * trace that says which document, statement and condition decided.
 *
 * Spec: ram-policy.md (grammar §2, matching §3, conditions §4, evaluation §5,
 * decision table §6); docs/wire/ram-policy.md is the users' summary. Items
 * the spec marks [inferred] or [unknown] are called out where the choice is
 * made (mostly policy_parse.c and policy_match.c).
 *
 * Memory: policy_compile allocates; evaluation (policy_eval,
 * policy_authorize, policy_assume_role) never touches the heap and records
 * into a caller-provided fixed-size policy_trace. Only the renderers
 * (policy_trace_to_json) allocate, off the hot path. */
#ifndef EMU_POLICY_H
#define EMU_POLICY_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/err.h"

/* ---------------------------------------------------------------------------------------------
 * Documents
 * ------------------------------------------------------------------------------------------- */

typedef enum policy_kind {
    POLICY_KIND_PERMISSION, /* identity policy (System or Custom); Resource required */
    POLICY_KIND_SESSION,    /* AssumeRole `Policy`; same grammar, 2048-character cap */
    POLICY_KIND_TRUST,      /* role trust policy; Principal required, no Resource */
    /* resource-based policy on a resource (a Tablestore instance policy):
     * Principal AND Resource required; 4 KB cap (EMU_MAX_INSTANCE_POLICY_BYTES) */
    POLICY_KIND_RESOURCE,
} policy_kind;

/* A compiled, immutable document. Opaque; the layout is in policy_int.h. */
typedef struct policy_doc policy_doc_t;

/* Compiles the JSON text text[0..len) as a document of `kind`.
 *
 * Strict validation per ram-policy.md §2-§4: Version "1"; Statement an array
 * (or one object); Effect Allow|Deny; exactly one of Action/NotAction;
 * permission/session documents exactly one of Resource/NotResource and no
 * Principal; trust documents a Principal (RAM/Service/Federated) and no
 * Resource; Condition with the documented operators and well-formed keys and
 * values. Unknown or duplicate elements are rejected.
 *
 * Returns EMU_OK and stores a new document in *out (the caller owns it and
 * frees it with policy_doc_free). On failure *out is NULL and:
 *   EMU_E_LIMIT    text longer than EMU_MAX_POLICY_BYTES (permission, trust)
 *                  or EMU_MAX_SESSION_POLICY_BYTES (session) characters;
 *   EMU_E_INVALID  malformed JSON or grammar; err->msg names the JSON
 *                  location, e.g. `$.Statement[1].Condition.StringEqualz:
 *                  unknown operator "StringEqualz"`.
 * err->code is left NULL: the service maps E_INVALID to
 * MalformedPolicyDocument / InvalidParameter.PolicyGrammar and E_LIMIT to
 * InvalidParameter.PolicySize (or LimitExceeded.Policy). The text is copied;
 * the caller may free it afterwards. */
emu_rc policy_compile(const char *text, size_t len, policy_kind kind, policy_doc_t **out,
                      emu_err *err);

/* As policy_compile, from an already parsed cJSON tree (for world files that
 * embed documents as objects). `json` is only read; the kept text is its
 * compact rendering, and the size cap applies to that rendering. */
emu_rc policy_compile_json(const cJSON *json, policy_kind kind, policy_doc_t **out, emu_err *err);

/* Frees a document from policy_compile*. NULL is ignored. Never call it on a
 * built-in System policy (policy_system_*), which the library owns. When
 * policy_doc_ref added holders, this drops one holder instead, and the
 * document is freed by the last call: the owner (world) and every holder
 * each call it once. */
void policy_doc_free(policy_doc_t *doc);

/* Adds a holder: the document stays valid until one more policy_doc_free
 * than before. For records that outlive the world's copy (decision ring).
 * NULL and System policies are returned unchanged. Not thread-safe (the
 * emulator runs on one loop). Returns doc. */
const policy_doc_t *policy_doc_ref(const policy_doc_t *doc);

/* Sets the label shown in traces and reasons: policy name ("ReadTrack"),
 * type ("Custom", "System", "Session", "Trust") and version ("v2"). Any may
 * be NULL (= unchanged). The strings are copied (truncated to 127/31/31
 * bytes). Labels of System policies are fixed. */
void policy_doc_set_label(policy_doc_t *doc, const char *name, const char *type,
                          const char *version);

/* Accessors. Returned strings live as long as the document; labels never
 * return NULL (empty string when unset). */
policy_kind policy_doc_kind(const policy_doc_t *doc);
const char *policy_doc_text(const policy_doc_t *doc, size_t *len); /* original text, NUL-ended */
const char *policy_doc_name(const policy_doc_t *doc);
const char *policy_doc_type(const policy_doc_t *doc);
const char *policy_doc_version(const policy_doc_t *doc);
size_t policy_doc_statement_count(const policy_doc_t *doc);
/* Sid of statement i, or NULL when it has none or i is out of range. */
const char *policy_doc_statement_sid(const policy_doc_t *doc, size_t i);
/* Writes the JSON pointer of statement i ("/Statement/0", or "/Statement" when
 * the document used the single-object form) into out[cap]; returns out. */
char *policy_doc_statement_pointer(const policy_doc_t *doc, size_t i, char *out, size_t cap);
/* Effect of statement i: true for Deny (false when i is out of range). */
bool policy_doc_statement_deny(const policy_doc_t *doc, size_t i);

/* ---------------------------------------------------------------------------------------------
 * Request context
 * ------------------------------------------------------------------------------------------- */

/* Kind of a principal as written in a trust policy (§3.4) and as presented by
 * a caller for trust evaluation. */
typedef enum policy_principal_type {
    POLICY_PRINCIPAL_NONE = 0,
    /* acs:ram::<uid>:root | user/<n> | role/<n> | assumed-role/<r>/<s>, or "<uid>" */
    POLICY_PRINCIPAL_RAM,
    /* "<uid>@odps.aliyuncs.com", or "odps.aliyuncs.com" (for the role's account) */
    POLICY_PRINCIPAL_SERVICE,
    /* acs:ram::<uid>:saml-provider/<n> | oidc-provider/<n> */
    POLICY_PRINCIPAL_FEDERATED,
} policy_principal_type;

/* The caller as presented to a trust policy. `value` is borrowed. Presented
 * RAM values: "acs:ram::56789:user/alice", "acs:ram::56789:assumed-role/etl/s1"
 * (or "...:role/etl"), "acs:ram::56789:root" / "56789" (root: never matches,
 * root cannot assume roles). A presented service without "<uid>@" acts for the
 * role's own account [inferred]. */
typedef struct policy_principal {
    policy_principal_type type;
    const char *value;
} policy_principal;

/* Trust documents: the Principal entries of statement i, in document order
 * (RAM entries, then Service, then Federated, as compiled). count is 0 for
 * other kinds or i out of range. principal_at returns the entry as written
 * (lives as long as the document) and its type in *type (may be NULL).
 * principal_match says whether entry j names `caller`, with owner_account
 * the role's account (for bare service names), exactly as evaluation
 * decides (ram-policy.md §3.4). */
size_t policy_doc_principal_count(const policy_doc_t *doc, size_t i);
const char *policy_doc_principal_at(const policy_doc_t *doc, size_t i, size_t j,
                                    policy_principal_type *type);
bool policy_doc_principal_match(const policy_doc_t *doc, size_t i, size_t j,
                                const policy_principal *caller, const char *owner_account);

/* One condition key of the request with one or more values (all borrowed).
 * Key names are matched case-insensitively (§4.1 [inferred]). */
typedef struct policy_ckey {
    const char *key;           /* "acs:SourceIp", "sts:ExternalId", "acs:SecureTransport", ... */
    const char *const *values; /* n_values strings: "10.1.2.3", "true", "2026-01-01T00:00:00Z" */
    size_t n_values;
} policy_ckey;

/* Single-valued key, for initialisers: POLICY_CKEY1("acs:SourceIp", ip). The
 * value array is a compound literal: it lives until the end of the enclosing
 * block, so do not assign it inside an unbraced `if` body and use it after. */
#define POLICY_CKEY1(k, v) ((policy_ckey){(k), (const char *const[]){(v)}, 1})

/* Everything evaluation looks at; filled by the caller, all pointers borrowed
 * for the duration of the call (and of any trace that refers to them). */
typedef struct policy_ctx {
    const char *action;   /* "ots:GetRange" (matched case-insensitively) */
    const char *resource; /* canonical ARN: "acs:ots:cn-hangzhou:12345:instance/cap1/table/t";
                             role ARNs "acs:ram::12345:role/<lower(name)>" */
    /* Account that owns the resource, used by trust policies for bare service
     * principals ("odps.aliyuncs.com" = service acting for this account).
     * NULL = taken from the resource ARN's account field. */
    const char *resource_account;
    policy_principal principal; /* trust evaluation only; type NONE otherwise */
    const policy_ckey *keys;
    size_t n_keys;
} policy_ctx;

/* ---------------------------------------------------------------------------------------------
 * Decisions and traces
 * ------------------------------------------------------------------------------------------- */

typedef enum policy_decision {
    POLICY_IMPLICIT_DENY = 0,
    POLICY_ALLOW,
    POLICY_EXPLICIT_DENY,
} policy_decision;

/* The layer that decided (§5). */
typedef enum policy_layer {
    POLICY_LAYER_NONE = 0,
    POLICY_LAYER_IDENTITY,        /* policies attached to the user, its groups, or the role */
    POLICY_LAYER_SESSION,         /* session policy of a role session */
    POLICY_LAYER_TRUST,           /* trust policy of the role being assumed */
    POLICY_LAYER_CROSS_ACCOUNT,   /* identity policies never reach another account's resources */
    POLICY_LAYER_ROOT_RULE,       /* root: all on own account, nothing else, no AssumeRole */
    POLICY_LAYER_CONTROL,         /* Resource Directory control policies of the caller's account */
    POLICY_LAYER_MAXCOMPUTE_ACL,  /* MaxCompute's project members, roles and ACL grants */
    POLICY_LAYER_FEDERATED_TOKEN, /* the OIDC token (or SAML assertion) of a federated caller */
    POLICY_LAYER_NETWORK_ACL,     /* Tablestore instance network ACL (types and sources) */
    POLICY_LAYER_INSTANCE_POLICY, /* Tablestore instance policy (resource-based, on the instance) */
} policy_layer;

typedef enum policy_caller {
    POLICY_CALLER_ROOT,         /* the account's own AccessKey */
    POLICY_CALLER_USER,         /* RAM user */
    POLICY_CALLER_ROLE_SESSION, /* STS token of an assumed role */
    POLICY_CALLER_SERVICE,      /* cloud service acting for an account */
} policy_caller;

/* What decided. doc/stmt name the deciding statement for ALLOW and
 * EXPLICIT_DENY from a document; doc is NULL and stmt -1 for implicit denies
 * and for rule layers (ROOT_RULE, CROSS_ACCOUNT). doc is borrowed from the
 * caller's document list. */
typedef struct policy_result {
    policy_decision decision;
    policy_layer layer;
    const policy_doc_t *doc;
    int stmt;
} policy_result;

typedef enum policy_tri {
    POLICY_TRI_NA = 0, /* not evaluated / not applicable */
    POLICY_TRI_NO,
    POLICY_TRI_YES,
} policy_tri;

/* Evaluations of one call: control policy levels (up to
 * POLICY_MAX_CONTROL_LEVELS), session, identity, trust, with room for a
 * handler's second decision. */
#define POLICY_TRACE_MAX_EVALS 16
#define POLICY_TRACE_MAX_DOCS 32
#define POLICY_TRACE_MAX_STMTS 128
#define POLICY_TRACE_MAX_CONDS 128

/* One condition (operator, key) of a statement as evaluated. */
typedef struct policy_trace_cond {
    const char *op;              /* "IpAddress" */
    const char *key;             /* as written in the policy */
    const char *const *expected; /* policy values as text */
    size_t n_expected;
    const char *const *actual; /* request values; NULL = key missing */
    size_t n_actual;
    bool bad_value; /* a request value did not parse for the operator's type */
    bool result;
} policy_trace_cond;

/* One statement as evaluated. */
typedef struct policy_trace_stmt {
    uint16_t doc;   /* index into policy_trace.docs */
    uint16_t index; /* statement index inside the document */
    const char *sid;
    bool deny;            /* Effect */
    policy_tri action;    /* Action/NotAction matched */
    policy_tri resource;  /* Resource/NotResource matched (NA for trust) */
    policy_tri principal; /* Principal matched (NA unless trust) */
    policy_tri condition; /* whole Condition block (NA when none) */
    bool applies;
    uint16_t first_cond; /* conds[first_cond .. first_cond + n_conds) */
    uint16_t n_conds;
} policy_trace_stmt;

/* One document as considered. */
typedef struct policy_trace_doc {
    const policy_doc_t *doc;
    uint16_t eval; /* index into policy_trace.evals */
    policy_decision decision;
    uint16_t first_stmt;
    uint16_t n_stmts;
} policy_trace_doc;

/* One call of policy_eval (a layer). */
typedef struct policy_trace_eval {
    policy_layer layer;
    const char *action;
    const char *resource;
    policy_principal principal;
    policy_decision decision;
    const policy_doc_t *decider_doc; /* deciding statement (allow / explicit deny) */
    int decider_stmt;
    const policy_doc_t
        *closest_doc; /* implicit deny: the Allow statement with most parts matched */
    int closest_stmt;
    int closest_trace; /* index into stmts of the closest statement, -1 if not recorded */
    /* CONTROL: the resource-directory node the evaluated policies are
     * attached to ("56789", "fd-…", "r-…"); NULL for other layers. */
    const char *scope;
    uint16_t first_doc;
    uint16_t n_docs;
} policy_trace_eval;

/* Tablestore instance network ACL (the NETWORK_ACL layer): the network the
 * request came over (from the endpoint host name the client used) against
 * the instance's NetworkTypeACL and NetworkSourceACL (UpdateInstance,
 * 2020-12-09). An absent list allows everything of its kind. */
enum {
    POLICY_NET_INTERNET = 1, /* <inst>.<region>.ots.aliyuncs.com */
    POLICY_NET_VPC = 2,      /* <inst>.<region>.vpc.tablestore.aliyuncs.com */
    POLICY_NET_CLASSIC = 4,  /* <inst>.<region>.ots-internal.aliyuncs.com */
};
enum { POLICY_NETSRC_TRUST_PROXY = 1 }; /* relayed by the Tablestore console */

typedef struct policy_network {
    const char *instance;   /* instance name, for the reason */
    const char *source_vpc; /* "vpc-…" the request came from, or NULL */
    uint8_t type;           /* one POLICY_NET_* bit: the request's network */
    bool trust_proxy;       /* relayed by a trusted proxy (the console) */
    bool has_type_acl;      /* the instance has a NetworkTypeACL */
    bool has_source_acl;    /* the instance has a NetworkSourceACL */
    uint8_t type_acl;       /* POLICY_NET_* bits allowed */
    uint8_t source_acl;     /* POLICY_NETSRC_* bits allowed */
} policy_network;

/* [inferred] A request passes when its network type is in the type ACL (or
 * there is none), or when it was relayed by a trusted proxy that the source
 * ACL allows (or there is none): the console's "Tablestore console or bound
 * VPCs" setting is NetworkTypeACL [VPC] + NetworkSourceACL [TRUST_PROXY]. */
bool policy_network_allows(const policy_network *n);
/* "INTERNET" / "VPC" / "CLASSIC" for one bit, "?" otherwise. */
const char *policy_network_type_name(uint8_t bit);
/* Parses "INTERNET"/"VPC"/"CLASSIC" (any case, also "internet"); false if
 * not one of them. */
bool policy_network_type_parse(const char *s, size_t len, uint8_t *bit);
/* A request's origin as the x-acs-emu-source-network header, /_emu/simulate
 * "network" and `acsemu simulate --network` name it: "internet", "vpc",
 * "classic" (type), or "trust-proxy" (relayed by the console: trust_proxy,
 * type INTERNET [inferred]); any case. Sets n->type / n->trust_proxy;
 * false if s is none of them. */
bool policy_network_origin_parse(const char *s, size_t len, policy_network *n);
/* Writes "[VPC, CLASSIC]" (the set bits, in the order above) into out[cap];
 * returns the length (snprintf-style). */
size_t policy_network_acl_text(uint8_t bits, bool sources, char *out, size_t cap);

/* Fixed-capacity trace filled by evaluation, never allocated. About 20 KB;
 * fine on the stack. Strings and pointers in it are borrowed from the
 * documents and the policy_ctx, so render or copy it before either is freed.
 * When a capacity is exceeded `truncated` is set and later entries are
 * dropped; the decision is unaffected. */
typedef struct policy_trace {
    policy_decision decision; /* final, as returned */
    policy_layer layer;
    const char *rule; /* static text for rule layers, else NULL */
    policy_caller caller;
    const char *caller_account;
    const char *resource_account;
    bool has_caller; /* caller fields set (policy_authorize / policy_assume_role) */
    bool truncated;
    /* NETWORK_ACL: the request's network and the instance's ACL, by value
     * (strings borrowed like the rest), when the request reached a
     * Tablestore instance. */
    bool has_network;
    policy_network network;
    size_t n_evals, n_docs, n_stmts, n_conds;
    policy_trace_eval evals[POLICY_TRACE_MAX_EVALS];
    policy_trace_doc docs[POLICY_TRACE_MAX_DOCS];
    policy_trace_stmt stmts[POLICY_TRACE_MAX_STMTS];
    policy_trace_cond conds[POLICY_TRACE_MAX_CONDS];
} policy_trace;

/* Empties a trace before use. */
void policy_trace_init(policy_trace *t);

/* Basic evaluation (§5.1) of docs[0..n_docs) against ctx: any applying Deny
 * statement → EXPLICIT_DENY, else any applying Allow → ALLOW, else
 * IMPLICIT_DENY. A statement applies when its Action/NotAction matches, its
 * Resource/NotResource matches (trust documents: its Principal matches
 * ctx->principal instead) and its Condition block holds. `layer` is copied
 * into the result and the trace. trace may be NULL; when given, one eval entry
 * is appended (call policy_trace_init first) and trace->decision/layer are set
 * to this result. No heap allocation. NULL entries in docs are skipped. */
policy_result policy_eval(const policy_doc_t *const *docs, size_t n_docs, const policy_ctx *ctx,
                          policy_layer layer, policy_trace *trace);

/* Resource Directory control policies (the CONTROL layer): the policies
 * attached to one node of the directory — the caller's member account, each
 * folder above it, the Root folder — in that order, from the account up.
 * At each level an applying Deny is final and the level must allow, or the
 * request is refused there (implicitly); control policies never grant by
 * themselves [Resource Directory "Evaluation principles"]. */
typedef struct policy_control_level {
    const char *target; /* "56789", "fd-…", "r-…" */
    const policy_doc_t *const *docs;
    size_t n_docs;
} policy_control_level;

/* Account + folders (at most 5 levels deep under Root) + Root. */
#define POLICY_MAX_CONTROL_LEVELS 8

/* Input of the layered helpers. All pointers borrowed. */
typedef struct policy_authz {
    policy_caller caller;
    const char *caller_account;   /* "56789" */
    const char *resource_account; /* owner of the resource ("12345"); for AssumeRole the role's */
    const policy_doc_t *const *identity; /* user + groups policies, or the role's policies */
    size_t n_identity;
    const policy_doc_t *session; /* session policy of a role session, or NULL */
    const policy_doc_t *trust;   /* policy_assume_role only: the role's trust policy */
    /* Control policy levels that bound a RAM user or role session of a
     * member account (none for root, services, or accounts outside a
     * directory with control policies enabled). */
    const policy_control_level *control;
    size_t n_control;
    /* A Tablestore data-plane request: its network and the instance's ACL,
     * checked before anything else, for every caller. NULL = none. */
    const policy_network *network;
    /* The resource's own policy (a Tablestore instance policy,
     * POLICY_KIND_RESOURCE), evaluated after the network ACL with `presented`
     * as the caller its Principal elements are matched against
     * (emu_authz_presented's forms). NULL = the resource has none. */
    const policy_doc_t *resource_policy;
    policy_principal presented;
    const policy_ctx *ctx;
} policy_authz;

/* Final decision for an ordinary request (§5.2, §5.3):
 *  - a Tablestore request whose network the instance's network ACL does not
 *    allow: EXPLICIT_DENY (NETWORK_ACL), whoever the caller;
 *  - with a resource policy (in->resource_policy, INSTANCE_POLICY layer), its
 *    applying Deny refuses every caller, the instance owner's root included
 *    (control levels and the session policy still come first); its applying
 *    Allow grants: alone within the owner's account (identity OR resource
 *    policy), and across accounts together with the caller's own identity
 *    (and session) policies, which must then allow the other account's
 *    resource too (root callers and services: the resource policy alone)
 *    [inferred from RAM's resource-based policy rules, see policy_eval.c];
 *  - root: ALLOW on its own account (ROOT_RULE), IMPLICIT_DENY elsewhere
 *    (CROSS_ACCOUNT);
 *  - user / role session of a member account: the control levels first
 *    (policy_control_level); a deny there is final (CONTROL);
 *  - user / role session on another account's resource: IMPLICIT_DENY
 *    (CROSS_ACCOUNT) without evaluating documents;
 *  - otherwise the session policy (if any) and the identity policies are both
 *    evaluated; an explicit deny in either wins (layer where it was found,
 *    session first); then a session policy that does not allow → SESSION;
 *    then identity ALLOW / IMPLICIT_DENY → IDENTITY;
 *  - service callers hold no identity policies: IMPLICIT_DENY (IDENTITY).
 * in->trust is ignored. trace may be NULL (else policy_trace_init it first). */
policy_result policy_authorize(const policy_authz *in, policy_trace *trace);

/* AssumeRole (§5.4): root callers are refused (ROOT_RULE, EXPLICIT_DENY,
 * trace->rule "Roles may not be assumed by root accounts."); users and role
 * sessions must pass their control levels (if any; a refusal there is final,
 * CONTROL), then need their session policy (if any) and identity policies to allow
 * ctx->action on ctx->resource (the role ARN; cross-account allowed here), and
 * the trust policy to allow ctx->principal; service callers only need the
 * trust policy. Any explicit deny wins (session, identity, trust order); a
 * missing allow is reported at the first layer that lacked one; ALLOW is
 * reported with layer TRUST and the trust statement. in->trust NULL → deny
 * (TRUST). */
policy_result policy_assume_role(const policy_authz *in, policy_trace *trace);

/* Writes a one-line human reason for the trace's final decision into
 * out[cap] (always NUL-terminated when cap > 0), e.g. "trust policy of
 * acs:ram::12345:role/x allows service 12345@odps.aliyuncs.com; caller is
 * 56789@odps.aliyuncs.com". Returns the length the full line needs
 * (snprintf-style). No allocation. */
size_t policy_trace_reason(const policy_trace *t, char *out, size_t cap);

/* Renders the trace as a new cJSON object (caller owns it, cJSON_Delete).
 * Copies every string, so the result outlives docs and ctx. */
cJSON *policy_trace_to_json(const policy_trace *t);
/* {"instance", "type", "sourceVpc"?, "trustProxy", "networkTypeACL"?,
 * "networkSourceACL"?, "allowed"}: the shape replay bundles carry too
 * (policy_network_from_json reads it back). */
cJSON *policy_network_json(const policy_network *n);
/* Reads policy_network_json's shape; strings borrowed from j. false with
 * a message in err[cap] when a field is malformed. */
bool policy_network_from_json(const cJSON *j, policy_network *out, char *err, size_t cap);

/* Static names: "Allow"/"ImplicitDeny"/"ExplicitDeny", "identity"/"session"/
 * "trust"/"cross-account"/"root"/"control", "root"/"user"/"role-session"/"service". */
const char *policy_decision_name(policy_decision d);
const char *policy_layer_name(policy_layer l);
const char *policy_caller_name(policy_caller c);

/* ---------------------------------------------------------------------------------------------
 * Built-in System policies (rpc-api.md §9, ram-policy.md §7)
 * ------------------------------------------------------------------------------------------- */

/* The catalog is data: data/system-policies/NAME.json (the documents, as
 * the RAM documentation prints them) and catalog.json (their metadata),
 * embedded at build time. */

/* Metadata of one System policy, from the catalog. Strings are static for
 * the process; policy_id is NULL for permission policies. */
typedef struct policy_system_info {
    const char *name;        /* "AliyunOTSReadOnlyAccess" */
    const char *description; /* as RAM's ListPolicies gives it */
    const char *version;     /* DefaultVersion: "v2" */
    const char *create_date; /* ISO 8601: "2016-01-05T05:45:42Z" */
    const char *update_date;
    const char *source;    /* documentation address, or what the choice rests on */
    const char *policy_id; /* control policies: "cp-FullAliyunAccess" */
    bool inferred;         /* document reconstructed by acsemu, not copied */
} policy_system_info;

/* Number of built-in System policies, and the i-th (i < count) in a stable
 * order for ListPolicies. Documents are compiled on first use and owned by
 * the library for the life of the process (never policy_doc_free them);
 * labels are (name, "System", DefaultVersion). */
size_t policy_system_count(void);
const policy_doc_t *policy_system_at(size_t i);
const policy_system_info *policy_system_info_at(size_t i);
/* Description text of the i-th System policy (static string). */
const char *policy_system_description(size_t i);
/* Finds a System policy by name (case-insensitive, as RAM names are);
 * NULL when there is none. */
const policy_doc_t *policy_system_find(const char *name);
const policy_system_info *policy_system_info_find(const char *name);

/* System control policies of Resource Directory (FullAliyunAccess), by
 * index or by name / PolicyId; *info (may be NULL) receives the metadata. */
size_t policy_system_control_count(void);
const policy_doc_t *policy_system_control_at(size_t i, const policy_system_info **info);
const policy_doc_t *policy_system_control_find(const char *name_or_id,
                                               const policy_system_info **info);

#endif
