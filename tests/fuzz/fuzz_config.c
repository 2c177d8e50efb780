/* SPDX-License-Identifier: Apache-2.0 */
/* The configuration file, through sevslot_config_load as the CLI calls it. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "sevslot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sevslot_ctx *ctx;
	struct sevslot_config *config = NULL;
	char path[64];
	int fd;

	if (ctx == NULL && sevslot_new(&ctx, NULL) < 0)
		abort();
	fd = memfd_create("sevslot.conf", MFD_CLOEXEC);
	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (sevslot_config_load(ctx, path, &config) == 0)
		sevslot_config_free(config);
	close(fd);
	return 0;
}
