// SPDX-License-Identifier: BSD-2-Clause
/*
 * Code generation for one probe. The program's shape:
 *
 *	pid/tid/uid/self filters		(exit early, nothing reserved)
 *	predicate				(false: exit)
 *	rec = ringbuf_reserve(events, size)	(NULL: count a lost event)
 *	header, values, stack
 *	ringbuf_submit(rec)
 *
 * Filters run before any reservation so that rejected events cost only a
 * few instructions on the traced system.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile/cg.h"
#include "compile/codegen.h"
#include "output/format.h"
#include "runtime/aggmap.h"
#include "runtime/maps.h"
#include "runtime/record.h"
#include "util.h"

int codegen_record_size(const struct session *s, const struct probe *p)
{
	int size = (int)sizeof(struct rec_hdr) + p->layout.values_size;

	if (s->opt.kstack)
		size += REC_STACK_BYTES;
	if (s->opt.ustack)
		size += REC_URET_BYTES + REC_USTACK_BYTES + REC_UBID_BYTES;
	return (size + 7) & ~7;
}

/* -c: the current task is in the cgroup or below it. */
static void emit_cgroup_filter(struct cg *cg)
{
	struct ir *ir = cg->ir;
	int args[2], r = ir_vreg(ir);

	ir_comment(ir, "-c: in the cgroup or below");
	args[0] = ir_vreg(ir);
	cg_map_ref(cg, args[0], MAP_CGROUP);
	args[1] = ir_vreg(ir);
	ir_mov_imm(ir, args[1], 0);
	ir_call(ir, BPF_FUNC_current_task_under_cgroup, r, 2, args);
	ir_jcond_imm(ir, BPF_JNE, r, 1, cg->out);
}

/*
 * Whether etrace's own events need a test of their own: not when -n
 * already rejects them (its name does not contain the -n text), which
 * saves a helper call on every event -n rejects.
 */
static bool filter_self(const struct session *s)
{
	const char *name = s->opt.name_filter;

	if (s->opt.include_self)
		return false;
	return !name || !*name || !s->self_comm[0] || strstr(s->self_comm, name);
}

/* Self, -p and -L: what decides by the thread alone. */
static void emit_thread_filters(struct cg *cg)
{
	const struct options *o = &cg->s->opt;
	struct ir *ir = cg->ir;
	bool self = filter_self(cg->s);
	int pt, v;

	if (!self && !o->pid && !o->tid)
		return;
	pt = ir_vreg(ir);
	ir_comment(ir, "filters: self, -p, -L");
	ir_call(ir, BPF_FUNC_get_current_pid_tgid, pt, 0, NULL);
	/* The header reuses it: one helper call less per event. */
	cg->pid_tgid = pt;
	if (o->tid) {
		v = ir_vreg(ir);
		ir_mov(ir, v, pt);
		ir_alu_imm(ir, BPF_LSH, v, 32);
		ir_alu_imm(ir, BPF_RSH, v, 32);
		ir_jcond_imm(ir, BPF_JNE, v, o->tid, cg->out);
	}
	if (self || o->pid) {
		v = ir_vreg(ir);
		ir_mov(ir, v, pt);
		ir_alu_imm(ir, BPF_RSH, v, 32);
		if (self)
			ir_jcond_imm(ir, BPF_JEQ, v, cg->s->self, cg->out);
		if (o->pid)
			ir_jcond_imm(ir, BPF_JNE, v, o->pid, cg->out);
	}
}

static void emit_uid_filter(struct cg *cg)
{
	const struct options *o = &cg->s->opt;
	struct ir *ir = cg->ir;
	int v;

	if (o->uid >= 0) {
		v = ir_vreg(ir);
		ir_comment(ir, "--uid");
		ir_call(ir, BPF_FUNC_get_current_uid_gid, v, 0, NULL);
		ir_alu_imm(ir, BPF_LSH, v, 32);
		ir_alu_imm(ir, BPF_RSH, v, 32);
		if (o->uid <= INT32_MAX) {
			ir_jcond_imm(ir, BPF_JNE, v, (int32_t)o->uid, cg->out);
		} else {
			/* An immediate would be sign-extended: uids from 2^31 need a register. */
			int u = ir_vreg(ir);

			ir_mov_imm(ir, u, o->uid);
			ir_jcond(ir, BPF_JNE, v, u, cg->out);
		}
	}
}

