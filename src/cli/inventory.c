/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot inventory [--format text|json|placement|nfd|prometheus] [--host NAME]:
 * what this host offers schedulers, in the formats they already read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"

static const char help[] =
	"  --format FORMAT  text (default), json, placement (OpenStack Placement child\n"
	"                   providers <host>_amd_sev...), nfd (a Node Feature Discovery\n"
	"                   features.d file) or prometheus (text exposition)\n"
	"  --host NAME      the compute host's name for Placement (default: hostname)\n"
	"  --json           the same as --format json\n"
	"Allocated and free slots come from the ledger when it exists.\n"
	"Exit 0; 64 unknown format; 74 ledger unreadable; 78 bad configuration.\n";

/* Usage from the ledger, if there is one: -ENOENT when nothing was ever allocated. */
static int ledger_usage(struct cli *cli, const struct sevslot_config *config,
			struct sevslot_pool_usage usage[SEVSLOT_POOL_COUNT])
{
	struct sevslot_ledger *ledger;
	int err;

	err = sevslot_ledger_open(cli->ctx, cli->ledger, config, SEVSLOT_LEDGER_READONLY, &ledger);
	if (err == 0)
		err = sevslot_ledger_usage(ledger, usage);
	if (err < 0 && err != -ENOENT)
		cli_ledger_fail(ledger, err);
	sevslot_ledger_close(ledger);
	return err;
}

int cmd_inventory(struct cli *cli, int argc, char **argv)
{
	const char *format_name = "text", *hostname = NULL;
	const struct cli_opt opts[] = {
		{ .name = "format", .key = 'f', .value = &format_name },
		{ .name = "host", .key = 'H', .value = &hostname },
		{ .name = NULL },
	};
	struct sevslot_pool_usage usage[SEVSLOT_POOL_COUNT];
	enum sevslot_inventory_format format;
	struct sevslot_config *config;
	struct sevslot_host *host;
	char name[256], *text;
	bool have_usage;
	int code, err;

	code = cli_getopt(cli, &argc, &argv, "inventory", opts, help);
	if (code >= 0)
		return code;
	if (argc != 0)
		return cli_error(EX_USAGE, "inventory: unexpected argument '%s'", argv[0]);
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
	err = sevslot_config_load(cli->ctx, cli->config, &config);
	if (err < 0)
		return cli_config_fail(cli, err);
	err = ledger_usage(cli, config, usage);
	if (err < 0 && err != -ENOENT) {
		sevslot_config_free(config);
		return cli_exit_code(err);
	}
	have_usage = err == 0;
	code = EX_OK;
	err = sevslot_probe(cli->ctx, 0, &host);
	if (err < 0) {
		code = cli_fail(cli, err, "inventory");
	} else if (sevslot_inventory_render(host, config, have_usage ? usage : NULL, hostname,
					    format, &text) < 0) {
		code = cli_error(EX_SOFTWARE, "inventory: out of memory");
	} else {
		cli_puts(text);
		free(text);
	}
	sevslot_host_free(host);
	sevslot_config_free(config);
	return code;
}
