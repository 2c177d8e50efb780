/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot list [--json]: each pool's capacity, allocated and free slots, then
 * every allocation. Read-only when the caller may not write the ledger.
 */
#include <json-c/json.h>
#include <stdio.h>

#include "cli.h"

static const char help[] =
	"  --json   print {\"ledger\", \"pools\": {POOL: {capacity, allocated, free}},\n"
	"           \"allocations\": [{consumer, model, pool, slot, allocated_at, boot_id}]}\n";

static int print_row(const struct sevslot_allocation *a, void *data)
{
	(void)data;
	printf("%-24s %-12s %-8s %5u  %s  %s\n", a->consumer, sevslot_model_name(a->model),
	       sevslot_pool_name(a->pool), a->slot, a->allocated_at,
	       a->boot_id[0] ? a->boot_id : "-");
	return 0;
}

static int add_row(const struct sevslot_allocation *a, void *data)
{
	json_object_array_add(data, cli_json_allocation(a));
	return 0;
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
	struct sevslot_pool_usage usage[SEVSLOT_POOL_COUNT];
	struct sevslot_config *config;
	struct sevslot_ledger *ledger;
	json_object *root = NULL, *allocs = NULL;
	int code, err;

	code = cli_getopt(cli, &argc, &argv, "list", NULL, help);
	if (code >= 0)
		return code;
	if (argc != 0)
		return cli_error(EX_USAGE, "list: unexpected argument '%s'", argv[0]);
	code = cli_open_ledger(cli, true, &config, &ledger);
	if (code >= 0)
		return code;
	err = sevslot_ledger_usage(ledger, usage);
	if (err < 0)
		goto fail;
	if (cli->json) {
		json_object *pools = json_object_new_object();

		root = json_object_new_object();
		allocs = json_object_new_array();
		json_object_object_add(root, "ledger", json_object_new_string(sevslot_ledger_path(ledger)));
		for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "capacity", json_object_new_int64(usage[p].capacity));
			json_object_object_add(o, "allocated", json_object_new_int64(usage[p].allocated));
			json_object_object_add(o, "free", json_object_new_int64(usage[p].free));
			json_object_object_add(pools, sevslot_pool_name(p), o);
		}
		json_object_object_add(root, "pools", pools);
		json_object_object_add(root, "allocations", allocs);
		err = sevslot_ledger_foreach(ledger, add_row, allocs);
		if (err < 0)
			goto fail;
		cli_json_print(root, true);
		root = NULL;
	} else {
		printf("%-8s %8s %9s %6s\n", "pool", "capacity", "allocated", "free");
		for (unsigned p = 0; p < SEVSLOT_POOL_COUNT; p++)
			printf("%-8s %8u %9u %6u\n", sevslot_pool_name(p), usage[p].capacity,
			       usage[p].allocated, usage[p].free);
		printf("\n%-24s %-12s %-8s %5s  %-24s  %s\n", "consumer", "model", "pool", "slot",
		       "allocated_at", "boot_id");
		err = sevslot_ledger_foreach(ledger, print_row, NULL);
		if (err < 0)
			goto fail;
	}
	cli_close_ledger(config, ledger);
	return EX_OK;
fail:
	json_object_put(root);
	code = cli_ledger_fail(ledger, err);
	cli_close_ledger(config, ledger);
	return code;
}
