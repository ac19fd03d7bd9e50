// SPDX-License-Identifier: BSD-2-Clause
/*
 * The semantic pass: before anything is emitted, every expression of a
 * probe gets its C type and its meaning (an argument the provider places,
 * a tracepoint field, a BTF member, a folded constant...), every mistake is
 * reported with its column, and the record layout and the scratch each
 * STRCMP needs are decided. Lowering (access.c, ops.c, strings.c) then only
 * emits what is written down here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compile/cg.h"
#include "output/format.h"
#include "runtime/aggmap.h"
#include "runtime/maps.h"
#include "runtime/record.h"
#include "types/ktypes.h"
#include "types/renames.h"
#include "types/tpformat.h"
#include "util.h"

/* The output side renders at most this many values per event. */
#define MAX_VALUES 64

void cg_error(struct cg *cg, int col, const char *fmt, ...)
{
	struct strbuf msg = { 0 };
	va_list ap;

	if (cg->failed)
		return;
	cg->failed = true;
	va_start(ap, fmt);
	sb_vprintf(&msg, fmt, ap);
	va_end(ap);
	pr_err("probe %d, column %d: %s", cg->p->spec.index, col, msg.buf ? msg.buf : "");
	sb_free(&msg);
}

/* --- the table ---------------------------------------------------------- */

static size_t slot_of(const void *ptr, size_t cap)
{
	uintptr_t v = (uintptr_t)ptr;

	v ^= v >> 17;
	v *= 0x9e3779b97f4a7c15ull;
	return (size_t)(v >> 7) & (cap - 1);
}

static void reindex(struct sema *sm)
{
	free(sm->index);
	sm->index_cap = sm->index_cap ? sm->index_cap * 2 : 64;
	sm->index = xmalloc(sm->index_cap * sizeof(*sm->index));
	memset(sm->index, 0xff, sm->index_cap * sizeof(*sm->index));
	for (size_t i = 0; i < sm->n; i++) {
		size_t h = slot_of(sm->nodes[i]->e, sm->index_cap);

		while (sm->index[h] >= 0)
			h = (h + 1) & (sm->index_cap - 1);
		sm->index[h] = (int)i;
	}
}

/* A new entry for @e, typed as an int constant 0 until filled in. */
static struct sinfo *node(struct cg *cg, const struct expr *e)
{
	struct sema *sm = &cg->sm;
	struct sinfo *si;
	size_t h;

	sm->nodes = grow_array(sm->nodes, &sm->cap, sm->n + 1, sizeof(*sm->nodes));
	si = sm->nodes[sm->n++] = xcalloc(1, sizeof(*si));
	si->e = e;
	si->ty = ty_int(4, true);
	si->where = SV_CONST;
	si->res = RES_CONST;
	si->col = e->col;
	if (sm->n * 2 > sm->index_cap) {
		reindex(sm);
		return si;
	}
	h = slot_of(e, sm->index_cap);
	while (sm->index[h] >= 0)
		h = (h + 1) & (sm->index_cap - 1);
	sm->index[h] = (int)(sm->n - 1);
	return si;
}

const struct sinfo *sema_of(const struct cg *cg, const struct expr *e)
{
	const struct sema *sm = &cg->sm;
	size_t h;

	if (!sm->index_cap)
		return NULL;
	for (h = slot_of(e, sm->index_cap); sm->index[h] >= 0; h = (h + 1) & (sm->index_cap - 1))
		if (sm->nodes[sm->index[h]]->e == e)
			return sm->nodes[sm->index[h]];
	return NULL;
}

void sema_free(struct sema *sm)
{
	for (size_t i = 0; i < sm->n; i++)
		free(sm->nodes[i]);
	free(sm->nodes);
	free(sm->index);
	memset(sm, 0, sizeof(*sm));
}

/* --- shared checks ------------------------------------------------------ */

static struct btf *btf_of(struct cg *cg)
{
	return ktypes_vmlinux(cg->s);
}

static void set_const(struct sinfo *si, int64_t v, struct ty t)
{
	si->ty = t;
	si->where = SV_CONST;
	si->res = RES_CONST;
	si->imm = ty_extend_imm(v, t.size, t.is_signed);
}

static void set_value(struct sinfo *si, enum res res, struct ty t)
{
	si->ty = t;
	si->where = SV_VALUE;
	si->res = res;
}

static bool is_const(const struct sinfo *si)
{
	return si->where == SV_CONST;
}

static bool require_int(struct cg *cg, const struct sinfo *v, const char *what)
{
	if (ty_is_integer(&v->ty))
		return true;
	cg_error(cg, v->col, "%s needs an integer, but this is %s", what,
		 v->ty.kind == TY_STRUCT ? "a struct" : "an array or string");
	return false;
}

static struct sinfo *expr(struct cg *cg, const struct expr *e);
static struct sinfo *cond(struct cg *cg, const struct expr *e);

/* --- identifiers ---------------------------------------------------------- */

static const struct builtin builtins[] = {
	{ "$pid", BPF_FUNC_get_current_pid_tgid, 0, 4, false },
	{ "$tgid", BPF_FUNC_get_current_pid_tgid, 32, 4, false },
	{ "$uid", BPF_FUNC_get_current_uid_gid, 0, 4, false },
	{ "$gid", BPF_FUNC_get_current_uid_gid, 32, 4, false },
	{ "$cpu", BPF_FUNC_get_smp_processor_id, 0, 4, false },
	{ "$task", BPF_FUNC_get_current_task, 0, 8, false },
};

const struct builtin *builtin_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(builtins); i++)
		if (!strcmp(name, builtins[i].name))
			return &builtins[i];
	return NULL;
}

static void unknown_ident(struct cg *cg, const struct expr *e)
{
	static const char *const others[] = {
		"arg1", "arg2", "arg3", "arg4", "arg5", "arg6", "retval", "ctx", "args",
		"$latency",
	};
	struct suggest sg;

	suggest_init(&sg, e->name);
	for (size_t i = 0; i < ARRAY_SIZE(builtins); i++)
		suggest_add(&sg, builtins[i].name);
	for (size_t i = 0; i < ARRAY_SIZE(others); i++)
		suggest_add(&sg, others[i]);
	for (size_t i = 0; i < cg->p->spec.nparams; i++)
		suggest_add(&sg, cg->p->spec.params[i].name);
	if (sg.best)
		cg_error(cg, e->col, "unknown identifier '%s' (did you mean '%s'?)", e->name, sg.best);
	else
		cg_error(cg, e->col, "unknown identifier '%s'", e->name);
	suggest_free(&sg);
}

static bool is_arg_name(const char *name)
{
	return !strncmp(name, "arg", 3) && name[3] >= '1' && name[3] <= '6' && !name[4];
}

