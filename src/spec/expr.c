// SPDX-License-Identifier: BSD-2-Clause
/*
 * Lexer and recursive-descent parser for the C expressions used in
 * predicates and format arguments. Operator precedence follows C; the
 * tree is checked for meaning later, against BTF and tracepoint formats.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"
#include "util.h"

enum tok_kind { TOK_EOF, TOK_INT, TOK_STR, TOK_IDENT, TOK_PUNCT };

/*
 * A probe argument may be 128 KiB long: enough for tens of thousands of
 * nested parentheses, which would overflow the stack of this recursive
 * parser, or for a chain "a+a+...+a" whose tree is as deep as it is long,
 * which would overflow everything that walks the tree recursively
 * (expr_free, expr_to_string, later passes). Found by tests/fuzz.
 */
#define MAX_NESTING 512		/* recursion levels: ~2 per parenthesis */
#define MAX_NODES 1024		/* operators and operands in one expression (each a tree level at worst) */

struct token {
	enum tok_kind kind;
	int op;			/* TOK_PUNCT: char or OP_* */
	int pos;		/* offset in the text */
	uint64_t ival;
	bool is_unsigned;
	bool is_long;		/* l/L suffix */
	bool not_decimal;	/* hex or octal: may take an unsigned type */
	char *text;		/* TOK_IDENT name / TOK_STR contents */
	size_t len;
};

struct parser {
	const char *text;
	int col_base;
	int pos;
	struct token tok;
	char *err;
	size_t errlen;
	bool failed;
	int depth;		/* current recursion depth, < MAX_NESTING */
	int nodes;		/* nodes allocated so far, <= MAX_NODES */
};

static void perr(struct parser *p, int pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void perr(struct parser *p, int pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->failed)
		return;
	p->failed = true;
	n = snprintf(p->err, p->errlen, "column %d: ", p->col_base + pos);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
}

static const struct {
	const char *s;
	int op;
} two_char_ops[] = {
	{ "<<", OP_SHL }, { ">>", OP_SHR }, { "<=", OP_LE }, { ">=", OP_GE },
	{ "==", OP_EQ }, { "!=", OP_NE }, { "&&", OP_LAND }, { "||", OP_LOR },
	{ "->", OP_ARROW },
};

static int lex_escape(struct parser *p, int *pos)
{
	const char *t = p->text;
	int c = t[*pos];

	(*pos)++;
	switch (c) {
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
		int v = c - '0';

		for (int i = 0; i < 2 && t[*pos] >= '0' && t[*pos] <= '7'; i++)
			v = v * 8 + (t[(*pos)++] - '0');
		return v & 0xff;
	}
	case 'x': {
		int v = 0, digits = 0;

		while (isxdigit((unsigned char)t[*pos]) && digits < 2) {
			char d = t[(*pos)++];

			v = v * 16 + (isdigit((unsigned char)d) ? d - '0' :
				      tolower((unsigned char)d) - 'a' + 10);
			digits++;
		}
		if (!digits)
			perr(p, *pos, "\\x escape without hex digits");
		return v;
	}
	case '\\': case '\'': case '"': case '?':
		return c;
	case 'a': return '\a';
	case 'b': return '\b';
	case 'f': return '\f';
	case 'v': return '\v';
	case '\0':
		(*pos)--;
		perr(p, *pos, "unterminated escape sequence");
		return 0;
	default:
		perr(p, *pos - 2, "unknown escape sequence '\\%c'", c);
		return 0;
	}
}

