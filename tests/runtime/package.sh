#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/runtime/package.sh ETRACE lintian|install: checks of the Debian
# package (package.case). The package is $ETRACE_DEB, else the one `make deb`
# wrote next to ETRACE for its version.
#
#   lintian  lintian finds no error and no warning in it
#   install  dpkg -i; the installed etrace runs and is ETRACE's version, man
#            finds its page, its completion loads; dpkg -r; then none of
#            its files is left
#
# install never touches an etrace package it did not install: while it
# works, MARK exists; an etrace package installed without MARK is someone
# else's (the runner skips the case then: feature etrace-package-installed).
# Runs of the case at the same time take turns on LOCK.

set -u

MARK=/run/etrace-test-package
LOCK=/run/etrace-test-package.lock

if [ $# -ne 2 ]; then
	echo "usage: tests/runtime/package.sh ETRACE lintian|install" >&2
	exit 2
fi
etrace=$1
mode=$2
version=$("$etrace" --version | sed -n 's/^etrace //p')
deb=${ETRACE_DEB:-$(dirname "$etrace")/etrace_${version}_$(dpkg --print-architecture).deb}
if [ ! -f "$deb" ]; then
	echo "$deb: no such file (make deb builds it)" >&2
	exit 1
fi

status() {
	dpkg-query -W -f='${db:Status-Status}' etrace 2>/dev/null
}

# dpkg ARGS, waiting while another dpkg or apt holds dpkg's lock.
dpkg_locked() {
	tries=0
	while ! out=$(dpkg "$@" 2>&1); do
		tries=$((tries + 1))
		if ! printf '%s\n' "$out" | grep -q 'lock' || [ $tries -ge 60 ]; then
			printf '%s\n' "$out" >&2
			return 1
		fi
		sleep 1
	done
}

check_lintian() {
	lintian --fail-on error,warning "$deb" || exit 1
	echo "lintian: passed"
}

# Installed, checked, removed; the caller holds LOCK.
check_install() {
	st=$(status)
	if [ -n "$st" ] && [ "$st" != not-installed ]; then
		if [ ! -e "$MARK" ]; then
			echo "an etrace package is installed ($st), not by this test:" \
			     "leaving it alone" >&2
			exit 1
		fi
		echo "removing the package a stopped run of this test left" >&2
		dpkg_locked -r etrace || exit 1
	fi
	: >"$MARK"
	trap 'dpkg_locked -r etrace; rm -f "$MARK"' EXIT
	trap 'exit 130' INT TERM HUP
	dpkg_locked -i "$deb" || exit 1
	[ "$(status)" = installed ] && echo "installed"

	if [ "$(/usr/sbin/etrace --version)" = "$("$etrace" --version)" ]; then
		echo "/usr/sbin/etrace --version: as $etrace"
	fi
	man -aw etrace | grep -x /usr/share/man/man8/etrace.8.gz
	bash -c '. /usr/share/bash-completion/completions/etrace && complete -p etrace'

	files=$(dpkg-query -L etrace) || exit 1
	dpkg_locked -r etrace || exit 1
	trap - EXIT
	rm -f "$MARK"
	st=$(status)
	if [ -n "$st" ] && [ "$st" != not-installed ]; then
		echo "still known to dpkg after dpkg -r: $st"
	fi
	left=0
	for f in $files; do
		# Directories stay when other packages own them too (/usr/share).
		if [ -e "$f" ] && { [ ! -d "$f" ] || [ "$f" = /usr/share/doc/etrace ]; }; then
			echo "left after dpkg -r: $f"
			left=1
		fi
	done
	[ $left -eq 0 ] && echo "removed, nothing left"
}

case $mode in
lintian)
	check_lintian
	;;
install)
	# Bound by the case's TIMEOUT: another run holding the lock is waited for.
	exec 9>"$LOCK" || exit 1
	flock 9 || exit 1
	check_install
	;;
*)
	echo "package.sh: unknown check '$mode'" >&2
	exit 2
	;;
esac
