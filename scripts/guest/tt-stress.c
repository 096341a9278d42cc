// SPDX-License-Identifier: GPL-2.0
/*
 * tt-stress: `make stress` inside the VM (TT_MODE=stress).
 *
 *   tt-stress [SECONDS]	(default $TT_STRESS_SECONDS, else 600)
 *
 * For SECONDS, at the same time:
 *  - four namespace slots: each creates a network namespace, runs
 *    servers, clients and a knob writer in it for 0.5 to 3 s, then kills
 *    every process of it with SIGKILL, sockets live, lets the namespace
 *    die and creates the next one;
 *  - in each namespace, clients on 127.0.0.1 and ::1 to a dual-stack
 *    listener, each connection one behaviour: echo with the server
 *    closing first; reconnect from the same client port onto the
 *    server's TIME-WAIT; close with data still arriving (lingering
 *    close); close with data unread; shutdown(SHUT_RD) then data;
 *    a half-closed client left idle; an orphan the server writes to
 *    late; a RST close (SO_LINGER 0);
 *  - a knob writer per namespace that sets every knob to a random valid
 *    value every 100 to 500 ms (every policy, tw_restore, every tw_reopen
 *    mode, short time_wait_ms and FIN_WAIT_2 lengths);
 *  - the module loaded and unloaded in a loop, a quarter of the loads
 *    with random load-time defaults.
 *
 * Then traffic stops, the module is unloaded and the last namespaces
 * are kept: no socket may be left that no application owns in a state
 * only an owner can leave (LISTEN, SYN_SENT, ESTABLISHED, CLOSE_WAIT),
 * and every socket must be gone once stock timers are over
 * (tcp_fin_timeout, TIME-WAIT's 60 s).  After the namespaces are gone
 * the TCP slab caches must be back to where they started.  Every
 * application outcome is counted: clean EOF, or an errno by kind; an
 * errno the documentation does not promise for that step fails the run.
 *
 * The figures are printed as "# stress: ..." lines and a final
 * "TTSTRESS {json}" line; exit status 0 when clean.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "tt_diag.h"
#include "tt_net.h"
#include "tt_util.h"

#define SLOTS		4
#define SERVERS		2	/* per namespace */
#define CLIENTS		3	/* per namespace */
#define PORT_BASE	41000	/* clients that reuse their port */
#define IO_TIMEOUT_MS	15000	/* a step taking longer is a stall */
#define FIN_TIMEOUT_S	5	/* tcp_fin_timeout in the namespaces */
#define SETTLE_S	120	/* stock timers' end, with slack */
#define MAXERR		134

/* What an application did when it saw an errno. */
enum step {
	S_CONNECT,	/* connect() of an ordinary client */
	S_RECONNECT,	/* connect() from the same port onto TIME-WAIT */
	S_BIND,		/* bind() to that port */
	S_CSEND, S_CRECV,	/* client */
	S_SSEND, S_SRECV,	/* server */
	S_NR
};

static const char * const step_name[S_NR] = {
	"connect", "reconnect", "bind", "client send", "client recv",
	"server send", "server recv",
};

/*
 * The errnos the documentation promises, per step.  ECONNRESET and
 * EPIPE: a reset connection (half-duplex-close.rst, fin-wait2.rst);
 * ETIMEDOUT: fin_wait2_idle_ms aborted a half-closed socket
 * (fin-wait2.rst).  A reconnect from a port whose last connection is
 * still in TIME-WAIT at the server, or still closing here, may be
 * refused by the stock kernel with EADDRNOTAVAIL or EADDRINUSE, and one
 * that TIME-WAIT does not let in (tw_reopen=0, time-wait.rst) waits
 * for the end of TIME-WAIT: the client gives up after IO_TIMEOUT_MS.
 */
static bool errno_documented(enum step s, int err)
{
	switch (err) {
	case ECONNRESET:
	case EPIPE:
		return s != S_BIND;
	case ETIMEDOUT:
		return s != S_BIND;
	case EADDRNOTAVAIL:
	case EADDRINUSE:
		return s == S_RECONNECT || s == S_BIND;
	default:
		return false;
	}
}

