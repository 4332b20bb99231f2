// SPDX-License-Identifier: GPL-2.0-only
/*
 * smtcheck-runner: runs one workload command pinned to one CPU, measures it, and makes sure that
 * nothing the command started outlives it, so that the next measurement runs alone.
 *
 *   smtcheck-runner --cpu N --report FILE [--] CMD [ARGS...]
 *
 * The report is one JSON object, written to FILE.tmp and renamed to FILE. The exit code is the
 * command's (128 + signal when a signal killed it), 127 when it could not be executed, 128 +
 * signal when the runner itself was told to stop, and 2 on bad usage or when the runner cannot
 * set itself up (then there is no report).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NSEC_PER_SEC 1000000000LL

struct report {
	int exited, exit_code, signaled, signal;
	int64_t wall_ns, cpu_ns;
	int counted;
	uint64_t cycles, instructions;
	char counters[128];
	char exec_error[128];
	int interrupted;
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: smtcheck-runner --cpu N --report FILE [--] CMD [ARGS...]\n"
		"\n"
		"Runs CMD pinned to CPU N with standard input from /dev/null, kills whatever it leaves\n"
		"behind once it exits, and writes a JSON report of its exit, wall and CPU time and\n"
		"hardware counters to FILE. Exits with the command's exit code.\n");
}

/* FILE.tmp once it exists, so that a failure leaves no half-written report behind */
static const char *report_tmp;

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	if (report_tmp)
		unlink(report_tmp);

	fputs("smtcheck-runner: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static int open_counter(pid_t pid, uint64_t config, int group)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(attr),
		.config = config,
		.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING,
		.disabled = 1,
		.inherit = 1,
		.enable_on_exec = 1,
		/*
		 * User space only: that is what the workload itself executes, and it needs no
		 * privilege beyond perf_event_paranoid 2, the common default.
		 */
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};

	return syscall(SYS_perf_event_open, &attr, pid, -1, group, PERF_FLAG_FD_CLOEXEC);
}

/* A count scaled up for the time it was multiplexed off the hardware. */
static int read_counter(int fd, uint64_t *count)
{
	uint64_t v[3];

	if (read(fd, v, sizeof(v)) != sizeof(v))
		return -1;
	*count = v[2] && v[2] < v[1] ? (uint64_t)((double)v[0] * v[1] / v[2]) : v[0];
	return 0;
}

/*
 * SIGKILLs every descendant of `pid`, parents before their children so that none of them forks
 * again meanwhile. Returns how many it signalled. Children of a killed process come back to this
 * subreaper, so a caller that loops until it has no child left gets them all.
 */
static int kill_descendants(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char children[96];
		FILE *f;
		int child;

		if (e->d_name[0] == '.')
			continue;
		snprintf(children, sizeof(children), "/proc/%d/task/%.16s/children", (int)pid, e->d_name);
		f = fopen(children, "r");
		if (!f)
			continue;
		while (fscanf(f, "%d", &child) == 1) {
			if (kill(child, SIGKILL) == 0)
				n++;
			n += kill_descendants(child);
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

/*
 * SIGKILLs the other members of the runner's process group. Descendants are found by the walk
 * above; this catches a process of the session that joined the group from outside the tree.
 */
static void kill_group(void)
{
	pid_t self = getpid();
	struct dirent *e;
	DIR *d = opendir("/proc");

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[64], stat[512], *p;
		pid_t pid = atoi(e->d_name);
		int pgrp;
		size_t n;
		FILE *f;

		if (pid <= 0 || pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(stat, 1, sizeof(stat) - 1, f);
		fclose(f);
		stat[n] = '\0';
		/* the command name may hold anything, so the fields start after its last ')' */
		p = strrchr(stat, ')');
		if (p && sscanf(p + 1, " %*c %*d %d", &pgrp) == 1 && pgrp == self)
			kill(pid, SIGKILL);
	}
	closedir(d);
}

static void record_exit(struct report *r, int status, int64_t released)
{
	r->wall_ns = mono_ns() - released;
	if (WIFEXITED(status)) {
		r->exited = 1;
		r->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		r->signaled = 1;
		r->signal = WTERMSIG(status);
	}
}

/* Reaps whatever has exited; returns 0 once there is no child left. */
static int reap(pid_t cmd, int *cmd_done, struct report *r, int64_t released)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			return 0;
		if (pid == 0)
			return 1;
		if (pid == cmd && !*cmd_done) {
			*cmd_done = 1;
			record_exit(r, status, released);
		}
	}
}

