/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `domain apply`: the same document made an SEV guest of this host, by
 * editing its bytes where libxml2 found the elements. Everything not edited
 * is copied as it was (quotes, indentation, comments, CDATA, foreign
 * metadata such as nova's <nova:instance>); what is added follows the
 * document's own quote character, newline and indentation. A document that
 * already is what apply would make gets no edit, so applying twice gives the
 * same bytes. The result is parsed and judged again before it is returned.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"

struct edit {
	size_t at, end;            /* replace src[at, end) (at == end: insert) */
	unsigned seq;              /* order among edits at one place */
	char *text;
};

struct editor {
	const struct sevslot_domain *d;
	struct edit *e;
	size_t n, cap;
	int err;
	char q;                    /* the document's attribute quote */
	const char *nl;            /* its newline, "" when it is written on one line */
	char unit[32];             /* one level of its indentation */
};

static void SV_PRINTF(4, 5) edit(struct editor *ed, size_t at, size_t end, const char *fmt, ...)
{
	va_list ap;
	char *text;

	if (ed->err < 0)
		return;
	if (ed->n == ed->cap) {
		size_t cap = ed->cap ? ed->cap * 2 : 16;
		struct edit *e = realloc(ed->e, cap * sizeof(*e));

		if (e == NULL) {
			ed->err = -ENOMEM;
			return;
		}
		ed->e = e;
		ed->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0) {
		ed->err = -ENOMEM;
		va_end(ap);
		return;
	}
	va_end(ap);
	ed->e[ed->n] = (struct edit){ .at = at, .end = end, .seq = (unsigned)ed->n, .text = text };
	ed->n++;
}

/* ----------------------------------------------------------------- style */

/* Whitespace holding a newline before `node`: the indentation after it, else NULL. */
static const char *indent_before(const xmlNode *node, size_t *len)
{
	const xmlNode *t = node->prev;
	const char *s, *nl;

	*len = 0;
	if (t == NULL || t->type != XML_TEXT_NODE || t->content == NULL)
		return NULL;
	s = (const char *)t->content;
	if (s[strspn(s, " \t\r\n")] != '\0' || (nl = strrchr(s, '\n')) == NULL)
		return NULL;
	*len = strlen(nl + 1);
	return nl + 1;
}

static xmlNode *first_element(const xmlNode *node)
{
	for (xmlNode *c = node->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return c;
	return NULL;
}

static xmlNode *last_element(const xmlNode *node)
{
	for (xmlNode *c = node->last; c != NULL; c = c->prev)
		if (c->type == XML_ELEMENT_NODE)
			return c;
	return NULL;
}

/* The indentation of `node` itself ("" for the root, or for a node not on a line of its own). */
static void indent_of(const xmlNode *node, char *buf, size_t len)
{
	size_t n;
	const char *s = node->parent != NULL && node->parent->type == XML_ELEMENT_NODE ?
				indent_before(node, &n) : NULL;

	snprintf(buf, len, "%.*s", s != NULL ? (int)n : 0, s != NULL ? s : "");
}

/*
 * What goes before a new first child of `node`: a line break and its
 * children's indentation when they stand on lines of their own, nothing
 * when they are written inline, and one level deeper than `node` when it
 * has no child element yet (nothing in a document on one line).
 */
static void child_prefix(const struct editor *ed, const xmlNode *node, char *buf, size_t len)
{
	xmlNode *c = first_element(node);
	const char *s;
	size_t n;
	char own[128];

	if (ed->nl[0] == '\0') {
		buf[0] = '\0';
		return;
	}
	if (c != NULL) {
		s = indent_before(c, &n);
		snprintf(buf, len, "%s%.*s", s != NULL ? ed->nl : "", s != NULL ? (int)n : 0,
			 s != NULL ? s : "");
		return;
	}
	indent_of(node, own, sizeof(own));
	snprintf(buf, len, "%s%s%s", ed->nl, own, ed->unit);
}

/* The quote, newline and indentation the document uses, from <domain> and its first child. */
static void learn_style(struct editor *ed)
{
	const struct sevslot_domain *d = ed->d;
	xmlNode *first = first_element(d->root);
	const struct sv_span *rs, *fs;
	const char *s;
	size_t n;

	ed->q = '\'';
	for (size_t i = 0; i < d->n_spans; i++) {
		const char *eq = memchr(d->src + d->spans[i].lt, '=', d->spans[i].gt - d->spans[i].lt);

		if (eq == NULL)
			continue;
		for (eq++; *eq == ' ' || *eq == '\t' || *eq == '\n' || *eq == '\r'; eq++)
			;
		if (*eq == '"' || *eq == '\'')
			ed->q = *eq;
		break;
	}
	ed->nl = "";
	ed->unit[0] = '\0';
	if (first == NULL || (s = indent_before(first, &n)) == NULL)
		return;
	/* The parser turned "\r\n" into "\n" in the tree: the bytes say which it was. */
	ed->nl = "\n";
	if ((rs = sv_domain_span(d, d->root)) != NULL && (fs = sv_domain_span(d, first)) != NULL &&
	    fs->lt > rs->gt && memmem(d->src + rs->gt, fs->lt - rs->gt, "\r\n", 2) != NULL)
		ed->nl = "\r\n";
	snprintf(ed->unit, sizeof(ed->unit), "%.*s", (int)(n < sizeof(ed->unit) ? n : 0), s);
}

/* ------------------------------------------------------------- helpers */

static const struct sv_span *span(struct editor *ed, const xmlNode *node)
{
	const struct sv_span *s = sv_domain_span(ed->d, node);

	if (s == NULL && ed->err == 0)
		ed->err = -EPROTO;
	return s;
}

static bool is_empty_tag(const struct editor *ed, const struct sv_span *s)
{
	return ed->d->src[s->gt] == '/';
}

/* Make `node` hold exactly `text` (a number: nothing to escape). */
static void set_text(struct editor *ed, const xmlNode *node, const char *text)
{
	const struct sv_span *s = span(ed, node);
	size_t close;

	if (s == NULL)
		return;
	if (is_empty_tag(ed, s)) {
		edit(ed, s->gt, s->end, ">%s</%s>", text, (const char *)node->name);
		return;
	}
	for (close = s->end - 1; close > s->gt && ed->d->src[close] != '<'; close--)
		;
	edit(ed, s->gt + 1, close, "%s", text);
}

/*
 * Add `child` (an element's text, on one line) as the first child of
 * `node`, as its other children are written: on a line of its own or inline.
 */
static void add_child(struct editor *ed, const xmlNode *node, const char *child)
{
	const struct sv_span *s = span(ed, node);
	char own[128], before[192];

	if (s == NULL)
		return;
	indent_of(node, own, sizeof(own));
	child_prefix(ed, node, before, sizeof(before));
	if (is_empty_tag(ed, s))
		edit(ed, s->gt, s->end, ">%s%s%s%s</%s>", before, child,
		     ed->nl[0] != '\0' ? ed->nl : "", ed->nl[0] != '\0' ? own : "",
		     (const char *)node->name);
	else
		edit(ed, s->gt + 1, s->gt + 1, "%s%s", before, child);
}

/* Add `text` after `node`, as its next sibling at its indentation. */
static void add_after(struct editor *ed, const xmlNode *node, const char *text)
{
	const struct sv_span *s = span(ed, node);
	char own[128];

	if (s == NULL)
		return;
	indent_of(node, own, sizeof(own));
	edit(ed, s->end, s->end, "%s%s%s", ed->nl, own, text);
}

/* ------------------------------------------------------- launchSecurity */

static void format_policy(char *buf, size_t len, enum sevslot_model m, uint64_t policy)
{
	snprintf(buf, len, m == SEVSLOT_MODEL_SEV_SNP ? "0x%08llx" : "0x%04llx",
		 (unsigned long long)policy);
}

/* The whole element, its lines indented from `own`. */
static char *launch_element(struct editor *ed, const char *own, enum sevslot_model m,
			    unsigned cbitpos, const char *policy)
{
	const char *nl = ed->nl, *u = ed->nl[0] != '\0' ? ed->unit : "";
	char *out;

	if (asprintf(&out, "<launchSecurity type=%c%s%c>%s%s%s<cbitpos>%u</cbitpos>%s%s%s"
		     "<reducedPhysBits>1</reducedPhysBits>%s%s%s<policy>%s</policy>%s%s"
		     "</launchSecurity>", ed->q, m == SEVSLOT_MODEL_SEV_SNP ? "sev-snp" : "sev",
		     ed->q, nl, own, u, cbitpos, nl, own, u, nl, own, u, policy, nl, own) < 0) {
		ed->err = -ENOMEM;
		return NULL;
	}
	return out;
}

static void fix_launch(struct editor *ed, const struct sv_launch *l, enum sevslot_model m,
		       unsigned cbitpos)
{
	const struct sevslot_domain *d = ed->d;
	bool snp = m == SEVSLOT_MODEL_SEV_SNP;
	char policy[32], own[128], before[192], num[16], lines[3][256], *el;
	const struct sv_span *s;

	format_policy(policy, sizeof(policy), m,
		      l->policy_ok && sv_policy_fits(m, l->policy_value) ? l->policy_value :
									  sevslot_default_policy(m));
	if (l->kind == SV_LAUNCH_NONE) {
		xmlNode *last = last_element(d->root);

		indent_of(last != NULL ? last : d->root, own, sizeof(own));
		if ((el = launch_element(ed, own, m, cbitpos, policy)) == NULL)
			return;
		if (last != NULL)
			add_after(ed, last, el);
		else
			add_child(ed, d->root, el);
		free(el);
		return;
	}
	if ((s = span(ed, l->node)) == NULL)
		return;
	/* Another type, or an empty element: the element is written anew, in place. */
	if ((l->kind == SV_LAUNCH_SNP) != snp || is_empty_tag(ed, s)) {
		indent_of(l->node, own, sizeof(own));
		if ((el = launch_element(ed, own, m, cbitpos, policy)) == NULL)
			return;
		edit(ed, s->lt, s->end, "%s", el);
		free(el);
		return;
	}
	/* The same type: mend the values, keep everything else (dhCert, session, ...). */
	snprintf(num, sizeof(num), "%u", cbitpos);
	child_prefix(ed, l->node, before, sizeof(before));
	if (l->cbitpos != NULL && l->cbitpos_value != (int64_t)cbitpos)
		set_text(ed, l->cbitpos, num);
	if (l->reduced != NULL && l->reduced_value != 1)
		set_text(ed, l->reduced, "1");
	if (l->policy != NULL && !(l->policy_ok && sv_policy_fits(m, l->policy_value)))
		set_text(ed, l->policy, policy);
	/* Children it lacks go first, in libvirt's order, one line each. */
	snprintf(lines[0], sizeof(lines[0]), "%s<cbitpos>%s</cbitpos>", before, num);
	snprintf(lines[1], sizeof(lines[1]), "%s<reducedPhysBits>1</reducedPhysBits>", before);
	snprintf(lines[2], sizeof(lines[2]), "%s<policy>%s</policy>", before, policy);
	if (l->cbitpos == NULL || l->reduced == NULL || l->policy == NULL)
		edit(ed, s->gt + 1, s->gt + 1, "%s%s%s", l->cbitpos == NULL ? lines[0] : "",
		     l->reduced == NULL ? lines[1] : "", l->policy == NULL ? lines[2] : "");
}

/* ---------------------------------------------------- memory and iommu */

static void fix_locked(struct editor *ed)
{
	const struct sevslot_domain *d = ed->d;
	xmlNode *mb = sv_xml_child(d->root, "memoryBacking"), *anchor = NULL;
	static const char *const after[] = { "memory", "currentMemory", "maxMemory" };
	char own[128], in[160], *block;

	if (sv_xml_child(mb, "locked") != NULL)
		return;
	if (mb != NULL) {
		add_child(ed, mb, "<locked/>");
		return;
	}
	/* Where libvirt writes it: after the memory sizes. */
	for (size_t i = 0; i < ARRAY_SIZE(after); i++) {
		xmlNode *n = sv_xml_child(d->root, after[i]);
		const struct sv_span *s = n != NULL ? sv_domain_span(d, n) : NULL;
		const struct sv_span *a = anchor != NULL ? sv_domain_span(d, anchor) : NULL;

		if (s != NULL && (a == NULL || s->end > a->end))
			anchor = n;
	}
	if (anchor == NULL && (anchor = last_element(d->root)) == NULL) {
		add_child(ed, d->root, "<memoryBacking><locked/></memoryBacking>");
		return;
	}
	indent_of(anchor, own, sizeof(own));
	snprintf(in, sizeof(in), "%s%s", own, ed->nl[0] != '\0' ? ed->unit : "");
	if (asprintf(&block, "<memoryBacking>%s%s<locked/>%s%s</memoryBacking>", ed->nl, in, ed->nl,
		     own) < 0) {
		ed->err = -ENOMEM;
		return;
	}
	add_after(ed, anchor, block);
	free(block);
}

/* An attribute value between the document's quotes. */
static void put_escaped(FILE *f, const char *v, char q)
{
	for (; *v != '\0'; v++) {
		switch (*v) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '\n': fputs("&#10;", f); break;
		case '\r': fputs("&#13;", f); break;
		case '\t': fputs("&#9;", f); break;
		default:
			if (*v == q)
				fputs(q == '"' ? "&quot;" : "&apos;", f);
			else
				fputc(*v, f);
		}
	}
}

/* <driver ... iommu='off'>: its start tag written again with iommu on. */
static void rewrite_driver(struct editor *ed, const xmlNode *drv, const struct sv_span *s)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL) {
		ed->err = -ENOMEM;
		return;
	}
	fprintf(f, "<%s", (const char *)drv->name);
	for (const xmlNs *ns = drv->nsDef; ns != NULL; ns = ns->next) {
		fprintf(f, " xmlns%s%s=%c", ns->prefix != NULL ? ":" : "",
			ns->prefix != NULL ? (const char *)ns->prefix : "", ed->q);
		put_escaped(f, ns->href != NULL ? (const char *)ns->href : "", ed->q);
		fputc(ed->q, f);
	}
	for (const xmlAttr *a = drv->properties; a != NULL; a = a->next) {
		bool iommu = a->ns == NULL && strcmp((const char *)a->name, "iommu") == 0;
		const char *v = iommu ? "on" :
				a->children != NULL && a->children->content != NULL ?
				(const char *)a->children->content : "";

		fprintf(f, " %s%s%s=%c", a->ns != NULL && a->ns->prefix != NULL ?
					      (const char *)a->ns->prefix : "",
			a->ns != NULL && a->ns->prefix != NULL ? ":" : "", (const char *)a->name,
			ed->q);
		put_escaped(f, v, ed->q);
		fputc(ed->q, f);
	}
	if (sv_memstream_close(f, &text) < 0) {
		ed->err = -ENOMEM;
		return;
	}
	edit(ed, s->lt, s->gt, "%s", text);
	free(text);
}

