// SPDX-License-Identifier: BSD-2-Clause
/*
 * Option parsing. The option letters, long names (including BCC's
 * underscores, e.g. --print_cpu) and defaults follow BCC trace so that
 * existing command lines keep working.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "providers/provider.h"
#include "runtime/aggmap.h"
#include "runtime/cgroup.h"
#include "util.h"

enum {
	OPT_UID = 1000,
	OPT_VERSION,
	OPT_MECHANISM,
	OPT_RAW_STRINGS,
	OPT_DRY_RUN,
	OPT_EBPF,
	OPT_FEATURES,
	OPT_JSON,
	OPT_LHIST,
	OPT_FOLDED,
	OPT_MAP_ENTRIES,
};

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "buffer-pages", required_argument, NULL, 'b' },
	{ "pid", required_argument, NULL, 'p' },
	{ "tid", required_argument, NULL, 'L' },
	{ "uid", required_argument, NULL, OPT_UID },
	{ "verbose", no_argument, NULL, 'v' },
	{ "string-size", required_argument, NULL, 'Z' },
	{ "include-self", no_argument, NULL, 'S' },
	{ "max-events", required_argument, NULL, 'M' },
	{ "timestamp", no_argument, NULL, 't' },
	{ "unix-timestamp", no_argument, NULL, 'u' },
	{ "time", no_argument, NULL, 'T' },
	{ "print_cpu", no_argument, NULL, 'C' },
	{ "print-cpu", no_argument, NULL, 'C' },
	{ "name", required_argument, NULL, 'n' },
	{ "cgroup-path", required_argument, NULL, 'c' },
	{ "msg-filter", required_argument, NULL, 'f' },
	{ "kernel-stack", no_argument, NULL, 'K' },
	{ "user-stack", no_argument, NULL, 'U' },
	{ "sym_file_list", required_argument, NULL, 's' },
	{ "sym-file-list", required_argument, NULL, 's' },
	{ "address", no_argument, NULL, 'a' },
	{ "include", required_argument, NULL, 'I' },
	{ "bin_cmp", no_argument, NULL, 'B' },
	{ "bin-cmp", no_argument, NULL, 'B' },
	{ "mechanism", required_argument, NULL, OPT_MECHANISM },
	{ "raw-strings", no_argument, NULL, OPT_RAW_STRINGS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "ebpf", no_argument, NULL, OPT_EBPF },
	{ "aggregate", no_argument, NULL, 'A' },
	{ "histogram", no_argument, NULL, 'H' },
	{ "lhist", required_argument, NULL, OPT_LHIST },
	{ "folded", no_argument, NULL, OPT_FOLDED },
	{ "map-entries", required_argument, NULL, OPT_MAP_ENTRIES },
	{ "interval", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, 'd' },
	{ "features", no_argument, NULL, OPT_FEATURES },
	{ "list", no_argument, NULL, 'l' },
	{ NULL, 0, NULL, 0 },
};

static const char usage_text[] =
"usage: etrace [-h] [-b BUFFER_PAGES] [-p PID | -L TID] [--uid UID] [-v]\n"
"              [-Z STRING_SIZE] [-S] [-M MAX_EVENTS] [-t] [-u] [-T] [-C]\n"
"              [-c CGROUP_PATH] [-n NAME] [-f MSG_FILTER] [-K] [-U] [-a] [-B]\n"
"              [-I header] [-s SYM_FILE_LIST]\n"
"              [-A | -H | --lhist MIN,MAX,STEP | --folded] [-i SECONDS]\n"
"              [-d SECONDS] [--map-entries N] [--mechanism MECH[,MECH]]\n"
"              [--json | --raw-strings] [--dry-run] [--features]\n"
"              probe [probe ...]\n"
"       etrace -l[v] [-p PID] [pattern ...]\n"
"\n"
"Attach to functions and tracepoints and print trace messages, compiling the\n"
"probes straight to eBPF (no compiler or kernel headers needed).\n"
"\n"
"positional arguments:\n"
"  probe                 probe specifier (see below)\n"
"\n"
"options:\n"
"  -h, --help            show this help message and exit\n"
"  --version             show the version and exit\n"
"  -b, --buffer-pages BUFFER_PAGES\n"
"                        ring buffer pages per CPU (power of two, default 64)\n"
"  -p, --pid PID         id of the process to trace (optional)\n"
"  -L, --tid TID         id of the thread to trace (optional)\n"
"  --uid UID             id of the user to trace (optional)\n"
"  -v, --verbose         print what was chosen and the generated program\n"
"  -Z, --string-size STRING_SIZE\n"
"                        maximum size to read from strings (default 80)\n"
"  -S, --include-self    do not filter trace's own pid from the trace\n"
"  -M, --max-events MAX_EVENTS\n"
"                        number of events to print before quitting\n"
"  -t, --timestamp       print timestamp column (offset from trace start)\n"
"  -u, --unix-timestamp  print UNIX timestamp instead of offset from trace start,\n"
"                        requires -t\n"
"  -T, --time            print time column\n"
"  -C, --print_cpu       print CPU id\n"
"  -c, --cgroup-path CGROUP_PATH\n"
"                        trace only tasks in this cgroup v2 directory and below\n"
"  -n, --name NAME       only print events whose process name contains NAME\n"
"  -f, --msg-filter MSG_FILTER\n"
"                        only print events whose message contains MSG_FILTER\n"
"  -K, --kernel-stack    output kernel stack trace\n"
"  -U, --user-stack      output user stack trace\n"
"  -s, --sym_file_list SYM_FILE_LIST\n"
"                        symbol files (comma-separated) for stripped binaries,\n"
"                        matched to them by build-id\n"
"  -a, --address         print virtual address in stacks\n"
"  -B, --bin_cmp         STRCMP's literal is bytes, e.g. \"{0x6c, 0x00}\"\n"
"  -I, --include header  accepted for BCC compatibility and ignored: kernel\n"
"                        types come from BTF\n"
"  -A, --aggregate       count identical events in the kernel (function,\n"
"                        message, stacks) and print the counts at the end\n"
"  -H, --histogram       a log2 histogram of the last value of the format, per\n"
"                        distinct other values (counted in the kernel)\n"
"  --lhist MIN,MAX,STEP  a linear histogram of the last value instead\n"
"  --folded              count stacks (-K, -U) and print them folded, one line\n"
"                        per stack, for flamegraph.pl, inferno or speedscope\n"
"  -i, --interval SECONDS\n"
"                        print (and clear) the counts every SECONDS\n"
"  -d, --duration SECONDS\n"
"                        end the trace after SECONDS\n"
"  --map-entries N       distinct keys counted at most (default 10240, 1024\n"
"                        for histograms); more are reported as not counted\n"
"  --mechanism MECH      how to probe kernel functions: fentry, kprobe,\n"
"                        kprobe-multi or kprobe-legacy; user functions and\n"
"                        USDT: uprobe or uprobe-legacy (default: the best the\n"
"                        kernel allows; also $ETRACE_MECHANISM)\n"
"  --raw-strings         print strings and process names as the traced process\n"
"                        wrote them (default: control bytes and invalid UTF-8\n"
"                        escaped as \\n, \\x1b, ...)\n"
"  --json                print one JSON object per line for each event and one\n"
"                        at the end with per-probe counts (see docs/json.md)\n"
"  --dry-run             resolve and compile every probe, load nothing (with -v:\n"
"                        print the programs)\n"
"  --ebpf                as BCC: print the programs and exit (--dry-run -v)\n"
"  --features            print what this kernel allows tracers to do and exit\n"
"  -l, --list            list what can be probed (patterns: t:CAT:EVENT,\n"
"                        p::FUNC, p:LIB:FUNC, u:LIB:PROBE or a bare name);\n"
"                        -lv adds arguments and fields\n"
"\n"
"Probe specifier syntax:\n"
"  {p,r}:{[library],category}:function[+offset][(signature)] [(predicate)] [\"format\"[, arguments]]\n"
"  t:category:event [(predicate)] [\"format\"[, arguments]]\n"
"  u:library[:provider]:probe [(predicate)] [\"format\"[, arguments]]\n"
"\n"
"examples:\n"
"  etrace t:sched:sched_process_exec\n"
"        Trace every exec, one line per event\n"
"  etrace -K -M 5 t:sched:sched_switch\n"
"        Print five context switches with their kernel stacks\n"
"  etrace -p 1234 -t t:syscalls:sys_enter_write\n"
"        Trace writes of process 1234 with a timestamp\n"
"  etrace -H 't:syscalls:sys_enter_write \"fd %d\", args->fd, args->count'\n"
"        Histogram of write sizes per file descriptor, until Ctrl-C\n"
"  etrace -K --folded -d 10 t:sched:sched_switch > switch.folded\n"
"        Kernel stacks of context switches for 10 seconds, for flamegraph.pl\n";

/* Parse a strictly positive or non-negative decimal number option. */
static bool parse_num(const char *opt, const char *arg, long min, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min) {
		pr_err("%s must be %s number, got '%s'", opt,
		       min > 0 ? "a positive" : "a non-negative", arg);
		return false;
	}
	*out = v;
	return true;
}