struct shared {
	int stop;			/* 1: stop traffic; 2: module gone */
	long conns[8];			/* per behaviour, completed */
	long clean_eof;
	long err[S_NR][MAXERR];
	long stalls[S_NR];		/* no progress in IO_TIMEOUT_MS */
	long stalls_b[8];		/* the same, per behaviour */
	long reconnect_abandoned;	/* TIME-WAIT kept the SYN out */
	long corrupt;			/* wrong bytes received */
	long knob_writes, knob_enoent, knob_bad;
	int knob_bad_errno;
	long loads, unloads, load_fail, unload_slow;
	int load_errno;
	long ns_created, ns_destroyed;
	long left_owned[SLOTS];		/* sockets in owner-only states */
	long left_after[SLOTS];		/* sockets after the stock timers */
	char left_what[SLOTS][160];
	long app_hangs;
	long last_up;			/* slots whose last namespace is up */
};

static struct shared *sh;

#define INC(x)		__atomic_add_fetch(&(x), 1, __ATOMIC_RELAXED)
/* Written by the main process, polled by every other. */
#define STOP()		__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* splitmix64 */
static unsigned long long rnd_state;

static unsigned long long rnd(void)
{
	unsigned long long z = (rnd_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int rnd_below(unsigned int n)
{
	return n ? rnd() % n : 0;
}

static void reseed(unsigned long long salt)
{
	rnd_state ^= salt * 0x100000001b3ULL + (unsigned long long)getpid();
	rnd();
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The behaviour of the connection at hand, for stall reports. */
static int cur_behaviour;

static void note_err(enum step s, int err)
{
	if (err == EAGAIN) {
		INC(sh->stalls[s]);
		INC(sh->stalls_b[cur_behaviour & 7]);
		return;
	}
	INC(sh->err[s][err > 0 && err < MAXERR ? err : 0]);
}

/* ---- application I/O ---- */

static unsigned char pattern(unsigned int id, size_t i)
{
	return (unsigned char)(id * 131 + i * 7 + (i >> 9));
}

/* Send @len pattern bytes from offset @from; 0 or -errno. */
static int send_pattern(int fd, unsigned int id, size_t from, size_t len)
{
	unsigned char buf[4096];
	size_t done = 0, n, i;
	ssize_t w;

	while (done < len) {
		n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = pattern(id, from + done + i);
		w = send(fd, buf, n, MSG_NOSIGNAL);
		if (w < 0)
			return errno == EINTR ? 0 : -errno;
		done += w;
	}
	return 0;
}

/*
 * Receive until EOF, checking the pattern; the byte count, or -errno.
 * @max: more than that is corruption too.
 */
static long recv_pattern(int fd, unsigned int id, size_t max)
{
	unsigned char buf[4096];
	size_t got = 0;
	ssize_t r, i;

	for (;;) {
		r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0)
			return -errno;
		if (!r)
			return got;
		for (i = 0; i < r; i++)
			if (buf[i] != pattern(id, got + i) || got + i >= max)
				INC(sh->corrupt);
		got += r;
	}
}

/* Receive exactly @len bytes: 0, 1 for an early EOF, or -errno. */
static int recv_exact(int fd, void *p, size_t len)
{
	size_t got = 0;
	ssize_t r;

	while (got < len) {
		r = recv(fd, (char *)p + got, len - got, 0);
		if (r < 0)
			return -errno;
		if (!r)
			return 1;
		got += r;
	}
	return 0;
}

static void set_timeouts(int fd)
{
	struct timeval tv = { IO_TIMEOUT_MS / 1000, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Behaviours: the client picks one and tells the server in a header. */
enum {
	B_ECHO, B_REOPEN, B_LINGER, B_UNREAD, B_SHUTRD, B_HALFIDLE,
	B_ORPHAN, B_RSTCLOSE, B_NR
};

static const char * const behaviour_name[B_NR] = {
	"echo, server closes first", "reopen from the same port",
	"data after the server's close", "data unread at close",
	"data after SHUT_RD", "half-closed client idle",
	"orphan written to late", "RST close (SO_LINGER 0)",
};

struct hdr {
	unsigned char behaviour;
	unsigned char pad[3];
	unsigned int id;
	unsigned int req;		/* bytes the client sends after the header */
	unsigned int resp;		/* bytes the server answers */
	unsigned int delay_ms;	/* server's pause, where the behaviour has one */
};

/* ---- server ---- */

static void serve(int afd)
{
	struct hdr h;
	long r;
	int ret;

	set_timeouts(afd);
	ret = recv_exact(afd, &h, sizeof(h));
	if (ret) {
		if (ret < 0)
			note_err(S_SRECV, -ret);
		return;
	}
	cur_behaviour = h.behaviour;
	switch (h.behaviour) {
	case B_ECHO:
	case B_REOPEN:
		ret = send_pattern(afd, h.id, 0, h.resp);
		break;
	case B_LINGER:
	case B_UNREAD:
		/* close with the client's data arriving or unread */
		ret = send_pattern(afd, h.id, 0, h.resp);
		if (h.behaviour == B_UNREAD)
			tt_msleep(h.delay_ms % 50);
		break;
	case B_SHUTRD:
		shutdown(afd, SHUT_RD);
		tt_msleep(h.delay_ms % 100);
		ret = send_pattern(afd, h.id, 0, h.resp);
		break;
	case B_HALFIDLE:
	case B_ORPHAN:
		r = recv_pattern(afd, h.id, h.req);
		if (r < 0) {
			note_err(S_SRECV, -r);
			return;
		}
		tt_msleep(h.delay_ms);
		ret = send_pattern(afd, h.id, 0, h.resp);
		break;
	case B_RSTCLOSE:
		r = recv_pattern(afd, h.id, h.req);
		if (r < 0)
			note_err(S_SRECV, -r);
		ret = 0;
		break;
	default:
		INC(sh->corrupt);
		return;
	}
	if (ret)
		note_err(S_SSEND, -ret);
}

/*
 * Servers outlive the clients of their namespace: the leader tells them
 * to stop (through this flag, shared in the namespace's processes) only
 * once every client has exited, so that no client connects to a
 * listener that nobody serves or that is gone.
 */
static int *servers_stop;

static int server_main(int lfd)
{
	struct timeval tv = { 0, 300000 };
	int afd;

	setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (!__atomic_load_n(servers_stop, __ATOMIC_RELAXED)) {
		afd = accept(lfd, NULL, NULL);
		if (afd < 0)
			continue;
		serve(afd);
		close(afd);
	}
	return 0;
}

/* ---- client ---- */

/* connect with a time limit: 0, -errno, or -EAGAIN when it ran out */
static int connect_to(int fd, int family, unsigned short port)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	struct sockaddr_storage ss;
	socklen_t len = tt_loopback_addr(family, port, &ss), elen;
	int flags = fcntl(fd, F_GETFL), err = 0, ret = 0;

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		if (errno != EINPROGRESS) {
			ret = -errno;
		} else {
			ret = poll(&pfd, 1, IO_TIMEOUT_MS);
			elen = sizeof(err);
			if (ret == 0)
				ret = -EAGAIN;
			else if (ret < 0)
				ret = -errno;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
					    &elen) || err)
				ret = -err;
			else
				ret = 0;
		}
	}
	fcntl(fd, F_SETFL, flags);
	return ret;
}

