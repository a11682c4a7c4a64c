# SPDX-License-Identifier: MIT
# Sourced by bench.sh and fuzz.sh in the e2e dom0.
#
# grant_page DOMID: one page of dom0 granted to DOMID (pvg-grant, which
# holds it until killed: grant_stop), its reference in the guest's
# ptswitch/grant-ref.
grant_pid=
grant_page() {
	rm -f /tmp/pvg-grant-ref
	/e2e/pvguest/pvg-grant "$1" /tmp/pvg-grant-ref &
	grant_pid=$!
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ -s /tmp/pvg-grant-ref ] && break
		sleep 1
	done
	if [ -s /tmp/pvg-grant-ref ]; then
		xenstore-write "/local/domain/$1/ptswitch/grant-ref" \
			"$(cat /tmp/pvg-grant-ref)"
	else
		echo "E2E: INFO pvg-grant gave no grant reference"
	fi
}

grant_stop() {
	[ -n "$grant_pid" ] && kill "$grant_pid" 2>/dev/null
	grant_pid=
}
