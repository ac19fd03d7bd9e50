// SPDX-License-Identifier: BSD-2-Clause
/*
 * IR back end tests. Golden listings pin down the code shape; the
 * allocator is proven by running what it produces: the BPF interpreter of
 * bpf_interp.c (with helper calls that clobber r1-r5 and tracking of
 * uninitialised registers and stack, like the verifier) must compute what
 * an interpreter of the IR itself computes, over hand-written programs
 * and many random ones.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_interp.h"
#include "compile/disasm.h"
#include "compile/ir.h"
#include "compile/ir_internal.h"
#include "unit.h"
#include "util.h"

/* ---- semantics shared by both interpreters ---- */

#define FAKE_MAP_FD 5
#define MAP_TAG BPF_INTERP_MAP_TAG
#define MAX_STEPS BPF_INTERP_MAX_STEPS

/* Fake helpers, chosen by id; the names do not matter here. */
#define H_CLOCK BPF_FUNC_ktime_get_ns		/* () -> counter */
#define H_SUM5 BPF_FUNC_trace_printk		/* weighted sum of 5 args */
#define H_READ BPF_FUNC_probe_read_kernel	/* (dst, size, src) */
#define H_LOOKUP BPF_FUNC_map_lookup_elem	/* (map, key) -> value */

struct env {
	uint8_t ctx[64];
	uint8_t value[16];	/* the one map value */
	uint64_t clock;
};

static void env_init(struct env *e)
{
	for (size_t i = 0; i < sizeof(e->ctx); i++)
		e->ctx[i] = (uint8_t)(i * 37 + 11);
	memset(e->value, 0, sizeof(e->value));
	e->clock = 1000;
}

/* The context and the map value, after the stack (region 0). */
static void env_regions(struct bpf_mem *m, struct env *e)
{
	bpf_mem_add(m, e->ctx, sizeof(e->ctx), BPF_MEM_R | BPF_MEM_W | BPF_MEM_KERNEL,
		    NULL, "ctx");
	bpf_mem_add(m, e->value, sizeof(e->value), BPF_MEM_R | BPF_MEM_W | BPF_MEM_KERNEL,
		    NULL, "value");
}

static int helper_nargs(int id)
{
	switch (id) {
	case H_CLOCK: return 0;
	case H_SUM5: return 5;
	case H_READ: return 3;
	case H_LOOKUP: return 2;
	default: return -1;
	}
}

static bool call_helper(struct env *e, struct bpf_mem *m, int id,
			const uint64_t *a, uint64_t *ret)
{
	uint8_t *dst, *src;
	uint64_t key;

	switch (id) {
	case H_CLOCK:
		*ret = e->clock++;
		return true;
	case H_SUM5:
		*ret = a[0] + 3 * a[1] + 5 * a[2] + 7 * a[3] + 11 * a[4];
		return true;
	case H_READ:
		if (a[1] > 64)
			break;
		src = bpf_mem_at(m, a[2], a[1], BPF_MEM_R);
		dst = src ? bpf_mem_at(m, a[0], a[1], BPF_MEM_W) : NULL;
		if (!dst)
			return false;
		memmove(dst, src, a[1]);
		*ret = 0;
		return true;
	case H_LOOKUP:
		if (a[0] != (MAP_TAG | FAKE_MAP_FD) ||
		    !bpf_mem_load(m, a[1], 4, &key))
			break;
		*ret = key == 0 ? (uintptr_t)e->value : 0;
		return true;
	}
	bpf_mem_fail(m, "bad call to helper %d", id);
	return false;
}

/* ---- the BPF interpreter (bpf_interp.c) with these helpers ---- */

static int vm_nargs(struct bpf_vm *vm, int id)
{
	return helper_nargs(id);
}

static bool vm_helper(struct bpf_vm *vm, int id, const uint64_t *args, uint64_t *ret)
{
	return call_helper(vm->priv, &vm->mem, id, args, ret);
}

static const struct bpf_vm_ops vm_ops = {
	.nargs = vm_nargs,
	.call = vm_helper,
};

/* Runs @prog with r1 = ctx. Returns 0 and r0, or -1 with vm->err set. */
static int vm_run(struct bpf_vm *vm, const struct bpf_insn *prog, size_t cnt,
		  struct env *env, uint64_t *ret)
{
	bpf_vm_init(vm, &vm_ops, env);
	env_regions(&vm->mem, env);
	return bpf_vm_run(vm, prog, cnt, (uintptr_t)env->ctx, ret);
}

/* ---- the IR interpreter (the reference) ---- */

struct irvm {
	const struct ir *ir;
	uint64_t *val;
	bool *set;
	uint8_t stack[512];
	bool stack_init[512];
	struct bpf_mem mem;
	struct env *env;
	char err[160];
};

static bool irvm_get(struct irvm *m, int v, uint64_t *out)
{
	if (!m->set[v]) {
		snprintf(m->err, sizeof(m->err), "v%d read before set", v);
		return false;
	}
	*out = m->val[v];
	return true;
}

static void irvm_put(struct irvm *m, int v, uint64_t x)
{
	m->val[v] = x;
	m->set[v] = true;
}

static bool irvm_alu(struct irvm *m, const struct ir_insn *in)
{
	bool is32 = in->op == IR_ALU32 || in->op == IR_ALU32_IMM;
	bool imm = in->op == IR_ALU_IMM || in->op == IR_ALU32_IMM;
	uint64_t d = 0, s = (uint64_t)in->imm;

	if (in->code != BPF_MOV && !irvm_get(m, in->dst, &d))
		return false;
	if (!imm && !irvm_get(m, in->a, &s))
		return false;
	irvm_put(m, in->dst, bpf_alu(in->code, is32, d, s));
	return true;
}

