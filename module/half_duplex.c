// SPDX-License-Identifier: GPL-2.0
/*
 * Half-duplex close: what happens to data nobody will read.
 *
 * RFC 1122 4.2.2.13 lets a TCP implement a "half-duplex" close: once the
 * application has called CLOSE it can no longer read, so data still
 * queued at that moment, and data that arrives afterwards, can never be
 * delivered.  The RFC asks (SHOULD) that such a TCP send a RST, so that
 * the peer learns its data was lost rather than believing it delivered.
 *
 * Linux follows the SHOULD: close() with unread data sends a RST instead
 * of a FIN, and so does new data reaching an orphaned socket in FIN_WAIT.
 * The price is paid by the peer: a RST makes its TCP throw away whatever
 * it has received but not yet read.  A server that answers early -- an
 * HTTP 413 or 401 before the request body is in -- and closes, loses its
 * own answer when the rest of the body turns that close into a RST.  Web
 * servers work around it in user space ("lingering close": shutdown the
 * sending side, read and discard for a while, then close); the BSDs never
 * send the RST at close at all.
 *
 * net.ipv4.tcp_teardown.half_duplex_close chooses, per namespace:
 *
 *   1  stock Linux: RST for unread data at close and for data after close.
 *   0  graceful: close() discards unread data and sends a FIN; data that
 *      arrives on the orphan in FIN_WAIT_1/FIN_WAIT_2 (also in the
 *      FIN_WAIT_2 timewait mini-socket) is acknowledged and discarded, so
 *      the peer gets everything written before close(), then EOF.
 *      SO_LINGER with a zero timeout still aborts: it asks for exactly
 *      that.
 *   2  strict: as 1, and data that arrives after shutdown(SHUT_RD) on a
 *      socket still open is answered with a RST (the application then
 *      reads ECONNRESET).  Stock Linux accepts and queues such data.
 *
 * The module decides only for segments the stock kernel accepts, and
 * exactly as the kernel decides that: a hook that acted on anything
 * else would let a blind attacker reset connections (mode 2) or move
 * the receive sequence past what the peer sent (mode 0).  Where it
 * can, the module acts after the kernel's own validation; where the
 * hook has to run first (to empty a segment before the kernel's reset
 * test sees it), it repeats the kernel's tests of that path: ACK flag,
 * PAWS, sequence window, RFC 5961 ACK bounds (tt_full_sock_accepts(),
 * tt_minisock_accepts()).
 *
 * How the hooks get the kernel to do the work (hooks cannot change what
 * a function does, only the state it finds):
 *
 *  - __tcp_close() entry (main.c's close hook), mode 0: the socket lock
 *    is held; we empty the receive queue, so the kernel finds no unread
 *    data and takes its FIN path.
 *  - tcp_rcv_state_process() entry, mode 0, orphan in FIN_WAIT, for a
 *    segment the kernel accepts: we move rcv_nxt past the payload and
 *    leave the segment carrying only its FIN (if any), so the kernel sees
 *    nothing new to reset for; an immediate ACK is requested.  An
 *    out-of-order segment is reduced to nothing and a duplicate ACK asks
 *    for the hole: its data is taken once it arrives in order.  A data
 *    segment that also acknowledges our FIN would make the kernel swallow
 *    it into a mini-socket without that ACK (an RTO for the peer): the
 *    kernel is shown an ACK of all but the FIN (tt_keep_full_sock()).
 *  - tcp_timewait_state_process() entry, mode 0, FIN_WAIT_2 mini-socket:
 *    the same move of tw_rcv_nxt; a segment without FIN is then presented
 *    as a one-byte old duplicate, which the kernel answers with an ACK of
 *    the new tw_rcv_nxt (data segments are never ACK rate-limited).
 *  - mode 2 only, armed only while some namespace uses it, since these
 *    run for segments of every established connection:
 *    tcp_rcv_established() entry sends a SHUT_RD socket's segments down
 *    the slow path (pred_flags = 0), and tcp_data_queue() entry, reached
 *    only by segments the kernel validated, empties new data after
 *    SHUT_RD (neither queued nor acknowledged) and has the connection
 *    aborted from process context with tcp_abort(), which sends the RST
 *    and reports ECONNRESET.
 *
 * All hooks are IPv4 and IPv6 alike: both stacks call these functions.
 *
 * Mode 1 is the stock code, so in a namespace at mode 1 the module does
 * nothing and counts nothing: the kernel counts its own RSTs
 * (TCPAbortOnClose, TCPAbortOnData).  The hooks above fire several times
 * per connection and are armed only while some namespace runs mode 0 or
 * 2; their counters tell what the module did (mode 0) or watched the
 * kernel do (mode 2).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/skbuff.h>
#include <net/inet_connection_sock.h>
#include <net/inet_timewait_sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "tcp_teardown.h"
#include "trace.h"

enum {
	TT_HD_GRACEFUL = 0,
	TT_HD_RST = 1,
	TT_HD_STRICT = 2,
};

/* Mode for @net, TT_HD_RST (stock) when the module is off there. */
static int tt_hd_mode(const struct net *net, struct tt_net **tnp)
{
	struct tt_net *tn = tt_net_enabled(net);

	*tnp = tn;
	return tn ? tt_knob(tn, TT_KNOB_half_duplex_close) : TT_HD_RST;
}

