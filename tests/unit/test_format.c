// SPDX-License-Identifier: BSD-2-Clause
/*
 * The printf engine of probe actions: parsing of conversions, rendering of
 * integers (with C's truncation to the conversion's type), strings cut at
 * the -Z size, %K through a fixture kallsyms, and the error messages.
 */
#include <errno.h>
#include <stdlib.h>

#include "output/format.h"
#include "sym/ksym.h"
#include "unit.h"
#include "util.h"

#define ALL_ONES 0xffffffffffffffffULL

/*
 * Render @fmt (parsed at column 1) with @values, strings escaped unless
 * @raw; returns the text (cut to what a static buffer holds) or
 * "error: <message>".
 */
static const char *render_raw(const char *fmt, const void *const *values, int str_size,
			      struct ksyms *ks, bool raw)
{
	static char out[16384];
	struct strbuf sb = { 0 };
	struct fmt_spec f;
	char err[256];

	if (fmt_parse(fmt, 1, &f, err, sizeof(err))) {
		snprintf(out, sizeof(out), "error: %s", err);
		return out;
	}
	fmt_render(&f, values, str_size, ks, raw, &sb);
	fmt_free(&f);
	snprintf(out, sizeof(out), "%s", sb.buf ? sb.buf : "");
	if (sb.buf && strlen(sb.buf) != sb.len)
		snprintf(out, sizeof(out), "(bad length)");
	sb_free(&sb);
	return out;
}

static const char *render_len(const char *fmt, const void *const *values, int str_size,
			      struct ksyms *ks, size_t len)
{
	(void)len;
	return render_raw(fmt, values, str_size, ks, false);
}

static const char *render(const char *fmt, const void *const *values)
{
	return render_len(fmt, values, 80, NULL, 4096);
}

/* One integer conversion (or more, all given @v). */
static const char *fmt1(const char *fmt, uint64_t v)
{
	const void *values[] = { &v, &v, &v, &v };

	return render(fmt, values);
}

/* The error message of @fmt parsed at column @col, or "(parsed)". */
static const char *fmt_error(const char *fmt, int col)
{
	static char err[256];
	struct fmt_spec f;
	int ret;

	strcpy(err, "(no message)");
	ret = fmt_parse(fmt, col, &f, err, sizeof(err));
	if (!ret) {
		fmt_free(&f);
		return "(parsed)";
	}
	/* A failed parse leaves nothing behind. */
	if (ret != -EINVAL || f.text || f.convs || f.nconvs)
		return "(bad failure state)";
	return err;
}

/*
 * A string value as the record holds it: a buffer of str_size + 2 bytes
 * (exactly, so that ASan catches reads past it), zero-filled, holding the
 * first @n bytes of @s.
 */
static char *str_buf(const char *s, size_t n, int str_size)
{
	char *buf = xcalloc(1, (size_t)str_size + 2);

	memcpy(buf, s, n < (size_t)str_size + 2 ? n : (size_t)str_size + 2);
	return buf;
}

/* %s of @s with -Z @str_size. */
static const char *fmt_str(const char *fmt, const char *s, size_t n, int str_size)
{
	static char out[512];
	char *buf = str_buf(s, n, str_size);
	const void *values[] = { buf };

	snprintf(out, sizeof(out), "%s", render_len(fmt, values, str_size, NULL, 4096));
	free(buf);
	return out;
}

