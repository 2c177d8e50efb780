/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What an outside review found in the sources layer, each through the real
 * binary on a copy of a real host's recording: a recorded MSR errno that
 * happens to be EBADMSG, a capacity-only probe claiming an unread file was
 * read, CPUID values that wrapped a pool's size, and kernel files that are
 * directories, symlink loops, FIFOs held open, or links out of the sysroot.
 */
#include "harness.h"

#include "ledger_harness.h"
#include "probe.h"
#include "run.h"

#include <signal.h>

#define MILAN "tests/fixtures/hosts/epyc-7313-milan"
#define PARAMS "sys/module/kvm_amd/parameters/"

/* A private copy of the Milan 7313 recording. */
static char *milan(void)
{
	char *root = h_tmpdir(), cmd[1024];

	snprintf(cmd, sizeof(cmd), "cp -a " MILAN "/. '%s'", root);
	assert_int_equal(system(cmd), 0);
	return root;
}

static struct r_result sevslot(const char *root, const char *const args[])
{
	const char *argv[16];
	char bin[512];
	size_t n = 0;

	r_build_path(bin, sizeof(bin), "sevslot");
	argv[n++] = bin;
	argv[n++] = "--sysroot";
	argv[n++] = root;
	for (size_t i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return r_run(argv);
}

#define SEVSLOT(r, root, ...) ((r) = sevslot(root, (const char *const[]){ __VA_ARGS__, NULL }))

/* 10. "0xC0010010 -74" records a read that failed with EBADMSG: unknown, with a hint. */
static void test_recorded_msr_ebadmsg_is_a_read_failure(void **state)
{
	char *root = milan();
	struct r_result r;

	(void)state;
	h_puts(root, "dev/cpu/0/msr", "0xC0010010 -74\n");
	SEVSLOT(r, root, "probe");
	assert_exit(r, 0);
	assert_contains(r.out, "[unknown] cannot read the SYSCFG MSR 0xC0010010 from /dev/cpu/0/msr: "
			"Bad message");
	assert_contains(r.out, "modprobe msr");
	r_free(&r);
	h_rmtree(root);
}

/* 11. A capacity-only probe reads misc.capacity, never misc.current: unread is unread. */
static void test_capacity_probe_never_claims_misc_current(void **state)
{
	char *root = milan(), cur[600];
	struct sevslot_ctx *ctx;
	struct sevslot_host *host;

	(void)state;
	lh_misc_current(root, 3, 0);
	assert_int_equal(sevslot_new(&ctx, root), 0);
	assert_int_equal(sevslot_probe(ctx, SEVSLOT_PROBE_CAPACITY, &host), 0);
	assert_false(host->kernel.misc_current_read);
	assert_true(host->kernel.misc_capacity_read);
	sevslot_host_free(host);
	/* Without the file, the full probe does not claim it either. */
	snprintf(cur, sizeof(cur), "%s/sys/fs/cgroup/misc.current", root);
	assert_int_equal(unlink(cur), 0);
	assert_int_equal(sevslot_probe(ctx, 0, &host), 0);
	assert_false(host->kernel.misc_current_read);
	sevslot_host_free(host);

	/* An audit given the capacity probe reports no misc.current drift. */
	struct sevslot_ledger *l;
	struct sevslot_audit *a;
	char *dir = h_tmpdir(), path[600];

	lh_misc_current(root, 3, 0);
	snprintf(path, sizeof(path), "%s/ledger.db", dir);
	assert_int_equal(sevslot_ledger_open(ctx, path, NULL, 0, &l), 0);
	assert_int_equal(sevslot_probe(ctx, SEVSLOT_PROBE_CAPACITY, &host), 0);
	assert_int_equal(sevslot_ledger_audit(l, host, &a), 0);
	for (size_t i = 0; i < a->n_counts; i++)
		if (strcmp(a->counts[i].source, "misc.current") == 0)
			assert_true(a->counts[i].host < 0);
	for (size_t i = 0; i < a->n_findings; i++)
		assert_string_not_equal(a->findings[i].source, "misc.current");
	sevslot_audit_free(a);
	sevslot_host_free(host);
	sevslot_ledger_close(l);
	sevslot_free(ctx);
	h_rmtree(dir);
	h_rmtree(root);
}

/*
 * 12. CPUID ECX 0xffffffff, EDX 0: the kernel's count (ECX - EDX + 1) would be
 * 2^32, which wrapped to capacity 0 with asid_max 4294967295; it saturates.
 */
static void test_cpuid_edx_zero_does_not_wrap_the_pool(void **state)
{
	struct sevslot_host host;
	const struct sevslot_pool *p = &host.pools[SEVSLOT_POOL_SEV];

	(void)state;
	memset(&host, 0, sizeof(host));
	host.cpu.sev = true;
	host.cpu.max_asid = 0xffffffffu;
	host.cpu.min_sev_asid = 0;
	host.kernel.sev = SEVSLOT_PARAM_Y;
	host.kernel.ciphertext_hiding_asids = -1;
	sv_pools_derive(&host);
	assert_int_equal(p->asid_min, 0);
	assert_int_equal(p->asid_max, 0xffffffffu);
	assert_int_equal(p->capacity, 0xffffffffu);
	/* EDX 0 otherwise counts as the kernel counts it (Ryzen 1700X: 0..15 is 16). */
	host.cpu.max_asid = 15;
	sv_pools_derive(&host);
	assert_int_equal(p->capacity, 16);
	assert_int_equal(host.pools[SEVSLOT_POOL_SEV_ES].capacity, 0);
}

/* 12. A kernel file that is a directory or a symlink loop is an I/O error (74), not 70. */
static void test_directory_or_loop_as_kernel_file_is_74(void **state)
{
	char *root = milan(), path[600];
	struct r_result r;

	(void)state;
	snprintf(path, sizeof(path), "%s/" PARAMS "sev", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	SEVSLOT(r, root, "probe");
	assert_exit(r, 74);
	assert_contains(r.err, PARAMS "sev");
	r_free(&r);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(symlink("sev", path), 0);
	SEVSLOT(r, root, "probe");
	assert_exit(r, 74);
	assert_contains(r.err, PARAMS "sev");
	r_free(&r);
	h_rmtree(root);
}

/* 12. A FIFO held open by a writer is bad input (65), not "retry later" (75), and never blocks. */
static void test_fifo_held_open_is_65_not_75(void **state)
{
	char *root = milan(), path[600];
	struct r_result r;
	int rfd, wfd;

	(void)state;
	snprintf(path, sizeof(path), "%s/" PARAMS "sev", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0644), 0);
	rfd = open(path, O_RDONLY | O_NONBLOCK);
	wfd = open(path, O_WRONLY | O_NONBLOCK);
	assert_true(rfd >= 0 && wfd >= 0);
	SEVSLOT(r, root, "probe");
	assert_exit(r, 65);
	assert_contains(r.err, "not a regular file");
	r_free(&r);
	close(wfd);
	close(rfd);
	h_rmtree(root);
}

/* A symbolic link out of the sysroot is not followed: nothing of /etc leaks into messages. */
static void test_symlink_out_of_the_sysroot_is_not_followed(void **state)
{
	char *root = milan(), path[600];
	struct r_result r;

	(void)state;
	snprintf(path, sizeof(path), "%s/sys/fs/cgroup/misc.capacity", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	SEVSLOT(r, root, "probe");
	assert_exit(r, 77);
	assert_not_contains(r.err, "root:");
	r_free(&r);
	/* A link that stays inside is fine. */
	unlink(path);
	h_puts(root, "elsewhere", "sev 509\nsev_es 99\n");
	assert_int_equal(symlink("../../../elsewhere", path), 0);
	SEVSLOT(r, root, "probe");
	assert_exit(r, 0);
	r_free(&r);
	h_rmtree(root);
}

/* Issue 10, 2: a config file whose read fails is an I/O error (74), not bad configuration. */
static void test_config_read_error_is_74(void **state)
{
	char *root = milan();
	struct r_result r;

	(void)state;
	SEVSLOT(r, root, "--config", root, "inventory");
	assert_exit(r, 74);
	assert_contains(r.err, "cannot read");
	r_free(&r);
	SEVSLOT(r, root, "--config", "/dev/zero", "inventory");
	assert_exit(r, 78);
	assert_contains(r.err, "/dev/zero:1: line longer than");
	r_free(&r);
	h_rmtree(root);
}

/* A message quoting an untrusted file is one line without control bytes (no terminal escapes). */
static void test_messages_carry_no_control_bytes(void **state)
{
	char *root = milan();
	struct r_result r;

	(void)state;
	h_puts(root, "sys/fs/cgroup/misc.capacity", "sev 1\x1b]0;owned\x07\x1b[2J\n");
	SEVSLOT(r, root, "probe");
	assert_exit(r, 65);
	assert_contains(r.err, "misc.capacity");
	for (const char *p = r.err; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 && !(*p == '\n' && p[1] == '\0'))
			fail_msg("control byte 0x%02x in '%s'", (unsigned char)*p, r.err);
	r_free(&r);
	h_rmtree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded_msr_ebadmsg_is_a_read_failure),
		cmocka_unit_test(test_capacity_probe_never_claims_misc_current),
		cmocka_unit_test(test_cpuid_edx_zero_does_not_wrap_the_pool),
		cmocka_unit_test(test_directory_or_loop_as_kernel_file_is_74),
		cmocka_unit_test(test_fifo_held_open_is_65_not_75),
		cmocka_unit_test(test_symlink_out_of_the_sysroot_is_not_followed),
		cmocka_unit_test(test_config_read_error_is_74),
		cmocka_unit_test(test_messages_carry_no_control_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
