// SPDX-License-Identifier: BSD-2-Clause
/*
 * x86-64. struct pt_regs (arch/x86/include/asm/ptrace.h):
 *
 *   r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di orig_ax ip cs flags sp ss
 *
 * eight bytes each, in that order. The unit tests compare these offsets
 * with the kernel's own BTF.
 */
#include <elf.h>

#include "arch/arch.h"

enum {
	R15 = 0, R14 = 8, R13 = 16, R12 = 24, BP = 32, BX = 40, R11 = 48, R10 = 56,
	R9 = 64, R8 = 72, AX = 80, CX = 88, DX = 96, SI = 104, DI = 112, ORIG_AX = 120,
	IP = 128, CS = 136, FLAGS = 144, SP = 152, SS = 160, PT_REGS_SIZE = 168,
};

static const struct arch_reg fields[] = {
	{ "r15", R15, 8, 0 }, { "r14", R14, 8, 0 }, { "r13", R13, 8, 0 },
	{ "r12", R12, 8, 0 }, { "bp", BP, 8, 0 }, { "bx", BX, 8, 0 },
	{ "r11", R11, 8, 0 }, { "r10", R10, 8, 0 }, { "r9", R9, 8, 0 },
	{ "r8", R8, 8, 0 }, { "ax", AX, 8, 0 }, { "cx", CX, 8, 0 },
	{ "dx", DX, 8, 0 }, { "si", SI, 8, 0 }, { "di", DI, 8, 0 },
	{ "orig_ax", ORIG_AX, 8, 0 }, { "ip", IP, 8, 0 }, { "cs", CS, 8, 0 },
	{ "flags", FLAGS, 8, 0 }, { "sp", SP, 8, 0 }, { "ss", SS, 8, 0 },
};

#define LEGACY(q, d, w, b, off) \
	{ q, off, 8, 0 }, { d, off, 4, 0 }, { w, off, 2, 0 }, { b, off, 1, 0 }
#define NUMBERED(n, off) \
	{ "r" #n, off, 8, 0 }, { "r" #n "d", off, 4, 0 }, { "r" #n "w", off, 2, 0 }, \
	{ "r" #n "b", off, 1, 0 }

static const struct arch_reg regs[] = {
	LEGACY("rax", "eax", "ax", "al", AX), { "ah", AX, 1, 8 },
	LEGACY("rbx", "ebx", "bx", "bl", BX), { "bh", BX, 1, 8 },
	LEGACY("rcx", "ecx", "cx", "cl", CX), { "ch", CX, 1, 8 },
	LEGACY("rdx", "edx", "dx", "dl", DX), { "dh", DX, 1, 8 },
	LEGACY("rsi", "esi", "si", "sil", SI),
	LEGACY("rdi", "edi", "di", "dil", DI),
	LEGACY("rbp", "ebp", "bp", "bpl", BP),
	LEGACY("rsp", "esp", "sp", "spl", SP),
	NUMBERED(8, R8), NUMBERED(9, R9), NUMBERED(10, R10), NUMBERED(11, R11),
	NUMBERED(12, R12), NUMBERED(13, R13), NUMBERED(14, R14), NUMBERED(15, R15),
	{ "rip", IP, 8, 0 },
};

static const struct arch_syscall_abi syscalls[] = {
	/* The x86-64 ABI: the fourth argument is in r10, not rcx. */
	{ "__x64_sys_", { DI, SI, DX, R10, R8, R9 }, false },
	/* 32-bit processes (int 0x80, sysenter): ebx ecx edx esi edi ebp. */
	{ "__ia32_sys_", { BX, CX, DX, SI, DI, BP }, true },
};

const struct arch arch_x86_64 = {
	.name = "x86_64",
	.uname = "x86_64",
	.elf_machine = EM_X86_64,
	.usdt_syntax = ARCH_ASM_ATT,
	.regs_size = PT_REGS_SIZE,
	.args = { DI, SI, DX, CX, R8, R9 },
	.ret = AX,
	.ip = IP,
	.sp = SP,
	.fp = BP,
	.entry_ret = -1,		/* call pushed it */
	.kprobe_ip_bias = 1,
	.insn_align = 1,		/* 1 to 15 bytes: only the kernel can tell */
	.user_top = 1ull << 56,		/* 5-level paging; 47 bits with 4 */
	.syscalls = syscalls,
	.nsyscalls = sizeof(syscalls) / sizeof(syscalls[0]),
	.fields = fields,
	.nfields = sizeof(fields) / sizeof(fields[0]),
	.regs = regs,
	.nregs = sizeof(regs) / sizeof(regs[0]),
};
