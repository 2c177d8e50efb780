/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ledger's file on disk, attacked the way an outside review did: a
 * device or a directory named as the ledger, a file planted by another user,
 * a symlinked directory, read-only media, a crash while creating, and forty
 * processes creating it at once. Each through the real binary.
 */
#include "ledger_harness.h"

#include "run.h"

#include <grp.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>

static struct lh w;
static char bin[600];            /* a copy of the binary any user may run */

static int setup(void **state)
{
	char cmd[1400];

	(void)state;
	lh_setup(&w, 64, 1); /* one 64-slot pool */
	chmod(w.root, 0755);
	chmod(w.dir, 0755);
	snprintf(bin, sizeof(bin), "%s/sevslot-copy", w.root);
	snprintf(cmd, sizeof(cmd), "cp '%s/sevslot' '%s' && chmod 0755 '%s'", lh_build(), bin, bin);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	lh_teardown(&w);
	return 0;
}

/* Empty the ledger's directory: each test starts with nothing there. */
static int fresh(void **state)
{
	char cmd[700];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -m 0755 '%s'", w.dir, w.dir);
	assert_int_equal(system(cmd), 0);
	snprintf(w.path, sizeof(w.path), "%s/ledger.db", w.dir);
	return 0;
}

/* sevslot --sysroot ROOT --ledger LEDGER ARGS... as `uid` (0: root), with `env` added. */
static struct r_result cli_env(uid_t uid, const char *ledger, char *const env[],
			       const char *const args[])
{
	const char *argv[24];
	size_t n = 0;

	argv[n++] = bin;
	argv[n++] = "--sysroot";
	argv[n++] = w.root;
	argv[n++] = "--ledger";
	argv[n++] = ledger;
	for (size_t i = 0; args[i] != NULL && n < 23; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (uid == 0)
		return r_run_env(argv, env);

	/* As another user: fork here, drop to uid, then run as usual. */
	struct r_result r = { 0 };
	int status, pipefd[2];
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct r_result rr;
		char buf[64];

		close(pipefd[0]);
		if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0)
			_exit(120);
		rr = r_run_env(argv, env);
		snprintf(buf, sizeof(buf), "%d\n", rr.code);
		(void)!write(pipefd[1], buf, strlen(buf));
		(void)!write(2, rr.err, strlen(rr.err));
		(void)!write(1, rr.out, strlen(rr.out));
		_exit(0);
	}
	close(pipefd[1]);
	{
		char *code = r_slurp(pipefd[0]);

		r.code = atoi(code);
		free(code);
	}
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	r.out = strdup("");
	r.err = strdup("");
	return r;
}

#define CLI(r, uid, ledger, ...) \
	((r) = cli_env(uid, ledger, NULL, (const char *const[]){ __VA_ARGS__, NULL }))

/* Nothing but `allowed` (NULL-ended names) in directory `dir`. */
static void only_these(const char *dir, const char *const allowed[])
{
	char cmd[700], listing[2048];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "ls -A '%s'", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(listing, 1, sizeof(listing) - 1, p);
	listing[n] = '\0';
	pclose(p);
	for (char *name = strtok(listing, "\n"); name != NULL; name = strtok(NULL, "\n")) {
		bool ok = false;

		for (size_t i = 0; allowed[i] != NULL; i++)
			ok = ok || strcmp(name, allowed[i]) == 0;
		if (!ok)
			fail_msg("%s holds '%s'", dir, name);
	}
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode;
}

/* 1. A device named as the ledger is refused and left as it was: nothing written, no -wal. */
static void test_device_or_fifo_as_ledger_is_refused_untouched(void **state)
{
	struct r_result r;

	(void)state;
	if (geteuid() != 0)
		skip();
	/* A character device that swallows writes, like /dev/null (1:3). */
	assert_int_equal(mknod(w.path, S_IFCHR | 0660, makedev(1, 3)), 0);
	CLI(r, 0, w.path, "allocate", "vm");
	assert_exit(r, 65);
	assert_contains(r.err, "not a regular file");
	r_free(&r);
	CLI(r, 0, w.path, "list");
	assert_exit(r, 65);
	r_free(&r);
	assert_true(S_ISCHR(mode_of(w.path)));
	only_these(w.dir, (const char *const[]){ "ledger.db", NULL });
	unlink(w.path);

	assert_int_equal(mkfifo(w.path, 0660), 0);
	CLI(r, 0, w.path, "allocate", "vm");
	assert_exit(r, 65);
	r_free(&r);
	assert_true(S_ISFIFO(mode_of(w.path)));
	only_these(w.dir, (const char *const[]){ "ledger.db", NULL });
}

