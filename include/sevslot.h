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
 *
 * ABI. Every exported symbol is listed in src/libsevslot.sym; the soname
 * (libsevslot.so.N) changes whenever a symbol or a struct layout changes in
 * a way an existing binary would notice. The structs here are plain data,
 * not opaque handles, and follow two rules:
 *  - Structs the caller allocates or passes in (sevslot_allocation,
 *    sevslot_pool_usage, sevslot_request, sevslot_pool_policy) and the parts
 *    other structs embed or hand out in arrays (sevslot_cpu, sevslot_kernel,
 *    sevslot_firmware, sevslot_pool, sevslot_model_info, sevslot_check,
 *    sevslot_finding, sevslot_audit_count, sevslot_stack,
 *    sevslot_fw_descriptor, sevslot_domain_finding) never change within a
 *    soname.
 *  - Structs only the library allocates (sevslot_host, sevslot_config,
 *    sevslot_audit, sevslot_domain_report) may grow at their end in a minor
 *    release: fields are
 *    appended, never removed, reordered or resized. Never allocate, copy by
 *    value or embed one; read it through the pointer the library returns.
 * Why not opaque with getters, as kmod's handles are: a host is a read-only
 * snapshot of some eighty facts that a caller reads as a report, the library
 * owns its memory and only ever appends, and a getter per fact would triple
 * this header without making a reader safer.
 */
#ifndef SEVSLOT_H
#define SEVSLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The one version source: the Makefile reads these three lines. */
#define SEVSLOT_VERSION_MAJOR 0
#define SEVSLOT_VERSION_MINOR 2
#define SEVSLOT_VERSION_PATCH 0

#define SEVSLOT_STRINGIFY_(x) #x
#define SEVSLOT_STRINGIFY(x) SEVSLOT_STRINGIFY_(x)
/* "0.2.0": the version of this header. */
#define SEVSLOT_VERSION                                                                   \
	SEVSLOT_STRINGIFY(SEVSLOT_VERSION_MAJOR)                                           \
	"." SEVSLOT_STRINGIFY(SEVSLOT_VERSION_MINOR) "." SEVSLOT_STRINGIFY(SEVSLOT_VERSION_PATCH)

/* The version of the library in use at run time ("0.2.0"). */
const char *sevslot_version(void);

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
	/*
	 * By pool: [SEVSLOT_POOL_SEV] and [SEVSLOT_POOL_SEV_ES]; the misc
	 * cgroup has no SNP resource (SNP guests are charged to sev_es). A
	 * missing line is 0.
	 */
	int64_t misc_capacity[SEVSLOT_POOL_SEV_ES + 1];
	bool misc_current_read;     /* misc.current exists (root cgroup, 6.5+) */
	int64_t misc_current[SEVSLOT_POOL_SEV_ES + 1];
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
	uint8_t api_major, api_minor, build;
	enum sevslot_fw_state state; /* may hold a value newer firmware defines */
	uint32_t flags, guest_count;
	bool owner_external, config_es;
	int snp_error;              /* SNP_PLATFORM_STATUS: 0 or -errno */
	uint32_t snp_fwerr;
	bool snp_ok;
	uint8_t snp_api_major, snp_api_minor;
	enum sevslot_fw_state snp_state;
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

/*
 * A QEMU firmware descriptor (QEMU's docs/interop/firmware.json), as libvirt
 * reads them to pick firmware for <os firmware='efi'>.
 */
struct sevslot_fw_descriptor {
	const char *path;           /* where it was read: "/usr/share/qemu/firmware/60-edk2-x86_64.json" */
	const char *const *features; /* its "features", NULL-terminated */
	const char *device;         /* mapping.device: "flash", "memory" or "kernel" */
	bool boots[SEVSLOT_MODEL_COUNT]; /* a q35 guest of the model can boot it */
};

/*
 * The userspace that boots guests: the emulator and its firmware. Read by the
 * full probe only; nothing under a sysroot is ever run.
 */