static void lex_string(struct parser *p, struct token *tk)
{
	const char *t = p->text;
	int pos = p->pos + 1;
	size_t cap = 16, n = 0;
	char *buf = xmalloc(cap);

	while (t[pos] && t[pos] != '"') {
		int at = pos;
		int c = t[pos] == '\\' ? (pos++, lex_escape(p, &pos)) : t[pos++];

		/*
		 * Strings end at their first NUL everywhere in etrace (formats,
		 * STRCMP): a NUL inside would silently cut or never match.
		 */
		if (!c && !p->failed)
			perr(p, at, "a string cannot contain a NUL byte (use -B and STRCMP's "
			     "byte form to compare binary data)");
		buf = grow_array(buf, &cap, n + 2, 1);
		buf[n++] = (char)c;
	}
	if (!t[pos])
		perr(p, p->pos, "unterminated string literal");
	buf[n] = '\0';
	tk->kind = TOK_STR;
	tk->text = buf;
	tk->len = n;
	p->pos = t[pos] ? pos + 1 : pos;
}

static void lex_char(struct parser *p, struct token *tk)
{
	const char *t = p->text;
	int pos = p->pos + 1;
	int c;

	if (!t[pos] || t[pos] == '\'') {
		perr(p, p->pos, "empty or unterminated character literal");
		p->pos = pos;
		return;
	}
	c = t[pos] == '\\' ? (pos++, lex_escape(p, &pos)) : (unsigned char)t[pos++];
	if (t[pos] != '\'') {
		perr(p, p->pos, "unterminated character literal");
		p->pos = pos;
		return;
	}
	tk->kind = TOK_INT;
	tk->ival = (uint64_t)(int64_t)(signed char)c;
	p->pos = pos + 1;
}

static void lex_number(struct parser *p, struct token *tk)
{
	const char *start = p->text + p->pos;
	char *end;
	int base = 10;

	if (start[0] == '0' && (start[1] == 'x' || start[1] == 'X'))
		base = 16;
	else if (start[0] == '0' && isdigit((unsigned char)start[1]))
		base = 8;
	errno = 0;
	tk->ival = strtoull(start, &end, base);
	if (errno == ERANGE)
		perr(p, p->pos, "integer literal out of range");
	/* strtoull() stops after the "0" of a bare "0x": test the digit itself. */
	if (base == 16 && !isxdigit((unsigned char)start[2]))
		perr(p, p->pos, "hex literal without digits");
	/* C integer suffixes: any mix of u/U and l/L/ll/LL. */
	while (*end == 'u' || *end == 'U' || *end == 'l' || *end == 'L') {
		if (*end == 'u' || *end == 'U')
			tk->is_unsigned = true;
		else
			tk->is_long = true;
		end++;
	}
	tk->not_decimal = base != 10;
	if (isalnum((unsigned char)*end) || *end == '_')
		perr(p, (int)(end - p->text), "invalid digit '%c' in number", *end);
	if (tk->ival > INT64_MAX)
		tk->is_unsigned = true;
	tk->kind = TOK_INT;
	p->pos = (int)(end - p->text);
}

static bool is_ident_char(int c)
{
	return isalnum(c) || c == '_';
}

static void lex_ident(struct parser *p, struct token *tk)
{
	int pos = p->pos + (p->text[p->pos] == '$');

	while (is_ident_char((unsigned char)p->text[pos]))
		pos++;
	tk->kind = TOK_IDENT;
	tk->text = xstrndup(p->text + p->pos, pos - p->pos);
	if (pos == p->pos + 1 && p->text[p->pos] == '$')
		perr(p, p->pos, "'$' must be followed by a name such as $pid");
	p->pos = pos;
}

static void lex_punct(struct parser *p, struct token *tk)
{
	const char *s = p->text + p->pos;

	tk->kind = TOK_PUNCT;
	for (size_t i = 0; i < ARRAY_SIZE(two_char_ops); i++) {
		if (!strncmp(s, two_char_ops[i].s, 2)) {
			tk->op = two_char_ops[i].op;
			p->pos += 2;
			return;
		}
	}
	if (!strchr("()[].,?:+-*/%&|^~!<>@", *s)) {
		perr(p, p->pos, "unexpected character '%c'", *s);
		tk->kind = TOK_EOF;
		return;
	}
	tk->op = *s;
	p->pos++;
}