/* End of a segment's data in sequence space: end_seq without the FIN. */
static u32 tt_data_end(const struct sk_buff *skb, const struct tcphdr *th)
{
	return TCP_SKB_CB(skb)->end_seq - th->fin;
}

/*
 * The timestamp option's TSval, if @th carries one: the walk of
 * tcp_parse_options(), for this one option and without its side
 * effects (it also records SACK blocks in the control block).
 */
static bool tt_tsval(const struct tcphdr *th, u32 *tsval)
{
	const unsigned char *ptr = (const unsigned char *)(th + 1);
	int length = th->doff * 4 - sizeof(*th);

	while (length > 0) {
		int opcode = *ptr++;
		int opsize;

		if (opcode == TCPOPT_EOL)
			return false;
		if (opcode == TCPOPT_NOP) {
			length--;
			continue;
		}
		if (length < 2)
			return false;
		opsize = *ptr++;
		if (opsize < 2 || opsize > length)
			return false;
		if (opcode == TCPOPT_TIMESTAMP && opsize == TCPOLEN_TIMESTAMP) {
			__be32 val;

			memcpy(&val, ptr, sizeof(val));
			*tsval = be32_to_cpu(val);
			return true;
		}
		ptr += opsize - 2;
		length -= opsize;
	}
	return false;
}

/*
 * Would tcp_rcv_state_process() take @skb's data on the full socket @sk?
 * The tests it makes before step 7, in its order, for a data segment:
 *
 *  - the ACK flag (without it the segment is dropped at once), no RST or
 *    SYN (those are answered, never taken as data);
 *  - PAWS (tcp_paws_discard()): only when the connection uses timestamps
 *    and the segment carries one (tcp_fast_parse_options()); a segment
 *    with data is never a "disordered ACK";
 *  - tcp_sequence(): the segment ends at or after rcv_wup and starts at
 *    or before rcv_nxt + the receive window;
 *  - tcp_ack() (RFC 5961 5.2): the ACK covers nothing we have not sent
 *    and is not older than snd_una - min(max_window, bytes_acked); older
 *    ACKs inside that bound are accepted in the closing states.
 *
 * Only such a segment may move rcv_nxt or be counted; anything else is
 * left to the kernel, which drops it, answers with a (challenge) ACK or
 * resets, exactly as without the module.
 */
