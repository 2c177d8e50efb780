/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Faults on purpose, as SQLite's own test_vfs.c does: a shim VFS, registered
 * as the default so the library uses it unawares, fails the Nth write, sync,
 * file lock or shared-memory lock. For every N across an allocate and a
 * release, once and from N on, the operation must either have fully happened
 * or have left no trace and said clearly why; the file must pass
 * integrity_check with every invariant; and the ledger must work again.
 * Then a full file system: a small tmpfs in a private mount namespace.
 */
#include "ledger_harness.h"

#include <sched.h>
#include <sys/mount.h>

/* ------------------------------------------------------------ the shim */

/*
 * LOCK fails taking a lock, on the file or (what WAL mode mostly uses) on the
 * shared memory, with an I/O error; BUSY makes a shared-memory lock look
 * held by someone else, as contention does.
 */
enum fault_kind { FAULT_NONE, FAULT_WRITE, FAULT_SYNC, FAULT_LOCK, FAULT_BUSY };

static struct {
	enum fault_kind kind;
	int n;                    /* fail the Nth call of that kind... */
	bool persistent;          /* ...and every later one */
	int count;
	bool fired;
} F;

static sqlite3_vfs *real_vfs;

struct shim_file {
	sqlite3_file base;
	sqlite3_file *real;       /* real_vfs's file, right after this struct */
};

static bool hit(enum fault_kind kind)
{
	if (F.kind != kind)
		return false;
	F.count++; /* LOCK counts file and shared-memory locks together */
	if (F.count == F.n || (F.persistent && F.count > F.n)) {
		F.fired = true;
		return true;
	}
	return false;
}

#define REAL(f) (((struct shim_file *)(f))->real)

static int s_close(sqlite3_file *f)
{
	int rc = REAL(f)->pMethods != NULL ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;

	return rc;
}

static int s_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int s_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	if (hit(FAULT_WRITE))
		return SQLITE_IOERR_WRITE;
	return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int s_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int s_sync(sqlite3_file *f, int flags)
{
	if (hit(FAULT_SYNC))
		return SQLITE_IOERR_FSYNC;
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int s_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int s_lock(sqlite3_file *f, int level)
{
	if (hit(FAULT_LOCK))
		return SQLITE_IOERR_LOCK;
	return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int s_unlock(sqlite3_file *f, int level)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int s_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int s_fcntl(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int s_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int s_device(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int s_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **p)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, p);
}

static int s_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	/* Only taking a lock can fail. */
	if ((flags & SQLITE_SHM_LOCK) && hit(FAULT_LOCK))
		return SQLITE_IOERR_SHMLOCK;
	if ((flags & SQLITE_SHM_LOCK) && hit(FAULT_BUSY))
		return SQLITE_BUSY;
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void s_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int s_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int s_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **p)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, p);
}

static int s_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods shim_io = {
	3, s_close, s_read, s_write, s_truncate, s_sync, s_size, s_lock, s_unlock, s_reserved,
	s_fcntl, s_sector, s_device, s_shm_map, s_shm_lock, s_shm_barrier, s_shm_unmap,
	s_fetch, s_unfetch,
};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	struct shim_file *sf = (struct shim_file *)f;
	int rc;

	(void)vfs;
	sf->real = (sqlite3_file *)&sf[1];
	rc = real_vfs->xOpen(real_vfs, name, sf->real, flags, out);
	sf->base.pMethods = sf->real->pMethods != NULL ? &shim_io : NULL;
	return rc;
}

static int v_delete(sqlite3_vfs *v, const char *name, int sync)
{
	(void)v;
	return real_vfs->xDelete(real_vfs, name, sync);
}

