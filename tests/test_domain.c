/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A libvirt domain as an SEV guest: parsing untrusted XML, the rules of the
 * specification (each finding named by element and target, with a stable
 * rule id), and `apply`, which edits the bytes it must and keeps all others:
 * real-world domains (nova's, virt-install's, `virsh dumpxml`'s) come out as
 * their reviewed goldens, and applying again changes no byte.
 */
#include "harness.h"

#include <json-c/json.h>

#include "domain.h"
#include "run.h"

#define MILAN "tests/fixtures/hosts/epyc-7313-milan"           /* no QEMU recorded */
#define MILAN_DEB "tests/fixtures/hosts/epyc-7313-milan-debian12" /* QEMU 7.2, Debian's ovmf */
#define GENOA_SNP "tests/fixtures/hosts/epyc-9124-genoa-snp-stack"
#define DOMAINS "tests/fixtures/domains/"

struct env {
	struct sevslot_ctx *ctx;
	struct sevslot_host *milan, *milan_deb, *genoa;
};

static struct sevslot_host *probe(struct sevslot_ctx **ctx, const char *root)
{
	struct sevslot_host *h;

	assert_int_equal(sevslot_new(ctx, root), 0);
	assert_int_equal(sevslot_probe(*ctx, 0, &h), 0);
	return h;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct sevslot_ctx *c;

	assert_non_null(e);
	e->milan = probe(&e->ctx, MILAN);
	e->milan_deb = probe(&c, MILAN_DEB);
	sevslot_free(c);
	e->genoa = probe(&c, GENOA_SNP);
	sevslot_free(c);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	sevslot_host_free(e->milan);
	sevslot_host_free(e->milan_deb);
	sevslot_host_free(e->genoa);
	sevslot_free(e->ctx);
	free(e);
	return 0;
}

static struct sevslot_domain *parse_text(void **state, const char *xml)
{
	struct env *e = *state;
	struct sevslot_domain *d;

	if (sevslot_domain_parse(e->ctx, xml, strlen(xml), &d) != 0)
		fail_msg("parse: %s", sevslot_errmsg(e->ctx));
	return d;
}

/* A q35 UEFI domain with `extra` in <domain> and `devices` in <devices>. */
static char *domain(const char *extra, const char *devices)
{
	char *s;

	assert_true(asprintf(&s, "<domain type='kvm'>\n  <name>t</name>\n"
			     "  <uuid>0f4c8d6e-2a1b-4c3d-9e8f-7a6b5c4d3e2f</uuid>\n"
			     "  <memory unit='KiB'>1048576</memory>\n"
			     "  <os firmware='efi'>\n    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"
			     "  </os>\n%s  <devices>\n%s  </devices>\n</domain>\n", extra, devices) > 0);
	return s;
}

/* `text` with its first `from` replaced by `to`; the caller frees it. */
static char *replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out;

	if (at == NULL)
		fail_msg("no '%s' to replace", from);
	assert_true(asprintf(&out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)) > 0);
	return out;
}

#define SEV_OK "  <memoryBacking>\n    <locked/>\n  </memoryBacking>\n" \
	"  <launchSecurity type='sev'>\n    <cbitpos>51</cbitpos>\n" \
	"    <reducedPhysBits>1</reducedPhysBits>\n    <policy>0x0033</policy>\n  </launchSecurity>\n"

static struct sevslot_domain_report *judge(void **state, const struct sevslot_host *h,
					   const char *xml, int model)
{
	struct env *e = *state;
	struct sevslot_domain *d = parse_text(state, xml);
	struct sevslot_domain_report *r;

	if (sevslot_domain_check(e->ctx, d, h, model, &r) != 0)
		fail_msg("check: %s", sevslot_errmsg(e->ctx));
	sevslot_domain_free(d);
	return r;
}

/* The finding of `rule` (at `target`, when not NULL), or NULL. */
static const struct sevslot_domain_finding *finding(const struct sevslot_domain_report *r,
						    const char *rule, const char *target)
{
	for (size_t i = 0; i < r->n_findings; i++)
		if (strcmp(r->findings[i].rule, rule) == 0 &&
		    (target == NULL || strcmp(r->findings[i].target, target) == 0))
			return &r->findings[i];
	return NULL;
}

static void expect(const struct sevslot_domain_report *r, const char *rule, const char *target,
		   enum sevslot_severity sev)
{
	const struct sevslot_domain_finding *f = finding(r, rule, target);

	if (f == NULL) {
		for (size_t i = 0; i < r->n_findings; i++)
			print_message("  have %s %s %s\n", r->findings[i].rule,
				      r->findings[i].element, r->findings[i].target);
		fail_msg("no finding %s at '%s'", rule, target != NULL ? target : "(any)");
	}
	assert_int_equal(f->severity, sev);
	assert_true(f->message[0] != '\0' && f->fix[0] != '\0');
}

/* ------------------------------------------------------------- parsing */

