// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
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
#include "runtime/loader.h"
#include "util.h"

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
	if (spec->type == 't')
		return &tracepoint_provider;
	if ((spec->type == 'p' || spec->type == 'r') &&
	    (!spec->library || module_loaded(spec->library)))
		return &kfunc_provider;
	pr_err("probe %d: %ss are not supported by this version of etrace",
	       spec->index, spec_kind_name(spec));
	return NULL;
}

int provider_build(struct session *s, struct probe *p, bool quiet)
{
	struct bpf_insn *insns = NULL;
	size_t cnt = 0;
	FILE *listing = s->opt.verbose > 1 ? stderr : NULL;
	int ret;

	ret = codegen_probe(s, p, &insns, &cnt, listing);
	if (ret)
		return ret;
	if (s->opt.verbose) {
		const char *target = p->ntargets ? p->targets[p->cur_target].name : p->func_name;

		fprintf(stderr, "probe %d: %s -> %s %s, program etrace_p%d, %zu instructions\n",
			p->spec.index, p->spec.raw, mech_name(p->mech), target, p->id + 1, cnt);
		disasm_print(insns, cnt, stderr, "    ");
	}
	ret = loader_load_prog(s, p, insns, cnt, quiet);
	free(insns);
	return ret;
}

int provider_check_compile(struct session *s, struct probe *p)
{
	struct bpf_insn *insns = NULL;
	size_t cnt = 0;
	int ret = codegen_probe(s, p, &insns, &cnt, NULL);

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

int provider_attach_perf(struct probe *p, int pfd)
{
	int lfd;

	probe_add_perf(p, pfd);
	/*
	 * A BPF link (5.15+) ties the attachment to a file descriptor. Older
	 * kernels only have the ioctl, which is still torn down when the perf
	 * event fd is closed, so no probe can outlive etrace either way.
	 */
	lfd = bpf_link_create(p->prog_fd, pfd, BPF_PERF_EVENT, NULL);
	if (lfd >= 0) {
		probe_add_link(p, lfd);
		return 0;
	}
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, p->prog_fd) < 0)
		return -errno;
	if (ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0) < 0)
		return -errno;
	return 0;
}
