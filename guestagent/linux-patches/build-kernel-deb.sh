#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the ptswitch guest kernel as Debian packages: Debian's linux
# source with Debian's patch queue and the ptswitch series, configured
# with Debian's own amd64 config, packaged with `make bindeb-pkg`.
#
#   KERNEL_RELEASE=6.12 guestagent/linux-patches/build-kernel-deb.sh OUTDIR
#   guestagent/linux-patches/build-kernel-deb.sh OUTDIR      (6.1)
#
# Leaves in OUTDIR:
#   linux-image-<krel>_<ver>_amd64.deb    the kernel (/boot/vmlinuz-<krel>,
#                                         /boot/config-<krel>, modules)
#   linux-headers-<krel>_<ver>_amd64.deb  for building external modules
#   config         the kernel's config (as /boot/config-<krel>)
#   debian.config  Debian's amd64 config for the same source, unchanged
#   build-info     source, series, what was switched off, build time
# where <krel> is <upstream>-ptswitch1-amd64 (uname -r) and <ver> is
# Debian's source version plus +ptswitch1, e.g. 6.12.107-1+ptswitch1.
#
# The config: Debian's own amd64 flavour config, merged from the source's
# debian/config files by Debian's debian/bin/kconfig.py exactly as
# debian/rules.gen lists them for config.amd64_none_amd64, then:
#   - no debug info (DEBUG_INFO_NONE: Debian's own pkg.linux.nokerneldbginfo
#     profile does the same; BTF goes with it), to halve the build;
#   - LOCALVERSION -ptswitch1-amd64, so that the package never shares
#     /lib/modules with a Debian kernel (the series changes struct
#     thread_struct, so Debian-built modules must not load into it);
#   - the hardware driver families of TRIM below switched off (a Xen PV
#     guest sees Xen's paravirtual devices, not hardware), unless
#     KDEB_TRIM=0.
# Then every option declared under mm/, fs/, net/, security/,
# arch/x86/xen and drivers/xen, and every Xen option wherever declared,
# must still equal Debian's, apart from the few listed in EXPECTED_DIFF
# (options only the switched-off families use); the build stops
# otherwise.
#
# Environment:
#   KERNEL_RELEASE   6.1 (default, bookworm's linux) or 6.12 (trixie's)
#   KDEB_SUFFIX      version suffix (default ptswitch1)
#   KDEB_TRIM=0      keep Debian's config whole (all hardware drivers;
#                    a much longer build)
#   KBUILD_JOBS      make -j (default 2)
#   LINUX_VERSION, PTSWITCH_SERIES, PTSWITCH_CACHE, PTSWITCH_NO_CACHE
#                    as for build-kernel.sh; results are cached in
#                    $PTSWITCH_CACHE/linux-deb-<key>, the key hashing this
#                    script, kernel-source.sh, the series and its
#                    patches, the release, LINUX_VERSION, the suffix and
#                    KDEB_TRIM.
#   KDEB_WORKDIR     keep the source and object tree in
#                    $KDEB_WORKDIR/<key> instead of a temporary
#                    directory, so that an interrupted build (a 2-core
#                    machine needs hours) resumes where it stopped when
#                    run again; removed once the packages are built.
#                    If a resumed build fails to link, remove it.
# Needs root (or sudo) to install build dependencies.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
cache=${PTSWITCH_CACHE:-/var/cache/ptswitch}
want=${LINUX_VERSION:-}
jobs=${KBUILD_JOBS:-2}
suffix=${KDEB_SUFFIX:-ptswitch1}
trim=${KDEB_TRIM:-1}
work=

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# shellcheck disable=SC2034 # used by debsrc.sh
APT="$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600"

log() { echo "build-kernel-deb: $*" >&2; }

# need_pkgs, mirror_uri, ensure_deb_src
# shellcheck source=../../scripts/debsrc.sh
. "$here/../../scripts/debsrc.sh"
# release, series, patches, patch_file, ks_fetch_dsc, ks_unpack
# shellcheck source=kernel-source.sh
. "$here/kernel-source.sh"

