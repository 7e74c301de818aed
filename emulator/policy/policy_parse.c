/* Policy compiler: JSON text → immutable policy_doc_t.
 *
 * Contract (ram-policy.md §2-§4):
 *  - size: at most EMU_MAX_POLICY_BYTES characters (session documents
 *    EMU_MAX_SESSION_POLICY_BYTES); "characters" are counted as UTF-8 code
 *    points, the API metadata's unit [inferred];
 *  - JSON: RFC 7159, nesting bounded by emu_json_parse;
 *  - top level {"Version": "1", "Statement": [...] | {...}}; nothing else;
 *    element names are case-sensitive [inferred];
 *  - statement: Sid?, Effect (exact "Allow"/"Deny" [inferred]), exactly one of
 *    Action/NotAction, then per kind exactly one of Resource/NotResource
 *    (permission, session), a Principal (trust), or both (resource: a
 *    Tablestore instance policy, whose Principal may also be the short
 *    form ["*", "<uid>", ...]), Condition?;
 *  - duplicate member names are rejected (cJSON would keep both);
 *  - every value is validated for the place it is in, and typed condition
 *    values (numbers, dates, booleans, IP blocks) are parsed here once so that
 *    evaluation never parses policy text.
 * Everything the document needs lives in one arena owned by the document. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/json.h"
#include "emu/limits.h"
#include "policy_int.h"

const pol_opinfo policy__ops[POL_OP_COUNT] = {
    [POL_OP_STRING_EQUALS] = {"StringEquals", POL_VT_STRING, false},
    [POL_OP_STRING_NOT_EQUALS] = {"StringNotEquals", POL_VT_STRING, true},
    [POL_OP_STRING_EQUALS_IC] = {"StringEqualsIgnoreCase", POL_VT_STRING, false},
    [POL_OP_STRING_NOT_EQUALS_IC] = {"StringNotEqualsIgnoreCase", POL_VT_STRING, true},
    [POL_OP_STRING_LIKE] = {"StringLike", POL_VT_STRING, false},
    [POL_OP_STRING_NOT_LIKE] = {"StringNotLike", POL_VT_STRING, true},
    [POL_OP_NUM_EQ] = {"NumericEquals", POL_VT_NUMBER, false},
    [POL_OP_NUM_NE] = {"NumericNotEquals", POL_VT_NUMBER, true},
    [POL_OP_NUM_LT] = {"NumericLessThan", POL_VT_NUMBER, false},
    [POL_OP_NUM_LE] = {"NumericLessThanEquals", POL_VT_NUMBER, false},
    [POL_OP_NUM_GT] = {"NumericGreaterThan", POL_VT_NUMBER, false},
    [POL_OP_NUM_GE] = {"NumericGreaterThanEquals", POL_VT_NUMBER, false},
    [POL_OP_DATE_EQ] = {"DateEquals", POL_VT_DATE, false},
    [POL_OP_DATE_NE] = {"DateNotEquals", POL_VT_DATE, true},
    [POL_OP_DATE_LT] = {"DateLessThan", POL_VT_DATE, false},
    [POL_OP_DATE_LE] = {"DateLessThanEquals", POL_VT_DATE, false},
    [POL_OP_DATE_GT] = {"DateGreaterThan", POL_VT_DATE, false},
    [POL_OP_DATE_GE] = {"DateGreaterThanEquals", POL_VT_DATE, false},
    [POL_OP_BOOL] = {"Bool", POL_VT_BOOL, false},
    [POL_OP_IP] = {"IpAddress", POL_VT_IP, false},
    [POL_OP_NOT_IP] = {"NotIpAddress", POL_VT_IP, true},
};

typedef struct pctx {
    emu_arena *a;
    policy_kind kind;
    emu_err *err;
    char path[384];
    size_t plen;
} pctx;

/* ------------------------------------------------------------------------------------------- */
/* Locations: "$.Statement[1].Condition.StringEquals[\"acs:SourceIp\"][0]". */

__attribute__((format(printf, 2, 3))) static size_t path_push(pctx *c, const char *fmt, ...)
{
    size_t old = c->plen;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->path + old, sizeof c->path - old, fmt, ap);
    va_end(ap);
    if (n > 0)
        c->plen = old + (size_t)n < sizeof c->path ? old + (size_t)n : sizeof c->path - 1;
    return old;
}

