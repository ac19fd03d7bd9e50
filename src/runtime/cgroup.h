/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * -c PATH: a cgroup v2 directory whose tasks (and its descendants') are
 * traced. Programs test the current task against it with
 * bpf_current_task_under_cgroup() and a one-entry cgroup array map.
 */
#ifndef __ETRACE_CGROUP_H
#define __ETRACE_CGROUP_H
#include <stddef.h>

/*
 * Whether @path is a directory of a cgroup v2 file system; if not, why (in
 * @err, naming where cgroup v2 is mounted when it is). 0 or -errno.
 */
int cgroup_check(const char *path, char *err, size_t errlen);

/* The directory opened for the cgroup array; -errno on failure. */
int cgroup_open(const char *path);

#endif /* __ETRACE_CGROUP_H */
