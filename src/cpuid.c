/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CPUID: the instruction on a live host, /dev/cpu/0/cpuid or a `cpuid -1 -r`
 * recording under a sysroot, and the pure decoder of the leaves SEV needs
 * (AMD APM vol. 3, Fn8000_001F).
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sources.h"

#define LEAF_SEV 0x8000001Fu

const uint32_t sv_cpuid_wanted[] = { 0x0, 0x1, 0x80000000u, 0x80000001u, 0x80000008u, LEAF_SEV };
const size_t sv_cpuid_n_wanted = ARRAY_SIZE(sv_cpuid_wanted);

static void table_add(struct sv_cpuid_table *t, uint32_t leaf, uint32_t subleaf, const uint32_t r[4])
{
	if (sv_cpuid_find(t, leaf, subleaf) != NULL || t->n == SV_CPUID_MAX_LEAVES)
		return;
	t->leaves[t->n].leaf = leaf;
	t->leaves[t->n].subleaf = subleaf;
	memcpy(t->leaves[t->n].r, r, sizeof(t->leaves[t->n].r));
	t->n++;
}

const struct sv_cpuid_leaf *sv_cpuid_find(const struct sv_cpuid_table *t, uint32_t leaf,
					  uint32_t subleaf)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->leaves[i].leaf == leaf && t->leaves[i].subleaf == subleaf)
			return &t->leaves[i];
	return NULL;
}

/* The highest leaf of the range `leaf` belongs to, as the CPU reports it. */
static uint32_t range_max(const struct sv_cpuid_table *t, uint32_t leaf)
{
	const struct sv_cpuid_leaf *l = sv_cpuid_find(t, leaf & 0x80000000u, 0);

	return l != NULL ? l->r[0] : 0;
}

static int read_leaves(struct sv_cpuid_table *t, int (*one)(void *, uint32_t, uint32_t[4]),
		       void *arg)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < sv_cpuid_n_wanted; i++) {
		uint32_t leaf = sv_cpuid_wanted[i], r[4];
		bool base = (leaf & 0x7FFFFFFFu) == 0;
		int err;

		/* Past the range's maximum, a CPU repeats other leaves: skip. */
		if (!base && leaf > range_max(t, leaf))
			continue;
		err = one(arg, leaf, r);
		if (err < 0)
			return err;
		table_add(t, leaf, 0, r);
	}
	return 0;
}

static int leaf_instruction(void *arg, uint32_t leaf, uint32_t r[4])
{
	(void)arg;
	__cpuid_count(leaf, 0, r[0], r[1], r[2], r[3]);
	return 0;
}

static int leaf_device(void *arg, uint32_t leaf, uint32_t r[4])
{
	int fd = *(int *)arg;
	ssize_t n = pread(fd, r, 16, (off_t)leaf);

	if (n < 0)
		return -errno;
	return n == 16 ? 0 : -EIO;
}

static int read_table(struct sevslot_ctx *ctx, struct sv_cpuid_table *t)
{
	const char *path = sv_inputs[SV_IN_CPUID].path;
	const size_t max = 1 << 20;
	char why[160];
	struct sv_buf buf;
	int err, fd;

	if (ctx->live)
		return read_leaves(t, leaf_instruction, NULL);

	switch (sv_stat(ctx, path, &err)) {
	case SV_REGULAR:
		if ((err = sv_read_recording(ctx, path, max, "a CPUID recording", &buf)) < 0)
			return err;
		err = sv_cpuid_parse_recording(buf.data, buf.len, t, why, sizeof(why));
		sv_buf_release(&buf);
		if (err < 0)
			return sv_fail(ctx, err, "%s/%s: %s", ctx->sysroot, path, why);
		return 0;
	case SV_CHARDEV:
		fd = sv_open(ctx, path, O_RDONLY);
		if (fd < 0)
			return fd;
		err = read_leaves(t, leaf_device, &fd);
		close(fd);
		return err;
	case SV_ABSENT:
		memset(t, 0, sizeof(*t));
		return err;
	default:
		return sv_fail(ctx, -EBADMSG, "%s/%s: neither a recording nor a device", ctx->sysroot,
			       path);
	}
}

/* The CPUID input: the instruction live, the device or a recording under a sysroot. */
int sv_cpuid_read(struct sevslot_ctx *ctx, struct sv_raw *raw)
{
	raw->cpuid_err = read_table(ctx, &raw->cpuid);
	return raw->cpuid_err == -EBADMSG ? raw->cpuid_err : 0;
}

