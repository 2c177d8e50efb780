/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /dev/sev: the "NAME RET FWERR HEX" recording and the decoders of
 * struct sev_user_data_status (12 bytes) and sev_user_data_snp_status (32).
 */
#include "harness.h"

#include "output.h"
#include "probe.h"
#include "run.h"

/* Milan 7313: API 1.52 build 4, state INIT, 0 guests. */
#define MILAN_STATUS "013401000000000400000000"
/* API 1.55, WORKING, flags 0x101 (external owner, CONFIG_ES), build 0x2a, 0x04030201 guests. */
#define RICH_STATUS "01370201010000" "2a" "01020304"
/* SNP: API 1.55, state INIT, RMP initialised, build 0x12345678, features 0x0000000f,
 * 3 guests, current TCB 0x1122334455667788, reported TCB 0x0102030405060708. */
#define RICH_SNP "01370101" "78563412" "0f000000" "03000000" "8877665544332211" \
		 "0807060504030201"

static int parse(const char *text, struct sv_psp_reply *st, struct sv_psp_reply *snp, char *why,
		 size_t whylen)
{
	memset(st, 0xA5, sizeof(*st));
	memset(snp, 0xA5, sizeof(*snp));
	int open_err;

	why[0] = '\0';
	return sv_psp_parse_recording(text, strlen(text), &open_err, st, snp, why, whylen);
}

/* What an "OPEN RET" line says; -1000 when the recording did not parse. */
static int parse_open_err(const char *text)
{
	struct sv_psp_reply st, snp;
	char why[160];
	int open_err = 1;

	if (sv_psp_parse_recording(text, strlen(text), &open_err, &st, &snp, why, sizeof(why)) < 0)
		return -1000;
	return open_err;
}

static void test_psp_open_line_records_the_open_error(void **state)
{
	(void)state;
	assert_int_equal(parse_open_err("OPEN -13\n"), -EACCES);
	assert_int_equal(parse_open_err("PLATFORM_STATUS -22 0\n"), 0);
	assert_int_equal(parse_open_err("OPEN 0\nPLATFORM_STATUS -22 0\n"), 0);
	assert_int_equal(parse_open_err("OPEN 1\n"), -1000);
	assert_int_equal(parse_open_err("OPEN\n"), -1000);
	assert_int_equal(parse_open_err("OPEN -13 7\n"), -1000);
}

static void parse_ok(const char *text, struct sv_psp_reply *st, struct sv_psp_reply *snp)
{
	char why[192];
	int err = parse(text, st, snp, why, sizeof(why));

	if (err != 0)
		fail_msg("recording rejected (%d): %s", err, why);
}

/* The text must be rejected with a reason that contains each of `words`. */
static void parse_bad(const char *text, const char *line, const char *words)
{
	struct sv_psp_reply st, snp;
	char why[192];

	if (parse(text, &st, &snp, why, sizeof(why)) != -EBADMSG)
		fail_msg("recording accepted: %s", text);
	assert_contains(why, line);
	assert_contains(why, words);
}

/* ------------------------------------------------------------- recording */

static void test_psp_recording_reads_both_commands(void **state)
{
	struct sv_psp_reply st, snp;

	(void)state;
	parse_ok("PLATFORM_STATUS 0 0 " RICH_STATUS "\nSNP_PLATFORM_STATUS 0 0 " RICH_SNP "\n", &st,
		 &snp);
	assert_true(st.issued);
	assert_int_equal(st.ret, 0);
	assert_int_equal(st.fwerr, 0);
	assert_int_equal(st.len, SV_PSP_STATUS_LEN);
	assert_int_equal(st.data[0], 0x01);
	assert_int_equal(st.data[1], 0x37);
	assert_int_equal(st.data[7], 0x2a);
	assert_int_equal(st.data[11], 0x04);
	assert_true(snp.issued);
	assert_int_equal(snp.ret, 0);
	assert_int_equal(snp.len, SV_PSP_SNP_STATUS_LEN);
	assert_int_equal(snp.data[4], 0x78);
	assert_int_equal(snp.data[31], 0x01);
}

