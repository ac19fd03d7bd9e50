// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sym/elf.h"
#include "sym/libpath.h"
#include "sym/usym.h"
#include "util.h"

/* Processes remembered at once; the oldest are forgotten beyond that. */
#define MAX_PROCS 4096

struct ufile {
	dev_t dev;
	ino_t ino;
	char *module;		/* the file name, for "[module]" */
	bool ok;		/* elf is usable */
	struct elf_file elf;
};

struct umap {
	uint64_t start, end, pgoff;
	dev_t dev;
	ino_t ino;
	char *path;		/* as the process sees it; NULL: anonymous */
	bool deleted;
	bool vdso;
	struct ufile *file;	/* opened on first use */
};

struct psym {
	uint64_t start, size;
	char *name;
};

/* A probed file placed in a process by the address its probe fired at. */
struct uplace {
	uint64_t start, end;	/* file offset 0 and the file's end, in the process */
	struct ufile *file;
};

struct uproc {
	pid_t pid;
	struct umap *maps;
	size_t nmaps;
	struct uplace *placed;	/* for a process gone before its maps were read */
	size_t nplaced;
	bool missed;		/* maps were reread once for an unknown address */
	struct psym *perf;	/* the perf map file, read on demand */
	size_t nperf;
	bool perf_read;
	uint64_t used;		/* for forgetting the oldest */
};

struct usyms {
	struct ufile **files;
	size_t nfiles, files_cap;
	struct uproc *procs;
	size_t nprocs, procs_cap;
	uint64_t clock;
	char *const *symfiles;
	size_t nsymfiles;
	struct ufile *vdso;
	bool vdso_tried;
};

struct usyms *usyms_new(char *const *symfiles, size_t nsymfiles)
{
	struct usyms *u = xcalloc(1, sizeof(*u));

	u->symfiles = symfiles;
	u->nsymfiles = nsymfiles;
	return u;
}

static void free_file(struct ufile *f)
{
	if (!f)
		return;
	elf_free(&f->elf);
	free(f->module);
	free(f);
}

static void free_proc(struct uproc *p)
{
	for (size_t i = 0; i < p->nmaps; i++)
		free(p->maps[i].path);
	free(p->maps);
	free(p->placed);
	for (size_t i = 0; i < p->nperf; i++)
		free(p->perf[i].name);
	free(p->perf);
	memset(p, 0, sizeof(*p));
}

void usyms_free(struct usyms *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nfiles; i++)
		free_file(u->files[i]);
	free(u->files);
	for (size_t i = 0; i < u->nprocs; i++)
		free_proc(&u->procs[i]);
	free(u->procs);
	free_file(u->vdso);
	free(u);
}

/* --- files -------------------------------------------------------------------- */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Symbols for a stripped file: a debug file, else an -s file with its build-id. */
static void add_symbols(struct usyms *u, struct elf_file *elf)
{
	if (elf->has_symtab || elf_add_debug_symbols(elf))
		return;
	for (size_t i = 0; i < u->nsymfiles; i++)
		if (!elf_add_symbols_from(elf, u->symfiles[i]))
			return;
}

static struct ufile *add_file(struct usyms *u, const char *open_path, const char *name,
			      dev_t dev, ino_t ino)
{
	struct ufile *f = xcalloc(1, sizeof(*f));
	char err[128];

	f->dev = dev;
	f->ino = ino;
	f->module = xstrdup(base_name(name));
	f->ok = elf_open(open_path, &f->elf, err, sizeof(err)) == 0;
	if (f->ok)
		add_symbols(u, &f->elf);
	u->files = grow_array(u->files, &u->files_cap, u->nfiles + 1, sizeof(*u->files));
	u->files[u->nfiles++] = f;
	return f;
}

/*
 * The file behind a mapping. The same file (device, inode) is read once.
 * map_files gives the very file mapped, even deleted or replaced since;
 * /proc/PID/root is the process's view of paths (containers).
 */
static struct ufile *map_file(struct usyms *u, pid_t pid, struct umap *m)
{
	char *paths[3];
	struct ufile *f = NULL;
	struct stat st;