/*
 * Self, -p, -L, --uid and -c filters. A return probe with $latency or
 * $entry() pops its call's entry right after the thread filters, which
 * its entry probe applies too: every call that was pushed is popped, even
 * when --uid, -c, -n or the predicate then reject it.
 */
static void emit_filters(struct cg *cg)
{
	bool pop = probe_entry(cg->s, cg->p) != NULL;

	if (cg->s->opt.cgroup_path && !pop)
		emit_cgroup_filter(cg);
	emit_thread_filters(cg);
	if (pop) {
		cg_entry_pop(cg);
		if (cg->s->opt.cgroup_path)
			emit_cgroup_filter(cg);
	}
	emit_uid_filter(cg);
}

/*
 * -n NAME: the process name contains NAME (BCC's substring test), decided
 * before anything is reserved, so other processes cost no ring space.
 */
static void emit_comm_filter(struct cg *cg)
{
	const char *name = cg->s->opt.name_filter;
	size_t len = name ? strlen(name) : 0;
	struct ir *ir = cg->ir;
	int buf, args[2], found, b;

	if (!len || len >= REC_COMM_LEN)
		return;
	ir_comment(ir, "-n: the process name contains \"%s\"", name);
	buf = ir_stack_alloc(ir, REC_COMM_LEN, 8);
	args[0] = ir_vreg(ir);
	ir_stack_addr(ir, args[0], (int16_t)buf);
	args[1] = ir_vreg(ir);
	ir_mov_imm(ir, args[1], REC_COMM_LEN);
	ir_call(ir, BPF_FUNC_get_current_comm, -1, 2, args);
	found = ir_label(ir);
	b = ir_vreg(ir);
	/* Every start a match could have (names are at most 15 bytes), up to the NUL. */
	for (size_t i = 0; i + len < REC_COMM_LEN; i++) {
		int next = ir_label(ir);

		for (size_t j = 0; j < len; j++) {
			ir_load_stack(ir, 1, b, (int16_t)(buf + (int)(i + j)));
			if (!j)
				ir_jcond_imm(ir, BPF_JEQ, b, 0, cg->out);
			ir_jcond_imm(ir, BPF_JNE, b, (unsigned char)name[j], next);
		}
		ir_jmp(ir, found);
		ir_bind(ir, next);
	}
	ir_jmp(ir, cg->out);
	ir_bind(ir, found);
}

/* v = rec + off, for helpers that write into the record. */
static int rec_addr(struct cg *cg, int off)
{
	int v = ir_vreg(cg->ir);

	ir_mov(cg->ir, v, cg->rec);
	ir_alu_imm(cg->ir, BPF_ADD, v, off);
	return v;
}

int cg_func_ip(struct cg *cg)
{
	struct loc loc;
	struct sinfo si = { .res = RES_LOC, .ty = { .kind = TY_INT, .size = 8 } };
	struct val v;

	cg->p->prov->func_ip(cg->p, &loc);
	si.loc = loc;
	ir_comment(cg->ir, "the function hit");
	v = cg_loc_value(cg, &si);
	return cg_int_reg(cg, &v);
}

/* Which function of a pattern fired, for the FUNC column: the provider knows. */
static void emit_func_ip(struct cg *cg)
{
	ir_store(cg->ir, 8, cg->rec, REC_OFF(func_ip), cg_func_ip(cg));
}

/*
 * A user probe whose addresses are printed records where its file is loaded
 * (ctx->ip minus the point's file offset): a process that exits before
 * etrace reads its maps still has that file placed for symbols.
 */
static long long file_base_offset(const struct cg *cg)
{
	const struct probe *p = cg->p;
	struct loc ip;
	long long off;

	if (!p->prov->probe_offset || !p->prov->ctx_reg || !cg_prints_user_addresses(cg->s, p))
		return -1;
	p->prov->ctx_reg(p, "ip", &ip);
	off = p->prov->probe_offset(p);
	return ip.kind != LOC_NONE && off >= 0 && off <= INT32_MAX ? off : -1;
}

