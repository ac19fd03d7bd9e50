// SPDX-License-Identifier: BSD-2-Clause
/* Tracepoint format files: fields, layouts, errors and suggestions. */
#include <errno.h>
#include <glob.h>
#include <stdlib.h>

#include "types/tpformat.h"
#include "unit.h"
#include "util.h"

/* Parse tests/unit/data/tp-<name>.format; false (and a message) on error. */
static bool load_fixture(const char *name, struct tp_format *f)
{
	char *path = xasprintf("%s/data/tp-%s.format", unit_data_dir(), name);
	char err[256];
	int ret = tp_format_load(path, f, err, sizeof(err));

	if (ret)
		fprintf(stderr, "  %s\n", err);
	free(path);
	return ret == 0;
}

/* The four common_* fields every event starts with. */
static int check_common(const struct tp_format *f)
{
	static const struct {
		const char *name, *type;
		int offset, size, is_signed;
	} common[] = {
		{ "common_type", "unsigned short", 0, 2, 0 },
		{ "common_flags", "unsigned char", 2, 1, 0 },
		{ "common_preempt_count", "unsigned char", 3, 1, 0 },
		{ "common_pid", "int", 4, 4, 1 },
	};
	int unit_failed_v = 0, *unit_failed = &unit_failed_v;

	CHECK(f->nfields >= ARRAY_SIZE(common));
	for (size_t i = 0; i < ARRAY_SIZE(common) && i < f->nfields; i++) {
		const struct tp_field *fld = &f->fields[i];

		CHECK_EQ_STR(fld->name, common[i].name);
		CHECK_EQ_STR(fld->type, common[i].type);
		CHECK_EQ_INT(fld->offset, common[i].offset);
		CHECK_EQ_INT(fld->size, common[i].size);
		CHECK_EQ_INT(fld->is_signed, common[i].is_signed);
		CHECK(fld->is_common);
	}
	return unit_failed_v;
}

UNIT_TEST(tpformat_sched_switch)
{
	struct tp_format f;
	const struct tp_field *fld;

	if (!load_fixture("sched_switch", &f)) {
		CHECK(0);
		return;
	}
	CHECK_EQ_STR(f.name, "sched_switch");
	CHECK_EQ_INT(f.id, 372);
	CHECK_EQ_INT(f.nfields, 11);
	CHECK(!check_common(&f));
	fld = tp_format_field(&f, "prev_comm");
	CHECK(fld);
	if (fld) {
		CHECK_EQ_STR(fld->type, "char");
		CHECK_EQ_INT(fld->offset, 8);
		CHECK_EQ_INT(fld->size, 16);
		CHECK(fld->is_array && fld->array_len == 16);
		CHECK(!fld->is_signed && !fld->is_common && !fld->is_pointer);
		CHECK(!fld->data_loc && !fld->rel_loc);
	}
	fld = tp_format_field(&f, "prev_state");
	CHECK(fld && !strcmp(fld->type, "long") && fld->offset == 32 &&
	      fld->size == 8 && fld->is_signed && !fld->is_array);
	fld = tp_format_field(&f, "next_pid");
	CHECK(fld && !strcmp(fld->type, "pid_t") && fld->offset == 56 &&
	      fld->size == 4 && fld->is_signed);
	CHECK(!tp_format_field(&f, "next_comm ["));
	CHECK(!tp_format_field(&f, "nope"));
	tp_format_free(&f);
}

UNIT_TEST(tpformat_data_loc)
{
	struct tp_format f;
	const struct tp_field *fld;

	if (!load_fixture("sched_process_exec", &f)) {
		CHECK(0);
		return;
	}
	CHECK_EQ_STR(f.name, "sched_process_exec");
	CHECK_EQ_INT(f.id, 365);
	CHECK(!check_common(&f));
	fld = tp_format_field(&f, "filename");
	CHECK(fld);
	if (fld) {
		CHECK_EQ_STR(fld->type, "char");
		CHECK(fld->data_loc && !fld->rel_loc);
		CHECK_EQ_INT(fld->offset, 8);
		CHECK_EQ_INT(fld->size, 4);
		CHECK(!fld->is_array && !fld->array_len && !fld->is_pointer);
	}
	fld = tp_format_field(&f, "old_pid");
	CHECK(fld && fld->offset == 16 && fld->is_signed && !fld->data_loc);
	tp_format_free(&f);
}

