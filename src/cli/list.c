/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot list [--json]: each pool's capacity, allocated and free slots, then
 * every allocation. Read-only when the caller may not write the ledger.
 */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"
#include "output.h"

static int run(const struct cli_command *cmd, struct cli *cli, int argc, char **argv)
{
	struct sevslot_pool_usage usage[SEVSLOT_POOL_COUNT];
	struct sevslot_config *config = NULL;
	struct sevslot_ledger *ledger = NULL;
	struct cli_rows rows = { NULL, 0, 0, false };
	char *text = NULL;
	int code, err;

	if ((code = cli_getopt(cmd, cli, &argc, &argv)) >= 0 ||
	    (code = cli_operands(cmd, argc, argv, 0)) >= 0 ||
	    (code = cli_open_ledger(cli, true, &config, &ledger)) >= 0)
		return code;
	if ((err = sevslot_ledger_usage(ledger, usage)) < 0 ||
	    (err = sevslot_ledger_foreach(ledger, cli_rows_add, &rows)) != 0) {
		code = rows.oom ? cli_error(EX_SOFTWARE, "list: out of memory") :
					cli_ledger_fail(ledger, err);
		goto out;
	}
	err = sv_format_list(sevslot_ledger_path(ledger), usage, rows.a, rows.n, cli->json, &text);
	if ((code = cli_print(cmd, err, text)) < 0)
		code = EX_OK;
out:
	free(rows.a);
	cli_close_ledger(config, ledger);
	return code;
}

const struct cli_command cli_list_cmd = {
	.name = "list",
	.args = "",
	.summary = "each pool's capacity and use, and every allocation",
	.json = "print {\"ledger\", \"pools\": {POOL: {capacity, allocated, free}},\n"
		"\"allocations\": [{consumer, model, pool, slot, allocated_at, boot_id}]}",
	.details = "Exit 0; 74 ledger unreadable or absent; 78 bad configuration.\n",
	.run = run,
};
