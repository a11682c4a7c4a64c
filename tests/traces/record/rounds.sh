# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# Timed rounds of real workloads (sourced by guest-init when the image
# has /etc/rec-rounds; busybox sh).  dom0 (dom0-rounds.sh) puts the
# guest in EMULATE or BATCH, writes the round's number to data/rec/go,
# and waits for data/rec/done; the guest runs one fixed amount of work
# and writes "N SECONDS DETAIL" there.  The same guest and the same boot
# serve every round, so the modes are compared on equal terms.
#
# Each workload has setup_<w> (untimed: start servers, fill heaps, warm
# caches) and round_<w>, which sets $detail.  Uses ready(), rcli(),
# rinfo(), REDIS_SOCK and pg_start() of workloads.sh.

uptime_now() {
	read -r up _ </proc/uptime
	echo "$up"
}

# Seconds since uptime T, to the hundredth.
secs_since() {
	awk -v a="$1" -v b="$(uptime_now)" 'BEGIN { printf "%.2f", b - a }'
}

# Python's multiprocessing forking from a 1 GiB heap (pyfork.py): five
# pools of two workers a round, each a fork of the whole parent.  In
# python the heap stays as loaded (a dataset the workers read); in
# pyupdate the parent rewrites all of it before each pool (it updates
# its data between batches of work), so every fork write-protects the
# whole heap again.
setup_python() {
	py_start 0
}

setup_pyupdate() {
	py_start 1
}

round_pyupdate() {
	round_python
}

# py_start DIRTY
py_start() {
	# POSIX semaphores (multiprocessing's locks) live in /dev/shm.
	mkdir -p /dev/shm
	grep -q ' /dev/shm ' /proc/mounts || mount -t tmpfs tmpfs /dev/shm
	mkfifo /run/py.in /run/py.out
	python3 -S /pyfork.py 1024 5 "$1" </run/py.in >/run/py.out 2>/tmp/py.err &
	exec 3>/run/py.in 4</run/py.out
	read -r line <&4 || line="python did not start: $(cat /tmp/py.err)"
	echo "rec: python $line"
}

round_python() {
	echo go >&3
	read -r detail <&4 || detail="python ended: $(tail -n 3 /tmp/py.err)"
}

# Redis 7.0 with 300000 keys of 1 KiB (about 420 MB resident), made in
# the server by DEBUG POPULATE (a client fill takes minutes under TCG).
# A round: two BGSAVEs back to back while two clients run 4000 SETs and
# GETs; the RDB file is removed after each (guest RAM).
setup_redis() {
	redis-server --save '' --appendonly no --dir /tmp --port 0 \
		--unixsocket "$REDIS_SOCK" --daemonize yes \
		--enable-debug-command yes --logfile /tmp/redis.log
	i=0
	until [ "$(rcli ping)" = PONG ] || [ $i -ge 300 ]; do
		sleep 1
		i=$((i + 1))
	done
	t=$(uptime_now)
	rcli debug populate 300000 key 1024 >/dev/null
	echo "rec: redis populated in $(secs_since "$t") s: $(rcli dbsize) keys," \
		"rss $(rinfo memory used_memory_rss)"
}

round_redis() {
	redis-benchmark -s "$REDIS_SOCK" -t set,get -n 4000 -r 300000 \
		-d 1024 -c 2 -q 2>&1 | tr '\r' '\n' | grep 'per second' |
		tail -n 2 | tr '\n' ' ' >/tmp/rb.out &
	forks=
	for _ in 1 2; do
		rcli bgsave >/dev/null
		sleep 1
		while [ "$(rinfo persistence rdb_bgsave_in_progress)" = 1 ]; do
			sleep 1
		done
		forks="$forks $(rinfo stats latest_fork_usec)"
		rm -f /tmp/dump.rdb
	done
	wait
	detail="fork_usec$forks status $(rinfo persistence \
		rdb_last_bgsave_status) cow $(rinfo persistence \
		rdb_last_cow_size) clients $(cat /tmp/rb.out)"
}

# PostgreSQL 15 with connection churn: pgbench -C opens a new connection
# (a new backend, forked by the postmaster) for every transaction; a
# round is 2 clients x 60 transactions (-n: no VACUUM before them).
setup_db() {
	pg_start
}

round_db() {
	detail=$(su -s /bin/sh postgres -c \
		"/usr/lib/postgresql/15/bin/pgbench -h /tmp -n -C -c 2 -j 1 \
		-t 60 postgres" 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/tps \1/p' |
		head -n 1)
	[ -n "$detail" ] || detail="pgbench failed: $(tail -n 2 \
		/tmp/postgres.log | tr '\n' ' ')"
}

# make -j2 (two vCPUs) of a part of a real kernel: Debian's linux 6.1,
# configured as for wl_kbuild.  The warm-up round (0) also makes what
# that part needs (host tools, generated headers, objtool); each round
# removes the part's objects and builds them again.  kernel/time/ (19
# C files in this configuration; a round's detail counts what it
# compiled) rather than the whole kernel: under TCG that takes hours.
KBUILD_DIRS="kernel/time/"

kmake() {
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/nonexistent \
		LC_ALL=C KBUILD_BUILD_USER=ptswitch KBUILD_BUILD_HOST=build \
		KBUILD_BUILD_TIMESTAMP=@0 make -j2 "$@" >/tmp/kmake.out 2>&1
}

setup_kbuild() {
	cd /src/linux || return
}

round_kbuild() {
	for d in $KBUILD_DIRS; do
		find "$d" \( -name '*.o' -o -name '*.a' \) -exec rm -f {} +
	done
	# shellcheck disable=SC2086 # one word per directory
	if kmake $KBUILD_DIRS; then
		detail="objects $(grep -c ' CC ' /tmp/kmake.out)"
	else
		detail="make failed: $(tail -n 2 /tmp/kmake.out | tr '\n' ' ')"
	fi
}

# Runs forever: set up, say ready, then one round per new value of
# data/rec/go.
run_rounds() {
	w=$1
	# Rounds count from 0 (the warm-up): "none" is no round.
	xenstore-write data/rec/go none data/rec/done none
	"setup_$w"
	ready "$w"
	last=none
	while :; do
		go=$(xenstore-read data/rec/go 2>/dev/null || echo none)
		if [ "$go" = "$last" ]; then
			sleep 1
			continue
		fi
		start=$(uptime_now)
		detail=
		"round_$w"
		secs=$(secs_since "$start")
		echo "rec: round $go $secs $detail"
		xenstore-write data/rec/done "$go $secs $detail"
		last=$go
	done
}