int cg_file_base(struct cg *cg)
{
	struct sinfo si = { .res = RES_LOC, .ty = { .kind = TY_INT, .size = 8 } };
	long long off = file_base_offset(cg);
	struct val v;
	int r;

	cg->p->prov->ctx_reg(cg->p, "ip", &si.loc);
	ir_comment(cg->ir, "where the probed file is loaded");
	v = cg_loc_value(cg, &si);
	r = cg_int_reg(cg, &v);
	ir_alu_imm(cg->ir, BPF_SUB, r, (int32_t)off);
	return r;
}

static void emit_file_base(struct cg *cg)
{
	ir_store(cg->ir, 8, cg->rec, REC_OFF(func_ip), cg_file_base(cg));
}

static void emit_header(struct cg *cg)
{
	struct ir *ir = cg->ir;
	int v, args[4];

	ir_comment(ir, "record header");
	ir_store_imm(ir, 4, cg->rec, REC_OFF(probe_id), cg->p->id);
	v = cg->pid_tgid;
	if (v < 0) {
		v = ir_vreg(ir);
		ir_call(ir, BPF_FUNC_get_current_pid_tgid, v, 0, NULL);
	}
	ir_store(ir, 8, cg->rec, REC_OFF(pid_tgid), v);
	/* Only -C and --json print the CPU: the field is left as reserved otherwise. */
	if (cg->s->opt.print_cpu || cg->s->opt.json) {
		v = ir_vreg(ir);
		ir_call(ir, BPF_FUNC_get_smp_processor_id, v, 0, NULL);
		ir_store(ir, 4, cg->rec, REC_OFF(cpu), v);
	}
	if (cg->p->records_func_ip)
		emit_func_ip(cg);
	else if (cg->p->layout.records_base)
		emit_file_base(cg);
	/* -T prints the time of reading; -t and --json that of the event. */
	if (cg->s->opt.timestamp || cg->s->opt.json) {
		v = ir_vreg(ir);
		ir_call(ir, BPF_FUNC_ktime_get_ns, v, 0, NULL);
		ir_store(ir, 8, cg->rec, REC_OFF(ts), v);
	}
	args[0] = rec_addr(cg, REC_OFF(comm));
	args[1] = ir_vreg(ir);
	ir_mov_imm(ir, args[1], REC_COMM_LEN);
	ir_call(ir, BPF_FUNC_get_current_comm, -1, 2, args);
}

/*
 * bpf_get_stack(ctx, rec + off, size, flags), its result stored at header
 * offset @result; returns the vreg holding it.
 */
static int emit_get_stack(struct cg *cg, int off, int size, int flags, int result)
{
	struct ir *ir = cg->ir;
	int args[4], n = ir_vreg(ir);

	args[0] = cg->ctx;
	args[1] = rec_addr(cg, off);
	args[2] = ir_vreg(ir);
	ir_mov_imm(ir, args[2], size);
	args[3] = ir_vreg(ir);
	ir_mov_imm(ir, args[3], flags);
	ir_call(ir, BPF_FUNC_get_stack, n, 4, args);
	ir_store(ir, 4, cg->rec, (int16_t)result, n);
	return n;
}

/*
 * The kernel stack. Where the walk misses the probed function's caller
 * (arm64 kprobes at its entry: the walk starts from the frame pointer,
 * still the caller's, and the caller's own return address is only in the
 * link register), the walk is written one frame further on, and its first
 * frame is moved back to make room for the caller after it.
 */
static void emit_kstack(struct cg *cg)
{
	struct sinfo si = { .res = RES_LOC, .ty = { .kind = TY_INT, .size = 8 } };
	int off = (int)sizeof(struct rec_hdr) + cg->p->layout.values_size;
	struct ir *ir = cg->ir;
	int n, first, done;
	struct val v;

	if (cg->p->prov->kstack_caller)
		cg->p->prov->kstack_caller(cg->p, &si.loc);
	else
		si.loc.kind = LOC_NONE;
	ir_comment(ir, "kernel stack into the record");
	if (si.loc.kind != LOC_CTX) {
		emit_get_stack(cg, off, REC_STACK_BYTES, 0, REC_OFF(kstack_bytes));
		return;
	}
	n = emit_get_stack(cg, off + 8, REC_STACK_BYTES - 8, 0, REC_OFF(kstack_bytes));
	done = ir_label(ir);
	ir_jcond_imm(ir, BPF_JSLE, n, 0, done);
	ir_comment(ir, "the caller, from its register, as the second frame");
	first = ir_vreg(ir);
	ir_load(ir, 8, first, cg->rec, (int16_t)(off + 8));
	ir_store(ir, 8, cg->rec, (int16_t)off, first);
	v = cg_loc_value(cg, &si);
	ir_store(ir, 8, cg->rec, (int16_t)(off + 8), cg_int_reg(cg, &v));
	ir_alu_imm(ir, BPF_ADD, n, 8);
	ir_store(ir, 4, cg->rec, REC_OFF(kstack_bytes), n);
	ir_bind(ir, done);
}

