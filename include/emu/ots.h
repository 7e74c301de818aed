/* Tablestore (OTS) data-plane service: the emu_service the dispatcher runs for
 * a POST /<Operation> that carries x-ots-* headers (DESIGN.md §1).
 *
 *   decode        method (405), body size (413), the operation name
 *   authenticate  tablestore-protocol.md §3.3 in order: required headers,
 *                 x-ots-date format, AccessKeyId (+ x-ots-ststoken), body
 *                 MD5, signature (V2 or V4), skew against the REAL clock,
 *                 the instance (x-ots-instancename, or the Host forms
 *                 "cap1.cn-hangzhou.ots.aliyuncs.com" / "cap1.localhost")
 *   authorize     parses the protobuf body, then asks the policy engine for
 *                 ots:<Operation> on acs:ots:<region>:<owner>:instance/<i>
 *                 [/table/<t>] with acs:SourceIp / acs:SecureTransport
 *   execute       the operation handlers (ots_table.c, ots_row.c,
 *                 ots_range.c, ots_batch.c) against the instance owner's
 *                 ots_store_t (emu/ots_store.h)
 *   render        the protobuf response, or Error{code, message} with the
 *                 status of ots_errors.def, and every response header of §4.2
 *                 (x-ots-contentmd5, x-ots-requestid, x-ots-date with a
 *                 microsecond fraction on the real clock, x-ots-contenttype,
 *                 authorization signed with the request's key once the
 *                 request signature verified)
 *
 * Operations outside the data plane the emulator implements (search index,
 * SQLQuery, streams, local transactions, secondary indexes, ...) answer 400
 * OTSParameterInvalid "Unsupported operation: <Op>." after authentication,
 * as the service does for an operation it does not know (§3.3 step 10).
 *
 * The service keeps no state of its own: tables and rows live in the world
 * (the "Tablestore" section of each account, emu/ots_store.h). */
#ifndef EMU_OTS_H
#define EMU_OTS_H

#include "emu/dispatch.h"

/* Register with `server.ots = &emu_ots_service;` (after registering
 * ots_world_section with the world). */
extern const emu_service emu_ots_service;

/* The instance API, 2020-12-09 (ROA under /v2/openapi/, ACS3 signatures):
 * Create/Get/List/Update/DeleteInstance, Update/Delete/CheckInstancePolicy,
 * the tag calls. Register with emu_dispatch_add_rpc(server,
 * &emu_ots_instance_service, EMU_OTS_INSTANCE_API_VERSION). */
extern const emu_service emu_ots_instance_service;
#define EMU_OTS_INSTANCE_API_VERSION "2020-12-09"
/* Its 2016-06-20 RPC version (product Ots: InsertInstance, GetInstance,
 * ListInstance, ..., the older SDKs' and Terraform's), on the same
 * instances. Register with EMU_OTS_INSTANCE_API_V1_VERSION. */
extern const emu_service emu_ots_instance_v1_service;
#define EMU_OTS_INSTANCE_API_V1_VERSION "2016-06-20"

/* Hands the policy engine the instances' network ACLs
 * (emu_authz_set_network_source); call once at start-up, after the world
 * section is registered (the server, `acsemu simulate`, `acsemu replay`). */
void emu_ots_register_authz(void);

/* The Tablestore API version every SDK sends in x-ots-apiversion. */
#define EMU_OTS_API_VERSION "2015-12-31"

#endif
