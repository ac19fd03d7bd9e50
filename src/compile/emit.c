// SPDX-License-Identifier: BSD-2-Clause
/*
 * Lowering of allocated IR to struct bpf_insn.
 *
 * Spilled vregs are reloaded into the scratch registers r0 and r5 right
 * before the instruction that reads them (unless the scratch register
 * still holds the slot) and stored right after the one that writes them.
 * Jumps keep their target label until everything is emitted; then jumps
 * to the next instruction are dropped, "if c goto L1; goto L2; L1:"
 * becomes "if !c goto L2", and offsets are computed in instruction slots
 * (ld_imm64 takes two).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile/ir_internal.h"
#include "util.h"

/* One machine instruction (two slots for ld_imm64) and its jump target. */
struct minsn {
	struct bpf_insn insn[2];
	bool wide;
	int label;		/* jumps: target label, else -1 */
};

struct emitter {
	const struct ir *ir;
	const struct ir_plan *plan;
	struct minsn *code;
	size_t n, cap;
	int *label_pos;		/* index in code[] of each bound label, -1 */
	/*
	 * The spill slot whose value the scratch register r0 ([0]) or r5
	 * ([1]) still holds, 0 when unknown. Spill code often stores a value
	 * and reloads it at the very next instruction; this skips the reload.
	 * Only valid along straight-line code: labels reset it.
	 */
	int cached[2];
};

static int *cache_of(struct emitter *em, int reg)
{
	if (reg == IR_SCRATCH_A)
		return &em->cached[0];
	if (reg == IR_SCRATCH_B)
		return &em->cached[1];
	return NULL;
}

static void forget(struct emitter *em, int reg)
{
	int *c = cache_of(em, reg);

	if (c)
		*c = 0;
}

/* Drop what @in invalidates: registers it writes, stack it overwrites. */
static void track(struct emitter *em, const struct bpf_insn *in)
{
	int size = 8;

	switch (BPF_CLASS(in->code)) {
	case BPF_ALU:
	case BPF_ALU64:
	case BPF_LDX:
	case BPF_LD:
		forget(em, in->dst_reg);
		break;
	case BPF_JMP:
		if (BPF_OP(in->code) == BPF_CALL)
			em->cached[0] = em->cached[1] = 0;
		break;
	case BPF_ST:
	case BPF_STX:
		if (in->dst_reg != BPF_REG_10)
			break;
		if (BPF_SIZE(in->code) != BPF_DW)
			size = BPF_SIZE(in->code) == BPF_W ? 4 :
			       BPF_SIZE(in->code) == BPF_H ? 2 : 1;
		for (int k = 0; k < 2; k++)
			if (em->cached[k] && in->off < em->cached[k] + 8 &&
			    in->off + size > em->cached[k])
				em->cached[k] = 0;
		break;
	}
}

static struct minsn *put(struct emitter *em, int code, int dst, int src,
			 int off, int32_t imm)
{
	struct minsn *m;

	em->code = grow_array(em->code, &em->cap, em->n + 1, sizeof(*m));
	m = &em->code[em->n++];
	memset(m, 0, sizeof(*m));
	m->insn[0].code = (uint8_t)code;
	m->insn[0].dst_reg = dst & 0xf;
	m->insn[0].src_reg = src & 0xf;
	m->insn[0].off = (int16_t)off;
	m->insn[0].imm = imm;
	m->label = -1;
	track(em, &m->insn[0]);
	return m;
}

static int bpf_size(int bytes)
{
	switch (bytes) {
	case 1: return BPF_B;
	case 2: return BPF_H;
	case 4: return BPF_W;
	default: return BPF_DW;
	}
}

