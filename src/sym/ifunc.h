/* SPDX-License-Identifier: BSD-2-Clause */
/* The implementation of an IFUNC that a running process resolved. */
#ifndef __ETRACE_IFUNC_H
#define __ETRACE_IFUNC_H
#include <sys/types.h>

#include "sym/elf.h"

/*
 * @lib (opened through /proc/@pid/root) defines IFUNC @name whose resolver
 * is at @resolver. Find the function process @pid calls for it, from the
 * GOT slots the dynamic linker filled: *@impl is its address in @lib's
 * virtual address space. 0, or
 * -ENOENT when no slot holds it yet (lazy binding, never called) or the
 * process cannot be read.
 */
int ifunc_resolved(pid_t pid, const struct elf_file *lib, const char *name, uint64_t resolver,
		   uint64_t *impl);

#endif /* __ETRACE_IFUNC_H */
