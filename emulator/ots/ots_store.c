/* Tablestore row store (see emu/ots_store.h): instances, tables and the
 * store itself, and the copy a checkpoint takes of them. The rows live in
 * the files around this one (ots_store_int.h lists them).
 *
 * Copies (ots_store_clone) share what never changes in place: each table's
 * ordered index is a persistent tree (ots_store_index.c), row blobs are
 * immutable, the names dictionary only grows, and the bulk-load slab only
 * grows. A copy therefore costs O(tables), never O(rows), and memory grows
 * only with what is written after it. */
#include <assert.h>
#include <stdlib.h>

#include "emu/clock.h"
#include "emu/limits.h"
#include "ots_store_int.h"

/* ---- Names of enums ------------------------------------------------------- */

ots_table_options ots_table_options_default(void)
{
    return (ots_table_options){
        .ttl_s = -1, .max_versions = 1, .deviation_s = 86400, .allow_update = true};
}

const char *ots_pk_type_name(ots_pk_type t)
{
    switch (t) {
    case OTS_PK_INTEGER:
        return "INTEGER";
    case OTS_PK_STRING:
        return "STRING";
    case OTS_PK_BINARY:
        return "BINARY";
    }
    return "UNKNOWN";
}

const char *ots_col_type_name(ots_col_type t)
{
    switch (t) {
    case OTS_COL_INTEGER:
        return "INTEGER";
    case OTS_COL_DOUBLE:
        return "DOUBLE";
    case OTS_COL_BOOLEAN:
        return "BOOLEAN";
    case OTS_COL_STRING:
        return "STRING";
    case OTS_COL_BINARY:
        return "BINARY";
    }
    return "UNKNOWN";
}

const char *ots_network_name(ots_network n)
{
    switch (n) {
    case OTS_NET_ANY:
        return "Any";
    case OTS_NET_VPC:
        return "Vpc";
    case OTS_NET_INTERNET:
        return "Internet";
    }
    return "Any";
}

bool ots_pk_type_parse(const char *s, ots_pk_type *out)
{
    static const ots_pk_type all[] = {OTS_PK_INTEGER, OTS_PK_STRING, OTS_PK_BINARY};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (!strcmp(s, ots_pk_type_name(all[i]))) {
            *out = all[i];
            return true;
        }
    }
    return false;
}

bool ots_col_type_parse(const char *s, ots_col_type *out)
{
    static const ots_col_type all[] = {OTS_COL_INTEGER, OTS_COL_DOUBLE, OTS_COL_BOOLEAN,
                                       OTS_COL_STRING, OTS_COL_BINARY};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (!strcmp(s, ots_col_type_name(all[i]))) {
            *out = all[i];
            return true;
        }
    }
    return false;
}

bool ots_network_parse(const char *s, ots_network *out)
{
    static const ots_network all[] = {OTS_NET_ANY, OTS_NET_VPC, OTS_NET_INTERNET};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (!strcmp(s, ots_network_name(all[i]))) {
            *out = all[i];
            return true;
        }
    }
    return false;
}

const char *ots_vtype_name(ots_vtype t)
{
    switch (t) {
    case OTS_VT_INTEGER:
        return "INTEGER";
    case OTS_VT_DOUBLE:
        return "DOUBLE";
    case OTS_VT_BOOLEAN:
        return "BOOLEAN";
    case OTS_VT_STRING:
        return "STRING";
    case OTS_VT_NULL:
        return "NULL";
    case OTS_VT_BINARY:
        return "BINARY";
    case OTS_VT_INF_MIN:
        return "INF_MIN";
    case OTS_VT_INF_MAX:
        return "INF_MAX";
    case OTS_VT_AUTO_INCREMENT:
        return "AUTO_INCREMENT";
    }
    return "UNKNOWN";
}

static bool valid_instance_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > 16 || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')) ||
        s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-'))
            return false;
    }
    return true;
}

/* ---- Tables ---------------------------------------------------------------------------- */

