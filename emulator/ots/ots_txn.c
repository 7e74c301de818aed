/* Local transactions: StartLocalTransaction, CommitTransaction,
 * AbortTransaction, and the transaction_id of PutRow / UpdateRow /
 * DeleteRow / GetRow / GetRange / BatchWriteRow.
 *
 * A transaction locks one partition key (the first PK column's value) of
 * one table whose EnableLocalTxn option is on. Its writes go to a private
 * copy of that partition (a table of a store of its own, which no journal,
 * checkpoint or world export sees); its reads read the copy
 * (read-your-writes); everyone else keeps reading the committed rows (read
 * committed), and a write without the transaction to the locked partition,
 * or a second StartLocalTransaction on it, answers OTSRowOperationConflict
 * (pessimistic lock). The transaction remembers the keys it wrote; commit
 * writes exactly those rows back (or deletes them) through the store, so
 * the journal, the secondary indexes and any table observer see one write
 * per changed row; abort drops the copy. A transaction lives
 * OTS_TXN_LIFETIME_MS of virtual time from its start, as the service's 60 s
 * ("not committed or aborted within 60 seconds ... the server aborts it"),
 * then it is gone (OTSSessionNotExist) and its lock with it. A world reset
 * or checkpoint restore, or dropping its table, ends it too.
 *
 * Texts: "TransactionID is invalid.", "Session not exist or may be
 * timeout." (OTSSessionNotExist), "StartLocalTransaction support only one
 * primary key.", "Try to call method using explicit transaction on
 * explicit-transaction-disabled table.", "Data is being modified by the
 * other request." (OTSRowOperationConflict): the Java SDK's LocalTxnTest.
 * Others are marked [inferred]. A stream (ots_stream.c) gets the records of
 * the transaction's writes, in order, when it commits. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/limits.h"
#include "ots_svc_int.h"

#define OTS_TXN_LIFETIME_MS (60 * 1000)
#define OTS_TXN_ID_MAX 128 /* longer ids are refused as invalid (emulator choice) */

#define CONFLICT_TEXT "Data is being modified by the other request."

/* One key the transaction wrote: its PK cells and their encoding (the
 * sort key of the dirty set), in the transaction's arena. */
typedef struct txn_key {
    const uint8_t *key;
    size_t len;
    ots_cell *pk;
    size_t n_pk;
} txn_key;

struct ots_txn {
    char id[33];
    uint64_t world_gen;
    char *account, *instance, *table;
    const ots_table_t *live; /* the locked table; compared, never read after a drop */
    int64_t live_created_ms;
    uint8_t key[OTS__KEY_MAX]; /* the partition key, memcmp-comparable */
    size_t key_len;
    ots_value pk0;      /* the partition key value (bytes in `arena`) */
    ots_store_t *store; /* the private copy */
    ots_table_t *copy;
    int64_t deadline_ms;
    emu_arena *arena; /* pk0 and the dirty keys */
    txn_key *dirty;   /* sorted by key; malloc'd */
    size_t n_dirty, cap_dirty;
    /* Stream records of its writes, appended at commit (malloc'd). */
    struct {
        int action;
        uint8_t *row;
        size_t len;
    } * pending;
    size_t n_pending, cap_pending;
};

static ots_txn *g_txn[EMU_MAX_OTS_TXNS];
static size_t g_n;

static void txn_free(size_t i)
{
    ots_txn *x = g_txn[i];
    ots_store_free(x->store);
    emu_arena_free(x->arena);
    free(x->dirty);
    for (size_t k = 0; k < x->n_pending; k++)
        free(x->pending[k].row);
    free(x->pending);
    free(x->account);
    free(x->instance);
    free(x->table);
    free(x);
    g_txn[i] = g_txn[--g_n];
}

/* Whether x still holds its lock: not timed out, no world reset or
 * restore since it started. */
static bool txn_alive(const ots_txn *x, const emu_call *call)
{
    return x->world_gen == call->server->world_gen && emu_clock_now_ms() < x->deadline_ms;
}

