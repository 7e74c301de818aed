/* Real and virtual clocks, date formats, and the seeded generator. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "emu/clock.h"

static int64_t virt_offset_ms;
static unsigned held;   /* depth of emu_clock_hold() */
static int64_t held_us; /* the real instant while held */

static int64_t read_real_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t emu_clock_real_us(void)
{
    return held ? held_us : read_real_us();
}

int64_t emu_clock_real_ms(void)
{
    return emu_clock_real_us() / 1000; /* the system clock is past 1970 */
}

void emu_clock_hold(void)
{
    if (held++ == 0)
        held_us = read_real_us();
}

void emu_clock_release(void)
{
    if (held)
        held--;
}

uint64_t emu_clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t emu_clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int64_t emu_clock_now_ms(void)
{
    /* Kept inside the dates acsemu can write (POST /_emu/clock refuses to
     * leave them; the real clock could still carry it over the end). */
    int64_t now = emu_clock_real_ms() + virt_offset_ms;
    return now < EMU_TIME_MIN_MS ? EMU_TIME_MIN_MS : now > EMU_TIME_MAX_MS ? EMU_TIME_MAX_MS : now;
}

void emu_clock_advance_ms(int64_t delta)
{
    virt_offset_ms += delta;
}

void emu_clock_set_ms(int64_t epoch_ms)
{
    virt_offset_ms = epoch_ms - emu_clock_real_ms();
}

void emu_clock_reset(void)
{
    virt_offset_ms = 0;
}

int64_t emu_clock_offset_ms(void)
{
    return virt_offset_ms;
}

void emu_clock_set_offset_ms(int64_t off)
{
    virt_offset_ms = off;
}

/* Floor division by 1000 that cannot overflow (cell timestamps are any
 * int64 a client sends). */
static int64_t floor_sec(int64_t epoch_ms)
{
    return epoch_ms / 1000 - (epoch_ms % 1000 < 0);
}

/* UTC calendar fields of epoch_ms (tm_year, tm_mon, tm_mday, tm_hour,
 * tm_min, tm_sec, tm_wday). Arithmetic only [H. Hinnant, civil_from_days]:
 * gmtime_r takes glibc's time-zone lock and walks tz code on every
 * signed answer. */
static void to_tm(int64_t epoch_ms, struct tm *tm)
{
    int64_t t = floor_sec(epoch_ms);
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t secs = t - days * 86400;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* March = 0 */
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    memset(tm, 0, sizeof *tm);
    tm->tm_year = (int)(yoe + era * 400 + (m <= 2) - 1900);
    tm->tm_mon = (int)m - 1;
    tm->tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
    tm->tm_hour = (int)(secs / 3600);
    tm->tm_min = (int)(secs / 60 % 60);
    tm->tm_sec = (int)(secs % 60);
    tm->tm_wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday (4) */
}

static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

/* "YYYY-MM-DDThh:mm:ss" into out[0..19), without strftime (it takes the
 * locale lock): every signed answer carries one or two of these, nearly
 * always of the same second as the last, so the calendar arithmetic runs
 * once per second and the text is copied otherwise. */
static void put_iso(char *out, int64_t epoch_ms)
{
    static _Thread_local int64_t last_sec = INT64_MIN;
    static _Thread_local char last[19];
    int64_t sec = floor_sec(epoch_ms);
    if (sec == last_sec) {
        memcpy(out, last, sizeof last);
        return;
    }
    struct tm tm;
    to_tm(epoch_ms, &tm);
    int y = tm.tm_year + 1900;
    y = y < 0 ? 0 : y > 9999 ? 9999 : y;
    put2(out, y / 100);
    put2(out + 2, y % 100);
    out[4] = '-';
    put2(out + 5, tm.tm_mon + 1);
    out[7] = '-';
    put2(out + 8, tm.tm_mday);
    out[10] = 'T';
    put2(out + 11, tm.tm_hour);
    out[13] = ':';
    put2(out + 14, tm.tm_min);
    out[16] = ':';
    put2(out + 17, tm.tm_sec);
    memcpy(last, out, sizeof last);
    last_sec = sec;
}

void emu_time_iso(int64_t epoch_ms, char out[21])
{
    put_iso(out, epoch_ms);
    memcpy(out + 19, "Z", 2);
}

