/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The probe: read every source (phase one), optionally drop capabilities,
 * then decode into one immutable struct sevslot_host, derive the pools and
 * run the checks. Only the decode step interprets bytes.
 */
#include <cap-ng.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

/* The input's path as the user would find it: DIR/path under a sysroot, /path live. */
static const char *shown(const struct sevslot_ctx *ctx, const struct sv_buf *b, char *buf,
			 size_t len)
{
	snprintf(buf, len, "%s/%s", ctx->live ? "" : ctx->sysroot, b->path);
	return buf;
}

static int bad_file(struct sevslot_ctx *ctx, const struct sv_buf *b, const char *why)
{
	char p[512];

	if (b->err == -EFBIG)
		return sv_fail(ctx, -EBADMSG, "%s: file too large for a kernel attribute",
			       shown(ctx, b, p, sizeof(p)));
	return sv_fail(ctx, -EBADMSG, "%s: %s", shown(ctx, b, p, sizeof(p)), why);
}

/* A kernel file that may be absent; other read errors are reported as such. */
static bool present(const struct sv_buf *b)
{
	return b->err == 0 && b->data != NULL;
}

/*
 * A kernel file is either there, or absent (a fact the checks report); one
 * that is too large or cannot be read fails the probe, naming the file.
 */
static int readable(struct sevslot_ctx *ctx, const struct sv_buf *b)
{
	char p[512];

	if (b->err == 0 || b->err == -ENOENT || b->err == -ENOTDIR)
		return 0;
	if (b->err == -EFBIG)
		return bad_file(ctx, b, NULL);
	if (b->not_regular)
		return bad_file(ctx, b, "not a regular file (a FIFO or a device); a kernel "
				"attribute is one");
	return sv_fail(ctx, b->err, "%s: %s", shown(ctx, b, p, sizeof(p)), strerror(-b->err));
}

static int decode_param(struct sevslot_ctx *ctx, const struct sv_buf *b, enum sevslot_param *out)
{
	*out = SEVSLOT_PARAM_ABSENT;
	if (!present(b))
		return 0;
	if (sv_kvm_parse_bool(b->data, b->len, out) < 0)
		return bad_file(ctx, b, "expected Y, N, 1 or 0");
	return 0;
}

static void copy_line(char *dst, size_t dstlen, const struct sv_buf *b)
{
	size_t n = 0;

	if (present(b))
		while (n < b->len && n + 1 < dstlen && b->data[n] != '\n' && b->data[n] >= 0x20 &&
		       b->data[n] < 0x7f)
			n++;
	if (n > 0)
		memcpy(dst, b->data, n);
	dst[n] = '\0';
}

static int decode_misc(struct sevslot_ctx *ctx, const struct sv_buf *b, bool *read,
		       int64_t out[SEVSLOT_POOL_SEV_ES + 1])
{
	char why[128];

	out[SEVSLOT_POOL_SEV] = out[SEVSLOT_POOL_SEV_ES] = 0;
	*read = false;
	if (!present(b))
		return 0;
	if (sv_misc_parse(b->data, b->len, out, why, sizeof(why)) < 0)
		return bad_file(ctx, b, why);
	*read = true;
	return 0;
}

