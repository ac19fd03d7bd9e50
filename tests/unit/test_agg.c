// SPDX-License-Identifier: BSD-2-Clause
/*
 * Counting in the kernel (-A, -H, --lhist, --folded): probes compiled with
 * codegen_probe() and run in the BPF interpreter against a fake
 * tracepoint, with the aggregation map as a hash map of the interpreter.
 * The buckets the programs pick are held against hist_log2_bucket() and
 * hist_linear_bucket() over many values; keys must be equal for equal
 * printed values (strings zero-filled, integers as their conversion reads
 * them); a full map, a stack map that cannot keep a stack and -M's ticket
 * are counted where the reader looks for them. The histogram's text is
 * checked against bpftrace's layout.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_interp.h"
#include "compile/codegen.h"
#include "output/hist.h"
#include "providers/provider.h"
#include "runtime/aggmap.h"
#include "runtime/maps.h"
#include "session.h"
#include "spec/spec.h"
#include "types/tpformat.h"
#include "unit.h"
#include "util.h"

static const char agg_format[] =
	"name: agg\n"
	"ID: 4322\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:long sval;\toffset:8;\tsize:8;\tsigned:1;\n"
	"\tfield:unsigned long uval;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:int ival;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:char name[16];\toffset:28;\tsize:16;\tsigned:1;\n"
	"\n"
	"print fmt: \"sval=%ld\", REC->sval\n";

#define OFF_SVAL 8
#define OFF_UVAL 16
#define OFF_IVAL 24
#define OFF_NAME 28

/* One compiled probe and the world its program runs in. */
struct agg {
	struct session s;
	struct probe *p;
	struct bpf_insn *insns;
	size_t cnt;
	struct bpf_probe_env env;
	uint8_t ctx[64];
	uint8_t *taken;
	char err[256];
};

/* Compile @text with the options @o; false (with a message) if it does not compile. */
static bool agg_setup(struct agg *a, const struct options *o, const char *text)
{
	struct tp_format *tp = xcalloc(1, sizeof(*tp));
	char err[256];
	int ret;

	memset(a, 0, sizeof(*a));
	session_init(&a->s);
	a->s.opt = *o;
	a->s.opt.string_size = o->string_size ? o->string_size : 80;
	a->s.opt.uid = -1;
	a->s.opt.include_self = true;
	a->s.btf_tried = true;
	a->s.ncpus = 1;
	a->s.nprobes = 1;
	a->s.probes = a->p = xcalloc(1, sizeof(*a->p));
	a->p->rt.prog_fd = -1;
	if (spec_parse(text, 1, &a->p->spec, err, sizeof(err)) ||
	    tp_format_parse(agg_format, tp, err, sizeof(err))) {
		fprintf(stderr, "  %s: %s\n", text, err);
		free(tp);
		return false;
	}
	a->p->prov = &tracepoint_provider;
	a->p->priv = tp;
	a->p->fields = tp;
	a->p->func_name = xstrdup(a->p->spec.function);
	ret = codegen_layout(&a->s, a->p);
	if (!ret)
		ret = codegen_probe(&a->s, a->p, &a->insns, &a->cnt, NULL);
	if (ret) {
		fprintf(stderr, "  %s does not compile\n", text);
		return false;
	}
	bpf_probe_env_init(&a->env);
	a->env.events_fd = MAP_EVENTS;
	a->env.lost_fd = a->env.maps[0].fd = MAP_LOST;
	a->env.ctx = a->ctx;
	a->env.ctx_len = sizeof(a->ctx);
	bpf_probe_env_add_array(&a->env, MAP_SCRATCH, MAPS_SCRATCH_SIZE, 1);
	memset(bpf_probe_env_add_array(&a->env, MAP_CTL, 8, 1), 0, 8);
	bpf_probe_env_add_hash(&a->env, MAP_AGG, (size_t)a->s.agg_key_size,
			       (size_t)agg_value_size(&a->s.opt), agg_entries(&a->s.opt));
	memset(bpf_probe_env_add_array(&a->env, MAP_AGG_ZERO, (size_t)agg_value_size(&a->s.opt),
				       1), 0, (size_t)agg_value_size(&a->s.opt));
	a->taken = bpf_probe_env_add_array(&a->env, MAP_TAKEN, 8, 1);
	memset(a->taken, 0, 8);
	memset(a->env.lost, 0, sizeof(a->env.lost));
	return true;
}

static void agg_free(struct agg *a)
{
	bpf_probe_env_free(&a->env);
	free(a->insns);
	session_teardown(&a->s);
}