/* The fraction after the seconds: `digits` digits of `frac`, then "Z". */
static void put_fraction(char *out, int64_t frac, int digits)
{
    out[0] = '.';
    for (int i = digits; i > 0; i--) {
        out[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    memcpy(out + digits + 1, "Z", 2);
}

void emu_time_iso_ms(int64_t epoch_ms, char out[25])
{
    int64_t ms = epoch_ms % 1000;
    put_iso(out, epoch_ms);
    put_fraction(out + 19, ms < 0 ? ms + 1000 : ms, 3);
}

void emu_time_iso_us(int64_t epoch_us, char out[28])
{
    int64_t us = epoch_us % 1000000;
    if (us < 0)
        us += 1000000;
    put_iso(out, (epoch_us - us) / 1000);
    put_fraction(out + 19, us, 6);
}

void emu_time_http(int64_t epoch_ms, char out[30])
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    to_tm(epoch_ms, &tm);
    snprintf(out, 30, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], (tm.tm_year + 1900) % 10000, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Days from civil date (Howard Hinnant's algorithm): no timegm, no locale. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool valid_date(int y, int mo, int d, int h, int mi, int s)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 60)
        return false;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return false;
    return true;
}

bool emu_time_parse_iso(const char *s, size_t len, bool allow_offset, int64_t *epoch_ms)
{
    int y, mo, d, h, mi, sec, ms = 0;
    if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return false;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
        return false;
    size_t i = 19;
    if (i < len && s[i] == '.') {
        size_t start = ++i;
        int scale = 100;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            ms += (s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == start || i - start > 12)
            return false;
    }
    if (i + 1 == len && s[i] == 'Z') {
        /* UTC */
    } else if (allow_offset && i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh, om;
        if (!digits(s + i + 1, 2, &oh) || !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        int off = (oh * 60 + om) * (s[i] == '+' ? 1 : -1);
        if (!valid_date(y, mo, d, h, mi, sec))
            return false;
        *epoch_ms = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
                      sec - off * 60) *
                     1000) +
                    ms;
        return true;
    } else {
        return false;
    }
    if (!valid_date(y, mo, d, h, mi, sec))
        return false;
    *epoch_ms =
        (days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec) * 1000 +
        ms;
    return true;
}

bool emu_time_parse_http(const char *s, size_t len, int64_t *epoch_ms)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int d, y, h, mi, sec, mo = -1;
    /* "Sat, 28 Nov 2026 03:25:50 GMT" */
    if (len != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
        s[19] != ':' || s[22] != ':' || memcmp(s + 25, " GMT", 4) != 0)
        return false;
    for (int i = 0; i < 12; i++)
        if (memcmp(months + 3 * i, s + 8, 3) == 0)
            mo = i + 1;
    if (mo < 0 || !digits(s + 5, 2, &d) || !digits(s + 12, 4, &y) || !digits(s + 17, 2, &h) ||
        !digits(s + 20, 2, &mi) || !digits(s + 23, 2, &sec) || !valid_date(y, mo, d, h, mi, sec))
        return false;
    *epoch_ms =
        (days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec) * 1000;
    return true;
}

/* xoshiro256** seeded through splitmix64: fast, good enough for ids, and
 * repeatable under a fixed seed. Not for cryptography (nothing here needs
 * unpredictability beyond a local test emulator). */
static uint64_t rs[4] = {0x9E3779B97F4A7C15ULL, 0xBF58476D1CE4E5B9ULL, 0x94D049BB133111EBULL,
                         0x2545F4914F6CDD1DULL};

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void emu_rand_seed(uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        rs[i] = splitmix(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t emu_rand_u64(void)
{
    uint64_t r = rotl(rs[1] * 5, 7) * 9;
    uint64_t t = rs[1] << 17;
    rs[2] ^= rs[0];
    rs[3] ^= rs[1];
    rs[1] ^= rs[2];
    rs[0] ^= rs[3];
    rs[2] ^= t;
    rs[3] = rotl(rs[3], 45);
    return r;
}

void emu_rand_bytes(void *out, size_t n)
{
    unsigned char *p = out;
    while (n) {
        uint64_t v = emu_rand_u64();
        size_t k = n < 8 ? n : 8;
        memcpy(p, &v, k);
        p += k;
        n -= k;
    }
}

void emu_rand_uuid(char out[37])
{
    /* Every request gets one: two generator steps and a fixed layout. */
    static const char hex[] = "0123456789ABCDEF";
    static const unsigned char at[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
    uint64_t r[2] = {emu_rand_u64(), emu_rand_u64()};
    unsigned char b[16];
    memcpy(b, r, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    for (int i = 0; i < 16; i++) {
        out[at[i]] = hex[b[i] >> 4];
        out[at[i] + 1] = hex[b[i] & 15];
    }
    out[8] = out[13] = out[18] = out[23] = '-';
    out[36] = '\0';
}

void emu_rand_base62(char *out, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (size_t i = 0; i < n; i++)
        out[i] = a[emu_rand_u64() % 62];
    out[n] = '\0';
}

void emu_rand_digits(char *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (char)('0' + (i == 0 ? 1 + emu_rand_u64() % 9 : emu_rand_u64() % 10));
    out[n] = '\0';
}
