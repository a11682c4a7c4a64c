#!/bin/bash
# SPDX-License-Identifier: MIT
# xslab: Debian's real xenstored on a machine without Xen (see README.md).
#
# Source it from bash:
#   . tests/xslab/xslab.sh
#   xslab_start "$(mktemp -d)"      # exports XSLAB_DIR, XENSTORED_PATH (dom0)
#   xslab_add_domain 1 guest1       # like xl create, as far as xenstore sees
#   gp=$(xslab_guest_env 1)         # socket with dom1's privileges
#   XENSTORED_PATH=$gp xenstore-write data/x 1
#   xslab_del_domain 1              # like xl destroy: @releaseDomain fires
#   xslab_stop
# or run it: XSLAB_DIR=dir tests/xslab/xslab.sh add_domain 1 guest1
#
# Binaries come from $XSLAB_BUILD (default: <repo>/build), xenstored from
# $XSLAB_XENSTORED (default: Debian's). Extra xenstored options (quotas...)
# go in $XSLAB_XENSTORED_ARGS. Every step has a timeout ($XSLAB_TIMEOUT s).

XSLAB_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${XSLAB_BUILD:=$XSLAB_REPO/build}"
# Debian's xenstored of the Xen release whose libraries the build uses
# (xen-utils-4.17 on bookworm, xen-utils-4.20 on trixie).
_xslab_default_xenstored() {
	local v
	v=$(pkg-config --modversion xencontrol 2>/dev/null) || v=
	v=${v%.*}
	if [ -n "$v" ] && [ -x "/usr/lib/xen-$v/bin/xenstored" ]; then
		echo "/usr/lib/xen-$v/bin/xenstored"
		return
	fi
	printf '%s\n' /usr/lib/xen-*/bin/xenstored | sort -V | tail -n 1
}
: "${XSLAB_XENSTORED:=$(_xslab_default_xenstored)}"
: "${XSLAB_TIMEOUT:=60}"

_xslab_die() {
	echo "xslab: $*" >&2
	return 1
}

_xslab_ctl() {
	timeout "$XSLAB_TIMEOUT" "$XSLAB_BUILD/xslab/xs-labctl" "$@"
}

