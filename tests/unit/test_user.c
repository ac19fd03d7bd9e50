// SPDX-License-Identifier: BSD-2-Clause
/*
 * User-space details: USDT argument operands as locations, the ld.so cache
 * in both of glibc's layouts (and hostile ones), ELF symbol lookup on
 * Debian's own libc and bash (versions, aliases, IFUNCs, offsets), and
 * symbolizing addresses of a process known only from where a probe fired.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch/arch.h"
#include "providers/provider.h"
#include "providers/usdt_arg.h"
#include "session.h"
#include "sym/elf.h"
#include "sym/libpath.h"
#include "sym/usym.h"
#include "unit.h"
#include "util.h"

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

/*
 * Whether this machine's own files (Debian's x86-64 libc, python3, ld.so
 * cache) are what the tests that read them expect: not when these tests
 * run under user-mode emulation (an arm64 build under qemu-aarch64).
 */
static bool machine_files(void)
{
	if (arch_current()->elf_machine == EM_X86_64)
		return true;
	fprintf(stderr, "  (this machine's files are x86-64's, etrace is %s: not compared)\n",
		arch_current()->name);
	return false;
}

/* --- USDT operands -------------------------------------------------------------- */

static int fake_sym(const char *name, uint64_t *addr, void *arg)
{
	(void)arg;
	if (!strcmp(name, "gch"))
		*addr = 0x4010;
	else if (!strcmp(name, "garr"))
		*addr = 0x4020;
	else
		return -ENOENT;
	return 0;
}

static struct loc parse_as(const char *arch, const char *tok, bool pic)
{
	struct usdt_arg_env env = { .arch = arch_by_name(arch), .file = "fixture", .pic = pic,
				    .pc = 0x1130, .sym_addr = fake_sym };
	struct loc l;

	usdt_parse_arg(tok, &env, &l);
	return l;
}

/* x86-64 notes (AT&T syntax), whatever etrace was built for. */
static struct loc parse(const char *tok, bool pic)
{
	return parse_as("x86_64", tok, pic);
}

static struct loc parse64(const char *tok)
{
	return parse_as("arm64", tok, true);
}

static int reg_off(const char *name)
{
	const struct arch_reg *r = arch_reg(arch_by_name("x86_64"), name);

	return r ? r->off + r->shift / 8 : -1000;
}

static int reg64(const char *name)
{
	const struct arch_reg *r = arch_reg(arch_by_name("arm64"), name);

	return r ? r->off : -1000;
}

UNIT_TEST(usdt_register_operands)
{
	struct loc l;

	l = parse("8@%rdx", true);
	CHECK_EQ_INT(l.kind, LOC_CTX);
	CHECK_EQ_INT(l.size, 8);
	CHECK(!l.is_signed);
	CHECK_EQ_INT(l.off, reg_off("rdx"));
	CHECK(l.user_ptr);
	/* Sub-registers: the low bytes of the full register (little-endian). */
	l = parse("-2@%cx", true);
	CHECK_EQ_INT(l.kind, LOC_CTX);
	CHECK_EQ_INT(l.size, 2);
	CHECK(l.is_signed);
	CHECK_EQ_INT(l.off, reg_off("rcx"));
	l = parse("-1@%r8b", true);
	CHECK_EQ_INT(l.size, 1);
	CHECK_EQ_INT(l.off, reg_off("r8"));
	l = parse("-4@%r10d", true);
	CHECK_EQ_INT(l.size, 4);
	CHECK_EQ_INT(l.off, reg_off("r10"));
	l = parse("-4@%edi", true);
	CHECK_EQ_INT(l.off, reg_off("rdi"));
	/* %ah is the second byte of rax. */
	l = parse("1@%ah", true);
	CHECK_EQ_INT(l.off, reg_off("rax") + 1);
	l = parse("-4@$42", true);
	CHECK_EQ_INT(l.kind, LOC_IMM);
	CHECK_EQ_INT(l.imm, 42);
	CHECK(l.is_signed);
	l = parse("8@$-1", true);
	CHECK_EQ_INT(l.imm, -1);
}

