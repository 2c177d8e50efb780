/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bad input through the whole probe: temporary sysroots holding the Milan
 * fixture's files, one of them broken. Each must fail with -EBADMSG and a
 * message that names the file; nothing may read past its buffer (the
 * sanitizer build runs these too).
 */
#include "harness.h"

#include <signal.h>

#include "output.h"
#include "probe.h"
#include "run.h"

#define CPUID_MILAN                                                                         \
	"CPU:\n"                                                                            \
	"   0x00000000 0x00: eax=0x00000010 ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n" \
	"   0x00000001 0x00: eax=0x00a00f11 ebx=0x00200800 ecx=0x7ef8320b edx=0x178bfbff\n" \
	"   0x80000000 0x00: eax=0x80000023 ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n" \
	"   0x8000001f 0x00: eax=0x0001007f ebx=0x00004173 ecx=0x000001fd edx=0x00000008\n"

#define PARAMS "sys/module/kvm_amd/parameters/"

/* A sysroot that probes cleanly: the Milan 7313 fixture, file by file. */
static char *milan_root(void)
{
	char *root = h_tmpdir();

	h_puts(root, "dev/cpu/0/cpuid", CPUID_MILAN);
	h_puts(root, "dev/cpu/0/msr", "0xc0010010 0x3fc0000\n");
	h_puts(root, "dev/sev", "PLATFORM_STATUS 0 0 013401000000000400000000\n");
	h_puts(root, "dev/kvm", "");
	h_puts(root, PARAMS "sev", "Y\n");
	h_puts(root, PARAMS "sev_es", "Y\n");
	h_puts(root, "sys/fs/cgroup/misc.capacity", "sev 502\nsev_es 7\n");
	h_puts(root, "proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu sme sev sev_es sev_snp\n\n");
	h_puts(root, "proc/sys/kernel/osrelease", "6.2.14-300.fc38.x86_64\n");
	h_puts(root, "proc/self/limits",
	       "Max locked memory         8388608              8388608              bytes\n");
	return root;
}

/* Write `len` bytes of `c` to root/rel. */
static void fill(const char *root, const char *rel, char c, size_t len)
{
	char *data = malloc(len);

	assert_non_null(data);
	memset(data, c, len);
	h_write(root, rel, data, len);
	free(data);
}

static int probe(const char *root, struct sevslot_host **host, char *msg, size_t msglen)
{
	struct sevslot_ctx *ctx;
	int err;

	assert_int_equal(sevslot_new(&ctx, root), 0);
	err = sevslot_probe(ctx, 0, host);
	snprintf(msg, msglen, "%s", sevslot_errmsg(ctx));
	sevslot_free(ctx);
	return err;
}

/* The probe of root must fail with -EBADMSG, naming root/rel and `why`. */
static void expect_bad(const char *root, const char *rel, const char *why)
{
	struct sevslot_host *host = (struct sevslot_host *)1;
	char msg[512], path[512];
	int err = probe(root, &host, msg, sizeof(msg));

	if (err != -EBADMSG)
		fail_msg("probe with a broken %s returned %d (%s), want -EBADMSG", rel, err, msg);
	assert_null(host);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_contains(msg, path);
	assert_contains(msg, why);
}

