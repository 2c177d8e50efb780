/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the ledger commands share: the configuration and opening the ledger.
 */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"

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

int cli_rows_add(const struct sevslot_allocation *a, void *data)
{
	struct cli_rows *r = data;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct sevslot_allocation *p = realloc(r->a, cap * sizeof(*p));

		if (p == NULL) {
			r->oom = true;
			return -ENOMEM;
		}
		r->a = p;
		r->cap = cap;
	}
	r->a[r->n++] = *a;
	return 0;
}
