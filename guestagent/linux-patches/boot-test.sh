#!/bin/sh
# SPDX-License-Identifier: MIT
# Boot the ptswitch guest kernel and Debian's stock kernel side by side as
# PV guests in the e2e lab (Xen under QEMU TCG, tests/e2e), and check what
# each declares and what ptswitch-agent makes of it (lab/dom0-checks.sh).
# The agent (and, for --fork, --smp and --saverestore, ptswitchd) is
# installed into the images from this tree's .debs with dpkg
# (tests/e2e/lab-debs.sh: LAB_DEBS=DIR, or built once per tree).
#
#   boot-test.sh [--xen XEN_GZ] [--expect stock|patched] [--kernel DIR]
#                [--build DIR] [--no-build] [--timeout SECS] [--log FILE]
#                [--fork MIB,FORKS,LOAD,STOCK_MIB,STOCK_FORKS] [--compare DIR]
#                [--smp PROCS,MIB,FORKS] [--saverestore MIB]
#                [--dom0-image DIR] [--kdeb DIR] [--mm SECONDS]
#
# --xen      hypervisor (default Debian's /boot/xen-4.17-amd64.gz: it
#            refuses the opt-in, so the patched guest must report
#            vm-assist-off); hv-patches/build-xen.sh OUTDIR/xen.gz accepts
#            it (patch 0003), and the patched guest must report capable
# --expect   what to expect (default: stock for a file under /boot)
# --kernel   a build-kernel.sh OUTDIR (default: run build-kernel.sh, cached)
# --build    build dir for pt-domctl and the guest tools (default
#            build/kguest)
# --no-build use the tools already in the build dir
# --timeout  seconds before QEMU is killed (default 1500)
# --log      console log (default BUILD/console-<stock|patched>.log)
# --fork     run the fork end-to-end (lab/dom0-fork.sh, under ptswitchd)
#            instead of the boot checks: forkbench of MIB MiB, FORKS forks
#            per measured run, LOAD per load run, and the stock guest's
#            size and forks (see fork-e2e.sh, which sets these)
# --compare  with --fork: a second build-kernel.sh OUTDIR whose kernel
#            also runs the EMULATE bench in the same boot, for a before/
#            after figure (printed, not checked)
# --smp      run the SMP end-to-end (lab/dom0-smp.sh, a 2-vCPU guest
#            pinned to BATCH by ptswitchd) instead: PROCS forkbench -t at
#            once, each MIB MiB and FORKS forks, in EMULATE then in BATCH
#            (see smp-e2e.sh, which sets these); Xen's serial log must
#            then show no crash or warning either
# --saverestore  run the save/restore/migration end-to-end
#            (lab/dom0-saverestore.sh) instead: one guest with a fork load
#            of MIB MiB, moved by xl save/restore and xl migrate (see
#            saverestore-e2e.sh); Xen's serial log must stay clean
# --dom0-image  boot DIR/vmlinuz with DIR/dom0.cpio.gz, its guests
#            DIR/guest.cpio.gz, and DIR/kguest/'s guest tools (forkbench,
#            stuckpmd, zapfault) and xenctx, instead of building the
#            bookworm images here: the trixie lab's images, made in the
#            trixie root (tests/trixie/lab.sh leaves them in
#            build/trixie/lab), so that a Xen 4.20 is driven by 4.20's
#            tools; the stock guest is then trixie's kernel.  Only the
#            patched guest kernel (--kernel) comes from this host.  Not
#            with --saverestore.
# --kdeb     run the packaged kernel end-to-end (lab/dom0-kdeb.sh, under
#            ptswitchd) instead: DIR is a build-kernel-deb.sh OUTDIR;
#            its linux-image .deb is installed with dpkg into the guest
#            image (with kmod, for modprobe), and the guest boots the
#            /boot/vmlinuz-* dpkg installed there (see kdeb-e2e.sh, which
#            also sets --fork's first three sizes for it).  Not with
#            --dom0-image.
# --mm       with --smp or --kdeb: run mmstress (tests/mmstress) in the
#            guest in BATCH for SECONDS (e2e.mm on dom0's command line;
#            0, the default, runs none).  The guest image carries
#            mmstress whenever the tools dir has it.
#
# Exits 0 only if every check passed and dom0 reached the end.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
E2E=$TOP/tests/e2e
# shellcheck source=../../tests/e2e/lib.sh
. "$E2E/lib.sh"

