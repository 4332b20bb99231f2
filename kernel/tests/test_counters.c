// SPDX-License-Identifier: GPL-2.0
/* Counting: busy groups grow, idle ones stay flat, reset, torn reads. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"

static int counter_mode(int ipc)
{
	struct ipcmon_info info;

	REQUIRE(ioctl(ipc, IPCMON_IOC_GET_INFO, &info) == 0, "GET_INFO");
	return info.counter_mode;
}

static struct pgid_slot_user snap(const struct ipc_shared *t, int slot)
{
	struct pgid_slot_user u;

	kt_read_slot(t, slot, &u);
	return u;
}

void test_counters(void)
{
	struct pgid_slot_user b0, b1, i0, i1;
	const struct ipc_shared *t;
	int ipc, rt, nl, sb, si, mode;
	pid_t busy, idle;

	kt_reload(NULL, NULL);
	ipc = kt_open_ipc();
	rt = kt_open_rt();
	t = kt_map(ipc);
	mode = counter_mode(ipc);
	nl = kt_nl_loader();

	busy = kt_spawn_group(KT_BUSY);
	idle = kt_spawn_group(KT_IDLE);
	kt_sleep_ms(200);	/* let idle reach pause() */
	CHECK_OK(kt_add(rt, busy, 1, 1));
	CHECK_OK(kt_add(rt, idle, 2, 1));
	sb = kt_claim(rt, nl, busy, 1);
	si = kt_claim(rt, nl, idle, 2);
	REQUIRE(sb >= 0 && si >= 0, "claims %d %d", sb, si);

	kt_sleep_ms(300);
	b0 = snap(t, sb);
	i0 = snap(t, si);
	kt_sleep_ms(1500);
	b1 = snap(t, sb);
	i1 = snap(t, si);

	kt_log("busy: cycles %llu -> %llu, instructions %llu -> %llu",
	       (unsigned long long)b0.cycles, (unsigned long long)b1.cycles,
	       (unsigned long long)b0.instructions,
	       (unsigned long long)b1.instructions);
	CHECK(b1.cycles > b0.cycles, "busy group not counted");
	if (mode == IPCMON_MODE_SOFTWARE) {
		/* on-CPU ns: a spinning task gets most of 1.5 s */
		CHECK(b1.cycles - b0.cycles >= 300000000ULL,
		      "busy got only %llu ns",
		      (unsigned long long)(b1.cycles - b0.cycles));
		/* the table lags by up to a tick and a fold (100 ms each) */
		CHECK(b1.cycles - b0.cycles <= 1750000000ULL,
		      "busy got %llu ns in 1.5 s",
		      (unsigned long long)(b1.cycles - b0.cycles));
		CHECK(b1.instructions == 0 && i1.instructions == 0);
	} else {
		CHECK(b1.instructions > b0.instructions);
	}
	CHECK(i1.cycles == i0.cycles && i1.instructions == i0.instructions,
	      "idle group moved: %llu -> %llu",
	      (unsigned long long)i0.cycles, (unsigned long long)i1.cycles);

	/* the idle one runs briefly when signalled, and is charged */
	kill(idle, SIGCONT);
	kill(idle, SIGWINCH);
	kt_sleep_ms(300);
	close(nl);
	close(rt);
	kt_unmap(t);
	close(ipc);
}

