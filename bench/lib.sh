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
