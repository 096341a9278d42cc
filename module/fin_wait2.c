// SPDX-License-Identifier: GPL-2.0
/*
 * FIN_WAIT_2: how long to wait for a peer that never closes.
 *
 * RFC 1122 4.2.2.13 describes the half-closed connection: a side that has
 * sent its FIN may go on receiving for as long as the peer keeps sending;
 * the RFC sets no limit.  After our FIN is acknowledged we are in
 * FIN_WAIT_2 and only the peer's FIN ends the connection.  A peer whose
 * application never calls close() (a CLOSE_WAIT leak) keeps both ends
 * forever, unless the local side gives up.
 *
 * Stock Linux gives up on orphans only (sockets the application has
 * closed): after tcp_fin_timeout, or the socket's TCP_LINGER2, and
 * silently, so the peer's CLOSE_WAIT socket never learns.  A socket
 * half-closed with shutdown(SHUT_WR) and still open waits forever.
 *
 * Knobs, per network namespace:
 *
 *   fin_wait2_timeout_ms  lifetime of an orphan in FIN_WAIT_2 (0: stock,
 *                         tcp_fin_timeout).  An application's own
 *                         TCP_LINGER2 still wins: it asked for that socket.
 *   fin_wait2_rst         1: an orphan that runs out of time sends a RST,
 *                         so the peer's CLOSE_WAIT socket gets ECONNRESET.
 *   fin_wait2_idle_ms     a socket still open in FIN_WAIT_2 that receives
 *                         nothing for this long is aborted: RST to the
 *                         peer, ETIMEDOUT to the application (RFC 1122:
 *                         it MUST be told the connection was aborted).
 *                         Every segment received restarts the clock.
 *
 * How the orphan timeout is steered: every stock decision about an orphan
 * in FIN_WAIT_2 goes through tcp_fin_time(), which prefers the socket's
 * linger2 to the sysctl.  At close() we give linger2 a value that makes
 * the stock code do what the knobs ask:
 *
 *   T <= 60 s, silent: linger2 = T; the socket becomes a FIN_WAIT_2
 *                      mini-socket for T and dies silently.
 *   T > 60 s, silent:  linger2 = 60 s + T/2; the full socket waits T/2 on
 *                      the keepalive timer, then a mini-socket T/2.
 *   with RST:          linger2 = 60 s + T; the full socket waits T on the
 *                      keepalive timer; when it fires we set linger2 to
 *                      -1 and the stock timer sends the RST and kills it.
 *
 * If the ACK of our FIN is processed while close() still owns the socket,
 * the stock code keeps a T <= 60 s orphan on the keepalive timer and
 * resets the peer at expiry; for our silent values the keepalive hook
 * turns that into a last, short mini-socket (T + 3.5 RTO, silent).
 *
 * Our values are never multiples of HZ, which TCP_LINGER2 always is, so
 * they also mark the socket as ours; odd values ask for the RST.
 *
 * The idle timeout keeps one entry per tracked socket (a timer and a
 * reference), found through a hash table when the socket leaves
 * FIN_WAIT_2 or is closed.  Sockets enter and leave FIN_WAIT_2 under the
 * sock:inet_sock_set_state tracepoint, close() under main.c's hook.
 * Nothing is tracked, and the tracepoint is not attached, while no
 * namespace sets the knob.
 *
 * Likewise the timer hooks are armed, and the orphan counters move, only
 * in namespaces that set fin_wait2_timeout_ms or fin_wait2_rst: with the
 * defaults, the kernel's expiries are its own business.
 *
 * What close() promised an orphan holds whatever happens later to the
 * knobs of any namespace or to the module: orphans that need the
 * keepalive hook are recorded, and before the hook goes each gets in its
 * linger2 what the hook would have done at expiry.  Tracked half-closed
 * sockets are let go as soon as their namespace stops tracking.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hashtable.h>
#include <linux/jiffies.h>
#include <linux/ftrace.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <net/inet_connection_sock.h>
#include <net/inet_timewait_sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "tcp_teardown.h"
#include "trace.h"

/* ---- orphans ---- */

