// SPDX-License-Identifier: BSD-2-Clause
/*
 * Expressions to IR. Integers are computed in 64-bit registers and kept
 * extended according to their C type after every operation, so that
 * comparisons, division and shifts behave as in C (int arithmetic wraps at
 * 32 bits, unsigned compares are unsigned, and so on).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compile/cg.h"
#include "types/ktypes.h"
#include "types/tpformat.h"
#include "util.h"

void cg_error(struct cg *cg, int col, const char *fmt, ...)
{
	struct strbuf msg = { 0 };
	va_list ap;

	if (cg->failed)
		return;
	cg->failed = true;
	va_start(ap, fmt);
	sb_vprintf(&msg, fmt, ap);
	va_end(ap);
	pr_err("probe %d, column %d: %s", cg->p->spec.index, col, msg.buf ? msg.buf : "");
	sb_free(&msg);
}

/* Kernel types, loaded only when an expression needs them. */
static struct btf *cg_btf(struct cg *cg)
{
	return ktypes_vmlinux(cg->s);
}

static struct ty ty_int(int size, bool is_signed)
{
	return (struct ty){ .kind = TY_INT, .size = size, .is_signed = is_signed };
}

static struct val val_imm(int64_t v, struct ty ty, int col)
{
	return (struct val){ .ty = ty, .where = VAL_IMM, .imm = v, .col = col };
}

static struct val val_reg(int reg, struct ty ty, int col)
{
	return (struct val){ .ty = ty, .where = VAL_REG, .reg = reg, .col = col };
}

static struct val val_dummy(int col)
{
	return val_imm(0, ty_int(4, true), col);
}

/* Sign- or zero-extend the low @size bytes of @reg to 64 bits. */
static void extend(struct cg *cg, int reg, int size, bool is_signed)
{
	int shift = 64 - size * 8;

	if (size >= 8)
		return;
	ir_alu_imm(cg->ir, BPF_LSH, reg, shift);
	ir_alu_imm(cg->ir, is_signed ? BPF_ARSH : BPF_RSH, reg, shift);
}

/* Truncate a constant to its type, as the register form would. */
static int64_t extend_imm(int64_t v, int size, bool is_signed)
{
	switch (size) {
	case 1: return is_signed ? (int64_t)(int8_t)v : (int64_t)(uint8_t)v;
	case 2: return is_signed ? (int64_t)(int16_t)v : (int64_t)(uint16_t)v;
	case 4: return is_signed ? (int64_t)(int32_t)v : (int64_t)(uint32_t)v;
	default: return v;
	}
}

int cg_int_reg(struct cg *cg, struct val *v)
{
	int r;

	if (v->where == VAL_REG)
		return v->reg;
	r = ir_vreg(cg->ir);
	if (v->where == VAL_IMM)
		ir_mov_imm(cg->ir, r, v->imm);
	else if (v->where == VAL_LOC)
		ir_mov(cg->ir, r, v->reg);
	else
		cg_error(cg, v->col, "this value cannot be used as an integer");
	v->where = VAL_REG;
	v->reg = r;
	return r;
}

/* A fresh vreg holding a copy of integer @v (safe to modify). */
static int int_copy(struct cg *cg, struct val *v)
{
	int r = ir_vreg(cg->ir);

	if (v->where == VAL_IMM)
		ir_mov_imm(cg->ir, r, v->imm);
	else
		ir_mov(cg->ir, r, cg_int_reg(cg, v));
	return r;
}

static bool is_integer(const struct val *v)
{
	return v->ty.kind == TY_INT || v->ty.kind == TY_PTR;
}

static bool require_int(struct cg *cg, const struct val *v, const char *what)
{
	if (is_integer(v))
		return true;
	cg_error(cg, v->col, "%s needs an integer, but this is %s", what,
		 v->ty.kind == TY_STRLIT ? "a string literal" :
		 v->ty.kind == TY_STRUCT ? "a struct" : "an array or string");
	return false;
}

/* C's integer promotion. */
static struct ty promote(struct ty t)
{
	if (t.kind == TY_PTR)
		return ty_int(8, false);
	if (t.size < 4)
		return ty_int(4, true);
	return ty_int(t.size, t.is_signed);
}

/* C's usual arithmetic conversions. */
static struct ty arith_type(struct ty a, struct ty b)
{
	a = promote(a);
	b = promote(b);
	if (a.size == b.size)
		return ty_int(a.size, a.is_signed && b.is_signed);
	return a.size > b.size ? a : b;
}

/* --- identifiers ------------------------------------------------------ */

struct builtin {
	const char *name;
	int helper;
	int shift;		/* take bits >> shift */
	int size;
	bool is_signed;
};

static const struct builtin builtins[] = {
	{ "$pid", BPF_FUNC_get_current_pid_tgid, 0, 4, false },
	{ "$tgid", BPF_FUNC_get_current_pid_tgid, 32, 4, false },
	{ "$uid", BPF_FUNC_get_current_uid_gid, 0, 4, false },
	{ "$gid", BPF_FUNC_get_current_uid_gid, 32, 4, false },
	{ "$cpu", BPF_FUNC_get_smp_processor_id, 0, 4, false },
	{ "$task", BPF_FUNC_get_current_task, 0, 8, false },
};

static struct val compile_builtin(struct cg *cg, const struct builtin *b, int col)
{
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
		extend(cg, r, b->size, b->is_signed);
	if (!strcmp(b->name, "$task")) {
		int id = cg_btf(cg) ? ktype_find(cg_btf(cg), "struct task_struct") : -1;

		return val_reg(r, (struct ty){ .kind = TY_PTR, .size = 8,
					       .btf_id = id > 0 ? (__u32)id : 0 }, col);
	}
	return val_reg(r, ty_int(b->size, b->is_signed), col);
}

static void unknown_ident(struct cg *cg, const struct expr *e)
{
	static const char *const others[] = {
		"arg1", "arg2", "arg3", "arg4", "arg5", "arg6", "retval", "ctx", "args",
	};
	struct suggest sg;

	suggest_init(&sg, e->name);
	for (size_t i = 0; i < ARRAY_SIZE(builtins); i++)
		suggest_add(&sg, builtins[i].name);
	for (size_t i = 0; i < ARRAY_SIZE(others); i++)
		suggest_add(&sg, others[i]);
	for (size_t i = 0; i < cg->p->spec.nparams; i++)
		suggest_add(&sg, cg->p->spec.params[i].name);
	if (sg.best)
		cg_error(cg, e->col, "unknown identifier '%s' (did you mean '%s'?)", e->name, sg.best);
	else
		cg_error(cg, e->col, "unknown identifier '%s'", e->name);
	suggest_free(&sg);
}

static bool is_arg_name(const char *name)
{
	return !strncmp(name, "arg", 3) && name[3] >= '1' && name[3] <= '6' && !name[4];
}

