// SPDX-License-Identifier: BSD-2-Clause
/*
 * The aggregation path of a probe's program (-A, -H, --lhist, --folded).
 * Instead of a ring-buffer record, an event becomes a key (laid out by the
 * semantic pass: struct key_layout) and a count in a per-CPU hash map:
 *
 *	[-M: ticket = fetch_add(taken, 1); past -M: exit]
 *	key = { probe id, process, interval, stack ids, function, caller,
 *		name, values }			(zero-filled first)
 *	[histograms: the bucket of the last value]
 *	v = lookup(agg, key)
 *	    ?: (update(agg, key, zero, NOEXIST), lookup(agg, key))
 *	v == NULL (the map is full): not_counted[probe] += 1
 *	else v->count += 1 (histograms: the bucket, sum, min, max too)
 *	[-M: the last ticket submits a record: user space stops]
 *
 * Values are per CPU, so nothing is atomic but the -M ticket: a program
 * runs to its end on one CPU, and a nested one (another probe) has other
 * keys. The reader adds the CPUs' values up.
 */
#include <errno.h>
#include <stdlib.h>

#include "compile/cg.h"
#include "output/format.h"
#include "runtime/aggmap.h"
#include "runtime/maps.h"
#include "runtime/record.h"
#include "util.h"

/* What the aggregation path keeps while it is built. */
struct agg_cg {
	struct cg *cg;
	struct ir *ir;
	const struct key_layout *k;
	int key;		/* vreg: the key's address */
	int ticket;		/* vreg: the -M ticket, -1 without -M */
	int value;		/* vreg: the histogram's value, -1 for counts */
	bool value_signed;	/* ... compared as a signed number */
	int bucket;		/* vreg: its bucket */
	int done;		/* label: counted or not, before the -M check */
};

/* Slot @kind of this probe in MAP_LOST (see enum agg_lost). */
static int lost_slot(const struct agg_cg *a, enum agg_lost kind)
{
	return (int)kind * (int)a->cg->s->nprobes + a->cg->p->id;
}

/*
 * -M counts events taken: each takes a ticket, and those past -M are not
 * counted. The fetch-add makes the count exact across CPUs.
 */
static void emit_ticket(struct agg_cg *a)
{
	long max = a->cg->s->opt.max_events;
	struct ir *ir = a->ir;
	int p, m;

	a->ticket = -1;
	if (!max)
		return;
	ir_comment(ir, "-M: take a ticket");
	p = ir_vreg(ir);
	a->ticket = ir_vreg(ir);
	maps_use(a->cg->s, MAP_TAKEN);
	ir_ld_map_value(ir, p, MAP_TAKEN, 0);
	ir_mov_imm(ir, a->ticket, 1);
	ir_atomic_fetch_add(ir, 8, p, 0, a->ticket);
	if (max <= INT32_MAX) {
		ir_jcond_imm(ir, BPF_JGE, a->ticket, (int32_t)max, a->cg->out);
	} else {
		m = ir_vreg(ir);
		ir_mov_imm(ir, m, max);
		ir_jcond(ir, BPF_JGE, a->ticket, m, a->cg->out);
	}
}

/* The last ticket tells user space, through the ring buffer, that -M is reached. */
static void emit_last_ticket(struct agg_cg *a)
{
	long max = a->cg->s->opt.max_events;
	struct ir *ir = a->ir;
	int rec, args[3], m;

	if (a->ticket < 0)
		return;
	ir_comment(ir, "-M: the last event wakes user space");
	if (max - 1 <= INT32_MAX) {
		ir_jcond_imm(ir, BPF_JNE, a->ticket, (int32_t)(max - 1), a->cg->out);
	} else {
		m = ir_vreg(ir);
		ir_mov_imm(ir, m, max - 1);
		ir_jcond(ir, BPF_JNE, a->ticket, m, a->cg->out);
	}
	rec = ir_vreg(ir);
	args[0] = ir_vreg(ir);
	cg_map_ref(a->cg, args[0], MAP_EVENTS);
	args[1] = ir_vreg(ir);
	ir_mov_imm(ir, args[1], 8);
	args[2] = ir_vreg(ir);
	ir_mov_imm(ir, args[2], 0);
	ir_call(ir, BPF_FUNC_ringbuf_reserve, rec, 3, args);
	ir_jcond_imm(ir, BPF_JEQ, rec, 0, a->cg->out);
	ir_store_imm(ir, 4, rec, 0, a->cg->p->id);
	ir_store_imm(ir, 4, rec, 4, 0);
	args[0] = rec;
	args[1] = ir_vreg(ir);
	ir_mov_imm(ir, args[1], 0);
	ir_call(ir, BPF_FUNC_ringbuf_submit, -1, 2, args);
}

