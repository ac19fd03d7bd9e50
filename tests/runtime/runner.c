// SPDX-License-Identifier: BSD-2-Clause
/*
 * etrace-runner: runs the end-to-end cases of the tests/runtime case files.
 *
 *   etrace-runner [--etrace PATH] [--progs DIR] [--features a,b,-c]
 *                 [--no-feature F] [--only-requires F[,F...]] [--filter SUBSTR]
 *                 [-v] FILE...
 *
 * A case file holds blocks separated by blank lines; '#' lines are
 * comments. Each line is a keyword, whitespace, then the value (leading
 * and trailing blanks of the value are dropped):
 *
 *   NAME n                 required, unique
 *   RUN cmd                required; /bin/sh -c in its own process group,
 *                          stdin an empty pipe that stays open
 *   AFTER cmd              the workload, released once RUN printed the
 *                          sentinel; its output only shows on failure
 *   EXPECT line            exact stdout line (trailing blanks ignored)
 *   EXPECT_REGEX ere       EXPECT and EXPECT_REGEX match distinct stdout
 *                          lines, in order (an ordered subsequence)
 *   NOT_REGEX ere          no stdout line may match
 *   EXPECT_STDERR ere      some stderr line must match
 *   NOT_STDERR ere         no stderr line may match
 *   EXPECT_STDERR_LINES n  number of stderr lines (sentinel removed)
 *   EXPECT_LINES n         number of stdout lines
 *   EXPECT_EXIT n          exit status of RUN (default 0; signal: 128+sig)
 *   AFTER_EXIT n           exit status of AFTER (default 0)
 *   TIMEOUT s              default 10, fractional allowed
 *   SIGNAL INT|TERM|KILL|HUP|QUIT|USR1|USR2 [delay]
 *                          sent to RUN's group delay s (default 0.3) after
 *                          AFTER ended, or after the sentinel if no AFTER
 *   REQUIRES feature...    skip unless every feature is available
 *                          ("!feature": unless it is absent); besides the
 *                          runner's own, what `etrace --features` says yes
 *                          to (fentry, kprobe, kprobe-multi, cookie...) and
 *                          kernel-functions (one of fentry and kprobes);
 *                          "linux>=6.10": the running kernel's version;
 *                          x86_64 or arm64: the machine's architecture
 *
 * {{ETRACE}}, {{PROGS}}, {{TMP}} (a fresh directory per case), {{RUNNER}}
 * (this binary) and {{CASES}} (the directory of the case file) are
 * substituted in RUN, AFTER and the expectations (escaped in regular
 * expressions). Regular expressions are POSIX ERE,
 * searched within the line; Perl classes \d \D \s \S \w \W and \t are
 * translated.
 *
 * RUN gets ETRACE_TEST_SENTINEL=<unique string> in its environment; etrace
 * writes that string as a stderr line once every probe is attached. AFTER's
 * shell is started beforehand and waits; the sentinel releases it. If RUN
 * exits first, AFTER never runs. The sentinel line is removed from stderr
 * before matching.
 *
 * After each case, what is left of its process groups is killed; processes
 * that escaped them are reported (the runner is a subreaper). As root, the
 * case also fails if it left a BPF program or map named etrace* or an
 * etrace kprobe/uprobe event behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define MAX_FEATURES 64
#define OUTPUT_LIMIT (64u << 20)	/* per stream */
#define SHOW_LINES 40			/* lines of output shown per stream */
#define DEFAULT_TIMEOUT 10.0
#define DEFAULT_SIGNAL_DELAY 0.3
#define DRAIN_GRACE 0.5		/* RUN exited, its pipes still open */
#define KILL_GRACE 2.0			/* after SIGKILL, before giving up */
#define LEAK_WAIT 2.0			/* the kernel frees BPF objects lazily */
#define SENTINEL_ENV "ETRACE_TEST_SENTINEL"
#define AFTER_ENV "ETRACE_RUNNER_AFTER"
/*
 * AFTER's shell is started with RUN and waits on fd 3 for the sentinel, so
 * that its own start-up (exec, dynamic loading) happens before etrace
 * attaches and does not show up in traces.
 */
#define AFTER_SCRIPT \
	"read etrace_runner_gate <&3 || exit 125; exec 3<&-; eval \"$" AFTER_ENV "\""

enum exp_kind { EXP_LINE, EXP_REGEX, EXP_NOT_REGEX, EXP_STDERR, EXP_NOT_STDERR };

static const char *const exp_keyword[] = {
	[EXP_LINE] = "EXPECT",
	[EXP_REGEX] = "EXPECT_REGEX",
	[EXP_NOT_REGEX] = "NOT_REGEX",
	[EXP_STDERR] = "EXPECT_STDERR",
	[EXP_NOT_STDERR] = "NOT_STDERR",
};

struct expect {
	enum exp_kind kind;
	char *text;
	int line;
};

struct tcase {
	char *name;
	char *run;
	char *after;
	struct expect *exp;
	size_t nexp;
	char **req;
	size_t nreq;
	long exp_lines;		/* -1: not checked */
	long exp_stderr_lines;	/* -1: not checked */
	int exp_exit;
	int after_exit;
	double timeout;
	int signal;		/* 0: none */
	double signal_delay;
	const char *file;
	int line;
	int run_line;
};

struct strbuf {
	char *data;
	size_t len;
	size_t cap;
};

struct vars {
	const char *etrace;
	const char *progs;
	const char *tmp;
	const char *runner;
	const char *cases;	/* the directory of the case file */
};

/* BPF objects and trace events named etrace*, to find leftovers. */
struct leak {
	char *what;
	uint32_t id;
};

struct leak_set {
	struct leak *v;
	size_t n;
	size_t cap;
};

/* Everything one run of the runner owns. */
struct runner {
	const char *etrace;
	const char *progs;
	const char *self;	/* this binary, for cases that test the runner */
	const char *only_requires;
	const char *filter;
	bool verbose;
	bool root;
	char *features[MAX_FEATURES];
	size_t nfeatures;
	struct tcase *cases;
	size_t ncases;
	size_t cases_cap;
	unsigned int passed, failed, skipped;
	unsigned int seq;
	int sigfd;
	sigset_t oldmask;
	bool interrupted;
};

/* One execution of a case. */
struct exec {
	const struct tcase *tc;
	struct vars vars;
	char tmp[PATH_MAX];
	char cases[PATH_MAX];
	char *run;
	char *after;
	char sentinel[96];
	struct strbuf out, err, aout;
	int fd_out, fd_err, fd_aout, fd_in, fd_gate;
	pid_t run_pid, after_pid;
	int run_status, after_status;
	bool run_done, after_done;
	bool after_started;	/* released by the sentinel */
	bool ready;
	size_t err_scanned, sent_off, sent_len;
	double start, deadline, hard_stop, signal_at, run_exit_at;
	bool signal_sent, timed_out, group_killed, overflow;
	struct strbuf why;	/* failure reasons, one per line */
	struct leak_set leaks_before;
};

/* ---- small helpers ---------------------------------------------------- */

__attribute__((noreturn)) static void die_oom(void)
{
	fputs("etrace-runner: out of memory\n", stderr);
	exit(2);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die_oom();
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		die_oom();
	return d;
}

static void *grow(void *arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 8;
	if (*cap < need)
		*cap = need;
	return xrealloc(arr, *cap * elem);
}

static void sb_add(struct strbuf *sb, const char *s, size_t n)
{
	sb->data = grow(sb->data, &sb->cap, sb->len + n + 1, 1);
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

static void sb_puts(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb->data = grow(sb->data, &sb->cap, sb->len + n + 1, 1);
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, n + 1, fmt, ap);
	va_end(ap);
	sb->len += n;
}

