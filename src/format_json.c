/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The probe report as JSON, with the keys DESIGN.md promises (more may be
 * added, none removed), written straight out through json_writer.c: the
 * probe is a process per placement, and a tree to build and free would cost
 * more than the probe itself.
 */
#include "output.h"

static void param(struct sv_json *w, const char *key, enum sevslot_param p)
{
	if (p == SEVSLOT_PARAM_ABSENT)
		sv_json_null(w, key);
	else
		sv_json_bool(w, key, p == SEVSLOT_PARAM_Y);
}

static void misc(struct sv_json *w, const char *key, bool read,
		 const int64_t v[SEVSLOT_POOL_SEV_ES + 1])
{
	if (!read) {
		sv_json_null(w, key);
		return;
	}
	sv_json_object(w, key);
	sv_json_int(w, "sev", v[SEVSLOT_POOL_SEV]);
	sv_json_int(w, "sev_es", v[SEVSLOT_POOL_SEV_ES]);
	sv_json_end_object(w);
}

static void cpu_json(struct sv_json *w, const struct sevslot_cpu *c)
{
	sv_json_object(w, "cpu");
	sv_json_string(w, "vendor", c->vendor);
	sv_json_int(w, "family", c->family);
	sv_json_int(w, "model", c->model);
	sv_json_int(w, "stepping", c->stepping);
	sv_json_bool(w, "sme", c->sme);
	sv_json_bool(w, "sev", c->sev);
	sv_json_bool(w, "sev_es", c->sev_es);
	sv_json_bool(w, "sev_snp", c->sev_snp);
	sv_json_int(w, "cbitpos", c->cbitpos);
	sv_json_int(w, "reduced_phys_bits", c->reduced_phys_bits);
	sv_json_int(w, "vmpls", c->vmpls);
	sv_json_int(w, "max_asid", c->max_asid);
	sv_json_int(w, "min_sev_asid", c->min_sev_asid);
	sv_json_end_object(w);
}

static void kernel_json(struct sv_json *w, const struct sevslot_host *h)
{
	const struct sevslot_kernel *k = &h->kernel;

	sv_json_object(w, "kernel");
	sv_json_string(w, "osrelease", k->osrelease[0] ? k->osrelease : NULL);
	sv_json_string(w, "boot_id", k->boot_id[0] ? k->boot_id : NULL);
	sv_json_bool(w, "kvm_amd", k->kvm_amd);
	param(w, "sev", k->sev);
	param(w, "sev_es", k->sev_es);
	param(w, "sev_snp", k->sev_snp);
	if (k->ciphertext_hiding_asids < 0)
		sv_json_null(w, "ciphertext_hiding_asids");
	else
		sv_json_int(w, "ciphertext_hiding_asids", k->ciphertext_hiding_asids);
	misc(w, "misc_capacity", k->misc_capacity_read, k->misc_capacity);
	misc(w, "misc_current", k->misc_current_read, k->misc_current);
	if (h->firmware_probed) {
		sv_json_bool(w, "dev_kvm", k->dev_kvm);
		if (k->msr_error != 0)
			sv_json_null(w, "syscfg");
		else
			sv_json_int(w, "syscfg", (int64_t)k->syscfg);
	}
	sv_json_end_object(w);
}

static void firmware_json(struct sv_json *w, const struct sevslot_firmware *fw)
{
	if (!fw->status_ok) {
		sv_json_null(w, "firmware");
		return;
	}
	sv_json_object(w, "firmware");
	sv_json_int(w, "api_major", fw->api_major);
	sv_json_int(w, "api_minor", fw->api_minor);
	sv_json_int(w, "build", fw->build);
	sv_json_int(w, "guest_count", fw->guest_count);
	sv_json_string(w, "state", sevslot_fw_state_name(fw->state));
	sv_json_string(w, "owner", fw->owner_external ? "external" : "self");
	sv_json_bool(w, "config_es", fw->config_es);
	if (fw->snp_ok) {
		sv_json_object(w, "snp");
		sv_json_string(w, "state", sevslot_fw_state_name(fw->snp_state));
		sv_json_int(w, "build_id", fw->snp_build_id);
		sv_json_int(w, "guest_count", fw->snp_guest_count);
		sv_json_bool(w, "rmp_initialized", fw->snp_rmp_initialized);
		sv_json_end_object(w);
	} else {
		sv_json_null(w, "snp");
	}
	sv_json_end_object(w);
}

