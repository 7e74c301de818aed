/* CRC-32C (Castagnoli), see emu/crc32c.h. Moved here from the persistence
 * log so that the MaxCompute tunnel's record checksums share it. */
#include <stdbool.h>
#include <string.h>

#include "emu/crc32c.h"

static uint32_t crc_table[8][256];
static bool crc_ready;

/* Only the loop thread and the persistence snapshot child compute CRCs,
 * so the lazy table needs no lock. */
static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xFF];
    crc_ready = true;
}

uint32_t emu_crc32c(uint32_t crc, const void *p, size_t n)
{
    const uint8_t *b = p;
    if (!crc_ready)
        crc_init();
    crc = ~crc;
    /* Slicing-by-8 [Intel, "A Systematic Approach to Building High
     * Performance Software-based CRC Generators"]; little-endian loads. */
    while (n >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, b, 4);
        memcpy(&hi, b + 4, 4);
        lo ^= crc;
        crc = crc_table[7][lo & 0xFF] ^ crc_table[6][(lo >> 8) & 0xFF] ^
              crc_table[5][(lo >> 16) & 0xFF] ^ crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xFF] ^
              crc_table[2][(hi >> 8) & 0xFF] ^ crc_table[1][(hi >> 16) & 0xFF] ^
              crc_table[0][hi >> 24];
        b += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *b++) & 0xFF];
    return ~crc;
}
