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
#include "runtime/loader.h"
#include "runtime/record.h"
#include "sym/ksym.h"
#include "util.h"

/* The output side renders at most this many values per event. */
#define MAX_VALUES 64

int codegen_record_size(const struct session *s, const struct probe *p)
{
	int size = (int)sizeof(struct rec_hdr) + p->values_size;

	if (s->opt.kstack)
		size += REC_STACK_BYTES;
	return (size + 7) & ~7;
}

/* Self, -p, -L and --uid filters. */
static void emit_filters(struct cg *cg)
{
	const struct options *o = &cg->s->opt;
	struct ir *ir = cg->ir;
	int pt, v;

	if (o->include_self && !o->pid && !o->tid && o->uid < 0)
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
	if (!o->include_self || o->pid) {
		v = ir_vreg(ir);
		ir_mov(ir, v, pt);
		ir_alu_imm(ir, BPF_RSH, v, 32);
		if (!o->include_self)
			ir_jcond_imm(ir, BPF_JEQ, v, cg->s->self, cg->out);
		if (o->pid)
			ir_jcond_imm(ir, BPF_JNE, v, o->pid, cg->out);
	}
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

/* v = rec + off, for helpers that write into the record. */
static int rec_addr(struct cg *cg, int off)
{
	int v = ir_vreg(cg->ir);

	ir_mov(cg->ir, v, cg->rec);
	ir_alu_imm(cg->ir, BPF_ADD, v, off);
	return v;
}

/* Which function of a pattern fired, for the FUNC column. */
static void emit_func_ip(struct cg *cg)
{
	struct probe *p = cg->p;
	int v = ir_vreg(cg->ir);

	switch (p->mech) {
	case MECH_FENTRY: {
		/* One program per function: the answer is a constant. */
		struct ktarget *t = &p->targets[p->cur_target];

		if (!t->addr) {
			const struct ksym *k = ksyms__find_in(cg->s->ksyms, t->name,
							      t->module ? t->module : "kernel");

			t->addr = k ? k->addr : 0;
		}
		ir_mov_imm(cg->ir, v, (int64_t)t->addr);
		break;
	}
	case MECH_KPROBE_MULTI:
		ir_call(cg->ir, BPF_FUNC_get_func_ip, v, 1, &cg->ctx);
		break;
	default:
		/* A kprobe stops at (or just after) the function's entry. */
		ir_load(cg->ir, 8, v, cg->ctx, PT_REGS_IP);
		break;
	}
	ir_store(cg->ir, 8, cg->rec, REC_OFF(func_ip), v);
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
	/* Only -C prints the CPU: the field is left as reserved otherwise. */
	if (cg->s->opt.print_cpu) {
		v = ir_vreg(ir);
		ir_call(ir, BPF_FUNC_get_smp_processor_id, v, 0, NULL);
		ir_store(ir, 4, cg->rec, REC_OFF(cpu), v);
	}
	if (cg->p->wildcard)
		emit_func_ip(cg);
	if (cg->s->opt.timestamp) {
		v = ir_vreg(ir);
		ir_call(ir, BPF_FUNC_ktime_get_ns, v, 0, NULL);
		ir_store(ir, 8, cg->rec, REC_OFF(ts), v);
	}
	args[0] = rec_addr(cg, REC_OFF(comm));
	args[1] = ir_vreg(ir);
	ir_mov_imm(ir, args[1], REC_COMM_LEN);
	ir_call(ir, BPF_FUNC_get_current_comm, -1, 2, args);
}

static void emit_kstack(struct cg *cg)
{
	struct ir *ir = cg->ir;
	int args[4], n = ir_vreg(ir);

	ir_comment(ir, "kernel stack into the record");
	args[0] = cg->ctx;
	args[1] = rec_addr(cg, (int)sizeof(struct rec_hdr) + cg->p->values_size);
	args[2] = ir_vreg(ir);
	ir_mov_imm(ir, args[2], REC_STACK_BYTES);
	args[3] = ir_vreg(ir);
	ir_mov_imm(ir, args[3], 0);
	ir_call(ir, BPF_FUNC_get_stack, n, 4, args);
	ir_store(ir, 4, cg->rec, REC_OFF(kstack_bytes), n);
}

/* When the ring buffer is full: lost[probe_id] += 1 on this CPU. */
static void emit_lost(struct cg *cg)
{
	struct ir *ir = cg->ir;
	int key_off = ir_stack_alloc(ir, 4, 4);
	int args[2], val = ir_vreg(ir), n = ir_vreg(ir);

	ir_comment(ir, "ring buffer full: count the lost event");
	ir_store_stack_imm(ir, 4, key_off, cg->p->id);
	args[0] = ir_vreg(ir);
	ir_ld_map_fd(ir, args[0], cg->s->lost_fd);
	args[1] = ir_vreg(ir);
	ir_stack_addr(ir, args[1], key_off);
	ir_call(ir, BPF_FUNC_map_lookup_elem, val, 2, args);
	ir_jcond_imm(ir, BPF_JEQ, val, 0, cg->out);
	ir_load(ir, 8, n, val, 0);
	ir_alu_imm(ir, BPF_ADD, n, 1);
	ir_store(ir, 8, val, 0, n);
	ir_jmp(ir, cg->out);
}

/*
 * Check the format against the arguments and lay out one slot per
 * conversion: 8 bytes for integers, -Z + 2 bytes for strings (one more
 * character than shown, to tell a cut string, and the NUL).
 */
static int layout_values(struct session *s, struct probe *p)
{
	const struct probe_spec *ps = &p->spec;
	char err[256];
	int off = 0;

	if (p->fmt || p->slots)
		return 0;	/* laid out by an earlier build of this probe */
	if (!ps->format) {
		if (ps->nargs)
			pr_err("probe %d: arguments without a format string", ps->index);
		return ps->nargs ? ERR_USAGE : 0;
	}
	p->fmt = xcalloc(1, sizeof(*p->fmt));
	if (fmt_parse(ps->format, ps->format_col + 1, p->fmt, err, sizeof(err))) {
		pr_err("probe %d, %s", ps->index, err);
		return ERR_USAGE;
	}
	if (p->fmt->nconvs < ps->nargs) {
		pr_err("probe %d, column %d: too many arguments: the format has %zu conversion%s",
		       ps->index, ps->args[p->fmt->nconvs]->col, p->fmt->nconvs,
		       p->fmt->nconvs == 1 ? "" : "s");
		return ERR_USAGE;
	}
	if (ps->nargs > MAX_VALUES) {
		pr_err("probe %d, column %d: at most %d arguments are supported", ps->index,
		       ps->args[MAX_VALUES]->col, MAX_VALUES);
		return ERR_USAGE;
	}
	if (p->fmt->nconvs > ps->nargs) {
		pr_err("probe %d, column %d: no argument for conversion %zu of the format",
		       ps->index, p->fmt->convs[ps->nargs].col, ps->nargs + 1);
		return ERR_USAGE;
	}
	p->nslots = ps->nargs;
	p->slots = xcalloc(p->nslots, sizeof(*p->slots));
	for (size_t i = 0; i < p->nslots; i++) {
		int size = fmt_conv_is_string(&p->fmt->convs[i]) ?
			   (s->opt.string_size + 2 + 7) & ~7 : 8;

		p->slots[i].offset = off;
		p->slots[i].size = size;
		off += size;
	}
	p->values_size = off;
	return 0;
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

	for (size_t i = 0; i < p->nslots && !cg->failed; i++) {
		const struct fmt_conv *c = &p->fmt->convs[i];
		struct val v = cg_expr(cg, p->spec.args[i]);
		int off = base + p->slots[i].offset;

		if (cg->failed)
			return;
		ir_comment(cg->ir, "value %zu", i + 1);
		if (fmt_conv_is_string(c)) {
			cg_store_string(cg, &v, off, p->slots[i].size);
		} else if (v.ty.kind != TY_INT && v.ty.kind != TY_PTR) {
			cg_error(cg, v.col, "%%%c needs an integer, but this is a string or array "
				 "(use %%s)", c->conv);
		} else {
			store_value(cg, off, cg_int_reg(cg, &v));
		}
	}
}

int cg_scratch(struct cg *cg, int size, int col)
{
	int off = cg->scratch_used;

	if (cg->scratch_base < 0 || off + size > CG_SCRATCH_SIZE) {
		cg_error(cg, col, "the probe needs more than %d bytes of temporary strings",
			 CG_SCRATCH_SIZE);
		return -1;
	}
	cg->scratch_used += (size + 7) & ~7;
	return off;
}

bool cg_needs_scratch(const struct expr *e)
{
	if (!e)
		return false;
	if (e->kind == EXPR_CALL && !strcmp(e->name, "STRCMP"))
		return true;
	if (cg_needs_scratch(e->cond) || cg_needs_scratch(e->lhs) || cg_needs_scratch(e->rhs))
		return true;
	for (size_t i = 0; i < e->nargs; i++)
		if (cg_needs_scratch(e->args[i]))
			return true;
	return false;
}

static bool probe_needs_scratch(const struct probe *p)
{
	if (cg_needs_scratch(p->spec.predicate))
		return true;
	for (size_t i = 0; i < p->spec.nargs; i++)
		if (cg_needs_scratch(p->spec.args[i]))
			return true;
	return false;
}

/*
 * The per-CPU scratch area, looked up once before the predicate so that
 * every use is dominated by the (null-checked) lookup.
 */
static void emit_scratch(struct cg *cg)
{
	struct ir *ir = cg->ir;
	int key, args[2];

	if (!probe_needs_scratch(cg->p))
		return;
	key = ir_stack_alloc(ir, 4, 4);
	if (loader_scratch_map(cg->s, CG_SCRATCH_SIZE)) {
		cg->failed = true;
		return;
	}
	cg->scratch_base = ir_vreg(ir);
	ir_comment(ir, "per-CPU scratch area");
	ir_store_stack_imm(ir, 4, (int16_t)key, 0);
	args[0] = ir_vreg(ir);
	ir_ld_map_fd(ir, args[0], cg->s->scratch_fd);
	args[1] = ir_vreg(ir);
	ir_stack_addr(ir, args[1], (int16_t)key);
	ir_call(ir, BPF_FUNC_map_lookup_elem, cg->scratch_base, 2, args);
	ir_jcond_imm(ir, BPF_JEQ, cg->scratch_base, 0, cg->out);
}

/*
 * First of all: has etrace stopped? Then record nothing. Reading the flag
 * is a load from the map's memory, a few nanoseconds per call.
 */
static void emit_stop_check(struct cg *cg)
{
	struct ir *ir = cg->ir;
	int v;

	if (cg->s->ctl_fd < 0)
		return;
	v = ir_vreg(ir);
	ir_comment(ir, "stopped?");
	ir_ld_map_value(ir, v, cg->s->ctl_fd, 0);
	ir_load(ir, 4, v, v, 0);
	ir_jcond_imm(ir, BPF_JNE, v, 0, cg->out);
}

static void emit_body(struct cg *cg)
{
	struct ir *ir = cg->ir;
	int lost = ir_label(ir), args[3];

	emit_stop_check(cg);
	emit_filters(cg);
	emit_scratch(cg);
	if (cg->p->spec.predicate) {
		ir_comment(ir, "predicate");
		cg_branch_false(cg, cg->p->spec.predicate, cg->out);
	}
	cg->rec = ir_vreg(ir);
	ir_comment(ir, "reserve the record");
	args[0] = ir_vreg(ir);
	ir_ld_map_fd(ir, args[0], cg->s->events_fd);
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

int codegen_probe(struct session *s, struct probe *p, struct bpf_insn **insns,
		  size_t *cnt, FILE *listing)
{
	struct cg cg = { .s = s, .p = p, .scratch_base = -1, .pid_tgid = -1 };
	char err[256];
	int ret;

	ret = layout_values(s, p);
	if (ret)
		return ret;
	/* A record must fit in the ring buffer (with its 8-byte header). */
	if (s->ring_size && (unsigned long)codegen_record_size(s, p) + 8 > s->ring_size) {
		pr_err("probe %d: one event needs %d bytes, more than the %lu-byte ring buffer; "
		       "raise -b or lower -Z", p->spec.index, codegen_record_size(s, p),
		       s->ring_size);
		return ERR_USAGE;
	}
	cg.ir = ir_new();
	cg.ctx = ir_ctx(cg.ir);
	cg.out = ir_label(cg.ir);
	emit_body(&cg);
	if (cg.failed) {
		ir_free(cg.ir);
		return ERR_USAGE;
	}
	if (listing)
		ir_dump(cg.ir, listing);
	ret = ir_finish(cg.ir, insns, cnt, err, sizeof(err));
	ir_free(cg.ir);
	if (ret) {
		pr_err("probe %d: %s", p->spec.index, err);
		return ERR_USAGE;
	}
	return 0;
}
