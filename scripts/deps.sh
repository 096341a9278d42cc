#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install what building, booting and testing tcp_teardown needs on a
# Debian 12 (bookworm) host.  Idempotent: when everything is present it
# only runs a handful of dpkg queries and returns.
#
# Kernels: bookworm's 6.1 (metapackage linux-image-amd64) and one 6.12
# from bookworm-backports.  The 6.12 packages are named by their
# versioned names so that the host's own metapackages are not moved.
set -eu

BACKPORTS_LIST=/etc/apt/sources.list.d/tcp-teardown-backports.sources
STAMP_DIR=${STAMP_DIR:-/var/lib/tcp-teardown}

need_pkgs="build-essential bc kmod cpio busybox-static qemu-system-x86
	linux-source-6.1 sparse xz-utils zstd dwarves libelf-dev flex bison
	linux-headers-amd64 linux-image-amd64 perl python3"

missing() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return 0
	as_root apt-get update -q >&2
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
}

install() {
	[ $# -eq 0 ] && return 0
	apt_update
	DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q >&2 \
		--no-install-recommends "$@"
}

# The newest 6.12 ABI served by bookworm-backports, e.g. 6.12.57+deb12-amd64.
# Remembered in a stamp so later runs stay quick and offline.
bpo_abi() {
	if [ -s "$STAMP_DIR/bpo-abi" ]; then
		cat "$STAMP_DIR/bpo-abi"
		return 0
	fi
	apt_update
	abi=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9.]*\+deb12-amd64$' |
		sed -n 's/^linux-headers-\(6\.12\.[^ ]*\)-amd64 .*/\1-amd64/p' |
		sort -V | tail -n 1)
	[ -n "$abi" ] || { echo "deps: no 6.12 kernel in bookworm-backports" >&2; exit 1; }
	as_root mkdir -p "$STAMP_DIR"
	echo "$abi" | as_root tee "$STAMP_DIR/bpo-abi" >/dev/null
	echo "$abi"
}

# shellcheck disable=SC2086
m=$(missing $need_pkgs)
if [ -n "$m" ]; then
	# shellcheck disable=SC2086
	install $m
fi

add_backports
abi=$(bpo_abi)
m=$(missing "linux-headers-$abi" "linux-image-$abi")
if [ -n "$m" ]; then
	# shellcheck disable=SC2086
	install $m
fi

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
