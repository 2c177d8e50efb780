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

static const struct cli_command *const commands[] = {
	&cli_probe_cmd,	    &cli_snapshot_cmd,	&cli_allocate_cmd,  &cli_release_cmd,
	&cli_list_cmd,	    &cli_audit_cmd,	&cli_reconcile_cmd, &cli_inventory_cmd,
	&cli_request_cmd,   &cli_launch_security_cmd, &cli_domain_check_cmd, &cli_domain_apply_cmd,
	&cli_libvirt_hook_cmd,
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fputs("Usage: sevslot [--sysroot DIR] [--ledger PATH] [--config PATH] COMMAND [ARGS]\n"
	      "\n"
	      "The per-host source of truth for AMD SEV memory-encryption slots.\n"
	      "\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		char synopsis[256];

		cli_synopsis(commands[i], synopsis, sizeof(synopsis));
		fprintf(f, "  %s\n      %s\n", synopsis, commands[i]->summary);
	}
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

/* Whether argv names `cmd`: its one word, or both words of a subcommand ("domain check"). */
static bool matches(const struct cli_command *cmd, int argc, char **argv)
{
	const char *space = strchr(cmd->name, ' ');
	size_t n = space != NULL ? (size_t)(space - cmd->name) : strlen(cmd->name);

	if (strncmp(cmd->name, argv[0], n) != 0 || argv[0][n] != '\0')
		return false;
	return space == NULL || (argc > 1 && strcmp(space + 1, argv[1]) == 0);
}

/* No command by that name: say which subcommands its first word has, if any. */
static int unknown_command(int argc, char **argv)
{
	char subs[128] = "";
	size_t n = strlen(argv[0]), len = 0;

	for (size_t i = 0; i < N_COMMANDS; i++) {
		const char *name = commands[i]->name;

		if (strncmp(name, argv[0], n) == 0 && name[n] == ' ')
			len += (size_t)snprintf(subs + len, sizeof(subs) - len, "%s'%s'",
						len > 0 ? " or " : "", name + n + 1);
	}
	if (len == 0)
		return cli_error(EX_USAGE, "unknown command '%s'; see 'sevslot --help'", argv[0]);
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		for (size_t i = 0; i < N_COMMANDS; i++) {
			char synopsis[256];

			if (strncmp(commands[i]->name, argv[0], n) != 0 || commands[i]->name[n] != ' ')
				continue;
			cli_synopsis(commands[i], synopsis, sizeof(synopsis));
			printf("Usage: sevslot [GLOBAL OPTIONS] %s\n  %s; 'sevslot %s --help' says more\n",
			       synopsis, commands[i]->summary, commands[i]->name);
		}
		return EX_OK;
	}
	return cli_error(EX_USAGE, "%s: expected %s, got %s%s%s; see 'sevslot --help'", argv[0], subs,
			 argc > 1 ? "'" : "nothing", argc > 1 ? argv[1] : "", argc > 1 ? "'" : "");
}

/*
 * The library's warnings and notes (a limit capped, a capacity restored) are
 * the operator's to read once the command has done its work: they are kept
 * and printed on stderr when it succeeds. A failing command prints one line,
 * its error, as every failure does; debug lines go out as they come.
 * SEVSLOT_LOG chooses how much: info by default here.
 */
struct notes {
	FILE *f;
	char *text;
	size_t len;
};

static void log_stderr(void *data, int priority, const char *msg)
{
	struct notes *n = data;

	if (priority <= SEVSLOT_LOG_ERR)
		return;
	fprintf(priority < SEVSLOT_LOG_DEBUG && n->f != NULL ? n->f : stderr, "sevslot: %s%s\n",
		priority == SEVSLOT_LOG_WARNING ? "warning: " :
		priority == SEVSLOT_LOG_INFO ? "info: " : "debug: ", msg);
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
	const struct cli_command *cmd = NULL;
	struct notes notes = { .f = NULL };
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
	for (size_t i = 0; i < N_COMMANDS && cmd == NULL; i++)
		if (matches(commands[i], argc - optind, argv + optind))
			cmd = commands[i];
	if (cmd == NULL)
		return unknown_command(argc - optind, argv + optind);
	/* A subcommand's own arguments start at its second word. */
	if (strchr(cmd->name, ' ') != NULL)
		optind++;
	if (cmd->early != NULL && (code = cmd->early(cmd, argc - optind, argv + optind)) >= 0)
		return code;

	err = sevslot_new(&cli.ctx, cli.sysroot);
	if (err < 0)
		return cli_error(EX_USAGE, "--sysroot %s: %s", cli.sysroot, strerror(-err));
	notes.f = open_memstream(&notes.text, &notes.len);
	sevslot_set_log_fn(cli.ctx, log_stderr, &notes);
	if (getenv("SEVSLOT_LOG") == NULL)
		sevslot_set_log_priority(cli.ctx, SEVSLOT_LOG_INFO);
	/* One place, so that no command can forget: see also cli_probe. */
	if ((code = cli_limit_caps()) < 0)
		code = cmd->run(cmd, &cli, argc - optind, argv + optind);
	sevslot_free(cli.ctx);
	if (notes.f != NULL) {
		if (fclose(notes.f) == 0 && code == EX_OK)
			fputs(notes.text, stderr);
		free(notes.text);
	}
	if (fflush(stdout) != 0 && code == EX_OK)
		return cli_error(EX_IOERR, "cannot write to standard output: %s", strerror(errno));
	return code;
}
