/* Time and randomness, one module for each (STYLE.md §11).
 *
 * Two clocks: the REAL clock for wire dates and signature skew checks, and
 * the VIRTUAL clock for decisions (STS expiry, acs:CurrentTime, TTL,
 * checkpoint stamps). The virtual clock is the real clock plus an offset that
 * tests move with POST /_emu/clock, or a frozen instant after "set".
 *
 * Randomness (ids, keys, tokens) comes from one seeded generator so that a
 * test can make it repeatable (--seed / ACSEMU_SEED). */
#ifndef EMU_CLOCK_H
#define EMU_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Milliseconds since the Unix epoch. */
int64_t emu_clock_real_ms(void);
/* Microseconds since the Unix epoch (real clock; for x-ots-date). */
int64_t emu_clock_real_us(void);
/* Monotonic milliseconds (uptime, latency measurement). */
uint64_t emu_clock_mono_ms(void);
uint64_t emu_clock_mono_us(void);

int64_t emu_clock_now_ms(void); /* the virtual clock */

/* One instant per request. Between emu_clock_hold() and its
 * emu_clock_release() the real clock (and so the virtual one, which still
 * follows offset changes) reads the instant of the outermost hold: the
 * answer's date, the signature skew check, the policy's CurrentTime and the
 * versions a write stamps all agree, and the request path reads the system
 * clock once instead of about ten times. Holds nest. The monotonic clock is
 * never held (it measures durations). */
void emu_clock_hold(void);
void emu_clock_release(void);
void emu_clock_advance_ms(int64_t delta);
void emu_clock_set_ms(int64_t epoch_ms); /* virtual now := epoch_ms, then runs on */
void emu_clock_reset(void);              /* virtual clock := real clock */
int64_t emu_clock_offset_ms(void);
void emu_clock_set_offset_ms(int64_t off);

/* Formats epoch milliseconds as ISO-8601 UTC: "2026-11-28T03:19:28Z". out
 * needs 21 bytes. */
/* The instants a date written by acsemu can be read back as: from
 * 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z. The virtual clock stays
 * inside (POST /_emu/clock refuses to leave), so every export loads. */
#define EMU_TIME_MIN_MS 0LL
#define EMU_TIME_MAX_MS 253402300799999LL

void emu_time_iso(int64_t epoch_ms, char out[21]);
/* "2026-11-28T03:19:28.123Z". out needs 25 bytes. */
void emu_time_iso_ms(int64_t epoch_ms, char out[25]);
/* "2026-11-28T03:19:28.123456Z" from epoch microseconds. out needs 28 bytes. */
void emu_time_iso_us(int64_t epoch_us, char out[28]);
/* RFC 1123: "Sat, 28 Nov 2026 03:25:50 GMT". out needs 30 bytes. */
void emu_time_http(int64_t epoch_ms, char out[30]);
/* Parses "YYYY-MM-DDThh:mm:ss[.fraction]Z" (any number of fraction digits;
 * the fraction is ignored beyond milliseconds). Also accepts a "+00:00"
 * suffix when allow_offset. Returns false on anything else. */
bool emu_time_parse_iso(const char *s, size_t len, bool allow_offset, int64_t *epoch_ms);
/* Parses an RFC 1123 date ("Sat, 28 Nov 2026 03:25:50 GMT"). */
bool emu_time_parse_http(const char *s, size_t len, int64_t *epoch_ms);

void emu_rand_seed(uint64_t seed);
uint64_t emu_rand_u64(void);
/* n random bytes from the seeded generator. */
void emu_rand_bytes(void *out, size_t n);
/* Upper-case UUID v4 text, 36 chars + NUL. */
void emu_rand_uuid(char out[37]);
/* n characters of [A-Za-z0-9] + NUL. */
void emu_rand_base62(char *out, size_t n);
/* n decimal digits, first non-zero, + NUL. */
void emu_rand_digits(char *out, size_t n);

#endif
