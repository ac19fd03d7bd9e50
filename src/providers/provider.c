// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>

#include "compile/codegen.h"
#include "compile/disasm.h"
#include "providers/provider.h"
#include "runtime/features.h"
#include "runtime/loader.h"
#include "runtime/maps.h"
#include "util.h"

static const char *const kmech_names[] = {
	[KMECH_AUTO] = "auto",
	[KMECH_FENTRY] = "fentry",
	[KMECH_KPROBE] = "kprobe",
	[KMECH_KPROBE_MULTI] = "kprobe-multi",
	[KMECH_KPROBE_LEGACY] = "kprobe-legacy",
};

const char *kmech_name(enum kmech m)
{
	return m < ARRAY_SIZE(kmech_names) ? kmech_names[m] : "?";
}

bool umech_parse(const char *name, enum umech *out)
{
	if (!strcmp(name, "uprobe"))
		*out = UMECH_UPROBE;
	else if (!strcmp(name, "uprobe-legacy"))
		*out = UMECH_UPROBE_LEGACY;
	else
		return false;
	return true;
}

bool kmech_parse(const char *name, enum kmech *out)
{
	for (size_t i = KMECH_FENTRY; i < ARRAY_SIZE(kmech_names); i++)
		if (!strcmp(name, kmech_names[i])) {
			*out = (enum kmech)i;
			return true;
		}
	return false;
}

bool module_loaded(const char *name)
{
	char path[512];
	struct stat st;

	/* Module names are C identifiers (with '-'): anything else is no module. */
	if (!*name || strlen(name) > 64 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
	    strlen(name))
		return false;
	snprintf(path, sizeof(path), "/sys/module/%s/sections", name);
	/* Built-in "modules" have /sys/module/NAME too, but no sections. */
	return stat(path, &st) == 0;
}

const struct provider *provider_find(const struct probe_spec *spec)
{
	switch (spec->type) {
	case 't':
		return &tracepoint_provider;
	case 'u':
		return &usdt_provider;
	case 'p':
	case 'r':
		/* p:MODULE:func is a kernel module's function; any other library is a file. */
		if (!spec->library || module_loaded(spec->library))
			return &kfunc_provider;
		return &uprobe_provider;
	}
	pr_err("probe %d: %ss are not supported by this version of etrace",
	       spec->index, spec_kind_name(spec));
	return NULL;
}

void loc_none(struct loc *out, const char *fmt, ...)
{
	va_list ap;

	memset(out, 0, sizeof(*out));
	out->kind = LOC_NONE;
	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
}

static const char *map_name(int role, void *arg)
{
	return maps_name(arg, role);
}

int provider_build(struct session *s, struct probe *p, const struct load_attr *attr,
		   bool quiet, char *why, size_t whylen)
{
	struct bpf_insn *insns = NULL;
	size_t cnt = 0;
	FILE *listing = s->opt.verbose > 1 ? stderr : NULL;
	int ret;

	ret = codegen_probe(s, p, &insns, &cnt, listing);
	if (ret)
		return ret;
	if (s->opt.verbose && (attr || s->opt.dry_run)) {
		char what[256];

		p->prov->describe(p, what, sizeof(what));
		fprintf(stderr, "probe %d%s: %s -> %s, program etrace_p%d, %zu instructions\n",
			p->spec.index, p->ret_of ? " (entry, for $latency and $entry())" : "",
			p->spec.raw, what, p->id + 1, cnt);
		disasm_print(insns, cnt, stderr, "    ", map_name, s);
	}
	if (attr)
		ret = loader_load(s, p, attr, insns, cnt, quiet, why, whylen);
	free(insns);
	return ret;
}

const char *provider_attach_error(int err)
{
	/* BPF_TRACE_MAX_PROGS: the one E2BIG of attaching. */
	if (err == E2BIG)
		return "the kernel allows at most 64 BPF programs on one event, and that many "
		       "are attached already (by etrace or other tracers)";
	return strerror(err);
}

int provider_attach_perf(struct session *s, struct probe *p, int pfd, uint64_t cookie)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	int lfd;

	probe_add_perf(p, pfd);
	/*
	 * A BPF link (5.15+) ties the attachment to a file descriptor and can
	 * carry a cookie. Older kernels only have the ioctl, which is still
	 * torn down when the perf event fd is closed, so no probe can outlive
	 * etrace either way.
	 */
	opts.perf_event.bpf_cookie = cookie;
	if (feature_has(s, FEAT_PERF_LINK)) {
		lfd = bpf_link_create(p->rt.prog_fd, pfd, BPF_PERF_EVENT, &opts);
		if (lfd < 0)
			return -errno;
		probe_add_link(p, lfd);
		return 0;
	}
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, p->rt.prog_fd) < 0)
		return -errno;
	if (ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0) < 0)
		return -errno;
	return 0;
}
