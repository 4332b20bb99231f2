// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU counting: what GET_CPU_INFO reports, a group busy on every CPU
 * counted right, the flush tick only on CPUs that run something and only
 * while a group is counted, the tick in hardirq (PREEMPT_RT too), and the
 * context-switch benchmark.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"

#define NCPUS_MAX	64

static int cpu_info(int ipc, unsigned int cpu, struct ipcmon_cpu_info *out)
{
	memset(out, 0xa5, sizeof(*out));
	out->cpu = cpu;
	out->reserved = 0;
	return ioctl(ipc, IPCMON_IOC_GET_CPU_INFO, out) ? -errno : 0;
}

static uint64_t ticks_of(int ipc, unsigned int cpu)
{
	struct ipcmon_cpu_info ci;
	int r = cpu_info(ipc, cpu, &ci);

	REQUIRE(r == 0, "GET_CPU_INFO %u: %s", cpu, strerror(-r));
	return ci.flush_ticks;
}

static void pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	REQUIRE(sched_setaffinity(0, sizeof(set), &set) == 0,
		"pin to cpu%d: %s", cpu, strerror(errno));
}

static pid_t busy_on(int cpu)
{
	pid_t g = kt_spawn_group(KT_BUSY);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	REQUIRE(sched_setaffinity(g, sizeof(set), &set) == 0,
		"pin %d: %s", g, strerror(errno));
	return g;
}

/*
 * Which CPUs have one of this module's hrtimers pending, from
 * /proc/timer_list (names are printed there with their module).
 */
static unsigned long pending_ticks_mask(void)
{
	unsigned long mask = 0;
	char line[512];
	int cpu = -1;
	FILE *f = fopen("/proc/timer_list", "r");

	REQUIRE(f, "/proc/timer_list: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Tick Device", 11))
			break;
		if (sscanf(line, "cpu: %d", &cpu) == 1)
			continue;
		if (cpu >= 0 && cpu < 64 && strstr(line, "[IPC_monitor]"))
			mask |= 1UL << cpu;
	}
	fclose(f);
	return mask;
}

/* how many of n samples, 100 ms apart, saw a tick pending on cpu */
static int pending_samples(int cpu, int n)
{
	int i, seen = 0;

	for (i = 0; i < n; i++) {
		if (pending_ticks_mask() & (1UL << cpu))
			seen++;
		kt_sleep_ms(100);
	}
	return seen;
}

static void open_counting(int *ipc, int *rt, const struct ipc_shared **t,
			  int *nl)
{
	kt_setup_loader(ipc, rt, t, nl);
}

static void close_counting(int ipc, int rt, const struct ipc_shared *t,
			   int nl)
{
	close(nl);
	close(rt);
	kt_unmap(t);
	close(ipc);
}

/* ---- GET_CPU_INFO ----------------------------------------------------- */

