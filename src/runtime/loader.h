/* SPDX-License-Identifier: BSD-2-Clause */
/* Loading programs with verifier diagnostics; privileges; the stop flag and lost counters. */
#ifndef __ETRACE_LOADER_H
#define __ETRACE_LOADER_H

#include <stddef.h>
#include <linux/bpf.h>

#include "providers/provider.h"
#include "session.h"

/* s->ring_size from -b and the number of CPUs (before anything is compiled). */
void loader_size_ring(struct session *s);

/*
 * Load @insns as @p's program (maps referenced by role are patched to
 * their fds first) into p->rt.prog_fd. A verifier rejection is reported as
 * one short reason naming the probe; the whole log follows with -v. With
 * @quiet, nothing is printed: the reason goes to @why (a fallback
 * mechanism may follow) and LOAD_REFUSED is returned.
 */
#define LOAD_REFUSED PROVIDER_REFUSED
int loader_load(struct session *s, struct probe *p, const struct load_attr *a,
		struct bpf_insn *insns, size_t cnt, bool quiet, char *why, size_t whylen);

/*
 * The loading strategy, apart from the kernel: @load(arg, log, size) is
 * called without a log first, then with a log, growing it from
 * LOADER_LOG_START up to LOADER_LOG_MAX while the log does not fit
 * (ENOSPC). Returns the fd or -errno; *@log_out is the last log (malloc'ed)
 * or NULL.
 */
#define LOADER_LOG_START (1u << 20)
#define LOADER_LOG_MAX (64u << 20)
int loader_load_logged(int (*load)(void *arg, char *log, size_t size), void *arg,
		       char **log_out);

/* The line of a verifier log that gives the reason (modifies @log). */
const char *loader_log_reason(char *log);

/*
 * The stop flag every program checks first: recording starts off, is
 * switched on once every probe is attached and off again when etrace stops.
 * Next to it, the interval counts are kept in (-i): s->agg_epoch.
 */
int loader_set_recording(struct session *s, bool on);

/* Wait until every program that started before the call has ended. */
void loader_wait_programs(void);

/* Slot @id of the lost counters (a probe id, see enum agg_lost), summed over CPUs. */
unsigned long long loader_lost(struct session *s, int id);

/* Whether the caller may use BPF tracing at all; message printed if not. */
int loader_check_privileges(void);

/*
 * Why an operation needing privileges was refused, for messages: which
 * capabilities are missing (@tracefs: reading tracefs is needed too).
 */
void loader_privilege_hint(bool tracefs, char *buf, size_t len);

#endif /* __ETRACE_LOADER_H */