static void sb_free(struct strbuf *sb)
{
	free(sb->data);
	memset(sb, 0, sizeof(*sb));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static bool path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	while (*path) {
		size_t n = strcspn(path, ":");

		if (n && snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path,
				  prog) < (int)sizeof(buf) &&
		    access(buf, X_OK) == 0)
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* ---- features --------------------------------------------------------- */

/* "linux>=6.10": whether the running kernel is at least that version. */
static bool kernel_at_least(const char *want)
{
	struct utsname u;
	unsigned int maj = 0, min = 0, wmaj = 0, wmin = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u", &maj, &min) != 2 ||
	    sscanf(want, "%u.%u", &wmaj, &wmin) != 2)
		return false;
	return maj > wmaj || (maj == wmaj && min >= wmin);
}

static bool has_feature(const struct runner *r, const char *name)
{
	if (!strncmp(name, "linux>=", 7))
		return kernel_at_least(name + 7);
	for (size_t i = 0; i < r->nfeatures; i++)
		if (!strcmp(r->features[i], name))
			return true;
	return false;
}

static void del_feature(struct runner *r, const char *name)
{
	for (size_t i = 0; i < r->nfeatures; i++) {
		if (strcmp(r->features[i], name))
			continue;
		free(r->features[i]);
		r->features[i] = r->features[--r->nfeatures];
		return;
	}
}

static void add_feature(struct runner *r, const char *name)
{
	if (!*name || has_feature(r, name) || r->nfeatures >= MAX_FEATURES)
		return;
	r->features[r->nfeatures++] = xstrdup(name);
}

/* "a,b -c": add a and b, remove c. */
static void apply_features(struct runner *r, const char *list)
{
	char *copy = xstrdup(list), *save = NULL;

	for (char *t = strtok_r(copy, ", \t", &save); t;
	     t = strtok_r(NULL, ", \t", &save)) {
		if (*t == '-')
			del_feature(r, t + 1);
		else
			add_feature(r, t);
	}
	free(copy);
}

static bool passwd_has(const char *user)
{
	char line[1024];
	size_t n = strlen(user);
	bool found = false;
	FILE *f = fopen("/etc/passwd", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, user, n) && line[n] == ':';
	fclose(f);
	return found;
}

static bool can_become_nobody(const struct runner *r)
{
	char buf[PATH_MAX];

	if (!r->root || !passwd_has("nobody"))
		return false;
	snprintf(buf, sizeof(buf), "%s/run_as", r->progs);
	return in_path("setpriv") || in_path("su") || access(buf, X_OK) == 0;
}

static bool kernel_functions(void)
{
	return path_exists("/sys/bus/event_source/devices/kprobe") ||
	       path_exists("/sys/kernel/tracing/kprobe_events") ||
	       path_exists("/sys/kernel/debug/tracing/kprobe_events");
}

static bool file_has_word(const char *path, const char *word)
{
	char line[256];
	bool found = false;
	FILE *f = fopen(path, "r");

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, word) != NULL;
	if (f)
		fclose(f);
	return found;
}

/* Mounted, or mountable by etrace (root, and the kernel has tracefs). */
static bool tracefs_usable(const struct runner *r)
{
	return path_exists("/sys/kernel/tracing/events") ||
	       path_exists("/sys/kernel/debug/tracing/events") ||
	       (r->root && file_has_word("/proc/filesystems", "tracefs"));
}

/*
 * What the kernel allows, as etrace itself finds out (`etrace --features`
 * prints "NAME yes|no" lines): "fentry", "kprobe", "kprobe-multi",
 * "kprobe-legacy", "cookie"... Returns true if etrace answered.
 */
static bool etrace_features(struct runner *r)
{
	char cmd[PATH_MAX + 32], line[128];
	bool answered = false, kfuncs = false;
	FILE *f;

	if (!r->etrace || !r->root)
		return false;
	snprintf(cmd, sizeof(cmd), "'%s' --features 2>/dev/null", r->etrace);
	f = popen(cmd, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char name[64], val[8];

		if (sscanf(line, "%63s %7s", name, val) != 2)
			continue;
		answered = true;
		if (strcmp(val, "yes"))
			continue;
		add_feature(r, name);
		if (!strcmp(name, "fentry") || !strcmp(name, "kprobe") ||
		    !strcmp(name, "kprobe-legacy"))
			kfuncs = true;
	}
	if (pclose(f) != 0)
		return false;
	if (kfuncs)
		add_feature(r, "kernel-functions");
	return answered;
}

static bool static_user_progs(const struct runner *r)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/user/ufunc-static", r->progs);
	return access(path, X_OK) == 0;
}

/*
 * An etrace Debian package is installed that package.sh did not install
 * (it marks its own while they are): the case must leave it alone.
 */
static bool foreign_etrace_package(void)
{
	return path_exists("/var/lib/dpkg/info/etrace.list") &&
	       !path_exists("/run/etrace-test-package");
}

/*
 * The machine's architecture, by the kernel's name ("x86_64", "arm64"), for
 * cases whose expectations differ (__x64_sys_write, ctx->dx).
 */
static void add_arch_feature(struct runner *r)
{
	struct utsname u;

	if (uname(&u))
		return;
	add_feature(r, !strcmp(u.machine, "aarch64") ? "arm64" : u.machine);
}

static void detect_features(struct runner *r)
{
	add_arch_feature(r);
	if (r->root)
		add_feature(r, "root");
	if (!etrace_features(r) && kernel_functions())
		add_feature(r, "kernel-functions");
	if (can_become_nobody(r))
		add_feature(r, "nobody");
	if (r->root && in_path("setpriv"))
		add_feature(r, "setpriv");
	if (in_path("bpftrace"))
		add_feature(r, "bpftrace");
	if (in_path("bpftool"))
		add_feature(r, "bpftool");
	if (in_path("strace"))
		add_feature(r, "strace");
	if (path_exists("/etc/etrace-vm"))
		add_feature(r, "vm");
	if (path_exists("/sys/kernel/btf/vmlinux"))
		add_feature(r, "btf");
	/* Modules have their own BTF since 5.11 (the dummy module in the lab). */
	if (path_exists("/sys/kernel/btf/dummy"))
		add_feature(r, "module-btf");
	if (tracefs_usable(r))
		add_feature(r, "tracefs");
	if (file_has_word("/proc/self/mountinfo", " - cgroup2 "))
		add_feature(r, "cgroup2");
	/* The statically linked user fixtures (all the VM lab has). */
	if (static_user_progs(r))
		add_feature(r, "user-static");
	/* The Debian package's cases (package.case, package.sh). */
	if (in_path("dpkg") && in_path("dpkg-deb") && in_path("flock"))
		add_feature(r, "dpkg");
	if (in_path("lintian"))
		add_feature(r, "lintian");
	if (foreign_etrace_package())
		add_feature(r, "etrace-package-installed");
}

/* ---- placeholders and regular expressions ----------------------------- */

static void add_escaped(struct strbuf *sb, const char *s, bool regex)
{
	for (; *s; s++) {
		if (regex && strchr(".[]{}()\\*+?^$|", *s))
			sb_add(sb, "\\", 1);
		sb_add(sb, s, 1);
	}
}