static void test_untrusted_xml_is_refused_with_one_line(void **state)
{
	static const struct {
		const char *xml, *why;
		int err;
	} cases[] = {
		{ "", "line 1", -EBADMSG },
		{ "<domain><name>x</domain>", "line 1, column", -EBADMSG },
		{ "<domain>\n<a>&undefined;</a></domain>", "line 2", -EBADMSG },
		{ "<!DOCTYPE domain [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>"
		  "<domain><name>&b;</name></domain>", "a DOCTYPE is refused", -EBADMSG },
		{ "<!DOCTYPE domain SYSTEM \"http://example.com/x.dtd\"><domain/>", "DOCTYPE", -EBADMSG },
		{ "<network><name>default</name></network>", "not a libvirt <domain>", -EBADMSG },
		{ "<x:domain xmlns:x='urn:x'/>", "not a libvirt <domain>", -EBADMSG },
		{ "<domain/><domain/>", "line 1", -EBADMSG },
	};
	struct env *e = *state;
	struct sevslot_domain *d;
	char *big;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(sevslot_domain_parse(e->ctx, cases[i].xml, strlen(cases[i].xml), &d),
				 cases[i].err);
		assert_null(d);
		if (strstr(sevslot_errmsg(e->ctx), cases[i].why) == NULL ||
		    strchr(sevslot_errmsg(e->ctx), '\n') != NULL)
			fail_msg("case %zu: '%s' does not say '%s' on one line", i,
				 sevslot_errmsg(e->ctx), cases[i].why);
	}
	big = calloc(1, SEVSLOT_DOMAIN_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', SEVSLOT_DOMAIN_MAX + 1);
	assert_int_equal(sevslot_domain_parse(e->ctx, big, SEVSLOT_DOMAIN_MAX + 1, &d), -EFBIG);
	free(big);
}

static void test_model_comes_from_launch_security(void **state)
{
	static const struct {
		const char *ls;
		int err;
		enum sevslot_model model;
	} cases[] = {
		{ "<launchSecurity type='sev'><policy>0x0033</policy></launchSecurity>", 0, SEVSLOT_MODEL_SEV },
		{ "<launchSecurity type='sev'><policy>0x0037</policy></launchSecurity>", 0, SEVSLOT_MODEL_SEV_ES },
		/* libvirt reads the policy as hexadecimal, 0x or not. */
		{ "<launchSecurity type='sev'><policy>7</policy></launchSecurity>", 0, SEVSLOT_MODEL_SEV_ES },
		{ "<launchSecurity type='sev'><cbitpos>51</cbitpos></launchSecurity>", 0, SEVSLOT_MODEL_SEV },
		{ "<launchSecurity type='sev-snp'><policy>0x30000</policy></launchSecurity>", 0,
		  SEVSLOT_MODEL_SEV_SNP },
		{ "<launchSecurity type='tdx'/>", -ENOENT, 0 },
		{ "<launchSecurity type='s390-pv'/>", -ENOENT, 0 },
		{ "", -ENOENT, 0 },
		{ "<launchSecurity type='sev-tdx-ng'/>", -EINVAL, 0 },
		{ "<launchSecurity/>", -EINVAL, 0 },
		{ "<launchSecurity type='sev'><policy>zz</policy></launchSecurity>", -EINVAL, 0 },
		{ "<launchSecurity type='sev'><policy>0x1ffffffff</policy></launchSecurity>", -EINVAL, 0 },
	};
	struct env *e = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *xml = domain(cases[i].ls, "");
		struct sevslot_domain *d = parse_text(state, xml);
		enum sevslot_model m = SEVSLOT_MODEL_COUNT;
		int err = sevslot_domain_model(e->ctx, d, &m);

		if (err != cases[i].err || (err == 0 && m != cases[i].model))
			fail_msg("case %zu: %d model %d (%s)", i, err, m, sevslot_errmsg(e->ctx));
		assert_string_equal(sevslot_domain_uuid(d), "0f4c8d6e-2a1b-4c3d-9e8f-7a6b5c4d3e2f");
		assert_string_equal(sevslot_domain_name(d), "t");
		sevslot_domain_free(d);
		free(xml);
	}
}

/* ------------------------------------------------------------- the rules */

