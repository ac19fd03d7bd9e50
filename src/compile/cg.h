/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * State shared by the compiler's parts, private to src/compile:
 *
 *   sema.c     the semantic pass: the type of every expression, what each
 *              identifier and member refers to, constants folded, every
 *              usage error (with its column), the record layout and the
 *              scratch each STRCMP needs. Nothing is emitted.
 *   ctype.c    C's type rules: promotions, conversions, casts, BTF types
 *   access.c   lowering of values: arguments, fields, members, memory
 *   ops.c      lowering of operators, casts and conditions
 *   strings.c  lowering of strings: %s values and STRCMP
 *   codegen.c  the program around them: filters, record, submission
 *
 * Lowering reads what the semantic pass decided and only emits IR.
 */
#ifndef __ETRACE_CG_H
#define __ETRACE_CG_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/types.h>

#include "compile/ir.h"
#include "providers/provider.h"
#include "session.h"

struct btf;
struct tp_field;

/* The C type of a value, as far as the compiler needs to know it. */
enum ty_kind {
	TY_INT,
	TY_PTR,		/* pointer; .is_char when it points at char */
	TY_ARRAY,	/* fixed array; .elem_size, .array_len */
	TY_DATA_LOC,	/* tracepoint __data_loc/__rel_loc dynamic array */
	TY_STRLIT,	/* string literal (only as a STRCMP operand) */
	TY_STRUCT,	/* a struct or union in memory (BTF type .btf_id) */
};

struct ty {
	enum ty_kind kind;
	int size;		/* bytes of the value itself */
	bool is_signed;
	bool is_char;		/* char element or pointee: printable with %s */
	bool user;		/* pointer into (or memory of) user space */
	int elem_size;
	int array_len;
	/* BTF: pointee (TY_PTR), element (TY_ARRAY) or the struct (TY_STRUCT); 0: none */
	__u32 btf_id;
};

/* Where a value is, as far as the semantic pass knows: what it may be used for. */
enum sv_where {
	SV_VALUE,	/* an integer or pointer computed at run time */
	SV_CONST,	/* a constant (.imm) */
	SV_CTX,		/* an array inside the tracepoint record */
	SV_DATA_LOC,	/* a tracepoint __data_loc array */
	SV_MEM,		/* a struct or array in kernel or user memory */
};

/* What an expression node is, once resolved. */
enum res {
	RES_CONST,	/* folded: .imm */
	RES_LOC,	/* a value the provider places (.loc), converted to .ty */
	RES_BUILTIN,	/* $pid ... (.builtin) */
	RES_CTX_PTR,	/* the context pointer itself */
	RES_FIELD,	/* a tracepoint field (.field) */
	RES_MEMBER,	/* a BTF member of the struct lhs: byte .off or bits .bit_off/.bits */
	RES_INDEX_CTX,	/* constant element of a tracepoint array: byte .off */
	RES_INDEX_MEM,	/* element of an array in memory or of a typed pointer */
	RES_DEREF,	/* *ptr */
	RES_ADDR,	/* &struct */
	RES_UNARY,	/* - ~ ! */
	RES_BINARY,	/* arithmetic and comparisons in type .op_ty */
	RES_LOGICAL,	/* && || */
	RES_TERNARY,
	RES_CAST,	/* to .ty (bool casts compare with 0) */
	RES_STRCMP,	/* .needle (.needle_len bytes) against the scratch copy at .scratch */
	RES_ENTRY,	/* $latency (.off 0) or $entry() operand .off - 1, popped at return */
};

struct builtin {
	const char *name;
	int helper;
	int shift;		/* take bits >> shift */
	int size;
	bool is_signed;
};

#define STRCMP_MAX 256

/* What the semantic pass decided about one expression node. */
struct sinfo {
	const struct expr *e;
	int col;		/* the column messages about this value name */
	struct ty ty;
	enum sv_where where;
	enum res res;
	int64_t imm;		/* SV_CONST: the value, extended to .ty */
	struct loc loc;		/* RES_LOC */
	const struct builtin *builtin;
	const struct tp_field *field;
	int off;		/* RES_MEMBER, RES_INDEX_*: constant byte offset */
	int bit_off, bits;	/* RES_MEMBER of a bitfield: from the base's byte offset */
	int esize;		/* RES_INDEX_MEM: element size */
	bool to_bool;		/* RES_CAST to bool */
	struct ty op_ty;	/* RES_BINARY: the type the operation is done in */
	int scratch;		/* RES_STRCMP: offset in the probe's scratch slice */
	unsigned char needle[STRCMP_MAX];
	int needle_len;
	bool raw;		/* RES_STRCMP: compare bytes (-B) */
};