/* Whether t is the table x locked (not one made after a drop). */
static bool txn_locks(const ots_txn *x, const ots_table_t *t)
{
    return t && t == x->live && ots_table_created_ms(t) == x->live_created_ms;
}

/* Drops every transaction that timed out or outlived its world. */
static void expire(const emu_call *call)
{
    for (size_t i = 0; i < g_n;)
        if (!txn_alive(g_txn[i], call))
            txn_free(i);
        else
            i++;
}

static bool id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (!n || n > OTS_TXN_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (id[i] <= ' ' || id[i] > '~')
            return false;
    return true;
}

static bool in_partition(const ots_value *pk0, const ots_txn *x)
{
    uint8_t k[OTS__KEY_MAX];
    size_t n = ots__key_encode(pk0, 1, k);
    return n == x->key_len && !memcmp(k, x->key, n);
}

ots_txn *ots_txn_get(emu_call *call, const char *id, emu_err *err)
{
    if (!id_valid(id)) {
        ots_fail(err, EMU_E_INVALID, "OTSParameterInvalid", "TransactionID is invalid.");
        return NULL;
    }
    expire(call);
    const ots_req *r = ots_req_of(call);
    for (size_t i = 0; i < g_n; i++) {
        ots_txn *x = g_txn[i];
        if (strcmp(x->id, id) || strcmp(x->account, r->owner->id) ||
            strcmp(x->instance, r->instance_name))
            continue;
        if (txn_locks(x, ots_store_table_find(r->instance, x->table)))
            return x;
        txn_free(i); /* its table was dropped: the transaction is gone */
        break;
    }
    ots_fail(err, EMU_E_NOT_FOUND, "OTSSessionNotExist", "Session not exist or may be timeout.");
    return NULL;
}

const char *ots_txn_table_name(emu_call *call, const char *id)
{
    emu_err e = {0};
    const ots_txn *x = ots_txn_get(call, id, &e);
    return x ? x->table : NULL;
}

emu_rc ots_txn_table(emu_call *call, ots_txn *x, const char *table, ProtobufCBinaryData bytes,
                     ots_table_t **out, ots_txn_row *row, emu_err *err)
{
    ots_row_t decoded;
    emu_rc rc;
    if (strcmp(x->table, table))
        /* [inferred] text */
        return ots_fail(err, EMU_E_INVALID, "OTSParameterInvalid",
                        "Transaction %s belongs to table %s, not %s.", x->id, x->table, table);
    if ((rc = ots_plainbuffer_decode_row(bytes.data, bytes.len, call->arena, &decoded, err)))
        return rc;
    if (decoded.n_pk && decoded.pk[0].has_value && !in_partition(&decoded.pk[0].value, x))
        /* [inferred] text */
        return ots_fail(err, EMU_E_INVALID, "OTSParameterInvalid",
                        "The partition key of the row is not the partition key of transaction "
                        "%s.",
                        x->id);
    for (size_t i = 0; i < decoded.n_pk; i++)
        if (decoded.pk[i].has_value && decoded.pk[i].value.type == OTS_VT_AUTO_INCREMENT)
            /* [inferred] text; the documentation: auto-increment columns and
             * local transactions cannot be used together. */
            return ots_fail(err, EMU_E_INVALID, "OTSParameterInvalid",
                            "Auto-increment primary key columns cannot be written in a local "
                            "transaction.");
    if (row && x->n_dirty == EMU_MAX_OTS_TXN_ROWS)
        return ots_fail(err, EMU_E_LIMIT, "OTSParameterInvalid",
                        "A local transaction writes at most %d rows in acsemu.",
                        EMU_MAX_OTS_TXN_ROWS);
    if (row) {
        row->pk = decoded.pk;
        row->n_pk = decoded.n_pk;
    }
    *out = x->copy;
    return EMU_OK;
}

static int key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

