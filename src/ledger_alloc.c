/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocate, release, look up and iterate: each write one transaction that
 * also journals what was asked and what came of it, refusals included.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_int.h"

SEVSLOT_EXPORT bool sevslot_consumer_is_valid(const char *consumer)
{
	size_t n = 0;

	if (consumer == NULL)
		return false;
	for (; consumer[n] != '\0'; n++)
		if (consumer[n] <= ' ' || consumer[n] > '~' || n >= 255)
			return false;
	return n > 0;
}

static int check_consumer(struct sevslot_ledger *l, const char *consumer)
{
	if (sevslot_consumer_is_valid(consumer))
		return 0;
	return sv_ledger_fail(l, -EINVAL, "consumer id must be 1 to 255 bytes of printable ASCII "
			      "without spaces");
}

/* Printable ASCII that fits `len`, or NULL allowed as "" when `may_be_null`. */
static bool copy_text(char *dst, size_t len, sqlite3_stmt *st, int col, bool may_be_null)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t n = 0;

	dst[0] = '\0';
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return may_be_null;
	if (sqlite3_column_type(st, col) != SQLITE_TEXT || t == NULL)
		return false;
	for (; t[n] != '\0'; n++)
		if (n + 1 >= len || t[n] < 0x20 || t[n] >= 0x7f)
			return false;
	memcpy(dst, t, n + 1);
	return true;
}

int sv_allocation_from_row(struct sevslot_ledger *l, sqlite3_stmt *st, int first,
			   struct sevslot_allocation *out)
{
	char model[16];
	int err;

	memset(out, 0, sizeof(*out));
	if (!copy_text(out->consumer, sizeof(out->consumer), st, first, false) ||
	    !sevslot_consumer_is_valid(out->consumer))
		return sv_ledger_corrupt(l, "a consumer id that is not one");
	if (!copy_text(model, sizeof(model), st, first + 1, false) ||
	    sevslot_model_from_name(model, &out->model) < 0)
		return sv_ledger_corrupt(l, "consumer '%s': no such model", out->consumer);
	if ((err = sv_ledger_pool_column(l, st, first + 2, &out->pool)) < 0 ||
	    (err = sv_ledger_u32_column(l, st, first + 3, "a slot", &out->slot)) < 0)
		return err;
	if (!copy_text(out->allocated_at, sizeof(out->allocated_at), st, first + 4, false) ||
	    !copy_text(out->boot_id, sizeof(out->boot_id), st, first + 5, true))
		return sv_ledger_corrupt(l, "consumer '%s': a time or boot id that is not text",
					 out->consumer);
	return 0;
}

#define ROW_COLUMNS "consumer, model, pool, slot, allocated_at, boot_id"

/* The consumer's row: 1 found, 0 none, or a negative errno. */
static int find(struct sevslot_ledger *l, const char *consumer, struct sevslot_allocation *out)
{
	sqlite3_stmt *st;
	int err;

	if ((err = sv_ledger_prepare(l, "SELECT " ROW_COLUMNS " FROM slots WHERE consumer = ?1",
				     &st)) < 0)
		return err;
	sqlite3_bind_text(st, 1, consumer, -1, SQLITE_STATIC);
	err = sv_ledger_step(l, st, "look up");
	if (err == SQLITE_ROW)
		err = (err = sv_allocation_from_row(l, st, 0, out)) < 0 ? err : 1;
	else if (err == SQLITE_DONE)
		err = 0;
	sqlite3_reset(st);
	return err;
}

static int64_t query_int(struct sevslot_ledger *l, const char *sql, const char *pool, int *err)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if ((*err = sv_ledger_prepare(l, sql, &st)) < 0)
		return -1;
	sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
	*err = sv_ledger_step(l, st, "count slots");
	if (*err == SQLITE_ROW) {
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
		*err = 0;
	} else if (*err == SQLITE_DONE) {
		*err = 0;
	}
	sqlite3_reset(st);
	return v;
}

/*
 * A note for the journal's detail column: at most 255 bytes of UTF-8 without
 * control characters, so that an operator's terminal shows what was written.
 */
