// SPDX-License-Identifier: BSD-2-Clause
/*
 * Column widths and header strings are BCC trace's (see
 * shared/bcc-trace-reference.md, section 3), so scripts that parse its
 * output keep working.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "output/format.h"
#include "output/text.h"
#include "runtime/record.h"
#include "sym/ksym.h"
#include "util.h"

static void line_printf(struct session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Append to the line being built. */
static void line_printf(struct session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(&s->line, fmt, ap);
	va_end(ap);
}

static bool has_time(const struct session *s)
{
	return s->opt.timestamp || s->opt.wallclock;
}

void output_header(struct session *s)
{
	sb_reset(&s->line);
	if (has_time(s))
		line_printf(s, s->opt.unix_ts ? "%-17s " : "%-8s ", "TIME");
	if (s->opt.print_cpu)
		line_printf(s, "%-3s ", "CPU");
	line_printf(s, "%-7s %-7s %-15s %-16s %s\n", "PID", "TID", "COMM", "FUNC",
		    s->any_action ? "-" : "");
	sink_write(&s->out, s->line.buf, s->line.len);
	sink_flush(&s->out);
}

/* TIME column: -t offset (or UNIX time with -u), -T wall clock. */
static void put_time(struct session *s, const struct rec_hdr *h)
{
	char tbuf[64];
	int width = s->opt.unix_ts ? 17 : 8;

	if (s->opt.timestamp) {
		double t = (double)(h->ts - s->start_mono_ns) / 1e9;

		if (s->opt.unix_ts)
			t += s->start_wall;
		snprintf(tbuf, sizeof(tbuf), "%.6f", t);
	} else {
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	}
	/* BCC truncates the text to the column width. */
	tbuf[width] = '\0';
	line_printf(s, "%-*s ", width, tbuf);
}

/*
 * Where the stack of a function probe really starts. Some mechanisms
 * (fentry and fexit) make the kernel's unwinder also report the BPF
 * program and its trampoline, which have no symbols; the probed function's
 * own frame follows them. Skip to it when it is among the first frames.
 */
static int first_frame(struct session *s, const struct probe *p, const struct rec_hdr *h,
		       const unsigned char *stack, int n)
{
	const struct ksym *want, *k;

	if (!p->stack_from_func)
		return 0;
	want = p->records_func_ip ? ksyms__lookup(s->ksyms, h->func_ip) :
				    ksyms__find(s->ksyms, p->func_name);
	for (int i = 0; want && i < n && i < 4; i++) {
		__u64 addr;

		memcpy(&addr, stack + i * 8, 8);
		k = ksyms__lookup(s->ksyms, addr);
		if (k && k->addr == want->addr)
			return i;
	}
	return 0;
}

static void put_kstack(struct session *s, const struct probe *p, const struct rec_hdr *h,
		       const unsigned char *stack)
{
	char sym[512];
	int n = h->kstack_bytes / 8;

	if (h->kstack_bytes < 0) {
		line_printf(s, "        [kernel stack unavailable: %s]\n",
			    strerror(-h->kstack_bytes));
		return;
	}
	for (int i = first_frame(s, p, h, stack, n); i < n && i < REC_STACK_DEPTH; i++) {
		__u64 addr;

		memcpy(&addr, stack + i * 8, 8);
		if (!addr)
			break;
		ksyms__format(s->ksyms, addr, true, sym, sizeof(sym));
		if (s->opt.address)
			line_printf(s, "        %16llx %s\n", (unsigned long long)addr, sym);
		else
			line_printf(s, "        %s\n", sym);
	}
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

/* COMM, escaped: a process names itself, so it is not to be trusted. */
static void put_comm(struct session *s, const struct rec_hdr *h)
{
	size_t n = strnlen(h->comm, REC_COMM_LEN), start = s->line.len, shown;
	char comm[REC_COMM_LEN + 1];

	memcpy(comm, h->comm, n);
	comm[n] = '\0';
	if (s->opt.raw_strings || text_is_safe(comm, n)) {
		line_printf(s, "%-15s ", comm);
		return;
	}
	sb_append_escaped(&s->line, comm, n, true);
	shown = s->line.len - start;
	line_printf(s, "%*s", shown < 15 ? (int)(16 - shown) : 1, "");
}

/* Build "PID TID COMM FUNC msg" and the stacks; false if filtered out by -n/-f. */
static bool format_event(struct session *s, struct probe *p, const struct rec_hdr *h,
			 const unsigned char *data)
{
	sb_reset(&s->msg);
	if (s->opt.name_filter) {
		char comm[REC_COMM_LEN + 1];

		memcpy(comm, h->comm, REC_COMM_LEN);
		comm[REC_COMM_LEN] = '\0';
		if (!strstr(comm, s->opt.name_filter))
			return false;
	}
	if (p->layout.fmt) {
		const void *vals[64];
		size_t n = p->layout.nslots < 64 ? p->layout.nslots : 64;

		for (size_t i = 0; i < n; i++)
			vals[i] = data + sizeof(*h) + p->layout.slots[i].offset;
		fmt_render(p->layout.fmt, vals, s->opt.string_size, s->ksyms, s->opt.raw_strings,
			   &s->msg);
	}
	if (s->opt.msg_filter && !strstr(s->msg.buf ? s->msg.buf : "", s->opt.msg_filter))
		return false;
	sb_reset(&s->line);
	if (has_time(s))
		put_time(s, h);
	if (s->opt.print_cpu)
		line_printf(s, "%-3u ", h->cpu);
	line_printf(s, "%-7u %-7u ", (unsigned)(h->pid_tgid >> 32), (unsigned)h->pid_tgid);
	put_comm(s, h);
	line_printf(s, "%-16s %s\n", func_column(s, p, h), s->msg.buf ? s->msg.buf : "");
	if (s->opt.kstack) {
		put_kstack(s, p, h, data + sizeof(*h) + p->layout.values_size);
		line_printf(s, "\n");
	}
	return true;
}

int output_event(struct session *s, const void *data, size_t size)
{
	const struct rec_hdr *h = data;
	struct probe *p;

	if (size < sizeof(*h) || h->probe_id >= s->nprobes)
		return 0;
	p = &s->probes[h->probe_id];
	p->rt.seen++;
	if (s->stop != STOP_NONE && s->stop != STOP_SIGNAL)
		return 0;
	if (!format_event(s, p, h, data))
		return 0;
	sink_write(&s->out, s->line.buf, s->line.len);
	if (s->opt.max_events && ++s->printed >= s->opt.max_events)
		return 1;
	return 0;
}
