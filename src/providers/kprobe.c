// SPDX-License-Identifier: BSD-2-Clause
/*
 * kprobes and kretprobes, three ways: through the perf kprobe PMU (one
 * perf event per function, each tied to a file descriptor), through one
 * kprobe_multi link for many functions (5.18+ with CONFIG_FPROBE), and,
 * as a last resort, through tracefs kprobe_events, whose entries outlive
 * the process unless removed, so every exit path removes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>

#include "providers/kfunc.h"
#include "runtime/features.h"
#include "providers/provider.h"
#include "runtime/loader.h"
#include "runtime/tracefs.h"
#include "util.h"

/* Without kprobe_multi each function costs a perf event and a link. */
#define MAX_SINGLE_TARGETS 1000
#define MAX_LEGACY_TARGETS 100

#define KPROBE_PMU "/sys/bus/event_source/devices/kprobe"

static int read_int_file(const char *path, const char *prefix)
{
	char *text = read_file(path, NULL);
	int v = -1;

	if (text && !strncmp(text, prefix, strlen(prefix)))
		v = atoi(text + strlen(prefix));
	free(text);
	return v;
}

static int kprobe_pmu_type(void)
{
	return read_int_file(KPROBE_PMU "/type", "");
}

/* Which config bit asks for a kretprobe ("config:0" on every kernel so far). */
static int retprobe_bit(void)
{
	int bit = read_int_file(KPROBE_PMU "/format/retprobe", "config:");

	return bit < 0 ? 0 : bit;
}

static char *target_symbol(const struct ktarget *t)
{
	/* "module:function" makes the kernel look in that module only. */
	return t->module ? xasprintf("%s:%s", t->module, t->name) : xstrdup(t->name);
}

static int open_pmu_kprobe(int type, const struct probe *p, const struct ktarget *t)
{
	struct perf_event_attr attr = {
		.type = (__u32)type,
		.size = sizeof(attr),
		.config = kf(p)->is_return ? 1ULL << retprobe_bit() : 0,
	};
	char *sym = target_symbol(t);
	int fd;

	attr.config1 = (__u64)(uintptr_t)sym;	/* kprobe_func */
	attr.config2 = p->spec.offset;		/* probe_offset */
	fd = (int)syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	free(sym);
	return fd < 0 ? -errno : fd;
}

/* Errors that are the user's: report them now instead of falling back. */
static int fatal_kprobe_error(struct probe *p, const struct ktarget *t, int err)
{
	if (err == EILSEQ) {
		pr_err("probe %d, column %d: offset 0x%llx is not at an instruction boundary "
		       "of %s (the kernel refused it)", p->spec.index, p->spec.function_col,
		       (unsigned long long)p->spec.offset, t->name);
		return ERR_USAGE;
	}
	if (err == E2BIG || err == ERANGE) {
		pr_err("probe %d, column %d: offset 0x%llx is beyond the end of %s",
		       p->spec.index, p->spec.function_col, (unsigned long long)p->spec.offset,
		       t->name);
		return ERR_USAGE;
	}
	return 0;
}

static const char *kprobe_refusal(int err)
{
	switch (err) {
	case ENOENT: case EINVAL: case EADDRNOTAVAIL:
		return "the kernel cannot probe it (notrace, inlined or blacklisted)";
	default:
		return provider_attach_error(err);
	}
}

/*
 * How a kprobe program learns which function of a pattern it is running
 * for: the attach cookie (5.15+), else, for return probes whose saved IP
 * is the caller's, one program per function with the address built in.
 * Entry probes without cookies read the IP, which is in the function.
 */
static void plan_func_ip(struct session *s, struct probe *p)
{
	struct kfunc *k = kf(p);

	k->use_cookie = p->records_func_ip && feature_has(s, FEAT_COOKIE);
	k->per_target = p->records_func_ip && k->is_return && !k->use_cookie;
	if (p->records_func_ip)
		for (size_t i = 0; i < k->ntargets; i++)
			kfunc_target_addr(s, p, i);
}

