// SPDX-License-Identifier: GPL-2.0
/*
 * tcp_teardown hook layer: hooks, kprobes, probe sets and their arming.
 *
 * A set's hooks share one ftrace_ops whose filter holds every function
 * of the set: the functions' ftrace call sites jump to one trampoline
 * that calls tt_set_call(), which finds the hook by the call site's
 * address.  Hooks run in the hooked function's own context (softirq or
 * process) with preemption off, like the kprobes do: every kprobe sits on
 * a function entry, where x86 kprobes go through ftrace too.  A kprobe
 * elsewhere would be an int3 trap, whose handler runs like an NMI: no
 * freeing, no locks; tt_register_probes() refuses one.  Neither ever
 * re-enables bottom halves (no spin_unlock_bh()): that would run pending
 * softirqs inside the hook, where every hit of the packets they carry is
 * dropped as a recursion.
 *
 * Arming a set registers its ftrace_ops (one text patch of each
 * function), disarming unregisters it and waits for an RCU-tasks grace
 * period: both are host-wide.  A user that the caller trusts (a namespace
 * of the host's) gets both at once.  For any other user, a set it leaves
 * unused is disarmed only after tt_disarm_delay of no use at all, and
 * arming is needed only after such a disarm: whatever it writes, such a
 * user causes at most one arm and one disarm of a set per delay.
 *
 * Nothing here calls up into the policies or the control plane, but
 * through the function pointers they registered.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/ftrace.h>
#include <linux/jiffies.h>
#include <linux/kprobes.h>
#include <linux/slab.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>

#include "hook.h"

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

/* The ftrace callback of every set, straight from the set's trampoline. */
static void notrace tt_set_call(unsigned long ip, unsigned long parent_ip,
				struct ftrace_ops *ops,
				struct ftrace_regs *fregs)
{
	struct tt_probe_set *set = container_of(ops, struct tt_probe_set, ops);
	unsigned int i;
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
	for (i = 0; i < set->nr_hooks; i++) {
		if (set->hooks[i]->ip == ip) {
			set->hooks[i]->entry(fregs);
			break;
		}
	}
	ftrace_test_recursion_unlock(bit);
}

/*
 * Find the ftrace call site of each hook's function.  Neither
 * kallsyms_lookup_name() nor ftrace's own lookup is exported; a kprobe
 * is, and an ftrace-based kprobe sits exactly on the call site (past an
 * IBT endbr64).  Registered disabled, it patches nothing; the batch costs
 * one RCU grace period.  Matching the names with ftrace_set_filter()
 * instead looks up the symbol of every ftrace record of the kernel, once
 * per function: most of what loading the module used to cost.
 */
static int tt_resolve_hooks(struct tt_probe_set *set)
{
	struct kprobe **kps, *kp;
	unsigned int i;
	int err;

	kps = kcalloc(set->nr_hooks, sizeof(*kps) + sizeof(*kp), GFP_KERNEL);
	if (!kps)
		return -ENOMEM;
	kp = (struct kprobe *)(kps + set->nr_hooks);
	for (i = 0; i < set->nr_hooks; i++) {
		kp[i].symbol_name = set->hooks[i]->symbol;
		kp[i].flags = KPROBE_FLAG_DISABLED;
		kps[i] = &kp[i];
	}
	err = tt_register_probes(kps, set->nr_hooks);
	if (err) {
		kfree(kps);
		return err;
	}
	for (i = 0; i < set->nr_hooks; i++)
		set->hooks[i]->ip = (unsigned long)kp[i].addr;
	tt_unregister_probes(kps, set->nr_hooks);
	kfree(kps);
	return 0;
}

/* Point the set's ftrace_ops at its functions; nothing is armed yet. */
static int tt_prepare_hooks(struct tt_probe_set *set)
{
	unsigned int i;
	int err;

	if (!set->nr_hooks)
		return 0;
	err = tt_resolve_hooks(set);
	if (err)
		return err;
	set->ops.func = tt_set_call;
	for (i = 0; i < set->nr_hooks; i++) {
		err = ftrace_set_filter_ip(&set->ops, set->hooks[i]->ip, 0, 0);
		if (err) {
			pr_err("cannot hook %s: %d\n", set->hooks[i]->symbol,
			       err);
			ftrace_free_filter(&set->ops);
			return err;
		}
	}
	return 0;
}

