/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inventory (policy layer): what this host offers schedulers, per model and
 * per pool. A scheduler may count on the host's capacity capped by the
 * configured limit; `reserved` of those are kept back (Placement subtracts
 * them itself; the ledger never hands them out). The numbers come from
 * sv_policy_judge, as the ledger's do: a configuration that does not fit
 * the host is refused here too, never clamped.
 */
#include <errno.h>
#include <string.h>

#include "policy.h"

int sv_inventory_compute(const struct sevslot_host *host, const struct sevslot_config *config,
			 const struct sevslot_pool_usage *usage, struct sv_inventory *inv)
{
	const struct sevslot_kernel *k = &host->kernel;
	struct sv_pool_limits limits[SEVSLOT_POOL_COUNT];
	int err;

	memset(inv, 0, sizeof(*inv));
	if ((err = sv_policy_judge(NULL, host, config != NULL ? config->pools : NULL, NULL,
				   limits)) < 0)
		return err;
	inv->usable = host->usable;
	inv->have_usage = usage != NULL;
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++) {
		struct sv_inventory_pool *ip = &inv->pools[p];

		ip->present = host->pools[p].present;
		ip->usable = host->pools[p].usable;
		ip->capacity = host->pools[p].capacity;
		ip->total = limits[p].total;
		ip->reserved = limits[p].reserved;
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
	return 0;
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
