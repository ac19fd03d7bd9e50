// SPDX-License-Identifier: BSD-2-Clause
/*
 * write_count PATH COUNT [REPEAT]: open PATH for writing and write(2)
 * COUNT bytes to it REPEAT times (default once), one call each.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_num(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return !*s || *end || errno || *out < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	long count, repeat = 1;
	char *buf;
	int fd;

	if (argc < 3 || argc > 4 || parse_num(argv[2], &count) ||
	    (argc == 4 && parse_num(argv[3], &repeat)) || count > (1L << 30)) {
		fprintf(stderr, "usage: write_count PATH COUNT [REPEAT]\n");
		return 2;
	}
	buf = malloc(count ? count : 1);
	if (!buf)
		return 1;
	memset(buf, 'x', count);
	fd = open(argv[1], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "write_count: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (long i = 0; i < repeat; i++) {
		if (write(fd, buf, count) < 0) {
			fprintf(stderr, "write_count: write: %s\n", strerror(errno));
			return 1;
		}
	}
	close(fd);
	free(buf);
	return 0;
}
