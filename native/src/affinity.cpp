// SPDX-License-Identifier: GPL-2.0-only
#include "smtcheck/affinity.h"

#include <dirent.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace smtcheck {
namespace {

// Processes and threads appearing while a group is pinned are picked up by rescanning; a group that
// keeps spawning faster than this is still covered because every task created by a pinned task
// inherits its mask.
constexpr int kMaxScans = 8;
constexpr int kMaxCpu = 1 << 16;

struct ProcessInfo {
	pid_t ppid;
	pid_t pgid;
};

// Fields 4 and 5 of /proc/<pid>/stat. The command name (field 2) may hold spaces and parentheses,
// so parsing starts after its last ')'.
bool read_stat(const std::string &path, ProcessInfo &info)
{
	std::ifstream in(path);
	std::string text;
	if (!in || !std::getline(in, text))
		return false;
	size_t close = text.rfind(')');
	if (close == std::string::npos)
		return false;
	std::istringstream rest(text.substr(close + 1));
	char state;
	return static_cast<bool>(rest >> state >> info.ppid >> info.pgid);
}

std::vector<pid_t> numeric_entries(const std::string &dir, bool must_exist)
{
	std::vector<pid_t> ids;
	std::unique_ptr<DIR, int (*)(DIR *)> d(opendir(dir.c_str()), closedir);
	if (!d) {
		if (must_exist)
			throw SystemError("opendir(" + dir + ")", errno);
		return ids;  // the process exited meanwhile
	}
	while (struct dirent *e = readdir(d.get())) {
		char *end;
		long id = std::strtol(e->d_name, &end, 10);
		if (*end == '\0' && id > 0)
			ids.push_back(static_cast<pid_t>(id));
	}
	return ids;
}

// The group's processes and every descendant of them, from one pass over /proc.
std::vector<pid_t> group_with_descendants(pid_t pgid, const std::string &proc_root)
{
	std::unordered_map<pid_t, std::vector<pid_t>> children;
	std::vector<pid_t> members;
	for (pid_t pid : numeric_entries(proc_root, true)) {
		ProcessInfo info;
		if (!read_stat(proc_root + "/" + std::to_string(pid) + "/stat", info))
			continue;  // exited while scanning
		children[info.ppid].push_back(pid);
		if (info.pgid == pgid)
			members.push_back(pid);
	}
	std::unordered_set<pid_t> seen(members.begin(), members.end());
	for (size_t i = 0; i < members.size(); i++)
		for (pid_t child : children[members[i]])
			if (seen.insert(child).second)
				members.push_back(child);
	return members;
}

// Reads the children of every thread of `pid` (/proc/<pid>/task/<tid>/children) into `out`.
// Returns false when the kernel does not provide those files (CONFIG_PROC_CHILDREN); a process
// that has exited simply has none.
bool children_of(pid_t pid, const std::string &proc_root, std::vector<pid_t> &out)
{
	std::string task_dir = proc_root + "/" + std::to_string(pid) + "/task";
	for (pid_t tid : numeric_entries(task_dir, false)) {
		std::string path = task_dir + "/" + std::to_string(tid) + "/children";
		std::ifstream in(path);
		if (!in) {
			if (access((task_dir + "/" + std::to_string(tid)).c_str(), F_OK) == 0 &&
			    access(path.c_str(), F_OK) != 0)
				return false;
			continue;  // the thread exited meanwhile
		}
		pid_t child;
		while (in >> child)
			out.push_back(child);
	}
	return true;
}

// The known processes and all their descendants, walking children files from them: far cheaper
// than a pass over /proc, and enough after a first full pass, since anything new in the group is
// forked by a member. Returns false (and leaves `members` as it was) where the files are missing.
bool known_with_descendants(std::vector<pid_t> &members, const std::string &proc_root)
{
	std::unordered_set<pid_t> seen(members.begin(), members.end());
	std::vector<pid_t> found = members;
	for (size_t i = 0; i < found.size(); i++) {
		std::vector<pid_t> kids;
		if (!children_of(found[i], proc_root, kids))
			return false;
		for (pid_t k : kids)
			if (seen.insert(k).second)
				found.push_back(k);
	}
	members = std::move(found);
	return true;
}

class CpuSet {
public:
	explicit CpuSet(const std::vector<int> &cpus)
	{
		if (cpus.empty())
			throw std::invalid_argument("empty CPU set");
		int max = 0;
		for (int c : cpus) {
			if (c < 0 || c >= kMaxCpu)
				throw std::invalid_argument("CPU " + std::to_string(c) + " is out of range");
			max = std::max(max, c);
		}
		count_ = max + 1;
		set_ = CPU_ALLOC(count_);
		if (!set_)
			throw std::bad_alloc();
		size_ = CPU_ALLOC_SIZE(count_);
		CPU_ZERO_S(size_, set_);
		for (int c : cpus)
			CPU_SET_S(c, size_, set_);
	}
	~CpuSet() { CPU_FREE(set_); }
	CpuSet(const CpuSet &) = delete;
	CpuSet &operator=(const CpuSet &) = delete;

