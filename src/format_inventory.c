/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The inventory in the formats schedulers already read: a table for people,
 * sevslot's JSON, OpenStack Placement child providers (as nova reports them:
 * <host>_amd_sev, _amd_sev_es, _amd_sev_snp, each MEM_ENCRYPTION_CONTEXT),
 * a Node Feature Discovery local feature file (NFD's own names), and the
 * Prometheus text exposition format.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

/* Slots a scheduler may still take from the pool. */
static uint32_t free_slots(const struct sv_inventory_pool *p)
{
	uint32_t held = p->reserved + p->allocated;

	return p->total > held ? p->total - held : 0;
}

static void text(FILE *f, const struct sv_inventory *inv)
{
	fprintf(f, "%-12s %-8s %-10s %6s %9s", "model", "pool", "usable", "total", "reserved");
	if (inv->have_usage)
		fprintf(f, " %10s %6s", "allocated", "free");
	fputc('\n', f);
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++) {
		const struct sv_inventory_pool *p = &inv->pools[inv->models[m].pool];

		fprintf(f, "%-12s %-8s %-10s", sevslot_model_name(m),
			sevslot_pool_name(inv->models[m].pool),
			inv->models[m].usable ? "yes" : inv->withheld[m] ? "not ready" : "no");
		if (!inv->models[m].usable)
			fprintf(f, " %6s %9s", "-", "-");
		else
			fprintf(f, " %6u %9u", p->total, p->reserved);
		if (inv->have_usage && inv->models[m].usable)
			fprintf(f, " %10u %6u", p->allocated, free_slots(p));
		fputc('\n', f);
	}
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++)
		if (inv->withheld[m])
			fprintf(f, "%s is usable but not ready to boot here (--ready-only): 'sevslot probe' "
				"says what its QEMU or firmware lacks\n", sevslot_model_name(m));
	if (!inv->usable && !inv->withheld[0] && !inv->withheld[1] && !inv->withheld[2])
		fputs("this host cannot run encrypted guests; 'sevslot probe' says why\n", f);
}

static void pool_fields(struct sv_json *w, const struct sv_inventory *inv,
			const struct sv_inventory_pool *p)
{
	sv_json_int(w, "capacity", p->capacity);
	sv_json_int(w, "total", p->total);
	sv_json_int(w, "reserved", p->reserved);
	if (inv->have_usage) {
		sv_json_int(w, "allocated", p->allocated);
		sv_json_int(w, "free", free_slots(p));
	} else {
		sv_json_null(w, "allocated");
		sv_json_null(w, "free");
	}
	if (p->in_use >= 0)
		sv_json_int(w, "in_use", p->in_use);
	else
		sv_json_null(w, "in_use");
}

static void own_json(struct sv_json *w, const struct sv_inventory *inv)
{
	sv_json_object(w, NULL);
	sv_json_bool(w, "usable", inv->usable);
	sv_json_object(w, "models");
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++) {
		sv_json_object(w, sevslot_model_name(m));
		pool_fields(w, inv, &inv->pools[inv->models[m].pool]);
		sv_json_string(w, "pool", sevslot_pool_name(inv->models[m].pool));
		sv_json_bool(w, "usable", inv->models[m].usable);
		sv_json_end_object(w);
	}
	sv_json_end_object(w);
	sv_json_object(w, "pools");
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++) {
		if (!inv->pools[p].present)
			continue;
		sv_json_object(w, sevslot_pool_name(p));
		pool_fields(w, inv, &inv->pools[p]);
		sv_json_bool(w, "usable", inv->pools[p].usable);
		sv_json_end_object(w);
	}
	sv_json_end_object(w);
	sv_json_end_object(w);
}

/*
 * One child provider per usable model, named as nova names them. A model
 * whose pool the configuration limits to 0 gets none: Placement refuses an
 * inventory of total 0, and nova removes such a provider too.
 */
