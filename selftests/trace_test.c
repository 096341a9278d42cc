// SPDX-License-Identifier: GPL-2.0
/*
 * The trace events under /sys/kernel/tracing/events/tcp_teardown/ and
 * the lnstat file /proc/net/stat/tcp_teardown.
 *
 * Each test loads the module afresh with the policy it drives, enters a
 * network namespace of its own, enables the module's events in a trace
 * instance of its own, drives decisions and reads the instance's trace
 * file: one event per decision, of the connection the test made (netns
 * inode and cookie, family, addresses, ports), with the values that
 * drove it, and as many as the counter that counts the decision moved.
 * Waits only guard against hangs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "tt_checks.h"
#include "tt_diag.h"
#include "tt_harness.h"
#include "tt_net.h"
#include "tt_util.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE	71
#endif

#define TRACEFS		"/sys/kernel/tracing"
#define INSTANCE	TRACEFS "/instances/tcp_teardown_test"
#define EVENTS_DIR	TRACEFS "/events/tcp_teardown"
#define PROC_STAT	"/proc/net/stat/tcp_teardown"
#define IO_MS		10000	/* guard on any blocking socket call */
#define WAIT_MS		15000	/* guard on an event that comes by a timer */
#define MAX_EVENTS	64
#define MAX_FIELDS	20
#define TRACE_BUF	(256 * 1024)

/* ---- tracefs ---- */

static int tracefs_mount(void)
{
	struct stat st;

	if (!stat(TRACEFS "/trace", &st))
		return 0;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		return -errno;
	return 0;
}

