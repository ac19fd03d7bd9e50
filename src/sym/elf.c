// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sym/elf.h"
#include "util.h"

#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#endif

#define NT_STAPSDT 3
#define DEBUG_DIR "/usr/lib/debug"
/* A MiniDebugInfo section unpacks to a few hundred KiB; this bounds a hostile one. */
#define MINIDEBUG_MAX (64u << 20)

static const char *machine_name(uint16_t m)
{
	switch (m) {
	case EM_X86_64: return "x86-64";
	case EM_386: return "i386";
	case EM_AARCH64: return "aarch64";
	case EM_ARM: return "arm";
	default: return "another architecture";
	}
}

/* --- building the symbol table ------------------------------------------ */

static void add_sym(struct elf_file *f, const char *name, const char *version, bool def,
		    const GElf_Sym *s, bool from_symtab)
{
	struct elf_sym *e;

	f->syms = grow_array(f->syms, &f->syms_cap, f->nsyms + 1, sizeof(*f->syms));
	e = &f->syms[f->nsyms++];
	e->name = xstrdup(name);
	e->version = version ? xstrdup(version) : NULL;
	e->default_ver = def;
	e->addr = s->st_value;
	e->size = s->st_size;
	e->ifunc = GELF_ST_TYPE(s->st_info) == STT_GNU_IFUNC;
	e->weak = GELF_ST_BIND(s->st_info) == STB_WEAK;
	e->local = GELF_ST_BIND(s->st_info) == STB_LOCAL;
	e->from_symtab = from_symtab;
}

/* Version names by index, from .gnu.version_d (definitions) and _r (needs). */
struct versions {
	char **name;		/* by version index */
	size_t n;
};

static void set_version(struct versions *vs, size_t idx, const char *name)
{
	if (idx >= 0x8000 || !name)
		return;
	if (idx >= vs->n) {
		size_t n = vs->n;

		vs->name = grow_array(vs->name, &n, idx + 1, sizeof(*vs->name));
		vs->n = n;
	}
	if (!vs->name[idx])
		vs->name[idx] = xstrdup(name);
}

static void read_verdef(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh, struct versions *vs)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t off = 0;

	for (size_t i = 0; d && i < sh->sh_info; i++) {
		GElf_Verdef def;
		GElf_Verdaux aux;

		if (!gelf_getverdef(d, (int)off, &def) ||
		    !gelf_getverdaux(d, (int)(off + def.vd_aux), &aux))
			break;
		set_version(vs, def.vd_ndx, elf_strptr(elf, sh->sh_link, aux.vda_name));
		if (!def.vd_next)
			break;
		off += def.vd_next;
	}
}

static void read_verneed(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh, struct versions *vs)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t off = 0;

	for (size_t i = 0; d && i < sh->sh_info; i++) {
		GElf_Verneed need;
		size_t aoff;

		if (!gelf_getverneed(d, (int)off, &need))
			break;
		aoff = off + need.vn_aux;
		for (size_t j = 0; j < need.vn_cnt; j++) {
			GElf_Vernaux aux;

			if (!gelf_getvernaux(d, (int)aoff, &aux))
				break;
			set_version(vs, aux.vna_other, elf_strptr(elf, sh->sh_link, aux.vna_name));
			if (!aux.vna_next)
				break;
			aoff += aux.vna_next;
		}
		if (!need.vn_next)
			break;
		off += need.vn_next;
	}
}

static void free_versions(struct versions *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		free(vs->name[i]);
	free(vs->name);
}

