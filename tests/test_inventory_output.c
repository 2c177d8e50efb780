/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `sevslot inventory --output FILE`: every format writes the bytes it would
 * print, atomically (a reader racing the writer sees a whole old file or a
 * whole new one, never a part), synced before the rename and the directory
 * after (a shim logs the calls), the target's mode kept, nothing left
 * behind, and a target that is not a regular file refused untouched.
 */
#include "harness.h"

#include <dirent.h>
#include <signal.h>

#include "run.h"

#define MILAN "tests/fixtures/hosts/epyc-7313-milan"

static char *dir;
static char file[600];

static int setup(void **state)
{
	(void)state;
	dir = h_tmpdir();
	snprintf(file, sizeof(file), "%s/sevslot.prom", dir);
	h_puts(dir, "empty.conf", "");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	h_rmtree(dir);
	return 0;
}

/* sevslot --sysroot MILAN --config DIR/empty.conf --ledger DIR/none.db inventory ARGS... */
static struct r_result inventory(char *const env[], const char *const args[])
{
	const char *argv[16];
	char bin[600], conf[700], ledger[700];
	size_t n = 0;

	r_build_path(bin, sizeof(bin), "sevslot");
	snprintf(conf, sizeof(conf), "%s/empty.conf", dir);
	snprintf(ledger, sizeof(ledger), "%s/none.db", dir);
	argv[n++] = bin;
	argv[n++] = "--sysroot";
	argv[n++] = MILAN;
	argv[n++] = "--config";
	argv[n++] = conf;
	argv[n++] = "--ledger";
	argv[n++] = ledger;
	argv[n++] = "inventory";
	for (size_t i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return r_run_env(argv, env);
}

static char *slurp_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *text;

	if (fd < 0)
		return NULL;
	text = r_slurp(fd);
	close(fd);
	return text;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in `dir`, but the test's own config, sorted and joined: "a b". */
static void assert_only(const char *expect)
{
	char *names[16], joined[1024] = "";
	size_t n = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((e = readdir(d)) != NULL && n < 16)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    strcmp(e->d_name, "empty.conf") != 0)
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	for (size_t i = 0; i < n; i++) {
		snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s",
			 i ? " " : "", names[i]);
		free(names[i]);
	}
	if (strcmp(joined, expect) != 0)
		fail_msg("directory holds '%s', expected '%s'", joined, expect);
}

static void test_output_writes_what_every_format_prints(void **state)
{
	static const char *const formats[] = { "text", "json", "placement", "nfd", "prometheus" };

	(void)state;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		const char *print[] = { "--format", formats[i], "--host", "cmp-7", NULL };
		const char *write[] = { "--format", formats[i], "--host", "cmp-7", "--output", file,
					NULL };
		struct r_result p = inventory(NULL, print), w = inventory(NULL, write);
		char *text;

		assert_exit(p, 0);
		assert_exit(w, 0);
		assert_string_equal(w.out, "");
		assert_string_equal(w.err, "");
		text = slurp_file(file);
		assert_non_null(text);
		assert_string_equal(text, p.out);
		free(text);
		r_free(&p);
		r_free(&w);
		assert_only("sevslot.prom");
	}
	unlink(file);
}

/*
 * A reader reads the file over and over while the writer replaces it with
 * one format and then another: every read is one whole file or the other.
 */
