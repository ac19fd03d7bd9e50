/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small BPF interpreter for the unit tests. It runs what the compiler
 * emits and fails (instead of crashing) on anything the verifier or the
 * kernel would not allow: registers read before they are set (helpers
 * leave r1-r5 unset), uninitialised stack, memory accesses outside the
 * registered regions, direct loads from memory that only the probe_read
 * helpers may reach, the wrong helper for user or kernel memory, and ring
 * buffer records that are never submitted.
 *
 * Two layers:
 *  - struct bpf_vm runs instructions; helper calls go to a table of
 *    callbacks (test_ir.c brings its own fake helpers);
 *  - struct bpf_probe_env is the world of a probe program: a tracepoint
 *    context, the ring buffer and lost-event maps, fake user and kernel
 *    memory, and the helpers etrace's programs call.
 */
#ifndef __ETRACE_TEST_BPF_INTERP_H
#define __ETRACE_TEST_BPF_INTERP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

/* What the value of an ld_imm64 of map fd N is in the interpreter. */
#define BPF_INTERP_MAP_TAG 0xfd00000000ull
#define BPF_INTERP_MAX_STEPS 1000000
#define BPF_INTERP_MAX_REGIONS 24

/* Region permissions. */
enum {
	BPF_MEM_R = 1,		/* direct loads (LDX) */
	BPF_MEM_W = 2,		/* direct stores, helper destinations */
	BPF_MEM_KERNEL = 4,	/* readable with probe_read_kernel* */
	BPF_MEM_USER = 8,	/* readable with probe_read_user* */
};

struct bpf_region {
	uint8_t *base;
	size_t len;
	unsigned int flags;
	bool *init;		/* per byte, NULL if always initialised */
	const char *name;
};

struct bpf_mem {
	struct bpf_region r[BPF_INTERP_MAX_REGIONS];
	int n;
	char *err;		/* the first error is kept */
	size_t errlen;
};

void bpf_mem_init(struct bpf_mem *m, char *err, size_t errlen);
/* Register @len bytes at @base; returns the region's index, -1 if full. */
int bpf_mem_add(struct bpf_mem *m, void *base, size_t len, unsigned int flags,
		bool *init, const char *name);
/* Take permissions away (a submitted record), keeping the region's name. */
void bpf_mem_revoke(struct bpf_mem *m, const void *base);
/*
 * The host address of [@addr, @addr + @len) if one region with all of
 * @need holds it, else NULL with the error recorded. Writes (BPF_MEM_W)
 * mark bytes initialised; other accesses check they are.
 */
