#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The VM lab (DESIGN.md section 6): run the runtime cases that need kernel
# functions (kprobes, fentry) inside QEMU VMs booting real Debian kernels,
# because the host kernel refuses those probes.
#
#   tests/vm/lab.sh check BUILD_DIR [KERNEL...]   run the cases (default: 6.1 6.12 5.10)
#   tests/vm/lab.sh shell BUILD_DIR KERNEL        interactive shell in the same image
#   tests/vm/lab.sh fetch [KERNEL...]             only download and unpack kernels
#   tests/vm/lab.sh boot [KERNEL...]              boot a trivial image: boot time, features
#   tests/vm/lab.sh bench BUILD_DIR [KERNEL]      etrace start-up on kernel functions (default 6.1;
#                                                 ETRACE_VM_TIMEOUT defaults to 150 s here)
#
# The architecture is that of BUILD_DIR/etrace: an aarch64 build (make
# ARCH=arm64, build-arm64) boots Debian's arm64 kernels (6.1 and 6.12 by
# default) in qemu-system-aarch64 -machine virt with an arm64 busybox.
# fetch and boot take it from ETRACE_VM_ARCH (x86_64, the default, or arm64).
#
# Kernels come from the Debian archive this machine's apt already uses: the
# URIs are copied at run time from /etc/apt, never written in this repository.
# Everything downloaded or built lives in tests/vm/cache/ (git-ignored).
#
# Environment: ETRACE_VM_TIMEOUT  seconds one VM may run (default 600)
#              ETRACE_VM_CASES    directory of *.case files (default tests/runtime)
#              ETRACE_VM_ARCH     x86_64 or arm64, for fetch and boot (default x86_64)
#              ETRACE_VM_ACCEL    QEMU -accel value (default tcg,thread=single: with one
#                                 emulation thread the guest never runs stale code while
#                                 ftrace patches a function, which multi-threaded TCG did)

set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LAB_DIR/../.." && pwd)
CACHE=$LAB_DIR/cache
DEFAULT_KERNELS=(6.1 6.12 5.10)
DEFAULT_KERNELS_ARM64=(6.1 6.12)
# x86_64 or arm64: the guest's architecture (set_arch).
LAB_ARCH=x86_64
VM_TIMEOUT=${ETRACE_VM_TIMEOUT:-600}
CASES_DIR=${ETRACE_VM_CASES:-$REPO_DIR/tests/runtime}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# Modules copied into every image, as paths under lib/modules/<release>/kernel.
# All are small, have no dependencies (plain insmod/modprobe works) and need
# no hardware. dummy is loaded at boot: it creates dummy0 and its functions
# (dummy_setup, dummy_xmit, ...) are module text, unlike anything in vmlinux.
# loop and crc-itu-t stay unloaded for cases that load a module themselves.
MODULES_INCLUDE=(drivers/net/dummy drivers/block/loop lib/crc-itu-t)
MODULES_LOAD=(dummy)

# modinfo and friends live in sbin, which a user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

say() { printf '%s\n' "$*"; }
first() { printf '%s\n' "$1"; }   # first match of a glob (the glob itself if none)
die() { printf 'lab: %s\n' "$*" >&2; exit 1; }
usage() {
    sed -n 's/^#   tests/tests/p' "${BASH_SOURCE[0]}" >&2
    exit 2
}

# ------------------------------------------------------------ architecture --

# set_arch ARCH: the guest's architecture. Sets LAB_ARCH, DEB_ARCH (Debian's
# name), KPREFIX (the cache name prefix: kernels of both architectures can
# be cached side by side) and KERNELS (the default kernels).
set_arch() {
    case $1 in
    x86_64 | amd64) LAB_ARCH=x86_64 DEB_ARCH=amd64 KPREFIX='' KERNELS=("${DEFAULT_KERNELS[@]}") ;;
    arm64 | aarch64) LAB_ARCH=arm64 DEB_ARCH=arm64 KPREFIX=arm64- KERNELS=("${DEFAULT_KERNELS_ARM64[@]}") ;;
    *) die "unknown architecture '$1' (x86_64 or arm64)" ;;
    esac
}

# elf_arch FILE: x86_64 or arm64, from the ELF header's e_machine.
elf_arch() {
    local m
    m=$(od -An -t u2 -j 18 -N 2 "$1" 2>/dev/null | tr -d ' ') || true
    case $m in
    62) echo x86_64 ;;
    183) echo arm64 ;;
    *) echo "unknown (e_machine ${m:-?})" ;;
    esac
}

# ---------------------------------------------------------------- kernels --

