/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot allocate CONSUMER [--model amd-sev|amd-sev-es|amd-sev-snp]: print
 * the slot given (lowest free, from 0). Again for the same consumer and model:
 * the same slot, created false.
 */
#include "cli.h"
#include "output.h"

static const char *model_name = "amd-sev";

static const struct cli_opt opts[] = {
	{ .name = "model", .arg = "MODEL", .value = &model_name,
	  .help = "amd-sev (default), amd-sev-es or amd-sev-snp" },
	{ .name = NULL },
};

static int run(const struct cli_command *cmd, struct cli *cli, int argc, char **argv)
{
	struct sevslot_config *config = NULL;
	struct sevslot_ledger *ledger = NULL;
	struct sevslot_allocation a;
	enum sevslot_model model;
	char *text = NULL;
	bool created;
	int code, err;

	if ((code = cli_getopt(cmd, cli, &argc, &argv)) >= 0 ||
	    (code = cli_operands(cmd, argc, argv, 1)) >= 0)
		return code;
	if (sevslot_model_from_name(model_name, &model) < 0)
		return cli_error(EX_USAGE, "allocate: unknown model '%s' (amd-sev, amd-sev-es, amd-sev-snp)",
				 model_name);
	if ((code = cli_check_consumer(cmd, argv[0])) >= 0 ||
	    (code = cli_open_ledger(cli, false, &config, &ledger)) >= 0)
		return code;
	err = sevslot_ledger_allocate(ledger, argv[0], model, &a, &created);
	if (err < 0) {
		code = cli_ledger_fail(ledger, err);
		goto out;
	}
	err = sv_format_allocate(&a, created, cli->json, &text);
	if ((code = cli_print(cmd, err, text)) < 0)
		code = EX_OK;
out:
	cli_close_ledger(config, ledger);
	return code;
}

const struct cli_command cli_allocate_cmd = {
	.name = "allocate",
	.args = "CONSUMER",
	.opts = opts,
	.summary = "give CONSUMER the lowest free slot of MODEL's pool (default amd-sev)",
	.json = "print {\"consumer\", \"model\", \"pool\", \"slot\", \"created\"}",
	.details =
		"Exit 0 with the slot; 65 bad consumer id or a slot of another model held;\n"
		"69 this host cannot run the model; 75 pool full or ledger locked.\n",
	.run = run,
};
