#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# bench/vm-kfunc.sh: runs inside the VM lab guest (busybox sh), installed as
# /bin/lab-check by `tests/vm/lab.sh bench`. The host kernel refuses kernel
# function probes, so etrace's start-up on them is measured here.
#
# For each probe: one untimed warm-up, then RUNS runs of
#     /progs/first_line -H HOLD_MS /bin/etrace PROBE
# (time from fork to the first event line, the child's peak RSS after HOLD_MS
# of events) while a workload keeps the probed function busy. One line per
# run, parsed by lab.sh:
#     ETRACE-BENCH probe=P mech=M run=N first_ms=X hwm_kb=Y lines=L status=S
# and ETRACE-BENCH-STEP lines before each step, so that a log that ends in
# a guest kernel crash says which step it was.

RUNS=5
HOLD_MS=500
FL=/progs/first_line

# init keeps the console to emergencies; let the traces of a soft lockup or
# an oops (KERN_DEFAULT) through, so a crashed or hung run says where.
dmesg -n 5

[ -x "$FL" ] || { echo "vm-kfunc: $FL missing (make all builds it)"; exit 2; }

# The workload: busybox sh's read builtin reads a file one byte per read(2),
# so vfs_read runs all the time, without a fork per call.
(while :; do while read -r _ ; do :; done </etc/passwd; done) &
WL=$!
# msync_loop drives vfs_fsync_range (one call per iteration).
(while :; do /progs/msync_loop /tmp/bench-msync 200 || sleep 1; done) &
WL2=$!

trap 'kill $WL $WL2 2>/dev/null' EXIT

bench() {  # PROBE [ETRACE OPTIONS...]
    probe=$1
    shift
    echo "ETRACE-BENCH-STEP $probe $*: mechanism"
    mech=$(/bin/etrace -v -M 1 "$@" "$probe" 2>&1 >/dev/null |
        sed -n 's/^probe 1: .* -> \([a-z_-]*\) .*/\1/p' | tail -n 1)
    echo "ETRACE-BENCH-STEP $probe $*: warm-up"
    # warm-up: page cache, BTF and kallsyms first reads
    "$FL" -H 200 /bin/etrace "$@" "$probe" >/dev/null 2>&1
    i=1
    while [ $i -le $RUNS ]; do
        r=$("$FL" -H $HOLD_MS /bin/etrace "$@" "$probe" 2>/dev/null)
        echo "ETRACE-BENCH probe=$probe mech=${mech:-unknown} run=$i $r"
        i=$((i + 1))
    done
}

echo "ETRACE-BENCH-INFO release=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo) runs=$RUNS hold_ms=$HOLD_MS"
bench t:sched:sched_switch   # reference: a tracepoint, no kernel-function work
bench p::vfs_read
bench p::vfs_read --mechanism kprobe
bench p::vfs_fsync_range
kill $WL $WL2 2>/dev/null
exit 0
