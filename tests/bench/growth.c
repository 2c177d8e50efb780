/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Does allocate slow down as the ledger grows?
 *
 *   growth history SYSROOT DIR OPS N1 N2 ...
 *     one ledger per N with N rows in `events`; prints
 *     "history N p50_us P50 p90_us P90" for allocate.
 *   growth capacity DIR OPS SYSROOT1 SYSROOT2 ...
 *     one ledger per sysroot, its sev pool filled but for the highest slot
 *     (the worst case for finding the lowest free one); prints
 *     "capacity C p50_us P50 p90_us P90" for allocate, C the pool's capacity.
 *
 * Every ledger stays open and the measured operations go round-robin across
 * them, so that all sizes see the same machine at the same time. Each
 * operation is one timed allocate of a fresh consumer and its (untimed) release.
 */
#include <errno.h>
#include <sqlite3.h>
#include <string.h>
#include <strings.h>

#include <sevslot.h>

#include "bench.h"

struct subject {
	struct sevslot_ctx *ctx;
	struct sevslot_ledger *l;
	long size;                  /* events rows, or capacity */
	uint32_t expect_slot;       /* capacity mode: the free slot; else UINT32_MAX */
	float *lat_us;
};

static void open_ledger(struct subject *s, const char *sysroot, const char *path)
{
	int err = sevslot_new(&s->ctx, sysroot);

	if (err < 0)
		die("%s: %s", sysroot, strerror(-err));
	err = sevslot_ledger_open(s->ctx, path, NULL, 0, &s->l);
	if (err < 0)
		die("open %s: %s", path, sevslot_ledger_errmsg(s->l));
}

static void alloc_or_die(struct subject *s, const char *consumer, struct sevslot_allocation *a)
{
	bool created;

	if (sevslot_ledger_allocate(s->l, consumer, SEVSLOT_MODEL_SEV, a, &created) < 0 || !created)
		die("allocate %s: %s", consumer, sevslot_ledger_errmsg(s->l));
}

static void release_or_die(struct subject *s, const char *consumer)
{
	bool released;

	if (sevslot_ledger_release(s->l, consumer, &released) < 0 || !released)
		die("release %s: %s", consumer, sevslot_ledger_errmsg(s->l));
}

static void exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die("%s: %s", sql, msg ? msg : "?");
}

static int64_t scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * Grow `events` to `rows` by copying its own rows (the journal's columns but
 * its integer key), doubling each time: real rows, written in bulk.
 */
static void grow_events(const char *path, long rows)
{
	char cols[1024] = "", sql[4096];
	sqlite3_stmt *st;
	sqlite3 *db;
	int64_t have;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("%s: %s", path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, SEVSLOT_BUSY_TIMEOUT_MS);
	if (sqlite3_prepare_v2(db, "SELECT name, type, pk FROM pragma_table_info('events')", -1,
			       &st, NULL) != SQLITE_OK)
		die("events: %s", sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *type = (const char *)sqlite3_column_text(st, 1);

		if (sqlite3_column_int(st, 2) == 1 && strcasecmp(type, "INTEGER") == 0)
			continue;
		if (strlen(cols) + strlen(name) + 4 >= sizeof(cols))
			die("events: too many columns");
		if (cols[0] != '\0')
			strcat(cols, ", ");
		strcat(cols, "\"");
		strcat(cols, name);
		strcat(cols, "\"");
	}
	sqlite3_finalize(st);
	if (cols[0] == '\0')
		die("%s: no events table", path);
	exec(db, "BEGIN IMMEDIATE");
	while ((have = scalar(db, "SELECT count(*) FROM events")) < rows) {
		if (have <= 0)
			die("%s: events is empty", path);
		snprintf(sql, sizeof(sql), "INSERT INTO events (%s) SELECT %s FROM events LIMIT %lld",
			 cols, cols, (long long)(rows - have < have ? rows - have : have));
		exec(db, sql);
	}
	exec(db, "COMMIT");
	exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close(db);
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

static void measure(struct subject *subj, int n, long ops, const char *label)
{
	char consumer[64];

	for (long k = -ops / 10 - 1; k < ops; k++) {
		for (int i = 0; i < n; i++) {
			struct subject *s = &subj[(k & 1) ? n - 1 - i : i];
			struct sevslot_allocation a;
			uint64_t t0;

			snprintf(consumer, sizeof(consumer), "m-%ld", k);
			t0 = now_ns();
			alloc_or_die(s, consumer, &a);
			if (k >= 0)
				s->lat_us[k] = (float)(now_ns() - t0) / 1e3f;
			if (s->expect_slot != UINT32_MAX && a.slot != s->expect_slot)
				die("%s: allocate gave slot %u, expected the free slot %u", label,
				    a.slot, s->expect_slot);
			release_or_die(s, consumer);
		}
	}
	for (int i = 0; i < n; i++) {
		qsort(subj[i].lat_us, (size_t)ops, sizeof(float), cmp_float);
		printf("%s %ld p50_us %.2f p90_us %.2f\n", label, subj[i].size,
		       subj[i].lat_us[ops / 2], subj[i].lat_us[(ops * 9) / 10]);
	}
}

int main(int argc, char **argv)
{
	struct subject *subj;
	char path[4096], consumer[64];
	bool history;
	long ops;
	int n;

	if (argc < 5)
		die("usage: growth history SYSROOT DIR OPS N... | growth capacity DIR OPS SYSROOT...");
	history = strcmp(argv[1], "history") == 0;
	if (history && argc < 6)
		die("growth history SYSROOT DIR OPS N...");
	ops = atol(argv[history ? 4 : 3]);
	n = argc - (history ? 5 : 4);
	subj = calloc((size_t)n, sizeof(*subj));
	if (subj == NULL || ops < 1)
		die("bad arguments");
	for (int i = 0; i < n; i++) {
		struct subject *s = &subj[i];

		s->lat_us = calloc((size_t)ops, sizeof(float));
		if (s->lat_us == NULL)
			die("out of memory");
		s->expect_slot = UINT32_MAX;
		if (history) {
			s->size = atol(argv[5 + i]);
			snprintf(path, sizeof(path), "%s/history-%ld.db", argv[3], s->size);
			open_ledger(s, argv[2], path);
			/* Real journal lines first, then copies of them up to the size. */
			for (int k = 0; k < 100; k++) {
				struct sevslot_allocation a;

				snprintf(consumer, sizeof(consumer), "seed-%d", k);
				alloc_or_die(s, consumer, &a);
				release_or_die(s, consumer);
			}
			grow_events(path, s->size);
		} else {
			struct sevslot_pool_usage u[SEVSLOT_POOL_COUNT];
			struct sevslot_allocation a;

			snprintf(path, sizeof(path), "%s/capacity-%d.db", argv[2], i);
			open_ledger(s, argv[4 + i], path);
			if (sevslot_ledger_usage(s->l, u) < 0)
				die("usage: %s", sevslot_ledger_errmsg(s->l));
			s->size = u[SEVSLOT_POOL_SEV].capacity;
			if (s->size < 2)
				die("%s: sev pool too small", argv[4 + i]);
			for (long k = 0; k < s->size; k++) {
				snprintf(consumer, sizeof(consumer), "fill-%ld", k);
				alloc_or_die(s, consumer, &a);
			}
			s->expect_slot = a.slot;
			release_or_die(s, consumer);
		}
	}
	measure(subj, n, ops, history ? "history" : "capacity");
	for (int i = 0; i < n; i++) {
		sevslot_ledger_close(subj[i].l);
		sevslot_free(subj[i].ctx);
		free(subj[i].lat_us);
	}
	free(subj);
	return 0;
}
