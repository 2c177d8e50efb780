/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exit codes of `sevslot probe` and `sevslot snapshot` (sysexits(3), as
 * DESIGN.md lists them), and the one stderr line every failure prints.
 */
#include "harness.h"

#include "run.h"
#include "sevslot.h"

#define MILAN "tests/fixtures/hosts/epyc-7313-milan"

static struct r_result sevslot(const char *a1, const char *a2, const char *a3, const char *a4)
{
	char bin[512];
	const char *argv[] = { bin, a1, a2, a3, a4, NULL };

	r_build_path(bin, sizeof(bin), "sevslot");
	return r_run(argv);
}

static void assert_one_line(const char *s)
{
	const char *nl = strchr(s, '\n');

	if (nl == NULL || nl[1] != '\0')
		fail_msg("want exactly one line on stderr, got: '%s'", s);
	assert_contains(s, "sevslot: ");
}

/* A failure: exit `code`, nothing on stdout, one line on stderr containing `what`. */
static void expect_failure(struct r_result r, int code, const char *what)
{
	assert_exit(r, code);
	assert_string_equal(r.out, "");
	assert_one_line(r.err);
	assert_contains(r.err, what);
	r_free(&r);
}

/*
 * Exit 64 and sevslot's own line last. getopt_long still prints a line of
 * its own before it (opterr is left on in src/cli/main.c), so "exactly one
 * line" is not asserted here yet.
 */
static void expect_usage_error(struct r_result r, const char *what)
{
	const char *last;
	size_t n = strlen(r.err);

	assert_exit(r, 64);
	assert_string_equal(r.out, "");
	assert_true(n > 0 && r.err[n - 1] == '\n');
	for (last = r.err + n - 1; last > r.err && last[-1] != '\n'; last--)
		;
	assert_contains(last, "sevslot: ");
	assert_contains(last, what);
	r_free(&r);
}

static void test_cli_bad_option_is_64(void **state)
{
	(void)state;
	expect_usage_error(sevslot("--bogus", "probe", NULL, NULL), "unknown option");
	expect_usage_error(sevslot("probe", "--bogus", NULL, NULL), "unknown option");
	expect_usage_error(sevslot("snapshot", "--bogus", "/tmp/x", NULL), "unknown option");
	expect_usage_error(sevslot("--sysroot", NULL, NULL, NULL), "see 'sevslot --help'");
}

static void test_cli_unknown_or_missing_command_is_64(void **state)
{
	(void)state;
	expect_failure(sevslot("frobnicate", NULL, NULL, NULL), 64, "unknown command 'frobnicate'");
	expect_failure(sevslot(NULL, NULL, NULL, NULL), 64, "no command");
	expect_failure(sevslot("--sysroot", MILAN, NULL, NULL), 64, "no command");
}

static void test_cli_stray_arguments_are_64(void **state)
{
	(void)state;
	expect_failure(sevslot("--sysroot", MILAN, "probe", "extra"), 64, "unexpected argument");
	expect_failure(sevslot("snapshot", NULL, NULL, NULL), 64, "expected DIR, got 0 arguments");
	expect_failure(sevslot("snapshot", "/tmp/a", "/tmp/b", NULL), 64, "expected DIR, got 2");
}

static void test_cli_missing_sysroot_dir_is_64_naming_it(void **state)
{
	(void)state;
	expect_failure(sevslot("--sysroot", "/nonexistent/sevslot-host", "probe", NULL), 64,
		       "/nonexistent/sevslot-host");
}

static void test_cli_malformed_recording_is_65_naming_it(void **state)
{
	char *root = h_tmpdir(), path[512];

	(void)state;
	h_puts(root, "dev/cpu/0/cpuid", "CPU:\n   0x8000001f 0x00: eax=0x0001007f\n");
	snprintf(path, sizeof(path), "%s/dev/cpu/0/cpuid: line 2", root);
	expect_failure(sevslot("--sysroot", root, "probe", NULL), 65, path);
	expect_failure(sevslot("--sysroot", root, "probe", "--json"), 65, path);
	h_puts(root, "dev/cpu/0/cpuid", "");
	h_puts(root, "dev/sev", "PLATFORM_STATUS 0 0 0134\n");
	snprintf(path, sizeof(path), "%s/dev/sev: line 1", root);
	expect_failure(sevslot("--sysroot", root, "probe", NULL), 65, path);
	h_rmtree(root);
}

static void test_cli_probe_of_an_unusable_host_is_69(void **state)
{
	char *root = h_tmpdir();
	struct r_result r;

	(void)state;
	/* Nothing recorded at all: a report, not an error, and no model usable. */
	r = sevslot("--sysroot", root, "probe", NULL);
	assert_exit(r, 69);
	assert_true(strlen(r.out) > 0);
	assert_string_equal(r.err, "");
	r_free(&r);
	r = sevslot("--json", "--sysroot", root, "probe");
	assert_exit(r, 69);
	assert_contains(r.out, "\"usable\": false");
	r_free(&r);
	h_rmtree(root);
}

static void test_cli_probe_of_a_usable_host_is_0(void **state)
{
	struct r_result r;

	(void)state;
	r = sevslot("--sysroot", MILAN, "probe", "--json");
	assert_exit(r, 0);
	assert_contains(r.out, "\"usable\": true");
	assert_string_equal(r.err, "");
	r_free(&r);
}

