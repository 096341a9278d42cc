/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the tcp_teardown selftests.
 *
 * Everything returns 0 (or a non-negative result) on success and -errno on
 * failure, and never uses the kselftest harness: the harness header defines
 * non-static symbols, so only the *_test.c files include it, and children
 * forked by a test must not run ASSERT_*() anyway.
 */
#ifndef TT_UTIL_H
#define TT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TT_MODNAME		"tcp_teardown"
#define TT_MODULE_DEFAULT	"/lib/tcp_teardown.ko"	/* unless $TT_MODULE */

#define TT_SYSCTL_DIR		"/proc/sys/net/ipv4/tcp_teardown"
#define TT_SYSFS_DIR		"/sys/kernel/tcp_teardown"
#define TT_STATS_DIR		TT_SYSFS_DIR "/stats"
#define TT_VERSION_FILE		TT_SYSFS_DIR "/version"
#define TT_MODULE_DIR		"/sys/module/" TT_MODNAME
#define TT_PARAM_DIR		TT_MODULE_DIR "/parameters"
#define TT_PROC_NET		"/proc/net/tcp_teardown"

#define TT_PATH_MAX		512
#define TT_NOBODY		65534	/* uid and gid of the unprivileged user */

/* Module */
const char *tt_module_path(void);
int tt_module_load(const char *params, bool exist_ok);
int tt_module_unload(void);
bool tt_module_loaded(void);
int tt_module_fresh(const char *params);	/* unload a stale one, load */

/*
 * What every policy test stands on: the module freshly loaded with
 * @params and a new network namespace (lo up) entered; tt_bed_leave()
 * goes back to the namespace of the caller and unloads the module.
 * Both report a failing step on stderr and return its -errno.
 */
struct tt_bed {
	int init_netns;		/* fd of the caller's namespace */
	int ns;			/* fd of the new one */
};

int tt_bed_enter(struct tt_bed *bed, const char *params);
int tt_bed_leave(struct tt_bed *bed);

/* Files */
int tt_read_file(const char *path, char *buf, size_t size);
int tt_read_int(const char *path, long long *val);
int tt_write_str(const char *path, const char *s);
int tt_file_mode(const char *path);

/* Knobs: dir is TT_SYSCTL_DIR, TT_SYSFS_DIR or TT_PARAM_DIR */
char *tt_path(char *buf, const char *dir, const char *name);
int tt_knob_read(const char *dir, const char *knob, long long *val);
int tt_knob_write(const char *dir, const char *knob, const char *s);
int tt_knob_write_int(const char *dir, const char *knob, long long val);

/* Counters */
#define TT_MAX_COUNTERS		32
#define TT_COUNTER_NAME_MAX	64

struct tt_counters {
	int nr;
	char name[TT_MAX_COUNTERS][TT_COUNTER_NAME_MAX];
	long long val[TT_MAX_COUNTERS];
};

int tt_counters_read_netns(struct tt_counters *c);	/* TT_PROC_NET */
int tt_counters_read_global(struct tt_counters *c);	/* TT_STATS_DIR */
int tt_counters_get(const struct tt_counters *c, const char *name,
		    long long *val);
int tt_counter_read(const char *name, long long *val);	/* this netns */
int tt_stat_read(const char *name, long long *val);	/* global sum */

/* Namespaces and credentials */
int tt_lo_up(void);
int tt_netns_current(void);
int tt_netns_new(void);
int tt_netns_enter(int fd);
int tt_userns_enter(void);
int tt_drop_privileges(void);

/* Loopback TCP, 127.0.0.1 only */
int tt_tcp_listen(int backlog, unsigned short *port);
int tt_tcp_connect(unsigned short port, bool nonblock);
int tt_tcp_pair(int lfd, unsigned short port, int *cfd, int *afd);
int tt_tcp_state(int fd);
int tt_tcp_wait_state(int fd, int state, int timeout_ms);
int tt_tcp_accept_queue_len(int lfd);
int tt_tcp_count_state(int state);
int tt_tcp_send_recv(int from, int to, const char *msg);
int tt_tcp_set_linger0(int fd);

/* Child processes */
void *tt_shared_alloc(size_t size);
pid_t tt_child_start(int (*fn)(void *), void *arg);
int tt_child_wait(pid_t pid);
int tt_child_run(int (*fn)(void *), void *arg);
void tt_msleep(int ms);

#endif /* TT_UTIL_H */