# kernel_spec KERNEL: where a kernel comes from. Sets K_CODENAME (the Debian
# release whose archive has it) and K_REGEX (the image package name; the
# newest match wins). The names are the real image packages, not the
# linux-image-cloud-amd64 meta package, whose target moves with each upload.
kernel_spec() {
    local flavour=cloud-$DEB_ARCH
    case $LAB_ARCH-${1#"$KPREFIX"} in
    *-6.1) K_CODENAME=bookworm K_REGEX="^linux-image-6\\.1\\.0-[0-9]+-$flavour" ;;
    *-6.12) K_CODENAME=bookworm K_REGEX="^linux-image-6\\.12\\.[0-9]+\\+deb12-$flavour" ;;
    x86_64-5.10) K_CODENAME=bullseye K_REGEX="^linux-image-5\\.10\\.0-[0-9]+-$flavour" ;;
    *) die "unknown $LAB_ARCH kernel '$1' (known: ${KERNELS[*]})" ;;
    esac
}

# host_apt_entries: "URI SUITE" for every enabled deb entry of this machine's
# apt configuration, in both the one-line (.list) and deb822 (.sources) forms.
host_apt_entries() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk '{ sub(/#.*/, "") }
            $1 != "deb" { next }
            {   i = 2   # skip "[ option=value ... ]", which may contain blanks
                if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                if (i < NF) print $i, $(i + 1) }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'function flush(   nu, ns, u, s, i) {
                if (types ~ /(^|[ \t])deb([ \t]|$)/ && tolower(enabled) != "no") {
                    nu = split(uris, u, /[ \t]+/); ns = split(suites, s, /[ \t]+/)
                    for (i = 1; i <= ns; i++) if (nu > 0 && s[i] != "") print u[1], s[i]
                }
                types = uris = suites = enabled = key = ""
            }
            /^#/ { next }
            /^[ \t]*$/ { flush(); next }
            /^[ \t]/ {   # folded continuation of the previous field
                if (key == "uris") uris = uris " " $0
                else if (key == "suites") suites = suites " " $0
                next }
            {   key = tolower($0); sub(/:.*/, "", key)
                val = $0; sub(/^[^:]*:[ \t]*/, "", val)
                if (key == "types") types = val
                else if (key == "uris") uris = val
                else if (key == "suites") suites = val
                else if (key == "enabled") enabled = val }
            END { flush() }' "$f"
    done
}

# host_debian_uris: the machine's own Debian mirrors. Sets MAIN_URI,
# UPDATES_URI and SECURITY_URI (the last two may be empty). Entries are
# recognised by their suite (the machine's codename, -updates, -security),
# so third-party repositories are ignored.
host_debian_uris() {
    local codename uri suite
    codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null | tr -d '"') || true
    [ -n "$codename" ] || die "cannot tell this machine's Debian codename from /etc/os-release"
    MAIN_URI='' UPDATES_URI='' SECURITY_URI=''
    while read -r uri suite; do
        uri=${uri%/}
        case $suite in
        "$codename") MAIN_URI=${MAIN_URI:-$uri} ;;
        "$codename-updates") UPDATES_URI=${UPDATES_URI:-$uri} ;;
        "$codename-security" | "$codename/updates") SECURITY_URI=${SECURITY_URI:-$uri} ;;
        esac
    done < <(host_apt_entries)
    [ -n "$MAIN_URI" ] ||
        die "no '$codename' entry in this machine's apt sources: no Debian mirror to download kernels from"
}

# apt_setup CODENAME: a private apt configuration for one Debian release
# and the guest's architecture under cache/apt-CODENAME (apt-CODENAME-arm64),
# so the lab never touches the machine's own lists and can reach a release
# the machine does not run (bullseye on bookworm) or packages of another
# architecture. Sets the APT_OPTS array for apt-get/apt-cache. Debian 12's
# archive keyring holds the bullseye and bookworm keys, hence signed-by on
# every entry.
declare -A APT_UPDATED=()
apt_setup() {
    local codename=$1 root=$CACHE/apt-$1${KPREFIX:+-$DEB_ARCH} opt="[signed-by=$KEYRING]"
    [ -r "$KEYRING" ] || die "$KEYRING is missing (install debian-archive-keyring)"
    [ -n "${MAIN_URI:-}" ] || host_debian_uris
    mkdir -p "$root/lists/partial" "$root/archives/partial" "$root/sources.list.d" \
        "$root/preferences.d"
    : >"$root/status"
    {
        say "# written by tests/vm/lab.sh from this machine's apt sources"
        say "deb $opt $MAIN_URI $codename main"
        if [ -n "$UPDATES_URI" ]; then say "deb $opt $UPDATES_URI $codename-updates main"; fi
        if [ -n "$SECURITY_URI" ]; then say "deb $opt $SECURITY_URI $codename-security main"; fi
    } >"$root/sources.list"
    # Short timeouts and no retries: offline must fail fast, not hang.
    APT_OPTS=(
        -o "Dir::Etc::SourceList=$root/sources.list"
        -o "Dir::Etc::SourceParts=$root/sources.list.d"
        -o "Dir::Etc::Preferences=$root/preferences"
        -o "Dir::Etc::PreferencesParts=$root/preferences.d"
        -o "Dir::State::Lists=$root/lists"
        -o "Dir::State::status=$root/status"
        -o "Dir::Cache=$root"
        -o "APT::Architecture=$DEB_ARCH" -o "APT::Architectures=$DEB_ARCH"
        -o Acquire::Retries=0 -o Acquire::http::Timeout=20 -o Acquire::https::Timeout=20
        -o APT::Get::List-Cleanup=true
    )
    if [ -z "${APT_UPDATED[$root]:-}" ]; then
        say "lab: apt-get update ($codename $DEB_ARCH, private lists in ${root#"$REPO_DIR"/})"
        if ! apt-get "${APT_OPTS[@]}" --error-on=any update >"$root/update.log" 2>&1; then
            die "cannot reach the Debian archive for $codename (offline?): apt-get update failed, see ${root#"$REPO_DIR"/}/update.log"
        fi
        APT_UPDATED[$root]=1
    fi
}

