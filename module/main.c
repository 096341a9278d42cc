// SPDX-License-Identifier: GPL-2.0
/*
 * tcp_teardown: alternate, per network namespace, TCP connection-teardown
 * policies after RFC 1122 section 4.2.2.13 ("Closing a Connection").
 *
 * The module changes nothing until an administrator turns a knob: every
 * default reproduces the stock kernel.  It reaches the TCP close path
 * through ftrace hooks on function entries (and two kprobes where a hook
 * must return early), because the functions involved are neither
 * exported nor stable across the supported kernels, and because a hook
 * can be removed at any time: unloading leaves every socket to the stock
 * code, whatever state it is in.
 *
 * A hook is an ftrace_ops of its own on one function (struct tt_hook):
 * the function's first instruction calls a trampoline that saves the
 * argument registers and calls tt_hook_call(), which calls the policy.
 * Hooks run in the hooked function's own context (softirq or process)
 * with preemption off, like the kprobes do: every kprobe sits on a
 * function entry, where x86 kprobes go through ftrace too.  A kprobe
 * elsewhere would be an int3 trap, whose handler runs like an NMI: no
 * freeing, no locks; tt_register_probes() refuses one.  Neither ever
 * re-enables bottom halves (no spin_unlock_bh()): that would run pending
 * softirqs inside the hook, where every hit of the packets they carry
 * is dropped as a recursion.
 *
 * A hook costs something per hit even when it finds nothing to do, so
 * every hook that fires once per connection or more belongs to a
 * tt_probe_set, armed only while some namespace has switched on the
 * policy that needs it.  With the defaults, no such hook is armed (but
 * for the TIME-WAIT ISN rule on kernels that need it), and the policies'
 * counters stay still: the kernel's own MIB counters tell what the stock
 * code did.
 *
 * This file ties the pieces together, owns the one hook on close() that
 * the policies share, and aborts connections from process context for
 * the policies (tcp_abort() sleeps; the decision is taken in softirq).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/hashtable.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/ptrace.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/tracepoint.h>
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

/* ---- hooks ---- */

/* Every hook's ftrace callback, straight from its trampoline. */
static void notrace tt_hook_call(unsigned long ip, unsigned long parent_ip,
				 struct ftrace_ops *ops,
				 struct ftrace_regs *fregs)
{
	struct tt_hook *hook = container_of(ops, struct tt_hook, ops);
	int bit;

	/*
	 * The trampoline calls us with preemption on where the function
	 * runs with it on (close() does).  The trylock turns it off, which
	 * the hooks' RCU-protected lookups (net_generic()) need, and keeps
	 * a hook from running inside itself.
	 */
	bit = ftrace_test_recursion_trylock(ip, parent_ip);
	if (bit < 0)
		return;
	hook->entry(fregs);
	ftrace_test_recursion_unlock(bit);
}

/* Point each hook's ftrace_ops at its function; nothing is armed yet. */
static int tt_prepare_hooks(struct tt_hook **hooks, unsigned int n)
{
	char name[64];
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		/* ftrace parses the name in place: hand it a copy. */
		err = strscpy(name, hooks[i]->symbol, sizeof(name));
		if (err > 0) {
			hooks[i]->ops.func = tt_hook_call;
			err = ftrace_set_filter(&hooks[i]->ops,
						(unsigned char *)name, err, 1);
		}
		if (err) {
			pr_err("cannot hook %s: %d\n", hooks[i]->symbol, err);
			goto err_free;
		}
	}
	return 0;

err_free:
	while (i--)
		ftrace_free_filter(&hooks[i]->ops);
	return err;
}

static bool tt_hook_armed(struct tt_hook *hook)
{
	return hook->ops.flags & FTRACE_OPS_FL_ENABLED;
}

/*
 * Disarming waits until no CPU is in the hook's trampoline (ftrace waits
 * for an RCU-tasks grace period), so a returning call leaves no hook
 * running.
 */
static void tt_arm_hook(struct tt_hook *hook, bool arm)
{
	int err;

	if (arm == tt_hook_armed(hook))
		return;
	if (!arm) {
		unregister_ftrace_function(&hook->ops);
		return;
	}
	err = register_ftrace_function(&hook->ops);
	if (err)
		pr_warn("cannot arm the hook on %s: %d\n", hook->symbol, err);
}

