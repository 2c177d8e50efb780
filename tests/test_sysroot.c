/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading files under a sysroot: whole files up to a limit, one byte past the
 * limit is "too large" (or a kept prefix), and what is at a path.
 */
#include "harness.h"

#include "output.h"
#include "probe.h"

static struct sevslot_ctx *ctx_for(const char *root)
{
	struct sevslot_ctx *ctx;

	assert_int_equal(sevslot_new(&ctx, root), 0);
	assert_false(sevslot_is_live(ctx));
	return ctx;
}

static void fill(char *root, const char *rel, size_t len)
{
	char *data = malloc(len + 1);

	assert_non_null(data);
	for (size_t i = 0; i < len; i++)
		data[i] = (char)('a' + i % 26);
	h_write(root, rel, data, len);
	free(data);
}

static void test_read_exactly_max_bytes_is_whole(void **state)
{
	char *root = h_tmpdir();
	struct sevslot_ctx *ctx = ctx_for(root);
	struct sv_buf b;

	(void)state;
	fill(root, "f", 4096);
	sv_read(ctx, "f", 4096, false, &b);
	assert_int_equal(b.err, 0);
	assert_false(b.truncated);
	assert_int_equal(b.len, 4096);
	assert_int_equal(b.data[4095], 'a' + 4095 % 26);
	assert_int_equal(b.data[4096], '\0');
	sv_buf_release(&b);
	assert_null(b.data);
	sevslot_free(ctx);
	h_rmtree(root);
}

static void test_read_one_byte_over_max_is_efbig(void **state)
{
	char *root = h_tmpdir();
	struct sevslot_ctx *ctx = ctx_for(root);
	struct sv_buf b;

	(void)state;
	fill(root, "f", 4097);
	sv_read(ctx, "f", 4096, false, &b);
	assert_int_equal(b.err, -EFBIG);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	sv_buf_release(&b);
	/* A mebibyte does not get further. */
	fill(root, "big", 1 << 20);
	sv_read(ctx, "big", 4096, false, &b);
	assert_int_equal(b.err, -EFBIG);
	assert_null(b.data);
	sevslot_free(ctx);
	h_rmtree(root);
}

static void test_read_prefix_ok_keeps_max_bytes(void **state)
{
	char *root = h_tmpdir();
	struct sevslot_ctx *ctx = ctx_for(root);
	struct sv_buf b;

	(void)state;
	fill(root, "f", 1 << 20);
	sv_read(ctx, "f", 100, true, &b);
	assert_int_equal(b.err, 0);
	assert_true(b.truncated);
	assert_int_equal(b.len, 100);
	assert_int_equal(strlen(b.data), 100);
	assert_int_equal(b.data[99], 'a' + 99 % 26);
	sv_buf_release(&b);
	sevslot_free(ctx);
	h_rmtree(root);
}

static void test_read_first_record_stops_at_the_blank_line(void **state)
{
	char *root = h_tmpdir();
	struct sevslot_ctx *ctx = ctx_for(root);
	struct sv_buf b;

	(void)state;
	h_puts(root, "cpuinfo", "processor\t: 0\nflags\t\t: sev\n\nprocessor\t: 1\nflags\t\t: x\n\n");
	sv_read_first_record(ctx, "cpuinfo", 4096, &b);
	assert_int_equal(b.err, 0);
	assert_true(b.truncated);
	assert_string_equal(b.data, "processor\t: 0\nflags\t\t: sev\n\n");
	sv_buf_release(&b);
	/* A single record without a blank line is read whole. */
	h_puts(root, "one", "processor\t: 0\n");
	sv_read_first_record(ctx, "one", 4096, &b);
	assert_int_equal(b.err, 0);
	assert_false(b.truncated);
	assert_string_equal(b.data, "processor\t: 0\n");
	sv_buf_release(&b);
	sevslot_free(ctx);
	h_rmtree(root);
}

static void test_read_empty_file_and_absent_file(void **state)
{
	char *root = h_tmpdir();
	struct sevslot_ctx *ctx = ctx_for(root);
	struct sv_buf b;

	(void)state;
	h_puts(root, "empty", "");
	sv_read(ctx, "empty", 4096, false, &b);
	assert_int_equal(b.err, 0);
	assert_int_equal(b.len, 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	sv_buf_release(&b);
	sv_read(ctx, "missing", 4096, false, &b);
	assert_int_equal(b.err, -ENOENT);
	assert_null(b.data);
	/* Absolute kernel paths are read under the root too. */
	h_puts(root, "proc/sys/kernel/osrelease", "6.18.0\n");
	sv_read(ctx, "/proc/sys/kernel/osrelease", 4096, false, &b);
	assert_int_equal(b.err, 0);
	assert_string_equal(b.data, "6.18.0\n");
	sv_buf_release(&b);
	sevslot_free(ctx);
	h_rmtree(root);
}

static void test_read_directory_is_an_error_not_data(void **state)
{
	char *root = h_tmpdir();
	struct sevslot_ctx *ctx = ctx_for(root);
	struct sv_buf b;
	int err;

	(void)state;
	h_puts(root, "d/x", "1");
	sv_read(ctx, "d", 4096, false, &b);
	assert_int_equal(b.err, -EISDIR);
	assert_null(b.data);
	assert_int_equal(sv_stat(ctx, "d", &err), SV_DIRECTORY);
	assert_int_equal(sv_stat(ctx, "d/x", &err), SV_REGULAR);
	assert_int_equal(sv_stat(ctx, "nope", &err), SV_ABSENT);
	assert_int_equal(err, -ENOENT);
	sevslot_free(ctx);
	h_rmtree(root);
}

static void test_new_fails_on_missing_sysroot(void **state)
{
	struct sevslot_ctx *ctx = (struct sevslot_ctx *)1;

	(void)state;
	assert_int_equal(sevslot_new(&ctx, "/nonexistent/sevslot-sysroot"), -ENOENT);
	assert_null(ctx);
	assert_int_equal(sevslot_new(&ctx, "/"), 0);
	assert_true(sevslot_is_live(ctx));
	sevslot_free(ctx);
	sevslot_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_exactly_max_bytes_is_whole),
		cmocka_unit_test(test_read_one_byte_over_max_is_efbig),
		cmocka_unit_test(test_read_prefix_ok_keeps_max_bytes),
		cmocka_unit_test(test_read_first_record_stops_at_the_blank_line),
		cmocka_unit_test(test_read_empty_file_and_absent_file),
		cmocka_unit_test(test_read_directory_is_an_error_not_data),
		cmocka_unit_test(test_new_fails_on_missing_sysroot),
	};

	return cmocka_run_group_tests_name("sysroot", tests, NULL, NULL);
}
