/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The probe's checks, layer by layer: what the CPU offers, what the firmware
 * (BIOS) enabled, what KVM will run, how the ASIDs split, what the PSP says.
 * "The CPU supports it" and "it is enabled" are always separate checks; a
 * feature this CPU generation never had is a skip, not a failure; anything
 * that could not be read is unknown, with a hint saying how to allow it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

#define MAX_CHECKS 64

static const char hint_bios_sev[] =
	"enable SME and SEV in the BIOS setup (often under CPU or NBIO options), then reboot";
static const char hint_vm[] =
	"CPUID reads zeros inside a virtual machine: run sevslot on the host; on bare metal, enable SME and SEV in the BIOS";
static const char hint_msr_module[] = "load the msr module (modprobe msr) and run as root";
static const char hint_msr_root[] = "run as root: reading MSRs needs CAP_SYS_RAWIO";
static const char hint_load_kvm[] =
	"load the module: modprobe kvm_amd (and enable SVM/AMD-V in the BIOS if it refuses)";
static const char hint_kvm_sev[] =
	"load kvm_amd with sev=1: echo 'options kvm_amd sev=1' > /etc/modprobe.d/kvm-amd.conf, then reload kvm_amd or reboot (older kernels also need mem_encrypt=on)";
static const char hint_kvm_sev_es[] =
	"load kvm_amd with sev_es=1 (options kvm_amd sev_es=1); it also needs ASIDs for SEV-ES, see asids.sev_es";
static const char hint_kvm_sev_snp[] =
	"load kvm_amd with sev_snp=1 on Linux 6.11 or later, with SNP enabled in the BIOS and SNP-capable firmware";
static const char hint_old_kernel[] =
	"use a kernel built with CONFIG_KVM_AMD_SEV=y (Linux 4.16 or later for SEV, 5.11 for SEV-ES, 6.11 for SEV-SNP)";
static const char hint_es_asids[] =
	"raise the BIOS setting 'SEV-ES ASID Space Limit' (the minimum SEV non-ES ASID): ASIDs below it go to SEV-ES and SEV-SNP guests, ASIDs from it up to plain SEV guests";
static const char hint_sev_asids[] =
	"lower the BIOS 'SEV-ES ASID Space Limit' so that some ASIDs remain for plain SEV guests";
static const char hint_dev_sev_missing[] =
	"the ccp driver creates /dev/sev when the PSP offers SEV: enable SEV in the BIOS, load ccp (modprobe ccp) and check dmesg for 'ccp' and 'SEV'";
static const char hint_dev_sev_perm[] =
	"run as root, or let a group read it with a udev rule: KERNEL==\"sev\", GROUP=\"kvm\", MODE=\"0660\"";
static const char hint_psp_busy[] =
	"the PSP timed out or is busy: check dmesg for 'sev command ... timed out'; a reboot may be needed";
static const char hint_psp_fw[] =
	"check dmesg for ccp/SEV errors and update the SEV firmware (a BIOS update, or a newer amd_sev_fam*.sbin in /lib/firmware/amd)";
static const char hint_snp_kernel[] =
	"a kernel with SEV-SNP host support (Linux 6.11 or later) reports SNP firmware status";
static const char hint_misc[] =
	"the kernel split the ASIDs differently from what CPUID says: check that CPUID and the cgroup files come from the same boot, and report the host to the sevslot developers";
static const char hint_es_snp[] =
	"to offer SEV-ES guests, load kvm_amd with sev_snp=0; SEV and SEV-SNP guests are not affected";
static const char hint_cth[] =
	"lower kvm_amd.ciphertext_hiding_asids so that some of the SEV-ES/SNP ASIDs remain for SEV-ES guests";
static const char hint_init_failed[] =
	"SEV INIT failed: look for 'SEV: failed to INIT' in dmesg, update the BIOS and SEV firmware, and check that SEV is enabled in the BIOS";
static const char hint_snp_init_failed[] =
	"SNP INIT failed: look for 'SEV-SNP' errors in dmesg; SNP needs SNP enabled in the BIOS, SNP memory coverage and an IOMMU";
static const char hint_not_recorded[] =
	"record it from the live host with 'sevslot snapshot DIR'";
static const char hint_qemu[] =
	"install QEMU: qemu-system-x86 (Debian, Ubuntu) or qemu-kvm (RHEL); sevslot looks for it, never runs it";
