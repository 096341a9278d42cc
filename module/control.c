// SPDX-License-Identifier: GPL-2.0
/*
 * tcp_teardown control plane: knobs and counters, declared once in
 * tcp_teardown.h and exposed three ways.
 *
 *  - net.ipv4.tcp_teardown.<knob>: one value per network namespace.  A new
 *    namespace starts from the load-time default, not from its parent's
 *    current value, so that what a container sees does not depend on what
 *    the host did before the container was created.
 *  - /sys/kernel/tcp_teardown/<knob>: the initial namespace's values, the
 *    very same storage as its sysctls, for tools that do not enter a
 *    namespace; /sys/kernel/tcp_teardown/stats/<counter>: every counter
 *    summed over all namespaces, alive or gone.
 *  - /proc/net/stat/tcp_teardown: the same counters per CPU, in the
 *    format of the other files there, which lnstat(8) reads and sums.
 *  - module parameters: the load-time defaults, read-only afterwards.
 *
 * All three accept exactly one decimal integer within the knob's range,
 * optionally followed by a newline (kstrtoint()'s syntax, and no NUL
 * byte anywhere).  Anything else is -EINVAL and leaves the value alone.
 * Writes need CAP_NET_ADMIN in the user namespace that owns the network
 * namespace.
 *
 * Arming a hook patches kernel text for every namespace, which is the
 * host's decision: in a namespace owned by another user namespace than
 * the initial one, a write that would make the namespace need a probe set
 * it does not need yet is -EPERM, and leaves the value alone, unless the
 * host listed the set's policy in userns_policies (module parameter and
 * /sys/kernel/tcp_teardown/userns_policies, written with CAP_NET_ADMIN in
 * the initial user namespace only) or the writer holds that capability.
 * Sets such namespaces stop using are disarmed only after
 * userns_disarm_delay_ms (the hook layer's delayed disarm), which bounds
 * the rate of arming they can cause.  What the host's module parameters
 * make every namespace use is the host's decision too: allowed at
 * creation and afterwards.
 *
 * Counters are per-cpu so that counting costs one local increment.  Each
 * event bumps its namespace's copy and a global copy; the global one is
 * what sysfs shows, and it cannot go backwards when a namespace dies.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/capability.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "tcp_teardown.h"

struct tt_knob_desc {
	const char *name;
	int min;
	int max;
	int def;
};

#define TT_KNOB(_name, _min, _max, _def)				\
	[TT_KNOB_##_name] = {						\
		.name = #_name, .min = _min, .max = _max, .def = _def,	\
	},
static const struct tt_knob_desc tt_knob_desc[TT_NR_KNOBS] = {
#include "knob_table.h"
};

#undef TT_KNOB

#define TT_COUNTER(_name, _desc)					\
	[TT_STAT_##_name] = #_name,
static const char * const tt_counter_name[TT_NR_COUNTERS] = {
#include "counter_table.h"
};

#undef TT_COUNTER

unsigned int tt_net_id __read_mostly;
struct tt_stats __percpu *tt_global_stats __read_mostly;

/* Load-time defaults, set by module parameters, copied into new netns. */
#define TT_KNOB(_name, _min, _max, _def)				\
	[TT_KNOB_##_name] = _def,
static int tt_default[TT_NR_KNOBS] = {
#include "knob_table.h"
};

#undef TT_KNOB

/*
 * Parse @len bytes at @buf as a value for knob @id.  One shared parser
 * keeps the three interfaces from disagreeing about what is valid.
 */
static int tt_knob_parse(unsigned int id, const char *buf, size_t len,
			 int *out)
{
	const struct tt_knob_desc *d = &tt_knob_desc[id];
	char tmp[24];
	int val;

	/*
	 * A NUL inside the write would end the string early: "1\0junk"
	 * must not pass as "1".
	 */
	if (len == 0 || len >= sizeof(tmp) || memchr(buf, '\0', len))
		return -EINVAL;
	memcpy(tmp, buf, len);
	tmp[len] = '\0';
	/*
	 * kstrtoint(): an optional sign, decimal digits (leading zeros do
	 * not mean octal, "0x" is not hex), one optional trailing newline.
	 */
	if (kstrtoint(tmp, 10, &val))
		return -EINVAL;
	if (val < d->min || val > d->max)
		return -EINVAL;
	*out = val;
	return 0;
}

static u64 tt_stat_sum(struct tt_stats __percpu *stats, unsigned int id)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(stats, cpu)->val[id]);
	return sum;
}