static bool tt_fw2_linger_is_ours(int linger2)
{
	return linger2 > 0 && linger2 % HZ;
}

/* A linger2 value near @v that TCP_LINGER2 cannot produce; odd for RST. */
static int tt_fw2_linger_mark(unsigned long v, bool rst)
{
	v = min_t(unsigned long, v, INT_MAX - 2 * HZ);
	if (rst)
		return v | 1;
	v = (v + 1) & ~1UL;
	if (!(v % HZ))
		v += 2;
	return v;
}

/* linger2 that makes the stock code keep an orphan @tmo jiffies. */
static int tt_fw2_linger_for(unsigned long tmo, bool rst)
{
	if (rst)
		tmo += TCP_TIMEWAIT_LEN;
	else if (tmo > TCP_TIMEWAIT_LEN)
		tmo = TCP_TIMEWAIT_LEN + tmo / 2;
	return tt_fw2_linger_mark(tmo, rst);
}

/*
 * Orphans whose promise needs the keepalive hook: those to reset at
 * expiry, and the silent ones of up to 60 s (which need it only if the
 * ACK of their FIN met the owned socket).  Each entry holds a reference
 * and goes when its socket is closed (the orphan set's tracepoint), or
 * when the hook goes: the orphan set is disarmed, or the module unloads.
 * Then tt_fw2_promises_keep() writes into each socket's linger2 what the
 * hook would have done at expiry, so that the stock timer alone keeps
 * the promise.
 */
struct tt_fw2_promise {
	struct hlist_node node;
	struct sock *sk;		/* a reference is held */
};

#define TT_FW2_HASH_BITS 12
static DEFINE_HASHTABLE(tt_fw2_promises, TT_FW2_HASH_BITS);
static DEFINE_SPINLOCK(tt_fw2_promise_lock);	/* the table */
static unsigned int tt_fw2_promised;		/* entries in the table */

/*
 * From close(), socket locked.  Only while the orphan set is in use: its
 * tracepoint sees the socket die, and its disarming keeps the promise.
 */
static bool tt_fw2_promise(struct sock *sk)
{
	struct tt_fw2_promise *p = kmalloc(sizeof(*p), GFP_ATOMIC);
	unsigned long flags;
	bool in_use;

	if (!p)
		return false;
	spin_lock_irqsave(&tt_fw2_promise_lock, flags);
	/*
	 * Not yet armed: the tracepoint might miss the socket's end.  No
	 * namespace uses the hooks any more: they are being disarmed, and
	 * tt_fw2_orphan_stopped() took the table (this lock orders us
	 * after it) or will.
	 */
	in_use = READ_ONCE(tt_fw2_orphan_set.armed) &&
		 READ_ONCE(tt_fw2_orphan_set.users);
	if (in_use) {
		sock_hold(sk);
		p->sk = sk;
		hash_add(tt_fw2_promises, &p->node, (unsigned long)sk);
		WRITE_ONCE(tt_fw2_promised, tt_fw2_promised + 1);
	}
	spin_unlock_irqrestore(&tt_fw2_promise_lock, flags);
	if (!in_use)
		kfree(p);
	return in_use;
}

/*
 * Tracepoint sock:inet_sock_set_state, orphan set: a promised orphan is
 * closed (reset, timed out, or moved to a mini-socket, which needs no
 * hook).  Its own reference keeps it until after this returns.
 */
static void tt_fw2_orphan_state_change(void *data, const struct sock *sk,
				       const int oldstate, const int newstate)
{
	struct tt_fw2_promise *p;
	unsigned long flags;
	bool found = false;

	if (newstate != TCP_CLOSE || sk->sk_protocol != IPPROTO_TCP ||
	    !READ_ONCE(tt_fw2_promised))
		return;
	spin_lock_irqsave(&tt_fw2_promise_lock, flags);
	hash_for_each_possible(tt_fw2_promises, p, node, (unsigned long)sk) {
		if (p->sk == sk) {
			hash_del(&p->node);
			WRITE_ONCE(tt_fw2_promised, tt_fw2_promised - 1);
			found = true;
			break;
		}
	}
	spin_unlock_irqrestore(&tt_fw2_promise_lock, flags);
	if (found) {
		sock_put(p->sk);
		kfree(p);
	}
}

