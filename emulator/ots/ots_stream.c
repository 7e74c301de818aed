/* Streams: the stream specification of CreateTable / UpdateTable /
 * DescribeTable, ListStream, DescribeStream, GetShardIterator and
 * GetStreamRecord.
 *
 * A table with a stream (its options' stream_expiration_h) has one stream,
 * named "<table>_<enable time ms>", with one shard (a table is one
 * partition here). Every successful PutRow, UpdateRow and DeleteRow (also
 * in BatchWriteRow, and a local transaction's writes when it commits)
 * appends one record: a PlainBuffer row as the service sends it (PK; for a
 * put the columns written, for an update each column with its operation:
 * a put with its timestamp, DELETE_ONE_VERSION with its timestamp,
 * DELETE_ALL_VERSION, an increment as the put of the value it produced;
 * for a delete the delete marker) followed by the extension with the
 * record's sequence info (epoch, timestamp in microseconds, row index).
 * Records older than the stream's expiration (hours of virtual time) are
 * trimmed when the stream is next touched.
 *
 * The records are in memory only: they are not journaled with --data-dir,
 * and a world reset, a checkpoint restore or a restart starts every stream
 * empty (an old iterator then answers "Invalid shard iterator."). The
 * specification itself is world state (StreamExpirationTime,
 * StreamEnableTime). Texts marked [inferred] are not from an SDK test. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/limits.h"
#include "ots_svc_int.h"

#define STREAM_MAX_HOURS 168
#define STREAM_DEFAULT_LIMIT 100   /* GetStreamRecord without limit [inferred] */
#define STREAM_MAX_LIMIT 1000      /* emulator cap on one answer's records */
#define STREAM_MAX_BYTES (4 << 20) /* one answer's record bytes */

typedef struct stream_rec {
    int64_t at_ms;  /* virtual time of the change (expiry) */
    uint8_t action; /* OTS__ACTION_TYPE__* */
    uint32_t len;
    uint8_t *bytes; /* the whole record, with its sequence info */
} stream_rec;

typedef struct ots_stream {
    uint64_t world_gen;
    char *account, *instance, *table;
    int64_t enabled_ms;
    stream_rec *recs; /* recs[0] has sequence number `first` */
    size_t n, cap;
    uint64_t first;
    int64_t last_us; /* sequence timestamps never go back */
    uint32_t row_index;
} ots_stream;

static ots_stream *g_streams[EMU_MAX_OTS_STREAMS];
static size_t g_n;

static void stream_free(size_t i)
{
    ots_stream *s = g_streams[i];
    for (size_t k = 0; k < s->n; k++)
        free(s->recs[k].bytes);
    free(s->recs);
    free(s->account);
    free(s->instance);
    free(s->table);
    free(s);
    g_streams[i] = g_streams[--g_n];
}

/* Drops the first k records. */
static void trim(ots_stream *s, size_t k)
{
    for (size_t i = 0; i < k; i++)
        free(s->recs[i].bytes);
    memmove(s->recs, s->recs + k, (s->n - k) * sizeof *s->recs);
    s->n -= k;
    s->first += k;
}

static void expire(ots_stream *s, int32_t hours)
{
    int64_t horizon = emu_clock_now_ms() - (int64_t)hours * 3600 * 1000;
    size_t k = 0;
    while (k < s->n && s->recs[k].at_ms < horizon)
        k++;
    if (k)
        trim(s, k);
}

bool ots_stream_enabled(const ots_table_t *t)
{
    return ots_table_schema_of(t)->opts.stream_expiration_h > 0;
}

const char *ots_stream_id(emu_arena *a, const ots_table_t *t)
{
    const ots_table_schema *s = ots_table_schema_of(t);
    return emu_arena_sprintf(a, "%s_%" PRId64, s->name, s->opts.stream_enabled_ms);
}

/* The shard id: 32 hex digits that depend only on the stream id, so that a
 * restarted sandbox names the shard as before (FNV-1a, twice). */