/* 12. A directory, or a path ending in '/', is an I/O error (74), not internal (70). */
static void test_directory_as_ledger_is_74(void **state)
{
	char path[600];
	struct r_result r;

	(void)state;
	assert_int_equal(mkdir(w.path, 0700), 0);
	CLI(r, 0, w.path, "allocate", "vm");
	assert_exit(r, 74);
	assert_contains(r.err, "directory");
	r_free(&r);
	snprintf(path, sizeof(path), "%s/", w.dir);
	CLI(r, 0, path, "allocate", "vm");
	assert_exit(r, 74);
	r_free(&r);
	CLI(r, 0, path, "list");
	assert_exit(r, 74);
	r_free(&r);
}

/* 12. -wal and -shm planted as symlinks: 74 naming them, and nothing written through. */
static void test_planted_wal_symlink_is_74(void **state)
{
	char wal[600], target[600];
	struct r_result r;

	(void)state;
	CLI(r, 0, w.path, "allocate", "vm");
	assert_exit(r, 0);
	r_free(&r);
	snprintf(wal, sizeof(wal), "%s-wal", w.path);
	snprintf(target, sizeof(target), "%s/victim", w.root);
	h_puts(w.root, "victim", "");
	assert_int_equal(symlink(target, wal), 0);
	CLI(r, 0, w.path, "allocate", "vm2");
	assert_exit(r, 74);
	assert_contains(r.err, "-wal");
	r_free(&r);
	assert_true(S_ISLNK(mode_of(wal)));
	assert_int_equal(mode_of(target) & S_IFMT, S_IFREG);
	{
		struct stat st;

		assert_int_equal(stat(target, &st), 0);
		assert_int_equal(st.st_size, 0);
	}
	unlink(wal);
}

/*
 * 4. A crash between creating the file and setting its mode must not leave a
 * ledger nobody but root can open: creation is atomic, so a kill at any of
 * those steps leaves no ledger.db at all, and the next call makes it right.
 */
static void test_kill_while_creating_leaves_no_half_made_ledger(void **state)
{
	static const char *const steps[] = { "fchmod", "fchown", "chmod", "fchmodat" };
	char preload[1200], at[64];
	struct r_result r;
	unsigned killed = 0;

	(void)state;
	strcpy(preload, "LD_PRELOAD=");
	r_preload("tests/killat.so", preload + 11, sizeof(preload) - 11);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		char *const env[] = { preload, at, NULL };
		char lib[1024];

		fresh(NULL);
		snprintf(lib, sizeof(lib), "%s/lib/ledger.db", w.dir);
		snprintf(at, sizeof(at), "SEVSLOT_KILL_AT=%s", steps[i]);
		r = cli_env(0, lib, env, (const char *const[]){ "allocate", "vm", NULL });
		killed += r.code == 128 + SIGKILL;
		r_free(&r);
		/* Killed or not, whatever is at the final names is whole. */
		struct stat st;
		char dir[1024];

		snprintf(dir, sizeof(dir), "%s/lib", w.dir);
		if (stat(dir, &st) == 0 && (st.st_mode & 07777) != 02770)
			fail_msg("after a kill at %s the directory is %04o", steps[i],
				 (unsigned)(st.st_mode & 07777));
		if (stat(lib, &st) == 0 && (st.st_mode & 07777) != 0660)
			fail_msg("after a kill at %s the ledger is %04o", steps[i],
				 (unsigned)(st.st_mode & 07777));
		CLI(r, 0, lib, "allocate", "vm");
		assert_exit(r, 0);
		r_free(&r);
		assert_int_equal(mode_of(lib) & 07777, 0660);
		assert_int_equal(mode_of(dir) & 07777, 02770);
	}
	/* The directory's and the file's chmod at least were each a place to die. */
	assert_true(killed >= 2);
}

