#!/usr/bin/env bash
# bench/soak.sh - soak test: etrace -K on a busy tracepoint for a long time,
# its output read by a deliberately slow consumer.
#
# usage: bench/soak.sh [-d SECONDS] [-r RATE] [-b PAGES] [--stall MS]
#                      [--stall-every SECONDS] [-o FILE] [ETRACE]
#
# The producer is getppid_bench -r RATE -d SECONDS (default 20000 calls/s for
# 600 s), traced with `etrace -v -K -p PID t:syscalls:sys_enter_getppid`.
# etrace's stdout goes through a pipe to a slow reader (16 KiB, then 2 ms of
# sleep; and every --stall-every seconds, default 10, a stall of --stall ms,
# default 1500) and on to a checker that counts the event lines and checks the
# form of every line. Every second etrace's VmRSS and VmHWM are sampled.
# At the end printed + lost must equal the producer's own count of calls
# exactly, and no line may be torn: else the exit status is 1.
# Summary to bench/results/soak.json, RSS samples to bench/results/soak-rss.csv.
# Not part of `make check`. See bench/README.md.

set -uo pipefail

DURATION=600
RATE=20000
PAGES=                  # etrace -b (default: etrace's own)
STALL_MS=1500           # every STALL_EVERY seconds the reader stops this long:
STALL_EVERY=10          # longer than etrace's 4 MiB output queue lasts at RATE
CHUNK=16384             # the reader takes at most this many bytes ...
PAUSE_MS=2              # ... then sleeps this long (some 8 MB/s at most)
GRACE=2                 # seconds between the producer's end and SIGINT
STOP_LIMIT=120          # seconds etrace may take to exit after SIGINT
ETRACE=
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
OUT=$HERE/results/soak.json
SENTINEL=etrace-soak-ready
PROBE=t:syscalls:sys_enter_getppid

usage() {
	sed -n '5,6s/^# //p' "${BASH_SOURCE[0]}"
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	-d) DURATION=${2:?}; shift 2 ;;
	-r) RATE=${2:?}; shift 2 ;;
	-b) PAGES=${2:?}; shift 2 ;;
	--stall) STALL_MS=${2:?}; shift 2 ;;
	--stall-every) STALL_EVERY=${2:?}; shift 2 ;;
	-o) OUT=${2:?}; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "soak.sh: unknown option $1" >&2; usage ;;
	*) ETRACE=$1; shift ;;
	esac
done
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || { echo "soak.sh: -d wants whole seconds" >&2; exit 2; }
[[ $RATE =~ ^[1-9][0-9]*$ ]] || { echo "soak.sh: -r wants calls per second" >&2; exit 2; }
[ -z "$PAGES" ] || [[ $PAGES =~ ^[1-9][0-9]*$ ]] || { echo "soak.sh: -b wants pages" >&2; exit 2; }
[[ $STALL_MS =~ ^[0-9]+$ ]] || { echo "soak.sh: --stall wants milliseconds" >&2; exit 2; }
[[ $STALL_EVERY =~ ^[1-9][0-9]*$ ]] || { echo "soak.sh: --stall-every wants whole seconds" >&2; exit 2; }
[ -n "$ETRACE" ] || ETRACE=$REPO/build/etrace
[ -x "$ETRACE" ] || { echo "soak.sh: $ETRACE: not executable (make build/etrace)" >&2; exit 2; }
ETRACE=$(cd "$(dirname "$ETRACE")" && pwd)/$(basename "$ETRACE")
BUILD=$(dirname "$ETRACE")
CSV=${OUT%.json}-rss.csv
command -v perl >/dev/null || { echo "soak.sh: needs perl (the slow reader)" >&2; exit 2; }

# ---------------------------------------------------------------- cleanup

TMP=$(mktemp -d /tmp/etrace-soak.XXXXXX)
PIDS=()         # every process we started and have not reaped yet
SAMPLER=        # process group of the RSS sampler

