// SPDX-License-Identifier: GPL-2.0
/*
 * Test runner: ktest [-m MODDIR] [-r ROUNDS] [-t FACTOR] [-x SKIP]... [-l] [NAME...]
 * Runs every test (or the named ones) in its own child with a timeout.
 * -t multiplies every time limit (a debug kernel runs several times slower).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"

#define T(name, secs) void test_##name(void);
#include "tests.def"
#undef T

static const struct ktest tests[] = {
#define T(name, secs) { #name, test_##name, secs },
#include "tests.def"
#undef T
};

#define NTESTS (sizeof(tests) / sizeof(tests[0]))

/*
 * Kill and reap everything a test left behind.  We are a subreaper, so
 * every orphaned descendant becomes our child: kill our children until
 * none is left.
 */
static void reap_all(void)
{
	pid_t me = getpid();

	for (;;) {
		DIR *d = opendir("/proc");
		struct dirent *e;
		int any = 0;

		while (d && (e = readdir(d))) {
			char path[64], buf[512], *p;
			pid_t pid = atoi(e->d_name), ppid;
			FILE *f;

			if (pid <= 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/stat", pid);
			f = fopen(path, "r");
			if (!f)
				continue;
			p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
			fclose(f);
			if (p && sscanf(p + 2, "%*c %d", &ppid) == 1 &&
			    ppid == me) {
				kill(pid, SIGKILL);
				any = 1;
			}
		}
		if (d)
			closedir(d);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			any = 1;
		if (!any)
			break;
		usleep(10000);
	}
}

/* every test's time limit is multiplied by this (-t): debug kernels are slower */
static unsigned int timeout_factor = 1;

/* a test's exit status when it skipped (the child prints why) */
#define KT_EXIT_SKIP 77
static const char *current_test;	/* in the test's child */

void kt_skip(const char *fmt, ...)
{
	va_list ap;

	if (kt_failures)
		kt_abort();
	printf("KTEST SKIP %s (", current_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(")\n");
	fflush(stdout);
	_exit(KT_EXIT_SKIP);
}

/* 1 passed, 0 failed, -1 skipped */

static int run_one(const struct ktest *t)
{
	uint64_t start = kt_now_ms();
	int status, ok;
	char why[64];
	pid_t pid;

	printf("KTEST RUN %s\n", t->name);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("KTEST FAIL %s (fork: %s)\n", t->name, strerror(errno));
		return 0;
	}
	if (pid == 0) {
		setpgid(0, 0);
		alarm(t->timeout_s * timeout_factor);
		kt_failures = 0;
		current_test = t->name;
		t->fn();
		fflush(stdout);
		_exit(kt_failures ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	reap_all();

	if (WIFEXITED(status) && WEXITSTATUS(status) == KT_EXIT_SKIP) {
		return -1;
	}
	ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "%s",
			 WTERMSIG(status) == SIGALRM ? "timeout" :
			 strsignal(WTERMSIG(status)));
	else
		snprintf(why, sizeof(why), "exit %d", WEXITSTATUS(status));
	if (ok)
		printf("KTEST PASS %s (%.1fs)\n", t->name,
		       (kt_now_ms() - start) / 1000.0);
	else
		printf("KTEST FAIL %s (%s)\n", t->name, why);
	fflush(stdout);
	return ok;
}

int main(int argc, char **argv)
{
	int opt, passed = 0, failed = 0, skipped = 0, rounds = 1, round, nexcl = 0, r;
	const char *excl[16];
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "m:lr:t:x:")) != -1) {
		switch (opt) {
		case 'x':
			if (nexcl < 16)
				excl[nexcl++] = optarg;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 't':
			timeout_factor = (unsigned int)atoi(optarg);
			if (timeout_factor < 1)
				timeout_factor = 1;
			break;
		case 'm':
			kt_moddir = optarg;
			break;
		case 'l':
			for (i = 0; i < NTESTS; i++)
				printf("%s\n", tests[i].name);
			return 0;
		default:
			fprintf(stderr,
				"usage: %s [-m moddir] [-r rounds] [-t timeout factor] [-x skip]... [-l] [test...]\n",
				argv[0]);
			return 2;
		}
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	for (round = 0; round < rounds; round++) {
		for (i = 0; i < NTESTS; i++) {
			int j, want = optind >= argc;

			for (j = optind; j < argc; j++)
				if (!strcmp(argv[j], tests[i].name))
					want = 1;
			for (j = 0; j < nexcl; j++)
				if (!strcmp(excl[j], tests[i].name))
					want = 0;
			if (!want)
				continue;
			r = run_one(&tests[i]);
			if (r > 0)
				passed++;
			else if (r < 0)
				skipped++;
			else
				failed++;
		}
	}
	printf("KTEST DONE %d passed, %d failed, %d skipped\n", passed, failed,
	       skipped);
	return failed ? 1 : 0;
}