/* One event with these field values; false (message in a->err) if the program failed. */
static bool agg_hit(struct agg *a, int64_t sval, uint64_t uval, int32_t ival, const char *name)
{
	memset(a->ctx, 0x5a, sizeof(a->ctx));
	memcpy(a->ctx + OFF_SVAL, &sval, 8);
	memcpy(a->ctx + OFF_UVAL, &uval, 8);
	memcpy(a->ctx + OFF_IVAL, &ival, 4);
	memset(a->ctx + OFF_NAME, 0, 16);
	memcpy(a->ctx + OFF_NAME, name, strlen(name) < 15 ? strlen(name) : 15);
	if (bpf_probe_run(&a->env, a->insns, a->cnt)) {
		snprintf(a->err, sizeof(a->err), "%s", a->env.err);
		fprintf(stderr, "  run: %s\n", a->err);
		return false;
	}
	return true;
}

static struct bpf_probe_map *agg_map(struct agg *a)
{
	for (int i = 0; i < a->env.nmaps; i++)
		if (a->env.maps[i].fd == MAP_AGG)
			return &a->env.maps[i];
	abort();
}

/* Value @i of the map's keys (in insertion order), as u64 at byte @off. */
static uint64_t val_at(struct agg *a, unsigned int i, int off)
{
	struct bpf_probe_map *m = agg_map(a);
	uint64_t v;

	memcpy(&v, m->data + i * m->value_size + off, 8);
	return v;
}

static const uint8_t *key_at(struct agg *a, unsigned int i)
{
	struct bpf_probe_map *m = agg_map(a);

	return m->keys + i * m->key_size;
}

/* -H: a spread of values, each counted in the bucket hist_log2_bucket() names. */
UNIT_TEST(agg_log2_buckets)
{
	static const int64_t vals[] = {
		0, 1, 2, 3, 4, 7, 8, 1023, 1024, 1025, 65535, 65536, 0x7fffffff, 0x80000000LL,
		0xffffffffLL, 0x100000000LL, 0x123456789abLL, INT64_MAX, -1, -2, INT64_MIN,
	};
	struct options o = { .agg = AGG_LOG2 };
	struct agg a;

	for (int sig = 0; sig < 2; sig++) {
		const char *spec = sig ? "t:etrace:agg \"%ld\", args->sval" :
					 "t:etrace:agg \"%lu\", args->sval";

		if (!agg_setup(&a, &o, spec)) {
			CHECK(0);
			agg_free(&a);
			continue;
		}
		for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
			uint64_t want = (uint64_t)hist_log2_bucket((uint64_t)vals[i], sig);
			uint64_t before[AGG_LOG2_BUCKETS];

			for (int b = 0; agg_map(&a)->nkeys && b < AGG_LOG2_BUCKETS; b++)
				before[b] = val_at(&a, 0, AGG_OFF_BUCKETS + 8 * b);
			CHECK(agg_hit(&a, vals[i], 0, 0, ""));
			CHECK_EQ_INT(agg_map(&a)->nkeys, 1);
			for (int b = 0; i && b < AGG_LOG2_BUCKETS; b++)
				CHECK_EQ_INT(val_at(&a, 0, AGG_OFF_BUCKETS + 8 * b) - before[b],
					     (uint64_t)b == want);
			if (!i)
				CHECK_EQ_INT(val_at(&a, 0, AGG_OFF_BUCKETS + 8 * (int)want), 1);
		}
		CHECK_EQ_INT(val_at(&a, 0, AGG_OFF_COUNT), ARRAY_SIZE(vals));
		CHECK_EQ_INT(val_at(&a, 0, AGG_OFF_MIN), sig ? (uint64_t)INT64_MIN : 0);
		CHECK_EQ_INT(val_at(&a, 0, AGG_OFF_MAX), sig ? (uint64_t)INT64_MAX : (uint64_t)-1);
		agg_free(&a);
	}
}

/* The C reference itself: the edges of each bucket. */
UNIT_TEST(agg_log2_reference)
{
	CHECK_EQ_INT(hist_log2_bucket(0, true), 1);
	CHECK_EQ_INT(hist_log2_bucket(1, true), 2);
	CHECK_EQ_INT(hist_log2_bucket(2, true), 3);
	CHECK_EQ_INT(hist_log2_bucket(3, true), 3);
	CHECK_EQ_INT(hist_log2_bucket(4, true), 4);
	CHECK_EQ_INT(hist_log2_bucket((uint64_t)-1, true), 0);
	CHECK_EQ_INT(hist_log2_bucket((uint64_t)-1, false), 65);
	CHECK_EQ_INT(hist_log2_bucket(1ULL << 63, false), 65);
	CHECK_EQ_INT(hist_log2_bucket((1ULL << 63) - 1, true), 64);
}

