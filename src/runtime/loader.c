// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/membarrier.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "runtime/aggmap.h"
#include "runtime/loader.h"
#include "runtime/maps.h"
#include "util.h"

/* Not in every linux/capability.h we may build against. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

/*
 * The capabilities tracing needs that the caller lacks, as "CAP_A and
 * CAP_B" (empty when none is missing). CAP_SYS_ADMIN stands in for
 * CAP_BPF and CAP_PERFMON (kernels before 5.8 know only it), and
 * CAP_DAC_OVERRIDE for CAP_DAC_READ_SEARCH.
 */
static void missing_caps(bool tracefs, char *buf, size_t len)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };
	const char *miss[3];
	int n = 0;

	buf[0] = '\0';
	if (syscall(SYS_capget, &hdr, d))
		memset(d, 0, sizeof(d));
	if (!has_cap(d, CAP_SYS_ADMIN)) {
		if (!has_cap(d, CAP_BPF))
			miss[n++] = "CAP_BPF";
		if (!has_cap(d, CAP_PERFMON))
			miss[n++] = "CAP_PERFMON";
	}
	if (tracefs && !has_cap(d, CAP_DAC_READ_SEARCH) && !has_cap(d, CAP_DAC_OVERRIDE))
		miss[n++] = "CAP_DAC_READ_SEARCH";
	for (int i = 0; i < n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
			 !i ? "" : i == n - 1 ? " and " : ", ", miss[i]);
}

void loader_privilege_hint(bool tracefs, char *buf, size_t len)
{
	char miss[128];

	missing_caps(tracefs, miss, sizeof(miss));
	if (geteuid() == 0 || !miss[0])
		snprintf(buf, len, "%s has the privileges; a security module may refuse it",
			 geteuid() == 0 ? "root" : "this process");
	else
		snprintf(buf, len, "tracing needs root, or the capabilities CAP_BPF, CAP_PERFMON%s; "
			 "uid %d lacks %s", tracefs ? " and, to read tracefs, CAP_DAC_READ_SEARCH" :
			 "", (int)geteuid(), miss);
}

int loader_check_privileges(void)
{
	char hint[256], miss[128];

	if (geteuid() == 0)
		return 0;
	missing_caps(false, miss, sizeof(miss));
	if (!miss[0])
		return 0;
	loader_privilege_hint(false, hint, sizeof(hint));
	pr_err("%s", hint);
	return ERR_RUNTIME;
}

