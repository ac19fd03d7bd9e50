/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Where event output goes: a bounded buffer in front of a file descriptor
 * that is written without ever blocking. A reader that stops reading (a
 * paused pager, a stalled ssh session, "| sleep 60") must not keep etrace
 * from handling signals and detaching its probes, so the event loop
 * writes only what the descriptor takes right now and waits for it to be
 * writable again with epoll, like any other input.
 *
 * Pipes, FIFOs, terminals and character devices are reopened through
 * /proc/self/fd with O_NONBLOCK: a new open file description, so the
 * non-blocking mode is ours alone and the shell that shares the terminal
 * never sees it. Sockets are written with MSG_DONTWAIT. Regular files never
 * stall for long and are written as they are.
 */
#ifndef __ETRACE_SINK_H
#define __ETRACE_SINK_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct sink {
	int fd;			/* -1: closed */
	struct strbuf pending;	/* bytes not written yet: pending.buf[done..len) */
	size_t done;
	size_t limit;		/* sink_full() beyond this many pending bytes */
	bool nonblocking;	/* writes never block: wait for EPOLLOUT instead */
	bool socket;		/* send(MSG_DONTWAIT) */
	int restore_flags;	/* -1, or file status flags to put back at the end */
	int err;		/* the first write error (EPIPE: the reader went away) */
};

/*
 * Take over @fd (1 or 2) for writing. @limit bounds the bytes kept while
 * the reader is slow. After this, writes to @fd from anywhere in etrace
 * do not block. Returns 0 or -errno (EPIPE when a pipe has no reader).
 */
int sink_open(struct sink *k, int fd, size_t limit);

/* Queue bytes; they are written by sink_flush(). */
void sink_write(struct sink *k, const void *data, size_t len);

/*
 * Write what the descriptor takes now. Returns the bytes still pending;
 * k->err is set (and everything pending dropped) on a write error.
 */
size_t sink_flush(struct sink *k);

/*
 * Write everything, waiting for the descriptor to be writable, until it
 * is done or @stop_fd (a signalfd, or -1) becomes readable or @timeout_ms
 * (-1: none) passes. Returns the bytes still pending.
 */
size_t sink_drain(struct sink *k, int stop_fd, int timeout_ms);

static inline size_t sink_pending(const struct sink *k)
{
	return k->pending.len - k->done;
}

/* Too much is pending: the producer should wait for the reader. */
static inline bool sink_full(const struct sink *k)
{
	return sink_pending(k) >= k->limit;
}

/* Forget what is pending and put the descriptor's flags back. */
void sink_close(struct sink *k);

#endif /* __ETRACE_SINK_H */
