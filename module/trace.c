// SPDX-License-Identifier: GPL-2.0
/*
 * tcp_teardown: the trace events (trace.h) are created here, and only
 * here.  A disabled event costs its caller a static branch: nothing of
 * this file runs unless someone enables the event.
 */

#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>

#define CREATE_TRACE_POINTS
#include "trace.h"

/*
 * What every event records of its connection.  @sk is a full, timewait
 * or request socket: only its struct sock_common is read, but for the
 * local port of a full socket, whose sock_common copy an abort may have
 * cleared (inet_put_port()) by the time the event fires.
 */
void tt_trace_conn(const struct sock *sk, u64 *cookie, unsigned int *ino,
		   u16 *family, u16 *sport, u16 *dport, u8 *saddr, u8 *daddr)
{
	const struct net *net = sock_net(sk);
	struct in6_addr *s6 = (struct in6_addr *)saddr;
	struct in6_addr *d6 = (struct in6_addr *)daddr;

	*cookie = net->net_cookie;
	*ino = net->ns.inum;
	*family = sk->sk_family;
	*sport = sk_fullsock(sk) ? ntohs(inet_sk(sk)->inet_sport) : sk->sk_num;
	*dport = ntohs(sk->sk_dport);
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		*s6 = sk->sk_v6_rcv_saddr;
		*d6 = sk->sk_v6_daddr;
		return;
	}
#endif
	ipv6_addr_set_v4mapped(sk->sk_rcv_saddr, s6);
	ipv6_addr_set_v4mapped(sk->sk_daddr, d6);
}