xen=/boot/xen-4.17-amd64.gz
flavour=
kdir=
cmpdir=
build=$TOP/build/kguest
do_build=1
timeout_s=1500
log=
fork=
smp=
sr=
dom0_image=
kdeb=
mm=0
while [ $# -gt 0 ]; do
	case $1 in
	--xen) xen=$2; shift 2 ;;
	--expect) flavour=$2; shift 2 ;;
	--kernel) kdir=$2; shift 2 ;;
	--compare) cmpdir=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--no-build) do_build=0; shift ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--fork) fork=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--saverestore) sr=$2; shift 2 ;;
	--dom0-image) dom0_image=$(cd "$2" && pwd); do_build=0; shift 2 ;;
	--kdeb) kdeb=$(cd "$2" && pwd); shift 2 ;;
	--mm) mm=$2; shift 2 ;;
	-h | --help) sed -n '2,60p' "$0"; exit 0 ;;
	*) e2e_die "unknown argument $1 (see --help)" ;;
	esac
done

if [ -n "$dom0_image" ] && [ -n "$sr$kdeb" ]; then
	e2e_die "--saverestore and --kdeb have no --dom0-image form"
fi
if [ -n "$kdeb" ] && [ -z "$fork" ]; then
	e2e_die "--kdeb needs --fork's sizes"
fi
case $mm in
'' | *[!0-9]*) e2e_die "--mm takes a number of seconds" ;;
esac
t_start=$(date +%s)
e2e_workdir

flavour=$(e2e_flavour "$xen" "$flavour") || exit 1
# The fork end-to-end: its own guest /init and dom0 checks, forkbench in
# the guests, ptswitchd in dom0, and room for the benchmark's parent.
guest_init=$HERE/lab/guest-init
dom0_checks=$HERE/lab/dom0-checks.sh
qemu_mb=2048
fb_args=
policy=
if [ -n "$fork" ]; then
	IFS=, read -r fb_mib fb_forks fb_load fb_smib fb_sforks <<EOF
$fork
EOF
	for v in "$fb_mib" "$fb_forks" "$fb_load" "$fb_smib" "$fb_sforks"; do
		case $v in
		'' | *[!0-9]*) e2e_die "--fork takes five numbers" ;;
		esac
	done
	guest_init=$HERE/lab/guest-fork-init
	dom0_checks=$HERE/lab/dom0-fork.sh
	[ -z "$kdeb" ] || dom0_checks=$HERE/lab/dom0-kdeb.sh
	policy=$HERE/lab/fork-policy.yaml
	fb_args="e2e.fb.mib=$fb_mib e2e.fb.forks=$fb_forks"
	fb_args="$fb_args e2e.fb.load=$fb_load e2e.fb.smib=$fb_smib"
	fb_args="$fb_args e2e.fb.sforks=$fb_sforks"
	# dom0 512 MiB, each guest its parent plus 128, Xen and slack 384.
	need=$((512 + fb_mib + 128 + fb_smib + 128 + 384))
	# --kdeb: one guest, its image unpacked (lab/dom0-kdeb.sh sizes it).
	[ -z "$kdeb" ] || need=$((512 + fb_mib + 160 + 384 + 512))
	[ -n "$cmpdir" ] && need=$((need + fb_mib + 128))
	[ "$need" -gt "$qemu_mb" ] && qemu_mb=$need
elif [ -n "$smp" ]; then
	IFS=, read -r smp_procs smp_mib smp_forks <<EOF
$smp
EOF
	for v in "$smp_procs" "$smp_mib" "$smp_forks"; do
		case $v in
		'' | *[!0-9]*) e2e_die "--smp takes three numbers" ;;
		esac
	done
	guest_init=$HERE/lab/guest-fork-init
	dom0_checks=$HERE/lab/dom0-smp.sh
	policy=$HERE/lab/smp-policy.yaml
	fb_args="e2e.smp.procs=$smp_procs e2e.smp.mib=$smp_mib"
	# Each of the two stress runs may take a quarter of the time left
	# after the boot, the rest is for the checks (and a stuck run's
	# diagnosis).
	fb_args="$fb_args e2e.smp.forks=$smp_forks"
	fb_args="$fb_args e2e.smp.timeout=$(((timeout_s - 300) / 4))"
	# dom0 512 MiB, the guest as dom0-smp.sh sizes it, Xen and slack 384.
	need=$((512 + smp_procs * (smp_mib + 8) + 160 + 384))
	[ "$need" -gt "$qemu_mb" ] && qemu_mb=$need
