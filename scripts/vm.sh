#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a supported Debian kernel in QEMU with the module and the selftests.
#
#   vm.sh --kernel 6.1|6.12|7.3|6.1-debug
#         --mode check|run|shell|bench|stress|detector
#         [--tests "a b"] [--bench "full|smoke [rounds=N]"] [--module FILE]
#         [--bug NAME]
#
# --module: the tcp_teardown.ko to boot with (default: the one `make`
#        built, build/<kernel>/tcp_teardown.ko), e.g. one DKMS built and
#        installed under /lib/modules/<release>/updates/dkms/ (.ko.xz and
#        .ko.zst are decompressed).
#
# check: runs every selftest binary, streams their KTAP here, and exits
#        0 only if the guest reported success AND its kernel log holds no
#        oops, BUG, WARNING, KASAN, UBSAN, lockdep, debugobjects or
#        kmemleak report or call trace.  A hung guest is killed after
#        TT_VM_TIMEOUT seconds (default 2400 times the time scale: the
#        suite takes minutes, each test may take up to its TT_TIMEOUT
#        under a loaded host) and fails.
# run:   the demonstration (scripts/guest/demo.sh).
# shell: interactive shell on the console, module loaded.
# stress: `make stress` (scripts/guest/tt-stress.c, TT_STRESS_SECONDS);
#        judged like check: the guest's status and the kernel log.
# bench: the benchmarks (scripts/guest/bench.sh, tt-bench); their results
#        are "TTBENCH {json}" lines in the output, which scripts/bench.sh
#        collects from the serial log.
# detector: loads selftests/detector's tt_detector.ko with bug=NAME (a
#        planted bug) on the debug kernel; scripts/check-detectors.sh
#        expects the log scan to fail the run.
#
# 6.1-debug, the debug kernel (scripts/debug-kernel.sh: KASAN, lockdep,
# kmemleak, debugobjects, UBSAN), boots its bzImage with 2 GiB, scales
# every test's time limits by TT_TIME_SCALE (default 4 there, else 1;
# passed to the tests on the kernel command line, selftests/tt_harness.h)
# and has kmemleak scanned after the last test, with every module unloaded.
#
# Environment: TT_ACCEL=auto|kvm|tcg (auto boots once with KVM to see that
# it really runs guests, and remembers the answer), TT_VM_MEM (MiB),
# TT_VM_BOOT_TIMEOUT (seconds for the kernel to reach /init, default 300,
# else it is booted again, at most three boots in all),
# TT_VM_CLOCK=wall|icount (icount: under TCG, guest time counts executed
# instructions, one nanosecond each), TT_TIME_SCALE (a factor for every
# time limit, above), TT_VM_OUT (the directory of the initramfs and the
# logs, default build/KERNEL/vm), TT_TCG_THREAD=single|multi (how TCG
# runs the vCPUs, default single: see "accelerator" below).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${TT_BUILD:-$TOP/build}
series=6.1 mode=check tests= bench=full module= bug=none
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) series=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--tests) tests=$2; shift 2 ;;
	--bench) bench=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--bug) bug=$2; shift 2 ;;
	*) echo "vm.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

rel=$("$TOP/scripts/kernel.sh" release "$series")
# Debian's 6.x kernels: /boot/vmlinuz-REL and /lib/modules/REL/kernel on
# the host; 7.x: vmlinuz inside the modules directory, in the chroot that
# scripts/deps.sh unpacked it into (scripts/kernel.sh knows where).
kimage_src=$("$TOP/scripts/kernel.sh" image "$series")
kmodules=$("$TOP/scripts/kernel.sh" modules "$series")
out=${TT_VM_OUT:-$BUILD/$series/vm}
debug=0
case "$series" in *-debug) debug=1 ;; esac
scale=${TT_TIME_SCALE:-$((debug ? 4 : 1))}
# Seconds times the scale, rounded up (the scale may be fractional).
scaled() {
	awk -v s="$1" -v f="$scale" 'BEGIN { x = s * f; printf "%d\n", x + (x > int(x)) }'
}
timeout_s=${TT_VM_TIMEOUT:-$(scaled 2400)}
mkdir -p "$out" "$BUILD/guest"

# ---- initramfs ----
root=$out/root
rm -rf "$root"
mkdir -p "$root/bin" "$root/lib/modules" "$root/tests"
cp /bin/busybox "$root/bin/busybox"
install -m 0755 "$TOP/scripts/guest/init" "$root/init"
install -m 0755 "$TOP/scripts/guest/demo.sh" "$root/demo.sh"
install -m 0755 "$TOP/scripts/guest/bench.sh" "$root/bench.sh"