static void test_real_domains_name_every_virtio_device(void **state)
{
	struct env *e = *state;
	char *xml = h_read_file(DOMAINS "virt-install-dumpxml.xml", NULL);
	struct sevslot_domain_report *r = judge(state, e->milan, xml, SEVSLOT_MODEL_SEV);

	assert_false(r->ok);
	assert_int_equal(r->model, SEVSLOT_MODEL_SEV);
	expect(r, "launch_security.present", NULL, SEVSLOT_SEVERITY_ERROR);
	expect(r, "memory.locked", NULL, SEVSLOT_SEVERITY_ERROR);
	expect(r, "virtio.iommu", "vda", SEVSLOT_SEVERITY_ERROR);
	expect(r, "virtio.iommu", "virtio-serial index 0", SEVSLOT_SEVERITY_ERROR);
	expect(r, "virtio.iommu", "52:54:00:eb:58:a6", SEVSLOT_SEVERITY_ERROR);
	expect(r, "virtio.iommu", "/dev/urandom", SEVSLOT_SEVERITY_ERROR);
	expect(r, "boot.virtio_blk", "vda", SEVSLOT_SEVERITY_WARNING);
	assert_string_equal(finding(r, "virtio.iommu", "vda")->element, "disk");
	/* The usb tablet, the ich9 sound and the pcie root ports are not virtio. */
	for (size_t i = 0; i < r->n_findings; i++)
		if (strcmp(r->findings[i].rule, "virtio.iommu") == 0)
			assert_true(strcmp(r->findings[i].element, "input") != 0 &&
				    strcmp(r->findings[i].element, "sound") != 0);
	assert_int_equal(r->n_findings, 10); /* + video #1, memballoon #1, firmware.descriptor */
	sevslot_domain_report_free(r);
	free(xml);

	/* The same domain made an SEV guest: nothing but the two warnings. */
	xml = h_read_file(DOMAINS "expected/virt-install-dumpxml.amd-sev.xml", NULL);
	r = judge(state, e->milan, xml, -1);
	assert_true(r->ok);
	assert_int_equal(r->model, SEVSLOT_MODEL_SEV);
	assert_int_equal(r->n_findings, 2);
	expect(r, "boot.virtio_blk", "vda", SEVSLOT_SEVERITY_WARNING);
	expect(r, "firmware.descriptor", NULL, SEVSLOT_SEVERITY_WARNING);
	sevslot_domain_report_free(r);
	free(xml);
}

static void test_each_rule_names_what_breaks_it(void **state)
{
	static const struct {
		const char *extra, *devices, *rule, *target;
		int model;
		enum sevslot_severity sev;
	} cases[] = {
		{ SEV_OK, "    <hostdev mode='subsystem' type='pci'><source><address domain='0' bus='0x3b' slot='0' function='0'/></source></hostdev>\n",
		  "devices.hostdev", NULL, -1, SEVSLOT_SEVERITY_ERROR },
		{ SEV_OK, "    <interface type='hostdev'><source><address type='pci' bus='0x5e'/></source></interface>\n",
		  "devices.hostdev", NULL, -1, SEVSLOT_SEVERITY_ERROR },
		{ SEV_OK, "    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>\n",
		  "devices.ide", "hdc", -1, SEVSLOT_SEVERITY_ERROR },
		{ SEV_OK, "    <controller type='ide' index='0'/>\n", "devices.ide", "ide index 0", -1,
		  SEVSLOT_SEVERITY_ERROR },
		{ SEV_OK, "    <controller type='scsi' index='1' model='virtio-scsi'/>\n", "virtio.iommu",
		  "scsi index 1", -1, SEVSLOT_SEVERITY_ERROR },
		{ SEV_OK, "    <filesystem type='mount'><driver type='virtiofs'/><source dir='/srv'/><target dir='share'/></filesystem>\n",
		  "virtio.iommu", "share", -1, SEVSLOT_SEVERITY_ERROR },
		{ SEV_OK, "    <vsock model='virtio'><cid auto='no' address='3'/></vsock>\n", "virtio.iommu",
		  "3", -1, SEVSLOT_SEVERITY_ERROR },
		{ SEV_OK, "    <input type='keyboard' bus='virtio'/>\n", "virtio.iommu", "keyboard", -1,
		  SEVSLOT_SEVERITY_ERROR },
		{ SEV_OK, "    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\n"
			  "    <rng model='virtio'><backend model='random'>/dev/urandom</backend><driver iommu='off'/></rng>\n",
		  "virtio.iommu", "/dev/urandom", -1, SEVSLOT_SEVERITY_ERROR },
		{ SEV_OK, "    <memballoon model='virtio'/>\n    <memballoon model='virtio'/>\n", "virtio.iommu",
		  "#2", -1, SEVSLOT_SEVERITY_ERROR },
		{ SEV_OK, "    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>\n",
		  "virtio.iommu", "org.qemu.guest_agent.0", -1, SEVSLOT_SEVERITY_ERROR },
		{ SEV_OK, "    <disk type='file' device='disk'><driver name='qemu' iommu='on'/><target dev='vdb' bus='virtio'/><boot order='1'/></disk>\n",
		  "boot.virtio_blk", "vdb", -1, SEVSLOT_SEVERITY_WARNING },
		{ "  <memoryBacking><locked/></memoryBacking>\n"
		  "  <launchSecurity type='sev'><cbitpos>47</cbitpos><reducedPhysBits>1</reducedPhysBits><policy>0x33</policy></launchSecurity>\n",
		  "", "launch_security.cbitpos", NULL, -1, SEVSLOT_SEVERITY_ERROR },
		{ "  <memoryBacking><locked/></memoryBacking>\n"
		  "  <launchSecurity type='sev'><cbitpos>51</cbitpos><reducedPhysBits>5</reducedPhysBits><policy>0x33</policy></launchSecurity>\n",
		  "", "launch_security.reduced_phys_bits", NULL, -1, SEVSLOT_SEVERITY_ERROR },
		{ "  <memoryBacking><locked/></memoryBacking>\n"
		  "  <launchSecurity type='sev'><cbitpos>51</cbitpos><reducedPhysBits>1</reducedPhysBits><policy>0x33</policy></launchSecurity>\n",
		  "", "launch_security.policy", NULL, SEVSLOT_MODEL_SEV_ES, SEVSLOT_SEVERITY_ERROR },
		{ "  <memoryBacking><locked/></memoryBacking>\n"
		  "  <launchSecurity type='sev'><cbitpos>51</cbitpos><reducedPhysBits>1</reducedPhysBits><policy>0x32</policy></launchSecurity>\n",
		  "", "launch_security.policy", NULL, -1, SEVSLOT_SEVERITY_WARNING },
		{ "  <memoryBacking><locked/></memoryBacking>\n"
		  "  <launchSecurity type='sev'><cbitpos>51</cbitpos><reducedPhysBits>1</reducedPhysBits></launchSecurity>\n",
		  "", "launch_security.policy", NULL, -1, SEVSLOT_SEVERITY_ERROR },
		{ SEV_OK, "", "launch_security.type", NULL, SEVSLOT_MODEL_SEV_SNP, SEVSLOT_SEVERITY_ERROR },
		{ SEV_OK, "", "host.model", NULL, SEVSLOT_MODEL_SEV_SNP, SEVSLOT_SEVERITY_ERROR },
		{ "  <launchSecurity type='sev'><cbitpos>51</cbitpos><reducedPhysBits>1</reducedPhysBits><policy>0x33</policy></launchSecurity>\n",
		  "", "memory.locked", NULL, -1, SEVSLOT_SEVERITY_ERROR },
	};
	struct env *e = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *xml = domain(cases[i].extra, cases[i].devices);
		struct sevslot_domain_report *r = judge(state, e->milan, xml, cases[i].model);

		print_message("case %zu: %s\n", i, cases[i].rule);
		expect(r, cases[i].rule, cases[i].target, cases[i].sev);
		assert_true(r->ok == (cases[i].sev == SEVSLOT_SEVERITY_WARNING));
		sevslot_domain_report_free(r);
		free(xml);
	}
}

