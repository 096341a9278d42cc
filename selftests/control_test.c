// SPDX-License-Identifier: GPL-2.0
/*
 * tcp_teardown control plane: loading and unloading under live TCP
 * sockets, the knobs through sysctl, sysfs and module parameters, input
 * validation, per-netns isolation, privileges, counters and the version.
 *
 * Runs as root in the test VM.  Fixtures load the module themselves:
 *   loaded   - freshly loaded with default parameters, unloaded afterwards
 *   unloaded - not loaded; the test loads what it needs, teardown unloads
 *   userns   - like loaded, run once from root and once from nobody
 *
 * Tests move between network namespaces with setns() rather than forking,
 * so that every check is an ASSERT in the test process.  Only what needs
 * other credentials runs in a child, which reports through shared memory.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/tcp.h>
#include <sys/mount.h>
#include <sys/socket.h>

#include "tt_harness.h"
#include "tt_knobs.h"
#include "tt_util.h"

/* Common checks */

/* The value of knob @k read through @dir must be @want. */
static void assert_knob(struct __test_metadata *_metadata, const char *dir,
			const struct tt_knob *k, long long want,
			const char *ctx)
{
	long long val = LLONG_MIN;
	int ret;

	ret = tt_knob_read(dir, k->name, &val);
	ASSERT_EQ(0, ret) TH_LOG("%s: reading %s/%s: %s", ctx, dir, k->name,
				 strerror(-ret));
	ASSERT_EQ(want, val) TH_LOG("%s: %s/%s", ctx, dir, k->name);
}

/* Init netns views: its sysctl and the sysfs file share one storage. */
static void assert_init_knob(struct __test_metadata *_metadata,
			     const struct tt_knob *k, long long want,
			     const char *ctx)
{
	assert_knob(_metadata, TT_SYSCTL_DIR, k, want, ctx);
	assert_knob(_metadata, TT_SYSFS_DIR, k, want, ctx);
}

static void write_knob(struct __test_metadata *_metadata, const char *dir,
		       const struct tt_knob *k, long long val)
{
	int ret = tt_knob_write_int(dir, k->name, val);

	ASSERT_EQ(0, ret) TH_LOG("writing %lld to %s/%s: %s", val, dir,
				 k->name, strerror(-ret));
}

/* @k's sysctl in a netns created right now; the caller stays where it is. */
static long long knob_in_new_netns(struct __test_metadata *_metadata,
				   const struct tt_knob *k)
{
	long long val = LLONG_MIN;
	int home, ns, ret;

	home = tt_netns_current();
	ASSERT_LE(0, home);
	ns = tt_netns_new();
	ASSERT_LE(0, ns) TH_LOG("new netns: %s", strerror(-ns));
	ret = tt_knob_read(TT_SYSCTL_DIR, k->name, &val);
	ASSERT_EQ(0, tt_netns_enter(home));
	close(ns);
	close(home);
	ASSERT_EQ(0, ret) TH_LOG("reading %s in a new netns: %s", k->name,
				 strerror(-ret));
	return val;
}

static void assert_mode(struct __test_metadata *_metadata, const char *path,
			int mode)
{
	int ret = tt_file_mode(path);

	ASSERT_LE(0, ret) TH_LOG("stat %s: %s", path, strerror(-ret));
	ASSERT_EQ(mode, ret) TH_LOG("mode of %s is 0%o", path, ret);
}

/* Every counter of @prev still exists in @now and did not go down. */
static void assert_no_decrease(struct __test_metadata *_metadata,
			       const struct tt_counters *prev,
			       const struct tt_counters *now, const char *what)
{
	long long val;
	int i;

	for (i = 0; i < prev->nr; i++) {
		ASSERT_EQ(0, tt_counters_get(now, prev->name[i], &val))
			TH_LOG("%s counter %s disappeared", what,
			       prev->name[i]);
		ASSERT_LE(prev->val[i], val)
			TH_LOG("%s counter %s went from %lld to %lld", what,
			       prev->name[i], prev->val[i], val);
	}
}

/*
 * A listener and @pairs connected pairs in the current netns, all closed
 * again.  Returns the number of close() calls on TCP sockets made, which
 * is the number of tcp_close() calls.
 */
static int make_and_close_tcp(struct __test_metadata *_metadata, int pairs)
{
	unsigned short port;
	int lfd, c, a, i;

	lfd = tt_tcp_listen(pairs, &port);
	ASSERT_LE(0, lfd) TH_LOG("listen: %s", strerror(-lfd));
	for (i = 0; i < pairs; i++) {
		ASSERT_EQ(0, tt_tcp_pair(lfd, port, &c, &a));
		ASSERT_EQ(0, close(c));
		ASSERT_EQ(0, close(a));
	}
	ASSERT_EQ(0, close(lfd));
	return 2 * pairs + 1;
}

static long long read_counter(struct __test_metadata *_metadata,
			      const char *name)
{
	long long val = -1;
	int ret = tt_counter_read(name, &val);

	ASSERT_EQ(0, ret) TH_LOG("%s in %s: %s", name, TT_PROC_NET,
				 strerror(-ret));
	return val;
}

/*
 * close_calls counts only where a policy acts at close(): turn one on in
 * the current netns that changes nothing for sockets without unread data.
 */
static void close_policy_on(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, tt_knob_write(TT_SYSCTL_DIR, "half_duplex_close", "0\n"));
}

static long long read_stat(struct __test_metadata *_metadata,
			   const char *name)
{
	long long val = -1;
	int ret = tt_stat_read(name, &val);

	ASSERT_EQ(0, ret) TH_LOG("%s/%s: %s", TT_STATS_DIR, name,
				 strerror(-ret));
	return val;
}

/* Fixture helpers */

/* Start from a fresh load, whatever an earlier failed test left behind. */
static void module_fresh_load(struct __test_metadata *_metadata,
			      const char *params)
{
	int ret = tt_module_fresh(params);

	ASSERT_EQ(0, ret) TH_LOG("loading %s with \"%s\": %s",
				 tt_module_path(), params, strerror(-ret));
}

/* Teardown side: EXPECT only, an ASSERT here would re-enter teardown. */
static void module_unload_if_loaded(struct __test_metadata *_metadata)
{
	int ret;

	if (!tt_module_loaded())
		return;
	ret = tt_module_unload();
	/*
	 * No TH_LOG handler on the EXPECT: after a failed ASSERT the 6.1
	 * harness leaves _metadata->trigger set and would print it anyway.
	 */
	if (ret)
		TH_LOG("unload: %s", strerror(-ret));
	EXPECT_EQ(0, ret);
}

FIXTURE(loaded) {
	int init_netns;
	pid_t child;		/* background child to kill, if any */
};

FIXTURE_SETUP(loaded)
{
	self->child = 0;
	self->init_netns = tt_netns_current();
	ASSERT_LE(0, self->init_netns);
	module_fresh_load(_metadata, "");
}

FIXTURE_TEARDOWN(loaded)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		tt_child_wait(self->child);
	}
	EXPECT_EQ(0, tt_netns_enter(self->init_netns));
	module_unload_if_loaded(_metadata);
	close(self->init_netns);
}

FIXTURE(unloaded) {
	int init_netns;
};

FIXTURE_SETUP(unloaded)
{
	int ret;

	self->init_netns = tt_netns_current();
	ASSERT_LE(0, self->init_netns);
	if (tt_module_loaded()) {
		TH_LOG("unloading a stale %s first", TT_MODNAME);
		ret = tt_module_unload();
		ASSERT_EQ(0, ret) TH_LOG("unload: %s", strerror(-ret));
	}
}

FIXTURE_TEARDOWN(unloaded)
{
	EXPECT_EQ(0, tt_netns_enter(self->init_netns));
	module_unload_if_loaded(_metadata);
	close(self->init_netns);
}

/* Load and unload under live sockets */

/* TCP sockets parked in as many states as loopback allows. */
struct zoo {
	int listener;		/* LISTEN */
	int est_c, est_a;	/* ESTABLISHED pair */
	int fw2, cw;		/* FIN_WAIT2 (half-closed) / CLOSE_WAIT pair */
	int full;		/* LISTEN with a full accept queue */
	int queued[2];		/* clients whose children fill that queue */
	int syn_sent;		/* SYN_SENT, or -1 if it could not be made */
};

/* Wait for the peer's FIN on @fd: recv() returning 0. */
static int wait_eof(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, tt_time_scaled(2000)) != 1)
		return -ETIMEDOUT;
	return recv(fd, &c, 1, MSG_DONTWAIT) ? -EBADMSG : 0;
}

