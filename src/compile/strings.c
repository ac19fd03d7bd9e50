// SPDX-License-Identifier: BSD-2-Clause
/*
 * Lowering of strings: copying a %s value into the record with the _str
 * helpers (user or kernel memory, as the value's type says), and STRCMP,
 * which copies into the probe's per-CPU scratch slice and compares there.
 */
#include "compile/cg.h"
#include "util.h"

static int read_str_helper(const struct val *v)
{
	return v->ty.user ? BPF_FUNC_probe_read_user_str : BPF_FUNC_probe_read_kernel_str;
}

/*
 * A pointer that no type marks as user memory may still point there:
 * kernel functions' BTF rarely says __user (do_sys_openat2's filename),
 * and BCC's bpf_probe_read read either. Try kernel memory, and user
 * memory when that fails (it costs one more call only then).
 */
static void read_either(struct cg *cg, const int *args, int size, bool raw)
{
	int r = ir_vreg(cg->ir), done = ir_label(cg->ir);

	ir_mov_imm(cg->ir, args[1], size);
	ir_call(cg->ir, raw ? BPF_FUNC_probe_read_kernel : BPF_FUNC_probe_read_kernel_str, r, 3,
		args);
	ir_jcond_imm(cg->ir, BPF_JSGE, r, 0, done);
	ir_mov_imm(cg->ir, args[1], size);
	ir_call(cg->ir, raw ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_user_str, -1, 3,
		args);
	ir_bind(cg->ir, done);
}

/*
 * Copy string @v to @dst (a vreg pointer), @size bytes max, with a _str
 * helper; @raw copies exactly @size bytes instead (binary STRCMP).
 */
static void read_bytes(struct cg *cg, struct val *v, int dst, int size, bool raw)
{
	bool whole_array = false;
	int args[3];

	args[0] = dst;
	args[1] = ir_vreg(cg->ir);
	args[2] = ir_vreg(cg->ir);
	if (v->where == VAL_CTX || v->where == VAL_MEM) {
		/*
		 * Arrays: never read past the end of the field. A char array
		 * that fits is copied whole and terminated here, since a _str
		 * read of its size would drop its last character when full.
		 */
		if (v->ty.kind == TY_ARRAY && v->ty.size > 0 && size > v->ty.size) {
			size = v->ty.size;
			whole_array = !raw;
			raw = true;
		}
		ir_mov(cg->ir, args[2], v->where == VAL_CTX ? cg->ctx : v->reg);
		if (v->off)
			ir_alu_imm(cg->ir, BPF_ADD, args[2], v->off);
	} else {
		ir_mov(cg->ir, args[2], cg_int_reg(cg, v));
		if (!v->ty.user) {
			read_either(cg, args, size, raw);
			return;
		}
	}
	ir_mov_imm(cg->ir, args[1], size);
	if (raw)
		ir_call(cg->ir, v->ty.user ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel,
			-1, 3, args);
	else
		ir_call(cg->ir, read_str_helper(v), -1, 3, args);
	if (whole_array)
		ir_store_imm(cg->ir, 1, dst, (int16_t)size, 0);
}

void cg_store_string_at(struct cg *cg, struct val *v, int base, int off, int size)
{
	int dst = ir_vreg(cg->ir);

	ir_mov(cg->ir, dst, base);
	ir_alu_imm(cg->ir, BPF_ADD, dst, off);
	read_bytes(cg, v, dst, size, false);
}

void cg_store_string(struct cg *cg, struct val *v, int off, int size)
{
	cg_store_string_at(cg, v, cg->rec, off, size);
}

/*
 * STRCMP("literal", expr) is true when the string starts with the
 * literal: BCC compares the first strlen(literal) bytes, so "foo" also
 * matches "foobar". etrace keeps that meaning for compatibility. The
 * string is copied into the scratch slice, not onto the stack.
 */
struct val cg_strcmp(struct cg *cg, const struct expr *e, const struct sinfo *si)
{
	struct val s = cg_expr(cg, e->args[1]);
	int len = si->needle_len, off = si->scratch, r, ptr, fail;

	ptr = ir_vreg(cg->ir);
	ir_mov(cg->ir, ptr, cg->scratch_base);
	ir_alu_imm(cg->ir, BPF_ADD, ptr, off);
	read_bytes(cg, &s, ptr, si->raw ? len : len + 1, si->raw);
	r = ir_vreg(cg->ir);
	fail = ir_label(cg->ir);
	ir_mov_imm(cg->ir, r, 0);
	for (int i = 0; i < len; i++) {
		int c = ir_vreg(cg->ir);

		ir_load(cg->ir, 1, c, cg->scratch_base, (int16_t)(off + i));
		ir_jcond_imm(cg->ir, BPF_JNE, c, si->needle[i], fail);
	}
	ir_mov_imm(cg->ir, r, 1);
	ir_bind(cg->ir, fail);
	return cg_val_reg(r, si->ty);
}
