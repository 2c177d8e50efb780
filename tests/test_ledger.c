/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ledger through its C API: creation, identity, schema, allocation
 * semantics, capacity changes, the invariants the schema itself enforces,
 * migrations from every earlier schema version, and the audit.
 */
#include "ledger_harness.h"

#include "sql_embed.h"

static void write_config(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static struct sevslot_config *config_from(struct lh *w, const char *text)
{
	char path[600];
	struct sevslot_config *c;

	snprintf(path, sizeof(path), "%s/test.conf", w->dir);
	write_config(path, text);
	if (sevslot_config_load(w->ctx, path, &c) != 0)
		fail_msg("config: %s", sevslot_errmsg(w->ctx));
	return c;
}

static void test_open_creates_private_wal_ledger(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	struct stat st;
	char dir[600], path[700];
	mode_t old = umask(0);
	sqlite3 *db;

	(void)state;
	lh_setup(&w, 15, 1);
	/* A directory that does not exist yet: created 02770, the file 0660. */
	snprintf(dir, sizeof(dir), "%s/lib", w.dir);
	snprintf(path, sizeof(path), "%s/ledger.db", dir);
	assert_int_equal(sevslot_ledger_open(w.ctx, path, NULL, 0, &l), 0);
	umask(old);
	assert_string_equal(sevslot_ledger_path(l), path);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 02770);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	sevslot_ledger_close(l);

	db = lh_db(path, false);
	assert_int_equal(lh_int(db, "PRAGMA application_id"), 0x53455653);
	assert_int_equal(lh_int(db, "PRAGMA user_version"), (int64_t)sv_sql_n_files);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
	assert_int_equal(lh_int(db, "SELECT capacity FROM pool_usage WHERE pool = 'sev'"), 15);
	assert_int_equal(lh_int(db, "SELECT capacity FROM pool_usage WHERE pool = 'sev_es'"), 0);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM events WHERE operation = 'create'"), 1);
	/* STRICT tables; slots and free_slots without rowid. */
	assert_int_equal(lh_int(db, "SELECT count(*) FROM pragma_table_list WHERE strict = 1 "
				"AND name IN ('pools', 'slots', 'events', 'free_slots')"), 4);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM pragma_table_list WHERE wr = 1 "
				"AND name IN ('slots', 'free_slots')"), 2);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM free_slots WHERE pool = 'sev'"), 15);
	sqlite3_close(db);
	lh_teardown(&w);
}

static void test_reopen_unchanged_host_writes_nothing(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	sqlite3 *db;
	int64_t events;

	(void)state;
	lh_setup(&w, 15, 1);
	sevslot_ledger_close(lh_open(&w, NULL));
	db = lh_db(w.path, false);
	events = lh_int(db, "SELECT count(*) FROM events");
	sqlite3_close(db);
	l = lh_open(&w, NULL);
	sevslot_ledger_close(l);
	db = lh_db(w.path, false);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM events"), events);
	sqlite3_close(db);
	lh_teardown(&w);
}

