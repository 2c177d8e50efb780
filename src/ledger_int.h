/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private declarations of the ledger files (ledger*.c). Nothing here is ABI.
 */
#ifndef SEVSLOT_LEDGER_INT_H
#define SEVSLOT_LEDGER_INT_H

#include <sqlite3.h>
#include <sys/types.h>

#include "policy.h"

/*
 * Durability of a commit in WAL mode. FULL syncs the WAL on every commit, so
 * an allocation or release the caller was told about survives a power loss;
 * NORMAL syncs only at checkpoints and may lose the last commits (never
 * corrupt). README.md ("Durability") gives the reasoning. Build with
 * -DSV_LEDGER_SYNCHRONOUS='"NORMAL"' to measure the other choice.
 */
#ifndef SV_LEDGER_SYNCHRONOUS
#define SV_LEDGER_SYNCHRONOUS "FULL"
#endif

#define SV_LEDGER_APPLICATION_ID 0x53455653 /* "SEVS", PRAGMA application_id */
#define SV_LEDGER_GROUP "sevslot"           /* owns the directory and files, if it exists */
#define SV_LEDGER_DIR_MODE 02770            /* setgid: -wal and -shm keep the group */
#define SV_LEDGER_FILE_MODE 0660
#define SV_LEDGER_MAX_RETRIES 10            /* busy results SQLite's handler did not absorb */
#define SV_LEDGER_STMTS 48                  /* prepared statements kept on a handle */
/*
 * The most slots a pool may have. free_slots holds a row per free slot, so a
 * recorded host claiming 2^32 ASIDs must not make opening the ledger write
 * billions of rows; real hosts have at most 1006 (EPYC 9005).
 */
#define SV_LEDGER_MAX_SLOTS 65536u

struct sevslot_ledger {
	struct sevslot_ctx *ctx;             /* borrowed: sysroot, log callback */
	sqlite3 *db;
	char *path;                          /* as the caller named it, for messages */
	int dirfd;                           /* O_PATH: its real directory (ledger_file.c) */
	char *real_dir, *base, *real;        /* that directory, the name in it, both */
	bool rofs;                           /* on a read-only file system */
	gid_t gid;                           /* group sevslot's, once looked up (sv_ledger_gid) */
	bool gid_known;
	bool readonly;
	unsigned busy_timeout_ms;
	unsigned schema_version;             /* user_version once opened */
	struct sevslot_pool_policy policy[SEVSLOT_POOL_COUNT]; /* copied from the config */
	char *config_path;                   /* the config file, for messages; or NULL */
	struct sevslot_host *host;           /* capacity probe; NULL when read-only */
	uint32_t capacity[SEVSLOT_POOL_COUNT]; /* effective, as refreshed at open */
	int64_t edited[SEVSLOT_POOL_COUNT];  /* capacity this open found written outside
						sevslot and restored; -1 none */
	uint64_t rng;                        /* retry jitter */
	uint64_t busy_since_ms;              /* when the busy handler started waiting */
	unsigned n_stmts;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} stmts[SV_LEDGER_STMTS];            /* prepared once, reset after each use */
	char errmsg[512];
};

/*
 * ledger_file.c: find the ledger's real directory and name (l->dirfd,
 * l->real_dir, l->base, l->real), trusting only what root or the caller
 * controls, and judge the file and its -wal, -shm and -journal: *exists
 * says whether the file is there. With `create`, a missing last directory
 * is made atomically (02770, group sevslot).
 */
int sv_ledger_locate(struct sevslot_ledger *l, bool create, bool *exists);
void sv_ledger_unlocate(struct sevslot_ledger *l);
bool sv_ledger_has_wal(const struct sevslot_ledger *l);
/* Root gives back group sevslot's access that a crash of an older sevslot left out. */
void sv_ledger_repair(struct sevslot_ledger *l);
/*
 * The gid of group `sevslot`, or -1 when the host has no such group; looked
 * up once per handle (an NSS lookup can cost a hundred system calls).
 */
gid_t sv_ledger_gid(struct sevslot_ledger *l) SV_NONNULL(1);

/* Keep a message on the handle (and log it); returns err. */
int sv_ledger_fail(struct sevslot_ledger *l, int err, const char *fmt, ...) SV_PRINTF(3, 4)
	SV_NONNULL(1, 3);
/* Map a SQLite result code to a negative errno, with the message on the handle. */
int sv_ledger_sqlite_fail(struct sevslot_ledger *l, int rc, const char *what) SV_NONNULL(1, 3);
/* The negative errno a SQLite result code stands for. */
int sv_ledger_errno(sqlite3 *db, int rc);

