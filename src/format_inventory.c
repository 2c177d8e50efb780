/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The inventory in the formats schedulers already read: a table for people,
 * sevslot's JSON, OpenStack Placement child providers (as nova reports them:
 * <host>_amd_sev, _amd_sev_es, _amd_sev_snp, each MEM_ENCRYPTION_CONTEXT),
 * a Node Feature Discovery local feature file (NFD's own names), and the
 * Prometheus text exposition format.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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
			sevslot_pool_name(inv->models[m].pool), inv->models[m].usable ? "yes" : "no");
		if (!inv->models[m].usable)
			fprintf(f, " %6s %9s", "-", "-");
		else
			fprintf(f, " %6u %9u", p->total, p->reserved);
		if (inv->have_usage && inv->models[m].usable)
			fprintf(f, " %10u %6u", p->allocated, free_slots(p));
		fputc('\n', f);
	}
	if (!inv->usable)
		fputs("this host cannot run encrypted guests; 'sevslot probe' says why\n", f);
}

static json_object *pool_json(const struct sv_inventory *inv, const struct sv_inventory_pool *p)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "capacity", json_object_new_int64(p->capacity));
	json_object_object_add(o, "total", json_object_new_int64(p->total));
	json_object_object_add(o, "reserved", json_object_new_int64(p->reserved));
	json_object_object_add(o, "allocated",
			       inv->have_usage ? json_object_new_int64(p->allocated) : NULL);
	json_object_object_add(o, "free",
			       inv->have_usage ? json_object_new_int64(free_slots(p)) : NULL);
	json_object_object_add(o, "in_use", p->in_use >= 0 ? json_object_new_int64(p->in_use) : NULL);
	json_object_object_add(o, "usable", json_object_new_boolean(p->usable));
	return o;
}

static json_object *own_json(const struct sv_inventory *inv)
{
	json_object *root = json_object_new_object(), *models = json_object_new_object();
	json_object *pools = json_object_new_object();

	json_object_object_add(root, "usable", json_object_new_boolean(inv->usable));
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++) {
		json_object *o = pool_json(inv, &inv->pools[inv->models[m].pool]);

		json_object_object_del(o, "usable");
		json_object_object_add(o, "pool",
				       json_object_new_string(sevslot_pool_name(inv->models[m].pool)));
		json_object_object_add(o, "usable", json_object_new_boolean(inv->models[m].usable));
		json_object_object_add(models, sevslot_model_name(m), o);
	}
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++)
		if (inv->pools[p].present)
			json_object_object_add(pools, sevslot_pool_name(p), pool_json(inv, &inv->pools[p]));
	json_object_object_add(root, "models", models);
	json_object_object_add(root, "pools", pools);
	return root;
}

/* One child provider per usable model, named as nova names them. */
static json_object *placement_json(const struct sv_inventory *inv, const char *hostname)
{
	json_object *root = json_object_new_object(), *providers = json_object_new_array();

	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++) {
		const struct sv_inventory_pool *p = &inv->pools[inv->models[m].pool];
		json_object *rp, *traits, *inventories, *ctx;
		char name[512], *suffix;

		if (!inv->models[m].usable)
			continue;
		snprintf(name, sizeof(name), "%s_%s", hostname, sevslot_model_name(m));
		for (suffix = name + strlen(hostname); *suffix != '\0'; suffix++)
			if (*suffix == '-')
				*suffix = '_';
		rp = json_object_new_object();
		json_object_object_add(rp, "name", json_object_new_string(name));
		json_object_object_add(rp, "parent_provider_name", json_object_new_string(hostname));
		traits = json_object_new_array();
		json_object_array_add(traits, json_object_new_string(sevslot_model_trait(m)));
		json_object_object_add(rp, "traits", traits);
		ctx = json_object_new_object();
		json_object_object_add(ctx, "total", json_object_new_int64(p->total));
		json_object_object_add(ctx, "reserved", json_object_new_int64(p->reserved));
		json_object_object_add(ctx, "min_unit", json_object_new_int(1));
		json_object_object_add(ctx, "max_unit", json_object_new_int(1));
		json_object_object_add(ctx, "step_size", json_object_new_int(1));
		json_object_object_add(ctx, "allocation_ratio", json_object_new_double(1.0));
		inventories = json_object_new_object();
		json_object_object_add(inventories, "MEM_ENCRYPTION_CONTEXT", ctx);
		json_object_object_add(rp, "inventories", inventories);
		json_object_array_add(providers, rp);
	}
	json_object_object_add(root, "providers", providers);
	return root;
}

static int render_json(json_object *o, char **out)
{
	*out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							JSON_C_TO_STRING_SPACED |
							JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return *out != NULL ? 0 : -ENOMEM;
}

/*
 * NFD's names (its cpu source reads misc.capacity into these): a file for
 * /etc/kubernetes/node-feature-discovery/features.d/, one label a line.
 */
static void nfd(FILE *f, const struct sv_inventory *inv)
{
	const struct sv_inventory_pool *pools = inv->pools;

	fputs("# sevslot inventory --format nfd: a Node Feature Discovery local feature file\n", f);
	fprintf(f, "cpu-security.sev.enabled=%s\n",
		inv->models[SEVSLOT_MODEL_SEV].usable ? "true" : "false");
	fprintf(f, "cpu-security.sev.es.enabled=%s\n",
		inv->models[SEVSLOT_MODEL_SEV_ES].usable ? "true" : "false");
	fprintf(f, "cpu-security.sev.snp.enabled=%s\n",
		inv->models[SEVSLOT_MODEL_SEV_SNP].usable ? "true" : "false");
	fprintf(f, "cpu-security.sev.asids=%u\n", pools[SEVSLOT_POOL_SEV].capacity);
	fprintf(f, "cpu-security.sev.encrypted_state_ids=%u\n",
		pools[SEVSLOT_POOL_SEV_ES].capacity + pools[SEVSLOT_POOL_SEV_SNP].capacity);
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

SEVSLOT_EXPORT int sevslot_inventory_render(const struct sevslot_host *host,
					    const struct sevslot_config *config,
					    const struct sevslot_pool_usage *usage,
					    const char *hostname,
					    enum sevslot_inventory_format format, char **out)
{
	struct sv_inventory inv;
	size_t len;
	FILE *f;

	*out = NULL;
	sv_inventory_compute(host, config, usage, &inv);
	switch (format) {
	case SEVSLOT_INVENTORY_JSON:
		return render_json(own_json(&inv), out);
	case SEVSLOT_INVENTORY_PLACEMENT:
		return render_json(placement_json(&inv, hostname != NULL ? hostname : "localhost"), out);
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
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}
