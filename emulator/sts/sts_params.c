/* AssumeRole parameter checks (rpc-api.md §8.1). Pure: no world, no call,
 * no allocation, so the unit tests and a fuzzer can drive them directly. */
#include <string.h>

#include "sts_int.h"

static bool in_set(const char *s, size_t min, size_t max, const char *extra)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && !strchr(extra, c))
            return false;
        if (n == max)
            return false;
    }
    return n >= min;
}

bool sts__parse_role_arn(const char *text, sts_role_arn *out)
{
    static const char prefix[] = "acs:ram::";
    memset(out, 0, sizeof *out);
    if (!text || strncmp(text, prefix, sizeof prefix - 1) != 0)
        return false;
    const char *acct = text + sizeof prefix - 1;
    size_t n = strspn(acct, "0123456789");
    if (n == 0 || n > STS_ACCOUNT_MAX || strncmp(acct + n, ":role/", 6) != 0)
        return false;
    const char *name = acct + n + 6;
    /* strchr(extra, '\0') is true, but in_set stops at the terminator. */
    if (!in_set(name, 1, STS_ROLE_NAME_MAX, ".@_-"))
        return false;
    memcpy(out->account, acct, n);
    strcpy(out->role, name); /* length checked by in_set */
    return true;
}

bool sts__valid_session_name(const char *s)
{
    return s && in_set(s, 2, 64, ".@_-");
}

bool sts__valid_external_id(const char *s)
{
    /* rpc-api.md §8.1: [\w+=,.@:/-]{2,1224}. */
    return s && in_set(s, 2, 1224, "_+=,.@:/-");
}

bool sts__parse_duration(const char *s, long *out)
{
    long v = 0;
    size_t n = 0;
    if (!s)
        return false;
    for (; s[n]; n++) {
        if (s[n] < '0' || s[n] > '9' || n == 9)
            return false;
        v = v * 10 + (s[n] - '0');
    }
    if (n == 0)
        return false;
    *out = v;
    return true;
}
