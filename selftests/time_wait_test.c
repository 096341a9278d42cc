// SPDX-License-Identifier: GPL-2.0
/*
 * TIME-WAIT policy: net.ipv4.tcp_teardown.tw_reopen, tw_isn_gap and
 * time_wait_ms, for IPv4 (127.0.0.1) and IPv6 (::1).
 *
 * The TIME-WAIT path is forced, never left to timing: the server closes
 * first (so the server's end of the 4-tuple is the one in TIME-WAIT),
 * the client closes after it, and then either the client connects again
 * from the same port or a SYN crafted on a raw socket arrives from it.
 * Every test loads the module afresh and runs in a network namespace of
 * its own, so that the capture on lo, inet_diag and the module's counters
 * see only its own connections.
 *
 *   reconnect_per_mode     a real client reconnects: modes 2 and 1 reopen
 *                          at once, mode 0 ACKs every SYN, survives the
 *                          RST, and the connect succeeds after TIME-WAIT
 *   injected_syn_*         crafted SYNs (old seq, new seq, old seq with a
 *                          newer timestamp) against each mode
 *   isn_after_bulk*        the reopened ISN after a fast old incarnation:
 *                          module (default gap, 1000000) and stock
 *   time_wait_length       time_wait_ms in one netns, default next door
 *   time_wait_rearm        a timer restart keeps time_wait_ms
 *   unload_with_time_wait  shortened TIME-WAITs outlive the module
 *
 * Sequence numbers come from the wire: the old incarnation's handshake
 * and FINs are captured, so the server's rcv_nxt and snd_nxt when it
 * entered TIME-WAIT are known exactly and are checked against the ACK the
 * TIME-WAIT socket answers with.  Times are measured against the moment
 * before the client's FIN (TIME-WAIT cannot have started earlier), so
 * "not before" bounds are exact up to one jiffy; "not after" bounds only
 * guard against hangs and are generous, since the guest is emulated and
 * shares two cores.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/klog.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include "tt_diag.h"
#include "tt_harness.h"
#include "tt_net.h"
#include "tt_util.h"

#define IO_MS		((int)tt_time_scaled(10000))	/* guard on any wait */
#define TICK_MS		20	/* a timer may fire up to one jiffy early */
#define LEFT_SLACK_MS	30	/* time left: jiffies, /proc's 10 ms steps */
#define TW_SLACK_MS	((int)tt_time_scaled(3000)) /* TIME-WAIT ends this late */
#define SMALL_BYTES	1000
#define BULK_BYTES	(200u << 20)	/* the 200 MB */
#define STOCK_TW_MS	60000
#define STOCK_GAP	65537
#define RFC1337		"/proc/sys/net/ipv4/tcp_rfc1337"

#define TW_STATE	TT_DIAG_STATE(TCP_TIME_WAIT)

enum { NEVER = 0, SEQ_ONLY = 1, STOCK = 2 };

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static bool seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/*
 * Does the kernel hand the TIME-WAIT's ISN (old snd_nxt + 65537) to the
 * reopened connection?  6.12 does; Debian's 6.1 loses it on the way and
 * uses its clock-based ISN.
 */
static bool stock_keeps_tw_isn(void)
{
	struct utsname u;
	int maj = 0, min = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &maj, &min) != 2)
		return false;
	return maj > 6 || (maj == 6 && min >= 12);
}

/* ---- module knobs and counters ---- */

static void set_knob(struct __test_metadata *_metadata, const char *knob,
		     long long val)
{
	long long got = -1;
	int ret;

	ret = tt_knob_write_int(TT_SYSCTL_DIR, knob, val);
	ASSERT_EQ(0, ret) TH_LOG("%s=%lld: %s", knob, val, strerror(-ret));
	ASSERT_EQ(0, tt_knob_read(TT_SYSCTL_DIR, knob, &got));
	ASSERT_EQ(val, got) TH_LOG("%s reads back", knob);
}

static long long get_knob(struct __test_metadata *_metadata, const char *knob)
{
	long long val = -1;
	int ret;

	ret = tt_knob_read(TT_SYSCTL_DIR, knob, &val);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", knob, strerror(-ret));
	return val;
}

enum {
	C_SEQ, C_TS, C_NEVER, C_REF_TS, C_STOCK, C_RAISED, C_LEN, C_RESTORED,
	C_NR
};

static const char counter_names[C_NR][24] = {
	[C_SEQ] = "tw_reopen_seq",
	[C_TS] = "tw_reopen_ts",
	[C_NEVER] = "tw_syn_refused_never",
	[C_REF_TS] = "tw_syn_refused_ts",
	[C_STOCK] = "tw_syn_refused_stock",
	[C_RAISED] = "tw_isn_raised",
	[C_LEN] = "tw_length_set",
	[C_RESTORED] = "tw_restored",
};

#define ANY	(-1LL)

struct counts {
	long long v[C_NR];
};

static void counts_take(struct __test_metadata *_metadata, struct counts *c)
{
	struct tt_counters all;
	int i, ret;

	ret = tt_counters_read_netns(&all);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", TT_PROC_NET, strerror(-ret));
	for (i = 0; i < C_NR; i++)
		ASSERT_EQ(0, tt_counters_get(&all, counter_names[i], &c->v[i]))
			TH_LOG("counter %s missing", counter_names[i]);
}

/*
 * Every TIME-WAIT counter moved by exactly what @want says (ANY: not
 * checked), so that a decision counted under the wrong name shows.
 */
static void assert_counts(struct __test_metadata *_metadata,
			  const struct counts *a, const struct counts *b,
			  const long long want[C_NR], const char *ctx)
{
	int i;

	for (i = 0; i < C_NR; i++) {
		if (want[i] == ANY)
			continue;
		ASSERT_EQ(want[i], b->v[i] - a->v[i])
			TH_LOG("%s: change of %s", ctx, counter_names[i]);
	}
}

/* ---- capture ---- */

#define F_MASK	(TT_TH_SYN | TT_TH_ACK | TT_TH_RST | TT_TH_FIN)

/*
 * Index of the first captured segment at or after @from, from @sport to
 * @dport, whose SYN/ACK/RST/FIN flags are exactly @flags (with @pure:
 * also without payload); -1 if none yet.
 */
static int cap_find(struct __test_metadata *_metadata, struct tt_cap *cap,
		    unsigned int from, unsigned int flags, bool pure,
		    unsigned short sport, unsigned short dport)
{
	unsigned int i;
	int ret;

	ret = tt_cap_drain(cap);
	ASSERT_LE(0, ret) TH_LOG("capture: %s", strerror(-ret));
	for (i = from; i < cap->nr; i++) {
		const struct tt_seg *s = &cap->seg[i];

		if ((s->flags & F_MASK) != flags || (pure && s->len))
			continue;
		if (s->sport == sport && s->dport == dport)
			return i;
	}
	return -1;
}

static int cap_wait(struct __test_metadata *_metadata, struct tt_cap *cap,
		    unsigned int from, unsigned int flags, bool pure,
		    unsigned short sport, unsigned short dport, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	int i;

	for (;;) {
		i = cap_find(_metadata, cap, from, flags, pure, sport, dport);
		if (i >= 0 || now_ms() > end)
			return i;
		tt_msleep(2);
	}
}

static int cap_count_from(struct __test_metadata *_metadata,
			  struct tt_cap *cap, unsigned int from,
			  unsigned int flags, bool pure, unsigned short sport,
			  unsigned short dport)
{
	int n = 0, i = from;

	for (;;) {
		i = cap_find(_metadata, cap, i, flags, pure, sport, dport);
		if (i < 0)
			return n;
		n++;
		i++;
	}
}

/* Mark: what was captured so far; later searches start there. */
static unsigned int cap_mark(struct __test_metadata *_metadata,
			     struct tt_cap *cap)
{
	int ret = tt_cap_drain(cap);

	ASSERT_LE(0, ret) TH_LOG("capture: %s", strerror(-ret));
	return cap->nr;
}

/* ---- inet_diag ---- */

/*
 * With a dual-stack listener ([::], IPV6_V6ONLY off) the clients are
 * IPv4, but the server's sockets are AF_INET6 with v4-mapped addresses:
 * inet_diag lists them under AF_INET6.
 */
static bool g_dual;

static int srv_family(int family)
{
	return g_dual ? AF_INET6 : family;
}

/* The server's end of (@lport, @rport) in TIME-WAIT; -ENOENT if none. */
static int tw_find(struct __test_metadata *_metadata, int family,
		   unsigned short lport, unsigned short rport,
		   struct tt_diag_sock *ds)
{
	int ret = tt_diag_find(srv_family(family), TW_STATE, lport, rport,
			       ds);

	ASSERT_TRUE(ret == 0 || ret == -ENOENT)
		TH_LOG("inet_diag: %s", strerror(-ret));
	return ret;
}

/* When the TIME-WAIT of (@lport, @rport) was gone (ms), or -ETIMEDOUT. */
static long long tw_wait_gone(struct __test_metadata *_metadata, int family,
			      unsigned short lport, unsigned short rport,
			      int timeout_ms)
{
	long long end = now_ms() + timeout_ms, t;

	for (;;) {
		t = now_ms();
		/* twice: a listing can miss a socket while another goes */
		if (tw_find(_metadata, family, lport, rport, NULL) == -ENOENT &&
		    tw_find(_metadata, family, lport, rport, NULL) == -ENOENT)
			return t;
		if (t > end)
			return -ETIMEDOUT;
		tt_msleep(5);
	}
}

/* ---- connections ---- */

static void set_nonblock(struct __test_metadata *_metadata, int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	ASSERT_LE(0, fl);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK :
					     fl & ~O_NONBLOCK));
}

/*
 * Move @c2s bytes from @cfd to @afd and @s2c bytes back, both at once,
 * everything read by the other side.
 */
