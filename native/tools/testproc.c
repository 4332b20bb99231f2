// SPDX-License-Identifier: GPL-2.0-only
/*
 * A process group to test affinity against: the leader and each child run extra threads, and one
 * child may move to a process group of its own (still a descendant of the leader).
 * Prints "ready <pgid>" once everything runs, then waits until standard input closes.
 * With --busy the leader's main thread instead computes about a tenth of the time (so its
 * group's counters grow) and runs until it is killed, whatever its standard input.
 *
 *   smtcheck-testproc [--threads N] [--children N] [--detached-child] [--busy]
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *idle_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void start_threads(int n)
{
	for (int i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, idle_thread, NULL) != 0) {
			perror("pthread_create");
			exit(1);
		}
	}
}

/* Returns the child's pid; the child signals readiness on `ready_fd` and idles until killed. */
static pid_t start_child(int threads, int own_group, int ready_fd)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid > 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	if (own_group && setpgid(0, 0) != 0) {
		perror("setpgid");
		_exit(1);
	}
	start_threads(threads);
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Spins 2 ms, sleeps 18 ms, for ever. */
static void busy_forever(void)
{
	volatile unsigned long x = 1;

	for (;;) {
		double until = now_seconds() + 0.002;

		while (now_seconds() < until)
			for (int i = 0; i < 1000; i++)
				x = x * 6364136223846793005UL + 1442695040888963407UL;
		usleep(18000);
	}
}

int main(int argc, char **argv)
{
	int threads = 2, children = 1, detached = 0, busy = 0;
	int ready[2];
	pid_t pids[64];
	int n = 0;
	char buf[64];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--children") && i + 1 < argc)
			children = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--detached-child"))
			detached = 1;
		else if (!strcmp(argv[i], "--busy"))
			busy = 1;
		else {
			fprintf(stderr, "usage: %s [--threads N] [--children N] [--detached-child] [--busy]\n",
				argv[0]);
			return 2;
		}
	}
	if (children < 0 || children > 32 || threads < 0 || threads > 64) {
		fprintf(stderr, "out of range\n");
		return 2;
	}
	if (setpgid(0, 0) != 0) {
		perror("setpgid");
		return 1;
	}
	if (pipe(ready) != 0) {
		perror("pipe");
		return 1;
	}
	start_threads(threads);
	for (int i = 0; i < children; i++)
		pids[n++] = start_child(threads, 0, ready[1]);
	if (detached)
		pids[n++] = start_child(threads, 1, ready[1]);
	for (int i = 0; i < n; i++)
		if (read(ready[0], buf, 1) != 1)
			return 1;
	printf("ready %d\n", (int)getpgid(0));
	fflush(stdout);
	if (busy)
		busy_forever();
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	for (int i = 0; i < n; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
	return 0;
}
