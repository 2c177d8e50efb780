/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Errors to exit codes, in one place. Every failure prints exactly one line to
 * stderr naming what failed and what to do about it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_error(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("sevslot: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int cli_exit_code(int err)
{
	switch (err) {
	case 0:
		return EX_OK;
	case -EINVAL:
	case -EBADMSG:
	case -EEXIST:
	case -ENAMETOOLONG:
		return EX_DATAERR;
	case -ENODEV:
	case -EOPNOTSUPP:
		return EX_UNAVAILABLE;
	case -EBUSY:       /* ledger still locked after the busy timeout */
	case -EAGAIN:      /* pool full */
		return EX_TEMPFAIL;
	case -EACCES:
	case -EPERM:
		return EX_NOPERM;
	case -ERANGE:      /* the configuration does not fit this host */
		return EX_CONFIG;
	case -EIO:
	case -EROFS:       /* read-only media: readers still read */
	case -EISDIR:
	case -ELOOP:
	case -ENOSPC:      /* the ledger's file system is full */
	case -ENOENT:
	case -ENOTDIR:
	case -EFBIG:
		return EX_IOERR;
	}
	return EX_SOFTWARE;
}

int cli_fail(const struct cli_command *cmd, struct cli *cli, int err)
{
	const char *msg = cli->ctx != NULL ? sevslot_errmsg(cli->ctx) : "";

	if (msg[0] != '\0')
		return cli_error(cli_exit_code(err), "%s: %s", cmd->name, msg);
	return cli_error(cli_exit_code(err), "%s: %s", cmd->name, strerror(-err));
}

int cli_ledger_fail(const struct sevslot_ledger *ledger, int err)
{
	const char *msg = sevslot_ledger_errmsg(ledger);

	if (err == -ERANGE && msg[0] != '\0')
		return cli_error(EX_CONFIG, "config %s; fix it, or name another file with --config",
				 msg);
	if (msg[0] != '\0')
		return cli_error(cli_exit_code(err), "%s", msg);
	return cli_error(cli_exit_code(err), "ledger: %s", strerror(-err));
}

int cli_config_fail(struct cli *cli, int err)
{
	const char *msg = sevslot_errmsg(cli->ctx);

	if (err == -ENOMEM)
		return cli_error(EX_SOFTWARE, "config: out of memory");
	if (err == -EIO)   /* a read that failed: an I/O error, not what the file says */
		return cli_error(EX_IOERR, "config %s", msg);
	if (msg[0] == '\0')
		msg = strerror(-err);
	return cli_error(EX_CONFIG, "config %s; fix it, or name another file with --config", msg);
}
