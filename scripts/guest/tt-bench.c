// SPDX-License-Identifier: GPL-2.0
/*
 * tt-bench: one measurement of `make bench`, run inside the VM by
 * bench.sh with the module unloaded or loaded in some configuration.
 *
 *   tt-bench [-r ROUND] [-c CONFIG] [-V VARIANT] [-d MS] [-n N] [-i MS]
 *	      [-q N] [-t MS] [-k KNOB=VAL,...] [-C] SCENARIO
 *
 * Every run happens in a network namespace of its own (created here, so
 * nothing of an earlier run is in the way), with this process pinned to
 * one CPU.  The result is one line "TTBENCH {json}" on stdout, which the
 * host picks out of the serial port, followed by a "# ..." summary for
 * people.  ROUND, CONFIG and VARIANT are labels copied into the record.
 *
 * Scenarios (-d: how long the measuring window lasts, default 1000 ms):
 *   churn       connect, send 1 KB, close; the server reads to EOF and
 *               closes: connections per second
 *   bulk        one connection, 128 KB writes, one thread alternating
 *               between sender and receiver: MB/s (an operation is 1 MB)
 *   close       socket() + close() of an unconnected TCP socket
 *   refused     connect() to a port nobody listens on (SYN, RST)
 *   halfclosed  64-byte segments to a socket in FIN_WAIT_2 after
 *               shutdown(SHUT_WR): the non-ESTABLISHED receive path
 *   segment     64-byte segments on an ESTABLISHED connection
 *   reconnect   -n client ports, -q connects in flight, -t connect
 *               timeout: a server that closes first, so that each port
 *               comes back to a TIME-WAIT; warm-up until every port was
 *               used once, then connections per second and failures
 *   fw2         -n half-closed sockets (shutdown(SHUT_WR), the peer reads
 *               the EOF and stays silent); slab memory before and after
 *               the half-close; with -i MS sets fin_wait2_idle_ms and
 *               waits for every socket to be aborted (ETIMEDOUT): its
 *               lateness is when epoll reports it minus its deadline,
 *               the last segment from the peer (TCP_INFO) plus MS
 *
 * -k sets knobs of the namespace through its sysctls (module loaded).
 * -C counts instead of timing: the calls of each hooked kernel function
 * in the measuring window, through the kprobe events "ttb_<function>"
 * that bench.sh created and enabled (tracefs kprobe_profile), per
 * operation.  Those trace probes are not there while timing.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include "tt_net.h"
#include "tt_util.h"

#define KB		1024
#define SMALL		64		/* bytes per segment in the loops */
#define BULK_CHUNK	(128 * KB)
#define BULK_RBUF	(256 * KB)
#define RC_SERVER_PORT	5000		/* outside the narrowed range */
#define RC_PORT_BASE	40000
#define TRACEFS		"/sys/kernel/tracing"
#define PROFILE		TRACEFS "/kprobe_profile"

