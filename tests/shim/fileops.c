/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For LD_PRELOAD: log the file operations that make a write durable and
 * atomic, in the order the program makes them, then make them.
 *
 *   FILEOPS_LOG   file to append one line per call to:
 *                 "fsync PATH"          (fsync or fdatasync; PATH the fd's)
 *                 "rename OLD NEW"      (rename, renameat, renameat2; as given)
 *
 * tests/test_inventory_output.c checks that `inventory --output` syncs its
 * temporary file before renaming it over the target, and the directory after.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Visible to the dynamic linker even under -fvisibility=hidden. */
#define EXPORT __attribute__((visibility("default")))

int fsync(int fd) EXPORT;
int fdatasync(int fd) EXPORT;
int rename(const char *old, const char *new) EXPORT;
int renameat(int olddirfd, const char *old, int newdirfd, const char *new) EXPORT;
int renameat2(int olddirfd, const char *old, int newdirfd, const char *new, unsigned flags) EXPORT;

static void note(const char *what, const char *a, const char *b)
{
	const char *path = getenv("FILEOPS_LOG");
	int fd;

	if (path == NULL || (fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return;
	dprintf(fd, "%s %s%s%s\n", what, a, b != NULL ? " " : "", b != NULL ? b : "");
	close(fd);
}

static void note_fd(const char *what, int fd)
{
	char link[64], target[4096];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	note(what, n > 0 ? target : "?", NULL);
}

/* The next definition of `name`, as a function pointer of type `type`. */
#define REAL(type, name) ((type)real(name))

static void *real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (f == NULL)
		abort();
	return f;
}

int fsync(int fd)
{
	note_fd("fsync", fd);
	return REAL(int (*)(int), "fsync")(fd);
}

int fdatasync(int fd)
{
	note_fd("fsync", fd);
	return REAL(int (*)(int), "fdatasync")(fd);
}

int rename(const char *old, const char *new)
{
	note("rename", old, new);
	return REAL(int (*)(const char *, const char *), "rename")(old, new);
}

int renameat(int olddirfd, const char *old, int newdirfd, const char *new)
{
	note("rename", old, new);
	return REAL(int (*)(int, const char *, int, const char *), "renameat")(olddirfd, old,
									       newdirfd, new);
}

int renameat2(int olddirfd, const char *old, int newdirfd, const char *new, unsigned flags)
{
	note("rename", old, new);
	return REAL(int (*)(int, const char *, int, const char *, unsigned), "renameat2")(
		olddirfd, old, newdirfd, new, flags);
}
