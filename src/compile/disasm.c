// SPDX-License-Identifier: BSD-2-Clause
/*
 * A disassembler for eBPF instructions. The text follows the notation of
 * the kernel verifier log (and bpftool's "xlated" dump) so that a listing
 * printed with -v reads the same as the verifier's complaint about it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "compile/disasm.h"
#include "util.h"

/* Instruction set additions (cpu v4) that older UAPI headers lack. */
#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80
#endif
#ifndef BPF_JMP32
#define BPF_JMP32 0x06
#endif

#ifndef __BPF_FUNC_MAPPER
#error "linux/bpf.h lacks __BPF_FUNC_MAPPER; install newer kernel headers"
#endif

/*
 * Helper names straight from the UAPI enum. The variadic parameter accepts
 * both mapper styles: FN(name) in older headers, FN(name, id, ...) in newer.
 */
#define HELPER_NAME(name, ...) [BPF_FUNC_##name] = #name
static const char *const helper_names[] = {
	__BPF_FUNC_MAPPER(HELPER_NAME)
};
#undef HELPER_NAME

const char *disasm_helper_name(int func)
{
	if (func <= 0 || (size_t)func >= ARRAY_SIZE(helper_names))
		return NULL;
	return helper_names[func];
}

/* Appends to a fixed buffer, silently truncating. */
struct out {
	char *buf;
	size_t len, pos;
};

static void __attribute__((format(printf, 2, 3)))
emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!o->len || o->pos >= o->len - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += (size_t)n < o->len - o->pos ? (size_t)n :
			  o->len - o->pos - 1;
}

static const char *size_name(int code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B: return "u8";
	case BPF_H: return "u16";
	case BPF_W: return "u32";
	default: return "u64";
	}
}

static int size_bits(int code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B: return 8;
	case BPF_H: return 16;
	case BPF_W: return 32;
	default: return 64;
	}
}

static const char *alu_name(int op)
{
	switch (op) {
	case BPF_ADD: return "+=";
	case BPF_SUB: return "-=";
	case BPF_MUL: return "*=";
	case BPF_DIV: return "/=";
	case BPF_OR: return "|=";
	case BPF_AND: return "&=";
	case BPF_LSH: return "<<=";
	case BPF_RSH: return ">>=";
	case BPF_MOD: return "%=";
	case BPF_XOR: return "^=";
	case BPF_MOV: return "=";
	case BPF_ARSH: return "s>>=";
	default: return NULL;
	}
}

static const char *jmp_name(int op)
{
	switch (op) {
	case BPF_JEQ: return "==";
	case BPF_JGT: return ">";
	case BPF_JGE: return ">=";
	case BPF_JSET: return "&";
	case BPF_JNE: return "!=";
	case BPF_JSGT: return "s>";
	case BPF_JSGE: return "s>=";
	case BPF_JLT: return "<";
	case BPF_JLE: return "<=";
	case BPF_JSLT: return "s<";
	case BPF_JSLE: return "s<=";
	default: return NULL;
	}
}

static void fmt_end(struct out *o, const struct bpf_insn *insn)
{
	/* BPF_ALU64 | BPF_END is the unconditional byte swap (cpu v4). */
	const char *kind = BPF_CLASS(insn->code) == BPF_ALU64 ? "bswap" :
			   BPF_SRC(insn->code) == BPF_TO_BE ? "be" : "le";

	/* Whatever the class, the result is a whole 64-bit register. */
	emit(o, "r%d = %s%d r%d", insn->dst_reg, kind, insn->imm,
	     insn->dst_reg);
}

static void fmt_alu(struct out *o, const struct bpf_insn *insn)
{
	bool is64 = BPF_CLASS(insn->code) == BPF_ALU64;
	char r = is64 ? 'r' : 'w';
	int op = BPF_OP(insn->code);
	const char *name = alu_name(op);

	if (op == BPF_NEG) {
		emit(o, "%c%d = -%c%d", r, insn->dst_reg, r, insn->dst_reg);
		return;
	}
	if (op == BPF_END) {
		fmt_end(o, insn);
		return;
	}
	if (!name) {
		emit(o, "unknown alu op");
		return;
	}
	/* cpu v4: signed division and sign-extending moves use off. */
	if ((op == BPF_DIV || op == BPF_MOD) && insn->off == 1) {
		emit(o, "%c%d s%s ", r, insn->dst_reg, name);
	} else if (op == BPF_MOV && BPF_SRC(insn->code) == BPF_X && insn->off) {
		emit(o, "%c%d = (s%d)%c%d", r, insn->dst_reg, insn->off, r,
		     insn->src_reg);
		return;
	} else {
		emit(o, "%c%d %s ", r, insn->dst_reg, name);
	}
	if (BPF_SRC(insn->code) == BPF_X)
		emit(o, "%c%d", r, insn->src_reg);
	else
		emit(o, "%d", insn->imm);
}

