/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reconcile's live list (--live FILE): the CLI's own reader, included here so
 * that its static functions are what is fuzzed. Its one-line complaints go
 * to /dev/null while it runs.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../src/cli/reconcile.c"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet = -1, saved = -1;
	struct live l = { NULL, 0, 0 };
	char path[64];
	int fd;

	if (quiet < 0 && ((quiet = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0 ||
			  (saved = dup(2)) < 0))
		abort();
	fd = memfd_create("live", MFD_CLOEXEC);
	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fflush(stderr);
	dup2(quiet, 2);
	(void)read_live(path, &l);
	fflush(stderr);
	dup2(saved, 2);
	for (size_t i = 0; i < l.n; i++)
		if (!sevslot_consumer_is_valid(l.ids[i]))
			abort();   /* only valid ids are kept */
	live_free(&l);
	close(fd);
	return 0;
}