static bool tt_full_sock_accepts(const struct sock *sk,
				 const struct sk_buff *skb,
				 const struct tcphdr *th)
{
	const struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	const struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_options_received rx_opt;
	u32 max_window;

	if (th->rst || th->syn || !th->ack)
		return false;
	if (tp->rx_opt.tstamp_ok && tt_tsval(th, &rx_opt.rcv_tsval)) {
		rx_opt.ts_recent = tp->rx_opt.ts_recent;
		rx_opt.ts_recent_stamp = tp->rx_opt.ts_recent_stamp;
		if (!tcp_paws_check(&rx_opt, TCP_PAWS_WINDOW))
			return false;
	}
	if (before(cb->end_seq, tp->rcv_wup) ||
	    after(cb->seq, tp->rcv_nxt + tcp_receive_window(tp)))
		return false;
	if (after(cb->ack_seq, tp->snd_nxt))
		return false;
	max_window = min_t(u64, tp->max_window, tp->bytes_acked);
	return !before(cb->ack_seq, tp->snd_una - max_window);
}

/*
 * Would tcp_timewait_state_process() take @skb on the FIN_WAIT_2
 * mini-socket @tw as new data (the point where stock resets)?  Its
 * PAWS test (tcp_paws_reject(), when the mini-socket kept a timestamp
 * and the namespace parses them), its window (tcp_in_window()), no RST
 * or SYN, the ACK flag.  The mini-socket checks no ACK number, and keeps
 * nothing to check it against but tw_snd_nxt: it exists only once all
 * we sent, FIN included, was acknowledged, so a segment the peer sent
 * after that acknowledges exactly tw_snd_nxt.  We require that, as the
 * full socket would have required the ACK not to cover unsent data.
 */
static bool tt_minisock_accepts(struct inet_timewait_sock *tw,
				const struct sk_buff *skb,
				const struct tcphdr *th, u32 rcv_nxt)
{
	struct tcp_timewait_sock *tcptw = tcp_twsk((struct sock *)tw);
	const struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	struct tcp_options_received rx_opt;
	int stamp = READ_ONCE(tcptw->tw_ts_recent_stamp);

	if (th->rst || th->syn || !th->ack)
		return false;
	if (stamp && READ_ONCE(twsk_net(tw)->ipv4.sysctl_tcp_timestamps) &&
	    tt_tsval(th, &rx_opt.rcv_tsval)) {
		rx_opt.ts_recent = READ_ONCE(tcptw->tw_ts_recent);
		rx_opt.ts_recent_stamp = stamp;
		if (tcp_paws_reject(&rx_opt, 0))
			return false;
	}
	if (cb->seq != rcv_nxt &&
	    !before(cb->seq, rcv_nxt + tcptw->tw_rcv_wnd))
		return false;
	return cb->ack_seq == READ_ONCE(tcptw->tw_snd_nxt);
}

/* ---- close() with unread data ---- */

/* Bytes in the receive queue the application has not read. */
static u32 tt_unread_bytes(struct sock *sk)
{
	u32 copied = tcp_sk(sk)->copied_seq;
	struct sk_buff *skb;
	u32 unread = 0;

	skb_queue_walk(&sk->sk_receive_queue, skb) {
		u32 seq = TCP_SKB_CB(skb)->seq;
		u32 end = TCP_SKB_CB(skb)->end_seq;

		if (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN)
			end--;
		if (after(end, copied))
			unread += end - (after(seq, copied) ? seq : copied);
	}
	return unread;
}

bool tt_half_duplex_wants_close(const struct tt_net *tn)
{
	return tt_knob(tn, TT_KNOB_half_duplex_close) != TT_HD_RST;
}

