// SPDX-License-Identifier: BSD-2-Clause
/*
 * Lowering of operators, casts and conditions. Registers hold values
 * extended per their own C type, so that comparisons, division and shifts
 * behave as in C (int arithmetic wraps at 32 bits, unsigned compares are
 * unsigned, and so on). Types and constants were decided by sema.c.
 */
#include "compile/cg.h"
#include "util.h"

/* Materialise a 0/1 result of a comparison. */
static int cmp_result(struct cg *cg, int op, int a, int b)
{
	int r = ir_vreg(cg->ir), done = ir_label(cg->ir);

	ir_mov_imm(cg->ir, r, 1);
	ir_jcond(cg->ir, op, a, b, done);
	ir_mov_imm(cg->ir, r, 0);
	ir_bind(cg->ir, done);
	return r;
}

int cg_to_bool(struct cg *cg, int reg)
{
	int zero = ir_vreg(cg->ir);

	ir_mov_imm(cg->ir, zero, 0);
	return cmp_result(cg, BPF_JNE, reg, zero);
}

/*
 * Converting to a wider type needs nothing (sign- or zero-extension
 * already happened); a narrower type or a change of signedness at the
 * same width needs re-extension.
 */
void cg_convert(struct cg *cg, int reg, struct ty from, struct ty to)
{
	from = ty_promote(from);
	if (to.size < from.size || (to.size == from.size && to.is_signed != from.is_signed))
		cg_extend(cg, reg, to.size, to.is_signed);
}

static int jmp_op(int op, bool is_signed)
{
	switch (op) {
	case OP_EQ: return BPF_JEQ;
	case OP_NE: return BPF_JNE;
	case '<': return is_signed ? BPF_JSLT : BPF_JLT;
	case '>': return is_signed ? BPF_JSGT : BPF_JGT;
	case OP_LE: return is_signed ? BPF_JSLE : BPF_JLE;
	case OP_GE: return is_signed ? BPF_JSGE : BPF_JGE;
	default: return -1;
	}
}

static int alu_op(int op, bool is_signed)
{
	switch (op) {
	case '+': return BPF_ADD;
	case '-': return BPF_SUB;
	case '*': return BPF_MUL;
	case '/': return BPF_DIV;
	case '%': return BPF_MOD;
	case '&': return BPF_AND;
	case '|': return BPF_OR;
	case '^': return BPF_XOR;
	case OP_SHL: return BPF_LSH;
	case OP_SHR: return is_signed ? BPF_ARSH : BPF_RSH;
	default: return -1;
	}
}

/* r = |r|, remembering the sign in @neg (1 if it was negative). */
static void abs_into(struct cg *cg, int r, int neg)
{
	int pos = ir_label(cg->ir);

	ir_mov_imm(cg->ir, neg, 0);
	ir_jcond_imm(cg->ir, BPF_JSGE, r, 0, pos);
	ir_neg(cg->ir, r);
	ir_mov_imm(cg->ir, neg, 1);
	ir_bind(cg->ir, pos);
}

/*
 * BPF's division is unsigned (signed division needs a 6.6 kernel), so
 * signed / and % divide magnitudes and fix the sign, as C does: the
 * quotient is negative when the signs differ, the remainder takes the
 * sign of the dividend.
 */
static void signed_divmod(struct cg *cg, int op, int a, int b)
{
	int na = ir_vreg(cg->ir), nb = ir_vreg(cg->ir), done = ir_label(cg->ir);

	abs_into(cg, a, na);
	abs_into(cg, b, nb);
	ir_alu(cg->ir, op == '/' ? BPF_DIV : BPF_MOD, a, b);
	if (op == '/')
		ir_alu(cg->ir, BPF_XOR, na, nb);
	ir_jcond_imm(cg->ir, BPF_JEQ, na, 0, done);
	ir_neg(cg->ir, a);
	ir_bind(cg->ir, done);
}

static struct val logical(struct cg *cg, const struct expr *e, const struct sinfo *si)
{
	int r = ir_vreg(cg->ir), done = ir_label(cg->ir);

	ir_mov_imm(cg->ir, r, 0);
	cg_branch(cg, e, false, done);
	ir_mov_imm(cg->ir, r, 1);
	ir_bind(cg->ir, done);
	return cg_val_reg(r, si->ty);
}

struct val cg_binary(struct cg *cg, const struct expr *e, const struct sinfo *si)
{
	struct ty t = si->op_ty;
	struct val a, b;
	int op = e->op, ra, rb;
	int64_t bi;
	bool cmp = jmp_op(op, false) >= 0;

	if (si->res == RES_LOGICAL)
		return logical(cg, e, si);
	a = cg_expr(cg, e->lhs);
	b = cg_expr(cg, e->rhs);
	ra = cg_int_copy(cg, &a);
	cg_convert(cg, ra, a.ty, t);
	/*
	 * The immediate is sign-extended to 64 bits by BPF: it must be the
	 * operand converted to t, or "u32 / -1" divides by 2^64 - 1.
	 */
	bi = b.where == VAL_IMM ? ty_extend_imm(b.imm, t.size, t.is_signed) : 0;
	if (b.where == VAL_IMM && bi >= INT32_MIN && bi <= INT32_MAX && !cmp &&
	    !(t.is_signed && (op == '/' || op == '%'))) {
		ir_alu_imm(cg->ir, alu_op(op, t.is_signed), ra, (int32_t)bi);
	} else {
		rb = cg_int_copy(cg, &b);
		cg_convert(cg, rb, b.ty, t);
		if (cmp)
			return cg_val_reg(cmp_result(cg, jmp_op(op, t.is_signed), ra, rb), si->ty);
		if (t.is_signed && (op == '/' || op == '%'))
			signed_divmod(cg, op, ra, rb);
		else
			ir_alu(cg->ir, alu_op(op, t.is_signed), ra, rb);
	}
	cg_extend(cg, ra, t.size, t.is_signed);
	return cg_val_reg(ra, t);
}

