/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The compiler's intermediate representation.
 *
 * Code generation never names a machine register. It works on an
 * unbounded set of virtual registers (vregs) and symbolic labels; ir_finish()
 * computes liveness, assigns vregs to BPF registers (spilling to the stack
 * when it runs out), lowers helper calls to the BPF calling convention and
 * resolves jumps. The result is a plain array of struct bpf_insn that the
 * loader hands to the kernel.
 *
 * Conventions:
 *  - every operation is 64-bit unless its name says otherwise;
 *  - vregs are small integers >= 0 returned by ir_vreg(); ir_ctx() is the
 *    vreg holding the program's context (r1 at entry);
 *  - stack offsets are negative, relative to the frame pointer (r10), and
 *    come from ir_stack_alloc() so that spill slots never overlap them;
 *  - errors (stack exhausted, too many arguments...) are sticky: the
 *    builder records the first one and ir_finish() reports it.
 */
#ifndef __ETRACE_IR_H
#define __ETRACE_IR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/bpf.h>

struct ir;

struct ir *ir_new(void);
void ir_free(struct ir *ir);

/* A fresh virtual register. */
int ir_vreg(struct ir *ir);
/* The vreg that holds the context pointer on entry. */
int ir_ctx(struct ir *ir);

/* A fresh label; place it with ir_bind(). */
int ir_label(struct ir *ir);
void ir_bind(struct ir *ir, int label);

/*
 * Reserve @size bytes of stack aligned to @align (1, 2, 4 or 8); returns the
 * frame-pointer offset (negative). Exceeding the 512-byte BPF stack is an
 * error reported by ir_finish(); the returned offset is then meaningless.
 */
int ir_stack_alloc(struct ir *ir, int size, int align);

/* dst = imm (uses a 16-byte ld_imm64 only when imm does not fit in s32). */
void ir_mov_imm(struct ir *ir, int dst, int64_t imm);
/* dst = src */
void ir_mov(struct ir *ir, int dst, int src);
/* dst = dst OP src; OP is BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_OR,
 * BPF_AND, BPF_XOR, BPF_LSH, BPF_RSH, BPF_ARSH (64-bit ALU). */
void ir_alu(struct ir *ir, int op, int dst, int src);
void ir_alu_imm(struct ir *ir, int op, int dst, int32_t imm);
/* 32-bit ALU forms (upper 32 bits of dst become zero), e.g. for u32 casts. */
void ir_alu32(struct ir *ir, int op, int dst, int src);
void ir_alu32_imm(struct ir *ir, int op, int dst, int32_t imm);
/* dst = -dst */
void ir_neg(struct ir *ir, int dst);

/* dst = *(size *)(base + off); size is 1, 2, 4 or 8 (zero-extending). */
void ir_load(struct ir *ir, int size, int dst, int base, int16_t off);
/* *(size *)(base + off) = src */
void ir_store(struct ir *ir, int size, int base, int16_t off, int src);
/* *(size *)(base + off) = imm */
void ir_store_imm(struct ir *ir, int size, int base, int16_t off, int32_t imm);
/* lock *(size *)(base + off) += src; size is 4 or 8 (BPF_ATOMIC add). */
void ir_atomic_add(struct ir *ir, int size, int base, int16_t off, int src);
/*
 * reg = atomic_fetch_add((size *)(base + off), reg): @reg holds what to add
 * and receives the old value (BPF_ATOMIC | BPF_FETCH, Linux 5.12). The
 * result must be used: an unused one lets the instruction vanish.
 */
void ir_atomic_fetch_add(struct ir *ir, int size, int base, int16_t off, int reg);
/* Stack forms of the above, relative to the frame pointer. */
void ir_load_stack(struct ir *ir, int size, int dst, int16_t off);
void ir_store_stack(struct ir *ir, int size, int16_t off, int src);
void ir_store_stack_imm(struct ir *ir, int size, int16_t off, int32_t imm);
/* dst = fp + off (address of a stack slot). */
void ir_stack_addr(struct ir *ir, int dst, int16_t off);
/* dst = map pointer for the map with file descriptor @map_fd (ld_imm64
 * with BPF_PSEUDO_MAP_FD). */
void ir_ld_map_fd(struct ir *ir, int dst, int map_fd);
/* dst = address of byte @off of the first value of array map @map_fd
 * (BPF_PSEUDO_MAP_VALUE, Linux 5.2): no helper call needed. */
void ir_ld_map_value(struct ir *ir, int dst, int map_fd, int16_t off);

/* Unconditional jump. */
void ir_jmp(struct ir *ir, int label);
/* if (a OP b) goto label; OP is BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JGE, BPF_JLT,
 * BPF_JLE, BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE or BPF_JSET. */
void ir_jcond(struct ir *ir, int op, int a, int b, int label);
void ir_jcond_imm(struct ir *ir, int op, int a, int32_t imm, int label);

/*
 * Call helper @func (enum bpf_func_id) with up to five vreg arguments.
 * @dst receives r0, or is -1 when the result is not needed. Calls clobber
 * r0-r5, which the allocator takes into account.
 */
void ir_call(struct ir *ir, int func, int dst, int nargs, const int *args);

/* return imm / return vreg */
void ir_exit_imm(struct ir *ir, int32_t imm);
void ir_exit(struct ir *ir, int src);

/* A comment kept in the IR listing (ir_dump), for -v. */
void ir_comment(struct ir *ir, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Allocate registers and emit. On success returns 0 and a malloc'ed array
 * in *@insns (caller frees) of *@cnt instructions. On failure returns a
 * negative errno and writes a one-line reason into @err.
 */
int ir_finish(struct ir *ir, struct bpf_insn **insns, size_t *cnt,
	      char *err, size_t errlen);

/* Print the IR (vregs, labels, comments) for debugging. */
void ir_dump(const struct ir *ir, FILE *out);

/* Number of bytes of stack in use after ir_finish() (including spills). */
int ir_stack_size(const struct ir *ir);

#endif /* __ETRACE_IR_H */
