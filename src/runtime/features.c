// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "runtime/features.h"
#include "runtime/tracefs.h"
#include "session.h"
#include "types/ktypes.h"
#include "util.h"

static const char *const names[FEAT_NR] = {
	[FEAT_RINGBUF] = "ringbuf",
	[FEAT_BTF] = "btf",
	[FEAT_MODULE_BTF] = "module-btf",
	[FEAT_FENTRY] = "fentry",
	[FEAT_KPROBE] = "kprobe",
	[FEAT_KPROBE_MULTI] = "kprobe-multi",
	[FEAT_KPROBE_EVENTS] = "kprobe-legacy",
	[FEAT_PERF_LINK] = "perf-link",
	[FEAT_COOKIE] = "cookie",
	[FEAT_UPROBE] = "uprobe",
	[FEAT_UPROBE_EVENTS] = "uprobe-legacy",
	[FEAT_ATOMIC_FETCH] = "atomic-fetch",
};

const char *feature_name(enum feature f)
{
	return f < FEAT_NR ? names[f] : "?";
}

/* Whether a trivial program of this kind loads (and is closed again). */
static bool loads(enum bpf_prog_type type, enum bpf_attach_type attach, __u32 btf_id)
{
	const struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach,
		    .attach_btf_id = btf_id);
	int fd = bpf_prog_load(type, "etrace_probe", "GPL", prog, 2, &opts);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/*
 * fentry: a program for a function every kernel has, loaded, not attached.
 * Its trampoline is called from the function through ftrace's direct calls:
 * a kernel without them (arm64 before 6.5, as Debian's 6.1) loads fentry
 * programs and refuses to attach them (ENOTSUPP). Whether it has them shows
 * in its BTF, as the function that registers one.
 */
static bool probe_fentry(struct session *s)
{
	struct btf *btf = ktypes_vmlinux(s);
	int id = btf ? btf__find_by_name_kind(btf, "vfs_read", BTF_KIND_FUNC) : -1;

	if (!btf || (btf__find_by_name_kind(btf, "register_ftrace_direct", BTF_KIND_FUNC) <= 0 &&
		     btf__find_by_name_kind(btf, "register_ftrace_direct_multi",
					    BTF_KIND_FUNC) <= 0))
		return false;
	return id > 0 && loads(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, (__u32)id);
}

/*
 * kprobe_multi: a link for a symbol that does not exist. A kernel that has
 * the link type looks the symbol up and says ESRCH or ENOENT; one without
 * it rejects the attach type (EINVAL) or the feature (EOPNOTSUPP).
 */
static bool probe_kprobe_multi(void)
{
	const struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, lopts, .expected_attach_type = BPF_TRACE_KPROBE_MULTI);
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	const char *syms[] = { "etrace_no_such_function" };
	int fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "etrace_probe", "GPL", prog, 2, &lopts);
	int link, err;

	if (fd < 0)
		return false;
	opts.kprobe_multi.syms = syms;
	opts.kprobe_multi.cnt = 1;
	link = bpf_link_create(fd, 0, BPF_TRACE_KPROBE_MULTI, &opts);
	err = errno;
	if (link >= 0)
		close(link);
	close(fd);
	return link >= 0 || err == ESRCH || err == ENOENT;
}

/* BPF_ATOMIC | BPF_FETCH on a stack slot: 5.12 accepts it, 5.10 calls the field reserved. */
static bool probe_atomic_fetch(void)
{
	const struct bpf_insn prog[] = {
		{ .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_10, .off = -8, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 1 },
		{ .code = BPF_STX | BPF_ATOMIC | BPF_DW, .dst_reg = BPF_REG_10,
		  .src_reg = BPF_REG_1, .off = -8, .imm = BPF_ADD | BPF_FETCH },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "etrace_probe", "GPL", prog,
			       ARRAY_SIZE(prog), NULL);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static bool module_btf(void)
{
	/* Modules have their own BTF files next to vmlinux since 5.11. */
	return access("/sys/kernel/btf/vmlinux", R_OK) == 0 &&
	       (access("/sys/kernel/btf/dummy", F_OK) == 0 ||
		access("/sys/kernel/btf/ext4", F_OK) == 0 ||
		access("/sys/kernel/btf/loop", F_OK) == 0 ||
		access("/sys/kernel/btf/nf_tables", F_OK) == 0);
}

static bool probe(struct session *s, enum feature f)
{
	int fd;

	switch (f) {
	case FEAT_RINGBUF:
		return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
	case FEAT_BTF:
		return ktypes_vmlinux(s) != NULL;
	case FEAT_MODULE_BTF:
		return module_btf();
	case FEAT_FENTRY:
		return probe_fentry(s);
	case FEAT_KPROBE:
		return access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0;
	case FEAT_KPROBE_MULTI:
		return probe_kprobe_multi();
	case FEAT_KPROBE_EVENTS:
	case FEAT_UPROBE_EVENTS:
		fd = tracefs_dir(s) ? tracefs_open(s, f == FEAT_KPROBE_EVENTS ? "kprobe_events" :
						   "uprobe_events", O_WRONLY | O_APPEND) : -1;
		if (fd >= 0)
			close(fd);
		return fd >= 0;
	case FEAT_PERF_LINK:
		/* Perf links and attach cookies came together, in 5.15. */
	case FEAT_COOKIE:
		return libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_attach_cookie,
					       NULL) == 1;
	case FEAT_UPROBE:
		return access("/sys/bus/event_source/devices/uprobe/type", R_OK) == 0;
	case FEAT_ATOMIC_FETCH:
		return probe_atomic_fetch();
	default:
		return false;
	}
}

bool feature_has(struct session *s, enum feature f)
{
	unsigned int bit = 1u << f;

	if (!(s->features.known & bit))
		feature_set(s, f, probe(s, f));
	return s->features.have & bit;
}

void feature_set(struct session *s, enum feature f, bool have)
{
	unsigned int bit = 1u << f;

	s->features.known |= bit;
	if (have)
		s->features.have |= bit;
	else
		s->features.have &= ~bit;
}

void features_print(struct session *s)
{
	for (int f = 0; f < FEAT_NR; f++)
		printf("%s %s\n", names[f], feature_has(s, (enum feature)f) ? "yes" : "no");
}
