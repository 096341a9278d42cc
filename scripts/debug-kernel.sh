#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The 6.1 debug kernel of `make check-debug`: KASAN, lockdep, kmemleak,
# debugobjects and UBSAN, built from Debian's linux-source-6.1 with
# x86_64 defconfig + kvm_guest.config + scripts/debug-kernel.config.
#
#   debug-kernel.sh build    build it unless the cache holds it; print its
#                            directory
#   debug-kernel.sh dir      the cache directory for today's key (built or
#                            not)
#   debug-kernel.sh key      the key: source package version, hash of the
#                            fragment's options, gcc version
#   debug-kernel.sh version  compare linux-source-6.1's 6.1.y with that of
#                            the installed Debian 6.1 image
#
# The cache lives outside the clone, once per machine:
# $TT_DEBUG_KERNEL_CACHE (default /var/lib/tcp-teardown/debug-kernel)/KEY/
#   bzImage               what the VM boots (never the vmlinux inside:
#                         with KASAN, the PVH entry writes to shadow memory
#                         that is not mapped yet, and the guest triple-faults)
#   config, System.map
#   lib/modules/RELEASE/  its modules (veth, tun, inet_diag, tcp_diag),
#                         build -> ../../../build
#   build/                a headers tree like Debian's linux-headers: what
#                         an out-of-tree module build needs
# A new key (a new linux-source-6.1, an edited option, another gcc) builds
# a new kernel; comments in the fragment are not part of the key.  The
# build takes about 40 CPU-minutes: TT_DEBUG_KERNEL_JOBS (default 2) jobs
# under nice 10; its log is $TT_DEBUG_KERNEL_LOG (default KEY.log next to
# the cache directory).
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
FRAGMENT=$TOP/scripts/debug-kernel.config
TARBALL=/usr/src/linux-source-6.1.tar.xz
CACHE=${TT_DEBUG_KERNEL_CACHE:-${STAMP_DIR:-/var/lib/tcp-teardown}/debug-kernel}
JOBS=${TT_DEBUG_KERNEL_JOBS:-2}

die() {
	echo "debug-kernel.sh: $*" >&2
	exit 1
}

pkg_version() {
	dpkg-query -W -f '${Version}' "$1" 2>/dev/null
}

# The options of the fragment, one a line, without comments or blanks.
options() {
	grep -E '^(CONFIG_[A-Z0-9_]+=|# CONFIG_[A-Z0-9_]+ is not set)' "$FRAGMENT"
}

key() {
	src=$(pkg_version linux-source-6.1)
	[ -n "$src" ] || die "linux-source-6.1 is not installed (run scripts/deps.sh)"
	frag=$(options | sha256sum | cut -c1-12)
	cc=$(gcc -dumpfullversion)
	ccpkg=$(pkg_version "gcc-${cc%%.*}")
	echo "$src-$frag-gcc$cc${ccpkg:+_$ccpkg}"
}

# Debian ships linux-source-6.1 and the 6.1 image from one source
# package, so their upstream versions agree unless the archive lets them
# drift: say which, and go on (the debug kernel is built from the source).
version() {
	src=$(pkg_version linux-source-6.1)
	rel=$("$TOP/scripts/kernel.sh" release 6.1 2>/dev/null) || rel=
	img=${rel:+$(pkg_version "linux-image-$rel")}
	if [ -z "$img" ]; then
		echo "debug-kernel: linux-source-6.1 $src; no Debian 6.1 image installed to compare with"
	elif [ "${src%-*}" = "${img%-*}" ]; then
		echo "debug-kernel: linux-source-6.1 $src and linux-image-$rel $img: same 6.1.y (${src%-*})"
	else
		echo "debug-kernel: WARNING: linux-source-6.1 is ${src%-*} ($src) but linux-image-$rel is ${img%-*} ($img): the debug kernel is not the 6.1.y the suite runs on"
	fi
}

# Every option of the fragment as the final .config has it, else which not.
verify() {
	bad=0
	while IFS= read -r line; do
		case "$line" in
		\#*)
			opt=${line#\# }
			opt=${opt%% *}
			if grep -q "^$opt=" "$1"; then
				echo "debug-kernel: $opt should be off: $(grep "^$opt=" "$1")" >&2
				bad=1
			fi
			;;
		*)
			if ! grep -qxF "$line" "$1"; then
				opt=${line%%=*}
				echo "debug-kernel: $line did not survive: $(grep -E "^$opt=|# $opt is not set" "$1" || echo "$opt unknown")" >&2
				bad=1
			fi
			;;
		esac
	done <<-EOF
	$(options)
	EOF
	return $bad
}

