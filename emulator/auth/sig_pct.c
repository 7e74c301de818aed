/* Percent codec, RPC parameter collection and the small helpers every
 * signature builder shares (rpc-api.md §2.5, §3.1).
 *
 * Contract of the parameter parser (sig_params_parse):
 *   - input is raw bytes; nothing is assumed NUL-terminated and nothing is
 *     read outside [p, p+len);
 *   - pieces are split on '&' only (';' is an ordinary byte, as in Node's
 *     querystring and Python 3.10+ parse_qsl);
 *   - decoding is form decoding: '+' → space, %XX (either hex case) → byte,
 *     any other '%' → EMU_E_INVALID;
 *   - at most EMU_MAX_PARAMS pieces (empty pieces do not count), so the
 *     O(n²) merge below stays at 64k comparisons in the worst case. */
#include <stdint.h>
#include <string.h>

#include "emu/limits.h"
#include "emu/sig.h"
#include "sig_int.h"

/* ---- string builder ---------------------------------------------------- */

void sig__sb_init(sig__sb *sb, emu_arena *arena)
{
    sb->a = arena;
    sb->p = NULL;
    sb->len = sb->cap = 0;
    sb->overflow = false;
}

/* A fresh block twice as big (the old one stays in the arena, which the
 * request frees whole). */
bool sig__sb_grow(sig__sb *sb, size_t n)
{
    if (sb->overflow || n > SIG_MAX_CANON_BYTES - sb->len) {
        sb->overflow = true;
        return false;
    }
    size_t cap = sb->cap ? sb->cap : 256;
    while (cap < sb->len + n + 1)
        cap *= 2;
    if (cap > SIG_MAX_CANON_BYTES + 1)
        cap = SIG_MAX_CANON_BYTES + 1;
    char *p = emu_arena_alloc(sb->a, cap);
    if (sb->len)
        memcpy(p, sb->p, sb->len);
    sb->p = p;
    sb->cap = cap;
    return true;
}

