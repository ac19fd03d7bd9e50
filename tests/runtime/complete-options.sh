#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/runtime/complete-options.sh ETRACE: the options bash completion
# offers are those of src/cli.c (its long_opts table and getopt string), and
# it completes a value after those that take one, another option after the
# others. Prints what differs, then "N options".

set -u
here=$(dirname "$0")
cli=$here/../../src/cli.c
complete=$here/complete.sh
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# "OPTION required|no", one per line, from the table and the getopt string.
sed -n 's/^\t{ "\([^"]*\)", \([a-z]*\)_argument.*/--\1 \2/p' "$cli" >"$tmp/cli"
sed -n 's/.*getopt_long(argc, argv, "\([^"]*\)".*/\1/p' "$cli" |
	sed 's/^://; s/\(.\)/\1\n/g' | awk '
		/^:$/ { arg[n] = "required"; next }
		/./ { n = $0; order[++k] = n; arg[n] = "no" }
		END { for (i = 1; i <= k; i++) print "-" order[i], arg[order[i]] }' >>"$tmp/cli"
[ -s "$tmp/cli" ] || { echo "no options found in $cli"; exit 1; }

cut -d' ' -f1 "$tmp/cli" | sort >"$tmp/want"
{ "$complete" "$1" - ; "$complete" "$1" -- ; } | sort -u >"$tmp/have"
comm -23 "$tmp/want" "$tmp/have" | sed 's/^/not offered: /'
comm -13 "$tmp/want" "$tmp/have" | sed 's/^/offered, not in cli.c: /'

# After an option that takes a value, "-" completes to nothing (no pid,
# mechanism... starts with "-"); after one that does not, to options.
while read -r opt arg; do
	n=$("$complete" "$1" "$opt" - | wc -l)
	if [ "$arg" = required ] && [ "$n" -ne 0 ]; then
		echo "$opt takes a value, but options are offered after it"
	elif [ "$arg" = no ] && [ "$n" -eq 0 ]; then
		echo "$opt takes no value, but no option is offered after it"
	fi
done <"$tmp/cli"
echo "$(wc -l <"$tmp/cli") options"
