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
 *                 already is (RFC 6528: ISNs stay unpredictable); else it
 *                 is raised to exactly that.
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
 *    (TCP_TW_SYN: reopen), which modes 0 and 1 turn into the kernel's
 *    own answer to a SYN it does not accept, an ACK (TT_TW_ACK_OOW).  The
 *    caller's reference handling is the same for both verdicts.
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
 *    When the request is dropped (RST) or found gone, the bit flips back
 *    and the socket answers as TIME-WAIT again; once the new connection
 *    is established, the old socket is killed.
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

/* Who a connection is: compared, never dereferenced. */
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
	bool armed;
};

#define TT_TW_NOTE_AGE	HZ		/* see tt_tw_synack_entry() */

static DEFINE_PER_CPU(struct tt_tw_reopen, tt_tw_reopen);
static DEFINE_PER_CPU(struct inet_timewait_sock *, tt_tw_to_park);

/* Timewait and request sockets both start with a struct sock_common. */
static void tt_conn_id_get(const struct sock_common *c, struct tt_conn_id *id)
{
	memset(id, 0, sizeof(*id));
	id->net = read_pnet(&c->skc_net);
	id->family = c->skc_family;
	id->loc_port = c->skc_num;
	id->rmt_port = c->skc_dport;
#if IS_ENABLED(CONFIG_IPV6)
	if (c->skc_family == AF_INET6) {
		id->loc_addr6 = c->skc_v6_rcv_saddr;
		id->rmt_addr6 = c->skc_v6_daddr;
		return;
	}
#endif
	id->loc_addr = c->skc_rcv_saddr;
	id->rmt_addr = c->skc_daddr;
}

/*
 * tcp_timewait_state_process(struct inet_timewait_sock *tw,
 *			      struct sk_buff *skb, const struct tcphdr *th, ...)
 */
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
	u32 rcv_nxt;
	struct tt_net *tn;

	/* Whatever this CPU meant to park is history now. */
	this_cpu_write(tt_tw_to_park, NULL);

	if (substate != TCP_TIME_WAIT &&
	    !(substate == TCP_FIN_WAIT2 && th->fin))
		return 1;
	tn = tt_net_enabled(twsk_net(tw));
	if (!tn)
		return 1;
	d->fin_wait2 = substate == TCP_FIN_WAIT2;
	if (d->fin_wait2) {
		/*
		 * This FIN may move the minisock into TIME-WAIT, which only
		 * re-arms its timer: the return counts it, as an arm would be.
		 */
		d->tw = tw;
		d->tn = tn;
		return 0;
	}
	rcv_nxt = READ_ONCE(tcp_twsk((struct sock *)tw)->tw_rcv_nxt);

	if (th->rst) {
		/*
		 * Mode 0 keeps TIME-WAIT, also against the RST that answers
		 * our ACK to a refused SYN: an in-window RST would kill it.
		 * Moved off rcv_nxt, it is ignored like any other.
		 */
		if (tt_knob(tn, TT_KNOB_tw_reopen) == TT_TW_REOPEN_NEVER &&
		    cb->seq == rcv_nxt)
			cb->seq = rcv_nxt + 1;
		return 1;
	}
	if (!th->syn || th->ack)
		return 1;

	d->tw = tw;
	d->tn = tn;
	d->seq = cb->seq;
	d->rcv_nxt = rcv_nxt;
	return 0;
}