void sig__sb_puts(sig__sb *sb, const char *s)
{
    sig__sb_put(sb, s, strlen(s));
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

static const char HEX_UPPER[] = "0123456789ABCDEF";

void sig__sb_pct(sig__sb *sb, emu_str s)
{
    size_t i = 0;
    while (i < s.len && !sb->overflow) {
        /* Copy runs of literal bytes in one append. */
        size_t j = i;
        while (j < s.len && unreserved((unsigned char)s.p[j]))
            j++;
        sig__sb_put(sb, s.p + i, j - i);
        if (j < s.len) {
            unsigned char c = (unsigned char)s.p[j];
            char esc[3] = {'%', HEX_UPPER[c >> 4], HEX_UPPER[c & 15]};
            sig__sb_put(sb, esc, 3);
            j++;
        }
        i = j;
    }
}

void sig__sb_lower(sig__sb *sb, emu_str s)
{
    size_t at = sb->len;
    sig__sb_put(sb, s.p, s.len);
    if (sb->overflow)
        return;
    char *c = sb->p + at, *end = sb->p + sb->len;
    /* Eight bytes at a time: canonical strings lower every header name. */
    for (; end - c >= 8; c += 8) {
        uint64_t x;
        memcpy(&x, c, 8);
        x = emu_ascii_lower8(x);
        memcpy(c, &x, 8);
    }
    for (; c < end; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
}

emu_rc sig__sb_finish(sig__sb *sb, const char *what, emu_str *out, emu_err *err)
{
    if (sb->overflow)
        return emu_err_set(err, EMU_E_LIMIT, NULL, "%s is longer than %u bytes", what,
                           (unsigned)SIG_MAX_CANON_BYTES);
    if (!sb->p) {
        out->p = "";
        out->len = 0;
        return EMU_OK;
    }
    sb->p[sb->len] = '\0';
    out->p = sb->p;
    out->len = sb->len;
    return EMU_OK;
}

int sig__cmp(emu_str a, emu_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int d = n ? memcmp(a.p, b.p, n) : 0;
    if (d)
        return d;
    return (a.len > b.len) - (a.len < b.len);
}

static unsigned char fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

int sig__icmp(emu_str a, emu_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    for (size_t i = 0; i < n; i++) {
        if (a.p[i] == b.p[i])
            continue; /* the common case: names sent in lower case */
        int d = fold((unsigned char)a.p[i]) - fold((unsigned char)b.p[i]);
        if (d)
            return d;
    }
    return (a.len > b.len) - (a.len < b.len);
}

const emu_http_header *sig__header(const emu_http_header *h, size_t n, const char *name)
{
    /* emu_str_ieq tests lengths first: x-ots-* names share six bytes. */
    emu_str want = emu_str_c(name);
    for (size_t i = 0; i < n; i++)
        if (emu_str_ieq(h[i].name, want))
            return &h[i];
    return NULL;
}

int sig__hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ---- percent codec ----------------------------------------------------- */

emu_str sig_pct_encode(emu_arena *arena, emu_str in)
{
    size_t n = 0;
    for (size_t i = 0; i < in.len; i++)
        n += unreserved((unsigned char)in.p[i]) ? 1 : 3;
    char *o = emu_arena_alloc(arena, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < in.len; i++) {
        unsigned char c = (unsigned char)in.p[i];
        if (unreserved(c)) {
            o[k++] = (char)c;
        } else {
            o[k++] = '%';
            o[k++] = HEX_UPPER[c >> 4];
            o[k++] = HEX_UPPER[c & 15];
        }
    }
    o[k] = '\0';
    return (emu_str){o, k};
}

/* Decodes into `o` (room for in.len bytes). Returns the offset of the bad
 * escape, or (size_t)-1 on success with *o_len set. */
static size_t decode_into(emu_str in, bool plus_is_space, char *o, size_t *o_len)
{
    size_t k = 0;
    for (size_t i = 0; i < in.len; i++) {
        unsigned char c = (unsigned char)in.p[i];
        if (c == '%') {
            int hi = i + 1 < in.len ? sig__hexval((unsigned char)in.p[i + 1]) : -1;
            int lo = i + 2 < in.len ? sig__hexval((unsigned char)in.p[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return i;
            o[k++] = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            o[k++] = ' ';
        } else {
            o[k++] = (char)c;
        }
    }
    *o_len = k;
    return (size_t)-1;
}

emu_rc sig_pct_decode(emu_arena *arena, emu_str in, bool plus_is_space, emu_str *out, emu_err *err)
{
    char *o = emu_arena_alloc(arena, in.len + 1);
    size_t n = 0;
    size_t bad = decode_into(in, plus_is_space, o, &n);
    if (bad != (size_t)-1)
        return emu_err_set(err, EMU_E_INVALID, NULL, "malformed percent escape at offset %zu", bad);
    o[n] = '\0';
    *out = (emu_str){o, n};
    return EMU_OK;
}

/* ---- parameters -------------------------------------------------------- */

bool sig_is_form_content_type(emu_str ct)
{
    ct = emu_str_trim(ct);
    if (!emu_str_istarts(ct, "application/x-www-form-urlencoded"))
        return false;
    size_t n = strlen("application/x-www-form-urlencoded");
    /* Exactly the media type, or followed by parameters (";charset=utf-8"). */
    return ct.len == n || ct.p[n] == ';' || ct.p[n] == ' ' || ct.p[n] == '\t';
}

/* One source ("query" or "body") into the merged list. `pieces` counts raw
 * non-empty pieces across both sources against EMU_MAX_PARAMS. */
static emu_rc parse_source(emu_arena *arena, emu_str src, bool is_body, const char *what,
                           sig_params *out, size_t *pieces, emu_err *err)
{
    size_t i = 0;
    while (i < src.len) {
        size_t start = i;
        while (i < src.len && src.p[i] != '&')
            i++;
        emu_str piece = {src.p + start, i - start};
        i++; /* skip '&' (or step past the end) */
        if (piece.len == 0)
            continue;
        if (++*pieces > EMU_MAX_PARAMS)
            return emu_err_set(err, EMU_E_LIMIT, NULL, "more than %d parameters", EMU_MAX_PARAMS);

        const char *eq = memchr(piece.p, '=', piece.len);
        emu_str rn = {piece.p, eq ? (size_t)(eq - piece.p) : piece.len};
        emu_str rv = eq ? (emu_str){eq + 1, piece.len - rn.len - 1} : (emu_str){"", 0};
        emu_str name, value;
        emu_rc rc = sig_pct_decode(arena, rn, true, &name, err);
        if (rc == EMU_OK)
            rc = sig_pct_decode(arena, rv, true, &value, err);
        if (rc) {
            emu_err_prefix(err, "%s: ", what);
            return rc;
        }
        if (name.len == 0)
            continue;

        sig_param *found = NULL;
        for (size_t k = 0; k < out->n && !found; k++)
            if (emu_str_eq(out->v[k].name, name))
                found = &out->v[k];
        if (!found) {
            out->v[out->n++] = (sig_param){name, value, 1, is_body};
            continue;
        }
        if (found->count++ == 1)
            out->n_dup++;
        /* The body beats the query; inside one source the first one stays. */
        if (is_body && !found->from_body) {
            found->value = value;
            found->from_body = true;
        }
    }
    return EMU_OK;
}

emu_rc sig_params_parse(emu_arena *arena, emu_str query, emu_str form_body, sig_params *out,
                        emu_err *err)
{
    size_t pieces = 0;
    memset(out, 0, sizeof *out);
    /* Sized for the cap up front: no reallocation, and the cap check in
     * parse_source runs before any write. */
    out->v = emu_arena_alloc(arena, EMU_MAX_PARAMS * sizeof *out->v);
    emu_rc rc = parse_source(arena, query, false, "query", out, &pieces, err);
    if (rc == EMU_OK)
        rc = parse_source(arena, form_body, true, "body", out, &pieces, err);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

const sig_param *sig_params_find(const sig_params *p, const char *name)
{
    emu_str n = emu_str_c(name);
    for (size_t i = 0; i < p->n; i++)
        if (emu_str_eq(p->v[i].name, n))
            return &p->v[i];
    return NULL;
}

emu_str sig_params_get(const sig_params *p, const char *name)
{
    const sig_param *x = sig_params_find(p, name);
    return x ? x->value : EMU_STR_NULL;
}