static int instance_write(const char *file, const char *s)
{
	char path[TT_PATH_MAX];
	int fd, ret = 0;
	size_t len = strlen(s);

	snprintf(path, sizeof(path), INSTANCE "/%s", file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	if (len && write(fd, s, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}

/* The module's events on, in our instance, its buffer emptied. */
static int trace_start(void)
{
	int ret = tracefs_mount();

	if (ret)
		return ret;
	/*
	 * Recording task names would switch on the sched tracepoints, whose
	 * live patching is more text patching than the test needs
	 * (performance.rst, "Live patching under emulation"): off,
	 * before the instance inherits the option.
	 */
	ret = tt_write_str(TRACEFS "/options/record-cmd", "0");
	if (ret)
		return ret;
	if (mkdir(INSTANCE, 0755) && errno != EEXIST)
		return -errno;
	ret = instance_write("trace", "");
	if (!ret)
		ret = instance_write("events/tcp_teardown/enable", "1");
	return ret;
}

static void trace_stop(void)
{
	instance_write("events/tcp_teardown/enable", "0");
}

struct event {
	char name[40];
	int nr;
	char key[MAX_FIELDS][24];
	char val[MAX_FIELDS][64];
};

struct events {
	int nr;
	struct event ev[MAX_EVENTS];
};

/*
 * One line of the trace file:
 *   <task>-<pid> [cpu] flags stamp: <event>: k=v k=v ...
 * with src=[addr]:port and dst=[addr]:port split into saddr, sport,
 * daddr, dport.  Lines of other events (none are on) are skipped.
 */
static void parse_line(struct events *evs, char *line)
{
	char *p = strstr(line, ": netns_ino="), *name, *tok, *save, *eq;
	struct event *e;

	if (!p || evs->nr == MAX_EVENTS)
		return;
	*p = '\0';
	name = strrchr(line, ' ');
	name = name ? name + 1 : line;
	e = &evs->ev[evs->nr++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	for (tok = strtok_r(p + 2, " \n", &save); tok && e->nr < MAX_FIELDS;
	     tok = strtok_r(NULL, " \n", &save)) {
		eq = strchr(tok, '=');
		if (!eq)
			continue;
		*eq++ = '\0';
		if (!strcmp(tok, "src") || !strcmp(tok, "dst")) {
			/* [addr]:port */
			char *close = strchr(eq, ']');

			if (!close || eq[0] != '[' || close[1] != ':' ||
			    e->nr + 2 > MAX_FIELDS)
				continue;
			*close = '\0';
			snprintf(e->key[e->nr], sizeof(e->key[0]), "%caddr",
				 tok[0] == 's' ? 's' : 'd');
			snprintf(e->val[e->nr++], sizeof(e->val[0]), "%s",
				 eq + 1);
			snprintf(e->key[e->nr], sizeof(e->key[0]), "%cport",
				 tok[0] == 's' ? 's' : 'd');
			snprintf(e->val[e->nr++], sizeof(e->val[0]), "%s",
				 close + 2);
			continue;
		}
		snprintf(e->key[e->nr], sizeof(e->key[0]), "%s", tok);
		snprintf(e->val[e->nr++], sizeof(e->val[0]), "%s", eq);
	}
}

static int trace_read(struct events *evs)
{
	char *buf = malloc(TRACE_BUF), *line, *save;
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = tt_read_file(INSTANCE "/trace", buf, TRACE_BUF);
	evs->nr = 0;
	if (ret >= 0) {
		for (line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			if (line[0] != '#')
				parse_line(evs, line);
		ret = 0;
	}
	free(buf);
	return ret;
}

static const char *ev_get(const struct event *e, const char *key)
{
	int i;

	for (i = 0; i < e->nr; i++)
		if (!strcmp(e->key[i], key))
			return e->val[i];
	return NULL;
}

static long long ev_num(const struct event *e, const char *key)
{
	const char *v = ev_get(e, key);

	return v ? strtoll(v, NULL, 10) : -1;
}

/* Events @name of the connection between ports @sport and @dport. */
static int ev_count(const struct events *evs, const char *name,
		    unsigned short sport, unsigned short dport,
		    const struct event **found)
{
	int i, n = 0;

	for (i = 0; i < evs->nr; i++) {
		const struct event *e = &evs->ev[i];

		if (strcmp(e->name, name) || ev_num(e, "sport") != sport ||
		    ev_num(e, "dport") != dport)
			continue;
		if (found && !n)
			*found = e;
		n++;
	}
	return n;
}

/* ---- fixture ---- */

FIXTURE(trace) {
	struct tt_bed bed;
	int lfd;
	unsigned short port;
	unsigned long long netns_ino, netns_cookie;
	struct events evs;
	struct tt_counters c0;
};

FIXTURE_SETUP(trace)
{
	self->lfd = -1;
	self->bed.init_netns = -1;
	self->bed.ns = -1;
}

FIXTURE_TEARDOWN(trace)
{
	trace_stop();
	if (self->lfd >= 0)
		close(self->lfd);
	tt_bed_leave(&self->bed);
}

/*
 * Load the module with @params, enter a new netns, listen on @family
 * (0: a dual-stack [::] listener), start tracing; the counters now.
 */
static void bed(struct __test_metadata *_metadata, FIXTURE_DATA(trace) *self,
		const char *params, int family)
{
	socklen_t len = sizeof(self->netns_cookie);
	struct stat st;
	int ret, fd;

	ret = tt_bed_enter(&self->bed, params);
	ASSERT_EQ(0, ret) TH_LOG("test bed: %s", strerror(-ret));
	ASSERT_EQ(0, stat("/proc/self/ns/net", &st));
	self->netns_ino = st.st_ino;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE,
				&self->netns_cookie, &len));
	close(fd);
	if (family)
		self->lfd = tt_net_listen(family, 16, &self->port);
	else
		self->lfd = tt_net_listen_dual(16, &self->port);
	ASSERT_LE(0, self->lfd) TH_LOG("listen: %s", strerror(-self->lfd));
	ret = trace_start();
	ASSERT_EQ(0, ret) TH_LOG("tracing: %s", strerror(-ret));
	ret = tt_counters_read_netns(&self->c0);
	ASSERT_EQ(0, ret) TH_LOG("counters: %s", strerror(-ret));
}

static long long counter_delta(struct __test_metadata *_metadata,
			       FIXTURE_DATA(trace) *self, const char *name)
{
	long long v0, v1;

	ASSERT_EQ(0, tt_counters_get(&self->c0, name, &v0)) TH_LOG("%s", name);
	ASSERT_EQ(0, tt_counter_read(name, &v1)) TH_LOG("%s", name);
	return v1 - v0;
}

/*
 * Events @name of the connection from @sport to @dport, once one came
 * (within @wait_ms): exactly one if @one, else at least one; as many
 * decisions counted by @counter; each with the connection's namespace,
 * family and addresses.  Returns the first.
 */
static const struct event *
expect_events(struct __test_metadata *_metadata, FIXTURE_DATA(trace) *self,
	      const char *name, const char *counter, int family,
	      const char *addr, unsigned short sport, unsigned short dport,
	      int wait_ms, bool one)
{
	const struct event *e = NULL;
	long long end = tt_now_us() + wait_ms * 1000LL;
	char want[64];
	int n, ret;

	for (;;) {
		ret = trace_read(&self->evs);
		ASSERT_EQ(0, ret) TH_LOG("trace: %s", strerror(-ret));
		n = ev_count(&self->evs, name, sport, dport, &e);
		if (n || tt_now_us() > end)
			break;
		tt_msleep(50);
	}
	ASSERT_LE(1, n) TH_LOG("no %s event %u -> %u (of %d)", name, sport,
			       dport, self->evs.nr);
	if (one)
		ASSERT_EQ(1, n) TH_LOG("%d %s events", n, name);
	/* read after the events: a decision is counted before it is traced */
	if (counter)
		ASSERT_EQ(n, counter_delta(_metadata, self, counter))
			TH_LOG("%s: not one count per %s event", counter, name);
	ASSERT_EQ((long long)self->netns_ino, ev_num(e, "netns_ino"));
	snprintf(want, sizeof(want), "%llu", self->netns_cookie);
	ASSERT_STREQ(want, ev_get(e, "netns_cookie"));
	ASSERT_EQ(family, ev_num(e, "family"));
	ASSERT_STREQ(addr, ev_get(e, "saddr"));
	ASSERT_STREQ(addr, ev_get(e, "daddr"));
	return e;
}

#define expect_one(_metadata, self, name, counter, family, addr, sport,	\
		   dport, wait_ms)						\
	expect_events(_metadata, self, name, counter, family, addr, sport, \
		      dport, wait_ms, true)

/* Loopback as the events show it: IPv6, v4-mapped for IPv4. */
#define V4	"::ffff:127.0.0.1"
#define V6	"::1"

static char data[4096];

/* ---- half-duplex close ---- */

/* close() with @n bytes unread, from the server side. */
static void close_unread(struct __test_metadata *_metadata,
			 FIXTURE_DATA(trace) *self, int family, int n,
			 unsigned short *cport)
{
	int cfd, afd, ret;

	ret = tt_net_pair(self->lfd, family, self->port, &cfd, &afd);
	ASSERT_EQ(0, ret) TH_LOG("pair: %s", strerror(-ret));
	*cport = tt_sock_port(cfd, false);
	ASSERT_EQ(n, send(cfd, data, n, 0));
	ASSERT_EQ(0, tt_wait_inq(afd, n, IO_MS));
	ASSERT_EQ(0, close(afd));
	close(cfd);
}

TEST_F_TIMEOUT(trace, hd_close_fin, TT_TIMEOUT(30))
{
	const struct event *e;
	unsigned short cport;

	bed(_metadata, self, "half_duplex_close=0", AF_INET);
	close_unread(_metadata, self, AF_INET, 100, &cport);
	e = expect_one(_metadata, self, "hd_close_fin", "hd_close_fin",
		       AF_INET, V4, self->port, cport, IO_MS);
	ASSERT_EQ(100, ev_num(e, "unread"));
	ASSERT_EQ(0, ev_num(e, "mode"));
}

TEST_F_TIMEOUT(trace, hd_close_fin_ipv6, TT_TIMEOUT(30))
{
	const struct event *e;
	unsigned short cport;

	bed(_metadata, self, "half_duplex_close=0", AF_INET6);
	close_unread(_metadata, self, AF_INET6, 10, &cport);
	e = expect_one(_metadata, self, "hd_close_fin", "hd_close_fin",
		       AF_INET6, V6, self->port, cport, IO_MS);
	ASSERT_EQ(10, ev_num(e, "unread"));
}

/* An AF_INET6 socket of a [::] listener with an IPv4 peer: v4-mapped. */
TEST_F_TIMEOUT(trace, hd_close_fin_dual, TT_TIMEOUT(30))
{
	const struct event *e;
	unsigned short cport;

	bed(_metadata, self, "half_duplex_close=0", 0);
	close_unread(_metadata, self, AF_INET, 7, &cport);
	e = expect_one(_metadata, self, "hd_close_fin", "hd_close_fin",
		       AF_INET6, V4, self->port, cport, IO_MS);
	ASSERT_EQ(7, ev_num(e, "unread"));
}

TEST_F_TIMEOUT(trace, hd_close_rst, TT_TIMEOUT(30))
{
	const struct event *e;
	unsigned short cport;

	bed(_metadata, self, "half_duplex_close=2", AF_INET);
	close_unread(_metadata, self, AF_INET, 33, &cport);
	e = expect_one(_metadata, self, "hd_close_rst", "hd_close_rst",
		       AF_INET, V4, self->port, cport, IO_MS);
	ASSERT_EQ(33, ev_num(e, "unread"));
	ASSERT_EQ(2, ev_num(e, "mode"));
}

/*
 * The server closes first; once the client has its FIN, it sends @n
 * bytes to the orphan.
 */
static void data_after_close(struct __test_metadata *_metadata,
			     FIXTURE_DATA(trace) *self, int n,
			     unsigned short *cport, int *cfdp)
{
	int cfd, afd, ret;
	char c;

	ret = tt_net_pair(self->lfd, AF_INET, self->port, &cfd, &afd);
	ASSERT_EQ(0, ret) TH_LOG("pair: %s", strerror(-ret));
	*cport = tt_sock_port(cfd, false);
	ASSERT_EQ(0, close(afd));
	ASSERT_LT(0, tt_wait_poll(cfd, POLLIN, IO_MS));
	ASSERT_EQ(0, recv(cfd, &c, 1, 0));
	ASSERT_EQ(n, send(cfd, data, n, 0));
	*cfdp = cfd;
}

TEST_F_TIMEOUT(trace, hd_after_close_acked, TT_TIMEOUT(30))
{
	const struct event *e;
	unsigned short cport;
	int cfd;

	bed(_metadata, self, "half_duplex_close=0", AF_INET);
	data_after_close(_metadata, self, 200, &cport, &cfd);
	e = expect_one(_metadata, self, "hd_after_close_acked",
		       "hd_after_close_acked_segs", AF_INET, V4, self->port,
		       cport, IO_MS);
	ASSERT_EQ(200, ev_num(e, "acked"));
	ASSERT_EQ(200U, (uint32_t)(ev_num(e, "end") - ev_num(e, "seq")));
	ASSERT_EQ(ev_num(e, "seq"), ev_num(e, "rcv_nxt"));
	close(cfd);
}

TEST_F_TIMEOUT(trace, hd_after_close_rst, TT_TIMEOUT(30))
{
	const struct event *e;
	unsigned short cport;
	int cfd;

	bed(_metadata, self, "half_duplex_close=2", AF_INET);
	data_after_close(_metadata, self, 300, &cport, &cfd);
	e = expect_one(_metadata, self, "hd_after_close_rst",
		       "hd_after_close_rst", AF_INET, V4, self->port, cport,
		       IO_MS);
	ASSERT_EQ(0, ev_num(e, "acked"));
	ASSERT_EQ(300U, (uint32_t)(ev_num(e, "end") - ev_num(e, "seq")));
	ASSERT_EQ(ev_num(e, "seq"), ev_num(e, "rcv_nxt"));
	close(cfd);
}

TEST_F_TIMEOUT(trace, hd_shut_rd_rst, TT_TIMEOUT(30))
{
	const struct event *e;
	unsigned short cport;
	int cfd, afd, ret;

	bed(_metadata, self, "half_duplex_close=2", AF_INET);
	ret = tt_net_pair(self->lfd, AF_INET, self->port, &cfd, &afd);
	ASSERT_EQ(0, ret) TH_LOG("pair: %s", strerror(-ret));
	cport = tt_sock_port(cfd, false);
	ASSERT_EQ(0, shutdown(afd, SHUT_RD));
	ASSERT_EQ(10, send(cfd, data, 10, 0));
	e = expect_one(_metadata, self, "hd_shut_rd_rst", "hd_shut_rd_rst",
		       AF_INET, V4, self->port, cport, IO_MS);
	ASSERT_EQ(ECONNRESET, ev_num(e, "err"));
	close(afd);
	close(cfd);
}

/* ---- FIN_WAIT_2 ---- */

TEST_F_TIMEOUT(trace, fw2_orphan, TT_TIMEOUT(60))
{
	const struct event *e;
	unsigned short cport;
	int cfd, afd, ret;

	bed(_metadata, self, "fin_wait2_timeout_ms=1000", AF_INET);
	ret = tt_net_pair(self->lfd, AF_INET, self->port, &cfd, &afd);
	ASSERT_EQ(0, ret) TH_LOG("pair: %s", strerror(-ret));
	cport = tt_sock_port(cfd, false);
	ASSERT_EQ(0, close(afd));
	e = expect_one(_metadata, self, "fw2_orphan_timeout_set",
		       "fw2_orphan_timeout_set", AF_INET, V4, self->port,
		       cport, IO_MS);
	ASSERT_EQ(1000, ev_num(e, "ms"));
	ASSERT_EQ(0, ev_num(e, "rst"));
	/* the client never closes: the orphan's time runs out */
	expect_one(_metadata, self, "fw2_orphan_expired_silent",
		   "fw2_orphan_expired_silent", AF_INET, V4, self->port,
		   cport, WAIT_MS);
	close(cfd);
}

TEST_F_TIMEOUT(trace, fw2_orphan_rst, TT_TIMEOUT(60))
{
	const struct event *e;
	unsigned short cport;
	int cfd, afd, ret;

	bed(_metadata, self, "fin_wait2_timeout_ms=1000 fin_wait2_rst=1",
	    AF_INET);
	ret = tt_net_pair(self->lfd, AF_INET, self->port, &cfd, &afd);
	ASSERT_EQ(0, ret) TH_LOG("pair: %s", strerror(-ret));
	cport = tt_sock_port(cfd, false);
	ASSERT_EQ(0, close(afd));
	e = expect_one(_metadata, self, "fw2_orphan_timeout_set",
		       "fw2_orphan_timeout_set", AF_INET, V4, self->port,
		       cport, IO_MS);
	ASSERT_EQ(1000, ev_num(e, "ms"));
	ASSERT_EQ(1, ev_num(e, "rst"));
	expect_one(_metadata, self, "fw2_orphan_expired_rst",
		   "fw2_orphan_expired_rst", AF_INET, V4, self->port, cport,
		   WAIT_MS);
	close(cfd);
}

TEST_F_TIMEOUT(trace, fw2_idle, TT_TIMEOUT(60))
{
	const struct event *e;
	unsigned short cport;
	int cfd, afd, ret;

	bed(_metadata, self, "fin_wait2_idle_ms=500", AF_INET);
	ret = tt_net_pair(self->lfd, AF_INET, self->port, &cfd, &afd);
	ASSERT_EQ(0, ret) TH_LOG("pair: %s", strerror(-ret));
	cport = tt_sock_port(cfd, false);
	ASSERT_EQ(0, shutdown(afd, SHUT_WR));
	e = expect_one(_metadata, self, "fw2_idle_tracked", "fw2_idle_tracked",
		       AF_INET, V4, self->port, cport, IO_MS);
	ASSERT_EQ(500, ev_num(e, "ms"));
	e = expect_one(_metadata, self, "fw2_idle_abort", "fw2_idle_aborts",
		       AF_INET, V4, self->port, cport, WAIT_MS);
	ASSERT_EQ(ETIMEDOUT, ev_num(e, "err"));
	expect_one(_metadata, self, "fw2_idle_released", "fw2_idle_released",
		   AF_INET, V4, self->port, cport, WAIT_MS);
	close(afd);
	close(cfd);
}

/* ---- TIME-WAIT ---- */

/*
 * A connection whose server closed first, in TIME-WAIT on the server's
 * side; a socket bound to its client port connects again.
 */
static int tw_reconnect(struct __test_metadata *_metadata,
			FIXTURE_DATA(trace) *self, unsigned short *cport)
{
	struct sockaddr_storage ss;
	int cfd, afd, fd, ret, one = 1;
	socklen_t len;
	char c;

	ret = tt_net_pair(self->lfd, AF_INET, self->port, &cfd, &afd);
	ASSERT_EQ(0, ret) TH_LOG("pair: %s", strerror(-ret));
	*cport = tt_sock_port(cfd, false);
	ASSERT_EQ(0, close(afd));
	ASSERT_LT(0, tt_wait_poll(cfd, POLLIN, IO_MS));
	ASSERT_EQ(0, recv(cfd, &c, 1, 0));
	ASSERT_EQ(0, shutdown(cfd, SHUT_WR));
	ASSERT_EQ(0, tt_tcp_wait_state(cfd, TCP_CLOSE, IO_MS));
	close(cfd);

	fd = tt_net_socket(AF_INET);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)));
	len = tt_loopback_addr(AF_INET, *cport, &ss);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&ss, len));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	len = tt_loopback_addr(AF_INET, self->port, &ss);
	ASSERT_TRUE(!connect(fd, (struct sockaddr *)&ss, len) ||
		    errno == EINPROGRESS);
	return fd;
}

