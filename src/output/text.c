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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/aggregate.h"
#include "output/format.h"
#include "output/hist.h"
#include "output/output.h"
#include "runtime/aggmap.h"
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
	if (aggregating(&s->opt)) {
		/* Only -A's blocks have columns (as BCC's -A prints its header). */
		if (s->opt.agg != AGG_COUNT)
			return;
		if (aggregate_has_pid(s))
			line_printf(s, "%-7s ", "PID");
		line_printf(s, "%-16s %s\n", "FUNC", s->any_action ? "-" : "");
		sink_write(&s->out, s->line.buf, s->line.len);
		return;
	}
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

/* Why a stack is missing; counting adds the stack maps' own reasons. */
static const char *stack_error(int err)
{
	if (err == EEXIST)
		return "the stack map's bucket for it holds another stack";
	if (err == ENOMEM)
		return "the stack map is full";
	return strerror(err);
}

static void put_kstack(struct session *s, const struct event *ev)
{
	char sym[512];

	if (ev->kstack_err) {
		line_printf(s, "        [kernel stack unavailable: %s]\n",
			    stack_error(ev->kstack_err));
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
		line_printf(s, "        [user stack unavailable: %s]\n",
			    stack_error(ev->ustack_err));
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

/* --- counts (-A, -H, --lhist, --folded) -------------------------------------------- */

/*
 * What tells a key apart, as events print it without the per-event
 * columns: [PID] FUNC message, then the stacks. PID only when some key
 * holds the process (-U, %U); "-" for the probes whose keys do not.
 */
static void put_block(struct session *s, const struct agg_entry *e, bool pid_col)
{
	if (pid_col && e->has_pid)
		put_col_u(s, (unsigned int)(e->ev.h->pid_tgid >> 32), 7);
	else if (pid_col)
		put_col_s(s, "-", 7);
	put_col_s(s, e->ev.func, 16);
	sb_append(&s->line, e->ev.msg, strlen(e->ev.msg));
	sb_append(&s->line, "\n", 1);
	if (s->opt.kstack)
		put_kstack(s, &e->ev);
	if (s->opt.ustack)
		put_ustack(s, &e->ev);
}

/* BCC's -A: the event's text, then "-->COUNT N" and an empty line. */
static void put_count(struct session *s, const struct agg_entry *e, bool pid_col)
{
	put_block(s, e, pid_col);
	line_printf(s, "-->COUNT %llu\n\n", (unsigned long long)e->count);
}

/* The block, the histogram (as bpftrace draws one), its numbers and an empty line. */
static void put_hist(struct session *s, const struct agg_set *set, const struct agg_entry *e,
		     bool pid_col)
{
	put_block(s, e, pid_col);
	hist_draw(set->shape, e->buckets, &s->line);
	hist_stats(e->count, e->sum, e->min, e->max, e->value_signed, &s->line);
	sb_append(&s->line, "\n", 1);
}

/* One folded frame: a name, escaped, without the ';' that separates frames. */
static void put_frame(struct strbuf *out, const char *name, size_t len)
{
	size_t start = out->len;

	sb_append(out, ";", 1);
	sb_append_escaped(out, name, len, true);
	for (size_t i = start + 1; i < out->len; i++)
		if (out->buf[i] == ';')
			out->buf[i] = ':';
}

/* "sym+0xoff [module]" as the function name alone. */
static size_t frame_name(const char *text)
{
	const char *off = strstr(text, "+0x"), *next;

	if (!strncmp(text, "[unknown]", 9))
		return 9;
	/* The last "+0x" ends the name (C++ names may hold one). */
	while (off && (next = strstr(off + 1, "+0x")))
		off = next;
	return off ? (size_t)(off - text) : strlen(text);
}

/* comm;user frames, outermost first;kernel frames, outermost first */
static void folded_line(struct session *s, const struct agg_entry *e, struct strbuf *out)
{
	const struct event *ev = &e->ev;
	char sym[512];

	sb_reset(out);
	put_frame(out, ev->comm, strlen(ev->comm));
	if (s->opt.ustack && ev->ustack_err && ev->ustack_err != EFAULT)
		put_frame(out, "[user stack lost]", 17);
	for (int i = ev->ustack_frames - 1; s->opt.ustack && i >= 0; i--) {
		output_user_frame(s, ev, i, sym, sizeof(sym));
		put_frame(out, sym, frame_name(sym));
	}
	if (s->opt.kstack && ev->kstack_err)
		put_frame(out, "[kernel stack lost]", 19);
	for (int i = ev->kstack_frames - 1; s->opt.kstack && i >= 0; i--) {
		const struct ksym *k = ksyms__lookup(s->ksyms, ev->kstack[i]);
		const char *name = k ? k->name : "[unknown]";

		put_frame(out, name, strlen(name));
	}
}

struct folded {
	char *text;
	uint64_t count;
};

static int by_text(const void *pa, const void *pb)
{
	return strcmp(((const struct folded *)pa)->text, ((const struct folded *)pb)->text);
}

static int by_count(const void *pa, const void *pb)
{
	const struct folded *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->text, b->text);
}

/*
 * --folded: one line per stack for flamegraph.pl and its kin. Keys that
 * fold to the same names (other offsets, other processes of one name) are
 * one line.
 */
static void put_folded(struct session *s, const struct agg_set *set)
{
	struct folded *f = xcalloc(set->n + 1, sizeof(*f));
	struct strbuf line = { 0 };
	size_t n = 0;

	for (size_t i = 0; i < set->n; i++) {
		folded_line(s, &set->entries[i], &line);
		/* The leading ';' was only the separator's. */
		f[i].text = xstrdup(line.buf + 1);
		f[i].count = set->entries[i].count;
	}
	qsort(f, set->n, sizeof(*f), by_text);
	for (size_t i = 0; i < set->n; i++) {
		if (n && !strcmp(f[n - 1].text, f[i].text)) {
			f[n - 1].count += f[i].count;
			free(f[i].text);
			continue;
		}
		f[n++] = f[i];
	}
	qsort(f, n, sizeof(*f), by_count);
	for (size_t i = 0; i < n; i++) {
		sb_reset(&s->line);
		line_printf(s, "%s %llu\n", f[i].text, (unsigned long long)f[i].count);
		sink_write(&s->out, s->line.buf, s->line.len);
		free(f[i].text);
	}
	sb_free(&line);
	free(f);
}

static void text_aggregate(struct session *s, const struct agg_set *set)
{
	bool pid_col = aggregate_has_pid(s);

	if (set->stamp) {
		char stamp[16];
		struct tm tm;

		localtime_r(&set->when, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		sb_reset(&s->line);
		line_printf(s, "%s\n", stamp);
		sink_write(&s->out, s->line.buf, s->line.len);
	}
	if (set->mode == AGG_FOLDED) {
		put_folded(s, set);
		return;
	}
	for (size_t i = 0; i < set->n; i++) {
		sb_reset(&s->line);
		if (set->mode == AGG_COUNT)
			put_count(s, &set->entries[i], pid_col);
		else
			put_hist(s, set, &set->entries[i], pid_col);
		sink_write(&s->out, s->line.buf, s->line.len);
	}
}

const struct backend text_backend = {
	.name = "text",
	.header = text_header,
	.event = text_event,
	.aggregate = text_aggregate,
};
