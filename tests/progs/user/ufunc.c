// SPDX-License-Identifier: BSD-2-Clause
/*
 * ufunc [N] [MODE]: user-function fixture. Calls each probe target N times
 * (default 1) after a short pause that lets a tracer attach:
 *   uf_add(i, -7000000000)   -> returns i - 7000000000
 *   uf_name("ufunc-N")       -> returns its argument
 *   uf_leaf via uf_outer -> uf_middle -> uf_leaf (a stack to unwind)
 *   uf_lib(i) in libufunc.so, uf_dl(i) in libufunc_dl.so (dlopen'ed)
 * MODE "exit": _exit(0) right after the first call of uf_leaf.
 * MODE "slow": 50 ms between iterations (a process to attach to with -p).
 * Built static with NO_DLOPEN (the VM lab): no dlopen'ed library.
 * Prints "done" at the end.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int uf_lib(int x);

__attribute__((noinline)) long uf_add(int a, long b)
{
	__asm__ volatile("" ::: "memory");
	return a + b;
}

__attribute__((noinline)) const char *uf_name(const char *s)
{
	__asm__ volatile("" ::: "memory");
	return s;
}

static int exit_after_leaf;

__attribute__((noinline)) int uf_leaf(int x)
{
	__asm__ volatile("" ::: "memory");
	if (exit_after_leaf)
		_exit(0);
	return x * 2;
}

__attribute__((noinline)) int uf_middle(int x)
{
	return uf_leaf(x + 1) + 1;
}

__attribute__((noinline)) int uf_outer(int x)
{
	return uf_middle(x * 3) + 2;
}

int main(int argc, char **argv)
{
	const struct timespec pause = { 0, 100 * 1000 * 1000 };
	int n = argc > 1 ? atoi(argv[1]) : 1, sum = 0;
	int (*dl)(int) = NULL;
	char name[32];

	const struct timespec step = { 0, 50 * 1000 * 1000 };
	bool slow = argc > 2 && !strcmp(argv[2], "slow");

	exit_after_leaf = argc > 2 && !strcmp(argv[2], "exit");
	nanosleep(&pause, NULL);
#ifndef NO_DLOPEN
	void *h = dlopen("libufunc_dl.so", RTLD_NOW);

	if (h)
		dl = (int (*)(int))dlsym(h, "uf_dl");
#endif
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "ufunc-%d", i);
		sum += (int)uf_add(i, -7000000000L);
		sum += (int)strlen(uf_name(name));
		sum += uf_outer(i);
		sum += uf_lib(i);
		if (dl)
			sum += dl(i);
		if (slow)
			nanosleep(&step, NULL);
	}
	printf("done %d\n", sum & 1);
	return 0;
}