# Hardware driver families switched off (scripts/config -d), one per
# line: the menu symbol, then why a Xen PV domU has no use for it.  A PV
# domU has no emulated hardware, no ACPI, no firmware tables and no
# legacy I/O ports; its disks, network, console, keyboard, framebuffer
# and TPM are Xen frontends (kept, as Debian has them).  PCI devices can
# reach a PV guest only by passthrough (xen-pcifront, kept): a guest that
# needs a passed-through device's driver wants KDEB_TRIM=0.
TRIM='
DRM                 GPUs: none in a PV guest (no passthrough here)
SOUND               sound cards
MEDIA_SUPPORT       cameras, TV and radio tuners
WLAN                wireless NICs
CFG80211            the wireless stack those NICs need
BT                  Bluetooth radios
INFINIBAND          InfiniBand/RDMA adapters
STAGING             staging hardware drivers
IIO                 industrial I/O sensors
COMEDI              data acquisition cards
USB_SERIAL          USB serial adapters
USB_NET_DRIVERS     USB network adapters
USB_GADGET          USB device-side controllers
USB_MISC            miscellaneous USB gadgets
USB_ATM             USB DSL modems
USB_DWC3            SoC USB controllers
TYPEC               USB Type-C port controllers
USB4                USB4/Thunderbolt controllers
ISDN                ISDN cards
PCCARD              PCMCIA/CardBus slots
PARPORT             parallel ports
FIREWIRE            IEEE 1394 controllers
NFC                 NFC radios
INPUT_JOYSTICK      joysticks
INPUT_TABLET        graphics tablets
INPUT_TOUCHSCREEN   touchscreens
INPUT_MOUSE         PS/2 and serial mice (no i8042 in a PV guest)
INPUT_KEYBOARD      PS/2 and GPIO keyboards (xen-kbdfront stays)
HWMON               hardware sensors: no SMBus, ACPI or Super-I/O
X86_PLATFORM_DEVICES  laptop and vendor platform drivers (ACPI/WMI)
CHROME_PLATFORMS    Chromebook platform drivers
SURFACE_PLATFORMS   Surface platform drivers
EDAC                memory controller error reporting
GNSS                GPS receivers
FPGA                FPGA managers
W1                  1-Wire buses
MOST                automotive MOST buses
WWAN                cellular modems
ETHERNET            Ethernet NICs (xen-netfront stays)
SCSI_UFSHCD         UFS flash controllers
ATA                 SATA/PATA controllers (xen-blkfront stays)
MMC                 SD/MMC card readers
MEMSTICK            Memory Stick readers
FUSION              LSI Fusion MPT adapters
SPI                 SPI buses
RC_CORE             infrared remote controls
HID_SUPPORT         HID devices (USB keyboards, mice, gamepads; uhid)
ACCESSIBILITY       Braille consoles
ATM                 ATM adapters and their protocols
ARCNET              ARCnet adapters
IEEE802154          802.15.4 radios
HYPERV              Hyper-V guest drivers: this is a Xen guest
IPMI_HANDLER        IPMI baseboard controllers
PINCTRL             SoC pin controllers
INTEL_TH            Intel Trace Hub
STM                 System Trace Module
INTEL_MEI           Intel Management Engine
DMADEVICES          DMA engines
NTB                 PCIe non-transparent bridges
'

# SCSI host adapters are switched off one by one (scsi_hba below): the
# SCSI_LOWLEVEL menu also holds software that a PV guest uses, which
# stays: iSCSI over TCP, xen-scsifront, scsi_debug, virtio-scsi.
SCSI_KEEP='ISCSI_TCP ISCSI_BOOT_SYSFS XEN_SCSI_FRONTEND SCSI_DEBUG SCSI_VIRTIO'

