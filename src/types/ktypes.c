// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "types/ktypes.h"
#include "util.h"

struct btf *ktypes_vmlinux(struct session *s)
{
	if (!s->btf_tried) {
		s->btf_tried = true;
		s->vmlinux_btf = btf__load_vmlinux_btf();
		/* libbpf returns NULL (and errno) when there is none. */
		if (!s->vmlinux_btf)
			s->vmlinux_btf = NULL;
	}
	return s->vmlinux_btf;
}

/* Skip typedefs and qualifiers (const, volatile, restrict, type tags). */
static __u32 skip_mods(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t) || btf_kind(t) == BTF_KIND_TYPE_TAG)) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	return id;
}

static bool is_char_int(const struct btf *btf, const struct btf_type *t)
{
	const char *name;

	if (!btf_is_int(t) || t->size != 1)
		return false;
	name = btf__name_by_offset(btf, t->name_off);
	return (btf_int_encoding(t) & BTF_INT_CHAR) || (name && strstr(name, "char"));
}

int ktype_resolve(const struct btf *btf, __u32 id, struct ktype *out)
{
	const struct btf_type *t;

	memset(out, 0, sizeof(*out));
	id = skip_mods(btf, id);
	if (!id) {
		out->kind = KT_VOID;
		return 0;
	}
	t = btf__type_by_id(btf, id);
	if (!t)
		return -ENOENT;
	if (btf_is_int(t)) {
		out->kind = KT_INT;
		out->size = (int)t->size;
		out->is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
		out->is_char = is_char_int(btf, t);
	} else if (btf_is_enum(t) || btf_kind(t) == BTF_KIND_ENUM64) {
		out->kind = KT_INT;
		out->size = (int)t->size;
		/* Since 6.0 BTF marks enums with negative values signed (kind_flag). */
		out->is_signed = btf_kflag(t);
	} else if (btf_is_ptr(t)) {
		struct ktype pointee;

		out->kind = KT_PTR;
		out->size = 8;
		out->id = t->type;
		if (!ktype_resolve(btf, t->type, &pointee))
			out->is_char = pointee.kind == KT_INT && pointee.is_char;
	} else if (btf_is_composite(t)) {
		out->kind = KT_STRUCT;
		out->size = (int)t->size;
		out->id = id;
	} else if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		struct ktype elem;

		out->kind = KT_ARRAY;
		out->id = a->type;
		out->nelems = (int)a->nelems;
		if (!ktype_resolve(btf, a->type, &elem)) {
			out->size = elem.size * out->nelems;
			out->is_char = elem.kind == KT_INT && elem.is_char;
		}
	} else {
		out->kind = KT_OTHER;
	}
	return 0;
}

int ktype_member(const struct btf *btf, __u32 id, const char *name, __u32 *type_id,
		 __u32 *bit_off, __u32 *bitfield_size)
{
	const struct btf_type *t = btf__type_by_id(btf, skip_mods(btf, id));
	const struct btf_member *m;

	if (!t || !btf_is_composite(t))
		return -ENOENT;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *mname = btf__name_by_offset(btf, m->name_off);
		__u32 off = btf_member_bit_offset(t, (__u32)i);

		if (mname && *mname) {
			if (strcmp(mname, name))
				continue;
			*type_id = m->type;
			*bit_off = off;
			*bitfield_size = btf_member_bitfield_size(t, (__u32)i);
			return 0;
		}
		/* Anonymous struct/union: its members belong to the parent. */
		if (!ktype_member(btf, m->type, name, type_id, bit_off, bitfield_size)) {
			*bit_off += off;
			return 0;
		}
	}
	return -ENOENT;
}

int ktype_member_path(const struct btf *btf, __u32 id, const char *path, __u32 *type_id,
		      __u32 *bit_off, __u32 *bitfield_size)
{
	char name[128];
	__u32 off = 0, t = id, o, bits = 0;

	while (*path) {
		size_t n = strcspn(path, ".");

		/* Only the last member may be a bitfield: the others hold it. */
		if (!n || n >= sizeof(name) || bits)
			return -ENOENT;
		memcpy(name, path, n);
		name[n] = '\0';
		if (ktype_member(btf, t, name, &t, &o, &bits))
			return -ENOENT;
		off += o;
		path += n + (path[n] == '.');
	}
	*type_id = t;
	*bit_off = off;
	*bitfield_size = bits;
	return 0;
}

const char *ktype_struct_name(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, skip_mods(btf, id));
	const char *name = t && btf_is_composite(t) ? btf__name_by_offset(btf, t->name_off) : NULL;

	return name && *name ? name : NULL;
}

