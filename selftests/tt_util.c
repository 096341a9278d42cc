// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the tcp_teardown selftests.  See tt_util.h.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "tt_util.h"

#define TT_IO_TIMEOUT_MS	2000	/* bound on any wait on loopback */

void tt_msleep(int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Module */

const char *tt_module_path(void)
{
	const char *path = getenv("TT_MODULE");

	return path && *path ? path : TT_MODULE_DEFAULT;
}

/*
 * finit_module() the module with @params ("" for none).  -EEXIST (already
 * loaded) counts as success only if the caller says so.
 */
int tt_module_load(const char *params, bool exist_ok)
{
	int fd, ret = 0;

	fd = open(tt_module_path(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(__NR_finit_module, fd, params ? params : "", 0))
		ret = -errno;
	close(fd);
	if (ret == -EEXIST && exist_ok)
		ret = 0;
	return ret;
}

/*
 * delete_module() without waiting in the kernel; a module still busy for a
 * moment (e.g. sockets being freed by RCU) gets retried for about 2 s.
 */
int tt_module_unload(void)
{
	int i, err;

	for (i = 0; ; i++) {
		if (!syscall(__NR_delete_module, TT_MODNAME, O_NONBLOCK))
			return 0;
		err = errno;
		if ((err != EAGAIN && err != EBUSY) || i >= 40)
			return -err;
		tt_msleep(50);
	}
}

bool tt_module_loaded(void)
{
	return access(TT_MODULE_DIR, F_OK) == 0;
}

/* Files */

/* Read up to @size - 1 bytes of @path into @buf, NUL-terminated. */
int tt_read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			ret = -errno;
			close(fd);
			return ret;
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return len;
}

/* Parse a file holding exactly "<decimal>\n", as printed by "%d\n". */
int tt_read_int(const char *path, long long *val)
{
	char buf[64], *end;
	long long v;
	int len;

	len = tt_read_file(path, buf, sizeof(buf));
	if (len < 0)
		return len;
	if (len < 2 || buf[len - 1] != '\n')
		return -EINVAL;
	/* strtoll() would also take leading blanks and '+' */
	if (!isdigit((unsigned char)buf[0]) && buf[0] != '-')
		return -EINVAL;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno)
		return -errno;
	if (end != buf + len - 1)
		return -EINVAL;
	*val = v;
	return 0;
}

/*
 * One open(O_WRONLY) and one write() of the whole string, so that the
 * kernel handler sees exactly @s.  Returns the errno of open() or write();
 * a short write (handler consumed only part of @s) is -EIO.
 */
int tt_write_str(const char *path, const char *s)
{
	size_t len = strlen(s);
	int fd, ret = 0;
	ssize_t n;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

/* Permission bits of @path, or -errno. */
int tt_file_mode(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	return st.st_mode & 07777;
}

/* Knobs */

char *tt_path(char *buf, const char *dir, const char *name)
{
	snprintf(buf, TT_PATH_MAX, "%s/%s", dir, name);
	return buf;
}

int tt_knob_read(const char *dir, const char *knob, long long *val)
{
	char path[TT_PATH_MAX];

	return tt_read_int(tt_path(path, dir, knob), val);
}

int tt_knob_write(const char *dir, const char *knob, const char *s)
{
	char path[TT_PATH_MAX];

	return tt_write_str(tt_path(path, dir, knob), s);
}

int tt_knob_write_int(const char *dir, const char *knob, long long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld\n", val);
	return tt_knob_write(dir, knob, buf);
}

/* Counters */

static int counters_add(struct tt_counters *c, const char *name,
			long long val)
{
	if (c->nr == TT_MAX_COUNTERS)
		return -E2BIG;
	if (!*name || strlen(name) >= TT_COUNTER_NAME_MAX)
		return -EINVAL;
	strcpy(c->name[c->nr], name);
	c->val[c->nr++] = val;
	return 0;
}

/* Parse "<name> <value>\n" lines; anything else is -EINVAL. */
static int counters_parse(char *buf, struct tt_counters *c)
{
	char *line = buf, *nl, *sp, *end;
	long long v;
	int ret;

	c->nr = 0;
	while (*line) {
		nl = strchr(line, '\n');
		if (!nl)
			return -EINVAL;
		*nl = '\0';
		sp = strchr(line, ' ');
		if (!sp || !isdigit((unsigned char)sp[1]))
			return -EINVAL;
		*sp = '\0';
		errno = 0;
		v = strtoll(sp + 1, &end, 10);
		if (errno || *end)
			return -EINVAL;
		ret = counters_add(c, line, v);
		if (ret)
			return ret;
		line = nl + 1;
	}
	return 0;
}

/* All counters of the caller's netns, from TT_PROC_NET. */
int tt_counters_read_netns(struct tt_counters *c)
{
	char buf[4096];
	int len;

	len = tt_read_file(TT_PROC_NET, buf, sizeof(buf));
	if (len < 0)
		return len;
	if (len == sizeof(buf) - 1)
		return -E2BIG;
	return counters_parse(buf, c);
}

/* All global counters, one file each in TT_STATS_DIR. */
int tt_counters_read_global(struct tt_counters *c)
{
	char path[TT_PATH_MAX];
	struct dirent *de;
	long long v;
	int ret = 0;
	DIR *dir;

	c->nr = 0;
	dir = opendir(TT_STATS_DIR);
	if (!dir)
		return -errno;
	while (!ret && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		ret = tt_read_int(tt_path(path, TT_STATS_DIR, de->d_name), &v);
		if (!ret)
			ret = counters_add(c, de->d_name, v);
	}
	closedir(dir);
	return ret;
}

int tt_counters_get(const struct tt_counters *c, const char *name,
		    long long *val)
{
	int i;

	for (i = 0; i < c->nr; i++) {
		if (!strcmp(c->name[i], name)) {
			*val = c->val[i];
			return 0;
		}
	}
	return -ENOENT;
}

int tt_counter_read(const char *name, long long *val)
{
	struct tt_counters c;
	int ret;

	ret = tt_counters_read_netns(&c);
	return ret ? ret : tt_counters_get(&c, name, val);
}

int tt_stat_read(const char *name, long long *val)
{
	char path[TT_PATH_MAX];

	return tt_read_int(tt_path(path, TT_STATS_DIR, name), val);
}

/* Namespaces and credentials */

/* lo starts down in every new netns; busybox has no "ip netns". */
int tt_lo_up(void)
{
	struct ifreq ifr;
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ret = -errno;
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			ret = -errno;
	}
	close(fd);
	return ret;
}

