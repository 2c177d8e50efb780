/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The library context: where kernel paths are read from, and where log lines
 * and the last error go. The library never prints; it hands lines to the
 * caller's callback.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ctx.h"

static int priority_from_env(void)
{
	static const struct {
		const char *name;
		int prio;
	} names[] = {
		{ "err", SEVSLOT_LOG_ERR },	  { "warning", SEVSLOT_LOG_WARNING },
		{ "info", SEVSLOT_LOG_INFO },	  { "debug", SEVSLOT_LOG_DEBUG },
	};
	const char *v = getenv("SEVSLOT_LOG");

	if (v == NULL)
		return SEVSLOT_LOG_ERR;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcasecmp(v, names[i].name) == 0)
			return names[i].prio;
	return SEVSLOT_LOG_ERR;
}

SEVSLOT_EXPORT int sevslot_new(struct sevslot_ctx **out, const char *sysroot)
{
	struct sevslot_ctx *ctx;
	bool live = sysroot == NULL || strcmp(sysroot, "/") == 0;

	*out = NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return -ENOMEM;
	ctx->live = live;
	ctx->log_priority = priority_from_env();
	if (!live) {
		ctx->sysroot = strdup(sysroot);
		if (ctx->sysroot == NULL) {
			free(ctx);
			return -ENOMEM;
		}
	}
	ctx->root_fd = open(live ? "/" : sysroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ctx->root_fd < 0) {
		int err = -errno;

		free(ctx->sysroot);
		free(ctx);
		return err;
	}
	*out = ctx;
	return 0;
}

SEVSLOT_EXPORT void sevslot_free(struct sevslot_ctx *ctx)
{
	if (ctx == NULL)
		return;
	close(ctx->root_fd);
	free(ctx->sysroot);
	free(ctx);
}

SEVSLOT_EXPORT void sevslot_set_log_fn(struct sevslot_ctx *ctx, sevslot_log_fn fn, void *data)
{
	ctx->log_fn = fn;
	ctx->log_data = data;
}

SEVSLOT_EXPORT void sevslot_set_log_priority(struct sevslot_ctx *ctx, int priority)
{
	ctx->log_priority = priority;
}

SEVSLOT_EXPORT bool sevslot_is_live(const struct sevslot_ctx *ctx)
{
	return ctx->live;
}

SEVSLOT_EXPORT const char *sevslot_errmsg(const struct sevslot_ctx *ctx)
{
	return ctx->errmsg;
}

static void SV_PRINTF(3, 0) vlog(struct sevslot_ctx *ctx, int priority, const char *fmt, va_list ap)
{
	char line[512];

	if (ctx->log_fn == NULL || priority > ctx->log_priority)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	ctx->log_fn(ctx->log_data, priority, line);
}

void sv_log(struct sevslot_ctx *ctx, int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(ctx, priority, fmt, ap);
	va_end(ap);
}

int sv_fail(struct sevslot_ctx *ctx, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->errmsg, sizeof(ctx->errmsg), fmt, ap);
	va_end(ap);
	sv_one_line(ctx->errmsg);
	sv_log(ctx, SEVSLOT_LOG_ERR, "%s", ctx->errmsg);
	return err;
}
