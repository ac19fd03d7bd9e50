// SPDX-License-Identifier: BSD-2-Clause
/*
 * The architecture tables (src/arch) against the kernels' own struct
 * pt_regs: tests/unit/data/pt_regs-ARCH-VERSION.txt hold the layouts that
 * tests/unit/data/pt-regs-from-btf.sh read from each kernel's BTF (Debian's
 * arm64 6.1 and 6.12, an x86-64 kernel). Every offset a table gives (a
 * member, a register or part of one, the argument, return, ip, sp, fp and
 * link registers, the system call ABIs) must be where that kernel has it,
 * whatever the architecture running the test.
 */
#include <dirent.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "unit.h"
#include "util.h"

#define MAX_MEMBERS 64

struct member {
	char name[32];
	int off, size, elems;
};

struct layout {
	int size;
	struct member m[MAX_MEMBERS];
	int n;
};

static bool read_layout(const char *path, struct layout *l)
{
	FILE *f = fopen(path, "r");
	char line[256];

	memset(l, 0, sizeof(*l));
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		struct member *m = &l->m[l->n];

		if (line[0] == '#')
			continue;
		if (sscanf(line, "size %d", &l->size) == 1)
			continue;
		if (l->n < MAX_MEMBERS &&
		    sscanf(line, "%31s %d %d %d", m->name, &m->off, &m->size, &m->elems) >= 3)
			l->n++;
	}
	fclose(f);
	return l->size > 0 && l->n > 0;
}

static const struct member *member(const struct layout *l, const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->m[i].name, name))
			return &l->m[i];
	return NULL;
}

/* The member an x86 register name is part of: "eax" -> ax, "r10d" -> r10, "sil" -> si. */
static void x86_member(const char *reg, char *out, size_t len)
{
	size_t n = strlen(reg);

	if (!strcmp(reg, "rip")) {
		snprintf(out, len, "ip");
	} else if (reg[0] == 'r' && reg[1] >= '0' && reg[1] <= '9') {
		snprintf(out, len, "%.*s", (int)strspn(reg + 1, "0123456789") + 1, reg);
	} else if (n == 3 && (reg[0] == 'r' || reg[0] == 'e')) {
		snprintf(out, len, "%s", reg + 1);
	} else if (n == 2 && (reg[1] == 'l' || reg[1] == 'h')) {
		snprintf(out, len, "%cx", reg[0]);
	} else if (n == 3 && reg[2] == 'l') {
		snprintf(out, len, "%.2s", reg);
	} else {
		snprintf(out, len, "%s", reg);
	}
}

/* Where @l puts the register @r names, or -1. */
static int expected_off(const struct arch *a, const struct layout *l, const struct arch_reg *r)
{
	const struct member *m;
	char name[32];
	int n;

	if (a->elf_machine == EM_X86_64) {
		x86_member(r->name, name, sizeof(name));
		m = member(l, name);
		return m ? m->off : -1;
	}
	/* aarch64: xN and wN are regs[N]; fp and lr are x29 and x30; wsp is sp, ip pc. */
	m = member(l, "regs");
	if ((r->name[0] == 'x' || r->name[0] == 'w') && sscanf(r->name + 1, "%d", &n) == 1)
		return m && n >= 0 && n < m->elems ? m->off + n * 8 : -1;
	if (!strcmp(r->name, "fp") || !strcmp(r->name, "lr"))
		return m ? m->off + (r->name[0] == 'f' ? 29 : 30) * 8 : -1;
	if (!strcmp(r->name, "ip"))
		return (m = member(l, "pc")) ? m->off : -1;
	m = member(l, !strcmp(r->name, "wsp") ? "sp" : r->name);
	return m ? m->off : -1;
}

/* Whether @off is where a full register or an 8-byte member of @a's table lives. */
static bool is_reg_off(const struct arch *a, int off)
{
	for (size_t i = 0; i < a->nregs; i++)
		if (a->regs[i].off == off && a->regs[i].size == 8)
			return true;
	for (size_t i = 0; i < a->nfields; i++)
		if (a->fields[i].off == off && a->fields[i].size == 8)
			return true;
	return false;
}

/*
 * Whether some member at @off is @size bytes or more (6.9+ x86 kernels make
 * cs a 2-byte member in a union with the 8-byte csx).
 */
static bool covers(const struct layout *l, int off, int size)
{
	for (int i = 0; i < l->n; i++)
		if (l->m[i].off == off && l->m[i].size >= size)
			return true;
	return false;
}

