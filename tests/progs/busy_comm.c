// SPDX-License-Identifier: BSD-2-Clause
/*
 * busy_comm NAME SECONDS: set the task name (comm) to NAME, print the pid
 * as the first stdout line, then sleep in 10 ms steps for SECONDS
 * (fractional allowed). Lets tests check the COMM column and -p.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const struct timespec step = { 0, 10 * 1000 * 1000 };
	double secs, until;
	char *end;

	if (argc != 3 || !*argv[1])
		goto usage;
	errno = 0;
	secs = strtod(argv[2], &end);
	if (!*argv[2] || *end || errno || !(secs >= 0) || secs > 86400)
		goto usage;
	if (prctl(PR_SET_NAME, argv[1], 0, 0, 0)) {
		fprintf(stderr, "busy_comm: prctl: %s\n", strerror(errno));
		return 1;
	}
	printf("%d\n", (int)getpid());
	fflush(stdout);
	for (until = now() + secs; now() < until;)
		nanosleep(&step, NULL);
	return 0;
usage:
	fprintf(stderr, "usage: busy_comm NAME SECONDS\n");
	return 2;
}
