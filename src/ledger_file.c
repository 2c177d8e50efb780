/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ledger's file, before SQLite opens it: where it really is, whether
 * what leads to it can be trusted, and making its directory atomically.
 *
 * The path is walked one component at a time from /, the way the kernel
 * would, except that a symbolic link is followed only when root or the
 * caller owns it. Every directory on the way must be owned by root or the
 * caller and writable by nobody else unless it is sticky (/tmp); the
 * ledger's own directory may be written by its group (sevslot), never by
 * everyone. The file must be a regular file nobody but its owner and group
 * may write, owned by root or the caller, or by a member of group sevslot
 * in a directory of that group. -wal, -shm and -journal beside it must pass
 * the same test: SQLite's own files, not something planted.
 *
 * What the walk found is kept on the handle: the real directory (an O_PATH
 * descriptor and its path, free of symlinks), the file's name in it, and
 * whether the file system is read-only. SQLite then opens the real path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "ledger_int.h"

#define MAX_LINKS 40 /* as the kernel's MAXSYMLINKS */

static const char *const siblings[] = { "-wal", "-shm", "-journal" };

gid_t sv_ledger_gid(struct sevslot_ledger *l)
{
	struct group gr, *res = NULL;
	char buf[4096];

	if (!l->gid_known) {
		l->gid = getgrnam_r(SV_LEDGER_GROUP, &gr, buf, sizeof(buf), &res) == 0 &&
				 res != NULL ? gr.gr_gid : (gid_t)-1;
		l->gid_known = true;
	}
	return l->gid;
}

static bool trusted_uid(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

static const char *shown(const char *real)
{
	return real[0] != '\0' ? real : "/";
}

static const char *kind_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFLNK:
		return "a symbolic link";
	case S_IFDIR:
		return "a directory";
	}
	return "not a file";
}

static unsigned random_tag(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned)ts.tv_nsec ^ ((unsigned)getpid() << 12) ^ (unsigned)rand();
}

/*
 * A directory on the way to the ledger's own: whoever may write it could
 * swap what follows, so only root or the caller may, or it is sticky.
 */
static int check_ancestor(struct sevslot_ledger *l, int fd, const char *real)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return sv_ledger_fail(l, -errno, "ledger %s: cannot stat %s: %s", l->path,
				      shown(real), strerror(errno));
	if (!trusted_uid(st.st_uid))
		return sv_ledger_fail(l, -EPERM, "ledger %s: directory %s on the way is owned by "
				      "uid %u, neither root nor you; keep the ledger under "
				      "directories root owns", l->path, shown(real),
				      (unsigned)st.st_uid);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
		return sv_ledger_fail(l, -EPERM, "ledger %s: directory %s on the way is writable "
				      "by others (mode %04o) and not sticky; chmod go-w %s",
				      l->path, shown(real), (unsigned)(st.st_mode & 07777),
				      shown(real));
	return 0;
}

/*
 * Make the ledger's directory `name` in `fd` atomically: under a temporary
 * name, group sevslot and mode 02770 set there, then renamed into place
 * without replacing anything. A crash leaves at most a stray temporary
 * directory, never a half-made one at the real name; a process that loses
 * the race to create it uses the winner's.
 */
