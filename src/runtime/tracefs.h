/* SPDX-License-Identifier: BSD-2-Clause */
/* Locating (and if needed mounting) tracefs. */
#ifndef __ETRACE_TRACEFS_H
#define __ETRACE_TRACEFS_H

#include "session.h"

/*
 * The tracefs mount point: $ETRACE_TRACEFS if set, else /sys/kernel/tracing,
 * else /sys/kernel/debug/tracing; if neither is mounted, tracefs is mounted
 * on /sys/kernel/tracing. NULL (message printed) when none can be had.
 * The answer is cached in the session.
 */
const char *tracefs_dir(struct session *s);

#endif /* __ETRACE_TRACEFS_H */