uint8_t *bpf_mem_at(struct bpf_mem *m, uint64_t addr, size_t len, unsigned int need);
/* Whether @addr lies in a region with any of @flags (no error recorded). */
bool bpf_mem_has(const struct bpf_mem *m, uint64_t addr, unsigned int flags);
bool bpf_mem_load(struct bpf_mem *m, uint64_t addr, int size, uint64_t *val);
bool bpf_mem_store(struct bpf_mem *m, uint64_t addr, int size, uint64_t val);
/* Record an error (printf-style) unless one is already recorded. */
void bpf_mem_fail(struct bpf_mem *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* BPF ALU and jump semantics (division by zero gives 0, x % 0 gives x). */
uint64_t bpf_alu(int op, bool is32, uint64_t d, uint64_t s);
bool bpf_cond(int op, uint64_t a, uint64_t b);

struct bpf_vm;

struct bpf_vm_ops {
	/* Number of arguments of helper @id, or -1 if unknown. */
	int (*nargs)(struct bpf_vm *vm, int id);
	/* Run helper @id; false (with vm->mem error set) on misuse. */
	bool (*call)(struct bpf_vm *vm, int id, const uint64_t *args, uint64_t *ret);
	/*
	 * The address of byte @off of map @fd's first value (ld_imm64 with
	 * BPF_PSEUDO_MAP_VALUE); false if unknown. NULL: not supported.
	 */
	bool (*map_value)(struct bpf_vm *vm, int fd, int32_t off, uint64_t *addr);
};

struct bpf_vm {
	uint64_t r[11];
	bool ok[11];		/* initialised, as the verifier sees it */
	uint8_t stack[512];
	bool stack_init[512];
	struct bpf_mem mem;
	const struct bpf_vm_ops *ops;
	void *priv;		/* for the helpers */
	long steps;
	char err[256];
};

/*
 * Prepare @vm: the stack is region 0 (filled with garbage, every byte
 * unset). Add more regions to vm->mem before bpf_vm_run().
 */
void bpf_vm_init(struct bpf_vm *vm, const struct bpf_vm_ops *ops, void *priv);
/* Run @prog with r1 = @ctx. Returns 0 and r0, or -1 with vm->err set. */
int bpf_vm_run(struct bpf_vm *vm, const struct bpf_insn *prog, size_t cnt, uint64_t ctx,
	       uint64_t *ret);

/* --- probe programs ------------------------------------------------------- */

#define BPF_PROBE_MAX_MEM 8
#define BPF_PROBE_MAX_MAPS 8
#define BPF_PROBE_LOST_KEYS 16

/*
 * An array map (per-CPU arrays look the same from one CPU), or a hash
 * map: keys of .key_size bytes, found by their bytes (per-CPU hashes look
 * the same from one CPU too).
 */
struct bpf_probe_map {
	int fd;
	size_t value_size;
	unsigned int max_entries;
	uint8_t *data;		/* max_entries values */
	bool owned;		/* data is malloc'ed here */
	size_t key_size;	/* hash maps; 0 for arrays */
	uint8_t *keys;		/* hash maps: max_entries keys, .nkeys in use */
	unsigned int nkeys;
};

struct bpf_probe_env {
	/* The world the program sees; set before bpf_probe_run(). */
	uint8_t *ctx;		/* the tracepoint record (kernel memory) */
	size_t ctx_len;
	uint64_t pid_tgid;	/* tgid << 32 | tid */
	uint64_t uid_gid;	/* gid << 32 | uid */
	uint32_t cpu;
	uint64_t ktime;
	uint64_t func_ip;
	char comm[16];
	int events_fd;		/* the ring buffer */
	int lost_fd;		/* the lost-event counters: .lost */
	struct bpf_probe_map maps[BPF_PROBE_MAX_MAPS];
	int nmaps;
	bool ringbuf_full;	/* ringbuf_reserve returns NULL */
	int64_t stackid;	/* what get_stackid returns for a kernel stack */
	int64_t ustackid;	/* ... for a user stack */
	uint8_t task[512];	/* get_current_task() points here (kernel memory) */
	struct {
		void *base;
		size_t len;
		bool user;
	} extra[BPF_PROBE_MAX_MEM];	/* fake memory, probe_read only */
	int nextra;
	/* What the program did. */
	uint8_t *rec;		/* the last record reserved (malloc'ed) */
	size_t rec_size;
	int nreserved, nsubmitted, ndiscarded;
	uint64_t lost[BPF_PROBE_LOST_KEYS];
	int calls[256];		/* helper calls by id */
	uint64_t ret;		/* r0 at exit */
	char err[256];		/* why the run failed */
};

/*
 * Defaults: pid 4242/tid 4243, uid 1000/gid 100, cpu 3, comm "etrace-test",
 * ring buffer fd 7, lost counters fd 8 (call bpf_probe_env_init() again
 * after changing lost_fd, or set maps[0].fd too).
 */
void bpf_probe_env_init(struct bpf_probe_env *e);
/* An array map for map_lookup_elem (a scratch area); returns its values. */
uint8_t *bpf_probe_env_add_array(struct bpf_probe_env *e, int fd, size_t value_size,
				 unsigned int max_entries);
/* A hash map for map_lookup_elem and map_update_elem; returns its values. */
uint8_t *bpf_probe_env_add_hash(struct bpf_probe_env *e, int fd, size_t key_size,
				size_t value_size, unsigned int max_entries);
/* The value of @key in hash map @fd, or NULL. */
uint8_t *bpf_probe_env_hash_value(struct bpf_probe_env *e, int fd, const void *key);
void bpf_probe_env_free(struct bpf_probe_env *e);
/* Fake memory that only probe_read_user* (@user) or probe_read_kernel* reach. */
void bpf_probe_env_add_mem(struct bpf_probe_env *e, void *base, size_t len, bool user);
/* Run one probe program; 0, or -1 with e->err set. Resets the outputs. */
int bpf_probe_run(struct bpf_probe_env *e, const struct bpf_insn *prog, size_t cnt);

#endif /* __ETRACE_TEST_BPF_INTERP_H */