/* --lhist: below MIN, inner buckets (the last one cut at MAX), from MAX on. */
UNIT_TEST(agg_linear_buckets)
{
	static const struct { long long min, max, step; } shapes[] = {
		{ 0, 100, 10 }, { -50, 50, 7 }, { 1000, 1001, 1 }, { -5000000000LL, 5000000000LL,
		3000000000LL },
	};
	static const int64_t vals[] = {
		-6000000000LL, -51, -50, -49, -1, 0, 1, 9, 10, 11, 43, 48, 49, 50, 99, 100, 101,
		999, 1000, 1001, 4999999999LL, 5000000000LL, INT64_MAX, INT64_MIN,
	};

	for (size_t s = 0; s < ARRAY_SIZE(shapes); s++) {
		struct options o = { .agg = AGG_LINEAR, .lhist_min = shapes[s].min,
				     .lhist_max = shapes[s].max, .lhist_step = shapes[s].step };
		struct hist_shape h = { true, o.lhist_min, o.lhist_max, o.lhist_step,
					agg_nbuckets(&o) };
		struct agg a;

		if (!agg_setup(&a, &o, "t:etrace:agg \"%ld\", args->sval")) {
			CHECK(0);
			agg_free(&a);
			continue;
		}
		for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
			int want = hist_linear_bucket(&h, (uint64_t)vals[i], true);
			uint64_t before = agg_map(&a)->nkeys ?
					  val_at(&a, 0, AGG_OFF_BUCKETS + 8 * want) : 0;

			CHECK(want >= 0 && want < h.nbuckets);
			CHECK(agg_hit(&a, vals[i], 0, 0, ""));
			CHECK_EQ_INT(val_at(&a, 0, AGG_OFF_BUCKETS + 8 * want) - before, 1);
		}
		CHECK_EQ_INT(val_at(&a, 0, AGG_OFF_COUNT), ARRAY_SIZE(vals));
		agg_free(&a);
	}
}

/* An unsigned value past 2^63 is above any MAX, not below MIN. */
UNIT_TEST(agg_linear_unsigned)
{
	struct options o = { .agg = AGG_LINEAR, .lhist_min = 0, .lhist_max = 10,
			     .lhist_step = 5 };
	struct agg a;

	if (!agg_setup(&a, &o, "t:etrace:agg \"%lu\", args->uval")) {
		CHECK(0);
	} else {
		CHECK(agg_hit(&a, 0, (uint64_t)-1, 0, ""));
		CHECK_EQ_INT(val_at(&a, 0, AGG_OFF_BUCKETS + 8 * 3), 1);
		CHECK_EQ_INT(val_at(&a, 0, AGG_OFF_MAX), (uint64_t)-1);
	}
	agg_free(&a);
}

/* Sum, min and max of a histogram, as the conversion reads the value (%d: 32 bits). */
UNIT_TEST(agg_hist_stats)
{
	struct options o = { .agg = AGG_LOG2 };
	struct agg a;

	if (!agg_setup(&a, &o, "t:etrace:agg \"%d\", args->sval")) {
		CHECK(0);
	} else {
		CHECK(agg_hit(&a, 5, 0, 0, ""));
		CHECK(agg_hit(&a, -3, 0, 0, ""));
		/* Read as an int: 2^32 + 9 is 9. */
		CHECK(agg_hit(&a, 0x100000009LL, 0, 0, ""));
		CHECK_EQ_INT(val_at(&a, 0, AGG_OFF_COUNT), 3);
		CHECK_EQ_INT((int64_t)val_at(&a, 0, AGG_OFF_SUM), 11);
		CHECK_EQ_INT((int64_t)val_at(&a, 0, AGG_OFF_MIN), -3);
		CHECK_EQ_INT((int64_t)val_at(&a, 0, AGG_OFF_MAX), 9);
		CHECK_EQ_INT(val_at(&a, 0, AGG_OFF_BUCKETS + 8 * 0), 1);
		CHECK_EQ_INT(val_at(&a, 0, AGG_OFF_BUCKETS + 8 * 4), 1);
		CHECK_EQ_INT(val_at(&a, 0, AGG_OFF_BUCKETS + 8 * 5), 1);
	}
	agg_free(&a);
}

