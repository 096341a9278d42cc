#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A test of the harness: the debug kernel's detectors fire in this setup,
# and scripts/vm.sh's kernel log scan fails the run on each of them.  One
# boot of the 6.1 debug kernel per planted bug of selftests/detector
# (tt_detector.ko bug=NAME), plus a control boot with bug=none that must
# pass (a scan that fails everything proves nothing).  For each bug the
# run must fail, vm.sh must say that the kernel log reports trouble, and
# the console must hold the report of the detector meant to catch it.
#
#   check-detectors.sh [BUG...]     default: all of them
#
# Output is TAP; the exit status is non-zero if any case failed.  Logs:
# build/6.1-debug/detector-BUG/ (console.log, vm.log).
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${TT_BUILD:-$TOP/build}

# bug: the report that must appear on the console (extended regex)
declare -A expect=(
	[none]=''
	[oob]='BUG: KASAN: slab-out-of-bounds'
	[uaf]='BUG: KASAN: (slab-)?use-after-free'
	[atomic_sleep]='BUG: sleeping function called from invalid context'
	[lock_order]='WARNING: possible circular locking dependency detected'
	[timer_free]='ODEBUG: free active .*object type: timer_list'
	[leak]='tt-kmemleak: unreferenced object .*size 128'
	[ubsan_shift]='UBSAN: shift-out-of-bounds'
)
order=(none oob uaf atomic_sleep lock_order timer_free leak ubsan_shift)
[ $# -gt 0 ] && order=("$@")

echo "TAP version 13"
echo "1..${#order[@]}"
n=0 failed=0
for bug in "${order[@]}"; do
	n=$((n + 1))
	if [ -z "${expect[$bug]+set}" ]; then
		echo "not ok $n - $bug: no such planted bug"
		failed=$((failed + 1))
		continue
	fi
	out=$BUILD/6.1-debug/detector-$bug
	mkdir -p "$out"
	start=$SECONDS
	TT_VM_OUT=$out bash "$TOP/scripts/vm.sh" --kernel 6.1-debug \
		--mode detector --bug "$bug" >"$out/vm.log" 2>&1
	st=$?
	took=$((SECONDS - start))
	why=
	if [ "$bug" = none ]; then
		[ $st -eq 0 ] || why="the control run failed (status $st)"
	else
		if [ $st -eq 0 ]; then
			why="the run passed"
		elif ! grep -q '^# vm: kernel log of .* reports trouble' "$out/vm.log"; then
			why="the run failed, but not through the kernel log scan"
		elif ! grep -Eq "${expect[$bug]}" "$out/console.log"; then
			why="no '${expect[$bug]}' on the console"
		fi
	fi
	if [ -z "$why" ]; then
		echo "ok $n - $bug: ${expect[$bug]:-clean run passes} (${took}s)"
	else
		echo "not ok $n - $bug: $why (${took}s; logs in $out)"
		sed 's/^/#   /' "$out/vm.log" | tail -n 20
		failed=$((failed + 1))
	fi
done
echo "# detectors: $((n - failed)) of $n as expected"
[ $failed -eq 0 ]
