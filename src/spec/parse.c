// SPDX-License-Identifier: BSD-2-Clause
/*
 * Splits a probe argument into spec, signature, predicate and action, the
 * way BCC trace does, but with real tokenisation where BCC used regular
 * expressions: format strings may contain \" and arguments may contain
 * commas inside calls and parentheses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"
#include "util.h"

struct sp {
	const char *text;
	int index;
	char *err;
	size_t errlen;
};

static int sp_err(struct sp *sp, int pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int sp_err(struct sp *sp, int pos, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(sp->err, sp->errlen, "probe %d, column %d: ", sp->index, pos + 1);

	if (n >= 0 && (size_t)n < sp->errlen) {
		va_start(ap, fmt);
		vsnprintf(sp->err + n, sp->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Prefix "probe N, " to an error produced by the expression parser. */
static int sp_wrap(struct sp *sp, const char *inner)
{
	char *msg = xstrdup(inner);

	snprintf(sp->err, sp->errlen, "probe %d, %s", sp->index, msg);
	free(msg);
	return -EINVAL;
}

static int skip_blanks(const char *t, int pos)
{
	while (t[pos] == ' ' || t[pos] == '\t' || t[pos] == '\n')
		pos++;
	return pos;
}

/*
 * Find the parenthesis closing the one at @pos, skipping string and
 * character literals. Returns its position or -1.
 */
static int match_paren(const char *t, int pos)
{
	int depth = 0;

	for (int i = pos; t[i]; i++) {
		char c = t[i];

		if (c == '"' || c == '\'') {
			for (i++; t[i] && t[i] != c; i++)
				if (t[i] == '\\' && t[i + 1])
					i++;
			if (!t[i])
				return -1;
		} else if (c == '(') {
			depth++;
		} else if (c == ')' && --depth == 0) {
			return i;
		}
	}
	return -1;
}

static int parse_offset(struct sp *sp, struct probe_spec *ps, char *plus, int pos)
{
	unsigned long long v;

	*plus = '\0';
	if (!parse_u64(plus + 1, &v))
		return sp_err(sp, pos, "invalid offset '%s': must be decimal or 0x hexadecimal",
			      plus + 1);
	ps->has_offset = true;
	ps->offset = v;
	return 0;
}

static int split_function(struct sp *sp, struct probe_spec *ps, const char *fn, int pos)
{
	char *name = xstrdup(fn);
	char *plus = strchr(name, '+');

	ps->function = name;
	ps->function_col = pos + 1;
	if (plus && parse_offset(sp, ps, plus, pos + (int)(plus - name) + 1))
		return -EINVAL;
	if (!*name)
		return sp_err(sp, pos, "missing %s name",
			      ps->type == 't' ? "event" : ps->type == 'u' ? "probe" : "function");
	return 0;
}

static char *join_parts(char **parts, int from, int to)
{
	char *s = xstrdup(parts[from]);

	for (int i = from + 1; i < to; i++) {
		char *t = xasprintf("%s:%s", s, parts[i]);

		free(s);
		s = t;
	}
	return s;
}

/* "type:..." with three or more parts. */
static int parse_typed(struct sp *sp, struct probe_spec *ps, char **parts, int *pos, int n)
{
	const char *type = parts[0];

	if (strlen(type) > 1 || (*type && !strchr("prtu", *type)))
		return sp_err(sp, pos[0], "unknown probe type '%s' (expected p, r, t or u)", type);
	ps->type = *type ? *type : 'p';
	switch (ps->type) {
	case 't':
		if (n != 3)
			return sp_err(sp, pos[0], "a tracepoint is written t:category:event");
		if (!*parts[1])
			return sp_err(sp, pos[1], "missing tracepoint category (t:category:event)");
		ps->category = xstrdup(parts[1]);
		return split_function(sp, ps, parts[2], pos[2]);
	case 'u':
		if (n > 4)
			return sp_err(sp, pos[0], "a USDT probe is written u:library[:provider]:probe");
		if (!*parts[1])
			return sp_err(sp, pos[1], "missing library or binary for USDT probe");
		ps->library = xstrdup(parts[1]);
		ps->library_col = pos[1] + 1;
		if (n == 4)
			ps->category = xstrdup(parts[2]);
		return split_function(sp, ps, parts[n - 1], pos[n - 1]);
	default:
		/* Paths may contain ':', so everything between type and function is the library. */
		ps->library = join_parts(parts, 1, n - 1);
		ps->library_col = pos[1] + 1;
		if (!*ps->library) {
			free(ps->library);
			ps->library = NULL;
			ps->library_col = 0;
		}
		return split_function(sp, ps, parts[n - 1], pos[n - 1]);
	}
}

