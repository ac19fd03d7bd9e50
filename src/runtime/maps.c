// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "runtime/aggmap.h"
#include "runtime/cgroup.h"
#include "runtime/loader.h"
#include "runtime/maps.h"
#include "runtime/record.h"
#include "util.h"

void maps_init(struct session *s)
{
	static const struct map_entry roles[MAP_NROLES] = {
		[MAP_EVENTS] = { "etrace_events", BPF_MAP_TYPE_RINGBUF, 0, 0, 0, true, -1, 0 },
		[MAP_LOST] = { "etrace_lost", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 0, true, -1, 0 },
		[MAP_CTL] = { "etrace_ctl", BPF_MAP_TYPE_ARRAY, 4, 8, 1, true, -1, 0 },
		[MAP_SCRATCH] = { "etrace_scratch", BPF_MAP_TYPE_PERCPU_ARRAY, 4,
				  MAPS_SCRATCH_SIZE, 0, false, -1, 0 },
		[MAP_CGROUP] = { "etrace_cgroup", BPF_MAP_TYPE_CGROUP_ARRAY, 4, 4, 1, false, -1, 0 },
		[MAP_ENTRY] = { "etrace_entry", BPF_MAP_TYPE_HASH, 8, 0, MAPS_ENTRY_MAX, false, -1, 0 },
		/* Preallocated: 5.10 refuses hash maps allocated at run time in tracing. */
		[MAP_AGG] = { "etrace_agg", BPF_MAP_TYPE_PERCPU_HASH, 0, 0, 0, false, -1, 0 },
		[MAP_AGG_ZERO] = { "etrace_agg_zero", BPF_MAP_TYPE_ARRAY, 4, 0, 1, false, -1, 0 },
		[MAP_KSTACKS] = { "etrace_kstacks", BPF_MAP_TYPE_STACK_TRACE, 4,
				  REC_STACK_BYTES, 0, false, -1, 0 },
		[MAP_USTACKS] = { "etrace_ustacks", BPF_MAP_TYPE_STACK_TRACE, 4,
				  REC_USTACK_BYTES, 0, false, -1, 0 },
		[MAP_UBIDS] = { "etrace_ubids", BPF_MAP_TYPE_STACK_TRACE, 4, REC_UBID_BYTES, 0,
				false, -1, BPF_F_STACK_BUILD_ID },
		[MAP_TAKEN] = { "etrace_taken", BPF_MAP_TYPE_ARRAY, 4, 8, 1, false, -1, 0 },
	};

	memcpy(s->maps, roles, sizeof(roles));
}

void maps_use(struct session *s, enum map_role role)
{
	s->maps[role].wanted = true;
}

/* Frames a stack map holds: @depth, unless the kernel allows fewer. */
static unsigned int stack_depth(unsigned int depth)
{
	char *text = read_file("/proc/sys/kernel/perf_event_max_stack", NULL);
	long max = text ? strtol(text, NULL, 10) : 0;

	free(text);
	return max > 0 && (unsigned long)max < depth ? (unsigned int)max : depth;
}

/*
 * Counting: the keys' size is the largest probe's; stack maps hold as many
 * stacks as the map holds keys (a key has at most one of each), with as
 * many frames as records hold.
 */
static void size_agg_maps(struct session *s)
{
	unsigned int entries = agg_entries(&s->opt);

	s->maps[MAP_LOST].max_entries *= AGG_LOST_KINDS;
	s->maps[MAP_AGG].key_size = (unsigned int)s->agg_key_size;
	s->maps[MAP_AGG].value_size = (unsigned int)agg_value_size(&s->opt);
	s->maps[MAP_AGG].max_entries = entries;
	s->maps[MAP_AGG_ZERO].value_size = s->maps[MAP_AGG].value_size;
	s->maps[MAP_KSTACKS].value_size = 8 * stack_depth(REC_STACK_DEPTH);
	s->maps[MAP_USTACKS].value_size = 8 * stack_depth(REC_USTACK_DEPTH);
	s->maps[MAP_UBIDS].value_size = (unsigned int)sizeof(struct bpf_stack_build_id) *
					stack_depth(REC_USTACK_DEPTH);
	s->maps[MAP_KSTACKS].max_entries = entries;
	s->maps[MAP_USTACKS].max_entries = entries;
	s->maps[MAP_UBIDS].max_entries = entries;
}

