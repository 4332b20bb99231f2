// SPDX-License-Identifier: GPL-2.0
/*
 * The original SMTcheck's ABI on our modules.  The client below knows only
 * what that system's tools know: its raw ioctl numbers, its argument
 * layouts and its declaration of the table, mapped read-write and shared
 * as its readers map it.  Nothing from smtcheck_uapi.h is used to talk to
 * the modules; our own ABI appears only to play the daemon (netlink) and
 * to check the results.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"

/* the original's numbers, written out as its tools write them */
#define ORIG_ADD_PGID		0x400c6b00UL
#define ORIG_REMOVE_PGID	0x40046b01UL
#define ORIG_SET_THRESHOLD	0x40046b02UL
#define ORIG_SET_DATA_LOADER	0x40046b03UL
#define ORIG_REQUEST_PROFILE	0x40046b04UL
#define ORIG_RESET_COUNTERS	0x4900UL

struct orig_pair {
	int pgid;
	int global_jobid;
	int worker_num;
};

/* its declaration of the table (atomic_t, unsigned long, aligned(16)) */
struct orig_slot {
	unsigned int seq;
	int pgid;
	int global_jobid;
	int worker_num;
	unsigned long long cycles;
	unsigned long long instructions;
} __attribute__((aligned(16)));

struct orig_shared {
	int count;
	unsigned long active_mask[4096 / (8 * sizeof(unsigned long))];
	struct orig_slot slots[4096];
};

#define ORIG_MAP_LEN	((sizeof(struct orig_shared) + 4095) & ~4095UL)

static int orig_ioctl(int fd, unsigned long cmd, const void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int orig_add(int rt, int pgid, int jobid, int workers)
{
	struct orig_pair p = { pgid, jobid, workers };

	return orig_ioctl(rt, ORIG_ADD_PGID, &p);
}

static int orig_int(int rt, unsigned long cmd, int v)
{
	return orig_ioctl(rt, cmd, &v);
}

static struct orig_shared *orig_map(int fd)
{
	void *p = mmap(NULL, ORIG_MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd, 0);

	REQUIRE(p != MAP_FAILED, "mmap read-write: %s", strerror(errno));
	return p;
}

/* its readers' seqlock loop */
static struct orig_slot orig_read(const struct orig_shared *t, int i)
{
	const struct orig_slot *s = &t->slots[i];
	struct orig_slot out;
	unsigned int s1, s2;

	do {
		s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		out = *(const volatile struct orig_slot *)s;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
	} while ((s1 & 1) || s1 != s2);
	return out;
}

static int orig_find(const struct orig_shared *t, int pgid)
{
	for (int i = 0; i < 4096; i++)
		if ((__atomic_load_n(&t->active_mask[i / 64], __ATOMIC_RELAXED) >>
		     (i % 64)) & 1 && orig_read(t, i).pgid == pgid)
			return i;
	return -1;
}

static int open_rw(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	REQUIRE(fd >= 0, "open %s: %s", path, strerror(errno));
	return fd;
}

/* A process that joins group @pgid and waits: REQUEST_PROFILE names it. */
static pid_t join_group(pid_t pgid)
{
	pid_t pid = fork();

	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close_range(3, ~0U, 0);
		if (setpgid(0, pgid))
			_exit(1);
		for (;;)
			pause();
	}
	REQUIRE(setpgid(pid, pgid) == 0 || errno == EACCES, "setpgid: %s",
		strerror(errno));
	return pid;
}

