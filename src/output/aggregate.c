// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "output/aggregate.h"
#include "output/output.h"
#include "providers/provider.h"
#include "runtime/aggmap.h"
#include "runtime/loader.h"
#include "runtime/maps.h"
#include "sym/usym.h"
#include "util.h"

/* The output side renders at most this many values per event (as output.c). */
#define MAX_VALUES 64

/* One read of the map: the keys, and what the decoded entries point into. */
struct agg_read {
	struct session *s;
	size_t key_size;
	size_t cpu_bytes;	/* one CPU's value, as the kernel lays them out */
	unsigned char *keys;	/* nkeys keys, kept until printed: strings point here */
	size_t nkeys, keys_cap;
	struct agg_entry *entries;
	size_t n;
	void **owned;		/* what the entries point to */
	size_t nowned, owned_cap;
	unsigned char *zero;	/* values a key does not hold decode from here */
	struct hist_shape shape;
};

static void *own(struct agg_read *r, void *p)
{
	r->owned = grow_array(r->owned, &r->owned_cap, r->nowned + 1, sizeof(*r->owned));
	r->owned[r->nowned++] = p;
	return p;
}

static void *own_copy(struct agg_read *r, const void *data, size_t len)
{
	return memcpy(own(r, xmalloc(len ? len : 1)), data, len);
}

bool aggregate_has_pid(const struct session *s)
{
	for (size_t i = 0; i < s->nprobes; i++)
		if (s->probes[i].layout.key.size && s->probes[i].layout.key.tgid >= 0)
			return true;
	return false;
}

static const struct probe *key_probe(const struct agg_read *r, const unsigned char *key)
{
	__u32 id;

	memcpy(&id, key, sizeof(id));
	return id < r->s->nprobes ? &r->s->probes[id] : NULL;
}

static bool in_epoch(const struct agg_read *r, const unsigned char *key, __u32 epoch)
{
	const struct probe *p = key_probe(r, key);
	__u32 e;

	if (!p || p->layout.key.epoch < 0)
		return true;
	memcpy(&e, key + p->layout.key.epoch, sizeof(e));
	return e == epoch;
}

/* Every key (of interval @epoch at a tick; -1: all). */
static int collect_keys(struct agg_read *r, int fd, long long epoch)
{
	unsigned char *prev = own(r, xcalloc(1, r->key_size)), *next;
	bool first = true;

	for (;;) {
		r->keys = grow_array(r->keys, &r->keys_cap, r->nkeys + 1, r->key_size);
		next = r->keys + r->nkeys * r->key_size;
		if (bpf_map_get_next_key(fd, first ? NULL : prev, next)) {
			if (errno == ENOENT)
				return 0;
			pr_err("cannot read the aggregation map: %s", strerror(errno));
			return ERR_RUNTIME;
		}
		/* Continue from this key, kept or not (the array may move as it grows). */
		memcpy(prev, next, r->key_size);
		first = false;
		if (epoch < 0 || in_epoch(r, next, (__u32)epoch))
			r->nkeys++;
	}
}

/* Stack @id of @role into @buf (the map's value size); bytes, or -errno. */
static int read_stack(struct agg_read *r, enum map_role role, __s32 id, void *buf)
{
	const struct map_entry *m = &r->s->maps[role];

	if (id < 0)
		return id;
	if (bpf_map_lookup_elem(m->fd, &id, buf))
		return -errno;
	return (int)m->value_size;
}

/*
 * The caller the kernel's stack walk missed (arm64 kprobes at entry), as
 * the second frame, as records have it.
 */
static void put_kcaller(const unsigned char *at, struct rec_hdr *h, __u64 *frames)
{
	int n = 0;
	__u64 caller;

	memcpy(&caller, at, sizeof(caller));
	if (!caller || h->kstack_bytes <= 0)
		return;
	while (n < h->kstack_bytes / 8 && n < REC_STACK_DEPTH && frames[n])
		n++;
	if (!n)
		return;
	if (n == REC_STACK_DEPTH)
		n--;
	memmove(frames + 2, frames + 1, (size_t)(n - 1) * sizeof(*frames));
	frames[1] = caller;
	h->kstack_bytes = (n + 1) * 8;
}

