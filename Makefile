# SPDX-License-Identifier: GPL-2.0
#
# tcp_teardown top-level Makefile.  See README for the two commands that
# matter: `make run` and `make check`.
#
#   make [KERNEL=6.1|6.12]   build the module for one kernel
#   make run                 build, boot 6.1 in QEMU, demonstrate
#   make check               checkpatch + selftests on every kernel
#   make check-6.1 [TESTS="a_test b_test"]   selftests on one kernel
#   make vm [KERNEL=...]     interactive VM with the module loaded
#   make bench [ROUNDS=N] [CLOCK=icount|wall]
#                            benchmarks, one boot per kernel: medians and
#                            ratios to the unloaded kernel, as a table and
#                            as JSON in build/bench/full.json
#   make bench-smoke         the same harness in seconds (part of `make
#                            check`): proves it works, judges no speed
#   make checkpatch | sparse | W1 | clean

KERNEL ?= 6.1
KERNELS := 6.1 6.12

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
# Everything built goes under $(BUILD); scripts see it as TT_BUILD.
BUILD ?= $(TOP)/build
export TT_BUILD := $(BUILD)
DEPS := $(TOP)/scripts/deps.sh
KVER = $(shell $(TOP)/scripts/kernel.sh release $(1))
KDIR = /lib/modules/$(call KVER,$(1))/build

SRCS := $(wildcard $(TOP)/module/*.c $(TOP)/module/*.h)

.PHONY: all module deps run check vm checkpatch sparse W1 selftests clean \
	bench bench-smoke \
	$(addprefix module-,$(KERNELS)) $(addprefix check-,$(KERNELS))

all: module

deps:
	@sh $(DEPS)

module: module-$(KERNEL)

# Each kernel builds in its own directory of links to the sources, so
# the two builds never share objects.
$(addprefix module-,$(KERNELS)): module-%: deps
	@mkdir -p $(BUILD)/$*/module
	@ln -sf $(TOP)/Kbuild $(BUILD)/$*/Kbuild
	@ln -sf $(SRCS) $(BUILD)/$*/module/
	$(MAKE) -C $(call KDIR,$*) M=$(BUILD)/$* $(KBUILD_EXTRA) modules

selftests: deps
	$(MAKE) -C $(TOP)/selftests OUT=$(BUILD)/selftests

run: module-6.1 selftests
	@bash $(TOP)/scripts/vm.sh --kernel 6.1 --mode run

vm: module-$(KERNEL) selftests
	@bash $(TOP)/scripts/vm.sh --kernel $(KERNEL) --mode shell

$(addprefix check-,$(KERNELS)): check-%: module-% selftests
	@bash $(TOP)/scripts/vm.sh --kernel $* --mode check --tests "$(TESTS)"

check: deps
	@bash $(TOP)/scripts/check.sh $(KERNELS)

# Documentation/performance.rst says what the numbers mean.
bench: $(addprefix module-,$(KERNELS))
	@bash $(TOP)/scripts/bench.sh $(if $(ROUNDS),--rounds $(ROUNDS)) \
		$(if $(CLOCK),--clock $(CLOCK)) $(KERNELS)

bench-smoke: $(addprefix module-,$(KERNELS))
	@bash $(TOP)/scripts/bench.sh --smoke $(KERNELS)

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
