// SPDX-License-Identifier: BSD-2-Clause
/*
 * -l [PATTERN...]: what can be probed, one spec per line in etrace's own
 * syntax, sorted, each once; with -v (-lv) what each offers, indented.
 * A pattern's kind picks the provider:
 *   t:CAT:EVENT      tracepoints
 *   p::FUNC          kernel functions (r:: too), p:MODULE:FUNC module ones
 *   p:LIB:FUNC       functions of a program or library
 *   u:LIB:PROBE      USDT probes (u:LIB:PROVIDER:NAME); with -p, u:*:...
 *                    looks in every file the process has mapped
 *   NAME             (no kind) kernel functions and tracepoint events so named
 * Nothing is loaded or attached.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "providers/provider.h"
#include "util.h"

struct entry {
	char *spec;
	char *detail;
};

struct listing {
	struct entry *v;
	size_t n, cap;
};

static void collect(const char *spec, const char *detail, void *arg)
{
	struct listing *ls = arg;

	ls->v = grow_array(ls->v, &ls->cap, ls->n + 1, sizeof(*ls->v));
	ls->v[ls->n].spec = xstrdup(spec);
	ls->v[ls->n].detail = detail ? xstrdup(detail) : NULL;
	ls->n++;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->spec, ((const struct entry *)b)->spec);
}

/* u:*:REST with -p: every file the process maps, by the path it knows. */
static int list_usdt_of_process(struct session *s, const char *rest, const struct lister *l)
{
	char *path = xasprintf("/proc/%d/maps", (int)s->opt.pid), *maps = read_file(path, NULL);
	char *line, *save = NULL, **files = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;

	free(path);
	if (!maps) {
		pr_err("-p %d: cannot read its maps: %s", (int)s->opt.pid, strerror(errno));
		return ERR_RUNTIME;
	}
	for (line = strtok_r(maps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *file = strchr(line, '/'), perms[8];
		size_t i;

		/* Code only: the files a probe can be in. */
		if (!file || sscanf(line, "%*s %7s", perms) != 1 || perms[2] != 'x' ||
		    strstr(file, " (deleted)") || strchr(file, ':'))
			continue;
		for (i = 0; i < n && strcmp(files[i], file); i++)
			;
		if (i < n)
			continue;
		files = grow_array(files, &cap, n + 1, sizeof(*files));
		files[n++] = file;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		char *pattern = xasprintf("u:%s:%s", files[i], rest);

		ret = usdt_provider.list(s, pattern, l);
		free(pattern);
	}
	free(files);
	free(maps);
	return ret;
}

/* One pattern (NULL: every tracepoint and kernel function) into @l. */
static int list_one(struct session *s, const char *pattern, const struct lister *l)
{
	const char *c1 = pattern ? strchr(pattern, ':') : NULL;
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	char *lib, *p;
	int ret;

	if (!pattern || !c1) {
		/*
		 * Everything, or a bare name: tracepoint events and kernel
		 * functions. Where one kind cannot be listed (no ftrace), the
		 * other still is, after a line saying why.
		 */
		char *kp = pattern ? xasprintf("p::%s", pattern) : NULL;
		char *tp = pattern ? xasprintf("t:*:%s", pattern) : NULL;
		int kret = kfunc_provider.list(s, kp, l);

		ret = tracepoint_provider.list(s, tp, l);
		free(kp);
		free(tp);
		return ret && kret ? ret : 0;
	}
	if (c1 - pattern != 1 || !strchr("tpru", pattern[0]) || (pattern[0] != 't' && !c2)) {
		pr_err("-l %s: expected t:CATEGORY:EVENT, p::FUNCTION, p:LIBRARY:FUNCTION, "
		       "u:LIBRARY:PROBE or a bare name", pattern);
		return ERR_USAGE;
	}
	if (pattern[0] == 't')
		return tracepoint_provider.list(s, pattern, l);
	if (pattern[0] == 'u') {
		if (s->opt.pid && c2 == c1 + 2 && c1[1] == '*')
			return list_usdt_of_process(s, c2 + 1, l);
		return usdt_provider.list(s, pattern, l);
	}
	/* p: and r: list the same functions, spelled p:. */
	p = xasprintf("p%s", c1);
	lib = xstrndup(c1 + 1, (size_t)(c2 - c1 - 1));
	if (!*lib || module_loaded(lib))
		ret = kfunc_provider.list(s, p, l);
	else
		ret = uprobe_provider.list(s, p, l);
	free(lib);
	free(p);
	return ret;
}

static int print_entries(const struct listing *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		const char *d = ls->v[i].detail, *nl;

		if (i && !strcmp(ls->v[i].spec, ls->v[i - 1].spec))
			continue;
		if (printf("%s\n", ls->v[i].spec) < 0)
			return -errno;
		for (; d && *d; d = nl + 1) {
			nl = strchr(d, '\n');
			if (!nl)
				nl = d + strlen(d) - 1;
			if (printf("    %.*s\n", (int)(nl - d + (*nl != '\n')), d) < 0)
				return -errno;
		}
	}
	return fflush(stdout) ? -errno : 0;
}

int list_run(struct session *s)
{
	struct listing ls = { 0 };
	struct lister l = { .verbose = s->opt.verbose > 0, .emit = collect, .arg = &ls };
	int ret = 0, err;

	signal(SIGPIPE, SIG_IGN);
	if (!s->opt.nprobe_args)
		ret = list_one(s, NULL, &l);
	for (int i = 0; i < s->opt.nprobe_args && !ret; i++)
		ret = list_one(s, s->opt.probe_args[i], &l);
	if (ls.n)
		qsort(ls.v, ls.n, sizeof(*ls.v), cmp_entry);
	/* A closed stdout (| head) ends the listing quietly. */
	err = ret ? 0 : print_entries(&ls);
	if (err && err != -EPIPE) {
		pr_err("cannot write the listing: %s", strerror(-err));
		ret = ERR_RUNTIME;
	}
	for (size_t i = 0; i < ls.n; i++) {
		free(ls.v[i].spec);
		free(ls.v[i].detail);
	}
	free(ls.v);
	return ret;
}
