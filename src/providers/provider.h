/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One provider per probe kind, behind one interface. A provider resolves
 * what the user named (a tracepoint, kernel functions), installs the probe
 * with whatever mechanism the kernel allows (falling back to the next),
 * and tells the compiler where each value lives when the probe fires. The
 * compiler and the output know nothing of mechanisms or registers.
 *
 * Adding a probe kind: write one provider file defining a struct provider,
 * declare it below and return it from provider_find().
 */
#ifndef __ETRACE_PROVIDER_H
#define __ETRACE_PROVIDER_H

#include <stdint.h>
#include <stdio.h>
#include <linux/bpf.h>

#include "session.h"

/* Where a value lives when a probe fires. */
enum loc_kind {
	LOC_NONE,	/* not available in this probe: .why says why */
	LOC_CTX,	/* .size bytes at context + .off, readable directly */
	LOC_MEM,	/* .size bytes of memory at ctx[.base] + ctx[.index] * .scale + .disp,
			 * read with a probe_read helper (.base/.index -1: none) */
	LOC_IMM,	/* the constant .imm */
	LOC_HELPER,	/* what helper .helper returns when called with the context */
};

struct loc {
	enum loc_kind kind;
	int size;		/* bytes of the value: 1, 2, 4 or 8 */
	bool is_signed;
	int off;		/* LOC_CTX */
	int base, index;	/* LOC_MEM: context offsets of 8-byte registers, -1: none */
	int scale;		/* LOC_MEM: 1, 2, 4 or 8 */
	int64_t disp;		/* LOC_MEM */
	bool mem_user;		/* LOC_MEM: the memory is the process's, not the kernel's */
	int64_t imm;		/* LOC_IMM */
	int helper;		/* LOC_HELPER: enum bpf_func_id */
	bool user_ptr;		/* the value points into user memory */
	char why[192];		/* LOC_NONE */
};

/* Where listed probes go (-l). */
struct lister {
	bool verbose;		/* -lv: details too */
	/*
	 * One probe: @detail (NULL if none) is what it offers, one item per
	 * line ("int fd", "struct file *file"), for -lv.
	 */
	void (*emit)(const char *spec, const char *detail, void *arg);
	void *arg;
};

/* How to load a program: everything the kernel wants besides the code. */
struct load_attr {
	int prog_type;		/* enum bpf_prog_type */
	int attach_type;	/* enum bpf_attach_type expected at load, 0: none */
	unsigned int attach_btf_id;	/* fentry: the function, 0: none */
	int attach_btf_obj_fd;	/* fentry on a module function: its BTF, -1: vmlinux */
	const char *mech;	/* the mechanism's name, for messages */
};

struct provider {
	const char *name;
	/*
	 * Check that the target exists and load what the compiler needs to
	 * know about it (format files, symbols, BTF); set p->func_name and
	 * p->priv. Returns 0, ERR_USAGE (bad name: exit 2) or ERR_RUNTIME,
	 * message printed.
	 */
	int (*resolve)(struct session *s, struct probe *p);
	/*
	 * Compile @p for the mechanism it would try first, loading nothing,
	 * so that every mistake in a probe is reported before privileges and
	 * the kernel are involved (and --dry-run can show the program).
	 */
	int (*check)(struct session *s, struct probe *p);
	/*
	 * Compile, load and attach @p; every fd it creates goes to
	 * probe_add_link()/probe_add_perf()/probe_add_prog().
	 */
	int (*install)(struct session *s, struct probe *p);
	/*
	 * After @p's descriptors are closed: undo what outlives them
	 * (kprobe_events entries). Must not allocate (it also runs in the
	 * process that finishes detaching after a second signal). -EBUSY
	 * when something is still in use, else 0. Optional.
	 */
	int (*cleanup)(struct probe *p);
	/* Free p->priv. Optional. */
	void (*free)(struct probe *p);