static bool is_kfunc(const struct probe *p)
{
	return p->mech == MECH_FENTRY || p->mech == MECH_KPROBE ||
	       p->mech == MECH_KPROBE_MULTI || p->mech == MECH_KPROBE_LEGACY;
}

/* Registers of the first six arguments: C calls, then the syscall ABI. */
static const int call_regs[6] = {
	PT_REGS_DI, PT_REGS_SI, PT_REGS_DX, PT_REGS_CX, PT_REGS_R8, PT_REGS_R9,
};
static const int syscall_regs[6] = {
	PT_REGS_DI, PT_REGS_SI, PT_REGS_DX, PT_REGS_R10, PT_REGS_R8, PT_REGS_R9,
};

/*
 * Read @size bytes at @ptr + @off (kernel or user memory) into a fresh
 * vreg, zero-extended. Goes through one shared 8-byte stack slot: the value
 * is loaded into a register right after, so the slot is free again. On a
 * fault the helper zeroes the slot, so a bad pointer reads as 0.
 */
static int read_mem(struct cg *cg, int ptr, int off, int size, bool user)
{
	int args[3], r = ir_vreg(cg->ir);

	if (!cg->scratch)
		cg->scratch = ir_stack_alloc(cg->ir, 8, 8);
	args[0] = ir_vreg(cg->ir);
	ir_stack_addr(cg->ir, args[0], (int16_t)cg->scratch);
	if (size < 8)
		ir_store_stack_imm(cg->ir, 8, (int16_t)cg->scratch, 0);
	args[1] = ir_vreg(cg->ir);
	ir_mov_imm(cg->ir, args[1], size);
	args[2] = ir_vreg(cg->ir);
	ir_mov(cg->ir, args[2], ptr);
	if (off)
		ir_alu_imm(cg->ir, BPF_ADD, args[2], off);
	ir_call(cg->ir, user ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel, -1, 3,
		args);
	ir_load_stack(cg->ir, size == 8 ? 8 : size == 4 ? 4 : size == 2 ? 2 : size == 1 ? 1 : 8,
		      r, (int16_t)cg->scratch);
	return r;
}

static int read_kernel_u64(struct cg *cg, int ptr, int off)
{
	return read_mem(cg, ptr, off, 8, false);
}

/* The compiler's view of BTF type @id. */
static struct ty ty_btf(struct cg *cg, __u32 id, bool user)
{
	struct btf *btf = cg_btf(cg);
	struct ktype k;
	struct ty t;

	if (!btf || ktype_resolve(btf, id, &k))
		return ty_int(8, false);
	switch (k.kind) {
	case KT_INT:
		t = ty_int(k.size == 1 || k.size == 2 || k.size == 4 ? k.size : 8, k.is_signed);
		t.is_char = k.is_char;
		break;
	case KT_PTR:
		t = (struct ty){ .kind = TY_PTR, .size = 8, .is_char = k.is_char, .btf_id = k.id };
		break;
	case KT_STRUCT:
		t = (struct ty){ .kind = TY_STRUCT, .size = k.size, .btf_id = k.id };
		break;
	case KT_ARRAY:
		t = (struct ty){ .kind = TY_ARRAY, .size = k.size, .is_char = k.is_char,
				 .array_len = k.nelems, .btf_id = k.id,
				 .elem_size = k.nelems ? k.size / k.nelems : 0 };
		break;
	default:
		t = ty_int(8, false);
		break;
	}
	t.user = user;
	return t;
}

/* The value of BTF type @id at @ptr + @off; structs and arrays stay in memory. */
static struct val load_btf(struct cg *cg, int ptr, int off, __u32 id, bool user, int col)
{
	struct ty t = ty_btf(cg, id, user);
	struct val v = { .ty = t, .col = col };
	int r;

	if (t.kind == TY_STRUCT || t.kind == TY_ARRAY) {
		v.where = VAL_MEM;
		v.reg = ptr;
		v.off = off;
		return v;
	}
	r = read_mem(cg, ptr, off, t.size, user);
	extend(cg, r, t.size, t.is_signed);
	return val_reg(r, t, col);
}

/* A bitfield of @bits bits at bit @bit_off from @ptr. */
static struct val load_bitfield(struct cg *cg, int ptr, int bit_off, int bits, __u32 id,
				bool user, int col)
{
	struct ty t = ty_btf(cg, id, user);
	int shift = bit_off % 8, nbytes = (shift + bits + 7) / 8;
	int r = read_mem(cg, ptr, bit_off / 8, nbytes, user);

	/* Little-endian: the field starts @shift bits into its first byte. */
	ir_alu_imm(cg->ir, BPF_LSH, r, 64 - shift - bits);
	ir_alu_imm(cg->ir, t.is_signed ? BPF_ARSH : BPF_RSH, r, 64 - bits);
	t = ty_int(t.size == 8 ? 8 : 4, t.is_signed);
	return val_reg(r, t, col);
}

/*
 * argN of a kernel function. Syscall wrappers (__x64_sys_*) take one
 * struct pt_regs * whose registers hold the real arguments.
 */
static struct val compile_arg(struct cg *cg, int n, const struct expr *e)
{
	struct probe *p = cg->p;
	struct ty t = { .kind = TY_INT, .size = 8, .user = p->user_args || e->user };
	int r = ir_vreg(cg->ir);

	if (p->mech == MECH_FENTRY) {
		if (p->nparams >= 0 && n > p->nparams && !p->syscall_wrapper) {
			cg_error(cg, e->col, "%s takes %d argument%s, there is no %s",
				 p->targets[p->cur_target].name, p->nparams,
				 p->nparams == 1 ? "" : "s", e->name);
			return val_dummy(e->col);
		}
		ir_load(cg->ir, 8, r, cg->ctx, (int16_t)(p->syscall_wrapper ? 0 : (n - 1) * 8));
	} else if (p->is_return) {
		cg_error(cg, e->col, "%s is not available in a return probe with kprobes "
			 "(fexit has it; the kernel refused fentry here)", e->name);
		return val_dummy(e->col);
	} else {
		ir_load(cg->ir, 8, r, cg->ctx, (int16_t)call_regs[p->syscall_wrapper ? 0 : n - 1]);
	}
	if (p->syscall_wrapper)
		r = read_kernel_u64(cg, r, syscall_regs[n - 1]);
	t.is_signed = false;
	return val_reg(r, t, e->col);
}

/* The one kernel function @p's program is compiled for, or NULL (patterns). */
static const char *single_target(const struct probe *p)
{
	if (!p->ntargets || (p->wildcard && p->mech != MECH_FENTRY))
		return NULL;
	return p->targets[p->cur_target].name;
}

/*
 * BCC's retval is a u64. With BTF we know better: vfs_read returns ssize_t,
 * so "retval < 0" means what it says.
 */
static struct val typed_retval(struct cg *cg, int r, int col)
{
	const char *func = single_target(cg->p);
	struct btf *btf = func ? cg_btf(cg) : NULL;
	__u32 tid;
	struct ty t;

