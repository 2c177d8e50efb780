/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot audit [--json]: compare the ledger with the kernel and firmware.
 * Exit 0 when consistent, 65 (EX_DATAERR) when it finds drift, so that a
 * timer can alert; other codes are failures to audit at all.
 */
#include <json-c/json.h>
#include <stdio.h>

#include "cli.h"

static const char help[] =
	"Compares, per pool, the ledger's allocations with misc.current, the firmware's\n"
	"guest count and the SNP guest count; flags allocations from an earlier boot and\n"
	"pools over capacity. Counts this host cannot give are shown as unknown.\n"
	"  --json   print {\"ledger\", \"consistent\", \"pools\", \"counts\", \"findings\"}\n"
	"Exit 0 consistent; 65 drift found; 74 ledger unreadable; 78 bad configuration.\n";

static const char *const kinds[] = {
	[SEVSLOT_FINDING_STALE_BOOT] = "stale_boot",
	[SEVSLOT_FINDING_OVER_CAPACITY] = "over_capacity",
	[SEVSLOT_FINDING_LEDGER_AHEAD] = "ledger_ahead",
	[SEVSLOT_FINDING_HOST_AHEAD] = "host_ahead",
};

static json_object *pool_or_null(int pool)
{
	return pool < 0 ? NULL : json_object_new_string(sevslot_pool_name((enum sevslot_pool_id)pool));
}

static void print_json(const struct sevslot_ledger *ledger, const struct sevslot_audit *a)
{
	json_object *root = json_object_new_object(), *pools = json_object_new_object();
	json_object *counts = json_object_new_array(), *findings = json_object_new_array();

	json_object_object_add(root, "ledger", json_object_new_string(sevslot_ledger_path(ledger)));
	json_object_object_add(root, "consistent", json_object_new_boolean(a->consistent));
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "capacity", json_object_new_int64(a->pools[p].capacity));
		json_object_object_add(o, "host_capacity", json_object_new_int64(a->host_capacity[p]));
		json_object_object_add(o, "allocated", json_object_new_int64(a->pools[p].allocated));
		json_object_object_add(pools, sevslot_pool_name(p), o);
	}
	json_object_object_add(root, "pools", pools);
	for (size_t i = 0; i < a->n_counts; i++) {
		const struct sevslot_audit_count *c = &a->counts[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "source", json_object_new_string(c->source));
		json_object_object_add(o, "pool", pool_or_null(c->pool));
		json_object_object_add(o, "ledger", json_object_new_int64(c->ledger));
		json_object_object_add(o, "host", c->host < 0 ? NULL : json_object_new_int64(c->host));
		json_object_array_add(counts, o);
	}
	json_object_object_add(root, "counts", counts);
	for (size_t i = 0; i < a->n_findings; i++) {
		const struct sevslot_finding *f = &a->findings[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "kind", json_object_new_string(kinds[f->kind]));
		json_object_object_add(o, "source", json_object_new_string(f->source));
		json_object_object_add(o, "pool", pool_or_null(f->pool));
		json_object_object_add(o, "consumer",
				       f->consumer[0] ? json_object_new_string(f->consumer) : NULL);
		json_object_object_add(o, "ledger", json_object_new_int64(f->ledger));
		json_object_object_add(o, "host", json_object_new_int64(f->host));
		json_object_object_add(o, "message", json_object_new_string(f->message));
		json_object_array_add(findings, o);
	}
	json_object_object_add(root, "findings", findings);
	cli_json_print(root, true);
}

static void print_text(const struct sevslot_ledger *ledger, const struct sevslot_audit *a)
{
	printf("ledger %s\n\n%-8s %8s %13s %9s\n", sevslot_ledger_path(ledger), "pool", "capacity",
	       "host_capacity", "allocated");
	for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++)
		printf("%-8s %8u %13u %9u\n", sevslot_pool_name(p), a->pools[p].capacity,
		       a->host_capacity[p], a->pools[p].allocated);
	putchar('\n');
	for (size_t i = 0; i < a->n_counts; i++) {
		const struct sevslot_audit_count *c = &a->counts[i];
		char what[64];

		snprintf(what, sizeof(what), "%s%s%s", c->source, c->pool < 0 ? "" : " ",
			 c->pool < 0 ? "" : sevslot_pool_name((enum sevslot_pool_id)c->pool));
		if (c->host < 0)
			printf("%-20s ledger %4lld  host unknown\n", what, (long long)c->ledger);
		else
			printf("%-20s ledger %4lld  host %4lld  %s\n", what, (long long)c->ledger,
			       (long long)c->host, c->host == c->ledger ? "ok" : "DRIFT");
	}
	putchar('\n');
	for (size_t i = 0; i < a->n_findings; i++)
		printf("%s: %s\n", kinds[a->findings[i].kind], a->findings[i].message);
	if (a->consistent)
		printf("consistent: the ledger agrees with this host\n");
	else
		printf("drift: %zu finding%s\n", a->n_findings, a->n_findings == 1 ? "" : "s");
}

int cmd_audit(struct cli *cli, int argc, char **argv)
{
	struct sevslot_config *config;
	struct sevslot_ledger *ledger;
	struct sevslot_host *host;
	struct sevslot_audit *audit;
	int code, err;

	code = cli_getopt(cli, &argc, &argv, "audit", NULL, help);
	if (code >= 0)
		return code;
	if (argc != 0)
		return cli_error(EX_USAGE, "audit: unexpected argument '%s'", argv[0]);
	code = cli_open_ledger(cli, true, &config, &ledger);
	if (code >= 0)
		return code;
	/* Not the allocate path: a full probe, firmware included. */
	err = sevslot_probe(cli->ctx, sevslot_is_live(cli->ctx) ? SEVSLOT_PROBE_DROP_CAPS : 0, &host);
	if (err < 0) {
		code = cli_fail(cli, err, "audit: probe");
		cli_close_ledger(config, ledger);
		return code;
	}
	err = sevslot_ledger_audit(ledger, host, &audit);
	if (err < 0) {
		code = cli_ledger_fail(ledger, err);
	} else {
		if (cli->json)
			print_json(ledger, audit);
		else
			print_text(ledger, audit);
		code = audit->consistent ? EX_OK : EX_DATAERR;
		sevslot_audit_free(audit);
	}
	sevslot_host_free(host);
	cli_close_ledger(config, ledger);
	return code;
}