static void test_psp_recording_skips_comments_and_blank_lines(void **state)
{
	struct sv_psp_reply st, snp;

	(void)state;
	parse_ok("# sevslot snapshot of /dev/sev: NAME RET FWERR HEX\n\n   \n"
		 "  # indented\n"
		 "PLATFORM_STATUS 0 0 " MILAN_STATUS "   # trailing comment\n",
		 &st, &snp);
	assert_int_equal(st.ret, 0);
	assert_int_equal(st.data[1], 52);
	assert_int_equal(st.data[7], 4);
}

static void test_psp_recording_accepts_tabs_and_crlf(void **state)
{
	struct sv_psp_reply st, snp;

	(void)state;
	parse_ok("PLATFORM_STATUS\t0\t0\t" MILAN_STATUS "\r\n", &st, &snp);
	assert_int_equal(st.ret, 0);
	assert_int_equal(st.data[1], 52);
}

static void test_psp_recording_unlisted_command_replays_einval(void **state)
{
	struct sv_psp_reply st, snp;

	(void)state;
	/* Linux 6.2 does not know SNP_PLATFORM_STATUS. */
	parse_ok("PLATFORM_STATUS 0 0 " MILAN_STATUS "\n", &st, &snp);
	assert_int_equal(st.ret, 0);
	assert_true(snp.issued);
	assert_int_equal(snp.ret, -EINVAL);
	assert_int_equal(snp.fwerr, 0);
	assert_int_equal(snp.len, SV_PSP_SNP_STATUS_LEN);
	for (size_t i = 0; i < sizeof(snp.data); i++)
		assert_int_equal(snp.data[i], 0);
	/* An empty recording: both commands unknown. */
	parse_ok("# nothing\n", &st, &snp);
	assert_int_equal(st.ret, -EINVAL);
	assert_int_equal(st.len, SV_PSP_STATUS_LEN);
	assert_int_equal(snp.ret, -EINVAL);
}

static void test_psp_recording_failure_without_hex_is_accepted(void **state)
{
	struct sv_psp_reply st, snp;

	(void)state;
	parse_ok("PLATFORM_STATUS -5 1\nSNP_PLATFORM_STATUS -16 0\n", &st, &snp);
	assert_int_equal(st.ret, -EIO);
	assert_int_equal(st.fwerr, 1);
	for (size_t i = 0; i < SV_PSP_STATUS_LEN; i++)
		assert_int_equal(st.data[i], 0);
	assert_int_equal(snp.ret, -EBUSY);
	/* A failure may still carry the data struct as the kernel left it. */
	parse_ok("PLATFORM_STATUS -5 3 " MILAN_STATUS "\n", &st, &snp);
	assert_int_equal(st.ret, -EIO);
	assert_int_equal(st.fwerr, 3);
	assert_int_equal(st.data[1], 52);
}

static void test_psp_recording_rejects_unknown_command(void **state)
{
	(void)state;
	parse_bad("# ok\nGET_ID2 0 0 00\n", "line 2:", "unknown command 'GET_ID2'");
	parse_bad("platform_status 0 0 " MILAN_STATUS "\n", "line 1:", "unknown command");
	parse_bad("PLATFORM_STATUSX 0 0 " MILAN_STATUS "\n", "line 1:", "unknown command");
}

static void test_psp_recording_rejects_command_listed_twice(void **state)
{
	(void)state;
	parse_bad("PLATFORM_STATUS 0 0 " MILAN_STATUS "\nPLATFORM_STATUS -5 1\n", "line 2:",
		  "listed twice");
	parse_bad("SNP_PLATFORM_STATUS -22 0\n\nSNP_PLATFORM_STATUS -22 0\n", "line 3:",
		  "listed twice");
}

