/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The CPU architecture as probes see it: where struct pt_regs keeps the
 * registers that hold arguments, the return value and the instruction and
 * stack pointers; the system call conventions; and the register names that
 * users (ctx->dx) and USDT notes (-4@%r10d) write.
 *
 * Everything here is a table: supporting another architecture is one more
 * file defining a struct arch, and one more line in arch_current().
 */
#ifndef __ETRACE_ARCH_H
#define __ETRACE_ARCH_H

#include <stdbool.h>
#include <stddef.h>

#define ARCH_MAX_ARGS 6

/* A register, or part of one, by the name it is written with. */
struct arch_reg {
	const char *name;	/* "rax", "eax", "ax", "al", "ah", "r8d"... */
	int off;		/* of the full register in struct pt_regs */
	int size;		/* bytes: 8, 4, 2 or 1 */
	int shift;		/* bits below the part (8 for "ah") */
};

/* A system call entry convention: wrapper prefix and argument registers. */
struct arch_syscall_abi {
	const char *prefix;	/* "__x64_sys_" */
	int args[ARCH_MAX_ARGS];	/* pt_regs offsets of the arguments */
	bool compat;		/* 32-bit processes (arguments are 32 bits wide) */
};

struct arch {
	const char *name;		/* "x86_64", as uname -m says */
	int regs_size;			/* sizeof(struct pt_regs) */
	int args[ARCH_MAX_ARGS];	/* pt_regs offsets of the C arguments */
	int ret;			/* ... of the return value */
	int ip, sp, fp;			/* ... of the instruction, stack, frame pointers */
	/*
	 * What a kprobe's saved instruction pointer is past the probed
	 * address (x86 reports the address after its int3).
	 */
	int kprobe_ip_bias;
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

/* A member of struct pt_regs by name ("dx", "ip"), or NULL. */
const struct arch_reg *arch_field(const struct arch *a, const char *name);

/* A register by its assembly name ("rdx", "edx", "dl"), or NULL. */
const struct arch_reg *arch_reg(const struct arch *a, const char *name);

/* The syscall convention whose wrappers start like @func ("__ia32_sys_read"), or NULL. */
const struct arch_syscall_abi *arch_syscall_abi(const struct arch *a, const char *func);

#endif /* __ETRACE_ARCH_H */
