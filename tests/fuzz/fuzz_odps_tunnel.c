/* Fuzzes the instance tunnel's record-stream decoder (odps_tunnel.c) and
 * the rowrange parser. Three bytes pick a schema: the column count (1 + the
 * low 3 bits of the first), then two bits per column (BIGINT, DOUBLE,
 * BOOLEAN, STRING) from the next two; the rest is the stream. A stream that decodes is encoded
 * again and must decode to the same values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "odps_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const odps_type kinds[4] = {ODPS_T_BIGINT, ODPS_T_DOUBLE, ODPS_T_BOOLEAN, ODPS_T_STRING};
    static const char *const names[8] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    if (size < 3)
        return 0;
    size_t n_cols = 1 + (data[0] & 7);
    unsigned bits = (unsigned)data[1] | (unsigned)data[2] << 8;
    odps_type types[8];
    for (size_t c = 0; c < n_cols; c++)
        types[c] = kinds[(bits >> (2 * c)) & 3];
    emu_arena *a = emu_arena_new(0);
    emu_err err = {0};
    odps_value *v;
    size_t n;
    if (odps_tunnel_decode(data + 3, size - 3, types, n_cols, a, &v, &n, &err) == EMU_OK) {
        size_t *ord = emu_arena_alloc(a, (n + 1) * sizeof *ord);
        for (size_t r = 0; r < n; r++)
            ord[r] = r;
        odps_resultset *rs = odps_resultset_copy(n_cols, names, types, v, n_cols, ord, n);
        size_t cols[8] = {0, 1, 2, 3, 4, 5, 6, 7};
        emu_buf b;
        emu_buf_init(&b, 4 * size + 64);
        odps_value *w;
        size_t m;
        if (!odps_tunnel_encode(rs, 0, n, cols, n_cols, &b) ||
            odps_tunnel_decode((const uint8_t *)b.p, b.len, types, n_cols, a, &w, &m, &err) !=
                EMU_OK ||
            m != n)
            abort();
        for (size_t i = 0; i < n * n_cols; i++)
            if (w[i].type != v[i].type || (v[i].type == ODPS_T_BIGINT && w[i].i != v[i].i) ||
                (v[i].type == ODPS_T_STRING &&
                 (w[i].len != v[i].len || memcmp(w[i].s, v[i].s, v[i].len) != 0)))
                abort();
        emu_buf_dispose(&b);
        odps_resultset_free(rs);
    }
    char *s = emu_arena_strndup(a, (const char *)data, size);
    uint64_t start, count;
    odps_tunnel_parse_range(s, &start, &count);
    emu_arena_free(a);
    return 0;
}
