// SPDX-License-Identifier: GPL-2.0-only
// Starting a command in a process group of its own, and waiting for it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace smtcheck {

// Starts argv[0] (searched in PATH) as the leader of a new process group; returns its pid, which
// is also the group id. Throws SystemError naming the command when it cannot be started.
pid_t spawn_group_leader(const std::vector<std::string> &argv);

// Waits for child `pid` to end; returns its exit code, or 128 + the signal that killed it.
int wait_exit(pid_t pid);

// Sends `sig` to every process of group `pgid`; returns false when the group is gone.
bool signal_group(pid_t pgid, int sig);

}  // namespace smtcheck
