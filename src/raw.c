/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Phase one of a probe: read every input of the table (inputs.c) into
 * memory, decoding nothing. The same bytes are what `sevslot snapshot`
 * writes out, so a replayed snapshot sees exactly what the live probe saw.
 */
#include <errno.h>
#include <string.h>

#include "sources.h"

static void read_one(struct sevslot_ctx *ctx, const struct sv_input *in, const char *path,
		     struct sv_buf *b)
{
	int err;

	switch (in->kind) {
	case SV_INPUT_FILE:
		sv_read(ctx, path, in->max, false, b);
		break;
	case SV_INPUT_FIRST_RECORD:
		sv_read_first_record(ctx, path, in->max, b);
		break;
	case SV_INPUT_PRESENCE:
		memset(b, 0, sizeof(*b));
		if (sv_stat(ctx, path, &err) == SV_ABSENT)
			b->err = err < 0 ? err : -ENOENT;
		break;
	case SV_INPUT_DEVICE:
	case SV_INPUT_JSON_DIR:
		break;
	}
	b->path = path;
}

int sv_raw_read(struct sevslot_ctx *ctx, unsigned flags, struct sv_raw *raw)
{
	memset(raw, 0, sizeof(*raw));
	raw->flags = flags;
	raw->sev_open_err = -ENOENT;
	raw->msr_err = -ENODATA;
	for (unsigned id = 0; id < SV_IN_COUNT; id++) {
		const struct sv_input *in = &sv_inputs[id];
		struct sv_buf *b = &raw->in[id];
		int err;

		b->path = in->path;
		b->err = -ENOENT;
		raw->dirs[id].err = -ENOENT;
		if (!sv_input_wanted(id, flags))
			continue;
		if (in->read != NULL) {
			if ((err = in->read(ctx, raw)) < 0)
				return err;
			continue;
		}
		if (in->kind == SV_INPUT_JSON_DIR) {
			sv_read_dir(ctx, in->path, ".json", SV_FW_DESC_FILES, in->max, &raw->dirs[id]);
			continue;
		}
		read_one(ctx, in, in->path, b);
		/* An older layout (cgroup v1) keeps it elsewhere: the file that exists is named. */
		if (b->err == -ENOENT && in->legacy != NULL) {
			sv_buf_release(b);
			read_one(ctx, in, in->legacy, b);
			if (b->err == -ENOENT)
				b->path = in->path;
		}
	}
	return 0;
}

void sv_raw_release(struct sv_raw *raw)
{
	for (unsigned id = 0; id < SV_IN_COUNT; id++) {
		const char *path = raw->in[id].path;

		sv_buf_release(&raw->in[id]);
		raw->in[id].path = path;
		sv_dir_release(&raw->dirs[id]);
	}
}