/* A value the provider places; @where is its reason when it cannot. */
static bool provider_loc(struct cg *cg, struct sinfo *si, struct loc *loc)
{
	if (loc->kind == LOC_NONE) {
		cg_error(cg, si->col, "%s", loc->why);
		return false;
	}
	si->loc = *loc;
	if (loc->kind == LOC_MEM)
		cg->sm.reads_memory = true;
	return true;
}

/* argN: a 64-bit value, as BCC has it (pointers into user memory for system calls). */
static bool sema_arg(struct cg *cg, struct sinfo *si, int n, bool param)
{
	const struct provider *pv = cg->p->prov;
	struct loc loc;

	if (!pv->arg) {
		cg_error(cg, si->col, "'%s' is not available in this probe", si->e->name);
		return false;
	}
	pv->arg(cg->p, n, param, &loc);
	if (!provider_loc(cg, si, &loc))
		return false;
	/* Registers are BCC's u64; a narrower or signed place (USDT's -4@...) is typed so. */
	set_value(si, RES_LOC, loc.size < 8 || loc.is_signed ? ty_int(loc.size, loc.is_signed) :
			       ty_int(8, false));
	si->ty.user = loc.user_ptr || si->e->user;
	return true;
}


static bool btf_type_exists(void *btf, const char *name)
{
	return ktype_find(btf, name) >= 0;
}

/*
 * Type @name in BTF, or what older kernels called it ("struct timespec"),
 * said on stderr; -ENOENT if neither.
 */
static int find_type(struct cg *cg, const struct btf *btf, const char *name, int col)
{
	const struct rename *r;
	char to[128];
	int id = ktype_find(btf, name);

	if (id >= 0)
		return id;
	r = rename_find(RN_TYPE, NULL, name, false, btf_type_exists, (void *)btf, to,
			sizeof(to));
	if (!r || (id = ktype_find(btf, to)) < 0)
		return -ENOENT;
	rename_notice(cg->s, cg->p->spec.index, col, r, name, to);
	return id;
}
/* The type a pointer cast or declaration gives: char pointer, struct pointer via BTF. */
static bool ptr_type(struct cg *cg, const struct ctype *ct, bool user, int col, struct ty *out)
{
	const char *base = ct->base;
	struct btf *btf;
	int id;

	*out = (struct ty){ .kind = TY_PTR, .size = 8, .user = user || ct->user,
			    .is_char = ct->ptr == 1 && strstr(base, "char") };
	if (strncmp(base, "struct ", 7) && strncmp(base, "union ", 6))
		return true;
	out->is_char = false;
	if (ct->ptr != 1)
		return true;
	btf = btf_of(cg);
	if (!btf) {
		cg_error(cg, col, "'%s' needs the kernel's BTF, and this kernel has none", base);
		return false;
	}
	id = find_type(cg, btf, base, col);
	if (id < 0) {
		cg_error(cg, col, "unknown type '%s' (not in the kernel's BTF)", base);
		return false;
	}
	out->btf_id = (__u32)id;
	return true;
}

/*
 * The type a cast (or a signature) converts a value to, in @out; @to_bool
 * for bool. False (error printed) when it cannot.
 */
static bool cast_type(struct cg *cg, const struct sinfo *v, const struct ctype *ct, int col,
		      struct ty *out, bool *to_bool)
{
	struct btf *btf;
	int id;

	*to_bool = false;
	if (ct->ptr) {
		if (!require_int(cg, v, "a pointer cast"))
			return false;
		return ptr_type(cg, ct, v->ty.user, col, out);
	}
	if (ctype_int(ct->base, out)) {
		if (!require_int(cg, v, "a cast"))
			return false;
		*to_bool = !strcmp(ct->base, "bool") || !strcmp(ct->base, "_Bool");
		return true;
	}
	/* A kernel typedef of an integer or pointer ("sector_t", "pgoff_t"). */
	btf = btf_of(cg);
	id = btf ? find_type(cg, btf, ct->base, col) : -1;
	if (id > 0) {
		*out = ty_btf(btf, (__u32)id, v->ty.user);
		if ((out->kind == TY_INT || out->kind == TY_PTR) && require_int(cg, v, "a cast"))
			return true;
		if (cg->failed)
			return false;
	}
	cg_error(cg, col, "cannot cast to '%s': not an integer or pointer type%s", ct->base,
		 id > 0 ? "" : " known here");
	return false;
}

/* A name from the probe's signature: the argument at its position. */
static bool sema_param(struct cg *cg, struct sinfo *si, bool *done)
{
	const struct probe_spec *ps = &cg->p->spec;
	const struct expr *e = si->e;

	for (size_t i = 0; i < ps->nparams; i++) {
		const struct param *pm = &ps->params[i];
		struct ty t;
		bool known = pm->type.ptr > 0 || ctype_int(pm->type.base, &t), to_bool;

		if (strcmp(pm->name, e->name))
			continue;
		*done = true;
		if (i >= 6) {
			cg_error(cg, e->col, "only the first 6 arguments can be read");
			return false;
		}
		if (!sema_arg(cg, si, (int)i + 1, false))
			return false;
		/* Kernel typedefs come from BTF; without it they stay 64-bit integers. */
		if (!known && btf_of(cg) && find_type(cg, btf_of(cg), pm->type.base, e->col) > 0)
			known = true;
		if (!known)
			return true;
		if (!cast_type(cg, si, &pm->type, e->col, &t, &to_bool))
			return false;
		if (t.kind == TY_PTR)
			t.user = t.user || si->ty.user;
		si->ty = t;
		si->to_bool = to_bool;
		return true;
	}
	*done = false;
	return false;
}

/*
 * Beyond BCC: without a signature, the function's parameter names and
 * types come from BTF, so "count" or "file->f_inode->i_ino" just work.
 */
static bool sema_btf_param(struct cg *cg, struct sinfo *si, bool *done)
{
	const struct provider *pv = cg->p->prov;
	const char *func = pv->function && !cg->p->spec.has_signature ? pv->function(cg->p) : NULL;
	struct btf *btf = func ? btf_of(cg) : NULL;
	const struct expr *e = si->e;
	__u32 tid;
	struct ty t;
	int idx;

	*done = false;
	if (!btf || ktype_func_param(btf, func, e->name, &idx, &tid))
		return false;
	*done = true;
	if (idx > 6) {
		cg_error(cg, e->col, "'%s' is argument %d; only the first 6 can be read",
			 e->name, idx);
		return false;
	}
	if (!sema_arg(cg, si, idx, true))
		return false;
	t = ty_btf(btf, tid, si->ty.user);
	/* A struct passed by value: its first eight bytes, as an integer. */
	if (t.kind != TY_STRUCT && t.kind != TY_ARRAY)
		si->ty = t;
	return true;
}

/*
 * BCC's retval is a u64. With BTF we know better: vfs_read returns ssize_t,
 * so "retval < 0" means what it says.
 */