	if (!btf || ktype_func_ret(btf, func, &tid) || !tid)
		return val_reg(r, ty_int(8, false), col);
	t = ty_btf(cg, tid, false);
	if (t.kind != TY_INT && t.kind != TY_PTR)
		return val_reg(r, ty_int(8, false), col);
	extend(cg, r, t.size, t.is_signed);
	return val_reg(r, t, col);
}

static struct val compile_retval(struct cg *cg, const struct expr *e)
{
	struct probe *p = cg->p;
	int r = ir_vreg(cg->ir);

	if (!p->is_return) {
		cg_error(cg, e->col, "retval is only available in return probes (r::%s)",
			 p->func_name);
		return val_dummy(e->col);
	}
	if (p->mech == MECH_FENTRY)
		/* fexit's context: the arguments, then the return value. */
		ir_load(cg->ir, 8, r, cg->ctx, (int16_t)(p->nparams * 8));
	else
		ir_load(cg->ir, 8, r, cg->ctx, PT_REGS_AX);
	return typed_retval(cg, r, e->col);
}

static bool compile_param(struct cg *cg, const struct expr *e, struct val *out);
static bool compile_btf_param(struct cg *cg, const struct expr *e, struct val *out);

static struct val compile_ident(struct cg *cg, const struct expr *e)
{
	if (is_kfunc(cg->p)) {
		struct val v;

		if (compile_param(cg, e, &v) || compile_btf_param(cg, e, &v))
			return v;
		if (is_arg_name(e->name))
			return compile_arg(cg, e->name[3] - '0', e);
		if (!strcmp(e->name, "retval"))
			return compile_retval(cg, e);
		if (!strcmp(e->name, "ctx")) {
			v = val_reg(cg->ctx, ty_int(8, false), e->col);
			v.ty.kind = TY_PTR;
			return v;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(builtins); i++)
		if (!strcmp(e->name, builtins[i].name))
			return compile_builtin(cg, &builtins[i], e->col);
	if (cg->p->spec.type == 't' &&
	    (is_arg_name(e->name) || !strcmp(e->name, "retval") || !strcmp(e->name, "ctx"))) {
		cg_error(cg, e->col, "'%s' is not available in a tracepoint probe; "
			 "use args->FIELD", e->name);
		return val_dummy(e->col);
	}
	if (!strcmp(e->name, "args")) {
		cg_error(cg, e->col, "'args' is a pointer to the tracepoint's fields; "
			 "write args->FIELD");
		return val_dummy(e->col);
	}
	unknown_ident(cg, e);
	return val_dummy(e->col);
}

/* --- tracepoint fields ---------------------------------------------------- */

static bool type_is_char(const char *type)
{
	return strstr(type, "char") != NULL;
}

static struct val load_ctx(struct cg *cg, int off, int size, bool is_signed, int col)
{
	int r = ir_vreg(cg->ir);

	ir_load(cg->ir, size, r, cg->ctx, (int16_t)off);
	extend(cg, r, size, is_signed);
	return val_reg(r, ty_int(size, is_signed), col);
}

static struct val tp_data_loc(struct cg *cg, const struct tp_field *f, int col)
{
	struct val v = load_ctx(cg, f->offset, 4, false, col);
	int r = v.reg;

	/* The low 16 bits are the offset of the data. */
	ir_alu_imm(cg->ir, BPF_AND, r, 0xffff);
	if (f->rel_loc)
		ir_alu_imm(cg->ir, BPF_ADD, r, f->offset + f->size);
	ir_alu(cg->ir, BPF_ADD, r, cg->ctx);
	v.where = VAL_LOC;
	v.ty = (struct ty){ .kind = TY_DATA_LOC, .size = 8, .is_char = type_is_char(f->type) };
	return v;
}

static struct val tp_field(struct cg *cg, const struct tp_field *f, int col)
{
	struct val v = { .col = col };

	if (f->data_loc || f->rel_loc)
		return tp_data_loc(cg, f, col);
	if (f->is_array) {
		v.where = VAL_CTX;
		v.off = f->offset;
		/* The format's "signed" is the element type's. */
		v.ty = (struct ty){ .kind = TY_ARRAY, .size = f->size, .is_char = type_is_char(f->type),
				    .is_signed = f->is_signed, .array_len = f->array_len,
				    .elem_size = f->array_len ? f->size / f->array_len : 1 };
		return v;
	}
	if (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8) {
		cg_error(cg, col, "field '%s' has an unsupported size of %d bytes", f->name, f->size);
		return val_dummy(col);
	}
	v = load_ctx(cg, f->offset, f->size, f->is_signed, col);
	if (f->is_pointer) {
		v.ty.kind = TY_PTR;
		/* "const char *const *" (argv) points at pointers, not characters. */
		v.ty.is_char = type_is_char(f->type) &&
			       strchr(f->type, '*') == strrchr(f->type, '*');
		/* System call arguments point into the calling process. */
		v.ty.user = !strcmp(cg->p->spec.category, "syscalls");
	}
	return v;
}

/* The struct a '->' or '.' applies to: its BTF id, base vreg and offset. */
static bool member_base(struct cg *cg, const struct expr *e, struct val *base, __u32 *sid,
			int *ptr, int *off)
{
	struct btf *btf = cg_btf(cg);
	struct ktype k;
	char name[128];

	if (e->arrow) {
		if (base->ty.kind != TY_PTR && !(base->ty.kind == TY_INT && base->ty.size == 8)) {
			cg_error(cg, e->col, "'->' needs a pointer to a struct%s",
				 base->ty.kind == TY_STRUCT ? " (this is a struct: use '.')" : "");
			return false;
		}
		if (!base->ty.btf_id || !btf) {
			cg_error(cg, e->lhs->col, "this pointer has no known type; give the probe a "
				 "signature or cast it, e.g. ((struct file *)arg1)->f_flags");
			return false;
		}
		if (ktype_resolve(btf, base->ty.btf_id, &k) || k.kind != KT_STRUCT) {
			cg_error(cg, e->col, "'->' on a pointer to %s, which is not a struct",
				 ktype_name(btf, base->ty.btf_id, name, sizeof(name)));
			return false;
		}
		*sid = k.id;
		*ptr = cg_int_reg(cg, base);
		*off = 0;
		return true;
	}
	if (base->where != VAL_MEM || base->ty.kind != TY_STRUCT) {
		cg_error(cg, e->col, "'.' needs a struct%s",
			 base->ty.kind == TY_PTR ? " (this is a pointer: use '->')" : "");
		return false;
	}
	*sid = base->ty.btf_id;
	*ptr = base->reg;
	*off = base->off;
	return true;
}

static struct val compile_btf_member(struct cg *cg, const struct expr *e)
{
	struct val base = cg_expr(cg, e->lhs);
	struct btf *btf = cg_btf(cg);
	__u32 sid, mtype, bit_off, bits;
	int ptr, off, col = e->col + (e->arrow ? 2 : 1);
	char name[128], *alt;