# The files of a headers tree, as the kernel's own scripts/package/builddeb
# collects them: the sources' makefiles, includes and scripts, and the
# build's generated headers, tools and Module.symvers.
headers() {	# headers SRC OBJ DEST
	(cd "$1" && {
		find . arch/x86 -maxdepth 1 -name 'Makefile*'
		find include scripts -type f -o -type l
		find arch/x86 -name Kbuild.platforms -o -name Platform
		find $(find arch/x86 -name include -o -name scripts -type d) -type f
	}) >"$3.src"
	(cd "$2" && {
		echo tools/objtool/objtool
		find arch/x86/include Module.symvers include scripts -type f
	}) >"$3.obj"
	mkdir -p "$3"
	tar -c -f - -C "$1" -T "$3.src" | tar -xf - -C "$3"
	tar -c -f - -C "$2" -T "$3.obj" | tar -xf - -C "$3"
	cp "$2/.config" "$3/.config"
	rm -f "$3.src" "$3.obj"
}

build() {
	k=$(key)
	dest=$CACHE/$k
	version >&2
	if [ -e "$dest/complete" ]; then
		echo "$dest"
		return 0
	fi
	[ -r "$TARBALL" ] || die "$TARBALL missing (run scripts/deps.sh)"
	log=${TT_DEBUG_KERNEL_LOG:-$CACHE/$k.log}
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.lock"
	echo "debug-kernel: building $k (about 40 CPU-minutes; log: $log)" >&2
	flock 9
	if [ -e "$dest/complete" ]; then	# built meanwhile by another run
		echo "$dest"
		return 0
	fi
	# The work tree stays until the kernel is in the cache: a build that
	# failed or was cut short goes on from where it stopped.
	work=$CACHE/work-$k
	src=$work/linux-source-6.1
	obj=$work/obj
	rm -rf "$dest" "$dest.tmp"
	start=$(date +%s)
	if [ ! -e "$work/configured" ]; then
		rm -rf "$work"
		mkdir -p "$work"
		{
			tar -C "$work" -xf "$TARBALL"
			make -C "$src" O="$obj" defconfig kvm_guest.config
			KCONFIG_CONFIG="$obj/.config" "$src/scripts/kconfig/merge_config.sh" \
				-m -O "$obj" "$obj/.config" "$FRAGMENT"
			make -C "$src" O="$obj" olddefconfig
		} >"$log" 2>&1 || die "configuring failed: $log"
		verify "$obj/.config" ||
			die "the fragment does not apply to this source: fix scripts/debug-kernel.config"
		touch "$work/configured"
	fi
	nice -n 10 make -C "$src" O="$obj" -j"$JOBS" bzImage modules >>"$log" 2>&1 ||
		die "kernel build failed: $log"
	rel=$(cat "$obj/include/config/kernel.release")
	mkdir -p "$dest.tmp"
	make -C "$src" O="$obj" INSTALL_MOD_PATH="$dest.tmp" DEPMOD=/sbin/depmod \
		modules_install >>"$log" 2>&1 || die "modules_install failed: $log"
	rm -f "$dest.tmp/lib/modules/$rel/build" "$dest.tmp/lib/modules/$rel/source"
	headers "$src" "$obj" "$dest.tmp/build"
	ln -s ../../../build "$dest.tmp/lib/modules/$rel/build"
	cp "$obj/arch/x86/boot/bzImage" "$dest.tmp/bzImage"
	cp "$obj/.config" "$dest.tmp/config"
	cp "$obj/System.map" "$dest.tmp/System.map"
	echo "$rel" >"$dest.tmp/release"
	end=$(date +%s)
	echo "debug-kernel: $rel built in $(((end - start) / 60)) min $(((end - start) % 60)) s wall" |
		tee -a "$log" >&2
	touch "$dest.tmp/complete"
	mv "$dest.tmp" "$dest"
	rm -rf "$work"
	echo "$dest"
}

case "${1:-}" in
build) build ;;
dir) echo "$CACHE/$(key)" ;;
key) key ;;
version) version ;;
*) echo "usage: debug-kernel.sh build|dir|key|version" >&2; exit 2 ;;
esac
