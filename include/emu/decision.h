/* Decision records: why every authorized request was allowed or denied
 * (DESIGN.md §3, issue 8).
 *
 * The authorize phase (emu_authz_check) reports each decision through the
 * server's decision_hooks; this module keeps one record per call in a
 * bounded ring and renders it to JSON only when asked. Recording is the hot
 * path (≤5% of a GetRow), so a record is a compact copy: the used part of
 * the fixed-size policy_trace, the inputs of each decision (context keys,
 * principal, action, resource) with their strings in a per-slot arena, and
 * holds (policy_doc_ref) on every document that was evaluated, so a record
 * still renders after the world changed or was reset.
 *
 * Ids are "d-<n>", n counting from 1 for the life of the process. A call
 * whose handler asks for a second decision (AssumeRole; a Tablestore batch
 * checks every table) keeps one record with several checks.
 *
 * The same records back the simulator (POST /_emu/simulate, acsemu
 * simulate), which evaluates through emu_authz_check into a private ring of
 * one, and the replay bundle (GET /_emu/decisions/ID/bundle, acsemu
 * replay). Statement coverage (GET /_emu/coverage) is counted on the same
 * hook. */
#ifndef EMU_DECISION_H
#define EMU_DECISION_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/authz.h"
#include "emu/dispatch.h"

typedef struct emu_decision emu_decision;
typedef struct emu_decisions emu_decisions;
typedef struct emu_coverage emu_coverage;

/* Default ring size (acsemu --decisions N). */
#define EMU_DECISIONS_DEFAULT 1000
#define EMU_DECISIONS_MAX 1000000

/* ---------------------------------------------------------------------------------------------
 * The ring
 * ------------------------------------------------------------------------------------------- */

/* A ring of `capacity` records (0 = keep none: calls get no id). The caller
 * owns it; emu_decisions_free drops every document hold. */
emu_decisions *emu_decisions_new(size_t capacity);
void emu_decisions_free(emu_decisions *r);
/* Forgets every record (DELETE /_emu/decisions); ids keep counting. */
void emu_decisions_clear(emu_decisions *r);
size_t emu_decisions_capacity(const emu_decisions *r);
/* Records held now, and ever made. */
size_t emu_decisions_count(const emu_decisions *r);
uint64_t emu_decisions_total(const emu_decisions *r);

/* The i-th record, newest first (i < count), or NULL. Valid until the next
 * recorded call or clear. */
const emu_decision *emu_decisions_at(const emu_decisions *r, size_t i);
/* The record with this id ("d-42"), or NULL when unknown or overwritten. */
const emu_decision *emu_decisions_find(const emu_decisions *r, const char *id);

/* The hooks to put in emu_server.decision_hooks: they record into
 * server->decisions (when it has room) and count server->coverage (when
 * set). */
extern const emu_decision_hooks emu_decision_hooks_default;

/* ---------------------------------------------------------------------------------------------
 * Reading a record
 * ------------------------------------------------------------------------------------------- */

const char *emu_decision_id(const emu_decision *d);
/* Final outcome of the call: ALLOW, or the first refusing check's decision
 * (in audit mode the first would-be refusal). */
policy_decision emu_decision_result(const emu_decision *d);
/* Refused (enforce), or would have been (audit). */
bool emu_decision_denied(const emu_decision *d);
bool emu_decision_would_deny(const emu_decision *d);

/* Does the record match the list filters of GET /_emu/decisions? principal:
 * the caller's ARN, AccessKeyId, or the ARN of the role of a session
 * (case-insensitive); action: the policy action ("ots:GetRow") or the API
 * name ("GetRow"), case-insensitive; NULL = any. */
bool emu_decision_matches(const emu_decision *d, const char *principal, const char *action);

/* Renders a record (new cJSON, caller deletes). full = false: the list
 * summary (id, time, service, action, resource, principal, decision,
 * layer, decidingLayer, reason, status...); true adds the context, every
 * check, per document the deciding / closest statement with what did not
 * match, and the engine's full trace. */
cJSON *emu_decision_to_json(const emu_decision *d, bool full);

/* The replay bundle (GET /_emu/decisions/ID/bundle): a self-contained JSON
 * object with the request (no secrets), the principal chain, every policy
 * document version in force for each check, the context and the clock.
 * acsemu replay evaluates it with emu_decision_replay. */