static const char * const state_name[];

/*
 * A stall is a defect until shown otherwise: say where both ends of the
 * connection are, and what the namespace's knobs were.
 */
static void describe_stall(int fd, const struct hdr *h)
{
	static const char * const knobs[] = { "enabled", "half_duplex_close",
		"tw_reopen", "tw_restore", "time_wait_ms",
		"fin_wait2_timeout_ms", "fin_wait2_rst", "fin_wait2_idle_ms" };
	int lport = tt_sock_port(fd, false), rport = tt_sock_port(fd, true);
	int st = tt_tcp_state(fd), fam, n, o = 0;
	struct tt_diag_sock ds;
	char k[256] = "";
	long long v;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		if (!tt_knob_read(TT_SYSCTL_DIR, knobs[i], &v))
			o += snprintf(k + o, sizeof(k) - o, " %s=%lld",
				      knobs[i], v);
	printf("# stress: stall: %s, id %u, answer of %u bytes; client %d->%d %s, inq %d;",
	       behaviour_name[h->behaviour], h->id, h->resp, lport,
	       rport, st > 0 && st < 13 ? state_name[st] : "?", tt_inq(fd));
	for (fam = AF_INET; fam <= AF_INET6; fam += AF_INET6 - AF_INET) {
		n = tt_diag_find(fam, TT_DIAG_ALL, rport, lport, &ds);
		if (!n)
			printf(" server %s %s, %u ms left, inode %u;",
			       tt_family_name(fam), state_name[ds.state],
			       ds.expires_ms, ds.inode);
	}
	printf("%s%s\n", o ? " knobs" : " module unloaded", k);
}

