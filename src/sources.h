/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sources layer: every file and device the probe reads, opened under the
 * context's root (sysroot.c), listed once in the table of inputs (inputs.c),
 * and the pure decoders of what they hold. Only this layer touches the
 * filesystem. Nothing here is ABI.
 */
#ifndef SEVSLOT_SOURCES_H
#define SEVSLOT_SOURCES_H

#include <errno.h>

#include "ctx.h"

/* ---------------------------------------------------------------- sysroot */

/* Bytes read from one input; `err` is 0 or -errno (-ENOENT: absent). */
struct sv_buf {
	int err;
	bool truncated;            /* more bytes were there than kept */
	bool not_regular;          /* a directory, FIFO or device, never read */
	const char *path;          /* where it was read (relative), for messages */
	size_t len;
	char *data;                /* NUL-terminated, len bytes, or NULL */
};

enum sv_kind { SV_ABSENT, SV_REGULAR, SV_CHARDEV, SV_DIRECTORY, SV_OTHER };

/* What is at `path` (relative to the root): absent, a file, a device... */
enum sv_kind sv_stat(struct sevslot_ctx *ctx, const char *path, int *err) SV_NONNULL(1, 2, 3);
/* Open `path` under the root; a descriptor or -errno. */
int sv_open(struct sevslot_ctx *ctx, const char *path, int flags) SV_NONNULL(1, 2) SV_MUST_CHECK;
/*
 * Read a whole file of at most `max` bytes into `out`. A larger file gives
 * -EFBIG, unless `prefix_ok`, in which case the first `max` bytes are kept
 * and `truncated` is set. Never fails itself: the outcome is in out->err.
 */
void sv_read(struct sevslot_ctx *ctx, const char *path, size_t max, bool prefix_ok,
	     struct sv_buf *out) SV_NONNULL(1, 2, 5);
/*
 * Read the first record of a file of blank-line-separated records, such as
 * the first processor of /proc/cpuinfo, and stop there: on a large host the
 * kernel would otherwise format every CPU (and ask each for its frequency).
 * At most `max` bytes; `truncated` is set when more followed.
 */
void sv_read_first_record(struct sevslot_ctx *ctx, const char *path, size_t max,
			  struct sv_buf *out) SV_NONNULL(1, 2, 4);
/*
 * Read a recording (a regular file standing in for a device under a sysroot).
 * One that is there but unusable is bad input the user named: -EBADMSG with
 * "DIR/path: why" in sevslot_errmsg(), never taken for an absent device.
 * `what` names it in the message ("a CPUID recording").
 */
int sv_read_recording(struct sevslot_ctx *ctx, const char *path, size_t max, const char *what,
		      struct sv_buf *out) SV_NONNULL(1, 2, 4, 5) SV_MUST_CHECK;
void sv_buf_release(struct sv_buf *buf) SV_NONNULL(1);

/* sv_read_dir: a name that is no regular file (libvirt leaves those out too). */
#define SV_ERR_NOT_REGULAR (-EISDIR)

/* One file of a directory read by sv_read_dir. */
struct sv_file {
	char *name;                /* its name in the directory */
	struct sv_buf buf;         /* its bytes, or buf.err */
};

/* The regular files of a directory whose names end in a suffix, sorted by name. */
struct sv_dir {
	int err;                   /* 0, or -errno opening it (-ENOENT: absent) */
	bool truncated;            /* more files than kept */
	size_t n;
	struct sv_file *files;
};

/*
 * Read every regular file in `path` whose name ends in `suffix` (dot files
 * left out), at most `max_files` of at most `max` bytes each (a larger one
 * has buf.err -EFBIG). Under a sysroot, symlinks resolve inside it (openat2
 * RESOLVE_IN_ROOT). Never fails itself: the outcome is in out->err.
 */
void sv_read_dir(struct sevslot_ctx *ctx, const char *path, const char *suffix, size_t max_files,
		 size_t max, struct sv_dir *out) SV_NONNULL(1, 2, 3, 6);
void sv_dir_release(struct sv_dir *dir) SV_NONNULL(1);

