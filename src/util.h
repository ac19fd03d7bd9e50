/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Small helpers shared by every module: allocation that cannot fail
 * silently, messages on stderr, string utilities (escaping for a terminal
 * and for JSON, one UTF-8 validator behind both) and the edit distance
 * behind "did you mean" suggestions.
 */
#ifndef __ETRACE_UTIL_H
#define __ETRACE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

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

/*
 * "etrace: <message>\n" on stderr, in one write. Messages often echo what
 * the user or a traced process wrote: control bytes are escaped and a
 * message longer than MSG_MAX bytes is cut, so every message stays one
 * readable line.
 */
#define MSG_MAX 2048
void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_err_v(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* Verbose-only messages, printed on stderr when @verbose is set. */
void pr_verbose(bool verbose, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Levenshtein distance between two strings, capped at @cap. */
int edit_distance(const char *a, const char *b, int cap);

/*
 * Keeps the closest candidate seen so far for a "did you mean" hint: the
 * shortest name that starts or ends with the word (words of 5+ bytes), else
 * the one at the smallest edit distance. Feed candidates with
 * suggest_add(), then read ->best (NULL if nothing was close enough).
 */
struct suggest {
	const char *word;
	char *best;
	int best_dist;
	int max_dist;
	size_t affix_extra;	/* best is a name around the word: bytes it adds */
};

void suggest_init(struct suggest *s, const char *word);
void suggest_add(struct suggest *s, const char *candidate);
void suggest_free(struct suggest *s);

/* A growable byte string, always NUL-terminated once anything was added. */
struct strbuf {
	char *buf;
	size_t len, cap;
};

/* Make room for @len more bytes (the slow path of sb_reserve()). */
char *sb_grow(struct strbuf *sb, size_t len);

/* Make room for @len more bytes and return where they go (not counted yet). */
static inline char *sb_reserve(struct strbuf *sb, size_t len)
{
	/* Most appends fit: no call for them (this is on every printed field). */
	if (sb->buf && len < sb->cap - sb->len)
		return sb->buf + sb->len;
	return sb_grow(sb, len);
}

/* Inline: output appends many short pieces per event, often of constant length. */
static inline void sb_append(struct strbuf *sb, const void *data, size_t len)
{
	memcpy(sb_reserve(sb, len), data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Digits of @v in @base (2..16), without prefix or padding: printf's hot cases without printf. */
void sb_append_u64(struct strbuf *sb, uint64_t v, unsigned int base, bool upper);
void sb_append_i64(struct strbuf *sb, int64_t v);
/* Spaces until what was appended since length @start is @width bytes long. */
void sb_pad_to(struct strbuf *sb, size_t start, size_t width);
void sb_reset(struct strbuf *sb);
void sb_free(struct strbuf *sb);

/*
 * Append @len bytes of untrusted text so that it cannot act on a terminal
 * or forge a line: control bytes become \n, \t, \r, \e-style \xNN
 * escapes, bytes that are not valid UTF-8 become \xNN, valid UTF-8 is
 * kept. With @backslash, a backslash is doubled so that the escapes are
 * unambiguous (traced strings); messages keep it as it is.
 */
void sb_append_escaped(struct strbuf *sb, const char *s, size_t len, bool backslash);

/* Whether @len bytes of @s need sb_append_escaped() at all (fast path). */
bool text_is_safe(const char *s, size_t len);

/*
 * Append @len bytes of untrusted text as a JSON string, quotes included.
 * '"', '\\' and control bytes are escaped (\n, \t, \r, \b, \f, else
 * \u00XX; DEL and the C1 controls U+0080..U+009F too), U+2028 and U+2029
 * become \u2028 and \u2029 (line ends to JavaScript), other valid UTF-8 is
 * kept, and each byte that is not part of valid UTF-8 becomes U+FFFD (the
 * replacement character): the output is always valid UTF-8 and valid JSON.
 */
void sb_append_json_str(struct strbuf *sb, const char *s, size_t len);

/* Read a whole (small, e.g. procfs/tracefs) file; NULL with errno on failure. */
char *read_file(const char *path, size_t *len);
/* The same, relative to directory @dirfd, never following a symlink at the end. */
char *read_file_at(int dirfd, const char *path, size_t *len);

/* Open /dev/null on any of fds 0-2 that is closed, so that no file we open later lands there. */
void ensure_std_fds(void);

/* Parse a non-negative decimal or 0x hex integer; false if malformed. */
bool parse_u64(const char *s, unsigned long long *out);

#endif /* __ETRACE_UTIL_H */
