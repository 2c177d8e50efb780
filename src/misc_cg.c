/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoder for the misc cgroup's misc.capacity and misc.current (Linux 5.13+):
 * lines "RESOURCE VALUE". Only "sev" and "sev_es" matter here; a resource
 * the kernel does not list has capacity 0. SNP guests are charged to sev_es.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sources.h"

int sv_misc_parse(const char *data, size_t len, int64_t out[SEVSLOT_POOL_SEV_ES + 1], char *why,
		  size_t whylen)
{
	const char *p = data, *end;
	unsigned lineno = 0;

	out[SEVSLOT_POOL_SEV] = out[SEVSLOT_POOL_SEV_ES] = 0;
	if (len == 0)
		return 0;           /* and no arithmetic on a NULL pointer */
	end = data + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		const char *sp = memchr(p, ' ', (size_t)(eol - p));
		char num[24];
		const char *q;
		uint64_t v;
		size_t nlen;

		lineno++;
		if (eol == p) {
			p = eol + (nl != NULL);
			continue;
		}
		nlen = sp != NULL ? (size_t)(eol - sp - 1) : 0;
		if (sp == NULL || sp == p || nlen == 0 || nlen >= sizeof(num)) {
			snprintf(why, whylen, "line %u: expected 'RESOURCE VALUE'", lineno);
			return -EBADMSG;
		}
		memcpy(num, sp + 1, nlen);
		num[nlen] = '\0';
		if (strcmp(num, "max") == 0) {
			v = INT64_MAX;
		} else if (sv_parse_u64(num, &q, 10, &v) < 0 || *q != '\0' || v > INT64_MAX) {
			snprintf(why, whylen, "line %u: '%s' is not a number", lineno, num);
			return -EBADMSG;
		}
		if ((size_t)(sp - p) == 3 && memcmp(p, "sev", 3) == 0)
			out[SEVSLOT_POOL_SEV] = (int64_t)v;
		else if ((size_t)(sp - p) == 6 && memcmp(p, "sev_es", 6) == 0)
			out[SEVSLOT_POOL_SEV_ES] = (int64_t)v;
		p = eol + (nl != NULL);
	}
	return 0;
}