/*
 * -A: equal printed values make one key. Strings are zero-filled past
 * their end (whatever the stack held), integers cut to their conversion.
 */
UNIT_TEST(agg_count_keys)
{
	struct options o = { .agg = AGG_COUNT };
	struct agg a;
	const uint8_t *k;

	if (!agg_setup(&a, &o, "t:etrace:agg \"%s %d\", args->name, args->sval")) {
		CHECK(0);
		agg_free(&a);
		return;
	}
	CHECK(agg_hit(&a, 1, 0, 0, "long-name-here"));
	CHECK(agg_hit(&a, 1, 0, 0, "ab"));
	CHECK(agg_hit(&a, 1 + (1LL << 32), 0, 0, "ab"));
	CHECK(agg_hit(&a, 2, 0, 0, "ab"));
	CHECK_EQ_INT(agg_map(&a)->nkeys, 3);
	CHECK_EQ_INT(val_at(&a, 0, 0), 1);
	CHECK_EQ_INT(val_at(&a, 1, 0), 2);
	CHECK_EQ_INT(val_at(&a, 2, 0), 1);
	k = key_at(&a, 1);
	CHECK_EQ_INT(k[0], 0);		/* probe id 0 */
	CHECK_EQ_STR((const char *)k + a.p->layout.key.values[0], "ab");
	for (int i = 3; i < a.p->layout.slots[0].size; i++)
		CHECK_EQ_INT(k[a.p->layout.key.values[0] + i], 0);
	agg_free(&a);
}

/* A full map: the event is counted in the probe's "not counted" slot. */
UNIT_TEST(agg_map_full)
{
	struct options o = { .agg = AGG_COUNT, .map_entries = 2 };
	struct agg a;

	if (!agg_setup(&a, &o, "t:etrace:agg \"%d\", args->ival")) {
		CHECK(0);
		agg_free(&a);
		return;
	}
	for (int i = 0; i < 5; i++)
		CHECK(agg_hit(&a, 0, 0, i % 3, ""));
	CHECK_EQ_INT(agg_map(&a)->nkeys, 2);
	CHECK_EQ_INT(val_at(&a, 0, 0) + val_at(&a, 1, 0), 4);
	CHECK_EQ_INT(a.env.lost[AGG_LOST_EVENTS], 1);
	agg_free(&a);
}

/*
 * Stack ids: a failure other than "no stack" (-EFAULT) is counted, and the
 * key keeps the error (printed as such).
 */
UNIT_TEST(agg_stack_ids)
{
	struct options o = { .agg = AGG_COUNT, .kstack = true };
	struct agg a;
	int32_t id;

	if (!agg_setup(&a, &o, "t:etrace:agg")) {
		CHECK(0);
		agg_free(&a);
		return;
	}
	a.env.stackid = 7;
	CHECK(agg_hit(&a, 0, 0, 0, ""));
	a.env.stackid = -EEXIST;
	CHECK(agg_hit(&a, 0, 0, 0, ""));
	CHECK(agg_hit(&a, 0, 0, 0, ""));
	a.env.stackid = -EFAULT;
	CHECK(agg_hit(&a, 0, 0, 0, ""));
	CHECK_EQ_INT(agg_map(&a)->nkeys, 3);
	memcpy(&id, key_at(&a, 1) + a.p->layout.key.kstack, 4);
	CHECK_EQ_INT(id, -EEXIST);
	CHECK_EQ_INT(val_at(&a, 1, 0), 2);
	CHECK_EQ_INT(a.env.lost[AGG_LOST_KSTACK], 2);
	CHECK_EQ_INT(a.env.lost[AGG_LOST_EVENTS], 0);
	agg_free(&a);
}

/* -M: tickets past N are not counted; the last one submits a record. */
UNIT_TEST(agg_max_events)
{
	struct options o = { .agg = AGG_COUNT, .max_events = 3 };
	struct agg a;
	uint64_t t;

	if (!agg_setup(&a, &o, "t:etrace:agg")) {
		CHECK(0);
		agg_free(&a);
		return;
	}
	for (int i = 0; i < 5; i++) {
		CHECK(agg_hit(&a, 0, 0, 0, ""));
		CHECK_EQ_INT(a.env.nsubmitted, i == 2);
	}
	memcpy(&t, a.taken, 8);
	CHECK_EQ_INT(t, 5);
	CHECK_EQ_INT(val_at(&a, 0, 0), 3);
	agg_free(&a);
}

