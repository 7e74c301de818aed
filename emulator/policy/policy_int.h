/* Module-private layout of compiled policy documents and the matchers the
 * evaluator shares with the parser. */
#ifndef EMU_POLICY_INT_H
#define EMU_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/arena.h"
#include "emu/policy.h"
#include "emu/str.h"

/* Condition operators (§4.2). The order of the table in policy_parse.c
 * follows this enum. */
typedef enum pol_op {
    POL_OP_STRING_EQUALS,
    POL_OP_STRING_NOT_EQUALS,
    POL_OP_STRING_EQUALS_IC,
    POL_OP_STRING_NOT_EQUALS_IC,
    POL_OP_STRING_LIKE,
    POL_OP_STRING_NOT_LIKE,
    POL_OP_NUM_EQ,
    POL_OP_NUM_NE,
    POL_OP_NUM_LT,
    POL_OP_NUM_LE,
    POL_OP_NUM_GT,
    POL_OP_NUM_GE,
    POL_OP_DATE_EQ,
    POL_OP_DATE_NE,
    POL_OP_DATE_LT,
    POL_OP_DATE_LE,
    POL_OP_DATE_GT,
    POL_OP_DATE_GE,
    POL_OP_BOOL,
    POL_OP_IP,
    POL_OP_NOT_IP,
    POL_OP_COUNT
} pol_op;

typedef enum pol_vtype {
    POL_VT_STRING,
    POL_VT_NUMBER,
    POL_VT_DATE,
    POL_VT_BOOL,
    POL_VT_IP
} pol_vtype;

typedef struct pol_opinfo {
    const char *name;
    pol_vtype type;
    bool negated; /* satisfied when no request value matches any listed value */
} pol_opinfo;

extern const pol_opinfo policy__ops[POL_OP_COUNT];

/* An IPv4 or IPv6 block. IPv4 is kept as family 4 in addr[0..4). */
typedef struct pol_ip {
    uint8_t family; /* 4 or 6 */
    uint8_t prefix; /* bits */
    uint8_t addr[16];
} pol_ip;

/* A condition value, pre-parsed for its operator's type at compile time. */
typedef struct pol_val {
    const char *text; /* as written; JSON numbers/booleans rendered */
    size_t len;
    union {
        double num;
        int64_t ms;
        bool b;
        pol_ip ip;
    } u;
} pol_val;

typedef struct pol_cond {
    pol_op op;
    const char *key; /* as written */
    const pol_val *vals;
    const char *const *texts; /* vals[i].text, for traces */
    size_t n_vals;
} pol_cond;

/* A glob pattern; actions (and the role-name part of role ARNs) are stored
 * lower-cased in p, and as written in text for traces. */
typedef struct pol_pat {
    const char *p;
    size_t len;
    const char *text;
} pol_pat;

/* What a trust-policy principal entry names (§3.4). */
typedef enum pol_pkind {
    POL_P_ACCOUNT,   /* acs:ram::<uid>:root or bare <uid>: users and role sessions of uid */
    POL_P_USER,      /* acs:ram::<uid>:user/<name> */
    POL_P_ROLE,      /* acs:ram::<uid>:role/<name>: sessions of that role */
    POL_P_SERVICE,   /* [<uid>@]<service>; no uid = the role's own account */
    POL_P_FEDERATED, /* acs:ram::<uid>:saml-provider/<n> | oidc-provider/<n> */
    POL_P_ANY,       /* "*" (resource policies only): every caller */
} pol_pkind;

typedef struct pol_princ {
    policy_principal_type type;
    pol_pkind kind;
    const char *text; /* as written */
    emu_str account;  /* empty for a service without "<uid>@" */
    emu_str name;     /* user/role name, service name, "saml-provider/x" */
} pol_princ;

typedef struct pol_stmt {
    const char *sid; /* NULL when absent */
    bool deny;
    bool not_action;
    bool not_resource;
    const pol_pat *actions;
    size_t n_actions;
    const pol_pat *resources; /* none in trust documents */
    size_t n_resources;
    const pol_princ *princs; /* trust and resource documents only */
    size_t n_princs;
    const pol_cond *conds;
    size_t n_conds;
} pol_stmt;

struct policy_doc {
    emu_arena *arena; /* owns everything below except the label buffers */
    policy_kind kind;
    bool system; /* built-in: never freed, label fixed */
    /* Extra holders (policy_doc_ref); policy_doc_free frees at zero. */
    unsigned refs;
    bool stmt_array;
    char *text;
    size_t text_len;
    const pol_stmt *stmts;
    size_t n_stmts;
    char name[128];
    char type[32];
    char version[32];
};

/* Anchored glob (§3.1): `*` any run (also empty, also ':' and '/'), `?` one
 * byte. Subject bytes at index >= fold_from are ASCII-lower-cased before the
 * comparison (pattern is expected pre-lowered there); pass SIZE_MAX for a
 * case-sensitive match. Iterative, O(len(p) * len(s)) worst case. */
bool policy__glob(const char *p, size_t plen, const char *s, size_t slen, size_t fold_from);

/* Index where case folding of a RAM role ARN starts ("acs:ram:<r>:<a>:role/"
 * + name), or SIZE_MAX when s is not a role ARN. */
size_t policy__role_fold_from(const char *s, size_t len);

/* Typed value parsers shared by compile (policy values) and eval (request
 * values). No allocation. */
bool policy__parse_number(const char *s, size_t len, double *out);
bool policy__parse_date(const char *s, size_t len, int64_t *ms);
bool policy__parse_bool(const char *s, size_t len, bool *out);
/* Address or CIDR block; allow_cidr false accepts only a bare address (then
 * the prefix is the full length). */
bool policy__parse_ip(const char *s, size_t len, bool allow_cidr, pol_ip *out);
bool policy__ip_in(const pol_ip *block, const pol_ip *addr);

/* Parses a principal value of `type` into out (slices into v). presented
 * additionally accepts "acs:ram::<uid>:assumed-role/<role>/<session>". */
bool policy__principal_parse(policy_principal_type type, emu_str v, bool presented, pol_princ *out);

/* Does the trust principal entry p name the presented caller? owner is the
 * role's account (for bare service names). */
bool policy__principal_match(const pol_princ *p, const policy_principal *caller, emu_str owner);
/* As policy__principal_match for a resource policy's entry: "*" names
 * everyone, and an account (bare UID or acs:ram::<uid>:root) names its root
 * as well as its RAM users and role sessions [inferred: resource policies
 * grant to accounts as a whole, as OSS bucket policies do]. */
bool policy__resource_principal_match(const pol_princ *p, const policy_principal *caller,
                                      emu_str owner);

/* Data files embedded at build time (console_embed.cmake): the System
 * policy catalog, data/system-policies/ (policy_system.c). */
typedef struct policy_embedded_file {
    const char *name;          /* file name: "AliyunOTSFullAccess.json", "catalog.json" */
    const unsigned char *data; /* the file's bytes, NUL-terminated */
    size_t len;                /* byte count without the NUL */
} policy_embedded_file;

extern const policy_embedded_file policy_system_files[];
extern const size_t policy_system_n_files;

#endif
