// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "smtcheck/affinity.h"
#include "smtcheck/topology.h"

namespace smtcheck {
namespace {

// Runs the test process group helper; it lives until this object closes its standard input.
class TestGroup {
public:
	TestGroup(int threads, int children, bool detached)
	{
		int in[2], out[2];
		if (pipe(in) || pipe(out))
			throw std::runtime_error("pipe");
		pid_ = fork();
		if (pid_ == 0) {
			dup2(in[0], 0);
			dup2(out[1], 1);
			close(in[1]);
			close(out[0]);
			std::string t = std::to_string(threads), c = std::to_string(children);
			execl(SMTCHECK_TESTPROC, SMTCHECK_TESTPROC, "--threads", t.c_str(), "--children", c.c_str(),
			      detached ? "--detached-child" : nullptr, nullptr);
			_exit(127);
		}
		close(in[0]);
		close(out[1]);
		stdin_ = in[1];
		FILE *f = fdopen(out[0], "r");
		if (fscanf(f, "ready %d", &pgid_) != 1)
			pgid_ = -1;
		fclose(f);
	}
	~TestGroup()
	{
		close(stdin_);
		waitpid(pid_, nullptr, 0);
	}
	pid_t pgid() const { return pgid_; }
	pid_t pid() const { return pid_; }

private:
	pid_t pid_;
	pid_t pgid_ = -1;
	int stdin_;
};

std::vector<pid_t> tasks_of(pid_t pid)
{
	std::vector<pid_t> tids;
	for (const auto &e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task"))
		tids.push_back(std::stoi(e.path().filename()));
	return tids;
}

std::vector<pid_t> children_of(pid_t pid)
{
	std::vector<pid_t> out;
	for (pid_t tid : tasks_of(pid)) {
		std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/children");
		pid_t c;
		while (in >> c)
			out.push_back(c);
	}
	return out;
}

TEST(Affinity, PinsEveryTaskOfGroupAndDescendants)
{
	TestGroup group(3, 2, true);
	ASSERT_EQ(group.pgid(), group.pid());
	std::vector<int> online = online_cpus();
	std::vector<pid_t> processes{group.pid()};
	for (pid_t c : children_of(group.pid()))
		processes.push_back(c);
	ASSERT_EQ(processes.size(), 4u);

	for (int cpu : {online.back(), online.front()}) {
		AffinityResult r = set_group_affinity(group.pgid(), {cpu});
		EXPECT_EQ(r.processes, 4);
		EXPECT_EQ(r.tasks, 16);
		for (pid_t pid : processes)
			for (pid_t tid : tasks_of(pid))
				EXPECT_EQ(get_affinity(tid), std::vector<int>{cpu}) << "tid " << tid;
	}
}

TEST(Affinity, GroupWithoutProcessesIsNotAnError)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, nullptr, 0);  // reaped: no process carries this number as its group now
	AffinityResult r = set_group_affinity(pid, {0});
	EXPECT_EQ(r.processes, 0);
	EXPECT_EQ(r.tasks, 0);
}

TEST(Affinity, RejectsBadCpuSets)
{
	EXPECT_THROW(set_group_affinity(getpgrp(), {}), std::invalid_argument);
	EXPECT_THROW(set_group_affinity(getpgrp(), {-1}), std::invalid_argument);
	EXPECT_THROW(set_group_affinity(getpgrp(), {1 << 20}), std::invalid_argument);
	EXPECT_THROW(set_group_affinity(0, {0}), std::invalid_argument);
}

TEST(Affinity, OfflineCpuNamesTheTask)
{
	TestGroup group(1, 0, false);
	int offline = 4000;  // valid as a number, absent on any test machine
	try {
		set_group_affinity(group.pgid(), {offline});
		FAIL() << "expected SystemError";
	} catch (const SystemError &e) {
		EXPECT_EQ(e.error(), EINVAL);
		EXPECT_NE(std::string(e.what()).find("sched_setaffinity(tid "), std::string::npos) << e.what();
		EXPECT_NE(std::string(e.what()).find("Invalid argument"), std::string::npos) << e.what();
	}
}

}  // namespace
}  // namespace smtcheck
