// SPDX-License-Identifier: BSD-2-Clause
#include <string.h>

#include "arch/arch.h"

extern const struct arch arch_x86_64;

const struct arch *arch_current(void)
{
#if defined(__x86_64__)
	return &arch_x86_64;
#else
#error "etrace has no register table for this architecture (see src/arch)"
#endif
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