static void pump(struct __test_metadata *_metadata, int cfd, int afd,
		 size_t c2s, size_t s2c)
{
	static char buf[256 * 1024];
	size_t c_sent = 0, s_sent = 0, c_got = 0, s_got = 0;
	struct pollfd p[2];
	ssize_t n;
	int ret;

	set_nonblock(_metadata, cfd, true);
	set_nonblock(_metadata, afd, true);
	while (c_sent < c2s || s_sent < s2c || c_got < s2c || s_got < c2s) {
		p[0].fd = cfd;
		p[0].events = (c_sent < c2s ? POLLOUT : 0) |
			      (c_got < s2c ? POLLIN : 0);
		p[1].fd = afd;
		p[1].events = (s_sent < s2c ? POLLOUT : 0) |
			      (s_got < c2s ? POLLIN : 0);
		ret = poll(p, 2, IO_MS);
		ASSERT_LT(0, ret) TH_LOG("stalled: got %zu/%zu and %zu/%zu",
					 c_got, s2c, s_got, c2s);
		if (p[0].revents & POLLOUT) {
			n = send(cfd, buf, c2s - c_sent < sizeof(buf) ?
				 c2s - c_sent : sizeof(buf), MSG_NOSIGNAL);
			ASSERT_TRUE(n > 0 || errno == EAGAIN);
			if (n > 0)
				c_sent += n;
		}
		if (p[1].revents & POLLOUT) {
			n = send(afd, buf, s2c - s_sent < sizeof(buf) ?
				 s2c - s_sent : sizeof(buf), MSG_NOSIGNAL);
			ASSERT_TRUE(n > 0 || errno == EAGAIN);
			if (n > 0)
				s_sent += n;
		}
		if (p[0].revents & (POLLIN | POLLERR | POLLHUP)) {
			n = recv(cfd, buf, sizeof(buf), 0);
			ASSERT_TRUE(n > 0 || (n < 0 && errno == EAGAIN))
				TH_LOG("client recv: %zd", n);
			if (n > 0)
				c_got += n;
		}
		if (p[1].revents & (POLLIN | POLLERR | POLLHUP)) {
			n = recv(afd, buf, sizeof(buf), 0);
			ASSERT_TRUE(n > 0 || (n < 0 && errno == EAGAIN))
				TH_LOG("server recv: %zd", n);
			if (n > 0)
				s_got += n;
		}
	}
	set_nonblock(_metadata, cfd, false);
	set_nonblock(_metadata, afd, false);
}

/* An old incarnation whose server end is now in TIME-WAIT. */
struct old_conn {
	unsigned short cport;
	size_t c2s, s2c;		/* payload bytes each way */
	/* from the capture (when there was one) */
	uint32_t c_isn, s_isn;
	uint32_t rcv_nxt, snd_nxt;	/* the server's at TIME-WAIT */
	uint32_t c_tsval;		/* client's TSval clock at its close */
	bool fw2_minisock;		/* server went FIN_WAIT2 as minisock */
	long long t_start;		/* before the SYN */
	long long t_conn;		/* handshake done */
	long long t_data;		/* payload moved */
	long long t_fin;		/* before the client's FIN */
	long long t_tw;			/* TIME-WAIT seen in inet_diag */
	struct tt_diag_sock tw;		/* ... as inet_diag showed it */
};

/*
 * Through listener @lfd on @port: connect, move the bytes, the server
 * closes first, then the client.  With @orphan the server close()s (and
 * goes through the FIN_WAIT2 minisock); without, it shuts down its
 * sending side and keeps the socket until TIME-WAIT (a full socket enters
 * TIME-WAIT directly).  @cap, if not NULL, must be open since before.
 */
static void make_old(struct __test_metadata *_metadata, int family, int lfd,
		     unsigned short port, struct tt_cap *cap, size_t c2s,
		     size_t s2c, bool orphan, struct old_conn *o)
{
	struct tt_diag_sock ds;
	socklen_t len = sizeof(o->c_tsval);
	unsigned int mark = 0;
	long long end;
	char c;
	int cfd, afd, ret, i;

	memset(o, 0, sizeof(*o));
	o->c2s = c2s;
	o->s2c = s2c;
	if (cap)
		mark = cap_mark(_metadata, cap);
	o->t_start = now_ms();
	cfd = tt_net_socket(family);
	ASSERT_LE(0, cfd);
	ret = tt_net_pair_fd(lfd, family, port, cfd, &afd);
	ASSERT_EQ(0, ret) TH_LOG("connect: %s", strerror(-ret));
	o->t_conn = now_ms();
	o->cport = tt_sock_port(cfd, false);
	pump(_metadata, cfd, afd, c2s, s2c);
	o->t_data = now_ms();

	/* the server closes first; its FIN is ACKed on its own */
	if (orphan) {
		ASSERT_EQ(0, close(afd));
		afd = -1;
		end = now_ms() + IO_MS;
		while ((ret = tt_diag_find(srv_family(family),
					   TT_DIAG_STATE(TCP_FIN_WAIT2),
					   port, o->cport, &ds))) {
			ASSERT_EQ(-ENOENT, ret) TH_LOG("%s: %s",
						       tt_diag_source(),
						       strerror(-ret));
			ASSERT_LT(now_ms(), end) TH_LOG("server not FIN_WAIT2");
			tt_msleep(2);
		}
		o->fw2_minisock = ds.timer == 3;
	} else {
		ASSERT_EQ(0, shutdown(afd, SHUT_WR));
		ret = tt_tcp_wait_state(afd, TCP_FIN_WAIT2, IO_MS);
		ASSERT_EQ(0, ret) TH_LOG("server not FIN_WAIT2");
	}
	ret = tt_wait_poll(cfd, POLLIN, IO_MS);
	ASSERT_LT(0, ret) TH_LOG("client: no FIN: %s", strerror(-ret));
	ASSERT_EQ(0, recv(cfd, &c, 1, 0)) TH_LOG("client: no EOF");

	o->t_fin = now_ms();
	ASSERT_EQ(0, shutdown(cfd, SHUT_WR));
	ret = tt_tcp_wait_state(cfd, TCP_CLOSE, IO_MS);
	ASSERT_EQ(0, ret) TH_LOG("client FIN not ACKed");
	ASSERT_EQ(0, getsockopt(cfd, IPPROTO_TCP, TCP_TIMESTAMP, &o->c_tsval,
				&len));
	ASSERT_EQ(0, close(cfd));
	if (afd >= 0)
		ASSERT_EQ(0, close(afd));
	ret = tw_find(_metadata, family, port, o->cport, &o->tw);
	ASSERT_EQ(0, ret) TH_LOG("server %u -> %u not in TIME_WAIT", port,
				 o->cport);
	o->t_tw = now_ms();
	ASSERT_EQ(3U, o->tw.timer) TH_LOG("not a timewait sock");

	if (!cap)
		return;
	i = cap_find(_metadata, cap, mark, TT_TH_SYN, true, o->cport, port);
	ASSERT_LE(0, i) TH_LOG("no SYN captured");
	o->c_isn = cap->seg[i].seq;
	i = cap_find(_metadata, cap, mark, TT_TH_SYN | TT_TH_ACK, true, port,
		     o->cport);
	ASSERT_LE(0, i) TH_LOG("no SYN-ACK captured");
	o->s_isn = cap->seg[i].seq;
	i = cap_find(_metadata, cap, mark, TT_TH_FIN | TT_TH_ACK, false, port,
		     o->cport);
	ASSERT_LE(0, i) TH_LOG("no server FIN captured");
	o->snd_nxt = cap->seg[i].seq + cap->seg[i].len + 1;
	i = cap_find(_metadata, cap, mark, TT_TH_FIN | TT_TH_ACK, false,
		     o->cport, port);
	ASSERT_LE(0, i) TH_LOG("no client FIN captured");
	o->rcv_nxt = cap->seg[i].seq + cap->seg[i].len + 1;
	/* ISN + SYN + payload + FIN */
	ASSERT_EQ(o->c_isn + 1 + (uint32_t)c2s + 1, o->rcv_nxt);
	ASSERT_EQ(o->s_isn + 1 + (uint32_t)s2c + 1, o->snd_nxt);
}

/*
 * A socket bound to @o's client port (SO_REUSEADDR) connecting again,
 * non-blocking: returns at once with the connect in progress or done.
 */
static int reconnect_start(struct __test_metadata *_metadata, int family,
			   unsigned short port, const struct old_conn *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	fd = tt_net_socket(family);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)));
	len = tt_loopback_addr(family, o->cport, &ss);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&ss, len))
		TH_LOG("bind to port %u: %s", o->cport, strerror(errno));
	set_nonblock(_metadata, fd, true);
	len = tt_loopback_addr(family, port, &ss);
	ASSERT_TRUE(!connect(fd, (struct sockaddr *)&ss, len) ||
		    errno == EINPROGRESS) TH_LOG("connect: %s",
						 strerror(errno));
	return fd;
}

/* Wait for @fd's connect to finish; its errno (0: connected). */
static int reconnect_wait(struct __test_metadata *_metadata, int fd,
			  int timeout_ms)
{
	socklen_t len = sizeof(int);
	int ret, err = 0;

	ret = tt_wait_poll(fd, POLLOUT, timeout_ms);
	if (ret == -ETIMEDOUT)
		return ETIMEDOUT;
	ASSERT_LT(0, ret) TH_LOG("poll: %s", strerror(-ret));
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len));
	if (!err)
		set_nonblock(_metadata, fd, false);
	return err;
}

/* The new incarnation carries data both ways. */
static void assert_works(struct __test_metadata *_metadata, int lfd, int cfd)
{
	int afd, ret;

	afd = tt_net_accept(lfd, IO_MS);
	ASSERT_LE(0, afd) TH_LOG("accept: %s", strerror(-afd));
	ret = tt_tcp_send_recv(cfd, afd, "ping");
	ASSERT_EQ(0, ret) TH_LOG("client -> server: %s", strerror(-ret));
	ret = tt_tcp_send_recv(afd, cfd, "pong");
	ASSERT_EQ(0, ret) TH_LOG("server -> client: %s", strerror(-ret));
	close(afd);
}

/* ---- fixture ---- */

FIXTURE(tw) {
	struct tt_bed bed;
	int lfd;
	unsigned short port;
	struct tt_cap cap;
};

FIXTURE_VARIANT(tw) {
	int family;		/* of the clients */
	bool dual;		/* listener on [::], IPV6_V6ONLY off */
};

