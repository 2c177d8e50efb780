/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A corrupt ledger is an I/O error, never a signal. First the corruption an
 * outside review found (one byte of the pools page: a NULL pool name that
 * crashed list, inventory and allocate), then a sweep: bytes flipped in
 * every page of a real ledger and in every frame of its WAL, every ledger
 * operation run on each in a child process, and each child must end by
 * itself (no signal, no hang), with a documented error, having written
 * nothing beside the ledger. A sample runs through the real binary too.
 */
#include "ledger_harness.h"

#include "run.h"

#include <dirent.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define PAGE 4096
#define WAL_HEADER 32
#define FRAME_HEADER 24

static struct lh w;
static char pristine[600], pristine_wal[600], pristine_wal_db[600], live[600];

static size_t slurp_file(const char *path, unsigned char **out)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0, cap = 1 << 16;
	unsigned char *buf = malloc(cap);

	assert_non_null(f);
	assert_non_null(buf);
	for (size_t got; (got = fread(buf + n, 1, cap - n, f)) > 0;) {
		n += got;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	fclose(f);
	*out = buf;
	return n;
}

static void spill(const char *path, const unsigned char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void copy_file(const char *from, const char *to)
{
	unsigned char *d;
	size_t n = slurp_file(from, &d);

	spill(to, d, n);
	free(d);
}

static void remove_ledger(void)
{
	char p[700];

	unlink(w.path);
	snprintf(p, sizeof(p), "%s-wal", w.path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", w.path);
	unlink(p);
}

/*
 * A ledger with something in every table: allocations in two pools, a
 * release and capacity changes in the journal. Saved checkpointed (one
 * file), and again with its last writes still in the WAL.
 */
static int setup(void **state)
{
	struct sevslot_ledger *l;
	char wal[700];

	(void)state;
	lh_setup(&w, 12, 4); /* sev 9 slots (4..12), sev_es 3 */
	lh_misc_current(w.root, 3, 1);
	lh_firmware(w.root, 4);
	snprintf(pristine, sizeof(pristine), "%s/pristine.db", w.root);
	snprintf(pristine_wal_db, sizeof(pristine_wal_db), "%s/pristine-wal.db", w.root);
	snprintf(pristine_wal, sizeof(pristine_wal), "%s/pristine-wal.db-wal", w.root);
	snprintf(live, sizeof(live), "%s/live", w.root);
	h_puts(w.root, "live", "vm-1\nvm-3\n");

	l = lh_open(&w, NULL);
	for (int i = 0; i < 5; i++) {
		char c[16];

		snprintf(c, sizeof(c), "vm-%d", i);
		assert_int_equal(sevslot_ledger_allocate(l, c, SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	}
	assert_int_equal(sevslot_ledger_allocate(l, "es-0", SEVSLOT_MODEL_SEV_ES, NULL, NULL), 0);
	assert_int_equal(sevslot_ledger_release(l, "vm-2", NULL), 0);
	sevslot_ledger_close(l);
	copy_file(w.path, pristine);

	/* Writes left in the WAL: copied while the handle that made them is open. */
	l = lh_open(&w, NULL);
	assert_int_equal(sevslot_ledger_allocate(l, "wal-0", SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	assert_int_equal(sevslot_ledger_allocate(l, "wal-1", SEVSLOT_MODEL_SEV_ES, NULL, NULL), 0);
	assert_int_equal(sevslot_ledger_release(l, "vm-0", NULL), 0);
	snprintf(wal, sizeof(wal), "%s-wal", w.path);
	copy_file(w.path, pristine_wal_db);
	copy_file(wal, pristine_wal);
	sevslot_ledger_close(l);
	remove_ledger();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	lh_teardown(&w);
	return 0;
}

/* Is `err` what a corrupt ledger may give? Anything else is a bug. */
static bool documented(int err)
{
	return err == 0 || err == -EIO || err == -EBADMSG || err == -EAGAIN || err == -ENOENT ||
	       err == -EEXIST || err == -ENODEV;
}

static int count_row(const struct sevslot_allocation *a, void *data)
{
	(void)a;
	(*(unsigned *)data)++;
	return 0;
}

/*
 * Every ledger operation on the ledger at w.path, in this (child) process.
 * Exits 0 when each ended with a documented result, 3 when one did not.
 */
static void exercise(void)
{
	static const char *const ids[] = { "vm-1", "vm-3" };
	struct sevslot_pool_usage usage[SEVSLOT_POOL_COUNT];
	struct sevslot_allocation a;
	struct sevslot_ledger *l;
	struct sevslot_host *host;
	struct sevslot_audit *audit;
	unsigned rows = 0;
	int results[12], n = 0, err;
	char msgs[12][600];
	bool readonly = false;

	alarm(20);  /* a hang dies by SIGALRM, which the parent reports */
#define NOTE(call)                                                                   \
	do {                                                                         \
		results[n] = (call);                                                 \
		snprintf(msgs[n], sizeof(msgs[n]), "%s: %s", #call,                  \
			 l != NULL ? sevslot_ledger_errmsg(l) : "");                 \
		n++;                                                                 \
	} while (0)
	l = NULL;
	NOTE(sevslot_ledger_open(w.ctx, w.path, NULL, 0, &l));
	if (results[0] < 0) {
		sevslot_ledger_close(l);
		NOTE(sevslot_ledger_open(w.ctx, w.path, NULL, SEVSLOT_LEDGER_READONLY, &l));
		readonly = true;
	}
	if (results[n - 1] == 0) {
		NOTE(sevslot_ledger_usage(l, usage));
		NOTE(sevslot_ledger_foreach(l, count_row, &rows));
		NOTE(sevslot_ledger_lookup(l, "vm-1", &a));
		if (!readonly) {
			NOTE(sevslot_ledger_allocate(l, "new-vm", SEVSLOT_MODEL_SEV, &a, NULL));
			NOTE(sevslot_ledger_allocate(l, "new-es", SEVSLOT_MODEL_SEV_ES, &a, NULL));
			NOTE(sevslot_ledger_release(l, "vm-4", NULL));
		}
		if (sevslot_probe(w.ctx, 0, &host) == 0) {
			NOTE(err = sevslot_ledger_audit(l, host, &audit));
			if (err == 0)
				sevslot_audit_free(audit);
			sevslot_host_free(host);
		}
		NOTE(sevslot_ledger_reconcile(l, ids, 2, SEVSLOT_RECONCILE_DRY_RUN, NULL, NULL));
		if (!readonly)
			NOTE(sevslot_ledger_reconcile(l, ids, 2, 0, NULL, NULL));
	}
#undef NOTE
	sevslot_ledger_close(l);
	for (int i = 0; i < n; i++) {
		if (!documented(results[i])) {
			fprintf(stderr, "%d (%s) from %s\n", results[i], strerror(-results[i]), msgs[i]);
			_exit(3);
		}
	}
	_exit(0);
}

/* Only the ledger's own files in its directory. */
static void nothing_beside_the_ledger(const char *what)
{
	DIR *d = opendir(w.dir);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		const char *s = de->d_name;

		if (strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && strcmp(s, "ledger.db") != 0 &&
		    strcmp(s, "ledger.db-wal") != 0 && strcmp(s, "ledger.db-shm") != 0)
			fail_msg("%s: '%s' appeared beside the ledger", what, s);
	}
	closedir(d);
}

static unsigned undocumented;

/* Run exercise() in a child on the ledger as it is; fail on a signal or a bug. */
static void run_child(const char *what)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		exercise();
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("%s: killed by signal %d%s", what, WTERMSIG(status),
			 WTERMSIG(status) == SIGALRM ? " (hung)" : "");
	if (WEXITSTATUS(status) != 0) {
		fprintf(stderr, "  ^ %s\n", what);
		undocumented++;
	}
	nothing_beside_the_ledger(what);
}

/* The CLI on the ledger as it is: one line on stderr, a documented code, no signal. */
static void run_cli(const char *what)
{
	static const char *const cmds[][4] = {
		{ "list" }, { "inventory", "--json" }, { "allocate", "cli-vm" }, { "release", "vm-1" },
		{ "audit" }, { "reconcile", "--dry-run", "--live", "LIVE" },
	};
	char bin[600];

	r_build_path(bin, sizeof(bin), "sevslot");
	for (size_t c = 0; c < ARRAY_SIZE(cmds); c++) {
		const char *argv[12] = { bin, "--sysroot", w.root, "--ledger", w.path };
		size_t n = 5;
		struct r_result r;

		for (size_t i = 0; i < 4 && cmds[c][i] != NULL; i++)
			argv[n++] = strcmp(cmds[c][i], "LIVE") == 0 ? live : cmds[c][i];
		argv[n] = NULL;
		r = r_run(argv);
		if (r.code >= 128)
			fail_msg("%s: sevslot %s: signal %d: %s", what, cmds[c][0], r.code - 128, r.err);
		if (r.code != 0 && r.code != 65 && r.code != 74 && r.code != 75)
			fail_msg("%s: sevslot %s: exit %d: %s", what, cmds[c][0], r.code, r.err);
		/* audit's drift (65) is its report on stdout, not a failure. */
		bool drift = r.code == 65 && strcmp(cmds[c][0], "audit") == 0 && r.err[0] == '\0';

		if (r.code != 0 && !drift && (strncmp(r.err, "sevslot: ", 9) != 0 ||
				    strchr(r.err, '\n') != r.err + strlen(r.err) - 1))
			fail_msg("%s: sevslot %s: not one line: %s", what, cmds[c][0], r.err);
		r_free(&r);
	}
	nothing_beside_the_ledger(what);
}

/* Item 3: a NULL pool name in the pools page is "corrupt" (74), never SIGSEGV. */
static void test_null_pool_name_is_corrupt_not_a_crash(void **state)
{
	static const char *const cmds[] = { "list", "inventory", "allocate" };
	unsigned char *d;
	size_t n = slurp_file(pristine, &d), hits = 0;
	char bin[600];

	(void)state;
	/*
	 * The record of pool 'sev_es': a header of h bytes (h, 25 = text of 6, two
	 * ints, 61 = text of 24, and from schema 6 the seal, an int), then the text.
	 */
	for (size_t i = 6; i + 6 <= n; i++) {
		for (size_t h = 5; h <= 6; h++) {
			if (memcmp(d + i, "sev_es", 6) == 0 && d[i - h] == h && d[i - h + 1] == 25 &&
			    d[i - h + 4] == 61) {
				d[i - h + 1] = 0;  /* serial type 0: NULL */
				hits++;
			}
		}
	}
	assert_int_equal(hits, 1);
	r_build_path(bin, sizeof(bin), "sevslot");
	for (size_t c = 0; c < ARRAY_SIZE(cmds); c++) {
		const char *argv[] = { bin, "--sysroot", w.root, "--ledger", w.path, cmds[c], "vm-9",
				       NULL };
		struct r_result r;

		remove_ledger();
		spill(w.path, d, n);
		if (c < 2)
			argv[6] = NULL;
		r = r_run(argv);
		assert_exit(r, 74);
		assert_contains(r.err, "is corrupt");
		r_free(&r);
	}
	free(d);
	remove_ledger();
}

/* xorshift: the same corruptions on every run. */
static uint32_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

/*
 * Flip bytes: `per_page` random ones in each page of the database, and in
 * each frame of the WAL when there is one. Every tenth corruption also goes
 * through the CLI.
 */
static unsigned sweep(const char *db, const char *wal, unsigned per_page, uint64_t seed)
{
	unsigned char *dbd, *wald = NULL;
	size_t dbn = slurp_file(db, &dbd), waln = wal != NULL ? slurp_file(wal, &wald) : 0;
	size_t pages = dbn / PAGE, frames = waln > WAL_HEADER ? (waln - WAL_HEADER) /
							       (FRAME_HEADER + PAGE) : 0;
	char walpath[700], what[160];
	unsigned tried = 0;

	snprintf(walpath, sizeof(walpath), "%s-wal", w.path);
	for (size_t unit = 0; unit < pages + frames; unit++) {
		for (unsigned k = 0; k < per_page; k++) {
			bool in_wal = unit >= pages;
			size_t base = in_wal ? WAL_HEADER + (unit - pages) * (FRAME_HEADER + PAGE) :
					       unit * PAGE;
			size_t span = in_wal ? FRAME_HEADER + PAGE : PAGE;
			size_t off = base + next_rand(&seed) % span;
			unsigned char flip = (unsigned char)(1 + next_rand(&seed) % 255);
			unsigned char *buf = in_wal ? wald : dbd;

			remove_ledger();
			buf[off] ^= flip;
			spill(w.path, dbd, dbn);
			if (wal != NULL)
				spill(walpath, wald, waln);
			buf[off] ^= flip;
			snprintf(what, sizeof(what), "%s byte %zu of %s ^= 0x%02x",
				 in_wal ? "WAL" : "database", off, in_wal ? "the WAL" : "the file",
				 flip);
			run_child(what);
			if (tried % 10 == 0) {
				remove_ledger();
				buf[off] ^= flip;
				spill(w.path, dbd, dbn);
				if (wal != NULL)
					spill(walpath, wald, waln);
				buf[off] ^= flip;
				run_cli(what);
			}
			tried++;
		}
	}
	free(dbd);
	free(wald);
	remove_ledger();
	return tried;
}

static void test_corruption_sweep_no_signal_no_hang(void **state)
{
	/* SEVSLOT_SWEEP_SCALE=N tries N times as many (a longer run than make check's). */
	const char *scale_env = getenv("SEVSLOT_SWEEP_SCALE");
	unsigned scale = scale_env != NULL && atoi(scale_env) > 0 ? (unsigned)atoi(scale_env) : 1;
	unsigned a, b;

	(void)state;
	a = sweep(pristine, NULL, 48 * scale, 0x5eed5eedULL);
	b = sweep(pristine_wal_db, pristine_wal, 24 * scale, 0xfeedfaceULL);
	if (undocumented > 0)
		fail_msg("%u corruptions gave an undocumented result", undocumented);
	printf("  corrupt ledger sweep: %u corruptions of the file, %u of the file and its WAL; "
	       "no signal, no hang\n", a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_pool_name_is_corrupt_not_a_crash),
		cmocka_unit_test(test_corruption_sweep_no_signal_no_hang),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