/* From __tcp_close(), with the socket locked; @tn is enabled. */
void tt_half_duplex_close(struct tt_net *tn, struct sock *sk)
{
	int mode = tt_knob(tn, TT_KNOB_half_duplex_close);
	u32 unread;

	/* Stock mode: the kernel decides and counts (TCPAbortOnClose). */
	if (mode == TT_HD_RST)
		return;
	/* The kernel does not reset in these cases: nothing to decide. */
	if (sk->sk_state == TCP_LISTEN || sk->sk_state == TCP_CLOSE ||
	    tcp_sk(sk)->repair)
		return;
	/*
	 * While the socket is owned, softirqs add to the backlog, never to
	 * the receive queue: walking and emptying it here is as safe as the
	 * kernel's own loop that follows.
	 */
	unread = tt_unread_bytes(sk);
	if (!unread)
		return;

	tt_count_add(tn, TT_STAT_hd_close_discarded_bytes, unread);
	if (mode != TT_HD_GRACEFUL ||
	    (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime)) {
		tt_count(tn, TT_STAT_hd_close_rst);
		trace_hd_close_rst(sk, unread, mode);
		return;
	}
	__skb_queue_purge(&sk->sk_receive_queue);
	tt_count(tn, TT_STAT_hd_close_fin);
	trace_hd_close_fin(sk, unread, mode);
}

/* ---- data after close on a full socket ---- */

/*
 * Would the kernel reset @sk for @skb as "data after close"?  A segment
 * it accepts (above) that brings data beyond rcv_nxt: the test of step 5
 * (FIN_WAIT_1) and step 7 of tcp_rcv_state_process().
 */
static bool tt_is_data_after_close(struct sock *sk, const struct sk_buff *skb,
				   const struct tcphdr *th)
{
	if (!after(tt_data_end(skb, th), tcp_sk(sk)->rcv_nxt))
		return false;
	return tt_full_sock_accepts(sk, skb, th);
}

/*
 * An orphan in FIN_WAIT_1 whose FIN this segment acknowledges: step 5 of
 * tcp_rcv_state_process() moves it to FIN_WAIT_2 and, unless the segment
 * has a FIN, the socket is owned or the FIN_WAIT_2 time is above
 * TCP_TIMEWAIT_LEN, hands it to tcp_time_wait() and consumes the segment
 * without sending the ACK that step 8 would have sent.  The data we took
 * would then be acknowledged only when the peer retransmits it, an RTO
 * later (measured: 219 ms on 6.1, 368 ms on 6.12).
 *
 * A module cannot send that ACK itself (tcp_send_ack() is not exported).
 * Instead the kernel reads this segment's ACK as covering everything but
 * our FIN: the orphan stays a full socket in FIN_WAIT_1, step 7 finds the
 * emptied segment and step 8 sends the ACK that we asked for at once.
 * The FIN itself stays unacknowledged until the peer acknowledges it
 * again: our retransmission of it (or a duplicate ACK) brings a pure ACK
 * from the peer, on which the kernel makes the mini-socket as it always
 * does.  The ACK number is still checked first, as is (above).
 */
static void tt_keep_full_sock(struct sock *sk, struct sk_buff *skb,
			      const struct tcphdr *th)
{
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	struct tcp_sock *tp = tcp_sk(sk);

	if (sk->sk_state != TCP_FIN_WAIT1 || th->fin ||
	    cb->ack_seq != tp->write_seq || tp->snd_una == tp->write_seq)
		return;
	if (sock_owned_by_user(sk) || READ_ONCE(tp->linger2) < 0 ||
	    tcp_fin_time(sk) > TCP_TIMEWAIT_LEN)
		return;
	cb->ack_seq = tp->write_seq - 1;
}

/*
 * Take @skb's data as received and drop it.  In order: rcv_nxt moves past
 * it and the segment keeps only its FIN.  Out of order: the segment is
 * emptied where rcv_nxt is, and the ACK that follows is a duplicate that
 * asks for the missing bytes.
 */
