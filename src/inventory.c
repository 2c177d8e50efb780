/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inventory (policy layer): what this host offers schedulers, per model and
 * per pool. A scheduler may count on the host's capacity capped by the
 * configured limit; `reserved` of those are kept back (Placement subtracts
 * them itself; the ledger never hands them out).
 */
#include <errno.h>
#include <string.h>

#include "policy.h"

/* The pool's configured policy, or "auto, nothing reserved". */
static struct sevslot_pool_policy policy_of(const struct sevslot_config *config,
					    enum sevslot_pool_id pool)
{
	struct sevslot_pool_policy none = { .limit = -1, .reserved = 0 };

	return config != NULL ? config->pools[pool] : none;
}

void sv_inventory_compute(const struct sevslot_host *host, const struct sevslot_config *config,
			  const struct sevslot_pool_usage *usage, struct sv_inventory *inv)
{
	const struct sevslot_kernel *k = &host->kernel;

	memset(inv, 0, sizeof(*inv));
	inv->usable = host->usable;
	inv->have_usage = usage != NULL;
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++) {
		struct sv_inventory_pool *ip = &inv->pools[p];
		struct sevslot_pool_policy pol = policy_of(config, (enum sevslot_pool_id)p);
		uint32_t cap = host->pools[p].capacity;

		ip->present = host->pools[p].present;
		ip->usable = host->pools[p].usable;
		ip->capacity = cap;
		ip->total = pol.limit >= 0 && (uint64_t)pol.limit < cap ? (uint32_t)pol.limit : cap;
		ip->reserved = pol.reserved < ip->total ? pol.reserved : ip->total;
		ip->allocated = usage != NULL ? usage[p].allocated : 0;
		/* misc.current counts SEV-ES and SEV-SNP guests together, as sev_es. */
		ip->in_use = -1;
		if (k->misc_current_read && p == SEVSLOT_POOL_SEV)
			ip->in_use = k->misc_current[SEVSLOT_POOL_SEV];
		else if (k->misc_current_read && p == SEVSLOT_POOL_SEV_ES &&
			 !host->pools[SEVSLOT_POOL_SEV_SNP].present)
			ip->in_use = k->misc_current[SEVSLOT_POOL_SEV_ES];
	}
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++) {
		inv->models[m].pool = host->models[m].pool;
		inv->models[m].usable = host->models[m].usable;
	}
}

SEVSLOT_EXPORT int sevslot_inventory_format_from_name(const char *name,
						      enum sevslot_inventory_format *out)
{
	static const char *const names[] = {
		[SEVSLOT_INVENTORY_TEXT] = "text",
		[SEVSLOT_INVENTORY_JSON] = "json",
		[SEVSLOT_INVENTORY_PLACEMENT] = "placement",
		[SEVSLOT_INVENTORY_NFD] = "nfd",
		[SEVSLOT_INVENTORY_PROMETHEUS] = "prometheus",
	};

	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum sevslot_inventory_format)i;
			return 0;
		}
	}
	return -EINVAL;
}
