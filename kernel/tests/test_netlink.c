// SPDX-License-Identifier: GPL-2.0
/* Netlink: threshold reports, ACK-gated claims, release, request, input. */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <linux/netlink.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"

void test_nl_threshold(void)
{
	const struct ipc_shared *t;
	int ipc, rt, nl, other, s;
	struct kt_nlmsg m;
	uint64_t t0, dt;
	pid_t g, young;

	kt_reload(NULL, NULL);
	ipc = kt_open_ipc();
	rt = kt_open_rt();
	t = kt_map(ipc);
	nl = kt_nl_loader();
	/* a second listener, subscribed to every group, hears nothing */
	other = kt_nl_open(0, ~0u);
	REQUIRE(other >= 0, "second netlink socket: %s", strerror(-other));
	CHECK_OK(kt_set_threshold(rt, 2));

	t0 = kt_now_ms();
	g = kt_spawn_group(KT_IDLE);
	CHECK_OK(kt_add(rt, g, 42, 2));
	young = kt_spawn_group(KT_IDLE);

	/* reported once the group has run 2 s */
	CHECK(kt_nl_wait(nl, RTMON_NL_LONG_RUNNING, g, 6000, &m) == 1,
	      "no report");
	dt = kt_now_ms() - t0;
	kt_log("reported after %.2fs", dt / 1000.0);
	CHECK(dt >= 1900 && dt <= 4500, "reported after %llu ms",
	      (unsigned long long)dt);
	CHECK(m.len == sizeof(struct rtmon_nl_long_running));
	CHECK(m.u.lr.global_jobid == 42 && m.u.lr.worker_num == 2 &&
	      m.u.lr.reason == RTMON_REASON_THRESHOLD &&
	      m.u.lr.runtime_sec >= 2 && m.u.lr.runtime_sec <= 4,
	      "job %d workers %d reason %u runtime %llu",
	      m.u.lr.global_jobid, m.u.lr.worker_num, m.u.lr.reason,
	      (unsigned long long)m.u.lr.runtime_sec);

	/* and only once; without an ACK it gets no slot */
	CHECK_OK(kt_add(rt, young, 43, 1));
	CHECK(kt_nl_wait(nl, RTMON_NL_LONG_RUNNING, g, 2500, &m) == 0,
	      "reported twice");
	CHECK(kt_count(t) == 0 && kt_find_slot(t, g) < 0, "slot without ACK");

	/* ACK -> slot */
	CHECK_OK(kt_nl_send_ack(nl, g, 42, 4242));
	CHECK(kt_nl_wait(nl, RTMON_NL_REGISTERED, g, 2000, &m) == 1);
	CHECK(m.len == sizeof(struct rtmon_nl_registered));
	CHECK(m.seq == 4242, "seq %u", m.seq);
	s = m.u.reg.slot;
	CHECK(s >= 0 && m.u.reg.global_jobid == 42 && m.u.reg.reserved == 0,
	      "slot %d", s);
	CHECK(kt_count(t) == 1 && kt_find_slot(t, g) == s);

	/* exit -> release message, slot freed */
	kt_kill_group(g);
	CHECK(kt_nl_wait(nl, RTMON_NL_RELEASED, g, 4000, &m) == 1,
	      "no release");
	CHECK(m.u.rel.slot == s && m.u.rel.global_jobid == 42 &&
	      m.u.rel.reason == RTMON_RELEASE_EXITED);
	CHECK(kt_count(t) == 0 && kt_find_slot(t, g) < 0);

	/* nothing ever reached the other socket */
	CHECK(kt_nl_recv(other, 200, &m) == 0, "other socket got type %u",
	      m.type);
	close(other);
	close(nl);
	kt_unmap(t);
}

