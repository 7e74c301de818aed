/* Table operations: CreateTable, ListTable, DescribeTable, UpdateTable,
 * DeleteTable, ComputeSplitPointsBySize (tablestore-protocol.md §6.3, §6.6,
 * §9.2). Schema validation and its texts live in the store
 * (ots_store_table_create); this file maps messages to and from it.
 *
 * Departures, all because a single-process emulator has no use for them:
 * tables are ACTIVE at once (no OTSTableNotReady); reserved throughput is
 * kept and answered but throttles nothing; a table is one shard (also its stream's, ots_stream.c),
 * so DescribeTable sends no shard_splits. Secondary indexes (CreateIndex, DropIndex, index metas of
 * CreateTable and DescribeTable) are hidden tables kept by ots_index.c: ListTable leaves them out.
 */
#include <string.h>

#include "emu/clock.h"

#include "ots_svc_int.h"

static const char *pk_type_text(int t)
{
    switch (t) {
    case OTS__PRIMARY_KEY_TYPE__INTEGER:
        return "INTEGER";
    case OTS__PRIMARY_KEY_TYPE__STRING:
        return "STRING";
    case OTS__PRIMARY_KEY_TYPE__BINARY:
        return "BINARY";
    default:
        return NULL;
    }
}

/* Maps store errors of table operations to Tablestore codes. */
static emu_rc table_error(emu_call *call, emu_rc rc)
{
    if (call->err.code)
        return rc;
    switch (rc) {
    case EMU_E_EXISTS:
        call->err.code = "OTSObjectAlreadyExist";
        break;
    case EMU_E_NOT_FOUND:
        call->err.code = "OTSObjectNotExist";
        break;
    case EMU_E_LIMIT:
        call->err.code = "OTSQuotaExhausted";
        break;
    default:
        call->err.code = "OTSParameterInvalid";
        break;
    }
    return rc;
}

/* An index as the request gives it; strings stay in the request. */
static ots_index_def index_def(const Ots__IndexMeta *im, const char *base)
{
    ots_index_def d = {0};
    d.name = im->name;
    d.base = (char *)base;
    d.keys = im->primary_key;
    d.n_keys = im->n_primary_key;
    d.attrs = im->defined_column;
    d.n_attrs = im->n_defined_column;
    d.local = im->index_type == OTS__INDEX_TYPE__IT_LOCAL_INDEX;
    d.sync = im->index_update_mode == OTS__INDEX_UPDATE_MODE__IUM_SYNC_INDEX;
    return d;
}

static Ots__IndexMeta *index_meta_msg(emu_call *call, const ots_index_def *d)
{
    Ots__IndexMeta *im = emu_arena_alloc(call->arena, sizeof *im);
    ots__index_meta__init(im);
    im->name = emu_arena_strdup(call->arena, d->name);
    im->n_primary_key = d->n_keys;
    im->primary_key = emu_arena_alloc(call->arena, (d->n_keys + 1) * sizeof *im->primary_key);
    for (size_t i = 0; i < d->n_keys; i++)
        im->primary_key[i] = emu_arena_strdup(call->arena, d->keys[i]);
    im->n_defined_column = d->n_attrs;
    im->defined_column =
        emu_arena_alloc(call->arena, (d->n_attrs + 1) * sizeof *im->defined_column);
    for (size_t i = 0; i < d->n_attrs; i++)
        im->defined_column[i] = emu_arena_strdup(call->arena, d->attrs[i]);
    im->index_update_mode =
        d->sync ? OTS__INDEX_UPDATE_MODE__IUM_SYNC_INDEX : OTS__INDEX_UPDATE_MODE__IUM_ASYNC_INDEX;
    im->index_type = d->local ? OTS__INDEX_TYPE__IT_LOCAL_INDEX : OTS__INDEX_TYPE__IT_GLOBAL_INDEX;
    im->has_index_sync_phase = 1; /* built at once: incremental phase */
    im->index_sync_phase = OTS__INDEX_SYNC_PHASE__ISP_INCR;
    return im;
}