static const char hint_ovmf[] =
	"install UEFI firmware with its QEMU descriptors: ovmf (Debian, Ubuntu) or edk2-ovmf (RHEL); libvirt picks firmware for <os firmware='efi'> from them";
static const char hint_bad_descriptor[] =
	"fix or remove it: libvirt stops picking firmware for every guest while a descriptor does not parse";

struct checks {
	struct sevslot_host *host;
	size_t n;
};

static void SV_PRINTF(6, 7) add(struct checks *c, const char *id, unsigned level,
				   enum sevslot_status status, const char *hint, const char *fmt, ...)
{
	struct sevslot_check *ck;
	va_list ap;

	if (c->n == MAX_CHECKS)
		return;
	ck = &c->host->checks[c->n++];
	ck->id = id;
	ck->level = level;
	ck->status = status;
	ck->hint = status == SEVSLOT_FAIL || status == SEVSLOT_UNKNOWN ? hint : NULL;
	va_start(ap, fmt);
	vsnprintf(ck->message, sizeof(ck->message), fmt, ap);
	va_end(ap);
}

static bool vendor_ok(const struct sevslot_cpu *cpu)
{
	return strcmp(cpu->vendor, "AuthenticAMD") == 0 || strcmp(cpu->vendor, "HygonGenuine") == 0;
}

static void check_cpu(struct checks *c)
{
	const struct sevslot_cpu *cpu = &c->host->cpu;
	bool zeros = !(cpu->eax | cpu->ebx | cpu->ecx | cpu->edx);

	if (!cpu->read) {
		add(c, "cpu.vendor", 0, SEVSLOT_UNKNOWN, hint_not_recorded,
		    "CPUID was not recorded (no dev/cpu/0/cpuid)");
		return;
	}
	if (cpu->vendor[0] == '\0') {
		/* A recording of leaf 0x8000001F alone: judge the leaf, not the vendor. */
		add(c, "cpu.vendor", 0, SEVSLOT_UNKNOWN, hint_not_recorded,
		    "CPUID leaf 0 was not recorded: vendor unknown");
	} else if (!vendor_ok(cpu)) {
		add(c, "cpu.vendor", 0, SEVSLOT_FAIL,
		    "SEV needs an AMD EPYC (or Hygon) processor: run sevslot on such a host",
		    "%s processor: AMD SEV needs an AMD or Hygon CPU", cpu->vendor);
		return;
	} else {
		add(c, "cpu.vendor", 0, SEVSLOT_PASS, NULL, "%s family %02xh model %02xh stepping %u",
		    cpu->vendor, cpu->family, cpu->model, cpu->stepping);
	}
	if (cpu->max_ext_leaf != 0 && cpu->max_ext_leaf < 0x8000001Fu) {
		add(c, "cpu.leaf", 1, SEVSLOT_FAIL, hint_vm,
		    "CPUID stops at leaf 0x%08x, before the memory-encryption leaf 0x8000001F",
		    cpu->max_ext_leaf);
		return;
	}
	if (zeros) {
		add(c, "cpu.leaf", 1, SEVSLOT_FAIL, hint_vm,
		    "CPUID 0x8000001F reads all zeros: no memory-encryption feature is visible");
		return;
	}
	add(c, "cpu.leaf", 1, SEVSLOT_PASS, NULL,
	    "CPUID 0x8000001F: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x", cpu->eax, cpu->ebx,
	    cpu->ecx, cpu->edx);
	add(c, "cpu.sme", 1, cpu->sme ? SEVSLOT_PASS : SEVSLOT_FAIL,
	    "this processor offers no memory encryption (SME)", "CPU %s SME",
	    cpu->sme ? "supports" : "does not support");
	if (!cpu->sev) {
		add(c, "cpu.sev", 1, SEVSLOT_FAIL,
		    "this processor does not offer SEV: SEV guests need an AMD EPYC processor",
		    "CPU does not support SEV");
	} else {
		add(c, "cpu.sev", 1, SEVSLOT_PASS, NULL,
		    "CPU supports SEV: C-bit %u, physical address reduction %u, %u VMPLs",
		    cpu->cbitpos, cpu->reduced_phys_bits, cpu->vmpls);
	}
	if (cpu->sev_es)
		add(c, "cpu.sev_es", 1, SEVSLOT_PASS, NULL, "CPU supports SEV-ES");
	else if (!cpu->es_generation)
		add(c, "cpu.sev_es", 1, SEVSLOT_SKIP, NULL,
		    "this CPU generation has no SEV-ES (it arrived with EPYC 7002, Rome)");
	else
		add(c, "cpu.sev_es", 1, SEVSLOT_FAIL, hint_bios_sev,
		    "CPU does not report SEV-ES although its generation has it");
	if (cpu->sev_snp)
		add(c, "cpu.sev_snp", 1, SEVSLOT_PASS, NULL, "CPU supports SEV-SNP");
	else if (!cpu->snp_generation)
		add(c, "cpu.sev_snp", 1, SEVSLOT_SKIP, NULL,
		    "this CPU generation has no SEV-SNP (it arrived with EPYC 7003, Milan)");
	else
		add(c, "cpu.sev_snp", 1, SEVSLOT_FAIL,
		    "enable SEV-SNP (and SNP memory coverage) in the BIOS, then reboot",
		    "CPU does not report SEV-SNP although its generation has it");
	if (cpu->sev) {
		if (cpu->max_asid == 0)
			add(c, "cpu.asids", 1, SEVSLOT_FAIL, hint_bios_sev,
			    "CPU reports 0 encrypted guests (ECX = 0)");
		else
			add(c, "cpu.asids", 1, SEVSLOT_PASS, NULL,
			    "CPU supports %u encrypted guests (ECX), minimum SEV ASID %u (EDX)",
			    cpu->max_asid, cpu->min_sev_asid);
	}
}