static int check_note(struct sevslot_ledger *l, const char *note)
{
	const unsigned char *p = (const unsigned char *)note;
	size_t n = note != NULL ? strlen(note) : 0;

	if (note == NULL)
		return 0;
	if (n == 0 || n > 255)
		return sv_ledger_fail(l, -EINVAL, "a journal note must be 1 to 255 bytes");
	while (*p != '\0') {
		size_t len = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
			     (*p & 0xf8) == 0xf0 ? 4 : 0;

		if (len == 0 || *p < 0x20 || *p == 0x7f || (len == 2 && *p < 0xc2) ||
		    (len == 4 && *p > 0xf4))
			return sv_ledger_fail(l, -EINVAL, "a journal note must be UTF-8 without "
					      "control characters");
		for (size_t i = 1; i < len; i++)
			if ((p[i] & 0xc0) != 0x80)
				return sv_ledger_fail(l, -EINVAL, "a journal note must be UTF-8 "
						      "without control characters");
		p += len;
	}
	return 0;
}

/* The journal's detail: the caller's note, and what sevslot has to say, or either. */
static int journal_with(struct sevslot_ledger *l, const char *operation, const char *consumer,
			int model, int pool, int64_t slot, const char *result, const char *note,
			const char *detail)
{
	char both[700];

	if (note != NULL && detail != NULL) {
		snprintf(both, sizeof(both), "%s; %s", note, detail);
		detail = both;
	} else if (note != NULL) {
		detail = note;
	}
	return sv_journal(l, operation, consumer, model, pool, slot, result, detail);
}

struct alloc_op {
	const char *consumer;
	const char *note;
	enum sevslot_model model;
	struct sevslot_allocation a;
	bool created;
	int refusal;                 /* committed, journaled, then returned */
	char why[400];
};

/*
 * What allocating in a pool starts from, in one statement of index seeks:
 * its capacity, the lowest slot free_slots lists (-1: none), and whether any
 * slot at or above the capacity is held (the capacity shrank under them).
 */
static int pick(struct sevslot_ledger *l, const char *pool, int64_t *cap, int64_t *lowest,
		bool *over)
{
	sqlite3_stmt *st;
	int err;

	*cap = 0;
	*lowest = -1;
	*over = false;
	if ((err = sv_ledger_prepare(l, "SELECT p.capacity, "
				     "(SELECT f.slot FROM free_slots AS f WHERE f.pool = p.pool "
				     "ORDER BY f.slot LIMIT 1), "
				     "EXISTS (SELECT 1 FROM slots AS s WHERE s.pool = p.pool "
				     "AND s.slot >= p.capacity) "
				     "FROM pools AS p WHERE p.pool = ?1", &st)) < 0)
		return err;
	sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
	err = sv_ledger_step(l, st, "find a free slot");
	if (err == SQLITE_ROW) {
		*cap = sqlite3_column_int64(st, 0);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			*lowest = sqlite3_column_int64(st, 1);
		*over = sqlite3_column_int(st, 2) != 0;
	}
	sqlite3_reset(st);
	return err < 0 ? err : 0;
}

/*
 * free_slots is derived from pools and slots, and the schema's triggers keep
 * it so; only a stray write to free_slots itself can make it wrong. Derive
 * the pool's free slots afresh, inside the caller's transaction.
 */
static int rebuild_free_slots(struct sevslot_ledger *l, const char *pool)
{
	static const char *const sql[] = {
		"DELETE FROM free_slots WHERE pool = ?1",
		"INSERT INTO free_slots (pool, slot) "
		"WITH RECURSIVE n (slot) AS ("
		" SELECT 0 UNION ALL SELECT slot + 1 FROM n "
		" WHERE slot + 1 < (SELECT capacity FROM pools WHERE pool = ?1)) "
		"SELECT ?1, n.slot FROM n "
		"WHERE n.slot < (SELECT capacity FROM pools WHERE pool = ?1) "
		"AND NOT EXISTS (SELECT 1 FROM slots AS s WHERE s.pool = ?1 AND s.slot = n.slot)",
	};
	sqlite3_stmt *st;
	int err;

	for (size_t i = 0; i < ARRAY_SIZE(sql); i++) {
		if ((err = sv_ledger_prepare(l, sql[i], &st)) < 0)
			return err;
		sqlite3_bind_text(st, 1, pool, -1, SQLITE_STATIC);
		err = sv_ledger_step(l, st, "rebuild free_slots");
		sqlite3_reset(st);
		if (err < 0)
			return err;
	}
	sv_log(l->ctx, SEVSLOT_LOG_WARNING, "ledger %s: free_slots of pool %s did not match "
	       "pools and slots (a stray write?); rebuilt", l->path, pool);
	return 0;
}

