/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy layer: the configuration (config.c), what a host offers
 * schedulers (inventory.c) and what a guest may ask for (request.c).
 * Nothing here is ABI.
 */
#ifndef SEVSLOT_POLICY_H
#define SEVSLOT_POLICY_H

#include "ctx.h"

/* config.c: how each pool's limit and reservation apply to a host */
struct sv_pool_limits {
	uint32_t host;             /* what the host reports for the pool (0: not present) */
	uint32_t total;            /* host capped by the configured limit */
	uint32_t reserved;         /* of total, kept back */
};

/*
 * Judge `policy` (NULL: defaults; else SEVSLOT_POOL_COUNT entries) against
 * `host` and fill `out`, one entry per pool. With a context, it logs what
 * the operator should hear: a WARNING for a limit above what the host
 * reports (capped, both numbers named) or taken as given where the kernel
 * reports no count, an INFO for a limit equal to it; `file` names the
 * configuration in each line. -ERANGE, the reason in sevslot_errmsg(ctx),
 * for a non-zero limit on a pool no usable model draws on, or reserved
 * above the pool's total. Without a context: the numbers and the verdict.
 */
int sv_policy_judge(struct sevslot_ctx *ctx, const struct sevslot_host *host,
		    const struct sevslot_pool_policy *policy, const char *file,
		    struct sv_pool_limits out[SEVSLOT_POOL_COUNT]) SV_NONNULL(2, 5) SV_MUST_CHECK;

/* config.c: effective capacity of a pool under a policy (NULL: none) */
uint32_t sv_effective_capacity(const struct sevslot_host *host,
			       const struct sevslot_pool_policy *policy, enum sevslot_pool_id pool)
	SV_NONNULL(1);

/* inventory.c: what the host offers, per pool and per model */
struct sv_inventory_pool {
	bool present, usable;
	uint32_t capacity;         /* what the host reports */
	uint32_t total;            /* capped by the configured limit */
	uint32_t reserved;         /* of total, kept back */
	uint32_t allocated;        /* in the ledger (0 without one) */
	int64_t in_use;            /* misc.current ASIDs, -1 unknown */
};

struct sv_inventory {
	bool usable, have_usage;
	struct sv_inventory_pool pools[SEVSLOT_POOL_COUNT];
	struct sevslot_model_info models[SEVSLOT_MODEL_COUNT];
	bool withheld[SEVSLOT_MODEL_COUNT]; /* usable, not ready: left out (READY_ONLY) */
};

/* -ERANGE when the configuration does not fit the host (sv_policy_judge). */
int sv_inventory_compute(const struct sevslot_host *host, const struct sevslot_config *config,
			 const struct sevslot_pool_usage *usage, struct sv_inventory *inv)
	SV_NONNULL(1, 4) SV_MUST_CHECK;

#endif
