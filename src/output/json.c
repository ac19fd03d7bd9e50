// SPDX-License-Identifier: BSD-2-Clause
/*
 * The JSON backend (--json): one object per line for each event, and one
 * at the end of the run with the per-probe counts, for log and metrics
 * pipelines. Every line has a "type" ("event" or "end"). docs/json.md is
 * the schema: a change here is a change there.
 *
 * Numbers are printed as exact integer digits; addresses as "0x..."
 * strings, since many JSON readers keep numbers as doubles and kernel
 * addresses are far above 2^53. Strings go through sb_append_json_str():
 * what traced processes wrote arrives here unescaped (the backend sets
 * .escapes) and is escaped once, for JSON. Lines are built with strbuf
 * appends, not printf: this runs for every event.
 */
#include <string.h>

#include "output/format.h"
#include "output/hist.h"
#include "output/output.h"
#include "runtime/record.h"
#include "sym/ksym.h"
#include "sym/usym.h"
#include "util.h"

/* Append a string literal (a key with its punctuation); "" makes anything else an error. */
#define put_lit(sb, lit) sb_append((sb), "" lit, sizeof("" lit) - 1)

static void put_u64(struct strbuf *sb, uint64_t v)
{
	sb_append_u64(sb, v, 10, false);
}

/* A NUL-terminated string, or null. */
static void put_str(struct strbuf *sb, const char *s)
{
	if (s)
		sb_append_json_str(sb, s, strlen(s));
	else
		put_lit(sb, "null");
}

static void put_addr(struct strbuf *sb, uint64_t addr)
{
	put_lit(sb, "\"0x");
	sb_append_u64(sb, addr, 16, false);
	put_lit(sb, "\"");
}

/* {"addr":"0x...","sym":...,"offset":...,"module":...}: null for what is not known. */
static void put_sym(struct strbuf *sb, uint64_t addr, const char *sym, uint64_t offset,
		    const char *module)
{
	put_lit(sb, "{\"addr\":");
	put_addr(sb, addr);
	put_lit(sb, ",\"sym\":");
	put_str(sb, sym);
	put_lit(sb, ",\"offset\":");
	if (sym)
		put_u64(sb, offset);
	else
		put_lit(sb, "null");
	put_lit(sb, ",\"module\":");
	put_str(sb, module);
	put_lit(sb, "}");
}

static void put_ksym(struct session *s, uint64_t addr)
{
	const struct ksym *k = ksyms__lookup(s->ksyms, addr);

	if (k)
		put_sym(&s->line, addr, k->name, addr - k->addr, k->module);
	else
		put_sym(&s->line, addr, NULL, 0, NULL);
}

/* A user address of the event's process (%U). */
static void put_usym(struct session *s, const struct event *ev, uint64_t addr)
{
	struct usym_info in = { 0 };

	if (s->usyms)
		usyms_lookup_addr(s->usyms, (pid_t)(ev->h->pid_tgid >> 32), addr, &in);
	put_sym(&s->line, addr, in.sym, in.offset, in.module);
}

static void put_value(struct session *s, const struct event *ev, const struct fmt_value *v)
{
	struct strbuf *sb = &s->line;
	char c;

	switch (v->kind) {
	case FV_SIGNED:
		sb_append_i64(sb, v->i);
		return;
	case FV_UNSIGNED:
		put_u64(sb, v->u);
		return;
	case FV_CHAR:
		c = (char)v->u;
		sb_append_json_str(sb, &c, 1);
		return;
	case FV_POINTER:
		put_addr(sb, v->u);
		return;
	case FV_KSYM:
		put_ksym(s, v->u);
		return;
	case FV_USYM:
		put_usym(s, ev, v->u);
		return;
	case FV_STRING:
		sb_append_json_str(sb, v->str, v->len);
		return;
	}
}

/* "args": one typed value per conversion; "truncated": strings cut at -Z. */
static void put_args(struct session *s, const struct event *ev)
{
	struct strbuf *sb = &s->line;
	bool cut = false;

	put_lit(sb, ",\"args\":[");
	for (size_t i = 0; i < ev->nvalues; i++) {
		if (i)
			put_lit(sb, ",");
		put_value(s, ev, &ev->values[i]);
		cut |= ev->values[i].kind == FV_STRING && ev->values[i].cut;
	}
	put_lit(sb, "]");
	if (!cut)
		return;
	put_lit(sb, ",\"truncated\":[");
	for (size_t i = 0, n = 0; i < ev->nvalues; i++) {
		if (ev->values[i].kind != FV_STRING || !ev->values[i].cut)
			continue;
		if (n++)
			put_lit(sb, ",");
		put_u64(sb, i);
	}
	put_lit(sb, "]");
}

