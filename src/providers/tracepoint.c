// SPDX-License-Identifier: BSD-2-Clause
/*
 * Kernel tracepoints (t:category:event), attached through the perf
 * tracepoint interface. The event's format file gives its id and the
 * layout of args->fields.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/perf_event.h>

#include "providers/provider.h"
#include "runtime/tracefs.h"
#include "types/tpformat.h"
#include "util.h"

/* Closest entry name of tracefs directory @dir to @word, or NULL. */
static char *closest_entry(struct session *s, const char *dir, const char *word)
{
	struct suggest sg;
	struct dirent *de;
	DIR *d = tracefs_opendir(s, dir);
	char *best;

	if (!d)
		return NULL;
	suggest_init(&sg, word);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			suggest_add(&sg, de->d_name);
	closedir(d);
	best = sg.best;
	sg.best = NULL;
	suggest_free(&sg);
	return best;
}

static int unknown_tracepoint(struct session *s, struct probe *p)
{
	const struct probe_spec *ps = &p->spec;
	char *catdir = xasprintf("events/%s", ps->category);
	char *hint = NULL, *alt;
	int col = ps->function_col;

	if (!tracefs_is_dir(s, catdir)) {
		col = ps->function_col - (int)strlen(ps->category) - 1;
		alt = closest_entry(s, "events", ps->category);
		if (alt) {
			char *altdir = xasprintf("events/%s/%s", alt, ps->function);

			if (tracefs_is_dir(s, altdir))
				hint = xasprintf(" (did you mean '%s:%s'?)", alt, ps->function);
			else
				hint = xasprintf(" (did you mean category '%s'?)", alt);
			free(altdir);
			free(alt);
		}
		pr_err("probe %d, column %d: unknown tracepoint category '%s'%s",
		       ps->index, col, ps->category, hint ? hint : "");
	} else {
		alt = closest_entry(s, catdir, ps->function);
		if (alt)
			hint = xasprintf(" (did you mean '%s:%s'?)", ps->category, alt);
		free(alt);
		pr_err("probe %d, column %d: unknown tracepoint '%s:%s'%s",
		       ps->index, col, ps->category, ps->function, hint ? hint : "");
	}
	free(hint);
	free(catdir);
	return ERR_USAGE;
}

/* Names become a path under tracefs: nothing but a plain name may pass. */
static int check_names(const struct probe_spec *ps)
{
	int cat_col = ps->function_col - (int)strlen(ps->category) - 1;

	if (!tracefs_valid_name(ps->category)) {
		pr_err("probe %d, column %d: invalid tracepoint category '%.64s%s': a name of "
		       "letters, digits, '_', '.' and '-' (at most 255) is expected", ps->index,
		       cat_col, ps->category, strlen(ps->category) > 64 ? "..." : "");
		return ERR_USAGE;
	}
	if (!tracefs_valid_name(ps->function)) {
		pr_err("probe %d, column %d: invalid tracepoint name '%.64s%s': a name of "
		       "letters, digits, '_', '.' and '-' (at most 255) is expected", ps->index,
		       ps->function_col, ps->function, strlen(ps->function) > 64 ? "..." : "");
		return ERR_USAGE;
	}
	return 0;
}

/* The tracepoint's format: the provider's own state. */
static struct tp_format *tp_of(const struct probe *p)
{
	return p->priv;
}

static int tp_resolve(struct session *s, struct probe *p)
{
	const struct probe_spec *ps = &p->spec;
	char *path, *text, err[256];
	struct tp_format *tp;
	int ret;

	if ((ret = check_names(ps)))
		return ret;
	if (!tracefs_dir(s))
		return ERR_RUNTIME;
	path = xasprintf("events/%s/%s/format", ps->category, ps->function);
	text = tracefs_read(s, path, NULL);
	if (!text && (errno == ENOENT || errno == ENOTDIR)) {
		ret = unknown_tracepoint(s, p);
	} else if (!text) {
		pr_err("probe %d: cannot read %s/%s: %s", ps->index, s->tracefs, path,
		       strerror(errno));
		ret = ERR_RUNTIME;
	} else {
		tp = xcalloc(1, sizeof(*tp));
		p->priv = tp;
		if (tp_format_parse(text, tp, err, sizeof(err))) {
			pr_err("probe %d: cannot parse %s/%s: %s", ps->index, s->tracefs, path, err);
			ret = ERR_RUNTIME;
		}
	}
	free(text);
	free(path);
	if (!ret) {
		p->func_name = xstrdup(ps->function);
		p->fields = tp_of(p);
	}
	return ret;
}

static const struct load_attr tp_attr = {
	.prog_type = BPF_PROG_TYPE_TRACEPOINT,
	.attach_btf_obj_fd = -1,
	.mech = "tracepoint",
};

