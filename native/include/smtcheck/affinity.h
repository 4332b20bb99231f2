// SPDX-License-Identifier: GPL-2.0-only
// CPU affinity for a whole process group.
#pragma once

#include <sys/types.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace smtcheck {

// A system call that failed for a reason the caller must hear about.
class SystemError : public std::runtime_error {
public:
	SystemError(std::string call, int err);
	const std::string &call() const { return call_; }
	int error() const { return err_; }

private:
	std::string call_;
	int err_;
};

struct AffinityResult {
	int processes = 0;  // processes of the group (and their descendants) that were found
	int tasks = 0;      // threads whose affinity was set
};

// Sets the affinity of every thread of every process in process group `pgid` and of all their
// descendants, whatever their own group. Tasks that exit meanwhile are skipped; tasks created
// meanwhile are caught by a bounded number of rescans (new tasks also inherit the mask from the
// task that creates them once it is pinned). Throws std::invalid_argument for a bad CPU list and
// SystemError (naming the task) for EPERM, EINVAL and any other failure but ESRCH.
AffinityResult set_group_affinity(pid_t pgid, const std::vector<int> &cpus,
				  const std::string &proc_root = "/proc");

// The CPUs task `tid` may run on.
std::vector<int> get_affinity(pid_t tid);

}  // namespace smtcheck