/* Split the spec on ':' into the fields of @ps; @start is its position. */
static int parse_spec_head(struct sp *sp, struct probe_spec *ps, const char *spec, int start)
{
	char *copy = xstrdup(spec), *parts[64];
	int pos[64], n = 0, ret = 0;
	char *s = copy;

	for (;;) {
		char *colon = strchr(s, ':');

		if (n == (int)ARRAY_SIZE(parts)) {
			free(copy);
			return sp_err(sp, start, "too many ':' in probe");
		}
		pos[n] = start + (int)(s - copy);
		parts[n++] = s;
		if (!colon)
			break;
		*colon = '\0';
		s = colon + 1;
	}
	if (n == 1) {
		ps->type = 'p';
		ret = split_function(sp, ps, parts[0], pos[0]);
	} else if (n == 2) {
		/* BCC: "lib:func" is a uprobe on lib. */
		ps->type = 'p';
		ps->library = xstrdup(parts[0]);
		ps->library_col = pos[0] + 1;
		ret = split_function(sp, ps, parts[1], pos[1]);
	} else {
		ret = parse_typed(sp, ps, parts, pos, n);
	}
	free(copy);
	return ret;
}

static int parse_signature(struct sp *sp, struct probe_spec *ps, int *pos)
{
	const char *t = sp->text;
	int end = match_paren(t, *pos);
	char *inner, err[256];
	int ret;

	if (end < 0)
		return sp_err(sp, *pos, "unbalanced '(' in signature");
	if (ps->type == 't' || ps->type == 'u')
		return sp_err(sp, *pos, "%s probes have no signature; use %s",
			      ps->type == 't' ? "tracepoint" : "USDT",
			      ps->type == 't' ? "args->field" : "arg1, arg2, ...");
	inner = xstrndup(t + *pos + 1, end - *pos - 1);
	ret = expr_parse_params(inner, *pos + 2, &ps->params, &ps->nparams, err, sizeof(err));
	free(inner);
	if (ret)
		return sp_wrap(sp, err);
	ps->has_signature = true;
	*pos = end + 1;
	return 0;
}

static int parse_predicate(struct sp *sp, struct probe_spec *ps, int *pos)
{
	const char *t = sp->text;
	int end = match_paren(t, *pos);
	char *inner, err[256];

	if (end < 0)
		return sp_err(sp, *pos, "unbalanced '(' in predicate");
	inner = xstrndup(t + *pos + 1, end - *pos - 1);
	ps->predicate = expr_parse(inner, *pos + 2, err, sizeof(err));
	free(inner);
	if (!ps->predicate)
		return sp_wrap(sp, err);
	*pos = end + 1;
	return 0;
}

/* End of the format string starting at @pos (the opening quote), or -1. */
static int format_end(const char *t, int pos)
{
	for (int i = pos + 1; t[i]; i++) {
		if (t[i] == '\\' && t[i + 1])
			i++;
		else if (t[i] == '"')
			return i;
	}
	return -1;
}

/* Next top-level ',' at or after @pos, or the end of the text. */
static int next_comma(const char *t, int pos)
{
	int depth = 0;

	for (int i = pos; t[i]; i++) {
		char c = t[i];

		if (c == '"' || c == '\'') {
			for (i++; t[i] && t[i] != c; i++)
				if (t[i] == '\\' && t[i + 1])
					i++;
			if (!t[i])
				return i;
		} else if (c == '(' || c == '[') {
			depth++;
		} else if (c == ')' || c == ']') {
			depth--;
		} else if (c == ',' && depth == 0) {
			return i;
		}
	}
	return (int)strlen(t);
}

static int parse_args(struct sp *sp, struct probe_spec *ps, int pos)
{
	const char *t = sp->text;
	size_t cap = 0;
	char err[256];

	while (t[pos]) {
		int end = next_comma(t, pos);
		char *text = xstrndup(t + pos, end - pos);
		struct expr *e = expr_parse(text, pos + 1, err, sizeof(err));

		free(text);
		if (!e)
			return sp_wrap(sp, err);
		ps->args = grow_array(ps->args, &cap, ps->nargs + 1, sizeof(*ps->args));
		ps->args[ps->nargs++] = e;
		if (!t[end])
			break;
		pos = end + 1;
		if (!t[skip_blanks(t, pos)])
			return sp_err(sp, end, "missing argument after ','");
	}
	return 0;
}

