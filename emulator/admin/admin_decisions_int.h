/* Layout of decision records, shared by the ring (admin_decisions.c), the
 * simulator and replay (admin_simulate.c). See include/emu/decision.h. */
#ifndef EMU_ADMIN_DECISIONS_INT_H
#define EMU_ADMIN_DECISIONS_INT_H

#include "emu/decision.h"

/* Inputs kept per record; a Tablestore batch past this many tables keeps
 * the first ones (checks_truncated), the engine's trace keeps 4 anyway. */
#define DEC_MAX_CHECKS 8

/* One emu_authz_check of the call: its inputs (copied into the record's
 * arena; documents held with policy_doc_ref) and its result. */
typedef struct dec_check {
    const char *action;
    const char *resource;
    const char *resource_account;
    const char *caller_account;
    policy_caller caller;
    policy_principal presented; /* trust and instance-policy evaluation only */
    policy_ckey *keys;          /* the whole context, globals included */
    size_t n_keys;
    const policy_doc_t **identity;
    size_t n_identity;
    const policy_doc_t *session;
    const policy_doc_t *trust;
    /* Control policy levels (held documents, targets in the arena). */
    policy_control_level *control;
    size_t n_control;
    /* Tablestore network ACL input (strings in the arena). */
    bool has_network;
    policy_network network;
    /* Tablestore instance policy (held document), or NULL. */
    const policy_doc_t *instance_policy;
    bool assume;
    bool broken_session;
    bool enforced;
    policy_decision decision;
    policy_layer layer;
    const char *rule;   /* static engine text for rule layers */
    const char *reason; /* denials only; allows render theirs on demand */
    const char *input;  /* a rule layer's inputs, JSON text (emu_authz_note.input) */
    uint16_t first_eval, n_evals;
} dec_check;

struct emu_decision {
    uint64_t seq; /* 0 = empty slot */
    char id[24];
    emu_arena *arena; /* strings and arrays below; reset when the slot is reused */
    int64_t time_ms;  /* virtual clock */
    char request_id[37];
    const char *service;
    const char *api;
    emu_authz_mode mode;
    bool simulated;
    /* the caller */
    emu_principal_kind pkind;
    const char *p_arn, *p_account, *p_ak, *p_display, *p_role, *p_session, *p_source, *p_service,
        *p_ip;
    bool p_tls;
    /* every decision of the call */
    size_t n_checks;
    bool checks_truncated;
    dec_check checks[DEC_MAX_CHECKS];
    /* the used part of the call's policy_trace, strings re-pointed into
     * the arena */
    policy_trace_eval *evals;
    policy_trace_doc *docs;
    policy_trace_stmt *stmts;
    policy_trace_cond *conds;
    size_t n_evals, n_docs, n_stmts, n_conds;
    bool truncated;
    /* the response */
    const char *reason; /* the call's final reason (log line), if any */
    int status;
    const char *error_code;
};

/* The check that decided the call: the first refusing one, else the last.
 * NULL for a record without checks. */
const dec_check *admin__decision_final(const emu_decision *d);

/* A private ring of one for simulations and replays: hooks, ring and the
 * server context that emu_authz_check reads. */
typedef struct dec_scratch {
    emu_server server;
    emu_call call;
} dec_scratch;

void admin__scratch_init(dec_scratch *s, world_t *w, emu_arena *arena);
void admin__scratch_dispose(dec_scratch *s);

/* Resolves a principal ARN in the world (emu_sim_req.principal forms) into
 * *p, strings in arena. EMU_E_INVALID for an unknown form, EMU_E_NOT_FOUND
 * when the account, user or role is missing; err->msg says which. */
emu_rc admin__resolve_principal(world_t *w, const char *arn, emu_arena *arena, emu_principal *p,
                                emu_err *err);

#endif
