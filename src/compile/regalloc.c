// SPDX-License-Identifier: BSD-2-Clause
/*
 * Liveness analysis and linear-scan register allocation.
 *
 * 1. Basic blocks and their successors; blocks that cannot be reached from
 *    the entry are dropped (the verifier rejects unreachable code).
 * 2. Backward dataflow over the blocks, iterated to a fixed point so that
 *    loops (backward jumps) are handled. Pure instructions whose result is
 *    never read are marked dead and the analysis repeats, since removing
 *    them can make their own operands dead.
 * 3. One live interval per vreg over the linear instruction order: the
 *    smallest range covering every point where it is live. Instruction i
 *    reads its operands at position 2i and writes its result at 2i + 1, so
 *    a value that dies at i can share a register with the one i defines.
 * 4. Linear scan (Poletto & Sarkar). Helper calls clobber r0-r5, so an
 *    interval that crosses a call may only use r6-r9. One that ends at a
 *    call, as an argument, may also use the argument registers the call
 *    does not need for other values (ideally its own, so that no move is
 *    needed). Others may use r1-r4 and r0 as well. Hints steer values to
 *    the register they arrive in or leave from (r1 for the context, r0
 *    for helper results and the return value, r1-r5 for arguments) and
 *    coalesce moves.
 * 5. r5, and r0 where it overlaps spill code, are kept free as scratch
 *    registers for spill code; allocation is redone without r0 for the
 *    intervals where that matters. When nothing is free, the interval with
 *    the fewest occurrences per remaining position is spilled: it lives in
 *    an 8-byte aligned stack slot for its whole life, which the verifier
 *    tracks for pointers too. Slots are shared by intervals that do not
 *    overlap and come after the ir_stack_alloc() area.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "compile/ir_internal.h"
#include "util.h"

struct interval {
	int v;
	int start, end;		/* positions, inclusive */
	int uses;		/* occurrences, to choose what to spill */
	unsigned int allowed;	/* mask of registers it may live in */
	int hint;		/* register that saves a move, or -1 */
	int fwd;		/* hint of the vreg it is moved into at its end */
	int reg;		/* result: register or IR_SPILLED */
};

struct ra {
	const struct ir *ir;
	struct ir_plan *plan;
	int n;			/* IR instructions */
	int nv;			/* vregs */
	size_t words;		/* 64-bit words in one vreg set */
	int *block_of;		/* insn -> block */
	uint64_t *gen, *kill, *in, *out;	/* nblocks sets each */
	int *start, *end, *uses;		/* per vreg */
	int *calls;		/* indices of the calls that are emitted */
	int ncalls;
};

/* ---- vreg sets ---- */

static uint64_t *set_of(const struct ra *ra, uint64_t *sets, int b)
{
	return sets + (size_t)b * ra->words;
}

static bool set_has(const uint64_t *s, int v)
{
	return s[v / 64] >> (v % 64) & 1;
}

static void set_add(uint64_t *s, int v)
{
	s[v / 64] |= 1ull << (v % 64);
}

static void set_del(uint64_t *s, int v)
{
	s[v / 64] &= ~(1ull << (v % 64));
}

/* ---- control flow ---- */

static int label_block(const struct ra *ra, int label)
{
	return ra->block_of[ra->ir->label_at[label]];
}

static void find_blocks(struct ra *ra)
{
	const struct ir_insn *insns = ra->ir->insns;
	struct ir_plan *plan = ra->plan;
	int nb = 0;

	for (int i = 0; i < ra->n; i++) {
		if (i == 0 || insns[i].op == IR_LABEL ||
		    ir_insn_ends_block(&insns[i - 1]))
			nb++;
		ra->block_of[i] = nb - 1;
	}
	plan->nblocks = nb;
	plan->blocks = xcalloc(nb, sizeof(*plan->blocks));
	for (int i = 0; i < ra->n; i++) {
		struct ir_block *b = &plan->blocks[ra->block_of[i]];

		if (i == 0 || ra->block_of[i - 1] != ra->block_of[i])
			b->first = i;
		b->last = i;
	}
}

