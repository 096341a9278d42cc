// SPDX-License-Identifier: GPL-2.0
/*
 * TIME-WAIT: how long, and who may reopen.
 *
 * RFC 1122 4.2.2.13: the side that closes first MUST keep the connection
 * in TIME-WAIT for 2 MSL, so that segments of the old incarnation still in
 * the network die before a new incarnation of the same address pair could
 * mistake them for its own.  A TCP MAY accept a new SYN from the remote
 * TCP and reopen straight from TIME-WAIT if it
 *   (1) gives the new connection an initial sequence number larger than
 *       the largest sequence number used by the previous incarnation, and
 *   (2) returns to TIME-WAIT if the SYN turns out to be an old duplicate.
 * RFC 6191 adds timestamps as a second way to tell a new SYN from an old.
 *
 * Linux reopens when the SYN's sequence number is above the old rcv_nxt
 * or its timestamp is newer (RFC 6191), keeps TIME-WAIT for a fixed 60 s,
 * and does not implement (2).  For (1), 6.12 uses old snd_nxt + 65537;
 * Debian's 6.1 loses that value on the way and uses its clock-based ISN,
 * which an incarnation that sent faster than the ISN clock (4 bytes per
 * 256 ns) has already overtaken.
 *
 * Knobs, per network namespace:
 *
 *   tw_reopen     0: never reopen: answer the SYN with an ACK, keep the
 *                    TIME-WAIT (and ignore the RST the peer answers it
 *                    with, as RFC 1337 recommends).
 *                 1: RFC 1122: reopen only if the SYN's sequence number
 *                    is after the old incarnation's rcv_nxt.
 *                 2: stock: sequence number or RFC 6191 timestamps.
 *   tw_isn_gap    in modes 1 and 2, the new ISN is at least old snd_nxt
 *                 plus this gap.  The kernel's own choice is kept when it
 *                 already is; else it is raised to that plus 24 random
 *                 bits (RFC 6528: not predictable from the old one).  A
 *                 SYN cookie or a Fast Open request keeps its ISN.
 *   time_wait_ms  the TIME-WAIT length (stock 60000).
 *   tw_restore    1: RFC 1122 rule (2): when the SYN that reopened a
 *                 TIME-WAIT proves to be an old duplicate (our SYN-ACK is
 *                 answered by a RST, or the handshake never completes),
 *                 the connection returns to TIME-WAIT for the rest of its
 *                 original time.
 *
 * Hooks:
 *  - tcp_timewait_state_process(), a kretprobe: the entry sees the SYN
 *    and the old incarnation, the return value is the kernel's verdict
 *    (TCP_TW_SYN: reopen), which modes 0 and 1 turn into the kernel's own
 *    refusal, rate limit included: its ACK to a SYN it does not accept
 *    (TT_TW_ACK_OOW, compat.h), or TCP_TW_SUCCESS with the caller's
 *    reference dropped.
 *  - tcp_v4_send_synack()/tcp_v6_send_synack(): the request's ISN is
 *    chosen by then and not yet on the wire.  A per-CPU note left by the
 *    verdict (same softirq, same CPU) says which request reopens what.
 *  - __inet_twsk_schedule(): its timeout argument, for every arm and
 *    re-arm of a TIME-WAIT timer.
 *  - tw_restore keeps the old TIME-WAIT socket instead of letting the
 *    reopening path kill it: inet_twsk_deschedule_put() is skipped for
 *    that one socket (the only place the module overrides a function),
 *    and the socket is hidden from lookups by flipping bit 31 of its
 *    hash.  Lookups compare the full hash and skip it; its bucket and
 *    lock come from the low bits, so its timer can still unlink it.
 *    The SYN-ACK hook names the request that reopened it; when that
 *    request makes a child (tcp_create_openreq_child()) the old socket is
 *    killed, when it leaves the table without one the bit flips back and
 *    the socket answers as TIME-WAIT again.
 *  - tcp_time_wait(): the self-check of the length hook, see below.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <net/inet6_hashtables.h>
#include <net/inet_sock.h>
#include <net/inet_timewait_sock.h>
#include <net/request_sock.h>
#include <net/tcp.h>
#include <net/transp_v6.h>

#include "compat.h"
#include "tcp_teardown.h"
#include "trace.h"

enum {
	TT_TW_REOPEN_NEVER = 0,
	TT_TW_REOPEN_SEQ = 1,
	TT_TW_REOPEN_STOCK = 2,
};

static bool tt_tw_is_tcp(const struct inet_timewait_sock *tw)
{
	return tw->tw_prot == &tcp_prot || tw->tw_prot == &tcpv6_prot;
}

/* ---- the verdict on a SYN ---- */

/* What the entry of tcp_timewait_state_process() saw, for its return. */
struct tt_tw_syn {
	struct inet_timewait_sock *tw;	/* alive until the caller drops it */
	struct tt_net *tn;
	u32 seq;
	u32 rcv_nxt;
	bool fin_wait2;			/* a FIN on the FIN_WAIT2 minisock */
};

/*
 * Who a connection is: compared, never dereferenced.  An AF_INET6
 * socket of a dual-stack listener talking to an IPv4 peer has v4-mapped
 * addresses and lives in the IPv4 half of the tables, where its
 * successor's request (AF_INET: the SYN came over IPv4) is found: such a
 * socket is described by its IPv4 addresses.
 */
struct tt_conn_id {
	const struct net *net;
	unsigned short family;
	__u16 loc_port;
	__be16 rmt_port;
	__be32 loc_addr;
	__be32 rmt_addr;
	struct in6_addr loc_addr6;
	struct in6_addr rmt_addr6;
};