static void tt_swallow(struct tt_net *tn, struct sock *sk, struct sk_buff *skb,
		       const struct tcphdr *th)
{
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	struct tcp_sock *tp = tcp_sk(sk);
	u32 data_end = tt_data_end(skb, th);
	unsigned int hdr_len = th->doff * 4;
	u32 seq = cb->seq, rcv_nxt = tp->rcv_nxt, fresh = 0;

	if (!after(seq, rcv_nxt)) {
		fresh = data_end - rcv_nxt;
		WRITE_ONCE(tp->rcv_nxt, data_end);
		tp->bytes_received += fresh;
		cb->seq = data_end;
		tt_count_add(tn, TT_STAT_hd_after_close_acked_bytes, fresh);
	} else {
		cb->seq = rcv_nxt;
		cb->end_seq = rcv_nxt;
	}
	tt_count(tn, TT_STAT_hd_after_close_acked_segs);
	trace_hd_after_close_acked(sk, seq, data_end, rcv_nxt, fresh);
	tt_keep_full_sock(sk, skb, th);

	/*
	 * Drop the payload too, so that a FIN-carrying segment the kernel
	 * queues is as long as its sequence range says (the FIN alone).
	 * Its truesize stays charged to the socket until the skb is freed,
	 * which for an orphan is when the FIN turns it into TIME-WAIT.
	 * A clone shares its head with someone else (a packet socket,
	 * say): trimming it would move the header under callers that still
	 * point at it, so leave those alone.
	 */
	if (!skb_cloned(skb) && skb->len > hdr_len)
		pskb_trim(skb, hdr_len);

	inet_csk_schedule_ack(sk);
	inet_csk(sk)->icsk_ack.pending |= ICSK_ACK_NOW;
}

/* tcp_rcv_state_process(struct sock *sk, struct sk_buff *skb) */
static void tt_hd_rcv_state_entry(struct ftrace_regs *fregs)
{
	struct sock *sk = (struct sock *)tt_hook_arg(fregs, 0);
	struct sk_buff *skb = (struct sk_buff *)tt_hook_arg(fregs, 1);
	const struct tcphdr *th;
	struct tt_net *tn;
	int state = sk->sk_state;

	if (state != TCP_FIN_WAIT1 && state != TCP_FIN_WAIT2)
		return;
	if (!sock_flag(sk, SOCK_DEAD) || !(sk->sk_shutdown & RCV_SHUTDOWN))
		return;
	th = tcp_hdr(skb);
	if (!tt_is_data_after_close(sk, skb, th))
		return;

	switch (tt_hd_mode(sock_net(sk), &tn)) {
	case TT_HD_GRACEFUL:
		tt_swallow(tn, sk, skb, th);
		break;
	case TT_HD_STRICT:
		tt_count(tn, TT_STAT_hd_after_close_rst);
		trace_hd_after_close_rst(sk, TCP_SKB_CB(skb)->seq,
					 tt_data_end(skb, th),
					 tcp_sk(sk)->rcv_nxt, 0);
		break;
	}
}

/* ---- data after close on the FIN_WAIT_2 timewait mini-socket ---- */

/*
 * tcp_timewait_state_process(struct inet_timewait_sock *tw,
 *			      struct sk_buff *skb, const struct tcphdr *th, ...)
 */
