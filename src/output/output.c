// SPDX-License-Identifier: BSD-2-Clause
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "compile/codegen.h"
#include "output/output.h"
#include "providers/provider.h"
#include "sym/ksym.h"
#include "sym/usym.h"
#include "util.h"

/* The output side renders at most this many values per event. */
#define MAX_VALUES 64

const struct backend *output_backend(const struct options *opt)
{
	return opt->json ? &json_backend : &text_backend;
}

void output_header(struct session *s)
{
	if (s->backend->header)
		s->backend->header(s);
	sink_flush(&s->out);
}

void output_end(struct session *s)
{
	if (s->backend->end)
		s->backend->end(s);
}

/*
 * Where the stack of a function probe really starts. Some mechanisms
 * (fentry and fexit) make the kernel's unwinder also report the BPF
 * program and its trampoline, which have no symbols; the probed function's
 * own frame follows them. Skip to it when it is among the first frames.
 */
static int first_frame(struct session *s, const struct probe *p, const struct rec_hdr *h,
		       const __u64 *stack, int n)
{
	const struct ksym *want, *k;

	if (!p->stack_from_func)
		return 0;
	want = p->records_func_ip ? ksyms__lookup(s->ksyms, h->func_ip) :
				    ksyms__find(s->ksyms, p->func_symbol ? p->func_symbol :
							  p->func_name);
	for (int i = 0; want && i < n && i < 4; i++) {
		k = ksyms__lookup(s->ksyms, stack[i]);
		if (k && k->addr == want->addr)
			return i;
	}
	return 0;
}

/* FUNC: the probe's function, or for a pattern the function that was hit. */
static const char *func_column(struct session *s, const struct probe *p,
			       const struct rec_hdr *h)
{
	const struct ksym *k;

	if (!p->records_func_ip)
		return p->func_name;
	k = ksyms__lookup(s->ksyms, h->func_ip);
	return k ? k->name : p->func_name;
}

static void decode_stack(struct session *s, struct event *ev, const unsigned char *stack)
{
	const struct rec_hdr *h = ev->h;
	int n = h->kstack_bytes / 8, first;

	if (h->kstack_bytes < 0) {
		ev->kstack_err = -h->kstack_bytes;
		return;
	}
	/* Records are 8-byte aligned, and so is the stack in them. */
	ev->kstack = (const __u64 *)(const void *)stack;
	if (n > REC_STACK_DEPTH)
		n = REC_STACK_DEPTH;
	first = first_frame(s, ev->p, h, ev->kstack, n);
	ev->kstack += first;
	n -= first;
	/* The kernel zero-fills after the last frame. */
	while (n > 0 && !ev->kstack[n - 1])
		n--;
	for (int i = 0; i < n; i++)
		if (!ev->kstack[i]) {
			n = i;
			break;
		}
	ev->kstack_frames = n;
}

/*
 * A function-entry probe's caller, which the frame-pointer walk skipped
 * (the function has not pushed its frame yet), becomes frame 1.
 */
static void insert_caller(struct session *s, struct event *ev, uint64_t ret)
{
	int n = ev->ustack_frames;

	if (!ret || !n || (n > 1 && ev->ustack[1] == ret))
		return;
	if (!s->ufix) {
		s->ufix = xcalloc(REC_USTACK_DEPTH + 1, sizeof(*s->ufix));
		s->ubid_fix = xcalloc(REC_USTACK_DEPTH + 1, sizeof(*s->ubid_fix));
	}
	s->ufix[0] = ev->ustack[0];
	s->ufix[1] = ret;
	memcpy(s->ufix + 2, ev->ustack + 1, (size_t)(n - 1) * sizeof(*s->ufix));
	ev->ustack = (const __u64 *)s->ufix;
	if (ev->ubid) {
		s->ubid_fix[0] = ev->ubid[0];
		memset(&s->ubid_fix[1], 0, sizeof(s->ubid_fix[1]));
		s->ubid_fix[1].status = BPF_STACK_BUILD_ID_IP;
		s->ubid_fix[1].ip = ret;
		memcpy(s->ubid_fix + 2, ev->ubid + 1, (size_t)(n - 1) * sizeof(*s->ubid_fix));
		ev->ubid = s->ubid_fix;
	}
	ev->ustack_frames = n + 1;
}

static void decode_ustack(struct session *s, struct event *ev, const unsigned char *stack)
{
	const struct rec_hdr *h = ev->h;
	int n = h->ustack_bytes / 8, nb = h->ubid_bytes / (int)sizeof(*ev->ubid);
	uint64_t ret;

	if (h->ustack_bytes < 0) {
		ev->ustack_err = -h->ustack_bytes;
		return;
	}
	memcpy(&ret, stack, sizeof(ret));
	stack += REC_URET_BYTES;
	ev->ustack = (const __u64 *)(const void *)stack;
	if (n > REC_USTACK_DEPTH)
		n = REC_USTACK_DEPTH;
	while (n > 0 && !ev->ustack[n - 1])
		n--;
	/*
	 * Frame-pointer walks end in whatever the outermost frame left in its
	 * frame pointer's place (code built without frame pointers, _start):
	 * a value that is no user address ends the stack.
	 */
	for (int i = 1; i < n; i++)
		if (ev->ustack[i] < 4096 || ev->ustack[i] >= arch_current()->user_top) {
			n = i;
			break;
		}
	ev->ustack_frames = n;
	/* Both walks saw the same stack; use the build-ids only if they line up. */
	if (h->ubid_bytes > 0 && nb >= n)
		ev->ubid = (const void *)(stack + REC_USTACK_BYTES);
	if (ev->p->ustack_at_entry)
		insert_caller(s, ev, ret);
}