static int tp_check(struct session *s, struct probe *p)
{
	return provider_build(s, p, NULL, false, NULL, 0);
}

static int tp_install(struct session *s, struct probe *p)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.config = (__u64)tp_of(p)->id,
		.sample_period = 1,
		.wakeup_events = 1,
	};
	int pfd, err;

	err = provider_build(s, p, &tp_attr, false, NULL, 0);
	if (err)
		return err;
	probe_add_prog(p, p->rt.prog_fd);
	/*
	 * One event on CPU 0 is enough: a BPF program attached to a
	 * tracepoint runs wherever the tracepoint fires.
	 */
	pfd = (int)syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		err = errno;
		pr_err("probe %d: cannot open tracepoint %s:%s: %s", p->spec.index,
		       p->spec.category, p->spec.function, strerror(err));
		return ERR_RUNTIME;
	}
	err = provider_attach_perf(s, p, pfd, 0);
	p->rt.prog_fd = -1;
	if (err) {
		pr_err("probe %d: cannot attach to tracepoint %s:%s: %s", p->spec.index,
		       p->spec.category, p->spec.function, provider_attach_error(-err));
		return ERR_RUNTIME;
	}
	return 0;
}

static void tp_free(struct probe *p)
{
	if (p->priv) {
		tp_format_free(p->priv);
		free(p->priv);
	}
	p->priv = NULL;
	p->fields = NULL;
}

static void tp_no_arg(const struct probe *p, int n, bool param, struct loc *out)
{
	loc_none(out, "'arg%d' is not available in a tracepoint probe; use args->FIELD", n);
}

static void tp_no_retval(const struct probe *p, struct loc *out)
{
	loc_none(out, "'retval' is not available in a tracepoint probe; use args->FIELD");
}

static void tp_describe(const struct probe *p, char *buf, size_t len)
{
	snprintf(buf, len, "tracepoint %s", p->spec.function);
}

/* Every category/event under tracefs events/, as t:category:event. */
/* -lv: the fields of an event, as C declarations ("const char * filename"). */
static char *tp_details(struct session *s, const char *cat, const char *ev)
{
	char *path = xasprintf("events/%s/%s/format", cat, ev), *text, err[128];
	struct strbuf sb = { 0 };
	struct tp_format f;

	text = tracefs_read(s, path, NULL);
	free(path);
	if (!text || tp_format_parse(text, &f, err, sizeof(err))) {
		free(text);
		return NULL;
	}
	free(text);
	for (size_t i = 0; i < f.nfields; i++) {
		const struct tp_field *fl = &f.fields[i];

		if (fl->is_common)
			continue;
		sb_printf(&sb, "%s%s%s%s", fl->data_loc || fl->rel_loc ? "__data_loc " : "",
			  fl->type, fl->is_pointer ? "" : " ", fl->name);
		if (fl->is_array && fl->array_len)
			sb_printf(&sb, "[%d]", fl->array_len);
		else if (fl->is_array)
			sb_printf(&sb, "[]");
		sb_printf(&sb, "\n");
	}
	tp_format_free(&f);
	return sb.buf;
}

static void tp_list_category(struct session *s, const char *cat, const char *pattern,
			     const struct lister *l)
{
	char *dir = xasprintf("events/%s", cat);
	DIR *evs = tracefs_opendir(s, dir);
	struct dirent *e;

	free(dir);
	while (evs && (e = readdir(evs))) {
		char *spec, *detail;

		if (e->d_name[0] == '.' || !tracefs_valid_name(e->d_name) || e->d_type == DT_REG)
			continue;
		spec = xasprintf("t:%s:%s", cat, e->d_name);
		if (!pattern || !fnmatch(pattern, spec, 0)) {
			detail = l->verbose ? tp_details(s, cat, e->d_name) : NULL;
			l->emit(spec, detail, l->arg);
			free(detail);
		}
		free(spec);
	}
	if (evs)
		closedir(evs);
}

static int tp_list(struct session *s, const char *pattern, const struct lister *l)
{
	DIR *cats = tracefs_opendir(s, "events");
	struct dirent *c;

	if (!cats) {
		pr_err("cannot list tracepoints: %s", strerror(errno));
		return ERR_RUNTIME;
	}
	while ((c = readdir(cats)))
		if (c->d_name[0] != '.' && tracefs_valid_name(c->d_name))
			tp_list_category(s, c->d_name, pattern, l);
	closedir(cats);
	return 0;
}

const struct provider tracepoint_provider = {
	.name = "tracepoint",
	.resolve = tp_resolve,
	.check = tp_check,
	.install = tp_install,
	.free = tp_free,
	.arg = tp_no_arg,
	.retval = tp_no_retval,
	.ctx_unavailable = "'ctx' is not available in a tracepoint probe; use args->FIELD",
	.describe = tp_describe,
	.list = tp_list,
};