static void client_once(unsigned short port, int idx, unsigned int id)
{
	struct hdr h = { 0 };
	int family = rnd_below(2) ? AF_INET6 : AF_INET;
	int fd, ret, one = 1;
	enum step cs = S_CONNECT;
	long r;

	h.behaviour = rnd_below(B_NR + 2);
	if (h.behaviour >= B_NR)	/* more reopens: the TIME-WAIT path */
		h.behaviour = B_REOPEN;
	h.id = id;
	h.req = rnd_below(4) ? rnd_below(2000) : rnd_below(300000);
	h.resp = rnd_below(4) ? rnd_below(3000) : rnd_below(200000);
	h.delay_ms = rnd_below(1500);
	/*
	 * Where the client sends without reading, the answer must fit in
	 * its receive buffer, or both sides block on send.
	 */
	if (h.behaviour == B_LINGER || h.behaviour == B_UNREAD ||
	    h.behaviour == B_SHUTRD)
		h.resp %= 4000;
	cur_behaviour = h.behaviour;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	set_timeouts(fd);
	if (h.behaviour == B_REOPEN) {
		struct sockaddr_storage ss;
		socklen_t len = tt_loopback_addr(family, PORT_BASE + idx, &ss);

		if (family == AF_INET6)
			((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_any;
		else
			((struct sockaddr_in *)&ss)->sin_addr.s_addr = 0;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, len)) {
			note_err(S_BIND, errno);
			close(fd);
			return;
		}
		cs = S_RECONNECT;
	}
	ret = connect_to(fd, family, port);
	if (ret == -EAGAIN && cs == S_RECONNECT) {
		INC(sh->reconnect_abandoned);
		close(fd);
		return;
	}
	if (ret) {
		note_err(cs, -ret);
		close(fd);
		return;
	}
	ret = send(fd, &h, sizeof(h), MSG_NOSIGNAL) == sizeof(h) ? 0 : -errno;
	if (!ret && h.behaviour != B_ECHO && h.behaviour != B_REOPEN)
		ret = send_pattern(fd, id, 0, h.req);
	if (ret) {
		note_err(S_CSEND, -ret);
		close(fd);
		return;
	}
	switch (h.behaviour) {
	case B_HALFIDLE:
		shutdown(fd, SHUT_WR);
		break;
	case B_ORPHAN:
		shutdown(fd, SHUT_WR);
		close(fd);
		INC(sh->conns[h.behaviour]);
		return;
	case B_RSTCLOSE:
		tt_tcp_set_linger0(fd);
		close(fd);
		INC(sh->conns[h.behaviour]);
		return;
	case B_LINGER:
		/* keep sending while the server closes */
		ret = send_pattern(fd, id, h.req, 1000 + rnd_below(60000));
		if (ret) {
			note_err(S_CSEND, -ret);
			close(fd);
			INC(sh->conns[h.behaviour]);
			return;
		}
		break;
	default:
		break;
	}
	r = recv_pattern(fd, id, h.resp);
	if (r == -EAGAIN)
		describe_stall(fd, &h);
	if (r < 0)
		note_err(S_CRECV, -r);
	else
		INC(sh->clean_eof);
	close(fd);
	INC(sh->conns[h.behaviour]);
}

static int client_main(unsigned short port, int idx)
{
	unsigned int id = (unsigned int)rnd();

	while (!STOP())
		client_once(port, idx, id++);
	return 0;
}

/* ---- knobs ---- */

struct knob_choice {
	const char *name;
	int nr;
	int v[8];
};

