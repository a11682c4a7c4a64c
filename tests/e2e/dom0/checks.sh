#!/bin/sh
# SPDX-License-Identifier: MIT
# The e2e checks, run by dom0/init once xenstored and xenconsoled are up.
# Each check prints exactly one line:
#   E2E: PASS <name>
#   E2E: FAIL <name> <why>
#   E2E: SKIP <name> <why>      (a piece it needs is not there yet)
# The kernel command line says which hypervisor this is (e2e.xen=stock or
# e2e.xen=patched) and so what to expect.
export PATH=/usr/sbin:/usr/bin

POLICY=/e2e/policy.yaml
DAEMON_LOG=/var/log/ptswitchd.log
CONSOLE_DIR=/var/log/xen/console
GUEST_BOOT_TIMEOUT=300
DAEMON_TIMEOUT=60
HANDSHAKE_TIMEOUT=180
NO_DAEMON="no ptswitchd with a xenctrl backend in the image"

xen=stock
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	e2e.xen=*) xen=${arg#e2e.xen=} ;;
	esac
done

# shellcheck source=checklib.sh
. /e2e/checklib.sh


# wait_daemon SECONDS COMMAND...: as wait_until, but give up at once if
# the daemon has died.
wait_daemon() {
	limit=$1
	shift
	waited=0
	until "$@"; do
		daemon_alive || return 1
		waited=$((waited + 1))
		[ $waited -ge "$limit" ] && return 1
		sleep 1
	done
	return 0
}

domid_of() { xl domid "$1" 2>/dev/null; }
has_key() { xenstore-exists "$1" 2>/dev/null; }
key_is() { [ "$(xs "$1")" = "$2" ]; }
console_has() { grep -q "$2" "$CONSOLE_DIR/guest-$1.log" 2>/dev/null; }
daemon_alive() { [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; }

# create_guest NAME EXTRA-KERNEL-ARGS
create_guest() {
	cat >"/tmp/$1.cfg" <<EOF
name = "$1"
type = "pv"
kernel = "/e2e/guest-kernel"
ramdisk = "/e2e/guest.cpio.gz"
extra = "console=hvc0 rdinit=/init $2"
memory = 160
vcpus = 1
on_crash = "preserve"
EOF
	xl create -q "/tmp/$1.cfg"
}

have_daemon=0
[ -x /usr/sbin/ptswitchd ] && have_daemon=1
have_domctl=0
[ -x /usr/sbin/pt-domctl ] && have_domctl=1
daemon_pid=

# --- dom0 -------------------------------------------------------------
if xl list 2>&1 | grep -q '^Domain-0 '; then
	pass dom0-listed
else
	fail dom0-listed "xl list has no Domain-0: $(xl list 2>&1 | head -n 3)"
fi

# --- the daemon ---------------------------------------------------------
if [ $have_daemon = 1 ]; then
	ptswitchd --foreground --verbose --config "$POLICY" \
		>"$DAEMON_LOG" 2>&1 &
	daemon_pid=$!
	if wait_daemon $DAEMON_TIMEOUT key_is /tool/ptswitch/daemon/pid \
		"$daemon_pid"; then
		pass daemon-started
	else
		fail daemon-started "no /tool/ptswitch/daemon/pid=$daemon_pid" \
			"(alive: $(daemon_alive && echo yes || echo no))"
	fi
	# The daemon that runs is the one the .deb installed, and the
	# installed conffile is the package's and valid.  The lab's own
	# policy (--config /e2e/policy.yaml) overrides it, to pin BATCH.
	check_packaged daemon-packaged ptswitchd /usr/sbin/ptswitchd \
		"$daemon_pid"
	if [ "$E2E_PKG" = none ]; then
		skip conffile-valid "$NO_PKG"
	elif out=$(ptswitchd --check-config /etc/ptswitch/ptswitch.yaml 2>&1)
	then
		pass conffile-valid "/etc/ptswitch/ptswitch.yaml"
	else
		fail conffile-valid "$(echo "$out" | head -n 3 | tr '\n' ' ')"
	fi
	mode=$(xs /tool/ptswitch/daemon/mode)
	case $xen in
	stock) want=advise ;;
	*) want=enforce ;;
	esac
	why=$(xs /tool/ptswitch/daemon/mode-reason)
	# Advise mode must say why; enforce has nothing to explain.
	explained() {
		case $want in
		advise) [ -n "$why" ] ;;
		*) [ -z "$why" ] ;;
		esac
	}
	if [ "$mode" = "$want" ] && explained; then
		pass "daemon-mode-$want"
		[ -n "$why" ] && echo "E2E: INFO daemon/mode-reason: $why"
	else
		fail "daemon-mode-$want" "daemon/mode is '$mode'" \
			"(mode-reason '$why') on $xen Xen"
	fi