static void path_pop(pctx *c, size_t old)
{
    c->plen = old;
    c->path[old] = '\0';
}

/* Member names that are plain identifiers print as ".Name", others as
 * ["name"] so that keys such as acs:SourceIp stay readable. */
static size_t path_member(pctx *c, const char *name)
{
    bool ident = name[0] != '\0';
    for (const char *p = name; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            ident = false;
    if (ident)
        return path_push(c, ".%.64s", name);
    return path_push(c, "[\"%.64s\"]", name);
}

__attribute__((format(printf, 2, 3))) static emu_rc fail(pctx *c, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return emu_err_set(c->err, EMU_E_INVALID, NULL, "%s: %s", c->path, msg);
}

/* Rejects duplicate member names in one object (first duplicate wins the
 * error, with its location). */
static emu_rc check_dups(pctx *c, const cJSON *obj)
{
    for (const cJSON *i = obj->child; i; i = i->next)
        for (const cJSON *j = obj->child; j != i; j = j->next)
            if (strcmp(i->string, j->string) == 0) {
                size_t o = path_member(c, i->string);
                emu_rc rc = fail(c, "duplicate element \"%.64s\"", i->string);
                path_pop(c, o);
                return rc;
            }
    return EMU_OK;
}

/* Bytes that never belong in an action, ARN or key: controls and (for
 * actions/keys) white space. */
static bool has_ctl(const char *s, bool space_too)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || (space_too && *p == ' '))
            return true;
    return false;
}

/* Reads a string or a non-empty array of non-empty strings. Items are
 * returned as borrowed cJSON strings (copied by the caller). */
static emu_rc read_strings(pctx *c, const cJSON *v, const cJSON ***items, size_t *n)
{
    size_t count = 0;
    if (cJSON_IsString(v)) {
        *items = emu_arena_alloc(c->a, sizeof **items);
        (*items)[0] = v;
        *n = 1;
    } else if (cJSON_IsArray(v)) {
        for (const cJSON *i = v->child; i; i = i->next)
            count++;
        if (count == 0)
            return fail(c, "must not be an empty array");
        *items = emu_arena_alloc(c->a, count * sizeof **items);
        count = 0;
        for (const cJSON *i = v->child; i; i = i->next) {
            if (!cJSON_IsString(i)) {
                size_t o = path_push(c, "[%zu]", count);
                emu_rc rc = fail(c, "must be a string, not %s", emu_json_type_name(i));
                path_pop(c, o);
                return rc;
            }
            (*items)[count++] = i;
        }
        *n = count;
    } else {
        return fail(c, "must be a string or an array of strings, not %s", emu_json_type_name(v));
    }
    for (size_t k = 0; k < *n; k++) {
        if ((*items)[k]->valuestring[0] == '\0') {
            size_t o = cJSON_IsArray(v) ? path_push(c, "[%zu]", k) : c->plen;
            emu_rc rc = fail(c, "must not be an empty string");
            path_pop(c, o);
            return rc;
        }
    }
    return EMU_OK;
}

/* Item location for error messages about item k of a string-or-array. */
static size_t path_item(pctx *c, const cJSON *v, size_t k)
{
    return cJSON_IsArray(v) ? path_push(c, "[%zu]", k) : c->plen;
}

/* ------------------------------------------------------------------------------------------- */

/* Action: "*" or "<service>:<api>", where both parts are letters, digits,
 * '-', '_' and the wildcards. Stored lower-cased (§3.2: case-insensitive). */
static bool action_ok(const char *s)
{
    const char *colon = strchr(s, ':');
    if (strcmp(s, "*") == 0)
        return true;
    if (!colon || colon == s || colon[1] == '\0' || strchr(colon + 1, ':'))
        return false;
    for (const char *p = s; *p; p++) {
        char ch = *p;
        if (p == colon)
            continue;
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '*' || ch == '?' || ch == '.'))
            return false;
    }
    return true;
}

