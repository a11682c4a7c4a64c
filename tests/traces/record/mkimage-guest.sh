#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the initramfs of one recording guest: what every e2e guest has
# (busybox, the xenstore CLI, ptswitch-agent), guest-init, and the
# programs of its workload, copied from the host's Debian packages
# (scripts/install-deps.sh record installs them).
#
#   mkimage-guest.sh --out FILE --agent BIN --workload W [--src DIR]
#                    [--forkbench BIN] [--rounds]
#
# W is one of: idle, forkloop, compile, web, db, mix, pfork, pmix,
# kbuild, redis, python, pyupdate.  --rounds makes the guest run its
# workload in rounds that dom0 times (rounds.sh; kbuild, redis, db,
# python and pyupdate have them).  python and pyupdate carry Python 3's
# interpreter and standard library and pyfork.py (add_python).  compile
# and mix carry gcc and binutils and the sources of DIR
# (the repository: the guest compiles tests/pvguest, a freestanding C
# program, again and again); web and mix carry nginx and ab; db carries
# PostgreSQL 15 with a cluster made by initdb and filled by pgbench -i -s
# 1 on the host.  pfork and pmix carry forkbench (--forkbench,
# tests/forkbench built static), pmix also what compile does; kbuild
# carries a configured Linux tree and the host's tools that build it
# (add_kbuild); redis carries Redis 7.0's server, redis-cli and
# redis-benchmark (add_redis).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../e2e/lib.sh"

out=
agent=
workload=
src=$(cd "$HERE/../../.." && pwd)
busybox=/bin/busybox
forkbench=
rounds=0
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--agent) agent=$2; shift 2 ;;
	--workload) workload=$2; shift 2 ;;
	--src) src=$2; shift 2 ;;
	--forkbench) forkbench=$2; shift 2 ;;
	--rounds) rounds=1; shift ;;
	*) e2e_die "mkimage-guest: unknown argument $1" ;;
	esac
done
[ -n "$out" ] && [ -n "$agent" ] && [ -n "$workload" ] ||
	e2e_die "mkimage-guest: --out, --agent and --workload are required"

root=$(mktemp -d)
# mktemp's 0700 would become the guest's / and lock out every user but
# root (PostgreSQL runs as postgres).
chmod 0755 "$root"
pgtmp=
cleanup() {
	if [ -n "$pgtmp" ] && [ -e "$pgtmp/data/postmaster.pid" ]; then
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$pgtmp/data" -m fast \
			stop >/dev/null 2>&1 || true
	fi
	rm -rf "$root" ${pgtmp:+"$pgtmp"}
}
trap cleanup EXIT INT TERM

e2e_skeleton "$root" "$busybox"
e2e_copy_with_libs "$root" /usr/bin/xenstore
for tool in read write ls list rm exists chmod watch; do
	ln -s xenstore "$root/usr/bin/xenstore-$tool"
done
e2e_install_bin "$root" "$agent" /usr/sbin/ptswitch-agent
install -m 0755 "$HERE/guest-init" "$root/init"
install -m 0755 "$HERE/workloads.sh" "$root/workloads.sh"
printf '%s\n' "$workload" >"$root/etc/rec-workload"
if [ "$rounds" = 1 ]; then
	install -m 0644 "$HERE/rounds.sh" "$root/rounds.sh"
	: >"$root/etc/rec-rounds"
fi

GCCVER=12
GCCLIB=/usr/lib/gcc/x86_64-linux-gnu/$GCCVER
PGBIN=/usr/lib/postgresql/15/bin
PGLIB=/usr/lib/postgresql/15/lib

