# SPDX-License-Identifier: MIT
# A running tally for the shell checks outside tests/integration (the
# packaging checks, the inside of check-trixie): sourced, not run.
#   ok WHAT / not_ok WHAT    count one check
#   check WHAT CMD...        ok if CMD succeeds, else not_ok
#   finish                   print "N passed, N failed" and exit with it
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $*"; }
not_ok() { fail=$((fail + 1)); echo "FAIL - $*"; }
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}