static void wait_time_wait(struct __test_metadata *_metadata, int count)
{
	int n = 0, waited;

	for (waited = 0; waited < tt_time_scaled(2000); waited += 10) {
		n = tt_tcp_count_state(TCP_TIME_WAIT);
		ASSERT_LE(0, n);
		if (n >= count)
			return;
		tt_msleep(10);
	}
	ASSERT_LE(count, n) TH_LOG("sockets in TIME_WAIT");
}

static void wait_accept_queue(struct __test_metadata *_metadata, int lfd,
			      int len)
{
	int n = 0, waited;

	for (waited = 0; waited < tt_time_scaled(2000); waited += 5) {
		n = tt_tcp_accept_queue_len(lfd);
		ASSERT_LE(0, n);
		if (n == len)
			return;
		tt_msleep(5);
	}
	ASSERT_EQ(len, n) TH_LOG("accept queue length");
}

static void zoo_build(struct __test_metadata *_metadata, struct zoo *z)
{
	unsigned short port, full_port;
	int tw, c, a, i;

	memset(z, 0xff, sizeof(*z));	/* all fds -1 */

	z->listener = tt_tcp_listen(16, &port);
	ASSERT_LE(0, z->listener);
	ASSERT_EQ(0, tt_tcp_pair(z->listener, port, &z->est_c, &z->est_a));

	/* fw2 sends FIN, cw acks it and never closes */
	ASSERT_EQ(0, tt_tcp_pair(z->listener, port, &z->fw2, &z->cw));
	ASSERT_EQ(0, shutdown(z->fw2, SHUT_WR));
	ASSERT_EQ(0, tt_tcp_wait_state(z->fw2, TCP_FIN_WAIT2,
				       tt_time_scaled(2000)));
	ASSERT_EQ(TCP_CLOSE_WAIT, tt_tcp_state(z->cw));

	/* the side closing first ends in TIME_WAIT once the peer closes */
	tw = tt_tcp_count_state(TCP_TIME_WAIT);
	ASSERT_LE(0, tw);
	ASSERT_EQ(0, tt_tcp_pair(z->listener, port, &c, &a));
	ASSERT_EQ(0, close(c));
	ASSERT_EQ(0, wait_eof(a));
	ASSERT_EQ(0, close(a));
	wait_time_wait(_metadata, tw + 1);

	/*
	 * SYN_SENT: a listener drops SYNs while its accept queue is full,
	 * i.e. holds more than backlog children.  Backlog 1 and two queued
	 * connections, so that no SYN cookie is involved.
	 */
	z->full = tt_tcp_listen(1, &full_port);
	ASSERT_LE(0, z->full);
	for (i = 0; i < 2; i++) {
		z->queued[i] = tt_tcp_connect(full_port, false);
		ASSERT_LE(0, z->queued[i]);
		wait_accept_queue(_metadata, z->full, i + 1);
	}
	z->syn_sent = tt_tcp_connect(full_port, true);
	ASSERT_LE(0, z->syn_sent);
	tt_msleep(50);
	if (tt_tcp_state(z->syn_sent) != TCP_SYN_SENT) {
		/* optional state: note it and go on without */
		TH_LOG("note: no SYN_SENT socket (state %d), skipping it",
		       tt_tcp_state(z->syn_sent));
		close(z->syn_sent);
		z->syn_sent = -1;
	}
}

/* Every socket is still in its state and data still flows. */
static void zoo_check(struct __test_metadata *_metadata, struct zoo *z,
		      const char *when)
{
	char c;

	ASSERT_EQ(TCP_LISTEN, tt_tcp_state(z->listener)) TH_LOG("%s", when);
	ASSERT_EQ(TCP_ESTABLISHED, tt_tcp_state(z->est_c)) TH_LOG("%s", when);
	ASSERT_EQ(TCP_ESTABLISHED, tt_tcp_state(z->est_a)) TH_LOG("%s", when);
	ASSERT_EQ(TCP_FIN_WAIT2, tt_tcp_state(z->fw2)) TH_LOG("%s", when);
	ASSERT_EQ(TCP_CLOSE_WAIT, tt_tcp_state(z->cw)) TH_LOG("%s", when);
	ASSERT_EQ(TCP_LISTEN, tt_tcp_state(z->full)) TH_LOG("%s", when);
	ASSERT_EQ(2, tt_tcp_accept_queue_len(z->full)) TH_LOG("%s", when);
	ASSERT_EQ(TCP_ESTABLISHED, tt_tcp_state(z->queued[0]))
		TH_LOG("%s", when);
	ASSERT_EQ(TCP_ESTABLISHED, tt_tcp_state(z->queued[1]))
		TH_LOG("%s", when);
	if (z->syn_sent >= 0) {
		ASSERT_EQ(TCP_SYN_SENT, tt_tcp_state(z->syn_sent))
			TH_LOG("%s", when);
	}

	ASSERT_EQ(0, tt_tcp_send_recv(z->est_c, z->est_a, "ping"))
		TH_LOG("%s", when);
	ASSERT_EQ(0, tt_tcp_send_recv(z->est_a, z->est_c, "pong"))
		TH_LOG("%s", when);
	/* the CLOSE_WAIT side may still send; it has read the FIN */
	ASSERT_EQ(0, tt_tcp_send_recv(z->cw, z->fw2, "late data"))
		TH_LOG("%s", when);
	ASSERT_EQ(0, recv(z->cw, &c, 1, MSG_DONTWAIT)) TH_LOG("%s", when);
}

static void zoo_close(struct zoo *z)
{
	int fd[] = { z->listener, z->est_c, z->est_a, z->fw2, z->cw,
		     z->full, z->queued[0], z->queued[1], z->syn_sent };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fd); i++) {
		if (fd[i] >= 0)
			close(fd[i]);
	}
}

TEST_F_TIMEOUT(unloaded, load_unload_with_live_sockets, TT_TIMEOUT(90))
{
	struct zoo before, during;
	unsigned short port;
	int ns, ret, lfd, c, a;

	/* a private netns: lo is ours and nobody else's TCP shows up */
	ns = tt_netns_new();
	ASSERT_LE(0, ns) TH_LOG("new netns: %s", strerror(-ns));

	zoo_build(_metadata, &before);
	zoo_check(_metadata, &before, "before load");

	ret = tt_module_load("", false);
	ASSERT_EQ(0, ret) TH_LOG("load: %s", strerror(-ret));
	zoo_check(_metadata, &before, "after load");
	zoo_build(_metadata, &during);
	zoo_check(_metadata, &during, "created while loaded");

	ret = tt_module_unload();
	ASSERT_EQ(0, ret) TH_LOG("unload with live sockets: %s",
				 strerror(-ret));
	ASSERT_FALSE(tt_module_loaded());
	zoo_check(_metadata, &before, "after unload");
	zoo_check(_metadata, &during, "after unload");
	/* TIME_WAIT lasts 60 s: both zoos' are still there */
	ASSERT_LE(2, tt_tcp_count_state(TCP_TIME_WAIT));

	/* close everything with the module gone */
	zoo_close(&before);
	zoo_close(&during);

	/* and it comes back and goes again */
	ret = tt_module_load("", false);
	ASSERT_EQ(0, ret) TH_LOG("reload: %s", strerror(-ret));
	lfd = tt_tcp_listen(1, &port);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, tt_tcp_pair(lfd, port, &c, &a));
	ASSERT_EQ(0, tt_tcp_send_recv(c, a, "again"));
	ASSERT_EQ(0, tt_tcp_send_recv(a, c, "again"));
	close(c);
	close(a);
	close(lfd);
	ret = tt_module_unload();
	ASSERT_EQ(0, ret) TH_LOG("second unload: %s", strerror(-ret));
	close(ns);
}

/* Module parameters */

TEST_F_TIMEOUT(unloaded, param_sets_every_view, TT_TIMEOUT(30))
{
	const struct tt_knob *k;
	char params[128];
	int i, ret, v, w;

	tt_for_each_knob(k) {
		int values[] = { k->min, k->max };

		for (i = 0; i < 2; i++) {
			v = values[i];
			snprintf(params, sizeof(params), "%s=%d", k->name, v);
			ret = tt_module_load(params, false);
			ASSERT_EQ(0, ret) TH_LOG("loading with %s: %s",
						 params, strerror(-ret));

			assert_init_knob(_metadata, k, v, params);
			assert_knob(_metadata, TT_PARAM_DIR, k, v, params);
			ASSERT_EQ(v, knob_in_new_netns(_metadata, k))
				TH_LOG("%s: new netns", params);

			/* new netns start from the parameter, not init's */
			w = v == k->min ? k->max : k->min;
			if (w != v) {
				write_knob(_metadata, TT_SYSCTL_DIR, k, w);
				ASSERT_EQ(v, knob_in_new_netns(_metadata, k))
					TH_LOG("%s, init set to %d", params, w);
			}

			ret = tt_module_unload();
			ASSERT_EQ(0, ret) TH_LOG("unload: %s", strerror(-ret));
		}
	}
}

