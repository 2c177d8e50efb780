/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ledger under contention and abuse, bounded to seconds:
 *  - many processes racing on a small pool: never more allocations than
 *    capacity, every acknowledged allocation and release in the ledger, none
 *    doubled (the journal counts each exactly once);
 *  - writers SIGKILLed at random moments: integrity_check and the invariants
 *    hold, and every acknowledged operation survived;
 *  - sqlite3 -readonly audits (README's queries included) while writers run.
 */
#include "ledger_harness.h"

#define POOL 15                 /* ECX=15 EDX=1, a Naples-like host */

/* What a child reports after each operation it was told the outcome of. */
struct rec {
	int child, consumer;
	char op;                   /* 'A' allocate, 'R' release */
	int err;
	int slot;                  /* allocate: the slot; release: 1 released, 0 not */
};

static struct lh w;

static int setup(void **state)
{
	(void)state;
	lh_setup(&w, POOL, 1);
	/* Created once here, so that children race on operations, not creation. */
	sevslot_ledger_close(lh_open(&w, NULL));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	lh_teardown(&w);
	return 0;
}

static struct sevslot_ledger *child_open(void)
{
	struct sevslot_ctx *ctx;
	struct sevslot_ledger *l;

	if (sevslot_new(&ctx, w.root) < 0)
		_exit(10);
	if (sevslot_ledger_open(ctx, w.path, NULL, 0, &l) < 0) {
		fprintf(stderr, "child open: %s\n", sevslot_ledger_errmsg(l));
		_exit(11);
	}
	return l; /* ctx lives as long as the child */
}

static void send_rec(int fd, const struct rec *r)
{
	if (write(fd, r, sizeof(*r)) != (ssize_t)sizeof(*r))
		_exit(12);
}

static size_t read_recs(int fd, struct rec *recs, size_t max)
{
	size_t n = 0;
	ssize_t got;

	while (n < max && (got = read(fd, &recs[n], sizeof(recs[n]))) == (ssize_t)sizeof(recs[n]))
		n++;
	return n;
}

static void wait_all(pid_t *pids, int n)
{
	for (int i = 0; i < n; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("child %d ended with status 0x%x", i, status);
	}
}

static void test_race_never_overallocates_nor_loses_acknowledged(void **state)
{
	enum { P = 16, EACH = 3, ROUNDS = 20 };
	static struct rec recs[P * (EACH + 2 * ROUNDS) + 16];
	int go[2], go2[2], res[2];
	pid_t pids[P];
	size_t n;
	sqlite3 *db;
	int ok = 0, taken[POOL] = { 0 };

	(void)state;
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(go2), 0);
	assert_int_equal(pipe(res), 0);
	for (int c = 0; c < P; c++) {
		pids[c] = fork();
		assert_true(pids[c] >= 0);
		if (pids[c] > 0)
			continue;
		close(go[1]);
		close(go2[1]);
		close(res[0]);
		struct sevslot_ledger *l = child_open();
		char id[32], b;
		struct sevslot_allocation a;
		bool flag;

		if (read(go[0], &b, 1) < 0) /* all start together: EOF when the parent closes */
			_exit(13);
		/* Phase 1: 48 allocations for 15 slots. */
		for (int i = 0; i < EACH; i++) {
			struct rec r = { .child = c, .consumer = i, .op = 'A' };

			snprintf(id, sizeof(id), "p%02d-%d", c, i);
			r.err = sevslot_ledger_allocate(l, id, SEVSLOT_MODEL_SEV, &a, NULL);
			r.slot = r.err == 0 ? (int)a.slot : -1;
			send_rec(res[1], &r);
		}
		/* Phase 2, once the parent has checked phase 1 and freed some slots. */
		if (read(go2[0], &b, 1) < 0)
			_exit(14);
		/* Churn on a consumer of its own, ending held for even children. */
		snprintf(id, sizeof(id), "churn-%02d", c);
		for (int i = 0; i < ROUNDS; i++) {
			struct rec r = { .child = c, .consumer = EACH, .op = 'A' };

			r.err = sevslot_ledger_allocate(l, id, SEVSLOT_MODEL_SEV, &a, &flag);
			r.slot = r.err == 0 ? (int)a.slot : -1;
			send_rec(res[1], &r);
			if (i == ROUNDS - 1 && c % 2 == 0)
				break;
			r = (struct rec){ .child = c, .consumer = EACH, .op = 'R' };
			r.err = sevslot_ledger_release(l, id, &flag);
			r.slot = flag;
			send_rec(res[1], &r);
		}
		sevslot_ledger_close(l);
		_exit(0);
	}
	close(go[0]);
	close(go2[0]);
	close(res[1]);
	close(go[1]); /* go */
	n = read_recs(res[0], recs, P * EACH);
	assert_int_equal(n, P * EACH);

	/* Phase 1: exactly the capacity was given, each slot once; the rest refused as full. */
	db = lh_db(w.path, false);
	const char *keep[POOL];
	char keep_ids[POOL][16];
	size_t n_keep = 0;

	for (size_t i = 0; i < n; i++) {
		char sql[160];

		if (recs[i].err == -EAGAIN)
			continue;
		assert_int_equal(recs[i].err, 0);
		ok++;
		if (n_keep < 5) {
			snprintf(keep_ids[n_keep], sizeof(keep_ids[0]), "p%02d-%d", recs[i].child,
				 recs[i].consumer);
			keep[n_keep] = keep_ids[n_keep];
			n_keep++;
		}
		assert_true(recs[i].slot >= 0 && recs[i].slot < POOL);
		assert_int_equal(taken[recs[i].slot]++, 0);
		snprintf(sql, sizeof(sql), "SELECT slot FROM slots WHERE consumer = 'p%02d-%d'",
			 recs[i].child, recs[i].consumer);
		assert_int_equal(lh_int(db, sql), recs[i].slot);
	}
	assert_int_equal(ok, POOL);
	sqlite3_close(db);

	/* Free 10 slots: 16 churners will race for them. */
	{
		struct sevslot_ledger *l = lh_open(&w, NULL);

		assert_int_equal(sevslot_ledger_reconcile(l, keep, n_keep, 0, NULL, NULL), 0);
		sevslot_ledger_close(l);
	}
	close(go2[1]);
	n += read_recs(res[0], recs + n, sizeof(recs) / sizeof(recs[0]) - n);
	close(res[0]);
	wait_all(pids, P);

	/*
	 * Phase 2: each churn consumer ends as its last acknowledged operation
	 * says, and the journal holds each acknowledged change exactly once.
	 */
	db = lh_db(w.path, false);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM slots WHERE consumer LIKE 'churn-%'"),
			 lh_int(db, "SELECT count(*) FROM slots") - 5);
	for (int c = 0; c < P; c++) {
		int created = 0, released = 0, last_slot = -1;
		char sql[200];

		for (size_t i = 0; i < n; i++) {
			if (recs[i].child != c || recs[i].consumer != EACH)
				continue;
			if (recs[i].op == 'A') {
				assert_true(recs[i].err == 0 || recs[i].err == -EAGAIN);
				if (recs[i].err == 0) {
					created++;
					last_slot = recs[i].slot;
				}
			} else {
				assert_int_equal(recs[i].err, 0);
				released += recs[i].slot;
				if (recs[i].slot)
					last_slot = -1;
			}
		}
		snprintf(sql, sizeof(sql), "SELECT coalesce((SELECT slot FROM slots WHERE consumer = "
			 "'churn-%02d'), -1)", c);
		assert_int_equal(lh_int(db, sql), last_slot);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE consumer = 'churn-%02d' "
			 "AND operation = 'allocate' AND result = 'created'", c);
		assert_int_equal(lh_int(db, sql), created);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE consumer = 'churn-%02d' "
			 "AND operation = 'release' AND result = 'released'", c);
		assert_int_equal(lh_int(db, sql), released);
	}
	sqlite3_close(db);
	lh_check_invariants(w.path, false);

	/* Leave the pool empty for the next test. */
	{
		struct sevslot_ledger *l = lh_open(&w, NULL);

		assert_int_equal(sevslot_ledger_reconcile(l, NULL, 0, 0, NULL, NULL), 0);
		sevslot_ledger_close(l);
	}
}

