/* SAML 2.0 for AssumeRoleWithSAML: the "SAMLProviders" world section, IdP
 * metadata, the SAMLResponse verifier and acsemu's own test IdPs.
 *
 * World-file shape (IMS GetSAMLProvider's fields):
 *   "SAMLProviders": [{"SAMLProviderName": "okta", "Description": "…",
 *     "EncodedSAMLMetadataDocument": "<base64 of the IdP metadata XML>",
 *     "CreateDate": "…", "UpdateDate": "…"}]
 *
 * Verification uses libxml2 (no network, no DTD, so no entities) and its
 * exclusive C14N, and OpenSSL; no xmlsec. Signature wrapping is refused by
 * shape: every ds:Signature must be a direct child of the Response or of
 * its one Assertion, its one Reference must name (URI "#ID") the ID of that
 * parent, that ID must be unique in the document, and the claims are read
 * from that Assertion, which the signed element is or contains. */
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/clock.h"
#include "emu/crypto.h"
#include "emu/fed.h"
#include "emu/str.h"

#define NS_P "urn:oasis:names:tc:SAML:2.0:protocol"
#define NS_A "urn:oasis:names:tc:SAML:2.0:assertion"
#define NS_MD "urn:oasis:names:tc:SAML:2.0:metadata"
#define NS_DS "http://www.w3.org/2000/09/xmldsig#"
#define ALG_EXC "http://www.w3.org/2001/10/xml-exc-c14n#"
#define ALG_ENV "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define ALG_RSA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define ALG_RSA1 "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
#define ALG_SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"
#define ALG_SHA1 "http://www.w3.org/2000/09/xmldsig#sha1"
#define ATTR_ROLE "https://www.aliyun.com/SAML-Role/Attributes/Role"
#define ATTR_SESSION "https://www.aliyun.com/SAML-Role/Attributes/RoleSessionName"
#define XML_OPTS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

/* --- XML helpers --------------------------------------------------------------- */

static bool is_el(const xmlNode *n, const char *ns, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strcmp((const char *)n->ns->href, ns) == 0 && strcmp((const char *)n->name, name) == 0;
}

/* The only child element ns:name of n; NULL when none or several. */
static xmlNode *only_child(const xmlNode *n, const char *ns, const char *name)
{
    xmlNode *found = NULL;
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (is_el(c, ns, name)) {
            if (found)
                return NULL;
            found = c;
        }
    return found;
}

static const char *attr(emu_arena *a, const xmlNode *n, const char *name)
{
    xmlChar *v = n ? xmlGetNoNsProp(n, (const xmlChar *)name) : NULL;
    if (!v)
        return NULL;
    char *s = emu_arena_strdup(a, (const char *)v);
    xmlFree(v);
    return s;
}

static const char *text(emu_arena *a, const xmlNode *n)
{
    if (!n)
        return NULL;
    xmlChar *v = xmlNodeGetContent(n);
    char *s = emu_arena_strdup(a, v ? (const char *)v : "");
    xmlFree(v);
    return s;
}

