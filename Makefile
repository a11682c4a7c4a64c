# SPDX-License-Identifier: MIT
# ptswitch: the one build system.
#
#   make               build ptswitchd and ptswitch-agent into build/
#   make check         install test dependencies, build with ASan+UBSan into
#                      build/san/, run unit and integration tests
#   make demo          install dependencies, run the demo (real xenstored,
#                      sim backend, simulated guests)
#   make e2e           Xen under QEMU: patched and stock hypervisor, a Debian
#                      dom0 running ptswitchd, PV guests running the agent
#   make e2e-pvguest-loop  Xen under QEMU, patched: ptswitchd switches the
#                      pvguest test kernel to BATCH and back
#   make e2e-pvguest-races Xen under QEMU, a debug build of the patched Xen
#                      with BATCH's race windows widened
#                      (CONFIG_PT_BATCH_WIDEN_RACES): the pvguest cases
#                      written against those races
#   make fuzz-pvguest  Xen under QEMU, that debug build: the pvguest kernel's
#                      seeded fuzz mode, 2-4 vCPUs in BATCH, a few minutes
#                      (FUZZ_SEED= replays, FUZZ_OPS= per vCPU);
#                      fuzz-pvguest-long: 10^6 ops on the release build
#   make e2e-linux     Xen under QEMU: the patched Linux guest and a stock one
#                      under ptswitchd, forkbench in EMULATE then in BATCH
#                      (guestagent/linux-patches/README.md)
#   make e2e-linux-smp Xen under QEMU: the patched Linux guest with two
#                      vCPUs pinned to BATCH by ptswitchd, a concurrent
#                      fork/mmap stress, EMULATE as the control, then
#                      mmstress (tests/mmstress) in BATCH for 30 s
#   make e2e-linux-mmstress  the same lab with a long mmstress run in
#                      BATCH: MMSTRESS_SECONDS (default 3600)
#   make e2e-linux-saverestore  Xen under QEMU: the patched Linux guest
#                      moved by xl save/restore and xl migrate, in EMULATE
#                      and in BATCH under a fork load
#   make check-trixie  Debian trixie (Xen 4.20): build and run the unit and
#                      integration tests inside a trixie root of our own
#                      (tests/trixie/README.md), against trixie's xenstored
#   make e2e-trixie    Xen 4.20 under QEMU with a trixie dom0: stock, then
#                      patched (xen-4.20/), then the PV test kernel and the
#                      patched Linux 6.12 guest (fork, SMP) on it
#   make bench         benchmarks that print figures (not pass/fail)
#   make eval          replay tests/traces through the policy engine and
#                      compare it with an offline oracle (tests/eval/)
#   make install       DESTDIR=, PREFIX= (default /usr/local); with the
#                      manual pages (make install-man); install-daemon and
#                      install-agent install one side each
#   make deb           the Debian packages ptswitchd and ptswitch-agent
#                      (dpkg-buildpackage -us -uc -b), into build/deb/
#   make deb-check     build them, lintian, install into a throwaway root,
#                      check contents and units (CI)
#   make deb-check-trixie  the same, built and checked inside the trixie
#                      root (Xen 4.20, trixie's lintian), into
#                      build/trixie/deb-check
#   make systemd-check the .debs installed in a bookworm root booted with
#                      systemd as PID 1 (systemd-nspawn): boot order after
#                      xen.service, readiness, watchdog, reload, stop
#                      (tests/systemd/README.md)
#   make systemd-check-trixie  the same with the trixie .debs in the trixie
#                      root (systemd 257, trixie's packaged xen.service)
#   make e2e-systemd   the same under Xen (QEMU TCG): systemd as PID 1 in
#                      dom0 and a guest, ptswitchd's xenctrl backend on
#                      the patched Xen under the shipped unit
#   make xen-debs      Debian's xen source package rebuilt with hv-patches/
#                      series (+ptswitch1), amd64 .debs into build/xen-debs/
#                      (hv-patches/build-xen-debs.sh; cached)
#   make xen-debs-check  build them, check version, files, dependencies and
#                      the series in them, install into a bookworm root
#   make e2e-xen-debs  Xen under QEMU booting the hypervisor from the
#                      xen-hypervisor-4.17-amd64 .deb (the patched checks)
#   make kernel-debs   Debian's linux source with the guest series and
#                      Debian's own amd64 config (hardware driver families
#                      a PV guest cannot have switched off), make
#                      bindeb-pkg: linux-image/-headers .debs
#                      (-ptswitch1-amd64) into build/kernel-debs/
#                      (KERNEL_RELEASE=6.12 default, or 6.1; cached)
#   make e2e-kernel-deb  Xen under QEMU: that linux-image .deb installed
#                      with dpkg into a PV guest image, the guest booted
#                      from it, switched to BATCH and back by ptswitchd
#                      under a fork load (kdeb-e2e.sh)
#   make fuzz          libFuzzer targets (clang) over the parsers of
#                      untrusted input, FUZZ_SECONDS each (default 60),
#                      printing execs and coverage (tests/fuzz/README.md)
#   make fuzz-short    the same for FUZZ_SECONDS=10 each (what CI runs)
#   make format        clang-format every source file in place

PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR   ?= /lib/systemd/system
DESTDIR   ?=

BUILD     ?= build
SAN       ?= 0
B         := $(BUILD)

CC        ?= cc
PKG_CONFIG ?= pkg-config
PKGS      := xenstore xencontrol yaml-0.1 libsystemd

OPTFLAGS  ?= -O2 -g
WARNFLAGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral \
             -Wmissing-prototypes -Wstrict-prototypes -Wvla
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined
ifeq ($(SAN),1)
OPTFLAGS  := -O1 -g
EXTRA     := $(SANFLAGS)
endif
# The fuzz build (make fuzz): clang, every object instrumented for
# libFuzzer's coverage; only the harnesses link its main.
ifeq ($(FUZZ),1)
CC        := clang
EXTRA     += -fsanitize=fuzzer-no-link
endif

# Recursively expanded on purpose: the packages may be installed by a
# 'deps' step that runs before the first compile.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
# The agent needs libxenstore and nothing else (its package depends on
# that alone, and it builds without the daemon's -dev packages).
AGENT_LIBS = $(shell $(PKG_CONFIG) --libs xenstore 2>/dev/null)

CPPFLAGS  += -D_GNU_SOURCE -Icommon -Idaemon -Iguestagent -Itests/eval
ALL_CFLAGS = -std=gnu11 $(OPTFLAGS) $(WARNFLAGS) $(EXTRA) $(PKG_CFLAGS) \
             $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS)
# The lab scripts pass BUILD as an absolute path, plain make a relative
# one: the dependency rules name the object both ways, or a header
# change rebuilds nothing after a build under the other spelling.
DEPFLAGS   = -MMD -MP -MT $(abspath $@) \
             -MT $(patsubst $(CURDIR)/%,%,$(abspath $@))
ALL_LDFLAGS = $(EXTRA) $(LDFLAGS)

