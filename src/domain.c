/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A libvirt domain, parsed by libxml2. The input is untrusted (a hook reads
 * whatever libvirt hands it, `domain check` whatever a user names): no
 * network, no DTD, no entity of its own (a DOCTYPE stops the parse), at most
 * SEVSLOT_DOMAIN_MAX bytes, and libxml2's default limits on depth and names.
 * libxml2 never prints: its errors are collected into one line.
 *
 * While parsing, the SAX callbacks note where each element's bytes are, so
 * that `apply` can edit the original text: libxml2's serialiser would turn
 * libvirt's single quotes into double ones and re-indent what it touches.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/SAX2.h>

#include "domain.h"

struct parse {
	struct sevslot_domain *d;
	int err;                   /* -ENOMEM, or -EBADMSG once the first error is kept */
	char *why;
	size_t whylen;
};

static void SV_PRINTF(2, 3) parse_fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err != 0)
		return;
	p->err = -EBADMSG;
	va_start(ap, fmt);
	vsnprintf(p->why, p->whylen, fmt, ap);
	va_end(ap);
}

/* libxml2's structured error handler: keep the first error as one line. */
static void on_error(void *data, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = data;
	struct parse *p = ctxt->_private;
	size_t n;

	if (e == NULL || e->level < XML_ERR_ERROR || p->err != 0)
		return;
	n = e->message != NULL ? strlen(e->message) : 0;
	while (n > 0 && (e->message[n - 1] == '\n' || e->message[n - 1] == ' '))
		n--;
	parse_fail(p, "line %d, column %d: %.*s", e->line, e->int2, (int)n,
		   e->message != NULL ? e->message : "malformed");
}

/* A DOCTYPE would bring entities and a DTD: libvirt never writes one, so stop. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *external,
		       const xmlChar *system)
{
	xmlParserCtxtPtr ctxt = ctx;

	(void)name;
	(void)external;
	(void)system;
	parse_fail(ctxt->_private, "line %d: a DOCTYPE is refused (libvirt never writes one): "
		   "remove it", xmlSAX2GetLineNumber(ctx));
	xmlStopParser(ctxt);
}

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
		     int n_ns, const xmlChar **ns, int n_attrs, int n_defaulted,
		     const xmlChar **attrs)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct parse *p = ctxt->_private;
	struct sevslot_domain *d = p->d;
	xmlNode *parent = ctxt->node, *node;
	long at;
	size_t lt;

	xmlSAX2StartElementNs(ctx, local, prefix, uri, n_ns, ns, n_attrs, n_defaulted, attrs);
	node = ctxt->node;
	at = xmlByteConsumed(ctxt);
	if (node == NULL || node == parent || p->err != 0)
		return;
	if (d->n_spans == d->cap_spans) {
		size_t cap = d->cap_spans ? d->cap_spans * 2 : 256;
		struct sv_span *s = realloc(d->spans, cap * sizeof(*s));

		if (s == NULL) {
			p->err = -ENOMEM;
			xmlStopParser(ctxt);
			return;
		}
		d->spans = s;
		d->cap_spans = cap;
	}
	/*
	 * The parser stands on the '>' or "/>" ending the start tag. A start
	 * tag holds no other '<' (attribute values may not), so the last one
	 * before is where it begins.
	 */
	lt = at > 0 && (size_t)at <= d->len ? (size_t)at : 0;
	while (lt > 0 && d->src[lt] != '<')
		lt--;
	d->spans[d->n_spans] = (struct sv_span){ .lt = lt, .gt = at >= 0 ? (size_t)at : 0 };
	node->_private = (void *)(uintptr_t)(++d->n_spans);
}

static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct parse *p = ctxt->_private;
	xmlNode *node = ctxt->node;
	uintptr_t i = node != NULL ? (uintptr_t)node->_private : 0;
	long at = xmlByteConsumed(ctxt);

	if (i > 0 && i <= p->d->n_spans && at >= 0)
		p->d->spans[i - 1].end = (size_t)at;
	xmlSAX2EndElementNs(ctx, local, prefix, uri);
}

