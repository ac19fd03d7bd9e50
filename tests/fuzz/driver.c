// SPDX-License-Identifier: BSD-2-Clause
/*
 * A stand-in for libFuzzer's main(), for compilers without it (gcc) and
 * for `make check`:
 *
 *   fuzz-driver [-n ITER] [-s SEED] [-p] CORPUS_DIR_OR_FILE...
 *
 * Runs every corpus file through LLVMFuzzerTestOneInput(), then a few
 * generated inputs too long for the corpus (see add_deep), then ITER
 * inputs made from them by deterministic random mutations (the same SEED
 * gives the same inputs): bit flips, byte changes, insertions of tokens
 * of the probe grammar, deletions, duplications and splices of two corpus
 * entries. Crashes are left to the sanitizers or valgrind; -p prints each
 * input on stderr before running it, so the last one shown is the culprit.
 *
 * The last line is "fuzz: N passed, 0 failed" (N = corpus files plus
 * batches of BATCH mutations) for tests/check.sh.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define BATCH 1000
#define MAX_LEN 4096		/* libFuzzer's default -max_len */
#define MAX_FILE (1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	uint8_t *data;
	size_t len;
};

struct corpus {
	struct input *in;
	size_t n, cap;
};

/* Tokens of the probe, expression and format grammars, and some traps. */
static const char *const tokens[] = {
	":", "::", "(", ")", "\"", "'", "%", "->", "@user", "@", "STRCMP(", ",", " ",
	"\t", "\n", "[", "]", ".", "?", "&&", "||", "<<", ">>", "==", "!=", "<=", ">=",
	"!", "~", "*", "&", "-", "+", "/", "|", "^", "<", ">", "$", "$pid", "$tgid",
	"0", "1", "7", "9", "00", "0x", "0X1f", "077", "08", "1u", "2ULL", "0x1g",
	"18446744073709551615", "18446744073709551616", "9223372036854775808",
	"\\", "\\\\", "\\\"", "\\x", "\\x4", "\\x41", "\\0", "\\777", "\\n", "\\q",
	"p:", "r:", "t:", "u:", "p::", "t:sched:", "u:lib:", "+", "+0x10", "+18",
	"arg1", "arg6", "retval", "args->", "args", "comm", "_", "x",
	"(char *)", "(struct file *)", "(unsigned long)", "(const char __user *)",
	"(u8)", "(void **)", "struct ", "union ", "enum ", "unsigned ", "const ",
	"__user ", "volatile ", "long ", "int ", "void", "char *", " * ", "sigset_t",
	"%d", "%i", "%u", "%x", "%X", "%o", "%c", "%s", "%p", "%K", "%U", "%%",
	"%-08.3lx", "%hhu", "%hd", "%lld", "%zu", "%jx", "%td", "%+ #0", "%*d",
	"%.*s", "%999999d", "%.999999s", "%5.2s", "%ll", "%h", "%z", "%-",
	"\"%s\", arg1", "\"%d\"", "(arg1 == 1)", "a[1]", "f(1, 2)", "a ? b : c",
};

static uint64_t rng_state;

/* splitmix64: small, good enough, and the same everywhere. */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform enough in [0, n); n > 0. */
static size_t rnd_below(size_t n)
{
	return (size_t)(rnd() % n);
}

static void corpus_add(struct corpus *c, uint8_t *data, size_t len)
{
	c->in = grow_array(c->in, &c->cap, c->n + 1, sizeof(*c->in));
	c->in[c->n].data = data;
	c->in[c->n].len = len;
	c->n++;
}

