/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * User-space symbols: "sym+0xoff [module]" (or the symbol, offset and
 * module apart) for an address in a process, or for a file offset in the
 * file with a given build-id (stacks taken with
 * BPF_F_USER_BUILD_ID name the file that way, so frames of a process that
 * has exited still resolve).
 *
 * A process's mappings are read when it is first seen and read again when
 * an address falls outside them (dlopen). Files are read once and cached,
 * by device and inode and by build-id: through /proc/PID/map_files when
 * the file was deleted or replaced, through /proc/PID/root when the
 * process lives in another mount namespace (a container). Stripped files
 * get their symbols from a debug file (build-id, .gnu_debuglink) or from
 * an -s file with the same build-id. JIT code is named by the process's
 * perf map file (/tmp/perf-PID.map, inside the container too), and the
 * vDSO by the kernel's own image.
 */
#ifndef __ETRACE_USYM_H
#define __ETRACE_USYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct usyms;

/* @symfiles: the -s files (not copied: they must outlive the usyms). */
struct usyms *usyms_new(char *const *symfiles, size_t nsymfiles);
void usyms_free(struct usyms *u);

/* Know @path already (a probed binary): its frames resolve even after its process is gone. */
void usyms_add_file(struct usyms *u, const char *path);

/* Read @pid's mappings now if they were never read (its first event). */
void usyms_note_pid(struct usyms *u, pid_t pid);

/*
 * @path is loaded in @pid with file offset 0 at @base (a probe fired there).
 * Used only when @pid's maps could not be read: it exited first.
 */
void usyms_place_file(struct usyms *u, pid_t pid, const char *path, uint64_t base);

/*
 * An address named: the symbol it is in and the offset into it, and the
 * module (the file's name, "vdso", "perf-map" for JIT code, "build-id
 * 0123456789ab" for a file known only by a debug file). @sym NULL: no
 * symbol is known; @module NULL too: nothing knows the address. The
 * strings belong to the usyms and stay valid until its next call.
 */
struct usym_info {
	const char *sym;
	uint64_t offset;
	const char *module;
};

/* Address @addr of process @pid, named. */
void usyms_lookup_addr(struct usyms *u, pid_t pid, uint64_t addr, struct usym_info *out);

/*
 * A stack frame the kernel also gave as offset @off of the file with
 * build-id @id (@idlen bytes): a file already read with that build-id,
 * else the process's mappings, else the debug file or -s file with that
 * build-id. So frames of processes that have exited resolve.
 */
void usyms_lookup_frame(struct usyms *u, pid_t pid, uint64_t addr, const unsigned char *id,
			size_t idlen, uint64_t off, struct usym_info *out);

/*
 * Format address @addr of process @pid as BCC does: "sym+0xoff [module]"
 * (@module), "sym+0xoff", or "[unknown]". Returns the length.
 */
int usyms_format_addr(struct usyms *u, pid_t pid, uint64_t addr, bool module,
		      char *buf, size_t len);

/* The same for a stack frame, as usyms_lookup_frame() finds it. */
int usyms_format_frame(struct usyms *u, pid_t pid, uint64_t addr, const unsigned char *id,
		       size_t idlen, uint64_t off, char *buf, size_t len);

#endif /* __ETRACE_USYM_H */
