/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The session's BPF maps, in one place. The compiler asks for a map by its
 * role (ring buffer, lost counters, stop flag, scratch) and writes the role
 * into the program's ld_imm64 instruction; maps are created once every
 * probe has been compiled, and the roles are replaced by file descriptors
 * just before a program is loaded. So programs can be compiled and shown
 * (--dry-run) without creating anything, and every map has a name that
 * bpftool shows.
 */
#ifndef __ETRACE_MAPS_H
#define __ETRACE_MAPS_H

#include <stddef.h>
#include <linux/bpf.h>

#include "session.h"

/* Bytes of one probe's slice of the per-CPU scratch map. */
#define MAPS_SCRATCH_SIZE 4096

/*
 * $latency and $entry(): calls in flight per (thread, return probe) are
 * a stack of MAPS_ENTRY_DEPTH slots (the entry time, then the $entry()
 * operands, 8 bytes each) after a 4-byte depth and 4 bytes of padding;
 * at most MAPS_ENTRY_MAX (thread, probe) pairs are in calls at once.
 */
#define MAPS_ENTRY_DEPTH 16
#define MAPS_ENTRY_MAX 10240

/* Bytes of one slot of return probe @p, and of a value of the entry map. */
int maps_entry_slot_size(const struct probe *p);
int maps_entry_value_size(const struct session *s);

/* Describe every role (called by session_init); nothing is created. */
void maps_init(struct session *s);

/* A program of this session uses the map of @role. */
void maps_use(struct session *s, enum map_role role);

/* Create every map in use that does not exist yet; message on failure. */
int maps_create(struct session *s);

/* The map's fd, -1 if not created. */
int maps_fd(const struct session *s, enum map_role role);

/* The name of @role's map ("etrace_events"), or NULL if @role is not one. */
const char *maps_name(const struct session *s, int role);

/* Replace the roles in @insns' map references by the maps' fds. */
int maps_patch(const struct session *s, struct bpf_insn *insns, size_t cnt);

/* Close every map. */
void maps_close(struct session *s);

#endif /* __ETRACE_MAPS_H */
