#!/bin/bash
# SPDX-License-Identifier: MIT
# Integration test of the xenstore lab: Debian's real xenstored with the
# hypervisor shim, guests reached through their bridges. Proves that dom0
# and guest connections get the privileges the real xenstored gives them.
#
# usage: tests/integration/test_xslab.sh [BUILD_DIR]
#        (default: $PTSWITCH_BUILD, else build/san, else build)
set -u

REPO=$(cd "$(dirname "$0")/../.." && pwd)
# The build run-tests.sh names, else the ASan one if built, else build/.
BUILD=${1:-${PTSWITCH_BUILD:-${XSLAB_BUILD:-}}}
if [ -z "$BUILD" ]; then
	BUILD=$REPO/build/san
	[ -x "$BUILD/xslab/xs-labctl" ] || BUILD=$REPO/build
fi
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
export XSLAB_BUILD=$BUILD
# shellcheck source-path=SCRIPTDIR source=../xslab/xslab.sh
. "$REPO/tests/xslab/xslab.sh"

T=$(mktemp -d)
cleanup() {
	local p
	for p in "$T"/*.wpid; do
		[ -e "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	xslab_stop
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass=0
fail=0
check() {
	local desc=$1
	shift
	if "$@"; then
		echo "ok - $desc"
		pass=$((pass + 1))
	else
		echo "FAIL - $desc"
		fail=$((fail + 1))
	fi
}
not() { ! "$@"; }

# As dom0 (the xenstored socket) or as a guest (its bridge's socket).
xs0() { timeout 10 "$@" 2>/dev/null; }
xsg() {
	local domid=$1
	shift
	XENSTORED_PATH=$XSLAB_DIR/guest/$domid.sock timeout 10 "$@" 2>/dev/null
}
eq() { [ "$1" = "$2" ] || { echo "  got '$1', want '$2'" >&2; false; }; }

# watch_start NAME SOCKET PATH COUNT: xenstore-watch in the background;
# returns once the registration event (the first line) is seen.
watch_start() {
	local name=$1 sock=$2 path=$3 count=$4
	XENSTORED_PATH=$sock timeout 30 xenstore-watch -n "$count" "$path" \
		>"$T/$name.out" 2>&1 &
	echo $! >"$T/$name.wpid"
	_xslab_wait 10 test -s "$T/$name.out"
}
# watch_done NAME: the watcher saw all its events and exited on its own.
watch_done() {
	local pid
	pid=$(cat "$T/$1.wpid")
	wait "$pid"
	local rc=$?
	rm -f "$T/$1.wpid"
	[ $rc -eq 0 ] || { echo "  watcher $1 rc=$rc:" \
		"$(tr '\n' ' ' <"$T/$1.out")" >&2; false; }
}
# watch_lines NAME: lines the watcher printed so far.
watch_lines() { wc -l <"$T/$1.out"; }

check "xenstored starts with the shim" xslab_start "$T/lab"

# --- dom0 through the xenstored socket ---
check "dom0 writes /test/a" xs0 xenstore-write /test/a hello
check "dom0 reads it back" eq "$(xs0 xenstore-read /test/a)" hello
check "dom0 lists /test" eq "$(xs0 xenstore-list /test)" a

# --- two domains, as a toolstack would create them ---
check "dom0 watches @introduceDomain" \
	watch_start intro "$XENSTORED_PATH" @introduceDomain 3
check "domain 1 is introduced" xslab_add_domain 1 guest1
check "domain 2 is introduced" xslab_add_domain 2 guest2
check "@introduceDomain fired for both" watch_done intro
check "dom1's home is set up like libxl does (data owned by dom1)" \
	eq "$(xs0 xenstore-ls -p /local/domain/1 | grep -c '^data = .*(n1)')" 1

G1=$(xslab_guest_env 1)
G2=$(xslab_guest_env 2)
check "guest bridges are up" test -S "$G1" -a -S "$G2"

# --- guest privileges ---
check "guest 1 writes its own data/x" \
	xsg 1 xenstore-write /local/domain/1/data/x fromguest
check "dom0 sees it" \
	eq "$(xs0 xenstore-read /local/domain/1/data/x)" fromguest
check "the node is owned by dom1" \
	eq "$(xs0 xenstore-ls -p /local/domain/1/data | grep -c '(n1)')" 1
check "guest 1 reads relative to its home (name)" \
	eq "$(xsg 1 xenstore-read name)" guest1

check "dom0 writes ptswitch/request for dom1" \
	xs0 xenstore-write /local/domain/1/ptswitch/request "1 batch"
check "it inherits owner dom0, read for dom1" eq \
	"$(xs0 xenstore-ls -p /local/domain/1/ptswitch | grep -c '(n0,r1)')" 1
check "guest 1 reads ptswitch/request" \
	eq "$(xsg 1 xenstore-read /local/domain/1/ptswitch/request)" "1 batch"
check "guest 1 cannot write ptswitch/request" \
	not xsg 1 xenstore-write /local/domain/1/ptswitch/request "2 batch"
check "and the value is unchanged" \
	eq "$(xs0 xenstore-read /local/domain/1/ptswitch/request)" "1 batch"
check "guest 1 cannot write guest 2's data" \
	not xsg 1 xenstore-write /local/domain/2/data/x intruder
check "guest 1 cannot read guest 2's name" \
	not xsg 1 xenstore-read /local/domain/2/name
check "guest 1 cannot write /tool" \
	not xsg 1 xenstore-write /tool/x 1
check "guest 2 writes its own data" \
	xsg 2 xenstore-write /local/domain/2/data/x two

# Quotas apply to guests only: the default entry size limit is 2048.
big=$(head -c 3000 /dev/zero | tr '\0' x)
check "guest 1 is refused a 3000-byte entry (quota)" \
	not xsg 1 xenstore-write /local/domain/1/data/big "$big"
check "dom0 may write a 3000-byte entry" \
	xs0 xenstore-write /local/domain/1/big "$big"

# --- watches through a bridge (a second client on the same bridge) ---
check "guest 1 watches ptswitch" \
	watch_start gw "$G1" /local/domain/1/ptswitch 2
check "guest 2 watches guest 1's ptswitch (not readable for it)" \
	watch_start gw2 "$G2" /local/domain/1/ptswitch 2
check "dom0 writes a new request" \
	xs0 xenstore-write /local/domain/1/ptswitch/request "2 emulate"
check "guest 1's watch fires" watch_done gw
check "the event names the node" \
	eq "$(tail -n 1 "$T/gw.out")" /local/domain/1/ptswitch/request
check "guest 1 writes data/y while guest 2 watches" \
	xsg 1 xenstore-write data/y 1
sleep 1
check "guest 2 got no event for a node it cannot read" \
	eq "$(watch_lines gw2)" 1
kill "$(cat "$T/gw2.wpid")" 2>/dev/null
wait "$(cat "$T/gw2.wpid")" 2>/dev/null
rm -f "$T/gw2.wpid"
check "bridge 1 survives its clients" \
	eq "$(xsg 1 xenstore-read data/y)" 1

# --- a client's watches and transactions end with its connection ---
XSBIN=$(dirname "$XSLAB_XENSTORED") # /usr/bin's wrappers want a hypervisor
quota() { # quota DOMID WHAT: xenstored's own count for the domain
	timeout 10 "$XSBIN/xenstore-control" quota "$1" 2>/dev/null |
		awk -v w="$2" '$1 == w { print $3 }'
}
quota_is() { [ "$(quota "$1" "$2")" = "$3" ]; }
check "guest 1 holds a watch through its bridge" \
	watch_start hold "$G1" /local/domain/1/data 1000
check "xenstored counts 1 watch for dom1" eq "$(quota 1 watches)" 1
kill "$(cat "$T/hold.wpid")" 2>/dev/null
wait "$(cat "$T/hold.wpid")" 2>/dev/null
rm -f "$T/hold.wpid"
check "the watch is gone when the client is" \
	_xslab_wait 10 quota_is 1 watches 0
check "a watch held while the bridge is killed hard" \
	watch_start hold2 "$G1" /local/domain/1/data 1000
kill -9 "$(cat "$XSLAB_DIR/guest/1.pid")"
check "stays registered in xenstored" eq "$(quota 1 watches)" 1
G1=$(xslab_guest_env 1)
check "a restarted bridge resets the domain's watches" \
	_xslab_wait 10 quota_is 1 watches 0
kill "$(cat "$T/hold2.wpid")" 2>/dev/null
wait "$(cat "$T/hold2.wpid")" 2>/dev/null
rm -f "$T/hold2.wpid"
check "and serves clients again" eq "$(xsg 1 xenstore-read name)" guest1
# A raw client: starts a transaction, writes in it, prints xenstored's
# transaction count for dom1 (through dom0's socket), then hangs up.
open_tx() {
	timeout 20 python3 - "$G1" "$XSBIN/xenstore-control" <<'PY'
import socket, struct, subprocess, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
def call(typ, payload, tx=0):
    s.sendall(struct.pack("<IIII", typ, 42, tx, len(payload)) + payload)
    hdr = b""
    while len(hdr) < 16:
        hdr += s.recv(16 - len(hdr))
    typ, rid, tx, n = struct.unpack("<IIII", hdr)
    body = b""
    while len(body) < n:
        body += s.recv(n - len(body))
    assert rid == 42, rid
    return typ, body
XS_TRANSACTION_START, XS_WRITE = 6, 11
typ, body = call(XS_TRANSACTION_START, b"\0")
assert typ == XS_TRANSACTION_START, (typ, body)
tx = int(body.rstrip(b"\0"))
typ, body = call(XS_WRITE, b"data/intx\0v", tx)
assert typ == XS_WRITE, (typ, body)
out = subprocess.run([sys.argv[2], "quota", "1"], capture_output=True,
                     text=True, timeout=10).stdout
print([l.split()[2] for l in out.splitlines()
       if l.startswith("transactions")][0])
s.close()
PY
}
check "xenstored counts the raw client's open transaction" \
	eq "$(open_tx)" 1
check "the transaction is aborted when the client hangs up" \
	_xslab_wait 10 quota_is 1 transactions 0
check "and its write never landed" \
	not xs0 xenstore-exists /local/domain/1/data/intx

# --- Xen's own xenstore tests, as dom0 and as a guest ---
check "Xen's test-xenstore passes as dom0" \
	timeout 120 "$XSBIN/test-xenstore" >"$T/xt0.out" 2>&1
# A guest may not create nodes in its home: give it one, as a toolstack
# would.
xs0 xenstore-write /local/domain/1/xenstore-test ""
xs0 xenstore-chmod /local/domain/1/xenstore-test n1
check "Xen's test-xenstore passes as guest 1" \
	env XENSTORED_PATH="$G1" timeout 120 "$XSBIN/test-xenstore" \
	>"$T/xt1.out" 2>&1
check "and fails as guest 2, which was given no node" \
	not env XENSTORED_PATH="$G2" timeout 120 "$XSBIN/test-xenstore" \
	>"$T/xt2.out" 2>&1

# --- domains going away ---
check "dom0 watches @releaseDomain" \
	watch_start rel "$XENSTORED_PATH" @releaseDomain 2
check "domain 1 dies and xenstored releases it" xslab_kill_domain 1
check "@releaseDomain fired" watch_done rel
check "xenstored deleted dom1's own nodes (data/x)" \
	not xs0 xenstore-read /local/domain/1/data/x
check "dom0's nodes for dom1 stay until the toolstack removes them" \
	eq "$(xs0 xenstore-read /local/domain/1/name)" guest1
check "bridge 1 exits when its domain dies" \
	_xslab_wait 10 _xslab_pid_dead "$XSLAB_DIR/guest/1.pid"
check "a guest 1 client now fails cleanly" \
	not xsg 1 xenstore-read name
check "domain 1 is destroyed" xslab_del_domain 1
check "its /local/domain/1 is gone" \
	not xs0 xenstore-exists /local/domain/1
check "dom0 watches @releaseDomain again" \
	watch_start rel2 "$XENSTORED_PATH" @releaseDomain 2
check "domain 2 is destroyed" xslab_del_domain 2
check "@releaseDomain fired for domain 2" watch_done rel2
check "domid 1 can be reused" xslab_add_domain 1 guest1b
G1=$(xslab_guest_env 1)
check "new guest 1 writes data/z" xsg 1 xenstore-write data/z 1
check "new guest 1 sees no stale data/x" not xsg 1 xenstore-read data/x

check "xenstored stayed up throughout" xslab_alive
check "dom0 still reads /test/a" eq "$(xs0 xenstore-read /test/a)" hello

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
