/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A libvirt domain as an SEV guest (policy layer): the document libxml2
 * parsed, with the byte span of every element so that `apply` can edit the
 * original bytes instead of re-serialising them (domain.c); the
 * specification's rules over it (domain_rules.c); and the edits that make it
 * an SEV guest of this host (domain_apply.c). Each step is a pure function
 * over bytes and a host, for tests and fuzzing. Nothing here is ABI.
 */
#ifndef SEVSLOT_DOMAIN_H
#define SEVSLOT_DOMAIN_H

#include <libxml/tree.h>

#include "probe.h"

/* Where an element's bytes are: src[lt] is '<', src[gt] the '>' or '/' that ends its start tag. */
struct sv_span {
	size_t lt, gt;
	size_t end;                /* one past the '>' that ends the element */
};

struct sevslot_domain {
	xmlDoc *doc;
	xmlNode *root;             /* <domain> */
	char *src;                 /* a copy of the bytes parsed, NUL-terminated */
	size_t len;
	struct sv_span *spans;     /* element->_private holds its index + 1 */
	size_t n_spans, cap_spans;
	bool editable;             /* UTF-8, and every span checked against the bytes */
	char *name, *uuid;         /* text of <name> and <uuid>, or NULL */
};

/* domain.c */

/*
 * Parse `len` bytes: 0, or -EBADMSG (not well-formed, a DOCTYPE, not a
 * <domain>), -EFBIG (over SEVSLOT_DOMAIN_MAX) or -ENOMEM, the reason in `why`.
 */
int sv_domain_parse(const char *xml, size_t len, struct sevslot_domain **out, char *why,
		    size_t whylen) SV_NONNULL(1, 3, 4) SV_MUST_CHECK;
/* The span of an element of the document, or NULL. */
const struct sv_span *sv_domain_span(const struct sevslot_domain *d, const xmlNode *node)
	SV_NONNULL(1, 2);

/* Small readers over the tree, for elements and attributes in no namespace. */
bool sv_xml_is(const xmlNode *node, const char *name);
xmlNode *sv_xml_child(const xmlNode *node, const char *name);
xmlNode *sv_xml_next(const xmlNode *node, const char *name); /* the next sibling so named */
const char *sv_xml_attr(const xmlNode *node, const char *name); /* NULL when absent */
/* The element's own text (text and CDATA children), blanks trimmed, cut at `len`. */
void sv_xml_text(const xmlNode *node, char *buf, size_t len);

/* What <launchSecurity> says. */
enum sv_launch_kind {
	SV_LAUNCH_NONE,            /* no <launchSecurity> */
	SV_LAUNCH_SEV,             /* type='sev' */
	SV_LAUNCH_SNP,             /* type='sev-snp' */
	SV_LAUNCH_OTHER,           /* a technology that is not AMD SEV: s390-pv, tdx */
	SV_LAUNCH_UNKNOWN,         /* a type sevslot does not know */
};

struct sv_launch {
	enum sv_launch_kind kind;
	xmlNode *node;
	const char *type;
	xmlNode *cbitpos, *reduced, *policy; /* the children, or NULL */
	int64_t cbitpos_value;     /* -1 absent or not a number */
	int64_t reduced_value;
	bool policy_ok;            /* <policy> holds a hexadecimal number (libvirt reads hex) */
	uint64_t policy_value;
};

void sv_domain_launch(const struct sevslot_domain *d, struct sv_launch *out) SV_NONNULL(1, 2);
/* The model a launch asks for: 0, or -ENOENT (not SEV), -EINVAL (unknown type, bad policy). */
int sv_launch_model(const struct sv_launch *l, enum sevslot_model *out, char *why, size_t whylen)
	SV_NONNULL(1, 2, 3);
/* Whether `policy` fits `model`: SEV-ES needs bit 2, SEV must not set it, SEV-SNP needs bit 17. */
bool sv_policy_fits(enum sevslot_model model, uint64_t policy);

/* domain_rules.c */

/*
 * Judge the domain as a guest of `model` (-1: the one <launchSecurity>
 * names) on `host`: 0 with *out, -EINVAL (unreadable <launchSecurity>) or
 * -ENOMEM with the reason in `why`.
 */
int sv_domain_judge(const struct sevslot_domain *d, const struct sevslot_host *host, int model,
		    struct sevslot_domain_report **out, char *why, size_t whylen)
	SV_NONNULL(1, 2, 4, 5) SV_MUST_CHECK;

/*
 * The virtio devices the iommu rule covers, one row each (domain_rules.c):
 * every device of <devices> is matched against this table, by `apply` too.
 */
struct sv_virtio_kind {
	const char *element;       /* a child of <devices> */
	const char *type;          /* only when @type is this (controllers), or NULL */
	const char *model_child;   /* the element that names the model, NULL: the device */
	const char *model_attr;    /* the attribute naming it, NULL: always virtio */
	const char *const *models; /* the values that mean virtio */
	const char *target_child;  /* what names the device for an operator, NULL: the device */
	const char *target_attr;   /* ... its attribute, NULL: its text */
	const char *what;          /* "virtio disk", for messages */
};

/* The row a device matches, or NULL when it is not a virtio device. */
const struct sv_virtio_kind *sv_virtio_kind_of(const xmlNode *device);
/* Whether the device has <driver iommu='on'/>. */
bool sv_virtio_has_iommu(const xmlNode *device);
/*
 * A virtio channel or console when <devices> has no virtio-serial controller
 * for it to ride: libvirt then adds one, without iommu. NULL otherwise.
 */
const xmlNode *sv_virtio_serial_implied(const xmlNode *devices);
/* The rules `apply` fixes; it refuses to start while any other error stands. */
bool sv_rule_is_fixable(const char *rule);

/* domain_apply.c */

/*
 * The document made an SEV guest of `model` on `host`: 0 with *out (len
 * bytes, NUL-terminated), or -EINVAL, -ENODEV, -ENOTSUP, -ENOMEM, -EPROTO,
 * the reason in `why`.
 */
int sv_domain_edit(const struct sevslot_domain *d, const struct sevslot_host *host,
		   enum sevslot_model model, char **out, size_t *len, char *why, size_t whylen)
	SV_NONNULL(1, 2, 4, 5, 6) SV_MUST_CHECK;

#endif