TEST_F_TIMEOUT(trace, tw_length_and_reopen, TT_TIMEOUT(60))
{
	const struct event *e;
	unsigned short cport;
	long long seq;
	int fd;

	bed(_metadata, self, "time_wait_ms=5000", AF_INET);
	fd = tw_reconnect(_metadata, self, &cport);
	e = expect_one(_metadata, self, "tw_length_set", "tw_length_set",
		       AF_INET, V4, self->port, cport, IO_MS);
	ASSERT_EQ(5000, ev_num(e, "ms"));

	ASSERT_LT(0, tt_wait_poll(fd, POLLOUT, IO_MS));
	seq = counter_delta(_metadata, self, "tw_reopen_seq");
	e = expect_one(_metadata, self, seq ? "tw_reopen_seq" : "tw_reopen_ts",
		       seq ? "tw_reopen_seq" : "tw_reopen_ts", AF_INET, V4,
		       self->port, cport, IO_MS);
	ASSERT_EQ(2, ev_num(e, "mode"));
	ASSERT_EQ(3, ev_num(e, "verdict"));	/* TCP_TW_SYN */
	if (seq)
		ASSERT_LT(0, (int32_t)(ev_num(e, "seq") - ev_num(e, "rcv_nxt")));
	close(fd);
}

/* The sequence number of the last SYN-ACK from @sport to @dport. */
static uint32_t last_synack(const struct tt_cap *cap, unsigned short sport,
			    unsigned short dport)
{
	int i;

	for (i = cap->nr - 1; i >= 0; i--) {
		const struct tt_seg *seg = &cap->seg[i];

		if ((seg->flags & (TT_TH_SYN | TT_TH_ACK)) ==
		    (TT_TH_SYN | TT_TH_ACK) && seg->sport == sport &&
		    seg->dport == dport)
			return seg->seq;
	}
	return 0;
}