/* A reopening in progress on this CPU: which request, which ISN floor. */
struct tt_tw_reopen {
	struct tt_conn_id id;
	u32 isn_floor;
	unsigned long stamp;		/* jiffies */
	const struct inet_timewait_sock *tw;	/* compared only */
	bool armed;
	bool parked;			/* tw is parked: track the request */
};

#define TT_TW_NOTE_AGE	HZ		/* see tt_tw_synack_entry() */

static DEFINE_PER_CPU(struct tt_tw_reopen, tt_tw_reopen);

/*
 * The TIME-WAIT socket this CPU's reopening path is about to kill and
 * tw_restore wants kept.  The note holds a reference of its own: a
 * TIME-WAIT socket freed and reallocated at the same address while a
 * note was left behind (no listener, so no inet_twsk_deschedule_put()
 * followed) can never be parked by mistake.  Whoever clears the note
 * drops that reference: the next verdict on this CPU, the park, unload.
 */
static DEFINE_PER_CPU(struct inet_timewait_sock *, tt_tw_to_park);

static void tt_tw_note_park(struct inet_timewait_sock *tw)
{
	struct inet_timewait_sock *old;

	if (tw)
		refcount_inc(&tw->tw_refcnt);	/* the caller holds one */
	old = this_cpu_xchg(tt_tw_to_park, tw);
	if (old)
		inet_twsk_put(old);
}

/* Timewait and request sockets both start with a struct sock_common. */
static void tt_conn_id_get(const struct sock_common *c, struct tt_conn_id *id)
{
	memset(id, 0, sizeof(*id));
	id->net = read_pnet(&c->skc_net);
	id->family = c->skc_family;
	id->loc_port = c->skc_num;
	id->rmt_port = c->skc_dport;
#if IS_ENABLED(CONFIG_IPV6)
	if (c->skc_family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&c->skc_v6_daddr)) {
		id->loc_addr6 = c->skc_v6_rcv_saddr;
		id->rmt_addr6 = c->skc_v6_daddr;
		return;
	}
#endif
	id->family = AF_INET;
	id->loc_addr = c->skc_rcv_saddr;
	id->rmt_addr = c->skc_daddr;
}

/*
 * The kernel's own limit on the ACKs a TIME-WAIT socket sends to
 * segments it refuses (tcp_timewait_check_oow_rate_limit(): one per
 * net.ipv4.tcp_invalid_ratelimit, per socket), for the SYNs modes 0 and
 * 1 refuse: without it each spoofed SYN would draw an ACK, a reflector
 * nobody could stop, since mode 0 ignores the RSTs.  tcp_oow_rate_limited()
 * is not exported; this is its SYN case, on the same per-socket stamp.
 */
static bool tt_tw_oow_rate_limited(struct inet_timewait_sock *tw)
{
	struct tcp_timewait_sock *tcptw = tcp_twsk((struct sock *)tw);
	struct net *net = twsk_net(tw);
	u32 last = READ_ONCE(tcptw->tw_last_oow_ack_time);

	if (last) {
		s32 elapsed = (s32)(tcp_jiffies32 - last);

		if (elapsed >= 0 &&
		    elapsed < READ_ONCE(net->ipv4.sysctl_tcp_invalid_ratelimit)) {
			NET_INC_STATS(net, LINUX_MIB_TCPACKSKIPPEDTIMEWAIT);
			return true;
		}
	}
	WRITE_ONCE(tcptw->tw_last_oow_ack_time, tcp_jiffies32);
	return false;
}

/*
 * Probe misses (no free instance) are counted by kprobes in nmissed;
 * every verdict that does run moves what was missed since into the
 * global tw_verdicts_missed counter (there is no namespace to charge).
 */
static unsigned long tt_tw_missed_seen;

/*
 * tcp_timewait_state_process(struct inet_timewait_sock *tw,
 *			      struct sk_buff *skb, const struct tcphdr *th, ...)
 */
static struct kretprobe tt_tw_state_probe;

static void tt_tw_count_missed(void)
{
	/* No instance free, or the entry probe itself skipped */
	unsigned long missed = (unsigned int)READ_ONCE(tt_tw_state_probe.nmissed) +
			       READ_ONCE(tt_tw_state_probe.kp.nmissed);
	unsigned long seen = READ_ONCE(tt_tw_missed_seen);

	if (missed != seen && cmpxchg(&tt_tw_missed_seen, seen, missed) == seen)
		this_cpu_add(tt_global_stats->val[TT_STAT_tw_verdicts_missed],
			     missed - seen);
}

