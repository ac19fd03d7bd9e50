// SPDX-License-Identifier: BSD-2-Clause
/* Disassembler: one golden line per instruction class and form. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compile/disasm.h"
#include "unit.h"

static struct bpf_insn mk(int code, int dst, int src, int off, int imm)
{
	struct bpf_insn insn = {
		.code = (uint8_t)code, .dst_reg = dst, .src_reg = src,
		.off = (int16_t)off, .imm = imm,
	};

	return insn;
}

/* Disassembles one single-slot instruction into a static buffer. */
static const char *dis(int code, int dst, int src, int off, int imm)
{
	static char buf[128];
	struct bpf_insn insn = mk(code, dst, src, off, imm);

	if (disasm_insn(&insn, 1, buf, sizeof(buf)) != 1)
		return "(wrong slot count)";
	return buf;
}

UNIT_TEST(disasm_alu64)
{
	CHECK_EQ_STR(dis(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),
		     "(bf) r6 = r1");
	CHECK_EQ_STR(dis(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
		     "(b7) r0 = 0");
	CHECK_EQ_STR(dis(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, -1),
		     "(b7) r2 = -1");
	CHECK_EQ_STR(dis(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, -8),
		     "(07) r1 += -8");
	CHECK_EQ_STR(dis(BPF_ALU64 | BPF_SUB | BPF_X, 3, 4, 0, 0),
		     "(1f) r3 -= r4");
	CHECK_EQ_STR(dis(BPF_ALU64 | BPF_MUL | BPF_K, 3, 0, 0, 31),
		     "(27) r3 *= 31");
	CHECK_EQ_STR(dis(BPF_ALU64 | BPF_DIV | BPF_X, 3, 4, 0, 0),
		     "(3f) r3 /= r4");
	CHECK_EQ_STR(dis(BPF_ALU64 | BPF_MOD | BPF_K, 3, 0, 0, 10),
		     "(97) r3 %= 10");
	CHECK_EQ_STR(dis(BPF_ALU64 | BPF_OR | BPF_X, 1, 2, 0, 0),
		     "(4f) r1 |= r2");
	CHECK_EQ_STR(dis(BPF_ALU64 | BPF_AND | BPF_K, 1, 0, 0, 255),
		     "(57) r1 &= 255");
	CHECK_EQ_STR(dis(BPF_ALU64 | BPF_XOR | BPF_X, 1, 2, 0, 0),
		     "(af) r1 ^= r2");
	CHECK_EQ_STR(dis(BPF_ALU64 | BPF_LSH | BPF_K, 1, 0, 0, 32),
		     "(67) r1 <<= 32");
	CHECK_EQ_STR(dis(BPF_ALU64 | BPF_RSH | BPF_K, 1, 0, 0, 32),
		     "(77) r1 >>= 32");
	CHECK_EQ_STR(dis(BPF_ALU64 | BPF_ARSH | BPF_K, 1, 0, 0, 3),
		     "(c7) r1 s>>= 3");
	CHECK_EQ_STR(dis(BPF_ALU64 | BPF_NEG, 1, 0, 0, 0), "(87) r1 = -r1");
	/* cpu v4 forms */
	CHECK_EQ_STR(dis(BPF_ALU64 | BPF_MOV | BPF_X, 1, 2, 8, 0),
		     "(bf) r1 = (s8)r2");
	CHECK_EQ_STR(dis(BPF_ALU64 | BPF_DIV | BPF_X, 1, 2, 1, 0),
		     "(3f) r1 s/= r2");
	CHECK_EQ_STR(dis(BPF_ALU64 | BPF_END, 1, 0, 0, 16),
		     "(d7) r1 = bswap16 r1");
}

UNIT_TEST(disasm_alu32)
{
	CHECK_EQ_STR(dis(BPF_ALU | BPF_ADD | BPF_X, 1, 2, 0, 0),
		     "(0c) w1 += w2");
	CHECK_EQ_STR(dis(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, 1),
		     "(b4) w0 = 1");
	CHECK_EQ_STR(dis(BPF_ALU | BPF_MOV | BPF_X, 3, 3, 0, 0),
		     "(bc) w3 = w3");
	CHECK_EQ_STR(dis(BPF_ALU | BPF_NEG, 1, 0, 0, 0), "(84) w1 = -w1");
	CHECK_EQ_STR(dis(BPF_ALU | BPF_END | BPF_TO_BE, 1, 0, 0, 16),
		     "(dc) r1 = be16 r1");
	CHECK_EQ_STR(dis(BPF_ALU | BPF_END | BPF_TO_LE, 1, 0, 0, 32),
		     "(d4) r1 = le32 r1");
}

UNIT_TEST(disasm_memory)
{
	CHECK_EQ_STR(dis(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 8, 0),
		     "(61) r2 = *(u32 *)(r1 +8)");
	CHECK_EQ_STR(dis(BPF_LDX | BPF_MEM | BPF_DW, 0, 10, -16, 0),
		     "(79) r0 = *(u64 *)(r10 -16)");
	CHECK_EQ_STR(dis(BPF_LDX | BPF_MEM | BPF_B, 3, 7, 0, 0),
		     "(71) r3 = *(u8 *)(r7 +0)");
	CHECK_EQ_STR(dis(BPF_LDX | BPF_MEM | BPF_H, 3, 7, 2, 0),
		     "(69) r3 = *(u16 *)(r7 +2)");
	CHECK_EQ_STR(dis(BPF_STX | BPF_MEM | BPF_DW, 10, 6, -8, 0),
		     "(7b) *(u64 *)(r10 -8) = r6");
	CHECK_EQ_STR(dis(BPF_STX | BPF_MEM | BPF_B, 8, 1, 20, 0),
		     "(73) *(u8 *)(r8 +20) = r1");
	CHECK_EQ_STR(dis(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -16, 7),
		     "(7a) *(u64 *)(r10 -16) = 7");
	CHECK_EQ_STR(dis(BPF_ST | BPF_MEM | BPF_W, 1, 0, 0, -1),
		     "(62) *(u32 *)(r1 +0) = -1");
	CHECK_EQ_STR(dis(BPF_STX | BPF_ATOMIC | BPF_DW, 1, 2, 0, BPF_ADD),
		     "(db) lock *(u64 *)(r1 +0) += r2");
	CHECK_EQ_STR(dis(BPF_STX | BPF_ATOMIC | BPF_W, 1, 2, 4, BPF_ADD),
		     "(c3) lock *(u32 *)(r1 +4) += r2");
	CHECK_EQ_STR(dis(BPF_STX | BPF_ATOMIC | BPF_DW, 1, 2, 0,
			 BPF_ADD | BPF_FETCH),
		     "(db) r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)");
	CHECK_EQ_STR(dis(BPF_STX | BPF_ATOMIC | BPF_DW, 1, 2, 8, BPF_XCHG),
		     "(db) r2 = atomic64_xchg((u64 *)(r1 +8), r2)");
	CHECK_EQ_STR(dis(BPF_STX | BPF_ATOMIC | BPF_W, 1, 2, 0, BPF_CMPXCHG),
		     "(c3) r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r2)");
	CHECK_EQ_STR(dis(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 12),
		     "(20) r0 = *(u32 *)skb[12]");
}

UNIT_TEST(disasm_ld_imm64)
{
	struct bpf_insn p[2];
	char buf[128];

	p[0] = mk(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, 5);
	p[1] = mk(0, 0, 0, 0, 0);
	CHECK_EQ_INT(disasm_insn(p, 2, buf, sizeof(buf)), 2);
	CHECK_EQ_STR(buf, "(18) r1 = map[fd:5]");

	p[0] = mk(BPF_LD | BPF_DW | BPF_IMM, 3, 0, 0, (int32_t)0x9abcdef0);
	p[1] = mk(0, 0, 0, 0, 0x12345678);
	CHECK_EQ_INT(disasm_insn(p, 2, buf, sizeof(buf)), 2);
	CHECK_EQ_STR(buf, "(18) r3 = 0x123456789abcdef0");

	p[0] = mk(BPF_LD | BPF_DW | BPF_IMM, 2, BPF_PSEUDO_MAP_VALUE, 0, 4);
	p[1] = mk(0, 0, 0, 0, 16);
	disasm_insn(p, 2, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "(18) r2 = map[fd:4][0]+16");

	/* The second slot is missing: never read past the end. */
	CHECK_EQ_INT(disasm_insn(p, 1, buf, sizeof(buf)), 1);
	CHECK_EQ_STR(buf, "(18) r2 = <truncated ld_imm64>");
}

UNIT_TEST(disasm_jumps)
{
	CHECK_EQ_STR(dis(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3, 0),
		     "(15) if r0 == 0x0 goto pc+3");
	CHECK_EQ_STR(dis(BPF_JMP | BPF_JA, 0, 0, -5, 0), "(05) goto pc-5");
	CHECK_EQ_STR(dis(BPF_JMP | BPF_JGT | BPF_X, 1, 2, 1, 0),
		     "(2d) if r1 > r2 goto pc+1");
	CHECK_EQ_STR(dis(BPF_JMP | BPF_JNE | BPF_K, 7, 0, 4, 1234),
		     "(55) if r7 != 0x4d2 goto pc+4");
	CHECK_EQ_STR(dis(BPF_JMP | BPF_JLT | BPF_K, 1, 0, 1, 10),
		     "(a5) if r1 < 0xa goto pc+1");
	CHECK_EQ_STR(dis(BPF_JMP | BPF_JSLT | BPF_K, 1, 0, 1, -1),
		     "(c5) if r1 s< 0xffffffff goto pc+1");
	CHECK_EQ_STR(dis(BPF_JMP | BPF_JSGE | BPF_X, 1, 6, -2, 0),
		     "(7d) if r1 s>= r6 goto pc-2");
	CHECK_EQ_STR(dis(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 1, 4),
		     "(45) if r1 & 0x4 goto pc+1");
	CHECK_EQ_STR(dis(BPF_JMP32 | BPF_JEQ | BPF_K, 1, 0, 2, 0),
		     "(16) if w1 == 0x0 goto pc+2");
	CHECK_EQ_STR(dis(BPF_JMP32 | BPF_JLE | BPF_X, 1, 2, 2, 0),
		     "(be) if w1 <= w2 goto pc+2");
	CHECK_EQ_STR(dis(BPF_JMP | BPF_EXIT, 0, 0, 0, 0), "(95) exit");
}

UNIT_TEST(disasm_calls)
{
	CHECK_EQ_STR(dis(BPF_JMP | BPF_CALL, 0, 0, 0,
			 BPF_FUNC_get_current_pid_tgid),
		     "(85) call bpf_get_current_pid_tgid#14");
	CHECK_EQ_STR(dis(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_reserve),
		     "(85) call bpf_ringbuf_reserve#131");
	CHECK_EQ_STR(dis(BPF_JMP | BPF_CALL, 0, 0, 0, 99999),
		     "(85) call unknown#99999");
	CHECK_EQ_STR(dis(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 5),
		     "(85) call pc+5");
}

UNIT_TEST(disasm_helper_names)
{
	int missing = 0;

	CHECK_EQ_STR(disasm_helper_name(BPF_FUNC_ringbuf_reserve),
		     "ringbuf_reserve");
	CHECK_EQ_STR(disasm_helper_name(BPF_FUNC_map_lookup_elem),
		     "map_lookup_elem");
	CHECK_EQ_STR(disasm_helper_name(BPF_FUNC_get_stack), "get_stack");
	CHECK_EQ_STR(disasm_helper_name(BPF_FUNC_probe_read_user),
		     "probe_read_user");
	CHECK_EQ_STR(disasm_helper_name(BPF_FUNC_probe_read_user_str),
		     "probe_read_user_str");
	CHECK_EQ_STR(disasm_helper_name(BPF_FUNC_probe_read_kernel),
		     "probe_read_kernel");
	CHECK_EQ_STR(disasm_helper_name(BPF_FUNC_probe_read_kernel_str),
		     "probe_read_kernel_str");
	CHECK_EQ_STR(disasm_helper_name(BPF_FUNC_get_current_task),
		     "get_current_task");
	CHECK_EQ_STR(disasm_helper_name(BPF_FUNC_get_current_task_btf),
		     "get_current_task_btf");
	CHECK_EQ_STR(disasm_helper_name(BPF_FUNC_ktime_get_ns),
		     "ktime_get_ns");
	CHECK_EQ_STR(disasm_helper_name(BPF_FUNC_get_func_ip), "get_func_ip");
	CHECK_EQ_STR(disasm_helper_name(BPF_FUNC_get_attach_cookie),
		     "get_attach_cookie");
	CHECK_EQ_STR(disasm_helper_name(BPF_FUNC_current_task_under_cgroup),
		     "current_task_under_cgroup");
	for (int id = 1; id <= BPF_FUNC_ringbuf_discard; id++)
		if (!disasm_helper_name(id))
			missing++;
	CHECK_EQ_INT(missing, 0);
	CHECK(disasm_helper_name(0) == NULL);
	CHECK(disasm_helper_name(-3) == NULL);
	CHECK(disasm_helper_name(100000) == NULL);
}

UNIT_TEST(disasm_print_listing)
{
	struct bpf_insn p[4];
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	p[0] = mk(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, 7);
	p[1] = mk(0, 0, 0, 0, 0);
	p[2] = mk(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
	p[3] = mk(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	CHECK(f != NULL);
	if (!f)
		return;
	disasm_print(p, 4, f, "  ", NULL, NULL);
	fclose(f);
	CHECK_EQ_STR(text, "  0: (18) r1 = map[fd:7]\n"
			   "  2: (b7) r0 = 0\n"
			   "  3: (95) exit\n");
	free(text);
}

UNIT_TEST(disasm_small_buffer)
{
	struct bpf_insn insn = mk(BPF_STX | BPF_MEM | BPF_DW, 10, 6, -8, 0);
	char buf[12];

	memset(buf, 'x', sizeof(buf));
	CHECK_EQ_INT(disasm_insn(&insn, 1, buf, 8), 1);
	CHECK_EQ_STR(buf, "(7b) *(");
	CHECK(buf[8] == 'x');
}
