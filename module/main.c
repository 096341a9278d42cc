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
 * This file ties the pieces together and owns the probe on tcp_close(),
 * the entry of every close of a TCP socket by its application.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/ptrace.h>
#include <net/sock.h>

#include "compat.h"
#include "tcp_teardown.h"

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

static int __init tcp_teardown_init(void)
{
	int err;

	err = tt_control_init();
	if (err)
		return err;

	err = register_kprobe(&tt_tcp_close_probe);
	if (err) {
		pr_err("cannot probe tcp_close: %d\n", err);
		goto err_control;
	}

	pr_info("version %s loaded\n", TCP_TEARDOWN_VERSION);
	return 0;

err_control:
	tt_control_exit();
	return err;
}

static void __exit tcp_teardown_exit(void)
{
	/* Waits for running handlers: none runs after this. */
	unregister_kprobe(&tt_tcp_close_probe);
	tt_control_exit();
	pr_info("unloaded\n");
}

module_init(tcp_teardown_init);
module_exit(tcp_teardown_exit);

MODULE_DESCRIPTION("Per-netns TCP connection-teardown policies (RFC 1122 4.2.2.13)");
MODULE_AUTHOR("The tcp_teardown developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(TCP_TEARDOWN_VERSION);
