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
#include "runtime/features.h"
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

/* The kernel's own "not supported" (ENOTSUPP), which errno.h does not name. */
#define ENOTSUPP 524

/*
 * The trampoline's context is an array of 8-byte slots, one per argument
 * and two for a struct or union of 9 to 16 bytes passed by value, then the
 * return value. Lay the slots out from the prototype.
 */
static void layout_params(const struct btf *btf, const struct btf_type *proto, struct kfunc *k)
{
	const struct btf_param *prm = btf_params(proto);
	int slot = 0;

	k->nparams = btf_vlen(proto);
	for (int i = 0; i < k->nparams; i++, prm++) {
		struct ktype t;
		int slots = 1;

		if (!ktype_resolve(btf, prm->type, &t) && t.kind == KT_STRUCT && t.size > 8)
			slots = (t.size + 7) / 8;
		if (i < ARCH_MAX_ARGS)
			k->param_slot[i] = slot;
		slot += slots;
	}
	k->nslots = slot;
}

int kfunc_prototype(struct session *s, struct probe *p, size_t i, unsigned int *btf_id,
		    bool quiet)
{
	struct kfunc *k = kf(p);
	const struct ktarget *t = &k->targets[i];
	struct btf *base = ktypes_vmlinux(s), *btf = base;
	const struct btf_type *fn, *proto;
	int id, ret = 0;

	if (!base) {
		if (!quiet)
			kfunc_note(p, "fentry: the kernel has no BTF (/sys/kernel/btf/vmlinux)");
		return KF_FALLBACK;
	}
	if (t->module) {
		btf = btf__load_module_btf(t->module, base);
		if (!btf) {
			if (!quiet)
				kfunc_note(p, "fentry: module %s has no BTF", t->module);
			return KF_FALLBACK;
		}
	}
	id = btf__find_by_name_kind(btf, t->name, BTF_KIND_FUNC);
	fn = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
	proto = fn ? btf__type_by_id(btf, fn->type) : NULL;
	if (!proto) {
		if (!quiet)
			kfunc_note(p, "fentry: %s is not described in BTF", t->name);
		ret = KF_FALLBACK;
	} else {
		layout_params(btf, proto, k);
		*btf_id = (unsigned int)id;
		k->cur = (int)i;
	}
	if (btf != base)
		btf__free(btf);
	return ret;
}

int fentry_prepare(struct session *s, struct probe *p, size_t i)
{
	return kfunc_prototype(s, p, i, &kf(p)->attr.attach_btf_id, false);
}

static int fentry_one(struct session *s, struct probe *p, size_t i)
{
	struct kfunc *k = kf(p);
	int ret, fd;

	if (k->attr.attach_btf_obj_fd >= 0)
		close(k->attr.attach_btf_obj_fd);
	k->attr.attach_btf_obj_fd = -1;
	ret = fentry_prepare(s, p, i);
	if (ret)
		return ret;
	if (k->targets[i].module) {
		k->attr.attach_btf_obj_fd = module_btf_fd(k->targets[i].module);
		if (k->attr.attach_btf_obj_fd < 0) {
			k->attr.attach_btf_obj_fd = -1;
			kfunc_note(p, "fentry: cannot open the BTF of module %s",
				   k->targets[i].module);
			return KF_FALLBACK;
		}
	}
	if (p->records_func_ip)
		kfunc_target_addr(s, p, i);
	k->attr.prog_type = BPF_PROG_TYPE_TRACING;
	k->attr.attach_type = k->is_return ? BPF_TRACE_FEXIT : BPF_TRACE_FENTRY;
	ret = kfunc_build(s, p);
	if (ret)
		return ret;
	fd = bpf_raw_tracepoint_open(NULL, p->rt.prog_fd);
	probe_add_prog(p, p->rt.prog_fd);
	p->rt.prog_fd = -1;
	if (fd < 0) {
		int err = errno;

		/* Refused for any function: not worth trying for the next probe. */
		if (err == EPERM || err == EOPNOTSUPP || err == ENOTSUPP)
			feature_set(s, FEAT_FENTRY, false);
		kfunc_note(p, "fentry: the kernel refused to attach (%s)",
			   err == ENOTSUPP ? "not supported by this kernel" : strerror(err));
		return KF_FALLBACK;
	}
	probe_add_link(p, fd);
	return 0;
}

int fentry_install(struct session *s, struct probe *p)
{
	struct kfunc *k = kf(p);

	if (p->spec.has_offset) {
		kfunc_note(p, "fentry: an offset needs kprobes");
		return KF_FALLBACK;
	}
	if (k->ntargets > MAX_FENTRY_TARGETS) {
		kfunc_note(p, "fentry: the pattern matches %zu functions, at most %d can "
			   "have their own program", k->ntargets, MAX_FENTRY_TARGETS);
		return KF_FALLBACK;
	}
	for (size_t i = 0; i < k->ntargets; i++) {
		int ret = fentry_one(s, p, i);

		if (ret)
			return ret;
	}
	return 0;
}