static void next(struct parser *p)
{
	struct token *tk = &p->tok;
	const char *t = p->text;

	if (tk->kind == TOK_IDENT || tk->kind == TOK_STR)
		free(tk->text);
	memset(tk, 0, sizeof(*tk));
	while (t[p->pos] == ' ' || t[p->pos] == '\t' || t[p->pos] == '\n')
		p->pos++;
	tk->pos = p->pos;
	if (p->failed || !t[p->pos]) {
		tk->kind = TOK_EOF;
		return;
	}
	if (isdigit((unsigned char)t[p->pos]))
		lex_number(p, tk);
	else if (t[p->pos] == '"')
		lex_string(p, tk);
	else if (t[p->pos] == '\'')
		lex_char(p, tk);
	else if (isalpha((unsigned char)t[p->pos]) || t[p->pos] == '_' || t[p->pos] == '$')
		lex_ident(p, tk);
	else
		lex_punct(p, tk);
}

static bool is_punct(struct parser *p, int op)
{
	return p->tok.kind == TOK_PUNCT && p->tok.op == op;
}

static bool accept(struct parser *p, int op)
{
	if (!is_punct(p, op))
		return false;
	next(p);
	return true;
}

static const char *tok_desc(const struct token *tk, char *buf, size_t len)
{
	switch (tk->kind) {
	case TOK_EOF: return "end of expression";
	case TOK_INT: return "a number";
	case TOK_STR: return "a string";
	case TOK_IDENT:
		snprintf(buf, len, "'%s'", tk->text);
		return buf;
	case TOK_PUNCT:
		break;
	}
	for (size_t i = 0; i < ARRAY_SIZE(two_char_ops); i++)
		if (two_char_ops[i].op == tk->op) {
			snprintf(buf, len, "'%s'", two_char_ops[i].s);
			return buf;
		}
	snprintf(buf, len, "'%c'", tk->op);
	return buf;
}

static void expect(struct parser *p, int op, const char *what)
{
	char buf[64];

	if (!accept(p, op))
		perr(p, p->tok.pos, "expected %s, found %s", what,
		     tok_desc(&p->tok, buf, sizeof(buf)));
}

static struct expr *new_expr(struct parser *p, enum expr_kind kind, int pos)
{
	struct expr *e = xcalloc(1, sizeof(*e));

	/* Bounds the depth of the tree: see MAX_NODES. */
	if (++p->nodes > MAX_NODES)
		perr(p, pos, "expression too long: more than %d operators and operands",
		     MAX_NODES);
	e->kind = kind;
	e->col = p->col_base + pos;
	return e;
}

static struct expr *parse_ternary(struct parser *p);

/* Enter one more level of recursion; false (error set) past MAX_NESTING. */
static bool nest_enter(struct parser *p)
{
	if (p->depth >= MAX_NESTING) {
		perr(p, p->tok.pos, "expression nested too deeply");
		return false;
	}
	p->depth++;
	return true;
}

/* Words that can start a type name inside a cast. */
static const char *const type_words[] = {
	"struct", "union", "enum", "const", "volatile", "unsigned", "signed",
	"int", "long", "short", "char", "void", "bool", "_Bool",
	"u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64",
	"__u8", "__u16", "__u32", "__u64", "__s8", "__s16", "__s32", "__s64",
	"uint8_t", "uint16_t", "uint32_t", "uint64_t",
	"int8_t", "int16_t", "int32_t", "int64_t", "uintptr_t",
	"size_t", "ssize_t", "pid_t", "uid_t", "gid_t", "loff_t", "umode_t",
	"dev_t", "off_t", "gfp_t", "sector_t",
};

static bool is_type_word(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(type_words); i++)
		if (!strcmp(s, type_words[i]))
			return true;
	return false;
}

/*
 * Qualifiers, and the kernel's sparse annotations that people paste with
 * a signature ("const char __user *filename"): none changes the type.
 */