/* Substitute {{ETRACE}}, {{PROGS}}, {{TMP}}, {{RUNNER}}, {{CASES}}; others stay. */
static char *substitute(const char *in, const struct vars *v, bool regex)
{
	static const char *const names[] = { "{{ETRACE}}", "{{PROGS}}",
					     "{{TMP}}", "{{RUNNER}}", "{{CASES}}" };
	const char *vals[] = { v->etrace, v->progs, v->tmp, v->runner, v->cases };
	struct strbuf sb = { 0 };

	sb_puts(&sb, "");
	while (*in) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(names); i++)
			if (!strncmp(in, names[i], strlen(names[i])))
				break;
		if (i < ARRAY_SIZE(names)) {
			add_escaped(&sb, vals[i], regex);
			in += strlen(names[i]);
		} else {
			sb_add(&sb, in++, 1);
		}
	}
	return sb.data;
}

static const char *perl_class(char c, bool in_bracket)
{
	switch (c) {
	case 'd': return in_bracket ? "[:digit:]" : "[0-9]";
	case 's': return in_bracket ? "[:space:]" : "[[:space:]]";
	case 'w': return in_bracket ? "[:alnum:]_" : "[[:alnum:]_]";
	case 'D': return in_bracket ? NULL : "[^0-9]";
	case 'S': return in_bracket ? NULL : "[^[:space:]]";
	case 'W': return in_bracket ? NULL : "[^[:alnum:]_]";
	case 't': return "\t";
	default: return NULL;
	}
}

/* Length of a "[:class:]", "[.x.]" or "[=x=]" at @s inside a bracket. */
static size_t bracket_item(const char *s)
{
	char close[3] = { 0, ']', 0 };
	const char *e;

	if (s[0] != '[' || !strchr(":.=", s[1]) || !s[1])
		return 0;
	close[0] = s[1];
	e = strstr(s + 2, close);
	return e ? (size_t)(e + 2 - s) : 0;
}

/* Translate Perl-style \d \s \w (and negations, \t) into POSIX ERE. */
static char *translate_regex(const char *in)
{
	struct strbuf sb = { 0 };
	bool br = false;

	sb_puts(&sb, "");
	while (*in) {
		const char *cls = in[0] == '\\' ? perl_class(in[1], br) : NULL;
		size_t item = br ? bracket_item(in) : 0;

		if (cls) {
			sb_puts(&sb, cls);
			in += 2;
		} else if (item) {
			sb_add(&sb, in, item);
			in += item;
		} else if (!br && in[0] == '\\' && in[1]) {
			sb_add(&sb, in, 2);
			in += 2;
		} else if (br && in[0] == '\\' && in[1] && strchr(".*+?()|{}$/", in[1])) {
			sb_add(&sb, in + 1, 1);	/* Perl [\.] is POSIX [.] */
			in += 2;
		} else if (!br && in[0] == '[') {
			size_t n = 1 + (in[1] == '^');

			n += in[n] == ']';
			sb_add(&sb, in, n);
			in += n;
			br = true;
		} else {
			br = br && in[0] != ']';
			sb_add(&sb, in++, 1);
		}
	}
	return sb.data;
}

static int compile_regex(regex_t *re, const char *pattern,
			 const struct vars *v, char *err, size_t errlen)
{
	char *sub = substitute(pattern, v, true);
	char *ere = translate_regex(sub);
	int rc = regcomp(re, ere, REG_EXTENDED | REG_NOSUB);

	if (rc)
		regerror(rc, re, err, errlen);
	free(sub);
	free(ere);
	return rc ? -1 : 0;
}

/* ---- case files -------------------------------------------------------- */

struct parser {
	struct runner *r;
	const char *file;
	int line;
	struct tcase *tc;	/* the block being read, or NULL */
	bool seen_timeout, seen_exit, seen_signal;
};

