/* protobuf-c glue: decoded request messages live in the request arena, so a
 * handler never frees them (STYLE.md §6), and packed responses land there
 * too. The wire code itself is generated from ots.proto. */
#include <string.h>

#include "ots_int.h"

static void *arena_alloc(void *data, size_t size)
{
    return emu_arena_alloc(data, size ? size : 1);
}

static void arena_free(void *data, void *p)
{
    /* Freed with the arena. */
    (void)data;
    (void)p;
}

void *ots_pb_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len,
                    emu_arena *a, emu_err *err)
{
    ProtobufCAllocator alloc = {arena_alloc, arena_free, a};
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, &alloc, len, buf);
    if (!m)
        emu_err_set(err, EMU_E_INVALID, NULL, "Parse PBMessage from RawString failed.");
    return m;
}

uint8_t *ots_pb_pack(const void *msg, emu_arena *a, size_t *len)
{
    const ProtobufCMessage *m = msg;
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = emu_arena_alloc(a, n ? n : 1);
    *len = protobuf_c_message_pack(m, buf);
    return buf;
}
