/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tracefs: finding it (and mounting it where nothing is mounted), and
 * reaching files under it without ever leaving it. The directory is opened
 * once and checked to really be tracefs (statfs magic); every file below
 * it is opened relative to that descriptor, never through a symlink, and
 * only after the names in its path were checked by tracefs_valid_name().
 */
#ifndef __ETRACE_TRACEFS_H
#define __ETRACE_TRACEFS_H

#include <dirent.h>
#include <stdbool.h>

#include "session.h"

/*
 * The tracefs mount point: $ETRACE_TRACEFS if set, else /sys/kernel/tracing,
 * else /sys/kernel/debug/tracing; if nothing is mounted there, tracefs is
 * mounted on /sys/kernel/tracing. NULL (message printed) when none can be
 * had. The answer is cached in the session (s->tracefs, s->tracefs_fd).
 */
const char *tracefs_dir(struct session *s);

/* Read file @rel under tracefs; NULL with errno (no message). */
char *tracefs_read(struct session *s, const char *rel, size_t *len);

/* open(2) of @rel under tracefs with @flags | O_NOFOLLOW | O_CLOEXEC; -1 with errno. */
int tracefs_open(struct session *s, const char *rel, int flags);

/* Whether @rel under tracefs is a directory (no message either way). */
bool tracefs_is_dir(struct session *s, const char *rel);

/* Directory @rel under tracefs for readdir; NULL with errno. */
DIR *tracefs_opendir(struct session *s, const char *rel);

/*
 * Whether @name may be one component of a tracefs path: a tracepoint
 * category or event, 1 to 255 of [A-Za-z0-9_.-], not starting with '.'.
 */
bool tracefs_valid_name(const char *name);

#endif /* __ETRACE_TRACEFS_H */
