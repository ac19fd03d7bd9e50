// SPDX-License-Identifier: BSD-2-Clause
/*
 * spawn N CMD [ARGS...]: run CMD N times, one after the other, waiting
 * for each. Exits 1 if any run failed, 2 on usage errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: spawn N CMD [ARGS...]\n");
	return 2;
}

static int run_once(char **argv)
{
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		perror("spawn: fork");
		return -1;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "spawn: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	char *end;
	long n;
	int failed = 0;

	if (argc < 3)
		return usage();
	errno = 0;
	n = strtol(argv[1], &end, 10);
	if (!*argv[1] || *end || errno || n < 0)
		return usage();
	for (long i = 0; i < n; i++)
		if (run_once(argv + 2))
			failed = 1;
	return failed;
}