static void put_mov(struct emitter *em, int dst, int src)
{
	if (dst != src)
		put(em, BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}

static void put_ld64(struct emitter *em, int dst, int src, uint64_t imm)
{
	struct minsn *m = put(em, BPF_LD | BPF_DW | BPF_IMM, dst, src, 0,
			      (int32_t)(uint32_t)imm);

	m->wide = true;
	m->insn[1].imm = (int32_t)(uint32_t)(imm >> 32);
}

/* The smallest encoding of dst = imm. */
static void put_mov_imm(struct emitter *em, int dst, int64_t imm)
{
	if (imm >= INT32_MIN && imm <= INT32_MAX)
		put(em, BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, (int32_t)imm);
	else if (imm > 0 && imm <= UINT32_MAX)
		/* 32-bit moves zero-extend: one slot instead of two. */
		put(em, BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0,
		    (int32_t)(uint32_t)imm);
	else
		put_ld64(em, dst, 0, (uint64_t)imm);
}

/* ---- vreg locations ---- */

static int reg_of(const struct emitter *em, int v)
{
	return em->plan->reg[v];
}

/* The register holding @v, reloading it into @scratch if it is spilled. */
static int fetch(struct emitter *em, int v, int scratch)
{
	int r = reg_of(em, v), *c = cache_of(em, scratch);

	if (r >= 0)
		return r;
	if (c && *c == em->plan->slot[v])
		return scratch;
	put(em, BPF_LDX | BPF_MEM | BPF_DW, scratch, BPF_REG_10,
	    em->plan->slot[v], 0);
	if (c)
		*c = em->plan->slot[v];
	return scratch;
}

/* The register to compute @v in: its own, or @scratch if it is spilled. */
static int target(const struct emitter *em, int v, int scratch)
{
	int r = reg_of(em, v);

	return r >= 0 ? r : scratch;
}

/* After computing @v in @r: store it if @v lives on the stack. */
static void commit(struct emitter *em, int v, int r)
{
	int *c = cache_of(em, r);

	if (reg_of(em, v) >= 0)
		return;
	put(em, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, r, em->plan->slot[v],
	    0);
	if (c)
		*c = em->plan->slot[v];
}

/* Copy @src into @dst wherever each of them lives. */
static void copy(struct emitter *em, int dst, int src)
{
	int rd = reg_of(em, dst), rs = reg_of(em, src);

	if (rd >= 0) {
		put_mov(em, rd, fetch(em, src, rd));
		return;
	}
	if (rs < 0 && em->plan->slot[src] == em->plan->slot[dst])
		return;
	commit(em, dst, fetch(em, src, IR_SCRATCH_A));
}

/* ---- lowering ---- */

/* Constant operands that leave the value unchanged (64-bit only). */
static bool alu_imm_is_nop(int code, int64_t imm)
{
	switch (code) {
	case BPF_ADD: case BPF_SUB: case BPF_OR: case BPF_XOR:
	case BPF_LSH: case BPF_RSH: case BPF_ARSH:
		return imm == 0;
	case BPF_MUL: case BPF_DIV:
		return imm == 1;
	case BPF_AND:
		return imm == -1;
	default:
		return false;
	}
}

static void lower_alu(struct emitter *em, const struct ir_insn *in)
{
	bool is32 = in->op == IR_ALU32 || in->op == IR_ALU32_IMM;
	bool is_imm = in->op == IR_ALU_IMM || in->op == IR_ALU32_IMM;
	int cls = is32 ? BPF_ALU : BPF_ALU64;
	int d, s = 0;

	if (!is32 && is_imm && alu_imm_is_nop(in->code, in->imm))
		return;
	if (in->code == BPF_MOV)
		d = target(em, in->dst, IR_SCRATCH_A);
	else
		d = fetch(em, in->dst, IR_SCRATCH_A);
	if (!is_imm)
		s = fetch(em, in->a, IR_SCRATCH_B);
	put(em, cls | in->code | (is_imm ? BPF_K : BPF_X), d, s, 0,
	    is_imm ? (int32_t)in->imm : 0);
	commit(em, in->dst, d);
}

static void lower_call(struct emitter *em, const struct ir_insn *in,
		       bool dead)
{
	/*
	 * The allocator only lets an argument sit in r1-r4 if no other value
	 * is bound for that register, so these moves can go in any order.
	 */
	for (int k = 0; k < in->nargs; k++) {
		int v = in->args[k], r = reg_of(em, v);

		if (r >= 0)
			put_mov(em, BPF_REG_1 + k, r);
		else
			fetch(em, v, BPF_REG_1 + k);
	}
	put(em, BPF_JMP | BPF_CALL, 0, 0, 0, (int32_t)in->imm);
	if (dead || in->dst < 0)
		return;
	if (reg_of(em, in->dst) >= 0)
		put_mov(em, reg_of(em, in->dst), BPF_REG_0);
	else
		commit(em, in->dst, BPF_REG_0);
}

static void lower_entry(struct emitter *em, const struct ir_insn *in)
{
	if (reg_of(em, in->dst) >= 0)
		put_mov(em, reg_of(em, in->dst), BPF_REG_1);
	else
		commit(em, in->dst, BPF_REG_1);
}

static void lower_mem(struct emitter *em, const struct ir_insn *in)
{
	int sz = bpf_size(in->code), d, base, s;

	switch (in->op) {
	case IR_LOAD:
		base = fetch(em, in->a, IR_SCRATCH_A);
		d = target(em, in->dst, IR_SCRATCH_A);
		put(em, BPF_LDX | BPF_MEM | sz, d, base, in->off, 0);
		commit(em, in->dst, d);
		break;
	case IR_STORE:
		base = fetch(em, in->a, IR_SCRATCH_A);
		s = fetch(em, in->b, IR_SCRATCH_B);
		put(em, BPF_STX | BPF_MEM | sz, base, s, in->off, 0);
		break;
	case IR_STORE_IMM:
		base = fetch(em, in->a, IR_SCRATCH_A);
		put(em, BPF_ST | BPF_MEM | sz, base, 0, in->off,
		    (int32_t)in->imm);
		break;
	case IR_ATOMIC_ADD:
		base = fetch(em, in->a, IR_SCRATCH_A);
		s = fetch(em, in->b, IR_SCRATCH_B);
		put(em, BPF_STX | BPF_ATOMIC | sz, base, s, in->off, BPF_ADD);
		break;
	case IR_ATOMIC_FETCH_ADD:
		/* The source register is both the addend and the old value. */
		d = fetch(em, in->dst, IR_SCRATCH_A);
		base = fetch(em, in->a, IR_SCRATCH_B);
		put(em, BPF_STX | BPF_ATOMIC | sz, base, d, in->off, BPF_ADD | BPF_FETCH);
		forget(em, d);
		commit(em, in->dst, d);
		break;
	case IR_LOAD_STACK:
		d = target(em, in->dst, IR_SCRATCH_A);
		put(em, BPF_LDX | BPF_MEM | sz, d, BPF_REG_10, in->off, 0);
		commit(em, in->dst, d);
		break;
	case IR_STORE_STACK:
		s = fetch(em, in->a, IR_SCRATCH_A);
		put(em, BPF_STX | BPF_MEM | sz, BPF_REG_10, s, in->off, 0);
		break;
	case IR_STORE_STACK_IMM:
		put(em, BPF_ST | BPF_MEM | sz, BPF_REG_10, 0, in->off,
		    (int32_t)in->imm);
		break;
	default:
		break;
	}
}

static void lower_jump(struct emitter *em, const struct ir_insn *in)
{
	int a, b;

	switch (in->op) {
	case IR_JMP:
		put(em, BPF_JMP | BPF_JA, 0, 0, 0, 0)->label = in->label;
		break;
	case IR_JCOND:
		a = fetch(em, in->a, IR_SCRATCH_A);
		b = fetch(em, in->b, IR_SCRATCH_B);
		put(em, BPF_JMP | in->code | BPF_X, a, b, 0, 0)->label =
			in->label;
		break;
	case IR_JCOND_IMM:
		a = fetch(em, in->a, IR_SCRATCH_A);
		put(em, BPF_JMP | in->code | BPF_K, a, 0, 0,
		    (int32_t)in->imm)->label = in->label;
		break;
	default:
		break;
	}
}

static void lower_def(struct emitter *em, const struct ir_insn *in)
{
	int d = target(em, in->dst, IR_SCRATCH_A);

	switch (in->op) {
	case IR_MOV_IMM:
		put_mov_imm(em, d, in->imm);
		break;
	case IR_STACK_ADDR:
		put_mov(em, d, BPF_REG_10);
		if (in->off)
			put(em, BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, in->off);
		break;
	case IR_LD_MAP_FD:
		put_ld64(em, d, in->code, (uint32_t)in->imm | (uint64_t)(uint32_t)in->off << 32);
		break;
	default:
		return;
	}
	commit(em, in->dst, d);
}

static void lower_neg(struct emitter *em, const struct ir_insn *in)
{
	int d = fetch(em, in->dst, IR_SCRATCH_A);

	put(em, BPF_ALU64 | BPF_NEG, d, 0, 0, 0);
	commit(em, in->dst, d);
}

static void lower(struct emitter *em, int i)
{
	const struct ir_insn *in = &em->ir->insns[i];
	bool dead = em->plan->dead[i];

	if (dead && in->op != IR_CALL)
		return;
	switch (in->op) {
	case IR_ENTRY:
		lower_entry(em, in);
		break;
	case IR_MOV:
		copy(em, in->dst, in->a);
		break;
	case IR_ALU:
	case IR_ALU_IMM:
	case IR_ALU32:
	case IR_ALU32_IMM:
		lower_alu(em, in);
		break;
	case IR_MOV_IMM:
	case IR_STACK_ADDR:
	case IR_LD_MAP_FD:
		lower_def(em, in);
		break;
	case IR_NEG:
		lower_neg(em, in);
		break;
	case IR_LOAD:
	case IR_STORE:
	case IR_STORE_IMM:
	case IR_ATOMIC_ADD:
	case IR_ATOMIC_FETCH_ADD:
	case IR_LOAD_STACK:
	case IR_STORE_STACK:
	case IR_STORE_STACK_IMM:
		lower_mem(em, in);
		break;
	case IR_JMP:
	case IR_JCOND:
	case IR_JCOND_IMM:
		lower_jump(em, in);
		break;
	case IR_CALL:
		lower_call(em, in, dead);
		break;
	case IR_EXIT:
		if (reg_of(em, in->a) >= 0)
			put_mov(em, BPF_REG_0, reg_of(em, in->a));
		else
			fetch(em, in->a, BPF_REG_0);
		put(em, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
		break;
	case IR_EXIT_IMM:
		put_mov_imm(em, BPF_REG_0, in->imm);
		put(em, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
		break;
	case IR_LABEL:
		em->label_pos[in->label] = (int)em->n;
		em->cached[0] = em->cached[1] = 0;	/* control flow joins */
		break;
	case IR_COMMENT:
		break;
	}
}

/* ---- jumps ---- */

static bool is_cond_jump(const struct minsn *m)
{
	int op = BPF_OP(m->insn[0].code);

	return BPF_CLASS(m->insn[0].code) == BPF_JMP && m->label >= 0 &&
	       op != BPF_JA;
}

static bool is_goto(const struct minsn *m)
{
	return m->insn[0].code == (BPF_JMP | BPF_JA) && m->label >= 0;
}

/* The condition that holds exactly when @op does not, or -1. */
static int invert(int op)
{
	switch (op) {
	case BPF_JEQ: return BPF_JNE;
	case BPF_JNE: return BPF_JEQ;
	case BPF_JGT: return BPF_JLE;
	case BPF_JLE: return BPF_JGT;
	case BPF_JGE: return BPF_JLT;
	case BPF_JLT: return BPF_JGE;
	case BPF_JSGT: return BPF_JSLE;
	case BPF_JSLE: return BPF_JSGT;
	case BPF_JSGE: return BPF_JSLT;
	case BPF_JSLT: return BPF_JSGE;
	default: return -1;	/* BPF_JSET has no negation */
	}
}

static bool label_at(const struct emitter *em, size_t i)
{
	for (size_t l = 0; l < em->ir->nlabels; l++)
		if (em->label_pos[l] == (int)i)
			return true;
	return false;
}

static void remove_insn(struct emitter *em, size_t i)
{
	memmove(&em->code[i], &em->code[i + 1],
		(em->n - i - 1) * sizeof(*em->code));
	em->n--;
	for (size_t l = 0; l < em->ir->nlabels; l++)
		if (em->label_pos[l] > (int)i)
			em->label_pos[l]--;
}

/* "if c goto L1; goto L2; L1:" -> "if !c goto L2; L1:". */
static bool fold_branch(struct emitter *em, size_t i)
{
	struct minsn *m = &em->code[i];
	int inv;

	if (!is_cond_jump(m) || i + 1 >= em->n || !is_goto(&em->code[i + 1]) ||
	    em->label_pos[m->label] != (int)i + 2 || label_at(em, i + 1))
		return false;
	inv = invert(BPF_OP(m->insn[0].code));
	if (inv < 0)
		return false;
	m->insn[0].code = (uint8_t)(BPF_JMP | inv | BPF_SRC(m->insn[0].code));
	m->label = em->code[i + 1].label;
	remove_insn(em, i + 1);
	return true;
}

static void tidy_jumps(struct emitter *em)
{
	size_t i = 0;

	while (i < em->n) {
		struct minsn *m = &em->code[i];

		if (m->label >= 0 && em->label_pos[m->label] == (int)i + 1) {
			/* A jump to the next instruction does nothing. */
			remove_insn(em, i);
			if (i)
				i--;	/* the previous jump may now qualify */
			continue;
		}
		if (fold_branch(em, i))
			continue;
		i++;
	}
}

static int resolve(struct emitter *em, struct bpf_insn **insns, size_t *cnt,
		   char *err, size_t errlen)
{
	size_t *slot = xmalloc((em->n + 1) * sizeof(size_t));
	struct bpf_insn *out;
	size_t total = 0;

	for (size_t i = 0; i < em->n; i++) {
		slot[i] = total;
		total += em->code[i].wide ? 2 : 1;
	}
	slot[em->n] = total;
	out = xcalloc(total ? total : 1, sizeof(*out));
	for (size_t i = 0; i < em->n; i++) {
		const struct minsn *m = &em->code[i];
		struct bpf_insn *o = &out[slot[i]];
		long off;

		o[0] = m->insn[0];
		if (m->wide)
			o[1] = m->insn[1];
		if (m->label < 0)
			continue;
		if (em->label_pos[m->label] < 0) {
			free(slot);
			free(out);
			return ir_fail(err, errlen, -EINVAL,
				       "internal error: jump to unplaced label L%d",
				       m->label);
		}
		off = (long)slot[em->label_pos[m->label]] - (long)slot[i] - 1;
		if (off < INT16_MIN || off > INT16_MAX) {
			free(slot);
			free(out);
			return ir_fail(err, errlen, -E2BIG,
				       "program too large: jump over %ld instructions, BPF allows %d",
				       off, INT16_MAX);
		}
		o->off = (int16_t)off;
	}
	free(slot);
	*insns = out;
	*cnt = total;
	return 0;
}

int ir_emit(const struct ir *ir, const struct ir_plan *plan,
	    struct bpf_insn **insns, size_t *cnt, char *err, size_t errlen)
{
	struct emitter em = { .ir = ir, .plan = plan };
	int ret;

	em.label_pos = xmalloc((ir->nlabels + 1) * sizeof(int));
	for (size_t l = 0; l < ir->nlabels; l++)
		em.label_pos[l] = -1;
	for (int b = 0; b < plan->nblocks; b++) {
		const struct ir_block *blk = &plan->blocks[b];

		if (!blk->reachable)
			continue;
		for (int i = blk->first; i <= blk->last; i++)
			lower(&em, i);
	}
	tidy_jumps(&em);
	ret = resolve(&em, insns, cnt, err, errlen);
	free(em.code);
	free(em.label_pos);
	return ret;
}