void ots_txn_wrote(ots_txn *x, const ots_txn_row *row)
{
    uint8_t k[OTS__KEY_MAX];
    ots_value v[EMU_MAX_OTS_PK_COLUMNS];
    if (row->n_pk > EMU_MAX_OTS_PK_COLUMNS || x->n_dirty == EMU_MAX_OTS_TXN_ROWS)
        return; /* the write itself refused such a key; ots_txn_table the row */
    for (size_t i = 0; i < row->n_pk; i++)
        v[i] = row->pk[i].value;
    size_t n = ots__key_encode(v, row->n_pk, k);
    size_t lo = 0, hi = x->n_dirty;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = key_cmp(x->dirty[mid].key, x->dirty[mid].len, k, n);
        if (!c)
            return;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (x->n_dirty == x->cap_dirty) {
        x->cap_dirty = x->cap_dirty ? x->cap_dirty * 2 : 16;
        x->dirty = emu_xrealloc(x->dirty, x->cap_dirty * sizeof *x->dirty);
    }
    txn_key d = {.len = n, .n_pk = row->n_pk};
    uint8_t *kb = emu_arena_alloc(x->arena, n);
    memcpy(kb, k, n);
    d.key = kb;
    d.pk = emu_arena_alloc(x->arena, row->n_pk * sizeof *d.pk);
    for (size_t i = 0; i < row->n_pk; i++) {
        ots_cell c = row->pk[i];
        c.name = emu_str_c(emu_arena_strndup(x->arena, c.name.p, c.name.len));
        if (c.value.type == OTS_VT_STRING || c.value.type == OTS_VT_BINARY) {
            uint8_t *p = emu_arena_alloc(x->arena, c.value.len ? c.value.len : 1);
            memcpy(p, c.value.p, c.value.len);
            c.value.p = p;
        }
        d.pk[i] = c;
    }
    memmove(&x->dirty[lo + 1], &x->dirty[lo], (x->n_dirty - lo) * sizeof *x->dirty);
    x->dirty[lo] = d;
    x->n_dirty++;
}

emu_rc ots_txn_check_lock(emu_call *call, const ots_table_t *t, const ots_row_t *row, emu_err *err)
{
    if (!g_n || !row->n_pk || !row->pk[0].has_value)
        return EMU_OK;
    expire(call);
    for (size_t i = 0; i < g_n; i++)
        if (txn_locks(g_txn[i], t) && in_partition(&row->pk[0].value, g_txn[i]))
            return ots_fail(err, EMU_E_CONFLICT, "OTSRowOperationConflict", CONFLICT_TEXT);
    return EMU_OK;
}

/* Copies every row of the partition (all versions) from the live table to
 * the transaction's copy. */
static emu_rc copy_partition(const ots_table_t *src, ots_txn *x, emu_err *err)
{
    const ots_table_schema *s = ots_table_schema_of(src);
    ots_cell lo[EMU_MAX_OTS_PK_COLUMNS], hi[EMU_MAX_OTS_PK_COLUMNS];
    for (size_t i = 0; i < s->n_pk; i++) {
        lo[i] = (ots_cell){.name = emu_str_c(s->pk[i].name), .has_value = true};
        hi[i] = lo[i];
        lo[i].value.type = OTS_VT_INF_MIN;
        hi[i].value.type = OTS_VT_INF_MAX;
    }
    lo[0].value = x->pk0;
    if (s->n_pk > 1) /* else [pk0, INF_MAX): the scan stops past the partition */
        hi[0].value = x->pk0;
    emu_arena *a = emu_arena_new(1 << 12), *ra = emu_arena_new(1 << 14);
    ots_store_iter it;
    ots_row_t row;
    ots_iter_rc ir;
    emu_rc rc = ots_store_range_open(src, lo, s->n_pk, hi, s->n_pk, false, a, &it, err);
    while (!rc && (ir = ots_store_range_next(&it, NULL, ra, &row)) != OTS_ITER_END) {
        if (ir == OTS_ITER_ROW) {
            if (!in_partition(&row.pk[0].value, x))
                break;
            rc = ots_store_put(x->copy, &row, ra, NULL, err);
        }
        emu_arena_reset(ra);
    }
    emu_arena_free(ra);
    emu_arena_free(a);
    return rc;
}

