/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoders for /proc files: the flags of the first processor in cpuinfo (the
 * kernel lists sme, sev, sev_es and sev_snp only when firmware enabled them,
 * which is what separates "the CPU can" from "the firmware did"), and the
 * locked-memory limit in /proc/self/limits (SEV guests pin all their pages).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sources.h"

static bool has_word(const char *s, size_t len, const char *word)
{
	size_t wl = strlen(word);
	const char *p = s, *end = s + len;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *w = p;

		while (p < end && *p != ' ' && *p != '\t')
			p++;
		if ((size_t)(p - w) == wl && memcmp(w, word, wl) == 0)
			return true;
	}
	return false;
}

int sv_cpuinfo_parse(const char *data, size_t len, struct sevslot_kernel *k)
{
	const char *p = data, *end = data + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		const char *colon;

		if (eol == p) /* a blank line ends the first processor */
			break;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon != NULL && (size_t)(eol - p) >= 5 && memcmp(p, "flags", 5) == 0 &&
		    strspn(p + 5, " \t") == (size_t)(colon - p - 5)) {
			const char *v = colon + 1;
			size_t vlen = (size_t)(eol - v);

			k->cpuinfo_read = true;
			k->cpuinfo_sme = has_word(v, vlen, "sme");
			k->cpuinfo_sev = has_word(v, vlen, "sev");
			k->cpuinfo_sev_es = has_word(v, vlen, "sev_es");
			k->cpuinfo_sev_snp = has_word(v, vlen, "sev_snp");
			return 0;
		}
		p = eol + (nl != NULL);
	}
	return -ENOENT;
}

static int limit_value(const char *s, const char **end, uint64_t *out)
{
	if (strncmp(s, "unlimited", 9) == 0) {
		*out = UINT64_MAX;
		*end = s + 9;
		return 0;
	}
	return sv_parse_u64(s, end, 10, out);
}

/* "Max locked memory         8388608              8388608              bytes" */
int sv_limits_parse_memlock(const char *data, size_t len, uint64_t *cur, uint64_t *max)
{
	static const char key[] = "Max locked memory";
	const char *p = data, *end = data + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		char line[128];
		size_t n = (size_t)(eol - p);
		const char *q;

		if (n < sizeof(line) && n > sizeof(key) - 1 && memcmp(p, key, sizeof(key) - 1) == 0) {
			memcpy(line, p, n);
			line[n] = '\0';
			q = line + sizeof(key) - 1;
			q += strspn(q, " \t");
			if (limit_value(q, &q, cur) < 0)
				return -EBADMSG;
			q += strspn(q, " \t");
			if (limit_value(q, &q, max) < 0)
				return -EBADMSG;
			return 0;
		}
		p = eol + (nl != NULL);
	}
	return -ENOENT;
}

/*
 * Whether the kernel release (osrelease, "6.2.14-300.fc38.x86_64") is at
 * least maj.min. An unknown release counts as new: the checks that depend on
 * it then assume today's kernel rather than blame an old one.
 */
bool sv_kernel_at_least(const struct sevslot_kernel *k, unsigned maj, unsigned min)
{
	const char *p = k->osrelease;
	uint64_t a, b;

	if (sv_parse_u64(p, &p, 10, &a) < 0 || *p != '.' || sv_parse_u64(p + 1, NULL, 10, &b) < 0)
		return true;
	return a > maj || (a == maj && b >= min);
}
