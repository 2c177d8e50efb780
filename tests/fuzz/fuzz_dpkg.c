/* SPDX-License-Identifier: Apache-2.0 */
/* dpkg's status file: QEMU's stanza, its Version, the upstream version in it. */
#include "fuzz.h"
#include "sources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_text(data, size), version[96], upstream[32];
	size_t at, len;

	if (sv_dpkg_stanza(s, size, SV_DPKG_QEMU, &at, &len) == 0 &&
	    sv_dpkg_field(s + at, len, "Version", version, sizeof(version)) &&
	    sv_upstream_version(version, upstream, sizeof(upstream)) == 0)
		(void)sv_qemu_version_at_least(upstream, 9, 1);
	free(s);
	return 0;
}
