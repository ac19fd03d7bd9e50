/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Kernel function probes: private interface between the resolver
 * (kfunc.c) and the mechanisms (fentry.c, kprobe.c).
 */
#ifndef __ETRACE_KFUNC_H
#define __ETRACE_KFUNC_H

#include "session.h"

/*
 * Mechanism installers return 0 when the probe is attached, ERR_USAGE or
 * ERR_RUNTIME for a fatal error (message printed), or KF_FALLBACK when
 * this mechanism was refused (reason in p->failures, everything it
 * created released) and the next one should be tried.
 */
#define KF_FALLBACK 1

int fentry_install(struct session *s, struct probe *p);

/*
 * Look target @i up in BTF for compiling: parameters, attach id. 0, or
 * KF_FALLBACK (reason noted) when fentry cannot be used for it.
 */
int fentry_prepare(struct session *s, struct probe *p, size_t i);
int kprobe_install(struct session *s, struct probe *p);
int kprobe_multi_install(struct session *s, struct probe *p);
int kprobe_legacy_install(struct session *s, struct probe *p);

/*
 * Compile and load @p as @prog_type (expecting @attach_type at load):
 * 0, KF_FALLBACK when the kernel refused the program (reason noted), or
 * a fatal ERR_* (e.g. an expression error, printed).
 */
int kfunc_build(struct session *s, struct probe *p, int prog_type, int attach_type);

/* Close whatever a failed attempt left (programs, links, legacy events). */
void kfunc_reset(struct probe *p);

/* The perf kprobe PMU's type, or -1 when the kernel has none. */
int kprobe_pmu_type(void);

#endif /* __ETRACE_KFUNC_H */
