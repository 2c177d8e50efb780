/* SPDX-License-Identifier: Apache-2.0 */
/*
 * misc.capacity / misc.current: "RESOURCE VALUE" lines; only sev and sev_es
 * count, a missing line is 0, unknown resources are ignored.
 */
#include "harness.h"

#include "output.h"
#include "probe.h"
#include "run.h"

static int parse(const char *s, int64_t out[2], char *why, size_t whylen)
{
	out[SEVSLOT_POOL_SEV] = out[SEVSLOT_POOL_SEV_ES] = -42;
	why[0] = '\0';
	return sv_misc_parse(s, strlen(s), out, why, whylen);
}

static void test_misc_reads_sev_and_sev_es(void **state)
{
	int64_t v[2];
	char why[128];

	(void)state;
	assert_int_equal(parse("sev 502\nsev_es 7\n", v, why, sizeof(why)), 0);
	assert_int_equal(v[SEVSLOT_POOL_SEV], 502);
	assert_int_equal(v[SEVSLOT_POOL_SEV_ES], 7);
	/* Order does not matter; no final newline is fine. */
	assert_int_equal(parse("sev_es 99\nsev 410", v, why, sizeof(why)), 0);
	assert_int_equal(v[SEVSLOT_POOL_SEV], 410);
	assert_int_equal(v[SEVSLOT_POOL_SEV_ES], 99);
}

static void test_misc_missing_lines_read_zero(void **state)
{
	int64_t v[2];
	char why[128];

	(void)state;
	/* The kernel lists only non-zero capacities. */
	assert_int_equal(parse("sev 1006\n", v, why, sizeof(why)), 0);
	assert_int_equal(v[SEVSLOT_POOL_SEV], 1006);
	assert_int_equal(v[SEVSLOT_POOL_SEV_ES], 0);
	assert_int_equal(parse("sev_es 5\n", v, why, sizeof(why)), 0);
	assert_int_equal(v[SEVSLOT_POOL_SEV], 0);
	assert_int_equal(v[SEVSLOT_POOL_SEV_ES], 5);
	assert_int_equal(parse("", v, why, sizeof(why)), 0);
	assert_int_equal(v[SEVSLOT_POOL_SEV], 0);
	assert_int_equal(v[SEVSLOT_POOL_SEV_ES], 0);
}

static void test_misc_unknown_resources_are_ignored(void **state)
{
	int64_t v[2];
	char why[128];

	(void)state;
	assert_int_equal(parse("tdx 32\nsev 8\nsev_esx 3\nse 4\nsev_snp 9\nsev_es 2\n", v, why,
			       sizeof(why)),
			 0);
	assert_int_equal(v[SEVSLOT_POOL_SEV], 8);
	assert_int_equal(v[SEVSLOT_POOL_SEV_ES], 2);
}

static void test_misc_blank_lines_are_skipped(void **state)
{
	int64_t v[2];
	char why[128];

	(void)state;
	assert_int_equal(parse("\nsev 3\n\n", v, why, sizeof(why)), 0);
	assert_int_equal(v[SEVSLOT_POOL_SEV], 3);
}

static void test_misc_max_reads_as_int64_max(void **state)
{
	int64_t v[2];
	char why[128];

	(void)state;
	assert_int_equal(parse("sev max\nsev_es 4\n", v, why, sizeof(why)), 0);
	assert_true(v[SEVSLOT_POOL_SEV] == INT64_MAX);
	assert_int_equal(v[SEVSLOT_POOL_SEV_ES], 4);
}

static void test_misc_rejects_garbage_naming_the_line(void **state)
{
	static const struct {
		const char *text, *line;
	} bad[] = {
		{ "sev abc\n", "line 1:" },
		{ "sev 1\nsev_es\n", "line 2:" },
		{ "sev 1\nsev_es \n", "line 2:" },
		{ " 5\n", "line 1:" },
		{ "sev -1\n", "line 1:" },
		{ "sev 5 6\n", "line 1:" },
		{ "sev 5\r\n", "line 1:" },
		{ "sev 9223372036854775808\n", "line 1:" },   /* INT64_MAX + 1 */
		{ "sev 99999999999999999999\n", "line 1:" },  /* overflows u64 */
		{ "sev 123456789012345678901234567890\n", "line 1:" },
		{ "\n\nsev_es 0x10\n", "line 3:" },
	};
	int64_t v[2];
	char why[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (parse(bad[i].text, v, why, sizeof(why)) != -EBADMSG)
			fail_msg("'%s' was accepted", bad[i].text);
		assert_contains(why, bad[i].line);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_misc_reads_sev_and_sev_es),
		cmocka_unit_test(test_misc_missing_lines_read_zero),
		cmocka_unit_test(test_misc_unknown_resources_are_ignored),
		cmocka_unit_test(test_misc_blank_lines_are_skipped),
		cmocka_unit_test(test_misc_max_reads_as_int64_max),
		cmocka_unit_test(test_misc_rejects_garbage_naming_the_line),
	};

	return cmocka_run_group_tests_name("misc_cg", tests, NULL, NULL);
}