__attribute__((format(printf, 2, 3)))
static int parse_error(const struct parser *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "etrace-runner: %s:%d: ", p->file, p->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static int parse_count(const struct parser *p, const char *kw,
		       const char *val, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(val, &end, 10);
	if (!*val || *end || errno || *out < 0 || *out > max)
		return parse_error(p, "%s: expected a number from 0 to %ld, got '%s'",
				   kw, max, val);
	return 0;
}

static int parse_seconds(const struct parser *p, const char *kw,
			 const char *val, double *out)
{
	char *end;

	*out = strtod(val, &end);
	if (!*val || *end || !isfinite(*out) || *out < 0 || *out > 86400)
		return parse_error(p, "%s: expected seconds, got '%s'", kw, val);
	return 0;
}

static int parse_signal(struct parser *p, char *val)
{
	static const struct { const char *name; int sig; } sigs[] = {
		{ "INT", SIGINT }, { "TERM", SIGTERM }, { "KILL", SIGKILL },
		{ "HUP", SIGHUP }, { "QUIT", SIGQUIT }, { "USR1", SIGUSR1 },
		{ "USR2", SIGUSR2 },
	};
	char *delay = val + strcspn(val, " \t");
	const char *name = val;

	if (*delay)
		*delay++ = '\0';
	delay = trim(delay);
	if (!strncmp(name, "SIG", 3))
		name += 3;
	p->tc->signal = 0;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		if (!strcmp(name, sigs[i].name))
			p->tc->signal = sigs[i].sig;
	if (!p->tc->signal)
		return parse_error(p, "SIGNAL: unknown signal '%s'", val);
	if (*delay)
		return parse_seconds(p, "SIGNAL", delay, &p->tc->signal_delay);
	return 0;
}

static int check_placeholders(const struct parser *p, const char *val)
{
	struct vars v = { "/e", "/p", "/t", "/r", "/c" };
	char *sub = substitute(val, &v, false);
	const char *open = strstr(sub, "{{");
	int rc = 0;

	if (open && strstr(open, "}}"))
		rc = parse_error(p, "unknown placeholder in '%s' (known: {{ETRACE}} {{PROGS}} {{TMP}} {{RUNNER}} {{CASES}})",
				 val);
	free(sub);
	return rc;
}

static int add_expect(struct parser *p, enum exp_kind kind, const char *val)
{
	struct tcase *tc = p->tc;
	struct vars v = { p->r->etrace, p->r->progs, "/tmp/x", p->r->self, "/c" };
	char err[256];
	regex_t re;

	if (kind != EXP_LINE) {
		if (!*val)
			return parse_error(p, "%s: empty pattern", exp_keyword[kind]);
		if (compile_regex(&re, val, &v, err, sizeof(err)))
			return parse_error(p, "%s: bad regex '%s': %s",
					   exp_keyword[kind], val, err);
		regfree(&re);
	}
	tc->exp = xrealloc(tc->exp, (tc->nexp + 1) * sizeof(*tc->exp));
	tc->exp[tc->nexp].kind = kind;
	tc->exp[tc->nexp].text = xstrdup(val);
	tc->exp[tc->nexp].line = p->line;
	tc->nexp++;
	return 0;
}

static int add_requires(struct parser *p, const char *val)
{
	struct tcase *tc = p->tc;
	char *copy = xstrdup(val), *save = NULL;

	for (char *t = strtok_r(copy, ", \t", &save); t;
	     t = strtok_r(NULL, ", \t", &save)) {
		tc->req = xrealloc(tc->req, (tc->nreq + 1) * sizeof(*tc->req));
		tc->req[tc->nreq++] = xstrdup(t);
	}
	free(copy);
	if (!*val)
		return parse_error(p, "REQUIRES: no feature named");
	return 0;
}

static int set_string(struct parser *p, const char *kw, char **dst,
		      const char *val)
{
	if (*dst)
		return parse_error(p, "%s given twice in one case", kw);
	if (!*val)
		return parse_error(p, "%s: empty value", kw);
	*dst = xstrdup(val);
	return 0;
}

static int set_count(struct parser *p, const char *kw, const char *val,
		     long max, long *dst)
{
	if (*dst >= 0)
		return parse_error(p, "%s given twice in one case", kw);
	return parse_count(p, kw, val, max, dst);
}

static int set_exit(struct parser *p, const char *kw, const char *val,
		    int *dst)
{
	long n;

	if (parse_count(p, kw, val, 255, &n))
		return -1;
	*dst = (int)n;
	return 0;
}

static int parse_keyword(struct parser *p, const char *kw, char *val)
{
	struct tcase *tc = p->tc;

	if (strcmp(kw, "NAME") && strcmp(kw, "REQUIRES") &&
	    check_placeholders(p, val))
		return -1;
	if (!strcmp(kw, "NAME"))
		return set_string(p, kw, &tc->name, val);
	if (!strcmp(kw, "RUN")) {
		tc->run_line = p->line;
		return set_string(p, kw, &tc->run, val);
	}
	if (!strcmp(kw, "AFTER"))
		return set_string(p, kw, &tc->after, val);
	for (size_t i = 0; i < ARRAY_SIZE(exp_keyword); i++)
		if (!strcmp(kw, exp_keyword[i]))
			return add_expect(p, (enum exp_kind)i, val);
	if (!strcmp(kw, "EXPECT_LINES"))
		return set_count(p, kw, val, LONG_MAX, &tc->exp_lines);
	if (!strcmp(kw, "EXPECT_STDERR_LINES"))
		return set_count(p, kw, val, LONG_MAX, &tc->exp_stderr_lines);
	if (!strcmp(kw, "EXPECT_EXIT"))
		return set_exit(p, kw, val, &tc->exp_exit);
	if (!strcmp(kw, "AFTER_EXIT"))
		return set_exit(p, kw, val, &tc->after_exit);
	if (!strcmp(kw, "TIMEOUT")) {
		if (parse_seconds(p, kw, val, &tc->timeout))
			return -1;
		return tc->timeout > 0 ? 0 :
		       parse_error(p, "TIMEOUT must be positive");
	}
	if (!strcmp(kw, "SIGNAL"))
		return parse_signal(p, val);
	if (!strcmp(kw, "REQUIRES"))
		return add_requires(p, val);
	return parse_error(p, "unknown keyword '%s'", kw);
}

static void new_case(struct parser *p)
{
	struct runner *r = p->r;
	struct tcase *tc;

	r->cases = grow(r->cases, &r->cases_cap, r->ncases + 1,
			sizeof(*r->cases));
	tc = &r->cases[r->ncases++];
	memset(tc, 0, sizeof(*tc));
	tc->exp_lines = -1;
	tc->exp_stderr_lines = -1;
	tc->timeout = DEFAULT_TIMEOUT;
	tc->signal_delay = DEFAULT_SIGNAL_DELAY;
	tc->file = p->file;
	tc->line = p->line;
	p->tc = tc;
}

static int end_case(struct parser *p)
{
	struct tcase *tc = p->tc;
	int line = p->line;
	int rc = 0;

	if (!tc)
		return 0;
	p->tc = NULL;
	p->line = tc->line;
	if (!tc->name)
		rc = parse_error(p, "case without NAME");
	else if (!tc->run)
		rc = parse_error(p, "case '%s' has no RUN", tc->name);
	for (size_t i = 0; !rc && i + 1 < p->r->ncases; i++)
		if (!strcmp(p->r->cases[i].name, tc->name))
			rc = parse_error(p, "duplicate case name '%s' (first at %s:%d)",
					 tc->name, p->r->cases[i].file,
					 p->r->cases[i].line);
	p->line = line;
	return rc;
}

static int parse_line(struct parser *p, char *line)
{
	char *s = trim(line);
	char *kw = s;

	if (!*s)
		return end_case(p);
	if (*s == '#')
		return 0;
	while ((*s >= 'A' && *s <= 'Z') || *s == '_')
		s++;
	if (s == kw || (*s && *s != ' ' && *s != '\t'))
		return parse_error(p, "expected KEYWORD value, got '%s'", kw);
	if (*s)
		*s++ = '\0';
	if (!p->tc)
		new_case(p);
	return parse_keyword(p, kw, trim(s));
}

static char *read_file(const char *path)
{
	struct strbuf sb = { 0 };
	char buf[8192];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	sb_puts(&sb, "");
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&sb, buf, n);
	if (ferror(f)) {
		sb_free(&sb);
		sb.data = NULL;
	}
	fclose(f);
	return sb.data;
}

static int parse_file(struct runner *r, const char *file)
{
	struct parser p = { .r = r, .file = file };
	char *text = read_file(file), *save = NULL, *cur;
	int rc = 0;

	if (!text) {
		fprintf(stderr, "etrace-runner: %s: %s\n", file, strerror(errno));
		return -1;
	}
	for (cur = text; !rc && cur; cur = save) {
		save = strchr(cur, '\n');
		if (save)
			*save++ = '\0';
		if (!save && !*cur)
			break;
		p.line++;
		rc = parse_line(&p, cur);
	}
	if (!rc)
		rc = end_case(&p);
	free(text);
	return rc;
}

/* ---- leftover BPF objects and trace events ---------------------------- */

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static void leak_add(struct leak_set *set, char *what, uint32_t id)
{
	set->v = grow(set->v, &set->cap, set->n + 1, sizeof(*set->v));
	set->v[set->n].what = what;
	set->v[set->n].id = id;
	set->n++;
}

static void leak_free(struct leak_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->v[i].what);
	free(set->v);
	memset(set, 0, sizeof(*set));
}

static bool leak_has(const struct leak_set *set, const struct leak *l)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].id == l->id && !strcmp(set->v[i].what, l->what))
			return true;
	return false;
}

/* Name of BPF program (@prog) or map @id, or -1 if it is gone. */
static int bpf_obj_name(bool prog, uint32_t id, char *name, size_t len)
{
	union bpf_attr attr;
	struct bpf_prog_info pinfo;
	struct bpf_map_info minfo;
	int fd, rc;

	memset(&attr, 0, sizeof(attr));
	if (prog)
		attr.prog_id = id;
	else
		attr.map_id = id;
	fd = sys_bpf(prog ? BPF_PROG_GET_FD_BY_ID : BPF_MAP_GET_FD_BY_ID, &attr);
	if (fd < 0)
		return -1;
	memset(&pinfo, 0, sizeof(pinfo));
	memset(&minfo, 0, sizeof(minfo));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = prog ? sizeof(pinfo) : sizeof(minfo);
	attr.info.info = prog ? (uintptr_t)&pinfo : (uintptr_t)&minfo;
	rc = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr);
	close(fd);
	if (rc)
		return -1;
	snprintf(name, len, "%.*s", (int)BPF_OBJ_NAME_LEN,
		 prog ? pinfo.name : minfo.name);
	return 0;
}

static void collect_bpf(struct leak_set *set, bool prog)
{
	union bpf_attr attr;
	uint32_t id = 0;
	char name[BPF_OBJ_NAME_LEN + 1], *what;

	for (;;) {
		memset(&attr, 0, sizeof(attr));
		attr.start_id = id;
		if (sys_bpf(prog ? BPF_PROG_GET_NEXT_ID : BPF_MAP_GET_NEXT_ID,
			    &attr))
			return;
		id = attr.next_id;
		if (bpf_obj_name(prog, id, name, sizeof(name)) ||
		    strncmp(name, "etrace", 6))
			continue;
		if (asprintf(&what, "BPF %s %s", prog ? "program" : "map",
			     name) < 0)
			die_oom();
		leak_add(set, what, id);
	}
}