	for (size_t i = 0; i < u->nfiles; i++)
		if (u->files[i]->dev == m->dev && u->files[i]->ino == m->ino && m->ino)
			return m->file = u->files[i];
	paths[0] = xasprintf("/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, m->start, m->end);
	paths[1] = xasprintf("/proc/%d/root%s", (int)pid, m->path);
	paths[2] = xstrdup(m->path);
	for (int i = 0; i < 3 && !f; i++) {
		/* A file at that path now may not be the one mapped. */
		if (stat(paths[i], &st) || (i > 0 && (st.st_ino != m->ino || m->deleted)))
			continue;
		f = add_file(u, paths[i], m->path, m->dev, m->ino);
	}
	for (int i = 0; i < 3; i++)
		free(paths[i]);
	return m->file = f;
}

/* The kernel's vDSO is the same image in every process: parse our own. */
static struct ufile *vdso_file(struct usyms *u)
{
	const void *image = (const void *)getauxval(AT_SYSINFO_EHDR);
	char *maps, *line, *save = NULL;
	uint64_t start, end;

	if (u->vdso_tried)
		return u->vdso;
	u->vdso_tried = true;
	maps = read_file("/proc/self/maps", NULL);
	for (line = maps ? strtok_r(maps, "\n", &save) : NULL; line && image;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strstr(line, "[vdso]") || sscanf(line, "%" SCNx64 "-%" SCNx64, &start, &end) != 2)
			continue;
		u->vdso = xcalloc(1, sizeof(*u->vdso));
		u->vdso->module = xstrdup("vdso");
		u->vdso->ok = elf_open_image(image, (size_t)(end - start), "[vdso]",
					     &u->vdso->elf) == 0;
		break;
	}
	free(maps);
	return u->vdso;
}

/* --- processes --------------------------------------------------------------- */

static void read_maps(struct uproc *p)
{
	char *path = xasprintf("/proc/%d/maps", (int)p->pid), *text = read_file(path, NULL);
	char *line, *save = NULL;

	free(path);
	for (size_t i = 0; i < p->nmaps; i++)
		free(p->maps[i].path);
	p->nmaps = 0;
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned int maj, min;
		unsigned long long ino;
		char perms[8];
		int name_at = 0;
		struct umap m = { 0 };

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %llu %n", &m.start,
			   &m.end, perms, &m.pgoff, &maj, &min, &ino, &name_at) < 7 || perms[2] != 'x')
			continue;
		m.dev = makedev(maj, min);
		m.ino = (ino_t)ino;
		if (name_at && line[name_at] == '/') {
			char *del = strstr(line + name_at, " (deleted)");

			m.deleted = del != NULL;
			m.path = xstrndup(line + name_at, del ? (size_t)(del - line - name_at) :
					  strlen(line + name_at));
		} else if (name_at && !strcmp(line + name_at, "[vdso]")) {
			m.vdso = true;
		}
		p->maps = xrealloc(p->maps, (p->nmaps + 1) * sizeof(*p->maps));
		p->maps[p->nmaps++] = m;
	}
	free(text);
}

static struct uproc *find_proc(struct usyms *u, pid_t pid, bool add)
{
	struct uproc *p, *oldest = NULL;

	for (size_t i = 0; i < u->nprocs; i++)
		if (u->procs[i].pid == pid) {
			u->procs[i].used = ++u->clock;
			return &u->procs[i];
		}
	if (!add)
		return NULL;
	if (u->nprocs == MAX_PROCS) {
		for (size_t i = 0; i < u->nprocs; i++)
			if (!oldest || u->procs[i].used < oldest->used)
				oldest = &u->procs[i];
		free_proc(oldest);
		p = oldest;
	} else {
		u->procs = grow_array(u->procs, &u->procs_cap, u->nprocs + 1, sizeof(*u->procs));
		p = &u->procs[u->nprocs++];
	}
	p->pid = pid;
	p->used = ++u->clock;
	read_maps(p);
	return p;
}

/* The file at @path, read once; @size: its size. NULL if it cannot be read. */
static struct ufile *path_file(struct usyms *u, const char *path, bool *added, uint64_t *size)
{
	struct stat st;

	*added = false;
	if (stat(path, &st))
		return NULL;
	if (size)
		*size = (uint64_t)st.st_size;
	for (size_t i = 0; i < u->nfiles; i++)
		if (u->files[i]->dev == st.st_dev && u->files[i]->ino == st.st_ino)
			return u->files[i];
	*added = true;
	return add_file(u, path, path, st.st_dev, st.st_ino);
}

static struct ufile *add_path(struct usyms *u, const char *path)
{
	bool added;
	struct ufile *f = path_file(u, path, &added, NULL);

	return added ? f : NULL;
}