/*
 * At a function's first instruction the return address is in a register
 * (arm64's link register) or at the stack pointer (x86): record it
 * (bpf_probe_read_user zeroes it on a fault). Elsewhere 0.
 */
void cg_entry_ret(struct cg *cg, int base, int off)
{
	struct sinfo si = { .res = RES_LOC, .ty = { .kind = TY_INT, .size = 8 } };
	struct ir *ir = cg->ir;
	struct loc ret;
	int args[3];
	struct val v;

	if (cg->p->ustack_at_entry && cg->p->prov->entry_ret)
		cg->p->prov->entry_ret(cg->p, &ret);
	else
		ret.kind = LOC_NONE;
	if (ret.kind == LOC_CTX) {
		ir_comment(ir, "the return address in its register");
		si.loc = ret;
		v = cg_loc_value(cg, &si);
		ir_store(ir, 8, base, (int16_t)off, cg_int_reg(cg, &v));
		return;
	}
	if (ret.kind != LOC_MEM || ret.base < 0) {
		ir_store_imm(ir, 8, base, (int16_t)off, 0);
		return;
	}
	ir_comment(ir, "the return address at the stack pointer");
	si.loc = (struct loc){ .kind = LOC_CTX, .size = 8, .off = ret.base, .base = -1,
			       .index = -1 };
	v = cg_loc_value(cg, &si);
	args[0] = ir_vreg(ir);
	ir_mov(ir, args[0], base);
	ir_alu_imm(ir, BPF_ADD, args[0], off);
	args[1] = ir_vreg(ir);
	ir_mov_imm(ir, args[1], 8);
	args[2] = cg_int_reg(cg, &v);
	if (ret.disp)
		ir_alu_imm(ir, BPF_ADD, args[2], (int32_t)ret.disp);
	ir_call(ir, BPF_FUNC_probe_read_user, -1, 3, args);
}

/*
 * The user stack, twice: addresses (for -a, and frames the kernel cannot
 * name a file for) and build-id + file offset per frame, which still
 * resolves once the process has exited.
 */
static void emit_ustack(struct cg *cg)
{
	struct ir *ir = cg->ir;
	int off = (int)sizeof(struct rec_hdr) + cg->p->layout.values_size;

	if (cg->s->opt.kstack)
		off += REC_STACK_BYTES;
	cg_entry_ret(cg, cg->rec, off);
	off += REC_URET_BYTES;
	ir_comment(ir, "user stack into the record");
	emit_get_stack(cg, off, REC_USTACK_BYTES, BPF_F_USER_STACK, REC_OFF(ustack_bytes));
	emit_get_stack(cg, off + REC_USTACK_BYTES, REC_UBID_BYTES,
		       BPF_F_USER_STACK | BPF_F_USER_BUILD_ID, REC_OFF(ubid_bytes));
}

void cg_count_lost_in(struct cg *cg, int slot, int done)
{
	struct ir *ir = cg->ir;
	int key_off = ir_stack_alloc(ir, 4, 4);
	int args[2], val = ir_vreg(ir), n = ir_vreg(ir);

	ir_store_stack_imm(ir, 4, key_off, slot);
	args[0] = ir_vreg(ir);
	cg_map_ref(cg, args[0], MAP_LOST);
	args[1] = ir_vreg(ir);
	ir_stack_addr(ir, args[1], key_off);
	ir_call(ir, BPF_FUNC_map_lookup_elem, val, 2, args);
	ir_jcond_imm(ir, BPF_JEQ, val, 0, done);
	ir_load(ir, 8, n, val, 0);
	ir_alu_imm(ir, BPF_ADD, n, 1);
	ir_store(ir, 8, val, 0, n);
}

void cg_count_lost(struct cg *cg)
{
	cg_count_lost_in(cg, cg->p->id, cg->out);
}