/* Successors; nblocks stands for "falls off the end of the program". */
static void link_blocks(struct ra *ra)
{
	struct ir_plan *plan = ra->plan;

	for (int b = 0; b < plan->nblocks; b++) {
		struct ir_block *blk = &plan->blocks[b];
		const struct ir_insn *t = &ra->ir->insns[blk->last];

		blk->succ[0] = blk->succ[1] = -1;
		switch (t->op) {
		case IR_JMP:
			blk->succ[0] = label_block(ra, t->label);
			break;
		case IR_JCOND:
		case IR_JCOND_IMM:
			blk->succ[0] = label_block(ra, t->label);
			blk->succ[1] = b + 1;
			break;
		case IR_EXIT:
		case IR_EXIT_IMM:
			break;
		default:
			blk->succ[0] = b + 1;
			break;
		}
	}
}

static int mark_reachable(struct ra *ra, char *err, size_t errlen)
{
	struct ir_plan *plan = ra->plan;
	int *stack = xmalloc(plan->nblocks * sizeof(int));
	int sp = 0, ret = 0;

	plan->blocks[0].reachable = true;
	stack[sp++] = 0;
	while (sp) {
		struct ir_block *blk = &plan->blocks[stack[--sp]];

		for (int k = 0; k < 2; k++) {
			int s = blk->succ[k];

			if (s == plan->nblocks) {
				ret = ir_fail(err, errlen, -EINVAL,
					      "internal error: control reaches the end of the program without an exit");
				continue;
			}
			if (s < 0 || plan->blocks[s].reachable)
				continue;
			plan->blocks[s].reachable = true;
			stack[sp++] = s;
		}
	}
	free(stack);
	return ret;
}

static int build_cfg(struct ra *ra, char *err, size_t errlen)
{
	const struct ir *ir = ra->ir;

	for (int i = 0; i < ra->n; i++) {
		const struct ir_insn *in = &ir->insns[i];

		if (in->op != IR_LABEL && in->label >= 0 &&
		    ir->label_at[in->label] < 0)
			return ir_fail(err, errlen, -EINVAL,
				       "internal error: label L%d is used but never bound",
				       in->label);
	}
	find_blocks(ra);
	link_blocks(ra);
	return mark_reachable(ra, err, errlen);
}

/* ---- liveness ---- */

/* Whether instruction @i is emitted at all (dead calls still are). */
static bool insn_live(const struct ra *ra, int i)
{
	return !ra->plan->dead[i] || ra->ir->insns[i].op == IR_CALL;
}

/* The vreg @i writes, unless its result is unused. */
static int insn_def(const struct ra *ra, int i)
{
	return ra->plan->dead[i] ? -1 : ir_insn_def(&ra->ir->insns[i]);
}

static void local_sets(struct ra *ra)
{
	struct ir_plan *plan = ra->plan;
	size_t bytes = plan->nblocks * ra->words * sizeof(uint64_t);
	int uses[IR_MAX_ARGS];

	memset(ra->gen, 0, bytes);
	memset(ra->kill, 0, bytes);
	for (int b = 0; b < plan->nblocks; b++) {
		uint64_t *gen = set_of(ra, ra->gen, b);
		uint64_t *kill = set_of(ra, ra->kill, b);

		if (!plan->blocks[b].reachable)
			continue;
		for (int i = plan->blocks[b].first; i <= plan->blocks[b].last; i++) {
			int nu, d;

			if (!insn_live(ra, i))
				continue;
			nu = ir_insn_uses(&ra->ir->insns[i], uses);
			for (int k = 0; k < nu; k++)
				if (!set_has(kill, uses[k]))
					set_add(gen, uses[k]);
			d = insn_def(ra, i);
			if (d >= 0)
				set_add(kill, d);
		}
	}
}