void usyms_add_file(struct usyms *u, const char *path)
{
	struct ufile *f = add_path(u, path);
	char err[128];

	/* And the libraries it links with: their frames are in its stacks too. */
	for (size_t i = 0; f && f->ok && i < f->elf.nneeded; i++) {
		char *lib = libpath_resolve(f->elf.needed[i], 0, err, sizeof(err));

		if (lib)
			add_path(u, lib);
		free(lib);
	}
}

void usyms_note_pid(struct usyms *u, pid_t pid)
{
	find_proc(u, pid, true);
}

void usyms_place_file(struct usyms *u, pid_t pid, const char *path, uint64_t base)
{
	struct uproc *p = find_proc(u, pid, true);
	uint64_t size = 0;
	bool added;
	struct ufile *f;

	/* Maps read while the process ran are the truth. */
	if (p->nmaps)
		return;
	for (size_t i = 0; i < p->nplaced; i++)
		if (p->placed[i].start == base)
			return;
	f = path_file(u, path, &added, &size);
	if (!f || !f->ok || base + size < base)
		return;
	p->placed = xrealloc(p->placed, (p->nplaced + 1) * sizeof(*p->placed));
	p->placed[p->nplaced++] = (struct uplace){ .start = base, .end = base + size, .file = f };
}

/* The process's perf map: "START SIZE name" lines, for JIT code. */
static void read_perf_map(struct uproc *p)
{
	char *status, *line, *save = NULL, *text, *path;
	int nspid = p->pid;

	p->perf_read = true;
	/* In a container the file carries the pid the process knows itself by. */
	path = xasprintf("/proc/%d/status", (int)p->pid);
	status = read_file(path, NULL);
	free(path);
	line = status ? strstr(status, "\nNSpid:") : NULL;
	if (line) {
		char *end = strchr(line + 1, '\n'), *last = end;

		while (last && last > line && (last[-1] >= '0' && last[-1] <= '9'))
			last--;
		if (last)
			nspid = atoi(last);
	}
	free(status);
	path = xasprintf("/proc/%d/root/tmp/perf-%d.map", (int)p->pid, nspid);
	text = read_file(path, NULL);
	free(path);
	if (!text) {
		path = xasprintf("/tmp/perf-%d.map", (int)p->pid);
		text = read_file(path, NULL);
		free(path);
	}
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		uint64_t start, size;
		int at = 0;

		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %n", &start, &size, &at) < 2 || !at)
			continue;
		p->perf = xrealloc(p->perf, (p->nperf + 1) * sizeof(*p->perf));
		p->perf[p->nperf++] = (struct psym){ start, size, xstrdup(line + at) };
	}
	free(text);
}

/* --- naming ------------------------------------------------------------------------ */

/* Offset @off of file @f: its symbol, if any, and the file's name. */
static void file_offset_info(const struct ufile *f, uint64_t off, struct usym_info *out)
{
	const struct elf_sym *sym;
	uint64_t vaddr;

	*out = (struct usym_info){ .module = f->module };
	if (!f->ok || elf_offset_to_vaddr(&f->elf, off, &vaddr))
		return;
	sym = elf_sym_at(&f->elf, vaddr);
	if (sym) {
		out->sym = sym->name;
		out->offset = vaddr - sym->addr;
	}
}

static const struct umap *find_map(const struct uproc *p, uint64_t addr)
{
	for (size_t i = 0; i < p->nmaps; i++)
		if (addr >= p->maps[i].start && addr < p->maps[i].end)
			return &p->maps[i];
	return NULL;
}

/* @addr in @pid; false (and nothing filled in) when nothing knows it. */
static bool lookup_addr(struct usyms *u, pid_t pid, uint64_t addr, struct usym_info *out)
{
	struct uproc *p = find_proc(u, pid, true);
	struct umap *m = (struct umap *)find_map(p, addr);
	struct ufile *f;

	/* A library loaded since (dlopen): read the maps once more. */
	if (!m && !p->missed) {
		p->missed = true;
		read_maps(p);
		m = (struct umap *)find_map(p, addr);
	}
	if (m && m->vdso && (f = vdso_file(u)) && f->ok) {
		file_offset_info(f, addr - m->start, out);
		return true;
	}
	if (m && m->path && (f = m->file ? m->file : map_file(u, pid, m))) {
		file_offset_info(f, addr - m->start + m->pgoff, out);
		return true;
	}
	for (size_t i = 0; !m && i < p->nplaced; i++)
		if (addr >= p->placed[i].start && addr < p->placed[i].end) {
			file_offset_info(p->placed[i].file, addr - p->placed[i].start, out);
			return true;
		}
	/* Anonymous executable memory: JIT code, named by the perf map if there is one. */
	if (!p->perf_read)
		read_perf_map(p);
	for (size_t i = 0; i < p->nperf; i++)
		if (addr >= p->perf[i].start && addr < p->perf[i].start + p->perf[i].size) {
			*out = (struct usym_info){ .sym = p->perf[i].name,
						   .offset = addr - p->perf[i].start,
						   .module = "perf-map" };
			return true;
		}
	return false;
}