static unsigned long next_pow2(unsigned long v)
{
	unsigned long p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

void loader_size_ring(struct session *s)
{
	unsigned long size = next_pow2((unsigned long)s->opt.buffer_pages * 4096UL * s->ncpus);

	/* Counting in the kernel: the ring only carries -M's one record. */
	if (aggregating(&s->opt)) {
		long page = sysconf(_SC_PAGESIZE);

		size = page > 0 ? (unsigned long)page : 4096;
	}

	/* The kernel caps a ring buffer below 4 GiB. */
	if (size > (1UL << 31))
		size = 1UL << 31;
	s->ring_size = size;
}

int loader_set_recording(struct session *s, bool on)
{
	int fd = maps_fd(s, MAP_CTL);
	/* The stop flag, and the interval that counts are kept in (-i). */
	struct { __u32 stopped, epoch; } ctl = { !on, s->agg_epoch };
	__u32 key = 0;

	if (fd < 0)
		return 0;
	if (bpf_map_update_elem(fd, &key, &ctl, BPF_ANY)) {
		pr_err("cannot %s recording: %s", on ? "start" : "stop", strerror(errno));
		return ERR_RUNTIME;
	}
	return 0;
}

void loader_wait_programs(void)
{
	/*
	 * Programs run inside RCU read-side sections, and
	 * membarrier(GLOBAL) waits for an RCU grace period: after it, no
	 * program that started before is still running.
	 */
	syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
}

/*
 * The last line of the verifier log that says something, which is
 * usually the reason ("R2 invalid mem access 'scalar'").
 */
const char *loader_log_reason(char *log)
{
	char *end = log + strlen(log), *line;

	while (end > log && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	for (;;) {
		line = strrchr(log, '\n');
		line = line ? line + 1 : log;
		/* The summary lines at the end are statistics, not the reason. */
		if ((!strncmp(line, "processed ", 10) || !strncmp(line, "verification time", 17) ||
		     !strncmp(line, "stack depth", 11)) && line != log) {
			line[-1] = '\0';
			continue;
		}
		return line;
	}
}

struct load_ctx {
	const struct load_attr *attr;
	const char *name;
	const struct bpf_insn *insns;
	size_t cnt;
};

static int try_load(void *arg, char *log, size_t log_size)
{
	const struct load_ctx *c = arg;
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		.expected_attach_type = (enum bpf_attach_type)c->attr->attach_type,
		.attach_btf_id = c->attr->attach_btf_id,
		.attach_btf_obj_fd = c->attr->attach_btf_obj_fd >= 0 ? c->attr->attach_btf_obj_fd : 0,
		.log_buf = log,
		.log_size = log ? (__u32)log_size : 0,
		.log_level = log ? 1 : 0,
	);
	int fd = bpf_prog_load((enum bpf_prog_type)c->attr->prog_type, c->name, "Dual BSD/GPL",
			       c->insns, c->cnt, &opts);

	return fd >= 0 ? fd : -errno;
}

int loader_load_logged(int (*load)(void *arg, char *log, size_t size), void *arg,
		       char **log_out)
{
	size_t size = LOADER_LOG_START;
	int fd;

	*log_out = NULL;
	/* First without a log: the common case, and the fastest. */
	fd = load(arg, NULL, 0);
	if (fd >= 0 || fd == -EPERM)
		return fd;
	/*
	 * A log that does not fit fails with ENOSPC; on kernels before 6.4 it
	 * then holds the start of the story, not the reason at its end. Grow
	 * the buffer until the whole log fits.
	 */
	for (;;) {
		char *log = xcalloc(1, size);

		fd = load(arg, log, size);
		if (fd != -ENOSPC || size >= LOADER_LOG_MAX) {
			*log_out = log;
			return fd;
		}
		free(log);
		size *= 4;
	}
}

static int load_failed(struct session *s, const struct probe *p, const struct load_attr *a,
		       int err, char *log, bool quiet, char *why, size_t whylen)
{
	char hint[256];

	if (s->opt.verbose && log && *log)
		fprintf(stderr, "verifier log for probe %d (%s):\n%s\n", p->spec.index, a->mech,
			log);
	if (err == EPERM)
		loader_privilege_hint(false, hint, sizeof(hint));
	if (quiet) {
		if (log && *log && err != EPERM)
			snprintf(why, whylen, "%s: the verifier rejected the program: %s%s", a->mech,
				 err == ENOSPC ? "(log cut) " : "", loader_log_reason(log));
		else
			snprintf(why, whylen, "%s: the kernel refused the program (%s)", a->mech,
				 strerror(err));
		return LOAD_REFUSED;
	}
	if (err == EPERM)
		pr_err("probe %d: cannot load the program: %s (%s)", p->spec.index,
		       strerror(err), hint);
	else if (log && *log)
		pr_err("probe %d: the kernel verifier rejected the program: %s%s%s",
		       p->spec.index, err == ENOSPC ? "(log cut) " : "", loader_log_reason(log),
		       s->opt.verbose ? "" : " (the full log with -v)");
	else
		pr_err("probe %d: cannot load the program: %s", p->spec.index, strerror(err));
	return ERR_RUNTIME;
}

int loader_load(struct session *s, struct probe *p, const struct load_attr *a,
		struct bpf_insn *insns, size_t cnt, bool quiet, char *why, size_t whylen)
{
	char name[BPF_OBJ_NAME_LEN], *log;
	struct load_ctx c = { .attr = a, .name = name, .insns = insns, .cnt = cnt };
	int fd, ret;

	if (maps_patch(s, insns, cnt)) {
		pr_err("probe %d: internal error: the program uses a map that was not created",
		       p->spec.index);
		return ERR_RUNTIME;
	}
	snprintf(name, sizeof(name), "etrace_p%u", (unsigned)(p->id + 1) % 100000u);
	fd = loader_load_logged(try_load, &c, &log);
	if (fd >= 0) {
		p->rt.prog_fd = fd;
		free(log);
		return 0;
	}
	ret = load_failed(s, p, a, -fd, log, quiet, why, whylen);
	free(log);
	return ret;
}

unsigned long long loader_lost(struct session *s, int id)
{
	int fd = maps_fd(s, MAP_LOST);
	__u32 key = (__u32)id;
	unsigned long long total = 0;
	__u64 *vals;

	if (fd < 0 || s->ncpus <= 0)
		return 0;
	vals = xcalloc((size_t)s->ncpus, sizeof(*vals));
	if (!bpf_map_lookup_elem(fd, &key, vals))
		for (int i = 0; i < s->ncpus; i++)
			total += vals[i];
	free(vals);
	return total;
}