static void table_free(ots_table_t *t)
{
    if (!t)
        return;
    /* Rows first: the index drops its references to blobs, then the slab
     * that may hold some of them goes. */
    ots__ix_release(t);
    ots__slab_release(t);
    ots__names_unref(t->names);
    for (size_t i = 0; i < t->schema.n_pk; i++)
        free((char *)t->pk[i].name);
    for (size_t i = 0; i < t->schema.n_defined; i++)
        free((char *)t->defined[i].name);
    free(t->pk);
    free(t->defined);
    free(t->name);
    free(t->rows_file);
    free(t);
}

static emu_rc check_options(const ots_table_options *o, emu_err *err)
{
    if (o->ttl_s == 0 || o->ttl_s < -1)
        return emu_err_set(err, EMU_E_INVALID, NULL, "TimeToLive cannot be 0 or less than -1.");
    if (o->max_versions <= 0)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "The maximum versions cannot be less than or equal to 0.");
    if (o->deviation_s <= 0)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "DeviationCellVersionInSec must be greater than 0.");
    return EMU_OK;
}

static emu_rc check_schema(const ots_table_schema *s, emu_err *err)
{
    if (!s->name || !ots__valid_col_name(s->name, strlen(s->name)))
        return emu_err_set(err, EMU_E_INVALID, NULL, "Invalid table name: %s.",
                           s->name ? s->name : "");
    if (s->n_pk < 1 || s->n_pk > EMU_MAX_OTS_PK_COLUMNS)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "The number of primary key columns must be in range: [1, 4].");
    size_t n_auto = 0;
    for (size_t i = 0; i < s->n_pk; i++) {
        const ots_pk_col *c = &s->pk[i];
        if (!c->name || !ots__valid_col_name(c->name, strlen(c->name)))
            return emu_err_set(err, EMU_E_INVALID, NULL, "Invalid column name: %s.",
                               c->name ? c->name : "");
        if (c->type != OTS_PK_INTEGER && c->type != OTS_PK_STRING && c->type != OTS_PK_BINARY)
            return emu_err_set(err, EMU_E_INVALID, NULL,
                               "%d is an invalid type for the primary key.", (int)c->type);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(s->pk[j].name, c->name))
                return emu_err_set(err, EMU_E_INVALID, NULL, "Duplicated primary key name: '%s'.",
                                   c->name);
        if (c->auto_increment) {
            if (c->type != OTS_PK_INTEGER)
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "AUTO_INCREMENT primary key must be integer.");
            if (i == 0)
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "First primary key can't be auto increment, table: %s.",
                                   s->name);
            if (++n_auto > 1)
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "AUTO_INCREMENT primary key count must <= 1.");
        }
    }
    if (s->n_defined > EMU_MAX_OTS_DEFINED_COLUMNS)
        return emu_err_set(err, EMU_E_INVALID, NULL,
                           "The number of defined columns must be in range: [0, 32].");
    for (size_t i = 0; i < s->n_defined; i++) {
        const ots_def_col *c = &s->defined[i];
        if (!c->name || !ots__valid_col_name(c->name, strlen(c->name)))
            return emu_err_set(err, EMU_E_INVALID, NULL, "Invalid column name: %s.",
                               c->name ? c->name : "");
        ots_col_type ct = c->type;
        if (ct != OTS_COL_INTEGER && ct != OTS_COL_DOUBLE && ct != OTS_COL_BOOLEAN &&
            ct != OTS_COL_STRING && ct != OTS_COL_BINARY)
            return emu_err_set(err, EMU_E_INVALID, NULL, "Invalid type of defined column: %s.",
                               c->name);
        for (size_t j = 0; j < s->n_pk; j++)
            if (!strcmp(s->pk[j].name, c->name))
                return emu_err_set(err, EMU_E_INVALID, NULL,
                                   "Duplicated attribute column name with primary key column: %s.",
                                   c->name);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(s->defined[j].name, c->name))
                return emu_err_set(err, EMU_E_INVALID, NULL, "Duplicated defined column name: %s.",
                                   c->name);
    }
    return check_options(&s->opts, err);
}

