/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sevslot — the per-host source of truth for AMD memory-encryption slots.
 *
 * This is the only public header. Conventions, as in kmod and libgit2:
 *  - fallible calls return 0 or a negative errno and hand objects back through
 *    an out-parameter named `out`, which the caller owns;
 *  - destructors accept NULL;
 *  - the library never prints and never exits: details of the last failure are
 *    kept on the context (sevslot_errmsg) and passed to the log callback.
 *
 * Thread-safety: a context, a host and a ledger handle may be used by one
 * thread at a time. Separate handles may be used from separate threads and
 * processes at once; the ledger serialises writers through SQLite's locks.
 */
#ifndef SEVSLOT_H
#define SEVSLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SEVSLOT_VERSION "0.1.0"

/* ---------------------------------------------------------------- context */

struct sevslot_ctx;

enum sevslot_log_priority {
	SEVSLOT_LOG_ERR = 3,
	SEVSLOT_LOG_WARNING = 4,
	SEVSLOT_LOG_INFO = 6,
	SEVSLOT_LOG_DEBUG = 7,
};

typedef void (*sevslot_log_fn)(void *data, int priority, const char *msg);

/*
 * Create a context. `sysroot` NULL (or "/") means the live host; any other
 * directory is read as the root of a recorded host (see DESIGN.md), and the
 * CPUID instruction is never run. The environment variable SEVSLOT_LOG
 * (err, warning, info, debug) sets the initial log priority.
 */
int sevslot_new(struct sevslot_ctx **out, const char *sysroot);
void sevslot_free(struct sevslot_ctx *ctx);
void sevslot_set_log_fn(struct sevslot_ctx *ctx, sevslot_log_fn fn, void *data);
void sevslot_set_log_priority(struct sevslot_ctx *ctx, int priority);
/* True when the context reads the live host rather than a sysroot. */
bool sevslot_is_live(const struct sevslot_ctx *ctx);
/* One line describing the last failure on this context ("" if none). */
const char *sevslot_errmsg(const struct sevslot_ctx *ctx);

/* ----------------------------------------------------------- models, pools */

enum sevslot_model {
	SEVSLOT_MODEL_SEV,
	SEVSLOT_MODEL_SEV_ES,
	SEVSLOT_MODEL_SEV_SNP,
	SEVSLOT_MODEL_COUNT
};

enum sevslot_pool_id {
	SEVSLOT_POOL_SEV,    /* ASIDs EDX..ECX */
	SEVSLOT_POOL_SEV_ES, /* ASIDs 1..EDX-1, shared with SNP unless split */
	SEVSLOT_POOL_SEV_SNP, /* ASIDs 1..N when ciphertext hiding splits it */
	SEVSLOT_POOL_COUNT
};

/* "amd-sev", "amd-sev-es", "amd-sev-snp"; NULL when out of range. */
const char *sevslot_model_name(enum sevslot_model model);
/* Parse a model name; -EINVAL when unknown. */
int sevslot_model_from_name(const char *name, enum sevslot_model *out);
/* "sev", "sev_es", "sev_snp"; NULL when out of range. */
const char *sevslot_pool_name(enum sevslot_pool_id pool);
int sevslot_pool_from_name(const char *name, enum sevslot_pool_id *out);

/* ------------------------------------------------------------------ probe */

/* A kvm_amd parameter: absent file, N/0, or Y/1. */
enum sevslot_param {
	SEVSLOT_PARAM_ABSENT = -1,
	SEVSLOT_PARAM_N = 0,
	SEVSLOT_PARAM_Y = 1,
};

enum sevslot_status {
	SEVSLOT_PASS,
	SEVSLOT_FAIL,
	SEVSLOT_SKIP,    /* does not apply here: a feature this CPU never had */
	SEVSLOT_UNKNOWN, /* could not be read; the hint says how to allow it */
};

struct sevslot_cpu {
	bool read;                  /* CPUID was available (live, or recorded) */
	char vendor[13];            /* leaf 0: "AuthenticAMD", "HygonGenuine" */
	uint32_t family, model, stepping;
	uint32_t max_ext_leaf;      /* leaf 0x80000000 EAX */
	uint32_t eax, ebx, ecx, edx; /* leaf 0x8000001F, raw */
	bool sme, sev, sev_es, sev_snp, vmpl;
	uint32_t cbitpos;           /* EBX[5:0] */
	uint32_t reduced_phys_bits; /* EBX[11:6] */
	uint32_t vmpls;             /* EBX[15:12] */
	uint32_t max_asid;          /* ECX: highest SEV ASID */
	uint32_t min_sev_asid;      /* EDX: lowest ASID of a plain SEV guest */
	bool es_generation;         /* this CPU generation has SEV-ES at all */
	bool snp_generation;        /* ... and SEV-SNP */
};