FIXTURE_VARIANT_ADD(tw, ipv4) {
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(tw, ipv6) {
	.family = AF_INET6,
};

FIXTURE_VARIANT_ADD(tw, ipv4_dual) {
	.family = AF_INET,
	.dual = true,
};

FIXTURE_SETUP(tw)
{
	int ret;

	self->cap.fd = -1;
	self->lfd = -1;
	signal(SIGPIPE, SIG_IGN);
	ret = tt_bed_enter(&self->bed, "");
	ASSERT_EQ(0, ret) TH_LOG("test bed: %s", strerror(-ret));
	g_dual = variant->dual;
	self->lfd = variant->dual ? tt_net_listen_dual(16, &self->port) :
		    tt_net_listen(variant->family, 16, &self->port);
	ASSERT_LE(0, self->lfd) TH_LOG("listen: %s", strerror(-self->lfd));
	ret = tt_diag_dump(srv_family(variant->family), TT_DIAG_ALL, NULL, 0);
	ASSERT_EQ(1, ret) TH_LOG("socket dump: %s", strerror(-ret));
	TH_LOG("socket states from %s", tt_diag_source());
}

FIXTURE_TEARDOWN(tw)
{
	tt_cap_close(&self->cap);
	if (self->lfd >= 0)
		close(self->lfd);
	EXPECT_EQ(0, tt_bed_leave(&self->bed));
}

static void cap_open(struct __test_metadata *_metadata, struct tt_cap *cap,
		     bool ctrl_only)
{
	int ret = tt_cap_open(cap, ctrl_only);

	ASSERT_EQ(0, ret) TH_LOG("capture on lo: %s", strerror(-ret));
}

/* ---- 1: the client reconnects from its old port ---- */

#define RECONNECT_TW_MS		2000
#define RECONNECT_DELAY_MS	500

/*
 * Modes 1 and 2: the first SYN reopens.  A real client's new ISN comes
 * from the same hash as its old one plus a clock, so it lies after the
 * old rcv_nxt; its timestamps (same offset, later clock) are newer too.
 * The module counts the sequence test first.
 */
static void reconnect_reopens(struct __test_metadata *_metadata,
			      FIXTURE_DATA(tw) *self, int family, int mode)
{
	long long want[C_NR] = { 0, 0, 0, 0, 0, ANY, 0 };
	struct counts c0, c1;
	struct old_conn o;
	unsigned int mark;
	long long t0, t1;
	uint32_t syn, isn;
	bool by_seq;
	int fd, i;

	make_old(_metadata, family, self->lfd, self->port, &self->cap,
		 SMALL_BYTES, SMALL_BYTES, true, &o);
	mark = cap_mark(_metadata, &self->cap);
	counts_take(_metadata, &c0);
	t0 = now_ms();
	fd = reconnect_start(_metadata, family, self->port, &o);
	ASSERT_EQ(0, reconnect_wait(_metadata, fd, IO_MS));
	t1 = now_ms();
	counts_take(_metadata, &c1);

	i = cap_find(_metadata, &self->cap, mark, TT_TH_SYN, true, o.cport,
		     self->port);
	ASSERT_LE(0, i) TH_LOG("no new SYN captured");
	syn = self->cap.seg[i].seq;
	i = cap_find(_metadata, &self->cap, mark, TT_TH_SYN | TT_TH_ACK, true,
		     self->port, o.cport);
	ASSERT_LE(0, i) TH_LOG("no SYN-ACK captured");
	isn = self->cap.seg[i].seq;
	/* at once: one SYN, and no ACK from TIME-WAIT before the SYN-ACK */
	ASSERT_EQ(1, cap_count_from(_metadata, &self->cap, mark, TT_TH_SYN,
				    true, o.cport, self->port));
	ASSERT_GT(0, cap_find(_metadata, &self->cap, mark, TT_TH_ACK, true,
			      self->port, o.cport))
		TH_LOG("TIME-WAIT answered with an ACK");
	ASSERT_EQ(syn + 1, self->cap.seg[i].ack);

	by_seq = seq_after(syn, o.rcv_nxt);
	want[by_seq ? C_SEQ : C_TS] = 1;
	TH_LOG("mode %d: new SYN seq = old rcv_nxt %+d (%s), connected in %lld ms, ISN = old snd_nxt %+d",
	       mode, (int32_t)(syn - o.rcv_nxt),
	       by_seq ? "sequence" : "timestamp", t1 - t0,
	       (int32_t)(isn - o.snd_nxt));
	if (mode == SEQ_ONLY)
		ASSERT_TRUE(by_seq) TH_LOG("client's ISN not after rcv_nxt");
	assert_counts(_metadata, &c0, &c1, want, "reconnect");
	ASSERT_LE(get_knob(_metadata, "tw_isn_gap"),
		  (int32_t)(isn - o.snd_nxt));
	ASSERT_EQ(-ENOENT, tw_find(_metadata, family, self->port, o.cport,
				   NULL)) TH_LOG("TIME-WAIT still there");
	assert_works(_metadata, self->lfd, fd);
	close(fd);
}

/*
 * Mode 0: every SYN while TIME-WAIT lasts is refused with an ACK (as many
 * as the TIME-WAIT ACK rate limit lets out), the client's RST to it is
 * ignored, and the connect succeeds on the first SYN after
 * TIME-WAIT ended.  The client retransmits its SYN almost at once after
 * the first unacceptable ACK (TCP_TIMEOUT_MIN), then 6.1 after 2 s, 6 s
 * (exponential backoff) and 6.12 after 1 s, 2 s (its first SYN timeouts
 * are linear): started RECONNECT_DELAY_MS into a TIME-WAIT of
 * RECONNECT_TW_MS, the connect succeeds about 2 s later on both.
 */
static void reconnect_never(struct __test_metadata *_metadata,
			    FIXTURE_DATA(tw) *self, int family)
{
	long long want[C_NR] = { 0, 0, ANY, 0, 0, 0, 0 };
	struct tt_diag_sock ds;
	struct counts c0, c1;
	struct old_conn o;
	unsigned int mark;
	long long t0, t_check, t1;
	int fd, i, err, syns, acks, rsts;

	make_old(_metadata, family, self->lfd, self->port, &self->cap,
		 SMALL_BYTES, SMALL_BYTES, true, &o);
	mark = cap_mark(_metadata, &self->cap);
	counts_take(_metadata, &c0);
	t0 = RECONNECT_DELAY_MS - (now_ms() - o.t_fin);
	if (t0 > 0)
		tt_msleep(t0);
	t0 = now_ms();
	fd = reconnect_start(_metadata, family, self->port, &o);

	/* ACK from TIME-WAIT: its snd_nxt and rcv_nxt */
	i = cap_wait(_metadata, &self->cap, mark, TT_TH_ACK, true, self->port,
		     o.cport, IO_MS);
	ASSERT_LE(0, i) TH_LOG("no ACK to the SYN");
	ASSERT_EQ(o.snd_nxt, self->cap.seg[i].seq);
	ASSERT_EQ(o.rcv_nxt, self->cap.seg[i].ack);
	/* the client's RST to it, sequence = that ACK's */
	i = cap_wait(_metadata, &self->cap, i, TT_TH_RST, true, o.cport,
		     self->port, IO_MS);
	ASSERT_LE(0, i) TH_LOG("no RST from the client");
	ASSERT_EQ(o.rcv_nxt, self->cap.seg[i].seq);
	tt_msleep(20);		/* the RST has been processed */
	ASSERT_EQ(0, tw_find(_metadata, family, self->port, o.cport, &ds))
		TH_LOG("TIME-WAIT gone after the client's RST");
	t_check = now_ms();
	/* else TIME-WAIT would have ended anyway: the check proves nothing */
	ASSERT_GT(RECONNECT_TW_MS, t_check - o.t_fin)
		TH_LOG("guest too slow: checked %lld ms in", t_check - o.t_fin);
	counts_take(_metadata, &c1);
	ASSERT_LE(1, c1.v[C_NEVER] - c0.v[C_NEVER]);

	err = reconnect_wait(_metadata, fd, 3 * IO_MS);
	t1 = now_ms();
	ASSERT_EQ(0, err) TH_LOG("connect: %s", strerror(err));
	counts_take(_metadata, &c1);

	syns = cap_count_from(_metadata, &self->cap, mark, TT_TH_SYN, true,
			      o.cport, self->port);
	acks = cap_count_from(_metadata, &self->cap, mark, TT_TH_ACK, true,
			      self->port, o.cport);
	rsts = cap_count_from(_metadata, &self->cap, mark, TT_TH_RST, true,
			      o.cport, self->port);
	TH_LOG("mode 0: connected %lld ms after TIME-WAIT began (%d ms long), %lld ms after connect(); SYNs %d, ACKs %d, RSTs %d, tw_syn_refused_never +%lld, TIME-WAIT still there %lld ms in (%u ms left)",
	       t1 - o.t_fin, RECONNECT_TW_MS, t1 - t0, syns, acks, rsts,
	       c1.v[C_NEVER] - c0.v[C_NEVER], t_check - o.t_fin,
	       ds.expires_ms);
	/*
	 * Not before TIME-WAIT's end (o.t_fin precedes its start), and not
	 * by reopening it: every SYN but the last hit TIME-WAIT and was
	 * refused, the last one found no TIME-WAIT (no reopen counted).
	 */
	ASSERT_LE(RECONNECT_TW_MS - TICK_MS, t1 - o.t_fin);
	/*
	 * The first SYN's ACK, then the kernel's rate limit on TIME-WAIT
	 * ACKs (tcp_invalid_ratelimit, 500 ms) may skip the retransmission
	 * that follows at once.
	 */
	ASSERT_LE(1, acks);
	ASSERT_GE(syns - 1, acks);
	ASSERT_EQ(acks, rsts);
	want[C_NEVER] = syns - 1;
	assert_counts(_metadata, &c0, &c1, want, "never");
	ASSERT_EQ(1, cap_count_from(_metadata, &self->cap, mark,
				    TT_TH_SYN | TT_TH_ACK, true, self->port,
				    o.cport));
	assert_works(_metadata, self->lfd, fd);
	close(fd);
}

TEST_F_TIMEOUT(tw, reconnect_per_mode, TT_TIMEOUT(30))
{
	int mode;

	cap_open(_metadata, &self->cap, false);
	set_knob(_metadata, "time_wait_ms", RECONNECT_TW_MS);
	for (mode = STOCK; mode >= NEVER; mode--) {
		set_knob(_metadata, "tw_reopen", mode);
		if (mode == NEVER)
			reconnect_never(_metadata, self, variant->family);
		else
			reconnect_reopens(_metadata, self, variant->family,
					  mode);
	}
}

/* ---- 2: crafted SYNs on TIME-WAIT ---- */

/*
 * A raised ISN is the floor (old snd_nxt + gap) plus up to 24 random
 * bits (RFC 6528), never exactly predictable from the old incarnation.
 */
#define ISN_RANDOM	(1LL << 24)

static void assert_raised(struct __test_metadata *_metadata, uint32_t dist,
			  long long gap)
{
	ASSERT_LE(gap, (long long)dist) TH_LOG("raised below the floor");
	ASSERT_GT(gap + ISN_RANDOM, (long long)dist)
		TH_LOG("raised beyond the floor plus 2^24");
	/* one chance in 2^24 of a false failure */
	ASSERT_NE(gap, (long long)dist) TH_LOG("raised to exactly the floor");
}

enum syn_kind {
	SYN_OLD_SEQ,	/* seq before rcv_nxt, no timestamp */
	SYN_NEW_SEQ,	/* seq after rcv_nxt, no timestamp */
	SYN_NEW_TS,	/* seq before rcv_nxt, newer TSval */
};

#define SYN_DIST	100000

static const char * const syn_kind_name[] = {
	[SYN_OLD_SEQ] = "old seq",
	[SYN_NEW_SEQ] = "new seq",
	[SYN_NEW_TS] = "old seq, newer timestamp",
};

static bool rfc1337(struct __test_metadata *_metadata)
{
	long long v = -1;

	ASSERT_EQ(0, tt_read_int(RFC1337, &v));
	return v != 0;
}

/*
 * One fresh TIME-WAIT, one crafted SYN from the client's end of it, and
 * what answered: a SYN-ACK (reopened) or an ACK (refused).  Nobody listens
 * on the client's port any more, so the client's kernel answers either
 * with a RST: to the SYN-ACK it drops the request, to the ACK it is the
 * RFC 1337 assassination that mode 0 must ignore.
 */
static void inject_one(struct __test_metadata *_metadata,
		       FIXTURE_DATA(tw) *self, int family, int mode,
		       enum syn_kind kind)
{
	long long want[C_NR] = { 0, 0, 0, 0, 0, 0, 0 };
	struct tt_raw_seg seg = {
		.family = family,
		.flags = TT_TH_SYN,
		.mss = 1460,
	};
	bool reopen;
	struct counts c0, c1;
	struct old_conn o;
	unsigned int mark;
	int i, ret, tw_there;
	long long gap = get_knob(_metadata, "tw_isn_gap");

	make_old(_metadata, family, self->lfd, self->port, &self->cap,
		 SMALL_BYTES, SMALL_BYTES, true, &o);
	seg.sport = o.cport;
	seg.dport = self->port;
	seg.seq = kind == SYN_NEW_SEQ ? o.rcv_nxt + SYN_DIST :
					o.rcv_nxt - SYN_DIST;
	if (kind == SYN_NEW_TS) {
		seg.ts = true;
		seg.tsval = o.c_tsval + 1000;
	}
	switch (kind) {
	case SYN_OLD_SEQ:
		reopen = false;
		want[C_STOCK] = 1;
		break;
	case SYN_NEW_SEQ:
		reopen = mode != NEVER;
		want[reopen ? C_SEQ : C_NEVER] = 1;
		want[C_RAISED] = ANY;
		break;
	default:
		reopen = mode == STOCK;
		want[mode == STOCK ? C_TS : mode == SEQ_ONLY ? C_REF_TS :
		     C_NEVER] = 1;
		want[C_RAISED] = ANY;
		break;
	}

	mark = cap_mark(_metadata, &self->cap);
	counts_take(_metadata, &c0);
	ret = tt_raw_send(&seg);
	ASSERT_EQ(0, ret) TH_LOG("raw SYN: %s", strerror(-ret));
	i = cap_wait(_metadata, &self->cap, mark,
		     reopen ? TT_TH_SYN | TT_TH_ACK : TT_TH_ACK, true,
		     self->port, o.cport, IO_MS);
	ASSERT_LE(0, i) TH_LOG("mode %d, %s: no %s", mode,
			       syn_kind_name[kind],
			       reopen ? "SYN-ACK" : "ACK");
	if (reopen) {
		uint32_t isn = self->cap.seg[i].seq;

		ASSERT_EQ(seg.seq + 1, self->cap.seg[i].ack);
		ASSERT_LE(gap, (int32_t)(isn - o.snd_nxt));
		TH_LOG("mode %d, %s: SYN-ACK, ISN = old snd_nxt %+d", mode,
		       syn_kind_name[kind], (int32_t)(isn - o.snd_nxt));
		/* the client's kernel resets the request */
		ASSERT_LE(0, cap_wait(_metadata, &self->cap, i, TT_TH_RST,
				      true, o.cport, self->port, IO_MS));
	} else {
		ASSERT_EQ(o.snd_nxt, self->cap.seg[i].seq);
		ASSERT_EQ(o.rcv_nxt, self->cap.seg[i].ack);
		ASSERT_LE(0, cap_wait(_metadata, &self->cap, i, TT_TH_RST,
				      true, o.cport, self->port, IO_MS))
			TH_LOG("no RST from the client's kernel");
	}
	tt_msleep(50);		/* anything else would have come by now */
	ASSERT_GT(0, cap_find(_metadata, &self->cap, mark,
			      reopen ? TT_TH_ACK : TT_TH_SYN | TT_TH_ACK, true,
			      self->port, o.cport))
		TH_LOG("mode %d, %s: both an ACK and a SYN-ACK", mode,
		       syn_kind_name[kind]);
	counts_take(_metadata, &c1);
	assert_counts(_metadata, &c0, &c1, want, syn_kind_name[kind]);
	if (c1.v[C_RAISED] > c0.v[C_RAISED]) {
		i = cap_find(_metadata, &self->cap, mark,
			     TT_TH_SYN | TT_TH_ACK, true, self->port, o.cport);
		assert_raised(_metadata, self->cap.seg[i].seq - o.snd_nxt,
			      gap);
	}

	tw_there = tw_find(_metadata, family, self->port, o.cport, NULL);
	if (reopen) {
		ASSERT_EQ(-ENOENT, tw_there) TH_LOG("reopened, TIME-WAIT kept");
	} else if (mode == NEVER) {
		ASSERT_EQ(0, tw_there) TH_LOG("mode 0: RST ended TIME-WAIT");
	} else if (!rfc1337(_metadata)) {
		/* stock assassination: shows the RST did reach TIME-WAIT */
		ASSERT_EQ(-ENOENT, tw_there)
			TH_LOG("mode %d: RST did not end TIME-WAIT", mode);
	}
}

static void injected(struct __test_metadata *_metadata,
		     FIXTURE_DATA(tw) *self, int family, enum syn_kind kind)
{
	int mode;

	cap_open(_metadata, &self->cap, false);
	set_knob(_metadata, "time_wait_ms", 5000);
	for (mode = STOCK; mode >= NEVER; mode--) {
		set_knob(_metadata, "tw_reopen", mode);
		inject_one(_metadata, self, family, mode, kind);
	}
}

TEST_F_TIMEOUT(tw, injected_syn_old_seq, TT_TIMEOUT(30))
{
	injected(_metadata, self, variant->family, SYN_OLD_SEQ);
}

TEST_F_TIMEOUT(tw, injected_syn_new_seq, TT_TIMEOUT(30))
{
	injected(_metadata, self, variant->family, SYN_NEW_SEQ);
}

TEST_F_TIMEOUT(tw, injected_syn_new_ts, TT_TIMEOUT(30))
{
	injected(_metadata, self, variant->family, SYN_NEW_TS);
}

/* ---- 3: the reopened connection's ISN after a fast old incarnation ---- */

#define ISN_NS_PER_TICK	64	/* 6.1's clock-based ISN: one per 64 ns */

/*
 * The server sends BULK_BYTES, closes first; the client reconnects from
 * its port.  The reopened connection's ISN, from the captured SYN-ACK,
 * against the old snd_nxt (old ISN + SYN + bytes + FIN).
 */
static void isn_after_bulk(struct __test_metadata *_metadata,
			   FIXTURE_DATA(tw) *self, int family, bool enabled,
			   long long gap)
{
	long long want[C_NR] = { 0, 0, 0, 0, 0, 0, 0 };
	long long t_rc0, t_rc1, dt_min, dt_max, ticks_min, ticks_max, need;
	struct counts c0, c1;
	struct old_conn o;
	unsigned int mark;
	double xfer_s, life_s;
	uint32_t syn, isn;
	int32_t dist;
	bool by_seq;
	int fd, i;

	cap_open(_metadata, &self->cap, true);	/* bulk data: SYN/FIN/RST only */
	set_knob(_metadata, "enabled", enabled);
	set_knob(_metadata, "tw_isn_gap", gap);
	set_knob(_metadata, "time_wait_ms", 5000);
	make_old(_metadata, family, self->lfd, self->port, &self->cap, 0,
		 BULK_BYTES, true, &o);
	ASSERT_EQ(0ULL, self->cap.drops);
	mark = cap_mark(_metadata, &self->cap);
	counts_take(_metadata, &c0);
	t_rc0 = now_ms();
	fd = reconnect_start(_metadata, family, self->port, &o);
	ASSERT_EQ(0, reconnect_wait(_metadata, fd, IO_MS));
	t_rc1 = now_ms();
	counts_take(_metadata, &c1);

	i = cap_find(_metadata, &self->cap, mark, TT_TH_SYN, true, o.cport,
		     self->port);
	ASSERT_LE(0, i);
	syn = self->cap.seg[i].seq;
	by_seq = seq_after(syn, o.rcv_nxt);
	i = cap_find(_metadata, &self->cap, mark, TT_TH_SYN | TT_TH_ACK, true,
		     self->port, o.cport);
	ASSERT_LE(0, i);
	isn = self->cap.seg[i].seq;
	dist = isn - o.snd_nxt;

	/* both ISNs were chosen within these windows (ms, truncated) */
	dt_min = t_rc0 - o.t_conn - 1;
	dt_max = t_rc1 - o.t_start + 1;
	ticks_min = dt_min * 1000000 / ISN_NS_PER_TICK;
	ticks_max = dt_max * 1000000 / ISN_NS_PER_TICK;
	xfer_s = (o.t_data - o.t_conn) / 1000.0;
	life_s = (t_rc1 - o.t_start) / 1000.0;
	TH_LOG("%s: %u MB in %.3f s = %.1f MB/s; over the life, SYN to new SYN-ACK %.3f s: %.1f MB/s (6.1's ISN clock: 15.6)",
	       enabled ? "module" : "stock", BULK_BYTES >> 20, xfer_s,
	       BULK_BYTES / 1e6 / (xfer_s > 0 ? xfer_s : 1e-3), life_s,
	       BULK_BYTES / 1e6 / (life_s > 0 ? life_s : 1e-3));
	TH_LOG("%s (tw_isn_gap %lld): new ISN = old snd_nxt %+d; a clock ISN would be old snd_nxt %+lld..%+lld; raised %lld",
	       enabled ? "module" : "stock", gap, dist,
	       ticks_min - BULK_BYTES - 2, ticks_max - BULK_BYTES - 2,
	       c1.v[C_RAISED] - c0.v[C_RAISED]);

	if (!enabled) {
		/* the module takes no decision and counts nothing */
		assert_counts(_metadata, &c0, &c1, want, "enabled=0");
		assert_works(_metadata, self->lfd, fd);
		close(fd);
		return;
	}
	want[by_seq ? C_SEQ : C_TS] = 1;
	want[C_RAISED] = ANY;
	assert_counts(_metadata, &c0, &c1, want, "reopen");
	/* the module's guarantee */
	ASSERT_LE(gap, dist);
	if (c1.v[C_RAISED] > c0.v[C_RAISED])
		assert_raised(_metadata, dist, gap);

	/* when the kernel's own choice is known, so is the raise */
	need = BULK_BYTES + 2 + gap;	/* clock ticks the floor needs */
	if (stock_keeps_tw_isn()) {
		ASSERT_EQ((long long)(gap > STOCK_GAP),
			  c1.v[C_RAISED] - c0.v[C_RAISED]);
		if (gap > STOCK_GAP)
			assert_raised(_metadata, dist, gap);
		else
			ASSERT_EQ(STOCK_GAP, dist);
	} else if (need > ticks_max) {
		ASSERT_EQ(1, c1.v[C_RAISED] - c0.v[C_RAISED])
			TH_LOG("clock ISN is below the floor: must be raised");
	} else if (need < ticks_min) {
		ASSERT_EQ(0, c1.v[C_RAISED] - c0.v[C_RAISED])
			TH_LOG("clock ISN is above the floor: must be kept");
	}
	assert_works(_metadata, self->lfd, fd);
	close(fd);
}

TEST_F_TIMEOUT(tw, isn_after_bulk, TT_TIMEOUT(120))
{
	isn_after_bulk(_metadata, self, variant->family, true, STOCK_GAP);
}

TEST_F_TIMEOUT(tw, isn_after_bulk_gap_1m, TT_TIMEOUT(120))
{
	isn_after_bulk(_metadata, self, variant->family, true, 1000000);
}

TEST_F_TIMEOUT(tw, isn_after_bulk_stock, TT_TIMEOUT(120))
{
	isn_after_bulk(_metadata, self, variant->family, false, STOCK_GAP);
}

/* ---- 4: TIME-WAIT length, per namespace ---- */

#define SHORT_TW_MS	1000
#define LONG_CHECK_MS	3000

/*
 * The time left that inet_diag shows at @t_query agrees with a TIME-WAIT
 * of @len_ms begun after @t_begin (and before the query).
 */
static void assert_expires(struct __test_metadata *_metadata,
			   long long t_begin, const struct tt_diag_sock *ds,
			   long long t_query, long long len_ms)
{
	ASSERT_GE(len_ms + LEFT_SLACK_MS, (long long)ds->expires_ms);
	ASSERT_LE(len_ms - (t_query - t_begin) - LEFT_SLACK_MS,
		  (long long)ds->expires_ms);
}

/*
 * Netns A shortens TIME-WAIT to 1 s, netns B next door keeps the default.
 * A's server enters TIME-WAIT both ways the kernel has: after close(),
 * through the FIN_WAIT2 minisock (whose timer is then re-armed), and
 * after shutdown(), from the full socket (a new timewait sock is armed).
 * Each is one TIME-WAIT socket given a non-default length.
 */
TEST_F_TIMEOUT(tw, time_wait_length, TT_TIMEOUT(60))
{
	static const char * const how[] = { "close()", "shutdown()" };
	long long want_a[C_NR] = { 0, 0, 0, 0, 0, 0, 1 };
	long long want_b[C_NR] = { 0, 0, 0, 0, 0, 0, 0 };
	int family = variant->family;
	struct counts c0, c1, cb0, cb1;
	struct old_conn b, a[2];
	struct tt_diag_sock ds;
	long long gone, t;
	unsigned short port_b;
	int ns_b, lfd_b, i;

	/* B: a namespace next door with the default length */
	ns_b = tt_netns_new();
	ASSERT_LE(0, ns_b);
	lfd_b = g_dual ? tt_net_listen_dual(4, &port_b) :
			 tt_net_listen(family, 4, &port_b);
	ASSERT_LE(0, lfd_b);
	counts_take(_metadata, &cb0);
	make_old(_metadata, family, lfd_b, port_b, NULL, SMALL_BYTES,
		 SMALL_BYTES, true, &b);
	counts_take(_metadata, &cb1);
	assert_expires(_metadata, b.t_fin, &b.tw, b.t_tw, STOCK_TW_MS);
	assert_counts(_metadata, &cb0, &cb1, want_b, "netns B");

	/* A: the fixture's */
	ASSERT_EQ(0, tt_netns_enter(self->bed.ns));
	set_knob(_metadata, "time_wait_ms", SHORT_TW_MS);
	for (i = 0; i < 2; i++) {
		counts_take(_metadata, &c0);
		make_old(_metadata, family, self->lfd, self->port, NULL,
			 SMALL_BYTES, SMALL_BYTES, i == 0, &a[i]);
		counts_take(_metadata, &c1);
		TH_LOG("server %s%s: tw_length_set +%lld", how[i],
		       i ? "" : a[i].fw2_minisock ? " (FIN_WAIT2 minisock)" :
						     " (FIN_WAIT2 full socket)",
		       c1.v[C_LEN] - c0.v[C_LEN]);
		assert_expires(_metadata, a[i].t_fin, &a[i].tw, a[i].t_tw,
			       SHORT_TW_MS);
		assert_counts(_metadata, &c0, &c1, want_a, how[i]);
	}
	for (i = 0; i < 2; i++) {
		gone = tw_wait_gone(_metadata, family, self->port, a[i].cport,
				    SHORT_TW_MS + TW_SLACK_MS);
		ASSERT_LT(0, gone) TH_LOG("TIME-WAIT after %s outlived %d ms",
					  how[i], SHORT_TW_MS + TW_SLACK_MS);
		TH_LOG("time_wait_ms=%d, server %s: TIME-WAIT gone after %lld..%lld ms",
		       SHORT_TW_MS, how[i], gone - a[i].t_tw,
		       gone - a[i].t_fin);
		ASSERT_LE(SHORT_TW_MS - TICK_MS, gone - a[i].t_fin);
	}

	/* B still has its TIME-WAIT, about a minute of it left */
	ASSERT_EQ(0, tt_netns_enter(ns_b));
	t = b.t_fin + LONG_CHECK_MS - now_ms();
	if (t > 0)
		tt_msleep(t);
	ASSERT_EQ(0, tw_find(_metadata, family, port_b, b.cport, &ds))
		TH_LOG("default TIME-WAIT gone within %d ms", LONG_CHECK_MS);
	t = now_ms();
	TH_LOG("netns B (default): TIME-WAIT there after %lld ms, %u ms left",
	       t - b.t_fin, ds.expires_ms);
	assert_expires(_metadata, b.t_fin, &ds, t, STOCK_TW_MS);
	close(lfd_b);
	close(ns_b);
	ASSERT_EQ(0, tt_netns_enter(self->bed.ns));
}

/*
 * The kernel restarts the TIME-WAIT timer with its own 60 s on a bare ACK
 * in window: with time_wait_ms set, the restart is to that length too,
 * and it is no new TIME-WAIT socket for tw_length_set.
 */
#define REARM_AFTER_MS	500

TEST_F_TIMEOUT(tw, time_wait_rearm, TT_TIMEOUT(60))
{
	long long want[C_NR] = { 0, 0, 0, 0, 0, 0, 0 };
	int family = variant->family;
	struct tt_raw_seg ack = {
		.family = family,
		.flags = TT_TH_ACK,
	};
	struct tt_diag_sock ds;
	struct counts c0, c1;
	struct old_conn o;
	long long t_ack, gone, t;
	int ret;

	cap_open(_metadata, &self->cap, true);
	set_knob(_metadata, "time_wait_ms", SHORT_TW_MS);
	make_old(_metadata, family, self->lfd, self->port, &self->cap,
		 SMALL_BYTES, SMALL_BYTES, true, &o);
	tt_msleep(REARM_AFTER_MS);
	counts_take(_metadata, &c0);
	ack.sport = o.cport;
	ack.dport = self->port;
	ack.seq = o.rcv_nxt;
	ack.ack = o.snd_nxt;
	t_ack = now_ms();	/* the timer restarts after this */
	ret = tt_raw_send(&ack);
	ASSERT_EQ(0, ret) TH_LOG("raw ACK: %s", strerror(-ret));
	tt_msleep(20);
	ASSERT_EQ(0, tw_find(_metadata, family, self->port, o.cport, &ds));
	t = now_ms();
	counts_take(_metadata, &c1);
	assert_counts(_metadata, &c0, &c1, want, "re-arm");
	TH_LOG("bare ACK %lld ms into TIME-WAIT: %u ms left after it",
	       t_ack - o.t_fin, ds.expires_ms);
	assert_expires(_metadata, t_ack, &ds, t, SHORT_TW_MS);

	gone = tw_wait_gone(_metadata, family, self->port, o.cport,
			    SHORT_TW_MS + TW_SLACK_MS);
	ASSERT_LT(0, gone) TH_LOG("TIME-WAIT outlived %d ms after the ACK",
				  SHORT_TW_MS + TW_SLACK_MS);
	TH_LOG("gone %lld ms after the ACK, %lld ms after TIME-WAIT began",
	       gone - t_ack, gone - o.t_fin);
	ASSERT_LE(SHORT_TW_MS - TICK_MS, gone - t_ack);
}

/* ---- 5: unloading with TIME-WAIT sockets ---- */

/* An unload takes seconds under load, more on a debug kernel: the
 * shortened TIME-WAITs must outlive it for the test to see them. */
#define UNLOAD_TW_MS	((int)tt_time_scaled(6000))
#define UNLOAD_NR	4

TEST_F_TIMEOUT(tw, unload_with_time_wait, TT_TIMEOUT(120))
{
	int family = variant->family;
	struct old_conn o[UNLOAD_NR], late;
	struct tt_diag_sock ds;
	long long gone, t;
	int i, fd;

	set_knob(_metadata, "time_wait_ms", UNLOAD_TW_MS);
	for (i = 0; i < UNLOAD_NR; i++)
		make_old(_metadata, family, self->lfd, self->port, NULL,
			 SMALL_BYTES, SMALL_BYTES, i & 1, &o[i]);
	ASSERT_EQ(UNLOAD_NR, tt_diag_count(srv_family(family), TW_STATE,
					   self->port, 0, NULL));

	ASSERT_EQ(0, tt_module_unload());
	ASSERT_FALSE(tt_module_loaded());
	ASSERT_NE(0, access(TT_SYSCTL_DIR, F_OK));

	/* still there, on the timers the module had shortened */
	for (i = 0; i < UNLOAD_NR; i++) {
		ASSERT_EQ(0, tw_find(_metadata, family, self->port, o[i].cport,
				     &ds)) TH_LOG("TIME-WAIT %d gone", i);
		t = now_ms();
		assert_expires(_metadata, o[i].t_fin, &ds, t, UNLOAD_TW_MS);
	}

	/* a new one after unloading: stock length */
	make_old(_metadata, family, self->lfd, self->port, NULL, SMALL_BYTES,
		 SMALL_BYTES, true, &late);
	assert_expires(_metadata, late.t_fin, &late.tw, late.t_tw, STOCK_TW_MS);

	for (i = 0; i < UNLOAD_NR; i++) {
		gone = tw_wait_gone(_metadata, family, self->port, o[i].cport,
				    UNLOAD_TW_MS + TW_SLACK_MS);
		ASSERT_LT(0, gone) TH_LOG("TIME-WAIT %d stuck", i);
		ASSERT_LE(UNLOAD_TW_MS - TICK_MS, gone - o[i].t_fin);
		TH_LOG("after unload: TIME-WAIT %d gone %lld..%lld ms in", i,
		       gone - o[i].t_tw, gone - o[i].t_fin);
	}

	/* stock reopening on the stock TIME-WAIT, no module code left */
	fd = reconnect_start(_metadata, family, self->port, &late);
	ASSERT_EQ(0, reconnect_wait(_metadata, fd, IO_MS));
	ASSERT_EQ(-ENOENT, tw_find(_metadata, family, self->port, late.cport,
				   NULL));
	assert_works(_metadata, self->lfd, fd);
	close(fd);
}

/* ---- return to TIME-WAIT (tw_restore) ---- */

#define RESTORE_TW_MS	3000

static long long restored_before;	/* tw_restored before old_duplicate() */

/*
 * A crafted SYN above the old rcv_nxt reopens a fresh TIME-WAIT; the
 * client's kernel, which has no such connection, answers our SYN-ACK with
 * a RST: the SYN was an old duplicate.  Returns the SYN-ACK's index.
 */
static int old_duplicate(struct __test_metadata *_metadata,
			 FIXTURE_DATA(tw) *self, int family,
			 const struct old_conn *o)
{
	struct tt_raw_seg seg = {
		.family = family,
		.flags = TT_TH_SYN,
		.mss = 1460,
		.sport = o->cport,
		.dport = self->port,
		.seq = o->rcv_nxt + SYN_DIST,
	};
	unsigned int mark = cap_mark(_metadata, &self->cap);
	struct counts c;
	int i, ret;

	counts_take(_metadata, &c);
	restored_before = c.v[C_RESTORED];
	ret = tt_raw_send(&seg);
	ASSERT_EQ(0, ret) TH_LOG("raw SYN: %s", strerror(-ret));
	i = cap_wait(_metadata, &self->cap, mark, TT_TH_SYN | TT_TH_ACK, true,
		     self->port, o->cport, IO_MS);
	ASSERT_LE(0, i) TH_LOG("the SYN did not reopen");
	ASSERT_LE(0, cap_wait(_metadata, &self->cap, i, TT_TH_RST, true,
			      o->cport, self->port, IO_MS))
		TH_LOG("no RST from the client's kernel");
	return i;
}

/*
 * The TIME-WAIT of @o is there again, within a moment of the RST.
 * inet_diag lists a kept socket even while it is hidden from lookups:
 * tw_restored, counted once it is visible again, says when it is back.
 */
static void assert_back(struct __test_metadata *_metadata, int family,
			unsigned short port, const struct old_conn *o,
			struct tt_diag_sock *ds)
{
	long long end = now_ms() + IO_MS;
	struct counts c;

	for (;;) {
		counts_take(_metadata, &c);
		if (c.v[C_RESTORED] > restored_before &&
		    !tw_find(_metadata, family, port, o->cport, ds))
			return;
		ASSERT_LT(now_ms(), end) TH_LOG("not back in TIME-WAIT");
		tt_msleep(5);
	}
}

/*
 * tw_restore=1: after the old duplicate's RST the 4-tuple is in TIME-WAIT
 * again with what was left of its time, and goes at the original
 * deadline, not later.  tw_restore=0: the RST leaves nothing (stock).
 */
TEST_F_TIMEOUT(tw, restore_after_old_duplicate, TT_TIMEOUT(60))
{
	long long want[C_NR] = { 0 };
	struct tt_diag_sock ds;
	struct counts c0, c1;
	struct old_conn o;
	long long t_back, gone;

	cap_open(_metadata, &self->cap, false);
	set_knob(_metadata, "time_wait_ms", RESTORE_TW_MS);

	set_knob(_metadata, "tw_restore", 0);
	make_old(_metadata, variant->family, self->lfd, self->port,
		 &self->cap, SMALL_BYTES, SMALL_BYTES, true, &o);
	counts_take(_metadata, &c0);
	old_duplicate(_metadata, self, variant->family, &o);
	tt_msleep(200);
	ASSERT_EQ(-ENOENT, tw_find(_metadata, variant->family, self->port,
				   o.cport, NULL))
		TH_LOG("tw_restore=0: TIME-WAIT survived the reopen");
	counts_take(_metadata, &c1);
	want[C_SEQ] = 1;
	want[C_RAISED] = ANY;
	assert_counts(_metadata, &c0, &c1, want, "tw_restore=0");

	set_knob(_metadata, "tw_restore", 1);
	make_old(_metadata, variant->family, self->lfd, self->port,
		 &self->cap, SMALL_BYTES, SMALL_BYTES, true, &o);
	counts_take(_metadata, &c0);
	tt_msleep(500);		/* so that "the rest" differs from all */
	old_duplicate(_metadata, self, variant->family, &o);
	assert_back(_metadata, variant->family, self->port, &o, &ds);
	t_back = now_ms();
	TH_LOG("back in TIME-WAIT %lld ms after it began, %u ms left",
	       t_back - o.t_tw, ds.expires_ms);
	/* the rest of the original time, not a new one */
	assert_expires(_metadata, o.t_fin, &ds, t_back, RESTORE_TW_MS);
	ASSERT_GT(RESTORE_TW_MS - 400, (long long)ds.expires_ms);
	counts_take(_metadata, &c1);
	want[C_RESTORED] = 1;
	assert_counts(_metadata, &c0, &c1, want, "tw_restore=1");

	gone = tw_wait_gone(_metadata, variant->family, self->port, o.cport,
			    RESTORE_TW_MS + TW_SLACK_MS);
	ASSERT_LT(0, gone) TH_LOG("restored TIME-WAIT never ended");
	TH_LOG("gone %lld ms after TIME-WAIT began", gone - o.t_tw);
	ASSERT_LE(RESTORE_TW_MS - TICK_MS, gone - o.t_fin);
	ASSERT_GE(RESTORE_TW_MS + TW_SLACK_MS, gone - o.t_tw);
}

/*
 * A restored TIME-WAIT behaves as one: the client's retransmitted FIN is
 * answered with the TIME-WAIT ACK, and a new SYN is judged by tw_reopen
 * again (mode 0: an ACK).
 */
TEST_F_TIMEOUT(tw, restore_behaves_as_time_wait, TT_TIMEOUT(60))
{
	struct tt_raw_seg fin = {
		.family = variant->family,
		.flags = TT_TH_FIN | TT_TH_ACK,
	};
	struct tt_raw_seg syn = {
		.family = variant->family,
		.flags = TT_TH_SYN,
		.mss = 1460,
	};
	struct tt_diag_sock ds;
	struct old_conn o;
	unsigned int mark;
	int i, ret;

	cap_open(_metadata, &self->cap, false);
	set_knob(_metadata, "time_wait_ms", 10000);
	set_knob(_metadata, "tw_restore", 1);
	/*
	 * The client's kernel answers each TIME-WAIT ACK below with an
	 * in-window RST, which would end any TIME-WAIT (RFC 1337).
	 */
	ASSERT_EQ(0, tt_write_str(RFC1337, "1"));
	make_old(_metadata, variant->family, self->lfd, self->port,
		 &self->cap, SMALL_BYTES, SMALL_BYTES, true, &o);
	old_duplicate(_metadata, self, variant->family, &o);
	assert_back(_metadata, variant->family, self->port, &o, &ds);

	fin.sport = o.cport;
	fin.dport = self->port;
	fin.seq = o.rcv_nxt - 1;
	fin.ack = o.snd_nxt;
	mark = cap_mark(_metadata, &self->cap);
	ret = tt_raw_send(&fin);
	ASSERT_EQ(0, ret) TH_LOG("raw FIN: %s", strerror(-ret));
	i = cap_wait(_metadata, &self->cap, mark, TT_TH_ACK, true, self->port,
		     o.cport, IO_MS);
	ASSERT_LE(0, i) TH_LOG("retransmitted FIN not ACKed");
	ASSERT_EQ(o.snd_nxt, self->cap.seg[i].seq);
	ASSERT_EQ(o.rcv_nxt, self->cap.seg[i].ack);

	set_knob(_metadata, "tw_reopen", NEVER);
	syn.sport = o.cport;
	syn.dport = self->port;
	syn.seq = o.rcv_nxt + 2 * SYN_DIST;
	mark = cap_mark(_metadata, &self->cap);
	ret = tt_raw_send(&syn);
	ASSERT_EQ(0, ret) TH_LOG("raw SYN: %s", strerror(-ret));
	i = cap_wait(_metadata, &self->cap, mark, TT_TH_ACK, true, self->port,
		     o.cport, IO_MS);
	ASSERT_LE(0, i) TH_LOG("mode 0: new SYN not answered by an ACK");
	ASSERT_EQ(o.rcv_nxt, self->cap.seg[i].ack);
	tt_msleep(50);
	ASSERT_GT(0, cap_find(_metadata, &self->cap, mark,
			      TT_TH_SYN | TT_TH_ACK, true, self->port,
			      o.cport))
		TH_LOG("mode 0 reopened a restored TIME-WAIT");
	ASSERT_EQ(0, tw_find(_metadata, variant->family, self->port, o.cport,
			     NULL));
}

/*
 * With tw_restore=1 a real reconnect still works, and once it is
 * established the old TIME-WAIT is gone for good; unloading with a
 * restored TIME-WAIT in place is clean.
 */
TEST_F_TIMEOUT(tw, restore_then_real_reconnect, TT_TIMEOUT(60))
{
	struct old_conn o;
	long long end;
	int cfd, ret;

	cap_open(_metadata, &self->cap, false);
	set_knob(_metadata, "time_wait_ms", 10000);
	set_knob(_metadata, "tw_restore", 1);
	make_old(_metadata, variant->family, self->lfd, self->port,
		 &self->cap, SMALL_BYTES, SMALL_BYTES, true, &o);
	cfd = reconnect_start(_metadata, variant->family, self->port, &o);
	ret = reconnect_wait(_metadata, cfd, IO_MS);
	ASSERT_EQ(0, ret) TH_LOG("reconnect: %s", strerror(-ret));
	assert_works(_metadata, self->lfd, cfd);
	end = now_ms() + IO_MS;
	while (tw_find(_metadata, variant->family, self->port, o.cport,
		       NULL) == 0) {
		ASSERT_LT(now_ms(), end) TH_LOG("old TIME-WAIT still there");
		tt_msleep(20);
	}
	close(cfd);

	make_old(_metadata, variant->family, self->lfd, self->port,
		 &self->cap, SMALL_BYTES, SMALL_BYTES, true, &o);
	old_duplicate(_metadata, self, variant->family, &o);
	assert_back(_metadata, variant->family, self->port, &o, NULL);
	ret = tt_module_unload();
	ASSERT_EQ(0, ret) TH_LOG("unload: %s", strerror(-ret));
	ASSERT_EQ(0, tw_find(_metadata, variant->family, self->port, o.cport,
			     NULL)) TH_LOG("unload lost the TIME-WAIT");
}

/*
 * The old incarnation, then a real reconnect from its port; with
 * tw_restore=1 the old TIME-WAIT must go once the new connection is
 * established, and never come back.
 */
static void restore_reconnect(struct __test_metadata *_metadata,
			      FIXTURE_DATA(tw) *self, int family,
			      bool reset_at_once)
{
	struct counts c0, c1;
	struct old_conn o;
	long long end;
	int cfd, ret;

	set_knob(_metadata, "time_wait_ms", 10000);
	set_knob(_metadata, "tw_restore", 1);
	make_old(_metadata, family, self->lfd, self->port, NULL, SMALL_BYTES,
		 SMALL_BYTES, true, &o);
	counts_take(_metadata, &c0);
	cfd = reconnect_start(_metadata, family, self->port, &o);
	ret = reconnect_wait(_metadata, cfd, IO_MS);
	ASSERT_EQ(0, ret) TH_LOG("reconnect: %s", strerror(-ret));
	assert_works(_metadata, self->lfd, cfd);
	if (reset_at_once) {
		/* a short exchange, over before the next GC pass */
		ASSERT_EQ(0, tt_tcp_set_linger0(cfd));
		close(cfd);
		cfd = -1;
	}
	/* gone at once, and not back over many GC periods */
	end = now_ms() + 1000;
	while (now_ms() < end) {
		ASSERT_EQ(-ENOENT, tw_find(_metadata, family, self->port,
					   o.cport, NULL))
			TH_LOG("old TIME-WAIT there beside its successor");
		tt_msleep(10);
	}
	counts_take(_metadata, &c1);
	ASSERT_EQ(0, c1.v[C_RESTORED] - c0.v[C_RESTORED])
		TH_LOG("tw_restored counted for a successful reopen");
	if (cfd >= 0)
		close(cfd);
}

TEST_F_TIMEOUT(tw, restore_reconnect, TT_TIMEOUT(60))
{
	restore_reconnect(_metadata, self, variant->family, false);
}

/* The new connection is reset within 50 ms: the old one stays retired. */
TEST_F_TIMEOUT(tw, restore_reconnect_reset, TT_TIMEOUT(60))
{
	restore_reconnect(_metadata, self, variant->family, true);
}

/* The same behind a listener bound to lo with SO_BINDTODEVICE. */
TEST_F_TIMEOUT(tw, restore_reconnect_bound, TT_TIMEOUT(60))
{
	unsigned short port;
	int fd;

	fd = variant->dual ? tt_net_listen_dual(16, &port) :
			     tt_net_listen(variant->family, 16, &port);
	ASSERT_LE(0, fd);
	close(fd);
	/* a listener bound to lo first, then listening, on its own port */
	fd = tt_net_socket(srv_family(variant->family));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3))
		TH_LOG("SO_BINDTODEVICE: %s", strerror(errno));
	if (variant->dual) {
		struct sockaddr_in6 sin6 = {
			.sin6_family = AF_INET6,
			.sin6_addr = IN6ADDR_ANY_INIT,
			.sin6_port = htons(port),
		};
		int off = 0;

		ASSERT_EQ(0, setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
					sizeof(off)));
		ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)));
	} else {
		struct sockaddr_storage ss;
		socklen_t len = tt_loopback_addr(variant->family, port, &ss);

		ASSERT_EQ(0, bind(fd, (struct sockaddr *)&ss, len));
	}
	ASSERT_EQ(0, listen(fd, 16));
	close(self->lfd);
	self->lfd = fd;
	self->port = port;
	restore_reconnect(_metadata, self, variant->family, false);
}