static int tt_tw_state_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct inet_timewait_sock *tw =
		(struct inet_timewait_sock *)regs_get_kernel_argument(regs, 0);
	struct sk_buff *skb = (struct sk_buff *)regs_get_kernel_argument(regs, 1);
	const struct tcphdr *th =
		(const struct tcphdr *)regs_get_kernel_argument(regs, 2);
	struct tt_tw_syn *d = (struct tt_tw_syn *)ri->data;
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	u8 substate = READ_ONCE(tw->tw_substate);
	struct tt_net *tn;

	/* Whatever this CPU meant to park is history now. */
	tt_tw_note_park(NULL);
	tt_tw_count_missed();

	if (substate != TCP_TIME_WAIT &&
	    !(substate == TCP_FIN_WAIT2 && th->fin))
		return 1;
	tn = tt_net_enabled(twsk_net(tw));
	if (!tn)
		return 1;
	/* Every field, every time: the return reads what it finds. */
	d->tw = tw;
	d->tn = tn;
	d->seq = cb->seq;
	d->rcv_nxt = READ_ONCE(tcp_twsk((struct sock *)tw)->tw_rcv_nxt);
	d->fin_wait2 = substate == TCP_FIN_WAIT2;
	if (d->fin_wait2) {
		/*
		 * This FIN may move the minisock into TIME-WAIT, which only
		 * re-arms its timer: the return counts it, as an arm would be.
		 */
		return 0;
	}

	if (th->rst) {
		/*
		 * Mode 0 keeps TIME-WAIT, also against the RST that answers
		 * our ACK to a refused SYN: an in-window RST would kill it.
		 * Moved off rcv_nxt, it is ignored like any other.
		 */
		if (tt_knob(tn, TT_KNOB_tw_reopen) == TT_TW_REOPEN_NEVER &&
		    cb->seq == d->rcv_nxt)
			cb->seq = d->rcv_nxt + 1;
		return 1;
	}
	if (!th->syn || th->ack)
		return 1;
	return 0;
}

/*
 * A SYN the kernel would reopen with, refused: what the kernel does with
 * the SYNs it refuses itself.  TT_TW_ACK_OOW (compat.h: TCP_TW_ACK before
 * 7.x): the caller sends the ACK and drops its reference; TCP_TW_SUCCESS:
 * the callee has dropped it, so we do, as
 * tcp_timewait_check_oow_rate_limit() does.
 */
static unsigned long tt_tw_refuse(struct inet_timewait_sock *tw)
{
	if (!tt_tw_oow_rate_limited(tw))
		return TT_TW_ACK_OOW;
	inet_twsk_put(tw);
	return TCP_TW_SUCCESS;
}

/*
 * The kernel refused the SYN itself.  With TCP_TW_SUCCESS it has dropped
 * the caller's reference to the tw, which a concurrent deschedule may
 * have made the last: the event takes one of its own first, as lookups
 * do (the timewait slab is SLAB_TYPESAFE_BY_RCU and the caller runs in
 * an RCU read-side section), and only if the event is on.
 */
static void tt_tw_trace_refused_stock(const struct tt_tw_syn *d, int mode,
				      unsigned long verdict)
{
	if (!trace_tw_syn_refused_stock_enabled() ||
	    !refcount_inc_not_zero(&d->tw->tw_refcnt))
		return;
	trace_tw_syn_refused_stock((struct sock *)d->tw, d->seq, d->rcv_nxt,
				   mode, verdict);
	inet_twsk_put(d->tw);
}

static int tt_tw_state_return(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct tt_tw_syn *d = (struct tt_tw_syn *)ri->data;
	struct tcp_timewait_sock *tcptw;
	struct tt_tw_reopen *r;
	bool by_seq;
	int mode, ms;

	if (d->fin_wait2) {
		ms = tt_knob(d->tn, TT_KNOB_time_wait_ms);
		/* TCP_TW_ACK: the caller still holds the tw */
		if (regs_return_value(regs) == TCP_TW_ACK &&
		    READ_ONCE(d->tw->tw_substate) == TCP_TIME_WAIT &&
		    ms != jiffies_to_msecs(TCP_TIMEWAIT_LEN)) {
			tt_count(d->tn, TT_STAT_tw_length_set);
			trace_tw_length_set((struct sock *)d->tw, ms);
		}
		return 0;
	}
	mode = tt_knob(d->tn, TT_KNOB_tw_reopen);
	if (regs_return_value(regs) != TCP_TW_SYN) {
		tt_count(d->tn, TT_STAT_tw_syn_refused_stock);
		tt_tw_trace_refused_stock(d, mode, regs_return_value(regs));
		return 0;
	}
	by_seq = after(d->seq, d->rcv_nxt);
	if (mode == TT_TW_REOPEN_NEVER ||
	    (mode == TT_TW_REOPEN_SEQ && !by_seq)) {
		if (mode == TT_TW_REOPEN_NEVER) {
			tt_count(d->tn, TT_STAT_tw_syn_refused_never);
			trace_tw_syn_refused_never((struct sock *)d->tw, d->seq,
						   d->rcv_nxt, mode,
						   TCP_TW_SYN);
		} else {
			tt_count(d->tn, TT_STAT_tw_syn_refused_ts);
			trace_tw_syn_refused_ts((struct sock *)d->tw, d->seq,
						d->rcv_nxt, mode, TCP_TW_SYN);
		}
		regs_set_return_value(regs, tt_tw_refuse(d->tw));
		return 0;
	}
	if (by_seq) {
		tt_count(d->tn, TT_STAT_tw_reopen_seq);
		trace_tw_reopen_seq((struct sock *)d->tw, d->seq, d->rcv_nxt,
				    mode, TCP_TW_SYN);
	} else {
		tt_count(d->tn, TT_STAT_tw_reopen_ts);
		trace_tw_reopen_ts((struct sock *)d->tw, d->seq, d->rcv_nxt,
				   mode, TCP_TW_SYN);
	}

	/* The tw is gone by the time the SYN-ACK is built: keep a copy. */
	tcptw = tcp_twsk((struct sock *)d->tw);
	r = this_cpu_ptr(&tt_tw_reopen);
	tt_conn_id_get(&d->tw->__tw_common, &r->id);
	r->isn_floor = READ_ONCE(tcptw->tw_snd_nxt) +
		       tt_knob(d->tn, TT_KNOB_tw_isn_gap);
	r->stamp = jiffies;
	r->tw = d->tw;
	r->parked = false;
	r->armed = true;

	/* The caller kills the tw next, on this CPU: keep it instead. */
	if (tt_knob(d->tn, TT_KNOB_tw_restore))
		tt_tw_note_park(d->tw);
	return 0;
}

