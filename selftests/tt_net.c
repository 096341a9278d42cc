// SPDX-License-Identifier: GPL-2.0
/*
 * Network helpers for the tcp_teardown selftests.  See tt_net.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>

#include "tt_net.h"
#include "tt_util.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* Loopback TCP */

const char *tt_family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

socklen_t tt_loopback_addr(int family, unsigned short port,
			   struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = in6addr_loopback;
		return sizeof(*sin6);
	}
	sin = (struct sockaddr_in *)ss;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof(*sin);
}

int tt_sock_port(int fd, bool peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int ret;

	ret = peer ? getpeername(fd, (struct sockaddr *)&ss, &len) :
		     getsockname(fd, (struct sockaddr *)&ss, &len);
	if (ret)
		return -errno;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return -EAFNOSUPPORT;
}

int tt_net_socket(int family)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	return fd < 0 ? -errno : fd;
}

/* Bind @fd to @sa and listen; @fd on success, else closed and -errno. */
static int tt_listen_on(int fd, const struct sockaddr *sa, socklen_t len,
			int backlog, unsigned short *port)
{
	int ret;

	if (bind(fd, sa, len) || listen(fd, backlog)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = tt_sock_port(fd, false);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	*port = ret;
	return fd;
}

/* A listener on the loopback address of @family, ephemeral port. */
int tt_net_listen(int family, int backlog, unsigned short *port)
{
	struct sockaddr_storage ss;
	socklen_t len = tt_loopback_addr(family, 0, &ss);
	int fd;

	fd = tt_net_socket(family);
	if (fd < 0)
		return fd;
	return tt_listen_on(fd, (struct sockaddr *)&ss, len, backlog, port);
}

/*
 * A dual-stack listener on [::] (IPV6_V6ONLY off), ephemeral port: what
 * Go, Java and Node servers listen on by default.  IPv4 clients reach it
 * as v4-mapped addresses.
 */
int tt_net_listen_dual(int backlog, unsigned short *port)
{
	struct sockaddr_in6 sin6 = {
		.sin6_family = AF_INET6,
		.sin6_addr = IN6ADDR_ANY_INIT,
	};
	int fd, off = 0, ret;

	fd = tt_net_socket(AF_INET6);
	if (fd < 0)
		return fd;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return tt_listen_on(fd, (struct sockaddr *)&sin6, sizeof(sin6),
			    backlog, port);
}

/*
 * Connect the blocking socket @fd, giving up after @timeout_ms.  Done
 * non-blocking so that no SO_SNDTIMEO is left behind on @fd.
 */
int tt_net_connect_fd(int fd, int family, unsigned short port,
		      int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	struct sockaddr_storage ss;
	socklen_t len = tt_loopback_addr(family, port, &ss);
	int flags, err = 0, ret;
	socklen_t elen = sizeof(err);

	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK))
		return -errno;
	ret = 0;
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		if (errno != EINPROGRESS) {
			ret = -errno;
		} else {
			ret = poll(&pfd, 1, timeout_ms);
			if (ret < 0)
				ret = -errno;
			else if (!ret)
				ret = -ETIMEDOUT;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
					    &elen))
				ret = -errno;
			else
				ret = -err;
		}
	}
	if (fcntl(fd, F_SETFL, flags) && !ret)
		ret = -errno;
	return ret;
}

int tt_net_connect(int family, unsigned short port)
{
	int fd, ret;

	fd = tt_net_socket(family);
	if (fd < 0)
		return fd;
	ret = tt_net_connect_fd(fd, family, port, TT_NET_TIMEOUT_MS);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int tt_net_accept(int lfd, int timeout_ms)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	ret = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	return ret < 0 ? -errno : ret;
}

/*
 * Connect @cfd (prepared by the caller, e.g. with a small receive buffer)
 * through listener @lfd and accept it into *@afd.  @lfd must have nothing
 * else queued.
 */
int tt_net_pair_fd(int lfd, int family, unsigned short port, int cfd,
		   int *afd)
{
	int ret;

	ret = tt_net_connect_fd(cfd, family, port, TT_NET_TIMEOUT_MS);
	if (ret)
		return ret;
	ret = tt_net_accept(lfd, TT_NET_TIMEOUT_MS);
	if (ret < 0)
		return ret;
	*afd = ret;
	return 0;
}

int tt_net_pair(int lfd, int family, unsigned short port, int *cfd,
		int *afd)
{
	int c, ret;

	c = tt_net_socket(family);
	if (c < 0)
		return c;
	ret = tt_net_pair_fd(lfd, family, port, c, afd);
	if (ret) {
		close(c);
		return ret;
	}
	*cfd = c;
	return 0;
}

/* Socket options and queues */

static int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val)) ? -errno : 0;
}

/* The kernel doubles these values for its bookkeeping overhead. */
int tt_set_sndbuf_force(int fd, int bytes)
{
	return set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, bytes);
}

int tt_set_rcvbuf_force(int fd, int bytes)
{
	return set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, bytes);
}

int tt_set_rcvbuf(int fd, int bytes)
{
	return set_int(fd, SOL_SOCKET, SO_RCVBUF, bytes);
}

int tt_set_io_timeout(int fd, int timeout_ms)
{
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

int tt_outq(int fd)
{
	int n;

	return ioctl(fd, SIOCOUTQ, &n) ? -errno : n;
}

int tt_inq(int fd)
{
	int n;

	return ioctl(fd, SIOCINQ, &n) ? -errno : n;
}

/* Bounded waits */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* At least @bytes received on @fd and not read yet. */
int tt_wait_inq(int fd, int bytes, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	int n;

	for (;;) {
		n = tt_inq(fd);
		if (n < 0)
			return n;
		if (n >= bytes)
			return 0;
		if (now_ms() > end)
			return -ETIMEDOUT;
		tt_msleep(2);
	}
}

/* Everything sent on @fd acknowledged by the peer. */
int tt_wait_outq_empty(int fd, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	int n;

	for (;;) {
		n = tt_outq(fd);
		if (n <= 0)
			return n;
		if (now_ms() > end)
			return -ETIMEDOUT;
		tt_msleep(2);
	}
}

/*
 * poll() @fd for @events; POLLERR and POLLHUP end the wait whatever
 * @events is.  Returns revents.
 */
int tt_wait_poll(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ret;

	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	return ret ? pfd.revents : -ETIMEDOUT;
}

/* Bulk I/O */

static char tt_io_buf[64 * 1024];

/* Send @len bytes; 0 if all went, else -errno of the send() that failed. */
int tt_send_bytes(int fd, size_t len, struct tt_io *io)
{
	size_t chunk;
	ssize_t n;

	memset(io, 0, sizeof(*io));
	if (!tt_io_buf[0])
		memset(tt_io_buf, 'x', sizeof(tt_io_buf));
	while (io->bytes < len) {
		chunk = len - io->bytes;
		if (chunk > sizeof(tt_io_buf))
			chunk = sizeof(tt_io_buf);
		n = send(fd, tt_io_buf, chunk, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			io->err = errno;
			return -io->err;
		}
		io->bytes += n;
	}
	return 0;
}

/*
 * Receive and discard until @max bytes, EOF or an error (a receive
 * timeout is -EAGAIN).  0 unless an error ended it.
 */
int tt_recv_bytes(int fd, size_t max, struct tt_io *io)
{
	char buf[64 * 1024];
	size_t chunk;
	ssize_t n;

	memset(io, 0, sizeof(*io));
	while (io->bytes < max) {
		chunk = max - io->bytes;
		if (chunk > sizeof(buf))
			chunk = sizeof(buf);
		n = recv(fd, buf, chunk, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			io->err = errno;
			return -io->err;
		}
		if (!n) {
			io->eof = true;
			break;
		}
		io->bytes += n;
	}
	return 0;
}

/* /proc/net/tcp{,6} */

int tt_proc_tcp_find(int family, unsigned short lport, unsigned short rport,
		     struct tt_proc_sock *ps)
{
	/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
	static const char fmt[] =
		" %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%x %x %*x:%*x %x:%*x %*x %*u %*d %lu";
	const char *path = family == AF_INET6 ? "/proc/net/tcp6" :
						"/proc/net/tcp";
	unsigned int lp, rp, st, tr;
	unsigned long inode;
	char line[512];
	int ret = -ENOENT;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* same columns for both families, only the addresses differ */
		if (sscanf(line, fmt, &lp, &rp, &st, &tr, &inode) != 5)
			continue;
		if (lp != lport || rp != rport)
			continue;
		ps->state = st;
		ps->timer = tr;
		ps->inode = inode;
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* MIB counters */

/*
 * In @buf (a copy of /proc/net/netstat or snmp), find @name in the pair
 * of lines "<group>: names..." / "<group>: values...".
 */
static int mib_find(char *buf, const char *group, const char *name,
		    long long *val)
{
	size_t glen = strlen(group);
	char *names, *values, *nl, *n_save, *v_save, *n, *v, *end;

	for (names = buf; names && *names; names = nl ? nl + 1 : NULL) {
		nl = strchr(names, '\n');
		if (strncmp(names, group, glen) || names[glen] != ':')
			continue;
		if (!nl)
			return -EINVAL;
		values = nl + 1;
		if (strncmp(values, group, glen) || values[glen] != ':')
			return -EINVAL;
		*nl = '\0';
		nl = strchr(values, '\n');
		if (nl)
			*nl = '\0';
		n = strtok_r(names + glen + 1, " ", &n_save);
		v = strtok_r(values + glen + 1, " ", &v_save);
		while (n && v) {
			if (!strcmp(n, name)) {
				errno = 0;
				*val = strtoll(v, &end, 10);
				return errno || *end ? -EINVAL : 0;
			}
			n = strtok_r(NULL, " ", &n_save);
			v = strtok_r(NULL, " ", &v_save);
		}
		return -ENOENT;
	}
	return -ENOENT;
}

int tt_mib_read(const char *group, const char *name, long long *val)
{
	static const char * const files[] = {
		"/proc/net/netstat", "/proc/net/snmp",
	};
	static char buf[32 * 1024];
	size_t i;
	int len, ret = -ENOENT;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		len = tt_read_file(files[i], buf, sizeof(buf));
		if (len < 0)
			return len;
		if (len == sizeof(buf) - 1)
			return -E2BIG;
		ret = mib_find(buf, group, name, val);
		if (ret != -ENOENT)
			return ret;
	}
	return ret;
}

/* Packet capture */

#define CAP_SNAPLEN	160	/* IPv6 (40) + TCP with options (60), room */
#define CAP_RCVBUF	(32 << 20)

/*
 * Classic BPF over the network header (SOCK_DGRAM): drop PACKET_OUTGOING,
 * keep TCP over IPv4 or IPv6 (no extension headers on lo) whose flags
 * intersect @mask, truncated to CAP_SNAPLEN.
 */
enum {
	F_PKTTYPE, F_OUTGOING, F_VER, F_VER_SHIFT, F_IS_V4,
	F_V4_PROTO, F_V4_TCP, F_V4_HLEN, F_V4_FLAGS, F_V4_JA,
	F_IS_V6, F_V6_NEXT, F_V6_TCP, F_V6_FLAGS,
	F_MASK, F_KEEP, F_DROP, F_LEN
};

#define J(from, to)	((to) - (from) - 1)

static int cap_attach_filter(int fd, unsigned int mask)
{
	struct sock_filter f[F_LEN] = {
		[F_PKTTYPE] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
				       SKF_AD_OFF + SKF_AD_PKTTYPE),
		[F_OUTGOING] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					PACKET_OUTGOING,
					J(F_OUTGOING, F_DROP), 0),
		[F_VER] = BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
		[F_VER_SHIFT] = BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),
		[F_IS_V4] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 4,
				     0, J(F_IS_V4, F_IS_V6)),
		[F_V4_PROTO] = BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
		[F_V4_TCP] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP,
				      0, J(F_V4_TCP, F_DROP)),
		[F_V4_HLEN] = BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		[F_V4_FLAGS] = BPF_STMT(BPF_LD | BPF_B | BPF_IND, 13),
		[F_V4_JA] = BPF_JUMP(BPF_JMP | BPF_JA, J(F_V4_JA, F_MASK),
				     0, 0),
		[F_IS_V6] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6,
				     0, J(F_IS_V6, F_DROP)),
		[F_V6_NEXT] = BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),
		[F_V6_TCP] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP,
				      0, J(F_V6_TCP, F_DROP)),
		[F_V6_FLAGS] = BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 40 + 13),
		[F_MASK] = BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, mask,
				    0, J(F_MASK, F_DROP)),
		[F_KEEP] = BPF_STMT(BPF_RET | BPF_K, CAP_SNAPLEN),
		[F_DROP] = BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = F_LEN, .filter = f };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
			  sizeof(prog)) ? -errno : 0;
}

int tt_cap_open(struct tt_cap *cap, bool ctrl_only)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
	};
	unsigned int mask = ctrl_only ?
		TT_TH_SYN | TT_TH_FIN | TT_TH_RST : 0xff;
	int fd, ret;

	memset(cap, 0, sizeof(*cap));
	cap->fd = -1;
	/*
	 * Protocol 0 receives nothing until bind(): the filter is in place
	 * before the first frame can be queued.
	 */
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = tt_set_rcvbuf_force(fd, CAP_RCVBUF);
	if (!ret)
		ret = cap_attach_filter(fd, mask);
	if (ret)
		goto err;
	sll.sll_ifindex = if_nametoindex("lo");
	if (!sll.sll_ifindex) {
		ret = -errno;
		goto err;
	}
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		ret = -errno;
		goto err;
	}
	cap->fd = fd;
	return 0;
err:
	close(fd);
	return ret;
}

void tt_cap_close(struct tt_cap *cap)
{
	if (cap->fd >= 0)
		close(cap->fd);
	free(cap->seg);
	memset(cap, 0, sizeof(*cap));
	cap->fd = -1;
}

static uint16_t get16(const unsigned char *p)
{
	return p[0] << 8 | p[1];
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* Parse one captured frame (network header first); false if not TCP. */
static bool cap_parse(const unsigned char *p, size_t len, struct tt_seg *s)
{
	const unsigned char *th;
	size_t ihl, doff, ip_len;

	if (len < 1)
		return false;
	if (p[0] >> 4 == 4) {
		ihl = (p[0] & 0xf) * 4;
		if (len < ihl + 20 || ihl < 20 || p[9] != IPPROTO_TCP)
			return false;
		s->family = AF_INET;
		th = p + ihl;
		ip_len = get16(p + 2) - ihl;
	} else if (p[0] >> 4 == 6) {
		if (len < 40 + 20 || p[6] != IPPROTO_TCP)
			return false;
		s->family = AF_INET6;
		th = p + 40;
		ip_len = get16(p + 4);
	} else {
		return false;
	}
	s->sport = get16(th);
	s->dport = get16(th + 2);
	s->seq = get32(th + 4);
	s->ack = get32(th + 8);
	doff = (th[12] >> 4) * 4;
	s->flags = th[13];
	s->len = ip_len > doff ? ip_len - doff : 0;
	return true;
}

int tt_cap_drain(struct tt_cap *cap)
{
	struct tpacket_stats st;
	socklen_t slen = sizeof(st);
	unsigned char buf[256];
	struct sockaddr_ll sll;
	socklen_t alen;
	struct tt_seg *tmp;
	int got = 0;
	ssize_t n;

	for (;;) {
		alen = sizeof(sll);
		n = recvfrom(cap->fd, buf, sizeof(buf), MSG_TRUNC,
			     (struct sockaddr *)&sll, &alen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -errno;
		}
		/* the filter drops them already; never count a frame twice */
		if (sll.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (cap->nr == cap->alloc) {
			cap->alloc = cap->alloc ? 2 * cap->alloc : 256;
			tmp = realloc(cap->seg, cap->alloc * sizeof(*tmp));
			if (!tmp)
				return -ENOMEM;
			cap->seg = tmp;
		}
		if ((size_t)n > sizeof(buf))
			n = sizeof(buf);
		if (!cap_parse(buf, n, &cap->seg[cap->nr])) {
			cap->other++;
			continue;
		}
		cap->nr++;
		got++;
	}
	/* PACKET_STATISTICS counts since the last call: add up */
	if (getsockopt(cap->fd, SOL_PACKET, PACKET_STATISTICS, &st, &slen))
		return -errno;
	cap->drops += st.tp_drops;
	return got;
}

int tt_cap_count(struct tt_cap *cap, unsigned int flags,
		 unsigned short sport, unsigned short dport)
{
	unsigned int i;
	int ret, count = 0;

	ret = tt_cap_drain(cap);
	if (ret < 0)
		return ret;
	for (i = 0; i < cap->nr; i++) {
		const struct tt_seg *s = &cap->seg[i];

		if ((s->flags & flags) != flags)
			continue;
		if ((sport && s->sport != sport) ||
		    (dport && s->dport != dport))
			continue;
		count++;
	}
	return count;
}

/*
 * The reference count of the socket with these ports in /proc/net/tcp{,6}
 * (the column after the inode): every reference the kernel or a module
 * holds on it, a pending work item's included.
 */
int tt_proc_tcp_refcnt(int family, unsigned short lport, unsigned short rport)
{
	static const char fmt[] =
		" %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%x %*x %*x:%*x %*x:%*x %*x %*u %*d %*u %d";
	const char *path = family == AF_INET6 ? "/proc/net/tcp6" :
						"/proc/net/tcp";
	unsigned int lp, rp;
	char line[512];
	int ret = -ENOENT, ref;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, fmt, &lp, &rp, &ref) != 3)
			continue;
		if (lp != lport || rp != rport)
			continue;
		ret = ref;
		break;
	}
	fclose(f);
	return ret;
}

/* Microseconds on CLOCK_MONOTONIC. */
long long tt_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/*
 * Microseconds until everything @fd sent is acknowledged (SIOCOUTQ 0),
 * polled every 100 us from @start_us; -ETIMEDOUT after @timeout_ms.
 */
long long tt_outq_empty_after_us(int fd, long long start_us, int timeout_ms)
{
	long long now;
	int q;

	for (;;) {
		q = tt_outq(fd);
		now = tt_now_us();
		if (q < 0)
			return q;
		if (q == 0)
			return now - start_us;
		if (now - start_us > timeout_ms * 1000LL)
			return -ETIMEDOUT;
		usleep(100);
	}
}

/* The first captured segment from @sport to @dport with @flags set. */
const struct tt_seg *tt_cap_find(struct tt_cap *cap, unsigned int flags,
				 unsigned short sport, unsigned short dport)
{
	unsigned int i;

	if (tt_cap_drain(cap) < 0)
		return NULL;
	for (i = 0; i < cap->nr; i++) {
		const struct tt_seg *s = &cap->seg[i];

		if ((s->flags & flags) == flags && s->sport == sport &&
		    s->dport == dport)
			return s;
	}
	return NULL;
}
