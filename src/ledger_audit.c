/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Audit: the ledger against what the kernel and the firmware count. Each
 * comparison the host can give is made; one it cannot (no misc.current
 * before Linux 6.5, no /dev/sev) is reported as unknown, not as drift.
 *
 *   misc.current sev       vs allocations in pool sev
 *   misc.current sev_es    vs allocations in pools sev_es and sev_snp
 *                          (the kernel charges SNP guests to sev_es)
 *   firmware guest_count   vs amd-sev and amd-sev-es allocations
 *   SNP guest_count        vs amd-sev-snp allocations
 * plus allocations from an earlier boot (their guests cannot still run),
 * pools holding more than their capacity, and capacities written outside
 * sevslot (a pools row whose seal does not match, found now or restored by
 * this handle's open; or a pool still over a capacity the journal says was
 * restored from such a write).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_int.h"

struct audit_op {
	struct sevslot_audit *audit;
	const struct sevslot_host *host;
	int64_t per_model[SEVSLOT_MODEL_COUNT];
	int64_t max_slot[SEVSLOT_POOL_COUNT];
	int64_t stray_capacity[SEVSLOT_POOL_COUNT]; /* pools row written outside sevslot, -1 none */
	char edited_at[SEVSLOT_POOL_COUNT][32];     /* the journal's last capacity line for an
						       over pool says 'edited': when */
	size_t cap_findings;
};

static struct sevslot_finding *add(struct audit_op *op, enum sevslot_finding_kind kind,
				   const char *source, int pool, int64_t ledger, int64_t host)
{
	struct sevslot_audit *a = op->audit;
	struct sevslot_finding *f;

	if (a->n_findings == op->cap_findings) {
		size_t cap = op->cap_findings ? op->cap_findings * 2 : 8;

		f = realloc(a->findings, cap * sizeof(*f));
		if (f == NULL)
			return NULL;
		a->findings = f;
		op->cap_findings = cap;
	}
	f = &a->findings[a->n_findings++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->source = source;
	f->pool = pool;
	f->ledger = ledger;
	f->host = host;
	return f;
}

static int read_slots(struct sevslot_ledger *l, struct audit_op *op)
{
	const char *boot = op->host->kernel.boot_id;
	struct sevslot_allocation a;
	struct sevslot_finding *f;
	sqlite3_stmt *st;
	int err;

	if ((err = sv_ledger_prepare(l, "SELECT consumer, model, pool, slot, allocated_at, boot_id "
				     "FROM slots ORDER BY pool, slot", &st)) < 0)
		return err;
	while ((err = sv_ledger_step(l, st, "audit")) == SQLITE_ROW) {
		if ((err = sv_allocation_from_row(l, st, 0, &a)) < 0)
			break;
		op->per_model[a.model]++;
		if ((int64_t)a.slot > op->max_slot[a.pool])
			op->max_slot[a.pool] = a.slot;
		if (boot[0] == '\0' || a.boot_id[0] == '\0' || strcmp(boot, a.boot_id) == 0)
			continue;
		f = add(op, SEVSLOT_FINDING_STALE_BOOT, "boot_id", (int)a.pool, 1, 0);
		if (f == NULL) {
			err = -ENOMEM;
			break;
		}
		snprintf(f->consumer, sizeof(f->consumer), "%s", a.consumer);
		snprintf(f->message, sizeof(f->message),
			 "consumer '%.100s' holds slot %u of pool %s since %.31s, in an earlier boot (%.39s); "
			 "its guest cannot still run: release it, or run 'sevslot reconcile'",
			 a.consumer, a.slot, sevslot_pool_name(a.pool), a.allocated_at, a.boot_id);
	}
	sqlite3_reset(st);
	return err < 0 ? err : 0;
}

/* Pools rows whose seal does not match: written outside sevslot, not yet restored. */
static int read_seals(struct sevslot_ledger *l, struct audit_op *op)
{
	enum sevslot_pool_id pool;
	sqlite3_stmt *st;
	int err;

	if ((err = sv_ledger_prepare(l, "SELECT pool, capacity, probed, seal FROM pools", &st)) < 0)
		return err;
	while ((err = sv_ledger_step(l, st, "audit")) == SQLITE_ROW) {
		uint32_t cap, probed;

		if ((err = sv_ledger_pool_column(l, st, 0, &pool)) < 0 ||
		    (err = sv_ledger_u32_column(l, st, 1, "a pool's capacity", &cap)) < 0 ||
		    (err = sv_ledger_u32_column(l, st, 2, "a pool's host count", &probed)) < 0)
			break;
		if (sqlite3_column_type(st, 3) != SQLITE_INTEGER ||
		    (sqlite3_column_int64(st, 3) != 0 &&
		     sqlite3_column_int64(st, 3) != sv_pool_seal(sevslot_pool_name(pool), cap, probed)))
			op->stray_capacity[pool] = cap;
	}
	sqlite3_reset(st);
	return err < 0 ? err : 0;
}

/*
 * For a pool over its capacity: was the capacity the journal last recorded
 * for it a restored stray write? Then the allocations beyond it came in
 * through that write, not through a host that shrank. Capacity lines are
 * rare; the scan walks the journal backwards to the pool's last one.
 */
static int read_last_capacity_line(struct sevslot_ledger *l, struct audit_op *op, unsigned p)
{
	sqlite3_stmt *st;
	int err;

	if ((err = sv_ledger_prepare(l, "SELECT result, time FROM events WHERE operation = "
				     "'capacity' AND pool = ?1 ORDER BY id DESC LIMIT 1", &st)) < 0)
		return err;
	sqlite3_bind_text(st, 1, sevslot_pool_name(p), -1, SQLITE_STATIC);
	err = sv_ledger_step(l, st, "audit");
	if (err == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "edited") == 0) {
		const unsigned char *t = sqlite3_column_text(st, 1);
		size_t n = 0;

		/* A time as sevslot writes it, or none: the journal is read, not trusted. */
		while (t != NULL && t[n] >= 0x20 && t[n] < 0x7f && n < sizeof(op->edited_at[p]) - 1)
			n++;
		snprintf(op->edited_at[p], sizeof(op->edited_at[p]), "%.*s",
			 t != NULL && t[n] == '\0' && n > 0 ? (int)n : 14,
			 t != NULL && t[n] == '\0' && n > 0 ? (const char *)t : "an unknown time");
	}
	sqlite3_reset(st);
	return err < 0 ? err : 0;
}