/* Every span must frame its element exactly, or apply would cut in the wrong place. */
static bool spans_hold(const struct sevslot_domain *d)
{
	for (size_t i = 0; i < d->n_spans; i++) {
		const struct sv_span *s = &d->spans[i];

		if (!(s->lt < s->gt && s->gt < s->end && s->end <= d->len))
			return false;
		if (d->src[s->lt] != '<' || d->src[s->end - 1] != '>')
			return false;
		if (d->src[s->gt] == '/' ? s->end != s->gt + 2 : d->src[s->gt] != '>')
			return false;
	}
	return true;
}

/* Whether the bytes are UTF-8 (or ASCII): the only text apply edits. */
static bool is_utf8(const xmlDoc *doc, const char *src, size_t len)
{
	const char *enc = (const char *)doc->encoding;

	if (len >= 2 && (((unsigned char)src[0] == 0xfe && (unsigned char)src[1] == 0xff) ||
			 ((unsigned char)src[0] == 0xff && (unsigned char)src[1] == 0xfe) ||
			 src[0] == '\0' || src[1] == '\0'))
		return false;
	return enc == NULL || strcasecmp(enc, "UTF-8") == 0 || strcasecmp(enc, "UTF8") == 0 ||
	       strcasecmp(enc, "US-ASCII") == 0 || strcasecmp(enc, "ASCII") == 0;
}

static char *dup_text(const xmlNode *node)
{
	char buf[256];

	if (node == NULL)
		return NULL;
	sv_xml_text(node, buf, sizeof(buf));
	return strdup(buf);
}

