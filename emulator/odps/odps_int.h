/* MaxCompute module internals shared by odps_*.c and their unit tests and
 * fuzz harnesses. Not a module boundary: other modules include emu/odps.h.
 *
 *   odps_sql.c      the SQL subset: tokenizer and parser → odps_script (pure)
 *   odps_table.c    CREATE EXTERNAL TABLE → a validated odps_table_def (pure)
 *   odps_section.c  projects and their external tables, world state
 *   odps_read.c     the read path: AssumeRole, then DescribeTable /
 *                   ComputeSplitPointsBySize / GetRange, in-process
 *   odps_pbuf.c     client-side PlainBuffer codec for that read path
 *   odps_query.c    the SELECT engine: joins, subqueries, grouping,
 *                   expressions and functions, UNION ALL (pure)
 *   odps_exec.c     runs a script (DDL, SHOW, DESC, SELECT, INSERT)
 *   odps_xml.c      libxml2 parsing of request bodies; XML/CSV writers
 *   odps_tunnel.c   the instance tunnel's record stream: held results,
 *                   encoder and decoder (pure)
 *   odps_service.c  the REST subset (spec §8): routes, auth, render
 *
 * Every error a SQL task can end with is an ODPS-style text already
 * formatted in err->msg ("ODPS-0130161:[1,8] Parse exception - ..."): the
 * task result carries it verbatim (spec §8.7). */
#ifndef EMU_ODPS_INT_H
#define EMU_ODPS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/arena.h"
#include "emu/buf.h"
#include "emu/dispatch.h"
#include "emu/err.h"
#include "emu/json.h"
#include "emu/odps.h"
#include "emu/odps_sql.h"

/* ---- limits (emulator choices) ------------------------------------------- */

#define ODPS_MAX_TABLES 256        /* external tables per project */
#define ODPS_CSV_MAX_RECORDS 10000 /* the CSV result channel's cap (§8.7) */
#define ODPS_WRITE_BATCH_ROWS 200  /* one BatchWriteRow of an INSERT: the service's */
#define ODPS_WRITE_BATCH_BYTES (4 * 1024 * 1024 - 64 * 1024) /* row cap, and under its 4 MB */
/* Instance results held for the tunnel, all instances together: past it
 * the oldest results are dropped (their download sessions expire). */
#define ODPS_MAX_HELD_RESULT_BYTES (512ULL * 1024 * 1024)
/* One tunnel data answer (a row range) is one HTTP body. */
#define ODPS_TUNNEL_MAX_ANSWER_BYTES (EMU_MAX_BODY_BYTES * 2)

/* Validates a parsed CREATE EXTERNAL TABLE into *out (in `a`; strings
 * borrowed from `c` or copied): the handler must be
 * com.aliyun.odps.TableStoreStorageHandler; tablestore.columns.mapping
 * and tablestore.table.name are required; one mapping entry per column
 * (":name" = primary key, "name" = attribute), no duplicates; at most 4
 * primary-key entries, which cannot be BOOLEAN or DOUBLE (§5.2, §5.4);
 * LOCATION is tablestore://[AK:SK@]<instance>.<region>.<suffix>[/] with one
 * of the §5.3 suffixes; rolearn, when given, looks like an ARN. Errors are
 * EMU_E_INVALID with the ODPS-0130071 text. No Tablestore access (§9.2). */
emu_rc odps_table_validate(const odps_create *c, emu_arena *a, odps_table_def *out, emu_err *err);

/* Parses the stored DDL of a table again and validates it (the section
 * keeps only the text). */
emu_rc odps_table_from_ddl(const char *ddl, emu_arena *a, odps_table_def *out, emu_err *err);

/* ---- section state (odps_section.c) ------------------------------------------ */

typedef struct odps_ext_table {
    char *name;
    char *ddl; /* the CREATE statement as submitted */
    int64_t create_ms;
    char *owner; /* the member who created it ("Owner"); NULL = the project owner */
} odps_ext_table;

/* ---- MaxCompute's permission model (odps_acl.c) ---------------------------------- */

