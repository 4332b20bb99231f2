// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "smtcheck/topology.h"

namespace smtcheck {
namespace {

namespace fs = std::filesystem;

// A fake /sys/devices/system/cpu tree.
class FakeSysfs {
public:
	FakeSysfs()
	{
		char tmpl[] = "/tmp/smtcheck-sysfs-XXXXXX";
		root_ = mkdtemp(tmpl);
	}
	~FakeSysfs() { fs::remove_all(root_); }

	void online(const std::string &list) { write("online", list); }
	void siblings(int cpu, const std::string &list)
	{
		write("cpu" + std::to_string(cpu) + "/topology/thread_siblings_list", list);
	}
	const std::string &root() const { return root_; }

private:
	void write(const std::string &rel, const std::string &text)
	{
		fs::path p = fs::path(root_) / rel;
		fs::create_directories(p.parent_path());
		std::ofstream(p) << text << "\n";
	}
	std::string root_;
};

TEST(Topology, ParsesCpuLists)
{
	EXPECT_EQ(parse_cpu_list("0-3,8,10-11"), (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
	EXPECT_EQ(parse_cpu_list(" 5 \n"), (std::vector<int>{5}));
	EXPECT_EQ(parse_cpu_list(""), (std::vector<int>{}));
	EXPECT_THROW(parse_cpu_list("3-1"), std::invalid_argument);
	EXPECT_THROW(parse_cpu_list("a"), std::invalid_argument);
	EXPECT_THROW(parse_cpu_list("1,,2"), std::invalid_argument);
	EXPECT_THROW(parse_cpu_list("-1"), std::invalid_argument);
}

TEST(Topology, ReadsSiblingsOfOnlineCpus)
{
	FakeSysfs sys;
	sys.online("0-3");
	sys.siblings(0, "0,2");
	sys.siblings(1, "1,3");
	sys.siblings(2, "0,2");
	sys.siblings(3, "1,3");
	EXPECT_EQ(read_topology(sys.root()), (Topology{{0, 2}, {1, 3}}));
}

TEST(Topology, OfflineSiblingsAreLeftOut)
{
	FakeSysfs sys;
	sys.online("0-2");
	sys.siblings(0, "0,2");
	sys.siblings(1, "1,3");  // CPU 3 is offline
	sys.siblings(2, "0,2");
	EXPECT_EQ(read_topology(sys.root()), (Topology{{0, 2}, {1}}));
}

TEST(Topology, ReadsThisMachine)
{
	Topology topo = read_topology();
	std::vector<int> online = online_cpus();
	size_t cpus = 0;
	for (const auto &core : topo)
		cpus += core.size();
	EXPECT_EQ(cpus, online.size());
}

TEST(Topology, ParsesExplicitSpec)
{
	std::vector<int> online{0, 1, 2, 3};
	EXPECT_EQ(parse_topology("0,1;2,3", online), (Topology{{0, 1}, {2, 3}}));
	EXPECT_EQ(parse_topology("3,1; 0 ;2", online), (Topology{{1, 3}, {0}, {2}}));
	EXPECT_THROW(parse_topology("0,1;4,5", online), std::invalid_argument);  // offline
	EXPECT_THROW(parse_topology("0,1;1", online), std::invalid_argument);    // twice
	EXPECT_THROW(parse_topology("0;;1", online), std::invalid_argument);     // empty core
	EXPECT_THROW(parse_topology("", online), std::invalid_argument);
	EXPECT_THROW(parse_topology("0,x", online), std::invalid_argument);
}

}  // namespace
}  // namespace smtcheck