/* ---- probe sets: armed while some namespace needs them ---- */

static struct tt_probe_set *const tt_probe_sets[] = {
	&tt_close_set,
	&tt_hd_after_close_set,
	&tt_hd_strict_set,
	&tt_fw2_orphan_set,
	&tt_fw2_idle_set,
	&tt_tw_isn_set,
	&tt_tw_length_set,
	&tt_tw_restore_set,
};

static_assert(ARRAY_SIZE(tt_probe_sets) <= BITS_PER_LONG);

struct tt_tp_lookup {
	const char *name;
	struct tracepoint *tp;
};

static void tt_tp_match(struct tracepoint *tp, void *priv)
{
	struct tt_tp_lookup *l = priv;

	if (!strcmp(tp->name, l->name))
		l->tp = tp;
}

/* Arm or disarm to match the users; called with set->lock held. */
static void tt_probe_set_sync(struct tt_probe_set *set)
{
	bool want = set->users > 0;
	unsigned int i;
	int err;

	lockdep_assert_held(&set->lock);
	if (!set->registered || set->armed == want)
		return;
	for (i = 0; i < set->nr_hooks; i++)
		tt_arm_hook(set->hooks[i], want);
	for (i = 0; i < set->nr; i++) {
		if (want)
			enable_kprobe(set->probes[i]);
		else
			disable_kprobe(set->probes[i]);
	}
	if (set->tp && want) {
		err = tracepoint_probe_register(set->tp, set->tp_probe, NULL);
		if (err)
			pr_warn("%s: cannot attach to tracepoint %s: %d\n",
				set->name, set->tp_name, err);
		set->tp_attached = !err;
	} else if (set->tp_attached) {
		tracepoint_probe_unregister(set->tp, set->tp_probe, NULL);
		set->tp_attached = false;
	}
	/* Read without the lock by policies, see ->stopped. */
	WRITE_ONCE(set->armed, want);
}

/**
 * tt_probe_set_register() - register a set of hooks and probes, disarmed
 * @set: the set; its probes are registered disabled
 *
 * They are armed at once if namespaces counted as users before the
 * registration (those set up at load), later by tt_probe_sets_update().
 *
 * Return: 0, or the error of the hook, probe or tracepoint that failed.
 */
int tt_probe_set_register(struct tt_probe_set *set)
{
	struct tt_tp_lookup l = { .name = set->tp_name };
	unsigned int i;
	int err;

	if (set->tp_name) {
		for_each_kernel_tracepoint(tt_tp_match, &l);
		if (!l.tp) {
			pr_err("%s: no tracepoint %s\n", set->name, set->tp_name);
			return -ENOENT;
		}
		set->tp = l.tp;
	}
	err = tt_prepare_hooks(set->hooks, set->nr_hooks);
	if (err)
		return err;
	for (i = 0; i < set->nr; i++)
		set->probes[i]->flags |= KPROBE_FLAG_DISABLED;
	err = tt_register_probes(set->probes, set->nr);
	if (err) {
		for (i = 0; i < set->nr_hooks; i++)
			ftrace_free_filter(&set->hooks[i]->ops);
		return err;
	}
	mutex_lock(&set->lock);
	set->registered = true;
	tt_probe_set_sync(set);
	mutex_unlock(&set->lock);
	return 0;
}

/* Returns once no handler of the set runs any more. */
void tt_probe_set_unregister(struct tt_probe_set *set)
{
	unsigned int i;

	mutex_lock(&set->lock);
	if (set->tp_attached) {
		tracepoint_probe_unregister(set->tp, set->tp_probe, NULL);
		set->tp_attached = false;
	}
	for (i = 0; i < set->nr_hooks; i++) {
		tt_arm_hook(set->hooks[i], false);
		ftrace_free_filter(&set->hooks[i]->ops);
	}
	set->registered = false;
	set->armed = false;
	mutex_unlock(&set->lock);
	tt_unregister_probes(set->probes, set->nr);
	if (set->tp)
		tracepoint_synchronize_unregister();
}

/**
 * tt_probe_sets_update() - count @tn as a user of the sets it needs now
 * @tn: the namespace, after a knob changed or as it comes or goes
 * @live: false when the namespace goes away: it needs nothing any more
 *
 * Process context.  Each set's lock orders concurrent writers of one
 * namespace's knobs: the last to get there sees the final values.
 */
