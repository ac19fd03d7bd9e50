// SPDX-License-Identifier: BSD-2-Clause
/* Kernel symbol table: lookup, formatting, find by name, kptr_restrict. */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "sym/ksym.h"
#include "unit.h"
#include "util.h"

static struct ksyms *fixture(const char *file)
{
	char *path = xasprintf("%s/data/%s", unit_data_dir(), file);
	struct ksyms *ks = ksyms__new(path);

	free(path);
	return ks;
}

UNIT_TEST(ksym_lookup_exact_and_inside)
{
	struct ksyms *ks = fixture("kallsyms.txt");
	const struct ksym *s;

	s = ksyms__lookup(ks, 0xffffffff81000100ULL);
	CHECK(s);
	if (s) {
		CHECK_EQ_STR(s->name, "do_one");
		CHECK_EQ_STR(s->module, "kernel");
		CHECK(s->addr == 0xffffffff81000100ULL);
	}
	/* The data symbol at 0x...180 is not kept: still inside do_one. */
	s = ksyms__lookup(ks, 0xffffffff810001c0ULL);
	CHECK(s && !strcmp(s->name, "do_one"));
	s = ksyms__lookup(ks, 0xffffffff81000401ULL);
	CHECK(s && !strcmp(s->name, "weak_fn"));
	/* Aliases at one address: the first listed wins. */
	s = ksyms__lookup(ks, 0xffffffff81000010ULL);
	CHECK(s && !strcmp(s->name, "_stext"));
	/* Past the last symbol of the core image: nearest lower symbol. */
	s = ksyms__lookup(ks, 0xffffffff90000000ULL);
	CHECK(s && !strcmp(s->name, "last_fn"));
	ksyms__free(ks);
}

UNIT_TEST(ksym_lookup_below_first)
{
	struct ksyms *ks = fixture("kallsyms.txt");

	CHECK(!ksyms__lookup(ks, 0xffffffff80ffffffULL));
	CHECK(!ksyms__lookup(ks, 0));
	ksyms__free(ks);
}

UNIT_TEST(ksym_modules)
{
	struct ksyms *ks = fixture("kallsyms.txt");
	const struct ksym *s;

	s = ksyms__lookup(ks, 0xffffffffc0a01004ULL);
	CHECK(s);
	if (s) {
		CHECK_EQ_STR(s->name, "foo_bar");
		CHECK_EQ_STR(s->module, "foo_mod");
	}
	s = ksyms__lookup(ks, 0xffffffffc0a010ffULL);
	CHECK(s && !strcmp(s->name, "foo_baz") && !strcmp(s->module, "foo_mod"));
	s = ksyms__lookup(ks, 0xffffffffc0b00010ULL);
	CHECK(s && !strcmp(s->name, "bar_init") && !strcmp(s->module, "bar_mod"));
	ksyms__free(ks);
}

