/* CRC-8 of PlainBuffer (tablestore-protocol.md §7.2): polynomial x^8+x^2+x+1
 * (0x07), initial value 0, MSB first, no final XOR ("CRC-8/SMBUS"; the Java
 * SDK calls it CRC-8-ATM). Check value of "123456789" is 0xF4. The running
 * value is one byte and the PlainBuffer checksums chain it, so every entry
 * point takes the current value. */
#include <stdint.h>

#include "emu/crc8.h"

/* T[i] = i shifted through the polynomial eight times; built at compile time
 * by the macro below so there is no init-order question. */
#define CRC_STEP(c) ((uint8_t)(((c)&0x80) ? (((c) << 1) ^ 0x07) : ((c) << 1)))
#define CRC_E(i) CRC_STEP(CRC_STEP(CRC_STEP(CRC_STEP(CRC_STEP(CRC_STEP(CRC_STEP(CRC_STEP(i))))))))
#define CRC_R4(i) CRC_E(i), CRC_E((i) + 1), CRC_E((i) + 2), CRC_E((i) + 3)
#define CRC_R16(i) CRC_R4(i), CRC_R4((i) + 4), CRC_R4((i) + 8), CRC_R4((i) + 12)
#define CRC_R64(i) CRC_R16(i), CRC_R16((i) + 16), CRC_R16((i) + 32), CRC_R16((i) + 48)

static const uint8_t crc_table[256] = {CRC_R64(0), CRC_R64(64), CRC_R64(128), CRC_R64(192)};

uint8_t emu_crc8_byte(uint8_t crc, uint8_t b)
{
    return crc_table[crc ^ b];
}

uint8_t emu_crc8(uint8_t crc, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        crc = crc_table[crc ^ b[i]];
    return crc;
}

uint8_t emu_crc8_u32(uint8_t crc, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        crc = crc_table[crc ^ (uint8_t)(v >> (8 * i))];
    return crc;
}

uint8_t emu_crc8_u64(uint8_t crc, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        crc = crc_table[crc ^ (uint8_t)(v >> (8 * i))];
    return crc;
}
