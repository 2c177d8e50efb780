/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `sevslot snapshot DIR`: write the live host's sources into DIR in the
 * sysroot layout, devices as recordings, QEMU's firmware descriptors and
 * the presence of its emulators as they are, so that any EPYC host becomes
 * a fixture and `sevslot --sysroot DIR probe` repeats the live report.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sources.h"

struct writer {
	struct sevslot_ctx *ctx;
	const char *dir;           /* as the caller named it, for messages */
	int dirfd;
	int err;
};

/*
 * Open the directory holding `path` (relative to w->dirfd), making each
 * directory on the way with mkdirat and entering it with O_NOFOLLOW: a
 * symbolic link planted inside DIR is never followed. Returns a descriptor
 * (or -errno) and points *name at the last component.
 */
static int open_parent(struct writer *w, char *path, const char **name)
{
	int fd = dup(w->dirfd);
	char *p = path, *slash;

	if (fd < 0)
		return -errno;
	while ((slash = strchr(p, '/')) != NULL) {
		int sub;

		*slash = '\0';
		if (mkdirat(fd, p, 0755) < 0 && errno != EEXIST) {
			int err = -errno;

			close(fd);
			return err;
		}
		sub = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		*slash = '/';
		close(fd);
		if (sub < 0)
			return -errno;
		fd = sub;
		p = slash + 1;
	}
	*name = p;
	return fd;
}

static void put(struct writer *w, const char *path, const void *data, size_t len)
{
	const char *p = data, *name = NULL;
	char buf[512];
	int fd = -1, dir, err;

	if (w->err < 0)
		return;
	if (strlen(path) >= sizeof(buf)) {
		w->err = sv_fail(w->ctx, -ENAMETOOLONG, "cannot create %s/%s: name too long", w->dir,
				 path);
		return;
	}
	strcpy(buf, path);
	dir = open_parent(w, buf, &name);
	err = dir < 0 ? dir : 0;
	if (err == 0) {
		fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		err = fd < 0 ? -errno : 0;
		close(dir);
	}
	if (err < 0) {
		w->err = sv_fail(w->ctx, err, "cannot create %s/%s: %s", w->dir, path, strerror(-err));
		return;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->err = sv_fail(w->ctx, -EIO, "cannot write %s/%s: %s", w->dir, path,
					 strerror(n < 0 ? errno : EIO));
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0 && w->err == 0)
		w->err = sv_fail(w->ctx, -EIO, "cannot write %s/%s: %s", w->dir, path,
				 strerror(errno));
}

/* A presence: an empty file, or for a directory an empty .keep inside it. */
static void put_presence(struct writer *w, const struct sv_input *in)
{
	char path[256];

	if (!(in->flags & SV_INPUT_DIR)) {
		put(w, in->path, "", 0);
		return;
	}
	snprintf(path, sizeof(path), "%s/.keep", in->path);
	put(w, path, "", 0);
}

static void put_device(struct writer *w, const struct sv_input *in, const struct sv_raw *raw)
{
	char *text = NULL;
	size_t len = 0;
	int err;

	if (w->err < 0)
		return;
	err = in->record(raw, &text, &len);
	if (err < 0)
		w->err = sv_fail(w->ctx, err, "cannot record %s: %s", in->path, strerror(-err));
	else if (text != NULL)
		put(w, in->path, text, len);
	free(text);
}

/* Every file of a directory that could be read (an empty one too: it hides its namesake). */
static void put_dir(struct writer *w, const struct sv_input *in, const struct sv_dir *dir)
{
	char path[512];

	for (size_t i = 0; i < dir->n; i++) {
		const struct sv_buf *b = &dir->files[i].buf;

		if (b->err != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", in->path, dir->files[i].name);
		put(w, path, b->data, b->len);
	}
}

/* Every input of the table, where the live host had it. */
static void put_inputs(struct writer *w, const struct sv_raw *raw)
{
	for (unsigned id = 0; id < SV_IN_COUNT; id++) {
		const struct sv_input *in = &sv_inputs[id];
		const struct sv_buf *b = &raw->in[id];

		switch (in->kind) {
		case SV_INPUT_FILE:
		case SV_INPUT_FIRST_RECORD:
			if (b->err == 0)
				put(w, b->path, b->data, b->len);
			break;
		case SV_INPUT_PRESENCE:
			if (b->err == 0)
				put_presence(w, in);
			break;
		case SV_INPUT_DEVICE:
			put_device(w, in, raw);
			break;
		case SV_INPUT_JSON_DIR:
			put_dir(w, in, &raw->dirs[id]);
			break;
		}
	}
}

/*
 * DIR itself: made if absent, never followed if a symbolic link, and only
 * used when the caller owns it; it must be empty. Root writing into a
 * directory another user controls could be sent anywhere by a rename.
 */
static int open_empty_dir(struct sevslot_ctx *ctx, const char *dir)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, err;

	/* Messages carry no "snapshot:" prefix: the caller adds its own. */
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return sv_fail(ctx, -errno, "cannot create %s: %s", dir, strerror(errno));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err == -ELOOP || err == -ENOTDIR)
			return sv_fail(ctx, -EEXIST, "%s is %s, not a directory: name a new or "
				       "empty directory", dir, lstat(dir, &st) == 0 &&
				       S_ISLNK(st.st_mode) ? "a symbolic link" : "a file");
		return sv_fail(ctx, err, "cannot open %s: %s", dir, strerror(-err));
	}
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid()) {
		close(fd);
		return sv_fail(ctx, -EPERM, "%s is owned by uid %u, not you: a snapshot goes into "
			       "a directory of your own", dir, (unsigned)st.st_uid);
	}
	d = fdopendir(dup(fd));
	if (d == NULL) {
		err = -errno;
		close(fd);
		return sv_fail(ctx, err, "cannot read %s: %s", dir, strerror(-err));
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			closedir(d);
			close(fd);
			return sv_fail(ctx, -EEXIST,
				       "%s is not empty: a snapshot goes into a new or empty directory",
				       dir);
		}
	}
	closedir(d);
	return fd;
}

SEVSLOT_EXPORT int sevslot_snapshot(struct sevslot_ctx *ctx, const char *dir)
{
	struct writer w = { .ctx = ctx, .dir = dir };
	struct sv_raw *raw;
	int err;

	ctx->errmsg[0] = '\0';
	if (!ctx->live)
		return sv_fail(ctx, -EINVAL, "snapshot records the live host: drop --sysroot");
	raw = malloc(sizeof(*raw));
	if (raw == NULL)
		return -ENOMEM;
	err = sv_raw_read(ctx, 0, raw);
	if (err < 0)
		goto out;
	w.dirfd = open_empty_dir(ctx, dir);
	if (w.dirfd < 0) {
		err = w.dirfd;
		goto out;
	}
	put_inputs(&w, raw);
	err = w.err;
	close(w.dirfd);
out:
	sv_raw_release(raw);
	free(raw);
	return err;
}
