// SPDX-License-Identifier: BSD-2-Clause
/*
 * etrace: parse options and probes, compile each probe to BPF, load and
 * attach, print events until told to stop, and tear everything down.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "output/format.h"
#include "output/output.h"
#include "providers/provider.h"
#include "runtime/events.h"
#include "list.h"
#include "runtime/features.h"
#include "runtime/loader.h"
#include "runtime/maps.h"
#include "runtime/teardown.h"
#include "session.h"
#include "sym/ksym.h"
#include "sym/usym.h"
#include "util.h"

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* Our own messages say what failed; libbpf's would repeat them. */
	return 0;
}

/* start() compiled everything for --dry-run and stopped there. */
#define DRY_RUN_DONE 1

static int exit_code(int err)
{
	return err == ERR_USAGE ? EXIT_USAGE : err ? EXIT_RUNTIME : 0;
}

/* A return probe with $latency or $entry() gets an entry probe, added after the user's. */
static void add_entry_probes(struct session *s)
{
	size_t n = s->nprobes;

	for (size_t i = 0; i < n; i++) {
		struct probe *p = &s->probes[i], *e;

		if (p->spec.type != 'r' || (!spec_mentions(&p->spec, "$latency") &&
					    !spec_mentions(&p->spec, "$entry")))
			continue;
		s->probes = xrealloc(s->probes, (s->nprobes + 1) * sizeof(*s->probes));
		p = &s->probes[i];
		e = &s->probes[s->nprobes];
		memset(e, 0, sizeof(*e));
		e->id = (int)s->nprobes++;
		e->rt.prog_fd = -1;
		e->ret_of = p->id + 1;
		p->entry_of = e->id + 1;
		spec_entry_of(&p->spec, &e->spec);
	}
}

static int parse_probes(struct session *s)
{
	char err[512];

	s->nprobes = (size_t)s->opt.nprobe_args;
	s->probes = xcalloc(s->nprobes, sizeof(*s->probes));
	for (size_t i = 0; i < s->nprobes; i++) {
		struct probe *p = &s->probes[i];

		p->id = (int)i;
		p->rt.prog_fd = -1;
		if (spec_parse(s->opt.probe_args[i], (int)i + 1, &p->spec, err, sizeof(err))) {
			pr_err("%s", err);
			return ERR_USAGE;
		}
		if (p->spec.format)
			s->any_action = true;
	}
	add_entry_probes(s);
	return 0;
}

static int resolve_probes(struct session *s)
{
	for (size_t i = 0; i < s->nprobes; i++) {
		struct probe *p = &s->probes[i];
		int ret;

		p->prov = provider_find(&p->spec);
		if (!p->prov)
			return ERR_USAGE;
		ret = p->prov->resolve(s, p);
		if (ret)
			return ret;
	}
	return 0;
}

/* Whether anything prints kernel symbols: -K or a %K conversion. */
static bool wants_symbols(const struct session *s)
{
	if (s->opt.kstack)
		return true;
	for (size_t i = 0; i < s->nprobes; i++) {
		const struct fmt_spec *f = s->probes[i].layout.fmt;

		for (size_t j = 0; f && j < f->nconvs; j++)
			if (f->convs[j].conv == 'K')
				return true;
	}
	return false;
}

/* Whether anything prints user symbols: -U or a %U conversion. */
static bool wants_user_symbols(const struct session *s)
{
	if (s->opt.ustack)
		return true;
	for (size_t i = 0; i < s->nprobes; i++) {
		const struct fmt_spec *f = s->probes[i].layout.fmt;

		for (size_t j = 0; f && j < f->nconvs; j++)
			if (f->convs[j].conv == 'U')
				return true;
	}
	return false;
}

/* User symbols, with the probed files read now: their frames resolve even after their processes exit. */
static void start_user_symbols(struct session *s)
{
	if (!wants_user_symbols(s))
		return;
	s->usyms = usyms_new(s->opt.symfiles, s->opt.nsymfiles);
	for (size_t i = 0; i < s->nprobes; i++) {
		const struct provider *pv = s->probes[i].prov;

		if (pv->file)
			usyms_add_file(s->usyms, pv->file(&s->probes[i]));
	}
}

/* Compile every probe once without loading: all usage errors come first. */
static int check_probes(struct session *s)
{
	for (size_t i = 0; i < s->nprobes; i++) {
		int ret = s->probes[i].prov->check(s, &s->probes[i]);

		if (ret)
			return ret;
	}
	return 0;
}

