/* SPDX-License-Identifier: Apache-2.0 */
/*
 * free_slots (schema 3), the ledger's own index of the slots nobody holds:
 * allocation takes the lowest of them; triggers keep it equal to its
 * definition whoever writes slots or pools.capacity; capacity changes add
 * and remove free slots; a free_slots corrupted by hand heals itself. And
 * the capacity triggers, which count a pool only when it may be over.
 */
#include "ledger_harness.h"

static uint32_t alloc(struct sevslot_ledger *l, const char *consumer)
{
	struct sevslot_allocation a;
	bool created = false;
	int err = sevslot_ledger_allocate(l, consumer, SEVSLOT_MODEL_SEV, &a, &created);

	if (err != 0)
		fail_msg("allocate %s: %d %s", consumer, err, sevslot_ledger_errmsg(l));
	assert_true(created);
	return a.slot;
}

static void release(struct sevslot_ledger *l, const char *consumer)
{
	bool released = false;

	assert_int_equal(sevslot_ledger_release(l, consumer, &released), 0);
	assert_true(released);
}

static int64_t drift(const char *path)
{
	sqlite3 *db = lh_db(path, false);
	int64_t n = lh_free_slots_drift(db);

	sqlite3_close(db);
	return n;
}

/* The free slots of a pool, "2,5,7", as the ledger lists them. */
static void free_list(const char *path, const char *pool, char *out, size_t len)
{
	sqlite3 *db = lh_db(path, false);
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT coalesce(group_concat(slot, ','), '') FROM "
					    "(SELECT slot FROM free_slots WHERE pool = ?1 ORDER BY slot)",
					    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void assert_free(const char *path, const char *pool, const char *expect)
{
	char got[4096];

	free_list(path, pool, got, sizeof(got));
	if (strcmp(got, expect) != 0)
		fail_msg("free slots of %s: '%s', expected '%s'", pool, got, expect);
}

/* Who holds which slot of a pool, "a:0 b:4", as the ledger has it. */
static void assert_holders(sqlite3 *db, const char *pool, const char *expect)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT coalesce(group_concat(consumer || ':' || slot, "
					    "' '), '') FROM (SELECT consumer, slot FROM slots "
					    "WHERE pool = ?1 ORDER BY slot)", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	if (strcmp((const char *)sqlite3_column_text(st, 0), expect) != 0)
		fail_msg("holders of %s: '%s', expected '%s'", pool, sqlite3_column_text(st, 0), expect);
	sqlite3_finalize(st);
}

static void test_lowest_free_slot_after_releases_in_the_middle(void **state)
{
	static const char *const live[] = { "vm-0", "vm-1", "vm-4", "vm-6", "vm-9", "a", "b", "c",
					    "d", "e" };
	struct lh w;
	struct sevslot_ledger *l;
	char id[16];

	(void)state;
	lh_setup(&w, 15, 1);
	l = lh_open(&w, NULL);
	assert_free(w.path, "sev", "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14");
	for (unsigned i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "vm-%u", i);
		assert_int_equal(alloc(l, id), i);
	}
	assert_free(w.path, "sev", "10,11,12,13,14");
	/* Released out of order, in the middle: handed out again lowest first. */
	release(l, "vm-7");
	release(l, "vm-3");
	release(l, "vm-5");
	assert_free(w.path, "sev", "3,5,7,10,11,12,13,14");
	assert_int_equal(alloc(l, "a"), 3);
	assert_int_equal(alloc(l, "b"), 5);
	release(l, "vm-0");
	assert_int_equal(alloc(l, "c"), 0);
	assert_int_equal(alloc(l, "d"), 7);
	assert_int_equal(alloc(l, "e"), 10);
	/* Reconcile releases through the same triggers. */
	assert_int_equal(sevslot_ledger_reconcile(l, live, sizeof(live) / sizeof(live[0]), 0,
						  NULL, NULL), 0);
	assert_free(w.path, "sev", "2,8,11,12,13,14");
	assert_int_equal(alloc(l, "f"), 2);
	assert_int_equal(alloc(l, "g"), 8);
	assert_int_equal(alloc(l, "h"), 11);
	sevslot_ledger_close(l);
	lh_check_invariants(w.path, false);
	lh_teardown(&w);
}

/*
 * Writes an operator's sqlite3 could make to slots and pools: after each,
 * accepted or refused, free_slots is exactly the slots nobody holds.
 */
/* A recorded host claiming 2^32 - 1 ASIDs must not make the ledger write billions of rows. */
static void test_capacity_is_bounded(void **state)
{
	struct sevslot_pool_usage usage[SEVSLOT_POOL_COUNT];
	struct lh w;
	struct sevslot_ledger *l;
	sqlite3 *db;

	(void)state;
	lh_setup(&w, 0xffffffffu, 1);
	l = lh_open(&w, NULL);
	assert_int_equal(sevslot_ledger_usage(l, usage), 0);
	assert_int_equal(usage[SEVSLOT_POOL_SEV].capacity, 65536);
	assert_int_equal(alloc(l, "vm-0"), 0);
	sevslot_ledger_close(l);
	db = lh_db(w.path, false);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM free_slots WHERE pool = 'sev'"), 65535);
	sqlite3_close(db);
	lh_check_invariants(w.path, false);
	lh_teardown(&w);
}

static void test_free_slots_follow_stray_writes(void **state)
{
	static const char *const accepted[] = {
		"INSERT INTO slots VALUES ('hand-7', 'amd-sev', 'sev', 7, 't', 'b')",
		"DELETE FROM slots WHERE consumer = 'vm-2'",
		"UPDATE slots SET slot = 9 WHERE consumer = 'vm-3'",
		"UPDATE slots SET slot = slot WHERE consumer = 'vm-4'",
		"UPDATE slots SET pool = pool, slot = slot WHERE consumer = 'vm-4'",
		("UPDATE slots SET pool = 'sev_es', model = 'amd-sev-es', slot = 2 "
		 "WHERE consumer = 'vm-1'"),
		"UPDATE slots SET consumer = 'renamed' WHERE consumer = 'vm-0'",
		"UPDATE slots SET allocated_at = 'x', boot_id = 'y'",
		/* A consumer may move onto a free slot, or stay where it is. */
		"UPDATE OR REPLACE slots SET slot = 8 WHERE consumer = 'hand-7'",
		"UPDATE OR REPLACE slots SET slot = 7 WHERE consumer = 'hand-7'",
		"INSERT OR IGNORE INTO slots VALUES ('other', 'amd-sev', 'sev', 5, 't', 'b')",
		"DELETE FROM slots WHERE consumer = 'other'",
		"BEGIN; DELETE FROM slots WHERE consumer = 'renamed'; ROLLBACK",
		"DELETE FROM slots WHERE pool = 'sev_es'",
		"INSERT INTO slots VALUES ('es-3', 'amd-sev-es', 'sev_es', 3, 't', 'b')",
		/*
		 * Capacity: shrink under held slots, grow back, grow beyond with
		 * the host's count written too (the schema cannot know the host;
		 * the next open restores it).
		 */
		"UPDATE pools SET capacity = 6 WHERE pool = 'sev'",
		"UPDATE pools SET capacity = 11 WHERE pool = 'sev'",
		"UPDATE pools SET capacity = 20, probed = 20 WHERE pool = 'sev'",
		"UPDATE pools SET capacity = 0 WHERE pool = 'sev_es'",
		"UPDATE pools SET capacity = 4 WHERE pool = 'sev_es'",
		"UPDATE pools SET probed = probed + 1, updated_at = 'now'",
		"UPDATE pools SET capacity = capacity + 1",
		/* REPLACE of a pool's row: no UPDATE trigger, derived afresh. */
		"INSERT OR REPLACE INTO pools (pool, capacity, probed, updated_at) VALUES ('sev', 11, 11, 't')",
		"INSERT OR REPLACE INTO pools (pool, capacity, probed, updated_at) VALUES ('sev_es', 2, 4, 't')",
		"UPDATE pools SET capacity = 4 WHERE pool = 'sev_es'",
	};
	static const char *const refused[] = {
		/* A consumer's second row, even by REPLACE or IGNORE. */
		"INSERT OR REPLACE INTO slots VALUES ('renamed', 'amd-sev', 'sev', 6, 't', 'b')",
		"INSERT OR IGNORE INTO slots VALUES ('renamed', 'amd-sev', 'sev', 6, 't', 'b')",
		"UPDATE OR REPLACE slots SET consumer = 'hand-7' WHERE consumer = 'renamed'",
		"UPDATE slots SET consumer = 'hand-7' WHERE consumer = 'renamed'",
		/*
		 * Another consumer's slot, whatever the conflict clause: REPLACE
		 * would delete the holder without a trigger or a journal line.
		 */
		"UPDATE OR REPLACE slots SET slot = 9 WHERE consumer = 'hand-7'",
		"INSERT OR REPLACE INTO slots VALUES ('newcomer', 'amd-sev', 'sev', 4, 't', 'b')",
		"REPLACE INTO slots VALUES ('newcomer', 'amd-sev', 'sev', 4, 't', 'b')",
		"INSERT OR IGNORE INTO slots VALUES ('newcomer', 'amd-sev', 'sev', 4, 't', 'b')",
		"UPDATE OR IGNORE slots SET slot = 4 WHERE consumer = 'renamed'",
		("UPDATE OR REPLACE slots SET consumer = 'newcomer', slot = 9 "
		 "WHERE consumer = 'renamed'"),
		/* Outside the capacity, a missing pool. */
		"INSERT INTO slots VALUES ('big', 'amd-sev', 'sev', 11, 't', 'b')",
		"UPDATE slots SET slot = 11 WHERE consumer = 'renamed'",
		"INSERT INTO slots VALUES ('p', 'amd-sev', 'nope', 1, 't', 'b')",
		/* A capacity above the host's count in the same row (schema 6). */
		"UPDATE pools SET capacity = 12 WHERE pool = 'sev'",
		"UPDATE pools SET probed = 3",
		"UPDATE pools SET capacity = capacity + 1",
		("INSERT OR REPLACE INTO pools (pool, capacity, probed, updated_at) "
		 "VALUES ('sev', 20, 11, 't')"),
		/* The first row moves to 10, the next runs into it: all undone. */
		"UPDATE slots SET slot = 10 WHERE pool = 'sev'",
		"UPDATE OR REPLACE slots SET slot = 10 WHERE pool = 'sev'",
	};
	struct lh w;
	struct sevslot_ledger *l;
	sqlite3 *db;
	char id[16];

	(void)state;
	lh_setup(&w, 15, 5); /* sev 11 slots, sev_es 4 */
	l = lh_open(&w, NULL);
	for (unsigned i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "vm-%u", i);
		assert_int_equal(alloc(l, id), i);
	}
	assert_int_equal(sevslot_ledger_allocate(l, "e-0", SEVSLOT_MODEL_SEV_ES, NULL, NULL), 0);
	sevslot_ledger_close(l);
	assert_int_equal(drift(w.path), 0);

	db = lh_db(w.path, true);
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		char *msg = NULL;

		if (sqlite3_exec(db, accepted[i], NULL, NULL, &msg) != SQLITE_OK)
			fail_msg("refused: %s: %s", accepted[i], msg);
		if (lh_free_slots_drift(db) != 0)
			fail_msg("free_slots drifted after: %s", accepted[i]);
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		int rc = lh_exec(db, refused[i]);

		if (rc == SQLITE_OK)
			fail_msg("accepted: %s", refused[i]);
		assert_int_equal(rc & 0xff, SQLITE_CONSTRAINT);
		if (lh_free_slots_drift(db) != 0)
			fail_msg("free_slots drifted after: %s", refused[i]);
	}
	/* Every holder kept its slot; nobody was evicted or slipped in. */
	assert_holders(db, "sev", "renamed:0 vm-4:4 hand-7:7 vm-3:9");
	assert_holders(db, "sev_es", "es-3:3");
	sqlite3_close(db);

	/*
	 * sevslot takes it from there: every pools row was written by hand
	 * (sev and sev_es replaced, sev_snp grown to 1), so each is restored
	 * from the host and journaled as edited; then the lowest free slot.
	 */
	l = lh_open(&w, NULL);
	db = lh_db(w.path, false);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM events WHERE operation = 'capacity' "
				"AND result = 'edited'"), 3);
	assert_int_equal(lh_int(db, "SELECT capacity FROM pools WHERE pool = 'sev_snp'"), 0);
	sqlite3_close(db);
	assert_free(w.path, "sev", "1,2,3,5,6,8,10");
	assert_int_equal(alloc(l, "next"), 1);
	assert_int_equal(alloc(l, "next-1"), 2);
	sevslot_ledger_close(l);
	lh_check_invariants(w.path, false);
	lh_teardown(&w);
}

