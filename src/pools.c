/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ASID pools and the models that draw on them, by the kernel's own arithmetic
 * (arch/x86/kvm/svm/sev.c, sev_hardware_setup):
 *   sev     EDX..ECX                 capacity ECX - EDX + 1, empty if EDX > ECX
 *   sev_es  1..EDX-1                 shared by SEV-ES and SEV-SNP guests
 *   sev_snp 1..N, sev_es N+1..EDX-1  when ciphertext_hiding_asids=N (6.18)
 * ECX = 0 means no SEV at all.
 */
#include <string.h>

#include "internal.h"

static void set_range(struct sevslot_pool *p, uint32_t lo, uint32_t hi)
{
	p->present = true;
	if (lo > hi || hi == 0) {
		p->capacity = p->asid_min = p->asid_max = 0;
		return;
	}
	p->asid_min = lo;
	p->asid_max = hi;
	p->capacity = hi - lo + 1;
}

void sv_pools_derive(struct sevslot_host *host)
{
	const struct sevslot_cpu *cpu = &host->cpu;
	const struct sevslot_kernel *k = &host->kernel;
	struct sevslot_pool *pools = host->pools;
	struct sevslot_model_info *models = host->models;
	uint32_t ecx = cpu->max_asid, edx = cpu->min_sev_asid;
	bool snp_enabled = k->sev_snp == SEVSLOT_PARAM_Y;

	memset(pools, 0, sizeof(host->pools));
	pools[SEVSLOT_POOL_SEV].present = pools[SEVSLOT_POOL_SEV_ES].present = true;
	if (ecx != 0) {
		set_range(&pools[SEVSLOT_POOL_SEV], edx, ecx);
		if (edx > 1)
			set_range(&pools[SEVSLOT_POOL_SEV_ES], 1, edx - 1);
	}

	models[SEVSLOT_MODEL_SEV].pool = SEVSLOT_POOL_SEV;
	models[SEVSLOT_MODEL_SEV_ES].pool = SEVSLOT_POOL_SEV_ES;
	models[SEVSLOT_MODEL_SEV_SNP].pool = SEVSLOT_POOL_SEV_ES;

	if (k->ciphertext_hiding_asids > 0 && pools[SEVSLOT_POOL_SEV_ES].capacity > 0) {
		uint32_t n = k->ciphertext_hiding_asids > (int64_t)(edx - 1) ?
				     edx - 1 : (uint32_t)k->ciphertext_hiding_asids;

		set_range(&pools[SEVSLOT_POOL_SEV_SNP], 1, n);
		set_range(&pools[SEVSLOT_POOL_SEV_ES], n + 1, edx - 1);
		models[SEVSLOT_MODEL_SEV_SNP].pool = SEVSLOT_POOL_SEV_SNP;
	}

	models[SEVSLOT_MODEL_SEV].usable = cpu->sev && k->sev == SEVSLOT_PARAM_Y &&
					   pools[SEVSLOT_POOL_SEV].capacity > 0;
	/* Firmware fixed for CVE-2025-48514: no SEV-ES guest while SNP is on. */
	models[SEVSLOT_MODEL_SEV_ES].usable = cpu->sev_es && k->sev_es == SEVSLOT_PARAM_Y &&
					      !snp_enabled &&
					      pools[models[SEVSLOT_MODEL_SEV_ES].pool].capacity > 0;
	models[SEVSLOT_MODEL_SEV_SNP].usable = cpu->sev_snp && snp_enabled &&
					       pools[models[SEVSLOT_MODEL_SEV_SNP].pool].capacity > 0;

	host->usable = false;
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++) {
		if (!models[m].usable)
			continue;
		pools[models[m].pool].usable = true;
		host->usable = true;
	}
}