static emu_rc compile_actions(pctx *c, const cJSON *v, pol_stmt *st)
{
    const cJSON **items;
    size_t n;
    emu_rc rc = read_strings(c, v, &items, &n);
    if (rc)
        return rc;
    pol_pat *pats = emu_arena_alloc(c->a, n * sizeof *pats);
    for (size_t k = 0; k < n; k++) {
        const char *s = items[k]->valuestring;
        if (!action_ok(s)) {
            size_t o = path_item(c, v, k);
            rc = fail(c, "malformed action \"%.128s\" (expected \"<service>:<Action>\" or \"*\")",
                      s);
            path_pop(c, o);
            return rc;
        }
        size_t len = strlen(s);
        char *low = emu_arena_strndup(c->a, s, len);
        for (size_t i = 0; i < len; i++)
            if (low[i] >= 'A' && low[i] <= 'Z')
                low[i] = (char)(low[i] - 'A' + 'a');
        pats[k] = (pol_pat){low, len, strcmp(low, s) ? emu_arena_strndup(c->a, s, len) : low};
    }
    st->actions = pats;
    st->n_actions = n;
    return EMU_OK;
}

/* Resource: "*" or an ARN pattern starting with "acs:" [inferred: the spec
 * only documents ARNs; anything else could never match a request ARN]. The
 * role-name part of acs:ram:…:role/… patterns is lower-cased so that it
 * matches the canonical lower-case request ARN (§3.3 [inferred]). */
static emu_rc compile_resources(pctx *c, const cJSON *v, pol_stmt *st)
{
    const cJSON **items;
    size_t n;
    emu_rc rc = read_strings(c, v, &items, &n);
    if (rc)
        return rc;
    pol_pat *pats = emu_arena_alloc(c->a, n * sizeof *pats);
    for (size_t k = 0; k < n; k++) {
        const char *s = items[k]->valuestring;
        if ((strcmp(s, "*") != 0 && strncmp(s, "acs:", 4) != 0) || has_ctl(s, false)) {
            size_t o = path_item(c, v, k);
            rc = fail(c,
                      "malformed resource \"%.128s\" (expected \"acs:<service>:<region>:"
                      "<account>:<relative-id>\" or \"*\")",
                      s);
            path_pop(c, o);
            return rc;
        }
        size_t len = strlen(s);
        char *copy = emu_arena_strndup(c->a, s, len);
        size_t from = policy__role_fold_from(copy, len);
        for (size_t i = from; i < len; i++)
            if (copy[i] >= 'A' && copy[i] <= 'Z')
                copy[i] = (char)(copy[i] - 'A' + 'a');
        pats[k] = (pol_pat){copy, len, strcmp(copy, s) ? emu_arena_strndup(c->a, s, len) : copy};
    }
    st->resources = pats;
    st->n_resources = n;
    return EMU_OK;
}

/* Principal (§3.4). Wildcards are rejected: "*" is not documented for RAM
 * trust policies [unknown → strict choice: reject]. Account ids are not
 * required to be numeric, so the seed's "1xxxx@odps.aliyuncs.com"
 * placeholder compiles and simply never matches (case 7). */
/* A resource policy's Principal in the short form Tablestore's instance
 * policies use ("Principal": ["*"], UpdateInstancePolicy 2020-12-09): a
 * string or an array of strings, each "*" (everyone), an account UID, a RAM
 * ARN (acs:ram::<uid>:root | user/<n> | role/<n>) or a service
 * ("[<uid>@]<name>.aliyuncs.com"). Wildcards other than a lone "*" are
 * rejected [inferred, as for trust policies]. */
static emu_rc compile_short_principal(pctx *c, const cJSON *v, pol_stmt *st)
{
    const cJSON **items;
    size_t n;
    emu_rc rc = read_strings(c, v, &items, &n);
    if (rc)
        return rc;
    pol_princ *ps = emu_arena_alloc(c->a, n * sizeof *ps);
    for (size_t k = 0; k < n; k++) {
        const char *s = items[k]->valuestring;
        char *copy = emu_arena_strdup(c->a, s);
        pol_princ *p = &ps[k];
        bool ok;
        if (strcmp(s, "*") == 0) {
            memset(p, 0, sizeof *p);
            p->type = POLICY_PRINCIPAL_RAM;
            p->kind = POL_P_ANY;
            ok = true;
        } else {
            bool service = strchr(s, '@') || strstr(s, ".aliyuncs.com");
            ok = !strchr(s, '*') && !strchr(s, '?') && !has_ctl(s, true) &&
                 policy__principal_parse(service ? POLICY_PRINCIPAL_SERVICE : POLICY_PRINCIPAL_RAM,
                                         emu_str_c(copy), false, p);
        }
        if (!ok) {
            size_t o = cJSON_IsArray(v) ? path_push(c, "[%zu]", k) : c->plen;
            rc = fail(c,
                      "malformed principal \"%.128s\" (expected \"*\", an account UID, "
                      "acs:ram::<uid>:root|user/<name>|role/<name> or a service)",
                      s);
            path_pop(c, o);
            return rc;
        }
        p->text = copy;
    }
    st->princs = ps;
    st->n_princs = n;
    return EMU_OK;
}

