/* Search indexes: the registry, schemas, analyzers and the postings each
 * index keeps in step with its table (see ots_search_int.h).
 *
 * What an index is lives in a registry keyed by instance, like secondary
 * indexes (ots_index.c): the Tablestore world section copies and forgets
 * the entries when it clones and frees a store. The copy of an index shares
 * its postings copy-on-write (ots_keyset_clone) and observes the copied
 * table, so a checkpoint, a restore and a reset cost O(indexes).
 *
 * Maintenance: the table's write observer (emu/ots_store.h) hands over the
 * stored row before and after every write; the index removes the postings
 * of the old row and adds those of the new one, before the write is
 * answered (the index is in sync when the caller hears back). Everything
 * runs on the loop thread. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu/clock.h"
#include "emu/limits.h"
#include "ots_search_int.h"

/* ---- Registry -------------------------------------------------------------- */

typedef struct sx_inst {
    const ots_instance_t *in;
    ots_search_def **defs;
    size_t n, cap;
} sx_inst;

static sx_inst *g_inst;
static size_t g_n, g_cap;

static sx_inst *inst_of(const ots_instance_t *in, bool create)
{
    for (size_t i = 0; i < g_n; i++)
        if (g_inst[i].in == in)
            return &g_inst[i];
    if (!create)
        return NULL;
    if (g_n == g_cap) {
        g_cap = g_cap ? g_cap * 2 : 8;
        g_inst = emu_xrealloc(g_inst, g_cap * sizeof *g_inst);
    }
    g_inst[g_n] = (sx_inst){in, NULL, 0, 0};
    return &g_inst[g_n++];
}

static void field_free(ots_sfield *f)
{
    free(f->name);
    free(f->column);
    free(f->sub);
    free(f->delimiter);
    for (size_t i = 0; i < f->n_date_formats; i++)
        free(f->date_formats[i]);
    free(f->date_formats);
}

static void def_free(ots_search_def *d)
{
    if (d->base)
        ots_table_remove_observer(d->base, ots_search_observe, d);
    for (size_t i = 0; i < d->n_f; i++)
        field_free(&d->f[i]);
    free(d->f);
    free(d->schema);
    free(d->table);
    free(d->name);
    ots_keyset_free(d->post);
    free(d);
}

static ots_search_def *def_dup(const ots_search_def *s)
{
    ots_search_def *d = emu_xcalloc(1, sizeof *d);
    d->table = emu_xstrdup(s->table);
    d->name = emu_xstrdup(s->name);
    d->f = emu_xcalloc(s->n_f ? s->n_f : 1, sizeof *d->f);
    d->n_f = s->n_f;
    for (size_t i = 0; i < s->n_f; i++) {
        const ots_sfield *a = &s->f[i];
        ots_sfield *b = &d->f[i];
        *b = *a;
        b->name = emu_xstrdup(a->name);
        b->column = emu_xstrdup(a->column);
        b->sub = a->sub ? emu_xstrdup(a->sub) : NULL;
        b->delimiter = a->delimiter ? emu_xstrdup(a->delimiter) : NULL;
        b->date_formats = emu_xcalloc(a->n_date_formats + 1, sizeof(char *));
        for (size_t k = 0; k < a->n_date_formats; k++)
            b->date_formats[k] = emu_xstrdup(a->date_formats[k]);
    }
    d->schema = emu_xmalloc(s->schema_len ? s->schema_len : 1);
    memcpy(d->schema, s->schema, s->schema_len);
    d->schema_len = s->schema_len;
    d->ttl_s = s->ttl_s;
    d->created_ms = s->created_ms;
    d->post = ots_keyset_clone(s->post);
    return d;
}

static void inst_add(const ots_instance_t *in, ots_search_def *d)
{
    sx_inst *e = inst_of(in, true);
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 4;
        e->defs = emu_xrealloc(e->defs, e->cap * sizeof *e->defs);
    }
    e->defs[e->n++] = d;
}

static void inst_drop(sx_inst *e)
{
    for (size_t k = 0; k < e->n; k++)
        def_free(e->defs[k]);
    free(e->defs);
    *e = g_inst[--g_n];
    if (!g_n) {
        free(g_inst);
        g_inst = NULL;
        g_cap = 0;
    }
}

void ots_search_clone_store(const ots_store_t *from, const ots_store_t *to)
{
    size_t n = ots_store_instance_count(from);
    for (size_t i = 0; i < n && i < ots_store_instance_count(to); i++) {
        const sx_inst *e = inst_of(ots_store_instance_at(from, i), false);
        ots_instance_t *tin = ots_store_instance_at(to, i);
        for (size_t k = 0; e && k < e->n; k++) {
            ots_search_def *d = def_dup(e->defs[k]);
            d->base = ots_store_table_find(tin, d->table);
            if (d->base)
                ots_table_add_observer(d->base, ots_search_observe, d);
            inst_add(tin, d);
            e = inst_of(ots_store_instance_at(from, i), false); /* g_inst may move */
        }
    }
}