static struct sevslot_ledger *open_limited(struct lh *w, const char *limit)
{
	struct sevslot_config *c = NULL;
	struct sevslot_ledger *l;
	char path[600], text[64];

	if (limit != NULL) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/limit.conf", w->dir);
		snprintf(text, sizeof(text), "[pool.sev]\nlimit = %s\n", limit);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
		if (sevslot_config_load(w->ctx, path, &c) != 0)
			fail_msg("config: %s", sevslot_errmsg(w->ctx));
	}
	l = lh_open(w, c);
	sevslot_config_free(c);
	return l;
}

/* The host or the config changes a capacity: free slots appear and go. */
static void test_free_slots_follow_capacity_changes(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	char id[16];

	(void)state;
	lh_setup(&w, 15, 1);
	l = open_limited(&w, NULL);
	for (unsigned i = 0; i < 6; i++) {
		snprintf(id, sizeof(id), "vm-%u", i);
		assert_int_equal(alloc(l, id), i);
	}
	release(l, "vm-2");
	sevslot_ledger_close(l);
	assert_free(w.path, "sev", "2,6,7,8,9,10,11,12,13,14");

	/* Down to 4: only slot 2 is free below it, and 5 are held (0 1 3 4 5). */
	l = open_limited(&w, "4");
	assert_free(w.path, "sev", "2");
	assert_int_equal(drift(w.path), 0);
	/* Over capacity: refused although free_slots lists a slot. */
	assert_int_equal(sevslot_ledger_allocate(l, "x", SEVSLOT_MODEL_SEV, NULL, NULL), -EAGAIN);
	assert_non_null(strstr(sevslot_ledger_errmsg(l), "5 of 4"));
	release(l, "vm-5");
	assert_int_equal(sevslot_ledger_allocate(l, "x", SEVSLOT_MODEL_SEV, NULL, NULL), -EAGAIN);
	release(l, "vm-4");
	assert_free(w.path, "sev", "2");
	/* Back under: the free slot is given, then the pool is full. */
	assert_int_equal(alloc(l, "x"), 2);
	assert_free(w.path, "sev", "");
	assert_int_equal(sevslot_ledger_allocate(l, "y", SEVSLOT_MODEL_SEV, NULL, NULL), -EAGAIN);
	assert_non_null(strstr(sevslot_ledger_errmsg(l), "4 of 4"));
	sevslot_ledger_close(l);

	/* Up to 10: slots 4 to 9 appear (4 and 5 were released while over). */
	l = open_limited(&w, "10");
	assert_free(w.path, "sev", "4,5,6,7,8,9");
	assert_int_equal(alloc(l, "y"), 4);
	sevslot_ledger_close(l);

	/* Up to the host's 15, then down to 0 and back. */
	l = open_limited(&w, NULL);
	assert_free(w.path, "sev", "5,6,7,8,9,10,11,12,13,14");
	sevslot_ledger_close(l);
	l = open_limited(&w, "0");
	assert_free(w.path, "sev", "");
	assert_int_equal(sevslot_ledger_allocate(l, "z", SEVSLOT_MODEL_SEV, NULL, NULL), -EAGAIN);
	sevslot_ledger_close(l);
	l = open_limited(&w, NULL);
	assert_free(w.path, "sev", "5,6,7,8,9,10,11,12,13,14");
	assert_int_equal(alloc(l, "z"), 5);
	sevslot_ledger_close(l);
	lh_check_invariants(w.path, false);
	lh_teardown(&w);
}

