/* Fuzz harness: Tablestore request bodies. The first byte picks the request
 * message type, the rest is the protobuf body. Whatever decodes has its
 * PlainBuffers and filters decoded too, and row operations are applied to a
 * small store (tables vehicle_track(vid, gt INTEGER), t(id INTEGER) and
 * s(pk1 STRING, pk2 BINARY)), so the store's validation runs on hostile
 * rows as well. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ots.pb-c.h"
#include "ots_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const ProtobufCMessageDescriptor *const types[] = {
    &ots__create_table_request__descriptor,
    &ots__list_table_request__descriptor,
    &ots__describe_table_request__descriptor,
    &ots__update_table_request__descriptor,
    &ots__delete_table_request__descriptor,
    &ots__get_row_request__descriptor,
    &ots__put_row_request__descriptor,
    &ots__update_row_request__descriptor,
    &ots__delete_row_request__descriptor,
    &ots__get_range_request__descriptor,
    &ots__batch_get_row_request__descriptor,
    &ots__batch_write_row_request__descriptor,
    &ots__compute_split_points_by_size_request__descriptor,
    &ots__filter__descriptor,
    &ots__create_index_request__descriptor,
    &ots__drop_index_request__descriptor,
    &ots__start_local_transaction_request__descriptor,
    &ots__commit_transaction_request__descriptor,
    &ots__abort_transaction_request__descriptor,
    &ots__list_stream_request__descriptor,
    &ots__describe_stream_request__descriptor,
    &ots__get_shard_iterator_request__descriptor,
    &ots__get_stream_record_request__descriptor,
};
#define N_TYPES (sizeof types / sizeof types[0])

typedef struct ctx {
    emu_arena *a;
    ots_store_t *s;
    ots_instance_t *in;
} ctx;

static ots_table_t *table(ctx *c, const char *name)
{
    return name ? ots_store_table_find(c->in, name) : NULL;
}

static bool row_of(ctx *c, ProtobufCBinaryData b, ots_row_t *row)
{
    emu_err err = {0};
    return ots_plainbuffer_decode_row(b.data, b.len, c->a, row, &err) == EMU_OK;
}

static void filter(ctx *c, ProtobufCBinaryData b, int depth)
{
    emu_err err = {0};
    if (depth > 8)
        return;
    Ots__Filter *f = ots_pb_unpack(&ots__filter__descriptor, b.data, b.len, c->a, &err);
    if (!f)
        return;
    if (f->type == OTS__FILTER_TYPE__FT_SINGLE_COLUMN_VALUE) {
        Ots__SingleColumnValueFilter *s =
            ots_pb_unpack(&ots__single_column_value_filter__descriptor, f->filter.data,
                          f->filter.len, c->a, &err);
        ots_value v;
        if (s)
            ots_plainbuffer_decode_variant(s->column_value.data, s->column_value.len, &v, &err);
    } else if (f->type == OTS__FILTER_TYPE__FT_COMPOSITE_COLUMN_VALUE) {
        Ots__CompositeColumnValueFilter *s =
            ots_pb_unpack(&ots__composite_column_value_filter__descriptor, f->filter.data,
                          f->filter.len, c->a, &err);
        for (size_t i = 0; s && i < s->n_sub_filters; i++) {
            size_t n;
            ProtobufCBinaryData sub;
            sub.data = ots_pb_pack(s->sub_filters[i], c->a, &n);
            sub.len = n;
            filter(c, sub, depth + 1);
        }
    }
}

static void get(ctx *c, const char *tname, ProtobufCBinaryData pk, int32_t maxv)
{
    ots_table_t *t = table(c, tname);
    ots_row_t row, out;
    bool found;
    emu_err err = {0};
    ots_read_opts o = {.max_versions = maxv};
    if (t && row_of(c, pk, &row))
        ots_store_get(t, row.pk, row.n_pk, &o, c->a, &out, &found, &err);
}

static void write(ctx *c, const char *tname, int kind, ProtobufCBinaryData b)
{
    ots_table_t *t = table(c, tname);
    ots_row_t row, out;
    emu_err err = {0};
    if (!t || !row_of(c, b, &row))
        return;
    if (kind == 1)
        ots_store_put(t, &row, c->a, &out, &err);
    else if (kind == 2)
        ots_store_update(t, &row, c->a, &out, &err);
    else
        ots_store_delete(t, row.pk, row.n_pk, NULL, &err);
}

static void run(ctx *c, int type, void *m)
{
    emu_err err = {0};
    switch (type) {
    case 5: {
        Ots__GetRowRequest *r = m;
        get(c, r->table_name, r->primary_key, r->max_versions);
        if (r->has_filter)
            filter(c, r->filter, 0);
        break;
    }
    case 6: {
        Ots__PutRowRequest *r = m;
        write(c, r->table_name, 1, r->row);
        if (r->condition->has_column_condition)
            filter(c, r->condition->column_condition, 0);
        break;
    }
    case 7: {
        Ots__UpdateRowRequest *r = m;
        write(c, r->table_name, 2, r->row_change);
        break;
    }
    case 8: {
        Ots__DeleteRowRequest *r = m;
        write(c, r->table_name, 3, r->primary_key);
        break;
    }
    case 9: {
        Ots__GetRangeRequest *r = m;
        ots_table_t *t = table(c, r->table_name);
        ots_row_t s, e, out;
        if (r->has_filter)
            filter(c, r->filter, 0);
        if (!t || !row_of(c, r->inclusive_start_primary_key, &s) ||
            !row_of(c, r->exclusive_end_primary_key, &e))
            break;
        ots_store_iter it;
        if (ots_store_range_open(t, s.pk, s.n_pk, e.pk, e.n_pk,
                                 r->direction == OTS__DIRECTION__BACKWARD, c->a, &it, &err))
            break;
        int limit = r->has_limit && r->limit > 0 && r->limit < 100 ? r->limit : 100;
        ots_read_opts o = {.max_versions = r->max_versions};
        for (int i = 0; i < limit && ots_store_range_next(&it, &o, c->a, &out) != OTS_ITER_END; i++)
            ;
        ots_store_range_peek_pk(&it, c->a, &out);
        break;
    }
    case 10: {
        Ots__BatchGetRowRequest *r = m;
        for (size_t i = 0; i < r->n_tables; i++)
            for (size_t j = 0; j < r->tables[i]->n_primary_key; j++)
                get(c, r->tables[i]->table_name, r->tables[i]->primary_key[j], 1);
        break;
    }
    case 11: {
        Ots__BatchWriteRowRequest *r = m;
        for (size_t i = 0; i < r->n_tables; i++)
            for (size_t j = 0; j < r->tables[i]->n_rows; j++)
                write(c, r->tables[i]->table_name, (int)r->tables[i]->rows[j]->type,
                      r->tables[i]->rows[j]->row_change);
        break;
    }
    case 16: { /* StartLocalTransaction: the key is a PK-only PlainBuffer */
        Ots__StartLocalTransactionRequest *r = m;
        ots_row_t row;
        if (row_of(c, r->key, &row) && row.n_pk)
            ots_store_exists(table(c, r->table_name) ? table(c, r->table_name) : table(c, "t"),
                             row.pk, row.n_pk, &(bool){false}, &err);
        break;
    }
    case 13: {
        size_t n;
        ProtobufCBinaryData b;
        b.data = ots_pb_pack(m, c->a, &n);
        b.len = n;
        filter(c, b, 0);
        break;
    }
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    ctx c = {emu_arena_new(0), ots_store_new("fuzz"), NULL};
    emu_err err = {0};
    ots_store_instance_create(c.s, "cap1", OTS_NET_ANY, &c.in, &err);
    ots_pk_col vt[] = {{"vid", OTS_PK_INTEGER, false}, {"gt", OTS_PK_INTEGER, false}};
    ots_pk_col t1[] = {{"id", OTS_PK_INTEGER, false}};
    ots_pk_col s1[] = {{"pk1", OTS_PK_STRING, false}, {"pk2", OTS_PK_BINARY, false}};
    ots_table_schema sc[] = {{"vehicle_track", vt, 2, NULL, 0, ots_table_options_default()},
                             {"t", t1, 1, NULL, 0, ots_table_options_default()},
                             {"s", s1, 2, NULL, 0, ots_table_options_default()}};
    sc[1].opts.max_versions = 3;
    for (size_t i = 0; i < 3; i++)
        ots_store_table_create(c.in, &sc[i], NULL, &err);

    int type = data[0] % (int)N_TYPES;
    void *m = ots_pb_unpack(types[type], data + 1, size - 1, c.a, &err);
    if (m) {
        run(&c, type, m);
        /* Re-packing what decoded must not crash either. */
        size_t n;
        ots_pb_pack(m, c.a, &n);
    }
    ots_store_free(c.s);
    emu_arena_free(c.a);
    return 0;
}