/* The kernel functions tcp_teardown hooks (see bench.sh, which probes them). */
static const char * const hooked[] = {
	"tcp_close", "__tcp_close", "tcp_rcv_state_process",
	"tcp_timewait_state_process", "tcp_rcv_established",
	"tcp_keepalive_timer", "tw_timer_handler", "tcp_set_state",
	"tcp_v4_send_synack", "tcp_v6_send_synack", "__inet_twsk_schedule",
	"inet_twsk_deschedule_put", "inet_csk_reqsk_queue_drop",
	"tcp_data_queue", "tcp_time_wait", "tcp_create_openreq_child",
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NR_HOOKED	ARRAY_SIZE(hooked)

static struct {
	const char *round, *config, *variant, *scenario;
	const char *knobs;
	int dur_ms, n, idle_ms, inflight, timeout_ms;
	bool count;
} opt = {
	.round = "0", .config = "?", .variant = "", .dur_ms = 1000,
	.inflight = 128, .timeout_ms = 2000,
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the record: one JSON object on one line ---- */

static char rec[8192];
static size_t rec_len;

static void rec_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rec + rec_len, sizeof(rec) - rec_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		rec_len = rec_len + n < sizeof(rec) ? rec_len + n : sizeof(rec) - 1;
}

static void rec_str(const char *key, const char *v)
{
	rec_printf(",\"%s\":\"%s\"", key, v);
}

static void rec_begin(const char *type)
{
	struct utsname u;

	uname(&u);
	rec_len = 0;
	rec_printf("{\"type\":\"%s\"", type);
	rec_str("kernel", u.release);
	rec_printf(",\"round\":%d", atoi(opt.round));
	rec_str("config", opt.config);
	rec_str("scenario", opt.scenario);
	rec_str("variant", opt.variant);
}

static void rec_num(const char *key, double v)
{
	if (isfinite(v))
		rec_printf(",\"%s\":%.6g", key, v);
	else
		rec_printf(",\"%s\":null", key);
}

static void rec_end(void)
{
	rec_printf("}");
	printf("TTBENCH %s\n", rec);
}

/* An "error" record, so that the host knows what is missing and why. */
static void die(const char *what, int err)
{
	const char *msg = strerror(err < 0 ? -err : err);

	rec_begin("error");
	rec_printf(",\"error\":\"%s: %s\"", what, msg);
	rec_end();
	printf("# tt-bench %s: %s: %s\n", opt.scenario, what, msg);
	exit(1);
}

/* ---- the measuring window, and counting in it ---- */

struct run {
	double secs;		/* length of the window */
	double ops;		/* operations completed in it */
	double fails;		/* operations that failed */
	long long hits[NR_HOOKED];	/* -C: hooked calls in the window */
};

static double win_start, win_end;
static long long hits_start[NR_HOOKED];

/* Calls of each hooked function so far; -1 where no event exists. */
static int hits_read(long long *hits)
{
	char buf[8192], name[128], *line, *nl;
	long long hit, missed;
	unsigned int i;
	int len;

	for (i = 0; i < NR_HOOKED; i++)
		hits[i] = -1;
	len = tt_read_file(PROFILE, buf, sizeof(buf));
	if (len < 0)
		return len;
	for (line = buf; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		if (sscanf(line, "%127s %lld %lld", name, &hit, &missed) != 3 ||
		    strncmp(name, "ttb_", 4))
			continue;
		for (i = 0; i < NR_HOOKED; i++)
			if (!strcmp(name + 4, hooked[i]))
				hits[i] = hit;
	}
	return 0;
}

static void window_open(void)
{
	int ret = opt.count ? hits_read(hits_start) : 0;

	if (ret)
		die("reading " PROFILE, ret);
	win_start = now();
	win_end = win_start + opt.dur_ms / 1000.0;
}

static bool window_over(void)
{
	return now() >= win_end;
}

static void window_close(struct run *r)
{
	unsigned int i;
	int ret;

	r->secs = now() - win_start;
	if (!opt.count)
		return;
	ret = hits_read(r->hits);
	if (ret)
		die("reading " PROFILE, ret);
	for (i = 0; i < NR_HOOKED; i++)
		r->hits[i] = r->hits[i] < 0 || hits_start[i] < 0 ? -1 :
			     r->hits[i] - hits_start[i];
}

/*
 * The record of a timed loop: "rate" operations per second, "ns_per_op",
 * or with -C the hooked calls per operation of each function.
 */
static void report_run(const struct run *r, const char *unit)
{
	unsigned int i;

	if (opt.count) {
		rec_begin("count");
		rec_num("ops", r->ops);
		rec_printf(",\"hits_per_op\":{");
		for (i = 0; i < NR_HOOKED; i++) {
			rec_printf("%s\"%s\":", i ? "," : "", hooked[i]);
			if (r->hits[i] < 0 || r->ops <= 0)
				rec_printf("null");
			else
				rec_printf("%.6g", r->hits[i] / r->ops);
		}
		rec_printf("}");
		rec_end();
		printf("# count %s %s: %.0f ops\n", opt.scenario, opt.config,
		       r->ops);
		return;
	}
	rec_begin("result");
	rec_str("unit", unit);
	rec_num("secs", r->secs);
	rec_num("ops", r->ops);
	rec_num("fails", r->fails);
	rec_num("rate", r->ops / r->secs);
	rec_num("ns_per_op", r->ops > 0 ? r->secs * 1e9 / r->ops : NAN);
}

static void report_end(const struct run *r, const char *unit)
{
	if (opt.count)
		return;
	rec_end();
	printf("# r%s %-8s %-10s %-22s %12.1f %s\n", opt.round, opt.config,
	       opt.scenario, opt.variant, r->ops / r->secs, unit);
}

/* ---- setup ---- */

static void pin_cpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(n > 1 ? n - 1 : 0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* /proc/slabinfo: active objects and object size of every cache */
#define MAX_CACHES	512

struct slab_snap {
	int nr;
	struct {
		char name[64];
		long long active, size;
	} c[MAX_CACHES];
};

static void slab_snap(struct slab_snap *s)
{
	char line[512];
	FILE *f = fopen("/proc/slabinfo", "re");

	s->nr = 0;
	if (!f)
		die("/proc/slabinfo", errno);
	while (s->nr < MAX_CACHES && fgets(line, sizeof(line), f)) {
		long long num;

		if (sscanf(line, "%63s %lld %lld %lld", s->c[s->nr].name,
			   &s->c[s->nr].active, &num, &s->c[s->nr].size) == 4)
			s->nr++;
	}
	fclose(f);
}

static long long snap_bytes(const struct slab_snap *s, const char *name)
{
	long long sum = 0;
	int i;

	for (i = 0; i < s->nr; i++)
		if (!name || !strcmp(s->c[i].name, name))
			sum += s->c[i].active * s->c[i].size;
	return sum;
}

static long long snap_objs(const struct slab_snap *s, const char *name)
{
	int i;

	for (i = 0; i < s->nr; i++)
		if (!strcmp(s->c[i].name, name))
			return s->c[i].active;
	return 0;
}

/*
 * Namespaces of earlier runs are dismantled in the background, with all
 * their sockets: wait until the TCP slabs stop shrinking (at most 5 s).
 */
static void settle(void)
{
	static struct slab_snap s;
	long long prev = -1, cur;
	int tries;

	for (tries = 0; tries < 100; tries++) {
		slab_snap(&s);
		cur = snap_objs(&s, "TCP") + snap_objs(&s, "tw_sock_TCP") +
		      snap_objs(&s, "TCPv6") + snap_objs(&s, "request_sock_TCP");
		if (cur == prev)
			break;
		prev = cur;
		tt_msleep(50);
	}
}

/* -k "name=value,name=value": this namespace's knobs. */
static void set_knobs(const char *list)
{
	char buf[512], *kv, *save = NULL, *eq;
	int ret;

	snprintf(buf, sizeof(buf), "%s", list);
	for (kv = strtok_r(buf, ",", &save); kv;
	     kv = strtok_r(NULL, ",", &save)) {
		eq = strchr(kv, '=');
		if (!eq)
			die("bad -k", EINVAL);
		*eq = '\0';
		ret = tt_knob_write(TT_SYSCTL_DIR, kv, eq + 1);
		if (ret)
			die(kv, ret);
	}
}

static int set_nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void pair(int *lfd, int *cfd, int *sfd)
{
	unsigned short port;
	int ret;

	*lfd = tt_net_listen(AF_INET, 16, &port);
	if (*lfd < 0)
		die("listen", *lfd);
	ret = tt_net_pair(*lfd, AF_INET, port, cfd, sfd);
	if (ret)
		die("connect", ret);
}

/*
 * Run @body for a warm-up of a tenth of the window (at least 50 ms for
 * real runs: the emulator translates code patched by a module load
 * afresh), then in the measuring window.  @body loops until
 * window_over().
 */
struct loop {
	int lfd, cfd, sfd;
	struct sockaddr_storage ss;
	socklen_t len;
	long long bytes;	/* received in this window */
	long long total;	/* received in warm-up and window */
};

static void timed(void (*body)(struct loop *, struct run *), struct loop *l,
		  struct run *r)
{
	double warm = opt.dur_ms / 10000.0;
	struct run junk = {};

	win_start = now();
	if (opt.dur_ms >= 500 && warm < 0.05)
		warm = 0.05;
	win_end = win_start + warm;
	body(l, &junk);
	l->bytes = 0;
	window_open();
	body(l, r);
	window_close(r);
}

/* ---- 1. churn ---- */

static int churn_one(struct loop *l)
{
	char buf[KB] = { 'x' }, rbuf[4 * KB];
	int cfd, sfd, got = 0;
	ssize_t n;

	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0)
		return -1;
	if (connect(cfd, (const struct sockaddr *)&l->ss, l->len)) {
		close(cfd);
		return -1;
	}
	sfd = accept4(l->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (sfd < 0) {
		close(cfd);
		return -1;
	}
	n = send(cfd, buf, KB, 0);
	close(cfd);
	while ((n = recv(sfd, rbuf, sizeof(rbuf), 0)) > 0)
		got += n;
	close(sfd);
	return got == KB ? 0 : -1;
}

static void churn_body(struct loop *l, struct run *r)
{
	int i;

	do {
		for (i = 0; i < 4; i++) {
			if (churn_one(l))
				r->fails++;
			else
				r->ops++;
		}
		if (r->fails > 1000 && r->fails > r->ops)
			die("churn: connections fail", errno);
	} while (!window_over());
}

static void bench_churn(void)
{
	struct loop l = {};
	struct run r = {};
	unsigned short port;

	l.lfd = tt_net_listen(AF_INET, 64, &port);
	if (l.lfd < 0)
		die("listen", l.lfd);
	l.len = tt_loopback_addr(AF_INET, port, &l.ss);
	timed(churn_body, &l, &r);
	report_run(&r, "conn/s");
	report_end(&r, "conn/s");
}

/* ---- 2. bulk ---- */

static long long segs_in(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	return ti.tcpi_segs_in;
}

static void bulk_body(struct loop *l, struct run *r)
{
	static char buf[BULK_CHUNK], rbuf[BULK_RBUF];
	ssize_t n;

	do {
		while (send(l->cfd, buf, sizeof(buf), 0) > 0)
			;
		while ((n = recv(l->sfd, rbuf, sizeof(rbuf), 0)) > 0) {
			l->bytes += n;
			l->total += n;
		}
	} while (!window_over());
	/* One operation is one MB (10^6 bytes) received. */
	r->ops = l->bytes / 1e6;
}

static void bench_bulk(void)
{
	long long segs;
	struct loop l = {};
	struct run r = {};

	pair(&l.lfd, &l.cfd, &l.sfd);
	if (set_nonblock(l.cfd) || set_nonblock(l.sfd))
		die("O_NONBLOCK", errno);
	/* The warm-up also lets the buffers grow to their steady size. */
	segs = segs_in(l.sfd);
	timed(bulk_body, &l, &r);
	segs = segs_in(l.sfd) - segs;
	report_run(&r, "MB/s");
	if (!opt.count) {
		rec_num("bytes_per_seg", segs > 0 ? (double)l.total / segs : NAN);
		rec_end();
		printf("# r%s %-8s %-10s %-22s %12.1f MB/s\n", opt.round,
		       opt.config, opt.scenario, opt.variant, r.ops / r.secs);
	}
	close(l.cfd);
	close(l.sfd);
	close(l.lfd);
}

/* ---- 5. tight loops, one group of hooks each ---- */

static void close_body(struct loop *l, struct run *r)
{
	int i, fd;

	(void)l;
	do {
		for (i = 0; i < 16; i++) {
			fd = socket(AF_INET, SOCK_STREAM, 0);
			if (fd < 0)
				die("socket", errno);
			close(fd);
			r->ops++;
		}
	} while (!window_over());
}

static void bench_close(void)
{
	struct loop l = {};
	struct run r = {};

	timed(close_body, &l, &r);
	report_run(&r, "op/s");
	report_end(&r, "op/s");
}

static void refused_body(struct loop *l, struct run *r)
{
	int i;

	do {
		for (i = 0; i < 8; i++) {
			/* A failed connect leaves the socket reusable. */
			if (!connect(l->cfd, (struct sockaddr *)&l->ss, l->len) ||
			    errno != ECONNREFUSED)
				r->fails++;
			else
				r->ops++;
		}
		if (r->fails > 100)
			die("refused: unexpected connect result", errno);
	} while (!window_over());
}

static void bench_refused(void)
{
	struct loop l = {};
	struct run r = {};

	/* Nobody listens on port 9 of a fresh namespace. */
	l.len = tt_loopback_addr(AF_INET, 9, &l.ss);
	l.cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (l.cfd < 0)
		die("socket", errno);
	timed(refused_body, &l, &r);
	close(l.cfd);
	report_run(&r, "op/s");
	report_end(&r, "op/s");
}

/* One @SMALL-byte segment from l->cfd to l->sfd per operation. */
static void small_body(struct loop *l, struct run *r)
{
	char buf[SMALL] = { 'x' }, rbuf[SMALL];
	int i;

	do {
		for (i = 0; i < 8; i++) {
			if (send(l->cfd, buf, SMALL, 0) != SMALL ||
			    recv(l->sfd, rbuf, SMALL, MSG_WAITALL) != SMALL)
				die("small segments", errno);
			r->ops++;
		}
	} while (!window_over());
}

static void small_segments(int from, int to)
{
	struct loop l = { .cfd = from, .sfd = to };
	struct run r = {};

	if (set_nodelay(from))
		die("TCP_NODELAY", errno);
	timed(small_body, &l, &r);
	report_run(&r, "seg/s");
	report_end(&r, "seg/s");
}

static void bench_segment(void)
{
	int lfd, cfd, sfd;

	pair(&lfd, &cfd, &sfd);
	small_segments(cfd, sfd);
	close(cfd);
	close(sfd);
	close(lfd);
}

static void bench_halfclosed(void)
{
	int lfd, cfd, sfd, ret;

	pair(&lfd, &cfd, &sfd);
	if (shutdown(cfd, SHUT_WR))
		die("shutdown", errno);
	ret = tt_tcp_wait_state(cfd, 5 /* TCP_FIN_WAIT2 */, 2000);
	if (ret)
		die("FIN_WAIT_2", ret);
	/* The peer, in CLOSE_WAIT, keeps sending to our FIN_WAIT_2. */
	small_segments(sfd, cfd);
	close(cfd);
	close(sfd);
	close(lfd);
}

/* ---- 4. reconnect ---- */

struct rc_slot {
	int fd;
	bool up;		/* connected, waiting for the server's FIN */
	double t0;
};

struct rc {
	int epfd, lfd;
	struct sockaddr_storage ss;
	socklen_t len;
	struct rc_slot *slot;
	bool measuring;
	double ok, warm, timeouts, errors, addrnotavail;
	double last_ok;		/* when the last connect succeeded */
	double *lat;		/* connect latency of each success, s */
	size_t nlat, maxlat;
};

static void rc_drop(struct rc_slot *s)
{
	close(s->fd);	/* also leaves the epoll set */
	s->fd = -1;
}

static void rc_start(struct rc *rc, unsigned int idx)
{
	struct rc_slot *s = &rc->slot[idx];
	struct epoll_event ev = {
		.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP,
		.data.u32 = idx + 1,
	};

	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		die("socket", errno);
	s->up = false;
	s->t0 = now();
	if (connect(s->fd, (struct sockaddr *)&rc->ss, rc->len) &&
	    errno != EINPROGRESS) {
		if (rc->measuring) {
			if (errno == EADDRNOTAVAIL)
				rc->addrnotavail++;
			else
				rc->errors++;
		}
		rc_drop(s);
		return;
	}
	if (epoll_ctl(rc->epfd, EPOLL_CTL_ADD, s->fd, &ev))
		die("epoll_ctl", errno);
}

static void rc_event(struct rc *rc, struct rc_slot *s, unsigned int events)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	socklen_t elen = sizeof(int);
	char buf[64];
	int err = 0;
	ssize_t n;

	if (!s->up) {
		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &elen);
		if (err) {
			if (rc->measuring)
				rc->errors++;
			rc_drop(s);
			return;
		}
		s->up = true;
		rc->last_ok = now();
		if (rc->measuring) {
			rc->ok++;
			if (rc->nlat < rc->maxlat)
				rc->lat[rc->nlat++] = now() - s->t0;
		} else {
			rc->warm++;
		}
		ev.data.u32 = s - rc->slot + 1;
		epoll_ctl(rc->epfd, EPOLL_CTL_MOD, s->fd, &ev);
	}
	if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	/* The server closed first; now the client does. */
	do {
		n = recv(s->fd, buf, sizeof(buf), 0);
	} while (n > 0);
	if (n == 0 || errno != EAGAIN)
		rc_drop(s);
}

