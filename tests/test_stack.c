/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The userspace stack in the probe: QEMU's firmware descriptors (what each
 * can boot, by libvirt's matching; QEMU's precedence between /usr/share and
 * /etc; untrusted bytes), the emulator's presence and its version from
 * dpkg's status file, and `ready` per model. A broken descriptor is a failed
 * check, never a failed probe.
 */
#include "harness.h"

#include "probe.h"
#include "run.h"

#define MILAN "tests/fixtures/hosts/epyc-7313-milan"
#define GENOA_SNP "tests/fixtures/hosts/epyc-9124-genoa-snp"
#define DEBIAN_OVMF "tests/fixtures/hosts/epyc-7313-milan-debian12/usr/share/qemu/firmware/"
#define DPKG_QEMU72 "tests/fixtures/hosts/epyc-7313-milan-debian12/var/lib/dpkg/status"

/* A descriptor with these interface, device (and mode), machines and features. */
static char *descriptor(const char *iface, const char *mapping, const char *machines,
			const char *features)
{
	char *s;

	assert_true(asprintf(&s, "{ \"interface-types\": [ \"%s\" ], \"mapping\": { %s },"
			     " \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ %s ] } ],"
			     " \"features\": [ %s ], \"tags\": [] }", iface, mapping, machines,
			     features) > 0);
	return s;
}

#define FLASH "\"device\": \"flash\", \"executable\": { \"filename\": \"/x.fd\", \"format\": \"raw\" }"
#define MEMORY "\"device\": \"memory\", \"filename\": \"/usr/share/ovmf/OVMF.amdsev.fd\""

static int parse(const char *text, struct sv_fw_desc *d, char *why)
{
	return sv_fw_desc_parse(text, strlen(text), d, why, 192);
}

static void test_debian_ovmf_descriptors_offer_amd_sev_only(void **state)
{
	static const char *const names[] = { "40-edk2-x86_64-secure-enrolled.json",
					     "50-edk2-x86_64-secure.json", "60-edk2-x86_64.json" };
	char path[256], why[192];

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct sv_fw_desc d;
		size_t len;
		char *text;

		snprintf(path, sizeof(path), DEBIAN_OVMF "%s", names[i]);
		text = h_read_file(path, &len);
		assert_int_equal(sv_fw_desc_parse(text, len, &d, why, sizeof(why)), 0);
		assert_true(d.boots[SEVSLOT_MODEL_SEV]);
		assert_false(d.boots[SEVSLOT_MODEL_SEV_ES]);
		assert_false(d.boots[SEVSLOT_MODEL_SEV_SNP]);
		assert_string_equal(d.device, "flash");
		assert_string_equal(d.features[0], "acpi-s3");
		sv_fw_desc_release(&d);
		free(text);
	}
}

