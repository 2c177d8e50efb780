/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the ledger commands print: allocate, release, list, audit and
 * reconcile, as text for people and as sevslot's JSON. An allocation is the
 * same object wherever it appears (list, reconcile).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "output.h"

static const char *const finding_kinds[] = {
	[SEVSLOT_FINDING_STALE_BOOT] = "stale_boot",
	[SEVSLOT_FINDING_OVER_CAPACITY] = "over_capacity",
	[SEVSLOT_FINDING_LEDGER_AHEAD] = "ledger_ahead",
	[SEVSLOT_FINDING_HOST_AHEAD] = "host_ahead",
	[SEVSLOT_FINDING_CAPACITY_EDITED] = "capacity_edited",
};

const char *sv_finding_kind_name(enum sevslot_finding_kind kind)
{
	return (unsigned)kind < ARRAY_SIZE(finding_kinds) ? finding_kinds[kind] : "unknown";
}

static const char *pool_or_null(int pool)
{
	return pool < 0 ? NULL : sevslot_pool_name((enum sevslot_pool_id)pool);
}

static void allocation(struct sv_json *w, const struct sevslot_allocation *a)
{
	sv_json_object(w, NULL);
	sv_json_string(w, "consumer", a->consumer);
	sv_json_string(w, "model", sevslot_model_name(a->model));
	sv_json_string(w, "pool", sevslot_pool_name(a->pool));
	sv_json_int(w, "slot", a->slot);
	sv_json_string(w, "allocated_at", a->allocated_at);
	sv_json_string(w, "boot_id", a->boot_id[0] != '\0' ? a->boot_id : NULL);
	sv_json_end_object(w);
}

int sv_format_allocate(const struct sevslot_allocation *a, bool created, bool json, char **out)
{
	struct sv_json w = { .flat = true };

	if (!json)
		return sv_asprintf(out, "%u\n", a->slot);
	sv_json_object(&w, NULL);
	sv_json_string(&w, "consumer", a->consumer);
	sv_json_string(&w, "model", sevslot_model_name(a->model));
	sv_json_string(&w, "pool", sevslot_pool_name(a->pool));
	sv_json_int(&w, "slot", a->slot);
	sv_json_bool(&w, "created", created);
	sv_json_end_object(&w);
	return sv_json_finish(&w, out);
}

int sv_format_release(const char *consumer, bool released, bool json, char **out)
{
	struct sv_json w = { .flat = true };

	if (!json)
		return released ? sv_asprintf(out, "released %s\n", consumer) :
				  sv_asprintf(out, "%s held no slot\n", consumer);
	sv_json_object(&w, NULL);
	sv_json_bool(&w, "released", released);
	sv_json_end_object(&w);
	return sv_json_finish(&w, out);
}

static int list_text(const struct sevslot_pool_usage *usage, const struct sevslot_allocation *allocs,
		     size_t n, char **out)
{
	size_t len;
	FILE *f = open_memstream(out, &len);

	if (f == NULL)
		return -ENOMEM;
	fprintf(f, "%-8s %8s %9s %6s\n", "pool", "capacity", "allocated", "free");
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++)
		fprintf(f, "%-8s %8u %9u %6u\n", sevslot_pool_name(p), usage[p].capacity,
			usage[p].allocated, usage[p].free);
	fprintf(f, "\n%-24s %-12s %-8s %5s  %-24s  %s\n", "consumer", "model", "pool", "slot",
		"allocated_at", "boot_id");
	for (size_t i = 0; i < n; i++) {
		const struct sevslot_allocation *a = &allocs[i];

		fprintf(f, "%-24s %-12s %-8s %5u  %s  %s\n", a->consumer,
			sevslot_model_name(a->model), sevslot_pool_name(a->pool), a->slot,
			a->allocated_at, a->boot_id[0] ? a->boot_id : "-");
	}
	return sv_memstream_close(f, out);
}

int sv_format_list(const char *ledger, const struct sevslot_pool_usage usage[SEVSLOT_POOL_COUNT],
		   const struct sevslot_allocation *allocs, size_t n, bool json, char **out)
{
	struct sv_json w = { .depth = 0 };

	if (!json)
		return list_text(usage, allocs, n, out);
	sv_json_object(&w, NULL);
	sv_json_string(&w, "ledger", ledger);
	sv_json_object(&w, "pools");
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++) {
		sv_json_object(&w, sevslot_pool_name(p));
		sv_json_int(&w, "capacity", usage[p].capacity);
		sv_json_int(&w, "allocated", usage[p].allocated);
		sv_json_int(&w, "free", usage[p].free);
		sv_json_end_object(&w);
	}
	sv_json_end_object(&w);
	sv_json_array(&w, "allocations");
	for (size_t i = 0; i < n; i++)
		allocation(&w, &allocs[i]);
	sv_json_end_array(&w);
	sv_json_end_object(&w);
	return sv_json_finish(&w, out);
}

