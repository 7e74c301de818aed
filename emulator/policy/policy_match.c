/* Matchers shared by the compiler and the evaluator: glob, typed condition
 * values, IP blocks and trust principals. Nothing here allocates; request
 * values arrive as borrowed C strings and are parsed on the stack. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "policy_int.h"

static inline char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Length of the UTF-8 sequence starting at s[i] (1 for ASCII and for stray
 * bytes), clipped to the end. `?` consumes one character, not one byte, so a
 * non-ASCII table name still matches "?" once. */
static size_t utf8_len(const char *s, size_t i, size_t len)
{
    unsigned char c = (unsigned char)s[i];
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    size_t k = 1;
    while (k < n && i + k < len && ((unsigned char)s[i + k] & 0xC0) == 0x80)
        k++;
    return k;
}

/* Classic two-pointer wildcard match with backtracking to the last `*`.
 * Anchored both ends (§3.1: no implicit prefix matching). Only the most
 * recent star needs remembering, so the worst case is O(|p| * |s|) and there
 * is no recursion for hostile patterns to exploit. */
bool policy__glob(const char *p, size_t plen, const char *s, size_t slen, size_t fold_from)
{
    size_t pi = 0, si = 0;
    size_t star = SIZE_MAX, mark = 0;

    while (si < slen) {
        if (pi < plen && p[pi] == '*') {
            star = pi++;
            mark = si;
            continue;
        }
        if (pi < plen && p[pi] == '?') {
            pi++;
            si += utf8_len(s, si, slen);
            continue;
        }
        if (pi < plen) {
            char c = si >= fold_from ? lower(s[si]) : s[si];
            if (p[pi] == c) {
                pi++;
                si++;
                continue;
            }
        }
        if (star == SIZE_MAX)
            return false;
        pi = star + 1;
        si = ++mark;
    }
    while (pi < plen && p[pi] == '*')
        pi++;
    return pi == plen;
}

/* "acs:ram:<region>:<account>:role/<name>": role names are case-insensitive
 * (§3.3 [inferred]), so matching folds everything after "role/". */
size_t policy__role_fold_from(const char *s, size_t len)
{
    static const char pre[] = "acs:ram:";
    size_t i = sizeof pre - 1;
    if (len < i || memcmp(s, pre, i) != 0)
        return SIZE_MAX;
    for (int field = 0; field < 2; field++) {
        while (i < len && s[i] != ':')
            i++;
        if (i == len)
            return SIZE_MAX;
        i++;
    }
    if (len - i < 5 || memcmp(s + i, "role/", 5) != 0)
        return SIZE_MAX;
    return i + 5;
}

/* Decimal numbers only: [+-]digits[.digits][e[+-]digits]. No hex, inf or
 * nan, which strtod would otherwise accept. */
bool policy__parse_number(const char *s, size_t len, double *out)
{
    char tmp[64];
    size_t i = 0, digits = 0;

    if (len == 0 || len >= sizeof tmp)
        return false;
    if (s[i] == '+' || s[i] == '-')
        i++;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        i++;
        digits++;
    }
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            digits++;
        }
    }
    if (digits == 0)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t exp_digits = 0;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            exp_digits++;
        }
        if (exp_digits == 0)
            return false;
    }
    if (i != len)
        return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    *out = strtod(tmp, NULL);
    return true;
}

/* ISO 8601 instants with `Z` or a ±hh:mm offset, optional fraction (§7). */
bool policy__parse_date(const char *s, size_t len, int64_t *ms)
{
    return emu_time_parse_iso(s, len, true, ms);
}

bool policy__parse_bool(const char *s, size_t len, bool *out)
{
    emu_str v = {s, len};
    if (emu_str_ieq_c(v, "true")) {
        *out = true;
        return true;
    }
    if (emu_str_ieq_c(v, "false")) {
        *out = false;
        return true;
    }
    return false;
}

/* ::ffff:a.b.c.d compares as the IPv4 address a.b.c.d, so a v4 CIDR still
 * matches a peer seen on a dual-stack socket. */
static void unmap_v4(pol_ip *ip)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (ip->family == 6 && ip->prefix >= 96 && memcmp(ip->addr, mapped, 12) == 0) {
        memmove(ip->addr, ip->addr + 12, 4);
        memset(ip->addr + 4, 0, 12);
        ip->family = 4;
        ip->prefix = (uint8_t)(ip->prefix - 96);
    }
}

bool policy__parse_ip(const char *s, size_t len, bool allow_cidr, pol_ip *out)
{
    char tmp[64];
    const char *slash;
    size_t alen = len;
    unsigned prefix = 0;
    bool has_prefix = false;

    if (len == 0 || len >= sizeof tmp)
        return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (strlen(tmp) != len) /* embedded NUL */
        return false;
    slash = strchr(tmp, '/');
    if (slash) {
        const char *d = slash + 1;
        if (!allow_cidr || *d == '\0' || strlen(d) > 3)
            return false;
        for (; *d; d++) {
            if (*d < '0' || *d > '9')
                return false;
            prefix = prefix * 10 + (unsigned)(*d - '0');
        }
        has_prefix = true;
        alen = (size_t)(slash - tmp);
        tmp[alen] = '\0';
    }
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, tmp, out->addr) == 1) {
        out->family = 4;
        if (has_prefix && prefix > 32)
            return false;
        out->prefix = (uint8_t)(has_prefix ? prefix : 32);
    } else if (inet_pton(AF_INET6, tmp, out->addr) == 1) {
        out->family = 6;
        if (has_prefix && prefix > 128)
            return false;
        out->prefix = (uint8_t)(has_prefix ? prefix : 128);
    } else {
        return false;
    }
    unmap_v4(out);
    return true;
}

