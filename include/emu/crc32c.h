/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the persistence
 * log's record frames and the MaxCompute tunnel's record and stream
 * checksums (pyodps odps/tunnel/checksum.py) both use it. Chain by passing
 * the previous result; start with 0. crc32c("123456789") = 0xE3069283.
 * Table-driven, 8 bytes at a time; the tables are built on first use. */
#ifndef EMU_CRC32C_H
#define EMU_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t emu_crc32c(uint32_t crc, const void *p, size_t n);

#endif
