// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware mode: what a real PMU shows.  These tests run where
 * IPC_monitor counts with perf counters (an arm64 guest under QEMU's icount,
 * which counts instructions exactly) and skip, saying so, in software mode.
 * hw_unavailable is the opposite: it runs where there is no instruction
 * counter.  Nothing here depends on real cycles or on contention between
 * siblings, which an emulator does not have.
 */
#define _GNU_SOURCE
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"
#include "spin_loop.h"

/* iterations of the loop below: 3 instructions each, 90 M in all */
#define LOOP_ITERS	30000000ULL
#define LOOP_INSNS	3
#define WORKER_WAIT_MS	60000
/* the table lags the CPUs by up to a tick and a fold (100 ms each) */
#define SETTLE_MS	400

/*
 * A process group whose leader runs the loop when told to, on a given CPU,
 * and blocks in between, so that what it is charged between two commands
 * is the loop and a few system calls.
 */
struct worker {
	pid_t pid;
	int cmd;	/* write: struct job */
	int done;	/* read: one byte per finished job */
};

struct job {
	int cpu;	/* -1: any */
	uint64_t iters;
};

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu < 0) {
		for (int c = 0; c < CPU_SETSIZE; c++)
			CPU_SET(c, &set);
	} else {
		CPU_SET(cpu, &set);
	}
	sched_setaffinity(0, sizeof(set), &set);
}

static void worker_start(struct worker *w)
{
	int cmd[2], done[2];
	struct job j;

	REQUIRE(pipe(cmd) == 0 && pipe(done) == 0, "pipe: %s", strerror(errno));
	w->pid = fork();
	REQUIRE(w->pid >= 0, "fork: %s", strerror(errno));
	if (w->pid == 0) {
		setpgid(0, 0);
		/* hold no device or socket of the test: they pin modules */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != cmd[0] && fd != done[1])
				close(fd);
		while (read(cmd[0], &j, sizeof(j)) == sizeof(j)) {
			pin_to(j.cpu);
			spin_loop(j.iters);
			if (write(done[1], "x", 1) != 1)
				break;
		}
		_exit(0);
	}
	setpgid(w->pid, w->pid);
	close(cmd[0]);
	close(done[1]);
	w->cmd = cmd[1];
	w->done = done[0];
}

static void worker_run(struct worker *w, int cpu, uint64_t iters)
{
	struct job j = { .cpu = cpu, .iters = iters };

	REQUIRE(write(w->cmd, &j, sizeof(j)) == sizeof(j), "job: %s",
		strerror(errno));
}

static void worker_wait(struct worker *w)
{
	struct pollfd p = { .fd = w->done, .events = POLLIN };
	char c;

	REQUIRE(poll(&p, 1, WORKER_WAIT_MS) == 1 && read(w->done, &c, 1) == 1,
		"the loop did not finish in %d ms", WORKER_WAIT_MS);
}

struct hw {
	int ipc, rt, nl;
	const struct ipc_shared *t;
};

/* Fresh modules in hardware mode, or skip. */
static void hw_setup(struct hw *h)
{
	struct ipcmon_info info;

	kt_reload(NULL, NULL);
	h->ipc = kt_open_ipc();
	REQUIRE(ioctl(h->ipc, IPCMON_IOC_GET_INFO, &info) == 0, "GET_INFO");
	if (info.counter_mode != IPCMON_MODE_HARDWARE)
		kt_skip("counter_mode is software: no hardware counters here");
	h->rt = kt_open_rt();
	h->t = kt_map(h->ipc);
	h->nl = kt_nl_loader();
}

static int hw_claim(struct hw *h, struct worker *w, int jobid)
{
	int slot;

	worker_start(w);
	REQUIRE(kt_add(h->rt, w->pid, jobid, 1) == 0, "ADD_PGID %d", w->pid);
	slot = kt_claim(h->rt, h->nl, w->pid, jobid);
	REQUIRE(slot >= 0, "claim %d: %s", w->pid, strerror(-slot));
	return slot;
}

static struct pgid_slot_user snap(const struct hw *h, int slot)
{
	struct pgid_slot_user u;

	kt_read_slot(h->t, slot, &u);
	return u;
}

