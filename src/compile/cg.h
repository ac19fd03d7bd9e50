/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * State shared by the code generator's parts (codegen.c: program shape and
 * record; expr.c: expressions). Private to src/compile.
 */
#ifndef __ETRACE_CG_H
#define __ETRACE_CG_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/types.h>

#include "compile/ir.h"
#include "session.h"

/* struct pt_regs on x86-64: offsets of the registers we read. */
#define PT_REGS_R9 64
#define PT_REGS_R8 72
#define PT_REGS_AX 80
#define PT_REGS_CX 88
#define PT_REGS_DX 96
#define PT_REGS_SI 104
#define PT_REGS_DI 112
#define PT_REGS_R10 56
#define PT_REGS_IP 128

/* The C type of a value, as far as the compiler needs to know it. */
enum ty_kind {
	TY_INT,
	TY_PTR,		/* pointer; .is_char when it points at char */
	TY_ARRAY,	/* fixed array inside the context; .elem_size, .array_len */
	TY_DATA_LOC,	/* tracepoint __data_loc/__rel_loc dynamic array */
	TY_STRLIT,	/* string literal (only as a STRCMP operand) */
	TY_STRUCT,	/* a struct or union in memory (BTF type .btf_id) */
};

struct ty {
	enum ty_kind kind;
	int size;		/* bytes of the value itself */
	bool is_signed;
	bool is_char;		/* char element or pointee: printable with %s */
	bool user;		/* pointer into user memory */
	int elem_size;
	int array_len;
	/* BTF: pointee (TY_PTR), element (TY_ARRAY) or the struct (TY_STRUCT); 0: none */
	__u32 btf_id;
};

/* Where a compiled value is. */
enum val_where {
	VAL_REG,	/* in vreg .reg (integers and pointers) */
	VAL_IMM,	/* constant .imm */
	VAL_CTX,	/* bytes at context offset .off (arrays) */
	VAL_LOC,	/* data_loc: vreg .reg holds the address of the data */
	VAL_STR,	/* string literal .str */
	VAL_MEM,	/* kernel or user memory at vreg .reg + .off (structs, arrays) */
};

struct val {
	struct ty ty;
	enum val_where where;
	int reg;
	int64_t imm;
	int off;
	const char *str;
	size_t str_len;
	int col;		/* column of the expression, for messages */
};

struct cg {
	struct session *s;
	struct probe *p;
	struct ir *ir;
	int ctx;		/* vreg: context */
	int rec;		/* vreg: the reserved record */
	int out;		/* label: exit 0 */
	bool failed;
	int scratch;		/* 8-byte stack slot for memory reads; 0 until needed */
	int scratch_base;	/* vreg: this CPU's scratch area, -1 if the probe has none */
	int scratch_used;	/* bytes of it handed out */
	int pid_tgid;		/* vreg: get_current_pid_tgid() of the filters, or -1 */
};

/* Print "probe N, column C: ..." once and mark the compilation failed. */
void cg_error(struct cg *cg, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Compile @e; on error cg->failed is set and the value is a dummy 0. */
struct val cg_expr(struct cg *cg, const struct expr *e);

/* An integer value in a vreg (64-bit, extended per its type). */
int cg_int_reg(struct cg *cg, struct val *v);

/* Jump to @label when @e is false (predicates). */
void cg_branch_false(struct cg *cg, const struct expr *e, int label);

/*
 * Store the string @v into the record at @off (at most @size bytes, NUL
 * terminated). Returns false (error printed) if @v is not a string.
 */
bool cg_store_string(struct cg *cg, struct val *v, int off, int size);

/* Bytes of the per-CPU scratch area (large temporaries stay off the stack). */
#define CG_SCRATCH_SIZE 4096

/* Offset of @size bytes in the scratch area, or -1 (error printed). */
int cg_scratch(struct cg *cg, int size, int col);

/* Whether expression @e needs the scratch area (it calls STRCMP). */
bool cg_needs_scratch(const struct expr *e);

/* Whether @v can be printed with %s. */
bool cg_is_string(const struct val *v);

#endif /* __ETRACE_CG_H */
