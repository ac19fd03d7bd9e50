// SPDX-License-Identifier: BSD-2-Clause
/*
 * run_as USER CMD [ARGS...]: run CMD as USER (a name from /etc/passwd or
 * a numeric uid), with that user's primary group and no supplementary
 * groups. Must start as root. A static stand-in for setpriv, which
 * busybox lacks; /etc/passwd is read directly, no NSS is needed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Find USER (name or uid) in /etc/passwd; fill uid and gid. */
static int lookup(const char *user, long *uid, long *gid)
{
	char line[1024];
	FILE *f = fopen("/etc/passwd", "r");
	int rc = -1;

	if (!f)
		return -1;
	while (rc && fgets(line, sizeof(line), f)) {
		char *rest = line;
		char *name = strsep(&rest, ":");
		char *pw = rest ? strsep(&rest, ":") : NULL;
		char *u = pw && rest ? strsep(&rest, ":") : NULL;
		char *g = u && rest ? strsep(&rest, ":") : NULL;

		if (!g || (strcmp(name, user) && strcmp(u, user)))
			continue;
		*uid = atol(u);
		*gid = atol(g);
		rc = 0;
	}
	fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	long uid, gid;
	char *end;

	if (argc < 3) {
		fprintf(stderr, "usage: run_as USER CMD [ARGS...]\n");
		return 2;
	}
	if (lookup(argv[1], &uid, &gid)) {
		uid = strtol(argv[1], &end, 10);
		if (!*argv[1] || *end || uid < 0) {
			fprintf(stderr, "run_as: unknown user %s\n", argv[1]);
			return 2;
		}
		gid = uid;
	}
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid)) {
		fprintf(stderr, "run_as: %s\n", strerror(errno));
		return 1;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "run_as: %s: %s\n", argv[2], strerror(errno));
	return 127;
}