static int decode_kernel(struct sevslot_ctx *ctx, const struct sv_raw *raw, struct sevslot_kernel *k)
{
	const struct sv_buf *in = raw->in;
	int err;

	/*
	 * Any kernel input that is there but cannot be read fails the probe,
	 * naming it; the userspace stack's become checks.
	 */
	for (unsigned id = 0; id < SV_IN_COUNT; id++)
		if (!(sv_inputs[id].flags & SV_INPUT_STACK) && (sv_inputs[id].kind == SV_INPUT_FILE ||
		     sv_inputs[id].kind == SV_INPUT_FIRST_RECORD) && (err = readable(ctx, &in[id])) < 0)
			return err;
	k->kvm_amd = in[SV_IN_KVM_AMD].err == 0;
	k->dev_kvm = in[SV_IN_DEV_KVM].err == 0;
	if ((err = decode_param(ctx, &in[SV_IN_KVM_SEV], &k->sev)) < 0 ||
	    (err = decode_param(ctx, &in[SV_IN_KVM_SEV_ES], &k->sev_es)) < 0 ||
	    (err = decode_param(ctx, &in[SV_IN_KVM_SEV_SNP], &k->sev_snp)) < 0)
		return err;
	k->ciphertext_hiding_asids = -1;
	if (present(&in[SV_IN_KVM_CTH]) &&
	    sv_kvm_parse_uint(in[SV_IN_KVM_CTH].data, in[SV_IN_KVM_CTH].len,
			      &k->ciphertext_hiding_asids) < 0)
		return bad_file(ctx, &in[SV_IN_KVM_CTH], "expected a number of ASIDs or 'max'");
	if ((err = decode_misc(ctx, &in[SV_IN_MISC_CAPACITY], &k->misc_capacity_read,
			       k->misc_capacity)) < 0 ||
	    (err = decode_misc(ctx, &in[SV_IN_MISC_CURRENT], &k->misc_current_read,
			       k->misc_current)) < 0)
		return err;
	if (present(&in[SV_IN_CPUINFO]))
		sv_cpuinfo_parse(in[SV_IN_CPUINFO].data, in[SV_IN_CPUINFO].len, k);
	copy_line(k->boot_id, sizeof(k->boot_id), &in[SV_IN_BOOT_ID]);
	copy_line(k->osrelease, sizeof(k->osrelease), &in[SV_IN_OSRELEASE]);
	k->msr_error = raw->msr_err;
	k->syscfg = raw->msr_err == 0 ? raw->syscfg : 0;
	if (present(&in[SV_IN_LIMITS]))
		k->memlock_read = sv_limits_parse_memlock(in[SV_IN_LIMITS].data, in[SV_IN_LIMITS].len,
							  &k->memlock_cur, &k->memlock_max) == 0;
	return 0;
}

/*
 * Give up every capability once the sources are open. An unprivileged
 * process has none to give up; the bounding set is cleared too when the
 * process may (CAP_SETPCAP), so nothing can be regained through exec.
 */
static int drop_caps(struct sevslot_ctx *ctx)
{
	bool bounding;

	if (capng_get_caps_process() < 0)
		return sv_fail(ctx, -EPERM, "cannot read this process's capabilities");
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE)
		return 0;
	bounding = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	capng_clear(bounding ? CAPNG_SELECT_BOTH : CAPNG_SELECT_CAPS);
	if (capng_apply(bounding ? CAPNG_SELECT_BOTH : CAPNG_SELECT_CAPS) < 0)
		return sv_fail(ctx, -EPERM, "cannot drop capabilities");
	dbg(ctx, "dropped all capabilities before parsing");
	return 0;
}

SEVSLOT_EXPORT int sevslot_probe(struct sevslot_ctx *ctx, unsigned flags, struct sevslot_host **out)
{
	struct sevslot_host *host = NULL;
	struct sv_stack_notes notes;
	struct sv_raw *raw;
	int err;

	*out = NULL;
	ctx->errmsg[0] = '\0';
	raw = malloc(sizeof(*raw));
	if (raw == NULL)
		return -ENOMEM;
	err = sv_raw_read(ctx, flags, raw);
	if (err < 0)
		goto out;
	if ((flags & SEVSLOT_PROBE_DROP_CAPS) && (err = drop_caps(ctx)) < 0)
		goto out;

	host = calloc(1, sizeof(*host));
	if (host == NULL) {
		err = -ENOMEM;
		goto out;
	}
	host->live = ctx->live;
	host->firmware_probed = !(flags & SEVSLOT_PROBE_CAPACITY);
	sv_cpuid_decode(&raw->cpuid, &host->cpu);
	if (raw->cpuid_err < 0)
		host->cpu.read = false;
	err = decode_kernel(ctx, raw, &host->kernel);
	if (err < 0)
		goto out;
	host->fw.open_error = host->firmware_probed ? raw->sev_open_err : -ENOENT;
	if (host->firmware_probed && raw->sev_open_err == 0)
		sv_psp_decode(&raw->status, &raw->snp_status, &host->fw);
	sv_pools_derive(host);
	if (host->firmware_probed && (err = sv_stack_derive(host, raw, &notes)) < 0)
		goto out;
	err = sv_checks_run(host, host->firmware_probed ? &notes : NULL);
out:
	sv_raw_release(raw);
	free(raw);
	if (err < 0) {
		sevslot_host_free(host);
		return err;
	}
	*out = host;
	return 0;
}

SEVSLOT_EXPORT void sevslot_host_free(struct sevslot_host *host)
{
	if (host == NULL)
		return;
	free(host->checks);
	sv_stack_free(&host->stack);
	free(host);
}