/* Function symbols of one symbol table (@versym: .gnu.version data, or NULL). */
static void read_symtab(struct elf_file *f, Elf *elf, Elf_Scn *scn, GElf_Shdr *sh,
			Elf_Data *versym, const struct versions *vs)
{
	Elf_Data *d;
	size_t n;

	/* Debug files often compress their symbol tables. */
	if (sh->sh_flags & SHF_COMPRESSED)
		elf_compress(scn, 0, 0);
	d = elf_getdata(scn, NULL);
	if (!d || !sh->sh_entsize)
		return;
	n = d->d_size / sh->sh_entsize;
	for (size_t i = 1; i < n; i++) {
		GElf_Sym s;
		GElf_Versym ver = 0;
		const char *name, *vname = NULL;
		int type;

		if (!gelf_getsym(d, (int)i, &s))
			break;
		type = GELF_ST_TYPE(s.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF ||
		    !s.st_value)
			continue;
		name = elf_strptr(elf, sh->sh_link, s.st_name);
		if (!name || !*name)
			continue;
		if (versym && gelf_getversym(versym, (int)i, &ver)) {
			size_t idx = ver & 0x7fff;

			/* 0: local, 1: global, unversioned. */
			if (idx > 1 && idx < vs->n)
				vname = vs->name[idx];
		}
		add_sym(f, name, vname, !(ver & 0x8000), &s, sh->sh_type == SHT_SYMTAB);
	}
}

static size_t underscores(const char *name)
{
	return strspn(name, "_");
}

/*
 * Best name first at one address: the one users call. Visible before local
 * (malloc, not __GI___libc_malloc), the default version, fewer leading
 * underscores (open, not __libc_open64, though open is only a weak alias),
 * then global before weak.
 */
static int cmp_sym(const void *a, const void *b)
{
	const struct elf_sym *x = a, *y = b;
	size_t ux = underscores(x->name), uy = underscores(y->name);

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->local != y->local)
		return x->local ? 1 : -1;
	if (x->default_ver != y->default_ver)
		return x->default_ver ? -1 : 1;
	if (ux != uy)
		return ux < uy ? -1 : 1;
	if (x->weak != y->weak)
		return x->weak ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* --- reading a file --------------------------------------------------------- */

static void read_build_id(struct elf_file *f, Elf_Scn *scn)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	while (d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp((char *)d->d_buf + name_off, "GNU", 4) && nh.n_descsz > 0 &&
		    nh.n_descsz <= ELF_BUILD_ID_MAX) {
			memcpy(f->build_id, (char *)d->d_buf + desc_off, nh.n_descsz);
			f->build_id_len = nh.n_descsz;
			return;
		}
	}
}

static void read_debuglink(struct elf_file *f, Elf_Scn *scn)
{
	Elf_Data *d = elf_getdata(scn, NULL);

	if (d && d->d_size > 1 && memchr(d->d_buf, '\0', d->d_size) &&
	    !strchr(d->d_buf, '/'))
		f->debuglink = xstrdup(d->d_buf);
}

/* The libraries @f links with (DT_NEEDED). */
static void read_needed(struct elf_file *f, Elf *elf, Elf_Scn *scn, GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);

	for (size_t i = 0; d && sh->sh_entsize && i < d->d_size / sh->sh_entsize; i++) {
		GElf_Dyn dyn;
		const char *name;

		if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag == DT_NULL)
			break;
		if (dyn.d_tag != DT_NEEDED || f->nneeded >= 64)
			continue;
		name = elf_strptr(elf, sh->sh_link, dyn.d_un.d_val);
		if (!name || strchr(name, '/'))
			continue;
		f->needed = xrealloc(f->needed, (f->nneeded + 1) * sizeof(*f->needed));
		f->needed[f->nneeded++] = xstrdup(name);
	}
}

