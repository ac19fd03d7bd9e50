// SPDX-License-Identifier: BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "output/format.h"
#include "providers/provider.h"
#include "session.h"
#include "sym/ksym.h"
#include "types/tpformat.h"
#include "util.h"

void session_init(struct session *s)
{
	memset(s, 0, sizeof(*s));
	s->events_fd = -1;
	s->lost_fd = -1;
	s->scratch_fd = -1;
	s->ctl_fd = -1;
	s->tracefs_fd = -1;
	s->out.fd = -1;
	s->out.restore_flags = -1;
	s->sig_fd = -1;
	s->epoll_fd = -1;
}

void probe_add_prog(struct probe *p, int fd)
{
	p->progs = grow_array(p->progs, &p->progs_cap, p->nprogs + 1, sizeof(*p->progs));
	p->progs[p->nprogs++] = fd;
}

void probe_add_link(struct probe *p, int fd)
{
	p->links = grow_array(p->links, &p->links_cap, p->nlinks + 1, sizeof(*p->links));
	p->links[p->nlinks++] = fd;
}

void probe_add_perf(struct probe *p, int fd)
{
	p->perf_fds = grow_array(p->perf_fds, &p->perf_cap, p->nperf + 1, sizeof(*p->perf_fds));
	p->perf_fds[p->nperf++] = fd;
}

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

const char *mech_name(enum mech m)
{
	switch (m) {
	case MECH_TRACEPOINT: return "tracepoint";
	case MECH_FENTRY: return "fentry";
	case MECH_KPROBE: return "kprobe";
	case MECH_KPROBE_MULTI: return "kprobe-multi";
	case MECH_KPROBE_LEGACY: return "kprobe-legacy";
	default: return "none";
	}
}

void probe_detach(struct probe *p)
{
	/* A link holds its perf event: links first, then the events. */
	for (size_t i = 0; i < p->nlinks; i++)
		if (p->links[i] >= 0)
			close(p->links[i]);
	p->nlinks = 0;
	for (size_t i = 0; i < p->nperf; i++)
		if (p->perf_fds[i] >= 0)
			close(p->perf_fds[i]);
	p->nperf = 0;
	for (size_t i = 0; i < p->nprogs; i++)
		if (p->progs[i] >= 0)
			close(p->progs[i]);
	p->nprogs = 0;
	/* Legacy kprobes live in tracefs until removed: remove them now. */
	kprobe_legacy_remove(p);
}

void session_detach(struct session *s)
{
	for (size_t i = 0; i < s->nprobes; i++)
		probe_detach(&s->probes[i]);
}

static void probe_free(struct probe *p)
{
	probe_detach(p);
	if (p->attach_btf_obj_fd > 0)
		close(p->attach_btf_obj_fd);
	free(p->links);
	free(p->perf_fds);
	free(p->progs);
	for (size_t i = 0; i < p->ntargets; i++) {
		free(p->targets[i].name);
		free(p->targets[i].module);
	}
	free(p->targets);
	for (size_t i = 0; i < p->nlegacy; i++)
		free(p->legacy_events[i]);
	free(p->legacy_events);
	free(p->legacy_file);
	free(p->failures);
	close_fd(&p->prog_fd);
	spec_free(&p->spec);
	free(p->func_name);
	free(p->tp_dir);
	if (p->tp) {
		tp_format_free(p->tp);
		free(p->tp);
	}
	free(p->slots);
	if (p->fmt) {
		fmt_free(p->fmt);
		free(p->fmt);
	}
}

void session_teardown(struct session *s)
{
	for (size_t i = 0; i < s->nprobes; i++)
		probe_free(&s->probes[i]);
	free(s->probes);
	s->probes = NULL;
	s->nprobes = 0;
	ring_buffer__free(s->rb);
	s->rb = NULL;
	close_fd(&s->events_fd);
	close_fd(&s->lost_fd);
	close_fd(&s->scratch_fd);
	close_fd(&s->ctl_fd);
	close_fd(&s->tracefs_fd);
	close_fd(&s->epoll_fd);
	close_fd(&s->sig_fd);
	ksyms__free(s->ksyms);
	btf__free(s->vmlinux_btf);
	s->vmlinux_btf = NULL;
	s->ksyms = NULL;
	sb_free(&s->line);
	sb_free(&s->msg);
	sink_close(&s->out);
}
