/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The counts the programs keep in the kernel (-A, -H, --lhist, --folded),
 * read and handed to the output backend: every key of the aggregation map
 * with its per-CPU values summed, decoded like an event (FUNC, values,
 * message, stacks from the stack maps) and sorted by count, highest first.
 *
 * With -i, programs count into one of two intervals (the epoch in every
 * key, next to the stop flag). At a tick user space switches the epoch,
 * waits for the programs still counting into the old one, then reads and
 * deletes the old keys: nothing counted is lost between reading and
 * clearing.
 */
#ifndef __ETRACE_AGGREGATE_H
#define __ETRACE_AGGREGATE_H

#include <stdbool.h>

#include "session.h"

/*
 * Read the counts and print them: at a -i tick (@tick: the interval that
 * ended, then cleared) or at the end, once recording has stopped.
 * Returns 0 or ERR_RUNTIME (message printed).
 */
int aggregate_print(struct session *s, bool tick);

/* Whether some probe's keys hold the process (-U, %U): blocks show a PID column. */
bool aggregate_has_pid(const struct session *s);

#endif /* __ETRACE_AGGREGATE_H */
