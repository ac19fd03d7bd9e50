// SPDX-License-Identifier: BSD-2-Clause
/*
 * The probe language, compiled and run: every probe here goes through
 * spec_parse() and codegen_probe(), and the program runs in the BPF
 * interpreter of bpf_interp.c against a fake tracepoint record laid out
 * from a format file. A case checks whether a record was submitted, the
 * values in it and the message fmt_render() makes of them, or the exact
 * error (with its column) printed for a probe that must not compile.
 *
 * Expressions over integers are also written as C: the fields of the
 * inline "etrace:expr" event live in a C struct reached through a pointer
 * called args, so "args->s8 * args->u16" means the same in both languages
 * and the C compiler gives the expected value.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "bpf_interp.h"
#include "compile/codegen.h"
#include "compile/disasm.h"
#include "providers/provider.h"
#include "runtime/maps.h"
#include "output/format.h"
#include "runtime/record.h"
#include "session.h"
#include "spec/spec.h"
#include "types/tpformat.h"
#include "unit.h"
#include "util.h"

/* Programs name maps by role; the interpreter knows them by those numbers. */
#define EVENTS_FD MAP_EVENTS
#define LOST_FD MAP_LOST
#define SCRATCH_FD MAP_SCRATCH
#define CTL_FD MAP_CTL
#define SCRATCH_SIZE 4096
#define SELF_PID 999

/* --- fixtures: a tracepoint record laid out from its format ---------------- */

struct fx {
	char *text;		/* the format file */
	struct tp_format tp;
	uint8_t ctx[1024];
	size_t fixed;		/* end of the fixed fields */
	size_t len;		/* fixed fields + dynamic data */
	char user[2048];	/* user-space strings */
	size_t user_len;
	char kmem[1024];	/* kernel strings */
	size_t kmem_len;
};

static void fx_setup(struct fx *f, char *text)
{
	char err[256];

	memset(f, 0, sizeof(*f));
	f->text = text;
	if (!text || tp_format_parse(text, &f->tp, err, sizeof(err))) {
		fprintf(stderr, "  bad fixture: %s\n", text ? err : strerror(errno));
		abort();
	}
	for (size_t i = 0; i < f->tp.nfields; i++) {
		const struct tp_field *fld = &f->tp.fields[i];

		if ((size_t)(fld->offset + fld->size) > f->fixed)
			f->fixed = (size_t)(fld->offset + fld->size);
	}
	f->fixed = (f->fixed + 7) & ~(size_t)7;
	f->len = f->fixed;
	/* Bytes nobody set are recognisable. */
	memset(f->ctx, 0x5a, sizeof(f->ctx));
}

/* tests/unit/data/tp-<name>.format */
static void fx_load(struct fx *f, const char *name)
{
	char *path = xasprintf("%s/data/tp-%s.format", unit_data_dir(), name);

	fx_setup(f, read_file(path, NULL));
	free(path);
}

static void fx_inline(struct fx *f, const char *text)
{
	fx_setup(f, xstrdup(text));
}

static void fx_free(struct fx *f)
{
	tp_format_free(&f->tp);
	free(f->text);
}

static const struct tp_field *fx_field(struct fx *f, const char *name)
{
	const struct tp_field *fld = tp_format_field(&f->tp, name);

	if (!fld) {
		fprintf(stderr, "  fixture %s has no field %s\n", f->tp.name, name);
		abort();
	}
	return fld;
}

/* The low bytes of @v into field @name (little-endian, its size). */
static void fx_set(struct fx *f, const char *name, uint64_t v)
{
	const struct tp_field *fld = fx_field(f, name);

	memcpy(f->ctx + fld->offset, &v, fld->size < 8 ? (size_t)fld->size : 8);
}

/* The value of field @name (8 bytes at most, zero-extended). */
static uint64_t fx_get(struct fx *f, const char *name)
{
	const struct tp_field *fld = fx_field(f, name);
	uint64_t v = 0;

	memcpy(&v, f->ctx + fld->offset, fld->size < 8 ? (size_t)fld->size : 8);
	return v;
}

/* Element @i of array field @name, @esize bytes each. */
static void fx_set_elem(struct fx *f, const char *name, int i, int esize, uint64_t v)
{
	const struct tp_field *fld = fx_field(f, name);

	memcpy(f->ctx + fld->offset + i * esize, &v, (size_t)esize);
}

/* A char array field: @s and its NUL, as far as the field has room. */
static void fx_set_str(struct fx *f, const char *name, const char *s)
{
	const struct tp_field *fld = fx_field(f, name);
	size_t n = strlen(s) + 1;

	memcpy(f->ctx + fld->offset, s, n < (size_t)fld->size ? n : (size_t)fld->size);
}

/* Dynamic data for a __data_loc or __rel_loc field. */
static void fx_set_loc(struct fx *f, const char *name, const void *data, size_t len)
{
	const struct tp_field *fld = fx_field(f, name);
	size_t off = f->len;
	uint32_t loc;

	memcpy(f->ctx + off, data, len);
	f->len = (off + len + 7) & ~(size_t)7;
	if (fld->rel_loc)
		off -= (size_t)(fld->offset + fld->size);
	loc = (uint32_t)(len << 16 | off);
	memcpy(f->ctx + fld->offset, &loc, 4);
}

static void fx_set_loc_str(struct fx *f, const char *name, const char *s)
{
	fx_set_loc(f, name, s, strlen(s) + 1);
}

/* A string in the traced process's memory; returns its address. */
static uint64_t fx_user_str(struct fx *f, const char *s)
{
	char *p = f->user + f->user_len;

	f->user_len += strlen(s) + 1;
	if (f->user_len > sizeof(f->user))
		abort();
	memcpy(p, s, strlen(s) + 1);
	return (uintptr_t)p;
}

/* Bytes in kernel memory (no NUL added); returns their address. */
static uint64_t fx_kernel_bytes(struct fx *f, const void *data, size_t len)
{
	char *p = f->kmem + f->kmem_len;

	f->kmem_len += len;
	if (f->kmem_len > sizeof(f->kmem))
		abort();
	memcpy(p, data, len);
	return (uintptr_t)p;
}

static uint64_t fx_kernel_str(struct fx *f, const char *s)
{
	return fx_kernel_bytes(f, s, strlen(s) + 1);
}

/* --- compiling and running one probe ------------------------------------- */

/* The run-time options and the task that hits the probe. */
struct cfg {
	int string_size;
	bool include_self;
	pid_t self, pid, tid;
	long uid;
	bool timestamp, kstack, print_cpu;
	int probe_id;
	uint64_t pid_tgid, uid_gid;
	bool ringbuf_full;
	bool stopped;		/* the stop flag is set */
	bool listing;		/* keep the program's listing in res.listing */
	struct btf *btf;	/* kernel types; NULL: none */
	const void *task;	/* contents of the current task_struct */
	size_t task_len;
};

static struct cfg cfg_default(void)
{
	return (struct cfg){
		.string_size = 80, .include_self = false, .self = SELF_PID, .uid = -1,
		.pid_tgid = (4242ull << 32) | 4243, .uid_gid = (100ull << 32) | 1000,
	};
}

struct res {
	int spec_ret;		/* spec_parse */
	int ret;		/* codegen_probe */
	char err[2048];		/* what it printed on stderr */
	size_t ninsns;
	int run_ret;		/* the interpreter: 0 or -1 */
	char run_err[256];
	bool submitted;
	int nreserved;
	uint64_t lost;
	int calls[256];
	uint64_t task;		/* what get_current_task() returned */
	struct rec_hdr hdr;
	size_t rec_size;
	uint8_t values[8192];	/* the record after the header */
	size_t nslots;
	struct value_slot slots[64];
	char msg[8192];		/* the rendered message */
	char *listing;		/* the program, disassembled (cfg.listing) */
};

static const char *role_name(int role, void *arg)
{
	return maps_name(arg, role);
}

/* Runs @fn with stderr going into @buf. */
static void capture_stderr(char *buf, size_t len, void (*fn)(void *), void *arg)
{
	FILE *tmp = tmpfile();
	int saved;
	size_t n;

	if (!tmp)
		abort();
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tmp), 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, len - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
}

struct compile_job {
	struct session *s;
	struct probe *p;
	struct bpf_insn *insns;
	size_t cnt;
	int ret;
};

static void compile_fn(void *arg)
{
	/* EXPR_DUMP=1 in the environment: the IR and the program on stdout. */
	FILE *listing = getenv("EXPR_DUMP") ? stdout : NULL;
	struct compile_job *j = arg;

	j->ret = codegen_probe(j->s, j->p, &j->insns, &j->cnt, listing);
	if (listing && !j->ret)
		disasm_print(j->insns, j->cnt, listing, "    ", NULL, NULL);
}

/* Compile @text (a probe on fixture @f's event) and run it once. */
static void run_probe(struct fx *f, const struct cfg *c, const char *text, struct res *r)
{
	struct compile_job j = { 0 };
	struct bpf_probe_env *env = xcalloc(1, sizeof(*env));
	struct session s;
	struct probe *p;
	struct tp_format *tp;
	char err[512];

	memset(r, 0, sizeof(*r));
	r->run_ret = -1;
	session_init(&s);
	s.opt.string_size = c->string_size;
	s.opt.include_self = c->include_self;
	s.opt.pid = c->pid;
	s.opt.tid = c->tid;
	s.opt.uid = c->uid;
	s.opt.timestamp = c->timestamp;
	s.opt.kstack = c->kstack;
	s.opt.print_cpu = c->print_cpu;
	s.self = c->self;
	/* Kernel types only when the case brings them: results must not depend on the host. */
	s.btf_tried = true;
	s.vmlinux_btf = c->btf;
	s.nprobes = 1;
	s.probes = p = xcalloc(1, sizeof(*p));
	p->id = c->probe_id;
	p->rt.prog_fd = -1;
	r->spec_ret = spec_parse(text, 1, &p->spec, err, sizeof(err));
	if (r->spec_ret) {
		snprintf(r->err, sizeof(r->err), "spec_parse: %s", err);
		goto out;
	}
	/* What the tracepoint provider's resolve step would set up. */
	tp = xcalloc(1, sizeof(*tp));
	if (tp_format_parse(f->text, tp, err, sizeof(err)))
		abort();
	p->prov = &tracepoint_provider;
	p->priv = tp;
	p->fields = tp;
	p->func_name = xstrdup(p->spec.function);
	j.s = &s;
	j.p = p;
	capture_stderr(r->err, sizeof(r->err), compile_fn, &j);
	r->ret = j.ret;
	r->ninsns = j.cnt;
	if (j.ret)
		goto out;
	if (c->listing) {
		size_t len;
		FILE *mem = open_memstream(&r->listing, &len);

		disasm_print(j.insns, j.cnt, mem, "", role_name, &s);
		fclose(mem);
	}
	bpf_probe_env_init(env);
	env->events_fd = EVENTS_FD;
	env->lost_fd = env->maps[0].fd = LOST_FD;
	env->ctx = f->ctx;
	env->ctx_len = f->len;
	env->pid_tgid = c->pid_tgid;
	env->uid_gid = c->uid_gid;
	bpf_probe_env_add_array(env, SCRATCH_FD, SCRATCH_SIZE, BPF_PROBE_LOST_KEYS);
	memset(bpf_probe_env_add_array(env, CTL_FD, 8, 1), 0, 8);
	env->maps[env->nmaps - 1].data[0] = c->stopped;
	env->ringbuf_full = c->ringbuf_full;
	memset(env->task, 0, sizeof(env->task));
	if (c->task)
		memcpy(env->task, c->task, c->task_len);
	if (f->user_len)
		bpf_probe_env_add_mem(env, f->user, f->user_len, true);
	if (f->kmem_len)
		bpf_probe_env_add_mem(env, f->kmem, f->kmem_len, false);
	r->run_ret = bpf_probe_run(env, j.insns, j.cnt);
	snprintf(r->run_err, sizeof(r->run_err), "%s", env->err);
	r->submitted = env->nsubmitted == 1;
	r->task = (uintptr_t)env->task;
	r->nreserved = env->nreserved;
	r->lost = env->lost[c->probe_id % BPF_PROBE_LOST_KEYS];
	memcpy(r->calls, env->calls, sizeof(r->calls));
	r->rec_size = env->rec_size;
	if (env->rec && env->rec_size >= sizeof(r->hdr) &&
	    env->rec_size - sizeof(r->hdr) <= sizeof(r->values)) {
		memcpy(&r->hdr, env->rec, sizeof(r->hdr));
		memcpy(r->values, env->rec + sizeof(r->hdr), env->rec_size - sizeof(r->hdr));
	}
	r->nslots = p->layout.nslots < 64 ? p->layout.nslots : 64;
	if (r->nslots)
		memcpy(r->slots, p->layout.slots, r->nslots * sizeof(*p->layout.slots));
	if (r->submitted && p->layout.fmt) {
		const void *vals[64];
		struct strbuf msg = { 0 };

		for (size_t i = 0; i < r->nslots; i++)
			vals[i] = r->values + p->layout.slots[i].offset;
		fmt_render(p->layout.fmt, vals, c->string_size, NULL, false, &msg);
		snprintf(r->msg, sizeof(r->msg), "%s", msg.buf ? msg.buf : "");
		sb_free(&msg);
	}
	bpf_probe_env_free(env);
out:
	free(j.insns);
	free(env);
	/* The BTF belongs to the case. */
	s.vmlinux_btf = NULL;
	session_teardown(&s);
}

/* Slot @i of a record as an integer. */
static uint64_t res_int(const struct res *r, size_t i)
{
	uint64_t v;

	memcpy(&v, r->values + r->slots[i].offset, 8);
	return v;
}

static const char *res_str(const struct res *r, size_t i)
{
	return (const char *)r->values + r->slots[i].offset;
}

/* Compiled and ran cleanly: no message, no interpreter error. */
static bool res_ran(const struct res *r, const char *text, int line)
{
	if (r->spec_ret || r->ret || r->err[0]) {
		fprintf(stderr, "  %s:%d: '%s' does not compile: %s", __FILE__, line, text,
			r->err);
		return false;
	}
	if (r->run_ret) {
		fprintf(stderr, "  %s:%d: '%s' fails in the interpreter: %s\n", __FILE__, line,
			text, r->run_err);
		return false;
	}
	return true;
}

/* @text must submit one record whose message is @want. */
static bool expect_msg(struct fx *f, const struct cfg *c, const char *text, const char *want,
		       int line)
{
	struct res *r = xmalloc(sizeof(*r));
	bool ok;

	run_probe(f, c, text, r);
	ok = res_ran(r, text, line);
	if (ok && !r->submitted) {
		fprintf(stderr, "  %s:%d: '%s' submitted nothing (want \"%s\")\n", __FILE__,
			line, text, want);
		ok = false;
	} else if (ok && strcmp(r->msg, want)) {
		fprintf(stderr, "  %s:%d: '%s' gives \"%s\", want \"%s\"\n", __FILE__, line,
			text, r->msg, want);
		ok = false;
	}
	free(r);
	return ok;
}

/* @text must compile, run and (@hit) submit a record or (!@hit) reserve nothing. */
static bool expect_hit(struct fx *f, const struct cfg *c, const char *text, bool hit, int line)
{
	struct res *r = xmalloc(sizeof(*r));
	bool ok;

	run_probe(f, c, text, r);
	ok = res_ran(r, text, line);
	if (ok && (r->submitted != hit || r->nreserved != (int)hit)) {
		fprintf(stderr, "  %s:%d: '%s' %s\n", __FILE__, line, text,
			hit ? "submitted nothing" : "was not filtered out");
		ok = false;
	}
	free(r);
	return ok;
}