static const char *shard_id(emu_arena *a, const char *stream_id)
{
    uint64_t h1 = 0xcbf29ce484222325ULL, h2 = 0x84222325cbf29ce4ULL;
    for (const char *p = stream_id; *p; p++) {
        h1 = (h1 ^ (uint8_t)*p) * 0x100000001b3ULL;
        h2 = (h2 ^ (uint8_t)*p) * 0x100000001b3ULL + 1;
    }
    return emu_arena_sprintf(a, "%016" PRIX64 "%016" PRIX64, h1, h2);
}

/* The registry entry of t's stream, made on first use (no records). */
static ots_stream *stream_of(const emu_call *call, const ots_table_t *t)
{
    const ots_req *r = ots_req_of(call);
    const ots_table_schema *sc = ots_table_schema_of(t);
    uint64_t gen = call->server->world_gen;
    for (size_t i = 0; i < g_n;) {
        ots_stream *s = g_streams[i];
        if (s->world_gen != gen) { /* a reset or restore since */
            stream_free(i);
            continue;
        }
        if (!strcmp(s->account, r->owner->id) && !strcmp(s->instance, r->instance_name) &&
            !strcmp(s->table, sc->name)) {
            if (s->enabled_ms == sc->opts.stream_enabled_ms) {
                expire(s, sc->opts.stream_expiration_h);
                return s;
            }
            stream_free(i); /* turned off and on again, or a new table */
            continue;
        }
        i++;
    }
    if (g_n == EMU_MAX_OTS_STREAMS)
        return NULL;
    ots_stream *s = emu_xcalloc(1, sizeof *s);
    s->world_gen = gen;
    s->account = emu_xstrdup(r->owner->id);
    s->instance = emu_xstrdup(r->instance_name);
    s->table = emu_xstrdup(sc->name);
    s->enabled_ms = sc->opts.stream_enabled_ms;
    g_streams[g_n++] = s;
    return s;
}

/* ---- records ---------------------------------------------------------------- */

uint8_t *ots_stream_encode(emu_call *call, Ots__OperationType type, const ots_row_t *req,
                           const ots_row_t *pk, const ots_row_t *after, size_t *len)
{
    ots_row_t rec = {.pk = pk->pk, .n_pk = pk->n_pk};
    if (type == OTS__OPERATION_TYPE__DELETE) {
        rec.delete_marker = true;
        return ots_plainbuffer_encode_row(&rec, call->arena, len);
    }
    rec.attrs = emu_arena_alloc(call->arena, (req->n_attrs + 1) * sizeof *rec.attrs);
    for (size_t i = 0; i < req->n_attrs; i++) {
        ots_cell c = req->attrs[i];
        if (c.has_op && c.op == OTS_OP_INCREMENT) {
            /* The value the increment produced, as a put. */
            c.has_op = false;
            c.op = 0;
            for (size_t k = 0; after && k < after->n_attrs; k++)
                if (emu_str_eq(after->attrs[k].name, c.name)) {
                    c.value = after->attrs[k].value;
                    c.ts = after->attrs[k].ts;
                    c.has_ts = after->attrs[k].has_ts;
                    break;
                }
        }
        rec.attrs[rec.n_attrs++] = c;
    }
    return ots_plainbuffer_encode_row(&rec, call->arena, len);
}

/* PlainBuffer row extension: TAG_EXTENSION, u32 length, TAG_SEQ_INFO, u32
 * length, TAG_SEQ_INFO_EPOCH u32, TAG_SEQ_INFO_TS i64, TAG_SEQ_INFO_ROW_INDEX
 * u32 (the Java SDK's PlainBufferCodedOutputStream.writeExtension). It goes
 * before the row checksum, which does not cover it. */
#define EXT_LEN 29

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

