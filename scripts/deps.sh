#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install what building, booting and testing tcp_teardown needs on a
# Debian 12 (bookworm) host.  Idempotent: when everything is present and
# the package lists are younger than a day, it runs a few local apt and
# dpkg queries and returns.
#
# Kernels (the newest of each series the archive serves, found here each
# time, because the archive moves: ABI numbers change between releases):
#
#   6.1          bookworm (security)      host packages, gcc-12
#   6.12         bookworm-security or     host packages, gcc-12
#                bookworm-backports,
#                whichever is newer
#   6.12-trixie  trixie                   headers in the trixie chroot, gcc-14
#   7.3          trixie-backports (the    headers, image and modules in the
#                newest 7.x)              trixie chroot, gcc-14
#   sid          sid (newest)             headers in the sid chroot, gcc-16
#
# Host kernels are installed by their versioned package names
# (linux-image-6.1.0-57-amd64, never linux-image-amd64 -t ...), so that the
# host's own metapackages never move.  The only apt source this script
# adds to the host is bookworm-backports (BACKPORTS_LIST).
#
# Kernels built with gcc-14 or gcc-16 need that compiler and a glibc
# >= 2.38 for their kbuild helpers, which Debian 12 does not have: they
# are built in a minbase chroot of their own release under
# $STAMP_DIR/chroot/ (debootstrap, run from its unpacked .deb, never
# installed on the host).  Their kernel images and modules, for the VM,
# are unpacked into the chroot with dpkg -x, never installed.
#
# Environment: TT_DEPS_MAX_AGE (seconds, default 86400): package lists
# older than this are refreshed (apt-get update) before the newest kernels
# are looked up; TT_DEPS_NO_SID=1 leaves the sid chroot out.
set -eu

BACKPORTS_LIST=/etc/apt/sources.list.d/tcp-teardown-backports.sources
STAMP_DIR=${STAMP_DIR:-/var/lib/tcp-teardown}
CHROOT_DIR=$STAMP_DIR/chroot
MIRROR=http://deb.debian.org/debian
MAX_AGE=${TT_DEPS_MAX_AGE:-86400}

# dpkg-dev, debhelper, dh-dkms and dkms build and install the Debian
# package (make deb, scripts/package-test.sh); mandoc checks the manual
# page (scripts/check-man.sh).  bc, flex, bison, libelf-dev and
# libssl-dev also build the debug kernel (scripts/debug-kernel.sh,
# `make check-debug`) from linux-source-6.1.
need_pkgs="build-essential bc kmod cpio busybox-static qemu-system-x86
	linux-source-6.1 sparse xz-utils zstd dwarves libelf-dev flex bison
	libssl-dev perl python3 dpkg-dev debhelper dh-dkms dkms mandoc"

# What every chroot gets; kernels' headers pull in their compiler.
chroot_pkgs="make libc6-dev libelf-dev libssl-dev dwarves kmod bc xz-utils
	sparse"

missing() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

log() {
	echo "deps: $*" >&2
}

# stale STAMP: STAMP, touched after each apt-get update, is older than
# MAX_AGE or absent.  (The lists' own mtimes are the archive's dates.)
stale() {
	[ -e "$1" ] || return 0
	[ $(($(date +%s) - $(stat -c %Y "$1"))) -gt "$MAX_AGE" ]
}

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return 0
	as_root apt-get update -q >&2
	as_root mkdir -p "$STAMP_DIR"
	as_root touch "$STAMP_DIR/apt-updated"
	apt_updated=1
}

add_backports() {
	[ -e "$BACKPORTS_LIST" ] && return 0
	grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ &&
		return 0
	as_root sh -c "cat > $BACKPORTS_LIST" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	apt_updated=
	apt_update
}