/* The values the writers pick from: every policy, short lengths. */
static const struct knob_choice knob_choices[] = {
	{ "enabled", 5, { 1, 1, 1, 1, 0 } },
	{ "half_duplex_close", 3, { 0, 1, 2 } },
	{ "tw_reopen", 3, { 0, 1, 2 } },
	{ "tw_restore", 2, { 0, 1 } },
	{ "tw_isn_gap", 4, { 1, 65537, 100000, 1073741824 } },
	{ "time_wait_ms", 6, { 100, 250, 500, 1000, 3000, 60000 } },
	{ "fin_wait2_timeout_ms", 5, { 0, 200, 500, 1000, 3000 } },
	{ "fin_wait2_rst", 2, { 0, 1 } },
	{ "fin_wait2_idle_ms", 5, { 0, 200, 400, 1000, 2000 } },
};

#define NR_KNOBS	ARRAY_SIZE(knob_choices)

static int knob_value(unsigned int i)
{
	return knob_choices[i].v[rnd_below(knob_choices[i].nr)];
}

static int knobs_main(void)
{
	unsigned int i;
	int ret;

	while (!STOP()) {
		for (i = 0; i < NR_KNOBS; i++) {
			ret = tt_knob_write_int(TT_SYSCTL_DIR,
						knob_choices[i].name,
						knob_value(i));
			INC(sh->knob_writes);
			if (ret == -ENOENT) {
				INC(sh->knob_enoent);
				break;
			}
			if (ret) {
				sh->knob_bad_errno = -ret;
				INC(sh->knob_bad);
			}
		}
		tt_msleep(100 + rnd_below(400));
	}
	return 0;
}

/* ---- a namespace ---- */

static pid_t spawn(int (*fn)(long, long), long a, long b, unsigned long long salt)
{
	pid_t pid = fork();

	if (pid == 0) {
		reseed(salt);
		_exit(fn(a, b));
	}
	return pid;
}

static int server_fn(long lfd, long unused)
{
	(void)unused;
	return server_main(lfd);
}

/* The listener, which only the servers may keep open. */
static int ns_lfd = -1;

static int client_fn(long port, long idx)
{
	close(ns_lfd);
	return client_main(port, idx);
}

static int knobs_fn(long a, long b)
{
	(void)a;
	(void)b;
	close(ns_lfd);
	return knobs_main();
}

/*
 * The namespace's first process: creates it, starts its applications,
 * waits for them.  Killed with its process group, or, at the end, it
 * waits for them to finish and exits.  Writes one byte to @ready.
 */
static int ns_leader(int ready, int slot)
{
	pid_t pids[SERVERS + CLIENTS + 1];
	unsigned short port;
	int lfd, i, n = 0;
	char c = 1;

	setpgid(0, 0);
	if (unshare(CLONE_NEWNET) || tt_lo_up())
		return 1;
	tt_write_str("/proc/sys/net/ipv4/tcp_fin_timeout", "5");
	lfd = tt_net_listen_dual(64, &port);
	if (lfd < 0)
		return 1;
	ns_lfd = lfd;
	servers_stop = mmap(NULL, sizeof(*servers_stop),
			    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			    -1, 0);
	if (servers_stop == MAP_FAILED)
		return 1;
	*servers_stop = 0;
	if (write(ready, &c, 1) != 1)
		return 1;
	close(ready);
	for (i = 0; i < SERVERS; i++)
		pids[n++] = spawn(server_fn, lfd, 0, slot * 100 + i);
	for (i = 0; i < CLIENTS; i++)
		pids[n++] = spawn(client_fn, port, i, slot * 100 + 10 + i);
	pids[n++] = spawn(knobs_fn, 0, 0, slot * 100 + 20);
	close(lfd);
	for (i = SERVERS; i < n; i++)
		waitpid(pids[i], NULL, 0);
	__atomic_store_n(servers_stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < SERVERS; i++)
		waitpid(pids[i], NULL, 0);
	return 0;
}

static const char * const state_name[13] = {
	"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
	"FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
	"LISTEN", "CLOSING", "NEW_SYN_RECV",
};

