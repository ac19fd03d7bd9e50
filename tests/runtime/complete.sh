#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/runtime/complete.sh WORD...: what bash completion offers for the
# last WORD of the command line WORD... (the first is the etrace to run),
# one candidate per line. Words are passed as bash splits them: "t" ":" "sch"
# for t:sch typed with ':' in COMP_WORDBREAKS, "t:sch" without.

# shellcheck source=SCRIPTDIR/../../packaging/etrace.bash
. "$(dirname "$0")/../../packaging/etrace.bash" || exit 1
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
_etrace "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}"
exit 0
