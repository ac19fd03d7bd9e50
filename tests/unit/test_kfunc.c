// SPDX-License-Identifier: BSD-2-Clause
/*
 * Where the kernel-function provider says values live, for each mechanism:
 * argument slots from BTF (a struct passed by value takes two), fexit's
 * return value after them, syscall wrappers (both x86 conventions, or
 * arm64's), and registers by name. Also the table against the running
 * kernel's own BTF.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "arch/arch.h"
#include "providers/kfunc.h"
#include "providers/provider.h"
#include "session.h"
#include "types/ktypes.h"
#include "unit.h"
#include "util.h"

/* long fn(struct pair16 a, int b, char *c): a takes two slots. */
static struct btf *fn_btf(void)
{
	struct btf *b = btf__new_empty();
	int t_long, t_int, t_char, t_ptr, t_pair, proto;

	if (!b)
		abort();
	t_long = btf__add_int(b, "long int", 8, BTF_INT_SIGNED);
	t_int = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	t_char = btf__add_int(b, "char", 1, BTF_INT_SIGNED);
	t_ptr = btf__add_ptr(b, t_char);
	t_pair = btf__add_struct(b, "pair16", 16);
	if (btf__add_field(b, "x", t_long, 0, 0) || btf__add_field(b, "y", t_long, 64, 0))
		abort();
	proto = btf__add_func_proto(b, t_long);
	if (btf__add_func_param(b, "a", t_pair) || btf__add_func_param(b, "b", t_int) ||
	    btf__add_func_param(b, "c", t_ptr) ||
	    btf__add_func(b, "fn", BTF_FUNC_GLOBAL, proto) < 0)
		abort();
	return b;
}

struct fixture {
	struct session s;
	struct probe p;
	struct kfunc k;
	struct ktarget t;
};

static void setup(struct fixture *f, const char *func, enum kmech mech, bool ret)
{
	memset(f, 0, sizeof(*f));
	session_init(&f->s);
	f->s.btf_tried = true;
	f->s.vmlinux_btf = fn_btf();
	f->t.name = (char *)func;
	f->k.targets = &f->t;
	f->k.ntargets = 1;
	f->k.cur = -1;
	f->k.nparams = -1;
	f->k.mech = mech;
	f->k.is_return = ret;
	f->k.syscall = arch_syscall_abi(arch_current(), func);
	f->k.attr.attach_btf_obj_fd = -1;
	f->p.priv = &f->k;
	f->p.prov = &kfunc_provider;
	f->p.func_name = (char *)func;
}

static void done(struct fixture *f)
{
	btf__free(f->s.vmlinux_btf);
	f->s.vmlinux_btf = NULL;
	sb_free(&f->k.failures);
}

UNIT_TEST(kfunc_fentry_slots_from_btf)
{
	struct fixture f;
	unsigned int id;
	struct loc l;

	setup(&f, "fn", KMECH_FENTRY, true);
	CHECK_EQ_INT(kfunc_prototype(&f.s, &f.p, 0, &id, true), 0);
	CHECK_EQ_INT(f.k.nparams, 3);
	CHECK_EQ_INT(f.k.nslots, 4);
	/* Parameter b follows the two slots of a. */
	kfunc_provider.arg(&f.p, 2, true, &l);
	CHECK(l.kind == LOC_CTX && l.off == 16 && l.size == 8);
	kfunc_provider.arg(&f.p, 3, true, &l);
	CHECK(l.kind == LOC_CTX && l.off == 24);
	/* arg2 is the second slot, as BCC numbers them. */
	kfunc_provider.arg(&f.p, 2, false, &l);
	CHECK(l.kind == LOC_CTX && l.off == 8);
	/* fexit: the return value after all four slots, not after three. */
	kfunc_provider.retval(&f.p, &l);
	CHECK(l.kind == LOC_CTX && l.off == 32);
	/* fentry has no registers, and no arg4 here. */
	kfunc_provider.ctx_reg(&f.p, "dx", &l);
	CHECK(l.kind == LOC_NONE && strstr(l.why, "needs kprobes"));
	kfunc_provider.arg(&f.p, 4, false, &l);
	CHECK_EQ_INT(l.kind, LOC_NONE);
	CHECK_EQ_STR(l.why, "fn takes 3 arguments, there is no arg4");
	done(&f);
}

