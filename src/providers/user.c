// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/perf_event.h>

#include "arch/arch.h"
#include "providers/usdt_arg.h"
#include "providers/user.h"
#include "runtime/features.h"
#include "runtime/tracefs.h"
#include "sym/libpath.h"
#include "util.h"

#define UPROBE_PMU "/sys/bus/event_source/devices/uprobe"
/* Legacy uprobe_events entries are slow to add and remove: a few at most. */
#define MAX_LEGACY_LOCS 64

static int read_int_after(const char *path, const char *prefix)
{
	char *text = read_file(path, NULL);
	int v = -1;

	if (text && !strncmp(text, prefix, strlen(prefix)))
		v = atoi(text + strlen(prefix));
	free(text);
	return v;
}

int user_open(struct session *s, struct probe *p)
{
	const struct probe_spec *ps = &p->spec;
	struct uprobe *u = xcalloc(1, sizeof(*u));
	char err[512];
	const char *base;

	p->priv = u;
	u->cur = -1;
	u->path = libpath_resolve(ps->library, s->opt.pid, err, sizeof(err));
	if (!u->path) {
		pr_err("probe %d, column %d: %s", ps->index, ps->library_col, err);
		return ERR_USAGE;
	}
	if (elf_open(u->path, &u->elf, err, sizeof(err))) {
		pr_err("probe %d, column %d: %s is %s", ps->index, ps->library_col, u->path, err);
		return ERR_USAGE;
	}
	base = strrchr(u->path, '/');
	u->what = xasprintf("%s in %s", ps->function, base ? base + 1 : u->path);
	return 0;
}

/* --- the perf uprobe PMU -------------------------------------------------- */

