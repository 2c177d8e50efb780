/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The probe report as JSON, with the keys DESIGN.md promises (more may be
 * added, none removed).
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static json_object *param(enum sevslot_param p)
{
	return p == SEVSLOT_PARAM_ABSENT ? NULL : json_object_new_boolean(p == SEVSLOT_PARAM_Y);
}

static json_object *misc(bool read, const int64_t v[2])
{
	json_object *o;

	if (!read)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "sev", json_object_new_int64(v[0]));
	json_object_object_add(o, "sev_es", json_object_new_int64(v[1]));
	return o;
}

static json_object *cpu_json(const struct sevslot_cpu *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "vendor", json_object_new_string(c->vendor));
	json_object_object_add(o, "family", json_object_new_int64(c->family));
	json_object_object_add(o, "model", json_object_new_int64(c->model));
	json_object_object_add(o, "stepping", json_object_new_int64(c->stepping));
	json_object_object_add(o, "sme", json_object_new_boolean(c->sme));
	json_object_object_add(o, "sev", json_object_new_boolean(c->sev));
	json_object_object_add(o, "sev_es", json_object_new_boolean(c->sev_es));
	json_object_object_add(o, "sev_snp", json_object_new_boolean(c->sev_snp));
	json_object_object_add(o, "cbitpos", json_object_new_int64(c->cbitpos));
	json_object_object_add(o, "reduced_phys_bits", json_object_new_int64(c->reduced_phys_bits));
	json_object_object_add(o, "vmpls", json_object_new_int64(c->vmpls));
	json_object_object_add(o, "max_asid", json_object_new_int64(c->max_asid));
	json_object_object_add(o, "min_sev_asid", json_object_new_int64(c->min_sev_asid));
	return o;
}

static json_object *kernel_json(const struct sevslot_host *h)
{
	const struct sevslot_kernel *k = &h->kernel;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "osrelease",
			       k->osrelease[0] ? json_object_new_string(k->osrelease) : NULL);
	json_object_object_add(o, "boot_id", k->boot_id[0] ? json_object_new_string(k->boot_id) : NULL);
	json_object_object_add(o, "kvm_amd", json_object_new_boolean(k->kvm_amd));
	json_object_object_add(o, "sev", param(k->sev));
	json_object_object_add(o, "sev_es", param(k->sev_es));
	json_object_object_add(o, "sev_snp", param(k->sev_snp));
	json_object_object_add(o, "ciphertext_hiding_asids",
			       k->ciphertext_hiding_asids < 0 ? NULL :
			       json_object_new_int64(k->ciphertext_hiding_asids));
	json_object_object_add(o, "misc_capacity", misc(k->misc_capacity_read, k->misc_capacity));
	json_object_object_add(o, "misc_current", misc(k->misc_current_read, k->misc_current));
	if (h->firmware_probed) {
		json_object_object_add(o, "dev_kvm", json_object_new_boolean(k->dev_kvm));
		json_object_object_add(o, "syscfg", k->msr_error != 0 ? NULL :
						    json_object_new_int64((int64_t)k->syscfg));
	}
	return o;
}

static json_object *firmware_json(const struct sevslot_firmware *fw)
{
	json_object *o, *snp = NULL;
	const char *state = sevslot_fw_state_name(fw->state);

	if (!fw->status_ok)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "api_major", json_object_new_int64(fw->api_major));
	json_object_object_add(o, "api_minor", json_object_new_int64(fw->api_minor));
	json_object_object_add(o, "build", json_object_new_int64(fw->build));
	json_object_object_add(o, "guest_count", json_object_new_int64(fw->guest_count));
	json_object_object_add(o, "state", state ? json_object_new_string(state) : NULL);
	json_object_object_add(o, "owner", json_object_new_string(fw->owner_external ? "external" : "self"));
	json_object_object_add(o, "config_es", json_object_new_boolean(fw->config_es));
	if (fw->snp_ok) {
		state = sevslot_fw_state_name(fw->snp_state);
		snp = json_object_new_object();
		json_object_object_add(snp, "state", state ? json_object_new_string(state) : NULL);
		json_object_object_add(snp, "build_id", json_object_new_int64(fw->snp_build_id));
		json_object_object_add(snp, "guest_count", json_object_new_int64(fw->snp_guest_count));
		json_object_object_add(snp, "rmp_initialized",
				       json_object_new_boolean(fw->snp_rmp_initialized));
	}
	json_object_object_add(o, "snp", snp);
	return o;
}

SEVSLOT_EXPORT int sevslot_host_to_json(const struct sevslot_host *h, char **out)
{
	json_object *root = json_object_new_object(), *pools, *models, *checks;

	*out = NULL;
	if (root == NULL)
		return -ENOMEM;
	json_object_object_add(root, "cpu", cpu_json(&h->cpu));
	json_object_object_add(root, "kernel", kernel_json(h));
	json_object_object_add(root, "firmware", firmware_json(&h->fw));

	pools = json_object_new_object();
	for (unsigned i = 0; i < SEVSLOT_POOL_COUNT; i++) {
		const struct sevslot_pool *p = &h->pools[i];
		json_object *o;

		if (!p->present)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "capacity", json_object_new_int64(p->capacity));
		json_object_object_add(o, "asid_min", json_object_new_int64(p->asid_min));
		json_object_object_add(o, "asid_max", json_object_new_int64(p->asid_max));
		json_object_object_add(o, "usable", json_object_new_boolean(p->usable));
		json_object_object_add(pools, sevslot_pool_name(i), o);
	}
	json_object_object_add(root, "pools", pools);

	models = json_object_new_object();
	for (unsigned i = 0; i < SEVSLOT_MODEL_COUNT; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "pool", json_object_new_string(sevslot_pool_name(h->models[i].pool)));
		json_object_object_add(o, "usable", json_object_new_boolean(h->models[i].usable));
		json_object_object_add(models, sevslot_model_name(i), o);
	}
	json_object_object_add(root, "models", models);

	checks = json_object_new_array();
	for (size_t i = 0; i < h->n_checks; i++) {
		const struct sevslot_check *c = &h->checks[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_string(c->id));
		json_object_object_add(o, "status", json_object_new_string(sevslot_status_name(c->status)));
		json_object_object_add(o, "level", json_object_new_int64(c->level));
		json_object_object_add(o, "message", json_object_new_string(c->message));
		json_object_object_add(o, "hint", c->hint ? json_object_new_string(c->hint) : NULL);
		json_object_array_add(checks, o);
	}
	json_object_object_add(root, "checks", checks);
	json_object_object_add(root, "usable", json_object_new_boolean(h->usable));

	*out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							   JSON_C_TO_STRING_SPACED |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return *out == NULL ? -ENOMEM : 0;
}
