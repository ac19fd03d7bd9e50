// SPDX-License-Identifier: BSD-2-Clause
/*
 * Probe specifiers: every form of the grammar, the fields and columns of
 * struct probe_spec, expression precedence (checked through
 * expr_to_string), signatures and the exact error messages.
 */
#include <errno.h>
#include <stdlib.h>

#include "spec/spec.h"
#include "unit.h"
#include "util.h"

/* Parse @text as probe 1; prints the error and returns false on failure. */
static bool parse(const char *text, struct probe_spec *ps)
{
	char err[256];

	if (spec_parse(text, 1, ps, err, sizeof(err))) {
		fprintf(stderr, "  spec_parse(%s): %s\n", text, err);
		return false;
	}
	return true;
}

/* The error message for @text as probe @index, or "(parsed)". */
static const char *spec_error_n(const char *text, int index)
{
	static char err[256];
	struct probe_spec ps;
	int ret;

	strcpy(err, "(no message)");
	ret = spec_parse(text, index, &ps, err, sizeof(err));
	spec_free(&ps);
	if (!ret)
		return "(parsed)";
	if (ret != -EINVAL)
		return "(wrong return value)";
	return err;
}

static const char *spec_error(const char *text)
{
	return spec_error_n(text, 1);
}

/* An expression printed back, or "error: <message>"; col_base is 1. */
static const char *ex(const char *text)
{
	static char out[512];
	char err[256];
	struct expr *e = expr_parse(text, 1, err, sizeof(err));
	char *s;

	if (!e) {
		snprintf(out, sizeof(out), "error: %s", err);
		return out;
	}
	s = expr_to_string(e);
	snprintf(out, sizeof(out), "%s", s);
	free(s);
	expr_free(e);
	return out;
}

/* Argument @i of a parsed probe, printed back. */
static const char *arg_str(const struct probe_spec *ps, size_t i)
{
	static char out[512];
	char *s;

	if (i >= ps->nargs)
		return "(no such argument)";
	s = expr_to_string(ps->args[i]);
	snprintf(out, sizeof(out), "%s", s);
	free(s);
	return out;
}

static const char *pred_str(const struct probe_spec *ps)
{
	static char out[512];
	char *s;

	if (!ps->predicate)
		return "(no predicate)";
	s = expr_to_string(ps->predicate);
	snprintf(out, sizeof(out), "%s", s);
	free(s);
	return out;
}

/* "type base ptr name col" of a parameter, for one-line comparisons. */
static const char *param_str(const struct probe_spec *ps, size_t i)
{
	static char out[256];
	const struct param *pm;

	if (i >= ps->nparams)
		return "(no such parameter)";
	pm = &ps->params[i];
	snprintf(out, sizeof(out), "%s|%d|%s|%d", pm->type.base, pm->type.ptr,
		 pm->name, pm->col);
	return out;
}

UNIT_TEST(spec_short_forms)
{
	struct probe_spec ps;

	/* func = p::func, a kprobe. */
	if (parse("do_sys_open", &ps)) {
		CHECK_EQ_INT(ps.type, 'p');
		CHECK(!ps.library);
		CHECK(!ps.category);
		CHECK_EQ_STR(ps.function, "do_sys_open");
		CHECK(!ps.has_offset && !ps.has_signature);
		CHECK(!ps.predicate && !ps.format);
		CHECK_EQ_INT(ps.nargs, 0);
		CHECK_EQ_INT(ps.nparams, 0);
		CHECK_EQ_INT(ps.index, 1);
		CHECK_EQ_STR(ps.raw, "do_sys_open");
		CHECK_EQ_INT(ps.spec_col, 1);
		CHECK_EQ_INT(ps.function_col, 1);
		CHECK_EQ_STR(spec_kind_name(&ps), "kernel function probe");
	}
	spec_free(&ps);

	/* lib:func = p:lib:func, a uprobe (BCC: "x:foo" is library x). */
	if (parse("c:malloc", &ps)) {
		CHECK_EQ_INT(ps.type, 'p');
		CHECK_EQ_STR(ps.library, "c");
		CHECK(!ps.category);
		CHECK_EQ_STR(ps.function, "malloc");
		CHECK_EQ_INT(ps.function_col, 3);
		CHECK_EQ_STR(spec_kind_name(&ps), "user function probe");
	}
	spec_free(&ps);

	/* An empty type means p. */
	if (parse("::vfs_read", &ps)) {
		CHECK_EQ_INT(ps.type, 'p');
		CHECK(!ps.library);
		CHECK_EQ_STR(ps.function, "vfs_read");
		CHECK_EQ_INT(ps.function_col, 3);
	}
	spec_free(&ps);

	if (parse(":c:free", &ps)) {
		CHECK_EQ_INT(ps.type, 'p');
		CHECK_EQ_STR(ps.library, "c");
		CHECK_EQ_STR(ps.function, "free");
		CHECK_EQ_INT(ps.function_col, 4);
	}
	spec_free(&ps);

	/* Two parts with a type letter first are still lib:func. */
	if (parse("t:sched", &ps)) {
		CHECK_EQ_INT(ps.type, 'p');
		CHECK_EQ_STR(ps.library, "t");
		CHECK_EQ_STR(ps.function, "sched");
	}
	spec_free(&ps);
}

