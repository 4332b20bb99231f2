// SPDX-License-Identifier: GPL-2.0-only
// Times set_group_affinity on a live process group (smtcheck-testproc: a leader and two children,
// four threads each), alternating between CPU 0 and CPU 1: median and p99 of N calls, with every
// process of the machine in /proc as the daemon would see it.
//
//   affinity_bench TESTPROC [N]
#include "smtcheck/affinity.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char **argv)
{
	if (argc < 2) {
		std::fprintf(stderr, "usage: affinity_bench TESTPROC [N]\n");
		return 2;
	}
	int n = argc > 2 ? std::atoi(argv[2]) : 300;
	if (n < 1)
		n = 300;
	pid_t pid = fork();
	if (pid < 0) {
		std::perror("fork");
		return 1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		execl(argv[1], argv[1], "--threads", "3", "--children", "2", static_cast<char *>(nullptr));
		_exit(127);
	}
	setpgid(pid, pid);
	usleep(300000);  // its children and threads are up
	std::vector<double> ms;
	for (int i = 0; i < n; i++) {
		auto t0 = std::chrono::steady_clock::now();
		smtcheck::set_group_affinity(pid, {i % 2}, "/proc");
		ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
	}
	kill(-pid, SIGKILL);
	waitpid(pid, nullptr, 0);
	std::sort(ms.begin(), ms.end());
	std::printf("set_group_affinity: median %.3f ms, p99 %.3f ms over %d calls\n", ms[n / 2], ms[n * 99 / 100], n);
	return 0;
}
