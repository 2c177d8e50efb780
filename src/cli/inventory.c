/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot inventory [--format text|json|placement|nfd|prometheus] [--host NAME]
 *                   [--output FILE]:
 * what this host offers schedulers, in the formats they already read.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"

/*
 * Usage from the ledger, if there is one: -ENOENT when nothing was ever
 * allocated. A ledger that is there but cannot be read is an error, whatever
 * the reason (permission, corruption, a foreign file): the inventory cannot
 * say what is allocated, and 74 is what its help promises.
 */
static int ledger_usage(struct cli *cli, const struct sevslot_config *config,
			struct sevslot_pool_usage usage[SEVSLOT_POOL_COUNT])
{
	struct sevslot_ledger *ledger;
	int err;

	err = sevslot_ledger_open(cli->ctx, cli->ledger, config, SEVSLOT_LEDGER_READONLY, &ledger);
	if (err == 0)
		err = sevslot_ledger_usage(ledger, usage);
	if (err < 0 && err != -ENOENT)
		err = cli_error(EX_IOERR, "inventory: %s", sevslot_ledger_errmsg(ledger));
	sevslot_ledger_close(ledger);
	return err;
}

static const char *format_name = "text", *hostname, *output;
static bool ready_only;

static const struct cli_opt opts[] = {
	{ .name = "format", .arg = "FORMAT", .value = &format_name,
	  .help = "text (default), json, placement (OpenStack Placement child\n"
		  "providers <host>_amd_sev...), nfd (a Node Feature Discovery\n"
		  "features.d file) or prometheus (text exposition)" },
	{ .name = "host", .arg = "NAME", .value = &hostname,
	  .help = "the compute host's name for Placement (default: hostname)" },
	{ .name = "output", .arg = "FILE", .value = &output,
	  .help = "write FILE instead of standard output, atomically: a dot file\n"
		  "beside it, synced and renamed over it, so that node_exporter or\n"
		  "NFD never read half a file" },
	{ .name = "ready-only", .flag = &ready_only,
	  .help = "publish only models this host's QEMU and firmware can boot\n"
		  "('ready' in 'sevslot probe --json'): no guest is sent to a host\n"
		  "whose userspace cannot start it" },
	{ .name = NULL },
};

static int run(const struct cli_command *cmd, struct cli *cli, int argc, char **argv)
{
	struct sevslot_pool_usage usage[SEVSLOT_POOL_COUNT];
	enum sevslot_inventory_format format;
	struct sevslot_config *config = NULL;
	struct sevslot_host *host = NULL;
	char name[256], *text = NULL;
	bool have_usage;
	int code, err;

	if ((code = cli_getopt(cmd, cli, &argc, &argv)) >= 0 ||
	    (code = cli_operands(cmd, argc, argv, 0)) >= 0)
		return code;
	if (cli->json)
		format_name = "json";
	if (sevslot_inventory_format_from_name(format_name, &format) < 0)
		return cli_error(EX_USAGE, "inventory: unknown format '%s' (text, json, placement, nfd, prometheus)",
				 format_name);
	if (hostname == NULL) {
		if (gethostname(name, sizeof(name)) < 0)
			return cli_error(EX_OSERR, "inventory: cannot read the host name; give --host NAME");
		name[sizeof(name) - 1] = '\0';
		hostname = name;
	}
	if ((err = sevslot_config_load(cli->ctx, cli->config, &config)) < 0)
		return cli_config_fail(cli, err);
	err = ledger_usage(cli, config, usage);
	if (err > 0) {
		code = err;
		goto out;
	}
	have_usage = err == 0;
	if ((err = cli_probe(cli, 0, &host)) < 0) {
		code = cli_fail(cmd, cli, err);
		goto out;
	}
	/* The operator's limits against this host: warnings on stderr, or exit 78. */
	if ((err = sevslot_config_check(cli->ctx, config, host)) < 0) {
		code = cli_config_fail(cli, err);
		goto out;
	}
	err = sevslot_inventory_render_flags(host, config, have_usage ? usage : NULL, hostname, format,
					     ready_only ? SEVSLOT_INVENTORY_READY_ONLY : 0, &text);
	if (err == 0 && output != NULL) {
		code = cli_write_atomically(cmd, output, text);
		free(text);
	} else {
		code = cli_print(cmd, err, text);
	}
	if (code < 0)
		code = EX_OK;
out:
	sevslot_host_free(host);
	sevslot_config_free(config);
	return code;
}

const struct cli_command cli_inventory_cmd = {
	.name = "inventory",
	.args = "",
	.opts = opts,
	.summary = "slots per model for Placement, NFD, Prometheus or people",
	.json = "the same as --format json",
	.details =
		"Allocated and free slots come from the ledger when it exists; one that exists\n"
		"but cannot be read (permission, corruption, not a ledger) is an error. Each\n"
		"pool's limit is judged against this host: above what it reports, capped with\n"
		"a warning on stderr; for a pool no usable model draws on, or reserved above\n"
		"the total, exit 78.\n"
		"Exit 0; 64 unknown format, or --output names no regular file; 74 ledger\n"
		"unreadable, or FILE cannot be written (it is then left as it was); 78 bad\n"
		"configuration.\n",
	.run = run,
};