static bool sema_retval(struct cg *cg, struct sinfo *si)
{
	const struct provider *pv = cg->p->prov;
	const char *func = pv->function ? pv->function(cg->p) : NULL;
	struct btf *btf = func ? btf_of(cg) : NULL;
	struct loc loc;
	__u32 tid;
	struct ty t;

	if (!pv->retval) {
		cg_error(cg, si->col, "'retval' is not available in this probe");
		return false;
	}
	pv->retval(cg->p, &loc);
	if (!provider_loc(cg, si, &loc))
		return false;
	set_value(si, RES_LOC, ty_int(8, false));
	si->ty.user = loc.user_ptr;
	if (!btf || ktype_func_ret(btf, func, &tid) || !tid)
		return true;
	t = ty_btf(btf, tid, false);
	if (t.kind == TY_INT || t.kind == TY_PTR)
		si->ty = t;
	return true;
}

static bool sema_builtin(struct cg *cg, struct sinfo *si, const struct builtin *b)
{
	struct btf *btf;
	int id;

	set_value(si, RES_BUILTIN, ty_int(b->size, b->is_signed));
	si->builtin = b;
	if (!strcmp(b->name, "$task")) {
		btf = btf_of(cg);
		id = btf ? ktype_find(btf, "struct task_struct") : -1;
		si->ty = (struct ty){ .kind = TY_PTR, .size = 8, .btf_id = id > 0 ? (__u32)id : 0 };
	}
	return true;
}

/* $latency and $entry() need the entry probe etrace adds to return probes. */
static bool has_entry(struct cg *cg, const struct expr *e, const char *what)
{
	if (probe_entry(cg->s, cg->p))
		return true;
	cg_error(cg, e->col, "%s is only available in return probes (r::function, "
		 "r:library:function)", what);
	return false;
}

/* $latency: nanoseconds since the same thread entered the function. */
static struct sinfo *sema_latency(struct cg *cg, struct sinfo *si)
{
	const struct expr *e = si->e;

	if (!has_entry(cg, e, "$latency"))
		return NULL;
	set_value(si, RES_ENTRY, ty_int(8, false));
	si->off = 0;
	return si;
}

/*
 * $entry(argN) or $entry(name): the argument as it was at entry, typed as
 * the entry probe types it; the entry probe saves it in slot order.
 */
static struct sinfo *sema_entry(struct cg *cg, const struct expr *e)
{
	struct probe *ep = probe_entry(cg->s, cg->p);
	struct sinfo *si = node(cg, e), *v;
	struct cg sub = { .s = cg->s, .p = ep };
	const struct expr *a = e->nargs == 1 ? e->args[0] : NULL;
	size_t i;

	if (!has_entry(cg, e, "$entry()"))
		return NULL;
	if (!a || a->kind != EXPR_IDENT) {
		cg_error(cg, a ? a->col : e->col, "$entry() takes one argument: argN or the "
			 "name of a parameter, e.g. $entry(arg1)");
		return NULL;
	}
	v = expr(&sub, a);
	if (v && !ty_is_integer(&v->ty))
		cg_error(&sub, a->col, "$entry() of '%s': only integers and pointers are saved "
			 "at entry", a->name);
	if (sub.failed || !v) {
		sema_free(&sub.sm);
		cg->failed = true;
		return NULL;
	}
	for (i = 0; i < cg->p->nentry_vals; i++)
		if (!strcmp(cg->p->entry_vals[i]->name, a->name) &&
		    cg->p->entry_vals[i]->user == a->user)
			break;
	if (i == cg->p->nentry_vals) {
		cg->p->entry_vals = xrealloc(cg->p->entry_vals, (i + 1) * sizeof(*cg->p->entry_vals));
		cg->p->entry_vals[cg->p->nentry_vals++] = a;
	}
	set_value(si, RES_ENTRY, v->ty);
	si->off = (int)i + 1;
	sema_free(&sub.sm);
	return si;
}

static struct sinfo *sema_ident(struct cg *cg, const struct expr *e)
{
	struct sinfo *si = node(cg, e);
	const struct provider *pv = cg->p->prov;
	const struct builtin *b;
	bool done;

	if (sema_param(cg, si, &done) || done)
		return cg->failed ? NULL : si;
	if (sema_btf_param(cg, si, &done) || done)
		return cg->failed ? NULL : si;
	if (is_arg_name(e->name))
		return sema_arg(cg, si, e->name[3] - '0', false) ? si : NULL;
	if (!strcmp(e->name, "retval"))
		return sema_retval(cg, si) ? si : NULL;
	if (!strcmp(e->name, "ctx")) {
		if (pv->ctx_unavailable) {
			cg_error(cg, e->col, "%s", pv->ctx_unavailable);
			return NULL;
		}
		set_value(si, RES_CTX_PTR, (struct ty){ .kind = TY_PTR, .size = 8 });
		return si;
	}
	if (!strcmp(e->name, "$latency"))
		return sema_latency(cg, si);
	b = builtin_find(e->name);
	if (b)
		return sema_builtin(cg, si, b) ? si : NULL;
	if (!strcmp(e->name, "args")) {
		cg_error(cg, e->col, "'args' is a pointer to the tracepoint's fields; "
			 "write args->FIELD");
		return NULL;
	}
	unknown_ident(cg, e);
	return NULL;
}

/* --- fields and members ------------------------------------------------------ */

static bool type_is_char(const char *type)
{
	return strstr(type, "char") != NULL;
}

static bool sema_tp_field(struct cg *cg, struct sinfo *si, const struct tp_field *f)
{
	si->field = f;
	si->res = RES_FIELD;
	if (f->data_loc || f->rel_loc) {
		si->where = SV_DATA_LOC;
		si->ty = (struct ty){ .kind = TY_DATA_LOC, .size = 8,
				      .is_char = type_is_char(f->type) };
		return true;
	}
	if (f->is_array) {
		si->where = SV_CTX;
		si->off = f->offset;
		/* The format's "signed" is the element type's. */
		si->ty = (struct ty){ .kind = TY_ARRAY, .size = f->size,
				      .is_char = type_is_char(f->type), .is_signed = f->is_signed,
				      .array_len = f->array_len,
				      .elem_size = f->array_len ? f->size / f->array_len : 1 };
		return true;
	}
	if (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8) {
		cg_error(cg, si->col, "field '%s' has an unsupported size of %d bytes", f->name,
			 f->size);
		return false;
	}
	si->where = SV_VALUE;
	si->ty = ty_int(f->size, f->is_signed);
	if (f->is_pointer) {
		si->ty.kind = TY_PTR;
		/* "const char *const *" (argv) points at pointers, not characters. */
		si->ty.is_char = type_is_char(f->type) &&
				 strchr(f->type, '*') == strrchr(f->type, '*');
		/* System call arguments point into the calling process. */
		si->ty.user = !strcmp(cg->p->spec.category ? cg->p->spec.category : "", "syscalls");
	}
	return true;
}

