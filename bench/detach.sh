#!/usr/bin/env bash
# bench/detach.sh - attach and detach time of etrace against bpftrace for
# 1, 50 and 700 tracepoint probes.
#
# usage: bench/detach.sh [-n RUNS] [-c COUNTS] [-o FILE] [ETRACE]
#
# For each count N (-c, default 1,50,700) the probes are the first N entries
# of `ls /sys/kernel/tracing/events/syscalls | grep '^sys_e'`. Per run and
# count, in rotating order:
#   - etrace: attach time (start to the ETRACE_TEST_SENTINEL line on stderr)
#     and detach time (SIGINT to exit);
#   - bpftrace: the same, ready = its BEGIN probe's "ready" line on stdout;
#   - etrace again: SIGINT, 0.3 s, a second SIGINT, time from that to exit;
#     then we wait until its BPF programs are gone (the background detach).
# Figures are medians over RUNS (default 3). Raw numbers go to
# bench/results/detach.json. See bench/README.md.

set -uo pipefail

RUNS=3
COUNTS=1,50,700
ETRACE=
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE/results/detach.json
SENTINEL=etrace-detach-bench-ready
ATTACH_LIMIT=120        # seconds to wait for the ready signal
DETACH_LIMIT=600        # seconds to wait for exit after SIGINT (700 probes: ~1 min)
SECOND_AFTER=0.3        # seconds between the first and the second SIGINT
SECOND_LIMIT=30         # seconds to wait for exit after the second SIGINT
GONE_LIMIT=600          # seconds to wait for a background detach to finish

usage() {
	sed -n '5p' "${BASH_SOURCE[0]}" | sed 's/^# //'
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	-n) RUNS=${2:?}; shift 2 ;;
	-n*) RUNS=${1#-n}; shift ;;
	-c) COUNTS=${2:?}; shift 2 ;;
	-c*) COUNTS=${1#-c}; shift ;;
	-o) OUT=${2:?}; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "detach.sh: unknown option $1" >&2; usage ;;
	*) ETRACE=$1; shift ;;
	esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "detach.sh: -n wants a positive number" >&2; exit 2; }