static const char *msr_hint(int err)
{
	return err == -EACCES || err == -EPERM ? hint_msr_root : hint_msr_module;
}

/* What the firmware enabled: SYSCFG and the flags the kernel kept in cpuinfo. */
static void check_enabled(struct checks *c)
{
	const struct sevslot_host *h = c->host;
	const struct sevslot_cpu *cpu = &h->cpu;
	const struct sevslot_kernel *k = &h->kernel;
	/* The kernel release that first listed each flag in /proc/cpuinfo. */
	struct {
		const char *id, *name;
		bool cpu, flag;
		unsigned since_major, since_minor;
		const char *hint;
	} feats[] = {
		{ "enabled.sev", "sev", cpu->sev, k->cpuinfo_sev, 4, 16, hint_bios_sev },
		{ "enabled.sev_es", "sev_es", cpu->sev_es, k->cpuinfo_sev_es, 5, 10, hint_bios_sev },
		{ "enabled.sev_snp", "sev_snp", cpu->sev_snp, k->cpuinfo_sev_snp, 5, 19,
		  "enable SEV-SNP and SNP memory coverage in the BIOS, boot a kernel with SNP host support (6.11+), then reboot" },
	};

	if (!cpu->sev || !h->firmware_probed)
		return;
	if (k->msr_error == 0) {
		bool on = k->syscfg & (1u << 23);

		add(c, "enabled.syscfg", 0, on ? SEVSLOT_PASS : SEVSLOT_FAIL, hint_bios_sev,
		    "SYSCFG MSR 0x%llx: memory encryption %s by firmware%s",
		    (unsigned long long)k->syscfg, on ? "enabled" : "not enabled",
		    !cpu->sev_snp ? "" : k->syscfg & (1u << 24) ? ", SNP enabled" : ", SNP not enabled");
	} else if (k->msr_error != -ENODATA) {
		add(c, "enabled.syscfg", 0, SEVSLOT_UNKNOWN, msr_hint(k->msr_error),
		    "cannot read the SYSCFG MSR 0xC0010010 from /dev/cpu/0/msr: %s",
		    strerror(-k->msr_error));
	} else {
		add(c, "enabled.syscfg", 0, SEVSLOT_UNKNOWN, hint_not_recorded,
		    "the SYSCFG MSR was not recorded (dev/cpu/0/msr)");
	}
	for (size_t i = 0; i < ARRAY_SIZE(feats); i++) {
		if (!feats[i].cpu)
			continue;
		if (!sv_kernel_at_least(k, feats[i].since_major, feats[i].since_minor))
			add(c, feats[i].id, 1, SEVSLOT_SKIP, NULL,
			    "Linux %s predates the '%s' flag in /proc/cpuinfo (%u.%u): firmware state not shown",
			    k->osrelease, feats[i].name, feats[i].since_major, feats[i].since_minor);
		else if (!k->cpuinfo_read)
			add(c, feats[i].id, 1, SEVSLOT_UNKNOWN,
			    h->live ? "make /proc readable to this user" : hint_not_recorded,
			    "cannot tell whether firmware enabled %s: no flags line in /proc/cpuinfo",
			    feats[i].name);
		else if (feats[i].flag)
			add(c, feats[i].id, 1, SEVSLOT_PASS, NULL,
			    "firmware enabled %s (/proc/cpuinfo lists '%s')", feats[i].name,
			    feats[i].name);
		else
			add(c, feats[i].id, 1, SEVSLOT_FAIL, feats[i].hint,
			    "the CPU supports %s but firmware did not enable it (/proc/cpuinfo has no '%s')",
			    feats[i].name, feats[i].name);
	}
}