static void collect_events(struct leak_set *set)
{
	static const char *const files[] = {
		"/sys/kernel/tracing/kprobe_events",
		"/sys/kernel/tracing/uprobe_events",
		"/sys/kernel/debug/tracing/kprobe_events",
		"/sys/kernel/debug/tracing/uprobe_events",
	};
	char line[1024], *what;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		FILE *f = fopen(files[i], "r");

		while (f && fgets(line, sizeof(line), f)) {
			if (!strstr(line, "etrace"))
				continue;
			line[strcspn(line, "\n")] = '\0';
			if (asprintf(&what, "trace event '%s' in %s", line,
				     files[i]) < 0)
				die_oom();
			leak_add(set, what, 0);
		}
		if (f)
			fclose(f);
	}
}

static void collect_leaks(struct leak_set *set)
{
	collect_bpf(set, true);
	collect_bpf(set, false);
	collect_events(set);
}

/* Objects in @now that were not there before the case started. */
static size_t new_leaks(const struct leak_set *before,
			const struct leak_set *now, struct strbuf *why)
{
	size_t n = 0;

	for (size_t i = 0; i < now->n; i++) {
		const struct leak *l = &now->v[i];

		if (leak_has(before, l))
			continue;
		n++;
		if (!why)
			continue;
		if (l->id)
			sb_printf(why, "left %s (id %u) loaded\n", l->what, l->id);
		else
			sb_printf(why, "left %s\n", l->what);
	}
	return n;
}

static void check_leaks(struct exec *x)
{
	double until = now_s() + LEAK_WAIT;
	struct leak_set now = { 0 };

	for (;;) {
		collect_leaks(&now);
		if (!new_leaks(&x->leaks_before, &now, NULL))
			break;
		if (now_s() >= until) {
			new_leaks(&x->leaks_before, &now, &x->why);
			break;
		}
		leak_free(&now);
		sleep_s(0.05);
	}
	leak_free(&now);
}

/* ---- processes --------------------------------------------------------- */

struct spawn {
	const char *cmd;
	int in, out, err;
	int gate;		/* becomes fd 3 if >= 0 */
	const char *sentinel;	/* NULL: remove it from the environment */
	const char *after;	/* value of AFTER_ENV, if not NULL */
	const sigset_t *mask;
};

__attribute__((noreturn))
static void child_exec(const struct spawn *s, pid_t parent)
{
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	if (dup2(s->in, 0) < 0 || dup2(s->out, 1) < 0 || dup2(s->err, 2) < 0)
		_exit(127);
	if (s->gate == 3)
		fcntl(3, F_SETFD, 0);
	else if (s->gate >= 0 && dup2(s->gate, 3) < 0)
		_exit(127);
	if (s->after)
		setenv(AFTER_ENV, s->after, 1);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, s->mask, NULL);
	if (s->sentinel)
		setenv(SENTINEL_ENV, s->sentinel, 1);
	else
		unsetenv(SENTINEL_ENV);
	execl("/bin/sh", "sh", "-c", s->cmd, (char *)NULL);
	dprintf(2, "etrace-runner: /bin/sh: %s\n", strerror(errno));
	_exit(127);
}

/* Start @s->cmd under /bin/sh -c in a new process group. */
static pid_t spawn_shell(const struct spawn *s)
{
	pid_t parent = getpid();
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		child_exec(s, parent);
	if (pid > 0)
		setpgid(pid, pid);	/* no race with kill(-pid) */
	return pid;
}

static int make_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC))
		return -1;
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void kill_group(pid_t pgid, int sig)
{
	if (pgid > 0)
		kill(-pgid, sig);
}

/* Read what is available; at most a bounded amount per call. */
static void drain_fd(int *fd, struct strbuf *sb, bool *overflow)
{
	char buf[65536];

	for (int i = 0; *fd >= 0 && i < 16; i++) {
		ssize_t n = read(*fd, buf, sizeof(buf));

		if (n > 0) {
			if (sb->len + n > OUTPUT_LIMIT)
				*overflow = true;
			else
				sb_add(sb, buf, n);
		} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			close_fd(fd);
		} else if (errno == EAGAIN) {
			return;
		}
	}
}

/* ---- running one case -------------------------------------------------- */

/* Start AFTER's shell, blocked until release_after(). */
static int prepare_after(struct runner *r, struct exec *x)
{
	int out[2], gate[2], devnull;
	struct spawn s = { .cmd = AFTER_SCRIPT, .after = x->after,
			   .mask = &r->oldmask };

	if (make_pipe(out))
		return -1;
	if (pipe2(gate, O_CLOEXEC)) {
		close(out[0]);
		close(out[1]);
		return -1;
	}
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	s.in = devnull;
	s.out = out[1];
	s.err = out[1];
	s.gate = gate[0];
	x->after_pid = spawn_shell(&s);
	close(out[1]);
	close(gate[0]);
	if (devnull >= 0)
		close(devnull);
	x->fd_aout = out[0];
	x->fd_gate = gate[1];
	return x->after_pid < 0 ? -1 : 0;
}

static void release_after(struct exec *x)
{
	x->after_started = true;
	if (write(x->fd_gate, "\n", 1) != 1)
		sb_printf(&x->why, "cannot start AFTER: %s\n", strerror(errno));
	close_fd(&x->fd_gate);
}

static void on_ready(struct exec *x, double t)
{
	if (x->after && x->after_pid > 0 && !x->after_done && !x->run_done &&
	    !x->timed_out)
		release_after(x);
	else if (!x->after && x->tc->signal)
		x->signal_at = t + x->tc->signal_delay;
}

/* Look for the sentinel among the complete stderr lines not yet seen. */
static void scan_sentinel(struct exec *x)
{
	size_t slen = strlen(x->sentinel);

	while (!x->ready && x->err.data) {
		char *start = x->err.data + x->err_scanned;
		char *nl = memchr(start, '\n', x->err.len - x->err_scanned);
		size_t len;

		if (!nl)
			return;
		len = nl - start;
		if ((len == slen || (len == slen + 1 && start[slen] == '\r')) &&
		    !memcmp(start, x->sentinel, slen)) {
			x->ready = true;
			x->sent_off = x->err_scanned;
			x->sent_len = len + 1;
			on_ready(x, now_s());
		}
		x->err_scanned += len + 1;
	}
}

static void reap(struct exec *x)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == x->run_pid) {
			x->run_done = true;
			x->run_status = st;
			x->run_exit_at = now_s();
		} else if (pid == x->after_pid) {
			x->after_done = true;
			x->after_status = st;
			if (x->tc->signal && x->after_started)
				x->signal_at = now_s() + x->tc->signal_delay;
		}
	}
}