/* ---- the self-check of the length hook ---- */

/* The kernel log since the module's last "loaded" line; NULL if none. */
static char *log_since_load(char *buf, int size)
{
	char *p, *last = NULL;
	int n = klogctl(3, buf, size - 1);	/* SYSLOG_ACTION_READ_ALL */

	if (n < 0)
		return NULL;
	buf[n] = 0;
	for (p = buf; (p = strstr(p, TT_MODNAME ": version ")); p++)
		last = p;
	return last;
}

/*
 * time_wait_ms rests on a hook a differently built kernel could bypass:
 * the first TIME-WAIT after the knob is set tells whether it is reached,
 * in the kernel log.
 */
TEST_F_TIMEOUT(tw, length_self_check, TT_TIMEOUT(60))
{
	static char buf[1 << 20];
	struct old_conn o;
	char *since;

	set_knob(_metadata, "time_wait_ms", 2000);
	make_old(_metadata, variant->family, self->lfd, self->port, NULL,
		 SMALL_BYTES, SMALL_BYTES, true, &o);
	since = log_since_load(buf, sizeof(buf));
	ASSERT_NE(NULL, since) TH_LOG("no load line in the kernel log");
	ASSERT_EQ(NULL, strstr(since, TT_MODNAME ": self-check failed"));
	ASSERT_NE(NULL, strstr(since, TT_MODNAME ": self-check passed"))
		TH_LOG("no self-check line after the first TIME-WAIT");
}