static int parse_action(struct sp *sp, struct probe_spec *ps, int pos)
{
	const char *t = sp->text;
	int end = format_end(t, pos);
	char err[256];
	struct expr *fmt;

	if (end < 0)
		return sp_err(sp, pos, "unterminated format string");
	/* Reuse the expression lexer to unescape the string literal. */
	char *lit = xstrndup(t + pos, end - pos + 1);

	fmt = expr_parse(lit, pos + 1, err, sizeof(err));
	free(lit);
	if (!fmt)
		return sp_wrap(sp, err);
	ps->format = fmt->str;
	fmt->str = NULL;
	expr_free(fmt);
	ps->format_col = pos + 1;
	pos = skip_blanks(t, end + 1);
	if (!t[pos])
		return 0;
	if (t[pos] != ',')
		return sp_err(sp, pos, "expected ',' before the format arguments, found '%c'",
			      t[pos]);
	if (!t[skip_blanks(t, pos + 1)])
		return sp_err(sp, pos, "missing argument after ','");
	pos = skip_blanks(t, pos + 1);
	return parse_args(sp, ps, pos);
}

int spec_parse(const char *text, int index, struct probe_spec *ps, char *err, size_t errlen)
{
	struct sp sp = { .text = text, .index = index, .err = err, .errlen = errlen };
	int pos = skip_blanks(text, 0), start = pos, ret;
	char *head;

	memset(ps, 0, sizeof(*ps));
	ps->raw = xstrdup(text);
	ps->index = index;
	ps->spec_col = pos + 1;
	while (text[pos] && text[pos] != ' ' && text[pos] != '\t' && text[pos] != '(')
		pos++;
	if (pos == start)
		return sp_err(&sp, start, text[pos] ? "expected a probe before '('"
						   : "empty probe");
	head = xstrndup(text + start, pos - start);
	ret = parse_spec_head(&sp, ps, head, start);
	free(head);
	if (ret)
		return ret;
	if (ps->has_offset && ps->type != 'p')
		return sp_err(&sp, ps->function_col - 1, "an offset is only allowed on entry (p) probes");
	if (text[pos] == '(' && (ret = parse_signature(&sp, ps, &pos)))
		return ret;
	pos = skip_blanks(text, pos);
	if (text[pos] == '(' && (ret = parse_predicate(&sp, ps, &pos)))
		return ret;
	pos = skip_blanks(text, pos);
	if (text[pos] == '"')
		return parse_action(&sp, ps, pos);
	if (text[pos])
		return sp_err(&sp, pos, "unexpected '%c': expected a predicate in parentheses or a "
			      "format string in double quotes", text[pos]);
	return 0;
}

void spec_free(struct probe_spec *ps)
{
	free(ps->raw);
	free(ps->library);
	free(ps->category);
	free(ps->function);
	for (size_t i = 0; i < ps->nparams; i++) {
		free(ps->params[i].name);
		free(ps->params[i].type.base);
	}
	free(ps->params);
	expr_free(ps->predicate);
	free(ps->format);
	for (size_t i = 0; i < ps->nargs; i++)
		expr_free(ps->args[i]);
	free(ps->args);
	memset(ps, 0, sizeof(*ps));
}

bool spec_mentions(const struct probe_spec *ps, const char *name)
{
	if (expr_mentions(ps->predicate, name))
		return true;
	for (size_t i = 0; i < ps->nargs; i++)
		if (expr_mentions(ps->args[i], name))
			return true;
	return false;
}

void spec_entry_of(const struct probe_spec *ret, struct probe_spec *out)
{
	memset(out, 0, sizeof(*out));
	out->raw = xstrdup(ret->raw);
	out->index = ret->index;
	out->type = 'p';
	out->library = ret->library ? xstrdup(ret->library) : NULL;
	out->category = ret->category ? xstrdup(ret->category) : NULL;
	out->function = xstrdup(ret->function);
	out->has_signature = ret->has_signature;
	out->nparams = ret->nparams;
	out->params = ret->nparams ? xcalloc(ret->nparams, sizeof(*out->params)) : NULL;
	for (size_t i = 0; i < ret->nparams; i++) {
		out->params[i] = ret->params[i];
		out->params[i].name = xstrdup(ret->params[i].name);
		out->params[i].type.base = xstrdup(ret->params[i].type.base);
	}
	out->spec_col = ret->spec_col;
	out->library_col = ret->library_col;
	out->function_col = ret->function_col;
}

const char *spec_kind_name(const struct probe_spec *ps)
{
	switch (ps->type) {
	case 't': return "tracepoint";
	case 'u': return "USDT probe";
	case 'r': return ps->library ? "user return probe" : "kernel return probe";
	default: return ps->library ? "user function probe" : "kernel function probe";
	}
}