cJSON *emu_decision_bundle(const emu_decision *d);

/* "identity-policy", "session-policy", "trust-policy",
 * "caller-permission-to-assume", "cross-account-boundary",
 * "root-only-rule" (or "none"): the deciding layer of a decision, naming
 * the AssumeRole caller-side layers apart from ordinary identity checks. */
const char *emu_decision_layer_name(policy_layer layer, bool assume);

/* ---------------------------------------------------------------------------------------------
 * Replay
 * ------------------------------------------------------------------------------------------- */

/* Re-evaluates a bundle. With world == NULL, offline: every check with the
 * documents and context the bundle carries, through the engine
 * (policy_authorize / policy_assume_role) and emu_authz_reason, exactly as
 * recorded. With a world: the principal is looked up in it and every check
 * goes through emu_authz_check with the bundle's context (clock included),
 * so the world's current policies decide. Stops at the first refusing
 * check, as enforcement does. Returns a new JSON object {decision, layer,
 * decidingLayer, reason, recorded{decision, reason}, sameAsRecorded,
 * checks[], trace} and sets *allowed; NULL with err filled when the bundle
 * is malformed (err->msg names the JSON location). */
cJSON *emu_decision_replay(const cJSON *bundle, world_t *world, bool *allowed, emu_err *err);

/* ---------------------------------------------------------------------------------------------
 * Simulation
 * ------------------------------------------------------------------------------------------- */

/* One simulated request. Strings borrowed. */
typedef struct emu_sim_req {
    const char *principal;   /* acs:ram::<uid>:root | user/<n> | assumed-role/<r>/<s> | role/<r>,
                                or "<uid>@<service>" */
    const char *action;      /* "ots:GetRow", "sts:AssumeRole" */
    const char *resource;    /* ARN; NULL = "*" */
    const policy_ckey *keys; /* context; replaces the defaults of the same name */
    size_t n_keys;
    const policy_doc_t *policy;         /* extra identity policy, or NULL */
    const policy_doc_t *session_policy; /* session policy (sessions only), or NULL */
    /* ots:* actions: the network the request comes over ("internet", "vpc",
     * "classic", "trust-proxy"; NULL = the owner's default network) and the
     * VPC it comes from (implies "vpc"); checked against the instance's
     * network ACL as the data plane does. */
    const char *network;
    const char *source_vpc;
} emu_sim_req;

/* Evaluates req against world through emu_authz_check (the enforcement
 * path) and returns the full decision record JSON with "simulated": true.
 * AssumeRole (action sts:AssumeRole on a role ARN) also evaluates that
 * role's trust policy, as STS does. Defaults: acs:CurrentTime = the
 * virtual clock, acs:SecureTransport "false", acs:MFAPresent "false",
 * no acs:SourceIp / acs:AccessId unless given. *allowed gets the outcome.
 * NULL with err filled (EMU_E_INVALID / EMU_E_NOT_FOUND) when the principal
 * or the role does not resolve. Nothing is added to any live ring. */
cJSON *emu_decision_simulate(world_t *world, const emu_sim_req *req, bool *allowed, emu_err *err);

/* ---------------------------------------------------------------------------------------------
 * Statement coverage
 * ------------------------------------------------------------------------------------------- */

emu_coverage *emu_coverage_new(void);
void emu_coverage_free(emu_coverage *c);
void emu_coverage_clear(emu_coverage *c);

/* Counts one decision (called by the hooks): per evaluated statement,
 * whether it applied ("matched") and whether it decided; per trust
 * principal entry whether a caller it names came. */
void emu_coverage_note(emu_coverage *c, const emu_call *call, const emu_authz_note *n);

/* GET /_emu/coverage: every Custom policy version and role trust policy of
 * the world, and every System policy attached in it or seen, with per
 * statement {matched, decided}; documents seen but no longer in the world
 * (older versions, session policies); and trust principals never used. */
cJSON *emu_coverage_to_json(const emu_coverage *c, const world_t *world);

/* ---------------------------------------------------------------------------------------------
 * Admin routes
 * ------------------------------------------------------------------------------------------- */

/* Registers /_emu/decisions..., /_emu/simulate and /_emu/coverage with the
 * admin API (emu_admin_add_route). Call once at start-up. */
void emu_decision_register_routes(void);

#endif