/*
 * A gap far above what the kernel's ISN keeps: the reopening ISN is
 * raised.  With tw_restore the old TIME-WAIT is kept until the new
 * handshake completes, then retired.
 */
TEST_F_TIMEOUT(trace, tw_isn_raised_retired, TT_TIMEOUT(60))
{
	const struct event *e;
	unsigned short cport;
	uint32_t from, to, floor;
	struct tt_cap cap;
	int fd;

	bed(_metadata, self, "tw_isn_gap=100000000 tw_restore=1 time_wait_ms=5000",
	    AF_INET);
	ASSERT_EQ(0, tt_cap_open(&cap, true));
	fd = tw_reconnect(_metadata, self, &cport);
	ASSERT_LT(0, tt_wait_poll(fd, POLLOUT, IO_MS));
	e = expect_one(_metadata, self, "tw_isn_raised", "tw_isn_raised",
		       AF_INET, V4, self->port, cport, IO_MS);
	from = ev_num(e, "from");
	to = ev_num(e, "to");
	floor = ev_num(e, "floor");
	ASSERT_GT(0, (int32_t)(from - floor)) TH_LOG("kernel's ISN not below");
	ASSERT_GT(1U << 24, to - floor) TH_LOG("ISN not floor + 24 bits");
	/* the second SYN-ACK of these ports: the new incarnation's */
	ASSERT_EQ(2, tt_cap_count(&cap, TT_TH_SYN | TT_TH_ACK, self->port,
				  cport));
	ASSERT_EQ(to, last_synack(&cap, self->port, cport))
		TH_LOG("the SYN-ACK is not what the event says");
	tt_cap_close(&cap);
	/* no counter: the handshake completed, the old one goes */
	expect_one(_metadata, self, "tw_retired", NULL, AF_INET, V4,
		   self->port, cport, WAIT_MS);
	close(fd);
}