/* What the keepalive hook would do at expiry, written now; process context. */
static void tt_fw2_keep_promise(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int linger2, tmo;

	lock_sock(sk);
	linger2 = tp->linger2;
	if (!sock_flag(sk, SOCK_DEAD) || !tt_fw2_linger_is_ours(linger2))
		goto out;
	if (linger2 & 1) {
		if (sk->sk_state == TCP_FIN_WAIT2) {
			/*
			 * On the keepalive timer until the promised expiry;
			 * then the stock timer resets and kills, as for
			 * TCP_LINGER2 < 0.
			 */
			WRITE_ONCE(tp->linger2, -1);
		} else {
			/*
			 * Our FIN not yet acknowledged: only the hook could
			 * turn the wait into a RST.  Fall back to the stock
			 * silent expiry, with the lifetime given at close().
			 */
			tmo = (linger2 & ~1) - TCP_TIMEWAIT_LEN;
			WRITE_ONCE(tp->linger2,
				   tt_fw2_linger_for(max(tmo, 1), false));
		}
	} else if (sk->sk_state == TCP_FIN_WAIT2 &&
		   tcp_fin_time(sk) <= TCP_TIMEWAIT_LEN) {
		/* As tt_fw2_keepalive_entry() would: a last mini-socket. */
		WRITE_ONCE(tp->linger2,
			   tt_fw2_linger_mark(TCP_TIMEWAIT_LEN + 1, false));
	}
out:
	release_sock(sk);
}

/* The keepalive hook goes: every promised orphan keeps its promise. */
static void tt_fw2_promises_keep(void)
{
	struct tt_fw2_promise *p;
	struct hlist_node *tmp;
	unsigned long flags;
	unsigned int bkt;
	HLIST_HEAD(list);

	spin_lock_irqsave(&tt_fw2_promise_lock, flags);
	hash_for_each_safe(tt_fw2_promises, bkt, tmp, p, node) {
		hash_del(&p->node);
		hlist_add_head(&p->node, &list);
	}
	WRITE_ONCE(tt_fw2_promised, 0);
	spin_unlock_irqrestore(&tt_fw2_promise_lock, flags);

	hlist_for_each_entry_safe(p, tmp, &list, node) {
		tt_fw2_keep_promise(p->sk);
		sock_put(p->sk);
		kfree(p);
	}
}

static bool tt_fw2_orphan_policy(const struct tt_net *tn)
{
	return tt_knob(tn, TT_KNOB_fin_wait2_timeout_ms) ||
	       tt_knob(tn, TT_KNOB_fin_wait2_rst);
}

bool tt_fin_wait2_wants_close(const struct tt_net *tn)
{
	return tt_fw2_orphan_policy(tn) || tt_knob(tn, TT_KNOB_fin_wait2_idle_ms);
}

/*
 * tcp_keepalive_timer(struct timer_list *t), before it takes the socket
 * lock.  Nothing else writes linger2 of an orphan.
 */
static void tt_fw2_keepalive_entry(struct ftrace_regs *fregs)
{
	struct timer_list *t = (struct timer_list *)tt_hook_arg(fregs, 0);
	struct inet_connection_sock *icsk =
		container_of(t, struct inet_connection_sock, icsk_keepalive_timer);
	struct sock *sk = &icsk->icsk_inet.sk;
	struct tcp_sock *tp = tcp_sk(sk);
	int linger2 = READ_ONCE(tp->linger2);
	struct tt_net *tn;

	if (READ_ONCE(sk->sk_state) != TCP_FIN_WAIT2 ||
	    !sock_flag(sk, SOCK_DEAD) || !tt_fw2_linger_is_ours(linger2))
		return;
	if (!(linger2 & 1)) {
		/*
		 * Silent, T <= 60 s, but our FIN's ACK found the socket owned
		 * by its closing user: tcp_rcv_state_process() kept the full
		 * socket on this timer for T, and the stock timer would now
		 * reset the peer.  Have it park a mini-socket instead, for
		 * the least it allows (3.5 RTO), to die silently.
		 */
		if (tcp_fin_time(sk) <= TCP_TIMEWAIT_LEN) {
			linger2 = tt_fw2_linger_mark(TCP_TIMEWAIT_LEN + 1, false);
			WRITE_ONCE(tp->linger2, linger2);
		}
		return;
	}
	/* Skip the mini-socket: the stock timer resets and kills instead. */
	WRITE_ONCE(tp->linger2, -1);
	tn = tt_net_enabled(sock_net(sk));
	if (tn) {
		tt_count(tn, TT_STAT_fw2_orphan_expired_rst);
		trace_fw2_orphan_expired_rst(sk);
	}
}