static void test_cli_help_and_version_are_0(void **state)
{
	struct r_result r;

	(void)state;
	r = sevslot("--help", NULL, NULL, NULL);
	assert_exit(r, 0);
	assert_contains(r.out, "Usage: sevslot");
	assert_contains(r.out, "probe");
	assert_contains(r.out, "snapshot");
	assert_string_equal(r.err, "");
	r_free(&r);
	r = sevslot("-h", NULL, NULL, NULL);
	assert_exit(r, 0);
	r_free(&r);
	r = sevslot("--version", NULL, NULL, NULL);
	assert_exit(r, 0);
	assert_string_equal(r.out, "sevslot " SEVSLOT_VERSION "\n");
	r_free(&r);
	r = sevslot("-V", NULL, NULL, NULL);
	assert_exit(r, 0);
	assert_string_equal(r.out, "sevslot " SEVSLOT_VERSION "\n");
	r_free(&r);
	r = sevslot("probe", "--help", NULL, NULL);
	assert_exit(r, 0);
	assert_contains(r.out, "sevslot [GLOBAL OPTIONS] probe");
	r_free(&r);
	r = sevslot("snapshot", "--help", NULL, NULL);
	assert_exit(r, 0);
	assert_contains(r.out, "snapshot DIR");
	r_free(&r);
}

/*
 * The lines of `text` that start with `prefix`, the first word after it
 * each; with `subcommands`, a second word in lower case too ("domain check").
 */
static size_t words_after(const char *text, const char *prefix, bool subcommands,
			  char words[][64], size_t max)
{
	size_t n = 0, plen = strlen(prefix);

	for (const char *line = text; line != NULL && *line != '\0' && n < max;) {
		const char *nl = strchr(line, '\n');

		if (strncmp(line, prefix, plen) == 0 && line[plen] >= 'a' && line[plen] <= 'z') {
			const char *w = line + plen;
			size_t len = strcspn(w, " \n");

			if (subcommands && w[len] == ' ' && w[len + 1] >= 'a' && w[len + 1] <= 'z')
				len += 1 + strcspn(w + len + 1, " \n");
			snprintf(words[n++], 64, "%.*s", (int)len, w);
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	return n;
}

/*
 * Help is generated from each command's option table: every option a
 * command's --help shows is one its parser takes, and the synopsis in
 * 'sevslot --help' names each of them.
 */
static void test_cli_help_lists_what_the_parser_takes(void **state)
{
	char cmds[32][64], opts[32][64], bin[512], ledger[512], written[512];
	struct r_result top = sevslot("--help", NULL, NULL, NULL);
	size_t n_cmds, n_opts_total = 0;
	char *dir = h_tmpdir();

	(void)state;
	r_build_path(bin, sizeof(bin), "sevslot");
	snprintf(ledger, sizeof(ledger), "%s/ledger.db", dir);
	snprintf(written, sizeof(written), "%s/written", dir);
	assert_exit(top, 0);
	n_cmds = words_after(top.out, "  ", true, cmds, 32);
	assert_true(n_cmds >= 13);
	for (size_t c = 0; c < n_cmds; c++) {
		/* "domain check" is two words on the command line. */
		char word[64], *sub = NULL;
		struct r_result h;
		size_t n_opts;

		snprintf(word, sizeof(word), "%s", cmds[c]);
		if ((sub = strchr(word, ' ')) != NULL)
			*sub++ = '\0';
		h = sub != NULL ? sevslot(word, sub, "--help", NULL) : sevslot(word, "--help", NULL, NULL);
		assert_exit(h, 0);
		n_opts = words_after(h.out, "  --", false, opts, 32);
		assert_true(n_opts >= 2); /* --json and --help at least */
		for (size_t o = 0; o < n_opts; o++) {
			char opt[80], synopsis_opt[96];
			/* An option that writes a file (--output) gets one in the test's directory. */
			const char *val = strcmp(opts[o], "output") == 0 ? written : "x";
			const char *argv[] = { bin, "--sysroot", MILAN, "--ledger", ledger, word,
					       sub != NULL ? sub : opt, sub != NULL ? opt : val,
					       sub != NULL ? val : NULL, NULL };
			struct r_result r;

			if (strcmp(opts[o], "help") == 0)
				continue;
			snprintf(opt, sizeof(opt), "--%s", opts[o]);
			r = r_run(argv);
			assert_not_contains(r.err, "unknown option");
			assert_not_contains(r.err, "needs a value");
			r_free(&r);
			snprintf(synopsis_opt, sizeof(synopsis_opt), "--%s", opts[o]);
			if (strcmp(opts[o], "json") != 0)
				assert_contains(top.out, synopsis_opt);
			n_opts_total++;
		}
		r_free(&h);
	}
	assert_true(n_opts_total >= n_cmds + 9);
	r_free(&top);
	h_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_bad_option_is_64),
		cmocka_unit_test(test_cli_unknown_or_missing_command_is_64),
		cmocka_unit_test(test_cli_stray_arguments_are_64),
		cmocka_unit_test(test_cli_missing_sysroot_dir_is_64_naming_it),
		cmocka_unit_test(test_cli_malformed_recording_is_65_naming_it),
		cmocka_unit_test(test_cli_probe_of_an_unusable_host_is_69),
		cmocka_unit_test(test_cli_probe_of_a_usable_host_is_0),
		cmocka_unit_test(test_cli_help_and_version_are_0),
		cmocka_unit_test(test_cli_help_lists_what_the_parser_takes),
	};

	return cmocka_run_group_tests_name("cli_exit", tests, NULL, NULL);
}
