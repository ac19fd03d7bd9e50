/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Ending a trace: stop recording, count what was lost, detach.
 *
 * Every program checks a stop flag before anything else. Setting it ends
 * recording at one instant for all probes, so that the lost-event count
 * covers exactly the time etrace was reading, and probes that are still
 * being detached cannot fill the ring buffer with events nobody asked for.
 *
 * Detaching is slow in the kernel: a BPF link waits for an RCU tasks-trace
 * grace period, and a perf event for one or two grace periods under a
 * global mutex (tens of milliseconds each). Links are closed by a pool of
 * threads so that their grace periods overlap; perf events, which the
 * kernel serialises anyway, one after the other. Meanwhile the main thread
 * keeps writing pending output, says what is happening after a second,
 * and on a second signal leaves what remains to a background process
 * (which also removes kprobe_events entries) and returns at once.
 */
#ifndef __ETRACE_TEARDOWN_H
#define __ETRACE_TEARDOWN_H

#include "session.h"

/* Set the stop flag, wait for programs already running, read the losses. */
void teardown_stop_recording(struct session *s);

/*
 * Detach every probe. Returns 0, or TEARDOWN_HANDED_OFF when a second
 * signal left the rest to a background process.
 */
#define TEARDOWN_HANDED_OFF 1
int teardown_detach(struct session *s);

/* Write what output is pending as far as the stop reason allows. */
void teardown_flush_output(struct session *s);

/*
 * Per-probe counts (-v) and "lost N events" on stderr, which is made
 * non-blocking first; @handed_off adds that detaching goes on elsewhere.
 */
void teardown_report(struct session *s, bool handed_off);

#endif /* __ETRACE_TEARDOWN_H */
