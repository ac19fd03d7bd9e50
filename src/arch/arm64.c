// SPDX-License-Identifier: BSD-2-Clause
/*
 * arm64 (aarch64). struct pt_regs (arch/arm64/include/asm/ptrace.h) starts
 * with struct user_pt_regs, the part user space and BPF programs see:
 *
 *   regs[31] (x0..x30) sp pc pstate
 *
 * eight bytes each, followed by orig_x0, syscallno (4 bytes) and kernel
 * bookkeeping. The offsets are those of the BTF of Debian's 6.1 and 6.12
 * arm64 kernels (tests/unit/data/pt_regs-arm64-*.txt, made by
 * tests/unit/data/pt-regs-from-btf.sh); the unit tests compare them.
 */
#include <elf.h>

#include "arch/arch.h"

/* x0..x30 are regs[0..30]. */
#define X(n) ((n) * 8)

enum {
	SP = 248, PC = 256, PSTATE = 264, ORIG_X0 = 272, SYSCALLNO = 280, PT_REGS_SIZE = 336,
	FP = X(29), LR = X(30),
};

/* Members of struct pt_regs that are not in regs[] (ctx->pc, ctx->sp). */
static const struct arch_reg fields[] = {
	{ "sp", SP, 8, 0 }, { "pc", PC, 8, 0 }, { "pstate", PSTATE, 8, 0 },
	{ "orig_x0", ORIG_X0, 8, 0 }, { "syscallno", SYSCALLNO, 4, 0 },
};

/* xN is the register, wN its low 32 bits (little-endian: the same offset). */
#define XW(n) { "x" #n, X(n), 8, 0 }, { "w" #n, X(n), 4, 0 }

static const struct arch_reg regs[] = {
	XW(0), XW(1), XW(2), XW(3), XW(4), XW(5), XW(6), XW(7), XW(8), XW(9),
	XW(10), XW(11), XW(12), XW(13), XW(14), XW(15), XW(16), XW(17), XW(18), XW(19),
	XW(20), XW(21), XW(22), XW(23), XW(24), XW(25), XW(26), XW(27), XW(28), XW(29),
	XW(30),
	{ "sp", SP, 8, 0 }, { "wsp", SP, 4, 0 },
	/* The assembler's aliases of the frame pointer and the link register. */
	{ "fp", FP, 8, 0 }, { "lr", LR, 8, 0 },
	/* The instruction pointer by its generic name (x86's, which etrace uses too). */
	{ "ip", PC, 8, 0 },
};

static const struct arch_syscall_abi syscalls[] = {
	/* The inner pt_regs holds the arguments in x0..x5. */
	{ "__arm64_sys_", { X(0), X(1), X(2), X(3), X(4), X(5) }, false },
	/* 32-bit (AArch32) processes: r0..r5, which are x0..x5 too. */
	{ "__arm64_compat_sys_", { X(0), X(1), X(2), X(3), X(4), X(5) }, true },
};

const struct arch arch_arm64 = {
	.name = "arm64",
	.uname = "aarch64",
	.elf_machine = EM_AARCH64,
	.usdt_syntax = ARCH_ASM_A64,
	.regs_size = PT_REGS_SIZE,
	.args = { X(0), X(1), X(2), X(3), X(4), X(5) },
	.ret = X(0),
	.ip = PC,
	.sp = SP,
	.fp = FP,
	.entry_ret = LR,		/* bl put it in the link register */
	.kprobe_ip_bias = 0,		/* a BRK is taken with pc at the probed address */
	.insn_align = 4,
	/*
	 * 48-bit user addresses, or 52 with CONFIG_ARM64_VA_BITS_52 (Debian's
	 * 6.12) for a process that asks for them.
	 */
	.user_top = 1ull << 52,
	.syscalls = syscalls,
	.nsyscalls = sizeof(syscalls) / sizeof(syscalls[0]),
	.fields = fields,
	.nfields = sizeof(fields) / sizeof(fields[0]),
	.regs = regs,
	.nregs = sizeof(regs) / sizeof(regs[0]),
};
