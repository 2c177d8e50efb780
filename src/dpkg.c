/* SPDX-License-Identifier: Apache-2.0 */
/*
 * QEMU's version, where it can be known without running anything: dpkg's
 * status file (Debian, Ubuntu) names the installed qemu-system-x86 and its
 * version. QEMU itself is never executed, live or under a sysroot (a
 * sysroot's binary is untrusted, and `qemu --version` costs more than the
 * whole probe). Elsewhere (RPM's database is a binary format; a QEMU built
 * from source is in no database) the version is unknown, and said so.
 *
 * Only the stanza of QEMU's package is kept, so that a snapshot records (and
 * a replay reads) a few hundred bytes rather than every package's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources.h"

int sv_dpkg_stanza(const char *data, size_t len, const char *package, size_t *at, size_t *slen)
{
	char key[96], status[96];
	size_t klen = (size_t)snprintf(key, sizeof(key), "Package: %s\n", package);
	const char *p = data, *end = data + len;

	if (klen >= sizeof(key))
		return -ENOENT;
	while (p < end) {
		const char *hit = memmem(p, (size_t)(end - p), key, klen), *stop;

		if (hit == NULL)
			return -ENOENT;
		p = hit + klen;
		/* A stanza starts the file or follows a line break. */
		if (hit != data && hit[-1] != '\n')
			continue;
		stop = memmem(hit, (size_t)(end - hit), "\n\n", 2);
		stop = stop != NULL ? stop + 1 : end;
		/* "deinstall ok config-files" leaves a stanza behind: only installed counts. */
		if (!sv_dpkg_field(hit, (size_t)(stop - hit), "Status", status, sizeof(status)) ||
		    strlen(status) < 10 || strcmp(status + strlen(status) - 10, " installed") != 0)
			continue;
		*at = (size_t)(hit - data);
		*slen = (size_t)(stop - hit);
		return 0;
	}
	return -ENOENT;
}

bool sv_dpkg_field(const char *stanza, size_t len, const char *field, char *buf, size_t buflen)
{
	size_t flen = strlen(field);

	for (const char *line = stanza, *end = stanza + len; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl != NULL ? (size_t)(nl - line) : (size_t)(end - line);

		if (n > flen + 1 && memcmp(line, field, flen) == 0 && line[flen] == ':') {
			const char *v = line + flen + 1;
			size_t vn = n - flen - 1, i = 0;

			while (vn > 0 && (*v == ' ' || *v == '\t')) {
				v++;
				vn--;
			}
			/* Printable ASCII only: it is shown in reports. */
			for (; i < vn && i + 1 < buflen && v[i] >= 0x20 && v[i] < 0x7f; i++)
				buf[i] = v[i];
			buf[i] = '\0';
			return i > 0;
		}
		line += n + 1;
	}
	return false;
}

int sv_upstream_version(const char *debian, char *buf, size_t len)
{
	const char *colon = strchr(debian, ':'), *v = debian;
	size_t n = 0;

	/* An epoch ("1:") is digits before the first colon. */
	if (colon != NULL && colon > debian && strspn(debian, "0123456789") == (size_t)(colon - debian))
		v = colon + 1;
	while ((v[n] >= '0' && v[n] <= '9') || (v[n] == '.' && n > 0))
		n++;
	if (n == 0 || n >= len)
		return -EINVAL;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return 0;
}

int sv_qemu_version_at_least(const char *version, unsigned major, unsigned minor)
{
	uint64_t ma, mi = 0;
	const char *end;

	if (version == NULL || sv_parse_u64(version, &end, 10, &ma) < 0)
		return -1;
	if (*end == '.' && sv_parse_u64(end + 1, &end, 10, &mi) < 0)
		return -1;
	if (ma != major)
		return ma > major;
	return mi >= minor;
}

/* The read hook of the dpkg row: QEMU's stanza, when an emulator is there at all. */
int sv_dpkg_read(struct sevslot_ctx *ctx, struct sv_raw *raw)
{
	const struct sv_input *in = &sv_inputs[SV_IN_DPKG];
	struct sv_buf *b = &raw->in[SV_IN_DPKG];
	size_t at, len;

	if (raw->in[SV_IN_QEMU].err != 0 && raw->in[SV_IN_QEMU_KVM].err != 0)
		return 0;
	sv_read(ctx, in->path, in->max, false, b);
	if (b->err != 0)
		return 0;
	if (sv_dpkg_stanza(b->data, b->len, SV_DPKG_QEMU, &at, &len) < 0) {
		sv_buf_release(b);
		b->path = in->path;
		b->err = -ENOENT;
		return 0;
	}
	memmove(b->data, b->data + at, len);
	b->data[len] = '\0';
	b->len = len;
	return 0;
}