# Options of the compared Kconfig files that may differ from Debian's
# after TRIM, and why: nothing that is left can use them.
EXPECTED_DIFF='
HMM_MIRROR          mm helper only GPU drivers select (amdgpu, nouveau)
MAPPING_DIRTY_HELPERS  mm helper only a GPU driver selects (vmwgfx)
VMAP_PFN            mm helper only GPU drivers select (i915)
XEN_FRONT_PGDIR_SHBUF  library of the Xen PV display and sound frontends (need DRM, SOUND)
COMPAT_NETLINK_MESSAGES  32-bit wireless extensions (need CFG80211)
NET_DEVLINK         selected only by hardware NIC drivers
DRM_XEN             the Xen PV display frontend menu (needs DRM)
DRM_XEN_FRONTEND    the Xen PV display frontend (needs DRM)
SND_XEN_FRONTEND    the Xen PV sound frontend (needs SOUND)
HYPERV_VSOCKETS     vsock over Hyper-V (needs HYPERV)
NET_9P_RDMA         9p over RDMA (needs INFINIBAND)
RDS_RDMA            RDS over RDMA (needs INFINIBAND)
SUNRPC_XPRT_RDMA    NFS over RDMA (needs INFINIBAND)
TIPC_MEDIA_IB       TIPC over InfiniBand (needs INFINIBAND)
SMC                 SMC-R sockets (need INFINIBAND)
SMC_DIAG            SMC-R socket diagnostics (need INFINIBAND)
'

# Options the series and issue 15 item 10 care about: printed with their
# values, and each must equal Debian's (also covered by the wider check).
WATCH='XEN XEN_PV XEN_PV_SMP PARAVIRT PARAVIRT_XXL XEN_SYS_HYPERVISOR
XEN_BALLOON XEN_SAVE_RESTORE XEN_BLKDEV_FRONTEND XEN_NETDEV_FRONTEND
XEN_PCIDEV_FRONTEND XEN_SCSI_FRONTEND ISCSI_TCP HVC_XEN XEN_PRIVCMD XENFS
XEN_DEV_EVTCHN XEN_GNTDEV TCG_XEN XEN_FBDEV_FRONTEND
INPUT_XEN_KBDDEV_FRONTEND
TRANSPARENT_HUGEPAGE SWAP KSM USERFAULTFD LRU_GEN LRU_GEN_ENABLED
MEMORY_FAILURE DAMON DAMON_VADDR DAMON_PADDR DAMON_RECLAIM
MIGRATION COMPACTION NUMA_BALANCING PGTABLE_LEVELS
JUMP_LABEL STRICT_KERNEL_RWX PAGE_TABLE_CHECK'

words() { echo "$1" | awk 'NF { print $1 }'; }
# Kconfig symbols declared in the files named.
kconfig_syms() {
	sed -n 's/^[[:space:]]*\(menu\)\{0,1\}config[[:space:]]\{1,\}\([A-Za-z0-9_]\{1,\}\).*/\2/p' \
		"$@" | sort -u
}
# The drivers of drivers/scsi's SCSI_LOWLEVEL menu (and of the files it
# sources) but SCSI_KEEP; run in the source tree.
scsi_hba() {
	sed -n '/^if SCSI_LOWLEVEL/,/^endif # SCSI_LOWLEVEL/p' \
		drivers/scsi/Kconfig >"$work/scsi-menu"
	# shellcheck disable=SC2046 # one word per file
	kconfig_syms "$work/scsi-menu" $(sed -n 's/^source "\(.*\)"/\1/p' \
		"$work/scsi-menu") | grep -vxF "$(echo "$SCSI_KEEP" | tr ' ' '\n')"
}

key=$({
	cat "$here/build-kernel-deb.sh" "$here/kernel-source.sh" "$series"
	printf 'release=%s\nwant=%s\nsuffix=%s\ntrim=%s\n' "$release" \
		"$want" "$suffix" "$trim"
	for p in $(patches); do cat "$(patch_file "$p")"; done
} | sha256sum | cut -c1-16)
slot="$cache/linux-deb-$key"

# Concurrent runs sharing a cache take turns (the second then hits it).
if mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ] &&
	command -v flock >/dev/null; then
	exec 9>"$cache/.build-kernel-deb.lock"
	flock 9
fi

