// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer entry point for the probe-spec parser and the printf-format
 * engine. One input is one probe argument as typed on the command line:
 * it is parsed as a whole (spec_parse), and on success every part is
 * printed back, the format string is parsed and rendered, and the probe
 * is compiled to BPF against a tracepoint format with fields of every kind
 * (constant folding, casts, STRCMP, layout; no BTF, no kernel). The raw
 * input also goes straight to the expression, signature and format
 * parsers, which see text spec_parse would have split off first.
 *
 * Error buffers are exactly sized heap blocks, of 256 bytes or, for one
 * input in three, of 0 to 39 bytes: a message must never overrun its
 * buffer, and a failure must always leave a NUL-terminated message.
 *
 * Built two ways: with clang -fsanitize=fuzzer (make fuzz) and, for
 * `make check`, with tests/fuzz/driver.c supplying main().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include "compile/codegen.h"
#include "output/format.h"
#include "providers/provider.h"
#include "providers/usdt_arg.h"
#include "session.h"
#include "spec/spec.h"
#include "types/tpformat.h"
#include "util.h"

#define FUZZ_STR_SIZE 16
#define FUZZ_ERR_SIZE 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Size of the error buffers for the current input. */
static size_t err_size;

/* An error buffer of err_size bytes, none of them NUL. */
static char *err_new(void)
{
	char *err = xmalloc(err_size ? err_size : 1);

	memset(err, 'X', err_size ? err_size : 1);
	return err;
}

/* After a failure: a message was written, and it is NUL-terminated. */
static void err_check(const char *err)
{
	if (err_size && !memchr(err, '\0', err_size))
		abort();
	if (err_size == FUZZ_ERR_SIZE && !err[0])
		abort();
}

/* Print @e back, then parse the printed text again (it must not crash). */
static void roundtrip_expr(const struct expr *e)
{
	struct expr *again;
	char *s, *err;

	if (!e)
		return;
	s = expr_to_string(e);
	err = err_new();
	again = expr_parse(s, 1, err, err_size);
	if (!again)
		err_check(err);
	expr_free(again);
	free(err);
	free(s);
}

/*
 * Render @f into an exactly sized heap buffer of @len bytes (so that an
 * overrun is an ASan report), with every value zero or, if @full, every
 * integer all ones and every string as long as a record can hold.
 */
static void render(const struct fmt_spec *f, bool full, size_t len)
{
	const void **values = xcalloc(f->nconvs + 1, sizeof(*values));
	struct strbuf out = { 0 };

	for (size_t i = 0; i < f->nconvs; i++) {
		size_t n = fmt_conv_is_string(&f->convs[i]) ? FUZZ_STR_SIZE + 2 : 8;
		char *v = xcalloc(1, n);

		/* A string one longer than -Z allows is the "cut" case. */
		if (full)
			memset(v, fmt_conv_is_string(&f->convs[i]) ? 'A' : 0xff, n - 1);
		if (full && n == 8)
			v[7] = (char)0xff;
		values[i] = v;
	}
	(void)len;
	fmt_render(f, values, FUZZ_STR_SIZE, NULL, full, &out);
	for (size_t i = 0; i < f->nconvs; i++)
		free((void *)values[i]);
	free(values);
	sb_free(&out);
}

static void fuzz_format(const char *fmt, int col)
{
	char *err = err_new();
	struct fmt_spec f;

	if (fmt_parse(fmt, col, &f, err, err_size)) {
		err_check(err);
		free(err);
		return;		/* fmt_parse frees everything on error */
	}
	free(err);
	render(&f, false, 256);
	render(&f, true, 256);
	render(&f, true, 7);	/* cut in the middle of a conversion */
	render(&f, false, 1);
	render(&f, false, 0);
	fmt_free(&f);
}

/* A tracepoint with fields of each kind the compiler handles. */
static const char fuzz_format_text[] =
	"name: fuzz\nID: 1\nformat:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\tfield:__data_loc char[] name;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:s8 a;\toffset:12;\tsize:1;\tsigned:1;\n"
	"\tfield:u16 b;\toffset:14;\tsize:2;\tsigned:0;\n"
	"\tfield:long c;\toffset:16;\tsize:8;\tsigned:1;\n"
	"\tfield:unsigned long d;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:const char * filename;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:char comm[16];\toffset:40;\tsize:16;\tsigned:1;\n"
	"\tfield:s32 arr[4];\toffset:56;\tsize:16;\tsigned:1;\n"
	"\nprint fmt: \"x\"\n";

/*
 * Compile @ps as if it were a probe on that tracepoint. Maps are named by
 * role in the program: nothing is created or loaded. Messages go to
 * /dev/null for the duration.
 */