elif [ -n "$sr" ]; then
	case $sr in
	'' | *[!0-9]*) e2e_die "--saverestore takes a number" ;;
	esac
	guest_init=$HERE/lab/guest-fork-init
	dom0_checks=$HERE/lab/dom0-saverestore.sh
	policy=$HERE/lab/saverestore-policy.yaml
	fb_args="e2e.sr.mib=$sr"
	# dom0 512 MiB (the save file is in its tmpfs), the guest twice (a
	# migration to localhost holds both copies), Xen and slack 384.
	need=$((512 + 2 * (2 * sr + 112) + 384))
	[ "$need" -gt "$qemu_mb" ] && qemu_mb=$need
fi
[ -n "$log" ] ||
	log=$build/console-${kdeb:+kdeb-}${fork:+fork-}${smp:+smp-}${sr:+sr-}$flavour.log
mkdir -p "$build" "$(dirname "$log")"

"$TOP/scripts/install-deps.sh"
"$E2E/install-deps.sh"

if [ -n "$kdeb" ]; then
	# The packaged kernel: its linux-image .deb, and its release.
	for kdeb_image in "$kdeb"/linux-image-*.deb; do break; done
	[ -s "$kdeb_image" ] || e2e_die "no linux-image .deb in $kdeb"
	kdeb_pkg=$(dpkg-deb -f "$kdeb_image" Package)
	kdeb_krel=${kdeb_pkg#linux-image-}
elif [ -z "$kdir" ]; then
	kdir=$work/kernel
	"$HERE/build-kernel.sh" "$kdir"
fi
[ -n "$kdeb" ] || [ -s "$kdir/vmlinux" ] || e2e_die "no vmlinux in $kdir"
if [ -n "$cmpdir" ]; then
	[ -n "$fork" ] || e2e_die "--compare needs --fork"
	[ -s "$cmpdir/vmlinux" ] || e2e_die "no vmlinux in $cmpdir"
fi

if [ "$do_build" = 1 ]; then
	make -C "$TOP" -s BUILD="$build" tools >&2
fi
# The guest tools: this host's build, or the trixie root's with the
# image (its agent, pt-domctl and ptswitchd are in the image already).
tools=$build
[ -z "$dom0_image" ] || tools=$dom0_image/kguest
if [ -n "$fork$smp$sr" ]; then
	[ -x "$tools/forkbench" ] || e2e_die "no $tools/forkbench"
	[ -x "$tools/stuckpmd" ] || e2e_die "no $tools/stuckpmd"
	[ -x "$tools/zapfault" ] || e2e_die "no $tools/zapfault"
fi
if [ -n "$dom0_image" ]; then
	for f in vmlinuz dom0.cpio.gz guest.cpio.gz; do
		[ -s "$dom0_image/$f" ] || e2e_die "no $dom0_image/$f"
	done
	[ -z "$smp" ] || [ -x "$tools/xenctx" ] || e2e_die "no $tools/xenctx"
	vmlinuz=$dom0_image/vmlinuz
else
	# ptswitchd and the agent are installed from the .debs
	# (tests/e2e/lab-debs.sh: LAB_DEBS=DIR, or built once per tree).
	debs=$("$E2E/lab-debs.sh")
	version=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
	agent_deb=$debs/ptswitch-agent_${version}_amd64.deb
	domctl=
	[ -x "$build/pt-domctl" ] && domctl=$build/pt-domctl
	daemon_deb=
	if [ -n "$fork$smp$sr" ]; then
		[ -n "$domctl" ] || e2e_die "no $build/pt-domctl"
		daemon_deb=$debs/ptswitchd_${version}_amd64.deb
	fi

	# Debian's kernel (dom0, and the stock guest), as the lab fetches it.
	cache=$(e2e_cache_dir "$work")
	e2e_kernel_tree "$cache"
	for vmlinuz in "$ktree"/boot/vmlinuz-*; do break; done
	[ -r "$vmlinuz" ] || e2e_die "no kernel in $ktree/boot"
	stock_elf=$ktree/vmlinux
	if [ ! -s "$stock_elf" ] &&
		! e2e_extract_vmlinux "$vmlinuz" "$stock_elf"; then
		stock_elf=$vmlinuz
	fi
fi

e2e_xen_elf "$xen" "$work/xen.elf"

# Guest image: the lab's, with our /init appended over its own.
e2e_log "building the images"
if [ -n "$dom0_image" ]; then
	cp "$dom0_image/guest.cpio.gz" "$work/lab-guest.cpio.gz"
else
	# pt-domctl in the save/restore guest: its "consent" command (the
	# kernel renews its own consent when it resumes, patch 0006).
	# --kdeb: the kernel package, and kmod for its xz modules.
	kdeb_debs=
	[ -z "$kdeb" ] || kdeb_debs="--deb $kdeb_image --kmod"
	# shellcheck disable=SC2086 # one word per option
	"$E2E/mkinitrd-guest.sh" --out "$work/lab-guest.cpio.gz" \
		--deb "$agent_deb" $kdeb_debs \
		${sr:+--domctl "$domctl" --kernel-tree "$ktree"}
fi
mkdir -p "$work/goverlay"
install -m 0755 "$guest_init" "$work/goverlay/init"
if [ -n "$kdeb" ]; then
	mkdir -p "$work/goverlay/e2e"
	cp "$HERE/lab/guest-kdeb.sh" "$work/goverlay/e2e/kdeb.sh"
fi
if [ -n "$fork$smp$sr" ]; then
	mkdir -p "$work/goverlay/usr/bin"
	install -m 0755 "$tools/forkbench" "$work/goverlay/usr/bin/forkbench"
	install -m 0755 "$tools/stuckpmd" "$work/goverlay/usr/bin/stuckpmd"
	install -m 0755 "$tools/zapfault" "$work/goverlay/usr/bin/zapfault"
	# Optional: the trixie lab's tools dir has none (yet); the checks
	# then say so.
	[ ! -x "$tools/mmstress" ] ||
		install -m 0755 "$tools/mmstress" "$work/goverlay/usr/bin/mmstress"
fi
e2e_pack "$work/goverlay" "$work/goverlay.cpio.gz" /bin/busybox
# One gzip member: libxenguest cannot unpack concatenated ones.
{
	gzip -dc "$work/lab-guest.cpio.gz"
	gzip -dc "$work/goverlay.cpio.gz"
} | gzip -9n >"$work/guest.cpio.gz"

# dom0 image: the lab's (its guest kernel is the stock one), with our
# checks and the patched kernel appended.  The trixie image's guest
# initrd is replaced by ours (a later archive's file wins).
mkdir -p "$work/doverlay/e2e/kguest"
if [ -n "$dom0_image" ]; then
	cp "$dom0_image/dom0.cpio.gz" "$work/lab-dom0.cpio.gz"
	cp "$work/guest.cpio.gz" "$work/doverlay/e2e/guest.cpio.gz"
else
	"$E2E/mkinitrd-dom0.sh" --out "$work/lab-dom0.cpio.gz" \
		--kernel-tree "$ktree" --guest-initrd "$work/guest.cpio.gz" \
		--guest-kernel "$stock_elf" ${domctl:+--domctl "$domctl"} \
		${daemon_deb:+--deb "$daemon_deb"} >&2
fi
install -m 0755 "$dom0_checks" "$work/doverlay/e2e/checks.sh"
if [ -n "$policy" ]; then
	cp "$policy" "$work/doverlay/e2e/"
	cp "$HERE/lab/dom0-forklib.sh" "$work/doverlay/e2e/forklib.sh"
fi
if [ -n "$sr" ]; then
	install -m 0755 "$HERE/lab/localssh" "$work/doverlay/e2e/"
	# xl save, restore and migrate run it; its libraries are xl's.
	mkdir -p "$work/doverlay/usr/lib/xen-4.17/bin"
	install -m 0755 /usr/lib/xen-4.17/bin/libxl-save-helper \
		"$work/doverlay/usr/lib/xen-4.17/bin/"
fi
if [ -n "$smp" ]; then
	# To show where the guest's vCPUs are if the stress gets stuck.
	# Its libraries are the image's already (libxenctrl, as xl's); an
	# overlay must not carry /lib, which is a symlink in the image.
	mkdir -p "$work/doverlay/usr/sbin"
	xenctx=/usr/lib/xen-4.17/bin/xenctx
	[ -z "$dom0_image" ] || xenctx=$tools/xenctx
	install -m 0755 "$xenctx" "$work/doverlay/usr/sbin/"
	nm -n "$kdir/vmlinux" >"$work/doverlay/e2e/kguest/System.map"
fi
if [ -n "$kdeb" ]; then
	# The guest boots the package's /boot/vmlinuz-<krel>, the file dpkg
	# installed into its image (the guest compares it with the md5sum
	# dpkg recorded there).
	dpkg-deb --fsys-tarfile "$kdeb_image" |
		tar -xOf - "./boot/vmlinuz-$kdeb_krel" \
			>"$work/doverlay/e2e/kguest/vmlinuz"
	[ -s "$work/doverlay/e2e/kguest/vmlinuz" ] ||
		e2e_die "no /boot/vmlinuz-$kdeb_krel in $kdeb_image"
	fb_args="$fb_args e2e.kdeb.krel=$kdeb_krel e2e.kdeb.pkg=$kdeb_pkg"
	# Colons: a comma would split QEMU's -initrd list.
	fb_args="$fb_args e2e.kdeb.modules=$(echo "$KDEB_MODULES" | tr , :)"
else
	cp "$kdir/vmlinux" "$work/doverlay/e2e/kguest/vmlinux"
	# What the checks may expect of it (its KUnit suite, its patches).
	for f in config build-info; do
		[ ! -r "$kdir/$f" ] || cp "$kdir/$f" "$work/doverlay/e2e/kguest/"
	done
fi
if [ -n "$cmpdir" ]; then
	mkdir -p "$work/doverlay/e2e/kguest-compare"
	cp "$cmpdir/vmlinux" "$work/doverlay/e2e/kguest-compare/vmlinux"
fi
e2e_pack "$work/doverlay" "$work/doverlay.cpio.gz" /bin/busybox
cat "$work/lab-dom0.cpio.gz" "$work/doverlay.cpio.gz" >"$work/dom0.cpio.gz"

dom0_cmdline="console=hvc0 earlyprintk=xen rdinit=/init e2e.xen=$flavour"
dom0_cmdline="$dom0_cmdline${fb_args:+ $fb_args} e2e.mm=$mm"

t_boot=$(date +%s)
e2e_log "booting $xen ($flavour) under QEMU (TCG), console log: $log"
e2e_boot "$work/xen.elf" "$vmlinuz" "$dom0_cmdline" "$work/dom0.cpio.gz" \
	"$log" "$timeout_s" "$qemu_mb"
t_end=$(date +%s)

strip() { sed 's/^\[ *[0-9.]*\] //' "$log"; }
strip | grep -a '^E2E: \(PASS\|FAIL\|SKIP\|INFO\|CONSOLE\|RESULT\|TIME\)' ||
	true
e2e_log "boot+checks $((t_end - t_boot)) s, total $((t_end - t_start)) s"

# The SMP, save/restore and packaged kernel runs also read Xen's whole serial log: dom0's "xl dmesg" sees
# only what is left in Xen's ring.
xpass=0 xfail=0
if [ -n "$smp$sr$kdeb" ]; then
	xbad=$(strip | grep -a '^(XEN)' | grep -a -E \
		'domain_crash|crashed|Xen WARN|Xen BUG|Assertion|FATAL|Panic|pt batch:' ||
		true)
	if [ -z "$xbad" ]; then
		echo "E2E: PASS xen-serial-clean"
		xpass=1
	else
		xfail=1
		echo "E2E: FAIL xen-serial-clean $(echo "$xbad" | head -n 3 |
			tr '\n' '|')"
		echo "$xbad" | head -n 40 | sed 's/^/E2E: INFO xen: /'
	fi
fi
nfail=$(($(strip | grep -ac '^E2E: FAIL ' || true) + xfail))
npass=$(($(strip | grep -ac '^E2E: PASS ' || true) + xpass))
if ! strip | grep -aq '^E2E: DONE'; then
	nfail=$((nfail + 1))
	echo "E2E: FAIL run dom0 never reached the end; last console lines:"
	tail -n 40 "$log"
fi
echo "$npass passed, $nfail failed"
[ "$nfail" = 0 ] && [ "$npass" -gt 0 ]
