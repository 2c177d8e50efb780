/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The raw SQLite floor (raw_sqlite.h): prepared statements, reused, nothing
 * but the two statements and their transactions.
 */
#include <sqlite3.h>
#include <stdlib.h>

#include "bench.h"
#include "raw_sqlite.h"

struct raw_db {
	sqlite3 *db;
	sqlite3_stmt *begin, *commit, *rollback, *insert, *delete;
};

static void exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		die("raw sqlite: %s: %s", sql, err ? err : "?");
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
		die("raw sqlite: %s: %s", sql, sqlite3_errmsg(db));
	return st;
}

struct raw_db *raw_open(const char *path, bool full, unsigned busy_ms)
{
	struct raw_db *r = calloc(1, sizeof(*r));
	char sql[64];

	if (r == NULL || sqlite3_open(path, &r->db) != SQLITE_OK)
		die("raw sqlite: cannot open %s", path);
	sqlite3_busy_timeout(r->db, (int)busy_ms);
	exec(r->db, "PRAGMA journal_mode=WAL");
	snprintf(sql, sizeof(sql), "PRAGMA synchronous=%s", full ? "FULL" : "NORMAL");
	exec(r->db, sql);
	exec(r->db, "CREATE TABLE IF NOT EXISTS allocations ("
		    " consumer TEXT PRIMARY KEY, pool INTEGER NOT NULL, slot INTEGER NOT NULL,"
		    " UNIQUE (pool, slot))");
	r->begin = prepare(r->db, "BEGIN IMMEDIATE");
	r->commit = prepare(r->db, "COMMIT");
	r->rollback = prepare(r->db, "ROLLBACK");
	r->insert = prepare(r->db, "INSERT INTO allocations (consumer, pool, slot) VALUES (?1, ?2, ?3)");
	r->delete = prepare(r->db, "DELETE FROM allocations WHERE consumer = ?1");
	return r;
}

void raw_close(struct raw_db *r)
{
	if (r == NULL)
		return;
	sqlite3_finalize(r->begin);
	sqlite3_finalize(r->commit);
	sqlite3_finalize(r->rollback);
	sqlite3_finalize(r->insert);
	sqlite3_finalize(r->delete);
	sqlite3_close(r->db);
	free(r);
}

static int step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : rc;
}

/* Run one bound statement in its own transaction. */
static int txn(struct raw_db *r, sqlite3_stmt *st)
{
	int rc = step(r->begin);

	if (rc != 0)
		return rc;
	rc = step(st);
	if (rc != 0) {
		step(r->rollback);
		return rc;
	}
	return step(r->commit);
}

int raw_allocate(struct raw_db *r, const char *consumer, int pool, int slot)
{
	sqlite3_bind_text(r->insert, 1, consumer, -1, SQLITE_STATIC);
	sqlite3_bind_int(r->insert, 2, pool);
	sqlite3_bind_int(r->insert, 3, slot);
	return txn(r, r->insert);
}

int raw_release(struct raw_db *r, const char *consumer)
{
	sqlite3_bind_text(r->delete, 1, consumer, -1, SQLITE_STATIC);
	return txn(r, r->delete);
}
