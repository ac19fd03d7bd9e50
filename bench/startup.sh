#!/usr/bin/env bash
# bench/startup.sh - start-up time and peak memory of etrace against bpftrace
# (and, with --with-bcc, BCC's trace) on busy tracepoints.
#
# usage: bench/startup.sh [-n RUNS] [--hold SECONDS] [--with-bcc] [--strict]
#                         [-o FILE] [ETRACE]
#
# For each probe and run, every tracer is started in turn (the order rotates
# run by run so drift hits all of them alike) and we measure
#   - the time from starting it to its first event line on stdout (headers
#     and "Attaching N probes..." are skipped), and
#   - its peak RSS (VmHWM from /proc/PID/status, read after it has been
#     printing events for --hold seconds, just before it is stopped).
# Figures are medians over the runs. Raw numbers go to bench/results/startup.json.
# See bench/README.md.

set -uo pipefail

RUNS=5
HOLD=1          # seconds each tracer keeps running after its first event
WITH_BCC=0
STRICT=0
ETRACE=
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE/results/startup.json
TARGET_SPEED=3  # etrace at least this many times faster to first event
TARGET_RSS=5    # etrace peak RSS at most 1/this of bpftrace's

usage() {
	sed -n '5,6s/^# //p' "${BASH_SOURCE[0]}"
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	-n) RUNS=${2:?}; shift 2 ;;
	-n*) RUNS=${1#-n}; shift ;;
	--hold) HOLD=${2:?}; shift 2 ;;
	--with-bcc) WITH_BCC=1; shift ;;
	--strict) STRICT=1; shift ;;
	-o) OUT=${2:?}; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "startup.sh: unknown option $1" >&2; usage ;;
	*) ETRACE=$1; shift ;;
	esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "startup.sh: -n wants a positive number" >&2; exit 2; }
