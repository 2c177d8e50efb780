/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot probe [--json]: exit 0 when some model is usable, 69 when none.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char help[] =
	"Checks the CPU (CPUID 0x8000001F), what the firmware enabled (SYSCFG, /proc/cpuinfo),\n"
	"KVM (kvm_amd parameters), the ASID pools (and misc.capacity) and the PSP (/dev/sev),\n"
	"then says which of amd-sev, amd-sev-es, amd-sev-snp this host can run.\n"
	"  --json   one object: cpu, kernel, firmware, pools, models, checks, usable\n"
	"Exit 0 when some model is usable, 69 when none; 65 a malformed recording under\n"
	"--sysroot; 74 (I/O) or 77 (permission) a kernel file that cannot be read.\n";

int cmd_probe(struct cli *cli, int argc, char **argv)
{
	struct sevslot_host *host;
	unsigned flags = 0;
	char *text;
	int err, code;

	code = cli_getopt(cli, &argc, &argv, "probe", NULL, help);
	if (code >= 0)
		return code;
	if (argc != 0)
		return cli_error(EX_USAGE, "probe: unexpected argument '%s'", argv[0]);
	/* Live: open the devices first, then give up every capability before parsing. */
	if (sevslot_is_live(cli->ctx))
		flags |= SEVSLOT_PROBE_DROP_CAPS;
	err = sevslot_probe(cli->ctx, flags, &host);
	if (err < 0)
		return cli_fail(cli, err, "probe");
	err = cli->json ? sevslot_host_to_json(host, &text) : sevslot_host_to_text(host, &text);
	if (err < 0) {
		sevslot_host_free(host);
		return cli_error(EX_SOFTWARE, "probe: out of memory");
	}
	cli_puts(text);
	free(text);
	code = host->usable ? EX_OK : EX_UNAVAILABLE;
	sevslot_host_free(host);
	return code;
}