/* Symbols (and versions) of the open @elf into @f. */
static void read_all_symbols(struct elf_file *f, Elf *elf, size_t shstrndx)
{
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL;
	GElf_Shdr sh, st_sh, dyn_sh;
	Elf_Data *versym = NULL;
	struct versions vs = { 0 };

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		switch (sh.sh_type) {
		case SHT_SYMTAB: symtab = scn; st_sh = sh; break;
		case SHT_DYNSYM: dynsym = scn; dyn_sh = sh; break;
		case SHT_GNU_versym: versym = elf_getdata(scn, NULL); break;
		case SHT_GNU_verdef: read_verdef(elf, scn, &sh, &vs); break;
		case SHT_GNU_verneed: read_verneed(elf, scn, &sh, &vs); break;
		}
	}
	(void)shstrndx;
	if (symtab) {
		f->has_symtab = true;
		read_symtab(f, elf, symtab, &st_sh, NULL, &vs);
	}
	if (dynsym)
		read_symtab(f, elf, dynsym, &dyn_sh, versym, &vs);
	free_versions(&vs);
	if (f->nsyms)
		qsort(f->syms, f->nsyms, sizeof(*f->syms), cmp_sym);
}

static Elf *open_elf(const char *path, int *fd_out, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf;

	*fd_out = -1;
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		snprintf(err, errlen, "not an ELF file");
		if (elf)
			elf_end(elf);
		close(fd);
		return NULL;
	}
	*fd_out = fd;
	return elf;
}

static int read_headers(struct elf_file *f, Elf *elf, char *err, size_t errlen)
{
	GElf_Ehdr eh;
	size_t nph;

	if (!gelf_getehdr(elf, &eh)) {
		snprintf(err, errlen, "not an ELF file");
		return -EINVAL;
	}
	if (gelf_getclass(elf) != ELFCLASS64) {
		snprintf(err, errlen, "a 32-bit ELF file (only 64-bit programs can be traced)");
		return -EINVAL;
	}
	f->type = eh.e_type;
	f->machine = eh.e_machine;
	if (eh.e_machine != HOST_MACHINE) {
		snprintf(err, errlen, "an ELF file for %s", machine_name(eh.e_machine));
		return -EINVAL;
	}
	if (elf_getphdrnum(elf, &nph))
		nph = 0;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		f->segs = xrealloc(f->segs, (f->nsegs + 1) * sizeof(*f->segs));
		f->segs[f->nsegs++] = (struct elf_seg){ ph.p_vaddr, ph.p_memsz, ph.p_offset,
							ph.p_filesz, ph.p_flags & PF_X };
	}
	/* objcopy --only-keep-debug leaves segments without contents. */
	f->debug_only = f->nsegs > 1;
	for (size_t i = 1; i < f->nsegs; i++)
		if (f->segs[i].filesz)
			f->debug_only = false;
	return 0;
}

int elf_open(const char *path, struct elf_file *out, char *err, size_t errlen)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx = 0;
	GElf_Shdr sh;
	int fd, ret;
	Elf *elf;

	memset(out, 0, sizeof(*out));
	out->path = xstrdup(path);
	elf = open_elf(path, &fd, err, errlen);
	if (!elf) {
		elf_free(out);
		return -EINVAL;
	}
	ret = read_headers(out, elf, err, errlen);
	if (!ret) {
		elf_getshdrstrndx(elf, &shstrndx);
		while ((scn = elf_nextscn(elf, scn))) {
			const char *name;

			if (!gelf_getshdr(scn, &sh))
				continue;
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (sh.sh_type == SHT_NOTE && name && !strcmp(name, ".note.gnu.build-id"))
				read_build_id(out, scn);
			else if (name && !strcmp(name, ".gnu_debuglink"))
				read_debuglink(out, scn);
			else if (sh.sh_type == SHT_DYNAMIC)
				read_needed(out, elf, scn, &sh);
		}
		read_all_symbols(out, elf, shstrndx);
	}
	elf_end(elf);
	close(fd);
	if (ret)
		elf_free(out);
	return ret;
}

int elf_open_image(const void *image, size_t len, const char *name, struct elf_file *out)
{
	char err[64];
	size_t shstrndx = 0;
	Elf *elf;
	int ret;

	memset(out, 0, sizeof(*out));
	out->path = xstrdup(name);
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)image, len);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		return -EINVAL;
	}
	ret = read_headers(out, elf, err, sizeof(err));
	if (!ret) {
		elf_getshdrstrndx(elf, &shstrndx);
		read_all_symbols(out, elf, shstrndx);
	}
	elf_end(elf);
	return ret;
}

