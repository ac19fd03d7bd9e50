/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The layout of one event record in the BPF ring buffer, shared by the
 * code generator (which writes it in the kernel) and the consumer (which
 * reads it). A record is this header, then the probe's values at offsets
 * chosen by the compiler, then the kernel stack (with -K), then with -U:
 * the word at the user stack pointer (a function-entry probe's return
 * address, which a frame-pointer walk misses) and the user stack twice:
 * as addresses, and as build-id + file offset per frame, which names the
 * file even after the process has exited.
 */
#ifndef __ETRACE_RECORD_H
#define __ETRACE_RECORD_H

#include <linux/types.h>
#include <stddef.h>

#define REC_COMM_LEN 16
/* BCC prints at most 127 frames; the kernel's default sysctl limit is 127. */
#define REC_STACK_DEPTH 127
#define REC_STACK_BYTES (REC_STACK_DEPTH * 8)
/* User stacks: each frame also takes a 32-byte build-id entry. */
#define REC_USTACK_DEPTH 64
#define REC_URET_BYTES 8
#define REC_USTACK_BYTES (REC_USTACK_DEPTH * 8)
#define REC_UBID_BYTES (REC_USTACK_DEPTH * 32)

struct rec_hdr {
	__u32 probe_id;
	__u32 cpu;		/* written only with -C or --json */
	__u64 pid_tgid;		/* tgid << 32 | tid */
	__u64 ts;		/* bpf_ktime_get_ns(), CLOCK_MONOTONIC; only with -t or --json */
	char comm[REC_COMM_LEN];
	__s32 kstack_bytes;	/* bytes written by bpf_get_stack(), or -errno */
	__s32 ustack_bytes;	/* user stack: bytes of addresses, or -errno */
	__u64 func_ip;		/* probes on many functions: the one hit */
	__s32 ubid_bytes;	/* user stack: bytes of build-id entries, or -errno */
	__u32 reserved;
};

#define REC_OFF(field) ((int)offsetof(struct rec_hdr, field))

#endif /* __ETRACE_RECORD_H */
