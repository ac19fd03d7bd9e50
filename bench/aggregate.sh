#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/aggregate.sh - what counting in the kernel costs per event: added CPU
# ns per getppid() of the traced process (tests/progs/getppid_bench, as in
# bench/overhead.sh) with
#
#   etrace -A t:syscalls:sys_enter_getppid            a count per probe
#   etrace -A ... "%d", args->__syscall_nr            a count per value
#   etrace t:syscalls:sys_enter_getppid               printing every event
#   bpftrace tracepoint:...sys_enter_getppid { @[comm] = count(); }
#
# side by side. The target: etrace -A costs at most what bpftrace's count()
# does.
#
# usage: bench/aggregate.sh [-n RUNS] [--calls N] [ETRACE]
# Medians over RUNS (default 5) interleaved runs, the order rotating.

set -uo pipefail

RUNS=5
CALLS=1000000
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
ETRACE=
PROBE=t:syscalls:sys_enter_getppid
TP=tracepoint:syscalls:sys_enter_getppid

usage() {
	echo "usage: bench/aggregate.sh [-n RUNS] [--calls N] [ETRACE]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	-n) RUNS=${2:?}; shift 2 ;;
	--calls) CALLS=${2:?}; shift 2 ;;
	-h|--help) usage ;;
	# BENCH_ARGS may say --with-bcc: BCC has nothing that counts in the kernel.
	--with-bcc) shift ;;
	-*) echo "aggregate.sh: unknown option $1" >&2; usage ;;
	*) ETRACE=$1; shift ;;
	esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || usage
[[ $CALLS =~ ^[1-9][0-9]*$ ]] || usage
ETRACE=${ETRACE:-$REPO/build/etrace}
[ -x "$ETRACE" ] || { echo "aggregate.sh: no etrace at $ETRACE (run make)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "aggregate.sh: run as root" >&2; exit 2; }

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
declare -A NA
need_bpftrace NA

TMP=$(mktemp -d /tmp/etrace-aggregate.XXXXXX)
TPID=
cleanup() {
	[ -n "$TPID" ] && kill -INT "$TPID" 2>/dev/null && wait "$TPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo; echo "aggregate.sh: interrupted" >&2; exit 130' INT TERM HUP

GEN=$REPO/build/progs/getppid_bench
if [ ! -x "$GEN" ]; then
	GEN=$TMP/getppid_bench
	gcc -O1 -o "$GEN" "$REPO/tests/progs/getppid_bench.c" ||
		{ echo "aggregate.sh: cannot build getppid_bench" >&2; exit 2; }
fi
pin_cpus

tracer_cmd() {
	case $1 in
	a_probe) CMD=("$ETRACE" -A "$PROBE") ;;
	a_value) CMD=("$ETRACE" -A "$PROBE \"%d\", args->__syscall_nr") ;;
	print) CMD=("$ETRACE" "$PROBE") ;;
	bpftrace) CMD=(bpftrace -B line -e "$TP { @[comm] = count(); }") ;;
	esac
}

# Start a tracer, output in a file; it is attached once it printed its
# header (etrace prints it after attaching) or bpftrace its "Attaching".
tracer_start() {
	local i
	tracer_cmd "$1"
	: >"$TMP/out"
	"${TPIN[@]}" "${CMD[@]}" >"$TMP/out" 2>"$TMP/err" &
	TPID=$!
	for ((i = 0; i < 250; i++)); do
		sleep 0.02
		kill -0 "$TPID" 2>/dev/null || return 1
		if [ "$1" = bpftrace ]; then
			grep -q '^Attaching' "$TMP/out" && sleep 0.5 && return 0
		elif [ -s "$TMP/out" ]; then
			return 0
		fi
	done
	return 1
}

CONFS=(a_probe a_value print)
[ -z "${NA[bpftrace]:-}" ] && CONFS+=(bpftrace)
declare -A ADDED
echo "etrace -A benchmark: kernel $(uname -r), $NCPU CPUs," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
added_cost "$RUNS" "${CONFS[@]}"
echo
echo "$PROBE, $CALLS getppid() calls by the traced process"
printf '%-58s | %s\n' "tracer" "added CPU ns per call (median)"
printf '%s\n' "-----------------------------------------------------------+-------------------------------"
declare -A LABEL=([a_probe]="etrace -A (a count per probe)"
	[a_value]="etrace -A \"%d\", args->__syscall_nr (a count per value)"
	[print]="etrace printing every event"
	[bpftrace]="bpftrace @[comm] = count()")
declare -A MED
for c in a_probe a_value print bpftrace; do
	if [ -z "${ADDED[$c]:-}" ]; then
		[ "$c" = bpftrace ] && printf '%-58s | n/a: %s\n' "${LABEL[$c]}" "${NA[bpftrace]:-}"
		continue
	fi
	read -r -a v <<<"${ADDED[$c]}"
	MED[$c]=$(median "${v[@]}")
	printf '%-58s | %s\n' "${LABEL[$c]}" "${MED[$c]}"
done
if [ -n "${MED[a_probe]:-}" ] && [ -n "${MED[bpftrace]:-}" ]; then
	awk -v e="${MED[a_probe]}" -v b="${MED[bpftrace]}" 'BEGIN {
		printf "etrace -A vs bpftrace count(): %.2fx its cost; target <= 1x: %s\n",
			(b > 0 ? e / b : 0), (e <= b ? "met" : "missed") }'
fi
if [ -n "${MED[a_probe]:-}" ] && [ -n "${MED[print]:-}" ]; then
	awk -v e="${MED[a_probe]}" -v p="${MED[print]}" 'BEGIN {
		printf "etrace -A vs printing every event: %.1f ns per call less\n", p - e }'
fi