UNIT_TEST(usdt_memory_operands)
{
	struct loc l;

	l = parse("-4@(%rsi)", true);
	CHECK_EQ_INT(l.kind, LOC_MEM);
	CHECK(l.mem_user);
	CHECK_EQ_INT(l.base, reg_off("rsi"));
	CHECK_EQ_INT(l.index, -1);
	CHECK_EQ_INT(l.disp, 0);
	CHECK_EQ_INT(l.size, 4);
	l = parse("-8@-24(%rbp)", true);
	CHECK_EQ_INT(l.base, reg_off("rbp"));
	CHECK_EQ_INT(l.disp, -24);
	l = parse("-8@(%rdx,%r10,8)", true);
	CHECK_EQ_INT(l.base, reg_off("rdx"));
	CHECK_EQ_INT(l.index, reg_off("r10"));
	CHECK_EQ_INT(l.scale, 8);
	CHECK_EQ_INT(l.disp, 0);
	l = parse("-8@16(%rax,%rbx,4)", true);
	CHECK_EQ_INT(l.base, reg_off("rax"));
	CHECK_EQ_INT(l.index, reg_off("rbx"));
	CHECK_EQ_INT(l.scale, 4);
	CHECK_EQ_INT(l.disp, 16);
	l = parse("-8@0x10(,%rcx,2)", true);
	CHECK_EQ_INT(l.base, -1);
	CHECK_EQ_INT(l.index, reg_off("rcx"));
	CHECK_EQ_INT(l.disp, 16);
	/* %rip-relative: as far from the probe at run time as in the file. */
	l = parse("-1@gch(%rip)", true);
	CHECK_EQ_INT(l.kind, LOC_MEM);
	CHECK_EQ_INT(l.base, arch_by_name("x86_64")->ip);
	CHECK_EQ_INT(l.disp, 0x4010 - 0x1130);
	CHECK_EQ_INT(l.size, 1);
	l = parse("8@gch+8(%rip)", true);
	CHECK_EQ_INT(l.disp, 0x4018 - 0x1130);
	/* Absolute: only where the file is not position independent. */
	l = parse("8@garr+8", false);
	CHECK_EQ_INT(l.kind, LOC_MEM);
	CHECK_EQ_INT(l.base, -1);
	CHECK_EQ_INT(l.disp, 0x4028);
	l = parse("-8@garr-8(%rax)", false);
	CHECK_EQ_INT(l.base, reg_off("rax"));
	CHECK_EQ_INT(l.disp, 0x4018);
}

