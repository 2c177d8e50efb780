/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The probe layer: one immutable struct sevslot_host from the raw inputs
 * (probe.c), the ASID pools and the models they feed (pools.c), the
 * userspace stack (stack.c), and the checks of the report (checks.c).
 * Nothing here is ABI.
 */
#ifndef SEVSLOT_PROBE_H
#define SEVSLOT_PROBE_H

#include "sources.h"

/* pools.c: the pools and which models are usable, by the kernel's arithmetic */
void sv_pools_derive(struct sevslot_host *host) SV_NONNULL(1);
/* Whether PLATFORM_STATUS UNINIT means the kernel's SEV INIT failed. */
bool sv_fw_uninit_is_failure(const struct sevslot_host *host) SV_NONNULL(1);
/* Whether the firmware rules out SEV guests (or, with `snp`, SNP guests). */
bool sv_fw_refuses(const struct sevslot_host *host, bool snp) SV_NONNULL(1);

/* stack.c: the emulator and its firmware descriptors, and which models they can boot */
struct sv_stack_notes {
	bool truncated;            /* a directory held more descriptors than are read */
	size_t n_bad, n_more;      /* descriptors that cannot be used, and those not kept */
	struct {
		char path[320];
		char why[192];
	} bad[6];
};

int sv_stack_derive(struct sevslot_host *host, const struct sv_raw *raw,
		    struct sv_stack_notes *notes) SV_NONNULL(1, 2, 3) SV_MUST_CHECK;
void sv_stack_free(struct sevslot_stack *stack) SV_NONNULL(1);
/* The first QEMU release that runs a model's guests (qapi/qom.json's "Since"). */
int sv_stack_qemu_floor(enum sevslot_model model, unsigned *major, unsigned *minor)
	SV_NONNULL(2, 3);

/* checks.c: the report's checks, layer by layer (`notes` from the stack, or NULL) */
int sv_checks_run(struct sevslot_host *host, const struct sv_stack_notes *notes)
	SV_NONNULL(1) SV_MUST_CHECK;

#endif
