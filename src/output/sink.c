// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "output/sink.h"

/* Compact the buffer once this much of it has been written. */
#define SINK_COMPACT (64 * 1024)

/*
 * A private non-blocking open file description for @fd: 0, -EPIPE for a
 * pipe nobody reads any more, or -errno when /proc cannot reopen it.
 */
static int reopen_nonblocking(int fd)
{
	char path[64];
	int nfd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (nfd < 0)
		return errno == ENXIO ? -EPIPE : -errno;
	if (dup2(nfd, fd) < 0) {
		int err = -errno;

		close(nfd);
		return err;
	}
	close(nfd);
	return 0;
}

int sink_open(struct sink *k, int fd, size_t limit)
{
	struct stat st;
	int flags, ret;

	memset(k, 0, sizeof(*k));
	k->fd = fd;
	k->limit = limit;
	k->restore_flags = -1;
	if (fstat(fd, &st) < 0)
		return -errno;
	/* Files and block devices do not stall the way a reader can. */
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return 0;
	k->nonblocking = true;
	if (S_ISSOCK(st.st_mode)) {
		k->socket = true;
		return 0;
	}
	ret = reopen_nonblocking(fd);
	if (ret == 0 || ret == -EPIPE)
		return ret;
	/*
	 * No /proc (or it refused): make the shared description non-blocking
	 * and put it back at the end, as a last resort.
	 */
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0)
		k->restore_flags = flags;
	else
		k->nonblocking = false;
	return 0;
}

void sink_write(struct sink *k, const void *data, size_t len)
{
	if (k->err || k->fd < 0)
		return;
	sb_append(&k->pending, data, len);
}

static void drop_pending(struct sink *k)
{
	sb_reset(&k->pending);
	k->done = 0;
}

size_t sink_flush(struct sink *k)
{
	while (sink_pending(k) && !k->err) {
		const char *p = k->pending.buf + k->done;
		size_t len = sink_pending(k);
		ssize_t n = k->socket ? send(k->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL) :
					write(k->fd, p, len);

		if (n > 0) {
			k->done += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else {
			k->err = n < 0 ? errno : EIO;
			drop_pending(k);
		}
	}
	if (!sink_pending(k)) {
		drop_pending(k);
	} else if (k->done >= SINK_COMPACT && k->done >= k->pending.len / 2) {
		memmove(k->pending.buf, k->pending.buf + k->done, sink_pending(k));
		k->pending.len -= k->done;
		k->done = 0;
	}
	return sink_pending(k);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t sink_drain(struct sink *k, int stop_fd, int timeout_ms)
{
	long long end = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;

	while (sink_flush(k)) {
		struct pollfd pfd[2] = {
			{ .fd = k->fd, .events = POLLOUT },
			{ .fd = stop_fd, .events = POLLIN },
		};
		int wait = -1, n;

		if (timeout_ms >= 0) {
			long long left = end - now_ms();

			if (left <= 0)
				break;
			wait = (int)left;
		}
		n = poll(pfd, stop_fd >= 0 ? 2 : 1, wait);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && (pfd[1].revents & POLLIN))
			break;
		if (n > 0 && (pfd[0].revents & (POLLERR | POLLNVAL)) && !(pfd[0].revents & POLLOUT)) {
			k->err = EPIPE;
			drop_pending(k);
		}
	}
	return sink_pending(k);
}

void sink_close(struct sink *k)
{
	drop_pending(k);
	sb_free(&k->pending);
	if (k->restore_flags >= 0 && k->fd >= 0)
		fcntl(k->fd, F_SETFL, k->restore_flags);
	k->restore_flags = -1;
	k->fd = -1;
}
