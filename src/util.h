/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Small helpers shared by every module: allocation that cannot fail
 * silently, messages on stderr, string utilities and the edit distance
 * behind "did you mean" suggestions.
 */
#ifndef __ETRACE_UTIL_H
#define __ETRACE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes: usage errors (bad options, bad probe specs) and runtime errors. */
#define EXIT_USAGE 2
#define EXIT_RUNTIME 1

/*
 * Internal error convention: functions return 0 on success or one of these
 * after printing their one-line message; main() maps them to exit codes.
 */
enum {
	ERR_RUNTIME = -1,	/* exit 1 */
	ERR_USAGE = -2,		/* exit 2: bad option, spec or target name */
};

/* Allocation helpers: abort with a message when memory runs out. */
void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Grow an array so that it can hold at least @need elements of @elem_size;
 * *@cap is updated.
 */
void *grow_array(void *arr, size_t *cap, size_t need, size_t elem_size);

/* "etrace: <message>\n" on stderr. */
void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Verbose-only messages, printed on stderr when @verbose is set. */
void pr_verbose(bool verbose, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Levenshtein distance between two strings, capped at @cap. */
int edit_distance(const char *a, const char *b, int cap);

/*
 * Keeps the closest candidate seen so far for a "did you mean" hint.
 * Feed candidates with suggest_add(), then read ->best (NULL if nothing
 * was close enough).
 */
struct suggest {
	const char *word;
	char *best;
	int best_dist;
	int max_dist;
};

void suggest_init(struct suggest *s, const char *word);
void suggest_add(struct suggest *s, const char *candidate);
void suggest_free(struct suggest *s);

/* Read a whole (small, e.g. procfs/tracefs) file; NULL with errno on failure. */
char *read_file(const char *path, size_t *len);

/* Parse a non-negative decimal or 0x hex integer; false if malformed. */
bool parse_u64(const char *s, unsigned long long *out);

#endif /* __ETRACE_UTIL_H */