/* ---- SYN cookies, Fast Open, the TIME-WAIT ACK rate limit ---- */

#define SYNCOOKIES	"/proc/sys/net/ipv4/tcp_syncookies"
#define FASTOPEN	"/proc/sys/net/ipv4/tcp_fastopen"
#define INVALID_RL	"/proc/sys/net/ipv4/tcp_invalid_ratelimit"
#define COOKIE_ROUNDS	8
#define ACCEPT_MS	3000

static long long mib(struct __test_metadata *_metadata, const char *name)
{
	long long v = -1;
	int ret = tt_mib_read("TcpExt", name, &v);

	ASSERT_EQ(0, ret) TH_LOG("TcpExt %s: %s", name, strerror(-ret));
	return v;
}

static long long counter(struct __test_metadata *_metadata, const char *name)
{
	long long v = -1;
	int ret = tt_counter_read(name, &v);

	ASSERT_EQ(0, ret) TH_LOG("counter %s: %s", name, strerror(-ret));
	return v;
}

struct tw_setting {
	const char *knob;	/* NULL: the defaults */
	long long val;
};

/* Applied one after the other: each row adds to the ones before. */
static const struct tw_setting cookie_settings[] = {
	{ NULL, 0 },
	{ "tw_isn_gap", 1 << 30 },
	{ "time_wait_ms", 5000 },
	{ "tw_restore", 1 },
	{ "tw_reopen", SEQ_ONLY },
};