static void test_machine_and_firmware_rules(void **state)
{
	static const struct {
		const char *from, *to, *rule;
	} cases[] = {
		{ "machine='pc-q35-7.2'", "machine='pc-i440fx-7.2'", "machine.q35" },
		{ " machine='pc-q35-7.2'", "", "machine.q35" },
		{ "<os firmware='efi'>", "<os>", "firmware.uefi" },
		{ "<os firmware='efi'>", "<os firmware='bios'>", "firmware.uefi" },
	};
	struct env *e = *state;
	char *base = domain(SEV_OK, "");

	struct sevslot_domain_report *r;
	char *xml;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		xml = replaced(base, cases[i].from, cases[i].to);
		r = judge(state, e->milan, xml, -1);
		expect(r, cases[i].rule, NULL, SEVSLOT_SEVERITY_ERROR);
		sevslot_domain_report_free(r);
		free(xml);
	}
	/* A named loader is UEFI: pflash, or the stateless image SNP boots with -bios. */
	xml = replaced(base, "  </os>", "    <loader readonly='yes' type='pflash'>"
		       "/usr/share/OVMF/OVMF_CODE_4M.fd</loader>\n  </os>");
	r = judge(state, e->milan_deb, xml, SEVSLOT_MODEL_SEV_ES);
	assert_null(finding(r, "firmware.uefi", NULL));
	assert_null(finding(r, "firmware.descriptor", NULL)); /* a loader is named */
	sevslot_domain_report_free(r);
	free(xml);
	free(base);
}

/*
 * QEMU 6.0 and later turn the platform IOMMU on by themselves for an SEV
 * guest (nova dropped iommu='on' for that, commit a29524346f): where the
 * host's QEMU is known to be one, a missing iommu is a warning, else an error.
 * And with <os firmware='efi'>, libvirt needs a descriptor for the model.
 */
static void test_the_host_stack_decides_iommu_severity_and_firmware(void **state)
{
	struct env *e = *state;
	char *xml = domain("  <memoryBacking><locked/></memoryBacking>\n",
			   "    <interface type='network'><mac address='52:54:00:00:00:01'/><model type='virtio'/></interface>\n");
	struct sevslot_domain_report *r = judge(state, e->milan_deb, xml, SEVSLOT_MODEL_SEV);
	const struct sevslot_domain_finding *f;

	expect(r, "virtio.iommu", "52:54:00:00:00:01", SEVSLOT_SEVERITY_WARNING);
	f = finding(r, "virtio.iommu", NULL);
	assert_non_null(f);
	assert_contains(f->message, "QEMU 7.2");
	assert_null(finding(r, "firmware.descriptor", NULL)); /* Debian's ovmf offers amd-sev */
	sevslot_domain_report_free(r);
	r = judge(state, e->milan, xml, SEVSLOT_MODEL_SEV);
	expect(r, "virtio.iommu", "52:54:00:00:00:01", SEVSLOT_SEVERITY_ERROR);
	expect(r, "firmware.descriptor", NULL, SEVSLOT_SEVERITY_WARNING); /* nothing recorded */
	sevslot_domain_report_free(r);
	r = judge(state, e->milan_deb, xml, SEVSLOT_MODEL_SEV_ES);
	expect(r, "firmware.descriptor", NULL, SEVSLOT_SEVERITY_ERROR);
	f = finding(r, "firmware.descriptor", NULL);
	assert_non_null(f);
	assert_contains(f->message, "amd-sev-es");
	sevslot_domain_report_free(r);
	free(xml);
}