enum {
    ODPS_PRIV_READ = 1u << 0, /* project privileges */
    ODPS_PRIV_WRITE = 1u << 1,
    ODPS_PRIV_LIST = 1u << 2,
    ODPS_PRIV_CREATETABLE = 1u << 3,
    ODPS_PRIV_CREATEINSTANCE = 1u << 4,
    ODPS_PRIV_CREATEFUNCTION = 1u << 5,
    ODPS_PRIV_CREATERESOURCE = 1u << 6,
    ODPS_PRIV_PROJECT_ALL = (1u << 7) - 1,
    ODPS_PRIV_DESCRIBE = 1u << 8, /* table privileges */
    ODPS_PRIV_SELECT = 1u << 9,
    ODPS_PRIV_ALTER = 1u << 10,
    ODPS_PRIV_UPDATE = 1u << 11,
    ODPS_PRIV_DROP = 1u << 12,
    ODPS_PRIV_TABLE_ALL = ((1u << 13) - 1) & ~((1u << 8) - 1),
};

typedef struct odps_grant {
    char *grantee; /* a member name or a role name */
    bool role;
    char *table; /* NULL: the project */
    uint32_t privs;
} odps_grant;

typedef struct odps_role {
    char *name;
    char **users;
    size_t n_users;
} odps_role;

typedef struct odps_acl {
    char **users; /* members besides the owner */
    size_t n_users;
    odps_role *roles;
    size_t n_roles;
    odps_grant *grants;
    size_t n_grants;
} odps_acl;

typedef struct odps_project {
    char *name;
    int64_t create_ms; /* "CreateTime" of the world file, else when it was loaded */
    odps_ext_table *tables;
    size_t n_tables;
    odps_acl acl;
} odps_project;

/* "Select", "CreateTable"... for one privilege bit. */
const char *odps_priv_name(uint32_t bit);
/* World state of a project's "Users", "Roles" and "Grants" (odps_acl.c
 * says the shape); load reports the JSON path of a bad entry. */
emu_rc odps__acl_load(odps_acl *acl, const cJSON *project, const char *jpath, emu_err *err);
void odps__acl_save(const odps_acl *acl, cJSON *project);
void odps__acl_clone(odps_acl *to, const odps_acl *from);
void odps__acl_dispose(odps_acl *acl);
/* Forgets the grants on a dropped table. */
void odps__acl_table_dropped(odps_acl *acl, const char *table);
/* A member (ADD USER) of the project; the owner is checked by the caller. */
bool odps__acl_member(const odps_project *p, const char *who);
/* `who` (a member) holds privilege `priv` on `table` (NULL: the project):
 * granted to it or to one of its roles, or it created the table. */
bool odps__acl_allowed(const odps_project *p, const char *who, const char *table, uint32_t priv);
/* `who` is in the project's admin role (manages security like the owner). */
bool odps__acl_admin(const odps_project *p, const char *who);

/* The three decisions of the model, recorded in layer maxcompute-acl as
 * "odps:Member", "odps:Grant" (managing security) and "odps:<Privilege>". */
typedef enum odps_check { ODPS_CHECK_MEMBER, ODPS_CHECK_MANAGER, ODPS_CHECK_PRIVILEGE } odps_check;
/* The one-line reason of a denial, shared by the service and replay. */
const char *odps__acl_reason(emu_arena *a, odps_check check, const char *who, const char *arn,
                             const char *project, const char *owner_account, const char *table,
                             uint32_t priv);
/* Everything a decision about `who` looked at, for replay bundles
 * ("ruleInput"): the project, its owner account, whether `who` is that
 * owner, the table's creator, and the slice of Users/Roles/Grants that
 * names `who` (the world file's shape, so odps__acl_load reads it back). */
cJSON *odps__acl_input(const odps_project *p, const char *owner_account, bool project_owner,
                       const char *who, const char *arn, const char *table);
/* "acs:odps:*:projects/<p>[/tables/<t>]" into project and table (NULL for
 * the project), in a; false when it is not such an ARN. */
bool odps__acl_resource(const char *arn, emu_arena *a, const char **project, const char **table);
/* The check an action names ("odps:Member", "odps:Grant", "odps:Select"
 * ... on a table when `table`, "odps:List" ... on the project); false when
 * it names none. */