/* The capacity units a CreateTable or UpdateTable asks for, into o: a unit
 * it leaves out stays. 0 to 100,000 each [inferred: the service's quota for
 * reserved read/write CU per table]. */
static emu_rc reserved_of(emu_call *call, const Ots__ReservedThroughput *rt, ots_table_options *o)
{
    const Ots__CapacityUnit *cu = rt ? rt->capacity_unit : NULL;
    if (!cu)
        return EMU_OK;
    if ((cu->has_read && (cu->read < 0 || cu->read > 100000)) ||
        (cu->has_write && (cu->write < 0 || cu->write > 100000)))
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "The reserved read and write capacity units must be between 0 and "
                        "100000.");
    if (cu->has_read)
        o->cu_read = cu->read;
    if (cu->has_write)
        o->cu_write = cu->write;
    return EMU_OK;
}

emu_rc ots_create_table(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__CreateTableRequest *m = r->msg;
    const Ots__TableMeta *meta = m->table_meta;
    const Ots__TableOptions *o = m->table_options;
    ots_table_schema s = {0};
    emu_rc rc;

    if (!o || !o->has_time_to_live)
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "Time-to-live is missing while creating table.");
    if (!o->has_max_versions)
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "MaxVersions is missing while creating table.");
    ots_pk_col *pk = emu_arena_zalloc(call->arena, (meta->n_primary_key + 1) * sizeof *pk);
    for (size_t i = 0; i < meta->n_primary_key; i++) {
        const Ots__PrimaryKeySchema *p = meta->primary_key[i];
        if (!pk_type_text((int)p->type))
            return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                            "%d is an invalid type for the primary key.", (int)p->type);
        pk[i].name = p->name;
        pk[i].type = (ots_pk_type)p->type;
        pk[i].auto_increment =
            p->has_option && p->option == OTS__PRIMARY_KEY_OPTION__AUTO_INCREMENT;
    }
    ots_def_col *def = emu_arena_zalloc(call->arena, (meta->n_defined_column + 1) * sizeof *def);
    for (size_t i = 0; i < meta->n_defined_column; i++) {
        def[i].name = meta->defined_column[i]->name;
        def[i].type = (ots_col_type)meta->defined_column[i]->type;
    }
    s.name = meta->table_name;
    s.pk = pk;
    s.n_pk = meta->n_primary_key;
    s.defined = def;
    s.n_defined = meta->n_defined_column;
    s.opts = ots_table_options_default();
    s.opts.ttl_s = o->time_to_live;
    s.opts.max_versions = o->max_versions;
    if (o->has_deviation_cell_version_in_sec)
        s.opts.deviation_s = o->deviation_cell_version_in_sec;
    if (o->has_allow_update)
        s.opts.allow_update = o->allow_update;
    s.opts.local_txn = m->has_enable_local_txn && m->enable_local_txn;
    if ((rc = reserved_of(call, m->reserved_throughput, &s.opts)) ||
        (rc = ots_stream_spec(m->stream_spec, NULL, &s.opts, &call->err)))
        return rc;
    ots_table_t *t;
    if ((rc = ots_store_table_create(r->instance, &s, &t, &call->err)))
        return table_error(call, rc);
    /* The indexes (field 7; Node's TableMeta.index_meta too): all or none. */
    size_t n_idx = m->n_index_metas + meta->n_index_meta;
    for (size_t i = 0; i < n_idx; i++) {
        const Ots__IndexMeta *im =
            i < m->n_index_metas ? m->index_metas[i] : meta->index_meta[i - m->n_index_metas];
        ots_index_def d = index_def(im, meta->table_name);
        if ((rc = ots_index_create(r->instance, t, &d, false, &call->err))) {
            for (size_t k = 0; k < i; k++)
                ots_index_drop(r->instance, k < m->n_index_metas
                                                ? m->index_metas[k]->name
                                                : meta->index_meta[k - m->n_index_metas]->name);
            emu_err e = {0};
            ots_store_table_drop(r->instance, meta->table_name, &e);
            return table_error(call, rc);
        }
    }
    Ots__CreateTableResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    ots__create_table_response__init(resp);
    r->resp = &resp->base;
    return EMU_OK;
}