static void test_output_is_atomic_for_a_reader(void **state)
{
	const char *json[] = { "--format", "json", NULL };
	const char *prom[] = { "--format", "prometheus", NULL };
	const char *json_out[] = { "--format", "json", "--output", file, NULL };
	const char *prom_out[] = { "--format", "prometheus", "--output", file, NULL };
	struct r_result a = inventory(NULL, json), b = inventory(NULL, prom);
	unsigned counts[2] = { 0, 0 }; /* reads, and reads that were neither whole file */
	char stop[700];
	int pipefd[2], status;
	pid_t reader;

	(void)state;
	assert_exit(a, 0);
	assert_exit(b, 0);
	snprintf(stop, sizeof(stop), "%s/../stop-%d", dir, (int)getpid());
	unlink(stop);
	assert_int_equal(pipe(pipefd), 0);
	reader = fork();
	assert_true(reader >= 0);
	if (reader == 0) {
		/* Read until told to stop, then say how it went. */
		close(pipefd[0]);
		while (access(stop, F_OK) != 0) {
			char *text = slurp_file(file);

			if (text == NULL)
				continue;
			counts[0]++;
			counts[1] += strcmp(text, a.out) != 0 && strcmp(text, b.out) != 0;
			free(text);
		}
		_exit(write(pipefd[1], counts, sizeof(counts)) == sizeof(counts) ? 0 : 1);
	}
	close(pipefd[1]);
	for (unsigned i = 0; i < 60; i++) {
		struct r_result w = inventory(NULL, i % 2 ? prom_out : json_out);

		assert_exit(w, 0);
		r_free(&w);
	}
	close(open(stop, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	assert_int_equal(read(pipefd[0], counts, sizeof(counts)), (ssize_t)sizeof(counts));
	close(pipefd[0]);
	assert_int_equal(waitpid(reader, &status, 0), reader);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	unlink(stop);
	if (counts[0] < 100)
		fail_msg("the reader read only %u times", counts[0]);
	if (counts[1] != 0)
		fail_msg("%u of %u reads saw neither whole file", counts[1], counts[0]);
	assert_only("sevslot.prom");
	r_free(&a);
	r_free(&b);
	unlink(file);
}

/* Synced before the rename, the directory after: the shim logs the calls. */
static void test_output_syncs_then_renames_then_syncs_the_directory(void **state)
{
	const char *args[] = { "--format", "nfd", "--output", file, NULL };
	char preload[1100], log[700], logenv[720], want[2048], tmp[300];
	char *env[] = { preload, logenv, NULL };
	struct r_result r;
	char *ops;

	(void)state;
	memcpy(preload, "LD_PRELOAD=", 11);
	r_preload("tests/fileops.so", preload + 11, sizeof(preload) - 11);
	snprintf(log, sizeof(log), "%s/../fileops-%d.log", dir, (int)getpid());
	snprintf(logenv, sizeof(logenv), "FILEOPS_LOG=%s", log);
	unlink(log);
	r = inventory(env, args);
	assert_exit(r, 0);
	ops = slurp_file(log);
	assert_non_null(ops);
	unlink(log);
	/* "fsync DIR/.sevslot.prom.PID.0", "rename .sevslot.prom.PID.0 sevslot.prom", "fsync DIR" */
	assert_int_equal(sscanf(ops, "fsync %*s\nrename %299s ", tmp), 1);
	snprintf(want, sizeof(want), "fsync %s/%s\nrename %s sevslot.prom\nfsync %s\n", dir, tmp, tmp,
		 dir);
	assert_string_equal(ops, want);
	assert_int_equal(strncmp(tmp, ".sevslot.prom.", 14), 0);
	free(ops);
	r_free(&r);
	unlink(file);
}

static void test_output_keeps_the_mode_of_the_file_it_replaces(void **state)
{
	const char *args[] = { "--output", file, NULL };
	struct r_result r;
	struct stat st;

	(void)state;
	h_puts(dir, "sevslot.prom", "old\n");
	assert_int_equal(chmod(file, 0640), 0);
	r = inventory(NULL, args);
	assert_exit(r, 0);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	r_free(&r);
	unlink(file);
	/* A new file: 0644 less the umask. */
	umask(022);
	r = inventory(NULL, args);
	assert_exit(r, 0);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	r_free(&r);
	unlink(file);
}

/* A target that is not a regular file, or a directory that is not there: one line, untouched. */
static void test_output_refuses_what_it_must_not_replace(void **state)
{
	char link[700], fifo[700], missing[700], slash[700];
	const char *to_link[] = { "--output", link, NULL };
	const char *to_fifo[] = { "--output", fifo, NULL };
	const char *to_missing[] = { "--output", missing, NULL };
	const char *to_dir[] = { "--output", slash, NULL };
	struct r_result r;
	char target[64], *text;
	struct stat st;

	(void)state;
	snprintf(link, sizeof(link), "%s/link.prom", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo.prom", dir);
	snprintf(missing, sizeof(missing), "%s/no/such/dir/x.prom", dir);
	snprintf(slash, sizeof(slash), "%s/", dir);
	/* The link points into the test's directory: a writer that followed it harms nothing. */
	h_puts(dir, "target", "kept\n");
	assert_int_equal(symlink("target", link), 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);

	r = inventory(NULL, to_link);
	assert_exit(r, 64);
	assert_contains(r.err, "exists and is not a regular file; refusing to replace it\n");
	r_free(&r);
	assert_int_equal(readlink(link, target, sizeof(target)), 6);
	text = slurp_file(link);
	assert_string_equal(text, "kept\n");
	free(text);
	r = inventory(NULL, to_fifo);
	assert_exit(r, 64);
	r_free(&r);
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	r = inventory(NULL, to_missing);
	assert_exit(r, 74);
	assert_contains(r.err, "cannot open its directory: No such file or directory\n");
	r_free(&r);
	r = inventory(NULL, to_dir);
	assert_exit(r, 64);
	assert_contains(r.err, "names a directory; name a file\n");
	r_free(&r);
	assert_only("fifo.prom link.prom target");
	unlink(link);
	unlink(fifo);
	snprintf(link, sizeof(link), "%s/target", dir);
	unlink(link);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_writes_what_every_format_prints),
		cmocka_unit_test(test_output_is_atomic_for_a_reader),
		cmocka_unit_test(test_output_syncs_then_renames_then_syncs_the_directory),
		cmocka_unit_test(test_output_keeps_the_mode_of_the_file_it_replaces),
		cmocka_unit_test(test_output_refuses_what_it_must_not_replace),
	};

	return cmocka_run_group_tests_name("inventory --output", tests, setup, teardown);
}