/* Policies the host lets namespaces of other user namespaces arm. */
static unsigned long tt_userns_allowed;
/* Orders a write's permission check with other writes' stores. */
static DEFINE_MUTEX(tt_knob_lock);

/* Is @tn one of the host's namespaces, owned by the initial user ns? */
static bool tt_net_trusted(const struct tt_net *tn)
{
	return tn->net->user_ns == &init_user_ns;
}

/* Count @tn as a user of what it needs now (or of nothing: !@live). */
static void tt_net_update_sets(struct tt_net *tn, bool live)
{
	tt_probe_sets_update(tn, &tn->sets_used, !tt_net_trusted(tn), live);
}

/*
 * Would knob @id set to @val make @tn need a set that it does not need
 * now, of a policy that the host has not allowed?  A set that the
 * load-time defaults arm in every namespace is allowed: the host chose
 * it for all.  The sets' ->wants() look at knobs only: asking copies
 * never shows hooks a value that is about to be refused.
 */
static bool tt_knob_arms_forbidden(const struct tt_net *tn, unsigned int id,
				   int val)
{
	unsigned long allowed = READ_ONCE(tt_userns_allowed);
	const struct tt_policy *p;
	struct tt_probe_set *set;
	struct tt_net next, def;
	unsigned int i, j;

	lockdep_assert_held(&tt_knob_lock);
	next = *tn;
	next.knob[id] = val;
	def = *tn;
	memcpy(def.knob, tt_default, sizeof(def.knob));
	for (i = 0; i < tt_nr_policies; i++) {
		if (allowed & BIT(i))
			continue;
		p = tt_policies[i];
		for (j = 0; j < p->nr_sets; j++) {
			set = p->sets[j];
			if (!set->wants(tn) && set->wants(&next) &&
			    !set->wants(&def))
				return true;
		}
	}
	return false;
}

/*
 * Store a knob; the hook layer arms or disarms what the new value needs.
 * -EPERM if the host has not allowed what it would arm (see the top).
 */
static int tt_knob_set(struct tt_net *tn, unsigned int id, int val)
{
	bool changed;

	mutex_lock(&tt_knob_lock);
	if (!tt_net_trusted(tn) &&
	    !ns_capable_noaudit(&init_user_ns, CAP_NET_ADMIN) &&
	    tt_knob_arms_forbidden(tn, id, val)) {
		mutex_unlock(&tt_knob_lock);
		return -EPERM;
	}
	changed = xchg(&tn->knob[id], val) != val;
	mutex_unlock(&tt_knob_lock);
	if (changed)
		tt_net_update_sets(tn, true);
	return 0;
}

/* ---- which policies the host allows to other user namespaces ---- */

/*
 * Parse a list of policy names, separated by commas, spaces or a final
 * newline; an empty list allows none.  -EINVAL for an unknown name.
 */
static int tt_policies_parse(const char *buf, size_t len,
			     unsigned long *mask)
{
	char tmp[128], *cur, *tok;
	unsigned long m = 0;
	unsigned int i;

	if (len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, buf, len);
	tmp[len] = '\0';
	cur = tmp;
	while ((tok = strsep(&cur, "\n, "))) {
		if (!*tok)
			continue;
		for (i = 0; i < tt_nr_policies; i++)
			if (!strcmp(tok, tt_policies[i]->name))
				break;
		if (i == tt_nr_policies)
			return -EINVAL;
		m |= BIT(i);
	}
	*mask = m;
	return 0;
}

/* The names in @mask, comma separated, and a newline. */
static ssize_t tt_policies_show(char *buf, unsigned long mask)
{
	unsigned int i;
	int len = 0;

	for (i = 0; i < tt_nr_policies; i++)
		if (mask & BIT(i))
			len += sysfs_emit_at(buf, len, "%s%s", len ? "," : "",
					     tt_policies[i]->name);
	return len + sysfs_emit_at(buf, len, "\n");
}

/* ---- module parameters ---- */

