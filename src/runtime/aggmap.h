/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The aggregation map's values, shared by the code generator (which
 * counts in the kernel) and the reader (output/aggregate.c). Keys are laid
 * out per probe by the compiler (struct key_layout in session.h); every
 * value starts with the same four counters, and histograms add their
 * buckets after them:
 *
 *	count, sum, min, max	(u64; only count for -A and --folded)
 *	buckets[]		(u64; -H: AGG_LOG2_BUCKETS, --lhist: see below)
 *
 * Values are per CPU: the reader adds the CPUs' counts up (and takes the
 * smallest min and the largest max of the CPUs that counted anything).
 */
#ifndef __ETRACE_AGGMAP_H
#define __ETRACE_AGGMAP_H

#include <stdbool.h>

#include "session.h"

#define AGG_OFF_COUNT 0
#define AGG_OFF_SUM 8
#define AGG_OFF_MIN 16
#define AGG_OFF_MAX 24
#define AGG_OFF_BUCKETS 32

/*
 * -H: bucket 0 holds negative values, 1 holds 0, and 2 + k holds
 * [2^k, 2^(k+1)) for k = 0..63.
 */
#define AGG_LOG2_BUCKETS 66
/* --lhist: below MIN, then (MAX - MIN) / STEP buckets (rounded up), then MAX and above. */
#define AGG_LINEAR_MAX 1000

/* Keys counted at most when --map-entries does not say. */
#define AGG_DEFAULT_ENTRIES 10240
/* ... for histograms, whose values are larger (per key and per CPU). */
#define AGG_DEFAULT_HIST_ENTRIES 1024

/*
 * What the per-probe counters of MAP_LOST count when aggregating: slot
 * kind * nprobes + probe id. AGG_LOST_EVENTS is the ring buffer's "lost"
 * slot: an event the map had no room for is not counted, and said so.
 */
enum agg_lost {
	AGG_LOST_EVENTS,	/* the map was full: the event is not counted */
	AGG_LOST_KSTACK,	/* the stack map could not store the kernel stack */
	AGG_LOST_USTACK,	/* ... the user stack */
	AGG_LOST_KINDS,
};

static inline bool aggregating(const struct options *o)
{
	return o->agg != AGG_NONE;
}

static inline bool agg_is_hist(const struct options *o)
{
	return o->agg == AGG_LOG2 || o->agg == AGG_LINEAR;
}

/* Inner buckets of --lhist: (MAX - MIN) / STEP, rounded up. */
static inline long long agg_linear_inner(const struct options *o)
{
	return (long long)(((unsigned long long)o->lhist_max - (unsigned long long)o->lhist_min +
			    (unsigned long long)o->lhist_step - 1) /
			   (unsigned long long)o->lhist_step);
}

/* Buckets of a histogram value, 0 for counts. */
static inline int agg_nbuckets(const struct options *o)
{
	if (o->agg == AGG_LOG2)
		return AGG_LOG2_BUCKETS;
	if (o->agg == AGG_LINEAR)
		return (int)agg_linear_inner(o) + 2;
	return 0;
}

/* Bytes of one value (one CPU's). */
static inline int agg_value_size(const struct options *o)
{
	return agg_is_hist(o) ? AGG_OFF_BUCKETS + 8 * agg_nbuckets(o) : 8;
}

/* Keys the map holds. */
static inline unsigned int agg_entries(const struct options *o)
{
	if (o->map_entries)
		return (unsigned int)o->map_entries;
	return agg_is_hist(o) ? AGG_DEFAULT_HIST_ENTRIES : AGG_DEFAULT_ENTRIES;
}

#endif /* __ETRACE_AGGMAP_H */
