// SPDX-License-Identifier: BSD-2-Clause
/*
 * USDT argument operands, "[-]SIZE@OPERAND" in .note.stapsdt, in the
 * assembler syntax of the file's architecture.
 *
 * x86-64 (AT&T), as gcc and clang write them:
 *   -4@$42  8@%rdx  -2@%cx  -1@%r8b  -4@(%rsi)  -8@-24(%rbp)
 *   -8@(%rdx,%r10,8)  -8@16(%rax,%rbx,4)  -1@gch(%rip)  8@gch+8
 * aarch64, as gcc 12 and clang write them (constants have no '#'):
 *   -4@42  -8@x1  -4@[x0]  8@[sp, 16]  8@[x29, -8]  1@[x0, #:lo12:gch]
 * and, as the assembler would also read them, [x0, #16], [x0, x1] and
 * [x0, x1, lsl #3].
 * Notes come from files anyone may have written: nothing is trusted.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "providers/usdt_arg.h"

/* A symbol's address in the file, or false with the reason in @out. */
static bool symbol(const struct usdt_arg_env *env, const char *sym, uint64_t *addr,
		   struct loc *out)
{
	if (!env->sym_addr || env->sym_addr(sym, addr, env->arg)) {
		loc_none(out, "the argument names '%s', which %s does not define", sym, env->file);
		return false;
	}
	return true;
}

/* A number at @p added to @disp; false (reason in @out) if there is none or it overflows. */
static bool add_number(const char **p, int64_t *disp, struct loc *out)
{
	char *end;
	long long num;

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

/* A memory operand: user memory at base + index * scale + disp. */
static void mem_init(struct loc *out)
{
	out->kind = LOC_MEM;
	out->base = out->index = -1;
	out->scale = 1;
	out->mem_user = true;
}

/* --- x86-64, AT&T syntax ------------------------------------------------ */

/* A 64-bit register operand ("%rbp") for a base or an index: its pt_regs offset. */
static int att_full_reg(const struct arch *a, const char **p, struct loc *out, const char *what)
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
	r = arch_reg(a, name);
	if (!r || r->size != 8 || r->shift) {
		loc_none(out, "%s: '%%%s' cannot address memory", what, name);
		return -1;
	}
	return r->off;
}

/* disp: a number, or a symbol with an optional +/- number. */
static bool att_disp(const struct usdt_arg_env *env, const char **p, int64_t *disp,
		     bool *is_sym, struct loc *out)
{
	char sym[128];
	size_t n = 0;
	uint64_t addr;

	*is_sym = false;
	*disp = 0;
	if (isalpha((unsigned char)**p) || **p == '_' || **p == '.') {
		while ((isalnum((unsigned char)**p) || strchr("_.$", **p)) && **p && n < sizeof(sym) - 1)
			sym[n++] = *(*p)++;
		sym[n] = '\0';
		if (!symbol(env, sym, &addr, out))
			return false;
		*is_sym = true;
		*disp = (int64_t)addr;
		if (**p != '+' && **p != '-')
			return true;
	}
	if (**p == '(' || **p == '\0' || isspace((unsigned char)**p))
		return true;
	return add_number(p, disp, out);
}

static bool att_mem(const struct arch *a, const struct usdt_arg_env *env, const char *p,
		    struct loc *out)
{
	int64_t disp;
	bool is_sym;