void usyms_lookup_addr(struct usyms *u, pid_t pid, uint64_t addr, struct usym_info *out)
{
	if (!lookup_addr(u, pid, addr, out))
		*out = (struct usym_info){ 0 };
}

static bool same_id(const struct elf_file *e, const unsigned char *id, size_t idlen)
{
	return e->build_id_len == idlen && !memcmp(e->build_id, id, idlen);
}

/* Remember that nothing knows the file with this build-id: the next frame asks no disk. */
static void add_unknown_file(struct usyms *u, const unsigned char *id, size_t idlen)
{
	struct ufile *f = xcalloc(1, sizeof(*f));

	memcpy(f->elf.build_id, id, idlen);
	f->elf.build_id_len = idlen;
	u->files = grow_array(u->files, &u->files_cap, u->nfiles + 1, sizeof(*u->files));
	u->files[u->nfiles++] = f;
}

void usyms_lookup_frame(struct usyms *u, pid_t pid, uint64_t addr, const unsigned char *id,
			size_t idlen, uint64_t off, struct usym_info *out)
{
	char hex[2 * ELF_BUILD_ID_MAX + 1] = "", *path;
	struct elf_file key = { .build_id_len = idlen };
	struct ufile *f;

	*out = (struct usym_info){ 0 };
	for (size_t i = 0; i < u->nfiles; i++)
		if (same_id(&u->files[i]->elf, id, idlen)) {
			file_offset_info(u->files[i], off, out);
			return;
		}
	/* The process's mappings name the file as it is called. */
	if (lookup_addr(u, pid, addr, out))
		return;
	/* A file never seen mapped: its debug file, or an -s file, has the symbols. */
	if (idlen < 2 || idlen > ELF_BUILD_ID_MAX)
		return;
	memcpy(key.build_id, id, idlen);
	elf_build_id_hex(&key, hex, sizeof(hex));
	path = xasprintf("/usr/lib/debug/.build-id/%.2s/%s.debug", hex, hex + 2);
	f = access(path, R_OK) ? NULL : add_file(u, path, path, 0, 0);
	free(path);
	/* The debug file's name says nothing of the program: name it by its build-id. */
	if (f) {
		free(f->module);
		f->module = xasprintf("build-id %.12s", hex);
	}
	for (size_t i = 0; !f && i < u->nsymfiles; i++) {
		struct elf_file e;
		char err[64];

		if (elf_open(u->symfiles[i], &e, err, sizeof(err)) == 0 && same_id(&e, id, idlen))
			f = add_file(u, u->symfiles[i], u->symfiles[i], 0, 0);
		elf_free(&e);
	}
	if (f)
		file_offset_info(f, off, out);
	else
		add_unknown_file(u, id, idlen);
}

/* --- formatting ------------------------------------------------------------------- */

/* "sym+0xoff [module]", "sym+0xoff", "[unknown] [module]" or "[unknown]". */
static int put(const struct usym_info *in, bool show_module, char *buf, size_t len)
{
	bool mod = show_module && in->module;

	if (!in->sym)
		return snprintf(buf, len, "[unknown]%s%s%s", mod ? " [" : "",
				mod ? in->module : "", mod ? "]" : "");
	return snprintf(buf, len, "%s+0x%" PRIx64 "%s%s%s", in->sym, in->offset,
			mod ? " [" : "", mod ? in->module : "", mod ? "]" : "");
}

int usyms_format_addr(struct usyms *u, pid_t pid, uint64_t addr, bool module, char *buf,
		      size_t len)
{
	struct usym_info in;

	usyms_lookup_addr(u, pid, addr, &in);
	return put(&in, module, buf, len);
}

int usyms_format_frame(struct usyms *u, pid_t pid, uint64_t addr, const unsigned char *id,
		       size_t idlen, uint64_t off, char *buf, size_t len)
{
	struct usym_info in;

	usyms_lookup_frame(u, pid, addr, id, idlen, off, &in);
	return put(&in, true, buf, len);
}