static bool irvm_mem(struct irvm *m, const struct ir_insn *in)
{
	uint64_t fp = (uintptr_t)(m->stack + sizeof(m->stack));
	uint64_t base = fp, v = (uint64_t)in->imm, old;

	if ((in->op == IR_LOAD || in->op == IR_STORE ||
	     in->op == IR_STORE_IMM || in->op == IR_ATOMIC_ADD ||
	     in->op == IR_ATOMIC_FETCH_ADD) &&
	    !irvm_get(m, in->a, &base))
		return false;
	switch (in->op) {
	case IR_LOAD:
	case IR_LOAD_STACK:
		if (!bpf_mem_load(&m->mem, base + in->off, in->code, &v))
			return false;
		irvm_put(m, in->dst, v);
		return true;
	case IR_STORE_STACK:
		if (!irvm_get(m, in->a, &v))
			return false;
		break;
	case IR_STORE:
		if (!irvm_get(m, in->b, &v))
			return false;
		break;
	case IR_ATOMIC_ADD:
		if (!irvm_get(m, in->b, &v) ||
		    !bpf_mem_load(&m->mem, base + in->off, in->code, &old))
			return false;
		v += old;
		break;
	case IR_ATOMIC_FETCH_ADD:
		if (!irvm_get(m, in->dst, &v) ||
		    !bpf_mem_load(&m->mem, base + in->off, in->code, &old))
			return false;
		irvm_put(m, in->dst, old);
		v += old;
		break;
	default:
		break;
	}
	return bpf_mem_store(&m->mem, base + in->off, in->code, v);
}

static bool irvm_call(struct irvm *m, const struct ir_insn *in)
{
	uint64_t args[5] = { 0 }, ret;

	for (int k = 0; k < in->nargs; k++)
		if (!irvm_get(m, in->args[k], &args[k]))
			return false;
	if (!call_helper(m->env, &m->mem, (int)in->imm, args, &ret))
		return false;
	if (in->dst >= 0)
		irvm_put(m, in->dst, ret);
	return true;
}

/* One step; returns the next insn index, or -1 (exit: *done set). */
static long irvm_step(struct irvm *m, long pc, uint64_t *ret, bool *done)
{
	const struct ir_insn *in = &m->ir->insns[pc];
	uint64_t a, b;

	switch (in->op) {
	case IR_ENTRY:
		irvm_put(m, in->dst, (uintptr_t)m->env->ctx);
		return pc + 1;
	case IR_MOV_IMM:
		irvm_put(m, in->dst, (uint64_t)in->imm);
		return pc + 1;
	case IR_MOV:
		if (!irvm_get(m, in->a, &a))
			return -1;
		irvm_put(m, in->dst, a);
		return pc + 1;
	case IR_ALU:
	case IR_ALU_IMM:
	case IR_ALU32:
	case IR_ALU32_IMM:
		return irvm_alu(m, in) ? pc + 1 : -1;
	case IR_NEG:
		if (!irvm_get(m, in->dst, &a))
			return -1;
		irvm_put(m, in->dst, -a);
		return pc + 1;
	case IR_LOAD:
	case IR_STORE:
	case IR_STORE_IMM:
	case IR_ATOMIC_ADD:
	case IR_ATOMIC_FETCH_ADD:
	case IR_LOAD_STACK:
	case IR_STORE_STACK:
	case IR_STORE_STACK_IMM:
		return irvm_mem(m, in) ? pc + 1 : -1;
	case IR_STACK_ADDR:
		irvm_put(m, in->dst, (uintptr_t)(m->stack + 512) + in->off);
		return pc + 1;
	case IR_LD_MAP_FD:
		irvm_put(m, in->dst, MAP_TAG | (uint32_t)in->imm);
		return pc + 1;
	case IR_JMP:
		return m->ir->label_at[in->label];
	case IR_JCOND:
	case IR_JCOND_IMM:
		b = (uint64_t)in->imm;
		if (!irvm_get(m, in->a, &a) ||
		    (in->op == IR_JCOND && !irvm_get(m, in->b, &b)))
			return -1;
		return bpf_cond(in->code, a, b) ? m->ir->label_at[in->label] :
					      pc + 1;
	case IR_CALL:
		return irvm_call(m, in) ? pc + 1 : -1;
	case IR_EXIT:
		*done = irvm_get(m, in->a, ret);
		return -1;
	case IR_EXIT_IMM:
		*ret = (uint64_t)in->imm;
		*done = true;
		return -1;
	case IR_LABEL:
	case IR_COMMENT:
		return pc + 1;
	}
	return -1;
}

static int irvm_run(const struct ir *ir, struct env *env, uint64_t *ret,
		    char *err, size_t errlen)
{
	struct irvm *m = xcalloc(1, sizeof(*m));
	bool done = false;
	long pc = 0;
	int res = -1;

	m->ir = ir;
	m->env = env;
	m->val = xcalloc(ir->nvregs, sizeof(uint64_t));
	m->set = xcalloc(ir->nvregs, sizeof(bool));
	bpf_mem_init(&m->mem, m->err, sizeof(m->err));
	bpf_mem_add(&m->mem, m->stack, sizeof(m->stack),
		    BPF_MEM_R | BPF_MEM_W | BPF_MEM_KERNEL, m->stack_init, "stack");
	env_regions(&m->mem, env);
	for (long steps = 0; pc >= 0 && (size_t)pc < ir->ninsns &&
	     steps < MAX_STEPS; steps++)
		pc = irvm_step(m, pc, ret, &done);
	if (done)
		res = 0;
	else
		snprintf(err, errlen, "IR: %s", m->err[0] ? m->err : "no exit");
	free(m->val);
	free(m->set);
	free(m);
	return res;
}

/* ---- helpers for the tests ---- */