static void mark(bool *written, int off, int len)
{
	for (int i = 0; off >= 0 && i < len; i++)
		written[off + i] = true;
}

/*
 * Zero the key's bytes that no field writes whole (strings end at their
 * NUL, padding, the room up to the largest probe's key): equal events
 * must make equal keys, and the verifier wants every byte of it set.
 */
static void emit_key_zero(struct agg_cg *a)
{
	const struct key_layout *k = a->k;
	const struct probe *p = a->cg->p;
	int size = a->cg->s->agg_key_size;
	bool *written = xcalloc((size_t)size, sizeof(*written));

	mark(written, 0, 4);
	mark(written, k->tgid, 4);
	mark(written, k->epoch, 4);
	mark(written, k->kstack, 4);
	mark(written, k->kcaller, 8);
	mark(written, k->ustack, 4);
	mark(written, k->ubid, 4);
	mark(written, k->func_ip, 8);
	mark(written, k->uret, 8);
	mark(written, k->comm, REC_COMM_LEN);
	for (size_t i = 0; i < p->layout.nslots; i++)
		if (!fmt_conv_is_string(&p->layout.fmt->convs[i]))
			mark(written, k->values[i], 8);
	for (int w = 0; w + 8 <= size; w += 8) {
		bool whole = true;

		for (int i = w; i < w + 8; i++)
			whole = whole && written[i];
		if (!whole)
			ir_store_imm(a->ir, 8, a->key, (int16_t)w, 0);
	}
	free(written);
}

/* The key's address: on the stack, or (large keys) in the probe's scratch slice. */
static void emit_key_base(struct agg_cg *a)
{
	struct cg *cg = a->cg;

	a->key = ir_vreg(a->ir);
	if (cg->key_scratch >= 0) {
		ir_mov(a->ir, a->key, cg->scratch_base);
		ir_alu_imm(a->ir, BPF_ADD, a->key, cg->key_scratch);
	} else {
		ir_stack_addr(a->ir, a->key,
			      (int16_t)ir_stack_alloc(a->ir, cg->s->agg_key_size, 8));
	}
}

/*
 * A stack id into the key at @off. The stack map may have no room, or its
 * bucket for this stack may hold another one (no BPF_F_REUSE_STACKID: that
 * would silently give earlier keys the new stack): the id is then -errno,
 * printed as such, and counted in MAP_LOST. -EFAULT only says there is no
 * stack (a kernel thread's user stack): no failure.
 */
static void emit_stackid(struct agg_cg *a, enum map_role role, int flags, int off,
			 enum agg_lost kind)
{
	struct ir *ir = a->ir;
	int args[3], id = ir_vreg(ir), ok = ir_label(ir);

	args[0] = a->cg->ctx;
	args[1] = ir_vreg(ir);
	cg_map_ref(a->cg, args[1], role);
	args[2] = ir_vreg(ir);
	ir_mov_imm(ir, args[2], flags);
	ir_call(ir, BPF_FUNC_get_stackid, id, 3, args);
	ir_store(ir, 4, a->key, (int16_t)off, id);
	ir_jcond_imm(ir, BPF_JSGE, id, 0, ok);
	ir_jcond_imm(ir, BPF_JEQ, id, -EFAULT, ok);
	cg_count_lost_in(a->cg, lost_slot(a, kind), ok);
	ir_bind(ir, ok);
}

/*
 * The probed function's caller where the kernel's stack walk misses it
 * (arm64 kprobes at a function's entry: it is only in the link register):
 * part of the key, put back into the stack when it is printed.
 */