static int make_dir(struct sevslot_ledger *l, int fd, const char *real, const char *name)
{
	gid_t gid = sv_ledger_gid(l);
	char tmp[NAME_MAX + 1];
	int err = 0;

	for (unsigned tries = 0;; tries++) {
		if ((size_t)snprintf(tmp, sizeof(tmp), ".%.200s.new-%08x", name, random_tag()) >=
		    sizeof(tmp))
			return sv_ledger_fail(l, -ENAMETOOLONG, "ledger %s: name too long", l->path);
		if (mkdirat(fd, tmp, 0700) == 0)
			break;
		if (errno != EEXIST || tries == 8)
			return sv_ledger_fail(l, -errno, "ledger %s: cannot create directory %s/%s: %s%s",
					      l->path, real, name, strerror(errno),
					      errno == EACCES ? "; run as root" : "");
	}
	/* Group first, then the mode: chown may clear the setgid bit. */
	if (gid != (gid_t)-1 && fchownat(fd, tmp, (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW) < 0)
		dbg(l->ctx, "ledger: cannot give %s/%s to group %s: %s", real, name, SV_LEDGER_GROUP,
		    strerror(errno));
	if (fchmodat(fd, tmp, SV_LEDGER_DIR_MODE, 0) < 0) {
		err = sv_ledger_fail(l, -errno, "ledger %s: cannot chmod %s/%s: %s", l->path, real,
				     tmp, strerror(errno));
	} else if (renameat2(fd, tmp, fd, name, RENAME_NOREPLACE) == 0) {
		return 0;
	} else if (errno == EINVAL || errno == ENOSYS) {
		/*
		 * No RENAME_NOREPLACE on this file system, and a plain rename
		 * would replace a directory another process just made: make it
		 * in place. A crash here leaves it 0700, which root repairs.
		 */
		unlinkat(fd, tmp, AT_REMOVEDIR);
		if (mkdirat(fd, name, 0700) < 0)
			return errno == EEXIST ? 0 :
			       sv_ledger_fail(l, -errno, "ledger %s: cannot create directory %s/%s: %s",
					      l->path, real, name, strerror(errno));
		if (gid != (gid_t)-1 && fchownat(fd, name, (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW) < 0)
			dbg(l->ctx, "ledger: cannot give %s/%s to group %s: %s", real, name,
			    SV_LEDGER_GROUP, strerror(errno));
		if (fchmodat(fd, name, SV_LEDGER_DIR_MODE, 0) < 0)
			return sv_ledger_fail(l, -errno, "ledger %s: cannot chmod %s/%s: %s", l->path,
					      real, name, strerror(errno));
		return 0;
	} else if (errno != EEXIST) {
		err = sv_ledger_fail(l, -errno, "ledger %s: cannot create directory %s/%s: %s",
				     l->path, real, name, strerror(errno));
	}
	unlinkat(fd, tmp, AT_REMOVEDIR);
	return err;
}

static int enter_fail(struct sevslot_ledger *l, int err, const char *real, const char *comp)
{
	if (err == -ENOENT)
		return sv_ledger_fail(l, err, "ledger %s: directory %s/%s does not exist", l->path,
				      real, comp);
	if (err == -EACCES)
		return sv_ledger_fail(l, err, "ledger %s: cannot enter %s: %s; run as root or as a "
				      "member of group " SV_LEDGER_GROUP, l->path, shown(real),
				      strerror(-err));
	return sv_ledger_fail(l, err, "ledger %s: %s/%s: %s", l->path, real, comp, strerror(-err));
}

/* "a/b", or NULL when out of memory. */
static char *join(const char *a, const char *b)
{
	char *s;

	return sv_asprintf(&s, "%s/%s", a, b) < 0 ? NULL : s;
}

/* The path to walk: absolute as given, or below the working directory. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	return join(cwd, path);
}

/*
 * Walk l->path to its directory and name, as described at the top. With
 * `create`, a missing last directory is made (make_dir). On success
 * l->dirfd, l->real_dir and l->base are set.
 */
static int walk(struct sevslot_ledger *l, bool create)
{
	char *rest = absolute(l->path), real[PATH_MAX] = "", *p;
	unsigned links = 0, made = 0;
	bool found = false;
	int fd, err = 0;

	if (rest == NULL)
		return sv_ledger_fail(l, -errno, "ledger %s: %s", l->path, strerror(errno));
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		free(rest);
		return sv_ledger_fail(l, -errno, "ledger %s: cannot open /: %s", l->path, strerror(errno));
	}
	for (p = rest;;) {
		char *comp, *after, *next, sep;
		struct stat st;
		bool last;
		int sub;

		while (*p == '/')
			p++;
		comp = p;
		after = comp + strcspn(comp, "/");
		for (next = after; *next == '/'; next++)
			;
		last = *next == '\0';
		sep = *after;
		*after = '\0';
		if (comp[0] == '\0' || (last && sep == '/') ||
		    (last && (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0))) {
			/* "/", "dir/", "dir/..": a directory, never a file. */
			err = sv_ledger_fail(l, -EISDIR, "ledger %s names a directory; name a file "
					     "inside it (ledger.db)", l->path);
			break;
		}
		if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
			if (comp[1] == '.') {
				char *slash = strrchr(real, '/');

				if ((sub = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
					err = enter_fail(l, -errno, real, "..");
					break;
				}
				close(fd);
				fd = sub;
				if (slash != NULL)
					*slash = '\0';
			}
			p = next;
			continue;
		}
		if (fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			err = -errno;
			if (err == -ENOENT && last) {
				found = true;       /* the file itself: absent is fine */
				break;
			}
			if (err == -ENOENT && create && strchr(next, '/') == NULL && made++ < 3) {
				/* The ledger's own directory: made, by us or another process. */
				if ((err = check_ancestor(l, fd, real)) < 0 ||
				    (err = make_dir(l, fd, real, comp)) < 0)
					break;
				*after = sep;
				continue;
			}
			enter_fail(l, err, real, comp);
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX], *joined;
			ssize_t n;

			if (!trusted_uid(st.st_uid)) {
				err = sv_ledger_fail(l, -EPERM, "ledger %s: %s/%s is a symbolic link "
						     "owned by uid %u, neither root nor you: not "
						     "followed; name the real path, or have root own "
						     "the link", l->path, real, comp,
						     (unsigned)st.st_uid);
				break;
			}
			n = readlinkat(fd, comp, target, sizeof(target) - 1);
			if (n <= 0 || ++links > MAX_LINKS) {
				err = n < 0 ? -errno : -ELOOP;
				sv_ledger_fail(l, err, "ledger %s: %s/%s: %s", l->path, real, comp,
					       strerror(-err));
				break;
			}
			target[n] = '\0';
			joined = last ? strdup(target) : join(target, next);
			if (joined == NULL) {
				err = -ENOMEM;
				break;
			}
			free(rest);
			rest = p = joined;
			if (target[0] == '/') {
				close(fd);
				if ((fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
					err = -errno;
					break;
				}
				real[0] = '\0';
			}
			continue;
		}
		if (last) {
			found = true;               /* the file, whatever it is: judged later */
			break;
		}
		if (!S_ISDIR(st.st_mode)) {
			err = sv_ledger_fail(l, -ENOTDIR, "ledger %s: %s/%s is not a directory",
					     l->path, real, comp);
			break;
		}
		if ((err = check_ancestor(l, fd, real)) < 0)
			break;
		if ((sub = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			err = enter_fail(l, -errno, real, comp);
			break;
		}
		close(fd);
		fd = sub;
		if (strlen(real) + 1 + strlen(comp) >= sizeof(real)) {
			err = sv_ledger_fail(l, -ENAMETOOLONG, "ledger %s: path too long", l->path);
			break;
		}
		strcat(real, "/");
		strcat(real, comp);
		p = next;
	}
	if (found) {
		/* Stopped at the last component: the ledger's name in its real directory. */
		l->base = strdup(p);
		l->real_dir = strdup(real);
		l->real = join(real, p);
		if (l->base != NULL && l->real_dir != NULL && l->real != NULL) {
			l->dirfd = fd;
			free(rest);
			return 0;
		}
		err = -ENOMEM;
		snprintf(l->errmsg, sizeof(l->errmsg), "out of memory");
	}
	close(fd);
	free(rest);
	return err;
}

/* The ledger's own directory: root's or the caller's, never writable by all. */
static int check_dir(struct sevslot_ledger *l, struct stat *st)
{
	struct statvfs vfs;

	if (fstat(l->dirfd, st) < 0)
		return sv_ledger_fail(l, -errno, "ledger %s: cannot stat %s: %s", l->path,
				      shown(l->real_dir), strerror(errno));
	if (!trusted_uid(st->st_uid))
		return sv_ledger_fail(l, -EPERM, "ledger %s: its directory %s is owned by uid %u, "
				      "neither root nor you; refusing to trust it (chown root %s)",
				      l->path, shown(l->real_dir), (unsigned)st->st_uid,
				      shown(l->real_dir));
	if (st->st_mode & S_IWOTH)
		return sv_ledger_fail(l, -EPERM, "ledger %s: its directory %s is writable by every "
				      "user (mode %04o), who could plant a ledger or its -wal there; "
				      "keep it in a directory of its own (mode 2770, like "
				      "/var/lib/sevslot)", l->path, shown(l->real_dir),
				      (unsigned)(st->st_mode & 07777));
	l->rofs = fstatvfs(l->dirfd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY);
	return 0;
}

/* One of the ledger's files (`suffix` "" or a sibling's): SQLite's own, or absent. */
static int check_one(struct sevslot_ledger *l, const struct stat *dir, const char *suffix,
		     bool *exists)
{
	char name[NAME_MAX + 16];
	gid_t gid = sv_ledger_gid(l);
	struct stat st;

	snprintf(name, sizeof(name), "%s%s", l->base, suffix);
	*exists = false;
	if (fstatat(l->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return sv_ledger_fail(l, -errno, "ledger %s: cannot stat %s/%s: %s", l->path,
				      l->real_dir, name, strerror(errno));
	}
	*exists = true;
	if (suffix[0] == '\0' && S_ISDIR(st.st_mode))
		return sv_ledger_fail(l, -EISDIR, "ledger %s is a directory; name a file inside it "
				      "(ledger.db)", l->path);
	if (suffix[0] == '\0' && !S_ISREG(st.st_mode))
		return sv_ledger_fail(l, -EBADMSG, "ledger %s is not a regular file (%s); refusing "
				      "to touch it (name another --ledger)", l->path,
				      kind_name(st.st_mode));
	if (!S_ISREG(st.st_mode))
		return sv_ledger_fail(l, -EIO, "ledger %s: %s/%s is %s, not SQLite's own file; "
				      "remove it (the ledger was left untouched)", l->path,
				      l->real_dir, name, kind_name(st.st_mode));
	if (!trusted_uid(st.st_uid) &&
	    !(gid != (gid_t)-1 && st.st_gid == gid && dir->st_gid == gid))
		return sv_ledger_fail(l, -EPERM, "ledger %s: %s/%s is owned by uid %u, neither root "
				      "nor you; refusing to trust it (check it, then chown root "
				      "it, or move it away)", l->path, l->real_dir, name,
				      (unsigned)st.st_uid);
	if (st.st_mode & S_IWOTH)
		return sv_ledger_fail(l, -EPERM, "ledger %s: %s/%s is writable by every user (mode "
				      "%04o), so anyone may have changed it; check it, then chmod "
				      "0660 it", l->path, l->real_dir, name,
				      (unsigned)(st.st_mode & 07777));
	return 0;
}

int sv_ledger_locate(struct sevslot_ledger *l, bool create, bool *exists)
{
	struct stat dir;
	bool present;
	int err;

	if ((err = walk(l, create)) < 0 || (err = check_dir(l, &dir)) < 0 ||
	    (err = check_one(l, &dir, "", exists)) < 0)
		return err;
	for (size_t i = 0; i < ARRAY_SIZE(siblings); i++)
		if ((err = check_one(l, &dir, siblings[i], &present)) < 0)
			return err;
	return 0;
}

bool sv_ledger_has_wal(const struct sevslot_ledger *l)
{
	char name[NAME_MAX + 16];
	struct stat st;

	snprintf(name, sizeof(name), "%s-wal", l->base);
	return fstatat(l->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Only this ledger's files in the directory: it is the ledger's own. */
static bool dir_holds_only_the_ledger(const struct sevslot_ledger *l)
{
	int fd = openat(l->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t n = strlen(l->base);
	struct dirent *de;
	bool only = true;
	DIR *d;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (only && (de = readdir(d)) != NULL) {
		const char *s = de->d_name;

		if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
			continue;
		only = strncmp(s, l->base, n) == 0 &&
		       (s[n] == '\0' || strcmp(s + n, "-wal") == 0 || strcmp(s + n, "-shm") == 0 ||
			strcmp(s + n, "-journal") == 0);
	}
	closedir(d);
	return only;
}

/* Add `want` to a descriptor's mode (and the group), logging what changed. */
static void repair_one(struct sevslot_ledger *l, int fd, const char *what, mode_t want, gid_t gid)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || st.st_uid != 0)
		return;
	if (gid != (gid_t)-1 && st.st_gid != gid && fchown(fd, (uid_t)-1, gid) == 0)
		sv_log(l->ctx, SEVSLOT_LOG_INFO, "ledger %s: gave %s to group %s", l->path, what,
		       SV_LEDGER_GROUP);
	if (fstat(fd, &st) == 0 && (st.st_mode & want) != want) {
		if (fchmod(fd, (st.st_mode & 07777) | want) == 0)
			sv_log(l->ctx, SEVSLOT_LOG_INFO, "ledger %s: %s mode %04o -> %04o", l->path,
			       what, (unsigned)(st.st_mode & 07777),
			       (unsigned)((st.st_mode & 07777) | want));
		else
			dbg(l->ctx, "ledger %s: cannot chmod %s: %s", l->path, what, strerror(errno));
	}
}

/*
 * Empty (what an older sevslot's crash left), or an SQLite file with our
 * application_id (the big-endian word at offset 68 of its header).
 */
static bool is_ours(int fd, const struct stat *st)
{
	static const char magic[16] = "SQLite format 3";
	unsigned char h[72];

	if (st->st_size == 0)
		return true;
	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, magic, sizeof(magic)) != 0)
		return false;
	return ((uint32_t)h[68] << 24 | (uint32_t)h[69] << 16 | (uint32_t)h[70] << 8 | h[71]) ==
	       SV_LEDGER_APPLICATION_ID;
}

/*
 * Root puts back what a crash of an older sevslot left (the file 0600 or
 * 0640, the directory 0700, group root): group sevslot may read and write
 * the file, and the directory when it is 0700 and holds nothing but the
 * ledger. Modes only ever gain those bits; nothing is taken away. Called
 * before SQLite opens the file: closing a descriptor of a file drops every
 * POSIX lock the process holds on it, SQLite's included.
 */
void sv_ledger_repair(struct sevslot_ledger *l)
{
	gid_t gid = sv_ledger_gid(l);
	struct stat dir;
	int fd;

	if (geteuid() != 0 || l->readonly || l->rofs)
		return;
	fd = openat(l->dirfd, l->base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0) {
		struct stat st;

		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && is_ours(fd, &st))
			repair_one(l, fd, "the file", SV_LEDGER_FILE_MODE, gid);
		close(fd);
	}
	if (fstat(l->dirfd, &dir) < 0 || (dir.st_mode & 07777) != 0700 ||
	    !dir_holds_only_the_ledger(l))
		return;
	fd = openat(l->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		repair_one(l, fd, "its directory", SV_LEDGER_DIR_MODE, gid);
		close(fd);
	}
}

void sv_ledger_unlocate(struct sevslot_ledger *l)
{
	if (l->dirfd >= 0)
		close(l->dirfd);
	l->dirfd = -1;
	free(l->base);
	free(l->real_dir);
	free(l->real);
	l->base = l->real_dir = l->real = NULL;
}
