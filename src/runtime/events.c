// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "output/aggregate.h"
#include "output/output.h"
#include "runtime/aggmap.h"
#include "runtime/events.h"
#include "runtime/maps.h"
#include "util.h"

enum { EV_SIGNAL = 1, EV_RING, EV_STDOUT, EV_TARGET, EV_DURATION, EV_INTERVAL };

/* Bytes of output kept for a slow reader before the ring buffer is left to fill. */
#define OUTPUT_LIMIT (4u << 20)

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

bool events_take_signal(struct session *s)
{
	struct signalfd_siginfo si;
	bool got = false;

	/* Read them all: the descriptor stays readable until then. */
	while (read(s->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		got = true;
	return got;
}

void events_stop(struct session *s, enum stop_reason why)
{
	if (s->stop != STOP_NONE)
		return;
	s->stop = why;
	s->stop_mono_ns = mono_ns();
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;

	/* Counting in the kernel: the one record says -M is reached. */
	if (aggregating(&s->opt)) {
		events_stop(s, STOP_MAX_EVENTS);
		return -ECANCELED;
	}

	if (output_event(s, data, size)) {
		events_stop(s, STOP_MAX_EVENTS);
		/* A negative value makes libbpf stop consuming right here. */
		return -ECANCELED;
	}
	/* The reader is slow: stop taking records until it catches up. */
	if (sink_full(&s->out))
		return -EAGAIN;
	return 0;
}

static int epoll_set(struct session *s, int op, int fd, uint32_t events, int tag)
{
	struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)tag };

	return epoll_ctl(s->epoll_fd, op, fd, &ev);
}

/* -d, -i: a timer in the epoll set, armed when the loop starts. */
static int add_timer(struct session *s, uint64_t ns, int *fd, int tag)
{
	if (!ns)
		return 0;
	*fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (*fd < 0)
		return -1;
	return epoll_set(s, EPOLL_CTL_ADD, *fd, EPOLLIN, tag);
}

static int arm_timer(int fd, uint64_t ns, bool periodic)
{
	struct itimerspec it = { 0 };

	if (fd < 0)
		return 0;
	it.it_value.tv_sec = (time_t)(ns / 1000000000u);
	it.it_value.tv_nsec = (long)(ns % 1000000000u);
	if (periodic)
		it.it_interval = it.it_value;
	return timerfd_settime(fd, 0, &it, NULL);
}

/* Expirations of a timer since it was last read (0 when none). */
static uint64_t take_timer(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return 0;
	return n;
}

/* -i: the counts of the interval that ended. */
static void on_interval(struct session *s)
{
	if (!take_timer(s->interval_fd))
		return;
	if (aggregate_print(s, true))
		events_stop(s, STOP_ERROR);
}

int events_open(struct session *s)
{
	int ret = sink_open(&s->out, STDOUT_FILENO, OUTPUT_LIMIT);

	if (ret == -EPIPE) {
		/* "etrace ... | true": nobody will read; nothing to do. */
		s->out.err = EPIPE;
	} else if (ret) {
		pr_err("cannot use the standard output: %s", strerror(-ret));
		return ERR_RUNTIME;
	}
	s->rb = ring_buffer__new(maps_fd(s, MAP_EVENTS), on_record, s, NULL);
	if (!s->rb) {
		pr_err("cannot read the ring buffer: %s", strerror(errno));
		return ERR_RUNTIME;
	}
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epoll_fd < 0 ||
	    epoll_set(s, EPOLL_CTL_ADD, s->sig_fd, EPOLLIN, EV_SIGNAL) ||
	    epoll_set(s, EPOLL_CTL_ADD, ring_buffer__epoll_fd(s->rb), EPOLLIN, EV_RING)) {
		pr_err("cannot set up epoll: %s", strerror(errno));
		return ERR_RUNTIME;
	}
	/*
	 * A pipe whose reader went away reports EPOLLERR on our end, so
	 * "etrace ... | head -1" ends even when no further event comes.
	 * Regular files cannot be polled and never stall; that is fine.
	 */
	s->out_polled = !epoll_set(s, EPOLL_CTL_ADD, STDOUT_FILENO, 0, EV_STDOUT);
	if (add_timer(s, s->opt.duration_ns, &s->duration_fd, EV_DURATION) ||
	    add_timer(s, s->opt.interval_ns, &s->interval_fd, EV_INTERVAL)) {
		pr_err("cannot set up a timer: %s", strerror(errno));
		return ERR_RUNTIME;
	}
	/* -p: when the process is gone, so is the trace (what it recorded is printed). */
	if (s->opt.pid) {
		s->target_fd = (int)syscall(SYS_pidfd_open, s->opt.pid, 0);
		if (s->target_fd >= 0)
			epoll_set(s, EPOLL_CTL_ADD, s->target_fd, EPOLLIN, EV_TARGET);
	}
	return 0;
}

