// SPDX-License-Identifier: GPL-2.0-only
#include "smtcheck/process.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <stdexcept>

#include "smtcheck/affinity.h"

extern char **environ;

namespace smtcheck {

pid_t spawn_group_leader(const std::vector<std::string> &argv)
{
	if (argv.empty() || argv[0].empty())
		throw std::invalid_argument("no command to start");
	std::vector<char *> args;
	for (const std::string &a : argv)
		args.push_back(const_cast<char *>(a.c_str()));
	args.push_back(nullptr);

	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	// The child leads a new group: its pgid is its pid, set before it runs anything.
	posix_spawnattr_setpgroup(&attr, 0);
	// The JVM blocks and handles signals its own way; the command starts with the defaults.
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	pid_t pid;
	int err = posix_spawnp(&pid, args[0], nullptr, &attr, args.data(), environ);
	posix_spawnattr_destroy(&attr);
	if (err != 0)
		throw SystemError("posix_spawnp(" + argv[0] + ")", err);
	return pid;
}

int wait_exit(pid_t pid)
{
	int status;
	for (;;) {
		if (waitpid(pid, &status, 0) == pid)
			break;
		if (errno != EINTR)
			throw SystemError("waitpid(" + std::to_string(pid) + ")", errno);
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

bool signal_group(pid_t pgid, int sig)
{
	if (pgid <= 0)
		throw std::invalid_argument("bad process group " + std::to_string(pgid));
	if (kill(-pgid, sig) == 0)
		return true;
	if (errno == ESRCH)
		return false;
	throw SystemError("kill(-" + std::to_string(pgid) + ", " + std::to_string(sig) + ")", errno);
}

}  // namespace smtcheck