bool policy__ip_in(const pol_ip *block, const pol_ip *addr)
{
    unsigned bits = block->prefix;
    size_t full = bits / 8;

    if (block->family != addr->family)
        return false;
    if (memcmp(block->addr, addr->addr, full) != 0)
        return false;
    if (bits % 8) {
        uint8_t mask = (uint8_t)(0xFF << (8 - bits % 8));
        if ((block->addr[full] & mask) != (addr->addr[full] & mask))
            return false;
    }
    return true;
}

/* ------------------------------------------------------------------------------------------- */

static bool all_digits(emu_str s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
    return true;
}

/* Splits a principal value into a pol_princ (slices into v). Policy and
 * presented forms differ only by "assumed-role/<r>/<s>" (a role session,
 * presented only), which is folded into POL_P_ROLE with name <r>. The root
 * identity and bare UIDs are POL_P_ACCOUNT; as a presented caller that never
 * matches (§3.4: root cannot call AssumeRole). */
bool policy__principal_parse(policy_principal_type type, emu_str v, bool presented, pol_princ *out)
{
    memset(out, 0, sizeof *out);
    out->type = type;
    if (!v.p || v.len == 0)
        return false;
    if (type == POLICY_PRINCIPAL_SERVICE) {
        const char *at = memchr(v.p, '@', v.len);
        out->kind = POL_P_SERVICE;
        if (at) {
            out->account = (emu_str){v.p, (size_t)(at - v.p)};
            out->name = (emu_str){at + 1, v.len - (size_t)(at - v.p) - 1};
            if (out->account.len == 0)
                return false;
        } else {
            out->name = v;
        }
        return out->name.len > 0 && !memchr(out->name.p, '@', out->name.len);
    }
    if (type == POLICY_PRINCIPAL_RAM && all_digits(v)) {
        out->kind = POL_P_ACCOUNT;
        out->account = v;
        return true;
    }
    if (type != POLICY_PRINCIPAL_RAM && type != POLICY_PRINCIPAL_FEDERATED)
        return false;
    if (!emu_str_starts(v, "acs:ram::"))
        return false;
    const char *acct = v.p + 9;
    const char *end = v.p + v.len;
    const char *colon = memchr(acct, ':', (size_t)(end - acct));
    if (!colon || colon == acct)
        return false;
    out->account = (emu_str){acct, (size_t)(colon - acct)};
    emu_str rel = {colon + 1, (size_t)(end - colon - 1)};
    if (type == POLICY_PRINCIPAL_FEDERATED) {
        out->kind = POL_P_FEDERATED;
        out->name = rel;
        if (!emu_str_starts(rel, "saml-provider/") && !emu_str_starts(rel, "oidc-provider/"))
            return false;
        return rel.len > 14;
    }
    if (emu_str_eq_c(rel, "root")) {
        out->kind = POL_P_ACCOUNT;
        return true;
    }
    if (emu_str_starts(rel, "user/")) {
        out->kind = POL_P_USER;
        out->name = (emu_str){rel.p + 5, rel.len - 5};
    } else if (emu_str_starts(rel, "role/")) {
        out->kind = POL_P_ROLE;
        out->name = (emu_str){rel.p + 5, rel.len - 5};
    } else if (presented && emu_str_starts(rel, "assumed-role/")) {
        const char *r = rel.p + 13;
        const char *slash = memchr(r, '/', (size_t)(end - r));
        out->kind = POL_P_ROLE;
        out->name = (emu_str){r, slash ? (size_t)(slash - r) : (size_t)(end - r)};
    } else {
        return false;
    }
    return out->name.len > 0 && !memchr(out->name.p, '/', out->name.len);
}

bool policy__principal_match(const pol_princ *p, const policy_principal *caller, emu_str owner)
{
    pol_princ c;

    if (!caller || caller->type != p->type ||
        !policy__principal_parse(caller->type, emu_str_c(caller->value), true, &c))
        return false;
    switch (p->kind) {
    case POL_P_ACCOUNT:
        /* Any RAM user or role session of the account, never its root. */
        return (c.kind == POL_P_USER || c.kind == POL_P_ROLE) && emu_str_eq(c.account, p->account);
    case POL_P_USER:
        return c.kind == POL_P_USER && emu_str_eq(c.account, p->account) &&
               emu_str_ieq(c.name, p->name);
    case POL_P_ROLE:
        return c.kind == POL_P_ROLE && emu_str_eq(c.account, p->account) &&
               emu_str_ieq(c.name, p->name);
    case POL_P_SERVICE: {
        /* A bare service name on either side means "acting for the role's
         * own account" (§3.4, cases 8/9). */
        emu_str pa = p->account.len ? p->account : owner;
        emu_str ca = c.account.len ? c.account : owner;
        return c.kind == POL_P_SERVICE && pa.len > 0 && emu_str_eq(pa, ca) &&
               emu_str_ieq(c.name, p->name);
    }
    case POL_P_FEDERATED:
        return c.kind == POL_P_FEDERATED && emu_str_eq(c.account, p->account) &&
               emu_str_ieq(c.name, p->name);
    case POL_P_ANY:
        return true;
    }
    return false;
}

bool policy__resource_principal_match(const pol_princ *p, const policy_principal *caller,
                                      emu_str owner)
{
    pol_princ c;

    if (p->kind == POL_P_ANY)
        return caller && caller->type != POLICY_PRINCIPAL_NONE;
    if (p->kind == POL_P_ACCOUNT) {
        if (!caller || caller->type != POLICY_PRINCIPAL_RAM ||
            !policy__principal_parse(caller->type, emu_str_c(caller->value), true, &c))
            return false;
        return c.kind != POL_P_FEDERATED && emu_str_eq(c.account, p->account);
    }
    return policy__principal_match(p, caller, owner);
}