bool odps__acl_check_of(const char *action, bool table, odps_check *check, uint32_t *priv);
/* emu_authz_rule_model.replay for the maxcompute-acl layer. */
emu_rc odps_acl_replay(const cJSON *in, const char *action, const char *resource, emu_arena *a,
                       bool *allowed, const char **reason, emu_err *err);
/* The text starts a security statement (WHOAMI, ADD/REMOVE USER, LIST,
 * GRANT, REVOKE, SHOW GRANTS, CREATE/DROP ROLE) rather than SQL. */
bool odps_acl_is_statement(const char *text, size_t len);
/* Runs one security statement for `who` (`manager`: the owner or an admin)
 * against the project's state: its answer (JSON when `json`, as pyodps's
 * run_security_query asks, else text) appended to `out`. Errors carry the
 * ODPS text: EMU_E_DENIED (ODPS-0420095), EMU_E_NOT_FOUND, EMU_E_EXISTS,
 * EMU_E_INVALID / EMU_E_UNSUPPORTED (ODPS-0130161). */
emu_rc odps_acl_run(odps_project *p, const char *who, bool manager, const char *text, bool json,
                    emu_arena *a, emu_buf *out, emu_err *err);

/* The project of this name (case-insensitive) in one account's section
 * state, or NULL. Borrowed from the world. */
odps_project *odps__project_find(void *state, const char *name);
/* The project wherever it lives: *owner gets the account. NULL if none. */
odps_project *odps__project_lookup(const world_t *w, const char *name, world_account **owner);
odps_ext_table *odps__table_find(odps_project *p, const char *name);
/* Adds a table (copies name and ddl). EMU_E_LIMIT past ODPS_MAX_TABLES. */
emu_rc odps__table_add(odps_project *p, const char *name, const char *ddl, int64_t create_ms,
                       const char *owner, emu_err *err);
/* Removes a table; false when absent. */
bool odps__table_drop(odps_project *p, const char *name);

/* ---- table metadata (odps_meta.c) --------------------------------------------- */

/* The owner SHOW TABLES, DESC and the REST table metadata all show for
 * table `t` of `owner`'s project: its creator, else "ALIYUN$<alias or
 * uid>" of the project's account (t NULL: that). In `a` or borrowed. */
const char *odps__table_owner(const world_account *owner, const odps_ext_table *t, emu_arena *a);

/* The schema JSON of GET /projects/p/tables/t for table `t` (pyodps's
 * TableSchema fields), from its stored DDL. Caller deletes *out. Errors
 * only if the stored DDL no longer validates (can't happen: load checks). */
emu_rc odps__table_meta(const odps_project *p, const world_account *owner, const odps_ext_table *t,
                        emu_arena *a, cJSON **out, emu_err *err);

/* ---- client-side PlainBuffer (odps_pbuf.c) ------------------------------------ */

enum { ODPS_PCELL_PUT = 0, ODPS_PCELL_DELETE_ALL = 1 /* the TAG_CELL_TYPE byte */ };

typedef struct odps_pcell {
    const char *name;
    size_t name_len;
    uint8_t op;    /* encoding an update: ODPS_PCELL_PUT (value) or _DELETE_ALL (none) */
    uint8_t vtype; /* PlainBuffer variant type byte (0 INTEGER, 1 DOUBLE, 2 BOOLEAN,
                      3 STRING, 7 BINARY, 9 INF_MIN, 10 INF_MAX) */
    int64_t i;
    double d;
    bool b;
    const char *s;
    uint32_t len;
} odps_pcell;

typedef struct odps_prow {
    odps_pcell *pk;
    size_t n_pk;
    odps_pcell *attrs;
    size_t n_attrs;
} odps_prow;

/* Encodes one row of primary-key cells (a range bound), in `a`. */
uint8_t *odps_pbuf_encode_pk(const odps_pcell *pk, size_t n, emu_arena *a, size_t *len);
/* Encodes an UpdateRow change: the primary key, then attribute cells that
 * each put a value or (op ODPS_PCELL_DELETE_ALL) delete every version. */
uint8_t *odps_pbuf_encode_row(const odps_pcell *pk, size_t n_pk, const odps_pcell *attrs,
                              size_t n_attrs, emu_arena *a, size_t *len);
