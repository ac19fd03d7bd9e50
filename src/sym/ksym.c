// SPDX-License-Identifier: BSD-2-Clause
/*
 * Kernel symbols from /proc/kallsyms.
 *
 * The file (~100k-200k lines) is read in one go and parsed in a single
 * pass. Names are compacted in place at the front of the read buffer and
 * then copied into one exactly-sized arena, so the table costs one
 * allocation for the strings and one for the symbols instead of one per
 * symbol. Only code symbols are kept: stacks must resolve to functions and
 * a data symbol between two functions would steal their addresses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sym/ksym.h"
#include "util.h"

static const char core_module[] = "kernel";

struct ksyms {
	char *path;
	bool loaded;
	struct ksym *syms;	/* sorted by address, then by file order */
	size_t nsyms;
	char *arena;		/* every name and module name, NUL-terminated */
	/* Open-addressing table of sym index + 1 (0 = empty), built by find. */
	uint32_t *by_name;
	size_t by_name_mask;
};

/* State of one parsing pass over the read buffer. */
struct kparse {
	char *buf;
	size_t used;		/* names compacted into buf[0, used) */
	struct ksym *syms;
	size_t nsyms, cap;
	const char *last_module;
};

struct ksyms *ksyms__new(const char *path)
{
	struct ksyms *ks = xcalloc(1, sizeof(*ks));

	ks->path = xstrdup(path);
	return ks;
}

void ksyms__free(struct ksyms *ks)
{
	if (!ks)
		return;
	free(ks->path);
	free(ks->syms);
	free(ks->arena);
	free(ks->by_name);
	free(ks);
}

static bool is_code_type(char t)
{
	return t == 't' || t == 'T' || t == 'w' || t == 'W';
}

/* Hex address at *@p up to a space; strtoull would also accept junk. */
static bool parse_addr(const char **p, const char *end, uint64_t *addr)
{
	const char *s = *p;
	uint64_t v = 0;

	for (; s < end && *s != ' '; s++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return false;
		v = v << 4 | (uint64_t)d;
	}
	if (s == *p || s == end)
		return false;
	*addr = v;
	*p = s + 1;
	return true;
}

/*
 * Move @len bytes at @src down to the compaction cursor. The cursor never
 * overtakes the parse position: each line is longer than what it keeps.
 */
static char *kparse_keep(struct kparse *kp, const char *src, size_t len)
{
	char *dst = kp->buf + kp->used;

	memmove(dst, src, len);
	dst[len] = '\0';
	kp->used += len + 1;
	return dst;
}

/* Modules' lines are contiguous, so remembering the last one interns them. */
static const char *kparse_module(struct kparse *kp, const char *s, size_t len)
{
	const char *last = kp->last_module;

	if (last && strlen(last) == len && !memcmp(last, s, len))
		return last;
	kp->last_module = kparse_keep(kp, s, len);
	return kp->last_module;
}

/* "ffffffff81000000 T _stext" or "... t foo\t[module]" */
static void kparse_line(struct kparse *kp, const char *p, const char *end)
{
	const char *name, *name_end, *mod = NULL, *mod_end = NULL;
	struct ksym *sym;
	uint64_t addr;
	char type;

	if (!parse_addr(&p, end, &addr) || end - p < 3 || p[1] != ' ')
		return;
	type = p[0];
	/* Zero addresses are what kptr_restrict shows: nothing usable. */
	if (!is_code_type(type) || !addr)
		return;
	name = p + 2;
	name_end = memchr(name, '\t', (size_t)(end - name));
	if (name_end) {
		mod = name_end + 1;
		mod_end = end;
		if (mod_end - mod >= 2 && mod[0] == '[' && mod_end[-1] == ']') {
			mod++;
			mod_end--;
		}
	} else {
		name_end = end;
	}
	if (name_end == name)
		return;
	kp->syms = grow_array(kp->syms, &kp->cap, kp->nsyms + 1,
			      sizeof(*kp->syms));
	sym = &kp->syms[kp->nsyms++];
	sym->addr = addr;
	sym->name = kparse_keep(kp, name, (size_t)(name_end - name));
	if (mod && mod_end > mod)
		sym->module = kparse_module(kp, mod, (size_t)(mod_end - mod));
	else
		sym->module = core_module;
}

/* Names were kept in file order, so their position breaks address ties. */
static int cmp_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

/* Move the compacted names into an arena of their exact size. */
static void ksyms_take_names(struct ksyms *ks, struct kparse *kp)
{
	ks->arena = xmalloc(kp->used);
	memcpy(ks->arena, kp->buf, kp->used);
	for (size_t i = 0; i < kp->nsyms; i++) {
		struct ksym *sym = &kp->syms[i];

		sym->name = ks->arena + (sym->name - kp->buf);
		if (sym->module != core_module)
			sym->module = ks->arena + (sym->module - kp->buf);
	}
}

