// SPDX-License-Identifier: BSD-2-Clause
/*
 * USDT probes: u:lib:probe, u:lib:provider:probe, u:/path:probe. The probes
 * are read from the file's .note.stapsdt notes (with the .stapsdt.base
 * correction); a probe inlined at several places has one location each,
 * and since the compiler placed the arguments differently at each, every
 * location gets its own program. Semaphores are counted by the kernel
 * through the uprobe's reference counter, so probes guarded by one fire
 * for every process, not only with -p.
 *
 * Argument operands are x86 assembly as gcc and clang write them:
 *   -4@$42  8@%rdx  -2@%cx  -1@%r8b  -4@(%rsi)  -8@-24(%rbp)
 *   -8@(%rdx,%r10,8)  -8@16(%rax,%rbx,4)  -1@gch(%rip)  8@gch+8
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/arch.h"
#include "providers/user.h"
#include "util.h"

#define MAX_LOCS 256
#define UPROBE_REF_CTR "/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset"

static bool note_matches(const struct elf_usdt *n, const struct probe_spec *ps)
{
	return !strcmp(n->name, ps->function) && (!ps->category || !strcmp(n->provider, ps->category));
}

static void unknown_probe(struct probe *p, const struct uprobe *u)
{
	const struct probe_spec *ps = &p->spec;
	struct suggest sg;
	char *want = ps->category ? xasprintf("%s:%s", ps->category, ps->function) :
				    xstrdup(ps->function);

	suggest_init(&sg, want);
	for (size_t i = 0; i < u->elf.nusdt; i++) {
		char *cand = ps->category ? xasprintf("%s:%s", u->elf.usdt[i].provider,
						      u->elf.usdt[i].name) :
					    xstrdup(u->elf.usdt[i].name);

		suggest_add(&sg, cand);
		free(cand);
	}
	if (!u->elf.nusdt)
		pr_err("probe %d, column %d: %s has no USDT probes", ps->index, ps->library_col,
		       u->path);
	else
		pr_err("probe %d, column %d: %s has no USDT probe '%s'%s%s%s", ps->index,
		       ps->function_col, u->path, want, sg.best ? " (did you mean '" : "",
		       sg.best ? sg.best : "", sg.best ? "'?)" : "");
	suggest_free(&sg);
	free(want);
}

static int add_loc(struct probe *p, struct uprobe *u, const struct elf_usdt *n)
{
	struct uloc l = { .vaddr = n->pc, .note = n };

	if (elf_vaddr_to_offset(&u->elf, n->pc, &l.offset) ||
	    (n->sema && elf_vaddr_to_offset(&u->elf, n->sema, &l.ref_ctr))) {
		pr_err("probe %d: USDT probe %s:%s of %s points outside the file's segments",
		       p->spec.index, n->provider, n->name, u->path);
		return ERR_RUNTIME;
	}
	if (l.ref_ctr && access(UPROBE_REF_CTR, F_OK)) {
		pr_err("probe %d: USDT probe %s:%s has a semaphore, and this kernel cannot count "
		       "it (uprobe reference counters need Linux 4.20)", p->spec.index,
		       n->provider, n->name);
		return ERR_RUNTIME;
	}
	u->locs = xrealloc(u->locs, (u->nlocs + 1) * sizeof(*u->locs));
	u->locs[u->nlocs++] = l;
	return 0;
}

static int usdt_resolve(struct session *s, struct probe *p)
{
	const struct probe_spec *ps = &p->spec;
	struct uprobe *u;
	int ret;

	if ((ret = user_open(s, p)))
		return ret;
	u = up_of(p);
	u->usdt = true;
	elf_read_usdt(&u->elf, u->path);
	for (size_t i = 0; i < u->elf.nusdt; i++)
		if (note_matches(&u->elf.usdt[i], ps)) {
			if (u->nlocs == MAX_LOCS) {
				pr_err("probe %d: more than %d locations of %s", ps->index, MAX_LOCS,
				       u->what);
				return ERR_USAGE;
			}
			if ((ret = add_loc(p, u, &u->elf.usdt[i])))
				return ret;
		}
	if (!u->nlocs) {
		unknown_probe(p, u);
		return ERR_USAGE;
	}
	p->func_name = xstrdup(ps->function);
	return 0;
}

/* --- argument operands ------------------------------------------------------- */

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
static bool parse_disp(const struct uprobe *u, const char **p, int64_t *disp, bool *is_sym,
		       struct loc *out)
{
	char *end, sym[128];
	size_t n = 0;
	uint64_t addr;

