/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Model-specific registers through /dev/cpu/0/msr (needs the msr module and
 * CAP_SYS_RAWIO), or a recording of lines "0xREGISTER 0xVALUE" under a
 * sysroot. Unreadable is a fact to report, not a failure of the probe: a
 * snapshot records it as "0xREGISTER -ERRNO", so the replay says the same.
 * A register the recording does not hold reads as -ENODATA, "not recorded".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sources.h"

int sv_msr_parse_recording(const char *text, size_t len, uint32_t reg, uint64_t *out,
			   int *read_err, char *why, size_t whylen)
{
	const char *p = text, *end = text + len;
	unsigned lineno = 0;
	bool found = false;

	if (whylen > 0)
		why[0] = '\0';
	*read_err = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		char line[96];
		size_t n = (size_t)(eol - p);
		const char *q;
		uint64_t r, v;
		bool failed;

		lineno++;
		p = eol + (nl != NULL);
		if (n >= sizeof(line)) {
			snprintf(why, whylen, "line %u: too long", lineno);
			return -EBADMSG;
		}
		memcpy(line, eol - n, n);
		line[n] = '\0';
		q = line + strspn(line, " \t");
		if (*q == '\0' || *q == '#')
			continue;
		if (strncmp(q, "0x", 2) != 0 || sv_parse_u64(q, &q, 16, &r) < 0 || r > UINT32_MAX ||
		    (*q != ' ' && *q != '\t')) {
			snprintf(why, whylen, "line %u: expected '0xREGISTER 0xVALUE'", lineno);
			return -EBADMSG;
		}
		q += strspn(q, " \t");
		failed = q[0] == '-';
		if (failed ? sv_parse_u64(q + 1, &q, 10, &v) < 0 || v == 0 || v > 4095 :
			     strncmp(q, "0x", 2) != 0 || sv_parse_u64(q, &q, 16, &v) < 0) {
			snprintf(why, whylen, "line %u: expected '0xREGISTER 0xVALUE' or '0xREGISTER -ERRNO'",
				 lineno);
			return -EBADMSG;
		}
		if (q[strspn(q, " \t\r")] != '\0') {
			snprintf(why, whylen, "line %u: expected '0xREGISTER 0xVALUE'", lineno);
			return -EBADMSG;
		}
		if (r == reg && !found) {
			found = true;
			if (failed)
				*read_err = -(int)v;  /* a recorded failure, whatever its errno */
			else
				*out = v;
		}
	}
	return found ? 0 : -ENODATA;
}

/*
 * Read `reg` into *out, or why it could not be read into *read_err (-ENODATA:
 * not recorded). Fails itself only for a malformed recording: -EBADMSG.
 */
static int read_reg(struct sevslot_ctx *ctx, uint32_t reg, uint64_t *out, int *read_err)
{
	const char *path = sv_inputs[SV_IN_MSR].path;
	const size_t max = 64 * 1024;
	struct sv_buf buf;
	char why[128];
	int err, fd;
	ssize_t n;
	enum sv_kind kind = sv_stat(ctx, path, &err);

	*read_err = 0;
	if (kind == SV_ABSENT) {
		*read_err = ctx->live ? err : -ENODATA;
		return 0;
	}
	if (kind == SV_REGULAR && !ctx->live) {
		if ((err = sv_read_recording(ctx, path, max, "an MSR recording", &buf)) < 0)
			return err;
		err = sv_msr_parse_recording(buf.data, buf.len, reg, out, read_err, why, sizeof(why));
		sv_buf_release(&buf);
		if (err == -EBADMSG)
			return sv_fail(ctx, err, "%s/%s: %s", ctx->sysroot, path, why);
		if (err == -ENODATA)
			*read_err = -ENODATA;
		return 0;
	}
	if (kind != SV_CHARDEV) {
		*read_err = -ENOTTY;
		return 0;
	}
	fd = sv_open(ctx, path, O_RDONLY);
	if (fd < 0) {
		*read_err = fd;
		return 0;
	}
	n = pread(fd, out, sizeof(*out), (off_t)reg);
	*read_err = n < 0 ? -errno : n != (ssize_t)sizeof(*out) ? -EIO : 0;
	close(fd);
	return 0;
}

/* SYSCFG: its value, or why it could not be read (-ENODATA: not recorded). */
int sv_msr_read(struct sevslot_ctx *ctx, struct sv_raw *raw)
{
	return read_reg(ctx, SV_MSR_SYSCFG, &raw->syscfg, &raw->msr_err);
}

/* An unreadable MSR is recorded as its errno, so the replay says the same. */
int sv_msr_record(const struct sv_raw *raw, char **out, size_t *len)
{
	int n;

	if (raw->msr_err == 0)
		n = asprintf(out, "0x%x 0x%llx\n", SV_MSR_SYSCFG, (unsigned long long)raw->syscfg);
	else
		n = asprintf(out, "0x%x %d\n", SV_MSR_SYSCFG, raw->msr_err);
	if (n < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	*len = (size_t)n;
	return 0;
}