/*
 * maxactive 0: the kernel's default, sized by the number of CPUs (a
 * fixed 64 ran out on bigger hosts under a SYN burst, and a missed
 * instance is a verdict the policy never saw).  Misses are counted.
 */
static struct kretprobe tt_tw_state_probe = {
	.kp.symbol_name = "tcp_timewait_state_process",
	.entry_handler = tt_tw_state_entry,
	.handler = tt_tw_state_return,
	.data_size = sizeof(struct tt_tw_syn),
};

/* ---- returning to TIME-WAIT (tw_restore) ---- */

#define TT_TW_HIDDEN	0x80000000U	/* never part of an ehash mask */
#define TT_TW_GC_PERIOD	(HZ / 10)

/*
 * A TIME-WAIT socket kept while its successor's handshake runs.  An
 * entry is on the list, or owned by the one context that took it off
 * under the lock to finish it; it never goes back.
 */
struct tt_tw_parked {
	struct list_head node;
	struct inet_timewait_sock *tw;	/* our reference */
	struct request_sock *req;	/* our reference, once the SYN-ACK went */
	unsigned long since;		/* jiffies, when parked */
	u32 hash;			/* tw_hash as the kernel set it */
};

static LIST_HEAD(tt_tw_parked);
static DEFINE_SPINLOCK(tt_tw_parked_lock);
static struct timer_list tt_tw_gc;
static bool tt_tw_closing;		/* unload: park nothing more */

/* Any hash has bit 31 set or not: only the saved original tells. */
static void tt_tw_hide(struct tt_tw_parked *p, bool hide)
{
	WRITE_ONCE(p->tw->tw_hash, hide ? p->hash ^ TT_TW_HIDDEN : p->hash);
}

static bool tt_tw_req_hashed(const struct request_sock *req)
{
	return !hlist_nulls_unhashed(&req->__req_common.skc_nulls_node);
}

/*
 * Our reference to a request.  reqsk_put() is inline and calls
 * __reqsk_free(), which 7.x no longer exports; sock_gen_put() is
 * exported everywhere and frees a request (TCP_NEW_SYN_RECV) the same way.
 */
static void tt_tw_req_put(struct request_sock *req)
{
	if (req)
		sock_gen_put(req_to_sk(req));
}

/*
 * Back to TIME-WAIT: visible again, on its own timer.  Called with the
 * entry off the list, in the same RCU read-side section (softirq or
 * preemption off) as the removal: see tt_time_wait_net_exit().
 */
static void tt_tw_restore(struct tt_tw_parked *p, bool count)
{
	struct tt_net *tn = tt_net(twsk_net(p->tw));

	tt_tw_hide(p, false);
	/* After the flip: a reader of the counter finds the socket back. */
	smp_wmb();
	if (count && tt_net_live(tn)) {
		tt_count(tn, TT_STAT_tw_restored);
		trace_tw_restored((struct sock *)p->tw);
	}
	inet_twsk_put(p->tw);
	tt_tw_req_put(p->req);
	kfree(p);
}

/* The new incarnation is there: the old one goes for good. */
static void tt_tw_retire(struct tt_tw_parked *p)
{
	trace_tw_retired((struct sock *)p->tw);
	inet_twsk_deschedule_put(p->tw);
	tt_tw_req_put(p->req);
	kfree(p);
}

/*
 * What the GC decides for an entry no hook has finished, with the lock
 * held: keep waiting (false), or take it off to be restored.  The child
 * hook takes an entry off before its child can be hashed, and a child is
 * hashed only in place of a request that is still hashed: an entry whose
 * request is gone from the table here has no successor, and never will.
 * A request that never came (no SYN-ACK: no listener any more, queue
 * full) is given up after the note's own age limit.
 */
static bool tt_tw_gc_done(const struct tt_tw_parked *p)
{
	if (!p->req)
		return time_after(jiffies, p->since + TT_TW_NOTE_AGE);
	return !tt_tw_req_hashed(p->req);
}

/*
 * A request gone from the table that went to the accept queue had a
 * child: what the child hook sees, for when it was disarmed meanwhile
 * (tw_restore switched off with entries parked).
 */
static bool tt_tw_req_had_child(const struct request_sock *req)
{
	return READ_ONCE(req->sk);
}

static void tt_tw_gc_timer(struct timer_list *t)
{
	struct tt_tw_parked *p, *tmp;
	unsigned long flags;
	LIST_HEAD(done);

	spin_lock_irqsave(&tt_tw_parked_lock, flags);
	list_for_each_entry_safe(p, tmp, &tt_tw_parked, node)
		if (tt_tw_gc_done(p))
			list_move(&p->node, &done);
	if (!list_empty(&tt_tw_parked) && !tt_tw_closing)
		timer_reduce(&tt_tw_gc, jiffies + TT_TW_GC_PERIOD);
	spin_unlock_irqrestore(&tt_tw_parked_lock, flags);

	list_for_each_entry_safe(p, tmp, &done, node) {
		list_del(&p->node);
		if (p->req && tt_tw_req_had_child(p->req))
			tt_tw_retire(p);
		else
			tt_tw_restore(p, true);
	}
}

