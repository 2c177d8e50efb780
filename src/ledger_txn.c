/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transactions on the ledger: every write is one BEGIN IMMEDIATE transaction,
 * retried a bounded number of times, with jitter, when SQLite reports busy
 * in a way its busy handler did not absorb (a WAL recovery in progress, a
 * lock the handler gave up on early). Plus the journal and error mapping.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ledger_int.h"

static uint64_t now_ms(void);
static uint32_t jitter(struct sevslot_ledger *l, uint32_t max);

int sv_ledger_fail(struct sevslot_ledger *l, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->errmsg, sizeof(l->errmsg), fmt, ap);
	va_end(ap);
	sv_one_line(l->errmsg);
	sv_log(l->ctx, SEVSLOT_LOG_ERR, "%s", l->errmsg);
	return err;
}

int sv_ledger_corrupt(struct sevslot_ledger *l, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return sv_ledger_fail(l, -EIO, "ledger %s is corrupt (%s); restore it from a backup, or "
			      "move it away (a new one starts empty) and run 'sevslot reconcile'",
			      l->path, what);
}

int sv_ledger_pool_column(struct sevslot_ledger *l, sqlite3_stmt *st, int col,
			  enum sevslot_pool_id *out)
{
	const char *name = (const char *)sqlite3_column_text(st, col);

	if (sqlite3_column_type(st, col) != SQLITE_TEXT || name == NULL ||
	    sevslot_pool_from_name(name, out) < 0)
		return sv_ledger_corrupt(l, "a pool that is not sev, sev_es or sev_snp");
	return 0;
}

int sv_ledger_u32_column(struct sevslot_ledger *l, sqlite3_stmt *st, int col, const char *what,
			 uint32_t *out)
{
	int64_t v = sqlite3_column_int64(st, col);

	if (sqlite3_column_type(st, col) != SQLITE_INTEGER || v < 0 || v > UINT32_MAX)
		return sv_ledger_corrupt(l, "%s is not a number of slots", what);
	*out = (uint32_t)v;
	return 0;
}

int sv_ledger_errno(sqlite3 *db, int rc)
{
	int sys;

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_PROTOCOL:  /* WAL: no stable read lock after SQLite's own retries */
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:  /* the file or its directory is not ours to write */
		return -EACCES;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_CORRUPT:
	case SQLITE_IOERR:
		return -EIO;
	case SQLITE_CANTOPEN:
		sys = db != NULL ? sqlite3_system_errno(db) : 0;
		/* ENOENT here is a -wal or -shm that could not be made: not an absent ledger. */
		return sys > 0 && sys != ENOENT ? -sys : -EIO;
	case SQLITE_CONSTRAINT:
		/* Our own checks run first: a constraint firing is a stray write or corruption. */
		return -EIO;
	}
	return -EPROTO;
}

int sv_ledger_sqlite_fail(struct sevslot_ledger *l, int rc, const char *what)
{
	int err = sv_ledger_errno(l->db, rc);
	const char *msg = l->db != NULL ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc);

	switch (err) {
	case -ENOSPC:
		return sv_ledger_fail(l, err, "ledger %s: %s: the file system is full (%s); free space, then retry",
				      l->path, what, msg);
	case -EROFS:
	case -EACCES:
		return sv_ledger_fail(l, err, "ledger %s: %s: %s; run as root or as a member of group '%s'",
				      l->path, what, msg, SV_LEDGER_GROUP);
	case -EBUSY:
		return sv_ledger_fail(l, err, "ledger %s is locked by another process (%s); retry later",
				      l->path, msg);
	}
	/*
	 * sevslot's own checks run before the schema's: a constraint firing
	 * means the file holds what sevslot never writes.
	 */
	if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_CONSTRAINT)
		return sv_ledger_corrupt(l, "%s: %s", what, msg);
	return sv_ledger_fail(l, err, "ledger %s: %s: %s", l->path, what, msg);
}

/*
 * Parsing a statement costs more than running it: each statement is
 * prepared once per handle.
 */
int sv_ledger_prepare(struct sevslot_ledger *l, const char *sql, sqlite3_stmt **out)
{
	int rc;

	*out = NULL;
	/* The same literal is the same pointer: look for that before comparing text. */
	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < l->n_stmts; i++) {
			if (pass == 0 ? l->stmts[i].sql == sql : strcmp(l->stmts[i].sql, sql) == 0) {
				sqlite3_reset(l->stmts[i].st);
				sqlite3_clear_bindings(l->stmts[i].st);
				*out = l->stmts[i].st;
				return 0;
			}
		}
	}
	if (l->n_stmts == SV_LEDGER_STMTS)
		return sv_ledger_fail(l, -EPROTO, "ledger %s: more than %d statements to keep",
				      l->path, SV_LEDGER_STMTS);
	rc = sqlite3_prepare_v3(l->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
	/* sevslot's own statements: one the schema cannot run means a damaged schema. */
	if ((rc & 0xff) == SQLITE_ERROR)
		return sv_ledger_corrupt(l, "its schema: %s", sqlite3_errmsg(l->db));
	if (rc != SQLITE_OK)
		return sv_ledger_sqlite_fail(l, rc, "prepare");
	l->stmts[l->n_stmts].sql = sql;
	l->stmts[l->n_stmts].st = *out;
	l->n_stmts++;
	return 0;
}

void sv_ledger_forget_statements(struct sevslot_ledger *l)
{
	for (unsigned i = 0; i < l->n_stmts; i++)
		sqlite3_finalize(l->stmts[i].st);
	l->n_stmts = 0;
}