UNIT_TEST(spec_entry_and_return)
{
	struct probe_spec ps;

	if (parse("p::vfs_read", &ps)) {
		CHECK_EQ_INT(ps.type, 'p');
		CHECK(!ps.library);
		CHECK_EQ_STR(ps.function, "vfs_read");
		CHECK_EQ_INT(ps.spec_col, 1);
		CHECK_EQ_INT(ps.function_col, 4);
	}
	spec_free(&ps);

	if (parse("r::vfs_read", &ps)) {
		CHECK_EQ_INT(ps.type, 'r');
		CHECK(!ps.library);
		CHECK_EQ_STR(ps.function, "vfs_read");
		CHECK_EQ_STR(spec_kind_name(&ps), "kernel return probe");
	}
	spec_free(&ps);

	if (parse("p:c:write", &ps)) {
		CHECK_EQ_INT(ps.type, 'p');
		CHECK_EQ_STR(ps.library, "c");
		CHECK_EQ_STR(ps.function, "write");
		CHECK_EQ_INT(ps.function_col, 5);
	}
	spec_free(&ps);

	if (parse("r:/bin/bash:readline", &ps)) {
		CHECK_EQ_INT(ps.type, 'r');
		CHECK_EQ_STR(ps.library, "/bin/bash");
		CHECK_EQ_STR(ps.function, "readline");
		CHECK_EQ_STR(spec_kind_name(&ps), "user return probe");
	}
	spec_free(&ps);

	/* Everything between type and function is the library (colons too). */
	if (parse("r:/usr/lib/a:b:func", &ps)) {
		CHECK_EQ_INT(ps.type, 'r');
		CHECK_EQ_STR(ps.library, "/usr/lib/a:b");
		CHECK_EQ_STR(ps.function, "func");
		CHECK_EQ_INT(ps.function_col, 16);
	}
	spec_free(&ps);

	if (parse("p:/a:b::c:main", &ps)) {
		CHECK_EQ_STR(ps.library, "/a:b::c");
		CHECK_EQ_STR(ps.function, "main");
	}
	spec_free(&ps);
}

UNIT_TEST(spec_offsets)
{
	struct probe_spec ps;

	if (parse("kfree_skb+0x12", &ps)) {
		CHECK_EQ_INT(ps.type, 'p');
		CHECK_EQ_STR(ps.function, "kfree_skb");
		CHECK(ps.has_offset);
		CHECK_EQ_INT(ps.offset, 0x12);
	}
	spec_free(&ps);

	if (parse("func+18", &ps)) {
		CHECK_EQ_STR(ps.function, "func");
		CHECK(ps.has_offset);
		CHECK_EQ_INT(ps.offset, 18);
	}
	spec_free(&ps);

	if (parse("p::func+0X1f", &ps)) {
		CHECK(ps.has_offset);
		CHECK_EQ_INT(ps.offset, 0x1f);
	}
	spec_free(&ps);

	/* +0 is an offset too, distinct from no offset. */
	if (parse("func+0", &ps)) {
		CHECK(ps.has_offset);
		CHECK_EQ_INT(ps.offset, 0);
	}
	spec_free(&ps);

	/* Offsets on uprobes (BCC's sym_off). */
	if (parse("p:/bin/x:main+0xd", &ps)) {
		CHECK_EQ_STR(ps.library, "/bin/x");
		CHECK_EQ_STR(ps.function, "main");
		CHECK(ps.has_offset);
		CHECK_EQ_INT(ps.offset, 0xd);
	}
	spec_free(&ps);

	if (parse("c:malloc+4", &ps)) {
		CHECK_EQ_STR(ps.library, "c");
		CHECK_EQ_STR(ps.function, "malloc");
		CHECK_EQ_INT(ps.offset, 4);
	}
	spec_free(&ps);
}

UNIT_TEST(spec_tracepoint)
{
	struct probe_spec ps;

	if (parse("t:sched:sched_switch", &ps)) {
		CHECK_EQ_INT(ps.type, 't');
		CHECK(!ps.library);
		CHECK_EQ_STR(ps.category, "sched");
		CHECK_EQ_STR(ps.function, "sched_switch");
		CHECK_EQ_INT(ps.function_col, 9);
		CHECK(!ps.has_offset && !ps.has_signature);
		CHECK_EQ_STR(spec_kind_name(&ps), "tracepoint");
	}
	spec_free(&ps);

	if (parse("t:syscalls:sys_enter_openat (args->dfd == -100) "
		  "\"%s\", args->filename", &ps)) {
		CHECK_EQ_STR(ps.category, "syscalls");
		CHECK_EQ_STR(ps.function, "sys_enter_openat");
		CHECK_EQ_STR(pred_str(&ps), "(args->dfd == -(100))");
		CHECK_EQ_STR(ps.format, "%s");
		CHECK_EQ_INT(ps.nargs, 1);
		CHECK_EQ_STR(arg_str(&ps, 0), "args->filename");
	}
	spec_free(&ps);
}

UNIT_TEST(spec_usdt)
{
	struct probe_spec ps;

	if (parse("u:pthread:pthread_start", &ps)) {
		CHECK_EQ_INT(ps.type, 'u');
		CHECK_EQ_STR(ps.library, "pthread");
		CHECK(!ps.category);
		CHECK_EQ_STR(ps.function, "pthread_start");
		CHECK_EQ_INT(ps.function_col, 11);
		CHECK_EQ_STR(spec_kind_name(&ps), "USDT probe");
	}
	spec_free(&ps);

	if (parse("u:/usr/lib/libc.so.6:libc:setjmp \"%d\", arg1", &ps)) {
		CHECK_EQ_INT(ps.type, 'u');
		CHECK_EQ_STR(ps.library, "/usr/lib/libc.so.6");
		CHECK_EQ_STR(ps.category, "libc");
		CHECK_EQ_STR(ps.function, "setjmp");
		CHECK_EQ_STR(ps.format, "%d");
		CHECK_EQ_STR(arg_str(&ps, 0), "arg1");
	}
	spec_free(&ps);
}