/*
 * The consumer's row in slot `slot` of `pool`: 0, a negative errno, or 1 when
 * the schema refused it (SQLite's message in `why`). sevslot checked every
 * constraint first, so a refusal means free_slots offered a wrong slot.
 */
static int insert(struct sevslot_ledger *l, struct alloc_op *op, const char *pool, int64_t slot,
		  char *why, size_t why_len)
{
	sqlite3_stmt *st;
	int rc, err;

	/* No RETURNING: SQLite runs it through a temporary trigger. */
	memset(&op->a, 0, sizeof(op->a));
	sv_ledger_now(op->a.allocated_at);
	if ((err = sv_ledger_prepare(l, "INSERT INTO slots (" ROW_COLUMNS ") "
				     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &st)) < 0)
		return err;
	sqlite3_bind_text(st, 1, op->consumer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sevslot_model_name(op->model), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, pool, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, slot);
	sqlite3_bind_text(st, 5, op->a.allocated_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, l->host->kernel.boot_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		err = 0;
	} else if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		snprintf(why, why_len, "%s", sqlite3_errmsg(l->db));
		err = 1;
	} else {
		err = sv_ledger_sqlite_fail(l, rc, "allocate");
	}
	sqlite3_reset(st);
	return err;
}

static int refuse(struct sevslot_ledger *l, struct alloc_op *op, int err, int pool,
		  const char *result)
{
	op->refusal = err;
	return journal_with(l, "allocate", op->consumer, (int)op->model, pool, -1, result, op->note,
			    op->why);
}

static int allocate_txn(struct sevslot_ledger *l, void *arg)
{
	struct alloc_op *op = arg;
	const char *model = sevslot_model_name(op->model);
	enum sevslot_pool_id pool;
	const char *pname;
	const char *detail = NULL;
	int64_t cap, count = 0, slot;
	int err;

	op->refusal = 0;
	op->created = false;
	if ((err = find(l, op->consumer, &op->a)) < 0)
		return err;
	if (err == 1 && op->a.model == op->model)
		return journal_with(l, "allocate", op->consumer, (int)op->model, (int)op->a.pool,
				    op->a.slot, "existing", op->note, NULL);
	if (err == 1) {
		snprintf(op->why, sizeof(op->why), "consumer '%s' holds slot %u of pool %s for %s; "
			 "release it before allocating %s", op->consumer, op->a.slot,
			 sevslot_pool_name(op->a.pool), sevslot_model_name(op->a.model), model);
		return refuse(l, op, -EEXIST, (int)op->a.pool, "conflict");
	}

	pool = l->host->models[op->model].pool;
	pname = sevslot_pool_name(pool);
	if (!l->host->models[op->model].usable) {
		snprintf(op->why, sizeof(op->why), "this host cannot run %s guests; "
			 "'sevslot probe' says why", model);
		return refuse(l, op, -ENODEV, (int)pool, "unavailable");
	}
	/*
	 * The lowest free slot is the first in free_slots. If free_slots turns
	 * out wrong (it lists nothing while the pool has room, or a slot the
	 * insert refuses), it is rebuilt for the pool and the slot picked again,
	 * once: a stray write to it must not wedge the ledger.
	 */
	for (bool rebuilt = false;; rebuilt = true) {
		bool over;

		if ((err = pick(l, pname, &cap, &slot, &over)) < 0)
			return err;
		if (slot < 0 || slot >= cap || over) {
			/* The refusal path: only here is the pool counted. */
			count = query_int(l, "SELECT count(*) FROM slots WHERE pool = ?1", pname, &err);
			if (err < 0)
				return err;
			if (count >= cap) {
				snprintf(op->why, sizeof(op->why),
					 "pool %s is full: %lld of %lld slots allocated%s", pname,
					 (long long)count, (long long)cap, count > cap ?
					 " (capacity shrank; refusing until back under)" : "");
				return refuse(l, op, -EAGAIN, (int)pool, "full");
			}
		}
		if (slot >= 0 && slot < cap) {
			char refused[200];

			if ((err = insert(l, op, pname, slot, refused, sizeof(refused))) <= 0) {
				if (err < 0)
					return err;
				break;
			}
			/* Refused even after free_slots was rebuilt: the file disagrees with itself. */
			if (rebuilt)
				return sv_ledger_corrupt(l, "allocate slot %lld of pool %s: %s",
							 (long long)slot, pname, refused);
		} else if (rebuilt) {
			return sv_ledger_corrupt(l, "pool %s has %lld of %lld slots allocated but "
						 "no free one", pname, (long long)count,
						 (long long)cap);
		}
		if ((err = rebuild_free_slots(l, pname)) < 0)
			return err;
		detail = "free_slots did not match the pool's slots: rebuilt";
	}
	snprintf(op->a.consumer, sizeof(op->a.consumer), "%s", op->consumer);
	op->a.model = op->model;
	op->a.pool = pool;
	op->a.slot = (uint32_t)slot;
	snprintf(op->a.boot_id, sizeof(op->a.boot_id), "%s", l->host->kernel.boot_id);
	op->created = true;
	return journal_with(l, "allocate", op->consumer, (int)op->model, (int)pool, slot, "created",
			    op->note, detail);
}

