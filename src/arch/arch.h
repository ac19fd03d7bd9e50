/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The CPU architecture as probes see it: where struct pt_regs keeps the
 * registers that hold arguments, the return value and the instruction and
 * stack pointers; the system call conventions; and the register names that
 * users (ctx->dx, ctx->x2) and USDT notes (-4@%r10d, -4@x1) write.
 *
 * Everything here is a table: supporting another architecture is one more
 * file defining a struct arch, and one more line in arch.c. etrace uses the
 * table of the architecture it was built for (arch_current()); the others
 * are there for tests and for reading files of another architecture.
 */
#ifndef __ETRACE_ARCH_H
#define __ETRACE_ARCH_H

#include <stdbool.h>
#include <stddef.h>

#define ARCH_MAX_ARGS 6

/* A register, or part of one, by the name it is written with. */
struct arch_reg {
	const char *name;	/* "rax", "eax", "ax", "al", "ah", "r8d", "x0", "w0"... */
	int off;		/* of the full register in struct pt_regs */
	int size;		/* bytes: 8, 4, 2 or 1 */
	int shift;		/* bits below the part (8 for "ah") */
};

/* A system call entry convention: wrapper prefix and argument registers. */
struct arch_syscall_abi {
	const char *prefix;	/* "__x64_sys_", "__arm64_sys_" */
	int args[ARCH_MAX_ARGS];	/* pt_regs offsets of the arguments */
	bool compat;		/* 32-bit processes (arguments are 32 bits wide) */
};

/* How USDT notes write operands (the assembler's syntax of the architecture). */
enum arch_asm {
	ARCH_ASM_ATT,		/* x86: -4@$42 8@%rdx -8@-24(%rbp) -8@(%rdx,%r10,8) */
	ARCH_ASM_A64,		/* aarch64: -4@42 8@x1 -4@[x0] 8@[sp, 16] 8@[x29, -8] */
};

struct arch {
	const char *name;		/* "x86_64", "arm64": the kernel's name */
	const char *uname;		/* "x86_64", "aarch64": as uname -m says */
	int elf_machine;		/* EM_X86_64, EM_AARCH64 */
	enum arch_asm usdt_syntax;
	int regs_size;			/* sizeof(struct pt_regs) */
	int args[ARCH_MAX_ARGS];	/* pt_regs offsets of the C arguments */
	int ret;			/* ... of the return value */
	int ip, sp, fp;			/* ... of the instruction, stack, frame pointers */
	/*
	 * Where a function's return address is at its first instruction: the
	 * pt_regs offset of the register that holds it (arm64's link
	 * register), or -1 if the call pushed it at the stack pointer (x86).
	 */
	int entry_ret;
	/*
	 * What a kprobe's saved instruction pointer is past the probed
	 * address (x86 reports the address after its int3; arm64 the
	 * probed address itself).
	 */
	int kprobe_ip_bias;
	/* Instructions start at multiples of this (an offset into a function must be one). */
	int insn_align;
	/* User addresses are below this (a frame above it is no return address). */
	unsigned long long user_top;
	const struct arch_syscall_abi *syscalls;	/* native first */
	size_t nsyscalls;
	/* The member names of struct pt_regs (ctx->dx), with their offsets. */
	const struct arch_reg *fields;
	size_t nfields;
	/* Register names as assembly writes them (USDT operands). */
	const struct arch_reg *regs;
	size_t nregs;
};

/* The architecture etrace was built for. */
const struct arch *arch_current(void);

/* An architecture by its kernel name or uname -m ("arm64", "aarch64"), or NULL. */
const struct arch *arch_by_name(const char *name);

/* The architecture of ELF files with e_machine @em, or NULL. */
const struct arch *arch_by_machine(int em);

/* A member of struct pt_regs by name ("dx", "ip"), or NULL. */
const struct arch_reg *arch_field(const struct arch *a, const char *name);

/* A register by its assembly name ("rdx", "edx", "dl", "x2", "w2"), or NULL. */
const struct arch_reg *arch_reg(const struct arch *a, const char *name);

/* The syscall convention whose wrappers start like @func ("__ia32_sys_read"), or NULL. */
const struct arch_syscall_abi *arch_syscall_abi(const struct arch *a, const char *func);

#endif /* __ETRACE_ARCH_H */
