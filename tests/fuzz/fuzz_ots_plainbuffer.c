/* Fuzz harness: PlainBuffer decoding (one request row, a multi-row response,
 * a filter variant) from arbitrary bytes. Whatever decodes must re-encode,
 * and the re-encoding must decode and re-encode to itself (the decoder may
 * drop what the encoder never writes: padding, the stream extension). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ots_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    emu_arena *a = emu_arena_new(0);
    emu_err err = {0};
    ots_row_t row;
    size_t n;

    if (ots_plainbuffer_decode_row(data, size, a, &row, &err) == EMU_OK) {
        uint8_t *again = ots_plainbuffer_encode_row(&row, a, &n);
        ots_row_t back;
        size_t m;
        if (ots_plainbuffer_decode_row(again, n, a, &back, &err) != EMU_OK)
            abort();
        uint8_t *third = ots_plainbuffer_encode_row(&back, a, &m);
        if (m != n || memcmp(third, again, n))
            abort();
    }
    ots_row_t *rows;
    size_t nr;
    if (ots_plainbuffer_decode_rows(data, size, a, &rows, &nr, &err) == EMU_OK && nr) {
        uint8_t *again = ots_plainbuffer_encode_rows(rows, nr, a, &n);
        ots_row_t *back;
        size_t nb, m;
        if (ots_plainbuffer_decode_rows(again, n, a, &back, &nb, &err) != EMU_OK || nb != nr)
            abort();
        uint8_t *third = ots_plainbuffer_encode_rows(back, nb, a, &m);
        if (m != n || memcmp(third, again, n))
            abort();
    }
    ots_value v;
    if (ots_plainbuffer_decode_variant(data, size, &v, &err) == EMU_OK) {
        uint8_t *again = ots_plainbuffer_encode_variant(&v, a, &n);
        if (n != size || memcmp(again, data, n))
            abort();
    }
    emu_arena_free(a);
    return 0;
}
