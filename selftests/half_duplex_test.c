// SPDX-License-Identifier: GPL-2.0
/*
 * net.ipv4.tcp_teardown.half_duplex_close: what happens to data nobody
 * will read, for IPv4 (127.0.0.1) and IPv6 (::1).
 *
 *   0  graceful: close() with unread data sends a FIN; data reaching the
 *      orphan in FIN_WAIT_1/2 is ACKed and dropped
 *   1  stock: RST at close with unread data and for data after close
 *   2  strict: as 1, and data after shutdown(SHUT_RD) resets
 *
 * Every test loads the module afresh and runs in a network namespace of
 * its own, so that the capture on lo, the module's counters
 * (/proc/net/tcp_teardown) and the kernel's MIB (/proc/net/netstat) see
 * only this test's connections.  What is asserted is what the
 * application and the wire see -- errno, EOF, bytes delivered, RSTs and
 * FINs captured -- and exact counter deltas.  Timeouts only guard
 * against hangs.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <sched.h>

#include "tt_checks.h"
#include "tt_diag.h"
#include "tt_harness.h"
#include "tt_net.h"
#include "tt_util.h"

#define KNOB		"half_duplex_close"
#define FIN_TIMEOUT	"/proc/sys/net/ipv4/tcp_fin_timeout"
#define IO_MS		((int)tt_time_scaled(10000))	/* guard on any blocking socket call */

enum { GRACEFUL = 0, STOCK_RST = 1, STRICT = 2 };

/* Snapshot of the module's counters and the MIB counters we check. */
struct snap {
	struct tt_counters tt;
	long long abort_on_close, abort_on_data;
};

static void snap_take(struct __test_metadata *_metadata, struct snap *s)
{
	int ret;

	ret = tt_counters_read_netns(&s->tt);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", TT_PROC_NET, strerror(-ret));
	ret = tt_mib_read("TcpExt", "TCPAbortOnClose", &s->abort_on_close);
	ASSERT_EQ(0, ret) TH_LOG("TCPAbortOnClose: %s", strerror(-ret));
	ret = tt_mib_read("TcpExt", "TCPAbortOnData", &s->abort_on_data);
	ASSERT_EQ(0, ret) TH_LOG("TCPAbortOnData: %s", strerror(-ret));
}

/* @name's change from @a to @b: a module counter or one of the MIBs. */
static long long delta(struct __test_metadata *_metadata,
		       const struct snap *a, const struct snap *b,
		       const char *name)
{
	long long va, vb;

	if (!strcmp(name, "TCPAbortOnClose"))
		return b->abort_on_close - a->abort_on_close;
	if (!strcmp(name, "TCPAbortOnData"))
		return b->abort_on_data - a->abort_on_data;
	ASSERT_EQ(0, tt_counters_get(&a->tt, name, &va)) TH_LOG("%s", name);
	ASSERT_EQ(0, tt_counters_get(&b->tt, name, &vb)) TH_LOG("%s", name);
	return vb - va;
}

static void assert_delta(struct __test_metadata *_metadata,
			 const struct snap *a, const struct snap *b,
			 const char *name, long long want)
{
	ASSERT_EQ(want, delta(_metadata, a, b, name))
		TH_LOG("change of %s", name);
}

static void assert_delta_ge(struct __test_metadata *_metadata,
			    const struct snap *a, const struct snap *b,
			    const char *name, long long min)
{
	ASSERT_LE(min, delta(_metadata, a, b, name))
		TH_LOG("change of %s", name);
}

static void set_mode(struct __test_metadata *_metadata, int mode)
{
	long long val = -1;
	int ret;

	ret = tt_knob_write_int(TT_SYSCTL_DIR, KNOB, mode);
	ASSERT_EQ(0, ret) TH_LOG("setting %s=%d: %s", KNOB, mode,
				 strerror(-ret));
	ASSERT_EQ(0, tt_knob_read(TT_SYSCTL_DIR, KNOB, &val));
	ASSERT_EQ(mode, val);
}

/* net.ipv4.tcp_fin_timeout of the current netns */
static void set_fin_timeout(struct __test_metadata *_metadata, int secs)
{
	char buf[16];
	int ret;

	snprintf(buf, sizeof(buf), "%d\n", secs);
	ret = tt_write_str(FIN_TIMEOUT, buf);
	ASSERT_EQ(0, ret) TH_LOG("tcp_fin_timeout=%d: %s", secs,
				 strerror(-ret));
}

/* TCP_INFO of @fd: its RTO and retransmission count */
static struct tcp_info client_info(struct __test_metadata *_metadata, int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	EXPECT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len));
	return ti;
}

static bool is_reset_errno(int err)
{
	return err == ECONNRESET || err == EPIPE;
}

/* Where a closed server's socket is: /proc/net/tcp{,6} by its ports. */
static void assert_server_sock(struct __test_metadata *_metadata, int family,
			       unsigned short sport, unsigned short cport,
			       int state, int timer)
{
	struct tt_proc_sock ps;
	int ret;

	ret = tt_proc_tcp_find(family, sport, cport, &ps);
	ASSERT_EQ(0, ret) TH_LOG("server socket %u -> %u: %s", sport, cport,
				 strerror(-ret));
	ASSERT_EQ(state, ps.state) TH_LOG("server socket state");
	ASSERT_EQ(timer, ps.timer) TH_LOG("server socket timer");
	ASSERT_EQ(0UL, ps.inode) TH_LOG("server socket is not an orphan");
}

/*
 * Shut the client's sending side after the server's FIN and wait until
 * its FIN is acknowledged (LAST_ACK -> CLOSE): the whole teardown has
 * happened on the wire once this returns.
 */
static void client_finish(struct __test_metadata *_metadata, int cfd)
{
	ASSERT_EQ(0, shutdown(cfd, SHUT_WR));
	ASSERT_EQ(0, tt_tcp_wait_state(cfd, TCP_CLOSE, IO_MS))
		TH_LOG("client FIN not acknowledged, state %d",
		       tt_tcp_state(cfd));
}

FIXTURE(hd) {
	struct tt_bed bed;
	struct tt_cap cap;
};

FIXTURE_VARIANT(hd) {
	int family;
};

