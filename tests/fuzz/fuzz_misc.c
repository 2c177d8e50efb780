/* SPDX-License-Identifier: Apache-2.0 */
/* The misc cgroup's misc.capacity and misc.current ("RESOURCE VALUE" lines). */
#include "fuzz.h"
#include "sources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t out[SEVSLOT_POOL_SEV_ES + 1];
	char *s = fz_text(data, size), why[128];

	(void)sv_misc_parse(s, size, out, why, sizeof(why));
	free(s);
	return 0;
}
