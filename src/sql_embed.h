/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ledger's migrations, sql/NNNN-name.sql, embedded at build time by
 * tools/embed-sql. sv_sql_files[i] takes a ledger from schema version i to
 * version i + 1 (its `version`).
 */
#ifndef SEVSLOT_SQL_EMBED_H
#define SEVSLOT_SQL_EMBED_H

struct sv_sql_file {
	unsigned version;          /* the schema version once applied: NNNN */
	const char *name;          /* "0001-ledger.sql" */
	const char *text;
};

extern const struct sv_sql_file sv_sql_files[];
extern const unsigned sv_sql_n_files;

#endif
