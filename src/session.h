/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One struct session owns everything a run creates: options, probes, BPF
 * maps and programs, attachments, the ring-buffer reader and output state.
 * Nothing else in etrace holds mutable state. session_teardown() releases
 * it all and is safe to call from any point of a failed start-up.
 */
#ifndef __ETRACE_SESSION_H
#define __ETRACE_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "spec/spec.h"

struct provider;
struct ksyms;
struct ring_buffer;
struct tp_format;
struct fmt_spec;
struct btf;

/* How a probe reaches the kernel; chosen per probe at run time. */
enum mech {
	MECH_NONE,
	MECH_TRACEPOINT,	/* perf tracepoint + BPF link */
	MECH_FENTRY,		/* fentry/fexit: BTF trampolines */
	MECH_KPROBE,		/* kprobe/kretprobe through the perf kprobe PMU */
	MECH_KPROBE_MULTI,	/* many functions with one kprobe_multi link */
	MECH_KPROBE_LEGACY,	/* kprobe_events in tracefs: the last resort */
};

const char *mech_name(enum mech m);

struct options {
	pid_t pid;		/* -p: process (tgid), 0 = any */
	pid_t tid;		/* -L: thread, 0 = any */
	long uid;		/* --uid, -1 = any */
	long max_events;	/* -M, 0 = unlimited */
	bool timestamp;		/* -t */
	bool unix_ts;		/* -u */
	bool wallclock;		/* -T */
	bool print_cpu;		/* -C */
	bool kstack;		/* -K */
	bool ustack;		/* -U */
	bool address;		/* -a */
	bool include_self;	/* -S */
	bool bin_cmp;		/* -B */
	int verbose;		/* -v, repeatable */
	int string_size;	/* -Z */
	int buffer_pages;	/* -b, per CPU */
	const char *name_filter;	/* -n */
	const char *msg_filter;		/* -f */
	const char *cgroup_path;	/* -c */
	const char *mechanism;		/* --mechanism / $ETRACE_MECHANISM */
	char **probe_args;
	int nprobe_args;
};

/* Where one format argument lives in a record and how to print it. */
struct value_slot {
	int offset;		/* in the record, after the header */
	int size;		/* bytes reserved */
};

/* A kernel function a probe attaches to. */
struct ktarget {
	char *name;
	char *module;		/* NULL: vmlinux */
	uint64_t addr;		/* from kallsyms, 0 if unknown */
};

struct probe {
	struct probe_spec spec;
	int id;			/* 0-based index, stored in every record */
	const struct provider *prov;
	char *func_name;	/* FUNC column */
	/* Kernel functions: what to attach to and how. */
	struct ktarget *targets;
	size_t ntargets;
	bool wildcard;		/* FUNC comes from the address hit */
	bool is_return;
	bool syscall_wrapper;	/* arguments live in the wrapped struct pt_regs */
	bool user_args;		/* pointer arguments are user memory */
	bool traceable;		/* listed in available_filter_functions */
	int nparams;		/* from BTF (fexit's retval slot); -1 unknown */
	enum mech mech;
	int cur_target;		/* fentry: the target being compiled */
	int prog_type;		/* enum bpf_prog_type */
	int attach_type;	/* enum bpf_attach_type (expected at load) */
	unsigned int attach_btf_id;
	int attach_btf_obj_fd;
	char **legacy_events;	/* kprobe_events entries to remove ("group/event") */
	size_t nlegacy, legacy_cap;
	char *legacy_file;	/* the kprobe_events file they were written to */
	char *failures;		/* why mechanisms were refused, for the message */
	struct tp_format *tp;	/* tracepoints: the event's format */
	char *tp_dir;		/* tracepoints: events/<cat>/<event> under tracefs */
	/* Compiled output. */
	struct fmt_spec *fmt;	/* parsed format string, NULL if none */
	struct value_slot *slots;
	size_t nslots;
	int values_size;	/* bytes of values after the header */
	int prog_fd;
	int *progs;		/* extra programs (fentry: one per target) */
	size_t nprogs, progs_cap;
	int *fds;		/* perf events and links to close on detach */
	size_t nfds, fds_cap;
	uint64_t seen;		/* events received */
};

struct session {
	struct options opt;
	struct probe *probes;
	size_t nprobes;
	const char *tracefs;	/* tracefs mount point, resolved on demand */
	char *tracefs_buf;
	int events_fd;		/* BPF ring buffer */
	int lost_fd;		/* per-CPU array: events lost per probe */
	int scratch_fd;		/* per-CPU array: large temporaries, -1 until needed */
	struct ring_buffer *rb;
	struct ksyms *ksyms;
	int sig_fd;		/* signalfd for SIGINT/SIGTERM */
	int epoll_fd;
	pid_t self;
	uint64_t start_mono_ns;
	double start_wall;
	long printed;		/* events printed, for -M */
	bool done;		/* stop the event loop */
	bool out_broken;	/* stdout closed under us */
	int out_errno;		/* why writing stdout failed (EPIPE: closed, quietly) */
	unsigned long ring_size;	/* bytes of the ring buffer */
	bool any_action;	/* some probe has a format string: "-" column */
	int ncpus;
	struct btf *vmlinux_btf;	/* loaded on first use */
	bool btf_tried;
	char *line;		/* output scratch */
	size_t line_cap;
};

void session_init(struct session *s);
void session_teardown(struct session *s);

/* Close @p's links, perf events and extra programs, remove legacy kprobes. */
void probe_detach(struct probe *p);

/* Detach every probe (close links and perf events); idempotent. */
void session_detach(struct session *s);

/* Remember an extra program fd (closed with the probe). */
void probe_add_prog(struct probe *p, int fd);

/* Remember a file descriptor to close when @p is detached. */
void probe_add_fd(struct probe *p, int fd);

#endif /* __ETRACE_SESSION_H */
