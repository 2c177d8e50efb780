/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/hw.sh (make check-hw) away from hardware: pointed at recorded hosts
 * through SEVSLOT_HW_SYSROOT, it must pass a consistent host, catch a kernel
 * that disagrees with the report, and skip in one line without /dev/sev.
 */
#include "harness.h"

#include <dirent.h>

#include "run.h"

#define HOSTS "tests/fixtures/hosts"
#define MILAN HOSTS "/epyc-7313-milan"
#define NAPLES HOSTS "/epyc-7551p-naples"
#define GENOA HOSTS "/epyc-9124-genoa-sm23" /* Linux 6.8: misc.current, SEV only */

static struct r_result hw(const char *sysroot)
{
	char bin[512], env[600];
	const char *argv[] = { "/bin/sh", "tests/hw.sh", bin, NULL };
	char *envp[] = { env, NULL };

	r_build_path(bin, sizeof(bin), "sevslot");
	snprintf(env, sizeof(env), "SEVSLOT_HW_SYSROOT=%s", sysroot);
	return r_run_env(argv, envp);
}

/* hw.sh on a recording, its SEV guest started by tests/hw-qemu-standin in `mode`. */
static struct r_result hw_guest(const char *sysroot, const char *mode)
{
	char bin[512], root[600], qemu[600], standin[64], cwd[400];
	const char *argv[] = { "/bin/sh", "tests/hw.sh", bin, NULL };
	char wait[] = "SEVSLOT_HW_WAIT=1";
	char *envp[] = { root, qemu, standin, wait, NULL };

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	r_build_path(bin, sizeof(bin), "sevslot");
	snprintf(root, sizeof(root), "SEVSLOT_HW_SYSROOT=%s", sysroot);
	snprintf(qemu, sizeof(qemu), "SEVSLOT_HW_QEMU=%s/tests/hw-qemu-standin", cwd);
	snprintf(standin, sizeof(standin), "STANDIN_MODE=%s", mode);
	return r_run_env(argv, envp);
}

static void copy_host(const char *src, const char *dst)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cp -R '%s'/. '%s'", src, dst);
	assert_int_equal(system(cmd), 0);
}

static void copy_milan(const char *dst)
{
	copy_host(MILAN, dst);
}

static void test_hw_script_skips_in_one_line_without_dev_sev(void **state)
{
	char *root = h_tmpdir();
	struct r_result r;

	(void)state;
	r = hw(root);
	assert_exit(r, 0);
	assert_string_equal(r.out, "skip: no /dev/sev on this host\n");
	assert_string_equal(r.err, "");
	r_free(&r);
	h_rmtree(root);
}

static void test_hw_script_passes_a_consistent_host(void **state)
{
	struct r_result r;

	(void)state;
	r = hw(MILAN);
	assert_exit(r, 0);
	assert_contains(r.out, "ok   misc.capacity sev 502 = SEV pool 502");
	assert_contains(r.out, "ok   misc.capacity sev_es 7 = SEV-ES + SEV-SNP pools 7");
	assert_contains(r.out, "ok   check enabled.sev_es is pass; cpuinfo lists it");
	assert_contains(r.out, ", 0 failed");
	assert_not_contains(r.out, "FAIL");
	assert_contains(r.out, "check-hw: passed");
	r_free(&r);
}

static void test_hw_script_catches_misc_capacity_disagreeing_with_pools(void **state)
{
	char *root = h_tmpdir();
	struct r_result r;

	(void)state;
	copy_milan(root);
	h_puts(root, "sys/fs/cgroup/misc.capacity", "sev 500\nsev_es 7\n");
	r = hw(root);
	assert_exit(r, 1);
	assert_contains(r.out, "FAIL misc.capacity sev 500 = SEV pool 502");
	assert_contains(r.out, "check-hw: FAILED");
	r_free(&r);
	h_rmtree(root);
}

static void test_hw_script_catches_a_report_that_ignores_kvm_params(void **state)
{
	char *root = h_tmpdir();
	struct r_result r;

	(void)state;
	copy_milan(root);
	/* "1" is Y on kernels before 5.13: the report must still say true. */
	h_puts(root, "sys/module/kvm_amd/parameters/sev", "1\n");
	r = hw(root);
	assert_exit(r, 0);
	assert_contains(r.out, "ok   kvm_amd sev: file says '1', report says True");
	r_free(&r);
	h_rmtree(root);
}

/*
 * Every recorded host is a real kernel telling the truth about itself: the
 * script must pass each one (or skip it without /dev/sev), old kernels
 * included, or hardware CI on an older EPYC runner false-fails.
 */