void test_nl_request_profile(void)
{
	char buf[32];
	int rt, nl, other;
	struct kt_nlmsg m;
	uint64_t t0;
	pid_t g;

	kt_reload(NULL, NULL);
	rt = kt_open_rt();
	nl = kt_nl_loader();
	other = kt_nl_open(0, 0);
	REQUIRE(other >= 0, "netlink: %s", strerror(-other));

	g = kt_spawn_group(KT_IDLE);
	CHECK_OK(kt_add(rt, g, 9, 3));
	t0 = kt_now_ms();
	CHECK_OK(kt_request(rt, g));
	CHECK(kt_nl_wait(nl, RTMON_NL_LONG_RUNNING, g, 1000, &m) == 1,
	      "no immediate report");
	CHECK(kt_now_ms() - t0 < 1000);
	CHECK(m.u.lr.reason == RTMON_REASON_REQUEST &&
	      m.u.lr.global_jobid == 9 && m.u.lr.worker_num == 3 &&
	      m.u.lr.runtime_sec < 5);
	/* asking again reports again */
	CHECK_OK(kt_request(rt, g));
	CHECK(kt_nl_wait(nl, RTMON_NL_LONG_RUNNING, g, 1000, &m) == 1);
	/* the threshold (3600 s) is far: no other report comes */
	CHECK(kt_nl_recv(nl, 1500, &m) == 0, "unexpected type %u", m.type);
	CHECK(kt_nl_recv(other, 0, &m) == 0);

	/* closing the loader's socket ends its registration */
	close(nl);
	CHECK_ERRNO(kt_request(rt, g), ENOTCONN);
	CHECK_OK(kt_read_param("runtime_monitor", "registered_pid", buf,
			       sizeof(buf)));
	CHECK(!strcmp(buf, "0"), "registered_pid=%s", buf);
	close(other);
	close(rt);
}

static int send_raw(int fd, const void *buf, size_t len)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };

	return sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0 ?
	       -errno : 0;
}

/* A second process, privileged, while the data loader is registered. */
static int register_elsewhere(void *arg)
{
	int nl = kt_nl_open(0, 0);

	(void)arg;
	CHECK(nl >= 0, "netlink: %s", strerror(-nl));
	CHECK_ERRNO(kt_nl_register(nl), EEXIST);
	close(nl);
	return 0;
}

/* Without CAP_PERFMON and CAP_SYS_ADMIN: a REGISTER is refused, an ACK ignored. */
static int unprivileged_ack(void *arg)
{
	const pid_t *g = arg;
	struct kt_nlmsg m;
	int nl;

	kt_drop_cap(CAP_SYS_ADMIN);
	kt_drop_cap(CAP_PERFMON);
	nl = kt_nl_open(0, 0);
	if (nl < 0)
		return 2;
	CHECK(kt_nl_register(nl) == -EPERM, "registration not refused");
	CHECK_OK(kt_nl_send_ack(nl, *g, 31, 1));
	CHECK(kt_nl_recv(nl, 1500, &m) == 0, "answered type %u", m.type);
	close(nl);
	return 0;
}