static void read_signals(struct runner *r, struct exec *x)
{
	struct signalfd_siginfo si;

	while (read(r->sigfd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo != SIGCHLD)
			r->interrupted = true;
	reap(x);
}

static void why_timeout(struct exec *x)
{
	const struct tcase *tc = x->tc;

	if (x->overflow)
		sb_printf(&x->why, "output exceeded %u MiB\n", OUTPUT_LIMIT >> 20);
	else if (tc->after && !x->ready)
		sb_printf(&x->why, "etrace never signalled readiness (timed out after %gs)\n",
			  tc->timeout);
	else if (x->run_done && x->after_started && !x->after_done)
		sb_printf(&x->why, "timed out after %gs (AFTER still running)\n",
			  tc->timeout);
	else
		sb_printf(&x->why, "timed out after %gs\n", tc->timeout);
}

static void fire_timers(struct exec *x, double t)
{
	if (x->overflow && !x->timed_out)
		x->deadline = t;
	if (!x->timed_out && t >= x->deadline) {
		why_timeout(x);
		x->timed_out = true;
		x->hard_stop = t + KILL_GRACE;
		kill_group(x->run_pid, SIGKILL);
		kill_group(x->after_pid, SIGKILL);
	}
	if (x->signal_at > 0 && !x->signal_sent && t >= x->signal_at) {
		x->signal_sent = true;
		if (!x->run_done)
			kill_group(x->run_pid, x->tc->signal);
	}
	if (!x->run_done || (x->fd_out < 0 && x->fd_err < 0))
		return;
	/* RUN is gone but something in its group still holds the pipes. */
	if (!x->group_killed && t >= x->run_exit_at + DRAIN_GRACE) {
		x->group_killed = true;
		kill_group(x->run_pid, SIGKILL);
	}
	if (t >= x->run_exit_at + DRAIN_GRACE + KILL_GRACE) {
		close_fd(&x->fd_out);
		close_fd(&x->fd_err);
	}
}

static bool finished(const struct runner *r, const struct exec *x, double t)
{
	if (r->interrupted || (x->timed_out && t >= x->hard_stop))
		return true;
	if (!x->run_done || x->fd_out >= 0 || x->fd_err >= 0)
		return false;
	return !x->after_started || x->after_done;
}

static int poll_timeout_ms(const struct exec *x, double t)
{
	double next = t + 0.1;

	if (!x->timed_out && x->deadline < next)
		next = x->deadline;
	if (x->signal_at > 0 && !x->signal_sent && x->signal_at < next)
		next = x->signal_at;
	if (next <= t)
		return 0;
	return (int)((next - t) * 1000) + 1;
}

static void poll_once(struct runner *r, struct exec *x, double t)
{
	struct pollfd pfd[4] = {
		{ .fd = x->fd_out, .events = POLLIN },
		{ .fd = x->fd_err, .events = POLLIN },
		{ .fd = x->fd_aout, .events = POLLIN },
		{ .fd = r->sigfd, .events = POLLIN },
	};

	if (poll(pfd, ARRAY_SIZE(pfd), poll_timeout_ms(x, t)) < 0)
		return;
	if (pfd[0].revents)
		drain_fd(&x->fd_out, &x->out, &x->overflow);
	if (pfd[1].revents) {
		drain_fd(&x->fd_err, &x->err, &x->overflow);
		scan_sentinel(x);
	}
	if (pfd[2].revents)
		drain_fd(&x->fd_aout, &x->aout, &x->overflow);
	read_signals(r, x);
}

static int start_run(struct runner *r, struct exec *x)
{
	int out[2], err[2], in[2];
	struct spawn s = { .cmd = x->run, .gate = -1, .sentinel = x->sentinel,
			   .mask = &r->oldmask };

	if (make_pipe(out) || make_pipe(err) || pipe2(in, O_CLOEXEC)) {
		sb_printf(&x->why, "pipe: %s\n", strerror(errno));
		return -1;
	}
	/* stdin stays open and empty, like a terminal nobody types into. */
	s.in = in[0];
	s.out = out[1];
	s.err = err[1];
	x->run_pid = spawn_shell(&s);
	close(out[1]);
	close(err[1]);
	close(in[0]);
	x->fd_out = out[0];
	x->fd_err = err[0];
	x->fd_in = in[1];
	if (x->run_pid < 0) {
		sb_printf(&x->why, "fork: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

struct proc_stat {
	char comm[64];
	char state;
	int ppid;
	int pgrp;
};

/* Name, state, parent and process group of @pid from /proc, or -1. */
static int proc_stat(pid_t pid, struct proc_stat *st)
{
	char path[64], buf[512], *lp, *rp;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	lp = strchr(buf, '(');
	rp = strrchr(buf, ')');
	if (!lp || !rp || rp < lp ||
	    sscanf(rp + 1, " %c %d %d", &st->state, &st->ppid, &st->pgrp) != 3)
		return -1;
	snprintf(st->comm, sizeof(st->comm), "%.*s", (int)(rp - lp - 1),
		 lp + 1);
	return 0;
}

/*
 * We are a subreaper, so processes of the case that left its process
 * groups (setsid, setpgid) and lost their parent are now our children:
 * report and kill them.
 */
static void kill_escaped(struct exec *x)
{
	pid_t self = getpid();

	for (int round = 0; round < 50; round++) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		int found = 0;

		if (!d)
			return;
		while ((de = readdir(d))) {
			pid_t pid = (pid_t)atoi(de->d_name);
			struct proc_stat st;

			if (pid <= 0 || proc_stat(pid, &st) || st.ppid != self ||
			    st.state == 'Z' || st.state == 'X')
				continue;
			/* Members of the case's groups were killed already. */
			if (!round && st.pgrp != x->run_pid &&
			    st.pgrp != x->after_pid)
				sb_printf(&x->why, "left process %d (%s) running\n",
					  (int)pid, st.comm);
			kill(pid, SIGKILL);
			found++;
		}
		closedir(d);
		reap(x);
		if (!found)
			return;
		sleep_s(0.02);
	}
}

/* Kill whatever is left of the case and reap it, within bounds. */
static void stop_case(struct exec *x)
{
	double until = now_s() + KILL_GRACE;

	close_fd(&x->fd_in);
	close_fd(&x->fd_gate);
	kill_group(x->run_pid, SIGKILL);
	kill_group(x->after_pid, SIGKILL);
	for (;;) {
		reap(x);
		if ((x->run_done || x->run_pid <= 0) &&
		    (x->after_done || x->after_pid <= 0))
			break;
		if (now_s() >= until)
			break;
		sleep_s(0.01);
	}
	reap(x);	/* orphans killed with the group */
	kill_escaped(x);
	if (x->fd_aout >= 0) {
		sleep_s(0.01);
		drain_fd(&x->fd_aout, &x->aout, &x->overflow);
	}
	close_fd(&x->fd_aout);
	close_fd(&x->fd_out);
	close_fd(&x->fd_err);
}

static void run_loop(struct runner *r, struct exec *x)
{
	for (;;) {
		double t = now_s();

		fire_timers(x, t);
		if (finished(r, x, t))
			break;
		poll_once(r, x, t);
	}
}

/* ---- checking the results ---------------------------------------------- */

struct lines {
	char **v;
	size_t n;
	char *store;
};

/* Split @len bytes of @data into lines, leaving out [@skip, @skip+@skip_len). */
static void split_lines(struct lines *l, const char *data, size_t len,
			size_t skip, size_t skip_len)
{
	size_t cap = 0;
	char *p, *end;

	memset(l, 0, sizeof(*l));
	l->store = xrealloc(NULL, len + 1);
	memcpy(l->store, data, skip_len ? skip : len);
	if (skip_len)
		memcpy(l->store + skip, data + skip + skip_len,
		       len - skip - skip_len);
	len -= skip_len;
	l->store[len] = '\0';
	for (p = l->store, end = p + len; p < end;) {
		char *nl = memchr(p, '\n', end - p);

		if (nl)
			*nl = '\0';
		l->v = grow(l->v, &cap, l->n + 1, sizeof(*l->v));
		l->v[l->n++] = p;
		p = nl ? nl + 1 : end;
	}
}

static void free_lines(struct lines *l)
{
	free(l->v);
	free(l->store);
}

static bool line_equal(const char *line, const char *want)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' ||
		     line[n - 1] == '\r'))
		n--;
	return strlen(want) == n && !memcmp(line, want, n);
}

