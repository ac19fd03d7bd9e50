#!/usr/bin/env bash
# bench/user.sh - user-space probes: etrace against bpftrace (and, with
# --with-bcc, BCC's trace) on a uretprobe of bash's readline and a uprobe
# of libc's malloc.
#
# usage: bench/user.sh [-n RUNS] [--hold SECONDS] [--calls N] [--cost-runs N] [--stack-runs N]
#          [--stack-seconds S] [--stack-events N] [--with-bcc] [--strict] [-o FILE] [ETRACE]
#
# Parts (see bench/README.md):
#   1 start-up   time to the first event line and peak RSS (VmHWM) for
#                r:bash:readline "%s", retval (an interactive bash fed
#                "echo x" every ~1 ms) and p:c:malloc "%d", arg1 (a load
#                generator calling malloc in bursts)
#   2 cost       added wall time per malloc() call, generator pinned to the
#                last CPU, N calls a run: an empty program (the floor),
#                a never-true predicate, a printed event (to /dev/null)
#   3 -U         stacks printed per second on p:c:malloc with the generator
#                at full speed; RSS once N events are printed; lost events
# Figures are medians over interleaved runs (RUNS in part 1, --cost-runs in
# part 2, --stack-runs in part 3), the order of the tracers rotating run by
# run; raw numbers go to bench/results/user.json.

set -uo pipefail

RUNS=5
HOLD=1                  # part 1: seconds a tracer runs on after its first event
CALLS=1000000           # part 2: malloc() calls per measurement
COST_RUNS=9             # part 2: runs (a uprobe's cost spreads by +-10% run to run)
STACK_RUNS=3            # part 3: runs per tracer
STACK_S=8               # part 3: seconds the generator runs per measurement
STACK_EVENTS=1000000    # part 3: RSS is read once this many events are printed
WITH_BCC=0
STRICT=0
ETRACE=
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE/results/user.json
TARGET_SPEED=5          # etrace at least this many times faster to first event
TARGET_RSS=10           # etrace peak RSS at most 1/this of bpftrace's
TIE=0.03                # part 2: within 3% of bpftrace's added cost is a tie

usage() {
	sed -n '6,7s/^# //p' "${BASH_SOURCE[0]}"
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	-n) RUNS=${2:?}; shift 2 ;;
	-n*) RUNS=${1#-n}; shift ;;
	--hold) HOLD=${2:?}; shift 2 ;;
	--calls) CALLS=${2:?}; shift 2 ;;
	--cost-runs) COST_RUNS=${2:?}; shift 2 ;;
	--stack-runs) STACK_RUNS=${2:?}; shift 2 ;;
	--stack-seconds) STACK_S=${2:?}; shift 2 ;;
	--stack-events) STACK_EVENTS=${2:?}; shift 2 ;;
	--with-bcc) WITH_BCC=1; shift ;;
	--strict) STRICT=1; shift ;;
	-o) OUT=${2:?}; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "user.sh: unknown option $1" >&2; usage ;;
	*) ETRACE=$1; shift ;;
	esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "user.sh: -n wants a positive number" >&2; exit 2; }