static void fix_iommu(struct editor *ed, const xmlNode *dev)
{
	const char *src = ed->d->src;
	xmlNode *drv = sv_xml_child(dev, "driver");
	const struct sv_span *s;
	char child[32];

	if (drv == NULL) {
		snprintf(child, sizeof(child), "<driver iommu=%con%c/>", ed->q, ed->q);
		add_child(ed, dev, child);
		return;
	}
	if ((s = span(ed, drv)) == NULL)
		return;
	if (sv_xml_attr(drv, "iommu") != NULL) {
		rewrite_driver(ed, drv, s);
		return;
	}
	if (src[s->gt - 1] == ' ' || src[s->gt - 1] == '\t' || src[s->gt - 1] == '\n')
		edit(ed, s->gt, s->gt, "iommu=%con%c ", ed->q, ed->q);
	else
		edit(ed, s->gt, s->gt, " iommu=%con%c", ed->q, ed->q);
}

/* The virtio-serial controller libvirt would add for a virtio channel, with iommu on. */
static void add_virtio_serial(struct editor *ed, const xmlNode *devices)
{
	xmlNode *after = NULL;
	char own[128], in[160], *text;

	for (xmlNode *c = devices->children; c != NULL; c = c->next)
		if (sv_xml_is(c, "controller"))
			after = c;
	if (after == NULL)
		after = last_element(devices);
	if (after != NULL) {
		indent_of(after, own, sizeof(own));
	} else {
		indent_of(devices, own, sizeof(own));
		snprintf(own + strlen(own), sizeof(own) - strlen(own), "%s",
			 ed->nl[0] != '\0' ? ed->unit : "");
	}
	snprintf(in, sizeof(in), "%s%s", own, ed->nl[0] != '\0' ? ed->unit : "");
	if (asprintf(&text, "<controller type=%cvirtio-serial%c index=%c0%c>%s%s<driver iommu=%con%c/>%s%s"
		     "</controller>", ed->q, ed->q, ed->q, ed->q, ed->nl, in, ed->q, ed->q, ed->nl,
		     own) < 0) {
		ed->err = -ENOMEM;
		return;
	}
	if (after != NULL)
		add_after(ed, after, text);
	else
		add_child(ed, devices, text);
	free(text);
}