/* in = gen | (out & ~kill), out = union of the successors' in. */
static void solve(struct ra *ra)
{
	struct ir_plan *plan = ra->plan;
	bool changed;

	memset(ra->in, 0, plan->nblocks * ra->words * sizeof(uint64_t));
	do {
		changed = false;
		for (int b = plan->nblocks - 1; b >= 0; b--) {
			uint64_t *out = set_of(ra, ra->out, b);
			uint64_t *in = set_of(ra, ra->in, b);
			const uint64_t *gen = set_of(ra, ra->gen, b);
			const uint64_t *kill = set_of(ra, ra->kill, b);
			const struct ir_block *blk = &plan->blocks[b];

			if (!blk->reachable)
				continue;
			memset(out, 0, ra->words * sizeof(uint64_t));
			for (int k = 0; k < 2; k++) {
				int s = blk->succ[k];

				if (s < 0 || s >= plan->nblocks)
					continue;
				for (size_t w = 0; w < ra->words; w++)
					out[w] |= set_of(ra, ra->in, s)[w];
			}
			for (size_t w = 0; w < ra->words; w++) {
				uint64_t nw = gen[w] | (out[w] & ~kill[w]);

				if (nw != in[w]) {
					in[w] = nw;
					changed = true;
				}
			}
		}
	} while (changed);
}

/*
 * Walk each block backwards from its live-out set and mark instructions
 * whose result nobody reads. Returns whether anything new was marked.
 */
static bool mark_dead(struct ra *ra, uint64_t *live)
{
	struct ir_plan *plan = ra->plan;
	int uses[IR_MAX_ARGS];
	bool changed = false;

	for (int b = 0; b < plan->nblocks; b++) {
		const struct ir_block *blk = &plan->blocks[b];

		if (!blk->reachable)
			continue;
		memcpy(live, set_of(ra, ra->out, b), ra->words * sizeof(uint64_t));
		for (int i = blk->last; i >= blk->first; i--) {
			const struct ir_insn *in = &ra->ir->insns[i];
			int d = insn_def(ra, i), nu;

			if (!insn_live(ra, i))
				continue;
			if (d >= 0 && !set_has(live, d)) {
				plan->dead[i] = true;
				changed = true;
				if (ir_insn_is_pure(in))
					continue;
				d = -1;
			}
			if (d >= 0)
				set_del(live, d);
			nu = ir_insn_uses(in, uses);
			for (int k = 0; k < nu; k++)
				set_add(live, uses[k]);
		}
	}
	return changed;
}

static int first_set(const uint64_t *s, size_t words)
{
	for (size_t w = 0; w < words; w++)
		if (s[w])
			return (int)(w * 64) + __builtin_ctzll(s[w]);
	return -1;
}

static int liveness(struct ra *ra, char *err, size_t errlen)
{
	uint64_t *live = xcalloc(ra->words, sizeof(uint64_t));
	int v;

	do {
		local_sets(ra);
		solve(ra);
	} while (mark_dead(ra, live));
	free(live);
	/* Only a code generation bug reads a vreg no path has written. */
	v = first_set(set_of(ra, ra->in, 0), ra->words);
	if (v >= 0)
		return ir_fail(err, errlen, -EINVAL,
			       "internal error: v%d is read before it is set", v);
	return 0;
}

/* ---- live intervals ---- */

static void extend(struct ra *ra, int v, int pos)
{
	if (pos < ra->start[v])
		ra->start[v] = pos;
	if (pos > ra->end[v])
		ra->end[v] = pos;
}

static void extend_set(struct ra *ra, const uint64_t *s, int pos)
{
	for (size_t w = 0; w < ra->words; w++)
		for (uint64_t bits = s[w]; bits; bits &= bits - 1)
			extend(ra, (int)(w * 64) + __builtin_ctzll(bits), pos);
}

static void block_ranges(struct ra *ra, int b)
{
	const struct ir_block *blk = &ra->plan->blocks[b];
	int uses[IR_MAX_ARGS];

	extend_set(ra, set_of(ra, ra->in, b), 2 * blk->first);
	extend_set(ra, set_of(ra, ra->out, b), 2 * blk->last + 1);
	for (int i = blk->first; i <= blk->last; i++) {
		const struct ir_insn *in = &ra->ir->insns[i];
		int nu, d;

		if (!insn_live(ra, i))
			continue;
		nu = ir_insn_uses(in, uses);
		for (int k = 0; k < nu; k++) {
			extend(ra, uses[k], 2 * i);
			ra->uses[uses[k]]++;
		}
		d = insn_def(ra, i);
		if (d >= 0) {
			extend(ra, d, 2 * i + 1);
			ra->uses[d]++;
		}
		if (in->op == IR_CALL)
			ra->calls[ra->ncalls++] = i;
	}
}

