/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For LD_PRELOAD: when the process exits, append its capability sets as the
 * kernel reports them (the CapPrm, CapEff and CapBnd lines of
 * /proc/self/status) to the file SEVSLOT_CAPS_LOG names. Tests read what a
 * command kept, however it dropped the rest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((destructor)) static void record_caps(void)
{
	const char *log = getenv("SEVSLOT_CAPS_LOG");
	char line[256];
	FILE *in, *out;

	if (log == NULL || (in = fopen("/proc/self/status", "r")) == NULL)
		return;
	if ((out = fopen(log, "a")) != NULL) {
		while (fgets(line, sizeof(line), in) != NULL)
			if (strncmp(line, "CapPrm:", 7) == 0 || strncmp(line, "CapEff:", 7) == 0 ||
			    strncmp(line, "CapBnd:", 7) == 0)
				fputs(line, out);
		fclose(out);
	}
	fclose(in);
}
