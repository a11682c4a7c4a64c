#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages ptswitch needs.  Idempotent, and quick when
# everything is present.
#   scripts/install-deps.sh        build, fast tests, demo
#   scripts/install-deps.sh e2e    the end-to-end lab on top of that (Xen
#                                  under QEMU; the guest kernel is not
#                                  installed, run-e2e.sh unpacks it)
#   scripts/install-deps.sh record the trace-recording lab on top of e2e
#                                  (the guests' workloads, copied from
#                                  the host into their images)
#   scripts/install-deps.sh deb    the Debian packages' build and checks
#                                  (make deb, make deb-check)
#   scripts/install-deps.sh systemd  the packaged units booted under
#                                  systemd (make systemd-check):
#                                  systemd-nspawn, mmdebstrap
#   scripts/install-deps.sh fuzz   clang and its libFuzzer runtime (make fuzz)
#   scripts/install-deps.sh xendeb the build dependencies of Debian's xen
#                                  source package (arch-dependent build,
#                                  make xen-debs) and the tools to check
#                                  the .debs (make xen-debs-check)
set -eu

# prometheus: promtool, which checks the metrics textfile and the alert rules.
PKGS="build-essential pkg-config libxen-dev libyaml-dev libsystemd-dev
libcmocka-dev xenstore-utils xen-utils-4.17 python3 groff-base prometheus"
for set in "$@"; do
	case $set in
	e2e) PKGS="$PKGS qemu-system-x86 busybox-static
xen-hypervisor-4.17-amd64 xz-utils kmod" ;;
	record) PKGS="$PKGS qemu-system-x86 busybox-static
xen-hypervisor-4.17-amd64 xz-utils gcc binutils nginx-light apache2-utils
postgresql-15 postgresql-client-15 dpkg-dev strace flex bison bc libelf-dev
redis-server redis-tools python3" ;;
	deb) PKGS="$PKGS dpkg-dev debhelper lintian fakeroot systemd" ;;
	systemd) PKGS="$PKGS systemd-container mmdebstrap" ;;
	fuzz) PKGS="$PKGS clang libclang-rt-dev" ;;
	# Build-Depends of bookworm's xen 4.17 (debian/control), amd64 only
	# (acpica-tools for the virtual iasl), plus what its check uses
	# (tests/packaging/test-xen-debs.sh: nm, readelf, mmdebstrap).
	xendeb) PKGS="$PKGS dpkg-dev debhelper dh-exec file rdfind lsb-release
flex bison python3-dev libpython3-dev dh-python bcc gcc-multilib libext2fs-dev
acpica-tools seabios libaio-dev libglib2.0-dev liblzma-dev libncurses-dev
libpixman-1-dev libyajl-dev pkg-config uuid-dev zlib1g-dev libzstd-dev pandoc
ocaml ocaml-findlib binutils mmdebstrap" ;;
	*) echo "install-deps: unknown set '$set' (known: e2e record deb systemd fuzz xendeb)" >&2; exit 2 ;;
	esac
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# shellcheck disable=SC2034 # used by debsrc.sh
APT="$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600"
log() { echo "install-deps: $*"; }
# need_pkgs, install_missing (waits for another apt's locks)
# shellcheck source=debsrc.sh
. "$(dirname "$0")/debsrc.sh"
# shellcheck disable=SC2086 # one word per package
install_missing $PKGS