int sv_domain_parse(const char *xml, size_t len, struct sevslot_domain **out, char *why,
		    size_t whylen)
{
	struct sevslot_domain *d;
	struct parse p = { .why = why, .whylen = whylen };
	xmlParserCtxtPtr ctxt = NULL;
	int err = 0;

	*out = NULL;
	why[0] = '\0';
	if (len > SEVSLOT_DOMAIN_MAX) {
		snprintf(why, whylen, "larger than %u bytes", SEVSLOT_DOMAIN_MAX);
		return -EFBIG;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL || (d->src = malloc(len + 1)) == NULL) {
		free(d);
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	memcpy(d->src, xml, len);
	d->src[len] = '\0';
	d->len = len;
	p.d = d;

	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		err = -ENOMEM;
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	ctxt->_private = &p;
	ctxt->sax->startElementNs = on_start;
	ctxt->sax->endElementNs = on_end;
	ctxt->sax->internalSubset = on_doctype;
	ctxt->sax->serror = on_error;
	/*
	 * No network, no entity substitution, no DTD loading or defaulting
	 * (none of NOENT, DTDLOAD, DTDATTR); blanks, comments and CDATA stay.
	 */
	d->doc = xmlCtxtReadMemory(ctxt, d->src, (int)len, "domain.xml", NULL,
				   XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (p.err == -ENOMEM) {
		err = -ENOMEM;
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	if (d->doc == NULL || p.err != 0 || !ctxt->wellFormed) {
		parse_fail(&p, "not well-formed XML");
		err = -EBADMSG;
		goto out;
	}
	d->root = xmlDocGetRootElement(d->doc);
	if (d->root == NULL || d->root->ns != NULL || !sv_xml_is(d->root, "domain")) {
		snprintf(why, whylen, "the root element is <%s>, not a libvirt <domain>",
			 d->root != NULL ? (const char *)d->root->name : "");
		err = -EBADMSG;
		goto out;
	}
	d->editable = is_utf8(d->doc, d->src, len) && spans_hold(d);
	d->name = dup_text(sv_xml_child(d->root, "name"));
	d->uuid = dup_text(sv_xml_child(d->root, "uuid"));
	if ((sv_xml_child(d->root, "name") != NULL && d->name == NULL) ||
	    (sv_xml_child(d->root, "uuid") != NULL && d->uuid == NULL)) {
		err = -ENOMEM;
		snprintf(why, whylen, "out of memory");
	}
out:
	xmlFreeParserCtxt(ctxt);
	if (err < 0) {
		sevslot_domain_free(d);
		return err;
	}
	*out = d;
	return 0;
}

const struct sv_span *sv_domain_span(const struct sevslot_domain *d, const xmlNode *node)
{
	uintptr_t i = (uintptr_t)node->_private;

	return i > 0 && i <= d->n_spans ? &d->spans[i - 1] : NULL;
}

/* ---------------------------------------------------------- tree readers */

bool sv_xml_is(const xmlNode *node, const char *name)
{
	return node != NULL && node->type == XML_ELEMENT_NODE && node->ns == NULL &&
	       strcmp((const char *)node->name, name) == 0;
}

xmlNode *sv_xml_next(const xmlNode *node, const char *name)
{
	for (node = node != NULL ? node->next : NULL; node != NULL; node = node->next)
		if (sv_xml_is(node, name))
			return (xmlNode *)(uintptr_t)node;
	return NULL;
}

xmlNode *sv_xml_child(const xmlNode *node, const char *name)
{
	if (node == NULL || node->children == NULL)
		return NULL;
	if (sv_xml_is(node->children, name))
		return node->children;
	return sv_xml_next(node->children, name);
}

const char *sv_xml_attr(const xmlNode *node, const char *name)
{
	if (node == NULL || node->type != XML_ELEMENT_NODE)
		return NULL;
	for (const xmlAttr *a = node->properties; a != NULL; a = a->next) {
		if (a->ns != NULL || strcmp((const char *)a->name, name) != 0)
			continue;
		/* Without a DTD an attribute's value is one text node (or none: ""). */
		if (a->children == NULL)
			return "";
		return a->children->type == XML_TEXT_NODE && a->children->content != NULL ?
			       (const char *)a->children->content : "";
	}
	return NULL;
}

void sv_xml_text(const xmlNode *node, char *buf, size_t len)
{
	size_t n = 0, start = 0;

	buf[0] = '\0';
	for (const xmlNode *c = node != NULL ? node->children : NULL; c != NULL; c = c->next) {
		const char *t = (const char *)c->content;

		if ((c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) || t == NULL)
			continue;
		for (; *t != '\0' && n + 1 < len; t++)
			buf[n++] = *t;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\n' || buf[n - 1] == '\t' ||
			 buf[n - 1] == '\r'))
		buf[--n] = '\0';
	while (buf[start] == ' ' || buf[start] == '\n' || buf[start] == '\t' || buf[start] == '\r')
		start++;
	memmove(buf, buf + start, n - start + 1);
}

/* -------------------------------------------------------- launchSecurity */

/* A decimal element's value, -1 when absent or not a number. */
static int64_t number(const xmlNode *node)
{
	char buf[32];
	uint64_t v;
	const char *end;

	if (node == NULL)
		return -1;
	sv_xml_text(node, buf, sizeof(buf));
	if (sv_parse_u64(buf, &end, 10, &v) < 0 || *end != '\0' || v > INT32_MAX)
		return -1;
	return (int64_t)v;
}

void sv_domain_launch(const struct sevslot_domain *d, struct sv_launch *l)
{
	static const char *const other[] = { "s390-pv", "tdx" };
	char buf[32];
	const char *end;

	memset(l, 0, sizeof(*l));
	l->cbitpos_value = l->reduced_value = -1;
	l->node = sv_xml_child(d->root, "launchSecurity");
	if (l->node == NULL)
		return;
	l->type = sv_xml_attr(l->node, "type");
	if (l->type == NULL)
		l->type = "";
	if (strcmp(l->type, "sev") == 0)
		l->kind = SV_LAUNCH_SEV;
	else if (strcmp(l->type, "sev-snp") == 0)
		l->kind = SV_LAUNCH_SNP;
	else
		l->kind = SV_LAUNCH_UNKNOWN;
	for (size_t i = 0; i < ARRAY_SIZE(other); i++)
		if (strcmp(l->type, other[i]) == 0)
			l->kind = SV_LAUNCH_OTHER;
	if (l->kind != SV_LAUNCH_SEV && l->kind != SV_LAUNCH_SNP)
		return;
	l->cbitpos = sv_xml_child(l->node, "cbitpos");
	l->reduced = sv_xml_child(l->node, "reducedPhysBits");
	l->policy = sv_xml_child(l->node, "policy");
	l->cbitpos_value = number(l->cbitpos);
	l->reduced_value = number(l->reduced);
	if (l->policy != NULL) {
		/* libvirt reads the policy as hexadecimal, with or without 0x. */
		sv_xml_text(l->policy, buf, sizeof(buf));
		l->policy_ok = sv_parse_u64(buf, &end, 16, &l->policy_value) == 0 && *end == '\0' &&
			       (l->kind == SV_LAUNCH_SNP || l->policy_value <= UINT32_MAX);
	}
}

#define POLICY_SEV_ES (1ull << 2)    /* SEV policy bit 2: SEV-ES */
#define POLICY_SNP_RSVD (1ull << 17) /* SNP policy bit 17: must be one */

bool sv_policy_fits(enum sevslot_model model, uint64_t policy)
{
	switch (model) {
	case SEVSLOT_MODEL_SEV:
		return policy <= UINT32_MAX && !(policy & POLICY_SEV_ES);
	case SEVSLOT_MODEL_SEV_ES:
		return policy <= UINT32_MAX && (policy & POLICY_SEV_ES);
	case SEVSLOT_MODEL_SEV_SNP:
		return (policy & POLICY_SNP_RSVD) != 0;
	default:
		return false;
	}
}

int sv_launch_model(const struct sv_launch *l, enum sevslot_model *out, char *why, size_t whylen)
{
	switch (l->kind) {
	case SV_LAUNCH_NONE:
		snprintf(why, whylen, "no <launchSecurity>: not an SEV guest");
		return -ENOENT;
	case SV_LAUNCH_OTHER:
		snprintf(why, whylen, "<launchSecurity type='%s'> is not AMD SEV", l->type);
		return -ENOENT;
	case SV_LAUNCH_UNKNOWN:
		snprintf(why, whylen, "<launchSecurity type='%.40s'>: unknown type (sevslot knows "
			 "'sev' and 'sev-snp')", l->type);
		return -EINVAL;
	case SV_LAUNCH_SNP:
		*out = SEVSLOT_MODEL_SEV_SNP;
		return 0;
	case SV_LAUNCH_SEV:
		break;
	}
	if (l->policy != NULL && !l->policy_ok) {
		snprintf(why, whylen, "<launchSecurity> <policy> is not a 32-bit hexadecimal number");
		return -EINVAL;
	}
	/* No <policy>: libvirt's default has no SEV-ES bit. */
	*out = l->policy_ok && (l->policy_value & POLICY_SEV_ES) ? SEVSLOT_MODEL_SEV_ES :
								   SEVSLOT_MODEL_SEV;
	return 0;
}

/* ------------------------------------------------------------------- ABI */

SEVSLOT_EXPORT int sevslot_domain_parse(struct sevslot_ctx *ctx, const char *xml, size_t len,
					struct sevslot_domain **out)
{
	char why[384];
	int err;

	ctx->errmsg[0] = '\0';
	err = sv_domain_parse(xml, len, out, why, sizeof(why));
	if (err < 0)
		return sv_fail(ctx, err, "domain XML: %s", why);
	return 0;
}

SEVSLOT_EXPORT void sevslot_domain_free(struct sevslot_domain *d)
{
	if (d == NULL)
		return;
	xmlFreeDoc(d->doc);
	free(d->spans);
	free(d->src);
	free(d->name);
	free(d->uuid);
	free(d);
}

SEVSLOT_EXPORT const char *sevslot_domain_name(const struct sevslot_domain *d)
{
	return d->name;
}

SEVSLOT_EXPORT const char *sevslot_domain_uuid(const struct sevslot_domain *d)
{
	return d->uuid;
}

SEVSLOT_EXPORT int sevslot_domain_model(struct sevslot_ctx *ctx, const struct sevslot_domain *d,
					enum sevslot_model *out)
{
	struct sv_launch l;
	char why[192];
	int err;

	ctx->errmsg[0] = '\0';
	sv_domain_launch(d, &l);
	err = sv_launch_model(&l, out, why, sizeof(why));
	if (err < 0)
		return sv_fail(ctx, err, "%s", why);
	return 0;
}