/* The entry of @tw or of @req, taken off the list; NULL if none. */
static struct tt_tw_parked *tt_tw_take(const struct inet_timewait_sock *tw,
				       const struct request_sock *req)
{
	struct tt_tw_parked *p, *found = NULL;
	unsigned long flags;

	spin_lock_irqsave(&tt_tw_parked_lock, flags);
	list_for_each_entry(p, &tt_tw_parked, node) {
		if ((tw && p->tw == tw) || (req && p->req == req)) {
			list_del(&p->node);
			found = p;
			break;
		}
	}
	spin_unlock_irqrestore(&tt_tw_parked_lock, flags);
	return found;
}

/* What the override jumps to: return to the caller at once. */
static void notrace tt_tw_skip(void)
{
}

/* inet_twsk_deschedule_put(struct inet_timewait_sock *tw) */
static int tt_tw_deschedule_entry(struct kprobe *kp, struct pt_regs *regs)
{
	struct inet_timewait_sock *tw =
		(struct inet_timewait_sock *)regs_get_kernel_argument(regs, 0);
	struct tt_tw_reopen *r = this_cpu_ptr(&tt_tw_reopen);
	struct tt_tw_parked *p, *q;
	unsigned long flags;
	bool parked = false;

	if (this_cpu_read(tt_tw_to_park) != tw)
		return 0;
	/* The note's reference is ours now; the caller's goes to @p. */
	this_cpu_write(tt_tw_to_park, NULL);
	p = kmalloc(sizeof(*p), GFP_ATOMIC);

	spin_lock_irqsave(&tt_tw_parked_lock, flags);
	/*
	 * Checked under the lock, which the namespace-exit sweep takes
	 * after clearing ->live: nothing is parked for a namespace after
	 * its sweep.  Two CPUs reopening the same tw with two SYNs both
	 * get here: only the first parks it, the second lets the kernel
	 * kill it (stock), and the first entry then restores a dead socket,
	 * which nothing can see.
	 */
	if (!p || tt_tw_closing || !tt_net_live(tt_net(twsk_net(tw))))
		goto out;
	list_for_each_entry(q, &tt_tw_parked, node)
		if (q->tw == tw)
			goto out;
	p->tw = tw;
	p->req = NULL;
	p->since = jiffies;
	p->hash = READ_ONCE(tw->tw_hash);
	tt_tw_hide(p, true);
	list_add(&p->node, &tt_tw_parked);
	/* Never later than it was: steady parking must not starve the GC. */
	timer_reduce(&tt_tw_gc, jiffies + TT_TW_GC_PERIOD);
	parked = true;
	if (r->armed && r->tw == tw)
		r->parked = true;
out:
	spin_unlock_irqrestore(&tt_tw_parked_lock, flags);
	inet_twsk_put(tw);		/* the note's; never the last one */
	if (!parked) {
		kfree(p);
		return 0;
	}
	regs->ip = (unsigned long)tt_tw_skip;
	return 1;
}

/*
 * The SYN-ACK for the request that reopened a parked tw: from here on
 * the request itself tells the outcome, whatever listener it came to
 * (dual-stack, device-bound, VRF): no lookup of the 4-tuple.  A request
 * whose outcome cannot be followed (a SYN cookie is freed at once; a
 * Fast Open child exists already) gives the tw up, as stock does.
 */
static void tt_tw_track(const struct inet_timewait_sock *tw,
			struct request_sock *req, bool untrackable)
{
	struct tt_tw_parked *p, *found = NULL;
	unsigned long flags;

	spin_lock_irqsave(&tt_tw_parked_lock, flags);
	list_for_each_entry(p, &tt_tw_parked, node) {
		if (p->tw != tw || p->req)
			continue;
		if (untrackable) {
			list_del(&p->node);
			found = p;
		} else {
			refcount_inc(&req->rsk_refcnt);
			p->req = req;
		}
		break;
	}
	spin_unlock_irqrestore(&tt_tw_parked_lock, flags);
	if (found)
		tt_tw_retire(found);
}

/*
 * tcp_create_openreq_child(const struct sock *sk, struct request_sock *req,
 *			    struct sk_buff *skb): the handshake completes (or a
 * Fast Open child is made).  Called across files from
 * tcp_v{4,6}_syn_recv_sock(), so never inlined away; before the child is
 * hashed in the request's place.  Retire the old tw now: a successor
 * whose connection ends within a GC period must not bring it back.
 */
static void tt_tw_child_entry(struct ftrace_regs *fregs)
{
	struct request_sock *req = (struct request_sock *)tt_hook_arg(fregs, 1);
	struct tt_tw_parked *p = tt_tw_take(NULL, req);

	if (p)
		tt_tw_retire(p);
}

/*
 * inet_csk_reqsk_queue_drop(struct sock *sk, struct request_sock *req):
 * a request leaves, by RST, by a closing listener, or because its
 * handshake completed (then the child hook has been first).  Before the
 * next SYN can arrive, have the GC look at once; it also finds the
 * requests that time out, whose drop no hook sees.
 */
static void tt_tw_reqsk_drop_entry(struct ftrace_regs *fregs)
{
	struct request_sock *req = (struct request_sock *)tt_hook_arg(fregs, 1);
	struct tt_tw_parked *p;
	unsigned long flags;

	spin_lock_irqsave(&tt_tw_parked_lock, flags);
	list_for_each_entry(p, &tt_tw_parked, node) {
		if (p->req == req) {
			if (!tt_tw_closing)
				timer_reduce(&tt_tw_gc, jiffies);
			break;
		}
	}
	spin_unlock_irqrestore(&tt_tw_parked_lock, flags);
}