UNIT_TEST(usdt_bad_operands)
{
	static const struct {
		const char *tok, *why;
	} bad[] = {
		{ "3@%rax", "argument size 3 is not 1, 2, 4 or 8 bytes" },
		{ "16@%rax", "argument size 16" },
		{ "8@%xyz", "unknown register '%xyz'" },
		{ "8@(%eax)", "'%eax' cannot address memory" },
		{ "8@(%rax,%ah)", "'%ah' cannot address memory" },
		{ "8@(%rax,%rbx,3)", "scale 3 is not 1, 2, 4 or 8" },
		{ "8@nosuch(%rip)", "names 'nosuch', which fixture does not define" },
		{ "8@8(%rip)", "a %rip-relative operand without a symbol" },
		{ "8@garr", "an absolute operand in a position-independent file" },
		{ "8@(%rax", "cannot read the operand" },
		{ "8@(rax)", "expected a register" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct loc l = parse(bad[i].tok, true);

		if (l.kind != LOC_NONE || !strstr(l.why, bad[i].why)) {
			fprintf(stderr, "  %s: kind %d, why '%s', want '%s'\n", bad[i].tok,
				l.kind, l.why, bad[i].why);
			CHECK(0);
		}
	}
}

/* aarch64 notes, as gcc 12 and clang write them for the fixture and others. */
UNIT_TEST(usdt_aarch64_operands)
{
	struct loc l;

	l = parse64("-4@x0");
	CHECK(l.kind == LOC_CTX && l.size == 4 && l.is_signed && l.off == reg64("x0"));
	CHECK(l.user_ptr);
	l = parse64("8@x30");
	CHECK(l.kind == LOC_CTX && l.size == 8 && !l.is_signed && l.off == reg64("x30"));
	l = parse64("-4@w3");
	CHECK(l.kind == LOC_CTX && l.size == 4 && l.off == reg64("x3"));
	l = parse64("8@sp");
	CHECK(l.kind == LOC_CTX && l.off == arch_by_name("arm64")->sp);
	/* Constants: no '#' from gcc, one in the assembler's own syntax. */
	l = parse64("-4@42");
	CHECK(l.kind == LOC_IMM && l.imm == 42 && l.is_signed);
	l = parse64("-4@-1");
	CHECK(l.kind == LOC_IMM && l.imm == -1);
	l = parse64("8@#0x10");
	CHECK(l.kind == LOC_IMM && l.imm == 16);
	l = parse64("-8@[x4]");
	CHECK(l.kind == LOC_MEM && l.mem_user && l.size == 8 && l.base == reg64("x4"));
	CHECK(l.index == -1 && l.disp == 0 && l.scale == 1);
	l = parse64("8@[sp, 16]");
	CHECK(l.kind == LOC_MEM && l.base == reg64("sp") && l.disp == 16);
	l = parse64("8@[x29, -8]");
	CHECK(l.kind == LOC_MEM && l.base == reg64("x29") && l.disp == -8);
	l = parse64("-4@[x3, #32]");
	CHECK(l.kind == LOC_MEM && l.base == reg64("x3") && l.disp == 32);
	l = parse64("-8@[x1,#-0x18]");
	CHECK(l.kind == LOC_MEM && l.base == reg64("x1") && l.disp == -24);
	l = parse64("-8@[x1, x2]");
	CHECK(l.kind == LOC_MEM && l.index == reg64("x2") && l.scale == 1);
	l = parse64("-8@[x1, x2, lsl #3]");
	CHECK(l.kind == LOC_MEM && l.base == reg64("x1") && l.index == reg64("x2"));
	CHECK_EQ_INT(l.scale, 8);
	/* The low 12 bits of a variable whose page the base holds (adrp). */
	l = parse64("1@[x0, #:lo12:gch]");
	CHECK(l.kind == LOC_MEM && l.base == reg64("x0") && l.disp == 0x010);
	l = parse64("-8@[x1, #:lo12:garr+8]");
	CHECK(l.kind == LOC_MEM && l.disp == 0x028);
}

UNIT_TEST(usdt_aarch64_bad_operands)
{
	static const struct {
		const char *tok, *why;
	} bad[] = {
		{ "3@x0", "argument size 3 is not 1, 2, 4 or 8 bytes" },
		{ "8@x31", "unknown register 'x31'" },
		{ "8@%rax", "cannot read the operand" },
		{ "8@x0x", "unknown register 'x0x'" },
		{ "8@[w0]", "'w0' cannot address memory" },
		{ "8@[x0, w1]", "'w1' cannot address memory" },
		{ "8@[x0, x1, sxtw #2]", "only lsl shifts an index" },
		{ "8@[x0, x1, lsl #4]", "lsl #0 to #3" },
		{ "8@[x0, #:lo12:nosuch]", "names 'nosuch', which fixture does not define" },
		{ "8@[x0, #:lo12:]", "':lo12:' without a symbol" },
		{ "8@[x0, 16", "cannot read the operand" },
		{ "8@[x0, 16]!", "cannot read the operand" },
		{ "8@[x0, ]", "cannot read the operand" },
		{ "8@42x", "cannot read the operand" },
		{ "8@99999999999999999999", "out of range" },
		{ "8@[x0, 99999999999999999999]", "out of range" },
		{ "8@", "cannot read the operand" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct loc l = parse64(bad[i].tok);

		if (l.kind != LOC_NONE || !strstr(l.why, bad[i].why)) {
			fprintf(stderr, "  %s: kind %d, why '%s', want '%s'\n", bad[i].tok,
				l.kind, l.why, bad[i].why);
			CHECK(0);
		}
	}
}

/* Operands are split at blanks, but not inside brackets. */
UNIT_TEST(usdt_operand_split)
{
	char args[] = " -4@[sp, 44]  -8@x1\t8@[x29, -8] -4@42 ";
	const char *want[] = { "-4@[sp, 44]", "-8@x1", "8@[x29, -8]", "-4@42" };
	char *save = NULL, *tok = usdt_arg_next(args, &save);
	size_t n = 0;

	for (; tok; tok = usdt_arg_next(NULL, &save), n++)
		if (n < 4)
			CHECK_EQ_STR(tok, want[n]);
	CHECK_EQ_INT(n, 4);
	save = NULL;
	CHECK(!usdt_arg_next((char[]){ "  " }, &save));
}

/* --- the ld.so cache ------------------------------------------------------------ */

struct cache_entry {
	uint32_t flags;
	const char *key, *value;
};

/* ELF libc6 of the architecture etrace was built for (x86-64, or aarch64). */
#if defined(__aarch64__)
#define NATIVE 0x0a03
#else
#define NATIVE 0x0303
#endif
#define I386 0x0003	/* ELF libc6, no arch bits: 32-bit */

static void put32(struct strbuf *sb, uint32_t v)
{
	sb_append(sb, (const char *)&v, 4);
}

/* Entries then strings; string offsets from @strings_base (relative to the buffer). */
static void put_entries(struct strbuf *sb, const struct cache_entry *e, size_t n,
			size_t entry_size, size_t strings_at, size_t offsets_from)
{
	size_t str = strings_at - offsets_from;

	for (size_t i = 0; i < n; i++) {
		put32(sb, e[i].flags);
		put32(sb, (uint32_t)str);
		str += strlen(e[i].key) + 1;
		put32(sb, (uint32_t)str);
		str += strlen(e[i].value) + 1;
		for (size_t k = 12; k < entry_size; k += 4)
			put32(sb, 0);
	}
	for (size_t i = 0; i < n; i++) {
		sb_append(sb, e[i].key, strlen(e[i].key) + 1);
		sb_append(sb, e[i].value, strlen(e[i].value) + 1);
	}
}

static void put_new(struct strbuf *sb, const struct cache_entry *e, size_t n)
{
	size_t at = sb->len;

	sb_append(sb, "glibc-ld.so.cache1.1", 20);
	put32(sb, (uint32_t)n);
	put32(sb, 0);			/* len_strings: not needed */
	for (int i = 0; i < 5; i++)	/* flags, extension offset, unused */
		put32(sb, 0);
	put_entries(sb, e, n, 24, sb->len + n * 24, at);
}

static void put_old(struct strbuf *sb, const struct cache_entry *e, size_t n)
{
	sb_append(sb, "ld.so-1.7.0\0", 12);
	put32(sb, (uint32_t)n);
	put_entries(sb, e, n, 12, 16 + n * 12, 16 + n * 12);
}

static char *write_tmp(const struct strbuf *sb)
{
	char *path = xstrdup("/tmp/etrace-unit-cache.XXXXXX");
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, sb->buf, sb->len) != (ssize_t)sb->len)
		abort();
	close(fd);
	return path;
}

