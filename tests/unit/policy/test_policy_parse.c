/* Grammar: what compiles, what is rejected and where the error points
 * (ram-policy.md §2-§4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/json.h"
#include "emu/limits.h"
#include "test_policy.h"

#define P POLICY_KIND_PERMISSION
#define S POLICY_KIND_SESSION
#define T POLICY_KIND_TRUST

/* The seed's trust policy (cross-account-authorization.md step 4), verbatim
 * including the "1xxxx" placeholder: it must compile (case 7 is a deny at
 * AssumeRole time, not a CreateRole error). */
static const char SEED_TRUST[] =
    "{\n  \"Statement\": [\n    {\n      \"Action\": \"sts:AssumeRole\",\n"
    "      \"Effect\": \"Allow\",\n      \"Principal\": {\n"
    "        \"Service\": [\n          \"1xxxx@odps.aliyuncs.com\"\n"
    "        ]\n      }\n    }\n  ],\n  \"Version\": \"1\"\n}\n";

/* maxcompute-external-table.md §2: the ten-action policy. */
static const char TEN_ACTIONS[] =
    "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"ots:ListTable\","
    "\"ots:DescribeTable\",\"ots:GetRow\",\"ots:PutRow\",\"ots:UpdateRow\",\"ots:DeleteRow\","
    "\"ots:GetRange\",\"ots:BatchGetRow\",\"ots:BatchWriteRow\",\"ots:ComputeSplitPointsBySize\"],"
    "\"Resource\":\"*\"}]}";

static void accepts_documented_forms(void **state)
{
    (void)state;
    const policy_doc_t *d;

    d = tp_doc(SEED_TRUST, T);
    assert_int_equal(policy_doc_kind(d), T);
    assert_int_equal(policy_doc_statement_count(d), 1);

    d = tp_doc(TEN_ACTIONS, P);
    assert_int_equal(policy_doc_statement_count(d), 1);

    /* One statement object instead of an array (§2 [inferred]), Sid, NotAction,
     * NotResource, every operator with string/number/bool/array values. */
    d = tp_doc("{\"Version\":\"1\",\"Statement\":{\"Sid\":\"one\",\"Effect\":\"Deny\","
               "\"NotAction\":[\"ram:*\",\"sts:*\"],\"NotResource\":\"acs:ots:*:*:instance/*\"}}",
               P);
    assert_int_equal(policy_doc_statement_count(d), 1);
    assert_string_equal(policy_doc_statement_sid(d, 0), "one");
    char ptr[32];
    assert_string_equal(policy_doc_statement_pointer(d, 0, ptr, sizeof ptr), "/Statement");

    d = tp_doc(
        "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
        "\"Resource\":\"*\",\"Condition\":{"
        "\"StringEquals\":{\"acs:AccessId\":\"LTAI1\",\"ots:TLSVersion\":[\"1.2\",\"1.3\"]},"
        "\"StringNotEquals\":{\"acs:SourceVpc\":\"vpc-1\"},"
        "\"StringEqualsIgnoreCase\":{\"acs:UserAgent\":\"x\"},"
        "\"StringNotEqualsIgnoreCase\":{\"acs:UserAgent\":\"y\"},"
        "\"StringLike\":{\"acs:ResourceTag/env\":\"p*\"},"
        "\"StringNotLike\":{\"acs:RequestTag/env\":[\"t?\"]},"
        "\"NumericEquals\":{\"x:n\":5},\"NumericNotEquals\":{\"x:n\":\"6\"},"
        "\"NumericLessThan\":{\"x:n\":1.5},\"NumericLessThanEquals\":{\"x:n\":-2},"
        "\"NumericGreaterThan\":{\"x:n\":1e3},\"NumericGreaterThanEquals\":{\"x:n\":\"0.5\"},"
        "\"DateEquals\":{\"acs:CurrentTime\":\"2020-01-01T00:00:00Z\"},"
        "\"DateNotEquals\":{\"acs:CurrentTime\":\"2020-01-01T00:00:00.123Z\"},"
        "\"DateLessThan\":{\"acs:CurrentTime\":\"2016-01-01T00:00:00+08:00\"},"
        "\"DateLessThanEquals\":{\"acs:CurrentTime\":\"2016-01-01T00:00:00-05:30\"},"
        "\"DateGreaterThan\":{\"acs:CurrentTime\":\"2016-01-01T00:00:00Z\"},"
        "\"DateGreaterThanEquals\":{\"acs:CurrentTime\":\"2016-01-01T00:00:00Z\"},"
        "\"Bool\":{\"acs:SecureTransport\":true,\"acs:MFAPresent\":\"FALSE\"},"
        "\"IpAddress\":{\"acs:SourceIp\":[\"10.0.0.0/8\",\"192.168.1.5\",\"2001:db8::/32\"]},"
        "\"NotIpAddress\":{\"acs:SourceIp\":\"::1\"}}}]}",
        P);
    assert_int_equal(policy_doc_statement_count(d), 1);

    /* Trust: all three principal kinds, several values, conditions. */
    d = tp_doc("{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
               "[\"sts:AssumeRole\",\"sts:AssumeRoleWithSAML\"],\"Principal\":{\"RAM\":["
               "\"acs:ram::56789:root\",\"56789\",\"acs:ram::56789:user/alice\","
               "\"acs:ram::56789:role/etl\"],\"Service\":[\"odps.aliyuncs.com\","
               "\"56789@odps.aliyuncs.com\"],\"Federated\":"
               "\"acs:ram::56789:saml-provider/idp\"},\"Condition\":{\"StringEquals\":"
               "{\"sts:ExternalId\":\"abcd1234\"}}}]}",
               T);
    assert_int_equal(policy_doc_statement_count(d), 1);
    assert_null(policy_doc_statement_sid(d, 0));
}