/* An fd for the caller's netns, for tt_netns_enter() later. */
int tt_netns_current(void)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * Move the caller into a fresh netns with lo up and return an fd for it.
 * The netns lives while the fd is open or a process or socket is in it.
 */
int tt_netns_new(void)
{
	int ret;

	if (unshare(CLONE_NEWNET))
		return -errno;
	ret = tt_lo_up();
	return ret ? ret : tt_netns_current();
}

int tt_netns_enter(int fd)
{
	return setns(fd, CLONE_NEWNET) ? -errno : 0;
}

/*
 * Enter a new user namespace in which the caller's euid/egid are mapped to
 * 0, i.e. become "root" with a full capability set over that namespace
 * only.  Fails with the errno of unshare() or of the map writes.
 */
int tt_userns_enter(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];
	int ret;

	if (unshare(CLONE_NEWUSER))
		return -errno;
	/* gid_map may only be written by us once setgroups is denied */
	ret = tt_write_str("/proc/self/setgroups", "deny");
	if (ret && ret != -ENOENT)
		return ret;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned int)uid);
	ret = tt_write_str("/proc/self/uid_map", map);
	if (ret)
		return ret;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned int)gid);
	return tt_write_str("/proc/self/gid_map", map);
}

/*
 * Become uid/gid TT_NOBODY with no capabilities at all (effective,
 * permitted, inheritable, ambient and bounding set).
 */
int tt_drop_privileges(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	int cap;

	/* needs CAP_SETPCAP, so before the uid change; EINVAL past the end */
	for (cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return -errno;
	}
	if (setgroups(0, NULL))
		return -errno;
	if (setresgid(TT_NOBODY, TT_NOBODY, TT_NOBODY))
		return -errno;
	if (setresuid(TT_NOBODY, TT_NOBODY, TT_NOBODY))
		return -errno;
	/* the uid change cleared the sets already; make it explicit */
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	if (data[0].effective || data[0].permitted || data[1].effective ||
	    data[1].permitted)
		return -EPERM;
	/* keep /proc/self owned by us, e.g. for a later tt_userns_enter() */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return -errno;
	return 0;
}

/* Loopback TCP */

/* A TCP listener on 127.0.0.1 and an ephemeral port; returns its fd. */
int tt_tcp_listen(int backlog, unsigned short *port)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(sa);
	int fd, ret;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, backlog) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/*
 * Connect to 127.0.0.1:@port.  A blocking connect gives up after
 * TT_IO_TIMEOUT_MS (SO_SNDTIMEO); a nonblocking one may still be in
 * progress (SYN_SENT) on return.
 */
int tt_tcp_connect(unsigned short port, bool nonblock)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct timeval tv = {
		.tv_sec = TT_IO_TIMEOUT_MS / 1000,
		.tv_usec = (TT_IO_TIMEOUT_MS % 1000) * 1000,
	};
	int fd, ret;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
		    (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		goto err;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !(nonblock && errno == EINPROGRESS))
		goto err;
	return fd;
err:
	ret = -errno;
	close(fd);
	return ret;
}

/*
 * A connected pair through listener @lfd: *cfd the connecting side, *afd
 * the accepted one.  @lfd must have no other connection queued.
 */
int tt_tcp_pair(int lfd, unsigned short port, int *cfd, int *afd)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	int c, a, ret;

	c = tt_tcp_connect(port, false);
	if (c < 0)
		return c;
	ret = poll(&pfd, 1, TT_IO_TIMEOUT_MS);
	if (ret <= 0) {
		ret = ret ? -errno : -ETIMEDOUT;
		close(c);
		return ret;
	}
	a = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0) {
		ret = -errno;
		close(c);
		return ret;
	}
	*cfd = c;
	*afd = a;
	return 0;
}

