/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trace events of tcp_teardown: one per decision that a counter of
 * counter_table.h counts, fired where the counter is bumped and named
 * like it (and tw_retired, which no counter counts).  Every event starts
 * with the connection: its network namespace (inode and cookie), its
 * family, and its 4-tuple, addresses as IPv6 (v4-mapped for IPv4, and
 * for an AF_INET6 socket talking to an IPv4 peer).  Full, timewait and
 * request sockets all start with a struct sock_common, which is what
 * the events read of them (trace.c).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM tcp_teardown

#if !defined(_TT_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TT_TRACE_H

#include <linux/tracepoint.h>
#include <net/sock.h>

void tt_trace_conn(const struct sock *sk, u64 *cookie, unsigned int *ino,
		   u16 *family, u16 *sport, u16 *dport, u8 *saddr, u8 *daddr);

/*
 * The connection, first in every event (netns_cookie, netns_ino, family,
 * sport, dport, saddr, daddr): tt_trace_conn() fills it in from the
 * sock_common of a full, timewait or request socket.
 */
#define TT_CONN_ASSIGN							\
	tt_trace_conn(sk, &__entry->netns_cookie, &__entry->netns_ino,	\
		      &__entry->family, &__entry->sport, &__entry->dport,	\
		      __entry->saddr, __entry->daddr)

#define TT_CONN_FMT							\
	"netns_ino=%u netns_cookie=%llu family=%u src=[%pI6c]:%u dst=[%pI6c]:%u"

/* a decision on a connection that no value drove but time */
DECLARE_EVENT_CLASS(tt_conn,
		    TP_PROTO(const struct sock *sk),
		    TP_ARGS(sk),
		    TP_STRUCT__entry(__field(u64, netns_cookie)
				     __field(unsigned int, netns_ino)
				     __field(u16, family)
				     __field(u16, sport)
				     __field(u16, dport)
				     __array(u8, saddr, 16)
				     __array(u8, daddr, 16)),
		    TP_fast_assign(TT_CONN_ASSIGN;),
		    TP_printk(TT_CONN_FMT,
			      __entry->netns_ino, __entry->netns_cookie,
			      __entry->family, __entry->saddr, __entry->sport,
			      __entry->daddr, __entry->dport)
);

#define TT_CONN_EVENT(name)						\
	DEFINE_EVENT(tt_conn, name,					\
		     TP_PROTO(const struct sock *sk),			\
		     TP_ARGS(sk))

TT_CONN_EVENT(fw2_orphan_expired_silent);
TT_CONN_EVENT(fw2_orphan_expired_rst);
TT_CONN_EVENT(fw2_idle_released);
TT_CONN_EVENT(tw_restored);
TT_CONN_EVENT(tw_retired);

/* half_duplex.c: close() with @unread bytes unread; @mode: half_duplex_close */
DECLARE_EVENT_CLASS(tt_hd_close,
		    TP_PROTO(const struct sock *sk, u32 unread, int mode),
		    TP_ARGS(sk, unread, mode),
		    TP_STRUCT__entry(__field(u64, netns_cookie)
				     __field(unsigned int, netns_ino)
				     __field(u16, family)
				     __field(u16, sport)
				     __field(u16, dport)
				     __array(u8, saddr, 16)
				     __array(u8, daddr, 16)
				     __field(u32, unread)
				     __field(int, mode)),
		    TP_fast_assign(TT_CONN_ASSIGN;
				   __entry->unread = unread;
				   __entry->mode = mode;),
		    TP_printk(TT_CONN_FMT " unread=%u mode=%d",
			      __entry->netns_ino, __entry->netns_cookie,
			      __entry->family, __entry->saddr, __entry->sport,
			      __entry->daddr, __entry->dport, __entry->unread,
			      __entry->mode)
);

DEFINE_EVENT(tt_hd_close, hd_close_rst,
	     TP_PROTO(const struct sock *sk, u32 unread, int mode),
	     TP_ARGS(sk, unread, mode));

DEFINE_EVENT(tt_hd_close, hd_close_fin,
	     TP_PROTO(const struct sock *sk, u32 unread, int mode),
	     TP_ARGS(sk, unread, mode));

/*
 * half_duplex.c: data [@seq, @end) after close() against our @rcv_nxt;
 * @acked: new bytes taken and dropped (0 for a RST, or out of order)
 */
