// SPDX-License-Identifier: GPL-2.0
/* Slot lifecycle: claim, count, mask, release, pgid reuse, full table. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"

static void check_slot(const struct ipc_shared *t, int slot, pid_t pgid,
		       int jobid, int workers)
{
	struct pgid_slot_user u;

	REQUIRE(slot >= 0 && slot < IPCMON_MAX_SLOTS, "slot %d", slot);
	kt_read_slot(t, slot, &u);
	CHECK(u.pgid == pgid, "slot %d pgid %d want %d", slot, u.pgid, pgid);
	CHECK(u.global_jobid == jobid, "slot %d jobid %d want %d", slot,
	      u.global_jobid, jobid);
	CHECK(u.worker_num == workers, "slot %d workers %d want %d", slot,
	      u.worker_num, workers);
	CHECK(!(u.seq & 1));
	CHECK(kt_mask_test(t, slot) == (pgid != 0), "slot %d mask", slot);
}

void test_slot_lifecycle(void)
{
	const struct ipc_shared *t;
	struct kt_nlmsg m;
	int ipc, rt, nl, s1, s2;
	pid_t a, b;

	kt_setup_loader(&ipc, &rt, &t, &nl);

	a = kt_spawn_group(KT_IDLE);
	b = kt_spawn_group(KT_IDLE);
	CHECK_OK(kt_add(rt, a, 100, 2));
	CHECK_OK(kt_add(rt, b, 200, 4));
	/* registration alone claims nothing */
	CHECK(kt_count(t) == 0);

	s1 = kt_claim(rt, nl, a, 100);
	CHECK(s1 == 0, "first slot %d", s1);
	CHECK(kt_count(t) == 1);
	check_slot(t, s1, a, 100, 2);
	s2 = kt_claim(rt, nl, b, 200);
	CHECK(s2 == 1, "second slot %d", s2);
	CHECK(kt_count(t) == 2);
	CHECK(kt_mask_popcount(t) == 2);
	check_slot(t, s2, b, 200, 4);
	/* claiming again answers the same slot */
	CHECK(kt_claim(rt, nl, a, 100) == s1);
	CHECK(kt_count(t) == 2);

	/* a exits: released by the scan, slot zeroed, message sent */
	kt_kill_group(a);
	CHECK(kt_nl_wait(nl, RTMON_NL_RELEASED, a, 4000, &m) == 1,
	      "no RELEASED for exited group");
	CHECK(m.len == sizeof(struct rtmon_nl_released));
	CHECK(m.u.rel.global_jobid == 100 && m.u.rel.slot == s1 &&
	      m.u.rel.reason == RTMON_RELEASE_EXITED,
	      "released %d/%d/%u", m.u.rel.global_jobid, m.u.rel.slot,
	      m.u.rel.reason);
	CHECK(kt_count(t) == 1);
	CHECK(kt_mask_popcount(t) == 1);
	check_slot(t, s1, 0, 0, 0);
	check_slot(t, s2, b, 200, 4);
	CHECK_ERRNO(kt_remove(rt, a), ESRCH);

	/* b is removed by ioctl: slot freed at once */
	CHECK_OK(kt_remove(rt, b));
	CHECK(kt_count(t) == 0);
	CHECK(kt_mask_popcount(t) == 0);
	check_slot(t, s2, 0, 0, 0);
	CHECK(kt_nl_wait(nl, RTMON_NL_RELEASED, b, 2000, &m) == 1);
	CHECK(m.u.rel.slot == s2 && m.u.rel.reason == RTMON_RELEASE_REMOVED);
	/* an ACK for a group that is gone gets -ESRCH */
	CHECK_OK(kt_nl_send_ack(nl, b, 200, 5));
	CHECK(kt_nl_wait(nl, RTMON_NL_REGISTERED, b, 2000, &m) == 1);
	CHECK(m.u.reg.slot == -ESRCH, "slot %d", m.u.reg.slot);
	CHECK(m.seq == 5);

	/* the freed slot is reused, lowest first */
	b = kt_spawn_group(KT_IDLE);
	CHECK_OK(kt_add(rt, b, 300, 1));
	CHECK(kt_claim(rt, nl, b, 300) == 0);
	check_slot(t, 0, b, 300, 1);
	kt_unmap(t);
}

static int write_last_pid(pid_t last)
{
	char buf[32];
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
	int n, ok;

	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d", last);
	ok = write(fd, buf, n) == n;
	close(fd);
	return ok ? 0 : -errno;
}