void tt_probe_sets_update(struct tt_net *tn, bool live)
{
	struct tt_probe_set *set;
	unsigned int i;
	bool want;

	for (i = 0; i < ARRAY_SIZE(tt_probe_sets); i++) {
		set = tt_probe_sets[i];
		mutex_lock(&set->lock);
		want = live && set->wants(tn);
		if (want != test_bit(i, &tn->sets_used)) {
			change_bit(i, &tn->sets_used);
			/* Read without the lock by policies, see ->stopped. */
			WRITE_ONCE(set->users, set->users + (want ? 1 : -1));
			if (!want && set->stopped)
				set->stopped(set, tn);
			tt_probe_set_sync(set);
		}
		mutex_unlock(&set->lock);
	}
}

/* ---- close(): one hook for the policies that act at close ---- */

static bool tt_close_wants(const struct tt_net *tn)
{
	return tt_knob(tn, TT_KNOB_enabled) &&
	       (tt_half_duplex_wants_close(tn) || tt_fin_wait2_wants_close(tn));
}

/*
 * __tcp_close(struct sock *sk, long timeout): what close() does with the
 * socket lock held, before the socket is orphaned.
 */
static void tt_close_entry(struct ftrace_regs *fregs)
{
	struct sock *sk = (struct sock *)tt_hook_arg(fregs, 0);
	struct tt_net *tn = tt_net_enabled(sock_net(sk));

	if (!tn || !tt_close_wants(tn))
		return;
	tt_count(tn, TT_STAT_close_calls);
	tt_fin_wait2_close(tn, sk);
	tt_half_duplex_close(tn, sk);
}

static struct tt_hook tt_close_hook = {
	.symbol = "__tcp_close",
	.entry = tt_close_entry,
};

static struct tt_hook *tt_close_hooks[] = {
	&tt_close_hook,
};

struct tt_probe_set tt_close_set = {
	.name = "close",
	.hooks = tt_close_hooks,
	.nr_hooks = ARRAY_SIZE(tt_close_hooks),
	.wants = tt_close_wants,
	.lock = __MUTEX_INITIALIZER(tt_close_set.lock),
};

/* ---- aborting a connection from process context ---- */

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
		if (tt_net_live(tn))
			tt_count(tn, counter);
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

static int tt_abort_init(void)
{
	/* Unbound: no CPU affinity needed; 7.3 warns without a choice. */
	tt_wq = alloc_workqueue("tcp_teardown", WQ_UNBOUND, 0);
	return tt_wq ? 0 : -ENOMEM;
}

/* At unload, after every hook and timer is gone: finish what is queued. */
static void tt_abort_exit(void)
{
	destroy_workqueue(tt_wq);
}

/* ---- module ---- */

static int __init tcp_teardown_init(void)
{
	int err;

	err = tt_abort_init();
	if (err)
		return err;

	err = tt_control_init();
	if (err)
		goto err_wq;

	err = tt_half_duplex_init();
	if (err)
		goto err_control;

	err = tt_time_wait_init();
	if (err)
		goto err_half_duplex;

	err = tt_fin_wait2_init();
	if (err)
		goto err_time_wait;

	/* Last in, first out: it calls into the policies. */
	err = tt_probe_set_register(&tt_close_set);
	if (err)
		goto err_fin_wait2;

	pr_info("version %s loaded\n", TCP_TEARDOWN_VERSION);
	return 0;

err_fin_wait2:
	tt_fin_wait2_exit();
err_time_wait:
	tt_time_wait_exit();
err_half_duplex:
	tt_half_duplex_exit();
err_control:
	tt_control_exit();
err_wq:
	tt_abort_exit();
	return err;
}

static void __exit tcp_teardown_exit(void)
{
	tt_probe_set_unregister(&tt_close_set);
	tt_fin_wait2_exit();
	tt_time_wait_exit();
	tt_half_duplex_exit();
	tt_abort_exit();
	tt_control_exit();
	pr_info("unloaded\n");
}

module_init(tcp_teardown_init);
module_exit(tcp_teardown_exit);

MODULE_DESCRIPTION("Per-netns TCP connection-teardown policies (RFC 1122 4.2.2.13)");
MODULE_AUTHOR("The tcp_teardown developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(TCP_TEARDOWN_VERSION);