/* base64 with blanks (as XML wraps it) into the arena. */
static uint8_t *b64_decode(emu_arena *a, const char *s, size_t n, size_t *out_len)
{
    char *t = emu_arena_alloc(a, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
            t[k++] = s[i];
    uint8_t *out = emu_arena_alloc(a, k / 4 * 3 + 3);
    if (k == 0 || !emu_base64_decode(t, k, out, k / 4 * 3 + 3, out_len))
        return NULL;
    return out;
}

static xmlDocPtr parse(const uint8_t *buf, size_t len)
{
    if (len > (size_t)INT32_MAX)
        return NULL;
    xmlDocPtr doc = xmlReadMemory((const char *)buf, (int)len, NULL, NULL, XML_OPTS);
    if (doc && (doc->intSubset || doc->extSubset)) {
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

/* --- exclusive C14N of a subtree, less one excluded subtree --------------------- */

typedef struct c14n_scope {
    const xmlNode *root, *exclude;
} c14n_scope;

static int visible(void *user, xmlNodePtr node, xmlNodePtr parent)
{
    const c14n_scope *s = user;
    const xmlNode *n = (!node || node->type == XML_NAMESPACE_DECL) ? parent : node;
    for (; n; n = n->parent) {
        if (n == s->exclude)
            return 0;
        if (n == s->root)
            return 1;
    }
    return 0;
}

/* InclusiveNamespaces PrefixList of a Transform/CanonicalizationMethod. */
static xmlChar **inclusive_prefixes(emu_arena *a, const xmlNode *method)
{
    for (const xmlNode *c = method ? method->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE &&
            strcmp((const char *)c->name, "InclusiveNamespaces") == 0) {
            const char *list = attr(a, c, "PrefixList");
            if (!list)
                return NULL;
            xmlChar **v = emu_arena_alloc(a, (strlen(list) / 2 + 2) * sizeof *v);
            size_t n = 0;
            char *p = emu_arena_strdup(a, list), *save = NULL;
            for (char *t = strtok_r(p, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save))
                v[n++] = (xmlChar *)(strcmp(t, "#default") == 0 ? "" : t);
            v[n] = NULL;
            return v;
        }
    return NULL;
}

/* Canonical bytes of root without exclude, in the arena. */
static uint8_t *c14n(emu_arena *a, xmlDocPtr doc, const xmlNode *root, const xmlNode *exclude,
                     xmlChar **prefixes, size_t *len)
{
    c14n_scope s = {root, exclude};
    xmlOutputBufferPtr buf = xmlAllocOutputBuffer(NULL);
    if (!buf)
        return NULL;
    uint8_t *out = NULL;
    if (xmlC14NExecute(doc, visible, &s, XML_C14N_EXCLUSIVE_1_0, prefixes, 0, buf) >= 0) {
        *len = xmlOutputBufferGetSize(buf);
        out = emu_arena_alloc(a, *len + 1);
        memcpy(out, xmlOutputBufferGetContent(buf), *len);
    }
    xmlOutputBufferClose(buf);
    return out;
}

/* --- metadata ------------------------------------------------------------------ */

static void collect_certs(emu_arena *a, const xmlNode *n, fed_key **keys, size_t *nk)
{
    for (const xmlNode *c = n->children; c && *nk < FED_MAX_SAML_CERTS; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is_el(c, NS_DS, "X509Certificate")) {
            const char *t = text(a, c);
            size_t der_len;
            const uint8_t *der = b64_decode(a, t, strlen(t), &der_len);
            X509 *x = der ? d2i_X509(NULL, &der, (long)der_len) : NULL;
            EVP_PKEY *pk = x ? X509_get_pubkey(x) : NULL;
            X509_free(x);
            if (pk && EVP_PKEY_is_a(pk, "RSA"))
                keys[(*nk)++] = fed_key_wrap(pk);
            else
                EVP_PKEY_free(pk);
        } else {
            collect_certs(a, c, keys, nk);
        }
    }
}

const char *fed_saml_metadata_read(fed_saml_provider *p, const char *b64)
{
    size_t n = strlen(b64);
    if (n > FED_MAX_SAML_METADATA_BYTES)
        return "is over 100,000 characters";
    emu_arena *a = emu_arena_new(0);
    const char *why = NULL;
    size_t len;
    uint8_t *xml = b64_decode(a, b64, n, &len);
    xmlDocPtr doc = xml ? parse(xml, len) : NULL;
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    fed_key *keys[FED_MAX_SAML_CERTS];
    size_t nk = 0;
    const char *entity = NULL;
    if (!xml)
        why = "is not base64";
    else if (!doc)
        why = "is not well-formed XML without a DOCTYPE";
    else if (!is_el(root, NS_MD, "EntityDescriptor"))
        why = "is not SAML 2.0 metadata (an md:EntityDescriptor)";
    else if (!(entity = attr(a, root, "entityID")) || !*entity)
        why = "has no entityID";
    else {
        xmlNode *idp = only_child(root, NS_MD, "IDPSSODescriptor");
        for (xmlNode *kd = idp ? idp->children : NULL; kd; kd = kd->next) {
            const char *use = is_el(kd, NS_MD, "KeyDescriptor") ? attr(a, kd, "use") : "skip";
            if (!use || strcmp(use, "signing") == 0)
                collect_certs(a, kd, keys, &nk);
        }
        if (!idp)
            why = "has no IDPSSODescriptor";
        else if (nk == 0)
            why = "has no RSA X509 signing certificate in IDPSSODescriptor/KeyDescriptor";
    }
    if (!why) {
        for (size_t i = 0; i < p->n_keys; i++)
            fed_key_free(p->keys[i]);
        free(p->keys);
        free(p->metadata);
        free(p->entity_id);
        p->keys = emu_xcalloc(nk, sizeof *p->keys);
        memcpy(p->keys, keys, nk * sizeof *keys);
        p->n_keys = nk;
        p->metadata = emu_xstrdup(b64);
        p->entity_id = emu_xstrdup(entity);
    } else {
        for (size_t i = 0; i < nk; i++)
            fed_key_free(keys[i]);
    }
    xmlFreeDoc(doc);
    emu_arena_free(a);
    return why;
}

/* --- the verifier ---------------------------------------------------------------- */

static fed_saml_fault fault(fed_saml_fault f, char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static fed_saml_fault fault(fed_saml_fault f, char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return f;
}

/* Counts elements whose ID attribute is `id`, and checks that every
 * ds:Signature is a direct child of one of the allowed parents. */
static void scan(const xmlNode *n, const char *id, const xmlNode *resp, const xmlNode *asrt,
                 size_t *ids, size_t *bad_sigs)
{
    for (const xmlNode *c = n; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        xmlChar *v = xmlGetNoNsProp(c, (const xmlChar *)"ID");
        if (v && strcmp((const char *)v, id) == 0)
            (*ids)++;
        xmlFree(v);
        if (is_el(c, NS_DS, "Signature") && c->parent != resp && c->parent != asrt)
            (*bad_sigs)++;
        scan(c->children, id, resp, asrt, ids, bad_sigs);
    }
}

static bool parse_time(const char *s, int64_t *ms)
{
    return s && emu_time_parse_iso(s, strlen(s), false, ms);
}

static fed_saml_fault check_signature(emu_arena *a, xmlDocPtr doc, xmlNode *resp, xmlNode *asrt,
                                      const fed_key *const *keys, size_t nkeys, char *why,
                                      size_t cap)
{
    xmlNode *sig = only_child(asrt, NS_DS, "Signature");
    xmlNode *signed_el = asrt;
    if (!sig && !(sig = only_child(resp, NS_DS, "Signature")))
        return fault(FED_SAML_SIGNATURE, why, cap,
                     "signature: neither the Assertion nor the Response has exactly one "
                     "ds:Signature child");
    if (sig->parent == resp)
        signed_el = resp;
    const char *id = attr(a, signed_el, "ID");
    if (!id || !*id)
        return fault(FED_SAML_SIGNATURE, why, cap, "signature: the signed %s has no ID",
                     (const char *)signed_el->name);
    size_t ids = 0, bad_sigs = 0;
    scan(xmlDocGetRootElement(doc), id, resp, asrt, &ids, &bad_sigs);
    if (ids != 1 || bad_sigs)
        return fault(FED_SAML_SIGNATURE, why, cap, "signature: %s (possible signature wrapping)",
                     ids != 1 ? "the signed ID is not unique in the document"
                              : "a ds:Signature outside the Response/Assertion");

    xmlNode *si = only_child(sig, NS_DS, "SignedInfo");
    xmlNode *sv = only_child(sig, NS_DS, "SignatureValue");
    xmlNode *cm = only_child(si, NS_DS, "CanonicalizationMethod");
    xmlNode *sm = only_child(si, NS_DS, "SignatureMethod");
    xmlNode *ref = only_child(si, NS_DS, "Reference");
    if (!si || !sv || !cm || !sm || !ref)
        return fault(FED_SAML_SIGNATURE, why, cap,
                     "signature: SignedInfo needs one CanonicalizationMethod, SignatureMethod and "
                     "Reference, and a SignatureValue");
    const char *cm_alg = attr(a, cm, "Algorithm"), *sm_alg = attr(a, sm, "Algorithm");
    if (!cm_alg || strcmp(cm_alg, ALG_EXC) != 0)
        return fault(FED_SAML_SIGNATURE, why, cap,
                     "signature: CanonicalizationMethod must be " ALG_EXC);
    const EVP_MD *sig_md = sm_alg && strcmp(sm_alg, ALG_RSA256) == 0 ? EVP_sha256()
                           : sm_alg && strcmp(sm_alg, ALG_RSA1) == 0 ? EVP_sha1()
                                                                     : NULL;
    if (!sig_md)
        return fault(FED_SAML_SIGNATURE, why, cap,
                     "signature: SignatureMethod must be rsa-sha256 or rsa-sha1");
    const char *uri = attr(a, ref, "URI");
    if (!uri || uri[0] != '#' || strcmp(uri + 1, id) != 0)
        return fault(FED_SAML_SIGNATURE, why, cap,
                     "signature: the Reference URI does not name the signed %s's ID "
                     "(possible signature wrapping)",
                     (const char *)signed_el->name);
    xmlNode *tr = only_child(ref, NS_DS, "Transforms");
    xmlChar **ref_prefixes = NULL;
    for (xmlNode *t = tr ? tr->children : NULL; t; t = t->next) {
        if (t->type != XML_ELEMENT_NODE)
            continue;
        const char *alg = is_el(t, NS_DS, "Transform") ? attr(a, t, "Algorithm") : NULL;
        if (alg && strcmp(alg, ALG_EXC) == 0)
            ref_prefixes = inclusive_prefixes(a, t);
        else if (!alg || strcmp(alg, ALG_ENV) != 0)
            return fault(FED_SAML_SIGNATURE, why, cap,
                         "signature: only the enveloped-signature and exclusive C14N "
                         "transforms are accepted");
    }
    xmlNode *dm = only_child(ref, NS_DS, "DigestMethod");
    xmlNode *dv = only_child(ref, NS_DS, "DigestValue");
    const char *dm_alg = dm ? attr(a, dm, "Algorithm") : NULL;
    const EVP_MD *dig_md = dm_alg && strcmp(dm_alg, ALG_SHA256) == 0 ? EVP_sha256()
                           : dm_alg && strcmp(dm_alg, ALG_SHA1) == 0 ? EVP_sha1()
                                                                     : NULL;
    if (!dig_md || !dv)
        return fault(FED_SAML_SIGNATURE, why, cap,
                     "signature: DigestMethod must be sha256 or sha1, with a DigestValue");

    size_t clen, want_len, sig_len;
    const char *dvt = text(a, dv), *svt = text(a, sv);
    uint8_t *want = b64_decode(a, dvt, strlen(dvt), &want_len);
    uint8_t *sigv = b64_decode(a, svt, strlen(svt), &sig_len);
    uint8_t *canon = c14n(a, doc, signed_el, sig, ref_prefixes, &clen);
    uint8_t got[EVP_MAX_MD_SIZE];
    unsigned got_len = 0;
    if (!want || !sigv || !canon || !EVP_Digest(canon, clen, got, &got_len, dig_md, NULL))
        return fault(FED_SAML_SIGNATURE, why, cap,
                     "signature: DigestValue or SignatureValue is not base64");
    if (got_len != want_len || CRYPTO_memcmp(got, want, got_len) != 0)
        return fault(FED_SAML_SIGNATURE, why, cap,
                     "signature: the digest of the signed %s does not match its Reference "
                     "(the content was changed after signing)",
                     (const char *)signed_el->name);
    uint8_t *si_canon = c14n(a, doc, si, NULL, inclusive_prefixes(a, cm), &clen);
    bool ok = false;
    for (size_t i = 0; si_canon && i < nkeys && !ok; i++) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        ok = md && EVP_DigestVerifyInit(md, NULL, sig_md, NULL, fed_key_pkey(keys[i])) == 1 &&
             EVP_DigestVerify(md, sigv, sig_len, si_canon, clen) == 1;
        EVP_MD_CTX_free(md);
    }
    if (!ok)
        return fault(FED_SAML_SIGNATURE, why, cap,
                     "signature: SignatureValue does not verify with the provider's %zu "
                     "certificate(s)",
                     nkeys);
    return FED_SAML_OK;
}

static void read_claims(emu_arena *a, xmlNode *asrt, fed_saml *out)
{
    out->issuer = text(a, only_child(asrt, NS_A, "Issuer"));
    xmlNode *subj = only_child(asrt, NS_A, "Subject");
    xmlNode *nameid = only_child(subj, NS_A, "NameID");
    out->subject = text(a, nameid);
    out->subject_type = attr(a, nameid, "Format");
    xmlNode *scd =
        only_child(only_child(subj, NS_A, "SubjectConfirmation"), NS_A, "SubjectConfirmationData");
    out->recipient = attr(a, scd, "Recipient");
    out->has_scd_not_on_or_after =
        parse_time(attr(a, scd, "NotOnOrAfter"), &out->scd_not_on_or_after);
    xmlNode *cond = only_child(asrt, NS_A, "Conditions");
    out->has_not_before = parse_time(attr(a, cond, "NotBefore"), &out->not_before);
    out->has_not_on_or_after = parse_time(attr(a, cond, "NotOnOrAfter"), &out->not_on_or_after);
    for (xmlNode *ar = cond ? cond->children : NULL; ar; ar = ar->next)
        if (is_el(ar, NS_A, "AudienceRestriction"))
            for (xmlNode *au = ar->children; au; au = au->next)
                if (is_el(au, NS_A, "Audience") && out->n_audiences < FED_MAX_SAML_VALUES)
                    out->audiences[out->n_audiences++] = text(a, au);
    for (xmlNode *st = asrt->children; st; st = st->next) {
        if (!is_el(st, NS_A, "AttributeStatement"))
            continue;
        for (xmlNode *at = st->children; at; at = at->next) {
            const char *name = is_el(at, NS_A, "Attribute") ? attr(a, at, "Name") : NULL;
            if (!name)
                continue;
            for (xmlNode *v = at->children; v; v = v->next) {
                if (!is_el(v, NS_A, "AttributeValue"))
                    continue;
                if (strcmp(name, ATTR_ROLE) == 0 && out->n_roles < FED_MAX_SAML_VALUES)
                    out->roles[out->n_roles++] = text(a, v);
                else if (strcmp(name, ATTR_SESSION) == 0 && !out->session_name)
                    out->session_name = text(a, v);
            }
        }
    }
}

fed_saml_fault fed_saml_verify(const char *b64, size_t len, const fed_key *const *keys, size_t n,
                               emu_arena *a, fed_saml *out, char *why, size_t cap)
{
    memset(out, 0, sizeof *out);
    if (len > FED_MAX_SAML_ASSERTION_BYTES)
        return fault(FED_SAML_MALFORMED, why, cap, "SAMLAssertion: over %d characters",
                     FED_MAX_SAML_ASSERTION_BYTES);
    size_t xml_len;
    uint8_t *xml = b64_decode(a, b64, len, &xml_len);
    if (!xml)
        return fault(FED_SAML_MALFORMED, why, cap, "SAMLAssertion: not base64");
    xmlDocPtr doc = parse(xml, xml_len);
    if (!doc)
        return fault(FED_SAML_MALFORMED, why, cap,
                     "SAMLAssertion: not well-formed XML without a DOCTYPE");
    fed_saml_fault f = FED_SAML_OK;
    xmlNode *resp = xmlDocGetRootElement(doc);
    xmlNode *asrt = only_child(resp, NS_A, "Assertion");
    if (!is_el(resp, NS_P, "Response"))
        f = fault(FED_SAML_MALFORMED, why, cap,
                  "SAMLAssertion: the root is not a SAML 2.0 samlp:Response");
    else if (only_child(resp, NS_A, "EncryptedAssertion"))
        f = fault(FED_SAML_MALFORMED, why, cap,
                  "SAMLAssertion: encrypted assertions are not supported by acsemu");
    else if (!asrt)
        f = fault(FED_SAML_MALFORMED, why, cap,
                  "SAMLAssertion: the Response must hold exactly one saml:Assertion");
    else
        f = check_signature(a, doc, resp, asrt, keys, n, why, cap);
    if (f == FED_SAML_OK)
        read_claims(a, asrt, out);
    xmlFreeDoc(doc);
    return f;
}

/* --- test IdPs -------------------------------------------------------------------- */

static const char *esc(emu_arena *a, const char *s)
{
    size_t n = 0;
    for (const char *p = s; *p; p++)
        n += *p == '&' ? 5 : (*p == '<' || *p == '>') ? 4 : *p == '"' ? 6 : 1;
    char *o = emu_arena_alloc(a, n + 1), *q = o;
    for (const char *p = s; *p; p++) {
        const char *r = *p == '&'   ? "&amp;"
                        : *p == '<' ? "&lt;"
                        : *p == '>' ? "&gt;"
                        : *p == '"' ? "&quot;"
                                    : NULL;
        if (r) {
            memcpy(q, r, strlen(r));
            q += strlen(r);
        } else {
            *q++ = *p;
        }
    }
    *q = 0;
    return o;
}

static const char *b64(emu_arena *a, const uint8_t *in, size_t n)
{
    char *o = emu_arena_alloc(a, (n + 2) / 3 * 4 + 1);
    o[emu_base64_encode(in, n, o)] = 0;
    return o;
}

static const char *iso_ms(emu_arena *a, int64_t ms)
{
    char *d = emu_arena_alloc(a, 21);
    emu_time_iso(ms, d);
    return d;
}

char *fed_saml_mint(const fed_saml_mint_req *r, emu_arena *a)
{
    fed_key *k = fed_issuer_key(r->issuer, false, NULL);
    if (!k)
        return NULL;
    char rnd[17];
    emu_rand_base62(rnd, 16);
    rnd[16] = 0;
    const char *id = emu_arena_concat(a, "_a", rnd, NULL);
    const char *now = iso_ms(a, r->now_ms), *end = iso_ms(a, r->now_ms + r->lifetime_s * 1000);
    const char *attrs = "";
    for (size_t i = 0; i < r->n_roles; i++)
        attrs = emu_arena_concat(a, attrs, "<saml:AttributeValue>", esc(a, r->roles[i]),
                                 "</saml:AttributeValue>", NULL);
    const char *session = r->session_name
                              ? emu_arena_concat(a,
                                                 "<saml:Attribute Name=\"" ATTR_SESSION "\">"
                                                 "<saml:AttributeValue>",
                                                 esc(a, r->session_name),
                                                 "</saml:AttributeValue></saml:Attribute>", NULL)
                              : "";
    /* No blanks between elements: the signature goes where the marker is. */
    const char *head = emu_arena_sprintf(
        a,
        "<samlp:Response xmlns:samlp=\"" NS_P "\" xmlns:saml=\"" NS_A "\" ID=\"_r%s\" "
        "Version=\"2.0\" IssueInstant=\"%s\" Destination=\"%s\">"
        "<saml:Issuer>%s</saml:Issuer><samlp:Status><samlp:StatusCode "
        "Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>"
        "<saml:Assertion ID=\"%s\" Version=\"2.0\" IssueInstant=\"%s\">"
        "<saml:Issuer>%s</saml:Issuer>",
        rnd, now, esc(a, r->recipient), esc(a, r->issuer), id, now, esc(a, r->issuer));
    const char *tail = emu_arena_sprintf(
        a,
        "<saml:Subject><saml:NameID "
        "Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\">%s</saml:NameID>"
        "<saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">"
        "<saml:SubjectConfirmationData NotOnOrAfter=\"%s\" Recipient=\"%s\"/>"
        "</saml:SubjectConfirmation></saml:Subject>"
        "<saml:Conditions NotBefore=\"%s\" NotOnOrAfter=\"%s\"><saml:AudienceRestriction>"
        "<saml:Audience>%s</saml:Audience></saml:AudienceRestriction></saml:Conditions>"
        "<saml:AuthnStatement AuthnInstant=\"%s\"><saml:AuthnContext><saml:AuthnContextClassRef>"
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
        "<saml:AttributeStatement><saml:Attribute Name=\"" ATTR_ROLE "\">%s</saml:Attribute>%s"
        "</saml:AttributeStatement></saml:Assertion></samlp:Response>",
        esc(a, r->subject), end, esc(a, r->recipient), now, end, esc(a, r->audience), now, attrs,
        session);
    const char *unsigned_xml = emu_arena_concat(a, head, tail, NULL);

    xmlDocPtr doc = parse((const uint8_t *)unsigned_xml, strlen(unsigned_xml));
    xmlNode *asrt = doc ? only_child(xmlDocGetRootElement(doc), NS_A, "Assertion") : NULL;
    size_t clen = 0;
    uint8_t *canon = asrt ? c14n(a, doc, asrt, NULL, NULL, &clen) : NULL;
    xmlFreeDoc(doc);
    uint8_t dig[32];
    if (!canon || !EVP_Digest(canon, clen, dig, NULL, EVP_sha256(), NULL))
        return NULL;
    const char *signed_info = emu_arena_concat(
        a,
        "<ds:SignedInfo xmlns:ds=\"" NS_DS "\"><ds:CanonicalizationMethod Algorithm=\"" ALG_EXC
        "\"/><ds:SignatureMethod Algorithm=\"" ALG_RSA256 "\"/><ds:Reference URI=\"#",
        id,
        "\"><ds:Transforms><ds:Transform Algorithm=\"" ALG_ENV
        "\"/><ds:Transform Algorithm=\"" ALG_EXC "\"/></ds:Transforms><ds:DigestMethod "
        "Algorithm=\"" ALG_SHA256 "\"/><ds:DigestValue>",
        b64(a, dig, sizeof dig), "</ds:DigestValue></ds:Reference></ds:SignedInfo>", NULL);
    doc = parse((const uint8_t *)signed_info, strlen(signed_info));
    canon = doc ? c14n(a, doc, xmlDocGetRootElement(doc), NULL, NULL, &clen) : NULL;
    xmlFreeDoc(doc);
    size_t sig_len = 0;
    uint8_t *sig = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (canon && md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, fed_key_pkey(k)) == 1 &&
        EVP_DigestSign(md, NULL, &sig_len, canon, clen) == 1) {
        sig = emu_arena_alloc(a, sig_len);
        if (EVP_DigestSign(md, sig, &sig_len, canon, clen) != 1)
            sig = NULL;
    }
    EVP_MD_CTX_free(md);
    if (!sig)
        return NULL;
    /* The Signature element declares ds itself; SignedInfo inside it then
     * canonicalizes as it did standalone. */
    const char *signature = emu_arena_concat(
        a, "<ds:Signature xmlns:ds=\"" NS_DS "\"><ds:SignedInfo",
        signed_info + strlen("<ds:SignedInfo xmlns:ds=\"" NS_DS "\""), "<ds:SignatureValue>",
        b64(a, sig, sig_len), "</ds:SignatureValue></ds:Signature>", NULL);
    const char *xml = emu_arena_concat(a, head, signature, tail, NULL);
    return (char *)b64(a, (const uint8_t *)xml, strlen(xml));
}

char *fed_saml_idp_metadata(const char *issuer, emu_arena *a)
{
    fed_key *k = fed_issuer_key(issuer, false, NULL);
    if (!k)
        return NULL;
    X509 *x = X509_new();
    char *out = NULL;
    unsigned char *der = NULL;
    int der_len = -1;
    if (x && X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
        X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
        X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 86400)) {
        X509_NAME *nm = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"acsemu test IdP",
                                   -1, -1, 0);
        X509_set_issuer_name(x, nm);
        if (X509_set_pubkey(x, fed_key_pkey(k)) && X509_sign(x, fed_key_pkey(k), EVP_sha256()))
            der_len = i2d_X509(x, &der);
    }
    if (der_len > 0)
        out = emu_arena_sprintf(
            a,
            "<md:EntityDescriptor xmlns:md=\"" NS_MD "\" entityID=\"%s\">"
            "<md:IDPSSODescriptor protocolSupportEnumeration=\"" NS_P "\">"
            "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo xmlns:ds=\"" NS_DS "\"><ds:X509Data>"
            "<ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
            "</md:KeyDescriptor></md:IDPSSODescriptor></md:EntityDescriptor>\n",
            esc(a, issuer), b64(a, der, (size_t)der_len));
    OPENSSL_free(der);
    X509_free(x);
    return out;
}