void ots_search_forget_store(const ots_store_t *s)
{
    for (size_t i = 0; s && i < ots_store_instance_count(s); i++) {
        sx_inst *e = inst_of(ots_store_instance_at(s, i), false);
        if (e) {
            /* The tables go with the store: no observer to remove. */
            for (size_t k = 0; k < e->n; k++)
                e->defs[k]->base = NULL;
            inst_drop(e);
        }
    }
}

ots_search_def *ots_search_find(const ots_instance_t *in, const char *table, const char *name)
{
    const sx_inst *e = inst_of(in, false);
    for (size_t k = 0; e && k < e->n; k++)
        if (!strcmp(e->defs[k]->name, name) && (!table || !strcmp(e->defs[k]->table, table)))
            return e->defs[k];
    return NULL;
}

size_t ots_search_list(const ots_instance_t *in, const char *table, ots_search_def **out,
                       size_t cap)
{
    const sx_inst *e = inst_of(in, false);
    size_t n = 0;
    for (size_t k = 0; e && k < e->n; k++)
        if (!table || !strcmp(e->defs[k]->table, table)) {
            if (n < cap)
                out[n] = e->defs[k];
            n++;
        }
    return n;
}

void ots_search_drop(const ots_instance_t *in, ots_search_def *d)
{
    sx_inst *e = inst_of(in, false);
    for (size_t k = 0; e && k < e->n; k++)
        if (e->defs[k] == d) {
            def_free(d);
            e->defs[k] = e->defs[--e->n];
            if (!e->n)
                inst_drop(e);
            return;
        }
}

void ots_search_drop_table(const ots_instance_t *in, const char *table)
{
    ots_search_def *d;
    while (ots_search_list(in, table, &d, 1))
        ots_search_drop(in, d);
}

bool ots_search_has_nested(const ots_search_def *d)
{
    for (size_t i = 0; i < d->n_f; i++)
        if (d->f[i].type == OTS_SF_NESTED)
            return true;
    return false;
}

const ots_sfield *ots_search_field(const ots_search_def *d, const char *name)
{
    for (size_t i = 0; i < d->n_f; i++)
        if (!strcmp(d->f[i].name, name))
            return &d->f[i];
    return NULL;
}

/* ---- Value encodings --------------------------------------------------------- */

static void put_be64(uint64_t v, uint8_t *out)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

size_t ots_search_enc_i64(int64_t v, uint8_t *out)
{
    put_be64((uint64_t)v ^ (1ULL << 63), out);
    return 8;
}

int64_t ots_search_dec_i64(const uint8_t *p)
{
    return (int64_t)(get_be64(p) ^ (1ULL << 63));
}

size_t ots_search_enc_f64(double v, uint8_t *out)
{
    if (v == 0)
        v = 0; /* -0 sorts with 0 */
    uint64_t b;
    memcpy(&b, &v, 8);
    b = (b >> 63) ? ~b : b ^ (1ULL << 63);
    put_be64(b, out);
    return 8;
}

double ots_search_dec_f64(const uint8_t *p)
{
    uint64_t b = get_be64(p);
    b = (b >> 63) ? b ^ (1ULL << 63) : ~b;
    double v;
    memcpy(&v, &b, 8);
    return v;
}

size_t ots_search_enc_str(const uint8_t *s, size_t n, bool terminate, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        out[o++] = s[i];
        if (!s[i])
            out[o++] = 0xFF;
    }
    if (terminate) {
        out[o++] = 0;
        out[o++] = 0;
    }
    return o;
}

size_t ots_search_dec_str(const uint8_t *p, size_t n, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (!p[i]) {
            if (!p[i + 1])
                break;
            i++;
        }
        out[o++] = p[i];
    }
    return o;
}

size_t ots_search_value_len(ots_sf_type t, const uint8_t *p, size_t n)
{
    switch (t) {
    case OTS_SF_LONG:
    case OTS_SF_DOUBLE:
    case OTS_SF_DATE:
        return n >= 8 ? 8 : 0;
    case OTS_SF_BOOLEAN:
        return n >= 1 ? 1 : 0;
    case OTS_SF_GEO_POINT:
        return n >= 16 ? 16 : 0;
    default:
        for (size_t i = 0; i + 1 < n; i++)
            if (!p[i]) {
                if (!p[i + 1])
                    return i + 2;
                i++;
            }
        return 0;
    }
}

/* ---- Analyzers ------------------------------------------------------------------ */

/* Bytes of the UTF-8 sequence starting with c (1 for a stray byte). */
static size_t u8len(uint8_t c)
{
    return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

typedef struct toks {
    emu_arena *a;
    const char *text;
    emu_str *v;
    uint32_t *at, *span; /* NULL unless spans are asked for */
    size_t n, cap;
    bool spans;
} toks;

static void push_tok(toks *t, const char *s, size_t len, bool lower)
{
    if (!len)
        return;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 16;
        emu_str *nv = emu_arena_alloc(t->a, nc * sizeof *nv);
        if (t->n)
            memcpy(nv, t->v, t->n * sizeof *nv);
        t->v = nv;
        if (t->spans) {
            uint32_t *na = emu_arena_alloc(t->a, nc * sizeof *na);
            uint32_t *ns = emu_arena_alloc(t->a, nc * sizeof *ns);
            if (t->n) {
                memcpy(na, t->at, t->n * sizeof *na);
                memcpy(ns, t->span, t->n * sizeof *ns);
            }
            t->at = na;
            t->span = ns;
        }
        t->cap = nc;
    }
    char *p = emu_arena_strndup(t->a, s, len);
    if (lower)
        for (size_t i = 0; i < len; i++)
            p[i] = (char)tolower((unsigned char)p[i]);
    if (t->spans) {
        t->at[t->n] = (uint32_t)(s - t->text);
        t->span[t->n] = (uint32_t)len;
    }
    t->v[t->n++] = (emu_str){p, len};
}

