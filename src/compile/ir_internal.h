/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What ir.c (the builder), regalloc.c (liveness and register allocation)
 * and emit.c (lowering to struct bpf_insn) share. Nothing outside
 * src/compile/ir*.c, regalloc.c and emit.c should include this.
 */
#ifndef __ETRACE_IR_INTERNAL_H
#define __ETRACE_IR_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "compile/ir.h"

#define IR_MAX_ARGS 5
#define IR_MAX_STACK 512

/* The BPF registers the allocator hands out, as a bit mask of r0-r10. */
#define IR_REG(r) (1u << (r))
#define IR_CALLER_POOL (IR_REG(1) | IR_REG(2) | IR_REG(3) | IR_REG(4))
#define IR_CALLEE_POOL (IR_REG(6) | IR_REG(7) | IR_REG(8) | IR_REG(9))
/*
 * Lowering reloads spilled operands into these (an instruction reads at
 * most two vregs), so spill code never needs a register the allocator
 * would have to find. r5 is never allocated; r0 only to values that live
 * across no call and overlap no instruction that needs the scratch.
 */
#define IR_SCRATCH_A BPF_REG_0
#define IR_SCRATCH_B BPF_REG_5

/* plan.reg[] values that are not registers. */
#define IR_NOREG (-1)		/* never live: no location needed */
#define IR_SPILLED (-2)	/* lives in plan.slot[] for its whole life */

enum ir_op {
	IR_ENTRY,		/* dst = r1 at program entry (the context) */
	IR_MOV_IMM,		/* dst = imm */
	IR_MOV,			/* dst = a */
	IR_ALU,			/* dst OP= a (64-bit); BPF_MOV is IR_MOV */
	IR_ALU_IMM,		/* dst OP= imm; BPF_MOV is IR_MOV_IMM */
	IR_ALU32,		/* w(dst) OP= w(a); BPF_MOV does not read dst */
	IR_ALU32_IMM,		/* w(dst) OP= imm; likewise */
	IR_NEG,			/* dst = -dst */
	IR_LOAD,		/* dst = *(size *)(a + off) */
	IR_STORE,		/* *(size *)(a + off) = b */
	IR_STORE_IMM,		/* *(size *)(a + off) = imm */
	IR_LOAD_STACK,		/* dst = *(size *)(fp + off) */
	IR_STORE_STACK,		/* *(size *)(fp + off) = a */
	IR_STORE_STACK_IMM,	/* *(size *)(fp + off) = imm */
	IR_STACK_ADDR,		/* dst = fp + off */
	IR_LD_MAP_FD,		/* dst = map pointer for fd imm (code BPF_PSEUDO_MAP_FD),
				 * or the address of its value + off (BPF_PSEUDO_MAP_VALUE) */
	IR_ATOMIC_ADD,		/* lock *(size *)(a + off) += b */
	IR_ATOMIC_FETCH_ADD,	/* dst = atomic_fetch_add((size *)(a + off), dst) */
	IR_JMP,			/* goto label */
	IR_JCOND,		/* if a OP b goto label */
	IR_JCOND_IMM,		/* if a OP imm goto label */
	IR_CALL,		/* dst = helper imm (args) */
	IR_EXIT,		/* return a */
	IR_EXIT_IMM,		/* return imm */
	IR_LABEL,		/* label: */
	IR_COMMENT,		/* ; text */
};

struct ir_insn {
	enum ir_op op;
	int code;		/* BPF_ADD..., BPF_JEQ..., or size in bytes */
	int dst;		/* vreg written, -1 when none */
	int a, b;		/* vregs read (see enum ir_op), -1 when none */
	int16_t off;
	int64_t imm;
	int label;
	int nargs;
	int args[IR_MAX_ARGS];
	char *text;		/* IR_COMMENT only */
};

struct ir {
	struct ir_insn *insns;
	size_t ninsns, cap;
	int nvregs;
	int ctx;
	int *label_at;		/* insn index of each label's IR_LABEL, -1 */
	size_t nlabels, label_cap;
	int stack_used;		/* bytes handed out by ir_stack_alloc() */
	int stack_total;	/* including spill slots, after ir_finish() */
	int err_code;		/* first builder error (negative errno) */
	char err[160];
};

struct ir_block {
	int first, last;	/* insn indices, inclusive */
	int succ[2];		/* block indices; -1 when none, nblocks when
				 * control falls off the end (an error) */
	bool reachable;
};

/*
 * The outcome of analysis and allocation, consumed by the emitter. Blocks
 * that cannot be reached are not emitted (the verifier rejects dead code).
 */
struct ir_plan {
	struct ir_block *blocks;
	int nblocks;
	bool *dead;		/* per insn: result unused (pure insns vanish,
				 * calls just drop r0) */
	int *reg;		/* per vreg: BPF register, IR_SPILLED, IR_NOREG */
	int16_t *slot;		/* per vreg: fp offset when IR_SPILLED */
	int nslots;
	int stack_size;		/* bytes of stack, spill slots included */
};

/* Vregs read by @in (up to IR_MAX_ARGS); returns how many. */
int ir_insn_uses(const struct ir_insn *in, int *uses);
/* Vreg written by @in, or -1. */
int ir_insn_def(const struct ir_insn *in);
/* Whether control never falls through @in to the next instruction. */
bool ir_insn_ends_block(const struct ir_insn *in);
/* Whether @in has no effect beyond writing its dst (so it can vanish). */
bool ir_insn_is_pure(const struct ir_insn *in);

int ir_plan_build(const struct ir *ir, struct ir_plan *plan, char *err,
		  size_t errlen);
void ir_plan_free(struct ir_plan *plan);

int ir_emit(const struct ir *ir, const struct ir_plan *plan,
	    struct bpf_insn **insns, size_t *cnt, char *err, size_t errlen);

/* snprintf into a possibly NULL error buffer; returns @code. */
int ir_fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* __ETRACE_IR_INTERNAL_H */