/*
 * While output is pending, wait for stdout to take more; while too much is
 * pending, leave the ring buffer alone (it fills, and the kernel counts
 * what it cannot take as lost) so that memory stays bounded.
 */
static void update_interest(struct session *s)
{
	bool pause = sink_full(&s->out);
	bool want_out = sink_pending(&s->out) > 0;

	if (pause != s->ring_paused) {
		epoll_set(s, EPOLL_CTL_MOD, ring_buffer__epoll_fd(s->rb), pause ? 0 : EPOLLIN,
			  EV_RING);
		s->ring_paused = pause;
	}
	if (s->out_polled && want_out != s->out_waiting) {
		epoll_set(s, EPOLL_CTL_MOD, STDOUT_FILENO, want_out ? EPOLLOUT : 0, EV_STDOUT);
		s->out_waiting = want_out;
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

static void on_stdout(struct session *s, uint32_t events)
{
	if (events & EPOLLOUT)
		sink_flush(&s->out);
	else if (events & (EPOLLERR | EPOLLHUP))
		s->out.err = EPIPE;
}

int events_consume(struct session *s)
{
	int n = ring_buffer__consume(s->rb);

	return n < 0 && n != -ECANCELED && n != -EAGAIN ? n : 0;
}

int events_loop(struct session *s)
{
	struct epoll_event evs[8];
	bool busy = false;

	if (s->out.err)
		events_stop(s, STOP_OUTPUT);
	/* -d and -i count from now: every probe records. */
	if (arm_timer(s->duration_fd, s->opt.duration_ns, false) ||
	    arm_timer(s->interval_fd, s->opt.interval_ns, true)) {
		pr_err("cannot start a timer: %s", strerror(errno));
		events_stop(s, STOP_ERROR);
		return ERR_RUNTIME;
	}
	while (s->stop == STOP_NONE) {
		int n;

		update_interest(s);
		if (busy)
			let_batch_build();
		busy = false;
		n = epoll_wait(s->epoll_fd, evs, ARRAY_SIZE(evs), -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pr_err("epoll_wait: %s", strerror(errno));
			events_stop(s, STOP_ERROR);
			return ERR_RUNTIME;
		}
		for (int i = 0; i < n && s->stop == STOP_NONE; i++) {
			switch (evs[i].data.u32) {
			case EV_SIGNAL:
				if (events_take_signal(s))
					events_stop(s, STOP_SIGNAL);
				break;
			case EV_STDOUT:
				on_stdout(s, evs[i].events);
				break;
			case EV_TARGET:
				events_stop(s, STOP_TARGET);
				break;
			case EV_DURATION:
				if (take_timer(s->duration_fd))
					events_stop(s, STOP_DURATION);
				break;
			case EV_INTERVAL:
				on_interval(s);
				break;
			case EV_RING: {
				int got = ring_buffer__consume(s->rb);

				busy = got >= BUSY_BATCH;
				break;
			}
			}
		}
		/* One write per batch of records: timely when piped, cheap when busy. */
		sink_flush(&s->out);
		if (s->out.err)
			events_stop(s, STOP_OUTPUT);
	}
	return s->stop == STOP_ERROR ? ERR_RUNTIME : 0;
}
