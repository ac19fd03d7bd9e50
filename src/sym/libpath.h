/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Finding the file a user-space probe names, as BCC does: a path; a
 * library short name ("c", "pthread", "ssl") through the libraries a
 * process has mapped (with -p) and /etc/ld.so.cache; an executable through
 * PATH. With -p, paths are the process's own: a process in a container sees
 * another root, reached through /proc/PID/root.
 */
#ifndef __ETRACE_LIBPATH_H
#define __ETRACE_LIBPATH_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The file @name refers to (malloc'ed), for process @pid (0: none), or
 * NULL with the reason in @err.
 */
char *libpath_resolve(const char *name, pid_t pid, char *err, size_t errlen);

/*
 * Every 64-bit library of this architecture in the ld.so cache at @cache
 * whose name starts with @prefix ("libc.so"), in cache order, to @fn.
 * Both cache formats are read. 0, or -errno when the cache is unreadable.
 */
int libpath_cache_each(const char *cache, const char *prefix,
		       void (*fn)(const char *name, const char *path, void *arg), void *arg);

#endif /* __ETRACE_LIBPATH_H */