/* @text must not compile, with exactly @want (one line, no "etrace: ") on stderr. */
static bool expect_err(struct fx *f, const struct cfg *c, const char *text, const char *want,
		       int line)
{
	struct res *r = xmalloc(sizeof(*r));
	char *full = xasprintf("etrace: %s\n", want);
	bool ok = true;

	run_probe(f, c, text, r);
	if (r->spec_ret) {
		fprintf(stderr, "  %s:%d: '%s': %s\n", __FILE__, line, text, r->err);
		ok = false;
	} else if (r->ret != ERR_USAGE || strcmp(r->err, full)) {
		fprintf(stderr, "  %s:%d: '%s' returns %d and prints \"%s\", want \"%s\"\n",
			__FILE__, line, text, r->ret, r->err, want);
		ok = false;
	}
	free(full);
	free(r);
	return ok;
}

#define MSG(f, text, want) CHECK(expect_msg(f, &cfg, text, want, __LINE__))
#define HIT(f, text) CHECK(expect_hit(f, &cfg, text, true, __LINE__))
#define MISS(f, text) CHECK(expect_hit(f, &cfg, text, false, __LINE__))
#define ERR(f, text, want) CHECK(expect_err(f, &cfg, text, want, __LINE__))


/* A run for checks of its own, which must compile and run; free() it. */
static struct res *run(struct fx *f, const struct cfg *c, const char *text, int line,
		       int *unit_failed)
{
	struct res *r = xmalloc(sizeof(*r));

	run_probe(f, c, text, r);
	if (!res_ran(r, text, line))
		*unit_failed = 1;
	return r;
}

#define RUN(f, text) run(f, &cfg, text, __LINE__, unit_failed)

/* --- the inline event: every integer type, arrays, strings ----------------- */

static const char expr_format[] =
	"name: expr\n"
	"ID: 4321\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:signed char s8;\toffset:8;\tsize:1;\tsigned:1;\n"
	"\tfield:unsigned char u8;\toffset:9;\tsize:1;\tsigned:0;\n"
	"\tfield:short s16;\toffset:10;\tsize:2;\tsigned:1;\n"
	"\tfield:unsigned short u16;\toffset:12;\tsize:2;\tsigned:0;\n"
	"\tfield:char ch;\toffset:14;\tsize:1;\tsigned:1;\n"
	"\tfield:bool flag;\toffset:15;\tsize:1;\tsigned:0;\n"
	"\tfield:int s32;\toffset:16;\tsize:4;\tsigned:1;\n"
	"\tfield:unsigned int u32;\toffset:20;\tsize:4;\tsigned:0;\n"
	"\tfield:long s64;\toffset:24;\tsize:8;\tsigned:1;\n"
	"\tfield:unsigned long u64;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:int zero;\toffset:40;\tsize:4;\tsigned:1;\n"
	"\tfield:int one;\toffset:44;\tsize:4;\tsigned:1;\n"
	"\tfield:int seven;\toffset:48;\tsize:4;\tsigned:1;\n"
	"\tfield:int neg7;\toffset:52;\tsize:4;\tsigned:1;\n"
	"\tfield:int m1;\toffset:56;\tsize:4;\tsigned:1;\n"
	"\tfield:unsigned int umax;\toffset:60;\tsize:4;\tsigned:0;\n"
	"\tfield:long lmin;\toffset:64;\tsize:8;\tsigned:1;\n"
	"\tfield:int imin;\toffset:72;\tsize:4;\tsigned:1;\n"
	"\tfield:char name[8];\toffset:76;\tsize:8;\tsigned:1;\n"
	"\tfield:int arr[4];\toffset:84;\tsize:16;\tsigned:1;\n"
	"\tfield:unsigned char ubytes[4];\toffset:100;\tsize:4;\tsigned:0;\n"
	"\tfield:u64 big[2];\toffset:104;\tsize:16;\tsigned:0;\n"
	"\tfield:const char * kstr;\toffset:120;\tsize:8;\tsigned:0;\n"
	"\tfield:__data_loc char[] dl;\toffset:128;\tsize:4;\tsigned:0;\n"
	"\tfield:__rel_loc char[] rl;\toffset:132;\tsize:4;\tsigned:0;\n"
	"\tfield:__data_loc int[] dints;\toffset:136;\tsize:4;\tsigned:0;\n"
	"\tfield:struct odd odd;\toffset:140;\tsize:3;\tsigned:0;\n"
	"\tfield:struct foo * foo;\toffset:144;\tsize:8;\tsigned:0;\n"
	"\tfield:short sarr[3];\toffset:152;\tsize:6;\tsigned:1;\n"
	"\n"
	"print fmt: \"s8=%d\", REC->s8\n";

/* The kernel's type names, so that casts read the same in C and in probes. */
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;

/* The same fields in C, for the expected values. */
struct xargs {
	signed char s8;
	unsigned char u8;
	short s16;
	unsigned short u16;
	signed char ch;
	bool flag;
	int s32;
	unsigned int u32;
	long s64;
	unsigned long u64;
	int zero, one, seven, neg7, m1;
	unsigned int umax;
	long lmin;
	int imin;
};

static const struct xargs xvals = {
	.s8 = -5, .u8 = 250, .s16 = -3000, .u16 = 60000, .ch = 'A', .flag = true,
	.s32 = -100000, .u32 = 4000000000u, .s64 = -5000000000l,
	.u64 = 18000000000000000000ul,
	.zero = 0, .one = 1, .seven = 7, .neg7 = -7, .m1 = -1, .umax = UINT_MAX,
	.lmin = LONG_MIN, .imin = INT_MIN,
};

static void fx_expr(struct fx *f)
{
	const struct xargs *a = &xvals;

	fx_inline(f, expr_format);
	memset(f->ctx, 0, f->fixed);
	fx_set(f, "s8", (uint64_t)a->s8);
	fx_set(f, "u8", a->u8);
	fx_set(f, "s16", (uint64_t)a->s16);
	fx_set(f, "u16", a->u16);
	fx_set(f, "ch", (uint64_t)a->ch);
	fx_set(f, "flag", a->flag);
	fx_set(f, "s32", (uint64_t)a->s32);
	fx_set(f, "u32", a->u32);
	fx_set(f, "s64", (uint64_t)a->s64);
	fx_set(f, "u64", a->u64);
	fx_set(f, "zero", (uint64_t)a->zero);
	fx_set(f, "one", (uint64_t)a->one);
	fx_set(f, "seven", (uint64_t)a->seven);
	fx_set(f, "neg7", (uint64_t)a->neg7);
	fx_set(f, "m1", (uint64_t)a->m1);
	fx_set(f, "umax", a->umax);
	fx_set(f, "lmin", (uint64_t)a->lmin);
	fx_set(f, "imin", (uint64_t)a->imin);
	fx_set_str(f, "name", "etrace!");
	fx_set_elem(f, "arr", 0, 4, 10);
	fx_set_elem(f, "arr", 1, 4, (uint64_t)-20);
	fx_set_elem(f, "arr", 2, 4, 0x7fffffff);
	fx_set_elem(f, "arr", 3, 4, 0x80000000u);
	fx_set_elem(f, "ubytes", 0, 1, 1);
	fx_set_elem(f, "ubytes", 1, 1, 0x7f);
	fx_set_elem(f, "ubytes", 2, 1, 0x80);
	fx_set_elem(f, "ubytes", 3, 1, 0xff);
	fx_set_elem(f, "big", 0, 8, 0x0123456789abcdefull);
	fx_set_elem(f, "big", 1, 8, 0xfedcba9876543210ull);
	fx_set_elem(f, "sarr", 0, 2, (uint64_t)-2);
	fx_set_elem(f, "sarr", 1, 2, 0x7fff);
	fx_set_elem(f, "sarr", 2, 2, 0x8000);
	fx_set(f, "kstr", fx_kernel_str(f, "kernel string"));
	fx_set_loc_str(f, "dl", "/usr/bin/data-loc");
	fx_set_loc_str(f, "rl", "rel-loc");
}

/*
 * EXPR(e): e, written with args->FIELD, means the same in C and in a
 * probe. Its value printed with %lld must be C's, and as a predicate it
 * must let the event through exactly when C's value is not 0.
 */
static bool expect_value(struct fx *f, const struct cfg *c, const char *expr, long long want,
			 int line)
{
	char *text = xasprintf("t:etrace:expr \"%%lld\", %s", expr);
	char *val = xasprintf("%lld", want);
	bool ok = expect_msg(f, c, text, val, line);

	free(text);
	text = xasprintf("t:etrace:expr (%s) \"hit\"", expr);
	ok = expect_hit(f, c, text, want != 0, line) && ok;
	free(text);
	free(val);
	return ok;
}

#define EXPR(e) CHECK(expect_value(&fx, &cfg, #e, (long long)(e), __LINE__))
/* Where C has no defined answer (overflow, division by zero): etrace's. */
#define EXPR_IS(text, want) CHECK(expect_value(&fx, &cfg, text, want, __LINE__))

/* The expressions are C on purpose: mixed signedness, precedence and all. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wparentheses"
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wbool-operation"
#pragma GCC diagnostic ignored "-Wint-in-bool-context"
#pragma GCC diagnostic ignored "-Wbool-compare"
#pragma GCC diagnostic ignored "-Wlogical-not-parentheses"
#pragma GCC diagnostic ignored "-Woverflow"

UNIT_TEST(expr_fields_of_each_type)
{
	const struct xargs *args = &xvals;
	struct cfg cfg = cfg_default();
	struct fx fx;

	fx_expr(&fx);
	EXPR(args->s8);
	EXPR(args->u8);
	EXPR(args->s16);
	EXPR(args->u16);
	EXPR(args->ch);
	EXPR(args->flag);
	EXPR(args->s32);
	EXPR(args->u32);
	EXPR(args->s64);
	EXPR(args->u64);
	EXPR(args->m1);
	EXPR(args->umax);
	EXPR(args->lmin);
	EXPR(args->imin);
	EXPR(args->zero);
	/* The common fields. */
	fx_set(&fx, "common_type", 0xfffe);
	fx_set(&fx, "common_flags", 0x81);
	fx_set(&fx, "common_pid", (uint64_t)-2);
	MSG(&fx, "t:etrace:expr \"%d %d %d\", args->common_type, args->common_flags, "
	    "args->common_pid", "65534 129 -2");
	fx_free(&fx);
}

UNIT_TEST(expr_arithmetic)
{
	const struct xargs *args = &xvals;
	struct cfg cfg = cfg_default();
	struct fx fx;

	fx_expr(&fx);
	/* + */
	EXPR(args->s32 + args->u8);
	EXPR(args->s8 + args->u8);
	EXPR(args->s8 + args->s16);
	EXPR(args->u32 + args->one);
	EXPR(args->umax + args->one);
	EXPR(args->umax + 1);
	EXPR(args->s64 + args->u32);
	EXPR(args->u64 + args->m1);
	EXPR(args->s32 + -5);
	EXPR(args->u16 + args->u16);
	EXPR(2 + 3);
	/* - */
	EXPR(args->s32 - args->u32);
	EXPR(args->u8 - args->u16);
	EXPR(args->s64 - args->u64);
	EXPR(args->zero - args->one);
	EXPR(args->zero - 1u);
	EXPR(args->u8 - 251);
	EXPR(args->one - args->s64);
	EXPR(3 - 10);
	EXPR(3u - 10);
	/* * */
	EXPR(args->s32 * args->neg7);
	EXPR(args->u32 * args->seven);
	EXPR(args->s64 * args->neg7);
	EXPR(args->u64 * 3);
	EXPR(args->s8 * args->u8);
	EXPR(args->u16 * 2);
	EXPR(args->neg7 * -3);
	EXPR(-6 * 7);
	EXPR(65536u * 65536u);
	/* The constant on the left of operators that do not commute. */
	EXPR(100 - args->seven);
	EXPR(100u - args->u32);
	EXPR(-100 - args->s8);
	EXPR(3 * args->neg7);
	fx_free(&fx);
}

UNIT_TEST(expr_division_and_modulo)
{
	const struct xargs *args = &xvals;
	struct cfg cfg = cfg_default();
	struct fx fx;

	fx_expr(&fx);
	/* Signed division truncates toward zero; the remainder takes the dividend's sign. */
	EXPR(args->neg7 / 2);
	EXPR(args->seven / -2);
	EXPR(args->neg7 / -2);
	EXPR(args->seven / 2);
	EXPR(args->neg7 / args->seven);
	EXPR(args->s32 / args->neg7);
	EXPR(args->s64 / args->neg7);
	EXPR(args->s64 / 1000);
	EXPR(args->lmin / 2);
	EXPR(args->lmin / args->neg7);
	EXPR(args->s8 / args->u8);
	EXPR(args->u8 / args->s8);
	EXPR(args->neg7 % 2);
	EXPR(args->seven % -2);
	EXPR(args->neg7 % -2);
	EXPR(args->seven % 2);
	EXPR(args->s32 % args->seven);
	EXPR(args->s64 % args->neg7);
	EXPR(args->lmin % 10);
	EXPR(args->s16 % args->u8);
	EXPR(-7 / 2);
	EXPR(7 / -2);
	EXPR(-7 % 2);
	EXPR(-7 % -2);
	/* Unsigned. */
	EXPR(args->u32 / args->seven);
	EXPR(args->u32 % args->seven);
	EXPR(args->u64 / args->seven);
	EXPR(args->u64 % 1000);
	EXPR(args->s32 / args->u32);
	EXPR(args->m1 / args->umax);
	EXPR(args->umax / -1);
	EXPR(args->umax % -1);
	EXPR(args->u32 / -2);
	EXPR(args->u32 % -3);
	EXPR(args->u64 / -1);
	EXPR(args->u64 % -1);
	EXPR(args->s64 / args->u64);
	EXPR(args->neg7 / 2u);
	EXPR(-7 / 2u);
	EXPR(100 / args->neg7);
	EXPR(-100 / args->seven);
	EXPR(100 % args->neg7);
	EXPR(-100 % args->seven);
	EXPR(4000000000u / args->seven);
	EXPR(-7 % args->u8);
	/* Not defined in C: BPF's answers (x / 0 is 0, x % 0 is x), never a trap. */
	EXPR_IS("args->seven / args->zero", 0);
	EXPR_IS("args->neg7 / args->zero", 0);
	EXPR_IS("args->neg7 % args->zero", -7);
	EXPR_IS("args->u32 % args->zero", 4000000000ll);
	EXPR_IS("args->imin / args->m1", INT_MIN);
	EXPR_IS("args->lmin / -1", LLONG_MIN);
	EXPR_IS("args->imin % args->m1", 0);
	fx_free(&fx);
}

UNIT_TEST(expr_bitwise_and_shifts)
{
	const struct xargs *args = &xvals;
	struct cfg cfg = cfg_default();
	struct fx fx;

	fx_expr(&fx);
	EXPR(args->s32 & 0xff);
	EXPR(args->s32 & args->u16);
	EXPR(args->s8 & args->u8);
	EXPR(args->m1 & args->u32);
	EXPR(args->s64 & args->u32);
	EXPR(args->u64 & -256);
	EXPR(args->s8 | args->u8);
	EXPR(args->s8 | 0x100);
	EXPR(args->u32 | args->s16);
	EXPR(args->s64 | 1);
	EXPR(args->s8 ^ args->u8);
	EXPR(args->s64 ^ args->u32);
	EXPR(args->u16 ^ -1);
	EXPR(args->u64 ^ args->m1);
	EXPR(0xf0 ^ 0x3c);
	/* << */
	EXPR(args->one << 30);
	EXPR(args->u32 << 4);
	EXPR(args->umax << 31);
	EXPR(args->u8 << 20);
	EXPR(args->u64 << 3);
	EXPR(args->one << args->seven);
	EXPR((long)args->one << 40);
	EXPR(args->u64 << args->seven);
	EXPR(1 << 10);
	/* Left shifts of negative numbers (undefined in C): two's complement. */
	EXPR_IS("args->s8 << 2", -20);
	EXPR_IS("args->m1 << 31", INT_MIN);
	EXPR_IS("args->one << 31", INT_MIN);
	EXPR_IS("args->s64 << 4", -80000000000ll);
	EXPR_IS("args->neg7 << args->one", -14);
	EXPR_IS("-1 << 4", -16);
	/* >>: arithmetic for signed types, logical for unsigned ones. */
	EXPR(args->s8 >> 1);
	EXPR(args->s16 >> 4);
	EXPR(args->s32 >> 4);
	EXPR(args->m1 >> 31);
	EXPR(args->imin >> 31);
	EXPR(args->s64 >> 40);
	EXPR(args->lmin >> 63);
	EXPR(args->u8 >> 1);
	EXPR(args->u16 >> 15);
	EXPR(args->u32 >> 4);
	EXPR(args->umax >> 31);
	EXPR(args->u64 >> 60);
	EXPR(args->neg7 >> args->one);
	EXPR(args->u32 >> args->seven);
	EXPR(args->s16 >> args->u8 % 8);
	EXPR(-16 >> 2);
	EXPR(-16 >> 2u);
	EXPR(-16 >> args->one);
	EXPR(0x80000000u >> args->seven);
	EXPR(1 << args->seven);
	EXPR(0x80000000u >> 31);
	fx_free(&fx);
}