void test_cpu_info(void)
{
	struct ipcmon_cpu_info ci;
	struct ipcmon_info info;
	int ipc, n, cpu, r;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);

	kt_reload(NULL, NULL);
	ipc = kt_open_ipc();
	REQUIRE(ioctl(ipc, IPCMON_IOC_GET_INFO, &info) == 0, "GET_INFO");
	REQUIRE(ncpu >= 4, "need 4 CPUs, have %ld", ncpu);

	for (cpu = 0; cpu < ncpu; cpu++) {
		r = cpu_info(ipc, cpu, &ci);
		REQUIRE(r == 0, "cpu %d: %s", cpu, strerror(-r));
		CHECK(ci.cpu == (unsigned int)cpu && ci.reserved == 0);
		CHECK(ci.flags & IPCMON_CPU_ONLINE, "cpu %d flags %#x", cpu,
		      ci.flags);
		CHECK(!(ci.flags & IPCMON_CPU_HW_ERROR));
		if (info.counter_mode == IPCMON_MODE_SOFTWARE)
			CHECK(ci.mode == IPCMON_CPU_SOFTWARE, "cpu %d mode %u",
			      cpu, ci.mode);
		else
			CHECK(ci.mode == IPCMON_CPU_HARDWARE, "cpu %d mode %u",
			      cpu, ci.mode);
	}
	CHECK_OK(cpu_info(ipc, 0, &ci));
	kt_log("%ld CPUs; cpu0: mode %u, flags %#x", ncpu, ci.mode, ci.flags);
	/* past the last CPU id, and bad arguments */
	for (n = ncpu; cpu_info(ipc, n, &ci) == 0 && n < 8192; n++)
		CHECK(ci.mode == IPCMON_CPU_NONE && ci.flags == 0,
		      "cpu %d not present: mode %u flags %#x", n, ci.mode,
		      ci.flags);
	CHECK_ERRNO(cpu_info(ipc, n, &ci), EINVAL);
	CHECK_ERRNO(cpu_info(ipc, 0xffffffffu, &ci), EINVAL);
	ci = (struct ipcmon_cpu_info){ .cpu = 0, .reserved = 1 };
	CHECK_ERRNO(ioctl(ipc, IPCMON_IOC_GET_CPU_INFO, &ci), EINVAL);
	CHECK_ERRNO(ioctl(ipc, IPCMON_IOC_GET_CPU_INFO, (void *)8), EFAULT);

	/* an offline CPU is not counted, and is again once back */
	REQUIRE(kt_cpu_online(2, 0) == 0, "offline cpu2");
	CHECK_OK(cpu_info(ipc, 2, &ci));
	CHECK(ci.mode == IPCMON_CPU_NONE && !(ci.flags & IPCMON_CPU_ONLINE),
	      "offline cpu2: mode %u flags %#x", ci.mode, ci.flags);
	REQUIRE(kt_cpu_online(2, 1) == 0, "online cpu2");
	CHECK_OK(cpu_info(ipc, 2, &ci));
	CHECK(ci.mode != IPCMON_CPU_NONE && (ci.flags & IPCMON_CPU_ONLINE),
	      "back online cpu2: mode %u flags %#x", ci.mode, ci.flags);

	/* an open file is enough, as for GET_INFO */
	if (fork() == 0) {
		kt_become_nobody();
		_exit(cpu_info(ipc, 0, &ci) == 0 ? 0 : 1);
	}
	CHECK(wait(&r) > 0 && WIFEXITED(r) && WEXITSTATUS(r) == 0,
	      "GET_CPU_INFO as nobody on an open file");
	close(ipc);
}

/* ---- the flush tick --------------------------------------------------- */

/*
 * CPU 1 runs a counted busy group, CPU 0 this test, CPUs 2 and 3 nothing:
 * the tick runs on CPU 1 only.  With no group claimed it runs nowhere,
 * and it stops once the last group is gone.
 */
void test_flush_idle(void)
{
	const struct ipc_shared *t;
	uint64_t a1, a3, b1, b3;
	int ipc, rt, nl, s, seen;
	pid_t g, other;

	pin_self(0);
	open_counting(&ipc, &rt, &t, &nl);

	/* nothing claimed: no tick anywhere, even on a busy CPU */
	other = busy_on(1);
	kt_sleep_ms(300);
	seen = pending_samples(1, 5);
	CHECK(seen == 0, "tick pending on busy cpu1 with no group: %d of 5",
	      seen);
	CHECK(ticks_of(ipc, 1) == 0 && ticks_of(ipc, 3) == 0,
	      "ticks with no group: cpu1 %llu cpu3 %llu",
	      (unsigned long long)ticks_of(ipc, 1),
	      (unsigned long long)ticks_of(ipc, 3));
	kt_kill_group(other);

	g = busy_on(1);
	CHECK_OK(kt_add(rt, g, 1, 1));
	s = kt_claim(rt, nl, g, 1);
	REQUIRE(s >= 0, "claim %d", s);
	kt_sleep_ms(300);

	a1 = ticks_of(ipc, 1);
	a3 = ticks_of(ipc, 3);
	seen = pending_samples(3, 15);
	b1 = ticks_of(ipc, 1);
	b3 = ticks_of(ipc, 3);
	kt_log("1.5 s: cpu1 (busy) %llu ticks, cpu3 (idle) %llu ticks, "
	       "pending on cpu3 in %d of 15 samples",
	       (unsigned long long)(b1 - a1), (unsigned long long)(b3 - a3),
	       seen);
	/*
	 * A kernel thread that runs briefly on cpu3 holds the tick pending
	 * until cpu3 goes idle again (PREEMPT_RT has several per CPU); it
	 * never lives to expire there.
	 */
	CHECK(seen <= 5, "tick pending on idle cpu3 in %d of 15 samples",
	      seen);
	CHECK(b3 - a3 <= 1, "idle cpu3 ticked %llu times",
	      (unsigned long long)(b3 - a3));
	/* 10 Hz on the busy CPU; emulation may lose some */
	CHECK(b1 - a1 >= 5, "busy cpu1 ticked only %llu times",
	      (unsigned long long)(b1 - a1));
	CHECK(pending_samples(1, 3) >= 2, "no tick pending on busy cpu1");

	/* the last group gone: the tick stops on the busy CPU too */
	CHECK_OK(kt_remove(rt, g));
	other = busy_on(1);
	kt_sleep_ms(400);
	a1 = ticks_of(ipc, 1);
	kt_sleep_ms(1000);
	b1 = ticks_of(ipc, 1);
	CHECK(b1 == a1, "cpu1 ticked %llu times with no group left",
	      (unsigned long long)(b1 - a1));
	CHECK(pending_ticks_mask() == 0, "ticks pending: %#lx",
	      pending_ticks_mask());
	kt_kill_group(other);
	kt_kill_group(g);
	close_counting(ipc, rt, t, nl);
}

