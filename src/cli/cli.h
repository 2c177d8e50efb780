/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command-line tool: shared options, the commands, and the one place
 * where errors become exit codes (sysexits(3), as DESIGN.md lists them).
 * Commands print only what the output layer renders (src/output.h).
 */
#ifndef SEVSLOT_CLI_H
#define SEVSLOT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <sysexits.h>

#include "sevslot.h"

struct cli {
	const char *sysroot;   /* --sysroot DIR, or NULL */
	const char *ledger;    /* --ledger PATH, SEVSLOT_LEDGER, or NULL */
	const char *config;    /* --config PATH, or NULL */
	bool json;             /* --json, before or after the command */
	struct sevslot_ctx *ctx;
};

/*
 * A command's own option, --name: a flag, a value, or a repeatable value.
 * Its help line is generated from `arg` and `help`, so the help and the
 * parser cannot disagree.
 */
struct cli_opt {
	const char *name;
	const char *arg;       /* the value's name in the help ("MODEL"); NULL: a flag */
	const char *help;      /* one line; '\n' starts another, indented */
	bool *flag;            /* a flag: set to true when given */
	const char **value;    /* a value: set to the option's argument */
	bool required;         /* the command refuses to run without it */
	const char **many;     /* repeatable: arguments appended, NULL-terminated */
	size_t *count;         /* ... how many so far */
	size_t max;            /* ... room in `many`, the terminator excluded */
};

struct cli_command {
	const char *name;      /* one word, or two for a subcommand ("domain check") */
	const char *args;      /* operands after the name, for the synopsis ("CONSUMER") */
	const struct cli_opt *opts; /* its own options (NULL-name terminated), or NULL */
	const char *summary;   /* one line, for 'sevslot --help' */
	const char *json;      /* what --json prints */
	const char *details;   /* after the options: what it checks, its exit codes */
	int (*run)(const struct cli_command *cmd, struct cli *cli, int argc, char **argv);
	/*
	 * Or NULL: called before the library is set up (no context, capabilities
	 * not yet limited), for a command whose common case must cost no more than
	 * starting the process (libvirt-hook). It must open nothing; it returns an
	 * exit code to end there, or -1 for run() to follow.
	 */
	int (*early)(const struct cli_command *cmd, int argc, char **argv);
	bool literal;          /* operands are taken as they are, options too (libvirt-hook) */
};

extern const struct cli_command cli_probe_cmd, cli_snapshot_cmd, cli_allocate_cmd,
	cli_release_cmd, cli_list_cmd, cli_audit_cmd, cli_reconcile_cmd, cli_inventory_cmd,
	cli_request_cmd, cli_launch_security_cmd, cli_domain_check_cmd, cli_domain_apply_cmd,
	cli_libvirt_hook_cmd;

/* --------------------------------------------------------- errors (error.c) */

/* Print "sevslot: <what>" to stderr and return `code`. */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Map a library error (negative errno) to an exit code. */
int cli_exit_code(int err);
/* Report a library failure: "<command>: " and the context's message (or strerror). */
int cli_fail(const struct cli_command *cmd, struct cli *cli, int err);
/* Report a ledger failure: its message, and the exit code its errno maps to. */
int cli_ledger_fail(const struct sevslot_ledger *ledger, int err);
/* Report a configuration failure: exit 78, or 70 when out of memory. */
int cli_config_fail(struct cli *cli, int err);

/* ---------------------------------------------- options and output (common.c) */

/*
 * Parse --json, --help and the command's own options. Returns -1 to go on,
 * with argc/argv past the options, or an exit code (help printed: 0).
 */
int cli_getopt(const struct cli_command *cmd, struct cli *cli, int *argc, char ***argv);
/* "allocate CONSUMER [--model MODEL]": the command's synopsis, from its table. */
void cli_synopsis(const struct cli_command *cmd, char *buf, size_t len);
/* Exit 64 unless exactly `want` operands remain. */
int cli_operands(const struct cli_command *cmd, int argc, char **argv, int want);
/*
 * Print what the output layer rendered (err 0), adding a final newline when
 * it lacks one, and free it; out of memory is exit 70. Returns -1 or a code.
 */
int cli_print(const struct cli_command *cmd, int err, char *text);
/*
 * Write `text` (and a final newline when it lacks one) to `path` so that a
 * reader sees the old file or the new one, never part of either: a dot file
 * in the same directory (node_exporter reads only *.prom, NFD skips dot
 * files), written, fsynced, renamed over `path`, the directory fsynced. An
 * existing `path` must be a regular file (its mode is kept); a symlink,
 * device or directory is refused. Returns -1, or the exit code after one line
 * on stderr; on failure `path` is as it was and no temporary file is left.
 */
int cli_write_atomically(const struct cli_command *cmd, const char *path, const char *text);
/*
 * Print exactly `len` bytes the output layer rendered (a document that must
 * come out as it is: no newline added), and free it. Returns -1 or a code.
 */
int cli_print_exact(const struct cli_command *cmd, int err, char *text, size_t len);
/*
 * Read FILE ("-": standard input) whole, at most `max` bytes: -1 with *out
 * (NUL-terminated) and *len, or an exit code after saying why: 66 FILE
 * cannot be opened, 65 larger than `max`, 74 a read that failed.
 */
int cli_read_input(const struct cli_command *cmd, const char *file, size_t max, char **out,
		   size_t *len);
/* A consumer id the command was given: exit 65 with the rule when invalid, else -1. */
int cli_check_consumer(const struct cli_command *cmd, const char *consumer);
/* Probe the host; every capability is dropped once the sources are read. */
int cli_probe(struct cli *cli, unsigned flags, struct sevslot_host **out);
/*
 * Before any command runs (main.c): keep only the capabilities a command can
 * need before cli_probe drops the rest, and empty the bounding set. Returns
 * -1, or an exit code when the capabilities cannot be changed.
 */
int cli_limit_caps(void);

/* ------------------------------------------------- ledger commands (ledger.c) */

/*
 * Load the configuration and open the ledger for writing; when that is not
 * permitted and `may_read_only`, read-only. Returns -1 on success, else the
 * exit code after printing why.
 */
int cli_open_ledger(struct cli *cli, bool may_read_only, struct sevslot_config **config,
		    struct sevslot_ledger **ledger);
void cli_close_ledger(struct sevslot_config *config, struct sevslot_ledger *ledger);

/* Allocations gathered from the ledger's callbacks, for one rendering. */
struct cli_rows {
	struct sevslot_allocation *a;
	size_t n, cap;
	bool oom;              /* the list stops short of what the ledger gave */
};

/* A sevslot_allocation_fn appending to the struct cli_rows `data`; -ENOMEM stops. */
int cli_rows_add(const struct sevslot_allocation *a, void *data);

#endif