UNIT_TEST(ksym_format)
{
	struct ksyms *ks = fixture("kallsyms.txt");
	char buf[64];
	int n;

	n = ksyms__format(ks, 0xffffffff81000123ULL, true, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "do_one+0x23 [kernel]");
	CHECK_EQ_INT(n, strlen("do_one+0x23 [kernel]"));
	ksyms__format(ks, 0xffffffff81000123ULL, false, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "do_one+0x23");
	ksyms__format(ks, 0xffffffffc0a01000ULL, true, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "foo_bar+0x0 [foo_mod]");
	ksyms__format(ks, 0x1000, true, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[unknown]");
	ksyms__format(ks, 0x1000, false, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[unknown]");
	/* Truncation reports the full length, like snprintf. */
	n = ksyms__format(ks, 0xffffffff81000123ULL, true, buf, 4);
	CHECK_EQ_STR(buf, "do_");
	CHECK_EQ_INT(n, strlen("do_one+0x23 [kernel]"));
	ksyms__free(ks);
}

UNIT_TEST(ksym_find)
{
	struct ksyms *ks = fixture("kallsyms.txt");
	const struct ksym *s;

	s = ksyms__find(ks, "foo_baz");
	CHECK(s && s->addr == 0xffffffffc0a01080ULL);
	CHECK(s && !strcmp(s->module, "foo_mod"));
	s = ksyms__find(ks, "weak_fn");
	CHECK(s && s->addr == 0xffffffff81000400ULL);
	/* Duplicated static names: the core kernel's (lowest address). */
	s = ksyms__find(ks, "helper");
	CHECK(s && s->addr == 0xffffffff81000300ULL);
	CHECK(s && !strcmp(s->module, "kernel"));
	CHECK(!ksyms__find(ks, "some_data"));
	CHECK(!ksyms__find(ks, "fixed_percpu_data"));
	CHECK(!ksyms__find(ks, "no_such_symbol"));
	CHECK(!ksyms__find(ks, ""));
	ksyms__free(ks);
}

UNIT_TEST(ksym_restricted)
{
	struct ksyms *ks = fixture("kallsyms-restricted.txt");
	char buf[32];

	CHECK(!ksyms__lookup(ks, 0xffffffff81000100ULL));
	CHECK(!ksyms__find(ks, "do_one"));
	ksyms__format(ks, 0xffffffff81000100ULL, true, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[unknown]");
	ksyms__free(ks);
}

UNIT_TEST(ksym_missing_file)
{
	struct ksyms *ks = fixture("no-such-kallsyms");

	CHECK(!ksyms__lookup(ks, 0xffffffff81000100ULL));
	CHECK(!ksyms__find(ks, "do_one"));
	ksyms__free(ks);
}

UNIT_TEST(ksym_free_unloaded)
{
	/* ksyms__new must not read the file: a bad path costs nothing. */
	struct ksyms *ks = ksyms__new("/nonexistent/kallsyms");

	CHECK(ks);
	ksyms__free(ks);
	ksyms__free(NULL);
}

static double elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

UNIT_TEST(ksym_real_kallsyms)
{
	struct ksyms *ks;
	const struct ksym *s, *back;
	struct timespec t0, t1;
	char buf[128];

	if (access("/proc/kallsyms", R_OK))
		return;
	ks = ksyms__new("/proc/kallsyms");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s = ksyms__find(ks, "schedule");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (getenv("ETRACE_UNIT_VERBOSE"))
		fprintf(stderr, "  kallsyms load + name index: %.1f ms\n",
			elapsed_ms(&t0, &t1));
	/* Hidden addresses (kptr_restrict) leave nothing to check. */
	if (s) {
		back = ksyms__lookup(ks, s->addr + 1);
		CHECK(back && back->addr == s->addr);
		if (back) {
			char want[128];

			snprintf(want, sizeof(want), "%s+0x0 [kernel]",
				 back->name);
			ksyms__format(ks, s->addr, true, buf, sizeof(buf));
			CHECK_EQ_STR(buf, want);
		}
	}
	ksyms__free(ks);
}

/* ksyms_hidden() of a kallsyms file with @text: 1, 0, or -1 if the file could not be made. */
static int hidden_of(const char *text)
{
	char path[] = "/tmp/etrace-kallsyms-XXXXXX";
	int fd = mkstemp(path);
	bool hidden;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	hidden = ksyms_hidden(path);
	unlink(path);
	return hidden ? 1 : 0;
}

/* Per-CPU symbols come first at 0: only all-zero addresses mean hidden ones. */
UNIT_TEST(ksym_hidden_addresses)
{
	CHECK_EQ_INT(hidden_of("0000000000000000 A fixed_percpu_data\n"
			       "0000000000001000 A cpu_debug_store\n"
			       "ffffffff81000000 T _stext\n"), 0);
	CHECK_EQ_INT(hidden_of("0000000000000000 A fixed_percpu_data\n"
			       "ffffffff81000000 T _stext\n"), 0);
	CHECK_EQ_INT(hidden_of("0000000000000000 A fixed_percpu_data\n"
			       "0000000000000000 T _stext\n"
			       "0000000000000000 t vfs_read\n"), 1);
	CHECK_EQ_INT(hidden_of("ffffffff81000000 T _stext\n"), 0);
}