	if (!att_disp(env, &p, &disp, &is_sym, out))
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
	if (*p != ',' && (out->base = att_full_reg(a, &p, out, "base")) < 0)
		return false;
	if (*p == ',') {
		p++;
		if ((out->index = att_full_reg(a, &p, out, "index")) < 0)
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

static void att_operand(const struct arch *a, const struct usdt_arg_env *env, const char *op,
			struct loc *out)
{
	const struct arch_reg *r;

	if (*op == '$') {
		out->kind = LOC_IMM;
		out->imm = strtoll(op + 1, NULL, 0);
		return;
	}
	if (*op == '%') {
		r = arch_reg(a, op + 1);
		if (!r) {
			loc_none(out, "unknown register '%s'", op);
			return;
		}
		out->kind = LOC_CTX;
		out->off = r->off + r->shift / 8;
		return;
	}
	mem_init(out);
	att_mem(a, env, op, out);
}

/* --- aarch64 ------------------------------------------------------------ */

static void skip_blanks(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* A register name at @p ("x29", "sp", "w3"), or NULL with the reason in @out. */
static const struct arch_reg *a64_reg(const struct arch *a, const char **p, struct loc *out)
{
	const struct arch_reg *r;
	char name[16];
	size_t n = 0;

	while (isalnum((unsigned char)**p) && n < sizeof(name) - 1)
		name[n++] = *(*p)++;
	name[n] = '\0';
	r = arch_reg(a, name);
	if (!r)
		loc_none(out, "unknown register '%s'", name);
	return r;
}

/* An address register (base or index): a 64-bit one. */
static int a64_full_reg(const struct arch *a, const char **p, struct loc *out, const char *what)
{
	const char *at = *p;
	const struct arch_reg *r = a64_reg(a, p, out);

	if (!r)
		return -1;
	if (r->size != 8) {
		loc_none(out, "%s: '%.*s' cannot address memory", what, (int)(*p - at), at);
		return -1;
	}
	return r->off;
}

/*
 * The offset after the base: "16", "#-8", or "#:lo12:sym[+N]", the low 12
 * bits of a variable's address whose page the base register holds (adrp).
 * Load addresses move by whole pages, so those bits are the file's.
 */
static bool a64_disp(const struct usdt_arg_env *env, const char **p, int64_t *disp,
		     struct loc *out)
{
	char sym[128];
	size_t n = 0;
	uint64_t addr;

	*disp = 0;
	if (**p == '#')
		(*p)++;
	if (strncmp(*p, ":lo12:", 6))
		return add_number(p, disp, out);
	for (*p += 6; (isalnum((unsigned char)**p) || strchr("_.$", **p)) && **p &&
		      n < sizeof(sym) - 1; (*p)++)
		sym[n++] = **p;
	sym[n] = '\0';
	if (!n) {
		loc_none(out, "':lo12:' without a symbol");
		return false;
	}
	if (!symbol(env, sym, &addr, out))
		return false;
	*disp = (int64_t)addr;
	if ((**p == '+' || **p == '-') && !add_number(p, disp, out))
		return false;
	*disp &= 0xfff;
	return true;
}

/* ", lsl #N" after an index register: the scale. */
static bool a64_shift(const char **p, struct loc *out)
{
	char *end;
	long sh;

	skip_blanks(p);
	if (**p != ',')
		return true;
	(*p)++;
	skip_blanks(p);
	if (strncmp(*p, "lsl", 3)) {
		loc_none(out, "cannot read the operand at '%.16s' (only lsl shifts an index)", *p);
		return false;
	}
	*p += 3;
	skip_blanks(p);
	if (**p == '#')
		(*p)++;
	sh = strtol(*p, &end, 10);
	if (end == *p || sh < 0 || sh > 3) {
		loc_none(out, "cannot read the shift at '%.16s' (lsl #0 to #3)", *p);
		return false;
	}
	*p = end;
	out->scale = 1 << sh;
	return true;
}

/* "[base]", "[base, disp]", "[base, index]", "[base, index, lsl #N]" */
static void a64_mem(const struct arch *a, const struct usdt_arg_env *env, const char *p,
		    struct loc *out)
{
	mem_init(out);
	p++;
	skip_blanks(&p);
	if ((out->base = a64_full_reg(a, &p, out, "base")) < 0)
		return;
	skip_blanks(&p);
	if (*p == ',') {
		p++;
		skip_blanks(&p);
		if (isalpha((unsigned char)*p)) {
			if ((out->index = a64_full_reg(a, &p, out, "index")) < 0 ||
			    !a64_shift(&p, out))
				return;
		} else if (!a64_disp(env, &p, &out->disp, out)) {
			return;
		}
		skip_blanks(&p);
	}
	if (p[0] != ']' || p[1]) {
		loc_none(out, "cannot read the operand at '%.16s'", p);
		return;
	}
}

static void a64_operand(const struct arch *a, const struct usdt_arg_env *env, const char *op,
			struct loc *out)
{
	const struct arch_reg *r;
	const char *p = op;
	char *end;
	long long imm;

	if (*p == '[') {
		a64_mem(a, env, p, out);
		return;
	}
	if (isalpha((unsigned char)*p)) {
		r = a64_reg(a, &p, out);
		if (!r)
			return;
		if (*p) {
			loc_none(out, "cannot read the operand at '%.16s'", p);
			return;
		}
		out->kind = LOC_CTX;
		out->off = r->off + r->shift / 8;
		return;
	}
	/* A constant: gcc writes no '#', the assembler's syntax has one. */
	if (*p == '#')
		p++;
	errno = 0;
	imm = strtoll(p, &end, 0);
	if (end == p || *end) {
		loc_none(out, "cannot read the operand at '%.16s'", op);
		return;
	}
	if (errno == ERANGE) {
		loc_none(out, "the constant '%.24s' is out of range", op);
		return;
	}
	out->kind = LOC_IMM;
	out->imm = imm;
}

void usdt_parse_arg(const char *tok, const struct usdt_arg_env *env, struct loc *out)
{
	const struct arch *a = env->arch ? env->arch : arch_current();
	const char *at = strchr(tok, '@'), *op = at ? at + 1 : tok;
	long size = at ? strtol(tok, NULL, 10) : 8;

	memset(out, 0, sizeof(*out));
	out->base = out->index = -1;
	out->user_ptr = true;
	out->is_signed = size < 0;
	out->size = size >= -8 && size <= 8 ? (int)(size < 0 ? -size : size) : 0;
	if (out->size != 1 && out->size != 2 && out->size != 4 && out->size != 8) {
		loc_none(out, "argument size %ld is not 1, 2, 4 or 8 bytes", size);
		return;
	}
	if (a->usdt_syntax == ARCH_ASM_A64)
		a64_operand(a, env, op, out);
	else
		att_operand(a, env, op, out);
}

char *usdt_arg_next(char *s, char **save)
{
	char *p = s ? s : *save, *start;
	int depth = 0;

	if (!p)
		return NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	start = p;
	for (; *p; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth)
			depth--;
		else if ((*p == ' ' || *p == '\t') && !depth)
			break;
	}
	if (*p)
		*p++ = '\0';
	*save = p;
	return *start ? start : NULL;
}
