/* Runs the policy test groups and frees the documents they compiled. */
#include <stdio.h>
#include <string.h>

#include "emu/json.h"
#include "test_policy.h"

#define POOL_MAX 512

static policy_doc_t *pool[POOL_MAX];
static size_t n_pool;

const policy_doc_t *tp_doc(const char *text, policy_kind kind)
{
    policy_doc_t *doc = NULL;
    emu_err err = {0};
    emu_rc rc = policy_compile(text, strlen(text), kind, &doc, &err);
    if (rc != EMU_OK)
        fail_msg("policy did not compile: %s\n%s", err.msg, text);
    assert_true(n_pool < POOL_MAX);
    pool[n_pool++] = doc;
    return doc;
}

const char *tp_reject(const char *text, policy_kind kind, emu_rc rc)
{
    static emu_err err;
    policy_doc_t *doc = (policy_doc_t *)1;
    emu_err_clear(&err);
    emu_rc got = policy_compile(text, strlen(text), kind, &doc, &err);
    if (got != rc)
        fail_msg("expected %s, got %s (%s) for %s", emu_rc_name(rc), emu_rc_name(got), err.msg,
                 text);
    assert_null(doc);
    return err.msg;
}

int tp_free_all(void **state)
{
    (void)state;
    for (size_t i = 0; i < n_pool; i++)
        policy_doc_free(pool[i]);
    n_pool = 0;
    return 0;
}

int main(void)
{
    int failed = 0;
    emu_json_init();
    failed += tp_run_parse();
    failed += tp_run_match();
    failed += tp_run_cases();
    failed += tp_run_noalloc();
    return failed ? 1 : 0;
}