static pid_t dead_pid(void)
{
	pid_t pid = fork();

	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

/* Every command with its happy path and each bad argument. */
void test_orig_commands(void)
{
	int rt, ipc, nl, slot, zero = 0;
	struct orig_shared *t;
	struct orig_slot s;
	struct kt_nlmsg m;
	pid_t g, member, dead;
	char buf[32];
	uint64_t before;

	kt_reload(NULL, "scan_interval_ms=100");
	rt = open_rw("/dev/runtime_monitor");
	ipc = open_rw("/dev/IPC_monitor");
	nl = kt_nl_loader();	/* the daemon, speaking our protocol */
	t = orig_map(ipc);
	CHECK(t->count == 0);

	/* its threshold, in our setting, with our bounds */
	CHECK_OK(orig_int(rt, ORIG_SET_THRESHOLD, 1));
	CHECK_OK(kt_read_param("runtime_monitor", "threshold", buf, sizeof(buf)));
	CHECK(!strcmp(buf, "1"), "threshold=%s", buf);
	CHECK_ERRNO(orig_int(rt, ORIG_SET_THRESHOLD, 0), EINVAL);
	CHECK_ERRNO(orig_int(rt, ORIG_SET_THRESHOLD, -1), EINVAL);
	CHECK_ERRNO(orig_int(rt, ORIG_SET_THRESHOLD, RTMON_THRESHOLD_MAX + 1),
		    EINVAL);
	CHECK_OK(orig_int(rt, ORIG_SET_THRESHOLD, RTMON_THRESHOLD_MAX));
	CHECK_OK(orig_int(rt, ORIG_SET_THRESHOLD, 1));

	/* a group registered its way reaches the daemon over ours */
	g = kt_spawn_group(KT_BUSY);
	CHECK_OK(orig_add(rt, g, 7, 2));
	CHECK_ERRNO(orig_add(rt, g, 7, 2), EEXIST);
	CHECK(kt_nl_wait(nl, RTMON_NL_LONG_RUNNING, g, 5000, &m) == 1,
	      "no report for a group added with the original's ADD_PGID");
	CHECK(m.u.lr.reason == RTMON_REASON_THRESHOLD &&
	      m.u.lr.global_jobid == 7 && m.u.lr.worker_num == 2,
	      "reason %u job %d workers %d", m.u.lr.reason,
	      m.u.lr.global_jobid, m.u.lr.worker_num);
	CHECK_OK(kt_nl_send_ack(nl, g, 7, 41));
	CHECK(kt_nl_wait(nl, RTMON_NL_REGISTERED, g, 5000, &m) == 1);
	CHECK(m.u.reg.slot >= 0, "slot %d", m.u.reg.slot);

	/* its reader sees the group and its counts grow */
	slot = orig_find(t, g);
	REQUIRE(slot == m.u.reg.slot, "slot %d in the table, %d announced",
		slot, m.u.reg.slot);
	CHECK(t->count == 1);
	s = orig_read(t, slot);
	CHECK(s.global_jobid == 7 && s.worker_num == 2);
	kt_sleep_ms(400);
	before = orig_read(t, slot).cycles;
	CHECK(before > 0, "no cycles charged");

	/* its reset: every slot, whatever the argument */
	CHECK_OK(orig_ioctl(ipc, ORIG_RESET_COUNTERS, &zero));
	CHECK(orig_read(t, slot).cycles < before, "reset did not zero");
	CHECK_OK(orig_ioctl(ipc, ORIG_RESET_COUNTERS, NULL));
	CHECK(orig_read(t, slot).pgid == g, "reset released the slot");

	/* REQUEST_PROFILE takes any pid of the group */
	member = join_group(g);
	kt_nl_drain(nl);
	CHECK_OK(orig_int(rt, ORIG_REQUEST_PROFILE, member));
	CHECK(kt_nl_wait(nl, RTMON_NL_LONG_RUNNING, g, 2000, &m) == 1 &&
	      m.u.lr.reason == RTMON_REASON_REQUEST, "no report on request");
	CHECK_ERRNO(orig_int(rt, ORIG_REQUEST_PROFILE, getpid()), ENOENT);
	dead = dead_pid();
	CHECK_ERRNO(orig_int(rt, ORIG_REQUEST_PROFILE, dead), ESRCH);
	CHECK_ERRNO(orig_int(rt, ORIG_REQUEST_PROFILE, 0), EINVAL);
	CHECK_ERRNO(orig_int(rt, ORIG_REQUEST_PROFILE, -3), EINVAL);

	/* ADD_PGID is validated as ours is */
	CHECK_ERRNO(orig_add(rt, -g, 1, 1), EINVAL);
	CHECK_ERRNO(orig_add(rt, 0, 1, 1), EINVAL);
	CHECK_ERRNO(orig_add(rt, getpgrp(), -1, 1), EINVAL);
	CHECK_ERRNO(orig_add(rt, getpgrp(), 1, 0), EINVAL);
	CHECK_ERRNO(orig_add(rt, getpgrp(), 1, RTMON_WORKERS_MAX + 1), EINVAL);
	CHECK_ERRNO(orig_add(rt, dead, 1, 1), ESRCH);
	CHECK_ERRNO(orig_ioctl(rt, ORIG_ADD_PGID, NULL), EFAULT);
	CHECK_ERRNO(orig_ioctl(rt, ORIG_REMOVE_PGID, (void *)16), EFAULT);

	/* its SET_DATA_LOADER_PID: validated, then refused; nothing changes */
	CHECK_ERRNO(orig_int(rt, ORIG_SET_DATA_LOADER, -1), EINVAL);
	CHECK_ERRNO(orig_int(rt, ORIG_SET_DATA_LOADER, dead), ESRCH);
	CHECK_ERRNO(orig_int(rt, ORIG_SET_DATA_LOADER, getpid()), EOPNOTSUPP);
	CHECK_ERRNO(orig_int(rt, ORIG_SET_DATA_LOADER, 0), EOPNOTSUPP);
	CHECK_OK(kt_read_param("runtime_monitor", "data_loader_pid", buf,
			       sizeof(buf)));
	CHECK(!strcmp(buf, "0"), "data_loader_pid=%s", buf);
	CHECK_OK(kt_read_param("runtime_monitor", "registered_pid", buf,
			       sizeof(buf)));
	CHECK(atoi(buf) == getpid(), "registered_pid=%s", buf);

	/* other sizes, numbers and devices are unknown */
	CHECK_ERRNO(orig_ioctl(rt, _IOW('k', 0, int), &zero), ENOTTY);
	CHECK_ERRNO(orig_ioctl(rt, _IOW('k', 5, int), &zero), ENOTTY);
	CHECK_ERRNO(orig_ioctl(rt, ORIG_RESET_COUNTERS, NULL), ENOTTY);
	CHECK_ERRNO(orig_ioctl(ipc, ORIG_ADD_PGID, &zero), ENOTTY);
	CHECK_ERRNO(orig_ioctl(ipc, _IO('I', 1), NULL), ENOTTY);
	CHECK_ERRNO(orig_ioctl(ipc, _IOW('I', 0, int), &zero), ENOTTY);

	/* REMOVE_PGID: the daemon hears it; unknown groups are ENOENT */
	CHECK_ERRNO(orig_int(rt, ORIG_REMOVE_PGID, 0), EINVAL);
	CHECK_ERRNO(orig_int(rt, ORIG_REMOVE_PGID, -g), EINVAL);
	CHECK_OK(orig_int(rt, ORIG_REMOVE_PGID, g));
	CHECK(kt_nl_wait(nl, RTMON_NL_RELEASED, g, 2000, &m) == 1 &&
	      m.u.rel.reason == RTMON_RELEASE_REMOVED && m.u.rel.slot == slot,
	      "no RELEASED for the removed group");
	CHECK(t->count == 0 && orig_find(t, g) < 0);
	CHECK_ERRNO(orig_int(rt, ORIG_REMOVE_PGID, g), ENOENT);
	CHECK_ERRNO(orig_int(rt, ORIG_REMOVE_PGID, dead), ENOENT);

	kill(member, SIGKILL);
	waitpid(member, NULL, 0);
	kt_kill_group(g);
	munmap(t, ORIG_MAP_LEN);
	close(nl);
	close(ipc);
	close(rt);
}

/*
 * A child that stays in our group until it is told to call setsid(), as the
 * original's workers start: its launcher registers the child's pid at once.
 * Closing *go without a word makes it exit instead.
 */
static pid_t child_before_setsid(int *go)
{
	int p[2];
	pid_t pid;

	REQUIRE(pipe(p) == 0, "pipe: %s", strerror(errno));
	pid = fork();
	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		volatile unsigned long spin = 0;
		int r = p[0];
		char x;

		close(p[1]);
		kt_child_detach(r);
		if (read(r, &x, 1) != 1)
			_exit(0);
		setsid();
		for (;;)
			spin++;
	}
	close(p[0]);
	*go = p[1];
	return pid;
}

