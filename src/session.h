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
#include "runtime/features.h"
#include "spec/spec.h"
#include "util.h"

struct provider;
struct backend;
struct ksyms;
struct ring_buffer;
struct tp_format;
struct fmt_spec;
struct btf;
struct bpf_stack_build_id;

/* How kernel functions are probed: --mechanism (names in providers/mech.h). */
enum kmech {
	KMECH_AUTO,		/* the best the kernel allows */
	KMECH_FENTRY,		/* fentry/fexit: BTF trampolines */
	KMECH_KPROBE,		/* kprobe/kretprobe through the perf kprobe PMU */
	KMECH_KPROBE_MULTI,	/* many functions with one kprobe_multi link */
	KMECH_KPROBE_LEGACY,	/* kprobe_events in tracefs: the last resort */
};

/* How user functions and USDT probes are attached (--mechanism). */
enum umech {
	UMECH_AUTO,		/* the perf uprobe PMU, else uprobe_events */
	UMECH_UPROBE,		/* the perf uprobe PMU only */
	UMECH_UPROBE_LEGACY,	/* uprobe_events in tracefs only */
};

/* Counting in the kernel instead of printing each event (output/aggregate.c). */
enum agg_mode {
	AGG_NONE,
	AGG_COUNT,		/* -A: identical events counted */
	AGG_LOG2,		/* -H: a log2 histogram of the last value */
	AGG_LINEAR,		/* --lhist MIN,MAX,STEP: a linear histogram of it */
	AGG_FOLDED,		/* --folded: stacks counted, printed for flame graphs */
};

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
	bool json;		/* --json: one JSON object per line (output/json.c) */
	bool dry_run;		/* --dry-run: compile, print (with -v), load nothing */
	bool list_features;	/* --features: print what the kernel allows, exit */
	bool list_probes;	/* -l: list what can be probed, exit */
	int verbose;		/* -v, repeatable */
	int string_size;	/* -Z */
	int buffer_pages;	/* -b, per CPU */
	const char *name_filter;	/* -n */
	const char *msg_filter;		/* -f */
	const char *cgroup_path;	/* -c */
	char **symfiles;		/* -s: extra symbol files */
	size_t nsymfiles;
	enum kmech mechanism;		/* --mechanism / $ETRACE_MECHANISM: kernel functions */
	enum umech umechanism;		/* ... user functions and USDT */
	char **probe_args;
	int nprobe_args;
	enum agg_mode agg;		/* -A, -H, --lhist, --folded */
	long long lhist_min, lhist_max, lhist_step;	/* --lhist */
	long map_entries;		/* --map-entries: keys counted at most, 0: default */
	uint64_t interval_ns;		/* -i: print and clear the counts this often */
	uint64_t duration_ns;		/* -d: end the trace after this long, 0: never */
};

/* Where one format argument lives in a record. */
struct value_slot {
	int offset;		/* in the record, after the header */
	int size;		/* bytes reserved */
};

/*
 * Where the parts of a probe's aggregation key are: byte offsets, -1 when
 * the part is not in the key. The probe id (u32) is always at 0.
 */
struct key_layout {
	int size;		/* bytes this probe uses (0: not laid out yet) */
	int tgid;		/* u32: the process, when user addresses are printed */
	int epoch;		/* u32: -i, the interval the event is counted in */
	int kstack;		/* s32: kernel stack id (-K), or -errno */
	int kcaller;		/* u64: the caller a kernel stack walk misses (-K), or 0 */
	int ustack, ubid;	/* s32: user stack ids (-U): addresses, build-id + offset */
	int func_ip;		/* u64: the function hit, or where the probed file is loaded */
	int uret;		/* u64: the return address at the stack pointer (-U, entry) */
	int comm;		/* char[16]: the process name (--folded) */
	int *values;		/* per format value; -1: the histogram's value, or --folded */
	int hist;		/* the value a histogram draws (the last one), -1 if none */
};