static long softirq_count(const char *name, int cpu)
{
	char line[1024], *p, *end;
	long v = -1;
	int i;
	FILE *f = fopen("/proc/softirqs", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = line;
		while (*p == ' ')
			p++;
		if (strncmp(p, name, strlen(name)) || p[strlen(name)] != ':')
			continue;
		p += strlen(name) + 1;
		for (i = 0; i <= cpu; i++) {
			v = strtol(p, &end, 10);
			p = end;
		}
	}
	fclose(f);
	return v;
}

/*
 * The tick expires in hardirq.  On PREEMPT_RT an hrtimer not marked hard
 * expires in the HRTIMER softirq, preemptible, where it can interleave
 * with the probe on the same CPU.  On other kernels this only checks that
 * the tick runs.
 */
void test_flush_hardirq(void)
{
	const struct ipc_shared *t;
	int ipc, rt, nl, s;
	uint64_t a, b;
	long s0, s1;
	pid_t g;

	pin_self(0);
	open_counting(&ipc, &rt, &t, &nl);
	g = busy_on(1);
	CHECK_OK(kt_add(rt, g, 1, 1));
	s = kt_claim(rt, nl, g, 1);
	REQUIRE(s >= 0, "claim %d", s);
	kt_sleep_ms(300);
	s0 = softirq_count("HRTIMER", 1);
	kt_sleep_ms(1500);
	s1 = softirq_count("HRTIMER", 1);
	REQUIRE(s0 >= 0 && s1 >= 0, "/proc/softirqs has no HRTIMER row");
	kt_log("1.5 s on busy cpu1: %ld HRTIMER softirqs", s1 - s0);
	CHECK(s1 - s0 <= 2, "%ld HRTIMER softirqs on cpu1: the tick is soft",
	      s1 - s0);
	/* and the tick did run, in hardirq */
	a = ticks_of(ipc, 1);
	kt_sleep_ms(1000);
	b = ticks_of(ipc, 1);
	CHECK(b - a >= 4, "only %llu ticks in 1 s", (unsigned long long)(b - a));
	kt_kill_group(g);
	close_counting(ipc, rt, t, nl);
}

/* ---- a group on every CPU ---------------------------------------------- */

static void *spin(void *arg)
{
	volatile unsigned long n = 0;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET((int)(long)arg, &set);
	sched_setaffinity(0, sizeof(set), &set);
	for (;;)
		n++;
	return NULL;
}

/* A new group whose leader has one spinning thread pinned to each CPU. */
static pid_t spawn_spread(int ncpu)
{
	int pfd[2];
	pid_t pid;
	char x;

	REQUIRE(pipe(pfd) == 0, "pipe");
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		pthread_t th;
		int i, w = pfd[1];

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (w > 3)
			close_range(3, w - 1, 0);
		close_range(w + 1, ~0U, 0);
		setpgid(0, 0);
		for (i = 1; i < ncpu; i++)
			if (pthread_create(&th, NULL, spin, (void *)(long)i))
				_exit(1);
		if (write(w, "x", 1) != 1)
			_exit(1);
		close(w);
		spin((void *)0L);
	}
	close(pfd[1]);
	setpgid(pid, pid);
	REQUIRE(read(pfd[0], &x, 1) == 1, "group leader %d died", pid);
	close(pfd[0]);
	return pid;
}