# The guest's own programs, static, rebuilt when a source is newer; the
# demonstration (`make run`) and the measurements (`make bench`) use the
# selftests' helpers.
guest_tool() {	# guest_tool NAME SOURCE...
	local bin=$BUILD/guest/$1
	shift
	if [ ! -x "$bin" ] || [ -n "$(find "$@" "$TOP"/selftests/*.h -newer "$bin")" ]; then
		gcc -static -O2 -Wall -Wextra -D_GNU_SOURCE -I"$TOP/selftests" \
			-o "$bin" "$@"
	fi
	cp "$bin" "$root/bin/"
}
helpers=("$TOP/selftests/tt_net.c" "$TOP/selftests/tt_util.c")
guest_tool tt-poweroff "$TOP/scripts/guest/tt-poweroff.c"
guest_tool tt-demo "$TOP/scripts/guest/tt-demo.c" "${helpers[@]}"
guest_tool tt-bench "$TOP/scripts/guest/tt-bench.c" "${helpers[@]}"
guest_tool tt-stress "$TOP/scripts/guest/tt-stress.c" "${helpers[@]}" \
	"$TOP/selftests/tt_diag.c"

module=${module:-$BUILD/$series/tcp_teardown.ko}
case "$module" in
*.xz) xz -dc "$module" >"$root/lib/tcp_teardown.ko" ;;
*.zst) zstd -qdc "$module" >"$root/lib/tcp_teardown.ko" ;;
*) cp "$module" "$root/lib/tcp_teardown.ko" ;;
esac
if [ "$mode" = detector ]; then
	cp "$BUILD/$series/detector/tt_detector.ko" "$root/lib/tt_detector.ko"
fi
# The kernel's own modules the tests need, decompressed: busybox insmod
# would hand a compressed image to init_module().
for m in veth tun inet_diag tcp_diag; do
	f=$(find "$kmodules/kernel" -name "$m.ko*" | head -n 1)
	[ -n "$f" ] || { echo "vm.sh: $m module missing for $rel" >&2; exit 1; }
	case "$f" in
	*.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;;
	*.zst) zstd -qdc "$f" >"$root/lib/modules/$m.ko" ;;
	*) cp "$f" "$root/lib/modules/$m.ko" ;;
	esac