/* The slot is charged LOOP_INSNS * iters instructions, within 1 %. */
static void check_exact(const char *what, uint64_t got, uint64_t iters)
{
	uint64_t want = LOOP_INSNS * iters;
	uint64_t diff = got > want ? got - want : want - got;

	kt_log("%s: %llu instructions charged for %llu (%.4f per iteration)",
	       what, (unsigned long long)got, (unsigned long long)want,
	       (double)got / iters);
	CHECK(diff * 100 <= want, "%s: %llu instructions, want %llu +- 1 %%",
	      what, (unsigned long long)got, (unsigned long long)want);
}

/* Run the worker's loop and return what its slot was charged. */
static struct pgid_slot_user charged(struct hw *h, struct worker *w, int slot,
				     int cpu, uint64_t iters)
{
	struct pgid_slot_user a, b;

	kt_sleep_ms(SETTLE_MS);
	a = snap(h, slot);
	worker_run(w, cpu, iters);
	worker_wait(w);
	kt_sleep_ms(SETTLE_MS);
	b = snap(h, slot);
	b.cycles -= a.cycles;
	b.instructions -= a.instructions;
	return b;
}

static int cpu_info(int ipc, int cpu, struct ipcmon_cpu_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->cpu = cpu;
	return ioctl(ipc, IPCMON_IOC_GET_CPU_INFO, ci) ? -errno : 0;
}

static void check_cpu_hardware(int ipc, int cpu)
{
	struct ipcmon_cpu_info ci;

	CHECK_OK(cpu_info(ipc, cpu, &ci));
	CHECK(ci.mode == IPCMON_CPU_HARDWARE && !(ci.flags & IPCMON_CPU_HW_ERROR),
	      "cpu %d: mode %u flags %#x", cpu, ci.mode, ci.flags);
}

void test_hw_loop_exact(void)
{
	struct pgid_slot_user d;
	struct worker w;
	struct hw h;
	int slot;

	hw_setup(&h);
	slot = hw_claim(&h, &w, 1);
	d = charged(&h, &w, slot, -1, LOOP_ITERS);
	check_exact("loop", d.instructions, LOOP_ITERS);
	CHECK(d.cycles > 0, "no cycles for the loop");
	/* three times as long: three times as many */
	d = charged(&h, &w, slot, -1, 3 * LOOP_ITERS);
	check_exact("loop x3", d.instructions, 3 * LOOP_ITERS);
}

void test_hw_cycles_grow(void)
{
	struct pgid_slot_user prev, u;
	int slot, i, grew = 0;
	pid_t busy;
	struct hw h;

	hw_setup(&h);
	busy = kt_spawn_group(KT_BUSY);
	CHECK_OK(kt_add(h.rt, busy, 1, 1));
	slot = kt_claim(h.rt, h.nl, busy, 1);
	REQUIRE(slot >= 0, "claim: %s", strerror(-slot));
	kt_sleep_ms(SETTLE_MS);
	prev = snap(&h, slot);
	/* the tick charges the running task every 100 ms */
	for (i = 0; i < 20; i++) {
		kt_sleep_ms(100);
		u = snap(&h, slot);
		CHECK(u.cycles > 0 && u.instructions > 0,
		      "sample %d: cycles %llu instructions %llu", i,
		      (unsigned long long)u.cycles,
		      (unsigned long long)u.instructions);
		CHECK(u.cycles >= prev.cycles && u.instructions >= prev.instructions,
		      "sample %d went back: cycles %llu -> %llu", i,
		      (unsigned long long)prev.cycles,
		      (unsigned long long)u.cycles);
		grew += u.cycles > prev.cycles;
		prev = u;
	}
	kt_log("cycles %llu, instructions %llu; grew in %d of 20 samples",
	       (unsigned long long)u.cycles, (unsigned long long)u.instructions,
	       grew);
	CHECK(grew >= 10, "cycles grew in only %d of 20 samples 100 ms apart",
	      grew);
	kt_kill_group(busy);
}

static bool siblings(int a, int b)
{
	char path[96], buf[64];
	FILE *f;
	int lo, hi;
	bool yes = false;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", a);
	f = fopen(path, "r");
	if (f && fgets(buf, sizeof(buf), f)) {
		if (sscanf(buf, "%d-%d", &lo, &hi) == 2)
			yes = b >= lo && b <= hi;
		else if (sscanf(buf, "%d,%d", &lo, &hi) == 2)
			yes = b == lo || b == hi;
	}
	if (f)
		fclose(f);
	return yes;
}

