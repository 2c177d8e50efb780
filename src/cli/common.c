/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every command shares: finding a command, parsing its options, and
 * printing text and JSON.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
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
		opts[n++] = (struct option){ o->name,
					     o->value != NULL || o->many != NULL ? required_argument :
										    no_argument,
					     NULL, o->key };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	/*
	 * Options may follow the operand (GNU order); "--" ends them. optind 0
	 * makes glibc start afresh instead of keeping main's "+" ordering.
	 */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(*argc, *argv, ":h", opts, NULL)) != -1) {
		const struct cli_opt *o;

		switch (c) {
		case 'j':
			cli->json = true;
			continue;
		case 'h':
			printf("Usage: sevslot [GLOBAL OPTIONS] %s %s\n%s.\n%s", cmd->name, cmd->args,
			       cmd->summary, help != NULL ? help : "");
			return EX_OK;
		case ':':
			return cli_error(EX_USAGE, "%s: option '%s' needs a value; see 'sevslot %s --help'",
					 name, (*argv)[optind - 1], name);
		case '?':
			return cli_error(EX_USAGE, "%s: unknown option '%s'; see 'sevslot %s --help'",
					 name, (*argv)[optind - 1], name);
		}
		for (o = extra; o != NULL && o->name != NULL; o++)
			if (o->key == c)
				break;
		if (o == NULL || o->name == NULL)
			return cli_error(EX_SOFTWARE, "%s: option table out of step", name);
		if (o->value != NULL)
			*o->value = optarg;
		if (o->many != NULL) {
			if (*o->count == o->max)
				return cli_error(EX_USAGE, "%s: more than %zu --%s options", name,
						 o->max, o->name);
			o->many[(*o->count)++] = optarg;
			o->many[*o->count] = NULL;
		}
		if (o->flag != NULL)
			*o->flag = true;
	}
	*argc -= optind;
	*argv += optind;
	return -1;
}

void cli_puts(const char *s)
{
	size_t n = strlen(s);

	fputs(s, stdout);
	if (n == 0 || s[n - 1] != '\n')
		putchar('\n');
}

void cli_json_print(struct json_object *o, bool pretty)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_SPACED);

	cli_puts(json_object_to_json_string_ext(o, flags));
	json_object_put(o);
}