	if (cg->failed || !member_base(cg, e, &base, &sid, &ptr, &off))
		return val_dummy(e->col);
	if (ktype_member(btf, sid, e->name, &mtype, &bit_off, &bits)) {
		alt = ktype_member_suggest(btf, sid, e->name);
		cg_error(cg, col, "%s has no member '%s'%s%s%s",
			 ktype_name(btf, sid, name, sizeof(name)), e->name,
			 alt ? " (did you mean '" : "", alt ? alt : "", alt ? "'?)" : "");
		free(alt);
		return val_dummy(e->col);
	}
	if (bits)
		return load_bitfield(cg, ptr, off * 8 + (int)bit_off, (int)bits, mtype,
				     base.ty.user, col);
	return load_btf(cg, ptr, off + (int)(bit_off / 8), mtype, base.ty.user, col);
}

static struct val compile_member(struct cg *cg, const struct expr *e)
{
	const struct tp_field *f;
	const char *alt;

	if (e->lhs->kind != EXPR_IDENT || strcmp(e->lhs->name, "args") || !e->arrow)
		return compile_btf_member(cg, e);
	if (!cg->p->tp) {
		cg_error(cg, e->lhs->col, "args->FIELD is only available in tracepoint probes");
		return val_dummy(e->col);
	}
	f = tp_format_field(cg->p->tp, e->name);
	if (f)
		return tp_field(cg, f, e->col + 2);
	alt = tp_format_suggest(cg->p->tp, e->name);
	if (alt)
		cg_error(cg, e->col + 2, "tracepoint %s:%s has no field '%s' (did you mean '%s'?)",
			 cg->p->spec.category, cg->p->spec.function, e->name, alt);
	else
		cg_error(cg, e->col + 2, "tracepoint %s:%s has no field '%s'",
			 cg->p->spec.category, cg->p->spec.function, e->name);
	return val_dummy(e->col);
}

/* Element @ix of an array in memory or of a typed pointer. */
static struct val index_memory(struct cg *cg, const struct expr *e, struct val *base,
			       struct val *ix)
{
	struct ktype k;
	__u32 elem;
	int ptr, off = 0, esize;

	if (base->where == VAL_MEM && base->ty.kind == TY_ARRAY) {
		elem = base->ty.btf_id;
		ptr = base->reg;
		off = base->off;
	} else if (base->ty.kind == TY_PTR && base->ty.btf_id) {
		elem = base->ty.btf_id;
		ptr = cg_int_reg(cg, base);
	} else {
		cg_error(cg, e->col, "only arrays and typed pointers can be indexed");
		return val_dummy(e->col);
	}
	if (!require_int(cg, ix, "an index") || ktype_resolve(cg_btf(cg), elem, &k))
		return val_dummy(e->col);
	esize = k.kind == KT_PTR ? 8 : k.size;
	if (esize <= 0) {
		cg_error(cg, e->col, "cannot index an array of elements without a size");
		return val_dummy(e->col);
	}
	/*
	 * Constant indexes of BTF arrays are checked, except for the old
	 * one-element "flexible" arrays ([0] and [1]) at the end of structs.
	 */
	if (ix->where == VAL_IMM && base->ty.kind == TY_ARRAY && base->ty.array_len > 1 &&
	    (ix->imm < 0 || ix->imm >= base->ty.array_len)) {
		cg_error(cg, e->rhs->col, "index %lld is out of bounds (array of %d)",
			 (long long)ix->imm, base->ty.array_len);
		return val_dummy(e->col);
	}
	if (ix->where == VAL_IMM) {
		int64_t at = (int64_t)off + ix->imm * (int64_t)esize;

		if (ix->imm > INT32_MAX || ix->imm < INT32_MIN || at > INT32_MAX || at < INT32_MIN) {
			cg_error(cg, e->rhs->col, "index %lld is too far from the start",
				 (long long)ix->imm);
			return val_dummy(e->col);
		}
		return load_btf(cg, ptr, (int)at, elem, base->ty.user, e->col);
	}
	/* A variable index: the address is computed, then read like any other. */
	int addr = int_copy(cg, ix);

	ir_alu_imm(cg->ir, BPF_MUL, addr, esize);
	ir_alu(cg->ir, BPF_ADD, addr, ptr);
	return load_btf(cg, addr, off, elem, base->ty.user, e->col);
}

static struct val compile_index(struct cg *cg, const struct expr *e)
{
	struct val base = cg_expr(cg, e->lhs), ix;
	int esize;

	if (cg->failed)
		return val_dummy(e->col);
	ix = cg_expr(cg, e->rhs);
	if (cg->failed)
		return val_dummy(e->col);
	if (base.where != VAL_CTX)
		return index_memory(cg, e, &base, &ix);
	if (ix.where != VAL_IMM) {
		cg_error(cg, e->rhs->col, "an array of tracepoint fields needs a constant index");
		return val_dummy(e->col);
	}
	esize = base.ty.elem_size;
	if (ix.imm < 0 || (base.ty.array_len && ix.imm >= base.ty.array_len)) {
		cg_error(cg, e->rhs->col, "index %lld is out of bounds (array of %d)",
			 (long long)ix.imm, base.ty.array_len);
		return val_dummy(e->col);
	}
	if (esize != 1 && esize != 2 && esize != 4 && esize != 8) {
		cg_error(cg, e->col, "cannot index an array of %d-byte elements", esize);
		return val_dummy(e->col);
	}
	return load_ctx(cg, base.off + (int)ix.imm * esize, esize, base.ty.is_signed, e->col);
}

/* --- operators ----------------------------------------------------------- */

/*
 * C's rule for the type of an integer literal: the first of int, unsigned
 * int (hex and octal only), long, unsigned long (hex, octal, or too big)
 * that holds it; a u suffix skips the signed ones, an l suffix the 32-bit
 * ones.
 */
static struct val compile_int_literal(const struct expr *e)
{
	bool u = e->is_unsigned, any_sign = e->not_decimal;
	int64_t v = (int64_t)e->ival;

	/* Negative only for a character literal such as '\xff': an int, as in C. */
	if (!e->is_long && !u && v >= INT32_MIN && v <= INT32_MAX)
		return val_imm(v, ty_int(4, true), e->col);
	if (!e->is_long && (u || any_sign) && e->ival <= UINT32_MAX)
		return val_imm(v, ty_int(4, false), e->col);
	if (!u && e->ival <= INT64_MAX)
		return val_imm(v, ty_int(8, true), e->col);
	return val_imm(v, ty_int(8, false), e->col);
}

/* Materialise a 0/1 result of a comparison. */
static struct val cmp_result(struct cg *cg, int op, int a, int b, int col)
{
	int r = ir_vreg(cg->ir), done = ir_label(cg->ir);

