// SPDX-License-Identifier: BSD-2-Clause
/*
 * write_sizes PATH SIZE[xREPEAT]...: open PATH for writing (it gets fd 3)
 * and write(2) SIZE bytes to it REPEAT times (default once) for each
 * argument, in order: a known multiset of write sizes in one process, for
 * counts and histograms. Prints nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SIZE (1L << 20)

static int parse(const char *arg, long *size, long *repeat)
{
	char *end;

	errno = 0;
	*size = strtol(arg, &end, 10);
	*repeat = 1;
	if (end == arg || errno || *size < 0 || *size > MAX_SIZE)
		return -1;
	if (*end == 'x') {
		const char *r = end + 1;

		*repeat = strtol(r, &end, 10);
		if (end == r || errno || *repeat < 0)
			return -1;
	}
	return *end ? -1 : 0;
}

int main(int argc, char **argv)
{
	static char buf[MAX_SIZE];
	long size, repeat;
	int fd;

	if (argc < 3)
		goto usage;
	for (int i = 2; i < argc; i++)
		if (parse(argv[i], &size, &repeat))
			goto usage;
	memset(buf, 'x', sizeof(buf));
	fd = open(argv[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "write_sizes: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		parse(argv[i], &size, &repeat);
		for (long r = 0; r < repeat; r++)
			if (write(fd, buf, (size_t)size) < 0) {
				fprintf(stderr, "write_sizes: write: %s\n", strerror(errno));
				return 1;
			}
	}
	close(fd);
	return 0;
usage:
	fprintf(stderr, "usage: write_sizes PATH SIZE[xREPEAT]...\n");
	return 2;
}
