// SPDX-License-Identifier: GPL-2.0
/*
 * tcp_teardown: alternate, per network namespace, TCP connection-teardown
 * policies after RFC 1122 section 4.2.2.13 ("Closing a Connection").
 *
 * The module changes nothing until an administrator turns a knob: every
 * default reproduces the stock kernel.  It reaches the TCP close path
 * through kprobes only, because the functions involved are neither
 * exported nor stable across the supported kernels, and because a probe
 * can be removed at any time: unloading leaves every socket to the stock
 * code, whatever state it is in.
 *
 * Every probe sits on a function entry, where x86 kprobes go through
 * ftrace and their handlers run in the probed function's own context
 * (softirq or process, preemption off).  A probe elsewhere would be an
 * int3 trap, whose handler runs like an NMI: no freeing, no locks.
 * tt_register_probes() refuses such a probe rather than risk it.
 * Handlers never re-enable bottom halves (no spin_unlock_bh()): that would
 * run pending softirqs inside the handler, where every probe hit of the
 * packets they carry is dropped as a recursion.
 *
 * A probe costs a few hundred nanoseconds per hit even when its handler
 * finds nothing to do, so probes on busy paths belong to a tt_probe_set,
 * armed only while some namespace asks for their policy.
 *
 * This file ties the pieces together, owns the probe on tcp_close() that
 * counts application closes, and aborts connections from process context
 * for the policies (tcp_abort() sleeps; the decision is taken in softirq).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/ptrace.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "tcp_teardown.h"

/* ---- probes ---- */

int tt_register_probes(struct kprobe **probes, unsigned int n)
{
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		err = register_kprobe(probes[i]);
		if (err) {
			pr_err("cannot probe %s: %d\n", probes[i]->symbol_name,
			       err);
			goto err_unregister;
		}
		if (!(probes[i]->flags & KPROBE_FLAG_FTRACE)) {
			pr_err("probe on %s is not ftrace-based: refusing\n",
			       probes[i]->symbol_name);
			unregister_kprobe(probes[i]);
			err = -EOPNOTSUPP;
			goto err_unregister;
		}
	}
	return 0;

err_unregister:
	tt_unregister_probes(probes, i);
	return err;
}