/* 4. What an older sevslot's crash left (0600 empty file, 0700 directory) root repairs. */
static void test_root_repairs_a_crash_left_mode(void **state)
{
	char dir[1024], lib[2048];
	struct r_result r;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(dir, sizeof(dir), "%s/lib", w.dir);
	snprintf(lib, sizeof(lib), "%s/ledger.db", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	h_puts(dir, "ledger.db", "");
	assert_int_equal(chmod(lib, 0600), 0);
	CLI(r, 0, lib, "allocate", "vm");
	assert_exit(r, 0);
	r_free(&r);
	assert_int_equal(mode_of(lib) & 07777, 0660);
	assert_int_equal(mode_of(dir) & 07777, 02770);
	/* A directory holding other things is not ours to open up. */
	assert_int_equal(chmod(dir, 0700), 0);
	h_puts(dir, "notes.txt", "mine\n");
	CLI(r, 0, lib, "allocate", "vm2");
	assert_exit(r, 0);
	r_free(&r);
	assert_int_equal(mode_of(dir) & 07777, 0700);
}

/* 5. A file another user planted in a world-writable directory is refused, untouched. */
static void test_planted_file_is_refused(void **state)
{
	struct r_result r;
	struct stat st;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(chmod(w.dir, 01777), 0);
	h_puts(w.dir, "ledger.db", "");
	assert_int_equal(chown(w.path, 65534, 65534), 0);
	assert_int_equal(chmod(w.path, 0666), 0);
	CLI(r, 0, w.path, "allocate", "vm");
	assert_exit(r, 77);
	assert_contains(r.err, "writable");
	r_free(&r);
	assert_int_equal(stat(w.path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_uid, 65534);
	only_these(w.dir, (const char *const[]){ "ledger.db", NULL });

	/* The directory writable by all is refused even with the file root's own. */
	assert_int_equal(chown(w.path, 0, 0), 0);
	assert_int_equal(chmod(w.path, 0660), 0);
	CLI(r, 0, w.path, "allocate", "vm");
	assert_exit(r, 77);
	assert_contains(r.err, "writable by every user");
	r_free(&r);
	assert_int_equal(stat(w.path, &st), 0);
	assert_int_equal(st.st_size, 0);

	/* In a directory of its own, a file owned by some other user is refused too. */
	assert_int_equal(chmod(w.dir, 0755), 0);
	assert_int_equal(chown(w.path, 65534, 65534), 0);
	CLI(r, 0, w.path, "allocate", "vm");
	assert_exit(r, 77);
	assert_contains(r.err, "owned by uid 65534");
	r_free(&r);
	assert_int_equal(stat(w.path, &st), 0);
	assert_int_equal(st.st_size, 0);
}

/* 7. A symlinked directory root owns is followed; one another user owns is refused, 77. */
static void test_symlinked_directory(void **state)
{
	char real[1024], link[1024], lib[2048], stray[2048];
	struct r_result r;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(real, sizeof(real), "%s/data", w.dir);
	snprintf(link, sizeof(link), "%s/lib", w.dir);
	snprintf(lib, sizeof(lib), "%s/ledger.db", link);
	assert_int_equal(mkdir(real, 0755), 0);
	assert_int_equal(symlink("data", link), 0);
	CLI(r, 0, lib, "allocate", "vm");
	assert_exit(r, 0);
	assert_string_equal(r.out, "0\n");
	r_free(&r);
	CLI(r, 0, lib, "list");
	assert_exit(r, 0);
	assert_contains(r.out, "vm");
	r_free(&r);
	only_these(real, (const char *const[]){ "ledger.db", NULL });
	only_these(w.dir, (const char *const[]){ "data", "lib", NULL });

	/* The same link owned by another user: refused, nothing created anywhere. */
	assert_int_equal(lchown(link, 65534, 65534), 0);
	snprintf(stray, sizeof(stray), "%s/other", w.dir);
	CLI(r, 0, lib, "allocate", "vm2");
	assert_exit(r, 77);
	assert_contains(r.err, "symbolic link");
	r_free(&r);
	CLI(r, 0, lib, "list");
	assert_exit(r, 77);
	r_free(&r);
	only_these(real, (const char *const[]){ "ledger.db", NULL });

	/* A ledger directory that does not exist yet, behind a root-owned link. */
	assert_int_equal(lchown(link, 0, 0), 0);
	unlink(link);
	assert_int_equal(symlink("data/new", link), 0);
	CLI(r, 0, lib, "allocate", "vm");
	assert_exit(r, 0);
	r_free(&r);
	snprintf(stray, sizeof(stray), "%s/new/ledger.db", real);
	assert_int_equal(mode_of(stray) & S_IFMT, S_IFREG);
}

/*
 * 8. On read-only media the readers read: list, audit, reconcile --dry-run,
 * and inventory with its allocated and free columns. Needs a mount namespace.
 */
static void test_read_only_media_is_read(void **state)
{
	char mnt[1024], lib[2048], live[1024];
	struct r_result r;
	pid_t pid;
	int status;

	(void)state;
	snprintf(mnt, sizeof(mnt), "%s/mnt", w.dir);
	assert_int_equal(mkdir(mnt, 0755), 0);
	snprintf(lib, sizeof(lib), "%s/ledger.db", mnt);
	snprintf(live, sizeof(live), "%s/live", w.root);
	h_puts(w.root, "live", "vm\n");
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("none", mnt, "tmpfs", 0, "mode=0755") < 0)
			_exit(77);
		/* No cmocka assertion in here: a failure must not run the next tests in this namespace. */
#define EXPECT(code_, ...)                                                                   \
	do {                                                                                 \
		r = cli_env(0, lib, NULL, (const char *const[]){ __VA_ARGS__, NULL });       \
		if (r.code != (code_)) {                                                     \
			fprintf(stderr, "%s: exit %d, want %d: %s%s", #__VA_ARGS__, r.code,  \
				(code_), r.out, r.err);                                      \
			_exit(1);                                                            \
		}                                                                            \
	} while (0)
#define HAS(text, part)                                                                      \
	do {                                                                                 \
		if (strstr((text), (part)) == NULL) {                                        \
			fprintf(stderr, "'%s' lacks '%s'\n", (text), (part));                \
			_exit(1);                                                            \
		}                                                                            \
	} while (0)
		EXPECT(0, "allocate", "vm");
		EXPECT(0, "allocate", "gone");
		if (mount(NULL, mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
			_exit(77);
		EXPECT(0, "list");
		HAS(r.out, "gone");
		r = cli_env(0, lib, NULL, (const char *const[]){ "audit", NULL });
		if (r.code != 0 && r.code != 65) {
			fprintf(stderr, "audit: exit %d: %s", r.code, r.err);
			_exit(1);
		}
		EXPECT(0, "reconcile", "--live", live, "--dry-run");
		HAS(r.out, "would release gone");
		EXPECT(0, "inventory", "--json");
		HAS(r.out, "\"allocated\": 2");
		/* A writer is told why: an I/O condition, not a permission. */
		EXPECT(74, "allocate", "vm3");
		HAS(r.err, "read-only file system");
#undef EXPECT
#undef HAS
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		printf("skip: read-only media: cannot mount a tmpfs in a private namespace here\n");
		skip();
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Issue 8, 1: forty processes creating the ledger at once all succeed, each its own slot. */
static void test_first_use_by_forty_processes_at_once(void **state)
{
	enum { N = 40, ROUNDS = 12 };

	(void)state;
	for (int round = 0; round < ROUNDS; round++) {
		char lib[600], out[N][700];
		pid_t pids[N];
		bool seen[64] = { false };

		fresh(NULL);
		snprintf(lib, sizeof(lib), "%s/lib/ledger.db", w.dir);
		fflush(NULL);
		for (int i = 0; i < N; i++) {
			snprintf(out[i], sizeof(out[i]), "%s/out-%d", w.root, i);
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0) {
				char consumer[32];
				int fd = open(out[i], O_WRONLY | O_CREAT | O_TRUNC, 0600);

				snprintf(consumer, sizeof(consumer), "vm-%d", i);
				dup2(fd, 1);
				dup2(fd, 2);
				execl(bin, bin, "--sysroot", w.root, "--ledger", lib, "allocate", consumer,
				      (char *)NULL);
				_exit(127);
			}
		}
		for (int i = 0; i < N; i++) {
			char text[700] = "";
			int status, fd;
			ssize_t n;

			assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
			fd = open(out[i], O_RDONLY);
			n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : 0;
			text[n > 0 ? n : 0] = '\0';
			close(fd);
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				fail_msg("round %d, process %d: exit %d: %s", round, i,
					 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
					 text);
			int slot = atoi(text);

			if (slot < 0 || slot > 63 || seen[slot] || strspn(text, "0123456789\n") != strlen(text))
				fail_msg("round %d, process %d printed '%s'", round, i, text);
			seen[slot] = true;
		}
	}
}

/* sevslot ... reconcile --live - with `input` on stdin and at most `as_limit` bytes of memory. */
static int reconcile_stdin(const char *input, rlim_t as_limit, char *err, size_t errlen)
{
	char in[600], errp[600];
	int status, fd;
	pid_t pid;

	snprintf(in, sizeof(in), "%s/live-in", w.root);
	snprintf(errp, sizeof(errp), "%s/live-err", w.root);
	h_puts(w.root, "live-in", input);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { as_limit, as_limit };

		if ((fd = open(in, O_RDONLY)) < 0 || dup2(fd, 0) < 0 ||
		    (fd = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 || dup2(fd, 2) < 0 ||
		    (as_limit != 0 && setrlimit(RLIMIT_AS, &rl) < 0))
			_exit(121);
		execl(bin, bin, "--sysroot", w.root, "--ledger", w.path, "reconcile", "--live", "-",
		      (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	fd = open(errp, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, err, errlen - 1) : 0;

	err[n > 0 ? n : 0] = '\0';
	close(fd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * Issue 10, 2: a live list whose read fails releases nothing. A read error
 * is 74; a line longer than any consumer id is 65 at once, before it can
 * exhaust memory (the review: ulimit -v 400000 and one 300 MB line made
 * getline fail with ENOMEM, taken for the end: every consumer after it was
 * released, exit 0).
 */
static void test_reconcile_live_list_read_failure_releases_nothing(void **state)
{
	size_t big = 64u << 20;
	char err[2048], *input = malloc(big + 64);
	struct r_result r;
	int code;

	(void)state;
	assert_non_null(input);
	CLI(r, 0, w.path, "allocate", "vm-1");
	assert_exit(r, 0);
	r_free(&r);
	CLI(r, 0, w.path, "allocate", "vm-2");
	assert_exit(r, 0);
	r_free(&r);

	/* A line far longer than a consumer id, then the ids. */
	strcpy(input, "vm-1\n");
	memset(input + 5, 'x', big);
	strcpy(input + 5 + big, "\nvm-2\n");
	/* ASan reserves terabytes of address space: the memory limit only without it. */
	code = reconcile_stdin(input, strstr(r_build(), "san") != NULL ? 0 : 96u << 20, err,
			       sizeof(err));
	free(input);
	if (code != 65)
		fail_msg("exit %d, want 65: %s", code, err);
	assert_contains(err, "(stdin):2: not a consumer id");

	/* A read that fails (a directory's first read: EISDIR) is 74. */
	CLI(r, 0, w.path, "reconcile", "--live", w.root);
	assert_exit(r, 74);
	assert_contains(r.err, "cannot read");
	assert_contains(r.err, "nothing released");
	r_free(&r);

	CLI(r, 0, w.path, "list");
	assert_exit(r, 0);
	assert_contains(r.out, "vm-1");
	assert_contains(r.out, "vm-2");
	r_free(&r);
}

/* Issue 10, 12: an unreadable ledger under inventory is 74, as its help says, not 77. */
static void test_inventory_unreadable_ledger_is_74(void **state)
{
	char lib[1024];
	struct r_result r;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(lib, sizeof(lib), "%s/lib/ledger.db", w.dir);
	CLI(r, 0, lib, "allocate", "vm");
	assert_exit(r, 0);
	r_free(&r);
	/* lib/ is 02770 root:root here: uid 65534 cannot enter it. */
	CLI(r, 65534, lib, "inventory");
	assert_exit(r, 74);
	r_free(&r);
	/* No ledger at all is no error: the columns are just not there. */
	snprintf(lib, sizeof(lib), "%s/none/ledger.db", w.dir);
	CLI(r, 65534, lib, "inventory");
	assert_exit(r, 0);
	r_free(&r);
}

/* A capability line of the shim's log ("CapEff:\t000000000002000f"), as a mask. */
static unsigned long long cap_line(const char *log, const char *name)
{
	const char *p = strstr(log, name);

	if (p == NULL)
		fail_msg("no %s in '%s'", name, log);
	return strtoull(p + strlen(name), NULL, 16);
}

/*
 * Issue 10, 9: every command that reads the live host gives up its
 * capabilities and the bounding set before it parses. The probing commands
 * end with none; the ledger commands keep at most what writing the ledger
 * may need (CAP_CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, SYS_RAWIO),
 * and nothing can be regained through exec.
 */
static void test_live_commands_drop_capabilities(void **state)
{
	static const struct {
		const char *args[3];
		bool none;
	} cmds[] = {
		{ { "probe" }, true }, { { "inventory" }, true }, { { "launch-security" }, true },
		{ { "audit" }, true }, { { "allocate", "vm" }, false }, { { "release", "vm" }, false },
		{ { "list" }, false },
	};
	const unsigned long long ledger_caps = 0x2000full;
	char preload[1200], logenv[700], log[600], lib[1024];

	(void)state;
	if (geteuid() != 0)
		skip();
	strcpy(preload, "LD_PRELOAD=");
	r_preload("tests/capstate.so", preload + 11, sizeof(preload) - 11);
	snprintf(log, sizeof(log), "%s/caps", w.root);
	snprintf(logenv, sizeof(logenv), "SEVSLOT_CAPS_LOG=%s", log);
	snprintf(lib, sizeof(lib), "%s/lib/ledger.db", w.dir);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const char *argv[8] = { bin, "--ledger", lib };
		char *const env[] = { preload, logenv, NULL };
		struct r_result r;
		size_t n = 3;
		char *text;
		int fd;

		for (size_t j = 0; j < 3 && cmds[i].args[j] != NULL; j++)
			argv[n++] = cmds[i].args[j];
		argv[n] = NULL;
		unlink(log);
		r = r_run_env(argv, env);      /* live: whatever this host is, the exit does not matter */
		r_free(&r);
		fd = open(log, O_RDONLY);
		assert_true(fd >= 0);
		text = r_slurp(fd);
		close(fd);
		if (cap_line(text, "CapBnd:") != 0)
			fail_msg("%s kept a bounding set: %s", cmds[i].args[0], text);
		if (cmds[i].none && (cap_line(text, "CapEff:") != 0 || cap_line(text, "CapPrm:") != 0))
			fail_msg("%s kept capabilities: %s", cmds[i].args[0], text);
		if ((cap_line(text, "CapEff:") & ~ledger_caps) != 0 ||
		    (cap_line(text, "CapPrm:") & ~ledger_caps) != 0)
			fail_msg("%s kept more than the ledger needs: %s", cmds[i].args[0], text);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_device_or_fifo_as_ledger_is_refused_untouched, fresh),
		cmocka_unit_test_setup(test_directory_as_ledger_is_74, fresh),
		cmocka_unit_test_setup(test_planted_wal_symlink_is_74, fresh),
		cmocka_unit_test_setup(test_kill_while_creating_leaves_no_half_made_ledger, fresh),
		cmocka_unit_test_setup(test_root_repairs_a_crash_left_mode, fresh),
		cmocka_unit_test_setup(test_planted_file_is_refused, fresh),
		cmocka_unit_test_setup(test_symlinked_directory, fresh),
		cmocka_unit_test_setup(test_read_only_media_is_read, fresh),
		cmocka_unit_test_setup(test_first_use_by_forty_processes_at_once, fresh),
		cmocka_unit_test_setup(test_reconcile_live_list_read_failure_releases_nothing, fresh),
		cmocka_unit_test_setup(test_inventory_unreadable_ledger_is_74, fresh),
		cmocka_unit_test_setup(test_live_commands_drop_capabilities, fresh),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
