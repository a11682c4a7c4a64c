#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs in the recording lab's dom0 (in place of the e2e checks, once
# xenstored and xenconsoled are up): start one guest per workload image,
# wait until every workload runs, record them all with pt-record, then
# print the traces on the console for record.sh to collect.
#
# Console lines read by record.sh:
#   REC: INFO ...                  progress
#   REC: FAIL ...                  the recording is not usable
#   REC: LINE <name> <text>        one line of <name>.trace
#   REC: SUM <name> <md5>          checksum of <name>.trace
#   REC: GUEST <name> <text>       a line of the guest's console log
#   REC: HV <name> <when> <text>   a line of pt-domctl get-stats of
#                                  <name> at the start or the end
#
# An image named <w>-batch (record.sh --batch) is the same workload in a
# guest put in BATCH (pt-domctl set-mode) before the recording starts;
# every other guest stays in EMULATE (no ptswitchd runs here).
# shellcheck source=dom0-reclib.sh
. /e2e/reclib.sh

READY_TIMEOUT=600

duration=$(cmdline_arg rec.duration 600)
interval=$(cmdline_arg rec.interval 1000)

# Memory per workload (MB): the image unpacked in RAM plus room to run.
mem_of() {
	case $1 in
	kbuild) echo 1024 ;;
	db | redis*) echo 512 ;;
	pmix*) echo 384 ;;
	pfork*) echo 256 ;;
	compile | mix) echo 320 ;;
	web) echo 192 ;;
	*) echo 160 ;;
	esac
}

raise_dom0_weight

names=
doms=
for img in "$IMAGES"/*.cpio.gz; do
	name=$(basename "$img" .cpio.gz)
	if create_guest "$name" "$img" "$(mem_of "$name")" 1; then
		names="$names $name"
		# Trace names as the domains': distinct from the synthetic ones.
		doms="$doms rec-$name=$(xl domid "rec-$name")"
		info "created rec-$name at $(uptime_s)"
	else
		echo "REC: FAIL create rec-$name"
	fi
done

# Which workloads run (each guest writes data/rec/ready).  Cheap on
# purpose: no xl, one xenstore-read per guest.
ready_list() {
	for d in $doms; do
		xenstore-read "/local/domain/${d#*=}/data/rec/ready" \
			>/dev/null 2>&1 && printf ' %s' "${d%=*}"
	done
}
t0=$(cut -d. -f1 /proc/uptime)
last=0
while :; do
	running=$(ready_list)
	[ "$(echo $running | wc -w)" -eq "$(echo $names | wc -w)" ] && break
	now=$(($(cut -d. -f1 /proc/uptime) - t0))
	if [ $now -ge $READY_TIMEOUT ]; then
		echo "REC: FAIL after ${now}s only these workloads run:$running" \
			"(recording all the same)"
		for n in $names; do
			tail -n 5 "$CONSOLE_DIR/guest-rec-$n.log" 2>/dev/null |
				sed "s/^/REC: INFO $n: /"
		done
		break
	fi
	if [ $((now - last)) -ge 60 ]; then
		info "after ${now}s, running:$running"
		last=$now
	fi
	sleep 5
done
info "workloads running at $(uptime_s):$(ready_list)"

for d in $doms; do
	case ${d%=*} in
	*-batch) info "${d%=*} set-mode batch:" \
		"$(pt-domctl set-mode "${d#*=}" batch 2>&1)" ;;
	esac
done
# Xen's own counters, the BATCH ones included, around the recording.
hv_stats() {
	for d in $doms; do
		pt-domctl get-stats "${d#*=}" 2>&1 |
			sed "s/^/REC: HV ${d%=*} $1 /"
		# Workloads that count their rounds (pfork) publish them.
		r=$(xenstore-read "/local/domain/${d#*=}/data/rec/runs" \
			2>/dev/null) && echo "REC: HV ${d%=*} $1 workload_runs $r"
	done
}
hv_stats start

mkdir -p "$OUT"
info "recording ${duration}s every ${interval}ms:$doms"
# shellcheck disable=SC2086 # one word per domain
pt-record --interval "$interval" --duration "$duration" --dir "$OUT" $doms
info "recording ended at $(uptime_s) (status $?)"
hv_stats end
xl list

for n in $names; do
	f=$OUT/rec-$n.trace
	[ -e "$f" ] || continue
	print_trace "$n" "$f"
done
for n in $names; do
	log=$CONSOLE_DIR/guest-rec-$n.log
	[ -e "$log" ] || continue
	lines=40
	# kbuild: all of make's output during the recording; redis: every
	# snapshot's line.
	case $n in kbuild | redis*) lines=400 ;; esac
	tail -n "$lines" "$log" | while IFS= read -r line; do
		echo "REC: GUEST $n $line"
	done
done
for n in $names; do
	xl destroy "rec-$n" 2>/dev/null
done