static bool is_over(const struct audit_op *op, unsigned p)
{
	int64_t cap = op->audit->host_capacity[p];

	return (int64_t)op->audit->pools[p].allocated > cap || op->max_slot[p] >= cap;
}

static int audit_txn(struct sevslot_ledger *l, void *arg)
{
	struct audit_op *op = arg;
	int err;

	/* A retried snapshot starts over. */
	op->audit->n_findings = 0;
	memset(op->per_model, 0, sizeof(op->per_model));
	memset(op->edited_at, 0, sizeof(op->edited_at));
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++) {
		op->max_slot[p] = -1;
		op->stray_capacity[p] = -1;
	}
	if ((err = sv_ledger_usage_txn(l, op->audit->pools)) < 0 ||
	    (err = read_slots(l, op)) < 0 || (err = read_seals(l, op)) < 0)
		return err;
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++)
		if (is_over(op, p) && (err = read_last_capacity_line(l, op, p)) < 0)
			return err;
	return 0;
}

static const char *direction(int64_t ledger, int64_t host)
{
	return ledger > host ? "the ledger holds slots no guest uses: release them or run "
			       "'sevslot reconcile'" :
			       "guests run that the ledger does not know: they were started "
			       "without 'sevslot allocate'";
}

/* One comparison; a count the host cannot give (-1) is listed, never drift. */
static int compare(struct audit_op *op, const char *source, int pool, const char *what,
		   int64_t ledger, int64_t host)
{
	struct sevslot_audit *a = op->audit;
	struct sevslot_finding *f;

	if (a->n_counts < ARRAY_SIZE(a->counts))
		a->counts[a->n_counts++] = (struct sevslot_audit_count){
			.source = source, .pool = pool, .ledger = ledger, .host = host
		};
	if (host < 0 || host == ledger)
		return 0;
	f = add(op, ledger > host ? SEVSLOT_FINDING_LEDGER_AHEAD : SEVSLOT_FINDING_HOST_AHEAD,
		source, pool, ledger, host);
	if (f == NULL)
		return -ENOMEM;
	snprintf(f->message, sizeof(f->message), "%s: the ledger holds %lld, the host counts %lld; %s",
		 what, (long long)ledger, (long long)host, direction(ledger, host));
	return 0;
}

/*
 * A capacity written outside sevslot: still in the table (a read-only
 * handle), restored by this handle's open, or restored earlier by another
 * call while allocations it let in are still over the real capacity.
 */
static int capacity_edited(struct audit_op *op, const struct sevslot_ledger *l, unsigned p)
{
	struct sevslot_audit *a = op->audit;
	int64_t cap = a->host_capacity[p], n = a->pools[p].allocated;
	int64_t found = l->edited[p] >= 0 ? l->edited[p] : op->stray_capacity[p];
	const char *name = sevslot_pool_name(p);
	struct sevslot_finding *f;
	char what[160], harm[160];

	f = add(op, SEVSLOT_FINDING_CAPACITY_EDITED, "capacity", (int)p, found, cap);
	if (f == NULL)
		return -ENOMEM;
	if (op->stray_capacity[p] >= 0 && l->edited[p] < 0)
		snprintf(what, sizeof(what), "the ledger gives it %lld slots, written outside sevslot; "
			 "the next sevslot call that may write restores the host's %lld",
			 (long long)found, (long long)cap);
	else if (found >= 0)
		snprintf(what, sizeof(what), "its capacity was written outside sevslot (%lld slots); "
			 "restored to the host's %lld", (long long)found, (long long)cap);
	else
		snprintf(what, sizeof(what), "its capacity was written outside sevslot and restored "
			 "to the host's %lld at %.31s", (long long)cap, op->edited_at[p]);
	if (!is_over(op, p))
		harm[0] = '\0';
	else if (n > cap)
		snprintf(harm, sizeof(harm), "; it let in %lld allocations beyond them: new "
			 "allocations are refused until %lld are released", (long long)(n - cap),
			 (long long)(n - cap));
	else
		snprintf(harm, sizeof(harm), "; slot %lld is held beyond them: release it",
			 (long long)op->max_slot[p]);
	snprintf(f->message, sizeof(f->message), "pool %s: %s%s (see the journal's 'capacity' "
		 "lines)", name, what, harm);
	return 0;
}