/* ---------------------------------------------------------------- apply */

static char *apply(void **state, const struct sevslot_host *h, const char *xml, size_t len,
		   enum sevslot_model m, size_t *out_len, int want)
{
	struct env *e = *state;
	struct sevslot_domain *d;
	char *out = (char *)1;
	size_t n = 99;
	int err;

	assert_int_equal(sevslot_domain_parse(e->ctx, xml, len, &d), 0);
	err = sevslot_domain_apply(e->ctx, d, h, m, &out, &n);
	sevslot_domain_free(d);
	if (err != want)
		fail_msg("apply: %d, want %d: %s", err, want, sevslot_errmsg(e->ctx));
	if (err < 0) {
		assert_null(out);
		assert_int_equal(n, 0);
		return NULL;
	}
	if (out_len != NULL)
		*out_len = n;
	assert_int_equal(strlen(out), n);
	return out;
}

static void test_apply_real_domains_gives_the_goldens_and_is_idempotent(void **state)
{
	static const struct {
		const char *name;
		enum sevslot_model m;
		const char *host;
	} cases[] = {
		{ "nova-instance", SEVSLOT_MODEL_SEV, MILAN },
		{ "nova-instance-dumpxml", SEVSLOT_MODEL_SEV, MILAN },
		{ "virt-install", SEVSLOT_MODEL_SEV, MILAN },
		{ "virt-install-dumpxml", SEVSLOT_MODEL_SEV, MILAN },
		{ "virt-install-dumpxml", SEVSLOT_MODEL_SEV_ES, MILAN },
		{ "nova-instance", SEVSLOT_MODEL_SEV_SNP, GENOA_SNP },
	};
	struct env *e = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct sevslot_host *h = strcmp(cases[i].host, MILAN) == 0 ? e->milan : e->genoa;
		char path[256], *in, *want, *once, *twice;
		size_t in_len, want_len, once_len, twice_len;

		snprintf(path, sizeof(path), DOMAINS "%s.xml", cases[i].name);
		in = h_read_file(path, &in_len);
		snprintf(path, sizeof(path), DOMAINS "expected/%s.%s.xml", cases[i].name,
			 sevslot_model_name(cases[i].m));
		want = h_read_file(path, &want_len);
		once = apply(state, h, in, in_len, cases[i].m, &once_len, 0);
		if (once_len != want_len || memcmp(once, want, want_len) != 0)
			fail_msg("%s: apply differs from %s", cases[i].name, path);
		/* Byte for byte: a domain that needs nothing comes back as it was. */
		twice = apply(state, h, once, once_len, cases[i].m, &twice_len, 0);
		assert_int_equal(twice_len, once_len);
		assert_memory_equal(twice, once, once_len);
		/* The foreign metadata and every libvirt element are still there. */
		if (strstr(in, "<nova:instance") != NULL)
			assert_non_null(strstr(once, "<nova:instance xmlns:nova=\"http://openstack.org/xmlns/libvirt/nova/1.1\">"));
		free(in);
		free(want);
		free(once);
		free(twice);
	}
}

