/* MaxCompute XML (maxcompute-external-table.md §8.5, §8.7): request bodies
 * are parsed with libxml2, never by hand; responses are written with the
 * two escaping helpers below.
 *
 * Parser contract: the whole body in one call (xmlCtxtReadMemory), with
 * XML_PARSE_NONET (no network), without XML_PARSE_NOENT / DTDLOAD (no
 * entity substitution, no external subset), errors kept in the context
 * instead of printed. A document with a DOCTYPE is refused outright: no
 * client sends one, and refusing it removes entity-expansion tricks
 * (billion laughs) from the table. CDATA and text children are
 * concatenated. Element names are matched exactly (the SDKs' spelling);
 * unknown elements are ignored ("parse leniently", §8.5). */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/crypto.h"
#include "odps_int.h"

static xmlNode *child(xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

/* Text and CDATA children, concatenated, in the arena; NULL when absent. */
static const char *text_of(xmlNode *n, emu_arena *a)
{
    if (!n)
        return NULL;
    size_t len = 0;
    for (xmlNode *c = n->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
            len += strlen((const char *)c->content);
    char *out = emu_arena_alloc(a, len + 1);
    size_t k = 0;
    for (xmlNode *c = n->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            size_t l = strlen((const char *)c->content);
            memcpy(out + k, c->content, l);
            k += l;
        }
    out[k] = '\0';
    return out;
}

static emu_rc read_doc(const char *buf, size_t len, xmlParserCtxtPtr *ctx, xmlDocPtr *doc,
                       emu_err *err)
{
    *doc = NULL;
    if (len > EMU_MAX_BODY_BYTES || len > (size_t)INT32_MAX)
        return emu_err_set(err, EMU_E_LIMIT, NULL, "XML body too large");
    *ctx = xmlNewParserCtxt();
    if (!*ctx)
        return emu_err_set(err, EMU_E_INTERNAL, NULL, "libxml2: no parser context");
    *doc = xmlCtxtReadMemory(*ctx, buf, (int)len, NULL, NULL,
                             XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!*doc) {
        const xmlError *e = xmlCtxtGetLastError(*ctx);
        char m[200];
        snprintf(m, sizeof m, "%s", e && e->message ? e->message : "not well-formed");
        size_t l = strlen(m);
        while (l && (m[l - 1] == '\n' || m[l - 1] == ' '))
            m[--l] = '\0';
        return emu_err_set(err, EMU_E_INVALID, NULL, "malformed XML at line %d: %s",
                           e ? e->line : 0, m);
    }
    if ((*doc)->intSubset || (*doc)->extSubset)
        return emu_err_set(err, EMU_E_INVALID, NULL, "XML with a DOCTYPE is not accepted");
    return EMU_OK;
}

static void close_doc(xmlParserCtxtPtr ctx, xmlDocPtr doc)
{
    if (doc)
        xmlFreeDoc(doc);
    if (ctx)
        xmlFreeParserCtxt(ctx);
}

emu_rc odps_xml_parse_job(const char *buf, size_t len, emu_arena *a, odps_job *out, emu_err *err)
{
    xmlParserCtxtPtr ctx = NULL;
    xmlDocPtr doc = NULL;
    emu_rc rc;
    memset(out, 0, sizeof *out);
    out->priority = 9;
    if ((rc = read_doc(buf, len, &ctx, &doc, err)))
        goto out;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root || strcmp((const char *)root->name, "Instance") != 0) {
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "the root element must be Instance");
        goto out;
    }
    xmlNode *job = child(root, "Job");
    xmlNode *tasks = child(job, "Tasks");
    if (!job || !tasks) {
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "Instance/Job/Tasks is missing");
        goto out;
    }
    const char *prio = text_of(child(job, "Priority"), a);
    if (prio && *prio) {
        char *end;
        long v = strtol(prio, &end, 10);
        if (*end || v < 0 || v > 1000) {
            rc = emu_err_set(err, EMU_E_INVALID, NULL, "Job/Priority is not a number");
            goto out;
        }
        out->priority = (int)v;
    }
    xmlNode *task = NULL;
    for (xmlNode *c = tasks->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (task) {
            rc = emu_err_set(err, EMU_E_INVALID, NULL, "acsemu runs one task per instance");
            goto out;
        }
        task = c;
    }
    if (!task) {
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "Job/Tasks holds no task");
        goto out;
    }
    out->task_type = emu_arena_strdup(a, (const char *)task->name);
    out->task_name = text_of(child(task, "Name"), a);
    out->query = text_of(child(task, "Query"), a);
    if (!out->task_name || !*out->task_name) {
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "the task has no Name");
        goto out;
    }
    xmlNode *config = child(task, "Config");
    for (xmlNode *c = config ? config->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "Property") != 0)
            continue;
        const char *name = text_of(child(c, "Name"), a);
        if (name && strcmp(name, "settings") == 0)
            out->settings = text_of(child(c, "Value"), a);
    }
    xmlBufferPtr xb = xmlBufferCreate();
    if (xb && xmlNodeDump(xb, doc, job, 0, 0) >= 0)
        out->job_xml =
            emu_arena_strndup(a, (const char *)xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
    if (xb)
        xmlBufferFree(xb);
    rc = EMU_OK;
out:
    close_doc(ctx, doc);
    return rc;
}

