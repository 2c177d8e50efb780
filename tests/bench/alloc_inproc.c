/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocate+release per second through the C API, against the raw SQLite floor
 * doing the same work (raw_sqlite.h), rounds interleaved:
 *
 *   alloc_inproc SYSROOT DIR ROUNDS MS normal|full
 *
 * The ledger is DIR/ledger.db, the floor DIR/raw.db, both on DIR's file
 * system. One operation is an allocate of a fresh consumer and its release:
 * two transactions either way. After a warm-up round each, prints
 * "ledger R1 R2 ..." and "raw R1 R2 ..." in operations per second.
 */
#include <errno.h>
#include <string.h>

#include <sevslot.h>

#include "bench.h"
#include "raw_sqlite.h"

static uint64_t seq;

static double ledger_rate(struct sevslot_ledger *l, uint64_t ms)
{
	uint64_t t0 = now_ns(), t, n = 0;
	char consumer[32];

	do {
		struct sevslot_allocation a;
		bool created, released;
		int err;

		snprintf(consumer, sizeof(consumer), "bench-%llu", (unsigned long long)seq++);
		err = sevslot_ledger_allocate(l, consumer, SEVSLOT_MODEL_SEV, &a, &created);
		if (err < 0 || !created)
			die("allocate %s: %s", consumer, sevslot_ledger_errmsg(l));
		err = sevslot_ledger_release(l, consumer, &released);
		if (err < 0 || !released)
			die("release %s: %s", consumer, sevslot_ledger_errmsg(l));
		n++;
		t = now_ns() - t0;
	} while (t < ms * 1000000u);
	return (double)n * 1e9 / (double)t;
}

static double raw_rate(struct raw_db *r, uint64_t ms)
{
	uint64_t t0 = now_ns(), t, n = 0;
	char consumer[32];

	do {
		snprintf(consumer, sizeof(consumer), "bench-%llu", (unsigned long long)seq++);
		if (raw_allocate(r, consumer, 0, 0) != 0 || raw_release(r, consumer) != 0)
			die("raw floor: %s failed", consumer);
		n++;
		t = now_ns() - t0;
	} while (t < ms * 1000000u);
	return (double)n * 1e9 / (double)t;
}

int main(int argc, char **argv)
{
	struct sevslot_ledger *l;
	struct sevslot_ctx *ctx;
	struct raw_db *raw;
	char path[4096];
	double *lr, *rr;
	long rounds;
	uint64_t ms;
	bool full;
	int err;

	if (argc != 6)
		die("usage: alloc_inproc SYSROOT DIR ROUNDS MS normal|full");
	rounds = atol(argv[3]);
	ms = (uint64_t)atol(argv[4]);
	full = strcmp(argv[5], "full") == 0;
	lr = calloc((size_t)rounds + 1, sizeof(double));
	rr = calloc((size_t)rounds + 1, sizeof(double));
	if (rounds < 1 || lr == NULL || rr == NULL)
		die("bad ROUNDS");
	err = sevslot_new(&ctx, argv[1]);
	if (err < 0)
		die("%s: %s", argv[1], strerror(-err));
	snprintf(path, sizeof(path), "%s/ledger.db", argv[2]);
	err = sevslot_ledger_open(ctx, path, NULL, 0, &l);
	if (err < 0)
		die("open %s: %s", path, sevslot_ledger_errmsg(l));
	snprintf(path, sizeof(path), "%s/raw.db", argv[2]);
	raw = raw_open(path, full, SEVSLOT_BUSY_TIMEOUT_MS);

	ledger_rate(l, ms);
	raw_rate(raw, ms);
	for (long r = 0; r < rounds; r++) {
		/* Alternate which goes first, so neither always follows the other's checkpoint. */
		if (r & 1) {
			rr[r] = raw_rate(raw, ms);
			lr[r] = ledger_rate(l, ms);
		} else {
			lr[r] = ledger_rate(l, ms);
			rr[r] = raw_rate(raw, ms);
		}
	}
	print_rates("ledger", lr, rounds);
	print_rates("raw", rr, rounds);
	raw_close(raw);
	sevslot_ledger_close(l);
	sevslot_free(ctx);
	free(lr);
	free(rr);
	return 0;
}