# _xslab_wait SECS CMD...: retry CMD every 0.1 s until it succeeds.
_xslab_wait() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# A zombie is dead too: where nothing reaps orphans, killed ones linger.
_xslab_pid_alive() {
	local st
	[ -s "$1" ] || return 1
	st=$(ps -o stat= -p "$(cat "$1")" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

_xslab_pid_dead() { ! _xslab_pid_alive "$1"; }

xslab_alive() {
	_xslab_pid_alive "$XSLAB_DIR/xenstored.pid"
}

# Succeeds once xenstored answers, or once it has died (no use waiting).
_xslab_ready_or_dead() {
	xslab_alive || return 0
	timeout 5 xenstore-read /tool/xenstored >/dev/null 2>&1
}

# xslab_start DIR: start xenstored with the shim, lab state in DIR.
xslab_start() {
	local dir=${1:?xslab_start DIR}
	local tool
	for tool in xslab/libxsshim.so xslab/xs-labctl xslab/xs-guestbridge; do
		[ -e "$XSLAB_BUILD/$tool" ] ||
			_xslab_die "missing $XSLAB_BUILD/$tool (make tools)" ||
			return 1
	done
	[ -x "$XSLAB_XENSTORED" ] ||
		_xslab_die "no xenstored at $XSLAB_XENSTORED (xen-utils-4.NN)" || return 1
	mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || return 1
	export XSLAB_DIR=$dir
	export XENSTORED_PATH=$dir/run/socket
	mkdir -p "$dir/run" "$dir/guest" || return 1
	_xslab_ctl init || return 1
	# In a subshell, so that it is no child of the caller (a bare 'wait'
	# there must not wait for xenstored).
	# shellcheck disable=SC2086
	(XENSTORED_RUNDIR=$dir/run XENSTORED_ROOTDIR=$dir/run \
		LD_PRELOAD=$XSLAB_BUILD/xslab/libxsshim.so \
		exec "$XSLAB_XENSTORED" -N ${XSLAB_XENSTORED_ARGS:-} \
		</dev/null >"$dir/xenstored.log" 2>&1 &
	echo $! >"$dir/xenstored.pid")
	if ! _xslab_wait 30 _xslab_ready_or_dead || ! xslab_alive; then
		_xslab_die "xenstored did not come up; log:"
		cat "$dir/xenstored.log" >&2
		xslab_stop
		return 1
	fi
}

# xslab_add_domain DOMID NAME: create and introduce a domain.
xslab_add_domain() {
	_xslab_ctl add "${1:?DOMID}" "${2:?NAME}"
}

# xslab_add_domains FIRST COUNT PREFIX: many domains in one process.
xslab_add_domains() {
	_xslab_ctl add-range "${1:?FIRST}" "${2:?COUNT}" "${3:?PREFIX}"
}

# xslab_guest_env DOMID: start (once) the domain's bridge and print the
# socket path a client uses as XENSTORED_PATH to act as that domain.
xslab_guest_env() {
	local domid=${1:?DOMID}
	local sock=$XSLAB_DIR/guest/$domid.sock
	local pidf=$XSLAB_DIR/guest/$domid.pid
	if ! _xslab_pid_alive "$pidf"; then
		rm -f "$sock"
		(XSLAB_DIR=$XSLAB_DIR exec "$XSLAB_BUILD/xslab/xs-guestbridge" \
			"$domid" "$sock" </dev/null \
			>>"$XSLAB_DIR/guest/$domid.log" 2>&1 &
		echo $! >"$pidf")
		_xslab_wait 10 test -S "$sock" ||
			_xslab_die "bridge for dom$domid did not start" ||
			return 1
	fi
	export XSLAB_GUEST_PATH=$sock # for callers not in a subshell
	echo "$sock"
}

# _xslab_stop_pid PIDFILE: TERM, wait, KILL.
_xslab_stop_pid() {
	local pidf=$1 pid
	[ -s "$pidf" ] || return 0
	pid=$(cat "$pidf")
	kill "$pid" 2>/dev/null
	_xslab_wait 10 _xslab_pid_dead "$pidf" ||
		kill -9 "$pid" 2>/dev/null
	rm -f "$pidf"
}

# xslab_kill_domain DOMID: the domain dies; xenstored releases it (and
# deletes the nodes it owned). Its paths owned by dom0 stay.
xslab_kill_domain() {
	_xslab_ctl kill "${1:?DOMID}"
}

# xslab_del_domain DOMID: like xl destroy, then the domid is free.
xslab_del_domain() {
	local domid=${1:?DOMID}
	_xslab_ctl del "$domid" || return 1
	# Its bridge notices the domain is gone and exits by itself.
	_xslab_wait 10 _xslab_pid_dead "$XSLAB_DIR/guest/$domid.pid"
	_xslab_stop_pid "$XSLAB_DIR/guest/$domid.pid"
}

# xslab_stop: stop bridges and xenstored (DIR is the caller's to remove).
xslab_stop() {
	local pidf
	[ -n "${XSLAB_DIR:-}" ] || return 0
	for pidf in "$XSLAB_DIR"/guest/*.pid; do
		[ -e "$pidf" ] && _xslab_stop_pid "$pidf"
	done
	_xslab_stop_pid "$XSLAB_DIR/xenstored.pid"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	cmd=${1:?usage: xslab.sh start DIR | add_domain ID NAME | ...}
	shift
	case $cmd in
	start | add_domain | add_domains | guest_env | kill_domain | \
		del_domain | stop | alive)
		if [ "$cmd" != start ]; then
			: "${XSLAB_DIR:?set XSLAB_DIR}"
			export XENSTORED_PATH=$XSLAB_DIR/run/socket
		fi
		"xslab_$cmd" "$@"
		;;
	*)
		_xslab_die "unknown command $cmd"
		;;
	esac
fi
