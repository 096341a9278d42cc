// SPDX-License-Identifier: GPL-2.0
/*
 * tt-demo: what each tcp_teardown policy looks like from user space.
 * Run by `make run` inside the VM, with the module loaded.  Every scenario
 * runs in a network namespace of its own, once per knob value, and says
 * what the applications saw and what went over the wire.
 */
#include <errno.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tt_net.h"
#include "tt_util.h"

#define KB 1024

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void knob(const char *name, long long val)
{
	if (tt_knob_write_int(TT_SYSCTL_DIR, name, val))
		printf("    (cannot set %s)\n", name);
}

static const char *how(const struct tt_io *io)
{
	if (io->eof)
		return "then end-of-file";
	if (io->err)
		return strerror(io->err);
	return "then nothing";
}

/* Run @fn in a child process inside a fresh network namespace. */
static void in_netns(void (*fn)(long), long arg)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (tt_netns_new() < 0) {
			printf("    (no network namespace)\n");
			_exit(1);
		}
		fn(arg);
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

/*
 * An HTTP server that answers before reading the whole request: it reads
 * the 1 KB head, writes a 256 KB answer and closes while the client is
 * still sending its body.
 */
static void early_answer(long mode)
{
	unsigned short port;
	struct tt_io io = {}, body = {};
	struct tt_cap cap;
	int lfd, cfd, sfd;

	knob("half_duplex_close", mode);
	tt_cap_open(&cap, true);
	lfd = tt_net_listen(AF_INET, 1, &port);
	tt_net_pair(lfd, AF_INET, port, &cfd, &sfd);
	tt_set_sndbuf_force(sfd, 1024 * KB);
	tt_set_rcvbuf(cfd, 64 * KB);

	tt_send_bytes(cfd, 1 * KB + 64 * KB, &io);	/* head + some body */
	tt_wait_inq(sfd, 65 * KB, TT_NET_TIMEOUT_MS);
	tt_recv_bytes(sfd, 1 * KB, &io);		/* reads the head only */
	tt_send_bytes(sfd, 256 * KB, &io);		/* the answer */
	close(sfd);

	tt_set_io_timeout(cfd, 2000);
	tt_send_bytes(cfd, 256 * KB, &body);		/* rest of the body */
	tt_recv_bytes(cfd, 1024 * KB, &io);
	printf("  half_duplex_close=%ld: client's body write: %s;",
	       mode, body.err ? strerror(body.err) : "ok");
	printf(" it read %zu of %d answer bytes, %s; RST on the wire: %d\n",
	       io.bytes, 256 * KB, how(&io),
	       tt_cap_count(&cap, TT_TH_RST, port, 0));
	close(cfd);
	close(lfd);
}

/* The server stops reading with shutdown(SHUT_RD); the client sends. */
static void after_shut_rd(long mode)
{
	unsigned short port;
	struct tt_io io = {};
	int lfd, cfd, sfd;

	knob("half_duplex_close", mode);
	lfd = tt_net_listen(AF_INET, 1, &port);
	tt_net_pair(lfd, AF_INET, port, &cfd, &sfd);
	shutdown(sfd, SHUT_RD);
	tt_send_bytes(cfd, 1 * KB, &io);
	tt_wait_poll(sfd, POLLIN, 1000);
	usleep(200 * 1000);	/* the reset is sent from process context */
	tt_set_io_timeout(sfd, 500);
	tt_recv_bytes(sfd, 4 * KB, &io);
	printf("  half_duplex_close=%ld: after SHUT_RD the server reads %zu bytes, %s\n",
	       mode, io.bytes, how(&io));
	close(cfd);
	close(sfd);
	close(lfd);
}

static int tw_count(unsigned short lport, unsigned short rport)
{
	struct tt_proc_sock ps;

	return !tt_proc_tcp_find(AF_INET, lport, rport, &ps) &&
	       ps.state == 6 /* TCP_TIME_WAIT */;
}