static void emit_key_kcaller(struct agg_cg *a)
{
	struct sinfo si = { .res = RES_LOC, .ty = { .kind = TY_INT, .size = 8 } };
	const struct probe *p = a->cg->p;
	struct val v;

	p->prov->kstack_caller(p, &si.loc);
	if (si.loc.kind != LOC_CTX) {
		ir_store_imm(a->ir, 8, a->key, (int16_t)a->k->kcaller, 0);
		return;
	}
	ir_comment(a->ir, "the caller the kernel stack walk misses");
	v = cg_loc_value(a->cg, &si);
	ir_store(a->ir, 8, a->key, (int16_t)a->k->kcaller, cg_int_reg(a->cg, &v));
}

static void emit_key_stacks(struct agg_cg *a)
{
	const struct key_layout *k = a->k;

	if (k->kstack >= 0) {
		ir_comment(a->ir, "kernel stack id");
		emit_stackid(a, MAP_KSTACKS, 0, k->kstack, AGG_LOST_KSTACK);
	}
	if (k->kcaller >= 0)
		emit_key_kcaller(a);
	if (k->ustack >= 0) {
		ir_comment(a->ir, "user stack ids: addresses, build-ids");
		emit_stackid(a, MAP_USTACKS, BPF_F_USER_STACK, k->ustack, AGG_LOST_USTACK);
		emit_stackid(a, MAP_UBIDS, BPF_F_USER_STACK, k->ubid, AGG_LOST_USTACK);
	}
	if (k->uret >= 0)
		cg_entry_ret(a->cg, a->key, k->uret);
}

/* An integer as its conversion prints it: equal printed values make equal keys. */
static int conv_value(struct agg_cg *a, const struct fmt_conv *c, struct val *v)
{
	int r = cg_int_copy(a->cg, v);

	if (c->size < 8)
		cg_extend(a->cg, r, c->size, c->is_signed);
	return r;
}

/*
 * A string into the key: at most -Z + 1 characters and the NUL, the rest
 * of the slot left zero, so equal strings make equal keys. One longer than
 * -Z prints cut whatever its next character is: that byte becomes 1.
 */
static void emit_key_string(struct agg_cg *a, struct val *v, int off)
{
	struct cg *cg = a->cg;
	struct ir *ir = a->ir;
	int z = cg->s->opt.string_size, args[3], t, skip;
	bool array = (v->where == VAL_CTX || v->where == VAL_MEM) && v->ty.kind == TY_ARRAY &&
		     v->ty.size > 0 && v->ty.size < z + 2 && cg->key_str_tmp >= 0;

	if (array) {
		/* Copied whole into scratch (and ended), then up to its NUL into the key. */
		args[2] = ir_vreg(ir);
		ir_mov(ir, args[2], cg->scratch_base);
		ir_alu_imm(ir, BPF_ADD, args[2], cg->key_str_tmp);
		cg_store_string_at(cg, v, args[2], 0, v->ty.size + 1);
		args[0] = ir_vreg(ir);
		ir_mov(ir, args[0], a->key);
		ir_alu_imm(ir, BPF_ADD, args[0], off);
		args[1] = ir_vreg(ir);
		ir_mov_imm(ir, args[1], v->ty.size + 1);
		ir_call(ir, BPF_FUNC_probe_read_kernel_str, -1, 3, args);
		if (v->ty.size <= z)
			return;
	} else {
		cg_store_string_at(cg, v, a->key, off, z + 2);
	}
	t = ir_vreg(ir);
	skip = ir_label(ir);
	ir_load(ir, 1, t, a->key, (int16_t)(off + z));
	ir_jcond_imm(ir, BPF_JEQ, t, 0, skip);
	ir_store_imm(ir, 1, a->key, (int16_t)(off + z), 1);
	ir_bind(ir, skip);
}