TEST_F_TIMEOUT(unloaded, bad_param_rejected, TT_TIMEOUT(30))
{
	const struct tt_knob *k;
	char params[4][128];
	int i, ret;

	tt_for_each_knob(k) {
		snprintf(params[0], sizeof(params[0]), "%s=%lld", k->name,
			 (long long)k->max + 1);
		snprintf(params[1], sizeof(params[1]), "%s=%lld", k->name,
			 (long long)k->min - 1);
		snprintf(params[2], sizeof(params[2]), "%s=abc", k->name);
		snprintf(params[3], sizeof(params[3]), "%s=%dx", k->name,
			 k->def);

		for (i = 0; i < 4; i++) {
			ret = tt_module_load(params[i], false);
			ASSERT_EQ(-EINVAL, ret)
				TH_LOG("loading with %s: %s", params[i],
				       ret ? strerror(-ret) : "loaded");
			ASSERT_FALSE(tt_module_loaded())
				TH_LOG("%s", params[i]);
		}
	}

	/* nothing was left half set up */
	ret = tt_module_load("", false);
	ASSERT_EQ(0, ret) TH_LOG("load: %s", strerror(-ret));
	ASSERT_EQ(0, tt_module_unload());
}

/* Files, defaults, version */

TEST_F_TIMEOUT(loaded, defaults, TT_TIMEOUT(30))
{
	const struct tt_knob *k;

	tt_for_each_knob(k) {
		assert_init_knob(_metadata, k, k->def, "default");
		assert_knob(_metadata, TT_PARAM_DIR, k, k->def, "default");
		ASSERT_EQ(k->def, knob_in_new_netns(_metadata, k))
			TH_LOG("%s in a new netns", k->name);
	}
}

TEST_F_TIMEOUT(loaded, file_modes, TT_TIMEOUT(30))
{
	char path[TT_PATH_MAX];
	const struct tt_knob *k;
	struct tt_counters c;
	long long val;
	int i;

	tt_for_each_knob(k) {
		assert_mode(_metadata, tt_path(path, TT_SYSCTL_DIR, k->name),
			    0644);
		assert_mode(_metadata, tt_path(path, TT_SYSFS_DIR, k->name),
			    0644);
		assert_mode(_metadata, tt_path(path, TT_PARAM_DIR, k->name),
			    0444);
	}
	assert_mode(_metadata, TT_VERSION_FILE, 0444);

	ASSERT_EQ(0, tt_counters_read_global(&c));
	ASSERT_EQ(0, tt_counters_get(&c, "close_calls", &val));
	for (i = 0; i < c.nr; i++)
		assert_mode(_metadata, tt_path(path, TT_STATS_DIR, c.name[i]),
			    0444);

	ASSERT_EQ(0, tt_counters_read_netns(&c));
	ASSERT_EQ(0, tt_counters_get(&c, "close_calls", &val));
}

TEST_F_TIMEOUT(loaded, version_file, TT_TIMEOUT(30))
{
	char buf[256];
	int len;

	len = tt_read_file(TT_VERSION_FILE, buf, sizeof(buf));
	ASSERT_LE(0, len) TH_LOG("%s: %s", TT_VERSION_FILE, strerror(-len));
	ASSERT_LT(1, len) TH_LOG("empty version \"%s\"", buf);
	ASSERT_EQ('\n', buf[len - 1]) TH_LOG("version \"%s\"", buf);
}

/* Knob writes */

/*
 * Write a series of valid values through @dir, with and without the
 * trailing newline, and read each back through the sysctl and sysfs of
 * the init netns (one storage).
 */
static void check_valid_writes(struct __test_metadata *_metadata,
			       const char *dir)
{
	const struct tt_knob *k;
	char buf[32], ctx[64];
	int i, nl, ret;

	tt_for_each_knob(k) {
		int values[] = { tt_knob_other(k), k->def, k->min, k->max,
				 k->def };

		for (i = 0; i < (int)ARRAY_SIZE(values); i++) {
			for (nl = 0; nl < 2; nl++) {
				snprintf(buf, sizeof(buf), "%d%s", values[i],
					 nl ? "\n" : "");
				snprintf(ctx, sizeof(ctx), "after writing %d%s",
					 values[i], nl ? "\\n" : "");
				ret = tt_knob_write(dir, k->name, buf);
				ASSERT_EQ(0, ret)
					TH_LOG("%s/%s %s: %s", dir, k->name,
					       ctx, strerror(-ret));
				assert_init_knob(_metadata, k, values[i], ctx);
			}
		}
	}
}

TEST_F_TIMEOUT(loaded, sysctl_write_read, TT_TIMEOUT(30))
{
	check_valid_writes(_metadata, TT_SYSCTL_DIR);
}

TEST_F_TIMEOUT(loaded, sysfs_write_read, TT_TIMEOUT(30))
{
	check_valid_writes(_metadata, TT_SYSFS_DIR);
}

struct bad_input {
	const char *why;
	char str[32];
};

/* Writes that must fail with -EINVAL for knob @k currently at @cur. */
static int bad_inputs(const struct tt_knob *k, int cur, struct bad_input *in)
{
	int n = 0;

#define BAD(w, ...) do { \
		in[n].why = (w); \
		snprintf(in[n].str, sizeof(in[n].str), __VA_ARGS__); \
		n++; \
	} while (0)

	BAD("non-numeric", "abc");
	BAD("max + 1", "%lld\n", (long long)k->max + 1);
	BAD("min - 1", "%lld\n", (long long)k->min - 1);
	BAD("overflow", "99999999999999999999");
	BAD("negative overflow", "-99999999999999999999");
	BAD("INT_MAX + 1", "2147483648");
	BAD("2^32 + 1 (1 if truncated to 32 bits)", "4294967297");
	if (k->min > -1)
		BAD("negative", "-1");
	/*
	 * "Empty" is a lone newline: a zero-length write() may return 0
	 * without ever reaching the handler (sysfs does exactly that).
	 */
	BAD("empty", "\n");
	/* a valid value other than @cur followed by junk */
	BAD("trailing junk", "%dx", cur == k->max ? k->min : k->max);
#undef BAD
	return n;
}

/*
 * Every bad input written through @dir fails with -EINVAL and leaves the
 * value as it was; tried from both ends of the range so that "reset to
 * default on error" is caught too.  @init: also check the sysfs/sysctl
 * twin of the init netns.
 */
static void check_bad_writes(struct __test_metadata *_metadata,
			     const char *dir, bool init)
{
	struct bad_input in[16];
	const struct tt_knob *k;
	int b, i, n, ret;

	tt_for_each_knob(k) {
		int base[] = { k->min, k->max };

		for (b = 0; b < 2; b++) {
			write_knob(_metadata, dir, k, base[b]);
			n = bad_inputs(k, base[b], in);
			for (i = 0; i < n; i++) {
				ret = tt_knob_write(dir, k->name, in[i].str);
				ASSERT_EQ(-EINVAL, ret)
					TH_LOG("%s/%s <- \"%.*s\" (%s): %s",
					       dir, k->name,
					       (int)strcspn(in[i].str, "\n"),
					       in[i].str, in[i].why,
					       ret ? strerror(-ret) :
					       "accepted");
				if (init)
					assert_init_knob(_metadata, k, base[b],
							 in[i].why);
				else
					assert_knob(_metadata, dir, k, base[b],
						    in[i].why);
			}
		}
	}
}

TEST_F_TIMEOUT(loaded, bad_writes_sysctl, TT_TIMEOUT(30))
{
	const struct tt_knob *k;
	long long init_val[TT_NR_KNOBS];
	int ns, i = 0;

	check_bad_writes(_metadata, TT_SYSCTL_DIR, true);

	/* the same in a child netns, whose writes init must not see */
	tt_for_each_knob(k) {
		ASSERT_EQ(0, tt_knob_read(TT_SYSCTL_DIR, k->name,
					  &init_val[i++]));
	}
	ns = tt_netns_new();
	ASSERT_LE(0, ns);
	check_bad_writes(_metadata, TT_SYSCTL_DIR, false);
	ASSERT_EQ(0, tt_netns_enter(self->init_netns));
	close(ns);
	i = 0;
	tt_for_each_knob(k)
		assert_init_knob(_metadata, k, init_val[i++], "child netns");
}