static void tt_hd_timewait_entry(struct ftrace_regs *fregs)
{
	struct inet_timewait_sock *tw =
		(struct inet_timewait_sock *)tt_hook_arg(fregs, 0);
	struct sk_buff *skb = (struct sk_buff *)tt_hook_arg(fregs, 1);
	const struct tcphdr *th = (const struct tcphdr *)tt_hook_arg(fregs, 2);
	struct tcp_timewait_sock *tcptw = tcp_twsk((struct sock *)tw);
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	u32 rcv_nxt, data_end, seq = cb->seq;
	struct tt_net *tn;

	if (READ_ONCE(tw->tw_substate) != TCP_FIN_WAIT2)
		return;
	rcv_nxt = READ_ONCE(tcptw->tw_rcv_nxt);
	data_end = tt_data_end(skb, th);
	if (!after(data_end, rcv_nxt))
		return;
	/* Outside, the kernel answers (ACK, challenge) or resets itself. */
	if (!tt_minisock_accepts(tw, skb, th, rcv_nxt))
		return;

	switch (tt_hd_mode(twsk_net(tw), &tn)) {
	case TT_HD_GRACEFUL:
		break;
	case TT_HD_STRICT:
		tt_count(tn, TT_STAT_hd_after_close_rst);
		trace_hd_after_close_rst((struct sock *)tw, seq, data_end,
					 rcv_nxt, 0);
		return;
	default:
		return;
	}

	if (!after(seq, rcv_nxt)) {
		/* No lock guards a mini-socket: a racing segment wins. */
		if (cmpxchg(&tcptw->tw_rcv_nxt, rcv_nxt, data_end) != rcv_nxt)
			return;
		tt_count_add(tn, TT_STAT_hd_after_close_acked_bytes,
			     data_end - rcv_nxt);
		trace_hd_after_close_acked((struct sock *)tw, seq, data_end,
					   rcv_nxt, data_end - rcv_nxt);
		rcv_nxt = data_end;
		cb->seq = data_end;
	} else {
		trace_hd_after_close_acked((struct sock *)tw, seq, data_end,
					   rcv_nxt, 0);
	}
	tt_count(tn, TT_STAT_hd_after_close_acked_segs);
	/* A FIN now directly follows tw_rcv_nxt: the kernel handles it. */
	if (th->fin && cb->seq == rcv_nxt)
		return;
	/*
	 * Out of window by one byte: answered by an immediate ACK of the
	 * new tw_rcv_nxt, never rate limited, since the segment still
	 * "carries data" (tcp_oow_rate_limited()).
	 */
	cb->seq = rcv_nxt - 2;
	cb->end_seq = rcv_nxt - 1;
}

/* ---- data after shutdown(SHUT_RD), mode 2 ---- */

/*
 * Mode 2 decides only after the kernel has accepted the segment: at the
 * entry of tcp_data_queue(), which step 7 reaches once tcp_validate_
 * incoming() (PAWS, sequence window, RST and SYN rules) and tcp_ack()
 * (RFC 5961 ACK checks) let the segment through.  A spoofed segment
 * outside the window, without ACK or with an unacceptable ACK never gets
 * there.  But header prediction in tcp_rcv_established() queues in-order
 * data itself (tcp_queue_rcv()), without tcp_data_queue(): for a SHUT_RD
 * socket in a mode-2 namespace the entry hook clears pred_flags, which
 * sends every segment down the slow path, as the kernel itself does
 * whenever its prediction may not hold.
 */

static bool tt_hd_shut_rd_strict(const struct sock *sk)
{
	struct tt_net *tn;

	return tt_hd_mode(sock_net(sk), &tn) == TT_HD_STRICT;
}

/* tcp_rcv_established(struct sock *sk, struct sk_buff *skb) */
static void tt_hd_established_entry(struct ftrace_regs *fregs)
{
	struct sock *sk = (struct sock *)tt_hook_arg(fregs, 0);

	/* Only ESTABLISHED comes here: RCV_SHUTDOWN means SHUT_RD. */
	if (likely(!(READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN)))
		return;
	if (tt_hd_shut_rd_strict(sk))
		tcp_sk(sk)->pred_flags = 0;
}

/* tcp_data_queue(struct sock *sk, struct sk_buff *skb) */
static void tt_hd_data_queue_entry(struct ftrace_regs *fregs)
{
	struct sock *sk = (struct sock *)tt_hook_arg(fregs, 0);
	struct sk_buff *skb = (struct sk_buff *)tt_hook_arg(fregs, 1);
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	const struct tcp_sock *tp = tcp_sk(sk);
	const struct tcphdr *th;

	if (likely(!(READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN)) ||
	    sk->sk_state != TCP_ESTABLISHED || sock_flag(sk, SOCK_DEAD))
		return;
	th = tcp_hdr(skb);
	/*
	 * New data that tcp_data_queue() would queue, in order or not; a
	 * duplicate or a zero-window probe it would only answer.
	 */
	if (!after(tt_data_end(skb, th), tp->rcv_nxt) ||
	    !before(cb->seq, tp->rcv_nxt + tcp_receive_window(tp)))
		return;
	if (!tt_hd_shut_rd_strict(sk))
		return;

	/* An empty segment is freed at once: neither queued nor ACKed. */
	cb->end_seq = cb->seq;
	tt_abort_later(sk, ECONNRESET, TT_STAT_hd_shut_rd_rst);
}

