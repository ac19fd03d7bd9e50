// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "output/text.h"
#include "runtime/events.h"
#include "util.h"

enum { EV_SIGNAL = 1, EV_RING, EV_STDOUT };

int events_setup_signals(struct session *s)
{
	sigset_t set;

	/* A closed stdout must show up as EPIPE from write, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/* Signals whose default is to die: end cleanly, detaching everything. */
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGALRM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return ERR_RUNTIME;
	s->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sig_fd < 0) {
		pr_err("cannot create a signalfd: %s", strerror(errno));
		return ERR_RUNTIME;
	}
	return 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;

	if (output_event(s, data, size) || s->out_broken) {
		s->done = true;
		/* A negative value makes libbpf stop consuming right here. */
		return -ECANCELED;
	}
	return 0;
}

static int epoll_add(struct session *s, int fd, uint32_t events, int tag)
{
	struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)tag };

	return epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

int events_open(struct session *s)
{
	s->rb = ring_buffer__new(s->events_fd, on_record, s, NULL);
	if (!s->rb) {
		pr_err("cannot read the ring buffer: %s", strerror(errno));
		return ERR_RUNTIME;
	}
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epoll_fd < 0 ||
	    epoll_add(s, s->sig_fd, EPOLLIN, EV_SIGNAL) ||
	    epoll_add(s, ring_buffer__epoll_fd(s->rb), EPOLLIN, EV_RING)) {
		pr_err("cannot set up epoll: %s", strerror(errno));
		return ERR_RUNTIME;
	}
	/*
	 * A pipe whose reader went away reports EPOLLERR on our end, so
	 * "etrace ... | head -1" ends even when no further event comes.
	 * Regular files and terminals cannot be polled; that is fine.
	 */
	epoll_add(s, STDOUT_FILENO, 0, EV_STDOUT);
	return 0;
}

static void flush_stdout(struct session *s)
{
	if (fflush(stdout) == EOF) {
		s->out_broken = true;
		s->out_errno = errno;
	}
}

/*
 * Producers wake the reader only when it has caught up. A reader that
 * drains a busy buffer the moment it is woken keeps catching up, so the
 * traced tasks pay for a wakeup every few dozen events. After a large
 * batch the reader lets the next one build up for a millisecond: at a
 * million events a second that is a few hundred kilobytes of buffer, and
 * wakeups fall to at most a thousand a second.
 */
#define BUSY_BATCH 8
#define BUSY_PAUSE_NS 1000000

static void let_batch_build(void)
{
	struct timespec ts = { .tv_nsec = BUSY_PAUSE_NS };

	nanosleep(&ts, NULL);
}

int events_loop(struct session *s)
{
	struct epoll_event evs[4];
	bool busy = false;

	while (!s->done && !s->out_broken) {
		int n;

		if (busy)
			let_batch_build();
		busy = false;
		n = epoll_wait(s->epoll_fd, evs, ARRAY_SIZE(evs), -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pr_err("epoll_wait: %s", strerror(errno));
			return ERR_RUNTIME;
		}
		for (int i = 0; i < n && !s->done; i++) {
			switch (evs[i].data.u32) {
			case EV_SIGNAL:
				s->done = true;
				break;
			case EV_STDOUT:
				s->out_broken = true;
				break;
			case EV_RING:
				busy = ring_buffer__consume(s->rb) >= BUSY_BATCH;
				break;
			}
		}
		/* One write per batch of records: timely when piped, cheap when busy. */
		flush_stdout(s);
	}
	return 0;
}