/* Index of the first call at or after position @pos. */
static int call_after(const struct ra *ra, int pos)
{
	int lo = 0, hi = ra->ncalls;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (2 * ra->calls[mid] < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Whether @iv starts as the result of a call or ends as a returned value. */
static bool wants_r0(const struct ra *ra, const struct interval *iv)
{
	const struct ir_insn *def = &ra->ir->insns[iv->start / 2];
	const struct ir_insn *use = &ra->ir->insns[iv->end / 2];

	return ((iv->start & 1) && def->op == IR_CALL) ||
	       (!(iv->end & 1) && use->op == IR_EXIT && use->a == iv->v);
}

/*
 * Which registers @iv may use. Argument setup before a call writes r1-r5
 * in any order; it cannot clobber a value it still has to move as long as
 * every argument sits in a callee-saved register, r0, on the stack, or in
 * an argument register that no other value is destined for.
 */
static void classify(const struct ra *ra, struct interval *iv, bool r0_ok)
{
	int c = call_after(ra, iv->start);
	const struct ir_insn *call;

	iv->hint = -1;
	iv->allowed = IR_CALLEE_POOL | IR_CALLER_POOL |
		      (r0_ok ? IR_REG(BPF_REG_0) : 0);
	if (c < ra->ncalls && 2 * ra->calls[c] < iv->end) {
		iv->allowed = IR_CALLEE_POOL;
		return;
	}
	if (c < ra->ncalls && 2 * ra->calls[c] == iv->end) {
		call = &ra->ir->insns[ra->calls[c]];
		for (int k = 0; k < call->nargs; k++) {
			if (call->args[k] != iv->v)
				iv->allowed &= ~IR_REG(k + 1);
			else if (iv->hint < 0 &&
				 (IR_REG(k + 1) & IR_CALLER_POOL))
				iv->hint = k + 1;
		}
	} else if (iv->start == 1 && ra->ir->insns[0].op == IR_ENTRY &&
		   ra->ir->insns[0].dst == iv->v) {
		/* The context arrives in r1: keeping it there saves a move. */
		iv->hint = BPF_REG_1;
	}
	/* Helpers return in r0 and so does the program. */
	if (iv->hint < 0 && r0_ok && wants_r0(ra, iv))
		iv->hint = BPF_REG_0;
}

/* ---- linear scan ---- */

#define NREGS 11

struct scan {
	struct interval *active[NREGS];
	int nactive;
	unsigned int busy;		/* registers held by active */
	int free_since[NREGS];	/* end of the last interval in the reg */
};

static const int caller_regs[] = { 1, 2, 3, 4 };
static const int callee_regs[] = { 6, 7, 8, 9 };

static void expire(struct scan *sc, int pos)
{
	for (int i = 0; i < sc->nactive;) {
		struct interval *a = sc->active[i];

		if (a->end < pos) {
			sc->free_since[a->reg] = a->end;
			sc->busy &= ~IR_REG(a->reg);
			sc->active[i] = sc->active[--sc->nactive];
		} else {
			i++;
		}
	}
}

static struct interval *holder(struct scan *sc, int reg)
{
	for (int i = 0; i < sc->nactive; i++)
		if (sc->active[i]->reg == reg)
			return sc->active[i];
	return NULL;
}

static bool move_to(struct scan *sc, struct interval *a, int r)
{
	if (r < 0 || !(a->allowed & IR_REG(r)) || (sc->busy & IR_REG(r)) ||
	    sc->free_since[r] >= a->start)
		return false;
	sc->busy &= ~IR_REG(a->reg);
	sc->busy |= IR_REG(r);
	a->reg = r;
	return true;
}

/*
 * Move active @a to another register that has been free since before @a
 * started: code is only emitted after allocation, so this costs nothing
 * and frees @a's register for an interval that needs that one. An
 * interval sitting in its hinted register only moves where it saves a
 * move too.
 */
static bool relocate(struct scan *sc, struct interval *a)
{
	if (move_to(sc, a, a->fwd))
		return true;
	if (a->reg == a->hint)
		return false;
	if (move_to(sc, a, a->hint))
		return true;
	for (int r = 0; r < NREGS - 1; r++)
		if (move_to(sc, a, r))
			return true;
	return false;
}

static bool take(struct scan *sc, struct interval *cur, int r, bool evict)
{
	if (r < 0 || !(cur->allowed & IR_REG(r)))
		return false;
	if ((sc->busy & IR_REG(r)) &&
	    (!evict || !relocate(sc, holder(sc, r))))
		return false;
	cur->reg = r;
	sc->busy |= IR_REG(r);
	sc->active[sc->nactive++] = cur;
	return true;
}

static bool take_any(struct scan *sc, struct interval *cur, bool evict)
{
	for (size_t k = 0; k < ARRAY_SIZE(caller_regs); k++)
		if (take(sc, cur, caller_regs[k], evict))
			return true;
	/* r0 before r6-r9, which are the only home of values across calls. */
	if (take(sc, cur, BPF_REG_0, evict))
		return true;
	for (size_t k = 0; k < ARRAY_SIZE(callee_regs); k++)
		if (take(sc, cur, callee_regs[k], evict))
			return true;
	return false;
}

/*
 * Whether spilling @a is cheaper than spilling @b at position @now: a
 * spilled interval costs a load or store per occurrence and frees its
 * register for the rest of its life, so compare occurrences per position
 * still ahead; on a tie, free the register that stays busy longest.
 */
static bool cheaper(const struct interval *a, const struct interval *b,
		    int now)
{
	long long ca = (long long)a->uses * (b->end - now + 1);
	long long cb = (long long)b->uses * (a->end - now + 1);

	if (ca != cb)
		return ca < cb;
	return a->end > b->end;
}

/* Spill @cur or the competing active interval that is cheapest to spill. */
static void spill(struct scan *sc, struct interval *cur)
{
	struct interval *victim = cur;
	int vi = -1;

	for (int i = 0; i < sc->nactive; i++) {
		struct interval *a = sc->active[i];

		if ((cur->allowed & IR_REG(a->reg)) &&
		    cheaper(a, victim, cur->start)) {
			victim = a;
			vi = i;
		}
	}
	if (vi < 0) {
		cur->reg = IR_SPILLED;
		return;
	}
	cur->reg = victim->reg;
	victim->reg = IR_SPILLED;
	sc->active[vi] = cur;
}

/* The register of the value a move into @cur copies, if it dies there. */
static int move_hint(const struct ra *ra, struct interval **by_vreg,
		     const struct interval *cur)
{
	const struct ir_insn *in;
	const struct interval *src;

	if (!(cur->start & 1))
		return -1;
	in = &ra->ir->insns[cur->start / 2];
	if (in->op != IR_MOV &&
	    !(in->op == IR_ALU32 && in->code == BPF_MOV))
		return -1;
	src = by_vreg[in->a];
	if (!src || src->end != cur->start - 1 || src->reg < 0)
		return -1;
	return src->reg;
}

static void scan_one(const struct ra *ra, struct scan *sc,
		     struct interval **by_vreg, struct interval *cur)
{
	expire(sc, cur->start);
	if (take(sc, cur, cur->hint, true) ||
	    take(sc, cur, move_hint(ra, by_vreg, cur), false) ||
	    take(sc, cur, cur->fwd, false) ||
	    take_any(sc, cur, false) || take_any(sc, cur, true))
		return;
	spill(sc, cur);
}

static int by_start(const void *pa, const void *pb)
{
	const struct interval *a = pa, *b = pb;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->v - b->v;
}

/* Spill slots: 8 bytes, 8-aligned, shared by intervals that do not overlap. */
static int assign_slots(struct ra *ra, struct interval *iv, int niv,
			char *err, size_t errlen)
{
	struct ir_plan *plan = ra->plan;
	int base = (ra->ir->stack_used + 7) & ~7;
	int *busy_until = xmalloc((niv + 1) * sizeof(int));
	int nslots = 0;

	for (int i = 0; i < niv; i++) {
		int k;

		if (iv[i].reg != IR_SPILLED)
			continue;
		for (k = 0; k < nslots; k++)
			if (busy_until[k] < iv[i].start)
				break;
		if (k == nslots)
			nslots++;
		busy_until[k] = iv[i].end;
		plan->slot[iv[i].v] = (int16_t)-(base + 8 * (k + 1));
	}
	free(busy_until);
	plan->nslots = nslots;
	plan->stack_size = nslots ? base + 8 * nslots : ra->ir->stack_used;
	if (plan->stack_size <= IR_MAX_STACK)
		return 0;
	if (nslots)
		return ir_fail(err, errlen, -E2BIG,
			       "program needs %d bytes of stack (%d of them for spilled registers), BPF allows %d",
			       plan->stack_size, 8 * nslots, IR_MAX_STACK);
	return ir_fail(err, errlen, -E2BIG,
		       "program needs %d bytes of stack, BPF allows %d",
		       plan->stack_size, IR_MAX_STACK);
}

static bool spilled(const int *reg, int v)
{
	return v >= 0 && reg[v] == IR_SPILLED;
}

/*
 * Whether lowering @in reloads or computes a spilled vreg in scratch
 * register r0; this mirrors emit.c. Second operands go through r5, calls
 * load spilled arguments straight into r1-r5 and exits straight into r0.
 */
static bool needs_scratch(const struct ir_insn *in, const int *reg)
{
	switch (in->op) {
	case IR_MOV:
		return spilled(reg, in->dst) && spilled(reg, in->a);
	case IR_LOAD:
		return spilled(reg, in->dst) || spilled(reg, in->a);
	case IR_MOV_IMM:
	case IR_ALU:
	case IR_ALU_IMM:
	case IR_ALU32:
	case IR_ALU32_IMM:
	case IR_NEG:
	case IR_ATOMIC_FETCH_ADD:
	case IR_LOAD_STACK:
	case IR_STACK_ADDR:
	case IR_LD_MAP_FD:
		return spilled(reg, in->dst);
	case IR_STORE:
	case IR_STORE_IMM:
	case IR_ATOMIC_ADD:
	case IR_STORE_STACK:
	case IR_JCOND:
	case IR_JCOND_IMM:
		return spilled(reg, in->a);
	default:
		return false;
	}
}

/*
 * r0 doubles as the scratch register for spill code, which is only known
 * once allocation is done. Take r0 away from every interval that overlaps
 * an instruction needing the scratch; returns whether there was any.
 */
static bool r0_conflicts(struct ra *ra, const struct interval *iv, int niv,
			 bool *no_r0)
{
	int *before = xcalloc(ra->n + 1, sizeof(int));	/* prefix counts */
	bool found = false;

	for (int i = 0; i < ra->n; i++)
		before[i + 1] = before[i] +
			(ra->plan->blocks[ra->block_of[i]].reachable &&
			 !ra->plan->dead[i] &&
			 needs_scratch(&ra->ir->insns[i], ra->plan->reg));
	for (int i = 0; i < niv; i++) {
		int first = iv[i].start / 2, last = iv[i].end / 2;

		if (iv[i].reg == BPF_REG_0 && before[last + 1] > before[first]) {
			no_r0[iv[i].v] = true;
			found = true;
		}
	}
	free(before);
	return found;
}

/* The hint of the vreg that @iv is copied into as it dies, or -1. */
static int forward_hint(const struct ra *ra, struct interval **by_vreg,
			const struct interval *iv)
{
	const struct ir_insn *in = &ra->ir->insns[iv->end / 2];
	const struct interval *dst;

	if ((iv->end & 1) || in->a != iv->v ||
	    (in->op != IR_MOV && !(in->op == IR_ALU32 && in->code == BPF_MOV)))
		return -1;
	dst = by_vreg[in->dst];
	if (!dst || dst->start != iv->end + 1)
		return -1;
	return dst->hint;
}

static void scan_all(struct ra *ra, struct interval *iv, int niv,
		     struct interval **by_vreg, const bool *no_r0)
{
	struct scan sc = { .nactive = 0 };

	for (int r = 0; r < NREGS; r++)
		sc.free_since[r] = -1;
	for (int i = 0; i < niv; i++) {
		classify(ra, &iv[i], !no_r0[iv[i].v]);
		iv[i].reg = IR_NOREG;
	}
	for (int i = 0; i < niv; i++)
		iv[i].fwd = forward_hint(ra, by_vreg, &iv[i]);
	for (int i = 0; i < niv; i++)
		scan_one(ra, &sc, by_vreg, &iv[i]);
	for (int i = 0; i < niv; i++)
		ra->plan->reg[iv[i].v] = iv[i].reg;
}

static int allocate(struct ra *ra, char *err, size_t errlen)
{
	struct interval *iv = xcalloc(ra->nv, sizeof(*iv));
	struct interval **by_vreg = xcalloc(ra->nv, sizeof(*by_vreg));
	bool *no_r0 = xcalloc(ra->nv, sizeof(bool));
	int niv = 0, ret;

	for (int v = 0; v < ra->nv; v++) {
		if (ra->end[v] < 0)
			continue;
		iv[niv++] = (struct interval){ .v = v, .start = ra->start[v],
					       .end = ra->end[v],
					       .uses = ra->uses[v] };
	}
	qsort(iv, niv, sizeof(*iv), by_start);
	for (int i = 0; i < niv; i++)
		by_vreg[iv[i].v] = &iv[i];
	/* Each round takes r0 from at least one interval, so this ends. */
	do
		scan_all(ra, iv, niv, by_vreg, no_r0);
	while (r0_conflicts(ra, iv, niv, no_r0));
	ret = assign_slots(ra, iv, niv, err, errlen);
	free(no_r0);
	free(by_vreg);
	free(iv);
	return ret;
}

static int intervals_and_allocate(struct ra *ra, char *err, size_t errlen)
{
	for (int v = 0; v < ra->nv; v++) {
		ra->start[v] = INT_MAX;
		ra->end[v] = -1;
	}
	for (int b = 0; b < ra->plan->nblocks; b++)
		if (ra->plan->blocks[b].reachable)
			block_ranges(ra, b);
	return allocate(ra, err, errlen);
}

int ir_plan_build(const struct ir *ir, struct ir_plan *plan, char *err,
		  size_t errlen)
{
	struct ra ra = { .ir = ir, .plan = plan, .n = (int)ir->ninsns,
			 .nv = ir->nvregs };
	size_t sets;
	int ret;

	memset(plan, 0, sizeof(*plan));
	plan->stack_size = ir->stack_used;
	plan->dead = xcalloc(ra.n, sizeof(bool));
	plan->reg = xmalloc(ra.nv * sizeof(int));
	plan->slot = xcalloc(ra.nv, sizeof(int16_t));
	for (int v = 0; v < ra.nv; v++)
		plan->reg[v] = IR_NOREG;
	ra.words = (ra.nv + 63) / 64;
	ra.block_of = xcalloc(ra.n, sizeof(int));
	ra.start = xcalloc(ra.nv, sizeof(int));
	ra.end = xcalloc(ra.nv, sizeof(int));
	ra.uses = xcalloc(ra.nv, sizeof(int));
	ra.calls = xcalloc(ra.n, sizeof(int));

	ret = build_cfg(&ra, err, errlen);
	if (!ret) {
		sets = plan->nblocks * ra.words;
		ra.gen = xcalloc(sets, sizeof(uint64_t));
		ra.kill = xcalloc(sets, sizeof(uint64_t));
		ra.in = xcalloc(sets, sizeof(uint64_t));
		ra.out = xcalloc(sets, sizeof(uint64_t));
		ret = liveness(&ra, err, errlen);
	}
	if (!ret)
		ret = intervals_and_allocate(&ra, err, errlen);

	free(ra.gen);
	free(ra.kill);
	free(ra.in);
	free(ra.out);
	free(ra.block_of);
	free(ra.start);
	free(ra.end);
	free(ra.uses);
	free(ra.calls);
	return ret;
}

void ir_plan_free(struct ir_plan *plan)
{
	free(plan->blocks);
	free(plan->dead);
	free(plan->reg);
	free(plan->slot);
	memset(plan, 0, sizeof(*plan));
}