/* Run the event loop until @until (seconds) or @stop() says so. */
static void rc_loop(struct rc *rc, double until, bool (*stop)(struct rc *))
{
	struct epoll_event ev[64];
	double t, last_scan = 0;
	unsigned int i;
	int n, j, a;

	while ((t = now()) < until && !(stop && stop(rc))) {
		if (t - last_scan > 0.02) {
			last_scan = t;
			for (i = 0; i < (unsigned int)opt.inflight; i++) {
				struct rc_slot *s = &rc->slot[i];

				if (s->fd >= 0 && !s->up &&
				    t - s->t0 > opt.timeout_ms / 1000.0) {
					if (rc->measuring)
						rc->timeouts++;
					rc_drop(s);
				}
				if (s->fd < 0)
					rc_start(rc, i);
			}
		}
		n = epoll_wait(rc->epfd, ev, 64, 10);
		if (n < 0 && errno != EINTR)
			die("epoll_wait", errno);
		for (j = 0; j < n; j++) {
			if (!ev[j].data.u32) {
				while ((a = accept4(rc->lfd, NULL, NULL,
						    SOCK_CLOEXEC)) >= 0)
					close(a);	/* server closes first */
				continue;
			}
			i = ev[j].data.u32 - 1;
			if (rc->slot[i].fd >= 0)
				rc_event(rc, &rc->slot[i], ev[j].events);
			if (rc->slot[i].fd < 0)
				rc_start(rc, i);
		}
	}
}

