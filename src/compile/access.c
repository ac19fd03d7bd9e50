// SPDX-License-Identifier: BSD-2-Clause
/*
 * Lowering of values: what the provider places (arguments, return value,
 * registers), builtins, tracepoint fields, BTF members and array elements,
 * and reads of kernel or user memory. Integers are kept in 64-bit
 * registers, extended according to their C type.
 */
#include <string.h>

#include "compile/cg.h"
#include "types/tpformat.h"
#include "util.h"

struct val cg_val_imm(int64_t v, struct ty ty)
{
	return (struct val){ .ty = ty, .where = VAL_IMM, .imm = v };
}

struct val cg_val_reg(int reg, struct ty ty)
{
	return (struct val){ .ty = ty, .where = VAL_REG, .reg = reg };
}

void cg_extend(struct cg *cg, int reg, int size, bool is_signed)
{
	int shift = 64 - size * 8;

	if (size >= 8)
		return;
	ir_alu_imm(cg->ir, BPF_LSH, reg, shift);
	ir_alu_imm(cg->ir, is_signed ? BPF_ARSH : BPF_RSH, reg, shift);
}

int cg_int_reg(struct cg *cg, struct val *v)
{
	int r;

	if (v->where == VAL_REG)
		return v->reg;
	r = ir_vreg(cg->ir);
	if (v->where == VAL_IMM)
		ir_mov_imm(cg->ir, r, v->imm);
	else
		ir_mov(cg->ir, r, v->reg);	/* VAL_LOC: the address of the data */
	v->where = VAL_REG;
	v->reg = r;
	return r;
}

int cg_int_copy(struct cg *cg, struct val *v)
{
	int r = ir_vreg(cg->ir);

	if (v->where == VAL_IMM)
		ir_mov_imm(cg->ir, r, v->imm);
	else
		ir_mov(cg->ir, r, cg_int_reg(cg, v));
	return r;
}

/*
 * Read @size bytes at @ptr + @off (kernel or user memory) into a fresh
 * vreg, zero-extended. Goes through one 8-byte stack slot: the value is
 * loaded into a register right after, so the slot is free again. On a
 * fault the helper zeroes the slot, so a bad pointer reads as 0.
 */
int cg_read_mem(struct cg *cg, int ptr, int off, int size, bool user)
{
	int args[3], r = ir_vreg(cg->ir);

	args[0] = ir_vreg(cg->ir);
	ir_stack_addr(cg->ir, args[0], (int16_t)cg->read_slot);
	if (size < 8)
		ir_store_stack_imm(cg->ir, 8, (int16_t)cg->read_slot, 0);
	args[1] = ir_vreg(cg->ir);
	ir_mov_imm(cg->ir, args[1], size);
	args[2] = ir_vreg(cg->ir);
	ir_mov(cg->ir, args[2], ptr);
	if (off)
		ir_alu_imm(cg->ir, BPF_ADD, args[2], off);
	ir_call(cg->ir, user ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel, -1, 3,
		args);
	ir_load_stack(cg->ir, size == 8 ? 8 : size == 4 ? 4 : size == 2 ? 2 : size == 1 ? 1 : 8,
		      r, (int16_t)cg->read_slot);
	return r;
}

/* --- what the provider places ------------------------------------------- */

/* The raw value at @l, extended per its own size and sign. */
static int load_loc(struct cg *cg, const struct loc *l)
{
	int r = ir_vreg(cg->ir), t;

	switch (l->kind) {
	case LOC_CTX:
		ir_load(cg->ir, l->size, r, cg->ctx, (int16_t)l->off);
		break;
	case LOC_MEM:
		/* The address: base register + index register * scale + displacement. */
		ir_mov_imm(cg->ir, r, l->disp);
		if (l->base >= 0) {
			t = ir_vreg(cg->ir);
			ir_load(cg->ir, 8, t, cg->ctx, (int16_t)l->base);
			ir_alu(cg->ir, BPF_ADD, r, t);
		}
		if (l->index >= 0) {
			t = ir_vreg(cg->ir);
			ir_load(cg->ir, 8, t, cg->ctx, (int16_t)l->index);
			if (l->scale > 1)
				ir_alu_imm(cg->ir, BPF_MUL, t, l->scale);
			ir_alu(cg->ir, BPF_ADD, r, t);
		}
		r = cg_read_mem(cg, r, 0, l->size, l->mem_user);
		break;
	case LOC_IMM:
		ir_mov_imm(cg->ir, r, l->imm);
		return r;
	case LOC_HELPER:
		ir_call(cg->ir, l->helper, r, 1, &cg->ctx);
		return r;
	case LOC_NONE:
		ir_mov_imm(cg->ir, r, 0);
		return r;
	}
	cg_extend(cg, r, l->size, l->is_signed);
	return r;
}