/* The kernel lists its own symbols in address order: skip the sort then. */
static bool is_sorted(const struct ksym *syms, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (syms[i].addr < syms[i - 1].addr)
			return false;
	return true;
}

static void ksyms_load(struct ksyms *ks)
{
	struct kparse kp = { 0 };
	size_t len;
	char *p, *end;

	ks->loaded = true;
	kp.buf = read_file(ks->path, &len);
	if (!kp.buf)
		return;
	for (p = kp.buf, end = kp.buf + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			nl = end;
		kparse_line(&kp, p, nl);
		p = nl + 1;
	}
	if (kp.nsyms) {
		ksyms_take_names(ks, &kp);
		if (!is_sorted(kp.syms, kp.nsyms))
			qsort(kp.syms, kp.nsyms, sizeof(*kp.syms), cmp_addr);
		ks->syms = xrealloc(kp.syms, kp.nsyms * sizeof(*kp.syms));
		ks->nsyms = kp.nsyms;
	}
	free(kp.buf);
}

static bool ksyms_ready(struct ksyms *ks)
{
	if (!ks->loaded)
		ksyms_load(ks);
	return ks->nsyms > 0;
}

const struct ksym *ksyms__lookup(struct ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!ksyms_ready(ks))
		return NULL;
	/* First symbol above @addr; the one before it contains @addr. */
	hi = ks->nsyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	lo--;
	/* Aliases share an address: report the first one kallsyms lists. */
	while (lo && ks->syms[lo - 1].addr == ks->syms[lo].addr)
		lo--;
	return &ks->syms[lo];
}

static uint32_t hash_name(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/*
 * Symbols are inserted in address order and a name keeps its first slot,
 * so duplicated static names resolve to the lowest address (core kernel
 * before modules).
 */
static void ksyms_build_name_index(struct ksyms *ks)
{
	size_t size = 16;

	while (size < ks->nsyms * 2)
		size *= 2;
	ks->by_name = xcalloc(size, sizeof(*ks->by_name));
	ks->by_name_mask = size - 1;
	for (size_t i = 0; i < ks->nsyms; i++) {
		const char *name = ks->syms[i].name;
		size_t h = hash_name(name) & ks->by_name_mask;

		while (ks->by_name[h]) {
			if (!strcmp(ks->syms[ks->by_name[h] - 1].name, name))
				break;
			h = (h + 1) & ks->by_name_mask;
		}
		if (!ks->by_name[h])
			ks->by_name[h] = (uint32_t)i + 1;
	}
}

const struct ksym *ksyms__find(struct ksyms *ks, const char *name)
{
	size_t h;

	if (!ksyms_ready(ks))
		return NULL;
	if (!ks->by_name)
		ksyms_build_name_index(ks);
	h = hash_name(name) & ks->by_name_mask;
	for (; ks->by_name[h]; h = (h + 1) & ks->by_name_mask) {
		const struct ksym *sym = &ks->syms[ks->by_name[h] - 1];

		if (!strcmp(sym->name, name))
			return sym;
	}
	return NULL;
}

int ksyms__format(struct ksyms *ks, uint64_t addr, bool show_module,
		  char *buf, size_t len)
{
	const struct ksym *sym = ksyms__lookup(ks, addr);
	unsigned long long off;

	if (!sym)
		return snprintf(buf, len, "[unknown]");
	off = addr - sym->addr;
	if (show_module)
		return snprintf(buf, len, "%s+0x%llx [%s]", sym->name, off,
				sym->module);
	return snprintf(buf, len, "%s+0x%llx", sym->name, off);
}

const struct ksym *ksyms__at(struct ksyms *ks, size_t i)
{
	if (!ksyms_ready(ks) || i >= ks->nsyms)
		return NULL;
	return &ks->syms[i];
}

const struct ksym *ksyms__find_in(struct ksyms *ks, const char *name, const char *module)
{
	const struct ksym *first = ksyms__find(ks, name);

	if (!first || !module || !strcmp(first->module, module))
		return first;
	/* Rare: a static name shared with the core kernel; scan. */
	for (size_t i = 0; i < ks->nsyms; i++)
		if (!strcmp(ks->syms[i].name, name) && !strcmp(ks->syms[i].module, module))
			return &ks->syms[i];
	return NULL;
}

bool ksyms_hidden(const char *path)
{
	char line[256];
	FILE *f = fopen(path, "re");
	bool hidden = false;
	int n = 0;

	/*
	 * Hidden addresses are all zero. The first symbols can be zero anyway
	 * (per-CPU variables are offsets from 0), so look until one is not.
	 */
	while (f && n++ < 4096 && fgets(line, sizeof(line), f)) {
		size_t z = strspn(line, "0");

		hidden = z >= 8 && line[z] == ' ';
		if (!hidden)
			break;
	}
	if (f)
		fclose(f);
	return hidden;
}