UNIT_TEST(expr_comparisons)
{
	const struct xargs *args = &xvals;
	struct cfg cfg = cfg_default();
	struct fx fx;

	fx_expr(&fx);
	/* == and != */
	EXPR(args->m1 == -1);
	EXPR(args->m1 == args->umax);
	EXPR(args->umax == -1);
	EXPR(args->u64 == -1);
	EXPR(args->s8 == -5);
	EXPR(args->u8 == -6);
	EXPR(args->s64 == -5000000000);
	EXPR(args->m1 != args->umax);
	EXPR(args->u16 != 60000);
	EXPR(args->s16 != -3000);
	EXPR(args->u32 != -294967296);
	EXPR(3 == 3);
	EXPR(3 != 3);
	/* < <= > >= signed */
	EXPR(args->m1 < args->one);
	EXPR(args->s8 < args->u8);
	EXPR(args->s64 < args->u32);
	EXPR(args->lmin < 0);
	EXPR(args->lmin <= args->s64);
	EXPR(args->s16 > -3001);
	EXPR(args->s16 >= -3000);
	EXPR(args->s16 >= -2999);
	EXPR(args->neg7 <= -7);
	EXPR(args->neg7 <= -8);
	EXPR(args->imin < args->m1);
	EXPR(args->s32 > args->imin);
	/* ... and unsigned, where negative numbers are huge. */
	EXPR(args->m1 < args->u32);
	EXPR(args->m1 < 0u);
	EXPR(args->m1 > 0u);
	EXPR(args->s32 < args->u64);
	EXPR(args->u64 > args->s64);
	EXPR(args->u64 > 0);
	EXPR(args->u32 > args->s32);
	EXPR(args->u32 < -1);
	EXPR(args->umax >= -1);
	EXPR(args->u16 <= 60000);
	EXPR(args->u16 >= 60001);
	EXPR(args->u8 > args->s8);
	EXPR(args->neg7 < args->seven);
	EXPR(args->neg7 < (unsigned int)args->seven);
	EXPR(args->s64 > args->umax);
	EXPR(-1 < 0u);
	EXPR(-1 < 0);
	EXPR(2u >= 1);
	/* The constant on the left. */
	EXPR(-1 == args->umax);
	EXPR(-1 == args->u64);
	EXPR(5 < args->seven);
	EXPR(-1 < args->u32);
	EXPR(-1 < args->s64);
	EXPR(0u > args->m1);
	EXPR(4000000000 >= args->u32);
	EXPR(-6 == args->u8);
	/* Comparisons are ints: they take part in arithmetic. */
	EXPR((args->m1 < args->one) + (args->m1 < args->u32) * 2 + (args->s8 == -5) * 4);
	EXPR(-(args->u8 > 3));
	fx_free(&fx);
}

UNIT_TEST(expr_logical_operators)
{
	const struct xargs *args = &xvals;
	struct cfg cfg = cfg_default();
	struct fx fx;
	struct res *r;

	fx_expr(&fx);
	EXPR(args->one && args->seven);
	EXPR(args->one && args->zero);
	EXPR(args->zero && args->one);
	EXPR(args->zero || args->one);
	EXPR(args->zero || args->zero);
	EXPR(args->m1 || args->zero);
	EXPR(args->u64 && args->s8);
	EXPR(args->lmin && 1);
	EXPR(args->s32 < 0 && args->u32 > 0);
	EXPR(args->s32 > 0 || args->u32 > 5000000000);
	EXPR(args->zero || args->one && args->zero);
	EXPR((args->zero || args->one) && args->seven);
	EXPR(!args->zero && !(args->one && args->zero) || args->zero);
	EXPR((args->one && args->seven) + (args->zero || args->m1) * 10);
	EXPR(1 && 0);
	EXPR(0 || 5);
	/* Short-circuit: the right side is not evaluated (no helper runs). */
	r = RUN(&fx, "t:etrace:expr (args->zero && $uid == 1000) \"x\"");
	CHECK(!r->submitted && !r->calls[BPF_FUNC_get_current_uid_gid]);
	free(r);
	r = RUN(&fx, "t:etrace:expr (args->one && $uid == 1000) \"x\"");
	CHECK(r->submitted && r->calls[BPF_FUNC_get_current_uid_gid] == 1);
	free(r);
	r = RUN(&fx, "t:etrace:expr (args->one || $uid == 1000) \"x\"");
	CHECK(r->submitted && !r->calls[BPF_FUNC_get_current_uid_gid]);
	free(r);
	r = RUN(&fx, "t:etrace:expr (args->zero || $uid == 1) \"x\"");
	CHECK(!r->submitted && r->calls[BPF_FUNC_get_current_uid_gid] == 1);
	free(r);
	r = RUN(&fx, "t:etrace:expr \"%d\", args->zero && STRCMP(\"kernel\", args->kstr)");
	CHECK(r->submitted && !r->calls[BPF_FUNC_probe_read_kernel_str]);
	CHECK_EQ_STR(r->msg, "0");
	free(r);
	r = RUN(&fx, "t:etrace:expr \"%d\", args->seven || STRCMP(\"kernel\", args->kstr)");
	CHECK(r->submitted && !r->calls[BPF_FUNC_probe_read_kernel_str]);
	CHECK_EQ_STR(r->msg, "1");
	free(r);
	r = RUN(&fx, "t:etrace:expr \"%d\", args->seven && STRCMP(\"kernel\", args->kstr)");
	CHECK(r->submitted && r->calls[BPF_FUNC_probe_read_kernel_str] == 1);
	CHECK_EQ_STR(r->msg, "1");
	free(r);
	fx_free(&fx);
}

UNIT_TEST(expr_unary_operators)
{
	const struct xargs *args = &xvals;
	struct cfg cfg = cfg_default();
	struct fx fx;

	fx_expr(&fx);
	EXPR(-args->s8);
	EXPR(-args->u8);
	EXPR(-args->s16);
	EXPR(-args->u16);
	EXPR(-args->s32);
	EXPR(-args->u32);
	EXPR(-args->s64);
	EXPR(-args->u64);
	EXPR(-args->m1);
	EXPR(-args->umax);
	EXPR(- -args->seven);
	EXPR(-(-7));
	EXPR(-2147483647);
	EXPR(~args->s8);
	EXPR(~args->u8);
	EXPR(~args->u16);
	EXPR(~args->s32);
	EXPR(~args->u32);
	EXPR(~args->s64);
	EXPR(~args->u64);
	EXPR(~args->zero);
	EXPR(~0u);
	EXPR(~~args->neg7);
	EXPR(!args->zero);
	EXPR(!args->one);
	EXPR(!args->s8);
	EXPR(!args->u64);
	EXPR(!args->lmin);
	EXPR(!!args->s32);
	EXPR(!0);
	EXPR(!5);
	EXPR(!args->zero + 1);
	EXPR(-!args->zero);
	EXPR(~!args->one);
	/* Negating the most negative number wraps. */
	EXPR_IS("-args->imin", INT_MIN);
	EXPR_IS("-args->lmin", LLONG_MIN);
	fx_free(&fx);
}

UNIT_TEST(expr_ternary_and_precedence)
{
	const struct xargs *args = &xvals;
	struct cfg cfg = cfg_default();
	struct fx fx;

	fx_expr(&fx);
	EXPR(args->one ? 10 : 20);
	EXPR(args->zero ? 10 : 20);
	EXPR(args->m1 ? args->u8 : args->s64);
	EXPR(args->zero ? args->u8 : args->s64);
	/* The usual arithmetic conversions apply to both arms. */
	EXPR(args->one ? args->m1 : args->u32);
	EXPR(args->one ? args->m1 : args->u64);
	EXPR(args->one ? args->umax : args->s64);
	EXPR(args->one ? args->s8 : args->u16);
	EXPR(args->zero ? 1 : args->one ? 2 : 3);
	EXPR(args->zero ? 1 : args->zero ? 2 : 3);
	EXPR(args->s32 < 0 ? -args->s32 : args->s32);
	EXPR((args->one ? args->seven : args->neg7) * 2);
	EXPR(args->one ? args->seven > 3 : 0);
	EXPR(1 ? 2 : 3);
	EXPR(0 ? 2 : 3);
	/* Precedence and associativity. */
	EXPR(args->one + args->seven * 2);
	EXPR((args->one + args->seven) * 2);
	EXPR(args->seven - args->one - args->one);
	EXPR(args->seven - (args->one - args->one));
	EXPR(args->seven / 2 * 2);
	EXPR(args->seven * 3 % 4);
	EXPR(args->one << 2 + 1);
	EXPR((args->one << 2) + 1);
	EXPR(args->seven & 3 == 3);
	EXPR((args->seven & 3) == 3);
	EXPR(args->seven | args->one ^ args->u8 & 0xf);
	EXPR(args->seven > 3 == 1);
	EXPR(args->one < 2 < 3);
	EXPR(args->zero == 0 != 0);
	EXPR(args->m1 < 0 && args->one || args->zero);
	EXPR(args->zero || args->seven > 6 && args->one);
	EXPR(-args->seven * -args->seven);
	EXPR(~args->seven + 1);
	EXPR(args->one ? args->zero : args->seven ? 5 : 6);
	EXPR(((((args->seven)))));
	EXPR(2 + 3 * 4 - 10 / 3 % 2 << 1);
	fx_free(&fx);
}

UNIT_TEST(expr_casts)
{
	const struct xargs *args = &xvals;
	struct cfg cfg = cfg_default();
	struct fx fx;

	fx_expr(&fx);
	/*
	 * char is signed in probes, as in BPF programs, on every architecture:
	 * the expected values say so even where the C compiler's char is not
	 * (aarch64).
	 */
	EXPR_IS("(char)args->u8", (signed char)args->u8);
	EXPR_IS("(char)args->s32", (signed char)args->s32);
	EXPR((signed char)args->u16);
	EXPR((unsigned char)args->m1);
	EXPR((u8)args->s32);
	EXPR((u8)args->u64);
	EXPR((short)args->u16);
	EXPR((short)args->s32);
	EXPR((unsigned short)args->m1);
	EXPR((u16)args->s8);
	EXPR((int)args->u32);
	EXPR((int)args->s64);
	EXPR((int)args->u64);
	EXPR((s32)args->umax);
	EXPR((unsigned int)args->m1);
	EXPR((unsigned)args->s8);
	EXPR((u32)args->s64);
	EXPR((long)args->u32);
	EXPR((long)args->m1);
	EXPR((long)args->u64);
	EXPR((unsigned long)args->m1);
	EXPR((u64)args->s8);
	EXPR((u64)args->u32);
	EXPR((long long)args->umax);
	EXPR((bool)args->s32);
	EXPR((bool)args->zero);
	EXPR((bool)args->u64);
	EXPR((bool)args->lmin);
	EXPR((_Bool)args->u8);
	EXPR((u8)-1);
	EXPR_IS("(char)200", (signed char)200);
	EXPR((int)4294967295);
	EXPR((u32)-1);
	EXPR((short)40000);
	EXPR((bool)256);
	EXPR((uint8_t)0x1ff);
	EXPR((int16_t)0x18000);
	EXPR((size_t)args->m1);
	EXPR((pid_t)args->u64);
	/* Signed and unsigned comparisons after a cast. */
	EXPR((u32)args->m1 < 1);
	EXPR((int)args->umax < 0);
	EXPR((u8)args->m1 == 255);
	EXPR_IS("(char)args->u8 < 0", (signed char)args->u8 < 0);
	EXPR((u64)args->m1 > 0);
	EXPR((long)args->m1 > 0);
	EXPR((unsigned)args->neg7 / 2);
	EXPR((int)args->u32 / 2);
	EXPR((u8)(args->u8 + 10));
	EXPR((short)args->u16 >> 4);
	EXPR((u16)args->s16 >> 4);
	fx_free(&fx);
}

UNIT_TEST(expr_integer_literals)
{
	const struct xargs *args = &xvals;
	struct cfg cfg = cfg_default();
	struct fx fx;

	fx_expr(&fx);
	/* Bases. */
	EXPR(0x10 + args->one);
	EXPR(0XfF & args->s32);
	EXPR(0xABCDEF);
	EXPR(010 + args->zero);
	EXPR(0777 & args->u8);
	EXPR(0 + args->seven);
	/* Characters are ints. */
	EXPR('A' + args->zero);
	EXPR(args->ch == 'A');
	EXPR('\n' + args->zero);
	EXPR('\t' + '\r');
	EXPR('\x41' + args->one);
	EXPR('\101' + args->one);
	EXPR('\0' == args->zero);
	EXPR('\\' + args->zero);
	EXPR('\'' + args->zero);
	EXPR('"' + args->zero);
	/* The language's char is signed whatever the host's is. */
	EXPR_IS("'\\xff' + args->zero", -1);
	EXPR_IS("'\\x80' < 0", 1);
	EXPR_IS("'\\xff' + 0u", 4294967295ll);
	EXPR_IS("'\\xfe' * args->seven", -14);
	/* u suffix: unsigned int, or unsigned long when it does not fit. */
	EXPR(1u - 2);
	EXPR(5u > -1);
	EXPR(args->m1 < 1u);
	EXPR(1U + args->m1);
	EXPR(4294967295u + args->one);
	EXPR(4294967296u + args->m1);
	EXPR(0x7fffffffu + 1);
	/* Large literals: long, or unsigned long past LONG_MAX. */
	EXPR(2147483647 + args->zero);
	EXPR(2147483648 - args->one);
	EXPR(4294967295 + args->one);
	EXPR(4294967296 * args->neg7);
	EXPR(9223372036854775807 + args->zero);
	EXPR(9223372036854775807 > args->u64);
	EXPR(18446744073709551615u + args->zero);
	EXPR(18446744073709551615u > args->u64);
	EXPR(0x100000000 - args->one);
	EXPR(0x7fffffffffffffff + args->zero);
	EXPR(0x8000000000000000 > args->u64);
	EXPR(0xffffffffffffffff == args->m1);
	EXPR(-2147483648 + args->zero);
	EXPR(-9223372036854775807 - 1 == args->lmin);
	/* Hex and octal take unsigned int before long; l skips the 32-bit types. */
	EXPR(args->m1 < 0xffffffff);
	EXPR(args->m1 < 4294967295);
	EXPR(0x80000000 + args->zero);
	EXPR(020000000000 > args->m1);
	EXPR(1L << (40 + args->zero));
	EXPR(1ul << (40 + args->zero));
	EXPR(0xffffffffL + args->one);
	fx_free(&fx);
}

#pragma GCC diagnostic pop