install() {
	[ $# -eq 0 ] && return 0
	apt_update
	DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q >&2 \
		--no-install-recommends "$@"
}

# headers_abis [CMD...]: the ABIs of every linux-headers-ABI package the
# package lists of CMD (default: the host's apt-cache) know.
headers_abis() {
	[ $# -gt 0 ] || set -- apt-cache
	"$@" pkgnames linux-headers- | sed 's/^linux-headers-//'
}

# newest_abi ERE ABIS: the newest of ABIS matching the extended regex ERE.
newest_abi() {
	printf '%s\n' "$2" | grep -E "^($1)\$" | sort -V | tail -n 1
}

# ---- host ----

# shellcheck disable=SC2086
m=$(missing $need_pkgs)
if [ -n "$m" ]; then
	# shellcheck disable=SC2086
	install $m
fi
add_backports
stale "$STAMP_DIR/apt-updated" && apt_update

host_abis=$(headers_abis)
host_kernel() {	# host_kernel SERIES REGEX
	abi=$(newest_abi "$2" "$host_abis")
	[ -n "$abi" ] || { log "no $1 kernel in the host's apt sources"; exit 1; }
	m=$(missing "linux-headers-$abi" "linux-image-$abi")
	if [ -n "$m" ]; then
		log "$1: installing $abi"
		# shellcheck disable=SC2086
		install $m
	fi
}
host_kernel 6.1 '6\.1\.0-[0-9]+-amd64'
host_kernel 6.12 '6\.12\.[0-9]+\+deb12-amd64'

# Unpack the 6.1 source once, for kselftest_harness.h and checkpatch.pl.
src=/usr/src/linux-source-6.1
if [ ! -d "$src/tools/testing/selftests" ]; then
	tarball=$(ls /usr/src/linux-source-6.1.tar.* | head -n 1)
	as_root mkdir -p "$src"
	as_root tar -C /usr/src -xf "$tarball" \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/kselftest.h \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
fi

# ---- chroots for the gcc-14 and gcc-16 kernels ----

# debootstrap from its .deb, unpacked once (bookworm's knows trixie and sid).
debootstrap_dir() {
	d=$STAMP_DIR/debootstrap
	if [ ! -x "$d/usr/sbin/debootstrap" ]; then
		t=$(mktemp -d)
		(cd "$t" && apt-get download -q debootstrap >&2)
		as_root rm -rf "$d"
		as_root dpkg -x "$t"/debootstrap_*.deb "$d"
		rm -rf "$t"
	fi
	echo "$d"
}

# in_chroot NAME CMD...: run CMD in the chroot with /proc and /dev, in a
# mount namespace of its own (the mounts vanish with it, also on failure).
in_chroot() {
	r=$CHROOT_DIR/$1
	shift
	as_root unshare -m --propagation private sh -c '
		r=$1; shift
		mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" &&
			exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
				HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
	' sh "$r" "$@"
}

# make_chroot NAME SUITE SUITES...: a minbase chroot of SUITE with the
# given apt suites (deb822), ready when NAME/.tt-ready exists.  A half
# made one (interrupted) is thrown away and made again.
make_chroot() {
	name=$1 suite=$2
	shift 2
	r=$CHROOT_DIR/$name
	[ -e "$r/.tt-ready" ] && return 0
	log "creating the $name chroot in $r (about a minute)"
	d=$(debootstrap_dir)
	as_root rm -rf "$r"
	as_root mkdir -p "$CHROOT_DIR"
	# shellcheck disable=SC2086
	as_root env DEBOOTSTRAP_DIR="$d/usr/share/debootstrap" \
		"$d/usr/sbin/debootstrap" --variant=minbase \
		--include="$(echo $chroot_pkgs | tr ' ' ,)" \
		"$suite" "$r" "$MIRROR" >&2
	as_root rm -f "$r/etc/apt/sources.list"
	{
		echo "Types: deb"
		echo "URIs: $MIRROR"
		echo "Suites: $*"
		echo "Components: main"
		echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
		if [ "$suite" != sid ]; then
			echo
			echo "Types: deb"
			echo "URIs: http://deb.debian.org/debian-security"
			echo "Suites: $suite-security"
			echo "Components: main"
			echo "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
		fi
	} | as_root sh -c "cat > '$r/etc/apt/sources.list.d/debian.sources'"
	if [ "$suite" = sid ]; then
		# sid's Release files are valid for a week only; apt refuses
		# them once the mirror lags behind the clock by more.
		echo 'Acquire::Check-Valid-Until "false";' |
			as_root sh -c "cat > '$r/etc/apt/apt.conf.d/99tcp-teardown'"
	fi
	in_chroot "$name" apt-get update -q >&2
	as_root touch "$r/.tt-apt-updated" "$r/.tt-ready"
}

chroot_update() {	# chroot_update NAME: refresh stale package lists
	stale "$CHROOT_DIR/$1/.tt-apt-updated" || return 0
	in_chroot "$1" apt-get update -q >&2
	as_root touch "$CHROOT_DIR/$1/.tt-apt-updated"
}

# chroot_install NAME [-t SUITE] PKG...: install what is missing.
chroot_install() {
	name=$1
	shift
	t=
	if [ "$1" = -t ]; then
		t="-t $2"
		shift 2
	fi
	m=
	for p in "$@"; do
		in_chroot "$name" dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || m="$m $p"
	done
	[ -z "$m" ] && return 0
	log "$name chroot: installing$m"
	# shellcheck disable=SC2086
	in_chroot "$name" apt-get install -y -q --no-install-recommends $t $m >&2
}

# chroot_kernel NAME SERIES REGEX [-t SUITE]: the newest headers for SERIES.
chroot_kernel() {
	name=$1 series=$2 re=$3
	shift 3
	abi=$(newest_abi "$re" "$(headers_abis in_chroot "$name" apt-cache)")
	[ -n "$abi" ] || { log "no $series kernel in the $name chroot's sources"; exit 1; }
	chroot_install "$name" "$@" "linux-headers-$abi"
	echo "$abi"
}

# chroot_image NAME ABI: the kernel image and modules of ABI unpacked
# (dpkg -x) into the chroot, for the VM.  7.x packaging: the image is in
# linux-binary-ABI (or linux-binary-unsigned-ABI) at
# usr/lib/modules/ABI/vmlinuz, the modules in linux-modules-ABI.
chroot_image() {
	r=$CHROOT_DIR/$1 abi=$2
	dir=$r/usr/lib/modules/$abi
	if [ -e "$dir/.tt-image" ]; then
		return 0
	fi
	log "$1 chroot: unpacking the $abi image and modules"
	t=/var/cache/tt-image
	as_root rm -rf "$r$t"
	as_root mkdir -p "$r$t"
	in_chroot "$1" sh -c "cd $t && { apt-get download -q linux-binary-$abi ||
		apt-get download -q linux-binary-unsigned-$abi; } &&
		apt-get download -q linux-modules-$abi" >&2
	for deb in "$r$t"/*.deb; do
		as_root dpkg -x "$deb" "$r"
	done
	as_root rm -rf "$r$t"
	as_root depmod -b "$r/usr" "$abi" 2>/dev/null || true
	as_root touch "$dir/.tt-image"
}

make_chroot trixie trixie trixie trixie-updates trixie-backports
chroot_update trixie
chroot_kernel trixie 6.12-trixie '6\.12\.[0-9]+\+deb13-amd64' >/dev/null
abi=$(chroot_kernel trixie 7.x '7\.[0-9]+\.[0-9]+\+deb13-amd64' -t trixie-backports)
chroot_image trixie "$abi"
case "$abi" in
7.3.*) ;;
*) log "note: trixie-backports' newest is now $abi; the Makefile's KERNELS still name 7.3" ;;
esac

if [ "${TT_DEPS_NO_SID:-0}" != 1 ]; then
	make_chroot sid sid sid
	chroot_update sid
	chroot_kernel sid sid '[0-9]+\.[0-9]+\.[0-9]+\+deb[0-9]+-amd64' >/dev/null
	# trixie's sparse (0.6.4) predates __typeof_unqual__, which 7.x
	# headers use: the trixie chroot borrows sid's, one binary that
	# needs only a glibc >= 2.38, in /usr/local/bin (first in the PATH
	# of scripts/kernel.sh's builds).
	if ! cmp -s "$CHROOT_DIR/sid/usr/bin/sparse" \
		"$CHROOT_DIR/trixie/usr/local/bin/sparse"; then
		as_root cp "$CHROOT_DIR/sid/usr/bin/sparse" \
			"$CHROOT_DIR/trixie/usr/local/bin/sparse"
	fi
fi

# Debian's 7.x header packages leave out scripts/checker-valid.sh, which
# their Makefile runs for C=1/C=2 to see that sparse understands
# __typeof_unqual__; without it sparse is silently skipped.  This is the
# kernel's script.
for h in "$CHROOT_DIR"/*/usr/src/linux-headers-*-common; do
	[ -f "$h/Makefile" ] && grep -q checker-valid.sh "$h/Makefile" || continue
	[ -e "$h/scripts/checker-valid.sh" ] && continue
	as_root sh -c "cat > '$h/scripts/checker-valid.sh'" <<'EOF'
#!/bin/sh -eu
# SPDX-License-Identifier: GPL-2.0

[ ! -x "$(command -v "$1")" ] && exit 1

tmp_file=$(mktemp)
trap "rm -f $tmp_file" EXIT

cat << EOT >$tmp_file
static inline int u(const int *q)
{
	__typeof_unqual__(*q) v = *q;
	return v;
}
EOT

# sparse happily exits with 0 on error so validate
# there is none on stderr. Use awk as grep is a pain with sh -e
$@ $tmp_file 2>&1 | awk -v c=1 '/error/{c=0}END{print c}'
EOF
	as_root chmod 0755 "$h/scripts/checker-valid.sh"
done
