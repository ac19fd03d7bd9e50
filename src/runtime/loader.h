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

/* s->ring_size from -b and the number of CPUs (before anything is compiled). */
void loader_size_ring(struct session *s);

/*
 * Load @insns as @p's program (type and attach details from @p) into
 * p->prog_fd. A verifier rejection is reported as one short reason naming
 * the probe; the whole log follows with -v. With @quiet, nothing is
 * printed: the reason is appended to p->failures (a fallback mechanism
 * may follow) and LOAD_REFUSED is returned.
 */
#define LOAD_REFUSED 1
int loader_load_prog(struct session *s, struct probe *p, const struct bpf_insn *insns,
		     size_t cnt, bool quiet);

/* Append "mechanism: reason" to p->failures. */
void probe_note_failure(struct probe *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The stop flag every program checks first: recording starts off, is
 * switched on once every probe is attached and off again when etrace stops.
 */
int loader_set_recording(struct session *s, bool on);

/* Create (once) the per-CPU scratch map of @size bytes; message on failure. */
int loader_scratch_map(struct session *s, int size);

/* Events lost for probe @id, summed over CPUs (0 if unknown). */
unsigned long long loader_lost(struct session *s, int id);

/* Whether the caller may use BPF tracing at all; message printed if not. */
int loader_check_privileges(void);

/*
 * Why an operation needing privileges was refused, for messages: which
 * capabilities are missing (@tracefs: reading tracefs is needed too).
 */
void loader_privilege_hint(bool tracefs, char *buf, size_t len);

#endif /* __ETRACE_LOADER_H */