emu_rc ots_stream_append(emu_call *call, const ots_table_t *t, int action, const uint8_t *row,
                         size_t len, emu_err *err)
{
    ots_stream *s = stream_of(call, t);
    if (!s)
        return ots_fail(err, EMU_E_LIMIT, "OTSQuotaExhausted",
                        "Too many streams (acsemu keeps %d).", EMU_MAX_OTS_STREAMS);
    if (len < 6) /* header + checksum at least */
        return ots_fail(err, EMU_E_INTERNAL, "OTSInternalServerError", "Bad stream record.");
    int64_t now_us = emu_clock_now_ms() * 1000;
    if (now_us > s->last_us) {
        s->last_us = now_us;
        s->row_index = 0;
    } else {
        s->row_index++;
    }
    if (s->n == EMU_MAX_OTS_STREAM_RECORDS)
        trim(s, 1); /* emulator cap: the oldest record goes, as if it expired */
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->recs = emu_xrealloc(s->recs, s->cap * sizeof *s->recs);
    }
    uint8_t *b = emu_xmalloc(len + EXT_LEN);
    size_t body = len - 2; /* up to TAG_ROW_CHECKSUM */
    memcpy(b, row, body);
    uint8_t *e = b + body;
    e[0] = 0x0B; /* TAG_EXTENSION */
    put_le(e + 1, EXT_LEN - 5, 4);
    e[5] = 0x0C; /* TAG_SEQ_INFO */
    put_le(e + 6, 19, 4);
    e[10] = 0x0D; /* epoch */
    put_le(e + 11, 0, 4);
    e[15] = 0x0E; /* timestamp, microseconds */
    put_le(e + 16, (uint64_t)s->last_us, 8);
    e[24] = 0x0F; /* row index */
    put_le(e + 25, s->row_index, 4);
    memcpy(e + EXT_LEN, row + body, 2);
    s->recs[s->n++] = (stream_rec){.at_ms = emu_clock_now_ms(),
                                   .action = (uint8_t)action,
                                   .len = (uint32_t)(len + EXT_LEN),
                                   .bytes = b};
    return EMU_OK;
}

/* ---- the specification (CreateTable, UpdateTable, DescribeTable) ------------- */

emu_rc ots_stream_spec(const Ots__StreamSpecification *spec, const ots_table_options *cur,
                       ots_table_options *out, emu_err *err)
{
    if (!spec)
        return EMU_OK;
    if (!spec->enable_stream) {
        out->stream_expiration_h = 0;
        out->stream_enabled_ms = 0;
        return EMU_OK;
    }
    if (!spec->has_expiration_time)
        /* [inferred] text */
        return ots_fail(err, EMU_E_INVALID, "OTSParameterInvalid",
                        "Expiration time of stream is missing.");
    if (spec->expiration_time < 1 || spec->expiration_time > STREAM_MAX_HOURS)
        /* [inferred] text; the SDK's samples: at most 168 hours */
        return ots_fail(err, EMU_E_INVALID, "OTSParameterInvalid",
                        "Invalid expiration time of stream: %d. It must be from 1 to %d hours.",
                        (int)spec->expiration_time, STREAM_MAX_HOURS);
    if (cur && cur->stream_expiration_h) {
        if (cur->stream_expiration_h != spec->expiration_time)
            /* [inferred] text; the SDK's samples: it cannot be changed */
            return ots_fail(err, EMU_E_INVALID, "OTSParameterInvalid",
                            "The expiration time of an enabled stream cannot be changed: "
                            "disable the stream first.");
        return EMU_OK; /* already on */
    }
    out->stream_expiration_h = spec->expiration_time;
    out->stream_enabled_ms = emu_clock_now_ms();
    return EMU_OK;
}

Ots__StreamDetails *ots_stream_details(emu_call *call, const ots_table_t *t)
{
    Ots__StreamDetails *d = emu_arena_alloc(call->arena, sizeof *d);
    ots__stream_details__init(d);
    d->enable_stream = 0; /* Go needs the message present (§6.1) */
    if (!ots_stream_enabled(t))
        return d;
    const ots_table_options *o = &ots_table_schema_of(t)->opts;
    d->enable_stream = 1;
    d->stream_id = (char *)ots_stream_id(call->arena, t);
    d->has_expiration_time = d->has_last_enable_time = 1;
    d->expiration_time = o->stream_expiration_h;
    d->last_enable_time = o->stream_enabled_ms / 1000;
    return d;
}

/* ---- handlers ------------------------------------------------------------------ */

/* The table of the call's instance whose stream is `id`, or NULL. */
static ots_table_t *table_of_stream(emu_call *call, const char *id)
{
    ots_instance_t *in = ots_req_of(call)->instance;
    for (size_t i = 0; id && i < ots_store_table_count(in); i++) {
        ots_table_t *t = ots_store_table_at(in, i);
        if (ots_stream_enabled(t) && !strcmp(ots_stream_id(call->arena, t), id))
            return t;
    }
    return NULL;
}

