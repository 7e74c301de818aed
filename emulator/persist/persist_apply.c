/* Replay: a record's after-image applied to the world being rebuilt.
 * Records come from disk, so every field is bounds-checked; an error names
 * what is wrong and the caller adds the file, record number and offset. */
#include <stdlib.h>
#include <string.h>

#include "emu/auth.h"
#include "emu/json.h"
#include "emu/ots_store.h"
#include "persist_int.h"

typedef struct rd {
    const uint8_t *p, *end;
} rd;

static bool take(rd *r, size_t n, const uint8_t **out)
{
    if ((size_t)(r->end - r->p) < n)
        return false;
    *out = r->p;
    r->p += n;
    return true;
}

static emu_rc apply_meta(persist_state *st, const persist_rec *rec, emu_err *err)
{
    emu_err e = {0};
    cJSON *m = emu_json_parse((const char *)rec->p, rec->len, &e);
    if (!m)
        return emu_err_set(err, EMU_E_INVALID, NULL, "META record: %s", e.msg);
    const cJSON *clock = cJSON_GetObjectItemCaseSensitive(m, "ClockOffsetMs");
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(m, "World");
    world_t *w = NULL;
    emu_rc rc = EMU_OK;
    if (!cJSON_IsNumber(clock) || !cJSON_IsObject(doc))
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "META record needs ClockOffsetMs and World");
    else if (!st->world)
        rc = world_load_json(doc, st->label, NULL, &w, err);
    else
        rc = world_load_successor(doc, st->label, st->world, &w, err);
    if (!rc) {
        st->world = w;
        st->clock_offset_ms = (int64_t)clock->valuedouble;
    }
    cJSON_Delete(m);
    return rc;
}

/* A u32-prefixed string copied into out (NULL for the NULL marker). */
static bool get_str(rd *r, char **out)
{
    const uint8_t *q, *s;
    uint32_t n;
    *out = NULL;
    if (!take(r, 4, &q))
        return false;
    memcpy(&n, q, 4);
    if (n == UINT32_MAX)
        return true;
    if (!take(r, n, &s) || memchr(s, 0, n))
        return false;
    *out = emu_xstrndup((const char *)s, n);
    return true;
}

static emu_rc apply_session(persist_state *st, const persist_rec *rec, emu_err *err)
{
    rd r = {rec->p, rec->p + rec->len};
    char *f[9] = {0};
    const uint8_t *q;
    world_session s = {0};
    emu_rc rc = EMU_OK;
    bool ok = true;

    for (int i = 0; i < 9 && ok; i++)
        ok = get_str(&r, &f[i]);
    if (!ok || !take(&r, 16, &q) || r.p != r.end) {
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "SESSION record: malformed");
        goto out;
    }
    s = (world_session){f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], 0, 0, false};
    memcpy(&s.create_ms, q, 8);
    memcpy(&s.expire_ms, q + 8, 8);
    s.collectable = auth_token_expiry((emu_str){s.token, s.token ? strlen(s.token) : 0}) >= 0;
    /* What AssumeRole did before minting this one (auth_session_issue). */
    if (s.create_ms > AUTH_EXPIRED_SESSION_KEEP_MS)
        world_session_expire(st->world, s.create_ms - AUTH_EXPIRED_SESSION_KEEP_MS);
    if (s.access_key_id && world_session_find(st->world, s.access_key_id, strlen(s.access_key_id)))
        goto out; /* already there */
    if ((rc = world_session_add(st->world, &s, NULL, err)))
        emu_err_prefix(err, "SESSION record: ");
out:
    for (int i = 0; i < 9; i++)
        free(f[i]);
    return rc;
}

static bool get_name(rd *r, char *out, size_t cap)
{
    const uint8_t *q, *s;
    uint16_t n;
    if (!take(r, 2, &q))
        return false;
    memcpy(&n, q, 2);
    if (n >= cap || !take(r, n, &s) || memchr(s, 0, n))
        return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

static ots_table_t *find_table(const world_t *w, const char *account, const char *instance,
                               const char *table)
{
    static int section = -2;
    if (section == -2)
        section = world_section_index(ots_world_section.name);
    const world_account *a = world_account_find(w, account);
    if (!a || section < 0)
        return NULL;
    ots_instance_t *in = ots_section_instance(a->sections[section], instance);
    return in ? ots_store_table_find(in, table) : NULL;
}

/* The n row images of a ROWS record, which must end with them. */
static emu_rc apply_images(ots_table_t *t, rd *r, uint32_t n, emu_err *err)
{
    const uint8_t *q;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *img;
        uint32_t len;
        if (!take(r, 4, &q))
            return emu_err_set(err, EMU_E_INVALID, NULL, "ROWS record: row %u cut short", i);
        memcpy(&len, q, 4);
        if (!take(r, len, &img))
            return emu_err_set(err, EMU_E_INVALID, NULL, "ROWS record: row %u cut short", i);
        if (ots_table_apply_image(t, img, len, err)) {
            emu_err_prefix(err, "ROWS record: row %u: ", i);
            return EMU_E_INVALID;
        }
    }
    if (r->p != r->end)
        return emu_err_set(err, EMU_E_INVALID, NULL, "ROWS record: extra bytes after the rows");
    return EMU_OK;
}

static emu_rc apply_rows(persist_state *st, const persist_rec *rec, emu_err *err)
{
    rd r = {rec->p, rec->p + rec->len};
    char account[256], instance[256], table[256];
    const uint8_t *q;
    ots_table_origin origin = {0};
    char *rows_file = NULL;
    int64_t autoinc;
    uint32_t n;
    emu_rc rc = EMU_OK;

    if (!get_name(&r, account, sizeof account) || !get_name(&r, instance, sizeof instance) ||
        !get_name(&r, table, sizeof table) || !get_str(&r, &rows_file) || !take(&r, 21, &q) ||
        q[8] > 1) {
        free(rows_file);
        return emu_err_set(err, EMU_E_INVALID, NULL, "ROWS record: malformed header");
    }
    origin.rows_file = rows_file;
    memcpy(&origin.load_ts, q, 8);
    origin.dirty = q[8];
    memcpy(&autoinc, q + 9, 8);
    memcpy(&n, q + 17, 4);
    ots_table_t *t = find_table(st->world, account, instance, table);
    if (!t)
        rc = emu_err_set(err, EMU_E_INVALID, NULL,
                         "ROWS record: no table %s/%s/%s in the world at this point", account,
                         instance, table);
    else
        rc = apply_images(t, &r, n, err);
    if (!rc) {
        ots_table_autoinc_raise(t, autoinc);
        ots_table_set_origin(t, &origin);
    }
    free(rows_file);
    return rc;
}

emu_rc persist__apply(persist_state *st, const persist_rec *r, emu_err *err)
{
    if (r->type == PERSIST_META)
        return apply_meta(st, r, err);
    if (!st->world)
        return emu_err_set(err, EMU_E_INVALID, NULL, "the first record after HEAD must be META");
    switch (r->type) {
    case PERSIST_SESSION:
        return apply_session(st, r, err);
    case PERSIST_ROWS:
        return apply_rows(st, r, err);
    default:
        return emu_err_set(err, EMU_E_INVALID, NULL, "unexpected record type %d", (int)r->type);
    }
}
