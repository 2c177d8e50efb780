/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot snapshot DIR: record the live host as a sysroot.
 */
#include "cli.h"
#include "output.h"

static int run(const struct cli_command *cmd, struct cli *cli, int argc, char **argv)
{
	char *text = NULL;
	int code, err;

	if ((code = cli_getopt(cmd, cli, &argc, &argv)) >= 0 ||
	    (code = cli_operands(cmd, argc, argv, 1)) >= 0)
		return code;
	if (!sevslot_is_live(cli->ctx))
		return cli_error(EX_USAGE, "snapshot: records the live host; drop --sysroot");
	err = sevslot_snapshot(cli->ctx, argv[0]);
	if (err < 0)
		return cli_fail(cmd, cli, err);
	err = sv_format_snapshot(argv[0], cli->json, &text);
	return (code = cli_print(cmd, err, text)) >= 0 ? code : EX_OK;
}

const struct cli_command cli_snapshot_cmd = {
	.name = "snapshot",
	.args = "DIR",
	.summary = "record this host's kernel interfaces into DIR (a sysroot)",
	.json = "print {\"snapshot\": DIR}",
	.details =
		"Writes the files the probe reads into DIR (created, or empty), devices as text\n"
		"recordings, so that 'sevslot --sysroot DIR probe' repeats this host's report.\n"
		"Run it as root on the host to record the firmware and the SYSCFG MSR too.\n"
		"DIR must be new or an empty directory of yours, never a symbolic link.\n"
		"Exit 0; 64 with --sysroot; 65 DIR not empty or a link; 74 DIR cannot be written;\n"
		"77 DIR owned by another user.\n",
	.run = run,
};