/* ---------------------------------------------------------- composing */

static int by_place(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int compose(struct editor *ed, char **out, size_t *len)
{
	const struct sevslot_domain *d = ed->d;
	size_t size = d->len + 1, pos = 0, o = 0;
	char *buf;

	if (ed->n > 0)
		qsort(ed->e, ed->n, sizeof(*ed->e), by_place);
	for (size_t i = 0; i < ed->n; i++) {
		if (ed->e[i].at > ed->e[i].end || ed->e[i].end > d->len ||
		    (i > 0 && ed->e[i].at < ed->e[i - 1].end))
			return -EPROTO;
		size += strlen(ed->e[i].text);
	}
	if ((buf = malloc(size)) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < ed->n; i++) {
		size_t t = strlen(ed->e[i].text);

		memcpy(buf + o, d->src + pos, ed->e[i].at - pos);
		o += ed->e[i].at - pos;
		memcpy(buf + o, ed->e[i].text, t);
		o += t;
		pos = ed->e[i].end;
	}
	memcpy(buf + o, d->src + pos, d->len - pos);
	o += d->len - pos;
	buf[o] = '\0';
	*out = buf;
	*len = o;
	return 0;
}

/* The result must parse and leave nothing apply should have fixed. */
static int verify(const char *text, size_t len, const struct sevslot_host *host,
		  enum sevslot_model m, char *why, size_t whylen)
{
	struct sevslot_domain *d;
	struct sevslot_domain_report *r;
	int err;

	if ((err = sv_domain_parse(text, len, &d, why, whylen)) < 0)
		return err == -ENOMEM ? err : -EPROTO;
	err = sv_domain_judge(d, host, (int)m, &r, why, whylen);
	sevslot_domain_free(d);
	if (err < 0)
		return err == -ENOMEM ? err : -EPROTO;
	for (size_t i = 0; i < r->n_findings && err == 0; i++) {
		const struct sevslot_domain_finding *f = &r->findings[i];

		if (sv_rule_is_fixable(f->rule) &&
		    (f->severity == SEVSLOT_SEVERITY_ERROR || strcmp(f->rule, "virtio.iommu") == 0)) {
			snprintf(why, whylen, "%s %s: %s", f->element, f->target, f->message);
			err = -EPROTO;
		}
	}
	sevslot_domain_report_free(r);
	return err;
}

/* What apply must not change by itself: the first such error, as the reason. */
static int refusals(const struct sevslot_domain *d, const struct sevslot_host *host,
		    enum sevslot_model m, char *why, size_t whylen)
{
	struct sevslot_domain_report *r;
	int err = sv_domain_judge(d, host, (int)m, &r, why, whylen);

	if (err < 0)
		return err;
	for (size_t i = 0; i < r->n_findings && err == 0; i++) {
		const struct sevslot_domain_finding *f = &r->findings[i];

		if (f->severity != SEVSLOT_SEVERITY_ERROR || sv_rule_is_fixable(f->rule) ||
		    strcmp(f->rule, "host.model") == 0 || strcmp(f->rule, "firmware.descriptor") == 0)
			continue;
		snprintf(why, whylen, "%s%s%s: %s (%s); apply does not change this by itself: %s",
			 f->element, f->target[0] != '\0' ? " " : "", f->target, f->message, f->rule,
			 f->fix);
		err = -EINVAL;
	}
	sevslot_domain_report_free(r);
	return err;
}

int sv_domain_edit(const struct sevslot_domain *d, const struct sevslot_host *host,
		   enum sevslot_model m, char **out, size_t *len, char *why, size_t whylen)
{
	struct editor ed = { .d = d };
	struct sv_launch l;
	const xmlNode *devices;
	int err;

	*out = NULL;
	*len = 0;
	why[0] = '\0';
	if ((unsigned)m >= SEVSLOT_MODEL_COUNT) {
		snprintf(why, whylen, "unknown model %d", (int)m);
		return -EINVAL;
	}
	if (!host->models[m].usable) {
		snprintf(why, whylen, "this host cannot run %s guests (see 'sevslot probe')",
			 sevslot_model_name(m));
		return -ENODEV;
	}
	if (!d->editable) {
		snprintf(why, whylen, "apply edits UTF-8 documents only (libvirt writes UTF-8)");
		return -ENOTSUP;
	}
	sv_domain_launch(d, &l);
	if (l.kind == SV_LAUNCH_OTHER || l.kind == SV_LAUNCH_UNKNOWN) {
		snprintf(why, whylen, "<launchSecurity type='%.40s'> is not AMD SEV: apply does not "
			 "replace it by itself; remove it first", l.type);
		return -EINVAL;
	}
	if ((err = refusals(d, host, m, why, whylen)) < 0)
		return err;

	learn_style(&ed);
	fix_launch(&ed, &l, m, host->cpu.cbitpos);
	if (m != SEVSLOT_MODEL_SEV_SNP)
		fix_locked(&ed);
	devices = sv_xml_child(d->root, "devices");
	for (const xmlNode *dev = devices != NULL ? devices->children : NULL; dev != NULL;
	     dev = dev->next)
		if (sv_virtio_kind_of(dev) != NULL && !sv_virtio_has_iommu(dev))
			fix_iommu(&ed, dev);
	if (sv_virtio_serial_implied(devices) != NULL)
		add_virtio_serial(&ed, devices);
	err = ed.err;
	if (err == 0)
		err = compose(&ed, out, len);
	for (size_t i = 0; i < ed.n; i++)
		free(ed.e[i].text);
	free(ed.e);
	if (err == 0 && (err = verify(*out, *len, host, m, why, whylen)) == -EPROTO) {
		char detail[256];

		snprintf(detail, sizeof(detail), "%s", why);
		snprintf(why, whylen, "internal error: the edited domain still fails (%s); "
			 "please report it with the input", detail);
	}
	if (err < 0) {
		if (err == -ENOMEM)
			snprintf(why, whylen, "out of memory");
		else if (why[0] == '\0')
			snprintf(why, whylen, "internal error: overlapping edits; please report it");
		free(*out);
		*out = NULL;
		*len = 0;
	}
	return err;
}

/* ------------------------------------------------------------------- ABI */

SEVSLOT_EXPORT int sevslot_domain_apply(struct sevslot_ctx *ctx, const struct sevslot_domain *d,
					const struct sevslot_host *host, enum sevslot_model model,
					char **out, size_t *len)
{
	char why[512];
	int err;

	ctx->errmsg[0] = '\0';
	err = sv_domain_edit(d, host, model, out, len, why, sizeof(why));
	if (err < 0)
		return sv_fail(ctx, err, "%s", why);
	return 0;
}
