/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * From ring-buffer records to printed events. This module decodes a
 * record (header, typed values, the function hit, the kernel stack from
 * the probed function down), applies -n and -f, counts toward -M, and
 * hands the event to the output backend the session uses. A backend only
 * decides how an event looks: BCC's text columns (text.c) or one JSON
 * object per line (json.c, --json). output_backend() is where one is chosen.
 */
#ifndef __ETRACE_OUTPUT_H
#define __ETRACE_OUTPUT_H

#include <stddef.h>
#include <linux/bpf.h>
#include <linux/types.h>

#include "output/format.h"
#include "runtime/record.h"
#include "session.h"
#include "sym/usym.h"

/* One event, decoded. */
struct event {
	const struct probe *p;
	const struct rec_hdr *h;
	char comm[REC_COMM_LEN + 1];	/* as the process wrote it (raw bytes) */
	const char *func;		/* FUNC: the probe's function, or the one hit */
	const struct fmt_value *values;	/* one per conversion of the format */
	size_t nvalues;
	/*
	 * The message, rendered: escaped for a terminal unless --raw-strings
	 * or the backend escapes it itself (then it may hold NUL bytes: %c).
	 */
	const char *msg;
	size_t msg_len;
	/* Kernel stack (-K): frames from the probed function outwards. */
	const __u64 *kstack;
	int kstack_frames;
	int kstack_err;			/* errno when the kernel could not give one, else 0 */
	/* User stack (-U): addresses, and build-id + offset per frame where known. */
	const __u64 *ustack;
	const struct bpf_stack_build_id *ubid;	/* NULL: none */
	int ustack_frames;
	int ustack_err;
};

struct backend {
	const char *name;
	/*
	 * The backend escapes what traced processes wrote itself: strings in
	 * ev->values and ev->msg are the raw bytes.
	 */
	bool escapes;
	/* Before the first event (once every probe is attached; may be NULL). */
	void (*header)(struct session *s);
	/* One event: append its output to s->out. */
	void (*event)(struct session *s, const struct event *ev);
	/*
	 * At the end of the run, after the last event, once the per-probe
	 * counts (seen, printed, lost) are final (may be NULL).
	 */
	void (*end)(struct session *s);
};

extern const struct backend text_backend;
extern const struct backend json_backend;

/* The backend the options ask for. */
const struct backend *output_backend(const struct options *opt);

void output_header(struct session *s);

/*
 * Handle one ring-buffer record. Returns 0, or 1 when -M has been reached
 * and the session should stop.
 */
int output_event(struct session *s, const void *data, size_t size);

/* The backend's end of run. */
void output_end(struct session *s);

/* User frame @i of @ev as "sym+0xoff [module]" (build-id first, else the address). */
int output_user_frame(struct session *s, const struct event *ev, int i, char *buf, size_t len);

/* The same, as symbol, offset and module apart (valid until the next lookup). */
void output_user_sym(struct session *s, const struct event *ev, int i, struct usym_info *out);

#endif /* __ETRACE_OUTPUT_H */