/* tw_timer_handler(struct timer_list *t): a mini-socket's time is up. */
static void tt_fw2_tw_expiry_entry(struct ftrace_regs *fregs)
{
	struct timer_list *t = (struct timer_list *)tt_hook_arg(fregs, 0);
	struct inet_timewait_sock *tw = container_of(t, struct inet_timewait_sock,
						     tw_timer);
	struct tt_net *tn;

	if (READ_ONCE(tw->tw_substate) != TCP_FIN_WAIT2)
		return;
	tn = tt_net_enabled(twsk_net(tw));
	if (tn && tt_fw2_orphan_policy(tn)) {
		tt_count(tn, TT_STAT_fw2_orphan_expired_silent);
		trace_fw2_orphan_expired_silent((struct sock *)tw);
	}
}

/* ---- half-closed sockets still open: the idle timeout ---- */

struct tt_fw2_entry {
	struct hlist_node node;		/* in the table while its timer may run */
	struct timer_list timer;
	struct sock *sk;		/* a reference is held */
	bool cancelled;
	bool expired;			/* the timer is finishing with it */
	struct hlist_node drain;	/* out of the table, to be freed */
};

static DEFINE_HASHTABLE(tt_fw2_hash, TT_FW2_HASH_BITS);
static DEFINE_SPINLOCK(tt_fw2_lock);	/* the table, the flags, the two below */
static unsigned int tt_fw2_tracked;	/* entries in the table */
static bool tt_fw2_closed;		/* unloading: track nothing more */

/* @sk's entry, but for one whose timer is finishing. */
static struct tt_fw2_entry *tt_fw2_find(const struct sock *sk)
{
	struct tt_fw2_entry *e;

	lockdep_assert_held(&tt_fw2_lock);
	hash_for_each_possible(tt_fw2_hash, e, node, (unsigned long)sk)
		if (e->sk == sk && !e->expired)
			return e;
	return NULL;
}

static void tt_fw2_release(struct tt_fw2_entry *e)
{
	struct tt_net *tn = tt_net(sock_net(e->sk));

	if (tt_net_live(tn)) {
		tt_count(tn, TT_STAT_fw2_idle_released);
		trace_fw2_idle_released(e->sk);
	}
	sock_put(e->sk);
	kfree(e);
}

/* Socket time: how long since @sk last heard from its peer. */
static u32 tt_fw2_idle(struct sock *sk)
{
	return keepalive_time_elapsed(tcp_sk(sk));
}

static void tt_fw2_track(struct tt_net *tn, struct sock *sk, int ms);

/*
 * The abort's last check, with the socket locked: a segment heard since
 * the timer decided, or a close() meanwhile, spares the socket; one that
 * heard from its peer is tracked again for what is left of the limit.
 */
static bool tt_fw2_still_idle(struct sock *sk)
{
	struct tt_net *tn = tt_net_enabled(sock_net(sk));
	u32 idle, limit;

	if (!tn || sk->sk_state != TCP_FIN_WAIT2 || sock_flag(sk, SOCK_DEAD))
		return false;
	limit = msecs_to_jiffies(tt_knob(tn, TT_KNOB_fin_wait2_idle_ms));
	if (!limit)
		return false;
	idle = tt_fw2_idle(sk);
	if (idle >= limit)
		return true;
	tt_fw2_track(tn, sk, max(jiffies_to_msecs(limit - idle), 1U));
	return false;
}

