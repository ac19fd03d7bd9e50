// SPDX-License-Identifier: BSD-2-Clause
/*
 * jit [N]: a program that generates code at run time, as JIT compilers do,
 * and describes it in /tmp/perf-PID.map. The generated function
 * "jitted_trampoline" calls jit_middle(), which calls jit_target() (a
 * normal function, to probe), N times: a user stack from jit_target goes
 * through the generated code. The map file stays (a JIT keeps it for its
 * lifetime, tracers read it after the process exits): the caller removes
 * it. The program lingers a little before exiting, as a JIT would.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) int jit_target(int x)
{
	__asm__ volatile("" ::: "memory");
	return x + 1;
}

__attribute__((noinline)) int jit_middle(int x)
{
	return jit_target(x) + 1;
}

int main(int argc, char **argv)
{
	const struct timespec pause = { 0, 100 * 1000 * 1000 };
	/* push %rbp; mov %rsp,%rbp; movabs $target,%rax; mov $1,%edi; call *%rax; pop %rbp; ret */
	unsigned char code[] = { 0x55, 0x48, 0x89, 0xe5, 0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
				 0xbf, 1, 0, 0, 0, 0xff, 0xd0, 0x5d, 0xc3 };
	uintptr_t target = (uintptr_t)jit_middle;
	int n = argc > 1 ? atoi(argv[1]) : 1, sum = 0;
	char path[64];
	FILE *map;
	void *mem;

	memcpy(code + 6, &target, 8);
	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	memcpy(mem, code, sizeof(code));
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	map = fopen(path, "w");
	if (!map)
		return 1;
	fprintf(map, "%lx %zx jitted_trampoline\n", (unsigned long)(uintptr_t)mem, sizeof(code));
	fclose(map);
	nanosleep(&pause, NULL);
	for (int i = 0; i < n; i++)
		sum += ((int (*)(void))mem)();
	nanosleep(&pause, NULL);
	printf("done %d %s\n", sum, path);
	return 0;
}
