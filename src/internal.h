/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private declarations shared by the library's files. Nothing here is ABI.
 */
#ifndef SEVSLOT_INTERNAL_H
#define SEVSLOT_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sevslot.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SEVSLOT_EXPORT __attribute__((visibility("default")))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* ------------------------------------------------------------ ctx, errors */

struct sevslot_ctx {
	int root_fd;               /* directory every kernel path is read under */
	bool live;                 /* no sysroot: devices must be devices */
	char *sysroot;             /* NULL when live */
	sevslot_log_fn log_fn;
	void *log_data;
	int log_priority;
	char errmsg[512];
};

/* Log at `priority` through the callback, if the priority is enabled. */
void sv_log(struct sevslot_ctx *ctx, int priority, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* Record a failure on ctx (kept for sevslot_errmsg, logged at ERR); returns err. */
int sv_fail(struct sevslot_ctx *ctx, int err, const char *fmt, ...) PRINTF_LIKE(3, 4);

#define dbg(ctx, ...) sv_log(ctx, SEVSLOT_LOG_DEBUG, __VA_ARGS__)

/* ---------------------------------------------------------------- sysroot */

/* Bytes read from one file; `err` is 0 or -errno (-ENOENT: absent). */
struct sv_buf {
	int err;
	bool truncated;            /* more bytes were there than kept */
	size_t len;
	char *data;                /* NUL-terminated, len bytes, or NULL */
};

enum sv_kind { SV_ABSENT, SV_REGULAR, SV_CHARDEV, SV_DIRECTORY, SV_OTHER };

/* What is at `path` (relative to the root): absent, a file, a device... */
enum sv_kind sv_stat(struct sevslot_ctx *ctx, const char *path, int *err);
/* Open `path` under the root; -errno on failure. */
int sv_open(struct sevslot_ctx *ctx, const char *path, int flags);
/*
 * Read a whole file of at most `max` bytes into `out`. A larger file gives
 * -EFBIG, unless `prefix_ok`, in which case the first `max` bytes are kept
 * and `truncated` is set. Never fails itself: the outcome is in out->err.
 */
void sv_read(struct sevslot_ctx *ctx, const char *path, size_t max, bool prefix_ok,
	     struct sv_buf *out);
/*
 * Read the first record of a file of blank-line-separated records, such as
 * the first processor of /proc/cpuinfo, and stop there: on a large host the
 * kernel would otherwise format every CPU (and ask each for its frequency).
 * At most `max` bytes; `truncated` is set when more followed.
 */
void sv_read_first_record(struct sevslot_ctx *ctx, const char *path, size_t max,
			  struct sv_buf *out);
/*
 * Read a recording (a regular file standing in for a device under a sysroot).
 * One that is there but unusable is bad input the user named: -EBADMSG with
 * "DIR/path: why" in sevslot_errmsg(), never taken for an absent device.
 * `what` names it in the message ("a CPUID recording").
 */
int sv_read_recording(struct sevslot_ctx *ctx, const char *path, size_t max, const char *what,
		      struct sv_buf *out);
void sv_buf_release(struct sv_buf *buf);

/* ------------------------------------------------------------ raw sources */

/* One CPUID leaf's registers. */
struct sv_cpuid_leaf {
	uint32_t leaf, subleaf;
	uint32_t r[4];             /* eax, ebx, ecx, edx */
};

#define SV_CPUID_MAX_LEAVES 256

struct sv_cpuid_table {
	size_t n;
	struct sv_cpuid_leaf leaves[SV_CPUID_MAX_LEAVES];
};

/* The leaves the probe reads and a snapshot records. */
extern const uint32_t sv_cpuid_wanted[];
extern const size_t sv_cpuid_n_wanted;

/* Result of one SEV_ISSUE_CMD. */
struct sv_psp_reply {
	bool issued;
	int ret;                   /* 0 or -errno */
	uint32_t fwerr;
	uint8_t data[32];
	size_t len;                /* bytes of data the command returns */
};

#define SV_MSR_SYSCFG 0xC0010010u

/*
 * Everything read from the host before anything is decoded: phase one of a
 * probe, and exactly what a snapshot writes out.
 */
struct sv_raw {
	int cpuid_err;             /* 0, or -errno: CPUID unavailable */
	struct sv_cpuid_table cpuid;
	bool kvm_amd_dir;
	struct sv_buf kvm_sev, kvm_sev_es, kvm_sev_snp, kvm_cth;
	struct sv_buf misc_capacity, misc_current;
	int misc_version;          /* 2 or 1: where misc.* were found */
	struct sv_buf cpuinfo, boot_id, osrelease;
	bool dev_kvm;
	int sev_open_err;          /* 0, or -errno opening dev/sev */
	struct sv_psp_reply status, snp_status;
	int msr_err;
	uint64_t syscfg;
	struct sv_buf limits;      /* proc/self/limits */
};

/* Gather the raw sources; fills `raw` even on partial failure. */
int sv_raw_read(struct sevslot_ctx *ctx, unsigned flags, struct sv_raw *raw);
void sv_raw_release(struct sv_raw *raw);

/* cpuid.c */
int sv_cpuid_read(struct sevslot_ctx *ctx, struct sv_cpuid_table *t);
int sv_cpuid_parse_recording(const char *text, size_t len, struct sv_cpuid_table *t,
			     char *why, size_t whylen);
const struct sv_cpuid_leaf *sv_cpuid_find(const struct sv_cpuid_table *t, uint32_t leaf,
					  uint32_t subleaf);
void sv_cpuid_decode(const struct sv_cpuid_table *t, struct sevslot_cpu *cpu);

/* kvm.c */
int sv_kvm_parse_bool(const char *data, size_t len, enum sevslot_param *out);
int sv_kvm_parse_uint(const char *data, size_t len, int64_t *out);

/* misc_cg.c */
int sv_misc_parse(const char *data, size_t len, int64_t out[2], char *why, size_t whylen);

/* procfs.c */
int sv_cpuinfo_parse(const char *data, size_t len, struct sevslot_kernel *k);
int sv_limits_parse_memlock(const char *data, size_t len, uint64_t *cur, uint64_t *max);
bool sv_kernel_at_least(const struct sevslot_kernel *k, unsigned maj, unsigned min);

/* psp.c */
#define SV_PSP_PLATFORM_STATUS 1u
#define SV_PSP_SNP_PLATFORM_STATUS 9u
#define SV_PSP_STATUS_LEN 12u
#define SV_PSP_SNP_STATUS_LEN 32u
int sv_psp_read(struct sevslot_ctx *ctx, struct sv_raw *raw);
int sv_psp_parse_recording(const char *text, size_t len, int *open_err,
			   struct sv_psp_reply *status, struct sv_psp_reply *snp, char *why,
			   size_t whylen);
void sv_psp_decode(const struct sv_psp_reply *status, const struct sv_psp_reply *snp,
		   struct sevslot_firmware *fw);
/* Issue one command on an open /dev/sev: the only ioctl in sevslot. */
int sv_psp_issue(int fd, uint32_t cmd, void *data, uint32_t *fwerr);

/* msr.c */
int sv_msr_read(struct sevslot_ctx *ctx, uint32_t reg, uint64_t *out);
int sv_msr_parse_recording(const char *text, size_t len, uint32_t reg, uint64_t *out,
			   char *why, size_t whylen);

/* pools.c */
void sv_pools_derive(struct sevslot_host *host);
bool sv_fw_uninit_is_failure(const struct sevslot_host *host);
bool sv_fw_refuses(const struct sevslot_host *host, bool snp);

/* inventory.c: what the host offers, per pool and per model */
struct sv_inventory_pool {
	bool present, usable;
	uint32_t capacity;         /* what the host reports */
	uint32_t total;            /* capped by the configured limit */
	uint32_t reserved;         /* of total, kept back */
	uint32_t allocated;        /* in the ledger (0 without one) */
	int64_t in_use;            /* misc.current ASIDs, -1 unknown */
};

struct sv_inventory {
	bool usable, have_usage;
	struct sv_inventory_pool pools[SEVSLOT_POOL_COUNT];
	struct sevslot_model_info models[SEVSLOT_MODEL_COUNT];
};

void sv_inventory_compute(const struct sevslot_host *host, const struct sevslot_config *config,
			  const struct sevslot_pool_usage *usage, struct sv_inventory *inv);

/* checks.c */
int sv_checks_run(struct sevslot_host *host);

/* json_writer.c: streaming JSON, indented as json-c prints it */
#define SV_JSON_MAX_DEPTH 16

struct sv_json {
	char *buf;                     /* the text so far, NUL-terminated */
	size_t len, cap;
	int err;                       /* 0, or the first failure (-ENOMEM) */
	int depth;
	bool first[SV_JSON_MAX_DEPTH]; /* nothing written yet at this depth */
};

/* Start with a zeroed struct sv_json; finish hands the text over (*out, caller frees). */
int sv_json_finish(struct sv_json *w, char **out);
void sv_json_object(struct sv_json *w, const char *key);   /* key NULL: top or in an array */
void sv_json_array(struct sv_json *w, const char *key);
void sv_json_end_object(struct sv_json *w);
void sv_json_end_array(struct sv_json *w);
void sv_json_string(struct sv_json *w, const char *key, const char *value); /* NULL: null */
void sv_json_int(struct sv_json *w, const char *key, int64_t value);
void sv_json_number(struct sv_json *w, const char *key, const char *literal); /* "1.0" */
void sv_json_bool(struct sv_json *w, const char *key, bool value);
void sv_json_null(struct sv_json *w, const char *key);

/* util */
int sv_asprintf(char **out, const char *fmt, ...) PRINTF_LIKE(2, 3);
int sv_parse_u64(const char *s, const char **end, int base, uint64_t *out);

#endif /* SEVSLOT_INTERNAL_H */
