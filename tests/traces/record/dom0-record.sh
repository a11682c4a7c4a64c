#!/bin/sh
# Runs in the recording lab's dom0 (in place of the e2e checks, once
# xenstored and xenconsoled are up): start one guest per workload image,
# wait until every workload runs, record them all with pt-record, then
# print the traces on the console for record.sh to collect.
#
# Console lines read by record.sh:
#   REC: INFO ...                  progress
#   REC: FAIL ...                  the recording is not usable
#   REC: LINE <name> <text>        one line of <name>.trace
#   REC: SUM <name> <cksum output> checksum of <name>.trace
#   REC: GUEST <name> <text>       a line of the guest's console log
export PATH=/usr/sbin:/usr/bin

IMAGES=/e2e/images
OUT=/tmp/traces
CONSOLE_DIR=/var/log/xen/console
READY_TIMEOUT=900

duration=600
interval=1000
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	rec.duration=*) duration=${arg#rec.duration=} ;;
	rec.interval=*) interval=${arg#rec.interval=} ;;
	esac
done

info() { echo "REC: INFO $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# Memory per workload (MB): the image unpacked in RAM plus room to run.
mem_of() {
	case $1 in
	db) echo 384 ;;
	compile | mix) echo 320 ;;
	web) echo 192 ;;
	*) echo 160 ;;
	esac
}

names=
for img in "$IMAGES"/*.cpio.gz; do
	name=$(basename "$img" .cpio.gz)
	cat >"/tmp/$name.cfg" <<EOF
name = "rec-$name"
type = "pv"
kernel = "/e2e/guest-kernel"
ramdisk = "$img"
extra = "console=hvc0 rdinit=/init quiet"
memory = $(mem_of "$name")
vcpus = 1
on_crash = "preserve"
EOF
	if xl create -q "/tmp/$name.cfg"; then
		names="$names $name"
		info "created rec-$name at $(uptime_s)"
	else
		echo "REC: FAIL create rec-$name"
	fi
done

all_ready() {
	for n in $names; do
		id=$(xl domid "rec-$n" 2>/dev/null) || return 1
		xenstore-read "/local/domain/$id/data/rec/ready" \
			>/dev/null 2>&1 || return 1
	done
	return 0
}
waited=0
until all_ready; do
	waited=$((waited + 5))
	if [ $waited -ge $READY_TIMEOUT ]; then
		echo "REC: FAIL not every workload started in ${READY_TIMEOUT}s"
		break
	fi
	sleep 5
done
info "workloads running at $(uptime_s) (waited ${waited}s)"
xl list

args=
for n in $names; do
	args="$args $n=$(xl domid "rec-$n")"
done
mkdir -p "$OUT"
info "recording ${duration}s every ${interval}ms:$args"
# shellcheck disable=SC2086 # one word per domain
pt-record --interval "$interval" --duration "$duration" --dir "$OUT" $args
info "recording ended at $(uptime_s) (status $?)"
xl list

for n in $names; do
	f=$OUT/$n.trace
	[ -e "$f" ] || continue
	while IFS= read -r line; do
		echo "REC: LINE $n $line"
	done <"$f"
	echo "REC: SUM $n $(cksum <"$f")"
done
for n in $names; do
	log=$CONSOLE_DIR/guest-rec-$n.log
	[ -e "$log" ] || continue
	tail -n 40 "$log" | while IFS= read -r line; do
		echo "REC: GUEST $n $line"
	done
done
for n in $names; do
	xl destroy "rec-$n" 2>/dev/null
done