COMMON_SRC := $(wildcard common/*.c)
DAEMON_SRC := $(filter-out daemon/main.c daemon/ctl%.c,$(wildcard daemon/*.c))
AGENT_SRC  := $(filter-out guestagent/main.c,$(wildcard guestagent/*.c))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
EVAL_SRC   := $(filter-out tests/eval/main.c,$(wildcard tests/eval/*.c))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

LIBCOMMON := $(B)/libptcommon.a
LIBDAEMON := $(B)/libptswitchd.a
LIBAGENT  := $(B)/libptagent.a
LIBEVAL   := $(B)/libpteval.a

PTSWITCHD := $(B)/ptswitchd
PTSWITCHCTL := $(B)/ptswitchctl
AGENT     := $(B)/ptswitch-agent
UNITS     := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))

# Test and demo tools (tests/xslab: real xenstored without a hypervisor;
# demo/: the simulated guest fleet).
XSSHIM    := $(B)/xslab/libxsshim.so
XSBRIDGE  := $(B)/xslab/xs-guestbridge
XSLABCTL  := $(B)/xslab/xs-labctl
SIMGUESTS := $(B)/simguests
# tests/tools: the ptswitch domctl issued directly (e2e, bypassing ptswitchd).
PTDOMCTL  := $(B)/pt-domctl
# tests/forkbench: the guest-side fork benchmark.  Static, so it runs in
# the lab's busybox guest image as it is; with SAN=1 (make check) it is
# built with the sanitizers instead, for its host-side test.
FORKBENCH := $(B)/forkbench
FORKBENCH_LINK := $(if $(filter 1,$(SAN)),,-static)
# tests/kguest: a fault under a PMD left unhooked must fail, not loop (the
# Linux guest lab, guestagent/linux-patches).  Static, like forkbench.
STUCKPMD  := $(B)/stuckpmd
# tests/kguest: genuine faults under a PMD that another thread keeps having
# unhooked must not fail (the SMP lab).  Static, like forkbench.
ZAPFAULT  := $(B)/zapfault
# tests/mmstress: the kernel's mm walkers (swap, KSM, userfaultfd, /proc
# readers, madvise, mremap, mprotect, fork) on checksummed memory from two
# threads (the Linux guest labs).  Static, like forkbench.
MMSTRESS  := $(B)/mmstress
# tests/tools: the trace recorder of the recording lab (tests/traces/record).
PTRECORD  := $(B)/pt-record
# tests/tools: the daemon's xenstore layer driven against xenstored.
STORECHECK := $(B)/xs-storecheck
# tests/eval: the policy evaluation (engine replay against an oracle).
PTEVAL    := $(B)/ptswitch-eval
TOOLS     := $(if $(wildcard tests/xslab/shim.c),$(XSSHIM)) \
             $(if $(wildcard tests/xslab/guestbridge.c),$(XSBRIDGE)) \
             $(if $(wildcard tests/xslab/labctl.c),$(XSLABCTL)) \
             $(if $(wildcard demo/simguests.c),$(SIMGUESTS)) \
             $(if $(wildcard tests/tools/pt-domctl.c),$(PTDOMCTL)) \
             $(if $(wildcard tests/tools/pt-record.c),$(PTRECORD)) \
             $(if $(wildcard tests/tools/xs-storecheck.c),$(STORECHECK)) \
             $(if $(wildcard tests/eval/main.c),$(PTEVAL)) \
             $(FORKBENCH) \
             $(if $(wildcard tests/kguest/stuckpmd.c),$(STUCKPMD)) \
             $(if $(wildcard tests/kguest/zapfault.c),$(ZAPFAULT)) \
             $(if $(wildcard tests/mmstress/main.c),$(MMSTRESS))

.PHONY: all agent daemon tools tests check demo bench install install-man \
        install-daemon install-agent install-unit uninstall clean format deps \
        deb deb-check systemd-check fuzz fuzz-short fuzzers \
        check-run e2e e2e-patched e2e-stock e2e-pvguest e2e-pvguest-races \
        fuzz-pvguest fuzz-pvguest-long \
        e2e-pvguest-loop e2e-linux e2e-linux-smp e2e-linux-saverestore eval \
        e2e-linux-mmstress \
        e2e-systemd \
        pvguest check-trixie e2e-trixie xen-debs xen-debs-check e2e-xen-debs \
        deb-check-trixie systemd-check-trixie kernel-debs e2e-kernel-deb

all: $(PTSWITCHD) $(PTSWITCHCTL) $(AGENT)
daemon: $(PTSWITCHD) $(PTSWITCHCTL)
agent: $(AGENT)

tools: $(TOOLS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(call obj,$(COMMON_SRC))
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^
$(LIBDAEMON): $(call obj,$(DAEMON_SRC))
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^
$(LIBAGENT): $(call obj,$(AGENT_SRC))
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^
$(LIBEVAL): $(call obj,$(EVAL_SRC))
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(PTSWITCHD): $(call obj,daemon/main.c) $(LIBDAEMON) $(LIBCOMMON)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# The operator's view and runtime pins: xenstore and the lock, nothing else.
$(PTSWITCHCTL): $(call obj,daemon/ctl.c daemon/ctl_pin.c daemon/lock.c \
		daemon/policy_scalar.c) $(LIBCOMMON)
	$(CC) $(ALL_LDFLAGS) -Wl,--as-needed -o $@ $^ $(AGENT_LIBS) -lm

# The agent maps only libxenstore and libc (RSS budget 2 MiB); --as-needed
# in case a -l slips in again.
$(AGENT): $(call obj,guestagent/main.c) $(LIBAGENT) $(LIBCOMMON)
	$(CC) $(ALL_LDFLAGS) -Wl,--as-needed -o $@ $^ $(AGENT_LIBS)

$(B)/tests/%: $(call obj,tests/unit/%.c) $(LIBEVAL) $(LIBDAEMON) $(LIBAGENT) \
	      $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka -lm
# The pvguest's protocol side, built hosted for its unit test.
$(B)/tests/test_pvguest_agent: $(call obj,tests/pvguest/agent.c)

# tests/fuzz: one libFuzzer binary per harness.
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS   := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRC))
FUZZ_SECONDS ?= 60
$(B)/fuzz/%: $(call obj,tests/fuzz/%.c) $(LIBDAEMON) $(LIBAGENT) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -lm
fuzzers: $(FUZZERS)

# The shim is preloaded into Debian's xenstored, so it is built without
# sanitizers whatever the variant.  It stands in for the libxenctrl the
# build links against: its xc_* exports carry that library's version node
# (VERS_4.17.0 in Xen 4.17, libxenctrl_4.20.0 in 4.20), and from Xen 4.18
# xenstored calls xc_domain_getinfo_single() instead of xc_domain_getinfo().
XENCTRL_SO   = $(shell $(PKG_CONFIG) --variable=libdir xencontrol)/libxenctrl.so
XENCTRL_SYMS = $(shell readelf -W --dyn-syms $(XENCTRL_SO) | \
		 grep -oE 'xc_(interface_open|domain_getinfo_single)@@[^ ]+')
XENCTRL_VERS = $(patsubst xc_interface_open@@%,%,\
		 $(filter xc_interface_open@@%,$(XENCTRL_SYMS)))
XC_SINGLE    = $(filter xc_domain_getinfo_single@@%,$(XENCTRL_SYMS))
$(XSSHIM): tests/xslab/shim.c tests/xslab/lab.h tests/xslab/shim.map.in
	@mkdir -p $(dir $@)
	@[ -n "$(XENCTRL_VERS)" ] || \
		{ echo "xslab: no xc_interface_open in $(XENCTRL_SO)" >&2; exit 1; }
	sed 's/@XENCTRL_VERS@/$(XENCTRL_VERS)/; s/@XC_GETINFO@/$(if \
		$(XC_SINGLE),xc_domain_getinfo_single,xc_domain_getinfo)/' \
		tests/xslab/shim.map.in >$@.map
	$(CC) -std=gnu11 -O2 -g $(WARNFLAGS) -D_GNU_SOURCE -fPIC -shared \
		$(if $(XC_SINGLE),-DXSLAB_GETINFO_SINGLE) \
		-Wl,--version-script=$@.map -o $@ $< -ldl
$(XSBRIDGE): $(call obj,tests/xslab/guestbridge.c) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(XSLABCTL): $(call obj,tests/xslab/labctl.c) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(SIMGUESTS): $(call obj,demo/simguests.c) $(LIBDAEMON) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm
$(PTDOMCTL): $(call obj,tests/tools/pt-domctl.c) $(LIBDAEMON) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lxencall
$(STORECHECK): $(call obj,tests/tools/xs-storecheck.c) $(LIBDAEMON) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(FORKBENCH): $(call obj,tests/forkbench/forkbench.c \
		      tests/forkbench/sidethreads.c)
	$(CC) $(ALL_LDFLAGS) $(FORKBENCH_LINK) -pthread -o $@ $^

$(STUCKPMD): $(call obj,tests/kguest/stuckpmd.c)
	$(CC) $(ALL_LDFLAGS) $(FORKBENCH_LINK) -o $@ $^

$(ZAPFAULT): $(call obj,tests/kguest/zapfault.c)
	$(CC) $(ALL_LDFLAGS) $(FORKBENCH_LINK) -pthread -o $@ $^

$(MMSTRESS): $(call obj,$(wildcard tests/mmstress/*.c))
	$(CC) $(ALL_LDFLAGS) $(FORKBENCH_LINK) -pthread -o $@ $^

$(PTRECORD): $(call obj,tests/tools/pt-record.c) $(LIBEVAL) $(LIBDAEMON) \
	     $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(PTEVAL): $(call obj,tests/eval/main.c) $(LIBEVAL) $(LIBDAEMON) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# tests/pvguest: the PV test kernel, freestanding (no libc, no Xen
# headers); never built with the sanitizers.
PVGUEST     := $(B)/pvguest.elf
PVG_SRC     := $(wildcard tests/pvguest/*.c)
PVG_OBJ     := $(patsubst tests/pvguest/%.c,$(B)/pvguest-obj/%.o,$(PVG_SRC)) \
               $(B)/pvguest-obj/head.o
PVG_CFLAGS  := -std=gnu11 -O2 -g $(WARNFLAGS) -ffreestanding -fno-pic \
               -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
               -fno-tree-loop-distribute-patterns -mno-red-zone \
               -mgeneral-regs-only -mcmodel=small

$(B)/pvguest-obj/%.o: tests/pvguest/%.c
	@mkdir -p $(dir $@)
	$(CC) $(PVG_CFLAGS) $(DEPFLAGS) -c -o $@ $<
$(B)/pvguest-obj/head.o: tests/pvguest/head.S
	@mkdir -p $(dir $@)
	$(CC) $(PVG_CFLAGS) $(DEPFLAGS) -c -o $@ $<
$(PVGUEST): $(PVG_OBJ) tests/pvguest/pvguest.lds
	$(CC) -nostdlib -static -no-pie -Wl,-T,tests/pvguest/pvguest.lds \
		-Wl,--build-id=none -Wl,-z,max-page-size=4096 \
		-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -o $@ $(PVG_OBJ)

# dom0's side of the pvguest grant case: static, no sanitizers (it runs
# in the e2e lab's dom0 image, which has no sanitizer runtime).
PVG_GRANT   := $(B)/pvg-grant
$(PVG_GRANT): tests/tools/pvg-grant.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 $(WARNFLAGS) -static -o $@ $<

pvguest: $(PVGUEST) $(PVG_GRANT)

tests: all tools $(UNITS)

deps:
	scripts/install-deps.sh

# The README's test command.
check: deps
	$(MAKE) BUILD=build/san SAN=1 tests
	tests/run-tests.sh build/san

# The same tests built with Debian trixie's compiler and Xen 4.20
# libraries, in a cached trixie root (tests/trixie/README.md).
check-trixie:
	tests/trixie/check.sh

# The trixie lab under QEMU: stock and patched Xen 4.20 with a trixie dom0
# and guests, and the PV test kernel and the Linux 6.12 guest's fork and
# SMP runs on the patched one (tests/trixie/e2e.sh; the patched parts
# need a 4.20 source).  ptswitchd and the agent are installed into the
# images from trixie .debs: TRIXIE_LAB_DEBS=DIR (CI: build/trixie/deb-check),
# else built once per tree in the trixie root (build/trixie/lab-debs).
e2e-trixie: deps
	tests/trixie/e2e.sh

# End to end: Xen under QEMU (TCG), patched then stock (tests/e2e/README.md).
# The bookworm labs install ptswitchd and the agent into their images from
# the .debs: LAB_DEBS=DIR takes them from DIR (CI: build/deb-check),
# else tests/e2e/lab-debs.sh builds them once per tree in build/lab-debs.
e2e: e2e-patched e2e-stock
e2e-patched: deps
	tests/e2e/run-e2e.sh --patched
e2e-stock: deps
	tests/e2e/run-e2e.sh
# The PV test kernel on the patched Xen: 1- and 2-vCPU BATCH, the attacks.
e2e-pvguest: deps
	tests/pvguest/run.sh --patched
# A debug Xen that holds BATCH's race windows open: the cases aimed at them.
e2e-pvguest-races: deps
	tests/pvguest/run.sh --widen-races
# The PV test kernel's fuzz mode (tests/pvguest/README.md, "Fuzz mode"):
# a bounded run on the debug build with the race windows widened, and a
# long one on the release build.  FUZZ_SEED replays a run (default: the
# time, printed); FUZZ_OPS is per vCPU.
FUZZ_OPS      ?= 10000
FUZZ_LONG_OPS ?= 500000
fuzz-pvguest: deps
	tests/pvguest/run.sh --widen-races --fuzz --ops $(FUZZ_OPS) \
		$(if $(FUZZ_SEED),--seed $(FUZZ_SEED))
fuzz-pvguest-long: deps
	tests/pvguest/run.sh --patched --fuzz --ops $(FUZZ_LONG_OPS) \
		--timeout 14400 $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))
# The daemon's whole loop with our PV test kernel (tests/pvguest/README.md).
e2e-pvguest-loop: deps
	tests/pvguest/run-loop.sh --patched
# The patched Linux guest's fork latency per mode, under ptswitchd, on
# Xen 4.17: bookworm's pair, 6.1.  Trixie's 6.12 runs on its own pair's
# Xen 4.20 in e2e-trixie; E2E_LINUX_RELEASES=6.1,6.12 also runs it here
# (the two series side by side on one hypervisor; not in CI: docs/status.md,
# "CI time").
E2E_LINUX_RELEASES ?= 6.1
e2e-linux: deps
	guestagent/linux-patches/fork-e2e.sh --releases $(E2E_LINUX_RELEASES)
# The patched Linux guest with two vCPUs in BATCH under an SMP stress.
e2e-linux-smp: deps
	guestagent/linux-patches/smp-e2e.sh
# The same with mmstress's long run in BATCH (issue 15 item 10): the
# kernel's mm walkers on checksummed memory for MMSTRESS_SECONDS.
MMSTRESS_SECONDS ?= 3600
e2e-linux-mmstress: deps
	guestagent/linux-patches/smp-e2e.sh --mm $(MMSTRESS_SECONDS)
# The patched Linux guest saved, restored and migrated (issue 14 item 6).
e2e-linux-saverestore: deps
	guestagent/linux-patches/saverestore-e2e.sh

# Each harness for FUZZ_SECONDS over its seed corpus (tests/fuzz/README.md).
fuzz:
	scripts/install-deps.sh fuzz
	$(MAKE) BUILD=build/fuzz SAN=1 FUZZ=1 fuzzers
	tests/fuzz/run-fuzz.sh build/fuzz $(FUZZ_SECONDS)
fuzz-short:
	$(MAKE) fuzz FUZZ_SECONDS=10

demo: deps
	$(MAKE) all tools
	demo/run-demo.sh $(B)

bench: deps
	$(MAKE) all tools
	tests/bench/run-bench.sh $(B)

# Figures; it fails only when a trace exceeds the rule's worst-case
# bound (docs/policy.md).  tests/eval/README.md explains them.  The costs
# are those the pvguest benchmark measured (the committed console log of
# a run on the patched Xen under TCG, docs/calibration.md); each second
# table uses the policy's placeholder costs.
# The wall-time rounds (tests/traces/recorded/rounds) count only in
# their EMULATE rounds: a trace holds the EMULATE counters, which a
# BATCH round leaves nearly empty.
EVAL_TRACES := $(wildcard tests/traces/*.trace tests/traces/recorded/*.trace \
			  tests/traces/recorded/rounds/*-emulate.trace)
EVAL_CALIB  := $(B)/eval/calibration-patched-tcg.txt
$(EVAL_CALIB): tests/fixtures/pvguest/console-patched-tcg.log \
	       tests/pvguest/calibrate.sh
	@mkdir -p $(dir $@)
	tests/pvguest/calibrate.sh --flavour patched \
		--xen tests/fixtures/pvguest/console-patched-tcg.log <$< >$@
EVAL_SUITE  := $(B)/eval/suite
EVAL_SEED   ?= 1
EVAL_FLAGS  ?=
eval: $(PTEVAL) $(EVAL_CALIB)
	@# The committed and recorded traces at the three intervals of the
	@# issue's targets, measured costs, then the placeholder costs.
	for iv in 100ms 1s 10s; do echo; \
		$(PTEVAL) $(EVAL_FLAGS) --interval $$iv --calibration $(EVAL_CALIB) \
			--check-bound $(EVAL_TRACES) || exit 1; echo; \
		$(PTEVAL) $(EVAL_FLAGS) --interval $$iv --check-bound $(EVAL_TRACES) \
			|| exit 1; done
	@# The generated suite at the default policy, three intervals.
	rm -rf $(EVAL_SUITE) && \
		tests/traces/gen-suite.py --seed $(EVAL_SEED) $(EVAL_SUITE)
	for iv in 100ms 1s 10s; do echo; \
		$(PTEVAL) $(EVAL_FLAGS) --interval $$iv --steady breakeven,subthreshold \
			--check-bound $(EVAL_SUITE)/*.trace || exit 1; done

install: install-daemon install-agent

install-daemon: $(PTSWITCHD) $(PTSWITCHCTL)
	install -D -m 0755 $(PTSWITCHD) $(DESTDIR)$(SBINDIR)/ptswitchd
	install -D -m 0755 $(PTSWITCHCTL) $(DESTDIR)$(SBINDIR)/ptswitchctl
	@# Never overwrite a policy the admin may have edited.
	[ -e $(DESTDIR)$(SYSCONFDIR)/ptswitch/ptswitch.yaml ] || \
		install -D -m 0644 config/ptswitch.yaml \
			$(DESTDIR)$(SYSCONFDIR)/ptswitch/ptswitch.yaml
	$(MAKE) install-unit UNIT=ptswitchd
	$(MAKE) install-man MANPAGES="man/ptswitchd.8 man/ptswitchctl.8 man/ptswitch.yaml.5"

install-agent: $(AGENT)
	install -D -m 0755 $(AGENT) $(DESTDIR)$(SBINDIR)/ptswitch-agent
	$(MAKE) install-unit UNIT=ptswitch-agent
	$(MAKE) install-man MANPAGES="man/ptswitch-agent.8"

# The units name /usr/local/sbin and /etc/ptswitch: follow the prefixes.
install-unit:
	@mkdir -p $(B)
	sed 's|/usr/local/sbin|$(SBINDIR)|g; s|/etc/ptswitch|$(SYSCONFDIR)/ptswitch|g' \
		config/$(UNIT).service >$(B)/$(UNIT).service
	install -D -m 0644 $(B)/$(UNIT).service \
		$(DESTDIR)$(UNITDIR)/$(UNIT).service

# The pages name /etc/ptswitch: follow SYSCONFDIR as the units do.
MANPAGES ?= man/ptswitchd.8 man/ptswitchctl.8 man/ptswitch-agent.8 \
            man/ptswitch.yaml.5
install-man:
	for m in $(MANPAGES); do \
		d=$(DESTDIR)$(MANDIR)/man$${m##*.}; \
		install -d $$d && \
		sed 's|/etc/ptswitch|$(SYSCONFDIR)/ptswitch|g' $$m \
			>$$d/$$(basename $$m) && \
		chmod 0644 $$d/$$(basename $$m) || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/ptswitchd $(DESTDIR)$(SBINDIR)/ptswitch-agent \
		$(DESTDIR)$(SBINDIR)/ptswitchctl $(DESTDIR)$(MANDIR)/man8/ptswitchctl.8 \
		$(DESTDIR)$(UNITDIR)/ptswitchd.service \
		$(DESTDIR)$(UNITDIR)/ptswitch-agent.service \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,ptswitchd.8 ptswitch-agent.8) \
		$(DESTDIR)$(MANDIR)/man5/ptswitch.yaml.5

# Debian packages (debian/): binaries only, unsigned, out of the tree's
# way in build/deb/.  DEB_BUILD_PROFILES=pkg.ptswitch.agent-only builds
# the agent alone, with its small Build-Depends.
deb:
	scripts/install-deps.sh deb
	scripts/build-deb.sh build/deb

# The packages built, linted, installed into a throwaway root, and their
# units checked with systemd-analyze (tests/packaging/test-deb.sh; CI).
deb-check:
	scripts/install-deps.sh deb
	tests/packaging/test-deb.sh build/deb-check

# The same packages built and checked inside the trixie root of
# check-trixie (tests/trixie/deb-check.sh): trixie's Build-Depends
# (libxen-dev 4.20) and lintian; test-deb.sh's checks.  The .debs stay in
# build/trixie/deb-check for the trixie lab and systemd-check-trixie.
deb-check-trixie:
	tests/trixie/deb-check.sh build/trixie/deb-check

# The packages' units under systemd as PID 1: the .debs installed with
# dpkg -i into a cached bookworm root booted with systemd-nspawn
# (tests/systemd/README.md).  SYSTEMD_DEBS=DIR uses .debs built already
# (make deb-check leaves them in build/deb-check).
systemd-check:
	scripts/install-deps.sh deb systemd
	nice -n 5 tests/systemd/run.sh $(SYSTEMD_DEBS)
# The same test in the trixie root of check-trixie (systemd 257, trixie's
# xen.service) with trixie .debs: SYSTEMD_DEBS=build/trixie/deb-check
# after make deb-check-trixie, else built in that root.
systemd-check-trixie:
	scripts/install-deps.sh deb systemd
	nice -n 5 tests/systemd/run.sh --release trixie $(SYSTEMD_DEBS)

# The same units under systemd as PID 1 on Xen under QEMU (TCG): dom0 and
# a guest boot the bookworm root, ptswitchd runs the xenctrl backend on
# the patched Xen (tests/systemd/README.md, "On Xen").  LAB_DEBS=DIR as
# for e2e.
e2e-systemd: deps
	scripts/install-deps.sh deb systemd
	nice -n 10 tests/systemd/e2e.sh

# The patched hypervisor as Debian packages (hv-patches/README.md,
# "Debian packages"): not in CI, a cold build takes most of CI's budget.
XEN_DEBS := build/xen-debs
xen-debs:
	scripts/install-deps.sh xendeb
	hv-patches/build-xen-debs.sh $(XEN_DEBS)
xen-debs-check:
	scripts/install-deps.sh xendeb
	tests/packaging/test-xen-debs.sh $(XEN_DEBS)
# The guest kernel as packages (guestagent/linux-patches/README.md,
# "The guest kernel as Debian packages").
KERNEL_DEBS ?= $(BUILD)/kernel-debs
KERNEL_RELEASE ?= 6.12
kernel-debs:
	KERNEL_RELEASE=$(KERNEL_RELEASE) \
		guestagent/linux-patches/build-kernel-deb.sh $(KERNEL_DEBS)
e2e-kernel-deb: deps kernel-debs
	guestagent/linux-patches/kdeb-e2e.sh --debs $(KERNEL_DEBS)
# The e2e lab's patched checks, booting the packaged xen-4.17-amd64.gz.
e2e-xen-debs: deps xen-debs
	rm -rf $(XEN_DEBS)/unpacked
	dpkg-deb -x $(XEN_DEBS)/xen-hypervisor-4.17-amd64_*_amd64.deb \
		$(XEN_DEBS)/unpacked
	tests/e2e/run-e2e.sh --expect patched \
		--xen $(XEN_DEBS)/unpacked/boot/xen-4.17-amd64.gz \
		--log build/e2e/console-xen-debs.log

format:
	clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '^hv-patches/')

clean:
	rm -rf build

-include $(shell find $(B)/obj $(B)/pvguest-obj -name '*.d' 2>/dev/null)