static emu_rc compile_principal(pctx *c, const cJSON *v, pol_stmt *st)
{
    static const struct {
        const char *name;
        policy_principal_type type;
    } kinds[] = {{"RAM", POLICY_PRINCIPAL_RAM},
                 {"Service", POLICY_PRINCIPAL_SERVICE},
                 {"Federated", POLICY_PRINCIPAL_FEDERATED}};
    size_t total = 0, at = 0;
    emu_rc rc;

    if (c->kind == POLICY_KIND_RESOURCE && !cJSON_IsObject(v))
        return compile_short_principal(c, v, st);
    if (!cJSON_IsObject(v))
        return fail(c, "must be an object with RAM, Service or Federated, not %s",
                    emu_json_type_name(v));
    if ((rc = check_dups(c, v)))
        return rc;
    for (const cJSON *m = v->child; m; m = m->next) {
        size_t o = path_member(c, m->string);
        size_t kind = 0;
        while (kind < 3 && strcmp(kinds[kind].name, m->string) != 0)
            kind++;
        if (kind == 3) {
            rc = fail(c, "unknown principal type \"%.64s\" (expected RAM, Service or Federated)",
                      m->string);
            path_pop(c, o);
            return rc;
        }
        const cJSON **items;
        size_t n;
        rc = read_strings(c, m, &items, &n);
        path_pop(c, o);
        if (rc)
            return rc;
        total += n;
    }
    if (total == 0)
        return fail(c, "must name at least one principal");
    pol_princ *ps = emu_arena_alloc(c->a, total * sizeof *ps);
    for (const cJSON *m = v->child; m; m = m->next) {
        size_t kind = 0;
        while (strcmp(kinds[kind].name, m->string) != 0)
            kind++;
        /* Walk siblings rather than cJSON_GetArrayItem, which is O(n) each. */
        const cJSON *item = cJSON_IsArray(m) ? m->child : m;
        for (size_t k = 0; item; k++, item = cJSON_IsArray(m) ? item->next : NULL) {
            const char *s = item->valuestring;
            char *copy = emu_arena_strdup(c->a, s);
            pol_princ *p = &ps[at];
            bool ok = !strchr(s, '*') && !strchr(s, '?') && !has_ctl(s, true) &&
                      policy__principal_parse(kinds[kind].type, emu_str_c(copy), false, p);
            if (!ok && c->kind == POLICY_KIND_RESOURCE &&
                kinds[kind].type == POLICY_PRINCIPAL_RAM && strcmp(s, "*") == 0) {
                /* A resource policy's {"RAM": ["*"]}: everyone. */
                memset(p, 0, sizeof *p);
                p->type = POLICY_PRINCIPAL_RAM;
                p->kind = POL_P_ANY;
                ok = true;
            }
            if (!ok) {
                size_t o = path_member(c, m->string);
                size_t o2 = path_item(c, m, k);
                rc = fail(c, "malformed %s principal \"%.128s\"", kinds[kind].name, s);
                path_pop(c, o2);
                path_pop(c, o);
                return rc;
            }
            p->text = copy;
            at++;
        }
    }
    st->princs = ps;
    st->n_princs = total;
    return EMU_OK;
}

/* Condition keys: "<prefix>:<name>", prefix letters/digits/'-', name any
 * visible bytes (tag keys such as acs:ResourceTag/env). */