static int audit_json(const char *ledger, const struct sevslot_audit *a, char **out)
{
	struct sv_json w = { .depth = 0 };

	sv_json_object(&w, NULL);
	sv_json_string(&w, "ledger", ledger);
	sv_json_bool(&w, "consistent", a->consistent);
	sv_json_object(&w, "pools");
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++) {
		sv_json_object(&w, sevslot_pool_name(p));
		sv_json_int(&w, "capacity", a->pools[p].capacity);
		sv_json_int(&w, "host_capacity", a->host_capacity[p]);
		sv_json_int(&w, "allocated", a->pools[p].allocated);
		sv_json_end_object(&w);
	}
	sv_json_end_object(&w);
	sv_json_array(&w, "counts");
	for (size_t i = 0; i < a->n_counts; i++) {
		const struct sevslot_audit_count *c = &a->counts[i];

		sv_json_object(&w, NULL);
		sv_json_string(&w, "source", c->source);
		sv_json_string(&w, "pool", pool_or_null(c->pool));
		sv_json_int(&w, "ledger", c->ledger);
		if (c->host < 0)
			sv_json_null(&w, "host");
		else
			sv_json_int(&w, "host", c->host);
		sv_json_end_object(&w);
	}
	sv_json_end_array(&w);
	sv_json_array(&w, "findings");
	for (size_t i = 0; i < a->n_findings; i++) {
		const struct sevslot_finding *f = &a->findings[i];

		sv_json_object(&w, NULL);
		sv_json_string(&w, "kind", sv_finding_kind_name(f->kind));
		sv_json_string(&w, "source", f->source);
		sv_json_string(&w, "pool", pool_or_null(f->pool));
		sv_json_string(&w, "consumer", f->consumer[0] != '\0' ? f->consumer : NULL);
		sv_json_int(&w, "ledger", f->ledger);
		sv_json_int(&w, "host", f->host);
		sv_json_string(&w, "message", f->message);
		sv_json_end_object(&w);
	}
	sv_json_end_array(&w);
	sv_json_end_object(&w);
	return sv_json_finish(&w, out);
}

static int audit_text(const char *ledger, const struct sevslot_audit *a, char **out)
{
	size_t len;
	FILE *f = open_memstream(out, &len);

	if (f == NULL)
		return -ENOMEM;
	fprintf(f, "ledger %s\n\n%-8s %8s %13s %9s\n", ledger, "pool", "capacity", "host_capacity",
		"allocated");
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++)
		fprintf(f, "%-8s %8u %13u %9u\n", sevslot_pool_name(p), a->pools[p].capacity,
			a->host_capacity[p], a->pools[p].allocated);
	fputc('\n', f);
	for (size_t i = 0; i < a->n_counts; i++) {
		const struct sevslot_audit_count *c = &a->counts[i];
		char what[64];

		snprintf(what, sizeof(what), "%s%s%s", c->source, c->pool < 0 ? "" : " ",
			 c->pool < 0 ? "" : pool_or_null(c->pool));
		if (c->host < 0)
			fprintf(f, "%-20s ledger %4lld  host unknown\n", what, (long long)c->ledger);
		else
			fprintf(f, "%-20s ledger %4lld  host %4lld  %s\n", what, (long long)c->ledger,
				(long long)c->host, c->host == c->ledger ? "ok" : "DRIFT");
	}
	fputc('\n', f);
	for (size_t i = 0; i < a->n_findings; i++)
		fprintf(f, "%s: %s\n", sv_finding_kind_name(a->findings[i].kind),
			a->findings[i].message);
	if (a->consistent)
		fputs("consistent: the ledger agrees with this host\n", f);
	else
		fprintf(f, "drift: %zu finding%s\n", a->n_findings, a->n_findings == 1 ? "" : "s");
	return sv_memstream_close(f, out);
}

int sv_format_audit(const char *ledger, const struct sevslot_audit *audit, bool json, char **out)
{
	return json ? audit_json(ledger, audit, out) : audit_text(ledger, audit, out);
}

int sv_format_reconcile(const struct sevslot_allocation *released, size_t n, bool dry_run,
			bool json, char **out)
{
	struct sv_json w = { .depth = 0 };
	size_t len;
	FILE *f;

	if (json) {
		sv_json_object(&w, NULL);
		sv_json_bool(&w, "dry_run", dry_run);
		sv_json_array(&w, "released");
		for (size_t i = 0; i < n; i++)
			allocation(&w, &released[i]);
		sv_json_end_array(&w);
		sv_json_end_object(&w);
		return sv_json_finish(&w, out);
	}
	f = open_memstream(out, &len);
	if (f == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s %s (%s, pool %s, slot %u)\n", dry_run ? "would release" : "released",
			released[i].consumer, sevslot_model_name(released[i].model),
			sevslot_pool_name(released[i].pool), released[i].slot);
	return sv_memstream_close(f, out);
}
