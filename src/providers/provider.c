// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>

#include "providers/provider.h"
#include "util.h"

const struct provider *provider_find(const struct probe_spec *spec)
{
	if (spec->type == 't')
		return &tracepoint_provider;
	pr_err("probe %d: %ss are not supported by this version of etrace",
	       spec->index, spec_kind_name(spec));
	return NULL;
}

int provider_attach_perf(struct probe *p, int pfd)
{
	int lfd;

	probe_add_fd(p, pfd);
	/*
	 * A BPF link (5.15+) ties the attachment to a file descriptor. Older
	 * kernels only have the ioctl, which is still torn down when the perf
	 * event fd is closed, so no probe can outlive etrace either way.
	 */
	lfd = bpf_link_create(p->prog_fd, pfd, BPF_PERF_EVENT, NULL);
	if (lfd >= 0) {
		probe_add_fd(p, lfd);
		return 0;
	}
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, p->prog_fd) < 0)
		return -errno;
	if (ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0) < 0)
		return -errno;
	return 0;
}