UNIT_TEST(tpformat_syscalls)
{
	struct tp_format f;
	const struct tp_field *fld;

	if (!load_fixture("sys_enter_openat", &f)) {
		CHECK(0);
		return;
	}
	CHECK_EQ_STR(f.name, "sys_enter_openat");
	CHECK_EQ_INT(f.id, 782);
	CHECK_EQ_INT(f.nfields, 9);
	fld = tp_format_field(&f, "__syscall_nr");
	CHECK(fld && fld->offset == 8 && fld->size == 4 && fld->is_signed);
	fld = tp_format_field(&f, "filename");
	CHECK(fld);
	if (fld) {
		CHECK_EQ_STR(fld->type, "const char *");
		CHECK(fld->is_pointer && !fld->is_array && !fld->data_loc);
		CHECK_EQ_INT(fld->offset, 24);
		CHECK_EQ_INT(fld->size, 8);
	}
	/* Syscall arguments are widened to 8 bytes whatever their type. */
	fld = tp_format_field(&f, "dfd");
	CHECK(fld && !strcmp(fld->type, "int") && fld->size == 8 &&
	      !fld->is_signed);
	fld = tp_format_field(&f, "mode");
	CHECK(fld && !strcmp(fld->type, "umode_t") && fld->offset == 40);
	tp_format_free(&f);

	if (!load_fixture("sys_enter_write", &f)) {
		CHECK(0);
		return;
	}
	CHECK_EQ_INT(f.id, 840);
	fld = tp_format_field(&f, "buf");
	CHECK(fld && fld->is_pointer && !strcmp(fld->type, "const char *"));
	fld = tp_format_field(&f, "count");
	CHECK(fld && !strcmp(fld->type, "size_t") && fld->offset == 32 &&
	      !fld->is_pointer);
	fld = tp_format_field(&f, "fd");
	CHECK(fld && !strcmp(fld->type, "unsigned int"));
	tp_format_free(&f);

	if (!load_fixture("sys_enter_execve", &f)) {
		CHECK(0);
		return;
	}
	fld = tp_format_field(&f, "argv");
	CHECK(fld && fld->is_pointer &&
	      !strcmp(fld->type, "const char *const *"));
	tp_format_free(&f);
}

UNIT_TEST(tpformat_arrays)
{
	struct tp_format f;
	const struct tp_field *fld;

	if (!load_fixture("raw_sys_enter", &f)) {
		CHECK(0);
		return;
	}
	CHECK_EQ_STR(f.name, "sys_enter");
	fld = tp_format_field(&f, "args");
	CHECK(fld);
	if (fld) {
		CHECK_EQ_STR(fld->type, "unsigned long");
		CHECK(fld->is_array);
		CHECK_EQ_INT(fld->array_len, 6);
		CHECK_EQ_INT(fld->size, 48);
		CHECK_EQ_INT(fld->offset, 16);
	}
	tp_format_free(&f);

	if (!load_fixture("ftrace_print", &f)) {
		CHECK(0);
		return;
	}
	fld = tp_format_field(&f, "buf");
	CHECK(fld && fld->is_array && fld->array_len == 0 && fld->size == 0 &&
	      !strcmp(fld->type, "char"));
	tp_format_free(&f);
}