/*
 * The stacks of a key, laid out as records hold them (-K's frames, then
 * -U's return address, addresses and build-ids), and their sizes (or
 * errors) in the header, for output_decode().
 */
static unsigned char *read_stacks(struct agg_read *r, const unsigned char *key,
				  const struct key_layout *k, struct rec_hdr *h)
{
	size_t size = (k->kstack >= 0 ? REC_STACK_BYTES : 0) +
		      (k->ustack >= 0 ? REC_URET_BYTES + REC_USTACK_BYTES + REC_UBID_BYTES : 0);
	unsigned char *buf, *u;
	__s32 id;

	if (!size)
		return r->zero;
	buf = u = own(r, xcalloc(1, size));

	if (k->kstack >= 0) {
		memcpy(&id, key + k->kstack, sizeof(id));
		h->kstack_bytes = read_stack(r, MAP_KSTACKS, id, buf);
		if (k->kcaller >= 0)
			put_kcaller(key + k->kcaller, h, (__u64 *)(void *)buf);
		u += REC_STACK_BYTES;
	}
	if (k->ustack >= 0) {
		if (k->uret >= 0)
			memcpy(u, key + k->uret, REC_URET_BYTES);
		memcpy(&id, key + k->ustack, sizeof(id));
		h->ustack_bytes = read_stack(r, MAP_USTACKS, id, u + REC_URET_BYTES);
		memcpy(&id, key + k->ubid, sizeof(id));
		h->ubid_bytes = read_stack(r, MAP_UBIDS, id,
					   u + REC_URET_BYTES + REC_USTACK_BYTES);
	}
	return buf;
}

/* The header an event of this key would have had: process, function, name. */
static struct rec_hdr *key_header(struct agg_read *r, const struct probe *p,
				  const unsigned char *key)
{
	const struct key_layout *k = &p->layout.key;
	struct rec_hdr *h = own(r, xcalloc(1, sizeof(*h)));
	__u32 tgid = 0;

	h->probe_id = (__u32)p->id;
	if (k->tgid >= 0)
		memcpy(&tgid, key + k->tgid, sizeof(tgid));
	h->pid_tgid = (__u64)tgid << 32 | tgid;
	if (k->func_ip >= 0)
		memcpy(&h->func_ip, key + k->func_ip, sizeof(h->func_ip));
	if (k->comm >= 0)
		memcpy(h->comm, key + k->comm, REC_COMM_LEN);
	/* User addresses are named in their process: read its maps while it runs. */
	if (r->s->usyms && tgid) {
		usyms_note_pid(r->s->usyms, (pid_t)tgid);
		if (p->layout.records_base)
			usyms_place_file(r->s->usyms, (pid_t)tgid, p->prov->file(p), h->func_ip);
	}
	return h;
}

/*
 * What is printed of the values: all of them (-A), the part of the message
 * before the value a histogram draws, or nothing (--folded).
 */
static const struct fmt_spec *title_format(struct agg_read *r, const struct probe *p)
{
	struct fmt_spec *f;

	if (!p->layout.fmt || r->s->opt.agg == AGG_FOLDED)
		return NULL;
	if (!agg_is_hist(&r->s->opt))
		return p->layout.fmt;
	/* The same conversions, one fewer: rendering stops at the drawn one's text. */
	f = own(r, xmalloc(sizeof(*f)));
	*f = *p->layout.fmt;
	f->nconvs = (size_t)p->layout.key.hist;
	return f;
}

static bool has_usym(const struct fmt_spec *f)
{
	for (size_t i = 0; f && i < f->nconvs; i++)
		if (f->convs[i].conv == 'U')
			return true;
	return false;
}

