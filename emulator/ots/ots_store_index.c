/* The ordered index of a table: a persistent (path-copying) B+tree of row
 * blobs, 64-way, with reference-counted nodes.
 *
 * Why a B+tree: a leaf costs 8 bytes per row slot (~10 at the fill we get)
 * and inner nodes 1/64 of that again, where a skiplist needs ~3 pointers and
 * a level byte per row and one allocation per node; a lookup is ~4 levels of
 * binary search at 1M rows; a range scan walks leaf arrays (cache-friendly);
 * and it is deterministic (no coin flips), like the rest of the emulator.
 *
 * Why persistent: checkpoints. A copy of a table (ots__ix_copy) takes one
 * reference to the root, so it costs O(1) whatever the row count. A node
 * with a single reference belongs to one tree and is changed in place; a
 * write that meets a shared node on its way down copies it first (own()),
 * taking a reference to each child, and drops its reference to the
 * original. A write therefore copies at most one root-to-leaf path (~4 nodes
 * at 1M rows), memory grows only with what changes after a copy, and
 * dropping the last reference to a version frees exactly the nodes only it
 * held. Row blobs are shared the same way (srow.refs counts leaves), and so
 * are separators (bt_sep.refs counts inner nodes).
 *
 * No sibling links between leaves (a link would tie a leaf to one tree):
 * cursors keep the root-to-leaf path instead (ots_store_cursor), and step to
 * the neighbouring leaf through it, so a range scan stays O(log n + k) in
 * both directions.
 *
 * Appends (sorted rows files, auto-increment keys) split a full rightmost
 * node by moving only the new entry, so bulk loads leave nodes ~100% full
 * instead of the 50% a middle split gives. Deletion frees a node when it
 * becomes empty but does not merge half-empty neighbours. Every remaining
 * leaf holds at least one row, and the height only grows when a full root
 * splits: it stays below OTS_STORE_MAX_DEPTH for any number of writes a
 * process can make (each extra level needs ~32 times the splits of the one
 * below). Separators are copies of the first key of the right subtree at
 * split time; a stale separator is still a correct bound. */
#include <assert.h>
#include <stdlib.h>

#include "emu/arena.h"
#include "ots_store_int.h"

#define LEAF_MAX 64
#define INNER_MAX 64

struct bt_node {
    uint32_t refs; /* trees and parent nodes holding this node */
    uint16_t n;    /* rows (leaf) or children (inner) */
    uint8_t leaf;
};

typedef struct bt_leaf {
    bt_node h;
    srow *rows[LEAF_MAX];
} bt_leaf;

typedef struct bt_sep {
    uint32_t refs;
    uint32_t len;
    uint8_t p[];
} bt_sep;

typedef struct bt_inner {
    bt_node h;
    bt_node *child[INNER_MAX];
    bt_sep *sep[INNER_MAX - 1]; /* sep[i] <= every key of child[i+1] */
} bt_inner;

/* ---- Searching -------------------------------------------------------------- */

