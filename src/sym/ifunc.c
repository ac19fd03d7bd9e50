// SPDX-License-Identifier: BSD-2-Clause
/*
 * Which implementation of an IFUNC a running process uses. The dynamic
 * linker ran the resolver and stored its answer in GOT slots: the
 * library's own (IRELATIVE relocations, for its internal calls) and those
 * of every module that calls the function (JUMP_SLOT, GLOB_DAT). Each
 * mapped file's relocations name its slots; the process's memory holds
 * what was stored there. A slot not yet bound (lazy binding) points back
 * into its own module and is passed over.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sym/ifunc.h"
#include "util.h"

#define MAX_SLOTS 16
#define MAX_MODULES 512

/* One mapped file: where its first byte is, and the range it covers. */
struct module {
	char *path;		/* as the process names it */
	dev_t dev;
	ino_t ino;
	uint64_t base;		/* the mapping of file offset 0 */
	uint64_t lo, hi;	/* every mapping of the file */
	bool has_base;
};

static struct module *find_module(struct module *m, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(m[i].path, path))
			return &m[i];
	return NULL;
}

/* The file mappings of @pid, one entry per file. */
static size_t read_modules(pid_t pid, struct module *mods, size_t max)
{
	char *path = xasprintf("/proc/%d/maps", (int)pid), *text = read_file(path, NULL);
	char *line, *save = NULL;
	size_t n = 0;

	free(path);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		uint64_t start, end, pgoff;
		unsigned int maj, min;
		unsigned long long ino;
		int name_at = 0;
		char perms[8];
		struct module *m;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %llu %n", &start,
			   &end, perms, &pgoff, &maj, &min, &ino, &name_at) < 7 ||
		    !name_at || line[name_at] != '/' || strstr(line + name_at, " (deleted)"))
			continue;
		m = find_module(mods, n, line + name_at);
		if (!m) {
			if (n == max)
				continue;
			m = &mods[n++];
			*m = (struct module){ .path = xstrdup(line + name_at), .lo = start, .hi = end,
					      .dev = makedev(maj, min), .ino = (ino_t)ino };
		}
		if (!pgoff && !m->has_base) {
			m->base = start;
			m->has_base = true;
		}
		m->lo = start < m->lo ? start : m->lo;
		m->hi = end > m->hi ? end : m->hi;
	}
	free(text);
	return n;
}

/* What the file's first segment is linked at: 0 unless it is ET_EXEC (not PIE). */
static bool is_fixed(const char *path)
{
	unsigned char eh[18];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool fixed = false;

	if (fd >= 0 && pread(fd, eh, sizeof(eh), 0) == (ssize_t)sizeof(eh))
		fixed = eh[16] == 2 && eh[17] == 0;	/* e_type ET_EXEC, little-endian */
	if (fd >= 0)
		close(fd);
	return fixed;
}

/* The implementation the slots of module @m hold, if it lies in @lib. */
static int from_slots(pid_t pid, int mem, const struct module *m, const struct module *lib,
		      uint64_t lib_bias, const struct elf_file *elf, const char *name,
		      uint64_t resolver, uint64_t *impl)
{
	char *file = xasprintf("/proc/%d/root%s", (int)pid, m->path);
	uint64_t slots[MAX_SLOTS], bias = is_fixed(file) ? 0 : m->base;
	size_t n = elf_reloc_slots(file, name, m == lib ? resolver : 0, slots, MAX_SLOTS);

	free(file);
	for (size_t i = 0; i < n; i++) {
		uint64_t v, off;

		/* In the library's code, and not the resolver (a slot of a non-IFUNC alias). */
		if (pread(mem, &v, sizeof(v), (off_t)(bias + slots[i])) != (ssize_t)sizeof(v) ||
		    v < lib->lo || v >= lib->hi || v - lib_bias == resolver ||
		    elf_vaddr_to_offset(elf, v - lib_bias, &off))
			continue;
		*impl = v - lib_bias;
		return 0;
	}
	return -ENOENT;
}

int ifunc_resolved(pid_t pid, const struct elf_file *lib, const char *name, uint64_t resolver,
		   uint64_t *impl)
{
	struct module *mods = xcalloc(MAX_MODULES, sizeof(*mods)), *libm = NULL;
	size_t n = read_modules(pid, mods, MAX_MODULES);
	char *mem_path = xasprintf("/proc/%d/mem", (int)pid);
	int mem = open(mem_path, O_RDONLY | O_CLOEXEC), ret = -ENOENT;
	struct stat st;

	free(mem_path);
	if (!stat(lib->path, &st))
		for (size_t i = 0; i < n && !libm; i++)
			if (mods[i].dev == st.st_dev && mods[i].ino == st.st_ino)
				libm = &mods[i];
	/* The library itself first: its IRELATIVE slots, then every caller's. */
	if (mem >= 0 && libm && libm->has_base) {
		uint64_t lib_bias = is_fixed(lib->path) ? 0 : libm->base;

		ret = from_slots(pid, mem, libm, libm, lib_bias, lib, name, resolver, impl);
		for (size_t i = 0; i < n && ret; i++)
			if (&mods[i] != libm && mods[i].has_base)
				ret = from_slots(pid, mem, &mods[i], libm, lib_bias, lib, name,
						 resolver, impl);
	}
	if (mem >= 0)
		close(mem);
	for (size_t i = 0; i < n; i++)
		free(mods[i].path);
	free(mods);
	return ret;
}