void elf_free(struct elf_file *f)
{
	for (size_t i = 0; i < f->nsyms; i++) {
		free((char *)f->syms[i].name);
		free((char *)f->syms[i].version);
	}
	for (size_t i = 0; i < f->nusdt; i++) {
		free(f->usdt[i].provider);
		free(f->usdt[i].name);
		free(f->usdt[i].args);
	}
	free(f->usdt);
	for (size_t i = 0; i < f->nneeded; i++)
		free(f->needed[i]);
	free(f->needed);
	free(f->syms);
	free(f->segs);
	free(f->path);
	free(f->debuglink);
	free(f->debug_path);
	memset(f, 0, sizeof(*f));
}

const char *elf_build_id_hex(const struct elf_file *f, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < f->build_id_len && n + 3 <= len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%02x", f->build_id[i]);
	return buf;
}

/* --- separate debug files ------------------------------------------------- */

/* Move @from's symbols into @f. */
static void take_symbols(struct elf_file *f, struct elf_file *from)
{
	if (!from->nsyms)
		return;
	f->syms = grow_array(f->syms, &f->syms_cap, f->nsyms + from->nsyms, sizeof(*f->syms));
	memcpy(f->syms + f->nsyms, from->syms, from->nsyms * sizeof(*from->syms));
	f->nsyms += from->nsyms;
	from->nsyms = 0;
	qsort(f->syms, f->nsyms, sizeof(*f->syms), cmp_sym);
}

int elf_add_symbols_from(struct elf_file *f, const char *path)
{
	struct elf_file dbg;
	char err[128];
	int ret = elf_open(path, &dbg, err, sizeof(err));

	if (ret) {
		elf_free(&dbg);
		return ret;
	}
	/* A debug file for another build would give wrong names. */
	if (f->build_id_len && dbg.build_id_len &&
	    (f->build_id_len != dbg.build_id_len ||
	     memcmp(f->build_id, dbg.build_id, f->build_id_len))) {
		elf_free(&dbg);
		return -ESTALE;
	}
	take_symbols(f, &dbg);
	free(f->debug_path);
	f->debug_path = xstrdup(path);
	f->has_symtab = f->has_symtab || dbg.has_symtab;
	elf_free(&dbg);
	return 0;
}

/* --- MiniDebugInfo ------------------------------------------------------------ */