static void test_probe_of_the_milan_sysroot_succeeds(void **state)
{
	char *root = milan_root();
	struct sevslot_host *host;
	char msg[512];

	(void)state;
	assert_int_equal(probe(root, &host, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_true(host->usable);
	assert_int_equal(host->cpu.max_asid, 509);
	assert_int_equal(host->kernel.sev, SEVSLOT_PARAM_Y);
	assert_int_equal(host->kernel.sev_snp, SEVSLOT_PARAM_ABSENT);
	assert_int_equal(host->kernel.misc_capacity[SEVSLOT_POOL_SEV], 502);
	assert_int_equal(host->kernel.syscfg, 0x3fc0000);
	assert_int_equal(host->kernel.memlock_cur, 8388608);
	assert_true(host->fw.status_ok);
	assert_int_equal(host->fw.api_minor, 52);
	assert_int_equal(host->fw.snp_error, -EINVAL);
	assert_string_equal(host->kernel.osrelease, "6.2.14-300.fc38.x86_64");
	sevslot_host_free(host);
	h_rmtree(root);
}

static void test_probe_of_an_empty_sysroot_is_not_an_error(void **state)
{
	char *root = h_tmpdir();
	struct sevslot_host *host;
	char msg[512];

	(void)state;
	/* Missing sources are facts to report, not failures. */
	assert_int_equal(probe(root, &host, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_false(host->cpu.read);
	assert_false(host->kernel.kvm_amd);
	assert_int_equal(host->fw.open_error, -ENOENT);
	/* A sysroot without dev/cpu/0/msr did not record it: "not recorded". */
	assert_int_equal(host->kernel.msr_error, -ENODATA);
	assert_false(host->usable);
	sevslot_host_free(host);
	h_rmtree(root);
}

/* The one line DESIGN.md shows: leaf 0x8000001F alone is enough to judge SEV. */
static void test_probe_of_a_recording_with_only_the_sev_leaf(void **state)
{
	char *root = h_tmpdir();
	struct sevslot_host *host;
	char msg[512];

	(void)state;
	h_puts(root, "dev/cpu/0/cpuid",
	       "   0x8000001f 0x00: eax=0x0001007f ebx=0x00004173 ecx=0x000001fd edx=0x00000008\n");
	h_puts(root, PARAMS "sev", "Y\n");
	h_puts(root, "dev/sev", "PLATFORM_STATUS 0 0 013401000100000400000000\n");
	assert_int_equal(probe(root, &host, msg, sizeof(msg)), 0);
	assert_true(host->cpu.sev);
	assert_int_equal(host->pools[SEVSLOT_POOL_SEV].capacity, 502);
	assert_true(host->models[SEVSLOT_MODEL_SEV].usable);
	for (size_t i = 0; i < host->n_checks; i++) {
		if (strcmp(host->checks[i].id, "cpu.vendor") == 0)
			assert_int_equal(host->checks[i].status, SEVSLOT_UNKNOWN);
		if (strcmp(host->checks[i].id, "cpu.sev") == 0)
			assert_int_equal(host->checks[i].status, SEVSLOT_PASS);
	}
	sevslot_host_free(host);
	h_rmtree(root);
}

static void test_probe_rejects_1mib_sysfs_files(void **state)
{
	static const char *const files[] = {
		PARAMS "sev",
		PARAMS "sev_es",
		PARAMS "sev_snp",
		PARAMS "ciphertext_hiding_asids",
		"sys/fs/cgroup/misc.capacity",
		"sys/fs/cgroup/misc.current",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *root = milan_root();

		/* A mebibyte of 'Y': a prefix would parse, so only the size can catch it. */
		fill(root, files[i], 'Y', 1 << 20);
		expect_bad(root, files[i], "too large");
		h_rmtree(root);
	}
}

static void test_probe_rejects_1mib_cgroup_v1_misc_capacity(void **state)
{
	char *root = milan_root();
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/sys/fs/cgroup/misc.capacity", root);
	assert_int_equal(unlink(path), 0);
	fill(root, "sys/fs/cgroup/misc/misc.capacity", '7', 1 << 20);
	expect_bad(root, "sys/fs/cgroup/misc/misc.capacity", "too large");
	h_rmtree(root);
}

static void test_probe_rejects_oversized_recordings(void **state)
{
	static const struct {
		const char *rel;
		size_t len;
	} files[] = {
		{ "dev/cpu/0/cpuid", (1 << 20) + 1 },
		{ "dev/sev", (1 << 20) },
		{ "dev/cpu/0/msr", (1 << 20) },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *root = milan_root();

		/* Blank lines: valid in every format, so only the size can catch it. */
		fill(root, files[i].rel, '\n', files[i].len);
		expect_bad(root, files[i].rel, "larger than");
		h_rmtree(root);
	}
}

static void test_probe_rejects_garbage_kvm_params(void **state)
{
	static const struct {
		const char *rel, *text, *why;
	} cases[] = {
		{ PARAMS "sev", "maybe\n", "expected Y, N, 1 or 0" },
		{ PARAMS "sev", "", "expected Y, N, 1 or 0" },
		{ PARAMS "sev_es", "YY\n", "expected Y, N, 1 or 0" },
		{ PARAMS "sev_snp", "\x01\n", "expected Y, N, 1 or 0" },
		{ PARAMS "ciphertext_hiding_asids", "lots\n", "expected a number of ASIDs or 'max'" },
		{ PARAMS "ciphertext_hiding_asids", "4294967296\n", "expected a number" },
		{ "sys/fs/cgroup/misc.capacity", "sev 502\nsev_es seven\n", "line 2:" },
		{ "sys/fs/cgroup/misc.current", "garbage\n", "line 1:" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *root = milan_root();

		h_puts(root, cases[i].rel, cases[i].text);
		expect_bad(root, cases[i].rel, cases[i].why);
		h_rmtree(root);
	}
}

static void test_probe_rejects_recording_line_of_wrong_length(void **state)
{
	char *root = milan_root();

	(void)state;
	h_puts(root, "dev/sev",
	       "# recorded\nPLATFORM_STATUS 0 0 0134010000000004000000\n");
	expect_bad(root, "dev/sev", "line 2: PLATFORM_STATUS: data has 22 hex digits, expected 24");
	h_puts(root, "dev/sev",
	       "PLATFORM_STATUS 0 0 013401000000000400000000\nSNP_PLATFORM_STATUS 0 0 00\n");
	expect_bad(root, "dev/sev", "line 2: SNP_PLATFORM_STATUS: data has 2 hex digits, expected 64");
	h_rmtree(root);
}

static void test_probe_rejects_malformed_cpuid_and_msr_recordings(void **state)
{
	char *root = milan_root();

	(void)state;
	h_puts(root, "dev/cpu/0/cpuid",
	       "CPU:\n   0x8000001f 0x00: eax=0x0001007f ebx=0x00004173 ecx=0x000001fd\n");
	expect_bad(root, "dev/cpu/0/cpuid", "line 2:");
	h_puts(root, "dev/cpu/0/cpuid", CPUID_MILAN);
	h_puts(root, "dev/cpu/0/msr", "0xc0010010 3fc0000\n");
	expect_bad(root, "dev/cpu/0/msr", "line 1:");
	h_rmtree(root);
}

static void test_probe_rejects_cpuid_path_that_is_a_directory(void **state)
{
	char *root = milan_root();
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/dev/cpu/0/cpuid", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	expect_bad(root, "dev/cpu/0/cpuid", "neither a recording nor a device");
	h_rmtree(root);
}

static void on_alarm(int sig)
{
	(void)sig;
	/* Only async-signal-safe calls here. */
	static const char msg[] = "probe blocked on a FIFO in the sysroot\n";
	ssize_t n = write(2, msg, sizeof(msg) - 1);

	(void)n;
	_exit(1);
}

static void test_probe_does_not_block_on_a_fifo_in_the_sysroot(void **state)
{
	char *root = milan_root();
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/" PARAMS "sev", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0644), 0);
	signal(SIGALRM, on_alarm);
	alarm(10);
	/* Never read, writer or not: a FIFO is not a kernel attribute. */
	expect_bad(root, PARAMS "sev", "not a regular file");
	alarm(0);
	h_rmtree(root);
}

static void test_probe_clears_the_message_of_an_earlier_failure(void **state)
{
	char *root = milan_root();
	struct sevslot_ctx *ctx;
	struct sevslot_host *host;

	(void)state;
	h_puts(root, PARAMS "sev", "maybe\n");
	assert_int_equal(sevslot_new(&ctx, root), 0);
	assert_int_equal(sevslot_probe(ctx, 0, &host), -EBADMSG);
	assert_contains(sevslot_errmsg(ctx), "parameters/sev");
	h_puts(root, PARAMS "sev", "Y\n");
	assert_int_equal(sevslot_probe(ctx, 0, &host), 0);
	assert_string_equal(sevslot_errmsg(ctx), "");
	sevslot_host_free(host);
	sevslot_free(ctx);
	h_rmtree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_of_the_milan_sysroot_succeeds),
		cmocka_unit_test(test_probe_of_an_empty_sysroot_is_not_an_error),
		cmocka_unit_test(test_probe_of_a_recording_with_only_the_sev_leaf),
		cmocka_unit_test(test_probe_rejects_1mib_sysfs_files),
		cmocka_unit_test(test_probe_rejects_1mib_cgroup_v1_misc_capacity),
		cmocka_unit_test(test_probe_rejects_oversized_recordings),
		cmocka_unit_test(test_probe_rejects_garbage_kvm_params),
		cmocka_unit_test(test_probe_rejects_recording_line_of_wrong_length),
		cmocka_unit_test(test_probe_rejects_malformed_cpuid_and_msr_recordings),
		cmocka_unit_test(test_probe_rejects_cpuid_path_that_is_a_directory),
		cmocka_unit_test(test_probe_does_not_block_on_a_fifo_in_the_sysroot),
		cmocka_unit_test(test_probe_clears_the_message_of_an_earlier_failure),
	};

	return cmocka_run_group_tests_name("probe_input", tests, NULL, NULL);
}
