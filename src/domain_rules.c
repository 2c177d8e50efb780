/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The specification's rules for an SEV guest, over a parsed libvirt domain
 * and this host (FACTS.md, "Guest settings" and "The guest and its stack"):
 * q35, UEFI, <launchSecurity> for this host's C-bit with reducedPhysBits 1
 * and a policy that fits the model, iommu='on' on every virtio device,
 * locked memory for SEV and SEV-ES, no host device, no IDE, and a warning
 * for a virtio-blk boot disk. Each finding has a stable rule id and names
 * the element (and its target) so that an operator can find it.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"

static const char *const virtio_models[] = { "virtio", "virtio-transitional",
					     "virtio-non-transitional", NULL };
static const char *const virtio_scsi_models[] = { "virtio-scsi", "virtio-transitional",
						  "virtio-non-transitional", NULL };
static const char *const virtio_bus[] = { "virtio", NULL };

/*
 * The virtio devices, as libvirt's domain format spells them: each takes
 * <driver iommu='on'/>. A SCSI controller without a model is left out:
 * libvirt picks its model from what QEMU offers (lsilogic on x86 when QEMU
 * has it), and the defined domain names it. Filesystems and vsock are
 * always virtio under QEMU (9p or virtiofs; vhost-vsock).
 */
static const struct sv_virtio_kind virtio_kinds[] = {
	{ "disk", NULL, "target", "bus", virtio_bus, "target", "dev", "virtio disk" },
	{ "controller", "scsi", NULL, "model", virtio_scsi_models, NULL, "index",
	  "virtio-scsi controller" },
	{ "controller", "virtio-serial", NULL, NULL, NULL, NULL, "index", "virtio-serial controller" },
	{ "interface", NULL, "model", "type", virtio_models, "mac", "address", "virtio interface" },
	{ "rng", NULL, NULL, "model", virtio_models, "backend", NULL, "virtio rng" },
	{ "memballoon", NULL, NULL, "model", virtio_models, NULL, NULL, "virtio memballoon" },
	{ "input", NULL, NULL, "bus", virtio_bus, NULL, "type", "virtio input" },
	{ "vsock", NULL, NULL, NULL, NULL, "cid", "address", "vsock" },
	{ "video", NULL, "model", "type", virtio_bus, NULL, NULL, "virtio video" },
	{ "filesystem", NULL, NULL, NULL, NULL, "target", "dir", "filesystem (virtio 9p or virtiofs)" },
};

static bool one_of(const char *v, const char *const *list)
{
	for (; v != NULL && *list != NULL; list++)
		if (strcmp(v, *list) == 0)
			return true;
	return false;
}

const struct sv_virtio_kind *sv_virtio_kind_of(const xmlNode *dev)
{
	for (size_t i = 0; i < ARRAY_SIZE(virtio_kinds); i++) {
		const struct sv_virtio_kind *k = &virtio_kinds[i];
		const xmlNode *m = dev;

		if (!sv_xml_is(dev, k->element))
			continue;
		if (k->type != NULL && !one_of(sv_xml_attr(dev, "type"), (const char *const[]){ k->type, NULL }))
			continue;
		if (k->model_attr == NULL)
			return k;
		if (k->model_child != NULL)
			m = sv_xml_child(dev, k->model_child);
		if (one_of(sv_xml_attr(m, k->model_attr), k->models))
			return k;
	}
	return NULL;
}

bool sv_virtio_has_iommu(const xmlNode *dev)
{
	const char *v = sv_xml_attr(sv_xml_child(dev, "driver"), "iommu");

	return v != NULL && strcmp(v, "on") == 0;
}

const xmlNode *sv_virtio_serial_implied(const xmlNode *devices)
{
	const xmlNode *rider = NULL;

	for (const xmlNode *c = devices != NULL ? devices->children : NULL; c != NULL; c = c->next) {
		if (sv_xml_is(c, "controller") &&
		    one_of(sv_xml_attr(c, "type"), (const char *const[]){ "virtio-serial", NULL }))
			return NULL;
		if (rider == NULL && (sv_xml_is(c, "channel") || sv_xml_is(c, "console")) &&
		    one_of(sv_xml_attr(sv_xml_child(c, "target"), "type"), virtio_bus))
			rider = c;
	}
	return rider;
}