/* The semantic pass's results for one program: a table keyed by node. */
struct sema {
	/* Each entry allocated on its own: callers keep pointers across node(). */
	struct sinfo **nodes;
	size_t n, cap;
	int *index;		/* open addressing over .nodes, -1: empty */
	size_t index_cap;
	int scratch_used;	/* bytes of the scratch slice handed out */
	bool reads_memory;	/* some value is read with a probe_read helper */
};

struct cg {
	struct session *s;
	struct probe *p;
	struct sema sm;
	struct ir *ir;
	int ctx;		/* vreg: context */
	int rec;		/* vreg: the reserved record */
	int out;		/* label: exit 0 */
	bool failed;		/* the semantic pass reported an error */
	int read_slot;		/* 8-byte stack slot for memory reads */
	int scratch_base;	/* vreg: this probe's scratch slice, -1 if none */
	int pid_tgid;		/* vreg: get_current_pid_tgid() of the filters, or -1 */
	int entry_buf;		/* fp offset of what a return probe popped (RES_ENTRY) */
	int key_scratch;	/* aggregation: the key's offset in the scratch slice, or -1 */
	int key_str_tmp;	/* ... room for a char array on its way into the key, or -1 */
};

/* Aggregation keys up to this size are built on the BPF stack. */
#define AGG_KEY_STACK_MAX 192

/* Where a compiled value is, during lowering. */
enum val_where {
	VAL_REG,	/* in vreg .reg (integers and pointers) */
	VAL_IMM,	/* constant .imm */
	VAL_CTX,	/* bytes at context offset .off (arrays) */
	VAL_LOC,	/* data_loc: vreg .reg holds the address of the data */
	VAL_STR,	/* string literal */
	VAL_MEM,	/* kernel or user memory at vreg .reg + .off (structs, arrays) */
};

struct val {
	struct ty ty;
	enum val_where where;
	int reg;
	int64_t imm;
	int off;
};

/* --- codegen.c ------------------------------------------------------------- */

/* lost[probe id] += 1 on this CPU (an entry probe's: calls not timed). */
void cg_count_lost(struct cg *cg);
/* MAP_LOST[@slot] += 1 on this CPU (jumps to @done if the map has no such slot). */
void cg_count_lost_in(struct cg *cg, int slot, int done);
/* A vreg holding the address of the function hit (probes with records_func_ip). */
int cg_func_ip(struct cg *cg);
/* A vreg holding where the probed file is loaded (p->layout.records_base). */
int cg_file_base(struct cg *cg);
/*
 * At a function's first instruction, the return address at the stack
 * pointer into @base + @off (a vreg pointer; 0 elsewhere, or on a fault).
 */
void cg_entry_ret(struct cg *cg, int base, int off);

/* --- entry.c --------------------------------------------------------------- */

/* The program of an entry probe etrace added: push the time and operands. */
void cg_entry_push(struct cg *cg);
/* Whether that program builds map values in its scratch slice (they are large). */
bool cg_entry_needs_scratch(const struct session *s);
/*
 * In a return probe with $latency or $entry(): pop what the entry saved
 * into cg->entry_buf; a call whose entry was not seen exits.
 */
void cg_entry_pop(struct cg *cg);
/* The thread id in a vreg (the filters' pid_tgid when they had it). */
int cg_tid(struct cg *cg);
/* dst = the map of @role (its fd is put in when the program is loaded). */
void cg_map_ref(struct cg *cg, int dst, enum map_role role);

/* --- sema.c ---------------------------------------------------------------- */