/* libvirt's qemuFirmwareMatchDomain: SEV-ES (policy bit 2) needs amd-sev and amd-sev-es. */
static void test_descriptor_matching_follows_libvirt(void **state)
{
	static const struct {
		const char *iface, *mapping, *machines, *features;
		bool sev, es, snp;
	} cases[] = {
		{ "uefi", FLASH, "\"pc-q35-*\"", "\"amd-sev\", \"amd-sev-es\"", true, true, false },
		{ "uefi", FLASH, "\"pc-q35-*\"", "\"amd-sev-es\"", false, false, false },
		/* SNP boots stateless firmware through -bios: a memory mapping, never pflash. */
		{ "uefi", FLASH, "\"pc-q35-*\"", "\"amd-sev\", \"amd-sev-snp\"", true, false, false },
		{ "uefi", MEMORY, "\"pc-q35-*\"", "\"amd-sev\", \"amd-sev-es\", \"amd-sev-snp\"", true,
		  true, true },
		/* libvirt discards flash that is not split. */
		{ "uefi", FLASH ", \"mode\": \"combined\"", "\"pc-q35-*\"", "\"amd-sev\"", false, false,
		  false },
		{ "uefi", FLASH ", \"mode\": \"split\"", "\"pc-q35-*\"", "\"amd-sev\"", true, false, false },
		/* An i440fx-only build cannot boot a q35 guest; BIOS is not UEFI. */
		{ "uefi", FLASH, "\"pc-i440fx-*\"", "\"amd-sev\"", false, false, false },
		{ "bios", FLASH, "\"pc-q35-*\"", "\"amd-sev\"", false, false, false },
		{ "uefi", FLASH, "\"pc-i440fx-*\", \"pc-q35-*\"", "\"amd-sev\"", true, false, false },
	};
	char why[192];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *text = descriptor(cases[i].iface, cases[i].mapping, cases[i].machines,
					cases[i].features);
		struct sv_fw_desc d;

		if (parse(text, &d, why) != 0)
			fail_msg("case %zu: %s", i, why);
		if (d.boots[SEVSLOT_MODEL_SEV] != cases[i].sev ||
		    d.boots[SEVSLOT_MODEL_SEV_ES] != cases[i].es ||
		    d.boots[SEVSLOT_MODEL_SEV_SNP] != cases[i].snp)
			fail_msg("case %zu: boots %d %d %d", i, d.boots[0], d.boots[1], d.boots[2]);
		sv_fw_desc_release(&d);
		free(text);
	}
}

static void test_descriptor_that_is_not_one_is_refused_with_the_reason(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "", "not JSON" },
		{ "{ \"interface-types\": [ \"uefi\" ]", "ends early" },
		{ "[ 1, 2 ]", "not a JSON object" },
		{ "{ } trailing", "not JSON" },
		{ "{ } { }", "not JSON" },
		{ "{ \"interface-types\": [ \"uefi\" ], \"mapping\": { \"device\": \"flash\" }, "
		  "\"targets\": [], \"features\": \"amd-sev\" }", "'features' is not an array" },
		{ "{ \"interface-types\": [ \"uefi\" ], \"mapping\": { \"device\": \"flash\" }, "
		  "\"targets\": [], \"features\": [ 7 ] }", "'features' is not an array of strings" },
		{ "{ \"interface-types\": [ \"uefi\" ], \"mapping\": { \"device\": 1 }, "
		  "\"targets\": [], \"features\": [] }", "mapping.device' is not a string" },
		{ "{ \"interface-types\": [ \"uefi\" ], \"targets\": [], \"features\": [] }",
		  "'mapping' is missing" },
		{ "{ \"interface-types\": [ \"uefi\" ], \"mapping\": { \"device\": \"flash\" }, "
		  "\"targets\": [ 3 ], \"features\": [] }", "targets[0] is not an object" },
		{ "{ \"interface-types\": [ \"uefi\" ], \"mapping\": { \"device\": \"flash\" }, "
		  "\"targets\": [ { \"architecture\": \"x86_64\" } ], \"features\": [] }",
		  "'machines' is missing" },
		{ "{ \"interface-types\": [ \"uefi\" ], \"mapping\": { \"device\": \"flash\" }, "
		  "\"targets\": [], \"features\": [ \"amd\\u0007sev\" ] }", "not printable" },
		{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "not JSON" },
		{ "{ \"a\": 1, } ", "not JSON" },
	};
	char why[192];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sv_fw_desc d;

		assert_int_equal(parse(cases[i].text, &d, why), -EBADMSG);
		if (strstr(why, cases[i].why) == NULL)
			fail_msg("case %zu: '%s' does not say '%s'", i, why, cases[i].why);
	}
}

