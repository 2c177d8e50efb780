/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration file: defaults, every key, and a message naming
 * FILE:LINE for everything malformed (the CLI exits 78 on it).
 */
#include "harness.h"

#include "sevslot.h"

static struct sevslot_ctx *ctx;
static char *dir;

static int setup(void **state)
{
	(void)state;
	dir = h_tmpdir();
	return sevslot_new(&ctx, dir);
}

static int teardown(void **state)
{
	(void)state;
	sevslot_free(ctx);
	h_rmtree(dir);
	return 0;
}

/* Load `text` as a config file; returns the error, config in *out. */
static int load(const char *text, struct sevslot_config **out)
{
	char path[512];

	h_puts(dir, "sevslot.conf", text);
	snprintf(path, sizeof(path), "%s/sevslot.conf", dir);
	return sevslot_config_load(ctx, path, out);
}

static void test_config_full_file_parses(void **state)
{
	struct sevslot_config *c;

	(void)state;
	assert_int_equal(load("# comment\n"
			      "; also a comment\n"
			      "[ledger]\n"
			      "path = /srv/sevslot/ledger.db   # trailing comment\n"
			      "busy_timeout_ms=250\n"
			      "\n"
			      "[pool.sev]          # also pool.sev_es, pool.sev_snp\n"
			      "limit = auto        # or a number\n"
			      "reserved = 2\n"
			      "[ pool.sev_es ]\n"
			      "limit = 3\n"
			      "[pool.sev_snp]\r\n"
			      "limit = 0\r\n",
			      &c), 0);
	assert_string_equal(c->ledger_path, "/srv/sevslot/ledger.db");
	assert_int_equal(c->busy_timeout_ms, 250);
	assert_int_equal(c->pools[SEVSLOT_POOL_SEV].limit, -1);
	assert_int_equal(c->pools[SEVSLOT_POOL_SEV].reserved, 2);
	assert_int_equal(c->pools[SEVSLOT_POOL_SEV_ES].limit, 3);
	assert_int_equal(c->pools[SEVSLOT_POOL_SEV_ES].reserved, 0);
	assert_int_equal(c->pools[SEVSLOT_POOL_SEV_SNP].limit, 0);
	sevslot_config_free(c);
}

static void test_config_empty_file_gives_defaults(void **state)
{
	struct sevslot_config *c;

	(void)state;
	assert_int_equal(load("", &c), 0);
	assert_null(c->ledger_path);
	assert_int_equal(c->busy_timeout_ms, SEVSLOT_BUSY_TIMEOUT_MS);
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++) {
		assert_int_equal(c->pools[p].limit, -1);
		assert_int_equal(c->pools[p].reserved, 0);
	}
	sevslot_config_free(c);
	sevslot_config_free(NULL);
}

static void test_config_missing_named_file_is_enoent(void **state)
{
	struct sevslot_config *c;
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/absent.conf", dir);
	assert_int_equal(sevslot_config_load(ctx, path, &c), -ENOENT);
	assert_null(c);
	assert_non_null(strstr(sevslot_errmsg(ctx), path));
}

/*
 * Issue 10, 2: a line too long to be a config line is an error, never a
 * reason to stop reading: the limit after a huge comment is not lost, and
 * /dev/zero (no end, no newline) fails at once instead of eating memory.
 */
static void test_config_huge_line_is_an_error_not_the_end(void **state)
{
	struct sevslot_config *c = NULL;
	size_t n = 300 * 1024;
	char *text = malloc(n + 64);

	(void)state;
	assert_non_null(text);
	memset(text, 'x', n);
	text[0] = '#';
	strcpy(text + n, "\n[pool.sev]\nlimit = 4\n");
	assert_int_equal(load(text, &c), -EINVAL);
	assert_null(c);
	assert_non_null(strstr(sevslot_errmsg(ctx), "sevslot.conf:1: line longer than"));
	free(text);
	assert_int_equal(sevslot_config_load(ctx, "/dev/zero", &c), -EINVAL);
	assert_non_null(strstr(sevslot_errmsg(ctx), "/dev/zero:1:"));
}