struct val cg_unary(struct cg *cg, const struct expr *e, const struct sinfo *si)
{
	struct val v;
	int r;

	v = cg_expr(cg, e->lhs);
	if (e->op == '!') {
		r = ir_vreg(cg->ir);
		ir_mov_imm(cg->ir, r, 0);
		return cg_val_reg(cmp_result(cg, BPF_JEQ, cg_int_reg(cg, &v), r), si->ty);
	}
	r = cg_int_copy(cg, &v);
	if (e->op == '-')
		ir_neg(cg->ir, r);
	else
		ir_alu_imm(cg->ir, BPF_XOR, r, -1);
	cg_extend(cg, r, si->ty.size, si->ty.is_signed);
	return cg_val_reg(r, si->ty);
}

struct val cg_ternary(struct cg *cg, const struct expr *e, const struct sinfo *si)
{
	int r = ir_vreg(cg->ir), other = ir_label(cg->ir), done = ir_label(cg->ir);
	struct val a, b;

	cg_branch(cg, e->cond, false, other);
	a = cg_expr(cg, e->lhs);
	ir_mov(cg->ir, r, cg_int_reg(cg, &a));
	ir_jmp(cg->ir, done);
	ir_bind(cg->ir, other);
	b = cg_expr(cg, e->rhs);
	ir_mov(cg->ir, r, cg_int_reg(cg, &b));
	ir_bind(cg->ir, done);
	cg_extend(cg, r, si->ty.size, si->ty.is_signed);
	return cg_val_reg(r, si->ty);
}

struct val cg_cast(struct cg *cg, const struct expr *e, const struct sinfo *si)
{
	struct val v = cg_expr(cg, e->lhs);
	int r;

	/* A pointer cast, or a typedef of a pointer: the type changes, not the value. */
	if (si->ty.kind == TY_PTR) {
		v.ty = si->ty;
		return v;
	}
	if (si->to_bool)
		return cg_val_reg(cg_to_bool(cg, cg_int_reg(cg, &v)), si->ty);
	r = cg_int_copy(cg, &v);
	cg_extend(cg, r, si->ty.size, si->ty.is_signed);
	return cg_val_reg(r, si->ty);
}

/* --- conditions ------------------------------------------------------------ */

static int invert_jmp(int op)
{
	switch (op) {
	case BPF_JEQ: return BPF_JNE;
	case BPF_JNE: return BPF_JEQ;
	case BPF_JLT: return BPF_JGE;
	case BPF_JGE: return BPF_JLT;
	case BPF_JGT: return BPF_JLE;
	case BPF_JLE: return BPF_JGT;
	case BPF_JSLT: return BPF_JSGE;
	case BPF_JSGE: return BPF_JSLT;
	case BPF_JSGT: return BPF_JSLE;
	default: return BPF_JSGT;	/* BPF_JSLE */
	}
}

/* Compare and jump without materialising a 0/1 value. */
static void branch_compare(struct cg *cg, const struct expr *e, const struct sinfo *si,
			   bool when, int label)
{
	struct val a = cg_expr(cg, e->lhs), b = cg_expr(cg, e->rhs);
	struct ty t = si->op_ty;
	int op, ra, rb;

	op = jmp_op(e->op, t.is_signed);
	if (!when)
		op = invert_jmp(op);
	ra = cg_int_reg(cg, &a);
	if (ty_promote(a.ty).size == t.size && ty_promote(a.ty).is_signed != t.is_signed) {
		ra = cg_int_copy(cg, &a);
		cg_convert(cg, ra, a.ty, t);
	}
	if (b.where == VAL_IMM) {
		int64_t bi = ty_extend_imm(b.imm, t.size, t.is_signed);

		if (bi >= INT32_MIN && bi <= INT32_MAX && (t.is_signed || bi >= 0)) {
			ir_jcond_imm(cg->ir, op, ra, (int32_t)bi, label);
			return;
		}
	}
	rb = cg_int_copy(cg, &b);
	cg_convert(cg, rb, b.ty, t);
	ir_jcond(cg->ir, op, ra, rb, label);
}

void cg_branch(struct cg *cg, const struct expr *e, bool when, int label)
{
	const struct sinfo *si = sema_of(cg, e);
	struct val v;

	if (si->where == SV_CONST) {
		if ((si->imm != 0) == when)
			ir_jmp(cg->ir, label);
		return;
	}
	if (e->kind == EXPR_BINARY && jmp_op(e->op, false) >= 0)
		return branch_compare(cg, e, si, when, label);
	if (e->kind == EXPR_UNARY && e->op == '!')
		return cg_branch(cg, e->lhs, !when, label);
	if (e->kind == EXPR_BINARY && (e->op == OP_LAND || e->op == OP_LOR)) {
		/* && jumps on false as soon as one side is false, || on true. */
		bool shortcut = e->op == OP_LOR;

		if (when == shortcut) {
			cg_branch(cg, e->lhs, when, label);
			cg_branch(cg, e->rhs, when, label);
		} else {
			int skip = ir_label(cg->ir);

			cg_branch(cg, e->lhs, shortcut, skip);
			cg_branch(cg, e->rhs, when, label);
			ir_bind(cg->ir, skip);
		}
		return;
	}
	v = cg_expr(cg, e);
	if (v.where == VAL_IMM) {
		if ((v.imm != 0) == when)
			ir_jmp(cg->ir, label);
		return;
	}
	ir_jcond_imm(cg->ir, when ? BPF_JNE : BPF_JEQ, cg_int_reg(cg, &v), 0, label);
}