struct val cg_loc_value(struct cg *cg, const struct sinfo *si)
{
	int r = load_loc(cg, &si->loc);

	if (si->to_bool)
		return cg_val_reg(cg_to_bool(cg, r), si->ty);
	if (si->ty.kind == TY_INT)
		cg_extend(cg, r, si->ty.size, si->ty.is_signed);
	return cg_val_reg(r, si->ty);
}

static struct val lower_builtin(struct cg *cg, const struct sinfo *si)
{
	const struct builtin *b = si->builtin;
	int r = ir_vreg(cg->ir);

	/* The filters already asked for pid_tgid: no second helper call. */
	if (b->helper == BPF_FUNC_get_current_pid_tgid && cg->pid_tgid >= 0)
		ir_mov(cg->ir, r, cg->pid_tgid);
	else
		ir_call(cg->ir, b->helper, r, 0, NULL);
	if (b->shift)
		ir_alu_imm(cg->ir, BPF_RSH, r, b->shift);
	/* After ">> 32" the value is already a zero-extended u32. */
	if (b->shift + b->size * 8 != 64 || b->is_signed)
		cg_extend(cg, r, b->size, b->is_signed);
	return cg_val_reg(r, si->ty);
}

/* --- tracepoint fields ------------------------------------------------------ */

static int load_ctx(struct cg *cg, int off, int size, bool is_signed)
{
	int r = ir_vreg(cg->ir);

	ir_load(cg->ir, size, r, cg->ctx, (int16_t)off);
	cg_extend(cg, r, size, is_signed);
	return r;
}

static struct val lower_field(struct cg *cg, const struct sinfo *si)
{
	const struct tp_field *f = si->field;
	struct val v = { .ty = si->ty };
	int r;

	if (f->data_loc || f->rel_loc) {
		r = load_ctx(cg, f->offset, 4, false);
		/* The low 16 bits are the offset of the data. */
		ir_alu_imm(cg->ir, BPF_AND, r, 0xffff);
		if (f->rel_loc)
			ir_alu_imm(cg->ir, BPF_ADD, r, f->offset + f->size);
		ir_alu(cg->ir, BPF_ADD, r, cg->ctx);
		v.where = VAL_LOC;
		v.reg = r;
		return v;
	}
	if (f->is_array) {
		v.where = VAL_CTX;
		v.off = f->offset;
		return v;
	}
	return cg_val_reg(load_ctx(cg, f->offset, f->size, f->is_signed), si->ty);
}

/* --- BTF members and elements ---------------------------------------------- */

/* The value of type si->ty at @ptr + @off; structs and arrays stay in memory. */
static struct val load_typed(struct cg *cg, const struct sinfo *si, int ptr, int off)
{
	struct val v = { .ty = si->ty };
	int r;

	if (si->where == SV_MEM) {
		v.where = VAL_MEM;
		v.reg = ptr;
		v.off = off;
		return v;
	}
	r = cg_read_mem(cg, ptr, off, si->ty.size, si->ty.user);
	cg_extend(cg, r, si->ty.size, si->ty.is_signed);
	return cg_val_reg(r, si->ty);
}

/*
 * A bitfield of @bits bits at bit @bit_off from @ptr. Little-endian: the
 * field starts @shift bits into its first byte. One that spans more than
 * eight bytes (a 64-bit field not on a byte boundary) takes two reads.
 */
static struct val load_bitfield(struct cg *cg, const struct sinfo *si, int ptr, int bit_off)
{
	int bits = si->bits, shift = bit_off % 8, nbytes = (shift + bits + 7) / 8;
	int r, hi;

	if (nbytes <= 8) {
		r = cg_read_mem(cg, ptr, bit_off / 8, nbytes, si->ty.user);
		ir_alu_imm(cg->ir, BPF_LSH, r, 64 - shift - bits);
		ir_alu_imm(cg->ir, si->ty.is_signed ? BPF_ARSH : BPF_RSH, r, 64 - bits);
		return cg_val_reg(r, si->ty);
	}
	r = cg_read_mem(cg, ptr, bit_off / 8, 8, si->ty.user);
	hi = cg_read_mem(cg, ptr, bit_off / 8 + 8, 1, si->ty.user);
	ir_alu_imm(cg->ir, BPF_RSH, r, shift);
	ir_alu_imm(cg->ir, BPF_LSH, hi, 64 - shift);
	ir_alu(cg->ir, BPF_OR, r, hi);
	if (bits < 64) {
		ir_alu_imm(cg->ir, BPF_LSH, r, 64 - bits);
		ir_alu_imm(cg->ir, si->ty.is_signed ? BPF_ARSH : BPF_RSH, r, 64 - bits);
	}
	return cg_val_reg(r, si->ty);
}

