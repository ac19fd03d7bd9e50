// SPDX-License-Identifier: BSD-2-Clause
/*
 * The IR builder: records instructions on virtual registers and labels,
 * checks operands as they arrive (so that a code generation bug is
 * reported against the call that made it, not as a verifier failure), and
 * drives analysis, allocation and emission in ir_finish().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile/disasm.h"
#include "compile/ir_internal.h"
#include "util.h"

int ir_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Errors are sticky: only the first one is kept, later ones are noise. */
static void __attribute__((format(printf, 3, 4)))
ir_error(struct ir *ir, int code, const char *fmt, ...)
{
	va_list ap;

	if (ir->err_code)
		return;
	ir->err_code = code;
	va_start(ap, fmt);
	vsnprintf(ir->err, sizeof(ir->err), fmt, ap);
	va_end(ap);
}

static struct ir_insn *ir_push(struct ir *ir, enum ir_op op)
{
	struct ir_insn *in;

	ir->insns = grow_array(ir->insns, &ir->cap, ir->ninsns + 1,
			       sizeof(*in));
	in = &ir->insns[ir->ninsns++];
	memset(in, 0, sizeof(*in));
	in->op = op;
	in->dst = in->a = in->b = in->label = -1;
	return in;
}

struct ir *ir_new(void)
{
	struct ir *ir = xcalloc(1, sizeof(*ir));

	/*
	 * The context arrives in r1. Defining it with an explicit entry
	 * instruction makes it an ordinary vreg for liveness; the entry
	 * vanishes when nothing reads the context.
	 */
	ir->ctx = ir_vreg(ir);
	ir_push(ir, IR_ENTRY)->dst = ir->ctx;
	return ir;
}

void ir_free(struct ir *ir)
{
	if (!ir)
		return;
	for (size_t i = 0; i < ir->ninsns; i++)
		free(ir->insns[i].text);
	free(ir->insns);
	free(ir->label_at);
	free(ir);
}

int ir_vreg(struct ir *ir)
{
	return ir->nvregs++;
}

int ir_ctx(struct ir *ir)
{
	return ir->ctx;
}

int ir_label(struct ir *ir)
{
	ir->label_at = grow_array(ir->label_at, &ir->label_cap,
				  ir->nlabels + 1, sizeof(int));
	ir->label_at[ir->nlabels] = -1;
	return (int)ir->nlabels++;
}

static bool check_vreg(struct ir *ir, int v)
{
	if (v >= 0 && v < ir->nvregs)
		return true;
	ir_error(ir, -EINVAL, "internal error: invalid vreg %d", v);
	return false;
}

static bool check_label(struct ir *ir, int label)
{
	if (label >= 0 && (size_t)label < ir->nlabels)
		return true;
	ir_error(ir, -EINVAL, "internal error: invalid label %d", label);
	return false;
}

static bool check_size(struct ir *ir, int size)
{
	if (size == 1 || size == 2 || size == 4 || size == 8)
		return true;
	ir_error(ir, -EINVAL, "internal error: invalid access size %d", size);
	return false;
}

void ir_bind(struct ir *ir, int label)
{
	if (!check_label(ir, label))
		return;
	if (ir->label_at[label] >= 0) {
		ir_error(ir, -EINVAL, "internal error: label L%d bound twice",
			 label);
		return;
	}
	ir->label_at[label] = (int)ir->ninsns;
	ir_push(ir, IR_LABEL)->label = label;
}

int ir_stack_alloc(struct ir *ir, int size, int align)
{
	if (size <= 0 || size > 65536 ||
	    (align != 1 && align != 2 && align != 4 && align != 8)) {
		ir_error(ir, -EINVAL,
			 "internal error: stack allocation of %d bytes aligned %d",
			 size, align);
		return -align;
	}
	/*
	 * The frame grows down from r10, which is 8-byte aligned, so an
	 * offset that is a multiple of @align gives an aligned address.
	 * Overflow is only reported by ir_finish(), once spills are known,
	 * so that the message can give the whole frame size.
	 */
	if (ir->stack_used > 32768)
		return -align;	/* keep offsets within s16; error follows */
	ir->stack_used = (ir->stack_used + size + align - 1) & ~(align - 1);
	return ir->stack_used > 32768 ? -align : -ir->stack_used;
}

