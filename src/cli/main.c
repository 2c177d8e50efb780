/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot [--sysroot DIR] [--ledger PATH] [--config PATH] COMMAND [ARGS]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const struct cli_command cli_commands[] = {
	{ "probe", "[--json]", "report, layer by layer, whether this host can run SEV guests",
	  cmd_probe },
	{ "snapshot", "DIR", "record this host's kernel interfaces into DIR (a sysroot)",
	  cmd_snapshot },
	{ "allocate", "CONSUMER [--model MODEL]",
	  "give CONSUMER the lowest free slot of MODEL's pool (default amd-sev)", cmd_allocate },
	{ "release", "CONSUMER", "free CONSUMER's slot (exit 0 whether or not it held one)",
	  cmd_release },
	{ "list", "[--json]", "each pool's capacity and use, and every allocation", cmd_list },
	{ "audit", "[--json]", "compare the ledger with the kernel and firmware (65 on drift)",
	  cmd_audit },
	{ "reconcile", "--live FILE [--dry-run]",
	  "release every allocation whose consumer is not in FILE (- for stdin)", cmd_reconcile },
	{ "inventory", "[--format FORMAT] [--host NAME]",
	  "slots per model for Placement, NFD, Prometheus or people", cmd_inventory },
	{ "request", "[--flavor K=V]... [--image K=V]...",
	  "turn hw:mem_encryption properties into a slot request", cmd_request },
	{ "launch-security", "[--model MODEL] [--policy P]",
	  "print libvirt's <launchSecurity> element for this host", cmd_launch_security },
	{ NULL, NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fputs("Usage: sevslot [--sysroot DIR] [--ledger PATH] [--config PATH] COMMAND [ARGS]\n"
	      "\n"
	      "The per-host source of truth for AMD SEV memory-encryption slots.\n"
	      "\n"
	      "Commands:\n",
	      f);
	for (const struct cli_command *c = cli_commands; c->name != NULL; c++)
		fprintf(f, "  %-15s %-34s %s\n", c->name, c->args, c->summary);
	fputs("\n"
	      "Options:\n"
	      "  --sysroot DIR   read every kernel path under DIR (a recorded host); never run CPUID\n"
	      "  --ledger PATH   the slot ledger (default /var/lib/sevslot/ledger.db, or $SEVSLOT_LEDGER)\n"
	      "  --config PATH   the configuration file (default /etc/sevslot/sevslot.conf)\n"
	      "  --json          print data as JSON (every command that prints data)\n"
	      "  -h, --help      show this help; 'sevslot COMMAND --help' for a command\n"
	      "  -V, --version   print the version\n"
	      "\n"
	      "Exit codes: 0 ok, 64 usage, 65 bad input data, 69 unavailable (SEV not usable),\n"
	      "70 internal error, 74 I/O error, 75 temporary (pool full, ledger locked),\n"
	      "77 permission denied, 78 bad configuration. See sevslot(1).\n",
	      f);
}

/* The CLI prints the library's errors itself; debug lines go to stderr. */
static void log_stderr(void *data, int priority, const char *msg)
{
	(void)data;
	if (priority > SEVSLOT_LOG_ERR)
		fprintf(stderr, "sevslot: debug: %s\n", msg);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sysroot", required_argument, NULL, 's' },
		{ "ledger", required_argument, NULL, 'l' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { .ledger = getenv("SEVSLOT_LEDGER") };
	const struct cli_command *cmd;
	int c, err, code;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			cli.sysroot = optarg;
			break;
		case 'l':
			cli.ledger = optarg;
			break;
		case 'c':
			cli.config = optarg;
			break;
		case 'j':
			cli.json = true;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf("sevslot %s\n", sevslot_version());
			return EX_OK;
		case ':':
			return cli_error(EX_USAGE, "option '%s' needs a value; see 'sevslot --help'",
					 argv[optind - 1]);
		default:
			return cli_error(EX_USAGE, "unknown option '%s'; see 'sevslot --help'",
					 argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_error(EX_USAGE, "no command given; see 'sevslot --help'");
	for (cmd = cli_commands; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, argv[optind]) == 0)
			break;
	if (cmd->name == NULL)
		return cli_error(EX_USAGE, "unknown command '%s'; see 'sevslot --help'", argv[optind]);

	err = sevslot_new(&cli.ctx, cli.sysroot);
	if (err < 0)
		return cli_error(EX_USAGE, "--sysroot %s: %s", cli.sysroot, strerror(-err));
	sevslot_set_log_fn(cli.ctx, log_stderr, NULL);
	code = cmd->run(&cli, argc - optind, argv + optind);
	sevslot_free(cli.ctx);
	if (fflush(stdout) != 0 && code == EX_OK)
		return cli_error(EX_IOERR, "cannot write to standard output: %s", strerror(errno));
	return code;
}