static int rebuilt_logged;

static void watch_log(void *data, int priority, const char *msg)
{
	(void)data;
	if (priority == SEVSLOT_LOG_WARNING && strstr(msg, "free_slots") != NULL)
		rebuilt_logged++;
}

static void stray(const char *path, const char *sql)
{
	sqlite3 *db = lh_db(path, true);

	assert_int_equal(lh_exec(db, sql), SQLITE_OK);
	assert_int_not_equal(lh_free_slots_diff(db, false), 0);
	sqlite3_close(db);
}

/* Hand edits to free_slots itself: allocation finds out, rebuilds, goes on. */
static void test_corrupted_free_slots_heal(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	sqlite3 *db;
	char id[16];

	(void)state;
	lh_setup(&w, 15, 1);
	sevslot_set_log_fn(w.ctx, watch_log, NULL);
	sevslot_set_log_priority(w.ctx, SEVSLOT_LOG_WARNING);
	l = lh_open(&w, NULL);
	for (unsigned i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "vm-%u", i);
		assert_int_equal(alloc(l, id), i);
	}
	release(l, "vm-1");

	/* Emptied: it says full while the pool has room. */
	stray(w.path, "DELETE FROM free_slots");
	assert_int_equal(alloc(l, "a"), 1);
	assert_int_equal(drift(w.path), 0);
	assert_int_equal(rebuilt_logged, 1);

	/* A held slot listed first: the insert runs into (pool, slot) unique. */
	stray(w.path, "INSERT INTO free_slots VALUES ('sev', 0)");
	assert_int_equal(alloc(l, "b"), 5);
	assert_int_equal(drift(w.path), 0);
	assert_int_equal(rebuilt_logged, 2);

	/* Only slots beyond the capacity listed. */
	stray(w.path, "DELETE FROM free_slots; INSERT INTO free_slots VALUES ('sev', 99), ('sev', 15)");
	assert_int_equal(alloc(l, "c"), 6);
	assert_int_equal(drift(w.path), 0);

	/* A full pool stays full, whatever free_slots says. */
	for (unsigned i = 7; i < 15; i++) {
		snprintf(id, sizeof(id), "fill-%u", i);
		assert_int_equal(alloc(l, id), i);
	}
	stray(w.path, "INSERT INTO free_slots VALUES ('sev', 3)");
	assert_int_equal(sevslot_ledger_allocate(l, "full", SEVSLOT_MODEL_SEV, NULL, NULL), -EAGAIN);
	assert_non_null(strstr(sevslot_ledger_errmsg(l), "15 of 15"));
	assert_int_equal(sevslot_ledger_lookup(l, "full", NULL), -ENOENT);
	assert_int_equal(drift(w.path), 0);
	sevslot_ledger_close(l);

	/* Each rebuild is journaled with the allocation it served. */
	db = lh_db(w.path, false);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM events WHERE operation = 'allocate' "
				"AND detail LIKE '%free_slots%rebuilt%'"), 3);
	sqlite3_close(db);
	lh_check_invariants(w.path, false);
	lh_teardown(&w);
}

