// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer entry point for the probe-spec parser and the printf-format
 * engine. One input is one probe argument as typed on the command line:
 * it is parsed as a whole (spec_parse), and on success every part is
 * printed back and the format string is parsed and rendered. The raw
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

#include "output/format.h"
#include "spec/spec.h"
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
	} else {
		err_check(err);
	}
	spec_free(&ps);
	free(err);
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

	free(text);
	return 0;
}
