/* The RPC (POP) request style shared by STS and RAM: parameters from the
 * query string and a form body, Action/Version/Format, JSON or XML answers
 * with RequestId, and the error body {RequestId, HostId, Code, Message,
 * Recommend} (rpc-api.md §2, §5, §6). Products register an emu_service whose
 * decode/authenticate/render are these functions. */
#ifndef EMU_RPC_H
#define EMU_RPC_H

#include <cjson/cJSON.h>

#include "emu/dispatch.h"

typedef struct rpc_param {
    const char *name;
    const char *value;
} rpc_param;

typedef struct rpc_request {
    rpc_param *params;
    size_t n_params;
    const char *action;
    const char *version;
    bool xml;            /* Format=XML */
    bool v3;             /* Authorization: ACS3-... */
    const char *product; /* "Sts", "Ram" (for Recommend links) */
} rpc_request;

/* Decodes parameters and the action; sets call->svc_data to an rpc_request
 * and call->action_name. */
emu_rc emu_rpc_decode(emu_call *call);
/* Value of a parameter (exact, case-sensitive name) or NULL. */
const char *emu_rpc_param(const emu_call *call, const char *name);
/* A required parameter: fills call->err with MissingParameter when absent. */
emu_rc emu_rpc_require(emu_call *call, const char *name, const char **out);

/* Authenticates the caller (signature checks per rpc-api.md §3-§5). */
emu_rc emu_rpc_authenticate(emu_call *call);

/* Renders call->result (a cJSON object the handler built; RequestId is
 * added first) as JSON or XML. */
void emu_rpc_render_ok(emu_call *call);
/* Renders call->err as the RPC error body with the status for its code. */
void emu_rpc_render_err(emu_call *call);
/* InvalidAction.NotFound for an action the product does not implement. */
emu_rc emu_rpc_unknown_action(emu_call *call);

/* HTTP status for an RPC error code (rpc-api.md §7), 0 if unknown. */
int emu_rpc_status(const char *code);

#endif
