/* Helpers shared by the Tablestore unit tests: fixture files (found through
 * EMU_SOURCE_DIR, which ctest sets), hex decoding, the test-vector JSON. */
#ifndef OTS_TEST_UTIL_H
#define OTS_TEST_UTIL_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Reads tests/fixtures/ots/<name> (malloc'd, NUL-terminated); aborts on error. */
char *ots_test_fixture(const char *name, size_t *len);
/* Absolute path of tests/fixtures/ots/<name> (static buffer). */
const char *ots_test_fixture_path(const char *name);
/* Decodes hex (spaces allowed) into a malloc'd buffer. */
uint8_t *ots_test_unhex(const char *hex, size_t *len);
/* The parsed ots-test-vectors.json (kept for the whole run). */
const cJSON *ots_test_vectors(void);
/* vectors[path...]: e.g. ots_test_vec("plainbuffer_node_encoder", "pk_inf"). */
const char *ots_test_vec(const char *group, const char *name);

/* Test groups, one per source file. */
int ots_test_plainbuffer(void);
int ots_test_pb(void);
int ots_test_store(void);
int ots_test_store_index(void);
int ots_test_section(void);

#endif