TEST_F_TIMEOUT(loaded, bad_writes_sysfs, TT_TIMEOUT(30))
{
	check_bad_writes(_metadata, TT_SYSFS_DIR, true);
}

/* Network namespaces */

enum { NS_A, NS_B, NS_INIT };

/*
 * Knob @k must read @want[NS_A], @want[NS_B] in netns @ns[] and
 * @want[NS_INIT] in the init netns (sysctl and sysfs).
 */
static void assert_per_netns(struct __test_metadata *_metadata,
			     const struct tt_knob *k, const int ns[3],
			     const int want[3], const char *ctx)
{
	static const char * const name[] = { "netns A", "netns B", "init" };
	char what[128];
	int i;

	for (i = NS_A; i <= NS_INIT; i++) {
		snprintf(what, sizeof(what), "%s, in %s", ctx, name[i]);
		ASSERT_EQ(0, tt_netns_enter(ns[i]));
		if (i == NS_INIT)
			assert_init_knob(_metadata, k, want[i], what);
		else
			assert_knob(_metadata, TT_SYSCTL_DIR, k, want[i],
				    what);
	}
}

TEST_F_TIMEOUT(loaded, netns_isolation, TT_TIMEOUT(30))
{
	/* d: default, w: another valid value */
	static const struct {
		int where;		/* netns written in */
		bool sysfs;		/* through sysfs (init only) */
		bool other;		/* write w, else d */
		bool a, b, init;	/* expected: w, else d */
		const char *what;
	} step[] = {
		{ NS_A,    false, true,  true,  false, false, "A <- w" },
		{ NS_B,    false, true,  true,  true,  false, "B <- w" },
		{ NS_A,    false, false, false, true,  false, "A <- d" },
		{ NS_INIT, false, true,  false, true,  true,  "init <- w" },
		{ NS_B,    false, false, false, false, true,  "B <- d" },
		{ NS_INIT, true,  false, false, false, false, "sysfs <- d" },
		{ NS_INIT, true,  true,  false, false, true,  "sysfs <- w" },
		{ NS_A,    false, true,  true,  false, true,  "A <- w again" },
	};
	const struct tt_knob *k;
	int ns[3], want[3];
	size_t i;
	int d, w;

	ns[NS_INIT] = self->init_netns;
	ns[NS_A] = tt_netns_new();
	ASSERT_LE(0, ns[NS_A]);
	ASSERT_EQ(0, tt_netns_enter(ns[NS_INIT]));
	ns[NS_B] = tt_netns_new();
	ASSERT_LE(0, ns[NS_B]);

	tt_for_each_knob(k) {
		d = k->def;
		w = tt_knob_other(k);
		if (w == d) {
			TH_LOG("%s has a single value, skipped", k->name);
			continue;
		}
		want[NS_A] = d;
		want[NS_B] = d;
		want[NS_INIT] = d;
		assert_per_netns(_metadata, k, ns, want, "start");
		for (i = 0; i < ARRAY_SIZE(step); i++) {
			ASSERT_EQ(0, tt_netns_enter(ns[step[i].where]));
			write_knob(_metadata, step[i].sysfs ? TT_SYSFS_DIR :
				   TT_SYSCTL_DIR, k, step[i].other ? w : d);
			want[NS_A] = step[i].a ? w : d;
			want[NS_B] = step[i].b ? w : d;
			want[NS_INIT] = step[i].init ? w : d;
			assert_per_netns(_metadata, k, ns, want, step[i].what);
		}
		write_knob(_metadata, TT_SYSCTL_DIR, k, d);	/* in init */
	}
	close(ns[NS_A]);
	close(ns[NS_B]);
}

TEST_F_TIMEOUT(loaded, new_netns_starts_from_load_default, TT_TIMEOUT(30))
{
	const struct tt_knob *k;
	int ns, w;

	tt_for_each_knob(k) {
		w = tt_knob_other(k);
		if (w == k->def)
			continue;
		/* created from init, whose value was changed */
		write_knob(_metadata, TT_SYSCTL_DIR, k, w);
		ASSERT_EQ(k->def, knob_in_new_netns(_metadata, k))
			TH_LOG("%s: init set to %d", k->name, w);

		/* created from a child netns whose value was changed */
		write_knob(_metadata, TT_SYSCTL_DIR, k, k->def);
		ns = tt_netns_new();
		ASSERT_LE(0, ns);
		write_knob(_metadata, TT_SYSCTL_DIR, k, w);
		ASSERT_EQ(k->def, knob_in_new_netns(_metadata, k))
			TH_LOG("%s: parent netns set to %d", k->name, w);
		ASSERT_EQ(0, tt_netns_enter(self->init_netns));
		close(ns);
	}
}

/* Privileges */

enum probe_step { STEP_NONE, STEP_DROP, STEP_USERNS, STEP_NETNS };

static const char * const probe_step_name[] = {
	[STEP_NONE]	= "-",
	[STEP_DROP]	= "drop privileges",
	[STEP_USERNS]	= "enter a user namespace",
	[STEP_NETNS]	= "create a netns",
};

/* What a child with other credentials does; it reports back in here. */
struct probe {
	/* set by the parent */
	bool as_nobody;		/* drop to TT_NOBODY, no capabilities */
	bool new_userns;	/* then become root of a new user ns */
	bool new_netns;		/* then create a netns owned by that ns */
	char path[TT_PATH_MAX];
	char value[32];		/* written to path */
	/* set by the child; errors are positive errno */
	enum probe_step failed;	/* setup step that failed */
	int setup_err;
	int read_err;
	long long read_val;	/* before the write */
	int write_err;
	int reread_err;
	long long reread_val;	/* after the write */
};

static int probe_child(void *arg)
{
	struct probe *p = arg;
	int ret = 0;

	if (p->as_nobody) {
		p->failed = STEP_DROP;
		ret = tt_drop_privileges();
	}
	if (!ret && p->new_userns) {
		p->failed = STEP_USERNS;
		ret = tt_userns_enter();
	}
	if (!ret && p->new_netns) {
		p->failed = STEP_NETNS;
		ret = unshare(CLONE_NEWNET) ? -errno : 0;
	}
	if (ret) {
		p->setup_err = -ret;
		return 0;
	}
	p->failed = STEP_NONE;
	p->read_err = -tt_read_int(p->path, &p->read_val);
	p->write_err = -tt_write_str(p->path, p->value);
	p->reread_err = -tt_read_int(p->path, &p->reread_val);
	return 0;
}

static void probe_init(struct probe *p, const char *dir,
		       const struct tt_knob *k, int value)
{
	memset(p, 0, sizeof(*p));
	tt_path(p->path, dir, k->name);
	snprintf(p->value, sizeof(p->value), "%d\n", value);
}

/* Run @p in a child; false if user namespaces are unavailable. */
static bool probe_run(struct __test_metadata *_metadata, struct probe *p)
{
	ASSERT_EQ(0, tt_child_run(probe_child, p));
	if (p->failed == STEP_USERNS &&
	    (p->setup_err == EPERM || p->setup_err == EINVAL ||
	     p->setup_err == ENOSPC))
		return false;
	ASSERT_EQ(0, p->setup_err) TH_LOG("child could not %s: %s",
					  probe_step_name[p->failed],
					  strerror(p->setup_err));
	return true;
}

/* The child could read @p->path and saw @val. */
static void assert_probe_read(struct __test_metadata *_metadata,
			      const struct probe *p, long long val)
{
	ASSERT_EQ(0, p->read_err) TH_LOG("child reading %s: %s", p->path,
					 strerror(p->read_err));
	ASSERT_EQ(val, p->read_val) TH_LOG("child reading %s", p->path);
}

/* The child's write of @p->value to @p->path was refused. */
static void assert_probe_denied(struct __test_metadata *_metadata,
				const struct probe *p)
{
	ASSERT_TRUE(p->write_err == EACCES || p->write_err == EPERM)
		TH_LOG("child writing %s: %s, want EACCES or EPERM", p->path,
		       p->write_err ? strerror(p->write_err) : "succeeded");
}

TEST_F_TIMEOUT(loaded, unprivileged_cannot_write, TT_TIMEOUT(30))
{
	static const char * const dirs[] = { TT_SYSCTL_DIR, TT_SYSFS_DIR };
	const struct tt_knob *k;
	struct probe *p;
	size_t d;
	int w;

	p = tt_shared_alloc(sizeof(*p));
	ASSERT_NE(NULL, p);
	tt_for_each_knob(k) {
		w = tt_knob_other(k);
		if (w == k->def)
			continue;
		for (d = 0; d < ARRAY_SIZE(dirs); d++) {
			probe_init(p, dirs[d], k, w);
			p->as_nobody = true;
			ASSERT_TRUE(probe_run(_metadata, p));
			/* 0644: anyone reads, only root writes */
			assert_probe_read(_metadata, p, k->def);
			assert_probe_denied(_metadata, p);
			assert_init_knob(_metadata, k, k->def, p->path);
		}
	}
}

