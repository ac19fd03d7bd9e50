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

#include "output/sink.h"
#include "spec/spec.h"
#include "util.h"

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
	bool raw_strings;	/* --raw-strings: print traced bytes unescaped */
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
	int *links;		/* BPF links (and raw tracepoint fds) to close first */
	size_t nlinks, links_cap;
	int *perf_fds;		/* perf events, closed after the links */
	size_t nperf, perf_cap;
	uint64_t seen;		/* events received */
	uint64_t lost;		/* events the ring buffer could not take, read at stop */
};

/* Why tracing ended. */
enum stop_reason {
	STOP_NONE,
	STOP_SIGNAL,		/* SIGINT, SIGTERM, ... */
	STOP_MAX_EVENTS,	/* -M reached */
	STOP_OUTPUT,		/* stdout closed or failing */
	STOP_ERROR,		/* start-up or the event loop failed */
};

struct session {
	struct options opt;
	struct probe *probes;
	size_t nprobes;
	const char *tracefs;	/* tracefs mount point, resolved on demand */
	int tracefs_fd;		/* ... and the directory, opened (O_PATH) once */
	int events_fd;		/* BPF ring buffer */
	int lost_fd;		/* per-CPU array: events lost per probe */
	int scratch_fd;		/* per-CPU array: large temporaries, -1 until needed */
	int ctl_fd;		/* array: the stop flag every program checks first */
	struct ring_buffer *rb;
	struct ksyms *ksyms;
	int sig_fd;		/* signalfd for SIGINT/SIGTERM */
	int epoll_fd;
	pid_t self;
	uint64_t start_mono_ns;
	double start_wall;
	long printed;		/* events printed, for -M */
	enum stop_reason stop;	/* STOP_NONE while tracing */
	uint64_t stop_mono_ns;	/* when tracing stopped */
	struct sink out;	/* stdout, never blocking */
	bool ring_paused;	/* the ring buffer is not read while output is stalled */
	bool out_polled;	/* stdout is in the epoll set (not a regular file) */
	bool out_waiting;	/* ... with EPOLLOUT, because output is pending */
	unsigned long ring_size;	/* bytes of the ring buffer */
	bool any_action;	/* some probe has a format string: "-" column */
	int ncpus;
	struct btf *vmlinux_btf;	/* loaded on first use */
	bool btf_tried;
	struct strbuf line;	/* output scratch: the line being built */
	struct strbuf msg;	/* output scratch: the formatted message */
};

void session_init(struct session *s);
void session_teardown(struct session *s);

/* Close @p's links, perf events and extra programs, remove legacy kprobes. */
void probe_detach(struct probe *p);

/* Detach every probe (close links and perf events); idempotent. */
void session_detach(struct session *s);

/* Remember an extra program fd (closed with the probe). */
void probe_add_prog(struct probe *p, int fd);

/* Remember a BPF link (closed first) or a perf event (after the links) of @p. */
void probe_add_link(struct probe *p, int fd);
void probe_add_perf(struct probe *p, int fd);

/* Nanoseconds of CLOCK_MONOTONIC. */
uint64_t mono_ns(void);

#endif /* __ETRACE_SESSION_H */
