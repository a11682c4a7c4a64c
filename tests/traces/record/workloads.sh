# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# The workloads of the recording guests (sourced by guest-init; busybox
# sh).  Each wl_<name> runs until the file $STOP exists, and writes
# data/rec/ready once it is really running.  The images carry only what
# their workload needs (mkimage-guest.sh).

STOP=${STOP:-/run/stop}

ready() {
	xenstore-write data/rec/ready "$1" 2>/dev/null
}

running() {
	[ ! -e "$STOP" ]
}

wl_idle() {
	ready idle
	while running; do
		sleep 5
	done
}

# A shell script of the kind configure scripts and init scripts are made
# of: command substitutions and pipelines of small programs, each one a
# fork and, for the non-builtins, an exec.
wl_forkloop() {
	ready forkloop
	n=0
	while running; do
		for f in /etc/passwd /etc/group /init /workloads.sh; do
			lines=$(wc -l <"$f")
			words=$(grep -c . "$f" | tr -d ' ')
			first=$(head -n 1 "$f" | cut -c1-8)
			echo "$f $lines $words $first" | sed 's/ /:/g' >/dev/null
			ls -l /usr/bin | awk '{ s += $5 } END { print s }' \
				>/dev/null
		done
		n=$((n + 1))
	done
}

# gcc compiling a real program, file by file and then linking, as make -j1
# would: the project's own freestanding PV test kernel (tests/pvguest).
wl_compile() {
	cflags="-std=gnu11 -O2 -g -Wall -Wextra -ffreestanding -fno-pic
		-fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables
		-fno-tree-loop-distribute-patterns -mno-red-zone
		-mgeneral-regs-only -mcmodel=small"
	mkdir -p /tmp/build
	ready compile
	while running; do
		for c in /src/pvguest/*.c /src/pvguest/head.S; do
			running || break
			o=/tmp/build/$(basename "${c%.*}").o
			# shellcheck disable=SC2086 # one word per flag
			gcc $cflags -c -o "$o" "$c"
		done
		running || break
		gcc -nostdlib -static -no-pie -Wl,-T,/src/pvguest/pvguest.lds \
			-Wl,--build-id=none -Wl,-z,max-page-size=4096 \
			-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments \
			-o /tmp/build/pvguest.elf /tmp/build/*.o
		rm -f /tmp/build/*
	done
}

# nginx serving static files to ab on the loopback: a new connection per
# request (keep-alive off), two clients at a time.
wl_web() {
	ifconfig lo 127.0.0.1 up
	[ -e /run/nginx.pid ] || nginx
	ready web
	while running; do
		ab -q -n 400 -c 2 http://127.0.0.1/index.html >/dev/null 2>&1
		ab -q -n 100 -c 2 http://127.0.0.1/big.html >/dev/null 2>&1
	done
}

# Start PostgreSQL on the image's cluster, once (the socket in /tmp).
pg_start() {
	pgsql=/usr/lib/postgresql/15/bin
	[ -S /tmp/.s.PGSQL.5432 ] && return
	mkdir -p /dev/shm
	grep -q ' /dev/shm ' /proc/mounts || mount -t tmpfs tmpfs /dev/shm
	chown -R postgres:postgres /pgdata
	chmod 0700 /pgdata
	su -s /bin/sh postgres -c "$pgsql/postgres -D /pgdata \
		-c listen_addresses= -k /tmp -c shared_buffers=16MB \
		-c max_connections=10 -c max_wal_size=32MB \
		-c min_wal_size=4MB >/tmp/postgres.log 2>&1 &"
	i=0
	until [ -S /tmp/.s.PGSQL.5432 ] || [ $i -ge 300 ]; do
		sleep 1
		i=$((i + 1))
	done
}

# PostgreSQL 15 with pgbench (TPC-B like, scale 1), two clients; every
# 30 s pgbench starts over with new connections (new backends).
wl_db() {
	pg_start
	ready db
	while running; do
		su -s /bin/sh postgres -c \
			"$pgsql/pgbench -h /tmp -c 2 -j 1 -T 30 postgres" \
			>/dev/null 2>&1 || sleep 1
	done
}

# Phases of the workloads here, in a fixed cycle ("name:seconds ..."),
# as workload NAME; each phase change is logged on the console with the
# guest's uptime.
run_phases() {
	ready "$1"
	phase=0
	while running; do
		for p in $2; do
			running || break
			name=${p%:*}
			secs=${p#*:}
			phase=$((phase + 1))
			echo "rec: phase $phase $name ${secs}s at $(cut -d' ' -f1 \
				/proc/uptime)"
			xenstore-write data/rec/phase "$phase $name" 2>/dev/null
			(STOP=/run/stop.$phase; "wl_$name") &
			sleep "$secs"
			: >/run/stop.$phase
			wait
		done
	done
}

wl_mix() {
	run_phases mix "compile:90 idle:45 forkloop:60 web:90"
}

# The workloads below need forkbench in the image (mkimage-guest.sh
# --forkbench) and are meant for the ptswitch guest kernel
# (record.sh --guest-kernel), whose forks reach Xen as 512-PTE runs.

# A server-like process that forks a child now and then: forkbench's
# parent of 48 MiB re-dirties its buffer and forks (the child checks the
# pages and exits), three times per run, then the process exits and the
# shell pauses 1 to 4 s before the next one starts (new buffer: page
# faults, then the exit's unmap).
wl_pfork() {
	r=$(tr -d . </proc/uptime | cut -d' ' -f1)
	runs=$(xenstore-read data/rec/runs 2>/dev/null || echo 0)
	ready pfork
	while running; do
		forkbench -m 48 -f 3 -l pfork >/tmp/pfork.out 2>&1 ||
			sed 's/^/rec: pfork: /' /tmp/pfork.out
		# Runs done (dom0 reads it around the recording), and each
		# run's summary (fork latency) on the console.
		runs=$((runs + 1))
		xenstore-write data/rec/runs "$runs" 2>/dev/null
		grep '^forkbench: ' /tmp/pfork.out | sed 's/^/rec: /'
		running || break
		# A linear congruential generator: varied pauses, no $RANDOM.
		r=$(((r * 1103515245 + 12345) % 2147483648))
		sleep $((r / 65536 % 4 + 1))
	done
}

# Phases as wl_mix, for the ptswitch guest kernel: forks of a large
# resident set (pfork), then compile, idle and the fork loop.
wl_pmix() {
	run_phases pmix "pfork:60 compile:90 idle:45 forkloop:60"
}

# make -j1 (one vCPU) of a real kernel: Debian's linux 6.1, configured on
# the host (tinyconfig + the Xen PV guest fragment), pruned to what its
# build uses (kbuild-tree.sh).  Nothing is built before the recording:
# make starts with the build's own preparation (host tools, generated
# headers, objtool), then compiles the kernel.  Every line make prints
# goes to the console with the guest's uptime and a count.  The
# environment is the one the host's traced build had.
wl_kbuild() {
	cd /src/linux || return
	ready kbuild
	while running; do
		read -r up _ </proc/uptime
		echo "rec: kbuild make -j1 starts at $up"
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/nonexistent \
			LC_ALL=C KBUILD_BUILD_USER=ptswitch \
			KBUILD_BUILD_HOST=build KBUILD_BUILD_TIMESTAMP=@0 \
			make -j1 2>&1 | (
			n=0
			while IFS= read -r line; do
				read -r up _ </proc/uptime
				n=$((n + 1))
				echo "rec: kbuild $up #$n $line"
			done
		)
		read -r up _ </proc/uptime
		echo "rec: kbuild make ended at $up"
		running || break
		make clean >/dev/null 2>&1
	done
}

# Redis 7.0 taking snapshots while clients write: a server process of
# some 72 MiB that forks for every BGSAVE (the child writes the RDB file
# and exits; the parent, still serving, takes copy-on-write faults on
# the pages the clients' writes touch).  Meant for the ptswitch guest
# kernel, as pfork.  No configuration file: no automatic saves, no AOF;
# the server listens on a unix socket only (the guest kernel has no
# INET), its RDB file goes to /tmp, i.e. guest RAM (the child writes
# temp-<pid>.rdb and renames it over dump.rdb: two files at the peak).
#   - fill: 200000 SETs of 1 KiB values to random keys of 50000
#     (pipelined): about 98 % of the keys exist afterwards, about 72 MiB
#     resident, an RDB file of about 52 MB;
#   - clients: redis-benchmark, two keep-alive connections, SET and GET
#     of those keys, 1000 requests each, then a second's pause (a
#     moderate, steady load rather than a saturated one);
#   - snapshots: BGSAVE 12 s after the previous one ended; each one's
#     fork time (latest_fork_usec), length, copy-on-write size and the
#     commands served since the last line go to the console ("rec:
#     redis bgsave"), and the count to data/rec/runs.
REDIS_SOCK=/run/redis.sock

rcli() {
	redis-cli -s "$REDIS_SOCK" "$@" 2>&1 | tr -d '\r'
}

# One field of one INFO section.
rinfo() {
	rcli info "$1" | sed -n "s/^$2://p"
}

wl_redis() {
	keys=50000
	redis-server --save '' --appendonly no --dir /tmp --port 0 \
		--unixsocket "$REDIS_SOCK" --daemonize yes \
		--logfile /tmp/redis.log
	i=0
	until [ "$(rcli ping)" = PONG ] || [ $i -ge 300 ]; do
		sleep 1
		i=$((i + 1))
	done
	read -r up _ </proc/uptime
	echo "rec: redis fill starts at $up"
	redis-benchmark -s "$REDIS_SOCK" -t set -n $((keys * 4)) -r $keys \
		-d 1024 -P 16 -c 1 -q >/dev/null 2>&1 ||
		echo "rec: redis fill failed"
	read -r up _ </proc/uptime
	echo "rec: redis filled at $up: $(rcli dbsize) keys," \
		"rss $(rinfo memory used_memory_rss)"
	ready redis
	(
		while running; do
			redis-benchmark -s "$REDIS_SOCK" -t set,get -n 1000 \
				-r $keys -d 1024 -c 2 -q >/dev/null 2>&1
			sleep 1
		done
	) &
	n=0
	cmds0=$(rinfo stats total_commands_processed)
	read -r t0 _ </proc/uptime
	while running; do
		sleep 12
		running || break
		read -r start _ </proc/uptime
		rcli bgsave >/dev/null
		while [ "$(rinfo persistence rdb_bgsave_in_progress)" = 1 ]; do
			sleep 1
		done
		read -r end _ </proc/uptime
		n=$((n + 1))
		xenstore-write data/rec/runs "$n" 2>/dev/null
		cmds=$(rinfo stats total_commands_processed)
		echo "rec: redis bgsave $n at $start: fork_usec" \
			"$(rinfo stats latest_fork_usec)" \
			"status $(rinfo persistence rdb_last_bgsave_status)" \
			"ended $end cow $(rinfo persistence rdb_last_cow_size)" \
			"rss $(rinfo memory used_memory_rss)" \
			"cmds/s $(awk -v c=$((cmds - cmds0)) -v a="$t0" -v b="$end" \
				'BEGIN { printf "%.0f", c / (b - a) }')"
		cmds0=$cmds
		t0=$end
	done
	wait
}
