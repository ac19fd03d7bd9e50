// SPDX-License-Identifier: BSD-2-Clause
/*
 * User functions: p:lib:func, r:lib:func, lib:func, p:/path/bin:func+off.
 * The function is found with etrace's own ELF reader: .symtab, .dynsym
 * with symbol versions (name@VER, name@@VER), then a separate debug file
 * (build-id, .gnu_debuglink) or an -s file with the same build-id. One
 * address is one function whatever its aliases; an IFUNC is refused with
 * the names of its implementations. Probes attach at file offsets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "providers/user.h"
#include "sym/ifunc.h"
#include "util.h"

#define MAX_LOCS 64

/* Symbols from the -s files whose build-id is this file's. */
static bool add_symbol_files(struct session *s, struct uprobe *u)
{
	bool added = false;

	for (size_t i = 0; i < s->opt.nsymfiles; i++)
		added |= elf_add_symbols_from(&u->elf, s->opt.symfiles[i]) == 0;
	return added;
}

static void unknown_function(struct session *s, struct probe *p, const struct uprobe *u)
{
	const struct probe_spec *ps = &p->spec;
	struct suggest sg;

	suggest_init(&sg, ps->function);
	for (size_t i = 0; i < u->elf.nsyms; i++)
		suggest_add(&sg, u->elf.syms[i].name);
	pr_err("probe %d, column %d: %s has no function '%s'%s%s%s%s", ps->index,
	       ps->function_col, u->path, ps->function, sg.best ? " (did you mean '" : "",
	       sg.best ? sg.best : "", sg.best ? "'?)" : "",
	       u->elf.has_symtab ? "" : "; it is stripped and no debug file was found "
	       "(install its debug symbols or pass one with -s)");
	suggest_free(&sg);
}

/* An IFUNC: name the functions it may choose (__strlen_avx2 ...). */
static void ifunc_refused(struct session *s, struct probe *p, struct uprobe *u,
			  const struct elf_sym *sym)
{
	char *under = xasprintf("__%s_", sym->name), *plain = xasprintf("%s_", sym->name);
	struct strbuf impl = { 0 }, why = { 0 };
	size_t n = 0;

	elf_add_debug_symbols(&u->elf);
	for (size_t i = 0; i < u->elf.nsyms && n < 12; i++) {
		const char *name = u->elf.syms[i].name;

		/* The resolver itself is often called NAME_ifunc: not an implementation. */
		if (u->elf.syms[i].ifunc || strstr(name, "_ifunc") ||
		    (strncmp(name, under, strlen(under)) && strncmp(name, plain, strlen(plain))))
			continue;
		if (impl.buf && strstr(impl.buf, name))
			continue;
		sb_printf(&impl, "%s%s", n++ ? ", " : "", name);
	}
	if (s->opt.pid)
		sb_printf(&why, "process %d has not resolved it yet", (int)s->opt.pid);
	else
		sb_printf(&why, "the program calls an implementation chosen at start-up");
	if (n)
		sb_printf(&why, " (%s): probe one of them", impl.buf);
	else
		sb_printf(&why, "; its implementations are not named in the file");
	pr_err("probe %d, column %d: %s is an IFUNC: %s", p->spec.index, p->spec.function_col,
	       u->what, why.buf);
	sb_free(&impl);
	sb_free(&why);
	free(under);
	free(plain);
}

/*
 * With -p: the implementation the process resolved, probed instead of the
 * resolver. Named from the debug symbols when there are some; else @tmp
 * stands for it.
 */
static const struct elf_sym *ifunc_impl(struct session *s, struct probe *p, struct uprobe *u,
					const struct elf_sym *sym, struct elf_sym *tmp)
{
	const struct elf_sym *impl;
	uint64_t addr;

	if (!s->opt.pid || ifunc_resolved(s->opt.pid, &u->elf, sym->name, sym->addr, &addr))
		return NULL;
	elf_add_debug_symbols(&u->elf);
	impl = elf_sym_at(&u->elf, addr);
	if (!impl || impl->addr != addr) {
		*tmp = (struct elf_sym){ .name = sym->name, .addr = addr };
		impl = tmp;
	}
	pr_verbose(s->opt.verbose, "probe %d: %s is an IFUNC; process %d uses %s (0x%llx)\n",
		   p->spec.index, u->what, (int)s->opt.pid, impl == tmp ? "an unnamed function" :
		   impl->name, (unsigned long long)addr);
	return impl;
}

