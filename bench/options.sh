#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/options.sh - what two of BCC trace's options cost in etrace, against
# bpftrace (and BCC with --with-bcc):
#
#   1 -n NAME   decided in the kernel before a record is reserved. Added
#               CPU ns per getppid() of the traced process (which is not
#               NAME) with -n, against the same probe printing every event
#               (what any filter applied in user space, as BCC's -n is,
#               costs at least), bpftrace's /comm == "NAME"/ and BCC's -n.
#   2 -l        listing what can be probed: wall time of etrace -l against
#               bpftrace -l for kernel functions, tracepoints, tracepoints
#               with their fields (-lv) and everything.
#
# usage: bench/options.sh [-n RUNS] [--calls N] [--with-bcc] [ETRACE]
# Medians over RUNS (default 5) interleaved runs.

set -uo pipefail

RUNS=5
CALLS=1000000
WITH_BCC=0
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
ETRACE=
PROBE=t:syscalls:sys_enter_getppid
TP=tracepoint:syscalls:sys_enter_getppid
NOBODY=no-such-comm

usage() {
	echo "usage: bench/options.sh [-n RUNS] [--calls N] [--with-bcc] [ETRACE]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	-n) RUNS=${2:?}; shift 2 ;;
	--calls) CALLS=${2:?}; shift 2 ;;
	--with-bcc) WITH_BCC=1; shift ;;
	-h|--help) usage ;;
	-*) echo "options.sh: unknown option $1" >&2; usage ;;
	*) ETRACE=$1; shift ;;
	esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || usage
[[ $CALLS =~ ^[1-9][0-9]*$ ]] || usage
ETRACE=${ETRACE:-$REPO/build/etrace}
[ -x "$ETRACE" ] || { echo "options.sh: no etrace at $ETRACE (run make)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "options.sh: run as root" >&2; exit 2; }

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
declare -A NA
need_bpftrace NA
if [ $WITH_BCC = 1 ] && ! command -v trace-bpfcc >/dev/null; then
	NA[bcc]="bpfcc-tools not installed (run bench/startup.sh --with-bcc once)"
fi

TMP=$(mktemp -d /tmp/etrace-options.XXXXXX)
TPID=
cleanup() {
	[ -n "$TPID" ] && kill -INT "$TPID" 2>/dev/null && wait "$TPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo; echo "options.sh: interrupted" >&2; exit 130' INT TERM HUP

GEN=$REPO/build/progs/getppid_bench
if [ ! -x "$GEN" ]; then
	GEN=$TMP/getppid_bench
	gcc -O1 -o "$GEN" "$REPO/tests/progs/getppid_bench.c" ||
		{ echo "options.sh: cannot build getppid_bench" >&2; exit 2; }
fi
pin_cpus

# ---------------------------------------------------------------- 1: -n

tracer_cmd() {
	case $1 in
	n_kernel) CMD=("$ETRACE" -n "$NOBODY" "$PROBE \"%d\", args->__syscall_nr") ;;
	n_every) CMD=("$ETRACE" "$PROBE \"%d\", args->__syscall_nr") ;;
	n_bpftrace) CMD=(bpftrace -B line -e "$TP /comm == \"$NOBODY\"/ { printf(\"%d\\n\", args->__syscall_nr); }") ;;
	n_bcc) CMD=(trace-bpfcc -n "$NOBODY" "$PROBE \"%d\", args->__syscall_nr") ;;
	esac
}

# Start a tracer with its output in a file; wait until it has attached
# (one getppid() of ours shows in its output, or a second passes for the
# filtering ones, whose output stays empty).
tracer_start() {
	tracer_cmd "$1"
	: >"$TMP/out"
	"${TPIN[@]}" "${CMD[@]}" >"$TMP/out" 2>"$TMP/err" &
	TPID=$!
	local i
	for ((i = 0; i < 150; i++)); do
		sleep 0.02
		"$GEN" 10 >/dev/null
		kill -0 "$TPID" 2>/dev/null || return 1
		[ -s "$TMP/out" ] && [ "$(wc -l <"$TMP/out")" -gt 1 ] && return 0
		# bpftrace says "Attaching 1 probe..." once attached
		grep -q '^Attaching' "$TMP/out" && [ "$1" = n_bpftrace ] && sleep 0.5 && return 0
	done
	# The filtering tracers print at most a header: give them time to attach.
	return 0
}

