#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# tests/valgrind.sh ETRACE PROGS: etrace (a dynamically linked build: valgrind
# cannot follow a static glibc's allocator) under valgrind's memcheck on
# representative runs: a dry run, events, counting with stacks, a latency
# histogram, JSON. Any error or leak fails (exit 1).
set -u
E=$1 P=$2
HERE=$(cd "$(dirname "$0")" && pwd)
VG="valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 --suppressions=$HERE/valgrind.supp"
fail=0

run() {	# run NAME WORKLOAD ETRACE-ARGS...
	name=$1 work=$2
	shift 2
	(sleep 2; sh -c "$work" >/dev/null 2>&1) &
	if $VG "$E" "$@" >/dev/null 2>"/tmp/etrace-vg.$$"; then
		echo "PASS valgrind: $name"
	else
		echo "FAIL valgrind: $name"
		sed 's/^/    /' "/tmp/etrace-vg.$$"
		fail=1
	fi
	wait
	rm -f "/tmp/etrace-vg.$$"
}

run "dry run with renamed names" true --dry-run \
	'p::tcp_v4_connect(struct sock *sk) "%d", sk->sk_dport' kfree_skb
run "events with -K" "$P/write_sizes /dev/null 42x3" -d 4 -K -n write_sizes \
	't:syscalls:sys_enter_write "%d %s", args->count, args->buf'
run "-A -K counted in the kernel, JSON" "$P/write_sizes /dev/null 42x3 7" --json -d 4 -A -K \
	-n write_sizes 't:syscalls:sys_enter_write "%d", args->count'
run "-H of \$latency with \$entry()" "$P/timed recurse 3 5; $P/timed work 10 20" -d 5 -H \
	"r:$P/timed:rec \"%d %d\", \$entry(arg1), \$latency / 1000000"
run "-U and %U" "$P/timed work 10 20" -d 4 -U "p:$P/timed:work \"%U\", ctx->ip"
exit $fail