emu_rc ots_list_table(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    Ots__ListTableResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    size_t n = ots_store_table_count(r->instance);

    ots__list_table_response__init(resp);
    resp->table_names = emu_arena_alloc(call->arena, (n + 1) * sizeof *resp->table_names);
    for (size_t i = 0; i < n; i++) {
        const char *name = ots_table_schema_of(ots_store_table_at(r->instance, i))->name;
        if (!ots_index_find(r->instance, name)) /* index tables are not listed */
            resp->table_names[resp->n_table_names++] = emu_arena_strdup(call->arena, name);
    }
    r->resp = &resp->base;
    return EMU_OK;
}

static Ots__TableOptions *options_msg(emu_call *call, const ots_table_t *t)
{
    const ots_table_options *o = &ots_table_schema_of(t)->opts;
    Ots__TableOptions *m = emu_arena_alloc(call->arena, sizeof *m);
    ots__table_options__init(m);
    /* Go dereferences all three numbers (§6.1). */
    m->has_time_to_live = m->has_max_versions = m->has_deviation_cell_version_in_sec = 1;
    m->time_to_live = o->ttl_s;
    m->max_versions = o->max_versions;
    m->deviation_cell_version_in_sec = o->deviation_s;
    m->has_allow_update = 1;
    m->allow_update = o->allow_update;
    return m;
}

static Ots__ReservedThroughputDetails *throughput_msg(emu_call *call, const ots_table_t *t)
{
    const ots_table_options *o = &ots_table_schema_of(t)->opts;
    Ots__ReservedThroughputDetails *d = emu_arena_alloc(call->arena, sizeof *d);
    Ots__CapacityUnit *cu = emu_arena_alloc(call->arena, sizeof *cu);
    ots__reserved_throughput_details__init(d);
    ots__capacity_unit__init(cu);
    cu->has_read = cu->has_write = 1;
    cu->read = o->cu_read;
    cu->write = o->cu_write;
    d->capacity_unit = cu;
    d->last_increase_time =
        (o->cu_increased_ms ? o->cu_increased_ms : ots_table_created_ms(t)) / 1000;
    if (o->cu_decreased_ms) {
        d->has_last_decrease_time = 1;
        d->last_decrease_time = o->cu_decreased_ms / 1000;
    }
    return d;
}

emu_rc ots_describe_table(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__DescribeTableRequest *m = r->msg;
    Ots__DescribeTableResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    Ots__TableMeta *meta = emu_arena_alloc(call->arena, sizeof *meta);
    ots_table_t *t;
    emu_rc rc;

    if ((rc = ots_find_table(call, m->table_name, &t, &call->err)))
        return rc;
    const ots_table_schema *s = ots_table_schema_of(t);
    ots__table_meta__init(meta);
    meta->table_name = emu_arena_strdup(call->arena, s->name);
    meta->n_primary_key = s->n_pk;
    meta->primary_key = emu_arena_alloc(call->arena, (s->n_pk + 1) * sizeof *meta->primary_key);
    for (size_t i = 0; i < s->n_pk; i++) {
        Ots__PrimaryKeySchema *p = emu_arena_alloc(call->arena, sizeof *p);
        ots__primary_key_schema__init(p);
        p->name = emu_arena_strdup(call->arena, s->pk[i].name);
        p->type = (Ots__PrimaryKeyType)s->pk[i].type;
        if (s->pk[i].auto_increment) {
            p->has_option = 1;
            p->option = OTS__PRIMARY_KEY_OPTION__AUTO_INCREMENT;
        }
        meta->primary_key[i] = p;
    }
    meta->n_defined_column = s->n_defined;
    meta->defined_column =
        emu_arena_alloc(call->arena, (s->n_defined + 1) * sizeof *meta->defined_column);
    for (size_t i = 0; i < s->n_defined; i++) {
        Ots__DefinedColumnSchema *d = emu_arena_alloc(call->arena, sizeof *d);
        ots__defined_column_schema__init(d);
        d->name = emu_arena_strdup(call->arena, s->defined[i].name);
        d->type = (Ots__DefinedColumnType)s->defined[i].type;
        meta->defined_column[i] = d;
    }
    ots__describe_table_response__init(resp);
    resp->table_meta = meta;
    resp->reserved_throughput_details = throughput_msg(call, t);
    resp->table_options = options_msg(call, t);
    resp->table_status = OTS__TABLE_STATUS__ACTIVE; /* Node requires it (§6.3) */
    resp->stream_details = ots_stream_details(call, t);
    const ots_index_def *defs[OTS_MAX_INDEXES_PER_TABLE];
    size_t n = ots_index_list(r->instance, s->name, defs, OTS_MAX_INDEXES_PER_TABLE);
    resp->index_metas = emu_arena_alloc(call->arena, (n + 1) * sizeof *resp->index_metas);
    for (size_t i = 0; i < n && i < OTS_MAX_INDEXES_PER_TABLE; i++)
        resp->index_metas[resp->n_index_metas++] = index_meta_msg(call, defs[i]);
    r->resp = &resp->base;
    return EMU_OK;
}

