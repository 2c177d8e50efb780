/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot release CONSUMER: free the consumer's slot. Exit 0 whether or not it
 * held one, so a retry is always safe.
 */
#include "cli.h"
#include "output.h"

static int run(const struct cli_command *cmd, struct cli *cli, int argc, char **argv)
{
	struct sevslot_config *config = NULL;
	struct sevslot_ledger *ledger = NULL;
	char *text = NULL;
	bool released;
	int code, err;

	if ((code = cli_getopt(cmd, cli, &argc, &argv)) >= 0 ||
	    (code = cli_operands(cmd, argc, argv, 1)) >= 0 ||
	    (code = cli_check_consumer(cmd, argv[0])) >= 0 ||
	    (code = cli_open_ledger(cli, false, &config, &ledger)) >= 0)
		return code;
	err = sevslot_ledger_release(ledger, argv[0], &released);
	if (err < 0) {
		code = cli_ledger_fail(ledger, err);
		goto out;
	}
	err = sv_format_release(argv[0], released, cli->json, &text);
	if ((code = cli_print(cmd, err, text)) < 0)
		code = EX_OK;
out:
	cli_close_ledger(config, ledger);
	return code;
}

const struct cli_command cli_release_cmd = {
	.name = "release",
	.args = "CONSUMER",
	.summary = "free CONSUMER's slot (exit 0 whether or not it held one)",
	.json = "print {\"released\": true|false}",
	.details = "Exit 0 whether or not CONSUMER held a slot; 65 bad consumer id; 75 ledger locked.\n",
	.run = run,
};
