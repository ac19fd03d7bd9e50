// SPDX-License-Identifier: BSD-2-Clause
/*
 * timed: calls that take a known time, for $latency and $entry().
 *
 *   timed work MS...          work(ms) for each MS: sleeps MS ms, returns MS
 *   timed recurse DEPTH MS    rec(DEPTH, MS): sleeps MS ms at each level,
 *                             then calls rec(DEPTH - 1), down to 1
 *   timed threads MS          two threads at once: work(MS) and work(2 * MS)
 *   timed die MS              a thread enters hang(MS) and exits inside it,
 *                             then main calls work(MS)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts))
		;
}

__attribute__((noinline)) long work(long ms)
{
	sleep_ms(ms);
	return ms;
}

__attribute__((noinline)) long rec(long depth, long ms)
{
	sleep_ms(ms);
	if (depth > 1)
		rec(depth - 1, ms);
	/* Not a tail call: each level returns on its own. */
	__asm__ volatile("" ::: "memory");
	return depth;
}

/* Never returns: the thread ends inside it. */
__attribute__((noinline)) long hang(long ms)
{
	sleep_ms(ms);
	syscall(SYS_exit, 0);
	return ms;
}

static void *run_work(void *arg)
{
	work((long)arg);
	return NULL;
}

static void *run_hang(void *arg)
{
	hang((long)arg);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t a, b;
	long ms;

	if (argc < 3)
		goto usage;
	ms = atol(argv[argc == 4 ? 3 : 2]);
	if (!strcmp(argv[1], "work")) {
		for (int i = 2; i < argc; i++)
			work(atol(argv[i]));
	} else if (!strcmp(argv[1], "recurse") && argc == 4) {
		rec(atol(argv[2]), ms);
	} else if (!strcmp(argv[1], "threads")) {
		pthread_create(&a, NULL, run_work, (void *)ms);
		pthread_create(&b, NULL, run_work, (void *)(2 * ms));
		pthread_join(a, NULL);
		pthread_join(b, NULL);
	} else if (!strcmp(argv[1], "die")) {
		pthread_create(&a, NULL, run_hang, (void *)ms);
		pthread_join(a, NULL);
		work(ms);
	} else {
		goto usage;
	}
	return 0;
usage:
	fprintf(stderr, "usage: timed work MS... | recurse DEPTH MS | threads MS | die MS\n");
	return 2;
}
