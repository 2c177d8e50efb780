/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot snapshot DIR: record the live host as a sysroot.
 */
#include <stdio.h>

#include "cli.h"

int cmd_snapshot(struct cli *cli, int argc, char **argv)
{
	int code, err;

	code = cli_parse_common(cli, &argc, &argv, &cli_commands[1]);
	if (code >= 0)
		return code;
	if (argc != 1)
		return cli_error(EX_USAGE, "snapshot: expected one directory; see 'sevslot snapshot --help'");
	if (!sevslot_is_live(cli->ctx))
		return cli_error(EX_USAGE, "snapshot: records the live host; drop --sysroot");
	err = sevslot_snapshot(cli->ctx, argv[0]);
	if (err < 0)
		return cli_fail(cli, err, "snapshot");
	if (cli->json)
		printf("{\"snapshot\": \"%s\"}\n", argv[0]);
	else
		printf("recorded this host into %s; replay it with: sevslot --sysroot %s probe\n",
		       argv[0], argv[0]);
	return EX_OK;
}
