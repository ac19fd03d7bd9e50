#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# /init of the etrace VM lab guest (busybox sh). tests/vm/lab.sh copies this
# file into every initramfs it builds; read lab.sh for the host side.
#
# The mode comes from the kernel command line, etrace_lab=MODE:
#   check  run /bin/lab-check (the runtime cases that need kernel functions)
#   shell  interactive busybox shell on the serial console
#   boot   print the feature line and power off (boot time measurement)
#
# Everything the host parses is a line starting with "ETRACE-LAB-":
#   ETRACE-LAB-FEATURES key=value ...      always, once the guest is set up
#   ETRACE-LAB-BEGIN <uname -r>            check/boot: the runner starts
#   ETRACE-LAB-END rc=<exit code>          check/boot: the runner has exited
#   ETRACE-LAB-DMESG-BEGIN / -END          kernel messages logged during the run
#   ETRACE-LAB-WARN <text>                 set-up problems worth showing

# modules_load, modules_present etc. come from /etc/etrace-vm:
# shellcheck disable=SC2154
export PATH=/bin HOME=/root TERM=linux

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# / is the initramfs (rootfs, writable) but tests want a real tmpfs /tmp.
mount -t tmpfs -o mode=1777 tmpfs /tmp
# tracefs and debugfs are deliberately left unmounted: finding or mounting
# them is etrace's own job, and the lab must not hide a bug there.

hostname etrace-vm
ip link set lo up 2>/dev/null || true

# /etc/etrace-vm is written by lab.sh: kernel release, module lists.
# shellcheck source=/dev/null
. /etc/etrace-vm

# Load the modules lab.sh chose so tests can probe functions that live in a
# module (not in vmlinux). They have no dependencies, so insmod is enough.
# lab.sh wrote a modules.dep for them, so busybox modprobe finds them by name.
for m in $(echo "$modules_load" | tr , ' '); do
    modprobe "$m" || echo "ETRACE-LAB-WARN modprobe $m failed"
done

yesno() { if [ -e "$1" ]; then echo yes; else echo no; fi; }

# One line the host checks before trusting the results: without the kprobe
# PMU the runner would silently skip every kernel-function case.
uptime_s=$(cut -d' ' -f1 /proc/uptime)
echo "ETRACE-LAB-FEATURES release=$(uname -r) uptime=$uptime_s" \
    "kprobe_pmu=$(yesno /sys/bus/event_source/devices/kprobe)" \
    "uprobe_pmu=$(yesno /sys/bus/event_source/devices/uprobe)" \
    "btf=$(yesno /sys/kernel/btf/vmlinux)" \
    "modules=$(cut -d' ' -f1 /proc/modules | tr '\n' ',' | sed 's/,$//')"

mode=$(sed -n 's/.*etrace_lab=\([a-z]*\).*/\1/p' /proc/cmdline)

case "$mode" in
check | boot)
    # Only emergencies on the console while the runner writes to it, so kernel
    # chatter cannot split its lines; an oops still shows up in full (it makes
    # the console verbose) and panics (oops=panic) end the VM at once. The
    # messages of the run are printed afterwards, between their own markers.
    dmesg -c >/dev/null
    dmesg -n 1
    echo "ETRACE-LAB-BEGIN $(uname -r)"
    rc=0
    if [ "$mode" = check ]; then
        lab-check </dev/null 2>&1 || rc=$?
    fi
    echo "ETRACE-LAB-END rc=$rc"
    echo "ETRACE-LAB-DMESG-BEGIN"
    dmesg -r | sed -n 's/^<[0-4]>//p'
    echo "ETRACE-LAB-DMESG-END"
    ;;
shell)
    echo
    echo "etrace VM lab: $(uname -r), modules: $modules_present (loaded: $modules_load)"
    echo "  lab-check [CASE...]   run the kernel-function cases (default /cases/*.case)"
    echo "  exit                  power off;  QEMU: Ctrl-A X quits, Ctrl-A C monitor"
    echo
    cd /root || true
    # cttyhack gives the shell the serial line as its controlling tty, so
    # Ctrl-C and job control work.
    setsid cttyhack sh -l || true
    ;;
*)
    echo "ETRACE-LAB-WARN unknown mode '$mode' (etrace_lab= on the command line)"
    ;;
esac

sync
poweroff -f
# If poweroff fails, init exits, the kernel panics, and panic=-1 plus
# qemu -no-reboot end the VM anyway.