UNIT_TEST(expr_format_conversions)
{
	struct cfg cfg = cfg_default();
	struct fx fx;
	struct res *r;
	char want[128];

	fx_expr(&fx);
	MSG(&fx, "t:etrace:expr \"%d %i %u\", args->m1, args->m1, args->m1", "-1 -1 4294967295");
	MSG(&fx, "t:etrace:expr \"%x %X %o\", 255, 255, 255", "ff FF 377");
	MSG(&fx, "t:etrace:expr \"%x %X %o %u\", args->s8, args->s8, args->s8, args->s8",
	    "fffffffb FFFFFFFB 37777777773 4294967291");
	MSG(&fx, "t:etrace:expr \"%c%c%c\", args->ch, 'b', args->name[0]", "Abe");
	MSG(&fx, "t:etrace:expr \"%c\", 'A' + 256", "A");
	/* Length modifiers: the value is shown as that C type. */
	MSG(&fx, "t:etrace:expr \"%hd %hu %hx %ho\", args->u16, args->m1, args->m1, args->m1",
	    "-5536 65535 ffff 177777");
	MSG(&fx, "t:etrace:expr \"%hhd %hhu %hhx %hhi\", args->u8, args->s8, args->s32, 300",
	    "-6 251 60 44");
	MSG(&fx, "t:etrace:expr \"%d %u %x\", args->s64, args->s64, args->s64",
	    "-705032704 3589934592 d5fa0e00");
	MSG(&fx, "t:etrace:expr \"%ld %li %lu %lx %lX %lo\", args->s64, args->m1, args->m1, "
	    "args->m1, args->s64, args->seven",
	    "-5000000000 -1 18446744073709551615 ffffffffffffffff FFFFFFFED5FA0E00 7");
	MSG(&fx, "t:etrace:expr \"%lld %llu %llx\", args->u64, args->u64, args->big[1]",
	    "-446744073709551616 18000000000000000000 fedcba9876543210");
	MSG(&fx, "t:etrace:expr \"%zu %zd %jd %td\", args->m1, args->m1, args->lmin, args->s64",
	    "18446744073709551615 -1 -9223372036854775808 -5000000000");
	/* Widths, precisions and flags. */
	MSG(&fx, "t:etrace:expr \"[%5d] [%-5d] [%05d] [%+d] [% d] [%+d]\", args->seven, "
	    "args->seven, args->neg7, args->seven, args->seven, args->neg7",
	    "[    7] [7    ] [-0007] [+7] [ 7] [-7]");
	MSG(&fx, "t:etrace:expr \"[%#x] [%#X] [%#o] [%8.3d] [%-8.3x] [%08lx]\", 255, 255, 8, "
	    "args->seven, 255, args->big[0]",
	    "[0xff] [0XFF] [010] [     007] [0ff     ] [123456789abcdef]");
	MSG(&fx, "t:etrace:expr \"[%3c] [%-3c]\", 'x', 'y'", "[  x] [y  ]");
	MSG(&fx, "t:etrace:expr \"[%10s] [%-10s] [%.3s] [%5.2s]\", args->name, args->name, "
	    "args->kstr, args->kstr", "[   etrace!] [etrace!   ] [ker] [   ke]");
	/* %%, literal text and no conversion at all. */
	MSG(&fx, "t:etrace:expr \"100%% %d%%\", args->seven", "100% 7%");
	MSG(&fx, "t:etrace:expr \"%%d\"", "%d");
	MSG(&fx, "t:etrace:expr \"just text\"", "just text");
	MSG(&fx, "t:etrace:expr \"\"", "");
	/* %K without a symbol table, %p. */
	MSG(&fx, "t:etrace:expr \"%K\", args->u64", "[unknown]");
	MSG(&fx, "t:etrace:expr \"%p [%6p] [%-6p]\", args->zero, args->seven, args->seven",
	    "0x0 [   0x7] [0x7   ]");
	r = RUN(&fx, "t:etrace:expr \"%p\", args->kstr");
	snprintf(want, sizeof(want), "%p", (void *)(uintptr_t)fx_get(&fx, "kstr"));
	CHECK_EQ_STR(r->msg, want);
	free(r);
	fx_free(&fx);
}

/* --- tracepoint fields: arrays, strings ------------------------------------ */

UNIT_TEST(expr_array_fields)
{
	struct cfg cfg = cfg_default();
	struct fx fx;

	fx_expr(&fx);
	/* Elements have the field's size and signedness. */
	MSG(&fx, "t:etrace:expr \"%lld %lld %lld %lld\", args->arr[0], args->arr[1], "
	    "args->arr[2], args->arr[3]", "10 -20 2147483647 -2147483648");
	MSG(&fx, "t:etrace:expr \"%lld %lld %lld %lld\", args->ubytes[0], args->ubytes[1], "
	    "args->ubytes[2], args->ubytes[3]", "1 127 128 255");
	MSG(&fx, "t:etrace:expr \"%lld %lld %lld\", args->sarr[0], args->sarr[1], args->sarr[2]",
	    "-2 32767 -32768");
	MSG(&fx, "t:etrace:expr \"%llx %llx\", args->big[0], args->big[1]",
	    "123456789abcdef fedcba9876543210");
	MSG(&fx, "t:etrace:expr \"%c%c %d\", args->name[0], args->name[6], args->name[7]",
	    "e! 0");
	HIT(&fx, "t:etrace:expr (args->arr[1] < 0 && args->ubytes[3] > 0)");
	HIT(&fx, "t:etrace:expr (args->arr[3] < args->arr[0])");
	HIT(&fx, "t:etrace:expr (args->ubytes[3] == 255 && args->sarr[0] == -2)");
	MISS(&fx, "t:etrace:expr (args->big[1] < args->big[0])");
	/* The last element, an index computed from constants. */
	MSG(&fx, "t:etrace:expr \"%d\", args->arr[1 + 2]", "-2147483648");
	fx_free(&fx);

	/* Real events: sys_enter's args[6], the kernel's char arrays. */
	fx_load(&fx, "raw_sys_enter");
	fx_set(&fx, "id", 257);
	for (int i = 0; i < 6; i++)
		fx_set_elem(&fx, "args", i, 8, i == 2 ? (uint64_t)-1 : 0x1000ull * (uint64_t)i);
	MSG(&fx, "t:raw_syscalls:sys_enter \"%ld %lx %lx %ld\", args->id, args->args[1], "
	    "args->args[5], args->args[2]", "257 1000 5000 -1");
	HIT(&fx, "t:raw_syscalls:sys_enter (args->id == 257 && args->args[2] > 0)");
	fx_free(&fx);

	fx_load(&fx, "sched_switch");
	fx_set_str(&fx, "prev_comm", "\xc8z");
	/* signed:0, as kernels built with -funsigned-char (6.2+) say. */
	MSG(&fx, "t:sched:sched_switch \"%d %d\", args->prev_comm[0], args->prev_comm[1]",
	    "200 122");
	fx_free(&fx);

	fx_load(&fx, "synthetic");
	fx_set_elem(&fx, "deltas", 0, 2, (uint64_t)-5);
	fx_set_elem(&fx, "deltas", 2, 2, 300);
	fx_set_elem(&fx, "saddr", 27, 1, 0xfe);
	fx_set(&fx, "ok", 1);
	fx_set(&fx, "ts", 0xffffffffffffffffull);
	MSG(&fx, "t:synth:synthetic_event \"%d %d %d %d %llu\", args->deltas[0], args->deltas[2], "
	    "args->saddr[27], args->ok, args->ts", "-5 300 254 1 18446744073709551615");
	fx_free(&fx);
}

UNIT_TEST(expr_char_arrays)
{
	struct cfg cfg = cfg_default();
	struct fx fx;
	struct res *r;

	fx_load(&fx, "sched_switch");
	fx_set_str(&fx, "prev_comm", "bash");
	fx_set_str(&fx, "next_comm", "systemd-journal");
	fx_set(&fx, "prev_pid", 123);
	fx_set(&fx, "next_pid", (uint64_t)-1);
	fx_set(&fx, "prev_state", (uint64_t)-2);
	fx_set(&fx, "next_prio", 120);
	MSG(&fx, "t:sched:sched_switch \"%s -> %s\", args->prev_comm, args->next_comm",
	    "bash -> systemd-journal");
	MSG(&fx, "t:sched:sched_switch \"%d %d %ld %d\", args->prev_pid, args->next_pid, "
	    "args->prev_state, args->next_prio", "123 -1 -2 120");
	/* The record holds the string and its NUL in a -Z + 2 byte slot. */
	r = RUN(&fx, "t:sched:sched_switch \"%s|%d|%s\", args->prev_comm, args->prev_pid, "
		"args->next_comm");
	CHECK_EQ_INT(r->nslots, 3);
	CHECK_EQ_INT(r->slots[0].offset, 0);
	CHECK_EQ_INT(r->slots[0].size, 88);
	CHECK_EQ_INT(r->slots[1].offset, 88);
	CHECK_EQ_INT(r->slots[1].size, 8);
	CHECK_EQ_INT(r->slots[2].offset, 96);
	CHECK_EQ_STR(res_str(r, 0), "bash");
	CHECK_EQ_INT(res_int(r, 1), 123);
	CHECK_EQ_STR(res_str(r, 2), "systemd-journal");
	CHECK_EQ_STR(r->msg, "bash|123|systemd-journal");
	free(r);
	/* -Z: longer strings are cut and marked. */
	cfg.string_size = 5;
	MSG(&fx, "t:sched:sched_switch \"%s -> %s\", args->prev_comm, args->next_comm",
	    "bash -> syste...");
	cfg.string_size = 4;
	MSG(&fx, "t:sched:sched_switch \"%s\", args->prev_comm", "bash");
	cfg.string_size = 3;
	MSG(&fx, "t:sched:sched_switch \"%s\", args->prev_comm", "bas...");
	cfg.string_size = 14;
	MSG(&fx, "t:sched:sched_switch \"%s\", args->next_comm", "systemd-journa...");
	cfg.string_size = 15;
	MSG(&fx, "t:sched:sched_switch \"%s\", args->next_comm", "systemd-journal");
	cfg.string_size = 1;
	MSG(&fx, "t:sched:sched_switch \"[%s]\", args->prev_comm", "[b...]");
	fx_free(&fx);
}

UNIT_TEST(expr_data_loc_strings)
{
	struct cfg cfg = cfg_default();
	struct fx fx;

	fx_load(&fx, "sched_process_exec");
	fx_set_loc_str(&fx, "filename", "/usr/bin/true");
	fx_set(&fx, "pid", 4242);
	fx_set(&fx, "old_pid", 4242);
	MSG(&fx, "t:sched:sched_process_exec \"%s %d %d\", args->filename, args->pid, "
	    "args->old_pid", "/usr/bin/true 4242 4242");
	MSG(&fx, "t:sched:sched_process_exec \"[%-15s]\", args->filename", "[/usr/bin/true  ]");
	cfg.string_size = 8;
	MSG(&fx, "t:sched:sched_process_exec \"%s\", args->filename", "/usr/bin...");
	cfg = cfg_default();
	HIT(&fx, "t:sched:sched_process_exec (STRCMP(\"/usr/bin/\", args->filename))");
	MISS(&fx, "t:sched:sched_process_exec (STRCMP(\"/usr/sbin/\", args->filename))");
	fx_free(&fx);

	/* __rel_loc: the offset counts from the end of the field. */
	fx_load(&fx, "synthetic");
	fx_set_loc_str(&fx, "path", "/tmp/rel");
	fx_set(&fx, "pid", 77);
	MSG(&fx, "t:synth:synthetic_event \"%s %d\", args->path, args->pid", "/tmp/rel 77");
	HIT(&fx, "t:synth:synthetic_event (STRCMP(\"/tmp/rel\", args->path))");
	fx_free(&fx);

	fx_expr(&fx);
	MSG(&fx, "t:etrace:expr \"%s|%s|%s\", args->dl, args->rl, args->name",
	    "/usr/bin/data-loc|rel-loc|etrace!");
	fx_free(&fx);
}

UNIT_TEST(expr_string_pointers)
{
	struct cfg cfg = cfg_default();
	struct fx fx;
	uint64_t path;
	struct res *r;

	/* System call arguments point into the process: probe_read_user_str. */
	fx_load(&fx, "sys_enter_openat");
	path = fx_user_str(&fx, "/etc/passwd");
	fx_set(&fx, "__syscall_nr", 257);
	fx_set(&fx, "dfd", (uint64_t)-100);
	fx_set(&fx, "filename", path);
	fx_set(&fx, "flags", 0x80241);
	fx_set(&fx, "mode", 0644);
	MSG(&fx, "t:syscalls:sys_enter_openat \"%d %s %x %o\", args->dfd, args->filename, "
	    "args->flags, args->mode", "-100 /etc/passwd 80241 644");
	r = RUN(&fx, "t:syscalls:sys_enter_openat \"%s\", args->filename");
	CHECK(r->calls[BPF_FUNC_probe_read_user_str] == 1);
	CHECK(!r->calls[BPF_FUNC_probe_read_kernel_str]);
	free(r);
	/* "int dfd" is 8 bytes, unsigned: the format file rules. */
	HIT(&fx, "t:syscalls:sys_enter_openat (args->dfd == -100)");
	MISS(&fx, "t:syscalls:sys_enter_openat (args->dfd < 0)");
	HIT(&fx, "t:syscalls:sys_enter_openat ((int)args->dfd < 0)");
	/* A char pointer dereferenced: the first character. */
	MSG(&fx, "t:syscalls:sys_enter_openat \"%c %d\", *args->filename, *args->filename",
	    "/ 47");
	HIT(&fx, "t:syscalls:sys_enter_openat (*args->filename == '/')");
	cfg.string_size = 4;
	MSG(&fx, "t:syscalls:sys_enter_openat \"%s\", args->filename", "/etc...");
	cfg.string_size = 11;
	MSG(&fx, "t:syscalls:sys_enter_openat \"%s\", args->filename", "/etc/passwd");
	cfg.string_size = 10;
	MSG(&fx, "t:syscalls:sys_enter_openat \"%s\", args->filename", "/etc/passw...");
	cfg = cfg_default();
	/* A bad pointer reads as an empty string, as in the kernel. */
	fx_set(&fx, "filename", 0);
	MSG(&fx, "t:syscalls:sys_enter_openat \"[%s]\", args->filename", "[]");
	MSG(&fx, "t:syscalls:sys_enter_openat \"%d\", *args->filename", "0");
	/* Kernel memory is not user memory. */
	fx_set(&fx, "filename", fx_kernel_str(&fx, "/kernel"));
	MSG(&fx, "t:syscalls:sys_enter_openat \"[%s]\", args->filename", "[]");
	/*
	 * A pointer no type marks as user (a cast here; kernel functions'
	 * BTF without __user): kernel memory first, then user memory.
	 */
	MSG(&fx, "t:syscalls:sys_enter_openat \"[%s]\", (char *)(long)args->filename",
	    "[/kernel]");
	r = RUN(&fx, "t:syscalls:sys_enter_openat \"%s\", (char *)(long)args->filename");
	CHECK(r->calls[BPF_FUNC_probe_read_kernel_str] == 1);
	CHECK(!r->calls[BPF_FUNC_probe_read_user_str]);
	free(r);
	fx_set(&fx, "filename", fx_user_str(&fx, "/user"));
	MSG(&fx, "t:syscalls:sys_enter_openat \"[%s]\", (char *)(long)args->filename",
	    "[/user]");
	r = RUN(&fx, "t:syscalls:sys_enter_openat \"%s\", (char *)(long)args->filename");
	CHECK(r->calls[BPF_FUNC_probe_read_kernel_str] == 1);
	CHECK(r->calls[BPF_FUNC_probe_read_user_str] == 1);
	free(r);
	fx_set(&fx, "filename", 0);
	MSG(&fx, "t:syscalls:sys_enter_openat \"[%s]\", (char *)(long)args->filename", "[]");
	/* A user string as long as the slot: cut, with "...". */
	fx_set(&fx, "filename", fx_user_str(&fx, "/a/very/long/path/that/goes/on/and/on/and/on/"
					    "well/past/the/eighty/characters/of/the/default/-Z"));
	MSG(&fx, "t:syscalls:sys_enter_openat \"%s\", args->filename",
	    "/a/very/long/path/that/goes/on/and/on/and/on/well/past/the/eighty/characters/of/...");
	fx_free(&fx);

	fx_load(&fx, "sys_enter_write");
	fx_set(&fx, "fd", 1);
	fx_set(&fx, "buf", fx_user_str(&fx, "hello, world\n"));
	fx_set(&fx, "count", 13);
	MSG(&fx, "t:syscalls:sys_enter_write \"%d %s|%d\", args->fd, args->buf, args->count",
	    "1 hello, world\\n|13");
	cfg.string_size = 5;
	MSG(&fx, "t:syscalls:sys_enter_write \"%s\", args->buf", "hello...");
	cfg = cfg_default();
	/* An 8-byte integer prints as the string at that address (BCC does so). */
	MSG(&fx, "t:syscalls:sys_enter_write \"[%s]\", args->count", "[]");
	MSG(&fx, "t:syscalls:sys_enter_write \"%s\", (char *)args->buf", "hello, world\\n");
	MSG(&fx, "t:syscalls:sys_enter_write \"[%s]\", (char *)args->count", "[]");
	MSG(&fx, "t:syscalls:sys_enter_write \"[%s]\", (char __user *)args->buf",
	    "[hello, world\\n]");
	fx_free(&fx);

	fx_load(&fx, "sys_enter_execve");
	fx_set(&fx, "filename", fx_user_str(&fx, "/bin/sh"));
	fx_set(&fx, "argv", fx_user_str(&fx, "ABCDEFGH"));
	MSG(&fx, "t:syscalls:sys_enter_execve \"%s\", args->filename", "/bin/sh");
	/* argv points at pointers, not at characters. */
	ERR(&fx, "t:syscalls:sys_enter_execve \"%d\", *args->argv",
	    "probe 1, column 35: cannot dereference this value: the pointer has no known type "
	    "(cast it, e.g. *(struct file *)arg1)");
	fx_free(&fx);

	/* Other pointers are kernel pointers. */
	fx_expr(&fx);
	MSG(&fx, "t:etrace:expr \"%s|%c\", args->kstr, *args->kstr", "kernel string|k");
	MSG(&fx, "t:etrace:expr \"[%s]\", args->u64", "[]");
	MSG(&fx, "t:etrace:expr \"%s\", (char *)args->kstr", "kernel string");
	MSG(&fx, "t:etrace:expr \"%s\", (u64)args->kstr", "kernel string");
	MSG(&fx, "t:etrace:expr \"[%s]\", (char __user *)args->kstr", "[]");
	fx_free(&fx);

	fx_load(&fx, "ftrace_print");
	fx_set(&fx, "ip", 0xffffffff81234567ull);
	memcpy(fx.ctx + fx_field(&fx, "buf")->offset, "printed\n", 9);
	fx.len += 16;
	/* The message's own newline is escaped, as any control byte is. */
	MSG(&fx, "t:ftrace:print \"%s|%lx\", args->buf, args->ip", "printed\\n|ffffffff81234567");
	fx_free(&fx);
}

