// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/format.h"
#include "sym/ksym.h"
#include "util.h"

static int ferr(char *err, size_t errlen, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int ferr(char *err, size_t errlen, int col, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "column %d: ", col);

	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Length modifier -> size of the C integer type. */
static int parse_length(const char **p)
{
	const char *s = *p;
	int size = 4;

	if (s[0] == 'h' && s[1] == 'h') {
		size = 1;
		s += 2;
	} else if (s[0] == 'h') {
		size = 2;
		s++;
	} else if (s[0] == 'l' && s[1] == 'l') {
		size = 8;
		s += 2;
	} else if (s[0] == 'l' || s[0] == 'z' || s[0] == 'j' || s[0] == 't') {
		size = 8;
		s++;
	}
	*p = s;
	return size;
}

static int parse_number(const char **p)
{
	int v = 0;

	while (**p >= '0' && **p <= '9') {
		if (v < 100000)
			v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v;
}

/* Parse one conversion after the '%' at @s; fills @c, returns the end. */
static const char *parse_conv(const char *s, struct fmt_conv *c, char *err, size_t errlen,
			      int *ret)
{
	const char *start = s;
	size_t nflags = 0;

	while (*s && strchr("-+ #0", *s)) {
		if (nflags < sizeof(c->flags) - 1 && !strchr(c->flags, *s))
			c->flags[nflags++] = *s;
		s++;
	}
	if (*s == '*') {
		*ret = ferr(err, errlen, c->col, "'*' widths are not supported; write the width");
		return s;
	}
	c->width = *s >= '0' && *s <= '9' ? parse_number(&s) : -1;
	c->precision = -1;
	if (*s == '.') {
		s++;
		if (*s == '*') {
			*ret = ferr(err, errlen, c->col,
				    "'*' precisions are not supported; write the precision");
			return s;
		}
		c->precision = parse_number(&s);
	}
	c->size = parse_length(&s);
	c->conv = *s;
	switch (*s) {
	case 'd': case 'i':
		c->is_signed = true;
		break;
	case 'u': case 'x': case 'X': case 'o':
		break;
	case 'c':
		c->size = 1;
		break;
	case 'p': case 'K': case 'U':
		c->size = 8;
		break;
	case 's':
		c->size = 0;
		break;
	case '\0':
		*ret = ferr(err, errlen, c->col, "incomplete conversion at the end of the format");
		return s;
	default:
		*ret = ferr(err, errlen, c->col + (int)(s - start) + 1,
			    "unsupported conversion '%%%.*s' (supported: %%d %%i %%u %%x %%X "
			    "%%o %%c %%s %%p %%K %%U %%%%)", (int)(s - start) + 1, start);
		return s;
	}
	return s + 1;
}

/* "%<flags><width>.<prec><len><conv>" for snprintf. */
static void build_spec(const struct fmt_conv *c, const char *len, char conv, char *buf,
		       size_t size)
{
	int n = snprintf(buf, size, "%%%s", c->flags);

	if (c->width >= 0)
		n += snprintf(buf + n, size - n, "%d", c->width);
	if (c->precision >= 0)
		n += snprintf(buf + n, size - n, ".%d", c->precision);
	snprintf(buf + n, size - n, "%s%c", len, conv);
}

/* What snprintf gets for @c: integers as long long, text as %s. */
static void prepare_spec(struct fmt_conv *c)
{
	switch (c->conv) {
	case 's': case 'p': case 'K': case 'U':
		build_spec(c, "", 's', c->spec, sizeof(c->spec));
		break;
	case 'c':
		build_spec(c, "", 'c', c->spec, sizeof(c->spec));
		break;
	default:
		build_spec(c, "ll", c->conv, c->spec, sizeof(c->spec));
		break;
	}
}

int fmt_parse(const char *fmt, int col, struct fmt_spec *out, char *err, size_t errlen)
{
	size_t cap = 0, tlen = 0, lit_start = 0;
	const char *s = fmt;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->text = xmalloc(strlen(fmt) + 1);
	while (!ret) {
		struct fmt_conv c = { .lit_start = lit_start };

		while (*s && !(s[0] == '%' && s[1] != '%')) {
			out->text[tlen++] = *s;
			s += s[0] == '%' ? 2 : 1;
		}
		c.lit_len = tlen - lit_start;
		out->convs = grow_array(out->convs, &cap, out->nconvs + 1, sizeof(c));
		if (!*s) {
			out->convs[out->nconvs] = c;
			break;
		}
		c.col = col + (int)(s - fmt);
		s = parse_conv(s + 1, &c, err, errlen, &ret);
		if (!ret)
			prepare_spec(&c);
		out->convs[out->nconvs++] = c;
		lit_start = tlen;
	}
	out->text[tlen] = '\0';
	if (ret)
		fmt_free(out);
	return ret;
}

void fmt_free(struct fmt_spec *f)
{
	free(f->text);
	free(f->convs);
	memset(f, 0, sizeof(*f));
}

static long long as_signed(uint64_t v, int size)
{
	switch (size) {
	case 1: return (int8_t)v;
	case 2: return (int16_t)v;
	case 4: return (int32_t)v;
	default: return (int64_t)v;
	}
}

static unsigned long long as_unsigned(uint64_t v, int size)
{
	return size >= 8 ? v : v & ((1ULL << (size * 8)) - 1);
}

void fmt_decode(const struct fmt_spec *f, const void *const *raw, int str_size,
		struct fmt_value *out)
{
	for (size_t i = 0; i < f->nconvs; i++) {
		const struct fmt_conv *c = &f->convs[i];
		struct fmt_value *v = &out[i];
		uint64_t u = 0;

		memset(v, 0, sizeof(*v));
		if (c->conv == 's') {
			size_t max = (size_t)str_size, n = strnlen(raw[i], max + 1);

			v->kind = FV_STRING;
			v->str = raw[i];
			v->len = n > max ? max : n;
			/* One character more than -Z allows was read: the string was cut. */
			v->cut = n > max;
			continue;
		}
		memcpy(&u, raw[i], 8);
		switch (c->conv) {
		case 'd': case 'i':
			v->kind = FV_SIGNED;
			v->i = as_signed(u, c->size);
			break;
		case 'c':
			v->kind = FV_CHAR;
			v->u = (unsigned char)u;
			break;
		case 'p':
			v->kind = FV_POINTER;
			v->u = u;
			break;
		case 'K':
			v->kind = FV_KSYM;
			v->u = u;
			break;
		case 'U':
			/* Named by the output (it knows the process), else printed in hex. */
			v->kind = FV_USYM;
			v->u = u;
			break;
		default:
			v->kind = FV_UNSIGNED;
			v->u = as_unsigned(u, c->size);
			break;
		}
	}
}

/* Append @text formatted with @c's flags, width and precision; escaped unless @raw. */
static void put_text(const struct fmt_conv *c, const char *text, bool raw, struct strbuf *out,
		     struct strbuf *tmp)
{
	sb_reset(tmp);
	sb_printf(tmp, c->spec, text);
	if (raw || text_is_safe(tmp->buf, tmp->len))
		sb_append(out, tmp->buf, tmp->len);
	else
		sb_append_escaped(out, tmp->buf, tmp->len, true);
}

/*
 * The common conversions without flags, width or precision ("%d", "%s",
 * "%x"), written without printf: they are most of what is printed, and
 * vsnprintf costs more than everything else an event needs.
 */
static bool render_plain(const struct fmt_conv *c, const struct fmt_value *v, bool raw,
			 struct strbuf *out)
{
	if (c->flags[0] || c->width >= 0 || c->precision >= 0)
		return false;
	switch (v->kind) {
	case FV_STRING:
		if (raw || text_is_safe(v->str, v->len))
			sb_append(out, v->str, v->len);
		else
			sb_append_escaped(out, v->str, v->len, true);
		if (v->cut)
			sb_append(out, "...", 3);
		return true;
	case FV_SIGNED:
		sb_append_i64(out, v->i);
		return true;
	case FV_UNSIGNED:
		if (c->conv == 'o')
			return false;
		sb_append_u64(out, v->u, c->conv == 'u' ? 10 : 16, c->conv == 'X');
		return true;
	default:
		return false;
	}
}

static void render_one(const struct fmt_conv *c, const struct fmt_value *v, struct ksyms *ks,
		       bool raw, struct strbuf *out, struct strbuf *tmp)
{
	char sym[512];

	if (render_plain(c, v, raw, out))
		return;
	switch (v->kind) {
	case FV_STRING: {
		struct strbuf cut = { 0 };

		/* A longer string than -Z allows is shown cut, with "...". */
		sb_append(&cut, v->str, v->len);
		if (v->cut)
			sb_append(&cut, "...", 3);
		put_text(c, cut.buf, raw, out, tmp);
		sb_free(&cut);
		return;
	}
	case FV_CHAR:
		sb_reset(tmp);
		sb_printf(tmp, c->spec, (int)v->u);
		/* "%c" of 0 prints a NUL byte: escape it like any control byte. */
		if (raw)
			sb_append(out, tmp->buf, tmp->len);
		else
			sb_append_escaped(out, tmp->buf, tmp->len, true);
		return;
	case FV_POINTER:
		snprintf(sym, sizeof(sym), "0x%llx", (unsigned long long)v->u);
		sb_printf(out, c->spec, sym);
		return;
	case FV_USYM:
		/* A symbol from a file anyone may have written: escaped like a string. */
		if (v->str) {
			put_text(c, v->str, raw, out, tmp);
		} else {
			snprintf(sym, sizeof(sym), "0x%llx", (unsigned long long)v->u);
			sb_printf(out, c->spec, sym);
		}
		return;
	case FV_KSYM:
		/* No symbol table (e.g. a caller that never loads one). */
		if (ks)
			ksyms__format(ks, v->u, false, sym, sizeof(sym));
		else
			snprintf(sym, sizeof(sym), "[unknown]");
		sb_printf(out, c->spec, sym);
		return;
	case FV_SIGNED:
		sb_printf(out, c->spec, (long long)v->i);
		return;
	case FV_UNSIGNED:
		sb_printf(out, c->spec, (unsigned long long)v->u);
		return;
	}
}

void fmt_render_values(const struct fmt_spec *f, const struct fmt_value *vals,
		       struct ksyms *ks, bool raw, struct strbuf *out)
{
	struct strbuf tmp = { 0 };

	for (size_t i = 0; i <= f->nconvs; i++) {
		const struct fmt_conv *c = &f->convs[i];

		sb_append(out, f->text + c->lit_start, c->lit_len);
		if (i == f->nconvs)
			break;
		render_one(c, &vals[i], ks, raw, out, &tmp);
	}
	sb_free(&tmp);
}

void fmt_render(const struct fmt_spec *f, const void *const *values, int str_size,
		struct ksyms *ks, bool raw, struct strbuf *out)
{
	struct fmt_value *vals = xcalloc(f->nconvs + 1, sizeof(*vals));

	fmt_decode(f, values, str_size, vals);
	fmt_render_values(f, vals, ks, raw, out);
	free(vals);
}
