// SPDX-License-Identifier: GPL-2.0
/*
 * inet_diag queries and raw TCP injection for the tcp_teardown
 * selftests.  See tt_diag.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tt_diag.h"

/* inet_diag */

static int diag_fill(const struct inet_diag_msg *m, struct tt_diag_sock *ds)
{
	ds->family = m->idiag_family;
	ds->state = m->idiag_state;
	ds->lport = ntohs(m->id.idiag_sport);
	ds->rport = ntohs(m->id.idiag_dport);
	ds->timer = m->idiag_timer;
	ds->expires_ms = m->idiag_expires;
	ds->inode = m->idiag_inode;
	return 0;
}

typedef int (*diag_fn)(const struct tt_diag_sock *ds, void *arg);

static const char *diag_source = "inet_diag";

const char *tt_diag_source(void)
{
	return diag_source;
}

/*
 * /proc/net/tcp{,6}: the same sockets, the time left in USER_HZ ticks.
 * For kernels whose inet_diag/tcp_diag modules cannot be loaded.
 */
static int proc_walk(int family, unsigned int states, diag_fn fn, void *arg)
{
	const char *path = family == AF_INET6 ? "/proc/net/tcp6" :
						"/proc/net/tcp";
	static char buf[256 * 1024];
	unsigned int lp, rp, st, tr;
	unsigned long when, inode;
	struct tt_diag_sock ds;
	char *line, *save;
	size_t len = 0;
	int fd, ret = 0;
	ssize_t n;

	/*
	 * Big reads: seq_file resumes a later read() by position, and can
	 * skip a socket when one before it went away in between.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n > 0)
			len += n;
	} while ((n > 0 || (n < 0 && errno == EINTR)) &&
		 len < sizeof(buf) - 1);
	if (n < 0)
		ret = -errno;
	close(fd);
	if (ret)
		return ret;
	if (len == sizeof(buf) - 1)
		return -E2BIG;
	buf[len] = '\0';

	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* same columns for both families, only the addresses differ */
		if (sscanf(line,
			   " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%x %x %*x:%*x %x:%lx %*x %*u %*d %lu",
			   &lp, &rp, &st, &tr, &when, &inode) != 6)
			continue;
		if (st >= 32 || !(states & (1U << st)))
			continue;
		ds.family = family;
		ds.state = st;
		ds.lport = lp;
		ds.rport = rp;
		ds.timer = tr;
		ds.expires_ms = when * 10;	/* USER_HZ is 100 */
		ds.inode = inode;
		if (!ret)
			ret = fn(&ds, arg);
	}
	return ret < 0 ? ret : 0;
}

/*
 * Dump, calling @fn for every socket.  @fn's non-zero return is kept (the
 * dump is still read to its end, the socket is closed anyway).
 */
static int diag_walk(int family, unsigned int states, diag_fn fn, void *arg)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1,
		},
		.r = {
			.sdiag_family = family,
			.sdiag_protocol = IPPROTO_TCP,
			.idiag_states = states,
		},
	};
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	/* 32 KiB: what the kernel fills per recv() for a dump */
	static char buf[32 * 1024] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct tt_diag_sock ds;
	struct nlmsghdr *h;
	unsigned int len;
	bool done = false, got = false;
	int fd, ret = 0;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl,
		   sizeof(nl)) < 0) {
		ret = -errno;
		goto out;
	}
	while (!done) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		if (!n) {
			ret = -EIO;
			goto out;
		}
		len = n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				ret = e->error ? e->error : -EIO;
				/* no handler for @family: tcp_diag not loaded */
				if (ret == -ENOENT && !got) {
					close(fd);
					diag_source = "/proc/net/tcp";
					return proc_walk(family, states, fn,
							 arg);
				}
				goto out;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				continue;
			diag_fill(NLMSG_DATA(h), &ds);
			got = true;
			if (!ret)
				ret = fn(&ds, arg);
		}
	}
out:
	close(fd);
	return ret < 0 ? ret : 0;
}

struct diag_match {
	unsigned short lport, rport;
	struct tt_diag_sock *out;
	int max, count;
};

static int diag_match_one(const struct tt_diag_sock *ds, void *arg)
{
	struct diag_match *m = arg;

	if ((m->lport && ds->lport != m->lport) ||
	    (m->rport && ds->rport != m->rport))
		return 0;
	if (m->count < m->max)
		m->out[m->count] = *ds;
	m->count++;
	return 0;
}

int tt_diag_dump(int family, unsigned int states, struct tt_diag_sock *out,
		 int max)
{
	struct diag_match m = { .out = out, .max = out ? max : 0 };
	int ret;

	ret = diag_walk(family, states, diag_match_one, &m);
	return ret ? ret : m.count;
}

int tt_diag_count(int family, unsigned int states, unsigned short lport,
		  unsigned short rport, struct tt_diag_sock *ds)
{
	struct diag_match m = {
		.lport = lport, .rport = rport, .out = ds, .max = ds ? 1 : 0,
	};
	int ret;

	ret = diag_walk(family, states, diag_match_one, &m);
	return ret ? ret : m.count;
}

