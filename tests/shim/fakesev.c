/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake PSP behind a real character device, for LD_PRELOAD.
 *
 * Tests make DIR/dev/sev with `mknod c 1 3` (the null device: opening it
 * needs nothing and its real ioctl answers ENOTTY) and run the CLI with this
 * library preloaded. SEV_ISSUE_CMD (0xC0105300) on a 1:3 device is answered
 * from a script; every other ioctl goes to the real one, so sevslot's own
 * code path (open, ioctl, errno, sev_issue_cmd.error) is what runs.
 *
 *   FAKESEV_SCRIPT  entries separated by ';' or newlines, in the /dev/sev
 *                   recording's form: NAME RET FWERR [HEX]. NAME is
 *                   PLATFORM_STATUS, SNP_PLATFORM_STATUS or a command number;
 *                   RET 0 or a negative errno; FWERR is left in .error; HEX
 *                   is copied to .data. The Nth call of a command uses its
 *                   Nth entry (the last one repeats); an unlisted command
 *                   fails with EINVAL, as on a kernel that does not know it.
 *   FAKESEV_LOG     file to append one line per faked ioctl to:
 *                   "cmd=N accmode=O_RDONLY|O_WRONLY|O_RDWR cloexec=0|1"
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define SEV_ISSUE_CMD 0xC0105300ul
#define MAX_CMD 64

/* Visible to the dynamic linker even under -fvisibility=hidden. */
#define EXPORT __attribute__((visibility("default")))

int ioctl(int fd, unsigned long request, ...) EXPORT;

static unsigned calls[MAX_CMD];

static int real_ioctl(int fd, unsigned long request, void *arg)
{
	static int (*real)(int, unsigned long, ...);

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "ioctl");
	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return real(fd, request, arg);
}

static long command_number(const char *name)
{
	char *end;
	long n;

	if (strcmp(name, "PLATFORM_STATUS") == 0)
		return 1;
	if (strcmp(name, "SNP_PLATFORM_STATUS") == 0)
		return 9;
	n = strtol(name, &end, 0);
	return *end == '\0' ? n : -1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

struct entry {
	long ret, fwerr;
	unsigned char data[64];
	size_t len;
};

/* Find the entry of `cmd` for call number `nth` (0-based); 0 or -1. */
static int lookup(uint32_t cmd, unsigned nth, struct entry *out)
{
	const char *script = getenv("FAKESEV_SCRIPT");
	char *copy, *save = NULL, *item;
	unsigned seen = 0;
	int found = -1;

	if (script == NULL)
		return -1;
	copy = strdup(script);
	if (copy == NULL)
		return -1;
	for (item = strtok_r(copy, ";\n", &save); item != NULL; item = strtok_r(NULL, ";\n", &save)) {
		char name[64], hex[160] = "";
		struct entry e = { 0 };
		int n = sscanf(item, " %63s %ld %ld %159s", name, &e.ret, &e.fwerr, hex);

		if (n < 3 || command_number(name) != (long)cmd)
			continue;
		for (size_t i = 0; hex[2 * i] != '\0' && hex[2 * i + 1] != '\0' && i < sizeof(e.data); i++) {
			int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

			if (hi < 0 || lo < 0)
				break;
			e.data[i] = (unsigned char)(hi << 4 | lo);
			e.len = i + 1;
		}
		*out = e;
		found = 0;
		if (seen++ == nth)
			break;
	}
	free(copy);
	return found;
}

static void log_call(int fd, uint32_t cmd)
{
	const char *path = getenv("FAKESEV_LOG");
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
	const char *mode;
	FILE *f;

	if (path == NULL)
		return;
	switch (fl < 0 ? -1 : fl & O_ACCMODE) {
	case O_RDONLY:
		mode = "O_RDONLY";
		break;
	case O_WRONLY:
		mode = "O_WRONLY";
		break;
	case O_RDWR:
		mode = "O_RDWR";
		break;
	default:
		mode = "unknown";
	}
	f = fopen(path, "a");
	if (f == NULL)
		return;
	fprintf(f, "cmd=%u accmode=%s cloexec=%d\n", cmd, mode, fdfl >= 0 && (fdfl & FD_CLOEXEC));
	fclose(f);
}

EXPORT int ioctl(int fd, unsigned long request, ...)
{
	unsigned char *arg;
	struct stat st;
	struct entry e;
	uint32_t cmd, fwerr;
	uint64_t data;
	va_list ap;

	va_start(ap, request);
	arg = va_arg(ap, unsigned char *);
	va_end(ap);
	if (request != SEV_ISSUE_CMD || fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(1, 3))
		return real_ioctl(fd, request, arg);

	/* struct sev_issue_cmd { u32 cmd; u64 data; u32 error; } __packed */
	memcpy(&cmd, arg, 4);
	memcpy(&data, arg + 4, 8);
	log_call(fd, cmd);
	if (lookup(cmd, cmd < MAX_CMD ? calls[cmd] : 0, &e) < 0) {
		errno = EINVAL;
		return -1;
	}
	if (cmd < MAX_CMD)
		calls[cmd]++;
	if (e.len > 0) {
		if (data == 0) {
			errno = EFAULT;
			return -1;
		}
		memcpy((void *)(uintptr_t)data, e.data, e.len);
	}
	fwerr = (uint32_t)e.fwerr;
	memcpy(arg + 12, &fwerr, 4);
	if (e.ret < 0) {
		errno = (int)-e.ret;
		return -1;
	}
	return (int)e.ret;
}
