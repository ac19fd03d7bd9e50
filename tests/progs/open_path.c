// SPDX-License-Identifier: BSD-2-Clause
/*
 * open_path PATH [REPEAT]: openat(AT_FDCWD, PATH, O_RDONLY) REPEAT times
 * (default once), closing each. A failing open is not an error: tests
 * trace failed opens too. Prints nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long repeat = 1;
	char *end;

	if (argc < 2 || argc > 3)
		goto usage;
	if (argc == 3) {
		errno = 0;
		repeat = strtol(argv[2], &end, 10);
		if (!*argv[2] || *end || errno || repeat < 0)
			goto usage;
	}
	for (long i = 0; i < repeat; i++) {
		int fd = openat(AT_FDCWD, argv[1], O_RDONLY);

		if (fd >= 0)
			close(fd);
	}
	return 0;
usage:
	fprintf(stderr, "usage: open_path PATH [REPEAT]\n");
	return 2;
}