/* The struct a member is taken from: its address (vreg) and offset. */
static void member_base(struct cg *cg, const struct expr *e, int *ptr, int *off)
{
	struct val base = cg_expr(cg, e->lhs);

	if (e->arrow) {
		*ptr = cg_int_reg(cg, &base);
		*off = 0;
	} else {
		*ptr = base.reg;
		*off = base.off;
	}
}

static struct val lower_member(struct cg *cg, const struct expr *e, const struct sinfo *si)
{
	int ptr, off;

	member_base(cg, e, &ptr, &off);
	if (si->bits)
		return load_bitfield(cg, si, ptr, off * 8 + si->bit_off);
	return load_typed(cg, si, ptr, off + si->off);
}

static struct val lower_index_mem(struct cg *cg, const struct expr *e, const struct sinfo *si)
{
	const struct sinfo *ix = sema_of(cg, e->rhs);
	struct val base = cg_expr(cg, e->lhs), iv;
	int ptr, off = 0, addr;

	if (base.where == VAL_MEM) {
		ptr = base.reg;
		off = base.off;
	} else {
		ptr = cg_int_reg(cg, &base);
	}
	if (ix->where == SV_CONST)
		return load_typed(cg, si, ptr, off + si->off);
	/* A variable index: the address is computed, then read like any other. */
	iv = cg_expr(cg, e->rhs);
	addr = cg_int_copy(cg, &iv);
	ir_alu_imm(cg->ir, BPF_MUL, addr, si->esize);
	ir_alu(cg->ir, BPF_ADD, addr, ptr);
	return load_typed(cg, si, addr, off);
}

static struct val lower_deref(struct cg *cg, const struct expr *e, const struct sinfo *si)
{
	struct val v = cg_expr(cg, e->lhs);

	return load_typed(cg, si, cg_int_reg(cg, &v), 0);
}

static struct val lower_addr(struct cg *cg, const struct expr *e, const struct sinfo *si)
{
	struct val v = cg_expr(cg, e->lhs);
	int r = ir_vreg(cg->ir);

	ir_mov(cg->ir, r, v.reg);
	if (v.off)
		ir_alu_imm(cg->ir, BPF_ADD, r, v.off);
	return cg_val_reg(r, si->ty);
}

/* $latency and $entry(): from what the return probe popped, as the entry typed it. */
static struct val lower_entry(struct cg *cg, const struct sinfo *si)
{
	int r = ir_vreg(cg->ir);

	ir_load_stack(cg->ir, 8, r, (int16_t)(cg->entry_buf + 8 * si->off));
	if (si->ty.kind == TY_INT)
		cg_extend(cg, r, si->ty.size, si->ty.is_signed);
	return cg_val_reg(r, si->ty);
}

struct val cg_expr(struct cg *cg, const struct expr *e)
{
	const struct sinfo *si = sema_of(cg, e);

	if (si->where == SV_CONST)
		return cg_val_imm(si->imm, si->ty);
	switch (si->res) {
	case RES_LOC: return cg_loc_value(cg, si);
	case RES_BUILTIN: return lower_builtin(cg, si);
	case RES_CTX_PTR: return cg_val_reg(cg->ctx, si->ty);
	case RES_FIELD: return lower_field(cg, si);
	case RES_MEMBER: return lower_member(cg, e, si);
	case RES_INDEX_CTX:
		return cg_val_reg(load_ctx(cg, si->off, si->ty.size, si->ty.is_signed), si->ty);
	case RES_INDEX_MEM: return lower_index_mem(cg, e, si);
	case RES_DEREF: return lower_deref(cg, e, si);
	case RES_ADDR: return lower_addr(cg, e, si);
	case RES_UNARY: return cg_unary(cg, e, si);
	case RES_BINARY: case RES_LOGICAL: return cg_binary(cg, e, si);
	case RES_TERNARY: return cg_ternary(cg, e, si);
	case RES_CAST: return cg_cast(cg, e, si);
	case RES_STRCMP: return cg_strcmp(cg, e, si);
	case RES_ENTRY: return lower_entry(cg, si);
	case RES_CONST: break;
	}
	return cg_val_imm(si->imm, si->ty);
}