/* Compile for kprobes; with a single target, BTF tells where each parameter is. */
static int build_kprobe(struct session *s, struct probe *p, int cur)
{
	struct kfunc *k = kf(p);
	unsigned int btf_id;

	k->attr = (struct load_attr){ .prog_type = BPF_PROG_TYPE_KPROBE,
				      .attach_btf_obj_fd = -1 };
	k->nparams = -1;
	k->cur = cur;
	/* Sets k->cur to the one target when BTF describes it. */
	if (!k->wildcard)
		kfunc_prototype(s, p, 0, &btf_id, true);
	return kfunc_build(s, p);
}

/* Attach the program just built to target @i through the kprobe PMU. */
static int attach_pmu(struct session *s, struct probe *p, int type, size_t i, int *last_err)
{
	struct kfunc *k = kf(p);
	int fd = open_pmu_kprobe(type, p, &k->targets[i]), ret;

	if (fd < 0 && (ret = fatal_kprobe_error(p, &k->targets[i], -fd)))
		return ret;
	if (fd >= 0 && (ret = provider_attach_perf(s, p, fd, k->use_cookie ?
						  k->targets[i].addr : 0)) == 0)
		return 1;
	*last_err = fd < 0 ? -fd : -ret;
	/* In a pattern, a function the kernel refuses is skipped. */
	pr_verbose(s->opt.verbose && k->wildcard, "probe %d: skipping %s: %s\n",
		   p->spec.index, k->targets[i].name, strerror(*last_err));
	return 0;
}

int kprobe_install(struct session *s, struct probe *p)
{
	struct kfunc *k = kf(p);
	int type = kprobe_pmu_type(), ret = 0, attached = 0, last_err = 0;

	if (type < 0) {
		kfunc_note(p, "kprobe: this kernel has no kprobe PMU (CONFIG_KPROBES off)");
		return KF_FALLBACK;
	}
	if (k->ntargets > MAX_SINGLE_TARGETS) {
		kfunc_note(p, "kprobe: the pattern matches %zu functions and at most %d can "
			   "be probed one by one", k->ntargets, MAX_SINGLE_TARGETS);
		return KF_FALLBACK;
	}
	plan_func_ip(s, p);
	if (!k->per_target && (ret = build_kprobe(s, p, -1)))
		return ret;
	for (size_t i = 0; i < k->ntargets; i++) {
		if (k->per_target && (ret = build_kprobe(s, p, (int)i)))
			return ret;
		ret = attach_pmu(s, p, type, i, &last_err);
		if (k->per_target) {
			probe_add_prog(p, p->rt.prog_fd);
			p->rt.prog_fd = -1;
		}
		if (ret < 0)
			return ret;
		attached += ret;
	}
	k->cur = -1;
	if (!attached) {
		kfunc_note(p, "kprobe: %s", kprobe_refusal(last_err));
		return KF_FALLBACK;
	}
	if (!k->per_target)
		probe_add_prog(p, p->rt.prog_fd);
	p->rt.prog_fd = -1;
	return 0;
}

int kprobe_multi_install(struct session *s, struct probe *p)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	struct kfunc *k = kf(p);
	const char **syms;
	int ret, fd;

	k->attr = (struct load_attr){ .prog_type = BPF_PROG_TYPE_KPROBE,
				      .attach_type = BPF_TRACE_KPROBE_MULTI,
				      .attach_btf_obj_fd = -1 };
	ret = kfunc_build(s, p);
	if (ret == KF_FALLBACK)
		kfunc_note(p, "kprobe-multi: needs Linux 5.18 or later");
	if (ret)
		return ret;
	syms = xcalloc(k->ntargets, sizeof(*syms));
	for (size_t i = 0; i < k->ntargets; i++)
		syms[i] = k->targets[i].name;
	opts.kprobe_multi.syms = syms;
	opts.kprobe_multi.cnt = (__u32)k->ntargets;
	opts.kprobe_multi.flags = k->is_return ? BPF_F_KPROBE_MULTI_RETURN : 0;
	fd = bpf_link_create(p->rt.prog_fd, 0, BPF_TRACE_KPROBE_MULTI, &opts);
	ret = -errno;
	free(syms);
	if (fd < 0) {
		kfunc_note(p, "kprobe-multi: %s", ret == -EOPNOTSUPP ?
			   "the kernel lacks CONFIG_FPROBE" : strerror(-ret));
		return KF_FALLBACK;
	}
	probe_add_link(p, fd);
	probe_add_prog(p, p->rt.prog_fd);
	p->rt.prog_fd = -1;
	return 0;
}

