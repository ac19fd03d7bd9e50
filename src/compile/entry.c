// SPDX-License-Identifier: BSD-2-Clause
/*
 * $latency and $entry(): the entry probe etrace adds to a return probe
 * pushes the entry time and the $entry() operands on a per-(thread, probe)
 * stack in the entry map; the return probe pops them. A stack, not one
 * slot, so that recursion pairs each return with its own entry; a return
 * whose entry was not seen (etrace attached mid-call) finds the stack
 * empty and prints nothing rather than a made-up value.
 *
 *	value: u32 depth, u32 pad, then MAPS_ENTRY_DEPTH slots of
 *	       [u64 time, u64 operand...]
 *
 * A value of at most ENTRY_ON_STACK bytes is built on the BPF stack,
 * a larger one in the probe's scratch slice.
 *
 * Calls nested deeper than MAPS_ENTRY_DEPTH, and threads beyond the map's
 * capacity, are counted (the entry probe's lost counter) and not timed.
 */
#include "compile/cg.h"
#include "runtime/maps.h"
#include "util.h"

#define ENTRY_ON_STACK 272

void cg_map_ref(struct cg *cg, int dst, enum map_role role)
{
	maps_use(cg->s, role);
	ir_ld_map_fd(cg->ir, dst, role);
}

int cg_tid(struct cg *cg)
{
	int v = ir_vreg(cg->ir);

	if (cg->pid_tgid < 0) {
		cg->pid_tgid = ir_vreg(cg->ir);
		ir_call(cg->ir, BPF_FUNC_get_current_pid_tgid, cg->pid_tgid, 0, NULL);
	}
	ir_mov(cg->ir, v, cg->pid_tgid);
	ir_alu_imm(cg->ir, BPF_LSH, v, 32);
	ir_alu_imm(cg->ir, BPF_RSH, v, 32);
	return v;
}

/* The key on the stack: (thread id, the return probe's id); returns its fp offset. */
static int entry_key(struct cg *cg, const struct probe *ret)
{
	int key = ir_stack_alloc(cg->ir, 8, 8);

	ir_store_stack(cg->ir, 4, (int16_t)key, cg_tid(cg));
	ir_store_stack_imm(cg->ir, 4, (int16_t)(key + 4), ret->id);
	return key;
}

/* v = lookup(entry map, key) */
static int entry_lookup(struct cg *cg, int key)
{
	int args[2], v = ir_vreg(cg->ir);

	args[0] = ir_vreg(cg->ir);
	cg_map_ref(cg, args[0], MAP_ENTRY);
	args[1] = ir_vreg(cg->ir);
	ir_stack_addr(cg->ir, args[1], (int16_t)key);
	ir_call(cg->ir, BPF_FUNC_map_lookup_elem, v, 2, args);
	return v;
}

/* The address of slot @depth (a vreg, bounded here for the verifier) in value @v. */
static int slot_addr(struct cg *cg, int v, int depth, int slot_size)
{
	int a = ir_vreg(cg->ir);

	ir_mov(cg->ir, a, depth);
	ir_alu_imm(cg->ir, BPF_AND, a, MAPS_ENTRY_DEPTH - 1);
	ir_alu_imm(cg->ir, BPF_MUL, a, slot_size);
	ir_alu_imm(cg->ir, BPF_ADD, a, 8);
	ir_alu(cg->ir, BPF_ADD, a, v);
	return a;
}

/* Time and operands into the slot at @slot. */
static void fill_slot(struct cg *cg, const struct probe *ret, int slot)
{
	int t = ir_vreg(cg->ir);

	ir_call(cg->ir, BPF_FUNC_ktime_get_ns, t, 0, NULL);
	ir_store(cg->ir, 8, slot, 0, t);
	for (size_t i = 0; i < ret->nentry_vals; i++) {
		struct val v = cg_expr(cg, ret->entry_vals[i]);

		ir_store(cg->ir, 8, slot, (int16_t)(8 * (i + 1)), cg_int_reg(cg, &v));
	}
}

/*
 * A new value (depth 1, the first slot filled), on the BPF stack when it is
 * small (zeroed there first: the helper reads all of it), else in the
 * probe's scratch slice. Returns the pointer vreg.
 */
static int new_value(struct cg *cg, const struct probe *ret)
{
	int size = maps_entry_value_size(cg->s), buf = ir_vreg(cg->ir), slot = ir_vreg(cg->ir);

	if (size <= ENTRY_ON_STACK) {
		int off = ir_stack_alloc(cg->ir, size, 8);

		for (int i = 8; i < size; i += 8)
			ir_store_stack_imm(cg->ir, 8, (int16_t)(off + i), 0);
		ir_stack_addr(cg->ir, buf, (int16_t)off);
	} else {
		ir_mov(cg->ir, buf, cg->scratch_base);
	}
	/* depth 1, the padding zeroed */
	ir_store_imm(cg->ir, 8, buf, 0, 1);
	ir_mov(cg->ir, slot, buf);
	ir_alu_imm(cg->ir, BPF_ADD, slot, 8);
	fill_slot(cg, ret, slot);
	return buf;
}

