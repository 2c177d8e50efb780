/* SPDX-License-Identifier: Apache-2.0 */
/* A QEMU firmware descriptor (usr/share/qemu/firmware/NAME.json, etc/qemu/firmware/NAME.json). */
#include "fuzz.h"
#include "sources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sv_fw_desc d;
	char why[192];

	if (sv_fw_desc_parse((const char *)data, size, &d, why, sizeof(why)) == 0)
		sv_fw_desc_release(&d);
	return 0;
}
