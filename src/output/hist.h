/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Histograms as text, drawn the way bpftrace draws hist() and lhist():
 *
 *	[4, 8)                12 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
 *	[8, 16)                3 |@@@@@@@@@@@@@                                       |
 *	[1K, 2K)               1 |@@@@                                                |
 *
 * a row per bucket from the first to the last one that counted anything:
 * the range (powers of two with K, M, G... suffixes), the count, and a bar
 * of '@' scaled to the largest bucket over 52 columns. Under it, one line
 * of numbers about the values: count, sum, min, max, mean.
 *
 * The bucket functions are what the programs compute in the kernel
 * (compile/aggregate.c); the unit tests hold one against the other.
 */
#ifndef __ETRACE_HIST_H
#define __ETRACE_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf;

/* Bars are this many columns at most. */
#define HIST_BAR_WIDTH 52

/* The buckets of a histogram: log2 (-H) or linear (--lhist MIN,MAX,STEP). */
struct hist_shape {
	bool linear;
	long long min, max, step;	/* linear */
	int nbuckets;			/* including the ones below MIN and from MAX on */
};

/*
 * Log2 buckets: 0 holds negative values, 1 holds 0, 2 + k holds
 * [2^k, 2^(k+1)). @v is read as signed when @is_signed.
 */
int hist_log2_bucket(uint64_t v, bool is_signed);

/* Linear buckets: 0 below MIN, 1 + (v - MIN) / STEP up to MAX, the last from MAX on. */
int hist_linear_bucket(const struct hist_shape *h, uint64_t v, bool is_signed);

/* Bucket @i's range as bpftrace writes it: "(..., 0)", "[0]", "[2, 4)", "[1K, 2K)". */
void hist_label(const struct hist_shape *h, int i, char *buf, size_t len);

/*
 * Bucket @i as the values [lo, hi) it holds, for machine-readable output:
 * has_lo / has_hi false where it is open; signed_bounds says how to read
 * lo and hi (log2 bounds are unsigned, linear ones signed).
 */
struct hist_range {
	bool has_lo, has_hi, signed_bounds;
	uint64_t lo, hi;
};
void hist_range(const struct hist_shape *h, int i, struct hist_range *r);

/* The rows of @buckets (h->nbuckets of them); nothing when all are empty. */
void hist_draw(const struct hist_shape *h, const uint64_t *buckets, struct strbuf *out);

/*
 * "count 5, sum 120, min 2, max 64, mean 24.00": @sum, @min and @max as
 * the conversion reads them (signed when @is_signed).
 */
void hist_stats(uint64_t count, uint64_t sum, uint64_t min, uint64_t max, bool is_signed,
		struct strbuf *out);

#endif /* __ETRACE_HIST_H */