void ir_mov_imm(struct ir *ir, int dst, int64_t imm)
{
	if (check_vreg(ir, dst)) {
		struct ir_insn *in = ir_push(ir, IR_MOV_IMM);

		in->dst = dst;
		in->imm = imm;
	}
}

void ir_mov(struct ir *ir, int dst, int src)
{
	if (check_vreg(ir, dst) && check_vreg(ir, src)) {
		struct ir_insn *in = ir_push(ir, IR_MOV);

		in->dst = dst;
		in->a = src;
	}
}

static bool check_alu_op(struct ir *ir, int op)
{
	switch (op) {
	case BPF_ADD: case BPF_SUB: case BPF_MUL: case BPF_DIV:
	case BPF_MOD: case BPF_OR: case BPF_AND: case BPF_XOR:
	case BPF_LSH: case BPF_RSH: case BPF_ARSH: case BPF_MOV:
		return true;
	}
	ir_error(ir, -EINVAL, "internal error: invalid ALU operation 0x%x", op);
	return false;
}

/* The verifier rejects these constant operands outright. */
static bool check_alu_imm(struct ir *ir, int op, int32_t imm, int bits)
{
	if ((op == BPF_DIV || op == BPF_MOD) && imm == 0) {
		ir_error(ir, -EINVAL, "division by zero");
		return false;
	}
	if ((op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) &&
	    (imm < 0 || imm >= bits)) {
		ir_error(ir, -EINVAL, "shift by %d out of range for %d bits",
			 imm, bits);
		return false;
	}
	return true;
}

static void alu_reg(struct ir *ir, enum ir_op op, int code, int dst, int src)
{
	struct ir_insn *in;

	if (!check_alu_op(ir, code) || !check_vreg(ir, dst) ||
	    !check_vreg(ir, src))
		return;
	if (op == IR_ALU && code == BPF_MOV) {
		ir_mov(ir, dst, src);
		return;
	}
	in = ir_push(ir, op);
	in->code = code;
	in->dst = dst;
	in->a = src;
}

static void alu_imm(struct ir *ir, enum ir_op op, int code, int dst,
		    int32_t imm)
{
	struct ir_insn *in;

	if (!check_alu_op(ir, code) || !check_vreg(ir, dst) ||
	    !check_alu_imm(ir, code, imm, op == IR_ALU_IMM ? 64 : 32))
		return;
	if (op == IR_ALU_IMM && code == BPF_MOV) {
		ir_mov_imm(ir, dst, imm);
		return;
	}
	in = ir_push(ir, op);
	in->code = code;
	in->dst = dst;
	in->imm = imm;
}

void ir_alu(struct ir *ir, int op, int dst, int src)
{
	alu_reg(ir, IR_ALU, op, dst, src);
}

void ir_alu_imm(struct ir *ir, int op, int dst, int32_t imm)
{
	alu_imm(ir, IR_ALU_IMM, op, dst, imm);
}

void ir_alu32(struct ir *ir, int op, int dst, int src)
{
	alu_reg(ir, IR_ALU32, op, dst, src);
}

void ir_alu32_imm(struct ir *ir, int op, int dst, int32_t imm)
{
	alu_imm(ir, IR_ALU32_IMM, op, dst, imm);
}

void ir_neg(struct ir *ir, int dst)
{
	if (check_vreg(ir, dst))
		ir_push(ir, IR_NEG)->dst = dst;
}

void ir_load(struct ir *ir, int size, int dst, int base, int16_t off)
{
	struct ir_insn *in;

	if (!check_size(ir, size) || !check_vreg(ir, dst) ||
	    !check_vreg(ir, base))
		return;
	in = ir_push(ir, IR_LOAD);
	in->code = size;
	in->dst = dst;
	in->a = base;
	in->off = off;
}

