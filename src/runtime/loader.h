/* SPDX-License-Identifier: BSD-2-Clause */
/* BPF maps and programs: creation, loading with verifier diagnostics. */
#ifndef __ETRACE_LOADER_H
#define __ETRACE_LOADER_H

#include <stddef.h>
#include <linux/bpf.h>

#include "session.h"

/*
 * Create the session's maps: the event ring buffer (-b pages per CPU,
 * rounded up to a power of two) and the per-CPU lost-event counters.
 */
int loader_create_maps(struct session *s);

/*
 * Load @insns as @p's program. A verifier rejection is reported as one
 * short reason naming the probe; the whole log follows with -v.
 */
int loader_load_prog(struct session *s, struct probe *p, enum bpf_prog_type type,
		     const struct bpf_insn *insns, size_t cnt);

/* Events lost for probe @id, summed over CPUs (0 if unknown). */
unsigned long long loader_lost(struct session *s, int id);

/* Whether the caller may use BPF tracing at all; message printed if not. */
int loader_check_privileges(void);

#endif /* __ETRACE_LOADER_H */