static void test_apply_keeps_what_it_does_not_edit(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		/* Comments, a processing instruction, CDATA, the declaration, no final newline. */
		{ "<?xml version='1.0' encoding='UTF-8'?>\n<!-- kept -->\n<domain type=\"qemu\">\n"
		  "  <name><![CDATA[a<b]]></name>\n  <?pi kept?>\n  <memory>1024</memory>\n"
		  "  <os firmware=\"efi\"><type machine=\"q35\">hvm</type></os>\n  <devices>\n"
		  "    <rng model=\"virtio\"><backend model=\"random\">/dev/urandom</backend></rng>\n"
		  "  </devices>\n</domain>",
		  "<?xml version='1.0' encoding='UTF-8'?>\n<!-- kept -->\n<domain type=\"qemu\">\n"
		  "  <name><![CDATA[a<b]]></name>\n  <?pi kept?>\n  <memory>1024</memory>\n"
		  "  <memoryBacking>\n    <locked/>\n  </memoryBacking>\n"
		  "  <os firmware=\"efi\"><type machine=\"q35\">hvm</type></os>\n  <devices>\n"
		  "    <rng model=\"virtio\"><driver iommu=\"on\"/><backend model=\"random\">/dev/urandom</backend></rng>\n"
		  "  </devices>\n  <launchSecurity type=\"sev\">\n    <cbitpos>51</cbitpos>\n"
		  "    <reducedPhysBits>1</reducedPhysBits>\n    <policy>0x0033</policy>\n"
		  "  </launchSecurity>\n</domain>" },
		/* One line, single quotes; iommu='off' rewritten, the other attributes kept in order. */
		{ "<domain><memory>1</memory><memoryBacking><hugepages/></memoryBacking><os firmware='efi'>"
		  "<type machine='q35'>hvm</type></os><devices><disk><driver name='qemu' iommu='off' "
		  "cache=\"none\"/><target dev='vda' bus='virtio'/></disk><memballoon model='virtio' />"
		  "</devices></domain>",
		  "<domain><memory>1</memory><memoryBacking><locked/><hugepages/></memoryBacking><os firmware='efi'>"
		  "<type machine='q35'>hvm</type></os><devices><disk><driver name='qemu' iommu='on' "
		  "cache='none'/><target dev='vda' bus='virtio'/></disk><memballoon model='virtio' >"
		  "<driver iommu='on'/></memballoon></devices><launchSecurity type='sev'><cbitpos>51</cbitpos>"
		  "<reducedPhysBits>1</reducedPhysBits><policy>0x0033</policy></launchSecurity></domain>" },
		/* CRLF lines and tabs; a wrong C-bit is mended in place, dhCert and session kept. */
		{ "<domain>\r\n\t<memory>1</memory>\r\n\t<memoryBacking><locked/></memoryBacking>\r\n"
		  "\t<os firmware='efi'><type machine='q35'>hvm</type></os>\r\n"
		  "\t<launchSecurity type='sev' kernelHashes='yes'>\r\n\t\t<cbitpos>47</cbitpos>\r\n"
		  "\t\t<dhCert>AAAA</dhCert>\r\n\t\t<session>BBBB</session>\r\n\t</launchSecurity>\r\n"
		  "\t<devices>\r\n\t\t<input type='tablet' bus='virtio'>\r\n\t\t\t<address type='pci'/>\r\n"
		  "\t\t</input>\r\n\t</devices>\r\n</domain>\r\n",
		  "<domain>\r\n\t<memory>1</memory>\r\n\t<memoryBacking><locked/></memoryBacking>\r\n"
		  "\t<os firmware='efi'><type machine='q35'>hvm</type></os>\r\n"
		  "\t<launchSecurity type='sev' kernelHashes='yes'>\r\n\t\t<reducedPhysBits>1</reducedPhysBits>"
		  "\r\n\t\t<policy>0x0033</policy>\r\n\t\t<cbitpos>51</cbitpos>\r\n"
		  "\t\t<dhCert>AAAA</dhCert>\r\n\t\t<session>BBBB</session>\r\n\t</launchSecurity>\r\n"
		  "\t<devices>\r\n\t\t<input type='tablet' bus='virtio'>\r\n\t\t\t<driver iommu='on'/>\r\n"
		  "\t\t\t<address type='pci'/>\r\n\t\t</input>\r\n\t</devices>\r\n</domain>\r\n" },
	};
	struct env *e = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t len;
		char *out = apply(state, e->milan, cases[i].in, strlen(cases[i].in), SEVSLOT_MODEL_SEV,
				  &len, 0), *again;

		if (strcmp(out, cases[i].out) != 0)
			fail_msg("case %zu:\n--- got\n%s\n--- want\n%s", i, out, cases[i].out);
		again = apply(state, e->milan, out, len, SEVSLOT_MODEL_SEV, NULL, 0);
		assert_string_equal(again, out);
		free(again);
		free(out);
	}
}

static void test_apply_switches_the_model(void **state)
{
	struct env *e = *state;
	char *xml = domain(SEV_OK, ""), *es, *snp;

	/* SEV to SEV-ES: the policy gets bit 2 (0x0033 does not fit), in place. */
	es = apply(state, e->milan, xml, strlen(xml), SEVSLOT_MODEL_SEV_ES, NULL, 0);
	assert_non_null(strstr(es, "<policy>0x0037</policy>"));
	assert_null(strstr(es, "0x0033"));
	/* To SEV-SNP on a host that runs it: the element is written anew, type and all. */
	snp = apply(state, e->genoa, es, strlen(es), SEVSLOT_MODEL_SEV_SNP, NULL, 0);
	assert_non_null(strstr(snp, "  <launchSecurity type='sev-snp'>\n    <cbitpos>51</cbitpos>\n"
				    "    <reducedPhysBits>1</reducedPhysBits>\n"
				    "    <policy>0x00030000</policy>\n  </launchSecurity>\n"));
	/* A host that cannot run the model: -ENODEV, nothing written. */
	assert_null(apply(state, e->milan, xml, strlen(xml), SEVSLOT_MODEL_SEV_SNP, NULL, -ENODEV));
	free(snp);
	free(es);
	free(xml);
}

static void test_apply_refuses_what_must_not_change_by_itself(void **state)
{
	static const struct {
		const char *from, *to, *why;
		int err;
	} cases[] = {
		{ "machine='pc-q35-7.2'", "machine='pc-i440fx-7.2'", "machine.q35", -EINVAL },
		{ "<os firmware='efi'>", "<os>", "firmware.uefi", -EINVAL },
		{ "<devices>\n", "<devices>\n<disk device='cdrom'><target dev='hda' bus='ide'/></disk>\n",
		  "devices.ide", -EINVAL },
		{ "<devices>\n", "<devices>\n<hostdev mode='subsystem' type='pci'/>\n", "devices.hostdev",
		  -EINVAL },
		{ "<devices>", "<launchSecurity type='tdx'/><devices>", "not AMD SEV", -EINVAL },
		{ "<domain type='kvm'>", "<?xml version='1.0' encoding='ISO-8859-1'?><domain type='kvm'>",
		  "UTF-8", -ENOTSUP },
	};
	struct env *e = *state;
	char *base = domain("", "");

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *changed = replaced(base, cases[i].from, cases[i].to);

		assert_null(apply(state, e->milan, changed, strlen(changed), SEVSLOT_MODEL_SEV, NULL,
				  cases[i].err));
		if (strstr(sevslot_errmsg(e->ctx), cases[i].why) == NULL)
			fail_msg("case %zu: '%s' does not say '%s'", i, sevslot_errmsg(e->ctx),
				 cases[i].why);
		free(changed);
	}
	free(base);
}