int tt_diag_find(int family, unsigned int states, unsigned short lport,
		 unsigned short rport, struct tt_diag_sock *ds)
{
	struct tt_diag_sock tmp;
	int n;

	n = tt_diag_count(family, states, lport, rport, ds ? ds : &tmp);
	if (n < 0)
		return n;
	return n ? 0 : -ENOENT;
}

/* Raw injection */

#define RAW_MAX_DATA	1024
#define TCP_OPT_MAX	40

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* One's complement sum of @len bytes at @p, big-endian 16-bit words. */
static uint32_t csum_add(uint32_t sum, const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* TCP header with options and payload at @th; its length. */
static size_t build_tcp(const struct tt_raw_seg *seg, unsigned char *th)
{
	unsigned char *opt = th + 20;
	size_t olen = 0, hlen;

	if (seg->mss) {
		opt[olen++] = 2;		/* TCPOPT_MSS */
		opt[olen++] = 4;
		put16(opt + olen, seg->mss);
		olen += 2;
	}
	if (seg->ts) {
		opt[olen++] = 1;		/* NOP, NOP: as Linux aligns it */
		opt[olen++] = 1;
		opt[olen++] = 8;		/* TCPOPT_TIMESTAMP */
		opt[olen++] = 10;
		put32(opt + olen, seg->tsval);
		put32(opt + olen + 4, seg->tsecr);
		olen += 8;
	}
	while (olen & 3)
		opt[olen++] = 0;		/* EOL padding */
	hlen = 20 + olen;

	put16(th, seg->sport);
	put16(th + 2, seg->dport);
	put32(th + 4, seg->seq);
	put32(th + 8, seg->ack);
	th[12] = (hlen / 4) << 4;
	th[13] = seg->flags;
	put16(th + 14, seg->window ? seg->window : 65535);
	put16(th + 16, 0);			/* checksum, below */
	put16(th + 18, 0);			/* urgent pointer */
	if (seg->len)
		memcpy(th + hlen, seg->data, seg->len);
	return hlen + seg->len;
}

int tt_raw_send(const struct tt_raw_seg *seg)
{
	unsigned char pkt[40 + 20 + TCP_OPT_MAX + RAW_MAX_DATA];
	unsigned char pseudo[40];
	struct sockaddr_storage ss;
	socklen_t slen;
	size_t iplen, tlen, plen;
	uint32_t sum;
	ssize_t n;
	int fd, ret = 0;

	if (seg->len > RAW_MAX_DATA || (seg->len && !seg->data))
		return -EMSGSIZE;
	memset(pkt, 0, sizeof(pkt));
	memset(&ss, 0, sizeof(ss));
	memset(pseudo, 0, sizeof(pseudo));

	if (seg->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		iplen = 40;
		tlen = build_tcp(seg, pkt + iplen);
		pkt[0] = 6 << 4;
		put16(pkt + 4, tlen);			/* payload length */
		pkt[6] = IPPROTO_TCP;
		pkt[7] = 64;				/* hop limit */
		memcpy(pkt + 8, &in6addr_loopback, 16);
		memcpy(pkt + 24, &in6addr_loopback, 16);
		/* pseudo-header: addresses, length, next header */
		sum = csum_add(0, pkt + 8, 32);
		put32(pseudo, tlen);
		put32(pseudo + 4, IPPROTO_TCP);
		plen = 8;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		slen = sizeof(*sin6);
	} else if (seg->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		iplen = 20;
		tlen = build_tcp(seg, pkt + iplen);
		pkt[0] = 4 << 4 | 5;
		put16(pkt + 2, iplen + tlen);	/* the kernel fills it too */
		pkt[8] = 64;				/* ttl */
		pkt[9] = IPPROTO_TCP;
		put32(pkt + 12, INADDR_LOOPBACK);	/* host order */
		put32(pkt + 16, INADDR_LOOPBACK);
		/* the kernel computes the IP checksum with IP_HDRINCL */
		sum = csum_add(0, pkt + 12, 8);
		put16(pseudo, IPPROTO_TCP);
		put16(pseudo + 2, tlen);
		plen = 4;
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		slen = sizeof(*sin);
	} else {
		return -EAFNOSUPPORT;
	}
	sum = csum_add(sum, pseudo, plen);
	sum = csum_add(sum, pkt + iplen, tlen);
	put16(pkt + iplen + 16, csum_fold(sum));

	/* IPPROTO_RAW: the header is ours (IP_HDRINCL / IPV6_HDRINCL) */
	fd = socket(seg->family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return -errno;
	n = sendto(fd, pkt, iplen + tlen, 0, (struct sockaddr *)&ss, slen);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != iplen + tlen)
		ret = -EIO;
	close(fd);
	return ret;
}