static emu_rc no_stream(emu_call *call, const char *id)
{
    /* [inferred] code and text; the Java SDK's APITest: "Invalid stream id..." */
    return ots_fail(&call->err, EMU_E_NOT_FOUND, "OTSObjectNotExist",
                    "Invalid stream id: %.300s. The stream does not exist.", id ? id : "");
}

/* Iterator text: "<stream id>:<sequence number>". The stream id holds no
 * ':' (a table name is [A-Za-z0-9_]). */
static emu_rc iterator_parse(emu_call *call, const char *it, ots_table_t **t, uint64_t *seq)
{
    const char *colon = it ? strrchr(it, ':') : NULL;
    char *end;
    if (!colon || colon == it || strlen(it) > 600 || colon[1] < '0' || colon[1] > '9')
        goto bad;
    unsigned long long v = strtoull(colon + 1, &end, 10);
    if (*end)
        goto bad;
    char *id = emu_arena_strndup(call->arena, it, (size_t)(colon - it));
    if (!(*t = table_of_stream(call, id)))
        goto bad;
    *seq = v;
    return EMU_OK;
bad: /* [inferred] text */
    return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid", "Invalid shard iterator.");
}

const char *ots_stream_table_name(emu_call *call, const char *stream_id, const char *iterator)
{
    ots_table_t *t = NULL;
    uint64_t seq;
    emu_err keep = call->err;
    if (iterator && iterator_parse(call, iterator, &t, &seq))
        t = NULL;
    else if (!iterator)
        t = table_of_stream(call, stream_id);
    call->err = keep;
    return t ? ots_table_schema_of(t)->name : NULL;
}

emu_rc ots_list_stream(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__ListStreamRequest *m = r->msg;
    Ots__ListStreamResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    size_t n = ots_store_table_count(r->instance);
    ots__list_stream_response__init(resp);
    resp->streams = emu_arena_alloc(call->arena, (n + 1) * sizeof *resp->streams);
    if (m->table_name) {
        ots_table_t *t;
        emu_rc rc = ots_find_table(call, m->table_name, &t, &call->err);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < n; i++) {
        ots_table_t *t = ots_store_table_at(r->instance, i);
        const ots_table_schema *s = ots_table_schema_of(t);
        if (!ots_stream_enabled(t) || (m->table_name && strcmp(m->table_name, s->name)) ||
            ots_index_find(r->instance, s->name))
            continue;
        Ots__Stream *st = emu_arena_alloc(call->arena, sizeof *st);
        ots__stream__init(st);
        st->stream_id = (char *)ots_stream_id(call->arena, t);
        st->table_name = (char *)s->name;
        st->creation_time = s->opts.stream_enabled_ms * 1000; /* microseconds [inferred] */
        resp->streams[resp->n_streams++] = st;
    }
    r->resp = &resp->base;
    return EMU_OK;
}

emu_rc ots_describe_stream(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__DescribeStreamRequest *m = r->msg;
    ots_table_t *t = table_of_stream(call, m->stream_id);
    if (!t)
        return no_stream(call, m->stream_id);
    const ots_table_schema *s = ots_table_schema_of(t);
    Ots__DescribeStreamResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    ots__describe_stream_response__init(resp);
    resp->stream_id = m->stream_id;
    resp->expiration_time = s->opts.stream_expiration_h;
    resp->table_name = (char *)s->name;
    resp->creation_time = s->opts.stream_enabled_ms * 1000;
    resp->stream_status = OTS__STREAM_STATUS__STREAM_ACTIVE;
    const char *shard = shard_id(call->arena, m->stream_id);
    /* One shard: listed unless the caller starts past it. */
    if (!m->inclusive_start_shard_id || strcmp(m->inclusive_start_shard_id, shard) <= 0) {
        if (m->has_shard_limit && m->shard_limit <= 0)
            /* [inferred] text */
            return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                            "Invalid shard limit: %d.", (int)m->shard_limit);
        Ots__StreamShard *sh = emu_arena_alloc(call->arena, sizeof *sh);
        ots__stream_shard__init(sh);
        sh->shard_id = (char *)shard;
        resp->shards = emu_arena_alloc(call->arena, sizeof *resp->shards);
        resp->shards[0] = sh;
        resp->n_shards = 1;
    }
    r->resp = &resp->base;
    return EMU_OK;
}