/*
 * tcp_syncookies=2: every SYN is answered with a cookie, so is the one
 * that reopens a TIME-WAIT where the kernel has lost its TIME-WAIT ISN
 * (6.1).  Whatever the knobs, the reopened connection works and no
 * cookie fails.
 */
TEST_F_TIMEOUT(tw, syncookies_reconnect, TT_TIMEOUT(600))
{
	int family = variant->family;
	long long failed0, sent0, raised0, raised, kept0, kept;
	struct old_conn o;
	unsigned int s;
	int r, fd, afd, err, bad;

	ASSERT_EQ(0, tt_write_str(SYNCOOKIES, "2"));
	for (s = 0; s < ARRAY_SIZE(cookie_settings); s++) {
		const struct tw_setting *st = &cookie_settings[s];

		if (st->knob)
			set_knob(_metadata, st->knob, st->val);
		failed0 = mib(_metadata, "SyncookiesFailed");
		sent0 = mib(_metadata, "SyncookiesSent");
		raised0 = counter(_metadata, "tw_isn_raised");
		kept0 = counter(_metadata, "tw_isn_not_raised");
		bad = 0;
		for (r = 0; r < COOKIE_ROUNDS; r++) {
			make_old(_metadata, family, self->lfd, self->port,
				 NULL, SMALL_BYTES, SMALL_BYTES, true, &o);
			fd = reconnect_start(_metadata, family, self->port,
					     &o);
			err = reconnect_wait(_metadata, fd, IO_MS);
			afd = err ? -1 : tt_net_accept(self->lfd, ACCEPT_MS);
			if (afd < 0 || tt_tcp_send_recv(fd, afd, "ping") ||
			    tt_tcp_send_recv(afd, fd, "pong"))
				bad++;
			if (afd >= 0)
				close(afd);
			close(fd);
		}
		raised = counter(_metadata, "tw_isn_raised") - raised0;
		kept = counter(_metadata, "tw_isn_not_raised") - kept0;
		TH_LOG("%s=%lld: %d of %d reconnects failed, SyncookiesSent +%lld, SyncookiesFailed +%lld, tw_isn_raised +%lld, tw_isn_not_raised +%lld",
		       st->knob ? st->knob : "defaults", st->val, bad,
		       COOKIE_ROUNDS, mib(_metadata, "SyncookiesSent") - sent0,
		       mib(_metadata, "SyncookiesFailed") - failed0, raised,
		       kept);
		ASSERT_EQ(0, bad);
		/*
		 * From the tw_isn_gap row on every reopen needs a raise: on
		 * 6.1 each is a cookie (kept), 6.12 never sends one for it.
		 */
		if (s > 0)
			ASSERT_EQ(COOKIE_ROUNDS, stock_keeps_tw_isn() ? raised :
						 kept);
		ASSERT_EQ(failed0, mib(_metadata, "SyncookiesFailed"));
		ASSERT_LT(sent0, mib(_metadata, "SyncookiesSent"))
			TH_LOG("no cookie sent: the test proves nothing");
	}
}