typedef struct reject_case {
    const char *text;
    policy_kind kind;
    const char *msg; /* substring expected in err.msg (location + text) */
} reject_case;

#define ST(body) "{\"Version\":\"1\",\"Statement\":[" body "]}"
#define OK_STMT "{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\"}"

static const reject_case rejects[] = {
    {"", P, "malformed JSON"},
    {"{\"Version\":\"1\",\"Statement\":[" OK_STMT "]} x", P, "after the JSON value"},
    {"[]", P, "$: policy document must be a JSON object, not an array"},
    {"{\"Statement\":[" OK_STMT "]}", P, "$: missing element \"Version\""},
    {"{\"Version\":\"2\",\"Statement\":[" OK_STMT "]}", P, "$.Version: must be the string \"1\""},
    {"{\"Version\":1,\"Statement\":[" OK_STMT "]}", P, "$.Version: must be the string \"1\""},
    {"{\"Version\":\"1\"}", P, "$: missing element \"Statement\""},
    {"{\"Version\":\"1\",\"Statement\":[]}", P, "$.Statement: must contain at least one statement"},
    {"{\"Version\":\"1\",\"Statement\":\"x\"}", P, "$.Statement: must be an array of statements"},
    {"{\"Version\":\"1\",\"Id\":\"x\",\"Statement\":[" OK_STMT "]}", P,
     "$.Id: unknown element \"Id\""},
    {"{\"Version\":\"1\",\"Version\":\"1\",\"Statement\":[" OK_STMT "]}", P,
     "$.Version: duplicate element \"Version\""},
    {ST(OK_STMT ",3"), P, "$.Statement[1]: statement must be an object, not a number"},
    {ST(OK_STMT ",{\"Effect\":\"allow\",\"Action\":\"a:b\",\"Resource\":\"*\"}"), P,
     "$.Statement[1].Effect: must be \"Allow\" or \"Deny\""},
    {ST("{\"Action\":\"a:b\",\"Resource\":\"*\"}"), P,
     "$.Statement[0]: missing element \"Effect\""},
    {ST("{\"Effect\":\"Allow\",\"Resource\":\"*\"}"), P,
     "$.Statement[0]: missing element \"Action\" (or \"NotAction\")"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"a:b\",\"NotAction\":\"c:d\",\"Resource\":\"*\"}"), P,
     "must not have both \"Action\" and \"NotAction\""},
    {ST("{\"Effect\":\"Allow\",\"Action\":[],\"Resource\":\"*\"}"), P,
     "$.Statement[0].Action: must not be an empty array"},
    {ST("{\"Effect\":\"Allow\",\"Action\":[\"ots:GetRow\",5],\"Resource\":\"*\"}"), P,
     "$.Statement[0].Action[1]: must be a string, not a number"},
    {ST("{\"Effect\":\"Allow\",\"Action\":[\"ots:GetRow\",\"GetRow\"],\"Resource\":\"*\"}"), P,
     "$.Statement[0].Action[1]: malformed action \"GetRow\""},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:Get Row\",\"Resource\":\"*\"}"), P,
     "$.Statement[0].Action: malformed action"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\"}"), P,
     "$.Statement[0]: missing element \"Resource\" (or \"NotResource\")"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\"}"), S, "missing element \"Resource\""},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"NotResource\":\"*"
        "\"}"),
     P, "must not have both \"Resource\" and \"NotResource\""},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":[\"*\",\"\"]}"), P,
     "$.Statement[0].Resource[1]: must not be an empty string"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"arn:aws:s3:::b\"}"), P,
     "$.Statement[0].Resource: malformed resource \"arn:aws:s3:::b\""},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Principal\":"
        "{\"RAM\":\"56789\"}}"),
     P, "$.Statement[0]: \"Principal\" is only allowed in a trust policy"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Extra\":1}"), P,
     "$.Statement[0].Extra: unknown element \"Extra\""},
    {ST("{\"Effect\":\"Allow\",\"Sid\":7,\"Action\":\"ots:GetRow\",\"Resource\":\"*\"}"), P,
     "$.Statement[0].Sid: must be a string, not a number"},
    /* Trust documents. */
    {ST("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\"}"), T,
     "$.Statement[0]: missing element \"Principal\""},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\",\"Principal\":"
        "{\"RAM\":\"56789\"}}"),
     T, "$.Statement[0]: \"Resource\" is not allowed in a trust policy"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"AWS\":\"x\"}}"), T,
     "$.Statement[0].Principal.AWS: unknown principal type \"AWS\""},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":\"*\"}"), T,
     "$.Statement[0].Principal: must be an object"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"RAM\":\"*\"}}"), T,
     "$.Statement[0].Principal.RAM: malformed RAM principal \"*\""},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"RAM\":"
        "[\"acs:ram::56789:root\",\"acs:ram::56789:group/g\"]}}"),
     T, "$.Statement[0].Principal.RAM[1]: malformed RAM principal \"acs:ram::56789:group/g\""},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"Service\":"
        "\"@odps.aliyuncs.com\"}}"),
     T, "malformed Service principal"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{\"Federated\":"
        "\"acs:ram::1:user/x\"}}"),
     T, "malformed Federated principal"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Principal\":{}}"), T,
     "$.Statement[0].Principal: must name at least one principal"},
    /* Conditions. */
    {ST(OK_STMT ",{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
                "{\"StringEqualz\":{\"acs:AccessId\":\"x\"}}}"),
     P, "$.Statement[1].Condition.StringEqualz: unknown operator \"StringEqualz\""},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
        "{\"StringEqualsIfExists\":{\"acs:AccessId\":\"x\"}}}"),
     P, "unknown operator \"StringEqualsIfExists\""},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
        "{\"ForAnyValue:StringEquals\":{\"acs:AccessId\":\"x\"}}}"),
     P, "[\"ForAnyValue:StringEquals\"]: unknown operator"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
        "{\"stringequals\":{\"acs:AccessId\":\"x\"}}}"),
     P, "unknown operator \"stringequals\""},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
        "{\"StringEquals\":{\"AccessId\":\"x\"}}}"),
     P, "$.Statement[0].Condition.StringEquals.AccessId: malformed condition key \"AccessId\""},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
        "{\"StringEquals\":{\"acs:Source Ip\":\"x\"}}}"),
     P, "malformed condition key \"acs:Source Ip\""},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
        "{\"StringEquals\":{}}}"),
     P, "$.Statement[0].Condition.StringEquals: must name at least one condition key"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
        "{\"StringEquals\":\"x\"}}"),
     P, "$.Statement[0].Condition.StringEquals: must be an object of condition keys"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
        "{\"StringEquals\":{\"acs:AccessId\":[]}}}"),
     P, "[\"acs:AccessId\"]: must not be an empty array"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
        "{\"StringEquals\":{\"acs:AccessId\":null}}}"),
     P, "[\"acs:AccessId\"]: unsupported value type (null)"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
        "{\"StringEquals\":{\"acs:AccessId\":[\"a\",{}]}}}"),
     P, "[\"acs:AccessId\"][1]: unsupported value type (an object)"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
        "{\"NumericLessThan\":{\"x:n\":\"ten\"}}}"),
     P, "\"ten\" is not a decimal number"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
        "{\"NumericLessThan\":{\"x:n\":\"0x10\"}}}"),
     P, "\"0x10\" is not a decimal number"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
        "{\"DateLessThan\":{\"acs:CurrentTime\":\"2016-01-01\"}}}"),
     P, "\"2016-01-01\" is not an ISO 8601 time"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
        "{\"DateLessThan\":{\"acs:CurrentTime\":20160101}}}"),
     P, "unsupported value type (a number)"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
        "{\"Bool\":{\"acs:SecureTransport\":\"yes\"}}}"),
     P, "\"yes\" is not \"true\" or \"false\""},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
        "{\"IpAddress\":{\"acs:SourceIp\":\"10.0.0.0/33\"}}}"),
     P, "\"10.0.0.0/33\" is not an IP address or CIDR block"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
        "{\"IpAddress\":{\"acs:SourceIp\":\"10.0.0\"}}}"),
     P, "is not an IP address"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":"
        "{\"Bool\":{\"acs:SecureTransport\":\"true\",\"acs:SecureTransport\":\"false\"}}}"),
     P, "Condition.Bool[\"acs:SecureTransport\"]: duplicate element"},
    {ST("{\"Effect\":\"Allow\",\"Action\":\"ots:GetRow\",\"Resource\":\"*\",\"Condition\":[]}"), P,
     "$.Statement[0].Condition: must be an object, not an array"},
};

