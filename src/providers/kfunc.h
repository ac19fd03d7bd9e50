/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Kernel function probes: the provider's own state, shared by the resolver
 * (kfunc.c) and the mechanisms (fentry.c, kprobe.c). Nothing outside
 * src/providers sees it.
 */
#ifndef __ETRACE_KFUNC_H
#define __ETRACE_KFUNC_H

#include <stdint.h>

#include "arch/arch.h"
#include "providers/provider.h"
#include "session.h"

/* A kernel function a probe attaches to. */
struct ktarget {
	char *name;
	char *module;		/* NULL: vmlinux */
	uint64_t addr;		/* from kallsyms, 0 if unknown or not looked up */
};

struct kfunc {
	struct ktarget *targets;
	size_t ntargets, targets_cap;
	bool wildcard;		/* a pattern: FUNC is the function hit */
	bool is_return;
	bool traceable;		/* listed in available_filter_functions (patterns) */
	bool uses_regs;		/* the probe reads ctx->REG: only kprobes have registers */
	/* A system call wrapper: its arguments are in the inner struct pt_regs. */
	const struct arch_syscall_abi *syscall;
	enum kmech mech;	/* the mechanism being tried */
	int cur;		/* the target a program is built for; -1: all of them */
	bool per_target;	/* kprobes: one program per target (function address known) */
	bool use_cookie;	/* kprobes: the function address is the attach cookie */
	/* fentry/fexit: the context of target @cur, from its BTF prototype. */
	int nparams;		/* -1: unknown */
	int param_slot[ARCH_MAX_ARGS];	/* 8-byte slot of each parameter */
	int nslots;		/* slots of all parameters (fexit's return value follows) */
	struct load_attr attr;
	/* kprobe_events entries ("group/event"), emptied once removed. */
	char **legacy_events;
	size_t nlegacy, legacy_cap;
	char *legacy_file;
	struct strbuf failures;	/* why mechanisms were refused, for the message */
};

static inline struct kfunc *kf(const struct probe *p)
{
	return p->priv;
}

/*
 * Mechanism installers return 0 when the probe is attached, ERR_USAGE or
 * ERR_RUNTIME for a fatal error (message printed), or KF_FALLBACK when
 * this mechanism was refused (reason noted, everything it created
 * released by the caller) and the next one should be tried.
 */
#define KF_FALLBACK PROVIDER_REFUSED

int fentry_install(struct session *s, struct probe *p);
int kprobe_install(struct session *s, struct probe *p);
int kprobe_multi_install(struct session *s, struct probe *p);
int kprobe_legacy_install(struct session *s, struct probe *p);

/*
 * Look target @i up in BTF: its parameters' argument slots (k->nparams,
 * param_slot, nslots), its BTF id in *@btf_id, k->cur = @i. 0, or
 * KF_FALLBACK (reason noted unless @quiet) when BTF does not describe it.
 */
int kfunc_prototype(struct session *s, struct probe *p, size_t i, unsigned int *btf_id,
		    bool quiet);

/*
 * Look target @i up in BTF for compiling: parameter slots, attach id.
 * 0, or KF_FALLBACK (reason noted) when fentry cannot be used for it.
 */
int fentry_prepare(struct session *s, struct probe *p, size_t i);

/*
 * Compile and load @p for k->attr: 0, KF_FALLBACK when the kernel refused
 * the program (reason noted), or a fatal ERR_* (e.g. an expression error).
 */
int kfunc_build(struct session *s, struct probe *p);

/* Append "mechanism: reason" to the failures. */
void kfunc_note(struct probe *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The kallsyms address of target @i (looked up once; 0 if unknown). */
uint64_t kfunc_target_addr(struct session *s, struct probe *p, size_t i);

/* Remove the kprobe_events entries (see provider.h, cleanup). */
int kprobe_legacy_remove(struct probe *p);

#endif /* __ETRACE_KFUNC_H */