UNIT_TEST(expr_strcmp)
{
	struct cfg cfg = cfg_default();
	struct fx fx;
	char lit[140], *text;

	fx_load(&fx, "sys_enter_openat");
	fx_set(&fx, "filename", fx_user_str(&fx, "/etc/passwd"));
	/* BCC's meaning: the string starts with the literal. */
	HIT(&fx, "t:syscalls:sys_enter_openat (STRCMP(\"/etc/passwd\", args->filename))");
	HIT(&fx, "t:syscalls:sys_enter_openat (STRCMP(\"/etc\", args->filename))");
	HIT(&fx, "t:syscalls:sys_enter_openat (STRCMP(\"/\", args->filename))");
	MISS(&fx, "t:syscalls:sys_enter_openat (STRCMP(\"/etc/passwd2\", args->filename))");
	MISS(&fx, "t:syscalls:sys_enter_openat (STRCMP(\"/etc/passwd/\", args->filename))");
	MISS(&fx, "t:syscalls:sys_enter_openat (STRCMP(\"/etd\", args->filename))");
	MISS(&fx, "t:syscalls:sys_enter_openat (STRCMP(\"etc\", args->filename))");
	MISS(&fx, "t:syscalls:sys_enter_openat (STRCMP(\"/ETC\", args->filename))");
	HIT(&fx, "t:syscalls:sys_enter_openat (!STRCMP(\"/tmp\", args->filename))");
	HIT(&fx, "t:syscalls:sys_enter_openat (STRCMP(\"\\x2f\\145tc\", args->filename))");
	HIT(&fx, "t:syscalls:sys_enter_openat (STRCMP(\"/tmp\", args->filename) || "
	    "STRCMP(\"/etc\", args->filename))");
	MISS(&fx, "t:syscalls:sys_enter_openat (STRCMP(\"/etc\", args->filename) && "
	     "STRCMP(\"/tmp\", args->filename))");
	MSG(&fx, "t:syscalls:sys_enter_openat \"%d %d %d\", STRCMP(\"/etc/\", args->filename), "
	    "STRCMP(\"/usr\", args->filename), STRCMP(\"/etc/passwd\", args->filename) + 1",
	    "1 0 2");
	MSG(&fx, "t:syscalls:sys_enter_openat (STRCMP(\"/etc\", args->filename)) \"%s\", "
	    "args->filename", "/etc/passwd");
	/* An unreadable string matches nothing. */
	fx_set(&fx, "filename", 0);
	MISS(&fx, "t:syscalls:sys_enter_openat (STRCMP(\"/\", args->filename))");
	/* An empty string. */
	fx_set(&fx, "filename", fx_user_str(&fx, ""));
	MISS(&fx, "t:syscalls:sys_enter_openat (STRCMP(\"/\", args->filename))");
	/* The longest literal: 128 characters. */
	memset(lit, 'a', 128);
	lit[128] = '\0';
	fx_set(&fx, "filename", fx_user_str(&fx, lit));
	text = xasprintf("t:syscalls:sys_enter_openat (STRCMP(\"%s\", args->filename))", lit);
	HIT(&fx, text);
	free(text);
	lit[127] = 'b';
	text = xasprintf("t:syscalls:sys_enter_openat (STRCMP(\"%s\", args->filename))", lit);
	MISS(&fx, text);
	free(text);
	fx_free(&fx);

	/* Char arrays, data_loc strings and kernel pointers. */
	fx_expr(&fx);
	HIT(&fx, "t:etrace:expr (STRCMP(\"etrace!\", args->name))");
	HIT(&fx, "t:etrace:expr (STRCMP(\"etr\", args->name))");
	MISS(&fx, "t:etrace:expr (STRCMP(\"etrace!!\", args->name))");
	HIT(&fx, "t:etrace:expr (STRCMP(\"/usr/bin/data-loc\", args->dl))");
	MISS(&fx, "t:etrace:expr (STRCMP(\"/usr/bin/data-loc-\", args->dl))");
	HIT(&fx, "t:etrace:expr (STRCMP(\"rel\", args->rl))");
	HIT(&fx, "t:etrace:expr (STRCMP(\"kernel \", args->kstr))");
	MISS(&fx, "t:etrace:expr (STRCMP(\"kernel  \", args->kstr))");
	HIT(&fx, "t:etrace:expr (STRCMP(\"kernel\", (char *)args->kstr) && args->seven == 7)");
	fx_free(&fx);

	fx_load(&fx, "sched_switch");
	fx_set_str(&fx, "prev_comm", "systemd-journal");
	HIT(&fx, "t:sched:sched_switch (STRCMP(\"systemd-journal\", args->prev_comm))");
	MISS(&fx, "t:sched:sched_switch (STRCMP(\"systemd-journald\", args->prev_comm))");
	fx_free(&fx);
}

/* --- built-in variables, the record header, filters, lost events --------------- */

UNIT_TEST(expr_builtin_variables)
{
	struct cfg cfg = cfg_default();
	struct fx fx;
	struct res *r;

	fx_expr(&fx);
	/* $pid is the thread, $tgid the process, as in BCC. */
	MSG(&fx, "t:etrace:expr \"%d %d %d %d %d\", $pid, $tgid, $uid, $gid, $cpu",
	    "4243 4242 1000 100 3");
	HIT(&fx, "t:etrace:expr ($pid == 4243 && $tgid == 4242 && $uid == 1000 && $gid == 100 && "
	    "$cpu == 3)");
	MISS(&fx, "t:etrace:expr ($pid == 4242)");
	/* They are unsigned 32-bit values. */
	cfg.pid_tgid = (2147483648ull << 32) | 4294967295ull;
	cfg.uid_gid = (4000000000ull << 32) | 3000000000ull;
	MSG(&fx, "t:etrace:expr \"%u %u %u %u\", $pid, $tgid, $uid, $gid",
	    "4294967295 2147483648 3000000000 4000000000");
	MSG(&fx, "t:etrace:expr \"%d %lld\", $uid, $uid", "-1294967296 3000000000");
	HIT(&fx, "t:etrace:expr ($uid > 2000000000 && $pid > 0 && $tgid == 2147483648)");
	HIT(&fx, "t:etrace:expr ($pid == -1)");
	MISS(&fx, "t:etrace:expr ($pid < 0)");
	cfg = cfg_default();
	/* $task: the current task_struct (no BTF here: an untyped pointer). */
	r = RUN(&fx, "t:etrace:expr \"%llx %d\", $task, $task != 0");
	CHECK(r->submitted && r->task);
	CHECK_EQ_INT(res_int(r, 0), r->task);
	CHECK_EQ_INT(res_int(r, 1), 1);
	free(r);
	fx_free(&fx);
}

UNIT_TEST(expr_record_header)
{
	struct cfg cfg = cfg_default();
	struct fx fx;
	struct res *r;

	fx_expr(&fx);
	cfg.probe_id = 5;
	r = RUN(&fx, "t:etrace:expr \"%d\", args->seven");
	CHECK(r->submitted);
	CHECK_EQ_INT(r->hdr.probe_id, 5);
	CHECK_EQ_INT(r->hdr.pid_tgid, (4242ull << 32) | 4243);
	CHECK(!memcmp(r->hdr.comm, "etrace-test\0\0\0\0\0", REC_COMM_LEN));
	CHECK_EQ_INT(r->rec_size, sizeof(struct rec_hdr) + 8);
	CHECK_EQ_INT(res_int(r, 0), 7);
	/* Only what the output needs: no clock, stack or CPU without -t, -K, -C. */
	CHECK(!r->calls[BPF_FUNC_ktime_get_ns] && !r->calls[BPF_FUNC_get_stack]);
	CHECK(!r->calls[BPF_FUNC_get_smp_processor_id]);
	/* The filters' pid_tgid is reused for the header. */
	CHECK_EQ_INT(r->calls[BPF_FUNC_get_current_pid_tgid], 1);
	free(r);
	cfg.print_cpu = true;
	r = RUN(&fx, "t:etrace:expr \"%d\", args->seven");
	CHECK(r->submitted);
	CHECK_EQ_INT(r->hdr.cpu, 3);
	free(r);
	/* A probe without a format: the header alone. */
	r = RUN(&fx, "t:etrace:expr");
	CHECK(r->submitted && r->nslots == 0);
	CHECK_EQ_INT(r->rec_size, sizeof(struct rec_hdr));
	free(r);
	/* -t: a timestamp. */
	cfg.timestamp = true;
	r = RUN(&fx, "t:etrace:expr \"%d\", args->one");
	CHECK(r->submitted && r->calls[BPF_FUNC_ktime_get_ns] == 1);
	CHECK_EQ_INT(r->hdr.ts, 123456789);
	free(r);
	/* -K: the kernel stack goes into the record, after the values. */
	cfg.kstack = true;
	r = RUN(&fx, "t:etrace:expr \"%s\", args->name");
	CHECK(r->submitted && r->calls[BPF_FUNC_get_stack] == 1);
	CHECK_EQ_INT(r->hdr.kstack_bytes, 0);
	CHECK_EQ_INT(r->rec_size, sizeof(struct rec_hdr) + 88 + REC_STACK_BYTES);
	CHECK_EQ_STR(r->msg, "etrace!");
	free(r);
	fx_free(&fx);
}

UNIT_TEST(expr_constant_predicates)
{
	struct cfg cfg = cfg_default();
	struct fx fx;
	struct res *r;

	fx_expr(&fx);
	HIT(&fx, "t:etrace:expr (1)");
	HIT(&fx, "t:etrace:expr (-1)");
	HIT(&fx, "t:etrace:expr ('a')");
	HIT(&fx, "t:etrace:expr (2 > 1 && 0 || 1)");
	HIT(&fx, "t:etrace:expr (1 ? 1 : 0)");
	HIT(&fx, "t:etrace:expr (!0)");
	HIT(&fx, "t:etrace:expr ((u8)256 == 0)");
	MISS(&fx, "t:etrace:expr (0)");
	MISS(&fx, "t:etrace:expr (1 == 2)");
	MISS(&fx, "t:etrace:expr (!1)");
	MISS(&fx, "t:etrace:expr (0 && args->one)");
	HIT(&fx, "t:etrace:expr (-1 > 0u)");
	MISS(&fx, "t:etrace:expr (-1 < 0u)");
	MISS(&fx, "t:etrace:expr ((bool)0)");
	/* A false constant predicate: nothing is read or reserved at all. */
	r = RUN(&fx, "t:etrace:expr (0) \"%s\", args->name");
	CHECK(!r->submitted && !r->nreserved && !r->calls[BPF_FUNC_probe_read_kernel_str]);
	free(r);
	fx_free(&fx);
}

UNIT_TEST(expr_filters)
{
	struct cfg cfg = cfg_default();
	struct fx fx;
	struct res *r;

	fx_expr(&fx);
	/* etrace's own events are dropped unless -S. */
	cfg.self = 4242;
	r = RUN(&fx, "t:etrace:expr \"%d\", args->one");
	CHECK(!r->submitted && !r->nreserved && r->calls[BPF_FUNC_get_current_pid_tgid] == 1);
	free(r);
	cfg.include_self = true;
	HIT(&fx, "t:etrace:expr");
	cfg = cfg_default();
	cfg.self = 4243;		/* a thread id is not a process id */
	HIT(&fx, "t:etrace:expr");
	cfg.self = 4242;
	MISS(&fx, "t:etrace:expr (args->one)");
	/* -S without other filters: no helper call at all. */
	cfg = cfg_default();
	cfg.include_self = true;
	r = RUN(&fx, "t:etrace:expr");
	CHECK(r->submitted && r->calls[BPF_FUNC_get_current_pid_tgid] == 1);
	free(r);
	/* -p: the process. */
	cfg = cfg_default();
	cfg.pid = 4242;
	HIT(&fx, "t:etrace:expr");
	cfg.pid = 4243;
	MISS(&fx, "t:etrace:expr");
	cfg.pid = 1;
	MISS(&fx, "t:etrace:expr (1)");
	cfg.include_self = true;
	cfg.pid = 4242;
	HIT(&fx, "t:etrace:expr (args->one)");
	MISS(&fx, "t:etrace:expr (args->zero)");
	/* -L: the thread. */
	cfg = cfg_default();
	cfg.tid = 4243;
	HIT(&fx, "t:etrace:expr");
	cfg.tid = 4242;
	MISS(&fx, "t:etrace:expr");
	cfg.tid = 4243;
	cfg.pid = 4242;
	HIT(&fx, "t:etrace:expr");
	cfg.pid = 4241;
	MISS(&fx, "t:etrace:expr");
	/* --uid */
	cfg = cfg_default();
	cfg.uid = 1000;
	HIT(&fx, "t:etrace:expr");
	cfg.uid = 100;		/* the gid */
	MISS(&fx, "t:etrace:expr");
	cfg.uid = 0;
	MISS(&fx, "t:etrace:expr");
	cfg.uid_gid = 0;
	HIT(&fx, "t:etrace:expr");
	cfg.uid_gid = (7ull << 32) | 3000000000ull;
	cfg.uid = 3000000000;
	HIT(&fx, "t:etrace:expr");
	cfg.uid = 3000000001;
	MISS(&fx, "t:etrace:expr");
	cfg.uid_gid = (7ull << 32) | 4294967294ull;
	cfg.uid = 4294967294;
	HIT(&fx, "t:etrace:expr");
	fx_free(&fx);
}

