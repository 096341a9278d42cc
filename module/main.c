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
 * The hooks, probes and their arming are the hook layer's (hook.c),
 * below every policy.  A hook costs something per hit even when it finds
 * nothing to do, so every hook that fires once per connection or more
 * belongs to a tt_probe_set, armed only while some namespace has switched
 * on the policy that needs it.  With the defaults, no such hook is armed
 * (but for the TIME-WAIT ISN rule on kernels that need it), and the
 * policies' counters stay still: the kernel's own MIB counters tell what
 * the stock code did.
 *
 * This file ties the pieces together through the policy table and owns
 * the one hook on close() that the policies share; abort.c aborts
 * connections from process context for the policies.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "tcp_teardown.h"

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

/* ---- the policies: one row each ---- */

const struct tt_policy *const tt_policies[] = {
	&tt_half_duplex_policy,
	&tt_time_wait_policy,
	&tt_fin_wait2_policy,
};

const unsigned int tt_nr_policies = ARRAY_SIZE(tt_policies);

/* ---- module ---- */

/* Every set known to the hook layer before any namespace is counted. */
static int tt_add_sets(void)
{
	const struct tt_policy *p;
	unsigned int i, j;
	int err;

	err = tt_probe_set_add(&tt_close_set);
	for (i = 0; !err && i < tt_nr_policies; i++) {
		p = tt_policies[i];
		for (j = 0; !err && j < p->nr_sets; j++)
			err = tt_probe_set_add(p->sets[j]);
	}
	return err;
}

static void tt_policies_exit(unsigned int n)
{
	while (n--)
		tt_policies[n]->exit();
}

static int __init tcp_teardown_init(void)
{
	unsigned int i;
	int err;

	err = tt_abort_init();
	if (err)
		return err;

	err = tt_add_sets();
	if (err)
		goto err_wq;

	err = tt_control_init();
	if (err)
		goto err_wq;

	for (i = 0; i < tt_nr_policies; i++) {
		err = tt_policies[i]->init();
		if (err)
			goto err_policies;
	}

	/* Last in, first out: it calls into the policies. */
	err = tt_probe_set_register(&tt_close_set);
	if (err)
		goto err_policies;

	pr_info("version %s loaded\n", TCP_TEARDOWN_VERSION);
	return 0;

err_policies:
	tt_policies_exit(i);
	tt_control_exit();
err_wq:
	tt_abort_exit();
	return err;
}

static void __exit tcp_teardown_exit(void)
{
	tt_probe_set_unregister(&tt_close_set);
	tt_policies_exit(tt_nr_policies);
	/* No hook or timer queues work any more: finish what is queued. */
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
