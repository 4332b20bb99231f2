// SPDX-License-Identifier: GPL-2.0-only
/*
 * A process group of known work, the oracle of the daemon's counters: it
 * leads a group of its own, prints its pgid, and on SIGUSR1 runs a loop of
 * exactly 3 instructions per iteration, counting itself with perf_event_open
 * (cycles and instructions, user and kernel, as the daemon's counters count).
 * It prints what it counted and then sleeps until it is killed, so that what
 * its group is charged afterwards stays put.
 *
 *   counted-loop ITERATIONS
 * Output: "group PGID", then "counted ITERATIONS instructions N cycles N", or
 * "counted ITERATIONS uncounted: WHY" where the PMU has no such counters.
 *
 *   counted-loop --until-killed
 * A long-running job instead: the loop starts at once, in chunks, and runs
 * until the process is killed.  At each SIGUSR1 it prints what it counted so
 * far, "counted ITERATIONS instructions N cycles N cpu_ns N" (cpu_ns: its own
 * CPU time over the same span as its counts), and goes on.
 */
#define _GNU_SOURCE
#include <linux/perf_event.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "spin_loop.h"

static int counter(uint64_t config, int leader)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_HARDWARE;
	a.size = sizeof(a);
	a.config = config;
	a.disabled = leader < 0;
	a.exclude_hv = 1;
	return syscall(SYS_perf_event_open, &a, 0, -1, leader, 0);
}

static uint64_t cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/*
 * Chunks of 10^6 iterations (3 ms at 10^9 instructions a second): the check
 * for SIGUSR1 between them costs nothing next to a chunk.  Prints what the
 * counters (or, with cyc < 0, none) read at each SIGUSR1; never returns.
 */
static void until_killed(const sigset_t *usr1, int cyc, int ins, uint64_t t0)
{
	const struct timespec now = { 0, 0 };
	uint64_t iters = 0, cycles, instructions;

	for (;;) {
		spin_loop(1000000);
		iters += 1000000;
		if (sigtimedwait(usr1, NULL, &now) < 0)
			continue;
		if (cyc < 0) {
			printf("counted %llu uncounted\n", (unsigned long long)iters);
		} else if (read(cyc, &cycles, 8) != 8 || read(ins, &instructions, 8) != 8) {
			perror("read (perf counters)");
			exit(1);
		} else {
			printf("counted %llu instructions %llu cycles %llu cpu_ns %llu\n",
			       (unsigned long long)iters, (unsigned long long)instructions,
			       (unsigned long long)cycles, (unsigned long long)(cpu_ns() - t0));
		}
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	uint64_t iters = 0, cycles = 0, instructions = 0, t0;
	int forever = argc == 2 && strcmp(argv[1], "--until-killed") == 0;
	sigset_t usr1;
	int cyc, ins, sig;

	if (argc != 2 || (!forever && (iters = strtoull(argv[1], NULL, 10)) == 0)) {
		fprintf(stderr, "usage: %s ITERATIONS | --until-killed\n", argv[0]);
		return 2;
	}
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	if (setpgid(0, 0) != 0) {
		perror("setpgid");
		return 1;
	}
	printf("group %d\n", getpgrp());
	fflush(stdout);
	if (!forever)
		sigwait(&usr1, &sig);

	/* one group: both start and stop together, around the loop only */
	cyc = counter(PERF_COUNT_HW_CPU_CYCLES, -1);
	ins = cyc < 0 ? -1 : counter(PERF_COUNT_HW_INSTRUCTIONS, cyc);
	if (ins < 0) {
		int why = errno;

		if (forever) {
			fprintf(stderr, "perf_event_open: %s\n", strerror(why));
			until_killed(&usr1, -1, -1, 0);
		}
		spin_loop(iters);
		printf("counted %llu uncounted: perf_event_open: %s\n", (unsigned long long)iters,
		       strerror(why));
		fflush(stdout);
		for (;;)
			pause();
	}
	t0 = cpu_ns();
	ioctl(cyc, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
	if (forever)
		until_killed(&usr1, cyc, ins, t0);
	spin_loop(iters);
	ioctl(cyc, PERF_EVENT_IOC_DISABLE, PERF_IOC_FLAG_GROUP);
	if (read(cyc, &cycles, 8) != 8 || read(ins, &instructions, 8) != 8) {
		perror("read (perf counters)");
		return 1;
	}
	printf("counted %llu instructions %llu cycles %llu\n", (unsigned long long)iters,
	       (unsigned long long)instructions, (unsigned long long)cycles);
	fflush(stdout);
	for (;;)
		pause();
}
