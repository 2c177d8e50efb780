/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot reconcile --live FILE [--dry-run]: FILE (- for stdin) lists, one per
 * line, the consumer ids that really exist; every allocation of any other
 * consumer is released, in one transaction, each journaled.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"

struct live {
	char **ids;
	size_t n, cap;
};

static void live_free(struct live *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->ids[i]);
	free(l->ids);
}

/*
 * One line of at most `cap` - 2 bytes (a consumer id is at most 255) into
 * buf, without its line end: its length, -1 at the end of the input, -2 for
 * a line too long (the rest of it is not read), -3 for a failed read. A read
 * that fails is never taken for the end: releasing every consumer after it
 * would free slots of guests that still run.
 */
static ssize_t read_line(FILE *f, char *buf, size_t cap)
{
	size_t n = 0;
	int c = EOF;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (n + 2 >= cap)
			return -2;
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	if (c == EOF && ferror(f))
		return -3;
	if (c == EOF && n == 0)
		return -1;
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return (ssize_t)n;
}

/* Read FILE's ids; an exit code on failure, -1 when read. */
static int read_live(const char *file, struct live *l)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "re");
	const char *shown = f == stdin ? "(stdin)" : file;
	char line[258];
	ssize_t len;
	unsigned lineno = 0;
	int code = -1;

	if (f == NULL)
		return cli_error(EX_NOINPUT, "reconcile: --live %s: %s", file, strerror(errno));
	while ((len = read_line(f, line, sizeof(line))) != -1) {
		lineno++;
		if (len == -3) {
			code = cli_error(EX_IOERR, "reconcile: --live %s: cannot read after line %u: "
					 "%s; nothing released", shown, lineno - 1, strerror(errno));
			break;
		}
		if (len == 0)
			continue;
		if (len < 0 || (size_t)len != strlen(line) || !sevslot_consumer_is_valid(line)) {
			code = cli_error(EX_DATAERR, "reconcile: %s:%u: not a consumer id (1 to 255 "
					 "bytes of printable ASCII without spaces)", shown, lineno);
			break;
		}
		if (l->n == l->cap) {
			size_t ncap = l->cap ? l->cap * 2 : 64;
			char **ids = realloc(l->ids, ncap * sizeof(*ids));

			if (ids == NULL) {
				code = cli_error(EX_SOFTWARE, "reconcile: out of memory");
				break;
			}
			l->ids = ids;
			l->cap = ncap;
		}
		if ((l->ids[l->n] = strdup(line)) == NULL) {
			code = cli_error(EX_SOFTWARE, "reconcile: out of memory");
			break;
		}
		l->n++;
	}
	if (f != stdin)
		fclose(f);
	return code;
}

static const char *file;
static bool dry_run;

static const struct cli_opt opts[] = {
	{ .name = "live", .arg = "FILE", .value = &file, .required = true,
	  .help = "the consumer ids that exist, one per line (- reads stdin);\n"
		  "blank lines are ignored; an empty file releases everything" },
	{ .name = "dry-run", .flag = &dry_run, .help = "print what would be released; change nothing" },
	{ .name = NULL },
};

static int run(const struct cli_command *cmd, struct cli *cli, int argc, char **argv)
{
	struct sevslot_config *config = NULL;
	struct sevslot_ledger *ledger = NULL;
	struct live live = { NULL, 0, 0 };
	struct cli_rows gone = { NULL, 0, 0, false };
	char *text = NULL;
	int code, err;

	if ((code = cli_getopt(cmd, cli, &argc, &argv)) >= 0 ||
	    (code = cli_operands(cmd, argc, argv, 0)) >= 0)
		return code;
	if ((code = read_live(file, &live)) >= 0 ||
	    (code = cli_open_ledger(cli, dry_run, &config, &ledger)) >= 0)
		goto out;
	err = sevslot_ledger_reconcile(ledger, (const char *const *)live.ids, live.n,
				       dry_run ? SEVSLOT_RECONCILE_DRY_RUN : 0, cli_rows_add, &gone);
	if (err < 0) {
		code = cli_ledger_fail(ledger, err);
		goto out;
	}
	if (gone.n > 0 || cli->json) {
		err = sv_format_reconcile(gone.a, gone.n, dry_run, cli->json, &text);
		if ((code = cli_print(cmd, err, text)) >= 0)
			goto out;
	}
	code = gone.oom ? cli_error(EX_SOFTWARE, "reconcile: out of memory: the list above stops "
				    "short of what was %s", dry_run ? "to release" : "released") :
			  EX_OK;
out:
	free(gone.a);
	live_free(&live);
	cli_close_ledger(config, ledger);
	return code;
}

const struct cli_command cli_reconcile_cmd = {
	.name = "reconcile",
	.args = "",
	.opts = opts,
	.summary = "release every allocation whose consumer is not in FILE (- for stdin)",
	.json = "print {\"dry_run\", \"released\": [{consumer, model, pool, slot, ...}]}",
	.details = "Exit 0 done; 64 no --live; 65 a line not a consumer id; 66 FILE cannot be\n"
		   "opened; 74 a read of FILE that failed (nothing is released).\n",
	.run = run,
};
