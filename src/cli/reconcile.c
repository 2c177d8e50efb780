/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot reconcile --live FILE [--dry-run]: FILE (- for stdin) lists, one per
 * line, the consumer ids that really exist; every allocation of any other
 * consumer is released, in one transaction, each journaled.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char help[] =
	"  --live FILE   the consumer ids that exist, one per line (- reads stdin);\n"
	"                blank lines are ignored; an empty file releases everything\n"
	"  --dry-run     print what would be released; change nothing\n"
	"  --json        print {\"dry_run\", \"released\": [{consumer, model, pool, slot, ...}]}\n"
	"Exit 0 done; 64 no --live; 65 FILE unreadable or a line not a consumer id.\n";

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

/* Read FILE's ids; an exit code on failure, -1 when read. */
static int read_live(const char *file, struct live *l)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "re");
	const char *shown = f == stdin ? "(stdin)" : file;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	int code = -1;

	if (f == NULL)
		return cli_error(EX_DATAERR, "reconcile: --live %s: %s", file, strerror(errno));
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if ((size_t)len != strlen(line) || !sevslot_consumer_is_valid(line)) {
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
	if (code < 0 && ferror(f))
		code = cli_error(EX_DATAERR, "reconcile: --live %s: %s", shown, strerror(errno));
	free(line);
	if (f != stdin)
		fclose(f);
	return code;
}

struct out {
	bool json, dry_run;
	json_object *list;
};

static int report(const struct sevslot_allocation *a, void *data)
{
	struct out *o = data;

	if (o->json)
		json_object_array_add(o->list, cli_json_allocation(a));
	else
		printf("%s %s (%s, pool %s, slot %u)\n", o->dry_run ? "would release" : "released",
		       a->consumer, sevslot_model_name(a->model), sevslot_pool_name(a->pool), a->slot);
	return 0;
}

int cmd_reconcile(struct cli *cli, int argc, char **argv)
{
	const char *file = NULL;
	bool dry_run = false;
	const struct cli_opt opts[] = {
		{ .name = "live", .key = 'L', .value = &file },
		{ .name = "dry-run", .key = 'n', .flag = &dry_run },
		{ .name = NULL },
	};
	struct sevslot_config *config;
	struct sevslot_ledger *ledger;
	struct live live = { 0 };
	struct out out;
	int code, err;

	code = cli_getopt(cli, &argc, &argv, "reconcile", opts, help);
	if (code >= 0)
		return code;
	if (argc != 0)
		return cli_error(EX_USAGE, "reconcile: unexpected argument '%s'", argv[0]);
	if (file == NULL)
		return cli_error(EX_USAGE, "reconcile: --live FILE is required (- for stdin); "
				 "see 'sevslot reconcile --help'");
	if ((code = read_live(file, &live)) >= 0) {
		live_free(&live);
		return code;
	}
	code = cli_open_ledger(cli, dry_run, &config, &ledger);
	if (code >= 0) {
		live_free(&live);
		return code;
	}
	out = (struct out){ .json = cli->json, .dry_run = dry_run,
			    .list = cli->json ? json_object_new_array() : NULL };
	err = sevslot_ledger_reconcile(ledger, (const char *const *)live.ids, live.n,
				       dry_run ? SEVSLOT_RECONCILE_DRY_RUN : 0, report, &out);
	if (err < 0) {
		json_object_put(out.list);
		code = cli_ledger_fail(ledger, err);
	} else {
		if (cli->json) {
			json_object *root = json_object_new_object();

			json_object_object_add(root, "dry_run", json_object_new_boolean(dry_run));
			json_object_object_add(root, "released", out.list);
			cli_json_print(root, true);
		}
		code = EX_OK;
	}
	live_free(&live);
	cli_close_ledger(config, ledger);
	return code;
}