TEST_F_TIMEOUT(trace, tw_syn_refused_never, TT_TIMEOUT(60))
{
	const struct event *e;
	unsigned short cport;
	int fd;

	bed(_metadata, self, "tw_reopen=0 time_wait_ms=2000", AF_INET);
	fd = tw_reconnect(_metadata, self, &cport);
	/* the first SYN; its retransmissions may be refused again */
	e = expect_events(_metadata, self, "tw_syn_refused_never",
			  "tw_syn_refused_never", AF_INET, V4, self->port,
			  cport, IO_MS, false);
	ASSERT_EQ(0, ev_num(e, "mode"));
	ASSERT_EQ(3, ev_num(e, "verdict"));	/* TCP_TW_SYN */
	close(fd);
}

/*
 * A fresh TIME-WAIT on the server's side of a connection from @cport; the
 * old incarnation's rcv_nxt (after the client's FIN, as captured) and the
 * client's timestamp clock when it closed.
 */
static void tw_make(struct __test_metadata *_metadata,
		    FIXTURE_DATA(trace) *self, unsigned short *cport,
		    uint32_t *rcv_nxt, uint32_t *tsval)
{
	socklen_t len = sizeof(*tsval);
	const struct tt_seg *fin;
	struct tt_cap cap;
	int cfd, afd, ret;
	char c;

	ASSERT_EQ(0, tt_cap_open(&cap, true));
	ret = tt_net_pair(self->lfd, AF_INET, self->port, &cfd, &afd);
	ASSERT_EQ(0, ret) TH_LOG("pair: %s", strerror(-ret));
	*cport = tt_sock_port(cfd, false);
	ASSERT_EQ(0, close(afd));
	ASSERT_LT(0, tt_wait_poll(cfd, POLLIN, IO_MS));
	ASSERT_EQ(0, recv(cfd, &c, 1, 0));
	ASSERT_EQ(0, shutdown(cfd, SHUT_WR));
	ASSERT_EQ(0, tt_tcp_wait_state(cfd, TCP_CLOSE, IO_MS));
	ASSERT_EQ(0, getsockopt(cfd, IPPROTO_TCP, TCP_TIMESTAMP, tsval, &len));
	close(cfd);
	fin = tt_cap_find(&cap, TT_TH_FIN, *cport, self->port);
	ASSERT_NE(NULL, fin) TH_LOG("client FIN not captured");
	*rcv_nxt = fin->seq + fin->len + 1;
	tt_cap_close(&cap);
}