/* ------------------------------------------------------------ SIGKILL */

enum { KC = 6, KCONS = 3 };

/* One child: alternate over its consumers, allocating or releasing each. */
static void killed_child(int c, int logfd)
{
	struct sevslot_ledger *l = child_open();
	bool held[KCONS];
	char id[32], line[64];

	for (int j = 0; j < KCONS; j++) {
		snprintf(id, sizeof(id), "k%d-%d", c, j);
		held[j] = sevslot_ledger_lookup(l, id, NULL) == 0;
	}
	for (unsigned i = 0;; i++) {
		int j = (int)(i % KCONS), err, len;
		struct sevslot_allocation a;
		bool released;

		snprintf(id, sizeof(id), "k%d-%d", c, j);
		if (!held[j]) {
			err = sevslot_ledger_allocate(l, id, SEVSLOT_MODEL_SEV, &a, NULL);
			if (err == 0)
				held[j] = true;
			len = snprintf(line, sizeof(line), "%d A %d %d\n", j, err,
				       err == 0 ? (int)a.slot : -1);
		} else {
			err = sevslot_ledger_release(l, id, &released);
			if (err == 0)
				held[j] = false;
			len = snprintf(line, sizeof(line), "%d R %d %d\n", j, err, (int)released);
		}
		if (err != 0 && err != -EAGAIN)
			_exit(20);
		/* Acknowledged: one write(2), which SIGKILL cannot tear. */
		if (write(logfd, line, (size_t)len) != len)
			_exit(21);
	}
}