/* ---- probe sets: armed while some user needs them ---- */

static struct tt_probe_set *tt_sets[BITS_PER_LONG];
static unsigned int tt_nr_sets;

/* Disarm operations are delayed by this much for untrusted users. */
static unsigned long tt_disarm_delay = 10 * HZ;
static atomic_long_t tt_arms = ATOMIC_LONG_INIT(0);
static atomic_long_t tt_disarms = ATOMIC_LONG_INIT(0);

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

/*
 * Arm or disarm as a whole.  Disarming waits until no CPU is in the set's
 * trampoline (ftrace waits for an RCU-tasks grace period), so a returning
 * call leaves no hook running.  Called with set->lock held.
 */
static void tt_probe_set_arm(struct tt_probe_set *set, bool arm)
{
	unsigned int i;
	int err;

	lockdep_assert_held(&set->lock);
	if (set->armed == arm)
		return;
	/* A failed registration leaves the ops alone on disarm. */
	if (set->nr_hooks &&
	    arm != !!(set->ops.flags & FTRACE_OPS_FL_ENABLED)) {
		err = arm ? register_ftrace_function(&set->ops) :
			    unregister_ftrace_function(&set->ops);
		if (err)
			pr_warn("%s: cannot %s the hooks: %d\n", set->name,
				arm ? "arm" : "disarm", err);
	}
	for (i = 0; i < set->nr; i++) {
		if (arm)
			enable_kprobe(set->probes[i]);
		else
			disable_kprobe(set->probes[i]);
	}
	if (set->tp && arm) {
		err = tracepoint_probe_register(set->tp, set->tp_probe, NULL);
		if (err)
			pr_warn("%s: cannot attach to tracepoint %s: %d\n",
				set->name, set->tp_name, err);
		set->tp_attached = !err;
	} else if (set->tp_attached) {
		tracepoint_probe_unregister(set->tp, set->tp_probe, NULL);
		set->tp_attached = false;
	}
	WRITE_ONCE(set->armed, arm);
	atomic_long_inc(arm ? &tt_arms : &tt_disarms);
}

/*
 * Match the arming to the users; called with set->lock held.  @delay: the
 * set is left armed for tt_disarm_delay if it has just become unused.
 */
static void tt_probe_set_sync(struct tt_probe_set *set, bool delay)
{
	lockdep_assert_held(&set->lock);
	if (!set->registered)
		return;
	if (set->users) {
		/* A disarm still pending finds users: let it go early. */
		cancel_delayed_work(&set->disarm_work);
		tt_probe_set_arm(set, true);
	} else if (delay && set->armed) {
		/* An earlier deadline, if one is pending, stays. */
		schedule_delayed_work(&set->disarm_work,
				      READ_ONCE(tt_disarm_delay));
	} else {
		tt_probe_set_arm(set, false);
	}
}

static void tt_probe_set_disarm_work(struct work_struct *work)
{
	struct tt_probe_set *set = container_of(to_delayed_work(work),
						struct tt_probe_set,
						disarm_work);

	mutex_lock(&set->lock);
	tt_probe_set_sync(set, false);
	mutex_unlock(&set->lock);
}

/**
 * tt_probe_set_add() - make a set known before anything uses it
 * @set: the set, not yet registered
 *
 * Every set is added once, before the first tt_probe_sets_update(): users
 * are counted from then on, and tt_probe_set_register() arms the set if
 * it already has some.
 *
 * Return: 0, or -ENOSPC if a user's bitmap has no room left.
 */
int tt_probe_set_add(struct tt_probe_set *set)
{
	if (tt_nr_sets == ARRAY_SIZE(tt_sets))
		return -ENOSPC;
	INIT_DELAYED_WORK(&set->disarm_work, tt_probe_set_disarm_work);
	set->id = tt_nr_sets;
	tt_sets[tt_nr_sets++] = set;
	return 0;
}

