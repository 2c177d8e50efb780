/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Request translation (policy layer): nova-style flavor extra specs and image
 * properties become a slot request, and guest settings SEV cannot run are
 * refused before anything is claimed.
 *
 *   flavor hw:mem_encryption        image hw_mem_encryption         bool
 *   flavor hw:mem_encryption_model  image hw_mem_encryption_model   amd-sev|amd-sev-es|amd-sev-snp
 *
 * A flavor/image disagreement is a conflict. An encrypted guest needs the q35
 * machine type, UEFI firmware, and no IDE devices (q35 has no IDE bus). An
 * SEV-SNP guest also needs stateless firmware, image hw_firmware_stateless
 * true, as nova requires (nova/virt/hardware.py,
 * MemEncryptionConfigSevSnp.check_constraints, which raises
 * StatelessFirmwareRequired unless get_stateless_firmware_constraint() is
 * true): SNP with QEMU boots OVMF as read-only memory (-bios), with no NVRAM.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "policy.h"

/* Look `key` up in a NULL-terminated list of "key=value"; the last one wins. */
static const char *prop(const char *const *props, const char *key)
{
	size_t klen = strlen(key);
	const char *found = NULL;

	for (; props != NULL && *props != NULL; props++)
		if (strncmp(*props, key, klen) == 0 && (*props)[klen] == '=')
			found = *props + klen + 1;
	return found;
}

