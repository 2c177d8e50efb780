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
	case -ENOSPC:
	case -EBUSY:
	case -EAGAIN:
		return EX_TEMPFAIL;
	case -EACCES:
	case -EPERM:
	case -EROFS:
		return EX_NOPERM;
	case -EIO:
	case -ENOENT:
	case -ENOTDIR:
	case -EFBIG:
		return EX_IOERR;
	}
	return EX_SOFTWARE;
}

int cli_fail(struct cli *cli, int err, const char *what)
{
	const char *msg = cli->ctx != NULL ? sevslot_errmsg(cli->ctx) : "";

	if (msg[0] != '\0')
		return cli_error(cli_exit_code(err), "%s: %s", what, msg);
	return cli_error(cli_exit_code(err), "%s: %s", what, strerror(-err));
}
