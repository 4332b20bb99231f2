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

int main(int argc, char **argv)
{
	uint64_t iters, cycles = 0, instructions = 0;
	sigset_t usr1;
	int cyc, ins, sig;

	if (argc != 2 || (iters = strtoull(argv[1], NULL, 10)) == 0) {
		fprintf(stderr, "usage: %s ITERATIONS\n", argv[0]);
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
	sigwait(&usr1, &sig);

	/* one group: both start and stop together, around the loop only */
	cyc = counter(PERF_COUNT_HW_CPU_CYCLES, -1);
	ins = cyc < 0 ? -1 : counter(PERF_COUNT_HW_INSTRUCTIONS, cyc);
	if (ins < 0) {
		int why = errno;

		spin_loop(iters);
		printf("counted %llu uncounted: perf_event_open: %s\n", (unsigned long long)iters,
		       strerror(why));
		fflush(stdout);
		for (;;)
			pause();
	}
	ioctl(cyc, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
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