/* States only a socket with an owner can be in. */
#define OWNED_STATES	(TT_DIAG_STATE(TCP_ESTABLISHED) | \
			 TT_DIAG_STATE(TCP_SYN_SENT) | \
			 TT_DIAG_STATE(TCP_CLOSE_WAIT) | \
			 TT_DIAG_STATE(TCP_LISTEN))

static int count_socks(unsigned int states, char *what, size_t size)
{
	struct tt_diag_sock ds[4];
	int fam[2] = { AF_INET, AF_INET6 }, i, j, n, total = 0;
	size_t o = 0;

	for (i = 0; i < 2; i++) {
		n = tt_diag_dump(fam[i], states, ds, 4);
		if (n < 0)
			continue;
		total += n;
		for (j = 0; j < n && j < 4 && o < size - 40; j++)
			o += snprintf(what + o, size - o, "%s %u->%u %ums; ",
				      ds[j].state < 13 ?
				      state_name[ds[j].state] : "?",
				      ds[j].lport, ds[j].rport,
				      ds[j].expires_ms);
	}
	return total;
}

/*
 * One slot: namespaces one after the other until the end; the last one
 * is ended gracefully and checked after the module is gone.
 */
static int slot_main(int slot, long long end_ms)
{
	char path[64], c;
	int p[2], nsfd, i, n;
	pid_t leader;
	bool last;

	for (;;) {
		last = now_ms() >= end_ms;
		if (pipe(p))
			return 1;
		leader = fork();
		if (leader == 0) {
			close(p[0]);
			reseed(slot * 7919 + sh->ns_created);
			_exit(ns_leader(p[1], slot));
		}
		close(p[1]);
		if (read(p[0], &c, 1) != 1) {
			close(p[0]);
			waitpid(leader, NULL, 0);
			continue;
		}
		close(p[0]);
		snprintf(path, sizeof(path), "/proc/%d/ns/net", leader);
		nsfd = open(path, O_RDONLY | O_CLOEXEC);
		INC(sh->ns_created);
		if (last) {
			INC(sh->last_up);
			break;
		}
		tt_msleep(500 + rnd_below(2500));
		/* the whole namespace dies with its sockets live */
		kill(-leader, SIGKILL);
		waitpid(leader, NULL, 0);
		if (nsfd >= 0)
			close(nsfd);
		INC(sh->ns_destroyed);
	}

	/* The end: applications finish, then the module goes. */
	while (!STOP())
		tt_msleep(100);
	for (i = 0; i < 300 && waitpid(leader, NULL, WNOHANG) == 0; i++)
		tt_msleep(100);
	if (i == 300) {
		INC(sh->app_hangs);
		kill(-leader, SIGKILL);
		waitpid(leader, NULL, 0);
	}
	while (STOP() < 2)
		tt_msleep(100);
	if (nsfd < 0 || tt_netns_enter(nsfd))
		return 1;
	/* give processes' exits a moment to close every file */
	tt_msleep(500);
	sh->left_owned[slot] = count_socks(OWNED_STATES, sh->left_what[slot],
					   sizeof(sh->left_what[slot]));
	for (i = 0; i < SETTLE_S; i++) {
		n = count_socks(TT_DIAG_ALL, path, sizeof(path));
		if (!n)
			break;
		sleep(1);
	}
	sh->left_after[slot] = count_socks(TT_DIAG_ALL,
					   sh->left_what[slot] +
					   strlen(sh->left_what[slot]),
					   sizeof(sh->left_what[slot]) -
					   strlen(sh->left_what[slot]));
	close(nsfd);
	INC(sh->ns_destroyed);
	return 0;
}

/* ---- the module ---- */

static const char *random_params(char *buf, size_t size)
{
	size_t o = 0;
	unsigned int i;

	buf[0] = '\0';
	if (rnd_below(4))
		return buf;
	for (i = 0; i < NR_KNOBS && o < size - 40; i++)
		if (rnd_below(2))
			o += snprintf(buf + o, size - o, "%s=%d ",
				      knob_choices[i].name, knob_value(i));
	return buf;
}