void test_nl_malformed(void)
{
	unsigned char buf[256] __attribute__((aligned(8)));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct rtmon_nl_register reg = { 0, 0 };
	struct rtmon_nl_ack ack;
	const struct ipc_shared *t;
	int ipc, rt, nl, other;
	struct kt_nlmsg m;
	pid_t g;

	kt_reload(NULL, NULL);
	ipc = kt_open_ipc();
	rt = kt_open_rt();
	t = kt_map(ipc);
	nl = kt_nl_loader();
	other = kt_nl_open(0, 0);
	REQUIRE(other >= 0, "netlink: %s", strerror(-other));
	g = kt_spawn_group(KT_IDLE);
	CHECK_OK(kt_add(rt, g, 31, 1));
	CHECK_OK(kt_request(rt, g));
	CHECK(kt_nl_wait(nl, RTMON_NL_LONG_RUNNING, g, 1000, &m) == 1);
	ack = (struct rtmon_nl_ack){ g, 31 };

	/* short payload */
	memset(buf, 0, sizeof(buf));
	h->nlmsg_len = NLMSG_LENGTH(4);
	h->nlmsg_type = RTMON_NL_ACK;
	memcpy(NLMSG_DATA(h), &ack, 4);
	CHECK_OK(send_raw(nl, buf, h->nlmsg_len));
	/* long payload */
	h->nlmsg_len = NLMSG_LENGTH(sizeof(ack) + 8);
	memcpy(NLMSG_DATA(h), &ack, sizeof(ack));
	CHECK_OK(send_raw(nl, buf, h->nlmsg_len));
	/* wrong types */
	CHECK_OK(kt_nl_send(nl, RTMON_NL_REGISTERED, 1, &ack, sizeof(ack)));
	CHECK_OK(kt_nl_send(nl, NLMSG_NOOP, 1, &ack, sizeof(ack)));
	CHECK_OK(kt_nl_send(nl, 0x7fff, 1, &ack, sizeof(ack)));
	/* header claims more than was sent; and a bare 3 bytes */
	h->nlmsg_len = 200;
	h->nlmsg_type = RTMON_NL_ACK;
	CHECK_OK(send_raw(nl, buf, NLMSG_LENGTH(sizeof(ack))));
	CHECK_OK(send_raw(nl, buf, 3));
	/* random bytes */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 37 + 11);
	CHECK_OK(send_raw(nl, buf, sizeof(buf)));
	/* a good ACK from a port that is not the data loader's */
	CHECK_OK(kt_nl_send_ack(other, g, 31, 2));
	/* a REGISTER with a wrong length, or flags, does not register */
	CHECK_OK(kt_nl_send(other, RTMON_NL_REGISTER, 3, &reg, 4));
	reg.flags = 1;
	CHECK_OK(kt_nl_send(other, RTMON_NL_REGISTER, 4, &reg, sizeof(reg)));
	CHECK(kt_nl_wait(other, NLMSG_ERROR, -EINVAL, 1000, &m) == 1,
	      "flags not refused");
	CHECK(m.seq == 4, "seq %u", m.seq);
	/* while the loader's socket is open, another process cannot take over */
	CHECK(kt_in_child(register_elsewhere, NULL) == 0);
	/* a good ACK, and a REGISTER, from a process without the capability */
	CHECK(kt_in_child(unprivileged_ack, &g) == 0);

	/* none of it claimed a slot or got an answer */
	CHECK(kt_count(t) == 0, "count %d", kt_count(t));
	CHECK(kt_nl_recv(other, 300, &m) == 0, "other got type %u", m.type);

	/* well-formed but wrong: answered with an error */
	CHECK_OK(kt_nl_send_ack(nl, g, 32, 10));
	CHECK(kt_nl_wait(nl, RTMON_NL_REGISTERED, g, 1000, &m) == 1);
	CHECK(m.u.reg.slot == -EINVAL && m.seq == 10, "slot %d", m.u.reg.slot);
	CHECK_OK(kt_nl_send_ack(nl, 999999, 31, 11));
	CHECK(kt_nl_wait(nl, RTMON_NL_REGISTERED, 999999, 1000, &m) == 1);
	CHECK(m.u.reg.slot == -ESRCH, "slot %d", m.u.reg.slot);
	CHECK_OK(kt_nl_send_ack(nl, -5, 31, 12));
	CHECK(kt_nl_wait(nl, RTMON_NL_REGISTERED, -5, 1000, &m) == 1);
	CHECK(m.u.reg.slot == -ESRCH, "slot %d", m.u.reg.slot);
	CHECK(kt_count(t) == 0);

	/* two messages in one datagram: junk, then a good ACK */
	memset(buf, 0, sizeof(buf));
	h->nlmsg_len = NLMSG_LENGTH(8);
	h->nlmsg_type = 0x55;
	h = (struct nlmsghdr *)(buf + NLMSG_ALIGN(h->nlmsg_len));
	h->nlmsg_len = NLMSG_LENGTH(sizeof(ack));
	h->nlmsg_type = RTMON_NL_ACK;
	h->nlmsg_seq = 13;
	memcpy(NLMSG_DATA(h), &ack, sizeof(ack));
	CHECK_OK(send_raw(nl, buf, NLMSG_LENGTH(8) + h->nlmsg_len));
	CHECK(kt_nl_wait(nl, RTMON_NL_REGISTERED, g, 1000, &m) == 1,
	      "good ACK after junk ignored");
	CHECK(m.u.reg.slot == 0 && m.seq == 13, "slot %d", m.u.reg.slot);
	CHECK(kt_count(t) == 1);

	/* naming another process the only data loader ends our registration */
	CHECK_OK(kt_set_loader(rt, g));
	CHECK_ERRNO(kt_request(rt, g), ENOTCONN);
	CHECK(kt_nl_register(nl) == -EPERM, "registration not refused");
	CHECK_OK(kt_set_loader(rt, getpid()));
	CHECK_OK(kt_nl_register(nl));
	CHECK_OK(kt_request(rt, g));
	CHECK(kt_nl_wait(nl, RTMON_NL_LONG_RUNNING, g, 1000, &m) == 1);
	close(other);
	close(nl);
	kt_unmap(t);
}

static uint32_t nl_port(int fd)
{
	struct sockaddr_nl sa;
	socklen_t len = sizeof(sa);

	REQUIRE(getsockname(fd, (struct sockaddr *)&sa, &len) == 0,
		"getsockname: %s", strerror(errno));
	return sa.nl_pid;
}

/*
 * uid 65534 binds the port the daemon's pid would be (where messages went
 * when the data loader was a number), before the daemon is there; cannot
 * register; and hears nothing of what follows.  Exits with the number of
 * messages it received.
 */
