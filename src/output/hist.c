// SPDX-License-Identifier: BSD-2-Clause
#include <stdio.h>
#include <string.h>

#include "output/hist.h"
#include "util.h"

/* Columns of the range, then of the count (wider counts push the bar right). */
#define LABEL_WIDTH 16
#define COUNT_WIDTH 8

int hist_log2_bucket(uint64_t v, bool is_signed)
{
	int k = 0;

	if (is_signed && (int64_t)v < 0)
		return 0;
	if (!v)
		return 1;
	while (v >>= 1)
		k++;
	return 2 + k;
}

int hist_linear_bucket(const struct hist_shape *h, uint64_t v, bool is_signed)
{
	int64_t x = (int64_t)v;

	/* An unsigned value past 2^63 is above any MAX. */
	if ((!is_signed && x < 0) || x >= h->max)
		return h->nbuckets - 1;
	if (x < h->min)
		return 0;
	return 1 + (int)(((uint64_t)x - (uint64_t)h->min) / (uint64_t)h->step);
}

/* 2^@power as bpftrace writes it: 1, 512, 1K, 4M, 16E. */
static void power_label(int power, char *buf, size_t len)
{
	static const char units[] = " KMGTPE";
	int u = power / 10;

	snprintf(buf, len, "%llu%.*s", 1ULL << (power - 10 * u), u ? 1 : 0, &units[u]);
}

/* A bound of a linear bucket, with a K, M... suffix when STEP is a multiple of 1024. */
static void linear_number(long long v, long long step, char *buf, size_t len)
{
	static const char units[] = " KMGTPE";
	int u = 0;

	while (step % 1024 == 0 && v && u < 6 && v % 1024 == 0) {
		v /= 1024;
		step /= 1024;
		u++;
	}
	snprintf(buf, len, "%lld%.*s", v, u ? 1 : 0, &units[u]);
}

static void linear_label(const struct hist_shape *h, int i, char *buf, size_t len)
{
	char lo[32], hi[32];
	long long from, to;

	if (i == 0) {
		linear_number(h->min, h->step, hi, sizeof(hi));
		snprintf(buf, len, "(..., %s)", hi);
		return;
	}
	if (i == h->nbuckets - 1) {
		linear_number(h->max, h->step, lo, sizeof(lo));
		snprintf(buf, len, "[%s, ...)", lo);
		return;
	}
	from = h->min + (long long)(i - 1) * h->step;
	/* The last inner bucket ends at MAX when STEP does not divide MAX - MIN. */
	to = h->max - from > h->step ? from + h->step : h->max;
	linear_number(from, h->step, lo, sizeof(lo));
	linear_number(to, h->step, hi, sizeof(hi));
	snprintf(buf, len, "[%s, %s)", lo, hi);
}

void hist_label(const struct hist_shape *h, int i, char *buf, size_t len)
{
	char lo[32], hi[32];

	if (h->linear) {
		linear_label(h, i, buf, len);
		return;
	}
	if (i <= 2) {
		snprintf(buf, len, "%s", i == 0 ? "(..., 0)" : i == 1 ? "[0]" : "[1]");
		return;
	}
	power_label(i - 2, lo, sizeof(lo));
	power_label(i - 1, hi, sizeof(hi));
	snprintf(buf, len, "[%s, %s)", lo, hi);
}

void hist_range(const struct hist_shape *h, int i, struct hist_range *r)
{
	long long from;

	memset(r, 0, sizeof(*r));
	r->signed_bounds = h->linear;
	if (h->linear) {
		r->has_lo = i > 0;
		r->has_hi = i < h->nbuckets - 1;
		from = i > 0 ? h->min + (long long)(i - 1) * h->step : h->min;
		if (i == h->nbuckets - 1)
			from = h->max;
		r->lo = (uint64_t)from;
		r->hi = (uint64_t)(i == 0 ? h->min : h->max - from > h->step ? from + h->step :
				   h->max);
		return;
	}
	/* 0: negative values; 1: zero; 2 + k: [2^k, 2^(k+1)). */
	r->has_lo = i > 0;
	r->has_hi = i < 65;
	r->signed_bounds = i == 0;
	r->lo = i <= 1 ? 0 : 1ULL << (i - 2);
	r->hi = i == 0 ? 0 : i == 1 ? 1 : i < 65 ? 1ULL << (i - 1) : 0;
}

void hist_draw(const struct hist_shape *h, const uint64_t *buckets, struct strbuf *out)
{
	int first = -1, last = -1;
	uint64_t top = 0;
	char label[80];

	for (int i = 0; i < h->nbuckets; i++) {
		if (!buckets[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (buckets[i] > top)
			top = buckets[i];
	}
	for (int i = first; first >= 0 && i <= last; i++) {
		/* The bar is rounded down, as bpftrace does: only the largest is full. */
		size_t bar = (size_t)((unsigned __int128)buckets[i] * HIST_BAR_WIDTH / top);

		hist_label(h, i, label, sizeof(label));
		sb_printf(out, "%-*s %*llu |", LABEL_WIDTH, label, COUNT_WIDTH - 1,
			  (unsigned long long)buckets[i]);
		for (size_t b = 0; b < HIST_BAR_WIDTH; b++)
			sb_append(out, b < bar ? "@" : " ", 1);
		sb_append(out, "|\n", 2);
	}
}

void hist_stats(uint64_t count, uint64_t sum, uint64_t min, uint64_t max, bool is_signed,
		struct strbuf *out)
{
	long double mean = is_signed ? (long double)(int64_t)sum : (long double)sum;

	if (count)
		mean /= (long double)count;
	if (is_signed)
		sb_printf(out, "count %llu, sum %lld, min %lld, max %lld, mean %.2Lf\n",
			  (unsigned long long)count, (long long)sum, (long long)min,
			  (long long)max, mean);
	else
		sb_printf(out, "count %llu, sum %llu, min %llu, max %llu, mean %.2Lf\n",
			  (unsigned long long)count, (unsigned long long)sum,
			  (unsigned long long)min, (unsigned long long)max, mean);
}