static bool line_matches(const struct exec *x, const struct expect *e,
			 const regex_t *re, const char *line)
{
	if (e->kind == EXP_LINE) {
		char *want = substitute(e->text, &x->vars, false);
		bool eq = line_equal(line, want);

		free(want);
		return eq;
	}
	return regexec(re, line, 0, NULL, 0) == 0;
}

/* Check one expectation; @pos is where the ordered stdout search resumes. */
static void check_expect(struct exec *x, const struct expect *e,
			 const struct lines *out, const struct lines *err,
			 size_t *pos)
{
	const struct lines *l = e->kind == EXP_STDERR || e->kind == EXP_NOT_STDERR ? err : out;
	size_t i = e->kind == EXP_LINE || e->kind == EXP_REGEX ? *pos : 0;
	char msg[256];
	regex_t re;

	if (e->kind != EXP_LINE &&
	    compile_regex(&re, e->text, &x->vars, msg, sizeof(msg))) {
		sb_printf(&x->why, "%s (line %d): bad regex: %s\n",
			  exp_keyword[e->kind], e->line, msg);
		return;
	}
	for (; i < l->n && !line_matches(x, e, &re, l->v[i]); i++)
		;
	if (e->kind == EXP_NOT_REGEX) {
		if (i < l->n)
			sb_printf(&x->why, "stdout line %zu matches NOT_REGEX %s: %s\n",
				  i + 1, e->text, l->v[i]);
	} else if (e->kind == EXP_NOT_STDERR) {
		if (i < l->n)
			sb_printf(&x->why, "stderr line %zu matches NOT_STDERR %s: %s\n",
				  i + 1, e->text, l->v[i]);
	} else if (e->kind == EXP_STDERR) {
		if (i == l->n)
			sb_printf(&x->why, "no stderr line matches EXPECT_STDERR %s\n",
				  e->text);
	} else if (i < l->n) {
		*pos = i + 1;
	} else if (*pos) {
		sb_printf(&x->why, "no stdout line after line %zu matches %s %s\n",
			  *pos, exp_keyword[e->kind], e->text);
	} else {
		sb_printf(&x->why, "no stdout line matches %s %s\n",
			  exp_keyword[e->kind], e->text);
	}
	if (e->kind != EXP_LINE)
		regfree(&re);
}

static void check_exit(struct exec *x)
{
	int code = status_code(x->run_status);

	if (WIFSIGNALED(x->run_status) && code != x->tc->exp_exit)
		sb_printf(&x->why, "killed by signal %d (status %d), expected exit status %d\n",
			  WTERMSIG(x->run_status), code, x->tc->exp_exit);
	else if (code != x->tc->exp_exit)
		sb_printf(&x->why, "exit status %d, expected %d\n", code,
			  x->tc->exp_exit);
	if (x->after_started &&
	    status_code(x->after_status) != x->tc->after_exit)
		sb_printf(&x->why, "AFTER exited with status %d, expected %d\n",
			  status_code(x->after_status), x->tc->after_exit);
}

static void check_results(struct exec *x, const struct lines *out,
			  const struct lines *err)
{
	const struct tcase *tc = x->tc;
	size_t pos = 0;

	check_exit(x);
	for (size_t i = 0; i < tc->nexp; i++)
		check_expect(x, &tc->exp[i], out, err, &pos);
	if (tc->exp_lines >= 0 && out->n != (size_t)tc->exp_lines)
		sb_printf(&x->why, "%zu stdout lines, expected %ld\n", out->n,
			  tc->exp_lines);
	if (tc->exp_stderr_lines >= 0 && err->n != (size_t)tc->exp_stderr_lines)
		sb_printf(&x->why, "%zu stderr lines, expected %ld\n", err->n,
			  tc->exp_stderr_lines);
}

/* ---- reporting --------------------------------------------------------- */

static void show_stream(const char *title, const struct lines *l)
{
	size_t n = l->n < SHOW_LINES ? l->n : SHOW_LINES;

	printf("    %s (%zu line%s):\n", title, l->n, l->n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++)
		printf("      %s\n", l->v[i]);
	if (n < l->n)
		printf("      ... %zu more line%s\n", l->n - n,
		       l->n - n == 1 ? "" : "s");
}

static void show_details(const struct exec *x, const struct lines *out,
			 const struct lines *err)
{
	struct lines aout;

	printf("    run: %s\n", x->run);
	if (x->run_done)
		printf("    exit status: %d\n", status_code(x->run_status));
	show_stream("stdout", out);
	show_stream("stderr", err);
	if (!x->after)
		return;
	printf("    after: %s\n", x->after);
	if (!x->after_started) {
		printf("    (AFTER not started)\n");
		return;
	}
	split_lines(&aout, x->aout.data ? x->aout.data : "", x->aout.len, 0, 0);
	show_stream("after output", &aout);
	free_lines(&aout);
}

static void report(struct runner *r, const struct exec *x,
		   const struct lines *out, const struct lines *err)
{
	const char *why = x->why.data;

	if (!x->why.len) {
		r->passed++;
		printf("PASS %s\n", x->tc->name);
		if (r->verbose)
			show_details(x, out, err);
		return;
	}
	r->failed++;
	printf("FAIL %s: %.*s\n", x->tc->name, (int)strcspn(why, "\n"), why);
	why += strcspn(why, "\n");
	while (*why == '\n' && why[1]) {
		why++;
		printf("    also: %.*s\n", (int)strcspn(why, "\n"), why);
		why += strcspn(why, "\n");
	}
	printf("    case: %s:%d\n", x->tc->file, x->tc->line);
	show_details(x, out, err);
}

/* ---- case life cycle --------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	remove(path);
	return 0;
}

/* A fresh directory under $TMPDIR, /tmp, /dev/shm or /run. */
static int make_tmp(struct exec *x)
{
	const char *bases[] = { getenv("TMPDIR"), "/tmp", "/dev/shm", "/run" };

	for (size_t i = 0; i < ARRAY_SIZE(bases); i++) {
		if (!bases[i] || !*bases[i])
			continue;
		snprintf(x->tmp, sizeof(x->tmp), "%s/etrace-runner.XXXXXX",
			 bases[i]);
		if (mkdtemp(x->tmp)) {
			chmod(x->tmp, 0755);	/* cases may drop privileges */
			return 0;
		}
	}
	fprintf(stderr, "etrace-runner: cannot create a temporary directory: %s\n",
		strerror(errno));
	return -1;
}

/* The absolute directory of case file @file (for {{CASES}}). */
static void case_dir(const char *file, char *out, size_t len)
{
	char real[PATH_MAX], *slash;

	if (!file || !realpath(file, real))
		snprintf(real, sizeof(real), ".");
	slash = strrchr(real, '/');
	if (slash && slash != real)
		*slash = '\0';
	snprintf(out, len, "%s", real);
}

static void exec_init(struct runner *r, struct exec *x,
		      const struct tcase *tc)
{
	memset(x, 0, sizeof(*x));
	x->tc = tc;
	x->fd_out = x->fd_err = x->fd_aout = x->fd_in = x->fd_gate = -1;
	if (make_tmp(x))
		x->tmp[0] = '\0';
	x->vars.etrace = r->etrace;
	x->vars.progs = r->progs;
	x->vars.tmp = x->tmp;
	x->vars.runner = r->self;
	case_dir(tc->file, x->cases, sizeof(x->cases));
	x->vars.cases = x->cases;
	x->run = substitute(tc->run, &x->vars, false);
	if (tc->after)
		x->after = substitute(tc->after, &x->vars, false);
	snprintf(x->sentinel, sizeof(x->sentinel),
		 "etrace-runner-ready-%ld-%u", (long)getpid(), ++r->seq);
}