/* A server that closes first, then the same client port comes back. */
static void reopen(long mode)
{
	unsigned short port, cport;
	struct sockaddr_in a = { .sin_family = AF_INET };
	int lfd, cfd, sfd, one = 1;
	double t0;

	knob("tw_reopen", mode);
	knob("time_wait_ms", 1500);
	lfd = tt_net_listen(AF_INET, 4, &port);
	tt_net_pair(lfd, AF_INET, port, &cfd, &sfd);
	cport = tt_sock_port(cfd, false);
	close(sfd);				/* the server closes first */
	tt_wait_poll(cfd, POLLIN, 1000);
	close(cfd);
	usleep(100 * 1000);
	printf("  tw_reopen=%ld: server side in TIME-WAIT: %s;", mode,
	       tw_count(port, cport) ? "yes" : "no");

	cfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(cfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(cport);
	bind(cfd, (struct sockaddr *)&a, sizeof(a));
	t0 = now();
	if (tt_net_connect_fd(cfd, AF_INET, port, 8000))
		printf(" reconnect from port %u failed\n", cport);
	else
		printf(" reconnect from port %u took %.2f s\n", cport,
		       now() - t0);
	close(cfd);
	close(lfd);
}

/* How long a server-side TIME-WAIT lasts. */
static void tw_length(long ms)
{
	unsigned short port, cport;
	int lfd, cfd, sfd;
	double t0;

	knob("time_wait_ms", ms);
	lfd = tt_net_listen(AF_INET, 1, &port);
	tt_net_pair(lfd, AF_INET, port, &cfd, &sfd);
	cport = tt_sock_port(cfd, false);
	close(sfd);
	tt_wait_poll(cfd, POLLIN, 1000);
	close(cfd);
	t0 = now();
	while (tw_count(port, cport) && now() - t0 < 5)
		usleep(20 * 1000);
	printf("  time_wait_ms=%ld: TIME-WAIT lasted %.2f s%s\n", ms,
	       now() - t0, tw_count(port, cport) ? " and is still there" : "");
	close(lfd);
}

static const char *state_name(int state)
{
	static const char * const names[] = {
		[1] = "ESTABLISHED", [4] = "FIN_WAIT1", [5] = "FIN_WAIT2",
		[6] = "TIME_WAIT", [7] = "CLOSE", [8] = "CLOSE_WAIT",
		[9] = "LAST_ACK", [11] = "CLOSING",
	};

	if (state > 0 && state < 12 && names[state])
		return names[state];
	return "?";
}

/* The state of the socket with these ports, or "gone". */
static const char *sock_state(unsigned short lport, unsigned short rport)
{
	struct tt_proc_sock ps;

	if (tt_proc_tcp_find(AF_INET, lport, rport, &ps))
		return "gone";
	return state_name(ps.state);
}

/*
 * A peer whose application never closes (CLOSE_WAIT leak); our side
 * closes.  Does the leaked socket ever learn?
 */
static void leaked_close_wait(long rst)
{
	unsigned short port, cport;
	struct tt_io io = {};
	int lfd, cfd, sfd;

	knob("fin_wait2_timeout_ms", 1000);
	knob("fin_wait2_rst", rst);
	lfd = tt_net_listen(AF_INET, 1, &port);
	tt_net_pair(lfd, AF_INET, port, &cfd, &sfd);
	cport = tt_sock_port(cfd, false);
	close(cfd);				/* our side: an orphan */
	tt_recv_bytes(sfd, KB, &io);		/* the peer sees EOF... */
	usleep(1500 * 1000);			/* ...and never closes */
	printf("  fin_wait2_rst=%ld: 1.5 s after our close:", rst);
	printf(" our orphan %s, the peer's leaked socket %s\n",
	       sock_state(cport, port), sock_state(port, cport));
	close(sfd);
	close(lfd);
}

/* A half-closed socket whose peer goes silent. */
static void idle_half_close(long ms)
{
	unsigned short port;
	struct tt_io io = {};
	int lfd, cfd, sfd;
	double t0;

	knob("fin_wait2_idle_ms", ms);
	lfd = tt_net_listen(AF_INET, 1, &port);
	tt_net_pair(lfd, AF_INET, port, &cfd, &sfd);
	shutdown(cfd, SHUT_WR);
	tt_set_io_timeout(cfd, 3000);
	t0 = now();
	tt_recv_bytes(cfd, KB, &io);
	printf("  fin_wait2_idle_ms=%ld: the half-closed client's read returned after %.2f s: %s\n",
	       ms, now() - t0, io.err == EAGAIN ? "still waiting (stock)" :
	       how(&io));
	close(cfd);
	close(sfd);
	close(lfd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);

	printf("\n== half-duplex close: an HTTP server answers early and closes\n");
	in_netns(early_answer, 1);
	in_netns(early_answer, 0);
	printf("\n== half-duplex close: data after shutdown(SHUT_RD)\n");
	in_netns(after_shut_rd, 1);
	in_netns(after_shut_rd, 2);

	printf("\n== TIME-WAIT: the client reconnects from the same port\n");
	in_netns(reopen, 2);
	in_netns(reopen, 1);
	in_netns(reopen, 0);
	printf("\n== TIME-WAIT length\n");
	in_netns(tw_length, 1000);
	in_netns(tw_length, 60000);

	printf("\n== FIN_WAIT_2: a leaked CLOSE_WAIT on the peer\n");
	in_netns(leaked_close_wait, 0);
	in_netns(leaked_close_wait, 1);
	printf("\n== FIN_WAIT_2: a half-closed socket whose peer goes silent\n");
	in_netns(idle_half_close, 0);
	in_netns(idle_half_close, 1000);
	return 0;
}