/* The struct a '->' or '.' applies to: its BTF id. */
static bool member_base(struct cg *cg, const struct expr *e, const struct sinfo *base,
			__u32 *sid)
{
	struct btf *btf = btf_of(cg);
	struct ktype k;
	char name[128];

	if (e->arrow) {
		if (base->ty.kind != TY_PTR && !(base->ty.kind == TY_INT && base->ty.size == 8)) {
			cg_error(cg, e->col, "'->' needs a pointer to a struct%s",
				 base->ty.kind == TY_STRUCT ? " (this is a struct: use '.')" : "");
			return false;
		}
		if (!base->ty.btf_id || !btf) {
			cg_error(cg, e->lhs->col, "this pointer has no known type; give the probe a "
				 "signature or cast it, e.g. ((struct file *)arg1)->f_flags");
			return false;
		}
		if (ktype_resolve(btf, base->ty.btf_id, &k) || k.kind != KT_STRUCT) {
			cg_error(cg, e->col, "'->' on a pointer to %s, which is not a struct",
				 ktype_name(btf, base->ty.btf_id, name, sizeof(name)));
			return false;
		}
		*sid = k.id;
		return true;
	}
	if (base->where != SV_MEM || base->ty.kind != TY_STRUCT) {
		cg_error(cg, e->col, "'.' needs a struct%s",
			 base->ty.kind == TY_PTR ? " (this is a pointer: use '->')" : "");
		return false;
	}
	*sid = base->ty.btf_id;
	return true;
}

/* A BTF type @id read from memory: a value, or (structs, arrays) memory. */
static void btf_value(struct sinfo *si, const struct btf *btf, __u32 id, bool user)
{
	si->ty = ty_btf(btf, id, user);
	si->where = si->ty.kind == TY_STRUCT || si->ty.kind == TY_ARRAY ? SV_MEM : SV_VALUE;
}

struct member_ctx {
	const struct btf *btf;
	__u32 sid, *mtype, *bit_off, *bits;
};

/* Whether path @to names a member of the struct (and where it is). */
static bool member_exists(void *ctx, const char *to)
{
	struct member_ctx *m = ctx;

	return !ktype_member_path(m->btf, m->sid, to, m->mtype, m->bit_off, m->bits);
}

/* A member a header macro names (sk->sk_dport): its real path, said on stderr. */
static bool renamed_member(struct cg *cg, const struct btf *btf, __u32 sid, const char *name,
			   int col, __u32 *mtype, __u32 *bit_off, __u32 *bits)
{
	struct member_ctx m = { btf, sid, mtype, bit_off, bits };
	const struct rename *r;
	char to[128];

	r = rename_find(RN_MEMBER, ktype_struct_name(btf, sid), name, false, member_exists, &m,
			to, sizeof(to));
	if (!r)
		return false;
	rename_notice(cg->s, cg->p->spec.index, col, r, name, to);
	return true;
}

static bool any_name(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return true;
}

/*
 * "did you mean" among the names header macros give (sk_dprt -> sk_dport):
 * the closest member where the macro leads, named as the macro would.
 */
static char *renamed_member_suggest(const struct btf *btf, __u32 sid, const char *name)
{
	const struct rename *r;
	char to[128], back[128], *leaf, *alt, *full;
	__u32 t, off, bits;

	r = rename_find(RN_MEMBER, ktype_struct_name(btf, sid), name, false, any_name, NULL,
			to, sizeof(to));
	leaf = r ? strrchr(to, '.') : NULL;
	if (!leaf)
		return NULL;
	*leaf++ = '\0';
	if (ktype_member_path(btf, sid, to, &t, &off, &bits))
		return NULL;
	alt = ktype_member_suggest(btf, t, leaf);
	if (!alt)
		return NULL;
	full = xasprintf("%s.%s", to, alt);
	free(alt);
	alt = rename_reverse(r, full, back, sizeof(back)) ? xstrdup(back) : NULL;
	free(full);
	return alt;
}

static struct sinfo *sema_btf_member(struct cg *cg, const struct expr *e)
{
	struct sinfo *base = expr(cg, e->lhs), *si;
	struct btf *btf = btf_of(cg);
	__u32 sid, mtype, bit_off, bits;
	char name[128], *alt;

	if (!base || !member_base(cg, e, base, &sid))
		return NULL;
	si = node(cg, e);
	si->col = e->col + (e->arrow ? 2 : 1);
	if (ktype_member(btf, sid, e->name, &mtype, &bit_off, &bits) &&
	    !renamed_member(cg, btf, sid, e->name, si->col, &mtype, &bit_off, &bits)) {
		alt = renamed_member_suggest(btf, sid, e->name);
		if (!alt)
			alt = ktype_member_suggest(btf, sid, e->name);
		cg_error(cg, si->col, "%s has no member '%s'%s%s%s",
			 ktype_name(btf, sid, name, sizeof(name)), e->name,
			 alt ? " (did you mean '" : "", alt ? alt : "", alt ? "'?)" : "");
		free(alt);
		return NULL;
	}
	si->res = RES_MEMBER;
	cg->sm.reads_memory = true;
	if (bits) {
		struct ty t = ty_btf(btf, mtype, base->ty.user);

		if (bits > 64) {
			cg_error(cg, si->col, "bitfield '%s' is %u bits wide; at most 64 can be read",
				 e->name, bits);
			return NULL;
		}
		si->bit_off = (int)bit_off;
		si->bits = (int)bits;
		si->where = SV_VALUE;
		si->ty = ty_int(t.size == 8 ? 8 : 4, t.is_signed);
		return si;
	}
	si->off = (int)(bit_off / 8);
	btf_value(si, btf, mtype, base->ty.user);
	return si;
}

static struct sinfo *sema_member(struct cg *cg, const struct expr *e)
{
	const struct tp_format *tp = cg->p->fields;
	const struct tp_field *f;
	struct sinfo *si;
	const char *alt;

	if (e->lhs->kind == EXPR_IDENT && !strcmp(e->lhs->name, "ctx") && e->arrow &&
	    cg->p->prov->ctx_reg && !cg->p->prov->ctx_unavailable) {
		struct loc loc;

		si = node(cg, e);
		si->col = e->col + 2;
		cg->p->prov->ctx_reg(cg->p, e->name, &loc);
		if (!provider_loc(cg, si, &loc))
			return NULL;
		set_value(si, RES_LOC, ty_int(loc.size, loc.is_signed));
		si->ty.user = loc.user_ptr;
		return si;
	}
	if (e->lhs->kind != EXPR_IDENT || strcmp(e->lhs->name, "args") || !e->arrow)
		return sema_btf_member(cg, e);
	if (!tp) {
		cg_error(cg, e->lhs->col, "args->FIELD is only available in tracepoint probes");
		return NULL;
	}
	si = node(cg, e);
	si->col = e->col + 2;
	f = tp_format_field(tp, e->name);
	if (f)
		return sema_tp_field(cg, si, f) ? si : NULL;
	alt = tp_format_suggest(tp, e->name);
	if (alt)
		cg_error(cg, si->col, "tracepoint %s:%s has no field '%s' (did you mean '%s'?)",
			 cg->p->spec.category, cg->p->spec.function, e->name, alt);
	else
		cg_error(cg, si->col, "tracepoint %s:%s has no field '%s'",
			 cg->p->spec.category, cg->p->spec.function, e->name);
	return NULL;
}

