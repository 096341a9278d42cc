/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the supported kernels lives here.  Features
 * are detected by Kbuild from the target kernel's headers (TT_HAVE_*),
 * because Debian's stable kernels backport changes inside a series and
 * the version number alone does not tell what a tree has.
 */
#ifndef _TCP_TEARDOWN_COMPAT_H
#define _TCP_TEARDOWN_COMPAT_H

#include <linux/ftrace.h>
#include <linux/ptrace.h>
#include <linux/sysctl.h>
#include <linux/timer.h>
#include <net/net_namespace.h>
#include <net/tcp.h>

/* Qualifier of the table argument of a sysctl proc_handler. */
#ifdef TT_HAVE_CONST_CTL_TABLE
#define tt_ctl_const const
#else
#define tt_ctl_const
#endif

/*
 * Register a per-netns sysctl table of @count entries.  Older kernels
 * find the end at a zeroed sentinel, so callers always allocate one more
 * entry than they fill.
 */
static inline struct ctl_table_header *
tt_register_net_sysctl(struct net *net, const char *path,
		       struct ctl_table *table, size_t count)
{
#ifdef TT_HAVE_REGISTER_NET_SYSCTL_SZ
	return register_net_sysctl_sz(net, path, table, count);
#else
	return register_net_sysctl(net, path, table);
#endif
}

/* The structure that embeds the timer_list @timer as @field. */
#ifdef TT_HAVE_TIMER_CONTAINER_OF
#define tt_timer_container_of(var, timer, field) \
	timer_container_of(var, timer, field)
#else
#define tt_timer_container_of(var, timer, field) from_timer(var, timer, field)
#endif

/*
 * The verdict of tcp_timewait_state_process() for a segment TIME-WAIT
 * answers with an ACK and otherwise ignores, as the kernel gives it to a
 * SYN it does not accept.  Since TCP_TW_ACK_OOW exists, that ACK has its
 * ECN bits cleared (TCP_TW_ACK keeps them, for ACKs of in-window
 * segments); before, both were TCP_TW_ACK.
 */
#ifdef TT_HAVE_TW_ACK_OOW
#define TT_TW_ACK_OOW	TCP_TW_ACK_OOW
#else
#define TT_TW_ACK_OOW	TCP_TW_ACK
#endif

/*
 * A SYN that reopens a TIME-WAIT: the kernel computes old snd_nxt + 65537
 * as the new ISN.  Only kernels that pass it on as an argument (6.10+)
 * put it in the SYN-ACK; older ones lose it and use the clock-based ISN.
 */
#define TT_STOCK_TW_ISN_GAP	(65535 + 2)
#ifdef TT_HAVE_TW_ISN_ARG
#define TT_KERNEL_KEEPS_TW_ISN	true
#else
#define TT_KERNEL_KEEPS_TW_ISN	false
#endif

/*
 * Change argument @n (0-based, register arguments only) of a hooked
 * function at its entry.  x86-64 only, like the module: the registers
 * are restored from @regs when the handler returns.
 */
static inline void tt_regs_set_arg(struct pt_regs *regs, unsigned int n,
				   unsigned long val)
{
	switch (n) {
	case 0:
		regs->di = val;
		break;
	case 1:
		regs->si = val;
		break;
	case 2:
		regs->dx = val;
		break;
	case 3:
		regs->cx = val;
		break;
	}
}

/*
 * The registers a hook finds at a function's entry.  6.1 shows them as
 * the pt_regs inside struct ftrace_regs; later kernels hide that layout
 * behind arch_ftrace_regs() (of which x86 keeps the pt_regs).  Without
 * FTRACE_OPS_FL_SAVE_REGS only the argument registers, the stack and
 * instruction pointers are saved; the argument registers are restored
 * from here when the hook returns.
 */
static inline struct pt_regs *tt_hook_regs(struct ftrace_regs *fregs)
{
#ifdef TT_HAVE_ARCH_FTRACE_REGS
	return &arch_ftrace_regs(fregs)->regs;
#else
	return &fregs->regs;
#endif
}

/* Argument @n (0-based) of a hooked function. */
static inline unsigned long tt_hook_arg(struct ftrace_regs *fregs,
					unsigned int n)
{
	return regs_get_kernel_argument(tt_hook_regs(fregs), n);
}

/* Change argument @n (register arguments only) of a hooked function. */
static inline void tt_hook_set_arg(struct ftrace_regs *fregs, unsigned int n,
				   unsigned long val)
{
	tt_regs_set_arg(tt_hook_regs(fregs), n, val);
}

#endif /* _TCP_TEARDOWN_COMPAT_H */
