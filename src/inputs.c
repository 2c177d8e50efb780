/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The table of inputs: every path the probe reads, where it lands in
 * struct sv_raw (the row's index), how large it may be, and whether only the
 * full probe reads it. raw.c reads and releases by walking it, the probe
 * names files from it, and `sevslot snapshot` writes every row back out.
 */
#include "sources.h"

#define SYSFS_MAX 4096                /* a sysfs attribute is at most a page */
#define CPUINFO_MAX (256 * 1024)      /* the first processor is all we need */
#define KVM_PARAMS "sys/module/kvm_amd/parameters/"
#define DPKG_STATUS_MAX (64 * 1024 * 1024) /* a large desktop's is about 10 MB */

const struct sv_input sv_inputs[SV_IN_COUNT] = {
	[SV_IN_CPUID] = { "dev/cpu/0/cpuid", NULL, SV_INPUT_DEVICE, 0, 0,
			  sv_cpuid_read, sv_cpuid_record },
	[SV_IN_KVM_AMD] = { "sys/module/kvm_amd", NULL, SV_INPUT_PRESENCE, 0, SV_INPUT_DIR,
			    NULL, NULL },
	[SV_IN_KVM_SEV] = { KVM_PARAMS "sev", NULL, SV_INPUT_FILE, SYSFS_MAX, 0, NULL, NULL },
	[SV_IN_KVM_SEV_ES] = { KVM_PARAMS "sev_es", NULL, SV_INPUT_FILE, SYSFS_MAX, 0, NULL, NULL },
	[SV_IN_KVM_SEV_SNP] = { KVM_PARAMS "sev_snp", NULL, SV_INPUT_FILE, SYSFS_MAX, 0, NULL, NULL },
	[SV_IN_KVM_CTH] = { KVM_PARAMS "ciphertext_hiding_asids", NULL, SV_INPUT_FILE, SYSFS_MAX, 0,
			    NULL, NULL },
	[SV_IN_MISC_CAPACITY] = { "sys/fs/cgroup/misc.capacity", "sys/fs/cgroup/misc/misc.capacity",
				  SV_INPUT_FILE, SYSFS_MAX, 0, NULL, NULL },
	[SV_IN_MISC_CURRENT] = { "sys/fs/cgroup/misc.current", "sys/fs/cgroup/misc/misc.current",
				 SV_INPUT_FILE, SYSFS_MAX, SV_INPUT_FULL, NULL, NULL },
	[SV_IN_BOOT_ID] = { "proc/sys/kernel/random/boot_id", NULL, SV_INPUT_FILE, SYSFS_MAX, 0,
			    NULL, NULL },
	[SV_IN_OSRELEASE] = { "proc/sys/kernel/osrelease", NULL, SV_INPUT_FILE, SYSFS_MAX,
			      SV_INPUT_FULL, NULL, NULL },
	[SV_IN_CPUINFO] = { "proc/cpuinfo", NULL, SV_INPUT_FIRST_RECORD, CPUINFO_MAX, SV_INPUT_FULL,
			    NULL, NULL },
	[SV_IN_DEV_KVM] = { "dev/kvm", NULL, SV_INPUT_PRESENCE, 0, SV_INPUT_FULL, NULL, NULL },
	[SV_IN_DEV_SEV] = { "dev/sev", NULL, SV_INPUT_DEVICE, 0, SV_INPUT_FULL, sv_psp_read,
			    sv_psp_record },
	[SV_IN_MSR] = { "dev/cpu/0/msr", NULL, SV_INPUT_DEVICE, 0, SV_INPUT_FULL, sv_msr_read,
			sv_msr_record },
	[SV_IN_LIMITS] = { "proc/self/limits", NULL, SV_INPUT_FILE, SYSFS_MAX, SV_INPUT_FULL, NULL,
			   NULL },
	/*
	 * The userspace stack, in QEMU's order of precedence: a descriptor in
	 * etc replaces its namesake in usr/share. The emulators are only
	 * looked at, never run; dpkg's status file is read only when one of
	 * them is there, and only QEMU's stanza of it is kept (and recorded).
	 */
	[SV_IN_FW_SHARE] = { "usr/share/qemu/firmware", NULL, SV_INPUT_JSON_DIR, SV_FW_DESC_MAX,
			     SV_INPUT_FULL | SV_INPUT_STACK, NULL, NULL },
	[SV_IN_FW_ETC] = { "etc/qemu/firmware", NULL, SV_INPUT_JSON_DIR, SV_FW_DESC_MAX,
			   SV_INPUT_FULL | SV_INPUT_STACK, NULL, NULL },
	[SV_IN_QEMU] = { "usr/bin/qemu-system-x86_64", NULL, SV_INPUT_PRESENCE, 0,
			 SV_INPUT_FULL | SV_INPUT_STACK, NULL, NULL },
	[SV_IN_QEMU_KVM] = { "usr/libexec/qemu-kvm", NULL, SV_INPUT_PRESENCE, 0,
			     SV_INPUT_FULL | SV_INPUT_STACK, NULL, NULL },
	[SV_IN_DPKG] = { "var/lib/dpkg/status", NULL, SV_INPUT_FILE, DPKG_STATUS_MAX,
			 SV_INPUT_FULL | SV_INPUT_STACK, sv_dpkg_read, NULL },
};

bool sv_input_wanted(enum sv_input_id id, unsigned flags)
{
	return !(flags & SEVSLOT_PROBE_CAPACITY) || !(sv_inputs[id].flags & SV_INPUT_FULL);
}
