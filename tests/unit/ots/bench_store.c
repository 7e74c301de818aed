/* Benchmark (not a ctest test): builds a 1,000,000-row vehicle_track table
 * from a CSV rows file, then times range scans, point gets and a clone, and
 * reports memory per stored row.
 *
 *   build-rel/bench_ots_store [rows]      (use a Release build for numbers)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu/clock.h"
#include "ots_int.h"

static long rss_kb(void)
{
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2)
            res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static ots_cell icell(const char *name, int64_t v)
{
    ots_cell c = {.name = emu_str_c(name), .has_value = true};
    c.value.type = OTS_VT_INTEGER;
    c.value.i = v;
    return c;
}

int main(int argc, char **argv)
{
    long rows = argc > 1 ? atol(argv[1]) : 1000000;
    const char *path = "/tmp/acsemu_bench_vehicle_track.csv";
    emu_err err = {0};

    /* 1000 vehicles, one point a minute, five doubles: the seed scenario. */
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    fprintf(f, "vid,gt,longitude,latitude,distance,speed,oil_consumption\n");
    for (long i = 0; i < rows; i++) {
        long vid = i / 1000, k = i % 1000;
        fprintf(f, "%ld,%ld,%.4f,%.4f,%.1f,%.2f,%.1f\n", 1000 + vid, 1700000000000L + k * 60000,
                120.0 + (double)(i % 997) / 1000, 30.0 + (double)(i % 991) / 1000,
                (double)(k % 500) / 10, 40.0 + (double)(i % 50), 5.0 + (double)(i % 30) / 10);
    }
    fclose(f);

    ots_store_t *s = ots_store_new("bench");
    ots_instance_t *in;
    ots_table_t *t;
    ots_pk_col pk[] = {{"vid", OTS_PK_INTEGER, false}, {"gt", OTS_PK_INTEGER, false}};
    ots_def_col def[] = {{"longitude", OTS_COL_DOUBLE},
                         {"latitude", OTS_COL_DOUBLE},
                         {"distance", OTS_COL_DOUBLE},
                         {"speed", OTS_COL_DOUBLE},
                         {"oil_consumption", OTS_COL_DOUBLE}};
    ots_table_schema sc = {"vehicle_track", pk, 2, def, 5, ots_table_options_default()};
    ots_store_instance_create(s, "cap1", OTS_NET_ANY, &in, &err);
    ots_store_table_create(in, &sc, &t, &err);

    long rss0 = rss_kb();
    uint64_t t0 = emu_clock_mono_us();
    if (ots_rows_load_csv_file(t, path, "vehicle_track.csv", emu_clock_now_ms(), &err)) {
        fprintf(stderr, "load: %s\n", err.msg);
        return 1;
    }
    uint64_t t1 = emu_clock_mono_us();
    long rss1 = rss_kb();
    printf("load %ld rows from CSV file: %.3f s\n", rows, (double)(t1 - t0) / 1e6);
    printf("memory: table bytes %zu (%.1f B/row), RSS delta %ld KiB (%.1f B/row)\n",
           ots_table_bytes(t), (double)ots_table_bytes(t) / (double)rows, rss1 - rss0,
           (double)(rss1 - rss0) * 1024 / (double)rows);

    /* 1,000-row range scans from the middle, both directions. */
    emu_arena *a = emu_arena_new(1 << 20);
    const int reps = 200;
    for (int dir = 0; dir < 2; dir++) {
        uint64_t u0 = emu_clock_mono_us();
        long got = 0;
        for (int r = 0; r < reps; r++) {
            ots_cell lo[] = {icell("vid", 1000 + rows / 2000), icell("gt", 1700000000000L)};
            ots_cell hi[] = {icell("vid", 1000 + rows / 2000 + 1), icell("gt", 1700000000000L)};
            ots_store_iter it;
            ots_row_t row;
            bool back = dir == 1;
            ots_store_range_open(t, back ? hi : lo, 2, back ? lo : hi, 2, back, a, &it, &err);
            while (ots_store_range_next(&it, NULL, a, &row) == OTS_ITER_ROW)
                got++;
            emu_arena_reset(a);
        }
        uint64_t u1 = emu_clock_mono_us();
        printf("range scan %s: %ld rows/scan, %.1f us per 1000-row scan\n",
               dir ? "BACKWARD" : "FORWARD", got / reps, (double)(u1 - u0) / reps);
    }

    /* Random point gets. */
    uint64_t x = 12345;
    uint64_t g0 = emu_clock_mono_us();
    long hits = 0;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        long r = (long)(x % (uint64_t)rows);
        ots_cell q[] = {icell("vid", 1000 + r / 1000),
                        icell("gt", 1700000000000L + (r % 1000) * 60000)};
        ots_row_t row;
        bool found;
        ots_store_get(t, q, 2, NULL, a, &row, &found, &err);
        hits += found;
        emu_arena_reset(a);
    }
    uint64_t g1 = emu_clock_mono_us();
    printf("point get: %.2f us each (%ld/100000 found)\n", (double)(g1 - g0) / 100000, hits);

    uint64_t c0 = emu_clock_mono_us();
    ots_store_t *c = ots_store_clone(s);
    uint64_t c1 = emu_clock_mono_us();
    printf("clone: %.3f s\n", (double)(c1 - c0) / 1e6);
    ots_store_free(c);
    ots_store_free(s);
    emu_arena_free(a);
    unlink(path);
    return 0;
}