/* A read that fails is an I/O error (the CLI's 74), not the end of the file. */
static void test_config_read_error_is_eio(void **state)
{
	struct sevslot_config *c = NULL;

	(void)state;
	/* fopen opens a directory; its first read fails with EISDIR. */
	assert_int_equal(sevslot_config_load(ctx, dir, &c), -EIO);
	assert_null(c);
	assert_non_null(strstr(sevslot_errmsg(ctx), "cannot read"));
}

static void test_config_errors_name_file_and_line(void **state)
{
	static const struct {
		const char *text;
		const char *line;      /* ":N:" expected in the message */
		const char *why;       /* and this */
	} cases[] = {
		{ "limit = 3\n", ":1:", "before any [section]" },
		{ "[ledger]\n[pools.sev]\n", ":2:", "unknown section" },
		{ "[pool.tdx]\n", ":1:", "unknown section" },
		{ "[ledger\n", ":1:", "section header" },
		{ "[ledger]\n\npath\n", ":3:", "key = value" },
		{ "[ledger]\npath = relative/ledger.db\n", ":2:", "absolute" },
		{ "[ledger]\nbusy_timeout_ms = -1\n", ":2:", "number" },
		{ "[ledger]\nbusy_timeout_ms = 5s\n", ":2:", "number" },
		{ "[ledger]\nbusy_timeout_ms = 99999999999\n", ":2:", "number" },
		{ "[ledger]\nbusy_timeout = 5\n", ":2:", "unknown key" },
		{ "[pool.sev]\nlimt = 4\n", ":2:", "unknown key" },
		{ "[pool.sev]\nlimit = lots\n", ":2:", "number" },
		{ "[pool.sev]\nlimit =\n", ":2:", "no value" },
		{ "[pool.sev]\n= 4\n", ":2:", "key is missing" },
		{ "[pool.sev]\nreserved = 4294967296\n", ":2:", "number" },
		{ "[pool.sev]\nlimit = 1\nlimit = 2\n", ":3:", "twice" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sevslot_config *c = (void *)1;
		int err = load(cases[i].text, &c);
		const char *msg = sevslot_errmsg(ctx);

		if (err != -EINVAL || c != NULL || strstr(msg, "sevslot.conf") == NULL ||
		    strstr(msg, cases[i].line) == NULL || strstr(msg, cases[i].why) == NULL)
			fail_msg("case %zu (%s): err %d, message '%s'", i, cases[i].text, err, msg);
	}
}

static void test_effective_capacity_applies_limit_then_reserved(void **state)
{
	struct sevslot_host host;
	struct sevslot_config *c;

	(void)state;
	memset(&host, 0, sizeof(host));
	host.pools[SEVSLOT_POOL_SEV] = (struct sevslot_pool){ .capacity = 502, .present = true };
	host.pools[SEVSLOT_POOL_SEV_ES] = (struct sevslot_pool){ .capacity = 7, .present = true };
	assert_int_equal(sevslot_effective_capacity(&host, NULL, SEVSLOT_POOL_SEV), 502);
	assert_int_equal(sevslot_effective_capacity(&host, NULL, SEVSLOT_POOL_SEV_SNP), 0);
	assert_int_equal(load("[pool.sev]\nlimit = 100\nreserved = 4\n"
			      "[pool.sev_es]\nlimit = 50\nreserved = 9\n", &c), 0);
	assert_int_equal(sevslot_effective_capacity(&host, c, SEVSLOT_POOL_SEV), 96);
	/* A limit above what the host has does not invent slots; reserved floors at 0. */
	assert_int_equal(sevslot_effective_capacity(&host, c, SEVSLOT_POOL_SEV_ES), 0);
	assert_int_equal(sevslot_effective_capacity(&host, c, SEVSLOT_POOL_COUNT), 0);
	sevslot_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_full_file_parses),
		cmocka_unit_test(test_config_empty_file_gives_defaults),
		cmocka_unit_test(test_config_missing_named_file_is_enoent),
		cmocka_unit_test(test_config_errors_name_file_and_line),
		cmocka_unit_test(test_config_huge_line_is_an_error_not_the_end),
		cmocka_unit_test(test_config_read_error_is_eio),
		cmocka_unit_test(test_effective_capacity_applies_limit_then_reserved),
	};

	return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