static void test_psp_recording_rejects_wrong_hex_length(void **state)
{
	(void)state;
	parse_bad("PLATFORM_STATUS 0 0 0134010000000004000000\n", "line 1:",
		  "data has 22 hex digits, expected 24");
	parse_bad("PLATFORM_STATUS 0 0 01340100000000040000000000\n", "line 1:",
		  "data has 26 hex digits, expected 24");
	/* The SNP struct is 32 bytes: a PLATFORM_STATUS-sized reply is wrong. */
	parse_bad("SNP_PLATFORM_STATUS 0 0 " MILAN_STATUS "\n", "line 1:",
		  "data has 24 hex digits, expected 64");
	/* Success needs the data. */
	parse_bad("PLATFORM_STATUS 0 0\n", "line 1:", "expected 24");
	parse_bad("PLATFORM_STATUS 0 0 # no data\n", "line 1:", "expected 24");
}

static void test_psp_recording_rejects_non_hex_data(void **state)
{
	(void)state;
	parse_bad("PLATFORM_STATUS 0 0 0134010000000004000000zz\n", "line 1:", "not hexadecimal");
	parse_bad("PLATFORM_STATUS 0 0 0x3401000000000400000000\n", "line 1:", "not hexadecimal");
	parse_bad("PLATFORM_STATUS 0 0 01340100000000040000000-\n", "line 1:", "not hexadecimal");
}

static void test_psp_recording_rejects_positive_or_garbage_ret(void **state)
{
	(void)state;
	parse_bad("PLATFORM_STATUS 1 0 " MILAN_STATUS "\n", "line 1:", "RET must be 0 or a negative");
	parse_bad("PLATFORM_STATUS +0 0 " MILAN_STATUS "\n", "line 1:", "RET");
	parse_bad("PLATFORM_STATUS EIO 0\n", "line 1:", "RET");
	parse_bad("PLATFORM_STATUS --5 0\n", "line 1:", "RET");
	parse_bad("PLATFORM_STATUS -99999999999 0\n", "line 1:", "RET");
	parse_bad("PLATFORM_STATUS\n", "line 1:", "RET");
}

static void test_psp_recording_rejects_bad_fwerr_and_trailing_text(void **state)
{
	(void)state;
	parse_bad("PLATFORM_STATUS -5 -1\n", "line 1:", "FWERR");
	parse_bad("PLATFORM_STATUS -5 0x1\n", "line 1:", "FWERR");
	parse_bad("PLATFORM_STATUS -5\n", "line 1:", "FWERR");
	parse_bad("PLATFORM_STATUS 0 0 " MILAN_STATUS " extra\n", "line 1:", "unexpected text");
}

/* --------------------------------------------------------------- decoder */

static struct sv_psp_reply reply(int ret, uint32_t fwerr, const char *hex, size_t len)
{
	struct sv_psp_reply r = { .issued = true, .ret = ret, .fwerr = fwerr, .len = len };

	for (size_t i = 0; hex != NULL && i < len; i++) {
		unsigned b;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		r.data[i] = (uint8_t)b;
	}
	return r;
}

static void test_psp_decode_platform_status_byte_offsets(void **state)
{
	struct sv_psp_reply st = reply(0, 0, RICH_STATUS, 12), snp = reply(-EINVAL, 0, NULL, 32);
	struct sevslot_firmware fw;

	(void)state;
	memset(&fw, 0, sizeof(fw));
	sv_psp_decode(&st, &snp, &fw);
	assert_true(fw.status_ok);
	assert_int_equal(fw.status_error, 0);
	assert_int_equal(fw.api_major, 1);
	assert_int_equal(fw.api_minor, 55);
	assert_int_equal(fw.state, SEVSLOT_FW_WORKING);
	assert_int_equal(fw.flags, 0x101);
	assert_true(fw.owner_external);
	assert_true(fw.config_es);
	assert_int_equal(fw.build, 0x2a);
	assert_int_equal(fw.guest_count, 0x04030201);
	assert_false(fw.snp_ok);
	assert_int_equal(fw.snp_error, -EINVAL);
}