UNIT_TEST(kfunc_kprobe_registers)
{
	const struct arch *a = arch_current();
	struct fixture f;
	unsigned int id;
	struct loc l;

	setup(&f, "fn", KMECH_KPROBE, false);
	CHECK_EQ_INT(kfunc_prototype(&f.s, &f.p, 0, &id, true), 0);
	/* In registers too, a 16-byte struct takes two: b is the third. */
	kfunc_provider.arg(&f.p, 2, true, &l);
	CHECK(l.kind == LOC_CTX && l.off == a->args[2]);
	kfunc_provider.arg(&f.p, 1, false, &l);
	CHECK(l.kind == LOC_CTX && l.off == a->args[0]);
	if (a->elf_machine == EM_X86_64) {
		kfunc_provider.ctx_reg(&f.p, "dx", &l);
		CHECK(l.kind == LOC_CTX && l.size == 8 && l.off == arch_field(a, "dx")->off);
		kfunc_provider.ctx_reg(&f.p, "r10d", &l);
		CHECK(l.kind == LOC_CTX && l.size == 4 && l.off == arch_field(a, "r10")->off);
		kfunc_provider.ctx_reg(&f.p, "ah", &l);
		CHECK(l.kind == LOC_CTX && l.size == 1 && l.off == arch_field(a, "ax")->off + 1);
	} else {
		kfunc_provider.ctx_reg(&f.p, "x2", &l);
		CHECK(l.kind == LOC_CTX && l.size == 8 && l.off == a->args[2]);
		kfunc_provider.ctx_reg(&f.p, "w10", &l);
		CHECK(l.kind == LOC_CTX && l.size == 4 && l.off == arch_reg(a, "x10")->off);
		kfunc_provider.ctx_reg(&f.p, "pc", &l);
		CHECK(l.kind == LOC_CTX && l.size == 8 && l.off == a->ip);
	}
	kfunc_provider.ctx_reg(&f.p, "xyz", &l);
	CHECK_EQ_INT(l.kind, LOC_NONE);
	kfunc_provider.retval(&f.p, &l);
	CHECK(l.kind == LOC_NONE && strstr(l.why, "only available in return probes"));
	done(&f);
	/* kretprobes have the return value, not the arguments. */
	setup(&f, "fn", KMECH_KPROBE, true);
	kfunc_provider.retval(&f.p, &l);
	CHECK(l.kind == LOC_CTX && l.off == a->ret);
	kfunc_provider.arg(&f.p, 1, false, &l);
	CHECK(l.kind == LOC_NONE && strstr(l.why, "not available in a return probe"));
	done(&f);
}

/* arm64 wrappers: the inner pt_regs has the arguments in x0..x5. */
static void syscall_wrappers_arm64(const struct arch *a, int *unit_failed)
{
	struct fixture f;
	struct loc l;

	setup(&f, "__arm64_sys_openat", KMECH_KPROBE, false);
	kfunc_provider.arg(&f.p, 4, false, &l);
	CHECK(l.kind == LOC_MEM && l.base == a->args[0] && l.size == 8 && l.user_ptr);
	CHECK_EQ_INT(l.disp, arch_reg(a, "x3")->off);
	done(&f);
	setup(&f, "__arm64_compat_sys_openat", KMECH_KPROBE, false);
	kfunc_provider.arg(&f.p, 1, false, &l);
	CHECK(l.kind == LOC_MEM && l.size == 4 && l.disp == arch_reg(a, "x0")->off);
	done(&f);
	setup(&f, "__arm64_sys_openat", KMECH_FENTRY, false);
	kfunc_provider.arg(&f.p, 2, false, &l);
	CHECK(l.kind == LOC_MEM && l.base == 0 && l.disp == arch_reg(a, "x1")->off);
	done(&f);
}

UNIT_TEST(kfunc_syscall_wrappers)
{
	const struct arch *a = arch_current();
	struct fixture f;
	struct loc l;

	if (a->elf_machine == EM_AARCH64) {
		syscall_wrappers_arm64(a, unit_failed);
		return;
	}
	/* x86-64 wrappers: the fourth argument is r10, 8 bytes, user pointers. */
	setup(&f, "__x64_sys_openat", KMECH_KPROBE, false);
	kfunc_provider.arg(&f.p, 4, false, &l);
	CHECK(l.kind == LOC_MEM && l.base == a->args[0] && l.size == 8 && l.user_ptr);
	CHECK_EQ_INT(l.disp, arch_field(a, "r10")->off);
	done(&f);
	/* ia32 wrappers: ebx, ecx, ... and 32-bit values. */
	setup(&f, "__ia32_sys_openat", KMECH_KPROBE, false);
	kfunc_provider.arg(&f.p, 1, false, &l);
	CHECK(l.kind == LOC_MEM && l.size == 4 && l.disp == arch_field(a, "bx")->off);
	kfunc_provider.arg(&f.p, 6, false, &l);
	CHECK(l.kind == LOC_MEM && l.disp == arch_field(a, "bp")->off);
	done(&f);
	/* With fentry, the inner pt_regs pointer is the first slot. */
	setup(&f, "__x64_sys_openat", KMECH_FENTRY, false);
	kfunc_provider.arg(&f.p, 2, false, &l);
	CHECK(l.kind == LOC_MEM && l.base == 0 && l.disp == arch_field(a, "si")->off);
	done(&f);
}

/*
 * -K of a kprobe at a function's entry: on arm64 the caller comes from the
 * link register (the stack walk misses it); not at an offset, not at
 * return, not with fentry, and never on x86-64, whose walk has it. At a
 * user function's entry the return address is in lr, or at the stack
 * pointer on x86-64.
 */
