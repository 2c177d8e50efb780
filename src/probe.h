/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The probe layer: one immutable struct sevslot_host from the raw inputs
 * (probe.c), the ASID pools and the models they feed (pools.c), and the
 * checks of the report (checks.c). Nothing here is ABI.
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

/* checks.c: the report's checks, layer by layer */
int sv_checks_run(struct sevslot_host *host) SV_NONNULL(1) SV_MUST_CHECK;

#endif