static int tt_param_set(const char *val, const struct kernel_param *kp)
{
	const struct tt_knob_desc *d = kp->arg;
	unsigned int id = d - tt_knob_desc;

	if (!val)
		return -EINVAL;
	return tt_knob_parse(id, val, strlen(val), &tt_default[id]);
}

static int tt_param_get(char *buf, const struct kernel_param *kp)
{
	const struct tt_knob_desc *d = kp->arg;

	return sysfs_emit(buf, "%d\n", tt_default[d - tt_knob_desc]);
}

static const struct kernel_param_ops tt_param_ops = {
	.set = tt_param_set,
	.get = tt_param_get,
};

/*
 * One line per knob: module_param_cb() and MODULE_PARM_DESC() each define
 * an object and need their own statement, which an expansion of
 * knob_table.h cannot provide.  tt_params_complete() catches a knob left
 * out here.
 */
#define TT_KNOB_PARAM(_name)						\
	module_param_cb(_name, &tt_param_ops,				\
			(void *)&tt_knob_desc[TT_KNOB_##_name], 0444)

TT_KNOB_PARAM(enabled);
MODULE_PARM_DESC(enabled,
		 "Master switch: 0 = the module takes no decision (0..1, default 1)");
TT_KNOB_PARAM(half_duplex_close);
MODULE_PARM_DESC(half_duplex_close,
		 "Unread data at close, data after close: 0 = FIN, discard; 1 = RST (stock); 2 = RST, also after SHUT_RD (default 1)");
TT_KNOB_PARAM(tw_reopen);
MODULE_PARM_DESC(tw_reopen,
		 "SYN on TIME-WAIT: 0 = never reopen; 1 = if its sequence is higher; 2 = sequence or timestamp, stock (default 2)");
TT_KNOB_PARAM(tw_isn_gap);
MODULE_PARM_DESC(tw_isn_gap,
		 "Reopened ISN is at least old snd_nxt + this (1..1073741824, default 65537)");
TT_KNOB_PARAM(time_wait_ms);
MODULE_PARM_DESC(time_wait_ms,
		 "TIME-WAIT length in ms (100..600000, default 60000)");
TT_KNOB_PARAM(tw_restore);
MODULE_PARM_DESC(tw_restore,
		 "1 = a reopening SYN that proves an old duplicate returns the connection to TIME-WAIT (0..1, default 0)");
TT_KNOB_PARAM(fin_wait2_timeout_ms);
MODULE_PARM_DESC(fin_wait2_timeout_ms,
		 "Lifetime of an orphan in FIN_WAIT_2 in ms, 0 = tcp_fin_timeout (0..3600000, default 0)");
TT_KNOB_PARAM(fin_wait2_rst);
MODULE_PARM_DESC(fin_wait2_rst,
		 "1 = an orphan whose FIN_WAIT_2 time runs out sends a RST (0..1, default 0)");
TT_KNOB_PARAM(fin_wait2_idle_ms);
MODULE_PARM_DESC(fin_wait2_idle_ms,
		 "Abort a half-closed socket idle this long in FIN_WAIT_2, ms, 0 = never (0..86400000, default 0)");

/*
 * The policy table may be walked only once the module runs: the load-time
 * list is kept as written and parsed by tt_control_init().
 */
static char tt_userns_param[128];
module_param_string(userns_policies, tt_userns_param,
		    sizeof(tt_userns_param), 0444);
MODULE_PARM_DESC(userns_policies,
		 "Policies that namespaces owned by other user namespaces may switch on: comma-separated names (half_duplex, time_wait, fin_wait2), default none");

static unsigned int tt_disarm_delay_ms = 10000;
module_param_named(userns_disarm_delay_ms, tt_disarm_delay_ms, uint, 0444);
MODULE_PARM_DESC(userns_disarm_delay_ms,
		 "A hook no longer used by namespaces of other user namespaces stays armed this long, ms (100..3600000, default 10000)");

static bool tt_params_complete(void)
{
	const struct kernel_param *kp = THIS_MODULE->kp;
	unsigned int i, seen = 0;

	for (i = 0; i < THIS_MODULE->num_kp; i++)
		if (kp[i].ops == &tt_param_ops)
			seen++;
	return seen == TT_NR_KNOBS;
}

/* ---- per-netns sysctls ---- */

static int tt_sysctl_knob(tt_ctl_const struct ctl_table *table, int write,
			  void *buffer, size_t *lenp, loff_t *ppos)
{
	struct tt_net *tn = table->extra1;
	int *valp = table->data;
	unsigned int id = valp - tn->knob;
	struct ctl_table tmp;
	int val, err;

	if (!write) {
		val = READ_ONCE(*valp);
		tmp = *table;
		tmp.data = &val;
		return proc_dointvec(&tmp, 0, buffer, lenp, ppos);
	}

	/* The VFS checked the file mode; this is the namespace's own rule. */
	if (!ns_capable(tn->net->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	/* A value is written in one go, never continued at an offset. */
	if (*ppos)
		return -EINVAL;
	err = tt_knob_parse(id, buffer, *lenp, &val);
	if (!err)
		err = tt_knob_set(tn, id, val);
	if (err)
		return err;
	*ppos += *lenp;
	return 0;
}

static int tt_sysctl_register(struct tt_net *tn)
{
	struct ctl_table *table;
	unsigned int i;

	/* One spare zeroed entry: the sentinel older kernels look for. */
	table = kcalloc(TT_NR_KNOBS + 1, sizeof(*table), GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	for (i = 0; i < TT_NR_KNOBS; i++) {
		table[i].procname = tt_knob_desc[i].name;
		table[i].data = &tn->knob[i];
		table[i].maxlen = sizeof(int);
		table[i].mode = 0644;
		table[i].proc_handler = tt_sysctl_knob;
		table[i].extra1 = tn;
	}
	tn->sysctl_hdr = tt_register_net_sysctl(tn->net,
						"net/ipv4/tcp_teardown",
						table, TT_NR_KNOBS);
	if (!tn->sysctl_hdr) {
		kfree(table);
		return -ENOMEM;
	}
	tn->sysctl_table = table;
	return 0;
}

static void tt_sysctl_unregister(struct tt_net *tn)
{
	unregister_net_sysctl_table(tn->sysctl_hdr);
	kfree(tn->sysctl_table);
}

/* ---- /proc/net/tcp_teardown: this namespace's counters ---- */

static int tt_proc_show(struct seq_file *seq, void *v)
{
	struct tt_net *tn = tt_net(seq_file_single_net(seq));
	unsigned int i;

	for (i = 0; i < TT_NR_COUNTERS; i++)
		seq_printf(seq, "%s %llu\n", tt_counter_name[i],
			   tt_stat_sum(tn->stats, i));
	return 0;
}

/*
 * ---- /proc/net/stat/tcp_teardown: this namespace's counters, per CPU ----
 *
 * What lnstat (iproute2) reads from every file of /proc/net/stat: a line
 * of field names, then one line per possible CPU of as many hex values.
 * lnstat sums the lines and shows rates, but for its first field, which
 * it takes as a gauge of current entries (in rt_cache, nf_conntrack): the
 * module keeps no table, so "entries" is 0.
 */
/* lnstat.h: LNSTAT_MAX_FIELDS_PER_LINE; fields past it are not read. */
#define TT_LNSTAT_MAX_FIELDS	32
static_assert(1 + TT_NR_COUNTERS <= TT_LNSTAT_MAX_FIELDS);

static int tt_proc_stat_show(struct seq_file *seq, void *v)
{
	struct tt_net *tn = tt_net(seq_file_single_net(seq));
	const struct tt_stats *st;
	unsigned int i;
	int cpu;

	seq_puts(seq, "entries");
	for (i = 0; i < TT_NR_COUNTERS; i++)
		seq_printf(seq, " %s", tt_counter_name[i]);
	seq_putc(seq, '\n');
	for_each_possible_cpu(cpu) {
		st = per_cpu_ptr(tn->stats, cpu);
		seq_printf(seq, "%08x", 0);
		for (i = 0; i < TT_NR_COUNTERS; i++)
			seq_printf(seq, " %08llx", READ_ONCE(st->val[i]));
		seq_putc(seq, '\n');
	}
	return 0;
}

/* ---- pernet operations ---- */

static int __net_init tt_net_init(struct net *net)
{
	struct tt_net *tn = tt_net(net);
	unsigned int i;
	int err;

	tn->net = net;
	for (i = 0; i < TT_NR_KNOBS; i++)
		tn->knob[i] = tt_default[i];

	tn->stats = alloc_percpu(struct tt_stats);
	if (!tn->stats)
		return -ENOMEM;

	err = tt_sysctl_register(tn);
	if (err)
		goto err_stats;

	if (!proc_create_net_single("tcp_teardown", 0444, net->proc_net,
				    tt_proc_show, NULL)) {
		err = -ENOMEM;
		goto err_sysctl;
	}
	if (!proc_create_net_single("tcp_teardown", 0444, net->proc_net_stat,
				    tt_proc_stat_show, NULL)) {
		err = -ENOMEM;
		goto err_proc;
	}

	/* Publish: hooks may now count into tn->stats. */
	smp_store_release(&tn->live, true);
	/* The load-time defaults are the host's: no permission asked. */
	tt_net_update_sets(tn, true);
	return 0;

err_proc:
	remove_proc_entry("tcp_teardown", net->proc_net);
err_sysctl:
	tt_sysctl_unregister(tn);
err_stats:
	free_percpu(tn->stats);
	return err;
}

static void __net_exit tt_net_exit(struct net *net)
{
	struct tt_net *tn = tt_net(net);
	unsigned int i;

	WRITE_ONCE(tn->live, false);
	remove_proc_entry("tcp_teardown", net->proc_net_stat);
	remove_proc_entry("tcp_teardown", net->proc_net);
	/* After this no write can change a knob of this namespace. */
	tt_sysctl_unregister(tn);
	tt_net_update_sets(tn, false);
	/* Before TCP's own exit purges the namespace's TIME-WAIT sockets. */
	for (i = 0; i < tt_nr_policies; i++)
		if (tt_policies[i]->net_exit)
			tt_policies[i]->net_exit(net);
}

/*
 * Hooks run with preemption disabled and may still hold tn->stats of a
 * namespace whose exit just cleared ->live; one grace period per batch
 * of dying namespaces lets them finish before the memory goes.
 */
static void __net_exit tt_net_exit_batch(struct list_head *net_list)
{
	struct net *net;

	synchronize_rcu();
	list_for_each_entry(net, net_list, exit_list)
		free_percpu(tt_net(net)->stats);
}

static struct pernet_operations tt_net_ops = {
	.init = tt_net_init,
	.exit = tt_net_exit,
	.exit_batch = tt_net_exit_batch,
	.id = &tt_net_id,
	.size = sizeof(struct tt_net),
};

/* ---- /sys/kernel/tcp_teardown ---- */

struct tt_attr {
	struct kobj_attribute attr;
	unsigned int id;
};

static unsigned int tt_attr_id(struct kobj_attribute *attr)
{
	return container_of(attr, struct tt_attr, attr)->id;
}

static ssize_t tt_knob_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  tt_knob(tt_net(&init_net), tt_attr_id(attr)));
}

static ssize_t tt_knob_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	unsigned int id = tt_attr_id(attr);
	int val, err;

	if (!ns_capable(init_net.user_ns, CAP_NET_ADMIN))
		return -EPERM;
	err = tt_knob_parse(id, buf, count, &val);
	if (!err)
		err = tt_knob_set(tt_net(&init_net), id, val);
	return err ? err : count;
}

static ssize_t userns_policies_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return tt_policies_show(buf, READ_ONCE(tt_userns_allowed));
}

/* Only the host: CAP_NET_ADMIN in the initial user namespace. */
static ssize_t userns_policies_store(struct kobject *kobj,
				     struct kobj_attribute *attr,
				     const char *buf, size_t count)
{
	unsigned long mask;
	int err;

	if (!capable(CAP_NET_ADMIN))
		return -EPERM;
	err = tt_policies_parse(buf, count, &mask);
	if (err)
		return err;
	WRITE_ONCE(tt_userns_allowed, mask);
	return count;
}

static ssize_t arms_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%lu\n", tt_hooks_arms());
}