/*
 * Run `fn` inside one BEGIN IMMEDIATE transaction and commit it when fn
 * returns 0; anything else rolls back. A busy ledger is waited for (busy
 * timeout), then retried with jitter a bounded number of times; still busy
 * gives -EBUSY naming the ledger. `fn` may run more than once: it must
 * start from the database, not from what an earlier attempt left.
 */
typedef int (*sv_txn_fn)(struct sevslot_ledger *l, void *arg);
int sv_ledger_write(struct sevslot_ledger *l, const char *what, sv_txn_fn fn, void *arg)
	SV_NONNULL(1, 2, 3) SV_MUST_CHECK;
/* The same for a read transaction: one consistent snapshot. */
int sv_ledger_read(struct sevslot_ledger *l, const char *what, sv_txn_fn fn, void *arg)
	SV_NONNULL(1, 2, 3) SV_MUST_CHECK;
/* Fill a sevslot_pool_usage[SEVSLOT_POOL_COUNT] from the pool_usage view (an sv_txn_fn). */
int sv_ledger_usage_txn(struct sevslot_ledger *l, void *arg) SV_NONNULL(1, 2) SV_MUST_CHECK;

/*
 * The statement for `sql` (a string literal), prepared on first use and kept
 * on the handle: reset, bindings cleared. Never finalize it; sqlite3_reset it
 * when done. On failure the message is on the handle.
 */
int sv_ledger_prepare(struct sevslot_ledger *l, const char *sql, sqlite3_stmt **out)
	SV_NONNULL(1, 2, 3) SV_MUST_CHECK;
/* Finalize every kept statement (before closing the connection). */
void sv_ledger_forget_statements(struct sevslot_ledger *l) SV_NONNULL(1);
/* SQLite's busy handler for the handle: short jittered sleeps up to the busy timeout. */
int sv_ledger_busy(void *arg, int count);
/*
 * Step a statement: SQLITE_ROW or SQLITE_DONE as SQLite returned it, or a
 * negative errno with the message on the handle.
 */
int sv_ledger_step(struct sevslot_ledger *l, sqlite3_stmt *st, const char *what)
	SV_NONNULL(1, 2, 3) SV_MUST_CHECK;

/*
 * Now, UTC, as the ledger writes times: "2026-11-26T08:07:19.123Z" (what
 * SQLite's strftime('%Y-%m-%dT%H:%M:%fZ', 'now') gives, without a statement).
 */
void sv_ledger_now(char out[32]) SV_NONNULL(1);

/*
 * Append one row to the events journal. `consumer`, `pool` and `detail` may
 * be NULL, `model` and `slot` negative, for "not applicable".
 */
int sv_journal(struct sevslot_ledger *l, const char *operation, const char *consumer,
	       int model, int pool, int64_t slot, const char *result, const char *detail)
	SV_NONNULL(1, 2, 7) SV_MUST_CHECK;

/*
 * Every value read back from SQLite is untrusted: the file may be corrupt, or
 * written by hand. These check what they read and fail with -EIO, "ledger X
 * is corrupt (what)", when it is not what sevslot writes.
 */
int sv_ledger_corrupt(struct sevslot_ledger *l, const char *fmt, ...) SV_PRINTF(2, 3);
/* A pool's name (one of the three) in column `col`. */
int sv_ledger_pool_column(struct sevslot_ledger *l, sqlite3_stmt *st, int col,
			  enum sevslot_pool_id *out);
/* An integer from 0 to UINT32_MAX in column `col`; `what` names it in the message. */
int sv_ledger_u32_column(struct sevslot_ledger *l, sqlite3_stmt *st, int col, const char *what,
			 uint32_t *out);

/*
 * The check value sevslot stores with a pools row it writes (schema 6): a
 * row whose seal does not match was written by something else. Never 0,
 * which marks a row from before schema 6.
 */
int64_t sv_pool_seal(const char *pool, int64_t capacity, int64_t probed) SV_NONNULL(1);

/* Fill an allocation from a row: consumer, model, pool, slot, allocated_at, boot_id. */
int sv_allocation_from_row(struct sevslot_ledger *l, sqlite3_stmt *st, int first,
			   struct sevslot_allocation *out) SV_NONNULL(1, 2, 4) SV_MUST_CHECK;

/* ledger_migrate.c: bring the schema to the latest version (inside a write). */
unsigned sv_ledger_latest_version(void);
int sv_ledger_migrate(struct sevslot_ledger *l) SV_NONNULL(1) SV_MUST_CHECK;

#endif