/* ------------------------------------------------------------- devices */

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

/* Result of one SEV_ISSUE_CMD. */
struct sv_psp_reply {
	bool issued;
	int ret;                   /* 0 or -errno */
	uint32_t fwerr;
	uint8_t data[32];
	size_t len;                /* bytes of data the command returns */
};

#define SV_MSR_SYSCFG 0xC0010010u

/* ----------------------------------------------------- the table of inputs */

/*
 * Every kernel input, one row each in sv_inputs[] (inputs.c). Reading
 * (raw.c), releasing, the probe's messages and `sevslot snapshot` all walk
 * the table: a new kernel file is one row and one decoder.
 */
enum sv_input_id {
	SV_IN_CPUID,               /* dev/cpu/0/cpuid, or the instruction live */
	SV_IN_KVM_AMD,             /* sys/module/kvm_amd: only whether it is there */
	SV_IN_KVM_SEV,
	SV_IN_KVM_SEV_ES,
	SV_IN_KVM_SEV_SNP,
	SV_IN_KVM_CTH,             /* ciphertext_hiding_asids (Linux 6.18) */
	SV_IN_MISC_CAPACITY,
	SV_IN_MISC_CURRENT,
	SV_IN_BOOT_ID,
	SV_IN_OSRELEASE,
	SV_IN_CPUINFO,
	SV_IN_DEV_KVM,
	SV_IN_DEV_SEV,
	SV_IN_MSR,
	SV_IN_LIMITS,              /* proc/self/limits: RLIMIT_MEMLOCK */
	SV_IN_FW_SHARE,            /* usr/share/qemu/firmware: QEMU's firmware descriptors */
	SV_IN_FW_ETC,              /* etc/qemu/firmware: the administrator's, which win */
	SV_IN_QEMU,                /* usr/bin/qemu-system-x86_64 (Debian, Ubuntu, Fedora) */
	SV_IN_QEMU_KVM,            /* usr/libexec/qemu-kvm (RHEL and its rebuilds) */
	SV_IN_DPKG,                /* var/lib/dpkg/status: QEMU's package, for its version */
	SV_IN_COUNT
};

enum sv_input_kind {
	SV_INPUT_FILE,             /* its bytes, into raw->in[id] */
	SV_INPUT_FIRST_RECORD,     /* its bytes up to the first blank line */
	SV_INPUT_PRESENCE,         /* only whether it exists (raw->in[id].err) */
	SV_INPUT_DEVICE,           /* a device, or its recording: `read` and `record` */
	SV_INPUT_JSON_DIR,         /* a directory of *.json files, into raw->dirs[id] */
};

#define SV_INPUT_FULL (1u << 0) /* only the full probe reads it, never the capacity probe */
#define SV_INPUT_DIR (1u << 1)  /* a presence that is a directory (snapshot: mkdir) */
#define SV_INPUT_STACK (1u << 2) /* the userspace stack: what is wrong is a check, never an error */

struct sv_raw;

struct sv_input {
	const char *path;          /* relative to the root */
	const char *legacy;        /* where an older layout keeps it (cgroup v1), or NULL */
	enum sv_input_kind kind;
	size_t max;                /* bytes; a larger file is an error */
	unsigned flags;            /* SV_INPUT_* */
	/*
	 * DEVICE rows: read the device (or its recording) into raw; -EBADMSG
	 * stops the probe. Set on another row, it reads that row instead.
	 */
	int (*read)(struct sevslot_ctx *ctx, struct sv_raw *raw);
	/* DEVICE rows: the recording `sevslot snapshot` writes; *out NULL writes nothing. */
	int (*record)(const struct sv_raw *raw, char **out, size_t *len);
};

extern const struct sv_input sv_inputs[SV_IN_COUNT];

/*
 * Everything read from the host before anything is decoded: phase one of a
 * probe, and exactly what a snapshot writes out.
 */