void ir_store(struct ir *ir, int size, int base, int16_t off, int src)
{
	struct ir_insn *in;

	if (!check_size(ir, size) || !check_vreg(ir, base) ||
	    !check_vreg(ir, src))
		return;
	in = ir_push(ir, IR_STORE);
	in->code = size;
	in->a = base;
	in->b = src;
	in->off = off;
}

void ir_store_imm(struct ir *ir, int size, int base, int16_t off, int32_t imm)
{
	struct ir_insn *in;

	if (!check_size(ir, size) || !check_vreg(ir, base))
		return;
	in = ir_push(ir, IR_STORE_IMM);
	in->code = size;
	in->a = base;
	in->off = off;
	in->imm = imm;
}

void ir_atomic_add(struct ir *ir, int size, int base, int16_t off, int src)
{
	struct ir_insn *in;

	if (size != 4 && size != 8) {
		ir_error(ir, -EINVAL,
			 "internal error: atomic add of %d bytes", size);
		return;
	}
	if (!check_vreg(ir, base) || !check_vreg(ir, src))
		return;
	in = ir_push(ir, IR_ATOMIC_ADD);
	in->code = size;
	in->a = base;
	in->b = src;
	in->off = off;
}

void ir_atomic_fetch_add(struct ir *ir, int size, int base, int16_t off, int reg)
{
	struct ir_insn *in;

	if (size != 4 && size != 8) {
		ir_error(ir, -EINVAL,
			 "internal error: atomic fetch-add of %d bytes", size);
		return;
	}
	if (!check_vreg(ir, base) || !check_vreg(ir, reg))
		return;
	in = ir_push(ir, IR_ATOMIC_FETCH_ADD);
	in->code = size;
	in->dst = reg;
	in->a = base;
	in->off = off;
}

void ir_load_stack(struct ir *ir, int size, int dst, int16_t off)
{
	struct ir_insn *in;

	if (!check_size(ir, size) || !check_vreg(ir, dst))
		return;
	in = ir_push(ir, IR_LOAD_STACK);
	in->code = size;
	in->dst = dst;
	in->off = off;
}

void ir_store_stack(struct ir *ir, int size, int16_t off, int src)
{
	struct ir_insn *in;

	if (!check_size(ir, size) || !check_vreg(ir, src))
		return;
	in = ir_push(ir, IR_STORE_STACK);
	in->code = size;
	in->a = src;
	in->off = off;
}

void ir_store_stack_imm(struct ir *ir, int size, int16_t off, int32_t imm)
{
	struct ir_insn *in;

	if (!check_size(ir, size))
		return;
	in = ir_push(ir, IR_STORE_STACK_IMM);
	in->code = size;
	in->off = off;
	in->imm = imm;
}

void ir_stack_addr(struct ir *ir, int dst, int16_t off)
{
	struct ir_insn *in;

	if (!check_vreg(ir, dst))
		return;
	in = ir_push(ir, IR_STACK_ADDR);
	in->dst = dst;
	in->off = off;
}

void ir_ld_map_fd(struct ir *ir, int dst, int map_fd)
{
	struct ir_insn *in;

	if (!check_vreg(ir, dst))
		return;
	in = ir_push(ir, IR_LD_MAP_FD);
	in->dst = dst;
	in->imm = map_fd;
	in->code = BPF_PSEUDO_MAP_FD;
}

void ir_ld_map_value(struct ir *ir, int dst, int map_fd, int16_t off)
{
	struct ir_insn *in;

	if (!check_vreg(ir, dst))
		return;
	in = ir_push(ir, IR_LD_MAP_FD);
	in->dst = dst;
	in->imm = map_fd;
	in->off = off;
	in->code = BPF_PSEUDO_MAP_VALUE;
}