/*
 * A Fast Open SYN reopens a TIME-WAIT whose floor the kernel's ISN does
 * not reach (tw_isn_gap=2^30): the child exists before the SYN-ACK, so
 * its ISN must be left as it is, and the connection works.
 */
TEST_F_TIMEOUT(tw, fastopen_reopen, TT_TIMEOUT(120))
{
	int family = variant->family, qlen = 16, fd, afd, one = 1;
	long long tfo0, raised0, kept0;
	struct sockaddr_storage ss;
	struct old_conn o;
	socklen_t len;
	char buf[8];
	ssize_t n;

	/* client and server on, no cookie needed either way */
	ASSERT_EQ(0, tt_write_str(FASTOPEN, "519"));
	ASSERT_EQ(0, setsockopt(self->lfd, IPPROTO_TCP, TCP_FASTOPEN, &qlen,
				sizeof(qlen)));
	set_knob(_metadata, "tw_isn_gap", 1 << 30);
	make_old(_metadata, family, self->lfd, self->port, NULL, SMALL_BYTES,
		 SMALL_BYTES, true, &o);
	tfo0 = mib(_metadata, "TCPFastOpenPassive");
	raised0 = counter(_metadata, "tw_isn_raised");
	kept0 = counter(_metadata, "tw_reopen_seq") +
		counter(_metadata, "tw_reopen_ts");

	fd = tt_net_socket(family);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)));
	len = tt_loopback_addr(family, o.cport, &ss);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&ss, len));
	ASSERT_EQ(0, tt_set_io_timeout(fd, IO_MS));
	len = tt_loopback_addr(family, self->port, &ss);
	n = sendto(fd, "hello", 5, MSG_FASTOPEN, (struct sockaddr *)&ss, len);
	ASSERT_EQ(5, n) TH_LOG("sendto(MSG_FASTOPEN): %s", strerror(errno));
	afd = tt_net_accept(self->lfd, IO_MS);
	ASSERT_LE(0, afd) TH_LOG("accept: %s", strerror(-afd));
	ASSERT_EQ(0, tt_set_io_timeout(afd, IO_MS));
	ASSERT_EQ(5, recv(afd, buf, 5, MSG_WAITALL));
	ASSERT_EQ(0, memcmp(buf, "hello", 5));
	ASSERT_LT(tfo0, mib(_metadata, "TCPFastOpenPassive"))
		TH_LOG("not a Fast Open: the test proves nothing");
	ASSERT_LT(kept0, counter(_metadata, "tw_reopen_seq") +
			 counter(_metadata, "tw_reopen_ts"))
		TH_LOG("the SYN did not reopen the TIME-WAIT");
	/* the child answers what the client acknowledges */
	ASSERT_EQ(0, tt_tcp_send_recv(afd, fd, "pong"))
		TH_LOG("server -> client after the Fast Open reopen");
	ASSERT_EQ(0, tt_tcp_send_recv(fd, afd, "ping"))
		TH_LOG("client -> server after the Fast Open reopen");
	ASSERT_EQ(raised0, counter(_metadata, "tw_isn_raised"))
		TH_LOG("a Fast Open request's ISN was raised");
	close(afd);
	close(fd);
}

