// SPDX-License-Identifier: BSD-2-Clause
/*
 * Parser for tracepoint format files. The shapes handled are the ones
 * kernels print: plain scalars, pointers, fixed arrays ("char comm[16]",
 * and on older kernels "__u8 saddr[sizeof(struct sockaddr_in6)]"),
 * flexible arrays ("char buf[]"), __data_loc and __rel_loc dynamic
 * arrays. Kernels before 3.x omit "signed:" and some print
 * "field special:"; both are accepted.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types/tpformat.h"
#include "util.h"

struct tp_parser {
	struct tp_format *f;
	size_t cap;
	int line;
	bool have_name, have_id, have_format;
	char *err;
	size_t errlen;
};

/* A text span [s, e) of the input. */
struct span {
	const char *s, *e;
};

static int tp_fail(struct tp_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int tp_fail(struct tp_parser *p, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!p->err || !p->errlen)
		return -EINVAL;
	if (p->line)
		n = snprintf(p->err, p->errlen, "line %d: ", p->line);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool is_ident(char c)
{
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

static struct span trim(struct span sp)
{
	while (sp.s < sp.e && is_space(*sp.s))
		sp.s++;
	while (sp.e > sp.s && is_space(sp.e[-1]))
		sp.e--;
	return sp;
}

static size_t span_len(struct span sp)
{
	return (size_t)(sp.e - sp.s);
}

/* Consume @prefix at the start of @sp. */
static bool eat(struct span *sp, const char *prefix)
{
	size_t n = strlen(prefix);

	if (span_len(*sp) < n || memcmp(sp->s, prefix, n))
		return false;
	sp->s += n;
	return true;
}

static bool ends_with(struct span sp, const char *suffix)
{
	size_t n = strlen(suffix);

	return span_len(sp) >= n && !memcmp(sp.e - n, suffix, n);
}

static bool parse_int(struct span sp, int *out)
{
	long long v = 0;

	sp = trim(sp);
	if (sp.s == sp.e)
		return false;
	for (const char *c = sp.s; c < sp.e; c++) {
		if (*c < '0' || *c > '9')
			return false;
		v = v * 10 + (*c - '0');
		if (v > INT_MAX)
			return false;
	}
	*out = (int)v;
	return true;
}

/*
 * Element size of the scalar types that appear in arrays whose dimension
 * the kernel printed unexpanded; 0 when unknown.
 */
static int scalar_size(const char *type)
{
	static const struct {
		const char *name;
		int size;
	} types[] = {
		{ "char", 1 }, { "unsigned char", 1 }, { "signed char", 1 },
		{ "u8", 1 }, { "__u8", 1 }, { "s8", 1 }, { "__s8", 1 },
		{ "uint8_t", 1 }, { "int8_t", 1 }, { "bool", 1 },
		{ "short", 2 }, { "unsigned short", 2 }, { "u16", 2 },
		{ "__u16", 2 }, { "s16", 2 }, { "__s16", 2 },
		{ "int", 4 }, { "unsigned int", 4 }, { "u32", 4 },
		{ "__u32", 4 }, { "s32", 4 }, { "__s32", 4 },
		{ "long", 8 }, { "unsigned long", 8 }, { "u64", 8 },
		{ "__u64", 8 }, { "s64", 8 }, { "__s64", 8 },
	};

	if (type[0] && type[strlen(type) - 1] == '*')
		return (int)sizeof(void *);
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (!strcmp(type, types[i].name))
			return types[i].size;
	return 0;
}

/* "offset:8;\tsize:16;\tsigned:0;" in any order; unknown keys are skipped. */
static int parse_attrs(struct tp_parser *p, struct span sp,
		       struct tp_field *fld)
{
	bool have_offset = false, have_size = false;

	for (sp = trim(sp); sp.s < sp.e; sp = trim(sp)) {
		const char *semi = memchr(sp.s, ';', span_len(sp));
		struct span kv = { sp.s, semi ? semi : sp.e };
		struct span val = kv;
		int *dst = NULL, v;

		sp.s = semi ? semi + 1 : sp.e;
		if (eat(&val, "offset:")) {
			dst = &fld->offset;
			have_offset = true;
		} else if (eat(&val, "size:")) {
			dst = &fld->size;
			have_size = true;
		} else if (!eat(&val, "signed:")) {
			continue;
		}
		if (!parse_int(val, &v))
			return tp_fail(p, "bad number in \"%.*s\"",
				       (int)span_len(kv), kv.s);
		if (dst)
			*dst = v;
		else
			fld->is_signed = v != 0;
	}
	if (!have_offset)
		return tp_fail(p, "missing offset");
	if (!have_size)
		return tp_fail(p, "missing size");
	return 0;
}

/* Strip a trailing "[dim]" from @decl; @dim gets the text inside. */
static int split_array(struct tp_parser *p, struct span *decl,
		       struct span *dim, struct tp_field *fld)
{
	const char *lb;

	if (!ends_with(*decl, "]"))
		return 0;
	lb = memrchr(decl->s, '[', span_len(*decl));
	if (!lb)
		return tp_fail(p, "unbalanced ']' in field declaration");
	dim->s = lb + 1;
	dim->e = decl->e - 1;
	decl->e = lb;
	*decl = trim(*decl);
	fld->is_array = true;
	return 0;
}

static void set_array_len(struct tp_field *fld, struct span dim)
{
	int n, elem;

	dim = trim(dim);
	if (!fld->is_array || dim.s == dim.e)
		return;
	if (parse_int(dim, &n)) {
		fld->array_len = n;
		return;
	}
	elem = scalar_size(fld->type);
	if (elem)
		fld->array_len = fld->size / elem;
}

/* "unsigned long args[6]", "const char * filename", "__data_loc char[] name" */
static int parse_decl(struct tp_parser *p, struct span decl,
		      struct tp_field *fld)
{
	struct span dim = { NULL, NULL }, type;
	const char *name;
	int err;

	decl = trim(decl);
	if (eat(&decl, "__data_loc "))
		fld->data_loc = true;
	else if (eat(&decl, "__rel_loc "))
		fld->rel_loc = true;
	err = split_array(p, &decl, &dim, fld);
	if (err)
		return err;
	for (name = decl.e; name > decl.s && is_ident(name[-1]); name--)
		;
	if (name == decl.e || (*name >= '0' && *name <= '9'))
		return tp_fail(p, "no field name in \"%.*s\"",
			       (int)span_len(decl), decl.s);
	type = trim((struct span){ decl.s, name });
	if ((fld->data_loc || fld->rel_loc) && ends_with(type, "[]")) {
		type.e -= 2;
		type = trim(type);
	}
	if (type.s == type.e)
		return tp_fail(p, "no type for field \"%.*s\"",
			       (int)(decl.e - name), name);
	fld->name = xstrndup(name, (size_t)(decl.e - name));
	fld->type = xstrndup(type.s, span_len(type));
	fld->is_common = !strncmp(fld->name, "common_", 7);
	fld->is_pointer = ends_with(type, "*");
	set_array_len(fld, dim);
	return 0;
}

/* The part after "field:" up to the end of the line. */
static int parse_field(struct tp_parser *p, struct span sp)
{
	const char *semi = memchr(sp.s, ';', span_len(sp));
	struct tp_field fld = { 0 };
	struct tp_format *f = p->f;
	int err;

	if (!semi)
		return tp_fail(p, "field declaration without ';'");
	err = parse_attrs(p, (struct span){ semi + 1, sp.e }, &fld);
	if (!err)
		err = parse_decl(p, (struct span){ sp.s, semi }, &fld);
	if (err) {
		free(fld.name);
		free(fld.type);
		return err;
	}
	f->fields = grow_array(f->fields, &p->cap, f->nfields + 1,
			       sizeof(*f->fields));
	f->fields[f->nfields++] = fld;
	return 0;
}

/* One line; returns 1 at "print fmt:", after which nothing is parsed. */
static int parse_line(struct tp_parser *p, struct span sp)
{
	sp = trim(sp);
	if (sp.s == sp.e)
		return 0;
	if (eat(&sp, "field:") || eat(&sp, "field special:"))
		return parse_field(p, sp);
	if (eat(&sp, "name:")) {
		sp = trim(sp);
		if (sp.s == sp.e)
			return tp_fail(p, "empty event name");
		free(p->f->name);
		p->f->name = xstrndup(sp.s, span_len(sp));
		p->have_name = true;
	} else if (eat(&sp, "ID:")) {
		if (!parse_int(sp, &p->f->id))
			return tp_fail(p, "bad event ID");
		p->have_id = true;
	} else if (eat(&sp, "format:")) {
		p->have_format = true;
	} else if (eat(&sp, "print fmt:")) {
		return 1;
	}
	/* Anything else is a line a newer kernel added: skip it. */
	return 0;
}

static int parse_all(struct tp_parser *p, const char *text)
{
	const char *s = text;
	int err = 0;

	while (*s && !err) {
		const char *nl = strchr(s, '\n');
		const char *e = nl ? nl : s + strlen(s);

		p->line++;
		err = parse_line(p, (struct span){ s, e });
		s = nl ? nl + 1 : e;
	}
	if (err < 0)
		return err;
	p->line = 0;
	if (!p->have_name)
		return tp_fail(p, "no \"name:\" line");
	if (!p->have_id)
		return tp_fail(p, "no \"ID:\" line");
	if (!p->have_format || !p->f->nfields)
		return tp_fail(p, "no fields");
	return 0;
}

int tp_format_parse(const char *text, struct tp_format *out,
		    char *err, size_t errlen)
{
	struct tp_parser p = { .f = out, .err = err, .errlen = errlen };
	int ret;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	ret = parse_all(&p, text);
	if (ret)
		tp_format_free(out);
	return ret;
}

int tp_format_load(const char *path, struct tp_format *out,
		   char *err, size_t errlen)
{
	char *text = read_file(path, NULL);
	int ret;

	if (!text) {
		ret = -errno;
		memset(out, 0, sizeof(*out));
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	ret = tp_format_parse(text, out, err, errlen);
	free(text);
	return ret;
}

void tp_format_free(struct tp_format *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nfields; i++) {
		free(f->fields[i].name);
		free(f->fields[i].type);
	}
	free(f->fields);
	free(f->name);
	memset(f, 0, sizeof(*f));
}

const struct tp_field *tp_format_field(const struct tp_format *f,
				       const char *name)
{
	for (size_t i = 0; i < f->nfields; i++)
		if (!strcmp(f->fields[i].name, name))
			return &f->fields[i];
	return NULL;
}

const char *tp_format_suggest(const struct tp_format *f, const char *name)
{
	const struct tp_field *best = NULL;
	struct suggest s;

	if (tp_format_field(f, name))
		return NULL;
	suggest_init(&s, name);
	for (size_t i = 0; i < f->nfields; i++)
		suggest_add(&s, f->fields[i].name);
	if (s.best)
		best = tp_format_field(f, s.best);
	suggest_free(&s);
	return best ? best->name : NULL;
}
