/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Names from older kernels and their documentation that still work: kernel
 * functions that were renamed or inlined, types that were removed, and
 * struct members that headers reach through macros BTF does not have
 * (sk->sk_dport). One table (renames.c), each entry with the kernel version
 * that changed it; callers check that the new name exists here before using
 * it, and print rename_notice() so that nobody is surprised.
 */
#ifndef __ETRACE_RENAMES_H
#define __ETRACE_RENAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "session.h"

enum rename_kind {
	RN_FUNCTION,	/* a kernel function */
	RN_TYPE,	/* "struct timespec" */
	RN_MEMBER,	/* a member of struct @scope; the new name may be a path "a.b" */
};

struct rename {
	enum rename_kind kind;
	const char *scope;	/* RN_MEMBER: the struct's name */
	/* The old and new name; "prefix*" and "other*" rename every such name. */
	const char *from, *to;
	/* The old name still exists but is not what it was (a probe never fires). */
	bool even_if_present;
	const char *since;	/* "5.6": the kernel that changed it; NULL: header macros */
	const char *why;
};

/*
 * The first entry that renames @name (of @kind; in struct @scope for
 * members) to something @exists on this kernel, with the new name written
 * to @out; NULL if none. @present: the old name exists on this kernel
 * (most entries apply only when it does not).
 */
const struct rename *rename_find(enum rename_kind kind, const char *scope, const char *name,
				 bool present, bool (*exists)(void *ctx, const char *to),
				 void *ctx, char *out, size_t len);

/* The old name of new name @to under entry @r ("__sk_common.skc_dport" -> "sk_dport"). */
bool rename_reverse(const struct rename *r, const char *to, char *out, size_t len);

/*
 * Say once per run, on stderr, that probe @index used @to for @from; with
 * -v also why.
 */
void rename_notice(struct session *s, int index, int col, const struct rename *r,
		   const char *from, const char *to);

#endif /* __ETRACE_RENAMES_H */
