/* SPDX-License-Identifier: Apache-2.0 */
/* proc/sys/kernel/osrelease: the release the version-dependent checks compare. */
#include "fuzz.h"
#include "sources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned versions[][2] = { { 5, 13 }, { 6, 5 }, { 6, 15 }, { 6, 18 } };
	struct sevslot_kernel k;
	size_t n = size < sizeof(k.osrelease) - 1 ? size : sizeof(k.osrelease) - 1;

	memset(&k, 0, sizeof(k));
	memcpy(k.osrelease, data, n);
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		(void)sv_kernel_at_least(&k, versions[i][0], versions[i][1]);
	return 0;
}