UNIT_TEST(format_parse_fields)
{
	struct fmt_spec f;
	char err[256];

	CHECK_EQ_INT(fmt_parse("a%%b %-08.3lx c%s|%hhd%%", 10, &f, err, sizeof(err)), 0);
	CHECK_EQ_STR(f.text, "a%b  c|%");
	CHECK_EQ_INT(f.nconvs, 3);
	if (f.nconvs == 3) {
		CHECK_EQ_INT(f.convs[0].lit_start, 0);
		CHECK_EQ_INT(f.convs[0].lit_len, 4);
		CHECK_EQ_INT(f.convs[0].conv, 'x');
		CHECK_EQ_STR(f.convs[0].flags, "-0");
		CHECK_EQ_INT(f.convs[0].width, 8);
		CHECK_EQ_INT(f.convs[0].precision, 3);
		CHECK_EQ_INT(f.convs[0].size, 8);
		CHECK(!f.convs[0].is_signed);
		CHECK_EQ_INT(f.convs[0].col, 15);
		CHECK(!fmt_conv_is_string(&f.convs[0]));

		CHECK_EQ_INT(f.convs[1].lit_start, 4);
		CHECK_EQ_INT(f.convs[1].lit_len, 2);
		CHECK_EQ_INT(f.convs[1].conv, 's');
		CHECK_EQ_STR(f.convs[1].flags, "");
		CHECK_EQ_INT(f.convs[1].width, -1);
		CHECK_EQ_INT(f.convs[1].precision, -1);
		CHECK_EQ_INT(f.convs[1].size, 0);
		CHECK_EQ_INT(f.convs[1].col, 25);
		CHECK(fmt_conv_is_string(&f.convs[1]));

		CHECK_EQ_INT(f.convs[2].lit_start, 6);
		CHECK_EQ_INT(f.convs[2].lit_len, 1);
		CHECK_EQ_INT(f.convs[2].conv, 'd');
		CHECK_EQ_INT(f.convs[2].size, 1);
		CHECK(f.convs[2].is_signed);
		CHECK_EQ_INT(f.convs[2].col, 28);

		/* The trailing entry holds the text after the last conversion. */
		CHECK_EQ_INT(f.convs[3].conv, 0);
		CHECK_EQ_INT(f.convs[3].lit_start, 7);
		CHECK_EQ_INT(f.convs[3].lit_len, 1);
	}
	fmt_free(&f);
	CHECK(!f.text && !f.convs && !f.nconvs);
}