void ir_jmp(struct ir *ir, int label)
{
	if (check_label(ir, label))
		ir_push(ir, IR_JMP)->label = label;
}

static bool check_jmp_op(struct ir *ir, int op)
{
	switch (op) {
	case BPF_JEQ: case BPF_JNE: case BPF_JGT: case BPF_JGE:
	case BPF_JLT: case BPF_JLE: case BPF_JSGT: case BPF_JSGE:
	case BPF_JSLT: case BPF_JSLE: case BPF_JSET:
		return true;
	}
	ir_error(ir, -EINVAL, "internal error: invalid jump operation 0x%x",
		 op);
	return false;
}

void ir_jcond(struct ir *ir, int op, int a, int b, int label)
{
	struct ir_insn *in;

	if (!check_jmp_op(ir, op) || !check_vreg(ir, a) ||
	    !check_vreg(ir, b) || !check_label(ir, label))
		return;
	in = ir_push(ir, IR_JCOND);
	in->code = op;
	in->a = a;
	in->b = b;
	in->label = label;
}

void ir_jcond_imm(struct ir *ir, int op, int a, int32_t imm, int label)
{
	struct ir_insn *in;

	if (!check_jmp_op(ir, op) || !check_vreg(ir, a) ||
	    !check_label(ir, label))
		return;
	in = ir_push(ir, IR_JCOND_IMM);
	in->code = op;
	in->a = a;
	in->imm = imm;
	in->label = label;
}

void ir_call(struct ir *ir, int func, int dst, int nargs, const int *args)
{
	struct ir_insn *in;

	if (nargs < 0 || nargs > IR_MAX_ARGS) {
		ir_error(ir, -EINVAL,
			 "internal error: call with %d arguments, BPF helpers take at most %d",
			 nargs, IR_MAX_ARGS);
		return;
	}
	if (func <= 0) {
		ir_error(ir, -EINVAL, "internal error: invalid helper %d",
			 func);
		return;
	}
	if (dst != -1 && !check_vreg(ir, dst))
		return;
	for (int i = 0; i < nargs; i++)
		if (!check_vreg(ir, args[i]))
			return;
	in = ir_push(ir, IR_CALL);
	in->imm = func;
	in->dst = dst;
	in->nargs = nargs;
	for (int i = 0; i < nargs; i++)
		in->args[i] = args[i];
}

void ir_exit_imm(struct ir *ir, int32_t imm)
{
	ir_push(ir, IR_EXIT_IMM)->imm = imm;
}

void ir_exit(struct ir *ir, int src)
{
	if (check_vreg(ir, src))
		ir_push(ir, IR_EXIT)->a = src;
}

void ir_comment(struct ir *ir, const char *fmt, ...)
{
	struct ir_insn *in = ir_push(ir, IR_COMMENT);
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&in->text, fmt, ap) < 0)
		in->text = NULL;
	va_end(ap);
}

int ir_insn_uses(const struct ir_insn *in, int *uses)
{
	int n = 0;

	switch (in->op) {
	case IR_ALU:
	case IR_ALU_IMM:
	case IR_ALU32:
	case IR_ALU32_IMM:
		/* Two-address form: dst is read too, except by a move. */
		if (in->code != BPF_MOV)
			uses[n++] = in->dst;
		if (in->a >= 0)
			uses[n++] = in->a;
		return n;
	case IR_NEG:
		uses[n++] = in->dst;
		return n;
	case IR_ATOMIC_FETCH_ADD:
		/* The addend goes in and the old value comes out in dst. */
		uses[n++] = in->dst;
		uses[n++] = in->a;
		return n;
	case IR_CALL:
		for (n = 0; n < in->nargs; n++)
			uses[n] = in->args[n];
		return n;
	default:
		if (in->a >= 0)
			uses[n++] = in->a;
		if (in->b >= 0)
			uses[n++] = in->b;
		return n;
	}
}

int ir_insn_def(const struct ir_insn *in)
{
	return in ? in->dst : -1;
}

