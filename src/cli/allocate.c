/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot allocate CONSUMER [--model amd-sev|amd-sev-es|amd-sev-snp]: print
 * the slot given (lowest free, from 0). Again for the same consumer and model:
 * the same slot, created false. Exit 65 bad consumer or another model held,
 * 69 a model this host cannot run, 75 pool full or ledger locked.
 */
#include <json-c/json.h>
#include <stdio.h>

#include "cli.h"

static const char help[] =
	"  --model MODEL   amd-sev (default), amd-sev-es or amd-sev-snp\n"
	"  --json          print {\"consumer\",\"model\",\"pool\",\"slot\",\"created\"}\n"
	"Exit 0 with the slot; 65 bad consumer id or a slot of another model held;\n"
	"69 this host cannot run the model; 75 pool full or ledger locked.\n";

int cmd_allocate(struct cli *cli, int argc, char **argv)
{
	const char *model_name = "amd-sev";
	const struct cli_opt opts[] = {
		{ .name = "model", .key = 'm', .value = &model_name },
		{ .name = NULL },
	};
	struct sevslot_config *config;
	struct sevslot_ledger *ledger;
	struct sevslot_allocation a;
	enum sevslot_model model;
	bool created;
	int code, err;

	code = cli_getopt(cli, &argc, &argv, "allocate", opts, help);
	if (code >= 0)
		return code;
	if (argc != 1)
		return cli_error(EX_USAGE, "allocate: expected one CONSUMER; see 'sevslot allocate --help'");
	if (sevslot_model_from_name(model_name, &model) < 0)
		return cli_error(EX_USAGE, "allocate: unknown model '%s' (amd-sev, amd-sev-es, amd-sev-snp)",
				 model_name);
	if (!sevslot_consumer_is_valid(argv[0]))
		return cli_error(EX_DATAERR, "allocate: consumer id must be 1 to 255 bytes of "
				 "printable ASCII without spaces");
	code = cli_open_ledger(cli, false, &config, &ledger);
	if (code >= 0)
		return code;
	err = sevslot_ledger_allocate(ledger, argv[0], model, &a, &created);
	code = EX_OK;
	if (err < 0) {
		code = cli_ledger_fail(ledger, err);
	} else if (cli->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "consumer", json_object_new_string(a.consumer));
		json_object_object_add(o, "model", json_object_new_string(sevslot_model_name(a.model)));
		json_object_object_add(o, "pool", json_object_new_string(sevslot_pool_name(a.pool)));
		json_object_object_add(o, "slot", json_object_new_int64(a.slot));
		json_object_object_add(o, "created", json_object_new_boolean(created));
		cli_json_print(o, false);
	} else {
		printf("%u\n", a.slot);
	}
	cli_close_ledger(config, ledger);
	return code;
}
