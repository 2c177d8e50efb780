/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small helpers every layer uses (util.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

int sv_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(out, fmt, ap);
	va_end(ap);
	if (n < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * Parse an unsigned number without the surprises of strtoull: no sign, no
 * leading space, overflow is -ERANGE, no digits is -EINVAL.
 */
int sv_parse_u64(const char *s, const char **end, int base, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	if (base == 16 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	const char *digits = p;
	for (;; p++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / (unsigned)base)
			return -ERANGE;
		v = v * (unsigned)base + d;
	}
	if (p == digits)
		return -EINVAL;
	if (end != NULL)
		*end = p;
	*out = v;
	return 0;
}

int sv_memstream_close(FILE *f, char **out)
{
	if (fclose(f) == 0)
		return 0;
	free(*out);
	*out = NULL;
	return -ENOMEM;
}

void sv_one_line(char *msg)
{
	for (unsigned char *p = (unsigned char *)msg; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
}