UNIT_TEST(kfunc_kstack_caller_and_entry_ret)
{
	const struct arch *a = arch_current();
	struct fixture f;
	struct loc l;

	setup(&f, "fn", KMECH_KPROBE, false);
	kfunc_provider.kstack_caller(&f.p, &l);
	if (a->elf_machine == EM_AARCH64)
		CHECK(l.kind == LOC_CTX && l.off == arch_reg(a, "lr")->off && l.size == 8);
	else
		CHECK_EQ_INT(l.kind, LOC_NONE);
	f.p.spec.has_offset = true;
	kfunc_provider.kstack_caller(&f.p, &l);
	CHECK_EQ_INT(l.kind, LOC_NONE);
	done(&f);
	setup(&f, "fn", KMECH_KPROBE, true);
	kfunc_provider.kstack_caller(&f.p, &l);
	CHECK_EQ_INT(l.kind, LOC_NONE);
	done(&f);
	setup(&f, "fn", KMECH_FENTRY, false);
	kfunc_provider.kstack_caller(&f.p, &l);
	CHECK_EQ_INT(l.kind, LOC_NONE);
	done(&f);
	uprobe_provider.entry_ret(NULL, &l);
	if (a->elf_machine == EM_AARCH64)
		CHECK(l.kind == LOC_CTX && l.off == a->entry_ret && l.user_ptr);
	else
		CHECK(l.kind == LOC_MEM && l.base == a->sp && l.index < 0 && !l.disp &&
		      l.mem_user && l.size == 8);
}

/*
 * Whether the kernel's pt_regs has most of @a's members: not so when this
 * test runs under user-mode emulation on another architecture's kernel.
 */
static bool native_btf(const struct btf *btf, __u32 id, const struct arch *a)
{
	size_t found = 0;

	for (size_t i = 0; i < a->nfields; i++) {
		__u32 type, bit_off, bits;

		found += !ktype_member(btf, id, a->fields[i].name, &type, &bit_off, &bits);
	}
	return found * 2 > a->nfields;
}

/* The table against the running kernel's struct pt_regs, when it has BTF. */
UNIT_TEST(arch_table_matches_kernel_btf)
{
	const struct arch *a = arch_current();
	struct btf *btf = btf__load_vmlinux_btf();
	int id;

	if (!btf) {
		fprintf(stderr, "  (no kernel BTF here: nothing to compare)\n");
		return;
	}
	id = btf__find_by_name_kind(btf, "pt_regs", BTF_KIND_STRUCT);
	CHECK(id > 0);
	if (id > 0 && !native_btf(btf, (__u32)id, a)) {
		fprintf(stderr, "  (the kernel's BTF is of another architecture: emulated?)\n");
		id = 0;
	}
	if (id > 0) {
		const struct btf_type *t = btf__type_by_id(btf, (__u32)id);

		CHECK_EQ_INT(t->size, a->regs_size);
		for (size_t i = 0; i < a->nfields; i++) {
			__u32 type, bit_off, bits;

			if (ktype_member(btf, (__u32)id, a->fields[i].name, &type, &bit_off, &bits)) {
				fprintf(stderr, "  pt_regs has no member %s\n", a->fields[i].name);
				CHECK(0);
				continue;
			}
			CHECK_EQ_INT(bit_off / 8, a->fields[i].off);
		}
	}
	btf__free(btf);
}

static void collect(const char *spec, const char *detail, void *arg)
{
	struct strbuf *sb = arg;

	sb_printf(sb, "%s\n%s", spec, detail ? detail : "");
}

/* Listing what can be probed, in spec syntax (for -l): on the live tracefs. */
UNIT_TEST(provider_lists_tracepoints)
{
	struct strbuf out = { 0 };
	struct lister l = { .emit = collect, .arg = &out };
	struct session s;

	if (access("/sys/kernel/tracing/events/sched/sched_switch", F_OK)) {
		fprintf(stderr, "  (no readable tracefs here: nothing to list)\n");
		return;
	}
	session_init(&s);
	CHECK_EQ_INT(tracepoint_provider.list(&s, "t:sched:sched_swi*", &l), 0);
	CHECK_EQ_STR(out.buf, "t:sched:sched_switch\n");
	sb_reset(&out);
	CHECK_EQ_INT(tracepoint_provider.list(&s, NULL, &l), 0);
	CHECK(out.buf && strstr(out.buf, "\nt:syscalls:sys_enter_openat\n"));
	CHECK(out.buf && !strstr(out.buf, ":enable\n") && !strstr(out.buf, ":filter\n"));
	sb_reset(&out);
	/* -lv: the fields, as C declarations, without the common ones. */
	l.verbose = true;
	CHECK_EQ_INT(tracepoint_provider.list(&s, "t:syscalls:sys_enter_openat", &l), 0);
	CHECK_EQ_STR(out.buf, "t:syscalls:sys_enter_openat\nint __syscall_nr\nint dfd\n"
			      "const char *filename\nint flags\numode_t mode\n");
	sb_free(&out);
	session_teardown(&s);
}