static ssize_t disarms_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%lu\n", tt_hooks_disarms());
}

static ssize_t tt_stat_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  tt_stat_sum(tt_global_stats, tt_attr_id(attr)));
}

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", TCP_TEARDOWN_VERSION);
}

#define TT_KNOB(_name, _min, _max, _def)				\
	[TT_KNOB_##_name] = {						\
		.attr = __ATTR(_name, 0644, tt_knob_show, tt_knob_store), \
		.id = TT_KNOB_##_name,					\
	},
static struct tt_attr tt_knob_attrs[TT_NR_KNOBS] = {
#include "knob_table.h"
};

#undef TT_KNOB

#define TT_COUNTER(_name, _desc)					\
	[TT_STAT_##_name] = {						\
		.attr = __ATTR(_name, 0444, tt_stat_show, NULL),	\
		.id = TT_STAT_##_name,					\
	},
static struct tt_attr tt_stat_attrs[TT_NR_COUNTERS] = {
#include "counter_table.h"
};

#undef TT_COUNTER

static struct kobj_attribute tt_version_attr = __ATTR_RO(version);
static struct kobj_attribute tt_userns_policies_attr =
	__ATTR_RW(userns_policies);
static struct kobj_attribute tt_arms_attr = __ATTR_RO(arms);
static struct kobj_attribute tt_disarms_attr = __ATTR_RO(disarms);

