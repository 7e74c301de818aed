/* Record payloads: what each record type carries and how it is written
 * (see persist_int.h). The readers of SESSION and ROWS payloads are in
 * persist_apply.c, next to what they change. */
#include <stdio.h>
#include <string.h>

#include "emu/json.h"
#include "emu/limits.h"
#include "persist_int.h"

void persist__put_head(emu_buf *b, const char *format, uint64_t lsn, const char *world_path)
{
    cJSON *h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "Format", format);
    cJSON_AddNumberToObject(h, "Version", 1);
    cJSON_AddNumberToObject(h, "Lsn", (double)lsn);
    if (world_path)
        cJSON_AddStringToObject(h, "World", world_path);
    size_t at = persist__frame_open(b);
    emu_json_write(b, h);
    persist__frame_close(b, at, PERSIST_HEAD);
    cJSON_Delete(h);
}

emu_rc persist__get_head(const persist_rec *r, const char *format, uint64_t *lsn, char **world_path,
                         emu_err *err)
{
    emu_err e = {0};
    if (r->type != PERSIST_HEAD)
        return emu_err_set(err, EMU_E_INVALID, NULL, "expected a HEAD record");
    cJSON *h = emu_json_parse((const char *)r->p, r->len, &e);
    if (!h)
        return emu_err_set(err, EMU_E_INVALID, NULL, "HEAD record: %s", e.msg);
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(h, "Format");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, "Version");
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(h, "Lsn");
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(h, "World");
    emu_rc rc = EMU_OK;
    if (!cJSON_IsString(f) || strcmp(f->valuestring, format) != 0)
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "not an %s file", format);
    else if (!cJSON_IsNumber(v) || v->valuedouble != 1)
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "format version is not 1");
    else if (!cJSON_IsNumber(l) || l->valuedouble < 0 || l->valuedouble > 9007199254740992.0)
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "HEAD record: bad Lsn");
    if (!rc) {
        *lsn = (uint64_t)l->valuedouble;
        if (world_path)
            *world_path = cJSON_IsString(w) ? emu_xstrdup(w->valuestring) : NULL;
    }
    cJSON_Delete(h);
    return rc;
}

void persist__put_meta(emu_buf *b, const world_t *w, int64_t clock_offset_ms)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddNumberToObject(m, "ClockOffsetMs", (double)clock_offset_ms);
    cJSON_AddItemToObject(m, "World", world_export_meta(w));
    size_t at = persist__frame_open(b);
    emu_json_write(b, m);
    persist__frame_close(b, at, PERSIST_META);
    cJSON_Delete(m);
}

/* Strings are u32 length + bytes; NULL is length 0xFFFFFFFF. */
static void put_str(emu_buf *b, const char *s)
{
    uint32_t n = s ? (uint32_t)strlen(s) : UINT32_MAX;
    emu_buf_append(b, &n, 4);
    if (s)
        emu_buf_append(b, s, n);
}

void persist__put_session(emu_buf *b, const world_session *s)
{
    size_t at = persist__frame_open(b);
    put_str(b, s->access_key_id);
    put_str(b, s->secret);
    put_str(b, s->token);
    put_str(b, s->account_id);
    put_str(b, s->role_name);
    put_str(b, s->role_id);
    put_str(b, s->session_name);
    put_str(b, s->source_arn);
    put_str(b, s->policy);
    emu_buf_append(b, &s->create_ms, 8);
    emu_buf_append(b, &s->expire_ms, 8);
    persist__frame_close(b, at, PERSIST_SESSION);
}

static void put_name(emu_buf *b, const char *s)
{
    uint16_t n = (uint16_t)strlen(s);
    emu_buf_append(b, &n, 2);
    emu_buf_append(b, s, n);
}

size_t persist__rows_open(emu_buf *b, const ots_table_t *t)
{
    size_t at = persist__frame_open(b);
    int64_t autoinc = ots_table_autoinc_last(t);
    ots_table_origin o = ots_table_origin_of(t);
    uint8_t dirty = o.dirty;
    uint32_t zero = 0;
    put_name(b, ots_table_account_id(t));
    put_name(b, ots_table_instance_name(t));
    put_name(b, ots_table_schema_of(t)->name);
    put_str(b, o.rows_file);
    emu_buf_append(b, &o.load_ts, 8);
    emu_buf_append(b, &dirty, 1);
    emu_buf_append(b, &autoinc, 8);
    emu_buf_append(b, &zero, 4);
    return at;
}

void persist__rows_add(emu_buf *b, const uint8_t *image, size_t len)
{
    uint32_t n = (uint32_t)len;
    emu_buf_append(b, &n, 4);
    emu_buf_append(b, image, len);
}

void persist__rows_close(emu_buf *b, size_t at, uint32_t n)
{
    /* The count is the last fixed field before the images: skip the three
     * names, the rows file, load ts, dirty and the counter. */
    const uint8_t *p = (const uint8_t *)b->p + at + PERSIST_HEADER_BYTES;
    size_t off = 0;
    for (int i = 0; i < 3; i++) {
        uint16_t len;
        memcpy(&len, p + off, 2);
        off += 2 + len;
    }
    uint32_t file_len;
    memcpy(&file_len, p + off, 4);
    off += 4 + (file_len == UINT32_MAX ? 0 : file_len) + 8 + 1 + 8;
    memcpy(b->p + at + PERSIST_HEADER_BYTES + off, &n, 4);
    persist__frame_close(b, at, PERSIST_ROWS);
}

void persist__put_end(emu_buf *b, uint64_t records)
{
    persist__frame(b, PERSIST_END, &records, 8);
}

void persist__path(char *out, size_t cap, const char *dir, const char *kind, unsigned gen)
{
    snprintf(out, cap, "%s/%s-%06u.%s", dir, kind, gen, strcmp(kind, "wal") == 0 ? "log" : kind);
}