static void test_psp_decode_flags_bit0_owner_bit8_config_es(void **state)
{
	static const struct {
		const char *flags; /* bytes 3..6, little-endian */
		bool owner, es;
	} cases[] = {
		{ "00000000", false, false },
		{ "01000000", true, false },
		{ "00010000", false, true },
		{ "fefeffff", false, false }, /* every other bit set */
		{ "01010000", true, true },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char hex[32];
		struct sv_psp_reply st, snp = reply(-EINVAL, 0, NULL, 32);
		struct sevslot_firmware fw;

		snprintf(hex, sizeof(hex), "013401%s0400000000", cases[i].flags);
		st = reply(0, 0, hex, 12);
		memset(&fw, 0, sizeof(fw));
		sv_psp_decode(&st, &snp, &fw);
		assert_true(fw.status_ok);
		if (fw.owner_external != cases[i].owner || fw.config_es != cases[i].es)
			fail_msg("flags bytes %s: owner_external %d config_es %d, want %d %d",
				 cases[i].flags, fw.owner_external, fw.config_es, cases[i].owner,
				 cases[i].es);
		/* build (byte 7) stays where it is whatever the flags hold */
		assert_int_equal(fw.build, 4);
	}
}

static void test_psp_decode_snp_platform_status_fields(void **state)
{
	struct sv_psp_reply st = reply(0, 0, MILAN_STATUS, 12), snp = reply(0, 0, RICH_SNP, 32);
	struct sevslot_firmware fw;

	(void)state;
	memset(&fw, 0, sizeof(fw));
	sv_psp_decode(&st, &snp, &fw);
	assert_true(fw.snp_ok);
	assert_int_equal(fw.snp_api_major, 1);
	assert_int_equal(fw.snp_api_minor, 55);
	assert_int_equal(fw.snp_state, SEVSLOT_FW_INIT);
	assert_true(fw.snp_rmp_initialized);
	assert_int_equal(fw.snp_build_id, 0x12345678);
	assert_int_equal(fw.snp_feature_info, 0xf);
	assert_int_equal(fw.snp_guest_count, 3);
	assert_true(fw.snp_current_tcb == 0x1122334455667788ull);
	assert_true(fw.snp_reported_tcb == 0x0102030405060708ull);
	/* The SEV status decodes independently. */
	assert_true(fw.status_ok);
	assert_int_equal(fw.api_minor, 52);
	assert_int_equal(fw.state, SEVSLOT_FW_INIT);
	assert_false(fw.owner_external);
}

static void test_psp_decode_rmp_is_bit0_of_byte3_only(void **state)
{
	struct sv_psp_reply st = reply(0, 0, MILAN_STATUS, 12);
	struct sv_psp_reply snp = reply(0, 0, "013701fe" "78563412" "0f000000" "03000000"
					       "0000000000000000" "0000000000000000", 32);
	struct sevslot_firmware fw;

	(void)state;
	memset(&fw, 0, sizeof(fw));
	sv_psp_decode(&st, &snp, &fw);
	assert_true(fw.snp_ok);
	assert_false(fw.snp_rmp_initialized);
	assert_int_equal(fw.snp_build_id, 0x12345678);
}

static void test_psp_decode_unknown_firmware_status_is_never_success(void **state)
{
	static const uint32_t codes[] = { 1, 0x16, 0x27, 0x99, 0xffff, 0xffffffffu };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		/* The ioctl "succeeded" but the firmware said something else. */
		struct sv_psp_reply st = reply(0, codes[i], RICH_STATUS, 12);
		struct sv_psp_reply snp = reply(0, codes[i], RICH_SNP, 32);
		struct sevslot_firmware fw;

		memset(&fw, 0, sizeof(fw));
		sv_psp_decode(&st, &snp, &fw);
		if (fw.status_ok || fw.snp_ok)
			fail_msg("firmware status %#x decoded as success", codes[i]);
		assert_int_equal(fw.status_fwerr, codes[i]);
		assert_int_equal(fw.snp_fwerr, codes[i]);
		/* Nothing is read out of a failed reply. */
		assert_int_equal(fw.api_major, 0);
		assert_int_equal(fw.guest_count, 0);
		assert_int_equal(fw.snp_build_id, 0);
	}
	assert_null(sevslot_fw_error_name(0x99));
	assert_null(sevslot_fw_error_name(0xffffffffu));
}