/*
 * Its ADD_PGID may name a process before that process leads a group: the
 * group is watched from then on, and reported, acknowledged and counted once
 * it exists.  Ours still wants the group.
 */
void test_orig_before_setsid(void)
{
	int rt, nl, go, go_quitter;
	struct kt_nlmsg m;
	pid_t c, quitter;

	kt_reload(NULL, "scan_interval_ms=100");
	rt = open_rw("/dev/runtime_monitor");
	nl = kt_nl_loader();
	CHECK_OK(orig_int(rt, ORIG_SET_THRESHOLD, 1));

	c = child_before_setsid(&go);
	CHECK_ERRNO(kt_add(rt, c, 5, 1), ESRCH);
	CHECK_OK(orig_add(rt, c, 5, 1));
	CHECK_ERRNO(orig_add(rt, c, 5, 1), EEXIST);

	/* past the threshold, still no group: nothing to report or count */
	CHECK(kt_nl_wait(nl, RTMON_NL_LONG_RUNNING, c, 1500, &m) == 0,
	      "reported before it leads a group");
	CHECK_ERRNO(kt_request(rt, c), ESRCH);
	CHECK_OK(kt_nl_send_ack(nl, c, 5, 90));
	CHECK(kt_nl_wait(nl, RTMON_NL_REGISTERED, c, 2000, &m) == 1 &&
	      m.u.reg.slot == -ESRCH, "acknowledged before it leads a group");

	/* its setsid(): the group it now leads is the one registered */
	REQUIRE(write(go, "x", 1) == 1, "write: %s", strerror(errno));
	CHECK(kt_nl_wait(nl, RTMON_NL_LONG_RUNNING, c, 5000, &m) == 1 &&
	      m.u.lr.reason == RTMON_REASON_THRESHOLD &&
	      m.u.lr.global_jobid == 5, "no report once it leads its group");
	CHECK_OK(kt_nl_send_ack(nl, c, 5, 91));
	CHECK(kt_nl_wait(nl, RTMON_NL_REGISTERED, c, 2000, &m) == 1 &&
	      m.u.reg.slot >= 0, "slot %d", m.u.reg.slot);

	/* one that exits before its setsid() is forgotten without a word */
	quitter = child_before_setsid(&go_quitter);
	CHECK_OK(orig_add(rt, quitter, 6, 1));
	close(go_quitter);
	REQUIRE(waitpid(quitter, NULL, 0) == quitter, "waitpid: %s",
		strerror(errno));
	CHECK(kt_nl_wait(nl, RTMON_NL_RELEASED, quitter, 1000, &m) == 0,
	      "RELEASED for a group never reported");
	CHECK_ERRNO(orig_int(rt, ORIG_REMOVE_PGID, quitter), ENOENT);

	close(go);
	kt_kill_group(c);
	close(nl);
	close(rt);
}