UNIT_TEST(expr_lost_events)
{
	struct cfg cfg = cfg_default();
	struct fx fx;
	struct res *r;

	fx_expr(&fx);
	cfg.ringbuf_full = true;
	r = RUN(&fx, "t:etrace:expr \"%d %s\", args->one, args->name");
	CHECK(!r->run_ret && r->nreserved == 1 && !r->submitted);
	CHECK_EQ_INT(r->lost, 1);
	free(r);
	/* The counter is the probe's. */
	cfg.probe_id = 3;
	r = RUN(&fx, "t:etrace:expr");
	CHECK(!r->run_ret && !r->submitted);
	CHECK_EQ_INT(r->lost, 1);
	free(r);
	/* Filtered events are not lost events. */
	r = RUN(&fx, "t:etrace:expr (args->zero)");
	CHECK(!r->run_ret && !r->nreserved && !r->submitted);
	CHECK_EQ_INT(r->lost, 0);
	free(r);
	/*
	 * Once etrace has stopped, nothing is recorded and nothing counts as
	 * lost. The flag is read just before the record is reserved, so an
	 * event the filters reject costs no map lookup.
	 */
	cfg.stopped = true;
	r = RUN(&fx, "t:etrace:expr \"%d\", args->one");
	CHECK(!r->run_ret && !r->nreserved && !r->submitted);
	CHECK_EQ_INT(r->lost, 0);
	free(r);
	fx_free(&fx);
}

/* --- compile errors ----------------------------------------------------------- */

UNIT_TEST(expr_errors_names)
{
	struct cfg cfg = cfg_default();
	struct fx fx;

	fx_expr(&fx);
	ERR(&fx, "t:etrace:expr \"%d\", $pdi",
	    "probe 1, column 21: unknown identifier '$pdi' (did you mean '$pid'?)");
	ERR(&fx, "t:etrace:expr ($tgdi == 1)",
	    "probe 1, column 16: unknown identifier '$tgdi' (did you mean '$tgid'?)");
	ERR(&fx, "t:etrace:expr \"%d\", xyzzy_plugh",
	    "probe 1, column 21: unknown identifier 'xyzzy_plugh'");
	ERR(&fx, "t:etrace:expr \"%d\", args->sevne",
	    "probe 1, column 27: tracepoint etrace:expr has no field 'sevne' "
	    "(did you mean 'seven'?)");
	ERR(&fx, "t:etrace:expr \"%d\", args->qqqqqqqq",
	    "probe 1, column 27: tracepoint etrace:expr has no field 'qqqqqqqq'");
	ERR(&fx, "t:etrace:expr \"%d\", arg1",
	    "probe 1, column 21: 'arg1' is not available in a tracepoint probe; use args->FIELD");
	ERR(&fx, "t:etrace:expr (arg6 == 0)",
	    "probe 1, column 16: 'arg6' is not available in a tracepoint probe; use args->FIELD");
	ERR(&fx, "t:etrace:expr (retval > 0)",
	    "probe 1, column 16: 'retval' is not available in a tracepoint probe; use args->FIELD");
	ERR(&fx, "t:etrace:expr \"%p\", ctx",
	    "probe 1, column 21: 'ctx' is not available in a tracepoint probe; use args->FIELD");
	ERR(&fx, "t:etrace:expr \"%d\", args",
	    "probe 1, column 21: 'args' is a pointer to the tracepoint's fields; write args->FIELD");
	ERR(&fx, "t:etrace:expr (strcmp(\"etrace\", args->name))",
	    "probe 1, column 16: unknown function 'strcmp' (did you mean 'STRCMP'?)");
	ERR(&fx, "t:etrace:expr (STRCPM(\"etrace\", args->name))",
	    "probe 1, column 16: unknown function 'STRCPM' (did you mean 'STRCMP'?)");
	ERR(&fx, "t:etrace:expr \"%d\", foo(1)",
	    "probe 1, column 21: unknown function 'foo' (the functions are STRCMP and $entry)");
	/* In sched_switch, with its own names. */
	fx_free(&fx);
	fx_load(&fx, "sched_switch");
	ERR(&fx, "t:sched:sched_switch \"%d\", args->prev_pdi",
	    "probe 1, column 34: tracepoint sched:sched_switch has no field 'prev_pdi' "
	    "(did you mean 'prev_pid'?)");
	ERR(&fx, "t:sched:sched_switch (args->next_com == 0)",
	    "probe 1, column 29: tracepoint sched:sched_switch has no field 'next_com' "
	    "(did you mean 'next_comm'?)");
	fx_free(&fx);
}

UNIT_TEST(expr_errors_operators)
{
	struct cfg cfg = cfg_default();
	struct fx fx;

	fx_expr(&fx);
	ERR(&fx, "t:etrace:expr \"%d\", args->one / 0", "probe 1, column 33: division by zero");
	ERR(&fx, "t:etrace:expr \"%d\", args->one % 0", "probe 1, column 33: division by zero");
	ERR(&fx, "t:etrace:expr \"%d\", 10 / 0", "probe 1, column 26: division by zero");
	ERR(&fx, "t:etrace:expr (args->one % (2 - 2))", "probe 1, column 31: division by zero");
	ERR(&fx, "t:etrace:expr \"%d\", args->one << 64",
	    "probe 1, column 34: shift count 64 is out of range (0 to 63)");
	ERR(&fx, "t:etrace:expr \"%d\", args->one >> -1",
	    "probe 1, column 34: shift count -1 is out of range (0 to 63)");
	ERR(&fx, "t:etrace:expr \"%d\", 1 << 64",
	    "probe 1, column 26: shift count 64 is out of range (0 to 63)");
	/* Strings and arrays are not integers. */
	ERR(&fx, "t:etrace:expr \"%d\", args->name + 1",
	    "probe 1, column 27: this operator needs an integer, but this is an array or string");
	ERR(&fx, "t:etrace:expr \"%d\", 1 - args->dl",
	    "probe 1, column 31: this operator needs an integer, but this is an array or string");
	ERR(&fx, "t:etrace:expr \"%d\", !args->name",
	    "probe 1, column 28: '!' needs an integer, but this is an array or string");
	ERR(&fx, "t:etrace:expr \"%d\", ~args->dl",
	    "probe 1, column 28: '~' needs an integer, but this is an array or string");
	ERR(&fx, "t:etrace:expr \"%d\", -args->name",
	    "probe 1, column 28: '-' needs an integer, but this is an array or string");
	ERR(&fx, "t:etrace:expr (args->name)",
	    "probe 1, column 22: a condition needs an integer, but this is an array or string");
	ERR(&fx, "t:etrace:expr (args->name == 1)",
	    "probe 1, column 22: a comparison needs an integer, but this is an array or string");
	ERR(&fx, "t:etrace:expr (args->one && args->dl)",
	    "probe 1, column 35: a condition needs an integer, but this is an array or string");
	ERR(&fx, "t:etrace:expr \"%d\", args->one ? args->name : args->kstr",
	    "probe 1, column 39: '?:' needs an integer, but this is an array or string");
	ERR(&fx, "t:etrace:expr \"%d\", (int)args->name",
	    "probe 1, column 32: a cast needs an integer, but this is an array or string");
	ERR(&fx, "t:etrace:expr \"%d\", (void)args->s32",
	    "probe 1, column 21: cannot cast to 'void': not an integer or pointer type known here");
	ERR(&fx, "t:etrace:expr \"%d\", (struct file *)args->u64",
	    "probe 1, column 21: 'struct file' needs the kernel's BTF, and this kernel has none");
	/* String literals belong in STRCMP. */
	ERR(&fx, "t:etrace:expr (\"abc\" == 1)",
	    "probe 1, column 16: a string literal can only be compared with STRCMP(\"text\", expr)");
	ERR(&fx, "t:etrace:expr (\"abc\")",
	    "probe 1, column 16: a string literal can only be compared with STRCMP(\"text\", expr)");
	ERR(&fx, "t:etrace:expr \"%d\", -\"abc\"",
	    "probe 1, column 22: a string literal can only be compared with STRCMP(\"text\", expr)");
	ERR(&fx, "t:etrace:expr \"%s\", \"text\"",
	    "probe 1, column 21: a string literal can only be compared with STRCMP(\"text\", expr)");
	fx_free(&fx);
}

UNIT_TEST(expr_errors_memory)
{
	struct cfg cfg = cfg_default();
	struct fx fx;

	fx_expr(&fx);
	ERR(&fx, "t:etrace:expr \"%d\", *args->s32",
	    "probe 1, column 21: cannot dereference this value: it is not a pointer");
	ERR(&fx, "t:etrace:expr \"%d\", *args->name",
	    "probe 1, column 21: cannot dereference this value: it is not a pointer");
	ERR(&fx, "t:etrace:expr \"%d\", *args->foo",
	    "probe 1, column 21: cannot dereference this value: the pointer has no known type "
	    "(cast it, e.g. *(struct file *)arg1)");
	ERR(&fx, "t:etrace:expr \"%d\", args->kstr.len",
	    "probe 1, column 31: '.' needs a struct (this is a pointer: use '->')");
	ERR(&fx, "t:etrace:expr \"%d\", args->s32.x", "probe 1, column 30: '.' needs a struct");
	ERR(&fx, "t:etrace:expr \"%d\", args->s32->x",
	    "probe 1, column 30: '->' needs a pointer to a struct");
	ERR(&fx, "t:etrace:expr \"%d\", args->foo->x",
	    "probe 1, column 25: this pointer has no known type; give the probe a signature or "
	    "cast it, e.g. ((struct file *)arg1)->f_flags");
	ERR(&fx, "t:etrace:expr \"%d\", $task->pid",
	    "probe 1, column 21: this pointer has no known type; give the probe a signature or "
	    "cast it, e.g. ((struct file *)arg1)->f_flags");
	ERR(&fx, "t:etrace:expr \"%d\", &args->s32",
	    "probe 1, column 21: '&' needs a struct or array in memory, e.g. &file->f_path");
	/* Indexes. */
	ERR(&fx, "t:etrace:expr \"%d\", args->name[8]",
	    "probe 1, column 32: index 8 is out of bounds (array of 8)");
	ERR(&fx, "t:etrace:expr \"%d\", args->arr[4]",
	    "probe 1, column 31: index 4 is out of bounds (array of 4)");
	ERR(&fx, "t:etrace:expr \"%d\", args->arr[-1]",
	    "probe 1, column 31: index -1 is out of bounds (array of 4)");
	ERR(&fx, "t:etrace:expr (args->big[2 * 1] == 0)",
	    "probe 1, column 28: index 2 is out of bounds (array of 2)");
	ERR(&fx, "t:etrace:expr \"%d\", args->arr[args->one]",
	    "probe 1, column 35: an array of tracepoint fields needs a constant index");
	ERR(&fx, "t:etrace:expr \"%d\", args->s32[0]",
	    "probe 1, column 30: only arrays and typed pointers can be indexed");
	ERR(&fx, "t:etrace:expr \"%d\", args->odd",
	    "probe 1, column 27: field 'odd' has an unsupported size of 3 bytes");
	fx_free(&fx);
}

UNIT_TEST(expr_errors_format)
{
	struct cfg cfg = cfg_default();
	struct fx fx;

	fx_expr(&fx);
	/* %s takes char arrays, char pointers and 8-byte addresses only. */
	ERR(&fx, "t:etrace:expr \"%s\", args->s32",
	    "probe 1, column 27: %s needs a string (char array, char pointer or address)");
	ERR(&fx, "t:etrace:expr \"%s\", args->u8",
	    "probe 1, column 27: %s needs a string (char array, char pointer or address)");
	ERR(&fx, "t:etrace:expr \"%s\", 5",
	    "probe 1, column 21: %s needs a string (char array, char pointer or address)");
	ERR(&fx, "t:etrace:expr \"%d %s\", args->one, args->arr",
	    "probe 1, column 41: %s needs a string (char array, char pointer or address)");
	ERR(&fx, "t:etrace:expr \"%s\", args->dints",
	    "probe 1, column 27: %s needs a string (char array, char pointer or address)");
	/* Integer conversions take integers. */
	ERR(&fx, "t:etrace:expr \"%d\", args->name",
	    "probe 1, column 27: %d needs an integer, but this is a string or array (use %s)");
	ERR(&fx, "t:etrace:expr \"%x\", args->dl",
	    "probe 1, column 27: %x needs an integer, but this is a string or array (use %s)");
	ERR(&fx, "t:etrace:expr \"%s %c\", args->name, args->arr",
	    "probe 1, column 42: %c needs an integer, but this is a string or array (use %s)");
	/* As many arguments as conversions. */
	ERR(&fx, "t:etrace:expr \"%d\", args->one, args->seven",
	    "probe 1, column 36: too many arguments: the format has 1 conversion");
	ERR(&fx, "t:etrace:expr \"%d %d\", args->one, args->seven, 3",
	    "probe 1, column 48: too many arguments: the format has 2 conversions");
	ERR(&fx, "t:etrace:expr \"hello\", 1",
	    "probe 1, column 24: too many arguments: the format has 0 conversions");
	ERR(&fx, "t:etrace:expr \"%d %s\"",
	    "probe 1, column 16: no argument for conversion 1 of the format");
	ERR(&fx, "t:etrace:expr \"%d %d\", args->one",
	    "probe 1, column 19: no argument for conversion 2 of the format");
	/* Conversions etrace does not have. */
	ERR(&fx, "t:etrace:expr \"%y\", args->one",
	    "probe 1, column 17: unsupported conversion '%y' (supported: %d %i %u %x %X %o %c "
	    "%s %p %K %U %%)");
	ERR(&fx, "t:etrace:expr \"%f\", args->one",
	    "probe 1, column 17: unsupported conversion '%f' (supported: %d %i %u %x %X %o %c "
	    "%s %p %K %U %%)");
	ERR(&fx, "t:etrace:expr \"a %-5lq\", args->one",
	    "probe 1, column 22: unsupported conversion '%-5lq' (supported: %d %i %u %x %X %o %c "
	    "%s %p %K %U %%)");
	/* %U without user symbols (no process to name it in) prints the address. */
	MSG(&fx, "t:etrace:expr \"%U\", args->one", "0x1");
	ERR(&fx, "t:etrace:expr \"%*d\", args->one",
	    "probe 1, column 16: '*' widths are not supported; write the width");
	ERR(&fx, "t:etrace:expr \"%.*d\", args->one",
	    "probe 1, column 16: '*' precisions are not supported; write the precision");
	ERR(&fx, "t:etrace:expr \"%d %\", args->one",
	    "probe 1, column 19: incomplete conversion at the end of the format");
	fx_free(&fx);
}