static void test_hw_script_passes_every_recorded_host(void **state)
{
	DIR *d = opendir(HOSTS);
	struct dirent *e;
	unsigned n = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char root[512];
		struct r_result r;

		if (e->d_name[0] == '.')
			continue;
		snprintf(root, sizeof(root), HOSTS "/%s", e->d_name);
		r = hw(root);
		if (r.code != 0 || (strstr(r.out, "check-hw: passed") == NULL &&
				    strcmp(r.out, "skip: no /dev/sev on this host\n") != 0))
			fail_msg("hw.sh on %s exited %d:\n%s%s", e->d_name, r.code, r.out, r.err);
		assert_not_contains(r.out, "FAIL");
		r_free(&r);
		n++;
	}
	closedir(d);
	assert_true(n >= 16);
}

/* Linux 5.4 predates the sev_es flag in /proc/cpuinfo (5.10): skip, not fail. */
static void test_hw_script_expects_skip_for_a_flag_the_kernel_predates(void **state)
{
	struct r_result r;

	(void)state;
	r = hw(NAPLES);
	assert_exit(r, 0);
	assert_contains(r.out, "ok   check enabled.sev_es is skip; Linux 5.4.0-182-generic "
			       "predates the sev_es flag (5.10)");
	r_free(&r);
}

/* The same host on 5.10, where the flag would show: its absence is a fail. */
static void test_hw_script_expects_fail_once_the_kernel_has_the_flag(void **state)
{
	char *root = h_tmpdir();
	struct r_result r;

	(void)state;
	copy_host(NAPLES, root);
	h_puts(root, "proc/sys/kernel/osrelease", "5.10.0-28-amd64\n");
	r = hw(root);
	assert_exit(r, 0);
	assert_contains(r.out, "ok   check enabled.sev_es is fail; cpuinfo lacks it");
	r_free(&r);
	h_rmtree(root);
}

/* A report that fails what the kernel cannot show is caught, not excused. */
static void test_hw_script_catches_a_fail_the_kernel_cannot_support(void **state)
{
	char *dir = h_tmpdir(), bin[512], wrapper[600], env[600], *abs;
	const char *argv[] = { "/bin/sh", "tests/hw.sh", wrapper, NULL };
	char *envp[] = { env, NULL };
	struct r_result r;
	FILE *f;

	(void)state;
	r_build_path(bin, sizeof(bin), "sevslot");
	abs = realpath(bin, NULL);
	assert_non_null(abs);
	snprintf(wrapper, sizeof(wrapper), "%s/sevslot", dir);
	f = fopen(wrapper, "w");
	assert_non_null(f);
	/* The real report, with every skip turned into a fail. */
	fprintf(f, "#!/bin/sh\n'%s' \"$@\" | sed 's/\"status\": \"skip\"/\"status\": \"fail\"/'\n",
		abs);
	fclose(f);
	free(abs);
	assert_int_equal(chmod(wrapper, 0755), 0);
	snprintf(env, sizeof(env), "SEVSLOT_HW_SYSROOT=%s", NAPLES);
	r = r_run_env(argv, envp);
	assert_exit(r, 1);
	assert_contains(r.out, "FAIL check enabled.sev_es is fail; Linux 5.4.0-182-generic "
			       "predates the sev_es flag (5.10)");
	r_free(&r);
	h_rmtree(dir);
}

/* The whole of root/rel; the caller frees it. */
static char *slurp(const char *root, const char *rel)
{
	char path[1024], *buf = calloc(1, 65536);
	FILE *f;

	assert_non_null(buf);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(fread(buf, 1, 65535, f) < 65535);
	fclose(f);
	return buf;
}

/* The Genoa recording with Debian's OVMF descriptor and (empty) firmware files. */
static char *genoa_with_ovmf(void)
{
	char *root = h_tmpdir();

	copy_host(GENOA, root);
	h_puts(root, "usr/share/qemu/firmware/60-edk2-x86_64.json",
	       "{ \"interface-types\": [\"uefi\"],\n"
	       "  \"mapping\": { \"device\": \"flash\",\n"
	       "    \"executable\": { \"filename\": \"/usr/share/OVMF/OVMF_CODE_4M.fd\", \"format\": \"raw\" },\n"
	       "    \"nvram-template\": { \"filename\": \"/usr/share/OVMF/OVMF_VARS_4M.fd\", \"format\": \"raw\" } },\n"
	       "  \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [\"pc-i440fx-*\", \"pc-q35-*\"] } ],\n"
	       "  \"features\": [\"acpi-s3\", \"amd-sev\", \"verbose-dynamic\"] }\n");
	h_puts(root, "usr/share/OVMF/OVMF_CODE_4M.fd", "");
	h_puts(root, "usr/share/OVMF/OVMF_VARS_4M.fd", "");
	return root;
}

/*
 * One SEV guest against the ledger: misc.current rises by one, audit says
 * host_ahead until allocate, and all falls back after the guest stops; the
 * recording is left as it was.
 */
