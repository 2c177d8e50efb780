/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every kernel path is opened here, relative to the context's root: "/" on
 * the live host, or a recorded host's directory under --sysroot.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

/*
 * Read at most max + 1 bytes of `fd` (one past max, so that "exactly max"
 * and "more" differ), growing the buffer from the file's size: a limit of
 * megabytes costs nothing for a file of a few hundred bytes. Only a regular
 * file is read: a directory, FIFO or device is not one.
 */
static void read_fd(int fd, size_t max, bool prefix_ok, bool first_record, struct sv_buf *out)
{
	size_t want_all = max + 1, cap = 4096, len = 0;
	struct stat st;
	char *data;

	if (fstat(fd, &st) < 0)
		st.st_mode = 0;
	if (!S_ISREG(st.st_mode)) {
		out->err = S_ISDIR(st.st_mode) ? -EISDIR : -EIO;
		out->not_regular = !S_ISDIR(st.st_mode);
		close(fd);
		return;
	}
	if (st.st_size > 0)
		cap = (size_t)st.st_size + 1;
	if (cap > want_all)
		cap = want_all;
	data = malloc(cap + 1);
	if (data == NULL) {
		out->err = -ENOMEM;
		close(fd);
		return;
	}
	while (len < want_all) {
		size_t want;
		ssize_t n;

		if (len == cap) {
			size_t ncap = cap * 2 < want_all ? cap * 2 : want_all;
			char *p = realloc(data, ncap + 1);

			if (p == NULL) {
				out->err = -ENOMEM;
				break;
			}
			data = p;
			cap = ncap;
		}
		want = first_record && cap - len > 4096 ? 4096 : cap - len;
		n = read(fd, data + len, want);
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

static void read_file(struct sevslot_ctx *ctx, const char *path, size_t max, bool prefix_ok,
		      bool first_record, struct sv_buf *out)
{
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
	read_fd(fd, max, prefix_ok, first_record, out);
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

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct sv_file *)a)->name, ((const struct sv_file *)b)->name);
}

/* The names in `dfd` that end in `suffix`, not dot files; sorted. */
static int list_dir(int dfd, const char *suffix, size_t max_files, struct sv_dir *out)
{
	size_t slen = strlen(suffix);
	struct dirent *de;
	DIR *dir = fdopendir(dfd);

	if (dir == NULL) {
		close(dfd);
		return -errno;
	}
	out->files = calloc(max_files, sizeof(*out->files));
	if (out->files == NULL) {
		closedir(dir);
		return -ENOMEM;
	}
	errno = 0;
	while ((de = readdir(dir)) != NULL) {
		size_t n = strlen(de->d_name);

		if (de->d_name[0] == '.' || n <= slen || strcmp(de->d_name + n - slen, suffix) != 0)
			continue;
		if (out->n == max_files) {
			out->truncated = true;
			continue;
		}
		if ((out->files[out->n].name = strdup(de->d_name)) == NULL) {
			closedir(dir);
			return -ENOMEM;
		}
		out->n++;
	}
	/* A directory that fails half-way is an error, not its end. */
	if (errno != 0) {
		int err = -errno;

		closedir(dir);
		return err;
	}
	closedir(dir);
	qsort(out->files, out->n, sizeof(*out->files), by_name);
	return 0;
}

void sv_read_dir(struct sevslot_ctx *ctx, const char *path, const char *suffix, size_t max_files,
		 size_t max, struct sv_dir *out)
{
	char file[512];
	int dfd;

	memset(out, 0, sizeof(*out));
	dfd = sv_open(ctx, path, O_RDONLY | O_DIRECTORY);
	if (dfd < 0) {
		out->err = dfd;
		return;
	}
	if ((out->err = list_dir(dfd, suffix, max_files, out)) < 0)
		return;
	for (size_t i = 0; i < out->n; i++) {
		struct sv_buf *b = &out->files[i].buf;
		int fd;

		b->path = out->files[i].name;
		if ((size_t)snprintf(file, sizeof(file), "%s/%s", path, out->files[i].name) >=
		    sizeof(file)) {
			b->err = -ENAMETOOLONG;
			continue;
		}
		/*
		 * O_NONBLOCK: a FIFO must not hang the probe; only regular files are
		 * read. Under a sysroot a symlink may not lead out of it (sv_open).
		 */
		fd = sv_open(ctx, file, O_RDONLY | O_NONBLOCK);
		if (fd < 0) {
			b->err = fd;
			continue;
		}
		read_fd(fd, max, false, false, b);
		if (b->not_regular || b->err == -EISDIR)
			b->err = SV_ERR_NOT_REGULAR;
		b->path = out->files[i].name;
	}
}

void sv_dir_release(struct sv_dir *dir)
{
	for (size_t i = 0; i < dir->n; i++) {
		free(dir->files[i].name);
		sv_buf_release(&dir->files[i].buf);
	}
	free(dir->files);
	memset(dir, 0, sizeof(*dir));
}