static void emit_key_values(struct agg_cg *a)
{
	struct cg *cg = a->cg;
	const struct probe *p = cg->p;

	for (size_t i = 0; i < p->layout.nslots; i++) {
		const struct fmt_conv *c = &p->layout.fmt->convs[i];
		int off = a->k->values[i];
		struct val v;

		if (off < 0)
			continue;
		ir_comment(a->ir, "value %zu", i + 1);
		v = cg_expr(cg, p->spec.args[i]);
		if (fmt_conv_is_string(c))
			emit_key_string(a, &v, off);
		else
			ir_store(a->ir, 8, a->key, (int16_t)off, conv_value(a, c, &v));
	}
}

static void emit_key(struct agg_cg *a)
{
	const struct key_layout *k = a->k;
	struct cg *cg = a->cg;
	struct ir *ir = a->ir;
	int v, args[2];

	ir_comment(ir, "the key");
	emit_key_base(a);
	emit_key_zero(a);
	ir_store_imm(ir, 4, a->key, 0, cg->p->id);
	if (k->tgid >= 0) {
		v = ir_vreg(ir);
		if (cg->pid_tgid >= 0)
			ir_mov(ir, v, cg->pid_tgid);
		else
			ir_call(ir, BPF_FUNC_get_current_pid_tgid, v, 0, NULL);
		ir_alu_imm(ir, BPF_RSH, v, 32);
		ir_store(ir, 4, a->key, (int16_t)k->tgid, v);
	}
	if (k->epoch >= 0) {
		/* -i: the interval user space counts in now, next to the stop flag. */
		v = ir_vreg(ir);
		maps_use(cg->s, MAP_CTL);
		ir_ld_map_value(ir, v, MAP_CTL, 4);
		ir_load(ir, 4, v, v, 0);
		ir_store(ir, 4, a->key, (int16_t)k->epoch, v);
	}
	if (k->func_ip >= 0 && cg->p->records_func_ip)
		ir_store(ir, 8, a->key, (int16_t)k->func_ip, cg_func_ip(cg));
	else if (k->func_ip >= 0 && cg->p->layout.records_base)
		ir_store(ir, 8, a->key, (int16_t)k->func_ip, cg_file_base(cg));
	else if (k->func_ip >= 0)
		ir_store_imm(ir, 8, a->key, (int16_t)k->func_ip, 0);
	if (k->comm >= 0) {
		args[0] = ir_vreg(ir);
		ir_mov(ir, args[0], a->key);
		ir_alu_imm(ir, BPF_ADD, args[0], k->comm);
		args[1] = ir_vreg(ir);
		ir_mov_imm(ir, args[1], REC_COMM_LEN);
		ir_call(ir, BPF_FUNC_get_current_comm, -1, 2, args);
	}
	emit_key_stacks(a);
	emit_key_values(a);
}

/*
 * -H: bucket 0 for negative values, 1 for 0, else 2 + floor(log2(v)),
 * without a loop or a branch per bit: at each step, b = (v >> k != 0) is
 * (v >> k + 2^k - 1) >> k, and v shifts down by b * k. The verifier sees
 * every intermediate value bounded.
 */
static int emit_log2_bucket(struct agg_cg *a)
{
	static const int steps[] = { 32, 16, 8, 4, 2, 1 };
	struct ir *ir = a->ir;
	int idx = ir_vreg(ir), u = ir_vreg(ir), t = ir_vreg(ir), c, have = ir_label(ir);

	ir_comment(ir, "log2 bucket");
	ir_mov_imm(ir, idx, 0);
	if (a->value_signed)
		ir_jcond_imm(ir, BPF_JSLT, a->value, 0, have);
	ir_mov_imm(ir, idx, 1);
	ir_jcond_imm(ir, BPF_JEQ, a->value, 0, have);
	ir_mov(ir, u, a->value);
	ir_mov_imm(ir, idx, 2);
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		int k = steps[i];

		ir_mov(ir, t, u);
		ir_alu_imm(ir, BPF_RSH, t, k);
		if (k == 32) {
			/* 2^32 - 1 is no 32-bit immediate: a register holds it. */
			c = ir_vreg(ir);
			ir_mov_imm(ir, c, 0xffffffffll);
			ir_alu(ir, BPF_ADD, t, c);
		} else {
			ir_alu_imm(ir, BPF_ADD, t, (1 << k) - 1);
		}
		ir_alu_imm(ir, BPF_RSH, t, k);
		if (k > 1) {
			ir_alu_imm(ir, BPF_LSH, t, __builtin_ctz((unsigned int)k));
			ir_alu(ir, BPF_RSH, u, t);
		}
		ir_alu(ir, BPF_ADD, idx, t);
	}
	ir_bind(ir, have);
	return idx;
}