static void test_psp_decode_ioctl_failure_is_not_success(void **state)
{
	struct sv_psp_reply st = reply(-EIO, 1, RICH_STATUS, 12);
	struct sv_psp_reply snp = reply(-ENOTTY, 0, RICH_SNP, 32);
	struct sevslot_firmware fw;

	(void)state;
	memset(&fw, 0, sizeof(fw));
	sv_psp_decode(&st, &snp, &fw);
	assert_false(fw.status_ok);
	assert_int_equal(fw.status_error, -EIO);
	assert_int_equal(fw.status_fwerr, 1);
	assert_int_equal(fw.api_major, 0);
	assert_false(fw.snp_ok);
	assert_int_equal(fw.snp_error, -ENOTTY);
	/* A reply that was never issued is not success either. */
	st = reply(0, 0, RICH_STATUS, 12);
	st.issued = false;
	sv_psp_decode(&st, &snp, &fw);
	assert_false(fw.status_ok);
}

static void test_psp_recording_round_trips_through_decode(void **state)
{
	struct sv_psp_reply st, snp;
	struct sevslot_firmware fw;

	(void)state;
	parse_ok("PLATFORM_STATUS 0 0 " RICH_STATUS "\nSNP_PLATFORM_STATUS 0 0 " RICH_SNP "\n", &st,
		 &snp);
	memset(&fw, 0, sizeof(fw));
	sv_psp_decode(&st, &snp, &fw);
	assert_true(fw.status_ok && fw.snp_ok);
	assert_int_equal(fw.guest_count, 0x04030201);
	assert_int_equal(fw.snp_build_id, 0x12345678);
	assert_true(fw.snp_reported_tcb == 0x0102030405060708ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psp_open_line_records_the_open_error),
		cmocka_unit_test(test_psp_recording_reads_both_commands),
		cmocka_unit_test(test_psp_recording_skips_comments_and_blank_lines),
		cmocka_unit_test(test_psp_recording_accepts_tabs_and_crlf),
		cmocka_unit_test(test_psp_recording_unlisted_command_replays_einval),
		cmocka_unit_test(test_psp_recording_failure_without_hex_is_accepted),
		cmocka_unit_test(test_psp_recording_rejects_unknown_command),
		cmocka_unit_test(test_psp_recording_rejects_command_listed_twice),
		cmocka_unit_test(test_psp_recording_rejects_wrong_hex_length),
		cmocka_unit_test(test_psp_recording_rejects_non_hex_data),
		cmocka_unit_test(test_psp_recording_rejects_positive_or_garbage_ret),
		cmocka_unit_test(test_psp_recording_rejects_bad_fwerr_and_trailing_text),
		cmocka_unit_test(test_psp_decode_platform_status_byte_offsets),
		cmocka_unit_test(test_psp_decode_flags_bit0_owner_bit8_config_es),
		cmocka_unit_test(test_psp_decode_snp_platform_status_fields),
		cmocka_unit_test(test_psp_decode_rmp_is_bit0_of_byte3_only),
		cmocka_unit_test(test_psp_decode_unknown_firmware_status_is_never_success),
		cmocka_unit_test(test_psp_decode_ioctl_failure_is_not_success),
		cmocka_unit_test(test_psp_recording_round_trips_through_decode),
	};

	return cmocka_run_group_tests_name("psp", tests, NULL, NULL);
}
