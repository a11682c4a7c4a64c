#!/bin/bash
# SPDX-License-Identifier: MIT
# The packaged units under systemd as PID 1 (make systemd-check): a copy
# of a cached bookworm root (tests/systemd/mkroot.sh), the ptswitchd and
# ptswitch-agent .debs installed in it with dpkg -i, booted with
# systemd-nspawn --boot.  Debian's xenstored runs there with the xslab
# shim standing in for the hypervisor, started by xen.service (the unit
# systemd-sysv-generator makes from Debian's /etc/init.d/xen) five seconds
# late; the daemon uses the sim backend (tests/systemd/lab/, the only
# drop-ins).  Checks the boot order, Type=notify readiness, the watchdog,
# reload with a bad policy, stop with on-stop keep and revert, and the
# retries while xenstored is down.  Ends with "N passed, N failed".
#
#   tests/systemd/run.sh [--release bookworm|trixie] [DEBDIR]
#
# DEBDIR holds ptswitchd_*.deb and ptswitch-agent_*.deb (e.g. what make
# deb-check left in build/deb-check); without it they are built from the
# tree with scripts/build-deb.sh into build/systemd-check/deb.
# --release trixie (make systemd-check-trixie): the same test in the
# trixie root of check-trixie (systemd 257, the xen.service that trixie's
# xen-utils-common ships), with trixie .debs (make deb-check-trixie leaves
# them in build/trixie/deb-check; else built in that root by
# tests/trixie/indeb.sh) and the xslab tools built there too; output in
# build/systemd-check-trixie.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$TOP/tests/systemd
. "$TOP/tests/tally.sh"
release=bookworm
if [ "${1:-}" = --release ]; then
	release=${2:-}
	shift 2
fi
case $release in
bookworm) OUT=$TOP/build/systemd-check ;;
trixie) OUT=$TOP/build/systemd-check-trixie ;;
*) echo "usage: $0 [--release bookworm|trixie] [DEBDIR]" >&2; exit 2 ;;
esac
DELAY=5 # seconds xen.service takes before xenstored starts
T=/tool/ptswitch
LABDIR=/usr/local/lib/ptswitch-lab
POLICY=/etc/ptswitch/ptswitch.yaml
STATE=/var/lib/ptswitch-lab/sim.map.state

die() {
	echo "systemd-check: $*" >&2
	exit 1
}
t0=$(date +%s)
stamp() { echo "# $(($(date +%s) - t0)) s: $*"; }

command -v systemd-nspawn >/dev/null ||
	die "no systemd-nspawn (scripts/install-deps.sh systemd)"

# The packages, and the lab's tools (test tools, not packaged).
debs=${1:-}
if [ -z "$debs" ]; then
	debs=$OUT/deb
	mkdir -p "$OUT"
	if [ "$release" = trixie ]; then
		(cd "$TOP" && tests/trixie/indeb.sh nice -n 19 \
			scripts/build-deb.sh "${debs#"$TOP"/}")
	else
		"$TOP/scripts/build-deb.sh" "$debs"
	fi >"$OUT.build.log" 2>&1 ||
		{ tail -n 30 "$OUT.build.log"; die "dpkg-buildpackage failed"; }
fi
version=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
daemon_deb=$debs/ptswitchd_${version}_amd64.deb
agent_deb=$debs/ptswitch-agent_${version}_amd64.deb
if [ ! -f "$daemon_deb" ] || [ ! -f "$agent_deb" ]; then
	die "no $version .debs in $debs"
fi
# The shim goes into the root's xenstored: built against its libxenctrl.
if [ "$release" = trixie ]; then
	tools=build/trixie/rel
	(cd "$TOP" && tests/trixie/inroot.sh make -s BUILD=$tools \
		$tools/xslab/libxsshim.so $tools/xslab/xs-labctl \
		$tools/xslab/xs-guestbridge) >&2 || die "cannot build the xslab tools"
else
	tools=build
	make -C "$TOP" -s BUILD=build build/xslab/libxsshim.so \
		build/xslab/xs-labctl build/xslab/xs-guestbridge >&2 ||
		die "cannot build the xslab tools"
fi
stamp "packages and tools ready"