/* Decodes every row of a GetRange/split-point buffer into `a`, checking
 * both CRCs. Empty input = zero rows. EMU_E_INVALID names the offset. */
emu_rc odps_pbuf_decode_rows(const uint8_t *buf, size_t len, emu_arena *a, odps_prow **rows,
                             size_t *n, emu_err *err);

/* ---- the read path (odps_read.c) ------------------------------------------------ */

/* Where a query's time went (monotonic microseconds), for the bench and
 * the x-acsemu-timings header. */
typedef struct odps_timings {
    uint64_t assume_us; /* STS AssumeRole, end to end */
    uint64_t meta_us;   /* DescribeTable + ComputeSplitPointsBySize */
    uint64_t range_us;  /* every GetRange call, dispatch + decoding */
    uint64_t eval_us;   /* filter, group, sort, project, render */
    uint64_t total_us;  /* the whole task */
    size_t range_calls; /* GetRange pages */
    size_t rows_read;   /* rows that came from Tablestore */
} odps_timings;

/* Reads the whole external table, the way MaxCompute does for the project
 * owner `owner`: credentials (LOCATION AK:SK@, else AssumeRole of the
 * table's role or the owner's default role as <owner>@odps.aliyuncs.com),
 * then DescribeTable (mapping check), ComputeSplitPointsBySize and paged
 * GetRange per split, every call a signed request run through the server's
 * own dispatcher. `session_tag` names the STS session. On failure
 * EMU_E_INVALID/EMU_E_DENIED/... with the task text in err->msg (§7). */
emu_rc odps_read_table(emu_server *s, const world_account *owner, const odps_table_def *t,
                       const char *session_tag, emu_arena *a, odps_rowset *out, odps_timings *tm,
                       emu_err *err);

/* Writes rows (n_rows * t->n_cols values, row-major, each already of its
 * column's type or NULL) into the external table's Tablestore table, the
 * way an INSERT does (§5.5): the same credentials and DescribeTable as the
 * read path, then BatchWriteRow of UPDATE changes (condition IGNORE) in
 * batches of ODPS_WRITE_BATCH_ROWS rows / ODPS_WRITE_BATCH_BYTES: every
 * mapped attribute is put, a NULL deletes it [I], unmapped columns stay,
 * rows not in the output are untouched (OVERWRITE does not truncate). A
 * Tablestore error fails the task with "Output to TableStore failed ..." */
emu_rc odps_write_table(emu_server *s, const world_account *owner, const odps_table_def *t,
                        const char *session_tag, emu_arena *a, const odps_value *rows,
                        size_t n_rows, odps_timings *tm, emu_err *err);

/* ---- the instance tunnel (odps_tunnel.c) ----------------------------------------- */

/* The schema JSON of tunnel sessions and table metadata (pyodps
 * TableSchema): {"columns":[{"name","type","comment","isNullable"}],
 * "partitionKeys":[]}. Caller deletes. */
cJSON *odps_schema_json(size_t n_cols, const char *const *names, const odps_type *types,
                        const char *const *comments);

/* The tunnel's record stream of rows [start, start + count) of `rs`, with
 * the columns cols[0..n_cols) (indexes into rs) as fields 1..n_cols, in the
 * wire format pyodps and the Java SDK read (pyodps odps/tunnel/io/reader.py,
 * wireconstants.py): per column a protobuf field (BIGINT zig-zag varint,
 * DOUBLE fixed64, BOOLEAN varint, STRING/BINARY length-delimited; NULL
 * omitted), then field 33553408 = the record's CRC-32C (over each field
 * number as 4 LE bytes and the value's bytes: int64 LE, double LE, one
 * byte for booleans, raw bytes), and after the records field 33554430 =
 * the record count (zig-zag) and 33554431 = the CRC-32C of the records'
 * CRCs. False when `out` reaches its cap. Caller checks the range. */
bool odps_tunnel_encode(const odps_resultset *rs, size_t start, size_t count, const size_t *cols,
                        size_t n_cols, emu_buf *out);

/* The same rows as one Arrow IPC record batch and the end-of-stream
 * marker, in the tunnel's CRC-32C chunks of `chunk` bytes (odps_arrow.c
 * says the layout); the client brings the schema. False at out's cap. */