static void rejects_with_location(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rejects / sizeof rejects[0]; i++) {
        const char *msg = tp_reject(rejects[i].text, rejects[i].kind, EMU_E_INVALID);
        if (!strstr(msg, rejects[i].msg))
            fail_msg("case %zu: message\n  %s\ndoes not contain\n  %s", i, msg, rejects[i].msg);
    }
}

/* Builds a syntactically valid permission policy of exactly `chars`
 * characters by padding a Sid. */
static char *policy_of_size(size_t chars, bool multibyte)
{
    static const char head[] = "{\"Version\":\"1\",\"Statement\":[{\"Sid\":\"";
    static const char tail[] = "\",\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}";
    size_t pad = chars - (sizeof head - 1) - (sizeof tail - 1);
    char *s = malloc(chars * 3 + 1);
    char *p = s;
    memcpy(p, head, sizeof head - 1);
    p += sizeof head - 1;
    for (size_t i = 0; i < pad; i++) {
        if (multibyte) { /* U+00E9, two bytes, one character */
            *p++ = (char)0xC3;
            *p++ = (char)0xA9;
        } else {
            *p++ = 'x';
        }
    }
    memcpy(p, tail, sizeof tail);
    return s;
}

static void size_caps(void **state)
{
    (void)state;
    char *s = policy_of_size(EMU_MAX_POLICY_BYTES, false);
    assert_int_equal(strlen(s), EMU_MAX_POLICY_BYTES);
    tp_doc(s, P);
    free(s);

    s = policy_of_size(EMU_MAX_POLICY_BYTES + 1, false);
    const char *msg = tp_reject(s, P, EMU_E_LIMIT);
    assert_non_null(strstr(msg, "6145 characters, more than the 6144 allowed"));
    free(s);

    /* Characters, not bytes: 6144 characters of which many are two bytes. */
    s = policy_of_size(EMU_MAX_POLICY_BYTES, true);
    assert_true(strlen(s) > EMU_MAX_POLICY_BYTES);
    tp_doc(s, P);
    free(s);

    s = policy_of_size(EMU_MAX_SESSION_POLICY_BYTES, false);
    tp_doc(s, S);
    free(s);
    s = policy_of_size(EMU_MAX_SESSION_POLICY_BYTES + 1, false);
    msg = tp_reject(s, S, EMU_E_LIMIT);
    assert_non_null(strstr(msg, "session policy"));
    tp_doc(s, P); /* the same text is fine as a permission policy */
    free(s);
}