UNIT_TEST(spec_signature)
{
	struct probe_spec ps;

	if (parse("p::vfs_read(struct file *file, char *buf, size_t count)", &ps)) {
		CHECK_EQ_STR(ps.function, "vfs_read");
		CHECK(ps.has_signature);
		CHECK_EQ_INT(ps.nparams, 3);
		CHECK_EQ_STR(param_str(&ps, 0), "struct file|1|file|26");
		CHECK_EQ_STR(param_str(&ps, 1), "char|1|buf|38");
		CHECK_EQ_STR(param_str(&ps, 2), "size_t|0|count|50");
		CHECK(!ps.predicate && !ps.format);
	}
	spec_free(&ps);

	/* Multi-word types, const, several stars, typedefs it does not know. */
	if (parse("r::f(const char *name,unsigned long long n,struct a **pp,"
		  "my_t x,my_t *const *y)", &ps)) {
		CHECK_EQ_INT(ps.type, 'r');
		CHECK_EQ_INT(ps.nparams, 5);
		CHECK_EQ_STR(param_str(&ps, 0), "char|1|name|18");
		CHECK_EQ_STR(param_str(&ps, 1), "unsigned long long|0|n|42");
		CHECK_EQ_STR(param_str(&ps, 2), "struct a|2|pp|55");
		CHECK_EQ_STR(param_str(&ps, 3), "my_t|0|x|63");
		CHECK_EQ_STR(param_str(&ps, 4), "my_t|2|y|78");
	}
	spec_free(&ps);

	/* const before a typedef name the type table does not know. */
	if (parse("p::f(const sigset_t *set, volatile foo_t v)", &ps)) {
		CHECK_EQ_INT(ps.nparams, 2);
		CHECK_EQ_STR(param_str(&ps, 0), "sigset_t|1|set|22");
		CHECK_EQ_STR(param_str(&ps, 1), "foo_t|0|v|42");
	}
	spec_free(&ps);

	/* Empty and (void) signatures declare no parameters. */
	if (parse("p::f()", &ps)) {
		CHECK(ps.has_signature);
		CHECK_EQ_INT(ps.nparams, 0);
	}
	spec_free(&ps);
	if (parse("p::f(void)", &ps)) {
		CHECK(ps.has_signature);
		CHECK_EQ_INT(ps.nparams, 0);
	}
	spec_free(&ps);
	if (parse("p::f( void )", &ps)) {
		CHECK(ps.has_signature);
		CHECK_EQ_INT(ps.nparams, 0);
	}
	spec_free(&ps);
	if (parse("p::f(void *p)", &ps)) {
		CHECK_EQ_INT(ps.nparams, 1);
		CHECK_EQ_STR(param_str(&ps, 0), "void|1|p|12");
	}
	spec_free(&ps);
	if (parse("p::execve(const char *const *argv, char * const * const envp)",
		  &ps)) {
		CHECK_EQ_INT(ps.nparams, 2);
		CHECK_EQ_STR(param_str(&ps, 0), "char|2|argv|30");
		CHECK_EQ_STR(param_str(&ps, 1), "char|2|envp|57");
	}
	spec_free(&ps);

	/* Signature, then a predicate (with or without a blank), then an action. */
	if (parse("p::do_nanosleep(struct hrtimer_sleeper *t)(t != 0)\"%llx\",t",
		  &ps)) {
		CHECK_EQ_INT(ps.nparams, 1);
		CHECK_EQ_STR(param_str(&ps, 0), "struct hrtimer_sleeper|1|t|41");
		CHECK_EQ_STR(pred_str(&ps), "(t != 0)");
		CHECK_EQ_STR(ps.format, "%llx");
		CHECK_EQ_STR(arg_str(&ps, 0), "t");
	}
	spec_free(&ps);

	/* With an offset, the signature follows it. */
	if (parse("func+0x8(int a) (a > 1)", &ps)) {
		CHECK_EQ_STR(ps.function, "func");
		CHECK_EQ_INT(ps.offset, 8);
		CHECK_EQ_STR(param_str(&ps, 0), "int|0|a|14");
		CHECK_EQ_STR(pred_str(&ps), "(a > 1)");
	}
	spec_free(&ps);

	/* A signature on a uprobe. */
	if (parse("c:write(int fd, const void *buf, size_t n)", &ps)) {
		CHECK_EQ_STR(ps.library, "c");
		CHECK_EQ_INT(ps.nparams, 3);
		CHECK_EQ_STR(param_str(&ps, 1), "void|1|buf|29");
	}
	spec_free(&ps);
}

UNIT_TEST(spec_predicate)
{
	struct probe_spec ps;

	if (parse("do_sys_open (arg2 & 1)", &ps)) {
		CHECK(!ps.has_signature);
		CHECK_EQ_STR(pred_str(&ps), "(arg2 & 1)");
		CHECK_EQ_INT(ps.predicate->col, 19);
		CHECK(!ps.format);
		CHECK_EQ_INT(ps.nargs, 0);
	}
	spec_free(&ps);

	/* Nested parentheses, and ')' inside string and char literals. */
	if (parse("r::f ((retval > 0) && (STRCMP(\")(\", arg1) || arg2 == ')'))",
		  &ps)) {
		CHECK_EQ_STR(pred_str(&ps),
			     "((retval > 0) && (STRCMP(\")(\", arg1) || (arg2 == 41)))");
	}
	spec_free(&ps);

	/* Blanks: tabs and several spaces around the parts. */
	if (parse("\t func \t ( $pid == 1 )  \t", &ps)) {
		CHECK_EQ_INT(ps.spec_col, 3);
		CHECK_EQ_INT(ps.function_col, 3);
		CHECK_EQ_STR(ps.function, "func");
		CHECK_EQ_STR(pred_str(&ps), "($pid == 1)");
		/* A binary expression's column is its operator's. */
		CHECK_EQ_INT(ps.predicate->col, 17);
		CHECK_EQ_INT(ps.predicate->lhs->col, 12);
		CHECK(!ps.format);
	}
	spec_free(&ps);
}