/* The leaves read, as `cpuid -1 -r` prints them. */
int sv_cpuid_record(const struct sv_raw *raw, char **out, size_t *len)
{
	const struct sv_cpuid_table *t = &raw->cpuid;
	FILE *f = open_memstream(out, len);

	if (f == NULL)
		return -ENOMEM;
	fputs("CPU:\n", f);
	for (size_t i = 0; i < t->n; i++) {
		const struct sv_cpuid_leaf *l = &t->leaves[i];

		fprintf(f, "   0x%08x 0x%02x: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n", l->leaf,
			l->subleaf, l->r[0], l->r[1], l->r[2], l->r[3]);
	}
	return sv_memstream_close(f, out);
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* Parse "0x<hex>" of at most 8 digits; NULL on mismatch. */
static const char *hex32(const char *p, const char *end, uint32_t *out)
{
	uint64_t v;
	const char *q;
	char tmp[16];
	size_t n = (size_t)(end - p) < sizeof(tmp) - 1 ? (size_t)(end - p) : sizeof(tmp) - 1;

	memcpy(tmp, p, n);
	tmp[n] = '\0';
	if (n < 3 || tmp[0] != '0' || (tmp[1] != 'x' && tmp[1] != 'X'))
		return NULL;
	if (sv_parse_u64(tmp, &q, 16, &v) < 0 || v > UINT32_MAX || q - tmp > 10)
		return NULL;
	*out = (uint32_t)v;
	return p + (q - tmp);
}

static int parse_line(const char *p, const char *end, struct sv_cpuid_table *t)
{
	static const char *const regs[4] = { "eax=", "ebx=", "ecx=", "edx=" };
	uint32_t leaf, subleaf, r[4];

	p = hex32(p, end, &leaf);
	if (p == NULL)
		return -EBADMSG;
	p = skip_blanks(p, end);
	p = hex32(p, end, &subleaf);
	if (p == NULL || p >= end || *p != ':')
		return -EBADMSG;
	p++;
	for (int i = 0; i < 4; i++) {
		p = skip_blanks(p, end);
		if ((size_t)(end - p) < 4 || memcmp(p, regs[i], 4) != 0)
			return -EBADMSG;
		p = hex32(p + 4, end, &r[i]);
		if (p == NULL)
			return -EBADMSG;
	}
	p = skip_blanks(p, end);
	if (p != end && *p != '\r')
		return -EBADMSG;
	table_add(t, leaf, subleaf, r);
	return 0;
}

/*
 * Parse the text `cpuid -1 -r` prints. Lines that do not start with a leaf
 * number ("CPU:", "CPU 0:") are ignored; a leaf line that is cut short or
 * carries garbage is an error. The first occurrence of a leaf wins.
 */
int sv_cpuid_parse_recording(const char *text, size_t len, struct sv_cpuid_table *t,
			     char *why, size_t whylen)
{
	const char *p = text, *end = text + len;
	unsigned lineno = 0;

	memset(t, 0, sizeof(*t));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		const char *s = skip_blanks(p, eol);

		lineno++;
		if ((size_t)(eol - s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
		    parse_line(s, eol, t) < 0) {
			snprintf(why, whylen,
				 "line %u: not a CPUID line of the form '0xLEAF 0xSUB: eax=0x... ebx=0x... ecx=0x... edx=0x...'",
				 lineno);
			return -EBADMSG;
		}
		p = eol + (nl != NULL);
	}
	return 0;
}

static uint32_t reg(const struct sv_cpuid_table *t, uint32_t leaf, int i)
{
	const struct sv_cpuid_leaf *l = sv_cpuid_find(t, leaf, 0);

	return l != NULL ? l->r[i] : 0;
}

void sv_cpuid_decode(const struct sv_cpuid_table *t, struct sevslot_cpu *cpu)
{
	uint32_t sig = reg(t, 1, 0), base_family = (sig >> 8) & 0xF;
	bool amd, has_ext_max = sv_cpuid_find(t, 0x80000000u, 0) != NULL;

	memset(cpu, 0, sizeof(*cpu));
	cpu->read = t->n > 0;
	memcpy(cpu->vendor + 0, &(uint32_t){ reg(t, 0, 1) }, 4);
	memcpy(cpu->vendor + 4, &(uint32_t){ reg(t, 0, 3) }, 4);
	memcpy(cpu->vendor + 8, &(uint32_t){ reg(t, 0, 2) }, 4);
	cpu->vendor[12] = '\0';
	for (int i = 0; i < 12; i++)	/* keep the string printable */
		if (cpu->vendor[i] != '\0' && (cpu->vendor[i] < 0x20 || cpu->vendor[i] > 0x7e))
			cpu->vendor[i] = '?';

	/*
	 * As Linux's x86_family()/x86_model(): AMD extends the model only in
	 * family 0xF, Intel also in family 6; no AMD part has family 6 with a
	 * non-zero extended model, so one rule serves both.
	 */
	cpu->family = base_family;
	cpu->model = (sig >> 4) & 0xF;
	if (base_family == 0xF)
		cpu->family += (sig >> 20) & 0xFF;
	if (base_family == 0xF || base_family == 0x6)
		cpu->model |= ((sig >> 16) & 0xF) << 4;
	cpu->stepping = sig & 0xF;
	cpu->max_ext_leaf = reg(t, 0x80000000u, 0);

	/* A recording without leaf 0x80000000 is trusted as it stands. */
	if (!has_ext_max || cpu->max_ext_leaf >= LEAF_SEV) {
		cpu->eax = reg(t, LEAF_SEV, 0);
		cpu->ebx = reg(t, LEAF_SEV, 1);
		cpu->ecx = reg(t, LEAF_SEV, 2);
		cpu->edx = reg(t, LEAF_SEV, 3);
	}
	cpu->sme = cpu->eax & (1u << 0);
	cpu->sev = cpu->eax & (1u << 1);
	cpu->sev_es = cpu->eax & (1u << 3);
	cpu->sev_snp = cpu->eax & (1u << 4);
	cpu->vmpl = cpu->eax & (1u << 5);
	cpu->cbitpos = cpu->ebx & 0x3F;
	cpu->reduced_phys_bits = (cpu->ebx >> 6) & 0x3F;
	cpu->vmpls = (cpu->ebx >> 12) & 0xF;
	cpu->max_asid = cpu->ecx;
	cpu->min_sev_asid = cpu->edx;

	/* Naples (Zen 1) had no SEV-ES pool; Milan (family 19h) brought SNP. */
	amd = strcmp(cpu->vendor, "AuthenticAMD") == 0;
	cpu->es_generation = cpu->sev_es || (amd && (cpu->family > 0x17 ||
						     (cpu->family == 0x17 && cpu->model >= 0x30)));
	cpu->snp_generation = cpu->sev_snp || (amd && cpu->family >= 0x19);
}
