/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reading one USDT argument operand ("-8@16(%rax,%rbx,4)", "8@[sp, 16]")
 * as a value location for the compiler.
 */
#ifndef __ETRACE_USDT_ARG_H
#define __ETRACE_USDT_ARG_H
#include <stdbool.h>
#include <stdint.h>

#include "arch/arch.h"
#include "providers/provider.h"

/* What an operand may refer to besides registers. */
struct usdt_arg_env {
	/* The file's architecture: its syntax and registers (NULL: etrace's own). */
	const struct arch *arch;
	const char *file;	/* for messages */
	bool pic;		/* position independent: absolute operands are refused */
	uint64_t pc;		/* the probe's address in the file (%rip-relative operands) */
	/* The address of symbol @name in the file: 0, or nonzero if it has none. */
	int (*sym_addr)(const char *name, uint64_t *addr, void *arg);
	void *arg;
};

/*
 * "[-]SIZE@OPERAND" into @out: LOC_CTX (a register or sub-register),
 * LOC_MEM (user memory at base + index * scale + disp; %rip-relative
 * operands are based on the ip register, which at the probe is the probe's
 * address), LOC_IMM, or LOC_NONE with the reason. A negative size is a
 * signed value. The syntax is that of @env->arch (AT&T for x86-64).
 */
void usdt_parse_arg(const char *tok, const struct usdt_arg_env *env, struct loc *out);

/*
 * The next operand of a note's argument string, cut in place as strtok_r
 * does (@s the string on the first call, NULL after): operands are
 * separated by blanks, except inside brackets ("8@[sp, 16]"). NULL at the end.
 */
char *usdt_arg_next(char *s, char **save);

#endif /* __ETRACE_USDT_ARG_H */