UNIT_TEST(spec_action)
{
	struct probe_spec ps;

	if (parse("do_sys_open \"%s\", arg2", &ps)) {
		CHECK(!ps.predicate);
		CHECK_EQ_STR(ps.format, "%s");
		CHECK_EQ_INT(ps.format_col, 13);
		CHECK_EQ_INT(ps.nargs, 1);
		CHECK_EQ_STR(arg_str(&ps, 0), "arg2");
		CHECK_EQ_INT(ps.args[0]->col, 19);
	}
	spec_free(&ps);

	/* A format without arguments, and trailing blanks. */
	if (parse("func \"hello world\"  ", &ps)) {
		CHECK_EQ_STR(ps.format, "hello world");
		CHECK_EQ_INT(ps.nargs, 0);
		CHECK(!ps.args);
	}
	spec_free(&ps);

	/* An empty format string is still an action. */
	if (parse("func \"\"", &ps)) {
		CHECK(ps.format);
		CHECK_EQ_STR(ps.format, "");
	}
	spec_free(&ps);

	/* Commas inside calls, strings and brackets do not split arguments. */
	if (parse("p::f \"%d %s %d\", STRCMP(\"a,b\", arg1), \",\", a[f(1, 2)]", &ps)) {
		CHECK_EQ_INT(ps.nargs, 3);
		CHECK_EQ_STR(arg_str(&ps, 0), "STRCMP(\"a,b\", arg1)");
		CHECK_EQ_STR(arg_str(&ps, 1), "\",\"");
		CHECK_EQ_STR(arg_str(&ps, 2), "a[f(1, 2)]");
		CHECK_EQ_INT(ps.args[0]->col, 18);
		CHECK_EQ_INT(ps.args[1]->col, 39);
		/* An index expression's column is its '['. */
		CHECK_EQ_INT(ps.args[2]->col, 45);
	}
	spec_free(&ps);

	/* Escaped quotes (and other escapes) inside the format string. */
	if (parse("func \"say \\\"%s\\\"\\tnow\\\\\", arg1", &ps)) {
		CHECK_EQ_STR(ps.format, "say \"%s\"\tnow\\");
		CHECK_EQ_INT(ps.nargs, 1);
		CHECK_EQ_STR(arg_str(&ps, 0), "arg1");
	}
	spec_free(&ps);

	/* Adjacent conversions are the printf engine's business: kept as is. */
	if (parse("func \"%s%s\",arg1,arg2", &ps)) {
		CHECK_EQ_STR(ps.format, "%s%s");
		CHECK_EQ_INT(ps.nargs, 2);
		CHECK_EQ_STR(arg_str(&ps, 0), "arg1");
		CHECK_EQ_STR(arg_str(&ps, 1), "arg2");
		CHECK_EQ_INT(ps.args[1]->col, 18);
	}
	spec_free(&ps);

	/* No blanks at all between predicate, format and arguments. */
	if (parse("func (arg1)\"%d\",arg1+1", &ps)) {
		CHECK_EQ_STR(pred_str(&ps), "arg1");
		CHECK_EQ_STR(ps.format, "%d");
		CHECK_EQ_INT(ps.format_col, 12);
		CHECK_EQ_STR(arg_str(&ps, 0), "(arg1 + 1)");
	}
	spec_free(&ps);

	/* Blanks everywhere. */
	if (parse("  r::f   ( retval )   \"%d %u\"  ,  retval ,\t-retval  ", &ps)) {
		CHECK_EQ_INT(ps.spec_col, 3);
		CHECK_EQ_INT(ps.function_col, 6);
		CHECK_EQ_STR(pred_str(&ps), "retval");
		CHECK_EQ_INT(ps.predicate->col, 12);
		CHECK_EQ_STR(ps.format, "%d %u");
		CHECK_EQ_INT(ps.format_col, 23);
		CHECK_EQ_INT(ps.nargs, 2);
		CHECK_EQ_STR(arg_str(&ps, 0), "retval");
		CHECK_EQ_STR(arg_str(&ps, 1), "-(retval)");
		CHECK_EQ_INT(ps.args[0]->col, 35);
		CHECK_EQ_INT(ps.args[1]->col, 44);
	}
	spec_free(&ps);

	/* The probe index is kept. */
	{
		char err[128];

		CHECK_EQ_INT(spec_parse("f", 7, &ps, err, sizeof(err)), 0);
		CHECK_EQ_INT(ps.index, 7);
		spec_free(&ps);
		CHECK(!ps.raw && !ps.function);
	}
}

UNIT_TEST(spec_errors_head)
{
	CHECK_EQ_STR(spec_error("x:lib:func"),
		     "probe 1, column 1: unknown probe type 'x' (expected p, r, t or u)");
	CHECK_EQ_STR(spec_error_n("  pr::func", 3),
		     "probe 3, column 3: unknown probe type 'pr' (expected p, r, t or u)");
	CHECK_EQ_STR(spec_error("t:a:b:c"),
		     "probe 1, column 1: a tracepoint is written t:category:event");
	CHECK_EQ_STR(spec_error("t::sched_switch"),
		     "probe 1, column 3: missing tracepoint category (t:category:event)");
	CHECK_EQ_STR(spec_error("t:sched:"),
		     "probe 1, column 9: missing event name");
	CHECK_EQ_STR(spec_error("u:a:b:c:d"),
		     "probe 1, column 1: a USDT probe is written u:library[:provider]:probe");
	CHECK_EQ_STR(spec_error("u::probe"),
		     "probe 1, column 3: missing library or binary for USDT probe");
	CHECK_EQ_STR(spec_error("u:lib:"),
		     "probe 1, column 7: missing probe name");
	CHECK_EQ_STR(spec_error("p::"),
		     "probe 1, column 4: missing function name");
	CHECK_EQ_STR(spec_error("r:/bin/x:"),
		     "probe 1, column 10: missing function name");
	CHECK_EQ_STR(spec_error("lib:"),
		     "probe 1, column 5: missing function name");
	CHECK_EQ_STR(spec_error("+0x10"),
		     "probe 1, column 1: missing function name");
	CHECK_EQ_STR(spec_error("func+zz"),
		     "probe 1, column 6: invalid offset 'zz': must be decimal or 0x hexadecimal");
	CHECK_EQ_STR(spec_error("p::func+"),
		     "probe 1, column 9: invalid offset '': must be decimal or 0x hexadecimal");
	CHECK_EQ_STR(spec_error("func+0x"),
		     "probe 1, column 6: invalid offset '0x': must be decimal or 0x hexadecimal");
	CHECK_EQ_STR(spec_error("func+-1"),
		     "probe 1, column 6: invalid offset '-1': must be decimal or 0x hexadecimal");
	CHECK_EQ_STR(spec_error("func+12x"),
		     "probe 1, column 6: invalid offset '12x': must be decimal or 0x hexadecimal");
	CHECK_EQ_STR(spec_error("r::func+8"),
		     "probe 1, column 4: an offset is only allowed on entry (p) probes");
	CHECK_EQ_STR(spec_error("t:cat:ev+8"),
		     "probe 1, column 7: an offset is only allowed on entry (p) probes");
	CHECK_EQ_STR(spec_error("u:lib:probe+0x4"),
		     "probe 1, column 7: an offset is only allowed on entry (p) probes");
	CHECK_EQ_STR(spec_error(""), "probe 1, column 1: empty probe");
	CHECK_EQ_STR(spec_error(" \t "), "probe 1, column 4: empty probe");
	CHECK_EQ_STR(spec_error("(arg1 > 0)"),
		     "probe 1, column 1: expected a probe before '('");
}