[[ $HOLD =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "startup.sh: --hold wants seconds" >&2; exit 2; }
[ -n "$ETRACE" ] || ETRACE=$HERE/../build/etrace
[ -x "$ETRACE" ] || { echo "startup.sh: $ETRACE: not executable (make build/etrace)" >&2; exit 2; }
ETRACE=$(cd "$(dirname "$ETRACE")" && pwd)/$(basename "$ETRACE")

# ---------------------------------------------------------------- cleanup

TMP=$(mktemp -d /tmp/etrace-bench.XXXXXX)
PIDS=()         # every process we started and have not reaped yet

kill_all() {
	local p
	for p in "${PIDS[@]}"; do
		kill -INT "$p" 2>/dev/null
	done
	sleep 0.2
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
trap cleanup EXIT
trap 'echo; echo "startup.sh: interrupted" >&2; exit 130' INT TERM HUP

forget_pid() {
	local p keep=()
	for p in "${PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

# now: NOW = microseconds since the epoch. bash 5's $EPOCHREALTIME costs no
# fork (so nothing is added to what we measure); else date +%s%N.
if [ -n "${EPOCHREALTIME:-}" ]; then
	now() { NOW=${EPOCHREALTIME//[!0-9]/}; }
	CLOCK='bash $EPOCHREALTIME (us)'
else
	now() { NOW=$(( $(date +%s%N) / 1000 )); }
	CLOCK='date +%s%N'
fi

# ---------------------------------------------------------------- dependencies

declare -A NA   # tracer -> reason it is not measured

have_pkg() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed'; }

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

need_bpftrace NA

if [ $WITH_BCC = 1 ]; then
	kdir=/lib/modules/$(uname -r)
	if ! command -v trace-bpfcc >/dev/null; then
		apt_install bpfcc-tools || true
	fi
	# BCC wants headers at /lib/modules/$(uname -r)/{build,source}. This
	# machine's kernel has no package of its own, so borrow bookworm's 6.1
	# cloud headers (links as that package makes for its own kernel version).
	if [ ! -e "$kdir/source/include/linux/kconfig.h" ] &&
	   { [ -L "$kdir/build" ] || [ ! -e "$kdir/build" ]; }; then
		hver=$(cd /usr/src 2>/dev/null && ls -d linux-headers-6.1.0-*-cloud-amd64 2>/dev/null |
			sed 's/^linux-headers-//' | sort -V | tail -1)
		if [ -z "$hver" ]; then
			[ $APT_UPDATED = 1 ] || { apt-get update -qq >/dev/null 2>&1; APT_UPDATED=1; }
			pkg=$(apt-cache search --names-only '^linux-headers-6\.1\.0-[0-9]+-cloud-amd64$' 2>/dev/null |
				awk '{print $1}' | sort -V | tail -1)
			[ -n "$pkg" ] && apt_install "$pkg"
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

# Load generator for sys_enter_getppid: bursts of 100 getppid() calls with a
# 1 ms sleep in between (some 50-100k calls a second, well under one CPU).
LOADGEN=
if command -v gcc >/dev/null; then
	cat >"$TMP/getppid-load.c" <<-'EOF'
	#include <sys/syscall.h>
	#include <time.h>
	#include <unistd.h>
	int main(void)
	{
		struct timespec ts = { 0, 1000000 };
		for (;;) {
			for (int i = 0; i < 100; i++)
				syscall(SYS_getppid);
			nanosleep(&ts, 0);
		}
	}
	EOF
	gcc -O2 -o "$TMP/getppid-load" "$TMP/getppid-load.c" 2>/dev/null && LOADGEN=("$TMP/getppid-load")
fi
if [ -z "${LOADGEN:-}" ] && command -v perl >/dev/null && [ "$(uname -m)" = x86_64 ]; then
	LOADGEN=(perl -e '$0="getppid-load"; while (1) { syscall(110) for 1..100; select(undef, undef, undef, 0.001) }')
fi

# ---------------------------------------------------------------- tracers

TRACERS=(etrace bpftrace bcc)
declare -A LABEL=([etrace]=etrace [bpftrace]=bpftrace [bcc]="bcc trace")
# What an event line looks like; anything else on stdout (the header,
# "Attaching 1 probe...", BCC's compile errors) is not an event.
declare -A EVENT=([etrace]='^[0-9]+[[:space:]]+[0-9]+[[:space:]]+[^[:space:]]' [bpftrace]='^[0-9]+ [^[:space:]]'
	[bcc]='^[0-9]+[[:space:]]+[0-9]+[[:space:]]+[^[:space:]]')
declare -A LIMIT=([etrace]=20 [bpftrace]=30 [bcc]=90)  # seconds to wait for an event

PROBES=(sched_switch getppid)
declare -A PROBE_SPEC=([sched_switch]=t:sched:sched_switch [getppid]=t:syscalls:sys_enter_getppid)
declare -A PROBE_TP=([sched_switch]=tracepoint:sched:sched_switch [getppid]=tracepoint:syscalls:sys_enter_getppid)

# tracer_cmd TRACER PROBE -> sets CMD
tracer_cmd() {
	case $1 in
	etrace) CMD=("$ETRACE" "${PROBE_SPEC[$2]}") ;;
	bpftrace) CMD=(bpftrace -B line -e "${PROBE_TP[$2]} { printf(\"%d %s\\n\", pid, comm); }") ;;
	bcc) CMD=(trace-bpfcc "${PROBE_SPEC[$2]}") ;;
	esac
}

stop_wait() {  # PID TICKS: wait up to TICKS x 20 ms for PID to go away
	local i
	for ((i = 0; i < $2; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.02
	done
	return 1
}

# measure TRACER PROBE HOLD -> sets R_MS (first event, ms), R_KB (VmHWM, kB),
# R_ERR (empty on success)
measure() {
	local tr=$1 probe=$2 hold=$3 fifo=$TMP/out err=$TMP/err
	local fd pid catpid='' line t0 t1=0 deadline left hwm=0 h rc
	R_MS='' R_KB='' R_ERR=''
	tracer_cmd "$tr" "$probe"
	rm -f "$fifo" "$err.stdout"; mkfifo "$fifo"
	now; t0=$NOW
	# Monitor mode for this one job: it gets its own process group and keeps
	# SIGINT (a non-interactive shell would have background jobs ignore it,
	# so trace-bpfcc could not be stopped with Ctrl-C the way it expects).
	set -m
	"${CMD[@]}" >"$fifo" 2>"$err" </dev/null &
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
		if ! [[ $line =~ ${EVENT[$tr]} ]]; then
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
		cat <&"$fd" >/dev/null &
		catpid=$!
		PIDS+=("$catpid")
		sleep "$hold"
		h=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
		[ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
		R_MS=$(awk -v d=$(( t1 - t0 )) 'BEGIN { printf "%.1f", d / 1000 }')
		R_KB=$hwm
	fi
	now; local ts=$NOW
	# Stop it as a user would (Ctrl-C), then make sure: trace-bpfcc on a busy
	# probe often loses the KeyboardInterrupt inside its perf-buffer callback.
	kill -INT "$pid" 2>/dev/null
	stop_wait "$pid" 100 || { kill -TERM "$pid" 2>/dev/null; stop_wait "$pid" 50; } ||
		kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	forget_pid "$pid"
	if [ -n "${BENCH_DEBUG:-}" ]; then
		now
		echo "[$tr $probe: first event ${R_MS:-none} ms, RSS ${R_KB:-?} kB, stop $(( (NOW - ts) / 1000 )) ms, all $(( (NOW - t0) / 1000 )) ms]" >&2
	fi
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


json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
json_list() { local IFS=,; printf '[%s]' "$*"; }

# ---------------------------------------------------------------- run

NCPU=$(nproc)
echo "etrace start-up benchmark: $RUNS interleaved runs, hold ${HOLD}s, kernel $(uname -r), $NCPU CPUs, clock $CLOCK"
echo "targets: etrace >= ${TARGET_SPEED}x faster to first event than bpftrace, peak RSS <= 1/${TARGET_RSS} of bpftrace's"

declare -A MS KB ERR    # key "probe/tracer": space-separated samples; last error
ACTIVE=()
for tr in "${TRACERS[@]}"; do
	[ -n "${NA[$tr]:-}" ] || ACTIVE+=("$tr")
done

for probe in "${PROBES[@]}"; do
	gen=
	if [ "$probe" = getppid ]; then
		if [ -z "${LOADGEN:-}" ]; then
			for tr in "${ACTIVE[@]}"; do ERR[$probe/$tr]="no load generator (need gcc or perl)"; done
			continue
		fi
		"${LOADGEN[@]}" &
		gen=$!
		PIDS+=("$gen")
	fi
	printf '%s: warm-up' "${PROBE_SPEC[$probe]}" >&2
	for tr in "${ACTIVE[@]}"; do
		measure "$tr" "$probe" 0
	done
	for ((run = 0; run < RUNS; run++)); do
		printf ' %d' $((run + 1)) >&2
		n=${#ACTIVE[@]}
		for ((k = 0; k < n; k++)); do
			tr=${ACTIVE[(run + k) % n]}
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
	if [ -n "$gen" ]; then
		kill "$gen" 2>/dev/null
		wait "$gen" 2>/dev/null
		forget_pid "$gen"
	fi
done

# ---------------------------------------------------------------- report

mkdir -p "$(dirname "$OUT")"
STATUS=0
MISSED=0
{
	printf '{\n  "date": %s,\n  "kernel": %s,\n  "cpus": %d,\n  "runs": %d,\n  "hold_s": %s,\n' \
		"$(json_str "$(date -u +%FT%TZ)")" "$(json_str "$(uname -r)")" "$NCPU" "$RUNS" "$HOLD"
	printf '  "etrace": %s,\n' "$(json_str "$ETRACE")"
	printf '  "targets": {"speedup_min": %s, "rss_fraction_max": "1/%s"},\n' "$TARGET_SPEED" "$TARGET_RSS"
	printf '  "probes": {\n'
} >"$OUT"

pi=0
for probe in "${PROBES[@]}"; do
	echo
	echo "probe ${PROBE_SPEC[$probe]}$([ "$probe" = getppid ] && echo " (load generator: bursts of 100 getppid() every ~1 ms)")"
	printf '%-10s | %24s | %13s\n' tracer "time to first event (ms)" "peak RSS (MB)"
	printf '%s\n' "-----------+--------------------------+--------------"
	[ $pi -gt 0 ] && echo "    ," >>"$OUT"
	printf '    %s: {\n' "$(json_str "${PROBE_SPEC[$probe]}")" >>"$OUT"
	declare -A MED_MS=() MED_MB=()
	ti=0
	for tr in "${TRACERS[@]}"; do
		key=$probe/$tr
		read -r -a ms <<<"${MS[$key]:-}"
		read -r -a kb <<<"${KB[$key]:-}"
		mb=()
		for v in "${kb[@]}"; do mb+=("$(awk -v k="$v" 'BEGIN { printf "%.1f", k / 1024 }')"); done
		reason=${NA[$tr]:-${ERR[$key]:-}}
		[ $ti -gt 0 ] && echo "      ," >>"$OUT"
		printf '      %s: {' "$(json_str "$tr")" >>"$OUT"
		if [ ${#ms[@]} -gt 0 ]; then
			MED_MS[$tr]=$(median "${ms[@]}")
			MED_MB[$tr]=$(awk -v k="$(median "${kb[@]}")" 'BEGIN { printf "%.1f", k / 1024 }')
			note=
			[ ${#ms[@]} -lt "$RUNS" ] && note="  (${#ms[@]}/$RUNS runs ok; last error: $reason)"
			printf '%-10s | %24s | %13s%s\n' "${LABEL[$tr]}" "${MED_MS[$tr]}" "${MED_MB[$tr]}" "$note"
			printf '"status": "ok", "first_event_ms": %s, "peak_rss_kb": %s, "median_first_event_ms": %s, "median_peak_rss_mb": %s' \
				"$(json_list "${ms[@]}")" "$(json_list "${kb[@]}")" "${MED_MS[$tr]}" "${MED_MB[$tr]}" >>"$OUT"
			[ ${#ms[@]} -lt "$RUNS" ] && printf ', "error": %s' "$(json_str "$reason")" >>"$OUT"
		else
			printf '%-10s | n/a: %s\n' "${LABEL[$tr]}" "${reason:-no data}"
			printf '"status": "n/a", "reason": %s' "$(json_str "${reason:-no data}")" >>"$OUT"
			[ "$tr" = etrace ] && STATUS=1
		fi
		echo "}" >>"$OUT"
		ti=$((ti + 1))
	done
	printf '      ,"ratios": {' >>"$OUT"
	sep=
	for other in bpftrace bcc; do
		if [ -n "${MED_MS[etrace]:-}" ] && [ -n "${MED_MS[$other]:-}" ]; then
			read -r speed rss <<<"$(awk -v a="${MED_MS[etrace]}" -v b="${MED_MS[$other]}" \
				-v x="${MED_MB[etrace]}" -v y="${MED_MB[$other]}" \
				'BEGIN { printf "%.1f %.1f", (a > 0 ? b / a : 0), (x > 0 ? y / x : 0) }')"
			echo "etrace vs ${LABEL[$other]}: ${speed}x faster to first event, RSS 1/${rss}"
			printf '%s"%s": {"speedup": %s, "rss_divisor": %s}' "$sep" "$other" "$speed" "$rss" >>"$OUT"
			sep=", "
			if [ "$other" = bpftrace ]; then
				v1=$(awk -v s="$speed" -v t=$TARGET_SPEED 'BEGIN { print (s >= t) ? "met" : "MISSED" }')
				v2=$(awk -v s="$rss" -v t=$TARGET_RSS 'BEGIN { print (s >= t) ? "met" : "MISSED" }')
				echo "  targets: >= ${TARGET_SPEED}x faster: $v1; RSS <= 1/${TARGET_RSS}: $v2"
				[ "$v1$v2" = metmet ] || MISSED=1
			fi
		fi
	done
	printf '}\n    }\n' >>"$OUT"
	unset MED_MS MED_MB
	pi=$((pi + 1))
done
printf '  }\n}\n' >>"$OUT"

echo
echo "raw numbers: $OUT"
[ $STRICT = 1 ] && [ $MISSED = 1 ] && STATUS=1
exit $STATUS