/* What the compiler decided about a probe's record (kept across rebuilds). */
struct layout {
	struct fmt_spec *fmt;	/* parsed format string, NULL if none */
	struct value_slot *slots;
	size_t nslots;
	int values_size;	/* bytes of values after the header */
	bool needs_scratch;	/* STRCMP buffers (or a large key) in the per-CPU scratch map */
	bool records_base;	/* func_ip holds where prov->file() is loaded */
	struct key_layout key;	/* aggregation (-A, -H, --lhist, --folded) */
};

/* What a probe holds in the kernel while it runs. */
struct probe_rt {
	int prog_fd;		/* the program just loaded, -1 once attached or none */
	int *progs;		/* programs to close at detach */
	size_t nprogs, progs_cap;
	int *links;		/* BPF links (and raw tracepoint fds): closed first */
	size_t nlinks, links_cap;
	int *perf_fds;		/* perf events: closed after the links */
	size_t nperf, perf_cap;
	uint64_t seen;		/* events received (aggregation: counted) */
	uint64_t printed;	/* ... handed to the backend (after -n, -f and -M) */
	uint64_t lost;		/* events the ring buffer (or aggregation map) could not take */
	uint64_t kstack_lost;	/* aggregation: kernel stacks the stack map could not store */
	uint64_t ustack_lost;	/* ... user stacks */
};

struct probe {
	struct probe_spec spec;	/* what the user wrote */
	int id;			/* 0-based index, stored in every record */
	const struct provider *prov;
	void *priv;		/* the provider's own state (freed by prov->free) */
	/* What the provider tells the compiler and the output (set by resolve). */
	char *func_name;	/* FUNC column: the function as the user wrote it */
	char *func_symbol;	/* the kernel symbol probed, if one (stacks start there) */
	bool records_func_ip;	/* FUNC is the function hit (patterns): record its address */
	bool stack_from_func;	/* stacks start with unwinder frames above the probed function */
	/*
	 * User probes at a function's first instruction: the caller's return
	 * address is at the stack pointer, not yet in the frame-pointer chain.
	 */
	bool ustack_at_entry;
	const struct tp_format *fields;	/* args->FIELD: the tracepoint's format */
	/*
	 * $latency and $entry(): a return probe that uses them gets an entry
	 * probe etrace adds (entry_of: 1 + its index in s->probes, 0 if none),
	 * which saves the time and the $entry() operands per thread; ret_of
	 * is the way back (0 for every other probe). See probe_entry().
	 */
	int entry_of, ret_of;
	const struct expr **entry_vals;	/* return probe: $entry() operands, in slot order */
	size_t nentry_vals;
	struct layout layout;	/* the compiler's */
	struct strbuf out_spec;	/* the output's own form of spec.raw (JSON), made on first use */
	struct probe_rt rt;	/* the runtime's */
};

/* Why tracing ended. */
enum stop_reason {
	STOP_NONE,
	STOP_SIGNAL,		/* SIGINT, SIGTERM, ... */
	STOP_TARGET,		/* the -p process exited */
	STOP_MAX_EVENTS,	/* -M reached */
	STOP_DURATION,		/* -d elapsed */
	STOP_OUTPUT,		/* stdout closed or failing */
	STOP_ERROR,		/* start-up or the event loop failed */
};

/* The maps the session owns; programs name them by role (runtime/maps.h). */
enum map_role {
	MAP_EVENTS,		/* ring buffer of records */
	MAP_LOST,		/* per-CPU array: events lost per probe */
	MAP_CTL,		/* array: the stop flag */
	MAP_SCRATCH,		/* per-CPU array: one slice of temporaries per probe */
	MAP_CGROUP,		/* cgroup array: the -c directory */
	MAP_ENTRY,		/* hash: (thread, probe) -> entry times and values */
	MAP_AGG,		/* per-CPU hash: a count (or histogram) per key */
	MAP_AGG_ZERO,		/* array: one zeroed value, what a new key starts from */
	MAP_KSTACKS,		/* stack trace map: kernel stacks of keys (-K) */
	MAP_USTACKS,		/* stack trace map: user stacks of keys (-U), addresses */
	MAP_UBIDS,		/* stack trace map: the same stacks as build-id + offset */
	MAP_TAKEN,		/* array: events taken toward -M when counting */
	MAP_NROLES,
};