/* Append one line to kprobe_events; -errno on failure. */
static int write_kprobe_events(const char *file, const char *line)
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

int kprobe_legacy_remove(struct probe *p)
{
	struct kfunc *k = kf(p);
	int ret = 0;

	/*
	 * No allocation here: this also runs in the child that finishes
	 * detaching after a second signal. A removed entry keeps its
	 * string, emptied, until the probe is freed.
	 */
	for (size_t i = 0; i < k->nlegacy; i++) {
		char line[256];
		int err;

		if (!k->legacy_events[i][0])
			continue;
		snprintf(line, sizeof(line), "-:%s\n", k->legacy_events[i]);
		err = write_kprobe_events(k->legacy_file, line);
		if (err == -EBUSY)
			ret = err;
		else
			k->legacy_events[i][0] = '\0';
	}
	return ret;
}

static int legacy_event_id(struct session *s, const char *event)
{
	char *path = xasprintf("events/%s/id", event);
	char *text = tracefs_read(s, path, NULL);
	int id = text ? atoi(text) : -1;

	free(text);
	free(path);
	return id;
}

/* Create, open and attach one kprobe_events entry for target @i. */
static int legacy_one(struct session *s, struct probe *p, size_t i)
{
	struct kfunc *k = kf(p);
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.sample_period = 1,
		.wakeup_events = 1,
	};
	char *sym = target_symbol(&k->targets[i]);
	char *event = xasprintf("etrace_%d/p%d_%zu", (int)s->self, p->id + 1, i);
	char *line = xasprintf("%c:%s %s+%llu\n", k->is_return ? 'r' : 'p', event, sym,
			       (unsigned long long)p->spec.offset);
	int ret = write_kprobe_events(k->legacy_file, line), fd;

	free(line);
	free(sym);
	if (ret) {
		free(event);
		return ret;
	}
	k->legacy_events = grow_array(k->legacy_events, &k->legacy_cap, k->nlegacy + 1,
				      sizeof(*k->legacy_events));
	k->legacy_events[k->nlegacy++] = event;
	attr.config = (__u64)legacy_event_id(s, event);
	fd = (int)syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	return provider_attach_perf(s, p, fd, k->use_cookie ? k->targets[i].addr : 0);
}

int kprobe_legacy_install(struct session *s, struct probe *p)
{
	struct kfunc *k = kf(p);
	const char *tfs = tracefs_dir(s);
	int ret;

	if (!tfs)
		return ERR_RUNTIME;
	free(k->legacy_file);
	k->legacy_file = xasprintf("%s/kprobe_events", tfs);
	if (access(k->legacy_file, W_OK)) {
		kfunc_note(p, "kprobe-legacy: no kprobe_events in tracefs");
		return KF_FALLBACK;
	}
	if (k->ntargets > MAX_LEGACY_TARGETS) {
		kfunc_note(p, "kprobe-legacy: at most %d functions", MAX_LEGACY_TARGETS);
		return KF_FALLBACK;
	}
	plan_func_ip(s, p);
	if (!k->per_target && (ret = build_kprobe(s, p, -1)))
		return ret;
	for (size_t i = 0; i < k->ntargets; i++) {
		int err;

		if (k->per_target && (ret = build_kprobe(s, p, (int)i)))
			return ret;
		err = legacy_one(s, p, i);
		if (k->per_target) {
			probe_add_prog(p, p->rt.prog_fd);
			p->rt.prog_fd = -1;
		}
		if (!err)
			continue;
		ret = fatal_kprobe_error(p, &k->targets[i], -err);
		if (ret)
			return ret;
		kfunc_note(p, "kprobe-legacy: %s", kprobe_refusal(-err));
		return KF_FALLBACK;
	}
	k->cur = -1;
	if (!k->per_target)
		probe_add_prog(p, p->rt.prog_fd);
	p->rt.prog_fd = -1;
	return 0;
}