UNIT_TEST(tpformat_synthetic)
{
	struct tp_format f;
	const struct tp_field *fld;

	if (!load_fixture("synthetic", &f)) {
		CHECK(0);
		return;
	}
	CHECK_EQ_STR(f.name, "synthetic_event");
	CHECK_EQ_INT(f.id, 4242);
	CHECK_EQ_INT(f.nfields, 14);
	CHECK(!check_common(&f));
	fld = tp_format_field(&f, "path");
	CHECK(fld && fld->rel_loc && !fld->data_loc && fld->size == 4 &&
	      !strcmp(fld->type, "char") && !fld->is_array);
	fld = tp_format_field(&f, "ips");
	CHECK(fld && fld->data_loc && !strcmp(fld->type, "u64"));
	fld = tp_format_field(&f, "ts");
	CHECK(fld && !strcmp(fld->type, "u64") && fld->offset == 16 &&
	      fld->size == 8 && !fld->is_signed);
	fld = tp_format_field(&f, "ok");
	CHECK(fld && !strcmp(fld->type, "bool") && fld->size == 1);
	fld = tp_format_field(&f, "deltas");
	CHECK(fld && !strcmp(fld->type, "s16") && fld->is_array &&
	      fld->array_len == 3 && fld->is_signed);
	/* Unexpanded dimension: the count comes from size / element size. */
	fld = tp_format_field(&f, "saddr");
	CHECK(fld && !strcmp(fld->type, "__u8") && fld->array_len == 28);
	fld = tp_format_field(&f, "foo");
	CHECK(fld && fld->is_pointer && !strcmp(fld->type, "struct foo *"));
	/* Old kernels: "field special:" and no "signed:". */
	fld = tp_format_field(&f, "legacy");
	CHECK(fld && fld->array_len == 4 && fld->offset == 72 &&
	      !fld->is_signed);
	fld = tp_format_field(&f, "args");
	CHECK(fld && fld->is_array && fld->array_len == 0);
	CHECK(!tp_format_field(&f, "this"));
	tp_format_free(&f);
}

/* Parse @text; the error message (in @err) or NULL if it parsed. */
static const char *parse_error(const char *text, char *err, size_t len)
{
	struct tp_format f;
	int ret = tp_format_parse(text, &f, err, len);

	if (!ret) {
		tp_format_free(&f);
		return NULL;
	}
	/* A failed parse leaves nothing to free. */
	if (ret != -EINVAL || f.fields || f.name || f.nfields)
		return "bad failure state";
	return err;
}

#define HDR "name: x\nID: 1\nformat:\n"

