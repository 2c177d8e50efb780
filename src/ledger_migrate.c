/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ledger's schema version is PRAGMA user_version; sql/NNNN-name.sql takes
 * it from NNNN-1 to NNNN. Migrations only go forward, all of them in one
 * transaction: a ledger is at its old version or at the latest, never between.
 */
#include <errno.h>
#include <stdio.h>

#include "ledger_int.h"
#include "sql_embed.h"

unsigned sv_ledger_latest_version(void)
{
	return sv_sql_n_files;
}

struct migration {
	unsigned from;             /* version found inside the transaction */
};

static int read_version(struct sevslot_ledger *l, int64_t *app, int64_t *version)
{
	sqlite3_stmt *st;
	int err;

	if ((err = sv_ledger_prepare(l, "SELECT application_id, user_version "
				     "FROM pragma_application_id, pragma_user_version", &st)) < 0)
		return err;
	err = sv_ledger_step(l, st, "read the schema version");
	if (err == SQLITE_ROW) {
		*app = sqlite3_column_int64(st, 0);
		*version = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return err < 0 ? err : 0;
}

static int migrate(struct sevslot_ledger *l, void *arg)
{
	struct migration *m = arg;
	int64_t app = 0, version = 0;
	char sql[64], detail[128];
	int rc, err;

	/* Again, under the write lock: another process may have just done it. */
	if ((err = read_version(l, &app, &version)) < 0)
		return err;
	m->from = (unsigned)version;
	if ((uint32_t)app != SV_LEDGER_APPLICATION_ID && app != 0)
		return sv_ledger_fail(l, -EBADMSG, "ledger %s changed hands (application_id 0x%08x); "
				      "left untouched", l->path, (unsigned)(uint32_t)app);
	if (version >= (int64_t)sv_sql_n_files)
		return 0;
	if (version == 0) {
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", SV_LEDGER_APPLICATION_ID);
		if ((rc = sqlite3_exec(l->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
			return sv_ledger_sqlite_fail(l, rc, "set application_id");
	}
	for (unsigned i = (unsigned)version; i < sv_sql_n_files; i++) {
		rc = sqlite3_exec(l->db, sv_sql_files[i].text, NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return sv_ledger_sqlite_fail(l, rc, sv_sql_files[i].name);
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %u", sv_sql_files[i].version);
		if ((rc = sqlite3_exec(l->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
			return sv_ledger_sqlite_fail(l, rc, "set user_version");
	}
	snprintf(detail, sizeof(detail), "schema %lld -> %u", (long long)version, sv_sql_n_files);
	return sv_journal(l, version == 0 ? "create" : "migrate", NULL, -1, -1, -1, "ok", detail);
}

int sv_ledger_migrate(struct sevslot_ledger *l)
{
	struct migration m = { 0 };
	int err;

	if (l->schema_version >= sv_sql_n_files)
		return 0;
	err = sv_ledger_write(l, "migrate the schema", migrate, &m);
	if (err < 0)
		return err;
	/* A new ledger is no news; an upgrade is worth a line. */
	if (m.from < sv_sql_n_files)
		sv_log(l->ctx, m.from == 0 ? SEVSLOT_LOG_DEBUG : SEVSLOT_LOG_INFO,
		       "ledger %s: schema %u -> %u", l->path, m.from, sv_sql_n_files);
	l->schema_version = sv_sql_n_files;
	return 0;
}
