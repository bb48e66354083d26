# SPDX-License-Identifier: GPL-2.0
#
# hvx: build the module, the userspace programs, the tools and the tests;
# boot the emulated VT-x test host to check them.  See README.md.

BUILD		?= build
O		:= $(patsubst %/,%,$(BUILD))
TESTHOST	:= tools/testhost

# The kernel the test host boots, as tools/testhost/deps.sh resolved it.
TESTHOST_KVER	:= $(shell cat $(O)/cache/kver 2>/dev/null || \
		     ls -d /usr/src/linux-headers-*-cloud-amd64 2>/dev/null | \
		     sed -n 's,.*/linux-headers-,,p' | sort -V | tail -n 1)
TESTHOST_KDIR	:= /usr/src/linux-headers-$(TESTHOST_KVER)

# Build against the running kernel where its build tree exists, else
# against the test host's headers.
RUNNING_KDIR	:= /lib/modules/$(shell uname -r)/build
KDIR		?= $(if $(wildcard $(RUNNING_KDIR)/Makefile),$(RUNNING_KDIR),$(TESTHOST_KDIR))

KSELFTEST	:= $(O)/cache/linux-source/tools/testing/selftests

CC		?= cc
CFLAGS		?= -O2 -g
WARN		:= -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
		   -Wno-sign-compare
USER_CFLAGS	:= $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -Iuapi -Iuserspace/include
# The test host has no shared libraries: link everything it runs statically.
STATIC		:= -static

PREFIX		?= /usr/local
DESTDIR		?=
BINDIR		?= $(PREFIX)/bin
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
MANDIR		?= $(PREFIX)/share/man
UDEVRULESDIR	?= /etc/udev/rules.d
LDFLAGS		?=
AR		?= ar

# The release: dkms.conf's PACKAGE_VERSION (debian/changelog agrees).
VERSION		:= $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)