/* -H needs a number to draw. */
UNIT_TEST(agg_hist_needs_number)
{
	struct options o = { .agg = AGG_LOG2 };
	struct agg a;

	fprintf(stderr, "  (two compile errors expected)\n");
	CHECK(!agg_setup(&a, &o, "t:etrace:agg \"%d %s\", args->ival, args->name"));
	agg_free(&a);
	CHECK(!agg_setup(&a, &o, "t:etrace:agg"));
	agg_free(&a);
}

static const char *draw(const struct hist_shape *h, const uint64_t *b)
{
	static char out[8192];
	struct strbuf sb = { 0 };

	hist_draw(h, b, &sb);
	snprintf(out, sizeof(out), "%s", sb.buf ? sb.buf : "");
	sb_free(&sb);
	return out;
}

/* Rows from the first to the last non-empty bucket, bars scaled to the largest. */
UNIT_TEST(hist_draw_log2)
{
	struct hist_shape h = { .nbuckets = AGG_LOG2_BUCKETS };
	uint64_t b[AGG_LOG2_BUCKETS] = { 0 };

	CHECK_EQ_STR(draw(&h, b), "");
	b[1] = 3;
	b[4] = 12;
	b[12] = 6;
	CHECK_EQ_STR(draw(&h, b),
	"[0]                    3 |@@@@@@@@@@@@@                                       |\n"
	"[1]                    0 |                                                    |\n"
	"[2, 4)                 0 |                                                    |\n"
	"[4, 8)                12 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
	"[8, 16)                0 |                                                    |\n"
	"[16, 32)               0 |                                                    |\n"
	"[32, 64)               0 |                                                    |\n"
	"[64, 128)              0 |                                                    |\n"
	"[128, 256)             0 |                                                    |\n"
	"[256, 512)             0 |                                                    |\n"
	"[512, 1K)              0 |                                                    |\n"
	"[1K, 2K)               6 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n");
}

UNIT_TEST(hist_labels)
{
	struct hist_shape h = { .nbuckets = AGG_LOG2_BUCKETS };
	struct hist_shape l = { true, -10, 2048, 1024, 0 };
	struct hist_shape d = { true, 0, 25, 10, 0 };
	char buf[64];

	hist_label(&h, 0, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "(..., 0)");
	hist_label(&h, 22, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[1M, 2M)");
	hist_label(&h, 65, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[8E, 16E)");
	l.nbuckets = 5;
	hist_label(&l, 0, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "(..., -10)");
	hist_label(&l, 2, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[1014, 2038)");
	hist_label(&l, 4, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[2K, ...)");
	d.nbuckets = 5;
	hist_label(&d, 3, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[20, 25)");
	hist_label(&d, 4, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[25, ...)");
}

UNIT_TEST(hist_stats_line)
{
	struct strbuf sb = { 0 };

	hist_stats(4, (uint64_t)-2, (uint64_t)-5, 3, true, &sb);
	hist_stats(3, 10, 1, 6, false, &sb);
	CHECK_EQ_STR(sb.buf, "count 4, sum -2, min -5, max 3, mean -0.50\n"
			     "count 3, sum 10, min 1, max 6, mean 3.33\n");
	sb_free(&sb);
}

/* -i: the interval next to the stop flag is in the key; --folded: the process name. */
UNIT_TEST(agg_epoch_and_comm)
{
	struct options o = { .agg = AGG_FOLDED, .kstack = true, .interval_ns = 1000000000 };
	struct agg a;
	uint32_t epoch;

	if (!agg_setup(&a, &o, "t:etrace:agg \"%d\", args->ival")) {
		CHECK(0);
		agg_free(&a);
		return;
	}
	/* The format's values are not part of a folded key. */
	CHECK_EQ_INT(a.p->layout.key.values[0], -1);
	CHECK(agg_hit(&a, 0, 0, 1, ""));
	for (int i = 0; i < a.env.nmaps; i++)
		if (a.env.maps[i].fd == MAP_CTL)
			a.env.maps[i].data[4] = 1;
	CHECK(agg_hit(&a, 0, 0, 2, ""));
	CHECK(agg_hit(&a, 0, 0, 3, ""));
	CHECK_EQ_INT(agg_map(&a)->nkeys, 2);
	memcpy(&epoch, key_at(&a, 1) + a.p->layout.key.epoch, 4);
	CHECK_EQ_INT(epoch, 1);
	CHECK_EQ_INT(val_at(&a, 1, 0), 2);
	CHECK_EQ_STR((const char *)key_at(&a, 0) + a.p->layout.key.comm, "etrace-test");
	agg_free(&a);
}