static int v_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int v_full(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static int v_random(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int v_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return real_vfs->xSleep(real_vfs, us);
}

static int v_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int v_error(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return real_vfs->xGetLastError(real_vfs, n, out);
}

static int v_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static sqlite3_vfs shim_vfs;

static void register_shim(void)
{
	real_vfs = sqlite3_vfs_find("unix");
	assert_non_null(real_vfs);
	shim_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct shim_file) + real_vfs->szOsFile,
		.mxPathname = real_vfs->mxPathname,
		.zName = "sevslot-faults",
		.xOpen = v_open,
		.xDelete = v_delete,
		.xAccess = v_access,
		.xFullPathname = v_full,
		.xRandomness = v_random,
		.xSleep = v_sleep,
		.xCurrentTime = v_time,
		.xGetLastError = v_error,
		.xCurrentTimeInt64 = v_time64,
	};
	assert_int_equal(sqlite3_vfs_register(&shim_vfs, 1), SQLITE_OK);
}

/* ------------------------------------------------------------ the test */

static struct lh w;
static struct sevslot_config *config;
static char *base;               /* the ledger's bytes before each operation */
static size_t base_len;
static int64_t base_events;

static void save_base(void)
{
	FILE *f = fopen(w.path, "rb");
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	base = malloc((size_t)n);
	assert_int_equal(fread(base, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	base_len = (size_t)n;
}

static void restore_base(void)
{
	char p[600];
	FILE *f;

	snprintf(p, sizeof(p), "%s-wal", w.path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", w.path);
	unlink(p);
	f = fopen(w.path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(base, 1, base_len, f), base_len);
	fclose(f);
}

static int setup(void **state)
{
	struct sevslot_ledger *l;
	char p[600];

	(void)state;
	register_shim();
	lh_setup(&w, 15, 1);
	snprintf(p, sizeof(p), "%s/fast.conf", w.dir);
	h_puts(w.dir, "fast.conf", "[ledger]\nbusy_timeout_ms = 20\n");
	assert_int_equal(sevslot_config_load(w.ctx, p, &config), 0);
	l = lh_open(&w, config);
	assert_int_equal(sevslot_ledger_allocate(l, "c0", SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	assert_int_equal(sevslot_ledger_allocate(l, "c1", SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	sevslot_ledger_close(l);
	save_base();
	{
		sqlite3 *db = lh_db(w.path, false);

		base_events = lh_int(db, "SELECT count(*) FROM events");
		sqlite3_close(db);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(base);
	sevslot_config_free(config);
	lh_teardown(&w);
	sqlite3_vfs_unregister(&shim_vfs);
	return 0;
}

enum op { OP_ALLOCATE, OP_RELEASE };

static int do_op(struct sevslot_ledger *l, enum op op)
{
	bool released = false;
	int err;

	if (op == OP_ALLOCATE)
		return sevslot_ledger_allocate(l, "new", SEVSLOT_MODEL_SEV, NULL, NULL);
	err = sevslot_ledger_release(l, "c1", &released);
	return err == 0 && !released ? -EPROTO : err;
}

/* The state as an operator sees it: 0 before the operation, 1 after, -1 anything else. */
static int state_of(enum op op)
{
	sqlite3 *db;
	int64_t c0, c1, new, ev, ev_op, n;

	lh_check_invariants(w.path, false);
	db = lh_db(w.path, false);
	n = lh_int(db, "SELECT count(*) FROM slots");
	c0 = lh_int(db, "SELECT count(*) FROM slots WHERE consumer = 'c0' AND slot = 0");
	c1 = lh_int(db, "SELECT count(*) FROM slots WHERE consumer = 'c1' AND slot = 1");
	new = lh_int(db, "SELECT count(*) FROM slots WHERE consumer = 'new' AND slot = 2");
	ev = lh_int(db, "SELECT count(*) FROM events");
	ev_op = lh_int(db, op == OP_ALLOCATE ?
			       "SELECT count(*) FROM events WHERE consumer = 'new' AND result = 'created'" :
			       "SELECT count(*) FROM events WHERE consumer = 'c1' AND result = 'released'");
	sqlite3_close(db);
	if (n == 2 && c0 == 1 && c1 == 1 && ev == base_events && ev_op == 0)
		return 0;
	if (op == OP_ALLOCATE && n == 3 && c0 == 1 && c1 == 1 && new == 1 &&
	    ev == base_events + 1 && ev_op == 1)
		return 1;
	if (op == OP_RELEASE && n == 1 && c0 == 1 && ev == base_events + 1 && ev_op == 1)
		return 1;
	return -1;
}

static const char *const kind_names[] = { "none", "write", "sync", "lock", "busy lock" };

/*
 * Fail the Nth call of `kind` during `op`, for N = 1, 2, ... until the
 * operation makes fewer calls than N. Returns how many N fired.
 */
static int sweep(enum op op, enum fault_kind kind, bool persistent)
{
	int fired = 0;

	for (int n = 1; n < 500; n++) {
		struct sevslot_ledger *l;
		char msg[512];
		int err, st;

		restore_base();
		l = lh_open(&w, config);
		F.kind = kind;
		F.n = n;
		F.persistent = persistent;
		F.count = 0;
		F.fired = false;
		err = do_op(l, op);
		F.kind = FAULT_NONE;
		snprintf(msg, sizeof(msg), "%s", sevslot_ledger_errmsg(l));
		sevslot_ledger_close(l);

		st = state_of(op);
		if (err == 0 && st != 1)
			fail_msg("%s, %s fault #%d%s: succeeded but the ledger shows state %d",
				 op == OP_ALLOCATE ? "allocate" : "release", kind_names[kind], n,
				 persistent ? "+" : "", st);
		if (err != 0 && st != 0)
			fail_msg("%s, %s fault #%d%s: failed (%d, %s) but left state %d",
				 op == OP_ALLOCATE ? "allocate" : "release", kind_names[kind], n,
				 persistent ? "+" : "", err, msg, st);
		if (err != 0) {
			/* A clear error: which ledger, and an errno the CLI maps to 74 or 75. */
			if (strstr(msg, w.path) == NULL)
				fail_msg("fault #%d: message does not name the ledger: '%s'", n, msg);
			assert_true(err == -EIO || err == -EBUSY);
			if (kind == FAULT_BUSY ? err != -EBUSY : err != -EIO)
				fail_msg("%s fault #%d%s: error %d (%s)", kind_names[kind], n,
					 persistent ? "+" : "", err, msg);
			/* And the ledger works again. */
			l = lh_open(&w, config);
			assert_int_equal(do_op(l, op), 0);
			sevslot_ledger_close(l);
			assert_int_equal(state_of(op), 1);
		}
		if (!F.fired) {
			assert_int_equal(err, 0);
			break;
		}
		fired++;
	}
	return fired;
}

static void check_all_kinds(enum op op)
{
	for (int k = FAULT_WRITE; k <= FAULT_BUSY; k++) {
		int once = sweep(op, (enum fault_kind)k, false);
		/*
		 * A lock that stays busy is the locked-ledger case test_ledger.c
		 * covers; here SQLite would spend ~10 s retrying each N itself.
		 */
		int from = k == FAULT_BUSY ? once : sweep(op, (enum fault_kind)k, true);

		/* The operation really does write, sync and lock: the sweep tested something. */
		if (once == 0 || from == 0)
			fail_msg("%s made no %s call to fail", op == OP_ALLOCATE ? "allocate" : "release",
				 kind_names[k]);
		print_message("  %s: %d %s calls, each failed once%s\n",
			      op == OP_ALLOCATE ? "allocate" : "release", once, kind_names[k],
			      k == FAULT_BUSY ? "" : " and from there on");
	}
}

static void test_fault_at_every_io_call_of_allocate_is_all_or_nothing(void **state)
{
	(void)state;
	check_all_kinds(OP_ALLOCATE);
}

static void test_fault_at_every_io_call_of_release_is_all_or_nothing(void **state)
{
	(void)state;
	check_all_kinds(OP_RELEASE);
}

/* ------------------------------------------------------------ disk full */

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "disk full: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			_exit(1);                                                     \
		}                                                                     \
	} while (0)

/* In a private mount namespace: fill a small tmpfs with allocations. */
static void disk_full_child(void)
{
	char dir[] = "/tmp/sevslot-full-XXXXXX", path[128], id[32];
	struct sevslot_ledger *l;
	int acked = 0, err = 0;
	bool released;
	sqlite3 *db;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		fprintf(stderr, "unshare/mount: %s\n", strerror(errno));
		_exit(77);
	}
	CHECK(mkdtemp(dir) != NULL);
	if (mount("sevslot-test", dir, "tmpfs", 0, "size=256k,mode=0700") < 0) {
		fprintf(stderr, "mount tmpfs: %s\n", strerror(errno));
		rmdir(dir);
		_exit(77);
	}
	snprintf(path, sizeof(path), "%s/ledger.db", dir);
	CHECK(sevslot_ledger_open(w.ctx, path, config, 0, &l) == 0);
	for (int i = 0; i < 400; i++) {
		snprintf(id, sizeof(id), "full-%d", i);
		err = sevslot_ledger_allocate(l, id, SEVSLOT_MODEL_SEV, NULL, NULL);
		if (err != 0)
			break;
		acked++;
	}
	CHECK(acked > 0);
	CHECK(err == -ENOSPC);
	CHECK(strstr(sevslot_ledger_errmsg(l), "full") != NULL);
	CHECK(strstr(sevslot_ledger_errmsg(l), path) != NULL);
	/* A release needs room too: it happens or it does not, never half. */
	err = sevslot_ledger_release(l, "full-0", &released);
	CHECK(err == 0 || err == -ENOSPC);
	sevslot_ledger_close(l);

	/* Every acknowledged allocation is there, the refused one is not. */
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, "unix") == SQLITE_OK);
	{
		sqlite3_stmt *st;

		CHECK(sqlite3_prepare_v2(db, "SELECT (SELECT group_concat(integrity_check) FROM "
					 "pragma_integrity_check), (SELECT count(*) FROM slots), "
					 "(SELECT count(*) FROM slots WHERE consumer = 'full-0'), "
					 "(SELECT count(*) FROM slots WHERE consumer = ?1)",
					 -1, &st, NULL) == SQLITE_OK);
		snprintf(id, sizeof(id), "full-%d", acked);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		CHECK(sqlite3_step(st) == SQLITE_ROW);
		CHECK(strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0);
		CHECK(sqlite3_column_int(st, 1) == acked - (err == 0 ? 1 : 0));
		CHECK(sqlite3_column_int(st, 2) == (err == 0 ? 0 : 1));
		CHECK(sqlite3_column_int(st, 3) == 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);

	/* Room again: the refused allocation goes through. */
	CHECK(mount(NULL, dir, NULL, MS_REMOUNT, "size=8m,mode=0700") == 0);
	CHECK(sevslot_ledger_open(w.ctx, path, config, 0, &l) == 0);
	CHECK(sevslot_ledger_allocate(l, id, SEVSLOT_MODEL_SEV, NULL, NULL) == 0);
	sevslot_ledger_close(l);
	fprintf(stderr, "  disk full after %d allocations: refused cleanly, nothing lost\n", acked);
	umount(dir);
	rmdir(dir);
	_exit(0);
}

static void test_disk_full_refuses_cleanly_and_loses_nothing(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		disk_full_child();
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		print_message("disk full test skipped: mounting a tmpfs is not permitted here "
			      "(needs root and CAP_SYS_ADMIN)\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fault_at_every_io_call_of_allocate_is_all_or_nothing),
		cmocka_unit_test(test_fault_at_every_io_call_of_release_is_all_or_nothing),
		cmocka_unit_test(test_disk_full_refuses_cleanly_and_loses_nothing),
	};

	return cmocka_run_group_tests_name("ledger_faults", tests, setup, teardown);
}