else
	skip daemon-started "$NO_DAEMON"
	skip daemon-mode "$NO_DAEMON"
fi

# --- guests -------------------------------------------------------------
# Two guests running the agent, and e2e-liar for the destroy checks further
# down, created up front so that their boots overlap.
echo "E2E: TIME xl-create-start $(uptime_s)"
create_guest e2e-a "e2e.role=agent e2e.workload=fork" ||
	fail guests-created "xl create e2e-a failed"
echo "E2E: TIME xl-create-a-done $(uptime_s)"
create_guest e2e-b "e2e.role=agent" ||
	fail guests-created "xl create e2e-b failed"
echo "E2E: TIME xl-create-b-done $(uptime_s)"
liar_created=1
create_guest e2e-liar "e2e.role=liar" || liar_created=0
echo "E2E: TIME xl-create-liar-done $(uptime_s)"
a=$(domid_of e2e-a)
b=$(domid_of e2e-b)
l=$(domid_of e2e-liar)
guests_up() {
	console_has e2e-a 'guest: domid=' && console_has e2e-b 'guest: domid='
}
if [ -n "$a" ] && [ -n "$b" ] && wait_until $GUEST_BOOT_TIMEOUT guests_up
then
	echo "E2E: TIME guest-up $(uptime_s)"
	pass guests-created
else
	fail guests-created "e2e-a=${a:-none} e2e-b=${b:-none}, init not seen" \
		"on their consoles within ${GUEST_BOOT_TIMEOUT}s"
fi

have_agent=0
if console_has e2e-a 'ptswitch-agent started'; then
	have_agent=1
	agents_up() {
		has_key "/local/domain/$a/data/ptswitch/caps" &&
			has_key "/local/domain/$b/data/ptswitch/caps"
	}
	if wait_until $DAEMON_TIMEOUT agents_up; then
		pass agents-published
	else
		fail agents-published "no data/ptswitch/caps from both guests"
	fi
	check_guest_packaged agent-packaged "$CONSOLE_DIR/guest-e2e-a.log" "$a"
	# A stock kernel has none of the BATCH capabilities: the agent must
	# report what the kernel really does.
	caps="$(xs "/local/domain/$a/data/ptswitch/caps")"
	case " $caps " in
	*" missing-pde "* | *" spurious-fault "*)
		fail stock-kernel-caps "stock kernel advertises '$caps'" ;;
	*) pass stock-kernel-caps ;;
	esac
else
	skip agents-published "no ptswitch-agent in the guest image"
	skip stock-kernel-caps "no ptswitch-agent in the guest image"
fi

# --- daemon view of the guests ----------------------------------------
if [ $have_daemon = 1 ] && [ $have_agent = 1 ]; then
	emulate_seen() {
		key_is "/tool/ptswitch/domain/$a/mode" emulate &&
			key_is "/tool/ptswitch/domain/$b/mode" emulate
	}
	if wait_daemon $DAEMON_TIMEOUT emulate_seen; then
		pass guests-start-emulate
	else
		fail guests-start-emulate "domain modes:" \
			"$(xs "/tool/ptswitch/domain/$a/mode")" \
			"$(xs "/tool/ptswitch/domain/$b/mode")"
	fi

	# The policy pins BATCH for e2e-*: a stock kernel must be refused
	# as "incapable" (optionally ":<the agent's reason>"), with the
	# reason published, and stay in EMULATE.
	incapable() {
		case $(xs "$1") in
		incapable | incapable:*) return 0 ;;
		esac
		return 1
	}
	refused() {
		for d in $a $b; do
			incapable "/tool/ptswitch/domain/$d/reason" &&
				key_is "/tool/ptswitch/domain/$d/desired" emulate &&
				key_is "/tool/ptswitch/domain/$d/mode" emulate ||
				return 1
		done
	}
	if wait_daemon $DAEMON_TIMEOUT refused; then
		pass stock-batch-refused
	else
		fail stock-batch-refused "reason/desired/mode of $a:" \
			"$(xs "/tool/ptswitch/domain/$a/reason")" \
			"$(xs "/tool/ptswitch/domain/$a/desired")" \
			"$(xs "/tool/ptswitch/domain/$a/mode"), of $b:" \
			"$(xs "/tool/ptswitch/domain/$b/reason")" \
			"$(xs "/tool/ptswitch/domain/$b/desired")" \
			"$(xs "/tool/ptswitch/domain/$b/mode")"
	fi
	echo "E2E: INFO xenstore-ls /tool/ptswitch:"
	xenstore-ls /tool/ptswitch 2>&1 | sed 's/^/E2E: INFO   /'
else
	skip guests-start-emulate "needs ptswitchd and ptswitch-agent"
	skip stock-batch-refused "needs ptswitchd and ptswitch-agent"