static void read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*data = malloc((size_t)n + 1);
	assert_int_equal(fread(*data, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
}

static void assert_refused_untouched(struct lh *w)
{
	struct sevslot_ledger *l;
	char *before, *after;
	size_t nb, na;
	char wal[600];

	read_file(w->path, &before, &nb);
	assert_int_equal(sevslot_ledger_open(w->ctx, w->path, NULL, 0, &l), -EBADMSG);
	assert_non_null(strstr(sevslot_ledger_errmsg(l), w->path));
	sevslot_ledger_close(l);
	read_file(w->path, &after, &na);
	assert_int_equal(nb, na);
	assert_memory_equal(before, after, nb);
	snprintf(wal, sizeof(wal), "%s-wal", w->path);
	assert_int_equal(access(wal, F_OK), -1);
	free(before);
	free(after);
}

static void test_foreign_sqlite_file_is_refused_untouched(void **state)
{
	struct lh w;
	sqlite3 *db;

	(void)state;
	lh_setup(&w, 15, 1);
	assert_int_equal(sqlite3_open_v2(w.path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
					 "unix"), SQLITE_OK);
	assert_int_equal(lh_exec(db, "CREATE TABLE t (x); INSERT INTO t VALUES (1)"), SQLITE_OK);
	sqlite3_close(db);
	assert_refused_untouched(&w);

	/* Same with another application's id and no tables. */
	unlink(w.path);
	assert_int_equal(sqlite3_open_v2(w.path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
					 "unix"), SQLITE_OK);
	assert_int_equal(lh_exec(db, "PRAGMA application_id = 1234"), SQLITE_OK);
	sqlite3_close(db);
	assert_refused_untouched(&w);
	lh_teardown(&w);
}

static void test_non_sqlite_file_is_refused_untouched(void **state)
{
	struct lh w;

	(void)state;
	lh_setup(&w, 15, 1);
	h_puts(w.dir, "ledger.db", "this is not a database, it is a text file of some length.\n"
				   "it must survive being named as a ledger, byte for byte.\n");
	assert_refused_untouched(&w);
	lh_teardown(&w);
}

static void test_newer_schema_is_refused(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	sqlite3 *db;
	char sql[64];

	(void)state;
	lh_setup(&w, 15, 1);
	sevslot_ledger_close(lh_open(&w, NULL));
	db = lh_db(w.path, true);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %u", sv_sql_n_files + 1);
	assert_int_equal(lh_exec(db, sql), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(sevslot_ledger_open(w.ctx, w.path, NULL, 0, &l), -EBADMSG);
	assert_non_null(strstr(sevslot_ledger_errmsg(l), "newer"));
	sevslot_ledger_close(l);
	lh_teardown(&w);
}

static void test_allocate_gives_lowest_free_slot(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	struct sevslot_allocation a;
	bool created, released;

	(void)state;
	lh_setup(&w, 15, 1);
	l = lh_open(&w, NULL);
	for (unsigned i = 0; i < 4; i++) {
		char c[16];

		snprintf(c, sizeof(c), "vm-%u", i);
		assert_int_equal(sevslot_ledger_allocate(l, c, SEVSLOT_MODEL_SEV, &a, &created), 0);
		assert_int_equal(a.slot, i);
		assert_true(created);
		assert_int_equal(a.pool, SEVSLOT_POOL_SEV);
		assert_int_equal(a.model, SEVSLOT_MODEL_SEV);
		assert_string_equal(a.consumer, c);
		assert_string_equal(a.boot_id, "11111111-2222-3333-4444-555555555555");
		assert_int_equal(strlen(a.allocated_at), 24);
	}
	assert_int_equal(sevslot_ledger_release(l, "vm-1", &released), 0);
	assert_true(released);
	assert_int_equal(sevslot_ledger_allocate(l, "vm-new", SEVSLOT_MODEL_SEV, &a, &created), 0);
	assert_int_equal(a.slot, 1);
	assert_int_equal(sevslot_ledger_allocate(l, "vm-newer", SEVSLOT_MODEL_SEV, &a, NULL), 0);
	assert_int_equal(a.slot, 4);
	sevslot_ledger_close(l);
	lh_check_invariants(w.path, false);
	lh_teardown(&w);
}

static void test_allocate_is_idempotent_for_same_model(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	struct sevslot_allocation a, b;
	bool created = true;
	sqlite3 *db;

	(void)state;
	lh_setup(&w, 15, 1);
	l = lh_open(&w, NULL);
	assert_int_equal(sevslot_ledger_allocate(l, "vm-a", SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	assert_int_equal(sevslot_ledger_allocate(l, "vm-b", SEVSLOT_MODEL_SEV, &a, &created), 0);
	assert_true(created);
	assert_int_equal(sevslot_ledger_allocate(l, "vm-b", SEVSLOT_MODEL_SEV, &b, &created), 0);
	assert_false(created);
	assert_int_equal(b.slot, a.slot);
	assert_string_equal(b.allocated_at, a.allocated_at);
	sevslot_ledger_close(l);
	db = lh_db(w.path, false);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM slots"), 2);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM events WHERE consumer = 'vm-b' AND result = 'existing'"), 1);
	sqlite3_close(db);
	lh_teardown(&w);
}

/* One text column of the first row a query gives ("" for NULL); the caller frees it. */
static char *lh_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	char *v;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("%s: no row", sql);
	v = strdup(sqlite3_column_text(st, 0) != NULL ? (const char *)sqlite3_column_text(st, 0) : "");
	sqlite3_finalize(st);
	return v;
}

/* The journal's detail says who asked (the hook names the domain), refusals too. */
static void test_noted_calls_write_the_note_into_the_journal(void **state)
{
	static const char *const bad[] = { "", "line\nbreak", "tab\there", "\xff\xfe",
					   "\xc3", "\xe2\x82", "\xf5\x80\x80\x80" };
	char long_note[300], *v;
	struct lh w;
	struct sevslot_ledger *l;
	sqlite3 *db;

	(void)state;
	lh_setup(&w, 2, 1); /* a pool of 2 slots */
	l = lh_open(&w, NULL);
	assert_int_equal(sevslot_ledger_allocate_noted(l, "uuid-1", SEVSLOT_MODEL_SEV,
						       "libvirt domain 'vm1' prepare begin", NULL,
						       NULL), 0);
	assert_int_equal(sevslot_ledger_allocate_noted(l, "uuid-1", SEVSLOT_MODEL_SEV,
						       "libvirt domain 'vm1' reconnect begin", NULL,
						       NULL), 0);
	assert_int_equal(sevslot_ledger_allocate(l, "other", SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	assert_int_equal(sevslot_ledger_allocate_noted(l, "uuid-2", SEVSLOT_MODEL_SEV,
						       "libvirt domain 'vm2 é' prepare begin", NULL,
						       NULL), -EAGAIN);
	assert_int_equal(sevslot_ledger_release_noted(l, "uuid-1",
						      "libvirt domain 'vm1' release end", NULL), 0);
	/* A note that is not one changes nothing. */
	memset(long_note, 'x', sizeof(long_note) - 1);
	long_note[sizeof(long_note) - 1] = '\0';
	assert_int_equal(sevslot_ledger_allocate_noted(l, "uuid-3", SEVSLOT_MODEL_SEV, long_note,
						       NULL, NULL), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sevslot_ledger_release_noted(l, "other", bad[i], NULL), -EINVAL);
	sevslot_ledger_close(l);

	db = lh_db(w.path, false);
	v = lh_text(db, "SELECT detail FROM events WHERE consumer = 'uuid-1' AND result = 'created'");
	assert_string_equal(v, "libvirt domain 'vm1' prepare begin");
	free(v);
	v = lh_text(db, "SELECT detail FROM events WHERE consumer = 'uuid-1' AND result = 'existing'");
	assert_string_equal(v, "libvirt domain 'vm1' reconnect begin");
	free(v);
	/* A refusal keeps both: the note, then why. */
	v = lh_text(db, "SELECT detail FROM events WHERE consumer = 'uuid-2' AND result = 'full'");
	assert_string_equal(v, "libvirt domain 'vm2 é' prepare begin; pool sev is full: 2 of 2 slots allocated");
	free(v);
	v = lh_text(db, "SELECT detail FROM events WHERE consumer = 'uuid-1' AND result = 'released'");
	assert_string_equal(v, "libvirt domain 'vm1' release end");
	free(v);
	v = lh_text(db, "SELECT coalesce(detail, '') FROM events WHERE consumer = 'other' AND result = 'created'");
	assert_string_equal(v, "");
	free(v);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM events WHERE consumer = 'uuid-3'"), 0);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM slots WHERE consumer = 'other'"), 1);
	sqlite3_close(db);
	lh_teardown(&w);
}

static void test_consumer_of_another_model_is_refused(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	struct sevslot_allocation a;

	(void)state;
	lh_setup(&w, 15, 5); /* sev 11 slots, sev_es 4 */
	l = lh_open(&w, NULL);
	assert_int_equal(sevslot_ledger_allocate(l, "vm", SEVSLOT_MODEL_SEV_ES, &a, NULL), 0);
	assert_int_equal(a.pool, SEVSLOT_POOL_SEV_ES);
	assert_int_equal(sevslot_ledger_allocate(l, "vm", SEVSLOT_MODEL_SEV, &a, NULL), -EEXIST);
	assert_non_null(strstr(sevslot_ledger_errmsg(l), "amd-sev-es"));
	assert_int_equal(sevslot_ledger_lookup(l, "vm", &a), 0);
	assert_int_equal(a.model, SEVSLOT_MODEL_SEV_ES);
	sevslot_ledger_close(l);
	lh_teardown(&w);
}

static void test_model_host_cannot_run_is_unavailable(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;

	(void)state;
	lh_setup(&w, 15, 1); /* no SEV-ES pool, no SNP */
	l = lh_open(&w, NULL);
	assert_int_equal(sevslot_ledger_allocate(l, "vm", SEVSLOT_MODEL_SEV_ES, NULL, NULL), -ENODEV);
	assert_non_null(strstr(sevslot_ledger_errmsg(l), "amd-sev-es"));
	assert_int_equal(sevslot_ledger_allocate(l, "vm", SEVSLOT_MODEL_SEV_SNP, NULL, NULL), -ENODEV);
	assert_int_equal(sevslot_ledger_lookup(l, "vm", NULL), -ENOENT);
	sevslot_ledger_close(l);
	lh_teardown(&w);
}

static void test_pool_full_is_eagain(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	struct sevslot_pool_usage u[SEVSLOT_POOL_COUNT];
	char c[16];

	(void)state;
	lh_setup(&w, 3, 1);
	l = lh_open(&w, NULL);
	for (unsigned i = 0; i < 3; i++) {
		snprintf(c, sizeof(c), "vm-%u", i);
		assert_int_equal(sevslot_ledger_allocate(l, c, SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	}
	assert_int_equal(sevslot_ledger_allocate(l, "vm-3", SEVSLOT_MODEL_SEV, NULL, NULL), -EAGAIN);
	assert_non_null(strstr(sevslot_ledger_errmsg(l), "full"));
	assert_int_equal(sevslot_ledger_usage(l, u), 0);
	assert_int_equal(u[SEVSLOT_POOL_SEV].capacity, 3);
	assert_int_equal(u[SEVSLOT_POOL_SEV].allocated, 3);
	assert_int_equal(u[SEVSLOT_POOL_SEV].free, 0);
	sevslot_ledger_close(l);
	lh_teardown(&w);
}

static void test_release_is_idempotent(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	bool released = true;

	(void)state;
	lh_setup(&w, 15, 1);
	l = lh_open(&w, NULL);
	assert_int_equal(sevslot_ledger_release(l, "never-held", &released), 0);
	assert_false(released);
	assert_int_equal(sevslot_ledger_allocate(l, "vm", SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	assert_int_equal(sevslot_ledger_release(l, "vm", &released), 0);
	assert_true(released);
	assert_int_equal(sevslot_ledger_release(l, "vm", &released), 0);
	assert_false(released);
	assert_int_equal(sevslot_ledger_lookup(l, "vm", NULL), -ENOENT);
	sevslot_ledger_close(l);
	lh_teardown(&w);
}

static void test_consumer_id_rules(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	char long_id[300];

	(void)state;
	assert_true(sevslot_consumer_is_valid("a"));
	assert_true(sevslot_consumer_is_valid("instance-0f3a_\"#]~!"));
	assert_false(sevslot_consumer_is_valid(""));
	assert_false(sevslot_consumer_is_valid(NULL));
	assert_false(sevslot_consumer_is_valid("a b"));
	assert_false(sevslot_consumer_is_valid("tab\there"));
	assert_false(sevslot_consumer_is_valid("caf\xc3\xa9"));
	assert_false(sevslot_consumer_is_valid("del\x7f"));
	memset(long_id, 'x', sizeof(long_id));
	long_id[255] = '\0';
	assert_true(sevslot_consumer_is_valid(long_id));
	long_id[255] = 'x';
	long_id[256] = '\0';
	assert_false(sevslot_consumer_is_valid(long_id));

	lh_setup(&w, 15, 1);
	l = lh_open(&w, NULL);
	assert_int_equal(sevslot_ledger_allocate(l, "a b", SEVSLOT_MODEL_SEV, NULL, NULL), -EINVAL);
	assert_int_equal(sevslot_ledger_release(l, "", NULL), -EINVAL);
	assert_int_equal(sevslot_ledger_lookup(l, long_id, NULL), -EINVAL);
	long_id[255] = '\0';
	assert_int_equal(sevslot_ledger_allocate(l, long_id, SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	sevslot_ledger_close(l);
	lh_teardown(&w);
}

struct seen {
	unsigned n;
	char consumers[8][32];
	uint32_t slots[8];
};

static int remember(const struct sevslot_allocation *a, void *data)
{
	struct seen *s = data;

	snprintf(s->consumers[s->n], sizeof(s->consumers[0]), "%.31s", a->consumer);
	s->slots[s->n++] = a->slot;
	return s->n == 8 ? 1 : 0;
}

static int stop_at_two(const struct sevslot_allocation *a, void *data)
{
	(void)a;
	return ++*(int *)data == 2 ? 42 : 0;
}

static void test_foreach_and_lookup(void **state)
{
	struct lh w;
	struct sevslot_ledger *l, *ro;
	struct sevslot_allocation a;
	struct seen s = { 0 };
	int count = 0;

	(void)state;
	lh_setup(&w, 15, 5);
	l = lh_open(&w, NULL);
	assert_int_equal(sevslot_ledger_allocate(l, "b", SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	assert_int_equal(sevslot_ledger_allocate(l, "a", SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	assert_int_equal(sevslot_ledger_allocate(l, "e", SEVSLOT_MODEL_SEV_ES, NULL, NULL), 0);
	assert_int_equal(sevslot_ledger_foreach(l, remember, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.consumers[0], "b"); /* sev, slot 0 */
	assert_string_equal(s.consumers[1], "a"); /* sev, slot 1 */
	assert_string_equal(s.consumers[2], "e"); /* sev_es, slot 0 */
	assert_int_equal(sevslot_ledger_foreach(l, stop_at_two, &count), 42);
	assert_int_equal(sevslot_ledger_lookup(l, "a", &a), 0);
	assert_int_equal(a.slot, 1);

	/* A read-only handle reads, and refuses to write. */
	assert_int_equal(sevslot_ledger_open(w.ctx, w.path, NULL, SEVSLOT_LEDGER_READONLY, &ro), 0);
	assert_int_equal(sevslot_ledger_lookup(ro, "e", &a), 0);
	assert_int_equal(a.pool, SEVSLOT_POOL_SEV_ES);
	assert_int_equal(sevslot_ledger_allocate(ro, "x", SEVSLOT_MODEL_SEV, NULL, NULL), -EROFS);
	assert_int_equal(sevslot_ledger_release(ro, "a", NULL), -EROFS);
	sevslot_ledger_close(ro);
	sevslot_ledger_close(l);
	lh_teardown(&w);
}

static void test_readonly_open_of_missing_ledger_is_enoent(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;

	(void)state;
	lh_setup(&w, 15, 1);
	assert_int_equal(sevslot_ledger_open(w.ctx, w.path, NULL, SEVSLOT_LEDGER_READONLY, &l), -ENOENT);
	assert_non_null(strstr(sevslot_ledger_errmsg(l), w.path));
	sevslot_ledger_close(l);
	assert_int_equal(access(w.path, F_OK), -1);
	lh_teardown(&w);
}

static void test_config_limit_and_reserved_set_capacity(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	struct sevslot_config *c;
	struct sevslot_pool_usage u[SEVSLOT_POOL_COUNT];

	(void)state;
	lh_setup(&w, 15, 5); /* sev 11, sev_es 4 */
	c = config_from(&w, "[pool.sev]\nlimit = 8\nreserved = 2\n[pool.sev_es]\nlimit = auto\nreserved = 1\n");
	l = lh_open(&w, c);
	assert_int_equal(sevslot_ledger_usage(l, u), 0);
	assert_int_equal(u[SEVSLOT_POOL_SEV].capacity, 6);
	assert_int_equal(u[SEVSLOT_POOL_SEV_ES].capacity, 3);
	sevslot_ledger_close(l);
	sevslot_config_free(c);
	lh_teardown(&w);
}

static void test_capacity_shrink_keeps_allocations_and_refuses(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	struct sevslot_config *c;
	struct sevslot_pool_usage u[SEVSLOT_POOL_COUNT];
	char id[16];
	sqlite3 *db;

	(void)state;
	lh_setup(&w, 15, 1);
	l = lh_open(&w, NULL);
	for (unsigned i = 0; i < 6; i++) {
		snprintf(id, sizeof(id), "vm-%u", i);
		assert_int_equal(sevslot_ledger_allocate(l, id, SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	}
	sevslot_ledger_close(l);

	/* The host now reports 4 slots (a BIOS change): nothing is deleted. */
	lh_host(w.root, 4, 1, "11111111-2222-3333-4444-555555555555\n");
	l = lh_open(&w, NULL);
	assert_int_equal(sevslot_ledger_usage(l, u), 0);
	assert_int_equal(u[SEVSLOT_POOL_SEV].capacity, 4);
	assert_int_equal(u[SEVSLOT_POOL_SEV].allocated, 6);
	assert_int_equal(u[SEVSLOT_POOL_SEV].free, 0);
	assert_int_equal(sevslot_ledger_allocate(l, "vm-new", SEVSLOT_MODEL_SEV, NULL, NULL), -EAGAIN);
	/* Still refused while at capacity... */
	assert_int_equal(sevslot_ledger_release(l, "vm-5", NULL), 0);
	assert_int_equal(sevslot_ledger_release(l, "vm-4", NULL), 0);
	assert_int_equal(sevslot_ledger_allocate(l, "vm-new", SEVSLOT_MODEL_SEV, NULL, NULL), -EAGAIN);
	/* ...and given once back under. */
	assert_int_equal(sevslot_ledger_release(l, "vm-3", NULL), 0);
	assert_int_equal(sevslot_ledger_allocate(l, "vm-new", SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	sevslot_ledger_close(l);
	db = lh_db(w.path, false);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM events WHERE operation = 'capacity' "
				"AND pool = 'sev' AND result = 'over'"), 1);
	sqlite3_close(db);

	/* A config limit shrinks it the same way. */
	c = config_from(&w, "[pool.sev]\nlimit = 2\n");
	l = lh_open(&w, c);
	assert_int_equal(sevslot_ledger_usage(l, u), 0);
	assert_int_equal(u[SEVSLOT_POOL_SEV].capacity, 2);
	assert_int_equal(u[SEVSLOT_POOL_SEV].allocated, 4);
	sevslot_ledger_close(l);
	sevslot_config_free(c);
	lh_check_invariants(w.path, true);
	lh_teardown(&w);
}

/* Writes an operator's sqlite3 could make; each must be refused by the schema. */
static void test_schema_refuses_stray_writes(void **state)
{
	static const char *const refused[] = {
		/* one allocation per consumer */
		"INSERT INTO slots VALUES ('vm-0', 'amd-sev', 'sev', 9, 't', 'b')",
		/* (pool, slot) unique */
		"INSERT INTO slots VALUES ('other', 'amd-sev', 'sev', 0, 't', 'b')",
		/* 0 <= slot < capacity */
		"INSERT INTO slots VALUES ('neg', 'amd-sev', 'sev', -1, 't', 'b')",
		"INSERT INTO slots VALUES ('big', 'amd-sev', 'sev', 3, 't', 'b')",
		"UPDATE slots SET slot = 7 WHERE consumer = 'vm-0'",
		/* never more allocations than capacity (pool sev_es: capacity 0) */
		"INSERT INTO slots VALUES ('es', 'amd-sev-es', 'sev_es', 0, 't', 'b')",
		"UPDATE slots SET pool = 'sev_es', model = 'amd-sev-es' WHERE consumer = 'vm-0'",
		/* consumer ids, models, pools */
		"INSERT INTO slots VALUES ('a b', 'amd-sev', 'sev', 2, 't', 'b')",
		"INSERT INTO slots VALUES ('', 'amd-sev', 'sev', 2, 't', 'b')",
		"INSERT INTO slots VALUES ('m', 'amd-tdx', 'sev', 2, 't', 'b')",
		"INSERT INTO slots VALUES ('m', 'amd-sev', 'sev_es', 2, 't', 'b')",
		"INSERT INTO slots VALUES ('m', 'amd-sev', 'nope', 2, 't', 'b')",
		"INSERT INTO slots VALUES ('m', 'amd-sev', 'sev', 'two', 't', 'b')", /* STRICT */
		"INSERT INTO slots VALUES ('m', 'amd-sev', 'sev', 2.5, 't', 'b')",
		/* pools are fixed; capacities non-negative */
		"DELETE FROM pools WHERE pool = 'sev'",
		"UPDATE pools SET pool = 'x' WHERE pool = 'sev'",
		"UPDATE pools SET capacity = -1 WHERE pool = 'sev'",
		"INSERT INTO pools (pool, capacity, probed, updated_at) VALUES ('tdx', 1, 1, 't')",
		/* no capacity above the host's count the row records (schema 6) */
		"UPDATE pools SET capacity = 4 WHERE pool = 'sev'",
		"UPDATE pools SET probed = 2 WHERE pool = 'sev'",
		("INSERT OR REPLACE INTO pools (pool, capacity, probed, updated_at) "
		 "VALUES ('sev', 9, 3, 't')"),
		/* the journal is append-only */
		"UPDATE events SET result = 'x'",
		"DELETE FROM events",
	};
	struct lh w;
	struct sevslot_ledger *l;
	sqlite3 *db;

	(void)state;
	lh_setup(&w, 3, 1);
	l = lh_open(&w, NULL);
	assert_int_equal(sevslot_ledger_allocate(l, "vm-0", SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	assert_int_equal(sevslot_ledger_allocate(l, "vm-1", SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	sevslot_ledger_close(l);

	db = lh_db(w.path, true);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		int rc = lh_exec(db, refused[i]);

		if (rc == SQLITE_OK)
			fail_msg("the schema accepted: %s", refused[i]);
		assert_int_equal(rc & 0xff, SQLITE_CONSTRAINT);
	}
	/* What is allowed: the last free slot, then no more. */
	assert_int_equal(lh_exec(db, "INSERT INTO slots VALUES ('hand', 'amd-sev', 'sev', 2, 't', 'b')"),
			 SQLITE_OK);
	assert_int_not_equal(lh_exec(db, "UPDATE pools SET capacity = 4 WHERE pool = 'sev';"
				     "INSERT INTO slots VALUES ('x', 'amd-sev', 'sev', 4, 't', 'b')"),
			     SQLITE_OK);
	assert_int_equal(lh_exec(db, "DELETE FROM slots WHERE consumer = 'hand'"), SQLITE_OK);
	sqlite3_close(db);
	lh_check_invariants(w.path, false);
	lh_teardown(&w);
}

/* Every row a query returns, as one string: "a|b\nc|d\n". */
static char *dump(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *t = sqlite3_column_text(st, i);

			fprintf(f, "%s%s", i ? "|" : "", t != NULL ? (const char *)t : "NULL");
		}
		fputc('\n', f);
	}
	sqlite3_finalize(st);
	fclose(f);
	return out;
}

/*
 * Build a database at every schema version v before the latest, the way
 * that version left it (migrations 1..v, with rows of the tables it had),
 * then open it: it must reach the latest version with its rows intact, the
 * operators' views unchanged in definition and output, and free_slots
 * (schema 3) derived from what was allocated.
 */
static void test_migrates_every_earlier_version(void **state)
{
	(void)state;
	for (unsigned v = 0; v < sv_sql_n_files; v++) {
		static const char views[] = "SELECT name, sql FROM sqlite_schema WHERE type = 'view' "
					    "ORDER BY name";
		struct lh w;
		struct sevslot_ledger *l;
		struct sevslot_allocation a;
		sqlite3 *db;
		char sql[128];
		char *views_before = NULL, *usage_before = NULL, *alloc_before = NULL;
		char *events_before = NULL;

		lh_setup(&w, 15, 1);
		assert_int_equal(sqlite3_open_v2(w.path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
						 "unix"), SQLITE_OK);
		if (v > 0) {
			snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", 0x53455653);
			assert_int_equal(lh_exec(db, sql), SQLITE_OK);
		}
		for (unsigned i = 0; i < v; i++)
			assert_int_equal(lh_exec(db, sv_sql_files[i].text), SQLITE_OK);
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %u", v);
		assert_int_equal(lh_exec(db, sql), SQLITE_OK);
		if (v >= 1) { /* schema 1 has pools and slots */
			/* One row above today's capacity: it shrank from 25 to 15. */
			assert_int_equal(lh_exec(db, "UPDATE pools SET capacity = 25 WHERE pool = 'sev';"
						 "INSERT INTO slots VALUES ('old-vm', 'amd-sev', 'sev', "
						 "3, '2025-01-01T00:00:00.000Z', 'old-boot');"
						 "INSERT INTO slots VALUES ('old-vm-1', 'amd-sev', 'sev', "
						 "1, '2025-01-01T00:00:00.000Z', 'old-boot');"
						 "INSERT INTO slots VALUES ('old-over', 'amd-sev', 'sev', "
						 "20, '2025-01-01T00:00:00.000Z', 'old-boot');"
						 "UPDATE pools SET capacity = 15, probed = 15 "
						 "WHERE pool = 'sev'"), SQLITE_OK);
			views_before = dump(db, views);
			usage_before = dump(db, "SELECT * FROM pool_usage");
			alloc_before = dump(db, "SELECT * FROM allocations");
		}
		if (v >= 2) { /* schema 2 has the journal */
			assert_int_equal(lh_exec(db, "INSERT INTO events VALUES (41, 't1', 'allocate', "
						 "'old-vm', 'amd-sev', 'sev', 3, 0, 7, 'created', NULL),"
						 "(42, 't2', 'release', 'gone', NULL, NULL, NULL, 0, 8, "
						 "'absent', 'd')"), SQLITE_OK);
			events_before = dump(db, "SELECT * FROM events ORDER BY id");
		}
		sqlite3_close(db);

		l = lh_open(&w, NULL);
		sevslot_ledger_close(l);
		db = lh_db(w.path, false);
		assert_int_equal(lh_int(db, "PRAGMA user_version"), (int64_t)sv_sql_n_files);
		if (v >= 1) {
			char *views_after = dump(db, views);
			char *usage_after = dump(db, "SELECT * FROM pool_usage");
			char *alloc_after = dump(db, "SELECT * FROM allocations");

			assert_string_equal(views_after, views_before);
			assert_string_equal(usage_after, usage_before);
			assert_string_equal(alloc_after, alloc_before);
			free(views_after);
			free(usage_after);
			free(alloc_after);
		}
		if (v >= 2) {
			/* The journal keeps its rows and ids; the migration line comes next. */
			char *events_after = dump(db, "SELECT * FROM events WHERE id <= 42 ORDER BY id");

			assert_string_equal(events_after, events_before);
			free(events_after);
			assert_int_equal(lh_int(db, "SELECT id FROM events WHERE operation = 'migrate'"),
					 43);
		}
		/* Free: every slot below 15 but the two held; nothing at or above. */
		assert_int_equal(lh_int(db, "SELECT count(*) FROM free_slots WHERE pool = 'sev'"),
				 v >= 1 ? 13 : 15);
		assert_int_equal(lh_free_slots_drift(db), 0);
		assert_int_equal(lh_int(db, "PRAGMA application_id"), 0x53455653);
		assert_int_equal(lh_int(db, "SELECT count(*) FROM events WHERE operation "
					"IN ('create', 'migrate')"), 1);
		assert_int_equal(lh_int(db, "SELECT count(*) FROM events WHERE operation = 'create'"),
				 v == 0 ? 1 : 0);
		sqlite3_close(db);
		l = lh_open(&w, NULL);
		if (v >= 1) {
			assert_int_equal(sevslot_ledger_lookup(l, "old-vm", &a), 0);
			assert_int_equal(a.slot, 3);
			assert_string_equal(a.boot_id, "old-boot");
		}
		/* And it works: slot 0 is free in every case, then the lowest free. */
		assert_int_equal(sevslot_ledger_allocate(l, "new-vm", SEVSLOT_MODEL_SEV, &a, NULL), 0);
		assert_int_equal(a.slot, 0);
		assert_int_equal(sevslot_ledger_allocate(l, "new-vm-2", SEVSLOT_MODEL_SEV, &a, NULL), 0);
		assert_int_equal(a.slot, v >= 1 ? 2 : 1);
		if (v >= 1)
			assert_int_equal(sevslot_ledger_release(l, "old-over", NULL), 0);
		sevslot_ledger_close(l);
		lh_check_invariants(w.path, false);
		free(views_before);
		free(usage_before);
		free(alloc_before);
		free(events_before);
		lh_teardown(&w);
	}
}

static void test_locked_ledger_is_ebusy_naming_it(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	struct sevslot_config *c;
	sqlite3 *db;
	uint64_t t0;

	(void)state;
	lh_setup(&w, 15, 1);
	c = config_from(&w, "[ledger]\nbusy_timeout_ms = 200\n");
	l = lh_open(&w, c);
	db = lh_db(w.path, true);
	assert_int_equal(lh_exec(db, "BEGIN IMMEDIATE"), SQLITE_OK);
	t0 = lh_ms();
	assert_int_equal(sevslot_ledger_allocate(l, "vm", SEVSLOT_MODEL_SEV, NULL, NULL), -EBUSY);
	assert_true(lh_ms() - t0 >= 200);
	assert_true(lh_ms() - t0 < 3000);
	assert_non_null(strstr(sevslot_ledger_errmsg(l), w.path));
	assert_non_null(strstr(sevslot_ledger_errmsg(l), "locked"));
	assert_int_equal(sevslot_ledger_release(l, "vm", NULL), -EBUSY);
	/* Readers are not blocked by a writer. */
	assert_int_equal(sevslot_ledger_lookup(l, "vm", NULL), -ENOENT);
	assert_int_equal(lh_exec(db, "COMMIT"), SQLITE_OK);
	assert_int_equal(sevslot_ledger_allocate(l, "vm", SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	sqlite3_close(db);
	sevslot_ledger_close(l);
	sevslot_config_free(c);
	lh_teardown(&w);
}

static void test_reconcile_releases_consumers_not_live(void **state)
{
	static const char *const live[] = { "vm-2", "vm-0", "not-allocated" };
	struct lh w;
	struct sevslot_ledger *l;
	struct seen s = { 0 };
	sqlite3 *db;
	char id[16];

	(void)state;
	lh_setup(&w, 15, 1);
	l = lh_open(&w, NULL);
	for (unsigned i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "vm-%u", i);
		assert_int_equal(sevslot_ledger_allocate(l, id, SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	}
	/* Dry run: reported, nothing written. */
	assert_int_equal(sevslot_ledger_reconcile(l, live, 3, SEVSLOT_RECONCILE_DRY_RUN, remember, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.consumers[0], "vm-1");
	assert_string_equal(s.consumers[1], "vm-3");
	assert_int_equal(sevslot_ledger_lookup(l, "vm-1", NULL), 0);

	memset(&s, 0, sizeof(s));
	assert_int_equal(sevslot_ledger_reconcile(l, live, 3, 0, remember, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(sevslot_ledger_lookup(l, "vm-1", NULL), -ENOENT);
	assert_int_equal(sevslot_ledger_lookup(l, "vm-3", NULL), -ENOENT);
	assert_int_equal(sevslot_ledger_lookup(l, "vm-0", NULL), 0);
	assert_int_equal(sevslot_ledger_lookup(l, "vm-2", NULL), 0);
	sevslot_ledger_close(l);
	db = lh_db(w.path, false);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM events WHERE operation = 'reconcile' "
				"AND result = 'released'"), 2);
	sqlite3_close(db);

	/* An empty live list releases everything; an invalid id changes nothing. */
	l = lh_open(&w, NULL);
	{
		static const char *const bad[] = { "ok", "not ok" };
		assert_int_equal(sevslot_ledger_reconcile(l, bad, 2, 0, NULL, NULL), -EINVAL);
		assert_int_equal(sevslot_ledger_lookup(l, "vm-0", NULL), 0);
	}
	assert_int_equal(sevslot_ledger_reconcile(l, NULL, 0, 0, NULL, NULL), 0);
	assert_int_equal(sevslot_ledger_lookup(l, "vm-0", NULL), -ENOENT);
	sevslot_ledger_close(l);
	lh_teardown(&w);
}

static const struct sevslot_finding *finding(const struct sevslot_audit *a,
					     enum sevslot_finding_kind kind, const char *source)
{
	for (size_t i = 0; i < a->n_findings; i++)
		if (a->findings[i].kind == kind && strcmp(a->findings[i].source, source) == 0)
			return &a->findings[i];
	return NULL;
}

static struct sevslot_audit *audit_of(struct lh *w, struct sevslot_ledger *l)
{
	struct sevslot_host *h;
	struct sevslot_audit *a;

	assert_int_equal(sevslot_probe(w->ctx, 0, &h), 0);
	assert_int_equal(sevslot_ledger_audit(l, h, &a), 0);
	sevslot_host_free(h);
	return a;
}

static void test_audit_consistent_and_unknowns_are_not_drift(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	struct sevslot_audit *a;

	(void)state;
	lh_setup(&w, 15, 5);
	l = lh_open(&w, NULL);
	/* No misc.current and no /dev/sev: every count unknown, nothing to flag. */
	assert_int_equal(sevslot_ledger_allocate(l, "vm", SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	a = audit_of(&w, l);
	assert_true(a->consistent);
	assert_int_equal(a->n_findings, 0);
	assert_int_equal(a->n_counts, 4);
	for (size_t i = 0; i < a->n_counts; i++)
		assert_int_equal(a->counts[i].host, -1);
	sevslot_audit_free(a);

	/* Kernel and firmware agree with the ledger. */
	assert_int_equal(sevslot_ledger_allocate(l, "es", SEVSLOT_MODEL_SEV_ES, NULL, NULL), 0);
	lh_misc_current(w.root, 1, 1);
	lh_firmware(w.root, 2);
	a = audit_of(&w, l);
	assert_true(a->consistent);
	assert_int_equal(a->pools[SEVSLOT_POOL_SEV].allocated, 1);
	assert_int_equal(a->host_capacity[SEVSLOT_POOL_SEV], 11);
	assert_int_equal(a->counts[0].host, 1);
	assert_int_equal(a->counts[2].ledger, 2);
	assert_int_equal(a->counts[2].host, 2);
	sevslot_audit_free(a);
	sevslot_ledger_close(l);
	lh_teardown(&w);
}

static void test_audit_flags_drift_both_ways(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	struct sevslot_audit *a;
	const struct sevslot_finding *f;

	(void)state;
	lh_setup(&w, 15, 5);
	l = lh_open(&w, NULL);
	assert_int_equal(sevslot_ledger_allocate(l, "vm-0", SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	assert_int_equal(sevslot_ledger_allocate(l, "vm-1", SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	lh_misc_current(w.root, 1, 3); /* one sev guest too few, three sev_es too many */
	lh_firmware(w.root, 5);
	a = audit_of(&w, l);
	assert_false(a->consistent);
	f = finding(a, SEVSLOT_FINDING_LEDGER_AHEAD, "misc.current");
	assert_non_null(f);
	assert_int_equal(f->pool, SEVSLOT_POOL_SEV);
	assert_int_equal(f->ledger, 2);
	assert_int_equal(f->host, 1);
	f = finding(a, SEVSLOT_FINDING_HOST_AHEAD, "misc.current");
	assert_non_null(f);
	assert_int_equal(f->pool, SEVSLOT_POOL_SEV_ES);
	assert_int_equal(f->host, 3);
	f = finding(a, SEVSLOT_FINDING_HOST_AHEAD, "firmware");
	assert_non_null(f);
	assert_int_equal(f->ledger, 2);
	assert_int_equal(f->host, 5);
	assert_int_equal(a->n_findings, 3);
	sevslot_audit_free(a);
	sevslot_ledger_close(l);
	lh_teardown(&w);
}

static void test_audit_flags_earlier_boot_and_over_capacity(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	struct sevslot_audit *a;
	const struct sevslot_finding *f;

	(void)state;
	lh_setup(&w, 15, 1);
	l = lh_open(&w, NULL);
	for (unsigned i = 0; i < 4; i++) {
		char id[16];

		snprintf(id, sizeof(id), "vm-%u", i);
		assert_int_equal(sevslot_ledger_allocate(l, id, SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	}
	sevslot_ledger_close(l);
	/* Rebooted, with a smaller pool. */
	lh_host(w.root, 2, 1, "99999999-2222-3333-4444-555555555555\n");
	l = lh_open(&w, NULL);
	assert_int_equal(sevslot_ledger_allocate(l, "vm-new", SEVSLOT_MODEL_SEV, NULL, NULL), -EAGAIN);
	a = audit_of(&w, l);
	assert_false(a->consistent);
	f = finding(a, SEVSLOT_FINDING_OVER_CAPACITY, "capacity");
	assert_non_null(f);
	assert_int_equal(f->ledger, 4);
	assert_int_equal(f->host, 2);
	f = finding(a, SEVSLOT_FINDING_STALE_BOOT, "boot_id");
	assert_non_null(f);
	assert_string_equal(f->consumer, "vm-0");
	assert_int_equal(a->n_findings, 5); /* 4 stale + over capacity */
	sevslot_audit_free(a);
	sevslot_ledger_close(l);
	lh_teardown(&w);
}

static int edited_warnings;

static void watch_edited(void *data, int priority, const char *msg)
{
	(void)data;
	if (priority == SEVSLOT_LOG_WARNING && strstr(msg, "written outside sevslot") != NULL)
		edited_warnings++;
}

/*
 * The review's case: a 7-slot pool, its capacity written up to 20 by hand,
 * then two INSERTs. The schema refuses the capacity alone; written together
 * with the host's count it passes (the schema cannot know the host), and
 * then the next open restores it, journals and warns, and audit reports it
 * as a capacity written outside sevslot, not as a host that shrank: found
 * still in place (read-only), restored by the audit's own open, and later
 * from the journal while the allocations it let in are still over.
 */
static void test_capacity_written_by_hand(void **state)
{
	static const char *const stray[] = {
		"UPDATE pools SET capacity = 20, probed = 20 WHERE pool = 'sev'",
		"INSERT INTO slots VALUES ('hand-7', 'amd-sev', 'sev', 7, 't', "
		"'11111111-2222-3333-4444-555555555555')",
		"INSERT INTO slots VALUES ('hand-8', 'amd-sev', 'sev', 8, 't', "
		"'11111111-2222-3333-4444-555555555555')",
	};
	struct lh w;
	struct sevslot_ledger *l;
	struct sevslot_audit *a;
	const struct sevslot_finding *f;
	sqlite3 *db;
	char id[16];

	(void)state;
	lh_setup(&w, 7, 1); /* pool sev: 7 slots */
	sevslot_set_log_fn(w.ctx, watch_edited, NULL);
	sevslot_set_log_priority(w.ctx, SEVSLOT_LOG_WARNING);
	l = lh_open(&w, NULL);
	for (unsigned i = 0; i < 7; i++) {
		snprintf(id, sizeof(id), "vm-%u", i);
		assert_int_equal(sevslot_ledger_allocate(l, id, SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	}
	sevslot_ledger_close(l);

	db = lh_db(w.path, true);
	assert_int_equal(lh_exec(db, "UPDATE pools SET capacity = 20 WHERE pool = 'sev'"),
			 SQLITE_CONSTRAINT);
	assert_non_null(strstr(sqlite3_errmsg(db), "capacity above the host's count"));
	for (size_t i = 0; i < sizeof(stray) / sizeof(stray[0]); i++)
		assert_int_equal(lh_exec(db, stray[i]), SQLITE_OK);
	sqlite3_close(db);

	/* Read-only, nothing is restored: the row itself is the finding. */
	assert_int_equal(sevslot_ledger_open(w.ctx, w.path, NULL, SEVSLOT_LEDGER_READONLY, &l), 0);
	a = audit_of(&w, l);
	f = finding(a, SEVSLOT_FINDING_CAPACITY_EDITED, "capacity");
	assert_non_null(f);
	assert_int_equal(f->pool, SEVSLOT_POOL_SEV);
	assert_int_equal(f->ledger, 20);
	assert_int_equal(f->host, 7);
	assert_non_null(strstr(f->message, "the next sevslot call that may write restores"));
	assert_null(finding(a, SEVSLOT_FINDING_OVER_CAPACITY, "capacity"));
	sevslot_audit_free(a);
	sevslot_ledger_close(l);
	assert_int_equal(edited_warnings, 0);

	/* The next open restores it, journals it as edited and warns. */
	l = lh_open(&w, NULL);
	assert_int_equal(edited_warnings, 1);
	assert_int_equal(sevslot_ledger_allocate(l, "vm-new", SEVSLOT_MODEL_SEV, NULL, NULL), -EAGAIN);
	a = audit_of(&w, l);
	assert_false(a->consistent);
	f = finding(a, SEVSLOT_FINDING_CAPACITY_EDITED, "capacity");
	assert_non_null(f);
	assert_int_equal(f->ledger, 20);
	assert_int_equal(f->host, 7);
	assert_non_null(strstr(f->message, "let in 2 allocations"));
	assert_null(finding(a, SEVSLOT_FINDING_OVER_CAPACITY, "capacity"));
	assert_int_equal(a->n_findings, 1);
	sevslot_audit_free(a);
	sevslot_ledger_close(l);
	db = lh_db(w.path, false);
	assert_int_equal(lh_int(db, "SELECT capacity FROM pools WHERE pool = 'sev'"), 7);
	assert_int_equal(lh_int(db, "SELECT count(*) FROM events WHERE operation = 'capacity' "
				"AND result = 'edited' AND detail LIKE 'capacity 20 (host count 20)%'"), 1);
	sqlite3_close(db);

	/* Another handle: the journal still names the cause while the pool is over. */
	l = lh_open(&w, NULL);
	assert_int_equal(edited_warnings, 1);
	a = audit_of(&w, l);
	f = finding(a, SEVSLOT_FINDING_CAPACITY_EDITED, "capacity");
	assert_non_null(f);
	assert_int_equal(f->ledger, -1);
	assert_non_null(strstr(f->message, "restored to the host's 7 at "));
	sevslot_audit_free(a);
	/* Back under: nothing left to report. */
	assert_int_equal(sevslot_ledger_release(l, "hand-7", NULL), 0);
	assert_int_equal(sevslot_ledger_release(l, "hand-8", NULL), 0);
	a = audit_of(&w, l);
	assert_true(a->consistent);
	sevslot_audit_free(a);
	sevslot_ledger_close(l);
	lh_check_invariants(w.path, false);
	lh_teardown(&w);
}

/* The allocate path probes capacity only: a /dev/sev a full probe rejects is never read. */
static void test_allocate_path_issues_no_firmware_command(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	struct sevslot_host *h;

	(void)state;
	lh_setup(&w, 15, 1);
	h_puts(w.root, "dev/sev", "PLATFORM_STATUS this is not a recording\n");
	assert_int_equal(sevslot_probe(w.ctx, 0, &h), -EBADMSG);
	l = lh_open(&w, NULL);
	assert_int_equal(sevslot_ledger_allocate(l, "vm", SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	assert_int_equal(sevslot_ledger_release(l, "vm", NULL), 0);
	sevslot_ledger_close(l);
	lh_teardown(&w);
}

static void test_config_path_names_the_ledger(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;
	struct sevslot_config *c;
	char text[700], path[600];

	(void)state;
	lh_setup(&w, 15, 1);
	snprintf(path, sizeof(path), "%s/from-config.db", w.dir);
	snprintf(text, sizeof(text), "[ledger]\npath = %s\n", path);
	c = config_from(&w, text);
	assert_int_equal(sevslot_ledger_open(w.ctx, NULL, c, 0, &l), 0);
	assert_string_equal(sevslot_ledger_path(l), path);
	sevslot_ledger_close(l);
	assert_int_equal(access(path, F_OK), 0);
	/* An explicit path wins over the config's. */
	assert_int_equal(sevslot_ledger_open(w.ctx, w.path, c, 0, &l), 0);
	assert_string_equal(sevslot_ledger_path(l), w.path);
	sevslot_ledger_close(l);
	sevslot_config_free(c);
	lh_teardown(&w);
}

static int log_count;

static void count_log(void *data, int priority, const char *msg)
{
	(void)data;
	(void)priority;
	(void)msg;
	log_count++;
}

static void test_library_never_prints_but_logs(void **state)
{
	struct lh w;
	struct sevslot_ledger *l;

	(void)state;
	lh_setup(&w, 1, 1);
	sevslot_set_log_fn(w.ctx, count_log, NULL);
	l = lh_open(&w, NULL);
	assert_int_equal(sevslot_ledger_allocate(l, "vm", SEVSLOT_MODEL_SEV, NULL, NULL), 0);
	assert_int_equal(sevslot_ledger_allocate(l, "vm2", SEVSLOT_MODEL_SEV, NULL, NULL), -EAGAIN);
	assert_true(log_count > 0);
	sevslot_ledger_close(l);
	sevslot_ledger_close(NULL);
	assert_string_equal(sevslot_ledger_errmsg(NULL), "out of memory");
	lh_teardown(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_creates_private_wal_ledger),
		cmocka_unit_test(test_reopen_unchanged_host_writes_nothing),
		cmocka_unit_test(test_foreign_sqlite_file_is_refused_untouched),
		cmocka_unit_test(test_non_sqlite_file_is_refused_untouched),
		cmocka_unit_test(test_newer_schema_is_refused),
		cmocka_unit_test(test_allocate_gives_lowest_free_slot),
		cmocka_unit_test(test_allocate_is_idempotent_for_same_model),
		cmocka_unit_test(test_noted_calls_write_the_note_into_the_journal),
		cmocka_unit_test(test_consumer_of_another_model_is_refused),
		cmocka_unit_test(test_model_host_cannot_run_is_unavailable),
		cmocka_unit_test(test_pool_full_is_eagain),
		cmocka_unit_test(test_release_is_idempotent),
		cmocka_unit_test(test_consumer_id_rules),
		cmocka_unit_test(test_foreach_and_lookup),
		cmocka_unit_test(test_readonly_open_of_missing_ledger_is_enoent),
		cmocka_unit_test(test_config_limit_and_reserved_set_capacity),
		cmocka_unit_test(test_capacity_shrink_keeps_allocations_and_refuses),
		cmocka_unit_test(test_schema_refuses_stray_writes),
		cmocka_unit_test(test_migrates_every_earlier_version),
		cmocka_unit_test(test_locked_ledger_is_ebusy_naming_it),
		cmocka_unit_test(test_reconcile_releases_consumers_not_live),
		cmocka_unit_test(test_audit_consistent_and_unknowns_are_not_drift),
		cmocka_unit_test(test_audit_flags_drift_both_ways),
		cmocka_unit_test(test_audit_flags_earlier_boot_and_over_capacity),
		cmocka_unit_test(test_capacity_written_by_hand),
		cmocka_unit_test(test_library_never_prints_but_logs),
		cmocka_unit_test(test_allocate_path_issues_no_firmware_command),
		cmocka_unit_test(test_config_path_names_the_ledger),
	};

	return cmocka_run_group_tests_name("ledger", tests, NULL, NULL);
}