#define ODPS_ARROW_CHUNK_BYTES 65536
bool odps_arrow_encode(const odps_resultset *rs, size_t start, size_t count, const size_t *cols,
                       size_t n_cols, size_t chunk, emu_buf *out);

/* Decodes such a stream for a schema of `n_cols` types: every record's
 * CRC, the trailer's count and stream CRC are checked, and nothing may
 * follow the trailer. Values in `a` (*rows is n_rows * n_cols, NULL where a
 * field is absent). EMU_E_INVALID names the offset; EMU_E_LIMIT past
 * ODPS_MAX_READ_ROWS records. Never reads past len. */
emu_rc odps_tunnel_decode(const uint8_t *buf, size_t len, const odps_type *types, size_t n_cols,
                          emu_arena *a, odps_value **rows, size_t *n_rows, emu_err *err);

/* Parses a rowrange parameter "(start,count)" (decimal, optional blanks).
 * False when malformed or a number is over 2^53. */
bool odps_tunnel_parse_range(const char *s, uint64_t *start, uint64_t *count);

/* ---- running a task (odps_exec.c) ------------------------------------------------ */

typedef struct odps_task_result {
    bool ok;
    bool is_select;
    char *text; /* CSV (select) or text (DDL, SHOW, DESC, or the error); heap */
    size_t text_len;
    char *descriptor;     /* ResultDescriptor JSON (select only); heap */
    odps_resultset *rows; /* the whole result (select only), for the tunnel */
    char *input;          /* "project.table" a SELECT read, for the task summary; heap */
    odps_timings timings;
} odps_task_result;

typedef struct odps_exec_ctx {
    emu_server *server;
    world_account *owner;  /* the project's account */
    odps_project *project; /* borrowed from the world */
    const char *instance_id;
    emu_arena *arena; /* scratch for this task */
    /* The caller as MaxCompute names it ("RAM$account-b:etl"), and whether
     * it is the project owner (every privilege) or an admin (security). */
    const char *who;
    bool is_owner, is_admin;
    /* Decides one privilege of the permission model (odps_acl.c) and
     * records it (the service: a decision record); false = denied. NULL =
     * no checks (tests). `table` NULL is the project. */
    bool (*allow)(void *ud, const char *table, uint32_t priv);
    void *allow_ud;
} odps_exec_ctx;

/* Runs one SQL task to completion and fills *out (heap strings: free with
 * odps_task_result_dispose). Never fails as a call: a failed task is
 * out->ok = false with the ODPS text in out->text. */
void odps_exec_sql(odps_exec_ctx *ctx, const char *sql, size_t len, odps_task_result *out);
void odps_task_result_dispose(odps_task_result *r);

/* ---- XML (odps_xml.c) ---------------------------------------------------------------- */

typedef struct odps_job {
    const char *task_type; /* element name of the task: "SQL" */
    const char *task_name; /* "AnonymousSQLTask" */
    const char *query;     /* the SQL text */
    const char *settings;  /* the "settings" property (JSON text) or NULL */
    int priority;
    const char *job_xml; /* the <Job> element serialized (for ?source) */
} odps_job;

/* Parses an instance-creation body (spec §8.5) with libxml2: no network,
 * no entity expansion, no DTD loading, errors not printed. Root Instance →
 * Job → Tasks → exactly one task element with Name and Query; Config/
 * Property pairs read leniently. Strings in `a`. EMU_E_INVALID with a
 * short reason (libxml2's message, or the missing element). */
emu_rc odps_xml_parse_job(const char *buf, size_t len, emu_arena *a, odps_job *out, emu_err *err);

/* Parses a security query body (POST /projects/p/authorization, pyodps's
 * run_security_query): root Authorization, Query (required) and
 * ResponseInJsonFormat ("true" → *json). Same libxml2 contract as above. */
emu_rc odps_xml_parse_auth_query(const char *buf, size_t len, emu_arena *a, const char **query,
                                 bool *json, emu_err *err);

/* Appends s as one or more CDATA sections (a "]]>" inside is split). */
void odps_xml_cdata(emu_buf *b, const char *s, size_t len);

#endif
