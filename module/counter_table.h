/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every counter of tcp_teardown, one line each:
 *   TT_COUNTER(name, what it counts)
 * No include guard: included wherever a list of all counters is built.
 *
 * A policy counts only in namespaces where it is switched on (off its
 * default): at the defaults the stock code runs unwatched, and the
 * kernel's own MIB counters tell what it did.  The TIME-WAIT verdicts
 * (tw_reopen_*, tw_syn_refused_*) are counted at every setting: their
 * probe sees only segments that hit a TIME-WAIT socket.
 */
TT_COUNTER(close_calls, "close() calls seen while a close policy is on")
TT_COUNTER(hd_close_rst, "closes with unread data answered by RST")
TT_COUNTER(hd_close_fin, "closes with unread data turned into a FIN")
TT_COUNTER(hd_close_discarded_bytes, "unread bytes discarded at close")
TT_COUNTER(hd_after_close_rst, "data segments after close answered by RST")
TT_COUNTER(hd_after_close_acked_segs, "segments after close ACKed, dropped")
TT_COUNTER(hd_after_close_acked_bytes, "bytes after close ACKed, dropped")
TT_COUNTER(hd_shut_rd_rst, "connections reset for data after SHUT_RD")
TT_COUNTER(fw2_orphan_timeout_set, "closes given this namespace's FIN_WAIT_2 policy")
TT_COUNTER(fw2_orphan_expired_silent, "orphans whose FIN_WAIT_2 time ran out, silently")
TT_COUNTER(fw2_orphan_expired_rst, "orphans whose FIN_WAIT_2 time ran out, with RST")
TT_COUNTER(fw2_idle_tracked, "half-closed sockets that started idle tracking")
TT_COUNTER(fw2_idle_released, "half-closed sockets that stopped idle tracking")
TT_COUNTER(fw2_idle_aborts, "half-closed sockets aborted for idleness")
TT_COUNTER(tw_reopen_seq, "TIME-WAIT reopened by a SYN with a higher sequence")
TT_COUNTER(tw_reopen_ts, "TIME-WAIT reopened by a SYN with a newer timestamp")
TT_COUNTER(tw_syn_refused_never, "SYNs refused on TIME-WAIT by tw_reopen=0")
TT_COUNTER(tw_syn_refused_ts, "timestamp-only SYNs refused by tw_reopen=1")
TT_COUNTER(tw_syn_refused_stock, "SYNs on TIME-WAIT the kernel itself refused")
TT_COUNTER(tw_isn_raised, "reopening ISNs raised above old snd_nxt + gap")
TT_COUNTER(tw_length_set, "TIME-WAIT sockets given a non-default length")
TT_COUNTER(tw_restored, "reopened connections returned to TIME-WAIT")
TT_COUNTER(tw_isn_not_raised, "reopening ISNs left below the floor: SYN cookie or Fast Open")
TT_COUNTER(tw_verdicts_missed, "TIME-WAIT verdicts the probe missed (kretprobe nmissed)")