static void deep_nesting_is_rejected_not_crashing(void **state)
{
    (void)state;
    char buf[600];
    size_t n = 0;
    n += (size_t)snprintf(buf, sizeof buf, "{\"Version\":\"1\",\"Statement\":");
    for (int i = 0; i < 100; i++)
        buf[n++] = '[';
    buf[n] = '\0';
    const char *msg = tp_reject(buf, P, EMU_E_INVALID);
    assert_non_null(strstr(msg, "nested deeper"));
}

static void keeps_text_and_label(void **state)
{
    (void)state;
    policy_doc_t *doc = NULL;
    emu_err err = {0};
    size_t len = 0;

    assert_int_equal(policy_compile(TEN_ACTIONS, strlen(TEN_ACTIONS), P, &doc, &err), EMU_OK);
    assert_string_equal(policy_doc_text(doc, &len), TEN_ACTIONS);
    assert_int_equal(len, strlen(TEN_ACTIONS));
    assert_string_equal(policy_doc_name(doc), "");
    policy_doc_set_label(doc, "AliyunODPSRolePolicy", "Custom", "v3");
    assert_string_equal(policy_doc_name(doc), "AliyunODPSRolePolicy");
    assert_string_equal(policy_doc_type(doc), "Custom");
    assert_string_equal(policy_doc_version(doc), "v3");
    policy_doc_set_label(doc, NULL, NULL, "v4");
    assert_string_equal(policy_doc_name(doc), "AliyunODPSRolePolicy");
    assert_string_equal(policy_doc_version(doc), "v4");
    char ptr[32];
    assert_string_equal(policy_doc_statement_pointer(doc, 0, ptr, sizeof ptr), "/Statement/0");
    policy_doc_free(doc);
}