/* -v: what the kernel allows, on one line. */
static void print_features(struct session *s)
{
	struct strbuf line = { 0 };
	struct utsname u;

	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "?");
	for (int f = 0; f < FEAT_NR; f++)
		sb_printf(&line, "%s%s %s", f ? ", " : "", feature_name((enum feature)f),
			  feature_has(s, (enum feature)f) ? "yes" : "no");
	fprintf(stderr, "kernel %s: %s\n", u.release, line.buf);
	sb_free(&line);
}

static int start(struct session *s)
{
	const char *sentinel = getenv("ETRACE_TEST_SENTINEL");
	struct timespec ts;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->start_mono_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->start_wall = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	s->start_wall_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	s->self = getpid();
	if (prctl(PR_GET_NAME, s->self_comm))
		s->self_comm[0] = '\0';
	/* Lazy: kallsyms is read only when a stack or %K needs it. */
	s->ksyms = ksyms__new("/proc/kallsyms");
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0)
		s->ncpus = 1;
	loader_size_ring(s);
	/*
	 * What the user wrote is checked before privileges are: a mistake
	 * is a usage error (exit 2) whoever runs etrace.
	 */
	if ((ret = parse_probes(s)) || (ret = events_setup_signals(s)) ||
	    (ret = resolve_probes(s)) || (ret = check_probes(s)))
		return ret;
	if (s->opt.dry_run)
		return DRY_RUN_DONE;
	if ((ret = loader_check_privileges()))
		return ret;
	if (s->opt.verbose)
		print_features(s);
	start_user_symbols(s);
	if ((ret = maps_create(s)) || (ret = loader_set_recording(s, false)) ||
	    (ret = events_open(s)))
		return ret;
	for (size_t i = 0; i < s->nprobes; i++)
		if ((ret = s->probes[i].prov->install(s, &s->probes[i])))
			return ret;
	if (wants_symbols(s) && ksyms_hidden("/proc/kallsyms"))
		pr_err("note: /proc/kallsyms hides kernel addresses from this process: stacks "
		       "and %%K print [unknown] (CAP_SYSLOG shows them)");
	output_header(s);
	/* Every probe starts recording at the same instant. */
	if ((ret = loader_set_recording(s, true)))
		return ret;
	if (sentinel)
		fprintf(stderr, "%s\n", sentinel);
	return 0;
}

int main(int argc, char **argv)
{
	struct session s;
	bool started;
	int ret;

	/* Nothing we open later may become our stdout or stderr. */
	ensure_std_fds();
	session_init(&s);
	switch (cli_parse(argc, argv, &s.opt)) {
	case CLI_EXIT_OK:
		return 0;
	case CLI_EXIT_FAIL:
		return EXIT_RUNTIME;
	case CLI_USAGE:
		return EXIT_USAGE;
	case CLI_RUN:
		break;
	}
	s.backend = output_backend(&s.opt);
	libbpf_set_print(libbpf_quiet);
	if (s.opt.list_features) {
		features_print(&s);
		session_teardown(&s);
		return fflush(stdout) ? EXIT_RUNTIME : 0;
	}
	if (s.opt.list_probes) {
		ret = list_run(&s);
		session_teardown(&s);
		return exit_code(ret);
	}
	ret = start(&s);
	if (ret == DRY_RUN_DONE) {
		session_teardown(&s);
		return 0;
	}
	started = !ret;
	if (!ret)
		ret = events_loop(&s);
	events_stop(&s, ret ? STOP_ERROR : STOP_SIGNAL);
	/* Losses are counted at the instant recording stops, not after detaching. */
	teardown_stop_recording(&s);
	/* Every count is final now: the backend's end goes out while detaching. */
	if (started)
		output_end(&s);
	if (teardown_detach(&s) == TEARDOWN_HANDED_OFF) {
		sink_flush(&s.out);
		teardown_report(&s, true);
		_exit(exit_code(ret));
	}
	teardown_flush_output(&s);
	/* A closed stdout is how "| head" ends us: not an error; others are. */
	if (s.out.err && s.out.err != EPIPE) {
		pr_err("cannot write the output: %s", strerror(s.out.err));
		if (!ret)
			ret = ERR_RUNTIME;
	}
	if (!ret)
		teardown_report(&s, false);
	session_teardown(&s);
	return exit_code(ret);
}
