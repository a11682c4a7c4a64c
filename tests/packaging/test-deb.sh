#!/bin/bash
# SPDX-License-Identifier: MIT
# The Debian packages (debian/): build them with dpkg-buildpackage, run
# lintian (errors and warnings fail), check what each package holds and
# depends on, install both into a throwaway root with dpkg, and check the
# installed units with systemd-analyze.  Then the agent-only build
# profile.  Ends with "N passed, N failed".
#   tests/packaging/test-deb.sh [OUT]     (make deb-check; OUT: build/deb)
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$TOP/build/deb-check}
. "$TOP/tests/tally.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

version=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
rm -rf "$out"
if "$TOP/scripts/build-deb.sh" "$out" >"$work/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b"
else
	tail -n 40 "$work/build.log"
	not_ok "dpkg-buildpackage -us -uc -b"
	finish
fi
daemon_deb=$out/ptswitchd_${version}_amd64.deb
agent_deb=$out/ptswitch-agent_${version}_amd64.deb
changes=$out/ptswitch_${version}_amd64.changes
check "both binary packages built" test -f "$daemon_deb" -a -f "$agent_deb"

# Lintian: no error and no warning (info tags are listed, not fatal).
lintian --fail-on error,warning --show-overrides "$changes" \
	>"$work/lintian" 2>&1
lint_rc=$?
sed 's/^/  lintian: /' "$work/lintian"
check "lintian: no errors or warnings" test "$lint_rc" -eq 0
check "lintian: no E: or W: tags" \
	bash -c "! grep -qE '^[EW]: ' '$work/lintian'"

dpkg-deb -c "$daemon_deb" | awk '{print $6}' | sed 's|^\./|/|' \
	>"$work/daemon.list"
dpkg-deb -c "$agent_deb" | awk '{print $6}' | sed 's|^\./|/|' \
	>"$work/agent.list"
# The units' directory is the release's, chosen by its dh_installsystemd
# (debian/rules): /lib/systemd/system on bookworm, /usr/lib/systemd/system
# on trixie (lintian above says whether it is the right one).
unitdir=$(sed -n 's|/ptswitchd\.service$||p' "$work/daemon.list" | head -n 1)
echo "  systemd unit directory: ${unitdir:-none}"
check "the units are in a systemd unit directory ($unitdir)" \
	bash -c "[ '$unitdir' = /lib/systemd/system ] ||
		[ '$unitdir' = /usr/lib/systemd/system ]"
has() { grep -qxF "$2" "$work/$1.list"; }
for f in /usr/sbin/ptswitchd /usr/sbin/ptswitchctl /etc/ptswitch/ptswitch.yaml \
	/usr/share/man/man8/ptswitchctl.8.gz \
	/usr/share/doc/ptswitchd/examples/ptswitch.rules.yml \
	"$unitdir/ptswitchd.service" \
	/usr/share/man/man8/ptswitchd.8.gz \
	/usr/share/man/man5/ptswitch.yaml.5.gz \
	/usr/share/doc/ptswitchd/copyright \
	/usr/share/doc/ptswitchd/policy.md.gz \
	/usr/share/doc/ptswitchd/cost-model.md.gz \
	/usr/share/doc/ptswitchd/protocol.md.gz \
	/usr/share/doc/ptswitchd/hv-patches/BATCH.md.gz; do
	check "ptswitchd contains $f" has daemon "$f"
done
for f in /usr/sbin/ptswitch-agent "$unitdir/ptswitch-agent.service" \
	/usr/share/man/man8/ptswitch-agent.8.gz \
	/usr/share/doc/ptswitch-agent/copyright \
	/usr/share/doc/ptswitch-agent/protocol.md.gz; do
	check "ptswitch-agent contains $f" has agent "$f"
done
check "the agent package holds no daemon file" \
	bash -c "! grep -qE 'ptswitchd|ptswitch.yaml' '$work/agent.list'"

# Every doc a man page cites is in the package that ships the page.
dpkg-deb -x "$daemon_deb" "$work/x"
dpkg-deb -x "$agent_deb" "$work/x"
for page in man8/ptswitchd.8 man5/ptswitch.yaml.5 man8/ptswitch-agent.8; do
	pkg=ptswitchd
	[ "$page" = man8/ptswitch-agent.8 ] && pkg=ptswitch-agent
	zcat "$work/x/usr/share/man/$page.gz" | sed 's/\\-/-/g' >"$work/page"
	for doc in $(grep -oE '/usr/share/doc/[a-z-]+/[A-Za-z0-9/._-]+' \
		"$work/page" | sort -u); do
		check "$page cites $doc, which $pkg ships" \
			test -e "$work/x$doc" -o -e "$work/x$doc.gz"
	done
	check "$page cites /usr/share/doc/$pkg" \
		grep -q "/usr/share/doc/$pkg" "$work/page"
done

check "ptswitch.yaml is a conffile" \
	bash -c "dpkg-deb -f '$daemon_deb' >/dev/null &&
		dpkg-deb --ctrl-tarfile '$daemon_deb' | tar -xOf - ./conffiles |
		grep -qxF /etc/ptswitch/ptswitch.yaml"
agent_depends=$(dpkg-deb -f "$agent_deb" Depends)
echo "  ptswitch-agent Depends: $agent_depends"
check "ptswitch-agent depends on libc6 and libxenstore4 only" \
	test "$(tr ',' '\n' <<<"$agent_depends" | sed -E 's/^ +//; s/ .*//' |
		sort | tr '\n' ' ')" = "libc6 libxenstore4 "
