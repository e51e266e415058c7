# SPDX-License-Identifier: LGPL-2.1-or-later
# bash completion for gunyahctl(1): commands, options, VM names (asked from
# the running gunyahd, on the bus the command line names) and states.
# Installed as "gunyahctl" in bash-completion's completions directory.

# The VM names gunyahd knows; nothing when it cannot be reached.
__gunyahctl_vms()
{
	local name rest
	"${1:-gunyahctl}" "${@:2}" list --no-legend 2>/dev/null |
		while read -r name rest; do
			printf '%s\n' "$name"
		done
}

_gunyahctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	local verbs='list status create start stop reboot destroy wait reload validate dtb monitor console logs'
	local global='--help --version --user --address'
	local states='defined created starting running stopping exited crashed failed'
	local verb= opts= n_args=0 i word
	local -a bus=()

	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# "--address=X" arrives as "--address" "=" "X" (= is a word break).
	if [[ $cur == '=' ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		cur=
	elif [[ $prev == '=' ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	case $prev in
	--address|--timeout|-n|--lines)
		COMPREPLY=()
		return 0
		;;
	esac

	for ((i = 1; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		case $word in
		--user)
			bus+=(--user)
			;;
		--address)
			if [[ ${COMP_WORDS[i + 1]} == '=' ]]; then
				bus+=("--address=${COMP_WORDS[i + 2]}")
				((i += 2))
			else
				bus+=("--address=${COMP_WORDS[i + 1]}")
				((i++))
			fi
			;;
		--timeout|--lines|-n)
			[[ ${COMP_WORDS[i + 1]} == '=' ]] && ((i++))
			((i++))
			;;
		-*)
			;;
		*)
			if [[ -z $verb ]]; then
				verb=$word
			else
				((n_args++))
			fi
			;;
		esac
	done

	case $verb in
	list)		opts='--json --no-legend' ;;
	status)		opts='--json' ;;
	start)		opts='--timeout' ;;
	stop)		opts='--force --no-wait --timeout' ;;
	reboot)		opts='--force --timeout' ;;
	wait)		opts='--timeout' ;;
	validate)	opts='--json --transient' ;;
	reload|monitor) opts='--json' ;;
	console)	opts='--timeout --lines -n' ;;
	logs)		opts='--follow --lines -f -n' ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$global $opts" -- "$cur"))
		return 0
	fi
	case $verb in
	'')
		COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
		;;
	status|create|start|stop|reboot|destroy|dtb|console|logs)
		((n_args == 0)) &&
			COMPREPLY=($(compgen -W "$(__gunyahctl_vms "${COMP_WORDS[0]}" "${bus[@]}")" -- "$cur"))
		;;
	wait)
		if ((n_args == 0)); then
			COMPREPLY=($(compgen -W "$(__gunyahctl_vms "${COMP_WORDS[0]}" "${bus[@]}")" -- "$cur"))
		elif ((n_args == 1)); then
			COMPREPLY=($(compgen -W "$states" -- "$cur"))
		fi
		;;
	monitor)
		COMPREPLY=($(compgen -W "$(__gunyahctl_vms "${COMP_WORDS[0]}" "${bus[@]}")" -- "$cur"))
		;;
	validate)
		if ((n_args == 0)); then
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		;;
	esac
	return 0
}

complete -F _gunyahctl gunyahctl