UNIT_TEST(tpformat_errors)
{
	char err[128];
	const char *e;

	e = parse_error(HDR "\tfield:int a;\toffset:8;\tsize:4;\tsigned:1;\n",
			err, sizeof(err));
	CHECK(!e);
	e = parse_error(HDR "\tfield:int a;\toffset:8;\n", err, sizeof(err));
	CHECK(e && strstr(e, "line 4") && strstr(e, "missing size"));
	e = parse_error(HDR "\tfield:int a;\tsize:4;\n", err, sizeof(err));
	CHECK(e && strstr(e, "missing offset"));
	e = parse_error(HDR "\tfield:int a;\toffset:x;\tsize:4;\n", err,
			sizeof(err));
	CHECK(e && strstr(e, "bad number"));
	e = parse_error(HDR "\tfield:int a\toffset:8\tsize:4\n", err,
			sizeof(err));
	CHECK(e && strstr(e, "without ';'"));
	e = parse_error(HDR "\tfield:int a\toffset:8;\tsize:4;\n", err,
			sizeof(err));
	CHECK(e && strstr(e, "line 4"));
	e = parse_error(HDR "\tfield:int 8;\toffset:8;\tsize:4;\n", err,
			sizeof(err));
	CHECK(e && strstr(e, "no field name"));
	e = parse_error(HDR "\tfield:int;\toffset:8;\tsize:4;\n", err,
			sizeof(err));
	CHECK(e && strstr(e, "no type"));
	e = parse_error(HDR "\tfield:int *;\toffset:8;\tsize:4;\n", err,
			sizeof(err));
	CHECK(e && strstr(e, "no field name"));
	e = parse_error(HDR "\tfield:char a];\toffset:8;\tsize:4;\n", err,
			sizeof(err));
	CHECK(e && strstr(e, "unbalanced"));
	e = parse_error("ID: 1\nformat:\n\tfield:int a;\toffset:8;\tsize:4;\n",
			err, sizeof(err));
	CHECK(e && strstr(e, "name:"));
	e = parse_error("name: x\nformat:\n\tfield:int a;\toffset:8;\tsize:4;\n",
			err, sizeof(err));
	CHECK(e && strstr(e, "ID:"));
	e = parse_error("name: x\nID: abc\n", err, sizeof(err));
	CHECK(e && strstr(e, "line 2: bad event ID"));
	e = parse_error(HDR, err, sizeof(err));
	CHECK(e && strstr(e, "no fields"));
	e = parse_error("", err, sizeof(err));
	CHECK(e);
	/* The fields parsed before an error are released (valgrind). */
	e = parse_error(HDR "\tfield:int a;\toffset:8;\tsize:4;\n"
			"\tfield:int b;\toffset:12;\n", err, sizeof(err));
	CHECK(e && strstr(e, "line 5"));
	/* No error buffer: still fails cleanly. */
	{
		struct tp_format f;

		CHECK_EQ_INT(tp_format_parse(HDR, &f, NULL, 0), -EINVAL);
		CHECK_EQ_INT(tp_format_parse(HDR "\tfield:int a;\n", &f,
					     err, 8), -EINVAL);
		CHECK_EQ_STR(err, "line 4:");
	}
}

UNIT_TEST(tpformat_load_missing)
{
	struct tp_format f;
	char err[256];
	int ret;

	ret = tp_format_load("/nonexistent/events/x/y/format", &f, err,
			     sizeof(err));
	CHECK_EQ_INT(ret, -ENOENT);
	CHECK(strstr(err, "/nonexistent/events/x/y/format"));
	CHECK(!f.fields && !f.name);
	tp_format_free(&f);
}

UNIT_TEST(tpformat_suggest)
{
	struct tp_format f;
	const char *s;

	if (!load_fixture("sched_switch", &f)) {
		CHECK(0);
		return;
	}
	s = tp_format_suggest(&f, "prev_com");
	CHECK_EQ_STR(s, "prev_comm");
	/* The pointer is the field's own name, valid as long as @f. */
	CHECK(s == tp_format_field(&f, "prev_comm")->name);
	CHECK_EQ_STR(tp_format_suggest(&f, "nxt_pid"), "next_pid");
	CHECK_EQ_STR(tp_format_suggest(&f, "comon_pid"), "common_pid");
	CHECK(!tp_format_suggest(&f, "filename"));
	/* An exact match needs no suggestion. */
	CHECK(!tp_format_suggest(&f, "next_pid"));
	tp_format_free(&f);
}

/* Every format file of the running kernel parses, and its fields fit. */
UNIT_TEST(tpformat_all_host_events)
{
	glob_t g;
	size_t bad = 0;

	if (glob("/sys/kernel/tracing/events/*/*/format", 0, NULL, &g))
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct tp_format f;
		char err[256];

		if (tp_format_load(g.gl_pathv[i], &f, err, sizeof(err))) {
			if (bad++ < 5)
				fprintf(stderr, "  %s: %s\n", g.gl_pathv[i], err);
			continue;
		}
		for (size_t j = 0; j < f.nfields; j++) {
			const struct tp_field *fld = &f.fields[j];

			if (fld->offset < 0 || fld->size < 0 || !fld->name[0] ||
			    !fld->type[0] ||
			    ((fld->data_loc || fld->rel_loc) && fld->size != 4))
				bad++;
		}
		tp_format_free(&f);
	}
	CHECK_EQ_INT(bad, 0);
	globfree(&g);
}
