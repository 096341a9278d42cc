#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch.pl --strict over module/, from Debian's linux-source-6.1.
# Exits non-zero on any error, warning or check.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
cp=/usr/src/linux-source-6.1/scripts/checkpatch.pl
[ -f "$cp" ] || { echo "checkpatch: $cp missing (run scripts/deps.sh)" >&2; exit 1; }
cd "$TOP"
# shellcheck disable=SC2046
perl "$cp" --strict --no-tree --terse --show-types --color=never \
	-f $(ls module/*.c module/*.h scripts/guest/*.c)