/*
 * Warm-up ends when every port was used once, or when connects stop
 * succeeding for a connect timeout: connect() takes the free ports of
 * one parity first, and with no reopening they meet TIME-WAITs before
 * the other parity is ever used.
 */
static bool rc_warm(struct rc *rc)
{
	return rc->warm >= opt.n ||
	       (rc->warm > 0 && now() - rc->last_ok > opt.timeout_ms / 1000.0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, int p)
{
	size_t i;

	if (!n)
		return NAN;
	i = (n * p) / 100;
	return v[i < n ? i : n - 1];
}

static void bench_reconnect(void)
{
	struct sockaddr_storage ls;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 0 };
	struct rc rc = {};
	struct run r = {};
	long long tw_ms = 60000;
	char range[64];
	unsigned int i;
	double warm_secs;
	int ret;

	if (opt.n <= 0 || opt.inflight <= 0)
		die("reconnect needs -n and -q", EINVAL);
	snprintf(range, sizeof(range), "%d %d", RC_PORT_BASE,
		 RC_PORT_BASE + opt.n - 1);
	ret = tt_write_str("/proc/sys/net/ipv4/ip_local_port_range", range);
	if (ret)
		die("ip_local_port_range", ret);
	if (tt_module_loaded())
		tt_knob_read(TT_SYSCTL_DIR, "time_wait_ms", &tw_ms);

	rc.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	rc.len = tt_loopback_addr(AF_INET, RC_SERVER_PORT, &ls);
	if (rc.lfd < 0 || bind(rc.lfd, (struct sockaddr *)&ls, rc.len) ||
	    listen(rc.lfd, 1024))
		die("listen", errno);
	rc.ss = ls;
	rc.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (rc.epfd < 0 || epoll_ctl(rc.epfd, EPOLL_CTL_ADD, rc.lfd, &ev))
		die("epoll", errno);
	rc.slot = calloc(opt.inflight, sizeof(*rc.slot));
	rc.maxlat = 1 << 20;
	rc.lat = calloc(rc.maxlat, sizeof(*rc.lat));
	if (!rc.slot || !rc.lat)
		die("calloc", ENOMEM);
	for (i = 0; i < (unsigned int)opt.inflight; i++)
		rc.slot[i].fd = -1;

	/* Warm-up: the ports in use get their server-side TIME-WAITs. */
	warm_secs = now();
	rc.last_ok = warm_secs;
	rc_loop(&rc, warm_secs + 10 + opt.n / 100.0, rc_warm);
	warm_secs = now() - warm_secs;

	rc.measuring = true;
	window_open();
	rc_loop(&rc, win_end, NULL);
	window_close(&r);
	r.ops = rc.ok;
	r.fails = rc.timeouts + rc.errors + rc.addrnotavail;
	report_run(&r, "conn/s");
	if (!opt.count) {
		qsort(rc.lat, rc.nlat, sizeof(*rc.lat), cmp_double);
		rec_num("ports", opt.n);
		rec_num("inflight", opt.inflight);
		rec_num("timeout_ms", opt.timeout_ms);
		rec_num("time_wait_ms", tw_ms);
		rec_num("bound", opt.n * 1000.0 / tw_ms);
		rec_num("warmup_conns", rc.warm);
		rec_num("warmup_secs", warm_secs);
		rec_num("timeouts", rc.timeouts);
		rec_num("errors", rc.errors);
		rec_num("addrnotavail", rc.addrnotavail);
		rec_num("fails_per_s", r.fails / r.secs);
		rec_num("lat_p50_ms", pct(rc.lat, rc.nlat, 50) * 1e3);
		rec_num("lat_max_ms", rc.nlat ? rc.lat[rc.nlat - 1] * 1e3 : NAN);
		rec_end();
		printf("# r%s %-8s %-10s %-22s %12.1f conn/s, %.1f failures/s (bound %.1f/s)\n",
		       opt.round, opt.config, opt.scenario, opt.variant,
		       r.ops / r.secs, r.fails / r.secs,
		       opt.n * 1000.0 / tw_ms);
	}
	/* In-flight sockets and TIME-WAITs go with the namespace. */
}

