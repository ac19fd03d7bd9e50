# SPDX-License-Identifier: BSD-2-Clause
#
# bash completion for etrace: options (src/cli.c's table) and their values,
# probe kinds, tracepoint categories and events, kernel functions, functions
# of programs and libraries, USDT probes. Names come from `etrace -l`, run as
# the command being completed, so only what can be probed is offered; where
# it cannot list (not root, no tracefs or ftrace) kernel functions come from
# /proc/kallsyms and the rest completes to nothing, without a message.
#
# Installed as /usr/share/bash-completion/completions/etrace; it needs no
# helper from the bash-completion package, so it can also be sourced alone.

# The etrace to ask: the command being completed if it can be run, else the
# installed one (a user's PATH often lacks /usr/sbin).
_etrace_bin()
{
	local bin=$1 p

	if [[ $bin != */* ]]; then
		bin=$(type -P -- "$bin" 2>/dev/null)
	fi
	if [[ -n $bin && -x $bin ]]; then
		printf '%s\n' "$bin"
		return
	fi
	for p in /usr/sbin/etrace /usr/local/sbin/etrace; do
		if [[ -x $p ]]; then
			printf '%s\n' "$p"
			return
		fi
	done
	return 1
}

# `etrace [-p PID] -l PATTERN`, silent; fails if etrace could not list.
_etrace_list()
{
	local bin

	bin=$(_etrace_bin "${words[0]}") || return 1
	"$bin" ${pid:+-p "$pid"} -l "$1" 2>/dev/null
}

# Each line read, after $1 (a value typed: no sed expression).
_etrace_prefix()
{
	local line

	while IFS= read -r line; do
		printf '%s%s\n' "$1" "$line"
	done
}

# Kernel functions starting with $1 from /proc/kallsyms: text symbols,
# without compiler fragments (.cold, .isra.0), which cannot be probed by name.
_etrace_kallsyms()
{
	awk -v p="$1" '$2 ~ /^[tT]$/ && index($3, p) == 1 && $3 !~ /\./ { print $3 }' \
		/proc/kallsyms 2>/dev/null | sort -u
}

# Where probes name a program, a library or a kernel module: paths, programs
# in PATH, loaded modules (kernel probes only); each followed by ':'.
_etrace_targets()
{
	local kind=$1 part=$2 f

	if [[ $part == */* ]]; then
		while IFS= read -r f; do
			if [[ -d $f ]]; then
				printf '%s:%s/\n' "$kind" "$f"
			else
				printf '%s:%s:\n' "$kind" "$f"
			fi
		done < <(compgen -f -- "$part")
		return
	fi
	if [[ -z $part ]]; then
		[[ $kind == u ]] || printf '%s::\n' "$kind"
		return
	fi
	if [[ $kind != u && -r /proc/modules ]]; then
		while read -r f _; do
			[[ $f == "$part"* ]] && printf '%s:%s:\n' "$kind" "$f"
		done </proc/modules
	fi
	# Libraries as BCC names them: "c" for libc.so.6, through the ld.so cache.
	{ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null |
		sed -n 's/^[[:space:]]*lib\([^ ]*\)\.so[. ].*/\1/p' | sort -u |
		while IFS= read -r f; do
			[[ $f == "$part"* ]] && printf '%s:%s:\n' "$kind" "$f"
		done
	compgen -A command -- "$part" | sort -u | while IFS= read -r f; do
		type -P -- "$f" >/dev/null && printf '%s:%s:\n' "$kind" "$f"
	done
}

# Every probe spec that can complete $cur, whole (the caller trims them).
_etrace_probes()
{
	local kind rest lib out

	if [[ $cur != *:* ]]; then
		printf '%s\n' p: p:: r: r:: t: u:
		return
	fi
	kind=${cur%%:*}
	rest=${cur#*:}
	case $kind in
	t)
		if [[ $rest != *:* ]]; then
			_etrace_list "t:$rest*" | cut -d: -f1-2 | sed 's/$/:/' | uniq
		else
			_etrace_list "$cur*"
		fi
		;;
	p | r | u)
		if [[ $rest != *:* ]]; then
			_etrace_targets "$kind" "$rest"
			return
		fi
		lib=${rest%%:*}
		# Listed as p:, whether for entry or return probes.
		if out=$(_etrace_list "${cur/#r:/p:}*"); then
			printf '%s\n' "$out" | sed 's/^[a-z]://' | _etrace_prefix "$kind:"
		elif [[ $kind != u && -z $lib ]]; then
			_etrace_kallsyms "${rest#:}" | _etrace_prefix "$kind::"
		fi
		;;
	esac
}