static void check_param(struct checks *c, const char *id, const char *name, bool cpu_has,
			 enum sevslot_param value, const char *hint_n, const char *hint_absent)
{
	const struct sevslot_kernel *k = &c->host->kernel;

	if (!cpu_has)
		add(c, id, 1, SEVSLOT_SKIP, NULL, "not checked: the CPU does not offer %s", name);
	else if (!k->kvm_amd)
		add(c, id, 1, SEVSLOT_FAIL, hint_load_kvm, "kvm_amd is not loaded, so KVM runs no %s guest",
		    name);
	else if (value == SEVSLOT_PARAM_Y)
		add(c, id, 1, SEVSLOT_PASS, NULL, "kvm_amd %s=Y: KVM runs %s guests", name, name);
	else if (value == SEVSLOT_PARAM_N)
		add(c, id, 1, SEVSLOT_FAIL, hint_n, "kvm_amd %s=N: KVM will not run %s guests", name,
		    name);
	else
		add(c, id, 1, SEVSLOT_FAIL, hint_absent,
		    "kvm_amd has no '%s' parameter: the kernel is too old or built without it", name);
}

static void check_kvm(struct checks *c)
{
	const struct sevslot_cpu *cpu = &c->host->cpu;
	const struct sevslot_kernel *k = &c->host->kernel;

	if (!cpu->sev) {
		add(c, "kvm.module", 0, SEVSLOT_SKIP, NULL,
		    "not checked: without SEV in the CPU, kvm_amd has no encrypted guest to offer");
		return;
	}
	if (k->kvm_amd)
		add(c, "kvm.module", 0, SEVSLOT_PASS, NULL, "kvm_amd is loaded");
	else
		add(c, "kvm.module", 0, SEVSLOT_FAIL, hint_load_kvm, "kvm_amd is not loaded");
	if (c->host->firmware_probed) {
		if (k->dev_kvm)
			add(c, "kvm.dev_kvm", 1, SEVSLOT_PASS, NULL, "/dev/kvm exists");
		else
			add(c, "kvm.dev_kvm", 1, SEVSLOT_FAIL, hint_load_kvm, "/dev/kvm does not exist");
	}
	check_param(c, "kvm.sev", "sev", cpu->sev, k->sev, hint_kvm_sev, hint_old_kernel);
	/* The kernel turns sev_es off by itself when the BIOS left no ASID for it. */
	check_param(c, "kvm.sev_es", "sev_es", cpu->sev_es, k->sev_es,
		    cpu->min_sev_asid <= 1 ? hint_es_asids : hint_kvm_sev_es, hint_old_kernel);
	check_param(c, "kvm.sev_snp", "sev_snp", cpu->sev_snp, k->sev_snp, hint_kvm_sev_snp,
		    hint_kvm_sev_snp);
	if (k->ciphertext_hiding_asids > 0) {
		const struct sevslot_pool *snp = &c->host->pools[SEVSLOT_POOL_SEV_SNP];

		if (snp->present && (int64_t)snp->capacity < k->ciphertext_hiding_asids)
			add(c, "kvm.ciphertext_hiding", 1, SEVSLOT_PASS, NULL,
			    "ciphertext hiding keeps ASIDs 1-%u for SEV-SNP (ciphertext_hiding_asids=%lld, capped at %u)",
			    snp->asid_max, (long long)k->ciphertext_hiding_asids, snp->capacity);
		else if (snp->present)
			add(c, "kvm.ciphertext_hiding", 1, SEVSLOT_PASS, NULL,
			    "ciphertext hiding keeps ASIDs 1-%u for SEV-SNP (ciphertext_hiding_asids=%lld)",
			    snp->asid_max, (long long)k->ciphertext_hiding_asids);
	}
	if (cpu->sev_es && k->sev_es == SEVSLOT_PARAM_Y && k->sev_snp == SEVSLOT_PARAM_Y)
		add(c, "kvm.es_with_snp", 1, SEVSLOT_FAIL, hint_es_snp,
		    "SEV-ES guests cannot be launched while SEV-SNP is enabled (firmware fixed for CVE-2025-48514)");
}