/* "kstack": frames from the probed function outwards, or null and "kstack_error". */
static void put_kstack(struct session *s, const struct event *ev)
{
	struct strbuf *sb = &s->line;

	if (ev->kstack_err) {
		put_lit(sb, ",\"kstack\":null,\"kstack_error\":");
		put_str(sb, strerror(ev->kstack_err));
		return;
	}
	put_lit(sb, ",\"kstack\":[");
	for (int i = 0; i < ev->kstack_frames; i++) {
		if (i)
			put_lit(sb, ",");
		put_ksym(s, ev->kstack[i]);
	}
	put_lit(sb, "]");
}

static void put_ustack(struct session *s, const struct event *ev)
{
	struct strbuf *sb = &s->line;
	struct usym_info in;

	if (ev->ustack_err) {
		put_lit(sb, ",\"ustack\":null,\"ustack_error\":");
		put_str(sb, strerror(ev->ustack_err));
		return;
	}
	put_lit(sb, ",\"ustack\":[");
	for (int i = 0; i < ev->ustack_frames; i++) {
		if (i)
			put_lit(sb, ",");
		output_user_sym(s, ev, i, &in);
		put_sym(sb, ev->ustack[i], in.sym, in.offset, in.module);
	}
	put_lit(sb, "]");
}

/* The probe as written, escaped once per run rather than once per event. */
static void put_spec(struct session *s, const struct probe *p)
{
	struct strbuf *spec = &s->probes[p->id].out_spec;

	if (!spec->len)
		put_str(spec, p->spec.raw);
	sb_append(&s->line, spec->buf, spec->len);
}

/* What an event (or a counted key) shows: func, msg, args and the stacks. */
static void put_shown(struct session *s, const struct event *ev)
{
	struct strbuf *sb = &s->line;

	put_lit(sb, ",\"func\":");
	put_str(sb, ev->func);
	put_lit(sb, ",\"msg\":");
	sb_append_json_str(sb, ev->msg, ev->msg_len);
	put_args(s, ev);
	if (s->opt.kstack)
		put_kstack(s, ev);
	if (s->opt.ustack)
		put_ustack(s, ev);
}

static void json_event(struct session *s, const struct event *ev)
{
	const struct rec_hdr *h = ev->h;
	struct strbuf *sb = &s->line;

	sb_reset(sb);
	put_lit(sb, "{\"type\":\"event\",\"time\":");
	put_u64(sb, h->ts);
	/* Wall clock: the offset from the start, added to the start's. Unsigned wraps are fine. */
	put_lit(sb, ",\"unix_ns\":");
	put_u64(sb, s->start_wall_ns + (h->ts - s->start_mono_ns));
	put_lit(sb, ",\"cpu\":");
	put_u64(sb, h->cpu);
	put_lit(sb, ",\"pid\":");
	put_u64(sb, (uint32_t)(h->pid_tgid >> 32));
	put_lit(sb, ",\"tid\":");
	put_u64(sb, (uint32_t)h->pid_tgid);
	put_lit(sb, ",\"comm\":");
	sb_append_json_str(sb, ev->comm, strlen(ev->comm));
	put_lit(sb, ",\"probe\":");
	put_u64(sb, (uint64_t)ev->p->spec.index);
	put_lit(sb, ",\"spec\":");
	put_spec(s, ev->p);
	put_shown(s, ev);
	put_lit(sb, "}\n");
	sink_write(&s->out, sb->buf, sb->len);
}

/* A histogram bound: a number as the shape reads it, or null where the bucket is open. */
static void put_bound(struct strbuf *sb, bool has, uint64_t v, bool is_signed)
{
	if (!has)
		put_lit(sb, "null");
	else if (is_signed)
		sb_append_i64(sb, (int64_t)v);
	else
		put_u64(sb, v);
}

/* "hist": the buckets that counted something as {min, max (exclusive), count}, and the sums. */
static void put_hist(struct strbuf *sb, const struct agg_set *set, const struct agg_entry *a)
{
	struct hist_range r;

	put_lit(sb, ",\"hist\":{\"kind\":");
	if (set->shape->linear)
		put_lit(sb, "\"linear\"");
	else
		put_lit(sb, "\"log2\"");
	put_lit(sb, ",\"buckets\":[");
	for (int i = 0, n = 0; i < set->shape->nbuckets; i++) {
		if (!a->buckets[i])
			continue;
		hist_range(set->shape, i, &r);
		if (n++)
			put_lit(sb, ",");
		put_lit(sb, "{\"min\":");
		put_bound(sb, r.has_lo, r.lo, r.signed_bounds);
		put_lit(sb, ",\"max\":");
		put_bound(sb, r.has_hi, r.hi, r.signed_bounds);
		put_lit(sb, ",\"count\":");
		put_u64(sb, a->buckets[i]);
		put_lit(sb, "}");
	}
	put_lit(sb, "],\"sum\":");
	put_bound(sb, true, a->sum, a->value_signed);
	put_lit(sb, ",\"min\":");
	put_bound(sb, true, a->min, a->value_signed);
	put_lit(sb, ",\"max\":");
	put_bound(sb, true, a->max, a->value_signed);
	put_lit(sb, "}");
}