_etrace_values()
{
	local opt=$1 val=$2 head=

	case $opt in
	-p | --pid)
		compgen -W "$(cd /proc 2>/dev/null && compgen -G '[0-9]*')" -- "$val"
		;;
	-L | --tid)
		compgen -W "$(cd /proc 2>/dev/null && compgen -G '[0-9]*/task/[0-9]*' |
			sed 's|.*/||')" -- "$val"
		;;
	--uid)
		compgen -W "$(getent passwd 2>/dev/null | cut -d: -f3)" -- "$val"
		;;
	-c | --cgroup-path)
		compgen -d -- "$val"
		;;
	-s | --sym_file_list | --sym-file-list | -I | --include)
		if [[ $val == *,* ]]; then
			head=${val%,*},
		fi
		compgen -f -- "${val##*,}" | _etrace_prefix "$head"
		;;
	--mechanism)
		# One for kernel functions and one for user probes: MECH[,MECH].
		if [[ $val == *,* ]]; then
			head=${val%,*},
		fi
		compgen -W 'fentry kprobe kprobe-multi kprobe-legacy uprobe uprobe-legacy' \
			-- "${val##*,}" | _etrace_prefix "$head"
		;;
	esac
}

# The words as etrace sees them: bash splits "t:sched:x" and "--pid=1" at
# ':' and '=' (COMP_WORDBREAKS); they are joined again into words, cur, prev
# and cword. $split says whether the word being completed was joined. In
# an open quote ('t:sch) nothing is split, and readline completes what
# follows the quote.
_etrace_join()
{
	local i t last=

	words=()
	cword=-1
	split=
	for ((i = 0; i <= COMP_CWORD && i < ${#COMP_WORDS[@]}; i++)); do
		t=${COMP_WORDS[i]}
		if ((i > 0)) && [[ $t =~ ^[:=]+$ || $last =~ ^[:=]+$ ]]; then
			words[cword]+=$t
			((i == COMP_CWORD)) && split=1
		else
			words[++cword]=$t
		fi
		last=$t
	done
	((COMP_CWORD >= ${#COMP_WORDS[@]})) && words[++cword]=
	cur=${words[cword]}
	[[ $cur == [\'\"]* ]] && cur=${cur//[\'\"]/}
	prev=
	((cword > 0)) && prev=${words[cword - 1]}
}

_etrace()
{
	local cur prev words cword split i pid='' opts_done='' vopt='' vval='' head=''
	local arg_opts all_opts reply

	_etrace_join
	arg_opts=' -b -p -L -Z -M -n -c -f -s -I --buffer-pages --pid --tid --uid
		--string-size --max-events --name --cgroup-path --msg-filter
		--sym_file_list --sym-file-list --include --mechanism '
	all_opts="$arg_opts -h -v -S -t -u -T -C -K -U -a -B -l -A --help --version
		--verbose --include-self --timestamp --unix-timestamp --time
		--print_cpu --print-cpu --kernel-stack --user-stack --address
		--bin_cmp --bin-cmp --raw-strings --dry-run --ebpf --features --list
		--aggregate --json"
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--) opts_done=1 ;;
		-p | --pid) pid=${words[i + 1]} ;;
		--pid=*) pid=${words[i]#--pid=} ;;
		-p[0-9]*) pid=${words[i]#-p} ;;
		esac
	done
	[[ $pid =~ ^[0-9]+$ ]] || pid=

	# The value of an option: --opt=VALUE, -o VALUE, --opt VALUE, -Ko VALUE.
	if [[ -n $opts_done ]]; then
		:
	elif [[ $cur == --*=* ]]; then
		vopt=${cur%%=*}
		vval=${cur#*=}
		head=$vopt=
	elif [[ -n $prev && $arg_opts == *[[:space:]]"$prev"[[:space:]]* ]]; then
		vopt=$prev
		vval=$cur
	elif [[ $prev =~ ^-[hvStuTCKUaBl]*([bpLZMncfsI])$ ]]; then
		vopt=-${BASH_REMATCH[1]}
		vval=$cur
	fi

	if [[ -n $vopt ]]; then
		reply=$(_etrace_values "$vopt" "$vval" | _etrace_prefix "$head")
		case $vopt in
		-c | --cgroup-path | -s | --sym_file_list | --sym-file-list | -I | --include)
			compopt -o filenames 2>/dev/null ;;
		esac
	elif [[ -z $opts_done && $cur == -* ]]; then
		reply=$(compgen -W "$all_opts" -- "$cur")
	else
		reply=$(_etrace_probes | while IFS= read -r i; do
			[[ $i == "$cur"* ]] && printf '%s\n' "$i"
		done)
	fi
	COMPREPLY=()
	[[ -n $reply ]] && mapfile -t COMPREPLY <<<"$reply"

	# Probe kinds, categories, directories and libraries go on: no space.
	local more=${#COMPREPLY[@]}

	for i in "${COMPREPLY[@]}"; do
		[[ $i == *[:/] ]] || more=
	done
	[[ -n $more ]] && compopt -o nospace 2>/dev/null

	# Readline replaces only the text after the last ':' or '=' of a word
	# bash split there: what comes before it goes.
	if [[ -n $split ]]; then
		local keep=${cur##*[:=]}
		local drop=$((${#cur} - ${#keep}))

		for i in "${!COMPREPLY[@]}"; do
			COMPREPLY[i]=${COMPREPLY[i]:drop}
		done
	fi
}

complete -F _etrace etrace
