/* Eventual consistency of global secondary indexes, on demand.
 *
 * By default every index follows its table at once. A fault rule with
 * "index_lag_ms" (emu/faults.h) makes the writes it matches reach their
 * table's global indexes that many milliseconds of virtual time later, as
 * the service's asynchronous global indexes do: until then GetRow /
 * GetRange / BatchGetRow on the index read the old index rows. Local
 * indexes stay synchronous (as the service's).
 *
 * A delayed change waits in a FIFO with the base row before and after it
 * (deep copies) and the names of its account, instance and index; any
 * Tablestore call that looks up a table first applies the changes that are
 * due (ots_find_table), so moving the virtual clock (POST /_emu/clock)
 * makes them visible. Once an index has a change waiting, its later
 * changes queue behind it (due no earlier), so an index never goes
 * backwards. A world reset or checkpoint restore drops the queue; a change
 * whose index or table is gone is dropped. The queue is in memory only: a
 * restarted --data-dir sandbox has its indexes rebuilt from the rows. */
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/limits.h"
#include "ots_svc_int.h"

typedef struct lag_entry {
    uint64_t world_gen;
    int64_t due_ms;
    char *account, *instance, *index;
    emu_arena *a; /* the rows */
    ots_row_t *old, *now;
} lag_entry;

static lag_entry *g_q; /* FIFO: g_q[g_head .. g_head + g_n) */
static size_t g_head, g_n, g_cap;

static void entry_free(lag_entry *e)
{
    emu_arena_free(e->a);
    free(e->account);
    free(e->instance);
    free(e->index);
}

static ots_row_t *row_dup(emu_arena *a, const ots_row_t *r)
{
    if (!r)
        return NULL;
    ots_row_t *o = emu_arena_alloc(a, sizeof *o);
    *o = *r;
    size_t n = r->n_pk + r->n_attrs;
    ots_cell *c = emu_arena_alloc(a, (n ? n : 1) * sizeof *c);
    for (size_t i = 0; i < n; i++) {
        ots_cell x = i < r->n_pk ? r->pk[i] : r->attrs[i - r->n_pk];
        x.name = emu_str_c(emu_arena_strndup(a, x.name.p, x.name.len));
        if (x.has_value && (x.value.type == OTS_VT_STRING || x.value.type == OTS_VT_BINARY)) {
            uint8_t *p = emu_arena_alloc(a, x.value.len ? x.value.len : 1);
            memcpy(p, x.value.p, x.value.len);
            x.value.p = p;
        }
        c[i] = x;
    }
    o->pk = c;
    o->attrs = c + r->n_pk;
    return o;
}

/* The latest due time queued for index `name` of the call's instance, or
 * INT64_MIN when none waits. */
static int64_t queued_until(const emu_call *call, const char *name)
{
    const ots_req *r = ots_req_of(call);
    int64_t until = INT64_MIN;
    for (size_t k = 0; k < g_n; k++) {
        const lag_entry *e = &g_q[(g_head + k) % g_cap];
        if (e->world_gen == call->server->world_gen && !strcmp(e->index, name) &&
            !strcmp(e->instance, r->instance_name) && !strcmp(e->account, r->owner->id) &&
            e->due_ms > until)
            until = e->due_ms;
    }
    return until;
}

static void push(const emu_call *call, const char *index, int64_t due, const ots_row_t *old,
                 const ots_row_t *now)
{
    const ots_req *r = ots_req_of(call);
    if (g_n == g_cap) {
        size_t cap = g_cap ? g_cap * 2 : 64;
        lag_entry *q = emu_xmalloc(cap * sizeof *q);
        for (size_t k = 0; k < g_n; k++)
            q[k] = g_q[(g_head + k) % g_cap];
        free(g_q);
        g_q = q;
        g_head = 0;
        g_cap = cap;
    }
    lag_entry *e = &g_q[(g_head + g_n++) % g_cap];
    e->world_gen = call->server->world_gen;
    e->due_ms = due;
    e->account = emu_xstrdup(r->owner->id);
    e->instance = emu_xstrdup(r->instance_name);
    e->index = emu_xstrdup(index);
    e->a = emu_arena_new(1024);
    e->old = row_dup(e->a, old);
    e->now = row_dup(e->a, now);
}

emu_rc ots_index_apply_lagged(const emu_call *call, ots_instance_t *in, const ots_table_t *base,
                              const ots_row_t *old, const ots_row_t *now, unsigned lag_ms,
                              emu_arena *a, emu_err *err)
{
    const ots_index_def *defs[OTS_MAX_INDEXES_PER_TABLE];
    size_t n = ots_index_list(in, ots_table_schema_of(base)->name, defs, OTS_MAX_INDEXES_PER_TABLE);
    int64_t now_ms = emu_clock_now_ms();
    for (size_t i = 0; i < n && i < OTS_MAX_INDEXES_PER_TABLE; i++) {
        int64_t until = defs[i]->local ? INT64_MIN : queued_until(call, defs[i]->name);
        if (!defs[i]->local && (lag_ms || until != INT64_MIN) &&
            g_n < EMU_MAX_OTS_INDEX_LAG_QUEUE) {
            int64_t due = now_ms + lag_ms;
            push(call, defs[i]->name, due > until ? due : until, old, now);
            continue;
        }
        ots_table_t *t = ots_store_table_find(in, defs[i]->name);
        emu_rc rc = t ? ots_index_apply_one(t, defs[i], base, old, now, a, err) : EMU_OK;
        if (rc)
            return rc;
    }
    if (n)
        ots_index_lag_flush(call);
    return EMU_OK;
}

void ots_index_lag_flush(const emu_call *call)
{
    if (!g_n)
        return;
    int64_t now_ms = emu_clock_now_ms();
    int sec = world_section_index("Tablestore");
    /* Changes of one index are queued in non-decreasing due order (see
     * ots_index_apply_lagged), so taking every due entry keeps each
     * index's order. */
    size_t kept = 0;
    for (size_t k = 0; k < g_n; k++) {
        lag_entry *e = &g_q[(g_head + k) % g_cap];
        bool stale = e->world_gen != call->server->world_gen;
        if (!stale && e->due_ms > now_ms) {
            g_q[(g_head + kept++) % g_cap] = *e;
            continue;
        }
        if (!stale && sec >= 0) {
            world_account *acc = world_account_find(call->world, e->account);
            ots_instance_t *in = acc ? ots_section_instance(acc->sections[sec], e->instance) : NULL;
            const ots_index_def *d = in ? ots_index_find(in, e->index) : NULL;
            ots_table_t *t = d ? ots_store_table_find(in, d->name) : NULL;
            const ots_table_t *base = d ? ots_store_table_find(in, d->base) : NULL;
            emu_err err = {0};
            if (t && base)
                (void)ots_index_apply_one(t, d, base, e->old, e->now, e->a, &err);
        }
        entry_free(e);
    }
    g_n = kept;
}