/* ------------------------------------------------------------------ CLI */

static struct r_result cli(const char *root, const char *a1, const char *a2, const char *a3,
			   const char *a4)
{
	char bin[512];
	const char *argv[] = { bin, "--sysroot", root, a1, a2, a3, a4, NULL };

	r_build_path(bin, sizeof(bin), "sevslot");
	return r_run(argv);
}

/* Run the CLI with `input` on its stdin. */
static struct r_result cli_stdin(const char *input, size_t len, const char *const argv[])
{
	char path[] = "/tmp/sevslot-stdin-XXXXXX";
	int fd = mkstemp(path), saved = dup(0);
	struct r_result r;

	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(write(fd, input, len), (ssize_t)len);
	lseek(fd, 0, SEEK_SET);
	dup2(fd, 0);
	r = r_run(argv);
	dup2(saved, 0);
	close(saved);
	close(fd);
	unlink(path);
	return r;
}

static void test_cli_domain_check_exit_codes_and_json(void **state)
{
	struct r_result r;
	json_object *doc, *findings, *f;

	(void)state;
	r = cli(MILAN, "domain", "check", DOMAINS "expected/nova-instance.amd-sev.xml", NULL);
	assert_exit(r, 0);
	assert_contains(r.out, "ok: instance-0000002a can run as an amd-sev guest on this host");
	assert_string_equal(r.err, "");
	r_free(&r);

	r = cli(MILAN, "domain", "check", DOMAINS "nova-instance.xml", "--json");
	assert_exit(r, 65);
	doc = json_tokener_parse(r.out);
	assert_non_null(doc);
	assert_false(json_object_get_boolean(json_object_object_get(doc, "ok")));
	assert_true(json_object_is_type(json_object_object_get(doc, "model"), json_type_null));
	findings = json_object_object_get(doc, "findings");
	f = json_object_array_get_idx(findings, 0);
	assert_string_equal(json_object_get_string(json_object_object_get(f, "rule")),
			    "launch_security.present");
	assert_string_equal(json_object_get_string(json_object_object_get(f, "severity")), "error");
	json_object_put(doc);
	/* The failure itself is one line on stderr. */
	assert_non_null(strchr(r.err, '\n'));
	assert_string_equal(strchr(r.err, '\n'), "\n");
	r_free(&r);

	r = cli(MILAN, "domain", "check", DOMAINS "nova-instance.xml", "--model=amd-sev-snp");
	assert_exit(r, 69);
	assert_contains(r.err, "cannot run amd-sev-snp guests");
	r_free(&r);

	r = cli(MILAN, "domain", "check", "/nonexistent/vm.xml", NULL);
	assert_exit(r, 66);
	assert_string_equal(r.out, "");
	assert_contains(r.err, "/nonexistent/vm.xml");
	r_free(&r);

	r = cli(MILAN, "domain", "check", "tests/fixtures/hosts/epyc-7313-milan/SOURCE.md", NULL);
	assert_exit(r, 65);
	assert_contains(r.err, "line 1");
	r_free(&r);

	r = cli(MILAN, "domain", NULL, NULL, NULL);
	assert_exit(r, 64);
	assert_contains(r.err, "expected 'check' or 'apply'");
	r_free(&r);
	r = cli(MILAN, "domain", "--help", NULL, NULL);
	assert_exit(r, 0);
	assert_contains(r.out, "domain apply");
	r_free(&r);
}

static void test_cli_domain_apply_pipes_exact_bytes(void **state)
{
	static const char plain[] = "<domain><memory>1</memory><os firmware='efi'><type machine='q35'>"
				    "hvm</type></os><devices/></domain>";
	char bin[512];
	const char *argv[] = { bin, "--sysroot", MILAN, "domain", "apply", "--model", "amd-sev",
			       NULL };
	const char *json_argv[] = { bin, "--sysroot", MILAN, "--json", "domain", "apply",
				    "--model", "amd-sev-es", "-", NULL };
	struct r_result r;
	char *want;
	size_t len;

	(void)state;
	r_build_path(bin, sizeof(bin), "sevslot");
	/* No newline at the end in, none added out. */
	r = cli_stdin(plain, strlen(plain), argv);
	assert_exit(r, 0);
	assert_string_equal(r.out, "<domain><memory>1</memory><memoryBacking><locked/></memoryBacking>"
			    "<os firmware='efi'><type machine='q35'>hvm</type></os><devices/>"
			    "<launchSecurity type='sev'><cbitpos>51</cbitpos><reducedPhysBits>1"
			    "</reducedPhysBits><policy>0x0033</policy></launchSecurity></domain>");
	assert_string_equal(r.err, "");
	r_free(&r);

	want = h_read_file(DOMAINS "expected/virt-install-dumpxml.amd-sev.xml", &len);
	r = cli_stdin(want, len, json_argv);
	assert_exit(r, 0);
	assert_contains(r.out, "\"changed\": true");
	assert_contains(r.out, "<policy>0x0037</policy>");
	r_free(&r);
	free(want);

	/* Refused: nothing on stdout, one line on stderr, 65. */
	r = cli_stdin("<domain><os><type machine='pc'>hvm</type></os></domain>", 56, argv);
	assert_exit(r, 65);
	assert_string_equal(r.out, "");
	assert_contains(r.err, "machine.q35");
	assert_string_equal(strchr(r.err, '\n'), "\n");
	r_free(&r);

	argv[5] = NULL;  /* no --model */
	r = cli_stdin(plain, strlen(plain), argv);
	assert_exit(r, 64);
	assert_contains(r.err, "--model MODEL is required");
	r_free(&r);
}