FIXTURE_VARIANT_ADD(hd, ipv4) {
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(hd, ipv6) {
	.family = AF_INET6,
};

FIXTURE_SETUP(hd)
{
	int ret;

	self->cap.fd = -1;
	/* every send uses MSG_NOSIGNAL; this is a second line */
	signal(SIGPIPE, SIG_IGN);
	ret = tt_bed_enter(&self->bed, "");
	ASSERT_EQ(0, ret) TH_LOG("test bed: %s", strerror(-ret));
	/* the capture sees everything after */
	ret = tt_cap_open(&self->cap, true);
	ASSERT_EQ(0, ret) TH_LOG("capture on lo: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(hd)
{
	tt_cap_close(&self->cap);
	EXPECT_EQ(0, tt_bed_leave(&self->bed));
}

/* ---- 1, 2: close() with unread data ---- */

#define UNREAD_BYTES	4096

struct unread_conn {
	int lfd, cfd, afd;
	unsigned short port, cport;
};

/* A pair whose server side holds UNREAD_BYTES it has not read. */
static void unread_setup(struct __test_metadata *_metadata, int family,
			 struct unread_conn *u)
{
	struct tt_io io;
	int ret;

	u->lfd = tt_net_listen(family, 1, &u->port);
	ASSERT_LE(0, u->lfd) TH_LOG("listen: %s", strerror(-u->lfd));
	ret = tt_net_pair(u->lfd, family, u->port, &u->cfd, &u->afd);
	ASSERT_EQ(0, ret) TH_LOG("connect: %s", strerror(-ret));
	u->cport = tt_sock_port(u->cfd, false);
	ASSERT_EQ(0, tt_set_io_timeout(u->cfd, IO_MS));

	ASSERT_EQ(0, tt_send_bytes(u->cfd, UNREAD_BYTES, &io))
		TH_LOG("send: %s", strerror(io.err));
	ret = tt_wait_inq(u->afd, UNREAD_BYTES, IO_MS);
	ASSERT_EQ(0, ret) TH_LOG("server never had the data queued: %s",
				 strerror(-ret));
}

/* The client's view after the server closed: EOF or ECONNRESET. */
static void client_read_end(struct __test_metadata *_metadata, int cfd,
			    bool reset)
{
	char c;
	ssize_t n;

	n = recv(cfd, &c, 1, 0);
	if (reset) {
		ASSERT_EQ(-1, n) TH_LOG("client recv: want ECONNRESET");
		ASSERT_EQ(ECONNRESET, errno) TH_LOG("client recv: %s",
						    strerror(errno));
	} else {
		ASSERT_EQ(0, n) TH_LOG("client recv: want EOF, got %zd (%s)",
				       n, n < 0 ? strerror(errno) : "data");
	}
}

/*
 * The hd_* counters move only in a namespace whose mode is not the stock
 * one: in mode 1 the module watches nothing and the kernel's own MIB
 * counters tell.  @n where the module watches, else 0.
 */
static long long watched(int mode, long long n)
{
	return mode == STOCK_RST ? 0 : n;
}

/* The close was answered by a RST (stock) in a namespace at @mode */
static void assert_close_rst(struct __test_metadata *_metadata,
			     struct tt_cap *cap, const struct unread_conn *u,
			     const struct snap *s0, const struct snap *s1,
			     int mode)
{
	ASSERT_LE(1, cap_count(_metadata, cap, TT_TH_RST, u->port, u->cport))
		TH_LOG("no RST from the server");
	ASSERT_EQ(0, cap_count(_metadata, cap, TT_TH_FIN, u->port, 0))
		TH_LOG("the server sent a FIN");
	assert_delta(_metadata, s0, s1, "TCPAbortOnClose", 1);
	assert_delta(_metadata, s0, s1, "hd_close_rst", watched(mode, 1));
	assert_delta(_metadata, s0, s1, "hd_close_fin", 0);
	assert_delta(_metadata, s0, s1, "hd_close_discarded_bytes",
		     watched(mode, UNREAD_BYTES));
	assert_delta(_metadata, s0, s1, "hd_after_close_rst", 0);
	assert_delta(_metadata, s0, s1, "hd_after_close_acked_segs", 0);
	assert_delta(_metadata, s0, s1, "hd_shut_rd_rst", 0);
}

static void close_unread(struct __test_metadata *_metadata,
			 struct tt_cap *cap, int family, int mode)
{
	struct unread_conn u;
	struct snap s0, s1;

	set_mode(_metadata, mode);
	unread_setup(_metadata, family, &u);
	snap_take(_metadata, &s0);
	ASSERT_EQ(0, close(u.afd));
	client_read_end(_metadata, u.cfd, mode != GRACEFUL);

	if (mode != GRACEFUL) {
		snap_take(_metadata, &s1);
		assert_close_rst(_metadata, cap, &u, &s0, &s1, mode);
		ASSERT_EQ(TCP_CLOSE, tt_tcp_state(u.cfd));
	} else {
		/* the whole teardown, then not one RST in it */
		client_finish(_metadata, u.cfd);
		snap_take(_metadata, &s1);
		assert_cap_sane(_metadata, cap, u.cport, u.port);
		ASSERT_LE(1, cap_count(_metadata, cap, TT_TH_FIN,
				       u.port, u.cport))
			TH_LOG("no FIN from the server");
		ASSERT_EQ(0, cap_count(_metadata, cap, TT_TH_RST, 0, 0))
			TH_LOG("a RST in graceful mode");
		assert_delta(_metadata, &s0, &s1, "TCPAbortOnClose", 0);
		assert_delta(_metadata, &s0, &s1, "TCPAbortOnData", 0);
		assert_delta(_metadata, &s0, &s1, "hd_close_fin", 1);
		assert_delta(_metadata, &s0, &s1, "hd_close_rst", 0);
		assert_delta(_metadata, &s0, &s1, "hd_close_discarded_bytes",
			     UNREAD_BYTES);
		assert_delta(_metadata, &s0, &s1, "hd_after_close_rst", 0);
		assert_delta(_metadata, &s0, &s1, "hd_after_close_acked_segs",
			     0);
		/* the server ended in TIME_WAIT, as after any clean close */
		assert_server_sock(_metadata, family, u.port, u.cport,
				   TCP_TIME_WAIT, 3);
	}
	close(u.cfd);
	close(u.lfd);
}

TEST_F_TIMEOUT(hd, close_unread_mode0, TT_TIMEOUT(60))
{
	close_unread(_metadata, &self->cap, variant->family, GRACEFUL);
}

TEST_F_TIMEOUT(hd, close_unread_mode1, TT_TIMEOUT(60))
{
	close_unread(_metadata, &self->cap, variant->family, STOCK_RST);
}

TEST_F_TIMEOUT(hd, close_unread_mode2, TT_TIMEOUT(60))
{
	close_unread(_metadata, &self->cap, variant->family, STRICT);
}

/* SO_LINGER {1, 0} asks for an abort: mode 0 still resets. */
TEST_F_TIMEOUT(hd, close_unread_linger0_mode0, TT_TIMEOUT(60))
{
	struct unread_conn u;
	struct snap s0, s1;

	set_mode(_metadata, GRACEFUL);
	unread_setup(_metadata, variant->family, &u);
	ASSERT_EQ(0, tt_tcp_set_linger0(u.afd));
	snap_take(_metadata, &s0);
	ASSERT_EQ(0, close(u.afd));
	client_read_end(_metadata, u.cfd, true);
	snap_take(_metadata, &s1);
	assert_close_rst(_metadata, &self->cap, &u, &s0, &s1, GRACEFUL);
	close(u.cfd);
	close(u.lfd);
}

/* ---- 3: lingering close, the HTTP case ---- */

#define HEAD_BYTES	1024
#define BODY1_BYTES	(64 * 1024)		/* sent with the head */
#define BODY2_BYTES	(448 * 1024)		/* sent after the close */
#define RESP_BYTES	(1024 * 1024)
#define BODY3_BYTES	(64 * 1024)		/* sent after the EOF */

/*
 * A client sends a request head and part of a large body; the server
 * reads only the head, answers 1 MB at once (an early 413, say) and
 * closes.  The client goes on sending the body, not reading, as HTTP
 * clients do, then reads the answer.  One process plays both sides: the
 * server's part is over once close() returns, the kernel does the rest.
 */
static void lingering_close(struct __test_metadata *_metadata, int family,
			    struct tt_cap *cap, int mode)
{
	unsigned short port, cport;
	struct tt_io wio, rio, io, tio;
	long long t0, t_end;
	struct tcp_info ti;
	struct snap s0, s1;
	int lfd, cfd, afd, ret, retrans;

	set_mode(_metadata, mode);
	lfd = tt_net_listen(family, 1, &port);
	ASSERT_LE(0, lfd);
	/* inherited: the whole head + first body chunk fits unread */
	ASSERT_EQ(0, tt_set_rcvbuf_force(lfd, 1 << 20));
	cfd = tt_net_socket(family);
	ASSERT_LE(0, cfd);
	/* small before connect(), so that the window scale follows it */
	ASSERT_EQ(0, tt_set_rcvbuf(cfd, 64 * 1024));
	ASSERT_EQ(0, tt_set_io_timeout(cfd, IO_MS));
	ret = tt_net_pair_fd(lfd, family, port, cfd, &afd);
	ASSERT_EQ(0, ret) TH_LOG("connect: %s", strerror(-ret));
	cport = tt_sock_port(cfd, false);
	ASSERT_EQ(0, tt_set_sndbuf_force(afd, 4 << 20));
	ASSERT_EQ(0, tt_set_io_timeout(afd, IO_MS));

	ASSERT_EQ(0, tt_send_bytes(cfd, HEAD_BYTES + BODY1_BYTES, &io))
		TH_LOG("client head: %s", strerror(io.err));
	ret = tt_wait_inq(afd, HEAD_BYTES + BODY1_BYTES, IO_MS);
	ASSERT_EQ(0, ret) TH_LOG("request not queued: %s", strerror(-ret));
	ASSERT_EQ(0, tt_recv_bytes(afd, HEAD_BYTES, &io));
	ASSERT_EQ((size_t)HEAD_BYTES, io.bytes);
	/* the whole answer goes into the send buffer at once */
	ASSERT_EQ(0, tt_send_bytes(afd, RESP_BYTES, &io))
		TH_LOG("server answer: %s after %zu bytes", strerror(io.err),
		       io.bytes);

	snap_take(_metadata, &s0);
	ti = client_info(_metadata, cfd);
	retrans = ti.tcpi_total_retrans;
	t0 = tt_now_us();
	ASSERT_EQ(0, close(afd));

	/*
	 * The client, unaware, sends the rest of its body, then reads; and,
	 * as a pipelining client may, sends more after the EOF: the first
	 * segment of that acknowledges the server's FIN.
	 */
	tt_send_bytes(cfd, BODY2_BYTES, &wio);
	tt_recv_bytes(cfd, SIZE_MAX, &rio);
	memset(&tio, 0, sizeof(tio));
	if (!wio.err && !rio.err)
		tt_send_bytes(cfd, BODY3_BYTES, &tio);
	if (!tio.err)
		tt_wait_outq_empty(cfd, IO_MS);
	t_end = tt_now_us();
	ti = client_info(_metadata, cfd);
	TH_LOG("%s mode %d: client sent %zu (%s), read %zu (%s), then sent %zu (%s); %lld us, %d retransmits",
	       tt_family_name(family), mode, wio.bytes,
	       wio.err ? strerror(wio.err) : "ok", rio.bytes,
	       rio.err ? strerror(rio.err) : rio.eof ? "EOF" : "?",
	       tio.bytes, tio.err ? strerror(tio.err) : "ok", t_end - t0,
	       (int)ti.tcpi_total_retrans - retrans);

	if (mode == GRACEFUL) {
		ASSERT_EQ(0, wio.err) TH_LOG("client send: %s",
					     strerror(wio.err));
		ASSERT_EQ((size_t)BODY2_BYTES, wio.bytes);
		ASSERT_EQ(0, rio.err) TH_LOG("client recv: %s",
					     strerror(rio.err));
		ASSERT_EQ((size_t)RESP_BYTES, rio.bytes)
			TH_LOG("answer truncated");
		ASSERT_TRUE(rio.eof);
		ASSERT_EQ(0, tio.err) TH_LOG("client send after EOF: %s",
					     strerror(tio.err));
		ASSERT_EQ((size_t)BODY3_BYTES, tio.bytes);
		/* everything the client sent was acknowledged... */
		ret = tt_wait_outq_empty(cfd, IO_MS);
		ASSERT_EQ(0, ret) TH_LOG("client data never acknowledged: %d",
					 tt_outq(cfd));
		/* ...without waiting for a retransmission */
		ASSERT_EQ(retrans, (int)ti.tcpi_total_retrans)
			TH_LOG("the client had to retransmit");
		client_finish(_metadata, cfd);
		snap_take(_metadata, &s1);
		/* ...and every byte the server did not read is counted once */
		assert_delta(_metadata, &s0, &s1, "hd_close_discarded_bytes",
			     BODY1_BYTES);
		ASSERT_EQ(BODY1_BYTES + BODY2_BYTES + BODY3_BYTES,
			  delta(_metadata, &s0, &s1,
				"hd_close_discarded_bytes") +
			  delta(_metadata, &s0, &s1,
				"hd_after_close_acked_bytes"))
			TH_LOG("unread bytes discarded + acked after close");
		assert_delta_ge(_metadata, &s0, &s1,
				"hd_after_close_acked_segs", 1);
		assert_delta(_metadata, &s0, &s1, "hd_close_fin", 1);
		assert_delta(_metadata, &s0, &s1, "hd_close_rst", 0);
		assert_delta(_metadata, &s0, &s1, "hd_after_close_rst", 0);
		assert_delta(_metadata, &s0, &s1, "TCPAbortOnClose", 0);
		assert_delta(_metadata, &s0, &s1, "TCPAbortOnData", 0);
		assert_cap_sane(_metadata, cap, cport, port);
		ASSERT_LE(1, cap_count(_metadata, cap, TT_TH_FIN, port, cport))
			TH_LOG("no FIN from the server");
		ASSERT_EQ(0, cap_count(_metadata, cap, TT_TH_RST, 0, 0))
			TH_LOG("a RST in graceful mode");
	} else {
		ASSERT_TRUE(is_reset_errno(wio.err) || is_reset_errno(rio.err))
			TH_LOG("client saw no reset: send %s, recv %s",
			       strerror(wio.err), strerror(rio.err));
		ASSERT_GT((size_t)RESP_BYTES, rio.bytes)
			TH_LOG("answer survived");
		snap_take(_metadata, &s1);
		ASSERT_LE(1, cap_count(_metadata, cap, TT_TH_RST, port, cport))
			TH_LOG("no RST from the server");
		assert_delta(_metadata, &s0, &s1, "TCPAbortOnClose", 1);
		assert_delta(_metadata, &s0, &s1, "hd_close_rst",
			     watched(mode, 1));
		assert_delta(_metadata, &s0, &s1, "hd_close_fin", 0);
		assert_delta(_metadata, &s0, &s1, "hd_close_discarded_bytes",
			     watched(mode, BODY1_BYTES));
		assert_delta(_metadata, &s0, &s1, "hd_after_close_acked_bytes",
			     0);
	}
	close(cfd);
	close(lfd);
}

/*
 * The same, but the client's upload goes on while it reads (a second
 * process sends): the server's FIN reaches the client in the middle of
 * its upload, and the ACK of that FIN rides on the client's next data
 * segment.  Mode 0 must take and acknowledge it at once: the client
 * never retransmits.
 */
struct uploader {
	int fd;
	int eof;		/* set by the reader */
	struct tt_io io;	/* all that was sent */
};

/* Upload until the reader saw EOF, then BODY3_BYTES more. */
static int uploader_child(void *arg)
{
	struct uploader *u = arg;
	struct tt_io io;
	bool last;

	do {
		last = __atomic_load_n(&u->eof, __ATOMIC_RELAXED);
		tt_send_bytes(u->fd, last ? BODY3_BYTES : 16 * 1024, &io);
		u->io.bytes += io.bytes;
		u->io.err = io.err;
	} while (!io.err && !last);
	return 0;
}

static void lingering_upload(struct __test_metadata *_metadata, int family,
			     struct tt_cap *cap, int mode)
{
	unsigned short port, cport;
	int lfd, cfd, afd, ret, retrans;
	struct tt_io rio, io;
	long long t0, t_end;
	struct uploader *up;
	struct tcp_info ti;
	pid_t child;

	up = tt_shared_alloc(sizeof(*up));
	ASSERT_NE(NULL, up);
	set_mode(_metadata, mode);
	lfd = tt_net_listen(family, 1, &port);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, tt_set_rcvbuf_force(lfd, 1 << 20));
	cfd = tt_net_socket(family);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, tt_set_rcvbuf(cfd, 64 * 1024));
	ASSERT_EQ(0, tt_set_io_timeout(cfd, IO_MS));
	ret = tt_net_pair_fd(lfd, family, port, cfd, &afd);
	ASSERT_EQ(0, ret) TH_LOG("connect: %s", strerror(-ret));
	cport = tt_sock_port(cfd, false);
	ASSERT_EQ(0, tt_set_sndbuf_force(afd, 4 << 20));
	ASSERT_EQ(0, tt_send_bytes(cfd, HEAD_BYTES, &io));
	ASSERT_EQ(0, tt_wait_inq(afd, HEAD_BYTES, IO_MS));
	ASSERT_EQ(0, tt_recv_bytes(afd, HEAD_BYTES, &io));
	ASSERT_EQ(0, tt_send_bytes(afd, RESP_BYTES, &io));

	ti = client_info(_metadata, cfd);
	retrans = ti.tcpi_total_retrans;
	t0 = tt_now_us();
	ASSERT_EQ(0, close(afd));
	up->fd = cfd;
	child = tt_child_start(uploader_child, up);
	ASSERT_LT(0, child);
	tt_recv_bytes(cfd, SIZE_MAX, &rio);
	__atomic_store_n(&up->eof, 1, __ATOMIC_RELAXED);
	ASSERT_EQ(0, tt_child_wait(child));
	/* stock resets, and a reset socket's send queue never drains */
	if (!up->io.err && mode == GRACEFUL)
		tt_wait_outq_empty(cfd, IO_MS);
	t_end = tt_now_us();
	ti = client_info(_metadata, cfd);
	TH_LOG("%s mode %d: client uploaded %zu (%s) while reading %zu (%s); %lld us, %d retransmits",
	       tt_family_name(family), mode, up->io.bytes,
	       up->io.err ? strerror(up->io.err) : "ok", rio.bytes,
	       rio.err ? strerror(rio.err) : rio.eof ? "EOF" : "?",
	       t_end - t0, (int)ti.tcpi_total_retrans - retrans);
	if (mode == GRACEFUL) {
		ASSERT_EQ(0, up->io.err);
		ASSERT_LE((size_t)BODY3_BYTES, up->io.bytes);
		ASSERT_EQ((size_t)RESP_BYTES, rio.bytes);
		ASSERT_TRUE(rio.eof);
		ASSERT_EQ(0, tt_outq(cfd)) TH_LOG("upload not acknowledged");
		ASSERT_EQ(retrans, (int)ti.tcpi_total_retrans)
			TH_LOG("the client had to retransmit");
		ASSERT_EQ(0, cap_count(_metadata, cap, TT_TH_RST, 0, 0));
	} else {
		/* the reset may come after the uploader's last send() */
		if (!is_reset_errno(up->io.err) && !is_reset_errno(rio.err)) {
			ASSERT_LT(0, tt_wait_poll(cfd, 0, IO_MS))
				TH_LOG("client never reset");
			ASSERT_EQ(-1, send(cfd, "x", 1, MSG_NOSIGNAL))
				TH_LOG("client saw no reset");
			ASSERT_TRUE(is_reset_errno(errno))
				TH_LOG("client send: %s", strerror(errno));
		}
		ASSERT_LE(1, cap_count(_metadata, cap, TT_TH_RST, port, cport))
			TH_LOG("no RST from the server");
	}
	close(cfd);
	close(lfd);
}

TEST_F_TIMEOUT(hd, lingering_upload_mode0, TT_TIMEOUT(120))
{
	lingering_upload(_metadata, variant->family, &self->cap, GRACEFUL);
}

TEST_F_TIMEOUT(hd, lingering_upload_mode1, TT_TIMEOUT(120))
{
	lingering_upload(_metadata, variant->family, &self->cap, STOCK_RST);
}

TEST_F_TIMEOUT(hd, lingering_close_mode0, TT_TIMEOUT(120))
{
	lingering_close(_metadata, variant->family, &self->cap, GRACEFUL);
}

TEST_F_TIMEOUT(hd, lingering_close_mode1, TT_TIMEOUT(120))
{
	lingering_close(_metadata, variant->family, &self->cap, STOCK_RST);
}

/* ---- 4: data after close, the server in FIN_WAIT_2 ---- */

#define LATE_BYTES	(256 * 1024)

/*
 * Orphan the server side of a connection in FIN_WAIT_2, nothing pending.
 * The FIN goes out with shutdown(SHUT_WR) and close() comes once it is
 * acknowledged: then __tcp_close() itself decides what the orphan is, by
 * tcp_fin_timeout alone.  A plain close() races with the client's
 * (delayed) ACK: arriving between __tcp_close() and release_sock(), it is
 * processed from the backlog with the socket owned, which leaves a full
 * socket even for fin_timeout <= 60 s.
 */
static void server_close_fin_wait2(struct __test_metadata *_metadata,
				   int afd)
{
	int ret;

	ASSERT_EQ(0, shutdown(afd, SHUT_WR));
	ret = tt_tcp_wait_state(afd, TCP_FIN_WAIT2, IO_MS);
	ASSERT_EQ(0, ret) TH_LOG("server FIN not acknowledged: state %d",
				 tt_tcp_state(afd));
	ASSERT_EQ(0, close(afd));
}

/*
 * The server closes with nothing pending (a FIN); the client reads the
 * EOF, stays in CLOSE_WAIT and sends LATE_BYTES.  With tcp_fin_timeout
 * up to 60 s the orphan in FIN_WAIT_2 is a timewait mini-socket
 * (/proc/net/tcp timer 3); above 60 s it stays a full socket for
 * fin_timeout - 60 s (keepalive timer, 2).
 */
static void fin_wait2_data(struct __test_metadata *_metadata, int family,
			   struct tt_cap *cap, int mode, int fin_timeout)
{
	bool minisock = fin_timeout <= 60;
	unsigned short port, cport;
	struct snap s0, s1;
	struct tt_io io;
	int lfd, cfd, afd, ret, rev;
	char c;

	set_mode(_metadata, mode);
	set_fin_timeout(_metadata, fin_timeout);
	lfd = tt_net_listen(family, 1, &port);
	ASSERT_LE(0, lfd);
	ret = tt_net_pair(lfd, family, port, &cfd, &afd);
	ASSERT_EQ(0, ret) TH_LOG("connect: %s", strerror(-ret));
	cport = tt_sock_port(cfd, false);
	ASSERT_EQ(0, tt_set_io_timeout(cfd, IO_MS));

	snap_take(_metadata, &s0);
	server_close_fin_wait2(_metadata, afd);
	ASSERT_EQ(0, recv(cfd, &c, 1, 0)) TH_LOG("client: want EOF");
	ASSERT_EQ(TCP_CLOSE_WAIT, tt_tcp_state(cfd));
	assert_server_sock(_metadata, family, port, cport, TCP_FIN_WAIT2,
			   minisock ? 3 : 2);

	tt_send_bytes(cfd, LATE_BYTES, &io);

	if (mode == GRACEFUL) {
		ASSERT_EQ(0, io.err) TH_LOG("client send: %s",
					    strerror(io.err));
		ASSERT_EQ((size_t)LATE_BYTES, io.bytes);
		ret = tt_wait_outq_empty(cfd, IO_MS);
		ASSERT_EQ(0, ret) TH_LOG("late data never acknowledged: %d",
					 tt_outq(cfd));
		snap_take(_metadata, &s1);
		assert_delta(_metadata, &s0, &s1, "hd_after_close_acked_bytes",
			     LATE_BYTES);
		assert_delta_ge(_metadata, &s0, &s1,
				"hd_after_close_acked_segs", 1);
		assert_delta(_metadata, &s0, &s1, "hd_after_close_rst", 0);
		assert_delta(_metadata, &s0, &s1, "hd_close_fin", 0);
		assert_delta(_metadata, &s0, &s1, "hd_close_rst", 0);
		assert_delta(_metadata, &s0, &s1, "TCPAbortOnData", 0);
		assert_delta(_metadata, &s0, &s1, "TCPAbortOnClose", 0);
		/* the client's FIN completes the teardown, still no RST */
		client_finish(_metadata, cfd);
		assert_server_sock(_metadata, family, port, cport,
				   TCP_TIME_WAIT, 3);
		assert_cap_sane(_metadata, cap, cport, port);
		ASSERT_LE(1, cap_count(_metadata, cap, TT_TH_FIN, cport, port))
			TH_LOG("client FIN");
		ASSERT_EQ(0, cap_count(_metadata, cap, TT_TH_RST, 0, 0))
			TH_LOG("a RST in graceful mode");
	} else {
		/* the RST lands soon after the first late segment */
		rev = tt_wait_poll(cfd, 0, IO_MS);
		ASSERT_LT(0, rev) TH_LOG("client never reset: %s",
					 strerror(-rev));
		ASSERT_EQ(-1, send(cfd, "x", 1, MSG_NOSIGNAL));
		ASSERT_TRUE(is_reset_errno(errno)) TH_LOG("send after RST: %s",
							  strerror(errno));
		TH_LOG("%s fin_timeout %d: %zu late bytes sent (%s) before RST",
		       tt_family_name(family), fin_timeout, io.bytes,
		       io.err ? strerror(io.err) : "no error");
		snap_take(_metadata, &s1);
		ASSERT_LE(1, cap_count(_metadata, cap, TT_TH_RST, port, cport))
			TH_LOG("no RST from the server");
		if (mode == STOCK_RST)
			assert_delta(_metadata, &s0, &s1, "hd_after_close_rst",
				     0);
		else
			assert_delta_ge(_metadata, &s0, &s1,
					"hd_after_close_rst", 1);
		assert_delta(_metadata, &s0, &s1, "hd_after_close_acked_bytes",
			     0);
		/* counted by the full socket only, not the mini-socket */
		assert_delta_ge(_metadata, &s0, &s1, "TCPAbortOnData",
				minisock ? 0 : 1);
		TH_LOG("TCPAbortOnData %+lld",
		       delta(_metadata, &s0, &s1, "TCPAbortOnData"));
	}
	close(cfd);
	close(lfd);
}

TEST_F_TIMEOUT(hd, fin_wait2_minisock_data_mode0, TT_TIMEOUT(60))
{
	fin_wait2_data(_metadata, variant->family, &self->cap, GRACEFUL, 60);
}

TEST_F_TIMEOUT(hd, fin_wait2_minisock_data_mode1, TT_TIMEOUT(60))
{
	fin_wait2_data(_metadata, variant->family, &self->cap, STOCK_RST, 60);
}

TEST_F_TIMEOUT(hd, fin_wait2_full_data_mode0, TT_TIMEOUT(60))
{
	fin_wait2_data(_metadata, variant->family, &self->cap, GRACEFUL, 90);
}

TEST_F_TIMEOUT(hd, fin_wait2_full_data_mode1, TT_TIMEOUT(60))
{
	fin_wait2_data(_metadata, variant->family, &self->cap, STOCK_RST, 90);
}

/* ---- 5: data after shutdown(SHUT_RD) ---- */

/* Until module counter @name of this netns reaches @min. */
static void wait_counter(struct __test_metadata *_metadata, const char *name,
			 long long min)
{
	long long val = -1;
	int waited;

	for (waited = 0; waited < IO_MS; waited += 5) {
		ASSERT_EQ(0, tt_counter_read(name, &val));
		if (val >= min)
			return;
		tt_msleep(5);
	}
	ASSERT_LE(min, val) TH_LOG("%s", name);
}

#define SHUT_RD_BYTES	1024

static void shut_rd_data(struct __test_metadata *_metadata, int family,
			 struct tt_cap *cap, int mode)
{
	unsigned short port, cport;
	struct snap s0, s1;
	struct tt_io io;
	int lfd, cfd, afd, ret, rev;
	char buf[2 * SHUT_RD_BYTES];
	ssize_t n;

	set_mode(_metadata, mode);
	lfd = tt_net_listen(family, 1, &port);
	ASSERT_LE(0, lfd);
	ret = tt_net_pair(lfd, family, port, &cfd, &afd);
	ASSERT_EQ(0, ret) TH_LOG("connect: %s", strerror(-ret));
	cport = tt_sock_port(cfd, false);
	ASSERT_EQ(0, tt_set_io_timeout(cfd, IO_MS));
	ASSERT_EQ(0, tt_set_io_timeout(afd, IO_MS));

	ASSERT_EQ(0, shutdown(afd, SHUT_RD));
	snap_take(_metadata, &s0);
	ASSERT_EQ(0, tt_send_bytes(cfd, SHUT_RD_BYTES, &io));

	if (mode == STRICT) {
		/* POLLIN is set since SHUT_RD: wait for the error */
		rev = tt_wait_poll(afd, 0, IO_MS);
		ASSERT_LT(0, rev) TH_LOG("server never reset: %s",
					 strerror(-rev));
		ASSERT_TRUE(rev & POLLERR) TH_LOG("revents 0x%x", rev);
		n = recv(afd, buf, sizeof(buf), 0);
		ASSERT_EQ(-1, n) TH_LOG("server read %zd bytes", n);
		ASSERT_EQ(ECONNRESET, errno) TH_LOG("server recv: %s",
						    strerror(errno));
		n = recv(cfd, buf, sizeof(buf), 0);
		ASSERT_EQ(-1, n) TH_LOG("client recv: %zd", n);
		ASSERT_EQ(ECONNRESET, errno) TH_LOG("client recv: %s",
						    strerror(errno));
		/* counted by the module's worker just after the abort */
		wait_counter(_metadata, "hd_shut_rd_rst", 1);
		snap_take(_metadata, &s1);
		ASSERT_LE(1, cap_count(_metadata, cap, TT_TH_RST, port, cport))
			TH_LOG("no RST from the server");
		assert_delta(_metadata, &s0, &s1, "hd_shut_rd_rst", 1);
	} else {
		/* stock: ACKed and queued */
		ret = tt_wait_outq_empty(cfd, IO_MS);
		ASSERT_EQ(0, ret) TH_LOG("data never acknowledged: %d",
					 tt_outq(cfd));
		ASSERT_EQ(SHUT_RD_BYTES, tt_inq(afd));
		n = recv(afd, buf, sizeof(buf), MSG_DONTWAIT);
		ASSERT_EQ(SHUT_RD_BYTES, n) TH_LOG("server recv: %s",
						   n < 0 ? strerror(errno) :
						   "short");
		/* and then, nothing queued, the shut side reads EOF */
		ASSERT_EQ(0, recv(afd, buf, sizeof(buf), MSG_DONTWAIT));
		ASSERT_EQ(TCP_ESTABLISHED, tt_tcp_state(afd));
		ASSERT_EQ(0, tt_tcp_send_recv(afd, cfd, "still open"));
		snap_take(_metadata, &s1);
		assert_cap_sane(_metadata, cap, cport, port);
		ASSERT_EQ(0, cap_count(_metadata, cap, TT_TH_RST, 0, 0))
			TH_LOG("a RST after SHUT_RD in mode %d", mode);
		assert_delta(_metadata, &s0, &s1, "hd_shut_rd_rst", 0);
	}
	assert_delta(_metadata, &s0, &s1, "hd_close_rst", 0);
	assert_delta(_metadata, &s0, &s1, "hd_after_close_rst", 0);
	close(afd);
	close(cfd);
	close(lfd);
}

TEST_F_TIMEOUT(hd, shut_rd_data_mode2, TT_TIMEOUT(60))
{
	shut_rd_data(_metadata, variant->family, &self->cap, STRICT);
}

TEST_F_TIMEOUT(hd, shut_rd_data_mode1, TT_TIMEOUT(60))
{
	shut_rd_data(_metadata, variant->family, &self->cap, STOCK_RST);
}

/* ---- 6: each namespace its own mode and counters ---- */

TEST_F_TIMEOUT(hd, netns_independence, TT_TIMEOUT(60))
{
	struct unread_conn ua, ub;
	struct snap a0, a1, b0, b1;
	struct tt_cap cap_b;
	int ns_b;

	/* A (the fixture's netns) graceful, B stock */
	set_mode(_metadata, GRACEFUL);
	ASSERT_EQ(0, tt_netns_enter(self->bed.init_netns));
	ns_b = tt_netns_new();
	ASSERT_LE(0, ns_b);
	ASSERT_EQ(0, tt_cap_open(&cap_b, true));
	set_mode(_metadata, STOCK_RST);

	/* both connections first, then both closes: the events interleave */
	unread_setup(_metadata, variant->family, &ub);
	snap_take(_metadata, &b0);
	ASSERT_EQ(0, tt_netns_enter(self->bed.ns));
	unread_setup(_metadata, variant->family, &ua);
	snap_take(_metadata, &a0);
	ASSERT_EQ(0, close(ua.afd));
	ASSERT_EQ(0, close(ub.afd));	/* a socket stays in its netns */
	client_read_end(_metadata, ua.cfd, false);
	client_read_end(_metadata, ub.cfd, true);
	client_finish(_metadata, ua.cfd);

	snap_take(_metadata, &a1);
	assert_delta(_metadata, &a0, &a1, "hd_close_fin", 1);
	assert_delta(_metadata, &a0, &a1, "hd_close_rst", 0);
	assert_delta(_metadata, &a0, &a1, "hd_close_discarded_bytes",
		     UNREAD_BYTES);
	assert_delta(_metadata, &a0, &a1, "TCPAbortOnClose", 0);
	assert_cap_sane(_metadata, &self->cap, ua.cport, ua.port);
	ASSERT_EQ(0, cap_count(_metadata, &self->cap, TT_TH_RST, 0, 0))
		TH_LOG("RST in the graceful netns");
	ASSERT_LE(1, cap_count(_metadata, &self->cap, TT_TH_FIN, ua.port,
			       ua.cport));

	/* B is stock and unwatched: only the kernel's counter moves */
	ASSERT_EQ(0, tt_netns_enter(ns_b));
	snap_take(_metadata, &b1);
	assert_delta(_metadata, &b0, &b1, "hd_close_rst", 0);
	assert_delta(_metadata, &b0, &b1, "hd_close_fin", 0);
	assert_delta(_metadata, &b0, &b1, "hd_close_discarded_bytes", 0);
	assert_delta(_metadata, &b0, &b1, "TCPAbortOnClose", 1);
	ASSERT_LE(1, cap_count(_metadata, &cap_b, TT_TH_RST, ub.port,
			       ub.cport));
	ASSERT_EQ(0, cap_count(_metadata, &cap_b, TT_TH_FIN, ub.port, 0));
	/* neither capture saw the other's traffic (ports are per netns) */
	if (ua.port != ub.port) {
		ASSERT_EQ(0, cap_count(_metadata, &cap_b, 0, ua.port, 0));
		ASSERT_EQ(0, cap_count(_metadata, &self->cap, 0, ub.port, 0));
	}

	tt_cap_close(&cap_b);
	close(ub.cfd);
	close(ub.lfd);
	close(ua.cfd);
	close(ua.lfd);
	close(ns_b);
}

/* ---- 7: unloading while orphans in FIN_WAIT receive data ---- */

#define UNLOAD_FW1	2	/* FIN_WAIT_1: answer stuck in send buffer */
#define UNLOAD_FW2_MINI	2	/* FIN_WAIT_2 timewait mini-socket */
#define UNLOAD_FW2_FULL	2	/* FIN_WAIT_2 full socket */
#define UNLOAD_CONNS	(UNLOAD_FW1 + UNLOAD_FW2_MINI + UNLOAD_FW2_FULL)

struct sender {
	int nr;
	int fd[UNLOAD_CONNS];
	long long sent[UNLOAD_CONNS];
	int err[UNLOAD_CONNS];		/* what ended the connection */
	int stop;			/* set by the parent */
};

/* Trickle data into every client until each one gets an error. */
static int sender_child(void *arg)
{
	struct sender *s = arg;
	char buf[512];
	bool running;
	ssize_t n;
	int i;

	memset(buf, 'y', sizeof(buf));
	do {
		running = false;
		for (i = 0; i < s->nr; i++) {
			if (s->err[i])
				continue;
			running = true;
			n = send(s->fd[i], buf, sizeof(buf),
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0)
				__atomic_add_fetch(&s->sent[i], n,
						   __ATOMIC_RELAXED);
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				__atomic_store_n(&s->err[i], errno,
						 __ATOMIC_RELAXED);
		}
		tt_msleep(1);
	} while (running && !__atomic_load_n(&s->stop, __ATOMIC_RELAXED));
	return 0;
}

TEST_F_TIMEOUT(hd, unload_mid_teardown, TT_TIMEOUT(120))
{
	unsigned short port, cport[UNLOAD_CONNS];
	int lfd, afd, ret, i, waited, state;
	struct tt_proc_sock ps;
	long long acked = 0;
	struct sender *s;
	struct tt_io io;
	pid_t child;
	char c;

	s = tt_shared_alloc(sizeof(*s));
	ASSERT_NE(NULL, s);
	set_mode(_metadata, GRACEFUL);
	lfd = tt_net_listen(variant->family, UNLOAD_CONNS, &port);
	ASSERT_LE(0, lfd);

	for (i = 0; i < UNLOAD_CONNS; i++) {
		bool fw1 = i < UNLOAD_FW1;

		set_fin_timeout(_metadata,
				i < UNLOAD_FW1 + UNLOAD_FW2_MINI ? 60 : 90);
		s->fd[i] = tt_net_socket(variant->family);
		ASSERT_LE(0, s->fd[i]);
		if (fw1) {	/* a client that will not take the answer */
			ASSERT_EQ(0, tt_set_rcvbuf(s->fd[i], 16 * 1024));
		}
		ASSERT_EQ(0, tt_net_pair_fd(lfd, variant->family, port,
					    s->fd[i], &afd));
		cport[i] = tt_sock_port(s->fd[i], false);
		if (fw1) {
			/* the FIN waits behind 1 MB the client never reads */
			ASSERT_EQ(0, tt_set_sndbuf_force(afd, 4 << 20));
			ASSERT_EQ(0, tt_send_bytes(afd, 1 << 20, &io));
			ASSERT_EQ(0, close(afd));
		} else {
			server_close_fin_wait2(_metadata, afd);
			ASSERT_EQ(0, tt_set_io_timeout(s->fd[i], IO_MS));
			ASSERT_EQ(0, recv(s->fd[i], &c, 1, 0));
		}
		state = fw1 ? TCP_FIN_WAIT1 : TCP_FIN_WAIT2;
		ASSERT_EQ(0, tt_proc_tcp_find(variant->family, port, cport[i],
					      &ps));
		ASSERT_EQ(state, ps.state) TH_LOG("connection %d", i);
	}
	s->nr = UNLOAD_CONNS;

	child = tt_child_start(sender_child, s);
	ASSERT_LT(0, child);
	/* traffic flows into every orphan and mode 0 is taking it */
	for (waited = 0; waited < IO_MS; waited += 10) {
		for (i = 0; i < s->nr; i++) {
			if (!__atomic_load_n(&s->sent[i], __ATOMIC_RELAXED))
				break;
		}
		ASSERT_EQ(0, tt_counter_read("hd_after_close_acked_bytes",
					     &acked));
		if (i == s->nr && acked > 0)
			break;
		tt_msleep(10);
	}
	ASSERT_EQ(s->nr, i) TH_LOG("connection %d never sent", i);
	ASSERT_LT(0, acked);
	for (i = 0; i < s->nr; i++) {
		ASSERT_EQ(0, s->err[i])
			TH_LOG("connection %d: %s before unload", i,
			       strerror(s->err[i]));
	}
	ASSERT_EQ(0, cap_count(_metadata, &self->cap, TT_TH_RST, 0, 0))
		TH_LOG("a RST before unload");

	ret = tt_module_unload();
	ASSERT_EQ(0, ret) TH_LOG("unload mid-teardown: %s", strerror(-ret));
	ASSERT_FALSE(tt_module_loaded());

	/* stock again: the next data each orphan sees resets it */
	for (waited = 0; waited < 2 * IO_MS; waited += 10) {
		for (i = 0; i < s->nr; i++) {
			if (!__atomic_load_n(&s->err[i], __ATOMIC_RELAXED))
				break;
		}
		if (i == s->nr)
			break;
		tt_msleep(10);
	}
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	ASSERT_EQ(0, tt_child_wait(child));
	for (i = 0; i < s->nr; i++) {
		ASSERT_TRUE(is_reset_errno(s->err[i]))
			TH_LOG("connection %d after unload: %s", i,
			       s->err[i] ? strerror(s->err[i]) : "still open");
		ASSERT_LE(1, cap_count(_metadata, &self->cap, TT_TH_RST, port,
				       cport[i]))
			TH_LOG("connection %d: no RST after unload", i);
		close(s->fd[i]);
	}
	close(lfd);
}

/* ---- 8: only what the kernel accepts; nobody waits an RTO ---- */

/* Sequence numbers of the server side, read off the capture. */
struct seqs {
	uint32_t rcv_nxt;	/* the server's: the client's next byte */
	uint32_t snd_nxt;	/* the server's next byte (after its FIN) */
};

/* From the handshake: a connection on which nothing was sent yet. */
static void seqs_from_handshake(struct __test_metadata *_metadata,
				struct tt_cap *cap, unsigned short port,
				unsigned short cport, struct seqs *q)
{
	const struct tt_seg *syn, *synack;

	syn = tt_cap_find(cap, TT_TH_SYN, cport, port);
	synack = tt_cap_find(cap, TT_TH_SYN | TT_TH_ACK, port, cport);
	ASSERT_NE(NULL, syn) TH_LOG("no SYN captured");
	ASSERT_NE(NULL, synack) TH_LOG("no SYN-ACK captured");
	q->rcv_nxt = syn->seq + 1;
	q->snd_nxt = synack->seq + 1;
}

/* From the server's FIN, when the client had sent nothing before it. */
static void seqs_from_fin(struct __test_metadata *_metadata,
			  struct tt_cap *cap, unsigned short port,
			  unsigned short cport, struct seqs *q)
{
	const struct tt_seg *fin = tt_cap_find(cap, TT_TH_FIN, port, cport);

	ASSERT_NE(NULL, fin) TH_LOG("no FIN from the server captured");
	q->rcv_nxt = fin->ack;
	q->snd_nxt = fin->seq + 1;
}

/* The TSval the client would send now (TCP_TIMESTAMP) */
static uint32_t client_tsval(struct __test_metadata *_metadata, int cfd)
{
	socklen_t len = sizeof(uint32_t);
	uint32_t ts = 0;

	EXPECT_EQ(0, getsockopt(cfd, IPPROTO_TCP, TCP_TIMESTAMP, &ts, &len));
	return ts;
}

/* @len bytes of data from the client's address and port, forged */
static void inject(struct __test_metadata *_metadata, int family,
		   unsigned short cport, unsigned short port, uint32_t seq,
		   uint32_t ack, uint8_t flags, bool ts, uint32_t tsval,
		   size_t len)
{
	static const char data[1024];
	struct tt_raw_seg seg = {
		.family = family,
		.sport = cport,
		.dport = port,
		.seq = seq,
		.ack = ack,
		.flags = flags,
		.ts = ts,
		.tsval = tsval,
		.data = data,
		.len = len,
	};
	int ret = tt_raw_send(&seg);

	ASSERT_EQ(0, ret) TH_LOG("raw send: %s", strerror(-ret));
}

/* Segments from @sport to @dport acknowledging exactly @ack */
static int count_ack(struct __test_metadata *_metadata, struct tt_cap *cap,
		     unsigned short sport, unsigned short dport, uint32_t ack)
{
	unsigned int i;
	int n = 0;

	ASSERT_LE(0, tt_cap_drain(cap));
	for (i = 0; i < cap->nr; i++) {
		const struct tt_seg *s = &cap->seg[i];

		if ((s->flags & TT_TH_ACK) && s->sport == sport &&
		    s->dport == dport && s->ack == ack)
			n++;
	}
	return n;
}

#define SPOOF_BYTES	100
#define SETTLE_MS	((int)tt_time_scaled(300))	/* for an answer to a forged segment */

enum spoof { OUT_OF_WINDOW, OUT_OF_WINDOW_NO_ACK, ACK_UNSENT, ACK_TOO_OLD };

static const char *const spoof_name[] = {
	"out of window", "out of window, no ACK flag", "ACK of unsent data",
	"ACK older than the window",
};

/*
 * Forged data against a SHUT_RD socket in mode 2 that stock Linux drops:
 * no RST, the socket stays, no counter moves.  Then the real client's
 * data, which the kernel accepts, does reset: the test can tell.
 */
static void shut_rd_spoofed(struct __test_metadata *_metadata, int family,
			    struct tt_cap *cap, enum spoof how)
{
	unsigned short port, cport;
	int lfd, cfd, afd, ret, rev;
	struct snap s0, s1;
	struct seqs q;
	struct tt_io io;
	uint32_t seq, ack;
	uint8_t flags = TT_TH_ACK | TT_TH_PSH;

	set_mode(_metadata, STRICT);
	lfd = tt_net_listen(family, 1, &port);
	ASSERT_LE(0, lfd);
	ret = tt_net_pair(lfd, family, port, &cfd, &afd);
	ASSERT_EQ(0, ret) TH_LOG("connect: %s", strerror(-ret));
	cport = tt_sock_port(cfd, false);
	ASSERT_EQ(0, tt_set_io_timeout(afd, IO_MS));
	seqs_from_handshake(_metadata, cap, port, cport, &q);
	ASSERT_EQ(0, shutdown(afd, SHUT_RD));
	snap_take(_metadata, &s0);

	seq = q.rcv_nxt;
	ack = q.snd_nxt;
	switch (how) {
	case OUT_OF_WINDOW_NO_ACK:
		flags = TT_TH_PSH;
		seq += 0x30000000;
		break;
	case OUT_OF_WINDOW:
		seq += 0x30000000;
		break;
	case ACK_UNSENT:
		ack += 0x10000000;
		break;
	case ACK_TOO_OLD:
		ack -= 0x30000000;
		break;
	}
	inject(_metadata, family, cport, port, seq, ack, flags, false, 0,
	       SPOOF_BYTES);
	tt_msleep(SETTLE_MS);

	snap_take(_metadata, &s1);
	ASSERT_EQ(0, cap_count(_metadata, cap, TT_TH_RST, 0, 0))
		TH_LOG("%s: a RST", spoof_name[how]);
	ASSERT_EQ(TCP_ESTABLISHED, tt_tcp_state(afd))
		TH_LOG("%s: server socket state", spoof_name[how]);
	ASSERT_EQ(TCP_ESTABLISHED, tt_tcp_state(cfd));
	assert_delta(_metadata, &s0, &s1, "hd_shut_rd_rst", 0);
	assert_delta(_metadata, &s0, &s1, "hd_after_close_rst", 0);
	ASSERT_EQ(0, tt_inq(afd));

	/* the genuine segment still resets: the hook was armed */
	ASSERT_EQ(0, tt_send_bytes(cfd, SHUT_RD_BYTES, &io));
	rev = tt_wait_poll(afd, 0, IO_MS);
	ASSERT_LT(0, rev) TH_LOG("server never reset: %s", strerror(-rev));
	ASSERT_TRUE(rev & POLLERR) TH_LOG("revents 0x%x", rev);
	wait_counter(_metadata, "hd_shut_rd_rst", 1);
	ASSERT_LE(1, cap_count(_metadata, cap, TT_TH_RST, port, cport));
	close(afd);
	close(cfd);
	close(lfd);
}

TEST_F_TIMEOUT(hd, shut_rd_spoof_out_of_window_mode2, TT_TIMEOUT(60))
{
	shut_rd_spoofed(_metadata, variant->family, &self->cap, OUT_OF_WINDOW);
}

TEST_F_TIMEOUT(hd, shut_rd_spoof_no_ack_mode2, TT_TIMEOUT(60))
{
	shut_rd_spoofed(_metadata, variant->family, &self->cap,
			OUT_OF_WINDOW_NO_ACK);
}

TEST_F_TIMEOUT(hd, shut_rd_spoof_ack_unsent_mode2, TT_TIMEOUT(60))
{
	shut_rd_spoofed(_metadata, variant->family, &self->cap, ACK_UNSENT);
}

TEST_F_TIMEOUT(hd, shut_rd_spoof_ack_too_old_mode2, TT_TIMEOUT(60))
{
	shut_rd_spoofed(_metadata, variant->family, &self->cap, ACK_TOO_OLD);
}

/*
 * A flood of acceptable segments after SHUT_RD: one abort, one RST, and
 * at most one abort request pending at any time.  Each request holds a
 * reference on the socket until its work runs; the flood runs at
 * SCHED_FIFO on one CPU (with that CPU's ksoftirqd above it), so that no
 * work item runs before it is over, and the socket's reference count
 * (/proc/net/tcp) tells how many are pending.  Needs the abort
 * coalescing of main.c (issue 12's branch): fails without it.
 */
#define FLOOD_SEGS	10000
#define RT_RUNTIME	"/proc/sys/kernel/sched_rt_runtime_us"

/*
 * The pid of ksoftirqd/@cpu, or -1.  During the flood it runs at a
 * real-time priority above the flooder's, so that the segments are
 * processed as they come even when softirqs are deferred to it.
 */
static pid_t ksoftirqd_pid(int cpu)
{
	char want[32], path[64], comm[32];
	pid_t pid;

	snprintf(want, sizeof(want), "ksoftirqd/%d\n", cpu);
	for (pid = 2; pid < 4096; pid++) {
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		if (tt_read_file(path, comm, sizeof(comm)) < 0)
			continue;
		if (!strcmp(comm, want))
			return pid;
	}
	return -1;
}

TEST_F_TIMEOUT(hd, shut_rd_flood_one_abort_mode2, TT_TIMEOUT(300))
{
	struct sched_param sp = { .sched_priority = 10 };
	char rt_runtime[32] = "950000\n";
	int lfd, cfd, afd, ret, i, ref0, ref1, ref = 0;
	pid_t softirqd;
	unsigned short port, cport;
	struct snap s0, s1;
	cpu_set_t cpus;
	struct seqs q;
	char buf[64];

	set_mode(_metadata, STRICT);
	lfd = tt_net_listen(variant->family, 1, &port);
	ASSERT_LE(0, lfd);
	ret = tt_net_pair(lfd, variant->family, port, &cfd, &afd);
	ASSERT_EQ(0, ret) TH_LOG("connect: %s", strerror(-ret));
	cport = tt_sock_port(cfd, false);
	seqs_from_handshake(_metadata, &self->cap, port, cport, &q);
	ASSERT_EQ(0, shutdown(afd, SHUT_RD));
	snap_take(_metadata, &s0);
	ref0 = tt_proc_tcp_refcnt(variant->family, port, cport);
	ASSERT_LT(0, ref0) TH_LOG("refcnt: %s", strerror(-ref0));

	tt_read_file(RT_RUNTIME, rt_runtime, sizeof(rt_runtime));
	ASSERT_EQ(0, tt_write_str(RT_RUNTIME, "-1\n"));
	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu(), &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
	softirqd = ksoftirqd_pid(sched_getcpu());
	ASSERT_LT(0, softirqd) TH_LOG("no ksoftirqd for cpu %d", sched_getcpu());
	sp.sched_priority = 20;
	ASSERT_EQ(0, sched_setscheduler(softirqd, SCHED_FIFO, &sp));
	sp.sched_priority = 10;
	ASSERT_EQ(0, sched_setscheduler(0, SCHED_FIFO, &sp));
	/* the most references seen, every 100 segments while it lives */
	ref1 = ref0;
	for (i = 0; i < FLOOD_SEGS; i++) {
		inject(_metadata, variant->family, cport, port, q.rcv_nxt,
		       q.snd_nxt, TT_TH_ACK | TT_TH_PSH, false, 0, 1);
		if (i % 100 == 99 && ref >= 0) {
			ref = tt_proc_tcp_refcnt(variant->family, port, cport);
			if (ref > ref1)
				ref1 = ref;
		}
	}
	sp.sched_priority = 0;
	ASSERT_EQ(0, sched_setscheduler(0, SCHED_OTHER, &sp));
	ASSERT_EQ(0, sched_setscheduler(softirqd, SCHED_OTHER, &sp));
	ASSERT_EQ(0, tt_write_str(RT_RUNTIME, rt_runtime));

	wait_counter(_metadata, "hd_shut_rd_rst", 1);
	tt_msleep(SETTLE_MS);
	snap_take(_metadata, &s1);
	TH_LOG("%s: refcnt %d before the flood, at most %d during it (%s)",
	       tt_family_name(variant->family), ref0, ref1,
	       ref < 0 ? "aborted during the flood" : "aborted after it");
	/* one abort request, and the receive path's own for a moment */
	ASSERT_GE(ref0 + 2, ref1) TH_LOG("abort requests pending: %d",
					 ref1 - ref0);
	assert_delta(_metadata, &s0, &s1, "hd_shut_rd_rst", 1);
	/* the abort's, and the closed port's answers to the rest */
	ASSERT_LE(1, cap_count(_metadata, &self->cap, TT_TH_RST, port, cport));
	ASSERT_EQ(-1, recv(afd, buf, sizeof(buf), MSG_DONTWAIT));
	ASSERT_EQ(ECONNRESET, errno);
	close(afd);
	close(cfd);
	close(lfd);
}

/*
 * Mode 0, an orphan in FIN_WAIT_2 (@minisock: the timewait mini-socket,
 * else the full socket): forged data at rcv_nxt that the kernel rejects
 * (an ACK of unsent data; a timestamp older than the last one) is
 * treated as stock treats it: never acknowledged, rcv_nxt unchanged,
 * not counted.  An acceptable forged segment, last (first for the
 * mini-socket, which stock resets for the unsent ACK), is taken: the
 * test can tell.
 */
static void orphan_unacceptable(struct __test_metadata *_metadata, int family,
				struct tt_cap *cap, bool minisock)
{
	unsigned short port, cport;
	int lfd, cfd, afd, ret;
	struct snap s0, s1;
	struct tt_cap data;
	struct seqs q;
	uint32_t ts;
	char c;

	set_mode(_metadata, GRACEFUL);
	set_fin_timeout(_metadata, minisock ? 60 : 90);
	lfd = tt_net_listen(family, 1, &port);
	ASSERT_LE(0, lfd);
	ret = tt_net_pair(lfd, family, port, &cfd, &afd);
	ASSERT_EQ(0, ret) TH_LOG("connect: %s", strerror(-ret));
	cport = tt_sock_port(cfd, false);
	ASSERT_EQ(0, tt_set_io_timeout(cfd, IO_MS));
	server_close_fin_wait2(_metadata, afd);
	ASSERT_EQ(0, recv(cfd, &c, 1, 0)) TH_LOG("client: want EOF");
	assert_server_sock(_metadata, family, port, cport, TCP_FIN_WAIT2,
			   minisock ? 3 : 2);
	seqs_from_fin(_metadata, cap, port, cport, &q);
	ASSERT_EQ(0, tt_cap_open(&data, false));
	ts = client_tsval(_metadata, cfd);

	if (minisock) {
		snap_take(_metadata, &s0);
		inject(_metadata, family, cport, port, q.rcv_nxt, q.snd_nxt,
		       TT_TH_ACK | TT_TH_PSH, true, ts + 1, SPOOF_BYTES);
		tt_msleep(SETTLE_MS);
		snap_take(_metadata, &s1);
		ASSERT_LE(1, count_ack(_metadata, &data, port, cport,
				       q.rcv_nxt + SPOOF_BYTES))
			TH_LOG("acceptable data not acknowledged");
		assert_delta(_metadata, &s0, &s1, "hd_after_close_acked_bytes",
			     SPOOF_BYTES);
		q.rcv_nxt += SPOOF_BYTES;
	}

	/* PAWS: a timestamp 2^28 ms older than the client's */
	snap_take(_metadata, &s0);
	inject(_metadata, family, cport, port, q.rcv_nxt, q.snd_nxt,
	       TT_TH_ACK | TT_TH_PSH, true, ts - 0x10000000, SPOOF_BYTES);
	tt_msleep(SETTLE_MS);
	snap_take(_metadata, &s1);
	ASSERT_EQ(0, count_ack(_metadata, &data, port, cport,
			       q.rcv_nxt + SPOOF_BYTES))
		TH_LOG("PAWS-failing data acknowledged");
	assert_delta(_metadata, &s0, &s1, "hd_after_close_acked_bytes", 0);
	assert_delta(_metadata, &s0, &s1, "hd_after_close_acked_segs", 0);
	ASSERT_EQ(0, cap_count(_metadata, cap, TT_TH_RST, 0, 0));

	/* an ACK of data the server never sent */
	snap_take(_metadata, &s0);
	inject(_metadata, family, cport, port, q.rcv_nxt,
	       q.snd_nxt + 0x10000000, TT_TH_ACK | TT_TH_PSH, true, ts + 2,
	       SPOOF_BYTES);
	tt_msleep(SETTLE_MS);
	snap_take(_metadata, &s1);
	ASSERT_EQ(0, count_ack(_metadata, &data, port, cport,
			       q.rcv_nxt + SPOOF_BYTES))
		TH_LOG("data with an ACK of unsent data acknowledged");
	assert_delta(_metadata, &s0, &s1, "hd_after_close_acked_bytes", 0);
	assert_delta(_metadata, &s0, &s1, "hd_after_close_acked_segs", 0);
	if (minisock) {
		/* stock: new data on the mini-socket is answered by RST */
		ASSERT_LE(1, cap_count(_metadata, cap, TT_TH_RST, port, cport))
			TH_LOG("mini-socket: stock resets");
	} else {
		ASSERT_EQ(0, cap_count(_metadata, cap, TT_TH_RST, 0, 0));
		/* stock answers both with ACKs of the old rcv_nxt, if any */
		snap_take(_metadata, &s0);
		inject(_metadata, family, cport, port, q.rcv_nxt, q.snd_nxt,
		       TT_TH_ACK | TT_TH_PSH, true, ts + 3, SPOOF_BYTES);
		tt_msleep(SETTLE_MS);
		snap_take(_metadata, &s1);
		ASSERT_LE(1, count_ack(_metadata, &data, port, cport,
				       q.rcv_nxt + SPOOF_BYTES))
			TH_LOG("acceptable data not acknowledged");
		assert_delta(_metadata, &s0, &s1, "hd_after_close_acked_bytes",
			     SPOOF_BYTES);
	}
	TH_LOG("%s %s: ACKs of rcv_nxt %d, RSTs %d",
	       tt_family_name(family), minisock ? "mini-socket" : "full",
	       count_ack(_metadata, &data, port, cport, q.rcv_nxt),
	       cap_count(_metadata, cap, TT_TH_RST, port, cport));
	tt_cap_close(&data);
	close(cfd);
	close(lfd);
}

TEST_F_TIMEOUT(hd, fin_wait2_full_unacceptable_mode0, TT_TIMEOUT(60))
{
	orphan_unacceptable(_metadata, variant->family, &self->cap, false);
}

TEST_F_TIMEOUT(hd, fin_wait2_minisock_unacceptable_mode0, TT_TIMEOUT(60))
{
	orphan_unacceptable(_metadata, variant->family, &self->cap, true);
}

/*
 * Mode 0: the client's data after the server's close() is acknowledged
 * at once, in each state of the orphan: no retransmission by the client
 * and an ACK well within its RTO.
 */
enum orphan_state {
	FW1_FIN_ACKED_BY_DATA,	/* the data segment acknowledges our FIN */
	FW1_FIN_QUEUED,		/* our FIN waits behind unsent data */
	FW2_FULL,
	FW2_MINISOCK,
};

static const char *const orphan_state_name[] = {
	"FIN_WAIT_1, FIN acked by data", "FIN_WAIT_1, FIN queued",
	"FIN_WAIT_2 full socket", "FIN_WAIT_2 mini-socket",
};

#define LATENCY_BYTES	1000
#define LATENCY_TRIES	5

/*
 * One attempt: false if the path was not the one asked for (the client's
 * delayed ACK of our FIN left before its data), to be tried again.
 */
static bool ack_latency_once(struct __test_metadata *_metadata, int family,
			     int mode, enum orphan_state st, long long *us)
{
	int lfd, cfd, afd, ret, retrans, rto;
	unsigned short port, cport;
	const struct tt_seg *fin, *first;
	struct tcp_info ti;
	struct tt_cap data;
	struct tt_io io;
	long long t0;
	char c;

	set_fin_timeout(_metadata, st == FW2_FULL ? 90 : 60);
	lfd = tt_net_listen(family, 1, &port);
	EXPECT_LE(0, lfd);
	cfd = tt_net_socket(family);
	EXPECT_LE(0, cfd);
	if (st == FW1_FIN_QUEUED)
		EXPECT_EQ(0, tt_set_rcvbuf(cfd, 16 * 1024));
	ret = tt_net_pair_fd(lfd, family, port, cfd, &afd);
	EXPECT_EQ(0, ret) TH_LOG("connect: %s", strerror(-ret));
	cport = tt_sock_port(cfd, false);
	EXPECT_EQ(0, tt_set_io_timeout(cfd, IO_MS));
	EXPECT_EQ(0, tt_cap_open(&data, false));

	switch (st) {
	case FW1_FIN_ACKED_BY_DATA:
		EXPECT_EQ(0, close(afd));
		break;
	case FW1_FIN_QUEUED:
		EXPECT_EQ(0, tt_set_sndbuf_force(afd, 4 << 20));
		EXPECT_EQ(0, tt_send_bytes(afd, 1 << 20, &io));
		EXPECT_EQ(0, close(afd));
		break;
	case FW2_FULL:
	case FW2_MINISOCK:
		server_close_fin_wait2(_metadata, afd);
		EXPECT_EQ(0, recv(cfd, &c, 1, 0));
		break;
	}
	ti = client_info(_metadata, cfd);
	retrans = ti.tcpi_total_retrans;
	rto = ti.tcpi_rto;
	t0 = tt_now_us();
	EXPECT_EQ(0, tt_send_bytes(cfd, LATENCY_BYTES, &io));
	*us = tt_outq_empty_after_us(cfd, t0, IO_MS);
	ti = client_info(_metadata, cfd);

	fin = tt_cap_find(&data, TT_TH_FIN, port, cport);
	first = tt_cap_find(&data, TT_TH_ACK, cport, port);
	if (st == FW1_FIN_ACKED_BY_DATA) {
		/* the first thing the client sent after the FIN: data */
		unsigned int i;

		first = NULL;
		for (i = 0; fin && i < data.nr; i++) {
			const struct tt_seg *s = &data.seg[i];

			if (s > fin && s->sport == cport && s->dport == port) {
				first = s;
				break;
			}
		}
		if (!fin || !first || !first->len ||
		    first->ack != fin->seq + 1) {
			TH_LOG("FIN acked before the data: again");
			tt_cap_close(&data);
			close(cfd);
			close(lfd);
			return false;
		}
	}
	TH_LOG("%s mode %d, %s: ACK after %lld us, rto %d us, client retransmits %d",
	       tt_family_name(family), mode, orphan_state_name[st], *us, rto,
	       ti.tcpi_total_retrans - retrans);
	EXPECT_LE(0, *us) TH_LOG("data never acknowledged");
	EXPECT_EQ(retrans, (int)ti.tcpi_total_retrans)
		TH_LOG("the client had to retransmit");
	EXPECT_GT(rto / 2, *us) TH_LOG("ACK after an RTO");
	tt_cap_close(&data);
	close(cfd);
	close(lfd);
	return true;
}

static void ack_latency(struct __test_metadata *_metadata, int family,
			enum orphan_state st)
{
	long long us = -1;
	int i;

	set_mode(_metadata, GRACEFUL);
	for (i = 0; i < LATENCY_TRIES; i++) {
		if (ack_latency_once(_metadata, family, GRACEFUL, st, &us))
			break;
	}
	ASSERT_GT(LATENCY_TRIES, i) TH_LOG("never got the path");
}

TEST_F_TIMEOUT(hd, ack_latency_fw1_fin_acked_by_data_mode0, TT_TIMEOUT(120))
{
	ack_latency(_metadata, variant->family, FW1_FIN_ACKED_BY_DATA);
}

TEST_F_TIMEOUT(hd, ack_latency_fw1_fin_queued_mode0, TT_TIMEOUT(120))
{
	ack_latency(_metadata, variant->family, FW1_FIN_QUEUED);
}

TEST_F_TIMEOUT(hd, ack_latency_fw2_full_mode0, TT_TIMEOUT(120))
{
	ack_latency(_metadata, variant->family, FW2_FULL);
}

TEST_F_TIMEOUT(hd, ack_latency_fw2_minisock_mode0, TT_TIMEOUT(120))
{
	ack_latency(_metadata, variant->family, FW2_MINISOCK);
}

/*
 * CLOSING: the orphan's FIN waits behind data the client does not read;
 * the client sends data and its own FIN.  The orphan takes the data,
 * moves to CLOSING and acknowledges data and FIN at once.  (LAST_ACK,
 * the other closing state, is entered only after the peer's FIN: nothing
 * new can arrive there.)
 */
TEST_F_TIMEOUT(hd, ack_latency_closing_mode0, TT_TIMEOUT(120))
{
	int lfd, cfd, afd, ret, retrans, rto;
	unsigned short port, cport;
	struct tt_proc_sock ps;
	struct tcp_info ti;
	long long t0, us;
	struct tt_io io;

	set_mode(_metadata, GRACEFUL);
	lfd = tt_net_listen(variant->family, 1, &port);
	ASSERT_LE(0, lfd);
	cfd = tt_net_socket(variant->family);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, tt_set_rcvbuf(cfd, 16 * 1024));
	ret = tt_net_pair_fd(lfd, variant->family, port, cfd, &afd);
	ASSERT_EQ(0, ret) TH_LOG("connect: %s", strerror(-ret));
	cport = tt_sock_port(cfd, false);
	ASSERT_EQ(0, tt_set_sndbuf_force(afd, 4 << 20));
	ASSERT_EQ(0, tt_send_bytes(afd, 1 << 20, &io));
	ASSERT_EQ(0, close(afd));

	ti = client_info(_metadata, cfd);
	retrans = ti.tcpi_total_retrans;
	rto = ti.tcpi_rto;
	t0 = tt_now_us();
	ASSERT_EQ(0, tt_send_bytes(cfd, LATENCY_BYTES, &io));
	ASSERT_EQ(0, shutdown(cfd, SHUT_WR));
	us = tt_outq_empty_after_us(cfd, t0, IO_MS);
	ti = client_info(_metadata, cfd);
	ASSERT_EQ(0, tt_proc_tcp_find(variant->family, port, cport, &ps));
	TH_LOG("%s mode 0, CLOSING: data and FIN ACKed after %lld us, rto %d us, client retransmits %d",
	       tt_family_name(variant->family), us, rto,
	       (int)ti.tcpi_total_retrans - retrans);
	ASSERT_EQ(TCP_CLOSING, ps.state) TH_LOG("server not in CLOSING");
	ASSERT_LE(0, us) TH_LOG("data and FIN never acknowledged");
	ASSERT_EQ(retrans, (int)ti.tcpi_total_retrans)
		TH_LOG("the client had to retransmit");
	ASSERT_GT(rto / 2, us) TH_LOG("ACK after an RTO");
	ASSERT_EQ(0, cap_count(_metadata, &self->cap, TT_TH_RST, 0, 0));
	close(cfd);
	close(lfd);
}

TEST_HARNESS_MAIN