struct orig_priv {
	int rt, ipc;
	pid_t g;
	int who;	/* 0: uid 65534; 1: root without the capabilities; 2: 65534 + CAP_PERFMON */
};

static int orig_priv_child(void *arg)
{
	struct orig_priv *c = arg;
	int allowed;
	void *p;

	if (c->who == 0) {
		kt_become_nobody();
	} else if (c->who == 1) {
		kt_drop_cap(CAP_SYS_ADMIN);
		kt_drop_cap(CAP_PERFMON);
	} else {
		kt_nobody_with_cap(CAP_PERFMON);
	}
	allowed = c->who == 2 ? 0 : EPERM;

	CHECK_ERRNO(orig_add(c->rt, c->g, 1, 1), allowed ? EPERM : EEXIST);
	CHECK_ERRNO(orig_int(c->rt, ORIG_SET_THRESHOLD, 10), allowed);
	CHECK_ERRNO(orig_int(c->rt, ORIG_REQUEST_PROFILE, c->g),
		    allowed ? EPERM : ENOTCONN);
	CHECK_ERRNO(orig_int(c->rt, ORIG_REMOVE_PGID, getpid()),
		    allowed ? EPERM : ENOENT);
	/* naming the data loader stays with CAP_SYS_ADMIN */
	CHECK_ERRNO(orig_int(c->rt, ORIG_SET_DATA_LOADER, getpid()), EPERM);
	CHECK_ERRNO(orig_ioctl(c->ipc, ORIG_RESET_COUNTERS, NULL), allowed);
	CHECK_ERRNO(orig_ioctl(c->rt, _IOW('k', 9, int), &allowed), ENOTTY);

	/* only who may reset the counters may map the table writable */
	p = mmap(NULL, ORIG_MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		 c->ipc, 0);
	CHECK((p == MAP_FAILED ? errno : 0) == (allowed ? EACCES : 0),
	      "writable mmap: %s",
	      p == MAP_FAILED ? strerror(errno) : "mapped");
	if (p != MAP_FAILED)
		munmap(p, ORIG_MAP_LEN);
	p = mmap(NULL, ORIG_MAP_LEN, PROT_READ, MAP_SHARED, c->ipc, 0);
	CHECK(p != MAP_FAILED, "read-only mmap: %s", strerror(errno));
	if (p != MAP_FAILED) {
		CHECK_ERRNO(mprotect(p, ORIG_MAP_LEN, PROT_READ | PROT_WRITE),
			    allowed ? EACCES : 0);
		munmap(p, ORIG_MAP_LEN);
	}
	return 0;
}