/*
 * Filled by tt_sysfs_init_attrs(): every knob, the version, the policies
 * allowed to other user namespaces, a NULL.
 */
static struct attribute *tt_top_attrs[TT_NR_KNOBS + 3];
static struct attribute *tt_stats_attrs[TT_NR_COUNTERS + 1];

/* hooks/arms, hooks/disarms: probe set (dis)arm operations since load */
static struct attribute *tt_hooks_attrs[] = {
	&tt_arms_attr.attr,
	&tt_disarms_attr.attr,
	NULL,
};

static const struct attribute_group tt_top_group = {
	.attrs = tt_top_attrs,
};

static const struct attribute_group tt_stats_group = {
	.name = "stats",
	.attrs = tt_stats_attrs,
};

static const struct attribute_group tt_hooks_group = {
	.name = "hooks",
	.attrs = tt_hooks_attrs,
};

static const struct attribute_group *tt_groups[] = {
	&tt_top_group,
	&tt_stats_group,
	&tt_hooks_group,
	NULL,
};

static struct kobject *tt_kobj;

static void tt_sysfs_init_attrs(void)
{
	unsigned int i;

	for (i = 0; i < TT_NR_KNOBS; i++)
		tt_top_attrs[i] = &tt_knob_attrs[i].attr.attr;
	tt_top_attrs[i++] = &tt_version_attr.attr;
	tt_top_attrs[i] = &tt_userns_policies_attr.attr;
	for (i = 0; i < TT_NR_COUNTERS; i++)
		tt_stats_attrs[i] = &tt_stat_attrs[i].attr.attr;
}