static void test_dpkg_version_of_installed_qemu_only(void **state)
{
	static const char status[] =
		"Package: qemu-system-x86\nStatus: deinstall ok config-files\nVersion: 1:6.2+dfsg-1\n\n"
		"Package: qemu-system-x86-microvm\nStatus: install ok installed\nVersion: 9:9.9\n\n"
		"Package: qemu-system-x86\nStatus: install ok installed\nArchitecture: amd64\n"
		"Version: 1:7.2+dfsg-7+deb12u18+b3\n";
	static const struct {
		const char *debian, *upstream;
	} versions[] = {
		{ "1:7.2+dfsg-7+deb12u18+b3", "7.2" }, { "1:8.2.2+ds-0ubuntu1.4", "8.2.2" },
		{ "9.1.0-1", "9.1.0" }, { "10.0.2+ds-2", "10.0.2" },
	};
	char buf[64];
	size_t at, len;

	(void)state;
	assert_int_equal(sv_dpkg_stanza(status, strlen(status), "qemu-system-x86", &at, &len), 0);
	assert_true(sv_dpkg_field(status + at, len, "Version", buf, sizeof(buf)));
	assert_string_equal(buf, "1:7.2+dfsg-7+deb12u18+b3");
	assert_int_equal(sv_dpkg_stanza(status, strlen(status), "qemu-kvm", &at, &len), -ENOENT);
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++) {
		assert_int_equal(sv_upstream_version(versions[i].debian, buf, sizeof(buf)), 0);
		assert_string_equal(buf, versions[i].upstream);
	}
	assert_int_equal(sv_upstream_version("+dfsg", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sv_qemu_version_at_least("7.2", 9, 1), 0);
	assert_int_equal(sv_qemu_version_at_least("9.1", 9, 1), 1);
	assert_int_equal(sv_qemu_version_at_least("9.0.2", 9, 1), 0);
	assert_int_equal(sv_qemu_version_at_least("10.0", 9, 1), 1);
	assert_int_equal(sv_qemu_version_at_least(NULL, 9, 1), -1);
	assert_int_equal(sv_qemu_version_at_least("x", 9, 1), -1);
}

/* ---------------------------------------------------------- whole probes */

static void copy_tree(const char *from, const char *to)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cp -a '%s'/. '%s'/", from, to);
	assert_int_equal(system(cmd), 0);
}

static struct sevslot_host *probe(const char *root, struct sevslot_ctx **ctx)
{
	struct sevslot_host *host;

	assert_int_equal(sevslot_new(ctx, root), 0);
	assert_int_equal(sevslot_probe(*ctx, 0, &host), 0);
	return host;
}

static const struct sevslot_check *check(const struct sevslot_host *h, const char *id)
{
	for (size_t i = 0; i < h->n_checks; i++)
		if (strcmp(h->checks[i].id, id) == 0)
			return &h->checks[i];
	return NULL;
}

/*
 * A status file of 3000 packages around QEMU's ("a0000".."a1499", QEMU's,
 * "z0000".."z1499"), each stanza about 330 bytes: sorted as dpkg writes it,
 * or with QEMU's stanza first (out of order).
 */
static char *big_status(bool sorted, size_t *len)
{
	static const char qemu[] = "Package: qemu-system-x86\nStatus: install ok installed\n"
				   "Version: 1:7.2+dfsg-7+deb12u18+b3\n\n";
	size_t cap = 3000 * 400 + sizeof(qemu), n = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	if (!sorted)
		n += (size_t)snprintf(s + n, cap - n, "%s", qemu);
	for (int i = 0; i < 3000; i++) {
		if (sorted && i == 1500)
			n += (size_t)snprintf(s + n, cap - n, "%s", qemu);
		n += (size_t)snprintf(s + n, cap - n, "Package: %c%04d\nStatus: install ok installed\n"
				      "Version: 1.0-1\nDescription: %0256d\n\n", i < 1500 ? 'a' : 'z',
				      i % 1500, i);
	}
	*len = n;
	return s;
}

