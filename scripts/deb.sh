#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the Debian package tcp-teardown-dkms_<version>_all.deb with
# Debian's tools (dpkg-buildpackage, debhelper, dh-dkms) from a copy of
# what the package ships, in $TT_BUILD/deb/ (default build/deb/), so that
# the build never writes outside build/ and never sees the build tree of
# `make`.  Prints the path of the .deb on its last line.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${TT_BUILD:-$TOP/build}
out=$BUILD/deb

for p in dpkg-dev debhelper dh-dkms; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$' && continue
	echo "deb.sh: $p is not installed (apt-get install dpkg-dev debhelper dh-dkms, or scripts/deps.sh)" >&2
	exit 1
done

ver=$(sed -n 's/^#define TCP_TEARDOWN_VERSION "\(.*\)"$/\1/p' \
	"$TOP/module/tcp_teardown.h")
[ -n "$ver" ] || { echo "deb.sh: no TCP_TEARDOWN_VERSION in module/tcp_teardown.h" >&2; exit 1; }

rm -rf "$out"
src=$out/tcp-teardown-$ver
mkdir -p "$src/module" "$src/Documentation"
cp -a "$TOP/debian" "$src/"
cp -p "$TOP/Kbuild" "$TOP/README" "$src/"
cp -p "$TOP"/module/*.c "$TOP"/module/*.h "$src/module/"
cp -p "$TOP"/Documentation/*.rst "$TOP"/Documentation/*.7 "$src/Documentation/"
(cd "$src" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1 || {
	tail -n 30 "$out/build.log" >&2
	echo "deb.sh: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
}
deb=$out/tcp-teardown-dkms_${ver}_all.deb
[ -s "$deb" ] || { echo "deb.sh: $deb was not built" >&2; exit 1; }
echo "$deb"