/*
 * Root of a new user namespace: entered from root itself (uid 0 mapped to
 * 0, so plain DAC checks would let it through) and from nobody (the usual
 * container).  Either way it holds CAP_NET_ADMIN over its own user ns
 * only, not over init_user_ns which owns the init netns.
 */
FIXTURE(userns) {
	struct probe *p;
};

FIXTURE_VARIANT(userns) {
	bool as_nobody;
};

FIXTURE_VARIANT_ADD(userns, from_root) {
	.as_nobody = false,
};

FIXTURE_VARIANT_ADD(userns, from_nobody) {
	.as_nobody = true,
};

FIXTURE_SETUP(userns)
{
	self->p = tt_shared_alloc(sizeof(*self->p));
	ASSERT_NE(NULL, self->p);
	module_fresh_load(_metadata, "");
}

FIXTURE_TEARDOWN(userns)
{
	module_unload_if_loaded(_metadata);
}

TEST_F_TIMEOUT(userns, cannot_write_init_netns_sysctl, TT_TIMEOUT(30))
{
	const struct tt_knob *k;
	struct probe *p = self->p;
	int w;

	tt_for_each_knob(k) {
		w = tt_knob_other(k);
		if (w == k->def)
			continue;
		probe_init(p, TT_SYSCTL_DIR, k, w);
		p->as_nobody = variant->as_nobody;
		p->new_userns = true;
		if (!probe_run(_metadata, p))
			SKIP(return, "no user namespaces: %s",
			     strerror(p->setup_err));
		assert_probe_read(_metadata, p, k->def);
		assert_probe_denied(_metadata, p);
		assert_init_knob(_metadata, k, k->def, p->path);
	}
}

#define USERNS_POLICIES	TT_SYSFS_DIR "/userns_policies"
#define HOOK_ARMS	TT_SYSFS_DIR "/hooks/arms"
#define HOOK_DISARMS	TT_SYSFS_DIR "/hooks/disarms"
#define ALL_POLICIES	"half_duplex,time_wait,fin_wait2"

/* The host lets namespaces of other user namespaces use @policies. */
static void host_allow(struct __test_metadata *_metadata, const char *policies)
{
	char buf[128];
	int ret;

	snprintf(buf, sizeof(buf), "%s\n", policies);
	ret = tt_write_str(USERNS_POLICIES, buf);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", USERNS_POLICIES, strerror(-ret));
}

/* Probe set arm plus disarm operations since load. */
static long long hook_ops(struct __test_metadata *_metadata)
{
	long long arms = -1, disarms = -1;

	ASSERT_EQ(0, tt_read_int(HOOK_ARMS, &arms)) TH_LOG("%s", HOOK_ARMS);
	ASSERT_EQ(0, tt_read_int(HOOK_DISARMS, &disarms))
		TH_LOG("%s", HOOK_DISARMS);
	return arms + disarms;
}

TEST_F_TIMEOUT(userns, can_write_own_netns_sysctl, TT_TIMEOUT(30))
{
	const struct tt_knob *k;
	struct probe *p = self->p;
	int w;

	/* what would arm a hook needs the host's permission first */
	host_allow(_metadata, ALL_POLICIES);
	tt_for_each_knob(k) {
		w = tt_knob_other(k);
		if (w == k->def)
			continue;
		probe_init(p, TT_SYSCTL_DIR, k, w);
		p->as_nobody = variant->as_nobody;
		p->new_userns = true;
		p->new_netns = true;
		if (!probe_run(_metadata, p))
			SKIP(return, "no user namespaces: %s",
			     strerror(p->setup_err));
		/* its netns is new, so it starts from the load default */
		assert_probe_read(_metadata, p, k->def);
		ASSERT_EQ(0, p->write_err) TH_LOG("writing %s as its owner: %s",
						  p->path,
						  strerror(p->write_err));
		ASSERT_EQ(0, p->reread_err);
		ASSERT_EQ(w, p->reread_val);
		assert_init_knob(_metadata, k, k->def, "after the child");
	}
}

/*
 * Knobs whose other value (tt_knob_other()) makes a namespace need a
 * probe set on every kernel.  Others may or may not, by kernel (tw_isn_gap)
 * or never (enabled=0, tw_reopen=0).
 */
static const char *const arming_knobs[] = {
	"half_duplex_close", "fin_wait2_timeout_ms", "fin_wait2_rst",
	"fin_wait2_idle_ms", "time_wait_ms", "tw_restore",
};

static bool knob_arms(const struct tt_knob *k)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(arming_knobs); i++)
		if (!strcmp(arming_knobs[i], k->name))
			return true;
	return false;
}

TEST_F_TIMEOUT(userns, arming_needs_host_permission, TT_TIMEOUT(180))
{
	const struct tt_knob *k;
	struct probe *p = self->p;
	long long ops;
	int w;

	tt_for_each_knob(k) {
		w = tt_knob_other(k);
		if (w == k->def)
			continue;
		probe_init(p, TT_SYSCTL_DIR, k, w);
		p->as_nobody = variant->as_nobody;
		p->new_userns = true;
		p->new_netns = true;
		ops = hook_ops(_metadata);
		if (!probe_run(_metadata, p))
			SKIP(return, "no user namespaces: %s",
			     strerror(p->setup_err));
		assert_probe_read(_metadata, p, k->def);
		ASSERT_EQ(0, p->reread_err);
		if (knob_arms(k))
			ASSERT_EQ(EPERM, p->write_err)
				TH_LOG("%s=%d without the host's permission: %s",
				       k->name, w, p->write_err ?
				       strerror(p->write_err) : "written");
		if (p->write_err) {
			ASSERT_EQ(EPERM, p->write_err) TH_LOG("%s", k->name);
			/* refused: the value stays */
			ASSERT_EQ(k->def, p->reread_val) TH_LOG("%s", k->name);
		} else {
			/* accepted: it armed nothing */
			ASSERT_EQ(w, p->reread_val) TH_LOG("%s", k->name);
			ASSERT_EQ(ops, hook_ops(_metadata))
				TH_LOG("%s=%d armed a hook", k->name, w);
		}
		assert_init_knob(_metadata, k, k->def, "after the child");
	}
}

/* What a child in a user+net namespace of its own saw. */
struct allow_report {
	bool as_nobody;
	int setup_err;
	int hd_err, fw2_err, allow_err;
	long long hd_val, fw2_val;
};

/*
 * What a container's root or an unprivileged user gets: a user namespace
 * of its own (as uid 65534 first if @as_nobody) owning a new network
 * namespace.  0 or -errno.
 */
static int container_enter(bool as_nobody)
{
	int ret = 0;

	if (as_nobody)
		ret = tt_drop_privileges();
	if (!ret)
		ret = tt_userns_enter();
	if (!ret)
		ret = unshare(CLONE_NEWNET) ? -errno : 0;
	return ret;
}

static int allow_child(void *arg)
{
	struct allow_report *r = arg;
	int ret;

	ret = container_enter(r->as_nobody);
	if (ret) {
		r->setup_err = -ret;
		return 0;
	}
	r->hd_err = -tt_knob_write(TT_SYSCTL_DIR, "half_duplex_close", "2\n");
	r->fw2_err = -tt_knob_write(TT_SYSCTL_DIR, "fin_wait2_rst", "1\n");
	tt_knob_read(TT_SYSCTL_DIR, "half_duplex_close", &r->hd_val);
	tt_knob_read(TT_SYSCTL_DIR, "fin_wait2_rst", &r->fw2_val);
	/* and it cannot widen what the host allows */
	r->allow_err = -tt_write_str(USERNS_POLICIES, ALL_POLICIES "\n");
	return 0;
}

