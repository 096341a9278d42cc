#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian package, end to end, on this host (part of `make check`):
#
#   1. build tcp-teardown-dkms_<version>_all.deb (scripts/deb.sh);
#   2. install it as README tells a user (apt-get install ./...deb);
#      DKMS builds and installs the module for every installed kernel
#      dkms.conf supports, each one signed with DKMS's key;
#   3. a kernel update: the module is removed from one kernel, and that
#      kernel's headers package is configured again (its postinst, what
#      dpkg runs when the headers are installed): DKMS builds for it;
#   4. a kernel dkms.conf does not support is refused with DKMS's
#      BUILD_EXCLUSIVE message (exit 77), nothing installed for it;
#   5. what else the package ships: tcp_teardown(7) through man, the
#      conffile /etc/modprobe.d/tcp_teardown.conf (its examples name real
#      parameters), the udev rule (udevadm test: it matches the module's
#      add uevent and runs systemd-sysctl for the module's prefix);
#   6. remove, then purge: no file, DKMS tree, module or conffile is left;
#   7. boots 6.1 in the VM with the module DKMS built for 6.1 (kept from
#      step 2) and runs control_test against it.
#
# The host is left as it was: the package is purged, a DKMS signing key
# the test made is deleted, directories it made are removed.  It refuses
# to run if tcp-teardown-dkms is installed already (nothing is touched).
# Needs root and dkms (scripts/deps.sh).  Output: KTAP-like lines, last
# "ok"/"not ok"; exit status 0 only if every step passed.
#
#   package-test.sh [--no-vm]
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${TT_BUILD:-$TOP/build}
out=$BUILD/pkgtest
pkg=tcp-teardown-dkms
name=tcp-teardown
vm=1
[ "${1:-}" = --no-vm ] && vm=0