struct sv_raw {
	unsigned flags;            /* the probe's SEVSLOT_PROBE_* */
	struct sv_buf in[SV_IN_COUNT]; /* FILE, FIRST_RECORD, PRESENCE rows */
	struct sv_dir dirs[SV_IN_COUNT]; /* JSON_DIR rows */
	int cpuid_err;             /* 0, or -errno: CPUID unavailable */
	struct sv_cpuid_table cpuid;
	int sev_open_err;          /* 0, or -errno opening dev/sev */
	struct sv_psp_reply status, snp_status;
	int msr_err;               /* 0, or -errno reading SYSCFG (-ENODATA: not recorded) */
	uint64_t syscfg;
};

/* Whether a probe with `flags` reads the input. */
bool sv_input_wanted(enum sv_input_id id, unsigned flags);
/* Gather every input the flags ask for; fills `raw` even on partial failure. */
int sv_raw_read(struct sevslot_ctx *ctx, unsigned flags, struct sv_raw *raw)
	SV_NONNULL(1, 3) SV_MUST_CHECK;
void sv_raw_release(struct sv_raw *raw) SV_NONNULL(1);

/* ------------------------------------------------------------- decoders */

/* cpuid.c: the leaves the probe reads and a snapshot records */
extern const uint32_t sv_cpuid_wanted[];
extern const size_t sv_cpuid_n_wanted;

int sv_cpuid_read(struct sevslot_ctx *ctx, struct sv_raw *raw) SV_NONNULL(1, 2);
int sv_cpuid_record(const struct sv_raw *raw, char **out, size_t *len) SV_NONNULL(1, 2, 3);
int sv_cpuid_parse_recording(const char *text, size_t len, struct sv_cpuid_table *t,
			     char *why, size_t whylen) SV_NONNULL(1, 3, 4) SV_MUST_CHECK;
const struct sv_cpuid_leaf *sv_cpuid_find(const struct sv_cpuid_table *t, uint32_t leaf,
					  uint32_t subleaf) SV_NONNULL(1);
void sv_cpuid_decode(const struct sv_cpuid_table *t, struct sevslot_cpu *cpu) SV_NONNULL(1, 2);

/* kvm.c: kvm_amd parameters */
int sv_kvm_parse_bool(const char *data, size_t len, enum sevslot_param *out)
	SV_NONNULL(1, 3) SV_MUST_CHECK;
int sv_kvm_parse_uint(const char *data, size_t len, int64_t *out) SV_NONNULL(1, 3) SV_MUST_CHECK;

/* misc_cg.c: misc.capacity and misc.current, by pool (sev, sev_es) */
int sv_misc_parse(const char *data, size_t len, int64_t out[SEVSLOT_POOL_SEV_ES + 1], char *why,
		  size_t whylen) SV_NONNULL(1, 3, 4) SV_MUST_CHECK;

/* procfs.c: /proc/cpuinfo flags, /proc/self/limits, the kernel release */
int sv_cpuinfo_parse(const char *data, size_t len, struct sevslot_kernel *k) SV_NONNULL(1, 3);
int sv_limits_parse_memlock(const char *data, size_t len, uint64_t *cur, uint64_t *max)
	SV_NONNULL(1, 3, 4) SV_MUST_CHECK;
bool sv_kernel_at_least(const struct sevslot_kernel *k, unsigned maj, unsigned min) SV_NONNULL(1);

/* psp.c: the PSP behind /dev/sev */
#define SV_PSP_PLATFORM_STATUS 1u
#define SV_PSP_SNP_PLATFORM_STATUS 9u
#define SV_PSP_STATUS_LEN 12u
#define SV_PSP_SNP_STATUS_LEN 32u
int sv_psp_read(struct sevslot_ctx *ctx, struct sv_raw *raw) SV_NONNULL(1, 2);
int sv_psp_record(const struct sv_raw *raw, char **out, size_t *len) SV_NONNULL(1, 2, 3);
int sv_psp_parse_recording(const char *text, size_t len, int *open_err,
			   struct sv_psp_reply *status, struct sv_psp_reply *snp, char *why,
			   size_t whylen) SV_NONNULL(1, 3, 4, 5, 6) SV_MUST_CHECK;