/* @v (a vreg) compared with a 64-bit constant: jump to @label when "v OP imm". */
static void jcond_wide(struct ir *ir, int op, int v, long long imm, int label)
{
	int r;

	if (imm >= INT32_MIN && imm <= INT32_MAX) {
		ir_jcond_imm(ir, op, v, (int32_t)imm, label);
		return;
	}
	r = ir_vreg(ir);
	ir_mov_imm(ir, r, imm);
	ir_jcond(ir, op, v, r, label);
}

/*
 * --lhist: bucket 0 below MIN, 1 + (v - MIN) / STEP up to MAX, the last
 * one from MAX on. An unsigned value past 2^63 is above any MAX.
 */
static int emit_linear_bucket(struct agg_cg *a)
{
	const struct options *o = &a->cg->s->opt;
	struct ir *ir = a->ir;
	int idx = ir_vreg(ir), have = ir_label(ir), r;

	ir_comment(ir, "linear bucket");
	ir_mov_imm(ir, idx, agg_linear_inner(o) + 1);
	if (!a->value_signed)
		ir_jcond_imm(ir, BPF_JSLT, a->value, 0, have);
	jcond_wide(ir, BPF_JSGE, a->value, o->lhist_max, have);
	ir_mov_imm(ir, idx, 0);
	jcond_wide(ir, BPF_JSLT, a->value, o->lhist_min, have);
	ir_mov(ir, idx, a->value);
	if (o->lhist_min >= INT32_MIN && o->lhist_min <= INT32_MAX) {
		ir_alu_imm(ir, BPF_SUB, idx, (int32_t)o->lhist_min);
	} else {
		r = ir_vreg(ir);
		ir_mov_imm(ir, r, o->lhist_min);
		ir_alu(ir, BPF_SUB, idx, r);
	}
	/* Unsigned division: v - MIN is not negative here. */
	if (o->lhist_step <= INT32_MAX) {
		ir_alu_imm(ir, BPF_DIV, idx, (int32_t)o->lhist_step);
	} else {
		r = ir_vreg(ir);
		ir_mov_imm(ir, r, o->lhist_step);
		ir_alu(ir, BPF_DIV, idx, r);
	}
	ir_alu_imm(ir, BPF_ADD, idx, 1);
	ir_bind(ir, have);
	return idx;
}

/* The histogram's value, as its conversion reads it, and its bucket. */
static void emit_hist_value(struct agg_cg *a)
{
	struct cg *cg = a->cg;
	const struct probe *p = cg->p;
	const struct fmt_conv *c;
	struct val v;

	a->value = a->bucket = -1;
	if (a->k->hist < 0)
		return;
	c = &p->layout.fmt->convs[a->k->hist];
	ir_comment(a->ir, "the value drawn: value %d", a->k->hist + 1);
	v = cg_expr(cg, p->spec.args[a->k->hist]);
	a->value = conv_value(a, c, &v);
	a->value_signed = c->is_signed;
	a->bucket = cg->s->opt.agg == AGG_LOG2 ? emit_log2_bucket(a) : emit_linear_bucket(a);
}

/*
 * The key's value in this CPU's slot: found, or inserted as zero (another
 * CPU may insert the same key first: looked up again either way). NULL
 * only when the map is full.
 */