/* ---- setup ---- */

int tt_control_init(void)
{
	int err;

	if (WARN_ON(!tt_params_complete()))
		return -EINVAL;
	if (tt_policies_parse(tt_userns_param, strlen(tt_userns_param),
			      &tt_userns_allowed)) {
		pr_err("userns_policies: unknown policy in \"%s\"\n",
		       tt_userns_param);
		return -EINVAL;
	}
	if (tt_disarm_delay_ms < 100 || tt_disarm_delay_ms > 3600000) {
		pr_err("userns_disarm_delay_ms: %u is out of 100..3600000\n",
		       tt_disarm_delay_ms);
		return -EINVAL;
	}
	tt_hooks_set_disarm_delay(tt_disarm_delay_ms);

	tt_global_stats = alloc_percpu(struct tt_stats);
	if (!tt_global_stats)
		return -ENOMEM;

	err = register_pernet_subsys(&tt_net_ops);
	if (err)
		goto err_stats;

	tt_sysfs_init_attrs();
	tt_kobj = kobject_create_and_add("tcp_teardown", kernel_kobj);
	if (!tt_kobj) {
		err = -ENOMEM;
		goto err_pernet;
	}
	err = sysfs_create_groups(tt_kobj, tt_groups);
	if (err)
		goto err_kobj;
	return 0;

err_kobj:
	kobject_put(tt_kobj);
err_pernet:
	unregister_pernet_subsys(&tt_net_ops);
err_stats:
	free_percpu(tt_global_stats);
	return err;
}

/* Callers have unregistered every hook: nothing counts any more. */
void tt_control_exit(void)
{
	sysfs_remove_groups(tt_kobj, tt_groups);
	kobject_put(tt_kobj);
	unregister_pernet_subsys(&tt_net_ops);
	free_percpu(tt_global_stats);
}
