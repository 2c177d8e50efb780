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
 *
 * The file is large (about 1 MB with a thousand packages; 10 MB on a
 * desktop), and reading it all would double the cost of a live probe. dpkg
 * writes it sorted by package name, so a binary search over stanza starts
 * finds the few kilobytes to read; a file that is not sorted, or has no such
 * stanza, is then read whole, so that the answer never depends on the order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

#define DPKG_STEP 8192          /* read at each step of the search */
#define DPKG_TAIL (32 * 1024)   /* read past the last stanza start: the package's stanza */

/* memcmp's order, dpkg's: a name against a NUL-terminated package name. */
static int name_cmp(const char *name, size_t n, const char *package)
{
	size_t plen = strlen(package);
	int c = memcmp(name, package, n < plen ? n : plen);

	return c != 0 ? c : n < plen ? -1 : n > plen;
}

int sv_dpkg_narrow(int fd, size_t size, const char *package, size_t *from, size_t *to)
{
	char buf[DPKG_STEP + 1];
	size_t lo = 0, hi = size;

	while (hi - lo > DPKG_STEP) {
		/* From the byte before mid: a stanza starts after a blank line. */
		size_t mid = lo + (hi - lo) / 2, start;
		ssize_t n = pread(fd, buf, DPKG_STEP, (off_t)(mid - 1));
		const char *p, *name, *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p = memmem(buf, (size_t)n, "\n\nPackage: ", 11);
		if (p == NULL)
			break;  /* a stanza longer than a step: what is left is read */
		start = mid - 1 + (size_t)(p - buf) + 2;
		name = p + 11;
		nl = memchr(name, '\n', (size_t)(buf + n - name));
		if (start >= hi || nl == NULL)
			break;
		if (name_cmp(name, (size_t)(nl - name), package) < 0)
			lo = start;
		else
			hi = start;
	}
	*from = lo;
	*to = size - hi > DPKG_TAIL ? hi + DPKG_TAIL : size;
	return 0;
}

/*
 * QEMU's stanza through the search: 0, or -ENOENT when it is not where the
 * search leads (then the whole file is read: it may not be sorted).
 */
static int read_narrowed(struct sevslot_ctx *ctx, const struct sv_input *in, struct sv_buf *b)
{
	int fd = sv_open(ctx, in->path, O_RDONLY | O_NONBLOCK);
	size_t from, to, at, len, got = 0;
	char *data = NULL;
	struct stat st;

	if (fd < 0)
		return -ENOENT;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size <= in->max &&
	    sv_dpkg_narrow(fd, (size_t)st.st_size, SV_DPKG_QEMU, &from, &to) == 0)
		data = malloc(to - from + 1);
	while (data != NULL && got < to - from) {
		ssize_t n = pread(fd, data + got, to - from - got, (off_t)(from + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	/* A stanza the window cuts (no blank line after it before the window's end) is not one. */
	if (data == NULL || got != to - from || sv_dpkg_stanza(data, got, SV_DPKG_QEMU, &at, &len) < 0 ||
	    (at + len == got && to != (size_t)st.st_size)) {
		free(data);
		return -ENOENT;
	}
	memmove(data, data + at, len);
	data[len] = '\0';
	memset(b, 0, sizeof(*b));
	b->data = data;
	b->len = len;
	b->path = in->path;
	return 0;
}

/* The read hook of the dpkg row: QEMU's stanza, when an emulator is there at all. */
int sv_dpkg_read(struct sevslot_ctx *ctx, struct sv_raw *raw)
{
	const struct sv_input *in = &sv_inputs[SV_IN_DPKG];
	struct sv_buf *b = &raw->in[SV_IN_DPKG];
	size_t at, len;

	if (raw->in[SV_IN_QEMU].err != 0 && raw->in[SV_IN_QEMU_KVM].err != 0)
		return 0;
	if (read_narrowed(ctx, in, b) == 0)
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
