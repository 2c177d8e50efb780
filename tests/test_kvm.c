/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kvm_amd module parameters: Y/N since Linux 5.13, 1/0 before, with or
 * without the trailing newline (nova's `== "1\n"`, bug 1975686), and the
 * unsigned ciphertext_hiding_asids of Linux 6.18.
 */
#include "harness.h"

#include "output.h"
#include "probe.h"

static int parse_bool(const char *s, enum sevslot_param *out)
{
	*out = (enum sevslot_param)42;
	return sv_kvm_parse_bool(s, strlen(s), out);
}

static int parse_uint(const char *s, int64_t *out)
{
	*out = -42;
	return sv_kvm_parse_uint(s, strlen(s), out);
}

static void test_kvm_param_accepts_Y_and_1(void **state)
{
	static const char *const yes[] = { "Y\n", "Y", "1\n", "1", "y\n" };
	enum sevslot_param p;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		assert_int_equal(parse_bool(yes[i], &p), 0);
		assert_int_equal(p, SEVSLOT_PARAM_Y);
	}
}

static void test_kvm_param_accepts_N_and_0(void **state)
{
	static const char *const no[] = { "N\n", "N", "0\n", "0", "n\n" };
	enum sevslot_param p;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
		assert_int_equal(parse_bool(no[i], &p), 0);
		assert_int_equal(p, SEVSLOT_PARAM_N);
	}
}

static void test_kvm_param_rejects_garbage_and_empty(void **state)
{
	static const char *const bad[] = {
		"", "\n", "\n\n", "Y\n\n", "YES\n", "yes", "2\n", "-1\n", " Y\n", "Y \n", "10\n",
		"true\n", "NY", "\nY",
	};
	enum sevslot_param p;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_bool(bad[i], &p) != -EBADMSG)
			fail_msg("'%s' was accepted as %d", bad[i], (int)p);
}

static void test_kvm_param_reads_only_len_bytes(void **state)
{
	enum sevslot_param p;

	(void)state;
	/* Not NUL-terminated after the value: the length is what counts. */
	assert_int_equal(sv_kvm_parse_bool("Y\nN", 2, &p), 0);
	assert_int_equal(p, SEVSLOT_PARAM_Y);
	assert_int_equal(sv_kvm_parse_bool("NY", 1, &p), 0);
	assert_int_equal(p, SEVSLOT_PARAM_N);
}

static void test_kvm_ciphertext_hiding_reads_numbers(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(parse_uint("0\n", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_uint("100\n", &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(parse_uint("7", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(parse_uint("4294967295\n", &v), 0);
	assert_int_equal(v, 4294967295);
}

static void test_kvm_ciphertext_hiding_max_reads_as_int64_max(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(parse_uint("max\n", &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(parse_uint("max", &v), 0);
	assert_true(v == INT64_MAX);
}

static void test_kvm_ciphertext_hiding_rejects_overflow_and_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"4294967296\n",             /* one past a uint */
		"18446744073709551615\n",   /* u64 max */
		"18446744073709551616\n",   /* u64 overflow */
		"99999999999999999999999999999\n", /* longer than any number */
		"-1\n",
		"+5\n",
		" 5\n",
		"5 \n",
		"0x10\n",
		"5\n\n",
		"MAX\n",
		"maximum\n",
		"12abc\n",
	};
	int64_t v;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_uint(bad[i], &v) != -EBADMSG)
			fail_msg("'%s' was accepted as %lld", bad[i], (long long)v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kvm_param_accepts_Y_and_1),
		cmocka_unit_test(test_kvm_param_accepts_N_and_0),
		cmocka_unit_test(test_kvm_param_rejects_garbage_and_empty),
		cmocka_unit_test(test_kvm_param_reads_only_len_bytes),
		cmocka_unit_test(test_kvm_ciphertext_hiding_reads_numbers),
		cmocka_unit_test(test_kvm_ciphertext_hiding_max_reads_as_int64_max),
		cmocka_unit_test(test_kvm_ciphertext_hiding_rejects_overflow_and_garbage),
	};

	return cmocka_run_group_tests_name("kvm", tests, NULL, NULL);
}
