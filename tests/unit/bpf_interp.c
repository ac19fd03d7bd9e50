// SPDX-License-Identifier: BSD-2-Clause
/*
 * The unit tests' BPF interpreter: instruction semantics, checked memory
 * regions and the fake helpers of probe programs. See bpf_interp.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_interp.h"

/* --- memory ------------------------------------------------------------ */

void bpf_mem_init(struct bpf_mem *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->err = err;
	m->errlen = errlen;
	if (errlen)
		err[0] = '\0';
}

int bpf_mem_add(struct bpf_mem *m, void *base, size_t len, unsigned int flags,
		bool *init, const char *name)
{
	if (m->n >= BPF_INTERP_MAX_REGIONS)
		return -1;
	m->r[m->n] = (struct bpf_region){ base, len, flags, init, name };
	return m->n++;
}

void bpf_mem_revoke(struct bpf_mem *m, const void *base)
{
	for (int i = 0; i < m->n; i++)
		if (m->r[i].base == base)
			m->r[i].flags = 0;
}

void bpf_mem_fail(struct bpf_mem *m, const char *fmt, ...)
{
	va_list ap;

	if (!m->errlen || m->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(m->err, m->errlen, fmt, ap);
	va_end(ap);
}

static const char *access_name(unsigned int need)
{
	switch (need) {
	case BPF_MEM_R: return "load";
	case BPF_MEM_W: return "store";
	case BPF_MEM_KERNEL: return "probe_read_kernel";
	case BPF_MEM_USER: return "probe_read_user";
	default: return "access";
	}
}

uint8_t *bpf_mem_at(struct bpf_mem *m, uint64_t addr, size_t len, unsigned int need)
{
	for (int i = 0; i < m->n; i++) {
		struct bpf_region *r = &m->r[i];
		uint64_t base = (uintptr_t)r->base;

		if (addr < base || addr >= base + r->len)
			continue;
		if (len > r->len || addr - base > r->len - len) {
			bpf_mem_fail(m, "%s of %zu bytes at %s+%llu runs past its end (%zu bytes)",
				     access_name(need), len, r->name,
				     (unsigned long long)(addr - base), r->len);
			return NULL;
		}
		if ((r->flags & need) != need) {
			bpf_mem_fail(m, "%s of %zu bytes at %s+%llu is not allowed there",
				     access_name(need), len, r->name,
				     (unsigned long long)(addr - base));
			return NULL;
		}
		for (size_t k = 0; r->init && k < len; k++) {
			if (need & BPF_MEM_W) {
				r->init[addr - base + k] = true;
			} else if (!r->init[addr - base + k]) {
				if (!strcmp(r->name, "stack"))
					bpf_mem_fail(m, "read of uninitialised stack at fp-%d",
						     (int)(base + r->len - addr));
				else
					bpf_mem_fail(m, "read of uninitialised %s+%llu", r->name,
						     (unsigned long long)(addr - base + k));
				return NULL;
			}
		}
		return (uint8_t *)(uintptr_t)addr;
	}
	bpf_mem_fail(m, "bad memory access at 0x%llx (%zu bytes)", (unsigned long long)addr, len);
	return NULL;
}

bool bpf_mem_has(const struct bpf_mem *m, uint64_t addr, unsigned int flags)
{
	for (int i = 0; i < m->n; i++) {
		const struct bpf_region *r = &m->r[i];
		uint64_t base = (uintptr_t)r->base;

		if (addr >= base && addr < base + r->len && (r->flags & flags))
			return true;
	}
	return false;
}

bool bpf_mem_load(struct bpf_mem *m, uint64_t addr, int size, uint64_t *val)
{
	uint8_t *p = bpf_mem_at(m, addr, (size_t)size, BPF_MEM_R);

	*val = 0;
	if (p)
		memcpy(val, p, (size_t)size);	/* little-endian host */
	return p != NULL;
}

bool bpf_mem_store(struct bpf_mem *m, uint64_t addr, int size, uint64_t val)
{
	uint8_t *p = bpf_mem_at(m, addr, (size_t)size, BPF_MEM_W);

	if (p)
		memcpy(p, &val, (size_t)size);
	return p != NULL;
}

/* --- instruction semantics ---------------------------------------------- */

uint64_t bpf_alu(int op, bool is32, uint64_t d, uint64_t s)
{
	uint64_t r;

	if (is32) {
		d = (uint32_t)d;
		s = (uint32_t)s;
	}
	switch (op) {
	case BPF_ADD: r = d + s; break;
	case BPF_SUB: r = d - s; break;
	case BPF_MUL: r = d * s; break;
	case BPF_DIV: r = s ? d / s : 0; break;
	case BPF_MOD: r = s ? d % s : d; break;
	case BPF_OR: r = d | s; break;
	case BPF_AND: r = d & s; break;
	case BPF_XOR: r = d ^ s; break;
	case BPF_LSH: r = d << (s & (is32 ? 31 : 63)); break;
	case BPF_RSH: r = d >> (s & (is32 ? 31 : 63)); break;
	case BPF_ARSH:
		r = is32 ? (uint32_t)((int32_t)d >> (s & 31)) :
			   (uint64_t)((int64_t)d >> (s & 63));
		break;
	case BPF_MOV: r = s; break;
	case BPF_NEG: r = -d; break;
	default: r = 0xbad; break;
	}
	return is32 ? (uint32_t)r : r;
}

bool bpf_cond(int op, uint64_t a, uint64_t b)
{
	switch (op) {
	case BPF_JEQ: return a == b;
	case BPF_JNE: return a != b;
	case BPF_JGT: return a > b;
	case BPF_JGE: return a >= b;
	case BPF_JLT: return a < b;
	case BPF_JLE: return a <= b;
	case BPF_JSGT: return (int64_t)a > (int64_t)b;
	case BPF_JSGE: return (int64_t)a >= (int64_t)b;
	case BPF_JSLT: return (int64_t)a < (int64_t)b;
	case BPF_JSLE: return (int64_t)a <= (int64_t)b;
	case BPF_JSET: return a & b;
	default: return false;
	}
}

/* --- the interpreter ------------------------------------------------------ */

static bool vm_fail(struct bpf_vm *vm, size_t pc, const char *what)
{
	char inner[sizeof(vm->err)];

	/* A memory or helper error already explains it: put the pc in front. */
	snprintf(inner, sizeof(inner), "%s", vm->err);
	if (inner[0])
		snprintf(vm->err, sizeof(vm->err), "insn %zu: %.40s: %.200s", pc, what, inner);
	else
		snprintf(vm->err, sizeof(vm->err), "insn %zu: %s", pc, what);
	return false;
}

static bool vm_get(struct bpf_vm *vm, size_t pc, int r, uint64_t *v)
{
	char msg[32];

	if (r > 10 || !vm->ok[r]) {
		snprintf(msg, sizeof(msg), "r%d read before set", r);
		return vm_fail(vm, pc, msg);
	}
	*v = vm->r[r];
	return true;
}

static bool vm_set(struct bpf_vm *vm, size_t pc, int r, uint64_t v)
{
	if (r >= 10)
		return vm_fail(vm, pc, "write to r10");
	vm->r[r] = v;
	vm->ok[r] = true;
	return true;
}

static bool vm_alu(struct bpf_vm *vm, size_t pc, const struct bpf_insn *in)
{
	bool is32 = BPF_CLASS(in->code) == BPF_ALU;
	int op = BPF_OP(in->code);
	uint64_t d = 0, s = 0;

	if (op == BPF_END || (op == BPF_NEG && BPF_SRC(in->code) == BPF_X))
		return vm_fail(vm, pc, "unsupported ALU operation");
	if (BPF_SRC(in->code) == BPF_K && (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) &&
	    (in->imm < 0 || in->imm >= (is32 ? 32 : 64)))
		return vm_fail(vm, pc, "shift by an out-of-range constant");
	if (BPF_SRC(in->code) == BPF_K && (op == BPF_DIV || op == BPF_MOD) && !in->imm)
		return vm_fail(vm, pc, "division by a constant zero");
	if (op != BPF_MOV && !vm_get(vm, pc, in->dst_reg, &d))
		return false;
	if (BPF_SRC(in->code) == BPF_X && op != BPF_NEG) {
		if (!vm_get(vm, pc, in->src_reg, &s))
			return false;
	} else {
		s = (uint64_t)(int64_t)in->imm;
	}
	return vm_set(vm, pc, in->dst_reg, bpf_alu(op, is32, d, s));
}

static bool vm_mem(struct bpf_vm *vm, size_t pc, const struct bpf_insn *in)
{
	static const int sizes[4] = { 4, 2, 1, 8 };
	int size = sizes[BPF_SIZE(in->code) >> 3];
	uint64_t base = 0, v = 0, old = 0;

	if (BPF_CLASS(in->code) == BPF_LDX) {
		if (BPF_MODE(in->code) != BPF_MEM)
			return vm_fail(vm, pc, "unsupported load mode");
		if (!vm_get(vm, pc, in->src_reg, &base))
			return false;
		if (!bpf_mem_load(&vm->mem, base + in->off, size, &v))
			return vm_fail(vm, pc, "load");
		return vm_set(vm, pc, in->dst_reg, v);
	}
	if (!vm_get(vm, pc, in->dst_reg, &base))
		return false;
	if (BPF_CLASS(in->code) == BPF_ST)
		v = (uint64_t)(int64_t)in->imm;
	else if (!vm_get(vm, pc, in->src_reg, &v))
		return false;
	if (BPF_MODE(in->code) == BPF_ATOMIC) {
		if ((in->imm != BPF_ADD && in->imm != (BPF_ADD | BPF_FETCH)) ||
		    (size != 4 && size != 8) ||
		    !bpf_mem_load(&vm->mem, base + in->off, size, &old))
			return vm_fail(vm, pc, "atomic");
		v += old;
		/* The fetch form hands the old value back in the source register. */
		if (in->imm & BPF_FETCH && !vm_set(vm, pc, in->src_reg, old))
			return false;
	} else if (BPF_MODE(in->code) != BPF_MEM) {
		return vm_fail(vm, pc, "unsupported store mode");
	}
	if (!bpf_mem_store(&vm->mem, base + in->off, size, v))
		return vm_fail(vm, pc, "store");
	return true;
}

static bool vm_call(struct bpf_vm *vm, size_t pc, const struct bpf_insn *in)
{
	uint64_t args[5] = { 0 }, ret = 0;
	int n;
	char what[48];

	if (in->src_reg)
		return vm_fail(vm, pc, "calls of BPF functions or kfuncs are not supported");
	n = vm->ops->nargs(vm, in->imm);
	if (n < 0) {
		snprintf(what, sizeof(what), "unknown helper %d", in->imm);
		return vm_fail(vm, pc, what);
	}
	for (int k = 0; k < n; k++)
		if (!vm_get(vm, pc, k + 1, &args[k]))
			return false;
	if (!vm->ops->call(vm, in->imm, args, &ret)) {
		snprintf(what, sizeof(what), "helper %d failed", in->imm);
		return vm_fail(vm, pc, what);
	}
	/* Helpers leave garbage in r1-r5: make sure nobody reads it. */
	for (int r = 1; r <= 5; r++) {
		vm->r[r] = 0xdeadbeef00ull + r;
		vm->ok[r] = false;
	}
	return vm_set(vm, pc, 0, ret);
}

/* Returns the next pc, or (size_t)-1 on exit or failure. */
static size_t vm_jmp(struct bpf_vm *vm, size_t pc, const struct bpf_insn *in, bool *done)
{
	int op = BPF_OP(in->code);
	uint64_t a = 0, b = 0;

	switch (op) {
	case BPF_JA:
		if (BPF_CLASS(in->code) != BPF_JMP)
			break;
		return pc + 1 + in->off;
	case BPF_CALL:
		return vm_call(vm, pc, in) ? pc + 1 : (size_t)-1;
	case BPF_EXIT:
		*done = true;
		return (size_t)-1;
	}
	if (!vm_get(vm, pc, in->dst_reg, &a))
		return (size_t)-1;
	if (BPF_SRC(in->code) == BPF_X) {
		if (!vm_get(vm, pc, in->src_reg, &b))
			return (size_t)-1;
	} else {
		b = (uint64_t)(int64_t)in->imm;
	}
	if (BPF_CLASS(in->code) == BPF_JMP32) {
		a = (uint32_t)a;
		b = (uint32_t)b;
	}
	return bpf_cond(op, a, b) ? pc + 1 + in->off : pc + 1;
}

void bpf_vm_init(struct bpf_vm *vm, const struct bpf_vm_ops *ops, void *priv)
{
	memset(vm, 0, sizeof(*vm));
	vm->ops = ops;
	vm->priv = priv;
	/* Garbage, so that a program relying on unset bytes shows it. */
	memset(vm->stack, 0xa5, sizeof(vm->stack));
	bpf_mem_init(&vm->mem, vm->err, sizeof(vm->err));
	bpf_mem_add(&vm->mem, vm->stack, sizeof(vm->stack),
		    BPF_MEM_R | BPF_MEM_W | BPF_MEM_KERNEL, vm->stack_init, "stack");
}

int bpf_vm_run(struct bpf_vm *vm, const struct bpf_insn *prog, size_t cnt, uint64_t ctx,
	       uint64_t *ret)
{
	size_t pc = 0, cur = 0;
	bool done = false, ok = true;

	vm->r[1] = ctx;
	vm->ok[1] = true;
	vm->r[10] = (uintptr_t)(vm->stack + sizeof(vm->stack));
	vm->ok[10] = true;
	for (vm->steps = 0; ok && !done; vm->steps++) {
		const struct bpf_insn *in;

		if (pc >= cnt || vm->steps > BPF_INTERP_MAX_STEPS) {
			vm_fail(vm, pc, "ran off the program or too long");
			return -1;
		}
		in = &prog[pc];
		cur = pc;
		switch (BPF_CLASS(in->code)) {
		case BPF_ALU:
		case BPF_ALU64:
			ok = vm_alu(vm, pc, in);
			pc++;
			break;
		case BPF_LDX:
		case BPF_STX:
		case BPF_ST:
			ok = vm_mem(vm, pc, in);
			pc++;
			break;
		case BPF_LD:
			if (in->code != (BPF_LD | BPF_DW | BPF_IMM) || pc + 1 >= cnt ||
			    prog[pc + 1].code) {
				vm_fail(vm, pc, "bad or truncated ld_imm64");
				return -1;
			}
			if (in->src_reg == BPF_PSEUDO_MAP_VALUE) {
				uint64_t addr;

				if (!vm->ops->map_value ||
				    !vm->ops->map_value(vm, in->imm, in[1].imm, &addr)) {
					vm_fail(vm, pc, "map value of an unknown map");
					return -1;
				}
				ok = vm_set(vm, pc, in->dst_reg, addr);
				pc += 2;
				break;
			}
			if (in->src_reg && in->src_reg != BPF_PSEUDO_MAP_FD) {
				vm_fail(vm, pc, "unsupported ld_imm64 kind");
				return -1;
			}
			ok = vm_set(vm, pc, in->dst_reg,
				    in->src_reg == BPF_PSEUDO_MAP_FD ?
				    BPF_INTERP_MAP_TAG | (uint32_t)in->imm :
				    (uint32_t)in->imm | (uint64_t)(uint32_t)in[1].imm << 32);
			pc += 2;
			break;
		case BPF_JMP:
		case BPF_JMP32:
			pc = vm_jmp(vm, pc, in, &done);
			ok = pc != (size_t)-1 || done;
			break;
		default:
			ok = vm_fail(vm, pc, "unknown class");
		}
	}
	if (!ok || !vm_get(vm, cur, 0, ret))
		return -1;
	return 0;
}

/* --- probe programs --------------------------------------------------------- */

void bpf_probe_env_init(struct bpf_probe_env *e)
{
	memset(e, 0, sizeof(*e));
	e->pid_tgid = (4242ull << 32) | 4243;
	e->uid_gid = (100ull << 32) | 1000;
	e->cpu = 3;
	e->ktime = 123456789;
	e->func_ip = 0xffffffff81000000ull;
	snprintf(e->comm, sizeof(e->comm), "etrace-test");
	e->events_fd = 7;
	e->lost_fd = 8;
	e->maps[0] = (struct bpf_probe_map){ .fd = e->lost_fd, .value_size = sizeof(e->lost[0]),
					     .max_entries = BPF_PROBE_LOST_KEYS,
					     .data = (uint8_t *)e->lost };
	e->nmaps = 1;
}

uint8_t *bpf_probe_env_add_array(struct bpf_probe_env *e, int fd, size_t value_size,
				 unsigned int max_entries)
{
	struct bpf_probe_map *m;

	if (e->nmaps >= BPF_PROBE_MAX_MAPS)
		abort();
	m = &e->maps[e->nmaps++];
	*m = (struct bpf_probe_map){ .fd = fd, .value_size = value_size,
				     .max_entries = max_entries,
				     .data = malloc(value_size * max_entries), .owned = true };
	if (!m->data)
		abort();
	/* Whatever the last program left there. */
	memset(m->data, 0xcc, value_size * max_entries);
	return m->data;
}

uint8_t *bpf_probe_env_add_hash(struct bpf_probe_env *e, int fd, size_t key_size,
				size_t value_size, unsigned int max_entries)
{
	uint8_t *data = bpf_probe_env_add_array(e, fd, value_size, max_entries);
	struct bpf_probe_map *m = &e->maps[e->nmaps - 1];

	m->key_size = key_size;
	m->keys = calloc(max_entries, key_size);
	if (!m->keys)
		abort();
	return data;
}

static uint8_t *hash_find(struct bpf_probe_map *m, const void *key)
{
	for (unsigned int i = 0; i < m->nkeys; i++)
		if (!memcmp(m->keys + i * m->key_size, key, m->key_size))
			return m->data + i * m->value_size;
	return NULL;
}

uint8_t *bpf_probe_env_hash_value(struct bpf_probe_env *e, int fd, const void *key)
{
	for (int i = 0; i < e->nmaps; i++)
		if (e->maps[i].fd == fd && e->maps[i].key_size)
			return hash_find(&e->maps[i], key);
	return NULL;
}

void bpf_probe_env_free(struct bpf_probe_env *e)
{
	free(e->rec);
	e->rec = NULL;
	for (int i = 0; i < e->nmaps; i++) {
		if (e->maps[i].owned)
			free(e->maps[i].data);
		free(e->maps[i].keys);
		e->maps[i].data = NULL;
		e->maps[i].keys = NULL;
	}
	e->nmaps = 0;
}

void bpf_probe_env_add_mem(struct bpf_probe_env *e, void *base, size_t len, bool user)
{
	if (e->nextra >= BPF_PROBE_MAX_MEM)
		abort();
	e->extra[e->nextra].base = base;
	e->extra[e->nextra].len = len;
	e->extra[e->nextra].user = user;
	e->nextra++;
}

static int probe_nargs(struct bpf_vm *vm, int id)
{
	switch (id) {
	case BPF_FUNC_get_current_pid_tgid:
	case BPF_FUNC_get_current_uid_gid:
	case BPF_FUNC_get_smp_processor_id:
	case BPF_FUNC_ktime_get_ns:
	case BPF_FUNC_get_current_task:
		return 0;
	case BPF_FUNC_get_func_ip:
		return 1;
	case BPF_FUNC_get_current_comm:
	case BPF_FUNC_ringbuf_submit:
	case BPF_FUNC_ringbuf_discard:
	case BPF_FUNC_map_lookup_elem:
		return 2;
	case BPF_FUNC_ringbuf_reserve:
	case BPF_FUNC_probe_read_kernel:
	case BPF_FUNC_probe_read_user:
	case BPF_FUNC_probe_read_kernel_str:
	case BPF_FUNC_probe_read_user_str:
	case BPF_FUNC_get_stackid:
		return 3;
	case BPF_FUNC_get_stack:
	case BPF_FUNC_map_update_elem:
		return 4;
	default:
		return -1;
	}
}

/* The helper's destination: @size writable bytes (the verifier checks that). */
static uint8_t *helper_dst(struct bpf_vm *vm, uint64_t dst, uint64_t size)
{
	if (size == 0 || size > 65536) {
		bpf_mem_fail(&vm->mem, "helper buffer size %llu", (unsigned long long)size);
		return NULL;
	}
	return bpf_mem_at(&vm->mem, dst, (size_t)size, BPF_MEM_W);
}

/* probe_read_{kernel,user}: all bytes or -EFAULT with the destination zeroed. */
static int64_t probe_read(struct bpf_vm *vm, uint8_t *dst, size_t size, uint64_t src, bool user)
{
	unsigned int need = user ? BPF_MEM_USER : BPF_MEM_KERNEL;
	char keep[sizeof(vm->err)];
	uint8_t *p;

	if (!bpf_mem_has(&vm->mem, src, need)) {
		memset(dst, 0, size);
		return -EFAULT;
	}
	/* A read running off the end of its region faults, as in the kernel. */
	snprintf(keep, sizeof(keep), "%s", vm->err);
	p = bpf_mem_at(&vm->mem, src, size, need);
	snprintf(vm->err, sizeof(vm->err), "%s", keep);
	if (!p) {
		memset(dst, 0, size);
		return -EFAULT;
	}
	memmove(dst, p, size);
	return 0;
}

/*
 * probe_read_{kernel,user}_str: copies up to @size - 1 bytes and a NUL,
 * returns the length with the NUL; -EFAULT (destination zeroed) when a
 * byte before that cannot be read.
 */
static int64_t probe_read_str(struct bpf_vm *vm, uint8_t *dst, size_t size, uint64_t src,
			      bool user)
{
	unsigned int need = user ? BPF_MEM_USER : BPF_MEM_KERNEL;
	size_t n;

	for (n = 0; n + 1 < size; n++) {
		uint8_t c;

		if (!bpf_mem_has(&vm->mem, src + n, need)) {
			memset(dst, 0, size);
			return -EFAULT;
		}
		c = *(uint8_t *)(uintptr_t)(src + n);
		dst[n] = c;
		if (!c)
			return (int64_t)n + 1;
	}
	dst[n] = '\0';
	return (int64_t)n + 1;
}

/* map_update_elem on a hash map: BPF_NOEXIST or BPF_ANY; -E2BIG when full. */
static bool hash_update(struct bpf_vm *vm, struct bpf_probe_env *e, const uint64_t *a,
			uint64_t *ret)
{
	for (int i = 0; i < e->nmaps; i++) {
		struct bpf_probe_map *m = &e->maps[i];
		uint8_t *k, *v, *old;

		if (a[0] != (BPF_INTERP_MAP_TAG | (uint32_t)m->fd) || !m->key_size)
			continue;
		k = bpf_mem_at(&vm->mem, a[1], m->key_size, BPF_MEM_R);
		v = k ? bpf_mem_at(&vm->mem, a[2], m->value_size, BPF_MEM_R) : NULL;
		if (!v || (a[3] != BPF_ANY && a[3] != BPF_NOEXIST))
			return false;
		old = hash_find(m, k);
		if (old && a[3] == BPF_NOEXIST) {
			*ret = (uint64_t)-EEXIST;
		} else if (!old && m->nkeys == m->max_entries) {
			*ret = (uint64_t)-E2BIG;
		} else {
			if (!old) {
				memcpy(m->keys + m->nkeys * m->key_size, k, m->key_size);
				old = m->data + m->nkeys++ * m->value_size;
			}
			memmove(old, v, m->value_size);
			*ret = 0;
		}
		return true;
	}
	bpf_mem_fail(&vm->mem, "map_update_elem on 0x%llx, not a hash map",
		     (unsigned long long)a[0]);
	return false;
}

static bool probe_call(struct bpf_vm *vm, int id, const uint64_t *a, uint64_t *ret)
{
	struct bpf_probe_env *e = vm->priv;
	uint8_t *dst;
	uint64_t key;

	if (id >= 0 && id < 256)
		e->calls[id]++;
	switch (id) {
	case BPF_FUNC_get_current_pid_tgid:
		*ret = e->pid_tgid;
		return true;
	case BPF_FUNC_get_current_uid_gid:
		*ret = e->uid_gid;
		return true;
	case BPF_FUNC_get_smp_processor_id:
		*ret = e->cpu;
		return true;
	case BPF_FUNC_ktime_get_ns:
		*ret = e->ktime;
		return true;
	case BPF_FUNC_get_current_task:
		*ret = (uintptr_t)e->task;
		return true;
	case BPF_FUNC_get_func_ip:
		if (a[0] != (uintptr_t)e->ctx)
			break;
		*ret = e->func_ip;
		return true;
	case BPF_FUNC_get_current_comm:
		dst = helper_dst(vm, a[0], a[1]);
		if (!dst)
			return false;
		/* strscpy_pad() */
		memset(dst, 0, a[1]);
		memcpy(dst, e->comm, a[1] - 1 < sizeof(e->comm) ? a[1] - 1 : sizeof(e->comm));
		dst[a[1] - 1] = '\0';
		*ret = 0;
		return true;
	case BPF_FUNC_ringbuf_reserve:
		if (a[0] != (BPF_INTERP_MAP_TAG | (uint32_t)e->events_fd)) {
			bpf_mem_fail(&vm->mem, "ringbuf_reserve on 0x%llx, not the ring buffer",
				     (unsigned long long)a[0]);
			return false;
		}
		if (a[2] || !a[1] || a[1] > 65536 || e->nreserved) {
			bpf_mem_fail(&vm->mem, "ringbuf_reserve(size %llu, flags %llu) #%d",
				     (unsigned long long)a[1], (unsigned long long)a[2],
				     e->nreserved + 1);
			return false;
		}
		e->nreserved++;
		if (e->ringbuf_full) {
			*ret = 0;
			return true;
		}
		free(e->rec);
		e->rec = malloc(a[1]);
		if (!e->rec)
			abort();
		/* Ring buffer memory is not cleared: garbage shows unwritten bytes. */
		memset(e->rec, 0xee, a[1]);
		e->rec_size = a[1];
		bpf_mem_add(&vm->mem, e->rec, e->rec_size,
			    BPF_MEM_R | BPF_MEM_W | BPF_MEM_KERNEL, NULL, "record");
		*ret = (uintptr_t)e->rec;
		return true;
	case BPF_FUNC_ringbuf_submit:
	case BPF_FUNC_ringbuf_discard:
		if (!e->rec || a[0] != (uintptr_t)e->rec || a[1] ||
		    e->nsubmitted + e->ndiscarded) {
			bpf_mem_fail(&vm->mem, "ringbuf_%s(0x%llx, %llu) of no record or twice",
				     id == BPF_FUNC_ringbuf_submit ? "submit" : "discard",
				     (unsigned long long)a[0], (unsigned long long)a[1]);
			return false;
		}
		if (id == BPF_FUNC_ringbuf_submit)
			e->nsubmitted++;
		else
			e->ndiscarded++;
		/* The record belongs to the reader now. */
		bpf_mem_revoke(&vm->mem, e->rec);
		*ret = 0;
		return true;
	case BPF_FUNC_map_lookup_elem:
		for (int i = 0; i < e->nmaps; i++) {
			struct bpf_probe_map *m = &e->maps[i];

			if (a[0] != (BPF_INTERP_MAP_TAG | (uint32_t)m->fd))
				continue;
			if (m->key_size) {
				/* Every byte of the key must be set, as the verifier wants. */
				uint8_t *k = bpf_mem_at(&vm->mem, a[1], m->key_size, BPF_MEM_R);

				if (!k)
					return false;
				*ret = (uintptr_t)hash_find(m, k);
				return true;
			}
			if (!bpf_mem_load(&vm->mem, a[1], 4, &key))
				return false;
			*ret = key < m->max_entries ?
			       (uintptr_t)(m->data + key * m->value_size) : 0;
			return true;
		}
		bpf_mem_fail(&vm->mem, "map_lookup_elem on 0x%llx, not a known map",
			     (unsigned long long)a[0]);
		return false;
	case BPF_FUNC_map_update_elem:
		return hash_update(vm, e, a, ret);
	case BPF_FUNC_get_stackid:
		if (a[0] != (uintptr_t)e->ctx || (a[2] & ~(uint64_t)BPF_F_USER_STACK))
			break;
		*ret = (uint64_t)(a[2] & BPF_F_USER_STACK ? e->ustackid : e->stackid);
		return true;
	case BPF_FUNC_probe_read_kernel:
	case BPF_FUNC_probe_read_user:
		dst = helper_dst(vm, a[0], a[1]);
		if (!dst)
			return false;
		*ret = (uint64_t)probe_read(vm, dst, a[1], a[2], id == BPF_FUNC_probe_read_user);
		return true;
	case BPF_FUNC_probe_read_kernel_str:
	case BPF_FUNC_probe_read_user_str:
		dst = helper_dst(vm, a[0], a[1]);
		if (!dst)
			return false;
		*ret = (uint64_t)probe_read_str(vm, dst, a[1], a[2],
						id == BPF_FUNC_probe_read_user_str);
		return true;
	case BPF_FUNC_get_stack:
		if (a[0] != (uintptr_t)e->ctx || (a[3] & ~(uint64_t)BPF_F_USER_STACK) ||
		    !helper_dst(vm, a[1], a[2]))
			break;
		*ret = 0;
		return true;
	}
	bpf_mem_fail(&vm->mem, "bad call to helper %d", id);
	return false;
}

/* Direct value access (the stop flag): the first value of an array map. */
static bool probe_map_value(struct bpf_vm *vm, int fd, int32_t off, uint64_t *addr)
{
	struct bpf_probe_env *e = vm->priv;

	for (int i = 0; i < e->nmaps; i++) {
		struct bpf_probe_map *m = &e->maps[i];

		if (m->fd != fd)
			continue;
		if (off < 0 || (size_t)off >= m->value_size)
			return false;
		*addr = (uintptr_t)(m->data + off);
		return true;
	}
	return false;
}

static const struct bpf_vm_ops probe_ops = {
	.nargs = probe_nargs,
	.call = probe_call,
	.map_value = probe_map_value,
};

int bpf_probe_run(struct bpf_probe_env *e, const struct bpf_insn *prog, size_t cnt)
{
	struct bpf_vm *vm = calloc(1, sizeof(*vm));
	int ret;

	if (!vm)
		abort();
	free(e->rec);
	e->rec = NULL;
	e->rec_size = 0;
	e->nreserved = e->nsubmitted = e->ndiscarded = 0;
	memset(e->calls, 0, sizeof(e->calls));
	e->err[0] = '\0';
	bpf_vm_init(vm, &probe_ops, e);
	if (e->ctx)
		bpf_mem_add(&vm->mem, e->ctx, e->ctx_len, BPF_MEM_R | BPF_MEM_KERNEL, NULL,
			    "ctx");
	bpf_mem_add(&vm->mem, e->task, sizeof(e->task), BPF_MEM_KERNEL, NULL, "task");
	for (int i = 0; i < e->nmaps; i++)
		bpf_mem_add(&vm->mem, e->maps[i].data, e->maps[i].value_size *
			    e->maps[i].max_entries, BPF_MEM_R | BPF_MEM_W | BPF_MEM_KERNEL, NULL,
			    e->maps[i].fd == e->lost_fd ? "lost counters" : "map value");
	for (int i = 0; i < e->nextra; i++)
		bpf_mem_add(&vm->mem, e->extra[i].base, e->extra[i].len,
			    e->extra[i].user ? BPF_MEM_USER : BPF_MEM_KERNEL, NULL,
			    e->extra[i].user ? "user memory" : "kernel memory");
	ret = bpf_vm_run(vm, prog, cnt, (uintptr_t)e->ctx, &e->ret);
	if (!ret && e->rec && !(e->nsubmitted + e->ndiscarded)) {
		snprintf(vm->err, sizeof(vm->err), "the record is neither submitted nor discarded");
		ret = -1;
	}
	if (ret)
		snprintf(e->err, sizeof(e->err), "%s", vm->err);
	free(vm);
	return ret;
}
