#!/bin/sh
# SPDX-License-Identifier: MIT
# shellcheck shell=dash
# Sourced by every dom0 check script of the QEMU labs (tests/e2e,
# tests/pvguest, guestagent/linux-patches): one line per check, in the
# format the launchers count, and the small probes they all use.
#   E2E: PASS <name> [detail]
#   E2E: FAIL <name> <why>
#   E2E: SKIP <name> <why>
pass() { echo "E2E: PASS $*"; }
fail() { echo "E2E: FAIL $*"; }
skip() { echo "E2E: SKIP $*"; }
info() { echo "E2E: INFO $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
xs() { xenstore-read "$1" 2>/dev/null; }

# wait_until SECONDS COMMAND...: poll once a second.
wait_until() {
	limit=$1
	shift
	waited=0
	until "$@"; do
		waited=$((waited + 1))
		[ $waited -ge "$limit" ] && return 1
		sleep 1
	done
	return 0
}

# stat_of DOMID KEY: one counter from the hypervisor, daemon bypassed.
stat_of() {
	pt-domctl get-stats "$1" 2>/dev/null |
		awk -v k="$2" '$1 == k { print $2 }'
}

# Whether ptswitchd and the agent were installed from their .debs (the
# bookworm labs: e2e.pkg=deb, the default) or copied in as binaries
# built elsewhere (e2e.pkg=none: a lab given binaries instead of .debs;
# its checks below SKIP).
# shellcheck source=../pkgcheck.sh
. /e2e/pkgcheck.sh
E2E_PKG=deb
# shellcheck disable=SC2013 # the command line is one line of words
for arg in $(cat /proc/cmdline); do
	case $arg in
	e2e.pkg=*) E2E_PKG=${arg#e2e.pkg=} ;;
	esac
done
NO_PKG="copied in, not installed from .debs (e2e.pkg=none)"

# check_packaged NAME PKG FILE [PID]: FILE is the file the package PKG
# installed here with dpkg, unchanged, and PID (if given) runs it.
check_packaged() {
	local out
	if [ "$E2E_PKG" = none ]; then
		skip "$1" "$NO_PKG"
	elif out=$(pkg_verify "$2" "$3" "${4:-}"); then
		pass "$1" "$out"
	else
		fail "$1" "$out"
	fi
}

# check_guest_packaged NAME CONSOLE_LOG DOMID: the guest's /init reported
# (pkg_verify, on its console) that the agent it runs is the packaged
# one, and the agent's own version in xenstore is the package's.
check_guest_packaged() {
	local line version agent
	if [ "$E2E_PKG" = none ]; then
		skip "$1" "$NO_PKG"
		return
	fi
	line=$(tr -d '\r' <"$2" 2>/dev/null |
		grep -m1 -E 'guest: (packaged|unpackaged): ' |
		sed 's/.*guest: //')
	agent=$(xs "/local/domain/$3/data/ptswitch/agent")
	version=$(echo "$line" | sed -n 's/^packaged: ptswitch-agent \([^:]*\):.*/\1/p')
	if [ -z "$line" ]; then
		fail "$1" "no package report on the guest's console ($2)"
	elif [ -z "$version" ]; then
		fail "$1" "$line"
	elif [ "$agent" != "ptswitch-agent $version" ]; then
		fail "$1" "the agent publishes '$agent', the package is $version"
	else
		pass "$1" "$line"
	fi
}

# check_kunit NAME CONSOLE_LOG SUITE CASE...: the guest kernel ran the KUnit
# SUITE at boot (its results are on the console), no case of it failed,
# and each CASE passed: ran and was not skipped, so that a suite whose
# cases all skip does not pass.
check_kunit() {
	local name=$1 log=$2 suite=$3 stats c
	shift 3
	stats=$(tr -d '\r' <"$log" 2>/dev/null |
		sed -n "s/.*# $suite: \(pass:.*\)/\1/p" | head -n 1)
	case $stats in
	pass:*" fail:0 "*) ;;
	*)
		fail "$name" "suite $suite: '${stats:-no results}'"
		return
		;;
	esac
	for c in "$@"; do
		if ! tr -d '\r' <"$log" | grep -E "ok [0-9]+ $c\$" |
			grep -vq 'not ok'; then
			fail "$name" "$suite: $c did not pass ($stats)"
			return
		fi
	done
	pass "$name" "$suite: $stats"
}

# kguest_lists PATCH: whether the guest kernel's build-info (boot-test.sh
# copies it to /e2e/kguest) lists a patch whose name starts with PATCH:
# 0 yes, 1 no, 2 there is no build-info.
kguest_lists() {
	[ -r /e2e/kguest/build-info ] || return 2
	grep -q "^patches=.*$1" /e2e/kguest/build-info
}