static ots_table_t *table_new(const ots_table_schema *s)
{
    ots_table_t *t = emu_xcalloc(1, sizeof *t);
    t->name = emu_xstrdup(s->name);
    t->pk = emu_xcalloc(s->n_pk, sizeof *t->pk);
    for (size_t i = 0; i < s->n_pk; i++) {
        t->pk[i] = s->pk[i];
        t->pk[i].name = emu_xstrdup(s->pk[i].name);
    }
    t->defined = emu_xcalloc(s->n_defined ? s->n_defined : 1, sizeof *t->defined);
    for (size_t i = 0; i < s->n_defined; i++) {
        t->defined[i] = s->defined[i];
        t->defined[i].name = emu_xstrdup(s->defined[i].name);
    }
    t->schema = (ots_table_schema){t->name, t->pk, s->n_pk, t->defined, s->n_defined, s->opts};
    t->created_ms = emu_clock_now_ms();
    t->names = ots__names_new();
    return t;
}

static ots_table_t *table_clone(const ots_table_t *src)
{
    ots_table_t *t = table_new(&src->schema);
    t->created_ms = src->created_ms;
    t->autoinc_last = src->autoinc_last;
    /* Shared, not copied: see the top of this file. */
    ots__names_unref(t->names);
    t->names = ots__names_ref(src->names);
    t->slab = src->slab;
    if (t->slab)
        t->slab->refs++;
    ots__ix_copy(t, src);
    t->rows_file = src->rows_file ? emu_xstrdup(src->rows_file) : NULL;
    t->load_ts = src->load_ts;
    t->dirty = src->dirty;
    return t;
}

emu_rc ots_store_table_create(ots_instance_t *in, const ots_table_schema *schema, ots_table_t **out,
                              emu_err *err)
{
    emu_rc rc = check_schema(schema, err);
    if (rc)
        return rc;
    if (ots_store_table_find(in, schema->name))
        return emu_err_set(err, EMU_E_EXISTS, NULL, "Requested table already exists.");
    if (in->n_tables >= EMU_MAX_OTS_TABLES)
        return emu_err_set(err, EMU_E_LIMIT, NULL, "Number of tables exceeded the quota.");
    if (in->n_tables == in->cap_tables) {
        in->cap_tables = in->cap_tables ? in->cap_tables * 2 : 4;
        in->tables = emu_xrealloc(in->tables, in->cap_tables * sizeof *in->tables);
    }
    ots_table_t *t = table_new(schema);
    t->inst = in;
    in->tables[in->n_tables++] = t;
    if (out)
        *out = t;
    return EMU_OK;
}

emu_rc ots_store_table_drop(ots_instance_t *in, const char *name, emu_err *err)
{
    for (size_t i = 0; i < in->n_tables; i++) {
        if (!strcmp(in->tables[i]->name, name)) {
            table_free(in->tables[i]);
            memmove(&in->tables[i], &in->tables[i + 1],
                    (in->n_tables - i - 1) * sizeof *in->tables);
            in->n_tables--;
            return EMU_OK;
        }
    }
    return emu_err_set(err, EMU_E_NOT_FOUND, NULL, "Requested table does not exist.");
}

ots_table_t *ots_store_table_find(const ots_instance_t *in, const char *name)
{
    for (size_t i = 0; i < in->n_tables; i++)
        if (!strcmp(in->tables[i]->name, name))
            return in->tables[i];
    return NULL;
}

size_t ots_store_table_count(const ots_instance_t *in)
{
    return in->n_tables;
}

ots_table_t *ots_store_table_at(const ots_instance_t *in, size_t i)
{
    return i < in->n_tables ? in->tables[i] : NULL;
}

const ots_table_schema *ots_table_schema_of(const ots_table_t *t)
{
    return &t->schema;
}

emu_rc ots_table_set_options(ots_table_t *t, const ots_table_options *opts, emu_err *err)
{
    emu_rc rc = check_options(opts, err);
    if (!rc)
        t->schema.opts = *opts;
    return rc;
}

int64_t ots_table_created_ms(const ots_table_t *t)
{
    return t->created_ms;
}

void ots_table_set_created_ms(ots_table_t *t, int64_t ms)
{
    t->created_ms = ms;
}

size_t ots_table_row_count(const ots_table_t *t)
{
    return t->n_rows;
}

size_t ots_table_bytes(const ots_table_t *t)
{
    return sizeof *t + t->row_bytes + ots__ix_bytes(t) + ots__names_bytes(t->names);
}

