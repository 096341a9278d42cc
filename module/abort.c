// SPDX-License-Identifier: GPL-2.0
/*
 * tcp_teardown: aborting a connection from process context, for the
 * policies.
 *
 * A policy decides in softirq or in a timer that a connection must end
 * with a RST (data after SHUT_RD, a half-closed socket idle too long);
 * tcp_abort() sleeps, so the abort is queued and done from a workqueue.
 * The request counts in the socket's namespace when, and only when, the
 * abort really happened, which is why this service lives beside the
 * policies and not in the hook layer (hook.c knows no namespaces).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hashtable.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "tcp_teardown.h"
#include "trace.h"

static struct workqueue_struct *tt_wq;

/*
 * One request per socket at most: a flood of segments that each call
 * for the same abort (data after SHUT_RD) allocates and queues one
 * request, found here by socket until its work starts.
 */
struct tt_abort {
	struct work_struct work;
	struct hlist_node node;		/* in tt_abort_hash until the work runs */
	struct sock *sk;		/* a reference is held */
	int err;
	enum tt_counter_id counter;
	bool (*still)(struct sock *sk);	/* NULL: abort unconditionally */
};

#define TT_ABORT_HASH_BITS 8
static DEFINE_HASHTABLE(tt_abort_hash, TT_ABORT_HASH_BITS);
static DEFINE_SPINLOCK(tt_abort_lock);	/* the table and requests in it */

static struct tt_abort *tt_abort_find(const struct sock *sk)
{
	struct tt_abort *a;

	lockdep_assert_held(&tt_abort_lock);
	hash_for_each_possible(tt_abort_hash, a, node, (unsigned long)sk)
		if (a->sk == sk)
			return a;
	return NULL;
}

/* The event of the decision that @counter counts. */
static void tt_abort_trace(struct sock *sk, enum tt_counter_id counter,
			   int err)
{
	switch (counter) {
	case TT_STAT_hd_shut_rd_rst:
		trace_hd_shut_rd_rst(sk, err);
		break;
	case TT_STAT_fw2_idle_aborts:
		trace_fw2_idle_abort(sk, err);
		break;
	default:
		break;
	}
}

static void tt_abort_work(struct work_struct *work)
{
	struct tt_abort *a = container_of(work, struct tt_abort, work);
	bool (*still)(struct sock *sk);
	struct sock *sk = a->sk;
	enum tt_counter_id counter;
	unsigned long flags;
	struct tt_net *tn;
	bool go;
	int err;

	/*
	 * A request with a check leaves the table now: one made after the
	 * check must be decided anew.  One without stays until the socket
	 * is aborted: what comes meanwhile is merged into it.
	 */
	spin_lock_irqsave(&tt_abort_lock, flags);
	still = a->still;
	if (still)
		hash_del(&a->node);
	err = a->err;
	counter = a->counter;
	spin_unlock_irqrestore(&tt_abort_lock, flags);

	/*
	 * The decision was taken without the socket lock, a while ago:
	 * take it again with the lock, so that what the socket heard since
	 * counts.  tcp_abort() takes the lock itself: only a segment that
	 * arrives while the check runs (release_sock() processes it) or in
	 * the instant before tcp_abort() takes the lock again goes unseen.
	 */
	lock_sock(sk);
	go = sk->sk_state != TCP_CLOSE && (!still || still(sk));
	release_sock(sk);

	/* tcp_abort() says -ENOENT when the socket is closed already. */
	if (go && !tcp_abort(sk, err)) {
		tn = tt_net(sock_net(sk));
		if (tt_net_live(tn)) {
			tt_count(tn, counter);
			tt_abort_trace(sk, counter, err);
		}
	}
	if (!still) {
		spin_lock_irqsave(&tt_abort_lock, flags);
		hash_del(&a->node);
		spin_unlock_irqrestore(&tt_abort_lock, flags);
	}
	sock_put(sk);
	kfree(a);
}

/**
 * tt_abort_later_if() - abort a TCP connection soon, if still called for
 * @sk: the socket; a reference is taken until the abort is done
 * @err: what the application will read (ECONNRESET, ETIMEDOUT)
 * @counter: counted in @sk's namespace when the abort happens
 * @still: NULL, or called with @sk locked in process context just before
 *	the abort: false spares the socket (it may re-arm what decided)
 *
 * tcp_abort() sends a RST where the state calls for one, reports @err and
 * closes the socket.  Callable from any context that holds @sk.  At most
 * one request per socket is pending: a further one before its work starts
 * is merged into it (an unconditional one wins over a conditional one),
 * and so is any while an unconditional one runs.
 *
 * Return: false if no memory was left to queue the request.
 */
bool tt_abort_later_if(struct sock *sk, int err, enum tt_counter_id counter,
		       bool (*still)(struct sock *sk))
{
	unsigned long flags;
	struct tt_abort *a;

	spin_lock_irqsave(&tt_abort_lock, flags);
	a = tt_abort_find(sk);
	if (a) {
		/* Not started yet: a running one has no check. */
		if (a->still && !still) {
			a->still = NULL;
			a->err = err;
			a->counter = counter;
		}
		spin_unlock_irqrestore(&tt_abort_lock, flags);
		return true;
	}
	a = kmalloc(sizeof(*a), GFP_ATOMIC);
	if (!a) {
		spin_unlock_irqrestore(&tt_abort_lock, flags);
		return false;
	}
	INIT_WORK(&a->work, tt_abort_work);
	sock_hold(sk);
	a->sk = sk;
	a->err = err;
	a->counter = counter;
	a->still = still;
	hash_add(tt_abort_hash, &a->node, (unsigned long)sk);
	queue_work(tt_wq, &a->work);
	spin_unlock_irqrestore(&tt_abort_lock, flags);
	return true;
}

/**
 * tt_abort_later() - abort a TCP connection soon, from process context
 * @sk: the socket; a reference is taken until the abort is done
 * @err: what the application will read (ECONNRESET, ETIMEDOUT)
 * @counter: counted in @sk's namespace when the abort happens
 *
 * tt_abort_later_if() without a last check.
 *
 * Return: false if no memory was left to queue the request.
 */
bool tt_abort_later(struct sock *sk, int err, enum tt_counter_id counter)
{
	return tt_abort_later_if(sk, err, counter, NULL);
}

int tt_abort_init(void)
{
	/* Unbound: no CPU affinity needed; 7.3 warns without a choice. */
	tt_wq = alloc_workqueue("tcp_teardown", WQ_UNBOUND, 0);
	return tt_wq ? 0 : -ENOMEM;
}

/* At unload, after every hook and timer is gone: finish what is queued. */
void tt_abort_exit(void)
{
	destroy_workqueue(tt_wq);
}