static void collect(const char *name, const char *path, void *arg)
{
	sb_printf(arg, "%s=%s\n", name, path);
}

static char *cache_list(const struct strbuf *sb, const char *prefix, int *ret)
{
	char *path = write_tmp(sb);
	struct strbuf out = { 0 };

	*ret = libpath_cache_each(path, prefix, collect, &out);
	unlink(path);
	free(path);
	return out.buf ? out.buf : xstrdup("");
}

static const struct cache_entry entries[] = {
	{ I386, "libc.so.6", "/lib32/libc.so.6" },
	{ NATIVE, "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6" },
	{ NATIVE, "libm.so.6", "/lib/x86_64-linux-gnu/libm.so.6" },
	{ NATIVE, "libcrypt.so.1", "/lib/x86_64-linux-gnu/libcrypt.so.1" },
};

UNIT_TEST(ld_cache_formats)
{
	struct strbuf sb = { 0 };
	char *out;
	int ret;

	put_new(&sb, entries, 4);
	out = cache_list(&sb, "libc.so", &ret);
	CHECK_EQ_INT(ret, 0);
	CHECK_EQ_STR(out, "libc.so.6=/lib/x86_64-linux-gnu/libc.so.6\n");
	free(out);
	out = cache_list(&sb, "lib", &ret);
	CHECK_EQ_STR(out, "libc.so.6=/lib/x86_64-linux-gnu/libc.so.6\n"
			  "libm.so.6=/lib/x86_64-linux-gnu/libm.so.6\n"
			  "libcrypt.so.1=/lib/x86_64-linux-gnu/libcrypt.so.1\n");
	free(out);
	sb_reset(&sb);

	put_old(&sb, entries, 4);
	out = cache_list(&sb, "libm", &ret);
	CHECK_EQ_INT(ret, 0);
	CHECK_EQ_STR(out, "libm.so.6=/lib/x86_64-linux-gnu/libm.so.6\n");
	free(out);

	sb_reset(&sb);

	/*
	 * glibc's "compat" layout: the old header and entries, the new header
	 * and entries right after them (8-byte aligned: two old entries end at
	 * 40), then the strings, which both count from there. The new one is
	 * what glibc reads.
	 */
	{
		static const char strings[] = "libc.so.6\0/old/libc.so.6\0/new/libc.so.6";

		sb_append(&sb, "ld.so-1.7.0\0", 12);
		put32(&sb, 2);
		for (int i = 0; i < 2; i++) {
			put32(&sb, NATIVE);
			put32(&sb, 48 + 24);		/* after the new header and entry */
			put32(&sb, 48 + 24 + 10);	/* /old/libc.so.6 */
		}
		CHECK_EQ_INT(sb.len, 40);
		sb_append(&sb, "glibc-ld.so.cache1.1", 20);
		put32(&sb, 1);
		for (int i = 0; i < 6; i++)
			put32(&sb, 0);
		put32(&sb, NATIVE);
		put32(&sb, 48 + 24);
		put32(&sb, 48 + 24 + 25);		/* /new/libc.so.6 */
		for (int i = 0; i < 3; i++)
			put32(&sb, 0);
		sb_append(&sb, strings, sizeof(strings));
		out = cache_list(&sb, "libc.so", &ret);
		CHECK_EQ_INT(ret, 0);
		CHECK_EQ_STR(out, "libc.so.6=/new/libc.so.6\n");
		free(out);
	}
	sb_free(&sb);
}

