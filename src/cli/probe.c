/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot probe [--json]: exit 0 when some model is usable, 69 when none.
 */
#include <stdio.h>

#include "cli.h"

static int run(const struct cli_command *cmd, struct cli *cli, int argc, char **argv)
{
	struct sevslot_host *host = NULL;
	char *text = NULL;
	int code, err;

	if ((code = cli_getopt(cmd, cli, &argc, &argv)) >= 0 ||
	    (code = cli_operands(cmd, argc, argv, 0)) >= 0)
		return code;
	err = cli_probe(cli, 0, &host);
	if (err < 0) {
		code = cli_fail(cmd, cli, err);
		goto out;
	}
	err = cli->json ? sevslot_host_to_json(host, &text) : sevslot_host_to_text(host, &text);
	if ((code = cli_print(cmd, err, text)) < 0)
		code = host->usable ? EX_OK : EX_UNAVAILABLE;
out:
	sevslot_host_free(host);
	return code;
}

const struct cli_command cli_probe_cmd = {
	.name = "probe",
	.args = "",
	.summary = "report, layer by layer, whether this host can run SEV guests",
	.json = "one object: cpu, kernel, firmware, pools, models, checks, usable",
	.details =
		"Checks the CPU (CPUID 0x8000001F), what the firmware enabled (SYSCFG, /proc/cpuinfo),\n"
		"KVM (kvm_amd parameters), the ASID pools (and misc.capacity) and the PSP (/dev/sev),\n"
		"then says which of amd-sev, amd-sev-es, amd-sev-snp this host can run.\n"
		"Exit 0 when some model is usable, 69 when none; 65 a malformed recording under\n"
		"--sysroot; 74 (I/O) or 77 (permission) a kernel file that cannot be read.\n",
	.run = run,
};
