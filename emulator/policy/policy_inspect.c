/* Read-only views of a compiled document for tools that explain decisions
 * after the fact (statement coverage, "trust principals never used"). They
 * reuse the evaluator's own matcher, so a report can never disagree with
 * what enforcement decided. No allocation. */
#include <string.h>

#include "policy_int.h"

bool policy_doc_statement_deny(const policy_doc_t *doc, size_t i)
{
    return doc && i < doc->n_stmts && doc->stmts[i].deny;
}

size_t policy_doc_principal_count(const policy_doc_t *doc, size_t i)
{
    if (!doc || doc->kind != POLICY_KIND_TRUST || i >= doc->n_stmts)
        return 0;
    return doc->stmts[i].n_princs;
}

const char *policy_doc_principal_at(const policy_doc_t *doc, size_t i, size_t j,
                                    policy_principal_type *type)
{
    if (j >= policy_doc_principal_count(doc, i))
        return NULL;
    const pol_princ *p = &doc->stmts[i].princs[j];
    if (type)
        *type = p->type;
    return p->text;
}

bool policy_doc_principal_match(const policy_doc_t *doc, size_t i, size_t j,
                                const policy_principal *caller, const char *owner_account)
{
    if (j >= policy_doc_principal_count(doc, i) || !caller || !caller->value)
        return false;
    return policy__principal_match(&doc->stmts[i].princs[j], caller,
                                   emu_str_c(owner_account ? owner_account : ""));
}