SEVSLOT_EXPORT int sevslot_ledger_allocate_noted(struct sevslot_ledger *ledger,
						 const char *consumer, enum sevslot_model model,
						 const char *note, struct sevslot_allocation *out,
						 bool *created)
{
	struct alloc_op op = { .consumer = consumer, .model = model, .note = note };
	int err;

	ledger->errmsg[0] = '\0';
	if ((err = check_consumer(ledger, consumer)) < 0 || (err = check_note(ledger, note)) < 0)
		return err;
	if ((unsigned)model >= SEVSLOT_MODEL_COUNT)
		return sv_ledger_fail(ledger, -EINVAL, "unknown model %d", (int)model);
	if (ledger->readonly)
		return sv_ledger_fail(ledger, -EROFS, "ledger %s: opened read-only", ledger->path);
	err = sv_ledger_write(ledger, "allocate", allocate_txn, &op);
	if (err < 0)
		return err;
	if (op.refusal < 0)
		return sv_ledger_fail(ledger, op.refusal, "%s", op.why);
	if (out != NULL)
		*out = op.a;
	if (created != NULL)
		*created = op.created;
	return 0;
}

SEVSLOT_EXPORT int sevslot_ledger_allocate(struct sevslot_ledger *ledger, const char *consumer,
					   enum sevslot_model model,
					   struct sevslot_allocation *out, bool *created)
{
	return sevslot_ledger_allocate_noted(ledger, consumer, model, NULL, out, created);
}

struct release_op {
	const char *consumer;
	const char *note;
	bool released;
};

static int release_txn(struct sevslot_ledger *l, void *arg)
{
	struct release_op *op = arg;
	sqlite3_stmt *st;
	struct sevslot_allocation a;
	int err;

	op->released = false;
	if ((err = find(l, op->consumer, &a)) < 0)
		return err;
	if (err == 0)
		return journal_with(l, "release", op->consumer, -1, -1, -1, "absent", op->note, NULL);
	if ((err = sv_ledger_prepare(l, "DELETE FROM slots WHERE consumer = ?1", &st)) < 0)
		return err;
	sqlite3_bind_text(st, 1, op->consumer, -1, SQLITE_STATIC);
	err = sv_ledger_step(l, st, "release");
	sqlite3_reset(st);
	if (err < 0)
		return err;
	op->released = sqlite3_changes(l->db) == 1;
	return journal_with(l, "release", op->consumer, (int)a.model, (int)a.pool, a.slot,
			    "released", op->note, NULL);
}

SEVSLOT_EXPORT int sevslot_ledger_release_noted(struct sevslot_ledger *ledger,
						const char *consumer, const char *note,
						bool *released)
{
	struct release_op op = { .consumer = consumer, .note = note };
	int err;

	ledger->errmsg[0] = '\0';
	if ((err = check_consumer(ledger, consumer)) < 0 || (err = check_note(ledger, note)) < 0)
		return err;
	err = sv_ledger_write(ledger, "release", release_txn, &op);
	if (err < 0)
		return err;
	if (released != NULL)
		*released = op.released;
	return 0;
}