/*
 * An entry leaves the table only under tt_fw2_lock, by whoever then
 * frees it: the timer itself when done, or tt_fw2_release_net(), which
 * then waits for the timer with timer_delete_sync().  So the timer keeps
 * its entry in the table (marked expired) while it queues the abort, and
 * nothing of it runs after the unload's drain.
 */
static void tt_fw2_timer(struct timer_list *t)
{
	struct tt_fw2_entry *e = tt_timer_container_of(e, t, timer);
	struct sock *sk = e->sk;
	struct tt_net *tn = tt_net(sock_net(sk));
	u32 idle, limit = 0;
	unsigned long flags;
	bool own = false;

	spin_lock_irqsave(&tt_fw2_lock, flags);
	if (!hash_hashed(&e->node)) {
		/* Taken over by tt_fw2_release_net(). */
		spin_unlock_irqrestore(&tt_fw2_lock, flags);
		return;
	}
	if (!e->cancelled && tt_net_live(tn) &&
	    READ_ONCE(sk->sk_state) == TCP_FIN_WAIT2 &&
	    !sock_flag(sk, SOCK_DEAD))
		limit = msecs_to_jiffies(tt_knob(tn, TT_KNOB_fin_wait2_idle_ms));
	idle = tt_fw2_idle(sk);
	if (limit && idle < limit) {
		/* Heard from the peer meanwhile: wait for the rest. */
		mod_timer(&e->timer, jiffies + limit - idle);
		spin_unlock_irqrestore(&tt_fw2_lock, flags);
		return;
	}
	e->expired = true;
	spin_unlock_irqrestore(&tt_fw2_lock, flags);

	if (limit)
		tt_abort_later_if(sk, ETIMEDOUT, TT_STAT_fw2_idle_aborts,
				  tt_fw2_still_idle);

	spin_lock_irqsave(&tt_fw2_lock, flags);
	if (hash_hashed(&e->node)) {
		hash_del(&e->node);
		WRITE_ONCE(tt_fw2_tracked, tt_fw2_tracked - 1);
		own = true;
	}
	spin_unlock_irqrestore(&tt_fw2_lock, flags);
	if (own)
		tt_fw2_release(e);
}

static void tt_fw2_track(struct tt_net *tn, struct sock *sk, int ms)
{
	struct tt_fw2_entry *e;
	unsigned long flags;

	e = kzalloc(sizeof(*e), GFP_ATOMIC);
	if (!e)
		return;
	sock_hold(sk);
	e->sk = sk;
	timer_setup(&e->timer, tt_fw2_timer, 0);

	spin_lock_irqsave(&tt_fw2_lock, flags);
	if (tt_fw2_closed || tt_fw2_find(sk)) {
		spin_unlock_irqrestore(&tt_fw2_lock, flags);
		sock_put(sk);
		kfree(e);
		return;
	}
	hash_add(tt_fw2_hash, &e->node, (unsigned long)sk);
	WRITE_ONCE(tt_fw2_tracked, tt_fw2_tracked + 1);
	mod_timer(&e->timer, jiffies + msecs_to_jiffies(ms));
	spin_unlock_irqrestore(&tt_fw2_lock, flags);
	tt_count(tn, TT_STAT_fw2_idle_tracked);
	/* What the limit ends in: tcp_abort() resets FIN_WAIT_2. */
	trace_fw2_idle_tracked(sk, ms, true);
}

/* Let the timer free @sk's entry now rather than at its next expiry. */
static void tt_fw2_cancel(const struct sock *sk)
{
	struct tt_fw2_entry *e;
	unsigned long flags;

	if (!READ_ONCE(tt_fw2_tracked))
		return;
	spin_lock_irqsave(&tt_fw2_lock, flags);
	e = tt_fw2_find(sk);
	if (e && !e->cancelled) {
		e->cancelled = true;
		mod_timer(&e->timer, jiffies);
	}
	spin_unlock_irqrestore(&tt_fw2_lock, flags);
}

