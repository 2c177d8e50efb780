/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command-line tool: shared options, the command table and the one place
 * where errors become exit codes (sysexits(3), as DESIGN.md lists them).
 */
#ifndef SEVSLOT_CLI_H
#define SEVSLOT_CLI_H

#include <stdbool.h>
#include <sysexits.h>

#include "sevslot.h"

struct cli {
	const char *sysroot;   /* --sysroot DIR, or NULL */
	const char *ledger;    /* --ledger PATH, SEVSLOT_LEDGER, or NULL */
	const char *config;    /* --config PATH, or NULL */
	bool json;             /* --json, before or after the command */
	struct sevslot_ctx *ctx;
};

struct cli_command {
	const char *name;
	const char *args;      /* synopsis after the name */
	const char *summary;
	int (*run)(struct cli *cli, int argc, char **argv);
};

extern const struct cli_command cli_commands[];

/* Print "sevslot: <what>" to stderr and return `code`. */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Map a library error (negative errno) to an exit code. */
int cli_exit_code(int err);
/* Report a library failure on stderr: the context's message, or strerror. */
int cli_fail(struct cli *cli, int err, const char *what);
/* Parse a command's own options: only --json and --help are common. */
int cli_parse_common(struct cli *cli, int *argc, char ***argv, const struct cli_command *cmd);
/* Print a string followed by a newline unless it ends with one. */
void cli_puts(const char *s);

int cmd_probe(struct cli *cli, int argc, char **argv);
int cmd_snapshot(struct cli *cli, int argc, char **argv);

#endif
