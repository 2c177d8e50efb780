/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot snapshot DIR: record the live host as a sysroot.
 */
#include <json-c/json.h>
#include <stdio.h>

#include "cli.h"

static const char help[] =
	"Writes the files the probe reads into DIR (created, or empty), devices as text\n"
	"recordings, so that 'sevslot --sysroot DIR probe' repeats this host's report.\n"
	"Run it as root on the host to record the firmware and the SYSCFG MSR too.\n"
	"Exit 0; 64 with --sysroot; 65 DIR not empty; 74 DIR cannot be written.\n";

int cmd_snapshot(struct cli *cli, int argc, char **argv)
{
	int code, err;

	code = cli_getopt(cli, &argc, &argv, "snapshot", NULL, help);
	if (code >= 0)
		return code;
	if (argc != 1)
		return cli_error(EX_USAGE, "snapshot: expected one directory; see 'sevslot snapshot --help'");
	if (!sevslot_is_live(cli->ctx))
		return cli_error(EX_USAGE, "snapshot: records the live host; drop --sysroot");
	err = sevslot_snapshot(cli->ctx, argv[0]);
	if (err < 0)
		return cli_fail(cli, err, "snapshot");
	if (cli->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "snapshot", json_object_new_string(argv[0]));
		cli_json_print(o, false);
	} else {
		printf("recorded this host into %s; replay it with: sevslot --sysroot %s probe\n",
		       argv[0], argv[0]);
	}
	return EX_OK;
}