static bool is_qualifier(const char *s)
{
	static const char *const words[] = {
		"const", "volatile", "restrict", "__user", "__kernel", "__rcu", "__iomem",
		"__force", "__percpu", "__must_check",
	};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (!strcmp(s, words[i]))
			return true;
	return false;
}

static void skip_qualifier(struct parser *p, struct ctype *ty)
{
	if (!strcmp(p->tok.text, "__user"))
		ty->user = true;
	next(p);
}

/* Pointer stars after a base type; "const" after a star is harmless: skip it. */
static void parse_stars(struct parser *p, struct ctype *ty)
{
	for (;;) {
		if (accept(p, '*'))
			ty->ptr++;
		else if (p->tok.kind == TOK_IDENT && is_qualifier(p->tok.text))
			skip_qualifier(p, ty);
		else
			break;
	}
}

/*
 * Parse a type name (after the opening parenthesis of a cast, or in a
 * signature). The base is normalised to single spaces between words.
 */
static bool parse_type(struct parser *p, struct ctype *ty)
{
	char *base = NULL;
	bool tagged = false;

	while (p->tok.kind == TOK_IDENT &&
	       (!base || is_type_word(p->tok.text) || tagged)) {
		if (!base && !is_type_word(p->tok.text))
			break;
		tagged = !strcmp(p->tok.text, "struct") || !strcmp(p->tok.text, "union") ||
			 !strcmp(p->tok.text, "enum");
		if (is_qualifier(p->tok.text)) {
			skip_qualifier(p, ty);
			if (!base)
				base = xstrdup("");
			continue;
		}
		char *nb = xasprintf("%s%s%s", base ? base : "",
				     base && *base ? " " : "", p->tok.text);
		free(base);
		base = nb;
		next(p);
	}
	if (!base || !*base) {
		free(base);
		return false;
	}
	ty->base = base;
	ty->ptr = 0;
	parse_stars(p, ty);
	return true;
}

/* Looks ahead (without consuming) whether '(' starts a cast. */
static bool starts_cast(struct parser *p)
{
	const char *t = p->text + p->pos;
	size_t n;

	while (*t == ' ' || *t == '\t')
		t++;
	n = strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	if (!n)
		return false;
	char *word = xstrndup(t, n);
	bool ok = is_type_word(word);

	free(word);
	return ok;
}

static struct expr *parse_primary(struct parser *p)
{
	struct expr *e;
	char buf[64];

	switch (p->tok.kind) {
	case TOK_INT:
		e = new_expr(p, EXPR_INT, p->tok.pos);
		e->ival = p->tok.ival;
		e->is_unsigned = p->tok.is_unsigned;
		e->is_long = p->tok.is_long;
		e->not_decimal = p->tok.not_decimal;
		next(p);
		return e;
	case TOK_STR:
		e = new_expr(p, EXPR_STR, p->tok.pos);
		e->str = p->tok.text;
		e->str_len = p->tok.len;
		p->tok.text = NULL;
		p->tok.kind = TOK_EOF;
		next(p);
		return e;
	case TOK_IDENT:
		e = new_expr(p, EXPR_IDENT, p->tok.pos);
		e->name = p->tok.text;
		p->tok.text = NULL;
		p->tok.kind = TOK_EOF;
		next(p);
		return e;
	case TOK_PUNCT:
		if (is_punct(p, '(')) {
			next(p);
			e = parse_ternary(p);
			expect(p, ')', "')'");
			return e;
		}
		break;
	case TOK_EOF:
		break;
	}
	perr(p, p->tok.pos, "expected an expression, found %s",
	     tok_desc(&p->tok, buf, sizeof(buf)));
	return NULL;
}

static struct expr *parse_call_args(struct parser *p, struct expr *callee)
{
	struct expr *e = new_expr(p, EXPR_CALL, callee->col - p->col_base);
	size_t cap = 0;