bool ots_table_dirty(const ots_table_t *t)
{
    return t->dirty;
}

void ots__table_set_loaded(ots_table_t *t, const char *abs_rows_file, int64_t load_ts)
{
    free(t->rows_file);
    t->rows_file = abs_rows_file ? emu_xstrdup(abs_rows_file) : NULL;
    t->load_ts = load_ts;
    t->dirty = false;
}

void ots__autoinc_seen(ots_table_t *t, int64_t v)
{
    if (v > t->autoinc_last)
        t->autoinc_last = v;
}

const char *ots__table_rows_file(const ots_table_t *t)
{
    return t->rows_file;
}

int64_t ots__table_load_ts(const ots_table_t *t)
{
    return t->load_ts;
}

const ots_def_col *ots__defined_col(const ots_table_t *t, const char *name, size_t len)
{
    for (size_t i = 0; i < t->schema.n_defined; i++)
        if (strlen(t->defined[i].name) == len && !memcmp(t->defined[i].name, name, len))
            return &t->defined[i];
    return NULL;
}

/* ---- Instances and the store ----------------------------------------------------------- */

ots_store_t *ots_store_new(const char *account_id)
{
    ots_store_t *s = emu_xcalloc(1, sizeof *s);
    s->account_id = account_id ? emu_xstrdup(account_id) : NULL;
    return s;
}

static void instance_free(ots_instance_t *in)
{
    for (size_t i = 0; i < in->n_tables; i++)
        table_free(in->tables[i]);
    free(in->tables);
    free(in->name);
    policy_doc_free(in->policy);
    free(in->description);
    for (size_t i = 0; i < in->n_tags; i++) {
        free(in->tag_keys[i]);
        free(in->tag_values[i]);
        free(in->tag_ckeys[i]);
    }
    free(in->tag_keys);
    free(in->tag_values);
    free(in->tag_ckeys);
    free(in);
}

void ots_store_free(ots_store_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_inst; i++)
        instance_free(s->inst[i]);
    free(s->inst);
    free(s->account_id);
    free(s);
}

ots_store_t *ots_store_clone(const ots_store_t *s)
{
    ots_store_t *c = ots_store_new(s->account_id);
    c->default_net = s->default_net;
    c->cap_inst = c->n_inst = s->n_inst;
    c->inst = emu_xcalloc(s->n_inst ? s->n_inst : 1, sizeof *c->inst);
    for (size_t i = 0; i < s->n_inst; i++) {
        const ots_instance_t *src = s->inst[i];
        ots_instance_t *in = emu_xcalloc(1, sizeof *in);
        in->name = emu_xstrdup(src->name);
        in->net = src->net;
        in->acl = src->acl;
        /* Documents are immutable: the clone holds the same one. */
        in->policy = (policy_doc_t *)(uintptr_t)policy_doc_ref(src->policy);
        in->policy_version = src->policy_version;
        in->description = src->description ? emu_xstrdup(src->description) : NULL;
        in->cluster = src->cluster;
        in->create_ms = src->create_ms;
        for (size_t t = 0; t < src->n_tags; t++)
            ots_instance_tag_set(in, src->tag_keys[t], src->tag_values[t]);
        in->store = c;
        in->n_tables = in->cap_tables = src->n_tables;
        in->tables = emu_xcalloc(src->n_tables ? src->n_tables : 1, sizeof *in->tables);
        for (size_t j = 0; j < src->n_tables; j++) {
            in->tables[j] = table_clone(src->tables[j]);
            in->tables[j]->inst = in;
        }
        c->inst[i] = in;
    }
    return c;
}

const char *ots_store_account_id(const ots_store_t *s)
{
    return s->account_id;
}