CONFS=(n_kernel n_every)
[ -z "${NA[bpftrace]:-}" ] && CONFS+=(n_bpftrace)
[ $WITH_BCC = 1 ] && [ -z "${NA[bcc]:-}" ] && CONFS+=(n_bcc)
declare -A ADDED
echo "etrace option benchmark: kernel $(uname -r), $NCPU CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'scenario 1 (-n): ' >&2
added_cost "$RUNS" "${CONFS[@]}"
echo
echo "scenario 1: -n $NOBODY on $PROBE, $CALLS getppid() calls by a process of another name"
printf '%-58s | %s\n' "tracer" "added CPU ns per call (median)"
printf '%s\n' "-----------------------------------------------------------+-------------------------------"
declare -A LABEL=([n_kernel]="etrace -n (in the kernel, before the record)"
	[n_every]="etrace printing every event (a user-space -n's floor)"
	[n_bpftrace]="bpftrace /comm == \"$NOBODY\"/"
	[n_bcc]="BCC trace -n (user space)")
declare -A MED
for c in n_kernel n_every n_bpftrace n_bcc; do
	if [ -z "${ADDED[$c]:-}" ]; then
		case $c in
		n_bpftrace) printf '%-58s | n/a: %s\n' "${LABEL[$c]}" "${NA[bpftrace]:-}" ;;
		n_bcc) [ $WITH_BCC = 1 ] && printf '%-58s | n/a: %s\n' "${LABEL[$c]}" "${NA[bcc]:-}" ;;
		esac
		continue
	fi
	read -r -a v <<<"${ADDED[$c]}"
	MED[$c]=$(median "${v[@]}")
	printf '%-58s | %s\n' "${LABEL[$c]}" "${MED[$c]}"
done
if [ -n "${MED[n_kernel]:-}" ] && [ -n "${MED[n_every]:-}" ]; then
	echo "saving of -n in the kernel: $(awk -v a="${MED[n_every]}" -v b="${MED[n_kernel]}" \
		'BEGIN { printf "%.1f ns per call (%.1fx less)", a - b, (b > 0 ? a / b : 0) }') than recording every event"
fi

# ---------------------------------------------------------------- 2: -l

# time_cmd CMD...: wall milliseconds of one run, output to a file.
time_cmd() {
	local t0 t1
	t0=$EPOCHREALTIME
	"$@" >"$TMP/list" 2>/dev/null
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }'
}

LISTS=(kfunc tp tpv all)
declare -A EL BL ELINES BLINES
declare -A LLABEL=([kfunc]="kernel functions" [tp]="tracepoints" [tpv]="tracepoints of sched with fields (-lv)"
	[all]="everything")
list_cmds() {
	case $1 in
	kfunc) E=("$ETRACE" -l 'p::*') B=(bpftrace -l 'kprobe:*') ;;
	tp) E=("$ETRACE" -l 't:*:*') B=(bpftrace -l 'tracepoint:*') ;;
	tpv) E=("$ETRACE" -lv 't:sched:*') B=(bpftrace -lv 'tracepoint:sched:*') ;;
	all) E=("$ETRACE" -l) B=(bpftrace -l) ;;
	esac
}
printf 'scenario 2 (-l): run' >&2
for ((run = 0; run <= RUNS; run++)); do
	[ $run -gt 0 ] && printf ' %d' "$run" >&2
	for l in "${LISTS[@]}"; do
		list_cmds "$l"
		t=$(time_cmd "${E[@]}")
		# run 0 warms the page cache and is not counted
		[ $run -gt 0 ] && EL[$l]+="$t " ELINES[$l]=$(wc -l <"$TMP/list")
		[ -n "${NA[bpftrace]:-}" ] && continue
		t=$(time_cmd "${B[@]}")
		[ $run -gt 0 ] && BL[$l]+="$t " BLINES[$l]=$(wc -l <"$TMP/list")
	done
done
echo >&2
echo
echo "scenario 2: -l, wall time (ms, median of $RUNS after a warm-up) and lines listed"
printf '%-40s | %14s | %14s | %s\n' "what" "etrace -l" "bpftrace -l" "etrace vs bpftrace"
printf '%s\n' "-----------------------------------------+----------------+----------------+-------------------"
for l in "${LISTS[@]}"; do
	read -r -a e <<<"${EL[$l]}"
	em=$(median "${e[@]}")
	if [ -n "${BL[$l]:-}" ]; then
		read -r -a b <<<"${BL[$l]}"
		bm=$(median "${b[@]}")
		printf '%-40s | %7s %6s | %7s %6s | %s\n' "${LLABEL[$l]}" "$em" "(${ELINES[$l]})" "$bm" \
			"(${BLINES[$l]})" "$(awk -v a="$em" -v b="$bm" 'BEGIN { printf "%.1fx faster", (a > 0 ? b / a : 0) }')"
	else
		printf '%-40s | %7s %6s | n/a: %s\n' "${LLABEL[$l]}" "$em" "(${ELINES[$l]})" "${NA[bpftrace]}"
	fi
done
[ "${ELINES[kfunc]:-0}" = 0 ] &&
	echo "(this kernel offers no traceable kernel functions: no ftrace function tracer)"
echo "(lines: how many entries each printed; bpftrace also lists kfunc:, software: and"
echo " hardware: probes in 'everything', etrace lists tracepoints and kernel functions)"