/* An xz stream into a malloc'ed buffer of at most MINIDEBUG_MAX bytes, or NULL. */
static char *unxz(const void *in, size_t len, size_t *out_len)
{
	lzma_stream st = LZMA_STREAM_INIT;
	size_t cap = 0;
	char *out = NULL;
	lzma_ret r;

	if (lzma_stream_decoder(&st, MINIDEBUG_MAX, 0) != LZMA_OK)
		return NULL;
	st.next_in = in;
	st.avail_in = len;
	do {
		if (!st.avail_out) {
			size_t used = (size_t)st.total_out;

			if (cap >= MINIDEBUG_MAX)
				break;
			cap = cap ? cap * 2 : len * 4 + 4096;
			if (cap > MINIDEBUG_MAX)
				cap = MINIDEBUG_MAX;
			out = xrealloc(out, cap);
			st.next_out = (uint8_t *)out + used;
			st.avail_out = cap - used;
		}
		r = lzma_code(&st, LZMA_FINISH);
	} while (r == LZMA_OK);
	*out_len = (size_t)st.total_out;
	lzma_end(&st);
	if (r != LZMA_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * MiniDebugInfo (Fedora and others): an xz-compressed ELF in .gnu_debugdata
 * whose .symtab has the functions .dynsym leaves out.
 */
static bool add_minidebuginfo(struct elf_file *f)
{
	Elf_Scn *scn = NULL;
	Elf_Data *d = NULL;
	struct elf_file mini = { 0 };
	size_t shstrndx = 0, len = 0;
	char err[64], *buf = NULL;
	int fd;
	Elf *elf = open_elf(f->path, &fd, err, sizeof(err)), *inner;

	if (!elf)
		return false;
	elf_getshdrstrndx(elf, &shstrndx);
	while (!d && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_PROGBITS &&
		    (name = elf_strptr(elf, shstrndx, sh.sh_name)) && !strcmp(name, ".gnu_debugdata"))
			d = elf_rawdata(scn, NULL);
	}
	if (d && d->d_buf && d->d_size)
		buf = unxz(d->d_buf, d->d_size, &len);
	elf_end(elf);
	close(fd);
	if (!buf)
		return false;
	inner = elf_memory(buf, len);
	if (inner && elf_kind(inner) == ELF_K_ELF && gelf_getclass(inner) == ELFCLASS64) {
		shstrndx = 0;
		elf_getshdrstrndx(inner, &shstrndx);
		read_all_symbols(&mini, inner, shstrndx);
	}
	if (inner)
		elf_end(inner);
	free(buf);
	if (!mini.nsyms)
		return false;
	take_symbols(f, &mini);
	elf_free(&mini);
	free(f->debug_path);
	f->debug_path = xasprintf("%s (.gnu_debugdata)", f->path);
	f->has_symtab = true;
	return true;
}

static bool try_debug(struct elf_file *f, char *path)
{
	bool ok = access(path, R_OK) == 0 && elf_add_symbols_from(f, path) == 0;

	free(path);
	return ok;
}

bool elf_add_debug_symbols(struct elf_file *f)
{
	char hex[2 * ELF_BUILD_ID_MAX + 1], *dir, *slash;
	bool ok = false;

	if (f->has_symtab)
		return false;
	if (f->build_id_len > 1) {
		elf_build_id_hex(f, hex, sizeof(hex));
		if (try_debug(f, xasprintf(DEBUG_DIR "/.build-id/%.2s/%s.debug", hex, hex + 2)))
			return true;
	}
	if (!f->debuglink)
		return add_minidebuginfo(f);
	dir = xstrdup(f->path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	ok = try_debug(f, xasprintf("%s/%s", dir, f->debuglink)) ||
	     try_debug(f, xasprintf("%s/.debug/%s", dir, f->debuglink)) ||
	     try_debug(f, xasprintf(DEBUG_DIR "%s/%s", dir, f->debuglink));
	free(dir);
	return ok || add_minidebuginfo(f);
}

/* --- USDT notes ------------------------------------------------------------- */

/* The three strings after the three addresses of an stapsdt note. */
static bool note_strings(const char *p, size_t len, const char **s)
{
	for (int i = 0; i < 3; i++) {
		const char *end = memchr(p, '\0', len);

		if (!end)
			return false;
		s[i] = p;
		len -= (size_t)(end - p) + 1;
		p = end + 1;
	}
	return true;
}

static void add_usdt(struct elf_file *f, const char *desc, size_t len, uint64_t base_sec,
		     bool has_base)
{
	uint64_t pc, base, sema;
	const char *s[3];
	struct elf_usdt *u;

	if (len < 24 || !note_strings(desc + 24, len - 24, s))
		return;
	memcpy(&pc, desc, 8);
	memcpy(&base, desc + 8, 8);
	memcpy(&sema, desc + 16, 8);
	/* Prelinking moves the code: .stapsdt.base says by how much. */
	if (has_base && base)
		pc += base_sec - base;
	f->usdt = xrealloc(f->usdt, (f->nusdt + 1) * sizeof(*f->usdt));
	u = &f->usdt[f->nusdt++];
	u->provider = xstrdup(s[0]);
	u->name = xstrdup(s[1]);
	u->args = xstrdup(s[2]);
	u->pc = pc;
	u->sema = sema;
}

int elf_read_usdt(struct elf_file *f, const char *path)
{
	Elf_Scn *scn = NULL, *notes = NULL;
	uint64_t base_sec = 0;
	bool has_base = false;
	size_t shstrndx = 0, off = 0, name_off, desc_off;
	GElf_Shdr sh;
	GElf_Nhdr nh;
	Elf_Data *d;
	char err[64];
	int fd;
	Elf *elf = open_elf(path, &fd, err, sizeof(err));

	if (!elf)
		return -EINVAL;
	elf_getshdrstrndx(elf, &shstrndx);
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (!strcmp(name, ".note.stapsdt"))
			notes = scn;
		else if (!strcmp(name, ".stapsdt.base")) {
			base_sec = sh.sh_addr;
			has_base = true;
		}
	}
	d = notes ? elf_getdata(notes, NULL) : NULL;
	while (d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0)
		if (nh.n_type == NT_STAPSDT && nh.n_namesz == 8 &&
		    !memcmp((char *)d->d_buf + name_off, "stapsdt", 8))
			add_usdt(f, (char *)d->d_buf + desc_off, nh.n_descsz, base_sec, has_base);
	elf_end(elf);
	close(fd);
	return 0;
}

/* --- lookups ------------------------------------------------------------------ */

size_t elf_find(const struct elf_file *f, const char *name, const struct elf_sym **out,
		size_t max)
{
	const char *at = strchr(name, '@'), *ver = NULL;
	size_t len = at ? (size_t)(at - name) : strlen(name), n = 0;
	bool want_default = false, any_default = false;
	uint64_t last = 0;

	if (at) {
		want_default = at[1] == '@';
		ver = at + 1 + want_default;
	}
	/* Without a version, the default one wins (memcpy@@GLIBC_2.14, not @GLIBC_2.2.5). */
	for (size_t i = 0; !ver && i < f->nsyms; i++)
		if (!strncmp(f->syms[i].name, name, len) && !f->syms[i].name[len] &&
		    f->syms[i].version && f->syms[i].default_ver)
			any_default = true;
	for (size_t i = 0; i < f->nsyms; i++) {
		const struct elf_sym *s = &f->syms[i];

		if (strncmp(s->name, name, len) || s->name[len])
			continue;
		if (ver && (!s->version || strcmp(s->version, ver) ||
			    (want_default && !s->default_ver)))
			continue;
		if (!ver && any_default && s->version && !s->default_ver)
			continue;
		/* One address is one function, however many names it has. */
		if (n && last == s->addr)
			continue;
		last = s->addr;
		if (n < max)
			out[n] = s;
		n++;
	}
	return n;
}

const struct elf_sym *elf_sym_at(const struct elf_file *f, uint64_t addr)
{
	size_t lo = 0, hi = f->nsyms;
	const struct elf_sym *s;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	/* The best name of the symbols at that address comes first. */
	s = &f->syms[lo - 1];
	while (s > f->syms && s[-1].addr == s->addr)
		s--;
	if (s->size && addr >= s->addr + s->size)
		return NULL;
	return s;
}

int elf_vaddr_to_offset(const struct elf_file *f, uint64_t addr, uint64_t *off)
{
	for (size_t i = 0; i < f->nsegs; i++) {
		const struct elf_seg *s = &f->segs[i];

		if (addr >= s->vaddr && addr < s->vaddr + s->filesz) {
			*off = addr - s->vaddr + s->offset;
			return 0;
		}
	}
	return -ERANGE;
}

int elf_offset_to_vaddr(const struct elf_file *f, uint64_t off, uint64_t *addr)
{
	uint64_t base = f->nsegs ? f->segs[0].vaddr : 0;

	for (size_t i = 0; i < f->nsegs; i++) {
		const struct elf_seg *s = &f->segs[i];

		if (off >= s->offset && off < s->offset + s->filesz) {
			*addr = off - s->offset + s->vaddr;
			return 0;
		}
	}
	/*
	 * A debug file kept the addresses but not the offsets. The usual
	 * layout (and GNU ld's) puts every segment at the same distance from
	 * its offset as the first one.
	 */
	for (size_t i = 0; f->debug_only && i < f->nsegs; i++) {
		const struct elf_seg *s = &f->segs[i];

		if (off + base >= s->vaddr && off + base < s->vaddr + s->memsz) {
			*addr = off + base;
			return 0;
		}
	}
	return -ERANGE;
}

int elf_symbol_addr(const char *path, const char *name, uint64_t *addr)
{
	Elf_Scn *scn = NULL;
	char err[64];
	int fd, ret = -ENOENT;
	Elf *elf = open_elf(path, &fd, err, sizeof(err));

	if (!elf)
		return -ENOENT;
	while (ret && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 1; i < d->d_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *n;

			if (!gelf_getsym(d, (int)i, &s))
				break;
			n = elf_strptr(elf, sh.sh_link, s.st_name);
			if (n && s.st_shndx != SHN_UNDEF && !strcmp(n, name)) {
				*addr = s.st_value;
				ret = 0;
				break;
			}
		}
	}
	elf_end(elf);
	close(fd);
	return ret;
}