static int squatter(int ready, int done, uint32_t port)
{
	struct kt_nlmsg m;
	int fd, n = 0;
	char x;

	kt_become_nobody();
	fd = kt_nl_open(port, 0);
	if (fd < 0) {
		kt_log("squatter cannot bind port %u: %s", port, strerror(-fd));
		return 100;
	}
	CHECK(kt_nl_register(fd) == -EPERM, "registration not refused");
	if (write(ready, "x", 1) != 1 || read(done, &x, 1) != 1)
		return 101;
	while (kt_nl_recv(fd, 0, &m) > 0)
		n++;
	close(fd);
	return n;
}

void test_nl_squat(void)
{
	const struct ipc_shared *t;
	int ipc, rt, nl, st, s;
	int ready[2], done[2];
	struct kt_nlmsg m;
	char buf[32], x;
	pid_t sq, g;

	kt_reload(NULL, NULL);
	ipc = kt_open_ipc();
	rt = kt_open_rt();
	t = kt_map(ipc);
	REQUIRE(pipe(ready) == 0 && pipe(done) == 0, "pipe");
	sq = fork();
	REQUIRE(sq >= 0, "fork");
	if (sq == 0) {
		close(ready[0]);
		close(done[1]);
		_exit(squatter(ready[1], done[0], getppid()) |
		      (kt_failures ? 0x80 : 0));
	}
	close(ready[1]);
	close(done[0]);
	REQUIRE(read(ready[0], &x, 1) == 1, "squatter failed");

	/* the daemon's socket gets another port, and registers */
	nl = kt_nl_loader();
	CHECK(nl_port(nl) != (uint32_t)getpid(), "port %u", nl_port(nl));
	CHECK_OK(kt_read_param("runtime_monitor", "registered_pid", buf,
			       sizeof(buf)));
	CHECK(atoi(buf) == getpid(), "registered_pid=%s", buf);

	/* every kind of message reaches it */
	CHECK_OK(kt_set_threshold(rt, 1));
	g = kt_spawn_group(KT_IDLE);
	CHECK_OK(kt_add(rt, g, 77, 2));
	CHECK(kt_nl_wait(nl, RTMON_NL_LONG_RUNNING, g, 5000, &m) == 1,
	      "no threshold report");
	CHECK(m.u.lr.global_jobid == 77 && m.u.lr.worker_num == 2);
	s = kt_claim(rt, nl, g, 77);
	CHECK(s == 0, "slot %d", s);
	CHECK(kt_count(t) == 1);
	kt_kill_group(g);
	CHECK(kt_nl_wait(nl, RTMON_NL_RELEASED, g, 4000, &m) == 1,
	      "no release");

	/* and nothing reached the squatter */
	CHECK(write(done[1], "x", 1) == 1);
	REQUIRE(waitpid(sq, &st, 0) == sq, "waitpid");
	CHECK(WIFEXITED(st) && (WEXITSTATUS(st) & 0x7f) == 0,
	      "squatter status %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	if (WIFEXITED(st) && (WEXITSTATUS(st) & 0x80))
		kt_failures++;

	/* once the daemon's socket is closed nobody gets its messages */
	close(nl);
	g = kt_spawn_group(KT_IDLE);
	CHECK_OK(kt_add(rt, g, 78, 1));
	CHECK_ERRNO(kt_request(rt, g), ENOTCONN);
	close(rt);
	kt_unmap(t);
	close(ipc);
}

struct perfmon_ctx {
	int ipc, rt;
};

/* What the daemon does, as uid 65534 holding only CAP_PERFMON. */
static int perfmon_daemon(void *arg)
{
	struct perfmon_ctx *c = arg;
	const struct ipc_shared *t;
	struct kt_nlmsg m;
	int nl, s;
	pid_t g;

	kt_nobody_with_cap(CAP_PERFMON);
	t = kt_map(c->ipc);
	nl = kt_nl_loader();
	CHECK_OK(kt_set_threshold(c->rt, 1));
	g = kt_spawn_group(KT_IDLE);
	CHECK_OK(kt_add(c->rt, g, 5, 1));
	CHECK(kt_nl_wait(nl, RTMON_NL_LONG_RUNNING, g, 5000, &m) == 1,
	      "no threshold report");
	s = kt_claim(c->rt, nl, g, 5);
	CHECK(s == 0, "slot %d", s);
	CHECK(kt_count(t) == 1 && kt_find_slot(t, g) == 0);
	CHECK_OK(kt_remove(c->rt, g));
	CHECK(kt_nl_wait(nl, RTMON_NL_RELEASED, g, 2000, &m) == 1);
	CHECK(m.u.rel.reason == RTMON_RELEASE_REMOVED && m.u.rel.slot == 0);
	CHECK(kt_count(t) == 0);
	/* resetting counters is performance monitoring too */
	CHECK_OK(kt_reset(c->ipc, IPCMON_RESET_ALL));
	/* choosing who may be the data loader stays with the administrator */
	CHECK_ERRNO(kt_set_loader(c->rt, getpid()), EPERM);
	kt_kill_group(g);
	close(nl);
	kt_unmap(t);
	return 0;
}

/* The same as uid 65534 with a capability that is not CAP_PERFMON. */
static int other_cap_daemon(void *arg)
{
	struct perfmon_ctx *c = arg;
	int nl;

	kt_nobody_with_cap(CAP_SYS_NICE);
	CHECK_ERRNO(kt_set_threshold(c->rt, 1), EPERM);
	CHECK_ERRNO(kt_reset(c->ipc, IPCMON_RESET_ALL), EPERM);
	CHECK_ERRNO(kt_add(c->rt, getpid(), 5, 1), EPERM);
	nl = kt_nl_open(0, 0);
	CHECK(nl >= 0, "netlink: %s", strerror(-nl));
	CHECK(kt_nl_register(nl) == -EPERM, "registration not refused");
	close(nl);
	return 0;
}

void test_nl_perfmon_only(void)
{
	struct perfmon_ctx c;

	kt_reload(NULL, NULL);
	/* the nodes are root's: the files are opened before dropping root */
	c.ipc = kt_open_ipc();
	c.rt = kt_open_rt();
	CHECK(kt_in_child(perfmon_daemon, &c) == 0);
	CHECK(kt_in_child(other_cap_daemon, &c) == 0);
	close(c.rt);
	close(c.ipc);
}

struct pidns_ctx {
	int rt, nl;
	pid_t g;
};

/* A root process with every capability, in its own pid namespace. */
static int in_pid_ns(void *arg)
{
	struct pidns_ctx *c = arg;
	struct kt_nlmsg m;
	pid_t own;
	int nl;

	CHECK(getpid() == 1, "pid %d: not in a new namespace", getpid());
	own = kt_spawn_group(KT_IDLE);
	CHECK_ERRNO(kt_add(c->rt, own, 1, 1), EPERM);
	CHECK_ERRNO(kt_add(c->rt, c->g, 1, 1), EPERM);
	CHECK_ERRNO(kt_remove(c->rt, c->g), EPERM);
	CHECK_ERRNO(kt_request(c->rt, c->g), EPERM);
	CHECK_ERRNO(kt_set_threshold(c->rt, 5), EPERM);
	CHECK_ERRNO(kt_set_loader(c->rt, 1), EPERM);
	nl = kt_nl_open(0, 0);
	CHECK(nl >= 0, "netlink: %s", strerror(-nl));
	CHECK(kt_nl_register(nl) == -EPERM, "registration not refused");
	close(nl);
	/* an ACK on the data loader's own socket, sent from here */
	CHECK_OK(kt_nl_send_ack(c->nl, c->g, 2, 9));
	CHECK(kt_nl_recv(c->nl, 1000, &m) == 0, "answered type %u", m.type);
	kt_kill_group(own);
	return 0;
}

void test_nl_pid_ns(void)
{
	const struct ipc_shared *t;
	struct pidns_ctx c;
	struct kt_nlmsg m;
	char buf[32];
	int ipc;

	kt_reload(NULL, NULL);
	ipc = kt_open_ipc();
	t = kt_map(ipc);
	c.rt = kt_open_rt();
	c.nl = kt_nl_loader();
	c.g = kt_spawn_group(KT_IDLE);
	CHECK_OK(kt_add(c.rt, c.g, 2, 1));
	CHECK(kt_in_new_pid_ns(in_pid_ns, &c) == 0);

	/* nothing changed: still registered, no slot, threshold as it was */
	CHECK(kt_count(t) == 0, "count %d", kt_count(t));
	CHECK_OK(kt_read_param("runtime_monitor", "threshold", buf, sizeof(buf)));
	CHECK(!strcmp(buf, "3600"), "threshold=%s", buf);
	CHECK_OK(kt_read_param("runtime_monitor", "registered_pid", buf,
			       sizeof(buf)));
	CHECK(atoi(buf) == getpid(), "registered_pid=%s", buf);
	CHECK_OK(kt_read_param("runtime_monitor", "data_loader_pid", buf,
			       sizeof(buf)));
	CHECK(!strcmp(buf, "0"), "data_loader_pid=%s", buf);
	/* and the group is still ours to claim */
	CHECK(kt_claim(c.rt, c.nl, c.g, 2) == 0);
	CHECK(kt_nl_recv(c.nl, 0, &m) == 0);
	close(c.nl);
	close(c.rt);
	kt_unmap(t);
	close(ipc);
}