struct map_entry {
	const char *name;	/* as bpftool shows it: "etrace_events" */
	int type;		/* enum bpf_map_type */
	unsigned int key_size, value_size, max_entries;
	bool wanted;		/* some program uses it: create it */
	int fd;			/* -1 until created */
	unsigned int flags;	/* map_flags (BPF_F_STACK_BUILD_ID) */
};

struct session {
	struct options opt;
	struct probe *probes;
	size_t nprobes;
	struct map_entry maps[MAP_NROLES];
	const char *tracefs;	/* tracefs mount point, resolved on demand */
	int tracefs_fd;		/* ... and the directory, opened (O_PATH) once */
	struct ring_buffer *rb;
	struct ksyms *ksyms;
	struct usyms *usyms;	/* user symbols: only with -U or %U */
	int sig_fd;		/* signalfd for SIGINT/SIGTERM */
	int target_fd;		/* pidfd of the -p process, -1 if none */
	int cgroup_fd;		/* the -c directory, -1 if none */
	int interval_fd;	/* timerfd of -i, -1 if none */
	int duration_fd;	/* timerfd of -d, -1 if none */
	int agg_key_size;	/* bytes of the aggregation map's keys: the largest probe's */
	uint32_t agg_epoch;	/* -i: the interval programs count into now (0 or 1) */
	int epoll_fd;
	pid_t self;
	char self_comm[16];	/* etrace's own process name, as -n sees it */
	uint64_t start_mono_ns;
	double start_wall;
	uint64_t start_wall_ns;	/* CLOCK_REALTIME when start_mono_ns was taken */
	long printed;		/* events printed, for -M */
	enum stop_reason stop;	/* STOP_NONE while tracing */
	uint64_t stop_mono_ns;	/* when tracing stopped */
	struct sink out;	/* stdout, never blocking */
	const struct backend *backend;	/* how events are printed (output/output.h) */
	bool ring_paused;	/* the ring buffer is not read while output is stalled */
	bool out_polled;	/* stdout is in the epoll set (not a regular file) */
	bool out_waiting;	/* ... with EPOLLOUT, because output is pending */
	unsigned long ring_size;	/* bytes of the ring buffer */
	bool any_action;	/* some probe has a format string: "-" column */
	int ncpus;
	struct btf *vmlinux_btf;	/* loaded on first use */
	bool btf_tried;
	struct features features;	/* what the kernel allows, probed on demand */
	struct strbuf notices;	/* renamed names already reported (types/renames.c) */
	struct strbuf line;	/* output scratch: the line being built */
	struct strbuf msg;	/* output scratch: the formatted message */
	/* output scratch: a user stack with a caller put in (ustack_at_entry) */
	uint64_t *ufix;
	struct bpf_stack_build_id *ubid_fix;
};

/* The entry probe etrace added for return probe @p, or NULL. */
static inline struct probe *probe_entry(const struct session *s, const struct probe *p)
{
	return p->entry_of ? &s->probes[p->entry_of - 1] : NULL;
}

/* The return probe that entry probe @p serves, or NULL. */
static inline struct probe *probe_ret(const struct session *s, const struct probe *p)
{
	return p->ret_of ? &s->probes[p->ret_of - 1] : NULL;
}

void session_init(struct session *s);
void session_teardown(struct session *s);

/* Close @p's links, perf events and programs, and what the provider keeps. */
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