UNIT_TEST(spec_errors_body)
{
	CHECK_EQ_STR(spec_error("t:sched:sched_switch(int a)"),
		     "probe 1, column 21: tracepoint probes have no signature; use args->field");
	CHECK_EQ_STR(spec_error("u:lib:probe(int a)"),
		     "probe 1, column 12: USDT probes have no signature; use arg1, arg2, ...");
	CHECK_EQ_STR(spec_error("p::f(int a"),
		     "probe 1, column 5: unbalanced '(' in signature");
	CHECK_EQ_STR(spec_error("f (a > (b)"),
		     "probe 1, column 3: unbalanced '(' in predicate");
	CHECK_EQ_STR(spec_error("f (a == \")\""),
		     "probe 1, column 3: unbalanced '(' in predicate");
	CHECK_EQ_STR(spec_error("f (a) (b)"),
		     "probe 1, column 7: unexpected '(': expected a predicate in "
		     "parentheses or a format string in double quotes");
	CHECK_EQ_STR(spec_error("f junk"),
		     "probe 1, column 3: unexpected 'j': expected a predicate in "
		     "parentheses or a format string in double quotes");
	CHECK_EQ_STR(spec_error("f (a) )"),
		     "probe 1, column 7: unexpected ')': expected a predicate in "
		     "parentheses or a format string in double quotes");
	CHECK_EQ_STR(spec_error("f \"abc"),
		     "probe 1, column 3: unterminated format string");
	CHECK_EQ_STR(spec_error("f \"abc\\\""),
		     "probe 1, column 3: unterminated format string");
	CHECK_EQ_STR(spec_error("f \"%d\" arg1"),
		     "probe 1, column 8: expected ',' before the format arguments, found 'a'");
	CHECK_EQ_STR(spec_error("f \"a\" \"b\""),
		     "probe 1, column 7: expected ',' before the format arguments, found '\"'");
	/* A trailing comma: the column is the comma's, in both places. */
	CHECK_EQ_STR(spec_error("f \"%d\", "),
		     "probe 1, column 7: missing argument after ','");
	CHECK_EQ_STR(spec_error("f \"%d\" ,\t"),
		     "probe 1, column 8: missing argument after ','");
	CHECK_EQ_STR(spec_error("f \"%d %d\", a,"),
		     "probe 1, column 13: missing argument after ','");
	CHECK_EQ_STR(spec_error("f \"%d %d\", a, \t"),
		     "probe 1, column 13: missing argument after ','");
	CHECK_EQ_STR(spec_error("f \"%d %d\", a,,b"),
		     "probe 1, column 14: empty expression");
	CHECK_EQ_STR(spec_error("f \"%d %d\", a, ,b"),
		     "probe 1, column 15: empty expression");
	/* Errors inside expressions get the probe's columns. */
	CHECK_EQ_STR(spec_error("f (1 +)"),
		     "probe 1, column 7: expected an expression, found end of expression");
	CHECK_EQ_STR(spec_error("f ()"), "probe 1, column 4: empty expression");
	CHECK_EQ_STR(spec_error("f \"%d\", a @ b"),
		     "probe 1, column 11: '@' must be written as NAME@user");
	CHECK_EQ_STR(spec_error("f \"%d\", (a"),
		     "probe 1, column 11: expected ')', found end of expression");
	CHECK_EQ_STR(spec_error("f \"\\q\""),
		     "probe 1, column 4: unknown escape sequence '\\q'");
	CHECK_EQ_STR(spec_error("p::f(int)"),
		     "probe 1, column 9: expected a parameter name after type 'int'");
	CHECK_EQ_STR(spec_error("p::f(int a,)"),
		     "probe 1, column 12: expected a parameter type, found end of expression");
	CHECK_EQ_STR(spec_error("p::f(int a b)"),
		     "probe 1, column 12: expected ',' or ')' in signature, found 'b'");
	CHECK_EQ_STR(spec_error("p::f(1 a)"),
		     "probe 1, column 6: expected a parameter type, found a number");
	/* Without a blank, "(...)" is a signature (BCC does the same). */
	CHECK_EQ_STR(spec_error("f(arg1 > 0)"),
		     "probe 1, column 8: expected a parameter name after type 'arg1'");
	/* The message is cut to the buffer and stays terminated. */
	{
		struct probe_spec ps;
		char err[12];

		CHECK_EQ_INT(spec_parse("x:a:b", 1, &ps, err, sizeof(err)), -EINVAL);
		CHECK_EQ_STR(err, "probe 1, co");
		spec_free(&ps);
	}
}

