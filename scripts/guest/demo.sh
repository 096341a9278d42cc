#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make run`: what the module looks like from inside a freshly booted VM.

set -e
show_state() {
	echo "  knobs (net.ipv4.tcp_teardown.*):"
	for f in /proc/sys/net/ipv4/tcp_teardown/*; do
		printf '    %-28s %s\n' "${f##*/}" "$(cat "$f")"
	done
	echo "  counters of this namespace (/proc/net/tcp_teardown), non-zero:"
	awk '$2 != 0 { printf "    %-28s %s\n", $1, $2; n++ }
	     END { if (!n) print "    (all 0)" }' /proc/net/tcp_teardown
}

echo "== tcp_teardown demo on $(uname -r)"
insmod /lib/tcp_teardown.ko
echo "loaded: version $(cat /sys/kernel/tcp_teardown/version)"
show_state

echo
echo "== a loopback connection at the defaults: stock behaviour, nothing"
echo "   of the module armed on the connection's path, nothing counted"
nc -l -p 5000 -e cat &
sleep 1
printf 'one\ntwo\nthree\n' | nc -w 1 127.0.0.1 5000 | sed 's/^/  echoed: /'
wait
show_state

echo
echo "== half_duplex_close=0: a policy acts at close(), its hook is armed"
echo 0 >/proc/sys/net/ipv4/tcp_teardown/half_duplex_close
nc -l -p 5001 -e cat &
sleep 1
printf 'one\ntwo\nthree\n' | nc -w 1 127.0.0.1 5001 | sed 's/^/  echoed: /'
wait
show_state

echo
echo "== enabled=0: the module takes no decision (and counts none)"
echo 0 >/proc/sys/net/ipv4/tcp_teardown/enabled
nc -l -p 5002 -e cat &
sleep 1
echo hello | nc -w 1 127.0.0.1 5002 >/dev/null
wait
show_state
echo 1 >/proc/sys/net/ipv4/tcp_teardown/enabled
echo 1 >/proc/sys/net/ipv4/tcp_teardown/half_duplex_close

echo
echo "== a bad write is refused and changes nothing"
if echo 7 >/proc/sys/net/ipv4/tcp_teardown/enabled 2>/dev/null; then
	echo "  accepted?!"
	exit 1
fi
echo "  'echo 7 > enabled' refused; enabled = $(cat /proc/sys/net/ipv4/tcp_teardown/enabled)"

echo
echo "== the policies, each in a fresh namespace"
tt-demo
echo
echo "== counters, summed over all namespaces (/sys/kernel/tcp_teardown/stats)"
for f in /sys/kernel/tcp_teardown/stats/*; do
	v=$(cat "$f")
	[ "$v" = 0 ] || printf '    %-28s %s\n' "${f##*/}" "$v"
done

rmmod tcp_teardown
echo
echo "== unloaded cleanly"
