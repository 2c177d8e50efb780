/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/hw.sh (make check-hw) away from hardware: pointed at recorded hosts
 * through SEVSLOT_HW_SYSROOT, it must pass a consistent host, catch a kernel
 * that disagrees with the report, and skip in one line without /dev/sev.
 */
#include "harness.h"

#include "run.h"

#define MILAN "tests/fixtures/hosts/epyc-7313-milan"

static struct r_result hw(const char *sysroot)
{
	char bin[512], env[600];
	const char *argv[] = { "/bin/sh", "tests/hw.sh", bin, NULL };
	char *envp[] = { env, NULL };

	r_build_path(bin, sizeof(bin), "sevslot");
	snprintf(env, sizeof(env), "SEVSLOT_HW_SYSROOT=%s", sysroot);
	return r_run_env(argv, envp);
}

static void copy_milan(const char *dst)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cp -R " MILAN "/. '%s'", dst);
	assert_int_equal(system(cmd), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hw_script_skips_in_one_line_without_dev_sev),
		cmocka_unit_test(test_hw_script_passes_a_consistent_host),
		cmocka_unit_test(test_hw_script_catches_misc_capacity_disagreeing_with_pools),
		cmocka_unit_test(test_hw_script_catches_a_report_that_ignores_kvm_params),
	};

	return cmocka_run_group_tests_name("hw_script", tests, NULL, NULL);
}
