/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every kernel path is opened here, relative to the context's root: "/" on
 * the live host, or a recorded host's directory under --sysroot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sources.h"

static const char *relative(const char *path)
{
	while (*path == '/')
		path++;
	return path;
}

enum sv_kind sv_stat(struct sevslot_ctx *ctx, const char *path, int *err)
{
	struct stat st;

	*err = 0;
	if (fstatat(ctx->root_fd, relative(path), &st, 0) < 0) {
		*err = -errno;
		return SV_ABSENT;
	}
	if (S_ISREG(st.st_mode))
		return SV_REGULAR;
	if (S_ISCHR(st.st_mode))
		return SV_CHARDEV;
	if (S_ISDIR(st.st_mode))
		return SV_DIRECTORY;
	return SV_OTHER;
}

int sv_open(struct sevslot_ctx *ctx, const char *path, int flags)
{
	int fd;

	/*
	 * Under a sysroot, a symbolic link may not lead out of it (an attacker's
	 * link to /etc/shadow would be read as root): openat2's RESOLVE_BENEATH.
	 */
	if (!ctx->live) {
		struct open_how how = {
			.flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY),
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};

		fd = (int)syscall(SYS_openat2, ctx->root_fd, relative(path), &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return fd < 0 ? (errno == EXDEV ? -EACCES : -errno) : fd;
	}
	fd = openat(ctx->root_fd, relative(path), flags | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

static void read_file(struct sevslot_ctx *ctx, const char *path, size_t max, bool prefix_ok,
		      bool first_record, struct sv_buf *out)
{
	size_t cap = max + 1, len = 0;
	char *data;
	int fd;

	memset(out, 0, sizeof(*out));
	out->path = path;
	/*
	 * O_NONBLOCK: a FIFO placed in a sysroot reads as empty instead of
	 * blocking the probe; regular, sysfs and procfs files ignore it.
	 */
	fd = sv_open(ctx, path, O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		out->err = fd;
		return;
	}
	/* Kernel attributes are regular files: a directory, FIFO or device is not one. */
	struct stat st;

	if (fstat(fd, &st) < 0)
		st.st_mode = 0;
	if (!S_ISREG(st.st_mode)) {
		out->err = S_ISDIR(st.st_mode) ? -EISDIR : -EIO;
		out->not_regular = !S_ISDIR(st.st_mode);
		close(fd);
		return;
	}
	data = malloc(cap + 1);
	if (data == NULL) {
		out->err = -ENOMEM;
		close(fd);
		return;
	}
	/* Read one byte past max, so that "exactly max" and "more" differ. */
	while (len < cap) {
		size_t want = first_record && cap - len > 4096 ? 4096 : cap - len;
		ssize_t n = read(fd, data + len, want);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			out->err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (first_record && memmem(data, len, "\n\n", 2) != NULL) {
			len = (size_t)((char *)memmem(data, len, "\n\n", 2) - data) + 2;
			out->truncated = true;
			break;
		}
	}
	close(fd);
	if (out->err == 0 && len > max) {
		if (!prefix_ok)
			out->err = -EFBIG;
		out->truncated = true;
		len = max;
	}
	if (out->err != 0) {
		free(data);
		return;
	}
	data[len] = '\0';
	out->data = data;
	out->len = len;
}

void sv_read(struct sevslot_ctx *ctx, const char *path, size_t max, bool prefix_ok,
	     struct sv_buf *out)
{
	read_file(ctx, path, max, prefix_ok, false, out);
}

void sv_read_first_record(struct sevslot_ctx *ctx, const char *path, size_t max,
			  struct sv_buf *out)
{
	read_file(ctx, path, max, true, true, out);
}

int sv_read_recording(struct sevslot_ctx *ctx, const char *path, size_t max, const char *what,
		      struct sv_buf *out)
{
	sv_read(ctx, path, max, false, out);
	if (out->err == -EFBIG)
		return sv_fail(ctx, -EBADMSG, "%s/%s: larger than %zu bytes: not %s", ctx->sysroot,
			       path, max, what);
	if (out->not_regular)
		return sv_fail(ctx, -EBADMSG, "%s/%s: not a regular file: not %s", ctx->sysroot, path,
			       what);
	if (out->err < 0)
		return sv_fail(ctx, -EBADMSG, "%s/%s: %s", ctx->sysroot, path, strerror(-out->err));
	return 0;
}

void sv_buf_release(struct sv_buf *buf)
{
	free(buf->data);
	memset(buf, 0, sizeof(*buf));
}