static void check_asids(struct checks *c)
{
	const struct sevslot_host *h = c->host;
	const struct sevslot_cpu *cpu = &h->cpu;
	const struct sevslot_kernel *k = &h->kernel;
	const struct sevslot_pool *sev = &h->pools[SEVSLOT_POOL_SEV];
	const struct sevslot_pool *es = &h->pools[SEVSLOT_POOL_SEV_ES];
	const struct sevslot_pool *snp = &h->pools[SEVSLOT_POOL_SEV_SNP];

	if (!cpu->sev || cpu->max_asid == 0)
		return;
	if (sev->capacity > 0)
		add(c, "asids.sev", 0, SEVSLOT_PASS, NULL, "SEV pool: %u slots (ASIDs %u-%u)",
		    sev->capacity, sev->asid_min, sev->asid_max);
	else
		add(c, "asids.sev", 0, SEVSLOT_FAIL, hint_sev_asids,
		    "SEV pool is empty: the minimum SEV ASID %u is above the highest ASID %u",
		    cpu->min_sev_asid, cpu->max_asid);
	if (!cpu->sev_es)
		add(c, "asids.sev_es", 1, SEVSLOT_SKIP, NULL, "no SEV-ES pool: the CPU does not offer SEV-ES");
	else if (es->capacity > 0)
		add(c, "asids.sev_es", 1, SEVSLOT_PASS, NULL, "SEV-ES pool: %u slots (ASIDs %u-%u)%s",
		    es->capacity, es->asid_min, es->asid_max,
		    snp->present ? "" : ", shared with SEV-SNP");
	else if (snp->present)
		add(c, "asids.sev_es", 1, SEVSLOT_FAIL, hint_cth,
		    "SEV-ES pool is empty: ciphertext hiding gave all %u SEV-ES/SNP ASIDs to SEV-SNP",
		    snp->capacity);
	else
		add(c, "asids.sev_es", 1, SEVSLOT_FAIL, hint_es_asids,
		    "SEV-ES pool is empty: the BIOS gives every ASID to plain SEV (minimum SEV ASID %u)",
		    cpu->min_sev_asid);
	if (cpu->sev_snp && snp->present)
		add(c, "asids.sev_snp", 1, snp->capacity > 0 ? SEVSLOT_PASS : SEVSLOT_FAIL,
		    hint_es_asids, "SEV-SNP pool: %u slots (ASIDs %u-%u), split off by ciphertext hiding",
		    snp->capacity, snp->asid_min, snp->asid_max);

	if (!k->misc_capacity_read) {
		add(c, "asids.misc_cgroup", 1, SEVSLOT_SKIP, NULL,
		    "no misc.capacity to cross-check (Linux before 5.13, or no misc controller)");
		return;
	}
	int64_t want_sev = sev->capacity, want_es = (int64_t)es->capacity + snp->capacity;
	bool cmp_sev = k->sev == SEVSLOT_PARAM_Y || k->misc_capacity[SEVSLOT_POOL_SEV] > 0;
	bool cmp_es = k->sev_es == SEVSLOT_PARAM_Y || k->misc_capacity[SEVSLOT_POOL_SEV_ES] > 0;

	if ((cmp_sev && k->misc_capacity[SEVSLOT_POOL_SEV] != want_sev) || (cmp_es && k->misc_capacity[SEVSLOT_POOL_SEV_ES] != want_es))
		add(c, "asids.misc_cgroup", 1, SEVSLOT_FAIL, hint_misc,
		    "misc.capacity says sev %lld, sev_es %lld; CPUID gives sev %lld, sev_es %lld",
		    (long long)k->misc_capacity[SEVSLOT_POOL_SEV], (long long)k->misc_capacity[SEVSLOT_POOL_SEV_ES],
		    (long long)want_sev, (long long)want_es);
	else if (!cmp_sev && !cmp_es)
		add(c, "asids.misc_cgroup", 1, SEVSLOT_SKIP, NULL,
		    "misc.capacity lists no SEV ASIDs (KVM has not enabled SEV)");
	else
		add(c, "asids.misc_cgroup", 1, SEVSLOT_PASS, NULL,
		    "misc.capacity agrees: sev %lld, sev_es %lld", (long long)k->misc_capacity[SEVSLOT_POOL_SEV],
		    (long long)k->misc_capacity[SEVSLOT_POOL_SEV_ES]);
	if (k->misc_current_read)
		add(c, "asids.in_use", 1, SEVSLOT_PASS, NULL,
		    "ASIDs in use now (misc.current): sev %lld, sev_es %lld (SEV-SNP counts as sev_es)",
		    (long long)k->misc_current[SEVSLOT_POOL_SEV], (long long)k->misc_current[SEVSLOT_POOL_SEV_ES]);
}

