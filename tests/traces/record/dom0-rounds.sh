#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs in the lab's dom0 for record.sh --rounds, in place of the e2e
# checks: one guest at a time (the ptswitch guest kernel, opted in to
# BATCH), each running timed rounds of its workload (rounds.sh).  Before
# every round dom0 sets the guest's mode with pt-domctl, in the order
# EMULATE BATCH BATCH EMULATE (and again, for more rounds), so a drift
# of the machine's speed during the run weighs on both modes alike.
# Round 0 comes first, in EMULATE, and is a warm-up: a workload's first
# round does once what later rounds do not (the first fork of a heap
# write-protects all of it), and that belongs to neither mode.
# pt-record records each round as its own trace.
#
# Console lines read by record.sh (besides those of dom0-record.sh):
#   REC: ROUND <name> <round> <mode> <secs> <detail>
#   REC: RHV <name> <round> <counter> <value>   Xen's counters, the
#                                  increase during the round
#   REC: LINE/SUM <name>-r<round>-<mode> ...    the round's trace
# shellcheck source=dom0-reclib.sh
. /e2e/reclib.sh

READY_TIMEOUT=1800
ROUND_TIMEOUT=1800

rounds=$(cmdline_arg rec.rounds 4)

# Memory (MB): the image in RAM plus the workload's heap and room.
mem_of() {
	case $1 in
	python | pyupdate) echo 1536 ;;
	redis) echo 1280 ;;
	kbuild) echo 1024 ;;
	*) echo 512 ;;
	esac
}

# make -j2 wants two vCPUs; the others are single processes or pairs of
# them that one vCPU serves, as in the recordings.
vcpus_of() {
	case $1 in
	kbuild) echo 2 ;;
	*) echo 1 ;;
	esac
}

# Round 0 (the warm-up) in EMULATE, then E B B E, repeated.
mode_of() {
	[ "$1" -eq 0 ] && { echo emulate; return; }
	case $(($1 % 4)) in
	1 | 0) echo emulate ;;
	*) echo batch ;;
	esac
}

# Counter N of `pt-domctl get-stats` output in file F.
stat_of() {
	sed -n "s/^$1 //p" "$2"
}

# Wait until node P of domain D (guest NAME) holds a value starting
# with PREFIX, for at most T seconds; prints the value.  Every 5 minutes
# the guest's last console line goes to the console (to stderr: the
# caller captures stdout), so a slow round can be told from a stuck one.
wait_node() {
	d=$1 name=$2 p=$3 prefix=$4 t=$5
	i=0
	while [ $i -lt "$t" ]; do
		v=$(xenstore-read "/local/domain/$d/$p" 2>/dev/null) &&
			case $v in "$prefix"*) echo "$v"; return 0 ;; esac
		sleep 2
		i=$((i + 2))
		[ $((i % 300)) -eq 0 ] &&
			info "rec-$name after ${i}s: $(tail -n 1 \
				"$CONSOLE_DIR/guest-rec-$name.log" 2>/dev/null)" >&2
	done
	return 1
}

raise_dom0_weight
mkdir -p "$OUT"

run_guest() {
	name=$1 img=$2
	if ! create_guest "$name" "$img" "$(mem_of "$name")" \
		"$(vcpus_of "$name")"; then
		echo "REC: FAIL create rec-$name"
		return
	fi
	dom=$(xl domid "rec-$name")
	info "created rec-$name (domain $dom) at $(uptime_s)"
	if ! wait_node "$dom" "$name" data/rec/ready "" \
		"$READY_TIMEOUT" >/dev/null; then
		echo "REC: FAIL rec-$name not ready after ${READY_TIMEOUT}s"
		tail -n 10 "$CONSOLE_DIR/guest-rec-$name.log" 2>/dev/null |
			sed "s/^/REC: INFO $name: /"
		xl destroy "rec-$name"
		return
	fi
	info "rec-$name ready at $(uptime_s)"
	r=0
	while [ $r -le "$rounds" ]; do
		mode=$(mode_of $r)
		if ! out=$(pt-domctl set-mode "$dom" "$mode" 2>&1); then
			echo "REC: FAIL rec-$name round $r set-mode $mode: $out"
			break
		fi
		pt-domctl get-stats "$dom" >/tmp/stats0 2>&1
		trace=$name-r$r-$mode
		pt-record --interval 1000 --duration 86400 --dir "$OUT" \
			"$trace=$dom" >/tmp/pt-record.out 2>&1 &
		rec=$!
		xenstore-write "/local/domain/$dom/data/rec/go" "$r"
		if ! done=$(wait_node "$dom" "$name" data/rec/done "$r " \
			"$ROUND_TIMEOUT"); then
			echo "REC: FAIL rec-$name round $r: no result after" \
				"${ROUND_TIMEOUT}s"
			kill "$rec"
			wait "$rec"
			break
		fi
		kill "$rec"
		wait "$rec"
		pt-domctl get-stats "$dom" >/tmp/stats1 2>&1
		echo "REC: ROUND $name $r $mode ${done#"$r "}"
		for c in mode emulated_writes batches batch_ptes \
			spurious_faults unhook_refused revalidation_failures; do
			a=$(stat_of "$c" /tmp/stats0)
			b=$(stat_of "$c" /tmp/stats1)
			case $c in
			mode) echo "REC: RHV $name $r $c $b" ;;
			*) echo "REC: RHV $name $r $c $((b - a))" ;;
			esac
		done
		r=$((r + 1))
	done
	pt-domctl set-mode "$dom" emulate >/dev/null 2>&1
	for f in "$OUT/$name"-r*.trace; do
		[ -e "$f" ] || continue
		print_trace "$(basename "$f" .trace)" "$f"
	done
	tail -n 60 "$CONSOLE_DIR/guest-rec-$name.log" 2>/dev/null |
		while IFS= read -r line; do
			echo "REC: GUEST $name $line"
		done
	xl destroy "rec-$name"
}

# In the order of record.sh --workloads.
for name in $(cmdline_arg rec.workloads "" | tr : ' '); do
	run_guest "$name" "$IMAGES/$name.cpio.gz"
done
info "rounds ended at $(uptime_s)"
