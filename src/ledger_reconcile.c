/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reconcile: release, in one transaction, every allocation whose consumer the
 * scheduler no longer has (its list of live consumer ids), journaling each.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_int.h"

struct reconcile_op {
	const char **live;           /* sorted copy of the caller's ids */
	size_t n_live;
	bool dry_run;
	struct sevslot_allocation *gone;
	size_t n_gone, cap_gone;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_live(const struct reconcile_op *op, const char *consumer)
{
	return bsearch(&consumer, op->live, op->n_live, sizeof(*op->live), cmp_str) != NULL;
}

static int collect(struct sevslot_ledger *l, struct reconcile_op *op)
{
	struct sevslot_allocation a;
	sqlite3_stmt *st;
	int err;

	op->n_gone = 0;
	if ((err = sv_ledger_prepare(l, "SELECT consumer, model, pool, slot, allocated_at, boot_id "
				     "FROM slots ORDER BY pool, slot", &st)) < 0)
		return err;
	while ((err = sv_ledger_step(l, st, "reconcile")) == SQLITE_ROW) {
		if ((err = sv_allocation_from_row(l, st, 0, &a)) < 0)
			break;
		if (is_live(op, a.consumer))
			continue;
		if (op->n_gone == op->cap_gone) {
			size_t cap = op->cap_gone ? op->cap_gone * 2 : 16;
			struct sevslot_allocation *g = realloc(op->gone, cap * sizeof(*g));

			if (g == NULL) {
				err = -ENOMEM;
				break;
			}
			op->gone = g;
			op->cap_gone = cap;
		}
		op->gone[op->n_gone++] = a;
	}
	sqlite3_reset(st);
	return err < 0 ? err : 0;
}

static int reconcile_txn(struct sevslot_ledger *l, void *arg)
{
	struct reconcile_op *op = arg;
	sqlite3_stmt *st;
	int err;

	if ((err = collect(l, op)) < 0 || op->dry_run || op->n_gone == 0)
		return err;
	if ((err = sv_ledger_prepare(l, "DELETE FROM slots WHERE consumer = ?1", &st)) < 0)
		return err;
	for (size_t i = 0; i < op->n_gone && err >= 0; i++) {
		const struct sevslot_allocation *a = &op->gone[i];

		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, a->consumer, -1, SQLITE_STATIC);
		if ((err = sv_ledger_step(l, st, "reconcile")) >= 0)
			err = sv_journal(l, "reconcile", a->consumer, (int)a->model, (int)a->pool,
					 a->slot, "released", "not among the live consumers");
	}
	sqlite3_reset(st);
	return err < 0 ? err : 0;
}

SEVSLOT_EXPORT int sevslot_ledger_reconcile(struct sevslot_ledger *ledger,
					    const char *const *live, size_t n_live,
					    unsigned flags, sevslot_allocation_fn fn, void *data)
{
	struct reconcile_op op = { .n_live = n_live, .dry_run = flags & SEVSLOT_RECONCILE_DRY_RUN };
	int err;

	ledger->errmsg[0] = '\0';
	for (size_t i = 0; i < n_live; i++)
		if (!sevslot_consumer_is_valid(live[i]))
			return sv_ledger_fail(ledger, -EINVAL, "live consumer #%zu is not a valid "
					      "consumer id (1 to 255 bytes of printable ASCII "
					      "without spaces)", i + 1);
	op.live = malloc((n_live ? n_live : 1) * sizeof(*op.live));
	if (op.live == NULL)
		return -ENOMEM;
	if (n_live > 0)
		memcpy(op.live, live, n_live * sizeof(*op.live));
	qsort(op.live, n_live, sizeof(*op.live), cmp_str);
	err = op.dry_run ? sv_ledger_read(ledger, "reconcile", reconcile_txn, &op) :
			   sv_ledger_write(ledger, "reconcile", reconcile_txn, &op);
	/* Reported only once committed: what fn sees has happened. */
	for (size_t i = 0; err == 0 && fn != NULL && i < op.n_gone; i++)
		if (fn(&op.gone[i], data) != 0)
			break;
	free(op.gone);
	free(op.live);
	return err;
}