[[ $HOLD =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "user.sh: --hold wants seconds" >&2; exit 2; }
[[ $CALLS =~ ^[1-9][0-9]*$ ]] || { echo "user.sh: --calls wants a positive number" >&2; exit 2; }
[[ $COST_RUNS =~ ^[1-9][0-9]*$ ]] || { echo "user.sh: --cost-runs wants a positive number" >&2; exit 2; }
[[ $STACK_RUNS =~ ^[0-9]+$ ]] || { echo "user.sh: --stack-runs wants a number (0: skip part 3)" >&2; exit 2; }
[[ $STACK_S =~ ^[1-9][0-9]*$ ]] || { echo "user.sh: --stack-seconds wants whole seconds" >&2; exit 2; }
[[ $STACK_EVENTS =~ ^[1-9][0-9]*$ ]] || { echo "user.sh: --stack-events wants a positive number" >&2; exit 2; }
[ -n "$ETRACE" ] || ETRACE=$HERE/../build/etrace
[ -x "$ETRACE" ] || { echo "user.sh: $ETRACE: not executable (make build/etrace)" >&2; exit 2; }
ETRACE=$(cd "$(dirname "$ETRACE")" && pwd)/$(basename "$ETRACE")
command -v gcc >/dev/null || { echo "user.sh: needs gcc (to build its load generator)" >&2; exit 2; }

# ---------------------------------------------------------------- cleanup

TMP=$(mktemp -d /tmp/etrace-user.XXXXXX)
PIDS=()         # every process we started and have not reaped yet
GROUPS_=()      # process groups of the workloads (an interactive bash ignores SIGINT and SIGTERM)

# shellcheck disable=SC2317 # called from the EXIT trap
kill_all() {
	local p
	for p in "${GROUPS_[@]}"; do kill -KILL -- -"$p" 2>/dev/null; done
	GROUPS_=()
	[ ${#PIDS[@]} -gt 0 ] || return 0
	for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
	sleep 0.3
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=()
}
STATS_WAS=      # kernel.bpf_stats_enabled before we turned it on
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	kill_all
	[ -n "$STATS_WAS" ] && echo "$STATS_WAS" >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null
	rm -rf "$TMP"
}
# Only this shell cleans up, not a subshell that is signalled before it has
# reset the traps it inherited.
trap '[ "$BASHPID" = $$ ] && cleanup' EXIT
trap '[ "$BASHPID" = $$ ] || exit 1; echo; echo "user.sh: interrupted" >&2; exit 130' INT TERM HUP

forget_pid() {
	local p keep=()
	for p in "${PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}
stop_group() {  # PGID: kill a workload's process group and reap its leader
	local g keep=()
	kill -KILL -- -"$1" 2>/dev/null
	wait "$1" 2>/dev/null
	for g in "${GROUPS_[@]}"; do
		[ "$g" = "$1" ] || keep+=("$g")
	done
	GROUPS_=("${keep[@]}")
}

debug() { [ -z "${BENCH_DEBUG:-}" ] || echo "[$*]" >&2; }

# now: NOW = microseconds since the epoch (bash 5's $EPOCHREALTIME: no fork)
if [ -n "${EPOCHREALTIME:-}" ]; then
	now() { NOW=${EPOCHREALTIME//[!0-9]/}; }
	# shellcheck disable=SC2016 # the name, not its value
	CLOCK='bash $EPOCHREALTIME (us)'
else
	now() { NOW=$(( $(date +%s%N) / 1000 )); }
	CLOCK='date +%s%N'
fi

stop_wait() {  # PID TICKS: wait up to TICKS x 20 ms for PID to go away
	local i
	for ((i = 0; i < $2; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.02
	done
	return 1
}

# stop_tracer PID TICKS: SIGINT as a user would, TERM and KILL if it stays
stop_tracer() {
	kill -INT "$1" 2>/dev/null
	stop_wait "$1" "$2" || { kill -TERM "$1" 2>/dev/null; stop_wait "$1" 100; } ||
		kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	forget_pid "$1"
}

calc() { awk "BEGIN { printf \"$1\", ($2) }"; }   # calc FORMAT EXPR
json_str() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"} s=${s//$'\n'/\\n} s=${s//$'\t'/\\t} s=${s//$'\r'/}
	printf '"%s"' "$s"
}
json_list() { local IFS=,; printf '[%s]' "$*"; }
json_num() { if [ -n "${1:-}" ]; then printf '%s' "$1"; else printf null; fi; }

# ---------------------------------------------------------------- dependencies

declare -A NA   # tracer -> reason it is not measured

# shellcheck source=lib.sh disable=SC1091
. "$HERE/lib.sh"

need_bpftrace NA

if [ $WITH_BCC = 1 ]; then
	# As bench/startup.sh: BCC wants kernel headers at
	# /lib/modules/$(uname -r)/{build,source}. This machine's kernel has no
	# package of its own, so borrow bookworm's 6.1 cloud headers (linked as
	# that package links them for its own kernel version).
	kdir=/lib/modules/$(uname -r)
	if ! command -v trace-bpfcc >/dev/null; then
		apt_install bpfcc-tools || true
	fi
	if [ ! -e "$kdir/source/include/linux/kconfig.h" ] &&
	   { [ -L "$kdir/build" ] || [ ! -e "$kdir/build" ]; }; then
		# shellcheck disable=SC2012 # Debian package names: no odd characters
		hver=$(cd /usr/src 2>/dev/null && ls -d linux-headers-6.1.0-*-cloud-amd64 2>/dev/null |
			sed 's/^linux-headers-//' | sort -V | tail -1)
		if [ -z "$hver" ]; then
			[ "$APT_UPDATED" = 1 ] || { apt-get update -qq >/dev/null 2>&1; APT_UPDATED=1; }
			pkg=$(apt-cache search --names-only '^linux-headers-6\.1\.0-[0-9]+-cloud-amd64$' 2>/dev/null |
				awk '{print $1}' | sort -V | tail -1)
			[ -n "$pkg" ] && apt_install "$pkg"
			# shellcheck disable=SC2012 # as above
			hver=$(cd /usr/src 2>/dev/null && ls -d linux-headers-6.1.0-*-cloud-amd64 2>/dev/null |
				sed 's/^linux-headers-//' | sort -V | tail -1)
		fi
		if [ -n "$hver" ] && [ "$(id -u)" = 0 ]; then
			mkdir -p "$kdir"
			for l in build source; do
				t=$(readlink "/lib/modules/$hver/$l" 2>/dev/null)
				[ -n "$t" ] || t=/usr/src/linux-headers-$hver
				ln -sfn "$t" "$kdir/$l"
			done
		fi
	fi
	if ! command -v trace-bpfcc >/dev/null; then
		NA[bcc]="bpfcc-tools not installed"
	elif [ ! -e "$kdir/source/include/linux/kconfig.h" ]; then
		NA[bcc]="no kernel headers at $kdir/source"
	fi
else
	NA[bcc]="not requested (--with-bcc)"
fi
HAVE_BPFTOOL=0
command -v bpftool >/dev/null && HAVE_BPFTOOL=1

# The C library whose malloc is probed: the one bash uses. bpftrace wants a
# path; etrace and BCC find it from "c".
LIBC=$(ldd /bin/bash 2>/dev/null | awk '$1 ~ /^libc\.so/ { print $3 }')
[ -n "$LIBC" ] || LIBC=/lib/x86_64-linux-gnu/libc.so.6
BASH_BIN=/bin/bash

# ---------------------------------------------------------------- helpers

# malloc-gen: calls malloc() and free() through the PLT (-fno-builtin, a
# noinline wrapper and a volatile store keep the compiler from removing or
# inlining them).
#   malloc-gen N       N calls in a tight loop, timed by itself (process start
#                      and exit not counted): calls=N ns_per_call=W cpu_ns_per_call=C
#   malloc-gen -d S    a tight loop for S seconds, then the same line
#   malloc-gen -b B    forever: B calls, then 1 ms of sleep
cat >"$TMP/malloc-gen.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *volatile sink;

__attribute__((noinline)) static void one(size_t n)
{
	void *p = malloc(n);

	sink = p;
	free(p);
}

static double ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
	double dur = 0, w0, c0, w1, c1;
	long n = 0, i = 0;

	if (argc == 3 && !strcmp(argv[1], "-b")) {
		struct timespec ms = { 0, 1000000 };
		long b = atol(argv[2]);

		for (;;) {
			for (long k = 0; k < b; k++, i++)
				one(64 + (i & 7));
			nanosleep(&ms, 0);
		}
	}
	if (argc == 3 && !strcmp(argv[1], "-d"))
		dur = atof(argv[2]) * 1e9;
	else if (argc == 2)
		n = atol(argv[1]);
	if (dur <= 0 && n <= 0) {
		fprintf(stderr, "usage: malloc-gen N | -d SECONDS | -b BURST\n");
		return 2;
	}
	w0 = ns(CLOCK_MONOTONIC);
	c0 = ns(CLOCK_THREAD_CPUTIME_ID);
	if (dur > 0) {
		do {
			for (int k = 0; k < 1000; k++, i++)
				one(64 + (i & 7));
		} while (ns(CLOCK_MONOTONIC) - w0 < dur);
		n = i;
	} else {
		for (i = 0; i < n; i++)
			one(64 + (i & 7));
	}
	w1 = ns(CLOCK_MONOTONIC);
	c1 = ns(CLOCK_THREAD_CPUTIME_ID);
	printf("calls=%ld seconds=%.3f ns_per_call=%.2f cpu_ns_per_call=%.2f\n",
	       n, (w1 - w0) / 1e9, (w1 - w0) / n, (c1 - c0) / n);
	return 0;
}
EOF

# lcount MODE PIDFILE N: counts a tracer's events on stdin without calling
# malloc() (it reads with read(2) into a static buffer): with the tracer on
# malloc, a consumer that allocates per line would feed it events of its own.
#   MODE lines: an event is a line starting with a digit (etrace, BCC)
#           blocks: an event is a run of frame lines ended by an empty line
#                   (bpftrace's printf("%s\n", ustack))
# Frame lines start with a space or a tab. bpftrace's "Lost N events" lines
# are summed. Once N events are counted it reads VmRSS and VmHWM of the
# process whose pid is in PIDFILE.
# SIGUSR1 and SIGUSR2 note the count at that moment (start and end of the
# measurement window). At EOF it prints one line.
cat >"$TMP/lcount.c" <<'EOF'
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile long events;
static volatile long mark[2] = { -1, -1 };

static void on_usr(int sig)
{
	mark[sig == SIGUSR2] = events;
}

static long field(const char *buf, const char *name)
{
	const char *p = strstr(buf, name);

	return p ? strtol(p + strlen(name), NULL, 10) : -1;
}

static void rss(const char *pidfile, long *r, long *h)
{
	static char buf[8192];
	char path[64];
	ssize_t n;
	int fd;

	fd = open(pidfile, O_RDONLY);
	if (fd < 0)
		return;
	n = read(fd, buf, 31);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", atoi(buf));
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	*r = field(buf, "VmRSS:");
	*h = field(buf, "VmHWM:");
}

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	struct sigaction sa;
	int blocks, bol = 1, frame = 0, empty = 0, prev_frame = 0, llen = -1;
	long thr, lines = 0, frames = 0, lost = 0, r = -1, h = -1;
	char lbuf[64];

	if (argc != 4)
		return 2;
	blocks = !strcmp(argv[1], "blocks");
	thr = atol(argv[3]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr;         /* no SA_RESTART: read returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			char c = buf[i];

			if (bol) {
				bol = 0;
				empty = c == '\n';
				frame = c == ' ' || c == '\t';
				frames += frame;
				llen = c == 'L' ? 0 : -1;
				if (!blocks && c >= '0' && c <= '9' && ++events == thr)
					rss(argv[2], &r, &h);
			}
			if (llen >= 0 && c != '\n' && llen < 63)
				lbuf[llen++] = c;
			if (c != '\n')
				continue;
			lines++;
			if (blocks && empty && prev_frame && ++events == thr)
				rss(argv[2], &r, &h);
			if (llen > 5) {
				lbuf[llen] = 0;
				if (!strncmp(lbuf, "Lost ", 5))
					lost += atol(lbuf + 5);
			}
			prev_frame = frame;
			bol = 1;
		}
	}
	printf("events=%ld lines=%ld frames=%ld start=%ld end=%ld rss_kb=%ld hwm_kb=%ld lost=%ld\n",
	       events, lines, frames, mark[0], mark[1], r, h, lost);
	return 0;
}
EOF
# uprobe-open PATH OFFSET RETPROBE: what the kernel alone takes to register
# the uprobe: the time perf_event_open() of the uprobe PMU needs (the way
# etrace and bpftrace create theirs: every process, CPU 0), no BPF program.
# Prints open_ms=X.
cat >"$TMP/uprobe-open.c" <<'EOF'
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	struct perf_event_attr a = { .size = sizeof(a) };
	double t0, t1;
	FILE *f;
	int fd, type = -1;

	if (argc != 4)
		return 2;
	f = fopen("/sys/bus/event_source/devices/uprobe/type", "r");
	if (!f || fscanf(f, "%d", &type) != 1)
		return 1;
	fclose(f);
	a.type = type;
	a.config = atoi(argv[3]);       /* retprobe: config:0 (format/retprobe) */
	a.config1 = (unsigned long)argv[1];
	a.config2 = strtoull(argv[2], NULL, 0);
	t0 = ms();
	fd = syscall(__NR_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	t1 = ms();
	if (fd < 0) {
		perror("perf_event_open");
		return 1;
	}
	printf("open_ms=%.2f\n", t1 - t0);
	close(fd);
	return 0;
}
EOF
for p in malloc-gen lcount uprobe-open; do
	cf=(-O2 -Wall)
	[ $p = malloc-gen ] && cf+=(-fno-builtin -fno-omit-frame-pointer)
	gcc "${cf[@]}" -o "$TMP/$p" "$TMP/$p.c" 2>"$TMP/gcc.err" ||
		{ echo "user.sh: cannot build $p: $(head -3 "$TMP/gcc.err")" >&2; exit 2; }
done
GEN=$TMP/malloc-gen
COUNT=$TMP/lcount

# CPU placement for parts 2 and 3: the generator on the last CPU, the tracers
# (and part 3's line counter) on the others.
NCPU=$(nproc)
WCPU=$((NCPU - 1))
if [ "$NCPU" -ge 2 ] && command -v taskset >/dev/null; then
	WPIN=(taskset -c "$WCPU")
	TPIN=(taskset -c "0-$((NCPU - 2))")
	TCPUS="CPU 0-$((NCPU - 2))"
	[ "$NCPU" = 2 ] && TCPUS="CPU 0"
	PLACEMENT="generator on CPU $WCPU, tracers on $TCPUS"
else
	WPIN=() TPIN=()
	PLACEMENT="no CPU pinning"
fi

TRACERS=(etrace bpftrace bcc)
declare -A LABEL=([etrace]=etrace [bpftrace]=bpftrace [bcc]="bcc trace")
ACTIVE=()
for tr in "${TRACERS[@]}"; do
	[ -n "${NA[$tr]:-}" ] || ACTIVE+=("$tr")
done
active() { [ -z "${NA[$1]:-}" ]; }
# show a row for TRACER? (BCC's rows only when asked for)
shown() { [ "$1" != bcc ] || [ $WITH_BCC = 1 ]; }

echo "etrace user-space probe benchmark: kernel $(uname -r), $NCPU CPUs, bpftrace $(bpftrace --version 2>/dev/null | awk '{print $2}')$(active bcc && echo ", bcc trace")"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (anything else running on this machine adds noise;"
echo "  every probe here is system-wide: other processes' malloc() calls are traced too)"
[ $WITH_BCC = 1 ] || echo "bcc trace: not requested (--with-bcc)"
echo "targets: etrace >= ${TARGET_SPEED}x faster to first event than bpftrace and peak RSS <= 1/${TARGET_RSS} of its;"
echo "  etrace's added cost per malloc() over the floor <= bpftrace's"

# ================================================================ part 1

PROBES=(readline malloc)
declare -A PROBE_SPEC=([readline]='r:bash:readline "%s", retval' [malloc]='p:c:malloc "%d", arg1')
declare -A PROBE_BT=([readline]="uretprobe:$BASH_BIN:readline { printf(\"%s\\n\", str(retval)); }"
	[malloc]="uprobe:$LIBC:malloc { printf(\"%d\\n\", arg0); }")
# BCC 0.26's trace fails on a library given by name in this Python ("Can't mix
# strings and bytes in path components"): it gets the path.
declare -A PROBE_BCC=([readline]="r:$BASH_BIN:readline \"%s\", retval" [malloc]='p:c:malloc "%d", arg1')
declare -A PROBE_LOAD=([readline]='bash --norc -i fed "echo x" every ~1 ms'
	[malloc]='malloc-gen: bursts of 10 malloc() every ~1 ms')
declare -A LIMIT=([etrace]=20 [bpftrace]=30 [bcc]=90)  # seconds to the first event / to attach

# What an event line looks like; anything else on stdout (the header,
# "Attaching 1 probe...", BCC's compile errors) is not an event.
event_re() {  # TRACER PROBE -> RE
	case $1/$2 in
	bpftrace/readline) RE='^echo x$' ;;
	bpftrace/malloc) RE='^[0-9]+$' ;;
	*) RE='^[0-9]+[[:space:]]+[0-9]+[[:space:]]+[^[:space:]]' ;;
	esac
}

# start_load PROBE -> LOAD_PID (its own process group), or LOAD_ERR
start_load() {
	LOAD_ERR=
	set -m
	if [ "$1" = readline ]; then
		# An interactive bash calls readline for every line, a terminal or
		# not. HISTFILE= : nothing written at exit.
		if command -v perl >/dev/null; then
			( perl -e '$| = 1; while (1) { print "echo x\n"; select(undef, undef, undef, 0.001) }' |
				HISTFILE='' "$BASH_BIN" --norc -i >/dev/null 2>&1 ) &
		else
			( while :; do echo 'echo x'; sleep 0.001; done |
				HISTFILE='' "$BASH_BIN" --norc -i >/dev/null 2>&1 ) &
		fi
	else
		"$GEN" -b 10 >/dev/null 2>&1 &
	fi
	LOAD_PID=$!
	set +m
	GROUPS_+=("$LOAD_PID")
	sleep 0.3
	kill -0 "$LOAD_PID" 2>/dev/null || LOAD_ERR="workload for $1 did not start"
}

# measure TRACER PROBE HOLD -> R_MS (first event, ms), R_KB (VmHWM, kB),
# R_ERR (empty on success). As bench/startup.sh.
measure() {
	local tr=$1 probe=$2 hold=$3 fifo=$TMP/out err=$TMP/err
	local fd pid catpid='' line t0 t1=0 deadline left hwm=0 h rc
	local -a cmd
	R_MS='' R_KB='' R_ERR=''
	case $tr in
	etrace) cmd=("$ETRACE" "${PROBE_SPEC[$probe]}") ;;
	bpftrace) cmd=(bpftrace -B line -e "${PROBE_BT[$probe]}") ;;
	bcc) cmd=(trace-bpfcc "${PROBE_BCC[$probe]}") ;;
	esac
	event_re "$tr" "$probe"
	rm -f "$fifo" "$err.stdout"; mkfifo "$fifo"
	now; t0=$NOW
	# Monitor mode for this one job: its own process group, and SIGINT is
	# not ignored (a non-interactive shell's background jobs ignore it).
	set -m
	"${cmd[@]}" >"$fifo" 2>"$err" </dev/null &
	pid=$!
	set +m
	PIDS+=("$pid")
	exec {fd}<"$fifo"
	deadline=$(( t0 + ${LIMIT[$tr]} * 1000000 ))
	while :; do
		now; left=$(( deadline - NOW ))
		if [ $left -le 0 ]; then
			R_ERR="no event within ${LIMIT[$tr]} s"
			break
		fi
		IFS= read -r -t "$(( left / 1000000 )).$(printf %06d $(( left % 1000000 )))" -u "$fd" line
		rc=$?
		if [ $rc -gt 128 ]; then
			continue        # timed out: the deadline check ends it
		elif [ $rc -ne 0 ]; then
			R_ERR="closed its output (exited?) before its first event"
			sleep 0.2
			kill -0 "$pid" 2>/dev/null || R_ERR="exited before its first event"
			break
		fi
		if ! [[ $line =~ $RE ]]; then
			[ -n "$line" ] && echo "$line" >>"$err.stdout"
			continue
		fi
		now; t1=$NOW
		break
	done
	if [ -z "$R_ERR" ]; then
		h=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
		[ -n "$h" ] && hwm=$h
		# keep it busy: drain its output while it runs a little longer
		# (cat reads with one buffer: no malloc() per line)
		cat <&"$fd" >/dev/null &
		catpid=$!
		PIDS+=("$catpid")
		sleep "$hold"
		h=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
		[ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
		R_MS=$(calc %.1f "$(( t1 - t0 )) / 1000")
		R_KB=$hwm
	fi
	now; local ts=$NOW
	# trace-bpfcc on a busy probe often loses the KeyboardInterrupt inside
	# its perf-buffer callback: stop_tracer goes on to TERM and KILL.
	stop_tracer "$pid" 100
	now
	debug "$tr $probe: first event ${R_MS:-none} ms, RSS ${R_KB:-?} kB, stop $(( (NOW - ts) / 1000 )) ms, all $(( (NOW - t0) / 1000 )) ms"
	exec {fd}<&-
	if [ -n "$catpid" ]; then
		kill "$catpid" 2>/dev/null
		wait "$catpid" 2>/dev/null
		forget_pid "$catpid"
	fi
	if [ -n "$R_ERR" ]; then
		local why
		why=$(cat "$err.stdout" "$err" 2>/dev/null | grep -v '^[[:space:]]*$' |
			grep -iv 'RLIMIT_MEMLOCK' | head -1 | cut -c1-120)
		[ -n "$why" ] && R_ERR="$R_ERR: $why"
	fi
}

# The kernel's own part: perf_event_open() of the same uprobe by a bare C
# program (file and offset as etrace resolves them, from --dry-run -v).
declare -A KPATH=([readline]=$BASH_BIN [malloc]=$LIBC) KRET=([readline]=1 [malloc]=0) KOFF
for probe in "${PROBES[@]}"; do
	KOFF[$probe]=$("$ETRACE" --dry-run -v "${PROBE_SPEC[$probe]}" 2>&1 | sed -n 's/.*(offset \(0x[0-9a-f]*\)).*/\1/p' | head -1)
done
kernel_open() {  # PROBE -> R_MS (empty when it cannot)
	R_MS=
	[ -n "${KOFF[$1]}" ] || return 0
	R_MS=$("$TMP/uprobe-open" "${KPATH[$1]}" "${KOFF[$1]}" "${KRET[$1]}" 2>/dev/null |
		sed -n 's/^open_ms=\([0-9.]*\)$/\1/p')
	debug "kernel $1: perf_event_open ${R_MS:-failed} ms"
}

# How long the kernel takes to register a uprobe depends on what it has just
# done with it (a removal in progress, a uprobe kept around for a moment): a
# pause before every measurement keeps one tracer's teardown from
# overlapping the next one's start.
PAUSE=0.3

declare -A MS KB ERR    # key "probe/tracer": space-separated samples; last error
T_START=$SECONDS
for probe in "${PROBES[@]}"; do
	start_load "$probe"
	if [ -n "$LOAD_ERR" ]; then
		for tr in "${ACTIVE[@]}"; do ERR[$probe/$tr]=$LOAD_ERR; done
		stop_group "$LOAD_PID"
		continue
	fi
	printf 'part 1, %s: warm-up' "${PROBE_SPEC[$probe]}" >&2
	for tr in "${ACTIVE[@]}"; do
		sleep $PAUSE
		measure "$tr" "$probe" 0
	done
	for ((run = 0; run < RUNS; run++)); do
		printf ' %d' $((run + 1)) >&2
		sleep $PAUSE
		kernel_open "$probe"
		[ -n "$R_MS" ] && MS[$probe/kernel]+="$R_MS "
		n=${#ACTIVE[@]}
		for ((k = 0; k < n; k++)); do
			tr=${ACTIVE[(run + k) % n]}
			sleep $PAUSE
			measure "$tr" "$probe" "$HOLD"
			if [ -n "$R_ERR" ]; then
				ERR[$probe/$tr]=$R_ERR
			else
				MS[$probe/$tr]+="$R_MS "
				KB[$probe/$tr]+="$R_KB "
			fi
		done
	done
	echo >&2
	stop_group "$LOAD_PID"
done
P1_S=$((SECONDS - T_START))

# ================================================================ part 2

FLOOR_SPEC='p:c:malloc (0)'
FILTER_SPEC='p:c:malloc (arg1 == 12345678) "%d", arg1'
EMIT_SPEC='p:c:malloc "%d", arg1'
ETRACE_FLOOR_INSNS=$("$ETRACE" --dry-run -v "$FLOOR_SPEC" 2>&1 | sed -n 's/.*, \([0-9]*\) instructions$/\1/p' | head -1)

# tracer_cmd CASE -> CMD, KIND (etrace|bpftrace|bcc)
tracer_cmd() {
	case $1 in
	floor_bpftrace) KIND=bpftrace CMD=(bpftrace -B line -e "uprobe:$LIBC:malloc { }") ;;
	floor_etrace) KIND=etrace CMD=("$ETRACE" "$FLOOR_SPEC") ;;
	filter_etrace) KIND=etrace CMD=("$ETRACE" "$FILTER_SPEC") ;;
	filter_bpftrace) KIND=bpftrace CMD=(bpftrace -B line -e "uprobe:$LIBC:malloc /arg0 == 12345678/ { printf(\"%d\\n\", arg0); }") ;;
	filter_bcc) KIND=bcc CMD=(trace-bpfcc "$FILTER_SPEC") ;;
	emit_etrace) KIND=etrace CMD=("$ETRACE" -v "$EMIT_SPEC") ;;
	emit_bpftrace) KIND=bpftrace CMD=(bpftrace -B line -e "uprobe:$LIBC:malloc { printf(\"%d\\n\", arg0); }") ;;
	emit_bcc) KIND=bcc CMD=(trace-bpfcc "$EMIT_SPEC") ;;
	stack_etrace) KIND=etrace CMD=("$ETRACE" -U 'p:c:malloc') ;;
	stack_bpftrace) KIND=bpftrace CMD=(bpftrace -B line -e "uprobe:$LIBC:malloc { printf(\"%s\\n\", ustack); }") ;;
	stack_bcc) KIND=bcc CMD=(trace-bpfcc -U 'p:c:malloc') ;;
	*) echo "user.sh: internal error: case $1" >&2; exit 2 ;;
	esac
}

