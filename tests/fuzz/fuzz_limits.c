/* SPDX-License-Identifier: Apache-2.0 */
/* /proc/self/limits: the "Max locked memory" line. */
#include "fuzz.h"
#include "sources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_text(data, size);
	uint64_t cur, max;

	(void)sv_limits_parse_memlock(s, size, &cur, &max);
	free(s);
	return 0;
}