static int add_loc(struct probe *p, struct uprobe *u, const struct elf_sym *sym)
{
	const struct probe_spec *ps = &p->spec;
	uint64_t vaddr = sym->addr + ps->offset, off;

	if (ps->has_offset && ps->offset % (unsigned)arch_current()->insn_align) {
		pr_err("probe %d, column %d: offset 0x%llx is not at an instruction boundary of "
		       "%s (%s instructions are %d bytes)", ps->index, ps->function_col,
		       (unsigned long long)ps->offset, u->what, arch_current()->name,
		       arch_current()->insn_align);
		return ERR_USAGE;
	}
	if (ps->has_offset && sym->size && ps->offset >= sym->size) {
		pr_err("probe %d, column %d: offset 0x%llx is beyond the end of %s (%llu bytes)",
		       ps->index, ps->function_col, (unsigned long long)ps->offset, u->what,
		       (unsigned long long)sym->size);
		return ERR_USAGE;
	}
	if (elf_vaddr_to_offset(&u->elf, vaddr, &off)) {
		pr_err("probe %d, column %d: %s is at 0x%llx, which no segment of the file maps",
		       ps->index, ps->function_col, u->what, (unsigned long long)vaddr);
		return ERR_USAGE;
	}
	u->locs = xrealloc(u->locs, (u->nlocs + 1) * sizeof(*u->locs));
	u->locs[u->nlocs++] = (struct uloc){ .vaddr = vaddr, .offset = off };
	return 0;
}

static int uprobe_resolve(struct session *s, struct probe *p)
{
	const struct probe_spec *ps = &p->spec;
	const struct elf_sym *found[MAX_LOCS];
	struct uprobe *u;
	size_t n;
	int ret;

	if (strpbrk(ps->function, "*?[")) {
		pr_err("probe %d, column %d: patterns are not supported for user functions; "
		       "name one function", ps->index, ps->function_col);
		return ERR_USAGE;
	}
	if ((ret = user_open(s, p)))
		return ret;
	u = up_of(p);
	u->is_return = ps->type == 'r';
	n = elf_find(&u->elf, ps->function, found, MAX_LOCS);
	if (!n) {
		/* Both: a debug file, and -s files (which may hold what it lacks). */
		bool more = elf_add_debug_symbols(&u->elf);

		more |= add_symbol_files(s, u);
		if (more)
			n = elf_find(&u->elf, ps->function, found, MAX_LOCS);
	}
	if (!n) {
		unknown_function(s, p, u);
		return ERR_USAGE;
	}
	if (n > MAX_LOCS) {
		pr_err("probe %d, column %d: %zu functions of %s are named '%s'; at most %d can "
		       "be probed", ps->index, ps->function_col, n, u->path, ps->function, MAX_LOCS);
		return ERR_USAGE;
	}
	for (size_t i = 0; i < n; i++) {
		const struct elf_sym *impl = found[i];
		struct elf_sym tmp;

		if (impl->ifunc && !(impl = ifunc_impl(s, p, u, found[i], &tmp))) {
			ifunc_refused(s, p, u, found[i]);
			return ERR_USAGE;
		}
		/* Static functions of one name in several files: all of them. */
		if ((ret = add_loc(p, u, impl)))
			return ret;
	}
	p->func_name = xstrdup(ps->function);
	p->ustack_at_entry = !u->is_return && !ps->offset;
	return 0;
}

static void uprobe_arg(const struct probe *p, int n, bool param, struct loc *out)
{
	const struct uprobe *u = up_of(p);

	if (u->is_return) {
		loc_none(out, "arg%d is not available in a return probe: the registers that held "
			 "it are gone", n);
		return;
	}
	if (n > ARCH_MAX_ARGS) {
		loc_none(out, "only the first %d arguments can be read", ARCH_MAX_ARGS);
		return;
	}
	memset(out, 0, sizeof(*out));
	out->kind = LOC_CTX;
	out->off = arch_current()->args[n - 1];
	out->size = 8;
	out->base = out->index = -1;
	/* Pointers in a process point into its memory. */
	out->user_ptr = true;
}

static void uprobe_retval(const struct probe *p, struct loc *out)
{
	const struct uprobe *u = up_of(p);

	if (!u->is_return) {
		loc_none(out, "retval is only available in return probes (r:%s:%s)",
			 p->spec.library, p->spec.function);
		return;
	}
	memset(out, 0, sizeof(*out));
	out->kind = LOC_CTX;
	out->off = arch_current()->ret;
	out->size = 8;
	out->base = out->index = -1;
	out->user_ptr = true;
}

static int uprobe_check(struct session *s, struct probe *p)
{
	int ret;

	up_of(p)->cur = 0;
	ret = provider_build(s, p, NULL, false, NULL, 0);
	up_of(p)->cur = -1;
	return ret;
}

static int uprobe_install(struct session *s, struct probe *p)
{
	return user_install(s, p, false);
}

static int uprobe_list(struct session *s, const char *pattern, const struct lister *l)
{
	return user_list(s, pattern, false, l);
}

const struct provider uprobe_provider = {
	.name = "user function",
	.resolve = uprobe_resolve,
	.check = uprobe_check,
	.install = uprobe_install,
	.cleanup = user_cleanup,
	.free = user_free,
	.arg = uprobe_arg,
	.retval = uprobe_retval,
	.ctx_reg = user_ctx_reg,
	.entry_ret = user_entry_ret,
	.describe = user_describe,
	.file = user_file,
	.probe_offset = user_probe_offset,
	.list = uprobe_list,
};