	*is_sym = false;
	*disp = 0;
	if (isalpha((unsigned char)**p) || **p == '_' || **p == '.') {
		while ((isalnum((unsigned char)**p) || strchr("_.$", **p)) && **p && n < sizeof(sym) - 1)
			sym[n++] = *(*p)++;
		sym[n] = '\0';
		if (elf_symbol_addr(u->path, sym, &addr)) {
			loc_none(out, "the argument names '%s', which %s does not define", sym, u->path);
			return false;
		}
		*is_sym = true;
		*disp = (int64_t)addr;
		if (**p != '+' && **p != '-')
			return true;
	}
	if (**p == '(' || **p == '\0' || isspace((unsigned char)**p))
		return true;
	*disp += (int64_t)strtoll(*p, &end, 0);
	if (end == *p) {
		loc_none(out, "cannot read the operand at '%.16s'", *p);
		return false;
	}
	*p = end;
	return true;
}

static bool parse_mem(const struct uprobe *u, const struct elf_usdt *note, const char *p,
		      struct loc *out)
{
	const struct arch *a = arch_current();
	int64_t disp;
	bool is_sym;

	out->kind = LOC_MEM;
	out->base = out->index = -1;
	out->scale = 1;
	out->mem_user = true;
	if (!parse_disp(u, &p, &disp, &is_sym, out))
		return false;
	out->disp = disp;
	if (*p != '(') {
		/* An absolute address: a variable of a program that is not position independent. */
		if (u->elf.type != 2 /* ET_EXEC */) {
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
		out->disp = disp - (int64_t)note->pc;
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

/* One "[-]SIZE@OPERAND" of a note into @out. */
static void parse_arg(const struct uprobe *u, const struct elf_usdt *note, const char *tok,
		      struct loc *out)
{
	const char *at = strchr(tok, '@'), *op = at ? at + 1 : tok;
	long size = at ? strtol(tok, NULL, 10) : 8;
	const struct arch_reg *r;

	memset(out, 0, sizeof(*out));
	out->base = out->index = -1;
	out->user_ptr = true;
	out->is_signed = size < 0;
	out->size = (int)(size < 0 ? -size : size);
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
	parse_mem(u, note, op, out);
}

static void usdt_arg(const struct probe *p, int n, bool param, struct loc *out)
{
	const struct uprobe *u = up_of(p);
	const struct elf_usdt *note = u->locs[u->cur >= 0 ? u->cur : 0].note;
	char *args = xstrdup(note->args), *save = NULL, *tok;
	int i = 0;

	for (tok = strtok_r(args, " \t", &save); tok && ++i < n; tok = strtok_r(NULL, " \t", &save))
		;
	if (!tok)
		loc_none(out, "USDT probe %s:%s has %d argument%s, there is no arg%d",
			 note->provider, note->name, i, i == 1 ? "" : "s", n);
	else
		parse_arg(u, note, tok, out);
	if (out->kind == LOC_NONE && tok) {
		char why[sizeof(out->why)];

		snprintf(why, sizeof(why), "%s", out->why);
		loc_none(out, "cannot read arg%d of %s:%s ('%s'): %s", n, note->provider,
			 note->name, tok, why);
	}
	free(args);
}

static void usdt_retval(const struct probe *p, struct loc *out)
{
	loc_none(out, "USDT probes have no return value; their values are arg1, arg2, ...");
}

static int usdt_check(struct session *s, struct probe *p)
{
	struct uprobe *u = up_of(p);
	int ret = 0;

	/* Every location: a mistake in reading one of them is found now. */
	for (size_t i = 0; i < u->nlocs && !ret; i++) {
		u->cur = (int)i;
		ret = provider_build(s, p, NULL, false, NULL, 0);
	}
	u->cur = -1;
	return ret;
}

static int usdt_install(struct session *s, struct probe *p)
{
	return user_install(s, p, true);
}

const struct provider usdt_provider = {
	.name = "USDT probe",
	.resolve = usdt_resolve,
	.check = usdt_check,
	.install = usdt_install,
	.cleanup = user_cleanup,
	.free = user_free,
	.arg = usdt_arg,
	.retval = usdt_retval,
	.ctx_reg = user_ctx_reg,
	.describe = user_describe,
	.file = user_file,
	.probe_offset = user_probe_offset,
};