/* on-CPU nanoseconds of every thread of pid, from schedstat */
static uint64_t run_ns(pid_t pid)
{
	char path[320];
	struct dirent *e;
	uint64_t sum = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	REQUIRE(d, "%s: %s", path, strerror(errno));
	while ((e = readdir(d))) {
		unsigned long long ns;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", pid,
			 e->d_name);
		f = fopen(path, "r");
		if (f && fscanf(f, "%llu", &ns) == 1)
			sum += ns;
		if (f)
			fclose(f);
	}
	closedir(d);
	return sum;
}

void test_counters_all_cpus(void)
{
	struct pgid_slot_user u0, u1;
	const struct ipc_shared *t;
	int ipc, rt, nl, s, ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t r0, r1, w0, w1, slot_ns, sched_ns, wall_ns;
	pid_t g;

	open_counting(&ipc, &rt, &t, &nl);
	REQUIRE(ncpu >= 2 && ncpu <= NCPUS_MAX, "%d CPUs", ncpu);
	g = spawn_spread(ncpu);
	CHECK_OK(kt_add(rt, g, 3, ncpu));
	s = kt_claim(rt, nl, g, 3);
	REQUIRE(s >= 0, "claim %d", s);
	/*
	 * Read both ends with the group stopped: its threads were charged
	 * when they were switched out, and a fold (100 ms) has passed, so
	 * the table does not lag.
	 */
	kill(-g, SIGSTOP);
	kt_sleep_ms(400);
	kt_read_slot(t, s, &u0);
	r0 = run_ns(g);
	w0 = kt_now_ms();
	kill(-g, SIGCONT);
	kt_sleep_ms(3000);
	kill(-g, SIGSTOP);
	w1 = kt_now_ms();
	kt_sleep_ms(400);
	kt_read_slot(t, s, &u1);
	r1 = run_ns(g);
	slot_ns = u1.cycles - u0.cycles;
	sched_ns = r1 - r0;
	wall_ns = (w1 - w0) * 1000000ULL;
	kt_log("%d threads on %d CPUs, %llu ms: slot %llu ns, scheduler %llu ns",
	       ncpu, ncpu, (unsigned long long)(w1 - w0),
	       (unsigned long long)slot_ns, (unsigned long long)sched_ns);
	/* every thread ran most of the time */
	CHECK(sched_ns > (uint64_t)ncpu * wall_ns / 2,
	      "threads ran only %llu ns", (unsigned long long)sched_ns);
	/* nothing lost, nothing counted twice: what the scheduler saw */
	CHECK(slot_ns > sched_ns * 95 / 100 && slot_ns < sched_ns * 105 / 100,
	      "slot %llu ns vs scheduler %llu ns",
	      (unsigned long long)slot_ns, (unsigned long long)sched_ns);
	/* and no more than the CPUs had */
	CHECK(slot_ns < (uint64_t)ncpu * wall_ns * 105 / 100,
	      "slot %llu ns > %d CPUs x %llu ms",
	      (unsigned long long)slot_ns, ncpu,
	      (unsigned long long)(w1 - w0));
	kt_kill_group(g);
	close_counting(ipc, rt, t, nl);
}

/* ---- benchmark: cost per context switch --------------------------------- */

/*
 * Pipe ping-pong: pairs of processes, both ends of a pair pinned to the
 * same CPU, one pair per CPU, so each round trip is two context switches
 * on that CPU.  Returns nanoseconds per switch (median-free: one run).
 */
