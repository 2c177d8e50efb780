/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot release CONSUMER: free the consumer's slot. Exit 0 whether or not it
 * held one (--json: {"released": true|false}), so a retry is always safe.
 */
#include <json-c/json.h>
#include <stdio.h>

#include "cli.h"

static const char help[] =
	"  --json   print {\"released\": true|false}\n"
	"Exit 0 whether or not CONSUMER held a slot; 65 bad consumer id; 75 ledger locked.\n";

int cmd_release(struct cli *cli, int argc, char **argv)
{
	struct sevslot_config *config;
	struct sevslot_ledger *ledger;
	bool released;
	int code, err;

	code = cli_getopt(cli, &argc, &argv, "release", NULL, help);
	if (code >= 0)
		return code;
	if (argc != 1)
		return cli_error(EX_USAGE, "release: expected one CONSUMER; see 'sevslot release --help'");
	if (!sevslot_consumer_is_valid(argv[0]))
		return cli_error(EX_DATAERR, "release: consumer id must be 1 to 255 bytes of "
				 "printable ASCII without spaces");
	code = cli_open_ledger(cli, false, &config, &ledger);
	if (code >= 0)
		return code;
	err = sevslot_ledger_release(ledger, argv[0], &released);
	code = EX_OK;
	if (err < 0) {
		code = cli_ledger_fail(ledger, err);
	} else if (cli->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "released", json_object_new_boolean(released));
		cli_json_print(o, false);
	} else {
		printf(released ? "released %s\n" : "%s held no slot\n", argv[0]);
	}
	cli_close_ledger(config, ledger);
	return code;
}
