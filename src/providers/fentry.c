// SPDX-License-Identifier: BSD-2-Clause
/*
 * fentry/fexit: BPF trampolines on functions described by the kernel's
 * BTF. Cheaper than kprobes and fexit sees the arguments as well as the
 * return value, but each function needs its own program.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "providers/kfunc.h"
#include "providers/provider.h"
#include "runtime/loader.h"
#include "types/ktypes.h"
#include "util.h"

#define MAX_FENTRY_TARGETS 64

/* A file descriptor for the kernel's BTF object of @module, or -errno. */
static int module_btf_fd(const char *module)
{
	__u32 id = 0;

	while (!bpf_btf_get_next_id(id, &id)) {
		char name[64] = "";
		struct bpf_btf_info info = { .name = (__u64)(uintptr_t)name,
					     .name_len = sizeof(name) };
		__u32 len = sizeof(info);
		int fd = bpf_btf_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.kernel_btf &&
		    !strcmp(name, module))
			return fd;
		close(fd);
	}
	return -ENOENT;
}

/* Find target @i in BTF: sets p->attach_btf_id, p->nparams and p->cur_target. */
int fentry_prepare(struct session *s, struct probe *p, size_t i)
{
	const struct ktarget *t = &p->targets[i];
	struct btf *base = ktypes_vmlinux(s), *btf = base;
	const struct btf_type *fn, *proto;
	int id, ret = 0;

	if (!base) {
		probe_note_failure(p, "fentry: the kernel has no BTF (/sys/kernel/btf/vmlinux)");
		return KF_FALLBACK;
	}
	if (t->module) {
		btf = btf__load_module_btf(t->module, base);
		if (!btf) {
			probe_note_failure(p, "fentry: module %s has no BTF", t->module);
			return KF_FALLBACK;
		}
	}
	id = btf__find_by_name_kind(btf, t->name, BTF_KIND_FUNC);
	if (id < 0) {
		probe_note_failure(p, "fentry: %s is not described in BTF", t->name);
		ret = KF_FALLBACK;
		goto out;
	}
	fn = btf__type_by_id(btf, (__u32)id);
	proto = btf__type_by_id(btf, fn->type);
	p->nparams = proto ? btf_vlen(proto) : 0;
	p->attach_btf_id = (unsigned)id;
	p->cur_target = (int)i;
out:
	if (btf != base)
		btf__free(btf);
	return ret;
}

static int fentry_one(struct session *s, struct probe *p, size_t i)
{
	int ret, fd;

	if (p->attach_btf_obj_fd > 0)
		close(p->attach_btf_obj_fd);
	p->attach_btf_obj_fd = 0;
	ret = fentry_prepare(s, p, i);
	if (ret)
		return ret;
	if (p->targets[i].module) {
		p->attach_btf_obj_fd = module_btf_fd(p->targets[i].module);
		if (p->attach_btf_obj_fd < 0) {
			p->attach_btf_obj_fd = 0;
			probe_note_failure(p, "fentry: cannot open the BTF of module %s",
					   p->targets[i].module);
			return KF_FALLBACK;
		}
	}
	ret = kfunc_build(s, p, BPF_PROG_TYPE_TRACING,
			  p->is_return ? BPF_TRACE_FEXIT : BPF_TRACE_FENTRY);
	if (ret)
		return ret;
	fd = bpf_raw_tracepoint_open(NULL, p->prog_fd);
	probe_add_prog(p, p->prog_fd);
	p->prog_fd = -1;
	if (fd < 0) {
		probe_note_failure(p, "fentry: the kernel refused to attach (%s)", strerror(errno));
		return KF_FALLBACK;
	}
	probe_add_link(p, fd);
	return 0;
}

int fentry_install(struct session *s, struct probe *p)
{
	if (p->spec.has_offset) {
		probe_note_failure(p, "fentry: an offset needs kprobes");
		return KF_FALLBACK;
	}
	if (p->ntargets > MAX_FENTRY_TARGETS) {
		probe_note_failure(p, "fentry: the pattern matches %zu functions, at most %d can "
				   "have their own program", p->ntargets, MAX_FENTRY_TARGETS);
		return KF_FALLBACK;
	}
	for (size_t i = 0; i < p->ntargets; i++) {
		int ret = fentry_one(s, p, i);

		if (ret)
			return ret;
	}
	return 0;
}