#define RL_SYNS		20
#define RL_MS		10000	/* tcp_invalid_ratelimit: one ACK per burst */

/* RL_SYNS SYNs of @kind at one fresh TIME-WAIT: how many ACKs answer. */
static int refused_burst(struct __test_metadata *_metadata,
			 FIXTURE_DATA(tw) *self, int family, int mode,
			 enum syn_kind kind, long long *skipped)
{
	struct tt_raw_seg seg = {
		.family = family,
		.flags = TT_TH_SYN,
		.mss = 1460,
	};
	long long skip0;
	struct old_conn o;
	unsigned int mark;
	int i, ret, acks;

	set_knob(_metadata, "tw_reopen", mode);
	make_old(_metadata, family, self->lfd, self->port, &self->cap,
		 SMALL_BYTES, SMALL_BYTES, true, &o);
	seg.sport = o.cport;
	seg.dport = self->port;
	seg.seq = kind == SYN_NEW_SEQ ? o.rcv_nxt + SYN_DIST :
					o.rcv_nxt - SYN_DIST;
	if (kind == SYN_NEW_TS) {
		seg.ts = true;
		seg.tsval = o.c_tsval + 1000;
	}
	skip0 = mib(_metadata, "TCPACKSkippedTimeWait");
	mark = cap_mark(_metadata, &self->cap);
	for (i = 0; i < RL_SYNS; i++) {
		ret = tt_raw_send(&seg);
		ASSERT_EQ(0, ret) TH_LOG("raw SYN: %s", strerror(-ret));
	}
	ASSERT_LE(0, cap_wait(_metadata, &self->cap, mark, TT_TH_ACK, true,
			      self->port, o.cport, IO_MS))
		TH_LOG("mode %d, %s: not even one ACK", mode,
		       syn_kind_name[kind]);
	tt_msleep(200);
	acks = cap_count_from(_metadata, &self->cap, mark, TT_TH_ACK, true,
			      self->port, o.cport);
	ASSERT_EQ(0, cap_count_from(_metadata, &self->cap, mark,
				    TT_TH_SYN | TT_TH_ACK, true, self->port,
				    o.cport)) TH_LOG("refused SYN reopened");
	ASSERT_EQ(0, tw_find(_metadata, family, self->port, o.cport, NULL))
		TH_LOG("TIME-WAIT gone");
	*skipped = mib(_metadata, "TCPACKSkippedTimeWait") - skip0;
	TH_LOG("mode %d, %d SYNs with %s: %d ACKs, TCPACKSkippedTimeWait +%lld",
	       mode, RL_SYNS, syn_kind_name[kind], acks, *skipped);
	return acks;
}

/*
 * Refusals by modes 0 and 1 are rate limited like the kernel's own
 * (tcp_invalid_ratelimit, per TIME-WAIT socket).
 */
TEST_F_TIMEOUT(tw, refused_syn_rate_limit, TT_TIMEOUT(120))
{
	int family = variant->family, stock, never, seq_only;
	long long sk_stock, sk_never, sk_seq;

	cap_open(_metadata, &self->cap, false);
	set_knob(_metadata, "time_wait_ms", 20000);
	ASSERT_EQ(0, tt_write_str(RFC1337, "1"));	/* keep TIME-WAIT */
	ASSERT_EQ(0, tt_write_str(INVALID_RL, "10000"));
	stock = refused_burst(_metadata, self, family, STOCK, SYN_OLD_SEQ,
			      &sk_stock);
	never = refused_burst(_metadata, self, family, NEVER, SYN_NEW_SEQ,
			      &sk_never);
	seq_only = refused_burst(_metadata, self, family, SEQ_ONLY,
				 SYN_NEW_TS, &sk_seq);
	ASSERT_EQ(1, stock) TH_LOG("stock: one ACK per %d ms", RL_MS);
	ASSERT_EQ(stock, never);
	ASSERT_EQ(stock, seq_only);
	ASSERT_EQ(sk_stock, sk_never);
	ASSERT_EQ(sk_stock, sk_seq);
}

/*
 * TT_TW_ONLY="name name ..." in the environment runs only those tests
 * (the others are left out): a developer's shortcut through a long file.
 * vm.sh passes it with --tests 'time_wait_test" TT_TW_ONLY="a b'.
 */
static void tw_filter(void)
{
	const char *only = getenv("TT_TW_ONLY");
	struct __test_metadata *t, *next, *head, *tail;
	struct __fixture_metadata *f;
	char list[512], pat[128];

	if (!only || !*only)
		return;
	snprintf(list, sizeof(list), " %s ", only);
	for (f = __fixture_list; f; f = f->next) {
		head = NULL;
		tail = NULL;
		for (t = f->tests; t; t = next) {
			next = t->next;
			snprintf(pat, sizeof(pat), " %s ", t->name);
			if (!strstr(list, pat))
				continue;
			t->next = NULL;
			if (tail)
				tail->next = t;
			else
				head = t;
			tail = t;
			head->prev = tail;
		}
		f->tests = head;
	}
}

static void __attribute__((constructor)) __constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	tw_filter();
	tt_scale_timeouts();
	return test_harness_run(argc, argv);
}
