/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /proc/cpuinfo flags (first processor only; whole words) and the locked
 * memory limit in /proc/self/limits.
 */
#include "harness.h"

#include "output.h"
#include "probe.h"

static int cpuinfo(const char *s, struct sevslot_kernel *k)
{
	memset(k, 0, sizeof(*k));
	return sv_cpuinfo_parse(s, strlen(s), k);
}

static void test_cpuinfo_reads_sev_flags(void **state)
{
	struct sevslot_kernel k;

	(void)state;
	assert_int_equal(cpuinfo("processor\t: 0\nvendor_id\t: AuthenticAMD\n"
				 "flags\t\t: fpu vme sme sev sev_es sev_snp svm\n"
				 "bugs\t\t: sysret_ss_attrs\n\n",
				 &k),
			 0);
	assert_true(k.cpuinfo_read);
	assert_true(k.cpuinfo_sme);
	assert_true(k.cpuinfo_sev);
	assert_true(k.cpuinfo_sev_es);
	assert_true(k.cpuinfo_sev_snp);
}

static void test_cpuinfo_sev_does_not_match_sev_es(void **state)
{
	struct sevslot_kernel k;

	(void)state;
	assert_int_equal(cpuinfo("flags\t\t: fpu sme sev_es sev_snp\n", &k), 0);
	assert_true(k.cpuinfo_read);
	assert_false(k.cpuinfo_sev);
	assert_true(k.cpuinfo_sev_es);
	assert_true(k.cpuinfo_sev_snp);
	/* ... nor words that merely start or end alike. */
	assert_int_equal(cpuinfo("flags\t\t: smex xsev sev_snpx sev_e\n", &k), 0);
	assert_true(k.cpuinfo_read);
	assert_false(k.cpuinfo_sme || k.cpuinfo_sev || k.cpuinfo_sev_es || k.cpuinfo_sev_snp);
	/* First and last words count, without a final newline too. */
	assert_int_equal(cpuinfo("flags\t\t: sev fpu sme", &k), 0);
	assert_true(k.cpuinfo_sev);
	assert_true(k.cpuinfo_sme);
}

static void test_cpuinfo_reads_only_the_first_processor(void **state)
{
	struct sevslot_kernel k;

	(void)state;
	assert_int_equal(cpuinfo("processor\t: 0\nflags\t\t: fpu sme\n\n"
				 "processor\t: 1\nflags\t\t: fpu sme sev sev_es\n\n",
				 &k),
			 0);
	assert_true(k.cpuinfo_sme);
	assert_false(k.cpuinfo_sev);
	assert_false(k.cpuinfo_sev_es);
	/* No flags line before the first blank line: none found. */
	assert_int_equal(cpuinfo("processor\t: 0\nvendor_id\t: AuthenticAMD\n\n"
				 "processor\t: 1\nflags\t\t: sev\n",
				 &k),
			 -ENOENT);
	assert_false(k.cpuinfo_read);
	assert_false(k.cpuinfo_sev);
}

static void test_cpuinfo_key_must_be_flags(void **state)
{
	struct sevslot_kernel k;

	(void)state;
	assert_int_equal(cpuinfo("vmx flags\t: sev\nflagsx\t: sev\nmy flags : sev\n", &k), -ENOENT);
	assert_false(k.cpuinfo_read);
	assert_false(k.cpuinfo_sev);
	assert_int_equal(cpuinfo("", &k), -ENOENT);
	assert_false(k.cpuinfo_read);
}

static int limits(const char *s, uint64_t *cur, uint64_t *max)
{
	*cur = *max = 42;
	return sv_limits_parse_memlock(s, strlen(s), cur, max);
}

static const char limits_head[] =
	"Limit                     Soft Limit           Hard Limit           Units     \n"
	"Max cpu time              unlimited            unlimited            seconds   \n";

static void test_limits_reads_memlock_bytes(void **state)
{
	char text[512];
	uint64_t cur, max;

	(void)state;
	snprintf(text, sizeof(text), "%s%s", limits_head,
		 "Max locked memory         8388608              16777216             bytes     \n"
		 "Max address space         unlimited            unlimited            bytes     \n");
	assert_int_equal(limits(text, &cur, &max), 0);
	assert_int_equal(cur, 8388608);
	assert_int_equal(max, 16777216);
}

static void test_limits_unlimited_reads_as_uint64_max(void **state)
{
	char text[512];
	uint64_t cur, max;

	(void)state;
	snprintf(text, sizeof(text), "%s%s", limits_head,
		 "Max locked memory         unlimited            unlimited            bytes     \n");
	assert_int_equal(limits(text, &cur, &max), 0);
	assert_true(cur == UINT64_MAX);
	assert_true(max == UINT64_MAX);
	snprintf(text, sizeof(text), "%s",
		 "Max locked memory         65536                unlimited            bytes");
	assert_int_equal(limits(text, &cur, &max), 0);
	assert_int_equal(cur, 65536);
	assert_true(max == UINT64_MAX);
}

static void test_limits_missing_or_garbage(void **state)
{
	uint64_t cur, max;

	(void)state;
	assert_int_equal(limits(limits_head, &cur, &max), -ENOENT);
	assert_int_equal(limits("", &cur, &max), -ENOENT);
	assert_int_equal(limits("Max locked memory         lots      unlimited     bytes\n", &cur,
				&max),
			 -EBADMSG);
	assert_int_equal(limits("Max locked memory         65536     \n", &cur, &max), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuinfo_reads_sev_flags),
		cmocka_unit_test(test_cpuinfo_sev_does_not_match_sev_es),
		cmocka_unit_test(test_cpuinfo_reads_only_the_first_processor),
		cmocka_unit_test(test_cpuinfo_key_must_be_flags),
		cmocka_unit_test(test_limits_reads_memlock_bytes),
		cmocka_unit_test(test_limits_unlimited_reads_as_uint64_max),
		cmocka_unit_test(test_limits_missing_or_garbage),
	};

	return cmocka_run_group_tests_name("procfs", tests, NULL, NULL);
}