struct sevslot_stack {
	bool probed;                /* the fields below were read */
	const char *qemu_path;      /* the emulator found ("/usr/bin/qemu-system-x86_64"), or NULL */
	const char *qemu_version;   /* upstream version from the package database ("7.2"), or NULL */
	const char *qemu_package;   /* "qemu-system-x86 1:7.2+dfsg-7+deb12u18+b3", or NULL */
	size_t n_firmware;          /* descriptors in effect (QEMU's precedence), sorted by name */
	struct sevslot_fw_descriptor *firmware;
	/* usable, an emulator present, a descriptor that boots it, QEMU new enough if known */
	bool ready[SEVSLOT_MODEL_COUNT];
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
	/* appended in 0.3: the userspace that boots guests (full probe only) */
	struct sevslot_stack stack;
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
const char *sevslot_fw_state_name(enum sevslot_fw_state state);
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

/* ----------------------------------------------------------------- config */

/*
 * The configuration file, INI style (DESIGN.md, "Config"):
 *
 *   [ledger]
 *   path = /var/lib/sevslot/ledger.db
 *   busy_timeout_ms = 5000
 *   [pool.sev]            (also pool.sev_es, pool.sev_snp)
 *   limit = auto          (or a number of slots)
 *   reserved = 0
 *
 * A plain struct the library allocates; unknown sections and keys are errors,
 * so that a typo does not silently leave a default in force.
 */
#define SEVSLOT_CONFIG_PATH "/etc/sevslot/sevslot.conf"
#define SEVSLOT_BUSY_TIMEOUT_MS 5000

struct sevslot_pool_policy {
	int64_t limit;              /* -1: auto (what the host reports) */
	uint32_t reserved;          /* slots kept back from the ledger */
};

struct sevslot_config {
	char *ledger_path;          /* [ledger] path, or NULL */
	unsigned busy_timeout_ms;   /* [ledger] busy_timeout_ms */
	struct sevslot_pool_policy pools[SEVSLOT_POOL_COUNT];
	char *path;                 /* the file read, or NULL (defaults) */
};

/*
 * Read the configuration at `path`; NULL means SEVSLOT_CONFIG_PATH, which may
 * be absent (defaults apply). A named file that is absent fails with -ENOENT.
 * A malformed file fails with -EINVAL and "FILE:LINE: reason" in
 * sevslot_errmsg(ctx).
 */
int sevslot_config_load(struct sevslot_ctx *ctx, const char *path, struct sevslot_config **out);
void sevslot_config_free(struct sevslot_config *config);
/*
 * Judge the configuration (NULL: defaults) against `host`, pool by pool, as
 * the specification asks of the operator's limit. "What the host reports"
 * for a pool is its size as the probe derives it (CPUID 0x8000001F by the
 * kernel's arithmetic), which misc.capacity confirms where the misc cgroup
 * exists. Through the log callback, naming the file:
 *  - WARNING: a limit above what the host reports; the pool is capped to it;
 *  - WARNING: a limit taken as given where the kernel reports no count
 *    (no misc.capacity); it is still never more than CPUID's count;
 *  - INFO: a limit equal to what the host reports (auto says the same);
 *  - WARNING: a [pool.sev_snp] section on a host without a separate SNP pool.
 * Fails with -ERANGE, the reason in sevslot_errmsg(ctx), for a non-zero
 * limit on a pool no model this host can run draws on, or `reserved` above
 * the pool's total (the host's count capped by the limit).
 * sevslot_ledger_open applies the same judgement to its capacity probe.
 */
int sevslot_config_check(struct sevslot_ctx *ctx, const struct sevslot_config *config,
			 const struct sevslot_host *host);
/*
 * Effective capacity of a pool: the probe's capacity, capped by the pool's
 * `limit`, less `reserved` (never below 0). `config` may be NULL.
 */
uint32_t sevslot_effective_capacity(const struct sevslot_host *host,
				    const struct sevslot_config *config, enum sevslot_pool_id pool);

/* ----------------------------------------------------------------- ledger */

/*
 * The slot ledger: a SQLite database (WAL mode) recording which consumer holds
 * which slot of which pool. Schema and operators' views in README.md.
 *
 * Errors: every call returns 0 or a negative errno, and keeps a one-line
 * message naming the ledger on the handle (sevslot_ledger_errmsg):
 *   -EINVAL   consumer id not 1..255 bytes of printable ASCII without spaces
 *   -EEXIST   the consumer holds a slot of another model
 *   -ENODEV   this host cannot run guests of the requested model
 *   -EAGAIN   the pool is full (or over a capacity that shrank)
 *   -EBUSY    the ledger was still locked after the busy timeout and retries
 *   -EBADMSG  the file is not a sevslot ledger (foreign application_id, not
 *             SQLite, not a regular file) or was written by a newer sevslot;
 *             it is left untouched
 *   -EACCES   no permission to write
 *   -EPERM    the file, its -wal/-shm, its directory or a symbolic link on the
 *             way is owned by another user or writable by others: not trusted
 *   -EROFS    a read-only file system (or a handle opened read-only)
 *   -ENOENT   (read-only open) no ledger: nothing was ever allocated
 *   -EISDIR   the path names a directory
 *   -ENOSPC   the file system is full;  -EIO  I/O error or corruption
 *   -ERANGE   (open) the configuration does not fit this host: see
 *             sevslot_config_check; the message names the file
 * A failed write changes nothing: each write is one transaction.
 *
 * Thread-safety: a handle may be used by one thread at a time. Any number of
 * handles, in any threads and processes, may use one ledger at once: SQLite's
 * locks serialise the writers (each write is one BEGIN IMMEDIATE transaction)
 * and readers never block them. The handle borrows `ctx`, which must outlive
 * it and must not be used by another thread while the handle is in use.
 */
#define SEVSLOT_LEDGER_PATH "/var/lib/sevslot/ledger.db"

/* Open flags. */
#define SEVSLOT_LEDGER_READONLY (1u << 0) /* never write: no creation, no
					     capacity refresh, no allocation */

struct sevslot_ledger;

/* One allocation: a consumer holding a slot. */
struct sevslot_allocation {
	char consumer[256];
	enum sevslot_model model;
	enum sevslot_pool_id pool;
	uint32_t slot;              /* 0..capacity-1, lowest free when given */
	char allocated_at[32];      /* UTC, "2026-11-26T08:07:19.123Z" */
	char boot_id[40];           /* the kernel boot it was given in ("" unknown) */
};

struct sevslot_pool_usage {
	uint32_t capacity;          /* effective capacity when last refreshed */
	uint32_t allocated;
	uint32_t free;              /* 0 when over capacity */
};

/*
 * Open the ledger at `path` (NULL: config's [ledger] path, else
 * SEVSLOT_LEDGER_PATH). Unless READONLY, it is created on first use (its
 * directory 02770 and files 0660, group `sevslot` when that group exists),
 * migrated to the current schema, and each pool's capacity is refreshed from
 * a capacity-only probe of `ctx` (CPUID, kvm_amd parameters, misc.capacity;
 * never a firmware command) and `config` (NULL: defaults).
 *
 * The capacity and which models this host can run are read at open: a
 * long-running scheduler that keeps the handle open reopens it after the
 * host changes (a BIOS setting, kvm_amd parameters).
 *
 * Like sqlite3_open, *out is set even on failure (NULL only when out of
 * memory) so that the message can be read; close it in every case.
 */
int sevslot_ledger_open(struct sevslot_ctx *ctx, const char *path,
			const struct sevslot_config *config, unsigned flags,
			struct sevslot_ledger **out);
void sevslot_ledger_close(struct sevslot_ledger *ledger);
/* The last failure on this handle ("" if none); takes NULL. */
const char *sevslot_ledger_errmsg(const struct sevslot_ledger *ledger);
/* The path the handle opened. */
const char *sevslot_ledger_path(const struct sevslot_ledger *ledger);

/* True when `consumer` is 1..255 bytes of printable ASCII without spaces. */
bool sevslot_consumer_is_valid(const char *consumer);

/*
 * Give `consumer` the lowest free slot of the pool `model` draws on. Calling
 * again with the same consumer and model returns the same slot with
 * *created false. `out` and `created` may be NULL.
 */
int sevslot_ledger_allocate(struct sevslot_ledger *ledger, const char *consumer,
			    enum sevslot_model model, struct sevslot_allocation *out,
			    bool *created);
/* Free the consumer's slot; succeeds either way, *released says whether it held one. */
int sevslot_ledger_release(struct sevslot_ledger *ledger, const char *consumer, bool *released);
/*
 * The same two with a note for the journal: `note` (NULL: none) is written to
 * the detail column of the events line, saying who asked ("libvirt domain
 * 'vm1' prepare begin"). At most 255 bytes of UTF-8 without control
 * characters; anything else is -EINVAL and changes nothing.
 */
int sevslot_ledger_allocate_noted(struct sevslot_ledger *ledger, const char *consumer,
				  enum sevslot_model model, const char *note,
				  struct sevslot_allocation *out, bool *created);
int sevslot_ledger_release_noted(struct sevslot_ledger *ledger, const char *consumer,
				 const char *note, bool *released);
/* The consumer's allocation; -ENOENT when it holds none. */
int sevslot_ledger_lookup(struct sevslot_ledger *ledger, const char *consumer,
			  struct sevslot_allocation *out);

/* Called once per allocation; a non-zero return stops the iteration. */
typedef int (*sevslot_allocation_fn)(const struct sevslot_allocation *alloc, void *data);

/*
 * Visit every allocation, ordered by pool and slot, in one consistent
 * snapshot (a read transaction: `fn` must not call the ledger). Returns 0,
 * the callback's non-zero value if it stopped, or a negative errno.
 */
int sevslot_ledger_foreach(struct sevslot_ledger *ledger, sevslot_allocation_fn fn, void *data);
/* Capacity, allocated and free slots of every pool, indexed by sevslot_pool_id. */
int sevslot_ledger_usage(struct sevslot_ledger *ledger,
			 struct sevslot_pool_usage out[SEVSLOT_POOL_COUNT]);

#define SEVSLOT_RECONCILE_DRY_RUN (1u << 0)

/*
 * Release, in one transaction, every allocation whose consumer is not among
 * the `n_live` ids in `live`, journaling each. `fn` (may be NULL) is then
 * called for each allocation released, or that would be with DRY_RUN, which
 * writes nothing.
 */
int sevslot_ledger_reconcile(struct sevslot_ledger *ledger, const char *const *live,
			     size_t n_live, unsigned flags, sevslot_allocation_fn fn, void *data);

/* ------------------------------------------------------------------ audit */

enum sevslot_finding_kind {
	SEVSLOT_FINDING_STALE_BOOT,    /* allocation given in an earlier boot */
	SEVSLOT_FINDING_OVER_CAPACITY, /* pool holds more than its capacity */
	SEVSLOT_FINDING_LEDGER_AHEAD,  /* ledger holds more than the host runs */
	SEVSLOT_FINDING_HOST_AHEAD,    /* host runs more than the ledger holds */
	SEVSLOT_FINDING_CAPACITY_EDITED, /* a pool's capacity was written outside
					    sevslot (ledger: what it said, -1 when
					    known only from the journal; host: the
					    capacity this host gives) */
};

struct sevslot_finding {
	enum sevslot_finding_kind kind;
	const char *source;         /* "boot_id", "capacity", "misc.current",
				       "firmware", "snp_firmware" */
	int pool;                   /* enum sevslot_pool_id, or -1 */
	char consumer[256];         /* STALE_BOOT: whose allocation; else "" */
	int64_t ledger, host;       /* the two numbers compared */
	char message[384];
};

/* One comparison of the ledger with a count the kernel or firmware keeps. */
struct sevslot_audit_count {
	const char *source;         /* "misc.current", "firmware", "snp_firmware" */
	int pool;                   /* enum sevslot_pool_id, or -1 */
	int64_t ledger;
	int64_t host;               /* -1: could not be read here */
};

struct sevslot_audit {
	bool consistent;            /* no finding */
	struct sevslot_pool_usage pools[SEVSLOT_POOL_COUNT];
	uint32_t host_capacity[SEVSLOT_POOL_COUNT]; /* effective, from `host` */
	size_t n_counts;
	struct sevslot_audit_count counts[8];
	size_t n_findings;
	struct sevslot_finding *findings;
};

/*
 * Compare the ledger with `host`, a full probe (firmware included): in-use
 * counts per pool (misc.current), the firmware's SEV and SNP guest counts,
 * allocations from an earlier boot, pools over capacity, and capacities
 * written outside sevslot (found at this handle's open, still in a
 * read-only ledger, or behind allocations still over the real capacity).
 * Counts the host cannot give are reported as -1 and are not drift.
 */
int sevslot_ledger_audit(struct sevslot_ledger *ledger, const struct sevslot_host *host,
			 struct sevslot_audit **out);
void sevslot_audit_free(struct sevslot_audit *audit);

/* --------------------------------------------------------------- requests */

/*
 * A guest's request, from nova-style flavor extra specs and image properties
 * ("key=value" strings): hw:mem_encryption / hw_mem_encryption (a boolean)
 * and hw:mem_encryption_model / hw_mem_encryption_model (amd-sev,
 * amd-sev-es, amd-sev-snp; default amd-sev).
 */
struct sevslot_request {
	bool requested;             /* memory encryption asked for */
	enum sevslot_model model;   /* the slot to allocate, when requested */
};

/*
 * Translate a request. `flavor` and `image` are NULL-terminated lists of
 * "key=value" (either may be NULL). Fails with -EINVAL, the reason in
 * sevslot_errmsg(ctx), when a value is malformed, flavor and image disagree,
 * a model is named without encryption, or the image asks for what SEV cannot
 * run: a machine type other than q35, firmware other than UEFI, IDE disks or
 * cdroms.
 */
int sevslot_request_translate(struct sevslot_ctx *ctx, const char *const *flavor,
			      const char *const *image, struct sevslot_request *out);
/* The Placement trait of a model: "HW_CPU_X86_AMD_SEV", "..._SEV_ES", "..._SEV_SNP". */
const char *sevslot_model_trait(enum sevslot_model model);
/* The default guest policy: 0x0033 for SEV, 0x0037 for SEV-ES, 0x30000 for SEV-SNP. */
uint64_t sevslot_default_policy(enum sevslot_model model);
/*
 * The libvirt <launchSecurity> element for a guest of `model` on `host`.
 * -EINVAL when `policy` does not fit the model (SEV-ES needs bit 2, SEV must
 * not set it, SEV-SNP needs bit 17), -ENODEV when the host cannot run it.
 */
int sevslot_launch_security_xml(struct sevslot_ctx *ctx, const struct sevslot_host *host,
				enum sevslot_model model, uint64_t policy, char **out);

/* ----------------------------------------------------------------- guests */

/*
 * A libvirt domain (its XML), judged by the specification's rules for an SEV
 * guest on this host, and made one. Parsed by libxml2 without network access,
 * DTD or external entities; a document with a DOCTYPE is refused.
 */
#define SEVSLOT_DOMAIN_MAX (10u * 1024 * 1024) /* bytes: virsh's own limit */

struct sevslot_domain;

/*
 * Parse `len` bytes of domain XML. -EBADMSG when it is not well-formed XML
 * or not a <domain> ("line L, column C: why" in sevslot_errmsg), -EFBIG
 * when larger than SEVSLOT_DOMAIN_MAX.
 */
int sevslot_domain_parse(struct sevslot_ctx *ctx, const char *xml, size_t len,
			 struct sevslot_domain **out);
void sevslot_domain_free(struct sevslot_domain *domain);
/* The domain's <name> and <uuid>, or NULL when it has none. */
const char *sevslot_domain_name(const struct sevslot_domain *domain);
const char *sevslot_domain_uuid(const struct sevslot_domain *domain);
/*
 * The model the domain's <launchSecurity> asks for: type 'sev' is amd-sev,
 * or amd-sev-es with policy bit 2; 'sev-snp' is amd-sev-snp. -ENOENT when it
 * is not an SEV guest (no <launchSecurity>, or one of another technology:
 * 's390-pv', 'tdx'); -EINVAL for an unknown type or an unreadable policy.
 */
int sevslot_domain_model(struct sevslot_ctx *ctx, const struct sevslot_domain *domain,
			 enum sevslot_model *out);

enum sevslot_severity {
	SEVSLOT_SEVERITY_ERROR,     /* it cannot run as an SEV guest here */
	SEVSLOT_SEVERITY_WARNING,   /* it can, with a known risk */
};

/* One rule a domain breaks, and where. */
struct sevslot_domain_finding {
	const char *rule;           /* stable: "virtio.iommu", "machine.q35", ... */
	enum sevslot_severity severity;
	const char *element;        /* the element: "disk", "os", "launchSecurity" (static) */
	char target[128];           /* which one: "vda", "52:54:00:6b:3c:58", "#2", or "" */
	char message[256];          /* what is wrong */
	char fix[256];              /* what to do */
};

struct sevslot_domain_report {
	int model;                  /* the enum sevslot_model judged, -1 when none */
	bool ok;                    /* no error: it can run as an SEV guest here */
	bool model_usable;          /* this host can run `model` */
	size_t n_findings;
	struct sevslot_domain_finding *findings;
};

/*
 * Judge `domain` as a guest of `model` (an enum sevslot_model, or -1 for the
 * one its <launchSecurity> names) on `host` (a full probe): q35, UEFI,
 * <launchSecurity> for this host, iommu on every virtio device, locked
 * memory for SEV and SEV-ES, no host device, no IDE, and a warning for a
 * virtio-blk boot disk. -EINVAL when <launchSecurity> is unreadable.
 */
int sevslot_domain_check(struct sevslot_ctx *ctx, const struct sevslot_domain *domain,
			 const struct sevslot_host *host, int model,
			 struct sevslot_domain_report **out);
void sevslot_domain_report_free(struct sevslot_domain_report *report);
/* The stable name of a severity: "error", "warning". */
const char *sevslot_severity_name(enum sevslot_severity severity);

/*
 * The same document made an SEV guest of `model` on `host`: this host's
 * <launchSecurity> (an existing policy is kept when it fits the model),
 * iommu='on' on every virtio device, <locked/> memory for SEV and SEV-ES.
 * Every other byte is kept; applying twice gives the same bytes. *out is
 * NUL-terminated, *len its length. -EINVAL (nothing written) for what must
 * not change by itself: a machine type other than q35, BIOS firmware, IDE
 * devices, host devices, another technology's <launchSecurity>; -ENODEV when
 * the host cannot run `model`; -ENOTSUP for a document not in UTF-8.
 */
int sevslot_domain_apply(struct sevslot_ctx *ctx, const struct sevslot_domain *domain,
			 const struct sevslot_host *host, enum sevslot_model model, char **out,
			 size_t *len);

/* -------------------------------------------------------------- inventory */

enum sevslot_inventory_format {
	SEVSLOT_INVENTORY_TEXT,
	SEVSLOT_INVENTORY_JSON,       /* sevslot's own: per model and per pool */
	SEVSLOT_INVENTORY_PLACEMENT,  /* OpenStack Placement child providers */
	SEVSLOT_INVENTORY_NFD,        /* Kubernetes Node Feature Discovery local file */
	SEVSLOT_INVENTORY_PROMETHEUS, /* Prometheus text exposition */
};

/* Parse "text", "json", "placement", "nfd", "prometheus"; -EINVAL otherwise. */
int sevslot_inventory_format_from_name(const char *name, enum sevslot_inventory_format *out);

/*
 * Render this host's inventory: per model, the slots a scheduler may count on
 * (the host's capacity capped by the configured limit), those reserved, and,
 * when `usage` is given (from sevslot_ledger_usage), those allocated.
 * `config` may be NULL (defaults); `hostname` names Placement providers.
 * -ERANGE when the configuration does not fit the host (sevslot_config_check
 * says why, and logs what the operator should hear).
 */
int sevslot_inventory_render(const struct sevslot_host *host, const struct sevslot_config *config,
			     const struct sevslot_pool_usage *usage, const char *hostname,
			     enum sevslot_inventory_format format, char **out);

/* Render flags. */
#define SEVSLOT_INVENTORY_READY_ONLY (1u << 0) /* publish a model only when it is ready:
						 this host's QEMU and firmware can boot it
						 (host->stack.ready, a full probe) */
/* sevslot_inventory_render with flags; sevslot_inventory_render is this with 0. */
int sevslot_inventory_render_flags(const struct sevslot_host *host,
				   const struct sevslot_config *config,
				   const struct sevslot_pool_usage *usage, const char *hostname,
				   enum sevslot_inventory_format format, unsigned flags, char **out);

#ifdef __cplusplus
}
#endif

#endif /* SEVSLOT_H */
