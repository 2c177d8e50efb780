/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the ledger commands share: their options, the configuration, opening
 * the ledger, and JSON output.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const struct cli_command *cli_command_named(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int cli_getopt(struct cli *cli, int *argc, char ***argv, const char *name,
	       const struct cli_opt *extra, const char *help)
{
	const struct cli_command *cmd = cli_command_named(name);
	struct option opts[8];
	size_t n = 0;
	int c;

	opts[n++] = (struct option){ "json", no_argument, NULL, 'j' };
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	for (const struct cli_opt *o = extra; o != NULL && o->name != NULL && n < 7; o++)
		opts[n++] = (struct option){ o->name, o->value != NULL ? required_argument : no_argument,
					     NULL, o->key };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	/*
	 * Options may follow the operand (GNU order); "--" ends them. optind 0
	 * makes glibc start afresh instead of keeping main's "+" ordering.
	 */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(*argc, *argv, "h", opts, NULL)) != -1) {
		const struct cli_opt *o;

		switch (c) {
		case 'j':
			cli->json = true;
			continue;
		case 'h':
			printf("Usage: sevslot [GLOBAL OPTIONS] %s %s\n%s.\n%s", cmd->name, cmd->args,
			       cmd->summary, help != NULL ? help : "");
			return EX_OK;
		}
		for (o = extra; o != NULL && o->name != NULL; o++)
			if (o->key == c)
				break;
		if (o == NULL || o->name == NULL)
			return cli_error(EX_USAGE, "%s: unknown option or missing value; see "
					 "'sevslot %s --help'", name, name);
		if (o->value != NULL)
			*o->value = optarg;
		if (o->flag != NULL)
			*o->flag = true;
	}
	*argc -= optind;
	*argv += optind;
	return -1;
}

int cli_open_ledger(struct cli *cli, bool may_read_only, struct sevslot_config **config,
		    struct sevslot_ledger **ledger)
{
	int err;

	*ledger = NULL;
	err = sevslot_config_load(cli->ctx, cli->config, config);
	if (err < 0)
		return cli_config_fail(cli, err);
	err = sevslot_ledger_open(cli->ctx, cli->ledger, *config, 0, ledger);
	if (err < 0 && may_read_only && (err == -EACCES || err == -EPERM || err == -EROFS)) {
		/* A reader outside group sevslot, or a read-only file system. */
		sevslot_ledger_close(*ledger);
		err = sevslot_ledger_open(cli->ctx, cli->ledger, *config, SEVSLOT_LEDGER_READONLY,
					  ledger);
	}
	if (err < 0) {
		int code = cli_ledger_fail(*ledger, err);

		sevslot_ledger_close(*ledger);
		*ledger = NULL;
		sevslot_config_free(*config);
		*config = NULL;
		return code;
	}
	return -1;
}

void cli_close_ledger(struct sevslot_config *config, struct sevslot_ledger *ledger)
{
	sevslot_ledger_close(ledger);
	sevslot_config_free(config);
}

struct json_object *cli_json_allocation(const struct sevslot_allocation *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "consumer", json_object_new_string(a->consumer));
	json_object_object_add(o, "model", json_object_new_string(sevslot_model_name(a->model)));
	json_object_object_add(o, "pool", json_object_new_string(sevslot_pool_name(a->pool)));
	json_object_object_add(o, "slot", json_object_new_int64(a->slot));
	json_object_object_add(o, "allocated_at", json_object_new_string(a->allocated_at));
	json_object_object_add(o, "boot_id", a->boot_id[0] ? json_object_new_string(a->boot_id) : NULL);
	return o;
}

void cli_json_print(struct json_object *o, bool pretty)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_SPACED);

	cli_puts(json_object_to_json_string_ext(o, flags));
	json_object_put(o);
}