/* Element @ix of an array in memory or of a typed pointer. */
static struct sinfo *index_memory(struct cg *cg, const struct expr *e, const struct sinfo *base,
				  const struct sinfo *ix)
{
	struct btf *btf = btf_of(cg);
	struct sinfo *si;
	struct ktype k;
	__u32 elem;
	int esize;

	if ((base->where == SV_MEM && base->ty.kind == TY_ARRAY) ||
	    (base->ty.kind == TY_PTR && base->ty.btf_id)) {
		elem = base->ty.btf_id;
	} else {
		cg_error(cg, e->col, "only arrays and typed pointers can be indexed");
		return NULL;
	}
	if (!require_int(cg, ix, "an index"))
		return NULL;
	if (!btf || ktype_resolve(btf, elem, &k)) {
		cg_error(cg, e->col, "cannot index: the element type is unknown");
		return NULL;
	}
	esize = k.kind == KT_PTR ? 8 : k.size;
	if (esize <= 0) {
		cg_error(cg, e->col, "cannot index an array of elements without a size");
		return NULL;
	}
	/*
	 * Constant indexes of BTF arrays are checked, except for the old
	 * one-element "flexible" arrays ([0] and [1]) at the end of structs.
	 */
	if (is_const(ix) && base->ty.kind == TY_ARRAY && base->ty.array_len > 1 &&
	    (ix->imm < 0 || ix->imm >= base->ty.array_len)) {
		cg_error(cg, e->rhs->col, "index %lld is out of bounds (array of %d)",
			 (long long)ix->imm, base->ty.array_len);
		return NULL;
	}
	si = node(cg, e);
	si->res = RES_INDEX_MEM;
	si->esize = esize;
	cg->sm.reads_memory = true;
	if (is_const(ix)) {
		int64_t at = ix->imm * (int64_t)esize;

		if (ix->imm > INT32_MAX || ix->imm < INT32_MIN || at > INT32_MAX || at < INT32_MIN) {
			cg_error(cg, e->rhs->col, "index %lld is too far from the start",
				 (long long)ix->imm);
			return NULL;
		}
		si->off = (int)at;
	}
	btf_value(si, btf, elem, base->ty.user);
	return si;
}

static struct sinfo *sema_index(struct cg *cg, const struct expr *e)
{
	struct sinfo *base = expr(cg, e->lhs), *ix, *si;
	int esize;

	if (!base || !(ix = expr(cg, e->rhs)))
		return NULL;
	if (base->where != SV_CTX)
		return index_memory(cg, e, base, ix);
	if (!is_const(ix)) {
		cg_error(cg, e->rhs->col, "an array of tracepoint fields needs a constant index");
		return NULL;
	}
	esize = base->ty.elem_size;
	if (ix->imm < 0 || (base->ty.array_len && ix->imm >= base->ty.array_len)) {
		cg_error(cg, e->rhs->col, "index %lld is out of bounds (array of %d)",
			 (long long)ix->imm, base->ty.array_len);
		return NULL;
	}
	if (esize != 1 && esize != 2 && esize != 4 && esize != 8) {
		cg_error(cg, e->col, "cannot index an array of %d-byte elements", esize);
		return NULL;
	}
	si = node(cg, e);
	set_value(si, RES_INDEX_CTX, ty_int(esize, base->ty.is_signed));
	si->off = base->off + (int)ix->imm * esize;
	return si;
}

/* --- operators -------------------------------------------------------------- */

/*
 * C's rule for the type of an integer literal: the first of int, unsigned
 * int (hex and octal only), long, unsigned long (hex, octal, or too big)
 * that holds it; a u suffix skips the signed ones, an l suffix the 32-bit
 * ones.
 */
static struct sinfo *sema_int_literal(struct cg *cg, const struct expr *e)
{
	struct sinfo *si = node(cg, e);
	bool u = e->is_unsigned, any_sign = e->not_decimal;
	int64_t v = (int64_t)e->ival;

	/* Negative only for a character literal such as '\xff': an int, as in C. */
	if (!e->is_long && !u && v >= INT32_MIN && v <= INT32_MAX)
		set_const(si, v, ty_int(4, true));
	else if (!e->is_long && (u || any_sign) && e->ival <= UINT32_MAX)
		set_const(si, v, ty_int(4, false));
	else if (!u && e->ival <= INT64_MAX)
		set_const(si, v, ty_int(8, true));
	else
		set_const(si, v, ty_int(8, false));
	return si;
}

static int jmp_kind(int op)
{
	switch (op) {
	case OP_EQ: case OP_NE: case '<': case '>': case OP_LE: case OP_GE:
		return 1;
	default:
		return 0;
	}
}

static bool check_div_zero(struct cg *cg, const struct expr *e, const struct sinfo *b)
{
	if ((e->op == '/' || e->op == '%') && is_const(b) && b->imm == 0) {
		cg_error(cg, e->rhs->col, "division by zero");
		return false;
	}
	/* BPF cannot encode these (and C leaves them undefined). */
	if ((e->op == OP_SHL || e->op == OP_SHR) && is_const(b) && (b->imm < 0 || b->imm > 63)) {
		cg_error(cg, e->rhs->col, "shift count %lld is out of range (0 to 63)",
			 (long long)b->imm);
		return false;
	}
	return true;
}

/* @what: how an operand that is not an integer is described in the message. */
static struct sinfo *sema_binary(struct cg *cg, const struct expr *e, const char *what)
{
	struct sinfo *a, *b, *si;
	struct ty t;
	int op = e->op;

	if (op == OP_LAND || op == OP_LOR) {
		if (!(a = cond(cg, e->lhs)) || !(b = cond(cg, e->rhs)))
			return NULL;
		si = node(cg, e);
		if (is_const(a) && is_const(b))
			set_const(si, op == OP_LAND ? a->imm && b->imm : a->imm || b->imm,
				  ty_int(4, true));
		else
			set_value(si, RES_LOGICAL, ty_int(4, true));
		return si;
	}
	if (!(a = expr(cg, e->lhs)) || !(b = expr(cg, e->rhs)))
		return NULL;
	if (!require_int(cg, a, what) || !require_int(cg, b, what) || !check_div_zero(cg, e, b))
		return NULL;
	/* Shifts take the type of the (promoted) left operand. */
	t = op == OP_SHL || op == OP_SHR ? ty_promote(a->ty) : ty_arith(a->ty, b->ty);
	si = node(cg, e);
	si->op_ty = t;
	if (is_const(a) && is_const(b)) {
		int64_t v = ty_fold(op, ty_extend_imm(a->imm, t.size, t.is_signed),
				    ty_extend_imm(b->imm, t.size, t.is_signed), t);

		set_const(si, v, jmp_kind(op) ? ty_int(4, true) : t);
		return si;
	}
	set_value(si, RES_BINARY, jmp_kind(op) ? ty_int(4, true) : t);
	return si;
}

