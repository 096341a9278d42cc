#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make bench` inside the VM (TT_MODE=bench).  TT_BENCH on the kernel
# command line: "full" or "smoke", optionally "rounds=N".
#
# One boot, several rounds (default 6).  Each round has two phases:
#  A. the module unloaded (off), loaded with its defaults, with every
#     policy on (all: half_duplex_close=0) and the same with strict
#     half-duplex close (strict: half_duplex_close=2, which arms a probe
#     on every ESTABLISHED segment), in an order that rotates from round
#     to round; in each: churn, bulk and the tight loops of tt-bench;
#  B. (first two rounds only: they judge behaviour, not small ratios)
#     reconnect after a server-side TIME-WAIT (stock, then each
#     tw_reopen mode and time_wait_ms=1000 under the loaded module) and
#     FIN_WAIT_2 scale (memory unloaded; memory, aborts and lateness
#     with fin_wait2_idle_ms).
# After the rounds, a counting pass repeats phase A's loops with kprobe
# events on every hooked function, to learn how many hooked calls one
# operation makes (kprobe_profile): never while timing.
#
# Every result is a "TTBENCH {json}" line from tt-bench on stdout (the
# VM's second serial port); the host collects them.  Speed is never
# judged here.
set -eu

MODULE=/lib/tcp_teardown.ko
T=/sys/kernel/tracing
HOOKED="tcp_close __tcp_close tcp_rcv_state_process tcp_timewait_state_process
	tcp_rcv_established tcp_keepalive_timer tw_timer_handler tcp_set_state
	tcp_v4_send_synack tcp_v6_send_synack __inet_twsk_schedule
	inet_twsk_deschedule_put inet_csk_reqsk_queue_drop tcp_data_queue
	tcp_time_wait tcp_create_openreq_child"
# "Every policy switched on": each knob away from its stock value.  The
# lengths are longer than any run, so that socket populations stay those
# of the stock kernel and only the cost of the hooks shows.
ALL="half_duplex_close=0 tw_reopen=1 tw_isn_gap=100000 tw_restore=1
	time_wait_ms=30000 fin_wait2_timeout_ms=30000 fin_wait2_rst=1
	fin_wait2_idle_ms=30000"
STRICT=$(echo "$ALL" | sed 's/half_duplex_close=0/half_duplex_close=2/')

profile=full rounds=6 brounds=2
for w in ${TT_BENCH:-full}; do
	case "$w" in
	full | smoke) profile=$w ;;
	rounds=*) rounds=${w#rounds=} ;;
	*) echo "# bench: unknown TT_BENCH word '$w'" ;;
	esac
done

# Durations in ms; fw2: sockets and idle timeout; reconnect: ports,
# connects in flight, connect timeout.
if [ "$profile" = smoke ]; then
	rounds=1 d_churn=100 d_bulk=100 d_loop=50
	fw2_n=100 fw2_idle=500
	rc_ports=50 rc_inflight=16 rc_dur=200 rc_timeout=300
else
	d_churn=1000 d_bulk=700 d_loop=500
	fw2_n=10000 fw2_idle=2000
	rc_ports=1000 rc_inflight=128 rc_dur=2000 rc_timeout=2000
fi

status=0
round=0

unload() {
	i=0
	while [ -d /sys/module/tcp_teardown ]; do
		rmmod tcp_teardown 2>/dev/null && break
		i=$((i + 1))
		[ $i -lt 50 ] || { echo "# bench: cannot unload"; return 1; }
		sleep 0.1
	done
}

load() {	# load off|defaults|all|strict
	unload
	case "$1" in
	off) ;;
	defaults) insmod "$MODULE" ;;
	all) insmod "$MODULE" $ALL ;;
	strict) insmod "$MODULE" $STRICT ;;
	esac
}

tb() {	# tb CONFIG [tt-bench options] SCENARIO
	c=$1
	shift
	tt-bench -r "$round" -c "$c" "$@" || status=1
}