# The module's source as DKMS and hvx-dkms ship it: built from its root
# like this tree (M=DIR, the root Kbuild names module/).
MODULE_SRC	:= Kbuild dkms.conf module/Kbuild uapi/linux/hvx.h \
		   $(filter-out %.mod.c,$(wildcard module/*.[chS]))
DKMS_SRCROOT	?= /usr/src
DKMS_KVER	?= $(shell uname -r)
DKMS_ARGS	?=
DKMS_MODDIR	?= /lib/modules

# What the hvx-tools and libhvx-dev packages hold (make install-user).
PKG_PROGS	:= $(O)/bin/hvx-run $(O)/bin/hvx-stat
PKG_MANPAGES	:= userspace/hvx-run/hvx-run.1 tools/hvx-stat/hvx-stat.1
LIBHVX_A	:= $(O)/lib/libhvx.a

LIBHVX_SRC	:= $(wildcard userspace/lib/*.c)
LIBHVX_HDR	:= $(wildcard userspace/include/hvx/*.h) uapi/linux/hvx.h
USER_PROGS	:= $(patsubst userspace/%/main.c,$(O)/bin/%,$(wildcard userspace/*/main.c))
TOOL_PROGS	:= $(patsubst tools/%/main.c,$(O)/bin/%,$(wildcard tools/*/main.c))
# Tools that use none of libhvx (hvx-diskread and hvx-zeroout also run
# inside a guest).
TOOL_NO_LIBHVX	:= hvx-diskread hvx-zeroout
tool_libhvx	= $(if $(filter $(1),$(TOOL_NO_LIBHVX)),,$(LIBHVX_SRC) $(LIBHVX_HDR))

# Programs that speak generic netlink: libnl-genl-3, linked statically.
NL_CFLAGS	:= $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
NL_LIBS		:= -lnl-genl-3 -lnl-3 -lpthread -lm
TOOL_CFLAGS_hvx-stat	:= $(NL_CFLAGS)
TOOL_LIBS_hvx-stat	:= $(NL_LIBS)
ST_NL_TESTS		:= stats_test mm_test mm_host_test dirty_switch_test
$(foreach t,$(ST_NL_TESTS),$(eval ST_CFLAGS_$(t) := $(NL_CFLAGS)))
$(foreach t,$(ST_NL_TESTS),$(eval ST_LIBS_$(t) := $(NL_LIBS)))
$(foreach t,$(ST_NL_TESTS),$(eval ST_EXTRA_$(t) := tests/selftests/nl/nlq.c))

ST_DIR		:= tests/selftests
ST_LIB_SRC	:= $(wildcard $(ST_DIR)/lib/*.c $(ST_DIR)/lib/*.S)
ST_HDR		:= $(wildcard $(ST_DIR)/include/*.h)
ST_PROGS	:= $(patsubst $(ST_DIR)/%.c,$(O)/selftests/%,$(wildcard $(ST_DIR)/*_test.c))
ST_CFLAGS	:= $(USER_CFLAGS) -I$(ST_DIR)/include -I$(KSELFTEST) -pthread -fno-stack-protector -mno-red-zone -fno-omit-frame-pointer -fno-tree-loop-distribute-patterns

# The programs of make stress (tests/stress/): built like the selftests,
# run by tools/testhost/stress.sh, not by the suite.
STRESS_DIR	:= tests/stress
STRESS_PROGS	:= $(patsubst $(STRESS_DIR)/%.c,$(O)/stress/%,$(wildcard $(STRESS_DIR)/*.c))

UNIT_PROGS	:= $(patsubst tests/unit/%.c,$(O)/unit/%,$(wildcard tests/unit/*_test.c))

# Unit tests of hvx-run and the sources each builds in.
HVX_RUN_DIR	:= userspace/hvx-run
UNIT_EXTRA_hvx_run_parse_test	:= $(HVX_RUN_DIR)/util.c
UNIT_EXTRA_hvx_run_loader_test	:= $(HVX_RUN_DIR)/loader.c $(HVX_RUN_DIR)/boot.c \
				   $(HVX_RUN_DIR)/util.c
UNIT_EXTRA_hvx_run_linux_test	:= $(HVX_RUN_DIR)/linux.c $(HVX_RUN_DIR)/boot.c \
				   $(HVX_RUN_DIR)/util.c
UNIT_EXTRA_hvx_run_multiboot_test := $(HVX_RUN_DIR)/multiboot.c \
				   $(HVX_RUN_DIR)/loader.c $(HVX_RUN_DIR)/boot.c \
				   $(HVX_RUN_DIR)/util.c
UNIT_EXTRA_hvx_run_serial_test	:= $(HVX_RUN_DIR)/serial.c $(HVX_RUN_DIR)/escape.c $(HVX_RUN_DIR)/io.c \
				   $(HVX_RUN_DIR)/util.c
UNIT_EXTRA_hvx_run_cmos_test	:= $(HVX_RUN_DIR)/rtc.c $(HVX_RUN_DIR)/io.c \
				   $(HVX_RUN_DIR)/terminal.c $(HVX_RUN_DIR)/util.c
UNIT_EXTRA_hvx_run_io_test	:= $(HVX_RUN_DIR)/io.c $(HVX_RUN_DIR)/i8042.c \
				   $(HVX_RUN_DIR)/debug_exit.c $(HVX_RUN_DIR)/dump.c \
				   $(HVX_RUN_DIR)/util.c
UNIT_EXTRA_hvx_run_pic_test	:= $(HVX_RUN_DIR)/pic.c $(HVX_RUN_DIR)/io.c \
				   $(HVX_RUN_DIR)/util.c
UNIT_EXTRA_hvx_run_pit_test	:= $(HVX_RUN_DIR)/pit.c $(HVX_RUN_DIR)/io.c \
				   $(HVX_RUN_DIR)/terminal.c $(HVX_RUN_DIR)/util.c
UNIT_EXTRA_hvx_run_acpi_test	:= $(HVX_RUN_DIR)/acpi.c $(HVX_RUN_DIR)/io.c \
				   $(HVX_RUN_DIR)/aml.c $(HVX_RUN_DIR)/acpi_pci.c \
				   $(HVX_RUN_DIR)/util.c
UNIT_EXTRA_hvx_run_mptable_test	:= $(HVX_RUN_DIR)/mptable.c $(HVX_RUN_DIR)/acpi.c \
				   $(HVX_RUN_DIR)/io.c $(HVX_RUN_DIR)/aml.c \
				   $(HVX_RUN_DIR)/acpi_pci.c $(HVX_RUN_DIR)/util.c
UNIT_EXTRA_hvx_run_pm_test	:= $(HVX_RUN_DIR)/pm.c $(HVX_RUN_DIR)/acpi.c \
				   $(HVX_RUN_DIR)/io.c $(HVX_RUN_DIR)/aml.c \
				   $(HVX_RUN_DIR)/acpi_pci.c $(HVX_RUN_DIR)/util.c
UNIT_EXTRA_hvx_run_ioapic_test	:= $(HVX_RUN_DIR)/ioapic.c $(HVX_RUN_DIR)/io.c \
				   $(HVX_RUN_DIR)/util.c
UNIT_EXTRA_hvx_run_fwcfg_test	:= $(HVX_RUN_DIR)/fw_cfg.c $(HVX_RUN_DIR)/io.c \
				   $(HVX_RUN_DIR)/util.c
UNIT_EXTRA_hvx_run_virtqueue_test := $(HVX_RUN_DIR)/virtqueue.c $(HVX_RUN_DIR)/util.c
UNIT_EXTRA_hvx_run_ioring_test	:= $(HVX_RUN_DIR)/ioring.c $(HVX_RUN_DIR)/io.c \
				   $(HVX_RUN_DIR)/util.c
# the whole of hvx-run but its main(): the platform as a guest sees it
UNIT_EXTRA_hvx_run_platform_fuzz_test := $(filter-out $(HVX_RUN_DIR)/main.c,\
				   $(wildcard $(HVX_RUN_DIR)/*.c))
# the virtio transport and what it stands on, for every device's tests
UNIT_VIRTIO_SRC := $(addprefix $(HVX_RUN_DIR)/,virtio_pci.c virtio_thread.c \
				   virtqueue.c pci.c pci_msix.c pci_intx.c io.c \
				   util.c)
UNIT_VIRTIO_BLK_SRC := $(addprefix $(HVX_RUN_DIR)/,virtio_blk.c \
				   virtio_blk_req.c) $(UNIT_VIRTIO_SRC)
# the tests hold the disk's reads to reset the device under them, count
# its fdatasync() calls and play a file system without fallocate() modes
# (tests/unit/virtio_blk_fixture.h)
UNIT_VIRTIO_BLK_LDFLAGS := -Wl,--wrap=preadv -Wl,--wrap=fdatasync \
	-Wl,--wrap=fallocate
$(foreach t,hvx_run_virtio_blk_test hvx_run_virtio_blk_ranges_test \
	  hvx_run_virtio_blk_device_test,\
	$(eval UNIT_EXTRA_$(t) := $(UNIT_VIRTIO_BLK_SRC))\
	$(eval UNIT_LDFLAGS_$(t) := $(UNIT_VIRTIO_BLK_LDFLAGS)))
UNIT_EXTRA_hvx_run_virtio_pci_test := $(HVX_RUN_DIR)/virtio_rng.c \
				   $(UNIT_VIRTIO_SRC)
UNIT_EXTRA_hvx_run_virtio_dev_thread_test := $(UNIT_VIRTIO_SRC)
# the driver turns MSI-X off under a completion's MSI (request_through_intx);
# a chain's allocation fails (out_of_memory_serves_the_chain_later)
UNIT_LDFLAGS_hvx_run_virtio_pci_test := -Wl,--wrap=pci_msix_notify \
					-Wl,--wrap=malloc
# counts the input thread's sleeps (piped_input_sleeps_while_the_guest_reads_none)
UNIT_LDFLAGS_hvx_run_serial_test := -Wl,--wrap=console_wait_input_for
UNIT_EXTRA_hvx_run_virtio_net_test := $(addprefix $(HVX_RUN_DIR)/,virtio_net.c \
				   virtio_net_tap.c) $(UNIT_VIRTIO_SRC)
UNIT_EXTRA_hvx_run_virtio_net_merged_test := $(UNIT_EXTRA_hvx_run_virtio_net_test)
# the tap's reads and writes fail on demand (tests/unit/virtio_net_fixture.h)
UNIT_LDFLAGS_hvx_run_virtio_net_test := -Wl,--wrap=readv -Wl,--wrap=read \
	-Wl,--wrap=writev
UNIT_LDFLAGS_hvx_run_virtio_net_merged_test := \
	$(UNIT_LDFLAGS_hvx_run_virtio_net_test)
UNIT_EXTRA_hvx_run_virtio_console_test := $(addprefix $(HVX_RUN_DIR)/,\
				   virtio_console.c virtio_console_io.c \
				   escape.c) $(UNIT_VIRTIO_SRC)
UNIT_EXTRA_hvx_run_terminal_test := $(HVX_RUN_DIR)/terminal.c
UNIT_EXTRA_hvx_run_console_out_test := $(HVX_RUN_DIR)/console_out.c \
				   $(HVX_RUN_DIR)/util.c
UNIT_EXTRA_hvx_run_pci_test	:= $(addprefix $(HVX_RUN_DIR)/,pci.c pci_msix.c \
				   pci_intx.c io.c util.c)

# hvx-bench's Linux boot case: hvx-run's loader, ACPI tables and devices
# drive the KVM launcher, hvx-stat's netlink client reads hvx's counters.
TOOL_EXTRA_hvx-bench	:= $(addprefix $(HVX_RUN_DIR)/,linux.c boot.c acpi.c mptable.c \
			     aml.c acpi_pci.c pm.c serial.c escape.c rtc.c terminal.c i8042.c \
			     io.c util.c ram.c hvx-run.h pc_chips.h) \
			   tools/hvx-stat/nl.c tools/hvx-stat/reasons.c \
			   tools/hvx-stat/hvx_stat.h
TOOL_CFLAGS_hvx-bench	:= $(NL_CFLAGS) -I$(HVX_RUN_DIR) -Itools/hvx-stat
TOOL_LIBS_hvx-bench	:= $(NL_LIBS)

# Unit tests of module code: the test #includes the module source (see
# tests/unit/kernel_shim.h and the kernel headers in tests/unit/linux/), so
# the source is a prerequisite, not an extra file to compile.
UNIT_MODULE_lapic	:= module/lapic.c module/lapic_state.c module/lapic_route.c \
			   module/lapic.h module/lapic_internal.h \
			   tests/unit/lapic_util.h $(wildcard tests/unit/linux/*.h)
$(O)/unit/lapic_test $(O)/unit/lapic_state_test $(O)/unit/lapic_route_test \
	$(O)/unit/lapic_timer_test: \
	$(UNIT_MODULE_lapic)

# Guest images for hvx-run's tests (tests/guests/*.S), assembled with as
# and linked with ld: flat real-mode binaries for load address 0x1000 and
# ELF32/ELF64 executables linked at 1 MiB.  multiboot.elf is a multiboot
# kernel, for -k; mb_pic.elf one that runs on the 8259 and the 8254;
# mb_spin.elf one that spins, for the signal tests; mb_flood.elf one that
# prints for ever, mb_burst.elf one that prints 100 KiB and halts,
# mb_crash.elf one that prints as much and triple-faults; mb_halt.elf
# one that halts with interrupts off; mb_init.elf one that sends its own
# processor an INIT; mb_ap_restart.elf one that starts its AP twice;
# mb_flood_ap.elf one whose AP triple-faults while its BSP prints for ever.
GUEST_DIR	:= tests/guests
GUEST_FLAT	:= hello rm_devices halt reset exitcode entry spin
GUEST_ELF32	:= pm32 triple mmio_exec mmio_insn multiboot mb_pic mb_spin \
		   mb_halt mb_flood mb_burst mb_crash mb_init mb_ap_restart \
		   mb_flood_ap
GUEST_ELF64	:= lm64
GUEST_IMAGES	:= $(GUEST_FLAT:%=$(O)/images/%.bin) \
		   $(GUEST_ELF32:%=$(O)/images/%.elf) \
		   $(GUEST_ELF64:%=$(O)/images/%.elf)
AS		?= as
LD		?= ld
OBJCOPY		?= objcopy
GUEST_LDFLAGS	:= -N -e _start --build-id=none \
		   $(shell $(LD) --help 2>/dev/null | grep -o -m 1 -- --no-warn-rwx-segments)

.PHONY: all module userspace tools tests check check-debug run bench stress \
	install uninstall clean deps unit-tests checkpatch user-programs \
	install-user install-dkms-check dkms-src dkms-install dkms-remove deb

# The tests need the test host's files (make deps, as root): make check
# builds them.
all: module userspace tools

deps:
	@$(TESTHOST)/deps.sh $(O) >/dev/null

module:
	@test -f $(KDIR)/Makefile || { echo "no kernel build tree at $(KDIR):" \
		"run 'make deps' or set KDIR"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace: $(USER_PROGS)
tools: $(TOOL_PROGS)
tests: $(ST_PROGS) $(STRESS_PROGS) $(UNIT_PROGS) $(GUEST_IMAGES)

# Secondary expansion: $$* is the program's name once the pattern matched,
# so every .c file of its folder is built in (and the headers are depended
# on).
.SECONDEXPANSION:
$(O)/bin/%: userspace/%/main.c $$(wildcard userspace/$$*/*.[ch]) $(LIBHVX_SRC) $(LIBHVX_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) $(STATIC) $(LDFLAGS) -Iuserspace/$* -o $@ \
		$(filter %.c,$^)

$(O)/bin/%: tools/%/main.c $$(wildcard tools/$$*/*.[ch]) $$(TOOL_EXTRA_$$*) \
	    $$(call tool_libhvx,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) $(TOOL_CFLAGS_$*) $(STATIC) $(LDFLAGS) -Itools/$* \
		-o $@ $(filter %.c,$^) $(TOOL_LIBS_$*)

$(O)/lib/%.o: userspace/lib/%.c $(LIBHVX_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -c -o $@ $<

$(LIBHVX_A): $(LIBHVX_SRC:userspace/lib/%.c=$(O)/lib/%.o)
	rm -f $@
	$(AR) rcs $@ $^

$(KSELFTEST)/kselftest_harness.h:
	@$(TESTHOST)/deps.sh $(O) >/dev/null

# Selftests run in the test host: static, and linked at a fixed address so
# that their guest code can run at the same addresses inside a guest.
$(O)/selftests/%: $(ST_DIR)/%.c $(ST_LIB_SRC) $(ST_HDR) $(LIBHVX_SRC) \
		  $(LIBHVX_HDR) $(KSELFTEST)/kselftest_harness.h $$(ST_EXTRA_$$*)
	@mkdir -p $(dir $@)
	$(CC) $(ST_CFLAGS) $(ST_CFLAGS_$*) $(STATIC) -no-pie -o $@ $< \
		$(ST_EXTRA_$*) $(ST_LIB_SRC) $(LIBHVX_SRC) $(ST_LIBS_$*)

$(O)/stress/%: $(STRESS_DIR)/%.c $(ST_LIB_SRC) $(ST_HDR) $(LIBHVX_SRC) \
	       $(LIBHVX_HDR) $(KSELFTEST)/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) $(ST_CFLAGS) $(STATIC) -no-pie -o $@ $< $(ST_LIB_SRC) $(LIBHVX_SRC)

# Host-side unit tests of userspace code: ordinary, dynamically linked.
$(O)/unit/%: tests/unit/%.c $(LIBHVX_SRC) $(LIBHVX_HDR) $(wildcard tests/unit/*.h) \
	     $(KSELFTEST)/kselftest_harness.h $$(UNIT_EXTRA_$$*)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -I$(KSELFTEST) -Itests/unit -o $@ $< $(LIBHVX_SRC) \
		$(UNIT_EXTRA_$*) $(UNIT_LDFLAGS_$*)

$(patsubst %,$(O)/unit/%,$(basename $(notdir $(wildcard tests/unit/hvx_run_*_test.c)))): \
	$(wildcard $(HVX_RUN_DIR)/*.h)
# the module code the other unit tests #include
$(O)/unit/insn_decode_test: module/insn_decode.c module/insn_decode.h
$(O)/unit/event_test: module/event.h
# hvx-bench's main.c, which the test #includes with a fake backend
$(O)/unit/bench_check_test: tools/hvx-bench/main.c tools/hvx-bench/bench.h
$(O)/unit/bench_touch_table_test: tools/hvx-bench/touch.c tools/hvx-bench/bench.h

$(O)/guests/%.o32: $(GUEST_DIR)/%.S $(wildcard $(GUEST_DIR)/*.inc)
	@mkdir -p $(dir $@)
	$(AS) --32 -I $(GUEST_DIR) -o $@ $<

$(O)/guests/%.o64: $(GUEST_DIR)/%.S $(wildcard $(GUEST_DIR)/*.inc)
	@mkdir -p $(dir $@)
	$(AS) --64 -I $(GUEST_DIR) -o $@ $<

$(O)/images/%.bin: $(O)/guests/%.o32
	@mkdir -p $(dir $@)
	$(LD) -m elf_i386 $(GUEST_LDFLAGS) -Ttext=0x1000 -o $(O)/guests/$*.flat $<
	$(OBJCOPY) -O binary $(O)/guests/$*.flat $@

$(GUEST_ELF32:%=$(O)/images/%.elf): $(O)/images/%.elf: $(O)/guests/%.o32
	@mkdir -p $(dir $@)
	$(LD) -m elf_i386 $(GUEST_LDFLAGS) -Ttext=0x100000 -o $@ $<

$(GUEST_ELF64:%=$(O)/images/%.elf): $(O)/images/%.elf: $(O)/guests/%.o64
	@mkdir -p $(dir $@)
	$(LD) -m elf_x86_64 $(GUEST_LDFLAGS) -Ttext=0x100000 -o $@ $<

# make check: install what is missing, build everything against the test
# host's kernel, run the host-side tests, then boot the test hosts.
# KERNEL selects the test host kernels: 6.1 (Debian 12, the default), 6.12
# (Debian 13) or all (both, one after the other, as .ci/run does).
KERNEL		?= 6.1

check:
	@mkdir -p $(O)
	@$(TESTHOST)/check.sh $(O) $(KERNEL)

# make check-debug: the whole suite in a test host whose kernel has KASAN,
# lockdep and kmemleak (built once from linux-source-6.1, then cached);
# not part of .ci/run (Documentation/testing.rst).
check-debug:
	@mkdir -p $(O)
	@$(TESTHOST)/check-debug.sh $(O)

run:
	@mkdir -p $(O)
	@$(TESTHOST)/run-demo.sh $(O)

bench:
	@mkdir -p $(O)
	@$(TESTHOST)/bench.sh $(O)

# make stress: the fuzzer, hostile guests, kills and churn in the test
# host (Documentation/testing.rst); STRESS_SEED replays a run.
stress:
	@mkdir -p $(O)
	@$(TESTHOST)/stress.sh $(O)

unit-tests: $(UNIT_PROGS)
	@rc=0; for t in $(UNIT_PROGS) $(wildcard tests/unit/*_test.sh); do \
		$$t || rc=1; done; exit $$rc

checkpatch:
	@$(TESTHOST)/checkpatch.sh $(O)

# KDIR's kernel release: where its modules live under /lib/modules.
KREL_CMD	= krel=$$(sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
			$(KDIR)/include/generated/utsrelease.h); \
		  [ -n "$$krel" ] || { echo "no kernel release in $(KDIR)"; exit 1; }

# hvx.ko for KDIR's kernel, and what install-user installs.  The
# benchmark's and the test host's own tools stay in the build folder.
# The module goes to extra/ whatever the kernel's default (6.12's is
# updates/), and depmod runs here, in DESTDIR as kbuild's would: kbuild's
# own needs a System.map, which Debian's header packages do not ship, and
# modprobe needs the index.
DEPMOD_CMD	= if [ -d $(DESTDIR)/lib/modules/$$krel ]; then \
			echo "depmod $(if $(DESTDIR),-b $(DESTDIR) )$$krel"; \
			depmod $(if $(DESTDIR),-b $(DESTDIR)) $$krel; \
		  fi

# (Builds are prerequisites, installs the recipe: with make -j too, a
# refusal leaves nothing installed.)
install: install-dkms-check module user-programs
	$(MAKE) --no-print-directory install-user
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=extra modules_install
	@$(KREL_CMD); $(DEPMOD_CMD)

# make install and DKMS do not mix: depmod takes DKMS's hvx.ko
# (updates/dkms) over make install's (extra/), and Debian 12's DKMS, which
# finds an hvx.ko without a version already there, installs none of its
# own yet says it did.  Each refuses the other's.
install-dkms-check:
	@$(KREL_CMD); \
	if ls $(DESTDIR)/lib/modules/$$krel/updates/dkms/hvx.ko* >/dev/null 2>&1; then \
		echo "DKMS installed hvx.ko for $$krel (hvx-dkms, or make dkms-install)," \
		     "and modprobe would load it rather than this one: remove it first" \
		     "(apt-get remove hvx-dkms, or make dkms-remove)"; \
		exit 1; \
	fi

# What make install put in place (and the updates/ copy an earlier make
# install left on 6.12), then depmod again.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(PKG_PROGS))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(PKG_MANPAGES))) \
	      $(DESTDIR)$(UDEVRULESDIR)/60-hvx.rules \
	      $(DESTDIR)$(INCLUDEDIR)/linux/hvx.h \
	      $(DESTDIR)$(INCLUDEDIR)/hvx/libhvx.h \
	      $(DESTDIR)$(LIBDIR)/libhvx.a
	-rmdir $(DESTDIR)$(INCLUDEDIR)/hvx 2>/dev/null
	@$(KREL_CMD); \
	for d in extra updates; do \
		mod=$(DESTDIR)/lib/modules/$$krel/$$d/module; \
		[ -d $$mod ] || continue; \
		echo "rm -f $$mod/hvx.ko*"; rm -f $$mod/hvx.ko*; \
		rmdir $$mod 2>/dev/null; \
	done; \
	$(DEPMOD_CMD)

# hvx-run, hvx-stat, their manual pages, the udev rule, the header and
# libhvx: what the Debian packages hvx-tools and libhvx-dev hold.
user-programs: $(PKG_PROGS) $(LIBHVX_A)

install-user: user-programs
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(PKG_PROGS) $(DESTDIR)$(BINDIR)
	install -m 0644 $(PKG_MANPAGES) $(DESTDIR)$(MANDIR)/man1
	install -D -m 0644 tools/udev/60-hvx.rules \
		$(DESTDIR)$(UDEVRULESDIR)/60-hvx.rules
	install -D -m 0644 uapi/linux/hvx.h $(DESTDIR)$(INCLUDEDIR)/linux/hvx.h
	install -D -m 0644 userspace/include/hvx/libhvx.h \
		$(DESTDIR)$(INCLUDEDIR)/hvx/libhvx.h
	install -D -m 0644 $(LIBHVX_A) $(DESTDIR)$(LIBDIR)/libhvx.a

# DKMS.  dkms-src copies the module source to DKMS_DEST; dkms-install puts
# it in DKMS_SRCROOT/hvx-VERSION (/usr/src) and has dkms add, build and
# install it for DKMS_KVER (the running kernel); dkms rebuilds it on each
# kernel update (AUTOINSTALL).  DKMS_ARGS go to every dkms command (the
# tests use it to build into a private tree against unpacked headers);
# DKMS_MODDIR is where dkms-install looks for make install's hvx.ko (the
# private tree's --installtree there).
dkms-src:
	@test -n "$(DKMS_DEST)" || { echo "usage: make dkms-src DKMS_DEST=DIR"; exit 1; }
	@for f in $(MODULE_SRC); do \
		install -D -m 0644 $$f $(DKMS_DEST)/$$f || exit 1; \
	done

dkms-install:
	@for d in extra updates; do \
		if ls $(DKMS_MODDIR)/$(DKMS_KVER)/$$d/module/hvx.ko* >/dev/null 2>&1; then \
			echo "make install put hvx.ko in $(DKMS_MODDIR)/$(DKMS_KVER)/$$d/module," \
			     "beside which DKMS would install none of its own: run make uninstall first"; \
			exit 1; \
		fi; \
	done
	@if dkms status $(DKMS_ARGS) hvx/$(VERSION) | grep -q .; then \
		echo "dkms remove hvx/$(VERSION) --all"; \
		dkms remove $(DKMS_ARGS) hvx/$(VERSION) --all || exit 1; \
	fi
	rm -rf $(DKMS_SRCROOT)/hvx-$(VERSION)
	$(MAKE) --no-print-directory DKMS_DEST=$(DKMS_SRCROOT)/hvx-$(VERSION) dkms-src
	dkms add $(DKMS_ARGS) hvx/$(VERSION)
	dkms build $(DKMS_ARGS) hvx/$(VERSION) -k $(DKMS_KVER)
	dkms install $(DKMS_ARGS) hvx/$(VERSION) -k $(DKMS_KVER)

dkms-remove:
	dkms remove $(DKMS_ARGS) hvx/$(VERSION) --all
	rm -rf $(DKMS_SRCROOT)/hvx-$(VERSION)

# Debian packages (hvx-dkms, hvx-tools, libhvx-dev) in $(O)/deb, built by
# dpkg-buildpackage from a copy of the tree (the files git knows, or all
# but $(O)): unsigned, binary only.  DEB_SKIP is $(O) as the listing
# names it, relative to the tree (check.sh passes an absolute BUILD).
DEB_SKIP	= $(patsubst $(CURDIR)/%,%,$(abspath $(O)))
deb:
	rm -rf $(O)/deb
	mkdir -p $(O)/deb/hvx-$(VERSION)
	(git ls-files -co --exclude-standard 2>/dev/null || \
	 find . -path ./.git -prune -o -path ./$(DEB_SKIP) -prune -o -type f -print) | \
		grep -v '^\(\./\)\?$(DEB_SKIP)/' | \
		tar -cf - --no-recursion -T - | tar -xf - -C $(O)/deb/hvx-$(VERSION)
	cd $(O)/deb/hvx-$(VERSION) && dpkg-buildpackage -us -uc -b

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	rm -rf $(O)/bin $(O)/selftests $(O)/stress $(O)/unit $(O)/testhost \
		$(O)/check $(O)/check-debug $(O)/install-test $(O)/*.log \
		$(O)/images $(O)/guests $(O)/lib $(O)/deb $(O)/kmod $(O)/kmod-* \
		$(O)/dkms
