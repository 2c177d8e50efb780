/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The library context (ctx.c): the root every kernel path is read under, the
 * caller's log callback and the last failure. Every layer reports through it.
 */
#ifndef SEVSLOT_CTX_H
#define SEVSLOT_CTX_H

#include "sevslot.h"
#include "util.h"

struct sevslot_ctx {
	int root_fd;               /* directory every kernel path is read under */
	bool live;                 /* no sysroot: devices must be devices */
	char *sysroot;             /* NULL when live */
	sevslot_log_fn log_fn;
	void *log_data;
	int log_priority;
	char errmsg[512];
};

/* Log at `priority` through the callback, if the priority is enabled. */
void sv_log(struct sevslot_ctx *ctx, int priority, const char *fmt, ...) SV_PRINTF(3, 4)
	SV_NONNULL(1, 3);
/* Record a failure on ctx (kept for sevslot_errmsg, logged at ERR); returns err. */
int sv_fail(struct sevslot_ctx *ctx, int err, const char *fmt, ...) SV_PRINTF(3, 4)
	SV_NONNULL(1, 3);

#define dbg(ctx, ...) sv_log(ctx, SEVSLOT_LOG_DEBUG, __VA_ARGS__)

#endif
