#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# /bin/lab-check inside the VM lab guest: the one place that says how the
# runtime cases are run in a VM. init.sh calls it in check mode; in shell
# mode you can call it by hand, optionally with a few case files.
#
# Only the cases that need kernel functions, and the user-space cases that
# use the static fixtures (uprobes and USDT on each kernel), run here:
# everything else is already covered by `make runtime` on the host. An
# arm64 guest also runs every case of tracepoint.case, format.case and
# btf.case, which the (x86-64) host cannot run for it; the two runs' counts
# are summed into the one closing line.

run() {
    /bin/etrace-runner --etrace /bin/etrace --progs /progs "$@"
}

if [ $# -gt 0 ]; then
    exec /bin/etrace-runner --etrace /bin/etrace --progs /progs \
        --only-requires kernel-functions,user-static "$@"
fi
set -- /cases/*.case
[ -e "$1" ] || { echo "lab-check: no case files in /cases" >&2; exit 2; }
if [ "$(uname -m)" != aarch64 ]; then
    exec /bin/etrace-runner --etrace /bin/etrace --progs /progs \
        --only-requires kernel-functions,user-static "$@"
fi

log=/tmp/lab-check.log
rc=0
{ run --only-requires kernel-functions,user-static "$@" || echo "rc=$?"; } | tee "$log"
set --
for f in tracepoint format btf; do
    if [ -e "/cases/$f.case" ]; then set -- "$@" "/cases/$f.case"; fi
done
if [ $# -gt 0 ]; then
    { run "$@" || echo "rc=$?"; } | tee -a "$log"
fi
grep -q '^rc=' "$log" && rc=1
# "N passed, N failed, N skipped" of each run, summed.
awk '/^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped/ { p += $1; f += $3; s += $5; n++ }
    END { if (n) printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit $rc