/* When the ring buffer is full: count the lost event. */
static void emit_lost(struct cg *cg)
{
	ir_comment(cg->ir, "ring buffer full: count the lost event");
	cg_count_lost(cg);
	ir_jmp(cg->ir, cg->out);
}

/* Store an 8-byte value at @off in the record (offsets past s16 included). */
static void store_value(struct cg *cg, int off, int v)
{
	if (off <= INT16_MAX)
		ir_store(cg->ir, 8, cg->rec, (int16_t)off, v);
	else
		ir_store(cg->ir, 8, rec_addr(cg, off), 0, v);
}

static void emit_values(struct cg *cg)
{
	struct probe *p = cg->p;
	int base = (int)sizeof(struct rec_hdr);

	for (size_t i = 0; i < p->layout.nslots; i++) {
		const struct fmt_conv *c = &p->layout.fmt->convs[i];
		struct val v = cg_expr(cg, p->spec.args[i]);
		int off = base + p->layout.slots[i].offset;

		ir_comment(cg->ir, "value %zu", i + 1);
		if (fmt_conv_is_string(c))
			cg_store_string(cg, &v, off, p->layout.slots[i].size);
		else
			store_value(cg, off, cg_int_reg(cg, &v));
	}
}

/*
 * The probe's slice of the per-CPU scratch map, looked up once before the
 * predicate so that every use is dominated by the (null-checked) lookup.
 */
static void emit_scratch(struct cg *cg)
{
	struct ir *ir = cg->ir;
	int key, args[2];

	if (!cg->p->layout.needs_scratch)
		return;
	key = ir_stack_alloc(ir, 4, 4);
	cg->scratch_base = ir_vreg(ir);
	ir_comment(ir, "this probe's scratch slice");
	ir_store_stack_imm(ir, 4, (int16_t)key, cg->p->id);
	args[0] = ir_vreg(ir);
	cg_map_ref(cg, args[0], MAP_SCRATCH);
	args[1] = ir_vreg(ir);
	ir_stack_addr(ir, args[1], (int16_t)key);
	ir_call(ir, BPF_FUNC_map_lookup_elem, cg->scratch_base, 2, args);
	ir_jcond_imm(ir, BPF_JEQ, cg->scratch_base, 0, cg->out);
}

/*
 * First of all: is etrace recording? If not, record nothing. Reading the
 * flag is a load from the map's memory, a few nanoseconds per call.
 */
static void emit_stop_check(struct cg *cg)
{
	struct ir *ir = cg->ir;
	int v = ir_vreg(ir);

	ir_comment(ir, "stopped?");
	maps_use(cg->s, MAP_CTL);
	ir_ld_map_value(ir, v, MAP_CTL, 0);
	ir_load(ir, 4, v, v, 0);
	ir_jcond_imm(ir, BPF_JNE, v, 0, cg->out);
}

/*
 * A predicate that reads nothing but registers, record fields and
 * constants costs a few instructions: it is tested before the filters,
 * whose helper calls then run only for events it lets through.
 */
static bool cheap(const struct cg *cg, const struct expr *e)
{
	const struct sinfo *si = e ? sema_of(cg, e) : NULL;

	if (!e)
		return true;
	if (!si)
		return false;
	switch (si->res) {
	case RES_CONST:
	case RES_CTX_PTR:
	case RES_FIELD:
	case RES_INDEX_CTX:
		return true;
	case RES_LOC:
		return si->loc.kind == LOC_CTX || si->loc.kind == LOC_IMM;
	case RES_UNARY:
	case RES_BINARY:
	case RES_LOGICAL:
	case RES_TERNARY:
	case RES_CAST:
		return cheap(cg, e->cond) && cheap(cg, e->lhs) && cheap(cg, e->rhs);
	default:
		return false;
	}
}

static void emit_predicate(struct cg *cg)
{
	if (!cg->p->spec.predicate)
		return;
	ir_comment(cg->ir, "predicate");
	cg_branch(cg, cg->p->spec.predicate, false, cg->out);
}