/* oslo's bool_from_string(strict=True): the words nova accepts. */
static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "t", "true", "on", "y", "yes" };
	static const char *const no[] = { "0", "f", "false", "off", "n", "no" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* Check "key=value" syntax: a non-empty key, printable ASCII throughout. */
static int check_syntax(struct sevslot_ctx *ctx, const char *what, const char *const *props)
{
	for (; props != NULL && *props != NULL; props++) {
		const char *eq = strchr(*props, '=');

		if (eq == NULL || eq == *props)
			return sv_fail(ctx, -EINVAL, "%s property '%.64s' is not KEY=VALUE", what, *props);
		for (const char *p = *props; *p != '\0'; p++)
			if (*p < 0x20 || *p > 0x7e)
				return sv_fail(ctx, -EINVAL, "%s property '%.*s' has a non-printable byte",
					       what, (int)(eq - *props), *props);
	}
	return 0;
}

/* Read one boolean from flavor and image, refusing a disagreement. */
static int merged_bool(struct sevslot_ctx *ctx, const char *const *flavor, const char *fkey,
		       const char *const *image, const char *ikey, int *out)
{
	const char *fv = prop(flavor, fkey), *iv = prop(image, ikey);
	bool f = false, i = false;

	if (fv != NULL && parse_bool(fv, &f) < 0)
		return sv_fail(ctx, -EINVAL, "flavor %s='%.32s' is not a boolean (true/false)", fkey, fv);
	if (iv != NULL && parse_bool(iv, &i) < 0)
		return sv_fail(ctx, -EINVAL, "image %s='%.32s' is not a boolean (true/false)", ikey, iv);
	if (fv != NULL && iv != NULL && f != i)
		return sv_fail(ctx, -EINVAL, "flavor %s=%s conflicts with image %s=%s", fkey, fv, ikey, iv);
	*out = fv != NULL ? f : iv != NULL ? i : -1;
	return 0;
}

static int merged_model(struct sevslot_ctx *ctx, const char *const *flavor,
			const char *const *image, enum sevslot_model *out, bool *given)
{
	static const char fkey[] = "hw:mem_encryption_model", ikey[] = "hw_mem_encryption_model";
	const char *fv = prop(flavor, fkey), *iv = prop(image, ikey);
	enum sevslot_model f = SEVSLOT_MODEL_SEV, i = SEVSLOT_MODEL_SEV;

	if (fv != NULL && sevslot_model_from_name(fv, &f) < 0)
		return sv_fail(ctx, -EINVAL, "flavor %s='%.32s': expected amd-sev, amd-sev-es or amd-sev-snp",
			       fkey, fv);
	if (iv != NULL && sevslot_model_from_name(iv, &i) < 0)
		return sv_fail(ctx, -EINVAL, "image %s='%.32s': expected amd-sev, amd-sev-es or amd-sev-snp",
			       ikey, iv);
	if (fv != NULL && iv != NULL && f != i)
		return sv_fail(ctx, -EINVAL, "flavor %s=%s conflicts with image %s=%s", fkey, fv, ikey, iv);
	*given = fv != NULL || iv != NULL;
	*out = fv != NULL ? f : i;
	return 0;
}

/* The guest settings an encrypted guest of `model` cannot run with. */
static int check_guest(struct sevslot_ctx *ctx, const char *const *image, enum sevslot_model model)
{
	const char *stateless = prop(image, "hw_firmware_stateless");
	bool is_stateless = false;
	static const char *const ide_keys[] = { "hw_disk_bus", "hw_cdrom_bus" };
	const char *mt = prop(image, "hw_machine_type");
	const char *fw = prop(image, "hw_firmware_type");

	if (mt != NULL && strcmp(mt, "q35") != 0 && strncmp(mt, "pc-q35-", 7) != 0)
		return sv_fail(ctx, -EINVAL,
			       "image hw_machine_type=%.40s: memory encryption needs the q35 machine type",
			       mt);
	if (fw == NULL || strcasecmp(fw, "uefi") != 0)
		return sv_fail(ctx, -EINVAL,
			       "image hw_firmware_type=%.16s: memory encryption needs UEFI firmware (set hw_firmware_type=uefi)",
			       fw != NULL ? fw : "(unset, BIOS)");
	for (size_t k = 0; k < ARRAY_SIZE(ide_keys); k++) {
		const char *bus = prop(image, ide_keys[k]);

		if (bus != NULL && strcasecmp(bus, "ide") == 0)
			return sv_fail(ctx, -EINVAL,
				       "image %s=ide: q35 has no IDE bus; use virtio or sata", ide_keys[k]);
	}
	if (stateless != NULL && parse_bool(stateless, &is_stateless) < 0)
		return sv_fail(ctx, -EINVAL, "image hw_firmware_stateless='%.32s' is not a boolean (true/false)",
			       stateless);
	if (model == SEVSLOT_MODEL_SEV_SNP && !is_stateless)
		return sv_fail(ctx, -EINVAL,
			       "image hw_firmware_stateless=%.16s: amd-sev-snp needs stateless firmware (set hw_firmware_stateless=true), as nova requires",
			       stateless != NULL ? stateless : "(unset)");
	return 0;
}

SEVSLOT_EXPORT int sevslot_request_translate(struct sevslot_ctx *ctx, const char *const *flavor,
					     const char *const *image, struct sevslot_request *out)
{
	bool model_given = false;
	int enc = -1, err;

	memset(out, 0, sizeof(*out));
	ctx->errmsg[0] = '\0';
	if ((err = check_syntax(ctx, "flavor", flavor)) < 0 ||
	    (err = check_syntax(ctx, "image", image)) < 0 ||
	    (err = merged_bool(ctx, flavor, "hw:mem_encryption", image, "hw_mem_encryption", &enc)) < 0 ||
	    (err = merged_model(ctx, flavor, image, &out->model, &model_given)) < 0)
		return err;
	if (enc != 1) {
		if (model_given)
			return sv_fail(ctx, -EINVAL,
				       "a memory encryption model was given without hw:mem_encryption=true (flavor) or hw_mem_encryption=true (image)");
		return 0;
	}
	err = check_guest(ctx, image, out->model);
	if (err < 0)
		return err;
	out->requested = true;
	return 0;
}

SEVSLOT_EXPORT const char *sevslot_model_trait(enum sevslot_model model)
{
	switch (model) {
	case SEVSLOT_MODEL_SEV:
		return "HW_CPU_X86_AMD_SEV";
	case SEVSLOT_MODEL_SEV_ES:
		return "HW_CPU_X86_AMD_SEV_ES";
	case SEVSLOT_MODEL_SEV_SNP:
		return "HW_CPU_X86_AMD_SEV_SNP";
	default:
		return NULL;
	}
}