kill_all() {
	local p
	[ -n "$SAMPLER" ] && kill -- -"$SAMPLER" 2>/dev/null
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
# Only this shell cleans up, not a subshell that is signalled before it has
# reset the traps it inherited.
trap '[ "$BASHPID" = $$ ] && cleanup' EXIT
trap '[ "$BASHPID" = $$ ] || exit 1; echo; echo "soak.sh: interrupted" >&2; exit 130' INT TERM HUP

forget_pid() {
	local p keep=()
	for p in "${PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

if [ -n "${EPOCHREALTIME:-}" ]; then
	now() { NOW=${EPOCHREALTIME//[!0-9]/}; }
else
	now() { NOW=$(( $(date +%s%N) / 1000 )); }
fi

# alive PID: it exists and is not a zombie.
alive() {
	local st
	st=$(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null) || return 1
	[[ $st != " Z"* && $st != " X"* ]]
}

# wait_gone PID LIMIT_S: reap PID, killing it (SIGKILL) after LIMIT_S; 1 if
# it had to be killed. Sets EXIT_RC.
wait_gone() {
	local i
	for ((i = 0; i < $2 * 50; i++)); do
		alive "$1" || break
		sleep 0.02
	done
	local killed=0
	if alive "$1"; then
		kill -KILL "$1" 2>/dev/null
		killed=1
	fi
	wait "$1" 2>/dev/null
	EXIT_RC=$?
	forget_pid "$1"
	return $killed
}

# ---------------------------------------------------------------- workload

# The producer: getppid_bench (built by make next to etrace), else build it.
GEN=
for g in "$BUILD/progs/getppid_bench" "$BUILD/getppid_bench"; do
	[ -x "$g" ] && { GEN=$g; break; }
done
if [ -z "$GEN" ]; then
	GEN=$TMP/getppid_bench
	gcc -O1 -o "$GEN" "$REPO/tests/progs/getppid_bench.c" 2>"$TMP/gcc.err" ||
		{ echo "soak.sh: no getppid_bench and cannot build it: $(head -1 "$TMP/gcc.err")" >&2; exit 2; }
fi
COMM=$(basename "$GEN" | cut -c1-15)

# The slow reader: at most CHUNK bytes, then PAUSE_MS of sleep; every
# STALL_EVERY seconds it sleeps STALL_MS instead (so that the ring buffer
# overflows now and then). Bytes are passed on untouched.
cat >"$TMP/reader.pl" <<'EOF'
use strict;
use warnings;
use Time::HiRes qw(time sleep);
my ($chunk, $pause_ms, $stall_ms, $every) = @ARGV;
my $next_stall = time + $every;
my $buf;
$| = 1;
while (1) {
	my $n = sysread(STDIN, $buf, $chunk);
	die "reader: $!\n" unless defined $n;
	last if $n == 0;
	my $off = 0;
	while ($off < $n) {
		my $w = syswrite(STDOUT, $buf, $n - $off, $off);
		die "reader: $!\n" unless defined $w;
		$off += $w;
	}
	if ($stall_ms > 0 && time >= $next_stall) {
		sleep($stall_ms / 1000);
		$next_stall = time + $every;
	} else {
		sleep($pause_ms / 1000);
	}
}
EOF

# The checker: every line must be the header (first line only), an event
# line, a stack frame (8 spaces and a symbol), or the empty line that ends
# an event; anything else is torn. Events must come in the order
# event, frames, empty line.
cat >"$TMP/check.awk" <<'EOF'
function bad(kind) {
	if (nbad < 10)
		print NR ": " kind ": [" $0 "]" > badfile
	nbad++
}
BEGIN { prev = "start" }
/^PID +TID +COMM +FUNC *$/ {
	header++
	if (NR != 1) { seq++; bad("header again") }
	prev = "header"; next
}
/^[0-9]+ +[0-9]+ +[^ ].* +[^ ]+ *$/ {
	if ($1 == pid && $2 == pid && $3 == comm && $4 == func && NF == 4)
		events++
	else {
		foreign++; bad("event of another process")
	}
	if (prev != "header" && prev != "blank") { seq++; bad("event line inside an event") }
	prev = "event"; next
}
/^        ([^ ]+\+0x[0-9a-f]+ \[[^]]+\]|\[unknown\]|\[kernel stack unavailable: [^]]*\])$/ {
	frames++
	if ($0 ~ /unavailable/) nostack++
	if (prev != "event" && prev != "frame") { seq++; bad("stack frame outside an event") }
	prev = "frame"; next
}
$0 == "" {
	blanks++
	if (prev == "event") nostack++
	else if (prev != "frame") { seq++; bad("empty line outside an event") }
	prev = "blank"; next
}
{ torn++; bad("torn") }
END {
	if (prev == "event" || prev == "frame") { seq++; incomplete = 1 }
	printf "lines=%d header=%d events=%d foreign=%d frames=%d blanks=%d torn=%d seq=%d nostack=%d incomplete=%d\n",
		NR, header, events, foreign, frames, blanks, torn, seq, nostack, incomplete
}
EOF

# ---------------------------------------------------------------- run

echo "etrace soak: ${DURATION} s at ${RATE} getppid()/s, $PROBE with -K, kernel $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "slow reader: $((CHUNK / 1024)) KiB then ${PAUSE_MS} ms of sleep$([ "$STALL_MS" -gt 0 ] && echo ", a ${STALL_MS} ms stall every ${STALL_EVERY} s")"

# The producer waits on a gate until etrace is ready; starting it first
# gives its pid for -p (a filter in the kernel: -n would filter in user
# space, after other processes' getppid() calls could have cost losses).
mkfifo "$TMP/gate" "$TMP/out" "$TMP/mid"
( read -r _ <"$TMP/gate"; exec "$GEN" -r "$RATE" -d "$DURATION" >"$TMP/producer.out" 2>&1 ) &
PROD=$!
PIDS+=("$PROD")

perl "$TMP/reader.pl" "$CHUNK" "$PAUSE_MS" "$STALL_MS" "$STALL_EVERY" <"$TMP/out" >"$TMP/mid" &
READER=$!
PIDS+=("$READER")
awk -v pid="$PROD" -v comm="$COMM" -v func="${PROBE##*:}" -v badfile="$TMP/bad" \
	-f "$TMP/check.awk" <"$TMP/mid" >"$TMP/check.out" &
CHECKER=$!
PIDS+=("$CHECKER")

ECMD=("$ETRACE" -v -K -p "$PROD")
[ -n "$PAGES" ] && ECMD+=(-b "$PAGES")
ECMD+=("$PROBE")
echo "tracer: ${ECMD[*]##*/}"
set -m          # own process group; keeps SIGINT (see startup.sh)
ETRACE_TEST_SENTINEL=$SENTINEL "${ECMD[@]}" >"$TMP/out" 2>"$TMP/etrace.err" </dev/null &
ETPID=$!
set +m
PIDS+=("$ETPID")

now; T0=$NOW
until grep -qx "$SENTINEL" "$TMP/etrace.err" 2>/dev/null; do
	now
	if ! alive "$ETPID" || [ $(( NOW - T0 )) -gt 30000000 ]; then
		echo "soak.sh: etrace did not get ready: $(grep -v "^$SENTINEL\$" "$TMP/etrace.err" | grep -v '^ ' | tail -1)" >&2
		exit 1
	fi
	sleep 0.02
done
now
ATTACH_MS=$(( (NOW - T0) / 1000 ))

# RSS sampler: one line a second while etrace lives.
mkdir -p "$(dirname "$OUT")"
echo "t_s,vmrss_kb,vmhwm_kb" >"$CSV"
set -m
(
	trap - INT TERM HUP EXIT
	while :; do
		# awk reads the file in one go: bash's read would seek back and
		# forth in it, and /proc/PID/status changes between two reads
		now
		line=$(awk -v t=$(( NOW - T0 )) '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 }
			END { if (r != "") printf "%.1f,%s,%s\n", t / 1e6, r, h }' "/proc/$ETPID/status")
		[ -n "$line" ] || break         # gone, or a zombie
		echo "$line" >>"$CSV"
		sleep 1
	done
) 2>/dev/null &
SAMPLER=$!
set +m

echo go >"$TMP/gate"
now; TSTART=$NOW
PROGRESS=60
[ "$DURATION" -lt 300 ] && PROGRESS=10
next=$PROGRESS
DIED=
while alive "$PROD"; do
	sleep 1
	if ! alive "$ETPID"; then
		DIED="etrace exited while the producer was running"
		break
	fi
	now
	el=$(( (NOW - TSTART) / 1000000 ))
	if [ "$el" -ge "$next" ]; then
		last=$(tail -1 "$CSV")
		printf '  %4d s: etrace RSS %s kB, VmHWM %s kB\n' "$el" "$(echo "$last" | cut -d, -f2)" \
			"$(echo "$last" | cut -d, -f3)" >&2
		next=$(( next + PROGRESS ))
	fi
done
wait_gone "$PROD" $(( DURATION + 60 ))
PROD_RC=$EXIT_RC
now; TEND=$NOW

HUNG=
STOP_MS=
if [ -z "$DIED" ]; then
	sleep "$GRACE"
	now; ts=$NOW
	kill -INT "$ETPID" 2>/dev/null
	if ! wait_gone "$ETPID" "$STOP_LIMIT"; then
		HUNG="etrace still running $STOP_LIMIT s after SIGINT (killed)"
	fi
	now
	STOP_MS=$(( (NOW - ts) / 1000 ))
else
	wait_gone "$ETPID" 1
fi
ET_RC=$EXIT_RC
# the reader and the checker end at EOF
wait_gone "$READER" 60 || echo "soak.sh: the reader did not finish (killed)" >&2
wait_gone "$CHECKER" 60 || echo "soak.sh: the checker did not finish (killed)" >&2
kill -- -"$SAMPLER" 2>/dev/null
wait "$SAMPLER" 2>/dev/null
SAMPLER=

# ---------------------------------------------------------------- report

CALLS=$(sed -n 's/^calls=\([0-9]*\).*/\1/p' "$TMP/producer.out" | head -1)
LOST=$(sed -n 's/^etrace: lost \([0-9]*\) events.*/\1/p' "$TMP/etrace.err" | tail -1)
LOST=${LOST:-0}
read -r V_EVENTS V_LOST < <(sed -n 's/^probe 1: \([0-9]*\) events, \([0-9]*\) lost.*/\1 \2/p' "$TMP/etrace.err" | tail -1)
declare -A C
read -r -a kvs <"$TMP/check.out" 2>/dev/null || kvs=()
for kv in "${kvs[@]}"; do C[${kv%%=*}]=${kv#*=}; done
PRINTED=${C[events]:-0}
TORN=${C[torn]:-0}
SEQ=${C[seq]:-0}
FOREIGN=${C[foreign]:-0}
read -r RMIN RMAX RLAST HWM NS < <(awk -F, 'NR > 1 { if (n == 0 || $2 < mn) mn = $2; if ($2 > mx) mx = $2;
	last = $2; if ($3 > h) h = $3; n++ }
	END { printf "%d %d %d %d %d\n", mn, mx, last, h, n }' "$CSV")
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

FAIL=()
[ -n "$DIED" ] && FAIL+=("$DIED: $(grep -v "^$SENTINEL\$" "$TMP/etrace.err" | grep -v '^ ' | tail -1)")
[ -n "$HUNG" ] && FAIL+=("$HUNG")
[ -z "$CALLS" ] && FAIL+=("no calls=N from the producer (exit status $PROD_RC): $(head -1 "$TMP/producer.out")")
[ -z "$DIED$HUNG" ] && [ "$ET_RC" != 0 ] && FAIL+=("etrace exit status $ET_RC")
DIFF=
if [ -n "$CALLS" ]; then
	DIFF=$(( PRINTED + LOST - CALLS ))
	[ "$DIFF" != 0 ] && FAIL+=("printed + lost = $((PRINTED + LOST)), producer calls = $CALLS: difference $DIFF")
fi
[ "$TORN" != 0 ] && FAIL+=("$TORN torn lines")
[ "$SEQ" != 0 ] && FAIL+=("$SEQ lines out of order (event, frames, empty line)")
[ "$FOREIGN" != 0 ] && FAIL+=("$FOREIGN events of other processes")
[ "${C[header]:-0}" != 1 ] && FAIL+=("${C[header]:-0} header lines (want 1)")
[ -n "${V_EVENTS:-}" ] && [ "$V_EVENTS" != "$PRINTED" ] &&
	FAIL+=("etrace -v says $V_EVENTS events, $PRINTED printed")
[ -n "${V_LOST:-}" ] && [ "$V_LOST" != "$LOST" ] && FAIL+=("etrace -v says $V_LOST lost, 'lost' line says $LOST")

SECS=$(awk -v d=$(( TEND - TSTART )) 'BEGIN { printf "%.1f", d / 1e6 }')
echo
printf '%-24s %s s (producer), etrace ready after %s ms, stopped %s ms after SIGINT\n' duration "$SECS" "$ATTACH_MS" "${STOP_MS:-?}"
printf '%-24s %s\n' "producer calls" "${CALLS:-?}"
printf '%-24s %s\n' "printed events" "$PRINTED"
printf '%-24s %s\n' "lost (etrace)" "$LOST"
printf '%-24s %s\n' "printed + lost" "$(( PRINTED + LOST ))$([ -n "$DIFF" ] && { [ "$DIFF" = 0 ] && echo " = producer calls" || echo " (difference $DIFF)"; })"
printf '%-24s %s\n' "loss" "$(awk -v l="$LOST" -v c="${CALLS:-0}" 'BEGIN { printf "%.2f%%", c ? 100 * l / c : 0 }')"
printf '%-24s %s\n' "torn lines" "$TORN"
printf '%-24s %s\n' "out-of-order lines" "$SEQ"
printf '%-24s %s\n' "stack frames" "${C[frames]:-0} ($(awk -v f="${C[frames]:-0}" -v e="$PRINTED" 'BEGIN { printf "%.2f", e ? f / e : 0 }') per event; ${C[nostack]:-0} events without one)"
printf '%-24s min %s, max %s, last %s (%d samples); VmHWM %s\n' "etrace RSS (MB)" "$(mb "$RMIN")" "$(mb "$RMAX")" "$(mb "$RLAST")" "$NS" "$(mb "$HWM")"
if [ -s "$TMP/bad" ]; then
	echo "first bad lines (line number: kind: [text]):"
	sed 's/^/  /' "$TMP/bad"
fi

json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
{
	printf '{\n  "date": %s,\n  "kernel": %s,\n  "cpus": %d,\n' \
		"$(json_str "$(date -u +%FT%TZ)")" "$(json_str "$(uname -r)")" "$(nproc)"
	printf '  "etrace": %s,\n  "command": %s,\n' "$(json_str "$ETRACE")" "$(json_str "${ECMD[*]##*/}")"
	printf '  "duration_s": %s,\n  "rate": %s,\n  "measured_s": %s,\n' "$DURATION" "$RATE" "$SECS"
	printf '  "reader": {"chunk_bytes": %s, "pause_ms": %s, "stall_ms": %s, "stall_every_s": %s},\n' \
		"$CHUNK" "$PAUSE_MS" "$STALL_MS" "$STALL_EVERY"
	printf '  "attach_ms": %s,\n  "stop_ms": %s,\n  "etrace_exit_status": %s,\n' "$ATTACH_MS" "${STOP_MS:-null}" "$ET_RC"
	printf '  "producer_calls": %s,\n  "printed": %s,\n  "lost": %s,\n  "difference": %s,\n' \
		"${CALLS:-null}" "$PRINTED" "$LOST" "${DIFF:-null}"
	printf '  "verbose_events": %s,\n  "verbose_lost": %s,\n' "${V_EVENTS:-null}" "${V_LOST:-null}"
	printf '  "lines": %s,\n  "torn_lines": %s,\n  "out_of_order_lines": %s,\n  "foreign_events": %s,\n  "stack_frames": %s,\n  "events_without_stack": %s,\n' \
		"${C[lines]:-0}" "$TORN" "$SEQ" "$FOREIGN" "${C[frames]:-0}" "${C[nostack]:-0}"
	printf '  "rss_kb": {"min": %s, "max": %s, "last": %s, "vmhwm": %s, "samples": %s, "csv": %s},\n' \
		"$RMIN" "$RMAX" "$RLAST" "$HWM" "$NS" "$(json_str "$CSV")"
	printf '  "failures": ['
	sep=
	for f in "${FAIL[@]}"; do printf '%s%s' "$sep" "$(json_str "$f")"; sep=', '; done
	printf '],\n  "result": "%s"\n}\n' "$([ ${#FAIL[@]} = 0 ] && echo pass || echo FAIL)"
} >"$OUT"

echo
if [ ${#FAIL[@]} -gt 0 ]; then
	for f in "${FAIL[@]}"; do echo "FAIL: $f"; done
	echo "etrace's stderr (without the generated program):"
	grep -v '^ ' "$TMP/etrace.err" | grep -v "^$SENTINEL\$" | tail -5 | sed 's/^/  /'
else
	echo "pass: printed + lost = producer calls, no torn lines"
fi
echo "results: $OUT, RSS samples: $CSV"
[ ${#FAIL[@]} = 0 ]
