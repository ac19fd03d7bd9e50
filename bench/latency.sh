#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/latency.sh - what a histogram of call latencies costs per call:
# added CPU ns per call of a hot user function (a generator built here
# calls a small noinline function in a tight loop and times itself) with
#
#   etrace -H 'r:GEN:one "%d", $latency'        entry + return, one histogram
#   bpftrace: uprobe { @s[tid] = nsecs } uretprobe /@s[tid]/
#             { @h = hist(nsecs - @s[tid]); delete(@s[tid]) }
#   the floor: bpftrace's two empty programs on the same uprobe and uretprobe
#
# side by side. Target: etrace's cost at most bpftrace's. User functions,
# because this host refuses kernel-function probes and the VM lab has no
# bpftrace; the BPF side (map update at entry, lookup, histogram, delete
# at return) is the same as for kernel functions.
#
# usage: bench/latency.sh [-n RUNS] [--calls N] [ETRACE]

set -uo pipefail

RUNS=5
CALLS=200000
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
ETRACE=

usage() {
	echo "usage: bench/latency.sh [-n RUNS] [--calls N] [ETRACE]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	-n) RUNS=${2:?}; shift 2 ;;
	--calls) CALLS=${2:?}; shift 2 ;;
	--with-bcc) shift ;;	# BCC has no latency histogram in trace
	-h|--help) usage ;;
	-*) echo "latency.sh: unknown option $1" >&2; usage ;;
	*) ETRACE=$1; shift ;;
	esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || usage
[[ $CALLS =~ ^[1-9][0-9]*$ ]] || usage
ETRACE=${ETRACE:-$REPO/build/etrace}
[ -x "$ETRACE" ] || { echo "latency.sh: no etrace at $ETRACE (run make)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "latency.sh: run as root" >&2; exit 2; }

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
declare -A NA
need_bpftrace NA

TMP=$(mktemp -d /tmp/etrace-latency.XXXXXX)
TPID=
cleanup() {
	[ -n "$TPID" ] && kill -INT "$TPID" 2>/dev/null && wait "$TPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo; echo "latency.sh: interrupted" >&2; exit 130' INT TERM HUP

# lat-gen N: N calls of one() in a tight loop; prints the thread's CPU ns per call.
cat >"$TMP/lat-gen.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile long sink;

__attribute__((noinline)) long one(long i)
{
	sink += i;
	return i;
}

static double cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0;
	double c0;

	if (n <= 0)
		return 2;
	c0 = cpu_ns();
	for (long i = 0; i < n; i++)
		one(i);
	printf("calls=%ld cpu_ns_per_call=%.2f\n", n, (cpu_ns() - c0) / n);
	return 0;
}
EOF
GEN=$TMP/lat-gen
gcc -O2 -fno-omit-frame-pointer -o "$GEN" "$TMP/lat-gen.c" ||
	{ echo "latency.sh: cannot build the generator" >&2; exit 2; }
pin_cpus

tracer_cmd() {
	case $1 in
	etrace) CMD=("$ETRACE" -H "r:$GEN:one \"%d\", \$latency") ;;
	bpftrace) CMD=(bpftrace -B line -e "uprobe:$GEN:one { @s[tid] = nsecs; }
		uretprobe:$GEN:one /@s[tid]/ { @h = hist(nsecs - @s[tid]); delete(@s[tid]); }") ;;
	floor) CMD=(bpftrace -B line -e "uprobe:$GEN:one { } uretprobe:$GEN:one { }") ;;
	esac
}

# Attached: etrace once bpftool shows its programs on the uprobes (it prints
# nothing before the end), bpftrace once it said "Attaching".
tracer_start() {
	local i
	tracer_cmd "$1"
	: >"$TMP/out"
	"${TPIN[@]}" "${CMD[@]}" >"$TMP/out" 2>"$TMP/err" &
	TPID=$!
	for ((i = 0; i < 250; i++)); do
		sleep 0.02
		kill -0 "$TPID" 2>/dev/null || return 1
		if [ "$1" = etrace ]; then
			[ "$(bpftool perf list 2>/dev/null | grep -c "pid $TPID ")" -ge 2 ] && return 0
		elif grep -q '^Attaching' "$TMP/out"; then
			sleep 0.5
			return 0
		fi
	done
	return 1
}

CONFS=(etrace)
[ -z "${NA[bpftrace]:-}" ] && CONFS+=(bpftrace floor)
declare -A ADDED
echo "latency histogram benchmark: kernel $(uname -r), $NCPU CPUs," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
added_cost "$RUNS" "${CONFS[@]}"
echo
echo "a noinline user function, $CALLS calls: entry and return probed"
printf '%-58s | %s\n' "tracer" "added CPU ns per call (median)"
printf '%s\n' "-----------------------------------------------------------+-------------------------------"
declare -A LABEL=([etrace]="etrace -H 'r:...:one \"%d\", \$latency'"
	[bpftrace]="bpftrace @s[tid] = nsecs; hist(nsecs - @s[tid])"
	[floor]="floor: bpftrace's empty uprobe and uretprobe")
declare -A MED
for c in etrace bpftrace floor; do
	if [ -z "${ADDED[$c]:-}" ]; then
		printf '%-58s | n/a: %s\n' "${LABEL[$c]}" "${NA[bpftrace]:-did not start}"
		continue
	fi
	read -r -a v <<<"${ADDED[$c]}"
	MED[$c]=$(median "${v[@]}")
	printf '%-58s | %s\n' "${LABEL[$c]}" "${MED[$c]}"
done
if [ -n "${MED[etrace]:-}" ] && [ -n "${MED[bpftrace]:-}" ] && [ -n "${MED[floor]:-}" ]; then
	awk -v e="${MED[etrace]}" -v b="${MED[bpftrace]}" -v f="${MED[floor]}" 'BEGIN {
		printf "over the floor: etrace %.1f ns, bpftrace %.1f ns; target etrace <= bpftrace: %s\n",
			e - f, b - f, (e <= b ? "met" : "missed") }'
fi
