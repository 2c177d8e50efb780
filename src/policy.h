/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy layer: the configuration (config.c), what a host offers
 * schedulers (inventory.c) and what a guest may ask for (request.c).
 * Nothing here is ABI.
 */
#ifndef SEVSLOT_POLICY_H
#define SEVSLOT_POLICY_H

#include "ctx.h"

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
};

void sv_inventory_compute(const struct sevslot_host *host, const struct sevslot_config *config,
			  const struct sevslot_pool_usage *usage, struct sv_inventory *inv)
	SV_NONNULL(1, 4);

#endif
