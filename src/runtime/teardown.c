// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "providers/provider.h"
#include "runtime/aggmap.h"
#include "runtime/events.h"
#include "runtime/loader.h"
#include "runtime/maps.h"
#include "runtime/teardown.h"
#include "util.h"

/* Threads closing links; each waits out a grace period of its own. */
#define MAX_CLOSERS 64
#define CLOSER_STACK (64 * 1024)
/* Say what is going on when detaching takes longer than this. */
#define SLOW_DETACH_MS 1000
/* After a signal, how long a slow reader may take the last output. */
#define SIGNAL_OUTPUT_MS 100

void teardown_stop_recording(struct session *s)
{
	/*
	 * A program that read the flag just before it was set may still be
	 * writing: once those are done, every counter is final.
	 */
	if (maps_fd(s, MAP_CTL) >= 0 && !loader_set_recording(s, false))
		loader_wait_programs();
	/* After a signal, print what was recorded before it (if output keeps up). */
	if ((s->stop == STOP_SIGNAL || s->stop == STOP_TARGET) && s->rb && !sink_full(&s->out))
		events_consume(s);
	for (size_t i = 0; i < s->nprobes; i++) {
		struct probe *p = &s->probes[i];
		int n = (int)s->nprobes;

		p->rt.lost = loader_lost(s, p->id);
		if (!aggregating(&s->opt))
			continue;
		p->rt.kstack_lost = loader_lost(s, AGG_LOST_KSTACK * n + p->id);
		p->rt.ustack_lost = loader_lost(s, AGG_LOST_USTACK * n + p->id);
	}
}

/* Everything to close, taken over from the probes. */
struct detacher {
	struct session *s;
	int *links;
	size_t nlinks;
	int *perf;
	size_t nperf;
	atomic_size_t next_link;
	int wake_fd;		/* eventfd, written when all is closed */
};

static void close_slot(int *slot)
{
	int fd = __atomic_exchange_n(slot, -1, __ATOMIC_SEQ_CST);

	if (fd >= 0)
		close(fd);
}

static void *close_links(void *arg)
{
	struct detacher *d = arg;
	size_t i;

	while ((i = atomic_fetch_add(&d->next_link, 1)) < d->nlinks)
		close_slot(&d->links[i]);
	return NULL;
}

static void close_programs(struct session *s)
{
	for (size_t i = 0; i < s->nprobes; i++) {
		struct probe *p = &s->probes[i];

		for (size_t j = 0; j < p->rt.nprogs; j++)
			close_slot(&p->rt.progs[j]);
		p->rt.nprogs = 0;
	}
}

/* What outlives the descriptors (kprobe_events entries); -EBUSY if still in use. */
static int cleanup(struct session *s)
{
	int ret = 0;

	for (size_t i = 0; i < s->nprobes; i++) {
		const struct provider *pv = s->probes[i].prov;

		if (pv && pv->cleanup && pv->cleanup(&s->probes[i]) == -EBUSY)
			ret = -EBUSY;
	}
	return ret;
}

/* Close the links with a pool of threads, then the perf events in order. */
static void detach_all(struct detacher *d)
{
	pthread_t th[MAX_CLOSERS];
	pthread_attr_t attr;
	size_t want = d->nlinks < MAX_CLOSERS ? d->nlinks : MAX_CLOSERS, n = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, CLOSER_STACK);
	/* This thread closes links too. */
	for (; want > 1 && n < want - 1; n++)
		if (pthread_create(&th[n], &attr, close_links, d))
			break;
	pthread_attr_destroy(&attr);
	close_links(d);
	for (size_t i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	/*
	 * The kernel serialises perf event teardown on one mutex: closing
	 * them in parallel would only queue threads that a hand-off must
	 * then wait for.
	 */
	for (size_t i = 0; i < d->nperf; i++)
		close_slot(&d->perf[i]);
	cleanup(d->s);
	close_programs(d->s);
}

static void *detach_thread(void *arg)
{
	struct detacher *d = arg;
	uint64_t one = 1;

	detach_all(d);
	if (write(d->wake_fd, &one, sizeof(one)) < 0) {
		/* The main thread also polls; it will notice the join. */
	}
	return NULL;
}