void test_reset(void)
{
	struct pgid_slot_user u;
	const struct ipc_shared *t;
	int ipc, rt, nl, s1, s2;
	pid_t a, b;

	kt_setup_loader(&ipc, &rt, &t, &nl);

	a = kt_spawn_group(KT_BUSY);
	b = kt_spawn_group(KT_BUSY);
	CHECK_OK(kt_add(rt, a, 5, 1));
	CHECK_OK(kt_add(rt, b, 6, 2));
	s1 = kt_claim(rt, nl, a, 5);
	s2 = kt_claim(rt, nl, b, 6);
	REQUIRE(s1 >= 0 && s2 >= 0, "claims");
	kt_sleep_ms(600);
	/* stop them so the counters stand still */
	kill(a, SIGSTOP);
	kill(b, SIGSTOP);
	kt_sleep_ms(300);
	CHECK(snap(t, s1).cycles > 0 && snap(t, s2).cycles > 0);

	CHECK_OK(kt_reset(ipc, s1));
	u = snap(t, s1);
	CHECK(u.cycles == 0 && u.instructions == 0, "slot reset: %llu",
	      (unsigned long long)u.cycles);
	CHECK(u.pgid == a && u.global_jobid == 5 && u.worker_num == 1,
	      "reset keeps identity");
	CHECK(snap(t, s2).cycles > 0, "other slot untouched");
	CHECK(kt_count(t) == 2);

	kill(a, SIGCONT);
	kt_sleep_ms(500);
	CHECK(snap(t, s1).cycles > 0, "counts again after reset");

	kill(a, SIGSTOP);
	kt_sleep_ms(200);
	CHECK_OK(kt_reset(ipc, IPCMON_RESET_ALL));
	CHECK(snap(t, s1).cycles == 0 && snap(t, s2).cycles == 0,
	      "reset all");
	CHECK(snap(t, s2).pgid == b);
	CHECK(kt_count(t) == 2 && kt_mask_popcount(t) == 2);
	kt_unmap(t);
}

/* ---- torn reads ------------------------------------------------------- */

#define NREADERS	3
#define NCHURN		6
#define NBUSY		2
#define TORN_SECS	4

/* Identity of a churned slot is a function of its pgid. */
static int job_of(pid_t p) { return (p * 7 + 3) % 1000003; }
static int workers_of(pid_t p) { return p % 5 + 1; }

struct torn_ctx {
	const struct ipc_shared *t;
	volatile int stop;
	int busy_slot[NBUSY];
	int software;
	unsigned long reads, retries, bad;
};

struct reader_stat {
	unsigned long reads, retries, bad;
};

/* Control: the same checks on plain reads that ignore seq (not a test). */
static void *raw_reader(void *arg)
{
	struct torn_ctx *c = arg;
	struct reader_stat *st = calloc(1, sizeof(*st));
	const volatile struct pgid_slot_user *s;
	int i;

	while (!c->stop) {
		for (i = 0; i < 64; i++) {
			s = &c->t->slots[i];
			int32_t pgid = s->pgid, job = s->global_jobid;
			int32_t w = s->worker_num;

			st->reads++;
			if (pgid ? job != job_of(pgid) || w != workers_of(pgid) :
				   job || w)
				st->bad++;
		}
	}
	return st;
}

static void *reader(void *arg)
{
	struct torn_ctx *c = arg;
	struct reader_stat *st = calloc(1, sizeof(*st));
	uint64_t last[NBUSY] = { 0 };
	struct pgid_slot_user u;
	int i, k;

	while (!c->stop) {
		for (i = 0; i < 64; i++) {
			st->retries += kt_read_slot(c->t, i, &u);
			st->reads++;
			bool ok;

			if (u.pgid == 0)
				ok = !u.global_jobid && !u.worker_num &&
				     !u.cycles && !u.instructions;
			else
				ok = u.global_jobid == job_of(u.pgid) &&
				     u.worker_num == workers_of(u.pgid);
			if (c->software && u.instructions)
				ok = false;
			for (k = 0; k < NBUSY; k++) {
				if (i != c->busy_slot[k])
					continue;
				if (u.cycles < last[k])
					ok = false;
				last[k] = u.cycles;
			}
			if (!ok && st->bad++ < 5)
				printf("  torn slot %d: seq %u pgid %d job %d "
				       "workers %d cycles %llu instr %llu\n",
				       i, u.seq, u.pgid, u.global_jobid,
				       u.worker_num,
				       (unsigned long long)u.cycles,
				       (unsigned long long)u.instructions);
		}
	}
	return st;
}

