/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Probes per second through the library, as a scheduler embedding it would
 * run them: one context, then sevslot_probe + sevslot_host_free in a loop.
 *
 *   probe_inproc SYSROOT ROUNDS MS
 *
 * Each round runs the full probe for MS milliseconds, then the capacity-only
 * probe (SEVSLOT_PROBE_CAPACITY, what allocate needs) for as long; after one
 * warm-up round, prints "full R1 R2 ..." and "capacity R1 R2 ..." in probes/s.
 */
#include <string.h>

#include <sevslot.h>

#include "bench.h"

static double rate(struct sevslot_ctx *ctx, unsigned flags, uint64_t ms)
{
	uint64_t t0 = now_ns(), t, n = 0;

	do {
		for (int k = 0; k < 16; k++) {
			struct sevslot_host *host;
			int err = sevslot_probe(ctx, flags, &host);

			if (err < 0)
				die("probe: %s", sevslot_errmsg(ctx));
			sevslot_host_free(host);
		}
		n += 16;
		t = now_ns() - t0;
	} while (t < ms * 1000000u);
	return (double)n * 1e9 / (double)t;
}

int main(int argc, char **argv)
{
	struct sevslot_ctx *ctx;
	double *full, *cap;
	long rounds;
	uint64_t ms;
	int err;

	if (argc != 4)
		die("usage: probe_inproc SYSROOT ROUNDS MS");
	rounds = atol(argv[2]);
	ms = (uint64_t)atol(argv[3]);
	full = calloc((size_t)rounds, sizeof(double));
	cap = calloc((size_t)rounds, sizeof(double));
	if (rounds < 1 || full == NULL || cap == NULL)
		die("bad ROUNDS");
	err = sevslot_new(&ctx, argv[1]);
	if (err < 0)
		die("%s: %s", argv[1], strerror(-err));
	rate(ctx, 0, ms);
	rate(ctx, SEVSLOT_PROBE_CAPACITY, ms);
	for (long r = 0; r < rounds; r++) {
		full[r] = rate(ctx, 0, ms);
		cap[r] = rate(ctx, SEVSLOT_PROBE_CAPACITY, ms);
	}
	print_rates("full", full, rounds);
	print_rates("capacity", cap, rounds);
	sevslot_free(ctx);
	free(full);
	free(cap);
	return 0;
}