static void collect(struct detacher *d, struct session *s)
{
	size_t nl = 0, np = 0;

	for (size_t i = 0; i < s->nprobes; i++) {
		nl += s->probes[i].rt.nlinks;
		np += s->probes[i].rt.nperf;
	}
	d->links = xcalloc(nl + 1, sizeof(int));
	d->perf = xcalloc(np + 1, sizeof(int));
	for (size_t i = 0; i < s->nprobes; i++) {
		struct probe_rt *rt = &s->probes[i].rt;

		for (size_t j = 0; j < rt->nlinks; j++)
			d->links[d->nlinks++] = rt->links[j];
		for (size_t j = 0; j < rt->nperf; j++)
			d->perf[d->nperf++] = rt->perf_fds[j];
		rt->nlinks = rt->nperf = 0;
	}
}

/*
 * Wait until process @pid has exited. Until then it holds references to the
 * same links and perf events, and the last reference is the slow one: the
 * child must not take the slow part off the parent only to hand it back.
 */
static void wait_for_exit(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (fd >= 0) {
		/* Readable once the process is a zombie: its files are closed by then. */
		while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
			;
		close(fd);
		return;
	}
	/* Before 5.3: reparenting happens after the files are closed. */
	while (getppid() == pid)
		usleep(10000);
}

/*
 * A second signal: a child process inherits what is still open, finishes
 * the job in the background, and we are free to exit. The child lets go of
 * the terminal and of the pipeline, so a reader sees the end of the output
 * at once.
 */
static int hand_off(struct detacher *d)
{
	pid_t parent = getpid(), pid = fork();
	int nul;

	if (pid < 0)
		return -errno;
	if (pid > 0)
		return 0;
	wait_for_exit(parent);
	setsid();
	nul = open("/dev/null", O_RDWR);
	for (int fd = 0; fd <= 2 && nul >= 0; fd++)
		dup2(nul, fd);
	if (nul > 2)
		close(nul);
	atomic_store(&d->next_link, 0);
	close_links(d);
	for (size_t i = 0; i < d->nperf; i++)
		close_slot(&d->perf[i]);
	/* Our parent may still hold a perf event for a moment: retry. */
	for (int tries = 0; tries < 20 && cleanup(d->s) == -EBUSY; tries++)
		usleep(100000);
	_exit(0);
}

/* Waits for the detach thread; returns TEARDOWN_HANDED_OFF on a second signal. */
static int wait_detached(struct session *s, struct detacher *d, size_t nprobes)
{
	uint64_t start = mono_ns();
	bool told = false;

	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = d->wake_fd, .events = POLLIN },
			{ .fd = s->sig_fd, .events = POLLIN },
			{ .fd = s->out.fd, .events = POLLOUT },
		};
		int elapsed = (int)((mono_ns() - start) / 1000000), n;
		int timeout = told ? -1 : elapsed >= SLOW_DETACH_MS ? 0 : SLOW_DETACH_MS - elapsed;

		n = poll(pfd, sink_pending(&s->out) && s->out.nonblocking ? 3 : 2, timeout);
		if (n < 0 && errno != EINTR)
			return 0;
		if (n == 0 && !told) {
			pr_err("detaching %zu probes... (interrupt again to finish in the background)",
			       nprobes);
			told = true;
		}
		if (n > 0 && (pfd[0].revents & POLLIN))
			return 0;
		if (n > 0 && (pfd[1].revents & POLLIN) && events_take_signal(s) &&
		    hand_off(d) == 0)
			return TEARDOWN_HANDED_OFF;
		if (n > 0 && (pfd[2].revents & (POLLOUT | POLLERR)))
			sink_flush(&s->out);
	}
}

