/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcp_teardown: declarations shared by the control plane and the policies.
 *
 * Every tunable is one line of knob_table.h and every counter one line
 * of counter_table.h.  The control plane (control.c) turns each knob row into a
 * per-netns sysctl, a file under /sys/kernel/tcp_teardown/ for the initial
 * namespace and a module parameter that sets the load-time default; and
 * each counter row into a line of /proc/net/tcp_teardown (per namespace)
 * and a file under /sys/kernel/tcp_teardown/stats/ (all namespaces).
 * A policy adds rows here and never touches the plumbing.
 */
#ifndef _TCP_TEARDOWN_H
#define _TCP_TEARDOWN_H

#include <linux/percpu.h>
#include <linux/types.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "hook.h"

#define TCP_TEARDOWN_VERSION "0.1.0"

#define TT_KNOB(name, min, max, def) TT_KNOB_##name,
enum tt_knob_id {
#include "knob_table.h"
	TT_NR_KNOBS
};

#undef TT_KNOB

#define TT_COUNTER(name, desc) TT_STAT_##name,
enum tt_counter_id {
#include "counter_table.h"
	TT_NR_COUNTERS
};

#undef TT_COUNTER

struct tt_stats {
	u64 val[TT_NR_COUNTERS];
};

/*
 * Per network namespace state, found with net_generic().  The core
 * allocates it zeroed before our pernet init runs and frees it after every
 * pernet exit has run, so hooks may always look at it; @live says whether
 * @stats may be used (set last in init, cleared first in exit).
 */
struct tt_net {
	bool live;
	unsigned long sets_used;	/* bit n: uses the set of id n */
	int knob[TT_NR_KNOBS];
	struct tt_stats __percpu *stats;
	struct net *net;
	struct ctl_table_header *sysctl_hdr;
	struct ctl_table *sysctl_table;
};

extern unsigned int tt_net_id;
extern struct tt_stats __percpu *tt_global_stats;

struct sock;

/**
 * struct tt_policy - one row of the policy table that main.c keeps
 * @name: how the host names the policy (userns_policies)
 * @init: registers the policy's sets and probes; 0 or an error
 * @exit: undoes @init; returns once none of its handlers runs any more
 * @net_exit: optional, a namespace goes away (before TCP's own exit)
 * @sets: every probe set of the policy
 * @nr_sets: how many
 *
 * The control plane and the module's setup walk the table and never name
 * a policy: a policy is its own file and one row.  Its @sets are the
 * ones a namespace owned by another user namespace may newly need only
 * if the host allowed the policy there.
 */
struct tt_policy {
	const char *name;
	int (*init)(void);
	void (*exit)(void);
	void (*net_exit)(struct net *net);
	struct tt_probe_set *const *sets;
	unsigned int nr_sets;
};

extern const struct tt_policy *const tt_policies[];
extern const unsigned int tt_nr_policies;

/* Every set of every policy, listed in its policy's row. */
extern struct tt_probe_set tt_close_set;
extern struct tt_probe_set tt_hd_after_close_set;
extern struct tt_probe_set tt_hd_strict_set;
extern struct tt_probe_set tt_fw2_orphan_set;
extern struct tt_probe_set tt_fw2_idle_set;
extern struct tt_probe_set tt_tw_isn_set;
extern struct tt_probe_set tt_tw_length_set;
extern struct tt_probe_set tt_tw_restore_set;

int tt_control_init(void);
void tt_control_exit(void);

/* abort.c: shared by the policies (the hook layer's are in hook.h) */
int tt_abort_init(void);
void tt_abort_exit(void);
bool tt_abort_later(struct sock *sk, int err, enum tt_counter_id counter);
bool tt_abort_later_if(struct sock *sk, int err, enum tt_counter_id counter,
		       bool (*still)(struct sock *sk));

/* half_duplex.c */
extern const struct tt_policy tt_half_duplex_policy;
int tt_half_duplex_init(void);
void tt_half_duplex_exit(void);
bool tt_half_duplex_wants_close(const struct tt_net *tn);
void tt_half_duplex_close(struct tt_net *tn, struct sock *sk);

/* time_wait.c */
extern const struct tt_policy tt_time_wait_policy;
int tt_time_wait_init(void);
void tt_time_wait_exit(void);
void tt_time_wait_net_exit(struct net *net);

/* fin_wait2.c */
extern const struct tt_policy tt_fin_wait2_policy;
int tt_fin_wait2_init(void);
void tt_fin_wait2_exit(void);
bool tt_fin_wait2_wants_close(const struct tt_net *tn);
void tt_fin_wait2_close(struct tt_net *tn, struct sock *sk);

static inline struct tt_net *tt_net(const struct net *net)
{
	return net_generic(net, tt_net_id);
}

static inline int tt_knob(const struct tt_net *tn, enum tt_knob_id id)
{
	return READ_ONCE(tn->knob[id]);
}

/* May @tn's counters be used?  NULL-safe. */
static inline bool tt_net_live(const struct tt_net *tn)
{
	/* Pairs with smp_store_release() in tt_net_init(). */
	return tn && smp_load_acquire(&tn->live);
}

/*
 * The tt_net of @net if the module may take decisions there, else NULL.
 * Hooks fire for every namespace, including one being dismantled: TCP's
 * own pernet exit closes sockets after ours has run.
 */
static inline struct tt_net *tt_net_enabled(const struct net *net)
{
	struct tt_net *tn = tt_net(net);

	if (!tt_net_live(tn) || !tt_knob(tn, TT_KNOB_enabled))
		return NULL;
	return tn;
}

/* Count one event in @tn's namespace and in the global view. */
static inline void tt_count(struct tt_net *tn, enum tt_counter_id id)
{
	this_cpu_inc(tn->stats->val[id]);
	this_cpu_inc(tt_global_stats->val[id]);
}

static inline void tt_count_add(struct tt_net *tn, enum tt_counter_id id,
				u64 n)
{
	this_cpu_add(tn->stats->val[id], n);
	this_cpu_add(tt_global_stats->val[id], n);
}

#endif /* _TCP_TEARDOWN_H */