UNIT_TEST(ld_cache_hostile)
{
	struct strbuf sb = { 0 };
	char *out;
	int ret;

	/* More entries than the file holds. */
	sb_append(&sb, "glibc-ld.so.cache1.1", 20);
	put32(&sb, 1000000);
	for (int i = 0; i < 7; i++)
		put32(&sb, 0);
	out = cache_list(&sb, "lib", &ret);
	CHECK_EQ_INT(ret, -EINVAL);
	free(out);
	sb_reset(&sb);

	/* A string offset past the end, and a string without its NUL. */
	sb_append(&sb, "glibc-ld.so.cache1.1", 20);
	put32(&sb, 2);
	for (int i = 0; i < 6; i++)
		put32(&sb, 0);
	put32(&sb, NATIVE);
	put32(&sb, 0x7fffffff);
	put32(&sb, 0);
	for (int i = 0; i < 3; i++)
		put32(&sb, 0);
	put32(&sb, NATIVE);
	put32(&sb, 96);
	put32(&sb, 96);
	for (int i = 0; i < 3; i++)
		put32(&sb, 0);
	sb_append(&sb, "libc.so.6", 9);
	out = cache_list(&sb, "lib", &ret);
	CHECK_EQ_INT(ret, 0);
	CHECK_EQ_STR(out, "");
	free(out);
	sb_reset(&sb);

	sb_append(&sb, "not a cache at all, but long enough to be one......", 51);
	out = cache_list(&sb, "lib", &ret);
	CHECK_EQ_INT(ret, -EINVAL);
	free(out);
	sb_free(&sb);
}

UNIT_TEST(libpath_names)
{
	char err[256], *p;

	if (!machine_files())
		return;

	p = libpath_resolve("c", 0, err, sizeof(err));
	CHECK_EQ_STR(p, LIBC);
	free(p);
	p = libpath_resolve("libc.so.6", 0, err, sizeof(err));
	CHECK_EQ_STR(p, LIBC);
	free(p);
	/* A program through PATH. */
	p = libpath_resolve("sh", 0, err, sizeof(err));
	CHECK(p && p[0] == '/' && strstr(p, "/sh"));
	free(p);
	p = libpath_resolve("etrace-no-such-lib", 0, err, sizeof(err));
	CHECK(!p);
	CHECK(strstr(err, "cannot find library or program 'etrace-no-such-lib'"));
	/* With a process: its maps, its cache, its root. */
	p = libpath_resolve("c", getpid(), err, sizeof(err));
	CHECK(p && !strncmp(p, "/proc/", 6) && strstr(p, "/root/") && strstr(p, "libc.so.6"));
	free(p);
	p = libpath_resolve("/bin/sh", getpid(), err, sizeof(err));
	CHECK(p && !strncmp(p, "/proc/", 6) && strstr(p, "/root/bin/sh"));
	free(p);
}

