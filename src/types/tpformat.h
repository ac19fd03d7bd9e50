/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Tracepoint format files (tracefs events/<category>/<event>/format): the
 * event's name, its ID and the layout of the record the kernel hands to
 * tracepoint programs. A field line looks like
 *
 *	field:char prev_comm[16];	offset:8;	size:16;	signed:0;
 *
 * Dynamic strings and arrays are declared "__data_loc char[] name": the
 * field is a u32 holding (length << 16 | offset from the start of the
 * record). "__rel_loc" (5.19+) is the same, but the offset is relative to
 * the end of the field itself.
 */
#ifndef __ETRACE_TPFORMAT_H
#define __ETRACE_TPFORMAT_H

#include <stdbool.h>
#include <stddef.h>

struct tp_field {
	char *name;
	/*
	 * The declared type without the name, the array suffix and the
	 * __data_loc/__rel_loc marker: "char" for "char comm[16]" and for
	 * "__data_loc char[] name", "const char *" for a pointer.
	 */
	char *type;
	int offset;		/* from the start of the record */
	int size;		/* bytes in the record (4 for data_loc/rel_loc) */
	bool is_signed;
	bool is_common;		/* common_type, common_pid... */
	bool data_loc;
	bool rel_loc;
	bool is_pointer;	/* the type ends in '*' */
	bool is_array;		/* fixed "[N]" or flexible "[]" in the record */
	/*
	 * Elements of a fixed array; 0 when not an array, for a flexible
	 * array, or when the kernel printed a dimension that is not a number
	 * and the element size is unknown.
	 */
	int array_len;
};

struct tp_format {
	char *name;
	int id;
	struct tp_field *fields;	/* in file order, common fields first */
	size_t nfields;
};

/*
 * Parse the text of a format file into @out (zeroed first). Returns 0, or
 * -EINVAL with a reason in @err (e.g. "line 6: missing size") and @out left
 * empty. Lines after "print fmt:" are ignored.
 */
int tp_format_parse(const char *text, struct tp_format *out,
		    char *err, size_t errlen);

/*
 * Read and parse the format file at @path. Returns 0, -errno when it
 * cannot be read (@err says why), or -EINVAL as tp_format_parse().
 */
int tp_format_load(const char *path, struct tp_format *out,
		   char *err, size_t errlen);

void tp_format_free(struct tp_format *f);

/* The field called @name, or NULL. */
const struct tp_field *tp_format_field(const struct tp_format *f,
				       const char *name);

/*
 * The field name closest to @name for a "did you mean" hint, or NULL if
 * none is close or @name exists. The string lives as long as @f.
 */
const char *tp_format_suggest(const struct tp_format *f, const char *name);

#endif /* __ETRACE_TPFORMAT_H */