void test_pgid_reuse(void)
{
	const struct ipc_shared *t;
	struct kt_nlmsg m;
	int ipc, rt, nl, s, s2, tries;
	pid_t a, b = -1;

	kt_setup_loader(&ipc, &rt, &t, &nl);

	a = kt_spawn_group(KT_BUSY);
	CHECK_OK(kt_add(rt, a, 11, 1));
	s = kt_claim(rt, nl, a, 11);
	REQUIRE(s >= 0, "claim %d", s);
	CHECK_ERRNO(kt_add(rt, a, 12, 1), EEXIST);

	/*
	 * Kill the group and, before the scan can notice, start a new group
	 * whose pgid has the same number.
	 */
	for (tries = 0; tries < 5 && b != a; tries++) {
		kt_kill_group(a);
		REQUIRE(write_last_pid(a - 1) == 0, "ns_last_pid");
		b = kt_spawn_group(KT_IDLE);
		if (b != a) {
			kt_log("pid %d taken, got %d, retrying", a, b);
			kt_kill_group(b);
			a = b;
		}
	}
	REQUIRE(b == a, "could not reuse pid %d", a);

	/* the old registration is stale: the new group registers fine */
	CHECK_OK(kt_add(rt, b, 12, 3));
	CHECK(kt_nl_wait(nl, RTMON_NL_RELEASED, a, 2000, &m) == 1,
	      "old group not released");
	CHECK(m.u.rel.global_jobid == 11 && m.u.rel.slot == s,
	      "released job %d slot %d", m.u.rel.global_jobid, m.u.rel.slot);
	CHECK(kt_count(t) == 0);
	check_slot(t, s, 0, 0, 0);

	s2 = kt_claim(rt, nl, b, 12);
	CHECK(s2 >= 0, "claim %d", s2);
	check_slot(t, s2, b, 12, 3);
	/* the old job id is no longer valid for this pgid */
	CHECK_OK(kt_nl_send_ack(nl, b, 11, 77));
	CHECK(kt_nl_wait(nl, RTMON_NL_REGISTERED, b, 2000, &m) == 1);
	CHECK(m.u.reg.slot == -EINVAL, "slot %d", m.u.reg.slot);
	CHECK(kt_count(t) == 1);
	kt_unmap(t);
}

#define FULL_GROUPS	(IPCMON_MAX_SLOTS + 4)

void test_slots_full(void)
{
	static pid_t g[FULL_GROUPS + 1];
	const struct ipc_shared *t;
	struct kt_nlmsg m;
	int ipc, rt, nl, i, s, victim, r;
	char params[64];
	uint64_t t0;

	snprintf(params, sizeof(params), "max_groups=%d", FULL_GROUPS);
	kt_reload(NULL, params);
	ipc = kt_open_ipc();
	rt = kt_open_rt();
	t = kt_map(ipc);
	nl = kt_nl_loader();

	t0 = kt_now_ms();
	for (i = 0; i <= FULL_GROUPS; i++)
		g[i] = kt_spawn_group(KT_IDLE);
	kt_log("%d groups forked in %.1fs", FULL_GROUPS + 1,
	       (kt_now_ms() - t0) / 1000.0);

	/* the registry holds max_groups groups */
	for (i = 0; i < FULL_GROUPS; i++) {
		r = kt_add(rt, g[i], i, 1);
		if (r) {
			CHECK(0, "add %d: %s", i, strerror(-r));
			break;
		}
	}
	CHECK_ERRNO(kt_add(rt, g[FULL_GROUPS], 1, 1), ENOSPC);

	/* the table holds 4096 */
	t0 = kt_now_ms();
	for (i = 0; i < IPCMON_MAX_SLOTS; i++) {
		s = kt_claim(rt, nl, g[i], i);
		if (s != i) {
			CHECK(0, "group %d got slot %d", i, s);
			break;
		}
	}
	kt_log("4096 slots claimed in %.1fs", (kt_now_ms() - t0) / 1000.0);
	CHECK(kt_count(t) == IPCMON_MAX_SLOTS, "count %d", kt_count(t));
	CHECK(kt_mask_popcount(t) == IPCMON_MAX_SLOTS);
	for (i = 0; i < IPCMON_MASK_WORDS; i++)
		CHECK(t->active_mask[i] == ~0ULL, "mask word %d", i);
	for (i = IPCMON_MAX_SLOTS; i < FULL_GROUPS; i++)
		CHECK(kt_claim(rt, nl, g[i], i) == -ENOSPC, "group %d", i);
	CHECK(kt_count(t) == IPCMON_MAX_SLOTS);
	check_slot(t, 4095, g[4095], 4095, 1);

	/* one exits: its slot goes to a waiting group */
	victim = 1234;
	kt_kill_group(g[victim]);
	CHECK(kt_nl_wait(nl, RTMON_NL_RELEASED, g[victim], 4000, &m) == 1);
	CHECK(m.u.rel.slot == victim);
	CHECK(kt_count(t) == IPCMON_MAX_SLOTS - 1);
	CHECK(!kt_mask_test(t, victim));
	s = kt_claim(rt, nl, g[IPCMON_MAX_SLOTS], IPCMON_MAX_SLOTS);
	CHECK(s == victim, "got slot %d", s);
	check_slot(t, victim, g[IPCMON_MAX_SLOTS], IPCMON_MAX_SLOTS, 1);
	CHECK(kt_count(t) == IPCMON_MAX_SLOTS);

	/* everything exits: the table empties (and nobody hears of it) */
	close(nl);
	nl = -1;
	for (i = 0; i <= FULL_GROUPS; i++)
		if (i != victim)
			kill(g[i], SIGKILL);
	for (i = 0; i <= FULL_GROUPS; i++)
		if (i != victim)
			waitpid(g[i], NULL, 0);
	CHECK(kt_wait_count(t, 0, 10000), "count %d", kt_count(t));
	CHECK(kt_mask_popcount(t) == 0);
	close(rt);
	kt_unmap(t);
	close(ipc);
	/* unload with nothing left and a fresh default load */
	kt_reload(NULL, NULL);
}