/* A library the process has mapped wins over the cache: a copy only it loaded. */
UNIT_TEST(libpath_from_maps)
{
	char err[256], *p, want[128], *maps, *line;
	pid_t pid = fork();

	if (pid == 0) {
		execl("/bin/sleep", "sleep", "10", (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0);
	/* Until the exec is done, the child's maps are this static program's. */
	for (int i = 0; i < 200; i++) {
		char exe[64], buf[64];
		ssize_t n;

		snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
		n = readlink(exe, buf, sizeof(buf) - 1);
		if (n > 0 && (buf[n] = '\0', strstr(buf, "sleep")))
			break;
		usleep(10000);
	}
	usleep(50000);
	p = libpath_resolve("c", pid, err, sizeof(err));
	/* As the maps say (/usr/lib/... on a merged /usr, where the cache says /lib/...). */
	snprintf(want, sizeof(want), "/proc/%d/maps", (int)pid);
	maps = read_file(want, NULL);
	line = maps ? strstr(maps, "/libc.so.6\n") : NULL;
	while (line && line > maps && line[-1] != ' ')
		line--;
	if (line)
		*strchr(line, '\n') = '\0';
	snprintf(want, sizeof(want), "/proc/%d/root%s", (int)pid, line ? line : "?");
	CHECK_EQ_STR(p, want);
	free(maps);
	free(p);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* --- ELF symbols ---------------------------------------------------------------- */

UNIT_TEST(elf_libc_versions_and_ifuncs)
{
	struct elf_file f;
	const struct elf_sym *s[4];
	char err[128];
	uint64_t off, back;

	if (!machine_files())
		return;

	if (elf_open(LIBC, &f, err, sizeof(err))) {
		fprintf(stderr, "  %s: %s\n", LIBC, err);
		CHECK(0);
		return;
	}
	CHECK(f.build_id_len == 20);
	/* Two versions at one address: one function. */
	CHECK_EQ_INT(elf_find(&f, "pthread_create", s, 4), 1);
	/* Two versions at two addresses: the default one, unless a version is named. */
	CHECK_EQ_INT(elf_find(&f, "realpath", s, 4), 1);
	CHECK_EQ_STR(s[0]->version, "GLIBC_2.3");
	CHECK(s[0]->default_ver);
	off = s[0]->addr;
	CHECK_EQ_INT(elf_find(&f, "realpath@GLIBC_2.2.5", s, 4), 1);
	CHECK(s[0]->addr != off);
	CHECK(!s[0]->default_ver);
	CHECK_EQ_INT(elf_find(&f, "realpath@@GLIBC_2.3", s, 4), 1);
	CHECK_EQ_INT(s[0]->addr, off);
	CHECK_EQ_INT(elf_find(&f, "realpath@@GLIBC_2.2.5", s, 4), 0);
	CHECK_EQ_INT(elf_find(&f, "realpath@GLIBC_9", s, 4), 0);
	/* IFUNCs are marked (the provider refuses them). */
	CHECK_EQ_INT(elf_find(&f, "strlen", s, 4), 1);
	CHECK(s[0]->ifunc);
	CHECK_EQ_INT(elf_find(&f, "malloc", s, 4), 1);
	CHECK(!s[0]->ifunc);
	/* File offsets and back; the function found at its own address. */
	CHECK_EQ_INT(elf_vaddr_to_offset(&f, s[0]->addr, &off), 0);
	CHECK_EQ_INT(elf_offset_to_vaddr(&f, off, &back), 0);
	CHECK_EQ_INT(back, s[0]->addr);
	CHECK(elf_sym_at(&f, s[0]->addr + 1) && !strcmp(elf_sym_at(&f, s[0]->addr + 1)->name,
							    "malloc"));
	CHECK_EQ_INT(elf_vaddr_to_offset(&f, 0xffffffffff000000ull, &off), -ERANGE);
	elf_free(&f);
}

UNIT_TEST(elf_refuses_what_it_cannot_read)
{
	struct elf_file f;
	char err[128], path[] = "/tmp/etrace-unit-elf.XXXXXX";
	int fd = mkstemp(path);
	/* A 32-bit ELF header, then a truncated 64-bit one. */
	static const unsigned char elf32[52] = { 0x7f, 'E', 'L', 'F', 1, 1, 1 };
	static const unsigned char elf64[20] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };

	CHECK(fd >= 0);
	CHECK(write(fd, "#!/bin/sh\n", 10) == 10);
	CHECK(elf_open(path, &f, err, sizeof(err)) < 0);
	CHECK(strstr(err, "not an ELF file") != NULL);
	CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, elf32, sizeof(elf32), 0) == sizeof(elf32));
	CHECK(elf_open(path, &f, err, sizeof(err)) < 0);
	CHECK(strstr(err, "32-bit") != NULL);
	CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, elf64, sizeof(elf64), 0) == sizeof(elf64));
	CHECK(elf_open(path, &f, err, sizeof(err)) < 0);
	close(fd);
	unlink(path);
}