void sv_psp_decode(const struct sv_psp_reply *status, const struct sv_psp_reply *snp,
		   struct sevslot_firmware *fw) SV_NONNULL(1, 2, 3);
/* Issue one command on an open /dev/sev: the only ioctl in sevslot. */
int sv_psp_issue(int fd, uint32_t cmd, void *data, uint32_t *fwerr) SV_NONNULL(3, 4);

/* firmware_desc.c: a QEMU firmware descriptor (QEMU's docs/interop/firmware.json) */
#define SV_FW_DESC_MAX (1024 * 1024) /* bytes: libvirt reads no larger descriptor */
#define SV_FW_DESC_FILES 64          /* descriptors kept per directory */
#define SV_FW_FEATURES 32            /* features kept per descriptor */

struct sv_fw_desc {
	char *features[SV_FW_FEATURES + 1]; /* NULL-terminated */
	char device[16];           /* mapping.device */
	bool boots[SEVSLOT_MODEL_COUNT];
};

/*
 * Parse and check one descriptor (json-c; untrusted: strict JSON, bounded
 * depth, every member read is type-checked): 0, or -EBADMSG with the reason
 * in `why`, or -ENOMEM. `boots` says which models a q35 guest can boot with
 * it, by libvirt's matching (src/qemu/qemu_firmware.c).
 */
int sv_fw_desc_parse(const char *data, size_t len, struct sv_fw_desc *out, char *why,
		     size_t whylen) SV_NONNULL(1, 3, 4) SV_MUST_CHECK;
void sv_fw_desc_release(struct sv_fw_desc *desc) SV_NONNULL(1);

/* dpkg.c: QEMU's version from dpkg's status file, never from running QEMU */
#define SV_DPKG_QEMU "qemu-system-x86"
int sv_dpkg_read(struct sevslot_ctx *ctx, struct sv_raw *raw) SV_NONNULL(1, 2);
/* The stanza of an installed `package` in a status file: 0 with its place, or -ENOENT. */
int sv_dpkg_stanza(const char *data, size_t len, const char *package, size_t *at, size_t *slen)
	SV_NONNULL(1, 3, 4, 5);
/*
 * Where a status file of `size` bytes sorted by package name (as dpkg
 * writes it) holds `package`'s stanza: [*from, *to), found by a binary
 * search over stanza starts with pread(). In a file that is not sorted the
 * stanza may be elsewhere. 0, or -errno when a read fails.
 */
int sv_dpkg_narrow(int fd, size_t size, const char *package, size_t *from, size_t *to)
	SV_NONNULL(3, 4, 5) SV_MUST_CHECK;
/* A field's value in a stanza ("Version"), cut at `buflen`; false when absent. */
bool sv_dpkg_field(const char *stanza, size_t len, const char *field, char *buf, size_t buflen)
	SV_NONNULL(1, 3, 4);
/* The upstream version in a Debian version: "1:7.2+dfsg-7+deb12u18+b3" gives "7.2". */
int sv_upstream_version(const char *debian, char *buf, size_t len) SV_NONNULL(1, 2);
/* Whether version "M.m[.p]" is at least major.minor: 1 yes, 0 no, -1 unknown (NULL, malformed). */
int sv_qemu_version_at_least(const char *version, unsigned major, unsigned minor);

/* msr.c: SYSCFG through /dev/cpu/0/msr */
int sv_msr_read(struct sevslot_ctx *ctx, struct sv_raw *raw) SV_NONNULL(1, 2);
int sv_msr_record(const struct sv_raw *raw, char **out, size_t *len) SV_NONNULL(1, 2, 3);
/*
 * The recording's line for `reg`: 0 with *out (and *read_err 0), or with
 * *read_err the recorded failure ("0xREG -ERRNO", any errno); -ENODATA when
 * no line names reg; -EBADMSG with `why` for a malformed recording.
 */
int sv_msr_parse_recording(const char *text, size_t len, uint32_t reg, uint64_t *out,
			   int *read_err, char *why, size_t whylen) SV_NONNULL(1, 4, 5, 6);

#endif