static void tokenize(const ots_sfield *f, const char *text, size_t len, toks *t)
{
    const uint8_t *s = (const uint8_t *)text;
    if (f->analyzer == OTS_AN_SPLIT) {
        const char *d = f->delimiter;
        size_t dl = d ? strlen(d) : 0;
        size_t start = 0;
        for (size_t i = 0; i <= len;) {
            bool cut =
                i == len || (dl ? (i + dl <= len && !memcmp(text + i, d, dl)) : isspace(s[i]) != 0);
            if (cut) {
                push_tok(t, text + start, i - start, true);
                i += dl ? dl : 1;
                start = i;
            } else {
                i++;
            }
        }
    } else if (f->analyzer == OTS_AN_FUZZY) {
        /* n-grams of min..max characters of the whole text, lower-cased */
        size_t nch = 0;
        size_t *at = emu_arena_alloc(t->a, (len + 1) * sizeof *at);
        for (size_t i = 0; i < len; i += u8len(s[i]))
            at[nch++] = i;
        at[nch] = len;
        int lo = f->min_chars > 0 ? f->min_chars : 1, hi = f->max_chars > 0 ? f->max_chars : 7;
        for (size_t i = 0; i < nch; i++)
            for (int k = lo; k <= hi && i + (size_t)k <= nch; k++)
                push_tok(t, text + at[i], at[i + (size_t)k] - at[i], true);
    } else {
        /* single_word (and min_word / max_word, which acsemu treats the
         * same): runs of ASCII letters and digits are words (split between
         * letters and digits with delimit_word), every other non-ASCII
         * character is a word of its own, the rest separates. */
        bool lower = !(f->analyzer == OTS_AN_SINGLE_WORD && f->case_sensitive);
        size_t i = 0;
        while (i < len) {
            if (s[i] >= 0x80) {
                size_t l = u8len(s[i]);
                if (i + l > len)
                    l = len - i;
                push_tok(t, text + i, l, false);
                i += l;
            } else if (isalnum(s[i])) {
                size_t j = i;
                bool digit = isdigit(s[i]) != 0;
                while (j < len && s[j] < 0x80 && isalnum(s[j]) &&
                       (!f->delimit_word || (isdigit(s[j]) != 0) == digit))
                    j++;
                push_tok(t, text + i, j - i, lower);
                i = j;
            } else {
                i++;
            }
        }
    }
}

size_t ots_search_tokens(const ots_sfield *f, const char *text, size_t len, emu_arena *a,
                         emu_str **out)
{
    toks t = {.a = a, .text = text};
    tokenize(f, text, len, &t);
    *out = t.v;
    return t.n;
}

size_t ots_search_token_spans(const ots_sfield *f, const char *text, size_t len, emu_arena *a,
                              emu_str **out, uint32_t **at, uint32_t **span)
{
    toks t = {.a = a, .text = text, .spans = true};
    tokenize(f, text, len, &t);
    *out = t.v;
    *at = t.at;
    *span = t.span;
    return t.n;
}