/**
 * tt_probe_set_register() - register a set of hooks and probes, disarmed
 * @set: the set, added with tt_probe_set_add(); its probes are
 *	registered disabled
 *
 * It is armed at once if users counted before the registration (the
 * namespaces set up at load), later by tt_probe_sets_update().
 *
 * Return: 0, or the error of the hook, probe or tracepoint that failed.
 */
int tt_probe_set_register(struct tt_probe_set *set)
{
	struct tt_tp_lookup l = { .name = set->tp_name };
	unsigned int i;
	int err;

	if (WARN_ON(set->id >= tt_nr_sets || tt_sets[set->id] != set))
		return -EINVAL;
	if (set->tp_name) {
		for_each_kernel_tracepoint(tt_tp_match, &l);
		if (!l.tp) {
			pr_err("%s: no tracepoint %s\n", set->name, set->tp_name);
			return -ENOENT;
		}
		set->tp = l.tp;
	}
	err = tt_prepare_hooks(set);
	if (err)
		return err;
	for (i = 0; i < set->nr; i++)
		set->probes[i]->flags |= KPROBE_FLAG_DISABLED;
	err = tt_register_probes(set->probes, set->nr);
	if (err) {
		if (set->nr_hooks)
			ftrace_free_filter(&set->ops);
		return err;
	}
	mutex_lock(&set->lock);
	set->registered = true;
	tt_probe_set_sync(set, false);
	mutex_unlock(&set->lock);
	return 0;
}

/* Returns once no handler of the set runs any more. */
void tt_probe_set_unregister(struct tt_probe_set *set)
{
	mutex_lock(&set->lock);
	set->registered = false;
	mutex_unlock(&set->lock);
	/* The work takes the lock, and finds nothing to do any more. */
	cancel_delayed_work_sync(&set->disarm_work);

	mutex_lock(&set->lock);
	tt_probe_set_arm(set, false);
	if (set->nr_hooks)
		ftrace_free_filter(&set->ops);
	mutex_unlock(&set->lock);
	tt_unregister_probes(set->probes, set->nr);
	if (set->tp)
		tracepoint_synchronize_unregister();
}

/**
 * tt_probe_sets_update() - count @tn as a user of the sets it needs now
 * @tn: the user, after one of its knobs changed or as it comes or goes
 * @used: its bitmap of the sets it is counted as a user of
 * @delay_disarm: @tn is not trusted: a set it leaves unused stays armed
 *	for the disarm delay, in case it wants it again
 * @live: false when @tn goes away: it needs nothing any more
 *
 * Process context.  Each set's lock orders concurrent writers of one
 * user's knobs: the last to get there sees the final values.
 */
void tt_probe_sets_update(const struct tt_net *tn, unsigned long *used,
			  bool delay_disarm, bool live)
{
	struct tt_probe_set *set;
	unsigned int i;
	bool want;

	for (i = 0; i < tt_nr_sets; i++) {
		set = tt_sets[i];
		mutex_lock(&set->lock);
		want = live && set->wants(tn);
		if (want != test_bit(i, used)) {
			/* @tn starts or stops using @set: here and only here. */
			change_bit(i, used);
			WRITE_ONCE(set->users, set->users + (want ? 1 : -1));
			if (!want && set->stopped)
				set->stopped(set, tn);
			tt_probe_set_sync(set, delay_disarm);
		}
		mutex_unlock(&set->lock);
	}
}

/* How long an untrusted user's last use keeps a set armed. */
void tt_hooks_set_disarm_delay(unsigned int ms)
{
	WRITE_ONCE(tt_disarm_delay, msecs_to_jiffies(ms));
}

/* Arm and disarm operations of every set since load. */
unsigned long tt_hooks_arms(void)
{
	return atomic_long_read(&tt_arms);
}

unsigned long tt_hooks_disarms(void)
{
	return atomic_long_read(&tt_disarms);
}
