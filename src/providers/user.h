/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * User-space probes: what the function provider (uprobe.c) and the USDT
 * provider (usdt.c) share. Both attach uprobes at file offsets: through the
 * perf uprobe PMU (one perf event per location, with the semaphore's
 * offset as the kernel's reference counter), or, as a last resort, through
 * tracefs uprobe_events, whose entries are removed on every exit path.
 */
#ifndef __ETRACE_USER_H
#define __ETRACE_USER_H

#include <stdint.h>

#include "providers/provider.h"
#include "session.h"
#include "sym/elf.h"

/* One place a program attaches to. */
struct uloc {
	uint64_t vaddr;		/* in the file's address space */
	uint64_t offset;	/* in the file: what the kernel wants */
	uint64_t ref_ctr;	/* file offset of a USDT semaphore, 0: none */
	const struct elf_usdt *note;	/* USDT: its note (arguments) */
};

/* The state both user providers keep for a probe. */
struct uprobe {
	char *path;		/* the file, as opened (through /proc/PID/root with -p) */
	struct elf_file elf;
	char *what;		/* "readline in /usr/bin/bash", for messages */
	struct uloc *locs;
	size_t nlocs;
	bool is_return;
	bool usdt;
	int cur;		/* the location a program is built for, -1: any */
	const char *mech;	/* "uprobe" or "uprobe-legacy" */
	char **legacy_events;	/* uprobe_events entries, emptied once removed */
	size_t nlegacy, legacy_cap;
	char *legacy_file;
};

static inline struct uprobe *up_of(const struct probe *p)
{
	return p->priv;
}

/*
 * Find the file of @p's spec (library, binary, path; with -p as the
 * process sees it) and read it: p->priv becomes a struct uprobe. Messages
 * name the probe and column. 0 or ERR_*.
 */
int user_open(struct session *s, struct probe *p);

/*
 * Build (per location when @per_loc: USDT arguments differ) and attach
 * every location of @p. 0 or ERR_* with the message printed.
 */
int user_install(struct session *s, struct probe *p, bool per_loc);

/* Provider operations both share. */
int user_cleanup(struct probe *p);
void user_free(struct probe *p);
/*
 * provider->list for both: @pattern is "p:LIBRARY:GLOB" (functions) or
 * "u:LIBRARY:GLOB" (USDT probes, listed as u:LIBRARY:PROVIDER:NAME).
 */
int user_list(struct session *s, const char *pattern, bool usdt, const struct lister *l);

/* provider->probe_offset: the file offset of the location being built. */
long long user_probe_offset(const struct probe *p);
void user_describe(const struct probe *p, char *buf, size_t len);
const char *user_file(const struct probe *p);
void user_ctx_reg(const struct probe *p, const char *name, struct loc *out);
void user_entry_ret(const struct probe *p, struct loc *out);

#endif /* __ETRACE_USER_H */