/* One object per key: what its events show, how many there were, and the histogram. */
static void json_aggregate(struct session *s, const struct agg_set *set)
{
	struct strbuf *sb = &s->line;

	for (size_t i = 0; i < set->n; i++) {
		const struct agg_entry *a = &set->entries[i];
		const struct event *ev = &a->ev;

		sb_reset(sb);
		put_lit(sb, "{\"type\":\"aggregate\"");
		if (set->stamp) {
			put_lit(sb, ",\"interval_end\":");
			put_u64(sb, (uint64_t)set->when);
		}
		put_lit(sb, ",\"probe\":");
		put_u64(sb, (uint64_t)ev->p->spec.index);
		put_lit(sb, ",\"spec\":");
		put_spec(s, ev->p);
		if (a->has_pid) {
			put_lit(sb, ",\"pid\":");
			put_u64(sb, (uint32_t)(ev->h->pid_tgid >> 32));
		}
		if (set->mode == AGG_FOLDED) {
			put_lit(sb, ",\"comm\":");
			sb_append_json_str(sb, ev->comm, strlen(ev->comm));
		}
		put_shown(s, ev);
		put_lit(sb, ",\"count\":");
		put_u64(sb, a->count);
		if (a->buckets)
			put_hist(sb, set, a);
		put_lit(sb, "}\n");
		sink_write(&s->out, sb->buf, sb->len);
	}
}

static const char *stop_reason_name(enum stop_reason why)
{
	switch (why) {
	case STOP_SIGNAL: return "signal";
	case STOP_TARGET: return "process-exited";
	case STOP_MAX_EVENTS: return "max-events";
	case STOP_DURATION: return "duration";
	case STOP_OUTPUT: return "output-closed";
	case STOP_ERROR: return "error";
	case STOP_NONE: break;
	}
	return "none";
}

/* "events", "printed" and "lost" of one probe or of all. */
static void put_counts(struct strbuf *sb, uint64_t seen, uint64_t printed, uint64_t lost)
{
	put_lit(sb, "\"events\":");
	put_u64(sb, seen);
	put_lit(sb, ",\"printed\":");
	put_u64(sb, printed);
	put_lit(sb, ",\"lost\":");
	put_u64(sb, lost);
}

static void json_end(struct session *s)
{
	uint64_t seen = 0, printed = 0, lost = 0;
	struct strbuf *sb = &s->line;

	sb_reset(sb);
	put_lit(sb, "{\"type\":\"end\",\"reason\":\"");
	sb_append(sb, stop_reason_name(s->stop), strlen(stop_reason_name(s->stop)));
	put_lit(sb, "\",\"probes\":[");
	for (size_t i = 0, n = 0; i < s->nprobes; i++) {
		const struct probe *p = &s->probes[i], *e = probe_entry(s, p);

		/* Entry probes etrace added are their return probe's "not_timed". */
		if (p->ret_of)
			continue;
		if (n++)
			put_lit(sb, ",");
		put_lit(sb, "{\"probe\":");
		put_u64(sb, (uint64_t)p->spec.index);
		put_lit(sb, ",\"spec\":");
		put_str(sb, p->spec.raw);
		put_lit(sb, ",");
		put_counts(sb, p->rt.seen, p->rt.printed, p->rt.lost);
		if (e) {
			put_lit(sb, ",\"not_timed\":");
			put_u64(sb, e->rt.lost);
		}
		put_lit(sb, "}");
		seen += p->rt.seen;
		printed += p->rt.printed;
		lost += p->rt.lost;
	}
	put_lit(sb, "],");
	put_counts(sb, seen, printed, lost);
	put_lit(sb, "}\n");
	sink_write(&s->out, sb->buf, sb->len);
}

/* No header: every line is an object on its own. */
const struct backend json_backend = {
	.name = "json",
	.escapes = true,
	.event = json_event,
	.end = json_end,
	.aggregate = json_aggregate,
};