/* dpkg's file is sorted by name: a binary search reads a few kilobytes of a megabyte. */
static void test_dpkg_status_is_searched_not_read_whole(void **state)
{
	char *root = h_tmpdir(), path[512], *status;
	struct sevslot_ctx *ctx;
	struct sevslot_host *h;
	size_t len, from, to, at, slen;
	int fd;

	(void)state;
	status = big_status(true, &len);
	assert_true(len > 900000);
	h_write(root, "status", status, len);
	snprintf(path, sizeof(path), "%s/status", root);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(sv_dpkg_narrow(fd, len, SV_DPKG_QEMU, &from, &to), 0);
	assert_true(to - from <= 48 * 1024);
	assert_int_equal(sv_dpkg_stanza(status + from, to - from, SV_DPKG_QEMU, &at, &slen), 0);
	/* Absent: the search ends somewhere, with no stanza of it. */
	assert_int_equal(sv_dpkg_narrow(fd, len, "m0000", &from, &to), 0);
	assert_int_equal(sv_dpkg_stanza(status + from, to - from, "m0000", &at, &slen), -ENOENT);
	close(fd);
	free(status);

	/* Through a probe: sorted, and out of order (where the search misses it). */
	copy_tree(MILAN, root);
	h_puts(root, "usr/bin/qemu-system-x86_64", "");
	for (int sorted = 1; sorted >= 0; sorted--) {
		status = big_status(sorted, &len);
		h_write(root, "var/lib/dpkg/status", status, len);
		if (!sorted) {
			snprintf(path, sizeof(path), "%s/var/lib/dpkg/status", root);
			fd = open(path, O_RDONLY);
			assert_int_equal(sv_dpkg_narrow(fd, len, SV_DPKG_QEMU, &from, &to), 0);
			assert_int_equal(sv_dpkg_stanza(status + from, to - from, SV_DPKG_QEMU, &at,
							&slen), -ENOENT);
			close(fd);
		}
		h = probe(root, &ctx);
		assert_string_equal(h->stack.qemu_version, "7.2");
		sevslot_host_free(h);
		sevslot_free(ctx);
		free(status);
	}
	h_rmtree(root);
}

static void test_etc_replaces_its_namesake_and_an_empty_file_hides_it(void **state)
{
	char *root = h_tmpdir(), *es = descriptor("uefi", FLASH, "\"pc-q35-*\"",
						   "\"amd-sev\", \"amd-sev-es\"");
	char *sev = descriptor("uefi", FLASH, "\"pc-q35-*\"", "\"amd-sev\"");
	struct sevslot_ctx *ctx;
	struct sevslot_host *h;
	const struct sevslot_stack *st;

	(void)state;
	copy_tree(MILAN, root);
	h_puts(root, "usr/bin/qemu-system-x86_64", "");
	h_puts(root, "usr/share/qemu/firmware/10-a.json", sev);
	h_puts(root, "usr/share/qemu/firmware/20-b.json", sev);
	h_puts(root, "usr/share/qemu/firmware/30-c.json", sev);
	h_puts(root, "usr/share/qemu/firmware/README", "not a descriptor");
	h_puts(root, "usr/share/qemu/firmware/.hidden.json", "{");
	h_puts(root, "etc/qemu/firmware/20-b.json", "");     /* hides b */
	h_puts(root, "etc/qemu/firmware/30-c.json", es);     /* replaces c */
	h_puts(root, "etc/qemu/firmware/05-d.json", sev);    /* sorts first */
	h = probe(root, &ctx);
	st = &h->stack;
	assert_true(st->probed);
	assert_int_equal(st->n_firmware, 3);
	assert_string_equal(st->firmware[0].path, "/etc/qemu/firmware/05-d.json");
	assert_string_equal(st->firmware[1].path, "/usr/share/qemu/firmware/10-a.json");
	assert_string_equal(st->firmware[2].path, "/etc/qemu/firmware/30-c.json");
	assert_true(st->firmware[2].boots[SEVSLOT_MODEL_SEV_ES]);
	assert_true(st->ready[SEVSLOT_MODEL_SEV]);
	assert_true(st->ready[SEVSLOT_MODEL_SEV_ES]);
	assert_false(st->ready[SEVSLOT_MODEL_SEV_SNP]); /* not usable on Milan at all */
	assert_null(check(h, "stack.descriptor"));
	sevslot_host_free(h);
	sevslot_free(ctx);
	free(es);
	free(sev);
	h_rmtree(root);
}

