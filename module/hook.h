/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcp_teardown hook layer: the mechanism below the policies.
 *
 * A policy reaches a kernel function through a struct tt_hook (an ftrace
 * callback at the function's entry) or, where it must change the
 * instruction pointer, a kprobe.  Hooks and probes that fire once per
 * connection or more are grouped in a struct tt_probe_set: one ftrace_ops
 * for all of the set's functions, armed while some namespace uses the
 * set, so that arming or disarming a set is one ftrace registration and
 * one RCU-tasks grace period however many functions it hooks.
 *
 * This layer knows nothing of knobs, namespaces or policies: a "user" of
 * the sets is an opaque struct tt_net, asked through each set's ->wants(),
 * with a bitmap of the sets it uses kept by the caller.
 */
#ifndef _TT_HOOK_H
#define _TT_HOOK_H

#include <linux/ftrace.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct kprobe;
struct kretprobe;
struct tracepoint;
struct tt_net;

/**
 * struct tt_hook - a kernel function hooked at its entry through ftrace
 * @symbol: the function
 * @entry: called at each entry, with the function's arguments in @fregs
 *	(tt_hook_arg(), tt_hook_set_arg()); never recursively, with
 *	preemption disabled, in the function's own context
 * @ip: the function's ftrace call site, found when its set is registered:
 *	the set's callback dispatches on it
 *
 * The cheapest way into a function that is neither exported nor a
 * tracepoint: a kprobe on the same spot goes through ftrace too, but
 * saves every register and dispatches through the kprobe table (about
 * 160 instructions per hit against 40, measured in Documentation/
 * performance.rst).  Only a hook that must change the instruction
 * pointer needs a kprobe.
 */
struct tt_hook {
	const char *symbol;
	void (*entry)(struct ftrace_regs *fregs);
	unsigned long ip;
};

/**
 * struct tt_probe_set - hooks and probes armed only while used
 * @name: for messages
 * @hooks: the set's hooks, all behind @ops
 * @nr_hooks: how many
 * @probes: kprobes, only where the instruction pointer must change;
 *	registered disabled, enabled while the set is armed
 * @nr: how many
 * @wants: does this user need the set armed?  Called with its knobs as
 *	they are, or as a write would leave them
 * @stopped: optional: a user stopped needing the set (a knob changed, or
 *	the user goes away).  Process context, with @lock held, @users
 *	already without it and the set still armed: with @users at 0 it is
 *	disarmed next (at once, or after the disarm delay)
 * @tp_name: optional tracepoint, attached while armed ...
 * @tp_probe: ... and its probe function
 * @tp: the tracepoint, found at registration
 * @ops: one ftrace_ops filtering every function of @hooks
 * @disarm_work: disarms the set once unused for a while (delayed disarm)
 * @id: bit of the set in a user's bitmap, given by tt_probe_set_add()
 * @lock: guards the fields below
 * @users: users that need the set (read without @lock by a policy's
 *	handlers, hence written with WRITE_ONCE())
 * @registered: between tt_probe_set_register() and _unregister()
 * @armed: @ops registered, @probes enabled, @tp attached (like @users,
 *	readable without @lock)
 * @tp_attached: the tracepoint really is (attaching may fail)
 *
 * A hook costs something per hit even when it has nothing to do, so none
 * that fires once per connection or more stays armed for a policy that
 * no namespace has switched on.
 */
struct tt_probe_set {
	const char *name;
	struct tt_hook **hooks;
	unsigned int nr_hooks;
	struct kprobe **probes;
	unsigned int nr;
	bool (*wants)(const struct tt_net *tn);
	void (*stopped)(struct tt_probe_set *set, const struct tt_net *tn);
	const char *tp_name;
	void *tp_probe;
	struct tracepoint *tp;
	struct ftrace_ops ops;
	struct delayed_work disarm_work;
	unsigned int id;
	struct mutex lock;	/* guards the fields below */
	unsigned int users;
	bool registered;
	bool armed;
	bool tp_attached;
};

/* Probes outside a set, registered and unregistered by their owner. */
int tt_register_probes(struct kprobe **probes, unsigned int n);
void tt_unregister_probes(struct kprobe **probes, unsigned int n);
int tt_register_kretprobe(struct kretprobe *rp);

int tt_probe_set_add(struct tt_probe_set *set);
int tt_probe_set_register(struct tt_probe_set *set);
void tt_probe_set_unregister(struct tt_probe_set *set);
void tt_probe_sets_update(const struct tt_net *tn, unsigned long *used,
			  bool delay_disarm, bool live);
void tt_hooks_set_disarm_delay(unsigned int ms);
unsigned long tt_hooks_arms(void);
unsigned long tt_hooks_disarms(void);

#endif /* _TT_HOOK_H */