bool ots_search_geo_parse(const char *s, size_t n, double *lat, double *lon)
{
    char buf[64];
    if (n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    *lat = strtod(buf, &end);
    if (end == buf || *end != ',')
        return false;
    const char *q = end + 1;
    *lon = strtod(q, &end);
    while (*end == ' ')
        end++;
    return end != q && !*end && isfinite(*lat) && isfinite(*lon) && *lat >= -90 && *lat <= 90 &&
           *lon >= -180 && *lon <= 180;
}

/* Java DateTimeFormatter letters acsemu reads: yyyy MM dd HH mm ss S...
 * (fraction, any width), 'quoted' literals, other characters as is. */
static bool date_by_format(const char *fmt, const char *s, size_t n, int64_t *ms)
{
    struct tm tm = {0};
    tm.tm_mday = 1;
    int64_t frac_ms = 0;
    size_t i = 0;
    for (const char *p = fmt; *p;) {
        if (*p == '\'') {
            const char *q = strchr(p + 1, '\'');
            if (!q)
                return false;
            size_t l = (size_t)(q - p - 1);
            if (i + l > n || memcmp(s + i, p + 1, l))
                return false;
            i += l;
            p = q + 1;
            continue;
        }
        char c = *p;
        size_t w = 0;
        while (p[w] == c)
            w++;
        if (strchr("yMdHmsS", c)) {
            int64_t v = 0;
            size_t d = 0;
            while (d < w && i < n && isdigit((unsigned char)s[i])) {
                v = v * 10 + (s[i++] - '0');
                d++;
            }
            if (d != w && !(c == 'y' && d == 4))
                return false;
            switch (c) {
            case 'y':
                tm.tm_year = (int)v - 1900;
                break;
            case 'M':
                tm.tm_mon = (int)v - 1;
                break;
            case 'd':
                tm.tm_mday = (int)v;
                break;
            case 'H':
                tm.tm_hour = (int)v;
                break;
            case 'm':
                tm.tm_min = (int)v;
                break;
            case 's':
                tm.tm_sec = (int)v;
                break;
            default:
                for (size_t k = d; k < 3; k++)
                    v *= 10;
                for (size_t k = 3; k < d; k++)
                    v /= 10;
                frac_ms = v;
            }
        } else {
            for (size_t k = 0; k < w; k++, i++)
                if (i >= n || s[i] != c)
                    return false;
        }
        p += w;
    }
    if (i != n)
        return false;
    *ms = (int64_t)timegm(&tm) * 1000 + frac_ms;
    return true;
}

bool ots_search_date_parse(const ots_sfield *f, const char *s, size_t n, int64_t *ms)
{
    for (size_t k = 0; k < f->n_date_formats; k++)
        if (date_by_format(f->date_formats[k], s, n, ms))
            return true;
    return false;
}

/* ---- Values of a row ------------------------------------------------------------ */

static const ots_value *row_value(const ots_row_t *row, const char *name)
{
    size_t l = strlen(name);
    for (size_t i = 0; i < row->n_pk; i++)
        if (row->pk[i].name.len == l && !memcmp(row->pk[i].name.p, name, l))
            return &row->pk[i].value;
    for (size_t i = 0; i < row->n_attrs; i++) /* newest version first */
        if (row->attrs[i].has_value && row->attrs[i].name.len == l &&
            !memcmp(row->attrs[i].name.p, name, l))
            return &row->attrs[i].value;
    return NULL;
}

typedef struct vlist {
    ots_value *v;
    size_t n, cap;
    emu_arena *a;
} vlist;

static void vpush(vlist *l, ots_value v)
{
    l->v = emu_arena_grow(l->a, l->v, l->n, &l->cap, sizeof *l->v);
    l->v[l->n++] = v;
}

/* A JSON element as a value of the field's type (strings stay strings:
 * conversion happens where postings are made). */
static void json_value(const cJSON *j, vlist *l)
{
    if (cJSON_IsString(j)) {
        size_t n = strlen(j->valuestring);
        char *p = emu_arena_strndup(l->a, j->valuestring, n);
        vpush(l, (ots_value){.type = OTS_VT_STRING, .len = (uint32_t)n, .p = (const uint8_t *)p});
    } else if (cJSON_IsBool(j)) {
        vpush(l, (ots_value){.type = OTS_VT_BOOLEAN, .b = cJSON_IsTrue(j)});
    } else if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        if (d == (double)(int64_t)d && fabs(d) < 9.0e15)
            vpush(l, (ots_value){.type = OTS_VT_INTEGER, .i = (int64_t)d});
        else
            vpush(l, (ots_value){.type = OTS_VT_DOUBLE, .d = d});
    }
}

bool ots_search_obj_each(const cJSON *obj, const char *rel,
                         bool (*fn)(void *ud, const cJSON *v, size_t idx), void *ud)
{
    if (!cJSON_IsObject(obj))
        return false;
    const char *dot = strchr(rel, '.');
    size_t n = dot ? (size_t)(dot - rel) : strlen(rel);
    const cJSON *x = NULL;
    for (const cJSON *c = obj->child; c && !x; c = c->next)
        if (c->string && strlen(c->string) == n && !memcmp(c->string, rel, n))
            x = c;
    if (!x || cJSON_IsNull(x))
        return false;
    bool arr = cJSON_IsArray(x);
    size_t idx = 0;
    for (const cJSON *e = arr ? x->child : x; e; e = arr ? e->next : NULL, idx++)
        if (dot ? ots_search_obj_each(e, dot + 1, fn, ud) : fn(ud, e, idx))
            return true;
    return false;
}

static bool push_json(void *ud, const cJSON *v, size_t idx)
{
    (void)idx;
    json_value(v, ud);
    return false;
}

size_t ots_search_values(const ots_sfield *f, const ots_row_t *row, emu_arena *a, ots_value **out)
{
    return ots_search_values_where(f, row, a, out, NULL, NULL);
}

size_t ots_search_values_where(const ots_sfield *f, const ots_row_t *row, emu_arena *a,
                               ots_value **out, bool (*keep)(void *ud, const cJSON *obj), void *ud)
{
    vlist l = {.a = a};
    const ots_value *v = row_value(row, f->column);
    *out = NULL;
    if (!v)
        return 0;
    if (!f->sub && !f->array) {
        vpush(&l, *v);
    } else if (v->type == OTS_VT_STRING && v->len <= EMU_MAX_OTS_SEARCH_JSON_BYTES) {
        cJSON *j = cJSON_ParseWithLength((const char *)v->p, v->len);
        if (j) {
            const cJSON *arr = j;
            cJSON one = {0};
            if (!cJSON_IsArray(j)) { /* a single object or value */
                one.child = j;
                arr = &one;
            }
            for (const cJSON *e = arr->child; e; e = e == j ? NULL : e->next) {
                if (!f->sub) {
                    json_value(e, &l);
                    continue;
                }
                if (keep && !keep(ud, e))
                    continue;
                ots_search_obj_each(e, f->sub, push_json, &l);
            }
            cJSON_Delete(j);
        }
    }
    *out = l.v;
    return l.n;
}