static int emit_lookup(struct agg_cg *a, int not_counted)
{
	struct ir *ir = a->ir;
	int val = ir_vreg(ir), have = ir_label(ir), args[4];

	ir_comment(ir, "count: find the key, or add it");
	args[0] = ir_vreg(ir);
	cg_map_ref(a->cg, args[0], MAP_AGG);
	args[1] = a->key;
	ir_call(ir, BPF_FUNC_map_lookup_elem, val, 2, args);
	ir_jcond_imm(ir, BPF_JNE, val, 0, have);
	args[0] = ir_vreg(ir);
	cg_map_ref(a->cg, args[0], MAP_AGG);
	args[2] = ir_vreg(ir);
	maps_use(a->cg->s, MAP_AGG_ZERO);
	ir_ld_map_value(ir, args[2], MAP_AGG_ZERO, 0);
	args[3] = ir_vreg(ir);
	ir_mov_imm(ir, args[3], BPF_NOEXIST);
	ir_call(ir, BPF_FUNC_map_update_elem, -1, 4, args);
	args[0] = ir_vreg(ir);
	cg_map_ref(a->cg, args[0], MAP_AGG);
	ir_call(ir, BPF_FUNC_map_lookup_elem, val, 2, args);
	ir_jcond_imm(ir, BPF_JEQ, val, 0, not_counted);
	ir_bind(ir, have);
	return val;
}

static void emit_add(struct ir *ir, int base, int off, int v)
{
	int n = ir_vreg(ir);

	ir_load(ir, 8, n, base, (int16_t)off);
	if (v < 0)
		ir_alu_imm(ir, BPF_ADD, n, 1);
	else
		ir_alu(ir, BPF_ADD, n, v);
	ir_store(ir, 8, base, (int16_t)off, n);
}

/* Histograms: min and max (the first value sets both), sum, and the bucket. */
static void emit_hist_update(struct agg_cg *a, int val)
{
	struct ir *ir = a->ir;
	int c = ir_vreg(ir), m = ir_vreg(ir), b = ir_vreg(ir), p = ir_vreg(ir);
	int first = ir_label(ir), skip = ir_label(ir), sum = ir_label(ir);
	int nb = agg_nbuckets(&a->cg->s->opt);

	ir_load(ir, 8, c, val, AGG_OFF_COUNT);
	ir_jcond_imm(ir, BPF_JEQ, c, 0, first);
	ir_load(ir, 8, m, val, AGG_OFF_MIN);
	ir_jcond(ir, a->value_signed ? BPF_JSGE : BPF_JGE, a->value, m, skip);
	ir_store(ir, 8, val, AGG_OFF_MIN, a->value);
	ir_bind(ir, skip);
	ir_load(ir, 8, m, val, AGG_OFF_MAX);
	ir_jcond(ir, a->value_signed ? BPF_JSLE : BPF_JLE, a->value, m, sum);
	ir_store(ir, 8, val, AGG_OFF_MAX, a->value);
	ir_jmp(ir, sum);
	ir_bind(ir, first);
	ir_store(ir, 8, val, AGG_OFF_MIN, a->value);
	ir_store(ir, 8, val, AGG_OFF_MAX, a->value);
	ir_bind(ir, sum);
	emit_add(ir, val, AGG_OFF_COUNT, -1);
	emit_add(ir, val, AGG_OFF_SUM, a->value);
	/* Never taken: it tells the verifier the bucket is inside the value. */
	ir_jcond_imm(ir, BPF_JGT, a->bucket, nb - 1, a->done);
	ir_mov(ir, b, a->bucket);
	ir_alu_imm(ir, BPF_LSH, b, 3);
	ir_mov(ir, p, val);
	ir_alu(ir, BPF_ADD, p, b);
	emit_add(ir, p, AGG_OFF_BUCKETS, -1);
}

void cg_emit_aggregate(struct cg *cg)
{
	struct agg_cg a = { .cg = cg, .ir = cg->ir, .k = &cg->p->layout.key };
	struct ir *ir = cg->ir;
	int not_counted = ir_label(ir), val;

	a.done = ir_label(ir);
	emit_ticket(&a);
	emit_key(&a);
	emit_hist_value(&a);
	val = emit_lookup(&a, not_counted);
	if (a.bucket >= 0)
		emit_hist_update(&a, val);
	else
		emit_add(ir, val, AGG_OFF_COUNT, -1);
	ir_jmp(ir, a.done);
	ir_bind(ir, not_counted);
	ir_comment(ir, "the map is full: count the event as not counted");
	cg_count_lost_in(cg, lost_slot(&a, AGG_LOST_EVENTS), a.done);
	ir_bind(ir, a.done);
	emit_last_ticket(&a);
}