static void check_table(const struct arch *a, const struct layout *l, const char *file,
			int *unit_failed)
{
	const struct member *m;

	CHECK_EQ_INT(a->regs_size, l->size);
	for (size_t i = 0; i < a->nfields; i++) {
		m = member(l, a->fields[i].name);
		if (!m || m->off != a->fields[i].off || !covers(l, m->off, a->fields[i].size)) {
			fprintf(stderr, "  %s: member %s: table %d/%d, kernel %d/%d\n", file,
				a->fields[i].name, a->fields[i].off, a->fields[i].size,
				m ? m->off : -1, m ? m->size : -1);
			CHECK(0);
		}
	}
	for (size_t i = 0; i < a->nregs; i++) {
		const struct arch_reg *r = &a->regs[i];
		int want = expected_off(a, l, r);

		if (want != r->off || r->shift + r->size * 8 > 64) {
			fprintf(stderr, "  %s: register %s: table %d, kernel %d\n", file, r->name,
				r->off, want);
			CHECK(0);
		}
	}
	/* Every other offset is one of the registers just checked. */
	for (int i = 0; i < ARCH_MAX_ARGS; i++)
		CHECK(is_reg_off(a, a->args[i]));
	CHECK(is_reg_off(a, a->ret) && is_reg_off(a, a->ip) && is_reg_off(a, a->sp) &&
	      is_reg_off(a, a->fp));
	CHECK(a->entry_ret < 0 || is_reg_off(a, a->entry_ret));
	for (size_t i = 0; i < a->nsyscalls; i++)
		for (int j = 0; j < ARCH_MAX_ARGS; j++)
			CHECK(is_reg_off(a, a->syscalls[i].args[j]));
}

UNIT_TEST(arch_tables_match_kernel_btf)
{
	char *dir = xasprintf("%s/data", unit_data_dir());
	DIR *d = opendir(dir);
	struct dirent *e;
	int arm64 = 0, x86 = 0;

	CHECK(d != NULL);
	while (d && (e = readdir(d))) {
		char arch[32], *path;
		const struct arch *a;
		struct layout l;

		if (sscanf(e->d_name, "pt_regs-%31[^-]-", arch) != 1)
			continue;
		a = arch_by_name(arch);
		path = xasprintf("%s/%s", dir, e->d_name);
		CHECK(a != NULL);
		CHECK(read_layout(path, &l));
		if (a && l.n) {
			check_table(a, &l, e->d_name, unit_failed);
			arm64 += a->elf_machine == EM_AARCH64;
			x86 += a->elf_machine == EM_X86_64;
		}
		free(path);
	}
	if (d)
		closedir(d);
	/* Debian's 6.1 and 6.12 for arm64, one x86-64 kernel. */
	CHECK(arm64 >= 2);
	CHECK(x86 >= 1);
	free(dir);
}

UNIT_TEST(arch_by_name_and_machine)
{
	const struct arch *a = arch_by_name("arm64");

	CHECK(a && arch_by_name("aarch64") == a && arch_by_machine(EM_AARCH64) == a);
	CHECK(arch_by_name("x86_64") && arch_by_machine(EM_X86_64) == arch_by_name("x86_64"));
	CHECK(!arch_by_name("mips") && !arch_by_machine(EM_MIPS));
	CHECK(arch_by_machine(arch_current()->elf_machine) == arch_current());
	/* aarch64: x0..x5 carry arguments, x0 the return value, x30 the return address. */
	CHECK_EQ_INT(a->args[0], arch_reg(a, "x0")->off);
	CHECK_EQ_INT(a->args[5], arch_reg(a, "x5")->off);
	CHECK_EQ_INT(a->ret, arch_reg(a, "x0")->off);
	CHECK_EQ_INT(a->entry_ret, arch_reg(a, "x30")->off);
	CHECK_EQ_INT(a->fp, arch_reg(a, "x29")->off);
	CHECK_EQ_INT(a->ip, arch_field(a, "pc")->off);
	/* The generic name etrace's compiler asks for (where a file is loaded). */
	CHECK_EQ_INT(arch_reg(a, "ip")->off, a->ip);
	CHECK_EQ_INT(arch_reg(a, "w7")->size, 4);
	CHECK_EQ_INT(arch_reg(a, "w7")->off, arch_reg(a, "x7")->off);
	CHECK(arch_syscall_abi(a, "__arm64_sys_openat") == &a->syscalls[0]);
	CHECK(arch_syscall_abi(a, "__arm64_compat_sys_openat")->compat);
	CHECK(!arch_syscall_abi(a, "__x64_sys_openat"));
	CHECK_EQ_INT(arch_by_name("x86_64")->entry_ret, -1);
}