# attached PID: does process PID have a program on a uprobe in libc yet?
attached() {
	bpftool perf list 2>/dev/null | grep -q "^pid $1 .*uprobe .*libc\.so"
}

# tracer_start CASE OUT -> T_PID, T_ERR; T_FAIL non-empty if it did not get
# attached. Attached: bpftool perf list, else etrace's sentinel, else 1.5 s.
tracer_start() {
	local deadline
	tracer_cmd "$1"
	T_ERR=$TMP/err T_FAIL=
	set -m
	env ETRACE_TEST_SENTINEL=etrace-attached "${TPIN[@]}" "${CMD[@]}" >"$2" 2>"$T_ERR" </dev/null &
	T_PID=$!
	set +m
	PIDS+=("$T_PID")
	deadline=$((SECONDS + ${LIMIT[$KIND]}))
	while :; do
		if ! kill -0 "$T_PID" 2>/dev/null; then
			T_FAIL="exited: $(grep -v -e RLIMIT_MEMLOCK -e '^[[:space:]]*$' "$T_ERR" | head -1 | cut -c1-120)"
			break
		fi
		if [ $HAVE_BPFTOOL = 1 ]; then
			attached "$T_PID" && break
		elif [ "$KIND" = etrace ]; then
			grep -q etrace-attached "$T_ERR" 2>/dev/null && break
		else
			sleep 1.5; break
		fi
		if [ $SECONDS -ge $deadline ]; then
			T_FAIL="not attached within ${LIMIT[$KIND]} s"
			break
		fi
		sleep 0.02
	done
}

