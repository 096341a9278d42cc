#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Map a supported kernel series (6.1, 6.12) to what is installed for it.
#   kernel.sh release SERIES   the release string, e.g. 6.1.0-56-amd64
# The newest installed release of the series wins.
set -eu

series_release() {
	case "$1" in
	6.1) pat='6.1.0-*-amd64' ;;
	6.12) pat='6.12.*+deb12-amd64' ;;
	*) echo "kernel.sh: unsupported kernel series '$1' (6.1, 6.12)" >&2
	   exit 1 ;;
	esac
	# shellcheck disable=SC2086
	rel=$(cd /lib/modules 2>/dev/null && ls -d $pat 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$rel" ] || [ ! -d "/lib/modules/$rel/build" ]; then
		echo "kernel.sh: no $1 kernel with headers installed (run scripts/deps.sh)" >&2
		exit 1
	fi
	echo "$rel"
}

case "${1:-}" in
release) series_release "${2:?series}" ;;
*) echo "usage: kernel.sh release SERIES" >&2; exit 2 ;;
esac