# kernel_name KERNEL: KERNEL as the cache, logs and messages name it: 6.1 for
# x86-64, arm64-6.1 for arm64 (6.1 or arm64-6.1 may be given).
kernel_name() { printf '%s%s\n' "$KPREFIX" "${1#"$KPREFIX"}"; }

# kernel_load KERNEL: read the cache stamp of an unpacked kernel (written
# last by kernel_fetch). Sets K_DIR K_PACKAGE K_VERSION K_RELEASE K_VMLINUZ;
# returns 1 if the kernel is not unpacked yet.
kernel_load() {
    K_DIR=$CACHE/$1
    [ -f "$K_DIR/.lab-kernel" ] || return 1
    stamp() { sed -n "s/^$1=//p" "$K_DIR/.lab-kernel"; }
    K_PACKAGE=$(stamp package) K_VERSION=$(stamp version) K_RELEASE=$(stamp release)
    K_VMLINUZ=$K_DIR/$(stamp vmlinuz)
}

# kernel_fetch KERNEL: download and unpack one kernel unless already cached.
kernel_fetch() {
    local kernel=$1 pkg version deb tmp vmlinuz release
    if kernel_load "$kernel"; then
        if [ -n "${FETCH_VERBOSE:-}" ]; then say "lab: kernel $kernel: $K_PACKAGE $K_VERSION (cached)"; fi
        return
    fi
    kernel_spec "$kernel"
    apt_setup "$K_CODENAME"
    # Newest matching name; for the same version prefer the plain (signed)
    # package over -unsigned: both hold the same vmlinuz and modules.
    pkg=$(apt-cache "${APT_OPTS[@]}" pkgnames linux-image- |
        grep -E "${K_REGEX}(-unsigned)?\$" |
        awk '{ k = $0; sub(/-unsigned$/, "", k); print k, ($0 ~ /-unsigned$/), $0 }' |
        sort -k1,1V -k2,2nr | tail -n 1 | cut -d' ' -f3) || true
    [ -n "$pkg" ] || die "kernel $kernel: no package matching ${K_REGEX#^} in $K_CODENAME"
    version=$(apt-cache "${APT_OPTS[@]}" show --no-all-versions "$pkg" |
        sed -n 's/^Version: //p' | head -n 1)
    mkdir -p "$CACHE/debs"
    deb=$CACHE/debs/${pkg}_${version//:/%3a}_$DEB_ARCH.deb
    if [ ! -f "$deb" ]; then
        say "lab: kernel $kernel: downloading $pkg $version"
        # apt-get download writes into the current directory; the log keeps
        # apt's chatter (e.g. the unsandboxed-download note as root) quiet.
        if ! (cd "$CACHE/debs" && apt-get "${APT_OPTS[@]}" download "$pkg=$version") \
            >"$CACHE/debs/download.log" 2>&1 || [ ! -f "$deb" ]; then
            die "kernel $kernel: download of $pkg failed (offline?), see ${CACHE#"$REPO_DIR"/}/debs/download.log"
        fi
    fi
    # Unpack next to the final place and rename, so an interrupted run never
    # leaves a half-unpacked kernel that looks cached.
    tmp=$CACHE/.$kernel.tmp
    rm -rf "$tmp" "${CACHE:?}/$kernel"
    dpkg-deb -x "$deb" "$tmp"
    vmlinuz=$(first "$tmp"/boot/vmlinuz-*)
    [ -f "$vmlinuz" ] || die "kernel $kernel: no boot/vmlinuz-* in $deb"
    vmlinuz=${vmlinuz#"$tmp"/}
    release=${vmlinuz#boot/vmlinuz-}
    [ -d "$tmp/lib/modules/$release/kernel" ] ||
        die "kernel $kernel: no lib/modules/$release in $deb"
    printf 'package=%s\nversion=%s\nrelease=%s\nvmlinuz=%s\n' \
        "$pkg" "$version" "$release" "$vmlinuz" >"$tmp/.lab-kernel"
    mv "$tmp" "$CACHE/$kernel"
    kernel_load "$kernel"
    say "lab: kernel $kernel: $K_PACKAGE $K_VERSION unpacked (release $K_RELEASE)"
}

# --------------------------------------------------------------- initramfs --

# require_static FILE: the guest has no libc, so every ELF must be static,
# and built for the guest's architecture.
require_static() {
    local arch
    [ -f "$1" ] || die "$1 is missing (run make first)"
    [ "$(head -c 4 "$1" | tr -d '\0')" = $'\x7fELF' ] || return 0
    if command -v readelf >/dev/null &&
        [[ $(readelf -l "$1" 2>/dev/null) == *"program interpreter"* ]]; then
        die "$1 is dynamically linked; the VM has no libc (build it with -static)"
    fi
    arch=$(elf_arch "$1")
    [ "$arch" = "$LAB_ARCH" ] || die "$1 is built for $arch, the guest is $LAB_ARCH"
}

# guest_busybox: a static busybox for the guest (BUSYBOX) and its applets
# (APPLETS). x86-64 uses this machine's busybox-static; arm64's comes from
# Debian's busybox-static:arm64, downloaded and unpacked into the cache (it
# cannot be installed beside the amd64 one), and lists its applets under
# qemu-aarch64 (the amd64 busybox of the same Debian release as a fallback).
guest_busybox() {
    local dir=$CACHE/${KPREFIX}busybox pkg=busybox-static deb tmp
    if [ "$LAB_ARCH" = x86_64 ]; then
        BUSYBOX=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"
        APPLETS=$("$BUSYBOX" --list)
        return
    fi
    BUSYBOX=$dir/bin/busybox
    if [ ! -x "$BUSYBOX" ]; then
        apt_setup bookworm
        mkdir -p "$CACHE/debs"
        rm -f "$CACHE/debs/${pkg}"_*"_$DEB_ARCH.deb"
        say "lab: downloading $pkg ($DEB_ARCH)"
        (cd "$CACHE/debs" && apt-get "${APT_OPTS[@]}" download "$pkg") \
            >"$CACHE/debs/download.log" 2>&1 ||
            die "download of $pkg:$DEB_ARCH failed (offline?), see ${CACHE#"$REPO_DIR"/}/debs/download.log"
        deb=$(first "$CACHE/debs/${pkg}"_*"_$DEB_ARCH.deb")
        [ -f "$deb" ] || die "download of $pkg:$DEB_ARCH left no package"
        tmp=$dir.tmp
        rm -rf "$tmp" "$dir"
        dpkg-deb -x "$deb" "$tmp"
        [ -f "$tmp/bin/busybox" ] || die "no bin/busybox in $deb"
        mv "$tmp" "$dir"
    fi
    if command -v qemu-aarch64-static >/dev/null; then
        APPLETS=$(qemu-aarch64-static "$BUSYBOX" --list) || APPLETS=''
    fi
    if [ -z "${APPLETS:-}" ]; then
        APPLETS=$(busybox --list) || die "cannot list busybox applets (install qemu-user-static)"
    fi
}

# add_modules STAGE: copy MODULES_INCLUDE of the current kernel, decompressed
# (busybox insmod cannot read .ko.xz/.ko.zst), plus a modules.dep so that
# busybox modprobe/rmmod work by name. Sets MODS_PRESENT and MODS_LOAD.
add_modules() {
    local stage=$1 m src dst name depends
    local srcdir=$K_DIR/lib/modules/$K_RELEASE dstdir=$1/lib/modules/$K_RELEASE
    MODS_PRESENT='' MODS_LOAD=''
    mkdir -p "$dstdir"
    : >"$dstdir/modules.dep"
    for m in "${MODULES_INCLUDE[@]}"; do
        src=$(first "$srcdir/kernel/$m".ko*)
        if [ ! -f "$src" ]; then
            say "lab: note: $K_RELEASE has no kernel/$m.ko (built in?), not included"
            continue
        fi
        dst=$dstdir/kernel/$m.ko
        mkdir -p "$(dirname "$dst")"
        case $src in
        *.ko) cp "$src" "$dst" ;;
        *.ko.xz) xz -dc "$src" >"$dst" ;;
        *.ko.zst) zstd -qdc "$src" >"$dst" ;;
        *.ko.gz) gzip -dc "$src" >"$dst" ;;
        *) die "unknown module compression: $src" ;;
        esac
        # .modinfo is a run of NUL-terminated key=value strings.
        name=$(tr '\0' '\n' <"$dst" | sed -n 's/^name=//p' | head -n 1)
        name=${name:-$(basename "$m" | tr - _)}
        depends=$(tr '\0' '\n' <"$dst" | sed -n 's/^depends=//p' | head -n 1)
        if [ -n "$depends" ]; then
            say "lab: note: $name needs $depends, not included"
            rm -f "$dst"
            continue
        fi
        say "kernel/$m.ko:" >>"$dstdir/modules.dep"
        MODS_PRESENT+=${MODS_PRESENT:+,}$name
        if [[ " ${MODULES_LOAD[*]} " == *" $name "* ]]; then MODS_LOAD+=${MODS_LOAD:+,}$name; fi
    done
}

