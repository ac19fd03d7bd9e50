// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "runtime/loader.h"
#include "util.h"

/* Not in every linux/capability.h we may build against. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static const char privileges_msg[] =
	"tracing needs root, or the CAP_BPF and CAP_PERFMON capabilities";

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

static int map_error(const char *what, int err)
{
	if (err == EPERM || err == EACCES)
		pr_err("cannot create the %s map: %s (%s)", what, strerror(err), privileges_msg);
	else
		pr_err("cannot create the %s map: %s", what, strerror(err));
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

	/* The kernel caps a ring buffer below 4 GiB. */
	if (size > (1UL << 31))
		size = 1UL << 31;
	s->ring_size = size;
}

int loader_create_maps(struct session *s)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);

	s->events_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "etrace_events", 0, 0,
				      (__u32)s->ring_size, &opts);
	if (s->events_fd < 0)
		return map_error("ring buffer", errno);
	s->lost_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "etrace_lost", 4, 8,
				    (__u32)s->nprobes, &opts);
	if (s->lost_fd < 0)
		return map_error("lost-event counter", errno);
	s->ctl_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "etrace_ctl", 4, 8, 1, &opts);
	if (s->ctl_fd < 0)
		return map_error("control", errno);
	/* Probes attach one by one: none records before all of them can. */
	return loader_set_recording(s, false);
}

int loader_set_recording(struct session *s, bool on)
{
	__u32 key = 0;
	__u64 stopped = !on;

	if (s->ctl_fd < 0)
		return 0;
	if (bpf_map_update_elem(s->ctl_fd, &key, &stopped, BPF_ANY)) {
		pr_err("cannot %s recording: %s", on ? "start" : "stop", strerror(errno));
		return ERR_RUNTIME;
	}
	return 0;
}

int loader_scratch_map(struct session *s, int size)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);

	if (s->scratch_fd >= 0)
		return 0;
	s->scratch_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "etrace_scratch", 4,
				       (__u32)size, 1, &opts);
	if (s->scratch_fd < 0)
		return map_error("scratch", errno);
	return 0;
}

/*
 * The last line of the verifier log that says something, which is
 * usually the reason ("R2 invalid mem access 'scalar'").
 */
static const char *log_reason(char *log)
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

void probe_note_failure(struct probe *p, const char *fmt, ...)
{
	va_list ap;
	char *msg, *all;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return;
	all = p->failures ? xasprintf("%s; %s", p->failures, msg) : msg;
	if (all != msg)
		free(msg);
	free(p->failures);
	p->failures = all;
}

static int try_load(struct probe *p, const char *name, const struct bpf_insn *insns,
		    size_t cnt, char *log, size_t log_size)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		.expected_attach_type = (enum bpf_attach_type)p->attach_type,
		.attach_btf_id = p->attach_btf_id,
		.attach_btf_obj_fd = p->attach_btf_obj_fd > 0 ? p->attach_btf_obj_fd : 0,
		.log_buf = log,
		.log_size = log ? (__u32)log_size : 0,
		.log_level = log ? 1 : 0,
	);
	int fd = bpf_prog_load((enum bpf_prog_type)p->prog_type, name, "Dual BSD/GPL",
			       insns, cnt, &opts);

	return fd >= 0 ? fd : -errno;
}

static int load_failed(struct session *s, struct probe *p, int err, char *log, bool quiet)
{
	const char *mech = mech_name(p->mech);

	if (s->opt.verbose && log && *log)
		fprintf(stderr, "verifier log for probe %d (%s):\n%s\n", p->spec.index, mech, log);
	if (quiet) {
		if (log && *log && err != EPERM)
			probe_note_failure(p, "%s: the verifier rejected the program: %s", mech,
					   log_reason(log));
		else
			probe_note_failure(p, "%s: the kernel refused the program (%s)", mech,
					   strerror(err));
		return LOAD_REFUSED;
	}
	if (err == EPERM)
		pr_err("probe %d: cannot load the program: %s (%s)", p->spec.index,
		       strerror(err), privileges_msg);
	else if (log && *log)
		pr_err("probe %d: the kernel verifier rejected the program: %s%s",
		       p->spec.index, log_reason(log),
		       s->opt.verbose ? "" : " (the full log with -v)");
	else
		pr_err("probe %d: cannot load the program: %s", p->spec.index, strerror(err));
	return ERR_RUNTIME;
}

int loader_load_prog(struct session *s, struct probe *p, const struct bpf_insn *insns,
		     size_t cnt, bool quiet)
{
	char name[BPF_OBJ_NAME_LEN];
	size_t log_size = 1 << 20;
	char *log;
	int fd, ret;

	snprintf(name, sizeof(name), "etrace_p%u", (unsigned)(p->id + 1) % 100000u);
	/* First without a log: the common case, and the fastest. */
	fd = try_load(p, name, insns, cnt, NULL, 0);
	if (fd >= 0) {
		p->prog_fd = fd;
		return 0;
	}
	if (fd == -EPERM)
		return load_failed(s, p, EPERM, NULL, quiet);
	log = xcalloc(1, log_size);
	fd = try_load(p, name, insns, cnt, log, log_size);
	if (fd >= 0) {
		/* Loaded with a log but not without one: odd, but fine. */
		p->prog_fd = fd;
		free(log);
		return 0;
	}
	ret = load_failed(s, p, -fd, log, quiet);
	free(log);
	return ret;
}

unsigned long long loader_lost(struct session *s, int id)
{
	__u32 key = (__u32)id;
	unsigned long long total = 0;
	__u64 *vals;

	if (s->lost_fd < 0 || s->ncpus <= 0)
		return 0;
	vals = xcalloc((size_t)s->ncpus, sizeof(*vals));
	if (!bpf_map_lookup_elem(s->lost_fd, &key, vals))
		for (int i = 0; i < s->ncpus; i++)
			total += vals[i];
	free(vals);
	return total;
}
