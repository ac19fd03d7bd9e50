// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "runtime/cgroup.h"
#include "util.h"

/* Where a cgroup v2 file system is mounted, from /proc/self/mountinfo ("" if none). */
static void cgroup2_mount(char *out, size_t len)
{
	char *text = read_file("/proc/self/mountinfo", NULL), *line, *save = NULL;

	*out = '\0';
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line && !*out;
	     line = strtok_r(NULL, "\n", &save)) {
		char mnt[512], fstype[64];
		const char *sep = strstr(line, " - ");

		/* "id parent maj:min root mountpoint options... - fstype source ..." */
		if (sep && sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1 &&
		    sscanf(sep + 3, "%63s", fstype) == 1 && !strcmp(fstype, "cgroup2"))
			snprintf(out, len, "%s", mnt);
	}
	free(text);
}

int cgroup_check(const char *path, char *err, size_t errlen)
{
	char mnt[512], where[600] = "no cgroup v2 file system is mounted";
	struct statfs sf;
	struct stat st;

	if (stat(path, &st) || statfs(path, &sf)) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "not a directory");
		return -ENOTDIR;
	}
	if (sf.f_type == CGROUP2_SUPER_MAGIC)
		return 0;
	cgroup2_mount(mnt, sizeof(mnt));
	if (*mnt)
		snprintf(where, sizeof(where), "cgroup v2 is mounted at %s", mnt);
	snprintf(err, errlen, "%s (%s)", sf.f_type == CGROUP_SUPER_MAGIC ?
		 "a cgroup v1 directory: -c needs cgroup v2" : "not a cgroup v2 directory",
		 where);
	return -EINVAL;
}

int cgroup_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}