from_cache() {
	[ -s "$slot/build-info" ] && ls "$slot"/linux-image-*.deb >/dev/null ||
		return 1
	cp "$slot"/*.deb "$slot/config" "$slot/debian.config" \
		"$slot/build-info" "$out/"
}

if [ "${PTSWITCH_NO_CACHE:-0}" != 1 ] && from_cache 2>/dev/null; then
	log "cached build $key -> $out"
	exit 0
fi

if [ -n "${KDEB_WORKDIR:-}" ]; then
	work=$KDEB_WORKDIR/$key
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/build-kernel-deb.XXXXXX")
	trap 'rm -rf "$work"' EXIT INT TERM
fi

# make bindeb-pkg's own Build-Depends (scripts/package/mkdebian), and
# python3 for Debian's kconfig.py.
install_missing build-essential bc bison flex libelf-dev libssl-dev \
	xz-utils dpkg-dev debhelper kmod cpio rsync python3

ks_fetch_dsc
src="$work/linux"
obj="$work/build"
if [ -f "$work/configured" ]; then
	# Unpacking again would touch every source and rebuild it all.
	log "resuming the build in $work"
	nmod_deb=$(grep -c '=m$' "$work/debian.config")
	nmod=$(grep -c '=m$' "$obj/.config")
	kfiles=$(cat "$work/kfiles")
else
rm -rf "$src" "$obj"
ks_unpack "$src"

# Debian's config: the files and options debian/rules.gen gives its
# amd64 flavour (featureset none), merged by Debian's own kconfig.py,
# then `make olddefconfig` as debian/rules.real does (with oldconfig).
gen=$src/debian/rules.gen
kfiles=$(sed -n "s|.*debian/build/config\.amd64_none_amd64 .*KCONFIG='\([^']*\)'.*|\1|p" "$gen" | head -n1)
[ -n "$kfiles" ] || { log "no amd64 config in $gen"; exit 1; }
log "Debian's amd64 config: $kfiles"
echo "$kfiles" >"$work/kfiles"
mkdir -p "$obj/debian-config"
# shellcheck disable=SC2086 # one word per file
(cd "$src" && python3 debian/bin/kconfig.py "$obj/debian-config/.config" \
	$kfiles)
make -s -C "$src" O="$obj/debian-config" olddefconfig
cp "$obj/debian-config/.config" "$work/debian.config"

# Ours: Debian's, then what the header says.
cp "$work/debian.config" "$obj/.config"
krel_local="-$suffix-amd64"
set -- --set-str LOCALVERSION "$krel_local" -d LOCALVERSION_AUTO \
	-e DEBUG_INFO_NONE -d DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT \
	-d DEBUG_INFO_DWARF4 -d DEBUG_INFO_DWARF5
if [ "$trim" != 0 ]; then
	for s in $(words "$TRIM"); do set -- "$@" -d "$s"; done
	for s in $(cd "$src" && scsi_hba); do set -- "$@" -d "$s"; done
fi
"$src/scripts/config" --file "$obj/.config" "$@"
make -s -C "$src" O="$obj" olddefconfig

# The check: every option of the compared Kconfig files, and every Xen
# option, as Debian has it
# ("absent" and "is not set" are the same, n), apart from EXPECTED_DIFF
# (with TRIM only) and the net/ families TRIM switches off.  Prints one
# line per difference, "ok" or "BAD" first.
kfiles_cmp=$(cd "$src" && {
	find mm arch/x86/xen drivers/xen -name 'Kconfig*'
	find fs security net -name Kconfig | grep -v -E \
		'^net/(bluetooth|wireless|mac80211|nfc|atm|ieee802154|mac802154|6lowpan)/'
})
# shellcheck disable=SC2086 # one word per file
(cd "$src" && kconfig_syms $kfiles_cmp) >"$work/syms"
# Every Xen option, wherever declared (xen-scsifront is in drivers/scsi).
cat "$work/debian.config" "$obj/.config" |
	sed -n 's/^\(# \)\{0,1\}CONFIG_\([A-Z0-9_]*\).*/\2/p' |
	grep -E '(^|_)XEN(_|$)' | sort -u >>"$work/syms"
for s in $WATCH; do echo "$s"; done >>"$work/syms"
allowed=""
[ "$trim" = 0 ] || allowed=$EXPECTED_DIFF
echo "$allowed" >"$work/allowed"
awk -v deb="$work/debian.config" -v ours="$obj/.config" \
	-v allowed="$work/allowed" '
	function load(f, a,   line, k, v) {
		while ((getline line <f) > 0) {
			if (line !~ /^CONFIG_/) continue
			k = substr(line, 8); v = k
			sub(/=.*/, "", k); sub(/^[^=]*=/, "", v)
			a[k] = v
		}
	}
	function val(a, k) { return (k in a) ? a[k] : "n" }
	BEGIN {
		load(deb, d); load(ours, o)
		while ((getline line <allowed) > 0) {
			nw = split(line, w, /[ \t]+/)
			if (nw < 1 || w[1] == "") continue
			why = line; sub(/^[^ \t]+[ \t]+/, "", why); ok[w[1]] = why
		}
	}
	seen[$1]++ { next }
	{
		n++
		if (val(d, $1) == val(o, $1)) next
		if ($1 in ok)
			print "ok", $1, val(d, $1), "->", val(o, $1) " (" ok[$1] ")"
		else
			print "BAD", $1, "is", val(o, $1) ", Debian has", val(d, $1)
	}
	END { print "compared", n }
' "$work/syms" >"$work/check"
while read -r line; do log "config: $line"; done <"$work/check"
for s in $WATCH; do
	log "config: $s=$(sed -n "s/^CONFIG_$s=//p" "$obj/.config" | grep . ||
		echo n)"