static void kill_all(pid_t cmd, int *cmd_done, struct report *r, int64_t released)
{
	sigset_t chld;
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		kill_descendants(getpid());
		kill_group();
		if (!reap(cmd, cmd_done, r, released))
			return;
		sigtimedwait(&chld, NULL, &tick);
	}
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static int write_report(int fd, const char *tmp, const char *path, const struct report *r)
{
	FILE *f = fdopen(fd, "w");

	if (!f)
		return -1;
	fputs("{\"exit_code\": ", f);
	if (r->exited)
		fprintf(f, "%d", r->exit_code);
	else
		fputs("null", f);
	fputs(", \"signal\": ", f);
	if (r->signaled)
		fprintf(f, "%d", r->signal);
	else
		fputs("null", f);
	fprintf(f, ", \"wall_ns\": %" PRId64 ", \"cpu_ns\": %" PRId64, r->wall_ns, r->cpu_ns);
	if (r->counted)
		fprintf(f, ", \"cycles\": %" PRIu64 ", \"instructions\": %" PRIu64, r->cycles,
			r->instructions);
	else
		fputs(", \"cycles\": null, \"instructions\": null", f);
	fputs(", \"counters\": ", f);
	json_string(f, r->counters);
	fputs(", \"exec_error\": ", f);
	if (r->exec_error[0])
		json_string(f, r->exec_error);
	else
		fputs("null", f);
	fprintf(f, ", \"interrupted\": %s}\n", r->interrupted ? "true" : "false");
	if (ferror(f)) {
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

int main(int argc, char **argv)
{
	struct report r = { 0 };
	const char *report = NULL;
	char tmp[4096];
	char **cmd_argv = NULL;
	int cpu = -1, report_fd, devnull, go[2], err[2], fd_cycles, fd_insns, cmd_done = 0;
	int exec_errno, stop_signal = 0, code;
	pid_t parent = getppid(), runner = getpid(), cmd;
	sigset_t stops, waited, old;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	struct rusage ru;
	int64_t released;
	cpu_set_t set;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--cpu") || !strcmp(a, "--report")) {
			if (i + 1 >= argc)
				fail("%s wants a value (see --help)", a);
			if (!strcmp(a, "--report")) {
				report = argv[++i];
			} else {
				char *end;
				long v;

				errno = 0;
				v = strtol(argv[++i], &end, 10);
				if (end == argv[i] || *end || errno || v < 0 || v >= CPU_SETSIZE)
					fail("--cpu wants a CPU number, not '%s'", argv[i]);
				cpu = v;
			}
		} else if (!strcmp(a, "--")) {
			cmd_argv = argv + i + 1;
			break;
		} else if (a[0] == '-') {
			fail("unknown option '%s' (see --help)", a);
		} else {
			cmd_argv = argv + i;
			break;
		}
	}
	if (cpu < 0)
		fail("--cpu is required (see --help)");
	if (!report || !*report)
		fail("--report is required (see --help)");
	if (!cmd_argv || !cmd_argv[0])
		fail("no command given (see --help)");
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", report) >= (int)sizeof(tmp))
		fail("report path too long");

	/*
	 * The signals that stop the runner are taken synchronously in the wait loop below, so that
	 * one arriving at any point still leads to a killed command and a report.
	 */
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGHUP);
	waited = stops;
	sigaddset(&waited, SIGCHLD);
	sigprocmask(SIG_BLOCK, &waited, &old);
	/* an inherited SIG_IGN would have the kernel reap the children we must wait for */
	sigaction(SIGCHLD, &dfl, NULL);

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		kill(getpid(), SIGTERM);
	/* the command inherits the group; the runner can then be found and killed as one group */
	if (getpgrp() != getpid() && setpgid(0, 0) != 0)
		fail("setpgid: %s", strerror(errno));
	/* orphans of the command come back to the runner instead of escaping to init */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		fail("prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		fail("sched_setaffinity(cpu %d): %s", cpu, strerror(errno));
	report_fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (report_fd < 0)
		fail("open %s: %s", tmp, strerror(errno));
	report_tmp = tmp;
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0)
		fail("open /dev/null: %s", strerror(errno));
	if (pipe2(go, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		fail("pipe2: %s", strerror(errno));

	/* told to stop before anything started: there is nothing to kill, only to report */
	stop_signal = sigtimedwait(&stops, NULL, &(struct timespec){ 0, 0 });
	if (stop_signal > 0) {
		r.interrupted = 1;
		strcpy(r.counters, "command not started");
		if (write_report(report_fd, tmp, report, &r) != 0)
			fail("writing %s: %s", report, strerror(errno));
		return 128 + stop_signal;
	}
	stop_signal = 0;

	cmd = fork();
	if (cmd < 0)
		fail("fork: %s", strerror(errno));
	if (cmd == 0) {
		char c;

		close(go[1]);
		close(err[0]);
		/* should the runner itself be SIGKILLed, the command goes too */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != runner || read(go[0], &c, 1) != 1)
			_exit(127);
		if (dup2(devnull, STDIN_FILENO) < 0)
			_exit(127);
		sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(cmd_argv[0], cmd_argv);
		exec_errno = errno;
		if (write(err[1], &exec_errno, sizeof(exec_errno)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(err[1]);
	close(devnull);

	/* counting starts at the command's exec and follows everything it starts */
	fd_cycles = open_counter(cmd, PERF_COUNT_HW_CPU_CYCLES, -1);
	fd_insns = fd_cycles < 0 ? -1 : open_counter(cmd, PERF_COUNT_HW_INSTRUCTIONS, fd_cycles);
	if (fd_cycles >= 0 && fd_insns >= 0)
		strcpy(r.counters, "hardware");
	else
		snprintf(r.counters, sizeof(r.counters), "perf_event_open: %s", strerror(errno));

	released = mono_ns();
	if (write(go[1], "g", 1) != 1)
		fail("write: %s", strerror(errno));
	close(go[1]);
	if (read(err[0], &exec_errno, sizeof(exec_errno)) == sizeof(exec_errno))
		snprintf(r.exec_error, sizeof(r.exec_error), "execvp: %s", strerror(exec_errno));
	close(err[0]);

	while (!cmd_done) {
		siginfo_t si;
		int sig = sigwaitinfo(&waited, &si);

		if (sig == SIGCHLD) {
			reap(cmd, &cmd_done, &r, released);
		} else if (sig > 0) {
			stop_signal = sig;
			r.interrupted = 1;
			break;
		}
	}
	kill_all(cmd, &cmd_done, &r, released);

	if (fd_cycles >= 0 && fd_insns >= 0 && !r.exec_error[0] &&
	    !read_counter(fd_cycles, &r.cycles) && !read_counter(fd_insns, &r.instructions))
		r.counted = 1;
	getrusage(RUSAGE_CHILDREN, &ru);
	r.cpu_ns = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * NSEC_PER_SEC +
		   (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
	if (write_report(report_fd, tmp, report, &r) != 0)
		fail("writing %s: %s", report, strerror(errno));

	if (stop_signal)
		code = 128 + stop_signal;
	else if (r.exec_error[0])
		code = 127;
	else if (r.signaled)
		code = 128 + r.signal;
	else
		code = r.exit_code;
	return code;
}
