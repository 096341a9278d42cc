/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Socket-state queries and crafted segments for the tcp_teardown
 * selftests:
 *
 *  - inet_diag over NETLINK_SOCK_DIAG: the TCP sockets of the caller's
 *    netns for AF_INET or AF_INET6, TIME_WAIT and FIN_WAIT2 minisockets
 *    included (/proc/net/tcp shows those too, but without the time left);
 *  - raw-socket injection of a TCP segment between two loopback ports,
 *    with the options a SYN may carry: IPv4 through IPPROTO_RAW (which
 *    implies IP_HDRINCL), IPv6 through IPPROTO_RAW (IPV6_HDRINCL); both
 *    with the TCP checksum computed here.
 *
 * Same conventions as tt_util.h and tt_net.h: 0 or a non-negative result
 * on success, -errno on failure, no kselftest harness, ports in host
 * order.
 */
#ifndef TT_DIAG_H
#define TT_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* inet_diag */

#define TT_DIAG_STATE(st)	(1U << (st))	/* st: TCP_ESTABLISHED... */
#define TT_DIAG_ALL		0xfffU

struct tt_diag_sock {
	int family;
	int state;		/* TCP_*; a timewait sock's substate */
	unsigned short lport, rport;
	unsigned int timer;	/* idiag_timer: 3 for a timewait sock */
	unsigned int expires_ms;	/* idiag_expires: time left */
	unsigned int inode;	/* 0 for orphans and timewait socks */
};

/*
 * Where the answers come from: "inet_diag", or "/proc/net/tcp" when the
 * kernel has no inet_diag handler for TCP (tcp_diag is a module, and a
 * guest without it cannot load it on demand).  Both give the state, the
 * ports, the timer and the time left (/proc in steps of 10 ms).
 */
const char *tt_diag_source(void);

/*
 * The TCP sockets of @family in the caller's netns whose state is in the
 * mask @states, first @max of them into @out (which may be NULL when @max
 * is 0).  Returns how many there are, possibly more than @max.
 */
int tt_diag_dump(int family, unsigned int states, struct tt_diag_sock *out,
		 int max);

/*
 * How many of them have local port @lport and remote port @rport
 * (0: any); with @ds, the first one is copied there.
 */
int tt_diag_count(int family, unsigned int states, unsigned short lport,
		  unsigned short rport, struct tt_diag_sock *ds);

/* The one with these ports: 0, or -ENOENT when there is none. */
int tt_diag_find(int family, unsigned int states, unsigned short lport,
		 unsigned short rport, struct tt_diag_sock *ds);

/* Raw injection, loopback address to loopback address of @family */

struct tt_raw_seg {
	int family;
	unsigned short sport, dport;
	uint32_t seq, ack;
	uint8_t flags;		/* TT_TH_* of tt_net.h */
	uint16_t window;	/* unscaled; 0 means 65535 */
	uint16_t mss;		/* MSS option when non-zero */
	bool ts;		/* timestamp option */
	uint32_t tsval, tsecr;
	const void *data;	/* payload, @len bytes (at most 1024) */
	size_t len;
};

int tt_raw_send(const struct tt_raw_seg *seg);

#endif /* TT_DIAG_H */