done
for t in "$BUILD"/selftests/*; do
	[ -f "$t" ] && [ -x "$t" ] && cp "$t" "$root/tests/"
done
(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) >"$out/initramfs.cpio"

# ---- kernel image: the ELF inside the bzImage boots faster (PVH) ----
# Not with KASAN (the debug kernel): its PVH entry writes to shadow
# memory that is not mapped yet, and the guest triple-faults in silence.
kimage=$BUILD/guest/vmlinux-$rel
if [ $debug -eq 1 ]; then
	kimage=$kimage_src
elif [ ! -s "$kimage" ]; then
	python3 "$TOP/scripts/extract-vmlinux.py" "$kimage_src" "$kimage.tmp" &&
		mv "$kimage.tmp" "$kimage" || rm -f "$kimage.tmp"
fi
[ -s "$kimage" ] || kimage=$kimage_src

# ---- accelerator ----
# Under the instruction clock (below) one vCPU: 6.1's clock stands still
# while it brings up a second one there, and the benchmarks that use
# that clock pin their work to one CPU anyway.
smp=2
[ "${TT_VM_CLOCK:-wall}" = icount ] && smp=1
qemu=(qemu-system-x86_64 -m "${TT_VM_MEM:-$((debug ? 2048 : 1024))}" -smp $smp -nic none -no-reboot
	-display none -monitor none
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
	-kernel "$kimage" -initrd "$out/initramfs.cpio")
# no_timer_check: at boot the kernel counts timer ticks during a busy
# wait to see that the IO-APIC timer works; an emulator starved by a
# busy host delivers too few, and the kernel panics ("IO-APIC + timer
# doesn't work", seen on 7.3 with two busy loops on the host).  KVM
# guests skip that check the same way.
cmdline="console=ttyS0 panic=-1 oops=panic panic_on_warn=1 mitigations=off"
cmdline+=" no_timer_check TT_TIME_SCALE=$scale"
[ $debug -eq 1 ] && cmdline+=" TT_KMEMLEAK=1"

accel=${TT_ACCEL:-auto}
if [ "$accel" = auto ]; then
	cache=$BUILD/guest/accel
	if [ ! -s "$cache" ]; then
		accel=tcg
		if [ -w /dev/kvm ]; then
			set +e
			# A subshell, so that QEMU aborting is not reported.
			(timeout 30 "${qemu[@]}" -accel kvm -cpu host -serial none \
				-append "$cmdline TT_MODE=probe") >/dev/null 2>&1
			[ $? -eq 1 ] && accel=kvm
			set -e
		fi
		echo "$accel" >"$cache"
	fi
	accel=$(cat "$cache")
fi
# One host thread runs both vCPUs (thread=single).  With one thread per
# vCPU, QEMU 7.2 lets a vCPU run code another vCPU has just patched in
# its old form: Linux 6.12 then dies of an "Oops: int3" in softirq at a
# site being patched (ftrace, kprobes, jump labels), with or without
# this module -- reproduced with the kernel's own function tracer and
# kprobe events while segments flowed; none in 400 cycles of either
# loop with thread=single (Documentation/performance.rst).  The vCPUs
# still interleave, so races between them are still exercised.
# TT_TCG_THREAD=multi: the old way.
case "$accel" in
kvm) qemu+=(-accel kvm -cpu host) ;;
*) qemu+=(-accel "tcg,thread=${TT_TCG_THREAD:-single}" -cpu max) ;;
esac
# Under emulation the guest's clock may count instructions instead of
# host time (the benchmarks; see Documentation/performance.rst): one
# instruction, one nanosecond, and idle time skipped.
if [ "${TT_VM_CLOCK:-wall}" = icount ] && [ "$accel" != kvm ]; then
	qemu+=(-icount shift=0,sleep=off)
fi

# A soft lockup under stress ends the run at once (its report is in the
# kernel log, which fails the run anyway) instead of at the VM timeout.
[ "$mode" = stress ] && cmdline+=" softlockup_panic=1"
# Settings of the fuzz and stress runs reach the guest's /init (and the
# programs it starts) as environment variables.
for v in TT_FUZZ_SEED TT_FUZZ_WRITES TT_STRESS_SECONDS TT_STRESS_SEED; do
	[ -n "${!v:-}" ] && cmdline+=" $v=${!v}"
done

# ---- boot ----
if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -serial mon:stdio -append "$cmdline TT_MODE=shell"
fi

console=$out/console.log tap=$out/tap.log
: >"$tap"
echo "# vm: $rel ($accel${TT_VM_CLOCK:+, clock ${TT_VM_CLOCK}}), mode $mode; kernel log: $console"
echo "# vm: module $module, sha256 $(sha256sum <"$root/lib/tcp_teardown.ko" | cut -d' ' -f1)"
# Under emulation on a loaded host a kernel now and then stalls for good
# early in boot, before /init and so before the module or any test (seen
# with 7.3: its timer calibration fails and it never gets past SMP
# bring-up).  A guest that has not reached /init after the boot timeout
# is booted again, at most twice, each stalled kernel log kept; nothing
# that happens after /init is ever retried.
boot_s=${TT_VM_BOOT_TIMEOUT:-$(scaled 300)}
rm -f "$out"/console.stalled-*.log
t_start=$SECONDS
set +e
stalled=0
for attempt in 1 2 3; do
	: >"$tap"
	timeout "$timeout_s" "${qemu[@]}" -serial "file:$console" -serial "file:$tap" \
		-append "$cmdline TT_MODE=$mode TT_TESTS=\"$tests\" TT_BENCH=\"$bench\" TT_BUG=$bug" </dev/null &
	qpid=$!
	waited=0
	while [ ! -s "$tap" ] && kill -0 $qpid 2>/dev/null &&
		[ $waited -lt "$boot_s" ]; do
		sleep 1
		waited=$((waited + 1))
	done
	if [ -s "$tap" ] || ! kill -0 $qpid 2>/dev/null; then
		stalled=0
		break
	fi
	kill $qpid
	wait $qpid
	stalled=1
	cp "$console" "$out/console.stalled-$attempt.log"
	echo "# vm: $rel did not reach /init in ${boot_s}s (kernel log: $out/console.stalled-$attempt.log)"
done
if [ $stalled -eq 1 ]; then
	status=125	# three stalled boots: the guest never ran
else
	tail -n +1 -f --pid=$qpid "$tap"
	wait $qpid
	status=$?
fi
set -e

echo "# vm: $rel ran $((SECONDS - t_start)) s (time scale $scale)"
fail=0
case $status in
124) echo "# vm: guest hung: killed after ${timeout_s}s"; fail=1 ;;
125) echo "# vm: three boots stalled before /init"; fail=1 ;;
0) echo "# vm: guest died without reporting (panic or reboot)"; fail=1 ;;
*)
	if [ $((status % 2)) -eq 1 ]; then
		guest=$(((status - 1) / 2))
		[ "$guest" -eq 0 ] || { echo "# vm: guest reported failure ($guest)"; fail=1; }
	else
		echo "# vm: qemu failed with status $status"; fail=1
	fi
	;;
esac

# A test that passed over a kernel warning has not passed.  Beyond oopses
# and WARNs, every report of the debug kernel's detectors: KASAN, UBSAN,
# lockdep (its reports start with WARNING: or BUG:, but are matched by
# their own words too), sleeping in atomic context, debugobjects
# (ODEBUG), kmemleak (the objects /init copies to the console after its
# last scan, "tt-kmemleak: unreferenced object ...": not kmemleak's own
# "suspected memory leaks" line, which /init's first scan prints for
# what boot left behind, before any test and then forgotten).
bad='(Oops|BUG:|WARNING:|KASAN|Call Trace|general protection|Kernel panic|kernel BUG|UBSAN'
bad+='|possible circular locking|inconsistent lock state|suspicious RCU usage'
bad+='|possible recursive locking|lock held when returning|bad unlock balance'
bad+='|sleeping function called from invalid context|scheduling while atomic'
bad+='|ODEBUG|unreferenced object|DEBUG_LOCKS_WARN_ON'
bad+='|list_add corruption|list_del corruption)'
if grep -Eq "$bad" "$console"; then
	echo "# vm: kernel log of $rel reports trouble:"
	grep -E -m 20 -B 2 -A 12 "$bad" "$console" | sed 's/^/#   /'
	fail=1
fi
exit $fail