bool sv_rule_is_fixable(const char *rule)
{
	static const char *const fixable[] = { "launch_security.present", "launch_security.type",
					       "launch_security.cbitpos",
					       "launch_security.reduced_phys_bits",
					       "launch_security.policy", "virtio.iommu",
					       "memory.locked" };

	for (size_t i = 0; i < ARRAY_SIZE(fixable); i++)
		if (strcmp(rule, fixable[i]) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------- findings */

struct judge {
	const struct sevslot_domain *d;
	const struct sevslot_host *host;
	struct sevslot_domain_report *r;
	size_t cap;
	int err;
};

static void SV_PRINTF(7, 8) add(struct judge *j, const char *rule, enum sevslot_severity sev,
				 const char *element, const char *target, const char *fix,
				 const char *fmt, ...)
{
	struct sevslot_domain_finding *f;
	va_list ap;

	if (j->err < 0)
		return;
	if (j->r->n_findings == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 16;

		f = realloc(j->r->findings, cap * sizeof(*f));
		if (f == NULL) {
			j->err = -ENOMEM;
			return;
		}
		j->r->findings = f;
		j->cap = cap;
	}
	f = &j->r->findings[j->r->n_findings++];
	memset(f, 0, sizeof(*f));
	f->rule = rule;
	f->severity = sev;
	f->element = element;
	snprintf(f->target, sizeof(f->target), "%s", target != NULL ? target : "");
	snprintf(f->fix, sizeof(f->fix), "%s", fix);
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	if (sev == SEVSLOT_SEVERITY_ERROR)
		j->r->ok = false;
}

/*
 * The element's name as a string that outlives the document: findings are
 * read after the domain is freed, and libxml2 keeps names in the document's
 * dictionary.
 */
static const char *element_name(const xmlNode *n)
{
	static const char *const known[] = { "disk", "controller", "interface", "rng", "memballoon",
					     "input", "vsock", "video", "filesystem", "hostdev",
					     "channel", "console" };

	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (sv_xml_is(n, known[i]))
			return known[i];
	return "device";
}

/* What names a device for an operator: its target, or its place among its kind ("#2"). */
static void target_of(const xmlNode *dev, const char *child, const char *attr, char *buf,
		      size_t len)
{
	const xmlNode *n = child != NULL ? sv_xml_child(dev, child) : dev;
	const char *v = n != NULL && attr != NULL ? sv_xml_attr(n, attr) : NULL;
	unsigned nth = 1;

	buf[0] = '\0';
	if (sv_xml_is(dev, "controller")) {
		const char *type = sv_xml_attr(dev, "type"), *index = sv_xml_attr(dev, "index");

		snprintf(buf, len, "%s index %s", type != NULL ? type : "?", index != NULL ? index : "?");
		return;
	}
	if (v != NULL)
		snprintf(buf, len, "%s", v);
	else if (n != NULL && child != NULL && attr == NULL)
		sv_xml_text(n, buf, len);
	if (buf[0] != '\0')
		return;
	for (const xmlNode *s = dev->prev; s != NULL; s = s->prev)
		if (sv_xml_is(s, (const char *)dev->name))
			nth++;
	snprintf(buf, len, "#%u", nth);
}

/* ------------------------------------------------------------ the rules */

static const char *fix_apply(enum sevslot_model m)
{
	switch (m) {
	case SEVSLOT_MODEL_SEV_ES:
		return "sevslot domain apply --model amd-sev-es writes it";
	case SEVSLOT_MODEL_SEV_SNP:
		return "sevslot domain apply --model amd-sev-snp writes it";
	default:
		return "sevslot domain apply --model amd-sev writes it";
	}
}

static void rule_launch(struct judge *j, const struct sv_launch *l, int model)
{
	const struct sevslot_host *h = j->host;
	enum sevslot_model m = model >= 0 ? (enum sevslot_model)model : SEVSLOT_MODEL_SEV;
	bool snp = m == SEVSLOT_MODEL_SEV_SNP;
	char fix[256];

	if (l->kind == SV_LAUNCH_NONE) {
		add(j, "launch_security.present", SEVSLOT_SEVERITY_ERROR, "launchSecurity", NULL,
		    model >= 0 ? fix_apply(m) :
				 "run 'sevslot domain apply --model amd-sev' (or amd-sev-es, amd-sev-snp), or name --model",
		    "no <launchSecurity>: not an SEV guest");
		return;
	}
	if ((l->kind == SV_LAUNCH_SNP) != snp) {
		add(j, "launch_security.type", SEVSLOT_SEVERITY_ERROR, "launchSecurity", NULL,
		    fix_apply(m), "type '%s' does not launch an %s guest (it needs type '%s')",
		    l->type, sevslot_model_name(m), snp ? "sev-snp" : "sev");
		return;
	}
	if (l->cbitpos_value != (int64_t)h->cpu.cbitpos) {
		snprintf(fix, sizeof(fix), "set <cbitpos>%u</cbitpos> (CPUID 0x8000001F EBX[5:0] here)",
			 h->cpu.cbitpos);
		if (l->cbitpos == NULL)
			add(j, "launch_security.cbitpos", SEVSLOT_SEVERITY_ERROR, "launchSecurity", NULL,
			    fix, "no <cbitpos>: this host's C-bit is %u", h->cpu.cbitpos);
		else
			add(j, "launch_security.cbitpos", SEVSLOT_SEVERITY_ERROR, "cbitpos", NULL, fix,
			    "C-bit position %lld is not this host's (%u)",
			    (long long)l->cbitpos_value, h->cpu.cbitpos);
	}
	if (l->reduced_value != 1)
		add(j, "launch_security.reduced_phys_bits", SEVSLOT_SEVERITY_ERROR,
		    l->reduced != NULL ? "reducedPhysBits" : "launchSecurity", NULL,
		    "set <reducedPhysBits>1</reducedPhysBits>: QEMU always gives the guest a reduction of 1",
		    l->reduced != NULL ? "reducedPhysBits is not 1" : "no <reducedPhysBits>");
	snprintf(fix, sizeof(fix), "set <policy>0x%04llx</policy>, the default for %s",
		 (unsigned long long)sevslot_default_policy(m), sevslot_model_name(m));
	if (l->policy == NULL)
		add(j, "launch_security.policy", SEVSLOT_SEVERITY_ERROR, "launchSecurity", NULL, fix,
		    "no <policy>: the guest policy decides debugging, key sharing and SEV-ES");
	else if (!l->policy_ok)
		add(j, "launch_security.policy", SEVSLOT_SEVERITY_ERROR, "policy", NULL, fix,
		    "the policy is not a hexadecimal number");
	else if (!sv_policy_fits(m, l->policy_value))
		add(j, "launch_security.policy", SEVSLOT_SEVERITY_ERROR, "policy", NULL, fix,
		    "policy 0x%llx does not fit %s (%s)", (unsigned long long)l->policy_value,
		    sevslot_model_name(m),
		    m == SEVSLOT_MODEL_SEV_ES ? "SEV-ES needs bit 2" :
		    m == SEVSLOT_MODEL_SEV ? "bit 2 asks for SEV-ES" : "SEV-SNP needs bit 17");
	else if (!snp && !(l->policy_value & 1))
		add(j, "launch_security.policy", SEVSLOT_SEVERITY_WARNING, "policy", NULL,
		    "set policy bit 0 (NODBG) unless the guest is for debugging",
		    "policy 0x%llx lets the host debug the guest (bit 0 clear)",
		    (unsigned long long)l->policy_value);
	else if (snp && (l->policy_value & (1ull << 19)))
		add(j, "launch_security.policy", SEVSLOT_SEVERITY_WARNING, "policy", NULL,
		    "clear policy bit 19 unless the guest is for debugging",
		    "policy 0x%llx lets the host debug the guest (bit 19 set)",
		    (unsigned long long)l->policy_value);
}

static void rule_machine(struct judge *j)
{
	xmlNode *type = sv_xml_child(sv_xml_child(j->d->root, "os"), "type");
	const char *machine = sv_xml_attr(type, "machine");

	if (machine == NULL)
		add(j, "machine.q35", SEVSLOT_SEVERITY_ERROR, "os", NULL,
		    "set <type machine='q35'> in <os> (the guest's devices may need new addresses)",
		    "no machine type: libvirt's default on x86 is i440fx (pc), and SEV needs q35");
	else if (strcmp(machine, "q35") != 0 && strncmp(machine, "pc-q35-", 7) != 0)
		add(j, "machine.q35", SEVSLOT_SEVERITY_ERROR, "os", machine,
		    "redefine the guest with machine q35 (the guest's devices may need new addresses)",
		    "machine type '%.60s': SEV needs q35", machine);
}

/* UEFI: <os firmware='efi'>, or a loader (pflash, or the stateless -bios image SNP boots). */
static bool uses_uefi(const xmlNode *os, bool *autoselect)
{
	const char *fw = sv_xml_attr(os, "firmware");
	xmlNode *loader = sv_xml_child(os, "loader");
	char path[8];

	*autoselect = false;
	if (fw != NULL && strcmp(fw, "bios") == 0)
		return false;
	sv_xml_text(loader, path, sizeof(path));
	if (path[0] != '\0')
		return true;
	if (fw != NULL && strcmp(fw, "efi") == 0) {
		*autoselect = true;
		return true;
	}
	return false;
}

static void rule_firmware(struct judge *j, enum sevslot_model m)
{
	const struct sevslot_stack *st = &j->host->stack;
	xmlNode *os = sv_xml_child(j->d->root, "os");
	bool autoselect, offered = false;
	char fix[256];

	if (!uses_uefi(os, &autoselect)) {
		add(j, "firmware.uefi", SEVSLOT_SEVERITY_ERROR, "os", NULL,
		    "set <os firmware='efi'> (OVMF); the guest must boot with UEFI",
		    "BIOS firmware (SeaBIOS): SEV guests need UEFI");
		return;
	}
	if (!autoselect || !st->probed)
		return;
	for (size_t i = 0; i < st->n_firmware; i++)
		offered |= st->firmware[i].boots[m];
	snprintf(fix, sizeof(fix), "install firmware built for %s with its QEMU descriptor, or name "
		 "a <loader> in <os>", sevslot_model_name(m));
	if (st->n_firmware == 0)
		add(j, "firmware.descriptor", SEVSLOT_SEVERITY_WARNING, "os", NULL, fix,
		    "<os firmware='efi'> but no QEMU firmware descriptor was found here: libvirt "
		    "picks the firmware from them");
	else if (!offered)
		add(j, "firmware.descriptor", SEVSLOT_SEVERITY_ERROR, "os", NULL, fix,
		    "<os firmware='efi'>, and no firmware descriptor here offers %s: libvirt "
		    "finds no firmware to boot it", sevslot_model_name(m));
}

static void rule_locked(struct judge *j, enum sevslot_model m)
{
	xmlNode *mb = sv_xml_child(j->d->root, "memoryBacking");

	if (m == SEVSLOT_MODEL_SEV_SNP || sv_xml_child(mb, "locked") != NULL)
		return;
	add(j, "memory.locked", SEVSLOT_SEVERITY_ERROR, "memoryBacking", NULL,
	    "add <memoryBacking><locked/></memoryBacking> (sevslot domain apply does)",
	    "memory is not locked: an %s guest pins all its pages, and QEMU fails at launch "
	    "when RLIMIT_MEMLOCK is too small", sevslot_model_name(m));
}

static void rule_device(struct judge *j, const xmlNode *dev, bool iommu_is_automatic)
{
	const struct sv_virtio_kind *k = sv_virtio_kind_of(dev);
	const char *name = element_name(dev);
	char target[128];

	if (sv_xml_is(dev, "hostdev") ||
	    (sv_xml_is(dev, "interface") && one_of(sv_xml_attr(dev, "type"),
						   (const char *const[]){ "hostdev", NULL }))) {
		target_of(dev, "source", NULL, target, sizeof(target));
		add(j, "devices.hostdev", SEVSLOT_SEVERITY_ERROR, name, target,
		    "remove the host device; use an emulated or virtio device instead",
		    "PCI passthrough: SEV guests cannot use host devices");
		return;
	}
	if ((sv_xml_is(dev, "disk") &&
	     one_of(sv_xml_attr(sv_xml_child(dev, "target"), "bus"), (const char *const[]){ "ide", NULL })) ||
	    (sv_xml_is(dev, "controller") &&
	     one_of(sv_xml_attr(dev, "type"), (const char *const[]){ "ide", NULL }))) {
		if (sv_xml_is(dev, "disk"))
			target_of(dev, "target", "dev", target, sizeof(target));
		else
			target_of(dev, NULL, NULL, target, sizeof(target));
		add(j, "devices.ide", SEVSLOT_SEVERITY_ERROR, name, target,
		    "move it to the sata, scsi or virtio bus (q35 has no IDE)",
		    "an IDE %s: q35 has no IDE bus", name);
		return;
	}
	if (k == NULL || sv_virtio_has_iommu(dev))
		return;
	target_of(dev, k->target_child, k->target_attr, target, sizeof(target));
	if (iommu_is_automatic)
		add(j, "virtio.iommu", SEVSLOT_SEVERITY_WARNING, name, target,
		    "give it <driver iommu='on'/> to say so (sevslot domain apply does)",
		    "%s without iommu='on': QEMU %s turns the platform IOMMU on by itself for an SEV "
		    "guest (6.0 and later), older ones do not", k->what, j->host->stack.qemu_version);
	else
		add(j, "virtio.iommu", SEVSLOT_SEVERITY_ERROR, name, target,
		    "give it <driver iommu='on'/> (sevslot domain apply does)",
		    "%s without iommu='on': the guest cannot share its buffers with the device", k->what);
}

/* The controller libvirt would add for a virtio channel: nova wrote it out for SEV guests too. */
static void rule_virtio_serial(struct judge *j, const xmlNode *devices, bool iommu_is_automatic)
{
	const xmlNode *rider = sv_virtio_serial_implied(devices);
	char target[128];

	if (rider == NULL)
		return;
	target_of(rider, "target", "name", target, sizeof(target));
	add(j, "virtio.iommu", iommu_is_automatic ? SEVSLOT_SEVERITY_WARNING : SEVSLOT_SEVERITY_ERROR,
	    element_name(rider), target,
	    "add <controller type='virtio-serial' index='0'> with <driver iommu='on'/> "
	    "(sevslot domain apply does)",
	    "a virtio %s without a virtio-serial controller: libvirt adds one, without iommu='on'",
	    element_name(rider));
}

/*
 * The boot disk: the disk with the lowest <boot order>, else (when <os>
 * boots from the hard disk first, libvirt's default) the first disk.
 */
static const xmlNode *boot_disk(const xmlNode *devices, const xmlNode *os)
{
	const xmlNode *best = NULL, *first = NULL;
	const char *dev = sv_xml_attr(sv_xml_child(os, "boot"), "dev");
	unsigned long lowest = ULONG_MAX;

	for (const xmlNode *d = sv_xml_child(devices, "disk"); d != NULL; d = sv_xml_next(d, "disk")) {
		const char *kind = sv_xml_attr(d, "device");
		const char *order = sv_xml_attr(sv_xml_child(d, "boot"), "order");
		uint64_t o;
		const char *end;

		if (kind != NULL && strcmp(kind, "disk") != 0)
			continue;
		if (first == NULL)
			first = d;
		if (order != NULL && sv_parse_u64(order, &end, 10, &o) == 0 && *end == '\0' &&
		    o < lowest) {
			lowest = (unsigned long)o;
			best = d;
		}
	}
	if (best != NULL)
		return best;
	return dev == NULL || strcmp(dev, "hd") == 0 ? first : NULL;
}

static void rule_boot_disk(struct judge *j, const xmlNode *devices)
{
	const xmlNode *d = boot_disk(devices, sv_xml_child(j->d->root, "os"));
	char target[128];

	if (d == NULL || !one_of(sv_xml_attr(sv_xml_child(d, "target"), "bus"), virtio_bus))
		return;
	target_of(d, "target", "dev", target, sizeof(target));
	add(j, "boot.virtio_blk", SEVSLOT_SEVERITY_WARNING, "disk", target,
	    "boot from a virtio-scsi or SATA disk; virtio-blk is fine for other disks",
	    "the boot disk is virtio-blk: early SEV guest kernels could not boot from it "
	    "(bounce-buffer limits; later kernels lifted them)");
}

int sv_domain_judge(const struct sevslot_domain *d, const struct sevslot_host *host, int model,
		    struct sevslot_domain_report **out, char *why, size_t whylen)
{
	struct judge j = { .d = d, .host = host };
	struct sv_launch l;
	enum sevslot_model m = SEVSLOT_MODEL_SEV;
	const xmlNode *devices;
	int err;

	*out = NULL;
	why[0] = '\0';
	if (model >= (int)SEVSLOT_MODEL_COUNT) {
		snprintf(why, whylen, "unknown model %d", model);
		return -EINVAL;
	}
	sv_domain_launch(d, &l);
	if (model >= 0) {
		m = (enum sevslot_model)model;
		if (l.kind == SV_LAUNCH_UNKNOWN || l.kind == SV_LAUNCH_OTHER) {
			sv_launch_model(&l, &m, why, whylen);
			return -EINVAL;
		}
	} else if ((err = sv_launch_model(&l, &m, why, whylen)) == -EINVAL) {
		return err;
	} else if (err == 0) {
		model = (int)m;
	} else if (l.kind == SV_LAUNCH_OTHER) {
		return -EINVAL;
	}
	j.r = calloc(1, sizeof(*j.r));
	if (j.r == NULL) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	j.r->model = model;
	j.r->ok = true;
	j.r->model_usable = model >= 0 && host->models[m].usable;
	if (model >= 0 && !host->models[m].usable)
		add(&j, "host.model", SEVSLOT_SEVERITY_ERROR, "domain", NULL,
		    "run it on a host that can ('sevslot probe' says why this one cannot)",
		    "this host cannot run %s guests", sevslot_model_name(m));
	rule_launch(&j, &l, model);
	rule_machine(&j);
	rule_firmware(&j, m);
	rule_locked(&j, m);
	devices = sv_xml_child(d->root, "devices");
	for (const xmlNode *dev = devices != NULL ? devices->children : NULL; dev != NULL;
	     dev = dev->next)
		if (dev->type == XML_ELEMENT_NODE && dev->ns == NULL)
			rule_device(&j, dev,
				    sv_qemu_version_at_least(host->stack.qemu_version, 6, 0) == 1);
	rule_virtio_serial(&j, devices,
			   sv_qemu_version_at_least(host->stack.qemu_version, 6, 0) == 1);
	rule_boot_disk(&j, devices);
	if (j.err < 0) {
		sevslot_domain_report_free(j.r);
		snprintf(why, whylen, "out of memory");
		return j.err;
	}
	*out = j.r;
	return 0;
}

/* ------------------------------------------------------------------- ABI */

SEVSLOT_EXPORT int sevslot_domain_check(struct sevslot_ctx *ctx, const struct sevslot_domain *d,
					const struct sevslot_host *host, int model,
					struct sevslot_domain_report **out)
{
	char why[256];
	int err;

	ctx->errmsg[0] = '\0';
	err = sv_domain_judge(d, host, model, out, why, sizeof(why));
	if (err < 0)
		return sv_fail(ctx, err, "%s", why);
	return 0;
}

SEVSLOT_EXPORT void sevslot_domain_report_free(struct sevslot_domain_report *r)
{
	if (r == NULL)
		return;
	free(r->findings);
	free(r);
}

SEVSLOT_EXPORT const char *sevslot_severity_name(enum sevslot_severity severity)
{
	switch (severity) {
	case SEVSLOT_SEVERITY_ERROR:
		return "error";
	case SEVSLOT_SEVERITY_WARNING:
		return "warning";
	}
	return NULL;
}
