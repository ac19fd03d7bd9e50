#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# bench/arm64.sh [ARM64_BUILD [KERNEL...]]   (make bench-arm64)
#
# The aarch64 build (make ARCH=arm64, default build-arm64): the size of its
# static etrace (beside the native build's, when there is one), then its
# start-up on a tracepoint and on kernel functions in the arm64 VM lab
# (tests/vm/lab.sh bench, bench/vm-kfunc.sh in the guest) for each kernel
# (default: 6.1, where only kprobes attach, and 6.12, which has fentry).
# The guest is emulated (TCG): its times are not a machine's, compare them
# with the x86-64 lab's (make bench ends with it). About 40 s per kernel.
#
# The figures go to bench/results/arm64.txt too (git-ignored).

set -eu

cd "$(dirname "$0")/.."
build=${1:-build-arm64}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- 6.1 6.12
out=bench/results/arm64.txt
mkdir -p bench/results

size_line() {  # LABEL FILE
	if [ -f "$2" ]; then
		printf '  %-8s %-22s %9d bytes (%s)\n' "$1" "$2" "$(stat -c %s "$2")" \
			"$(file -b "$2" | cut -d, -f1-2)"
	fi
}

{
	echo "etrace binaries (static, with symbols):"
	size_line arm64 "$build/etrace"
	size_line native build/etrace
	if command -v aarch64-linux-gnu-size >/dev/null && [ -f "$build/etrace" ]; then
		echo "  arm64 sections: $(aarch64-linux-gnu-size "$build/etrace" | tail -n 1 |
			awk '{ printf "text %d, data %d, bss %d", $1, $2, $3 }')"
		tmp=$(mktemp)
		aarch64-linux-gnu-strip -o "$tmp" "$build/etrace"
		echo "  arm64 stripped: $(stat -c %s "$tmp") bytes"
		rm -f "$tmp"
	fi
	echo
} | tee "$out"

rc=0
for k in "$@"; do
	tests/vm/lab.sh bench "$build" "$k" | tee -a "$out" || rc=1
done
exit $rc
