/* Shared helpers of the policy unit tests (one executable, test_policy). */
#ifndef TEST_POLICY_H
#define TEST_POLICY_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka.h needs the headers above first. */
#include <cmocka.h>

#include "emu/policy.h"

/* Compiles text as kind and fails the test (with the compiler's message) if
 * it does not compile. The document is freed by tp_free_all (the teardown of
 * every group). */
const policy_doc_t *tp_doc(const char *text, policy_kind kind);
/* Compiles and expects failure with rc; returns the message (static buffer,
 * valid until the next call). */
const char *tp_reject(const char *text, policy_kind kind, emu_rc rc);
int tp_free_all(void **state);

/* Test groups, one per source file. */
int tp_run_parse(void);
int tp_run_match(void);
int tp_run_cases(void);
int tp_run_noalloc(void);

#endif
