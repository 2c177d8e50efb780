/* SPDX-License-Identifier: Apache-2.0 */
/* The dev/cpu/0/msr recording ("0xREGISTER 0xVALUE" or "0xREGISTER -ERRNO"). */
#include "fuzz.h"
#include "sources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_text(data, size), why[128];
	uint64_t value = 0;
	int read_err;

	(void)sv_msr_parse_recording(s, size, SV_MSR_SYSCFG, &value, &read_err, why, sizeof(why));
	free(s);
	return 0;
}