/* The same for a kretprobe: its entry is a kprobe like the others. */
int tt_register_kretprobe(struct kretprobe *rp)
{
	int err = register_kretprobe(rp);

	if (err) {
		pr_err("cannot probe %s: %d\n", rp->kp.symbol_name, err);
		return err;
	}
	if (!(rp->kp.flags & KPROBE_FLAG_FTRACE)) {
		pr_err("probe on %s is not ftrace-based: refusing\n",
		       rp->kp.symbol_name);
		unregister_kretprobe(rp);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Returns once no handler of these probes runs any more. */
void tt_unregister_probes(struct kprobe **probes, unsigned int n)
{
	unregister_kprobes(probes, n);
}

/**
 * tt_probe_set_register() - register a set of probes, disarmed
 * @set: probes with KPROBE_FLAG_DISABLED set, and their lock
 *
 * They are armed once tt_probe_set_use() has counted a user, or at once
 * if users were counted before registration (namespaces set up at load).
 */
int tt_probe_set_register(struct tt_probe_set *set)
{
	int err = tt_register_probes(set->probes, set->nr);

	if (err)
		return err;
	mutex_lock(&set->lock);
	set->registered = true;
	tt_probe_set_sync(set);
	mutex_unlock(&set->lock);
	return 0;
}

void tt_probe_set_unregister(struct tt_probe_set *set)
{
	mutex_lock(&set->lock);
	set->registered = false;
	mutex_unlock(&set->lock);
	tt_unregister_probes(set->probes, set->nr);
}

/* Arm or disarm to match the users; called with set->lock held. */
void tt_probe_set_sync(struct tt_probe_set *set)
{
	bool want = set->users > 0;
	unsigned int i;

	lockdep_assert_held(&set->lock);
	if (!set->registered || set->armed == want)
		return;
	for (i = 0; i < set->nr; i++) {
		if (want)
			enable_kprobe(set->probes[i]);
		else
			disable_kprobe(set->probes[i]);
	}
	set->armed = want;
}

/**
 * tt_probe_set_use() - one namespace more or less needs @set armed
 * @set: the probe set
 * @delta: +1, -1, or 0 for no change; process context
 */
void tt_probe_set_use(struct tt_probe_set *set, int delta)
{
	if (!delta)
		return;
	mutex_lock(&set->lock);
	set->users += delta;
	tt_probe_set_sync(set);
	mutex_unlock(&set->lock);
}

/* tcp_close(struct sock *sk, long timeout) */
static int tt_tcp_close_entry(struct kprobe *p, struct pt_regs *regs)
{
	struct sock *sk = (struct sock *)regs_get_kernel_argument(regs, 0);
	struct tt_net *tn = tt_net_enabled(sock_net(sk));

	if (tn)
		tt_count(tn, TT_STAT_close_calls);
	return 0;
}

static struct kprobe tt_tcp_close_probe = {
	.symbol_name = "tcp_close",
	.pre_handler = tt_tcp_close_entry,
};

static struct kprobe *tt_main_probes[] = {
	&tt_tcp_close_probe,
};

/* ---- aborting a connection from process context ---- */

static struct workqueue_struct *tt_wq;

struct tt_abort {
	struct work_struct work;
	struct sock *sk;
	int err;
	enum tt_counter_id counter;
};

static void tt_abort_work(struct work_struct *work)
{
	struct tt_abort *a = container_of(work, struct tt_abort, work);
	struct sock *sk = a->sk;
	struct tt_net *tn;

	/* A second request for the same socket finds it closed already. */
	if (READ_ONCE(sk->sk_state) != TCP_CLOSE) {
		tcp_abort(sk, a->err);
		tn = tt_net(sock_net(sk));
		if (tt_net_live(tn))
			tt_count(tn, a->counter);
	}
	sock_put(sk);
	kfree(a);
}

/**
 * tt_abort_later() - abort a TCP connection soon, from process context
 * @sk: the socket; a reference is taken until the abort is done
 * @err: what the application will read (ECONNRESET, ETIMEDOUT)
 * @counter: counted in @sk's namespace when the abort happens
 *
 * tcp_abort() sends a RST where the state calls for one, reports @err and
 * closes the socket.  Callable from any context that holds @sk.
 *
 * Return: false if no memory was left to queue the request.
 */
bool tt_abort_later(struct sock *sk, int err, enum tt_counter_id counter)
{
	struct tt_abort *a = kmalloc(sizeof(*a), GFP_ATOMIC);

	if (!a)
		return false;
	INIT_WORK(&a->work, tt_abort_work);
	sock_hold(sk);
	a->sk = sk;
	a->err = err;
	a->counter = counter;
	queue_work(tt_wq, &a->work);
	return true;
}

/* ---- knob changes ---- */

/* Called from process context whenever a namespace's knob changes value. */
void tt_knob_changed(struct tt_net *tn, unsigned int id, int old, int new)
{
	switch (id) {
	case TT_KNOB_half_duplex_close:
		tt_half_duplex_mode_changed(old, new);
		break;
	case TT_KNOB_fin_wait2_idle_ms:
		tt_fin_wait2_idle_changed(old, new);
		break;
	case TT_KNOB_time_wait_ms:
	case TT_KNOB_tw_restore:
		tt_time_wait_knob_changed(id, old, new);
		break;
	default:
		break;
	}
}

/* ---- module ---- */

static int __init tcp_teardown_init(void)
{
	int err;

	tt_wq = alloc_workqueue("tcp_teardown", 0, 0);
	if (!tt_wq)
		return -ENOMEM;

	err = tt_control_init();
	if (err)
		goto err_wq;

	err = tt_register_probes(tt_main_probes, ARRAY_SIZE(tt_main_probes));
	if (err)
		goto err_control;

	err = tt_half_duplex_init();
	if (err)
		goto err_main_probes;

	err = tt_time_wait_init();
	if (err)
		goto err_half_duplex;

	err = tt_fin_wait2_init();
	if (err)
		goto err_time_wait;

	pr_info("version %s loaded\n", TCP_TEARDOWN_VERSION);
	return 0;

err_time_wait:
	tt_time_wait_exit();
err_half_duplex:
	tt_half_duplex_exit();
err_main_probes:
	tt_unregister_probes(tt_main_probes, ARRAY_SIZE(tt_main_probes));
err_control:
	tt_control_exit();
err_wq:
	destroy_workqueue(tt_wq);
	return err;
}

static void __exit tcp_teardown_exit(void)
{
	tt_fin_wait2_exit();
	tt_time_wait_exit();
	tt_half_duplex_exit();
	tt_unregister_probes(tt_main_probes, ARRAY_SIZE(tt_main_probes));
	/* No probe or timer queues work any more: finish what is queued. */
	destroy_workqueue(tt_wq);
	tt_control_exit();
	pr_info("unloaded\n");
}

module_init(tcp_teardown_init);
module_exit(tcp_teardown_exit);

MODULE_DESCRIPTION("Per-netns TCP connection-teardown policies (RFC 1122 4.2.2.13)");
MODULE_AUTHOR("The tcp_teardown developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(TCP_TEARDOWN_VERSION);
