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
 * plus allocations from an earlier boot (their guests cannot still run) and
 * pools holding more than their capacity.
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

static int audit_txn(struct sevslot_ledger *l, void *arg)
{
	struct audit_op *op = arg;
	int err;

	/* A retried snapshot starts over. */
	op->audit->n_findings = 0;
	memset(op->per_model, 0, sizeof(op->per_model));
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++)
		op->max_slot[p] = -1;
	if ((err = sv_ledger_usage_txn(l, op->audit->pools)) < 0)
		return err;
	return read_slots(l, op);
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

static int over_capacity(struct audit_op *op)
{
	struct sevslot_audit *a = op->audit;

	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++) {
		int64_t cap = a->host_capacity[p], n = a->pools[p].allocated;
		struct sevslot_finding *f;

		if (n <= cap && op->max_slot[p] < cap)
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

static int compare_host(struct audit_op *op)
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
	return over_capacity(op);
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
		err = compare_host(&op);
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