static int module_main(void)
{
	char params[512];
	int ret, tries;

	while (!STOP()) {
		ret = tt_module_load(random_params(params, sizeof(params)),
				     false);
		if (ret) {
			INC(sh->load_fail);
			sh->load_errno = -ret;
			tt_msleep(100);
			continue;
		}
		INC(sh->loads);
		tt_msleep(rnd_below(100));
		for (tries = 0; (ret = tt_module_unload()); tries++) {
			if (tries == 0)
				INC(sh->unload_slow);
			if (tries > 30)
				return 1;
		}
		INC(sh->unloads);
	}
	return 0;
}

/* ---- slabs ---- */

static const char * const caches[] = {
	"TCP", "TCPv6", "tw_sock_TCP", "tw_sock_TCPv6", "request_sock_TCP",
	"request_sock_TCPv6", "tcp_bind_bucket", "tcp_bind2_bucket",
};

#define NR_CACHES	ARRAY_SIZE(caches)

/* Objects in use per cache (-1: no such cache), after a shrink. */
static void slab_read(long *objs)
{
	char line[512], name[64], path[128];
	unsigned int i;
	long active;
	FILE *f;

	for (i = 0; i < NR_CACHES; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 caches[i]);
		tt_write_str(path, "1");
		objs[i] = -1;
	}
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld", name, &active) != 2)
			continue;
		for (i = 0; i < NR_CACHES; i++)
			if (!strcmp(name, caches[i]))
				objs[i] = active;
	}
	fclose(f);
}

static bool slab_back(const long *base, long *now)
{
	unsigned int i;

	slab_read(now);
	for (i = 0; i < NR_CACHES; i++)
		if (now[i] > base[i])
			return false;
	return true;
}

/*
 * Orphans of killed namespaces come to this subreaper; the module
 * cycler's and the slots' own ends are recorded when reaped here.
 */
static pid_t kids[SLOTS + 1];
static int kid_status[SLOTS + 1];
static bool kid_done[SLOTS + 1];

static void reap(bool block)
{
	pid_t pid;
	int st, i;

	while ((pid = waitpid(-1, &st, block ? 0 : WNOHANG)) > 0) {
		for (i = 0; i <= SLOTS; i++) {
			if (pid == kids[i]) {
				kid_status[i] = st;
				kid_done[i] = true;
			}
		}
		if (block)
			return;
	}
}

static int kid_wait(int i)
{
	while (!kid_done[i])
		reap(true);
	return kid_status[i];
}

