// SPDX-License-Identifier: BSD-2-Clause
/*
 * USDT probes: u:lib:probe, u:lib:provider:probe, u:/path:probe. The probes
 * are read from the file's .note.stapsdt notes (with the .stapsdt.base
 * correction); a probe inlined at several places has one location each,
 * and since the compiler placed the arguments differently at each, every
 * location gets its own program. Semaphores are counted by the kernel
 * through the uprobe's reference counter, so probes guarded by one fire
 * for every process, not only with -p.
 * Argument operands are read by usdt_arg.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/arch.h"
#include "providers/usdt_arg.h"
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

static int sym_addr(const char *name, uint64_t *addr, void *arg)
{
	return elf_symbol_addr(arg, name, addr);
}

static void usdt_arg(const struct probe *p, int n, bool param, struct loc *out)
{
	const struct uprobe *u = up_of(p);
	const struct elf_usdt *note = u->locs[u->cur >= 0 ? u->cur : 0].note;
	char *args = xstrdup(note->args), *save = NULL, *tok;
	int i = 0;

	for (tok = usdt_arg_next(args, &save); tok && ++i < n; tok = usdt_arg_next(NULL, &save))
		;
	if (!tok)
		loc_none(out, "USDT probe %s:%s has %d argument%s, there is no arg%d",
			 note->provider, note->name, i, i == 1 ? "" : "s", n);
	else
		usdt_parse_arg(tok, &(struct usdt_arg_env){ .arch = arch_by_machine(u->elf.machine),
							    .file = u->path,
							    .pic = u->elf.type != 2 /* ET_EXEC */,
							    .pc = note->pc, .sym_addr = sym_addr,
							    .arg = u->path }, out);
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

static int usdt_list(struct session *s, const char *pattern, const struct lister *l)
{
	return user_list(s, pattern, true, l);
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
	.list = usdt_list,
};
