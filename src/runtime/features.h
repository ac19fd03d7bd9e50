/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the running kernel allows, each probed at most once per run and
 * only when something needs it: BPF link types, helpers, attach cookies,
 * the kprobe PMU, fentry. A mechanism the kernel refused once is not tried
 * again for the next probe. `etrace --features` prints them all (the test
 * runner reads that list) and -v says what was found.
 */
#ifndef __ETRACE_FEATURES_H
#define __ETRACE_FEATURES_H

#include <stdbool.h>

enum feature {
	FEAT_RINGBUF,		/* BPF ring buffer maps (5.8) */
	FEAT_BTF,		/* /sys/kernel/btf/vmlinux */
	FEAT_MODULE_BTF,	/* BTF for modules (5.11) */
	FEAT_FENTRY,		/* fentry/fexit programs load and attach */
	FEAT_KPROBE,		/* the perf kprobe PMU */
	FEAT_KPROBE_MULTI,	/* kprobe_multi links (5.18, CONFIG_FPROBE) */
	FEAT_KPROBE_EVENTS,	/* tracefs kprobe_events */
	FEAT_PERF_LINK,		/* BPF links for perf events (5.15) */
	FEAT_COOKIE,		/* bpf_get_attach_cookie() for kprobes (5.15) */
	FEAT_UPROBE,		/* the perf uprobe PMU */
	FEAT_UPROBE_EVENTS,	/* tracefs uprobe_events */
	FEAT_ATOMIC_FETCH,	/* BPF atomic fetch-add (5.12): -M when counting */
	FEAT_NR,
};

struct features {
	unsigned int known;	/* bit per feature: probed already */
	unsigned int have;	/* bit per feature: available */
};

struct session;

/* Whether the kernel has @f (probed now if not known yet). */
bool feature_has(struct session *s, enum feature f);

/* Record what an attempt found out (a load refused with EPERM, say). */
void feature_set(struct session *s, enum feature f, bool have);

/* The feature's name as --features prints it ("kprobe-multi"). */
const char *feature_name(enum feature f);

/* Probe every feature and print "name yes|no" lines on stdout. */
void features_print(struct session *s);

#endif /* __ETRACE_FEATURES_H */
