/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Probe specifiers in BCC trace's language, parsed into an AST:
 *
 *   [{p,r,t,u}]:[library]:function[+offset][(signature)] [(predicate)]
 *       ["format string"[, arguments]]
 *   t:category:event ...      u:library[:provider]:probe ...
 *
 * plus BCC's short forms (func = p::func, lib:func = p:lib:func).
 * Parsing is purely syntactic: whether a function, library or tracepoint
 * exists is decided later by the provider that attaches the probe.
 */
#ifndef __ETRACE_SPEC_H
#define __ETRACE_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum expr_kind {
	EXPR_INT,	/* integer or character literal: .ival */
	EXPR_STR,	/* string literal: .str (unescaped), .str_len */
	EXPR_IDENT,	/* identifier, incl. $vars: .name; .user for @user */
	EXPR_MEMBER,	/* .lhs->name (arrow) or .lhs.name */
	EXPR_INDEX,	/* .lhs[.rhs] */
	EXPR_CALL,	/* .name(.args[0..nargs)) */
	EXPR_UNARY,	/* .op .lhs: '-', '~', '!', '*' (deref), '&' (address) */
	EXPR_BINARY,	/* .lhs .op .rhs */
	EXPR_TERNARY,	/* .cond ? .lhs : .rhs */
	EXPR_CAST,	/* (.cast) .lhs */
};

/* Binary operators that are not a single character. */
enum {
	OP_SHL = 256, OP_SHR, OP_LE, OP_GE, OP_EQ, OP_NE, OP_LAND, OP_LOR, OP_ARROW,
};

/* A C type as written in a cast or signature: base words + pointer depth. */
struct ctype {
	char *base;		/* "unsigned long", "struct file", "u32", ... */
	int ptr;		/* number of '*' */
	bool user;		/* annotated __user: points into user memory */
};

struct expr {
	enum expr_kind kind;
	int col;		/* 1-based column within the probe text */
	int op;
	bool arrow;		/* EXPR_MEMBER: -> rather than . */
	bool user;		/* EXPR_IDENT: written as name@user */
	bool is_unsigned;	/* EXPR_INT: literal had a u suffix or is > INT64_MAX */
	bool is_long;		/* EXPR_INT: l/L suffix */
	bool not_decimal;	/* EXPR_INT: hex or octal (C gives them unsigned types too) */
	uint64_t ival;
	char *name;
	char *str;
	size_t str_len;
	struct ctype cast;
	struct expr *cond, *lhs, *rhs;
	struct expr **args;
	size_t nargs;
};

/* One declared parameter of a signature: "struct file *file". */
struct param {
	struct ctype type;
	char *name;
	int col;
};

struct probe_spec {
	char *raw;		/* the probe argument as given */
	int index;		/* 1-based position among the probes */
	char type;		/* 'p', 'r', 't' or 'u' */
	char *library;		/* p/r/u: library or binary; NULL = kernel */
	char *category;		/* t: category; u: provider (may be NULL) */
	char *function;		/* p/r: function; t: event; u: probe name */
	bool has_offset;
	uint64_t offset;
	bool has_signature;
	struct param *params;
	size_t nparams;
	struct expr *predicate;	/* NULL: always true */
	char *format;		/* NULL: no action (trivial probe) */
	int format_col;
	struct expr **args;
	size_t nargs;
	int spec_col;		/* column of the spec (after leading blanks) */
	int library_col;	/* column of the library (0: none) */
	int function_col;
};

/*
 * Parse one probe argument. @index is its 1-based position, used in error
 * messages. Returns 0, or -EINVAL with "probe N, column C: reason" written
 * into @err.
 */
int spec_parse(const char *text, int index, struct probe_spec *out,
	       char *err, size_t errlen);
void spec_free(struct probe_spec *spec);

/* Whether the predicate or a format argument names @name (an identifier or a call). */
bool spec_mentions(const struct probe_spec *ps, const char *name);
bool expr_mentions(const struct expr *e, const char *name);

/*
 * The entry probe of return probe @ret (same function, library and
 * signature, nothing to do): what $latency and $entry() need at entry.
 */
void spec_entry_of(const struct probe_spec *ret, struct probe_spec *out);

/*
 * Parse a C expression (predicate or format argument) from @text;
 * @col_base is the column of text[0] in the probe. Returns NULL with the
 * error in @err.
 */
struct expr *expr_parse(const char *text, int col_base, char *err, size_t errlen);
void expr_free(struct expr *e);

/* Parse the parameter list of a signature (text between the parentheses). */
int expr_parse_params(const char *text, int col_base, struct param **params,
		      size_t *nparams, char *err, size_t errlen);

/* Print an expression back as C text (for -v and tests). */
char *expr_to_string(const struct expr *e);

/* What kind of probe @spec is, in words ("tracepoint", "kernel return probe"...). */
const char *spec_kind_name(const struct probe_spec *spec);

#endif /* __ETRACE_SPEC_H */
