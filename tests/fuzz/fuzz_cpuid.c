/* SPDX-License-Identifier: Apache-2.0 */
/* The dev/cpu/0/cpuid recording (`cpuid -1 -r` text), then decoding the leaves. */
#include "fuzz.h"
#include "sources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sv_cpuid_table t;
	struct sevslot_cpu cpu;
	char *s = fz_text(data, size), why[128];

	if (sv_cpuid_parse_recording(s, size, &t, why, sizeof(why)) == 0) {
		memset(&cpu, 0, sizeof(cpu));
		sv_cpuid_decode(&t, &cpu);
	}
	free(s);
	return 0;
}