emu_rc ots_store_instance_create(ots_store_t *s, const char *name, ots_network net,
                                 ots_instance_t **out, emu_err *err)
{
    if (!valid_instance_name(name))
        return emu_err_set(err, EMU_E_INVALID, NULL, "Invalid instance name: %s.", name);
    if (ots_store_instance_find(s, name))
        return emu_err_set(err, EMU_E_EXISTS, NULL, "Instance %s already exists.", name);
    if (s->n_inst >= EMU_MAX_OTS_INSTANCES)
        return emu_err_set(err, EMU_E_LIMIT, NULL, "Number of instances exceeded the quota.");
    if (s->n_inst == s->cap_inst) {
        s->cap_inst = s->cap_inst ? s->cap_inst * 2 : 4;
        s->inst = emu_xrealloc(s->inst, s->cap_inst * sizeof *s->inst);
    }
    ots_instance_t *in = emu_xcalloc(1, sizeof *in);
    in->name = emu_xstrdup(name);
    in->net = net;
    in->cluster = "SSD";
    in->store = s;
    s->inst[s->n_inst++] = in;
    if (out)
        *out = in;
    return EMU_OK;
}

ots_instance_t *ots_store_instance_find(const ots_store_t *s, const char *name)
{
    for (size_t i = 0; i < s->n_inst; i++)
        if (!strcmp(s->inst[i]->name, name))
            return s->inst[i];
    return NULL;
}

size_t ots_store_instance_count(const ots_store_t *s)
{
    return s->n_inst;
}

ots_instance_t *ots_store_instance_at(const ots_store_t *s, size_t i)
{
    return i < s->n_inst ? s->inst[i] : NULL;
}

const char *ots_instance_name(const ots_instance_t *in)
{
    return in->name;
}

ots_network ots_instance_network(const ots_instance_t *in)
{
    return in->net;
}

ots_net_acl ots_instance_acl(const ots_instance_t *in)
{
    return in->acl;
}

void ots_instance_set_acl(ots_instance_t *in, const ots_net_acl *acl)
{
    in->acl = *acl;
}

emu_rc ots_store_instance_delete(ots_store_t *s, const char *name, emu_err *err)
{
    for (size_t i = 0; i < s->n_inst; i++) {
        ots_instance_t *in = s->inst[i];
        if (strcmp(in->name, name) != 0)
            continue;
        if (in->n_tables)
            return emu_err_set(err, EMU_E_CONFLICT, NULL,
                               "The instance %s still has %zu table(s): delete them first.", name,
                               in->n_tables);
        memmove(&s->inst[i], &s->inst[i + 1], (s->n_inst - i - 1) * sizeof *s->inst);
        s->n_inst--;
        instance_free(in);
        return EMU_OK;
    }
    return emu_err_set(err, EMU_E_NOT_FOUND, NULL, "The instance %s does not exist.", name);
}

ots_instance_info ots_instance_info_of(const ots_instance_t *in)
{
    return (ots_instance_info){in->description ? in->description : "",
                               in->cluster ? in->cluster : "SSD", in->create_ms};
}

void ots_instance_set_info(ots_instance_t *in, const char *description, const char *cluster,
                           int64_t create_ms)
{
    if (description) {
        free(in->description);
        in->description = emu_xstrdup(description);
    }
    if (cluster)
        in->cluster = strcmp(cluster, "HYBRID") == 0 ? "HYBRID" : "SSD";
    if (create_ms)
        in->create_ms = create_ms;
}

size_t ots_instance_tag_count(const ots_instance_t *in)
{
    return in->n_tags;
}

const char *ots_instance_tag_at(const ots_instance_t *in, size_t i, const char **value)
{
    if (i >= in->n_tags)
        return NULL;
    if (value)
        *value = in->tag_values[i];
    return in->tag_keys[i];
}

bool ots_instance_tag_set(ots_instance_t *in, const char *key, const char *value)
{
    for (size_t i = 0; i < in->n_tags; i++)
        if (strcmp(in->tag_keys[i], key) == 0) {
            free(in->tag_values[i]);
            in->tag_values[i] = emu_xstrdup(value);
            return true;
        }
    if (in->n_tags >= EMU_MAX_OTS_INSTANCE_TAGS)
        return false;
    in->tag_keys = emu_xrealloc(in->tag_keys, (in->n_tags + 1) * sizeof *in->tag_keys);
    in->tag_values = emu_xrealloc(in->tag_values, (in->n_tags + 1) * sizeof *in->tag_values);
    in->tag_ckeys = emu_xrealloc(in->tag_ckeys, (in->n_tags + 1) * sizeof *in->tag_ckeys);
    size_t kl = strlen(key);
    in->tag_ckeys[in->n_tags] = emu_xmalloc(sizeof "acs:ResourceTag/" + kl);
    memcpy(in->tag_ckeys[in->n_tags], "acs:ResourceTag/", sizeof "acs:ResourceTag/" - 1);
    memcpy(in->tag_ckeys[in->n_tags] + sizeof "acs:ResourceTag/" - 1, key, kl + 1);
    in->tag_keys[in->n_tags] = emu_xstrdup(key);
    in->tag_values[in->n_tags++] = emu_xstrdup(value);
    return true;
}

