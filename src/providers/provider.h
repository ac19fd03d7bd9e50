/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One provider per probe kind, behind one interface. The compiler and the
 * runtime never need to know which mechanism delivers the event: the
 * provider resolves the target, then installs the probe, choosing the
 * mechanism (and falling back to the next one) as the kernel allows.
 */
#ifndef __ETRACE_PROVIDER_H
#define __ETRACE_PROVIDER_H

#include <linux/bpf.h>

#include "session.h"

struct provider {
	const char *name;
	/*
	 * Check that the target exists and load what the compiler needs to
	 * know about it (format files, symbols, BTF); set p->func_name.
	 * Returns 0, ERR_USAGE (bad name: exit 2) or ERR_RUNTIME, message
	 * printed.
	 */
	int (*resolve)(struct session *s, struct probe *p);
	/*
	 * Compile @p for the mechanism it would use first, without loading
	 * anything, so that every mistake in a probe is reported (exit 2)
	 * before privileges and the kernel are asked. 0 or ERR_*.
	 */
	int (*check)(struct session *s, struct probe *p);
	/*
	 * Compile, load and attach @p; every fd it creates goes to
	 * probe_add_link()/probe_add_perf()/probe_add_prog() so that detaching is generic.
	 */
	int (*install)(struct session *s, struct probe *p);
};

extern const struct provider tracepoint_provider;
extern const struct provider kfunc_provider;

/*
 * The provider for a parsed spec, or NULL with a message printed (probe
 * kinds this build cannot attach).
 */
const struct provider *provider_find(const struct probe_spec *spec);

/*
 * Compile @p for its current mechanism and load it (p->prog_fd). With -v,
 * prints what was chosen and the program. Returns 0 or ERR_*; with @quiet
 * a refused load is not reported but noted in p->failures, and the result
 * is LOAD_REFUSED (1) so that a fallback can follow.
 */
int provider_build(struct session *s, struct probe *p, bool quiet);

/* Compile @p as it is set up now and throw the program away (the check step). */
int provider_check_compile(struct session *s, struct probe *p);

/* Why attaching a program failed with errno @err, in words. */
const char *provider_attach_error(int err);

/* Attach p->prog_fd to the perf event @pfd with a BPF link (or, before
 * 5.15, the perf ioctl); both fds are recorded on @p. -errno on failure. */
int provider_attach_perf(struct probe *p, int pfd);

/*
 * Remove @p's legacy kprobe_events entries (no-op if none); -EBUSY if one
 * is still in use (its perf event not closed yet), else 0.
 */
int kprobe_legacy_remove(struct probe *p);

/* Whether a module named @name is loaded (/sys/module/NAME). */
bool module_loaded(const char *name);

#endif /* __ETRACE_PROVIDER_H */
