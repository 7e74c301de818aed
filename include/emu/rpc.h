/* The RPC (POP) request style shared by STS and RAM: parameters from the
 * query string and a form body, Action/Version/Format, JSON or XML answers
 * with RequestId, and the error body {RequestId, HostId, Code, Message,
 * Recommend} (rpc-api.md §2, §5, §6). Products register an emu_service whose
 * decode/authenticate/render are these functions. */
#ifndef EMU_RPC_H
#define EMU_RPC_H

#include <cjson/cJSON.h>

#include "emu/dispatch.h"
#include "emu/sig.h"

typedef struct rpc_request {
    sig_params params; /* query + form body, decoded (rpc-api.md §2.5) */
    const char *action;
    const char *version;
    bool xml;            /* Format=XML */
    bool v3;             /* an Authorization header: signature V3 (ACS3-...) */
    bool query_only;     /* no form body: params are the query's alone */
    const char *product; /* "Sts", "Ram" (for Recommend links) */
} rpc_request;

/* A parameter whose bad bytes a product reports under its own code (a
 * name rule's InvalidChars) instead of the gateway's InvalidParameter.
 * Arrays end with a NULL param. */
typedef struct emu_rpc_param_rule {
    const char *param;   /* "UserName" */
    const char *code;    /* "InvalidParameter.UserName.InvalidChars" */
    const char *message; /* "The parameter - \"UserName\" contains invalid chars." */
} emu_rpc_param_rule;

/* Decodes parameters and the action; sets call->svc_data to an rpc_request
 * and call->action_name. Every parameter name and value must be UTF-8
 * without NUL bytes (values are read as C strings: "nul%00user" would be
 * "nul"): else 400 with the product's rule for that parameter
 * (svc->param_rules) or the gateway's InvalidParameter, "The specified
 * parameter "X" is not valid." (rpc-api.md §7). */
emu_rc emu_rpc_decode(emu_call *call);
/* Value of a parameter (exact, case-sensitive name) or NULL. */
const char *emu_rpc_param(const emu_call *call, const char *name);
/* A required parameter: fills call->err with MissingParameter when absent. */
emu_rc emu_rpc_require(emu_call *call, const char *name, const char **out);

/* Authenticates the caller, in the order of rpc-api.md §5:
 *   1. required common parameters (V1: AccessKeyId, Signature,
 *      SignatureMethod, SignatureVersion, SignatureNonce, Timestamp; V3: a
 *      well-formed ACS3 Authorization and the x-acs-* headers it must
 *      sign) → MissingParameter / IncompleteSignature /
 *      InvalidSignatureMethod; a repeated security parameter or header →
 *      InvalidParameter;
 *   2. Timestamp / x-acs-date format and 15-minute skew on the REAL clock
 *      → InvalidTimeStamp.Format / .Expired;
 *   3. AccessKeyId and STS token (auth_resolve; tokens expire on the
 *      virtual clock) → InvalidAccessKeyId.*, MissingSecurityToken,
 *      InvalidSecurityToken.*;
 *   4. signature (constant-time) → SignatureDoesNotMatch whose message ends
 *      with the server's string-to-sign (§6.4);
 *   5. nonce replay → SignatureNonceUsed; signed at or before the newest
 *      request the full replay cache forgot → InvalidTimeStamp.Expired
 *      (emu/auth.h); a nonce is recorded only once the signature verified.
 * On success call->principal is filled (tls and source_ip were set by
 * dispatch). */
emu_rc emu_rpc_authenticate(emu_call *call);

/* Maps an auth_resolve failure to its RPC code, message and status
 * (rpc-api.md §7) and fills `err`. Returns EMU_E_AUTH. */
emu_rc emu_rpc_auth_error(emu_err *err, auth_failure why);

/* Renders call->result (a cJSON object the handler built; RequestId is
 * added first) as JSON or XML. */
void emu_rpc_render_ok(emu_call *call);
/* Renders call->err as the RPC error body with the status for its code. */
void emu_rpc_render_err(emu_call *call);
/* ServiceUnavailable 503 (rpc-api.md §7) for a request whose body was not
 * kept (emu_service.busy); JSON or XML as the query's Format asks. */
void emu_rpc_busy(emu_call *call);
/* InvalidAction.NotFound for an action the product does not implement. */
emu_rc emu_rpc_unknown_action(emu_call *call);

/* HTTP status for an RPC error code (rpc-api.md §7), 0 if unknown. */
int emu_rpc_status(const char *code);

#endif