fi

# --- a guest destroyed mid-handshake ----------------------------------
# e2e-liar advertises BATCH caps it does not have and never acks: the
# daemon asks, and the guest disappears while the daemon waits.
[ $liar_created = 1 ] ||
	fail daemon-survives-destroy "xl create e2e-liar failed"
if [ $have_daemon = 1 ] && [ -n "$l" ]; then
	# Destroy it only once the daemon has taken in its fake caps and,
	# unless the daemon only advises, sent its BATCH request.
	caps_seen() {
		xs "/tool/ptswitch/domain/$l/caps" | grep -q missing-pde
	}
	# The request is out and the daemon waits for the ack.
	request_seen() {
		xs "/local/domain/$l/ptswitch/request" | grep -q ' batch$' &&
			key_is "/tool/ptswitch/domain/$l/state" requested
	}
	mid=0
	wait_daemon $HANDSHAKE_TIMEOUT caps_seen ||
		echo "E2E: INFO daemon did not publish the caps of e2e-liar"
	echo "E2E: TIME liar-caps-seen $(uptime_s)"
	if [ "$(xs /tool/ptswitch/daemon/mode)" != advise ] &&
		wait_daemon $HANDSHAKE_TIMEOUT request_seen; then
		mid=1
		echo "E2E: INFO request to e2e-liar:" \
			"$(xs "/local/domain/$l/ptswitch/request"), daemon state" \
			"$(xs "/tool/ptswitch/domain/$l/state")"
	fi
	echo "E2E: TIME liar-request-seen $(uptime_s)"
	xl destroy "$l"
	echo "E2E: TIME liar-destroyed $(uptime_s)"
	gone() { ! has_key "/tool/ptswitch/domain/$l"; }
	sleep 5
	survived=0
	daemon_alive && wait_until $DAEMON_TIMEOUT gone &&
		key_is /tool/ptswitch/daemon/pid "$daemon_pid" && survived=1
	if [ $survived = 1 ]; then
		pass daemon-survives-destroy
	else
		fail daemon-survives-destroy "alive:" \
			"$(daemon_alive && echo yes || echo no)," \
			"domain/$l still published: $(gone && echo no || echo yes)"
	fi
	if [ $mid = 1 ] && [ $survived = 1 ]; then
		pass destroy-mid-handshake
	elif [ $mid = 1 ]; then
		fail destroy-mid-handshake "daemon did not survive (see above)"
	elif [ "$(xs /tool/ptswitch/daemon/mode)" = advise ]; then
		skip destroy-mid-handshake "the daemon is in advise mode and" \
			"never sends a BATCH request"
	else
		fail destroy-mid-handshake "daemon never sent the BATCH request"
	fi
else
	[ -n "$l" ] && xl destroy "$l"
	skip daemon-survives-destroy "$NO_DAEMON"
	skip destroy-mid-handshake "$NO_DAEMON"
fi

# --- hypervisor counters and enforcement (patched Xen only) -----------
forks_of() { xs "/local/domain/$1/data/e2e/forks"; }

if [ "$xen" != patched ]; then
	skip hv-stats-move "stock Xen has no ptswitch counters"
	skip hv-refuses-batch "stock Xen has no ptswitch domctl"
	skip hv-opt-in-gate "stock Xen has no ptswitch domctl"
elif [ $have_domctl = 0 ]; then
	skip hv-stats-move "no pt-domctl in the image"
	skip hv-refuses-batch "no pt-domctl in the image"
	skip hv-opt-in-gate "no pt-domctl in the image"