void test_seqlock_torn(void)
{
	pid_t churn[NCHURN], busy[NBUSY];
	struct torn_ctx c = { 0 };
	pthread_t th[NREADERS], raw;
	struct reader_stat *rawst;
	unsigned long cycles = 0;
	int ipc, rt, nl, i, k;
	uint64_t end;

	kt_reload(NULL, NULL);
	ipc = kt_open_ipc();
	rt = kt_open_rt();
	c.t = kt_map(ipc);
	c.software = counter_mode(ipc) == IPCMON_MODE_SOFTWARE;
	nl = kt_nl_loader();

	for (k = 0; k < NBUSY; k++) {
		busy[k] = kt_spawn_group(KT_BUSY);
		CHECK_OK(kt_add(rt, busy[k], job_of(busy[k]),
				workers_of(busy[k])));
		c.busy_slot[k] = kt_claim(rt, nl, busy[k], job_of(busy[k]));
		REQUIRE(c.busy_slot[k] >= 0, "busy claim");
	}
	for (k = 0; k < NCHURN; k++)
		churn[k] = kt_spawn_group(KT_IDLE);

	for (i = 0; i < NREADERS; i++)
		REQUIRE(pthread_create(&th[i], NULL, reader, &c) == 0,
			"pthread_create");
	REQUIRE(pthread_create(&raw, NULL, raw_reader, &c) == 0,
		"pthread_create");

	/* writers: busy groups are charged; churn claims and frees slots */
	end = kt_now_ms() + TORN_SECS * 1000;
	while (kt_now_ms() < end) {
		for (k = 0; k < NCHURN; k++) {
			pid_t p = churn[k];

			if (kt_add(rt, p, job_of(p), workers_of(p)))
				CHECK(0, "churn add");
			if (kt_claim(rt, nl, p, job_of(p)) < 0)
				CHECK(0, "churn claim");
		}
		for (k = 0; k < NCHURN; k++)
			CHECK_OK(kt_remove(rt, churn[k]));
		kt_nl_drain(nl);
		cycles++;
	}
	c.stop = 1;
	for (i = 0; i < NREADERS; i++) {
		struct reader_stat *st;

		pthread_join(th[i], (void **)&st);
		c.reads += st->reads;
		c.retries += st->retries;
		c.bad += st->bad;
		free(st);
	}
	pthread_join(raw, (void **)&rawst);
	kt_log("%lu churn cycles, %lu slot reads, %lu retries, %lu torn",
	       cycles, c.reads, c.retries, c.bad);
	kt_log("control without seq: %lu of %lu reads inconsistent",
	       rawst->bad, rawst->reads);
	free(rawst);
	CHECK(c.bad == 0, "%lu torn reads", c.bad);
	CHECK(c.reads > 10000, "too few reads");
	CHECK(cycles > 5, "too few writer cycles");
	kt_unmap(c.t);
}

/* Counting follows CPUs going away and coming back (CPU hotplug). */
void test_cpu_hotplug(void)
{
	struct pgid_slot_user u0, u1;
	const struct ipc_shared *t;
	int ipc, rt, nl, s;
	cpu_set_t set;
	pid_t g;

	REQUIRE(kt_cpu_online(2, 0) == 0, "offline cpu2");
	/* load with a CPU missing, then bring it up */
	kt_reload(NULL, NULL);
	REQUIRE(kt_cpu_online(2, 1) == 0, "online cpu2");
	ipc = kt_open_ipc();
	rt = kt_open_rt();
	t = kt_map(ipc);
	nl = kt_nl_loader();

	g = kt_spawn_group(KT_BUSY);
	CPU_ZERO(&set);
	CPU_SET(2, &set);
	CHECK_OK(sched_setaffinity(g, sizeof(set), &set));
	CHECK_OK(kt_add(rt, g, 1, 1));
	s = kt_claim(rt, nl, g, 1);
	REQUIRE(s >= 0, "claim %d", s);
	kt_sleep_ms(300);
	kt_read_slot(t, s, &u0);
	kt_sleep_ms(700);
	kt_read_slot(t, s, &u1);
	CHECK(u1.cycles - u0.cycles > 200000000ULL,
	      "on the re-plugged CPU: %llu ns in 0.7 s",
	      (unsigned long long)(u1.cycles - u0.cycles));

	/* take it away under load: the task moves, counting goes on */
	CHECK_OK(kt_cpu_online(2, 0));
	kt_sleep_ms(300);
	kt_read_slot(t, s, &u0);
	kt_sleep_ms(700);
	kt_read_slot(t, s, &u1);
	CHECK(u1.cycles - u0.cycles > 200000000ULL,
	      "after unplug: %llu ns in 0.7 s",
	      (unsigned long long)(u1.cycles - u0.cycles));
	CHECK_OK(kt_cpu_online(2, 1));
	kt_unmap(t);
	close(nl);
	close(rt);
	close(ipc);
	/* unload and load again with every CPU up */
	kt_reload(NULL, NULL);
}