/* Run a kept statement that returns no rows (BEGIN, COMMIT, ROLLBACK). */
static int exec_kept(struct sevslot_ledger *l, const char *sql)
{
	sqlite3_stmt *st;
	int rc;

	if (sv_ledger_prepare(l, sql, &st) < 0)
		return sqlite3_errcode(l->db) != SQLITE_OK ? sqlite3_errcode(l->db) : SQLITE_ERROR;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

int sv_ledger_step(struct sevslot_ledger *l, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return rc;
	return sv_ledger_sqlite_fail(l, rc, what);
}

void sv_ledger_now(char out[32])
{
	struct timespec ts;
	struct tm tm;

	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	n = gmtime_r(&ts.tv_sec, &tm) != NULL ? strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm) : 0;
	snprintf(out + n, 32 - n, ".%03uZ", (unsigned)(ts.tv_nsec / 1000000L) % 1000u);
}

int sv_journal(struct sevslot_ledger *l, const char *operation, const char *consumer,
	       int model, int pool, int64_t slot, const char *result, const char *detail)
{
	static const char sql[] =
		"INSERT INTO events (time, operation, consumer, model, pool, slot, uid, pid, "
		"result, detail) VALUES (?10, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
	sqlite3_stmt *st;
	char now[32];
	int err;

	if ((err = sv_ledger_prepare(l, sql, &st)) < 0)
		return err;
	sv_ledger_now(now);
	sqlite3_bind_text(st, 10, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 1, operation, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, consumer, -1, SQLITE_STATIC);
	if (model >= 0)
		sqlite3_bind_text(st, 3, sevslot_model_name((enum sevslot_model)model), -1,
				  SQLITE_STATIC);
	if (pool >= 0)
		sqlite3_bind_text(st, 4, sevslot_pool_name((enum sevslot_pool_id)pool), -1,
				  SQLITE_STATIC);
	if (slot >= 0)
		sqlite3_bind_int64(st, 5, slot);
	sqlite3_bind_int64(st, 6, (int64_t)getuid());
	sqlite3_bind_int64(st, 7, (int64_t)getpid());
	sqlite3_bind_text(st, 8, result, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, detail, -1, SQLITE_STATIC);
	err = sv_ledger_step(l, st, "journal");
	sqlite3_reset(st);
	return err < 0 ? err : 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* xorshift64*: jitter only, so that retrying writers do not march in step. 1..max. */
static uint32_t jitter(struct sevslot_ledger *l, uint32_t max)
{
	l->rng ^= l->rng >> 12;
	l->rng ^= l->rng << 25;
	l->rng ^= l->rng >> 27;
	return (uint32_t)((l->rng * 0x2545F4914F6CDD1DULL) >> 33) % max + 1;
}

static void sleep_ms(uint32_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void rollback(struct sevslot_ledger *l)
{
	if (!sqlite3_get_autocommit(l->db))
		exec_kept(l, "ROLLBACK");
}

/*
 * SQLite's own handler sleeps 1, 2, 5 ... then 100 ms at a time, and a
 * process that keeps writing wins the lock every time the sleeper is away.
 * Short jittered sleeps (0.1 to 1 ms, up to 5 ms after many tries) keep
 * waiters in the race, still bounded by the busy timeout.
 */
int sv_ledger_busy(void *arg, int count)
{
	struct sevslot_ledger *l = arg;
	uint64_t now = now_ms();
	uint32_t max_us;
	struct timespec ts;

	if (count == 0)
		l->busy_since_ms = now;
	if (now - l->busy_since_ms >= l->busy_timeout_ms)
		return 0;
	max_us = count < 200 ? 1000 : 5000;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(100 + jitter(l, max_us - 100)) * 1000L;
	nanosleep(&ts, NULL);
	return 1;
}

static int run(struct sevslot_ledger *l, const char *what, const char *begin, sv_txn_fn fn,
	       void *arg)
{
	uint64_t start = now_ms();
	int rc, err;

	for (unsigned attempt = 0;; attempt++) {
		l->errmsg[0] = '\0';
		rc = exec_kept(l, begin);
		if (rc == SQLITE_OK) {
			err = fn(l, arg);
			if (err == 0) {
				rc = exec_kept(l, "COMMIT");
				if (rc == SQLITE_OK)
					return 0;
				err = sv_ledger_sqlite_fail(l, rc, what);
			}
		} else {
			err = sv_ledger_sqlite_fail(l, rc, what);
		}
		rollback(l);
		if (err != -EBUSY)
			return err;
		uint64_t waited = now_ms() - start;
		if (attempt >= SV_LEDGER_MAX_RETRIES || waited >= l->busy_timeout_ms)
			return sv_ledger_fail(l, -EBUSY,
					      "ledger %s is still locked by another process after %llu ms "
					      "and %u retries; retry later (fuser %s shows who holds it)",
					      l->path, (unsigned long long)waited, attempt, l->path);
		uint32_t cap = 5u << (attempt < 5 ? attempt : 5);
		dbg(l->ctx, "ledger %s busy (%s), retry %u", l->path, what, attempt + 1);
		sleep_ms(jitter(l, cap > 100 ? 100 : cap));
	}
}

int sv_ledger_write(struct sevslot_ledger *l, const char *what, sv_txn_fn fn, void *arg)
{
	if (l->readonly)
		return sv_ledger_fail(l, -EROFS, "ledger %s: %s: opened read-only", l->path, what);
	return run(l, what, "BEGIN IMMEDIATE", fn, arg);
}

int sv_ledger_read(struct sevslot_ledger *l, const char *what, sv_txn_fn fn, void *arg)
{
	return run(l, what, "BEGIN", fn, arg);
}
