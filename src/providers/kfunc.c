// SPDX-License-Identifier: BSD-2-Clause
/*
 * Kernel function probes (p::func, r::func, func+off, p::pattern*,
 * p:module:func): turning what the user wrote into the functions this
 * kernel has, then installing them with the best mechanism the kernel
 * allows: fentry/fexit, else kprobes through the perf PMU (kprobe_multi
 * for many functions), else legacy kprobe_events.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "providers/kfunc.h"
#include "providers/provider.h"
#include "runtime/loader.h"
#include "runtime/tracefs.h"
#include "sym/ksym.h"
#include "types/ktypes.h"
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


/* Functions the kprobe blacklist names (needs debugfs; NULL if unknown). */
static char *read_blacklist(void)
{
	return read_file("/sys/kernel/debug/kprobes/blacklist", NULL);
}

static bool blacklisted(const char *blacklist, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = blacklist; p && (p = strstr(p, name)); p += len)
		if ((p == blacklist || p[-1] == '\t' || p[-1] == ' ') && (p[len] == '\n' || p[len] == '\0' ||
							p[len] == ' ' || p[len] == '\t'))
			return true;
	return false;
}

static void add_target(struct probe *p, size_t *cap, const char *name, const char *module)
{
	struct ktarget *t;

	p->targets = grow_array(p->targets, cap, p->ntargets + 1, sizeof(*p->targets));
	t = &p->targets[p->ntargets++];
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
static void dedup_targets(struct probe *p)
{
	size_t n = 0;

	qsort(p->targets, p->ntargets, sizeof(*p->targets), cmp_target);
	for (size_t i = 0; i < p->ntargets; i++) {
		if (n && !cmp_target(&p->targets[n - 1], &p->targets[i])) {
			free(p->targets[i].name);
			free(p->targets[i].module);
			continue;
		}
		p->targets[n++] = p->targets[i];
	}
	p->ntargets = n;
}

static int resolve_wildcard(struct session *s, struct probe *p)
{
	const struct probe_spec *ps = &p->spec;
	char *aff = tracefs_read(s, "available_filter_functions", NULL);
	char *black = read_blacklist(), *save = NULL, *line;
	size_t cap = 0;

	if (!aff) {
		pr_err("probe %d: cannot expand '%s': no list of traceable kernel functions "
		       "(available_filter_functions: %s)", ps->index, ps->function, strerror(errno));
		free(black);
		return ERR_RUNTIME;
	}
	for (line = strtok_r(aff, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *name, *module;

		split_aff_line(line, &name, &module);
		if (is_fragment(name) || fnmatch(ps->function, name, 0))
			continue;
		if (ps->library && (!module || strcmp(module, ps->library)))
			continue;
		if (black && blacklisted(black, name))
			continue;
		add_target(p, &cap, name, module);
	}
	free(aff);
	free(black);
	dedup_targets(p);
	if (!p->ntargets) {
		pr_err("probe %d, column %d: pattern '%s' matches no traceable kernel function%s%s",
		       ps->index, ps->function_col, ps->function,
		       ps->library ? " in module " : "", ps->library ? ps->library : "");
		return ERR_USAGE;
	}
	p->wildcard = true;
	p->traceable = true;
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
	"__x64_sys_", "__se_sys_", "__do_sys_", "sys_", "SyS_", "ksys_",
};

static char *resolve_syscall(struct session *s, const char *name)
{
	static const char *const try_order[] = { "__x64_sys_", "sys_", "SyS_", "ksys_" };
	const char *module;

	for (size_t i = 0; i < ARRAY_SIZE(syscall_prefixes); i++) {
		size_t n = strlen(syscall_prefixes[i]);

		if (strncmp(name, syscall_prefixes[i], n) || !name[n])
			continue;
		for (size_t j = 0; j < ARRAY_SIZE(try_order); j++) {
			char *cand = xasprintf("%s%s", try_order[j], name + n);

			if (lookup_func(s, cand, NULL, &module) && !module)
				return cand;
			free(cand);
		}
	}
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

static bool is_syscall_wrapper(const char *name)
{
	return !strncmp(name, "__x64_sys_", 10) || !strncmp(name, "__ia32_sys_", 11);
}

static int resolve_name(struct session *s, struct probe *p)
{
	const struct probe_spec *ps = &p->spec;
	const char *module = NULL;
	char *name = NULL, *black;
	size_t cap = 0;

	if (lookup_func(s, ps->function, ps->library, &module))
		name = xstrdup(ps->function);
	else if (!ps->library)
		name = resolve_syscall(s, ps->function);
	if (!name) {
		unknown_function(s, p);
		return ERR_USAGE;
	}
	black = read_blacklist();
	if (black && blacklisted(black, name)) {
		pr_err("probe %d, column %d: kernel function '%s' cannot be traced: it is on the "
		       "kernel's kprobe blacklist", ps->index, ps->function_col, name);
		free(black);
		free(name);
		return ERR_USAGE;
	}
	free(black);
	add_target(p, &cap, name, module);
	p->func_name = name;
	/* Whether ftrace can patch it is left to the kernel: fentry falls back. */
	p->traceable = true;
	p->syscall_wrapper = is_syscall_wrapper(name);
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

static int kfunc_resolve(struct session *s, struct probe *p)
{
	const struct probe_spec *ps = &p->spec;
	int ret;

	if (!valid_function(ps->function)) {
		pr_err("probe %d, column %d: invalid kernel function name '%.64s%s'", ps->index,
		       ps->function_col, ps->function, strlen(ps->function) > 64 ? "..." : "");
		return ERR_USAGE;
	}
	p->is_return = ps->type == 'r';
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
	/* System call arguments are pointers into the calling process. */
	p->user_args = p->syscall_wrapper;
	return 0;
}

int kfunc_build(struct session *s, struct probe *p, int prog_type, int attach_type)
{
	int ret;

	p->prog_type = prog_type;
	p->attach_type = attach_type;
	ret = provider_build(s, p, true);
	return ret > 0 ? KF_FALLBACK : ret;
}

void kfunc_reset(struct probe *p)
{
	probe_detach(p);
	if (p->prog_fd >= 0)
		close(p->prog_fd);
	p->prog_fd = -1;
	p->attach_btf_id = 0;
	if (p->attach_btf_obj_fd > 0)
		close(p->attach_btf_obj_fd);
	p->attach_btf_obj_fd = 0;
	p->attach_type = 0;
}

/* The mechanisms to try for @p, best first. */
static size_t mechanism_chain(const struct session *s, const struct probe *p, enum mech *out)
{
	const char *forced = s->opt.mechanism;
	size_t n = 0;

	if (forced) {
		if (!strcmp(forced, "fentry"))
			out[n++] = MECH_FENTRY;
		else if (!strcmp(forced, "kprobe"))
			out[n++] = p->ntargets > 1 ? MECH_KPROBE_MULTI : MECH_KPROBE;
		if (!strcmp(forced, "kprobe") && p->ntargets > 1)
			out[n++] = MECH_KPROBE;
		if (!strcmp(forced, "kprobe-multi"))
			out[n++] = MECH_KPROBE_MULTI;
		if (!strcmp(forced, "kprobe-legacy"))
			out[n++] = MECH_KPROBE_LEGACY;
		return n;
	}
	if (!p->spec.has_offset && p->traceable && p->ntargets <= MAX_FENTRY_TARGETS &&
	    !p->wildcard)
		out[n++] = MECH_FENTRY;
	if (p->wildcard)
		out[n++] = MECH_KPROBE_MULTI;
	out[n++] = MECH_KPROBE;
	out[n++] = MECH_KPROBE_LEGACY;
	return n;
}

static int install_with(struct session *s, struct probe *p, enum mech m)
{
	p->mech = m;
	switch (m) {
	case MECH_FENTRY: return fentry_install(s, p);
	case MECH_KPROBE: return kprobe_install(s, p);
	case MECH_KPROBE_MULTI: return kprobe_multi_install(s, p);
	case MECH_KPROBE_LEGACY: return kprobe_legacy_install(s, p);
	default: return KF_FALLBACK;
	}
}

static int kfunc_install(struct session *s, struct probe *p)
{
	enum mech chain[8];
	size_t n = mechanism_chain(s, p, chain);
	const char *what = p->wildcard ? "kernel functions matching" : "kernel function";

	for (size_t i = 0; i < n; i++) {
		int ret = install_with(s, p, chain[i]);

		if (ret != KF_FALLBACK) {
			if (!ret && p->failures)
				pr_verbose(s->opt.verbose, "probe %d: using %s (%s)\n", p->spec.index,
					   mech_name(p->mech), p->failures);
			else if (!ret)
				pr_verbose(s->opt.verbose, "probe %d: using %s\n", p->spec.index,
					   mech_name(p->mech));
			return ret;
		}
		kfunc_reset(p);
	}
	pr_err("probe %d: cannot trace %s '%s': %s", p->spec.index, what,
	       p->wildcard ? p->spec.function : p->func_name,
	       p->failures ? p->failures : "no mechanism available");
	return ERR_RUNTIME;
}

/*
 * The check step compiles for the first mechanism of the chain, as if the
 * kernel allowed it: fentry when the function is in BTF, else kprobes.
 */
static int kfunc_check(struct session *s, struct probe *p)
{
	enum mech chain[8];
	size_t n = mechanism_chain(s, p, chain);
	int ret;

	p->mech = n ? chain[0] : MECH_KPROBE;
	if (p->mech == MECH_KPROBE_LEGACY || p->mech == MECH_KPROBE_MULTI)
		p->mech = MECH_KPROBE;
	if (p->mech == MECH_FENTRY && fentry_prepare(s, p, 0))
		p->mech = MECH_KPROBE;
	ret = provider_check_compile(s, p);
	kfunc_reset(p);
	free(p->failures);
	p->failures = NULL;
	p->mech = MECH_NONE;
	return ret;
}

const struct provider kfunc_provider = {
	.name = "kernel function",
	.resolve = kfunc_resolve,
	.check = kfunc_check,
	.install = kfunc_install,
};