phase_a() {	# phase_a CONFIG [-C]
	c=$1
	shift
	tb "$c" "$@" -d "$d_churn" churn
	tb "$c" "$@" -d "$d_bulk" bulk
	for s in close refused halfclosed segment; do
		tb "$c" "$@" -d "$d_loop" "$s"
	done
}

reconnect() {	# reconnect CONFIG VARIANT KNOBS [-C]
	c=$1 v=$2 k=$3
	shift 3
	tb "$c" -V "$v" ${k:+-k "$k"} -n "$rc_ports" -q "$rc_inflight" \
		-t "$rc_timeout" -d "$rc_dur" "$@" reconnect
}

phase_b() {
	load off
	reconnect off stock ""
	tb off -n "$fw2_n" fw2
	load defaults
	reconnect defaults tw_reopen=2 ""
	reconnect defaults tw_reopen=1 tw_reopen=1
	reconnect defaults tw_reopen=0 tw_reopen=0
	reconnect defaults time_wait_ms=1000 time_wait_ms=1000
	reconnect defaults tw_reopen=0,time_wait_ms=1000 \
		tw_reopen=0,time_wait_ms=1000
	load all
	tb all -V "fin_wait2_idle_ms=$fw2_idle" -n "$fw2_n" -i "$fw2_idle" fw2
}

# Trace kprobes that only count (tracing_on 0: nothing is recorded).
# Without record-cmd, enabling them does not also switch on the sched
# tracepoints: live patching of try_to_wake_up() has crashed a TCG guest
# ("Oops: int3" on the other vCPU).
count_setup() {
	mount -t tracefs nodev "$T" 2>/dev/null || true
	[ -w "$T/kprobe_events" ] || return 1
	echo 0 >"$T/tracing_on"
	echo 0 >"$T/options/record-cmd"
	echo 0 >"$T/options/record-tgid"
	for f in $HOOKED; do
		echo "p:ttb/ttb_$f $f" >>"$T/kprobe_events" 2>/dev/null ||
			echo "# bench: cannot count calls of $f"
	done
	[ -d "$T/events/ttb" ]
}

cpus=$(grep -c ^processor /proc/cpuinfo)
echo "TTBENCH {\"type\":\"begin\",\"kernel\":\"$(uname -r)\",\"profile\":\"$profile\",\"rounds\":$rounds,\"brounds\":$brounds,\"cpus\":$cpus,\"all\":\"$(echo $ALL)\",\"strict\":\"$(echo $STRICT)\"}"
echo "# bench: $(uname -r), $profile, $rounds rounds, $cpus CPUs"

configs="off defaults all strict"
while [ "$round" -lt "$rounds" ]; do
	round=$((round + 1))
	echo "# bench: round $round"
	# Rotate the order, so that no configuration always runs first.
	order=$configs
	i=1
	while [ $i -lt "$round" ]; do
		set -- $order
		first=$1
		shift
		order="$* $first"
		i=$((i + 1))
	done
	for c in $order; do
		load "$c"
		phase_a "$c"
	done
	[ "$round" -gt "$brounds" ] || phase_b
done

round=0
if count_setup; then
	echo "# bench: counting hooked calls per operation"
	# Counting needs operations, not time.
	[ "$d_churn" -le 300 ] || d_churn=300 d_bulk=300 d_loop=200 rc_dur=500
	for c in defaults all strict; do
		load "$c"
		echo 1 >"$T/events/ttb/enable"
		phase_a "$c" -C
		[ "$c" = defaults ] &&
			reconnect defaults tw_reopen=2 "" -C
		echo 0 >"$T/events/ttb/enable"
	done
	echo >"$T/kprobe_events"
else
	echo "# bench: no kprobe events: hooked calls are not counted"
fi
unload

echo "TTBENCH {\"type\":\"end\",\"status\":$status}"
exit $status