bool ots_instance_tag_remove(ots_instance_t *in, const char *key)
{
    for (size_t i = 0; i < in->n_tags; i++)
        if (strcmp(in->tag_keys[i], key) == 0) {
            free(in->tag_keys[i]);
            free(in->tag_values[i]);
            free(in->tag_ckeys[i]);
            memmove(&in->tag_ckeys[i], &in->tag_ckeys[i + 1],
                    (in->n_tags - i - 1) * sizeof *in->tag_ckeys);
            memmove(&in->tag_keys[i], &in->tag_keys[i + 1],
                    (in->n_tags - i - 1) * sizeof *in->tag_keys);
            memmove(&in->tag_values[i], &in->tag_values[i + 1],
                    (in->n_tags - i - 1) * sizeof *in->tag_values);
            in->n_tags--;
            return true;
        }
    return false;
}

size_t ots_instance_tag_ckeys(const ots_instance_t *in, policy_ckey *out, size_t cap)
{
    size_t n = in->n_tags < cap ? in->n_tags : cap;
    for (size_t i = 0; i < n; i++)
        out[i] = (policy_ckey){in->tag_ckeys[i], (const char *const *)&in->tag_values[i], 1};
    return n;
}

const policy_doc_t *ots_instance_policy(const ots_instance_t *in, int64_t *version)
{
    if (version)
        *version = in->policy_version;
    return in->policy;
}

void ots_instance_set_policy(ots_instance_t *in, policy_doc_t *doc, int64_t version)
{
    policy_doc_free(in->policy);
    in->policy = doc;
    in->policy_version = doc ? version : 0;
}

uint8_t ots_store_default_network(const ots_store_t *s)
{
    return s->default_net ? s->default_net : 1 /* POLICY_NET_INTERNET */;
}

void ots_store_set_default_network(ots_store_t *s, uint8_t net)
{
    s->default_net = net;
}

/* ---- Reading rows ------------------------------------------------------------------------ */
const char *ots_table_account_id(const ots_table_t *t)
{
    return t->inst && t->inst->store ? t->inst->store->account_id : NULL;
}

const char *ots_table_instance_name(const ots_table_t *t)
{
    return t->inst ? t->inst->name : NULL;
}

int64_t ots_table_autoinc_last(const ots_table_t *t)
{
    return t->autoinc_last;
}

void ots_table_autoinc_raise(ots_table_t *t, int64_t v)
{
    ots__autoinc_seen(t, v);
}

ots_table_origin ots_table_origin_of(const ots_table_t *t)
{
    return (ots_table_origin){t->rows_file, t->load_ts, t->dirty};
}

void ots_table_set_origin(ots_table_t *t, const ots_table_origin *o)
{
    ots__table_set_loaded(t, o->rows_file, o->load_ts);
    t->dirty = o->dirty;
}

void ots__table_adopt_rows(ots_table_t *dst, ots_table_t *src)
{
    /* dst was just created from a schema: no rows, no interned names. The
     * schema and the owner stay each table's own; src keeps nothing else. */
    assert(!dst->root && !dst->names->n && !dst->slab);
    ots__names_unref(dst->names);
    dst->names = src->names;
    src->names = ots__names_new();
    ots__ix_copy(dst, src);
    ots__ix_release(src);
    dst->slab = src->slab;
    src->slab = NULL;
    dst->created_ms = src->created_ms;
    dst->autoinc_last = src->autoinc_last;
    src->autoinc_last = 0;
    free(dst->rows_file);
    dst->rows_file = src->rows_file;
    src->rows_file = NULL;
    dst->load_ts = src->load_ts;
    dst->dirty = src->dirty;
}
