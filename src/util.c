// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static void oom(void)
{
	fputs("etrace: out of memory\n", stderr);
	exit(EXIT_RUNTIME);
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	return s;
}

void *grow_array(void *arr, size_t *cap, size_t need, size_t elem_size)
{
	size_t ncap = *cap ? *cap : 8;

	if (need <= *cap)
		return arr;
	while (ncap < need)
		ncap *= 2;
	arr = xrealloc(arr, ncap * elem_size);
	memset((char *)arr + *cap * elem_size, 0, (ncap - *cap) * elem_size);
	*cap = ncap;
	return arr;
}

void pr_err_v(const char *fmt, va_list ap)
{
	struct strbuf msg = { 0 }, line = { 0 };

	sb_vprintf(&msg, fmt, ap);
	sb_append(&line, "etrace: ", 8);
	if (msg.len > MSG_MAX) {
		sb_append_escaped(&line, msg.buf, MSG_MAX, false);
		sb_printf(&line, " [... %zu more bytes]", msg.len - MSG_MAX);
	} else {
		sb_append_escaped(&line, msg.buf ? msg.buf : "", msg.len, false);
	}
	sb_append(&line, "\n", 1);
	/* One write: a message never interleaves with another, even when cut. */
	fflush(stderr);
	if (write(STDERR_FILENO, line.buf, line.len) < 0) {
		/* Nowhere left to complain. */
	}
	sb_free(&msg);
	sb_free(&line);
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pr_err_v(fmt, ap);
	va_end(ap);
}

void pr_verbose(bool verbose, const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

int edit_distance(const char *a, const char *b, int cap)
{
	size_t la = strlen(a), lb = strlen(b);
	int *row, best, res;

	if ((size_t)abs((int)la - (int)lb) > (size_t)cap)
		return cap + 1;
	row = xmalloc((lb + 1) * sizeof(*row));
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];

		row[0] = (int)i;
		best = row[0];
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j];
			int v = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			diag = up;
			if (v < best)
				best = v;
		}
		if (best > cap) {
			free(row);
			return cap + 1;
		}
	}
	res = row[lb];
	free(row);
	return res > cap ? cap + 1 : res;
}

void suggest_init(struct suggest *s, const char *word)
{
	size_t len = strlen(word);

	s->word = word;
	s->best = NULL;
	/* Allow roughly one typo per four characters, at least one. */
	s->max_dist = len < 4 ? 1 : (int)(len / 4) + 1;
	if (s->max_dist > 4)
		s->max_dist = 4;
	s->best_dist = s->max_dist + 1;
	s->affix_extra = SIZE_MAX;
}

/*
 * Bytes @cand adds to @word around it, when @word is all of its start or
 * its end ("__kmalloc" in "__kmalloc_noprof"); SIZE_MAX if it is neither.
 */
static size_t affix_extra(const char *word, const char *cand)
{
	size_t wl = strlen(word), cl = strlen(cand);

	/* Short words are the start of too many names to mean anything. */
	if (wl < 5 || cl <= wl)
		return SIZE_MAX;
	if (!strncmp(cand, word, wl) || !strcmp(cand + cl - wl, word))
		return cl - wl;
	return SIZE_MAX;
}

/*
 * A name that starts or ends with the word is what older documentation
 * usually means (a suffix or prefix added by a later kernel), so such a
 * match beats any typo-distance one; among them the shortest wins.
 */
void suggest_add(struct suggest *s, const char *candidate)
{
	size_t extra = affix_extra(s->word, candidate);
	int d;

	if (extra != SIZE_MAX) {
		if (extra < s->affix_extra) {
			free(s->best);
			s->best = xstrdup(candidate);
			s->affix_extra = extra;
		}
		return;
	}
	if (s->affix_extra != SIZE_MAX)
		return;
	d = edit_distance(s->word, candidate, s->best_dist - 1);
	if (d < s->best_dist && d > 0) {
		free(s->best);
		s->best = xstrdup(candidate);
		s->best_dist = d;
	}
}

void suggest_free(struct suggest *s)
{
	free(s->best);
	s->best = NULL;
}

/* Read all of @fd (closed here); NULL with errno on failure. */
static char *read_fd(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;

			free(buf);
			close(fd);
			errno = saved;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

char *read_file(const char *path, size_t *len)
{
	return read_fd(open(path, O_RDONLY | O_CLOEXEC), len);
}

char *read_file_at(int dirfd, const char *path, size_t *len)
{
	return read_fd(openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), len);
}

void ensure_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free descriptor is @fd itself. */
		if (open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
			exit(EXIT_RUNTIME);
	}
}

bool parse_u64(const char *s, unsigned long long *out)
{
	char *end;
	int base = 10;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16;
	errno = 0;
	*out = strtoull(s, &end, base);
	return !errno && *end == '\0' && end != s + (base == 16 ? 2 : 0);
}

/* --- strbuf --------------------------------------------------------------- */

char *sb_grow(struct strbuf *sb, size_t len)
{
	sb->buf = grow_array(sb->buf, &sb->cap, sb->len + len + 1, 1);
	return sb->buf + sb->len;
}

void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	size_t room = sb->cap > sb->len ? sb->cap - sb->len : 0;
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(room ? sb->buf + sb->len : NULL, room, fmt, ap);
	if (n >= 0 && (size_t)n >= room) {
		sb_reserve(sb, (size_t)n);
		n = vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, again);
	}
	va_end(again);
	if (n > 0)
		sb->len += (size_t)n;
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(sb, fmt, ap);
	va_end(ap);
}