/* "firmware status 1 (INVALID_PLATFORM_STATE)", or the bare number when unknown. */
static void describe_failure(char *buf, size_t len, int err, uint32_t fwerr)
{
	const char *name = sevslot_fw_error_name(fwerr);

	if ((err == -EIO || (err == 0 && fwerr != 0)) && name != NULL)
		snprintf(buf, len, "firmware status %u (%s)", fwerr, name);
	else if (err == -EIO || (err == 0 && fwerr != 0))
		snprintf(buf, len, "firmware status %u (unknown code)", fwerr);
	else
		snprintf(buf, len, "%s", strerror(-err));
}

static const char *psp_hint(int err)
{
	switch (err) {
	case -EBUSY:
	case -ETIMEDOUT:
		return hint_psp_busy;
	case -EPERM:
	case -EACCES:
		return hint_dev_sev_perm;
	case -ENODEV:
	case -ENXIO:
		return hint_dev_sev_missing;
	}
	return hint_psp_fw;
}

static void check_firmware(struct checks *c)
{
	const struct sevslot_host *h = c->host;
	const struct sevslot_firmware *fw = &h->fw;
	char why[96];

	if (!h->firmware_probed)
		return;
	if (!h->cpu.sev) {
		add(c, "firmware.device", 0, SEVSLOT_SKIP, NULL,
		    "no SEV firmware expected: the CPU does not offer SEV");
		return;
	}
	if (fw->open_error == -ENOENT) {
		add(c, "firmware.device", 0, SEVSLOT_FAIL, hint_dev_sev_missing, "/dev/sev does not exist");
		return;
	}
	if (fw->open_error == -EACCES || fw->open_error == -EPERM) {
		add(c, "firmware.device", 0, SEVSLOT_FAIL, hint_dev_sev_perm,
		    "permission denied opening /dev/sev read-only");
		return;
	}
	if (fw->open_error != 0) {
		add(c, "firmware.device", 0, SEVSLOT_FAIL, hint_dev_sev_missing,
		    "cannot open /dev/sev: %s", strerror(-fw->open_error));
		return;
	}
	add(c, "firmware.device", 0, SEVSLOT_PASS, NULL, "/dev/sev opened read-only");
	if (fw->status_ok && fw->state == SEVSLOT_FW_UNINIT && sv_fw_uninit_is_failure(h)) {
		add(c, "firmware.platform_status", 1, SEVSLOT_FAIL, hint_init_failed,
		    "SEV firmware API %u.%u build %u is still UNINIT: the kernel's SEV INIT failed%s",
		    fw->api_major, fw->api_minor, fw->build,
		    sv_kernel_at_least(&h->kernel, 6, 15) ? "" :
		    " (unless ccp.psp_init_on_probe=0 defers it to the first guest)");
	} else if (fw->status_ok && fw->state == SEVSLOT_FW_UNINIT) {
		add(c, "firmware.platform_status", 1, SEVSLOT_PASS, NULL,
		    "SEV firmware API %u.%u build %u, state uninit: from Linux 6.15 kvm_amd initialises it when it loads",
		    fw->api_major, fw->api_minor, fw->build);
	} else if (fw->status_ok) {
		const char *state = sevslot_fw_state_name(fw->state);

		add(c, "firmware.platform_status", 1, SEVSLOT_PASS, NULL,
		    "SEV firmware API %u.%u build %u, state %s, %u guests%s", fw->api_major,
		    fw->api_minor, fw->build, state != NULL ? state : "unknown", fw->guest_count,
		    fw->owner_external ? ", externally owned" : "");
	} else {
		describe_failure(why, sizeof(why), fw->status_error, fw->status_fwerr);
		add(c, "firmware.platform_status", 1, SEVSLOT_FAIL, psp_hint(fw->status_error),
		    "PLATFORM_STATUS failed: %s", why);
	}
	if (!h->cpu.sev_snp) {
		add(c, "firmware.snp_status", 1, SEVSLOT_SKIP, NULL,
		    "no SNP firmware status: the CPU does not offer SEV-SNP");
	} else if (fw->snp_ok && fw->snp_state == SEVSLOT_FW_UNINIT &&
		   h->kernel.sev_snp == SEVSLOT_PARAM_Y) {
		add(c, "firmware.snp_status", 1, SEVSLOT_FAIL, hint_snp_init_failed,
		    "SNP firmware build %u is UNINIT although kvm_amd enabled sev_snp: SNP INIT failed",
		    fw->snp_build_id);
	} else if (fw->snp_ok) {
		const char *state = sevslot_fw_state_name(fw->snp_state);

		add(c, "firmware.snp_status", 1, SEVSLOT_PASS, NULL,
		    "SNP firmware API %u.%u build %u, state %s, RMP %s, %u guests",
		    fw->snp_api_major, fw->snp_api_minor, fw->snp_build_id,
		    state != NULL ? state : "unknown",
		    fw->snp_rmp_initialized ? "initialised" : "not initialised",
		    fw->snp_guest_count);
	} else if (fw->snp_error == -EINVAL || fw->snp_error == -ENOTTY) {
		add(c, "firmware.snp_status", 1, SEVSLOT_UNKNOWN, hint_snp_kernel,
		    "the kernel does not know SNP_PLATFORM_STATUS");
	} else {
		describe_failure(why, sizeof(why), fw->snp_error, fw->snp_fwerr);
		add(c, "firmware.snp_status", 1, SEVSLOT_FAIL, psp_hint(fw->snp_error),
		    "SNP_PLATFORM_STATUS failed: %s", why);
	}
}