static void test_broken_descriptor_is_a_failed_check_not_a_failed_probe(void **state)
{
	char *root = h_tmpdir(), *sev = descriptor("uefi", FLASH, "\"pc-q35-*\"", "\"amd-sev\"");
	struct sevslot_ctx *ctx;
	struct sevslot_host *h;
	const struct sevslot_check *c;

	(void)state;
	copy_tree(MILAN, root);
	h_puts(root, "usr/bin/qemu-system-x86_64", "");
	h_puts(root, "usr/share/qemu/firmware/50-good.json", sev);
	h_puts(root, "etc/qemu/firmware/70-bad.json", "{ \"interface-types\": ");
	h = probe(root, &ctx);
	assert_true(h->usable);
	assert_int_equal(h->stack.n_firmware, 1);
	c = check(h, "stack.descriptor");
	assert_non_null(c);
	assert_int_equal(c->status, SEVSLOT_FAIL);
	assert_contains(c->message, "/etc/qemu/firmware/70-bad.json: not JSON");
	assert_non_null(c->hint);
	assert_true(h->stack.ready[SEVSLOT_MODEL_SEV]);
	sevslot_host_free(h);
	sevslot_free(ctx);
	free(sev);
	h_rmtree(root);
}

/*
 * Under a sysroot a symlink may not lead out of it: a descriptor that points
 * out of the recorded host is not read from this machine (a relative one
 * that stays inside is followed, as libvirt would). A FIFO is no regular
 * file: left out, without hanging the probe.
 */
static void test_symlinks_stay_in_the_sysroot_and_a_fifo_is_left_out(void **state)
{
	char *root = h_tmpdir(), *outside = h_tmpdir(), link[512], target[512], fifo[512];
	char *sev = descriptor("uefi", FLASH, "\"pc-q35-*\"", "\"amd-sev\"");
	struct sevslot_ctx *ctx;
	struct sevslot_host *h;

	(void)state;
	copy_tree(MILAN, root);
	h_puts(outside, "escape.json", sev);
	h_puts(root, "etc/qemu/firmware/.keep", "");
	snprintf(target, sizeof(target), "%s/escape.json", outside);
	snprintf(link, sizeof(link), "%s/etc/qemu/firmware/10-escape.json", root);
	assert_int_equal(symlink(target, link), 0);
	snprintf(fifo, sizeof(fifo), "%s/etc/qemu/firmware/20-fifo.json", root);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	h_puts(root, "usr/share/edk2/30-inside.json", sev);
	snprintf(link, sizeof(link), "%s/etc/qemu/firmware/30-inside.json", root);
	assert_int_equal(symlink("../../../usr/share/edk2/30-inside.json", link), 0);
	h = probe(root, &ctx);
	assert_int_equal(h->stack.n_firmware, 1);
	assert_string_equal(h->stack.firmware[0].path, "/etc/qemu/firmware/30-inside.json");
	assert_non_null(check(h, "stack.descriptor"));   /* the escaping one could not be read */
	assert_contains(check(h, "stack.descriptor")->message, "10-escape.json: cannot be read");
	sevslot_host_free(h);
	sevslot_free(ctx);
	free(sev);
	h_rmtree(outside);
	h_rmtree(root);
}