static double pingpong(int ncpu, int rounds, pid_t pgid)
{
	pid_t kids[2 * NCPUS_MAX];
	int i, n = 0, status;
	uint64_t t0, t1;
	int go[2];

	REQUIRE(pipe(go) == 0, "pipe");
	for (i = 0; i < ncpu; i++) {
		int ab[2], ba[2], side;

		REQUIRE(pipe(ab) == 0 && pipe(ba) == 0, "pipe");
		for (side = 0; side < 2; side++) {
			pid_t p = fork();

			REQUIRE(p >= 0, "fork");
			if (p == 0) {
				char c = 0, g;
				int k;

				prctl(PR_SET_PDEATHSIG, SIGKILL);
				if (pgid)
					setpgid(0, pgid);
				pin_self(i);
				close(go[1]);
				if (read(go[0], &g, 1) != 0)
					_exit(1);
				for (k = 0; k < rounds; k++) {
					if (side == 0) {
						if (write(ab[1], &c, 1) != 1 ||
						    read(ba[0], &c, 1) != 1)
							_exit(1);
					} else {
						if (read(ab[0], &c, 1) != 1 ||
						    write(ba[1], &c, 1) != 1)
							_exit(1);
					}
				}
				_exit(0);
			}
			if (pgid)
				setpgid(p, pgid);
			kids[n++] = p;
		}
		close(ab[0]);
		close(ab[1]);
		close(ba[0]);
		close(ba[1]);
	}
	close(go[0]);
	kt_sleep_ms(100);
	t0 = kt_now_ms();
	close(go[1]);	/* everyone starts */
	for (i = 0; i < n; i++) {
		REQUIRE(waitpid(kids[i], &status, 0) == kids[i], "waitpid");
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "ping-pong child failed");
	}
	t1 = kt_now_ms();
	/* wall time per switch on one CPU: 2 switches per round trip */
	return (t1 - t0) * 1e6 / (2.0 * rounds);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define BENCH_RUNS	5
#define BENCH_ROUNDS	3000

/*
 * Not a check of speed: prints ns per context switch for the module
 * unloaded, loaded with nothing claimed, and with a claimed group whose
 * processes run on every CPU, in rounds so the three share the machine's
 * noise.  BENCHMARKS.md says what the figures mean.
 */
void test_bench_switch(void)
{
	double off[BENCH_RUNS], idle[BENCH_RUNS], grp[BENCH_RUNS];
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), r, ipc, rt, nl, s;
	const struct ipc_shared *t;
	struct pgid_slot_user u;
	pid_t leader;

	REQUIRE(ncpu >= 1 && ncpu <= NCPUS_MAX, "%d CPUs", ncpu);
	for (r = 0; r < BENCH_RUNS; r++) {
		if (kt_loaded("runtime_monitor"))
			CHECK_OK(kt_unload("runtime_monitor"));
		if (kt_loaded("IPC_monitor"))
			CHECK_OK(kt_unload("IPC_monitor"));
		off[r] = pingpong(ncpu, BENCH_ROUNDS, 0);

		kt_reload(NULL, NULL);
		idle[r] = pingpong(ncpu, BENCH_ROUNDS, 0);

		ipc = kt_open_ipc();
		rt = kt_open_rt();
		t = kt_map(ipc);
		nl = kt_nl_open(getpid(), 0);
		REQUIRE(nl >= 0, "netlink");
		CHECK_OK(kt_set_loader(rt, getpid()));
		leader = kt_spawn_group(KT_IDLE);
		CHECK_OK(kt_add(rt, leader, 9, 2 * ncpu));
		s = kt_claim(rt, nl, leader, 9);
		REQUIRE(s >= 0, "claim %d", s);
		grp[r] = pingpong(ncpu, BENCH_ROUNDS, leader);
		kt_sleep_ms(250);	/* one fold */
		kt_read_slot(t, s, &u);
		CHECK(u.cycles > 0, "the ping-pong group was not charged");
		kt_kill_group(leader);
		close_counting(ipc, rt, t, nl);
		kt_log("run %d: ns per switch: off %.0f, loaded %.0f, group %.0f",
		       r, off[r], idle[r], grp[r]);
	}
	kt_log("BENCH %d CPUs, %d round trips per pair, median of %d: "
	       "off %.0f ns, loaded idle %.0f ns, group on all CPUs %.0f ns",
	       ncpu, BENCH_ROUNDS, BENCH_RUNS, median(off, BENCH_RUNS),
	       median(idle, BENCH_RUNS), median(grp, BENCH_RUNS));
	kt_reload(NULL, NULL);
}
