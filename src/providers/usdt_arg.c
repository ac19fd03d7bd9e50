// SPDX-License-Identifier: BSD-2-Clause
/*
 * USDT argument operands, as gcc and clang write them for x86-64 in
 * .note.stapsdt ("[-]SIZE@OPERAND", AT&T syntax):
 *   -4@$42  8@%rdx  -2@%cx  -1@%r8b  -4@(%rsi)  -8@-24(%rbp)
 *   -8@(%rdx,%r10,8)  -8@16(%rax,%rbx,4)  -1@gch(%rip)  8@gch+8
 * Notes come from files anyone may have written: nothing is trusted.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "providers/usdt_arg.h"

/* A 64-bit register operand ("%rbp") for a base or an index: its pt_regs offset. */
static int full_reg(const char **p, struct loc *out, const char *what)
{
	const struct arch_reg *r;
	char name[16];
	size_t n = 0;

	if (**p != '%') {
		loc_none(out, "%s: expected a register", what);
		return -1;
	}
	for ((*p)++; isalnum((unsigned char)**p) && n < sizeof(name) - 1; (*p)++)
		name[n++] = **p;
	name[n] = '\0';
	r = arch_reg(arch_current(), name);
	if (!r || r->size != 8 || r->shift) {
		loc_none(out, "%s: '%%%s' cannot address memory", what, name);
		return -1;
	}
	return r->off;
}

/* disp: a number, or a symbol with an optional +/- number. */
static bool parse_disp(const struct usdt_arg_env *env, const char **p, int64_t *disp,
		       bool *is_sym, struct loc *out)
{
	char *end, sym[128];
	long long num;
	size_t n = 0;
	uint64_t addr;

	*is_sym = false;
	*disp = 0;
	if (isalpha((unsigned char)**p) || **p == '_' || **p == '.') {
		while ((isalnum((unsigned char)**p) || strchr("_.$", **p)) && **p && n < sizeof(sym) - 1)
			sym[n++] = *(*p)++;
		sym[n] = '\0';
		if (!env->sym_addr || env->sym_addr(sym, &addr, env->arg)) {
			loc_none(out, "the argument names '%s', which %s does not define", sym,
				 env->file);
			return false;
		}
		*is_sym = true;
		*disp = (int64_t)addr;
		if (**p != '+' && **p != '-')
			return true;
	}
	if (**p == '(' || **p == '\0' || isspace((unsigned char)**p))
		return true;
	errno = 0;
	num = strtoll(*p, &end, 0);
	if (end == *p) {
		loc_none(out, "cannot read the operand at '%.16s'", *p);
		return false;
	}
	if (errno == ERANGE || __builtin_add_overflow(*disp, (int64_t)num, disp)) {
		loc_none(out, "the displacement at '%.16s' is out of range", *p);
		return false;
	}
	*p = end;
	return true;
}

static bool parse_mem(const struct usdt_arg_env *env, const char *p, struct loc *out)
{
	const struct arch *a = arch_current();
	int64_t disp;
	bool is_sym;

	out->kind = LOC_MEM;
	out->base = out->index = -1;
	out->scale = 1;
	out->mem_user = true;
	if (!parse_disp(env, &p, &disp, &is_sym, out))
		return false;
	out->disp = disp;
	if (*p != '(') {
		/* An absolute address: a variable of a program that is not position independent. */
		if (env->pic) {
			loc_none(out, "an absolute operand in a position-independent file");
			return false;
		}
		return true;
	}
	p++;
	if (!strncmp(p, "%rip)", 5)) {
		/*
		 * At the probe the instruction pointer is the probe's address:
		 * the variable is as far from it as in the file.
		 */
		if (!is_sym) {
			loc_none(out, "a %%rip-relative operand without a symbol");
			return false;
		}
		out->base = a->ip;
		out->disp = (int64_t)((uint64_t)disp - env->pc);
		return true;
	}
	if (*p != ',' && (out->base = full_reg(&p, out, "base")) < 0)
		return false;
	if (*p == ',') {
		p++;
		if ((out->index = full_reg(&p, out, "index")) < 0)
			return false;
		if (*p == ',') {
			out->scale = (int)strtol(p + 1, (char **)&p, 10);
			if (out->scale != 1 && out->scale != 2 && out->scale != 4 && out->scale != 8) {
				loc_none(out, "scale %d is not 1, 2, 4 or 8", out->scale);
				return false;
			}
		}
	}
	if (*p != ')') {
		loc_none(out, "cannot read the operand at '%.16s'", p);
		return false;
	}
	return true;
}

void usdt_parse_arg(const char *tok, const struct usdt_arg_env *env, struct loc *out)
{
	const char *at = strchr(tok, '@'), *op = at ? at + 1 : tok;
	long size = at ? strtol(tok, NULL, 10) : 8;
	const struct arch_reg *r;

	memset(out, 0, sizeof(*out));
	out->base = out->index = -1;
	out->user_ptr = true;
	out->is_signed = size < 0;
	out->size = size >= -8 && size <= 8 ? (int)(size < 0 ? -size : size) : 0;
	if (out->size != 1 && out->size != 2 && out->size != 4 && out->size != 8) {
		loc_none(out, "argument size %ld is not 1, 2, 4 or 8 bytes", size);
		return;
	}
	if (*op == '$') {
		out->kind = LOC_IMM;
		out->imm = strtoll(op + 1, NULL, 0);
		return;
	}
	if (*op == '%') {
		r = arch_reg(arch_current(), op + 1);
		if (!r) {
			loc_none(out, "unknown register '%s'", op);
			return;
		}
		out->kind = LOC_CTX;
		out->off = r->off + r->shift / 8;
		return;
	}
	parse_mem(env, op, out);
}