bool ir_insn_ends_block(const struct ir_insn *in)
{
	switch (in->op) {
	case IR_JMP:
	case IR_JCOND:
	case IR_JCOND_IMM:
	case IR_EXIT:
	case IR_EXIT_IMM:
		return true;
	default:
		return false;
	}
}

bool ir_insn_is_pure(const struct ir_insn *in)
{
	switch (in->op) {
	case IR_ENTRY:
	case IR_MOV_IMM:
	case IR_MOV:
	case IR_ALU:
	case IR_ALU_IMM:
	case IR_ALU32:
	case IR_ALU32_IMM:
	case IR_NEG:
	case IR_LOAD:
	case IR_LOAD_STACK:
	case IR_STACK_ADDR:
	case IR_LD_MAP_FD:
		return true;
	default:
		return false;
	}
}

int ir_finish(struct ir *ir, struct bpf_insn **insns, size_t *cnt,
	      char *err, size_t errlen)
{
	struct ir_plan plan;
	int ret;

	*insns = NULL;
	*cnt = 0;
	if (ir->err_code)
		return ir_fail(err, errlen, ir->err_code, "%s", ir->err);
	ret = ir_plan_build(ir, &plan, err, errlen);
	ir->stack_total = plan.stack_size;
	if (!ret)
		ret = ir_emit(ir, &plan, insns, cnt, err, errlen);
	ir_plan_free(&plan);
	return ret;
}

int ir_stack_size(const struct ir *ir)
{
	return ir->stack_total;
}

/* ---- listing ---- */

static const char *alu_sym(int code)
{
	switch (code) {
	case BPF_ADD: return "+";
	case BPF_SUB: return "-";
	case BPF_MUL: return "*";
	case BPF_DIV: return "/";
	case BPF_MOD: return "%";
	case BPF_OR: return "|";
	case BPF_AND: return "&";
	case BPF_XOR: return "^";
	case BPF_LSH: return "<<";
	case BPF_RSH: return ">>";
	case BPF_ARSH: return "s>>";
	default: return "?";
	}
}

static const char *jmp_sym(int code)
{
	switch (code) {
	case BPF_JEQ: return "==";
	case BPF_JNE: return "!=";
	case BPF_JGT: return ">";
	case BPF_JGE: return ">=";
	case BPF_JLT: return "<";
	case BPF_JLE: return "<=";
	case BPF_JSGT: return "s>";
	case BPF_JSGE: return "s>=";
	case BPF_JSLT: return "s<";
	case BPF_JSLE: return "s<=";
	case BPF_JSET: return "&";
	default: return "?";
	}
}

static void dump_alu(const struct ir_insn *in, FILE *out)
{
	char rhs[32];

	if (in->op == IR_ALU || in->op == IR_ALU32)
		snprintf(rhs, sizeof(rhs), "v%d", in->a);
	else
		snprintf(rhs, sizeof(rhs), "%" PRId64, in->imm);
	if (in->op == IR_ALU || in->op == IR_ALU_IMM)
		fprintf(out, "  v%d %s= %s\n", in->dst, alu_sym(in->code), rhs);
	else if (in->code == BPF_MOV)
		fprintf(out, "  v%d = (u32)%s\n", in->dst, rhs);
	else
		fprintf(out, "  v%d = (u32)(v%d %s %s)\n", in->dst, in->dst,
			alu_sym(in->code), rhs);
}

static void dump_call(const struct ir_insn *in, FILE *out)
{
	const char *name = disasm_helper_name((int)in->imm);

	fputs("  ", out);
	if (in->dst >= 0)
		fprintf(out, "v%d = ", in->dst);
	if (name)
		fprintf(out, "call %s(", name);
	else
		fprintf(out, "call helper#%" PRId64 "(", in->imm);
	for (int i = 0; i < in->nargs; i++)
		fprintf(out, "%sv%d", i ? ", " : "", in->args[i]);
	fputs(")\n", out);
}

