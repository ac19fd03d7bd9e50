/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Turns one resolved probe into a BPF program: filters, predicate, the
 * record written to the ring buffer, and the lost-event accounting.
 */
#ifndef __ETRACE_CODEGEN_H
#define __ETRACE_CODEGEN_H

#include <stddef.h>
#include <linux/bpf.h>

#include "session.h"

/*
 * Compile @p. On success *@insns (malloc'ed) and *@cnt hold the program and
 * p->slots/values_size describe the record. Returns 0 or ERR_USAGE /
 * ERR_RUNTIME with the message printed. With @listing, the IR is printed
 * there before register allocation.
 */
int codegen_probe(struct session *s, struct probe *p, struct bpf_insn **insns,
		  size_t *cnt, FILE *listing);

/*
 * Decide @p's record layout and, when counting, its aggregation key (and
 * the map's key size, the largest of all probes'): called for every probe
 * before the first is compiled. Returns 0 or ERR_USAGE (message printed).
 */
int codegen_layout(struct session *s, struct probe *p);

/* Bytes reserved in the ring buffer for one record of @p. */
int codegen_record_size(const struct session *s, const struct probe *p);

#endif /* __ETRACE_CODEGEN_H */