bool cg_entry_needs_scratch(const struct session *s)
{
	return maps_entry_value_size(s) > ENTRY_ON_STACK;
}

/*
 * The insert failed: the thread has calls in flight already (one more slot
 * on its stack), or, if it has none, the map is full (counted). Which
 * error the insert gives for an existing key differs between kernels: the
 * lookup decides.
 */
static void push_more(struct cg *cg, const struct probe *ret, int key)
{
	struct ir *ir = cg->ir;
	int v, d, n, deep = ir_label(ir), found = ir_label(ir);

	v = entry_lookup(cg, key);
	ir_jcond_imm(ir, BPF_JNE, v, 0, found);
	cg_count_lost(cg);
	ir_jmp(ir, cg->out);
	ir_bind(ir, found);
	d = ir_vreg(ir);
	ir_load(ir, 4, d, v, 0);
	n = ir_vreg(ir);
	ir_mov(ir, n, d);
	ir_alu_imm(ir, BPF_ADD, n, 1);
	/* Deeper than the stack: counted on the way in, popped (unused) on the way out. */
	ir_jcond_imm(ir, BPF_JGE, d, MAPS_ENTRY_DEPTH, deep);
	fill_slot(cg, ret, slot_addr(cg, v, d, maps_entry_slot_size(ret)));
	ir_store(ir, 4, v, 0, n);
	ir_jmp(ir, cg->out);
	ir_bind(ir, deep);
	ir_store(ir, 4, v, 0, n);
	cg_count_lost(cg);
}

/*
 * Most calls are the thread's only one in flight: insert a new value
 * (one helper call); only when the thread has one already (recursion,
 * nesting) look it up and push.
 */
void cg_entry_push(struct cg *cg)
{
	const struct probe *ret = probe_ret(cg->s, cg->p);
	struct ir *ir = cg->ir;
	int key, args[4], r = ir_vreg(ir);

	ir_comment(ir, "push the entry of probe %d's call", ret->spec.index);
	key = entry_key(cg, ret);
	args[2] = new_value(cg, ret);
	args[0] = ir_vreg(ir);
	cg_map_ref(cg, args[0], MAP_ENTRY);
	args[1] = ir_vreg(ir);
	ir_stack_addr(ir, args[1], (int16_t)key);
	args[3] = ir_vreg(ir);
	ir_mov_imm(ir, args[3], BPF_NOEXIST);
	ir_call(ir, BPF_FUNC_map_update_elem, r, 4, args);
	ir_jcond_imm(ir, BPF_JEQ, r, 0, cg->out);
	push_more(cg, ret, key);
}

void cg_entry_pop(struct cg *cg)
{
	struct probe *p = cg->p;
	struct ir *ir = cg->ir;
	int key, v, d, slot, t, now, args[2], done = ir_label(ir);
	int size = maps_entry_slot_size(p);

	ir_comment(ir, "pop the entry of this call");
	cg->entry_buf = ir_stack_alloc(ir, size, 8);
	key = entry_key(cg, p);
	v = entry_lookup(cg, key);
	ir_jcond_imm(ir, BPF_JEQ, v, 0, cg->out);
	d = ir_vreg(ir);
	ir_load(ir, 4, d, v, 0);
	/* No entry seen: a call that began before etrace attached. */
	ir_jcond_imm(ir, BPF_JEQ, d, 0, cg->out);
	ir_alu_imm(ir, BPF_SUB, d, 1);
	ir_store(ir, 4, v, 0, d);
	ir_jcond_imm(ir, BPF_JGE, d, MAPS_ENTRY_DEPTH, cg->out);
	slot = slot_addr(cg, v, d, size);
	t = ir_vreg(ir);
	now = ir_vreg(ir);
	ir_load(ir, 8, t, slot, 0);
	ir_call(ir, BPF_FUNC_ktime_get_ns, now, 0, NULL);
	ir_alu(ir, BPF_SUB, now, t);
	ir_store_stack(ir, 8, (int16_t)cg->entry_buf, now);
	for (size_t i = 0; i < p->nentry_vals; i++) {
		int x = ir_vreg(ir);

		ir_load(ir, 8, x, slot, (int16_t)(8 * (i + 1)));
		ir_store_stack(ir, 8, (int16_t)(cg->entry_buf + 8 * (int)(i + 1)), x);
	}
	/* The thread's last call in flight: its entry goes (the map holds calls in flight). */
	ir_jcond_imm(ir, BPF_JNE, d, 0, done);
	args[0] = ir_vreg(ir);
	cg_map_ref(cg, args[0], MAP_ENTRY);
	args[1] = ir_vreg(ir);
	ir_stack_addr(ir, args[1], (int16_t)key);
	ir_call(ir, BPF_FUNC_map_delete_elem, -1, 2, args);
	ir_bind(ir, done);
}
