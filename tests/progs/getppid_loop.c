// SPDX-License-Identifier: BSD-2-Clause
/*
 * getppid_loop N: call getppid(2) N times through syscall(2), so that no
 * libc caching can skip the system call. Prints nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *end;
	long n;

	if (argc != 2)
		goto usage;
	errno = 0;
	n = strtol(argv[1], &end, 10);
	if (!*argv[1] || *end || errno || n < 0)
		goto usage;
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return 0;
usage:
	fprintf(stderr, "usage: getppid_loop N\n");
	return 2;
}