struct sevslot_kernel {
	char osrelease[65];
	char boot_id[37];
	bool kvm_amd;               /* /sys/module/kvm_amd exists */
	bool dev_kvm;
	enum sevslot_param sev, sev_es, sev_snp;
	int64_t ciphertext_hiding_asids; /* -1 when the parameter is absent */
	bool misc_capacity_read;    /* misc.capacity exists (Linux 5.13+) */
	int64_t misc_capacity[2];   /* [0] sev, [1] sev_es; a missing line is 0 */
	bool misc_current_read;     /* misc.current exists (root cgroup, 6.5+) */
	int64_t misc_current[2];
	bool cpuinfo_read;          /* flags line of /proc/cpuinfo found */
	bool cpuinfo_sme, cpuinfo_sev, cpuinfo_sev_es, cpuinfo_sev_snp;
	int msr_error;              /* 0, or -errno reading SYSCFG */
	uint64_t syscfg;            /* MSR 0xC0010010 when msr_error is 0 */
	bool memlock_read;          /* RLIMIT_MEMLOCK, from /proc/self/limits */
	uint64_t memlock_cur, memlock_max; /* UINT64_MAX is unlimited */
};

enum sevslot_fw_state { SEVSLOT_FW_UNINIT, SEVSLOT_FW_INIT, SEVSLOT_FW_WORKING };

struct sevslot_firmware {
	int open_error;             /* 0, or -errno opening /dev/sev */
	int status_error;           /* 0, or the ioctl's -errno for PLATFORM_STATUS */
	uint32_t status_fwerr;      /* firmware status code left in .error */
	bool status_ok;             /* the fields below are valid */
	uint8_t api_major, api_minor, state, build;
	uint32_t flags, guest_count;
	bool owner_external, config_es;
	int snp_error;              /* SNP_PLATFORM_STATUS: 0 or -errno */
	uint32_t snp_fwerr;
	bool snp_ok;
	uint8_t snp_api_major, snp_api_minor, snp_state;
	bool snp_rmp_initialized;
	uint32_t snp_build_id, snp_feature_info, snp_guest_count;
	uint64_t snp_current_tcb, snp_reported_tcb;
};

struct sevslot_pool {
	uint32_t capacity;
	uint32_t asid_min, asid_max; /* both 0 when the pool is empty */
	bool present;               /* reported in this host's pool set */
	bool usable;                /* non-empty and some usable model draws on it */
};

struct sevslot_model_info {
	enum sevslot_pool_id pool;
	bool usable;
};

struct sevslot_check {
	const char *id;             /* stable, dotted: "cpu.sev", "kvm.sev_es" */
	enum sevslot_status status;
	unsigned level;             /* depth in the report tree */
	char message[192];
	const char *hint;           /* what to do; NULL on pass and skip */
};

/* Everything one probe learnt. Immutable once returned. */
struct sevslot_host {
	bool live;
	bool firmware_probed;       /* PSP commands were issued (or replayed) */
	struct sevslot_cpu cpu;
	struct sevslot_kernel kernel;
	struct sevslot_firmware fw;
	struct sevslot_pool pools[SEVSLOT_POOL_COUNT];
	struct sevslot_model_info models[SEVSLOT_MODEL_COUNT];
	struct sevslot_check *checks;
	size_t n_checks;
	bool usable;                /* at least one model is usable */
};

/* Probe flags. */
#define SEVSLOT_PROBE_CAPACITY (1u << 0)  /* only what pools need: CPUID,
					     kvm_amd parameters, misc.capacity;
					     never a firmware command */
#define SEVSLOT_PROBE_DROP_CAPS (1u << 1) /* after opening every source, drop
					     all capabilities (libcap-ng)
					     before parsing anything */

/*
 * Read every source, decode it and run the checks. Fails with -EBADMSG when a
 * recording or kernel file is malformed, with the reason in sevslot_errmsg().
 * Missing or unreadable sources are not errors: they become checks.
 */
int sevslot_probe(struct sevslot_ctx *ctx, unsigned flags, struct sevslot_host **out);
void sevslot_host_free(struct sevslot_host *host);
/* Name of a check status: "pass", "fail", "skip", "unknown". */
const char *sevslot_status_name(enum sevslot_status status);
/* Name of a firmware state: "uninit", "init", "working", or NULL. */
const char *sevslot_fw_state_name(unsigned state);
/* Symbolic name of a firmware status code ("INVALID_PLATFORM_STATE"), NULL if unknown. */
const char *sevslot_fw_error_name(uint32_t code);

/*
 * Record the live host into `dir` in the sysroot layout of DESIGN.md, so that
 * `sevslot --sysroot DIR probe` reproduces the live report. The context must
 * be live. `dir` is created if missing and must otherwise be empty.
 */
int sevslot_snapshot(struct sevslot_ctx *ctx, const char *dir);

/* Report renderings; *out is a NUL-terminated string the caller frees. */
int sevslot_host_to_text(const struct sevslot_host *host, char **out);
int sevslot_host_to_json(const struct sevslot_host *host, char **out);

#ifdef __cplusplus
}
#endif

#endif /* SEVSLOT_H */
