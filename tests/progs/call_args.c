// SPDX-License-Identifier: BSD-2-Clause
/*
 * call_args [ITER]: call etrace_fixture_target(1, 42, "hello") ITER times
 * (default once). The target is not inlined, keeps its symbol and a frame
 * pointer, for uprobe tests of arguments, return values and user stacks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__)
#define NO_IPA __attribute__((noipa))	/* no clones, no constant folding */
#else
#define NO_IPA
#endif

int etrace_fixture_target(int a, long b, const char *s);

__attribute__((noinline, used)) NO_IPA
int etrace_fixture_target(int a, long b, const char *s)
{
	/* Keep the call and its arguments observable. */
	__asm__ volatile("" : : "r"(a), "r"(b), "r"(s) : "memory");
	return a + (int)b + (int)strlen(s);
}

__attribute__((noinline)) NO_IPA static int etrace_fixture_caller(long iter)
{
	int sum = 0;

	for (long i = 0; i < iter; i++)
		sum += etrace_fixture_target(1, 42, "hello");
	return sum;
}

int main(int argc, char **argv)
{
	long iter = 1;
	char *end;

	if (argc > 2)
		goto usage;
	if (argc == 2) {
		errno = 0;
		iter = strtol(argv[1], &end, 10);
		if (!*argv[1] || *end || errno || iter < 0)
			goto usage;
	}
	return etrace_fixture_caller(iter) == 48 * iter ? 0 : 1;
usage:
	fprintf(stderr, "usage: call_args [ITER]\n");
	return 2;
}