# build_initrd KERNEL TAG [BUILD_DIR]: the guest root as cpio newc + gzip.
# With BUILD_DIR it holds etrace, the runner, fixtures and cases (check and
# shell use the same contents); without, only busybox (boot). Sets INITRD.
build_initrd() {
    local kernel=$1 tag=$2 build=${3:-} stage f applet
    stage=$CACHE/initrd-$tag
    INITRD=$CACHE/$tag.initrd.gz
    rm -rf "$stage"
    mkdir -p "$stage"/{bin,dev,etc,proc,sys,tmp,root,progs,cases}

    # busybox-static: the applet links are made here, not at boot, so that
    # /init and the shell have them from the first instruction.
    guest_busybox
    require_static "$BUSYBOX"
    cp "$BUSYBOX" "$stage/bin/busybox"
    for applet in $APPLETS; do
        case $applet in init | linuxrc | busybox) continue ;; esac
        ln -s busybox "$stage/bin/$applet"
    done

    install -m 0755 "$LAB_DIR/init.sh" "$stage/init"
    # bench mode puts its own script in lab-check's place (init runs it in
    # check mode, between the same markers).
    install -m 0755 "${LAB_CHECK_SCRIPT:-$LAB_DIR/lab-check.sh}" "$stage/bin/lab-check"
    if [ -n "$build" ]; then
        for f in etrace etrace-runner; do
            require_static "$build/$f"
            install -m 0755 "$build/$f" "$stage/bin/$f"
        done
        for f in "$build"/progs/*; do
            [ -f "$f" ] || continue
            require_static "$f"
            install -m 0755 "$f" "$stage/progs/"
        done
        # User-space fixtures: only the static builds run in the busybox guest.
        mkdir -p "$stage/progs/user"
        for f in "$build"/progs/user/*-static; do
            [ -f "$f" ] || continue
            require_static "$f"
            install -m 0755 "$f" "$stage/progs/user/"
        done
        for f in "$CASES_DIR"/*.case; do
            [ -f "$f" ] && install -m 0644 "$f" "$stage/cases/"
        done
    fi

    add_modules "$stage"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
        >"$stage/etc/passwd"
    printf 'root:x:0:\nnobody:x:65534:\nnogroup:x:65534:\n' >"$stage/etc/group"
    # The marker file: tests may check it to know they run in the lab; init
    # sources it, so plain key=value without blanks.
    {
        say "# etrace VM lab guest, written by tests/vm/lab.sh"
        say "kernel=$kernel"
        say "release=$K_RELEASE"
        say "package=$K_PACKAGE"
        say "module_dir=/lib/modules/$K_RELEASE"
        say "modules_present=$MODS_PRESENT"
        say "modules_load=$MODS_LOAD"
    } >"$stage/etc/etrace-vm"
    # The kernel's built-in initramfs already has /dev/console; add it anyway
    # when we may (root) so the image does not depend on that.
    mknod "$stage/dev/console" c 5 1 2>/dev/null || true

    (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
        cpio -o -H newc -R 0:0 --quiet) | gzip -6 >"$INITRD.tmp"
    mv "$INITRD.tmp" "$INITRD"
}

# ---------------------------------------------------------------------- VM --

# qemu_cmd MODE: the QEMU command line (QEMU array) for the current kernel
# and INITRD. TCG because KVM hangs on the lab machines. -nodefaults drops
# the NIC (and its option ROM), VGA and floppy probing, which cost boot time.
# oops=panic + panic=-1 + -no-reboot: a kernel oops ends the VM at once
# instead of waiting for the timeout.
#
# arm64: the virt machine (PL011 console ttyAMA0, PSCI power-off) with the
# CPU emulating everything QEMU can (-cpu max), pointer authentication with
# QEMU's own cheap algorithm instead of QARMA (pauth-impdef: the guest
# cannot tell, and TCG runs several times faster).
qemu_cmd() {
    local accel=${ETRACE_VM_ACCEL:-tcg,thread=single}
    local append="quiet panic=-1 oops=panic etrace_lab=$1"
    if [ "$LAB_ARCH" = arm64 ]; then
        # shellcheck disable=SC2054 # -cpu's value has commas
        QEMU=(qemu-system-aarch64 -machine virt -accel "$accel" -cpu max,pauth-impdef=on
            -m 1024 -smp 2 -no-reboot -nodefaults -display none
            -kernel "$K_VMLINUZ" -initrd "$INITRD" -append "console=ttyAMA0 $append")
        return
    fi
    QEMU=(qemu-system-x86_64 -accel "$accel" -cpu max -m 1024 -smp 2
        -no-reboot -nodefaults -display none
        -kernel "$K_VMLINUZ" -initrd "$INITRD"
        -append "console=ttyS0 $append")
}

now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

# run_vm MODE LOG: boot the current kernel non-interactively, serial console
# to LOG. Sets VM_RC (124 on timeout) and VM_MS (wall-clock time).
run_vm() {
    local mode=$1 log=$2 t0
    qemu_cmd "$mode"
    t0=$(now_ms)
    VM_RC=0
    timeout -k 10 "$VM_TIMEOUT" "${QEMU[@]}" -monitor none -serial "file:$log" \
        </dev/null 2>"$log.stderr" || VM_RC=$?
    VM_MS=$(($(now_ms) - t0))
}

# log_field LOG NAME: value of NAME= on the guest's ETRACE-LAB-FEATURES line.
log_field() {
    { tr -d '\r' <"$1" | grep -a -o 'ETRACE-LAB-FEATURES.*' | tail -n 1 |
        tr ' ' '\n' | sed -n "s/^$2=//p"; } || true
}

# section LOG BEGIN END: the lines between two markers (to the end of the
# log if END never came).
section() {
    tr -d '\r' <"$1" | awk -v b="$2" -v e="$3" 'index($0, e) { on = 0 } on; index($0, b) { on = 1 }'
}

# log_tail LOG LINES: the end of the serial log and QEMU's own complaints.
log_tail() {
    say "    serial log: ${1#"$REPO_DIR"/}"
    if [ "$2" -gt 0 ]; then tr -d '\r' <"$1" | tail -n "$2" | sed 's/^/    | /'; fi
    if [ -s "$1.stderr" ]; then sed 's/^/    | qemu: /' "$1.stderr" | tail -n 5; fi
}

# analyse_vm KERNEL MODE LOG: judge one finished VM. Prints the runner's
# output (check) and the per-kernel line; sets R_PASS R_FAIL R_SKIP and
# R_BAD (a reason when the kernel as a whole failed, else empty).
analyse_vm() {
    local kernel=$1 mode=$2 log=$3 out result rc splats boot
    R_PASS=0 R_FAIL=0 R_SKIP=0 R_BAD=''
    boot=$(log_field "$log" uptime)
    out=$(section "$log" ETRACE-LAB-BEGIN ETRACE-LAB-END)
    rc=$(tr -d '\r' <"$log" | grep -a -o 'ETRACE-LAB-END rc=[0-9]*' | tail -n 1 | sed 's/.*rc=//') ||
        true
    if [ "$mode" = check ] && [ -n "$out" ]; then say "$out" | sed 's/^/    /'; fi
    BENCH_OUT=$out
    result=$(say "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' | tail -n 1) || true
    if [ -n "$result" ]; then
        read -r R_PASS _ R_FAIL _ R_SKIP _ <<<"${result//,/}"
    fi
    splats=$(section "$log" ETRACE-LAB-DMESG-BEGIN ETRACE-LAB-DMESG-END |
        grep -E 'WARNING:|BUG:|Oops|general protection fault|Kernel panic' || true)

    if [ "$VM_RC" -eq 124 ] || [ "$VM_RC" -eq 137 ]; then
        R_BAD="timed out after $VM_TIMEOUT s (ETRACE_VM_TIMEOUT)"
    elif grep -a -q 'Kernel panic' "$log"; then
        R_BAD="kernel panic"
    elif ! grep -a -q 'ETRACE-LAB-BEGIN' "$log"; then
        R_BAD="the guest never got to the runner (qemu exit $VM_RC)"
    elif [ "$(log_field "$log" kprobe_pmu)" != yes ]; then
        R_BAD="no kprobe PMU in the guest: every kernel-function case would be skipped"
    elif [ -z "$rc" ]; then
        R_BAD="the VM stopped without ETRACE-LAB-END (qemu exit $VM_RC)"
    elif [ "$mode" = check ] && [ -z "$result" ]; then
        R_BAD="no 'N passed, N failed, N skipped' line from the runner (rc=$rc)"
    elif [ "$rc" != 0 ] && [ "$R_FAIL" -eq 0 ]; then
        R_BAD="the runner exited rc=$rc"
    elif [ -n "$splats" ]; then
        R_BAD="the kernel logged a warning or BUG during the run"
    fi

    if [ -n "$R_BAD" ]; then
        say "vm $kernel: FAILED: $R_BAD"
        if [ -n "$splats" ]; then say "$splats" | head -n 20 | sed 's/^/    dmesg| /'; fi
        # The runner's output (with any oops in it) was just shown: then the
        # end of the log would only repeat it.
        if [ "$mode" = check ] && [ -n "$out" ]; then log_tail "$log" 0; else log_tail "$log" 25; fi
        # The kernel counts as one failure even if no case reported one.
        if [ "$R_FAIL" -eq 0 ]; then R_FAIL=1; fi
    fi
    say "vm $kernel: booted in ${boot:-?} s, VM ran $(secs "$VM_MS") s ($K_PACKAGE $K_VERSION)"
}

# ---------------------------------------------------------------- commands --

lock_cache() {
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock"
    if ! flock -n 9; then
        say "lab: another lab run holds ${CACHE#"$REPO_DIR"/}/.lock; waiting"
        flock 9
    fi
}

# check_build_dir DIR: BUILD_DIR, and the guest's architecture from its etrace.
check_build_dir() {
    [ -n "${1:-}" ] || usage
    [ -d "$1" ] || die "build directory '$1' does not exist (run make first)"
    BUILD_DIR=$(cd "$1" && pwd)
    [ -f "$BUILD_DIR/etrace" ] || die "$BUILD_DIR/etrace is missing (run make first)"
    set_arch "$(elf_arch "$BUILD_DIR/etrace")"
}

# kernel_list [KERNEL...]: KLIST, the kernels named (default: the
# architecture's), as kernel_name names them.
kernel_list() {
    local k
    KLIST=()
    for k in "${@:-${KERNELS[@]}}"; do KLIST+=("$(kernel_name "$k")"); done
}

cmd_fetch() {
    local k
    set_arch "${ETRACE_VM_ARCH:-x86_64}"
    kernel_list "$@"
    lock_cache
    for k in "${KLIST[@]}"; do kernel_spec "$k"; done
    for k in "${KLIST[@]}"; do FETCH_VERBOSE=1 kernel_fetch "$k"; done
}

# check and boot share everything but the image contents and the report.
cmd_run() {
    local mode=$1 k log
    local -a kernels
    shift
    if [ "$mode" = check ]; then
        check_build_dir "${1:-}"
        shift
    else
        set_arch "${ETRACE_VM_ARCH:-x86_64}"
    fi
    kernel_list "$@"
    kernels=("${KLIST[@]}")
    lock_cache
    for k in "${kernels[@]}"; do kernel_spec "$k"; done
    for k in "${kernels[@]}"; do kernel_fetch "$k"; done

    local pass=0 fail=0 skip=0 bad=0
    # One VM at a time: TCG with -smp 2 already uses both cores.
    for k in "${kernels[@]}"; do
        kernel_load "$k"
        if [ "$mode" = check ]; then
            build_initrd "$k" "$k" "$BUILD_DIR"
            say "vm $k: $K_RELEASE, modules $MODS_PRESENT (loaded: $MODS_LOAD)"
        else
            build_initrd "$k" "$k-boot"
        fi
        log=$CACHE/$k.log
        [ "$mode" = check ] || log=$CACHE/$k-boot.log
        run_vm "$mode" "$log"
        analyse_vm "$k" "$mode" "$log"
        if [ "$mode" = check ]; then
            say "vm $k: $R_PASS passed, $R_FAIL failed, $R_SKIP skipped"
        else
            say "vm $k: features: kprobe_pmu=$(log_field "$log" kprobe_pmu)" \
                "uprobe_pmu=$(log_field "$log" uprobe_pmu) btf=$(log_field "$log" btf)" \
                "modules=$(log_field "$log" modules)"
        fi
        pass=$((pass + R_PASS)) fail=$((fail + R_FAIL)) skip=$((skip + R_SKIP))
        if [ -n "$R_BAD" ]; then bad=$((bad + 1)); fi
    done
    if [ "$mode" = check ]; then say "$pass passed, $fail failed, $skip skipped"; fi
    [ "$bad" -eq 0 ] && [ "$fail" -eq 0 ]
}

# bench BUILD_DIR [KERNEL]: boot one kernel with bench/vm-kfunc.sh as the
# guest's lab-check and report etrace's time from start to first event line
# and its peak RSS on kernel-function probes (medians of the guest's runs).
cmd_bench() {
    local k log script=$REPO_DIR/bench/vm-kfunc.sh
    check_build_dir "${1:-}"
    [ $# -le 2 ] || usage
    k=$(kernel_name "${2:-6.1}")
    kernel_spec "$k"
    [ -f "$script" ] || die "$script is missing"
    [ -x "$BUILD_DIR/progs/first_line" ] || die "$BUILD_DIR/progs/first_line is missing (make all)"
    # A normal run takes well under a minute; a hung guest must not hold up
    # `make bench` for the check timeout.
    VM_TIMEOUT=${ETRACE_VM_TIMEOUT:-150}
    # Multi-threaded TCG (one host thread per vCPU) hung or oopsed the 6.1
    # guest in 5 of 6 bench boots: both vCPUs spinning at vfs_read+0 right
    # after the fentry call there had been patched in (text_poke_bp), the
    # memory already holding the new call: most likely stale translated code.
    # With one TCG thread for both vCPUs it did not happen in 6 boots, and the
    # whole run is faster on a 2-CPU host.
    ETRACE_VM_ACCEL=${ETRACE_VM_ACCEL:-tcg,thread=single}
    lock_cache
    kernel_fetch "$k"
    kernel_load "$k"
    LAB_CHECK_SCRIPT=$script build_initrd "$k" "$k-bench" "$BUILD_DIR"
    log=$CACHE/$k-bench.log
    say "vm $k: $K_RELEASE, etrace start-up on kernel functions (-accel $ETRACE_VM_ACCEL, no KVM: slower than hardware)"
    # init.sh knows check, shell and boot: bench is check with another script.
    # A guest kernel crash or hang (seen on 6.1 under TCG while fentry
    # probes on vfs_read come and go: an oops, and a soft lockup of both
    # vCPUs) gets one more boot; its log is kept.
    local attempt
    for attempt in 1 2; do
        run_vm check "$log"
        analyse_vm "$k" bench "$log"
        case $R_BAD in
        "kernel panic" | *"warning or BUG"* | "timed out"*)
            if [ "$attempt" = 1 ]; then
                cp "$log" "$CACHE/$k-bench.crash.log"
                say "vm $k: the guest kernel crashed or hung during the bench (log kept in" \
                    "${CACHE#"$REPO_DIR"/}/$k-bench.crash.log); booting once more"
                continue
            fi
            ;;
        esac
        break
    done
    [ -z "$R_BAD" ] || return 1
    # ETRACE-BENCH probe=P mech=M run=N first_ms=X hwm_kb=Y lines=L status=S
    say "$BENCH_OUT" | awk '
        function med(list,   v, n, i, j, t) {
            n = split(list, v, " ")
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
                if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
            if (n == 0) return ""
            return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
        }
        /^ETRACE-BENCH-INFO/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); info[kv[1]] = kv[2] } }
        /^ETRACE-BENCH / {
            delete f
            for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
            key = f["probe"] " (" f["mech"] ")"
            if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
            runs[key]++
            if (f["first_ms"] != "none" && f["status"] == 0) {
                ms[key] = ms[key] " " f["first_ms"]; kb[key] = kb[key] " " f["hwm_kb"]; ok[key]++
            } else bad[key] = "first_ms=" f["first_ms"] " status=" f["status"]
        }
        END {
            printf "  %-34s | %24s | %13s | %s\n", "probe (mechanism)", "time to first event (ms)", "peak RSS (MB)", "runs ok"
            printf "  %s\n", "-----------------------------------+--------------------------+---------------+--------"
            for (i = 1; i <= nk; i++) {
                key = order[i]
                if (ok[key]) {
                    printf "  %-34s | %24.1f | %13.1f | %d/%d%s\n", key, med(ms[key]), med(kb[key]) / 1024,
                        ok[key], runs[key], bad[key] ? "  (last failure: " bad[key] ")" : ""
                    printf "vm-bench probe=%s first_ms=%.1f rss_mb=%.1f samples_ms=%s\n", key, med(ms[key]),
                        med(kb[key]) / 1024, substr(ms[key], 2) >"/dev/stderr"
                } else
                    printf "  %-34s | n/a: %s\n", key, bad[key]
            }
            if (!nk) print "  no ETRACE-BENCH lines from the guest"
        }' 2>"$CACHE/$k-bench.results"
    say "  (median of $(say "$BENCH_OUT" | sed -n 's/.* runs=\([0-9]*\).*/\1/p' | head -n 1) runs after an untimed warm-up; first_line: fork to first event line; peak RSS: VmHWM (or smaps_rollup Rss if larger) after $(say "$BENCH_OUT" | sed -n 's/.* hold_ms=\([0-9]*\).*/\1/p' | head -n 1) ms of events)"
    say "  bpftrace: not in the VM image (dynamically linked against LLVM; the guest has busybox only)"
    say "  raw: ${log#"$REPO_DIR"/}, medians: ${CACHE#"$REPO_DIR"/}/$k-bench.results"
    grep -q '^vm-bench ' "$CACHE/$k-bench.results"
}

cmd_shell() {
    local k
    check_build_dir "${1:-}"
    [ $# -eq 2 ] || usage
    k=$(kernel_name "$2")
    kernel_spec "$k"
    # Hold the lock only while building: the shell may stay open for hours,
    # and its image file (tag k-shell) is its own, so check runs can proceed.
    lock_cache
    kernel_fetch "$k"
    kernel_load "$k"
    build_initrd "$k" "$k-shell" "$BUILD_DIR"
    flock -u 9
    say "lab: booting $K_PACKAGE $K_VERSION (TCG, a few seconds); Ctrl-A X quits QEMU"
    qemu_cmd shell
    exec "${QEMU[@]}" -serial mon:stdio
}

main() {
    [ $# -ge 1 ] || usage
    local cmd=$1
    shift
    set_arch x86_64
    case $cmd in
    check) cmd_run check "$@" ;;
    boot) cmd_run boot "$@" ;;
    bench) cmd_bench "$@" ;;
    shell) cmd_shell "$@" ;;
    fetch) cmd_fetch "$@" ;;
    *) usage ;;
    esac
}

main "$@"