emu_rc odps_xml_parse_auth_query(const char *buf, size_t len, emu_arena *a, const char **query,
                                 bool *json, emu_err *err)
{
    xmlParserCtxtPtr ctx = NULL;
    xmlDocPtr doc = NULL;
    emu_rc rc;
    *query = NULL;
    *json = false;
    if ((rc = read_doc(buf, len, &ctx, &doc, err)))
        goto out;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root || strcmp((const char *)root->name, "Authorization") != 0) {
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "the root element must be Authorization");
        goto out;
    }
    *query = text_of(child(root, "Query"), a);
    if (!*query || !**query) {
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "Authorization/Query is missing");
        goto out;
    }
    const char *j = text_of(child(root, "ResponseInJsonFormat"), a);
    *json = j && strcmp(j, "true") == 0;
    rc = EMU_OK;
out:
    close_doc(ctx, doc);
    return rc;
}

emu_rc odps_xml_parse_result(const char *buf, size_t len, emu_arena *a, odps_xml_result *out,
                             emu_err *err)
{
    xmlParserCtxtPtr ctx = NULL;
    xmlDocPtr doc = NULL;
    emu_rc rc;
    memset(out, 0, sizeof *out);
    if ((rc = read_doc(buf, len, &ctx, &doc, err)))
        goto out;
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *task = child(child(root, "Tasks"), "Task");
    xmlNode *result = child(task, "Result");
    if (!root || strcmp((const char *)root->name, "Instance") != 0 || !result) {
        rc = emu_err_set(err, EMU_E_INVALID, NULL, "no Instance/Tasks/Task/Result");
        goto out;
    }
    out->status = text_of(child(task, "Status"), a);
    out->descriptor = text_of(child(task, "ResultDescriptor"), a);
    xmlChar *fmt = xmlGetProp(result, (const xmlChar *)"Format");
    xmlChar *tr = xmlGetProp(result, (const xmlChar *)"Transform");
    out->format = fmt ? emu_arena_strdup(a, (const char *)fmt) : "text";
    out->text = text_of(result, a);
    if (tr && strcmp((const char *)tr, "Base64") == 0) {
        size_t n = strlen(out->text), got = 0;
        uint8_t *dec = emu_arena_alloc(a, n + 1);
        if (!emu_base64_decode(out->text, n, dec, n, &got))
            rc = emu_err_set(err, EMU_E_INVALID, NULL, "Result is not Base64");
        dec[got] = 0;
        out->text = (const char *)dec;
    }
    xmlFree(fmt);
    xmlFree(tr);
out:
    close_doc(ctx, doc);
    return rc;
}

emu_rc odps_xml_parse_error(const char *buf, size_t len, emu_arena *a, const char **code,
                            const char **message, emu_err *err)
{
    xmlParserCtxtPtr ctx = NULL;
    xmlDocPtr doc = NULL;
    emu_rc rc;
    *code = *message = NULL;
    if ((rc = read_doc(buf, len, &ctx, &doc, err)) == EMU_OK) {
        xmlNode *root = xmlDocGetRootElement(doc);
        if (root && strcmp((const char *)root->name, "Error") == 0) {
            *code = text_of(child(root, "Code"), a);
            *message = text_of(child(root, "Message"), a);
        } else {
            rc = emu_err_set(err, EMU_E_INVALID, NULL, "not an Error document");
        }
    }
    close_doc(ctx, doc);
    return rc;
}

void odps_xml_cdata(emu_buf *b, const char *s, size_t len)
{
    emu_buf_puts(b, "<![CDATA[");
    size_t from = 0;
    for (size_t i = 0; i + 2 < len; i++) {
        if (s[i] == ']' && s[i + 1] == ']' && s[i + 2] == '>') {
            /* "]]>" → "]]" ends a section, ">" starts the next (§8.7). */
            emu_buf_append(b, s + from, i + 2 - from);
            emu_buf_puts(b, "]]><![CDATA[");
            from = i + 2;
        }
    }
    emu_buf_append(b, s + from, len - from);
    emu_buf_puts(b, "]]>");
}
