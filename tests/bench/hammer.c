/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PROCS processes hammering one ledger through the C API:
 *
 *   hammer SYSROOT DB PROCS MS
 *
 * Each process opens its own handle, waits for the others, then for MS
 * milliseconds allocates a fresh consumer and releases it again, timing every
 * call. At the end each keeps one allocation ("hP-final"), so that what the
 * ledger holds can be checked. The parent then reads the database itself:
 * an acknowledged allocation that is missing, an acknowledged release whose
 * row is still there, or an acknowledged write with no journal line in
 * `events` is a lost operation. Prints one line:
 *   procs P calls N seconds S ops_per_s X p50_ms A p99_ms B busy C full D lost E errors F
 * "busy" counts calls that failed with -EBUSY (the busy timeout ran out),
 * "full" those refused because the pool was full (-EAGAIN, expected on a
 * small pool), "errors" anything else.
 */
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sevslot.h>

#include "bench.h"

#define MAXLAT 300000

struct worker {
	pid_t pid;
	uint64_t allocs, releases;  /* acknowledged, each created/released */
	uint64_t busy, full, errors;
	int final_held;             /* "hP-final" was acknowledged */
	char last_error[200];
	size_t n_lat;
	float lat_us[MAXLAT];
};

static void note(struct worker *w, float us)
{
	if (w->n_lat < MAXLAT)
		w->lat_us[w->n_lat++] = us;
}

/* Record the outcome of a failed call. */
static void failed(struct worker *w, struct sevslot_ledger *l, int err)
{
	if (err == -EBUSY) {
		w->busy++;
	} else if (err == -EAGAIN) {
		w->full++;
	} else {
		w->errors++;
		snprintf(w->last_error, sizeof(w->last_error), "%s", sevslot_ledger_errmsg(l));
	}
}