UNIT_TEST(expr_precedence)
{
	CHECK_EQ_STR(ex("1 + 2 * 3"), "(1 + (2 * 3))");
	CHECK_EQ_STR(ex("1 * 2 + 3"), "((1 * 2) + 3)");
	CHECK_EQ_STR(ex("a - b - c"), "((a - b) - c)");
	CHECK_EQ_STR(ex("a / b % c * d"), "(((a / b) % c) * d)");
	CHECK_EQ_STR(ex("a || b && c"), "(a || (b && c))");
	CHECK_EQ_STR(ex("a && b || c"), "((a && b) || c)");
	CHECK_EQ_STR(ex("a | b ^ c & d"), "(a | (b ^ (c & d)))");
	CHECK_EQ_STR(ex("a & b == c"), "(a & (b == c))");
	CHECK_EQ_STR(ex("a == b < c"), "(a == (b < c))");
	CHECK_EQ_STR(ex("a == b != c"), "((a == b) != c)");
	CHECK_EQ_STR(ex("a <= b >= c > d < e"), "((((a <= b) >= c) > d) < e)");
	CHECK_EQ_STR(ex("a < b << 1"), "(a < (b << 1))");
	CHECK_EQ_STR(ex("a << 2 + 1"), "(a << (2 + 1))");
	CHECK_EQ_STR(ex("a >> 1 << 2"), "((a >> 1) << 2)");
	CHECK_EQ_STR(ex("x ? y : z ? w : v"), "(x ? y : (z ? w : v))");
	CHECK_EQ_STR(ex("a ? b ? c : d : e"), "(a ? (b ? c : d) : e)");
	CHECK_EQ_STR(ex("a || b ? c + 1 : d"), "((a || b) ? (c + 1) : d)");
	CHECK_EQ_STR(ex("-a * b"), "(-(a) * b)");
	CHECK_EQ_STR(ex("!a == b"), "(!(a) == b)");
	CHECK_EQ_STR(ex("~a & -b"), "(~(a) & -(b))");
	CHECK_EQ_STR(ex("a - -b"), "(a - -(b))");
	CHECK_EQ_STR(ex("!!a"), "!(!(a))");
	CHECK_EQ_STR(ex("+a"), "a");
	CHECK_EQ_STR(ex("*p + 1"), "(*(p) + 1)");
	CHECK_EQ_STR(ex("&x->y"), "&(x->y)");
	CHECK_EQ_STR(ex("-a->b[1]"), "-(a->b[1])");
	CHECK_EQ_STR(ex("(a + b) * c"), "((a + b) * c)");
	CHECK_EQ_STR(ex("((a))"), "a");
	/* No blanks needed. */
	CHECK_EQ_STR(ex("a+b*c-d"), "((a + (b * c)) - d)");
	CHECK_EQ_STR(ex("a&&b||!c"), "((a && b) || !(c))");
}

UNIT_TEST(expr_casts)
{
	CHECK_EQ_STR(ex("(u32)x"), "((u32)x)");
	CHECK_EQ_STR(ex("(struct file *)arg1"), "((struct file *)arg1)");
	CHECK_EQ_STR(ex("(struct file *)arg1->f_flags"), "((struct file *)arg1->f_flags)");
	CHECK_EQ_STR(ex("((struct file *)arg1)->f_flags"),
		     "((struct file *)arg1)->f_flags");
	CHECK_EQ_STR(ex("(const char **)p"), "((char **)p)");
	CHECK_EQ_STR(ex("(char *const *)p"), "((char **)p)");
	CHECK_EQ_STR(ex("(unsigned long long)a"), "((unsigned long long)a)");
	CHECK_EQ_STR(ex("(int)retval < 0"), "(((int)retval) < 0)");
	CHECK_EQ_STR(ex("-(int)x"), "-(((int)x))");
	CHECK_EQ_STR(ex("(u8)(u16)x"), "((u8)((u16)x))");
	CHECK_EQ_STR(ex("( size_t ) x"), "((size_t)x)");
	/* Not a type word: a parenthesised expression. */
	CHECK_EQ_STR(ex("(size) * 2"), "(size * 2)");
}

UNIT_TEST(expr_postfix)
{
	CHECK_EQ_STR(ex("a->b.c->d"), "a->b.c->d");
	CHECK_EQ_STR(ex("args->a[2]"), "args->a[2]");
	CHECK_EQ_STR(ex("a[1][i + 1]"), "a[1][(i + 1)]");
	CHECK_EQ_STR(ex("$task->mm->owner"), "$task->mm->owner");
	CHECK_EQ_STR(ex("f()"), "f()");
	CHECK_EQ_STR(ex("f(1)"), "f(1)");
	CHECK_EQ_STR(ex("STRCMP(\"a,b\", arg1)"), "STRCMP(\"a,b\", arg1)");
	CHECK_EQ_STR(ex("f(a, g(b, c), d ? e : f)"), "f(a, g(b, c), (d ? e : f))");
	CHECK_EQ_STR(ex("arg1@user"), "arg1@user");
	CHECK_EQ_STR(ex("arg1 @ user"), "arg1@user");
	CHECK_EQ_STR(ex("$pid"), "$pid");
	CHECK_EQ_STR(ex("$tgid == 42 && $uid"), "(($tgid == 42) && $uid)");
	CHECK_EQ_STR(ex("  retval  "), "retval");
}

UNIT_TEST(expr_fields)
{
	char err[128];
	struct expr *e;

	e = expr_parse("arg1@user", 5, err, sizeof(err));
	CHECK(e);
	if (e) {
		CHECK_EQ_INT(e->kind, EXPR_IDENT);
		CHECK_EQ_STR(e->name, "arg1");
		CHECK(e->user);
		CHECK_EQ_INT(e->col, 5);
	}
	expr_free(e);

	e = expr_parse(" a->b.c", 10, err, sizeof(err));
	CHECK(e);
	if (e) {
		CHECK_EQ_INT(e->kind, EXPR_MEMBER);
		CHECK(!e->arrow);
		CHECK_EQ_STR(e->name, "c");
		CHECK_EQ_INT(e->col, 15);
		CHECK(e->lhs && e->lhs->kind == EXPR_MEMBER && e->lhs->arrow);
		CHECK(e->lhs && e->lhs->col == 12);
		CHECK(e->lhs && e->lhs->lhs && e->lhs->lhs->col == 11);
	}
	expr_free(e);

	e = expr_parse("(struct sock **)sk", 1, err, sizeof(err));
	CHECK(e);
	if (e) {
		CHECK_EQ_INT(e->kind, EXPR_CAST);
		CHECK_EQ_STR(e->cast.base, "struct sock");
		CHECK_EQ_INT(e->cast.ptr, 2);
		CHECK(e->lhs && e->lhs->kind == EXPR_IDENT);
	}
	expr_free(e);

	e = expr_parse("f(1, 2)", 1, err, sizeof(err));
	CHECK(e);
	if (e) {
		CHECK_EQ_INT(e->kind, EXPR_CALL);
		CHECK_EQ_STR(e->name, "f");
		CHECK_EQ_INT(e->nargs, 2);
		CHECK(e->args[1]->kind == EXPR_INT && e->args[1]->ival == 2);
		CHECK_EQ_INT(e->args[1]->col, 6);
	}
	expr_free(e);

	e = expr_parse("a ? b : c", 1, err, sizeof(err));
	CHECK(e);
	if (e) {
		CHECK_EQ_INT(e->kind, EXPR_TERNARY);
		CHECK_EQ_INT(e->col, 3);
		CHECK(e->cond && !strcmp(e->cond->name, "a"));
	}
	expr_free(e);

	e = expr_parse("a >= b", 1, err, sizeof(err));
	CHECK(e);
	if (e) {
		CHECK_EQ_INT(e->kind, EXPR_BINARY);
		CHECK_EQ_INT(e->op, OP_GE);
		CHECK_EQ_INT(e->col, 3);
	}
	expr_free(e);

	e = expr_parse("*p", 1, err, sizeof(err));
	CHECK(e && e->kind == EXPR_UNARY && e->op == '*');
	expr_free(e);
}