static int tcp_info(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len) ? -errno : 0;
}

/* TCP_ESTABLISHED, TCP_LISTEN, ... of @fd, or -errno. */
int tt_tcp_state(int fd)
{
	struct tcp_info ti;
	int ret = tcp_info(fd, &ti);

	return ret ? ret : ti.tcpi_state;
}

int tt_tcp_wait_state(int fd, int state, int timeout_ms)
{
	int waited, ret;

	for (waited = 0; ; waited += 5) {
		ret = tt_tcp_state(fd);
		if (ret < 0)
			return ret;
		if (ret == state)
			return 0;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		tt_msleep(5);
	}
}

/* Children of listener @lfd waiting for accept(). */
int tt_tcp_accept_queue_len(int lfd)
{
	struct tcp_info ti;
	int ret = tcp_info(lfd, &ti);

	/* for a listener, tcpi_unacked is sk_ack_backlog */
	return ret ? ret : (int)ti.tcpi_unacked;
}

/* How many IPv4 TCP sockets of this netns are in @state (/proc/net/tcp). */
int tt_tcp_count_state(int state)
{
	unsigned int st;
	char line[512];
	int count = 0;
	FILE *f;

	f = fopen("/proc/net/tcp", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* "  sl  local_address rem_address   st ..." */
		if (sscanf(line, " %*u: %*x:%*x %*x:%*x %x", &st) == 1 &&
		    (int)st == state)
			count++;
	}
	fclose(f);
	return count;
}

/* Send @msg on @from and check it arrives intact on @to. */
int tt_tcp_send_recv(int from, int to, const char *msg)
{
	struct pollfd pfd = { .fd = to, .events = POLLIN };
	size_t len = strlen(msg), got = 0;
	char buf[256];
	ssize_t n;
	int ret;

	if (len > sizeof(buf))
		return -EMSGSIZE;
	n = send(from, msg, len, MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	while (got < len) {
		ret = poll(&pfd, 1, TT_IO_TIMEOUT_MS);
		if (ret < 0)
			return -errno;
		if (!ret)
			return -ETIMEDOUT;
		n = recv(to, buf + got, len - got, MSG_DONTWAIT);
		if (n < 0)
			return -errno;
		if (!n)
			return -ECONNRESET;	/* EOF before the message */
		got += n;
	}
	return memcmp(buf, msg, len) ? -EBADMSG : 0;
}

/* close() then sends RST and skips TIME_WAIT. */
int tt_tcp_set_linger0(int fd)
{
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };

	return setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin)) ?
		-errno : 0;
}

/* Child processes */

/* Zeroed memory shared with children forked later, or NULL. */
void *tt_shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * Fork a child running @fn(@arg) and exiting with its return value.  The
 * child dies with its parent, so a test failing early leaves nothing
 * behind.
 */
pid_t tt_child_start(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		_exit(fn(arg) & 0xff);
	}
	return pid;
}

/* Exit status of child @pid, 256 + signal if killed, or -errno. */
int tt_child_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 256 + WTERMSIG(status);
}

int tt_child_run(int (*fn)(void *), void *arg)
{
	pid_t pid = tt_child_start(fn, arg);

	return pid < 0 ? pid : tt_child_wait(pid);
}

int tt_module_fresh(const char *params)
{
	int ret;

	if (tt_module_loaded()) {
		fprintf(stderr, "# unloading a stale %s first\n", TT_MODNAME);
		ret = tt_module_unload();
		if (ret)
			return ret;
	}
	return tt_module_load(params, false);
}

int tt_bed_enter(struct tt_bed *bed, const char *params)
{
	int ret;

	bed->ns = -1;
	bed->init_netns = tt_netns_current();
	if (bed->init_netns < 0)
		return bed->init_netns;
	ret = tt_module_fresh(params);
	if (ret) {
		fprintf(stderr, "# loading %s: %s\n", tt_module_path(),
			strerror(-ret));
		return ret;
	}
	/* fresh lo, counters, knobs and MIB for every test */
	bed->ns = tt_netns_new();
	if (bed->ns < 0) {
		fprintf(stderr, "# new netns: %s\n", strerror(-bed->ns));
		return bed->ns;
	}
	return 0;
}

int tt_bed_leave(struct tt_bed *bed)
{
	int ret = 0, err;

	if (bed->init_netns >= 0) {
		ret = tt_netns_enter(bed->init_netns);
		close(bed->init_netns);
		bed->init_netns = -1;
	}
	if (bed->ns >= 0) {
		close(bed->ns);
		bed->ns = -1;
	}
	if (tt_module_loaded()) {
		err = tt_module_unload();
		if (err)
			fprintf(stderr, "# unload: %s\n", strerror(-err));
		ret = ret ? ret : err;
	}
	return ret;
}