static int child(struct worker *w, int idx, const char *sysroot, const char *db, int ready,
		 int gate, uint64_t ms)
{
	struct sevslot_ledger *l;
	struct sevslot_ctx *ctx;
	char consumer[64], c;
	uint64_t deadline, k = 0;
	bool flag;
	int err;

	if (sevslot_new(&ctx, sysroot) < 0)
		return 2;
	err = sevslot_ledger_open(ctx, db, NULL, 0, &l);
	if (err < 0) {
		snprintf(w->last_error, sizeof(w->last_error), "open: %s", sevslot_ledger_errmsg(l));
		w->errors++;
		return 2;
	}
	/* Tell the parent this handle is open, then wait for everyone's start. */
	if (write(ready, "r", 1) != 1 || read(gate, &c, 1) < 0)
		return 2;
	deadline = now_ns() + ms * 1000000u;
	while (now_ns() < deadline) {
		uint64_t t0 = now_ns();

		snprintf(consumer, sizeof(consumer), "h%d-%llu", idx, (unsigned long long)k++);
		err = sevslot_ledger_allocate(l, consumer, SEVSLOT_MODEL_SEV, NULL, &flag);
		note(w, (float)(now_ns() - t0) / 1e3f);
		if (err < 0) {
			failed(w, l, err);
			continue;
		}
		if (flag)
			w->allocs++;
		/* Release until acknowledged: a held slot would skew the pool. */
		do {
			t0 = now_ns();
			err = sevslot_ledger_release(l, consumer, &flag);
			note(w, (float)(now_ns() - t0) / 1e3f);
			if (err < 0)
				failed(w, l, err);
		} while (err == -EBUSY);
		if (err == 0 && flag)
			w->releases++;
	}
	snprintf(consumer, sizeof(consumer), "h%d-final", idx);
	do
		err = sevslot_ledger_allocate(l, consumer, SEVSLOT_MODEL_SEV, NULL, &flag);
	while (err == -EBUSY);
	if (err == 0 && flag)
		w->final_held = 1;
	else if (err < 0 && err != -EAGAIN)
		failed(w, l, err);
	sevslot_ledger_close(l);
	sevslot_free(ctx);
	return 0;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

static int64_t count(sqlite3 *db, const char *sql, const char *text, int64_t num)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die("%s: %s", sql, sqlite3_errmsg(db));
	if (text != NULL)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_int64(st, 1, num);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Compare what the workers were told with what the database holds. */
static uint64_t lost_operations(const char *path, struct worker *ws, int procs)
{
	uint64_t lost = 0;
	char consumer[64];
	sqlite3 *db;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die("%s: %s", path, sqlite3_errmsg(db));
	for (int p = 0; p < procs; p++) {
		struct worker *w = &ws[p];
		int64_t journaled, held, leftovers;

		snprintf(consumer, sizeof(consumer), "h%d-final", p);
		held = count(db, "SELECT count(*) FROM allocations WHERE consumer = ?1", consumer, 0);
		if (w->final_held && held != 1)
			lost++;
		snprintf(consumer, sizeof(consumer), "h%d-%%", p);
		leftovers = count(db, "SELECT count(*) FROM allocations WHERE consumer LIKE ?1"
				      " AND consumer NOT LIKE '%-final'", consumer, 0);
		lost += (uint64_t)(leftovers > 0 ? leftovers : 0);
		journaled = count(db, "SELECT count(*) FROM events WHERE pid = ?1 AND"
				      " ((operation = 'allocate' AND result = 'created') OR"
				      "  (operation = 'release' AND result = 'released'))",
				  NULL, w->pid);
		if (journaled < (int64_t)(w->allocs + w->releases + (uint64_t)w->final_held))
			lost += w->allocs + w->releases + (uint64_t)w->final_held - (uint64_t)journaled;
	}
	sqlite3_close(db);
	return lost;
}

int main(int argc, char **argv)
{
	uint64_t ms, calls = 0, busy = 0, full = 0, errors = 0, acked = 0, t0, elapsed;
	struct sevslot_ledger *l;
	struct sevslot_ctx *ctx;
	struct worker *ws;
	size_t n = 0;
	float *all;
	int procs, gate[2], ready[2], err;
	char c;

	if (argc != 5)
		die("usage: hammer SYSROOT DB PROCS MS");
	procs = atoi(argv[3]);
	ms = (uint64_t)atol(argv[4]);
	if (procs < 1 || procs > 64)
		die("PROCS: 1..64");
	/* Create and migrate the ledger before anyone races for it. */
	if (sevslot_new(&ctx, argv[1]) < 0)
		die("%s: cannot open", argv[1]);
	err = sevslot_ledger_open(ctx, argv[2], NULL, 0, &l);
	if (err < 0)
		die("open %s: %s", argv[2], sevslot_ledger_errmsg(l));
	sevslot_ledger_close(l);
	sevslot_free(ctx);

	ws = mmap(NULL, sizeof(*ws) * (size_t)procs, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ws == MAP_FAILED || pipe(gate) < 0 || pipe(ready) < 0)
		die("mmap/pipe: %s", strerror(errno));
	fflush(stdout);
	for (int p = 0; p < procs; p++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			close(gate[1]);
			close(ready[0]);
			_exit(child(&ws[p], p, argv[1], argv[2], ready[1], gate[0], ms));
		}
		ws[p].pid = pid;
	}
	close(gate[0]);
	close(ready[1]);
	/* Start the clock once every worker has opened its handle (or died). */
	for (int p = 0; p < procs; p++)
		if (read(ready[0], &c, 1) != 1)
			break;
	t0 = now_ns();
	close(gate[1]);
	for (int p = 0; p < procs; p++) {
		int st;

		if (waitpid(ws[p].pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			die("worker %d failed (%s)", p, ws[p].last_error);
	}
	elapsed = now_ns() - t0;

	for (int p = 0; p < procs; p++) {
		calls += ws[p].n_lat;
		busy += ws[p].busy;
		full += ws[p].full;
		errors += ws[p].errors;
		acked += ws[p].allocs + ws[p].releases;
		if (ws[p].errors)
			fprintf(stderr, "hammer: worker %d: %s\n", p, ws[p].last_error);
	}
	all = malloc(sizeof(float) * (calls ? calls : 1));
	if (all == NULL)
		die("out of memory");
	for (int p = 0; p < procs; p++) {
		memcpy(all + n, ws[p].lat_us, sizeof(float) * ws[p].n_lat);
		n += ws[p].n_lat;
	}
	qsort(all, n, sizeof(float), cmp_float);
	printf("procs %d calls %llu acked %llu seconds %.3f ops_per_s %.1f p50_ms %.4f p99_ms %.4f"
	       " max_ms %.4f busy %llu full %llu lost %llu errors %llu\n",
	       procs, (unsigned long long)calls, (unsigned long long)acked, (double)elapsed / 1e9,
	       (double)acked * 1e9 / (double)elapsed, n ? all[n / 2] / 1e3 : 0.0,
	       n ? all[(n * 99) / 100] / 1e3 : 0.0, n ? all[n - 1] / 1e3 : 0.0,
	       (unsigned long long)busy,
	       (unsigned long long)full,
	       (unsigned long long)lost_operations(argv[2], ws, procs),
	       (unsigned long long)errors);
	free(all);
	munmap(ws, sizeof(*ws) * (size_t)procs);
	return 0;
}