/* Writes the rows the transaction wrote back to the live table: the copy's
 * row replaces the live one, or the live one goes when the copy has none. */
static emu_rc write_back(const emu_call *call, ots_instance_t *in, ots_table_t *live,
                         const ots_txn *x, emu_err *err)
{
    emu_arena *a = emu_arena_new(1 << 14);
    ots_read_opts newest = {.max_versions = 1};
    emu_rc rc = EMU_OK;
    for (size_t i = 0; !rc && i < x->n_dirty; i++) {
        const txn_key *d = &x->dirty[i];
        ots_row_t row, old, now;
        bool has = false, had = false, is = false;
        if ((rc = ots_store_get(x->copy, d->pk, d->n_pk, NULL, a, &row, &has, err)) ||
            (rc = ots_store_get(live, d->pk, d->n_pk, &newest, a, &old, &had, err)))
            break;
        if (has)
            rc = ots_store_put(live, &row, a, NULL, err);
        else if (had)
            rc = ots_store_delete(live, d->pk, d->n_pk, NULL, err);
        if (!rc && has)
            rc = ots_store_get(live, d->pk, d->n_pk, &newest, a, &now, &is, err);
        if (!rc && (had || is))
            rc = ots_index_apply_lagged(call, in, live, had ? &old : NULL, is ? &now : NULL,
                                        call->index_lag_ms, a, err);
        emu_arena_reset(a);
    }
    emu_arena_free(a);
    return rc;
}

bool ots_txn_stream_note(const ots_table_t *t, int action, const uint8_t *row, size_t len)
{
    for (size_t i = 0; i < g_n; i++) {
        ots_txn *x = g_txn[i];
        if (x->copy != t)
            continue;
        if (x->n_pending == x->cap_pending) {
            x->cap_pending = x->cap_pending ? x->cap_pending * 2 : 16;
            x->pending = emu_xrealloc(x->pending, x->cap_pending * sizeof *x->pending);
        }
        uint8_t *b = emu_xmalloc(len);
        memcpy(b, row, len);
        x->pending[x->n_pending].action = action;
        x->pending[x->n_pending].row = b;
        x->pending[x->n_pending++].len = len;
        return true;
    }
    return false;
}

/* ---- handlers ---------------------------------------------------------------- */

