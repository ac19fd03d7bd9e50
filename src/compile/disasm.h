/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Disassembler for struct bpf_insn, in the style of the kernel verifier's
 * log ("0: (bf) r6 = r1"), used by -v and by unit tests.
 */
#ifndef __ETRACE_DISASM_H
#define __ETRACE_DISASM_H

#include <stddef.h>
#include <stdio.h>
#include <linux/bpf.h>

/* Name of a helper (enum bpf_func_id), e.g. "ringbuf_reserve"; NULL if unknown. */
const char *disasm_helper_name(int func);

/*
 * Format one instruction into @buf (no newline). Returns the number of
 * instruction slots it occupies (2 for ld_imm64, else 1). @remaining is the
 * number of slots from @insn to the end of the program: an ld_imm64 whose
 * second half is missing is shown as truncated and counts as 1.
 */
int disasm_insn(const struct bpf_insn *insn, size_t remaining, char *buf, size_t len);

/*
 * Print a whole program, one "NNN: (op) text" line per instruction. With
 * @map_name, a map reference whose number it names is shown by that name
 * ("map[etrace_events]") instead of the number.
 */
void disasm_print(const struct bpf_insn *insns, size_t cnt, FILE *out, const char *indent,
		  const char *(*map_name)(int num, void *arg), void *arg);

#endif /* __ETRACE_DISASM_H */