	/* For the compiler, about the program being built. NULL: none here. */
	/*
	 * Argument @n (1-based) of the probed function: the n-th argument
	 * slot (argN, signatures), or with @param the n-th declared
	 * parameter of its prototype (a struct passed by value can take two
	 * slots).
	 */
	void (*arg)(const struct probe *p, int n, bool param, struct loc *out);
	/* The return value (return probes). */
	void (*retval)(const struct probe *p, struct loc *out);
	/* The address of the function hit (p->records_func_ip). */
	void (*func_ip)(const struct probe *p, struct loc *out);
	/* A register the probe saw, by name (ctx->dx). */
	void (*ctx_reg)(const struct probe *p, const char *name, struct loc *out);
	/*
	 * Where the return address is at a function's first instruction
	 * (p->ustack_at_entry): a register (LOC_CTX), or memory at a
	 * register (LOC_MEM: the stack pointer). Optional.
	 */
	void (*entry_ret)(const struct probe *p, struct loc *out);
	/*
	 * The caller of the probed kernel function when the kernel's stack
	 * walk misses it (LOC_CTX: arm64 kprobes at a function's entry,
	 * where the caller is only in the link register), else LOC_NONE.
	 * Optional.
	 */
	void (*kstack_caller)(const struct probe *p, struct loc *out);
	/* Why "ctx" means nothing in this kind of probe, or NULL: it is the context. */
	const char *ctx_unavailable;
	/* The one kernel function the program is for (BTF types), or NULL. */
	const char *(*function)(const struct probe *p);
	/* The file a user-space probe traces (its symbols are read early), or NULL. */
	const char *(*file)(const struct probe *p);
	/*
	 * The offset in file() of the point the program being built fires at
	 * (ctx->ip there), or -1: a return probe, or several points. Optional.
	 */
	long long (*probe_offset)(const struct probe *p);
	/* What the program attaches to, for -v: "fentry vfs_read". */
	void (*describe)(const struct probe *p, char *buf, size_t len);

	/*
	 * What this provider can probe whose spec matches the glob @pattern
	 * (NULL: all), each passed to @l->emit in etrace's own spec syntax
	 * ("t:sched:sched_switch", "p::vfs_read"), with @l->verbose what it
	 * offers. 0, or ERR_* with the message printed. Optional.
	 */
	int (*list)(struct session *s, const char *pattern, const struct lister *l);
};

extern const struct provider tracepoint_provider;
extern const struct provider kfunc_provider;
extern const struct provider uprobe_provider;
extern const struct provider usdt_provider;

/*
 * The provider for a parsed spec, or NULL with a message printed (probe
 * kinds this build cannot attach).
 */
const struct provider *provider_find(const struct probe_spec *spec);

/*
 * Compile @p as it is set up now; print it with -v (and -vv: the IR). With
 * @attr, load it into p->rt.prog_fd. Returns 0 or ERR_*; with @quiet a
 * refused load is not reported but described in @why, and the result is
 * PROVIDER_REFUSED so that a fallback can follow.
 */
#define PROVIDER_REFUSED 1
int provider_build(struct session *s, struct probe *p, const struct load_attr *attr,
		   bool quiet, char *why, size_t whylen);

/* Attach p->rt.prog_fd to the perf event @pfd with a BPF link (or, before
 * 5.15, the perf ioctl), with @cookie where links take one; both fds are
 * recorded on @p. -errno on failure. */
int provider_attach_perf(struct session *s, struct probe *p, int pfd, uint64_t cookie);

/* Why attaching a program failed with errno @err, in words. */
const char *provider_attach_error(int err);

/* Whether a module named @name is loaded (/sys/module/NAME). */
bool module_loaded(const char *name);

/* --mechanism names: "fentry", "kprobe", "kprobe-multi", "kprobe-legacy". */
const char *kmech_name(enum kmech m);
bool kmech_parse(const char *name, enum kmech *out);
/* "uprobe", "uprobe-legacy" -> @out. */
bool umech_parse(const char *name, enum umech *out);

/* Fill @out as LOC_NONE with a printf-style reason. */
void loc_none(struct loc *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* __ETRACE_PROVIDER_H */
