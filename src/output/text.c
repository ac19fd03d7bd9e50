// SPDX-License-Identifier: BSD-2-Clause
/*
 * The text backend: BCC trace's output. Column widths and header strings
 * are BCC trace's (see
 * shared/bcc-trace-reference.md, section 3), so scripts that parse its
 * output keep working.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "output/format.h"
#include "output/output.h"
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

static void text_header(struct session *s)
{
	sb_reset(&s->line);
	if (has_time(s))
		line_printf(s, s->opt.unix_ts ? "%-17s " : "%-8s ", "TIME");
	if (s->opt.print_cpu)
		line_printf(s, "%-3s ", "CPU");
	line_printf(s, "%-7s %-7s %-15s %-16s %s\n", "PID", "TID", "COMM", "FUNC",
		    s->any_action ? "-" : "");
	sink_write(&s->out, s->line.buf, s->line.len);
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

static void put_kstack(struct session *s, const struct event *ev)
{
	char sym[512];

	if (ev->kstack_err) {
		line_printf(s, "        [kernel stack unavailable: %s]\n", strerror(ev->kstack_err));
		return;
	}
	for (int i = 0; i < ev->kstack_frames; i++) {
		__u64 addr = ev->kstack[i];

		ksyms__format(s->ksyms, addr, true, sym, sizeof(sym));
		if (s->opt.address)
			line_printf(s, "        %16llx %s\n", (unsigned long long)addr, sym);
		else
			line_printf(s, "        %s\n", sym);
	}
}

static void put_ustack(struct session *s, const struct event *ev)
{
	struct strbuf esc = { 0 };
	char sym[512];

	if (ev->ustack_err) {
		line_printf(s, "        [user stack unavailable: %s]\n", strerror(ev->ustack_err));
		return;
	}
	for (int i = 0; i < ev->ustack_frames; i++) {
		int n = output_user_frame(s, ev, i, sym, sizeof(sym));

		/* Symbol and file names come from files anyone may have written. */
		sb_reset(&esc);
		sb_append_escaped(&esc, sym, n > 0 && (size_t)n < sizeof(sym) ? (size_t)n :
				  strlen(sym), false);
		if (s->opt.address)
			line_printf(s, "        %16llx %s\n", (unsigned long long)ev->ustack[i],
				    esc.buf);
		else
			line_printf(s, "        %s\n", esc.buf);
	}
	sb_free(&esc);
}

/* A left-aligned column of at least @width bytes and the space after it ("%-7u "). */
static void put_col_u(struct session *s, unsigned int v, size_t width)
{
	size_t start = s->line.len;

	sb_append_u64(&s->line, v, 10, false);
	sb_pad_to(&s->line, start, width);
	sb_append(&s->line, " ", 1);
}

static void put_col_s(struct session *s, const char *text, size_t width)
{
	size_t start = s->line.len;

	sb_append(&s->line, text, strlen(text));
	sb_pad_to(&s->line, start, width);
	sb_append(&s->line, " ", 1);
}

/* COMM, escaped: a process names itself, so it is not to be trusted. */
static void put_comm(struct session *s, const char *comm)
{
	size_t n = strlen(comm), start = s->line.len;

	if (s->opt.raw_strings || text_is_safe(comm, n)) {
		put_col_s(s, comm, 15);
		return;
	}
	sb_append_escaped(&s->line, comm, n, true);
	sb_pad_to(&s->line, start, 15);
	sb_append(&s->line, " ", 1);
}

/* "TIME CPU PID TID COMM FUNC msg" and the stack, as BCC prints them. */
static void text_event(struct session *s, const struct event *ev)
{
	const struct rec_hdr *h = ev->h;

	sb_reset(&s->line);
	if (has_time(s))
		put_time(s, h);
	if (s->opt.print_cpu)
		put_col_u(s, h->cpu, 3);
	put_col_u(s, (unsigned int)(h->pid_tgid >> 32), 7);
	put_col_u(s, (unsigned int)h->pid_tgid, 7);
	put_comm(s, ev->comm);
	put_col_s(s, ev->func, 16);
	sb_append(&s->line, ev->msg, strlen(ev->msg));
	sb_append(&s->line, "\n", 1);
	if (s->opt.kstack)
		put_kstack(s, ev);
	if (s->opt.ustack)
		put_ustack(s, ev);
	if (s->opt.kstack || s->opt.ustack)
		line_printf(s, "\n");
	sink_write(&s->out, s->line.buf, s->line.len);
}

const struct backend text_backend = {
	.name = "text",
	.header = text_header,
	.event = text_event,
};