SEVSLOT_EXPORT int sevslot_ledger_release(struct sevslot_ledger *ledger, const char *consumer,
					  bool *released)
{
	return sevslot_ledger_release_noted(ledger, consumer, NULL, released);
}

struct lookup_op {
	const char *consumer;
	struct sevslot_allocation *out;
	bool found;
};

static int lookup_txn(struct sevslot_ledger *l, void *arg)
{
	struct lookup_op *op = arg;
	int err = find(l, op->consumer, op->out);

	op->found = err == 1;
	return err < 0 ? err : 0;
}

SEVSLOT_EXPORT int sevslot_ledger_lookup(struct sevslot_ledger *ledger, const char *consumer,
					 struct sevslot_allocation *out)
{
	struct sevslot_allocation a;
	struct lookup_op op = { .consumer = consumer, .out = out != NULL ? out : &a };
	int err;

	ledger->errmsg[0] = '\0';
	if ((err = check_consumer(ledger, consumer)) < 0)
		return err;
	if ((err = sv_ledger_read(ledger, "look up", lookup_txn, &op)) < 0)
		return err;
	if (!op.found)
		return sv_ledger_fail(ledger, -ENOENT, "consumer '%s' holds no slot", consumer);
	return 0;
}

struct foreach_op {
	sevslot_allocation_fn fn;
	void *data;
	int stopped;
};

static int foreach_txn(struct sevslot_ledger *l, void *arg)
{
	struct foreach_op *op = arg;
	struct sevslot_allocation a;
	sqlite3_stmt *st;
	int err;

	op->stopped = 0;
	if ((err = sv_ledger_prepare(l, "SELECT " ROW_COLUMNS " FROM slots ORDER BY pool, slot",
				     &st)) < 0)
		return err;
	while ((err = sv_ledger_step(l, st, "list")) == SQLITE_ROW) {
		if ((err = sv_allocation_from_row(l, st, 0, &a)) < 0)
			break;
		if ((op->stopped = op->fn(&a, op->data)) != 0)
			break;
	}
	sqlite3_reset(st);
	return err < 0 ? err : 0;
}

SEVSLOT_EXPORT int sevslot_ledger_foreach(struct sevslot_ledger *ledger, sevslot_allocation_fn fn,
					  void *data)
{
	struct foreach_op op = { .fn = fn, .data = data };
	int err;

	ledger->errmsg[0] = '\0';
	if ((err = sv_ledger_read(ledger, "list", foreach_txn, &op)) < 0)
		return err;
	return op.stopped;
}

/* Each pool's row of the pool_usage view, inside the caller's transaction. */
int sv_ledger_usage_txn(struct sevslot_ledger *l, void *arg)
{
	struct sevslot_pool_usage *out = arg;
	enum sevslot_pool_id pool;
	sqlite3_stmt *st;
	int err;

	memset(out, 0, sizeof(*out) * SEVSLOT_POOL_COUNT);
	if ((err = sv_ledger_prepare(l, "SELECT pool, capacity, allocated, free FROM pool_usage",
				     &st)) < 0)
		return err;
	while ((err = sv_ledger_step(l, st, "read pool usage")) == SQLITE_ROW) {
		if ((err = sv_ledger_pool_column(l, st, 0, &pool)) < 0 ||
		    (err = sv_ledger_u32_column(l, st, 1, "a capacity", &out[pool].capacity)) < 0 ||
		    (err = sv_ledger_u32_column(l, st, 2, "a count", &out[pool].allocated)) < 0 ||
		    (err = sv_ledger_u32_column(l, st, 3, "a count", &out[pool].free)) < 0)
			break;
	}
	sqlite3_reset(st);
	return err < 0 ? err : 0;
}

SEVSLOT_EXPORT int sevslot_ledger_usage(struct sevslot_ledger *ledger,
					struct sevslot_pool_usage out[SEVSLOT_POOL_COUNT])
{
	ledger->errmsg[0] = '\0';
	return sv_ledger_read(ledger, "read pool usage", sv_ledger_usage_txn, out);
}
