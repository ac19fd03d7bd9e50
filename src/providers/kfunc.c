// SPDX-License-Identifier: BSD-2-Clause
/*
 * Kernel function probes (p::func, r::func, func+off, p::pattern*,
 * p:module:func): turning what the user wrote into the functions this
 * kernel has, then installing them with the best mechanism the kernel
 * allows: fentry/fexit, else kprobes through the perf PMU (kprobe_multi
 * for many functions), else legacy kprobe_events.
 */
#include <errno.h>
#include <stdarg.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "arch/arch.h"
#include "providers/kfunc.h"
#include "providers/provider.h"
#include "runtime/features.h"
#include "runtime/loader.h"
#include "runtime/tracefs.h"
#include "sym/ksym.h"
#include "types/ktypes.h"
#include "types/renames.h"
#include "util.h"

/* fentry needs one program per function. */
#define MAX_FENTRY_TARGETS 64

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* A line of available_filter_functions: "name" or "name [module]". */
static void split_aff_line(char *line, char **name, char **module)
{
	char *sp = strchr(line, ' ');

	*name = line;
	*module = NULL;
	if (sp) {
		*sp = '\0';
		if (sp[1] == '[') {
			*module = sp + 2;
			sp = strchr(*module, ']');
			if (sp)
				*sp = '\0';
		}
	}
}

/* Parts of functions the compiler split off, and ftrace placeholders. */
static bool is_fragment(const char *name)
{
	return strchr(name, '.') || !strncmp(name, "__ftrace_invalid_address__", 26);
}