emu_rc ots_update_table(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__UpdateTableRequest *m = r->msg;
    const Ots__TableOptions *o = m->table_options;
    Ots__UpdateTableResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    ots_table_t *t;
    emu_rc rc;

    if ((rc = ots_find_table(call, m->table_name, &t, &call->err)))
        return rc;
    if (ots_index_find(r->instance, m->table_name)) /* [inferred] texts */
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "%s is an index: update its table instead.", m->table_name);
    if (m->reserved_throughput) {
        ots_table_options n = ots_table_schema_of(t)->opts;
        if ((rc = reserved_of(call, m->reserved_throughput, &n)))
            return rc;
        const ots_table_options *was = &ots_table_schema_of(t)->opts;
        if (n.cu_read > was->cu_read || n.cu_write > was->cu_write)
            n.cu_increased_ms = emu_clock_now_ms();
        if (n.cu_read < was->cu_read || n.cu_write < was->cu_write)
            n.cu_decreased_ms = emu_clock_now_ms();
        if ((rc = ots_table_set_options(t, &n, &call->err)))
            return table_error(call, rc);
    }
    if (m->stream_spec) {
        ots_table_options n = ots_table_schema_of(t)->opts;
        if ((rc = ots_stream_spec(m->stream_spec, &ots_table_schema_of(t)->opts, &n, &call->err)) ||
            (rc = ots_table_set_options(t, &n, &call->err)))
            return table_error(call, rc);
    }
    bool empty = o && !o->has_time_to_live && !o->has_max_versions &&
                 !o->has_deviation_cell_version_in_sec && !o->has_allow_update;
    if (empty && (m->stream_spec || m->reserved_throughput))
        o = NULL; /* the Node SDK sends empty options with either change */
    if (o) {
        if (empty)
            return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                            "No parameter is specified in table options.");
        ots_table_options n = ots_table_schema_of(t)->opts;
        if (o->has_time_to_live)
            n.ttl_s = o->time_to_live;
        if (o->has_max_versions)
            n.max_versions = o->max_versions;
        if (o->has_deviation_cell_version_in_sec)
            n.deviation_s = o->deviation_cell_version_in_sec;
        if (o->has_allow_update)
            n.allow_update = o->allow_update;
        const ots_index_def *idx[OTS_MAX_INDEXES_PER_TABLE];
        size_t n_idx = ots_index_list(r->instance, m->table_name, idx, OTS_MAX_INDEXES_PER_TABLE);
        if (n_idx && (n.max_versions != 1 || (n.ttl_s != -1 && n.allow_update)))
            return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                            "Table %s has indexes: its max versions must stay 1, and a TimeToLive "
                            "needs allow_update false.",
                            m->table_name);
        if ((rc = ots_table_set_options(t, &n, &call->err)))
            return table_error(call, rc);
        for (size_t i = 0; i < n_idx && i < OTS_MAX_INDEXES_PER_TABLE; i++) {
            ots_table_t *it = ots_store_table_find(r->instance, idx[i]->name);
            ots_table_options io = n;
            io.allow_update = true;
            io.stream_expiration_h = 0; /* an index has no stream */
            io.stream_enabled_ms = 0;
            if (it && (rc = ots_table_set_options(it, &io, &call->err)))
                return table_error(call, rc);
        }
    } else if (!m->reserved_throughput && !m->stream_spec) {
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "No parameter is specified in table options.");
    }
    ots__update_table_response__init(resp);
    resp->reserved_throughput_details = throughput_msg(call, t);
    resp->table_options = options_msg(call, t);
    resp->stream_details = ots_stream_details(call, t);
    r->resp = &resp->base;
    return EMU_OK;
}

