/* The FlatBuffers writer (emu/fbs.h). */
#include <stdlib.h>
#include <string.h>

#include "emu/fbs.h"

void emu_fbs_put(emu_fbs *f, const void *p, size_t n)
{
    if (!f->full && !emu_buf_append(&f->b, p, n))
        f->full = true;
}

void emu_fbs_le(emu_fbs *f, uint64_t v, size_t n)
{
    uint8_t x[8];
    for (size_t i = 0; i < n; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    emu_fbs_put(f, x, n);
}

void emu_fbs_pad(emu_fbs *f, size_t align, size_t extra)
{
    static const uint8_t z[16];
    size_t n = (align - (f->b.len - f->base + extra) % align) % align;
    emu_fbs_put(f, z, n);
}

void emu_fbs_patch(emu_fbs *f, size_t slot, size_t target)
{
    if (f->full || f->base + slot + 4 > f->b.len)
        return;
    uint32_t d = (uint32_t)(target - slot);
    for (int i = 0; i < 4; i++)
        f->b.p[f->base + slot + (size_t)i] = (char)(d >> (8 * i));
}

size_t emu_fbs_table(emu_fbs *f, emu_fbs_field *fl, size_t n, int n_ids)
{
    uint16_t at[8] = {0};
    uint8_t body[8 * 8 + 8] = {0};
    size_t cur = 4; /* after the soffset to the vtable */
    /* Biggest first, each aligned within the (8-aligned) table. */
    for (size_t size = 8; size; size /= 2)
        for (size_t i = 0; i < n; i++)
            if (fl[i].size == size) {
                cur = (cur + size - 1) / size * size;
                at[fl[i].id] = (uint16_t)cur;
                cur += size;
            }
    emu_fbs_pad(f, 2, 0);
    size_t vt = f->b.len - f->base;
    emu_fbs_le(f, (uint64_t)(4 + 2 * n_ids), 2);
    emu_fbs_le(f, cur, 2);
    for (int i = 0; i < n_ids; i++)
        emu_fbs_le(f, at[i], 2);
    emu_fbs_pad(f, 8, 0);
    size_t t = f->b.len - f->base;
    emu_fbs_le(f, (uint64_t)(uint32_t)(int32_t)(t - vt), 4);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < fl[i].size; k++)
            body[at[fl[i].id] + k] = (uint8_t)(fl[i].value >> (8 * k));
    emu_fbs_put(f, body + 4, cur - 4);
    for (size_t i = 0; i < n; i++)
        fl[i].slot = t + at[fl[i].id];
    return t;
}

size_t emu_fbs_vec(emu_fbs *f, size_t count, size_t elem)
{
    emu_fbs_pad(f, elem > 4 ? elem : 4, 4);
    size_t at = f->b.len - f->base;
    emu_fbs_le(f, count, 4);
    return at;
}

size_t emu_fbs_string(emu_fbs *f, const char *s, size_t n)
{
    size_t at = emu_fbs_vec(f, n, 1);
    emu_fbs_put(f, s, n);
    emu_fbs_put(f, "", 1);
    return at;
}