/*
 * The namespace goes: every entry of it back to TIME-WAIT, for TCP's own
 * exit to purge.  ->live was cleared before (tt_net_exit()), so nothing
 * of @net is parked after this sweep; an entry another CPU took off the
 * list just before is being finished in a softirq or with preemption off,
 * which the grace period of tt_net_exit_batch(), after this and before
 * TCP's exit, waits for.  Entries never return to the list.
 */
void tt_time_wait_net_exit(struct net *net)
{
	struct tt_tw_parked *p, *tmp;
	unsigned long flags;
	LIST_HEAD(done);

	spin_lock_irqsave(&tt_tw_parked_lock, flags);
	list_for_each_entry_safe(p, tmp, &tt_tw_parked, node)
		if (net_eq(twsk_net(p->tw), net))
			list_move(&p->node, &done);
	spin_unlock_irqrestore(&tt_tw_parked_lock, flags);
	list_for_each_entry_safe(p, tmp, &done, node) {
		list_del(&p->node);
		tt_tw_restore(p, false);
	}
}

/* ---- the new incarnation's ISN ---- */

/*
 * A raised ISN is the floor plus this many random bits (RFC 6528: the
 * ISN of a new incarnation must not be predictable from the old one, of
 * which an observer knows snd_nxt).  The floor plus 2^24 stays far below
 * 2^31 past old snd_nxt for any tw_isn_gap, so it still compares after.
 */
#define TT_TW_ISN_RANDOM_BITS	24

/*
 * tcp_v{4,6}_send_synack(const struct sock *sk, struct dst_entry *dst,
 *			  struct flowi *fl, struct request_sock *req,
 *			  struct tcp_fastopen_cookie *foc,
 *			  enum tcp_synack_type synack_type, ...)
 * The same on 6.1 and 6.12; synack_type is the sixth argument (r9).
 */
static void tt_tw_synack_entry(struct ftrace_regs *fregs)
{
	struct request_sock *req = (struct request_sock *)tt_hook_arg(fregs, 3);
	enum tcp_synack_type type = tt_hook_arg(fregs, 5);
	struct tt_tw_reopen *r = this_cpu_ptr(&tt_tw_reopen);
	struct tt_conn_id id;
	bool untrackable;
	struct tt_net *tn;
	u32 from, isn;

	if (!r->armed)
		return;
	tt_conn_id_get(&req->__req_common, &id);
	/*
	 * A note that no SYN-ACK followed (no listener) must not linger,
	 * but the age limit is generous: between the verdict and the
	 * SYN-ACK, a guest vCPU descheduled by its host can see jiffies
	 * jump by several ticks.  A late SYN-ACK of the same 4-tuple owes
	 * the old incarnation the same floor anyway.
	 */
	if (time_after(jiffies, r->stamp + TT_TW_NOTE_AGE) ||
	    memcmp(&id, &r->id, sizeof(id))) {
		r->armed = false;
		return;
	}
	r->armed = false;

	/*
	 * A SYN cookie is the ISN: changing it makes the handshake's ACK
	 * fail cookie_v{4,6}_check().  A Fast Open child was made from the
	 * request before the SYN-ACK and has its snd_nxt from this ISN
	 * already.  Both keep the kernel's ISN (and do not meet the floor).
	 */
	untrackable = type != TCP_SYNACK_NORMAL || req->syncookie ||
		      tcp_rsk(req)->tfo_listener;
	if (r->parked)
		tt_tw_track(r->tw, req, untrackable);

	from = tcp_rsk(req)->snt_isn;
	if ((s32)(from - r->isn_floor) >= 0)
		return;
	tn = tt_net(read_pnet(&req->__req_common.skc_net));
	if (untrackable) {
		if (tt_net_live(tn)) {
			tt_count(tn, TT_STAT_tw_isn_not_raised);
			trace_tw_isn_not_raised(req_to_sk(req), from, from,
						r->isn_floor);
		}
		return;
	}
	isn = r->isn_floor +
	      (get_random_u32() & (BIT(TT_TW_ISN_RANDOM_BITS) - 1));
	isn = isn ? isn : 1;	/* 0 means "no ISN yet" */
	tcp_rsk(req)->snt_isn = isn;
	if (tt_net_live(tn)) {
		tt_count(tn, TT_STAT_tw_isn_raised);
		trace_tw_isn_raised(req_to_sk(req), from, isn, r->isn_floor);
	}
}

/* ---- TIME-WAIT length ---- */

/*
 * Self-check: does the length hook see the TIME-WAITs the kernel makes?
 * __inet_twsk_schedule() is called through a static helper of its own
 * file on 6.12 (inet_twsk_hashdance_schedule()); a point release built
 * differently may inline it there, and time_wait_ms would silently stop
 * applying.  A module cannot make a network namespace of its own to try
 * it out at load, and a TIME-WAIT made in the initial one would be seen
 * by everyone; so the check is made on the first real ones instead:
 * while the length is armed, every tcp_time_wait() (exported, called from
 * other files: never inlined away) is watched until one has reached the
 * hook (logged once), or TT_TW_CHECK_MISSES in a row have not (logged as
 * an error: the policy is unavailable on this kernel).  A miss can also
 * be a TIME-WAIT the kernel could not allocate (TCPTimeWaitOverflow),
 * hence several.  Only the first TIME-WAITs after load pay for it.
 */
enum {
	TT_TW_CHECK_PENDING,
	TT_TW_CHECK_PASSED,
	TT_TW_CHECK_FAILED,
};

#define TT_TW_CHECK_MISSES	8

