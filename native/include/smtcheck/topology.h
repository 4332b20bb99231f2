// SPDX-License-Identifier: GPL-2.0-only
// Physical cores and their sibling hardware threads.
#pragma once

#include <string>
#include <vector>

namespace smtcheck {

// One entry per physical core: the CPU numbers of its hardware threads, ascending.
// Cores are ordered by their lowest CPU.
using Topology = std::vector<std::vector<int>>;

inline constexpr const char *kSysfsCpuRoot = "/sys/devices/system/cpu";

// Parses a kernel CPU list such as "0-3,8,10-11". Throws std::invalid_argument.
std::vector<int> parse_cpu_list(const std::string &text);

// The online CPUs, from <root>/online.
std::vector<int> online_cpus(const std::string &sysfs_cpu_root = kSysfsCpuRoot);

// The machine's cores from <root>/cpu*/topology/thread_siblings_list, online CPUs only.
Topology read_topology(const std::string &sysfs_cpu_root = kSysfsCpuRoot);

// An explicit topology: cores separated by ';', siblings by ',' ("0,1;2,3").
// Every CPU must be online and named once. Throws std::invalid_argument.
Topology parse_topology(const std::string &spec, const std::vector<int> &online);

}  // namespace smtcheck