emu_rc ots_get_shard_iterator(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__GetShardIteratorRequest *m = r->msg;
    ots_table_t *t = table_of_stream(call, m->stream_id);
    if (!t)
        return no_stream(call, m->stream_id);
    if (strcmp(m->shard_id, shard_id(call->arena, m->stream_id)))
        /* [inferred] text */
        return ots_fail(&call->err, EMU_E_NOT_FOUND, "OTSObjectNotExist",
                        "Shard %.100s does not exist in stream %.300s.", m->shard_id, m->stream_id);
    if (m->has_timestamp || m->token)
        return ots_fail(&call->err, EMU_E_UNSUPPORTED, "OTSParameterInvalid",
                        "acsemu does not support GetShardIterator from a timestamp or a token: "
                        "leave both out to read from the oldest record.");
    ots_stream *s = stream_of(call, t);
    if (!s)
        return ots_fail(&call->err, EMU_E_LIMIT, "OTSQuotaExhausted",
                        "Too many streams (acsemu keeps %d).", EMU_MAX_OTS_STREAMS);
    Ots__GetShardIteratorResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    ots__get_shard_iterator_response__init(resp);
    resp->shard_iterator = emu_arena_sprintf(call->arena, "%s:%" PRIu64, m->stream_id, s->first);
    r->resp = &resp->base;
    return EMU_OK;
}

emu_rc ots_get_stream_record(emu_call *call)
{
    ots_req *r = ots_req_of(call);
    const Ots__GetStreamRecordRequest *m = r->msg;
    ots_table_t *t;
    uint64_t seq;
    emu_rc rc;
    if ((rc = iterator_parse(call, m->shard_iterator, &t, &seq)))
        return rc;
    if (m->has_limit && m->limit <= 0)
        /* [inferred] text */
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid", "Invalid limit: %d.",
                        (int)m->limit);
    ots_stream *s = stream_of(call, t);
    if (!s || seq > s->first + s->n)
        return ots_fail(&call->err, EMU_E_INVALID, "OTSParameterInvalid",
                        "Invalid shard iterator.");
    if (seq < s->first)
        /* [inferred] code and text */
        return ots_fail(&call->err, EMU_E_INVALID, "OTSTrimmedDataAccess",
                        "The records the shard iterator points at have expired: get a new "
                        "iterator.");
    size_t limit = m->has_limit ? (size_t)m->limit : STREAM_DEFAULT_LIMIT;
    if (limit > STREAM_MAX_LIMIT)
        limit = STREAM_MAX_LIMIT;
    size_t from = (size_t)(seq - s->first), k = from, bytes = 0;
    while (k < s->n && k - from < limit && bytes + s->recs[k].len <= STREAM_MAX_BYTES)
        bytes += s->recs[k++].len;
    Ots__GetStreamRecordResponse *resp = emu_arena_alloc(call->arena, sizeof *resp);
    ots__get_stream_record_response__init(resp);
    resp->n_stream_records = k - from;
    resp->stream_records =
        emu_arena_alloc(call->arena, (k - from + 1) * sizeof *resp->stream_records);
    for (size_t i = from; i < k; i++) {
        Ots__GetStreamRecordResponse__StreamRecord *sr = emu_arena_alloc(call->arena, sizeof *sr);
        ots__get_stream_record_response__stream_record__init(sr);
        sr->action_type = (Ots__ActionType)s->recs[i].action;
        sr->record.len = s->recs[i].len;
        sr->record.data = emu_arena_alloc(call->arena, s->recs[i].len);
        memcpy(sr->record.data, s->recs[i].bytes, s->recs[i].len);
        resp->stream_records[i - from] = sr;
    }
    resp->next_shard_iterator =
        emu_arena_sprintf(call->arena, "%s:%" PRIu64, ots_stream_id(call->arena, t), s->first + k);
    resp->has_may_more_record = 1;
    resp->may_more_record = k < s->n;
    resp->consumed = ots_consumed(call->arena, ots_cu(bytes), 0);
    r->resp = &resp->base;
    return EMU_OK;
}