emu_rc ots_delete_table(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__DeleteTableRequest *m = r->msg;
    const ots_index_def *idx = ots_index_find(r->instance, m->table_name);
    if (idx) /* [inferred] text */
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "%s is an index of table %s: drop it with DropIndex.", m->table_name,
                        idx->base);
    /* The table's indexes go with it. */
    const ots_index_def *defs[OTS_MAX_INDEXES_PER_TABLE];
    if (ots_store_table_find(r->instance, m->table_name))
        while (ots_index_list(r->instance, m->table_name, defs, 1))
            ots_index_drop(r->instance, defs[0]->name);
    ots_search_drop_table(r->instance, m->table_name);
    emu_rc rc = ots_store_table_drop(r->instance, m->table_name, &call->err);
    if (rc)
        return table_error(call, rc);
    Ots__DeleteTableResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    ots__delete_table_response__init(resp);
    r->resp = &resp->base;
    return EMU_OK;
}

emu_rc ots_create_index(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__CreateIndexRequest *m = r->msg;
    ots_table_t *t;
    emu_rc rc;

    if ((rc = ots_find_table(call, m->main_table_name, &t, &call->err)))
        return rc;
    if (ots_index_find(r->instance, m->main_table_name)) /* [inferred] text */
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "%s is an index: an index cannot have indexes.", m->main_table_name);
    ots_index_def d = index_def(m->index_meta, m->main_table_name);
    if ((rc = ots_index_create(r->instance, t, &d, m->has_include_base_data && m->include_base_data,
                               &call->err)))
        return table_error(call, rc);
    Ots__CreateIndexResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    ots__create_index_response__init(resp);
    r->resp = &resp->base;
    return EMU_OK;
}

emu_rc ots_drop_index(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__DropIndexRequest *m = r->msg;
    ots_table_t *t;
    emu_rc rc;

    if ((rc = ots_find_table(call, m->main_table_name, &t, &call->err)))
        return rc;
    const ots_index_def *d = ots_index_find(r->instance, m->index_name);
    if (!d || strcmp(d->base, m->main_table_name)) /* [inferred] text */
        return ots_fail(&call->err, EMU_E_NOT_FOUND, "OTSObjectNotExist",
                        "Requested index does not exist.");
    ots_index_drop(r->instance, m->index_name);
    Ots__DropIndexResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    ots__drop_index_response__init(resp);
    r->resp = &resp->base;
    return EMU_OK;
}

/* Split points by size (§6.6): the table's approximate bytes divided into
 * chunks of split_size × unit (default 100 MB), at most split_point_limit
 * points. Each point is a partition-key value (the first PK column only:
 * trailing columns are omitted, i.e. INF_MIN) taken every rows/(n+1) rows
 * of a forward scan, duplicates dropped. One location "acsemu" covers all
 * n+1 splits (Go indexes by the repeat sum). O(rows) per call. */