/* ---- Postings ------------------------------------------------------------------- */

/* The encoded value(s) of one value of field f: each is passed to fn. */
typedef void (*post_fn)(void *ud, const uint8_t *v, size_t n);

static void field_terms(const ots_sfield *f, const ots_value *v, emu_arena *a, post_fn fn, void *ud)
{
    uint8_t buf[16];
    switch (f->type) {
    case OTS_SF_LONG:
        if (v->type == OTS_VT_INTEGER)
            fn(ud, buf, ots_search_enc_i64(v->i, buf));
        break;
    case OTS_SF_DATE: {
        int64_t ms;
        if (v->type == OTS_VT_INTEGER)
            fn(ud, buf, ots_search_enc_i64(v->i, buf));
        else if (v->type == OTS_VT_STRING &&
                 ots_search_date_parse(f, (const char *)v->p, v->len, &ms))
            fn(ud, buf, ots_search_enc_i64(ms, buf));
        break;
    }
    case OTS_SF_DOUBLE:
        if (v->type == OTS_VT_DOUBLE || v->type == OTS_VT_INTEGER)
            fn(ud, buf, ots_search_enc_f64(v->type == OTS_VT_DOUBLE ? v->d : (double)v->i, buf));
        break;
    case OTS_SF_BOOLEAN:
        if (v->type == OTS_VT_BOOLEAN) {
            buf[0] = v->b;
            fn(ud, buf, 1);
        }
        break;
    case OTS_SF_GEO_POINT: {
        double lat, lon;
        if (v->type == OTS_VT_STRING &&
            ots_search_geo_parse((const char *)v->p, v->len, &lat, &lon)) {
            ots_search_enc_f64(lat, buf);
            ots_search_enc_f64(lon, buf + 8);
            fn(ud, buf, 16);
        }
        break;
    }
    case OTS_SF_KEYWORD:
        if (v->type == OTS_VT_STRING && v->len <= EMU_MAX_OTS_SEARCH_TERM_BYTES) {
            uint8_t *e = emu_arena_alloc(a, 2 * v->len + 2);
            fn(ud, e, ots_search_enc_str(v->p, v->len, true, e));
        }
        break;
    case OTS_SF_TEXT:
        if (v->type == OTS_VT_STRING) {
            emu_str *tok;
            size_t nt = ots_search_tokens(f, (const char *)v->p, v->len, a, &tok);
            for (size_t i = 0; i < nt; i++) {
                if (tok[i].len > EMU_MAX_OTS_SEARCH_TERM_BYTES)
                    continue;
                uint8_t *e = emu_arena_alloc(a, 2 * tok[i].len + 2);
                fn(ud, e, ots_search_enc_str((const uint8_t *)tok[i].p, tok[i].len, true, e));
            }
        }
        break;
    default: /* NESTED (its children are fields), VECTOR: not indexed */
        break;
    }
}

/* Keys gathered by a build, added sorted (ots_keyset_add_bulk). */
typedef struct bulk {
    uint8_t *buf;
    size_t used, cap;
    uint32_t *off, *len;
    size_t n, ncap;
} bulk;

#define BULK_FLUSH_BYTES (256u * 1024 * 1024)

static void bulk_flush(ots_search_def *d, bulk *b)
{
    ots_keyset_add_bulk(d->post, b->buf, b->off, b->len, b->n);
    b->used = b->n = 0;
}

static void bulk_add(ots_search_def *d, bulk *b, const uint8_t *k, size_t n)
{
    if (b->used + n > BULK_FLUSH_BYTES)
        bulk_flush(d, b);
    if (b->used + n > b->cap) {
        b->cap = (b->cap ? b->cap * 2 : 1 << 20) + n;
        b->buf = emu_xrealloc(b->buf, b->cap);
    }
    if (b->n == b->ncap) {
        b->ncap = b->ncap ? b->ncap * 2 : 1 << 16;
        b->off = emu_xrealloc(b->off, b->ncap * sizeof *b->off);
        b->len = emu_xrealloc(b->len, b->ncap * sizeof *b->len);
    }
    memcpy(b->buf + b->used, k, n);
    b->off[b->n] = (uint32_t)b->used;
    b->len[b->n++] = (uint32_t)n;
    b->used += n;
}

typedef struct post_ctx {
    ots_search_def *d;
    uint16_t id;
    const uint8_t *doc;
    size_t doc_len;
    bool add;
    uint8_t *key; /* OTS_KEYSET_KEY_MAX */
    bulk *bulk;   /* a build: gather instead of adding */
} post_ctx;