static int over_capacity(struct audit_op *op, const struct sevslot_ledger *l)
{
	struct sevslot_audit *a = op->audit;

	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++) {
		int64_t cap = a->host_capacity[p], n = a->pools[p].allocated;
		struct sevslot_finding *f;
		int err;

		if (l->edited[p] >= 0 || op->stray_capacity[p] >= 0 ||
		    (is_over(op, p) && op->edited_at[p][0] != '\0')) {
			if ((err = capacity_edited(op, l, p)) < 0)
				return err;
			continue;
		}
		if (!is_over(op, p))
			continue;
		f = add(op, SEVSLOT_FINDING_OVER_CAPACITY, "capacity", (int)p, n, cap);
		if (f == NULL)
			return -ENOMEM;
		if (n > cap)
			snprintf(f->message, sizeof(f->message),
				 "pool %s holds %lld allocations but this host now gives it %lld "
				 "slots: new allocations are refused until %lld are released",
				 sevslot_pool_name(p), (long long)n, (long long)cap,
				 (long long)(n - cap));
		else
			snprintf(f->message, sizeof(f->message),
				 "pool %s has slot %lld allocated but this host now gives it %lld "
				 "slots (0..%lld)", sevslot_pool_name(p), (long long)op->max_slot[p],
				 (long long)cap, (long long)cap - 1);
	}
	return 0;
}

static int compare_host(struct audit_op *op, const struct sevslot_ledger *l)
{
	const struct sevslot_host *h = op->host;
	const struct sevslot_kernel *k = &h->kernel;
	const struct sevslot_pool_usage *u = op->audit->pools;
	int64_t es = (int64_t)u[SEVSLOT_POOL_SEV_ES].allocated + u[SEVSLOT_POOL_SEV_SNP].allocated;
	int err;

	if ((err = compare(op, "misc.current", SEVSLOT_POOL_SEV, "ASIDs in use in pool sev "
			   "(misc.current)", u[SEVSLOT_POOL_SEV].allocated,
			   k->misc_current_read ? k->misc_current[SEVSLOT_POOL_SEV] : -1)) < 0 ||
	    (err = compare(op, "misc.current", SEVSLOT_POOL_SEV_ES, "ASIDs in use in pools sev_es "
			   "and sev_snp (misc.current sev_es)", es,
			   k->misc_current_read ? k->misc_current[SEVSLOT_POOL_SEV_ES] : -1)) < 0 ||
	    (err = compare(op, "firmware", -1, "SEV and SEV-ES guests (firmware guest count)",
			   op->per_model[SEVSLOT_MODEL_SEV] + op->per_model[SEVSLOT_MODEL_SEV_ES],
			   h->fw.status_ok ? (int64_t)h->fw.guest_count : -1)) < 0 ||
	    (err = compare(op, "snp_firmware", -1, "SEV-SNP guests (SNP firmware guest count)",
			   op->per_model[SEVSLOT_MODEL_SEV_SNP],
			   h->fw.snp_ok ? (int64_t)h->fw.snp_guest_count : -1)) < 0)
		return err;
	return over_capacity(op, l);
}

SEVSLOT_EXPORT int sevslot_ledger_audit(struct sevslot_ledger *ledger,
					const struct sevslot_host *host,
					struct sevslot_audit **out)
{
	struct audit_op op = { .host = host };
	int err;

	*out = NULL;
	ledger->errmsg[0] = '\0';
	op.audit = calloc(1, sizeof(*op.audit));
	if (op.audit == NULL)
		return -ENOMEM;
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++)
		op.audit->host_capacity[p] = sv_effective_capacity(host, &ledger->policy[p], p);
	err = sv_ledger_read(ledger, "audit", audit_txn, &op);
	if (err == 0)
		err = compare_host(&op, ledger);
	if (err < 0) {
		sevslot_audit_free(op.audit);
		return err;
	}
	op.audit->consistent = op.audit->n_findings == 0;
	*out = op.audit;
	return 0;
}

SEVSLOT_EXPORT void sevslot_audit_free(struct sevslot_audit *audit)
{
	if (audit == NULL)
		return;
	free(audit->findings);
	free(audit);
}