/* The finished program as "(op) text" lines, or "error: <reason>". */
static char *listing(struct ir *ir)
{
	struct bpf_insn *insns;
	size_t cnt, len = 0;
	char err[256], *text = NULL;
	FILE *f;

	if (ir_finish(ir, &insns, &cnt, err, sizeof(err)))
		return xasprintf("error: %s", err);
	f = open_memstream(&text, &len);
	for (size_t i = 0; i < cnt;) {
		char line[128];

		i += disasm_insn(&insns[i], cnt - i, line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	fclose(f);
	free(insns);
	return text;
}

/*
 * Compile @ir, run it in both interpreters and check they agree.
 * Returns the BPF result; *@ok tells whether everything went right.
 */
static uint64_t run_both(struct ir *ir, bool *ok, char *why, size_t whylen)
{
	struct env e1, e2;
	struct bpf_insn *insns;
	struct bpf_vm *vm = xcalloc(1, sizeof(*vm));
	uint64_t want = 0, got = 0;
	size_t cnt;
	char err[160];

	*ok = false;
	env_init(&e1);
	env_init(&e2);
	if (irvm_run(ir, &e1, &want, why, whylen))
		goto out;
	if (ir_finish(ir, &insns, &cnt, err, sizeof(err))) {
		snprintf(why, whylen, "ir_finish: %s", err);
		goto out;
	}
	if (vm_run(vm, insns, cnt, &e2, &got)) {
		snprintf(why, whylen, "BPF: %.200s", vm->err);
	} else if (got != want || memcmp(&e1, &e2, sizeof(e1))) {
		snprintf(why, whylen, "BPF gives 0x%llx, IR gives 0x%llx%s",
			 (unsigned long long)got, (unsigned long long)want,
			 got == want ? " (memory differs)" : "");
	} else {
		*ok = true;
	}
	free(insns);
out:
	free(vm);
	return got;
}

#define CHECK_RUN(ir, want)						\
	do {								\
		char _why[256] = "";					\
		bool _ok;						\
		uint64_t _got = run_both(ir, &_ok, _why, sizeof(_why));	\
		if (!_ok)						\
			fprintf(stderr, "  %s:%d: %s\n", __FILE__,	\
				__LINE__, _why);			\
		CHECK(_ok);						\
		CHECK_EQ_INT(_got, want);				\
	} while (0)

/* ---- golden listings ---- */

UNIT_TEST(ir_golden_filter)
{
	struct ir *ir = ir_new();
	int out = ir_label(ir), v = ir_vreg(ir);
	char *text;

	ir_comment(ir, "pid filter");
	ir_call(ir, BPF_FUNC_get_current_pid_tgid, v, 0, NULL);
	ir_alu_imm(ir, BPF_RSH, v, 32);
	ir_jcond_imm(ir, BPF_JEQ, v, 1234, out);
	ir_exit(ir, v);
	ir_bind(ir, out);
	ir_exit_imm(ir, 0);
	text = listing(ir);
	/* The unused context costs nothing; v lives in r0 throughout. */
	CHECK_EQ_STR(text,
		     "(85) call bpf_get_current_pid_tgid#14\n"
		     "(77) r0 >>= 32\n"
		     "(15) if r0 == 0x4d2 goto pc+1\n"
		     "(95) exit\n"
		     "(b7) r0 = 0\n"
		     "(95) exit\n");
	CHECK_EQ_INT(ir_stack_size(ir), 0);
	free(text);
	ir_free(ir);
}

UNIT_TEST(ir_golden_ctx_across_call)
{
	struct ir *ir = ir_new();
	int ctx = ir_ctx(ir), t = ir_vreg(ir), x = ir_vreg(ir);
	char *text;

	ir_call(ir, BPF_FUNC_ktime_get_ns, t, 0, NULL);
	ir_load(ir, 4, x, ctx, 8);
	ir_alu(ir, BPF_ADD, x, t);
	ir_exit(ir, x);
	text = listing(ir);
	CHECK_EQ_STR(text,
		     "(bf) r6 = r1\n"
		     "(85) call bpf_ktime_get_ns#5\n"
		     "(61) r1 = *(u32 *)(r6 +8)\n"
		     "(0f) r1 += r0\n"
		     "(bf) r0 = r1\n"
		     "(95) exit\n");
	free(text);
	ir_free(ir);
}

UNIT_TEST(ir_golden_call_args_in_place)
{
	struct ir *ir = ir_new();
	int ctx = ir_ctx(ir), buf = ir_stack_alloc(ir, 16, 8);
	int a[3] = { ir_vreg(ir), ir_vreg(ir), ir_vreg(ir) };
	int r = ir_vreg(ir);
	char *text;

	/* Arguments are computed straight into r1-r3: no moves. */
	ir_stack_addr(ir, a[0], buf);
	ir_mov_imm(ir, a[1], 16);
	ir_mov(ir, a[2], ctx);
	ir_call(ir, BPF_FUNC_probe_read_kernel, -1, 3, a);
	ir_load_stack(ir, 8, r, buf);
	ir_exit(ir, r);
	text = listing(ir);
	CHECK_EQ_STR(text,
		     "(bf) r3 = r1\n"
		     "(bf) r1 = r10\n"
		     "(07) r1 += -16\n"
		     "(b7) r2 = 16\n"
		     "(85) call bpf_probe_read_kernel#113\n"
		     "(79) r0 = *(u64 *)(r10 -16)\n"
		     "(95) exit\n");
	free(text);
	ir_free(ir);
}

UNIT_TEST(ir_golden_ringbuf)
{
	struct ir *ir = ir_new();
	int out = ir_label(ir), rec = ir_vreg(ir), a[3], pt = ir_vreg(ir);
	char *text;

	a[0] = ir_vreg(ir);
	a[1] = ir_vreg(ir);
	a[2] = ir_vreg(ir);
	ir_ld_map_fd(ir, a[0], 5);
	ir_mov_imm(ir, a[1], 64);
	ir_mov_imm(ir, a[2], 0);
	ir_call(ir, BPF_FUNC_ringbuf_reserve, rec, 3, a);
	ir_jcond_imm(ir, BPF_JEQ, rec, 0, out);
	ir_call(ir, BPF_FUNC_get_current_pid_tgid, pt, 0, NULL);
	ir_store(ir, 8, rec, 8, pt);
	ir_store_imm(ir, 4, rec, 0, 7);
	a[0] = rec;
	a[1] = ir_vreg(ir);
	ir_mov_imm(ir, a[1], 0);
	ir_call(ir, BPF_FUNC_ringbuf_submit, -1, 2, a);
	ir_bind(ir, out);
	ir_exit_imm(ir, 0);
	text = listing(ir);
	CHECK_EQ_STR(text,
		     "(18) r1 = map[fd:5]\n"
		     "(b7) r2 = 64\n"
		     "(b7) r3 = 0\n"
		     "(85) call bpf_ringbuf_reserve#131\n"
		     "(bf) r6 = r0\n"
		     "(15) if r6 == 0x0 goto pc+6\n"
		     "(85) call bpf_get_current_pid_tgid#14\n"
		     "(7b) *(u64 *)(r6 +8) = r0\n"
		     "(62) *(u32 *)(r6 +0) = 7\n"
		     "(b7) r2 = 0\n"
		     "(bf) r1 = r6\n"
		     "(85) call bpf_ringbuf_submit#132\n"
		     "(b7) r0 = 0\n"
		     "(95) exit\n");
	free(text);
	ir_free(ir);
}

UNIT_TEST(ir_mov_imm_encodings)
{
	struct ir *ir = ir_new();
	int v[6];
	char *text;

	for (int i = 0; i < 6; i++)
		v[i] = ir_vreg(ir);
	ir_mov_imm(ir, v[0], 5);
	ir_mov_imm(ir, v[1], -1);
	ir_mov_imm(ir, v[2], 0xffffffffll);
	ir_mov_imm(ir, v[3], 0x123456789ll);
	ir_mov_imm(ir, v[4], INT64_MIN);
	ir_mov_imm(ir, v[5], INT32_MIN);
	for (int i = 1; i < 6; i++)
		ir_alu(ir, BPF_XOR, v[0], v[i]);
	ir_exit(ir, v[0]);
	text = listing(ir);
	CHECK_EQ_STR(text,
		     "(b7) r0 = 5\n"
		     "(b7) r1 = -1\n"
		     "(b4) w2 = -1\n"
		     "(18) r3 = 0x123456789\n"
		     "(18) r4 = 0x8000000000000000\n"
		     "(b7) r6 = -2147483648\n"
		     "(af) r0 ^= r1\n"
		     "(af) r0 ^= r2\n"
		     "(af) r0 ^= r3\n"
		     "(af) r0 ^= r4\n"
		     "(af) r0 ^= r6\n"
		     "(95) exit\n");
	free(text);
	CHECK_RUN(ir, 5ull ^ -1ull ^ 0xffffffffull ^ 0x123456789ull ^
		      0x8000000000000000ull ^ (uint64_t)(int64_t)INT32_MIN);
	ir_free(ir);
}

UNIT_TEST(ir_jump_over_ld_imm64)
{
	struct ir *ir = ir_new();
	int top = ir_label(ir), skip = ir_label(ir);
	int i = ir_vreg(ir), k = ir_vreg(ir), acc = ir_vreg(ir);
	char *text;

	ir_mov_imm(ir, acc, 0);
	ir_mov_imm(ir, i, 3);
	ir_bind(ir, top);
	ir_jcond_imm(ir, BPF_JEQ, i, 2, skip);
	ir_mov_imm(ir, k, 0x100000000ll);	/* two slots */
	ir_alu(ir, BPF_ADD, acc, k);
	ir_bind(ir, skip);
	ir_alu_imm(ir, BPF_ADD, acc, 1);
	ir_alu_imm(ir, BPF_SUB, i, 1);
	ir_jcond_imm(ir, BPF_JNE, i, 0, top);
	ir_exit(ir, acc);
	text = listing(ir);
	CHECK_EQ_STR(text,
		     "(b7) r0 = 0\n"
		     "(b7) r1 = 3\n"
		     "(15) if r1 == 0x2 goto pc+3\n"
		     "(18) r2 = 0x100000000\n"
		     "(0f) r0 += r2\n"
		     "(07) r0 += 1\n"
		     "(17) r1 -= 1\n"
		     "(55) if r1 != 0x0 goto pc-7\n"
		     "(95) exit\n");
	free(text);
	CHECK_RUN(ir, 2 * 0x100000000ull + 3);
	ir_free(ir);
}

UNIT_TEST(ir_branch_folding_and_dead_code)
{
	struct ir *ir = ir_new();
	int l1 = ir_label(ir), l2 = ir_label(ir), v = ir_vreg(ir);
	int dead = ir_vreg(ir);
	char *text;

	ir_call(ir, BPF_FUNC_get_prandom_u32, v, 0, NULL);
	ir_mov_imm(ir, dead, 99);		/* never read: vanishes */
	ir_jcond_imm(ir, BPF_JGT, v, 10, l1);
	ir_jmp(ir, l2);
	ir_bind(ir, l1);
	ir_exit_imm(ir, 1);
	ir_alu_imm(ir, BPF_ADD, v, 1);		/* unreachable: dropped */
	ir_bind(ir, l2);
	ir_exit_imm(ir, 2);
	text = listing(ir);
	CHECK_EQ_STR(text,
		     "(85) call bpf_get_prandom_u32#7\n"
		     "(b5) if r0 <= 0xa goto pc+2\n"
		     "(b7) r0 = 1\n"
		     "(95) exit\n"
		     "(b7) r0 = 2\n"
		     "(95) exit\n");
	free(text);
	ir_free(ir);
}

UNIT_TEST(ir_atomic_and_alu32)
{
	struct ir *ir = ir_new();
	int key = ir_stack_alloc(ir, 4, 4), out = ir_label(ir);
	int a[2] = { ir_vreg(ir), ir_vreg(ir) }, val = ir_vreg(ir);
	int one = ir_vreg(ir), w = ir_vreg(ir);
	char *text;

	ir_store_stack_imm(ir, 4, key, 0);
	ir_ld_map_fd(ir, a[0], FAKE_MAP_FD);
	ir_stack_addr(ir, a[1], key);
	ir_call(ir, H_LOOKUP, val, 2, a);
	ir_jcond_imm(ir, BPF_JEQ, val, 0, out);
	ir_mov_imm(ir, one, 3);
	ir_atomic_add(ir, 8, val, 0, one);
	ir_mov_imm(ir, w, -2);
	ir_alu32(ir, BPF_MOV, w, w);		/* zero-extend */
	ir_alu32_imm(ir, BPF_ADD, w, 1);
	ir_exit(ir, w);
	ir_bind(ir, out);
	ir_exit_imm(ir, 0);
	text = listing(ir);
	CHECK_EQ_STR(text,
		     "(62) *(u32 *)(r10 -4) = 0\n"
		     "(18) r1 = map[fd:5]\n"
		     "(bf) r2 = r10\n"
		     "(07) r2 += -4\n"
		     "(85) call bpf_map_lookup_elem#1\n"
		     "(15) if r0 == 0x0 goto pc+6\n"
		     "(b7) r1 = 3\n"
		     "(db) lock *(u64 *)(r0 +0) += r1\n"
		     "(b7) r0 = -2\n"
		     "(bc) w0 = w0\n"
		     "(04) w0 += 1\n"
		     "(95) exit\n"
		     "(b7) r0 = 0\n"
		     "(95) exit\n");
	free(text);
	CHECK_RUN(ir, 0xffffffffull);
	ir_free(ir);
}

/* The fetch form returns the old value in the register that held the addend. */
UNIT_TEST(ir_atomic_fetch_add)
{
	struct ir *ir = ir_new();
	int key = ir_stack_alloc(ir, 4, 4), out = ir_label(ir);
	int a[2] = { ir_vreg(ir), ir_vreg(ir) }, val = ir_vreg(ir);
	int t = ir_vreg(ir), r = ir_vreg(ir);
	char *text;

	ir_store_stack_imm(ir, 4, key, 0);
	ir_ld_map_fd(ir, a[0], FAKE_MAP_FD);
	ir_stack_addr(ir, a[1], key);
	ir_call(ir, H_LOOKUP, val, 2, a);
	ir_jcond_imm(ir, BPF_JEQ, val, 0, out);
	ir_store_imm(ir, 8, val, 8, 40);
	ir_mov_imm(ir, t, 2);
	ir_atomic_fetch_add(ir, 8, val, 8, t);
	ir_load(ir, 8, r, val, 8);
	ir_alu(ir, BPF_MUL, r, t);
	ir_exit(ir, r);
	ir_bind(ir, out);
	ir_exit_imm(ir, 0);
	text = listing(ir);
	CHECK_EQ_STR(text,
		     "(62) *(u32 *)(r10 -4) = 0\n"
		     "(18) r1 = map[fd:5]\n"
		     "(bf) r2 = r10\n"
		     "(07) r2 += -4\n"
		     "(85) call bpf_map_lookup_elem#1\n"
		     "(15) if r0 == 0x0 goto pc+6\n"
		     "(7a) *(u64 *)(r0 +8) = 40\n"
		     "(b7) r1 = 2\n"
		     "(db) r1 = atomic64_fetch_add((u64 *)(r0 +8), r1)\n"
		     "(79) r0 = *(u64 *)(r0 +8)\n"
		     "(2f) r0 *= r1\n"
		     "(95) exit\n"
		     "(b7) r0 = 0\n"
		     "(95) exit\n");
	free(text);
	/* 40 + 2, times the old 40. */
	CHECK_RUN(ir, 42 * 40);
	ir_free(ir);
}

UNIT_TEST(ir_dump_listing)
{
	struct ir *ir = ir_new();
	int l = ir_label(ir), v = ir_vreg(ir), p = ir_vreg(ir);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ir_comment(ir, "hello %d", 42);
	ir_call(ir, BPF_FUNC_get_current_pid_tgid, v, 0, NULL);
	ir_load(ir, 4, p, ir_ctx(ir), 16);
	ir_alu32_imm(ir, BPF_AND, p, 255);
	ir_jcond(ir, BPF_JSGT, v, p, l);
	ir_bind(ir, l);
	ir_exit(ir, v);
	ir_dump(ir, f);
	fclose(f);
	CHECK_EQ_STR(text,
		     "  v0 = ctx\n"
		     "  ; hello 42\n"
		     "  v1 = call get_current_pid_tgid()\n"
		     "  v2 = *(u32 *)(v0 +16)\n"
		     "  v2 = (u32)(v2 & 255)\n"
		     "  if v1 s> v2 goto L0\n"
		     "L0:\n"
		     "  exit v1\n");
	free(text);
	ir_free(ir);
}

/* ---- allocation properties ---- */

UNIT_TEST(ir_live_across_call_is_callee_saved)
{
	struct ir *ir = ir_new();
	int v[8], t = ir_vreg(ir), sum = ir_vreg(ir);
	struct ir_plan plan;
	char err[128];

	for (int i = 0; i < 8; i++) {
		v[i] = ir_vreg(ir);
		ir_mov_imm(ir, v[i], i + 1);
	}
	ir_call(ir, H_CLOCK, t, 0, NULL);
	ir_mov(ir, sum, t);
	for (int i = 0; i < 8; i++)
		ir_alu(ir, BPF_ADD, sum, v[i]);
	ir_exit(ir, sum);
	CHECK_EQ_INT(ir_plan_build(ir, &plan, err, sizeof(err)), 0);
	for (int i = 0; i < 8; i++) {
		int r = plan.reg[v[i]];

		CHECK(r == IR_SPILLED || (r >= BPF_REG_6 && r <= BPF_REG_9));
	}
	/* Eight values, four callee-saved registers: four spill slots. */
	CHECK_EQ_INT(plan.nslots, 4);
	CHECK_EQ_INT(plan.stack_size, 32);
	/* t dies in the move: sum takes over its register. */
	CHECK(plan.reg[sum] == plan.reg[t]);
	ir_plan_free(&plan);
	CHECK_RUN(ir, 1000 + 36);
	CHECK_EQ_INT(ir_stack_size(ir), 32);
	ir_free(ir);
}

/* Twelve values live across a call, plus the context and a pointer. */
UNIT_TEST(ir_spill_heavy)
{
	struct ir *ir = ir_new();
	int ctx = ir_ctx(ir), buf = ir_stack_alloc(ir, 8, 8);
	int v[12], t = ir_vreg(ir), sum = ir_vreg(ir), p = ir_vreg(ir);
	int x = ir_vreg(ir);
	uint64_t want = 0;
	struct env e;
	char *text;

	env_init(&e);
	ir_stack_addr(ir, p, buf);
	ir_store_stack_imm(ir, 8, buf, 77);
	for (int i = 0; i < 12; i++) {
		v[i] = ir_vreg(ir);
		ir_mov_imm(ir, v[i], (int64_t)(i + 1) << (3 * i));
		want += (uint64_t)(i + 1) << (3 * i);
	}
	ir_call(ir, H_CLOCK, t, 0, NULL);
	ir_mov(ir, sum, t);
	for (int i = 0; i < 12; i++)
		ir_alu(ir, BPF_ADD, sum, v[i]);
	ir_load(ir, 1, x, ctx, 5);
	ir_alu(ir, BPF_ADD, sum, x);
	ir_load(ir, 8, x, p, 0);
	ir_alu(ir, BPF_ADD, sum, x);
	ir_exit(ir, sum);
	want += 1000 + e.ctx[5] + 77;
	CHECK_RUN(ir, want);
	text = listing(ir);
	CHECK(strstr(text, "*(u64 *)(r10 -16) = ") != NULL);
	CHECK(strstr(text, " = *(u64 *)(r10 -16)") != NULL);
	CHECK(ir_stack_size(ir) > 8 && ir_stack_size(ir) % 8 == 0);
	free(text);
	ir_free(ir);
}

/* A loop with a backward jump, values live around it and calls inside. */
UNIT_TEST(ir_loop_with_calls)
{
	struct ir *ir = ir_new();
	int top = ir_label(ir), i = ir_vreg(ir), sum = ir_vreg(ir);
	int t = ir_vreg(ir), k[6];

	ir_mov_imm(ir, sum, 0);
	for (int j = 0; j < 6; j++) {
		k[j] = ir_vreg(ir);
		ir_mov_imm(ir, k[j], 100 * (j + 1));
	}
	ir_mov_imm(ir, i, 10);
	ir_bind(ir, top);
	ir_alu(ir, BPF_ADD, sum, i);
	ir_call(ir, H_CLOCK, t, 0, NULL);
	ir_alu(ir, BPF_ADD, sum, k[4]);
	ir_alu(ir, BPF_SUB, t, t);
	ir_alu(ir, BPF_ADD, sum, t);
	ir_alu_imm(ir, BPF_SUB, i, 1);
	ir_jcond_imm(ir, BPF_JNE, i, 0, top);
	for (int j = 0; j < 6; j++)
		ir_alu(ir, BPF_XOR, sum, k[j]);
	ir_exit(ir, sum);
	CHECK_RUN(ir, (55 + 10 * 500) ^ 100 ^ 200 ^ 300 ^ 400 ^ 500 ^ 600);
	ir_free(ir);
}

/* Five arguments passed in a scrambled order, some spilled. */
UNIT_TEST(ir_call_argument_order)
{
	struct ir *ir = ir_new();
	int v[10], a[5], r = ir_vreg(ir), t = ir_vreg(ir);

	for (int i = 0; i < 10; i++) {
		v[i] = ir_vreg(ir);
		ir_mov_imm(ir, v[i], 1 + i * 10);
	}
	ir_call(ir, H_CLOCK, t, 0, NULL);
	a[0] = v[7];
	a[1] = v[2];
	a[2] = v[9];
	a[3] = v[2];
	a[4] = t;
	ir_call(ir, H_SUM5, r, 5, a);
	for (int i = 0; i < 10; i++)
		ir_alu(ir, BPF_ADD, r, v[i]);
	ir_exit(ir, r);
	CHECK_RUN(ir, 71 + 3 * 21 + 5 * 91 + 7 * 21 + 11 * 1000 + 460);
	ir_free(ir);
}

/* ---- errors ---- */

static char *finish_error(struct ir *ir)
{
	struct bpf_insn *insns = NULL;
	size_t cnt = 0;
	char err[256];
	int ret = ir_finish(ir, &insns, &cnt, err, sizeof(err));

	free(insns);
	if (!ret)
		return xstrdup("(no error)");
	return xasprintf("%d %s", ret, err);
}

UNIT_TEST(ir_stack_overflow)
{
	struct ir *ir = ir_new();
	char *msg;

	CHECK_EQ_INT(ir_stack_alloc(ir, 296, 8), -296);
	CHECK_EQ_INT(ir_stack_alloc(ir, 304, 8), -600);
	ir_exit_imm(ir, 0);
	msg = finish_error(ir);
	CHECK_EQ_STR(msg, "-7 program needs 600 bytes of stack, BPF allows 512");
	free(msg);
	ir_free(ir);
}

UNIT_TEST(ir_stack_overflow_by_spills)
{
	struct ir *ir = ir_new();
	int v[12], t = ir_vreg(ir), off;
	char *msg;

	off = ir_stack_alloc(ir, 490, 8);
	CHECK_EQ_INT(off, -496);
	CHECK_EQ_INT(ir_stack_alloc(ir, 1, 1), -497);
	CHECK_EQ_INT(ir_stack_alloc(ir, 2, 2), -500);
	for (int i = 0; i < 12; i++) {
		v[i] = ir_vreg(ir);
		ir_mov_imm(ir, v[i], i);
	}
	ir_call(ir, H_CLOCK, t, 0, NULL);
	for (int i = 0; i < 12; i++)
		ir_alu(ir, BPF_ADD, t, v[i]);
	ir_exit(ir, t);
	msg = finish_error(ir);
	/* 8 spill slots after the 500 bytes rounded up to 504. */
	CHECK_EQ_STR(msg, "-7 program needs 568 bytes of stack (64 of them for "
			  "spilled registers), BPF allows 512");
	CHECK_EQ_INT(ir_stack_size(ir), 568);
	free(msg);
	ir_free(ir);
}

UNIT_TEST(ir_builder_errors)
{
	struct ir *ir;
	int args[6] = { 0 }, v;
	char *msg;

	ir = ir_new();
	ir_call(ir, H_CLOCK, -1, 6, args);
	ir_exit_imm(ir, 0);
	msg = finish_error(ir);
	CHECK(strstr(msg, "-22 ") == msg && strstr(msg, "at most 5"));
	free(msg);
	ir_free(ir);

	ir = ir_new();
	v = ir_vreg(ir);
	ir_exit(ir, v);
	msg = finish_error(ir);
	CHECK_EQ_STR(msg, "-22 internal error: v1 is read before it is set");
	free(msg);
	ir_free(ir);

	ir = ir_new();
	ir_jmp(ir, ir_label(ir));
	msg = finish_error(ir);
	CHECK_EQ_STR(msg, "-22 internal error: label L0 is used but never bound");
	free(msg);
	ir_free(ir);

	ir = ir_new();
	v = ir_vreg(ir);
	ir_mov_imm(ir, v, 1);
	msg = finish_error(ir);
	CHECK(strstr(msg, "without an exit") != NULL);
	free(msg);
	ir_free(ir);

	ir = ir_new();
	v = ir_vreg(ir);
	ir_mov_imm(ir, v, 1);
	ir_alu_imm(ir, BPF_DIV, v, 0);
	ir_alu_imm(ir, BPF_LSH, v, 64);	/* only the first error is kept */
	ir_exit(ir, v);
	msg = finish_error(ir);
	CHECK_EQ_STR(msg, "-22 division by zero");
	free(msg);
	ir_free(ir);

	ir = ir_new();
	ir_mov(ir, 0, 17);
	ir_exit_imm(ir, 0);
	msg = finish_error(ir);
	CHECK_EQ_STR(msg, "-22 internal error: invalid vreg 17");
	free(msg);
	ir_free(ir);
}

UNIT_TEST(ir_jump_too_far)
{
	struct ir *ir = ir_new();
	int l = ir_label(ir), v = ir_vreg(ir), k = ir_vreg(ir);
	char *msg;

	ir_call(ir, H_CLOCK, v, 0, NULL);
	ir_jcond_imm(ir, BPF_JEQ, v, 0, l);
	for (int i = 0; i < 12000; i++) {
		ir_mov_imm(ir, k, 0x100000000ll + i);	/* 2 slots */
		ir_alu(ir, BPF_XOR, v, k);
	}
	ir_bind(ir, l);
	ir_exit(ir, v);
	msg = finish_error(ir);
	CHECK(strstr(msg, "-7 program too large") == msg);
	free(msg);
	ir_free(ir);
}

/* ---- random programs ---- */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

static int rnd_n(struct rng *r, int n)
{
	return (int)(rnd(r) % (uint64_t)n);
}

#ifndef IR_FUZZ_SEEDS
#define IR_FUZZ_SEEDS 1500	/* more with -DIR_FUZZ_SEEDS=... */
#endif
#define GEN_SLOTS 8
#define GEN_MAX_VARS 24

struct gen {
	struct ir *ir;
	struct rng rng;
	int nvars, vars[GEN_MAX_VARS];
	int ctx, area;		/* area: GEN_SLOTS u64 on the stack */
	int pending[64], npending;
	int scope[4], loop_label[4], loop_counter[4], depth;
};

static int gen_var(struct gen *g)
{
	return g->vars[rnd_n(&g->rng, g->nvars)];
}

static int gen_slot(struct gen *g)
{
	return g->area + 8 * rnd_n(&g->rng, GEN_SLOTS);
}

static int gen_size(struct gen *g)
{
	static const int sizes[] = { 1, 2, 4, 8 };

	return sizes[rnd_n(&g->rng, 4)];
}

static void gen_alu(struct gen *g)
{
	static const int ops[] = {
		BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_OR, BPF_AND,
		BPF_XOR, BPF_LSH, BPF_RSH, BPF_ARSH, BPF_MOV,
	};
	int op = ops[rnd_n(&g->rng, ARRAY_SIZE(ops))];
	int32_t imm = (int32_t)rnd(&g->rng);
	bool is32 = rnd_n(&g->rng, 3) == 0;

	if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH)
		imm = rnd_n(&g->rng, is32 ? 32 : 64);
	if ((op == BPF_DIV || op == BPF_MOD) && !imm)
		imm = 3;
	switch (rnd_n(&g->rng, 2) + 2 * is32) {
	case 0: ir_alu(g->ir, op, gen_var(g), gen_var(g)); break;
	case 1: ir_alu_imm(g->ir, op, gen_var(g), imm); break;
	case 2: ir_alu32(g->ir, op, gen_var(g), gen_var(g)); break;
	default: ir_alu32_imm(g->ir, op, gen_var(g), imm); break;
	}
}

static void gen_call(struct gen *g)
{
	int args[5];

	if (rnd_n(&g->rng, 2)) {
		ir_call(g->ir, H_CLOCK, rnd_n(&g->rng, 4) ? gen_var(g) : -1,
			0, NULL);
		return;
	}
	for (int k = 0; k < 5; k++)
		args[k] = gen_var(g);
	ir_call(g->ir, H_SUM5, gen_var(g), 5, args);
}

/* probe_read(area slot, 8, ctx + off): pointers in argument registers. */
static void gen_probe_read(struct gen *g)
{
	struct ir *ir = g->ir;
	int a[3] = { ir_vreg(ir), ir_vreg(ir), ir_vreg(ir) };

	ir_stack_addr(ir, a[0], gen_slot(g));
	ir_mov_imm(ir, a[1], 8);
	ir_mov(ir, a[2], g->ctx);
	ir_alu_imm(ir, BPF_ADD, a[2], 8 * rnd_n(&g->rng, 7));
	ir_call(ir, H_READ, -1, 3, a);
}

/* A map lookup, a NULL check, and reads/atomics through the value. */
static void gen_lookup(struct gen *g)
{
	struct ir *ir = g->ir;
	int a[2] = { ir_vreg(ir), ir_vreg(ir) }, val = ir_vreg(ir);
	int skip = ir_label(ir), slot = gen_slot(g);

	ir_store_stack_imm(ir, 4, slot, rnd_n(&g->rng, 4) ? 0 : 1);
	ir_ld_map_fd(ir, a[0], FAKE_MAP_FD);
	ir_stack_addr(ir, a[1], slot);
	ir_call(ir, H_LOOKUP, val, 2, a);
	ir_jcond_imm(ir, BPF_JEQ, val, 0, skip);
	ir_atomic_add(ir, 8, val, 0, gen_var(g));
	if (rnd_n(&g->rng, 2))
		gen_call(g);	/* keeps val live across a call */
	ir_load(ir, 8, gen_var(g), val, 0);
	ir_store(ir, 4, val, 8, gen_var(g));
	ir_bind(ir, skip);
}

static void gen_branch(struct gen *g)
{
	static const int ops[] = {
		BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE,
		BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE, BPF_JSET,
	};
	int op = ops[rnd_n(&g->rng, ARRAY_SIZE(ops))], l;

	if (g->npending >= (int)ARRAY_SIZE(g->pending))
		return;
	l = ir_label(g->ir);
	if (rnd_n(&g->rng, 2))
		ir_jcond(g->ir, op, gen_var(g), gen_var(g), l);
	else
		ir_jcond_imm(g->ir, op, gen_var(g),
			     (int32_t)(rnd(&g->rng) % 64), l);
	g->pending[g->npending++] = l;
}

/* Bind a forward label created at the current loop depth. */
static void gen_bind(struct gen *g)
{
	int lo = g->depth ? g->scope[g->depth - 1] : 0, k;

	if (g->npending <= lo)
		return;
	k = lo + rnd_n(&g->rng, g->npending - lo);
	ir_bind(g->ir, g->pending[k]);
	g->pending[k] = g->pending[--g->npending];
}

static void gen_loop_begin(struct gen *g)
{
	struct ir *ir = g->ir;
	int d = g->depth;

	if (d >= 2)
		return;
	g->loop_counter[d] = ir_vreg(ir);
	g->loop_label[d] = ir_label(ir);
	g->scope[d] = g->npending;
	ir_mov_imm(ir, g->loop_counter[d], 1 + rnd_n(&g->rng, 3));
	ir_bind(ir, g->loop_label[d]);
	g->depth++;
}

static void gen_loop_end(struct gen *g)
{
	int d = g->depth - 1;

	if (d < 0)
		return;
	while (g->npending > g->scope[d])
		ir_bind(g->ir, g->pending[--g->npending]);
	ir_alu_imm(g->ir, BPF_SUB, g->loop_counter[d], 1);
	ir_jcond_imm(g->ir, BPF_JNE, g->loop_counter[d], 0, g->loop_label[d]);
	g->depth--;
}

static void gen_early_exit(struct gen *g)
{
	int l = ir_label(g->ir);

	ir_jcond_imm(g->ir, BPF_JNE, gen_var(g), (int32_t)(rnd(&g->rng) % 8),
		     l);
	ir_exit(g->ir, gen_var(g));
	ir_bind(g->ir, l);
}

static void gen_stmt(struct gen *g)
{
	struct ir *ir = g->ir;
	int64_t imm = (int64_t)rnd(&g->rng);

	switch (rnd_n(&g->rng, 20)) {
	case 0:
		ir_mov_imm(ir, gen_var(g), rnd_n(&g->rng, 3) ? imm % 1000 : imm);
		break;
	case 1: ir_mov(ir, gen_var(g), gen_var(g)); break;
	case 2: case 3: case 4: gen_alu(g); break;
	case 5: ir_neg(ir, gen_var(g)); break;
	case 6: case 7: gen_call(g); break;
	case 8: ir_store_stack(ir, gen_size(g), gen_slot(g), gen_var(g)); break;
	case 9: ir_load_stack(ir, gen_size(g), gen_var(g), gen_slot(g)); break;
	case 10:
		ir_load(ir, 4, gen_var(g), g->ctx, 4 * rnd_n(&g->rng, 16));
		break;
	case 11: case 12: gen_branch(g); break;
	case 13: gen_bind(g); break;
	case 14: gen_loop_begin(g); break;
	case 15: gen_loop_end(g); break;
	case 16: gen_early_exit(g); break;
	case 17: gen_probe_read(g); break;
	case 18: gen_lookup(g); break;
	default: ir_comment(ir, "random %d", rnd_n(&g->rng, 100)); break;
	}
}

static struct ir *gen_program(uint64_t seed)
{
	struct gen g = { .rng = { seed * 0x9e3779b97f4a7c15ull + 1 } };
	struct ir *ir = g.ir = ir_new();
	int len = 10 + rnd_n(&g.rng, 150), acc;

	g.ctx = ir_ctx(ir);
	g.area = ir_stack_alloc(ir, 8 * GEN_SLOTS, 8);
	g.nvars = 1 + rnd_n(&g.rng, GEN_MAX_VARS);
	for (int i = 0; i < g.nvars; i++) {
		g.vars[i] = ir_vreg(ir);
		ir_mov_imm(ir, g.vars[i], (int64_t)rnd(&g.rng) % 5000);
	}
	for (int i = 0; i < GEN_SLOTS; i++)
		ir_store_stack_imm(ir, 8, g.area + 8 * i, i);
	for (int i = 0; i < len; i++)
		gen_stmt(&g);
	while (g.depth)
		gen_loop_end(&g);
	while (g.npending)
		ir_bind(ir, g.pending[--g.npending]);
	/* Everything feeds the result, so every value stays live to here. */
	acc = ir_vreg(ir);
	ir_mov_imm(ir, acc, 17);
	for (int i = 0; i < g.nvars; i++) {
		ir_alu_imm(ir, BPF_MUL, acc, 31);
		ir_alu(ir, BPF_ADD, acc, g.vars[i]);
	}
	for (int i = 0; i < GEN_SLOTS; i++) {
		int t = ir_vreg(ir);

		ir_load_stack(ir, 8, t, g.area + 8 * i);
		ir_alu(ir, BPF_XOR, acc, t);
	}
	ir_exit(ir, acc);
	return ir;
}

UNIT_TEST(ir_random_programs)
{
	int bad = 0, spilled = 0;

	for (uint64_t seed = 1; seed <= IR_FUZZ_SEEDS; seed++) {
		struct ir *ir = gen_program(seed);
		char why[256] = "";
		bool ok;

		run_both(ir, &ok, why, sizeof(why));
		if (!ok && bad++ < 5)
			fprintf(stderr, "  seed %llu: %s\n",
				(unsigned long long)seed, why);
		if (ir_stack_size(ir) > 8 * GEN_SLOTS)
			spilled++;
		ir_free(ir);
	}
	CHECK_EQ_INT(bad, 0);
	/* The generator must actually exercise spilling. */
	CHECK(spilled > IR_FUZZ_SEEDS / 15);
}