/* The value and signedness of an integer literal; false if not one. */
static bool int_lit(const char *text, uint64_t *v, bool *is_unsigned)
{
	char err[128];
	struct expr *e = expr_parse(text, 1, err, sizeof(err));
	bool ok = e && e->kind == EXPR_INT;

	if (ok) {
		*v = e->ival;
		*is_unsigned = e->is_unsigned;
	} else {
		fprintf(stderr, "  %s: %s\n", text, e ? "not an integer" : err);
	}
	expr_free(e);
	return ok;
}

UNIT_TEST(expr_integers)
{
	static const struct {
		const char *text;
		uint64_t v;
		bool is_unsigned;
	} cases[] = {
		{ "0", 0, false },
		{ "42", 42, false },
		{ "0x10", 16, false },
		{ "0XfF", 255, false },
		{ "017", 15, false },
		{ "00", 0, false },
		{ "10u", 10, true },
		{ "10U", 10, true },
		{ "10UL", 10, true },
		{ "10ull", 10, true },
		{ "10L", 10, false },
		{ "10ll", 10, false },
		{ "0x10lu", 16, true },
		{ "9223372036854775807", 9223372036854775807ULL, false },
		{ "9223372036854775808", 9223372036854775808ULL, true },
		{ "0xffffffffffffffff", UINT64_MAX, true },
		{ "'a'", 'a', false },
		{ "'\\n'", '\n', false },
		{ "'\\x41'", 0x41, false },
		{ "'\\0'", 0, false },
		{ "'\\101'", 0101, false },
		{ "'\\''", '\'', false },
		{ "'\\\\'", '\\', false },
		{ "'\"'", '"', false },
		{ "' '", ' ', false },
		/* char is signed: '\xff' is -1. */
		{ "'\\xff'", UINT64_MAX, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = 0;
		bool u = false;

		if (!int_lit(cases[i].text, &v, &u)) {
			CHECK(0);
			continue;
		}
		if (v != cases[i].v || u != cases[i].is_unsigned) {
			fprintf(stderr, "  %s: %llu%s, want %llu%s\n", cases[i].text,
				(unsigned long long)v, u ? "u" : "",
				(unsigned long long)cases[i].v,
				cases[i].is_unsigned ? "u" : "");
			CHECK(0);
		}
	}
	CHECK_EQ_STR(ex("'a' + 1"), "(97 + 1)");
	CHECK_EQ_STR(ex("0x10 | 017"), "(16 | 15)");
}

UNIT_TEST(expr_strings)
{
	char err[128];
	struct expr *e;

	e = expr_parse("\"a\\tb\\n\\\\\\\"\\x41\\101z\"", 1, err, sizeof(err));
	CHECK(e);
	if (e) {
		CHECK_EQ_INT(e->kind, EXPR_STR);
		CHECK_EQ_INT(e->str_len, 9);
		CHECK(!memcmp(e->str, "a\tb\n\\\"AAz", 9));
		CHECK_EQ_INT(e->str[9], '\0');
	}
	expr_free(e);

	/* A NUL would cut the string silently: refused, with the column of the escape. */
	CHECK(!expr_parse("\"ab\\0c\"", 1, err, sizeof(err)));
	CHECK_EQ_STR(err, "column 4: a string cannot contain a NUL byte (use -B and STRCMP's "
		     "byte form to compare binary data)");
	CHECK(!expr_parse("\"\\x00\"", 5, err, sizeof(err)));
	CHECK(!strncmp(err, "column 6: a string cannot contain a NUL byte", 44));
	/* A character literal may be '\0'. */
	e = expr_parse("'\\0'", 1, err, sizeof(err));
	CHECK(e && e->kind == EXPR_INT && e->ival == 0);
	expr_free(e);

	e = expr_parse("\"\"", 1, err, sizeof(err));
	CHECK(e && e->kind == EXPR_STR && e->str_len == 0 && !strcmp(e->str, ""));
	expr_free(e);

	/* Two hex digits at most, three octal digits at most. */
	e = expr_parse("\"\\x414\\1234\"", 1, err, sizeof(err));
	CHECK(e && e->str_len == 4 && !memcmp(e->str, "A4S4", 4));
	expr_free(e);

	CHECK_EQ_STR(ex("\"x,y\""), "\"x,y\"");
}

UNIT_TEST(expr_errors)
{
	CHECK_EQ_STR(ex("1 +"),
		     "error: column 4: expected an expression, found end of expression");
	CHECK_EQ_STR(ex("(1"), "error: column 3: expected ')', found end of expression");
	CHECK_EQ_STR(ex("a @ b"), "error: column 3: '@' must be written as NAME@user");
	CHECK_EQ_STR(ex("a.b@user"), "error: column 4: '@' must be written as NAME@user");
	CHECK_EQ_STR(ex("1 2"), "error: column 3: unexpected a number after expression");
	CHECK_EQ_STR(ex("a b"), "error: column 3: unexpected 'b' after expression");
	CHECK_EQ_STR(ex("a )"), "error: column 3: unexpected ')' after expression");
	CHECK_EQ_STR(ex(""), "error: column 1: empty expression");
	CHECK_EQ_STR(ex("   "), "error: column 4: empty expression");
	CHECK_EQ_STR(ex("\"a\\qb\""), "error: column 3: unknown escape sequence '\\q'");
	CHECK_EQ_STR(ex("'\\q'"), "error: column 2: unknown escape sequence '\\q'");
	CHECK_EQ_STR(ex("'a"), "error: column 1: unterminated character literal");
	CHECK_EQ_STR(ex("x == 'ab'"), "error: column 6: unterminated character literal");
	CHECK_EQ_STR(ex("''"), "error: column 1: empty or unterminated character literal");
	CHECK_EQ_STR(ex("'"), "error: column 1: empty or unterminated character literal");
	CHECK_EQ_STR(ex("\"abc"), "error: column 1: unterminated string literal");
	CHECK_EQ_STR(ex("\"abc\\"), "error: column 6: unterminated escape sequence");
	CHECK_EQ_STR(ex("a = 1"), "error: column 3: unexpected character '='");
	CHECK_EQ_STR(ex("a # 1"), "error: column 3: unexpected character '#'");
	CHECK_EQ_STR(ex("$"), "error: column 1: '$' must be followed by a name such as $pid");
	CHECK_EQ_STR(ex("a->"), "error: column 4: expected a field name after '->'");
	CHECK_EQ_STR(ex("a.1"), "error: column 3: expected a field name after '.'");
	CHECK_EQ_STR(ex("a[1"), "error: column 4: expected ']', found end of expression");
	CHECK_EQ_STR(ex("f(1, 2"),
		     "error: column 7: expected ')' after call arguments, found end of expression");
	CHECK_EQ_STR(ex("f(1,)"),
		     "error: column 5: expected an expression, found ')'");
	CHECK_EQ_STR(ex("a ? b"),
		     "error: column 6: expected ':' in conditional expression, "
		     "found end of expression");
	CHECK_EQ_STR(ex("(u32 x)"),
		     "error: column 6: expected ')' after the type of a cast, found 'x'");
	CHECK_EQ_STR(ex("(const)x"), "error: column 7: expected a type name in cast");
	CHECK_EQ_STR(ex("08"), "error: column 2: invalid digit '8' in number");
	CHECK_EQ_STR(ex("12ab"), "error: column 3: invalid digit 'a' in number");
	CHECK_EQ_STR(ex("0x"), "error: column 1: hex literal without digits");
	CHECK_EQ_STR(ex("a + 0xg"), "error: column 5: hex literal without digits");
	CHECK_EQ_STR(ex("18446744073709551616"),
		     "error: column 1: integer literal out of range");
	CHECK_EQ_STR(ex("x && * "),
		     "error: column 8: expected an expression, found end of expression");
	CHECK_EQ_STR(ex("a || || b"), "error: column 6: expected an expression, found '||'");
	/* The column base shifts every column. */
	{
		char err[128];

		CHECK(!expr_parse("1 +", 20, err, sizeof(err)));
		CHECK_EQ_STR(err, "column 23: expected an expression, found end of expression");
	}
}

UNIT_TEST(expr_params)
{
	struct param *params;
	size_t n;
	char err[128];

	CHECK_EQ_INT(expr_parse_params("struct file *file, char *buf, size_t count", 10,
				       &params, &n, err, sizeof(err)), 0);
	CHECK_EQ_INT(n, 3);
	if (n == 3) {
		CHECK_EQ_STR(params[0].type.base, "struct file");
		CHECK_EQ_INT(params[0].type.ptr, 1);
		CHECK_EQ_STR(params[0].name, "file");
		CHECK_EQ_INT(params[0].col, 23);
		CHECK_EQ_STR(params[1].type.base, "char");
		CHECK_EQ_INT(params[1].type.ptr, 1);
		CHECK_EQ_STR(params[1].name, "buf");
		CHECK_EQ_STR(params[2].type.base, "size_t");
		CHECK_EQ_INT(params[2].type.ptr, 0);
		CHECK_EQ_STR(params[2].name, "count");
		CHECK_EQ_INT(params[2].col, 47);
	}
	for (size_t i = 0; i < n; i++) {
		free(params[i].name);
		free(params[i].type.base);
	}
	free(params);

	CHECK_EQ_INT(expr_parse_params("", 1, &params, &n, err, sizeof(err)), 0);
	CHECK(!params && !n);
	CHECK_EQ_INT(expr_parse_params(" void", 1, &params, &n, err, sizeof(err)), 0);
	CHECK(!params && !n);

	CHECK_EQ_INT(expr_parse_params("int a, int", 1, &params, &n, err, sizeof(err)),
		     -EINVAL);
	CHECK_EQ_STR(err, "column 11: expected a parameter name after type 'int'");
	for (size_t i = 0; i < n; i++) {
		free(params[i].name);
		free(params[i].type.base);
	}
	free(params);
}

/* Deep or huge expressions are refused before they can exhaust the stack. */
UNIT_TEST(spec_expression_limits)
{
	size_t n = 20000;
	char *text = malloc(2 * n + 2), err[256];
	struct expr *e;

	for (size_t i = 0; i < n; i++)
		text[i] = '(';
	text[n] = '1';
	for (size_t i = 0; i < n; i++)
		text[n + 1 + i] = ')';
	text[2 * n + 1] = '\0';
	e = expr_parse(text, 1, err, sizeof(err));
	CHECK(!e);
	CHECK(strstr(err, "expression nested too deeply") != NULL);
	for (size_t i = 0; i < n; i++) {
		text[2 * i] = 'a';
		text[2 * i + 1] = '+';
	}
	text[2 * n - 1] = '\0';
	e = expr_parse(text, 1, err, sizeof(err));
	CHECK(!e);
	CHECK(strstr(err, "expression too long") != NULL);
	/* Well within the limits: 100 nested parentheses are fine. */
	e = expr_parse("((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))",
		       1, err, sizeof(err));
	CHECK(e != NULL);
	expr_free(e);
	free(text);
}
