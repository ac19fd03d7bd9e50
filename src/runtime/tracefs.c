// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/tracefs.h"
#include "util.h"

#define TRACEFS_MAIN "/sys/kernel/tracing"
#define TRACEFS_DEBUG "/sys/kernel/debug/tracing"

/* A usable tracefs has an events directory. */
static bool has_events(const char *dir)
{
	char *path = xasprintf("%s/events", dir);
	struct stat st;
	bool ok = stat(path, &st) == 0 && S_ISDIR(st.st_mode);

	free(path);
	return ok;
}

const char *tracefs_dir(struct session *s)
{
	const char *env = getenv("ETRACE_TRACEFS");

	if (s->tracefs)
		return s->tracefs;
	if (env && *env) {
		if (!has_events(env)) {
			pr_err("tracefs is not available: ETRACE_TRACEFS=%s has no events directory",
			       env);
			return NULL;
		}
		return s->tracefs = env;
	}
	if (has_events(TRACEFS_MAIN))
		return s->tracefs = TRACEFS_MAIN;
	if (has_events(TRACEFS_DEBUG))
		return s->tracefs = TRACEFS_DEBUG;
	/* Minimal systems (containers, initramfs) often have it unmounted. */
	if (mount("tracefs", TRACEFS_MAIN, "tracefs", 0, NULL) == 0 && has_events(TRACEFS_MAIN))
		return s->tracefs = TRACEFS_MAIN;
	pr_err("tracefs is not available: not mounted at %s or %s, and mounting it failed: %s",
	       TRACEFS_MAIN, TRACEFS_DEBUG, strerror(errno));
	return NULL;
}