/* Index of the first row in leaf >= key. */
static int leaf_lower(const bt_leaf *l, const uint8_t *k, size_t klen)
{
    int lo = 0, hi = l->h.n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        const srow *r = l->rows[mid];
        if (ots__key_cmp(ots__srow_key(r), r->key_len, k, klen) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Child index of an inner node for key: the number of separators <= key. */
static int inner_child(const bt_inner *in, const uint8_t *k, size_t klen)
{
    int lo = 0, hi = in->h.n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (ots__key_cmp(in->sep[mid]->p, in->sep[mid]->len, k, klen) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

srow *ots__ix_get(const ots_table_t *t, const uint8_t *k, size_t klen)
{
    const bt_node *n = t->root;
    if (!n)
        return NULL;
    while (!n->leaf) {
        const bt_inner *in = (const bt_inner *)n;
        n = in->child[inner_child(in, k, klen)];
    }
    const bt_leaf *l = (const bt_leaf *)n;
    int i = leaf_lower(l, k, klen);
    if (i == l->h.n)
        return NULL;
    srow *r = l->rows[i];
    return ots__key_cmp(ots__srow_key(r), r->key_len, k, klen) ? NULL : r;
}

const srow *ots__ix_last(const ots_table_t *t)
{
    const bt_node *n = t->root;
    if (!n)
        return NULL;
    while (!n->leaf) {
        const bt_inner *in = (const bt_inner *)n;
        n = in->child[in->h.n - 1];
    }
    const bt_leaf *l = (const bt_leaf *)n;
    return l->rows[l->h.n - 1];
}

/* ---- Nodes, references and copy on write ------------------------------------- */

static bt_leaf *leaf_new(ots_table_t *t)
{
    bt_leaf *l = emu_xcalloc(1, sizeof *l);
    l->h.refs = 1;
    l->h.leaf = 1;
    t->n_leaves++;
    return l;
}

static bt_inner *inner_new(ots_table_t *t)
{
    bt_inner *in = emu_xcalloc(1, sizeof *in);
    in->h.refs = 1;
    t->n_inner++;
    return in;
}

static bt_sep *sep_new(ots_table_t *t, const uint8_t *k, size_t klen)
{
    bt_sep *s = emu_xmalloc(sizeof *s + (klen ? klen : 1));
    s->refs = 1;
    s->len = (uint32_t)klen;
    memcpy(s->p, k, klen);
    t->sep_bytes += sizeof *s + klen;
    return s;
}

static void sep_unref(bt_sep *s)
{
    if (!--s->refs)
        free(s);
}

/* Drops one reference to n; the last one frees n and drops n's references
 * to its children, separators or rows. Recursion depth is the height. */
static void node_unref(bt_node *n)
{
    assert(n->refs > 0);
    if (--n->refs)
        return;
    if (n->leaf) {
        bt_leaf *l = (bt_leaf *)n;
        for (int i = 0; i < l->h.n; i++)
            ots__srow_unref(l->rows[i]);
    } else {
        bt_inner *in = (bt_inner *)n;
        for (int i = 0; i < in->h.n; i++)
            node_unref(in->child[i]);
        for (int i = 0; i + 1 < in->h.n; i++)
            sep_unref(in->sep[i]);
    }
    free(n);
}

/* Makes *slot a node that only this tree holds, copying a shared one. The
 * caller reached slot through nodes it already owns (or slot is the root
 * pointer of the table), so the copy is reachable from this tree only. */
static bt_node *own(bt_node **slot)
{
    bt_node *n = *slot;
    if (n->refs == 1)
        return n;
    bt_node *c;
    if (n->leaf) {
        const bt_leaf *l = (const bt_leaf *)n;
        bt_leaf *cl = emu_xmalloc(sizeof *cl);
        cl->h = l->h;
        memcpy(cl->rows, l->rows, (size_t)l->h.n * sizeof *cl->rows);
        for (int i = 0; i < l->h.n; i++)
            cl->rows[i]->refs++;
        c = &cl->h;
    } else {
        const bt_inner *in = (const bt_inner *)n;
        bt_inner *ci = emu_xmalloc(sizeof *ci);
        ci->h = in->h;
        memcpy(ci->child, in->child, (size_t)in->h.n * sizeof *ci->child);
        memcpy(ci->sep, in->sep, (size_t)(in->h.n - 1) * sizeof *ci->sep);
        for (int i = 0; i < in->h.n; i++)
            ci->child[i]->refs++;
        for (int i = 0; i + 1 < in->h.n; i++)
            ci->sep[i]->refs++;
        c = &ci->h;
    }
    c->refs = 1;
    n->refs--; /* was > 1: the other holders keep it */
    *slot = c;
    return c;
}

/* ---- Writing ------------------------------------------------------------------- */

/* Stores r below *slot, replacing a row with the same key into *old. When the
 * node splits, returns the new right sibling and sets *sep to its lower
 * bound. */
static bt_node *bt_put(ots_table_t *t, bt_node **slot, srow *r, srow **old, bt_sep **sep)
{
    bt_node *n = own(slot);
    const uint8_t *k = ots__srow_key(r);
    if (n->leaf) {
        bt_leaf *l = (bt_leaf *)n;
        int pos = leaf_lower(l, k, r->key_len);
        if (pos < l->h.n &&
            !ots__key_cmp(ots__srow_key(l->rows[pos]), l->rows[pos]->key_len, k, r->key_len)) {
            *old = l->rows[pos];
            l->rows[pos] = r;
            return NULL;
        }
        if (l->h.n < LEAF_MAX) {
            memmove(&l->rows[pos + 1], &l->rows[pos], (size_t)(l->h.n - pos) * sizeof(srow *));
            l->rows[pos] = r;
            l->h.n++;
            return NULL;
        }
        srow *tmp[LEAF_MAX + 1];
        memcpy(tmp, l->rows, (size_t)pos * sizeof(srow *));
        tmp[pos] = r;
        memcpy(&tmp[pos + 1], &l->rows[pos], (size_t)(LEAF_MAX - pos) * sizeof(srow *));
        int split = pos == LEAF_MAX ? LEAF_MAX : (LEAF_MAX + 1) / 2;
        bt_leaf *right = leaf_new(t);
        memcpy(l->rows, tmp, (size_t)split * sizeof(srow *));
        l->h.n = (uint16_t)split;
        memcpy(right->rows, &tmp[split], (size_t)(LEAF_MAX + 1 - split) * sizeof(srow *));
        right->h.n = (uint16_t)(LEAF_MAX + 1 - split);
        *sep = sep_new(t, ots__srow_key(right->rows[0]), right->rows[0]->key_len);
        return &right->h;
    }

    bt_inner *in = (bt_inner *)n;
    int ci = inner_child(in, k, r->key_len);
    bt_sep *up;
    bt_node *right = bt_put(t, &in->child[ci], r, old, &up);
    if (!right)
        return NULL;
    int nc = in->h.n;
    if (nc < INNER_MAX) {
        memmove(&in->child[ci + 2], &in->child[ci + 1], (size_t)(nc - ci - 1) * sizeof(bt_node *));
        memmove(&in->sep[ci + 1], &in->sep[ci], (size_t)(nc - 1 - ci) * sizeof(bt_sep *));
        in->child[ci + 1] = right;
        in->sep[ci] = up;
        in->h.n++;
        return NULL;
    }
    bt_node *tc[INNER_MAX + 1];
    bt_sep *ts[INNER_MAX];
    memcpy(tc, in->child, (size_t)(ci + 1) * sizeof(bt_node *));
    tc[ci + 1] = right;
    memcpy(&tc[ci + 2], &in->child[ci + 1], (size_t)(INNER_MAX - ci - 1) * sizeof(bt_node *));
    memcpy(ts, in->sep, (size_t)ci * sizeof(bt_sep *));
    ts[ci] = up;
    memcpy(&ts[ci + 1], &in->sep[ci], (size_t)(INNER_MAX - 1 - ci) * sizeof(bt_sep *));
    /* Children 0..split-1 stay; separator split-1 moves up. */
    int split = ci + 1 == INNER_MAX ? INNER_MAX : (INNER_MAX + 1) / 2;
    bt_inner *rn = inner_new(t);
    memcpy(in->child, tc, (size_t)split * sizeof(bt_node *));
    memcpy(in->sep, ts, (size_t)(split - 1) * sizeof(bt_sep *));
    in->h.n = (uint16_t)split;
    memcpy(rn->child, &tc[split], (size_t)(INNER_MAX + 1 - split) * sizeof(bt_node *));
    memcpy(rn->sep, &ts[split], (size_t)(INNER_MAX - split) * sizeof(bt_sep *));
    rn->h.n = (uint16_t)(INNER_MAX + 1 - split);
    *sep = ts[split - 1];
    return &rn->h;
}

srow *ots__ix_put(ots_table_t *t, srow *r)
{
    srow *old = NULL;
    r->refs++;
    if (!t->root) {
        bt_leaf *l = leaf_new(t);
        l->rows[0] = r;
        l->h.n = 1;
        t->root = &l->h;
        t->height = 1;
    } else {
        bt_sep *sep;
        bt_node *right = bt_put(t, &t->root, r, &old, &sep);
        if (right) {
            bt_inner *root = inner_new(t);
            root->child[0] = t->root;
            root->child[1] = right;
            root->sep[0] = sep;
            root->h.n = 2;
            t->root = &root->h;
            t->height++;
            assert(t->height <= OTS_STORE_MAX_DEPTH);
        }
    }
    if (old)
        t->row_bytes -= old->size;
    else
        t->n_rows++;
    t->row_bytes += r->size;
    return old;
}

/* Removes the row with key k (known to be stored) below *slot into
 * *removed. Returns true when the node became empty and was freed. */
static bool bt_remove(ots_table_t *t, bt_node **slot, const uint8_t *k, size_t klen, srow **removed)
{
    bt_node *n = own(slot);
    if (n->leaf) {
        bt_leaf *l = (bt_leaf *)n;
        int i = leaf_lower(l, k, klen);
        assert(i < l->h.n);
        *removed = l->rows[i];
        memmove(&l->rows[i], &l->rows[i + 1], (size_t)(l->h.n - i - 1) * sizeof(srow *));
        if (--l->h.n)
            return false;
        free(l); /* owned, so nothing else holds it */
        t->n_leaves--;
        return true;
    }
    bt_inner *in = (bt_inner *)n;
    int ci = inner_child(in, k, klen);
    if (!bt_remove(t, &in->child[ci], k, klen, removed))
        return false;
    int nc = in->h.n;
    /* Drop the child and the separator on its left (or, for child 0, the one
     * on its right: child 1 inherits this node's lower bound). */
    if (nc > 1) {
        int si = ci > 0 ? ci - 1 : 0;
        t->sep_bytes -= sizeof(bt_sep) + in->sep[si]->len;
        sep_unref(in->sep[si]);
        memmove(&in->sep[si], &in->sep[si + 1], (size_t)(nc - 2 - si) * sizeof(bt_sep *));
    }
    memmove(&in->child[ci], &in->child[ci + 1], (size_t)(nc - ci - 1) * sizeof(bt_node *));
    if (--in->h.n)
        return false;
    free(in);
    t->n_inner--;
    return true;
}

srow *ots__ix_remove(ots_table_t *t, const uint8_t *k, size_t klen)
{
    srow *removed = NULL;
    /* Look first: removing an absent key must not copy a shared path. */
    if (!ots__ix_get(t, k, klen))
        return NULL;
    if (bt_remove(t, &t->root, k, klen, &removed)) {
        t->root = NULL;
        t->height = 0;
    }
    /* Shrink the height while the root has a single child. The child may be
     * shared with a copy, so it is handed over by reference, never freed. */
    while (t->root && !t->root->leaf && t->root->n == 1) {
        bt_node *old = t->root;
        bt_node *c = ((bt_inner *)old)->child[0];
        c->refs++;
        node_unref(old);
        t->root = c;
        t->height--;
        t->n_inner--;
    }
    t->n_rows--;
    t->row_bytes -= removed->size;
    return removed;
}

void ots__ix_release(ots_table_t *t)
{
    if (t->root)
        node_unref(t->root);
    t->root = NULL;
    t->height = 0;
    t->n_rows = t->row_bytes = t->n_leaves = t->n_inner = t->sep_bytes = 0;
}

void ots__ix_copy(ots_table_t *dst, const ots_table_t *src)
{
    assert(!dst->root);
    dst->root = src->root;
    if (dst->root)
        dst->root->refs++;
    dst->height = src->height;
    dst->n_rows = src->n_rows;
    dst->row_bytes = src->row_bytes;
    dst->n_leaves = src->n_leaves;
    dst->n_inner = src->n_inner;
    dst->sep_bytes = src->sep_bytes;
}

size_t ots__ix_bytes(const ots_table_t *t)
{
    return t->n_leaves * sizeof(bt_leaf) + t->n_inner * sizeof(bt_inner) + t->sep_bytes;
}

static void count_nodes(const bt_node *n, bool shared_above, ots__ix_stats *st)
{
    bool shared = shared_above || n->refs > 1;
    st->nodes++;
    if (shared)
        st->shared_nodes++;
    if (n->leaf) {
        const bt_leaf *l = (const bt_leaf *)n;
        for (int i = 0; i < l->h.n; i++)
            if (l->rows[i]->refs > 1)
                st->shared_rows++;
        return;
    }
    const bt_inner *in = (const bt_inner *)n;
    for (int i = 0; i < in->h.n; i++)
        count_nodes(in->child[i], shared, st);
}

ots__ix_stats ots__ix_count(const ots_table_t *t)
{
    ots__ix_stats st = {0};
    if (t->root)
        count_nodes(t->root, false, &st);
    return st;
}

/* ---- Cursors ------------------------------------------------------------------------ */

/* Fills the path from n (at level lvl) down to its first (or last) row. */
static void descend(ots_store_cursor *c, const bt_node *n, int lvl, bool last)
{
    for (;;) {
        assert(lvl < OTS_STORE_MAX_DEPTH);
        int pos = last ? n->n - 1 : 0;
        c->node[lvl] = (void *)n;
        c->pos[lvl] = (uint16_t)pos;
        if (n->leaf)
            break;
        n = ((const bt_inner *)n)->child[pos];
        lvl++;
    }
    c->depth = (uint8_t)(lvl + 1);
}

void ots__cur_first(const ots_table_t *t, ots_store_cursor *c)
{
    c->depth = 0;
    if (t->root)
        descend(c, t->root, 0, false);
}

static void cur_last(const ots_table_t *t, ots_store_cursor *c)
{
    c->depth = 0;
    if (t->root)
        descend(c, t->root, 0, true);
}

srow *ots__cur_row(const ots_store_cursor *c)
{
    if (!c->depth)
        return NULL;
    const bt_leaf *l = c->node[c->depth - 1];
    return l->rows[c->pos[c->depth - 1]];
}

void ots__cur_next(ots_store_cursor *c)
{
    if (!c->depth)
        return;
    int d = c->depth - 1;
    const bt_leaf *l = c->node[d];
    if (++c->pos[d] < l->h.n)
        return;
    while (--d >= 0) {
        const bt_inner *in = c->node[d];
        if (++c->pos[d] < in->h.n) {
            descend(c, in->child[c->pos[d]], d + 1, false);
            return;
        }
    }
    c->depth = 0;
}

void ots__cur_prev(ots_store_cursor *c)
{
    if (!c->depth)
        return;
    int d = c->depth - 1;
    if (c->pos[d] > 0) {
        c->pos[d]--;
        return;
    }
    while (--d >= 0) {
        const bt_inner *in = c->node[d];
        if (c->pos[d] > 0) {
            c->pos[d]--;
            descend(c, in->child[c->pos[d]], d + 1, true);
            return;
        }
    }
    c->depth = 0;
}

void ots__cur_seek(const ots_table_t *t, const uint8_t *k, size_t klen, ots_store_cursor *c)
{
    const bt_node *n = t->root;
    int lvl = 0;
    c->depth = 0;
    if (!n)
        return;
    while (!n->leaf) {
        const bt_inner *in = (const bt_inner *)n;
        int ci = inner_child(in, k, klen);
        assert(lvl < OTS_STORE_MAX_DEPTH);
        c->node[lvl] = (void *)n;
        c->pos[lvl++] = (uint16_t)ci;
        n = in->child[ci];
    }
    const bt_leaf *l = (const bt_leaf *)n;
    int i = leaf_lower(l, k, klen);
    c->node[lvl] = (void *)l;
    c->depth = (uint8_t)(lvl + 1);
    if (i < l->h.n) {
        c->pos[lvl] = (uint16_t)i;
        return;
    }
    /* Every key here is smaller: the answer is the next leaf's first row. */
    c->pos[lvl] = (uint16_t)(l->h.n - 1);
    ots__cur_next(c);
}

void ots__cur_seek_le(const ots_table_t *t, const uint8_t *k, size_t klen, ots_store_cursor *c)
{
    ots__cur_seek(t, k, klen, c);
    const srow *r = ots__cur_row(c);
    if (!r)
        cur_last(t, c);
    else if (ots__key_cmp(ots__srow_key(r), r->key_len, k, klen) != 0)
        ots__cur_prev(c);
}