/* From __tcp_close(), with the socket locked; @tn is enabled. */
void tt_fin_wait2_close(struct tt_net *tn, struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned long tmo;
	bool rst;
	int ms;

	/* An orphan is not idle-tracked: its entry goes now. */
	tt_fw2_cancel(sk);

	if (sk->sk_state == TCP_LISTEN || READ_ONCE(tp->linger2))
		return;
	ms = tt_knob(tn, TT_KNOB_fin_wait2_timeout_ms);
	rst = tt_knob(tn, TT_KNOB_fin_wait2_rst);
	if (!ms && !rst)
		return;

	if (ms)
		tmo = msecs_to_jiffies(ms);
	else
		tmo = READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_fin_timeout);

	/*
	 * A promise that needs the keepalive hook is recorded, so that it
	 * is kept when the hook goes; if it cannot be, the orphan gets the
	 * silent stock expiry after the same lifetime.
	 */
	if ((rst || tmo <= TCP_TIMEWAIT_LEN) &&
	    (1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_SYN_RECV |
				   TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2) &&
	    !tt_fw2_promise(sk))
		rst = false;
	WRITE_ONCE(tp->linger2, tt_fw2_linger_for(tmo, rst));
	tt_count(tn, TT_STAT_fw2_orphan_timeout_set);
	trace_fw2_orphan_timeout_set(sk, jiffies_to_msecs(tmo), rst);
}

/*
 * Tracepoint sock:inet_sock_set_state, from tcp_set_state() and the other
 * state changes of inet sockets, before the new state is stored; for TCP
 * with the socket locked.  A tracepoint rather than a hook on
 * tcp_set_state(), which runs several times per connection: the kernel
 * calls us from its own code, with no trampoline in between.
 */
static void tt_fw2_state_change(void *data, const struct sock *csk,
				const int oldstate, const int newstate)
{
	struct sock *sk = (struct sock *)csk;
	struct tt_net *tn;
	int ms;

	if (sk->sk_protocol != IPPROTO_TCP)
		return;
	if (oldstate == TCP_FIN_WAIT2 && newstate != TCP_FIN_WAIT2) {
		tt_fw2_cancel(sk);
		return;
	}
	/*
	 * Only sockets of user space: they pin their namespace, so the
	 * entry never outlives it.  Only a transition into FIN_WAIT_2:
	 * close() sets it again (tcp_close_state()) before the orphaning,
	 * after our close hook may already have freed the entry.
	 */
	if (newstate != TCP_FIN_WAIT2 || oldstate == TCP_FIN_WAIT2 ||
	    sock_flag(sk, SOCK_DEAD) || !sk->sk_net_refcnt)
		return;
	tn = tt_net_enabled(sock_net(sk));
	if (!tn)
		return;
	ms = tt_knob(tn, TT_KNOB_fin_wait2_idle_ms);
	if (ms)
		tt_fw2_track(tn, sk, ms);
}

static struct tt_hook tt_fw2_keepalive_hook = {
	.symbol = "tcp_keepalive_timer",
	.entry = tt_fw2_keepalive_entry,
};

static struct tt_hook tt_fw2_tw_expiry_hook = {
	.symbol = "tw_timer_handler",
	.entry = tt_fw2_tw_expiry_entry,
};

/* The timers fire once per connection: armed for the orphan policy. */
static struct tt_hook *tt_fw2_orphan_hooks[] = {
	&tt_fw2_keepalive_hook,
	&tt_fw2_tw_expiry_hook,
};

static bool tt_fw2_orphan_wants(const struct tt_net *tn)
{
	return tt_knob(tn, TT_KNOB_enabled) && tt_fw2_orphan_policy(tn);
}

/*
 * The last namespace stopped using the hooks: before they go, give every
 * promised orphan what the hook would have done (while they are still
 * armed, so that no expiry falls between the two).
 */
static void tt_fw2_orphan_stopped(struct tt_probe_set *set,
				  const struct tt_net *tn)
{
	if (!set->users)
		tt_fw2_promises_keep();
}

