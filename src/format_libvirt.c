/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The libvirt <launchSecurity> element for a model on this host. QEMU always
 * gives the guest a physical address reduction of 1, whatever CPUID EBX[11:6]
 * says; the C-bit position comes from CPUID EBX[5:0].
 */
#include <errno.h>
#include <stdio.h>

#include "output.h"

#define POLICY_ES (1ull << 2)        /* SEV policy bit 2: SEV-ES */
#define POLICY_SNP_RSVD (1ull << 17) /* SNP policy bit 17: must be one */

SEVSLOT_EXPORT uint64_t sevslot_default_policy(enum sevslot_model model)
{
	switch (model) {
	case SEVSLOT_MODEL_SEV:
		return 0x0033;           /* no debug, no key sharing, same-domain migration */
	case SEVSLOT_MODEL_SEV_ES:
		return 0x0033 | POLICY_ES;
	case SEVSLOT_MODEL_SEV_SNP:
		return 0x30000;          /* SMT allowed, bit 17 set */
	default:
		return 0;
	}
}

SEVSLOT_EXPORT int sevslot_launch_security_xml(struct sevslot_ctx *ctx,
					       const struct sevslot_host *host,
					       enum sevslot_model model, uint64_t policy, char **out)
{
	const char *name = sevslot_model_name(model);

	*out = NULL;
	ctx->errmsg[0] = '\0';
	if ((unsigned)model >= SEVSLOT_MODEL_COUNT)
		return sv_fail(ctx, -EINVAL, "unknown memory encryption model");
	if (model == SEVSLOT_MODEL_SEV_SNP) {
		if (!(policy & POLICY_SNP_RSVD))
			return sv_fail(ctx, -EINVAL,
				       "SEV-SNP policy 0x%llx: bit 17 must be set (0x30000 is the usual default)",
				       (unsigned long long)policy);
	} else {
		if (policy > UINT32_MAX)
			return sv_fail(ctx, -EINVAL, "SEV policy 0x%llx does not fit in 32 bits",
				       (unsigned long long)policy);
		if (model == SEVSLOT_MODEL_SEV_ES && !(policy & POLICY_ES))
			return sv_fail(ctx, -EINVAL,
				       "policy 0x%llx lacks bit 2, which SEV-ES guests need",
				       (unsigned long long)policy);
		if (model == SEVSLOT_MODEL_SEV && (policy & POLICY_ES))
			return sv_fail(ctx, -EINVAL,
				       "policy 0x%llx sets bit 2 (SEV-ES); ask for model amd-sev-es instead",
				       (unsigned long long)policy);
	}
	if (!host->models[model].usable)
		return sv_fail(ctx, -ENODEV, "this host cannot run %s guests (see 'sevslot probe')", name);
	if (model == SEVSLOT_MODEL_SEV_SNP)
		return sv_asprintf(out,
				   "<launchSecurity type='sev-snp'>\n"
				   "  <cbitpos>%u</cbitpos>\n"
				   "  <reducedPhysBits>1</reducedPhysBits>\n"
				   "  <policy>0x%08llx</policy>\n"
				   "</launchSecurity>\n",
				   host->cpu.cbitpos, (unsigned long long)policy);
	return sv_asprintf(out,
			   "<launchSecurity type='sev'>\n"
			   "  <cbitpos>%u</cbitpos>\n"
			   "  <reducedPhysBits>1</reducedPhysBits>\n"
			   "  <policy>0x%04llx</policy>\n"
			   "</launchSecurity>\n",
			   host->cpu.cbitpos, (unsigned long long)policy);
}