/* The functions the kprobe blacklist names, sorted for lookups. */
struct blacklist {
	char *text;		/* the file, its names cut out in place */
	const char **names;
	size_t n;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "0xstart-0xend\tname" lines (needs debugfs; empty if unreadable). */
static void read_blacklist(struct blacklist *b)
{
	char *save = NULL, *line;
	size_t cap = 0;

	memset(b, 0, sizeof(*b));
	b->text = read_file("/sys/kernel/debug/kprobes/blacklist", NULL);
	for (line = b->text ? strtok_r(b->text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *name = strpbrk(line, " \t");

		if (!name)
			continue;
		name += strspn(name, " \t");
		name[strcspn(name, " \t")] = '\0';
		b->names = grow_array(b->names, &cap, b->n + 1, sizeof(*b->names));
		b->names[b->n++] = name;
	}
	if (b->n)
		qsort(b->names, b->n, sizeof(*b->names), cmp_name);
}

static bool blacklisted(const struct blacklist *b, const char *name)
{
	return b->n && bsearch(&name, b->names, b->n, sizeof(*b->names), cmp_name);
}

static void free_blacklist(struct blacklist *b)
{
	free(b->names);
	free(b->text);
}

static void add_target(struct kfunc *k, const char *name, const char *module)
{
	struct ktarget *t;

	k->targets = grow_array(k->targets, &k->targets_cap, k->ntargets + 1,
				sizeof(*k->targets));
	t = &k->targets[k->ntargets++];
	t->name = xstrdup(name);
	t->module = module ? xstrdup(module) : NULL;
	t->addr = 0;	/* looked up in kallsyms only if needed */
}

static int cmp_target(const void *a, const void *b)
{
	const struct ktarget *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return strcmp(x->module ? x->module : "", y->module ? y->module : "");
}

/* Static functions of one name appear once per copy; probe each name once. */
static void dedup_targets(struct kfunc *k)
{
	size_t n = 0;

	qsort(k->targets, k->ntargets, sizeof(*k->targets), cmp_target);
	for (size_t i = 0; i < k->ntargets; i++) {
		if (n && !cmp_target(&k->targets[n - 1], &k->targets[i])) {
			free(k->targets[i].name);
			free(k->targets[i].module);
			continue;
		}
		k->targets[n++] = k->targets[i];
	}
	k->ntargets = n;
}

static int resolve_wildcard(struct session *s, struct probe *p)
{
	const struct probe_spec *ps = &p->spec;
	struct kfunc *k = kf(p);
	char *aff = tracefs_read(s, "available_filter_functions", NULL);
	char *save = NULL, *line;
	struct blacklist black;

	if (!aff) {
		pr_err("probe %d: cannot expand '%s': no list of traceable kernel functions "
		       "(available_filter_functions: %s)", ps->index, ps->function, strerror(errno));
		return ERR_RUNTIME;
	}
	read_blacklist(&black);
	for (line = strtok_r(aff, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *name, *module;

		split_aff_line(line, &name, &module);
		if (is_fragment(name) || fnmatch(ps->function, name, 0))
			continue;
		if (ps->library && (!module || strcmp(module, ps->library)))
			continue;
		if (blacklisted(&black, name))
			continue;
		add_target(k, name, module);
	}
	free(aff);
	free_blacklist(&black);
	dedup_targets(k);
	if (!k->ntargets) {
		pr_err("probe %d, column %d: pattern '%s' matches no traceable kernel function%s%s",
		       ps->index, ps->function_col, ps->function,
		       ps->library ? " in module " : "", ps->library ? ps->library : "");
		return ERR_USAGE;
	}
	k->wildcard = true;
	k->traceable = true;
	p->records_func_ip = true;
	p->func_name = xstrdup(ps->function);
	return 0;
}

/*
 * Does kernel function @name exist (in @module, if given)? The kernel's BTF
 * answers for vmlinux in well under a millisecond once loaded, while
 * /proc/kallsyms costs tens of milliseconds to produce: it is read only for
 * module functions, names BTF does not know, suggestions and stacks.
 * *@found_module receives the module of a kallsyms match (NULL: vmlinux).
 */
static bool lookup_func(struct session *s, const char *name, const char *module,
			const char **found_module)
{
	struct btf *btf = module ? NULL : ktypes_vmlinux(s);
	const struct ksym *k;

	*found_module = NULL;
	if (btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0)
		return true;
	k = ksyms__find_in(s->ksyms, name, module);
	if (k && strcmp(k->module, "kernel"))
		*found_module = k->module;
	return k != NULL;
}

/*
 * System calls have had many names: sys_read, SyS_read (before 4.17),
 * __x64_sys_read (x86-64 since 4.17), plus ksys_read helpers. Accept any
 * of them and use what this kernel has (a malloc'ed name, or NULL).
 */
static const char *const syscall_prefixes[] = {
	"__se_sys_", "__do_sys_", "sys_", "SyS_", "ksys_",
};

static char *try_syscall(struct session *s, const char *prefix, const char *call)
{
	char *cand = xasprintf("%s%s", prefix, call);
	const char *module;

	if (lookup_func(s, cand, NULL, &module) && !module)
		return cand;
	free(cand);
	return NULL;
}

static char *resolve_syscall(struct session *s, const char *name)
{
	static const char *const try_order[] = { "sys_", "SyS_", "ksys_" };
	const struct arch *a = arch_current();
	const char *call = NULL;
	char *found;

	for (size_t i = 0; i < a->nsyscalls && !call; i++)
		if (!strncmp(name, a->syscalls[i].prefix, strlen(a->syscalls[i].prefix)))
			call = name + strlen(a->syscalls[i].prefix);
	for (size_t i = 0; i < ARRAY_SIZE(syscall_prefixes) && !call; i++)
		if (!strncmp(name, syscall_prefixes[i], strlen(syscall_prefixes[i])))
			call = name + strlen(syscall_prefixes[i]);
	if (!call || !*call)
		return NULL;
	/* The native wrapper first: it is what a process calling read() goes through. */
	if ((found = try_syscall(s, a->syscalls[0].prefix, call)))
		return found;
	for (size_t i = 0; i < ARRAY_SIZE(try_order); i++)
		if ((found = try_syscall(s, try_order[i], call)))
			return found;
	return NULL;
}

static void unknown_function(struct session *s, struct probe *p)
{
	const struct probe_spec *ps = &p->spec;
	struct suggest sg;
	const struct ksym *k;

	suggest_init(&sg, ps->function);
	for (size_t i = 0; (k = ksyms__at(s->ksyms, i)); i++)
		if (!ps->library || !strcmp(k->module, ps->library))
			suggest_add(&sg, k->name);
	if (ps->library)
		pr_err("probe %d, column %d: module %s has no function '%s'%s%s%s", ps->index,
		       ps->function_col, ps->library, ps->function,
		       sg.best ? " (did you mean '" : "", sg.best ? sg.best : "",
		       sg.best ? "'?)" : "");
	else
		pr_err("probe %d, column %d: unknown kernel function '%s'%s%s%s", ps->index,
		       ps->function_col, ps->function, sg.best ? " (did you mean '" : "",
		       sg.best ? sg.best : "", sg.best ? "'?)" : "");
	suggest_free(&sg);
}

/*
 * A name older documentation uses for what is @new on this kernel
 * (types/renames.c), or NULL; says so on stderr.
 */
static bool vmlinux_func_exists(void *ctx, const char *name)
{
	const char *module;

	return lookup_func(ctx, name, NULL, &module) && !module;
}

static char *renamed_func(struct session *s, const struct probe *p, bool present)
{
	const struct probe_spec *ps = &p->spec;
	const struct rename *r;
	char to[256];

	if (ps->library)
		return NULL;
	r = rename_find(RN_FUNCTION, NULL, ps->function, present, vmlinux_func_exists, s, to,
			sizeof(to));
	if (!r)
		return NULL;
	rename_notice(s, ps->index, ps->function_col, r, ps->function, to);
	return xstrdup(to);
}

static int resolve_name(struct session *s, struct probe *p)
{
	const struct probe_spec *ps = &p->spec;
	struct kfunc *k = kf(p);
	const char *module = NULL;
	char *name = NULL;
	struct blacklist black;

	if (lookup_func(s, ps->function, ps->library, &module)) {
		name = renamed_func(s, p, true);
		if (!name)
			name = xstrdup(ps->function);
	} else if (!ps->library) {
		name = resolve_syscall(s, ps->function);
		if (!name)
			name = renamed_func(s, p, false);
	}
	if (!name) {
		unknown_function(s, p);
		return ERR_USAGE;
	}
	read_blacklist(&black);
	if (blacklisted(&black, name)) {
		pr_err("probe %d, column %d: kernel function '%s' cannot be traced: it is on the "
		       "kernel's kprobe blacklist", ps->index, ps->function_col, name);
		free_blacklist(&black);
		free(name);
		return ERR_USAGE;
	}
	free_blacklist(&black);
	add_target(k, name, module);
	/* FUNC shows the name as written (sys_read), as BCC does; -v says what it is here. */
	p->func_name = xstrdup(ps->function);
	p->func_symbol = name;
	/* Whether ftrace can patch it is left to the kernel: fentry falls back. */
	k->traceable = true;
	k->syscall = arch_syscall_abi(arch_current(), name);
	if (strcmp(name, ps->function))
		pr_verbose(s->opt.verbose, "probe %d: %s resolved to %s\n", ps->index,
			   ps->function, name);
	return 0;
}

/*
 * Kernel symbols are C identifiers, with '.' in compiler-made parts and
 * glob characters in patterns. Anything else (spaces, newlines, '/')
 * would only end up in kprobe_events lines or paths: refuse it here.
 */
static bool valid_function(const char *name)
{
	size_t n = strlen(name);

	return n && n <= 512 &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.$"
			    "*?[]!^-") == n;
}


/* Whether @e reads a register through the context (ctx->dx). */
static bool reads_regs(const struct expr *e)
{
	if (!e)
		return false;
	if (e->kind == EXPR_MEMBER && e->lhs && e->lhs->kind == EXPR_IDENT &&
	    !strcmp(e->lhs->name, "ctx"))
		return true;
	if (reads_regs(e->cond) || reads_regs(e->lhs) || reads_regs(e->rhs))
		return true;
	for (size_t i = 0; i < e->nargs; i++)
		if (reads_regs(e->args[i]))
			return true;
	return false;
}

static bool spec_reads_regs(const struct probe_spec *ps)
{
	if (reads_regs(ps->predicate))
		return true;
	for (size_t i = 0; i < ps->nargs; i++)
		if (reads_regs(ps->args[i]))
			return true;
	return false;
}

static int kfunc_resolve(struct session *s, struct probe *p)
{
	const struct probe_spec *ps = &p->spec;
	struct kfunc *k = xcalloc(1, sizeof(*k));
	int ret;

	p->priv = k;
	k->cur = -1;
	k->nparams = -1;
	k->attr.attach_btf_obj_fd = -1;
	if (!valid_function(ps->function)) {
		pr_err("probe %d, column %d: invalid kernel function name '%.64s%s'", ps->index,
		       ps->function_col, ps->function, strlen(ps->function) > 64 ? "..." : "");
		return ERR_USAGE;
	}
	k->is_return = ps->type == 'r';
	k->uses_regs = spec_reads_regs(ps);
	if (ps->has_offset && ps->offset % (unsigned)arch_current()->insn_align) {
		pr_err("probe %d, column %d: offset 0x%llx is not at an instruction boundary of "
		       "%s (%s instructions are %d bytes)", ps->index, ps->function_col,
		       (unsigned long long)ps->offset, ps->function, arch_current()->name,
		       arch_current()->insn_align);
		return ERR_USAGE;
	}
	if (has_glob(ps->function)) {
		if (ps->has_offset) {
			pr_err("probe %d, column %d: an offset cannot be used with a pattern",
			       ps->index, ps->function_col);
			return ERR_USAGE;
		}
		ret = resolve_wildcard(s, p);
	} else {
		ret = resolve_name(s, p);
	}
	if (ret)
		return ret;
	/* fentry's unwinder frames come before the probed function's. */
	p->stack_from_func = true;
	return 0;
}

/* --- where values live ------------------------------------------------ */

static void loc_ctx(struct loc *out, int off, int size)
{
	memset(out, 0, sizeof(*out));
	out->kind = LOC_CTX;
	out->off = off;
	out->size = size;
	out->base = out->index = -1;
}

/* The context offset of argument slot @slot (0-based), or -1 (reason in @out). */
static int arg_ctx_off(const struct probe *p, int slot, const char *what, struct loc *out)
{
	const struct kfunc *k = kf(p);

	if (slot >= ARCH_MAX_ARGS) {
		loc_none(out, "%s is in argument slot %d; only the first %d can be read", what,
			 slot + 1, ARCH_MAX_ARGS);
		return -1;
	}
	if (k->mech == KMECH_FENTRY)
		return slot * 8;
	if (k->is_return) {
		loc_none(out, "%s is not available in a return probe with kprobes (fexit has it; "
			 "the kernel refused fentry here)", what);
		return -1;
	}
	return arch_current()->args[slot];
}

static void kf_arg(const struct probe *p, int n, bool param, struct loc *out)
{
	const struct kfunc *k = kf(p);
	char what[32];
	int slot = n - 1, off;

	snprintf(what, sizeof(what), "arg%d", n);
	if (k->syscall) {
		/* The wrapper's one argument is the inner struct pt_regs *. */
		off = arg_ctx_off(p, 0, what, out);
		if (off < 0)
			return;
		loc_ctx(out, 0, 8);
		out->kind = LOC_MEM;
		out->base = off;
		out->disp = k->syscall->args[slot < ARCH_MAX_ARGS ? slot : 0];
		/* 32-bit processes' arguments are 32 bits wide. */
		out->size = k->syscall->compat ? 4 : 8;
		out->user_ptr = true;
		if (slot >= ARCH_MAX_ARGS)
			loc_none(out, "system calls have at most %d arguments", ARCH_MAX_ARGS);
		return;
	}
	if (k->mech == KMECH_FENTRY && k->nparams >= 0) {
		if (n > k->nparams) {
			loc_none(out, "%s takes %d argument%s, there is no arg%d",
				 k->targets[k->cur >= 0 ? k->cur : 0].name, k->nparams,
				 k->nparams == 1 ? "" : "s", n);
			return;
		}
	}
	/* A declared parameter: structs passed by value take two slots. */
	if (param && k->nparams >= 0 && n <= k->nparams)
		slot = k->param_slot[n - 1];
	off = arg_ctx_off(p, slot, what, out);
	if (off >= 0)
		loc_ctx(out, off, 8);
}

static void kf_retval(const struct probe *p, struct loc *out)
{
	const struct kfunc *k = kf(p);

	if (!k->is_return) {
		loc_none(out, "retval is only available in return probes (r::%s)", p->func_name);
		return;
	}
	/* fexit's context: the argument slots, then the return value. */
	if (k->mech == KMECH_FENTRY)
		loc_ctx(out, (k->nslots >= 0 ? k->nslots : 0) * 8, 8);
	else
		loc_ctx(out, arch_current()->ret, 8);
}

uint64_t kfunc_target_addr(struct session *s, struct probe *p, size_t i)
{
	struct ktarget *t = &kf(p)->targets[i];

	if (!t->addr) {
		const struct ksym *ks = ksyms__find_in(s->ksyms, t->name,
						       t->module ? t->module : "kernel");

		t->addr = ks ? ks->addr : 0;
	}
	return t->addr;
}

static void kf_func_ip(const struct probe *p, struct loc *out)
{
	const struct kfunc *k = kf(p);

	memset(out, 0, sizeof(*out));
	out->size = 8;
	out->base = out->index = -1;
	if (k->cur >= 0 && (k->mech == KMECH_FENTRY || k->per_target)) {
		/* One program per function: the answer is a constant. */
		out->kind = LOC_IMM;
		out->imm = (int64_t)k->targets[k->cur].addr;
	} else if (k->mech == KMECH_KPROBE_MULTI) {
		out->kind = LOC_HELPER;
		out->helper = BPF_FUNC_get_func_ip;
	} else if (k->use_cookie) {
		out->kind = LOC_HELPER;
		out->helper = BPF_FUNC_get_attach_cookie;
	} else {
		/* A kprobe stops at (or just after) the function's entry. */
		loc_ctx(out, arch_current()->ip, 8);
	}
}

static void kf_ctx_reg(const struct probe *p, const char *name, struct loc *out)
{
	const struct arch *a = arch_current();
	const struct arch_reg *r = arch_field(a, name);

	if (kf(p)->mech == KMECH_FENTRY) {
		loc_none(out, "ctx->%s needs kprobes: fentry programs see the arguments, not the "
			 "registers", name);
		return;
	}
	if (!r)
		r = arch_reg(a, name);
	if (!r) {
		loc_none(out, "struct pt_regs has no register '%s' on %s", name, a->name);
		return;
	}
	loc_ctx(out, r->off + r->shift / 8, r->size);
}

/*
 * A kprobe at a function's first instruction on arm64: the caller is in the
 * link register, and the kernel's stack walk (from the frame pointer) skips
 * it. x86's walk reads the return address the call pushed: nothing to add.
 * fentry's trampoline builds the frames itself.
 */
static void kf_kstack_caller(const struct probe *p, struct loc *out)
{
	const struct kfunc *k = kf(p);
	const struct arch *a = arch_current();

	if (a->entry_ret < 0 || k->is_return || p->spec.has_offset ||
	    (k->mech != KMECH_KPROBE && k->mech != KMECH_KPROBE_LEGACY)) {
		loc_none(out, "the stack walk has the caller");
		return;
	}
	loc_ctx(out, a->entry_ret, 8);
}

static const char *kf_function(const struct probe *p)
{
	const struct kfunc *k = kf(p);

	if (!k->ntargets || (k->wildcard && (k->cur < 0 || k->mech != KMECH_FENTRY)))
		return NULL;
	return k->targets[k->cur >= 0 ? k->cur : 0].name;
}

static void kf_describe(const struct probe *p, char *buf, size_t len)
{
	const struct kfunc *k = kf(p);

	snprintf(buf, len, "%s %s", kmech_name(k->mech),
		 k->cur >= 0 ? k->targets[k->cur].name : p->func_name);
}

/* --- installing -------------------------------------------------------- */

void kfunc_note(struct probe *p, const char *fmt, ...)
{
	struct kfunc *k = kf(p);
	va_list ap;

	if (k->failures.len)
		sb_append(&k->failures, "; ", 2);
	va_start(ap, fmt);
	sb_vprintf(&k->failures, fmt, ap);
	va_end(ap);
}

int kfunc_build(struct session *s, struct probe *p)
{
	struct kfunc *k = kf(p);
	char why[512];
	int ret;

	k->attr.mech = kmech_name(k->mech);
	ret = provider_build(s, p, &k->attr, true, why, sizeof(why));
	if (ret == PROVIDER_REFUSED)
		kfunc_note(p, "%s", why);
	return ret;
}

/* Close whatever a failed attempt left (programs, links, legacy events). */
static void kfunc_reset(struct probe *p)
{
	struct kfunc *k = kf(p);

	probe_detach(p);
	if (p->rt.prog_fd >= 0)
		close(p->rt.prog_fd);
	p->rt.prog_fd = -1;
	if (k->attr.attach_btf_obj_fd >= 0)
		close(k->attr.attach_btf_obj_fd);
	k->attr = (struct load_attr){ .attach_btf_obj_fd = -1 };
	k->cur = -1;
	k->nparams = -1;
	k->per_target = k->use_cookie = false;
}

/*
 * Whether the kernel has @f. A dry run asks the kernel nothing (finding
 * out loads programs): it shows what the best mechanism would run.
 */
static bool has(struct session *s, enum feature f)
{
	return s->opt.dry_run || feature_has(s, f);
}

/* The mechanisms to try for @p, best first, leaving out what the kernel lacks. */
static size_t mechanism_chain(struct session *s, const struct probe *p, enum kmech *out)
{
	const struct kfunc *k = kf(p);
	size_t n = 0;

	/* Forced: that mechanism and no other. */
	if (s->opt.mechanism != KMECH_AUTO) {
		out[n++] = s->opt.mechanism;
		return n;
	}
	if (!p->spec.has_offset && k->traceable && !k->wildcard && !k->uses_regs &&
	    has(s, FEAT_FENTRY))
		out[n++] = KMECH_FENTRY;
	if (k->wildcard && has(s, FEAT_KPROBE_MULTI))
		out[n++] = KMECH_KPROBE_MULTI;
	if (has(s, FEAT_KPROBE))
		out[n++] = KMECH_KPROBE;
	out[n++] = KMECH_KPROBE_LEGACY;
	return n;
}

static int install_with(struct session *s, struct probe *p, enum kmech m)
{
	kf(p)->mech = m;
	switch (m) {
	case KMECH_FENTRY: return fentry_install(s, p);
	case KMECH_KPROBE: return kprobe_install(s, p);
	case KMECH_KPROBE_MULTI: return kprobe_multi_install(s, p);
	case KMECH_KPROBE_LEGACY: return kprobe_legacy_install(s, p);
	default: return KF_FALLBACK;
	}
}

/* Why the mechanisms the chain left out were not tried, for the message. */
static void note_absent(struct session *s, struct probe *p)
{
	if (s->opt.mechanism != KMECH_AUTO)
		return;
	if (!kf(p)->wildcard && !p->spec.has_offset && !kf(p)->uses_regs &&
	    !feature_has(s, FEAT_FENTRY))
		kfunc_note(p, "fentry: the kernel refuses fentry programs%s",
			   feature_has(s, FEAT_BTF) ? "" : " (it has no BTF)");
	if (!feature_has(s, FEAT_KPROBE))
		kfunc_note(p, "kprobe: this kernel has no kprobe PMU (CONFIG_KPROBES off)");
}

static int kfunc_install(struct session *s, struct probe *p)
{
	struct kfunc *k = kf(p);
	enum kmech chain[8];
	size_t n = mechanism_chain(s, p, chain);
	const char *what = k->wildcard ? "kernel functions matching" : "kernel function";

	note_absent(s, p);
	for (size_t i = 0; i < n; i++) {
		int ret = install_with(s, p, chain[i]);

		if (ret != KF_FALLBACK) {
			if (!ret)
				pr_verbose(s->opt.verbose, "probe %d: using %s%s%s%s\n", p->spec.index,
					   kmech_name(k->mech), k->failures.len ? " (" : "",
					   k->failures.len ? k->failures.buf : "",
					   k->failures.len ? ")" : "");
			return ret;
		}
		kfunc_reset(p);
	}
	pr_err("probe %d: cannot trace %s '%s': %s", p->spec.index, what,
	       k->wildcard ? p->spec.function : p->func_name,
	       k->failures.len ? k->failures.buf : "no mechanism available");
	return ERR_RUNTIME;
}

/*
 * The check step compiles for the first mechanism of the chain, as if the
 * kernel allowed it: fentry when the function is in BTF, else kprobes.
 */
static int kfunc_check(struct session *s, struct probe *p)
{
	struct kfunc *k = kf(p);
	enum kmech chain[8];
	size_t n = mechanism_chain(s, p, chain);
	int ret;

	k->mech = n ? chain[0] : KMECH_KPROBE;
	if (k->mech == KMECH_KPROBE_LEGACY)
		k->mech = KMECH_KPROBE;
	if (k->mech == KMECH_FENTRY && fentry_prepare(s, p, 0))
		k->mech = KMECH_KPROBE;
	ret = provider_build(s, p, NULL, false, NULL, 0);
	kfunc_reset(p);
	sb_reset(&k->failures);
	return ret;
}

static int kfunc_cleanup(struct probe *p)
{
	return kf(p) ? kprobe_legacy_remove(p) : 0;
}

static void kfunc_free(struct probe *p)
{
	struct kfunc *k = kf(p);

	if (!k)
		return;
	if (k->attr.attach_btf_obj_fd >= 0)
		close(k->attr.attach_btf_obj_fd);
	for (size_t i = 0; i < k->ntargets; i++) {
		free(k->targets[i].name);
		free(k->targets[i].module);
	}
	free(k->targets);
	for (size_t i = 0; i < k->nlegacy; i++)
		free(k->legacy_events[i]);
	free(k->legacy_events);
	free(k->legacy_file);
	sb_free(&k->failures);
	free(k);
	p->priv = NULL;
}

/* Traceable kernel functions, as p::func or p:module:func. */
/* The BTF of the module whose functions are being listed (they come grouped). */
struct list_btf {
	char *module;
	struct btf *btf;
};

/* -lv: parameters from the kernel's BTF (module functions: the module's, if it has one). */
static char *kfunc_details(struct session *s, const char *name, const char *module,
			   struct list_btf *mb)
{
	struct btf *vmlinux = ktypes_vmlinux(s);

	if (module && vmlinux && (!mb->module || strcmp(mb->module, module))) {
		btf__free(mb->btf);
		free(mb->module);
		mb->module = xstrdup(module);
		mb->btf = btf__load_module_btf(module, vmlinux);
	}
	if (module)
		return mb->btf ? ktype_func_signature(mb->btf, name) : NULL;
	return vmlinux ? ktype_func_signature(vmlinux, name) : NULL;
}

static int kfunc_list(struct session *s, const char *pattern, const struct lister *l)
{
	char *aff = tracefs_read(s, "available_filter_functions", NULL);
	char *save = NULL, *line, *last = NULL;
	struct list_btf mb = { 0 };
	struct blacklist black;

	if (!aff) {
		pr_err("cannot list kernel functions (available_filter_functions: %s)",
		       strerror(errno));
		return ERR_RUNTIME;
	}
	read_blacklist(&black);
	for (line = strtok_r(aff, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *name, *module, *spec, *detail;

		split_aff_line(line, &name, &module);
		if (is_fragment(name))
			continue;
		spec = module ? xasprintf("p:%s:%s", module, name) : xasprintf("p::%s", name);
		/* Static functions of one name are listed once. */
		if ((!pattern || !fnmatch(pattern, spec, 0)) && !blacklisted(&black, name) &&
		    (!last || strcmp(last, spec))) {
			detail = l->verbose ? kfunc_details(s, name, module, &mb) : NULL;
			l->emit(spec, detail, l->arg);
			free(detail);
			free(last);
			last = spec;
			continue;
		}
		free(spec);
	}
	free(last);
	free(aff);
	free_blacklist(&black);
	btf__free(mb.btf);
	free(mb.module);
	return 0;
}

const struct provider kfunc_provider = {
	.name = "kernel function",
	.resolve = kfunc_resolve,
	.check = kfunc_check,
	.install = kfunc_install,
	.cleanup = kfunc_cleanup,
	.free = kfunc_free,
	.arg = kf_arg,
	.retval = kf_retval,
	.func_ip = kf_func_ip,
	.ctx_reg = kf_ctx_reg,
	.kstack_caller = kf_kstack_caller,
	.function = kf_function,
	.describe = kf_describe,
	.list = kfunc_list,
};
