#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# /bin/lab-check inside the VM lab guest: the one place that says how the
# runtime cases are run in a VM. init.sh calls it in check mode; in shell
# mode you can call it by hand, optionally with a few case files.
#
# Only the cases that need kernel functions, and the user-space cases that
# use the static fixtures (uprobes and USDT on each kernel), run here:
# everything else is already covered by `make runtime` on the host.

if [ $# -eq 0 ]; then
    set -- /cases/*.case
    [ -e "$1" ] || { echo "lab-check: no case files in /cases" >&2; exit 2; }
fi
exec /bin/etrace-runner --etrace /bin/etrace --progs /progs \
    --only-requires kernel-functions,user-static "$@"
