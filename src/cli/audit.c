/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot audit [--json]: compare the ledger with the kernel and firmware.
 * Exit 0 when consistent, 65 (EX_DATAERR) when it finds drift, so that a
 * timer can alert; other codes are failures to audit at all.
 */
#include "cli.h"
#include "output.h"

static int run(const struct cli_command *cmd, struct cli *cli, int argc, char **argv)
{
	struct sevslot_config *config = NULL;
	struct sevslot_ledger *ledger = NULL;
	struct sevslot_host *host = NULL;
	struct sevslot_audit *audit = NULL;
	char *text = NULL;
	int code, err;

	if ((code = cli_getopt(cmd, cli, &argc, &argv)) >= 0 ||
	    (code = cli_operands(cmd, argc, argv, 0)) >= 0 ||
	    (code = cli_open_ledger(cli, true, &config, &ledger)) >= 0)
		return code;
	/* Not the allocate path: a full probe, firmware included. */
	if ((err = cli_probe(cli, 0, &host)) < 0) {
		code = cli_fail(cmd, cli, err);
		goto out;
	}
	if ((err = sevslot_ledger_audit(ledger, host, &audit)) < 0) {
		code = cli_ledger_fail(ledger, err);
		goto out;
	}
	err = sv_format_audit(sevslot_ledger_path(ledger), audit, cli->json, &text);
	if ((code = cli_print(cmd, err, text)) < 0)
		code = audit->consistent ? EX_OK : EX_DATAERR;
out:
	sevslot_audit_free(audit);
	sevslot_host_free(host);
	cli_close_ledger(config, ledger);
	return code;
}

const struct cli_command cli_audit_cmd = {
	.name = "audit",
	.args = "",
	.summary = "compare the ledger with the kernel and firmware (65 on drift)",
	.json = "print {\"ledger\", \"consistent\", \"pools\", \"counts\", \"findings\"}",
	.details =
		"Compares, per pool, the ledger's allocations with misc.current, the firmware's\n"
		"guest count and the SNP guest count; flags allocations from an earlier boot,\n"
		"pools over capacity and capacities written outside sevslot. Counts this host\n"
		"cannot give are shown as unknown.\n"
		"Exit 0 consistent; 65 drift found; 74 ledger unreadable; 78 bad configuration.\n",
	.run = run,
};
