/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One provider per probe kind, behind one interface. The compiler and the
 * runtime never need to know which mechanism delivers the event: they ask
 * the provider for the program type, let it resolve the target and attach
 * the loaded program.
 */
#ifndef __ETRACE_PROVIDER_H
#define __ETRACE_PROVIDER_H

#include <linux/bpf.h>

#include "session.h"

struct provider {
	const char *name;
	enum bpf_prog_type prog_type;
	/*
	 * Check that the target exists and load what the compiler needs to
	 * know about it (format files, BTF...); set p->func_name. Returns 0,
	 * ERR_USAGE (bad name: exit 2) or ERR_RUNTIME, message printed.
	 */
	int (*resolve)(struct session *s, struct probe *p);
	/* Attach p->prog_fd; every fd it creates goes to probe_add_fd(). */
	int (*attach)(struct session *s, struct probe *p);
};

extern const struct provider tracepoint_provider;

/*
 * The provider for a parsed spec, or NULL with a message printed (probe
 * kinds this build cannot attach).
 */
const struct provider *provider_find(const struct probe_spec *spec);

/* Attach @prog_fd to the perf event @pfd with a BPF link (or, on kernels
 * before 5.15, the perf ioctl); the fds are recorded on @p. */
int provider_attach_perf(struct probe *p, int pfd);

#endif /* __ETRACE_PROVIDER_H */
