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

#include "internal.h"

/* The path as the user would find it: DIR/path under a sysroot, /path live. */
static const char *shown(const struct sevslot_ctx *ctx, const char *path, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", ctx->live ? "" : ctx->sysroot, path);
	return buf;
}

static int bad_file(struct sevslot_ctx *ctx, const char *path, const struct sv_buf *b,
		    const char *why)
{
	char p[512];

	if (b->err == -EFBIG)
		return sv_fail(ctx, -EBADMSG, "%s: file too large for a kernel attribute",
			       shown(ctx, path, p, sizeof(p)));
	return sv_fail(ctx, -EBADMSG, "%s: %s", shown(ctx, path, p, sizeof(p)), why);
}

/* A kernel file that may be absent; other read errors are reported as such. */
static bool present(const struct sv_buf *b)
{
	return b->err == 0;
}

/*
 * A kernel file is either there, or absent (a fact the checks report); one
 * that is too large or cannot be read fails the probe, naming the file.
 */
static int readable(struct sevslot_ctx *ctx, const char *path, const struct sv_buf *b)
{
	char p[512];

	if (b->err == 0 || b->err == -ENOENT || b->err == -ENOTDIR)
		return 0;
	if (b->err == -EFBIG)
		return bad_file(ctx, path, b, NULL);
	return sv_fail(ctx, b->err, "%s: %s", shown(ctx, path, p, sizeof(p)), strerror(-b->err));
}

static int decode_param(struct sevslot_ctx *ctx, const char *name, const struct sv_buf *b,
			enum sevslot_param *out)
{
	char path[128];
	int err;

	*out = SEVSLOT_PARAM_ABSENT;
	snprintf(path, sizeof(path), "sys/module/kvm_amd/parameters/%s", name);
	if ((err = readable(ctx, path, b)) < 0)
		return err;
	if (!present(b))
		return 0;
	if (sv_kvm_parse_bool(b->data, b->len, out) < 0)
		return bad_file(ctx, path, b, "expected Y, N, 1 or 0");
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

static int decode_misc(struct sevslot_ctx *ctx, const struct sv_raw *raw, const struct sv_buf *b,
		       const char *name, bool *read, int64_t out[2])
{
	char path[64], why[128];
	int err;

	snprintf(path, sizeof(path), "sys/fs/cgroup/%s%s", raw->misc_version == 1 ? "misc/" : "",
		 name);
	out[0] = out[1] = 0;
	*read = false;
	if ((err = readable(ctx, path, b)) < 0)
		return err;
	if (!present(b))
		return 0;
	if (sv_misc_parse(b->data, b->len, out, why, sizeof(why)) < 0)
		return bad_file(ctx, path, b, why);
	*read = true;
	return 0;
}

static int decode_kernel(struct sevslot_ctx *ctx, const struct sv_raw *raw, struct sevslot_kernel *k)
{
	int err;

	k->kvm_amd = raw->kvm_amd_dir;
	k->dev_kvm = raw->dev_kvm;
	if ((err = decode_param(ctx, "sev", &raw->kvm_sev, &k->sev)) < 0 ||
	    (err = decode_param(ctx, "sev_es", &raw->kvm_sev_es, &k->sev_es)) < 0 ||
	    (err = decode_param(ctx, "sev_snp", &raw->kvm_sev_snp, &k->sev_snp)) < 0)
		return err;
	k->ciphertext_hiding_asids = -1;
	if ((err = readable(ctx, "sys/module/kvm_amd/parameters/ciphertext_hiding_asids",
			    &raw->kvm_cth)) < 0 ||
	    (err = readable(ctx, "proc/cpuinfo", &raw->cpuinfo)) < 0 ||
	    (err = readable(ctx, "proc/sys/kernel/random/boot_id", &raw->boot_id)) < 0 ||
	    (err = readable(ctx, "proc/sys/kernel/osrelease", &raw->osrelease)) < 0 ||
	    (err = readable(ctx, "proc/self/limits", &raw->limits)) < 0)
		return err;
	if (present(&raw->kvm_cth) &&
	    sv_kvm_parse_uint(raw->kvm_cth.data, raw->kvm_cth.len, &k->ciphertext_hiding_asids) < 0)
		return bad_file(ctx, "sys/module/kvm_amd/parameters/ciphertext_hiding_asids",
				&raw->kvm_cth, "expected a number of ASIDs or 'max'");
	if ((err = decode_misc(ctx, raw, &raw->misc_capacity, "misc.capacity",
			       &k->misc_capacity_read, k->misc_capacity)) < 0 ||
	    (err = decode_misc(ctx, raw, &raw->misc_current, "misc.current", &k->misc_current_read,
			       k->misc_current)) < 0)
		return err;
	if (present(&raw->cpuinfo))
		sv_cpuinfo_parse(raw->cpuinfo.data, raw->cpuinfo.len, k);
	copy_line(k->boot_id, sizeof(k->boot_id), &raw->boot_id);
	copy_line(k->osrelease, sizeof(k->osrelease), &raw->osrelease);
	k->msr_error = raw->msr_err;
	k->syscfg = raw->msr_err == 0 ? raw->syscfg : 0;
	if (present(&raw->limits))
		k->memlock_read = sv_limits_parse_memlock(raw->limits.data, raw->limits.len,
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
	err = sv_checks_run(host);
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
	free(host);
}
