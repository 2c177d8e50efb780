/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Names of models, pools, statuses and firmware codes, as the contracts,
 * libvirt, nova and the kernel's uapi header spell them.
 */
#include <errno.h>
#include <string.h>

#include "ctx.h"

static const char *const model_names[SEVSLOT_MODEL_COUNT] = {
	[SEVSLOT_MODEL_SEV] = "amd-sev",
	[SEVSLOT_MODEL_SEV_ES] = "amd-sev-es",
	[SEVSLOT_MODEL_SEV_SNP] = "amd-sev-snp",
};

static const char *const pool_names[SEVSLOT_POOL_COUNT] = {
	[SEVSLOT_POOL_SEV] = "sev",
	[SEVSLOT_POOL_SEV_ES] = "sev_es",
	[SEVSLOT_POOL_SEV_SNP] = "sev_snp",
};

SEVSLOT_EXPORT const char *sevslot_version(void)
{
	return SEVSLOT_VERSION;
}

SEVSLOT_EXPORT const char *sevslot_model_name(enum sevslot_model model)
{
	if ((unsigned)model >= SEVSLOT_MODEL_COUNT)
		return NULL;
	return model_names[model];
}

SEVSLOT_EXPORT int sevslot_model_from_name(const char *name, enum sevslot_model *out)
{
	for (unsigned i = 0; i < SEVSLOT_MODEL_COUNT; i++) {
		if (strcmp(name, model_names[i]) == 0) {
			*out = (enum sevslot_model)i;
			return 0;
		}
	}
	return -EINVAL;
}

SEVSLOT_EXPORT const char *sevslot_pool_name(enum sevslot_pool_id pool)
{
	if ((unsigned)pool >= SEVSLOT_POOL_COUNT)
		return NULL;
	return pool_names[pool];
}

SEVSLOT_EXPORT int sevslot_pool_from_name(const char *name, enum sevslot_pool_id *out)
{
	for (unsigned i = 0; i < SEVSLOT_POOL_COUNT; i++) {
		if (strcmp(name, pool_names[i]) == 0) {
			*out = (enum sevslot_pool_id)i;
			return 0;
		}
	}
	return -EINVAL;
}

SEVSLOT_EXPORT const char *sevslot_status_name(enum sevslot_status status)
{
	switch (status) {
	case SEVSLOT_PASS:
		return "pass";
	case SEVSLOT_FAIL:
		return "fail";
	case SEVSLOT_SKIP:
		return "skip";
	case SEVSLOT_UNKNOWN:
		return "unknown";
	}
	return "unknown";
}

SEVSLOT_EXPORT const char *sevslot_fw_state_name(enum sevslot_fw_state state)
{
	switch (state) {
	case SEVSLOT_FW_UNINIT:
		return "uninit";
	case SEVSLOT_FW_INIT:
		return "init";
	case SEVSLOT_FW_WORKING:
		return "working";
	}
	return NULL;
}

/* Firmware status codes (include/uapi/linux/psp-sev.h, enum sev_ret_code). */
SEVSLOT_EXPORT const char *sevslot_fw_error_name(uint32_t code)
{
	static const char *const names[] = {
		"SUCCESS",
		"INVALID_PLATFORM_STATE",
		"INVALID_GUEST_STATE",
		"INVALID_CONFIG",
		"INVALID_LEN",
		"ALREADY_OWNED",
		"INVALID_CERTIFICATE",
		"POLICY_FAILURE",
		"INACTIVE",
		"INVALID_ADDRESS",
		"BAD_SIGNATURE",
		"BAD_MEASUREMENT",
		"ASID_OWNED",
		"INVALID_ASID",
		"WBINVD_REQUIRED",
		"DFFLUSH_REQUIRED",
		"INVALID_GUEST",
		"INVALID_COMMAND",
		"ACTIVE",
		"HWSEV_RET_PLATFORM",
		"HWSEV_RET_UNSAFE",
		"UNSUPPORTED",
		"INVALID_PARAM",
		"RESOURCE_LIMIT",
		"SECURE_DATA_INVALID",
		"INVALID_PAGE_SIZE",	     /* 0x19 */
		"INVALID_PAGE_STATE",
		"INVALID_MDATA_ENTRY",
		"INVALID_PAGE_OWNER",
		"AEAD_OFLOW",		     /* 0x1d */
		NULL,
		"EXIT_RING_BUFFER",	     /* 0x1f */
		"RMP_INIT_REQUIRED",
		"BAD_SVN",
		"BAD_VERSION",
		"SHUTDOWN_REQUIRED",
		"UPDATE_FAILED",
		"RESTORE_REQUIRED",
		"RMP_INITIALIZATION_FAILED",
		"INVALID_KEY",		     /* 0x27 */
	};

	if (code >= ARRAY_SIZE(names))
		return NULL;
	return names[code];
}