/* A SYN from @cport at @seq; with a newer timestamp? */
static void tw_syn(struct __test_metadata *_metadata,
		   FIXTURE_DATA(trace) *self, unsigned short cport,
		   uint32_t seq, uint32_t tsval, bool newer_ts)
{
	struct tt_raw_seg seg = {
		.family = AF_INET,
		.flags = TT_TH_SYN,
		.mss = 1460,
		.sport = cport,
		.dport = self->port,
		.seq = seq,
		.ts = newer_ts,
		.tsval = tsval + 1000,
	};
	int ret = tt_raw_send(&seg);

	ASSERT_EQ(0, ret) TH_LOG("raw SYN: %s", strerror(-ret));
}

/*
 * SYNs with a sequence number below the old rcv_nxt: refused by the
 * kernel itself without a newer timestamp; with one, reopened (stock)
 * or refused by tw_reopen=1.
 */
TEST_F_TIMEOUT(trace, tw_old_seq_syns, TT_TIMEOUT(60))
{
	uint32_t rcv_nxt, tsval;
	const struct event *e;
	unsigned short cport;

	bed(_metadata, self, "time_wait_ms=5000", AF_INET);

	tw_make(_metadata, self, &cport, &rcv_nxt, &tsval);
	tw_syn(_metadata, self, cport, rcv_nxt - 100000, tsval, false);
	e = expect_one(_metadata, self, "tw_syn_refused_stock",
		       "tw_syn_refused_stock", AF_INET, V4, self->port, cport,
		       IO_MS);
	ASSERT_EQ(rcv_nxt - 100000, (uint32_t)ev_num(e, "seq"));
	ASSERT_EQ(rcv_nxt, (uint32_t)ev_num(e, "rcv_nxt"));
	ASSERT_EQ(2, ev_num(e, "mode"));
	ASSERT_NE(3, ev_num(e, "verdict"));

	tw_make(_metadata, self, &cport, &rcv_nxt, &tsval);
	tw_syn(_metadata, self, cport, rcv_nxt - 100000, tsval, true);
	e = expect_one(_metadata, self, "tw_reopen_ts", "tw_reopen_ts",
		       AF_INET, V4, self->port, cport, IO_MS);
	ASSERT_EQ(rcv_nxt - 100000, (uint32_t)ev_num(e, "seq"));
	ASSERT_EQ(rcv_nxt, (uint32_t)ev_num(e, "rcv_nxt"));
	ASSERT_EQ(3, ev_num(e, "verdict"));

	ASSERT_EQ(0, tt_knob_write_int(TT_SYSCTL_DIR, "tw_reopen", 1));
	tw_make(_metadata, self, &cport, &rcv_nxt, &tsval);
	tw_syn(_metadata, self, cport, rcv_nxt - 100000, tsval, true);
	e = expect_one(_metadata, self, "tw_syn_refused_ts",
		       "tw_syn_refused_ts", AF_INET, V4, self->port, cport,
		       IO_MS);
	ASSERT_EQ(rcv_nxt, (uint32_t)ev_num(e, "rcv_nxt"));
	ASSERT_EQ(1, ev_num(e, "mode"));
	ASSERT_EQ(3, ev_num(e, "verdict"));
}