/* SEV-SNP needs QEMU 9.1 (qapi/qom.json: SevSnpGuestProperties, "Since: 9.1"). */
static void test_snp_is_not_ready_on_qemu_older_than_9_1(void **state)
{
	char *root = h_tmpdir(), *snp = descriptor("uefi", MEMORY, "\"pc-q35-*\"",
						    "\"amd-sev\", \"amd-sev-es\", \"amd-sev-snp\"");
	struct sevslot_ctx *ctx;
	struct sevslot_host *h;
	const struct sevslot_check *c;
	size_t len;
	char *dpkg;

	(void)state;
	copy_tree(GENOA_SNP, root);
	h_puts(root, "usr/bin/qemu-system-x86_64", "");
	h_puts(root, "usr/share/qemu/firmware/60-amdsev.json", snp);
	dpkg = h_read_file(DPKG_QEMU72, &len);
	h_write(root, "var/lib/dpkg/status", dpkg, len);
	h = probe(root, &ctx);
	assert_true(h->models[SEVSLOT_MODEL_SEV_SNP].usable);
	assert_string_equal(h->stack.qemu_version, "7.2");
	assert_false(h->stack.ready[SEVSLOT_MODEL_SEV_SNP]);
	assert_true(h->stack.ready[SEVSLOT_MODEL_SEV]);
	c = check(h, "stack.qemu_sev_snp");
	assert_non_null(c);
	assert_int_equal(c->status, SEVSLOT_FAIL);
	assert_string_equal(c->message, "QEMU 7.2 predates amd-sev-snp guests (QEMU 9.1)");
	assert_contains(c->hint, "9.1");
	/* Without a version (no dpkg record), SNP is not held back. */
	sevslot_host_free(h);
	sevslot_free(ctx);
	h_puts(root, "var/lib/dpkg/status", "Package: other\nStatus: install ok installed\n");
	h = probe(root, &ctx);
	assert_null(h->stack.qemu_version);
	assert_true(h->stack.ready[SEVSLOT_MODEL_SEV_SNP]);
	sevslot_host_free(h);
	sevslot_free(ctx);
	free(dpkg);
	free(snp);
	h_rmtree(root);
}

/* No emulator: dpkg's file is not even read, and nothing is ready. */
static void test_without_qemu_nothing_is_ready_and_stack_never_changes_usable(void **state)
{
	char *root = h_tmpdir(), *sev = descriptor("uefi", FLASH, "\"pc-q35-*\"", "\"amd-sev\"");
	struct sevslot_ctx *ctx;
	struct sevslot_host *h;
	size_t len;
	char *dpkg;

	(void)state;
	copy_tree(MILAN, root);
	h_puts(root, "usr/share/qemu/firmware/50-good.json", sev);
	dpkg = h_read_file(DPKG_QEMU72, &len);
	h_write(root, "var/lib/dpkg/status", dpkg, len);
	h = probe(root, &ctx);
	assert_true(h->usable);
	assert_null(h->stack.qemu_path);
	assert_null(h->stack.qemu_version);
	assert_false(h->stack.ready[SEVSLOT_MODEL_SEV]);
	assert_int_equal(check(h, "stack.qemu")->status, SEVSLOT_FAIL);
	sevslot_host_free(h);
	sevslot_free(ctx);
	/* The capacity probe (the allocate path) reads no stack at all. */
	assert_int_equal(sevslot_new(&ctx, root), 0);
	assert_int_equal(sevslot_probe(ctx, SEVSLOT_PROBE_CAPACITY, &h), 0);
	assert_false(h->stack.probed);
	assert_null(check(h, "stack.qemu"));
	sevslot_host_free(h);
	sevslot_free(ctx);
	free(dpkg);
	free(sev);
	h_rmtree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_ovmf_descriptors_offer_amd_sev_only),
		cmocka_unit_test(test_descriptor_matching_follows_libvirt),
		cmocka_unit_test(test_descriptor_that_is_not_one_is_refused_with_the_reason),
		cmocka_unit_test(test_dpkg_version_of_installed_qemu_only),
		cmocka_unit_test(test_dpkg_status_is_searched_not_read_whole),
		cmocka_unit_test(test_etc_replaces_its_namesake_and_an_empty_file_hides_it),
		cmocka_unit_test(test_broken_descriptor_is_a_failed_check_not_a_failed_probe),
		cmocka_unit_test(test_symlinks_stay_in_the_sysroot_and_a_fifo_is_left_out),
		cmocka_unit_test(test_snp_is_not_ready_on_qemu_older_than_9_1),
		cmocka_unit_test(test_without_qemu_nothing_is_ready_and_stack_never_changes_usable),
	};

	return cmocka_run_group_tests_name("stack", tests, NULL, NULL);
}