# workload N -> W_NS (wall ns per call), W_CPU (the thread's CPU ns per call)
workload() {
	local line
	line=$("${WPIN[@]}" "$GEN" "$1")
	W_NS=$(sed -n 's/.* ns_per_call=\([0-9.]*\) .*/\1/p' <<<"$line")
	W_CPU=$(sed -n 's/.* cpu_ns_per_call=\([0-9.]*\).*/\1/p' <<<"$line")
}

CASES=()
active bpftrace && CASES+=(floor_bpftrace)
CASES+=(floor_etrace filter_etrace)
active bpftrace && CASES+=(filter_bpftrace)
active bcc && CASES+=(filter_bcc)
CASES+=(emit_etrace)
active bpftrace && CASES+=(emit_bpftrace)
active bcc && CASES+=(emit_bcc)

declare -A NS CPU DIFF CDIFF ELOST EEVENTS
T_START=$SECONDS
printf 'part 2, %s malloc() calls a run: warm-up' "$CALLS" >&2
"${WPIN[@]}" "$GEN" "$CALLS" >/dev/null
for ((run = 0; run < COST_RUNS; run++)); do
	printf ' %d' $((run + 1)) >&2
	n=${#CASES[@]}
	for ((k = 0; k < n; k++)); do
		c=${CASES[(run + k) % n]}
		# the generator alone right before, so that "added" is a
		# difference of neighbours in time
		workload "$CALLS"
		base=$W_NS cbase=$W_CPU
		NS[alone]+="$W_NS " CPU[alone]+="$W_CPU "
		tracer_start "$c" /dev/null
		if [ -n "$T_FAIL" ]; then
			ERR[$c]=$T_FAIL
			stop_tracer "$T_PID" 250
			debug "$c: $T_FAIL"
			continue
		fi
		workload "$CALLS"
		stop_tracer "$T_PID" 250
		NS[$c]+="$W_NS " CPU[$c]+="$W_CPU "
		DIFF[$c]+="$(calc %.2f "$W_NS - $base") "
		CDIFF[$c]+="$(calc %.2f "$W_CPU - $cbase") "
		if [ "$c" = emit_etrace ]; then
			# -v: "probe 1: N events, M lost" (every process's mallocs)
			read -r ev lo < <(sed -n 's/^probe 1: \([0-9]*\) events, \([0-9]*\) lost$/\1 \2/p' "$T_ERR" | tail -1)
			EEVENTS[$c]+="${ev:-0} " ELOST[$c]+="${lo:-0} "
		fi
		debug "$c: $W_NS ns/call wall, $W_CPU CPU (alone just before: $base, $cbase)"
	done
done
echo " ($((SECONDS - T_START)) s)" >&2

# One more pass with kernel.bpf_stats_enabled=1: the kernel then times every
# BPF program run (bpftool prog show: run_time_ns / run_cnt). Not in the
# figures above: the timing itself costs each run some tens of ns.
declare -A PROG_NS
if [ $HAVE_BPFTOOL = 1 ] && [ -w /proc/sys/kernel/bpf_stats_enabled ]; then
	STATS_WAS=$(cat /proc/sys/kernel/bpf_stats_enabled)
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	printf 'part 2, program run time (bpf_stats):' >&2
	for c in "${CASES[@]}"; do
		[[ $c == emit_* ]] && continue   # mostly the ring-buffer-full path when lossy
		printf ' %s' "$c" >&2
		tracer_start "$c" /dev/null
		if [ -z "$T_FAIL" ]; then
			ids=$(bpftool perf list 2>/dev/null |
				sed -n "s/^pid $T_PID .*prog_id \([0-9]*\) *uprobe .*libc\.so.*/\1/p")
			workload "$CALLS"
			tot=0 cnt=0
			for id in $ids; do
				read -r t m < <(bpftool prog show id "$id" 2>/dev/null |
					sed -n 's/.* run_time_ns \([0-9]*\) run_cnt \([0-9]*\).*/\1 \2/p')
				tot=$((tot + ${t:-0})) cnt=$((cnt + ${m:-0}))
			done
			[ "$cnt" -gt 0 ] && PROG_NS[$c]=$(calc %.1f "$tot / $cnt")
		fi
		stop_tracer "$T_PID" 250
		debug "$c: program ${PROG_NS[$c]:-?} ns/run"
	done
	echo "$STATS_WAS" >/proc/sys/kernel/bpf_stats_enabled
	STATS_WAS=
	echo >&2
fi
P2_S=$((SECONDS - T_START))

# ================================================================ part 3

# stack_measure CASE: one measurement -> S_EVS (events/s in the window),
# S_FPE (frames per event), S_LOST, S_GEN (generator ns/call), S_RSS1/S_HWM1
# (kB once STACK_EVENTS events were printed; empty if never), S_RSS/S_HWM (kB
# at the end of the window), S_EVENTS (all counted), S_FAIL
handles_usr1() {  # PID: has it a handler for SIGUSR1 (bit 9 of SigCgt)?
	local m
	m=$(awk '/^SigCgt:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	[ -n "$m" ] && (( (16#$m >> 9) & 1 ))
}

stack_measure() {
	local c=$1 fifo=$TMP/stack.out res=$TMP/count.out cpid line gl st en ev i
	S_EVS='' S_FPE='' S_LOST='' S_GEN='' S_RSS1='' S_HWM1='' S_RSS='' S_HWM='' S_EVENTS='' S_FAIL=''
	rm -f "$fifo" "$res"; mkfifo "$fifo"
	tracer_cmd "$c"
	local mode=lines
	[ "$KIND" = bpftrace ] && mode=blocks
	# The counter first: opening the fifo blocks each side until the other
	# has it open, and both are children. It reads the tracer's pid from a
	# file when it needs it (STACK_EVENTS events on: long after the start).
	rm -f "$TMP/tracer.pid"
	"${TPIN[@]}" "$COUNT" "$mode" "$TMP/tracer.pid" "$STACK_EVENTS" <"$fifo" >"$res" &
	cpid=$!
	PIDS+=("$cpid")
	tracer_start "$c" "$fifo"
	echo "$T_PID" >"$TMP/tracer.pid"
	if [ -n "$T_FAIL" ]; then
		S_FAIL=$T_FAIL
		stop_tracer "$T_PID" 250
		kill "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null; forget_pid "$cpid"
		return
	fi
	# SIGUSR1 would end the counter before it has its handler
	for ((i = 0; i < 250; i++)); do
		handles_usr1 "$cpid" && break
		sleep 0.02
	done
	kill -USR1 "$cpid" 2>/dev/null
	gl=$("${WPIN[@]}" "$GEN" -d "$STACK_S")
	kill -USR2 "$cpid" 2>/dev/null
	read -r S_RSS S_HWM < <(awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { print r, h }' "/proc/$T_PID/status" 2>/dev/null)
	if ! kill -0 "$T_PID" 2>/dev/null; then
		S_FAIL="exited during the run: $(grep -v -e RLIMIT_MEMLOCK -e '^[[:space:]]*$' "$T_ERR" | tail -1 | cut -c1-120)"
	fi
	stop_tracer "$T_PID" 1000
	# the counter ends at EOF, once the tracer has exited
	stop_wait "$cpid" 500 || kill "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
	forget_pid "$cpid"
	line=$(cat "$res" 2>/dev/null)
	debug "$c: $line; generator: $gl; end RSS $S_RSS kB, HWM $S_HWM kB"
	[ -n "$S_FAIL" ] && return
	if [ -z "$line" ]; then
		S_FAIL="no count"
		return
	fi
	ev=$(sed -n 's/^events=\([0-9]*\) .*/\1/p' <<<"$line")
	st=$(sed -n 's/.* start=\([0-9-]*\) .*/\1/p' <<<"$line")
	en=$(sed -n 's/.* end=\([0-9-]*\) .*/\1/p' <<<"$line")
	S_EVENTS=$ev
	S_EVS=$(calc %.0f "($en - $st) / $STACK_S")
	S_FPE=$(sed -n 's/.* frames=\([0-9]*\) .*/\1/p' <<<"$line")
	S_FPE=$(calc %.2f "$ev > 0 ? $S_FPE / $ev : 0")
	S_RSS1=$(sed -n 's/.* rss_kb=\([0-9]*\) .*/\1/p' <<<"$line")
	S_HWM1=$(sed -n 's/.* hwm_kb=\([0-9]*\) .*/\1/p' <<<"$line")
	S_GEN=$(sed -n 's/.* ns_per_call=\([0-9.]*\) .*/\1/p' <<<"$gl")
	case $KIND in
	etrace) S_LOST=$(sed -n 's/^etrace: lost \([0-9]*\) events.*/\1/p' "$T_ERR" | tail -1) ;;
	bpftrace) S_LOST=$(sed -n 's/.* lost=\([0-9]*\).*/\1/p' <<<"$line") ;;
	bcc) S_LOST=$(awk '/Possibly lost [0-9]+ samples/ { for (i = 1; i < NF; i++) if ($i == "lost") n += $(i + 1) }
		END { print n + 0 }' "$T_ERR") ;;
	esac
	S_LOST=${S_LOST:-0}
}

SCASES=()
if [ "$STACK_RUNS" -gt 0 ]; then
	SCASES+=(stack_etrace)
	active bpftrace && SCASES+=(stack_bpftrace)
	active bcc && SCASES+=(stack_bcc)
fi
declare -A SALL SEVS SFPE SLOST SGEN SRSS1 SHWM1 SRSS SHWM
T_START=$SECONDS
if [ ${#SCASES[@]} -gt 0 ]; then
	printf 'part 3, -U, %s s a run:' "$STACK_S" >&2
	for ((run = 0; run < STACK_RUNS; run++)); do
		printf ' %d' $((run + 1)) >&2
		n=${#SCASES[@]}
		for ((k = 0; k < n; k++)); do
			c=${SCASES[(run + k) % n]}
			stack_measure "$c"
			if [ -n "$S_FAIL" ]; then
				ERR[$c]=$S_FAIL
				continue
			fi
			SALL[$c]+="$S_EVENTS " SEVS[$c]+="$S_EVS " SFPE[$c]+="$S_FPE " SLOST[$c]+="$S_LOST " SGEN[$c]+="$S_GEN "
			SRSS[$c]+="${S_RSS:-0} " SHWM[$c]+="${S_HWM:-0} "
			if [ -n "$S_RSS1" ] && [ "$S_RSS1" != -1 ]; then
				SRSS1[$c]+="$S_RSS1 " SHWM1[$c]+="$S_HWM1 "
			fi
		done
	done
	echo " ($((SECONDS - T_START)) s)" >&2
fi
P3_S=$((SECONDS - T_START))

# ================================================================ report

mb() { [ -n "${1:-}" ] && calc %.1f "$1 / 1024"; }
# ratio A B -> "A/B" with 2 decimals, or "-"
ratio() {
	if [ -n "${1:-}" ] && [ -n "${2:-}" ] && [ "$(calc %d "$2 > 0")" = 1 ]; then
		calc '%.2fx' "$1 / $2"
	else
		echo -
	fi
}

# ---------------------------------------------------------------- part 1
MISSED=0
STATUS=0
declare -A VERDICT P1_JSON
for probe in "${PROBES[@]}"; do
	echo
	echo "part 1: start-up, ${PROBE_SPEC[$probe]} (workload: ${PROBE_LOAD[$probe]}; $RUNS runs, hold ${HOLD}s)"
	echo "  bpftrace: ${PROBE_BT[$probe]}"
	active bcc && echo "  bcc: trace-bpfcc '${PROBE_BCC[$probe]}'"
	printf '%-10s | %24s | %13s\n' tracer "time to first event (ms)" "peak RSS (MB)"
	printf '%s\n' "-----------+--------------------------+--------------"
	declare -A MED_MS=() MED_MB=()
	js=''
	for tr in "${TRACERS[@]}"; do
		shown "$tr" || continue
		key=$probe/$tr
		read -r -a ms <<<"${MS[$key]:-}"
		read -r -a kb <<<"${KB[$key]:-}"
		reason=${NA[$tr]:-${ERR[$key]:-}}
		[ -n "$js" ] && js+=", "
		if [ ${#ms[@]} -gt 0 ]; then
			MED_MS[$tr]=$(median "${ms[@]}")
			MED_MB[$tr]=$(mb "$(median "${kb[@]}")")
			note=
			[ ${#ms[@]} -lt "$RUNS" ] && note="  (${#ms[@]}/$RUNS runs ok; last error: $reason)"
			printf '%-10s | %24s | %13s%s\n' "${LABEL[$tr]}" "${MED_MS[$tr]}" "${MED_MB[$tr]}" "$note"
			js+="\"$tr\": {\"status\": \"ok\", \"first_event_ms\": $(json_list "${ms[@]}"), \"peak_rss_kb\": $(json_list "${kb[@]}"), \"median_first_event_ms\": ${MED_MS[$tr]}, \"median_peak_rss_mb\": ${MED_MB[$tr]}"
			[ ${#ms[@]} -lt "$RUNS" ] && js+=", \"error\": $(json_str "$reason")"
			js+="}"
		else
			printf '%-10s | n/a: %s\n' "${LABEL[$tr]}" "${reason:-no data}"
			js+="\"$tr\": {\"status\": \"n/a\", \"reason\": $(json_str "${reason:-no data}")}"
			[ "$tr" = etrace ] && STATUS=1
		fi
	done
	read -r -a ms <<<"${MS[$probe/kernel]:-}"
	KMS=
	if [ ${#ms[@]} -gt 0 ]; then
		KMS=$(median "${ms[@]}")
		printf '%-10s | %24s | %13s\n' "(kernel)" "$KMS ($(printf '%s\n' "${ms[@]}" | sort -g | sed -n '1p;$p' |
			paste -sd-))" -
		js+=", \"kernel_perf_event_open\": {\"ms\": $(json_list "${ms[@]}"), \"median_ms\": $KMS}"
	fi
	js+=", \"ratios\": {"
	sep=
	for other in bpftrace bcc; do
		if [ -n "${MED_MS[etrace]:-}" ] && [ -n "${MED_MS[$other]:-}" ]; then
			speed=$(calc %.1f "${MED_MS[etrace]} > 0 ? ${MED_MS[$other]} / ${MED_MS[etrace]} : 0")
			rss=$(calc %.1f "${MED_MB[etrace]} > 0 ? ${MED_MB[$other]} / ${MED_MB[etrace]} : 0")
			echo "etrace vs ${LABEL[$other]}: ${speed}x faster to first event, RSS 1/${rss}"
			js+="$sep\"$other\": {\"speedup\": $speed, \"rss_divisor\": $rss"
			sep=", "
			if [ "$other" = bpftrace ]; then
				v1=$(calc %s "$speed >= $TARGET_SPEED ? \"met\" : \"MISSED\"")
				v2=$(calc %s "$rss >= $TARGET_RSS ? \"met\" : \"MISSED\"")
				echo "  targets: >= ${TARGET_SPEED}x faster: $v1; RSS <= 1/${TARGET_RSS}: $v2"
				[ "$v1$v2" = metmet ] || MISSED=1
				VERDICT["$probe: etrace >= ${TARGET_SPEED}x faster to first event than bpftrace (${speed}x)"]=$v1
				VERDICT["$probe: etrace peak RSS <= 1/${TARGET_RSS} of bpftrace's (1/${rss})"]=$v2
			fi
			js+="}"
		fi
	done
	js+="}"
	P1_JSON[$probe]=$js
	unset MED_MS MED_MB
done
echo "(kernel): perf_event_open() of the same uprobe by a bare C program, no BPF program: the kernel's"
echo "registration of the uprobe, which every tracer's start-up includes (median of $RUNS, one per run;"
echo "in parentheses the smallest and the largest: it varies a lot from one registration to the next)."

# ---------------------------------------------------------------- part 2
declare -A MED CMED ADD CADD
for c in alone "${CASES[@]}"; do
	read -r -a v <<<"${NS[$c]:-}"
	[ ${#v[@]} -gt 0 ] && MED[$c]=$(median "${v[@]}")
	read -r -a v <<<"${CPU[$c]:-}"
	[ ${#v[@]} -gt 0 ] && CMED[$c]=$(median "${v[@]}")
	read -r -a v <<<"${DIFF[$c]:-}"
	[ ${#v[@]} -gt 0 ] && ADD[$c]=$(median "${v[@]}")
	read -r -a v <<<"${CDIFF[$c]:-}"
	[ ${#v[@]} -gt 0 ] && CADD[$c]=$(median "${v[@]}")
done
FLOOR=${ADD[floor_bpftrace]:-}
declare -A OVER
for c in "${CASES[@]}"; do
	[ -n "${ADD[$c]:-}" ] && [ -n "$FLOOR" ] && OVER[$c]=$(calc %.1f "${ADD[$c]} - $FLOOR")
done

declare -A CLABEL=([alone]="generator alone" [floor_bpftrace]="bpftrace (empty program)"
	[floor_etrace]="etrace p:c:malloc (0)"
	[filter_etrace]="etrace" [filter_bpftrace]="bpftrace" [filter_bcc]="bcc trace"
	[emit_etrace]="etrace" [emit_bpftrace]="bpftrace" [emit_bcc]="bcc trace"
	[stack_etrace]="etrace" [stack_bpftrace]="bpftrace" [stack_bcc]="bcc trace")
declare -A CTRACER=([floor_bpftrace]=bpftrace [floor_etrace]=etrace
	[filter_etrace]=etrace [filter_bpftrace]=bpftrace [filter_bcc]=bcc
	[emit_etrace]=etrace [emit_bpftrace]=bpftrace [emit_bcc]=bcc
	[stack_etrace]=etrace [stack_bpftrace]=bpftrace [stack_bcc]=bcc)

p2_row() {  # CASE SCENARIO
	local c=$1 sc=$2 tr=${CTRACER[$1]}
	shown "$tr" || return 0
	if [ -z "${MED[$c]:-}" ]; then
		printf '  %-28s | n/a: %s\n' "${CLABEL[$c]}" "${NA[$tr]:-${ERR[$c]:-no data}}"
		[ "$tr" = etrace ] && STATUS=1
		return 0
	fi
	local vb=-
	[ -n "$sc" ] && vb=$(ratio "${ADD[$c]}" "${ADD[${sc}_bpftrace]:-}")
	printf '  %-28s | %8s | %13s | %10s | %11s | %12s | %11s\n' "${CLABEL[$c]}" "${MED[$c]}" "${ADD[$c]}" \
		"${OVER[$c]:--}" "$vb" "${CADD[$c]:--}" "${PROG_NS[$c]:--}"
}
echo
echo "part 2: added cost per malloc() call ($CALLS malloc()+free() a run, $PLACEMENT, median of $COST_RUNS)"
printf '  %-28s | %8s | %13s | %10s | %11s | %12s | %11s\n' "" "ns/call" "added ns/call" "over floor" "vs bpftrace" \
	"added CPU ns" "prog ns/run"
printf '  %s\n' "-----------------------------+----------+---------------+------------+-------------+--------------+------------"
printf '  %-28s | %8s | %13s | %10s | %11s | %12s | %11s\n' "${CLABEL[alone]}" "${MED[alone]:-?}" - - - - -
echo "  floor: an empty program on the uprobe"
p2_row floor_bpftrace ''
p2_row floor_etrace ''
echo "  filter-reject: (arg1 == 12345678), bpftrace /arg0 == 12345678/"
for tr in etrace bpftrace bcc; do p2_row "filter_$tr" filter; done
echo "  emit: \"%d\", arg1 for every call, output to /dev/null"
for tr in etrace bpftrace bcc; do p2_row "emit_$tr" emit; done
echo "ns/call: the generator's wall time per call; added: median of (ns/call - the generator alone just"
echo "before); over floor: added - bpftrace's empty program's added (${FLOOR:-?} ns: the uprobe itself);"
echo "added CPU ns: the same from the thread's CPU time; prog ns/run: the BPF program's own run time"
echo "(kernel.bpf_stats_enabled, one more run; includes the stats' own timing)."
[ -n "$ETRACE_FLOOR_INSNS" ] && echo "etrace's '$FLOOR_SPEC' is a $ETRACE_FLOOR_INSNS-instruction program (--dry-run -v)."
if [ -n "${EEVENTS[emit_etrace]:-}" ]; then
	read -r -a e <<<"${EEVENTS[emit_etrace]}"
	read -r -a l <<<"${ELOST[emit_etrace]}"
	echo "etrace emit: median $(calc %.0f "$(median "${e[@]}")") events printed, $(calc %.0f "$(median "${l[@]}")") lost a run (-v; all processes)."
fi

# ---------------------------------------------------------------- part 3
if [ ${#SCASES[@]} -gt 0 ]; then
	echo
	echo "part 3: -U on p:c:malloc, generator at full speed for ${STACK_S} s ($PLACEMENT, counter with the tracers),"
	echo "median of $STACK_RUNS; RSS read once $STACK_EVENTS events were printed"
	printf '  %s; %s%s\n' "etrace -U 'p:c:malloc'" "bpftrace '$(tracer_cmd stack_bpftrace; echo "${CMD[4]}")'" \
		"$(active bcc && echo "; trace-bpfcc -U 'p:c:malloc'")"
	if [ $((STACK_EVENTS % 1000000)) = 0 ]; then nev=$((STACK_EVENTS / 1000000))M
	elif [ $((STACK_EVENTS % 1000)) = 0 ]; then nev=$((STACK_EVENTS / 1000))k
	else nev=$STACK_EVENTS; fi
	printf '%-10s | %10s | %8s | %10s | %11s | %18s | %18s\n' tracer "events/s" "frames/" "lost" "generator" \
		"at $nev events (MB)" "at the end (MB)"
	printf '%-10s | %10s | %8s | %10s | %11s | %18s | %18s\n' "" "" "event" "" "ns/call" "VmRSS  VmHWM" "VmRSS  VmHWM"
	printf '%s\n' "-----------+------------+----------+------------+-------------+--------------------+-------------------"
	declare -A SMED
	for tr in etrace bpftrace bcc; do
		c=stack_$tr
		shown "$tr" || continue
		if [ -z "${SEVS[$c]:-}" ]; then
			printf '%-10s | n/a: %s\n' "${LABEL[$tr]}" "${NA[$tr]:-${ERR[$c]:-no data}}"
			continue
		fi
		read -r -a a <<<"${SEVS[$c]}"; SMED[$c/evs]=$(calc %.0f "$(median "${a[@]}")")
		read -r -a a <<<"${SFPE[$c]}"; SMED[$c/fpe]=$(median "${a[@]}")
		read -r -a a <<<"${SLOST[$c]}"; SMED[$c/lost]=$(calc %.0f "$(median "${a[@]}")")
		read -r -a a <<<"${SGEN[$c]}"; SMED[$c/gen]=$(median "${a[@]}")
		read -r -a a <<<"${SRSS[$c]}"; SMED[$c/rss]=$(mb "$(median "${a[@]}")")
		read -r -a a <<<"${SHWM[$c]}"; SMED[$c/hwm]=$(mb "$(median "${a[@]}")")
		at1=never
		if [ -n "${SRSS1[$c]:-}" ]; then
			read -r -a a <<<"${SRSS1[$c]}"; SMED[$c/rss1]=$(mb "$(median "${a[@]}")")
			read -r -a a <<<"${SHWM1[$c]}"; SMED[$c/hwm1]=$(mb "$(median "${a[@]}")")
			at1="${SMED[$c/rss1]}  ${SMED[$c/hwm1]}"
			read -r -a a <<<"${SRSS1[$c]}"
			[ ${#a[@]} -lt "$STACK_RUNS" ] && at1+=" (${#a[@]}/$STACK_RUNS)"
		fi
		note=
		read -r -a a <<<"${SEVS[$c]}"
		[ ${#a[@]} -lt "$STACK_RUNS" ] && note="  (${#a[@]}/$STACK_RUNS runs ok; last error: ${ERR[$c]:-})"
		printf '%-10s | %10s | %8s | %10s | %11s | %18s | %18s%s\n' "${LABEL[$tr]}" "${SMED[$c/evs]}" "${SMED[$c/fpe]}" \
			"${SMED[$c/lost]}" "${SMED[$c/gen]}" "$at1" "${SMED[$c/rss]}  ${SMED[$c/hwm]}" "$note"
	done
	echo "events/s: event lines (each with its stack) the tracer printed during the window, all processes;"
	echo "lost: what the tracer reported at exit (etrace: 'etrace: lost N'; bpftrace: its 'Lost N events'"
	echo "lines, as many as it printed before it was stopped; BCC: 'Possibly lost N samples'); generator
ns/call: its own wall time per call while traced (alone: ${MED[alone]:-?} ns, part 2)."
	for other in bpftrace bcc; do
		if [ -n "${SMED[stack_etrace/evs]:-}" ] && [ -n "${SMED[stack_$other/evs]:-}" ]; then
			echo "etrace vs ${LABEL[$other]}: $(ratio "${SMED[stack_etrace/evs]}" "${SMED[stack_$other/evs]}") the stacks per second," \
				"VmHWM at the end 1/$(calc %.1f "${SMED[stack_etrace/hwm]} > 0 ? ${SMED[stack_$other/hwm]} / ${SMED[stack_etrace/hwm]} : 0")"
		fi
	done
fi

# ---------------------------------------------------------------- verdict
# Part 2: etrace's added cost over the floor at most bpftrace's; within TIE
# (3%) of bpftrace's whole added cost counts as a tie: the uprobe's trap is
# most of it and its spread from run to run is larger than the programs' part.
verdict2() {  # SCENARIO
	local et=${ADD[${1}_etrace]:-} bt=${ADD[${1}_bpftrace]:-} v
	if [ -z "$et" ] || [ -z "$bt" ]; then
		v=n/a
	elif [ "$(calc %d "$et <= $bt")" = 1 ]; then
		v=met
	elif [ "$(calc %d "$et <= $bt * (1 + $TIE)")" = 1 ]; then
		v="tie (within $(calc %.0f "$TIE * 100")% of bpftrace's added cost, the noise)"
	else
		v=MISSED MISSED=1
	fi
	VERDICT["$1: etrace's added cost over the floor (${OVER[${1}_etrace]:-?} ns) <= bpftrace's (${OVER[${1}_bpftrace]:-?} ns)"]=$v
}
verdict2 filter
verdict2 emit
echo
echo "verdict:"
for k in "${!VERDICT[@]}"; do echo "$k"; done | sort | while IFS= read -r k; do
	echo "  $k: ${VERDICT[$k]}"
done
echo "(part 1 $P1_S s, part 2 $P2_S s, part 3 $P3_S s)"

# ---------------------------------------------------------------- json
mkdir -p "$(dirname "$OUT")"
{
	printf '{\n  "date": %s,\n  "kernel": %s,\n  "cpus": %d,\n  "runs": %d,\n  "hold_s": %s,\n' \
		"$(json_str "$(date -u +%FT%TZ)")" "$(json_str "$(uname -r)")" "$NCPU" "$RUNS" "$HOLD"
	printf '  "etrace": %s,\n  "libc": %s,\n  "placement": %s,\n  "clock": %s,\n' "$(json_str "$ETRACE")" \
		"$(json_str "$LIBC")" "$(json_str "$PLACEMENT")" "$(json_str "$CLOCK")"
	printf '  "targets": {"speedup_min": %s, "rss_fraction_max": "1/%s", "cost_over_floor": "<= bpftrace"},\n' \
		"$TARGET_SPEED" "$TARGET_RSS"
	printf '  "startup": {\n'
	sep=
	for probe in "${PROBES[@]}"; do
		printf '%s    %s: {"workload": %s, %s}' "$sep" "$(json_str "${PROBE_SPEC[$probe]}")" \
			"$(json_str "${PROBE_LOAD[$probe]}")" "${P1_JSON[$probe]}"
		sep=$',\n'
	done
	printf '\n  },\n'
	printf '  "cost": {"runs": %s, "calls": %s, "floor_added_ns_per_call": %s, "etrace_floor_spec": %s, "etrace_floor_insns": %s,\n' \
		"$COST_RUNS" "$CALLS" "$(json_num "$FLOOR")" "$(json_str "$FLOOR_SPEC")" "$(json_num "$ETRACE_FLOOR_INSNS")"
	printf '    "cases": {\n'
	sep=
	for c in alone "${CASES[@]}"; do
		printf '%s      %s: {' "$sep" "$(json_str "$c")"
		read -r -a v <<<"${NS[$c]:-}"
		if [ ${#v[@]} -gt 0 ]; then
			read -r -a cv <<<"${CPU[$c]}"
			printf '"ns_per_call": %s, "cpu_ns_per_call": %s, "median_ns_per_call": %s, "median_cpu_ns_per_call": %s' \
				"$(json_list "${v[@]}")" "$(json_list "${cv[@]}")" "${MED[$c]}" "${CMED[$c]}"
			if [ -n "${DIFF[$c]:-}" ]; then
				read -r -a d <<<"${DIFF[$c]}"
				read -r -a cd <<<"${CDIFF[$c]}"
				printf ', "added_samples": %s, "added_cpu_samples": %s, "added_ns_per_call": %s, "added_cpu_ns_per_call": %s' \
					"$(json_list "${d[@]}")" "$(json_list "${cd[@]}")" "${ADD[$c]}" "${CADD[$c]}"
			fi
			[ -n "${OVER[$c]:-}" ] && printf ', "over_floor_ns": %s' "${OVER[$c]}"
			[ -n "${PROG_NS[$c]:-}" ] && printf ', "bpf_prog_ns_per_run": %s' "${PROG_NS[$c]}"
			if [ -n "${EEVENTS[$c]:-}" ]; then
				read -r -a e <<<"${EEVENTS[$c]}"
				read -r -a l <<<"${ELOST[$c]}"
				printf ', "events": %s, "lost": %s' "$(json_list "${e[@]}")" "$(json_list "${l[@]}")"
			fi
			[ -n "${ERR[$c]:-}" ] && printf ', "error": %s' "$(json_str "${ERR[$c]}")"
		else
			tr=${CTRACER[$c]:-bpftrace}
			printf '"status": "n/a", "reason": %s' "$(json_str "${NA[$tr]:-${ERR[$c]:-no data}}")"
		fi
		printf '}'
		sep=$',\n'
	done
	printf '\n    }\n  },\n'
	printf '  "stacks": {"seconds": %s, "runs": %s, "rss_at_events": %s' "$STACK_S" "$STACK_RUNS" "$STACK_EVENTS"
	for c in "${SCASES[@]}"; do
		printf ',\n    %s: {' "$(json_str "${c#stack_}")"
		if [ -n "${SEVS[$c]:-}" ]; then
			read -r -a a <<<"${SEVS[$c]}"; printf '"events_per_s": %s' "$(json_list "${a[@]}")"
			read -r -a a <<<"${SALL[$c]}"; printf ', "events_counted": %s' "$(json_list "${a[@]}")"
			read -r -a a <<<"${SFPE[$c]}"; printf ', "frames_per_event": %s' "$(json_list "${a[@]}")"
			read -r -a a <<<"${SLOST[$c]}"; printf ', "lost": %s' "$(json_list "${a[@]}")"
			read -r -a a <<<"${SGEN[$c]}"; printf ', "generator_ns_per_call": %s' "$(json_list "${a[@]}")"
			read -r -a a <<<"${SRSS1[$c]:-}"; printf ', "vmrss_kb_at_events": %s' "$(json_list "${a[@]}")"
			read -r -a a <<<"${SHWM1[$c]:-}"; printf ', "vmhwm_kb_at_events": %s' "$(json_list "${a[@]}")"
			read -r -a a <<<"${SRSS[$c]}"; printf ', "vmrss_kb_at_end": %s' "$(json_list "${a[@]}")"
			read -r -a a <<<"${SHWM[$c]}"; printf ', "vmhwm_kb_at_end": %s' "$(json_list "${a[@]}")"
			printf ', "median_events_per_s": %s' "${SMED[$c/evs]}"
			[ -n "${ERR[$c]:-}" ] && printf ', "error": %s' "$(json_str "${ERR[$c]}")"
		else
			printf '"status": "n/a", "reason": %s' "$(json_str "${NA[${CTRACER[$c]}]:-${ERR[$c]:-no data}}")"
		fi
		printf '}'
	done
	printf '\n  },\n  "verdict": {'
	sep=
	for k in "${!VERDICT[@]}"; do
		printf '%s%s: %s' "$sep" "$(json_str "$k")" "$(json_str "${VERDICT[$k]}")"
		sep=", "
	done
	printf '}\n}\n'
} >"$OUT"

echo
echo "raw numbers: $OUT"
[ $STRICT = 1 ] && [ $MISSED = 1 ] && STATUS=1
exit $STATUS
