// SPDX-License-Identifier: GPL-2.0-only
#include "smtcheck/topology.h"


#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace smtcheck {
namespace {

std::string trim(const std::string &s)
{
	const char *ws = " \t\r\n";
	size_t b = s.find_first_not_of(ws);
	if (b == std::string::npos)
		return "";
	size_t e = s.find_last_not_of(ws);
	return s.substr(b, e - b + 1);
}

int parse_cpu(const std::string &text, const std::string &context)
{
	std::string t = trim(text);
	if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos || t.size() > 6)
		throw std::invalid_argument("bad CPU number '" + t + "' in '" + context + "'");
	return std::stoi(t);
}

std::vector<std::string> split(const std::string &s, char sep)
{
	std::vector<std::string> parts;
	std::string part;
	std::istringstream in(s);
	while (std::getline(in, part, sep))
		parts.push_back(part);
	if (!s.empty() && s.back() == sep)
		parts.emplace_back();
	return parts;
}

std::string read_line(const std::string &path)
{
	std::ifstream in(path);
	if (!in)
		throw std::invalid_argument("cannot read " + path);
	std::string line;
	std::getline(in, line);
	return trim(line);
}

}  // namespace

std::vector<int> parse_cpu_list(const std::string &text)
{
	std::set<int> cpus;
	std::string t = trim(text);
	if (t.empty())
		return {};
	for (const std::string &range : split(t, ',')) {
		size_t dash = range.find('-');
		if (dash == std::string::npos) {
			cpus.insert(parse_cpu(range, t));
			continue;
		}
		int lo = parse_cpu(range.substr(0, dash), t);
		int hi = parse_cpu(range.substr(dash + 1), t);
		if (hi < lo)
			throw std::invalid_argument("descending CPU range in '" + t + "'");
		for (int c = lo; c <= hi; c++)
			cpus.insert(c);
	}
	return {cpus.begin(), cpus.end()};
}

std::vector<int> online_cpus(const std::string &root)
{
	return parse_cpu_list(read_line(root + "/online"));
}

Topology read_topology(const std::string &root)
{
	std::vector<int> online = online_cpus(root);
	std::set<int> online_set(online.begin(), online.end());
	// Keyed by sibling set so that each core is listed once, ordered by its lowest CPU.
	std::map<std::vector<int>, bool> cores;
	for (int cpu : online) {
		std::string path = root + "/cpu" + std::to_string(cpu) + "/topology/thread_siblings_list";
		std::vector<int> siblings;
		std::ifstream probe(path);
		if (probe)
			siblings = parse_cpu_list(read_line(path));
		else
			siblings = {cpu};  // no topology directory: a core of its own
		std::vector<int> core;
		for (int s : siblings)
			if (online_set.count(s))
				core.push_back(s);
		if (std::find(core.begin(), core.end(), cpu) == core.end())
			core.push_back(cpu);
		std::sort(core.begin(), core.end());
		cores.emplace(core, true);
	}
	Topology topo;
	for (auto &entry : cores)
		topo.push_back(entry.first);
	std::sort(topo.begin(), topo.end());
	return topo;
}

Topology parse_topology(const std::string &spec, const std::vector<int> &online)
{
	std::string t = trim(spec);
	if (t.empty())
		throw std::invalid_argument("empty topology");
	std::set<int> online_set(online.begin(), online.end());
	std::set<int> seen;
	Topology topo;
	for (const std::string &core_text : split(t, ';')) {
		if (trim(core_text).empty())
			throw std::invalid_argument("empty core in topology '" + t + "'");
		std::vector<int> core;
		for (const std::string &cpu_text : split(core_text, ',')) {
			int cpu = parse_cpu(cpu_text, t);
			if (!online_set.count(cpu))
				throw std::invalid_argument("CPU " + std::to_string(cpu) +
							    " in topology '" + t + "' is not online");
			if (!seen.insert(cpu).second)
				throw std::invalid_argument("CPU " + std::to_string(cpu) +
							    " appears twice in topology '" + t + "'");
			core.push_back(cpu);
		}
		std::sort(core.begin(), core.end());
		topo.push_back(core);
	}
	return topo;
}

}  // namespace smtcheck