static int tt_tw_check;
static atomic_t tt_tw_check_misses = ATOMIC_INIT(0);
/*
 * This CPU is inside tcp_time_wait() for the socket of these ports (local
 * << 16 | remote; 0: none), not yet scheduled.  Ports, not a pointer: the
 * hook sees the new timewait socket, and a caller in process context may
 * move to another CPU between the two.
 */
static DEFINE_PER_CPU(u32, tt_tw_check_key);

static u32 tt_tw_check_key_of(const struct sock_common *c)
{
	return (u32)c->skc_num << 16 | ntohs(c->skc_dport);
}

/* tcp_time_wait(struct sock *sk, int state, int timeo) */
static void tt_tw_time_wait_entry(struct ftrace_regs *fregs)
{
	const struct sock *sk = (const struct sock *)tt_hook_arg(fregs, 0);

	if (READ_ONCE(tt_tw_check) != TT_TW_CHECK_PENDING)
		return;
	/* The previous one on this CPU never got to the hook. */
	if (this_cpu_xchg(tt_tw_check_key,
			  tt_tw_check_key_of(&sk->__sk_common)) &&
	    atomic_inc_return(&tt_tw_check_misses) == TT_TW_CHECK_MISSES &&
	    cmpxchg(&tt_tw_check, TT_TW_CHECK_PENDING, TT_TW_CHECK_FAILED) ==
	    TT_TW_CHECK_PENDING)
		pr_err("self-check failed: %d TIME-WAITs did not reach __inet_twsk_schedule(): time_wait_ms is unavailable on this kernel\n",
		       TT_TW_CHECK_MISSES);
}

static void tt_tw_check_scheduled(const struct inet_timewait_sock *tw)
{
	if (READ_ONCE(tt_tw_check) != TT_TW_CHECK_PENDING ||
	    this_cpu_read(tt_tw_check_key) !=
	    tt_tw_check_key_of(&tw->__tw_common))
		return;
	this_cpu_write(tt_tw_check_key, 0);
	atomic_set(&tt_tw_check_misses, 0);
	if (cmpxchg(&tt_tw_check, TT_TW_CHECK_PENDING, TT_TW_CHECK_PASSED) ==
	    TT_TW_CHECK_PENDING)
		pr_info("self-check passed: new TIME-WAITs reach the hook on __inet_twsk_schedule(): time_wait_ms applies\n");
}

/* __inet_twsk_schedule(struct inet_timewait_sock *tw, int timeo, bool rearm) */
static void tt_tw_schedule_entry(struct ftrace_regs *fregs)
{
	struct inet_timewait_sock *tw =
		(struct inet_timewait_sock *)tt_hook_arg(fregs, 0);
	bool rearm = tt_hook_arg(fregs, 2) & 0xff;
	struct tt_net *tn;
	int ms;

	if (!rearm)
		tt_tw_check_scheduled(tw);
	if (READ_ONCE(tw->tw_substate) != TCP_TIME_WAIT || !tt_tw_is_tcp(tw))
		return;
	tn = tt_net_enabled(twsk_net(tw));
	if (!tn)
		return;
	ms = tt_knob(tn, TT_KNOB_time_wait_ms);
	if (ms == jiffies_to_msecs(TCP_TIMEWAIT_LEN))
		return;
	tt_hook_set_arg(fregs, 1, msecs_to_jiffies(ms));
	/* Entering TIME-WAIT from the FIN_WAIT2 minisock is counted above. */
	if (!rearm) {
		tt_count(tn, TT_STAT_tw_length_set);
		trace_tw_length_set((struct sock *)tw, ms);
	}
}

static struct tt_hook tt_tw_synack4_hook = {
	.symbol = "tcp_v4_send_synack",
	.entry = tt_tw_synack_entry,
};

static struct tt_hook tt_tw_synack6_hook = {
	.symbol = "tcp_v6_send_synack",
	.entry = tt_tw_synack_entry,
};

/*
 * Every passive open sends a SYN-ACK: armed while some namespace may
 * reopen with a gap the kernel's own ISN does not already give, or keeps
 * reopened TIME-WAITs (the SYN-ACK names the request to follow).
 */
static struct tt_hook *tt_tw_isn_hooks[] = {
	&tt_tw_synack4_hook,
	&tt_tw_synack6_hook,
};

static bool tt_tw_restore_wants(const struct tt_net *tn);

static bool tt_tw_isn_wants(const struct tt_net *tn)
{
	return tt_knob(tn, TT_KNOB_enabled) &&
	       tt_knob(tn, TT_KNOB_tw_reopen) != TT_TW_REOPEN_NEVER &&
	       (!TT_KERNEL_KEEPS_TW_ISN ||
		tt_knob(tn, TT_KNOB_tw_isn_gap) > TT_STOCK_TW_ISN_GAP ||
		tt_tw_restore_wants(tn));
}

struct tt_probe_set tt_tw_isn_set = {
	.name = "TIME-WAIT ISN",
	.hooks = tt_tw_isn_hooks,
	.nr_hooks = ARRAY_SIZE(tt_tw_isn_hooks),
	.wants = tt_tw_isn_wants,
	.lock = __MUTEX_INITIALIZER(tt_tw_isn_set.lock),
};

/*
 * Once per connection: armed while some namespace changes the length.
 * The tcp_time_wait() hook is the self-check's, idle once it is done.
 */
static struct tt_hook tt_tw_schedule_hook = {
	.symbol = "__inet_twsk_schedule",
	.entry = tt_tw_schedule_entry,
};

