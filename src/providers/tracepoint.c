// SPDX-License-Identifier: BSD-2-Clause
/*
 * Kernel tracepoints (t:category:event), attached through the perf
 * tracepoint interface. The event's format file gives its id and the
 * layout of args->fields.
 */
#include <dirent.h>
#include <errno.h>
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

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Closest entry name of directory @dir to @word, or NULL. */
static char *closest_entry(const char *dir, const char *word)
{
	struct suggest sg;
	struct dirent *de;
	DIR *d = opendir(dir);
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

static int unknown_tracepoint(const char *events, struct probe *p)
{
	const struct probe_spec *ps = &p->spec;
	char *catdir = xasprintf("%s/%s", events, ps->category);
	char *hint = NULL, *alt;
	int col = ps->function_col;

	if (!is_dir(catdir)) {
		col = ps->function_col - (int)strlen(ps->category) - 1;
		alt = closest_entry(events, ps->category);
		if (alt) {
			char *altdir = xasprintf("%s/%s/%s", events, alt, ps->function);

			if (is_dir(altdir))
				hint = xasprintf(" (did you mean '%s:%s'?)", alt, ps->function);
			else
				hint = xasprintf(" (did you mean category '%s'?)", alt);
			free(altdir);
			free(alt);
		}
		pr_err("probe %d, column %d: unknown tracepoint category '%s'%s",
		       ps->index, col, ps->category, hint ? hint : "");
	} else {
		alt = closest_entry(catdir, ps->function);
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

static int tp_resolve(struct session *s, struct probe *p)
{
	const struct probe_spec *ps = &p->spec;
	const char *tfs = tracefs_dir(s);
	char *events, *path, *text, err[256];
	int ret = 0;

	if (!tfs)
		return ERR_RUNTIME;
	events = xasprintf("%s/events", tfs);
	p->tp_dir = xasprintf("%s/%s/%s", events, ps->category, ps->function);
	path = xasprintf("%s/format", p->tp_dir);
	text = read_file(path, NULL);
	if (!text && errno == ENOENT) {
		ret = unknown_tracepoint(events, p);
	} else if (!text) {
		pr_err("probe %d: cannot read %s: %s", ps->index, path, strerror(errno));
		ret = ERR_RUNTIME;
	} else {
		p->tp = xcalloc(1, sizeof(*p->tp));
		if (tp_format_parse(text, p->tp, err, sizeof(err))) {
			pr_err("probe %d: cannot parse %s: %s", ps->index, path, err);
			ret = ERR_RUNTIME;
		}
	}
	free(text);
	free(path);
	free(events);
	if (!ret) {
		p->func_name = xstrdup(ps->function);
		p->mech = MECH_TRACEPOINT;
		p->prog_type = BPF_PROG_TYPE_TRACEPOINT;
	}
	return ret;
}

static int tp_install(struct session *s, struct probe *p)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.config = (__u64)p->tp->id,
		.sample_period = 1,
		.wakeup_events = 1,
	};
	int pfd, err;

	err = provider_build(s, p, false);
	if (err)
		return err;
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
	err = provider_attach_perf(p, pfd);
	if (err) {
		pr_err("probe %d: cannot attach to tracepoint %s:%s: %s", p->spec.index,
		       p->spec.category, p->spec.function, strerror(-err));
		return ERR_RUNTIME;
	}
	return 0;
}

const struct provider tracepoint_provider = {
	.name = "tracepoint",
	.resolve = tp_resolve,
	.install = tp_install,
};