emu_rc ots_start_local_transaction(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__StartLocalTransactionRequest *m = r->msg;
    ots_table_t *t;
    ots_row_t key;
    emu_rc rc;

    if (!m->table_name || !*m->table_name)
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "Invalid table name: ''.");
    if ((rc = ots_find_table(call, m->table_name, &t, &call->err)))
        return rc;
    const ots_table_schema *s = ots_table_schema_of(t);
    if (!s->opts.local_txn)
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "Try to call method using explicit transaction on "
                        "explicit-transaction-disabled table.");
    if ((rc = ots_plainbuffer_decode_row(m->key.data, m->key.len, call->arena, &key, &call->err)))
        return rc;
    if (key.n_pk != 1)
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "StartLocalTransaction support only one primary key.");
    const ots_cell *k = &key.pk[0];
    static const ots_vtype vt[] = {[OTS_PK_INTEGER] = OTS_VT_INTEGER,
                                   [OTS_PK_STRING] = OTS_VT_STRING,
                                   [OTS_PK_BINARY] = OTS_VT_BINARY};
    if (!k->has_value || k->name.len != strlen(s->pk[0].name) ||
        memcmp(k->name.p, s->pk[0].name, k->name.len))
        /* [inferred] text */
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "The key of StartLocalTransaction must be the partition key %s.",
                        s->pk[0].name);
    if (k->value.type != vt[s->pk[0].type])
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "Validate PK type fail. Input: VT_%s, Meta: VT_%s.",
                        ots_vtype_name(k->value.type), ots_vtype_name(vt[s->pk[0].type]));
    for (size_t i = 0; i < s->n_pk; i++)
        if (s->pk[i].auto_increment)
            /* [inferred] text; the documentation: auto-increment columns and
             * local transactions cannot be used together. */
            return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                            "Local transactions are not supported on a table with an "
                            "auto-increment primary key column.");
    if ((rc = ots_txn_check_lock(call, t, &key, &call->err)))
        return rc;
    if (g_n == EMU_MAX_OTS_TXNS)
        return ots_fail(&call->err, EMU_E_LIMIT, "OTSQuotaExhausted",
                        "Too many open local transactions (acsemu keeps %d).", EMU_MAX_OTS_TXNS);

    ots_txn *x = emu_xcalloc(1, sizeof *x);
    uint8_t raw[16];
    emu_rand_bytes(raw, sizeof raw);
    for (size_t i = 0; i < 16; i++)
        snprintf(x->id + 2 * i, 3, "%02X", raw[i]);
    x->world_gen = call->server->world_gen;
    x->account = emu_xstrdup(r->owner->id);
    x->instance = emu_xstrdup(r->instance_name);
    x->table = emu_xstrdup(s->name);
    x->live = t;
    x->live_created_ms = ots_table_created_ms(t);
    x->arena = emu_arena_new(1 << 12);
    x->pk0 = k->value;
    if (x->pk0.type == OTS_VT_STRING || x->pk0.type == OTS_VT_BINARY) {
        uint8_t *p = emu_arena_alloc(x->arena, x->pk0.len ? x->pk0.len : 1);
        memcpy(p, x->pk0.p, x->pk0.len);
        x->pk0.p = p;
    }
    x->key_len = ots__key_encode(&x->pk0, 1, x->key);
    x->deadline_ms = emu_clock_now_ms() + OTS_TXN_LIFETIME_MS;
    x->store = ots_store_new(NULL);
    g_txn[g_n++] = x;
    ots_instance_t *pin;
    ots_table_schema cs = *s;
    if ((rc = ots_store_instance_create(x->store, "txn", OTS_NET_ANY, &pin, &call->err)) ||
        (rc = ots_store_table_create(pin, &cs, &x->copy, &call->err)) ||
        (rc = copy_partition(t, x, &call->err))) {
        txn_free(g_n - 1);
        call->err.code = "OTSInternalServerError";
        return rc;
    }

    Ots__StartLocalTransactionResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    ots__start_local_transaction_response__init(resp);
    resp->transaction_id = emu_arena_strdup(call->arena, x->id);
    r->resp = &resp->base;
    return EMU_OK;
}

static emu_rc finish(emu_call *call, const char *id, bool commit)
{
    ots_req *r = ots_req_of(call);
    ots_txn *x = ots_txn_get(call, id, &call->err);
    emu_rc rc = EMU_OK;
    if (!x)
        return call->err.rc;
    ots_table_t *live = ots_store_table_find(r->instance, x->table); /* x->live: ots_txn_get */
    if (commit)
        rc = write_back(call, r->instance, live, x, &call->err);
    for (size_t i = 0; commit && !rc && ots_stream_enabled(live) && i < x->n_pending; i++)
        rc = ots_stream_append(call, live, x->pending[i].action, x->pending[i].row,
                               x->pending[i].len, &call->err);
    for (size_t i = 0; i < g_n; i++)
        if (g_txn[i] == x) {
            txn_free(i);
            break;
        }
    if (rc) {
        call->err.code = "OTSInternalServerError";
        return rc;
    }
    if (commit) {
        Ots__CommitTransactionResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
        ots__commit_transaction_response__init(resp);
        r->resp = &resp->base;
    } else {
        Ots__AbortTransactionResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
        ots__abort_transaction_response__init(resp);
        r->resp = &resp->base;
    }
    return EMU_OK;
}

emu_rc ots_commit_transaction(emu_call *call)
{
    const Ots__CommitTransactionRequest *m = ots_req_of(call)->msg;
    return finish(call, m->transaction_id, true);
}

emu_rc ots_abort_transaction(emu_call *call)
{
    const Ots__AbortTransactionRequest *m = ots_req_of(call)->msg;
    return finish(call, m->transaction_id, false);
}