static struct tt_hook tt_hd_rcv_state_hook = {
	.symbol = "tcp_rcv_state_process",
	.entry = tt_hd_rcv_state_entry,
};

static struct tt_hook tt_hd_timewait_hook = {
	.symbol = "tcp_timewait_state_process",
	.entry = tt_hd_timewait_entry,
};

static struct tt_hook tt_hd_established_hook = {
	.symbol = "tcp_rcv_established",
	.entry = tt_hd_established_entry,
};

static struct tt_hook tt_hd_data_queue_hook = {
	.symbol = "tcp_data_queue",
	.entry = tt_hd_data_queue_entry,
};

/*
 * tcp_rcv_state_process() runs for every segment of a connection that is
 * not ESTABLISHED, several times per connection: armed while some
 * namespace has a mode other than stock (graceful acts, strict counts).
 */
static struct tt_hook *tt_hd_after_close_hooks[] = {
	&tt_hd_rcv_state_hook,
	&tt_hd_timewait_hook,
};

static bool tt_hd_after_close_wants(const struct tt_net *tn)
{
	return tt_knob(tn, TT_KNOB_enabled) && tt_half_duplex_wants_close(tn);
}

struct tt_probe_set tt_hd_after_close_set = {
	.name = "half-duplex after close",
	.hooks = tt_hd_after_close_hooks,
	.nr_hooks = ARRAY_SIZE(tt_hd_after_close_hooks),
	.wants = tt_hd_after_close_wants,
	.lock = __MUTEX_INITIALIZER(tt_hd_after_close_set.lock),
};

/*
 * Run for every segment of every ESTABLISHED connection, and for every
 * data segment that takes the slow path: mode 2 only.
 */
static struct tt_hook *tt_hd_strict_hooks[] = {
	&tt_hd_established_hook,
	&tt_hd_data_queue_hook,
};

static bool tt_hd_strict_wants(const struct tt_net *tn)
{
	return tt_knob(tn, TT_KNOB_enabled) &&
	       tt_knob(tn, TT_KNOB_half_duplex_close) == TT_HD_STRICT;
}

struct tt_probe_set tt_hd_strict_set = {
	.name = "half-duplex strict",
	.hooks = tt_hd_strict_hooks,
	.nr_hooks = ARRAY_SIZE(tt_hd_strict_hooks),
	.wants = tt_hd_strict_wants,
	.lock = __MUTEX_INITIALIZER(tt_hd_strict_set.lock),
};

int tt_half_duplex_init(void)
{
	int err;

	err = tt_probe_set_register(&tt_hd_after_close_set);
	if (err)
		return err;
	err = tt_probe_set_register(&tt_hd_strict_set);
	if (err)
		tt_probe_set_unregister(&tt_hd_after_close_set);
	return err;
}

void tt_half_duplex_exit(void)
{
	tt_probe_set_unregister(&tt_hd_strict_set);
	tt_probe_set_unregister(&tt_hd_after_close_set);
}

static struct tt_probe_set *const tt_half_duplex_sets[] = {
	&tt_hd_after_close_set,
	&tt_hd_strict_set,
};

const struct tt_policy tt_half_duplex_policy = {
	.name = "half_duplex",
	.init = tt_half_duplex_init,
	.exit = tt_half_duplex_exit,
	.sets = tt_half_duplex_sets,
	.nr_sets = ARRAY_SIZE(tt_half_duplex_sets),
};
