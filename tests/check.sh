#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/check.sh BUILD_DIR: the body of `make check`.
#
# Runs the unit tests, a short deterministic run of the spec fuzzer
# (tests/fuzz), the runtime cases and (unless ETRACE_SKIP_VM is set
# or tests/vm/lab.sh is missing) the VM lab, then those of the arm64 build
# in ETRACE_ARM64_BUILD if set (below), showing each suite's output as
# it runs. Each suite's last "N passed, N failed[, N skipped]" line is its
# result; the results are summed and the very last line printed is
# "N passed, N failed, N skipped". Exits 1 if any suite failed, exited
# non-zero or printed no summary.

set -u

if [ $# -ne 1 ]; then
	echo "usage: tests/check.sh BUILD_DIR" >&2
	exit 2
fi
# Absolute, since the suites run from the top of the source tree.
BUILD=$(cd "$1" 2>/dev/null && pwd) || BUILD=$1
cd "$(dirname "$0")/.." || exit 2

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/etrace-check.XXXXXX") || exit 2
trap 'rm -rf "$TMPD"' EXIT
trap 'exit 130' INT TERM HUP

# "N passed, N failed[, N skipped]", optionally after a "label: " prefix.
SUMMARY_RE='^([A-Za-z0-9 ._-]+: )?([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?[[:space:]]*$'

total_pass=0
total_fail=0
total_skip=0
bad=0
summary=""

# run_suite NAME CMD...: run one suite, record its counts.
run_suite() {
	name=$1
	shift
	log="$TMPD/$name.log"
	echo "=== $name: $*"
	# The exit status of the suite, not of tee, is written to a file.
	{ "$@" 2>&1; echo $? >"$TMPD/$name.rc"; } | tee "$log"
	rc=$(cat "$TMPD/$name.rc" 2>/dev/null || echo 1)
	line=$(tr -d '\r' <"$log" | grep -E "$SUMMARY_RE" | tail -n 1)
	if [ -z "$line" ]; then
		summary="$summary$name: no summary line (exit status $rc)
"
		bad=1
		return
	fi
	# shellcheck disable=SC2046 # split into the three counts
	set -- $(echo "$line" | sed -E "s/$SUMMARY_RE/\\2 \\3 \\5/")
	p=$1
	f=$2
	s=${3:-0}
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
	status=""
	if [ "$rc" -ne 0 ]; then
		status=" (exit status $rc)"
		bad=1
	fi
	[ "$f" -ne 0 ] && bad=1
	summary="$summary$name: $p passed, $f failed, $s skipped$status
"
}

run_suite unit "$BUILD/unit-tests" tests/unit
run_suite fuzz "$BUILD/fuzz-driver" -n 20000 tests/fuzz/corpus/spec
run_suite runtime "$BUILD/etrace-runner" --etrace "$BUILD/etrace" \
	--progs "$BUILD/progs" tests/runtime/*.case
if [ -x tests/vm/lab.sh ] && [ -z "${ETRACE_SKIP_VM:-}" ]; then
	# The VM image needs static binaries: under SAN=1 the Makefile points
	# ETRACE_VM_BUILD at the normal (static) build.
	run_suite vm tests/vm/lab.sh check "${ETRACE_VM_BUILD:-$BUILD}"
fi
# ETRACE_ARM64_BUILD: an aarch64 build too (make check sets it):
# its unit tests under qemu-aarch64, its VM lab on Debian's arm64 kernels.
if [ -n "${ETRACE_ARM64_BUILD:-}" ]; then
	run_suite unit-arm64 qemu-aarch64-static "$ETRACE_ARM64_BUILD/unit-tests" tests/unit
	if [ -x tests/vm/lab.sh ] && [ -z "${ETRACE_SKIP_VM:-}" ]; then
		run_suite vm-arm64 tests/vm/lab.sh check "$ETRACE_ARM64_BUILD"
	fi
fi

echo "=== summary"
printf '%s' "$summary"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
exit $bad