static int current_slot(sqlite3 *db, int c, int j)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT coalesce((SELECT slot FROM slots WHERE consumer = "
		 "'k%d-%d'), -1)", c, j);
	return (int)lh_int(db, sql);
}

static int64_t events_since(sqlite3 *db, int64_t id, int c, int j, const char *result)
{
	char sql[200];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE id > %lld AND consumer = "
		 "'k%d-%d' AND result = '%s'", (long long)id, c, j, result);
	return lh_int(db, sql);
}

static void test_sigkill_of_writers_loses_nothing_acknowledged(void **state)
{
	enum { ROUNDS = 10 };
	int slot[KC][KCONS];
	unsigned seed = (unsigned)getpid();
	int total_acked = 0;

	(void)state;
	for (int c = 0; c < KC; c++)
		for (int j = 0; j < KCONS; j++)
			slot[c][j] = -1;

	for (int round = 0; round < ROUNDS; round++) {
		pid_t pids[KC];
		int logs[KC];
		int64_t first_event;
		sqlite3 *db = lh_db(w.path, false);

		first_event = lh_int(db, "SELECT coalesce(max(id), 0) FROM events");
		sqlite3_close(db);
		for (int c = 0; c < KC; c++) {
			char name[32];

			snprintf(name, sizeof(name), "log-%d", c);
			h_puts(w.dir, name, "");
			snprintf(name, sizeof(name), "%s/log-%d", w.dir, c);
			logs[c] = open(name, O_WRONLY | O_APPEND);
			assert_true(logs[c] >= 0);
			pids[c] = fork();
			assert_true(pids[c] >= 0);
			if (pids[c] == 0)
				killed_child(c, logs[c]);
			close(logs[c]);
		}
		/* Each writer dies at its own random moment, 10 to 150 ms in. */
		for (int c = 0; c < KC; c++) {
			usleep((useconds_t)(10000 + rand_r(&seed) % 140000) / KC);
			kill(pids[c], SIGKILL);
		}
		for (int c = 0; c < KC; c++) {
			int status;

			assert_int_equal(waitpid(pids[c], &status, 0), pids[c]);
			if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
				fail_msg("round %d: writer %d ended on its own (status 0x%x)", round,
					 c, status);
		}

		lh_check_invariants(w.path, false);
		db = lh_db(w.path, false);
		for (int c = 0; c < KC; c++) {
			char name[600], *text, *p;
			int acked = 0, created[KCONS] = { 0 }, released[KCONS] = { 0 };
			int before[KCONS];
			FILE *f;
			size_t len = 0;

			memcpy(before, slot[c], sizeof(before));
			snprintf(name, sizeof(name), "%s/log-%d", w.dir, c);
			f = fopen(name, "r");
			assert_non_null(f);
			text = NULL;
			if (getdelim(&text, &len, '\0', f) < 0) { /* an empty log */
				assert_true(feof(f));
				free(text);
				text = NULL;
			}
			fclose(f);
			for (p = text; p != NULL && *p != '\0'; acked++) {
				int j, err, v;
				char op;

				if (sscanf(p, "%d %c %d %d", &j, &op, &err, &v) != 4)
					fail_msg("round %d: log-%d unreadable at '%.40s'", round, c, p);
				if (op == 'A' && err == 0) {
					slot[c][j] = v;
					created[j]++;
				} else if (op == 'R' && v) {
					slot[c][j] = -1;
					released[j]++;
				}
				p = strchr(p, '\n');
				if (p != NULL)
					p++;
			}
			free(text);
			total_acked += acked;
			/* The operation in flight when it died concerned consumer acked % 3. */
			int flying = acked % KCONS;

			for (int j = 0; j < KCONS; j++) {
				int now = current_slot(db, c, j);
				int64_t ev_c = events_since(db, first_event, c, j, "created");
				int64_t ev_r = events_since(db, first_event, c, j, "released");

				if (j != flying) {
					if (now != slot[c][j])
						fail_msg("round %d: k%d-%d is slot %d, acknowledged %d",
							 round, c, j, now, slot[c][j]);
					assert_int_equal(ev_c, created[j]);
					assert_int_equal(ev_r, released[j]);
					continue;
				}
				/* In flight: done or not done, never half, never twice. */
				if (slot[c][j] < 0) {  /* an allocation was in flight */
					assert_true(ev_c == created[j] || ev_c == created[j] + 1);
					assert_int_equal(ev_r, released[j]);
					assert_true(now == -1 ? ev_c == created[j] : ev_c == created[j] + 1);
				} else {               /* a release was in flight */
					assert_int_equal(ev_c, created[j]);
					assert_true(ev_r == released[j] || ev_r == released[j] + 1);
					assert_true(now == slot[c][j] ? ev_r == released[j] :
						    (now == -1 && ev_r == released[j] + 1));
				}
				slot[c][j] = now;
			}
			(void)before;
		}
		sqlite3_close(db);
	}
	/* The writers got going: there was something to lose. */
	print_message("  %d acknowledged operations across %d rounds of SIGKILL\n", total_acked, ROUNDS);
	assert_true(total_acked >= 100);
}