static void placement_json(struct sv_json *w, const struct sv_inventory *inv,
			   const char *hostname)
{
	sv_json_object(w, NULL);
	sv_json_array(w, "providers");
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++) {
		const struct sv_inventory_pool *p = &inv->pools[inv->models[m].pool];
		char name[512], *suffix;

		if (!inv->models[m].usable || p->total == 0)
			continue;
		snprintf(name, sizeof(name), "%s_%s", hostname, sevslot_model_name(m));
		for (suffix = name + strlen(hostname); *suffix != '\0'; suffix++)
			if (*suffix == '-')
				*suffix = '_';
		sv_json_object(w, NULL);
		sv_json_string(w, "name", name);
		sv_json_string(w, "parent_provider_name", hostname);
		sv_json_array(w, "traits");
		sv_json_string(w, NULL, sevslot_model_trait(m));
		sv_json_end_array(w);
		sv_json_object(w, "inventories");
		sv_json_object(w, "MEM_ENCRYPTION_CONTEXT");
		sv_json_int(w, "total", p->total);
		sv_json_int(w, "reserved", p->reserved);
		sv_json_int(w, "min_unit", 1);
		sv_json_int(w, "max_unit", 1);
		sv_json_int(w, "step_size", 1);
		sv_json_number(w, "allocation_ratio", "1.0");
		sv_json_end_object(w);
		sv_json_end_object(w);
		sv_json_end_object(w);
	}
	sv_json_end_array(w);
	sv_json_end_object(w);
}

/*
 * A Node Feature Discovery local feature file (features.d), in the input
 * format NFD documents (docs/usage/customization-guide.md, "Local feature
 * source"; source/local/local.go): one `<key>[=<value>]` a line, `#`
 * comments, `# +no-label` directives. Labels must be prefixed, so the
 * per-model verdicts use NFD's own label names in its namespace, where a
 * local feature file overrides NFD's cpu source (which reads only the
 * kvm_amd parameters). The slot counts, which change with the
 * configuration and must not churn labels, are features only, under NFD's
 * cpu.security element names, for NodeFeatureRules to turn into extended
 * resources (`@local.feature.sev.asids`): a usable model's pool, capped by
 * the configured limit, less what is reserved. SEV-SNP has a name of its
 * own, sev.snp.encrypted_state_ids: its pool when ciphertext hiding splits
 * sev_es (1..N), the shared sev_es pool otherwise.
 */
static void nfd(FILE *f, const struct sv_inventory *inv)
{
	static const struct {
		const char *label, *count;
	} names[] = {
		[SEVSLOT_MODEL_SEV] = { "cpu-security.sev.enabled", "sev.asids" },
		[SEVSLOT_MODEL_SEV_ES] = { "cpu-security.sev.es.enabled", "sev.encrypted_state_ids" },
		[SEVSLOT_MODEL_SEV_SNP] = { "cpu-security.sev.snp.enabled",
					    "sev.snp.encrypted_state_ids" },
	};

	fputs("# sevslot inventory --format nfd: a Node Feature Discovery local feature file\n", f);
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++)
		fprintf(f, "feature.node.kubernetes.io/%s=%s\n", names[m].label,
			inv->models[m].usable ? "true" : "false");
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++) {
		const struct sv_inventory_pool *p = &inv->pools[inv->models[m].pool];

		if (inv->models[m].usable)
			fprintf(f, "# +no-label\n%s=%u\n", names[m].count, p->total - p->reserved);
	}
}

static void metric(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP sevslot_%s %s\n# TYPE sevslot_%s gauge\n", name, help, name);
}