static int tt_tw_state_return(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct tt_tw_syn *d = (struct tt_tw_syn *)ri->data;
	struct tcp_timewait_sock *tcptw = tcp_twsk((struct sock *)d->tw);
	bool by_seq = after(d->seq, d->rcv_nxt);
	struct tt_tw_reopen *r;
	int mode;

	if (d->fin_wait2) {
		/* TCP_TW_ACK: the caller still holds the tw */
		if (regs_return_value(regs) == TCP_TW_ACK &&
		    READ_ONCE(d->tw->tw_substate) == TCP_TIME_WAIT &&
		    tt_knob(d->tn, TT_KNOB_time_wait_ms) !=
		    jiffies_to_msecs(TCP_TIMEWAIT_LEN))
			tt_count(d->tn, TT_STAT_tw_length_set);
		return 0;
	}
	if (regs_return_value(regs) != TCP_TW_SYN) {
		tt_count(d->tn, TT_STAT_tw_syn_refused_stock);
		return 0;
	}
	mode = tt_knob(d->tn, TT_KNOB_tw_reopen);
	if (mode == TT_TW_REOPEN_NEVER ||
	    (mode == TT_TW_REOPEN_SEQ && !by_seq)) {
		regs_set_return_value(regs, TT_TW_ACK_OOW);
		tt_count(d->tn, mode == TT_TW_REOPEN_NEVER ?
			 TT_STAT_tw_syn_refused_never :
			 TT_STAT_tw_syn_refused_ts);
		return 0;
	}
	tt_count(d->tn, by_seq ? TT_STAT_tw_reopen_seq : TT_STAT_tw_reopen_ts);

	/* The tw is gone by the time the SYN-ACK is built: keep a copy. */
	r = this_cpu_ptr(&tt_tw_reopen);
	tt_conn_id_get(&d->tw->__tw_common, &r->id);
	r->isn_floor = READ_ONCE(tcptw->tw_snd_nxt) +
		       tt_knob(d->tn, TT_KNOB_tw_isn_gap);
	r->stamp = jiffies;
	r->armed = true;

	/* The caller kills the tw next, on this CPU: keep it instead. */
	if (tt_knob(d->tn, TT_KNOB_tw_restore))
		this_cpu_write(tt_tw_to_park, d->tw);
	return 0;
}

static struct kretprobe tt_tw_state_probe = {
	.kp.symbol_name = "tcp_timewait_state_process",
	.entry_handler = tt_tw_state_entry,
	.handler = tt_tw_state_return,
	.data_size = sizeof(struct tt_tw_syn),
	.maxactive = 64,
};

/* ---- the new incarnation's ISN ---- */

/*
 * tcp_v{4,6}_send_synack(const struct sock *sk, struct dst_entry *dst,
 *			  struct flowi *fl, struct request_sock *req, ...)
 */
static void tt_tw_synack_entry(struct ftrace_regs *fregs)
{
	struct request_sock *req = (struct request_sock *)tt_hook_arg(fregs, 3);
	struct tt_tw_reopen *r = this_cpu_ptr(&tt_tw_reopen);
	struct tt_conn_id id;
	struct tt_net *tn;
	u32 isn;

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

	isn = tcp_rsk(req)->snt_isn;
	if ((s32)(isn - r->isn_floor) >= 0)
		return;
	isn = r->isn_floor ? r->isn_floor : 1;	/* 0 means "no ISN yet" */
	tcp_rsk(req)->snt_isn = isn;
	tn = tt_net(read_pnet(&req->__req_common.skc_net));
	if (tt_net_live(tn))
		tt_count(tn, TT_STAT_tw_isn_raised);
}

/* ---- returning to TIME-WAIT (tw_restore) ---- */

#define TT_TW_HIDDEN	0x80000000U	/* never part of an ehash mask */
#define TT_TW_GC_PERIOD	(HZ / 10)