static void fuzz_compile(const struct probe_spec *ps)
{
	struct session s;
	struct probe p = { .rt.prog_fd = -1 };
	struct tp_format tp;
	struct bpf_insn *insns = NULL;
	char err[256], category[] = "fuzz", event[] = "fuzz";
	size_t cnt = 0;
	int saved = dup(STDERR_FILENO), nul = open("/dev/null", O_WRONLY);

	session_init(&s);
	s.opt.string_size = FUZZ_STR_SIZE;
	s.opt.uid = -1;
	s.ring_size = 1 << 16;
	s.btf_tried = true;	/* no kernel types: the result must not depend on the host */
	/* A shallow copy: the expressions stay @ps's. */
	p.spec = *ps;
	p.spec.type = 't';
	p.spec.category = category;
	p.spec.function = event;
	p.func_name = event;
	p.prov = &tracepoint_provider;
	if (tp_format_parse(fuzz_format_text, &tp, err, sizeof(err)))
		abort();
	p.fields = &tp;
	if (nul >= 0)
		dup2(nul, STDERR_FILENO);
	codegen_probe(&s, &p, &insns, &cnt, NULL);
	if (saved >= 0)
		dup2(saved, STDERR_FILENO);
	free(insns);
	tp_format_free(&tp);
	free(p.layout.slots);
	if (p.layout.fmt) {
		fmt_free(p.layout.fmt);
		free(p.layout.fmt);
	}
	if (nul >= 0)
		close(nul);
	if (saved >= 0)
		close(saved);
	session_teardown(&s);
}

static void fuzz_spec(const char *text)
{
	char *err = err_new();
	struct probe_spec ps;

	/* spec_parse() leaves partial results on error: spec_free() them too. */
	if (!spec_parse(text, 1, &ps, err, err_size)) {
		spec_kind_name(&ps);
		roundtrip_expr(ps.predicate);
		for (size_t i = 0; i < ps.nargs; i++)
			roundtrip_expr(ps.args[i]);
		if (ps.format)
			fuzz_format(ps.format, ps.format_col + 1);
		fuzz_compile(&ps);
	} else {
		err_check(err);
	}
	spec_free(&ps);
	free(err);
}

static int fuzz_sym(const char *name, uint64_t *addr, void *arg)
{
	(void)arg;
	*addr = strlen(name) * 4096;
	return name[0] == 'x' ? -1 : 0;
}

/*
 * A USDT argument operand, as a file's .note.stapsdt may hold anything:
 * the input is split into operands as notes are, and each is read as an
 * x86-64 and as an aarch64 operand, in a position-independent file and in
 * a fixed one. A location must come out sane or say why not.
 */
static void fuzz_usdt_arg(const char *text)
{
	static const char *const arches[] = { "x86_64", "arm64" };
	char *copy = xstrdup(text), *save = NULL;

	for (char *tok = usdt_arg_next(copy, &save); tok; tok = usdt_arg_next(NULL, &save))
		for (int i = 0; i < 4; i++) {
			struct usdt_arg_env env = { .arch = arch_by_name(arches[i / 2]), .file = "f",
						    .pic = i % 2, .pc = 0x1000,
						    .sym_addr = fuzz_sym };
			struct loc l;

			usdt_parse_arg(tok, &env, &l);
			if (l.kind == LOC_NONE && (!memchr(l.why, '\0', sizeof(l.why)) || !l.why[0]))
				abort();
			if (l.kind != LOC_NONE && l.size != 1 && l.size != 2 && l.size != 4 &&
			    l.size != 8)
				abort();
			if (l.kind == LOC_MEM && l.scale != 1 && l.scale != 2 && l.scale != 4 &&
			    l.scale != 8)
				abort();
			/* Registers are inside struct pt_regs. */
			if (l.kind == LOC_CTX && (l.off < 0 || l.off + l.size > env.arch->regs_size))
				abort();
			if (l.kind == LOC_MEM && (l.base >= env.arch->regs_size ||
						  l.index >= env.arch->regs_size))
				abort();
		}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1), *err;
	struct param *params;
	size_t nparams;
	struct expr *e;

	/* Exactly sized, so that reading past the NUL is an ASan report. */
	memcpy(text, data, size);
	text[size] = '\0';
	err_size = size % 3 ? FUZZ_ERR_SIZE : size % 40;

	fuzz_spec(text);

	err = err_new();
	e = expr_parse(text, 1, err, err_size);
	if (!e)
		err_check(err);
	roundtrip_expr(e);
	expr_free(e);
	free(err);

	/* The parameter list is returned even on error: free it either way. */
	err = err_new();
	if (expr_parse_params(text, 1, &params, &nparams, err, err_size))
		err_check(err);
	free(err);
	for (size_t i = 0; i < nparams; i++) {
		free(params[i].name);
		free(params[i].type.base);
	}
	free(params);

	fuzz_format(text, 1);
	fuzz_usdt_arg(text);

	free(text);
	return 0;
}