static void suggest_members(const struct btf *btf, __u32 id, struct suggest *sg)
{
	const struct btf_type *t = btf__type_by_id(btf, skip_mods(btf, id));
	const struct btf_member *m;

	if (!t || !btf_is_composite(t))
		return;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *mname = btf__name_by_offset(btf, m->name_off);

		if (mname && *mname)
			suggest_add(sg, mname);
		else
			suggest_members(btf, m->type, sg);
	}
}

char *ktype_member_suggest(const struct btf *btf, __u32 id, const char *name)
{
	struct suggest sg;
	char *best;

	suggest_init(&sg, name);
	suggest_members(btf, id, &sg);
	best = sg.best;
	sg.best = NULL;
	suggest_free(&sg);
	return best;
}

int ktype_find(const struct btf *btf, const char *c_name)
{
	static const struct {
		const char *prefix;
		int kind;
	} tags[] = {
		{ "struct ", BTF_KIND_STRUCT }, { "union ", BTF_KIND_UNION },
		{ "enum ", BTF_KIND_ENUM },
	};
	int id;

	for (size_t i = 0; i < ARRAY_SIZE(tags); i++) {
		size_t n = strlen(tags[i].prefix);

		if (!strncmp(c_name, tags[i].prefix, n)) {
			id = btf__find_by_name_kind(btf, c_name + n, (__u32)tags[i].kind);
			return id < 0 ? -ENOENT : id;
		}
	}
	id = btf__find_by_name_kind(btf, c_name, BTF_KIND_TYPEDEF);
	if (id < 0)
		id = btf__find_by_name_kind(btf, c_name, BTF_KIND_INT);
	return id < 0 ? -ENOENT : id;
}

const char *ktype_name(const struct btf *btf, __u32 id, char *buf, size_t len)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const char *name = t ? btf__name_by_offset(btf, t->name_off) : NULL;

	if (!t)
		snprintf(buf, len, "?");
	else if (btf_is_struct(t))
		snprintf(buf, len, "struct %s", name && *name ? name : "(anonymous)");
	else if (btf_is_union(t))
		snprintf(buf, len, "union %s", name && *name ? name : "(anonymous)");
	else if (btf_is_ptr(t))
		snprintf(buf, len, "pointer");
	else
		snprintf(buf, len, "%s", name && *name ? name : "(anonymous)");
	return buf;
}

static const struct btf_type *func_proto(const struct btf *btf, const char *func)
{
	int id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
	const struct btf_type *fn;

	if (id < 0)
		return NULL;
	fn = btf__type_by_id(btf, (__u32)id);
	return fn ? btf__type_by_id(btf, fn->type) : NULL;
}

int ktype_func_param(const struct btf *btf, const char *func, const char *name,
		     int *index, __u32 *type_id)
{
	const struct btf_type *proto = btf ? func_proto(btf, func) : NULL;
	const struct btf_param *prm;

	if (!proto)
		return -ENOENT;
	prm = btf_params(proto);
	for (int i = 0; i < btf_vlen(proto); i++, prm++) {
		const char *pname = btf__name_by_offset(btf, prm->name_off);

		if (pname && !strcmp(pname, name)) {
			*index = i + 1;
			*type_id = prm->type;
			return 0;
		}
	}
	return -ENOENT;
}

int ktype_func_ret(const struct btf *btf, const char *func, __u32 *type_id)
{
	const struct btf_type *proto = btf ? func_proto(btf, func) : NULL;

	if (!proto)
		return -ENOENT;
	*type_id = proto->type;
	return 0;
}

static void dump_to_sb(void *ctx, const char *fmt, va_list ap)
{
	sb_vprintf(ctx, fmt, ap);
}

char *ktype_func_signature(const struct btf *btf, const char *func)
{
	const struct btf_type *proto = btf ? func_proto(btf, func) : NULL;
	const struct btf_param *prm;
	struct strbuf sb = { 0 };
	struct btf_dump *d;

	if (!proto || !(d = btf_dump__new(btf, dump_to_sb, &sb, NULL)))
		return NULL;
	prm = btf_params(proto);
	for (int i = 0; i < btf_vlen(proto); i++, prm++) {
		const char *name = btf__name_by_offset(btf, prm->name_off);
		LIBBPF_OPTS(btf_dump_emit_type_decl_opts, opts, .field_name = name ? name : "");

		/* A trailing void parameter means varargs (printk). */
		if (!prm->type) {
			sb_printf(&sb, "...\n");
			continue;
		}
		btf_dump__emit_type_decl(d, prm->type, &opts);
		sb_printf(&sb, "\n");
	}
	{
		LIBBPF_OPTS(btf_dump_emit_type_decl_opts, opts, .field_name = "retval");

		if (proto->type) {
			btf_dump__emit_type_decl(d, proto->type, &opts);
			sb_printf(&sb, "\n");
		}
	}
	btf_dump__free(d);
	return sb.buf ? sb.buf : xstrdup("");
}
