/* Record framing and CRC-32C (see persist_int.h).
 *
 * The reader is the parser of bytes that come back from disk after a crash,
 * so it trusts nothing: a length over EMU_PERSIST_MAX_RECORD_BYTES or past
 * the end, an unknown type and a checksum mismatch all make it stop, and it
 * never reads past the buffer. */
#include <string.h>

#include "emu/crc32c.h"
#include "emu/limits.h"
#include "persist_int.h"

uint32_t persist__crc32c(uint32_t crc, const void *p, size_t n)
{
    return emu_crc32c(crc, p, n);
}

size_t persist__frame_open(emu_buf *b)
{
    static const uint8_t zero[PERSIST_HEADER_BYTES];
    size_t at = b->len;
    emu_buf_append(b, zero, sizeof zero);
    return at;
}

void persist__frame_close(emu_buf *b, size_t at, persist_type type)
{
    uint8_t *h = (uint8_t *)b->p + at;
    uint32_t len = (uint32_t)(b->len - at - PERSIST_HEADER_BYTES);
    h[8] = (uint8_t)type;
    uint32_t crc = persist__crc32c(0, h + 8, 1 + (size_t)len);
    memcpy(h, &len, 4);
    memcpy(h + 4, &crc, 4);
}

void persist__frame(emu_buf *b, persist_type type, const void *p, size_t n)
{
    size_t at = persist__frame_open(b);
    emu_buf_append(b, p, n);
    persist__frame_close(b, at, type);
}

bool persist__read(const uint8_t *buf, size_t len, size_t off, persist_rec *out, const char **why)
{
    uint32_t n, crc;
    if (off > len || len - off < PERSIST_HEADER_BYTES) {
        *why = "record header cut short";
        return false;
    }
    const uint8_t *h = buf + off;
    memcpy(&n, h, 4);
    memcpy(&crc, h + 4, 4);
    if (n > EMU_PERSIST_MAX_RECORD_BYTES) {
        *why = "record length over the limit";
        return false;
    }
    if (len - off - PERSIST_HEADER_BYTES < n) {
        *why = "record cut short";
        return false;
    }
    if (persist__crc32c(0, h + 8, 1 + (size_t)n) != crc) {
        *why = "checksum mismatch";
        return false;
    }
    if (h[8] < PERSIST_HEAD || h[8] > PERSIST_END) {
        *why = "unknown record type";
        return false;
    }
    out->type = (persist_type)h[8];
    out->p = h + PERSIST_HEADER_BYTES;
    out->len = n;
    out->off = off;
    out->end = off + PERSIST_HEADER_BYTES + n;
    return true;
}

bool persist__cut_short(const uint8_t *buf, size_t len, size_t off)
{
    uint32_t n;
    if (off > len || len - off < PERSIST_HEADER_BYTES)
        return true;
    memcpy(&n, buf + off, 4);
    return n <= EMU_PERSIST_MAX_RECORD_BYTES && len - off - PERSIST_HEADER_BYTES < n;
}

bool persist__valid_after(const uint8_t *buf, size_t len, size_t from)
{
    persist_rec r;
    const char *why;
    for (size_t off = from; off + PERSIST_HEADER_BYTES <= len; off++) {
        /* Cheap tests first: most offsets fail on type or length. */
        uint32_t n;
        uint8_t type = buf[off + 8];
        memcpy(&n, buf + off, 4);
        if (type < PERSIST_HEAD || type > PERSIST_END || n > len - off - PERSIST_HEADER_BYTES)
            continue;
        if (persist__read(buf, len, off, &r, &why))
            return true;
    }
    return false;
}
