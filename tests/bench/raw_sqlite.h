/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The floor for the ledger: the same work done with bare SQLite, one INSERT to
 * allocate and one DELETE to release, each its own BEGIN IMMEDIATE transaction,
 * with the ledger's pragmas (WAL, the same synchronous level, busy timeout).
 */
#ifndef SEVSLOT_BENCH_RAW_SQLITE_H
#define SEVSLOT_BENCH_RAW_SQLITE_H

#include <stdbool.h>

struct raw_db;

/* Open (creating) `path`; synchronous FULL when `full`, else NORMAL. */
struct raw_db *raw_open(const char *path, bool full, unsigned busy_ms);
void raw_close(struct raw_db *db);
/* One transaction: INSERT (consumer, pool, slot). 0 or an SQLite error code. */
int raw_allocate(struct raw_db *db, const char *consumer, int pool, int slot);
/* One transaction: DELETE the consumer's row. */
int raw_release(struct raw_db *db, const char *consumer);

#endif
