/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers for the ledger tests: recorded hosts with pools of any size, a
 * ledger in a temporary directory, and checks made with a plain SQLite
 * connection (the "unix" VFS, never a test shim), the way an operator would.
 */
#ifndef SEVSLOT_LEDGER_HARNESS_H
#define SEVSLOT_LEDGER_HARNESS_H

#include "harness.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <time.h>

#include "sevslot.h"

/*
 * A recorded host: CPUID 0x8000001F with ECX = highest SEV ASID and EDX =
 * lowest plain-SEV ASID (sev pool ECX-EDX+1 slots, sev_es EDX-1), kvm_amd
 * sev=Y and sev_es=Y, and a boot_id. ECX=15 EDX=1 is a Naples-like host with
 * a 15-slot pool and no SEV-ES.
 */
static inline void lh_host(const char *root, unsigned ecx, unsigned edx, const char *boot_id)
{
	char cpuid[1024];

	snprintf(cpuid, sizeof(cpuid),
		 "CPU:\n"
		 "   0x00000000 0x00: eax=0x00000010 ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n"
		 "   0x00000001 0x00: eax=0x00a00f11 ebx=0x00200800 ecx=0x7ef8320b edx=0x178bfbff\n"
		 "   0x80000000 0x00: eax=0x80000023 ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\n"
		 "   0x8000001f 0x00: eax=0x0001007f ebx=0x00004173 ecx=0x%08x edx=0x%08x\n",
		 ecx, edx);
	h_puts(root, "dev/cpu/0/cpuid", cpuid);
	h_puts(root, "sys/module/kvm_amd/parameters/sev", "Y\n");
	h_puts(root, "sys/module/kvm_amd/parameters/sev_es", "Y\n");
	h_puts(root, "proc/sys/kernel/random/boot_id", boot_id);
}

/* misc.current of the root cgroup: ASIDs in use per pool. */
static inline void lh_misc_current(const char *root, int sev, int sev_es)
{
	char text[64];

	snprintf(text, sizeof(text), "sev %d\nsev_es %d\n", sev, sev_es);
	h_puts(root, "sys/fs/cgroup/misc.current", text);
}

/* A /dev/sev recording whose PLATFORM_STATUS counts `guests` guests. */
static inline void lh_firmware(const char *root, unsigned guests)
{
	char text[128];

	snprintf(text, sizeof(text), "PLATFORM_STATUS 0 0 0134020000000004%02x%02x%02x%02x\n",
		 guests & 0xff, (guests >> 8) & 0xff, (guests >> 16) & 0xff, guests >> 24);
	h_puts(root, "dev/sev", text);
}

/* A test's world: a host, a directory for the ledger, a context reading the host. */
struct lh {
	char *root;                /* the recorded host */
	char *dir;                 /* holds ledger.db */
	char path[512];
	struct sevslot_ctx *ctx;
};

static inline void lh_setup(struct lh *w, unsigned ecx, unsigned edx)
{
	w->root = h_tmpdir();
	w->dir = h_tmpdir();
	lh_host(w->root, ecx, edx, "11111111-2222-3333-4444-555555555555\n");
	snprintf(w->path, sizeof(w->path), "%s/ledger.db", w->dir);
	assert_int_equal(sevslot_new(&w->ctx, w->root), 0);
}

static inline void lh_teardown(struct lh *w)
{
	sevslot_free(w->ctx);
	h_rmtree(w->root);
	h_rmtree(w->dir);
}

/* Open the ledger of `w`, asserting success. */
static inline struct sevslot_ledger *lh_open(struct lh *w, const struct sevslot_config *config)
{
	struct sevslot_ledger *l;
	int err = sevslot_ledger_open(w->ctx, w->path, config, 0, &l);

	if (err != 0)
		fail_msg("open %s: %d %s", w->path, err, sevslot_ledger_errmsg(l));
	return l;
}

/* A plain connection, through the real "unix" VFS whatever the default is. */
static inline sqlite3 *lh_db(const char *path, bool writable)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open_v2(path, &db,
					 writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY,
					 "unix"), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	return db;
}

/* One integer from a query; fails the test on error. */
static inline int64_t lh_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Run a statement; returns the SQLite result (for writes expected to fail). */
static inline int lh_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/*
 * free_slots (schema 3) holds exactly what it is defined to: each slot in
 * 0 <= slot < capacity of each pool that no row of slots holds. Returns the
 * number of rows that differ (lh_free_slots_drift lists them on stderr), so
 * that a test can also expect a difference.
 */
static inline int64_t lh_free_slots_diff(sqlite3 *db, bool print)
{
	static const char sql[] =
		"WITH RECURSIVE n (pool, slot, capacity) AS ("
		"  SELECT pool, 0, capacity FROM pools WHERE capacity > 0"
		"  UNION ALL SELECT pool, slot + 1, capacity FROM n WHERE slot + 1 < capacity), "
		"expected (pool, slot) AS ("
		"  SELECT pool, slot FROM n WHERE NOT EXISTS"
		"  (SELECT 1 FROM slots AS s WHERE s.pool = n.pool AND s.slot = n.slot)) "
		"SELECT 'missing', pool, slot FROM "
		"  (SELECT pool, slot FROM expected EXCEPT SELECT pool, slot FROM free_slots) "
		"UNION ALL SELECT 'extra', pool, slot FROM "
		"  (SELECT pool, slot FROM free_slots EXCEPT SELECT pool, slot FROM expected)";
	sqlite3_stmt *st;
	int64_t n = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("free_slots drift: %s", sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (print && n < 10)
			fprintf(stderr, "free_slots: %s (%s, %lld)\n", sqlite3_column_text(st, 0),
				sqlite3_column_text(st, 1), (long long)sqlite3_column_int64(st, 2));
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

static inline int64_t lh_free_slots_drift(sqlite3 *db)
{
	return lh_free_slots_diff(db, true);
}

/*
 * The file is sound and every invariant holds: integrity_check ok, one row
 * per consumer, (pool, slot) unique, 0 <= slot < capacity, no pool holding
 * more than its capacity, free_slots exactly the slots nobody holds.
 * `allow_over` tolerates a capacity that shrank.
 */
static inline void lh_check_invariants(const char *path, bool allow_over)
{
	sqlite3 *db = lh_db(path, false);
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM (SELECT pool, slot FROM slots "
				"GROUP BY pool, slot HAVING count(*) > 1)"), 0);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM slots WHERE slot < 0"), 0);
	if (!allow_over) {
		assert_int_equal(lh_int(db, "SELECT count(*) FROM slots s JOIN pools p USING (pool) "
					"WHERE s.slot >= p.capacity"), 0);
		assert_int_equal(lh_int(db, "SELECT count(*) FROM pool_usage WHERE allocated > capacity"),
				 0);
	}
	assert_int_equal(lh_free_slots_drift(db), 0);
	sqlite3_close(db);
}

/* The build directory the suite runs from (tools/run-tests sets it). */
static inline const char *lh_build(void)
{
	const char *b = getenv("SEVSLOT_TEST_BUILD");

	return b != NULL ? b : "build";
}

/* Milliseconds of wall-clock time, for bounded loops. */
static inline uint64_t lh_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif
