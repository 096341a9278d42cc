/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network helpers for the tcp_teardown selftests: loopback TCP for IPv4
 * (127.0.0.1) and IPv6 (::1), socket buffers and queues, bounded waits,
 * the kernel's MIB counters and a packet capture on lo.
 *
 * Same conventions as tt_util.h: 0 or a non-negative result on success,
 * -errno on failure, no kselftest harness.  Ports are in host order.
 * Every wait takes a timeout that only guards against a hang: no helper
 * measures time.
 */
#ifndef TT_NET_H
#define TT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define TT_NET_TIMEOUT_MS	5000	/* default guard on loopback waits */

/* Loopback TCP, @family AF_INET or AF_INET6 */
const char *tt_family_name(int family);
socklen_t tt_loopback_addr(int family, unsigned short port,
			   struct sockaddr_storage *ss);
int tt_sock_port(int fd, bool peer);		/* local or peer port */
int tt_net_socket(int family);
int tt_net_listen(int family, int backlog, unsigned short *port);
int tt_net_listen_dual(int backlog, unsigned short *port);	/* [::], v4 too */
int tt_net_connect_fd(int fd, int family, unsigned short port,
		      int timeout_ms);
int tt_net_connect(int family, unsigned short port);
int tt_net_accept(int lfd, int timeout_ms);
int tt_net_pair_fd(int lfd, int family, unsigned short port, int cfd,
		   int *afd);
int tt_net_pair(int lfd, int family, unsigned short port, int *cfd,
		int *afd);

/* Socket options and queues */
int tt_set_sndbuf_force(int fd, int bytes);
int tt_set_rcvbuf_force(int fd, int bytes);
int tt_set_rcvbuf(int fd, int bytes);
int tt_set_io_timeout(int fd, int timeout_ms);	/* SO_RCVTIMEO, SNDTIMEO */
int tt_outq(int fd);		/* SIOCOUTQ: sent, not yet acknowledged */
int tt_inq(int fd);		/* SIOCINQ: received, not yet read */

/* Bounded waits: 0 once the condition holds, -ETIMEDOUT, or -errno */
int tt_wait_inq(int fd, int bytes, int timeout_ms);
int tt_wait_outq_empty(int fd, int timeout_ms);
int tt_wait_poll(int fd, short events, int timeout_ms);	/* revents */

/* Bulk I/O of a byte pattern; the result says how it ended. */
struct tt_io {
	size_t bytes;		/* moved before the end */
	int err;		/* errno that ended it, 0 if none */
	bool eof;		/* recv() returned 0 */
};

int tt_send_bytes(int fd, size_t len, struct tt_io *io);
int tt_recv_bytes(int fd, size_t max, struct tt_io *io);

/* /proc/net/tcp and tcp6: the socket with these ports (any netns user) */
struct tt_proc_sock {
	int state;		/* TCP_* (the substate of a timewait sock) */
	int timer;		/* 0 none, 1 retrans, 2 keepalive, 3 timewait,
				 * 4 zero window probe
				 */
	unsigned long inode;	/* 0 for orphans and timewait sockets */
};

int tt_proc_tcp_find(int family, unsigned short lport, unsigned short rport,
		     struct tt_proc_sock *ps);

/*
 * MIB counters of the caller's netns by group and name, e.g. "TcpExt"
 * "TCPAbortOnClose" (/proc/net/netstat) or "Tcp" "RetransSegs"
 * (/proc/net/snmp).
 */
int tt_mib_read(const char *group, const char *name, long long *val);

/*
 * Packet capture on lo of the caller's netns.  Start it before the
 * traffic it is to see.  Only TCP over IPv4/IPv6 is kept, and only one
 * copy of each frame (lo shows every frame as PACKET_OUTGOING and again as
 * PACKET_HOST: the outgoing one is dropped).  With @ctrl_only only
 * segments carrying SYN, FIN or RST are kept, so that bulk data cannot
 * overflow the socket buffer; drops are counted anyway.
 */
#define TT_TH_FIN	0x01
#define TT_TH_SYN	0x02
#define TT_TH_RST	0x04
#define TT_TH_PSH	0x08
#define TT_TH_ACK	0x10

struct tt_seg {
	uint8_t family;
	uint8_t flags;		/* TT_TH_* */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint32_t len;		/* payload bytes */
};

struct tt_cap {
	int fd;
	unsigned int nr, alloc;
	struct tt_seg *seg;
	unsigned long long drops;	/* frames the kernel could not queue */
	unsigned long long other;	/* frames not parsed as TCP */
};

int tt_cap_open(struct tt_cap *cap, bool ctrl_only);
int tt_cap_drain(struct tt_cap *cap);	/* read what is queued now */
void tt_cap_close(struct tt_cap *cap);
/*
 * Segments with all of @flags set, from @sport to @dport (0: any port).
 * Drains first.  Negative if draining failed.
 */
int tt_cap_count(struct tt_cap *cap, unsigned int flags,
		 unsigned short sport, unsigned short dport);

/* The first segment with all of @flags from @sport to @dport, or NULL. */
const struct tt_seg *tt_cap_find(struct tt_cap *cap, unsigned int flags,
				 unsigned short sport, unsigned short dport);

/* sk_refcnt of the socket with these ports (/proc/net/tcp{,6}), or -errno */
int tt_proc_tcp_refcnt(int family, unsigned short lport, unsigned short rport);

/* Time, for reporting only: CLOCK_MONOTONIC in microseconds */
long long tt_now_us(void);
/* us from @start_us until SIOCOUTQ of @fd is 0, or -errno / -ETIMEDOUT */
long long tt_outq_empty_after_us(int fd, long long start_us, int timeout_ms);

#endif /* TT_NET_H */