DECLARE_EVENT_CLASS(tt_hd_after_close,
		    TP_PROTO(const struct sock *sk, u32 seq, u32 end, u32 rcv_nxt,
			     u32 acked),
		    TP_ARGS(sk, seq, end, rcv_nxt, acked),
		    TP_STRUCT__entry(__field(u64, netns_cookie)
				     __field(unsigned int, netns_ino)
				     __field(u16, family)
				     __field(u16, sport)
				     __field(u16, dport)
				     __array(u8, saddr, 16)
				     __array(u8, daddr, 16)
				     __field(u32, seq)
				     __field(u32, end)
				     __field(u32, rcv_nxt)
				     __field(u32, acked)),
		    TP_fast_assign(TT_CONN_ASSIGN;
				   __entry->seq = seq;
				   __entry->end = end;
				   __entry->rcv_nxt = rcv_nxt;
				   __entry->acked = acked;),
		    TP_printk(TT_CONN_FMT " seq=%u end=%u rcv_nxt=%u acked=%u",
			      __entry->netns_ino, __entry->netns_cookie,
			      __entry->family, __entry->saddr, __entry->sport,
			      __entry->daddr, __entry->dport, __entry->seq,
			      __entry->end, __entry->rcv_nxt, __entry->acked)
);

DEFINE_EVENT(tt_hd_after_close, hd_after_close_rst,
	     TP_PROTO(const struct sock *sk, u32 seq, u32 end, u32 rcv_nxt,
		      u32 acked),
	     TP_ARGS(sk, seq, end, rcv_nxt, acked));

DEFINE_EVENT(tt_hd_after_close, hd_after_close_acked,
	     TP_PROTO(const struct sock *sk, u32 seq, u32 end, u32 rcv_nxt,
		      u32 acked),
	     TP_ARGS(sk, seq, end, rcv_nxt, acked));

/* abort.c: a connection aborted for a policy; @err: what the reader gets */
DECLARE_EVENT_CLASS(tt_abort,
		    TP_PROTO(const struct sock *sk, int err),
		    TP_ARGS(sk, err),
		    TP_STRUCT__entry(__field(u64, netns_cookie)
				     __field(unsigned int, netns_ino)
				     __field(u16, family)
				     __field(u16, sport)
				     __field(u16, dport)
				     __array(u8, saddr, 16)
				     __array(u8, daddr, 16)
				     __field(int, err)),
		    TP_fast_assign(TT_CONN_ASSIGN;
				   __entry->err = err;),
		    TP_printk(TT_CONN_FMT " err=%d",
			      __entry->netns_ino, __entry->netns_cookie,
			      __entry->family, __entry->saddr, __entry->sport,
			      __entry->daddr, __entry->dport, __entry->err)
);

DEFINE_EVENT(tt_abort, hd_shut_rd_rst,
	     TP_PROTO(const struct sock *sk, int err),
	     TP_ARGS(sk, err));

DEFINE_EVENT(tt_abort, fw2_idle_abort,
	     TP_PROTO(const struct sock *sk, int err),
	     TP_ARGS(sk, err));

/*
 * fin_wait2.c: an orphan's FIN_WAIT_2 lifetime set at close(), or a
 * half-closed socket's idle limit (what is left of it) when tracking
 * starts, @ms; @rst: whether the end of it sends a RST
 */
DECLARE_EVENT_CLASS(tt_fw2_time,
		    TP_PROTO(const struct sock *sk, unsigned int ms, bool rst),
		    TP_ARGS(sk, ms, rst),
		    TP_STRUCT__entry(__field(u64, netns_cookie)
				     __field(unsigned int, netns_ino)
				     __field(u16, family)
				     __field(u16, sport)
				     __field(u16, dport)
				     __array(u8, saddr, 16)
				     __array(u8, daddr, 16)
				     __field(unsigned int, ms)
				     __field(bool, rst)),
		    TP_fast_assign(TT_CONN_ASSIGN;
				   __entry->ms = ms;
				   __entry->rst = rst;),
		    TP_printk(TT_CONN_FMT " ms=%u rst=%d",
			      __entry->netns_ino, __entry->netns_cookie,
			      __entry->family, __entry->saddr, __entry->sport,
			      __entry->daddr, __entry->dport, __entry->ms,
			      __entry->rst)
);

DEFINE_EVENT(tt_fw2_time, fw2_orphan_timeout_set,
	     TP_PROTO(const struct sock *sk, unsigned int ms, bool rst),
	     TP_ARGS(sk, ms, rst));

DEFINE_EVENT(tt_fw2_time, fw2_idle_tracked,
	     TP_PROTO(const struct sock *sk, unsigned int ms, bool rst),
	     TP_ARGS(sk, ms, rst));

/*
 * time_wait.c: the verdict on a SYN that hit TIME-WAIT: its @seq against
 * the old @rcv_nxt, tw_reopen (@mode), and what the kernel itself said
 * (@verdict: enum tcp_tw_status, 3 = TCP_TW_SYN: reopen)
 */
