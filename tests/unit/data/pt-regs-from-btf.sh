#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/unit/data/pt-regs-from-btf.sh FILE LABEL > tests/unit/data/pt_regs-ARCH-VERSION.txt
#
# The layout of struct pt_regs as a kernel's own BTF gives it, for the unit
# test that compares src/arch's tables with it (test_arch.c). FILE is raw
# BTF (/sys/kernel/btf/vmlinux) or an uncompressed kernel image holding a
# .BTF section (arm64's vmlinuz, e.g. tests/vm/cache/arm64-6.1/boot/vmlinuz-*),
# in which the BTF is found by its header. LABEL (the kernel package and
# version) goes into the first line. Needs bpftool.
#
# Output: "size N", then "MEMBER OFFSET SIZE [ELEMENTS]" per member, in
# bytes, members of anonymous structs and unions in their place.

set -eu

[ $# -eq 2 ] || { sed -n 's/^# \(tests.*\)/usage: \1/p' "$0" >&2; exit 2; }
file=$1 label=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The BTF header: magic 0xeb9f, version 1, flags 0, hdr_len 24; then
# type_off, type_len, str_off, str_len (little-endian u32).
magic='\x9f\xeb\x01\x00\x18\x00\x00\x00'
found=''
for off in $(LC_ALL=C grep -obUaP "$magic" "$file" | cut -d: -f1); do
	# shellcheck disable=SC2046 # four numbers
	set -- $(od -An -t u4 -j $((off + 8)) -N 16 "$file")
	len=$((24 + $3 + $4))
	dd if="$file" of="$tmp/btf" bs=1M skip="$off" count="$len" status=none \
		iflag=skip_bytes,count_bytes,fullblock
	if bpftool btf dump file "$tmp/btf" format raw >"$tmp/raw" 2>/dev/null &&
		grep -q "^\[[0-9]*\] STRUCT 'pt_regs' " "$tmp/raw"; then
		found=1
		break
	fi
done
[ -n "$found" ] || { echo "no BTF with struct pt_regs in $file (compressed?)" >&2; exit 1; }

echo "# struct pt_regs of $label, from its BTF (tests/unit/data/pt-regs-from-btf.sh)"
awk '
	/^\[[0-9]+\] / {
		id = substr($1, 2, length($1) - 2); kind[id] = $2; cur = id
		for (i = 3; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "size") size[id] = kv[2]
			else if (kv[1] == "type_id") ref[id] = kv[2]
			else if (kv[1] == "nr_elems") elems[id] = kv[2]
		}
		if ($3 == "\x27pt_regs\x27" && $2 == "STRUCT") top = id
		nmem[id] = 0
		next
	}
	/^\t\x27/ {
		n = ++nmem[cur]; mname[cur, n] = substr($1, 2, length($1) - 2)
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "type_id") mtype[cur, n] = kv[2]
			else if (kv[1] == "bits_offset") moff[cur, n] = kv[2]
		}
	}
	function strip(t) {
		while (kind[t] == "TYPEDEF" || kind[t] == "CONST" || kind[t] == "VOLATILE")
			t = ref[t]
		return t
	}
	function bytes(t) {
		t = strip(t)
		if (kind[t] == "ARRAY") return elems[t] * bytes(ref[t])
		if (kind[t] == "PTR") return 8
		return size[t]
	}
	function walk(t, base,   i, m, o) {
		for (i = 1; i <= nmem[t]; i++) {
			m = strip(mtype[t, i]); o = base + moff[t, i] / 8
			if (mname[t, i] == "(anon)")
				walk(m, o)
			else if (kind[m] == "ARRAY")
				print mname[t, i], o, bytes(m), elems[m]
			else
				print mname[t, i], o, bytes(m)
		}
	}
	END { print "size", size[top]; walk(top, 0) }
' "$tmp/raw"
