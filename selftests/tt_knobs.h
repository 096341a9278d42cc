/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The knobs tcp_teardown is expected to expose, written down from the
 * module's contract (not read from its source).  Every generic test loops
 * over this table, so a new knob is one line here.
 *
 * A knob exists as
 *   /proc/sys/net/ipv4/tcp_teardown/<name>	(0644, per netns)
 *   /sys/kernel/tcp_teardown/<name>		(0644, init netns)
 *   /sys/module/tcp_teardown/parameters/<name>	(0444, load-time default)
 * and accepts integers in [min, max]; def is its default without
 * module parameters.
 */
#ifndef TT_KNOBS_H
#define TT_KNOBS_H

struct tt_knob {
	const char *name;
	int min, max, def;
};

static const struct tt_knob tt_knobs[] = {
	/* name		min	max	def */
	{ "enabled",	0,	1,	1 },
	{ "half_duplex_close",	0,	2,	1 },
	{ "fin_wait2_timeout_ms", 0,	3600000, 0 },
	{ "fin_wait2_rst",	0,	1,	0 },
	{ "fin_wait2_idle_ms",	0,	86400000, 0 },
	{ "tw_reopen",		0,	2,	2 },
	{ "tw_isn_gap",		1,	1073741824, 65537 },
	{ "time_wait_ms",	100,	600000,	60000 },
	{ "tw_restore",		0,	1,	0 },
};

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define TT_NR_KNOBS	ARRAY_SIZE(tt_knobs)

#define tt_for_each_knob(k) \
	for ((k) = tt_knobs; (k) < tt_knobs + TT_NR_KNOBS; (k)++)

/*
 * A valid value other than the default, so that a write is observable.
 * Knobs with min == max have none and get def back; tests skip those.
 */
static inline int tt_knob_other(const struct tt_knob *k)
{
	return k->def == k->max ? k->min : k->max;
}

#endif /* TT_KNOBS_H */
