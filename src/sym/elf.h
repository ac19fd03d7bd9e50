/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What etrace reads from ELF files (with libelf): the loadable segments
 * (virtual address <-> file offset), function symbols from .symtab and
 * .dynsym with their versions, the build-id and .gnu_debuglink, the
 * separate debug file they point to, and USDT notes (.note.stapsdt).
 * Files are untrusted input: every offset and size is checked.
 */
#ifndef __ETRACE_ELF_H
#define __ETRACE_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_BUILD_ID_MAX 20

struct elf_seg {
	uint64_t vaddr, memsz;
	uint64_t offset, filesz;
	bool exec;
};

/* A function symbol. */
struct elf_sym {
	const char *name;	/* without the version */
	const char *version;	/* "GLIBC_2.34" or NULL */
	bool default_ver;	/* name@@VER (or unversioned) */
	uint64_t addr;		/* st_value */
	uint64_t size;
	bool ifunc;		/* STT_GNU_IFUNC: a resolver, not the function */
	bool weak;
	bool local;		/* STB_LOCAL: a name only the file itself knows */
	bool from_symtab;	/* .symtab (full) rather than .dynsym (exported) */
};

/* One USDT probe location (a .note.stapsdt entry). */
struct elf_usdt {
	char *provider;
	char *name;
	uint64_t pc;		/* address of the probe (relocated by .stapsdt.base) */
	uint64_t sema;		/* address of its semaphore, 0 if none */
	char *args;		/* "-4@%edi 8@-16(%rbp)" */
};

struct elf_file {
	char *path;
	uint16_t type;		/* ET_EXEC, ET_DYN */
	uint16_t machine;	/* EM_X86_64, ... */
	struct elf_seg *segs;
	size_t nsegs;
	struct elf_sym *syms;	/* sorted by address, duplicates at one address kept */
	size_t nsyms, syms_cap;
	bool has_symtab;	/* a .symtab was there (not stripped) */
	unsigned char build_id[ELF_BUILD_ID_MAX];
	size_t build_id_len;
	char *debuglink;	/* .gnu_debuglink file name, NULL if none */
	struct elf_usdt *usdt;
	size_t nusdt;
	char *debug_path;	/* the separate debug file whose symbols were added */
	bool debug_only;	/* a separate debug file: its segments have no contents */
	char **needed;		/* DT_NEEDED: the libraries it links with */
	size_t nneeded;
};

/*
 * Open @path and read its segments, build-id, debuglink and symbols. Only
 * 64-bit files of this architecture are accepted; @err says why not.
 * 0 or -errno; on failure @out holds nothing (elf_free() is harmless).
 */
int elf_open(const char *path, struct elf_file *out, char *err, size_t errlen);
void elf_free(struct elf_file *f);

/* The same for an ELF image in memory (the vDSO); @name is what messages call it. */
int elf_open_image(const void *image, size_t len, const char *name, struct elf_file *out);

/*
 * When @f has no .symtab: find its separate debug file (by build-id under
 * /usr/lib/debug/.build-id, then by .gnu_debuglink next to it, in .debug/
 * and under /usr/lib/debug) and add its symbols. Returns true if one was used.
 */
bool elf_add_debug_symbols(struct elf_file *f);

/* Add the symbols of ELF file @path (an -s file or a debug file) to @f. */
int elf_add_symbols_from(struct elf_file *f, const char *path);

/* Read the USDT notes into f->usdt. 0 or -errno. */
int elf_read_usdt(struct elf_file *f, const char *path);

/*
 * The symbols named @name ("malloc", "pthread_create@GLIBC_2.34",
 * "readline@@..."), at most @max of them into @out, one per address
 * (aliases and duplicate entries of .symtab and .dynsym count once).
 * Returns how many addresses match.
 */
size_t elf_find(const struct elf_file *f, const char *name, const struct elf_sym **out,
		size_t max);

/*
 * The address of symbol @name of any kind (a variable a USDT argument
 * names), read from @path's symbol tables. 0 or -ENOENT.
 */
int elf_symbol_addr(const char *path, const char *name, uint64_t *addr);

/*
 * Where the dynamic linker stores the address of function @name in the file
 * at @path: the virtual addresses of its GOT slots (JUMP_SLOT, GLOB_DAT and
 * absolute relocations against @name, and IRELATIVE ones whose resolver is
 * at @resolver, 0: none). At most @max into @slots; returns how many.
 */
size_t elf_reloc_slots(const char *path, const char *name, uint64_t resolver, uint64_t *slots,
		       size_t max);

/* The function containing @addr (or the nearest one below it), or NULL. */
const struct elf_sym *elf_sym_at(const struct elf_file *f, uint64_t addr);

/* The file offset of virtual address @addr, or -ERANGE when no segment maps it. */
int elf_vaddr_to_offset(const struct elf_file *f, uint64_t addr, uint64_t *off);
/* ... and the other way round. */
int elf_offset_to_vaddr(const struct elf_file *f, uint64_t off, uint64_t *addr);

/* "ab12..." of the build-id into @buf (empty when none). */
const char *elf_build_id_hex(const struct elf_file *f, char *buf, size_t len);

#endif /* __ETRACE_ELF_H */