void sb_append_u64(struct strbuf *sb, uint64_t v, unsigned int base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	size_t n = sizeof(tmp);

	/* Constant divisors for the common bases: a multiply or shift, not a division. */
	if (base == 10) {
		do {
			tmp[--n] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
	} else if (base == 16) {
		do {
			tmp[--n] = digits[v & 15];
			v >>= 4;
		} while (v);
	} else {
		do {
			tmp[--n] = digits[v % base];
			v /= base;
		} while (v);
	}
	sb_append(sb, tmp + n, sizeof(tmp) - n);
}

void sb_append_i64(struct strbuf *sb, int64_t v)
{
	if (v < 0) {
		sb_append(sb, "-", 1);
		/* In unsigned arithmetic, so that INT64_MIN negates too. */
		sb_append_u64(sb, -(uint64_t)v, 10, false);
		return;
	}
	sb_append_u64(sb, (uint64_t)v, 10, false);
}

void sb_pad_to(struct strbuf *sb, size_t start, size_t width)
{
	size_t have = sb->len - start;

	if (have >= width)
		return;
	memset(sb_reserve(sb, width - have), ' ', width - have);
	sb->len += width - have;
	sb->buf[sb->len] = '\0';
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	memset(sb, 0, sizeof(*sb));
}

/*
 * Length of the valid UTF-8 sequence at @s (at most @n bytes), or 0: no
 * overlong forms, no surrogates, nothing above U+10FFFF.
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* A C1 control character (U+0080..U+009F): terminals may act on it. */
static bool utf8_is_c1(const unsigned char *s, size_t len)
{
	return len == 2 && s[0] == 0xc2 && s[1] < 0xa0;
}

/* Length of the valid UTF-8 sequence at @s that is not a C1 control, or 0. */
static size_t utf8_char(const unsigned char *s, size_t n)
{
	size_t len = utf8_len(s, n);

	return utf8_is_c1(s, len) ? 0 : len;
}

static bool byte_is_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

bool text_is_safe(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!byte_is_plain((unsigned char)s[i]) || s[i] == '\\')
			return false;
	return true;
}

void sb_append_escaped(struct strbuf *sb, const char *s, size_t len, bool backslash)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t run = i, n;

		while (run < len && byte_is_plain(u[run]) && (u[run] != '\\' || !backslash))
			run++;
		sb_append(sb, u + i, run - i);
		if (run == len)
			break;
		i = run;
		if (u[i] >= 0x80 && (n = utf8_char(u + i, len - i))) {
			sb_append(sb, u + i, n);
			i += n;
			continue;
		}
		switch (u[i]) {
		case '\n': sb_append(sb, "\\n", 2); break;
		case '\t': sb_append(sb, "\\t", 2); break;
		case '\r': sb_append(sb, "\\r", 2); break;
		case '\\': sb_append(sb, "\\\\", 2); break;
		default: sb_printf(sb, "\\x%02x", u[i]); break;
		}
		i++;
	}
	if (!sb->buf)
		sb_reserve(sb, 0);
	sb->buf[sb->len] = '\0';
}

/* Bytes a JSON string holds as they are: printable ASCII but '"' and '\\'. */
static bool json_is_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void json_escape_u(struct strbuf *sb, unsigned int cp)
{
	static const char hex[] = "0123456789abcdef";
	char *p = sb_reserve(sb, 6);

	p[0] = '\\';
	p[1] = 'u';
	for (int i = 0; i < 4; i++)
		p[2 + i] = hex[(cp >> (12 - 4 * i)) & 0xf];
	sb->len += 6;
	sb->buf[sb->len] = '\0';
}

/* A valid UTF-8 sequence of @n bytes: C1 controls and U+2028/U+2029 escaped, the rest kept. */
static void json_put_utf8(struct strbuf *sb, const unsigned char *s, size_t n)
{
	if (utf8_is_c1(s, n))
		json_escape_u(sb, s[1]);
	else if (n == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9))
		json_escape_u(sb, 0x2000 | (s[2] & 0x3f));
	else
		sb_append(sb, s, n);
}

void sb_append_json_str(struct strbuf *sb, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;

	sb_append(sb, "\"", 1);
	while (i < len) {
		size_t run = i;

		while (run < len && json_is_plain(u[run]))
			run++;
		sb_append(sb, u + i, run - i);
		if (run == len)
			break;
		i = run;
		if (u[i] >= 0x80) {
			n = utf8_len(u + i, len - i);
			if (n) {
				json_put_utf8(sb, u + i, n);
				i += n;
			} else {
				/* Not UTF-8: U+REPLACEMENT CHARACTER for this one byte. */
				sb_append(sb, "\xef\xbf\xbd", 3);
				i++;
			}
			continue;
		}
		switch (u[i]) {
		case '"': sb_append(sb, "\\\"", 2); break;
		case '\\': sb_append(sb, "\\\\", 2); break;
		case '\n': sb_append(sb, "\\n", 2); break;
		case '\t': sb_append(sb, "\\t", 2); break;
		case '\r': sb_append(sb, "\\r", 2); break;
		case '\b': sb_append(sb, "\\b", 2); break;
		case '\f': sb_append(sb, "\\f", 2); break;
		default: json_escape_u(sb, u[i]); break;
		}
		i++;
	}
	sb_append(sb, "\"", 1);
}