static void fmt_ldx(struct out *o, const struct bpf_insn *insn)
{
	int mode = BPF_MODE(insn->code);

	if (mode == BPF_MEM)
		emit(o, "r%d = *(%s *)(r%d %+d)", insn->dst_reg,
		     size_name(insn->code), insn->src_reg, insn->off);
	else if (mode == BPF_MEMSX)
		emit(o, "r%d = *(s%d *)(r%d %+d)", insn->dst_reg,
		     size_bits(insn->code), insn->src_reg, insn->off);
	else
		emit(o, "unknown ldx mode");
}

static void fmt_atomic(struct out *o, const struct bpf_insn *insn)
{
	const char *sz = size_name(insn->code);
	const char *bits = BPF_SIZE(insn->code) == BPF_DW ? "64" : "";
	int d = insn->dst_reg, s = insn->src_reg, off = insn->off;
	int op = insn->imm & ~BPF_FETCH;

	if (insn->imm == BPF_XCHG) {
		emit(o, "r%d = atomic%s_xchg((%s *)(r%d %+d), r%d)", s, bits,
		     sz, d, off, s);
	} else if (insn->imm == BPF_CMPXCHG) {
		emit(o, "r0 = atomic%s_cmpxchg((%s *)(r%d %+d), r0, r%d)",
		     bits, sz, d, off, s);
	} else if (op != BPF_ADD && op != BPF_AND && op != BPF_OR &&
		   op != BPF_XOR) {
		emit(o, "unknown atomic op 0x%x", insn->imm);
	} else if (insn->imm & BPF_FETCH) {
		static const char *const fetch_name[] = {
			[BPF_ADD >> 4] = "add", [BPF_AND >> 4] = "and",
			[BPF_OR >> 4] = "or", [BPF_XOR >> 4] = "xor",
		};

		emit(o, "r%d = atomic%s_fetch_%s((%s *)(r%d %+d), r%d)", s,
		     bits, fetch_name[op >> 4], sz, d, off, s);
	} else {
		emit(o, "lock *(%s *)(r%d %+d) %s r%d", sz, d, off,
		     alu_name(op), s);
	}
}

static void fmt_store(struct out *o, const struct bpf_insn *insn)
{
	int mode = BPF_MODE(insn->code);

	if (BPF_CLASS(insn->code) == BPF_STX && mode == BPF_ATOMIC) {
		fmt_atomic(o, insn);
		return;
	}
	if (mode != BPF_MEM) {
		emit(o, "unknown store mode");
		return;
	}
	emit(o, "*(%s *)(r%d %+d) = ", size_name(insn->code), insn->dst_reg,
	     insn->off);
	if (BPF_CLASS(insn->code) == BPF_STX)
		emit(o, "r%d", insn->src_reg);
	else
		emit(o, "%d", insn->imm);
}

/* Returns the number of slots used. */
static int fmt_ld(struct out *o, const struct bpf_insn *insn, size_t remaining)
{
	int mode = BPF_MODE(insn->code);
	uint64_t imm;

	if (mode == BPF_ABS) {
		emit(o, "r0 = *(%s *)skb[%d]", size_name(insn->code), insn->imm);
		return 1;
	}
	if (mode == BPF_IND) {
		emit(o, "r0 = *(%s *)skb[r%d + %d]", size_name(insn->code),
		     insn->src_reg, insn->imm);
		return 1;
	}
	if (mode != BPF_IMM || BPF_SIZE(insn->code) != BPF_DW) {
		emit(o, "unknown ld mode");
		return 1;
	}
	if (remaining < 2) {
		emit(o, "r%d = <truncated ld_imm64>", insn->dst_reg);
		return 1;
	}
	imm = (uint32_t)insn[0].imm | (uint64_t)(uint32_t)insn[1].imm << 32;
	switch (insn->src_reg) {
	case BPF_PSEUDO_MAP_FD:
		emit(o, "r%d = map[fd:%d]", insn->dst_reg, insn->imm);
		break;
	case BPF_PSEUDO_MAP_IDX:
		emit(o, "r%d = map[idx:%d]", insn->dst_reg, insn->imm);
		break;
	case BPF_PSEUDO_MAP_VALUE:
		emit(o, "r%d = map[fd:%d][0]+%d", insn->dst_reg, insn->imm,
		     insn[1].imm);
		break;
	case BPF_PSEUDO_MAP_IDX_VALUE:
		emit(o, "r%d = map[idx:%d][0]+%d", insn->dst_reg, insn->imm,
		     insn[1].imm);
		break;
	case BPF_PSEUDO_BTF_ID:
		emit(o, "r%d = btf_id[%d]", insn->dst_reg, insn->imm);
		break;
	case BPF_PSEUDO_FUNC:
		emit(o, "r%d = func pc%+d", insn->dst_reg, insn->imm);
		break;
	default:
		emit(o, "r%d = 0x%" PRIx64, insn->dst_reg, imm);
		break;
	}
	return 2;
}

