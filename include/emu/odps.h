/* MaxCompute (ODPS): projects, the REST subset and external tables over
 * Tablestore (maxcompute-external-table.md).
 *
 * The service answers the ODPS REST calls pyodps makes (§8.4) under /api
 * or /projects: signature v2/v4 and Date skew, projects from the world,
 * instances that run one SQL task (the subset of §5/§9.2) to completion,
 * results as typed CSV and through the instance tunnel's record stream.
 * Reading an external table is done the way the cloud does it: MaxCompute, working for the
 * project's account, assumes the table's role through STS and reads with the temporary credentials
 * through Tablestore; both are real signed requests run through the
 * server's own dispatcher (emulator/odps/odps_read.c says why). */
#ifndef EMU_ODPS_H
#define EMU_ODPS_H

#include <stdbool.h>

#include "emu/arena.h"
#include "emu/dispatch.h"
#include "emu/err.h"
#include "emu/world_section.h"

/* The "MaxCompute" section of an account:
 * {"Projects":[{"Name":"b_project","Tables":[{"Name","CreateTime","Ddl"}]}]}.
 * External tables are world state (exported, reset, checkpointed). */
extern const world_section odps_world_section;

/* Project lookup in an account's section state (NULL state = no projects). */
bool odps_project_exists(const void *state, const char *name);

/* Register with `server.odps = &emu_odps_service;` after registering
 * odps_world_section. Needs the STS service (Version 2015-04-01) and
 * server.ots registered too, for the external-table read path. */
extern const emu_service emu_odps_service;

/* Registers MaxCompute's permission model (layer maxcompute-acl) with the
 * simulator and replay (emu_authz_add_rule_model). Once at start-up. */
void emu_odps_register_authz(void);

/* ---- for clients of the REST API (acsemu sql) --------------------------- */

typedef struct odps_xml_result {
    const char *status;     /* task Status: "Success", "Failed" */
    const char *format;     /* Result Format: "csv", "text" */
    const char *text;       /* Result text (Base64-decoded if Transform="Base64") */
    const char *descriptor; /* ResultDescriptor JSON text, or NULL */
} odps_xml_result;

/* Parses a ?result answer (spec §8.7) with libxml2. Strings live in `a`.
 * EMU_E_INVALID when the body is not such a document. */
emu_rc odps_xml_parse_result(const char *buf, size_t len, emu_arena *a, odps_xml_result *out,
                             emu_err *err);
/* Parses an <Error> body (§8.3): *code and *message in `a` (NULL when an
 * element is missing). EMU_E_INVALID when the body is not XML. */
emu_rc odps_xml_parse_error(const char *buf, size_t len, emu_arena *a, const char **code,
                            const char **message, emu_err *err);

/* Frees the instances kept in memory (at shutdown, for leak checkers). */
void odps_service_shutdown(void);

#endif