static bool key_ok(const char *s)
{
    const char *colon = strchr(s, ':');
    if (!colon || colon == s || colon - s > 32 || colon[1] == '\0' || strlen(colon + 1) > 128)
        return false;
    for (const char *p = s; p < colon; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-'))
            return false;
    return !has_ctl(colon + 1, true);
}

/* One condition value: the text as written (numbers/booleans rendered) and
 * the value parsed for the operator's type. */
static emu_rc compile_value(pctx *c, const cJSON *j, pol_vtype type, pol_val *out)
{
    char *text;
    if (cJSON_IsString(j)) {
        text = emu_arena_strdup(c->a, j->valuestring);
    } else if (cJSON_IsNumber(j) && (type == POL_VT_NUMBER || type == POL_VT_STRING)) {
        char *printed = cJSON_PrintUnformatted(j);
        text = emu_arena_strdup(c->a, printed ? printed : "");
        free(printed);
    } else if (cJSON_IsBool(j) && (type == POL_VT_BOOL || type == POL_VT_STRING)) {
        text = emu_arena_strdup(c->a, cJSON_IsTrue(j) ? "true" : "false");
    } else {
        return fail(c, "unsupported value type (%s)", emu_json_type_name(j));
    }
    out->text = text;
    out->len = strlen(text);
    switch (type) {
    case POL_VT_STRING:
        return EMU_OK;
    case POL_VT_NUMBER:
        if (!policy__parse_number(text, out->len, &out->u.num))
            return fail(c, "\"%.64s\" is not a decimal number", text);
        return EMU_OK;
    case POL_VT_DATE:
        if (!policy__parse_date(text, out->len, &out->u.ms))
            return fail(c, "\"%.64s\" is not an ISO 8601 time (YYYY-MM-DDThh:mm:ss[.f](Z|±hh:mm))",
                        text);
        return EMU_OK;
    case POL_VT_BOOL:
        if (!policy__parse_bool(text, out->len, &out->u.b))
            return fail(c, "\"%.64s\" is not \"true\" or \"false\"", text);
        return EMU_OK;
    case POL_VT_IP:
        if (!policy__parse_ip(text, out->len, true, &out->u.ip))
            return fail(c, "\"%.64s\" is not an IP address or CIDR block", text);
        return EMU_OK;
    }
    return fail(c, "internal: bad value type"); /* can't happen */
}

static emu_rc find_op(const char *name, pol_op *op)
{
    for (int i = 0; i < POL_OP_COUNT; i++)
        if (strcmp(policy__ops[i].name, name) == 0) {
            *op = (pol_op)i;
            return EMU_OK;
        }
    return EMU_E_NOT_FOUND;
}

/* Condition block (§4). Operators are the documented set only, exact case;
 * IfExists / ForAnyValue: / ForAllValues: / Null are AWS features that RAM
 * does not document [unknown → strict choice: reject as unknown operators]. */
static emu_rc compile_condition(pctx *c, const cJSON *v, pol_stmt *st)
{
    size_t n = 0, at = 0;
    emu_rc rc;

    if (!cJSON_IsObject(v))
        return fail(c, "must be an object, not %s", emu_json_type_name(v));
    if ((rc = check_dups(c, v)))
        return rc;
    /* First pass: validate structure and count (operator, key) pairs. */
    for (const cJSON *o = v->child; o; o = o->next) {
        size_t po = path_member(c, o->string);
        pol_op op;
        if (find_op(o->string, &op)) {
            rc = fail(c, "unknown operator \"%.64s\"", o->string);
        } else if (!cJSON_IsObject(o)) {
            rc = fail(c, "must be an object of condition keys, not %s", emu_json_type_name(o));
        } else if (!o->child) {
            rc = fail(c, "must name at least one condition key");
        } else {
            rc = check_dups(c, o);
        }
        path_pop(c, po);
        if (rc)
            return rc;
        for (const cJSON *k = o->child; k; k = k->next)
            n++;
    }
    pol_cond *conds = n ? emu_arena_zalloc(c->a, n * sizeof *conds) : NULL;
    for (const cJSON *o = v->child; o; o = o->next) {
        size_t po = path_member(c, o->string);
        pol_op op = POL_OP_STRING_EQUALS;
        find_op(o->string, &op);
        for (const cJSON *k = o->child; k; k = k->next) {
            size_t pk = path_member(c, k->string);
            pol_cond *cd = &conds[at++];
            size_t nv = 0;
            rc = EMU_OK;
            if (!key_ok(k->string)) {
                rc = fail(c, "malformed condition key \"%.64s\" (expected \"<prefix>:<name>\")",
                          k->string);
            } else if (cJSON_IsArray(k)) {
                nv = (size_t)cJSON_GetArraySize(k);
                if (nv == 0)
                    rc = fail(c, "must not be an empty array");
            } else if (cJSON_IsObject(k) || cJSON_IsNull(k)) {
                rc = fail(c, "unsupported value type (%s)", emu_json_type_name(k));
            } else {
                nv = 1;
            }
            if (rc) {
                path_pop(c, pk);
                path_pop(c, po);
                return rc;
            }
            pol_val *vals = emu_arena_zalloc(c->a, nv * sizeof *vals);
            const char **texts = emu_arena_alloc(c->a, nv * sizeof *texts);
            const cJSON *item = cJSON_IsArray(k) ? k->child : k;
            for (size_t i = 0; i < nv && !rc; i++, item = item->next) {
                size_t pi = path_item(c, k, i);
                rc = compile_value(c, item, policy__ops[op].type, &vals[i]);
                path_pop(c, pi);
                texts[i] = vals[i].text;
            }
            path_pop(c, pk);
            if (rc) {
                path_pop(c, po);
                return rc;
            }
            cd->op = op;
            cd->key = emu_arena_strdup(c->a, k->string);
            cd->vals = vals;
            cd->texts = texts;
            cd->n_vals = nv;
        }
        path_pop(c, po);
    }
    st->conds = conds;
    st->n_conds = n;
    return EMU_OK;
}

static emu_rc compile_statement(pctx *c, const cJSON *s, pol_stmt *st)
{
    static const char *const known[] = {"Sid",      "Effect",      "Action",    "NotAction",
                                        "Resource", "NotResource", "Principal", "Condition"};
    const cJSON *effect = NULL, *action = NULL, *not_action = NULL, *resource = NULL,
                *not_resource = NULL, *principal = NULL, *condition = NULL, *sid = NULL;
    emu_rc rc = EMU_OK;

    if (!cJSON_IsObject(s))
        return fail(c, "statement must be an object, not %s", emu_json_type_name(s));
    if ((rc = check_dups(c, s)))
        return rc;
    for (const cJSON *m = s->child; m; m = m->next) {
        const cJSON **slot[] = {&sid,      &effect,       &action,    &not_action,
                                &resource, &not_resource, &principal, &condition};
        size_t i = 0;
        while (i < sizeof known / sizeof known[0] && strcmp(known[i], m->string) != 0)
            i++;
        if (i == sizeof known / sizeof known[0]) {
            size_t o = path_member(c, m->string);
            rc = fail(c, "unknown element \"%.64s\"", m->string);
            path_pop(c, o);
            return rc;
        }
        *slot[i] = m;
    }

    memset(st, 0, sizeof *st);
    if (sid) {
        size_t o = path_member(c, "Sid");
        if (!cJSON_IsString(sid))
            rc = fail(c, "must be a string, not %s", emu_json_type_name(sid));
        path_pop(c, o);
        if (rc)
            return rc;
        st->sid = emu_arena_strdup(c->a, sid->valuestring);
    }

    if (!effect)
        return fail(c, "missing element \"Effect\"");
    {
        size_t o = path_member(c, "Effect");
        if (cJSON_IsString(effect) && strcmp(effect->valuestring, "Allow") == 0)
            st->deny = false;
        else if (cJSON_IsString(effect) && strcmp(effect->valuestring, "Deny") == 0)
            st->deny = true;
        else
            rc = fail(c, "must be \"Allow\" or \"Deny\"");
        path_pop(c, o);
        if (rc)
            return rc;
    }

    if (action && not_action)
        return fail(c, "must not have both \"Action\" and \"NotAction\"");
    if (!action && !not_action)
        return fail(c, "missing element \"Action\" (or \"NotAction\")");
    {
        size_t o = path_member(c, action ? "Action" : "NotAction");
        st->not_action = !action;
        rc = compile_actions(c, action ? action : not_action, st);
        path_pop(c, o);
        if (rc)
            return rc;
    }

    if (c->kind == POLICY_KIND_TRUST) {
        /* §2: trust policies use Principal, not Resource [inferred: reject
         * Resource rather than ignore it, so a mix-up is visible]. */
        if (resource || not_resource)
            return fail(c, "\"%s\" is not allowed in a trust policy",
                        resource ? "Resource" : "NotResource");
        if (!principal)
            return fail(c, "missing element \"Principal\"");
        size_t o = path_member(c, "Principal");
        rc = compile_principal(c, principal, st);
        path_pop(c, o);
        if (rc)
            return rc;
    } else {
        if (principal && c->kind != POLICY_KIND_RESOURCE)
            return fail(c, "\"Principal\" is only allowed in a trust policy");
        if (!principal && c->kind == POLICY_KIND_RESOURCE)
            return fail(c, "missing element \"Principal\"");
        if (principal) {
            size_t o = path_member(c, "Principal");
            rc = compile_principal(c, principal, st);
            path_pop(c, o);
            if (rc)
                return rc;
        }
        if (resource && not_resource)
            return fail(c, "must not have both \"Resource\" and \"NotResource\"");
        if (!resource && !not_resource)
            return fail(c, "missing element \"Resource\" (or \"NotResource\")");
        size_t o = path_member(c, resource ? "Resource" : "NotResource");
        st->not_resource = !resource;
        rc = compile_resources(c, resource ? resource : not_resource, st);
        path_pop(c, o);
        if (rc)
            return rc;
    }

    if (condition) {
        size_t o = path_member(c, "Condition");
        rc = compile_condition(c, condition, st);
        path_pop(c, o);
        if (rc)
            return rc;
    }
    return EMU_OK;
}

static emu_rc compile_tree(pctx *c, const cJSON *root, policy_doc_t *doc)
{
    const cJSON *version = NULL, *statement = NULL;
    emu_rc rc;

    if (!cJSON_IsObject(root))
        return fail(c, "policy document must be a JSON object, not %s", emu_json_type_name(root));
    if ((rc = check_dups(c, root)))
        return rc;
    for (const cJSON *m = root->child; m; m = m->next) {
        if (strcmp(m->string, "Version") == 0) {
            version = m;
        } else if (strcmp(m->string, "Statement") == 0) {
            statement = m;
        } else {
            size_t o = path_member(c, m->string);
            rc = fail(c, "unknown element \"%.64s\"", m->string);
            path_pop(c, o);
            return rc;
        }
    }
    if (!version)
        return fail(c, "missing element \"Version\"");
    if (!cJSON_IsString(version) || strcmp(version->valuestring, "1") != 0) {
        size_t o = path_member(c, "Version");
        rc = fail(c, "must be the string \"1\"");
        path_pop(c, o);
        return rc;
    }
    if (!statement)
        return fail(c, "missing element \"Statement\"");

    size_t o = path_member(c, "Statement");
    if (cJSON_IsObject(statement)) {
        /* One statement object instead of an array: accepted (§2 [inferred]). */
        pol_stmt *st = emu_arena_alloc(c->a, sizeof *st);
        rc = compile_statement(c, statement, st);
        doc->stmts = st;
        doc->n_stmts = 1;
        doc->stmt_array = false;
    } else if (cJSON_IsArray(statement)) {
        size_t n = (size_t)cJSON_GetArraySize(statement);
        /* An empty statement list could never allow anything; real RAM
         * rejects it [inferred]. */
        if (n == 0) {
            rc = fail(c, "must contain at least one statement");
        } else {
            pol_stmt *st = emu_arena_alloc(c->a, n * sizeof *st);
            size_t i = 0;
            rc = EMU_OK;
            for (const cJSON *s = statement->child; s && !rc; s = s->next, i++) {
                size_t oi = path_push(c, "[%zu]", i);
                rc = compile_statement(c, s, &st[i]);
                path_pop(c, oi);
            }
            doc->stmts = st;
            doc->n_stmts = n;
            doc->stmt_array = true;
        }
    } else {
        rc = fail(c, "must be an array of statements, not %s", emu_json_type_name(statement));
    }
    path_pop(c, o);
    return rc;
}

/* ------------------------------------------------------------------------------------------- */

static size_t max_chars(policy_kind kind)
{
    return kind == POLICY_KIND_SESSION    ? EMU_MAX_SESSION_POLICY_BYTES
           : kind == POLICY_KIND_RESOURCE ? EMU_MAX_INSTANCE_POLICY_BYTES
                                          : EMU_MAX_POLICY_BYTES;
}

/* UTF-8 code points (continuation bytes are not counted). */
static size_t count_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

static emu_rc check_size(const char *text, size_t len, policy_kind kind, emu_err *err)
{
    size_t cap = max_chars(kind);
    /* Bytes beyond 4 per character cannot be within the cap anyway; this also
     * bounds the counting loop. */
    size_t chars = len > 4 * cap ? len : count_chars(text, len);
    if (chars > cap)
        return emu_err_set(err, EMU_E_LIMIT, NULL,
                           "policy document is %zu characters, more than the %zu allowed%s", chars,
                           cap,
                           kind == POLICY_KIND_SESSION    ? " for a session policy"
                           : kind == POLICY_KIND_RESOURCE ? " for an instance policy"
                                                          : "");
    return EMU_OK;
}

static emu_rc compile_common(const cJSON *root, const char *text, size_t len, policy_kind kind,
                             policy_doc_t **out, emu_err *err)
{
    policy_doc_t *doc = emu_xcalloc(1, sizeof *doc);
    pctx c = {.kind = kind, .err = err, .path = "$", .plen = 1};
    emu_rc rc;

    doc->arena = emu_arena_new(2 * len + 1024);
    doc->kind = kind;
    doc->text = emu_arena_strndup(doc->arena, text, len);
    doc->text_len = len;
    c.a = doc->arena;
    rc = compile_tree(&c, root, doc);
    if (rc) {
        policy_doc_free(doc);
        return rc;
    }
    *out = doc;
    return EMU_OK;
}

emu_rc policy_compile(const char *text, size_t len, policy_kind kind, policy_doc_t **out,
                      emu_err *err)
{
    cJSON *root;
    emu_rc rc;

    *out = NULL;
    if (!text)
        return emu_err_set(err, EMU_E_INVALID, NULL, "policy document is missing");
    if ((rc = check_size(text, len, kind, err)))
        return rc;
    root = emu_json_parse(text, len, err);
    if (!root) {
        emu_err_prefix(err, "policy document: ");
        return EMU_E_INVALID;
    }
    rc = compile_common(root, text, len, kind, out, err);
    cJSON_Delete(root);
    return rc;
}

emu_rc policy_compile_json(const cJSON *json, policy_kind kind, policy_doc_t **out, emu_err *err)
{
    char *text;
    emu_rc rc;

    *out = NULL;
    if (!json)
        return emu_err_set(err, EMU_E_INVALID, NULL, "policy document is missing");
    text = cJSON_PrintUnformatted(json);
    if (!text)
        abort(); /* only on out of memory; the hooks abort first */
    rc = check_size(text, strlen(text), kind, err);
    if (!rc)
        rc = compile_common(json, text, strlen(text), kind, out, err);
    free(text);
    return rc;
}

void policy_doc_free(policy_doc_t *doc)
{
    if (!doc)
        return;
    /* Built-in System policies are shared for the process lifetime. */
    if (doc->system)
        return;
    /* Someone else (a decision record) still holds it: drop one hold. */
    if (doc->refs) {
        doc->refs--;
        return;
    }
    emu_arena_free(doc->arena);
    free(doc);
}

const policy_doc_t *policy_doc_ref(const policy_doc_t *doc)
{
    /* The count is bookkeeping beside the immutable document, hence the
     * cast; System policies live for the process and need none. */
    if (doc && !doc->system)
        ((policy_doc_t *)(uintptr_t)doc)->refs++;
    return doc;
}

/* ------------------------------------------------------------------------------------------- */

static void set_label(char *dst, size_t cap, const char *src)
{
    if (src)
        snprintf(dst, cap, "%s", src);
}

void policy_doc_set_label(policy_doc_t *doc, const char *name, const char *type,
                          const char *version)
{
    if (!doc || doc->system)
        return;
    set_label(doc->name, sizeof doc->name, name);
    set_label(doc->type, sizeof doc->type, type);
    set_label(doc->version, sizeof doc->version, version);
}

policy_kind policy_doc_kind(const policy_doc_t *doc)
{
    return doc->kind;
}

const char *policy_doc_text(const policy_doc_t *doc, size_t *len)
{
    if (len)
        *len = doc->text_len;
    return doc->text;
}

const char *policy_doc_name(const policy_doc_t *doc)
{
    return doc->name;
}

const char *policy_doc_type(const policy_doc_t *doc)
{
    return doc->type;
}

const char *policy_doc_version(const policy_doc_t *doc)
{
    return doc->version;
}

size_t policy_doc_statement_count(const policy_doc_t *doc)
{
    return doc->n_stmts;
}

const char *policy_doc_statement_sid(const policy_doc_t *doc, size_t i)
{
    return i < doc->n_stmts ? doc->stmts[i].sid : NULL;
}

char *policy_doc_statement_pointer(const policy_doc_t *doc, size_t i, char *out, size_t cap)
{
    if (cap == 0)
        return out;
    if (doc && !doc->stmt_array)
        snprintf(out, cap, "/Statement");
    else
        snprintf(out, cap, "/Statement/%zu", i);
    return out;
}
