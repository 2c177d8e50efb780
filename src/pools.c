/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ASID pools and the models that draw on them, by the kernel's own arithmetic
 * (arch/x86/kvm/svm/sev.c, sev_hardware_setup):
 *   sev     EDX..ECX                 capacity ECX - EDX + 1, empty if EDX > ECX
 *   sev_es  1..EDX-1                 shared by SEV-ES and SEV-SNP guests
 *   sev_snp 1..N, sev_es N+1..EDX-1  when ciphertext_hiding_asids=N (6.18)
 * ECX = 0 means no SEV at all.
 *
 * A model is usable when the CPU bit, the kernel parameter and a non-empty
 * pool all say so, and (when the firmware was asked) the PSP does not rule it
 * out: no /dev/sev, a failed PLATFORM_STATUS, or a platform left UNINIT where
 * the kernel should have initialised it.
 */
#include <errno.h>
#include <string.h>

#include "probe.h"

static void set_range(struct sevslot_pool *p, uint32_t lo, uint32_t hi)
{
	uint64_t n = (uint64_t)hi - lo + 1;

	p->present = true;
	if (lo > hi || hi == 0) {
		p->capacity = p->asid_min = p->asid_max = 0;
		return;
	}
	p->asid_min = lo;
	p->asid_max = hi;
	/*
	 * The kernel counts EDX..ECX even when EDX is 0 (a Ryzen 1700X: misc.capacity
	 * 16 for ECX 15). 0..0xffffffff would wrap to 0: saturate instead.
	 */
	p->capacity = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/*
 * Whether UNINIT means SEV INIT failed. Before Linux 6.15 the ccp driver
 * initialises the PSP when it probes; from 6.15 kvm_amd does when it loads,
 * so UNINIT is expected only on a 6.15+ kernel without kvm_amd.
 */
bool sv_fw_uninit_is_failure(const struct sevslot_host *host)
{
	return !(sv_kernel_at_least(&host->kernel, 6, 15) && !host->kernel.kvm_amd);
}

static bool denied(int err)
{
	return err == -EPERM || err == -EACCES;
}

/*
 * Whether what the firmware said rules out SEV guests (or, with `snp`, SNP
 * guests). Anything that could not be asked (no firmware probe, permission
 * denied, a kernel that does not know the command) rules nothing out: the
 * checks report it as unknown instead.
 */
bool sv_fw_refuses(const struct sevslot_host *host, bool snp)
{
	const struct sevslot_firmware *fw = &host->fw;

	if (!host->firmware_probed || denied(fw->open_error))
		return false;
	if (fw->open_error != 0)
		return true; /* no PSP device: nothing can launch an encrypted guest */
	if (snp) {  /* SNP guests need SNP_INIT, not the SEV platform's INIT */
		if (!fw->snp_ok)
			return !denied(fw->snp_error) && fw->snp_error != -EINVAL &&
			       fw->snp_error != -ENOTTY;
		return fw->snp_state == SEVSLOT_FW_UNINIT;
	}
	if (!fw->status_ok)
		return !denied(fw->status_error);
	return fw->state == SEVSLOT_FW_UNINIT && sv_fw_uninit_is_failure(host);
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

	bool fw_sev = !sv_fw_refuses(host, false), fw_snp = !sv_fw_refuses(host, true);

	models[SEVSLOT_MODEL_SEV].usable = cpu->sev && k->sev == SEVSLOT_PARAM_Y && fw_sev &&
					   pools[SEVSLOT_POOL_SEV].capacity > 0;
	/* Firmware fixed for CVE-2025-48514: no SEV-ES guest while SNP is on. */
	models[SEVSLOT_MODEL_SEV_ES].usable = cpu->sev_es && k->sev_es == SEVSLOT_PARAM_Y &&
					      !snp_enabled && fw_sev &&
					      pools[models[SEVSLOT_MODEL_SEV_ES].pool].capacity > 0;
	models[SEVSLOT_MODEL_SEV_SNP].usable = cpu->sev_snp && snp_enabled && fw_snp &&
					       pools[models[SEVSLOT_MODEL_SEV_SNP].pool].capacity > 0;

	host->usable = false;
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++) {
		if (!models[m].usable)
			continue;
		pools[models[m].pool].usable = true;
		host->usable = true;
	}
}