UNIT_TEST(format_parse_sizes)
{
	static const struct {
		const char *fmt;
		char conv;
		int size;
		bool is_signed;
	} cases[] = {
		{ "%d", 'd', 4, true }, { "%i", 'i', 4, true }, { "%u", 'u', 4, false },
		{ "%x", 'x', 4, false }, { "%X", 'X', 4, false }, { "%o", 'o', 4, false },
		{ "%hhd", 'd', 1, true }, { "%hhu", 'u', 1, false }, { "%hd", 'd', 2, true },
		{ "%hx", 'x', 2, false }, { "%ld", 'd', 8, true }, { "%lu", 'u', 8, false },
		{ "%lld", 'd', 8, true }, { "%llx", 'x', 8, false }, { "%zu", 'u', 8, false },
		{ "%zd", 'd', 8, true }, { "%jd", 'd', 8, true }, { "%td", 'd', 8, true },
		{ "%c", 'c', 1, false }, { "%lc", 'c', 1, false }, { "%p", 'p', 8, false },
		{ "%K", 'K', 8, false }, { "%s", 's', 0, false }, { "%ls", 's', 0, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fmt_spec f;
		char err[256];

		if (fmt_parse(cases[i].fmt, 1, &f, err, sizeof(err))) {
			fprintf(stderr, "  %s: %s\n", cases[i].fmt, err);
			CHECK(0);
			continue;
		}
		if (f.nconvs != 1 || f.convs[0].conv != cases[i].conv ||
		    f.convs[0].size != cases[i].size ||
		    f.convs[0].is_signed != cases[i].is_signed) {
			fprintf(stderr, "  %s: conv %c size %d signed %d\n", cases[i].fmt,
				f.nconvs ? f.convs[0].conv : '?',
				f.nconvs ? f.convs[0].size : -1,
				f.nconvs ? f.convs[0].is_signed : -1);
			CHECK(0);
		}
		fmt_free(&f);
	}
}

UNIT_TEST(format_parse_literals)
{
	struct fmt_spec f;
	char err[256];

	/* No conversion: all text, %% collapsed. */
	CHECK_EQ_INT(fmt_parse("100%% sure %%d", 1, &f, err, sizeof(err)), 0);
	CHECK_EQ_STR(f.text, "100% sure %d");
	CHECK_EQ_INT(f.nconvs, 0);
	CHECK_EQ_INT(f.convs[0].conv, 0);
	CHECK_EQ_INT(f.convs[0].lit_len, 12);
	CHECK_EQ_STR(render("100%% sure %%d", NULL), "100% sure %d");
	fmt_free(&f);

	/* Empty format. */
	CHECK_EQ_INT(fmt_parse("", 1, &f, err, sizeof(err)), 0);
	CHECK_EQ_STR(f.text, "");
	CHECK_EQ_INT(f.nconvs, 0);
	CHECK_EQ_STR(render("", NULL), "");
	fmt_free(&f);

	/* Adjacent conversions with no text between them. */
	CHECK_EQ_INT(fmt_parse("%s%s%d%d", 3, &f, err, sizeof(err)), 0);
	CHECK_EQ_STR(f.text, "");
	CHECK_EQ_INT(f.nconvs, 4);
	if (f.nconvs == 4) {
		for (size_t i = 0; i <= 4; i++)
			CHECK_EQ_INT(f.convs[i].lit_len, 0);
		CHECK_EQ_INT(f.convs[1].col, 5);
		CHECK_EQ_INT(f.convs[3].col, 9);
	}
	fmt_free(&f);

	/* %%%d: a literal percent, then a conversion. */
	CHECK_EQ_INT(fmt_parse("%%%d%%%%", 1, &f, err, sizeof(err)), 0);
	CHECK_EQ_STR(f.text, "%%%");
	CHECK_EQ_INT(f.nconvs, 1);
	CHECK_EQ_INT(f.convs[0].col, 3);
	CHECK_EQ_INT(f.convs[0].lit_len, 1);
	CHECK_EQ_INT(f.convs[1].lit_len, 2);
	fmt_free(&f);
	CHECK_EQ_STR(fmt1("%%%d%%%%", 7), "%7%%");

	/* Duplicate flags are kept once. */
	CHECK_EQ_INT(fmt_parse("%--+ +5d", 1, &f, err, sizeof(err)), 0);
	CHECK_EQ_STR(f.convs[0].flags, "-+ ");
	CHECK_EQ_INT(f.convs[0].width, 5);
	fmt_free(&f);
}

UNIT_TEST(format_integers_truncation)
{
	CHECK_EQ_STR(fmt1("%d", ALL_ONES), "-1");
	CHECK_EQ_STR(fmt1("%i", ALL_ONES), "-1");
	CHECK_EQ_STR(fmt1("%u", ALL_ONES), "4294967295");
	CHECK_EQ_STR(fmt1("%hhd", ALL_ONES), "-1");
	CHECK_EQ_STR(fmt1("%hhu", ALL_ONES), "255");
	CHECK_EQ_STR(fmt1("%hd", ALL_ONES), "-1");
	CHECK_EQ_STR(fmt1("%hu", ALL_ONES), "65535");
	CHECK_EQ_STR(fmt1("%ld", ALL_ONES), "-1");
	CHECK_EQ_STR(fmt1("%lu", ALL_ONES), "18446744073709551615");
	CHECK_EQ_STR(fmt1("%lld", ALL_ONES), "-1");
	CHECK_EQ_STR(fmt1("%llu", ALL_ONES), "18446744073709551615");
	CHECK_EQ_STR(fmt1("%zu", ALL_ONES), "18446744073709551615");
	CHECK_EQ_STR(fmt1("%zd", ALL_ONES), "-1");
	CHECK_EQ_STR(fmt1("%jd", ALL_ONES), "-1");
	CHECK_EQ_STR(fmt1("%tu", ALL_ONES), "18446744073709551615");
	CHECK_EQ_STR(fmt1("%x", ALL_ONES), "ffffffff");
	CHECK_EQ_STR(fmt1("%X", ALL_ONES), "FFFFFFFF");
	CHECK_EQ_STR(fmt1("%hhx", ALL_ONES), "ff");
	CHECK_EQ_STR(fmt1("%hx", ALL_ONES), "ffff");
	CHECK_EQ_STR(fmt1("%lx", ALL_ONES), "ffffffffffffffff");
	CHECK_EQ_STR(fmt1("%llX", ALL_ONES), "FFFFFFFFFFFFFFFF");
	CHECK_EQ_STR(fmt1("%o", ALL_ONES), "37777777777");
	CHECK_EQ_STR(fmt1("%lo", ALL_ONES), "1777777777777777777777");
	CHECK_EQ_STR(fmt1("%hho", ALL_ONES), "377");

	/* Only the low bytes count: 0x1234567890abcdef. */
	CHECK_EQ_STR(fmt1("%d", 0x1234567890abcdefULL), "-1867788817");
	CHECK_EQ_STR(fmt1("%u", 0x1234567890abcdefULL), "2427178479");
	CHECK_EQ_STR(fmt1("%hd", 0x1234567890abcdefULL), "-12817");
	CHECK_EQ_STR(fmt1("%hu", 0x1234567890abcdefULL), "52719");
	CHECK_EQ_STR(fmt1("%hhd", 0x1234567890abcdefULL), "-17");
	CHECK_EQ_STR(fmt1("%hhu", 0x1234567890abcdefULL), "239");
	CHECK_EQ_STR(fmt1("%lld", 0x1234567890abcdefULL), "1311768467294899695");
	CHECK_EQ_STR(fmt1("%x", 0x1234567890abcdefULL), "90abcdef");
	CHECK_EQ_STR(fmt1("%llx", 0x1234567890abcdefULL), "1234567890abcdef");
	CHECK_EQ_STR(fmt1("%X", 0x1234567890abcdefULL), "90ABCDEF");

	/* Extremes of each size. */
	CHECK_EQ_STR(fmt1("%d", 0x80000000ULL), "-2147483648");
	CHECK_EQ_STR(fmt1("%d", 0x7fffffffULL), "2147483647");
	CHECK_EQ_STR(fmt1("%lld", 0x8000000000000000ULL), "-9223372036854775808");
	CHECK_EQ_STR(fmt1("%hhd", 0x80), "-128");
	CHECK_EQ_STR(fmt1("%hhd", 0x7f), "127");
	CHECK_EQ_STR(fmt1("%hd", 0x8000), "-32768");
	CHECK_EQ_STR(fmt1("%d", 0), "0");
	CHECK_EQ_STR(fmt1("%x", 0), "0");
}

UNIT_TEST(format_integers_flags)
{
	uint64_t minus42 = (uint64_t)-42;

	CHECK_EQ_STR(fmt1("%5d|", 42), "   42|");
	CHECK_EQ_STR(fmt1("%-5d|", 42), "42   |");
	CHECK_EQ_STR(fmt1("%05d", 42), "00042");
	CHECK_EQ_STR(fmt1("%+d", 42), "+42");
	CHECK_EQ_STR(fmt1("% d", 42), " 42");
	CHECK_EQ_STR(fmt1("%.4d", 42), "0042");
	CHECK_EQ_STR(fmt1("%8.4d|", 42), "    0042|");
	CHECK_EQ_STR(fmt1("%-+6d|", 42), "+42   |");
	CHECK_EQ_STR(fmt1("%5d", minus42), "  -42");
	CHECK_EQ_STR(fmt1("%05d", minus42), "-0042");
	CHECK_EQ_STR(fmt1("%+d", minus42), "-42");
	CHECK_EQ_STR(fmt1("%#x", 255), "0xff");
	CHECK_EQ_STR(fmt1("%#X", 255), "0XFF");
	CHECK_EQ_STR(fmt1("%#o", 8), "010");
	CHECK_EQ_STR(fmt1("%08x", 0xbeef), "0000beef");
	CHECK_EQ_STR(fmt1("%#010lx", 0xbeef), "0x0000beef");
	CHECK_EQ_STR(fmt1("%-6u|", 7), "7     |");
	CHECK_EQ_STR(fmt1("%2d", 12345), "12345");
	CHECK_EQ_STR(fmt1("%.0d|", 0), "|");
	/* Adjacent conversions and literal text around them. */
	CHECK_EQ_STR(fmt1("%d%d", 5), "55");
	CHECK_EQ_STR(fmt1("a%db%xc", 10), "a10bac");
	{
		uint64_t a = 1, b = (uint64_t)-2, c = 0x30;
		const void *values[] = { &a, &b, &c };

		CHECK_EQ_STR(render("pid=%d ret=%d mask=%#x.", values), "pid=1 ret=-2 mask=0x30.");
		CHECK_EQ_STR(render("%u%d%x", values), "1-230");
	}
}

UNIT_TEST(format_char_pointer)
{
	CHECK_EQ_STR(fmt1("%c", 'A'), "A");
	CHECK_EQ_STR(fmt1("[%3c]", 'A'), "[  A]");
	CHECK_EQ_STR(fmt1("[%-3c]", 'A'), "[A  ]");
	/* Only the low byte: 0x141 is 'A'. */
	CHECK_EQ_STR(fmt1("%c", 0x141), "A");
	CHECK_EQ_STR(fmt1("%c%c", 'z'), "zz");

	CHECK_EQ_STR(fmt1("%p", 0xffffffff81000100ULL), "0xffffffff81000100");
	CHECK_EQ_STR(fmt1("%p", 0), "0x0");
	CHECK_EQ_STR(fmt1("%p", 0x1000), "0x1000");
	CHECK_EQ_STR(fmt1("[%8p]", 0x1000), "[  0x1000]");
	CHECK_EQ_STR(fmt1("[%-8p]", 0x1000), "[0x1000  ]");
}

UNIT_TEST(format_ksym)
{
	char *path = xasprintf("%s/data/kallsyms.txt", unit_data_dir());
	struct ksyms *ks = ksyms__new(path);
	uint64_t a = 0xffffffff81000110ULL, b = 0xffffffffc0a01010ULL;
	uint64_t c = 0xffffffff80ffffffULL, d = 0xffffffff81000100ULL;
	const void *values[] = { &a, &b, &c, &d };

	free(path);
	CHECK_EQ_STR(render_len("%K", values, 80, ks, 256), "do_one+0x10");
	/* No module for %K (BCC's ksym with show_offset). */
	CHECK_EQ_STR(render_len("%K|%K", values, 80, ks, 256), "do_one+0x10|foo_bar+0x10");
	CHECK_EQ_STR(render_len("%K %K %K %K", values, 80, ks, 256),
		     "do_one+0x10 foo_bar+0x10 [unknown] do_one+0x0");
	CHECK_EQ_STR(render_len("[%-15K]", values, 80, ks, 256), "[do_one+0x10    ]");
	CHECK_EQ_STR(render_len("[%15K]", values, 80, ks, 256), "[    do_one+0x10]");
	ksyms__free(ks);

	/* Without a symbol table nothing resolves. */
	CHECK_EQ_STR(render_len("%K", values, 80, NULL, 256), "[unknown]");
}

UNIT_TEST(format_strings)
{
	/* A NUL ends the string. */
	CHECK_EQ_STR(fmt_str("%s", "hello", 6, 80), "hello");
	CHECK_EQ_STR(fmt_str("%s", "ab\0cd", 6, 80), "ab");
	CHECK_EQ_STR(fmt_str("[%s]", "", 1, 80), "[]");
	/* Flags, width and precision. */
	CHECK_EQ_STR(fmt_str("%.3s", "hello", 6, 80), "hel");
	CHECK_EQ_STR(fmt_str("%10s|", "hello", 6, 80), "     hello|");
	CHECK_EQ_STR(fmt_str("%-10s|", "hello", 6, 80), "hello     |");
	CHECK_EQ_STR(fmt_str("%-8.2s|", "hello", 6, 80), "he      |");
	CHECK_EQ_STR(fmt_str("%2s", "hello", 6, 80), "hello");
	/* Exactly str_size characters: complete. */
	CHECK_EQ_STR(fmt_str("%s", "abcd", 5, 4), "abcd");
	/* Longer than str_size: cut, with "...". */
	CHECK_EQ_STR(fmt_str("%s", "abcde", 6, 4), "abcd...");
	CHECK_EQ_STR(fmt_str("%s", "abcdefgh", 6, 4), "abcd...");
	CHECK_EQ_STR(fmt_str("[%9s]", "abcdef", 6, 4), "[  abcd...]");
	CHECK_EQ_STR(fmt_str("%.5s", "abcdef", 6, 4), "abcd.");
	/* A full buffer with no NUL at all is not read past str_size + 1. */
	CHECK_EQ_STR(fmt_str("%s", "zzzzzz", 6, 4), "zzzz...");
	CHECK_EQ_STR(fmt_str("%s", "x", 2, 1), "x");
	CHECK_EQ_STR(fmt_str("%s", "xy", 3, 1), "x...");

	/* Adjacent strings, with integers between. */
	{
		char *a = str_buf("foo", 4, 16), *b = str_buf("bar", 4, 16);
		uint64_t n = 3;
		const void *values[] = { a, b, &n, a };

		CHECK_EQ_STR(render_len("%s%s", values, 16, NULL, 256), "foobar");
		CHECK_EQ_STR(render_len("<%s|%s> %d %s.", values, 16, NULL, 256),
			     "<foo|bar> 3 foo.");
		free(a);
		free(b);
	}
}

UNIT_TEST(format_render_long)
{
	uint64_t v = 123456;
	const void *values[] = { &v, &v };
	const char *out;

	/* Nothing is cut: an 8200-wide conversion is printed whole. */
	out = render("%8200d|END", values);
	CHECK_EQ_INT(strlen(out), 8204);
	CHECK_EQ_STR(out + 8194, "123456|END");
	out = render("%d%d", values);
	CHECK_EQ_STR(out, "123456123456");
}

UNIT_TEST(format_render_escapes)
{
	char *a = xcalloc(1, 82), *b = xcalloc(1, 82);
	const void *values[] = { a, b };
	uint64_t esc = 27, nul = 0, e_acute = 0xe9;
	const void *cvals[] = { &esc, &nul, &e_acute };

	strcpy(a, "x\nFAKE 1 1 evil");
	strcpy(b, "\x1b[31mred\\");
	CHECK_EQ_STR(render_len("%s|%s", values, 80, NULL, 0),
		     "x\\nFAKE 1 1 evil|\\x1b[31mred\\\\");
	CHECK_EQ_STR(render_raw("%s", values, 80, NULL, true), "x\nFAKE 1 1 evil");
	/* Valid UTF-8 stays, invalid bytes and C1 controls do not. */
	strcpy(a, "caf\xc3\xa9 \xe2\x82\xac \xff \xc2\x9b \xed\xa0\x80");
	CHECK_EQ_STR(render_len("%s", values, 80, NULL, 0),
		     "caf\xc3\xa9 \xe2\x82\xac \\xff \\xc2\\x9b \\xed\\xa0\\x80");
	/* Widths count the bytes as written, as printf does. */
	strcpy(a, "\t");
	CHECK_EQ_STR(render_len("[%3s]", values, 80, NULL, 0), "[  \\t]");
	CHECK_EQ_STR(render_len("%c%c%c", cvals, 80, NULL, 0), "\\x1b\\x00\\xe9");
	free(a);
	free(b);
}

UNIT_TEST(format_errors)
{
	CHECK_EQ_STR(fmt_error("%f", 1),
		     "column 2: unsupported conversion '%f' (supported: %d %i %u %x %X %o "
		     "%c %s %p %K %U %%)");
	CHECK_EQ_STR(fmt_error("ab %n", 1),
		     "column 5: unsupported conversion '%n' (supported: %d %i %u %x %X %o "
		     "%c %s %p %K %U %%)");
	CHECK_EQ_STR(fmt_error("%d %-5.2lf", 10),
		     "column 19: unsupported conversion '%-5.2lf' (supported: %d %i %u %x "
		     "%X %o %c %s %p %K %U %%)");
	CHECK_EQ_STR(fmt_error("%hhhd", 1),
		     "column 4: unsupported conversion '%hhh' (supported: %d %i %u %x %X %o "
		     "%c %s %p %K %U %%)");
	CHECK_EQ_STR(fmt_error("%5%", 1),
		     "column 3: unsupported conversion '%5%' (supported: %d %i %u %x %X %o "
		     "%c %s %p %K %U %%)");
	CHECK_EQ_STR(fmt_error("%", 1),
		     "column 1: incomplete conversion at the end of the format");
	CHECK_EQ_STR(fmt_error("total: %", 5),
		     "column 12: incomplete conversion at the end of the format");
	CHECK_EQ_STR(fmt_error("%%%", 1),
		     "column 3: incomplete conversion at the end of the format");
	CHECK_EQ_STR(fmt_error("x %-08.3ll", 1),
		     "column 3: incomplete conversion at the end of the format");
	CHECK_EQ_STR(fmt_error("%*d", 1),
		     "column 1: '*' widths are not supported; write the width");
	CHECK_EQ_STR(fmt_error("a %-*d", 1),
		     "column 3: '*' widths are not supported; write the width");
	CHECK_EQ_STR(fmt_error("%.*s", 1),
		     "column 1: '*' precisions are not supported; write the precision");
	CHECK_EQ_STR(fmt_error("%U", 1), "(parsed)");
	CHECK_EQ_STR(fmt_error("sym %-20lU", 3), "(parsed)");
	CHECK_EQ_STR(fmt_error("%d %s %K %%", 1), "(parsed)");
	/* The message is cut to the buffer and stays terminated. */
	{
		struct fmt_spec f;
		char err[10];

		CHECK_EQ_INT(fmt_parse("%f", 1, &f, err, sizeof(err)), -EINVAL);
		CHECK_EQ_STR(err, "column 2:");
	}
}

/* The printf-free path of plain conversions prints what printf prints. */
UNIT_TEST(format_plain_matches_printf)
{
	static const uint64_t vals[] = {
		0, 1, 9, 10, 255, 256, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
		0x7fffffffffffffffULL, 0x8000000000000000ULL, ALL_ONES, 1234567890123ULL,
	};
	static const char *const fmts[] = {
		"%d", "%u", "%x", "%X", "%ld", "%lu", "%lx", "%lX", "%hhd", "%hu", "%hx", "%i",
	};
	char want[64];

	for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
		uint64_t v = vals[i];

		for (size_t j = 0; j < ARRAY_SIZE(fmts); j++) {
			const char *f = fmts[j];
			bool l = f[1] == 'l', hh = f[1] == 'h' && f[2] == 'h', h = f[1] == 'h';
			char conv = f[strlen(f) - 1];
			long long sv = l ? (long long)v : hh ? (signed char)v :
				       h ? (short)v : (int)v;
			unsigned long long uv = l ? v : hh ? (unsigned char)v :
						h ? (unsigned short)v : (unsigned int)v;

			if (conv == 'd' || conv == 'i')
				snprintf(want, sizeof(want), "%lld", sv);
			else if (conv == 'u')
				snprintf(want, sizeof(want), "%llu", uv);
			else
				snprintf(want, sizeof(want), conv == 'x' ? "%llx" : "%llX", uv);
			if (strcmp(fmt1(f, v), want)) {
				fprintf(stderr, "  %s of 0x%llx: got '%s', want '%s'\n", f,
					(unsigned long long)v, fmt1(f, v), want);
				CHECK(0);
			}
		}
	}
	/* Strings: escaped, and cut ones end in "...", as with a width. */
	CHECK_EQ_STR(fmt_str("<%s>", "ab\ncd", 5, 80), "<ab\\ncd>");
	CHECK_EQ_STR(fmt_str("<%s>", "abcdef", 6, 4), "<abcd...>");
	CHECK_EQ_STR(fmt_str("<%s>", "", 0, 4), "<>");
}