/* "stack": the emulator and the firmware descriptors in effect; null when not probed. */
static void stack_json(struct sv_json *w, const struct sevslot_stack *st)
{
	if (!st->probed) {
		sv_json_null(w, "stack");
		return;
	}
	sv_json_object(w, "stack");
	if (st->qemu_path == NULL) {
		sv_json_null(w, "qemu");
	} else {
		sv_json_object(w, "qemu");
		sv_json_string(w, "path", st->qemu_path);
		sv_json_string(w, "version", st->qemu_version);
		sv_json_string(w, "package", st->qemu_package);
		sv_json_end_object(w);
	}
	sv_json_array(w, "firmware");
	for (size_t i = 0; i < st->n_firmware; i++) {
		const struct sevslot_fw_descriptor *f = &st->firmware[i];

		sv_json_object(w, NULL);
		sv_json_string(w, "path", f->path);
		sv_json_string(w, "device", f->device);
		sv_json_array(w, "features");
		for (size_t k = 0; f->features[k] != NULL; k++)
			sv_json_string(w, NULL, f->features[k]);
		sv_json_end_array(w);
		sv_json_array(w, "models");
		for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++)
			if (f->boots[m])
				sv_json_string(w, NULL, sevslot_model_name(m));
		sv_json_end_array(w);
		sv_json_end_object(w);
	}
	sv_json_end_array(w);
	sv_json_end_object(w);
}

SEVSLOT_EXPORT int sevslot_host_to_json(const struct sevslot_host *h, char **out)
{
	struct sv_json w = { .depth = 0 };

	sv_json_object(&w, NULL);
	cpu_json(&w, &h->cpu);
	kernel_json(&w, h);
	firmware_json(&w, &h->fw);

	sv_json_object(&w, "pools");
	for (unsigned i = 0; i < SEVSLOT_POOL_COUNT; i++) {
		const struct sevslot_pool *p = &h->pools[i];

		if (!p->present)
			continue;
		sv_json_object(&w, sevslot_pool_name(i));
		sv_json_int(&w, "capacity", p->capacity);
		sv_json_int(&w, "asid_min", p->asid_min);
		sv_json_int(&w, "asid_max", p->asid_max);
		sv_json_bool(&w, "usable", p->usable);
		sv_json_end_object(&w);
	}
	sv_json_end_object(&w);

	sv_json_object(&w, "models");
	for (unsigned i = 0; i < SEVSLOT_MODEL_COUNT; i++) {
		sv_json_object(&w, sevslot_model_name(i));
		sv_json_string(&w, "pool", sevslot_pool_name(h->models[i].pool));
		sv_json_bool(&w, "usable", h->models[i].usable);
		if (h->stack.probed)
			sv_json_bool(&w, "ready", h->stack.ready[i]);
		sv_json_end_object(&w);
	}
	sv_json_end_object(&w);

	sv_json_array(&w, "checks");
	for (size_t i = 0; i < h->n_checks; i++) {
		const struct sevslot_check *c = &h->checks[i];

		sv_json_object(&w, NULL);
		sv_json_string(&w, "id", c->id);
		sv_json_string(&w, "status", sevslot_status_name(c->status));
		sv_json_int(&w, "level", c->level);
		sv_json_string(&w, "message", c->message);
		sv_json_string(&w, "hint", c->hint);
		sv_json_end_object(&w);
	}
	sv_json_end_array(&w);
	sv_json_bool(&w, "usable", h->usable);
	stack_json(&w, &h->stack);
	sv_json_end_object(&w);
	return sv_json_finish(&w, out);
}