/* domain check, domain apply and the hook under valgrind: no leak, no invalid access. */
static void test_cli_valgrind_finds_nothing(void **state)
{
	static const struct {
		const char *in;
		const char *args[8];
		int code;
	} runs[] = {
		{ NULL, { "domain", "check", DOMAINS "nova-instance.xml", NULL }, 65 },
		{ NULL, { "domain", "check", "--json", DOMAINS "expected/nova-instance.amd-sev.xml", NULL }, 0 },
		{ NULL, { "domain", "apply", "--model", "amd-sev-es", DOMAINS "virt-install.xml", NULL }, 0 },
		{ NULL, { "domain", "apply", "--model", "amd-sev", "tests/fixtures/domains/SOURCE.md", NULL }, 65 },
		{ DOMAINS "expected/virt-install.amd-sev.xml",
		  { "libvirt-hook", "web-2", "prepare", "begin", "-", NULL }, 0 },
		{ DOMAINS "expected/virt-install.amd-sev.xml",
		  { "libvirt-hook", "web-2", "release", "end", "-", NULL }, 0 },
		{ DOMAINS "virt-install.xml", { "libvirt-hook", "web-2", "prepare", "begin", "-", NULL }, 0 },
		{ DOMAINS "expected/virt-install.amd-sev.xml",
		  { "libvirt-hook", "web-2", "migrate", "begin", "-", NULL }, 69 },
	};
	char bin[512], *dir, ledger[600];

	(void)state;
#if defined(__SANITIZE_ADDRESS__) /* gcc */
	skip(); /* valgrind cannot run an AddressSanitizer build */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	skip();
#endif
#endif
	if (system("valgrind --version >/dev/null 2>&1") != 0) {
		print_message("valgrind not installed: skipping the leak check\n");
		skip();
	}
	r_build_path(bin, sizeof(bin), "sevslot");
	dir = h_tmpdir();
	snprintf(ledger, sizeof(ledger), "%s/ledger.db", dir);
	for (size_t i = 0; i < ARRAY_SIZE(runs); i++) {
		const char *argv[20] = { "/usr/bin/valgrind", "-q", "--leak-check=full",
					 "--show-leak-kinds=definite,indirect,possible",
					 "--errors-for-leak-kinds=definite,indirect,possible",
					 "--error-exitcode=99", bin, "--sysroot", MILAN, "--ledger", ledger };
		size_t n = 11, len = 0;
		struct r_result r;
		char *in = runs[i].in != NULL ? h_read_file(runs[i].in, &len) : strdup("");

		for (size_t a = 0; runs[i].args[a] != NULL; a++)
			argv[n++] = runs[i].args[a];
		argv[n] = NULL;
		r = cli_stdin(in, len, argv);
		if (r.code != runs[i].code)
			fail_msg("valgrind sevslot %s %s: exit %d, expected %d\n%s", runs[i].args[0],
				 runs[i].args[1], r.code, runs[i].code, r.err);
		r_free(&r);
		free(in);
	}
	h_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_untrusted_xml_is_refused_with_one_line),
		cmocka_unit_test(test_model_comes_from_launch_security),
		cmocka_unit_test(test_real_domains_name_every_virtio_device),
		cmocka_unit_test(test_each_rule_names_what_breaks_it),
		cmocka_unit_test(test_machine_and_firmware_rules),
		cmocka_unit_test(test_the_host_stack_decides_iommu_severity_and_firmware),
		cmocka_unit_test(test_apply_real_domains_gives_the_goldens_and_is_idempotent),
		cmocka_unit_test(test_apply_keeps_what_it_does_not_edit),
		cmocka_unit_test(test_apply_switches_the_model),
		cmocka_unit_test(test_apply_refuses_what_must_not_change_by_itself),
		cmocka_unit_test(test_cli_domain_check_exit_codes_and_json),
		cmocka_unit_test(test_cli_domain_apply_pipes_exact_bytes),
		cmocka_unit_test(test_cli_valgrind_finds_nothing),
	};

	return cmocka_run_group_tests_name("domain", tests, setup, teardown);
}