/* --- symbolizing ---------------------------------------------------------------- */

UNIT_TEST(usym_placed_file_of_an_exited_process)
{
	struct usyms *u = usyms_new(NULL, 0);
	struct usym_info in;
	struct elf_file f;
	const struct elf_sym *s;
	char buf[256], err[128];
	uint64_t off, base = 0x7f0000000000ull;
	pid_t gone = 0x3ffffff0;	/* above pid_max: never a process */

	if (!machine_files()) {
		usyms_free(u);
		return;
	}
	if (elf_open(LIBC, &f, err, sizeof(err)) || elf_find(&f, "malloc", &s, 1) != 1 ||
	    elf_vaddr_to_offset(&f, s->addr, &off)) {
		CHECK(0);
		usyms_free(u);
		return;
	}
	usyms_format_addr(u, gone, base + off + 4, true, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[unknown]");
	usyms_place_file(u, gone, LIBC, base);
	usyms_format_addr(u, gone, base + off + 4, true, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "malloc+0x4 [libc.so.6]");
	usyms_format_addr(u, gone, base + off, false, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "malloc+0x0");
	/* The same, apart. */
	usyms_lookup_addr(u, gone, base + off + 4, &in);
	CHECK_EQ_STR(in.sym, "malloc");
	CHECK_EQ_INT(in.offset, 4);
	CHECK_EQ_STR(in.module, "libc.so.6");
	/* Outside the file: still unknown. */
	usyms_format_addr(u, gone, base - 16, true, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[unknown]");
	usyms_lookup_addr(u, gone, base - 16, &in);
	CHECK(!in.sym && !in.module && !in.offset);
	/* A live process's maps are the truth: placing changes nothing. */
	usyms_place_file(u, getpid(), LIBC, base);
	usyms_format_addr(u, getpid(), base + off, true, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[unknown]");
	elf_free(&f);
	usyms_free(u);
}

/* --- listing (for -l) ----------------------------------------------------------- */

static void collect_spec(const char *spec, const char *detail, void *arg)
{
	sb_printf(arg, "%s\n%s", spec, detail ? detail : "");
}

UNIT_TEST(user_providers_list)
{
	struct strbuf out = { 0 };
	struct lister l = { .emit = collect_spec, .arg = &out };
	struct session s;

	if (!machine_files())
		return;

	session_init(&s);
	/* Functions of libc by BCC's short name, globbed, no IFUNC. */
	CHECK_EQ_INT(uprobe_provider.list(&s, "p:c:mallo*", &l), 0);
	CHECK(out.buf && strstr(out.buf, "p:c:malloc\n"));
	sb_reset(&out);
	CHECK_EQ_INT(uprobe_provider.list(&s, "p:c:strlen", &l), 0);
	CHECK(!out.buf || !out.len);
	sb_reset(&out);
	/* USDT probes of Debian's python3, as u:LIB:PROVIDER:NAME; -lv: the arguments. */
	if (!access("/usr/bin/python3", R_OK)) {
		CHECK_EQ_INT(usdt_provider.list(&s, "u:/usr/bin/python3:function__entry", &l), 0);
		CHECK_EQ_STR(out.buf, "u:/usr/bin/python3:python:function__entry\n");
		sb_reset(&out);
		l.verbose = true;
		CHECK_EQ_INT(usdt_provider.list(&s, "u:/usr/bin/python3:*:function__ret*", &l), 0);
		CHECK(out.buf && !strncmp(out.buf, "u:/usr/bin/python3:python:function__return\n"
					  "arg1: 8 bytes (8@", 59));
		CHECK(out.buf && strstr(out.buf, "\narg3: 4 bytes, signed (-4@"));
		l.verbose = false;
		sb_reset(&out);
	}
	CHECK_EQ_INT(uprobe_provider.list(&s, "p:*", &l), ERR_USAGE);
	CHECK_EQ_INT(uprobe_provider.list(&s, "p:etrace-no-such-lib:*", &l), ERR_USAGE);
	sb_free(&out);
	session_teardown(&s);
}
