/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Kernel types from BTF: what the compiler needs to know about a type to
 * read it (size, signedness, pointer or struct, member offsets), without
 * kernel headers. The running kernel's BTF (/sys/kernel/btf/vmlinux) is
 * loaded on first use.
 */
#ifndef __ETRACE_KTYPES_H
#define __ETRACE_KTYPES_H

#include <stdbool.h>
#include <linux/types.h>

#include "session.h"

struct btf;

enum ktype_kind {
	KT_VOID,
	KT_INT,		/* integers, enums, bool */
	KT_PTR,		/* .id is the pointee */
	KT_STRUCT,	/* struct or union; .id is the type itself */
	KT_ARRAY,	/* .id is the element, .nelems */
	KT_OTHER,	/* functions and the like */
};

struct ktype {
	enum ktype_kind kind;
	int size;
	bool is_signed;
	bool is_char;		/* KT_INT of one byte named char; KT_PTR/KT_ARRAY of char */
	__u32 id;
	int nelems;
};

/* The kernel's BTF, or NULL if it has none (loaded once per session). */
struct btf *ktypes_vmlinux(struct session *s);

/* Describe type @id, looking through typedefs and qualifiers. */
int ktype_resolve(const struct btf *btf, __u32 id, struct ktype *out);

/*
 * Find member @name of struct/union @id, also inside anonymous members.
 * Returns 0 and the member's type, bit offset and bitfield size (0 if
 * not a bitfield), or -ENOENT.
 */
int ktype_member(const struct btf *btf, __u32 id, const char *name, __u32 *type_id,
		 __u32 *bit_off, __u32 *bitfield_size);

/* The same for a path of members, "__sk_common.skc_dport"; offsets add up. */
int ktype_member_path(const struct btf *btf, __u32 id, const char *path, __u32 *type_id,
		      __u32 *bit_off, __u32 *bitfield_size);

/* The name of struct/union @id ("sock"), or NULL if anonymous or not one. */
const char *ktype_struct_name(const struct btf *btf, __u32 id);

/* The member of @id closest to @name, for "did you mean" (malloc'ed or NULL). */
char *ktype_member_suggest(const struct btf *btf, __u32 id, const char *name);

/*
 * A type named in C: "struct file", "union foo", "enum x" or a typedef
 * name ("loff_t"). Returns its id, or -ENOENT.
 */
int ktype_find(const struct btf *btf, const char *c_name);

/* "struct file", "int"... for messages. */
const char *ktype_name(const struct btf *btf, __u32 id, char *buf, size_t len);

/*
 * Parameter @name of kernel function @func: its 1-based position and type.
 * Returns 0 or -ENOENT. @nparams (if not NULL) receives the count.
 */
int ktype_func_param(const struct btf *btf, const char *func, const char *name,
		     int *index, __u32 *type_id);

/*
 * -lv: the parameters of kernel function @func as C declarations, one per
 * line ("struct file *file"), then its return value ("ssize_t retval")
 * unless void. NULL if @btf does not describe @func. malloc'ed.
 */
char *ktype_func_signature(const struct btf *btf, const char *func);

/* Return type of @func (0 for void) or -ENOENT. */
int ktype_func_ret(const struct btf *btf, const char *func, __u32 *type_id);

#endif /* __ETRACE_KTYPES_H */