static int load_file(struct corpus *c, const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t len;

	if (!f) {
		fprintf(stderr, "fuzz-driver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	buf = xmalloc(MAX_FILE);
	len = fread(buf, 1, MAX_FILE, f);
	if (ferror(f)) {
		fprintf(stderr, "fuzz-driver: %s: read error\n", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	corpus_add(c, xrealloc(buf, len ? len : 1), len);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of @dir, in name order (readdir order is not stable). */
static int load_dir(struct corpus *c, const char *dir)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int ret = 0;

	if (!d) {
		fprintf(stderr, "fuzz-driver: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			names = grow_array(names, &cap, n + 1, sizeof(*names));
			names[n++] = xasprintf("%s/%s", dir, de->d_name);
		}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (!ret && !stat(names[i], &st) && S_ISREG(st.st_mode))
			ret = load_file(c, names[i]);
		free(names[i]);
	}
	free(names);
	return ret;
}

/* @head, @open @count times, @mid, @close @count times, @tail. */
static void add_repeated(struct corpus *c, const char *head, const char *open,
			 const char *mid, const char *close, const char *tail, size_t count)
{
	size_t hl = strlen(head), ol = strlen(open), ml = strlen(mid);
	size_t cl = strlen(close), tl = strlen(tail);
	size_t len = hl + count * (ol + cl) + ml + tl;
	uint8_t *buf = xmalloc(len), *p = buf;

	memcpy(p, head, hl);
	p += hl;
	for (size_t i = 0; i < count; i++, p += ol)
		memcpy(p, open, ol);
	memcpy(p, mid, ml);
	p += ml;
	for (size_t i = 0; i < count; i++, p += cl)
		memcpy(p, close, cl);
	memcpy(p, tail, tl);
	corpus_add(c, buf, len);
}

/*
 * Regression inputs for stack exhaustion: a probe argument may be 128 KiB
 * (MAX_ARG_STRLEN), and expressions nested or chained that deep used to
 * overflow the stack of the parser, expr_free() and expr_to_string().
 * They are generated rather than stored, being up to 150 KiB each.
 */
static void add_deep(struct corpus *c)
{
	const size_t n = 50000;

	add_repeated(c, "f (", "(", "a", ")", ")", n);		/* parentheses */
	add_repeated(c, "f (", "-", "a", "", ")", 2 * n);	/* unary operators */
	add_repeated(c, "f (", "(char *)", "a", "", ")", n / 4);	/* casts */
	add_repeated(c, "f (", "a ? ", "b", " : c", ")", n / 4);	/* conditionals */
	add_repeated(c, "f (", "g(", "a", ")", ")", n / 2);	/* calls */
	add_repeated(c, "f (", "a[", "0", "]", ")", n / 2);	/* indexes */
	add_repeated(c, "f (a", "", "", "+a", ")", n);		/* left-deep chain */
	add_repeated(c, "f \"%d\", a", "", "", "->b", "", n / 2);	/* member chain */
}

/* Show an input as a C string literal. */
static void print_input(size_t idx, const uint8_t *data, size_t len)
{
	fprintf(stderr, "fuzz: input %zu: \"", idx);
	for (size_t i = 0; i < len; i++) {
		uint8_t ch = data[i];

		if (ch == '"' || ch == '\\')
			fprintf(stderr, "\\%c", ch);
		else if (ch >= 0x20 && ch < 0x7f)
			fputc(ch, stderr);
		else
			fprintf(stderr, "\\x%02x\"\"", ch);
	}
	fprintf(stderr, "\"\n");
}

/* Insert @n bytes of @src at @pos of @buf (capacity MAX_LEN), if they fit. */
static void insert(uint8_t *buf, size_t *len, size_t pos, const void *src, size_t n)
{
	if (*len + n > MAX_LEN)
		return;
	memmove(buf + pos + n, buf + pos, *len - pos);
	memcpy(buf + pos, src, n);
	*len += n;
}

static void mutate_once(uint8_t *buf, size_t *len, const struct corpus *c)
{
	static const char chars[] = ":()\"'%-><@,.[]?!~*&+|^$\\ 0123456789xuUlL_aAz";
	size_t pos = rnd_below(*len + 1), n;
	const char *tok;
	uint8_t tmp[64];

	switch (rnd_below(8)) {
	case 0:		/* flip one bit */
		if (*len)
			buf[pos % *len] ^= (uint8_t)(1u << rnd_below(8));
		break;
	case 1:		/* replace a byte: mostly grammar characters */
		if (*len)
			buf[pos % *len] = rnd_below(4) ? (uint8_t)chars[rnd_below(sizeof(chars) - 1)]
						       : (uint8_t)rnd();
		break;
	case 2:
	case 3:		/* insert a token */
		tok = tokens[rnd_below(ARRAY_SIZE(tokens))];
		insert(buf, len, pos, tok, strlen(tok));
		break;
	case 4:		/* delete a range */
		if (pos < *len) {
			n = 1 + rnd_below(rnd_below(4) ? 4 : *len - pos);
			if (n > *len - pos)
				n = *len - pos;
			memmove(buf + pos, buf + pos + n, *len - pos - n);
			*len -= n;
		}
		break;
	case 5:		/* duplicate a range (nesting, repetition) */
		if (*len) {
			size_t from = rnd_below(*len);

			n = 1 + rnd_below(*len - from < sizeof(tmp) ? *len - from : sizeof(tmp));
			memcpy(tmp, buf + from, n);
			insert(buf, len, pos, tmp, n);
		}
		break;
	case 6: {	/* splice: keep a prefix, append the tail of another entry */
		const struct input *o = &c->in[rnd_below(c->n)];
		size_t from = rnd_below(o->len + 1);

		*len = pos;
		n = o->len - from;
		if (*len + n > MAX_LEN)
			n = MAX_LEN - *len;
		memcpy(buf + *len, o->data + from, n);
		*len += n;
		break;
	}
	default: {	/* insert a number, sometimes a huge one */
		int k = snprintf((char *)tmp, sizeof(tmp), rnd_below(2) ? "%llu" : "0x%llx",
				 (unsigned long long)(rnd() >> rnd_below(64)));

		insert(buf, len, pos, tmp, (size_t)k);
		break;
	}
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: fuzz-driver [-n ITER] [-s SEED] [-p] CORPUS_DIR_OR_FILE...\n");
	exit(2);
}

static unsigned long long num_arg(const char *s)
{
	unsigned long long v;

	if (!parse_u64(s, &v))
		usage();
	return v;
}

int main(int argc, char **argv)
{
	unsigned long long iters = 10000, seed = 1, runs = 0;
	struct corpus c = { 0 };
	bool print = false;
	uint8_t *buf;
	int opt;

	while ((opt = getopt(argc, argv, "n:s:p")) != -1) {
		switch (opt) {
		case 'n':
			iters = num_arg(optarg);
			break;
		case 's':
			seed = num_arg(optarg);
			break;
		case 'p':
			print = true;
			break;
		default:
			usage();
		}
	}
	if (optind == argc)
		usage();
	for (int i = optind; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st)) {
			fprintf(stderr, "fuzz-driver: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode) ? load_dir(&c, argv[i]) : load_file(&c, argv[i]))
			return 1;
	}
	if (!c.n) {
		fprintf(stderr, "fuzz-driver: empty corpus\n");
		return 1;
	}
	add_deep(&c);

	for (size_t i = 0; i < c.n; i++, runs++) {
		if (print)
			print_input(runs, c.in[i].data, c.in[i].len);
		LLVMFuzzerTestOneInput(c.in[i].data, c.in[i].len);
	}

	rng_state = seed;
	buf = xmalloc(MAX_LEN);
	for (unsigned long long i = 0; i < iters; i++, runs++) {
		const struct input *in = &c.in[rnd_below(c.n)];
		size_t len = in->len < MAX_LEN ? in->len : MAX_LEN;
		size_t k = 1 + rnd_below(rnd_below(2) ? 2 : 8);
		uint8_t *exact;

		memcpy(buf, in->data, len);
		while (k--)
			mutate_once(buf, &len, &c);
		/* A copy of the exact size, so that ASan sees reads past the end. */
		exact = xmalloc(len ? len : 1);
		memcpy(exact, buf, len);
		if (print)
			print_input(runs, exact, len);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	free(buf);
	for (size_t i = 0; i < c.n; i++)
		free(c.in[i].data);
	free(c.in);

	printf("fuzz: %llu inputs, no crash\n", runs);
	printf("fuzz: %llu passed, 0 failed\n", (unsigned long long)c.n + (iters + BATCH - 1) / BATCH);
	return 0;
}