/* Sizes that depend on the run: the ring buffer, one entry per probe. */
static void size_maps(struct session *s)
{
	unsigned int nprobes = s->nprobes ? (unsigned int)s->nprobes : 1;

	s->maps[MAP_EVENTS].max_entries = (unsigned int)s->ring_size;
	s->maps[MAP_LOST].max_entries = nprobes;
	/* One slice per probe: a program interrupted on its CPU by another
	 * probe's program never has its temporaries overwritten. */
	s->maps[MAP_SCRATCH].max_entries = nprobes;
	s->maps[MAP_ENTRY].value_size = maps_entry_value_size(s);
	if (aggregating(&s->opt))
		size_agg_maps(s);
}

int maps_entry_slot_size(const struct probe *p)
{
	return 8 * (1 + (int)p->nentry_vals);
}

int maps_entry_value_size(const struct session *s)
{
	int slot = 8;

	for (size_t i = 0; i < s->nprobes; i++)
		if (s->probes[i].entry_of && maps_entry_slot_size(&s->probes[i]) > slot)
			slot = maps_entry_slot_size(&s->probes[i]);
	return 8 + MAPS_ENTRY_DEPTH * slot;
}

/* -c: the cgroup array's one entry is the directory. */
static int fill_cgroup(struct session *s)
{
	__u32 key = 0, fd;

	if (!s->maps[MAP_CGROUP].wanted || s->maps[MAP_CGROUP].fd < 0)
		return 0;
	if (s->cgroup_fd < 0)
		s->cgroup_fd = cgroup_open(s->opt.cgroup_path);
	fd = (__u32)s->cgroup_fd;
	if (s->cgroup_fd < 0 || bpf_map_update_elem(s->maps[MAP_CGROUP].fd, &key, &fd, BPF_ANY)) {
		pr_err("-c %s: %s", s->opt.cgroup_path,
		       strerror(s->cgroup_fd < 0 ? -s->cgroup_fd : errno));
		return ERR_RUNTIME;
	}
	return 0;
}

int maps_create(struct session *s)
{
	size_maps(s);
	for (int i = 0; i < MAP_NROLES; i++) {
		struct map_entry *m = &s->maps[i];
		LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = m->flags);

		if (!m->wanted || m->fd >= 0)
			continue;
		m->fd = bpf_map_create((enum bpf_map_type)m->type, m->name, m->key_size,
				       m->value_size, m->max_entries, &opts);
		if (m->fd < 0) {
			int err = errno;
			char hint[256] = "";

			if (err == EPERM || err == EACCES)
				loader_privilege_hint(false, hint, sizeof(hint));
			pr_err("cannot create the %s map: %s%s%s%s", m->name, strerror(err),
			       *hint ? " (" : "", hint, *hint ? ")" : "");
			return ERR_RUNTIME;
		}
	}
	return fill_cgroup(s);
}

int maps_fd(const struct session *s, enum map_role role)
{
	return s->maps[role].fd;
}

const char *maps_name(const struct session *s, int role)
{
	return role >= 0 && role < MAP_NROLES ? s->maps[role].name : NULL;
}

int maps_patch(const struct session *s, struct bpf_insn *insns, size_t cnt)
{
	for (size_t i = 0; i < cnt; i++) {
		struct bpf_insn *in = &insns[i];

		if (in->code != (BPF_LD | BPF_DW | BPF_IMM))
			continue;
		if (in->src_reg == BPF_PSEUDO_MAP_FD || in->src_reg == BPF_PSEUDO_MAP_VALUE) {
			if (in->imm < 0 || in->imm >= MAP_NROLES || s->maps[in->imm].fd < 0)
				return -EINVAL;
			in->imm = s->maps[in->imm].fd;
		}
		i++;	/* the second half of the ld_imm64 */
	}
	return 0;
}

void maps_close(struct session *s)
{
	for (int i = 0; i < MAP_NROLES; i++) {
		if (s->maps[i].fd >= 0)
			close(s->maps[i].fd);
		s->maps[i].fd = -1;
	}
}