int teardown_detach(struct session *s)
{
	struct detacher d = { .s = s, .wake_fd = -1 };
	pthread_t th;
	int ret = 0;

	collect(&d, s);
	/* A few descriptors: no thread, no second-signal window worth having. */
	if (d.nlinks + d.nperf <= 2 || s->sig_fd < 0 ||
	    (d.wake_fd = eventfd(0, EFD_CLOEXEC)) < 0 ||
	    pthread_create(&th, NULL, detach_thread, &d)) {
		detach_all(&d);
	} else {
		ret = wait_detached(s, &d, s->nprobes);
		if (ret == TEARDOWN_HANDED_OFF)
			return ret;	/* the threads end with the process */
		pthread_join(th, NULL);
	}
	if (d.wake_fd >= 0)
		close(d.wake_fd);
	free(d.links);
	free(d.perf);
	return ret;
}

void teardown_flush_output(struct session *s)
{
	int timeout = -1;

	switch (s->stop) {
	case STOP_SIGNAL: {
		uint64_t since = (mono_ns() - s->stop_mono_ns) / 1000000;

		/* Counts are what the user stopped for: all of them (until a second signal). */
		if (aggregating(&s->opt))
			break;
		timeout = since >= SIGNAL_OUTPUT_MS ? 0 : SIGNAL_OUTPUT_MS - (int)since;
		break;
	}
	case STOP_DURATION:
	case STOP_MAX_EVENTS:
	case STOP_TARGET:
	case STOP_NONE:
		break;
	default:
		return;
	}
	sink_drain(&s->out, s->sig_fd, timeout);
}

/* An entry probe's "lost" are calls its return probe could not time. */
static void report_not_timed(const struct probe *p)
{
	if (p->rt.lost)
		pr_err("probe %d: %llu calls not timed: more than %d nested calls, or "
		       "more than %d threads in calls at once", p->spec.index,
		       (unsigned long long)p->rt.lost, MAPS_ENTRY_DEPTH, MAPS_ENTRY_MAX);
}

/*
 * Counting: what was counted, and what was not. The map may be full (the
 * event is not counted), the stack maps may be (the event is counted
 * without its stack, which prints as lost).
 */
static void report_counted(struct session *s)
{
	unsigned long long lost = 0, kst = 0, ust = 0;

	for (size_t i = 0; i < s->nprobes; i++) {
		const struct probe_rt *rt = &s->probes[i].rt;

		if (s->probes[i].ret_of) {
			report_not_timed(&s->probes[i]);
			continue;
		}
		lost += rt->lost;
		kst += rt->kstack_lost;
		ust += rt->ustack_lost;
		if (!s->opt.verbose)
			continue;
		fprintf(stderr, "probe %d: %llu events counted, %llu not counted",
			s->probes[i].spec.index, (unsigned long long)rt->seen,
			(unsigned long long)rt->lost);
		if (s->opt.kstack)
			fprintf(stderr, ", %llu without their kernel stack",
				(unsigned long long)rt->kstack_lost);
		if (s->opt.ustack)
			fprintf(stderr, ", %llu without their user stack",
				(unsigned long long)rt->ustack_lost);
		fputc('\n', stderr);
	}
	if (lost)
		pr_err("%llu events not counted: the aggregation map is full (raise --map-entries, "
		       "now %u)", lost, agg_entries(&s->opt));
	if (kst || ust)
		pr_err("%llu kernel and %llu user stacks not kept: the stack map is full or "
		       "another stack holds their bucket (raise --map-entries)", kst, ust);
}

static void report_lost(struct session *s)
{
	unsigned long long total = 0;

	for (size_t i = 0; i < s->nprobes; i++) {
		const struct probe *p = &s->probes[i];

		if (p->ret_of) {
			report_not_timed(p);
			continue;
		}
		total += p->rt.lost;
		if (s->opt.verbose)
			fprintf(stderr, "probe %d: %llu events, %llu lost\n", p->spec.index,
				(unsigned long long)p->rt.seen, (unsigned long long)p->rt.lost);
	}
	if (total)
		pr_err("lost %llu events", total);
}

void teardown_report(struct session *s, bool handed_off)
{
	struct sink err;

	/* A stalled stderr must not hold up the exit either. */
	sink_open(&err, STDERR_FILENO, 0);
	if (aggregating(&s->opt))
		report_counted(s);
	else
		report_lost(s);
	if (handed_off)
		pr_err("interrupted again: the remaining probes are detached in the background");
	sink_close(&err);
}
