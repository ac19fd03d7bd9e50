// SPDX-License-Identifier: BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "output/format.h"
#include "providers/provider.h"
#include "runtime/maps.h"
#include "session.h"
#include "sym/ksym.h"
#include "sym/usym.h"
#include "util.h"

void session_init(struct session *s)
{
	memset(s, 0, sizeof(*s));
	maps_init(s);
	s->tracefs_fd = -1;
	s->sig_fd = -1;
	s->target_fd = -1;
	s->cgroup_fd = -1;
	s->epoll_fd = -1;
	s->out.fd = -1;
	s->out.restore_flags = -1;
}

void probe_add_prog(struct probe *p, int fd)
{
	struct probe_rt *rt = &p->rt;

	rt->progs = grow_array(rt->progs, &rt->progs_cap, rt->nprogs + 1, sizeof(*rt->progs));
	rt->progs[rt->nprogs++] = fd;
}

void probe_add_link(struct probe *p, int fd)
{
	struct probe_rt *rt = &p->rt;

	rt->links = grow_array(rt->links, &rt->links_cap, rt->nlinks + 1, sizeof(*rt->links));
	rt->links[rt->nlinks++] = fd;
}

void probe_add_perf(struct probe *p, int fd)
{
	struct probe_rt *rt = &p->rt;

	rt->perf_fds = grow_array(rt->perf_fds, &rt->perf_cap, rt->nperf + 1,
				  sizeof(*rt->perf_fds));
	rt->perf_fds[rt->nperf++] = fd;
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

static void close_all(int *fds, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	*n = 0;
}

void probe_detach(struct probe *p)
{
	/* A link holds its perf event: links first, then the events. */
	close_all(p->rt.links, &p->rt.nlinks);
	close_all(p->rt.perf_fds, &p->rt.nperf);
	close_all(p->rt.progs, &p->rt.nprogs);
	/* What outlives the descriptors (kprobe_events entries) goes now. */
	if (p->prov && p->prov->cleanup)
		p->prov->cleanup(p);
}

void session_detach(struct session *s)
{
	for (size_t i = 0; i < s->nprobes; i++)
		probe_detach(&s->probes[i]);
}

static void probe_free(struct probe *p)
{
	probe_detach(p);
	close_fd(&p->rt.prog_fd);
	if (p->prov && p->prov->free)
		p->prov->free(p);
	free(p->rt.links);
	free(p->rt.perf_fds);
	free(p->rt.progs);
	spec_free(&p->spec);
	free(p->func_name);
	free(p->func_symbol);
	free(p->entry_vals);
	sb_free(&p->out_spec);
	free(p->layout.slots);
	if (p->layout.fmt) {
		fmt_free(p->layout.fmt);
		free(p->layout.fmt);
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
	maps_close(s);
	close_fd(&s->tracefs_fd);
	close_fd(&s->epoll_fd);
	close_fd(&s->sig_fd);
	close_fd(&s->target_fd);
	close_fd(&s->cgroup_fd);
	ksyms__free(s->ksyms);
	usyms_free(s->usyms);
	s->usyms = NULL;
	btf__free(s->vmlinux_btf);
	s->vmlinux_btf = NULL;
	s->ksyms = NULL;
	for (size_t i = 0; i < s->opt.nsymfiles; i++)
		free(s->opt.symfiles[i]);
	free(s->opt.symfiles);
	s->opt.symfiles = NULL;
	s->opt.nsymfiles = 0;
	sb_free(&s->line);
	sb_free(&s->msg);
	sb_free(&s->notices);
	free(s->ufix);
	free(s->ubid_fix);
	sink_close(&s->out);
}
