/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * printf-style format strings of probe actions. Format strings never go to
 * the kernel: the compiler reads the conversions to know what each value
 * is and how much room it needs in the record, and user space renders the
 * message from the record.
 *
 * Supported: %d %i %u %x %X %o %c %s %p %K %U %% with flags (-+ #0),
 * width, precision (also on %s) and the length modifiers hh h l ll z j t.
 */
#ifndef __ETRACE_FORMAT_H
#define __ETRACE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ksyms;
struct strbuf;

struct fmt_conv {
	size_t lit_start, lit_len;	/* literal text before this conversion */
	char conv;		/* d i u x X o c s p K U, or 0 for the trailing text */
	char flags[8];
	int width;		/* -1: none */
	int precision;		/* -1: none */
	int size;		/* bytes of the C type (1, 2, 4 or 8); strings: 0 */
	bool is_signed;
	int col;		/* column of the '%' in the probe text */
	char spec[40];		/* the snprintf conversion, built once when parsed */
};

struct fmt_spec {
	char *text;		/* the literal text, %% already collapsed */
	struct fmt_conv *convs;	/* conversions, then one entry with conv 0 */
	size_t nconvs;		/* conversions, without the trailing entry */
};

/*
 * Parse @fmt; @col is the column of its first character in the probe. On
 * error returns -EINVAL with "column N: reason" in @err.
 */
int fmt_parse(const char *fmt, int col, struct fmt_spec *out, char *err, size_t errlen);
void fmt_free(struct fmt_spec *f);

/* What a conversion needs from the record. */
static inline bool fmt_conv_is_string(const struct fmt_conv *c)
{
	return c->conv == 's';
}

/* One value of an event, decoded as its conversion says. */
enum fmt_vkind {
	FV_SIGNED,	/* %d %i: .i */
	FV_UNSIGNED,	/* %u %x %X %o: .u */
	FV_CHAR,	/* %c: .u */
	FV_POINTER,	/* %p: .u */
	FV_KSYM,	/* %K: a kernel address, .u */
	FV_USYM,	/* %U: a user address, .u; .str: its symbol once named */
	FV_STRING,	/* %s: .len bytes at .str (not NUL-terminated), .cut if longer */
};

struct fmt_value {
	enum fmt_vkind kind;
	int64_t i;
	uint64_t u;
	const char *str;
	size_t len;
	bool cut;
};

/*
 * Decode the values of a record: @raw[i] points at conversion i's bytes
 * (as for fmt_render()); @out has f->nconvs entries. Strings point into
 * the record.
 */
void fmt_decode(const struct fmt_spec *f, const void *const *raw, int str_size,
		struct fmt_value *out);

/* Append the message made of decoded values (escaped unless @raw). */
void fmt_render_values(const struct fmt_spec *f, const struct fmt_value *vals,
		       struct ksyms *ks, bool raw, struct strbuf *out);

/*
 * Append the message to @out. @values[i] points at conversion i's bytes in
 * the record: an 8-byte integer, or (for %s) a buffer of @str_size + 2
 * bytes holding a NUL-terminated string; one longer than @str_size
 * characters was cut, and is shown cut with "...". Strings and characters
 * come from traced processes: unless @raw, they are escaped (see
 * sb_append_escaped()) so that they cannot forge lines or drive a terminal.
 */
void fmt_render(const struct fmt_spec *f, const void *const *values, int str_size,
		struct ksyms *ks, bool raw, struct strbuf *out);

#endif /* __ETRACE_FORMAT_H */