add_compiler() {
	e2e_install_bin "$root" "/usr/bin/x86_64-linux-gnu-gcc-$GCCVER" \
		/usr/bin/gcc
	for f in cc1 collect2 liblto_plugin.so; do
		e2e_install_bin "$root" "$GCCLIB/$f" "$GCCLIB/$f"
	done
	cp -a "$GCCLIB/include" "$root/$GCCLIB/"
	e2e_install_bin "$root" /usr/bin/x86_64-linux-gnu-as /usr/bin/as
	e2e_install_bin "$root" /usr/bin/x86_64-linux-gnu-ld.bfd /usr/bin/ld
	# The program the guest compiles: a freestanding one, so no libc
	# headers are needed.
	mkdir -p "$root/src/pvguest"
	cp "$src"/tests/pvguest/*.c "$src"/tests/pvguest/*.h \
		"$src"/tests/pvguest/head.S "$src"/tests/pvguest/pvguest.lds \
		"$root/src/pvguest/"
}

add_web() {
	e2e_copy_with_libs "$root" /usr/sbin/nginx /usr/bin/ab
	mkdir -p "$root/etc/nginx" "$root/var/lib/nginx" "$root/var/log/nginx" \
		"$root/srv/www"
	cp "$HERE/nginx.conf" "$root/etc/nginx/nginx.conf"
	# A small page and a larger one: static files, as a web server's
	# most common load.
	head -c 4096 /dev/zero | tr '\0' a >"$root/srv/www/index.html"
	head -c 65536 /dev/zero | tr '\0' b >"$root/srv/www/big.html"
}

add_db() {
	e2e_copy_with_libs "$root" "$PGBIN/postgres" "$PGBIN/pgbench" \
		"$PGBIN/pg_ctl" "$PGBIN/psql"
	# The server wants its module directory (not the JIT bitcode).
	mkdir -p "$root/usr/share/postgresql" "$root$PGLIB"
	cp "$PGLIB"/*.so "$root$PGLIB/"
	cp -a /usr/share/postgresql/15 "$root/usr/share/postgresql/"
	# initdb wrote the host's time zone (UTC here) into the config.
	mkdir -p "$root/usr/share/zoneinfo/Etc"
	cp -L /usr/share/zoneinfo/Etc/UTC "$root/usr/share/zoneinfo/Etc/"
	cp -L /usr/share/zoneinfo/UTC "$root/usr/share/zoneinfo/"
	printf 'postgres:x:70:70:postgres:/var/lib/postgresql:/bin/sh\n' \
		>>"$root/etc/passwd"
	printf 'postgres:x:70:\n' >>"$root/etc/group"
	# initdb and the pgbench tables are made here, not under TCG where
	# they take minutes; the server listens on a private socket only.
	pgtmp=$(mktemp -d)
	chown postgres "$pgtmp"
	TZ=UTC runuser -u postgres -- "$PGBIN/initdb" -D "$pgtmp/data" -A trust \
		--no-locale -E UTF8 --wal-segsize=1 >/dev/null
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$pgtmp/data" -w -l \
		"$pgtmp/log" -o "-c listen_addresses= -k $pgtmp" start >/dev/null
	runuser -u postgres -- "$PGBIN/pgbench" -h "$pgtmp" -i -s 1 -q \
		postgres >/dev/null 2>&1
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$pgtmp/data" -w -m fast \
		stop >/dev/null
	cp -a "$pgtmp/data" "$root/pgdata"
}

add_forkbench() {
	[ -x "$forkbench" ] ||
		e2e_die "mkimage-guest: $workload needs --forkbench BIN"
	install -D -m 0755 "$forkbench" "$root/usr/bin/forkbench"
}

# A host file at its own path in the guest, replacing what is there
# (busybox links: cp would write through them into busybox), with its
# times (make compares them).
host_copy() {
	hd=$(readlink -f "$(dirname "$1")")
	mkdir -p "$root$hd"
	rm -f "$root$hd/$(basename "$1")"
	cp -pL "$1" "$root$hd/$(basename "$1")"
}

# A configured, pruned Linux 6.1 tree at /src/linux (kbuild-tree.sh) and
# the host files its build used: the same programs (make, gcc, binutils,
# the shell, coreutils, ...), headers and libraries as on the host.  ld's
# LLVM plugin and the libraries only it needs are left out (ldd adds back
# any a program needs).
add_kbuild() {
	kb=$("$HERE/kbuild-tree.sh")
	mkdir -p "$root/src/linux"
	tar -xzf "$kb/tree.tar.gz" -C "$root/src/linux"
	llvm_only='/lib\(z3\|icu[a-z]*\|xml2\|edit\|ffi\|tinfo\|bsd\|md\|stdc++\)\.so'
	grep -v -e "$llvm_only" "$kb/tools.list" | while read -r kind path; do
		if [ -d "$path" ]; then
			mkdir -p "$root$(readlink -f "$path")"
			continue
		fi
		[ -f "$path" ] || continue
		host_copy "$path"
		[ "$kind" = X ] || continue
		e2e_copy_libs "$root" "$path"
		# A script's interpreter is loaded by the kernel, unseen.
		if [ "$(head -c 2 "$path")" = '#!' ]; then
			interp=$(head -n 1 "$path" | sed 's/^#! *//; s/ .*//')
			host_copy "$interp"
			e2e_copy_libs "$root" "$interp"
		fi
	done
	cp "$kb/build-info" "$root/src/build-info"
}

# Redis 7.0: the server, the CLI and the load generator.  Debian's
# redis-server is a link to redis-check-rdb (one binary, which picks its
# role by the name it runs under): copy it as redis-server.
add_redis() {
	e2e_install_bin "$root" /usr/bin/redis-check-rdb /usr/bin/redis-server
	e2e_copy_with_libs "$root" /usr/bin/redis-cli /usr/bin/redis-benchmark
}

# Python 3 (bookworm's 3.11) at /usr/bin/python3: the interpreter, the
# standard library with its compiled modules (so the guest compiles
# nothing), less what a headless program never imports, and the
# libraries of its extension modules.
add_python() {
	py=$(readlink -f /usr/bin/python3)
	e2e_install_bin "$root" "$py" /usr/bin/python3
	lib=/usr/lib/$(basename "$py")
	mkdir -p "$root/usr/lib"
	tar -C /usr/lib --exclude=test --exclude=idlelib --exclude=tkinter \
		--exclude=ensurepip --exclude=lib2to3 --exclude=pydoc_data \
		--exclude='config-*' --exclude=site-packages \
		--exclude=dist-packages -cf - "$(basename "$lib")" |
		tar -C "$root/usr/lib" -xf -
	for so in "$lib"/lib-dynload/*.so; do
		e2e_copy_libs "$root" "$so"
	done
	install -m 0644 "$HERE/pyfork.py" "$root/pyfork.py"
}

case $workload in
idle | forkloop) ;;
compile) add_compiler ;;
web) add_web ;;
db) add_db ;;
mix) add_compiler; add_web ;;
pfork) add_forkbench ;;
pmix) add_forkbench; add_compiler ;;
kbuild) add_kbuild ;;
redis) add_redis ;;
python | pyupdate) add_python ;;
*) e2e_die "mkimage-guest: unknown workload $workload" ;;
esac

e2e_pack "$root" "$out" "$busybox"