/* ---- 3. FIN_WAIT_2 scale ---- */

/* The four caches that grew most from @b to @a, in bytes per socket. */
static void rec_caches(const struct slab_snap *b, const struct slab_snap *a,
		       int n)
{
	long long d[MAX_CACHES];
	int i, k, best;

	for (i = 0; i < a->nr; i++)
		d[i] = snap_bytes(a, a->c[i].name) - snap_bytes(b, a->c[i].name);
	rec_printf(",\"caches\":{");
	for (k = 0; k < 4; k++) {
		best = -1;
		for (i = 0; i < a->nr; i++)
			if (d[i] > 0 && (best < 0 || d[i] > d[best]))
				best = i;
		if (best < 0)
			break;
		rec_printf("%s\"%s\":%.6g", k ? "," : "", a->c[best].name,
			   (double)d[best] / n);
		d[best] = 0;
	}
	rec_printf("}");
}

static void bench_fw2(void)
{
	struct rlimit rl;
	static struct slab_snap snap_before, snap_after;
	long long before, after, tracked = -1, tracked_end = -1, aborts = -1;
	double t0, setup_secs, shut_secs, guard, *late;
	double *deadline;	/* each socket's, s */
	int *cfd, *sfd, lfd, ret, epfd, n = opt.n, i, k, nlate = 0;
	int timedout = 0, other = 0;
	struct epoll_event ev, evs[256];
	unsigned short port;

	if (n <= 0)
		die("fw2 needs -n", EINVAL);
	rl.rlim_cur = 2 * n + 256;
	rl.rlim_max = rl.rlim_cur;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("RLIMIT_NOFILE", errno);
	if (opt.idle_ms) {
		char v[32];

		snprintf(v, sizeof(v), "%d", opt.idle_ms);
		ret = tt_knob_write(TT_SYSCTL_DIR, "fin_wait2_idle_ms", v);
		if (ret)
			die("fin_wait2_idle_ms", ret);
	}
	cfd = calloc(n, sizeof(*cfd));
	sfd = calloc(n, sizeof(*sfd));
	deadline = calloc(n, sizeof(*deadline));
	late = calloc(n, sizeof(*late));
	if (!cfd || !sfd || !deadline || !late)
		die("calloc", ENOMEM);

	t0 = now();
	lfd = tt_net_listen(AF_INET, 128, &port);
	if (lfd < 0)
		die("listen", lfd);
	for (i = 0; i < n; i++) {
		ret = tt_net_pair(lfd, AF_INET, port, &cfd[i], &sfd[i]);
		if (ret)
			die("connect", ret);
	}
	setup_secs = now() - t0;

	slab_snap(&snap_before);
	t0 = now();
	for (i = 0; i < n; i++) {
		char c;

		if (shutdown(cfd[i], SHUT_WR))
			die("shutdown", errno);
		/* The peer reads the EOF, which frees the FIN's buffer. */
		recv(sfd[i], &c, 1, MSG_DONTWAIT);
	}
	shut_secs = now() - t0;
	/*
	 * The peer's ACK of a FIN may be delayed (pingpong mode): give the
	 * last sockets time to reach FIN_WAIT_2, well before any deadline.
	 */
	tt_msleep(200);
	slab_snap(&snap_after);
	if (tt_module_loaded()) {
		tt_counter_read("fw2_idle_tracked", &tracked);
		tt_counter_read("fw2_idle_aborts", &aborts);
	}
	/*
	 * Each socket's deadline, as the module computes it: the last time
	 * it heard from the peer (TCP_INFO, in ms) plus the idle timeout.
	 */
	for (i = 0; opt.idle_ms && i < n; i++) {
		struct tcp_info ti;
		socklen_t len = sizeof(ti);
		unsigned int quiet;

		memset(&ti, 0, sizeof(ti));
		t0 = now();
		if (getsockopt(cfd[i], IPPROTO_TCP, TCP_INFO, &ti, &len))
			die("TCP_INFO", errno);
		quiet = ti.tcpi_last_ack_recv < ti.tcpi_last_data_recv ?
			ti.tcpi_last_ack_recv : ti.tcpi_last_data_recv;
		deadline[i] = t0 - quiet / 1000.0 + opt.idle_ms / 1000.0;
	}

	if (opt.idle_ms) {
		epfd = epoll_create1(EPOLL_CLOEXEC);
		if (epfd < 0)
			die("epoll", errno);
		for (i = 0; i < n; i++) {
			/* EPOLLERR and EPOLLHUP come unasked. */
			ev.events = EPOLLRDHUP;
			ev.data.u32 = i;
			if (epoll_ctl(epfd, EPOLL_CTL_ADD, cfd[i], &ev))
				die("epoll_ctl", errno);
		}
		guard = now() + opt.idle_ms / 1000.0 + 10;
		while (nlate < n && now() < guard) {
			k = epoll_wait(epfd, evs, 256, 100);
			t0 = now();
			for (i = 0; i < k; i++) {
				int fd = cfd[evs[i].data.u32], err = 0;
				socklen_t elen = sizeof(err);

				getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
				if (err == ETIMEDOUT)
					timedout++;
				else
					other++;
				late[nlate++] = (t0 - deadline[evs[i].data.u32]) * 1e3;
				epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
			}
		}
		close(epfd);
		qsort(late, nlate, sizeof(*late), cmp_double);
		tt_counter_read("fw2_idle_tracked", &tracked_end);
	}

	before = snap_bytes(&snap_before, NULL);
	after = snap_bytes(&snap_after, NULL);
	rec_begin("result");
	rec_str("unit", "ms");
	rec_num("n", n);
	rec_num("idle_ms", opt.idle_ms);
	rec_num("setup_secs", setup_secs);
	rec_num("shutdown_secs", shut_secs);
	rec_num("slab_before", before);
	rec_num("slab_after", after);
	rec_num("bytes_per_sock", (double)(after - before) / n);
	rec_caches(&snap_before, &snap_after, n);
	rec_num("tracked", tracked);
	rec_num("tracked_end", tracked_end);
	rec_num("aborted_at_snapshot", aborts);
	rec_num("aborted", opt.idle_ms ? timedout : NAN);
	rec_num("other_events", opt.idle_ms ? other : NAN);
	rec_num("late_p50_ms", pct(late, nlate, 50));
	rec_num("late_p99_ms", pct(late, nlate, 99));
	rec_num("late_max_ms", nlate ? late[nlate - 1] : NAN);
	rec_end();
	printf("# r%s %-8s %-10s %-22s %d sockets, %+.0f bytes each",
	       opt.round, opt.config, opt.scenario, opt.variant, n,
	       (double)(after - before) / n);
	if (opt.idle_ms)
		printf(", %d/%d aborted, late p50 %.1f p99 %.1f max %.1f ms",
		       timedout, n, pct(late, nlate, 50), pct(late, nlate, 99),
		       nlate ? late[nlate - 1] : NAN);
	printf("\n");

	for (i = 0; i < n; i++) {
		close(cfd[i]);
		close(sfd[i]);
	}
	close(lfd);
}

