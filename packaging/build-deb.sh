#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# packaging/build-deb.sh BUILD_DIR VERSION: the body of `make deb`.
#
# Builds BUILD_DIR/etrace_VERSION_ARCH.deb from the static BUILD_DIR/etrace,
# staged in BUILD_DIR/deb: the binary in /usr/sbin (as `make install`), the
# man page, the bash completion, the copyright file, the changelog (a native
# package: changelog.gz) and lintian overrides. The control file is
# packaging/control with the version, the architecture, the maintainer (from
# the changelog's latest entry), the installed size and the source packages
# of the libraries linked in statically (Built-Using) filled in. File dates
# are the changelog entry's, so the same sources give the same package.

set -eu
umask 022

if [ $# -ne 2 ]; then
	echo "usage: packaging/build-deb.sh BUILD_DIR VERSION" >&2
	exit 2
fi
build=$1
version=$2
src=$(dirname "$0")
top=$src/..
stage=$build/deb
root=$stage/root
arch=$(dpkg --print-architecture)
deb=$build/etrace_${version}_$arch.deb

fail() {
	echo "build-deb.sh: $*" >&2
	exit 1
}

# The changelog's latest entry is this version's: a release updates both.
head=$(sed -n '1p' "$src/changelog")
case $head in
"etrace ($version) "*) ;;
*) fail "packaging/changelog starts with '$head', not version $version" ;;
esac
trailer=$(sed -n 's/^ -- \(.*>\)  \(.*\)$/\1|\2/p' "$src/changelog" | head -n 1)
maintainer=${trailer%%|*}
date=${trailer#*|}
[ -n "$trailer" ] || fail "packaging/changelog: no ' -- NAME <ADDRESS>  DATE' line"
SOURCE_DATE_EPOCH=$(date -d "$date" +%s) || fail "packaging/changelog: bad date '$date'"
export SOURCE_DATE_EPOCH

# libbpf, libelf, zlib, liblzma and libc are in the binary: their sources' versions.
built_using=$(dpkg-query -W -f='${source:Package} (= ${source:Version}), ' \
	libbpf-dev libelf-dev zlib1g-dev liblzma-dev libc6-dev) ||
	fail "cannot ask dpkg for the versions of the static libraries"
built_using=${built_using%, }

# The package has no dependencies: the binary must need no loader.
readelf -l "$build/etrace" >/dev/null || fail "$build/etrace: not an ELF file"
if readelf -l "$build/etrace" | grep -q 'program interpreter'; then
	fail "$build/etrace is linked dynamically: the package needs the static build"
fi

rm -rf "$stage"
mkdir -p "$root/DEBIAN"
install -D -m 0755 "$build/etrace" "$root/usr/sbin/etrace"
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	"$root/usr/sbin/etrace"
install -D -m 0644 "$top/docs/etrace.8" "$root/usr/share/man/man8/etrace.8"
gzip -9n "$root/usr/share/man/man8/etrace.8"
install -D -m 0644 "$src/etrace.bash" "$root/usr/share/bash-completion/completions/etrace"
install -D -m 0644 "$src/copyright" "$root/usr/share/doc/etrace/copyright"
install -D -m 0644 "$src/changelog" "$root/usr/share/doc/etrace/changelog"
gzip -9n "$root/usr/share/doc/etrace/changelog"
install -D -m 0644 "$src/lintian-overrides" "$root/usr/share/lintian/overrides/etrace"

(cd "$root" && find usr -type f | LC_ALL=C sort | xargs md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"
size=$(du -s -k --apparent-size "$root/usr" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
	-e "s|@INSTALLED_SIZE@|$size|" -e "s|@BUILT_USING@|$built_using|" \
	"$src/control" >"$root/DEBIAN/control"
chmod 0644 "$root/DEBIAN/control"

find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb.tmp" >/dev/null
mv "$deb.tmp" "$deb"
echo "$deb"
