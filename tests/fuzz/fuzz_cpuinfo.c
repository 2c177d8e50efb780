/* SPDX-License-Identifier: Apache-2.0 */
/* /proc/cpuinfo's first record: the flags the checks read. */
#include "fuzz.h"
#include "sources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sevslot_kernel k;
	char *s = fz_text(data, size);

	memset(&k, 0, sizeof(k));
	sv_cpuinfo_parse(s, size, &k);
	free(s);
	return 0;
}