base=$("$HERE/mkroot.sh" --release "$release") || die "no root"
stamp "root $base"

mkdir -p "$OUT"
ct=$OUT/root
rm -rf --one-file-system "$ct"
cp -a "$base" "$ct" || die "cannot copy the root"
nspawn_pid=
leader=
# The container's PID 1 outlives a killed nspawn: it goes first (SIGKILL
# to a PID namespace's init ends everything in it).
cleanup() {
	if [ -n "$leader" ] && kill -0 "$leader" 2>/dev/null; then
		kill -9 "$leader" 2>/dev/null
		sleep 1
	fi
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		kill "$nspawn_pid" 2>/dev/null
		sleep 2
		kill -9 "$nspawn_pid" 2>/dev/null
	fi
	[ -n "${KEEP_ROOT:-}" ] || rm -rf --one-file-system "$ct"
}
trap cleanup EXIT

# The packages, with dpkg as an admin would; then the lab's parts.
mkdir -p "$ct/tmp/debs"
cp "$daemon_deb" "$agent_deb" "$ct/tmp/debs/"
check "dpkg -i ptswitchd and ptswitch-agent in the root" \
	chroot "$ct" dpkg -i /tmp/debs/ptswitchd_${version}_amd64.deb \
	/tmp/debs/ptswitch-agent_${version}_amd64.deb
rm -rf "$ct/tmp/debs"
install -D -m 0755 -t "$ct$LABDIR" "$TOP/$tools/xslab/libxsshim.so" \
	"$TOP/$tools/xslab/xs-labctl" "$TOP/$tools/xslab/xs-guestbridge" \
	"$HERE/lab/xen-start"
cp -a "$TOP/tests/fixtures/guest/synthetic-capable" "$ct$LABDIR/guest-root"
for u in xen ptswitchd ptswitch-agent; do
	install -D -m 0644 "$HERE/lab/$u.service.conf" \
		"$ct/etc/systemd/system/$u.service.d/ptswitch-lab.conf"
done
mkdir -p "$ct/etc/ptswitch-lab" "$ct/var/lib/ptswitch-lab" \
	"$ct/var/lib/prometheus/node-exporter"
echo "$DELAY" >"$ct/etc/ptswitch-lab/delay"
cp "$TOP/tests/traces/idle.trace" "$ct/var/lib/ptswitch-lab/"
echo "1 idle.trace optin=yes" >"$ct/var/lib/ptswitch-lab/sim.map"
cp "$HERE/lab/policy-keep.yaml" "$ct$POLICY"
# The admin enables ptswitchd after reviewing the policy (the package
# does not); the agent's package enabled it.
chroot "$ct" systemctl enable ptswitchd.service >/dev/null 2>&1
check "ptswitchd enabled, ptswitch-agent enabled by its package" \
	test -L "$ct/etc/systemd/system/multi-user.target.wants/ptswitchd.service" \
	-a -L "$ct/etc/systemd/system/multi-user.target.wants/ptswitch-agent.service"
if [ "$release" = bookworm ]; then
	check "xen's init script is enabled (what xen.service is generated from)" \
		bash -c "ls '$ct'/etc/rc[2-5].d/S*xen >/dev/null 2>&1"
else
	check "xen.service is enabled (by xen-utils-common, which ships it)" \
		test -L "$ct/etc/systemd/system/multi-user.target.wants/xen.service"
fi
stamp "root ready"

# Boot.  No machined or host systemd here: --register=no --keep-unit.
systemd-nspawn --quiet --boot --register=no --keep-unit \
	--private-network --console=pipe --machine=ptswitch-lab \
	-D "$ct" </dev/null >"$OUT/console.log" 2>&1 &
nspawn_pid=$!
for ((i = 0; i < 100; i++)); do
	leader=$(ps -o pid= --ppid "$nspawn_pid" | head -n 1 | tr -d ' ')
	[ -n "$leader" ] && [ "$(ps -o comm= -p "$leader")" = systemd ] && break
	leader=
	sleep 0.1
done
if [ -z "$leader" ]; then
	cat "$OUT/console.log"
	not_ok "systemd-nspawn --boot: systemd runs as the container's PID 1"
	finish
fi
ok "systemd-nspawn --boot: systemd runs as the container's PID 1"

