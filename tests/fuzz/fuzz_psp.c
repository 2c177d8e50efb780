/* SPDX-License-Identifier: Apache-2.0 */
/* The dev/sev recording ("NAME RET FWERR HEX" lines), then decoding the status. */
#include "fuzz.h"
#include "sources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sv_psp_reply status, snp;
	struct sevslot_firmware fw;
	char *s = fz_text(data, size), why[128];
	int open_err;

	memset(&status, 0, sizeof(status));
	memset(&snp, 0, sizeof(snp));
	if (sv_psp_parse_recording(s, size, &open_err, &status, &snp, why, sizeof(why)) == 0 &&
	    open_err == 0) {
		memset(&fw, 0, sizeof(fw));
		sv_psp_decode(&status, &snp, &fw);
	}
	free(s);
	return 0;
}