	e->name = callee->name;
	callee->name = NULL;
	expr_free(callee);
	if (accept(p, ')'))
		return e;
	do {
		struct expr *a = parse_ternary(p);

		if (!a)
			break;
		e->args = grow_array(e->args, &cap, e->nargs + 1, sizeof(*e->args));
		e->args[e->nargs++] = a;
	} while (accept(p, ','));
	expect(p, ')', "')' after call arguments");
	return e;
}

static struct expr *parse_postfix(struct parser *p)
{
	struct expr *e = parse_primary(p);

	while (e && !p->failed) {
		int pos = p->tok.pos;

		if (is_punct(p, '(') && e->kind == EXPR_IDENT) {
			next(p);
			e = parse_call_args(p, e);
		} else if (is_punct(p, '[')) {
			struct expr *ix = new_expr(p, EXPR_INDEX, pos);

			next(p);
			ix->lhs = e;
			ix->rhs = parse_ternary(p);
			expect(p, ']', "']'");
			e = ix;
		} else if (is_punct(p, '.') || is_punct(p, OP_ARROW)) {
			struct expr *m = new_expr(p, EXPR_MEMBER, pos);

			m->arrow = p->tok.op == OP_ARROW;
			next(p);
			m->lhs = e;
			e = m;
			if (p->tok.kind != TOK_IDENT) {
				perr(p, p->tok.pos, "expected a field name after '%s'",
				     m->arrow ? "->" : ".");
				break;
			}
			m->name = p->tok.text;
			p->tok.text = NULL;
			p->tok.kind = TOK_EOF;
			next(p);
		} else if (is_punct(p, '@')) {
			next(p);
			if (e->kind != EXPR_IDENT || p->tok.kind != TOK_IDENT ||
			    strcmp(p->tok.text, "user")) {
				perr(p, pos, "'@' must be written as NAME@user");
				break;
			}
			e->user = true;
			next(p);
		} else {
			break;
		}
	}
	return e;
}

static struct expr *parse_unary_nested(struct parser *p);

/* Unary operators and casts recurse without parentheses: "- - -x". */
static struct expr *parse_unary(struct parser *p)
{
	struct expr *e;

	if (!nest_enter(p))
		return NULL;
	e = parse_unary_nested(p);
	p->depth--;
	return e;
}

static struct expr *parse_unary_nested(struct parser *p)
{
	int pos = p->tok.pos;

	if (p->tok.kind == TOK_PUNCT && strchr("-~!*&+", p->tok.op) && p->tok.op < 256) {
		int op = p->tok.op;
		struct expr *e;

		next(p);
		if (op == '+')
			return parse_unary(p);
		e = new_expr(p, EXPR_UNARY, pos);
		e->op = op;
		e->lhs = parse_unary(p);
		return e;
	}
	if (is_punct(p, '(') && starts_cast(p)) {
		struct expr *e = new_expr(p, EXPR_CAST, pos);

		next(p);
		if (!parse_type(p, &e->cast))
			perr(p, p->tok.pos, "expected a type name in cast");
		expect(p, ')', "')' after the type of a cast");
		e->lhs = parse_unary(p);
		return e;
	}
	return parse_postfix(p);
}

/* Binary precedence levels, lowest first (C's order). */
static int binary_prec(int op)
{
	switch (op) {
	case OP_LOR: return 1;
	case OP_LAND: return 2;
	case '|': return 3;
	case '^': return 4;
	case '&': return 5;
	case OP_EQ: case OP_NE: return 6;
	case '<': case '>': case OP_LE: case OP_GE: return 7;
	case OP_SHL: case OP_SHR: return 8;
	case '+': case '-': return 9;
	case '*': case '/': case '%': return 10;
	default: return 0;
	}
}

static struct expr *parse_binary(struct parser *p, int min_prec)
{
	struct expr *lhs = parse_unary(p);

