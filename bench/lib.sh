# SPDX-License-Identifier: BSD-2-Clause
# bench/lib.sh: helpers shared by the benchmark scripts (sourced, not run).

# apt_install PKG...: install Debian packages (root only), updating the
# package lists once per run. Returns non-zero when it cannot.
APT_UPDATED=0
apt_install() {
	if [ "$(id -u)" != 0 ]; then
		echo "${0##*/}: not root, cannot install $*" >&2
		return 1
	fi
	if [ $APT_UPDATED = 0 ]; then
		echo "installing $* ..." >&2
		apt-get update -qq >/dev/null 2>&1 || true
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

# need_bpftrace NA_ARRAY_NAME: make sure bpftrace is there, or record why not.
need_bpftrace() {
	if ! command -v bpftrace >/dev/null; then
		apt_install bpftrace || true
	fi
	command -v bpftrace >/dev/null || eval "$1[bpftrace]='bpftrace not installed'"
}

# median NUMBERS... -> their median, one decimal ("" when none)
median() {
	[ $# -gt 0 ] || { echo; return; }
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) printf "%.1f", v[(NR + 1) / 2];
		      else printf "%.1f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# pin_cpus: NCPU; WPIN runs the workload on the last CPU and TPIN a tracer
# on the others (both empty on one CPU or without taskset), so that a
# tracer's consumer never preempts the workload it measures.
pin_cpus() {
	NCPU=$(nproc)
	WPIN=() TPIN=()
	if [ "$NCPU" -ge 2 ] && command -v taskset >/dev/null; then
		WPIN=(taskset -c $((NCPU - 1))) TPIN=(taskset -c "0-$((NCPU - 2))")
	fi
}

# gen_ns: the caller's workload GEN run for CALLS calls on the workload's CPU;
# prints the CPU ns per call it measured itself (cpu_ns_per_call=).
gen_ns() { "${WPIN[@]}" "$GEN" "$CALLS" | sed -n 's/.*cpu_ns_per_call=\([0-9.]*\).*/\1/p'; }

# tracer_stop: SIGINT to the tracer in TPID, and wait for it.
tracer_stop() {
	[ -n "${TPID:-}" ] || return 0
	kill -INT "$TPID" 2>/dev/null
	wait "$TPID" 2>/dev/null
	TPID=
}

# added_cost RUNS CONF...: RUNS rounds over the configurations, in an order
# that rotates round by round so that drift hits all alike; each measures
# the workload alone (the caller's gen_ns prints its CPU ns per call), then
# with the configuration's tracer (the caller's tracer_start CONF, which
# sets TPID), and appends the difference to ADDED[CONF] (an associative
# array the caller declares). Progress goes to stderr.
added_cost() {
	local runs=$1 run k n c base with
	shift
	n=$#
	printf 'run' >&2
	for ((run = 0; run < runs; run++)); do
		printf ' %d' $((run + 1)) >&2
		for ((k = 0; k < n; k++)); do
			c=${@:$(((run + k) % n + 1)):1}
			base=$(gen_ns)
			tracer_start "$c" || { tracer_stop; continue; }
			with=$(gen_ns)
			tracer_stop
			[ -n "${BENCH_DEBUG:-}" ] && echo " $c: $base -> $with" >&2
			ADDED[$c]+="$(awk -v a="$with" -v b="$base" 'BEGIN { printf "%.1f", a - b }') "
		done
	done
	echo >&2
}
