/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dpkg's status file: QEMU's stanza, its Version, the upstream version in it;
 * and the binary search over the file, which must stay inside it and find
 * nothing a whole read would not.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "sources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_text(data, size), version[96], upstream[32];
	size_t at, len, from, to, wat, wlen;
	bool whole = sv_dpkg_stanza(s, size, SV_DPKG_QEMU, &at, &len) == 0;
	int fd = memfd_create("status", MFD_CLOEXEC);

	if (whole && sv_dpkg_field(s + at, len, "Version", version, sizeof(version)) &&
	    sv_upstream_version(version, upstream, sizeof(upstream)) == 0)
		(void)sv_qemu_version_at_least(upstream, 9, 1);
	if (fd >= 0 && write(fd, data, size) == (ssize_t)size &&
	    sv_dpkg_narrow(fd, size, SV_DPKG_QEMU, &from, &to) == 0) {
		if (from > to || to > size)
			abort();
		/*
		 * What dpkg.c takes (a stanza the window does not cut) is an
		 * installed stanza of the whole file too, the same bytes.
		 */
		if (sv_dpkg_stanza(s + from, to - from, SV_DPKG_QEMU, &wat, &wlen) == 0 &&
		    (wat + wlen < to - from || to == size) &&
		    (!whole || sv_dpkg_stanza(s + from + wat, size - from - wat, SV_DPKG_QEMU, &at,
					      &len) != 0 || at != 0 || len != wlen))
			abort();
	}
	if (fd >= 0)
		close(fd);
	free(s);
	return 0;
}