#if defined(__x86_64__)
#define R_SLOT(t) ((t) == R_X86_64_JUMP_SLOT || (t) == R_X86_64_GLOB_DAT || (t) == R_X86_64_64)
#define R_IRELATIVE R_X86_64_IRELATIVE
#elif defined(__aarch64__)
#define R_SLOT(t) ((t) == R_AARCH64_JUMP_SLOT || (t) == R_AARCH64_GLOB_DAT || (t) == R_AARCH64_ABS64)
#define R_IRELATIVE R_AARCH64_IRELATIVE
#endif

/* The slots one SHT_RELA section fills with @name's address (or @resolver's result). */
static size_t rela_slots(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, const char *name,
			 uint64_t resolver, uint64_t *slots, size_t n, size_t max)
{
	Elf_Scn *symscn = elf_getscn(elf, sh->sh_link);
	Elf_Data *d = elf_getdata(scn, NULL), *syms = symscn ? elf_getdata(symscn, NULL) : NULL;
	GElf_Shdr symsh;

	if (!d || !sh->sh_entsize || !symscn || !gelf_getshdr(symscn, &symsh))
		return n;
	for (size_t i = 0; i < d->d_size / sh->sh_entsize && n < max; i++) {
		GElf_Rela r;
		GElf_Sym s;
		const char *sname;
		uint64_t type;

		if (!gelf_getrela(d, (int)i, &r))
			break;
		type = GELF_R_TYPE(r.r_info);
		if (type == R_IRELATIVE && resolver && (uint64_t)r.r_addend == resolver) {
			slots[n++] = r.r_offset;
			continue;
		}
		if (!R_SLOT(type) || !GELF_R_SYM(r.r_info) || !syms ||
		    !gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &s))
			continue;
		sname = elf_strptr(elf, symsh.sh_link, s.st_name);
		if (sname && !strcmp(sname, name))
			slots[n++] = r.r_offset;
	}
	return n;
}

size_t elf_reloc_slots(const char *path, const char *name, uint64_t resolver, uint64_t *slots,
		       size_t max)
{
	Elf_Scn *scn = NULL;
	char err[64];
	size_t n = 0;
	int fd;
	Elf *elf = open_elf(path, &fd, err, sizeof(err));

	if (!elf)
		return 0;
	while (n < max && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_RELA)
			n = rela_slots(elf, scn, &sh, name, resolver, slots, n, max);
	}
	elf_end(elf);
	close(fd);
	return n;
}