emu_rc ots_compute_split_points_by_size(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__ComputeSplitPointsBySizeRequest *m = r->msg;
    Ots__ComputeSplitPointsBySizeResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    ots_table_t *t;
    emu_rc rc;

    if ((rc = ots_find_table(call, m->table_name, &t, &call->err)))
        return rc;
    if (m->split_size <= 0)
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "The split size must be greater than 0."); /* [inferred] text */
    int64_t unit = m->has_split_size_unit_in_byte && m->split_size_unit_in_byte > 0
                       ? m->split_size_unit_in_byte
                       : 100LL * 1024 * 1024;
    const ots_table_schema *s = ots_table_schema_of(t);
    size_t rows = ots_table_row_count(t);
    size_t bytes = ots_table_bytes(t);
    uint64_t chunk = (uint64_t)m->split_size > UINT64_MAX / (uint64_t)unit
                         ? UINT64_MAX
                         : (uint64_t)m->split_size * (uint64_t)unit;
    uint64_t want = bytes / chunk; /* points = chunks − 1, rounded up */
    if (bytes % chunk == 0 && want)
        want--;
    if (m->has_split_point_limit && m->split_point_limit >= 0 &&
        want > (uint64_t)m->split_point_limit)
        want = (uint64_t)m->split_point_limit;
    if (rows && want >= rows)
        want = rows - 1;

    ots__compute_split_points_by_size_response__init(resp);
    resp->consumed = ots_consumed(call->arena, 1, 0);
    resp->n_schema = s->n_pk;
    resp->schema = emu_arena_alloc(call->arena, (s->n_pk + 1) * sizeof *resp->schema);
    for (size_t i = 0; i < s->n_pk; i++) {
        Ots__PrimaryKeySchema *p = emu_arena_alloc(call->arena, sizeof *p);
        ots__primary_key_schema__init(p);
        p->name = emu_arena_strdup(call->arena, s->pk[i].name);
        p->type = (Ots__PrimaryKeyType)s->pk[i].type;
        if (s->pk[i].auto_increment) {
            p->has_option = 1;
            p->option = OTS__PRIMARY_KEY_OPTION__AUTO_INCREMENT;
        }
        resp->schema[i] = p;
    }
    resp->split_points = emu_arena_alloc(call->arena, (want + 1) * sizeof *resp->split_points);
    if (want) {
        ots_cell lo[EMU_MAX_OTS_PK_COLUMNS], hi[EMU_MAX_OTS_PK_COLUMNS];
        for (size_t i = 0; i < s->n_pk; i++) {
            lo[i] = (ots_cell){.name = emu_str_c(s->pk[i].name), .has_value = true};
            hi[i] = lo[i];
            lo[i].value.type = OTS_VT_INF_MIN;
            hi[i].value.type = OTS_VT_INF_MAX;
        }
        emu_str pkname = emu_str_c(s->pk[0].name);
        ots_read_opts o = {.max_versions = 1, .columns = &pkname, .n_columns = 1};
        ots_store_iter it;
        if ((rc = ots_store_range_open(t, lo, s->n_pk, hi, s->n_pk, false, call->arena, &it,
                                       &call->err)))
            return rc;
        size_t step = rows / (want + 1), seen = 0;
        ots_row_t row, prev = {0};
        ots_iter_rc ir;
        while (resp->n_split_points < want &&
               (ir = ots_store_range_next(&it, &o, call->arena, &row)) != OTS_ITER_END) {
            if (ir != OTS_ITER_ROW || ++seen % step)
                continue;
            ots_row_t point = {row.pk, 1, NULL, 0, false};
            if (prev.n_pk && prev.pk[0].value.type == point.pk[0].value.type) {
                ots_row_t a = prev, b = point;
                size_t la, lb;
                uint8_t *ea = ots_plainbuffer_encode_row(&a, call->arena, &la);
                uint8_t *eb = ots_plainbuffer_encode_row(&b, call->arena, &lb);
                if (la == lb && memcmp(ea, eb, la) == 0)
                    continue;
            }
            prev = point;
            ProtobufCBinaryData *d = &resp->split_points[resp->n_split_points++];
            d->data = ots_plainbuffer_encode_row(&point, call->arena, &d->len);
        }
    }
    Ots__SplitLocation *loc = emu_arena_alloc(call->arena, sizeof *loc);
    ots__split_location__init(loc);
    loc->location = emu_arena_strdup(call->arena, "acsemu");
    loc->repeat = (int64_t)resp->n_split_points + 1;
    resp->n_locations = 1;
    resp->locations = emu_arena_alloc(call->arena, sizeof *resp->locations);
    resp->locations[0] = loc;
    r->resp = &resp->base;
    return EMU_OK;
}
