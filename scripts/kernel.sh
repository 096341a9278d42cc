#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Map a supported kernel (6.1, 6.12, 6.12-trixie, 7.3, sid) to what
# scripts/deps.sh installed for it.  The newest installed release of the
# series wins.  6.1-debug is the debug kernel scripts/debug-kernel.sh
# builds (KASAN, lockdep, kmemleak): its cache directory for today's key
# stands for the root, its build runs on the host.
#
#   kernel.sh release KERNEL      the release, e.g. 6.1.0-57-amd64
#   kernel.sh root KERNEL         / for the host's kernels, else the chroot
#                                 that builds for it (gcc-14, gcc-16)
#   kernel.sh image KERNEL        its bootable image (bzImage), for the VM
#   kernel.sh modules KERNEL      its /lib/modules/RELEASE, as the host sees it
#   kernel.sh make KERNEL ARG...  make -C its build tree ARG..., in its
#                                 chroot if it has one: TT_BUILD and the
#                                 source tree are bind-mounted there at
#                                 their own paths, in a mount namespace that
#                                 ends with the build
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
CHROOT_DIR=${STAMP_DIR:-/var/lib/tcp-teardown}/chroot

# Sets root and pat for a kernel name.
lookup() {
	case "$1" in
	6.1) root=/ pat='6.1.0-*-amd64' ;;
	6.12) root=/ pat='6.12.*+deb12-amd64' ;;
	6.12-trixie) root=$CHROOT_DIR/trixie pat='6.12.*+deb13-amd64' ;;
	7.3) root=$CHROOT_DIR/trixie pat='7.3.*+deb13-amd64' ;;
	sid) root=$CHROOT_DIR/sid pat='*-amd64' ;;
	6.1-debug) root=$("$TOP/scripts/debug-kernel.sh" dir) pat='6.1.*-tt-debug' ;;
	*) echo "kernel.sh: unsupported kernel '$1' (6.1, 6.12, 6.12-trixie, 7.3, sid, 6.1-debug)" >&2
	   exit 1 ;;
	esac
}

release() {
	lookup "$1"
	# shellcheck disable=SC2086
	rel=$(cd "$root/lib/modules" 2>/dev/null && ls -d $pat 2>/dev/null |
		sort -V | tail -n 1) || rel=
	if [ -z "$rel" ] || [ ! -e "$root/lib/modules/$rel/build" ]; then
		case "$1" in
		*-debug) echo "kernel.sh: the $1 kernel is not built (make debug-kernel)" >&2 ;;
		*) echo "kernel.sh: no $1 kernel with headers installed (run scripts/deps.sh)" >&2 ;;
		esac
		exit 1
	fi
	echo "$rel"
}

# Debian's 6.x kernels put the image in /boot; 7.x in the modules
# directory (linux-binary-ABI: vmlinuz, or vmlinuz.unsigned); the debug
# kernel has its bzImage at the top of its cache directory.
image() {
	rel=$(release "$1")
	lookup "$1"
	for f in "${root%/}/boot/vmlinuz-$rel" "${root%/}/lib/modules/$rel/vmlinuz" \
		 "${root%/}/lib/modules/$rel/vmlinuz.unsigned" "${root%/}/bzImage"; do
		[ -s "$f" ] && { echo "$f"; return 0; }
	done
	echo "kernel.sh: no image for $1 ($rel): run scripts/deps.sh" >&2
	exit 1
}

kmake() {
	k=$1
	rel=$(release "$k")
	lookup "$k"
	shift
	if [ "$root" = / ]; then
		exec make -C "/lib/modules/$rel/build" "$@"
	fi
	case "$k" in
	*-debug) exec make -C "$root/lib/modules/$rel/build" "$@" ;;
	esac
	build=${TT_BUILD:-$TOP/build}
	mkdir -p "$build"
	build=$(cd "$build" && pwd)
	[ "$(id -u)" -eq 0 ] || { echo "kernel.sh: building for $1 needs root (chroot)" >&2; exit 1; }
	# The build directory holds links into the source tree: both are
	# seen inside the chroot at the paths they have outside.
	exec unshare -m --propagation private sh -c '
		root=$1 top=$2 build=$3 rel=$4
		shift 4
		for d in "$top" "$build"; do
			mkdir -p "$root$d" && mount --bind "$d" "$root$d" || exit 1
		done
		mount -t proc proc "$root/proc" || exit 1
		exec chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LC_ALL=C.UTF-8 make -C "/lib/modules/$rel/build" "$@"
	' sh "$root" "$TOP" "$build" "$rel" "$@"
}

case "${1:-}" in
release) release "${2:?kernel}" ;;
root) lookup "${2:?kernel}"; echo "$root" ;;
image) image "${2:?kernel}" ;;
modules) rel=$(release "${2:?kernel}"); lookup "$2"; echo "${root%/}/lib/modules/$rel" ;;
make) k=${2:?kernel}; shift 2; kmake "$k" "$@" ;;
*) echo "usage: kernel.sh release|root|image|modules KERNEL | make KERNEL ARG..." >&2
   exit 2 ;;
esac
