#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole suite: static checks, then the selftests in a VM per kernel.
#   check.sh --build "6.1 6.12 6.12-trixie 7.3 sid" --vm "6.1 6.12 7.3"
# Every --build kernel gets a W=1 and sparse build; every --vm kernel
# boots and runs the whole selftest suite, and bench-smoke.
# Every static check counts as one test; every kselftest case as one test
# per kernel; a VM that fails without a failing case (kernel warning,
# crash, hang) counts as one more failure.  bench-smoke (the benchmark
# harness in seconds, every kernel) is one test: it passes when every
# scenario produced well-formed results; it never judges speed.  The
# manual page's check (scripts/check-man.sh) and the Debian package's test
# (scripts/package-test.sh: build, install, DKMS for every host kernel,
# remove, purge, then control_test on 6.1 with the DKMS-built module) are
# one test each.  Ends with
# "N passed, N failed, N skipped" and exits non-zero if anything failed.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
LOG=${TT_BUILD:-$TOP/build}/check
mkdir -p "$LOG"
build_kernels='' vm_kernels=''
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build_kernels=$2; shift 2 ;;
	--vm) vm_kernels=$2; shift 2 ;;
	*) echo "check.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
start=$SECONDS
passed=0 failed=0 skipped=0

result() {	# result NAME STATUS
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok - $1"
	else
		failed=$((failed + 1))
		echo "not ok - $1 (log: $LOG/$1.log)"
		sed 's/^/#   /' "$LOG/$1.log" | tail -n 30
	fi
}

sh "$TOP/scripts/checkpatch.sh" >"$LOG/checkpatch.log" 2>&1
result checkpatch $?

sh "$TOP/scripts/check-man.sh" >"$LOG/man.log" 2>&1
result man $?

# Compiler (W=1) and sparse (C=2) must both be silent.
for k in $build_kernels; do
	make -C "$TOP" --no-print-directory module-"$k" \
		KBUILD_EXTRA="W=1 C=2" >"$LOG/build-$k.log" 2>&1
	st=$?
	if [ $st -eq 0 ] && grep -Eq '(warning|error):' "$LOG/build-$k.log"; then
		st=1
	fi
	# Kbuild skips a sparse it finds missing or too old with a mere note.
	if grep -q 'is not available or not up to date' "$LOG/build-$k.log"; then
		st=1
	fi
	result "build-$k" $st
done

make -C "$TOP" --no-print-directory selftests >"$LOG/selftests-build.log" 2>&1
st=$?
[ $st -eq 0 ] && grep -q 'warning:' "$LOG/selftests-build.log" && st=1
result selftests-build $st

for k in $vm_kernels; do
	[ -f "${TT_BUILD:-$TOP/build}/$k/tcp_teardown.ko" ] || continue
	bash "$TOP/scripts/vm.sh" --kernel "$k" --mode check 2>&1 |
		tee "$LOG/vm-$k.log"
	st=${PIPESTATUS[0]}
	read -r p f s < <(awk '/^# Totals:/ {
		for (i = 3; i <= NF; i++) { split($i, kv, ":"); n[kv[1]] += kv[2] }
	} END { print n["pass"] + 0, n["fail"] + n["error"] + 0, n["skip"] + 0 }' \
		"$LOG/vm-$k.log")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	echo "# $k: $p passed, $f failed, $s skipped"
	if [ "$st" -ne 0 ] && [ "$f" -eq 0 ]; then
		failed=$((failed + 1))
		echo "not ok - vm-$k: the VM failed outside any test case"
	fi
done

# The package test installs and purges tcp-teardown-dkms on this host
# and leaves it as it found it.
bash "$TOP/scripts/package-test.sh" >"$LOG/package.log" 2>&1
result package $?

bench=()
for k in $vm_kernels; do
	[ -f "${TT_BUILD:-$TOP/build}/$k/tcp_teardown.ko" ] && bench+=("$k")
done
if [ ${#bench[@]} -gt 0 ]; then
	bash "$TOP/scripts/bench.sh" --smoke "${bench[@]}" \
		>"$LOG/bench-smoke.log" 2>&1
	result bench-smoke $?
else
	echo "no kernel has a module built" >"$LOG/bench-smoke.log"
	result bench-smoke 1
fi

echo "$passed passed, $failed failed, $skipped skipped ($((SECONDS - start)) s)"
[ "$failed" -eq 0 ]