static void dump_insn(const struct ir_insn *in, FILE *out)
{
	static const char *const ty[9] = {
		[1] = "u8", [2] = "u16", [4] = "u32", [8] = "u64",
	};
	const char *t = in->code >= 1 && in->code <= 8 && ty[in->code] ?
			ty[in->code] : "?";

	switch (in->op) {
	case IR_ENTRY:
		fprintf(out, "  v%d = ctx\n", in->dst);
		break;
	case IR_MOV_IMM:
		fprintf(out, "  v%d = %" PRId64 "\n", in->dst, in->imm);
		break;
	case IR_MOV:
		fprintf(out, "  v%d = v%d\n", in->dst, in->a);
		break;
	case IR_ALU:
	case IR_ALU_IMM:
	case IR_ALU32:
	case IR_ALU32_IMM:
		dump_alu(in, out);
		break;
	case IR_NEG:
		fprintf(out, "  v%d = -v%d\n", in->dst, in->dst);
		break;
	case IR_LOAD:
		fprintf(out, "  v%d = *(%s *)(v%d %+d)\n", in->dst, t, in->a,
			in->off);
		break;
	case IR_STORE:
		fprintf(out, "  *(%s *)(v%d %+d) = v%d\n", t, in->a, in->off,
			in->b);
		break;
	case IR_STORE_IMM:
		fprintf(out, "  *(%s *)(v%d %+d) = %" PRId64 "\n", t, in->a,
			in->off, in->imm);
		break;
	case IR_ATOMIC_ADD:
		fprintf(out, "  lock *(%s *)(v%d %+d) += v%d\n", t, in->a,
			in->off, in->b);
		break;
	case IR_ATOMIC_FETCH_ADD:
		fprintf(out, "  v%d = atomic_fetch_add((%s *)(v%d %+d), v%d)\n", in->dst, t,
			in->a, in->off, in->dst);
		break;
	case IR_LOAD_STACK:
		fprintf(out, "  v%d = *(%s *)(fp %+d)\n", in->dst, t, in->off);
		break;
	case IR_STORE_STACK:
		fprintf(out, "  *(%s *)(fp %+d) = v%d\n", t, in->off, in->a);
		break;
	case IR_STORE_STACK_IMM:
		fprintf(out, "  *(%s *)(fp %+d) = %" PRId64 "\n", t, in->off,
			in->imm);
		break;
	case IR_STACK_ADDR:
		fprintf(out, "  v%d = fp %+d\n", in->dst, in->off);
		break;
	case IR_LD_MAP_FD:
		if (in->code == BPF_PSEUDO_MAP_VALUE)
			fprintf(out, "  v%d = &map[fd:%" PRId64 "][0]+%d\n", in->dst, in->imm,
				in->off);
		else
			fprintf(out, "  v%d = map[fd:%" PRId64 "]\n", in->dst, in->imm);
		break;
	case IR_JMP:
		fprintf(out, "  goto L%d\n", in->label);
		break;
	case IR_JCOND:
		fprintf(out, "  if v%d %s v%d goto L%d\n", in->a,
			jmp_sym(in->code), in->b, in->label);
		break;
	case IR_JCOND_IMM:
		fprintf(out, "  if v%d %s %" PRId64 " goto L%d\n", in->a,
			jmp_sym(in->code), in->imm, in->label);
		break;
	case IR_CALL:
		dump_call(in, out);
		break;
	case IR_EXIT:
		fprintf(out, "  exit v%d\n", in->a);
		break;
	case IR_EXIT_IMM:
		fprintf(out, "  exit %" PRId64 "\n", in->imm);
		break;
	case IR_LABEL:
		fprintf(out, "L%d:\n", in->label);
		break;
	case IR_COMMENT:
		fprintf(out, "  ; %s\n", in->text ? in->text : "");
		break;
	}
}

void ir_dump(const struct ir *ir, FILE *out)
{
	for (size_t i = 0; i < ir->ninsns; i++)
		dump_insn(&ir->insns[i], out);
}
