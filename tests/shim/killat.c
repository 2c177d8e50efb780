/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Die by SIGKILL at a chosen system call, for LD_PRELOAD: a crash at the worst
 * moment, on demand. SEVSLOT_KILL_AT names the call (fchmod, fchown, chmod,
 * fchmodat, fchownat); the first call to it kills the process before it runs.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

int fchmod(int fd, mode_t mode) EXPORT;
int fchown(int fd, uid_t uid, gid_t gid) EXPORT;
int chmod(const char *path, mode_t mode) EXPORT;
int fchmodat(int dirfd, const char *path, mode_t mode, int flags) EXPORT;
int fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags) EXPORT;

static void maybe_die(const char *call)
{
	const char *at = getenv("SEVSLOT_KILL_AT");

	if (at != NULL && strcmp(at, call) == 0)
		raise(SIGKILL);
}

/* The real calls, as the kernel's own system calls: nothing to look up. */
#include <sys/syscall.h>

int fchmod(int fd, mode_t mode)
{
	maybe_die("fchmod");
	return (int)syscall(SYS_fchmod, fd, mode);
}

int fchown(int fd, uid_t uid, gid_t gid)
{
	maybe_die("fchown");
	return (int)syscall(SYS_fchown, fd, uid, gid);
}

int chmod(const char *path, mode_t mode)
{
	maybe_die("chmod");
	return (int)syscall(SYS_chmod, path, mode);
}

int fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	maybe_die("fchmodat");
	(void)flags;
	return (int)syscall(SYS_fchmodat, dirfd, path, mode);
}

int fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
	maybe_die("fchownat");
	return (int)syscall(SYS_fchownat, dirfd, path, uid, gid, flags);
}