/*
 * The capacity triggers count a pool only when a slot at or above its
 * capacity is held; then they refuse while the count has not come back under.
 */
static void test_capacity_triggers_when_over(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	sqlite3 *db;
	char id[16];

	(void)state;
	lh_setup(&w, 15, 1);
	l = lh_open(&w, NULL);
	for (unsigned i = 0; i < 6; i++) {
		snprintf(id, sizeof(id), "vm-%u", i);
		assert_int_equal(alloc(l, id), i);
	}
	sevslot_ledger_close(l);

	db = lh_db(w.path, true);
	assert_int_equal(lh_exec(db, "UPDATE pools SET capacity = 4 WHERE pool = 'sev';"
				 "DELETE FROM slots WHERE consumer = 'vm-2'"), SQLITE_OK);
	/* Held 0 1 3 4 5, capacity 4: slot 2 is free but the pool is over. */
	assert_int_equal(lh_exec(db, "INSERT INTO slots VALUES ('x', 'amd-sev', 'sev', 2, 't', 'b')"),
			 SQLITE_CONSTRAINT);
	assert_non_null(strstr(sqlite3_errmsg(db), "pool full"));
	assert_int_equal(lh_exec(db, "UPDATE slots SET slot = 2 WHERE consumer = 'vm-5'"),
			 SQLITE_CONSTRAINT);
	assert_non_null(strstr(sqlite3_errmsg(db), "pool full"));
	/* Held 0 1 3 5: four, still at capacity. */
	assert_int_equal(lh_exec(db, "DELETE FROM slots WHERE consumer = 'vm-4'"), SQLITE_OK);
	assert_int_equal(lh_exec(db, "INSERT INTO slots VALUES ('x', 'amd-sev', 'sev', 2, 't', 'b')"),
			 SQLITE_CONSTRAINT);
	/* Moving the one above the capacity down is fine: the count stays 4. */
	assert_int_equal(lh_exec(db, "UPDATE slots SET slot = 2 WHERE consumer = 'vm-5'"), SQLITE_OK);
	/* Back under, nothing above: no count needed, the free slot is taken. */
	assert_int_equal(lh_exec(db, "DELETE FROM slots WHERE consumer = 'vm-3'"), SQLITE_OK);
	assert_int_equal(lh_exec(db, "INSERT INTO slots VALUES ('x', 'amd-sev', 'sev', 3, 't', 'b')"),
			 SQLITE_OK);
	/* Exactly full: every slot below the capacity is held. */
	assert_int_not_equal(lh_exec(db, "INSERT INTO slots VALUES ('y', 'amd-sev', 'sev', 1, 't', 'b')"),
			     SQLITE_OK);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM slots WHERE pool = 'sev'"), 4);
	assert_int_equal(lh_free_slots_drift(db), 0);
	sqlite3_close(db);
	lh_check_invariants(w.path, false);
	lh_teardown(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowest_free_slot_after_releases_in_the_middle),
		cmocka_unit_test(test_capacity_is_bounded),
		cmocka_unit_test(test_free_slots_follow_stray_writes),
		cmocka_unit_test(test_free_slots_follow_capacity_changes),
		cmocka_unit_test(test_corrupted_free_slots_heal),
		cmocka_unit_test(test_capacity_triggers_when_over),
	};

	return cmocka_run_group_tests_name("ledger free slots", tests, NULL, NULL);
}
