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

/* ---------------------------------------------- options and output (common.c) */

struct json_object;

/* A command's own option: --name (with a value when `value` or `many` is set). */
struct cli_opt {
	const char *name;
	int key;               /* getopt value; not 'j' or 'h' */
	const char **value;    /* set to the option's argument */
	bool *flag;            /* set to true when given */
	const char **many;     /* repeatable: arguments appended here, NULL-terminated */
	size_t *count;         /* ... how many so far */
	size_t max;            /* ... room in `many`, the terminator excluded */
};

const struct cli_command *cli_command_named(const char *name);
/*
 * Parse --json, --help and `extra` (NULL-name terminated). Returns -1 to go
 * on, with argc/argv past the options, or an exit code (help printed: 0).
 */
int cli_getopt(struct cli *cli, int *argc, char ***argv, const char *name,
	       const struct cli_opt *extra, const char *help);
/* Print a string followed by a newline unless it ends with one. */
void cli_puts(const char *s);
/* Print and free a JSON object: one line, or indented when `pretty`. */
void cli_json_print(struct json_object *o, bool pretty);

/* ------------------------------------------------- ledger commands (ledger.c) */

/*
 * Load the configuration and open the ledger for writing; when that is not
 * permitted and `may_read_only`, read-only. Returns -1 on success, else the
 * exit code after printing why.
 */
int cli_open_ledger(struct cli *cli, bool may_read_only, struct sevslot_config **config,
		    struct sevslot_ledger **ledger);
void cli_close_ledger(struct sevslot_config *config, struct sevslot_ledger *ledger);
/* Report a ledger failure: its message, and the exit code its errno maps to. */
int cli_ledger_fail(const struct sevslot_ledger *ledger, int err);
/* Report a configuration failure: exit 78, or 70 when out of memory. */
int cli_config_fail(struct cli *cli, int err);
struct json_object *cli_json_allocation(const struct sevslot_allocation *a);

int cmd_probe(struct cli *cli, int argc, char **argv);
int cmd_snapshot(struct cli *cli, int argc, char **argv);
int cmd_inventory(struct cli *cli, int argc, char **argv);
int cmd_request(struct cli *cli, int argc, char **argv);
int cmd_launch_security(struct cli *cli, int argc, char **argv);

int cmd_allocate(struct cli *cli, int argc, char **argv);
int cmd_release(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_audit(struct cli *cli, int argc, char **argv);
int cmd_reconcile(struct cli *cli, int argc, char **argv);

#endif
