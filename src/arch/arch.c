// SPDX-License-Identifier: BSD-2-Clause
#include <elf.h>
#include <string.h>

#include "arch/arch.h"

extern const struct arch arch_x86_64;
extern const struct arch arch_arm64;

static const struct arch *const arches[] = { &arch_x86_64, &arch_arm64 };

#define NARCHES (sizeof(arches) / sizeof(arches[0]))

const struct arch *arch_current(void)
{
#if defined(__x86_64__)
	return &arch_x86_64;
#elif defined(__aarch64__)
	return &arch_arm64;
#else
#error "etrace has no register table for this architecture (see src/arch)"
#endif
}

const struct arch *arch_by_name(const char *name)
{
	for (size_t i = 0; i < NARCHES; i++)
		if (!strcmp(arches[i]->name, name) || !strcmp(arches[i]->uname, name))
			return arches[i];
	return NULL;
}

const struct arch *arch_by_machine(int em)
{
	for (size_t i = 0; i < NARCHES; i++)
		if (arches[i]->elf_machine == em)
			return arches[i];
	return NULL;
}

static const struct arch_reg *find(const struct arch_reg *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

const struct arch_reg *arch_field(const struct arch *a, const char *name)
{
	return find(a->fields, a->nfields, name);
}

const struct arch_reg *arch_reg(const struct arch *a, const char *name)
{
	return find(a->regs, a->nregs, name);
}

const struct arch_syscall_abi *arch_syscall_abi(const struct arch *a, const char *func)
{
	for (size_t i = 0; i < a->nsyscalls; i++)
		if (!strncmp(func, a->syscalls[i].prefix, strlen(a->syscalls[i].prefix)))
			return &a->syscalls[i];
	return NULL;
}