static struct tt_hook tt_tw_time_wait_hook = {
	.symbol = "tcp_time_wait",
	.entry = tt_tw_time_wait_entry,
};

static struct tt_hook *tt_tw_length_hooks[] = {
	&tt_tw_schedule_hook,
	&tt_tw_time_wait_hook,
};

static bool tt_tw_length_wants(const struct tt_net *tn)
{
	return tt_knob(tn, TT_KNOB_enabled) &&
	       tt_knob(tn, TT_KNOB_time_wait_ms) !=
	       jiffies_to_msecs(TCP_TIMEWAIT_LEN);
}

struct tt_probe_set tt_tw_length_set = {
	.name = "TIME-WAIT length",
	.hooks = tt_tw_length_hooks,
	.nr_hooks = ARRAY_SIZE(tt_tw_length_hooks),
	.wants = tt_tw_length_wants,
	.lock = __MUTEX_INITIALIZER(tt_tw_length_set.lock),
};

/*
 * A request leaves the queue, a child is made, once per connection:
 * armed while some namespace has tw_restore on.  Parked sockets left
 * when it is disarmed are resolved by the timer.
 */
static struct kprobe tt_tw_deschedule_probe = {
	.symbol_name = "inet_twsk_deschedule_put",
	.pre_handler = tt_tw_deschedule_entry,
};

static struct tt_hook tt_tw_reqsk_drop_hook = {
	.symbol = "inet_csk_reqsk_queue_drop",
	.entry = tt_tw_reqsk_drop_entry,
};

static struct tt_hook tt_tw_child_hook = {
	.symbol = "tcp_create_openreq_child",
	.entry = tt_tw_child_entry,
};

/* The deschedule probe returns early: a kprobe, which may change the IP. */
static struct kprobe *tt_tw_restore_probes[] = {
	&tt_tw_deschedule_probe,
};

static struct tt_hook *tt_tw_restore_hooks[] = {
	&tt_tw_reqsk_drop_hook,
	&tt_tw_child_hook,
};

static bool tt_tw_restore_wants(const struct tt_net *tn)
{
	return tt_knob(tn, TT_KNOB_enabled) && tt_knob(tn, TT_KNOB_tw_restore);
}

struct tt_probe_set tt_tw_restore_set = {
	.name = "TIME-WAIT restore",
	.hooks = tt_tw_restore_hooks,
	.nr_hooks = ARRAY_SIZE(tt_tw_restore_hooks),
	.probes = tt_tw_restore_probes,
	.nr = ARRAY_SIZE(tt_tw_restore_probes),
	.wants = tt_tw_restore_wants,
	.lock = __MUTEX_INITIALIZER(tt_tw_restore_set.lock),
};

int tt_time_wait_init(void)
{
	int err;

	timer_setup(&tt_tw_gc, tt_tw_gc_timer, 0);
	err = tt_probe_set_register(&tt_tw_isn_set);
	if (err)
		return err;
	err = tt_probe_set_register(&tt_tw_length_set);
	if (err)
		goto err_probes;
	err = tt_probe_set_register(&tt_tw_restore_set);
	if (err)
		goto err_length;
	err = tt_register_kretprobe(&tt_tw_state_probe);
	if (err)
		goto err_restore;
	return 0;

err_restore:
	tt_probe_set_unregister(&tt_tw_restore_set);
err_length:
	tt_probe_set_unregister(&tt_tw_length_set);
err_probes:
	tt_probe_set_unregister(&tt_tw_isn_set);
	return err;
}

/*
 * Nothing of ours may stay.  A parked socket whose request went without
 * a child goes back to TIME-WAIT; one whose successor is still in its
 * handshake (or made it) is given up, as stock gives it up at the SYN.
 */
void tt_time_wait_exit(void)
{
	struct tt_tw_parked *p, *tmp;
	unsigned long flags;
	LIST_HEAD(done);
	int cpu;

	unregister_kretprobe(&tt_tw_state_probe);
	tt_probe_set_unregister(&tt_tw_restore_set);
	tt_probe_set_unregister(&tt_tw_length_set);
	tt_probe_set_unregister(&tt_tw_isn_set);
	spin_lock_irqsave(&tt_tw_parked_lock, flags);
	tt_tw_closing = true;
	list_splice_init(&tt_tw_parked, &done);
	spin_unlock_irqrestore(&tt_tw_parked_lock, flags);
	timer_delete_sync(&tt_tw_gc);

	/* No probe runs any more: the notes left behind hold references. */
	for_each_possible_cpu(cpu) {
		struct inet_timewait_sock *tw;

		tw = xchg(per_cpu_ptr(&tt_tw_to_park, cpu), NULL);
		if (tw)
			inet_twsk_put(tw);
	}

	local_bh_disable();
	list_for_each_entry_safe(p, tmp, &done, node) {
		list_del(&p->node);
		if (p->req && !tt_tw_req_hashed(p->req) &&
		    !tt_tw_req_had_child(p->req))
			tt_tw_restore(p, true);
		else
			tt_tw_retire(p);
	}
	local_bh_enable();
}

static struct tt_probe_set *const tt_time_wait_sets[] = {
	&tt_tw_isn_set,
	&tt_tw_length_set,
	&tt_tw_restore_set,
};

const struct tt_policy tt_time_wait_policy = {
	.name = "time_wait",
	.init = tt_time_wait_init,
	.exit = tt_time_wait_exit,
	.net_exit = tt_time_wait_net_exit,
	.sets = tt_time_wait_sets,
	.nr_sets = ARRAY_SIZE(tt_time_wait_sets),
};