DECLARE_EVENT_CLASS(tt_tw_syn,
		    TP_PROTO(const struct sock *sk, u32 seq, u32 rcv_nxt, int mode,
			     int verdict),
		    TP_ARGS(sk, seq, rcv_nxt, mode, verdict),
		    TP_STRUCT__entry(__field(u64, netns_cookie)
				     __field(unsigned int, netns_ino)
				     __field(u16, family)
				     __field(u16, sport)
				     __field(u16, dport)
				     __array(u8, saddr, 16)
				     __array(u8, daddr, 16)
				     __field(u32, seq)
				     __field(u32, rcv_nxt)
				     __field(int, mode)
				     __field(int, verdict)),
		    TP_fast_assign(TT_CONN_ASSIGN;
				   __entry->seq = seq;
				   __entry->rcv_nxt = rcv_nxt;
				   __entry->mode = mode;
				   __entry->verdict = verdict;),
		    TP_printk(TT_CONN_FMT " seq=%u rcv_nxt=%u mode=%d verdict=%d",
			      __entry->netns_ino, __entry->netns_cookie,
			      __entry->family, __entry->saddr, __entry->sport,
			      __entry->daddr, __entry->dport, __entry->seq,
			      __entry->rcv_nxt, __entry->mode, __entry->verdict)
);

#define TT_TW_SYN_EVENT(name)						\
	DEFINE_EVENT(tt_tw_syn, name,					\
		     TP_PROTO(const struct sock *sk, u32 seq, u32 rcv_nxt,	\
			      int mode, int verdict),			\
		     TP_ARGS(sk, seq, rcv_nxt, mode, verdict))

TT_TW_SYN_EVENT(tw_reopen_seq);
TT_TW_SYN_EVENT(tw_reopen_ts);
TT_TW_SYN_EVENT(tw_syn_refused_never);
TT_TW_SYN_EVENT(tw_syn_refused_ts);
TT_TW_SYN_EVENT(tw_syn_refused_stock);

/*
 * time_wait.c: the ISN of a request that reopens a TIME-WAIT: the
 * kernel's (@from), what the SYN-ACK carries (@to), and the floor, old
 * snd_nxt + tw_isn_gap
 */
DECLARE_EVENT_CLASS(tt_tw_isn,
		    TP_PROTO(const struct sock *sk, u32 from, u32 to, u32 floor),
		    TP_ARGS(sk, from, to, floor),
		    TP_STRUCT__entry(__field(u64, netns_cookie)
				     __field(unsigned int, netns_ino)
				     __field(u16, family)
				     __field(u16, sport)
				     __field(u16, dport)
				     __array(u8, saddr, 16)
				     __array(u8, daddr, 16)
				     __field(u32, from)
				     __field(u32, to)
				     __field(u32, floor)),
		    TP_fast_assign(TT_CONN_ASSIGN;
				   __entry->from = from;
				   __entry->to = to;
				   __entry->floor = floor;),
		    TP_printk(TT_CONN_FMT " from=%u to=%u floor=%u",
			      __entry->netns_ino, __entry->netns_cookie,
			      __entry->family, __entry->saddr, __entry->sport,
			      __entry->daddr, __entry->dport, __entry->from,
			      __entry->to, __entry->floor)
);

DEFINE_EVENT(tt_tw_isn, tw_isn_raised,
	     TP_PROTO(const struct sock *sk, u32 from, u32 to, u32 floor),
	     TP_ARGS(sk, from, to, floor));

DEFINE_EVENT(tt_tw_isn, tw_isn_not_raised,
	     TP_PROTO(const struct sock *sk, u32 from, u32 to, u32 floor),
	     TP_ARGS(sk, from, to, floor));

/* time_wait.c: a TIME-WAIT of time_wait_ms (@ms) instead of 60 s */
TRACE_EVENT(tw_length_set,
	    TP_PROTO(const struct sock *sk, unsigned int ms),
	    TP_ARGS(sk, ms),
	    TP_STRUCT__entry(__field(u64, netns_cookie)
				     __field(unsigned int, netns_ino)
				     __field(u16, family)
				     __field(u16, sport)
				     __field(u16, dport)
				     __array(u8, saddr, 16)
				     __array(u8, daddr, 16)
			     __field(unsigned int, ms)),
	    TP_fast_assign(TT_CONN_ASSIGN;
			   __entry->ms = ms;),
	    TP_printk(TT_CONN_FMT " ms=%u",
		      __entry->netns_ino, __entry->netns_cookie,
			      __entry->family, __entry->saddr, __entry->sport,
			      __entry->daddr, __entry->dport, __entry->ms)
);

#endif /* _TT_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