check "the agent binary links libxenstore and libc only" \
	test "$(objdump -p "$work/x/usr/sbin/ptswitch-agent" |
		awk '/NEEDED/ {print $2}' | sort | tr '\n' ' ')" = \
	"libc.so.6 libxenstore.so.4 "
# The daemon is built for one Xen release (tests/trixie/README.md): the
# libxenctrl of the Xen this system builds against (4.17 on bookworm,
# 4.20 on trixie), and a Depends on the package that holds it.
echo "  ptswitchd Depends: $(dpkg-deb -f "$daemon_deb" Depends)"
xen=$(pkg-config --modversion xencontrol | cut -d. -f1,2)
check "ptswitchd links libxenctrl.so.$xen (this system's Xen)" \
	bash -c "objdump -p '$work/x/usr/sbin/ptswitchd' |
		grep -qE 'NEEDED +libxenctrl\.so\.$xen\$'"
xenctrl_pkg=$(dpkg -S "libxenctrl.so.$xen" 2>/dev/null | head -n 1 |
	cut -d: -f1)
check "ptswitchd depends on ${xenctrl_pkg:-the package of libxenctrl.so.$xen}" \
	bash -c "[ -n '$xenctrl_pkg' ] && dpkg-deb -f '$daemon_deb' Depends |
		tr ',' '\n' | sed -E 's/^ +//; s/ .*//' | grep -qx '$xenctrl_pkg'"

# Install both into an empty root: maintainer scripts, conffile, units.
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: >"$root/var/lib/dpkg/status"
dpkg_root() {
	dpkg --root="$root" --log=/dev/null --force-depends \
		--force-script-chrootless "$@"
}
quiet() { "$@" >"$work/quiet.log" 2>&1 || { cat "$work/quiet.log"; false; }; }
check "dpkg -i both packages into an empty root" \
	quiet dpkg_root -i "$daemon_deb" "$agent_deb"
check "dpkg records the policy as a conffile" \
	bash -c "dpkg-query --admindir='$root/var/lib/dpkg' -W \
		-f='\${Conffiles}' ptswitchd | grep -q /etc/ptswitch/ptswitch.yaml"
check "the agent is enabled at install" \
	test -L "$root/etc/systemd/system/multi-user.target.wants/ptswitch-agent.service"
check "ptswitchd is not enabled at install (the admin reviews the policy)" \
	test ! -e "$root/etc/systemd/system/multi-user.target.wants/ptswitchd.service"
echo "# edited" >>"$root/etc/ptswitch/ptswitch.yaml"
dpkg_root --force-confold -i "$daemon_deb" >/dev/null 2>&1
check "reinstalling keeps an edited policy" \
	grep -q '^# edited' "$root/etc/ptswitch/ptswitch.yaml"
check "dpkg --purge removes both" \
	quiet dpkg_root --purge ptswitchd ptswitch-agent
check "purge removes the policy" test ! -e "$root/etc/ptswitch/ptswitch.yaml"

# The installed units: systemd-analyze verify (executables and man pages
# looked up in the unpacked packages) and the exposure score.
unit=$work/units
mkdir -p "$unit"
for u in ptswitchd ptswitch-agent; do
	sed "s|/usr/sbin/|$work/x/usr/sbin/|g" \
		"$work/x$unitdir/$u.service" >"$unit/$u.service"
	check "systemd-analyze verify $u.service" \
		env MANPATH="$work/x/usr/share/man" \
		systemd-analyze verify "$unit/$u.service"
	systemd-analyze security --offline=true "$unit/$u.service" |
		tail -n 1 | sed 's/^/  /'
	check "systemd-analyze security: $u exposure at most 2.0" \
		quiet systemd-analyze security --offline=true --threshold=20 \
		"$unit/$u.service"
done
d=$work/x$unitdir/ptswitchd.service
check "ptswitchd.service: no ConditionPathExists (it could lose the boot race)" \
	bash -c "! grep -q '^ConditionPathExists' '$d'"
check "ptswitchd.service: ordered after xen.service" \
	grep -qE '^After=.*\bxen\.service' "$d"
check "ptswitchd.service: ExecReload checks the policy before the HUP" \
	test "$(grep '^ExecReload=' "$d" | head -n 1)" = \
	"ExecReload=/usr/sbin/ptswitchd --check-config /etc/ptswitch/ptswitch.yaml"
check "ptswitchd.service: no CAP_SYS_ADMIN" \
	bash -c "! grep -q '^CapabilityBoundingSet=.*CAP_SYS_ADMIN' '$d'"

# The agent alone, with the agent-only profile's Build-Depends.
if DEB_BUILD_PROFILES=pkg.ptswitch.agent-only \
	"$TOP/scripts/build-deb.sh" "$out/agent-only" \
	-Ppkg.ptswitch.agent-only >"$work/build2.log" 2>&1; then
	ok "dpkg-buildpackage -Ppkg.ptswitch.agent-only"
else
	tail -n 40 "$work/build2.log"
	not_ok "dpkg-buildpackage -Ppkg.ptswitch.agent-only"
fi
check "the agent-only build makes ptswitch-agent and not ptswitchd" \
	bash -c "ls '$out/agent-only'/ptswitch-agent_*.deb >/dev/null 2>&1 &&
		! ls '$out/agent-only'/ptswitchd_*.deb >/dev/null 2>&1"
# Every libyaml/libsystemd Build-Depends carries the profile's restriction.
unrestricted=$(sed -n '/^Build-Depends:/,/^[A-Z][A-Za-z-]*: /p' \
	"$TOP/debian/control" | grep -E 'libyaml|libsystemd' |
	grep -vF '<!pkg.ptswitch.agent-only>')
check "the agent-only profile drops libyaml-dev and libsystemd-dev" \
	test -z "$unrestricted"
finish