/*
 * tw_restore: a SYN with a higher sequence number reopens, the TIME-WAIT
 * is kept; the client's kernel resets our SYN-ACK (no socket there): an
 * old duplicate, and the TIME-WAIT is back.
 */
TEST_F_TIMEOUT(trace, tw_restored, TT_TIMEOUT(60))
{
	uint32_t rcv_nxt, tsval;
	const struct event *e;
	unsigned short cport;

	bed(_metadata, self, "tw_restore=1 time_wait_ms=10000", AF_INET);
	tw_make(_metadata, self, &cport, &rcv_nxt, &tsval);
	tw_syn(_metadata, self, cport, rcv_nxt + 100000, tsval, false);
	e = expect_one(_metadata, self, "tw_reopen_seq", "tw_reopen_seq",
		       AF_INET, V4, self->port, cport, IO_MS);
	ASSERT_EQ(rcv_nxt + 100000, (uint32_t)ev_num(e, "seq"));
	expect_one(_metadata, self, "tw_restored", "tw_restored", AF_INET, V4,
		   self->port, cport, WAIT_MS);
	ASSERT_EQ(0, ev_count(&self->evs, "tw_retired", self->port, cport,
			      NULL));
}

/* ---- lnstat: /proc/net/stat/tcp_teardown ---- */

