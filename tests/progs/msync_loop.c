// SPDX-License-Identifier: BSD-2-Clause
/*
 * msync_loop FILE ITER: create FILE (64 KiB), map it shared and ITER times
 * dirty every page and msync(MS_SYNC) it. In the kernel this goes through
 * vfs_fsync_range, a stable function to probe with a known call path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FILE_SIZE (64 * 1024)

static int fail(const char *what)
{
	fprintf(stderr, "msync_loop: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	long iter, page = sysconf(_SC_PAGESIZE);
	char *end, *map;
	int fd;

	if (argc != 3)
		goto usage;
	errno = 0;
	iter = strtol(argv[2], &end, 10);
	if (!*argv[2] || *end || errno || iter < 0)
		goto usage;
	if (page <= 0)
		page = 4096;
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail(argv[1]);
	if (ftruncate(fd, FILE_SIZE))
		return fail("ftruncate");
	map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return fail("mmap");
	for (long i = 0; i < iter; i++) {
		for (long off = 0; off < FILE_SIZE; off += page)
			map[off] = (char)(i + off / page);
		if (msync(map, FILE_SIZE, MS_SYNC))
			return fail("msync");
	}
	munmap(map, FILE_SIZE);
	close(fd);
	return 0;
usage:
	fprintf(stderr, "usage: msync_loop FILE ITER\n");
	return 2;
}