/* ---- main ---- */

static const struct {
	const char *name;
	void (*fn)(void);
} scenarios[] = {
	{ "churn", bench_churn },
	{ "bulk", bench_bulk },
	{ "close", bench_close },
	{ "refused", bench_refused },
	{ "halfclosed", bench_halfclosed },
	{ "segment", bench_segment },
	{ "reconnect", bench_reconnect },
	{ "fw2", bench_fw2 },
};

static void bad_usage(void)
{
	fprintf(stderr, "usage: tt-bench [options] SCENARIO (see its source)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	void (*fn)(void) = NULL;
	unsigned int i;
	int c, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "r:c:V:d:n:i:q:t:k:C")) != -1) {
		switch (c) {
		case 'r':
			opt.round = optarg;
			break;
		case 'c':
			opt.config = optarg;
			break;
		case 'V':
			opt.variant = optarg;
			break;
		case 'd':
			opt.dur_ms = atoi(optarg);
			break;
		case 'n':
			opt.n = atoi(optarg);
			break;
		case 'i':
			opt.idle_ms = atoi(optarg);
			break;
		case 'q':
			opt.inflight = atoi(optarg);
			break;
		case 't':
			opt.timeout_ms = atoi(optarg);
			break;
		case 'k':
			opt.knobs = optarg;
			break;
		case 'C':
			opt.count = true;
			break;
		default:
			bad_usage();
		}
	}
	if (optind != argc - 1)
		bad_usage();
	opt.scenario = argv[optind];
	for (i = 0; i < ARRAY_SIZE(scenarios); i++)
		if (!strcmp(scenarios[i].name, opt.scenario))
			fn = scenarios[i].fn;
	if (!fn)
		bad_usage();

	settle();
	pin_cpu();
	ret = tt_netns_new();
	if (ret < 0)
		die("new network namespace", ret);
	if (opt.knobs && *opt.knobs)
		set_knobs(opt.knobs);
	fn();
	return 0;
}