	while (lhs && !p->failed && p->tok.kind == TOK_PUNCT) {
		int op = p->tok.op, prec = binary_prec(op), pos = p->tok.pos;
		struct expr *e;

		if (!prec || prec < min_prec)
			break;
		next(p);
		e = new_expr(p, EXPR_BINARY, pos);
		e->op = op;
		e->lhs = lhs;
		e->rhs = parse_binary(p, prec + 1);
		lhs = e;
	}
	return lhs;
}

static struct expr *parse_ternary_nested(struct parser *p);

/* Every parenthesis, call, index and conditional recurses through here. */
static struct expr *parse_ternary(struct parser *p)
{
	struct expr *e;

	if (!nest_enter(p))
		return NULL;
	e = parse_ternary_nested(p);
	p->depth--;
	return e;
}

static struct expr *parse_ternary_nested(struct parser *p)
{
	struct expr *cond = parse_binary(p, 1);
	struct expr *e;
	int pos = p->tok.pos;

	if (!cond || !is_punct(p, '?'))
		return cond;
	next(p);
	e = new_expr(p, EXPR_TERNARY, pos);
	e->cond = cond;
	e->lhs = parse_ternary(p);
	expect(p, ':', "':' in conditional expression");
	e->rhs = parse_ternary(p);
	return e;
}

struct expr *expr_parse(const char *text, int col_base, char *err, size_t errlen)
{
	struct parser p = {
		.text = text, .col_base = col_base, .err = err, .errlen = errlen,
	};
	struct expr *e;
	char buf[64];

	next(&p);
	if (p.tok.kind == TOK_EOF && !p.failed) {
		perr(&p, p.tok.pos, "empty expression");
		return NULL;
	}
	e = parse_ternary(&p);
	if (!p.failed && p.tok.kind != TOK_EOF)
		perr(&p, p.tok.pos, "unexpected %s after expression",
		     tok_desc(&p.tok, buf, sizeof(buf)));
	if (p.tok.kind == TOK_IDENT || p.tok.kind == TOK_STR)
		free(p.tok.text);
	if (p.failed) {
		expr_free(e);
		return NULL;
	}
	return e;
}

/*
 * Parse "type name, type name" of a signature into @params. Used by the
 * spec parser, which owns the column bookkeeping.
 */
int expr_parse_params(const char *text, int col_base, struct param **params,
		      size_t *nparams, char *err, size_t errlen)
{
	struct parser p = {
		.text = text, .col_base = col_base, .err = err, .errlen = errlen,
	};
	size_t cap = 0;
	char buf[64];

	*params = NULL;
	*nparams = 0;
	next(&p);
	if (p.tok.kind == TOK_EOF || (p.tok.kind == TOK_IDENT && !strcmp(p.tok.text, "void")
				      && !p.text[p.pos + strspn(p.text + p.pos, " \t\n")])) {
		if (p.tok.kind == TOK_IDENT)
			free(p.tok.text);
		return 0;
	}
	while (!p.failed) {
		struct param pm = { .col = col_base + p.tok.pos };

		/* Qualifiers before a typedef name: "const sigset_t *set". */
		while (p.tok.kind == TOK_IDENT && is_qualifier(p.tok.text))
			skip_qualifier(&p, &pm.type);
		if (p.tok.kind != TOK_IDENT) {
			perr(&p, p.tok.pos, "expected a parameter type, found %s",
			     tok_desc(&p.tok, buf, sizeof(buf)));
			break;
		}
		/* A typedef name the cast table does not know is accepted here:
		 * signatures name kernel types such as "struct file" or "loff_t". */
		if (!is_type_word(p.tok.text)) {
			pm.type.base = xstrdup(p.tok.text);
			next(&p);
			parse_stars(&p, &pm.type);
		} else if (!parse_type(&p, &pm.type)) {
			perr(&p, p.tok.pos, "expected a parameter type");
			break;
		}
		if (p.tok.kind != TOK_IDENT) {
			perr(&p, p.tok.pos, "expected a parameter name after type '%s'",
			     pm.type.base);
			free(pm.type.base);
			break;
		}
		pm.name = p.tok.text;
		p.tok.text = NULL;
		p.tok.kind = TOK_EOF;
		pm.col = col_base + p.tok.pos;
		next(&p);
		*params = grow_array(*params, &cap, *nparams + 1, sizeof(**params));
		(*params)[(*nparams)++] = pm;
		if (p.tok.kind == TOK_EOF)
			break;
		if (!accept(&p, ','))
			perr(&p, p.tok.pos, "expected ',' or ')' in signature, found %s",
			     tok_desc(&p.tok, buf, sizeof(buf)));
	}
	if (p.tok.kind == TOK_IDENT || p.tok.kind == TOK_STR)
		free(p.tok.text);
	return p.failed ? -EINVAL : 0;
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	expr_free(e->cond);
	expr_free(e->lhs);
	expr_free(e->rhs);
	for (size_t i = 0; i < e->nargs; i++)
		expr_free(e->args[i]);
	free(e->args);
	free(e->name);
	free(e->str);
	free(e->cast.base);
	free(e);
}