else
	# e2e-a forks in bursts and publishes how many forks it has done.
	f1=$(forks_of "$a")
	e1=$(stat_of "$a" emulated_writes)
	b1=$(stat_of "$b" emulated_writes)
	moved() {
		f2=$(forks_of "$a")
		e2=$(stat_of "$a" emulated_writes)
		[ -n "$f1" ] && [ -n "$e1" ] && [ -n "$f2" ] && [ -n "$e2" ] &&
			[ "$f2" -gt "$f1" ] && [ "$e2" -gt "$e1" ]
	}
	if [ -z "$e1" ]; then
		fail hv-stats-move "pt-domctl get-stats $a:" \
			"$(pt-domctl get-stats "$a" 2>&1 | tr '\n' ' ')"
	elif wait_until 120 moved; then
		pass hv-stats-move
		echo "E2E: INFO e2e-a: $((f2 - f1)) forks, $((e2 - e1))" \
			"emulated PTE writes; idle e2e-b meanwhile:" \
			"$(($(stat_of "$b" emulated_writes) - b1))"
	else
		fail hv-stats-move "e2e-a forks ${f1:-?} -> $(forks_of "$a")," \
			"emulated_writes ${e1:-?} -> $(stat_of "$a" emulated_writes)"
	fi
	echo "E2E: INFO pt-domctl get-stats $a:"
	pt-domctl get-stats "$a" 2>&1 | sed 's/^/E2E: INFO   /'


	# The daemon is bypassed: straight to the hypervisor.  e2e-b runs a
	# stock kernel that never enabled the opt-in vm-assist, and the
	# hypervisor must refuse BATCH for that reason (EPERM).
	out=$(pt-domctl set-mode "$b" batch 2>/dev/null)
	rc=$?
	if [ $rc = 0 ]; then
		fail hv-refuses-batch "set-mode batch succeeded: $out"
	elif [ "$(stat_of "$b" opted_in)" != 0 ] ||
		[ "$out" != "error EPERM" ] ||
		[ "$(pt-domctl get-mode "$b" 2>&1)" != emulate ]; then
		fail hv-refuses-batch "set-mode batch: '$out' (want error EPERM)," \
			"opted_in $(stat_of "$b" opted_in)," \
			"mode $(pt-domctl get-mode "$b" 2>&1)"
	else
		pass hv-refuses-batch
		echo "E2E: INFO set-mode batch on not-opted-in e2e-b: $out"
	fi

	# Control: once e2e-b itself enables the vm-assist (its init runs
	# pt-domctl vm-assist when asked through xenstore), the same call
	# is no longer refused for want of consent.
	cmd=/local/domain/$b/e2e/command
	xenstore-write "$cmd" optin && xenstore-chmod "$cmd" n0 "r$b"
	optin_done() { [ -n "$(xs "/local/domain/$b/data/e2e/optin")" ]; }
	if ! wait_until 60 optin_done; then
		fail hv-opt-in-gate "e2e-b did not answer the opt-in command"
	elif [ "$(xs "/local/domain/$b/data/e2e/optin")" != ok ]; then
		fail hv-opt-in-gate "vm-assist enable in e2e-b:" \
			"$(xs "/local/domain/$b/data/e2e/optin")"
	elif [ "$(stat_of "$b" opted_in)" != 1 ]; then
		fail hv-opt-in-gate "Xen does not report e2e-b as opted in"
	else
		out=$(pt-domctl set-mode "$b" batch 2>/dev/null)
		case $out in
		batch)
			# A stock kernel is not safe in BATCH: leave at once.
			pt-domctl set-mode "$b" emulate >/dev/null
			pass hv-opt-in-gate
			echo "E2E: INFO opted-in e2e-b: set-mode batch accepted" ;;
		"error EPERM")
			fail hv-opt-in-gate "still EPERM after the opt-in" ;;
		"error EOPNOTSUPP" | "error ENOTSUP")
			# Consent given, BATCH itself not in this hypervisor.
			pass hv-opt-in-gate
			echo "E2E: INFO opted-in e2e-b: set-mode batch: $out" \
				"(past the consent gate; BATCH not available)" ;;
		*)
			fail hv-opt-in-gate "unexpected output '$out'" ;;
		esac
	fi
fi

# The daemon reads the same counters and publishes them for admins (at
# most once a stats period, hence the long wait).
published() {
	xenstore-ls "/tool/ptswitch/domain/$a" 2>/dev/null |
		grep -q 'emulated=[1-9]'
}
if [ "$xen" != patched ]; then
	skip daemon-publishes-stats "stock Xen has no ptswitch counters"
elif [ $have_daemon = 0 ]; then
	skip daemon-publishes-stats "$NO_DAEMON"
elif wait_daemon 150 published; then
	pass daemon-publishes-stats
else
	fail daemon-publishes-stats "no emulated=<n> > 0 under" \
		"/tool/ptswitch/domain/$a"
fi

# --- wrap up ----------------------------------------------------------
if [ $have_daemon = 1 ]; then
	if daemon_alive; then
		pass daemon-alive-at-end
		# SIGTERM is a clean stop: exit status 0.
		kill -TERM "$daemon_pid"
		wait "$daemon_pid"
		st=$?
		if [ $st = 0 ]; then
			pass daemon-clean-stop
		else
			fail daemon-clean-stop "exit status $st after SIGTERM"
		fi
	else
		wait "$daemon_pid"
		fail daemon-alive-at-end "ptswitchd exited with status $?:" \
			"$(dmesg | grep -a "ptswitchd\[$daemon_pid\]" | tail -n 1)"
	fi
	echo "E2E: INFO ptswitchd log (last 40 lines):"
	tail -n 40 "$DAEMON_LOG" | sed 's/^/E2E: INFO   /'
fi
for g in e2e-a e2e-b e2e-liar; do
	echo "E2E: INFO console of $g (last 15 lines):"
	tail -n 15 "$CONSOLE_DIR/guest-$g.log" 2>/dev/null |
		sed 's/^/E2E: INFO   /'
done
