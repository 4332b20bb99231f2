// SPDX-License-Identifier: GPL-2.0
/* Netlink: threshold reports, ACK-gated claims, release, request, input. */
#define _GNU_SOURCE
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
	nl = kt_nl_open(getpid(), 0);
	REQUIRE(nl >= 0, "netlink: %s", strerror(-nl));
	/* a second listener, subscribed to every group, hears nothing */
	other = kt_nl_open(0, ~0u);
	REQUIRE(other >= 0, "second netlink socket: %s", strerror(-other));
	CHECK_OK(kt_set_loader(rt, getpid()));
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
	int rt, nl, other;
	struct kt_nlmsg m;
	uint64_t t0;
	pid_t g;

	kt_reload(NULL, NULL);
	rt = kt_open_rt();
	nl = kt_nl_open(getpid(), 0);
	REQUIRE(nl >= 0, "netlink: %s", strerror(-nl));
	other = kt_nl_open(0, 0);
	REQUIRE(other >= 0, "netlink: %s", strerror(-other));
	CHECK_OK(kt_set_loader(rt, getpid()));

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

	/* with the loader socket closed the kernel reports the failure */
	close(nl);
	CHECK_ERRNO(kt_request(rt, g), ECONNREFUSED);
	close(other);
	close(rt);
}

static int send_raw(int fd, const void *buf, size_t len)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };

	return sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0 ?
	       -errno : 0;
}

struct ack_ctx {
	pid_t g;
	int jobid;
	int go;		/* read end: parent writes once we are the loader */
};

/* Binds the loader's port without CAP_SYS_ADMIN and sends an ACK. */
static int unprivileged_ack(void *arg)
{
	struct ack_ctx *c = arg;
	struct kt_nlmsg m;
	char x;
	int nl;

	kt_drop_sys_admin();
	nl = kt_nl_open(getpid(), 0);
	if (nl < 0)
		return 2;
	if (read(c->go, &x, 1) != 1)
		return 3;
	CHECK_OK(kt_nl_send_ack(nl, c->g, c->jobid, 1));
	CHECK(kt_nl_recv(nl, 1500, &m) == 0, "answered type %u", m.type);
	close(nl);
	return 0;
}

void test_nl_malformed(void)
{
	unsigned char buf[256] __attribute__((aligned(8)));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct rtmon_nl_ack ack;
	const struct ipc_shared *t;
	int ipc, rt, nl, other;
	struct ack_ctx ac;
	struct kt_nlmsg m;
	pid_t g, child;
	int pfd[2];

	kt_reload(NULL, NULL);
	ipc = kt_open_ipc();
	rt = kt_open_rt();
	t = kt_map(ipc);
	nl = kt_nl_open(getpid(), 0);
	REQUIRE(nl >= 0, "netlink: %s", strerror(-nl));
	other = kt_nl_open(0, 0);
	REQUIRE(other >= 0, "netlink: %s", strerror(-other));
	CHECK_OK(kt_set_loader(rt, getpid()));
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
	/* a good ACK from the loader's port without CAP_SYS_ADMIN */
	close(nl);
	REQUIRE(pipe(pfd) == 0, "pipe");
	ac = (struct ack_ctx){ g, 31, pfd[0] };
	child = fork();
	REQUIRE(child >= 0, "fork");
	if (child == 0) {
		/* the child becomes the data loader, then loses the cap */
		_exit(unprivileged_ack(&ac) | (kt_failures ? 0x80 : 0));
	}
	CHECK_OK(kt_set_loader(rt, child));
	CHECK(write(pfd[1], "x", 1) == 1);
	{
		int st;

		waitpid(child, &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "unprivileged ACK child failed");
	}
	CHECK_OK(kt_set_loader(rt, getpid()));
	nl = kt_nl_open(getpid(), 0);
	REQUIRE(nl >= 0, "netlink: %s", strerror(-nl));

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
	close(other);
	close(nl);
	kt_unmap(t);
}