static void post_one(void *ud, const uint8_t *v, size_t n)
{
    post_ctx *c = ud;
    if (2 + n + c->doc_len > OTS_KEYSET_KEY_MAX)
        return;
    c->key[0] = (uint8_t)(c->id >> 8);
    c->key[1] = (uint8_t)c->id;
    if (n) /* (the document list entry has no value) */
        memcpy(c->key + 2, v, n);
    memcpy(c->key + 2 + n, c->doc, c->doc_len);
    if (c->bulk)
        bulk_add(c->d, c->bulk, c->key, 2 + n + c->doc_len);
    else if (c->add)
        ots_keyset_add(c->d->post, c->key, 2 + n + c->doc_len);
    else
        ots_keyset_remove(c->d->post, c->key, 2 + n + c->doc_len);
}

/* Adds or removes every posting of one row (the document list entry too). */
static void post_row(ots_search_def *d, const uint8_t *doc, size_t doc_len, const ots_row_t *row,
                     bool add, bulk *b, emu_arena *a)
{
    static uint8_t key[OTS_KEYSET_KEY_MAX];
    post_ctx c = {d, 0, doc, doc_len, add, key, b};
    post_one(&c, NULL, 0);
    for (size_t i = 0; i < d->n_f; i++) {
        const ots_sfield *f = &d->f[i];
        if (!f->index && !f->sort_agg)
            continue;
        ots_value *v;
        size_t n = ots_search_values(f, row, a, &v);
        c.id = f->id;
        for (size_t k = 0; k < n; k++)
            field_terms(f, &v[k], a, post_one, &c);
    }
}

void ots_search_observe(void *ud, ots_table_t *t, const ots_row_t *old_row,
                        const ots_row_t *new_row)
{
    ots_search_def *d = ud;
    const ots_row_t *any = new_row ? new_row : old_row;
    uint8_t doc[OTS_STORE_KEY_MAX];
    size_t dl = ots_table_key(t, any->pk, any->n_pk, doc);
    if (!dl)
        return;
    emu_arena *a = emu_arena_new(0);
    if (old_row)
        post_row(d, doc, dl, old_row, false, NULL, a);
    if (new_row)
        post_row(d, doc, dl, new_row, true, NULL, a);
    emu_arena_free(a);
}

typedef struct build_ctx {
    ots_search_def *d;
    bulk b;
    emu_arena *a;
} build_ctx;

static void build_one(void *ud, const uint8_t *key, size_t klen, const ots_row_t *row)
{
    build_ctx *c = ud;
    emu_arena_reset(c->a);
    post_row(c->d, key, klen, row, true, &c->b, c->a);
}

/* Postings of every row already in the table, added in key order. */
static void build(ots_search_def *d, const ots_table_t *t)
{
    build_ctx c = {d, {0}, emu_arena_new(0)};
    ots_table_each_row(t, build_one, &c);
    bulk_flush(d, &c.b);
    free(c.b.buf);
    free(c.b.off);
    free(c.b.len);
    emu_arena_free(c.a);
}

/* ---- Schemas ------------------------------------------------------------------------ */