static int possible_cpus(void)
{
	char buf[128], *p = buf;
	int n = 0, a, b;

	if (tt_read_file("/sys/devices/system/cpu/possible", buf,
			 sizeof(buf)) < 0)
		return -1;
	while (*p && *p != '\n') {
		a = strtol(p, &p, 10);
		b = a;
		if (*p == '-')
			b = strtol(p + 1, &p, 10);
		n += b - a + 1;
		if (*p == ',')
			p++;
	}
	return n;
}

/*
 * Parse @path as lnstat does (misc/lnstat_util.c): the first line
 * names the fields; every further line has one hex value per field
 * (strtoul base 16), summed over the lines but for the first field,
 * which is taken from the last line as it is.
 */
static int lnstat_parse(const char *path, struct tt_counters *c, int *lines)
{
	char buf[8192], *line, *save, *tok, *end, *p;
	int i;

	if (tt_read_file(path, buf, sizeof(buf)) < 0)
		return -EIO;
	line = strtok_r(buf, "\n", &save);
	if (!line)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	for (p = line; (tok = strtok_r(p, " ", &end)); p = NULL) {
		if (c->nr == TT_MAX_COUNTERS)
			return -E2BIG;
		snprintf(c->name[c->nr++], TT_COUNTER_NAME_MAX, "%s", tok);
	}
	*lines = 0;
	while ((line = strtok_r(NULL, "\n", &save))) {
		p = line;
		for (i = 0; i < c->nr; i++) {
			char *q;
			unsigned long v;

			while (*p == ' ')
				p++;
			/* the kernel's files: at least 8 hex digits */
			v = strtoul(p, &q, 16);
			if (q - p < 8)
				return -EINVAL;
			p = q;
			c->val[i] = i ? c->val[i] + v : v;
		}
		if (*p)
			return -EINVAL;
		(*lines)++;
	}
	return 0;
}

TEST_F_TIMEOUT(trace, lnstat_file, TT_TIMEOUT(30))
{
	struct tt_counters ln, proc;
	unsigned short cport;
	long long v;
	int i, lines, ret;

	bed(_metadata, self, "half_duplex_close=0", AF_INET);
	close_unread(_metadata, self, AF_INET, 100, &cport);
	close_unread(_metadata, self, AF_INET, 50, &cport);
	ASSERT_EQ(0444, tt_file_mode(PROC_STAT));

	ret = lnstat_parse(PROC_STAT, &ln, &lines);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", PROC_STAT, strerror(-ret));
	ASSERT_EQ(0, tt_counters_read_netns(&proc));
	ASSERT_EQ(possible_cpus(), lines);
	ASSERT_STREQ("entries", ln.name[0]);
	ASSERT_EQ(0, ln.val[0]);
	/* the same counters as /proc/net/tcp_teardown, in the same order */
	ASSERT_EQ(proc.nr + 1, ln.nr);
	for (i = 0; i < proc.nr; i++) {
		ASSERT_STREQ(proc.name[i], ln.name[i + 1]);
		ASSERT_EQ(proc.val[i], ln.val[i + 1]) TH_LOG("%s", proc.name[i]);
	}
	ASSERT_EQ(0, tt_counters_get(&ln, "hd_close_fin", &v));
	ASSERT_EQ(2, v);
	ASSERT_EQ(0, tt_counters_get(&ln, "hd_close_discarded_bytes", &v));
	ASSERT_EQ(150, v);

	/* another namespace has counters of its own */
	ASSERT_EQ(0, tt_netns_enter(self->bed.init_netns));
	ret = lnstat_parse(PROC_STAT, &ln, &lines);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, tt_counters_get(&ln, "hd_close_fin", &v));
	ASSERT_EQ(0, v);
	ASSERT_EQ(0, tt_netns_enter(self->bed.ns));
}

/* Disabled events stay out of the buffer, counters count anyway. */
TEST_F_TIMEOUT(trace, disabled_events_record_nothing, TT_TIMEOUT(30))
{
	unsigned short cport;

	bed(_metadata, self, "half_duplex_close=0", AF_INET);
	trace_stop();
	close_unread(_metadata, self, AF_INET, 10, &cport);
	ASSERT_EQ(1, counter_delta(_metadata, self, "hd_close_fin"));
	ASSERT_EQ(0, trace_read(&self->evs));
	ASSERT_EQ(0, self->evs.nr);
}

TEST_HARNESS_MAIN