static struct sinfo *sema_unary(struct cg *cg, const struct expr *e)
{
	struct sinfo *v = expr(cg, e->lhs), *si;
	struct btf *btf = btf_of(cg);
	struct ty t;

	if (!v)
		return NULL;
	if (e->op == '*') {
		if (v->ty.kind == TY_PTR && v->ty.btf_id && btf) {
			si = node(cg, e);
			si->res = RES_DEREF;
			btf_value(si, btf, v->ty.btf_id, v->ty.user);
			cg->sm.reads_memory = true;
			return si;
		}
		if (v->ty.kind == TY_PTR && v->ty.is_char) {
			si = node(cg, e);
			set_value(si, RES_DEREF, ty_int(1, true));
			/* Read from where the pointer points. */
			si->ty.user = v->ty.user;
			cg->sm.reads_memory = true;
			return si;
		}
		cg_error(cg, e->col, "cannot dereference this value: %s", v->ty.kind == TY_PTR ?
			 "the pointer has no known type (cast it, e.g. *(struct file *)arg1)" :
			 "it is not a pointer");
		return NULL;
	}
	if (e->op == '&') {
		if (v->where != SV_MEM) {
			cg_error(cg, e->col, "'&' needs a struct or array in memory, e.g. &file->f_path");
			return NULL;
		}
		si = node(cg, e);
		set_value(si, RES_ADDR, (struct ty){ .kind = TY_PTR, .size = 8, .user = v->ty.user,
						     .btf_id = v->ty.kind == TY_STRUCT ?
						     v->ty.btf_id : 0 });
		return si;
	}
	if (!require_int(cg, v, e->op == '!' ? "'!'" : e->op == '~' ? "'~'" : "'-'"))
		return NULL;
	si = node(cg, e);
	if (e->op == '!') {
		if (is_const(v))
			set_const(si, !v->imm, ty_int(4, true));
		else
			set_value(si, RES_UNARY, ty_int(4, true));
		return si;
	}
	t = ty_promote(v->ty);
	if (is_const(v))
		/* Negated in unsigned arithmetic: -INT64_MIN wraps as it does in BPF. */
		set_const(si, e->op == '-' ? (int64_t)(0 - (uint64_t)v->imm) : ~v->imm, t);
	else
		set_value(si, RES_UNARY, t);
	return si;
}

static struct sinfo *sema_ternary(struct cg *cg, const struct expr *e)
{
	struct sinfo *c = cond(cg, e->cond), *a, *b, *si;

	if (!c || !(a = expr(cg, e->lhs)) || !require_int(cg, a, "'?:'") ||
	    !(b = expr(cg, e->rhs)) || !require_int(cg, b, "'?:'"))
		return NULL;
	si = node(cg, e);
	if (is_const(c) && is_const(a) && is_const(b))
		set_const(si, c->imm ? a->imm : b->imm, ty_arith(a->ty, b->ty));
	else
		set_value(si, RES_TERNARY, ty_arith(a->ty, b->ty));
	return si;
}

static struct sinfo *sema_cast(struct cg *cg, const struct expr *e)
{
	struct sinfo *v = expr(cg, e->lhs), *si;
	struct ty t;
	bool to_bool;

	if (!v || !cast_type(cg, v, &e->cast, e->col, &t, &to_bool))
		return NULL;
	si = node(cg, e);
	si->to_bool = to_bool;
	if (t.kind == TY_PTR) {
		/* A pointer cast only changes the type of the value. */
		t.user = t.user || v->ty.user;
		if (is_const(v)) {
			set_const(si, v->imm, ty_int(8, false));
			si->ty = t;
		} else {
			set_value(si, RES_CAST, t);
		}
		return si;
	}
	if (is_const(v)) {
		if (to_bool)
			set_const(si, v->imm != 0, t);
		else
			set_const(si, v->imm, t);
		return si;
	}
	set_value(si, RES_CAST, t);
	return si;
}

/* --- STRCMP ----------------------------------------------------------------- */

/*
 * -B: the literal is a C initializer of bytes, "{0x6C, 0x00, 0x00}". BCC
 * drops the last byte from the comparison; etrace compares them all.
 */
static int parse_bin_literal(struct cg *cg, const struct expr *lit, unsigned char *out)
{
	const char *p = lit->str;
	int n = 0;

	while (*p == ' ' || *p == '{')
		p++;
	while (*p && *p != '}') {
		char *end;
		unsigned long v = strtoul(p, &end, 0);

		if (end == p || v > 255 || n == STRCMP_MAX) {
			cg_error(cg, lit->col, "-B: the STRCMP literal must be bytes like "
				 "\"{0x6c, 0x00}\" (at most %d)", STRCMP_MAX);
			return -1;
		}
		out[n++] = (unsigned char)v;
		for (p = end; *p == ' ' || *p == ','; p++)
			;
	}
	if (!n)
		cg_error(cg, lit->col, "-B: the STRCMP literal has no bytes");
	return n ? n : -1;
}

/* The STRCMP literal's bytes, and whether they are compared raw (-B). */
static int strcmp_needle(struct cg *cg, const struct expr *lit, unsigned char *out, bool *raw)
{
	*raw = cg->s->opt.bin_cmp;
	if (*raw)
		return parse_bin_literal(cg, lit, out);
	if (lit->str_len == 0 || lit->str_len > STRCMP_MAX) {
		cg_error(cg, lit->col, "the STRCMP literal must have 1 to %d characters", STRCMP_MAX);
		return -1;
	}
	memcpy(out, lit->str, lit->str_len);
	return (int)lit->str_len;
}

/* @size bytes of this probe's scratch slice, or -1 (error printed). */
static int scratch(struct cg *cg, int size, int col)
{
	int off = cg->sm.scratch_used;

	if (off + size > MAPS_SCRATCH_SIZE) {
		cg_error(cg, col, "the probe needs more than %d bytes of temporary strings",
			 MAPS_SCRATCH_SIZE);
		return -1;
	}
	cg->sm.scratch_used += (size + 7) & ~7;
	return off;
}

static struct sinfo *sema_strcmp(struct cg *cg, const struct expr *e)
{
	const struct expr *lit = e->nargs == 2 ? e->args[0] : NULL;
	struct sinfo *s, *si;
	unsigned char needle[STRCMP_MAX];
	bool raw;
	int len;

