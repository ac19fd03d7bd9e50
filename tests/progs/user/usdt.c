// SPDX-License-Identifier: BSD-2-Clause
/*
 * usdt [N]: USDT fixture (sys/sdt.h). Fires etrace_test:args (i, l, s, c,
 * *p, str), etrace_test:mem (an array element through base+index*8, a
 * %rip-relative char, a local, a constant) and etrace_test:inlined at two
 * places, and etrace_test:regs (values in r10d, r8b and cx, or x10, x8 and
 * x2 on aarch64, and a function pointer: args), N times. Every probe has a
 * semaphore; "semaphore set" is printed when etrace_test:args is being
 * traced.
 */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

unsigned short etrace_test_args_semaphore __attribute__((unused, section(".probes")));
unsigned short etrace_test_inlined_semaphore __attribute__((unused, section(".probes")));
unsigned short etrace_test_mem_semaphore __attribute__((unused, section(".probes")));
unsigned short etrace_test_regs_semaphore __attribute__((unused, section(".probes")));
char gch = 'g';
long garr[8] = { 10, 11, 12, 13, 14, 15, 16, 17 };

static inline void inlined(int v)
{
	DTRACE_PROBE1(etrace_test, inlined, v);
}

__attribute__((noinline)) void args(int i, long l, short s, signed char c, long *p, const char *str)
{
	long local = l * 3;
	DTRACE_PROBE6(etrace_test, args, i, l, s, c, *p, str);
	DTRACE_PROBE5(etrace_test, mem, garr[i & 7], gch, local, 42, garr[(i & 3) + 2]);
	if (etrace_test_args_semaphore)
		printf("semaphore set\n");
}

/*
 * Operands in registers chosen here: on x86-64 as their narrow parts (%r10d,
 * %r8b, %cx), on aarch64 in x10, x8 and x2 (notes name whole registers there).
 */
#if defined(__aarch64__)
#define REG_A "x10"
#define REG_B "x8"
#define REG_C "x2"
#else
#define REG_A "r10"
#define REG_B "r8"
#define REG_C "rcx"
#endif
__attribute__((noinline)) void regs(int v)
{
	register int r10v __asm__(REG_A) = v * 3;
	register signed char r8v __asm__(REG_B) = (signed char)(v - 100);
	register short cxv __asm__(REG_C) = (short)(v * -100);

	DTRACE_PROBE4(etrace_test, regs, r10v, r8v, cxv, &args);
}

int main(int argc, char **argv)
{
	const struct timespec pause = { 0, 100 * 1000 * 1000 };
	long x = 1234567890123L;
	int n = argc > 1 ? atoi(argv[1]) : 1;
	char str[8];

	/* On the stack: a probe cannot fault in a page no one has touched yet. */
	strcpy(str, "hello");
	nanosleep(&pause, NULL);
	for (int k = 0; k < n; k++) {
		args(k - 5, -7000000000L, -300, -9, &x, str);
		inlined(k);
		inlined(k * 2);
		regs(k + 7);
	}
	return 0;
}