UNIT_TEST(expr_errors_strcmp)
{
	struct cfg cfg = cfg_default();
	struct fx fx;
	char lit[300], *text;

	fx_expr(&fx);
	ERR(&fx, "t:etrace:expr (STRCMP(args->name, \"etrace\"))",
	    "probe 1, column 16: STRCMP takes a string literal and a string: STRCMP(\"text\", expr)");
	ERR(&fx, "t:etrace:expr (STRCMP(\"etrace\"))",
	    "probe 1, column 16: STRCMP takes a string literal and a string: STRCMP(\"text\", expr)");
	ERR(&fx, "t:etrace:expr (STRCMP(\"a\", args->name, args->name))",
	    "probe 1, column 16: STRCMP takes a string literal and a string: STRCMP(\"text\", expr)");
	ERR(&fx, "t:etrace:expr \"%d\", STRCMP()",
	    "probe 1, column 21: STRCMP takes a string literal and a string: STRCMP(\"text\", expr)");
	ERR(&fx, "t:etrace:expr (STRCMP(\"\", args->name))",
	    "probe 1, column 23: the STRCMP literal must have 1 to 256 characters");
	ERR(&fx, "t:etrace:expr (STRCMP(\"etrace\", args->s32))",
	    "probe 1, column 39: STRCMP needs a string (char array or char pointer) here");
	ERR(&fx, "t:etrace:expr (STRCMP(\"etrace\", args->arr))",
	    "probe 1, column 39: STRCMP needs a string (char array or char pointer) here");
	ERR(&fx, "t:etrace:expr (STRCMP(\"etrace\", \"etrace\"))",
	    "probe 1, column 33: a string literal can only be compared with STRCMP(\"text\", expr)");
	ERR(&fx, "t:etrace:expr (STRCMP(\"x\", args->sevne))",
	    "probe 1, column 34: tracepoint etrace:expr has no field 'sevne' "
	    "(did you mean 'seven'?)");
	/* The longest literal. */
	memset(lit, 'a', 257);
	lit[257] = '\0';
	text = xasprintf("t:etrace:expr (STRCMP(\"%s\", args->name))", lit);
	ERR(&fx, text, "probe 1, column 23: the STRCMP literal must have 1 to 256 characters");
	free(text);
	lit[256] = '\0';
	text = xasprintf("t:etrace:expr (STRCMP(\"%s\", args->name))", lit);
	MISS(&fx, text);
	free(text);
	fx_free(&fx);
}

/* --- kernel types (BTF) ------------------------------------------------------- */

/*
 * A tiny kernel's BTF:
 *	struct mm_struct { unsigned long start_code, total_vm; };
 *	struct task_struct {
 *		int pid, tgid;			0, 4
 *		char comm[16];			8
 *		struct task_struct *parent;	24
 *		unsigned int flags;		32
 *		short prio;			36
 *		unsigned int bits_a:3;		38 (bit 304)
 *		int bits_b:5;			38 (bit 307)
 *		int arr[3];			40
 *		union { unsigned long anon_ul; int anon_int; };	56
 *		struct mm_struct *mm;		64
 *	};					80 bytes
 *	typedef unsigned long pgoff_t;
 */
#define TASK_SIZE 80

static struct btf *fake_btf(void)
{
	struct btf *b = btf__new_empty();
	int t_int, t_uint, t_char, t_ulong, t_short, t_comm, t_arr, t_mm, t_mm_ptr, t_union;
	int t_task_ptr, t_task, next;

	if (!b)
		abort();
	t_int = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	t_uint = btf__add_int(b, "unsigned int", 4, 0);
	t_char = btf__add_int(b, "char", 1, BTF_INT_SIGNED);
	t_ulong = btf__add_int(b, "long unsigned int", 8, 0);
	t_short = btf__add_int(b, "short int", 2, BTF_INT_SIGNED);
	t_comm = btf__add_array(b, t_int, t_char, 16);
	t_arr = btf__add_array(b, t_int, t_int, 3);
	t_mm = btf__add_struct(b, "mm_struct", 16);
	btf__add_field(b, "start_code", t_ulong, 0, 0);
	btf__add_field(b, "total_vm", t_ulong, 64, 0);
	t_mm_ptr = btf__add_ptr(b, t_mm);
	t_union = btf__add_union(b, NULL, 8);
	btf__add_field(b, "anon_ul", t_ulong, 0, 0);
	btf__add_field(b, "anon_int", t_int, 0, 0);
	/* The pointer comes first: it names the struct's id before it exists. */
	next = (int)btf__type_cnt(b);
	t_task_ptr = btf__add_ptr(b, next + 1);
	t_task = btf__add_struct(b, "task_struct", TASK_SIZE);
	if (t_task_ptr != next || t_task != next + 1)
		abort();
	if (btf__add_field(b, "pid", t_int, 0, 0) || btf__add_field(b, "tgid", t_int, 32, 0) ||
	    btf__add_field(b, "comm", t_comm, 64, 0) ||
	    btf__add_field(b, "parent", t_task_ptr, 192, 0) ||
	    btf__add_field(b, "flags", t_uint, 256, 0) ||
	    btf__add_field(b, "prio", t_short, 288, 0) ||
	    btf__add_field(b, "bits_a", t_uint, 304, 3) ||
	    btf__add_field(b, "bits_b", t_int, 307, 5) ||
	    btf__add_field(b, "arr", t_arr, 320, 0) ||
	    btf__add_field(b, NULL, t_union, 448, 0) ||
	    btf__add_field(b, "mm", t_mm_ptr, 512, 0) ||
	    btf__add_typedef(b, "pgoff_t", t_ulong) < 0)
		abort();
	return b;
}

/* A task_struct image as the fake BTF lays it out. */
static void task_image(uint8_t *t, int pid, const char *comm, uint64_t parent, uint64_t mm)
{
	int32_t v32;
	int16_t prio = -20;
	uint64_t ul = 0xffffffff00000005ull;

	memset(t, 0, TASK_SIZE);
	v32 = pid;
	memcpy(t, &v32, 4);
	v32 = pid - 1;
	memcpy(t + 4, &v32, 4);
	memcpy(t + 8, comm, strlen(comm) + 1);
	memcpy(t + 24, &parent, 8);
	v32 = 0x00400100;
	memcpy(t + 32, &v32, 4);
	memcpy(t + 36, &prio, 2);
	/* bits_a = 5 in bits 0-2, bits_b = -3 (0b11101) in bits 3-7. */
	t[38] = 5 | 29 << 3;
	v32 = 1;
	memcpy(t + 40, &v32, 4);
	v32 = -2;
	memcpy(t + 44, &v32, 4);
	v32 = 3;
	memcpy(t + 48, &v32, 4);
	memcpy(t + 56, &ul, 8);
	memcpy(t + 64, &mm, 8);
}

UNIT_TEST(expr_btf_members)
{
	struct cfg cfg = cfg_default();
	uint8_t task[TASK_SIZE], parent[TASK_SIZE];
	uint64_t mm[2] = { 0x400000, 1234 }, parent_addr, mm_addr;
	struct fx fx;
	struct res *r;
	char want[64];

	fx_expr(&fx);
	task_image(parent, 1, "systemd", 0, 0);
	parent_addr = fx_kernel_bytes(&fx, parent, sizeof(parent));
	mm_addr = fx_kernel_bytes(&fx, mm, sizeof(mm));
	task_image(task, 4243, "worker/3", parent_addr, mm_addr);
	fx_set(&fx, "u64", parent_addr);
	cfg.btf = fake_btf();
	cfg.task = task;
	cfg.task_len = sizeof(task);
	MSG(&fx, "t:etrace:expr \"%d %d %s\", $task->pid, $task->tgid, $task->comm",
	    "4243 4242 worker/3");
	MSG(&fx, "t:etrace:expr \"%c%c %d\", $task->comm[0], $task->comm[args->one], "
	    "$task->comm[15]", "wo 0");
	MSG(&fx, "t:etrace:expr \"%x %d %u %d\", $task->flags & 0x100, $task->prio, "
	    "$task->bits_a, $task->bits_b", "100 -20 5 -3");
	MSG(&fx, "t:etrace:expr \"%d %d %d %d\", $task->arr[0], $task->arr[1], $task->arr[2], "
	    "$task->arr[args->one + 1]", "1 -2 3 3");
	MSG(&fx, "t:etrace:expr \"%lx %d\", $task->anon_ul, $task->anon_int", "ffffffff00000005 5");
	/* Pointers to structs, followed. */
	MSG(&fx, "t:etrace:expr \"%d %s %lx %lu\", $task->parent->pid, $task->parent->comm, "
	    "$task->mm->start_code, $task->mm->total_vm", "1 systemd 400000 1234");
	/* A NULL pointer reads as zeroes. */
	MSG(&fx, "t:etrace:expr \"%d [%s] %d\", $task->parent->parent->pid, "
	    "$task->parent->parent->comm, $task->parent->mm->total_vm", "0 [] 0");
	HIT(&fx, "t:etrace:expr ($task->parent->parent == 0 && $task->mm != 0)");
	HIT(&fx, "t:etrace:expr ($task->bits_b < 0 && $task->bits_a > 4)");
	HIT(&fx, "t:etrace:expr (STRCMP(\"worker\", $task->comm) && "
	    "STRCMP(\"sys\", $task->parent->comm))");
	MISS(&fx, "t:etrace:expr (STRCMP(\"systemd\", $task->comm))");
	/* '.', '*', '&' and casts. */
	MSG(&fx, "t:etrace:expr \"%d %d %s\", (*$task).pid, (*$task->parent).tgid, "
	    "(*$task).comm", "4243 0 worker/3");
	MSG(&fx, "t:etrace:expr \"%s %d\", &$task->comm, *(char *)$task", "worker/3 -109");
	r = RUN(&fx, "t:etrace:expr \"%lx %lx\", &$task->arr, &$task->parent->comm");
	CHECK_EQ_INT(res_int(r, 0), r->task + 40);
	CHECK_EQ_INT(res_int(r, 1), parent_addr + 8);
	free(r);
	MSG(&fx, "t:etrace:expr \"%d %s\", ((struct task_struct *)args->u64)->pid, "
	    "((struct task_struct *)args->u64)->comm", "1 systemd");
	MSG(&fx, "t:etrace:expr \"%d\", ((struct task_struct *)$task)->parent->pid", "1");
	/* Kernel typedefs and integer names come from BTF too. */
	MSG(&fx, "t:etrace:expr \"%llu %llu\", (long unsigned int)args->m1, (long unsigned int)-1",
	    "18446744073709551615 18446744073709551615");
	snprintf(want, sizeof(want), "%llx", (unsigned long long)parent_addr);
	MSG(&fx, "t:etrace:expr \"%lx\", $task->parent", want);
	fx_free(&fx);
	btf__free(cfg.btf);
}

UNIT_TEST(expr_btf_errors)
{
	struct cfg cfg = cfg_default();
	struct fx fx;

	fx_expr(&fx);
	cfg.btf = fake_btf();
	ERR(&fx, "t:etrace:expr \"%d\", $task->commm",
	    "probe 1, column 28: struct task_struct has no member 'commm' (did you mean 'comm'?)");
	ERR(&fx, "t:etrace:expr \"%d\", $task->pdi",
	    "probe 1, column 28: struct task_struct has no member 'pdi'");
	ERR(&fx, "t:etrace:expr \"%d\", $task->mm->xyzzy",
	    "probe 1, column 32: struct mm_struct has no member 'xyzzy'");
	ERR(&fx, "t:etrace:expr \"%d\", $task->anon_in",
	    "probe 1, column 28: struct task_struct has no member 'anon_in' "
	    "(did you mean 'anon_int'?)");
	ERR(&fx, "t:etrace:expr \"%d\", $task.pid",
	    "probe 1, column 26: '.' needs a struct (this is a pointer: use '->')");
	ERR(&fx, "t:etrace:expr \"%d\", (*$task)->pid",
	    "probe 1, column 29: '->' needs a pointer to a struct (this is a struct: use '.')");
	ERR(&fx, "t:etrace:expr \"%d\", $task->pid->x",
	    "probe 1, column 31: '->' needs a pointer to a struct");
	ERR(&fx, "t:etrace:expr \"%d\", $task->comm->x",
	    "probe 1, column 32: '->' needs a pointer to a struct");
	ERR(&fx, "t:etrace:expr \"%d\", *$task",
	    "probe 1, column 21: %d needs an integer, but this is a string or array (use %s)");
	ERR(&fx, "t:etrace:expr \"%d\", $task->arr",
	    "probe 1, column 28: %d needs an integer, but this is a string or array (use %s)");
	ERR(&fx, "t:etrace:expr \"%s\", $task->arr",
	    "probe 1, column 28: %s needs a string (char array, char pointer or address)");
	ERR(&fx, "t:etrace:expr \"%d\", &$task->pid",
	    "probe 1, column 21: '&' needs a struct or array in memory, e.g. &file->f_path");
	ERR(&fx, "t:etrace:expr \"%d\", *$task->pid",
	    "probe 1, column 21: cannot dereference this value: it is not a pointer");
	ERR(&fx, "t:etrace:expr \"%d\", $task->pid[0]",
	    "probe 1, column 31: only arrays and typed pointers can be indexed");
	ERR(&fx, "t:etrace:expr \"%d\", ((struct nosuch *)args->u64)->x",
	    "probe 1, column 22: unknown type 'struct nosuch' (not in the kernel's BTF)");
	ERR(&fx, "t:etrace:expr \"%d\", (union task_struct *)args->u64",
	    "probe 1, column 21: unknown type 'union task_struct' (not in the kernel's BTF)");
	ERR(&fx, "t:etrace:expr (STRCMP(\"x\", $task->arr))",
	    "probe 1, column 35: STRCMP needs a string (char array or char pointer) here");
	ERR(&fx, "t:etrace:expr \"%d\", $task->comm + 1",
	    "probe 1, column 28: this operator needs an integer, but this is an array or string");
	ERR(&fx, "t:etrace:expr \"%d\", (int)*$task",
	    "probe 1, column 26: a cast needs an integer, but this is a struct");
	fx_free(&fx);
	btf__free(cfg.btf);
}

/* --- the interpreter itself: it must catch what the verifier would ------------ */

#define I_MOV_IMM(d, v) \
	((struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = d, .imm = v })
#define I_MOV(d, s) \
	((struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = d, .src_reg = s })
#define I_ALU(op, d, s) \
	((struct bpf_insn){ .code = BPF_ALU64 | (op) | BPF_X, .dst_reg = d, .src_reg = s })
#define I_LSH_IMM(d, v) \
	((struct bpf_insn){ .code = BPF_ALU64 | BPF_LSH | BPF_K, .dst_reg = d, .imm = v })
#define I_ADD_IMM(d, v) \
	((struct bpf_insn){ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = d, .imm = v })
#define I_LDX(size, d, s, o) ((struct bpf_insn){ .code = BPF_LDX | BPF_MEM | (size), \
						 .dst_reg = d, .src_reg = s, .off = o })
#define I_STX(size, d, s, o) ((struct bpf_insn){ .code = BPF_STX | BPF_MEM | (size), \
						 .dst_reg = d, .src_reg = s, .off = o })
#define I_ST(size, d, o, v) ((struct bpf_insn){ .code = BPF_ST | BPF_MEM | (size), \
						.dst_reg = d, .off = o, .imm = v })
#define I_CALL(id) ((struct bpf_insn){ .code = BPF_JMP | BPF_CALL, .imm = id })
#define I_EXIT() ((struct bpf_insn){ .code = BPF_JMP | BPF_EXIT })
/* Two slots: a map (@s BPF_PSEUDO_MAP_FD) or a 64-bit constant. */
#define I_LD64(d, s, v) \
	((struct bpf_insn){ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = d, .src_reg = s, \
			    .imm = (int32_t)(uint32_t)(v) }), \
	((struct bpf_insn){ .imm = (int32_t)(uint32_t)((uint64_t)(v) >> 32) })

struct interp_case {
	struct bpf_probe_env env;
	uint8_t ctx[32];
	char user[16];
};

/* Run @prog; returns the interpreter's verdict, r0 in c->env.ret. */
static int interp(struct interp_case *c, const struct bpf_insn *prog, size_t cnt)
{
	bpf_probe_env_free(&c->env);
	bpf_probe_env_init(&c->env);
	memset(c->ctx, 0x11, sizeof(c->ctx));
	snprintf(c->user, sizeof(c->user), "hello");
	c->env.ctx = c->ctx;
	c->env.ctx_len = sizeof(c->ctx);
	bpf_probe_env_add_mem(&c->env, c->user, sizeof(c->user), true);
	return bpf_probe_run(&c->env, prog, cnt);
}