/*
 * One group on each hardware thread of core 0, each charged its own loop and
 * nothing of the other's.  They run one after the other: under QEMU's icount
 * every vCPU's instruction counter counts the whole machine's instructions,
 * so two loops at the same time would each be charged both.
 */
void test_hw_siblings_apart(void)
{
	struct pgid_slot_user a0, b0, a1, b1;
	struct worker a, b;
	int sa, sb;
	struct hw h;

	hw_setup(&h);
	REQUIRE(siblings(0, 1), "cpu0 and cpu1 are not SMT siblings here");
	sa = hw_claim(&h, &a, 1);
	sb = hw_claim(&h, &b, 2);

	kt_sleep_ms(SETTLE_MS);
	a0 = snap(&h, sa);
	b0 = snap(&h, sb);
	worker_run(&a, 0, LOOP_ITERS);
	worker_wait(&a);
	kt_sleep_ms(SETTLE_MS);
	a1 = snap(&h, sa);
	b1 = snap(&h, sb);
	check_exact("cpu0", a1.instructions - a0.instructions, LOOP_ITERS);
	CHECK(b1.instructions == b0.instructions && b1.cycles == b0.cycles,
	      "the group on cpu1 was charged %llu instructions of cpu0's loop",
	      (unsigned long long)(b1.instructions - b0.instructions));

	worker_run(&b, 1, 2 * LOOP_ITERS);
	worker_wait(&b);
	kt_sleep_ms(SETTLE_MS);
	a0 = snap(&h, sa);
	b0 = snap(&h, sb);
	check_exact("cpu1", b0.instructions - b1.instructions, 2 * LOOP_ITERS);
	CHECK(a0.instructions == a1.instructions && a0.cycles == a1.cycles,
	      "the group on cpu0 was charged %llu instructions of cpu1's loop",
	      (unsigned long long)(a0.instructions - a1.instructions));
}

void test_hw_hotplug(void)
{
	struct ipcmon_cpu_info ci;
	struct pgid_slot_user d;
	struct worker w;
	int slot;
	struct hw h;

	hw_setup(&h);
	slot = hw_claim(&h, &w, 1);
	d = charged(&h, &w, slot, 3, LOOP_ITERS);
	check_exact("cpu3", d.instructions, LOOP_ITERS);

	REQUIRE(kt_cpu_online(3, 0) == 0, "offline cpu3");
	CHECK_OK(cpu_info(h.ipc, 3, &ci));
	CHECK(ci.mode == IPCMON_CPU_NONE, "offline cpu3: mode %u", ci.mode);
	d = charged(&h, &w, slot, 2, LOOP_ITERS);
	check_exact("cpu2, cpu3 offline", d.instructions, LOOP_ITERS);

	REQUIRE(kt_cpu_online(3, 1) == 0, "online cpu3");
	check_cpu_hardware(h.ipc, 3);
	d = charged(&h, &w, slot, 3, LOOP_ITERS);
	check_exact("cpu3 back online", d.instructions, LOOP_ITERS);
}

static int perf_open(uint64_t config, int cpu)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(a),
		.config = config,
		.pinned = 1,
	};

	return (int)syscall(SYS_perf_event_open, &a, -1, cpu, -1, 0);
}

/* A pinned event that could not get a counter reads nothing (EOF). */
static bool perf_counting(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) == sizeof(v);
}

#define HOLDER_PER_CPU	12	/* more than a PMU has counters */
#define HOLDER_CPUS	4

struct holder {
	int fd[HOLDER_CPUS][HOLDER_PER_CPU];
	int counting, refused;
};

/* Pinned instruction counters on every CPU, as many as asked for. */
static void holder_open(struct holder *p)
{
	int cpu, i;

	memset(p, 0, sizeof(*p));
	for (cpu = 0; cpu < HOLDER_CPUS; cpu++)
		for (i = 0; i < HOLDER_PER_CPU; i++) {
			p->fd[cpu][i] = perf_open(PERF_COUNT_HW_INSTRUCTIONS, cpu);
			REQUIRE(p->fd[cpu][i] >= 0, "perf_event_open cpu %d: %s",
				cpu, strerror(errno));
		}
	kt_sleep_ms(100);
	for (cpu = 0; cpu < HOLDER_CPUS; cpu++)
		for (i = 0; i < HOLDER_PER_CPU; i++) {
			if (perf_counting(p->fd[cpu][i]))
				p->counting++;
			else
				p->refused++;
		}
	kt_log("holder: %d pinned counters counting, %d refused", p->counting,
	       p->refused);
}