struct tt_probe_set tt_fw2_orphan_set = {
	.name = "FIN_WAIT_2 orphans",
	.hooks = tt_fw2_orphan_hooks,
	.nr_hooks = ARRAY_SIZE(tt_fw2_orphan_hooks),
	.wants = tt_fw2_orphan_wants,
	.stopped = tt_fw2_orphan_stopped,
	/* sees promised orphans die */
	.tp_name = "inet_sock_set_state",
	.tp_probe = tt_fw2_orphan_state_change,
	.lock = __MUTEX_INITIALIZER(tt_fw2_orphan_set.lock),
};

static bool tt_fw2_idle_wants(const struct tt_net *tn)
{
	return tt_knob(tn, TT_KNOB_enabled) &&
	       tt_knob(tn, TT_KNOB_fin_wait2_idle_ms);
}

static void tt_fw2_release_net(const struct net *net);

/* @tn no longer tracks: let go of its sockets, and its namespace, now. */
static void tt_fw2_idle_stopped(struct tt_probe_set *set,
				const struct tt_net *tn)
{
	tt_fw2_release_net(tn->net);
}

struct tt_probe_set tt_fw2_idle_set = {
	.name = "FIN_WAIT_2 idle",
	/* no hook: the tracepoint, attached while some namespace tracks */
	.wants = tt_fw2_idle_wants,
	.stopped = tt_fw2_idle_stopped,
	.tp_name = "inet_sock_set_state",
	.tp_probe = tt_fw2_state_change,
	.lock = __MUTEX_INITIALIZER(tt_fw2_idle_set.lock),
};

int tt_fin_wait2_init(void)
{
	int err;

	err = tt_probe_set_register(&tt_fw2_orphan_set);
	if (err)
		return err;
	err = tt_probe_set_register(&tt_fw2_idle_set);
	if (err)
		tt_probe_set_unregister(&tt_fw2_orphan_set);
	return err;
}

/*
 * Take the entries of @net (NULL: all) out of the table, so that their
 * timers, if running, leave them alone; then wait for each timer and
 * drop the reference.  The sockets go on as stock ones.
 */
static void tt_fw2_release_net(const struct net *net)
{
	struct tt_fw2_entry *e;
	struct hlist_node *tmp;
	unsigned long flags;
	unsigned int bkt;
	HLIST_HEAD(list);

	spin_lock_irqsave(&tt_fw2_lock, flags);
	hash_for_each_safe(tt_fw2_hash, bkt, tmp, e, node) {
		if (net && !net_eq(sock_net(e->sk), net))
			continue;
		hash_del(&e->node);
		WRITE_ONCE(tt_fw2_tracked, tt_fw2_tracked - 1);
		hlist_add_head(&e->drain, &list);
	}
	spin_unlock_irqrestore(&tt_fw2_lock, flags);

	hlist_for_each_entry_safe(e, tmp, &list, drain) {
		timer_delete_sync(&e->timer);
		tt_fw2_release(e);
	}
}

/*
 * From the module's exit, after the close() hook is gone.  Every promised
 * orphan is left to keep its promise alone, then the hooks go; after
 * them nothing adds entries but the abort's last check: closed to it
 * first.  Every timer is stopped or waited for.
 */
void tt_fin_wait2_exit(void)
{
	unsigned long flags;

	/* close() is no longer hooked: no new promise; keep the old ones. */
	tt_fw2_promises_keep();
	tt_probe_set_unregister(&tt_fw2_idle_set);
	tt_probe_set_unregister(&tt_fw2_orphan_set);
	spin_lock_irqsave(&tt_fw2_lock, flags);
	tt_fw2_closed = true;
	spin_unlock_irqrestore(&tt_fw2_lock, flags);
	tt_fw2_release_net(NULL);
}

static struct tt_probe_set *const tt_fin_wait2_sets[] = {
	&tt_fw2_orphan_set,
	&tt_fw2_idle_set,
};

const struct tt_policy tt_fin_wait2_policy = {
	.name = "fin_wait2",
	.init = tt_fin_wait2_init,
	.exit = tt_fin_wait2_exit,
	.sets = tt_fin_wait2_sets,
	.nr_sets = ARRAY_SIZE(tt_fin_wait2_sets),
};
