// SPDX-License-Identifier: GPL-2.0
/*
 * tt_detector: one planted bug per load, chosen by the "bug" parameter,
 * to prove that the detectors of the debug kernel (scripts/debug-kernel.config)
 * report each kind of defect the tcp_teardown module could have, and
 * that scripts/vm.sh's kernel log scan turns every report into a failed
 * run.  scripts/check-detectors.sh boots the debug kernel once per bug.
 *
 * The module does nothing with bug=none (the control run, which must
 * pass).  Everything here is wrong on purpose: never load it on a kernel
 * that matters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timer.h>

static char *bug = "none";
module_param(bug, charp, 0444);
MODULE_PARM_DESC(bug,
		 "none|oob|uaf|atomic_sleep|lock_order|timer_free|leak|ubsan_shift");

/* A size and a shift the compiler cannot see through: parameters. */
static uint len = 16;
module_param(len, uint, 0444);
MODULE_PARM_DESC(len, "size of the allocations (default 16)");
static uint shift = 40;
module_param(shift, uint, 0444);
MODULE_PARM_DESC(shift, "width of the bad shift (default 40)");

/* Where a pointer goes so that the compiler keeps what made it. */
static void *tt_sink;

/* KASAN: a store one byte past a 16-byte allocation. */
static void tt_oob(void)
{
	char *p = kmalloc(len, GFP_KERNEL);

	if (!p)
		return;
	p[len] = 'x';
	kfree(p);
}

/* KASAN: a store into an object already freed. */
static void tt_uaf(void)
{
	char *p = kmalloc(len, GFP_KERNEL);

	if (!p)
		return;
	kfree(p);
	p[0] = 'x';
}

/* DEBUG_ATOMIC_SLEEP: a sleeping allocation under a spinlock. */
static DEFINE_SPINLOCK(tt_spin);

static void tt_atomic_sleep(void)
{
	void *p;

	spin_lock(&tt_spin);
	p = kmalloc(len, GFP_KERNEL);
	spin_unlock(&tt_spin);
	kfree(p);
}

/* Lockdep: A then B, later B then A; one thread, so no real deadlock. */
static DEFINE_MUTEX(tt_lock_a);
static DEFINE_MUTEX(tt_lock_b);

static void tt_lock_order(void)
{
	mutex_lock(&tt_lock_a);
	mutex_lock(&tt_lock_b);
	mutex_unlock(&tt_lock_b);
	mutex_unlock(&tt_lock_a);

	mutex_lock(&tt_lock_b);
	mutex_lock(&tt_lock_a);
	mutex_unlock(&tt_lock_a);
	mutex_unlock(&tt_lock_b);
}

/* debugobjects: the memory of a pending timer freed. */
struct tt_timed {
	struct timer_list timer;
};

static void tt_timer_fn(struct timer_list *t)
{
}

static void tt_timer_free(void)
{
	struct tt_timed *o = kzalloc(sizeof(*o), GFP_KERNEL);

	if (!o)
		return;
	timer_setup(&o->timer, tt_timer_fn, 0);
	mod_timer(&o->timer, jiffies + 60 * HZ);
	kfree(o);
}

/* kmemleak: an allocation whose only reference is dropped. */
static void tt_leak(void)
{
	void *p = kmalloc(128, GFP_KERNEL);

	if (p)
		memset(p, 0x5a, 128);
	WRITE_ONCE(tt_sink, p);
	WRITE_ONCE(tt_sink, NULL);
}

/* UBSAN: a shift wider than the type. */
static void tt_ubsan_shift(void)
{
	unsigned int one = 1;

	WRITE_ONCE(tt_sink, (void *)(unsigned long)(one << shift));
	WRITE_ONCE(tt_sink, NULL);
}

static const struct {
	const char *name;
	void (*plant)(void);
} tt_bugs[] = {
	{ "oob", tt_oob },
	{ "uaf", tt_uaf },
	{ "atomic_sleep", tt_atomic_sleep },
	{ "lock_order", tt_lock_order },
	{ "timer_free", tt_timer_free },
	{ "leak", tt_leak },
	{ "ubsan_shift", tt_ubsan_shift },
};

static int __init tt_detector_init(void)
{
	unsigned int i;

	if (!strcmp(bug, "none"))
		return 0;
	for (i = 0; i < ARRAY_SIZE(tt_bugs); i++) {
		if (!strcmp(bug, tt_bugs[i].name)) {
			pr_info("planting %s\n", bug);
			tt_bugs[i].plant();
			return 0;
		}
	}
	pr_err("unknown bug '%s'\n", bug);
	return -EINVAL;
}

static void __exit tt_detector_exit(void)
{
}

module_init(tt_detector_init);
module_exit(tt_detector_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Planted bugs proving the debug kernel's detectors");