[[ $COUNTS =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] ||
	{ echo "detach.sh: -c wants positive numbers separated by commas, e.g. 1,50,700" >&2; exit 2; }
[ -n "$ETRACE" ] || ETRACE=$HERE/../build/etrace
[ -x "$ETRACE" ] || { echo "detach.sh: $ETRACE: not executable (make build/etrace)" >&2; exit 2; }
ETRACE=$(cd "$(dirname "$ETRACE")" && pwd)/$(basename "$ETRACE")

# ---------------------------------------------------------------- cleanup

TMP=$(mktemp -d /tmp/etrace-detach.XXXXXX)
PIDS=()         # every process we started and have not reaped yet
DOG=            # process group of the running watchdog (wait_exit)

kill_all() {
	local p
	[ -n "$DOG" ] && kill -- -"$DOG" 2>/dev/null
	[ ${#PIDS[@]} -gt 0 ] || return 0
	for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
	sleep 0.3
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=()
}
cleanup() {
	kill_all
	rm -rf "$TMP"
}
# Only this shell cleans up: a subshell (the watchdog of wait_exit) that gets
# a signal before it has reset the inherited traps must not remove $TMP.
trap '[ "$BASHPID" = $$ ] && cleanup' EXIT
trap '[ "$BASHPID" = $$ ] || exit 1; echo; echo "detach.sh: interrupted" >&2; exit 130' INT TERM HUP

forget_pid() {
	local p keep=()
	for p in "${PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

debug() { [ -z "${BENCH_DEBUG:-}" ] || echo "[$*]" >&2; }

# now: NOW = microseconds since the epoch ($EPOCHREALTIME: no fork).
if [ -n "${EPOCHREALTIME:-}" ]; then
	now() { NOW=${EPOCHREALTIME//[!0-9]/}; }
	CLOCK='bash $EPOCHREALTIME (us)'
else
	now() { NOW=$(( $(date +%s%N) / 1000 )); }
	CLOCK='date +%s%N'
fi
ms() { awk -v d="$1" 'BEGIN { printf "%.1f", d / 1000 }'; }   # us -> ms

# alive PID: the process exists and is not a zombie (kill -0 says yes to a
# zombie we have not reaped yet).
alive() {
	local st
	st=$(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null) || return 1
	[[ $st != " Z"* && $st != " X"* ]]
}

# ---------------------------------------------------------------- dependencies

declare -A NA   # tracer -> reason it is not measured

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

need_bpftrace NA
BPFTRACE_VERSION=
[ -z "${NA[bpftrace]:-}" ] && BPFTRACE_VERSION=$(bpftrace --version 2>/dev/null | head -1)
HAVE_BPFTOOL=0
command -v bpftool >/dev/null && HAVE_BPFTOOL=1

TRACEFS=
for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
	[ -d "$d/events/syscalls" ] && { TRACEFS=$d; break; }
done
if [ -z "$TRACEFS" ] && [ "$(id -u)" = 0 ]; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
	[ -d /sys/kernel/tracing/events/syscalls ] && TRACEFS=/sys/kernel/tracing
fi
[ -n "$TRACEFS" ] || { echo "detach.sh: no syscalls tracepoints (tracefs not mounted, or not root?)" >&2; exit 2; }
mapfile -t ALL_TP < <(ls "$TRACEFS/events/syscalls" | grep '^sys_e')
[ ${#ALL_TP[@]} -gt 0 ] || { echo "detach.sh: $TRACEFS/events/syscalls has no sys_e* events" >&2; exit 2; }

IFS=, read -r -a REQ <<<"$COUNTS"
CNT=()          # probe counts actually used (capped, duplicates dropped)
declare -A REQUESTED
for c in "${REQ[@]}"; do
	n=$c
	if [ "$n" -gt ${#ALL_TP[@]} ]; then
		n=${#ALL_TP[@]}
		echo "detach.sh: $c probes requested, only ${#ALL_TP[@]} sys_e* tracepoints exist: using $n" >&2
	fi
	[ -n "${REQUESTED[$n]:-}" ] && continue
	REQUESTED[$n]=$c
	CNT+=("$n")
done

# 700 probes take some 1,400 descriptors (a program and a link or perf event
# each): allow as many as the hard limit does, for both tracers alike.
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# ---------------------------------------------------------------- tracers

# our_progs PID -> PROG_IDS: ids of the BPF programs PID holds (fdinfo).
our_progs() {
	PROG_IDS=$(cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '/^prog_id:/ { print $2 }' | sort -u)
}

# progs_gone LIMIT_S: wait until none of PROG_IDS is loaded; sets GONE_US
# (when we saw it) or returns 1 after LIMIT_S. Without bpftool: returns 2.
progs_gone() {
	local deadline left
	[ $HAVE_BPFTOOL = 1 ] || return 2
	[ -n "$PROG_IDS" ] || { now; GONE_US=$NOW; return 0; }
	printf '%s\n' "$PROG_IDS" >"$TMP/ours"
	now; deadline=$(( NOW + $1 * 1000000 ))
	while :; do
		left=$(bpftool prog show 2>/dev/null | awk -F: '/^[0-9]+:/ { print $1 }' |
			grep -cxF -f "$TMP/ours")
		now
		[ "$left" = 0 ] && { GONE_US=$NOW; return 0; }
		[ "$NOW" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# wait_exit PID LIMIT_S: reap PID; after LIMIT_S it is killed (SIGKILL) and
# 1 returned. Sets EXIT_US (when wait returned) and EXIT_RC.
wait_exit() {
	local dog
	rm -f "$TMP/dog"
	if ! alive "$1"; then
		wait "$1" 2>/dev/null
		EXIT_RC=$?
		now; EXIT_US=$NOW
		forget_pid "$1"
		return 0
	fi
	set -m          # its own process group, so that its sleep goes with it
	( sleep "$2"; kill -KILL "$1" 2>/dev/null && : >"$TMP/dog" ) 2>/dev/null &
	dog=$!
	DOG=$dog
	set +m
	wait "$1" 2>/dev/null
	EXIT_RC=$?
	now; EXIT_US=$NOW
	kill -- -"$dog" 2>/dev/null
	wait "$dog" 2>/dev/null
	DOG=
	forget_pid "$1"
	[ ! -e "$TMP/dog" ]     # false: the watchdog had to kill it
}

# read_ready FD PID PATTERN LIMIT_S T0: read lines from FD until one matches
# PATTERN (a bash regex). Sets READY_US, or R_ERR. Other lines go to $TMP/other.
read_ready() {
	local fd=$1 pid=$2 pat=$3 deadline left line rc
	deadline=$(( $5 + $4 * 1000000 ))
	while :; do
		now; left=$(( deadline - NOW ))
		if [ $left -le 0 ]; then
			R_ERR="not ready within $4 s"
			return 1
		fi
		IFS= read -r -t "$(( left / 1000000 )).$(printf %06d $(( left % 1000000 )))" -u "$fd" line
		rc=$?
		if [ $rc -gt 128 ]; then
			continue
		elif [ $rc -ne 0 ]; then
			R_ERR="closed its output before it was ready"
			sleep 0.2
			alive "$pid" || R_ERR="exited before it was ready"
			return 1
		fi
		if [[ $line =~ $pat ]]; then
			now; READY_US=$NOW
			return 0
		fi
		[ -n "$line" ] && printf '%s\n' "$line" >>"$TMP/other"
	done
}

# why: the first useful line the tracer wrote, for an error message.
why() {
	cat "$TMP/other" "$TMP/err" 2>/dev/null | grep -v '^[[:space:]]*$' |
		grep -iv 'RLIMIT_MEMLOCK' | grep -v "^$SENTINEL\$" | head -1 | cut -c1-160
}

# measure CASE N -> R_ATTACH (ms), R_DETACH (ms; for case etrace2: exit after
# the second SIGINT), R_BG (etrace2: second SIGINT to programs gone, ms),
# R_ERR (empty on success).
#   CASE etrace:   start, ready, SIGINT, exit
#   CASE bpftrace: the same
#   CASE etrace2:  start, ready, SIGINT, 0.3 s, SIGINT, exit; then wait until
#                  its programs are gone
measure() {
	local c=$1 n=$2 fifo=$TMP/fifo fd pid drain t0 ts pat w list
	R_ATTACH='' R_DETACH='' R_BG='' R_ERR='' PROG_IDS=''
	rm -f "$fifo" "$TMP/other" "$TMP/err" "$TMP/rest"
	mkfifo "$fifo"
	if [ "$c" = bpftrace ]; then
		list=$(printf 'tracepoint:syscalls:%s,' "${ALL_TP[@]:0:n}")
		list=${list%,}
		pat='^ready$'
		now; t0=$NOW
		set -m
		BPFTRACE_MAX_PROBES=$(( n + 16 )) bpftrace -B line \
			-e "$list { } BEGIN { printf(\"ready\\n\"); }" >"$fifo" 2>"$TMP/err" </dev/null &
		pid=$!
		set +m
	else
		w=("${ALL_TP[@]:0:n}")
		w=("${w[@]/#/t:syscalls:}")
		pat="^$SENTINEL\$"
		now; t0=$NOW
		set -m
		ETRACE_TEST_SENTINEL=$SENTINEL "$ETRACE" "${w[@]}" >/dev/null 2>"$fifo" </dev/null &
		pid=$!
		set +m
	fi
	PIDS+=("$pid")
	exec {fd}<"$fifo"
	if ! read_ready "$fd" "$pid" "$pat" "$ATTACH_LIMIT" "$t0"; then
		kill -INT "$pid" 2>/dev/null
		wait_exit "$pid" 30
		exec {fd}<&-
		local w1; w1=$(why)
		[ -n "$w1" ] && R_ERR="$R_ERR: $w1"
		debug "$c $n: $R_ERR"
		return 1
	fi
	R_ATTACH=$(ms $(( READY_US - t0 )))
	[ "$c" = bpftrace ] || our_progs "$pid"
	# keep its output drained (bpftrace prints at exit; etrace's stderr gets
	# the "detaching..." and "lost" lines)
	cat <&"$fd" >"$TMP/rest" &
	drain=$!
	PIDS+=("$drain")
	exec {fd}<&-

	now; ts=$NOW
	kill -INT "$pid"
	if [ "$c" = etrace2 ]; then
		sleep "$SECOND_AFTER"
		if ! alive "$pid"; then
			wait_exit "$pid" 5
			R_ERR="exited within $SECOND_AFTER s of the first SIGINT (nothing left to interrupt)"
		else
			now; ts=$NOW
			kill -INT "$pid"
			if wait_exit "$pid" "$SECOND_LIMIT"; then
				R_DETACH=$(ms $(( EXIT_US - ts )))
			else
				R_ERR="still running $SECOND_LIMIT s after the second SIGINT (killed)"
			fi
		fi
	elif wait_exit "$pid" "$DETACH_LIMIT"; then
		R_DETACH=$(ms $(( EXIT_US - ts )))
	else
		R_ERR="still running $DETACH_LIMIT s after SIGINT (killed)"
	fi
	[ -z "$R_ERR" ] && [ "$EXIT_RC" != 0 ] && R_ERR="exit status $EXIT_RC"
	# Runs must not overlap: wait until etrace's programs are really gone
	# (after a second SIGINT a background process is still detaching).
	if [ "$c" != bpftrace ]; then
		progs_gone "$GONE_LIMIT"
		case $? in
		0) [ "$c" = etrace2 ] && [ -n "$R_DETACH" ] && R_BG=$(ms $(( GONE_US - ts ))) ;;
		1) R_ERR="${R_ERR:+$R_ERR; }programs still loaded $GONE_LIMIT s later" ;;
		2) # no bpftool: the background detacher has our stderr; its EOF
		   # tells it is done
		   wait "$drain" 2>/dev/null ;;
		esac
	fi
	kill "$drain" 2>/dev/null
	wait "$drain" 2>/dev/null
	forget_pid "$drain"
	debug "$c $n: attach ${R_ATTACH} ms, exit ${R_DETACH:-?} ms${R_BG:+, programs gone after $R_BG ms}${R_ERR:+, $R_ERR}$(grep -q 'detaching' "$TMP/rest" 2>/dev/null && echo ', printed "detaching..."')"
	[ -z "$R_ERR" ]
}


json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
json_list() { local IFS=,; printf '[%s]' "$*"; }

# ---------------------------------------------------------------- run

NCPU=$(nproc)
echo "etrace attach/detach benchmark: $RUNS runs, probes ${CNT[*]} (first N of $TRACEFS/events/syscalls/sys_e*), kernel $(uname -r), $NCPU CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), clock $CLOCK"
[ $HAVE_BPFTOOL = 1 ] ||
	echo "no bpftool: after a second SIGINT the end of etrace's background detach is taken from its stderr closing"

CASES=(etrace bpftrace etrace2)
declare -A LABEL=([etrace]=etrace [bpftrace]=bpftrace [etrace2]="etrace, 2nd SIGINT")
ACTIVE=()
for c in "${CASES[@]}"; do
	t=${c%2}
	[ -n "${NA[$t]:-}" ] || ACTIVE+=("$c")
done

declare -A ATT DET BG ERR      # key "N/case": space-separated samples; last error

printf 'warm-up' >&2
for c in etrace bpftrace; do
	[ -n "${NA[$c]:-}" ] || measure "$c" 1
done
echo >&2
START=$SECONDS
for ((run = 0; run < RUNS; run++)); do
	printf 'run %d/%d:' $((run + 1)) "$RUNS" >&2
	for n in "${CNT[@]}"; do
		printf ' %d' "$n" >&2
		k=${#ACTIVE[@]}
		for ((i = 0; i < k; i++)); do
			c=${ACTIVE[(run + i) % k]}
			measure "$c" "$n"
			key=$n/$c
			[ -n "$R_ATTACH" ] && ATT[$key]+="$R_ATTACH "
			[ -n "$R_DETACH" ] && DET[$key]+="$R_DETACH "
			[ -n "$R_BG" ] && BG[$key]+="$R_BG "
			[ -n "$R_ERR" ] && ERR[$key]=$R_ERR
		done
	done
	echo " ($(( SECONDS - START )) s)" >&2
done

# ---------------------------------------------------------------- report

mkdir -p "$(dirname "$OUT")"
STATUS=0
NOTES=()
declare -A NOTED
cell() {  # KEY KIND(att|det) -> median or n/a (footnote)
	local -a v
	if [ "$2" = att ]; then read -r -a v <<<"${ATT[$1]:-}"; else read -r -a v <<<"${DET[$1]:-}"; fi
	if [ ${#v[@]} -gt 0 ]; then
		CELL=$(median "${v[@]}")
		if [ -n "${ERR[$1]:-}" ]; then
			CELL="$CELL*"
			[ -n "${NOTED[$1]:-}" ] ||
				NOTES+=("${1%%/*} probes, ${LABEL[${1#*/}]}: ${#v[@]}/$RUNS ok; last error: ${ERR[$1]}")
			NOTED[$1]=1
		fi
	else
		local t=${1#*/}
		CELL=n/a
		[ -n "${NOTED[$1]:-}" ] ||
			NOTES+=("${1%%/*} probes, ${LABEL[$t]}: ${NA[${t%2}]:-${ERR[$1]:-no data}}")
		NOTED[$1]=1
	fi
}

{
	printf '{\n  "date": %s,\n  "kernel": %s,\n  "cpus": %d,\n  "runs": %d,\n' \
		"$(json_str "$(date -u +%FT%TZ)")" "$(json_str "$(uname -r)")" "$NCPU" "$RUNS"
	printf '  "etrace": %s,\n  "bpftrace": %s,\n  "clock": %s,\n' "$(json_str "$ETRACE")" \
		"$(json_str "${BPFTRACE_VERSION:-${NA[bpftrace]:-}}")" "$(json_str "$CLOCK")"
	printf '  "probes": "first N of %s/events/syscalls/sys_e*",\n' "$TRACEFS"
	printf '  "second_sigint_after_s": %s,\n  "counts": {\n' "$SECOND_AFTER"
} >"$OUT"

echo
printf '%7s | %14s | %15s | %14s | %15s | %18s\n' probes "etrace attach" "bpftrace attach" \
	"etrace detach" "bpftrace detach" "etrace exit after"
printf '%7s | %14s | %15s | %14s | %15s | %18s\n' "" "(ms)" "(ms)" "(ms)" "(ms)" "2nd SIGINT (ms)"
printf '%s\n' "--------+----------------+-----------------+----------------+-----------------+-------------------"
ni=0
for n in "${CNT[@]}"; do
	cell "$n/etrace" att; a1=$CELL
	cell "$n/bpftrace" att; a2=$CELL
	cell "$n/etrace" det; d1=$CELL
	cell "$n/bpftrace" det; d2=$CELL
	cell "$n/etrace2" det; d3=$CELL
	printf '%7s | %14s | %15s | %14s | %15s | %18s\n' "$n" "$a1" "$a2" "$d1" "$d2" "$d3"
	[ -z "${ATT[$n/etrace]:-}" ] && STATUS=1

	[ $ni -gt 0 ] && echo "    ," >>"$OUT"
	printf '    "%d": {"requested": %d, "probes": %d' "$n" "${REQUESTED[$n]}" "$n" >>"$OUT"
	for c in "${CASES[@]}"; do
		key=$n/$c
		read -r -a va <<<"${ATT[$key]:-}"
		read -r -a vd <<<"${DET[$key]:-}"
		read -r -a vb <<<"${BG[$key]:-}"
		printf ',\n      "%s": {' "$c" >>"$OUT"
		if [ -n "${NA[${c%2}]:-}" ]; then
			printf '"status": "n/a", "reason": %s}' "$(json_str "${NA[${c%2}]}")" >>"$OUT"
			continue
		fi
		if [ "$c" = etrace2 ]; then
			printf '"attach_ms": %s, "exit_after_second_sigint_ms": %s, "programs_gone_after_second_sigint_ms": %s, "median_exit_after_second_sigint_ms": %s, "median_programs_gone_ms": %s' \
				"$(json_list "${va[@]}")" "$(json_list "${vd[@]}")" "$(json_list "${vb[@]}")" \
				"$(m=$(median "${vd[@]}"); echo "${m:-null}")" "$(m=$(median "${vb[@]}"); echo "${m:-null}")" >>"$OUT"
		else
			printf '"attach_ms": %s, "detach_ms": %s, "median_attach_ms": %s, "median_detach_ms": %s' \
				"$(json_list "${va[@]}")" "$(json_list "${vd[@]}")" \
				"$(m=$(median "${va[@]}"); echo "${m:-null}")" "$(m=$(median "${vd[@]}"); echo "${m:-null}")" >>"$OUT"
		fi
		[ -n "${ERR[$key]:-}" ] && printf ', "error": %s' "$(json_str "${ERR[$key]}")" >>"$OUT"
		echo "}" >>"$OUT"
	done
	echo "    }" >>"$OUT"
	ni=$((ni + 1))
done
printf '  }\n}\n' >>"$OUT"

if [ ${#NOTES[@]} -gt 0 ]; then
	echo
	for s in "${NOTES[@]}"; do echo "  n/a or *: $s"; done
fi
for n in "${CNT[@]}"; do
	read -r -a vb <<<"${BG[$n/etrace2]:-}"
	[ ${#vb[@]} -gt 0 ] && echo "$n probes: after the 2nd SIGINT etrace's programs were gone after $(median "${vb[@]}") ms (background detach)"
done
echo
echo "raw numbers: $OUT"
exit $STATUS