fails=0
step() {	# step STATUS DESCRIPTION
	if [ "$1" -eq 0 ]; then
		echo "ok - $2"
	else
		echo "not ok - $2"
		fails=$((fails + 1))
	fi
}
die() {
	echo "package-test: $*" >&2
	echo "not ok - package test: $*"
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (it installs a package)"
command -v dkms >/dev/null || die "dkms is not installed (scripts/deps.sh)"
if dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q 'installed'; then
	die "$pkg is installed on this host already: not touching it"
fi
[ -e "/var/lib/dkms/$name" ] && die "/var/lib/dkms/$name exists already: not touching it"

ver=$(sed -n 's/^#define TCP_TEARDOWN_VERSION "\(.*\)"$/\1/p' "$TOP/module/tcp_teardown.h")
rm -rf "$out"
mkdir -p "$out"

# ---- what this test may change, as it is now ----
had_key=0
[ -e /var/lib/dkms/mok.key ] && had_key=1
had_pub=0
[ -e /var/lib/dkms/mok.pub ] && had_pub=1
made_dirs=()
remember_dir() {	# remember_dir DIR: remove DIR at the end if we made it
	[ -d "$1" ] || made_dirs+=("$1")
}
for k in /lib/modules/*/; do
	remember_dir "${k}updates"
	remember_dir "${k}updates/dkms"
done
remember_dir /run/udev
remember_dir /run/udev/rules.d
probe_rule=/run/udev/rules.d/60-tcp-teardown-package-test.rules

cleanup() {
	rm -f "$probe_rule"
	if dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q .; then
		dpkg --purge "$pkg" >>"$out/cleanup.log" 2>&1
	fi
	if [ -e "/var/lib/dkms/$name" ]; then
		dkms remove -m "$name" -v "$ver" --all >>"$out/cleanup.log" 2>&1
		rm -rf "/var/lib/dkms/$name"
	fi
	[ $had_key -eq 1 ] || rm -f /var/lib/dkms/mok.key
	[ $had_pub -eq 1 ] || rm -f /var/lib/dkms/mok.pub
	local i
	for ((i = ${#made_dirs[@]} - 1; i >= 0; i--)); do
		rmdir "${made_dirs[$i]}" 2>/dev/null
	done
}
trap cleanup EXIT

# Every installed kernel with headers that dkms.conf supports.
re=$(sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"$/\1/p' "$TOP/debian/$pkg.dkms")
kernels=()
for k in $(ls -v /lib/modules/); do
	[ -e "/lib/modules/$k/build/include" ] && [[ $k =~ $re ]] && kernels+=("$k")
done
[ ${#kernels[@]} -gt 0 ] || die "no supported kernel with headers on this host"
echo "# package test: $pkg $ver, kernels ${kernels[*]}"

# ---- 1. build ----
deb=$(sh "$TOP/scripts/deb.sh" 2>"$out/deb.err" | tail -n 1)
[ -s "$deb" ]
step $? "package builds: ${deb#"$BUILD"/}"
[ -s "$deb" ] || { cat "$out/deb.err"; exit 1; }

# ---- 2. install ----
# No recommends: they would pull linux-headers-amd64 onto the host.
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	"$deb" >"$out/install.log" 2>&1
step $? "apt-get install ./$(basename "$deb") (log: $out/install.log)"

dkms status -m "$name" >"$out/status-install.txt" 2>/dev/null
sed 's/^/# dkms status: /' "$out/status-install.txt"
installed_for() {	# installed_for KERNEL: dkms says installed, file present
	grep -q "^$name/$ver, $1, x86_64: installed" "$out/status.txt" &&
		ls /lib/modules/"$1"/updates/dkms/tcp_teardown.ko* >/dev/null 2>&1
}
cp "$out/status-install.txt" "$out/status.txt"
st=0
for k in "${kernels[@]}"; do
	installed_for "$k" || { echo "# not installed for $k"; st=1; }
done
step $st "dkms status: built and installed for ${kernels[*]}"

# Each module is this version, for its kernel, signed with DKMS's key.
st=0
for k in "${kernels[@]}"; do
	f=$(ls /lib/modules/"$k"/updates/dkms/tcp_teardown.ko* 2>/dev/null | head -n 1)
	[ -n "$f" ] || { st=1; continue; }
	v=$(modinfo -F version "$f") vm_=$(modinfo -F vermagic "$f") s=$(modinfo -F signer "$f")
	echo "# $k: $(basename "$f") version $v, vermagic ${vm_%% *}, signer '$s'"
	[ "$v" = "$ver" ] && [ "${vm_%% *}" = "$k" ] && [ -n "$s" ] || st=1
	# the module make builds from the same sources: same srcversion
	case "$k" in 6.1.0-*) cp "$f" "$out/" ;; esac
done
step $st "modules carry version $ver, their kernel's vermagic and a DKMS signature"

# DKMS built what `make module-<kernel>` builds (Kbuild's feature
# detection from the same headers): every section but debug information
# (DKMS strips it) and strings (they hold the source path) has the same
# size.  Compared for each kernel `make` has built for already.
sections() {	# sections KO: name and size of the sections compared
	xz -dcf <"$1" >"$out/cmp.ko"
	size -A "$out/cmp.ko" | awk 'NR > 2 && $1 ~ /^\./ && $1 !~ /^\.(debug|rodata\.str)/ &&
		$1 != ".comment" { print $1, $2 }'
}
st=0 cmp=
for s in 6.1 6.12; do
	rel=$(sh "$TOP/scripts/kernel.sh" release "$s" 2>/dev/null) || continue
	mine=$BUILD/$s/tcp_teardown.ko
	f=$(ls /lib/modules/"$rel"/updates/dkms/tcp_teardown.ko* 2>/dev/null | head -n 1)
	[ -s "$mine" ] && [ -n "$f" ] || continue
	sections "$mine" >"$out/sections-make-$s.txt"
	sections "$f" >"$out/sections-dkms-$s.txt"
	if diff "$out/sections-make-$s.txt" "$out/sections-dkms-$s.txt" >"$out/sections-$s.diff"; then
		cmp="$cmp $s"
	else
		sed 's/^/# '"$s"' make vs DKMS: /' "$out/sections-$s.diff"
		st=1
	fi
done
rm -f "$out/cmp.ko"
if [ -n "$cmp" ] || [ $st -ne 0 ]; then
	step $st "DKMS built the same code as make for:$cmp"
else
	echo "# no module built by make to compare with (make module-6.1)"
fi
[ -e /var/lib/dkms/mok.pub ]
step $? "DKMS's MOK certificate for mokutil --import: /var/lib/dkms/mok.pub"

# ---- 3. a kernel update ----
# The first supported kernel loses its module, and gets it back from the
# hook its headers package runs when it is installed (or upgraded).
k=${kernels[0]}
dkms remove -m "$name" -v "$ver" -k "$k" >"$out/update.log" 2>&1
dkms status -m "$name" >"$out/status.txt" 2>/dev/null
! installed_for "$k"
st=$?
hook=/var/lib/dpkg/info/linux-headers-$k.postinst
if [ -x "$hook" ]; then
	"$hook" configure >>"$out/update.log" 2>&1 || st=1
else
	# headers not from a package: the hook the kernel packages run
	run-parts --report --exit-on-error --arg="$k" /etc/kernel/header_postinst.d \
		>>"$out/update.log" 2>&1 || st=1
fi
dkms status -m "$name" >"$out/status.txt" 2>/dev/null
sed 's/^/# after the headers of '"$k"': /' "$out/status.txt"
for kk in "${kernels[@]}"; do
	installed_for "$kk" || st=1
done
step $st "kernel update: headers of $k configured, dkms status lists ${kernels[*]}"

# ---- 4. an unsupported kernel ----
bad=5.10.0-99-amd64
dkms build -m "$name" -v "$ver" -k "$bad" \
	--kernelsourcedir "/lib/modules/${kernels[0]}/build" >"$out/unsupported.log" 2>&1
st=$?
grep -i 'BUILD_EXCLUSIVE' "$out/unsupported.log" | sed 's/^/# '"$bad"': /'
[ $st -eq 77 ] && grep -q 'BUILD_EXCLUSIVE directive which does not match' "$out/unsupported.log" &&
	! dkms status -m "$name" 2>/dev/null | grep -q "$bad"
step $? "kernel $bad refused by dkms.conf (exit $st), nothing built for it"

# ---- 5. man page, modprobe.d, udev ----
man -w tcp_teardown >"$out/man.txt" 2>&1 &&
	MANWIDTH=80 man tcp_teardown 2>&1 | grep -q 'tcp_teardown - '
step $? "man tcp_teardown: $(cat "$out/man.txt")"

conf=/etc/modprobe.d/tcp_teardown.conf
st=0
dpkg-query -W -f='${Conffiles}\n' "$pkg" | grep -q " $conf " || st=1
ko=$(ls /lib/modules/"${kernels[0]}"/updates/dkms/tcp_teardown.ko* | head -n 1)
params=$(modinfo -F parm "$ko" | cut -d: -f1)
n=0
for p in $(sed -n 's/^#options tcp_teardown //p' "$conf" | tr ' ' '\n' | cut -d= -f1); do
	n=$((n + 1))
	echo "$params" | grep -qx "$p" || { echo "# $conf: no parameter $p"; st=1; }
done
[ $n -gt 0 ] || st=1
# modprobe reads it: uncommented, modprobe -c shows the options.
sed 's/^#options/options/' "$conf" >"$out/options.conf"
modprobe -C "$out/options.conf" -c 2>/dev/null | grep -q '^options tcp_teardown half_duplex_close=0' || st=1
step $st "$conf is a conffile; its $n example parameters exist, modprobe parses them"

rule=/lib/udev/rules.d/60-tcp-teardown.rules
st=0
# A module the host has in /sys/module stands in for tcp_teardown (which
# this host's kernel cannot load): the same rule, another KERNEL name.
m=$(ls /sys/module | head -n 1)
mkdir -p /run/udev/rules.d
sed "s/KERNEL==\"tcp_teardown\"/KERNEL==\"$m\"/" "$rule" >"$probe_rule"
udevadm test --action=add "/sys/module/$m" >"$out/udev.log" 2>&1
grep -q "^run: '/lib/systemd/systemd-sysctl --prefix=/net/ipv4/tcp_teardown'" "$out/udev.log" || st=1
# (/lib is /usr/lib on a merged-/usr system)
grep -q "Reading rules file: \(/usr\)\?$rule\$" "$out/udev.log" || st=1
grep -i "60-tcp-teardown.rules.*\(invalid\|error\|unknown\|ignor\)" "$out/udev.log" && st=1
rm -f "$probe_rule"
# ... and the real rule leaves every other module alone.
udevadm test --action=add "/sys/module/$m" 2>&1 | grep -q 'systemd-sysctl --prefix=/net/ipv4/tcp_teardown' && st=1
# systemd-sysctl --prefix picks exactly the module's keys out of a file.
printf 'net.ipv4.tcp_teardown.enabled = 0\nnet.ipv4.tcp_teardown_other = 1\n' >"$out/sysctl.conf"
SYSTEMD_LOG_LEVEL=debug /lib/systemd/systemd-sysctl --prefix=/net/ipv4/tcp_teardown \
	"$out/sysctl.conf" >"$out/sysctl.log" 2>&1
grep -q "net/ipv4/tcp_teardown/enabled" "$out/sysctl.log" &&
	! grep -q "tcp_teardown_other" "$out/sysctl.log" || st=1
step $st "udev rule: module add uevent runs systemd-sysctl --prefix=/net/ipv4/tcp_teardown"

# ---- 6. remove and purge ----
DEBIAN_FRONTEND=noninteractive apt-get remove -y -q "$pkg" >"$out/remove.log" 2>&1
st=$?
[ -z "$(dkms status -m "$name" 2>/dev/null)" ] || st=1
ls /lib/modules/*/updates/dkms/tcp_teardown.ko* >/dev/null 2>&1 && st=1
ls -d /usr/src/"$name"-* >/dev/null 2>&1 && st=1
[ -e "/var/lib/dkms/$name" ] && st=1
grep -l tcp_teardown /lib/modules/*/modules.dep && st=1
[ -e "$conf" ] || st=1	# a conffile stays until purge
step $st "apt-get remove: no module, DKMS tree, source or depmod entry left; conffile kept"

dpkg --purge "$pkg" >"$out/purge.log" 2>&1
st=$?
dpkg -L "$pkg" >/dev/null 2>&1 && st=1
[ -e "$conf" ] && st=1
[ -e "$rule" ] && st=1
[ -e /usr/share/man/man7/tcp_teardown.7.gz ] && st=1
ls -d /usr/src/"$name"-* /var/lib/dkms/"$name" >/dev/null 2>&1 && st=1
step $st "dpkg --purge: dpkg -L empty, no conffile, rule, man page or DKMS state left"

# ---- 7. the DKMS-built module in the VM ----
if [ $vm -eq 1 ]; then
	ko=$(ls "$out"/tcp_teardown.ko* 2>/dev/null | head -n 1)
	if [ -z "$ko" ]; then
		step 1 "6.1 VM: no DKMS-built module for 6.1"
	else
		make -C "$TOP" --no-print-directory selftests >"$out/selftests.log" 2>&1
		# its own VM directory: the suite's kernel log stays where it is
		TT_VM_OUT=$out/vm bash "$TOP/scripts/vm.sh" --kernel 6.1 --mode check \
			--tests control_test --module "$ko" >"$out/vm-6.1.log" 2>&1
		st=$?
		grep -E '^# vm: module|^# Totals' "$out/vm-6.1.log"
		want=$(xz -dcf <"$ko" | sha256sum | cut -d' ' -f1)
		grep -q "^# vm: module .* sha256 $want" "$out/vm-6.1.log" || st=1
		grep -q '^# Totals: pass:[1-9][0-9]* fail:0 ' "$out/vm-6.1.log" || st=1
		step $st "6.1 VM: control_test passes on the DKMS-built module (log: $out/vm-6.1.log)"
	fi
fi

trap - EXIT
cleanup
echo "# package test: $fails failed"
[ $fails -eq 0 ]
