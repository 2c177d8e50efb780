/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small helpers shared by the benchmark programs under bench/. Header-only:
 * each program is one translation unit plus, where needed, raw_sqlite.c.
 */
#ifndef SEVSLOT_BENCH_H
#define SEVSLOT_BENCH_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

__attribute__((format(printf, 1, 2), noreturn, unused)) static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* One line of results, as tools/bench reads them: "LABEL R1 R2 ...". */
static inline void print_rates(const char *label, const double *rates, long n)
{
	fputs(label, stdout);
	for (long r = 0; r < n; r++)
		printf(" %.1f", rates[r]);
	putchar('\n');
}

#endif