/* Its commands need what ours need: uid 65534 is refused, as ours refuse. */
void test_orig_unprivileged(void)
{
	struct orig_priv c;
	char buf[32];

	kt_reload(NULL, NULL);
	c.rt = open_rw("/dev/runtime_monitor");
	c.ipc = open_rw("/dev/IPC_monitor");
	c.g = kt_spawn_group(KT_IDLE);
	CHECK_OK(orig_add(c.rt, c.g, 3, 1));
	for (c.who = 0; c.who < 3; c.who++)
		CHECK(kt_in_child(orig_priv_child, &c) == 0, "as %d", c.who);
	CHECK_OK(kt_read_param("runtime_monitor", "threshold", buf, sizeof(buf)));
	CHECK(!strcmp(buf, "10"), "threshold=%s (CAP_PERFMON sets it)", buf);
	/* the group is still registered */
	CHECK_ERRNO(orig_add(c.rt, c.g, 3, 1), EEXIST);
	kt_kill_group(c.g);
	close(c.ipc);
	close(c.rt);
}

/*
 * Writes through a writable mapping change what readers see until the
 * kernel writes there again, and nothing the kernel does: it keeps its own
 * copy of the table.
 */
void test_orig_mmap_write(void)
{
	int rt, ipc, rofd, nl, s1, s2, s3;
	const struct ipc_shared *ro;
	struct orig_shared *t;
	struct pgid_slot_user u;
	pid_t g1, g2, g3;
	uint64_t c2;

	kt_reload(NULL, NULL);
	rt = open_rw("/dev/runtime_monitor");
	ipc = open_rw("/dev/IPC_monitor");
	nl = kt_nl_loader();
	t = orig_map(ipc);
	rofd = kt_open_ipc();
	ro = kt_map(rofd);	/* another reader, read-only */

	g1 = kt_spawn_group(KT_BUSY);
	g2 = kt_spawn_group(KT_BUSY);
	g3 = kt_spawn_group(KT_IDLE);
	CHECK_OK(orig_add(rt, g1, 1, 1));
	CHECK_OK(orig_add(rt, g2, 2, 1));
	CHECK_OK(orig_add(rt, g3, 3, 1));
	s1 = kt_claim(rt, nl, g1, 1);
	REQUIRE(s1 >= 0, "claim: %s", strerror(-s1));

	/* fake a full table, a bogus count and a torn, foreign slot */
	t->count = 4096;
	memset(t->active_mask, 0xff, sizeof(t->active_mask));
	t->slots[s1].seq = 1;
	t->slots[s1].pgid = 4242;
	t->slots[s1].cycles = ~0ULL - 5;
	t->slots[s1].instructions = 77;
	t->slots[4095].pgid = 999;

	/* the kernel still sees one slot taken: the next claim gets one */
	s2 = kt_claim(rt, nl, g2, 2);
	CHECK(s2 >= 0 && s2 != s1, "claim with a faked full table: %d", s2);

	/* within a fold everything the kernel owns reads true again */
	kt_sleep_ms(500);
	CHECK(kt_count(ro) == 2, "count %d", kt_count(ro));
	CHECK(kt_mask_popcount(ro) == 2 && kt_mask_test(ro, s1) &&
	      kt_mask_test(ro, s2), "mask has %d bits", kt_mask_popcount(ro));
	kt_read_slot(ro, s1, &u);
	CHECK(u.pgid == g1 && u.global_jobid == 1 && u.cycles < ~0ULL - 5 &&
	      u.instructions != 77, "slot %d: pgid %d cycles %llu", s1,
	      u.pgid, (unsigned long long)u.cycles);
	CHECK(orig_read(t, s1).pgid == g1);

	/* a count of 1 written there must not stop counting at a release */
	t->count = 1;
	CHECK_OK(orig_int(rt, ORIG_REMOVE_PGID, g1));
	kt_sleep_ms(300);
	kt_read_slot(ro, s2, &u);
	c2 = u.cycles;
	kt_sleep_ms(500);
	kt_read_slot(ro, s2, &u);
	CHECK(u.pgid == g2 && u.cycles > c2,
	      "slot %d stopped counting: %llu then %llu", s2,
	      (unsigned long long)c2, (unsigned long long)u.cycles);
	CHECK(kt_count(ro) == 1, "count %d", kt_count(ro));

	/* a free slot written by hand is the kernel's again once claimed */
	t->slots[s1].pgid = 5555;
	t->slots[s1].cycles = 5555;
	s3 = kt_claim(rt, nl, g3, 3);
	CHECK(s3 == s1, "claimed slot %d, the lowest free is %d", s3, s1);
	CHECK(s3 >= 0, "claim: %s", strerror(-s3));
	if (s3 >= 0) {
		kt_read_slot(ro, s3, &u);
		CHECK(u.pgid == g3 && u.cycles == 0, "slot %d pgid %d", s3,
		      u.pgid);
	}

	munmap(t, ORIG_MAP_LEN);
	kt_unmap(ro);
	close(rofd);
	kt_kill_group(g1);
	kt_kill_group(g2);
	kt_kill_group(g3);
	close(nl);
	close(ipc);
	close(rt);
	/* and both modules still go */
	kt_reload(NULL, NULL);
}