static void holder_close(struct holder *p)
{
	for (int cpu = 0; cpu < HOLDER_CPUS; cpu++)
		for (int i = 0; i < HOLDER_PER_CPU; i++)
			close(p->fd[cpu][i]);
}

void test_hw_perf_holder(void)
{
	char mode[32] = "";
	struct pgid_slot_user d;
	struct holder p;
	struct worker w;
	int slot, cpu, r;
	struct hw h;

	REQUIRE(sysconf(_SC_NPROCESSORS_ONLN) >= HOLDER_CPUS, "need 4 CPUs");
	hw_setup(&h);

	/*
	 * The module first: its pinned counters were created first, so they
	 * keep their PMU counters; the holder is the one told (EOF on read).
	 */
	slot = hw_claim(&h, &w, 1);
	holder_open(&p);
	CHECK(p.counting > 0 && p.refused > 0,
	      "want some of the holder's counters counting and some refused");
	d = charged(&h, &w, slot, 0, LOOP_ITERS);
	check_exact("beside the holder", d.instructions, LOOP_ITERS);
	for (cpu = 0; cpu < HOLDER_CPUS; cpu++)
		check_cpu_hardware(h.ipc, cpu);
	holder_close(&p);

	/*
	 * The holder first, every counter taken: the module says so at load.
	 * auto falls back to software mode, hardware is refused.
	 */
	close(h.nl);
	kt_unmap(h.t);
	close(h.rt);
	close(h.ipc);
	kill(w.pid, SIGKILL);
	waitpid(w.pid, NULL, 0);
	CHECK_OK(kt_unload("runtime_monitor"));
	CHECK_OK(kt_unload("IPC_monitor"));
	holder_open(&p);
	r = kt_load("IPC_monitor", "counter_mode=hardware");
	CHECK(r == -ENODEV, "counter_mode=hardware with the PMU full: %s",
	      strerror(-r));
	if (r == 0)
		kt_unload("IPC_monitor");
	REQUIRE(kt_load("IPC_monitor", NULL) == 0, "load IPC_monitor");
	CHECK(kt_read_param("IPC_monitor", "counter_mode", mode, sizeof(mode)) >= 0 &&
	      !strncmp(mode, "software", 8), "counter_mode %s with the PMU full",
	      mode);
	holder_close(&p);
	CHECK_OK(kt_unload("IPC_monitor"));
	/* and once the holder is gone, hardware mode again */
	REQUIRE(kt_load("IPC_monitor", NULL) == 0, "load IPC_monitor");
	CHECK(kt_read_param("IPC_monitor", "counter_mode", mode, sizeof(mode)) >= 0 &&
	      !strncmp(mode, "hardware", 8), "counter_mode %s after the holder",
	      mode);
}

void test_hw_unavailable(void)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_HW_INSTRUCTIONS,
	};
	struct ipcmon_info info;
	char mode[32] = "";
	int fd, r, ipc;

	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (fd >= 0) {
		close(fd);
		kt_skip("this machine counts instructions");
	}
	kt_log("perf_event_open(instructions): %s", strerror(errno));

	kt_unload("runtime_monitor");
	kt_unload("IPC_monitor");
	r = kt_load("IPC_monitor", "counter_mode=hardware");
	CHECK(r == -ENODEV, "counter_mode=hardware: %s", strerror(-r));
	CHECK(!kt_loaded("IPC_monitor"), "loaded without counters");

	REQUIRE(kt_load("IPC_monitor", NULL) == 0, "load IPC_monitor (auto)");
	CHECK(kt_read_param("IPC_monitor", "counter_mode", mode, sizeof(mode)) >= 0 &&
	      !strncmp(mode, "software", 8), "counter_mode %s", mode);
	ipc = kt_open_ipc();
	CHECK(ioctl(ipc, IPCMON_IOC_GET_INFO, &info) == 0 &&
	      info.counter_mode == IPCMON_MODE_SOFTWARE, "GET_INFO mode %u",
	      info.counter_mode);
	close(ipc);
}
