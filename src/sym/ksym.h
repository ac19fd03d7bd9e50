/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Kernel symbol resolution from /proc/kallsyms: address -> "name+0xoff"
 * and the module the symbol belongs to ("kernel" for the core image).
 * Loaded lazily, on the first lookup, so runs without stacks or %K never
 * read kallsyms.
 */
#ifndef __ETRACE_KSYM_H
#define __ETRACE_KSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ksyms;

/* @path is normally "/proc/kallsyms"; tests pass a fixture file. */
struct ksyms *ksyms__new(const char *path);
void ksyms__free(struct ksyms *ks);

struct ksym {
	const char *name;
	const char *module;	/* "kernel" or the module name */
	uint64_t addr;
};

/*
 * Symbol containing @addr (the nearest at or below it), or NULL when the
 * address is below the first symbol or kallsyms could not be read (e.g.
 * addresses hidden by kptr_restrict).
 */
const struct ksym *ksyms__lookup(struct ksyms *ks, uint64_t addr);

/*
 * Whether kallsyms at @path hides addresses (kptr_restrict, or no
 * CAP_SYSLOG): then every address prints as [unknown]. Reads one line.
 */
bool ksyms_hidden(const char *path);

/* Look a symbol up by name; NULL if absent. */
const struct ksym *ksyms__find(struct ksyms *ks, const char *name);

/* Like ksyms__find(), but only a symbol of @module ("kernel" for the core). */
const struct ksym *ksyms__find_in(struct ksyms *ks, const char *name, const char *module);

/* The @i-th symbol in address order, NULL past the end (for scans). */
const struct ksym *ksyms__at(struct ksyms *ks, size_t i);

/*
 * Format @addr as BCC does: "name+0xoff [module]" (with @show_module),
 * or "[unknown]". Returns the number of characters written (like snprintf).
 */
int ksyms__format(struct ksyms *ks, uint64_t addr, bool show_module,
		  char *buf, size_t len);

#endif /* __ETRACE_KSYM_H */