struct tt_tw_parked {
	struct list_head node;
	struct inet_timewait_sock *tw;	/* our reference */
	u32 hash;			/* tw_hash as the kernel set it */
	struct tt_conn_id id;
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

/*
 * What holds the 4-tuple now: the new incarnation's request, the new
 * incarnation itself (connected, or even closed and in TIME-WAIT of its
 * own), or nothing.  The hidden tw is never found.
 */
enum { TT_TW_NOTHING, TT_TW_REQUEST, TT_TW_CONNECTED };

static int tt_tw_successor(struct inet_timewait_sock *tw,
			   const struct tt_conn_id *id)
{
	struct inet_hashinfo *hashinfo = tw->tw_dr->hashinfo;
	struct net *net = twsk_net(tw);
	struct sock *sk = NULL;
	int what;

	rcu_read_lock();
	if (id->family == AF_INET)
		sk = tt_inet_lookup_established(net, hashinfo, id->rmt_addr,
						id->rmt_port, id->loc_addr,
						id->loc_port);
#if IS_ENABLED(CONFIG_IPV6)
	else
		sk = tt_inet6_lookup_established(net, hashinfo, &id->rmt_addr6,
						 id->rmt_port, &id->loc_addr6,
						 id->loc_port);
#endif
	rcu_read_unlock();
	if (!sk)
		return TT_TW_NOTHING;
	what = sk->sk_state == TCP_NEW_SYN_RECV ? TT_TW_REQUEST :
						 TT_TW_CONNECTED;
	sock_gen_put(sk);
	return what;
}

/* Back to TIME-WAIT: visible again, on its own timer. */
static void tt_tw_restore(struct tt_tw_parked *p)
{
	struct tt_net *tn = tt_net(twsk_net(p->tw));

	tt_tw_hide(p, false);
	if (tt_net_live(tn))
		tt_count(tn, TT_STAT_tw_restored);
	inet_twsk_put(p->tw);
	kfree(p);
}

/* The new incarnation is established: the old one goes for good. */
static void tt_tw_retire(struct tt_tw_parked *p)
{
	inet_twsk_deschedule_put(p->tw);
	kfree(p);
}

/* Decide what can be decided; @all: release everything (unload, netns). */
static void tt_tw_resolve(const struct net *net, bool all)
{
	struct tt_tw_parked *p, *tmp;
	LIST_HEAD(done);
	bool more;
	unsigned long flags;

	spin_lock_irqsave(&tt_tw_parked_lock, flags);
	list_for_each_entry_safe(p, tmp, &tt_tw_parked, node)
		if (!net || net_eq(twsk_net(p->tw), net))
			list_move(&p->node, &done);
	spin_unlock_irqrestore(&tt_tw_parked_lock, flags);

	list_for_each_entry_safe(p, tmp, &done, node) {
		list_del(&p->node);
		switch (all ? TT_TW_NOTHING : tt_tw_successor(p->tw, &p->id)) {
		case TT_TW_CONNECTED:
			tt_tw_retire(p);
			break;
		case TT_TW_REQUEST:
			spin_lock_irqsave(&tt_tw_parked_lock, flags);
			list_add(&p->node, &tt_tw_parked);
			spin_unlock_irqrestore(&tt_tw_parked_lock, flags);
			break;
		default:
			tt_tw_restore(p);
		}
	}

	spin_lock_irqsave(&tt_tw_parked_lock, flags);
	more = !list_empty(&tt_tw_parked) && !tt_tw_closing;
	if (more)
		mod_timer(&tt_tw_gc, jiffies + TT_TW_GC_PERIOD);
	spin_unlock_irqrestore(&tt_tw_parked_lock, flags);
}

/* Handshakes that time out drop their request where no hook sees it. */
static void tt_tw_gc_timer(struct timer_list *t)
{
	tt_tw_resolve(NULL, false);
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
	struct tt_tw_parked *p;
	unsigned long flags;

	if (this_cpu_read(tt_tw_to_park) != tw)
		return 0;
	this_cpu_write(tt_tw_to_park, NULL);
	/* A dying namespace purges its tws: let it. */
	if (!tt_net_live(tt_net(twsk_net(tw))))
		return 0;
	p = kmalloc(sizeof(*p), GFP_ATOMIC);
	if (!p)
		return 0;
	p->tw = tw;			/* the caller's reference, now ours */
	p->hash = READ_ONCE(tw->tw_hash);
	tt_conn_id_get(&tw->__tw_common, &p->id);

	spin_lock_irqsave(&tt_tw_parked_lock, flags);
	if (tt_tw_closing) {
		spin_unlock_irqrestore(&tt_tw_parked_lock, flags);
		kfree(p);
		return 0;
	}
	tt_tw_hide(p, true);
	list_add(&p->node, &tt_tw_parked);
	mod_timer(&tt_tw_gc, jiffies + TT_TW_GC_PERIOD);
	spin_unlock_irqrestore(&tt_tw_parked_lock, flags);

	regs->ip = (unsigned long)tt_tw_skip;
	return 1;
}

/*
 * inet_csk_reqsk_queue_drop(struct sock *sk, struct request_sock *req):
 * a request leaves, by RST, by a closing listener, or because its
 * handshake completed.  Only the first two should bring the tw back, and
 * before the next SYN can arrive: look now.
 */
static void tt_tw_reqsk_drop_entry(struct ftrace_regs *fregs)
{
	struct request_sock *req = (struct request_sock *)tt_hook_arg(fregs, 1);
	struct tt_tw_parked *p, *found = NULL;
	struct tt_conn_id id;
	unsigned long flags;

	if (list_empty(&tt_tw_parked))
		return;
	tt_conn_id_get(&req->__req_common, &id);
	spin_lock_irqsave(&tt_tw_parked_lock, flags);
	list_for_each_entry(p, &tt_tw_parked, node) {
		if (!memcmp(&p->id, &id, sizeof(id))) {
			list_del(&p->node);
			found = p;
			break;
		}
	}
	spin_unlock_irqrestore(&tt_tw_parked_lock, flags);
	if (!found)
		return;
	/* Still the request itself in the table: it is being thrown out. */
	if (tt_tw_successor(found->tw, &found->id) == TT_TW_CONNECTED) {
		spin_lock_irqsave(&tt_tw_parked_lock, flags);
		list_add(&found->node, &tt_tw_parked);	/* the timer retires it */
		spin_unlock_irqrestore(&tt_tw_parked_lock, flags);
		return;
	}
	tt_tw_restore(found);
}

void tt_time_wait_net_exit(struct net *net)
{
	tt_tw_resolve(net, true);
}

/* ---- TIME-WAIT length ---- */

/* __inet_twsk_schedule(struct inet_timewait_sock *tw, int timeo, bool rearm) */
static void tt_tw_schedule_entry(struct ftrace_regs *fregs)
{
	struct inet_timewait_sock *tw =
		(struct inet_timewait_sock *)tt_hook_arg(fregs, 0);
	bool rearm = tt_hook_arg(fregs, 2) & 0xff;
	struct tt_net *tn;
	int ms;

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
	if (!rearm)
		tt_count(tn, TT_STAT_tw_length_set);
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
 * reopen with a gap the kernel's own ISN does not already give.
 */
static struct tt_hook *tt_tw_isn_hooks[] = {
	&tt_tw_synack4_hook,
	&tt_tw_synack6_hook,
};

static bool tt_tw_isn_wants(const struct tt_net *tn)
{
	return tt_knob(tn, TT_KNOB_enabled) &&
	       tt_knob(tn, TT_KNOB_tw_reopen) != TT_TW_REOPEN_NEVER &&
	       (!TT_KERNEL_KEEPS_TW_ISN ||
		tt_knob(tn, TT_KNOB_tw_isn_gap) > TT_STOCK_TW_ISN_GAP);
}

struct tt_probe_set tt_tw_isn_set = {
	.name = "TIME-WAIT ISN",
	.hooks = tt_tw_isn_hooks,
	.nr_hooks = ARRAY_SIZE(tt_tw_isn_hooks),
	.wants = tt_tw_isn_wants,
	.lock = __MUTEX_INITIALIZER(tt_tw_isn_set.lock),
};

/* Once per connection: armed while some namespace changes the length. */
static struct tt_hook tt_tw_schedule_hook = {
	.symbol = "__inet_twsk_schedule",
	.entry = tt_tw_schedule_entry,
};

static struct tt_hook *tt_tw_length_hooks[] = {
	&tt_tw_schedule_hook,
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
 * A request leaves the queue once per connection: armed while some
 * namespace has tw_restore on.  Parked sockets left when it is disarmed
 * are resolved by the timer.
 */
static struct kprobe tt_tw_deschedule_probe = {
	.symbol_name = "inet_twsk_deschedule_put",
	.pre_handler = tt_tw_deschedule_entry,
};

static struct tt_hook tt_tw_reqsk_drop_hook = {
	.symbol = "inet_csk_reqsk_queue_drop",
	.entry = tt_tw_reqsk_drop_entry,
};

/* The deschedule probe returns early: a kprobe, which may change the IP. */
static struct kprobe *tt_tw_restore_probes[] = {
	&tt_tw_deschedule_probe,
};

static struct tt_hook *tt_tw_restore_hooks[] = {
	&tt_tw_reqsk_drop_hook,
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

/* Parked sockets go back to TIME-WAIT: nothing of ours may stay. */
void tt_time_wait_exit(void)
{
	unsigned long flags;

	unregister_kretprobe(&tt_tw_state_probe);
	tt_probe_set_unregister(&tt_tw_restore_set);
	tt_probe_set_unregister(&tt_tw_length_set);
	tt_probe_set_unregister(&tt_tw_isn_set);
	spin_lock_irqsave(&tt_tw_parked_lock, flags);
	tt_tw_closing = true;
	spin_unlock_irqrestore(&tt_tw_parked_lock, flags);
	timer_delete_sync(&tt_tw_gc);
	tt_tw_resolve(NULL, true);
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