static bool process_exists(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return stat(path, &st) == 0;
}

static bool parse_pid_opt(const char *opt, const char *arg, const char *what, pid_t *out)
{
	long v;

	if (!parse_num(opt, arg, 1, &v))
		return false;
	if (v > INT_MAX || !process_exists((pid_t)v)) {
		pr_err("%s %s: no such %s", opt, arg, what);
		return false;
	}
	*out = (pid_t)v;
	return true;
}

/* -i, -d: a positive number of seconds (fractions allowed), as nanoseconds. */
static bool parse_seconds(const char *opt, const char *arg, uint64_t *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	/* Up to a year: beyond that the nanoseconds would not fit anyway. */
	if (errno || end == arg || *end || !(v > 0) || v > 365.0 * 86400) {
		pr_err("%s must be a positive number of seconds, got '%s'", opt, arg);
		return false;
	}
	*out = (uint64_t)(v * 1e9);
	if (!*out)
		*out = 1;
	return true;
}

static bool parse_ll(const char *s, const char *end, long long *out)
{
	char *stop;

	if (s == end)
		return false;
	errno = 0;
	*out = strtoll(s, &stop, 10);
	return !errno && stop == end;
}

/* --lhist MIN,MAX,STEP: integers, MIN < MAX, STEP > 0, a bounded number of buckets. */
static bool parse_lhist(const char *arg, struct options *opt)
{
	const char *c1 = strchr(arg, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
	long long min, max, step;

	if (!c2 || !parse_ll(arg, c1, &min) || !parse_ll(c1 + 1, c2, &max) ||
	    !parse_ll(c2 + 1, c2 + 1 + strlen(c2 + 1), &step)) {
		pr_err("--lhist takes three integers MIN,MAX,STEP, got '%s'", arg);
		return false;
	}
	if (min >= max) {
		pr_err("--lhist %s: MIN must be below MAX", arg);
		return false;
	}
	if (step <= 0) {
		pr_err("--lhist %s: STEP must be positive", arg);
		return false;
	}
	opt->lhist_min = min;
	opt->lhist_max = max;
	opt->lhist_step = step;
	if (agg_linear_inner(opt) > AGG_LINEAR_MAX) {
		pr_err("--lhist %s: more than %d buckets; raise STEP", arg, AGG_LINEAR_MAX);
		return false;
	}
	return true;
}

/* -A, -H, --lhist and --folded: one way of counting per run. */
static bool set_agg(struct options *opt, enum agg_mode mode, const char *what)
{
	static const char *const names[] = {
		[AGG_LOG2] = "-H", [AGG_LINEAR] = "--lhist", [AGG_FOLDED] = "--folded",
	};

	if (opt->agg != AGG_NONE && opt->agg != AGG_COUNT && opt->agg != mode) {
		pr_err("%s and %s count in different ways: choose one", names[opt->agg], what);
		return false;
	}
	opt->agg = mode;
	return true;
}

/* "kprobe", "uprobe-legacy", or one of each: "kprobe,uprobe-legacy". */
static bool parse_mechanism(const char *arg, struct options *opt)
{
	char *list = xstrdup(arg), *m = list, *comma;
	bool ok = true;

	for (; m && ok; m = comma ? comma + 1 : NULL) {
		comma = strchr(m, ',');
		if (comma)
			*comma = '\0';
		if (kmech_parse(m, &opt->mechanism) || umech_parse(m, &opt->umechanism))
			continue;
		pr_err("unknown mechanism '%s' (expected fentry, kprobe, kprobe-multi, "
		       "kprobe-legacy, uprobe or uprobe-legacy)", m);
		ok = false;
	}
	free(list);
	return ok;
}

/* -s FILE[,FILE...]: symbol files for stripped binaries, matched by build-id. */
static bool add_symfiles(const char *arg, struct options *opt)
{
	char *list = xstrdup(arg), *save = NULL;

	for (char *f = strtok_r(list, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		if (access(f, R_OK)) {
			pr_err("-s %s: %s", f, strerror(errno));
			free(list);
			return false;
		}
		opt->symfiles = xrealloc(opt->symfiles, (opt->nsymfiles + 1) *
					 sizeof(*opt->symfiles));
		opt->symfiles[opt->nsymfiles++] = xstrdup(f);
	}
	free(list);
	return true;
}

static bool is_pow2(long v)
{
	return v > 0 && !(v & (v - 1));
}

/* -c PATH: a cgroup v2 directory, checked now (a usage error otherwise). */
static bool parse_cgroup(const char *arg, struct options *opt)
{
	char err[768];

	if (cgroup_check(arg, err, sizeof(err))) {
		pr_err("-c %s: %s", arg, err);
		return false;
	}
	opt->cgroup_path = arg;
	return true;
}

static bool handle_opt(int c, const char *arg, struct options *opt)
{
	long v;

	switch (c) {
	case 'b':
		if (!parse_num("-b", arg, 1, &v))
			return false;
		if (!is_pow2(v) || v > (1 << 16)) {
			pr_err("-b must be a power of two up to 65536 pages, got '%s'", arg);
			return false;
		}
		opt->buffer_pages = (int)v;
		return true;
	case 'p':
		return parse_pid_opt("-p", arg, "process", &opt->pid);
	case 'L':
		return parse_pid_opt("-L", arg, "thread", &opt->tid);
	case OPT_UID:
		if (!parse_num("--uid", arg, 0, &v))
			return false;
		if ((unsigned long)v > UINT32_MAX) {
			pr_err("--uid must be at most %u, got '%s'", UINT32_MAX, arg);
			return false;
		}
		opt->uid = v;
		return true;
	case 'Z':
		if (!parse_num("-Z", arg, 1, &v))
			return false;
		if (v > 4096) {
			pr_err("-Z must be at most 4096 bytes, got '%s'", arg);
			return false;
		}
		opt->string_size = (int)v;
		return true;
	case 'M':
		return parse_num("-M", arg, 1, &opt->max_events);
	case 'v': opt->verbose++; return true;
	case 'S': opt->include_self = true; return true;
	case 't': opt->timestamp = true; return true;
	case 'u': opt->unix_ts = true; return true;
	case 'T': opt->wallclock = true; return true;
	case 'C': opt->print_cpu = true; return true;
	case 'K': opt->kstack = true; return true;
	case 'U': opt->ustack = true; return true;
	case 's':
		return add_symfiles(arg, opt);
	case 'a': opt->address = true; return true;
	case 'B': opt->bin_cmp = true; return true;
	case 'n':
		/* The kernel keeps 15 bytes of a process name. */
		if (strlen(arg) >= 16) {
			pr_err("-n %s: longer than a process name can be (15 bytes): it would "
			       "match nothing", arg);
			return false;
		}
		opt->name_filter = arg;
		return true;
	case 'c':
		return parse_cgroup(arg, opt);
	case 'f': opt->msg_filter = arg; return true;
	case 'l': opt->list_probes = true; return true;
	case OPT_MECHANISM:
		return parse_mechanism(arg, opt);
	case OPT_RAW_STRINGS:
		opt->raw_strings = true;
		return true;
	case OPT_JSON:
		opt->json = true;
		return true;
	case OPT_DRY_RUN:
		opt->dry_run = true;
		return true;
	case OPT_EBPF:
		opt->dry_run = true;
		opt->verbose = opt->verbose ? opt->verbose : 1;
		return true;
	case 'A':
		/* -H, --lhist and --folded count too: -A with them changes nothing. */
		if (opt->agg == AGG_NONE)
			opt->agg = AGG_COUNT;
		return true;
	case 'H':
		return set_agg(opt, AGG_LOG2, "-H");
	case OPT_LHIST:
		return set_agg(opt, AGG_LINEAR, "--lhist") && parse_lhist(arg, opt);
	case OPT_FOLDED:
		return set_agg(opt, AGG_FOLDED, "--folded");
	case OPT_MAP_ENTRIES:
		if (!parse_num("--map-entries", arg, 1, &v))
			return false;
		if (v > (1L << 24)) {
			pr_err("--map-entries must be at most %ld, got '%s'", 1L << 24, arg);
			return false;
		}
		opt->map_entries = v;
		return true;
	case 'i':
		return parse_seconds("-i", arg, &opt->interval_ns);
	case 'd':
		return parse_seconds("-d", arg, &opt->duration_ns);
	case 'I':
		fprintf(stderr, "etrace: note: -I %s ignored: kernel types come from BTF\n", arg);
		return true;
	default:
		return false;
	}
}

/*
 * getopt_long's error for the option just read: long options are named
 * as written (up to any '='), short ones by their letter.
 */
static void bad_option(int c, int argc, char **argv)
{
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	const char *what = c == ':' ? "missing value for option" : "unknown option";

	if (!strncmp(arg, "--", 2)) {
		const char *eq = strchr(arg, '=');
		int len = eq ? (int)(eq - arg) : (int)strlen(arg);

		if (c == '?' && eq && optopt)
			pr_err("option '%.*s' takes no value (try --help)", len, arg);
		else
			pr_err("%s '%.*s' (try --help)", what, len, arg);
	} else if (optopt > 0 && optopt < 128) {
		pr_err("%s '-%c' (try --help)", what, optopt);
	} else {
		pr_err("%s '%s' (try --help)", what, arg);
	}
}

/* What the counting options need and exclude. */
static bool check_agg(const struct options *o)
{
	const char *mode = o->agg == AGG_LOG2 ? "-H" : o->agg == AGG_LINEAR ? "--lhist" :
			   o->agg == AGG_FOLDED ? "--folded" : "-A";

	if (!aggregating(o)) {
		if (o->interval_ns)
			pr_err("-i prints counts: it needs -A, -H, --lhist or --folded");
		else if (o->map_entries)
			pr_err("--map-entries sizes the counts: it needs -A, -H, --lhist or "
			       "--folded");
		return !o->interval_ns && !o->map_entries;
	}
	if (o->timestamp || o->wallclock || o->print_cpu || o->unix_ts) {
		pr_err("%s counts events: the per-event columns of -t, -u, -T and -C do not "
		       "apply", mode);
		return false;
	}
	if (o->agg != AGG_FOLDED)
		return true;
	if (!o->kstack && !o->ustack) {
		pr_err("--folded counts stacks: it needs -K, -U or both");
		return false;
	}
	if (o->msg_filter || o->address) {
		pr_err("--folded prints stacks by function name: %s does not apply",
		       o->msg_filter ? "-f" : "-a");
		return false;
	}
	return true;
}

/*
 * --json says everything an event has (time, CPU, addresses) whatever -t,
 * -T, -u, -C or -a ask for; what it cannot honour is refused here.
 */
static bool check_json(const struct options *opt)
{
	if (!opt->json)
		return true;
	if (opt->raw_strings)
		pr_err("--json cannot be used with --raw-strings: JSON strings are always escaped");
	else if (opt->list_probes)
		pr_err("--json cannot be used with -l: the listing is text");
	else if (opt->list_features)
		pr_err("--json cannot be used with --features: the list is text");
	else
		return true;
	return false;
}

/* --help and --version succeed only if what they print was written. */
static enum cli_result flushed(const char *what)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return CLI_EXIT_OK;
	pr_err("cannot write %s: %s", what, strerror(errno));
	return CLI_EXIT_FAIL;
}

enum cli_result cli_parse(int argc, char **argv, struct options *opt)
{
	int c;

	memset(opt, 0, sizeof(*opt));
	opt->uid = -1;
	opt->string_size = 80;
	opt->buffer_pages = 64;
	if (getenv("ETRACE_MECHANISM") && *getenv("ETRACE_MECHANISM") &&
	    !parse_mechanism(getenv("ETRACE_MECHANISM"), opt))
		return CLI_USAGE;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hb:p:L:vZ:SM:tuTCn:c:f:KUaBI:s:lAHi:d:",
				long_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return flushed("the help");
		}
		if (c == OPT_VERSION) {
			printf("etrace %s\n", ETRACE_VERSION);
			return flushed("the version");
		}
		if (c == OPT_FEATURES) {
			opt->list_features = true;
			continue;
		}
		if (c == '?' || c == ':') {
			bad_option(c, argc, argv);
			return CLI_USAGE;
		}
		if (!handle_opt(c, optarg, opt))
			return CLI_USAGE;
	}
	if (opt->pid && opt->tid) {
		pr_err("only one of -p and -L may be specified");
		return CLI_USAGE;
	}
	if (!check_agg(opt) || !check_json(opt))
		return CLI_USAGE;
	if (opt->list_features)
		return optind < argc ? (pr_err("--features takes no probes"), CLI_USAGE) : CLI_RUN;
	/* -l: the positional arguments are patterns, and there may be none. */
	if (opt->list_probes) {
		opt->probe_args = argv + optind;
		opt->nprobe_args = argc - optind;
		return CLI_RUN;
	}
	if (optind >= argc) {
		pr_err("no probe given (try --help)");
		return CLI_USAGE;
	}
	opt->probe_args = argv + optind;
	opt->nprobe_args = argc - optind;
	return CLI_RUN;
}