#define INTERP(c, ...)							\
	interp(c, (const struct bpf_insn[]){ __VA_ARGS__ },		\
	       sizeof((const struct bpf_insn[]){ __VA_ARGS__ }) / sizeof(struct bpf_insn))

UNIT_TEST(expr_interpreter_checks)
{
	struct interp_case *c = xcalloc(1, sizeof(*c));
	uint64_t user = (uintptr_t)c->user;

	/* Well-behaved: read the context, return it. */
	CHECK_EQ_INT(INTERP(c, I_LDX(BPF_W, 0, 1, 4), I_EXIT()), 0);
	CHECK_EQ_INT(c->env.ret, 0x11111111);
	/* Uninitialised stack, registers clobbered by a call, no r0. */
	CHECK_EQ_INT(INTERP(c, I_LDX(BPF_DW, 0, 10, -8), I_EXIT()), -1);
	CHECK_EQ_STR(c->env.err, "insn 0: load: read of uninitialised stack at fp-8");
	CHECK_EQ_INT(INTERP(c, I_CALL(BPF_FUNC_ktime_get_ns), I_MOV(0, 1), I_EXIT()), -1);
	CHECK_EQ_STR(c->env.err, "insn 1: r1 read before set");
	CHECK_EQ_INT(INTERP(c, I_EXIT()), -1);
	CHECK_EQ_STR(c->env.err, "insn 0: r0 read before set");
	CHECK_EQ_INT(INTERP(c, I_MOV_IMM(0, 0)), -1);
	CHECK_EQ_STR(c->env.err, "insn 1: ran off the program or too long");
	/* The context is read-only and bounded. */
	CHECK_EQ_INT(INTERP(c, I_ST(BPF_W, 1, 0, 1), I_MOV_IMM(0, 0), I_EXIT()), -1);
	CHECK_EQ_STR(c->env.err, "insn 0: store: store of 4 bytes at ctx+0 is not allowed there");
	CHECK_EQ_INT(INTERP(c, I_LDX(BPF_DW, 0, 1, 28), I_EXIT()), -1);
	CHECK_EQ_STR(c->env.err, "insn 0: load: load of 8 bytes at ctx+28 runs past its end "
		     "(32 bytes)");
	CHECK_EQ_INT(INTERP(c, I_LDX(BPF_B, 0, 1, -1), I_EXIT()), -1);
	CHECK(strstr(c->env.err, "insn 0: load: bad memory access at 0x") == c->env.err);
	/* User memory: never loaded directly, only with probe_read_user*. */
	CHECK_EQ_INT(INTERP(c, I_LD64(1, 0, user), I_LDX(BPF_B, 0, 1, 0), I_EXIT()), -1);
	CHECK_EQ_STR(c->env.err, "insn 2: load: load of 1 bytes at user memory+0 is not allowed "
		     "there");
	CHECK_EQ_INT(INTERP(c, I_MOV(1, 10), I_ADD_IMM(1, -8), I_MOV_IMM(2, 8), I_LD64(3, 0, user),
			    I_CALL(BPF_FUNC_probe_read_kernel), I_LDX(BPF_DW, 1, 10, -8),
			    I_ALU(BPF_ADD, 0, 1), I_ADD_IMM(0, 100), I_EXIT()), 0);
	CHECK_EQ_INT(c->env.ret, 100 - EFAULT);
	CHECK_EQ_INT(INTERP(c, I_MOV(1, 10), I_ADD_IMM(1, -8), I_MOV_IMM(2, 8), I_LD64(3, 0, user),
			    I_CALL(BPF_FUNC_probe_read_user), I_LDX(BPF_B, 0, 10, -7),
			    I_EXIT()), 0);
	CHECK_EQ_INT(c->env.ret, 'e');
	/* The _str helpers: NUL-terminated, the length with the NUL. */
	CHECK_EQ_INT(INTERP(c, I_MOV(1, 10), I_ADD_IMM(1, -8), I_MOV_IMM(2, 4), I_LD64(3, 0, user),
			    I_CALL(BPF_FUNC_probe_read_user_str), I_LDX(BPF_W, 1, 10, -8),
			    I_LSH_IMM(1, 8), I_ALU(BPF_OR, 0, 1), I_EXIT()), 0);
	CHECK_EQ_INT(c->env.ret, ((uint64_t)('h' | 'e' << 8 | 'l' << 16) << 8) | 4);
	CHECK_EQ_INT(INTERP(c, I_MOV(1, 10), I_ADD_IMM(1, -8), I_MOV_IMM(2, 8), I_LD64(3, 0, user),
			    I_CALL(BPF_FUNC_probe_read_user_str), I_EXIT()), 0);
	CHECK_EQ_INT(c->env.ret, 6);
	CHECK_EQ_INT(INTERP(c, I_MOV(1, 10), I_ADD_IMM(1, -8), I_MOV_IMM(2, 8), I_LD64(3, 0, user),
			    I_CALL(BPF_FUNC_probe_read_kernel_str), I_LDX(BPF_DW, 0, 10, -8),
			    I_EXIT()), 0);
	CHECK_EQ_INT(c->env.ret, 0);
	/* Ring buffer records: bounded, submitted once, then gone. */
	CHECK_EQ_INT(INTERP(c, I_LD64(1, BPF_PSEUDO_MAP_FD, 7), I_MOV_IMM(2, 16), I_MOV_IMM(3, 0),
			    I_CALL(BPF_FUNC_ringbuf_reserve), I_MOV_IMM(0, 0), I_EXIT()), -1);
	CHECK_EQ_STR(c->env.err, "the record is neither submitted nor discarded");
	CHECK_EQ_INT(INTERP(c, I_LD64(1, BPF_PSEUDO_MAP_FD, 7), I_MOV_IMM(2, 16), I_MOV_IMM(3, 0),
			    I_CALL(BPF_FUNC_ringbuf_reserve), I_ST(BPF_DW, 0, 12, 1),
			    I_EXIT()), -1);
	CHECK_EQ_STR(c->env.err, "insn 5: store: store of 8 bytes at record+12 runs past its end "
		     "(16 bytes)");
	CHECK_EQ_INT(INTERP(c, I_LD64(1, BPF_PSEUDO_MAP_FD, 7), I_MOV_IMM(2, 16), I_MOV_IMM(3, 0),
			    I_CALL(BPF_FUNC_ringbuf_reserve), I_MOV(6, 0), I_ST(BPF_DW, 6, 8, 5),
			    I_MOV(1, 6), I_MOV_IMM(2, 0), I_CALL(BPF_FUNC_ringbuf_submit),
			    I_ST(BPF_DW, 6, 0, 1), I_EXIT()), -1);
	CHECK_EQ_STR(c->env.err, "insn 10: store: store of 8 bytes at record+0 is not allowed "
		     "there");
	CHECK(c->env.nsubmitted == 1 && c->env.rec_size == 16);
	CHECK_EQ_INT(INTERP(c, I_LD64(1, BPF_PSEUDO_MAP_FD, 8), I_MOV_IMM(2, 16), I_MOV_IMM(3, 0),
			    I_CALL(BPF_FUNC_ringbuf_reserve), I_EXIT()), -1);
	CHECK_EQ_STR(c->env.err, "insn 4: helper 131 failed: ringbuf_reserve on 0xfd00000008, "
		     "not the ring buffer");
	bpf_probe_env_free(&c->env);
	free(c);
}

UNIT_TEST(expr_limits)
{
	struct cfg cfg = cfg_default();
	char *fmt = xstrdup(""), *args = xstrdup(""), *want = xstrdup(""), *text, *t;
	char lit[257], *cut;
	struct fx fx;
	struct res *r;
	size_t col;

	fx_expr(&fx);
	/* 64 values: the most a record carries. */
	for (int i = 0; i < 64; i++) {
		t = xasprintf("%s%s%%d", fmt, i ? " " : "");
		free(fmt);
		fmt = t;
		t = xasprintf("%s, args->seven * %d", args, i);
		free(args);
		args = t;
		t = xasprintf("%s%s%d", want, i ? " " : "", 7 * i);
		free(want);
		want = t;
	}
	text = xasprintf("t:etrace:expr \"%s\"%s", fmt, args);
	r = RUN(&fx, text);
	CHECK_EQ_INT(r->nslots, 64);
	CHECK_EQ_INT(r->slots[63].offset, 63 * 8);
	CHECK_EQ_STR(r->msg, want);
	free(r);
	free(text);
	/* The column of the 65th argument's "->". */
	col = strlen("t:etrace:expr \"") + strlen(fmt) + strlen(" %d\"") + strlen(args) +
	      strlen(", args") + 1;
	text = xasprintf("t:etrace:expr \"%s %%d\"%s, args->one", fmt, args);
	t = xasprintf("probe 1, column %zu: at most 64 arguments are supported", col);
	ERR(&fx, text, t);
	free(t);
	free(text);
	free(fmt);
	free(args);
	free(want);

	/* Temporary strings for STRCMP live in a 4096-byte scratch area. */
	memset(lit, 'e', 256);
	lit[256] = '\0';
	text = xstrdup("t:etrace:expr (");
	for (int i = 0; i < 16; i++) {
		col = strlen(text) + 1;
		t = xasprintf("%s%sSTRCMP(\"%s\", args->name)", text, i ? " || " : "", lit);
		free(text);
		text = t;
		if (i == 14) {
			t = xasprintf("%s)", text);
			MISS(&fx, t);
			free(t);
		}
	}
	t = xasprintf("%s)", text);
	free(text);
	cut = xasprintf("probe 1, column %zu: the probe needs more than 4096 bytes of temporary "
			"strings", col + 4);
	ERR(&fx, t, cut);
	free(cut);
	free(t);

	/* A large -Z. */
	fx_free(&fx);
	fx_load(&fx, "sys_enter_openat");
	memset(lit, 'p', 256);
	lit[0] = '/';
	fx_set(&fx, "filename", fx_user_str(&fx, lit));
	cfg.string_size = 200;
	r = RUN(&fx, "t:syscalls:sys_enter_openat \"%s\", args->filename");
	CHECK_EQ_INT(r->slots[0].size, 208);
	CHECK(strlen(r->msg) == 203 && !strncmp(r->msg, lit, 200) && !strcmp(r->msg + 200, "..."));
	free(r);
	cfg.string_size = 256;
	MSG(&fx, "t:syscalls:sys_enter_openat \"%s\", args->filename", lit);
	fx_free(&fx);
}

/*
 * Golden programs: the code generated for a few probes, compared with
 * tests/unit/golden/NAME.txt. A change in code generation shows up here as
 * a diff to review; ETRACE_UPDATE_GOLDEN=1 rewrites the files.
 */
static void golden(struct fx *f, struct cfg *c, const char *name, const char *text,
		   int *unit_failed)
{
	char *path = xasprintf("%s/golden/%s.txt", unit_data_dir(), name), *want;
	struct res *r = xcalloc(1, sizeof(*r));
	struct strbuf got = { 0 };

	c->listing = true;
	run_probe(f, c, text, r);
	c->listing = false;
	sb_printf(&got, "# %s\n%s", text, r->listing ? r->listing : r->err);
	if (getenv("ETRACE_UPDATE_GOLDEN")) {
		FILE *out = fopen(path, "w");

		if (!out || fputs(got.buf, out) == EOF || fclose(out))
			CHECK(!"cannot write the golden file");
	}
	want = read_file(path, NULL);
	if (!want || strcmp(want, got.buf)) {
		fprintf(stderr, "  golden %s differs (ETRACE_UPDATE_GOLDEN=1 rewrites it):\n%s\n",
			path, got.buf);
		*unit_failed = 1;
	}
	free(want);
	free(r->listing);
	free(r);
	sb_free(&got);
	free(path);
}

UNIT_TEST(expr_golden_programs)
{
	struct cfg cfg = cfg_default();
	struct fx fx;

	fx_load(&fx, "sys_enter_openat");
	golden(&fx, &cfg, "openat-filename", "t:syscalls:sys_enter_openat \"%s\", args->filename",
	       unit_failed);
	golden(&fx, &cfg, "openat-strcmp-flags",
	       "t:syscalls:sys_enter_openat (STRCMP(\"/etc\", args->filename) && "
	       "(args->flags & 0x40)) \"%d %s\", args->dfd, args->filename", unit_failed);
	cfg.pid = 1234;
	cfg.timestamp = true;
	cfg.kstack = true;
	golden(&fx, &cfg, "openat-pid-time-stack", "t:syscalls:sys_enter_openat", unit_failed);
	fx_free(&fx);
	cfg = cfg_default();
	fx_expr(&fx);
	golden(&fx, &cfg, "expr-arith",
	       "t:etrace:expr (args->s32 / args->neg7 > -3) \"%lld %u\", "
	       "(long)args->s8 * args->u16 % 7, args->u32 >> 3", unit_failed);
	fx_free(&fx);
}

/*
 *	struct bits_struct {
 *		unsigned long lo : 4, wide : 62;	(crosses into the 9th byte)
 *		enum sgn e;				(enum sgn { NEG = -1, POS = 1 })
 *	};
 */
static struct btf *bits_btf(void)
{
	struct btf *b = btf__new_empty();
	int t_ulong, t_enum, t_s;

	if (!b)
		abort();
	t_ulong = btf__add_int(b, "long unsigned int", 8, 0);
	t_enum = btf__add_enum(b, "sgn", 4);
	if (btf__add_enum_value(b, "NEG", -1) || btf__add_enum_value(b, "POS", 1))
		abort();
	t_s = btf__add_struct(b, "bits_struct", 16);
	if (t_ulong < 0 || t_enum < 0 || t_s < 0 ||
	    btf__add_field(b, "lo", t_ulong, 0, 4) || btf__add_field(b, "wide", t_ulong, 4, 62) ||
	    btf__add_field(b, "e", t_enum, 96, 0))
		abort();
	return b;
}

UNIT_TEST(expr_btf_wide_bitfield_and_signed_enum)
{
	struct cfg cfg = cfg_default();
	uint8_t img[16] = { 0 };
	uint64_t wide = 0x2345678912345678ull, addr;
	int32_t e = -1;
	struct fx fx;

	fx_expr(&fx);
	/* lo = 0xa in bits 0-3, wide in bits 4-65, e at byte 12. */
	for (int i = 0; i < 62; i++)
		if (wide >> i & 1)
			img[(i + 4) / 8] |= (uint8_t)(1u << ((i + 4) % 8));
	img[0] |= 0xa;
	memcpy(img + 12, &e, 4);
	addr = fx_kernel_bytes(&fx, img, sizeof(img));
	fx_set(&fx, "u64", addr);
	cfg.btf = bits_btf();
	MSG(&fx, "t:etrace:expr \"%lx %lu\", ((struct bits_struct *)args->u64)->wide, "
	    "((struct bits_struct *)args->u64)->lo", "2345678912345678 10");
	/* Since 6.0 an enum with negative values is signed in BTF. */
	HIT(&fx, "t:etrace:expr (((struct bits_struct *)args->u64)->e < 0)");
	MSG(&fx, "t:etrace:expr \"%d\", ((struct bits_struct *)args->u64)->e", "-1");
	fx_free(&fx);
	btf__free(cfg.btf);
}

UNIT_TEST(expr_scratch_slice_per_probe)
{
	struct cfg cfg = cfg_default();
	struct fx fx;

	fx_expr(&fx);
	/* The slice is the probe's: the lookup key is the probe id. */
	cfg.probe_id = 7;
	HIT(&fx, "t:etrace:expr (STRCMP(\"etrace\", args->name))");
	cfg.probe_id = BPF_PROBE_LOST_KEYS;	/* past the interpreter's map: no slice */
	MISS(&fx, "t:etrace:expr (STRCMP(\"etrace\", args->name))");
	fx_free(&fx);
}