static void compiles_from_cjson(void **state)
{
    (void)state;
    emu_err err = {0};
    cJSON *j = emu_json_parse(SEED_TRUST, strlen(SEED_TRUST), &err);
    policy_doc_t *doc = NULL;
    assert_non_null(j);
    assert_int_equal(policy_compile_json(j, T, &doc, &err), EMU_OK);
    size_t len;
    const char *text = policy_doc_text(doc, &len);
    assert_non_null(strstr(text, "\"1xxxx@odps.aliyuncs.com\""));
    assert_null(strchr(text, '\n')); /* compact rendering */
    policy_doc_free(doc);
    /* As a permission policy the same tree is wrong, with a location. */
    assert_int_equal(policy_compile_json(j, P, &doc, &err), EMU_E_INVALID);
    assert_null(doc);
    assert_non_null(strstr(err.msg, "$.Statement[0]: \"Principal\" is only allowed"));
    cJSON_Delete(j);
}

int tp_run_parse(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(accepts_documented_forms, tp_free_all),
        cmocka_unit_test_teardown(rejects_with_location, tp_free_all),
        cmocka_unit_test_teardown(size_caps, tp_free_all),
        cmocka_unit_test_teardown(deep_nesting_is_rejected_not_crashing, tp_free_all),
        cmocka_unit_test_teardown(keeps_text_and_label, tp_free_all),
        cmocka_unit_test_teardown(compiles_from_cjson, tp_free_all),
    };
    return cmocka_run_group_tests_name("policy_parse", tests, NULL, NULL);
}