static void fmt_call(struct out *o, const struct bpf_insn *insn)
{
	const char *name = disasm_helper_name(insn->imm);

	if (insn->src_reg == BPF_PSEUDO_CALL)
		emit(o, "call pc%+d", insn->imm);
	else if (insn->src_reg == BPF_PSEUDO_KFUNC_CALL)
		emit(o, "call kernel-function#%d", insn->imm);
	else if (name)
		emit(o, "call bpf_%s#%d", name, insn->imm);
	else
		emit(o, "call unknown#%d", insn->imm);
}

static void fmt_jmp(struct out *o, const struct bpf_insn *insn)
{
	bool is32 = BPF_CLASS(insn->code) == BPF_JMP32;
	char r = is32 ? 'w' : 'r';
	int op = BPF_OP(insn->code);
	const char *name = jmp_name(op);

	if (op == BPF_JA) {
		if (is32)	/* cpu v4 "gotol": 32-bit offset in imm */
			emit(o, "gotol pc%+d", insn->imm);
		else
			emit(o, "goto pc%+d", insn->off);
	} else if (op == BPF_CALL && !is32) {
		fmt_call(o, insn);
	} else if (op == BPF_EXIT && !is32) {
		emit(o, "exit");
	} else if (!name) {
		emit(o, "unknown jmp op");
	} else if (BPF_SRC(insn->code) == BPF_X) {
		emit(o, "if %c%d %s %c%d goto pc%+d", r, insn->dst_reg, name, r,
		     insn->src_reg, insn->off);
	} else {
		emit(o, "if %c%d %s 0x%x goto pc%+d", r, insn->dst_reg, name,
		     (uint32_t)insn->imm, insn->off);
	}
}

int disasm_insn(const struct bpf_insn *insn, size_t remaining, char *buf,
		size_t len)
{
	struct out o = { .buf = buf, .len = len };
	int slots = 1;

	if (len)
		buf[0] = '\0';
	if (!remaining)
		return 0;
	emit(&o, "(%02x) ", insn->code);
	switch (BPF_CLASS(insn->code)) {
	case BPF_ALU:
	case BPF_ALU64:
		fmt_alu(&o, insn);
		break;
	case BPF_LDX:
		fmt_ldx(&o, insn);
		break;
	case BPF_ST:
	case BPF_STX:
		fmt_store(&o, insn);
		break;
	case BPF_LD:
		slots = fmt_ld(&o, insn, remaining);
		break;
	case BPF_JMP:
	case BPF_JMP32:
		fmt_jmp(&o, insn);
		break;
	}
	return slots;
}

/* "r1 = map[etrace_ctl][0]+0" for a map reference @map_name knows. */
static bool named_map(const struct bpf_insn *in, size_t remaining, char *buf, size_t len,
		      const char *(*map_name)(int num, void *arg), void *arg)
{
	const char *name;

	if (!map_name || remaining < 2 || in->code != (BPF_LD | BPF_DW | BPF_IMM) ||
	    (in->src_reg != BPF_PSEUDO_MAP_FD && in->src_reg != BPF_PSEUDO_MAP_VALUE))
		return false;
	name = map_name(in->imm, arg);
	if (!name)
		return false;
	if (in->src_reg == BPF_PSEUDO_MAP_FD)
		snprintf(buf, len, "(%02x) r%d = map[%s]", in->code, in->dst_reg, name);
	else
		snprintf(buf, len, "(%02x) r%d = map[%s][0]+%d", in->code, in->dst_reg, name,
			 in[1].imm);
	return true;
}

void disasm_print(const struct bpf_insn *insns, size_t cnt, FILE *out, const char *indent,
		  const char *(*map_name)(int num, void *arg), void *arg)
{
	char buf[128];

	for (size_t i = 0; i < cnt;) {
		int n = named_map(&insns[i], cnt - i, buf, sizeof(buf), map_name, arg) ? 2 :
			disasm_insn(&insns[i], cnt - i, buf, sizeof(buf));

		fprintf(out, "%s%zu: %s\n", indent ? indent : "", i, buf);
		i += n > 0 ? (size_t)n : 1;
	}
}