bool expr_mentions(const struct expr *e, const char *name)
{
	if (!e)
		return false;
	if ((e->kind == EXPR_IDENT || e->kind == EXPR_CALL) && e->name && !strcmp(e->name, name))
		return true;
	if (expr_mentions(e->cond, name) || expr_mentions(e->lhs, name) ||
	    expr_mentions(e->rhs, name))
		return true;
	for (size_t i = 0; i < e->nargs; i++)
		if (expr_mentions(e->args[i], name))
			return true;
	return false;
}

static const char *op_text(int op, char *buf)
{
	for (size_t i = 0; i < ARRAY_SIZE(two_char_ops); i++)
		if (two_char_ops[i].op == op)
			return two_char_ops[i].s;
	buf[0] = (char)op;
	buf[1] = '\0';
	return buf;
}

char *expr_to_string(const struct expr *e)
{
	char ob[2], *a, *b, *c, *s;

	switch (e->kind) {
	case EXPR_INT:
		return xasprintf("%llu", (unsigned long long)e->ival);
	case EXPR_STR:
		return xasprintf("\"%s\"", e->str);
	case EXPR_IDENT:
		return xasprintf("%s%s", e->name, e->user ? "@user" : "");
	case EXPR_MEMBER:
		a = expr_to_string(e->lhs);
		s = xasprintf("%s%s%s", a, e->arrow ? "->" : ".", e->name);
		break;
	case EXPR_INDEX:
		a = expr_to_string(e->lhs);
		b = expr_to_string(e->rhs);
		s = xasprintf("%s[%s]", a, b);
		free(b);
		break;
	case EXPR_CALL:
		a = xstrdup("");
		for (size_t i = 0; i < e->nargs; i++) {
			b = expr_to_string(e->args[i]);
			c = xasprintf("%s%s%s", a, i ? ", " : "", b);
			free(a);
			free(b);
			a = c;
		}
		s = xasprintf("%s(%s)", e->name, a);
		break;
	case EXPR_UNARY:
		a = expr_to_string(e->lhs);
		s = xasprintf("%c(%s)", e->op, a);
		break;
	case EXPR_BINARY:
		a = expr_to_string(e->lhs);
		b = expr_to_string(e->rhs);
		s = xasprintf("(%s %s %s)", a, op_text(e->op, ob), b);
		free(b);
		break;
	case EXPR_TERNARY:
		a = expr_to_string(e->cond);
		b = expr_to_string(e->lhs);
		c = expr_to_string(e->rhs);
		s = xasprintf("(%s ? %s : %s)", a, b, c);
		free(b);
		free(c);
		break;
	case EXPR_CAST:
		a = expr_to_string(e->lhs);
		s = xasprintf("((%s%s%.*s)%s)", e->cast.base, e->cast.ptr ? " " : "",
			      e->cast.ptr, "********", a);
		break;
	default:
		return xstrdup("?");
	}
	free(a);
	return s;
}