static void test_hw_script_runs_an_sev_guest_against_the_ledger(void **state)
{
	char *root = genoa_with_ovmf();
	struct r_result r;
	char *before, *after;

	(void)state;
	before = slurp(root, "dev/sev");
	r = hw_guest(root, "ok");
	assert_exit(r, 0);
	assert_contains(r.out, "ok   misc.current sev rose from 0 to 1 with one SEV guest running");
	assert_contains(r.out, "ok   audit reports host_ahead on misc.current sev before the guest's slot is allocated");
	assert_contains(r.out, "ok   audit is consistent once the guest's slot is allocated");
	assert_contains(r.out, "ok   misc.current sev fell back to 0 after the guest stopped");
	assert_contains(r.out, "ok   audit reports ledger_ahead until the slot is released");
	assert_contains(r.out, "ok   audit is consistent after release");
	assert_contains(r.out, "check-hw: passed");
	after = slurp(root, "dev/sev");
	assert_string_equal(before, after);
	free(before);
	free(after);
	r_free(&r);
	h_rmtree(root);
}

/* Guests already running are mirrored in the scratch ledger first. */
static void test_hw_script_guest_check_counts_guests_already_running(void **state)
{
	char *root = genoa_with_ovmf();
	struct r_result r;

	(void)state;
	h_puts(root, "sys/fs/cgroup/misc.current", "sev 3\n");
	/* The firmware counts them too: guest_count 3, state WORKING. */
	h_puts(root, "dev/sev", "PLATFORM_STATUS 0 0 013702000100003d03000000\n");
	r = hw_guest(root, "ok");
	assert_exit(r, 0);
	assert_contains(r.out, "ok   misc.current sev rose from 3 to 4 with one SEV guest running");
	assert_contains(r.out, "ok   misc.current sev fell back to 3 after the guest stopped");
	r_free(&r);
	h_rmtree(root);
}

static void test_hw_script_fails_when_the_guest_takes_no_asid(void **state)
{
	char *root = genoa_with_ovmf();
	struct r_result r;

	(void)state;
	r = hw_guest(root, "no-asid");
	assert_exit(r, 1);
	assert_contains(r.out, "FAIL misc.current sev rose from 0 to 0 with one SEV guest running");
	assert_contains(r.out, "FAIL audit reports host_ahead");
	assert_contains(r.out, "check-hw: FAILED");
	r_free(&r);
	h_rmtree(root);
}

static void test_hw_script_fails_when_qemu_cannot_start_the_guest(void **state)
{
	char *root = genoa_with_ovmf();
	struct r_result r;

	(void)state;
	r = hw_guest(root, "fail");
	assert_exit(r, 1);
	assert_contains(r.out, "exited 1:\nqemu-standin: sev_launch_start: LAUNCH_START ret=1");
	assert_contains(r.out, "check-hw: FAILED");
	r_free(&r);
	h_rmtree(root);
}

/* What the guest check needs and a host lacks is one skip line. */
static void test_hw_script_guest_check_skips_in_one_line(void **state)
{
	char *root = genoa_with_ovmf();
	struct r_result r;

	(void)state;
	r = hw(root); /* no stand-in named: nothing is run */
	assert_exit(r, 0);
	assert_contains(r.out, "skip SEV guest: SEVSLOT_HW_SYSROOT is set (SEVSLOT_HW_QEMU names a stand-in for QEMU)\n");
	r_free(&r);
	r = hw_guest(MILAN, "ok"); /* Linux 6.2: no misc.current */
	assert_exit(r, 0);
	assert_contains(r.out, "skip SEV guest: no misc.current sev line (Linux 6.5+ with SEV ASIDs)\n");
	r_free(&r);
	h_puts(root, "usr/share/qemu/firmware/60-edk2-x86_64.json", ""); /* an empty file hides it */
	r = hw_guest(root, "ok");
	assert_exit(r, 0);
	assert_contains(r.out, "skip SEV guest: no QEMU firmware descriptor for amd-sev without SMM");
	r_free(&r);
	h_rmtree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hw_script_skips_in_one_line_without_dev_sev),
		cmocka_unit_test(test_hw_script_passes_a_consistent_host),
		cmocka_unit_test(test_hw_script_catches_misc_capacity_disagreeing_with_pools),
		cmocka_unit_test(test_hw_script_catches_a_report_that_ignores_kvm_params),
		cmocka_unit_test(test_hw_script_passes_every_recorded_host),
		cmocka_unit_test(test_hw_script_expects_skip_for_a_flag_the_kernel_predates),
		cmocka_unit_test(test_hw_script_expects_fail_once_the_kernel_has_the_flag),
		cmocka_unit_test(test_hw_script_catches_a_fail_the_kernel_cannot_support),
		cmocka_unit_test(test_hw_script_runs_an_sev_guest_against_the_ledger),
		cmocka_unit_test(test_hw_script_guest_check_counts_guests_already_running),
		cmocka_unit_test(test_hw_script_fails_when_the_guest_takes_no_asid),
		cmocka_unit_test(test_hw_script_fails_when_qemu_cannot_start_the_guest),
		cmocka_unit_test(test_hw_script_guest_check_skips_in_one_line),
	};

	return cmocka_run_group_tests_name("hw_script", tests, NULL, NULL);
}