static void exec_free(struct exec *x)
{
	free(x->run);
	free(x->after);
	sb_free(&x->out);
	sb_free(&x->err);
	sb_free(&x->aout);
	sb_free(&x->why);
	leak_free(&x->leaks_before);
}

static void evaluate(struct runner *r, struct exec *x)
{
	struct lines out, err;

	if (r->root)
		check_leaks(x);
	split_lines(&out, x->out.data ? x->out.data : "", x->out.len, 0, 0);
	split_lines(&err, x->err.data ? x->err.data : "", x->err.len,
		    x->sent_off, x->sent_len);
	if (!x->timed_out && !x->overflow && x->run_done)
		check_results(x, &out, &err);
	report(r, x, &out, &err);
	free_lines(&out);
	free_lines(&err);
}

static void run_case(struct runner *r, const struct tcase *tc)
{
	struct exec x;

	exec_init(r, &x, tc);
	if (!x.tmp[0]) {
		sb_printf(&x.why, "cannot create a temporary directory\n");
	} else {
		if (r->root)
			collect_leaks(&x.leaks_before);
		x.start = now_s();
		x.deadline = x.start + tc->timeout;
		if (tc->after && prepare_after(r, &x))
			sb_printf(&x.why, "cannot start AFTER: %s\n",
				  strerror(errno));
		else if (!start_run(r, &x))
			run_loop(r, &x);
		stop_case(&x);
	}
	if (r->interrupted)
		sb_printf(&x.why, "interrupted\n");
	evaluate(r, &x);
	if (x.tmp[0])
		nftw(x.tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	exec_free(&x);
	fflush(stdout);
}

static const char *missing_feature(const struct runner *r,
				   const struct tcase *tc, struct strbuf *sb)
{
	for (size_t i = 0; i < tc->nreq; i++) {
		const char *req = tc->req[i];
		bool negated = req[0] == '!';

		/* "!feature": the case is for machines without it. */
		if (has_feature(r, req + negated) != negated)
			continue;
		if (sb->len)
			sb_puts(sb, ", ");
		sb_puts(sb, tc->req[i]);
	}
	return sb->len ? sb->data : NULL;
}

/* Whether @word is one of the comma-separated @list. */
static bool in_list(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p; p = strchr(p, ','), p = p ? p + 1 : NULL)
		if (!strncmp(p, word, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static bool selected(const struct runner *r, const struct tcase *tc)
{
	bool found = !r->only_requires;

	if (r->filter && !strstr(tc->name, r->filter))
		return false;
	for (size_t i = 0; !found && i < tc->nreq; i++)
		found = in_list(r->only_requires, tc->req[i]);
	return found;
}

static void run_all(struct runner *r)
{
	for (size_t i = 0; i < r->ncases && !r->interrupted; i++) {
		const struct tcase *tc = &r->cases[i];
		struct strbuf miss = { 0 };

		if (!selected(r, tc))
			continue;
		if (missing_feature(r, tc, &miss)) {
			r->skipped++;
			printf("SKIP %s (requires %s)\n", tc->name, miss.data);
			fflush(stdout);
		} else {
			run_case(r, tc);
		}
		sb_free(&miss);
	}
}

/* ---- setup ------------------------------------------------------------- */

static void usage(FILE *f)
{
	fputs("usage: etrace-runner [--etrace PATH] [--progs DIR] [--features a,b,-c]\n"
	      "                     [--no-feature F] [--only-requires F[,F...]] [--filter SUBSTR]\n"
	      "                     [-v] FILE...\n", f);
}

/* Absolute paths, so that cases may change directory. */
static const char *absolute(const char *path, char *buf)
{
	char cwd[PATH_MAX];

	if (realpath(path, buf))
		return buf;
	if (*path == '/' || !getcwd(cwd, sizeof(cwd)) ||
	    snprintf(buf, PATH_MAX, "%s/%s", cwd, path) >= PATH_MAX)
		return path;
	return buf;
}

static const char *self_path(const char *argv0, char *buf)
{
	ssize_t n = readlink("/proc/self/exe", buf, PATH_MAX - 1);

	if (n <= 0)
		return absolute(argv0, buf);
	buf[n] = '\0';
	return buf;
}

static int parse_args(struct runner *r, int argc, char **argv,
		      struct strbuf *feat)
{
	static const struct option opts[] = {
		{ "etrace", required_argument, NULL, 'e' },
		{ "progs", required_argument, NULL, 'p' },
		{ "features", required_argument, NULL, 'f' },
		{ "no-feature", required_argument, NULL, 'n' },
		{ "only-requires", required_argument, NULL, 'o' },
		{ "filter", required_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'e': r->etrace = optarg; break;
		case 'p': r->progs = optarg; break;
		case 'f': sb_printf(feat, "%s,", optarg); break;
		case 'n': sb_printf(feat, "-%s,", optarg); break;
		case 'o': r->only_requires = optarg; break;
		case 'F': r->filter = optarg; break;
		case 'v': r->verbose = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static void free_runner(struct runner *r)
{
	for (size_t i = 0; i < r->ncases; i++) {
		struct tcase *tc = &r->cases[i];

		free(tc->name);
		free(tc->run);
		free(tc->after);
		for (size_t j = 0; j < tc->nexp; j++)
			free(tc->exp[j].text);
		free(tc->exp);
		for (size_t j = 0; j < tc->nreq; j++)
			free(tc->req[j]);
		free(tc->req);
	}
	free(r->cases);
	for (size_t i = 0; i < r->nfeatures; i++)
		free(r->features[i]);
	if (r->sigfd >= 0)
		close(r->sigfd);
}

static void ensure_std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

static int setup_signals(struct runner *r)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	/* Orphans of a case are reparented to us and reaped by reap(). */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, &r->oldmask))
		return -1;
	r->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return r->sigfd < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct runner r = { .etrace = "build/etrace", .progs = "build/progs",
			    .sigfd = -1 };
	char etrace_buf[PATH_MAX], progs_buf[PATH_MAX], self_buf[PATH_MAX];
	struct strbuf feat = { 0 };
	const char *env = getenv("ETRACE_RUNNER_FEATURES");
	int rc = 0;

	ensure_std_fds();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(&r, argc, argv, &feat))
		return 2;
	r.self = self_path(argv[0], self_buf);
	r.etrace = absolute(r.etrace, etrace_buf);
	r.progs = absolute(r.progs, progs_buf);
	r.root = geteuid() == 0;
	detect_features(&r);
	if (env)
		apply_features(&r, env);
	if (feat.len)
		apply_features(&r, feat.data);
	sb_free(&feat);
	if (r.verbose) {
		fputs("etrace-runner: features:", stderr);
		for (size_t i = 0; i < r.nfeatures; i++)
			fprintf(stderr, " %s", r.features[i]);
		fputc('\n', stderr);
	}
	for (int i = optind; i < argc && !rc; i++)
		if (parse_file(&r, argv[i]))
			rc = 2;
	if (!rc && setup_signals(&r)) {
		perror("etrace-runner: signals");
		rc = 2;
	}
	if (!rc) {
		run_all(&r);
		if (r.interrupted)
			fputs("etrace-runner: interrupted\n", stderr);
		printf("%u passed, %u failed, %u skipped\n", r.passed,
		       r.failed, r.skipped);
		rc = r.failed || r.interrupted ? 1 : 0;
	}
	free_runner(&r);
	return rc;
}