static void emit_body(struct cg *cg)
{
	struct ir *ir = cg->ir;
	int lost = ir_label(ir), args[3];
	const struct options *o = &cg->s->opt;
	/* -p and -L reject most events themselves: they stay first; so does a pop. */
	bool pred_first = cg->p->spec.predicate && !o->pid && !o->tid &&
			  !probe_entry(cg->s, cg->p) && cheap(cg, cg->p->spec.predicate);

	if (pred_first)
		emit_predicate(cg);
	emit_filters(cg);
	emit_comm_filter(cg);
	emit_scratch(cg);
	if (!pred_first)
		emit_predicate(cg);
	/* Last: only what would be recorded needs to know that etrace has stopped. */
	emit_stop_check(cg);
	if (aggregating(&cg->s->opt)) {
		/* Counted in the kernel: no record (output/aggregate.c reads the map). */
		cg_emit_aggregate(cg);
		ir_bind(ir, cg->out);
		ir_exit_imm(ir, 0);
		return;
	}
	cg->rec = ir_vreg(ir);
	ir_comment(ir, "reserve the record");
	args[0] = ir_vreg(ir);
	cg_map_ref(cg, args[0], MAP_EVENTS);
	args[1] = ir_vreg(ir);
	ir_mov_imm(ir, args[1], codegen_record_size(cg->s, cg->p));
	args[2] = ir_vreg(ir);
	ir_mov_imm(ir, args[2], 0);
	ir_call(ir, BPF_FUNC_ringbuf_reserve, cg->rec, 3, args);
	ir_jcond_imm(ir, BPF_JEQ, cg->rec, 0, lost);
	emit_header(cg);
	emit_values(cg);
	if (cg->s->opt.kstack)
		emit_kstack(cg);
	if (cg->s->opt.ustack)
		emit_ustack(cg);
	ir_comment(ir, "submit");
	args[0] = cg->rec;
	args[1] = ir_vreg(ir);
	ir_mov_imm(ir, args[1], 0);
	ir_call(ir, BPF_FUNC_ringbuf_submit, -1, 2, args);
	ir_jmp(ir, cg->out);
	ir_bind(ir, lost);
	emit_lost(cg);
	ir_bind(ir, cg->out);
	ir_exit_imm(ir, 0);
}

/* An entry probe etrace added: thread filters, then push; no record. */
static void emit_entry_body(struct cg *cg)
{
	emit_thread_filters(cg);
	emit_scratch(cg);
	cg_entry_push(cg);
	ir_bind(cg->ir, cg->out);
	ir_exit_imm(cg->ir, 0);
}

int codegen_layout(struct session *s, struct probe *p)
{
	return sema_layout(s, p);
}

int codegen_probe(struct session *s, struct probe *p, struct bpf_insn **insns,
		  size_t *cnt, FILE *listing)
{
	struct cg cg = { .s = s, .p = p, .scratch_base = -1, .pid_tgid = -1 };
	char err[256];
	int ret;

	*insns = NULL;
	*cnt = 0;
	ret = sema_probe(&cg);
	if (ret) {
		sema_free(&cg.sm);
		return ret;
	}
	/* A record must fit in the ring buffer (with its 8-byte header). */
	if (s->ring_size && !aggregating(&s->opt) &&
	    (unsigned long)codegen_record_size(s, p) + 8 > s->ring_size) {
		pr_err("probe %d: one event needs %d bytes, more than the %lu-byte ring buffer; "
		       "raise -b or lower -Z", p->spec.index, codegen_record_size(s, p),
		       s->ring_size);
		sema_free(&cg.sm);
		return ERR_USAGE;
	}
	cg.ir = ir_new();
	cg.ctx = ir_ctx(cg.ir);
	cg.out = ir_label(cg.ir);
	p->layout.records_base = !p->records_func_ip && file_base_offset(&cg) >= 0;
	/* One 8-byte stack slot serves every memory read (decided by the pass). */
	if (cg.sm.reads_memory || p->records_func_ip || p->layout.records_base)
		cg.read_slot = ir_stack_alloc(cg.ir, 8, 8);
	if (probe_ret(s, p))
		emit_entry_body(&cg);
	else
		emit_body(&cg);
	if (listing)
		ir_dump(cg.ir, listing);
	ret = ir_finish(cg.ir, insns, cnt, err, sizeof(err));
	ir_free(cg.ir);
	sema_free(&cg.sm);
	if (ret) {
		pr_err("probe %d: %s", p->spec.index, err);
		return ERR_USAGE;
	}
	return 0;
}
