# SPDX-License-Identifier: GPL-2.0
#
# tcp_teardown top-level Makefile.  See README for the two commands that
# matter: `make run` and `make check`.
#
#   make [KERNEL=6.1|6.12|6.12-trixie|7.3|sid]
#                            build the module for one kernel
#   make run [KERNEL=6.1|6.12|7.3]
#                            build, boot the kernel (6.1) in QEMU, demonstrate
#   make check               checkpatch, W=1 and sparse builds for every
#                            kernel, selftests on every VM kernel
#   make check-6.1 [TESTS="a_test b_test"]   selftests on one VM kernel
#   make check-debug [TESTS=...]
#                            the selftests on the 6.1 debug kernel (KASAN,
#                            lockdep, kmemleak, debugobjects, UBSAN), built
#                            once per machine (about an hour) and cached;
#                            not part of `make check`
#   make check-debug-detectors
#                            one boot of the debug kernel per planted bug:
#                            proves every detector fails the run
#   make vm [KERNEL=...]     interactive VM with the module loaded
#   make bench [ROUNDS=N] [CLOCK=icount|wall]
#                            benchmarks, one boot per kernel: medians and
#                            ratios to the unloaded kernel, as a table and
#                            as JSON in build/bench/full.json
#   make bench-smoke         the same harness in seconds (part of `make
#                            check`): proves it works, judges no speed
#   make deb                 the Debian package tcp-teardown-dkms_<version>_all.deb
#                            (DKMS) in build/deb/ (scripts/deb.sh)
#   make stress [STRESS_KERNELS="6.1 6.12"] [STRESS_SECONDS=600]
#                            load/unload, namespace deaths and every policy
#                            under traffic, then leak and state checks;
#                            one boot per kernel (Documentation/reliability.rst)
#   make checkpatch | sparse | W1 | clean

KERNEL ?= 6.1
# Every kernel the module is built and checked for (W=1, sparse) ...
KERNELS := 6.1 6.12 6.12-trixie 7.3 sid
# ... and those of them whose whole selftest suite runs in the VM.  6.12
# of trixie and sid's kernel are built only: the suite runs on 6.12 of
# bookworm and on 7.3 of trixie-backports (README, "Supported kernels").
VM_KERNELS := 6.1 6.12 7.3

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
# Everything built goes under $(BUILD); scripts see it as TT_BUILD.
BUILD ?= $(TOP)/build
export TT_BUILD := $(BUILD)
DEPS := $(TOP)/scripts/deps.sh
KERNEL_SH := $(TOP)/scripts/kernel.sh

SRCS := $(wildcard $(TOP)/module/*.c $(TOP)/module/*.h)

.PHONY: all module deps run check vm checkpatch sparse W1 selftests clean \
	bench bench-smoke deb stress debug-kernel check-debug \
	check-debug-detectors detector-6.1-debug \
	$(addprefix module-,$(KERNELS) 6.1-debug) $(addprefix check-,$(VM_KERNELS))

all: module

deps:
	@sh $(DEPS)

module: module-$(KERNEL)

# Each kernel builds in its own directory of links to the sources, so
# the builds never share objects.  Kernels built with gcc-14 or gcc-16
# build in their Debian release's chroot (scripts/kernel.sh make).
$(addprefix module-,$(KERNELS) 6.1-debug): module-%: deps
	@mkdir -p $(BUILD)/$*/module
	@ln -sf $(TOP)/Kbuild $(BUILD)/$*/Kbuild
	@ln -sf $(SRCS) $(BUILD)/$*/module/
	@sh $(KERNEL_SH) make $* M=$(BUILD)/$* $(KBUILD_EXTRA) modules

selftests: deps
	$(MAKE) -C $(TOP)/selftests OUT=$(BUILD)/selftests

run: module-$(KERNEL) selftests
	@bash $(TOP)/scripts/vm.sh --kernel $(KERNEL) --mode run

vm: module-$(KERNEL) selftests
	@bash $(TOP)/scripts/vm.sh --kernel $(KERNEL) --mode shell

$(addprefix check-,$(VM_KERNELS)): check-%: module-% selftests
	@bash $(TOP)/scripts/vm.sh --kernel $* --mode check --tests "$(TESTS)"

# The debug kernel (scripts/debug-kernel.sh, Documentation/reliability.rst):
# built unless the cache outside the clone has it for today's key.
debug-kernel: deps
	@sh $(TOP)/scripts/debug-kernel.sh build >/dev/null

module-6.1-debug: debug-kernel

check-debug: module-6.1-debug selftests
	@bash $(TOP)/scripts/vm.sh --kernel 6.1-debug --mode check --tests "$(TESTS)"

# The planted bugs of selftests/detector, for the debug kernel only.
detector-6.1-debug: module-6.1-debug
	@mkdir -p $(BUILD)/6.1-debug/detector
	@ln -sf $(TOP)/selftests/detector/Kbuild $(TOP)/selftests/detector/tt_detector.c \
		$(BUILD)/6.1-debug/detector/
	@sh $(KERNEL_SH) make 6.1-debug M=$(BUILD)/6.1-debug/detector modules

check-debug-detectors: detector-6.1-debug selftests
	@bash $(TOP)/scripts/check-detectors.sh

check: deps
	@bash $(TOP)/scripts/check.sh --build "$(KERNELS)" --vm "$(VM_KERNELS)"

# Documentation/performance.rst says what the numbers mean.
# The full benchmarks default to the kernels performance.rst reports on.
BENCH_KERNELS ?= 6.1 6.12
bench: $(addprefix module-,$(BENCH_KERNELS))
	@bash $(TOP)/scripts/bench.sh $(if $(ROUNDS),--rounds $(ROUNDS)) \
		$(if $(CLOCK),--clock $(CLOCK)) $(BENCH_KERNELS)

bench-smoke: $(addprefix module-,$(VM_KERNELS))
	@bash $(TOP)/scripts/bench.sh --smoke $(VM_KERNELS)

# The package builds nothing: DKMS builds the module on the target
# machine.  Needs dpkg-dev, debhelper and dh-dkms, not the rest of deps.
deb:
	@sh $(TOP)/scripts/deb.sh

# Not part of `make check`: minutes per kernel.  Any kernel name that
# module-<name> builds and scripts/vm.sh boots may be listed.
STRESS_KERNELS ?= 6.1 6.12
STRESS_SECONDS ?= 600
# writes per knob and interface of the fuzz_test run that follows
FUZZ_WRITES ?= 10000
stress: $(addprefix module-,$(STRESS_KERNELS)) selftests
	@fail=0; for k in $(STRESS_KERNELS); do \
		TT_STRESS_SECONDS=$(STRESS_SECONDS) TT_FUZZ_WRITES=$(FUZZ_WRITES) \
		TT_VM_TIMEOUT=$$(( $(STRESS_SECONDS) * 2 + 4500 )) \
		bash $(TOP)/scripts/vm.sh --kernel $$k --mode stress || fail=1; \
	done; exit $$fail

checkpatch: deps
	@sh $(TOP)/scripts/checkpatch.sh

# Static analysis of the module with sparse and with W=1, per kernel.
sparse:
	@for k in $(KERNELS); do $(MAKE) --no-print-directory module-$$k \
		KBUILD_EXTRA="C=2" || exit 1; done

W1:
	@for k in $(KERNELS); do $(MAKE) --no-print-directory module-$$k \
		KBUILD_EXTRA="W=1" || exit 1; done

clean:
	rm -rf $(BUILD)
