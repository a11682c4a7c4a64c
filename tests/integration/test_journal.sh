#!/bin/bash
# SPDX-License-Identifier: MIT
# ptswitchd's journal entries, through the native journal protocol: a
# datagram receiver stands in for journald at /run/systemd/journal/socket
# (a private mount namespace, unshare -m).  A guest's messages carry its
# name and UUID, caps are logged as words, MODE= and REASON= are never
# sent empty; a JOURNAL_STREAM that does not name stderr (inherited by a
# process whose stderr was redirected) sends everything to stderr.
set -u
# shellcheck source=daemonlab.sh
. "$(dirname "$0")/daemonlab.sh"
command -v unshare >/dev/null || { echo "no unshare"; exit 1; }
daemon_lab "$AGENT"
SD=$LAB/run-systemd
mkdir -p "$SD/journal"
UUID1=6a1e0cbb-2f4b-4e2a-9d2e-6f0d3c1b5a01

# The receiver: one JSON object per entry, fields decoded from the
# binary form the daemon uses (KEY\n, 64-bit LE size, value, \n).
python3 - "$SD/journal/socket" "$LAB/entries" <<'PY' &
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a")
while True:
    data = s.recv(65536)
    fields, i = {}, 0
    while i < len(data):
        nl = data.index(b"\n", i)
        key = data[i:nl].decode()
        if "=" in key:  # the plain KEY=value form
            k, v = key.split("=", 1)
            fields[k] = v
            i = nl + 1
            continue
        n = struct.unpack("<Q", data[nl + 1:nl + 9])[0]
        fields[key] = data[nl + 9:nl + 9 + n].decode()
        i = nl + 9 + n + 1
    out.write(json.dumps(fields) + "\n")
    out.flush()
PY
check "the stand-in journal listens" wait_for 10 test -S "$SD/journal/socket"

pin_policy batch
xslab_add_domain 1 g1 || exit 1
xenstore-write /local/domain/1/vm "/vm/$UUID1"
echo "1 $TRACES/idle.trace optin=yes" >"$D/sim.map"
capable_agent 1

# run_daemon STREAM_OF: JOURNAL_STREAM set to the dev:inode of that file;
# stderr always goes to $D/stderr.
run_daemon() {
	: >>"$D/stderr"
	: >>"$1"
	# --propagation unchanged, then private by hand: in a chroot (the
	# trixie root of check-trixie) / is no mount point and unshare's own
	# make-private fails; there the caller's namespace is private already.
	JOURNAL_STREAM=$(stat -c %d:%i "$1") unshare -m --propagation unchanged \
		bash -c 'mount --make-rprivate / 2>/dev/null
		mkdir -p /run/systemd &&
			mount --bind "$1" /run/systemd && shift && exec "$@"' _ "$SD" \
		"$DAEMON" --foreground --config "$D/policy.yaml" \
		--backend "sim:$D/sim.map" 2>>"$D/stderr" &
	DPID=$!
}

run_daemon "$D/stderr"
check "the guest reaches batch" wait_for 30 xs_is /tool/ptswitch/domain/1/mode batch
stop_daemon
E=$LAB/entries
q() { python3 -c "
import json, sys
es = [json.loads(l) for l in open('$E')]
sys.exit(0 if ($1) else 1)"; }
check "entries reached the journal" q 'len(es) > 3'
check "nothing went to stderr while it was the journal" test ! -s "$D/stderr"
check "a guest's entries carry GUEST_NAME and GUEST_UUID" \
	q "all(e.get('GUEST_NAME') == 'g1' and e.get('GUEST_UUID') == '$UUID1' for e in es if e.get('DOMID') == '1') and any(e.get('DOMID') == '1' for e in es)"
check "caps are logged as words" \
	q "any(e['MESSAGE'] == 'dom1: caps now missing-pde spurious-fault lazy-flush' for e in es)"
check "no entry has an empty MODE= or REASON=" \
	q "not any(e.get(k) == '' for e in es for k in ('MODE', 'REASON'))"
check "the switch has MODE=batch" \
	q "any(e.get('MODE') == 'batch' and 'switched' in e['MESSAGE'] for e in es)"

# JOURNAL_STREAM naming another file: stderr is not the journal.
n=$(wc -l <"$E")
run_daemon "$D/elsewhere"
check "with a JOURNAL_STREAM that is not stderr, logs go to stderr" \
	wait_for 20 grep -q "running: backend sim" "$D/stderr"
stop_daemon
check "and not to the journal" test "$(wc -l <"$E")" -eq "$n"
finish
