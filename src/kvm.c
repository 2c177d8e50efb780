/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoders for /sys/module/kvm_amd/parameters (sev, sev_es, ...). Booleans print Y/N since
 * Linux 5.13 and 1/0 before; both are accepted, with or without a newline
 * (nova's `== "1\n"` turned SEV off on every Y kernel, bug 1975686).
 */
#include <errno.h>
#include <string.h>

#include "sources.h"

/* Length without one trailing newline. */
static size_t chomp(const char *data, size_t len)
{
	if (len > 0 && data[len - 1] == '\n')
		len--;
	return len;
}

int sv_kvm_parse_bool(const char *data, size_t len, enum sevslot_param *out)
{
	len = chomp(data, len);
	if (len != 1)
		return -EBADMSG;
	switch (data[0]) {
	case 'Y':
	case 'y':
	case '1':
		*out = SEVSLOT_PARAM_Y;
		return 0;
	case 'N':
	case 'n':
	case '0':
		*out = SEVSLOT_PARAM_N;
		return 0;
	}
	return -EBADMSG;
}

/*
 * An unsigned parameter such as ciphertext_hiding_asids. "max" (accepted by
 * the kernel for this parameter) reads as INT64_MAX, to be capped by the caller.
 */
int sv_kvm_parse_uint(const char *data, size_t len, int64_t *out)
{
	char tmp[24];
	const char *end;
	uint64_t v;

	len = chomp(data, len);
	if (len == 0 || len >= sizeof(tmp))
		return -EBADMSG;
	memcpy(tmp, data, len);
	tmp[len] = '\0';
	if (strcmp(tmp, "max") == 0) {
		*out = INT64_MAX;
		return 0;
	}
	if (sv_parse_u64(tmp, &end, 10, &v) < 0 || *end != '\0' || v > UINT32_MAX)
		return -EBADMSG;
	*out = (int64_t)v;
	return 0;
}