	const cpu_set_t *get() const { return set_; }
	size_t size() const { return size_; }

private:
	int count_;
	size_t size_;
	cpu_set_t *set_;
};

}  // namespace

SystemError::SystemError(std::string call, int err)
	: std::runtime_error(call + ": " + std::strerror(err)), call_(std::move(call)), err_(err) {}

AffinityResult set_group_affinity(pid_t pgid, const std::vector<int> &cpus, const std::string &proc_root)
{
	if (pgid <= 0)
		throw std::invalid_argument("bad process group " + std::to_string(pgid));
	CpuSet set(cpus);
	AffinityResult result;
	std::unordered_set<pid_t> pinned, processes;
	std::vector<pid_t> members;
	for (int scan = 0; scan < kMaxScans; scan++) {
		int fresh = 0;
		// One full pass finds the group; the passes that look for late arrivals walk from it.
		if (scan == 0 || !known_with_descendants(members, proc_root))
			members = group_with_descendants(pgid, proc_root);
		for (pid_t pid : members) {
			processes.insert(pid);
			std::string task_dir = proc_root + "/" + std::to_string(pid) + "/task";
			for (pid_t tid : numeric_entries(task_dir, false)) {
				if (pinned.count(tid))
					continue;
				if (sched_setaffinity(tid, set.size(), set.get()) != 0) {
					if (errno == ESRCH)
						continue;  // exited meanwhile
					throw SystemError("sched_setaffinity(tid " + std::to_string(tid) +
							  " of pid " + std::to_string(pid) + ")", errno);
				}
				pinned.insert(tid);
				fresh++;
			}
		}
		if (fresh == 0)
			break;
	}
	result.processes = static_cast<int>(processes.size());
	result.tasks = static_cast<int>(pinned.size());
	return result;
}

std::vector<int> get_affinity(pid_t tid)
{
	for (int count = 1024; count <= kMaxCpu; count *= 2) {
		cpu_set_t *set = CPU_ALLOC(count);
		if (!set)
			throw std::bad_alloc();
		size_t size = CPU_ALLOC_SIZE(count);
		if (sched_getaffinity(tid, size, set) != 0) {
			int err = errno;
			CPU_FREE(set);
			if (err == EINVAL)
				continue;  // the kernel's mask is wider: try a larger set
			throw SystemError("sched_getaffinity(tid " + std::to_string(tid) + ")", err);
		}
		std::vector<int> cpus;
		for (int c = 0; c < count; c++)
			if (CPU_ISSET_S(c, size, set))
				cpus.push_back(c);
		CPU_FREE(set);
		return cpus;
	}
	throw SystemError("sched_getaffinity(tid " + std::to_string(tid) + ")", EINVAL);
}

}  // namespace smtcheck