/* Print "probe N, column C: ..." once and mark the compilation failed. */
void cg_error(struct cg *cg, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The semantic pass over @cg->p: predicate and format arguments, record
 * layout (kept in p->layout across rebuilds), scratch. 0, or ERR_USAGE
 * with the message printed.
 */
int sema_probe(struct cg *cg);

/* Whether @p's events show user addresses (-U, %U): they need their process. */
bool cg_prints_user_addresses(const struct session *s, const struct probe *p);

/* What the pass decided about @e (never NULL after a successful pass). */
const struct sinfo *sema_of(const struct cg *cg, const struct expr *e);

void sema_free(struct sema *sm);

/*
 * The record layout of @p and, when counting, its key layout (and the
 * session's key size): decided once, before any program is built, since
 * every probe's program fills the map's whole key.
 */
int sema_layout(struct session *s, struct probe *p);

/* The probe's builtins ($pid, ...), for the pass and for suggestions. */
const struct builtin *builtin_find(const char *name);

/* --- ctype.c --------------------------------------------------------------- */

struct ty ty_int(int size, bool is_signed);
/* C's integer promotion and usual arithmetic conversions. */
struct ty ty_promote(struct ty t);
struct ty ty_arith(struct ty a, struct ty b);
bool ty_is_integer(const struct ty *t);
/* Whether a value of this type (and place) can be printed with %s. */
bool ty_is_string(const struct ty *t, enum sv_where where);
/* The compiler's view of BTF type @id (user: its memory is user memory). */
struct ty ty_btf(const struct btf *btf, __u32 id, bool user);
/* A C integer type name ("unsigned long", "u32"), or NULL. */
bool ctype_int(const char *name, struct ty *out);
/* Truncate a constant to @size bytes and extend it as the type says. */
int64_t ty_extend_imm(int64_t v, int size, bool is_signed);
/* Constant folding of binary operator @op in type @t. */
int64_t ty_fold(int op, int64_t a, int64_t b, struct ty t);

/* --- aggregate.c ---------------------------------------------------------------- */

/*
 * The aggregation path, after the filters, the predicate and the stop
 * check: build the key, count the event in the map. Ends at cg->out.
 */
void cg_emit_aggregate(struct cg *cg);

/* --- lowering ---------------------------------------------------------------- */

/* The value of @e (access.c dispatches to ops.c and strings.c). */
struct val cg_expr(struct cg *cg, const struct expr *e);

/* An integer value in a vreg (64-bit, extended per its type). */
int cg_int_reg(struct cg *cg, struct val *v);
/* A fresh vreg holding a copy of integer @v (safe to modify). */
int cg_int_copy(struct cg *cg, struct val *v);
/* Sign- or zero-extend the low @size bytes of @reg to 64 bits. */
void cg_extend(struct cg *cg, int reg, int size, bool is_signed);
/* Read @size bytes at @ptr + @off (kernel or user memory) into a fresh vreg. */
int cg_read_mem(struct cg *cg, int ptr, int off, int size, bool user);

/* A value the provider placed (si->loc), converted to si->ty. */
struct val cg_loc_value(struct cg *cg, const struct sinfo *si);

struct val cg_val_imm(int64_t v, struct ty ty);
struct val cg_val_reg(int reg, struct ty ty);

/* ops.c */
/* A fresh vreg: 1 if @reg is not 0, else 0. */
int cg_to_bool(struct cg *cg, int reg);
struct val cg_unary(struct cg *cg, const struct expr *e, const struct sinfo *si);
struct val cg_binary(struct cg *cg, const struct expr *e, const struct sinfo *si);
struct val cg_ternary(struct cg *cg, const struct expr *e, const struct sinfo *si);
struct val cg_cast(struct cg *cg, const struct expr *e, const struct sinfo *si);
/* Convert an integer in @reg from type @from to @to (re-extending as needed). */
void cg_convert(struct cg *cg, int reg, struct ty from, struct ty to);
/* Jump to @label when @e is (@when) true or false. */
void cg_branch(struct cg *cg, const struct expr *e, bool when, int label);

/* strings.c */
struct val cg_strcmp(struct cg *cg, const struct expr *e, const struct sinfo *si);
/* Store the string @v into the record at @off (at most @size bytes, NUL terminated). */
void cg_store_string(struct cg *cg, struct val *v, int off, int size);
/* The same at @base (a vreg pointer) + @off. */
void cg_store_string_at(struct cg *cg, struct val *v, int base, int off, int size);

#endif /* __ETRACE_CG_H */