TEST_F_TIMEOUT(userns, host_allows_per_policy, TT_TIMEOUT(120))
{
	struct allow_report *r = (struct allow_report *)self->p;
	const struct tt_knob *k;
	char buf[128];
	int len;

	ASSERT_LE(sizeof(*r), sizeof(*self->p));
	/* a fresh install allows nothing */
	len = tt_read_file(USERNS_POLICIES, buf, sizeof(buf));
	ASSERT_EQ(1, len) TH_LOG("%s: \"%s\"", USERNS_POLICIES, buf);
	ASSERT_EQ(0644, tt_file_mode(USERNS_POLICIES));
	ASSERT_EQ(-EINVAL, tt_write_str(USERNS_POLICIES, "no_such_policy\n"));

	host_allow(_metadata, "half_duplex");
	len = tt_read_file(USERNS_POLICIES, buf, sizeof(buf));
	ASSERT_STREQ("half_duplex\n", buf);

	memset(r, 0, sizeof(*r));
	r->as_nobody = variant->as_nobody;
	ASSERT_EQ(0, tt_child_run(allow_child, r));
	if (r->setup_err == EPERM || r->setup_err == EINVAL ||
	    r->setup_err == ENOSPC)
		SKIP(return, "no user namespaces: %s", strerror(r->setup_err));
	ASSERT_EQ(0, r->setup_err) TH_LOG("%s", strerror(r->setup_err));
	/* allowed: works there */
	ASSERT_EQ(0, r->hd_err) TH_LOG("%s", strerror(r->hd_err));
	ASSERT_EQ(2, r->hd_val);
	/* not allowed: refused, kept */
	ASSERT_EQ(EPERM, r->fw2_err) TH_LOG("%s", strerror(r->fw2_err));
	ASSERT_EQ(0, r->fw2_val);
	ASSERT_TRUE(r->allow_err == EPERM || r->allow_err == EACCES)
		TH_LOG("writing %s: %s", USERNS_POLICIES,
		       r->allow_err ? strerror(r->allow_err) : "written");
	len = tt_read_file(USERNS_POLICIES, buf, sizeof(buf));
	ASSERT_STREQ("half_duplex\n", buf);
	/* in that namespace only */
	tt_for_each_knob(k)
		assert_init_knob(_metadata, k, k->def, "after the child");
}

static int defaults_child(void *arg)
{
	struct allow_report *r = arg;
	int ret;

	ret = container_enter(r->as_nobody);
	if (ret) {
		r->setup_err = -ret;
		return 0;
	}
	/* off, then back to the host's default: both allowed */
	r->allow_err = -tt_knob_write(TT_SYSCTL_DIR, "half_duplex_close", "1\n");
	r->hd_err = -tt_knob_write(TT_SYSCTL_DIR, "half_duplex_close", "2\n");
	r->fw2_err = -tt_knob_write(TT_SYSCTL_DIR, "fin_wait2_rst", "1\n");
	tt_knob_read(TT_SYSCTL_DIR, "half_duplex_close", &r->hd_val);
	tt_knob_read(TT_SYSCTL_DIR, "fin_wait2_rst", &r->fw2_val);
	return 0;
}

/*
 * What the host's module parameters switch on is the host's choice for
 * every namespace: a user namespace may leave it and come back to it.
 */
TEST_F_TIMEOUT(userns, load_defaults_are_the_hosts, TT_TIMEOUT(120))
{
	struct allow_report *r = (struct allow_report *)self->p;

	ASSERT_LE(sizeof(*r), sizeof(*self->p));
	module_fresh_load(_metadata, "half_duplex_close=2");
	memset(r, 0, sizeof(*r));
	r->as_nobody = variant->as_nobody;
	ASSERT_EQ(0, tt_child_run(defaults_child, r));
	if (r->setup_err == EPERM || r->setup_err == EINVAL ||
	    r->setup_err == ENOSPC)
		SKIP(return, "no user namespaces: %s", strerror(r->setup_err));
	ASSERT_EQ(0, r->setup_err) TH_LOG("%s", strerror(r->setup_err));
	ASSERT_EQ(0, r->allow_err) TH_LOG("to 1: %s", strerror(r->allow_err));
	ASSERT_EQ(0, r->hd_err) TH_LOG("back to 2: %s", strerror(r->hd_err));
	ASSERT_EQ(2, r->hd_val);
	/* another policy is still the host's to allow */
	ASSERT_EQ(EPERM, r->fw2_err) TH_LOG("%s", strerror(r->fw2_err));
	ASSERT_EQ(0, r->fw2_val);
}

#define TOGGLES	1000

struct toggle_report {
	bool as_nobody;
	int setup_err;
	int write_err;
	int done;
	long long ms;	/* how long the toggles took */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int toggle_child(void *arg)
{
	struct toggle_report *r = arg;
	long long t0;
	int ret;

	ret = container_enter(r->as_nobody);
	if (ret) {
		r->setup_err = -ret;
		return 0;
	}
	t0 = now_ms();
	for (r->done = 0; r->done < TOGGLES; r->done++) {
		ret = tt_knob_write(TT_SYSCTL_DIR, "half_duplex_close",
				    r->done % 2 ? "1\n" : "2\n");
		if (ret) {
			r->write_err = -ret;
			break;
		}
	}
	r->ms = now_ms() - t0;
	return 0;
}

/*
 * Toggling a policy from a user namespace arms the sets it needs once;
 * they are disarmed only after userns_disarm_delay_ms of no use.  Each
 * set can see at most one arm and one disarm per delay, plus one of
 * each at the ends.
 */
TEST_F_TIMEOUT(userns, toggles_bounded, TT_TIMEOUT(300))
{
	struct toggle_report *r = (struct toggle_report *)self->p;
	long long delay = 0, ops0, ops1, bound;
	int waited;

	ASSERT_LE(sizeof(*r), sizeof(*self->p));
	ASSERT_EQ(0, tt_read_int(TT_PARAM_DIR "/userns_disarm_delay_ms",
				 &delay));
	ASSERT_LT(0, delay);
	host_allow(_metadata, "half_duplex");
	ops0 = hook_ops(_metadata);

	memset(r, 0, sizeof(*r));
	r->as_nobody = variant->as_nobody;
	ASSERT_EQ(0, tt_child_run(toggle_child, r));
	if (r->setup_err == EPERM || r->setup_err == EINVAL ||
	    r->setup_err == ENOSPC)
		SKIP(return, "no user namespaces: %s", strerror(r->setup_err));
	ASSERT_EQ(0, r->setup_err) TH_LOG("%s", strerror(r->setup_err));
	ASSERT_EQ(0, r->write_err) TH_LOG("toggle %d: %s", r->done,
					  strerror(r->write_err));
	ASSERT_EQ(TOGGLES, r->done);
	ops1 = hook_ops(_metadata);
	/* close, after-close and strict sets: three of them */
	bound = 3 * 2 * (r->ms / delay + 1);
	TH_LOG("%d toggles in %lld ms: %lld arm/disarm operations (bound %lld)",
	       TOGGLES, r->ms, ops1 - ops0, bound);
	ASSERT_LT(0, ops1 - ops0) TH_LOG("nothing was armed");
	ASSERT_GE(bound, ops1 - ops0);

	/* the namespace is gone: everything is disarmed after the delay */
	for (waited = 0; waited < delay + tt_time_scaled(30000);
	     waited += 100) {
		if (hook_ops(_metadata) - ops0 >= 2 * 3)
			break;
		tt_msleep(100);
	}
	ops1 = hook_ops(_metadata);
	ASSERT_LE(2 * 3, ops1 - ops0) TH_LOG("not disarmed after %d ms",
					    waited);
	ASSERT_GE(bound + 2 * 3, ops1 - ops0);
}

/* Hooks and probes armed only while used */

#define KPROBES_LIST	"/sys/kernel/debug/kprobes/list"
#define FTRACE_ENABLED	"/sys/kernel/tracing/enabled_functions"

/*
 * The module's hooks (ftrace) and probes (kprobes) on functions that run
 * once per connection or more.  (tcp_timewait_state_process() carries
 * the TIME-WAIT kretprobe, armed always, and the half-duplex hook; the
 * SYN-ACK hooks depend on the kernel.)
 */
static const char *const per_conn_probes[] = {
	"__tcp_close",
	"tcp_rcv_state_process",
	"tcp_rcv_established",
	"tcp_keepalive_timer",
	"tw_timer_handler",
	"__inet_twsk_schedule",
	"inet_twsk_deschedule_put",	/* a kprobe: it returns early */
	"inet_csk_reqsk_queue_drop",
};

enum { PROBE_ABSENT, PROBE_DISABLED, PROBE_ARMED };

static void mount_fs(struct __test_metadata *_metadata, const char *type,
		     const char *dir)
{
	if (mount(type, dir, type, 0, NULL) && errno != EBUSY)
		ASSERT_EQ(0, errno) TH_LOG("mount %s: %s", type, strerror(errno));
}

/*
 * Is a line of @path, which starts with @prefix and holds @needle, there?
 * Returns the line's PROBE_ state: @disabled in it means disabled.
 */
static int listed(struct __test_metadata *_metadata, const char *path,
		  const char *prefix, const char *needle, const char *disabled)
{
	char line[512];
	int state = PROBE_ABSENT;
	FILE *f;

	f = fopen(path, "r");
	ASSERT_NE(NULL, f) TH_LOG("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, prefix, strlen(prefix)) ||
		    !strstr(line, needle))
			continue;
		state = disabled && strstr(line, disabled) ? PROBE_DISABLED :
							     PROBE_ARMED;
		break;
	}
	fclose(f);
	return state;
}