static emu_rc invalid(emu_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static emu_rc invalid(emu_err *err, const char *fmt, ...)
{
    va_list ap;
    char m[EMU_ERR_MSG_MAX];
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return emu_err_set(err, EMU_E_INVALID, "OTSParameterInvalid", "%s", m);
}

typedef struct flist {
    ots_sfield *f;
    size_t n, cap;
} flist;

static emu_rc analyzer_of(const Ots__FieldSchema *fs, ots_sfield *f, emu_err *err)
{
    const char *an = fs->analyzer ? fs->analyzer : "single_word";
    ProtobufCBinaryData p =
        fs->has_analyzer_parameter ? fs->analyzer_parameter : (ProtobufCBinaryData){0, NULL};
    if (!strcmp(an, "single_word")) {
        f->analyzer = OTS_AN_SINGLE_WORD;
        Ots__SingleWordAnalyzerParameter *m =
            p.len ? ots__single_word_analyzer_parameter__unpack(NULL, p.len, p.data) : NULL;
        if (p.len && !m)
            return invalid(err, "Invalid analyzer parameter of field [%s].", fs->field_name);
        if (m) {
            f->case_sensitive = m->has_case_sensitive && m->case_sensitive;
            f->delimit_word = m->has_delimit_word && m->delimit_word;
            ots__single_word_analyzer_parameter__free_unpacked(m, NULL);
        }
    } else if (!strcmp(an, "split")) {
        f->analyzer = OTS_AN_SPLIT;
        Ots__SplitAnalyzerParameter *m =
            p.len ? ots__split_analyzer_parameter__unpack(NULL, p.len, p.data) : NULL;
        if (p.len && !m)
            return invalid(err, "Invalid analyzer parameter of field [%s].", fs->field_name);
        if (m) {
            if (m->delimiter && *m->delimiter)
                f->delimiter = emu_xstrdup(m->delimiter);
            ots__split_analyzer_parameter__free_unpacked(m, NULL);
        }
    } else if (!strcmp(an, "fuzzy")) {
        f->analyzer = OTS_AN_FUZZY;
        f->min_chars = 1;
        f->max_chars = 7;
        Ots__FuzzyAnalyzerParameter *m =
            p.len ? ots__fuzzy_analyzer_parameter__unpack(NULL, p.len, p.data) : NULL;
        if (p.len && !m)
            return invalid(err, "Invalid analyzer parameter of field [%s].", fs->field_name);
        if (m) {
            if (m->has_min_chars)
                f->min_chars = m->min_chars;
            if (m->has_max_chars)
                f->max_chars = m->max_chars;
            ots__fuzzy_analyzer_parameter__free_unpacked(m, NULL);
        }
        if (f->min_chars < 1 || f->max_chars < f->min_chars || f->max_chars > 7)
            return invalid(err,
                           "Invalid fuzzy analyzer parameter of field [%s]: "
                           "1 <= min_chars <= max_chars <= 7.",
                           fs->field_name);
    } else if (!strcmp(an, "min_word")) {
        f->analyzer = OTS_AN_MIN_WORD;
    } else if (!strcmp(an, "max_word")) {
        f->analyzer = OTS_AN_MAX_WORD;
    } else {
        return invalid(err, "Invalid analyzer [%s] of field [%s].", an, fs->field_name);
    }
    return EMU_OK;
}

static emu_rc add_fields(Ots__FieldSchema *const *v, size_t n, const char *parent, flist *l,
                         int depth, emu_err *err)
{
    if (depth > 3)
        return invalid(err, "Nested fields may be at most 3 levels deep.");
    for (size_t i = 0; i < n; i++) {
        const Ots__FieldSchema *fs = v[i];
        if (!fs->field_name || !*fs->field_name)
            return invalid(err, "Field name is required.");
        if (!fs->has_field_type)
            return invalid(err, "Field type of [%s] is required.", fs->field_name);
        if ((int)fs->field_type < OTS_SF_LONG || (int)fs->field_type > OTS_SF_VECTOR)
            return invalid(err, "Invalid field type of [%s].", fs->field_name);
        /* Names are taken without surrounding blanks: the SDK's own
         * test/ots_test_utils.js declares "col_nested2 " and queries
         * "col_nested2". [inferred] */
        const char *fn = fs->field_name;
        size_t fl = strlen(fn);
        while (fl && isspace((unsigned char)*fn))
            fn++, fl--;
        while (fl && isspace((unsigned char)fn[fl - 1]))
            fl--;
        if (!fl)
            return invalid(err, "Field name is required.");
        char name[512];
        int nl = snprintf(name, sizeof name, "%s%s%.*s", parent ? parent : "", parent ? "." : "",
                          (int)fl, fn);
        if (nl < 0 || (size_t)nl >= sizeof name)
            return invalid(err, "Field name [%s] is too long.", fs->field_name);
        for (size_t k = 0; k < l->n; k++)
            if (!strcmp(l->f[k].name, name))
                return invalid(err, "Duplicated field name: %s.", name);
        if (l->n >= EMU_MAX_OTS_SEARCH_FIELDS)
            return invalid(err, "The number of fields exceeds the limit: %d.",
                           EMU_MAX_OTS_SEARCH_FIELDS);
        if (l->n == l->cap) {
            l->cap = l->cap ? l->cap * 2 : 16;
            l->f = emu_xrealloc(l->f, l->cap * sizeof *l->f);
        }
        ots_sfield *f = &l->f[l->n++];
        memset(f, 0, sizeof *f);
        f->name = emu_xstrdup(name);
        /* A nested child reads the dotted path below the top-level column
         * (sub "a.b": key b of the objects under key a of the column's
         * objects; arrays are walked at every level). */
        if (parent) {
            const char *dot = strchr(name, '.');
            f->column = emu_xstrndup(name, (size_t)(dot - name));
            f->sub = emu_xstrdup(dot + 1);
        } else {
            f->column = emu_xstrndup(fn, fl);
        }
        f->type = (ots_sf_type)fs->field_type;
        f->index = fs->has_index ? fs->index : true;
        f->sort_agg = fs->has_doc_values ? fs->doc_values : f->type != OTS_SF_TEXT;
        f->highlight = fs->has_enable_highlighting && fs->enable_highlighting;
        f->array = fs->has_is_array && fs->is_array;
        f->id = (uint16_t)l->n;         /* 1-based: 0 is the document list */
        if (f->type == OTS_SF_VECTOR) { /* [inferred] texts */
            const Ots__VectorOptions *vo = fs->vector_options;
            if (!vo || !vo->has_dimension || vo->dimension < 1 || vo->dimension > 4096)
                return invalid(err,
                               "Vector field [%s] needs vector_options with a dimension in "
                               "[1, 4096].",
                               name);
            if (vo->has_metric_type && (vo->metric_type < 0 || vo->metric_type > 2))
                return invalid(err, "Invalid metric_type of vector field [%s].", name);
            f->vdim = vo->dimension;
            f->vmetric = vo->has_metric_type ? vo->metric_type : 0;
        }
        if (f->type == OTS_SF_TEXT) {
            emu_rc rc = analyzer_of(fs, f, err);
            if (rc)
                return rc;
        } else if (fs->analyzer) {
            return invalid(err, "Field [%s]: only Text fields have an analyzer.", name);
        }
        if (f->type == OTS_SF_DATE) {
            if (!fs->n_date_formats)
                return invalid(err, "Date field [%s] needs date_formats.", name);
            f->date_formats = emu_xcalloc(fs->n_date_formats + 1, sizeof(char *));
            for (size_t k = 0; k < fs->n_date_formats; k++)
                f->date_formats[k] = emu_xstrdup(fs->date_formats[k]);
            f->n_date_formats = fs->n_date_formats;
        }
        if (f->type == OTS_SF_NESTED) {
            if (!fs->n_field_schemas)
                return invalid(err, "Nested field [%s] needs field schemas.", name);
            emu_rc rc = add_fields(fs->field_schemas, fs->n_field_schemas, name, l, depth + 1, err);
            if (rc)
                return rc;
        } else if (fs->n_field_schemas) {
            return invalid(err, "Field [%s]: only Nested fields have sub-fields.", name);
        }
    }
    return EMU_OK;
}

/* IndexSort: the order hits come in without a sort, as the service keeps
 * it (PrimaryKeySort, or FieldSorts on sortable single-valued fields; not
 * with Nested fields). [inferred] texts. */
static emu_rc check_index_sort(const Ots__Sort *s, const flist *l, emu_err *err)
{
    if (!s->n_sorter || s->n_sorter > 8)
        return invalid(err, "IndexSort needs 1 to 8 sorters.");
    for (size_t i = 0; i < l->n; i++)
        if (l->f[i].type == OTS_SF_NESTED)
            return invalid(err, "IndexSort is not supported on an index with Nested fields.");
    for (size_t i = 0; i < s->n_sorter; i++) {
        const Ots__Sorter *x = s->sorter[i];
        if (x->pk_sort)
            continue;
        if (!x->field_sort || !x->field_sort->field_name)
            return invalid(err, "IndexSort supports only PrimaryKeySort and FieldSort.");
        const ots_sfield *f = NULL;
        for (size_t k = 0; k < l->n && !f; k++)
            if (!strcmp(l->f[k].name, x->field_sort->field_name))
                f = &l->f[k];
        if (!f || !f->sort_agg || f->array)
            return invalid(err, "IndexSort field:%s must be a sortable, single-valued field.",
                           x->field_sort->field_name);
    }
    return EMU_OK;
}

emu_rc ots_search_create(ots_instance_t *in, ots_table_t *t, const char *name,
                         const Ots__IndexSchema *schema, int32_t ttl_s, emu_err *err)
{
    const char *table = ots_table_schema_of(t)->name;
    if (!name || !*name || strlen(name) > EMU_MAX_OTS_NAME_BYTES)
        return invalid(err, "Invalid index name: '%s'.", name ? name : "");
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return invalid(err, "Invalid index name: '%s'.", name);
    if (ots_search_find(in, table, name))
        return emu_err_set(err, EMU_E_EXISTS, "OTSObjectAlreadyExist", "Duplicate index: %s.",
                           name);
    ots_search_def *tmp;
    if (ots_search_list(in, table, &tmp, 1) >= EMU_MAX_OTS_SEARCH_INDEXES)
        return emu_err_set(err, EMU_E_LIMIT, "OTSQuotaExhausted",
                           "The number of search indexes of table %s exceeds the limit: %d.", table,
                           EMU_MAX_OTS_SEARCH_INDEXES);
    if (!schema || !schema->n_field_schemas)
        return invalid(err, "The index schema must have field schemas.");
    if (ttl_s != -1 && ttl_s < 86400)
        return invalid(err, "time_to_live must be -1 or at least 86400 seconds.");
    flist l = {0};
    emu_rc rc = add_fields(schema->field_schemas, schema->n_field_schemas, NULL, &l, 1, err);
    if (!rc && schema->index_sort)
        rc = check_index_sort(schema->index_sort, &l, err);
    if (rc) {
        for (size_t i = 0; i < l.n; i++)
            field_free(&l.f[i]);
        free(l.f);
        return rc;
    }
    ots_search_def *d = emu_xcalloc(1, sizeof *d);
    d->table = emu_xstrdup(table);
    d->name = emu_xstrdup(name);
    d->f = l.f;
    d->n_f = l.n;
    d->schema_len = ots__index_schema__get_packed_size(schema);
    d->schema = emu_xmalloc(d->schema_len ? d->schema_len : 1);
    ots__index_schema__pack(schema, d->schema);
    d->ttl_s = ttl_s;
    d->created_ms = emu_clock_now_ms();
    d->post = ots_keyset_new();
    d->base = t;
    build(d, t);
    if (!ots_table_add_observer(t, ots_search_observe, d)) {
        def_free(d);
        return emu_err_set(err, EMU_E_LIMIT, "OTSQuotaExhausted",
                           "Too many indexes follow table %s.", table);
    }
    inst_add(in, d);
    return EMU_OK;
}

void ots_search_adopt(ots_instance_t *in, ots_instance_t *old)
{
    const sx_inst *e = inst_of(in, false);
    for (size_t k = 0; e && k < e->n; k++) {
        ots_search_def *d = e->defs[k];
        ots_search_def *od = ots_search_find(old, d->table, d->name);
        if (od && od->schema_len == d->schema_len &&
            !memcmp(od->schema, d->schema, d->schema_len)) {
            ots_keyset *p = d->post;
            d->post = od->post;
            od->post = p;
        } else if (d->base) {
            ots_keyset_free(d->post);
            d->post = ots_keyset_new();
            build(d, d->base);
        }
    }
}
