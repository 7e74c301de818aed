/* CRC-8 of Tablestore's PlainBuffer (tablestore-protocol.md §7.2): the
 * store's codec and MaxCompute's GetRange reader both checksum with it.
 * CRC-8/SMBUS: polynomial 0x07, init 0, no reflection, no final XOR. The
 * PlainBuffer checksums are chained: pass the running value back in. */
#ifndef EMU_CRC8_H
#define EMU_CRC8_H

#include <stddef.h>
#include <stdint.h>

uint8_t emu_crc8_byte(uint8_t crc, uint8_t b);
uint8_t emu_crc8(uint8_t crc, const void *p, size_t n);
uint8_t emu_crc8_u32(uint8_t crc, uint32_t v); /* 4 little-endian bytes */
uint8_t emu_crc8_u64(uint8_t crc, uint64_t v); /* 8 little-endian bytes */

#endif