/* Copy what output_decode() left in the session's scratch into the entry. */
static void keep_decoded(struct agg_read *r, struct agg_entry *e)
{
	struct session *s = r->s;
	size_t n = strlen(e->ev.msg);

	/* A histogram's title ends where its value was: no trailing blanks. */
	while (agg_is_hist(&s->opt) && n && e->ev.msg[n - 1] == ' ')
		n--;
	e->ev.msg = own(r, xstrndup(e->ev.msg, n));
	e->ev.msg_len = n;
	/* A histogram's values are the ones before the value it draws. */
	if (agg_is_hist(&s->opt) && e->ev.nvalues > (size_t)e->ev.p->layout.key.hist)
		e->ev.nvalues = (size_t)e->ev.p->layout.key.hist;
	if (s->ufix && (const void *)e->ev.ustack == (const void *)s->ufix)
		e->ev.ustack = own_copy(r, s->ufix, (size_t)e->ev.ustack_frames *
					sizeof(*s->ufix));
	if (s->ubid_fix && e->ev.ubid == s->ubid_fix)
		e->ev.ubid = own_copy(r, s->ubid_fix, (size_t)e->ev.ustack_frames *
				      sizeof(*s->ubid_fix));
}

static bool less(uint64_t a, uint64_t b, bool is_signed)
{
	return is_signed ? (int64_t)a < (int64_t)b : a < b;
}

/* The CPUs' values added up: count and buckets summed, the smallest min, the largest max. */
static void sum_cpus(struct agg_read *r, const unsigned char *vals, struct agg_entry *e)
{
	int nb = agg_nbuckets(&r->s->opt);
	uint64_t *buckets = nb ? own(r, xcalloc((size_t)nb, sizeof(*buckets))) : NULL;

	for (int cpu = 0; cpu < r->s->ncpus; cpu++) {
		const unsigned char *v = vals + (size_t)cpu * r->cpu_bytes;
		uint64_t c[4], b;

		memcpy(c, v, nb ? sizeof(c) : sizeof(c[0]));
		if (!c[0])
			continue;
		if (nb && (!e->count || less(c[2], e->min, e->value_signed)))
			e->min = c[2];
		if (nb && (!e->count || less(e->max, c[3], e->value_signed)))
			e->max = c[3];
		e->count += c[0];
		if (nb)
			e->sum += c[1];
		for (int i = 0; i < nb; i++) {
			memcpy(&b, v + AGG_OFF_BUCKETS + 8 * i, sizeof(b));
			buckets[i] += b;
		}
	}
	e->buckets = buckets;
}

/* Key @key with its per-CPU values @vals into @e; false when it prints nothing (-f). */
static bool decode_entry(struct agg_read *r, const unsigned char *key,
			 const unsigned char *vals, struct agg_entry *e)
{
	struct session *s = r->s;
	struct probe *p = (struct probe *)key_probe(r, key);
	const void *raw[MAX_VALUES];
	struct fmt_value *fv;
	char (*names)[256] = NULL;
	struct rec_hdr *h;
	unsigned char *stacks;
	size_t n;

	if (!p || !p->layout.key.size)
		return false;
	memset(e, 0, sizeof(*e));
	n = p->layout.nslots < MAX_VALUES ? p->layout.nslots : MAX_VALUES;
	e->has_pid = p->layout.key.tgid >= 0;
	e->value_signed = p->layout.key.hist >= 0 &&
			  p->layout.fmt->convs[p->layout.key.hist].is_signed;
	sum_cpus(r, vals, e);
	p->rt.seen += e->count;
	h = key_header(r, p, key);
	stacks = read_stacks(r, key, &p->layout.key, h);
	for (size_t i = 0; i < n; i++)
		raw[i] = p->layout.key.values[i] >= 0 ? key + p->layout.key.values[i] : r->zero;
	fv = own(r, xcalloc(n + 1, sizeof(*fv)));
	if (has_usym(p->layout.fmt))
		names = own(r, xcalloc(n + 1, sizeof(*names)));
	if (!output_decode(s, p, h, raw, title_format(r, p), stacks, &e->ev, fv, names))
		return false;
	keep_decoded(r, e);
	return true;
}

