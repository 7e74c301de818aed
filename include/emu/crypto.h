/* Hashes, MACs, Base64 and constant-time comparison (OpenSSL underneath). */
#ifndef EMU_CRYPTO_H
#define EMU_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EMU_SHA1_LEN 20
#define EMU_SHA256_LEN 32
#define EMU_MD5_LEN 16

void emu_hmac_sha1(const void *key, size_t key_len, const void *msg, size_t msg_len,
                   uint8_t out[EMU_SHA1_LEN]);
void emu_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                     uint8_t out[EMU_SHA256_LEN]);
void emu_sha256(const void *msg, size_t len, uint8_t out[EMU_SHA256_LEN]);
void emu_md5(const void *msg, size_t len, uint8_t out[EMU_MD5_LEN]);

/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void emu_hex_lower(const uint8_t *in, size_t n, char *out);

/* Standard Base64 with padding. out needs 4*ceil(n/3)+1 bytes; returns the
 * length written (without the NUL). */
size_t emu_base64_encode(const uint8_t *in, size_t n, char *out);
#define EMU_BASE64_LEN(n) (4 * (((n) + 2) / 3))
/* Decodes strict Base64 (padding required). Returns false on bad input or if
 * the result would exceed out_cap. */
bool emu_base64_decode(const char *in, size_t n, uint8_t *out, size_t out_cap, size_t *out_len);

/* Constant-time equality of two byte strings (length difference leaks only
 * the fact that lengths differ). */
bool emu_ct_equal(const void *a, size_t a_len, const void *b, size_t b_len);

#endif