static void prometheus(FILE *f, const struct sv_inventory *inv)
{
	static const struct {
		const char *name, *help;
		size_t offset;
		bool needs_usage;
	} gauges[] = {
		{ "pool_capacity_slots", "ASIDs the host reports for the pool.",
		  offsetof(struct sv_inventory_pool, capacity), false },
		{ "pool_total_slots", "Slots schedulers may count on: capacity capped by the configured limit.",
		  offsetof(struct sv_inventory_pool, total), false },
		{ "pool_reserved_slots", "Slots of the total kept back by the configuration.",
		  offsetof(struct sv_inventory_pool, reserved), false },
		{ "pool_allocated_slots", "Slots held in the ledger.",
		  offsetof(struct sv_inventory_pool, allocated), true },
	};

	metric(f, "host_usable", "Whether this host can run at least one kind of encrypted guest.");
	fprintf(f, "sevslot_host_usable %d\n", inv->usable);
	metric(f, "model_usable", "Whether this host can run guests of the model.");
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++)
		fprintf(f, "sevslot_model_usable{model=\"%s\",pool=\"%s\"} %d\n",
			sevslot_model_name(m), sevslot_pool_name(inv->models[m].pool),
			inv->models[m].usable);
	for (size_t g = 0; g < ARRAY_SIZE(gauges); g++) {
		if (gauges[g].needs_usage && !inv->have_usage)
			continue;
		metric(f, gauges[g].name, gauges[g].help);
		for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++) {
			const char *base = (const char *)&inv->pools[p];
			uint32_t v;

			if (!inv->pools[p].present)
				continue;
			memcpy(&v, base + gauges[g].offset, sizeof(v));
			fprintf(f, "sevslot_%s{pool=\"%s\"} %u\n", gauges[g].name, sevslot_pool_name(p), v);
		}
	}
	if (inv->have_usage) {
		metric(f, "pool_free_slots", "Slots a scheduler may still allocate.");
		for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++)
			if (inv->pools[p].present)
				fprintf(f, "sevslot_pool_free_slots{pool=\"%s\"} %u\n", sevslot_pool_name(p),
					free_slots(&inv->pools[p]));
	}
	metric(f, "pool_in_use_asids", "ASIDs in use now, from the misc cgroup (misc.current).");
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++)
		if (inv->pools[p].present && inv->pools[p].in_use >= 0)
			fprintf(f, "sevslot_pool_in_use_asids{pool=\"%s\"} %lld\n", sevslot_pool_name(p),
				(long long)inv->pools[p].in_use);
}

/* READY_ONLY: a model whose userspace cannot boot it attracts no guest. */
static void withhold_not_ready(const struct sevslot_host *host, struct sv_inventory *inv)
{
	inv->usable = false;
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++) {
		if (inv->models[m].usable && !(host->stack.probed && host->stack.ready[m])) {
			inv->models[m].usable = false;
			inv->withheld[m] = true;
		}
		inv->usable |= inv->models[m].usable;
	}
}

SEVSLOT_EXPORT int sevslot_inventory_render(const struct sevslot_host *host,
					    const struct sevslot_config *config,
					    const struct sevslot_pool_usage *usage,
					    const char *hostname,
					    enum sevslot_inventory_format format, char **out)
{
	return sevslot_inventory_render_flags(host, config, usage, hostname, format, 0, out);
}

SEVSLOT_EXPORT int sevslot_inventory_render_flags(const struct sevslot_host *host,
						  const struct sevslot_config *config,
						  const struct sevslot_pool_usage *usage,
						  const char *hostname,
						  enum sevslot_inventory_format format,
						  unsigned flags, char **out)
{
	struct sv_inventory inv;
	struct sv_json w = { .depth = 0 };
	size_t len;
	FILE *f;
	int err;

	*out = NULL;
	if ((err = sv_inventory_compute(host, config, usage, &inv)) < 0)
		return err;
	if (flags & SEVSLOT_INVENTORY_READY_ONLY)
		withhold_not_ready(host, &inv);
	switch (format) {
	case SEVSLOT_INVENTORY_JSON:
		own_json(&w, &inv);
		return sv_json_finish(&w, out);
	case SEVSLOT_INVENTORY_PLACEMENT:
		placement_json(&w, &inv, hostname != NULL ? hostname : "localhost");
		return sv_json_finish(&w, out);
	case SEVSLOT_INVENTORY_TEXT:
	case SEVSLOT_INVENTORY_NFD:
	case SEVSLOT_INVENTORY_PROMETHEUS:
		break;
	default:
		return -EINVAL;
	}
	f = open_memstream(out, &len);
	if (f == NULL)
		return -ENOMEM;
	if (format == SEVSLOT_INVENTORY_TEXT)
		text(f, &inv);
	else if (format == SEVSLOT_INVENTORY_NFD)
		nfd(f, &inv);
	else
		prometheus(f, &inv);
	return sv_memstream_close(f, out);
}