int output_user_frame(struct session *s, const struct event *ev, int i, char *buf, size_t len)
{
	const struct bpf_stack_build_id *b = ev->ubid ? &ev->ubid[i] : NULL;

	if (b && b->status == BPF_STACK_BUILD_ID_VALID)
		return usyms_format_frame(s->usyms, (pid_t)(ev->h->pid_tgid >> 32), ev->ustack[i],
					  b->build_id, BPF_BUILD_ID_SIZE, b->offset, buf, len);
	return usyms_format_addr(s->usyms, (pid_t)(ev->h->pid_tgid >> 32), ev->ustack[i], true,
				 buf, len);
}

void output_user_sym(struct session *s, const struct event *ev, int i, struct usym_info *out)
{
	const struct bpf_stack_build_id *b = ev->ubid ? &ev->ubid[i] : NULL;

	if (b && b->status == BPF_STACK_BUILD_ID_VALID)
		usyms_lookup_frame(s->usyms, (pid_t)(ev->h->pid_tgid >> 32), ev->ustack[i],
				   b->build_id, BPF_BUILD_ID_SIZE, b->offset, out);
	else
		usyms_lookup_addr(s->usyms, (pid_t)(ev->h->pid_tgid >> 32), ev->ustack[i], out);
}

/* %U values: named in the process that recorded them. */
static void name_user_addrs(struct session *s, struct event *ev, struct fmt_value *vals,
			    char (*names)[256])
{
	for (size_t i = 0; i < ev->nvalues; i++)
		if (vals[i].kind == FV_USYM) {
			usyms_format_addr(s->usyms, (pid_t)(ev->h->pid_tgid >> 32), vals[i].u,
					  false, names[i], sizeof(names[i]));
			vals[i].str = names[i];
		}
}

/* Decode @data into @ev; false when -n or -f leaves it out. */
static bool decode(struct session *s, struct probe *p, const unsigned char *data,
		   struct event *ev, struct fmt_value *vals, char (*names)[256])
{
	const struct rec_hdr *h = (const void *)data;
	const struct layout *l = &p->layout;

	memset(ev, 0, sizeof(*ev));
	ev->p = p;
	ev->h = h;
	memcpy(ev->comm, h->comm, REC_COMM_LEN);
	ev->comm[REC_COMM_LEN] = '\0';
	sb_reset(&s->msg);
	if (l->fmt) {
		const void *raw[MAX_VALUES];

		ev->nvalues = l->nslots < MAX_VALUES ? l->nslots : MAX_VALUES;
		for (size_t i = 0; i < ev->nvalues; i++)
			raw[i] = data + sizeof(*h) + l->slots[i].offset;
		fmt_decode(l->fmt, raw, s->opt.string_size, vals);
		ev->values = vals;
		if (s->usyms)
			name_user_addrs(s, ev, vals, names);
		fmt_render_values(l->fmt, vals, s->ksyms,
				  s->opt.raw_strings || s->backend->escapes, &s->msg);
	}
	ev->msg = s->msg.buf ? s->msg.buf : "";
	ev->msg_len = s->msg.len;
	/* -f: a substring of the message as it is printed (JSON: as msg holds it). */
	if (s->opt.msg_filter &&
	    !memmem(ev->msg, ev->msg_len, s->opt.msg_filter, strlen(s->opt.msg_filter)))
		return false;
	ev->func = func_column(s, p, h);
	if (s->opt.kstack)
		decode_stack(s, ev, data + sizeof(*h) + l->values_size);
	if (s->opt.ustack)
		decode_ustack(s, ev, data + sizeof(*h) + l->values_size +
			      (s->opt.kstack ? REC_STACK_BYTES : 0));
	return true;
}

int output_event(struct session *s, const void *data, size_t size)
{
	const struct rec_hdr *h = data;
	struct fmt_value vals[MAX_VALUES];
	char names[MAX_VALUES][256];
	struct event ev;
	struct probe *p;

	if (size < sizeof(*h) || h->probe_id >= s->nprobes)
		return 0;
	p = &s->probes[h->probe_id];
	p->rt.seen++;
	/* After -M or a closed stdout nothing more is printed; after a signal, what came before is. */
	if (s->stop != STOP_NONE && s->stop != STOP_SIGNAL && s->stop != STOP_TARGET)
		return 0;
	if (size < (size_t)codegen_record_size(s, p))
		return 0;
	/* A process's mappings are read when it is first seen, while it still runs. */
	if (s->usyms) {
		usyms_note_pid(s->usyms, (pid_t)(h->pid_tgid >> 32));
		if (p->layout.records_base)
			usyms_place_file(s->usyms, (pid_t)(h->pid_tgid >> 32), p->prov->file(p),
					 h->func_ip);
	}
	if (!decode(s, p, data, &ev, vals, names))
		return 0;
	s->backend->event(s, &ev);
	p->rt.printed++;
	if (s->opt.max_events && ++s->printed >= s->opt.max_events)
		return 1;
	return 0;
}
