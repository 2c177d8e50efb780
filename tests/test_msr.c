/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dev/cpu/0/msr recording: lines "0xREGISTER 0xVALUE", '#' comments.
 */
#include "harness.h"

#include "output.h"
#include "probe.h"
#include "run.h"

static int parse(const char *s, uint32_t reg, uint64_t *out, char *why, size_t whylen)
{
	*out = 0xdeadbeef;
	why[0] = '\0';
	int read_err, err = sv_msr_parse_recording(s, strlen(s), reg, out, &read_err, why, whylen);

	return err == 0 ? read_err : err;
}

static void test_msr_recording_reads_syscfg(void **state)
{
	uint64_t v;
	char why[128];

	(void)state;
	assert_int_equal(parse("0xc0010010 0x3fc0000\n", SV_MSR_SYSCFG, &v, why, sizeof(why)), 0);
	assert_int_equal(v, 0x3fc0000);
	/* Upper case, tabs, CRLF, no final newline. */
	assert_int_equal(parse("0xC0010010\t0xF40000\r\n", SV_MSR_SYSCFG, &v, why, sizeof(why)), 0);
	assert_int_equal(v, 0xf40000);
	assert_int_equal(parse("0xc0010010 0xffffffffffffffff", SV_MSR_SYSCFG, &v, why, sizeof(why)),
			 0);
	assert_true(v == UINT64_MAX);
}

static void test_msr_recording_skips_comments_and_other_registers(void **state)
{
	uint64_t v;
	char why[128];

	(void)state;
	assert_int_equal(parse("# recorded by sevslot\n\n  # indented comment\n0x10 0x1234\n"
			       "0xc0010010 0x800000\n",
			       SV_MSR_SYSCFG, &v, why, sizeof(why)),
			 0);
	assert_int_equal(v, 0x800000);
	assert_int_equal(parse("0x10 0x1234\n", 0x10, &v, why, sizeof(why)), 0);
	assert_int_equal(v, 0x1234);
}

static void test_msr_recording_first_occurrence_wins(void **state)
{
	uint64_t v;
	char why[128];

	(void)state;
	assert_int_equal(parse("0xc0010010 0x1\n0xc0010010 0x2\n", SV_MSR_SYSCFG, &v, why,
			       sizeof(why)),
			 0);
	assert_int_equal(v, 1);
}

static void test_msr_recording_unlisted_register_is_enoent(void **state)
{
	uint64_t v;
	char why[128];

	(void)state;
	assert_int_equal(parse("0x10 0x1234\n", SV_MSR_SYSCFG, &v, why, sizeof(why)), -ENODATA);
	assert_int_equal(v, 0xdeadbeef);
	assert_int_equal(parse("", SV_MSR_SYSCFG, &v, why, sizeof(why)), -ENODATA);
}

static void test_msr_recording_rejects_malformed_lines_naming_them(void **state)
{
	static const struct {
		const char *text, *line;
	} bad[] = {
		{ "c0010010 0x3fc0000\n", "line 1:" },
		{ "0xc0010010 3fc0000\n", "line 1:" },
		{ "0xc0010010\n", "line 1:" },
		{ "0xc0010010 0x\n", "line 1:" },
		{ "0xc0010010 0x1 0x2\n", "line 1:" },
		{ "0xc0010010 0x1 junk\n", "line 1:" },
		{ "0x1c0010010 0x1\n", "line 1:" },                   /* register > 32 bits */
		{ "0xc0010010 0x10000000000000000\n", "line 1:" },    /* value > 64 bits */
		{ "0xc0010010:0x1\n", "line 1:" },
		{ "# ok\n0xc0010010 0x1\n0xzz 0x1\n", "line 3:" },    /* even after the hit */
	};
	uint64_t v;
	char why[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (parse(bad[i].text, SV_MSR_SYSCFG, &v, why, sizeof(why)) != -EBADMSG)
			fail_msg("'%s' was accepted", bad[i].text);
		assert_contains(why, bad[i].line);
	}
}

static void test_msr_recording_rejects_overlong_line(void **state)
{
	char text[256];
	uint64_t v;
	char why[128];

	(void)state;
	memset(text, ' ', sizeof(text));
	memcpy(text + sizeof(text) - 24, "0xc0010010 0x3fc0000\n", 22);
	text[sizeof(text) - 2] = '\0';
	assert_int_equal(parse(text, SV_MSR_SYSCFG, &v, why, sizeof(why)), -EBADMSG);
	assert_contains(why, "line 1:");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msr_recording_reads_syscfg),
		cmocka_unit_test(test_msr_recording_skips_comments_and_other_registers),
		cmocka_unit_test(test_msr_recording_first_occurrence_wins),
		cmocka_unit_test(test_msr_recording_unlisted_register_is_enoent),
		cmocka_unit_test(test_msr_recording_rejects_malformed_lines_naming_them),
		cmocka_unit_test(test_msr_recording_rejects_overlong_line),
	};

	return cmocka_run_group_tests_name("msr", tests, NULL, NULL);
}
