// SPDX-License-Identifier: BSD-2-Clause
/*
 * getppid_bench: the workload of bench/overhead.sh. Calls getppid(2) through
 * syscall(2) (no libc caching) and times itself with CLOCK_MONOTONIC, so the
 * figures exclude process start-up and exit.
 *
 *   getppid_bench N
 *	N calls in a tight loop. Prints one line:
 *	calls=N ns=TOTAL ns_per_call=X.XX cpu_ns_per_call=C.CC
 *	(ns: wall clock; cpu_ns: the thread's CPU time, which leaves out the
 *	time other processes had the CPU)
 *
 *   getppid_bench -r RATE -d SECONDS [-t TICK_US]
 *	Paced: every TICK_US microseconds (default 1000) wake up and call
 *	getppid until the total reaches RATE x elapsed time, then sleep to
 *	the next tick (absolute deadlines, so oversleeping is made up in the
 *	next batch). Prints one line:
 *	calls=N seconds=S rate=R target=RATE behind=MAX_BACKLOG cpu_ns_per_call=C
 *	where behind is the largest number of calls owed at a tick after its
 *	batch (0 when the generator kept up) and C is the thread's CPU time
 *	(CLOCK_THREAD_CPUTIME_ID: user and kernel, so BPF programs run in the
 *	system call too, and the sleeps' own cost) divided by the calls.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int number(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return !*s || *end || errno || *v < 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: getppid_bench N\n"
			"       getppid_bench -r RATE -d SECONDS [-t TICK_US]\n");
	return 2;
}

static long long cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int paced(double rate, double seconds, double tick_us)
{
	long long t0, c0, deadline, end, tick = (long long)(tick_us * 1000);
	long long calls = 0, behind = 0, t;
	struct timespec ts;

	if (tick < 1000 || rate <= 0)
		return usage();
	c0 = cpu_ns();
	t0 = now_ns();
	end = t0 + (long long)(seconds * 1e9);
	for (deadline = t0;; ) {
		long long due;

		t = now_ns();
		if (t >= end)
			break;
		due = (long long)((double)(t - t0) * rate / 1e9);
		while (calls < due) {
			syscall(SYS_getppid);
			calls++;
		}
		/* Owed now, after the batch: the generator is too slow. */
		due = (long long)((double)(now_ns() - t0) * rate / 1e9) - calls;
		if (due > behind)
			behind = due;
		deadline += tick;
		if (deadline > end)
			deadline = end;
		ts.tv_sec = deadline / 1000000000LL;
		ts.tv_nsec = deadline % 1000000000LL;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	t = now_ns() - t0;
	c0 = cpu_ns() - c0;
	printf("calls=%lld seconds=%.3f rate=%.0f target=%.0f behind=%lld cpu_ns_per_call=%.2f\n",
	       calls, (double)t / 1e9, (double)calls * 1e9 / (double)t, rate, behind,
	       calls ? (double)c0 / (double)calls : 0.0);
	return 0;
}

int main(int argc, char **argv)
{
	double n, rate = -1, seconds = -1, tick_us = 1000;
	long long t0, c0, t;

	if (argc == 2) {
		if (number(argv[1], &n))
			return usage();
		c0 = cpu_ns();
		t0 = now_ns();
		for (long long i = 0; i < (long long)n; i++)
			syscall(SYS_getppid);
		t = now_ns() - t0;
		c0 = cpu_ns() - c0;
		printf("calls=%lld ns=%lld ns_per_call=%.2f cpu_ns_per_call=%.2f\n", (long long)n, t,
		       n > 0 ? (double)t / n : 0.0, n > 0 ? (double)c0 / n : 0.0);
		return 0;
	}
	for (int i = 1; i < argc; i += 2) {
		double *v;

		if (!strcmp(argv[i], "-r"))
			v = &rate;
		else if (!strcmp(argv[i], "-d"))
			v = &seconds;
		else if (!strcmp(argv[i], "-t"))
			v = &tick_us;
		else
			return usage();
		if (i + 1 >= argc || number(argv[i + 1], v))
			return usage();
	}
	if (rate < 0 || seconds < 0)
		return usage();
	return paced(rate, seconds, tick_us);
}