static int open_uprobe(struct session *s, const struct uprobe *u, const struct uloc *l)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	int type = read_int_after(UPROBE_PMU "/type", "");
	int ret_bit = read_int_after(UPROBE_PMU "/format/retprobe", "config:");
	int fd;

	if (type < 0)
		return -ENOENT;
	attr.type = (__u32)type;
	if (u->is_return)
		attr.config = 1ULL << (ret_bit < 0 ? 0 : ret_bit);
	/* The kernel counts the probes on the semaphore for us (4.20+). */
	if (l->ref_ctr)
		attr.config |= l->ref_ctr << 32;
	attr.config1 = (__u64)(uintptr_t)u->path;	/* uprobe_path */
	attr.config2 = l->offset;			/* probe_offset */
	/* -p: only that process's mappings (the program checks the tgid too). */
	fd = (int)syscall(__NR_perf_event_open, &attr, s->opt.pid ? s->opt.pid : -1,
			  s->opt.pid ? -1 : 0, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* --- tracefs uprobe_events, the last resort -------------------------------- */

static int write_events(const char *file, const char *line)
{
	int fd = open(file, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW), ret = 0;
	size_t len = strlen(line);

	if (fd < 0)
		return -errno;
	if (write(fd, line, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}

int user_cleanup(struct probe *p)
{
	struct uprobe *u = up_of(p);
	int ret = 0;

	/* No allocation: this also runs after a second signal, in the child. */
	for (size_t i = 0; u && i < u->nlegacy; i++) {
		char line[256];
		int err;

		if (!u->legacy_events[i][0])
			continue;
		snprintf(line, sizeof(line), "-:%s\n", u->legacy_events[i]);
		err = write_events(u->legacy_file, line);
		if (err == -EBUSY)
			ret = err;
		else
			u->legacy_events[i][0] = '\0';
	}
	return ret;
}

static int open_legacy(struct session *s, struct probe *p, const struct uloc *l, size_t i)
{
	struct uprobe *u = up_of(p);
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.sample_period = 1,
		.wakeup_events = 1,
	};
	char *event, *line, *ref, *path, *text;
	int ret, fd;

	if (strpbrk(u->path, " \t\n:"))
		return -EINVAL;
	event = xasprintf("etrace_%d/u%d_%zu", (int)s->self, p->id + 1, i);
	ref = l->ref_ctr ? xasprintf("(0x%llx)", (unsigned long long)l->ref_ctr) : xstrdup("");
	line = xasprintf("%c:%s %s:0x%llx%s\n", u->is_return ? 'r' : 'p', event, u->path,
			 (unsigned long long)l->offset, ref);
	ret = write_events(u->legacy_file, line);
	free(line);
	free(ref);
	if (ret) {
		free(event);
		return ret;
	}
	u->legacy_events = grow_array(u->legacy_events, &u->legacy_cap, u->nlegacy + 1,
				      sizeof(*u->legacy_events));
	u->legacy_events[u->nlegacy++] = event;
	path = xasprintf("events/%s/id", event);
	text = tracefs_read(s, path, NULL);
	free(path);
	attr.config = text ? (__u64)atoll(text) : 0;
	free(text);
	fd = (int)syscall(__NR_perf_event_open, &attr, s->opt.pid ? s->opt.pid : -1,
			  s->opt.pid ? -1 : 0, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* --- installing --------------------------------------------------------------- */

static int attach_loc(struct session *s, struct probe *p, size_t i, bool legacy)
{
	struct uprobe *u = up_of(p);
	int fd = legacy ? open_legacy(s, p, &u->locs[i], i) : open_uprobe(s, u, &u->locs[i]);

	if (fd < 0)
		return fd;
	return provider_attach_perf(s, p, fd, 0);
}

static const char *attach_error(int err)
{
	switch (err) {
	case EINVAL:
		return "the kernel cannot probe there (not an instruction it can step over?)";
	case ENOENT:
		return "the kernel has no uprobes (CONFIG_UPROBE_EVENTS off)";
	default:
		return provider_attach_error(err);
	}
}

static int install_with(struct session *s, struct probe *p, bool per_loc, bool legacy)
{
	struct load_attr a = {
		.prog_type = BPF_PROG_TYPE_KPROBE,
		.attach_btf_obj_fd = -1,
	};
	struct uprobe *u = up_of(p);
	int ret;

	u->mech = legacy ? "uprobe-legacy" : "uprobe";
	a.mech = u->mech;
	for (size_t i = 0; i < u->nlocs; i++) {
		if (per_loc || i == 0) {
			u->cur = per_loc ? (int)i : 0;
			ret = provider_build(s, p, &a, false, NULL, 0);
			if (ret)
				return ret;
			probe_add_prog(p, p->rt.prog_fd);
		}
		ret = attach_loc(s, p, i, legacy);
		if (ret) {
			p->rt.prog_fd = -1;
			pr_err("probe %d: cannot attach to %s: %s", p->spec.index, u->what,
			       attach_error(-ret));
			return ERR_RUNTIME;
		}
	}
	p->rt.prog_fd = -1;
	u->cur = -1;
	return 0;
}

int user_install(struct session *s, struct probe *p, bool per_loc)
{
	struct uprobe *u = up_of(p);
	const char *tfs;

	bool pmu = feature_has(s, FEAT_UPROBE);

	if (s->opt.umechanism == UMECH_UPROBE && !pmu) {
		pr_err("probe %d: cannot attach to %s with --mechanism uprobe: the kernel has no "
		       "uprobe PMU (/sys/bus/event_source/devices/uprobe)", p->spec.index, u->what);
		return ERR_RUNTIME;
	}
	if (pmu && s->opt.umechanism != UMECH_UPROBE_LEGACY)
		return install_with(s, p, per_loc, false);
	/* tracefs uprobe_events (no uprobe PMU, or asked for): removed again at exit. */
	tfs = tracefs_dir(s);
	if (!tfs)
		return ERR_RUNTIME;
	free(u->legacy_file);
	u->legacy_file = xasprintf("%s/uprobe_events", tfs);
	if (access(u->legacy_file, W_OK) || u->nlocs > MAX_LEGACY_LOCS) {
		pr_err("probe %d: cannot attach to %s: %s%s", p->spec.index, u->what,
		       pmu ? "" : "the kernel has no uprobe PMU and ",
		       u->nlocs > MAX_LEGACY_LOCS ? "too many locations for uprobe_events" :
		       "uprobe_events cannot be written");
		return ERR_RUNTIME;
	}
	return install_with(s, p, per_loc, true);
}

/* --- shared provider operations ----------------------------------------------- */

void user_free(struct probe *p)
{
	struct uprobe *u = up_of(p);

	if (!u)
		return;
	elf_free(&u->elf);
	free(u->path);
	free(u->what);
	free(u->locs);
	for (size_t i = 0; i < u->nlegacy; i++)
		free(u->legacy_events[i]);
	free(u->legacy_events);
	free(u->legacy_file);
	free(u);
	p->priv = NULL;
}

const char *user_file(const struct probe *p)
{
	return up_of(p)->path;
}

long long user_probe_offset(const struct probe *p)
{
	const struct uprobe *u = up_of(p);

	if (u->is_return)
		return -1;
	if (u->cur >= 0 && (size_t)u->cur < u->nlocs)
		return (long long)u->locs[u->cur].offset;
	return u->nlocs == 1 ? (long long)u->locs[0].offset : -1;
}

void user_describe(const struct probe *p, char *buf, size_t len)
{
	const struct uprobe *u = up_of(p);

	if (u->cur >= 0 && u->nlocs > 1)
		snprintf(buf, len, "%s %s (location %d of %zu, offset 0x%llx)",
			 u->mech ? u->mech : "uprobe", u->what, u->cur + 1, u->nlocs,
			 (unsigned long long)u->locs[u->cur].offset);
	else if (u->nlocs == 1)
		snprintf(buf, len, "%s %s (offset 0x%llx)", u->mech ? u->mech : "uprobe",
			 u->what, (unsigned long long)u->locs[0].offset);
	else
		snprintf(buf, len, "%s %s", u->mech ? u->mech : "uprobe", u->what);
}

void user_ctx_reg(const struct probe *p, const char *name, struct loc *out)
{
	const struct arch *a = arch_current();
	const struct arch_reg *r = arch_field(a, name);

	if (!r)
		r = arch_reg(a, name);
	if (!r) {
		loc_none(out, "struct pt_regs has no register '%s' on %s", name, a->name);
		return;
	}
	memset(out, 0, sizeof(*out));
	out->kind = LOC_CTX;
	out->off = r->off + r->shift / 8;
	out->size = r->size;
	out->base = out->index = -1;
	out->user_ptr = true;
}

void user_entry_ret(const struct probe *p, struct loc *out)
{
	const struct arch *a = arch_current();

	memset(out, 0, sizeof(*out));
	out->size = 8;
	out->base = out->index = -1;
	out->scale = 1;
	out->user_ptr = true;
	if (a->entry_ret >= 0) {
		out->kind = LOC_CTX;
		out->off = a->entry_ret;
	} else {
		out->kind = LOC_MEM;
		out->base = a->sp;
		out->mem_user = true;
	}
}

/* --- listing ------------------------------------------------------------------ */

/* -lv for a USDT probe: its arguments as the note gives them. */
static char *usdt_details(const struct elf_usdt *n)
{
	char *args = xstrdup(n->args ? n->args : ""), *save = NULL;
	struct strbuf sb = { 0 };
	int i = 0;

	for (char *tok = usdt_arg_next(args, &save); tok; tok = usdt_arg_next(NULL, &save)) {
		long size = strchr(tok, '@') ? strtol(tok, NULL, 10) : 8;

		long bytes = size < 0 ? -size : size;

		sb_printf(&sb, "arg%d: %ld byte%s%s (%s)\n", ++i, bytes, bytes == 1 ? "" : "s",
			  size < 0 ? ", signed" : "", tok);
	}
	free(args);
	return sb.buf ? sb.buf : xstrdup("no arguments\n");
}

int user_list(struct session *s, const char *pattern, bool usdt, const struct lister *l)
{
	const char *lib = pattern ? strchr(pattern, ':') : NULL, *end;
	char err[512], *name, *path, *glob, **specs = NULL, **details = NULL;
	size_t n = 0, cap = 0, dcap = 0;
	struct elf_file f;

	end = lib ? strchr(lib + 1, ':') : NULL;
	if (!end || end == lib + 1) {
		pr_err("name the program or library to list: %s:LIBRARY:%s", usdt ? "u" : "p",
		       usdt ? "PROBE" : "FUNCTION");
		return ERR_USAGE;
	}
	name = xstrndup(lib + 1, (size_t)(end - lib - 1));
	/* u:LIB:NAME names a probe of any provider, as in probe specs. */
	glob = usdt && !strchr(end + 1, ':') ? xasprintf("u:%s:*:%s", name, end + 1) :
					       xstrdup(pattern);
	path = libpath_resolve(name, s->opt.pid, err, sizeof(err));
	if (!path || elf_open(path, &f, err, sizeof(err))) {
		pr_err("%s%s%s", path ? path : "", path ? " is " : "", err);
		free(path);
		free(name);
		free(glob);
		return ERR_USAGE;
	}
	if (usdt)
		elf_read_usdt(&f, path);
	else
		elf_add_debug_symbols(&f);
	for (size_t i = 0; i < (usdt ? f.nusdt : f.nsyms); i++) {
		char *spec = usdt ? xasprintf("u:%s:%s:%s", name, f.usdt[i].provider, f.usdt[i].name) :
				    xasprintf("p:%s:%s", name, f.syms[i].name);

		if ((!usdt && f.syms[i].ifunc) || fnmatch(glob, spec, 0)) {
			free(spec);
			continue;
		}
		specs = grow_array(specs, &cap, n + 1, sizeof(*specs));
		details = grow_array(details, &dcap, n + 1, sizeof(*details));
		details[n] = usdt && l->verbose ? usdt_details(&f.usdt[i]) : NULL;
		specs[n++] = spec;
	}
	for (size_t i = 0; i < n; i++) {
		l->emit(specs[i], details[i], l->arg);
		free(specs[i]);
		free(details[i]);
	}
	free(specs);
	free(details);
	elf_free(&f);
	free(path);
	free(name);
	free(glob);
	return 0;
}