/* Highest count first; then in a stable order: probe, message, process. */
static int by_count(const void *pa, const void *pb)
{
	const struct agg_entry *a = pa, *b = pb;
	int c;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->ev.p->id != b->ev.p->id)
		return a->ev.p->id < b->ev.p->id ? -1 : 1;
	c = strcmp(a->ev.msg, b->ev.msg);
	if (c)
		return c;
	if (a->ev.h->pid_tgid != b->ev.h->pid_tgid)
		return a->ev.h->pid_tgid < b->ev.h->pid_tgid ? -1 : 1;
	return 0;
}

/* Look every key up (deleting it at a tick) and decode it. */
static int read_entries(struct agg_read *r, int fd, bool tick)
{
	/* Zeroed: what the kernel writes is not seen as written by valgrind. */
	unsigned char *vals = xcalloc((size_t)r->s->ncpus, r->cpu_bytes);
	int ret = 0;

	r->entries = xcalloc(r->nkeys + 1, sizeof(*r->entries));
	for (size_t i = 0; i < r->nkeys; i++) {
		const unsigned char *key = r->keys + i * r->key_size;

		if (bpf_map_lookup_elem(fd, key, vals)) {
			if (errno == ENOENT)
				continue;
			pr_err("cannot read the aggregation map: %s", strerror(errno));
			ret = ERR_RUNTIME;
			break;
		}
		if (tick && bpf_map_delete_elem(fd, key) && errno != ENOENT) {
			pr_err("cannot clear the aggregation map: %s", strerror(errno));
			ret = ERR_RUNTIME;
			break;
		}
		if (decode_entry(r, key, vals, &r->entries[r->n]))
			r->n++;
	}
	free(vals);
	return ret;
}

/*
 * -i: programs count into the other interval from now on; once those
 * still counting into this one are done, it is read and cleared.
 */
static int switch_epoch(struct session *s, __u32 *old)
{
	*old = s->agg_epoch;
	s->agg_epoch ^= 1;
	if (loader_set_recording(s, true))
		return ERR_RUNTIME;
	loader_wait_programs();
	return 0;
}

static void read_free(struct agg_read *r)
{
	for (size_t i = 0; i < r->nowned; i++)
		free(r->owned[i]);
	free(r->owned);
	free(r->entries);
	free(r->keys);
	free(r->zero);
}

int aggregate_print(struct session *s, bool tick)
{
	struct agg_read r = { .s = s, .key_size = (size_t)s->agg_key_size };
	const struct options *o = &s->opt;
	int fd = maps_fd(s, MAP_AGG), ret;
	long long epoch = -1;
	__u32 old;

	if (fd < 0 || !r.key_size)
		return 0;
	if (tick) {
		if ((ret = switch_epoch(s, &old)))
			return ret;
		epoch = old;
	}
	r.cpu_bytes = ((size_t)agg_value_size(o) + 7) & ~(size_t)7;
	r.zero = xcalloc(1, (size_t)o->string_size + 16);
	r.shape = (struct hist_shape){ .linear = o->agg == AGG_LINEAR, .min = o->lhist_min,
				       .max = o->lhist_max, .step = o->lhist_step,
				       .nbuckets = agg_nbuckets(o) };
	ret = collect_keys(&r, fd, epoch);
	if (!ret)
		ret = read_entries(&r, fd, tick);
	if (!ret && s->backend->aggregate) {
		struct agg_set set = { .mode = o->agg, .entries = r.entries, .n = r.n,
				       .shape = &r.shape, .tick = tick,
				       .stamp = o->interval_ns != 0, .when = time(NULL) };

		qsort(r.entries, r.n, sizeof(*r.entries), by_count);
		s->backend->aggregate(s, &set);
	}
	read_free(&r);
	return ret;
}