	ir_mov_imm(cg->ir, r, 1);
	ir_jcond(cg->ir, op, a, b, done);
	ir_mov_imm(cg->ir, r, 0);
	ir_bind(cg->ir, done);
	return val_reg(r, ty_int(4, true), col);
}

/*
 * Registers hold values extended per their own type. Converting to a wider
 * type needs nothing (sign- or zero-extension already happened); a change
 * of signedness at the same width needs re-extension.
 */
static void convert(struct cg *cg, int reg, struct ty from, struct ty to)
{
	from = promote(from);
	if (to.size < from.size || (to.size == from.size && to.is_signed != from.is_signed))
		extend(cg, reg, to.size, to.is_signed);
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

static int64_t fold(int op, int64_t a, int64_t b, struct ty t)
{
	uint64_t ua = (uint64_t)a, ub = (uint64_t)b;

	switch (op) {
	case '+': return (int64_t)(ua + ub);
	case '-': return (int64_t)(ua - ub);
	case '*': return (int64_t)(ua * ub);
	case '/': return t.is_signed ? (b == -1 ? (int64_t)(0 - ua) : a / b) : (int64_t)(ua / ub);
	case '%': return t.is_signed ? (b == -1 ? 0 : a % b) : (int64_t)(ua % ub);
	case '&': return a & b;
	case '|': return a | b;
	case '^': return a ^ b;
	case OP_SHL: return (int64_t)(ua << (ub & 63));
	case OP_SHR: return t.is_signed ? a >> (ub & 63) : (int64_t)(ua >> (ub & 63));
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	case '<': return t.is_signed ? a < b : ua < ub;
	case '>': return t.is_signed ? a > b : ua > ub;
	case OP_LE: return t.is_signed ? a <= b : ua <= ub;
	case OP_GE: return t.is_signed ? a >= b : ua >= ub;
	default: return 0;
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

static void cg_branch(struct cg *cg, const struct expr *e, bool when, int label);

static struct val compile_logical(struct cg *cg, const struct expr *e)
{
	int r = ir_vreg(cg->ir), done = ir_label(cg->ir);

	ir_mov_imm(cg->ir, r, 0);
	cg_branch(cg, e, false, done);
	ir_mov_imm(cg->ir, r, 1);
	ir_bind(cg->ir, done);
	return val_reg(r, ty_int(4, true), e->col);
}

static bool check_div_zero(struct cg *cg, const struct expr *e, const struct val *b)
{
	if ((e->op == '/' || e->op == '%') && b->where == VAL_IMM && b->imm == 0) {
		cg_error(cg, e->rhs->col, "division by zero");
		return false;
	}
	/* BPF cannot encode these (and C leaves them undefined). */
	if ((e->op == OP_SHL || e->op == OP_SHR) && b->where == VAL_IMM &&
	    (b->imm < 0 || b->imm > 63)) {
		cg_error(cg, e->rhs->col, "shift count %lld is out of range (0 to 63)",
			 (long long)b->imm);
		return false;
	}
	return true;
}

static struct val compile_binary(struct cg *cg, const struct expr *e)
{
	struct val a, b;
	struct ty t;
	int op = e->op, ra, rb;
	int64_t bi;
	bool cmp;

	if (op == OP_LAND || op == OP_LOR)
		return compile_logical(cg, e);
	a = cg_expr(cg, e->lhs);
	b = cg_expr(cg, e->rhs);
	if (cg->failed || !require_int(cg, &a, "this operator") ||
	    !require_int(cg, &b, "this operator") || !check_div_zero(cg, e, &b))
		return val_dummy(e->col);
	cmp = jmp_op(op, false) >= 0;
	/* Shifts take the type of the (promoted) left operand. */
	t = op == OP_SHL || op == OP_SHR ? promote(a.ty) : arith_type(a.ty, b.ty);
	if (a.where == VAL_IMM && b.where == VAL_IMM) {
		int64_t v = fold(op, extend_imm(a.imm, t.size, t.is_signed),
				 extend_imm(b.imm, t.size, t.is_signed), t);

		return cmp ? val_imm(v, ty_int(4, true), e->col) :
			     val_imm(extend_imm(v, t.size, t.is_signed), t, e->col);
	}
	ra = int_copy(cg, &a);
	convert(cg, ra, a.ty, t);
	/*
	 * The immediate is sign-extended to 64 bits by BPF: it must be the
	 * operand converted to t, or "u32 / -1" divides by 2^64 - 1.
	 */
	bi = b.where == VAL_IMM ? extend_imm(b.imm, t.size, t.is_signed) : 0;
	if (b.where == VAL_IMM && bi >= INT32_MIN && bi <= INT32_MAX && !cmp &&
	    !(t.is_signed && (op == '/' || op == '%'))) {
		ir_alu_imm(cg->ir, alu_op(op, t.is_signed), ra, (int32_t)bi);
	} else {
		rb = int_copy(cg, &b);
		convert(cg, rb, b.ty, t);
		if (cmp)
			return cmp_result(cg, jmp_op(op, t.is_signed), ra, rb, e->col);
		if (t.is_signed && (op == '/' || op == '%'))
			signed_divmod(cg, op, ra, rb);
		else
			ir_alu(cg->ir, alu_op(op, t.is_signed), ra, rb);
	}
	extend(cg, ra, t.size, t.is_signed);
	return val_reg(ra, t, e->col);
}

static struct val deref(struct cg *cg, const struct expr *e, struct val *v)
{
	if (v->ty.kind == TY_PTR && v->ty.btf_id && cg_btf(cg))
		return load_btf(cg, cg_int_reg(cg, v), 0, v->ty.btf_id, v->ty.user, e->col);
	if (v->ty.kind == TY_PTR && v->ty.is_char) {
		int r = read_mem(cg, cg_int_reg(cg, v), 0, 1, v->ty.user);

		extend(cg, r, 1, true);
		return val_reg(r, ty_int(1, true), e->col);
	}
	cg_error(cg, e->col, "cannot dereference this value: %s", v->ty.kind == TY_PTR ?
		 "the pointer has no known type (cast it, e.g. *(struct file *)arg1)" :
		 "it is not a pointer");
	return val_dummy(e->col);
}

static struct val address_of(struct cg *cg, const struct expr *e, struct val *v)
{
	int r;

	if (v->where != VAL_MEM) {
		cg_error(cg, e->col, "'&' needs a struct or array in memory, e.g. &file->f_path");
		return val_dummy(e->col);
	}
	r = ir_vreg(cg->ir);
	ir_mov(cg->ir, r, v->reg);
	if (v->off)
		ir_alu_imm(cg->ir, BPF_ADD, r, v->off);
	return val_reg(r, (struct ty){ .kind = TY_PTR, .size = 8, .user = v->ty.user,
				       .btf_id = v->ty.kind == TY_STRUCT ? v->ty.btf_id : 0 },
		       e->col);
}

static struct val compile_unary(struct cg *cg, const struct expr *e)
{
	struct val v = cg_expr(cg, e->lhs);
	struct ty t;
	int r;

	if (cg->failed)
		return val_dummy(e->col);
	if (e->op == '*')
		return deref(cg, e, &v);
	if (e->op == '&')
		return address_of(cg, e, &v);
	if (!require_int(cg, &v, e->op == '!' ? "'!'" : e->op == '~' ? "'~'" : "'-'"))
		return val_dummy(e->col);
	if (e->op == '!') {
		if (v.where == VAL_IMM)
			return val_imm(!v.imm, ty_int(4, true), e->col);
		r = ir_vreg(cg->ir);
		ir_mov_imm(cg->ir, r, 0);
		return cmp_result(cg, BPF_JEQ, cg_int_reg(cg, &v), r, e->col);
	}
	t = promote(v.ty);
	if (v.where == VAL_IMM) {
		/* Negated in unsigned arithmetic: -INT64_MIN wraps as it does in BPF. */
		int64_t folded = e->op == '-' ? (int64_t)(0 - (uint64_t)v.imm) : ~v.imm;

		return val_imm(extend_imm(folded, t.size, t.is_signed), t, e->col);
	}
	r = int_copy(cg, &v);
	if (e->op == '-')
		ir_neg(cg->ir, r);
	else
		ir_alu_imm(cg->ir, BPF_XOR, r, -1);
	extend(cg, r, t.size, t.is_signed);
	return val_reg(r, t, e->col);
}

static struct val compile_ternary(struct cg *cg, const struct expr *e)
{
	int r = ir_vreg(cg->ir), other = ir_label(cg->ir), done = ir_label(cg->ir);
	struct val a, b;
	struct ty t;

	cg_branch_false(cg, e->cond, other);
	a = cg_expr(cg, e->lhs);
	if (cg->failed || !require_int(cg, &a, "'?:'"))
		return val_dummy(e->col);
	ir_mov(cg->ir, r, cg_int_reg(cg, &a));
	ir_jmp(cg->ir, done);
	ir_bind(cg->ir, other);
	b = cg_expr(cg, e->rhs);
	if (cg->failed || !require_int(cg, &b, "'?:'"))
		return val_dummy(e->col);
	ir_mov(cg->ir, r, cg_int_reg(cg, &b));
	ir_bind(cg->ir, done);
	t = arith_type(a.ty, b.ty);
	extend(cg, r, t.size, t.is_signed);
	return val_reg(r, t, e->col);
}

/* --- casts ------------------------------------------------------------- */

static const struct {
	const char *name;
	int size;
	bool is_signed;
} int_types[] = {
	{ "char", 1, true }, { "signed char", 1, true }, { "unsigned char", 1, false },
	{ "short", 2, true }, { "short int", 2, true }, { "signed short", 2, true },
	{ "unsigned short", 2, false }, { "unsigned short int", 2, false },
	{ "int", 4, true }, { "signed", 4, true }, { "signed int", 4, true },
	{ "unsigned", 4, false }, { "unsigned int", 4, false },
	{ "long", 8, true }, { "long int", 8, true }, { "signed long", 8, true },
	{ "unsigned long", 8, false }, { "unsigned long int", 8, false },
	{ "long long", 8, true }, { "long long int", 8, true },
	{ "unsigned long long", 8, false }, { "unsigned long long int", 8, false },
	{ "bool", 1, false }, { "_Bool", 1, false },
	{ "u8", 1, false }, { "__u8", 1, false }, { "uint8_t", 1, false },
	{ "s8", 1, true }, { "__s8", 1, true }, { "int8_t", 1, true },
	{ "u16", 2, false }, { "__u16", 2, false }, { "uint16_t", 2, false },
	{ "s16", 2, true }, { "__s16", 2, true }, { "int16_t", 2, true },
	{ "u32", 4, false }, { "__u32", 4, false }, { "uint32_t", 4, false },
	{ "s32", 4, true }, { "__s32", 4, true }, { "int32_t", 4, true },
	{ "u64", 8, false }, { "__u64", 8, false }, { "uint64_t", 8, false },
	{ "s64", 8, true }, { "__s64", 8, true }, { "int64_t", 8, true },
	{ "size_t", 8, false }, { "ssize_t", 8, true }, { "uintptr_t", 8, false },
	{ "pid_t", 4, true }, { "uid_t", 4, false }, { "gid_t", 4, false },
	{ "loff_t", 8, true }, { "off_t", 8, true }, { "umode_t", 2, false },
	{ "dev_t", 4, false }, { "gfp_t", 4, false }, { "sector_t", 8, false },
};

/* Give a struct pointer its BTF pointee; false (error printed) if unknown. */
static bool pointee_btf(struct cg *cg, struct ty *t, const char *base, int col)
{
	struct btf *btf = cg_btf(cg);
	int id;

	if (!btf) {
		cg_error(cg, col, "'%s' needs the kernel's BTF, and this kernel has none", base);
		return false;
	}
	id = ktype_find(btf, base);
	if (id < 0) {
		cg_error(cg, col, "unknown type '%s' (not in the kernel's BTF)", base);
		return false;
	}
	t->btf_id = (__u32)id;
	return true;
}

/* A cast to a kernel typedef of an integer or pointer ("sector_t", "pgoff_t"). */
static struct val cast_typedef(struct cg *cg, struct val v, const char *base, int col)
{
	struct btf *btf = cg_btf(cg);
	int id = btf ? ktype_find(btf, base) : -1;
	struct ty t;
	int r;

	if (id > 0) {
		t = ty_btf(cg, (__u32)id, v.ty.user);
		if (t.kind == TY_INT && require_int(cg, &v, "a cast")) {
			r = int_copy(cg, &v);
			extend(cg, r, t.size, t.is_signed);
			return val_reg(r, t, col);
		}
		if (t.kind == TY_PTR && require_int(cg, &v, "a cast")) {
			v.ty = t;
			return v;
		}
	}
	cg_error(cg, col, "cannot cast to '%s': not an integer or pointer type%s", base,
		 id > 0 ? "" : " known here");
	return val_dummy(col);
}

/* Convert @v to the C type @ct (casts and signature parameters). */
static struct val cast_val(struct cg *cg, struct val v, const struct ctype *ct, int col)
{
	const char *base = ct->base;
	int r;

	if (ct->ptr) {
		if (!require_int(cg, &v, "a pointer cast"))
			return val_dummy(col);
		v.ty = (struct ty){ .kind = TY_PTR, .size = 8, .user = v.ty.user || ct->user,
				    .is_char = ct->ptr == 1 && strstr(base, "char") };
		if (!strncmp(base, "struct ", 7) || !strncmp(base, "union ", 6)) {
			v.ty.is_char = false;
			if (ct->ptr == 1 && !pointee_btf(cg, &v.ty, base, col))
				return val_dummy(col);
		}
		return v;
	}
	for (size_t i = 0; i < ARRAY_SIZE(int_types); i++) {
		struct ty t = ty_int(int_types[i].size, int_types[i].is_signed);

		if (strcmp(base, int_types[i].name))
			continue;
		if (!require_int(cg, &v, "a cast"))
			return val_dummy(col);
		if (!strcmp(base, "bool") || !strcmp(base, "_Bool")) {
			if (v.where == VAL_IMM)
				return val_imm(v.imm != 0, t, col);
			r = ir_vreg(cg->ir);
			ir_mov_imm(cg->ir, r, 0);
			v = cmp_result(cg, BPF_JNE, cg_int_reg(cg, &v), r, col);
			v.ty = t;
			return v;
		}
		if (v.where == VAL_IMM)
			return val_imm(extend_imm(v.imm, t.size, t.is_signed), t, col);
		r = int_copy(cg, &v);
		extend(cg, r, t.size, t.is_signed);
		return val_reg(r, t, col);
	}
	return cast_typedef(cg, v, base, col);
}

static struct val compile_cast(struct cg *cg, const struct expr *e)
{
	struct val v = cg_expr(cg, e->lhs);

	if (cg->failed)
		return val_dummy(e->col);
	return cast_val(cg, v, &e->cast, e->col);
}

/*
 * Beyond BCC: without a signature, the function's parameter names and
 * types come from BTF, so "count" or "file->f_inode->i_ino" just work.
 */
static bool compile_btf_param(struct cg *cg, const struct expr *e, struct val *out)
{
	const char *func = single_target(cg->p);
	struct btf *btf = func && !cg->p->spec.has_signature ? cg_btf(cg) : NULL;
	__u32 tid;
	struct ty t;
	int idx, r;

	if (!btf || ktype_func_param(btf, func, e->name, &idx, &tid))
		return false;
	if (idx > 6) {
		cg_error(cg, e->col, "'%s' is argument %d; only the first 6 can be read",
			 e->name, idx);
		*out = val_dummy(e->col);
		return true;
	}
	*out = compile_arg(cg, idx, e);
	t = ty_btf(cg, tid, out->ty.user);
	if (cg->failed || t.kind == TY_STRUCT || t.kind == TY_ARRAY)
		return true;
	r = cg_int_reg(cg, out);
	extend(cg, r, t.size, t.is_signed);
	*out = val_reg(r, t, e->col);
	return true;
}

/* A name from the probe's signature: the argument at its position. */
static bool compile_param(struct cg *cg, const struct expr *e, struct val *out)
{
	const struct probe_spec *ps = &cg->p->spec;

	for (size_t i = 0; i < ps->nparams; i++) {
		const struct param *pm = &ps->params[i];
		struct ctype ct = pm->type;
		bool known = ct.ptr > 0;

		if (strcmp(pm->name, e->name))
			continue;
		if (i >= 6) {
			cg_error(cg, e->col, "only the first 6 arguments can be read");
			return true;
		}
		*out = compile_arg(cg, (int)i + 1, e);
		for (size_t j = 0; !known && j < ARRAY_SIZE(int_types); j++)
			known = !strcmp(ct.base, int_types[j].name);
		/* Kernel typedefs come from BTF; without it they stay 64-bit integers. */
		if (!known && cg_btf(cg) && ktype_find(cg_btf(cg), ct.base) > 0)
			known = true;
		if (!cg->failed && known)
			*out = cast_val(cg, *out, &ct, e->col);
		return true;
	}
	return false;
}

/* --- STRCMP ----------------------------------------------------------------- */

bool cg_is_string(const struct val *v)
{
	/*
	 * As in BCC, a 64-bit integer (argN, a cast pointer) can be printed
	 * with %s: it is taken as the address of the string.
	 */
	if (v->ty.kind == TY_PTR || (v->ty.kind == TY_INT && v->ty.size == 8))
		return true;
	return v->ty.is_char && (v->ty.kind == TY_DATA_LOC || v->ty.kind == TY_ARRAY);
}

static int read_str_helper(const struct val *v)
{
	return v->ty.user ? BPF_FUNC_probe_read_user_str : BPF_FUNC_probe_read_kernel_str;
}

/*
 * Copy string @v to @dst (a vreg pointer), @size bytes max, with a _str
 * helper; @raw copies exactly @size bytes instead (binary STRCMP).
 */
static void read_bytes(struct cg *cg, struct val *v, int dst, int size, bool raw)
{
	int args[3];

	bool whole_array = false;

	args[0] = dst;
	args[1] = ir_vreg(cg->ir);
	args[2] = ir_vreg(cg->ir);
	if (v->where == VAL_CTX || v->where == VAL_MEM) {
		/*
		 * Arrays: never read past the end of the field. A char array
		 * that fits is copied whole and terminated here, since a _str
		 * read of its size would drop its last character when full.
		 */
		if (v->ty.kind == TY_ARRAY && v->ty.size > 0 && size > v->ty.size) {
			size = v->ty.size;
			whole_array = !raw;
			raw = true;
		}
		ir_mov(cg->ir, args[2], v->where == VAL_CTX ? cg->ctx : v->reg);
		if (v->off)
			ir_alu_imm(cg->ir, BPF_ADD, args[2], v->off);
	} else {
		ir_mov(cg->ir, args[2], cg_int_reg(cg, v));
	}
	ir_mov_imm(cg->ir, args[1], size);
	if (raw)
		ir_call(cg->ir, v->ty.user ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel,
			-1, 3, args);
	else
		ir_call(cg->ir, read_str_helper(v), -1, 3, args);
	if (whole_array)
		ir_store_imm(cg->ir, 1, dst, (int16_t)size, 0);
}

static void read_string(struct cg *cg, struct val *v, int dst, int size)
{
	read_bytes(cg, v, dst, size, false);
}

bool cg_store_string(struct cg *cg, struct val *v, int off, int size)
{
	int dst;

	if (!cg_is_string(v)) {
		cg_error(cg, v->col, "%%s needs a string (char array, char pointer or address)");
		return false;
	}
	dst = ir_vreg(cg->ir);
	ir_mov(cg->ir, dst, cg->rec);
	ir_alu_imm(cg->ir, BPF_ADD, dst, off);
	read_string(cg, v, dst, size);
	return true;
}

#define STRCMP_MAX 256

/*
 * -B: the literal is a C initializer of bytes, "{0x6C, 0x00, 0x00}". BCC
 * drops the last byte from the comparison; etrace compares them all.
 */
static int parse_bin_literal(struct cg *cg, const struct expr *lit, unsigned char *out)
{
	const char *p = lit->str;
	int n = 0;

	while (*p == ' ' || *p == '{')
		p++;
	while (*p && *p != '}') {
		char *end;
		unsigned long v = strtoul(p, &end, 0);

		if (end == p || v > 255 || n == STRCMP_MAX) {
			cg_error(cg, lit->col, "-B: the STRCMP literal must be bytes like "
				 "\"{0x6c, 0x00}\" (at most %d)", STRCMP_MAX);
			return -1;
		}
		out[n++] = (unsigned char)v;
		for (p = end; *p == ' ' || *p == ','; p++)
			;
	}
	if (!n)
		cg_error(cg, lit->col, "-B: the STRCMP literal has no bytes");
	return n ? n : -1;
}

/* The STRCMP literal's bytes, and whether they are compared raw (-B). */
static int strcmp_needle(struct cg *cg, const struct expr *lit, unsigned char *out, bool *raw)
{
	*raw = cg->s->opt.bin_cmp;
	if (*raw)
		return parse_bin_literal(cg, lit, out);
	if (lit->str_len == 0 || lit->str_len > STRCMP_MAX) {
		cg_error(cg, lit->col, "the STRCMP literal must have 1 to %d characters", STRCMP_MAX);
		return -1;
	}
	memcpy(out, lit->str, lit->str_len);
	return (int)lit->str_len;
}

/*
 * STRCMP("literal", expr) is true when the string starts with the
 * literal: BCC compares the first strlen(literal) bytes, so "foo" also
 * matches "foobar". etrace keeps that meaning for compatibility. The
 * string is copied into the per-CPU scratch area, not onto the stack.
 */
static struct val compile_strcmp(struct cg *cg, const struct expr *e)
{
	const struct expr *lit = e->nargs == 2 ? e->args[0] : NULL;
	unsigned char needle[STRCMP_MAX];
	struct val s;
	int len, off, r, ptr, fail;
	bool raw;

	if (!lit || lit->kind != EXPR_STR) {
		cg_error(cg, e->col, "STRCMP takes a string literal and a string: "
			 "STRCMP(\"text\", expr)");
		return val_dummy(e->col);
	}
	len = strcmp_needle(cg, lit, needle, &raw);
	if (len < 0)
		return val_dummy(e->col);
	s = cg_expr(cg, e->args[1]);
	if (cg->failed)
		return val_dummy(e->col);
	if (!cg_is_string(&s)) {
		cg_error(cg, s.col, "STRCMP needs a string (char array or char pointer) here");
		return val_dummy(e->col);
	}
	if (raw && s.ty.kind == TY_ARRAY && s.ty.size > 0 && len > s.ty.size) {
		cg_error(cg, lit->col, "-B: the literal has %d bytes but the field only %d", len,
			 s.ty.size);
		return val_dummy(e->col);
	}
	off = cg_scratch(cg, len + 1, e->col);
	if (off < 0)
		return val_dummy(e->col);
	ptr = ir_vreg(cg->ir);
	ir_mov(cg->ir, ptr, cg->scratch_base);
	ir_alu_imm(cg->ir, BPF_ADD, ptr, off);
	read_bytes(cg, &s, ptr, raw ? len : len + 1, raw);
	r = ir_vreg(cg->ir);
	fail = ir_label(cg->ir);
	ir_mov_imm(cg->ir, r, 0);
	for (int i = 0; i < len; i++) {
		int c = ir_vreg(cg->ir);

		ir_load(cg->ir, 1, c, cg->scratch_base, (int16_t)(off + i));
		ir_jcond_imm(cg->ir, BPF_JNE, c, needle[i], fail);
	}
	ir_mov_imm(cg->ir, r, 1);
	ir_bind(cg->ir, fail);
	return val_reg(r, ty_int(4, true), e->col);
}

static struct val compile_call(struct cg *cg, const struct expr *e)
{
	struct suggest sg;

	if (!strcmp(e->name, "STRCMP"))
		return compile_strcmp(cg, e);
	suggest_init(&sg, e->name);
	suggest_add(&sg, "STRCMP");
	cg_error(cg, e->col, "unknown function '%s'%s", e->name,
		 sg.best || !strcasecmp(e->name, "STRCMP") ? " (did you mean 'STRCMP'?)" :
		 " (the only function is STRCMP)");
	suggest_free(&sg);
	return val_dummy(e->col);
}

struct val cg_expr(struct cg *cg, const struct expr *e)
{
	if (cg->failed)
		return val_dummy(e->col);
	switch (e->kind) {
	case EXPR_INT: return compile_int_literal(e);
	case EXPR_IDENT: return compile_ident(cg, e);
	case EXPR_MEMBER: return compile_member(cg, e);
	case EXPR_INDEX: return compile_index(cg, e);
	case EXPR_CALL: return compile_call(cg, e);
	case EXPR_UNARY: return compile_unary(cg, e);
	case EXPR_BINARY: return compile_binary(cg, e);
	case EXPR_TERNARY: return compile_ternary(cg, e);
	case EXPR_CAST: return compile_cast(cg, e);
	case EXPR_STR:
		cg_error(cg, e->col, "a string literal can only be compared with STRCMP(\"text\", expr)");
		return val_dummy(e->col);
	}
	return val_dummy(e->col);
}

/* --- conditions -------------------------------------------------------------- */

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
static void branch_compare(struct cg *cg, const struct expr *e, bool when, int label)
{
	struct val a = cg_expr(cg, e->lhs), b = cg_expr(cg, e->rhs);
	struct ty t;
	int op, ra, rb;

	if (cg->failed || !require_int(cg, &a, "a comparison") ||
	    !require_int(cg, &b, "a comparison"))
		return;
	t = arith_type(a.ty, b.ty);
	if (a.where == VAL_IMM && b.where == VAL_IMM) {
		if (!!fold(e->op, extend_imm(a.imm, t.size, t.is_signed),
			   extend_imm(b.imm, t.size, t.is_signed), t) == when)
			ir_jmp(cg->ir, label);
		return;
	}
	op = jmp_op(e->op, t.is_signed);
	if (!when)
		op = invert_jmp(op);
	ra = cg_int_reg(cg, &a);
	if (promote(a.ty).size == t.size && promote(a.ty).is_signed != t.is_signed) {
		ra = int_copy(cg, &a);
		convert(cg, ra, a.ty, t);
	}
	if (b.where == VAL_IMM) {
		int64_t bi = extend_imm(b.imm, t.size, t.is_signed);

		if (bi >= INT32_MIN && bi <= INT32_MAX && (t.is_signed || bi >= 0)) {
			ir_jcond_imm(cg->ir, op, ra, (int32_t)bi, label);
			return;
		}
	}
	rb = int_copy(cg, &b);
	convert(cg, rb, b.ty, t);
	ir_jcond(cg->ir, op, ra, rb, label);
}

static void cg_branch(struct cg *cg, const struct expr *e, bool when, int label)
{
	struct val v;

	if (cg->failed)
		return;
	if (e->kind == EXPR_BINARY && jmp_op(e->op, false) >= 0)
		return branch_compare(cg, e, when, label);
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
	if (cg->failed || !require_int(cg, &v, "a condition"))
		return;
	if (v.where == VAL_IMM) {
		if ((v.imm != 0) == when)
			ir_jmp(cg->ir, label);
		return;
	}
	ir_jcond_imm(cg->ir, when ? BPF_JNE : BPF_JEQ, cg_int_reg(cg, &v), 0, label);
}

void cg_branch_false(struct cg *cg, const struct expr *e, int label)
{
	cg_branch(cg, e, false, label);
}