/* ------------------------------------------------ readers while writers run */

static int run_sqlite3(const char *sql, char *out, size_t outlen, char *err, size_t errlen)
{
	char cmd[4096], outp[600], errp[600], sqlp[600];
	FILE *f;
	size_t n;
	int status;

	snprintf(sqlp, sizeof(sqlp), "%s/q.sql", w.root);
	snprintf(outp, sizeof(outp), "%s/q.out", w.root);
	snprintf(errp, sizeof(errp), "%s/q.err", w.root);
	f = fopen(sqlp, "w");
	assert_non_null(f);
	fputs(sql, f);
	fclose(f);
	/* As README tells operators: wait out the moments a writer holds the file alone. */
	snprintf(cmd, sizeof(cmd), "sqlite3 -readonly -bail -cmd '.timeout 5000' '%s' < '%s' > '%s' "
		 "2> '%s'", w.path, sqlp, outp, errp);
	status = system(cmd);
	f = fopen(outp, "r");
	n = f != NULL ? fread(out, 1, outlen - 1, f) : 0;
	out[n] = '\0';
	if (f != NULL)
		fclose(f);
	f = fopen(errp, "r");
	n = f != NULL ? fread(err, 1, errlen - 1, f) : 0;
	err[n] = '\0';
	if (f != NULL)
		fclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* README's audit queries: the SQL between its audit-queries markers. */
static char *readme_queries(void)
{
	FILE *f = fopen("README.md", "r");
	char *line = NULL, *sql = NULL;
	size_t cap = 0, len = 0;
	bool in = false, fenced = false;

	if (f == NULL)
		fail_msg("README.md not found: run from the top of the tree");
	while (getline(&line, &cap, f) >= 0) {
		if (strstr(line, "<!-- audit-queries:begin -->") != NULL) {
			in = true;
			continue;
		}
		if (strstr(line, "<!-- audit-queries:end -->") != NULL)
			break;
		if (in && strncmp(line, "```", 3) == 0) {
			fenced = !fenced;
			continue;
		}
		if (!in || !fenced)
			continue;
		sql = realloc(sql, len + strlen(line) + 1);
		memcpy(sql + len, line, strlen(line) + 1);
		len += strlen(line);
	}
	free(line);
	fclose(f);
	if (sql == NULL || strstr(sql, "SELECT") == NULL)
		fail_msg("README.md has no audit queries between its markers");
	return sql;
}

static void test_readonly_sqlite3_audit_while_writers_run(void **state)
{
	enum { WRITERS = 4, MS = 1500 };
	pid_t pids[WRITERS];
	char out[16384], err[4096];
	char *readme;
	int queries = 0;
	uint64_t end;

	(void)state;
	if (system("sqlite3 -version >/dev/null 2>&1") != 0) {
		print_message("sqlite3 not installed (tools/install-deps installs it): skipping\n");
		skip();
	}
	readme = readme_queries();
	end = lh_ms() + MS;
	for (int c = 0; c < WRITERS; c++) {
		pids[c] = fork();
		assert_true(pids[c] >= 0);
		if (pids[c] > 0)
			continue;
		struct sevslot_ledger *l = child_open();
		char id[32];

		for (unsigned i = 0; lh_ms() < end; i++) {
			snprintf(id, sizeof(id), "rw%d-%u", c, i % 5);
			int e = sevslot_ledger_allocate(l, id, SEVSLOT_MODEL_SEV, NULL, NULL);

			if (e != 0 && e != -EAGAIN)
				_exit(30);
			snprintf(id, sizeof(id), "rw%d-%u", c, (i + 2) % 5);
			if (sevslot_ledger_release(l, id, NULL) != 0)
				_exit(31);
		}
		sevslot_ledger_close(l);
		_exit(0);
	}
	while (lh_ms() < end) {
		long long allocated, capacity, rows;
		int code;

		/* One read transaction: the views agree with each other. */
		code = run_sqlite3("BEGIN;\n"
				   "SELECT sum(allocated), sum(capacity) FROM pool_usage;\n"
				   "SELECT count(*) FROM allocations;\n"
				   "COMMIT;\n", out, sizeof(out), err, sizeof(err));
		if (code != 0 || err[0] != '\0')
			fail_msg("sqlite3 -readonly failed (%d): %s", code, err);
		assert_int_equal(sscanf(out, "%lld|%lld\n%lld", &allocated, &capacity, &rows), 3);
		assert_int_equal(allocated, rows);
		assert_true(allocated <= capacity);
		code = run_sqlite3(readme, out, sizeof(out), err, sizeof(err));
		if (code != 0 || err[0] != '\0')
			fail_msg("README audit queries failed (%d): %s", code, err);
		queries++;
	}
	wait_all(pids, WRITERS);
	assert_true(queries >= 3);
	free(readme);
	lh_check_invariants(w.path, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_race_never_overallocates_nor_loses_acknowledged),
		cmocka_unit_test(test_sigkill_of_writers_loses_nothing_acknowledged),
		cmocka_unit_test(test_readonly_sqlite3_audit_while_writers_run),
	};

	return cmocka_run_group_tests_name("ledger_stress", tests, setup, teardown);
}
