/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Phase one of a probe: read every source into memory, decoding nothing.
 * The same bytes are what `sevslot snapshot` writes out, so a replayed
 * snapshot sees exactly what the live probe saw.
 */
#include <errno.h>
#include <string.h>
#include <stdio.h>

#include "internal.h"

#define SYSFS_MAX 4096                /* a sysfs attribute is at most a page */
#define CPUINFO_MAX (256 * 1024)      /* the first processor is all we need */

static const char kvm_dir[] = "sys/module/kvm_amd/parameters";

static void read_kvm(struct sevslot_ctx *ctx, struct sv_raw *raw)
{
	struct {
		const char *name;
		struct sv_buf *buf;
	} params[] = {
		{ "sev", &raw->kvm_sev },
		{ "sev_es", &raw->kvm_sev_es },
		{ "sev_snp", &raw->kvm_sev_snp },
		{ "ciphertext_hiding_asids", &raw->kvm_cth },
	};
	char path[128];
	int err;

	raw->kvm_amd_dir = sv_stat(ctx, "sys/module/kvm_amd", &err) == SV_DIRECTORY;
	for (size_t i = 0; i < ARRAY_SIZE(params); i++) {
		snprintf(path, sizeof(path), "%s/%s", kvm_dir, params[i].name);
		sv_read(ctx, path, SYSFS_MAX, false, params[i].buf);
	}
}

static void read_misc(struct sevslot_ctx *ctx, struct sv_raw *raw, bool current)
{
	sv_read(ctx, "sys/fs/cgroup/misc.capacity", SYSFS_MAX, false, &raw->misc_capacity);
	raw->misc_version = 2;
	if (raw->misc_capacity.err == -ENOENT) {
		sv_read(ctx, "sys/fs/cgroup/misc/misc.capacity", SYSFS_MAX, false,
			&raw->misc_capacity);
		/*
		 * v1 as soon as the file is there, readable or not, so that a
		 * failure names the file that exists.
		 */
		raw->misc_version = raw->misc_capacity.err != -ENOENT ? 1 : 2;
	}
	if (!current)
		return;
	sv_read(ctx, raw->misc_version == 1 ? "sys/fs/cgroup/misc/misc.current" :
					      "sys/fs/cgroup/misc.current",
		SYSFS_MAX, false, &raw->misc_current);
}

int sv_raw_read(struct sevslot_ctx *ctx, unsigned flags, struct sv_raw *raw)
{
	bool full = !(flags & SEVSLOT_PROBE_CAPACITY);
	int err;

	memset(raw, 0, sizeof(*raw));
	raw->cpuid_err = sv_cpuid_read(ctx, &raw->cpuid);
	if (raw->cpuid_err == -EBADMSG)
		return raw->cpuid_err;
	read_kvm(ctx, raw);
	read_misc(ctx, raw, full);
	sv_read(ctx, "proc/sys/kernel/random/boot_id", SYSFS_MAX, false, &raw->boot_id);
	if (!full)
		return 0;

	sv_read(ctx, "proc/sys/kernel/osrelease", SYSFS_MAX, false, &raw->osrelease);
	sv_read_first_record(ctx, "proc/cpuinfo", CPUINFO_MAX, &raw->cpuinfo);
	raw->dev_kvm = sv_stat(ctx, "dev/kvm", &err) != SV_ABSENT;
	err = sv_psp_read(ctx, raw);
	if (err < 0)
		return err;
	raw->msr_err = sv_msr_read(ctx, SV_MSR_SYSCFG, &raw->syscfg);
	if (raw->msr_err == -EBADMSG)
		return raw->msr_err;
	sv_read(ctx, "proc/self/limits", SYSFS_MAX, false, &raw->limits);
	return 0;
}

void sv_raw_release(struct sv_raw *raw)
{
	struct sv_buf *bufs[] = {
		&raw->kvm_sev,	     &raw->kvm_sev_es, &raw->kvm_sev_snp, &raw->kvm_cth,
		&raw->misc_capacity, &raw->misc_current, &raw->cpuinfo,	  &raw->boot_id,
		&raw->osrelease,     &raw->limits,
	};

	for (size_t i = 0; i < ARRAY_SIZE(bufs); i++)
		sv_buf_release(bufs[i]);
}
