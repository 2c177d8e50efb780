/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers for tests that check messages and run the real CLI: substring
 * assertions, and fork/exec of $SEVSLOT_TEST_BUILD/sevslot with its stdout,
 * stderr and exit code captured. Include after harness.h.
 */
#ifndef SEVSLOT_TEST_RUN_H
#define SEVSLOT_TEST_RUN_H

#include <stdbool.h>
#include <sys/wait.h>

#define assert_contains(hay, needle)                                                       \
	do {                                                                               \
		const char *hay_ = (hay), *needle_ = (needle);                             \
		if (hay_ == NULL || strstr(hay_, needle_) == NULL)                         \
			fail_msg("'%s' does not contain '%s'", hay_ ? hay_ : "(null)",      \
				 needle_);                                                 \
	} while (0)

#define assert_not_contains(hay, needle)                                                   \
	do {                                                                               \
		const char *hay_ = (hay), *needle_ = (needle);                             \
		if (hay_ != NULL && strstr(hay_, needle_) != NULL)                         \
			fail_msg("'%s' contains '%s'", hay_, needle_);                      \
	} while (0)

/* The build directory under test: tools/run-tests exports it. */
static inline const char *r_build(void)
{
	const char *b = getenv("SEVSLOT_TEST_BUILD");

	return b != NULL && b[0] != '\0' ? b : "build";
}

/* "$SEVSLOT_TEST_BUILD/<rel>" into buf. */
static inline void r_build_path(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", r_build(), rel);
}

struct r_result {
	int code;     /* exit code, or 128 + signal */
	char *out;    /* stdout, NUL-terminated */
	char *err;    /* stderr, NUL-terminated */
};

static inline char *r_slurp(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	assert_non_null(buf);
	for (;;) {
		ssize_t n;

		if (len + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

/*
 * Run argv (argv[0] a path) with `env` entries ("NAME=value", NULL-ended)
 * added to this process's environment; capture both streams through files so
 * that a chatty child never blocks on a full pipe.
 */
static inline struct r_result r_run_env(const char *const argv[], char *const env[])
{
	char outp[] = "/tmp/sevslot-out-XXXXXX", errp[] = "/tmp/sevslot-err-XXXXXX";
	int outfd = mkstemp(outp), errfd = mkstemp(errp), status;
	struct r_result r;
	pid_t pid;

	assert_true(outfd >= 0 && errfd >= 0);
	unlink(outp);
	unlink(errp);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(outfd, 1);
		dup2(errfd, 2);
		char *const *av;

		/* execv's prototype predates const; it does not write argv. */
		memcpy(&av, &argv, sizeof(av));
		for (size_t i = 0; env != NULL && env[i] != NULL; i++)
			putenv(env[i]);
		execv(argv[0], av);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	lseek(outfd, 0, SEEK_SET);
	lseek(errfd, 0, SEEK_SET);
	r.out = r_slurp(outfd);
	r.err = r_slurp(errfd);
	close(outfd);
	close(errfd);
	return r;
}

static inline struct r_result r_run(const char *const argv[])
{
	return r_run_env(argv, NULL);
}

static inline void r_free(struct r_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

/*
 * LD_PRELOAD for the CLI: the shim `rel` (under the build directory), after
 * libasan when this is the sanitizer build (ASan insists on coming first in
 * the initial library list). The test program is built like the CLI, so its
 * own maps say where libasan is.
 */
static inline void r_preload(const char *rel, char *buf, size_t len)
{
	char shim[512], line[1024], asan[512] = "";
	FILE *maps = fopen("/proc/self/maps", "r");

	r_build_path(shim, sizeof(shim), rel);
	assert_int_equal(access(shim, R_OK), 0);
	assert_non_null(maps);
	while (fgets(line, sizeof(line), maps) != NULL) {
		char *p = strchr(line, '/');

		if (p != NULL && strstr(p, "/libasan.so") != NULL) {
			p[strcspn(p, "\n")] = '\0';
			snprintf(asan, sizeof(asan), "%s", p);
			break;
		}
	}
	fclose(maps);
	snprintf(buf, len, "%s%s%s", asan, asan[0] ? " " : "", shim);
}

/* Exit code `want`, or fail showing what the command printed. */
#define assert_exit(r, want)                                                               \
	do {                                                                               \
		if ((r).code != (want))                                                    \
			fail_msg("exit %d, want %d\nstdout: %s\nstderr: %s", (r).code,     \
				 (want), (r).out, (r).err);                                 \
	} while (0)

#endif