int main(int argc, char **argv)
{
	const char *env = getenv("TT_STRESS_SECONDS");
	long seconds = argc > 1 ? atol(argv[1]) : env ? atol(env) : 600;
	long base[NR_CACHES], now[NR_CACHES], errs = 0, undoc = 0, stalls = 0;
	long long start, end;
	unsigned int i, j;
	int fail = 0, s, e;

	env = getenv("TT_STRESS_SEED");
	rnd_state = env ? strtoull(env, NULL, 0) : 16;
	setvbuf(stdout, NULL, _IOLBF, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	memset(sh, 0, sizeof(*sh));
	if (tt_module_loaded())
		tt_module_unload();
	slab_read(base);
	printf("# stress: %ld s, %d namespace slots, seed %s\n", seconds,
	       SLOTS, env ? env : "16");

	start = now_ms();
	end = start + seconds * 1000;
	kids[SLOTS] = fork();
	if (kids[SLOTS] == 0) {
		reseed(1);
		_exit(module_main());
	}
	for (s = 0; s < SLOTS; s++) {
		kids[s] = fork();
		if (kids[s] == 0) {
			reseed(100 + s);
			_exit(slot_main(s, end));
		}
	}
	while (now_ms() < end) {
		sleep(10);
		reap(false);
		printf("# stress: %llds: %ld loads, %ld namespaces, %ld connections\n",
		       (now_ms() - start) / 1000, sh->loads, sh->ns_created,
		       sh->clean_eof);
	}
	/* wait for every slot's last namespace to be up */
	for (i = 0; i < 300 && sh->last_up < SLOTS; i++) {
		tt_msleep(100);
		reap(false);
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
	e = kid_wait(SLOTS);
	if (!WIFEXITED(e) || WEXITSTATUS(e)) {
		printf("# stress: FAIL: the module would not unload\n");
		fail = 1;
	}
	if (tt_module_loaded())
		tt_module_unload();
	printf("# stress: traffic stopped, module unloaded after %llds\n",
	       (now_ms() - start) / 1000);
	__atomic_store_n(&sh->stop, 2, __ATOMIC_RELAXED);
	for (s = 0; s < SLOTS; s++)
		kid_wait(s);
	reap(false);

	/* namespaces die in a workqueue, sockets' memory after RCU */
	for (i = 0; i < 120 && !slab_back(base, now); i++)
		sleep(1);

	printf("# stress: module: %ld loads, %ld unloads ", sh->loads,
	       sh->unloads);
	printf("(%ld needed retries), %ld loads failed%s%s\n",
	       sh->unload_slow, sh->load_fail,
	       sh->load_fail ? ": " : "",
	       sh->load_fail ? strerror(sh->load_errno) : "");
	if (sh->load_fail)
		fail = 1;
	printf("# stress: namespaces: %ld created, %ld destroyed\n",
	       sh->ns_created, sh->ns_destroyed);
	for (i = 0; i < B_NR; i++)
		printf("# stress: connections, %s: %ld, stalls %ld\n",
		       behaviour_name[i],
		       sh->conns[i], sh->stalls_b[i]);
	printf("# stress: clean EOF: %ld; reconnects abandoned (TIME-WAIT kept the SYN out): %ld\n",
	       sh->clean_eof, sh->reconnect_abandoned);
	for (i = 0; i < S_NR; i++) {
		for (j = 0; j < MAXERR; j++) {
			if (!sh->err[i][j])
				continue;
			errs += sh->err[i][j];
			printf("# stress: errno %s: %s: %ld%s\n", step_name[i],
			       j ? strerrorname_np(j) : "other", sh->err[i][j],
			       errno_documented(i, j) ? "" :
			       "  UNDOCUMENTED");
			if (!errno_documented(i, j))
				undoc += sh->err[i][j];
		}
		if (sh->stalls[i])
			printf("# stress: stalls (%d s without progress): %s: %ld\n",
			       IO_TIMEOUT_MS / 1000, step_name[i],
			       sh->stalls[i]);
		stalls += sh->stalls[i];
	}
	if (undoc || stalls || sh->corrupt || sh->app_hangs) {
		printf("# stress: FAIL: %ld undocumented errnos, %ld stalls, ",
		       undoc, stalls);
		printf("%ld corrupt bytes, %ld hung applications\n",
		       sh->corrupt, sh->app_hangs);
		fail = 1;
	}
	printf("# stress: knob writes: %ld (%ld while unloaded: ENOENT), %ld refused%s%s\n",
	       sh->knob_writes, sh->knob_enoent, sh->knob_bad,
	       sh->knob_bad ? ": " : "",
	       sh->knob_bad ? strerror(sh->knob_bad_errno) : "");
	if (sh->knob_bad)
		fail = 1;
	for (s = 0; s < SLOTS; s++) {
		printf("# stress: last namespace %d: %ld sockets in owner-only states after exit, ",
		       s, sh->left_owned[s]);
		printf("%ld left after %d s: %s\n", sh->left_after[s],
		       SETTLE_S, sh->left_what[s]);
		if (sh->left_owned[s] || sh->left_after[s])
			fail = 1;
	}
	for (i = 0; i < NR_CACHES; i++) {
		if (base[i] < 0)
			continue;
		printf("# stress: slab %s: %ld objects at start, %ld at the end%s\n",
		       caches[i], base[i], now[i],
		       now[i] > base[i] ? "  LEAK" : "");
		if (now[i] > base[i])
			fail = 1;
	}
	printf("TTSTRESS {\"seconds\":%ld,\"loads\":%ld,\"unloads\":%ld,",
	       seconds, sh->loads, sh->unloads);
	printf("\"namespaces\":%ld,\"connections\":%ld,\"clean_eof\":%ld,",
	       sh->ns_destroyed, sh->clean_eof + errs, sh->clean_eof);
	printf("\"errnos\":%ld,\"undocumented\":%ld,\"stalls\":%ld,",
	       errs, undoc, stalls);
	printf("\"knob_writes\":%ld,\"result\":\"%s\"}\n",
	       sh->knob_writes, fail ? "fail" : "pass");
	return fail;
}