/*
 * State of the module's hook or kprobe on function @sym.  A hook exists
 * only while armed: ftrace lists the function with our callback.  A
 * kprobe stays registered, "[DISABLED]" while disarmed.
 */
static int probe_state(struct __test_metadata *_metadata, const char *sym)
{
	char want[160];
	int state;

	mount_fs(_metadata, "debugfs", "/sys/kernel/debug");
	mount_fs(_metadata, "tracefs", "/sys/kernel/tracing");
	snprintf(want, sizeof(want), "%s (", sym);
	state = listed(_metadata, FTRACE_ENABLED, want, "[tcp_teardown]", NULL);
	if (state == PROBE_ARMED)
		return state;
	/* the entry: +0x0, or +0x4 after an IBT endbr64 */
	snprintf(want, sizeof(want), " k  %s+0x", sym);
	state = listed(_metadata, KPROBES_LIST, "", want, "[DISABLED]");
	return state == PROBE_ABSENT ? PROBE_DISABLED : state;
}

/* Every per-connection probe registered, and armed only if in @armed. */
static bool probes_match(struct __test_metadata *_metadata,
			 const char *const *armed, bool log)
{
	bool ok = true;
	unsigned int i, j;
	int want, got;

	for (i = 0; i < ARRAY_SIZE(per_conn_probes); i++) {
		want = PROBE_DISABLED;
		for (j = 0; armed[j]; j++)
			if (!strcmp(armed[j], per_conn_probes[i]))
				want = PROBE_ARMED;
		got = probe_state(_metadata, per_conn_probes[i]);
		if (got == want)
			continue;
		ok = false;
		if (log)
			TH_LOG("%s: %s, want %s", per_conn_probes[i],
			       got == PROBE_ABSENT ? "absent" :
			       got == PROBE_ARMED ? "armed" : "disabled",
			       want == PROBE_ARMED ? "armed" : "disabled");
	}
	return ok;
}

/* Namespaces die asynchronously: give their exit a few seconds. */
static void assert_probes(struct __test_metadata *_metadata,
			  const char *const *armed, const char *what)
{
	int waited;

	for (waited = 0; waited < tt_time_scaled(10000); waited += 50) {
		if (probes_match(_metadata, armed, false))
			return;
		tt_msleep(50);
	}
	ASSERT_TRUE(probes_match(_metadata, armed, true)) TH_LOG("%s", what);
}

/* In a netns of its own: switch every policy on, then exit. */
static int all_policies_child(void *arg)
{
	static const char *const knobs[][2] = {
		{ "half_duplex_close", "2\n" },	{ "fin_wait2_rst", "1\n" },
		{ "time_wait_ms", "1000\n" },	{ "tw_restore", "1\n" },
	};
	unsigned int i;

	(void)arg;
	if (tt_netns_new() < 0)
		return 1;
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		if (tt_knob_write(TT_SYSCTL_DIR, knobs[i][0], knobs[i][1]))
			return 2;
	return 0;
}

/* One knob write and the per-connection probes armed after it. */
struct arming_step {
	const char *knob, *val;
	const char *armed[4];
};

static const struct arming_step arming_steps[] = {
	{ "half_duplex_close", "0\n",
	  { "__tcp_close", "tcp_rcv_state_process" } },
	{ "half_duplex_close", "2\n",
	  { "__tcp_close", "tcp_rcv_state_process", "tcp_rcv_established" } },
	/* enabled=0: the namespace needs nothing armed */
	{ "enabled", "0\n", { NULL } },
	{ "enabled", "1\n",
	  { "__tcp_close", "tcp_rcv_state_process", "tcp_rcv_established" } },
	{ "half_duplex_close", "1\n", { NULL } },
	{ "fin_wait2_rst", "1\n",
	  { "__tcp_close", "tcp_keepalive_timer", "tw_timer_handler" } },
	/* still needed by the other knob of the same set */
	{ "fin_wait2_timeout_ms", "5000\n",
	  { "__tcp_close", "tcp_keepalive_timer", "tw_timer_handler" } },
	{ "fin_wait2_rst", "0\n",
	  { "__tcp_close", "tcp_keepalive_timer", "tw_timer_handler" } },
	{ "fin_wait2_timeout_ms", "0\n", { NULL } },
	{ "time_wait_ms", "1000\n", { "__inet_twsk_schedule" } },
	{ "time_wait_ms", "60000\n", { NULL } },
	{ "tw_restore", "1\n",
	  { "inet_twsk_deschedule_put", "inet_csk_reqsk_queue_drop" } },
	{ "tw_restore", "0\n", { NULL } },
};

TEST_F_TIMEOUT(loaded, probes_armed_only_while_used, TT_TIMEOUT(90))
{
	static const char *const none[] = { NULL };
	const struct arming_step *st;
	char what[128];
	unsigned int i;
	int ns, ret;

	assert_probes(_metadata, none, "loaded with the defaults");

	ns = tt_netns_new();
	ASSERT_LE(0, ns);
	for (i = 0; i < ARRAY_SIZE(arming_steps); i++) {
		st = &arming_steps[i];
		ASSERT_EQ(0, tt_knob_write(TT_SYSCTL_DIR, st->knob, st->val));
		snprintf(what, sizeof(what), "step %u: %s=%.*s", i, st->knob,
			 (int)strlen(st->val) - 1, st->val);
		assert_probes(_metadata, st->armed, what);
	}
	ASSERT_EQ(0, tt_netns_enter(self->init_netns));
	close(ns);

	/* a namespace that goes away with its policies on disarms them */
	ret = tt_child_run(all_policies_child, NULL);
	ASSERT_EQ(0, ret) TH_LOG("child failed (%d)", ret);
	assert_probes(_metadata, none, "after a netns with every policy died");
}

/* Counters */

TEST_F_TIMEOUT(loaded, close_calls_count_exactly, TT_TIMEOUT(30))
{
	long long c0, c1, g0, g1, b0;
	int a_ns, b_ns, closes;

	/* B: a bystander netns that must not count A's closes */
	b_ns = tt_netns_new();
	ASSERT_LE(0, b_ns);
	close_policy_on(_metadata);
	b0 = read_counter(_metadata, "close_calls");
	ASSERT_EQ(0, tt_netns_enter(self->init_netns));

	/* A: fresh, so nothing but us closes TCP sockets in it */
	a_ns = tt_netns_new();
	ASSERT_LE(0, a_ns);

	/* at the defaults the close hook is not even armed */
	make_and_close_tcp(_metadata, 2);
	ASSERT_EQ(0, read_counter(_metadata, "close_calls"))
		TH_LOG("counted closes with no close policy on");

	close_policy_on(_metadata);
	c0 = read_counter(_metadata, "close_calls");
	g0 = read_stat(_metadata, "close_calls");

	/* 5 pairs and their listener: 11 sockets, 11 close() calls */
	closes = make_and_close_tcp(_metadata, 5);

	c1 = read_counter(_metadata, "close_calls");
	g1 = read_stat(_metadata, "close_calls");
	ASSERT_EQ(c0 + closes, c1) TH_LOG("per-netns close_calls");
	ASSERT_LE(g0 + closes, g1) TH_LOG("global close_calls");

	ASSERT_EQ(0, tt_netns_enter(b_ns));
	ASSERT_EQ(b0, read_counter(_metadata, "close_calls"))
		TH_LOG("another netns counted A's closes");
	close(a_ns);
	close(b_ns);
}