done
bad=0
grep -q '^BAD ' "$work/check" && bad=1
[ "$bad" = 0 ] || { log "config differs from Debian's (above)"; exit 1; }
nmod_deb=$(grep -c '=m$' "$work/debian.config")
nmod=$(grep -c '=m$' "$obj/.config")
log "config: $nmod modules (Debian's amd64: $nmod_deb)"
touch "$work/configured"
fi

# Reproducible: no build host, user or time in the image.
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$src/debian/changelog" \
	-S Timestamp)
export SOURCE_DATE_EPOCH
export KBUILD_BUILD_TIMESTAMP="@$SOURCE_DATE_EPOCH"
export KBUILD_BUILD_USER=ptswitch KBUILD_BUILD_HOST=build
pkgversion="$version+$suffix"
krel=$(make -s -C "$src" O="$obj" kernelrelease)

log "building bindeb-pkg $krel $pkgversion with $jobs jobs (nice 19)"
start=$(date +%s)
nice -n 19 make -C "$src" O="$obj" -j"$jobs" \
	KDEB_PKGVERSION="$pkgversion" KDEB_COMPRESS=gzip \
	KDEB_CHANGELOG_DIST="$(sed -n '1s/.*) \([^;]*\);.*/\1/p' \
		"$src/debian/changelog")" \
	bindeb-pkg >>"$work/build.log" 2>&1 || {
	tail -n 40 "$work/build.log" >&2
	log "build failed"
	exit 1
}
secs=$(($(date +%s) - start))

# bindeb-pkg leaves the packages beside the source tree.
image=$work/linux-image-${krel}_${pkgversion}_amd64.deb
headers=$work/linux-headers-${krel}_${pkgversion}_amd64.deb
[ -s "$image" ] || { log "no $image"; ls "$work" >&2; exit 1; }
cp "$image" "$out/"
[ -s "$headers" ] && cp "$headers" "$out/"
cp "$obj/.config" "$out/config"
cp "$work/debian.config" "$out/debian.config"
{
	echo "release=$release"
	echo "source=linux $version"
	echo "kernelrelease=$krel"
	echo "package-version=$pkgversion"
	echo "key=$key"
	echo "patches=$(patches | tr '\n' ' ')"
	echo "debian-config=$kfiles"
	if [ "$trim" = 0 ]; then
		echo "trim=none"
	else
		echo "trim=$(words "$TRIM" | tr '\n' ' ')"
	fi
	echo "modules=$nmod (debian: $nmod_deb)"
	echo "compiler=$(gcc --version | head -n1)"
	echo "build-seconds=$secs"
	echo "jobs=$jobs"
	echo "load-at-end=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/build-info"
log "built in ${secs}s -> $out"

# Publish to the cache atomically; failure to cache is not an error.
if mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ]; then
	tmp=$(mktemp -d "$cache/.linux-deb-$key.XXXXXX")
	cp "$out"/linux-*.deb "$out/config" "$out/debian.config" \
		"$out/build-info" "$tmp/"
	rm -rf "$slot"
	mv "$tmp" "$slot" 2>/dev/null || rm -rf "$tmp"
fi
[ -z "${KDEB_WORKDIR:-}" ] || rm -rf "$work"

