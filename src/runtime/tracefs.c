// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "runtime/loader.h"
#include "runtime/tracefs.h"
#include "util.h"

#define TRACEFS_MAIN "/sys/kernel/tracing"
#define TRACEFS_DEBUG "/sys/kernel/debug/tracing"

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif
#ifndef DEBUGFS_MAGIC
#define DEBUGFS_MAGIC 0x64626720
#endif

/* tracefs itself, or debugfs's tracing directory on kernels before 4.1. */
static bool is_tracefs_type(long type)
{
	return type == TRACEFS_MAGIC || type == DEBUGFS_MAGIC;
}

static bool mounted_at(const char *dir)
{
	struct statfs st;

	return statfs(dir, &st) == 0 && is_tracefs_type((long)st.f_type);
}

/*
 * Open @dir if it is a tracefs with an events directory: its fd, -1 with
 * errno (ENOENT when nothing usable is there, EACCES when it cannot be
 * read, ENOTSUP when it is not tracefs).
 */
static int open_tracefs(const char *dir)
{
	struct statfs st;
	struct stat sb;
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstatfs(fd, &st) || !is_tracefs_type((long)st.f_type)) {
		close(fd);
		errno = ENOTSUP;
		return -1;
	}
	if (fstatat(fd, "events", &sb, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(sb.st_mode)) {
		int err = errno == EACCES || errno == EPERM ? EACCES : ENOENT;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static const char *use(struct session *s, const char *dir, int fd)
{
	s->tracefs_fd = fd;
	return s->tracefs = dir;
}

static const char *unreadable(const char *dir)
{
	char hint[256];

	loader_privilege_hint(true, hint, sizeof(hint));
	pr_err("cannot read tracefs at %s: %s (%s)", dir, strerror(EACCES), hint);
	return NULL;
}

const char *tracefs_dir(struct session *s)
{
	const char *env = getenv("ETRACE_TRACEFS");
	int fd;

	if (s->tracefs)
		return s->tracefs;
	if (env && *env) {
		fd = open_tracefs(env);
		if (fd >= 0)
			return use(s, env, fd);
		if (errno == EACCES)
			return unreadable(env);
		pr_err("tracefs is not available: ETRACE_TRACEFS=%s is not a tracefs with an "
		       "events directory", env);
		return NULL;
	}
	for (int i = 0; i < 2; i++) {
		const char *dir = i ? TRACEFS_DEBUG : TRACEFS_MAIN;

		fd = open_tracefs(dir);
		if (fd >= 0)
			return use(s, dir, fd);
		if (errno == EACCES || (mounted_at(dir) && errno != ENOENT))
			return unreadable(dir);
	}
	/*
	 * Minimal systems (containers, initramfs) often have it unmounted.
	 * Never mount over anything that is there already.
	 */
	if (!mounted_at(TRACEFS_MAIN) &&
	    mount("tracefs", TRACEFS_MAIN, "tracefs", 0, NULL) == 0 &&
	    (fd = open_tracefs(TRACEFS_MAIN)) >= 0)
		return use(s, TRACEFS_MAIN, fd);
	pr_err("tracefs is not available: not mounted at %s or %s, and mounting it failed: %s",
	       TRACEFS_MAIN, TRACEFS_DEBUG, strerror(errno));
	return NULL;
}

char *tracefs_read(struct session *s, const char *rel, size_t *len)
{
	if (!tracefs_dir(s)) {
		errno = ENOENT;
		return NULL;
	}
	return read_file_at(s->tracefs_fd, rel, len);
}

int tracefs_open(struct session *s, const char *rel, int flags)
{
	if (!tracefs_dir(s)) {
		errno = ENOENT;
		return -1;
	}
	return openat(s->tracefs_fd, rel, flags | O_NOFOLLOW | O_CLOEXEC);
}

bool tracefs_is_dir(struct session *s, const char *rel)
{
	struct stat st;

	return tracefs_dir(s) && fstatat(s->tracefs_fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode);
}

DIR *tracefs_opendir(struct session *s, const char *rel)
{
	int fd = tracefs_open(s, rel, O_RDONLY | O_DIRECTORY);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

bool tracefs_valid_name(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > 255 || name[0] == '.')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}