TEST_F_TIMEOUT(loaded, close_calls_follow_enabled, TT_TIMEOUT(30))
{
	unsigned short port;
	long long c0, c1;
	int ns, lfd, c, a;

	ns = tt_netns_new();
	ASSERT_LE(0, ns);
	close_policy_on(_metadata);
	c0 = read_counter(_metadata, "close_calls");

	/* enabled=0 in this netns: nothing is counted */
	ASSERT_EQ(0, tt_knob_write(TT_SYSCTL_DIR, "enabled", "0\n"));
	make_and_close_tcp(_metadata, 5);
	c1 = read_counter(_metadata, "close_calls");
	ASSERT_EQ(c0, c1) TH_LOG("counted with enabled=0");

	/* what matters is enabled at tcp_close() time, not at creation */
	lfd = tt_tcp_listen(1, &port);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, tt_tcp_pair(lfd, port, &c, &a));
	ASSERT_EQ(0, tt_knob_write(TT_SYSCTL_DIR, "enabled", "1\n"));
	close(c);
	close(a);
	close(lfd);
	ASSERT_EQ(c1 + 3, read_counter(_metadata, "close_calls"))
		TH_LOG("created with enabled=0, closed with enabled=1");

	c1 += 3;
	lfd = tt_tcp_listen(1, &port);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, tt_tcp_pair(lfd, port, &c, &a));
	ASSERT_EQ(0, tt_knob_write(TT_SYSCTL_DIR, "enabled", "0\n"));
	close(c);
	close(a);
	close(lfd);
	ASSERT_EQ(c1, read_counter(_metadata, "close_calls"))
		TH_LOG("created with enabled=1, closed with enabled=0");

	/* and counting resumes */
	ASSERT_EQ(0, tt_knob_write(TT_SYSCTL_DIR, "enabled", "1\n"));
	c1 += make_and_close_tcp(_metadata, 1);
	ASSERT_EQ(c1, read_counter(_metadata, "close_calls"));

	/* the init netns was not switched off by any of this */
	ASSERT_EQ(0, tt_netns_enter(self->init_netns));
	close(ns);
	ASSERT_EQ(0, tt_knob_read(TT_SYSCTL_DIR, "enabled", &c0));
	ASSERT_EQ(1, c0);
	ASSERT_EQ(0, tt_knob_read(TT_SYSFS_DIR, "enabled", &c0));
	ASSERT_EQ(1, c0);
}

/*
 * Open and close connections until killed; RST so no TIME_WAIT piles up.
 * @arg non-NULL: every other one closes the usual way instead, the client
 * first, so that the server's FIN reaches a FIN_WAIT_2/TIME-WAIT
 * minisocket.
 */
static int churn_child(void *arg)
{
	bool mixed = arg, rst = false;
	unsigned short port;
	int lfd, c, a;

	lfd = tt_tcp_listen(64, &port);
	if (lfd < 0)
		return 1;
	for (;;) {
		if (tt_tcp_pair(lfd, port, &c, &a)) {
			tt_msleep(1);
			continue;
		}
		rst = !mixed || !rst;
		if (rst)
			tt_tcp_set_linger0(c);
		else
			tt_tcp_send_recv(c, a, "x");
		close(c);
		close(a);
	}
}

/* generous timeouts: the VM may run without KVM */
TEST_F_TIMEOUT(loaded, counters_never_decrease, TT_TIMEOUT(90))
{
	struct tt_counters n0, g0, n_prev, g_prev, n_now, g_now;
	long long before, after;
	int ns, i;

	ns = tt_netns_new();
	ASSERT_LE(0, ns);
	close_policy_on(_metadata);
	ASSERT_EQ(0, tt_counters_read_netns(&n0));
	ASSERT_EQ(0, tt_counters_read_global(&g0));
	n_prev = n0;
	g_prev = g0;

	/* the churner shares our netns, so we see its per-netns counters */
	self->child = tt_child_start(churn_child, NULL);
	ASSERT_LT(0, self->child);
	for (i = 0; i < 300; i++) {
		ASSERT_EQ(0, tt_counters_read_netns(&n_now));
		ASSERT_EQ(0, tt_counters_read_global(&g_now));
		assert_no_decrease(_metadata, &n_prev, &n_now, "per-netns");
		assert_no_decrease(_metadata, &g_prev, &g_now, "global");
		n_prev = n_now;
		g_prev = g_now;
		tt_msleep(5);
	}
	kill(self->child, SIGKILL);
	ASSERT_EQ(256 + SIGKILL, tt_child_wait(self->child))
		TH_LOG("churner died early");
	self->child = 0;

	/* and the churn was seen at all */
	ASSERT_EQ(0, tt_counters_get(&n0, "close_calls", &before));
	ASSERT_EQ(0, tt_counters_get(&n_prev, "close_calls", &after));
	ASSERT_LT(before, after) TH_LOG("per-netns close_calls did not move");
	ASSERT_EQ(0, tt_counters_get(&g0, "close_calls", &before));
	ASSERT_EQ(0, tt_counters_get(&g_prev, "close_calls", &after));
	ASSERT_LT(before, after) TH_LOG("global close_calls did not move");
	close(ns);
}

#define ARMING_CYCLES	30

/*
 * Arming and disarming patch kernel text that the other CPU is running:
 * every set comes and goes ARMING_CYCLES times here while connections
 * churn through the hooked functions.  (The loop that showed QEMU's
 * multi-threaded TCG running stale patched code: scripts/vm.sh.)
 */
TEST_F_TIMEOUT(loaded, arming_under_traffic, TT_TIMEOUT(300))
{
	static const char *const knobs[][3] = {	/* name, on, default */
		{ "half_duplex_close", "2\n", "1\n" },
		{ "fin_wait2_timeout_ms", "3000\n", "0\n" },
		{ "fin_wait2_rst", "1\n", "0\n" },
		{ "fin_wait2_idle_ms", "5000\n", "0\n" },
		{ "tw_reopen", "1\n", "2\n" },
		{ "time_wait_ms", "5000\n", "60000\n" },
		{ "tw_restore", "1\n", "0\n" },
	};
	long long ops0, ops;
	unsigned int k, v;
	int ns, i, ret;

	ns = tt_netns_new();
	ASSERT_LE(0, ns);
	ops0 = hook_ops(_metadata);
	self->child = tt_child_start(churn_child, (void *)1);	/* mixed */
	ASSERT_LT(0, self->child);
	for (i = 0; i < ARMING_CYCLES; i++) {
		for (v = 1; v <= 2; v++) {
			for (k = 0; k < ARRAY_SIZE(knobs); k++) {
				ret = tt_knob_write(TT_SYSCTL_DIR, knobs[k][0],
						    knobs[k][v]);
				ASSERT_EQ(0, ret)
					TH_LOG("%s: %s", knobs[k][0],
					       strerror(-ret));
			}
		}
	}
	ops = hook_ops(_metadata) - ops0;
	/* every cycle armed and disarmed each set at least once */
	ASSERT_LE(2 * ARMING_CYCLES, ops);
	TH_LOG("%d cycles: %lld arm and disarm operations under traffic",
	       ARMING_CYCLES, ops);
	kill(self->child, SIGKILL);
	ASSERT_EQ(256 + SIGKILL, tt_child_wait(self->child))
		TH_LOG("churner died early");
	self->child = 0;
	close(ns);
}

#define BURST_PAIRS	3

/* In a netns of its own, open and close some connections, then exit. */
static int netns_burst_child(void *arg)
{
	unsigned short port;
	int lfd, c, a, i;

	(void)arg;
	if (tt_netns_new() < 0)
		return 1;
	/* a close policy on, so that close_calls counts */
	if (tt_knob_write(TT_SYSCTL_DIR, "half_duplex_close", "0\n"))
		return 4;
	lfd = tt_tcp_listen(BURST_PAIRS, &port);
	if (lfd < 0)
		return 2;
	for (i = 0; i < BURST_PAIRS; i++) {
		if (tt_tcp_pair(lfd, port, &c, &a))
			return 3;
		close(c);
		close(a);
	}
	close(lfd);
	return 0;
}

/* Sample the global counters for @ms, each sample >= the one before. */
static void watch_global(struct __test_metadata *_metadata,
			 struct tt_counters *prev, int ms)
{
	struct tt_counters now;
	int waited;

	for (waited = 0; waited < ms; waited += 10) {
		ASSERT_EQ(0, tt_counters_read_global(&now));
		assert_no_decrease(_metadata, prev, &now, "global");
		*prev = now;
		tt_msleep(10);
	}
}

TEST_F_TIMEOUT(loaded, global_counters_survive_netns_exit, TT_TIMEOUT(90))
{
	struct tt_counters g0, prev;
	long long before, after;
	int round, ret;

	ASSERT_EQ(0, tt_counters_read_global(&g0));
	prev = g0;
	for (round = 0; round < 5; round++) {
		ret = tt_child_run(netns_burst_child, NULL);
		ASSERT_EQ(0, ret) TH_LOG("burst child failed (%d)", ret);
		/* netns teardown is asynchronous: keep watching a while */
		watch_global(_metadata, &prev, 300);
	}
	watch_global(_metadata, &prev, 1000);

	/* dead namespaces' closes stay in the sum */
	ASSERT_EQ(0, tt_counters_get(&g0, "close_calls", &before));
	ASSERT_EQ(0, tt_counters_get(&prev, "close_calls", &after));
	ASSERT_LE(before + 5 * (2 * BURST_PAIRS + 1), after);
}

TEST_HARNESS_MAIN