	if (!lit || lit->kind != EXPR_STR) {
		cg_error(cg, e->col, "STRCMP takes a string literal and a string: "
			 "STRCMP(\"text\", expr)");
		return NULL;
	}
	len = strcmp_needle(cg, lit, needle, &raw);
	if (len < 0 || !(s = expr(cg, e->args[1])))
		return NULL;
	if (!ty_is_string(&s->ty, s->where)) {
		cg_error(cg, s->col, "STRCMP needs a string (char array or char pointer) here");
		return NULL;
	}
	if (raw && s->ty.kind == TY_ARRAY && s->ty.size > 0 && len > s->ty.size) {
		cg_error(cg, lit->col, "-B: the literal has %d bytes but the field only %d", len,
			 s->ty.size);
		return NULL;
	}
	si = node(cg, e);
	si->scratch = scratch(cg, len + 1, e->col);
	if (si->scratch < 0)
		return NULL;
	set_value(si, RES_STRCMP, ty_int(4, true));
	memcpy(si->needle, needle, (size_t)len);
	si->needle_len = len;
	si->raw = raw;
	return si;
}

static struct sinfo *sema_call(struct cg *cg, const struct expr *e)
{
	struct suggest sg;

	if (!strcmp(e->name, "STRCMP"))
		return sema_strcmp(cg, e);
	if (!strcmp(e->name, "$entry"))
		return sema_entry(cg, e);
	suggest_init(&sg, e->name);
	suggest_add(&sg, "STRCMP");
	suggest_add(&sg, "$entry");
	if (!sg.best && !strcasecmp(e->name, "STRCMP"))
		sg.best = xstrdup("STRCMP");
	cg_error(cg, e->col, "unknown function '%s'%s%s%s", e->name,
		 sg.best ? " (did you mean '" : " (the functions are STRCMP and $entry)",
		 sg.best ? sg.best : "", sg.best ? "'?)" : "");
	suggest_free(&sg);
	return NULL;
}

/* STRCMP reads its literal itself: anywhere else a string literal is a mistake. */
static struct sinfo *sema_str(struct cg *cg, const struct expr *e)
{
	cg_error(cg, e->col, "a string literal can only be compared with STRCMP(\"text\", expr)");
	return NULL;
}

static struct sinfo *expr(struct cg *cg, const struct expr *e)
{
	if (cg->failed)
		return NULL;
	switch (e->kind) {
	case EXPR_INT: return sema_int_literal(cg, e);
	case EXPR_IDENT: return sema_ident(cg, e);
	case EXPR_MEMBER: return sema_member(cg, e);
	case EXPR_INDEX: return sema_index(cg, e);
	case EXPR_CALL: return sema_call(cg, e);
	case EXPR_UNARY: return sema_unary(cg, e);
	case EXPR_BINARY: return sema_binary(cg, e, "this operator");
	case EXPR_TERNARY: return sema_ternary(cg, e);
	case EXPR_CAST: return sema_cast(cg, e);
	case EXPR_STR: return sema_str(cg, e);
	}
	return NULL;
}

/*
 * An expression used as a condition (predicates, '?:', '&&', '||', and
 * '!' among them): comparisons and logic are branches there, and what is
 * not an integer is described as such.
 */
static struct sinfo *cond(struct cg *cg, const struct expr *e)
{
	struct sinfo *v, *si;

	if (cg->failed)
		return NULL;
	if (e->kind == EXPR_BINARY && jmp_kind(e->op))
		return sema_binary(cg, e, "a comparison");
	if (e->kind == EXPR_BINARY && (e->op == OP_LAND || e->op == OP_LOR))
		return sema_binary(cg, e, "a condition");
	if (e->kind == EXPR_UNARY && e->op == '!') {
		if (!(v = cond(cg, e->lhs)))
			return NULL;
		si = node(cg, e);
		if (is_const(v))
			set_const(si, !v->imm, ty_int(4, true));
		else
			set_value(si, RES_UNARY, ty_int(4, true));
		return si;
	}
	v = expr(cg, e);
	if (v && !require_int(cg, v, "a condition"))
		return NULL;
	return v;
}

/* --- the probe ---------------------------------------------------------------- */

/*
 * Check the format against the arguments and lay out one slot per
 * conversion: 8 bytes for integers, -Z + 2 bytes for strings (one more
 * character than shown, to tell a cut string, and the NUL). Decided once
 * per probe: every program of the probe writes the same record.
 */
static int layout_values(struct session *s, struct probe *p)
{
	const struct probe_spec *ps = &p->spec;
	struct layout *l = &p->layout;
	char err[256];
	int off = 0;

	if (l->fmt || l->slots)
		return 0;
	if (!ps->format) {
		if (ps->nargs)
			pr_err("probe %d: arguments without a format string", ps->index);
		return ps->nargs ? ERR_USAGE : 0;
	}
	l->fmt = xcalloc(1, sizeof(*l->fmt));
	if (fmt_parse(ps->format, ps->format_col + 1, l->fmt, err, sizeof(err))) {
		pr_err("probe %d, %s", ps->index, err);
		return ERR_USAGE;
	}
	if (l->fmt->nconvs < ps->nargs) {
		pr_err("probe %d, column %d: too many arguments: the format has %zu conversion%s",
		       ps->index, ps->args[l->fmt->nconvs]->col, l->fmt->nconvs,
		       l->fmt->nconvs == 1 ? "" : "s");
		return ERR_USAGE;
	}
	if (ps->nargs > MAX_VALUES) {
		pr_err("probe %d, column %d: at most %d arguments are supported", ps->index,
		       ps->args[MAX_VALUES]->col, MAX_VALUES);
		return ERR_USAGE;
	}
	if (l->fmt->nconvs > ps->nargs) {
		pr_err("probe %d, column %d: no argument for conversion %zu of the format",
		       ps->index, l->fmt->convs[ps->nargs].col, ps->nargs + 1);
		return ERR_USAGE;
	}
	l->nslots = ps->nargs;
	l->slots = xcalloc(l->nslots, sizeof(*l->slots));
	for (size_t i = 0; i < l->nslots; i++) {
		int size = fmt_conv_is_string(&l->fmt->convs[i]) ?
			   (s->opt.string_size + 2 + 7) & ~7 : 8;

		l->slots[i].offset = off;
		l->slots[i].size = size;
		off += size;
	}
	l->values_size = off;
	return 0;
}

bool cg_prints_user_addresses(const struct session *s, const struct probe *p)
{
	const struct fmt_spec *f = p->layout.fmt;

	if (s->opt.ustack)
		return true;
	for (size_t i = 0; f && i < f->nconvs; i++)
		if (f->convs[i].conv == 'U')
			return true;
	return false;
}

/* @bytes at the key's next offset aligned to @align. */
static int key_field(int *off, int bytes, int align)
{
	int at = (*off + align - 1) & ~(align - 1);

	*off = at + bytes;
	return at;
}

