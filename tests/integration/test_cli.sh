#!/bin/bash
# SPDX-License-Identifier: MIT
# ptswitchd's command line: --help, --version, usage errors,
# --check-config, --once; and a bad policy at start-up.
set -u
. "$(dirname "$0")/lib.sh"
lab_setup
P=$PTSWITCH_BUILD/ptswitchd
D=$LAB/cli
mkdir -p "$D"

check "--help exits 0" eval "\"$P\" --help >/dev/null"
check "--help documents --check-config" eval "\"$P\" --help | grep -q -- --check-config"
check "--help fits 80 columns" eval "! \"$P\" --help | awk 'length > 80' | grep -q ."
check "--version prints the version" eval "\"$P\" --version | grep -q '^ptswitchd [0-9]'"
"$P" --bogus >/dev/null 2>&1
check "an unknown option exits 2" [ $? -eq 2 ]
"$P" extra-arg >/dev/null 2>&1
check "a stray argument exits 2" [ $? -eq 2 ]

check "the example policy is valid" "$P" --check-config "$TOP/config/ptswitch.yaml"
printf 'action: enforce\ninterval: 1s\nthresholds:\n  enter-saving: 0.1\n  leave-saving: 0.3\n' >"$D/bad.yaml"
out=$("$P" --check-config "$D/bad.yaml" 2>&1)
rc=$?
check "--check-config on a bad file exits 1" [ $rc -eq 1 ]
check "... and says file:line:column ($out)" \
	eval "grep -qE '^$D/bad.yaml:[0-9]+:[0-9]+: ' <<<\"\$out\""
"$P" --check-config "$D/missing.yaml" >/dev/null 2>&1
check "--check-config on a missing file exits 1" [ $? -eq 1 ]

# A bad policy at start-up: nothing to fall back on, so refuse to start.
"$P" --foreground --config "$D/bad.yaml" --backend "sim:/nonexistent" \
	>"$D/start.log" 2>&1
check "a bad policy at start-up exits 1" [ $? -eq 1 ]
check "... with file:line:column" grep -qE "bad.yaml:[0-9]+:[0-9]+" "$D/start.log"

# No Xen here: the default backend must say so plainly.
"$P" --foreground --builtin-policy >"$D/noxen.log" 2>&1
check "no Xen and no --backend exits 1" [ $? -eq 1 ]
check "... saying what to do" grep -q "sim:MAPFILE" "$D/noxen.log"

# --once: scan, one decision round, a table, exit.
xslab_add_domain 3 guest3 >/dev/null
echo "3 $TOP/tests/traces/idle.trace" >"$D/sim.map"
out=$("$P" --once --builtin-policy --backend "sim:$D/sim.map" 2>/dev/null)
check "--once exits 0" [ $? -eq 0 ]
check "--once prints guest3 in its table" grep -q "guest3" <<<"$out"
# It reports and nothing more (issue 17): not even its view in xenstore.
check "--once published nothing under /tool/ptswitch" xs_absent /tool/ptswitch
check "... nor in the guest's tree" xs_absent /local/domain/3/ptswitch
finish