static void check_memlock(struct checks *c)
{
	const struct sevslot_kernel *k = &c->host->kernel;
	char cur[32];

	if (!k->memlock_read || !c->host->usable)
		return;
	if (k->memlock_cur == UINT64_MAX)
		snprintf(cur, sizeof(cur), "unlimited");
	else
		snprintf(cur, sizeof(cur), "%llu KiB", (unsigned long long)(k->memlock_cur / 1024));
	add(c, "host.memlock", 0, SEVSLOT_PASS, NULL,
	    "RLIMIT_MEMLOCK here is %s; SEV guests pin all their memory, so give QEMU <memoryBacking><locked/>",
	    cur);
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* A usable model this host's firmware descriptors cannot boot, or QEMU too old for. */
static void check_model_stack(struct checks *c, enum sevslot_model m)
{
	static const char *const ids[] = { "stack.firmware_sev", "stack.firmware_sev_es",
					   "stack.firmware_sev_snp" };
	static const char *const qemu_ids[] = { "stack.qemu_sev", "stack.qemu_sev_es",
						"stack.qemu_sev_snp" };
	static const char *const hints[] = {
		"install firmware built for SEV (Debian's ovmf is) with its QEMU descriptor, or name a loader in the domain",
		"install firmware built for SEV-ES or name a loader in the domain",
		"install firmware built for SEV-SNP (OVMF's AmdSev build, which QEMU loads with -bios) with its descriptor, or name a loader in the domain",
	};
	const struct sevslot_stack *st = &c->host->stack;
	const char *name = sevslot_model_name(m), *first = NULL;
	unsigned major, minor;
	size_t offered = 0;
	bool sev_offered = false;

	for (size_t i = 0; i < st->n_firmware; i++) {
		sev_offered |= st->firmware[i].boots[SEVSLOT_MODEL_SEV];
		if (!st->firmware[i].boots[m])
			continue;
		if (offered++ == 0)
			first = basename_of(st->firmware[i].path);
	}
	if (offered > 1)
		add(c, ids[m], 1, SEVSLOT_PASS, NULL, "%s: %s offers it (and %zu more)", name, first,
		    offered - 1);
	else if (offered == 1)
		add(c, ids[m], 1, SEVSLOT_PASS, NULL, "%s: %s offers it", name, first);
	else if (m == SEVSLOT_MODEL_SEV_ES && sev_offered)
		add(c, ids[m], 1, SEVSLOT_FAIL, hints[m],
		    "no firmware descriptor offers amd-sev-es (Debian 12's ovmf offers amd-sev only)");
	else if (m == SEVSLOT_MODEL_SEV_SNP)
		add(c, ids[m], 1, SEVSLOT_FAIL, hints[m],
		    "no firmware descriptor offers amd-sev-snp with a stateless (memory) mapping");
	else
		add(c, ids[m], 1, SEVSLOT_FAIL, hints[m], "no firmware descriptor offers %s", name);
	if (sv_stack_qemu_floor(m, &major, &minor) == 0 &&
	    sv_qemu_version_at_least(st->qemu_version, major, minor) == 0)
		/* Hints are kept by pointer: one constant per floor. */
		add(c, qemu_ids[m], 1, SEVSLOT_FAIL, m == SEVSLOT_MODEL_SEV_SNP ?
		    "upgrade QEMU to 9.1 or later" : "upgrade QEMU to 2.12 or later",
		    "QEMU %s predates %s guests (QEMU %u.%u)", st->qemu_version, name, major, minor);
}

/* The userspace that boots guests: never part of `usable`, only of `ready`. */
static void check_stack(struct checks *c, const struct sv_stack_notes *notes)
{
	const struct sevslot_stack *st = &c->host->stack;
	/* A host that runs no SEV guest needs no emulator for one: what is missing is a skip. */
	enum sevslot_status missing = c->host->usable ? SEVSLOT_FAIL : SEVSLOT_SKIP;

	if (!st->probed || notes == NULL)
		return;
	if (st->qemu_path == NULL)
		add(c, "stack.qemu", 0, missing, hint_qemu,
		    "no QEMU emulator (/usr/bin/qemu-system-x86_64, /usr/libexec/qemu-kvm)%s",
		    c->host->usable ? "" : "; none is needed while no model is usable");
	else if (st->qemu_version != NULL)
		add(c, "stack.qemu", 0, SEVSLOT_PASS, NULL, "QEMU %s: %s (%s)", st->qemu_version,
		    st->qemu_path, st->qemu_package);
	else
		add(c, "stack.qemu", 0, SEVSLOT_PASS, NULL,
		    "QEMU: %s (version unknown: no dpkg record of %s)", st->qemu_path, SV_DPKG_QEMU);
	if (st->n_firmware == 0)
		add(c, "stack.firmware", 0, missing, hint_ovmf,
		    "no QEMU firmware descriptor in /usr/share/qemu/firmware or /etc/qemu/firmware%s",
		    c->host->usable ? "" : "; none is needed while no model is usable");
	else
		add(c, "stack.firmware", 0, SEVSLOT_PASS, NULL,
		    "%zu firmware descriptor%s in effect (/usr/share/qemu/firmware, /etc/qemu/firmware)",
		    st->n_firmware, st->n_firmware == 1 ? "" : "s");
	for (size_t i = 0; i < notes->n_bad; i++)
		add(c, "stack.descriptor", 1, SEVSLOT_FAIL, hint_bad_descriptor, "%s: %s",
		    notes->bad[i].path, notes->bad[i].why);
	if (notes->n_more > 0)
		add(c, "stack.descriptor", 1, SEVSLOT_FAIL, hint_bad_descriptor,
		    "and %zu more descriptors that cannot be used", notes->n_more);
	if (notes->truncated)
		add(c, "stack.descriptor", 1, SEVSLOT_UNKNOWN,
		    "remove descriptors nobody uses: sevslot reads the first 64 of each directory",
		    "more than 64 descriptors in a directory: the others were not read");
	for (unsigned m = 0; m < SEVSLOT_MODEL_COUNT; m++)
		if (c->host->models[m].usable)
			check_model_stack(c, (enum sevslot_model)m);
}

int sv_checks_run(struct sevslot_host *host, const struct sv_stack_notes *notes)
{
	struct checks c = { .host = host };

	host->checks = calloc(MAX_CHECKS, sizeof(*host->checks));
	if (host->checks == NULL)
		return -ENOMEM;
	check_cpu(&c);
	check_enabled(&c);
	check_kvm(&c);
	check_asids(&c);
	check_firmware(&c);
	check_memlock(&c);
	check_stack(&c, notes);
	host->n_checks = c.n;
	return 0;
}