/*
 * The aggregation key: the probe id, then what tells events apart. The
 * process when user addresses are printed (they are named per process),
 * the interval (-i), stack ids, the function hit (patterns) or where a
 * probed file is loaded (its addresses still resolve once the process is
 * gone), the caller at a function's entry, the process name (--folded),
 * and the values, except the one a histogram draws. Values take the room
 * they take in records: 8 bytes, or -Z + 2 for strings.
 */
static int layout_key(struct session *s, struct probe *p)
{
	const struct options *o = &s->opt;
	struct key_layout *k = &p->layout.key;
	bool folded = o->agg == AGG_FOLDED;
	int off = 4;

	if (k->size)
		return 0;
	if (agg_is_hist(o) && !p->layout.nslots) {
		pr_err("probe %d: %s draws the last value of the format, and this probe has "
		       "none", p->spec.index, o->agg == AGG_LOG2 ? "-H" : "--lhist");
		return ERR_USAGE;
	}
	k->tgid = cg_prints_user_addresses(s, p) ? key_field(&off, 4, 4) : -1;
	k->epoch = o->interval_ns ? key_field(&off, 4, 4) : -1;
	k->kstack = o->kstack ? key_field(&off, 4, 4) : -1;
	/* Set when the mechanism built has one (arm64 kprobes at entry), else 0. */
	k->kcaller = o->kstack && p->prov->kstack_caller ? key_field(&off, 8, 8) : -1;
	k->ustack = o->ustack ? key_field(&off, 4, 4) : -1;
	k->ubid = o->ustack ? key_field(&off, 4, 4) : -1;
	k->func_ip = p->records_func_ip || (cg_prints_user_addresses(s, p) && p->prov->probe_offset) ?
		     key_field(&off, 8, 8) : -1;
	k->uret = o->ustack && p->ustack_at_entry ? key_field(&off, 8, 8) : -1;
	k->comm = folded ? key_field(&off, REC_COMM_LEN, 8) : -1;
	k->hist = agg_is_hist(o) ? (int)p->layout.nslots - 1 : -1;
	k->values = xcalloc(p->layout.nslots + 1, sizeof(*k->values));
	for (size_t i = 0; i < p->layout.nslots; i++)
		k->values[i] = folded || (int)i == k->hist ? -1 :
			       key_field(&off, p->layout.slots[i].size, 8);
	k->size = (off + 7) & ~7;
	if (s->agg_key_size < k->size)
		s->agg_key_size = k->size;
	return 0;
}

/*
 * A char array shorter than a key's string (a comm[16] with the default
 * -Z) is copied whole, and what follows its NUL may be anything: it goes
 * through scratch and a _str read into the key, which stops at the NUL.
 * The bytes that needs (0: none).
 */
static int key_array_room(struct cg *cg)
{
	const struct probe *p = cg->p;
	int z = cg->s->opt.string_size, need = 0;

	for (size_t i = 0; p->layout.key.size && i < p->layout.nslots; i++) {
		const struct sinfo *si;

		if (p->layout.key.values[i] < 0 || !fmt_conv_is_string(&p->layout.fmt->convs[i]))
			continue;
		si = sema_of(cg, p->spec.args[i]);
		if (si && si->ty.kind == TY_ARRAY && si->ty.size > 0 && si->ty.size < z + 2 &&
		    (si->where == SV_CTX || si->where == SV_MEM) && si->ty.size + 1 > need)
			need = si->ty.size + 1;
	}
	return need;
}

/* -H and --lhist draw integers: the last conversion cannot be a string or a symbol. */
static void check_hist_value(struct cg *cg)
{
	const struct probe *p = cg->p;
	const struct fmt_conv *c;

	if (!p->layout.key.size || p->layout.key.hist < 0)
		return;
	c = &p->layout.fmt->convs[p->layout.key.hist];
	if (c->conv == 's' || c->conv == 'K' || c->conv == 'U')
		cg_error(cg, c->col, "%s draws the last value of the format, which must be a "
			 "number, not %%%c", cg->s->opt.agg == AGG_LOG2 ? "-H" : "--lhist",
			 c->conv);
}

/* Each value against its conversion: %s takes strings, the others integers. */
static void check_values(struct cg *cg)
{
	const struct probe *p = cg->p;

	for (size_t i = 0; i < p->layout.nslots && !cg->failed; i++) {
		const struct fmt_conv *c = &p->layout.fmt->convs[i];
		struct sinfo *v = expr(cg, p->spec.args[i]);

		if (!v)
			return;
		if (fmt_conv_is_string(c)) {
			if (!ty_is_string(&v->ty, v->where))
				cg_error(cg, v->col, "%%s needs a string (char array, char pointer "
					 "or address)");
		} else if (!ty_is_integer(&v->ty)) {
			cg_error(cg, v->col, "%%%c needs an integer, but this is a string or array "
				 "(use %%s)", c->conv);
		}
	}
}

/* An entry probe etrace added: the operands its return probe's $entry() named. */
static void sema_entry_probe(struct cg *cg, const struct probe *ret)
{
	for (size_t i = 0; i < ret->nentry_vals && !cg->failed; i++)
		expr(cg, ret->entry_vals[i]);
}

int sema_probe(struct cg *cg)
{
	struct probe *p = cg->p, *ret_probe = probe_ret(cg->s, p);
	int ret;

	/* Found again by this pass: a rebuild finds the same operands. */
	p->nentry_vals = 0;
	ret = sema_layout(cg->s, p);
	if (ret)
		return ret;
	if (p->spec.predicate)
		cond(cg, p->spec.predicate);
	check_hist_value(cg);
	check_values(cg);
	if (ret_probe)
		sema_entry_probe(cg, ret_probe);
	if (cg->failed)
		return ERR_USAGE;
	/* A key too large for the stack is built in the scratch slice, after STRCMP's. */
	cg->key_scratch = cg->key_str_tmp = -1;
	if (p->layout.key.size && cg->s->agg_key_size > AGG_KEY_STACK_MAX)
		cg->key_scratch = scratch(cg, cg->s->agg_key_size, 1);
	if (p->layout.key.size && key_array_room(cg))
		cg->key_str_tmp = scratch(cg, key_array_room(cg), 1);
	if (cg->failed)
		return ERR_USAGE;
	/* The entry probe builds a large new map value in its scratch slice. */
	p->layout.needs_scratch = cg->sm.scratch_used > 0 ||
				  (ret_probe && cg_entry_needs_scratch(cg->s));
	return 0;
}

int sema_layout(struct session *s, struct probe *p)
{
	int ret = layout_values(s, p);

	/* An entry probe etrace added saves what its return probe counts: no key. */
	if (ret || !aggregating(&s->opt) || p->ret_of)
		return ret;
	return layout_key(s, p);
}