# in_ct CMD...: CMD inside the container, in its namespaces.
in_ct() {
	timeout 120 nsenter -t "$leader" -m -u -i -n -p -- env -i \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
prop() { in_ct systemctl show -p "$2" --value "$1"; }
xs() { in_ct timeout 5 xenstore-read "$1" 2>/dev/null; }
xs_is() { [ "$(xs "$1")" = "$2" ]; }
# The sim backend's state file lists the domains in batch.
state_is() {
	if [ "$1" = batch ]; then
		in_ct grep -qx "1 batch" "$STATE"
	else
		! in_ct grep -q "^1 " "$STATE"
	fi
}
journal() { in_ct journalctl -q -o cat -u "$1" --no-pager; }
# wait_for SECS CMD...: poll CMD every 0.2 s until it succeeds.
wait_for() {
	local i
	for ((i = 0; i < $1 * 5; i++)); do
		"${@:2}" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# systemctl answers once PID 1 has made its private socket.
wait_for 60 in_ct test -S /run/systemd/private
booted=$(in_ct timeout 90 systemctl is-system-running --wait 2>&1)
stamp "booted: $booted"
check "the boot finishes (running or degraded: $booted)" \
	test "$booted" = running -o "$booted" = degraded
in_ct systemctl --no-pager --failed --plain --no-legend | sed 's/^/  failed: /'

# 1. Boot order with xenstored late: ptswitchd waits for xen.service.
# bookworm: systemd-sysv-generator makes it; trixie: xen-utils-common
# ships it, "adapted from systemd-sysv-generator", running the script.
check "xen.service runs Debian's init script (SourcePath)" \
	test "$(prop xen.service SourcePath)" = /etc/init.d/xen
xen_unit=$(prop xen.service FragmentPath)
if [ "$release" = bookworm ]; then
	check "xen.service is generated ($xen_unit)" \
		test "$xen_unit" = /run/systemd/generator.late/xen.service
else
	check "xen.service is the packaged unit ($xen_unit)" \
		eval "in_ct dpkg -S \"\$xen_unit\" >/dev/null"
fi
check "xen.service is active" test "$(prop xen.service ActiveState)" = active
xen_begin=$(prop xen.service InactiveExitTimestampMonotonic)
xen_up=$(prop xen.service ActiveEnterTimestampMonotonic)
d_start=$(prop ptswitchd.service ExecMainStartTimestampMonotonic)
a_start=$(prop ptswitch-agent.service ExecMainStartTimestampMonotonic)
echo "  xen.service: started ${xen_begin} us, active ${xen_up} us;" \
	"ptswitchd started ${d_start} us; agent started ${a_start} us"
check "xenstored came up late (xen.service took >= $DELAY s)" \
	test $((xen_up - xen_begin)) -ge $((DELAY * 1000000))
check "ptswitchd started after xen.service was up" test "$d_start" -ge "$xen_up"
check "ptswitch-agent started after xen.service was up" \
	test "$a_start" -ge "$xen_up"
check "ptswitchd is active, started once (NRestarts=0)" \
	test "$(prop ptswitchd.service ActiveState)/$(prop ptswitchd.service NRestarts)" = active/0
check "ptswitch-agent is active, started once (NRestarts=0)" \
	test "$(prop ptswitch-agent.service ActiveState)/$(prop ptswitch-agent.service NRestarts)" = active/0
check "the agent, sandboxed, advertises BATCH through its xenbus" \
	wait_for 20 eval "xs /local/domain/1/data/ptswitch/caps | grep -q lazy-flush"
check "the pinned guest reaches batch" wait_for 30 xs_is $T/domain/1/mode batch
check "... and the sim backend's state says so" state_is batch
check "the metrics textfile is written through the sandbox, mode 0644" \
	wait_for 10 eval "[ \"\$(in_ct stat -c %a /var/lib/prometheus/node-exporter/ptswitch.prom)\" = 644 ]"
check "the single-instance lock is in the RuntimeDirectory" \
	in_ct test -e /run/ptswitchd/ptswitchd.lock
in_ct ptswitchctl status 2>&1 | sed 's/^/  /'

# systemd-analyze in the booted system, on the installed units (the root
# has no man-db: the pages the units cite are checked as files).
for u in ptswitchd ptswitch-agent; do
	for page in $(sed -n 's/^Documentation=//p' "$ct/lib/systemd/system/$u.service"); do
		page=${page#man:}
		sec=${page#*(}
		sec=${sec%)}
		f=/usr/share/man/man$sec/${page%%(*}.$sec.gz
		check "$u.service cites $page: $f is installed" in_ct test -e "$f"
	done
	in_ct systemd-analyze verify --man=no "/lib/systemd/system/$u.service" \
		>"$OUT/verify-$u.log" 2>&1
	rc=$?
	sed 's/^/  verify: /' "$OUT/verify-$u.log"
	check "systemd-analyze verify $u.service" test "$rc" -eq 0
	in_ct systemd-analyze security --no-pager "$u.service" 2>&1 |
		tail -n 1 | sed "s/^/  $u: /"
done

# 2. Type=notify: active only once the daemon said READY=1.  With
# xenstored stopped, the daemon's first request blocks before READY=1.
in_ct systemctl stop ptswitchd
xspid=$(in_ct cat /run/xslab/xenstored.pid)
[ "${xspid:-0}" -gt 0 ] || die "no xenstored pid"
in_ct kill -STOP "$xspid"
in_ct systemctl start --no-block ptswitchd
sleep 3
st=$(prop ptswitchd.service ActiveState)
mainpid=$(prop ptswitchd.service MainPID)
check "while xenstored does not answer: activating, not active ($st)" \
	test "$st" = activating
check "... with the daemon's process running (MainPID $mainpid)" \
	test "$mainpid" -gt 0
in_ct kill -CONT "$xspid"
check "xenstored answers: active" \
	wait_for 20 eval "[ \"\$(prop ptswitchd.service ActiveState)\" = active ]"
check "the unit became active after the daemon published itself" \
	xs_is $T/daemon/pid "$(prop ptswitchd.service MainPID)"

# 3. systemctl reload with a bad policy: fails, says where, nothing lost.
pid=$(prop ptswitchd.service MainPID)
cat "$HERE/lab/policy-bad.yaml" >"$ct$POLICY"
out=$(in_ct systemctl reload ptswitchd 2>&1)
rc=$?
echo "  systemctl reload: rc $rc: $out"
check "systemctl reload with a bad policy fails" test "$rc" -ne 0
check "the journal says file:line:column" wait_for 5 eval \
	"journal ptswitchd | grep -F '$POLICY:6:10: on-stop: expected keep or revert'"
journal ptswitchd | grep -F "$POLICY:6:10" | tail -n 1 | sed 's/^/  journal: /'
check "the daemon keeps running (same MainPID, active)" \
	test "$(prop ptswitchd.service MainPID)/$(prop ptswitchd.service ActiveState)" = "$pid/active"
check "the guest is still in batch" xs_is $T/domain/1/mode batch
# A HUP that bypasses ExecReload: the daemon refuses the file itself.
in_ct systemctl kill -s HUP ptswitchd
check "a bare SIGHUP: the daemon refuses the file at file:line:column" \
	wait_for 10 eval "xs $T/daemon/policy-error | grep -qF '$POLICY:6:10'"
check "... and keeps running" \
	test "$(prop ptswitchd.service MainPID)" = "$pid"
cat "$HERE/lab/policy-revert.yaml" >"$ct$POLICY"
check "systemctl reload with a good policy (on-stop: revert) succeeds" \
	in_ct systemctl reload ptswitchd
check "the daemon loaded it" wait_for 10 eval \
	"[ -z \"\$(xs $T/daemon/policy-error)\" ]"

# 4. The watchdog: a hung daemon (SIGSTOP) is killed and restarted by
# systemd, and no guest changes mode (on-stop: revert is in force: the
# watchdog's SIGABRT is no stop, and the restarted daemon finds the
# guest where it was).
req=$(xs /local/domain/1/ptswitch/request)
n0=$(prop ptswitchd.service NRestarts)
wd=$(prop ptswitchd.service WatchdogUSec)
stamp "watchdog: SIGSTOP to $pid (WatchdogUSec $wd)"
flips=0 newpid=$pid
# (kill -STOP 0 would stop the caller's own process group.)
[ "${pid:-0}" -gt 0 ] && in_ct kill -STOP "$pid"
for ((i = 0; i < 300 && ${pid:-0} > 0; i++)); do
	state_is batch || flips=$((flips + 1))
	newpid=$(prop ptswitchd.service MainPID)
	if [ "$newpid" != "$pid" ] && [ "$newpid" != 0 ] &&
		[ "$(prop ptswitchd.service ActiveState)" = active ]; then
		break
	fi
	sleep 0.2
done
stamp "watchdog: MainPID now $newpid"
check "systemd restarted the stopped daemon (MainPID $pid -> $newpid)" \
	test "${pid:-0}" -gt 0 -a "$newpid" != "$pid" -a "$newpid" != 0
check "NRestarts went up by one" \
	test "$(prop ptswitchd.service NRestarts)" -eq $((n0 + 1))
check "the journal says: watchdog timeout" \
	eval "in_ct journalctl -q -u ptswitchd --no-pager | grep -q 'Watchdog timeout'"
check "the guest stayed in batch all along (sim state sampled every 0.2 s)" \
	test "$flips" -eq 0
check "... in xenstore too" wait_for 10 xs_is $T/domain/1/mode batch
sleep 2
check "... and the guest was asked nothing new" \
	test "$(xs /local/domain/1/ptswitch/request)" = "$req"

# 5. systemctl stop: on-stop revert (in force), then keep.
check "systemctl stop (on-stop: revert)" in_ct systemctl stop ptswitchd
check "revert: the guest is back in emulate" state_is emulate
check "revert: the journal says why" eval "journal ptswitchd |
	grep -q 'on-stop: revert: every guest back to emulate'"
cat "$HERE/lab/policy-keep.yaml" >"$ct$POLICY"
check "systemctl start (on-stop: keep)" in_ct systemctl start ptswitchd
check "keep: the guest reaches batch again" \
	wait_for 30 eval "state_is batch && xs_is $T/domain/1/mode batch"
check "systemctl stop (on-stop: keep)" in_ct systemctl stop ptswitchd
check "keep: the guest stays in batch" state_is batch
check "keep: the journal says so" eval "journal ptswitchd |
	grep -q 'guests stay in their current modes'"
check "the unit is inactive, not failed" \
	test "$(prop ptswitchd.service ActiveState)" = inactive

# 6. xenstored down when ptswitchd starts: retried, not skipped.
in_ct kill "$xspid"
wait_for 10 eval "! in_ct kill -0 $xspid"
echo 0 >"$ct/etc/ptswitch-lab/delay"
n0=$(prop ptswitchd.service NRestarts)
in_ct systemctl start --no-block ptswitchd
sleep 8
st=$(prop ptswitchd.service ActiveState)/$(prop ptswitchd.service SubState)
stamp "xenstored down: ptswitchd $st"
check "no xenstored: the start failed and a retry is scheduled ($st)" \
	eval "[ '$st' = activating/auto-restart ] || [ '$st' = failed/failed ] ||
	[ \"\$(prop ptswitchd.service NRestarts)\" -gt $n0 ]"
check "the journal says why" eval "journal ptswitchd |
	grep -q 'cannot connect to xenstore'"
check "systemctl restart xen.service (xenstored back)" \
	in_ct systemctl restart xen.service
check "xenstored back: a retry makes ptswitchd active" \
	wait_for 30 eval "[ \"\$(prop ptswitchd.service ActiveState)\" = active ]"
check "... after at least one restart (NRestarts $(prop ptswitchd.service NRestarts))" \
	test "$(prop ptswitchd.service NRestarts)" -gt "$n0"

in_ct journalctl -b --no-pager >"$OUT/journal.log" 2>&1
in_ct systemctl poweroff >/dev/null 2>&1
for ((i = 0; i < 150; i++)); do
	kill -0 "$nspawn_pid" 2>/dev/null || break
	sleep 0.2
done
check "the container powers off" eval "! kill -0 $nspawn_pid 2>/dev/null"
[ "$fail" -eq 0 ] || tail -n 40 "$OUT/console.log"
stamp "done"
finish
